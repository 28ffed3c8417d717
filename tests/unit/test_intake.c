/* test_intake.c: the whole pipeline (SPEC 2-5) on a fixture sequence.
 * tests/mail/intake/NN-name.eml go through intake_process in name order
 * into one database; NN-name.expected beside each holds "key: value"
 * lines checked exactly after that step (see check_key for the keys).
 *
 * Fixture text may hold placeholders that only exist at run time:
 *   {{OUR_MSGID:REF}} or {{OUR_MSGID:REF:EVENT}}  the newest outbox
 *       Message-ID of that ticket (of that event), signed by this run's key
 *   {{FORGED_MSGID:REF}}  the same with its MAC altered
 *   {{RECEIVED:N}}        N Received header lines
 *   {{BIG_ATTACHMENT:N}}  N bytes of data, base64 in 76-column lines
 * tests/mail/crash/ is a second such sequence, in a database of its own:
 * mail that once crashed the desk, each with the result it must give. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "src/config.h"
#include "src/intake.h"
#include "src/outbox.h"
#include "src/store.h"
#include "src/token.h"
#include "src/util.h"

static struct pd_ctx ctx;
static char *fixdir;

static void
bail(const char *what, const char *err)
{
	printf("Bail out! %s: %s\n", what, err ? err : "(no error)");
	exit(99);
}

/* The newest outbox row of ticket ref (of event, when given). */
static char *
outbox_msgid(const char *ref, const char *event)
{
	GPtrArray *rows = NULL;
	char *err = NULL, *id = NULL;
	gint64 best = 0;

	if (store_outbox_list(ctx.store, NULL, 0, &rows, &err) < 0)
		bail("outbox_list", err);
	for (guint i = 0; i < rows->len; i++) {
		struct pd_outbox_row *r = rows->pdata[i];
		if (g_strcmp0(r->ticket_ref, ref) != 0 || r->id < best ||
		    (event && strcmp(r->event, event) != 0))
			continue;
		best = r->id;
		g_free(id);
		id = g_strdup(r->message_id);
	}
	g_ptr_array_unref(rows);
	return id;
}

/* One placeholder's text (caller frees), or NULL when unknown. */
static char *
expand(const char *name)
{
	char **f = g_strsplit(name, ":", 3);
	char *out = NULL;

	if (f[0] == NULL || f[1] == NULL)
		goto done;
	if (strcmp(f[0], "OUR_MSGID") == 0)
		out = outbox_msgid(f[1], f[2]);
	else if (strcmp(f[0], "FORGED_MSGID") == 0) {
		out = outbox_msgid(f[1], f[2]);
		if (out) {
			/* the last hex digit of the MAC, just before '@' */
			char *at = strchr(out, '@');
			if (at && at > out)
				at[-1] = at[-1] == '0' ? '1' : '0';
		}
	} else if (strcmp(f[0], "RECEIVED") == 0) {
		GString *s = g_string_new(NULL);
		int n = atoi(f[1]);
		for (int i = 0; i < n && i < 10000; i++)
			g_string_append_printf(s, "Received: from hop%d.example.net by "
			    "hop%d.example.net; Mon, 2 Nov 2026 09:00:%02d +0000\n", i, i + 1,
			    i % 60);
		out = g_string_free(s, FALSE);
	} else if (strcmp(f[0], "BIG_ATTACHMENT") == 0) {
		gsize n = (gsize)g_ascii_strtoull(f[1], NULL, 10);
		guchar *data = g_malloc(n);
		char *b64;
		GString *s = g_string_sized_new(n * 4 / 3 + n / 40);
		for (gsize i = 0; i < n; i++)
			data[i] = (guchar)(i * 7 + (i >> 9));
		b64 = g_base64_encode(data, n);
		for (size_t i = 0, len = strlen(b64); i < len; i += 76) {
			g_string_append_len(s, b64 + i, (gssize)MIN(76, len - i));
			g_string_append_c(s, '\n');
		}
		g_free(b64);
		g_free(data);
		out = g_string_free(s, FALSE);
	}
done:
	g_strfreev(f);
	return out;
}

/* The fixture's bytes with its placeholders replaced. */
static GByteArray *
load_fixture(const char *path)
{
	GByteArray *in = NULL, *out = g_byte_array_new();
	char *err = NULL;
	guint i = 0;

	if (util_read_file(path, 0, &in, &err) < 0)
		bail(path, err);
	while (i < in->len) {
		const guint8 *p = in->data + i;
		const guint8 *end = NULL;
		if (in->len - i > 4 && memcmp(p, "{{", 2) == 0)
			for (const guint8 *q = p + 2; q + 1 < in->data + in->len && q - p < 200;
			    q++)
				if (q[0] == '}' && q[1] == '}') {
					end = q;
					break;
				}
		if (end) {
			char *name = g_strndup((const char *)p + 2, (gsize)(end - p - 2));
			char *val = expand(name);
			if (val == NULL)
				bail("unknown or unresolved placeholder", name);
			g_byte_array_append(out, (const guint8 *)val, (guint)strlen(val));
			g_free(val);
			g_free(name);
			i = (guint)(end + 2 - in->data);
		} else {
			g_byte_array_append(out, p, 1);
			i++;
		}
	}
	g_byte_array_unref(in);
	return out;
}

/* "key: value" lines; '#' starts a comment line; "\n" in a value
 * stands for a line break. */
static GPtrArray *
load_expected(const char *path)
{
	GPtrArray *kv = g_ptr_array_new_with_free_func(g_free);
	char *text = NULL;
	char **lines;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		bail("missing", path);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char *colon = strchr(*l, ':');
		if (**l == '\0' || **l == '#')
			continue;
		if (colon == NULL)
			bail("bad expected line", *l);
		g_ptr_array_add(kv, g_strstrip(g_strndup(*l, (gsize)(colon - *l))));
		{
			/* "\n" in a value is a line break */
			char *val = g_strstrip(g_strdup(colon + 1));
			char **parts = g_strsplit(val, "\\n", -1);
			g_ptr_array_add(kv, g_strjoinv("\n", parts));
			g_strfreev(parts);
			g_free(val);
		}
	}
	g_strfreev(lines);
	g_free(text);
	return kv;
}

static const char *
kv_get(GPtrArray *kv, const char *key)
{
	for (guint i = 0; i + 1 < kv->len; i += 2)
		if (strcmp(kv->pdata[i], key) == 0)
			return kv->pdata[i + 1];
	return NULL;
}

static int
count_tickets(void)
{
	struct pd_ticket_filter f = { 0 };
	GPtrArray *list = NULL;
	char *err = NULL;
	int n;

	if (store_ticket_list(ctx.store, &f, &list, &err) < 0)
		bail("ticket_list", err);
	n = (int)list->len;
	g_ptr_array_unref(list);
	return n;
}

static GPtrArray *
quarantine_rows(void)
{
	GPtrArray *rows = NULL;
	char *err = NULL;

	if (store_quarantine_list(ctx.store, NULL, &rows, &err) < 0)
		bail("quarantine_list", err);
	return rows;
}

static gint64
outbox_max_id(void)
{
	GPtrArray *rows = NULL;
	char *err = NULL;
	gint64 max = 0;

	if (store_outbox_list(ctx.store, NULL, 0, &rows, &err) < 0)
		bail("outbox_list", err);
	for (guint i = 0; i < rows->len; i++)
		max = MAX(max, ((struct pd_outbox_row *)rows->pdata[i])->id);
	g_ptr_array_unref(rows);
	return max;
}

/* The outbox rows made by this step, "event>rcpt+rcpt[ (held)], ...",
 * "-" for none; *held_r counts the held ones. */
static char *
outbox_since(gint64 after, int *held_r)
{
	GPtrArray *rows = NULL;
	GString *s = g_string_new(NULL);
	char *err = NULL;
	GPtrArray *mine = g_ptr_array_new();

	*held_r = 0;
	if (store_outbox_list(ctx.store, NULL, 0, &rows, &err) < 0)
		bail("outbox_list", err);
	for (guint i = 0; i < rows->len; i++)
		if (((struct pd_outbox_row *)rows->pdata[i])->id > after)
			g_ptr_array_add(mine, rows->pdata[i]);
	/* by id, as they were queued (the list is ordered by next_try) */
	for (guint i = 1; i < mine->len; i++)
		for (guint j = i; j > 0 && ((struct pd_outbox_row *)mine->pdata[j - 1])->id >
		    ((struct pd_outbox_row *)mine->pdata[j])->id; j--) {
			gpointer t = mine->pdata[j];
			mine->pdata[j] = mine->pdata[j - 1];
			mine->pdata[j - 1] = t;
		}
	for (guint i = 0; i < mine->len; i++) {
		struct pd_outbox_row *r = mine->pdata[i];
		g_string_append_printf(s, "%s%s>", i ? ", " : "", r->event);
		for (guint j = 0; j < r->rcpts->len; j++)
			g_string_append_printf(s, "%s%s", j ? "+" : "", (char *)r->rcpts->pdata[j]);
		if (strcmp(r->status, "held") == 0) {
			g_string_append(s, " (held)");
			(*held_r)++;
		}
	}
	if (s->len == 0)
		g_string_append_c(s, '-');
	g_ptr_array_unref(mine);
	g_ptr_array_unref(rows);
	return g_string_free(s, FALSE);
}

/* 1 when every (want 1) or no (want 0) outbox mail of this step holds
 * text in its raw bytes; a step with no mail fails either way. */
static int
mails_hold(gint64 after, const char *text, int want)
{
	GPtrArray *rows = NULL;
	char *err = NULL;
	int n = 0, ok = 1;

	if (store_outbox_list(ctx.store, NULL, 0, &rows, &err) < 0)
		bail("outbox_list", err);
	for (guint i = 0; i < rows->len; i++) {
		struct pd_outbox_row *r = rows->pdata[i];
		GBytes *raw;
		gsize len;
		const char *d;
		char *str;
		if (r->id <= after)
			continue;
		n++;
		/* the mail as it is sent */
		if (outbox_render(&ctx, r->id, &raw, &err) < 0)
			bail("outbox_render", err);
		d = g_bytes_get_data(raw, &len);
		str = g_strndup(d, len);
		g_bytes_unref(raw);
		if ((strstr(str, text) != NULL) != want)
			ok = 0;
		g_free(str);
	}
	g_ptr_array_unref(rows);
	return n > 0 && ok;
}

static char *
joined(GPtrArray *a)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)a->pdata[i]);
	if (s->len == 0)
		g_string_append_c(s, '-');
	return g_string_free(s, FALSE);
}

/* Run one fixture and check every key of its .expected. */
static void
run_step(const char *name)
{
	static const char *const known[] = { "now", "recipient", "outcome", "ref", "detail",
	    "queued", "held", "mails", "tickets", "quarantines", "quarantine", "ticket",
	    "status", "messages", "kind", "body", "attachments", "participants", "follows",
	    "first_response", "mail_has", "not_in_mail", "sender", NULL };
	static gint64 now;
	char *eml = g_strdup_printf("%s/%s.eml", fixdir, name);
	char *expf = g_strdup_printf("%s/%s.expected", fixdir, name);
	GPtrArray *kv = load_expected(expf);
	struct pd_source src = { 0 };
	struct pd_intake_result r = { 0 };
	struct pd_ticket *t = NULL;
	GByteArray *raw;
	const char *v, *ref;
	char *err = NULL, *mails, *nowstr;
	gint64 before;
	int held, rc;

	for (guint i = 0; i < kv->len; i += 2) {
		int ok = 0;
		for (int k = 0; known[k]; k++)
			ok |= strcmp(known[k], kv->pdata[i]) == 0;
		if (!ok)
			bail("unknown key in expected file", kv->pdata[i]);
	}
	/* Time: as given, else 15 minutes after the previous step, so that
	 * the per-ticket rate limit (10 in 10 minutes) is not what is tested. */
	if ((v = kv_get(kv, "now")) != NULL) {
		GDateTime *dt = g_date_time_new_from_iso8601(v, NULL);
		if (dt == NULL)
			bail("bad now", v);
		now = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	} else
		now += 15 * 60;
	nowstr = g_strdup_printf("%" G_GINT64_FORMAT, now);
	g_setenv("POSTDESK_NOW", nowstr, TRUE);
	g_free(nowstr);

	raw = load_fixture(eml);
	src.kind = "deliver";
	src.recipient = kv_get(kv, "recipient");
	src.sender = kv_get(kv, "sender");	/* deliver --sender */
	before = outbox_max_id();
	rc = intake_process(&ctx, raw->data, raw->len, &src, &r, &err);
	TEST_INT(rc, 0, "%s: intake_process %s", name, err ? err : "");
	g_free(err);
	err = NULL;
	mails = outbox_since(before, &held);

	if ((v = kv_get(kv, "outcome")) != NULL)
		TEST_STR(intake_outcome_name(r.outcome), v, "%s: outcome", name);
	if ((v = kv_get(kv, "ref")) != NULL)
		TEST_STR(r.ref, strcmp(v, "-") == 0 ? NULL : v, "%s: ref", name);
	if ((v = kv_get(kv, "detail")) != NULL)
		TEST_STR(r.detail, v, "%s: detail", name);
	if ((v = kv_get(kv, "queued")) != NULL)
		TEST_INT(r.queued, atoi(v), "%s: queued", name);
	if ((v = kv_get(kv, "held")) != NULL)
		TEST_INT(held, atoi(v), "%s: held", name);
	if ((v = kv_get(kv, "mails")) != NULL)
		TEST_STR(mails, v, "%s: mails queued", name);
	if ((v = kv_get(kv, "mail_has")) != NULL)
		TEST_OK(mails_hold(before, v, 1), "%s: every mail holds '%s'", name, v);
	if ((v = kv_get(kv, "not_in_mail")) != NULL)
		TEST_OK(mails_hold(before, v, 0), "%s: no mail holds '%s'", name, v);
	if ((v = kv_get(kv, "tickets")) != NULL)
		TEST_INT(count_tickets(), atoi(v), "%s: tickets in the store", name);
	if ((v = kv_get(kv, "quarantines")) != NULL || kv_get(kv, "quarantine")) {
		GPtrArray *q = quarantine_rows();
		if (v)
			TEST_INT(q->len, atoi(v), "%s: quarantine rows", name);
		if ((v = kv_get(kv, "quarantine")) != NULL)
			TEST_STR(q->len ? ((struct pd_quarantined *)q->pdata[q->len - 1])->reason :
			    NULL, v, "%s: newest quarantine reason", name);
		g_ptr_array_unref(q);
	}

	/* The ticket to look at: "ticket", else the result's ref. */
	ref = kv_get(kv, "ticket");
	if (ref == NULL && (ref = kv_get(kv, "ref")) != NULL && strcmp(ref, "-") == 0)
		ref = NULL;
	if (ref && store_ticket_get_by_ref(ctx.store, ref, &t, &err) != 1) {
		TEST_OK(0, "%s: ticket %s exists", name, ref);
		g_free(err);
		t = NULL;
	}
	if (t) {
		GPtrArray *msgs = NULL;
		struct pd_stored_message *last = NULL;

		if (store_messages(ctx.store, t->id, 1, &msgs, &err) < 0)
			bail("messages", err);
		if (msgs->len)
			last = msgs->pdata[msgs->len - 1];
		if ((v = kv_get(kv, "status")) != NULL)
			TEST_STR(t->status, v, "%s: %s status", name, ref);
		if ((v = kv_get(kv, "messages")) != NULL)
			TEST_INT(msgs->len, atoi(v), "%s: %s messages", name, ref);
		if ((v = kv_get(kv, "kind")) != NULL)
			TEST_STR(last ? last->kind : NULL, v, "%s: %s last kind", name, ref);
		if ((v = kv_get(kv, "body")) != NULL)
			TEST_STR(last ? last->body : NULL, v, "%s: %s last body", name, ref);
		if ((v = kv_get(kv, "attachments")) != NULL) {
			GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
			char *got;
			for (guint i = 0; last && i < last->attachments->len; i++) {
				struct pd_stored_attachment *sa = last->attachments->pdata[i];
				g_ptr_array_add(a, g_strdup_printf("%s=%s", sa->filename,
				    sa->refused ? "refused" : (sa->sha256 ? "kept" : "no-sha")));
			}
			got = joined(a);
			TEST_STR(got, v, "%s: %s last attachments", name, ref);
			g_free(got);
			g_ptr_array_unref(a);
		}
		if ((v = kv_get(kv, "participants")) != NULL) {
			GPtrArray *p = NULL;
			char *got;
			if (store_participants(ctx.store, t->id, &p, &err) < 0)
				bail("participants", err);
			got = joined(p);
			TEST_STR(got, v, "%s: %s participants", name, ref);
			g_free(got);
			g_ptr_array_unref(p);
		}
		if ((v = kv_get(kv, "follows")) != NULL) {
			struct pd_ticket *f = NULL;
			if (t->follows && store_ticket_get(ctx.store, t->follows, &f, &err) != 1)
				bail("follows", err);
			TEST_STR(f ? f->ref : NULL, strcmp(v, "-") == 0 ? NULL : v,
			    "%s: %s follows", name, ref);
			store_ticket_free(f);
		}
		if ((v = kv_get(kv, "first_response")) != NULL)
			TEST_STR(t->first_response_at ? "yes" : "no", v,
			    "%s: %s first_response_at set", name, ref);
		g_ptr_array_unref(msgs);
		store_ticket_free(t);
	}
	intake_result_clear(&r);
	g_free(mails);
	g_byte_array_unref(raw);
	g_ptr_array_unref(kv);
	g_free(eml);
	g_free(expf);
}

static int
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One folder of fixtures, in name order, into a fresh database. */
static void
run_dir(const char *sub, guint min_fixtures)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	char *conf, *tmpdir, *err = NULL;
	struct pd_config *cfg;
	const char *n;
	GDir *d;
	int ex = 0;

	fixdir = test_src(sub);
	conf = g_build_filename(fixdir, "postdesk.conf", NULL);
	cfg = config_load(conf, errors);
	if (cfg == NULL)
		bail("config", errors->len ? errors->pdata[0] : "?");
	tmpdir = g_dir_make_tmp("pd-intake-XXXXXX", NULL);
	g_free(cfg->database);
	cfg->database = g_build_filename(tmpdir, "postdesk.db", NULL);
	g_free(cfg->spool);
	cfg->spool = g_build_filename(tmpdir, "spool", NULL);
	g_free(cfg->secret_file);
	cfg->secret_file = g_build_filename(tmpdir, "secret", NULL);
	g_free(cfg->templates);
	cfg->templates = test_src("conf/templates");
	if (token_create_secret(cfg->secret_file, &err) < 0)
		bail("secret", err);
	if (ctx_open(&ctx, cfg, &ex, &err) < 0)
		bail("ctx_open", err);

	d = g_dir_open(fixdir, 0, NULL);
	while (d && (n = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(n, ".eml"))
			g_ptr_array_add(names, g_strndup(n, strlen(n) - 4));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, cmp_names);
	TEST_OK(names->len >= min_fixtures, "%s: fixtures found: %u", sub, names->len);
	for (guint i = 0; i < names->len; i++)
		run_step(names->pdata[i]);

	ctx_close(&ctx);
	config_free(cfg);
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
		g_free(cmd);
	}
	g_free(tmpdir);
	g_free(conf);
	g_free(fixdir);
	fixdir = NULL;
	g_ptr_array_unref(names);
	g_ptr_array_unref(errors);
}

int
main(void)
{
	/* a GLib critical or warning is a bug: the fixture that causes it fails */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_FATAL_MASK);
	run_dir("tests/mail/intake", 30);
	/* mail that once crashed the desk (found by tests/fuzz or reported) */
	run_dir("tests/mail/crash", 4);
	g_unsetenv("POSTDESK_NOW");
	return test_done();
}

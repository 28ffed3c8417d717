/* test_config.c: config_load on the fixtures of tests/conf (each bad
 * one with its exact expected error lines beside it), the parsed values
 * of good ones, generated configs for the small grammars (days, hours,
 * file modes), and the lookups. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "src/config.h"
#include "src/util.h"

static char *confdir;		/* $top_srcdir/tests/conf */
static char *tmpdir;

/* The errors of path with the fixture folder cut from each line, one
 * per line. */
static char *
load_errors(const char *path, struct pd_config **cfg_r)
{
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg = config_load(path, errs);
	GString *out = g_string_new("");
	char *prefix = g_strconcat(confdir, "/", NULL);
	guint i;

	for (i = 0; i < errs->len; i++) {
		const char *e = errs->pdata[i];
		if (g_str_has_prefix(e, prefix))
			e += strlen(prefix);
		g_string_append_printf(out, "%s\n", e);
	}
	g_free(prefix);
	g_ptr_array_unref(errs);
	if (cfg_r)
		*cfg_r = cfg;
	else
		config_free(cfg);
	return g_string_free(out, FALSE);
}

/* Expected lines match exactly, except that a line ending in '*'
 * matches any line beginning with what comes before it (for messages
 * whose tail comes from GLib and varies between versions). */
static int
lines_match(const char *got, const char *want)
{
	char **g = g_strsplit(got, "\n", -1), **w = g_strsplit(want, "\n", -1);
	int ok = g_strv_length(g) == g_strv_length(w);
	guint i;

	for (i = 0; ok && w[i]; i++) {
		size_t n = strlen(w[i]);
		if (n > 0 && w[i][n - 1] == '*')
			ok = strncmp(g[i], w[i], n - 1) == 0;
		else
			ok = strcmp(g[i], w[i]) == 0;
	}
	g_strfreev(g);
	g_strfreev(w);
	return ok;
}

static void
test_bad_fixtures(void)
{
	static const char *const bad[] = {
		"bad-syntax", "bad-unknown-key", "bad-size", "bad-no-queue",
		"bad-empty-queues", "bad-queue-staff", "bad-mailbox",
		"bad-smtp", "bad-types", "bad-sla", "bad-hours", "bad-staff",
		"bad-queues", "bad-misc", "bad-many", "bad-lmtp",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *conf = g_strdup_printf("%s/%s.conf", confdir, bad[i]);
		char *exp = g_strdup_printf("%s/%s.expected", confdir, bad[i]);
		char *want = NULL, *got;
		struct pd_config *cfg;

		/* TEST_OK evaluates its condition twice: no side effects. */
		got = load_errors(conf, &cfg);
		TEST_OK(cfg == NULL, "%s: refused", bad[i]);
		g_file_get_contents(exp, &want, NULL, NULL);
		TEST_OK(want != NULL, "%s: expected file", bad[i]);
		TEST_OK(want && *want && lines_match(got, want),
		    "%s: exact error lines", bad[i]);
		if (want && !lines_match(got, want))
			printf("# got:\n%s# want:\n%s", got, want);
		config_free(cfg);
		g_free(want);
		g_free(got);
		g_free(conf);
		g_free(exp);
	}
}

static void
test_many_at_once(void)
{
	char *conf = g_strdup_printf("%s/bad-many.conf", confdir);
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg;

	g_ptr_array_add(errs, g_strdup("an earlier error"));
	cfg = config_load(conf, errs);
	TEST_OK(cfg == NULL, "bad-many refused");
	TEST_INT(errs->len, 8, "seven errors appended after the caller's one");
	TEST_STR(errs->pdata[0], "an earlier error", "caller's entry kept");
	g_ptr_array_unref(errs);
	g_free(conf);
}

static void
test_missing_file(void)
{
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg;

	cfg = config_load("/nonexistent/postdesk-test/x.conf", errs);
	TEST_OK(cfg == NULL, "missing file refused");
	TEST_INT(errs->len, 1, "one error for a missing file");
	TEST_STR(errs->len ? errs->pdata[0] : NULL,
	    "/nonexistent/postdesk-test/x.conf:1: cannot read: "
	    "No such file or directory", "missing file error");
	g_ptr_array_unref(errs);
	cfg = config_load("/nonexistent/postdesk-test/x.conf", NULL);
	TEST_OK(cfg == NULL, "errors array may be NULL");
}

static void
test_minimal(void)
{
	char *conf = g_strdup_printf("%s/good-minimal.conf", confdir);
	struct pd_config *cfg;
	char *errs = load_errors(conf, &cfg), *p;
	struct pd_queue *q;

	TEST_STR(errs, "", "good-minimal: no errors");
	if (cfg == NULL) {
		g_free(errs);
		g_free(conf);
		return;
	}
	TEST_STR(cfg->path, conf, "path");
	TEST_STR(cfg->dir, confdir, "dir");
#define BESIDE(field, name) do { \
	p = g_build_filename(confdir, name, NULL); \
	TEST_STR(cfg->field, p, #field " defaults to " name " beside"); \
	g_free(p); \
} while (0)
	BESIDE(database, "postdesk.db");
	BESIDE(spool, "spool");
	BESIDE(secret_file, "secret");
	BESIDE(templates, "templates");
#undef BESIDE
	TEST_STR(cfg->base_url, "http://localhost/cgi-bin/postdesk.cgi",
	    "base_url default");
	TEST_STR(cfg->ref_prefix, "TKT", "ref_prefix default");
	TEST_STR(cfg->hostname, "example.com", "hostname from first queue");
	TEST_STR(cfg->smtp.url, "smtp://127.0.0.1:25", "smtp.url default");
	TEST_STR(cfg->smtp.starttls, "auto", "starttls default");
	TEST_STR(cfg->smtp.user, NULL, "smtp.user default");
	TEST_STR(cfg->smtp.password_file, NULL, "smtp.password_file default");
	TEST_INT(cfg->smtp.timeout, DEF_SMTP_TIMEOUT, "smtp.timeout default");
	TEST_INT(cfg->smtp.give_up, 5 * 86400, "smtp.give_up default");
	TEST_INT(cfg->staff->len, 0, "no staff");
	TEST_INT(cfg->mailboxes->len, 0, "no mailboxes");
	TEST_INT(cfg->slas->len, 0, "no sla");
	TEST_STR(cfg->auth.authserv_id, NULL, "no authserv_id");
	TEST_INT(cfg->auth.trust_from, 0, "trust_from false");
	TEST_INT(cfg->auth.no_answer_dmarc, 1, "no_answer_on_fail default: dmarc");
	TEST_INT(cfg->auth.no_answer_spf, 1, "no_answer_on_fail default: spf");
	TEST_INT(cfg->queues->len, 1, "one queue");
	q = cfg->queues->pdata[0];
	TEST_STR(q->name, "Support", "queue name");
	TEST_STR(q->address, "support@example.com", "address normalized");
	TEST_STR(q->note_address, "support+note@example.com",
	    "note_address default");
	TEST_INT(q->staff->len, 0, "queue staff: all (none)");
	TEST_STR(q->default_assignee, NULL, "no default assignee");
	TEST_STR(q->sla, NULL, "no sla without a standard policy");
	TEST_STR(q->templates, NULL, "no queue templates");
	TEST_OK(config_sla_for(cfg, q) == NULL, "config_sla_for NULL");
	TEST_STR(cfg->hours.timezone, "UTC", "timezone default");
	TEST_INT(cfg->hours.days, 0x1f, "days default Mon-Fri");
	TEST_INT(cfg->hours.start_min, 540, "hours start default");
	TEST_INT(cfg->hours.end_min, 1020, "hours end default");
	TEST_INT(cfg->hours.holidays->len, 0, "no holidays");
	TEST_INT(cfg->limits.max_message, DEF_MAX_MESSAGE, "max_message");
	TEST_INT(cfg->limits.max_attachment, 10 * 1024 * 1024,
	    "max_attachment");
	TEST_INT(cfg->limits.allowed_types->len, 0, "all types allowed");
	TEST_INT(cfg->limits.autoreplies_per_hour, 5, "autoreplies_per_hour");
	TEST_INT(cfg->limits.ticket_mails_per_10min, 10,
	    "ticket_mails_per_10min");
	TEST_INT(cfg->limits.new_tickets_per_sender, 20, "new_tickets_per_sender default");
	TEST_INT(cfg->limits.reopen_window, 7 * 86400, "reopen_window");
	TEST_INT(cfg->limits.autoclose_after, 7 * 86400, "autoclose_after");
	TEST_INT(cfg->limits.max_mime_depth, 100, "max_mime_depth");
	TEST_INT(cfg->limits.max_mime_parts, 10000, "max_mime_parts");
	TEST_INT(cfg->limits.max_hops, 50, "max_hops");
	TEST_INT(cfg->limits.max_header, 1024 * 1024, "max_header");
	TEST_STR(cfg->spam.header, NULL, "no spam header");
	TEST_STR(cfg->spam.pattern, NULL, "no spam pattern");
	config_free(cfg);
	g_free(errs);
	g_free(conf);
}

static void
test_full(void)
{
	static const struct {
		const char *addr;
		const char *queue;	/* NULL: none */
		int is_note;
	} lookups[] = {
		{ "support@example.com", "Support", 0 },
		{ "SUPPORT@Example.Com", "Support", 0 },
		{ "Customer <support+TKT-0042@example.com>", "Support", 0 },
		{ "support+TKT-0042.abc123@example.com", "Support", 0 },
		{ "support+note@example.com", "Support", 1 },
		{ "support+note+x@example.com", "Support", 1 },
		{ "support@example.org", NULL, 0 },
		{ "supportx@example.com", NULL, 0 },
		{ "billing@example.com", "Billing", 0 },
		{ "billing-internal@example.com", "Billing", 1 },
		{ "billing-internal+TKT-1@example.com", "Billing", 1 },
		{ "billing+note@example.com", "Billing", 0 },
		{ "sales+x@example.org", "Sales", 0 },
		{ "sales@example.com", NULL, 0 },
		{ "alice@example.com", NULL, 0 },
		{ "", NULL, 0 },
	};
	static const struct {
		const char *s;
		const char *email;	/* NULL: none */
	} who[] = {
		{ "alice@example.com", "alice@example.com" },
		{ "Alice <ALICE@example.com>", "alice@example.com" },
		{ "alice smith", "alice@example.com" },
		{ "Alice", "alice@example.com" },
		{ "alice", "alice@example.com" },
		{ "bob jones", "bob@example.com" },
		{ "Bob", NULL },		/* two Bobs */
		{ "marley", "marley@example.com" },
		{ "carol", NULL },
		{ "", NULL },
	};
	char *conf = g_strdup_printf("%s/good-full.conf", confdir);
	struct pd_config *cfg;
	char *errs = load_errors(conf, &cfg), *p;
	struct pd_queue *q;
	struct pd_mailbox *m;
	const struct pd_sla *sla;
	size_t i;

	TEST_STR(errs, "", "good-full: no errors");
	if (cfg == NULL) {
		g_free(errs);
		g_free(conf);
		return;
	}
	p = g_build_filename(confdir, "data", "pd.db", NULL);
	TEST_STR(cfg->database, p, "relative database resolved");
	g_free(p);
	p = g_path_get_dirname(confdir);
	g_free(errs);
	errs = g_build_filename(p, "spool", NULL);
	TEST_STR(cfg->spool, errs, "../spool resolved and canonical");
	g_free(p);
	TEST_STR(cfg->secret_file, "/nonexistent/postdesk-test/secret",
	    "absent secret_file accepted");
	TEST_STR(cfg->ref_prefix, "HD2", "ref_prefix");
	TEST_STR(cfg->hostname, "mail.example.com", "hostname lower case");
	TEST_STR(cfg->smtp.url, "smtps://smtp.example.com:465", "smtp.url");
	TEST_STR(cfg->smtp.starttls, "never", "starttls");
	TEST_STR(cfg->smtp.user, "postdesk", "smtp.user");
	TEST_STR(cfg->smtp.password_file, NULL, "empty password_file");
	TEST_INT(cfg->smtp.timeout, 120, "timeout 2m");
	TEST_INT(cfg->smtp.give_up, 7 * 86400, "give_up 1w");

	TEST_INT(cfg->staff->len, 3, "three staff");
	TEST_STR(((struct pd_staff *)cfg->staff->pdata[0])->email,
	    "alice@example.com", "staff email normalized");
	TEST_INT(((struct pd_staff *)cfg->staff->pdata[0])->admin, 1, "admin");
	TEST_INT(((struct pd_staff *)cfg->staff->pdata[1])->admin, 0,
	    "agent by default");
	TEST_STR(((struct pd_staff *)cfg->staff->pdata[0])->signature,
	    "-- \nAlice", "signature");
	TEST_STR(((struct pd_staff *)cfg->staff->pdata[1])->signature, NULL,
	    "no signature");

	TEST_INT(cfg->queues->len, 3, "three queues");
	q = cfg->queues->pdata[0];
	TEST_INT(q->staff->len, 2, "Support staff listed");
	TEST_STR(q->staff->len ? q->staff->pdata[0] : NULL,
	    "alice@example.com", "queue staff normalized");
	TEST_STR(q->default_assignee, "bob@example.com", "default_assignee");
	TEST_STR(q->sla, "standard", "sla defaults to standard");
	sla = config_sla_for(cfg, q);
	TEST_STR(sla ? sla->name : NULL, "standard", "config_sla_for");
	q = cfg->queues->pdata[1];
	TEST_STR(q->address, "billing@example.com", "Billing address");
	TEST_STR(q->note_address, "billing-internal@example.com",
	    "explicit note_address");
	TEST_INT(q->staff->len, 3, "no staff list: every member");
	TEST_STR(q->sla, "gold", "sla named");
	p = g_build_filename(confdir, "tpl", "billing", NULL);
	TEST_STR(q->templates, p, "queue templates resolved");
	g_free(p);
	q = cfg->queues->pdata[2];
	TEST_STR(q->sla, NULL, "sla = \"\" is none");
	TEST_OK(config_sla_for(cfg, NULL) != NULL &&
	    strcmp(config_sla_for(cfg, NULL)->name, "standard") == 0,
	    "config_sla_for(NULL): standard");

	sla = config_sla_for(cfg, cfg->queues->pdata[1]);
	TEST_OK(sla != NULL, "gold policy");
	if (sla) {
		TEST_INT(sla->first[PRIO_URGENT], 900, "gold urgent first");
		TEST_INT(sla->resolve[PRIO_URGENT], 3600, "gold urgent resolve");
		TEST_INT(sla->first[PRIO_HIGH], 1800, "gold high first");
		TEST_INT(sla->resolve[PRIO_HIGH], 7200, "gold high resolve");
		TEST_INT(sla->first[PRIO_NORMAL], 3600, "first == resolve ok");
		TEST_INT(sla->first[PRIO_LOW], 7200, "bare number is seconds");
		TEST_INT(sla->resolve[PRIO_LOW], 604800, "gold low resolve");
	}

	TEST_INT(cfg->mailboxes->len, 2, "two mailboxes");
	m = config_mailbox_by_name(cfg, "support");
	TEST_OK(m != NULL, "mailbox by name");
	if (m) {
		TEST_STR(m->queue, "Billing", "mailbox queue, canonical name");
		TEST_STR(m->after, "move:Done", "after");
		TEST_INT(m->poll, 300, "poll 5m");
		TEST_STR(m->user, "support@example.com", "user");
		TEST_STR(m->password_file, NULL, "no password file");
	}
	m = config_mailbox_by_name(cfg, "local");
	TEST_OK(m != NULL, "maildir mailbox");
	if (m) {
		p = g_strconcat("maildir:", confdir, "/Maildir", NULL);
		TEST_STR(m->url, p, "maildir path resolved");
		g_free(p);
		TEST_STR(m->queue, "Support", "queue defaults to the first");
		TEST_STR(m->after, "flag", "after defaults to flag");
		TEST_INT(m->poll, 60, "poll default");
	}
	TEST_OK(config_mailbox_by_name(cfg, "nope") == NULL, "no such mailbox");

	TEST_STR(cfg->auth.authserv_id, "mx.example.com", "authserv_id");
	TEST_INT(cfg->auth.trust_from, 1, "trust_from");
	TEST_INT(cfg->auth.no_answer_dmarc, 0, "no_answer_on_fail [spf]: not dmarc");
	TEST_INT(cfg->auth.no_answer_spf, 1, "no_answer_on_fail [spf]: spf");
	TEST_STR(cfg->hours.timezone, "America/New_York", "timezone");
	TEST_INT(cfg->hours.days, 0x15, "Mon,Wed,Fri");
	TEST_INT(cfg->hours.start_min, 510, "08:30");
	TEST_INT(cfg->hours.end_min, 1440, "24:00");
	TEST_INT(cfg->hours.holidays->len, 2, "holidays");
	TEST_STR(cfg->hours.holidays->len > 1 ? cfg->hours.holidays->pdata[1] :
	    NULL, "2028-02-29", "leap day holiday");
	TEST_INT(cfg->limits.max_message, 20 * 1024 * 1024, "max_message");
	TEST_INT(cfg->limits.max_attachment, 512 * 1024, "max_attachment");
	TEST_INT(cfg->limits.allowed_types->len, 2, "allowed_types");
	TEST_STR(cfg->limits.allowed_types->len ?
	    cfg->limits.allowed_types->pdata[0] : NULL, "image/*",
	    "types lower case");
	TEST_INT(cfg->limits.autoreplies_per_hour, 3, "autoreplies_per_hour");
	TEST_INT(cfg->limits.ticket_mails_per_10min, 4, "ticket_mails");
	TEST_INT(cfg->limits.new_tickets_per_sender, 7, "new_tickets_per_sender");
	TEST_INT(cfg->limits.reopen_window, 14 * 86400, "reopen_window");
	TEST_INT(cfg->limits.autoclose_after, 36 * 3600, "autoclose_after");
	TEST_INT(cfg->limits.max_mime_depth, 20, "max_mime_depth");
	TEST_INT(cfg->limits.max_mime_parts, 500, "max_mime_parts");
	TEST_INT(cfg->limits.max_hops, 30, "max_hops");
	TEST_INT(cfg->limits.max_header, 65536, "max_header");
	TEST_STR(cfg->spam.header, "X-Spam-Score-Flag", "spam.header");
	TEST_STR(cfg->spam.pattern, "^\\s*yes", "spam.pattern");

	for (i = 0; i < G_N_ELEMENTS(lookups); i++) {
		int note = -1;
		q = config_queue_by_address(cfg, lookups[i].addr, &note);
		TEST_STR(q ? q->name : NULL, lookups[i].queue,
		    "queue_by_address(%s)", lookups[i].addr);
		TEST_INT(note, lookups[i].is_note, "is_note(%s)",
		    lookups[i].addr);
		TEST_INT(config_is_our_address(cfg, lookups[i].addr),
		    lookups[i].queue != NULL, "is_our_address(%s)",
		    lookups[i].addr);
	}
	TEST_OK(config_queue_by_address(cfg, NULL, NULL) == NULL,
	    "queue_by_address(NULL)");
	for (i = 0; i < G_N_ELEMENTS(who); i++) {
		struct pd_staff *st = config_staff_by_name_or_email(cfg,
		    who[i].s);
		TEST_STR(st ? st->email : NULL, who[i].email,
		    "staff_by_name_or_email(%s)", who[i].s);
	}
	TEST_STR(config_staff_by_email(cfg, "BOB@example.com") ?
	    config_staff_by_email(cfg, "BOB@example.com")->name : NULL,
	    "Bob Jones", "staff_by_email any case");
	TEST_OK(config_staff_by_email(cfg, "Bob Jones") == NULL,
	    "staff_by_email needs the address");
	TEST_STR(config_queue_by_name(cfg, "billing") ?
	    config_queue_by_name(cfg, "billing")->name : NULL, "Billing",
	    "queue_by_name any case");
	TEST_OK(config_queue_by_name(cfg, "Nope") == NULL, "no such queue");
	config_free(cfg);
	g_free(errs);
	g_free(conf);
}

static void
test_sample(void)
{
	char *conf = test_src("conf/postdesk.conf.sample");
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg = config_load(conf, errs);
	guint i;

	TEST_OK(cfg != NULL, "the sample config loads");
	TEST_INT(errs->len, 0, "the sample has no errors");
	for (i = 0; i < errs->len; i++)
		printf("#   %s\n", (char *)errs->pdata[i]);
	if (cfg) {
		struct pd_queue *q = cfg->queues->pdata[0];
		TEST_STR(cfg->database, "/var/lib/postdesk/postdesk.db",
		    "sample database");
		TEST_STR(q->note_address, "support+note@example.com",
		    "sample note address");
		TEST_INT(cfg->staff->len, 2, "sample staff");
		TEST_INT(cfg->limits.max_attachment, DEF_MAX_ATTACHMENT,
		    "sample max_attachment");
		TEST_INT(cfg->lmtp.listen->len, 1, "sample lmtp listens once");
		TEST_STR(cfg->lmtp.listen->len ? cfg->lmtp.listen->pdata[0] : NULL,
		    "unix:/run/postdesk/lmtp.sock", "sample lmtp socket");
		TEST_STR(config_sla_for(cfg, q) ? config_sla_for(cfg, q)->name :
		    NULL, "standard", "sample sla");
		TEST_INT(config_sla_for(cfg, q) ?
		    config_sla_for(cfg, q)->resolve[PRIO_LOW] : 0, 5 * 86400,
		    "sample low resolution");
	}
	config_free(cfg);
	g_ptr_array_unref(errs);
	g_free(conf);
}

/* Write a config with one queue plus extra into the temp folder. */
static char *
write_conf(const char *extra)
{
	char *path = g_build_filename(tmpdir, "t.conf", NULL);
	char *text = g_strdup_printf("queues = ( { name = \"Support\"; "
	    "address = \"support@example.com\"; } );\n%s\n", extra);

	g_file_set_contents(path, text, -1, NULL);
	g_free(text);
	return path;
}

/* The first error with the file name cut, or "" when it loaded. */
static char *
first_error(const char *path, struct pd_config **cfg_r)
{
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg = config_load(path, errs);
	char *r = g_strdup("");

	if (errs->len) {
		const char *e = errs->pdata[0];
		g_free(r);
		r = g_strdup(g_str_has_prefix(e, path) ? e + strlen(path) : e);
	}
	g_ptr_array_unref(errs);
	if (cfg_r)
		*cfg_r = cfg;
	else
		config_free(cfg);
	return r;
}

static void
test_days_hours(void)
{
	static const struct {
		const char *days;
		int mask;		/* -1: refused */
	} days[] = {
		{ "Mon-Fri", 0x1f }, { "Mon-Sun", 0x7f }, { "Mon,Wed,Fri", 0x15 },
		{ "sat-sun", 0x60 }, { "Fri-Mon", 0x71 }, { "Sun", 0x40 },
		{ " Mon , Tue ", 0x03 }, { "Mon-Tue,Thu", 0x0b },
		{ "Mon - Fri", 0x1f },
		{ "Mon-Fry", -1 }, { "", -1 }, { "Monday", -1 }, { "Mon,", -1 },
		{ "Mon--Fri", -1 }, { "1-5", -1 },
	};
	static const struct {
		const char *hours;
		int start, end;		/* start -1: refused */
	} hours[] = {
		{ "09:00-17:00", 540, 1020 }, { "00:00-24:00", 0, 1440 },
		{ "8:15 - 12:45", 495, 765 }, { "23:59-24:00", 1439, 1440 },
		{ "17:00-09:00", -1, 0 }, { "09:00-09:00", -1, 0 },
		{ "9-17", -1, 0 }, { "09:60-17:00", -1, 0 },
		{ "24:30-25:00", -1, 0 }, { "09:00-17:00x", -1, 0 },
		{ "09:00", -1, 0 }, { "", -1, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(days); i++) {
		char *extra = g_strdup_printf("working_hours = { days = \"%s\"; };",
		    days[i].days);
		char *path = write_conf(extra), *err, *want;
		struct pd_config *cfg;

		err = first_error(path, &cfg);
		if (days[i].mask < 0) {
			want = g_strdup_printf(":2: working_hours.days: bad days "
			    "\"%s\" (use Mon-Fri or Mon,Wed,Fri)", days[i].days);
			TEST_STR(err, want, "days \"%s\" refused", days[i].days);
			g_free(want);
		} else
			TEST_INT(cfg ? cfg->hours.days : -1, days[i].mask,
			    "days \"%s\"", days[i].days);
		config_free(cfg);
		g_free(err);
		g_free(path);
		g_free(extra);
	}
	for (i = 0; i < G_N_ELEMENTS(hours); i++) {
		char *extra = g_strdup_printf("working_hours = { hours = \"%s\"; };",
		    hours[i].hours);
		char *path = write_conf(extra), *err, *want;
		struct pd_config *cfg;

		err = first_error(path, &cfg);
		if (hours[i].start < 0) {
			want = g_strdup_printf(":2: working_hours.hours: bad hours "
			    "\"%s\" (use 09:00-17:00, start before end)",
			    hours[i].hours);
			TEST_STR(err, want, "hours \"%s\" refused", hours[i].hours);
			g_free(want);
		} else {
			TEST_INT(cfg ? cfg->hours.start_min : -1, hours[i].start,
			    "hours \"%s\" start", hours[i].hours);
			TEST_INT(cfg ? cfg->hours.end_min : -1, hours[i].end,
			    "hours \"%s\" end", hours[i].hours);
		}
		config_free(cfg);
		g_free(err);
		g_free(path);
		g_free(extra);
	}
}

/* Secret files must be private; the error names the mode. */
static void
test_secret_modes(void)
{
	static const struct {
		const char *key;	/* config text, %s is the file */
		int mode;		/* -1: file absent */
		const char *want;	/* %s is the file; "" loads */
	} rows[] = {
		{ "smtp = { password_file = \"%s\"; };", 0600, "" },
		{ "smtp = { password_file = \"%s\"; };", 0400, "" },
		{ "smtp = { password_file = \"%s\"; };", 0644,
		  ":2: smtp.password_file %s is readable by others (mode 0644): "
		  "chmod 600 it" },
		{ "smtp = { password_file = \"%s\"; };", 0640,
		  ":2: smtp.password_file %s is readable by its group "
		  "(mode 0640): chmod 600 it" },
		{ "smtp = { password_file = \"%s\"; };", 0620,
		  ":2: smtp.password_file %s is writable by group or others "
		  "(mode 0620): chmod 600 it" },
		{ "smtp = { password_file = \"%s\"; };", -1,
		  ":2: smtp.password_file: %s: No such file or directory" },
		{ "mailboxes = ( { name = \"m\"; url = \"imap://h/INBOX\"; "
		  "password_file = \"%s\"; } );", 0604,
		  ":2: mailboxes[0].password_file %s is readable by others "
		  "(mode 0604): chmod 600 it" },
		{ "secret_file = \"%s\";", 0600, "" },
		{ "secret_file = \"%s\";", -1, "" },
		{ "secret_file = \"%s\";", 0644,
		  ":2: secret_file %s is readable by others (mode 0644): "
		  "chmod 600 it" },
	};
	char *file = g_build_filename(tmpdir, "pass", NULL);
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *extra, *path, *err, *want;

		unlink(file);
		if (rows[i].mode >= 0) {
			g_file_set_contents(file, "hunter2\n", -1, NULL);
			chmod(file, (mode_t)rows[i].mode);
		}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		extra = g_strdup_printf(rows[i].key, file);
		want = g_strdup_printf(rows[i].want, file);
#pragma GCC diagnostic pop
		path = write_conf(extra);
		err = first_error(path, NULL);
		TEST_STR(err, want, "secret row %zu (mode %o)", i, rows[i].mode);
		g_free(err);
		g_free(want);
		g_free(path);
		g_free(extra);
	}
	/* Relative password files are taken from the config's folder. */
	{
		struct pd_config *cfg;
		char *path, *err;

		g_file_set_contents(file, "x", -1, NULL);
		chmod(file, 0600);
		path = write_conf("smtp = { password_file = \"pass\"; };");
		err = first_error(path, &cfg);
		TEST_STR(err, "", "relative password_file loads");
		TEST_STR(cfg ? cfg->smtp.password_file : NULL, file,
		    "relative password_file resolved");
		config_free(cfg);
		g_free(err);
		g_free(path);
	}
	unlink(file);
	g_free(file);
}

/* lmtp: paths made absolute under the config's folder, addresses kept
 * in one form, the defaults. */
static void
test_lmtp(void)
{
	char *path = write_conf("lmtp = { listen = [ \"unix:lmtp.sock\", "
	    "\"127.0.0.1:2424\", \"[::1]:24\", \"unix:/run/pd/l.sock\", "
	    "\"192.0.2.7:24\" ]; timeout = \"2m\"; };");
	struct pd_config *cfg;
	char *err = first_error(path, &cfg), *want;

	TEST_STR(err, "", "lmtp: loads");
	if (cfg) {
		TEST_INT(cfg->lmtp.listen->len, 5, "lmtp: five addresses");
		want = g_strdup_printf("unix:%s/lmtp.sock", tmpdir);
		TEST_STR(cfg->lmtp.listen->pdata[0], want, "lmtp: unix path under the folder");
		g_free(want);
		TEST_STR(cfg->lmtp.listen->pdata[1], "inet:127.0.0.1:2424", "lmtp: IPv4");
		TEST_STR(cfg->lmtp.listen->pdata[2], "inet:[::1]:24", "lmtp: IPv6");
		TEST_STR(cfg->lmtp.listen->pdata[3], "unix:/run/pd/l.sock", "lmtp: absolute path");
		TEST_STR(cfg->lmtp.listen->pdata[4], "inet:192.0.2.7:24",
		    "lmtp: an address the sysadmin names");
		TEST_INT(cfg->lmtp.max_connections, DEF_LMTP_MAX_CONNECTIONS,
		    "lmtp: max_connections default");
		TEST_INT(cfg->lmtp.timeout, 120, "lmtp: timeout");
	}
	config_free(cfg);
	g_free(err);
	g_free(path);
	err = first_error(path = write_conf(""), &cfg);
	TEST_INT(cfg ? (int)cfg->lmtp.listen->len : -1, 0, "lmtp: none without the group");
	config_free(cfg);
	g_free(err);
	g_free(path);
	err = first_error(path = write_conf("lmtp = { max_connections = 4; };"), NULL);
	TEST_STR(err, ":2: lmtp: missing required key 'listen'", "lmtp: listen required");
	g_free(err);
	g_free(path);
}

static void
test_path_and_priorities(void)
{
	static const struct {
		const char *name;
		int prio;
	} prios[] = {
		{ "low", PRIO_LOW }, { "normal", PRIO_NORMAL },
		{ "high", PRIO_HIGH }, { "urgent", PRIO_URGENT },
		{ "URGENT", PRIO_URGENT }, { "critical", -1 }, { "", -1 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(prios); i++) {
		TEST_INT(ticket_priority_from_name(prios[i].name), prios[i].prio,
		    "ticket_priority_from_name(%s)", prios[i].name);
		if (prios[i].prio >= 0 && i < PRIO_COUNT)
			TEST_STR(ticket_priority_name(prios[i].prio), prios[i].name,
			    "ticket_priority_name(%d)", prios[i].prio);
	}
	TEST_STR(ticket_priority_name(PRIO_COUNT), "normal",
	    "priority_name out of range");
	TEST_INT(ticket_priority_from_name(NULL), -1, "ticket_priority_from_name(NULL)");

	unsetenv("POSTDESK_CONF");
	TEST_STR(config_path(NULL), PD_DEFAULT_CONF, "default path");
	TEST_STR(config_path("/x.conf"), "/x.conf", "explicit path");
	setenv("POSTDESK_CONF", "/env.conf", 1);
	TEST_STR(config_path(NULL), "/env.conf", "POSTDESK_CONF");
	TEST_STR(config_path("/x.conf"), "/x.conf", "explicit beats env");
	TEST_STR(config_path(""), "/env.conf", "empty explicit ignored");
	unsetenv("POSTDESK_CONF");
}

int
main(void)
{
	char *tmpl = g_build_filename(g_get_tmp_dir(), "pdcfg-XXXXXX", NULL);

	confdir = test_src("tests/conf");
	if (!g_path_is_absolute(confdir)) {
		char *abs = g_canonicalize_filename(confdir, NULL);
		g_free(confdir);
		confdir = abs;
	}
	tmpdir = g_mkdtemp(tmpl);
	test_bad_fixtures();
	test_many_at_once();
	test_missing_file();
	test_minimal();
	test_full();
	test_sample();
	test_days_hours();
	test_secret_modes();
	test_path_and_priorities();
	test_lmtp();
	{
		char *t = g_build_filename(tmpdir, "t.conf", NULL);
		unlink(t);
		g_free(t);
	}
	rmdir(tmpdir);
	g_free(tmpdir);
	g_free(confdir);
	return test_done();
}

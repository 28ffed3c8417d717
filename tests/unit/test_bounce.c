/* test_bounce.c: our fixtures asserted exactly; the sisimai corpus for
 * detection of every file and a floor on statuses read right. */
#include <stdlib.h>

#include "test.h"
#include "bounce.h"

/* Statuses read right in the corpus when this was written: a floor,
 * so a regression fails.  Raise it when the parser improves. */
#define CORPUS_STATUS_FLOOR	212

/* Corpus files that are not bounces a helpdesk should treat as such:
 * arf-26 is Apple Mail's List-Unsubscribe request (an auto-reply) and
 * lhost-fml-02 a mailing list's "you are not a member" answer; both are
 * automatic mail (classify.c).  lhost-sendmail-14, a bounce forwarded by
 * hand, is read as the bounce it carries. */
static const char *const not_bounces[] = {
	"arf-26.eml", "lhost-fml-02.eml",
};

static struct pd_message *
parse_file(const char *path)
{
	gchar *raw = NULL;
	gsize len = 0;
	struct pd_message *msg = NULL;
	char *error = NULL;

	if (!g_file_get_contents(path, &raw, &len, NULL))
		return NULL;
	if (message_parse(raw, len, test_parse_limits(), &msg, &error) == -1) {
		printf("# %s: %s\n", path, error);
		g_free(error);
		msg = NULL;
	}
	g_free(raw);
	return msg;
}

static char *
describe(const struct pd_bounce *b)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "feedback %d\n", b->feedback);
	for (guint i = 0; i < b->rcpts->len; i++) {
		const struct pd_bounce_rcpt *r = b->rcpts->pdata[i];

		g_string_append_printf(s, "rcpt %s %s %d %d %s\n",
		    r->recipient ? r->recipient : "-", r->status ? r->status : "-",
		    r->reply_code, r->permanent, r->action ? r->action : "-");
	}
	for (guint i = 0; i < b->message_ids->len; i++)
		g_string_append_printf(s, "id %s\n", (char *)b->message_ids->pdata[i]);
	return g_string_free(s, FALSE);
}

static void
test_fixtures(void)
{
	static const char *const names[] = {
		"postfix-dsn", "exim-text", "qmail", "arf",
		/* issue 9: success and delay DSNs, a transcript's 250 lines,
		 * wording in other languages */
		"success-dsn", "delay-dsn", "transcript", "german", "japanese",
		"chinese", "returning",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *rel = g_strdup_printf("tests/mail/bounce/%s.eml", names[i]);
		char *path = test_src(rel);
		char *exp_path = g_strndup(path, strlen(path) - 4);
		char *exp_file = g_strconcat(exp_path, ".expected", NULL);
		char *want = NULL, *got;
		struct pd_message *msg = parse_file(path);
		struct pd_bounce *b;
		int ok;

		TEST_OK(msg != NULL, "%s parses", names[i]);
		ok = g_file_get_contents(exp_file, &want, NULL, NULL);
		TEST_OK(ok, "%s.expected read", names[i]);
		if (msg != NULL && want != NULL) {
			TEST_INT(bounce_detect(msg, NULL), 1, "%s detected", names[i]);
			b = bounce_parse(msg);
			got = describe(b);
			TEST_STR(got, want, "%s parsed", names[i]);
			g_free(got);
			bounce_free(b);
		}
		if (msg)
			message_free(msg);
		g_free(want);
		g_free(exp_file);
		g_free(exp_path);
		g_free(path);
		g_free(rel);
	}
}

/* Ordinary and automatic mail that must not be taken for bounces. */
static void
test_not_bounces(void)
{
	static const struct {
		const char *name;
		const char *raw;
	} rows[] = {
		{ "customer mail mentioning delivery",
		  "From: carol@customer.example\nTo: support@example.com\n"
		  "Subject: Delivery failed for my parcel\n\n"
		  "My parcel could not be delivered, error 550 on the tracking page.\n" },
		{ "vacation reply with null return path",
		  "Return-Path: <>\nFrom: dave@customer.example\nTo: support@example.com\n"
		  "Auto-Submitted: auto-replied\nSubject: Out of office\n\nI am away.\n" },
		{ "postmaster writing as a person",
		  "From: postmaster@customer.example\nTo: support@example.com\n"
		  "Subject: Question about your SPF record\n\nHello, please check your SPF.\n" },
		{ "a forwarded message",
		  "From: erin@customer.example\nTo: support@example.com\nSubject: Fwd: invoice\n"
		  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n"
		  "--x\nContent-Type: text/plain\n\nSee below.\n"
		  "--x\nContent-Type: message/rfc822\n\nFrom: a@b.example\nSubject: invoice\n"
		  "Message-ID: <1@b.example>\n\nhi\n--x--\n" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct pd_message *msg = NULL;
		char *error = NULL;

		TEST_INT(message_parse(rows[i].raw, strlen(rows[i].raw), test_parse_limits(), &msg,
		    &error), 0, "%s parses", rows[i].name);
		if (msg == NULL) {
			g_free(error);
			continue;
		}
		TEST_INT(bounce_detect(msg, NULL), 0, "%s is not a bounce", rows[i].name);
		message_free(msg);
	}
}

static int
is_listed(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(not_bounces); i++)
		if (strcmp(name, not_bounces[i]) == 0)
			return 1;
	return 0;
}

/* expected.tsv: file go_file go_test engine label index status replycode ... */
static void
test_corpus(void)
{
	char *dir = test_src("../shared/corpus/bounces");
	char *tsv = g_build_filename(dir, "expected.tsv", NULL);
	char *auto_dir = test_src("../shared/corpus/autoreplies");
	GHashTable *parsed = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, (GDestroyNotify)bounce_free);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	char *contents = NULL, **lines;
	const char *name;
	GDir *d;
	int rows = 0, right = 0;

	if ((d = g_dir_open(dir, 0, NULL)) == NULL) {
		printf("# skip: no corpus at %s\n", dir);
		goto out;
	}
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	TEST_OK(names->len > 200, "%u corpus bounces", names->len);
	for (guint i = 0; i < names->len; i++) {
		char *path = g_build_filename(dir, names->pdata[i], NULL);
		struct pd_message *msg = parse_file(path);

		TEST_OK(msg != NULL, "%s parses", (char *)names->pdata[i]);
		if (msg != NULL) {
			if (is_listed(names->pdata[i]))
				TEST_INT(bounce_detect(msg, NULL), 0, "%s is not a bounce",
				    (char *)names->pdata[i]);
			else
				TEST_INT(bounce_detect(msg, NULL), 1, "%s is a bounce",
				    (char *)names->pdata[i]);
			g_hash_table_insert(parsed, g_strdup(names->pdata[i]),
			    bounce_parse(msg));
			message_free(msg);
		}
		g_free(path);
	}

	if (g_file_get_contents(tsv, &contents, NULL, NULL)) {
		lines = g_strsplit(contents, "\n", -1);
		for (int i = 0; lines[i]; i++) {
			char **f;
			struct pd_bounce *b;
			const struct pd_bounce_rcpt *r = NULL;
			int idx;

			if (lines[i][0] == '#' || g_str_has_prefix(lines[i], "file\t"))
				continue;
			f = g_strsplit(lines[i], "\t", -1);
			if (g_strv_length(f) < 8 || *f[6] == '\0') {
				g_strfreev(f);
				continue;
			}
			rows++;
			idx = atoi(f[5]);
			b = g_hash_table_lookup(parsed, f[0]);
			if (b && b->rcpts->len > 0)
				r = b->rcpts->pdata[idx >= 1 && (guint)idx <= b->rcpts->len ?
				    idx - 1 : 0];
			if (r && r->status && strcmp(r->status, f[6]) == 0)
				right++;
			else
				printf("# %s[%d]: got %s want %s\n", f[0], idx,
				    r && r->status ? r->status : "-", f[6]);
			g_strfreev(f);
		}
		g_strfreev(lines);
		g_free(contents);
		printf("# statuses right: %d of %d\n", right, rows);
		TEST_OK(right >= CORPUS_STATUS_FLOOR, "corpus statuses right %d >= %d",
		    right, CORPUS_STATUS_FLOOR);
	}

	/* auto-replies and ordinary mail are no bounces */
	if ((d = g_dir_open(auto_dir, 0, NULL)) != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *path;
			struct pd_message *msg;

			if (!g_str_has_suffix(name, ".eml"))
				continue;
			path = g_build_filename(auto_dir, name, NULL);
			msg = parse_file(path);
			TEST_OK(msg != NULL, "%s parses", name);
			if (msg) {
				TEST_INT(bounce_detect(msg, NULL), 0, "%s is not a bounce", name);
				message_free(msg);
			}
			g_free(path);
		}
		g_dir_close(d);
	}
out:
	g_hash_table_destroy(parsed);
	g_ptr_array_free(names, TRUE);
	g_free(auto_dir);
	g_free(tsv);
	g_free(dir);
}

int
main(void)
{
	message_init();
	test_fixtures();
	test_not_bounces();
	test_corpus();
	return test_done();
}

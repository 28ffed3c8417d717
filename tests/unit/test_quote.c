/* test_quote.c: reply stripping, on a table of small replies, on the
 * talon corpus (real clients), on the email_reply_parser corpus with
 * our expected results in tests/mail/quote/, and on a 767 KB quote. */
#include "test.h"
#include "message.h"
#include "quote.h"

static const struct {
	const char	*in;
	const char	*sig;
	const char	*want;
} rows[] = {
	{ "", NULL, "" },
	{ "Just text.\n", NULL, "Just text." },
	{ "\n\n  Hello  \n\n\n", NULL, "Hello" },
	{ "Thanks!\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:\n\n> Hi\n> there\n",
	    NULL, "Thanks!" },
	{ "Thanks!\r\n\r\nOn Mon, Apr 2, 2012 at 6:26 PM, Bob <bob@example.com> wrote:\r\n> Hi\r\n",
	    NULL, "Thanks!" },
	/* attribution wrapped over two lines */
	{ "Yes.\n\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris Wanstrath <\nchris@example.com> wrote:\n> Steps 0-2\n",
	    NULL, "Yes." },
	{ "Merci.\n\nLe 2 avr. 2012 à 14:20, Bob <bob@example.com> a écrit :\n\n> Salut\n",
	    NULL, "Merci." },
	{ "Danke.\n\nAm 02.04.2012 um 14:20 schrieb Bob <bob@example.com>:\n\n> Hallo\n",
	    NULL, "Danke." },
	{ "Gracias.\n\nEl 2 abr 2012, a las 14:20, Bob <bob@example.com> escribió:\n> Hola\n",
	    NULL, "Gracias." },
	/* unknown language: a line with a date ending in ':' above a quote */
	{ "Ok\n2012/04/02 Bob <bob@example.com>:\n> Hi\n", NULL, "Ok" },
	{ "Done.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Support\nSubject: Help\n\nHi\n",
	    NULL, "Done." },
	{ "Done.\n\n----- Original Message -----\nFrom: Bob\nHi\n", NULL, "Done." },
	{ "Done.\n________________________________\nFrom: Bob <bob@example.com>\nHi\n",
	    NULL, "Done." },
	{ "Done.\n\nFrom: Bob [mailto:bob@example.com]\nSent: Monday, March 9, 2012 4:22 PM\nTo: Support\nSubject: Help\n\nHi\n",
	    NULL, "Done." },
	{ "Done.\n\n*From:* Bob\n*Sent:* Monday\n*To:* Support\n*Subject:* Help\n",
	    NULL, "Done." },
	/* a From: line alone is text */
	{ "From: the billing team\nYour invoice is attached.\n", NULL,
	    "From: the billing team\nYour invoice is attached." },
	{ "Reply\n\n> quoted\n> more\n\n", NULL, "Reply" },
	/* bottom posting */
	{ "On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello\n", NULL, "Hello" },
	/* interleaved answers keep their context */
	{ "> Question one?\nAnswer one.\n\n> Question two?\nAnswer two.\n\n> bye\n",
	    NULL, "> Question one?\nAnswer one.\n\n> Question two?\nAnswer two." },
	/* a wrapped quote line is still quote */
	{ "Sure.\n\n> a long line that was\nwrapped by the client\n> and went on\n",
	    NULL, "Sure." },
	{ "Regards\n-- \nAlice\nExample Corp\n", NULL, "Regards" },
	{ "Regards\n--\nAlice\n", NULL, "Regards" },
	{ "Fixed -- see the log.\n", NULL, "Fixed -- see the log." },
	{ "Hello\n\nSent from my iPhone\n", NULL, "Hello" },
	{ "Hello\n\nSent from my Verizon Wireless BlackBerry\n", NULL, "Hello" },
	{ "Hello\n\nGet Outlook for iOS\n\nOn Monday, Jan 5, 2026, Bob <b@x.org> wrote:\n> x\n",
	    NULL, "Hello" },
	{ "Hello\n\nSent from my desk, is much easier.\n", NULL,
	    "Hello\n\nSent from my desk, is much easier." },
	{ "Sent from my iPhone\n", NULL, "Sent from my iPhone" },
	/* the staff member's configured signature */
	{ "Fixed.\n\nAlice Smith\n  Support team  \n\n> old\n",
	    "Alice Smith\nSupport team\n", "Fixed." },
	{ "Fixed.\n\nAlice Smith\nSales team\n", "Alice Smith\nSupport team",
	    "Fixed.\n\nAlice Smith\nSales team" },
	/* "On ..." that is not an attribution */
	{ "On your host run:\n\n    telnet 127.0.0.1 52698\n", NULL,
	    "On your host run:\n\n    telnet 127.0.0.1 52698" },
	{ "On Monday I wrote:\nthe patch is fine\n", NULL,
	    "On Monday I wrote:\nthe patch is fine" },
	/* unquoted original under an attribution */
	{ "Ok.\n\nOn 2 Jan 2026, at 10:00, Bob <b@x.org> wrote:\nHi, can you help?\n",
	    NULL, "Ok." },
	/* everything is quote: the trimmed original */
	{ "\n> only a quote\n> here\n\n", NULL, "> only a quote\n> here" },
	{ "Hi\n\n_______________________________________________\nfoo-users mailing list\nfoo@lists.example.org\n",
	    NULL, "Hi" },
};

/* The decoded body text of a mail, as intake hands it to quote_strip. */
static char *
eml_text(const char *path)
{
	struct pd_message *msg = NULL;
	char *raw = NULL, *err = NULL, *text;
	gsize len;

	if (!g_file_get_contents(path, &raw, &len, NULL))
		return NULL;
	if (message_parse(raw, len, NULL, &msg, &err) == -1) {
		printf("# %s: %s\n", path, err);
		g_free(err);
		g_free(raw);
		return NULL;
	}
	text = g_strdup(msg->text);
	message_free(msg);
	g_free(raw);
	return text;
}

static char *
read_text(const char *path)
{
	char *s = NULL;

	if (!g_file_get_contents(path, &s, NULL, NULL))
		return NULL;
	return s;
}

/* Every standard reply: the visible reply is "Hello" unless
 * NAME_reply_text gives it (talon keeps the signature in it). */
static void
talon(const char *corpus)
{
	static const char *const names[] = {
		"android", "aol", "apple_mail", "apple_mail_2", "comcast",
		"gmail", "hotmail", "iphone", "outlook", "sparrow",
		"thunderbird", "yahoo",
	};
	char *dir = g_build_filename(corpus, "replies/talon/standard_replies",
	    NULL);
	size_t i;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		printf("# skip talon corpus: %s absent\n", dir);
		g_free(dir);
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		char *eml = g_strdup_printf("%s/%s.eml", dir, names[i]);
		char *rt = g_strdup_printf("%s/%s_reply_text", dir, names[i]);
		char *body = eml_text(eml), *want = read_text(rt), *got;

		TEST_OK(body != NULL, "talon %s: body", names[i]);
		if (body != NULL) {
			got = quote_strip(body, NULL);
			TEST_STR(got, "Hello", "talon %s: quote_strip", names[i]);
			g_free(got);
			got = quote_strip_quotes(body);
			TEST_STR(got, want ? g_strchomp(want) : "Hello",
			    "talon %s: quote_strip_quotes", names[i]);
			g_free(got);
		}
		g_free(body);
		g_free(want);
		g_free(eml);
		g_free(rt);
	}
	g_free(dir);
}

/* tests/mail/quote/NAME.expected is what quote_strip gives for the
 * corpus file replies/github/NAME.txt. */
static void
github(const char *corpus)
{
	char *dir = g_build_filename(corpus, "replies/github", NULL);
	char *fixtures = test_src("tests/mail/quote");
	GDir *d;
	const char *f;
	int count = 0;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		printf("# skip github corpus: %s absent\n", dir);
		g_free(dir);
		g_free(fixtures);
		return;
	}
	d = g_dir_open(fixtures, 0, NULL);
	TEST_OK(d != NULL, "open %s", fixtures);
	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		char *name, *in, *exp, *text, *want, *got;

		if (!g_str_has_suffix(f, ".expected"))
			continue;
		name = g_strndup(f, strlen(f) - strlen(".expected"));
		in = g_strdup_printf("%s/%s.txt", dir, name);
		exp = g_build_filename(fixtures, f, NULL);
		text = read_text(in);
		want = read_text(exp);
		TEST_OK(text != NULL && want != NULL, "github %s: files", name);
		if (text != NULL && want != NULL) {
			got = quote_strip(text, NULL);
			TEST_STR(got, g_strchomp(want), "github %s", name);
			g_free(got);
		}
		count++;
		g_free(name);
		g_free(in);
		g_free(exp);
		g_free(text);
		g_free(want);
	}
	if (d != NULL)
		g_dir_close(d);
	TEST_INT(count, 16, "github fixtures found");
	g_free(dir);
	g_free(fixtures);
}

/* A 767 KB line of '>' must not make anything quadratic. */
static void
long_quote(const char *corpus)
{
	char *path = g_build_filename(corpus,
	    "replies/github/email_long_quote.txt", NULL);
	char *text = read_text(path), *got, *cut;
	gint64 t0, t1;

	if (text == NULL) {
		printf("# skip long quote: %s absent\n", path);
		g_free(path);
		return;
	}
	t0 = g_get_monotonic_time();
	got = quote_strip(text, "a signature\nthat is not there");
	t1 = g_get_monotonic_time();
	/* the answer sits between the quotes, the list footer goes */
	cut = strstr(text, "\n\n\n____");
	TEST_OK(cut != NULL, "long quote: footer found");
	if (cut != NULL) {
		*cut = '\0';
		TEST_STR(got, text, "long quote: text kept, footer cut");
		TEST_INT(strlen(got), 766731, "long quote: length");
	}
	TEST_OK(t1 - t0 < 500000, "long quote in %lld us",
	    (long long)(t1 - t0));
	g_free(got);
	g_free(text);
	g_free(path);
}

int
main(void)
{
	char *corpus = test_src("../shared/corpus");
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *got = quote_strip(rows[i].in, rows[i].sig);

		TEST_STR(got, rows[i].want, "row %zu", i);
		g_free(got);
	}
	{
		char *got = quote_strip(NULL, NULL);

		TEST_STR(got, "", "NULL text");
		g_free(got);
	}

	message_init();
	talon(corpus);
	github(corpus);
	long_quote(corpus);
	g_free(corpus);
	return test_done();
}

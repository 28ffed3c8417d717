/* test_quote.c: reply stripping, on a table of small replies, on the
 * talon corpus (real clients), on the email_reply_parser corpus with
 * our expected results in tests/mail/quote/, and on a 767 KB quote. */
#include <string.h>

#include "test.h"
#include "html.h"
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
	/* Spanish Outlook: "Enviado el:" */
	{ "Listo.\n\nDe: Ana <ana@x.org>\nEnviado el: lunes, 5 de enero de 2026 10:00\nPara: Soporte\nAsunto: Ayuda\n\nHola\n",
	    NULL, "Listo." },
	/* Outlook's header flattened onto one line */
	{ "Done.\n\nFrom: Bob <b@x.org> Sent: Monday, January 5, 2026 10:00 To: Support Subject: Help\n\nHi\n",
	    NULL, "Done." },
	{ "From: the shop Sent: nothing yet\n", NULL, "From: the shop Sent: nothing yet" },
	/* attributions seen in the wild */
	{ "Ok.\n\nsu, 2025-09-28 kello 11:07 +0000, Eeva Esimerkki kirjoitti:\n> hei\n", NULL, "Ok." },
	{ "Ok.\n\nTue, Apr 23, 2024 at 04:36:20PM -0700, Jo Doe kirjoitti:\n> hi\n", NULL, "Ok." },
	{ "Ок.\n\nИван Петров <ivan@x.org> написал(а):\n> привет\n", NULL, "Ок." },
	{ "Ok.\n\nW dniu śr., 8 sty 2025 o 09:15 Jan Kowalski <jan@x.org> napisał(a):\nCześć\n", NULL, "Ok." },
	/* a From: line alone is text */
	{ "From: the billing team\nYour invoice is attached.\n", NULL,
	    "From: the billing team\nYour invoice is attached." },
	/* a quote nothing explains stays: it may be the customer's log */
	{ "Reply\n\n> quoted\n> more\n\n", NULL, "Reply\n\n> quoted\n> more" },
	/* bottom posting */
	{ "On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello\n", NULL, "Hello" },
	/* interleaved answers stay, the quote between them goes */
	{ "On 04/02/2012 06:26 PM, Megan <m@x.org> wrote:\n> Question one?\nAnswer one.\n\n> Question two?\nAnswer two.\n\n> bye\n",
	    NULL, "Answer one.\n\nAnswer two." },
	/* without an attribution nothing says it is a quote */
	{ "> Question one?\nAnswer one.\n", NULL, "> Question one?\nAnswer one." },
	/* a wrapped quote line is still quote */
	{ "Sure.\n\nOn 2 Jan 2026, at 10:00, Bob <b@x.org> wrote:\n> a long line that was\nwrapped by the client\n> and went on\n",
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


/* What quote_visible reports, for intake to rely on. */
static const struct {
	const char	*in;
	unsigned	 opts;
	const char	*want;
	unsigned	 flags;
} flag_rows[] = {
	{ "Just text.\n", 0, "Just text.", 0 },
	{ "", 0, "", QUOTE_EMPTY },
	{ "On Mon, Jan 5, 2026 at 10:00 AM Bob <b@x.org> wrote:\n> hi\n", 0, "",
	    QUOTE_CUT | QUOTE_EMPTY },
	{ "\n\n-- \nAlice\n", 0, "", QUOTE_SIG | QUOTE_EMPTY },
	{ "Ok\n\nOn Mon, Jan 5, 2026 at 10:00 AM Bob <b@x.org> wrote:\n> hi\n", 0, "Ok",
	    QUOTE_CUT },
	{ "Ok\n\nSent from my iPhone\n", 0, "Ok", QUOTE_SIG },
	{ "Ok\n\nSent from my iPhone\n", QUOTE_KEEP_SIG, "Ok\n\nSent from my iPhone", 0 },
	{ "Ok\n\n> what I saw\n", 0, "Ok\n\n> what I saw", QUOTE_UNSURE },
	/* an Outlook forward ("FW:" subject) is read whole */
	{ "See below.\n\nFrom: Supplier <o@s.example>\nSent: Monday\nTo: me\nSubject: Order\n\nLate.\n",
	    QUOTE_IS_FORWARD,
	    "See below.\n\nFrom: Supplier <o@s.example>\nSent: Monday\nTo: me\nSubject: Order\n\nLate.",
	    QUOTE_FORWARD },
	{ "See below.\n\n---------- Forwarded message ---------\nFrom: S <o@s.example>\n\nLate.\n", 0,
	    "See below.\n\n---------- Forwarded message ---------\nFrom: S <o@s.example>\n\nLate.",
	    QUOTE_FORWARD },
};

static const struct {
	const char	*subject;
	int		 fwd;
} subjects[] = {
	{ "Fwd: Order 4711", 1 }, { "FW: Order", 1 }, { "WG: Bestellung", 1 },
	{ "TR: Commande", 1 }, { "RV: Pedido", 1 }, { "[Fwd: x]", 1 },
	{ "Пересл: заказ", 1 }, { "转发：订单", 1 }, { "Re: Order", 0 },
	{ "AW: Bestellung", 0 }, { "Order: late", 0 }, { NULL, 0 }, { "", 0 },
};

/* Whitespace runs as one space: "close" when only layout differs. */
static char *
squeeze(const char *s)
{
	GString *o = g_string_new(NULL);
	int sp = 0;

	for (; *s; s++) {
		if (g_ascii_isspace(*s)) {
			sp = 1;
			continue;
		}
		if (sp && o->len > 0)
			g_string_append_c(o, ' ');
		sp = 0;
		g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

struct tally {
	const char	*set;
	int		 exact, close, wrong;
};

static void
tally_add(struct tally *t, const char *got, const char *want)
{
	char *a, *b;

	if (strcmp(got, want) == 0) {
		t->exact++;
		return;
	}
	a = squeeze(got);
	b = squeeze(want);
	if (strcmp(a, b) == 0)
		t->close++;
	else
		t->wrong++;
	g_free(a);
	g_free(b);
}

static void
tally_print(const struct tally *t)
{
	printf("# %s: %d exact, %d close, %d wrong\n", t->set, t->exact,
	    t->close, t->wrong);
}

/* The decoded body text of a mail, as intake hands it to quote_strip. */
static char *
eml_text(const char *path)
{
	struct pd_message *msg = NULL;
	char *raw = NULL, *err = NULL, *text;
	gsize len;

	if (!g_file_get_contents(path, &raw, &len, NULL))
		return NULL;
	if (message_parse(raw, len, test_parse_limits(), &msg, &err) == -1) {
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

/* The text quote_visible sees for a fixture: HTML is rendered first. */
static char *
fixture_text(const char *path)
{
	char *raw = read_text(path), *t;

	if (raw == NULL || !g_str_has_suffix(path, ".html"))
		return raw;
	t = html_to_text(raw, strlen(raw));
	g_free(raw);
	return t;
}

/*
 * tests/mail/quote/NAME.txt or NAME.html with NAME.visible: every
 * client x language reply, and the false positives kept whole.
 */
static void
fixtures(void)
{
	char *dir = test_src("tests/mail/quote");
	struct tally t = { "fixtures", 0, 0, 0 };
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;
	int n = 0, langs = 0, keep = 0;

	TEST_OK(d != NULL, "open %s", dir);
	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		char *name, *path, *vpath, *text, *want, *got;
		unsigned flags;

		if (!g_str_has_suffix(f, ".txt") && !g_str_has_suffix(f, ".html"))
			continue;
		name = g_strndup(f, strrchr(f, '.') - f);
		path = g_build_filename(dir, f, NULL);
		vpath = g_strdup_printf("%s/%s.visible", dir, name);
		text = fixture_text(path);
		want = read_text(vpath);
		TEST_OK(text != NULL && want != NULL, "fixture %s: files", f);
		if (text != NULL && want != NULL) {
			g_strchomp(want);
			got = quote_visible(text, NULL, QUOTE_SIGNOFF, &flags);
			TEST_STR(got, want, "fixture %s", f);
			tally_add(&t, got, want);
			if (g_str_has_prefix(name, "keep-")) {
				keep++;
				TEST_OK(!(flags & QUOTE_CUT), "fixture %s: nothing cut", f);
			}
			if (strlen(name) > 3 && name[2] == '-')
				langs++;
			g_free(got);
			n++;
		}
		g_free(name);
		g_free(path);
		g_free(vpath);
		g_free(text);
		g_free(want);
	}
	if (d != NULL)
		g_dir_close(d);
	tally_print(&t);
	/* 19 languages x (16 plain + 8 HTML clients) */
	TEST_INT(langs, 19 * 24, "fixtures: client x language");
	TEST_INT(keep, 15, "fixtures: false positives kept whole");
	TEST_INT(t.exact, n, "fixtures: all %d exact", n);
	g_free(dir);
}

/* Every standard reply: the visible reply is "Hello" unless
 * NAME_reply_text gives it (talon keeps the signature in it). */
static void
talon(const char *corpus)
{
	char *dir = g_build_filename(corpus, "replies/talon/standard_replies",
	    NULL);
	struct tally t = { "talon standard_replies", 0, 0, 0 };
	struct tally ts = { "talon standard_replies, signatures kept", 0, 0, 0 };
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;
	int n = 0;

	if (d == NULL) {
		printf("# skip talon corpus: %s absent\n", dir);
		g_free(dir);
		return;
	}
	while ((f = g_dir_read_name(d)) != NULL) {
		char *name, *eml, *rt, *body, *want, *got;

		if (!g_str_has_suffix(f, ".eml"))
			continue;
		name = g_strndup(f, strlen(f) - 4);
		eml = g_build_filename(dir, f, NULL);
		rt = g_strdup_printf("%s/%s_reply_text", dir, name);
		body = eml_text(eml);
		want = read_text(rt);
		TEST_OK(body != NULL, "talon %s: body", name);
		if (body != NULL) {
			got = quote_strip(body, NULL);
			TEST_STR(got, "Hello", "talon %s: quote_strip", name);
			tally_add(&t, got, "Hello");
			g_free(got);
			got = quote_strip_quotes(body);
			TEST_STR(got, want ? g_strchomp(want) : "Hello",
			    "talon %s: quote_strip_quotes", name);
			tally_add(&ts, got, want ? want : "Hello");
			g_free(got);
			n++;
		}
		g_free(body);
		g_free(want);
		g_free(eml);
		g_free(rt);
		g_free(name);
	}
	g_dir_close(d);
	tally_print(&t);
	tally_print(&ts);
	TEST_INT(n, 12, "talon: replies found");
	TEST_INT(t.exact, 12, "talon: exact floor");
	TEST_INT(ts.exact, 12, "talon, signatures kept: exact floor");
	g_free(dir);
}

/* talon's HTML replies: the text before the quoted block. */
static void
talon_html(const char *corpus)
{
	char *dir = g_build_filename(corpus, "replies/talon/html_replies", NULL);
	struct tally t = { "talon html_replies", 0, 0, 0 };
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f, *want = "Hi. I am fine.\n\nThanks,\nAlex";
	int n = 0;

	if (d == NULL) {
		printf("# skip talon html: %s absent\n", dir);
		g_free(dir);
		return;
	}
	while ((f = g_dir_read_name(d)) != NULL) {
		char *path, *text, *got;
		unsigned flags;

		if (!g_str_has_suffix(f, ".html"))
			continue;
		path = g_build_filename(dir, f, NULL);
		text = fixture_text(path);
		TEST_OK(text != NULL, "talon html %s: read", f);
		if (text != NULL) {
			got = quote_visible(text, NULL, 0, &flags);
			tally_add(&t, got, want);
			{
				char *a = squeeze(got), *b = squeeze(want);

				TEST_STR(a, b, "talon html %s", f);
				g_free(a);
				g_free(b);
			}
			TEST_OK(flags & QUOTE_CUT, "talon html %s: quote found", f);
			g_free(got);
			n++;
		}
		g_free(text);
		g_free(path);
	}
	g_dir_close(d);
	tally_print(&t);
	TEST_INT(n, 9, "talon html: replies found");
	/* ms_outlook_2010 has no empty paragraph between "I am fine." and
	 * "Thanks,": one line break there, close to talon's, not exact */
	TEST_OK(t.exact >= 8 && t.exact + t.close == 9,
	    "talon html: %d exact (floor 8), %d close", t.exact, t.close);
	g_free(dir);
}

/* tests/mail/quote/NAME.expected is what quote_strip gives for the
 * corpus file replies/github/NAME.txt. */
static void
github(const char *corpus)
{
	char *dir = g_build_filename(corpus, "replies/github", NULL);
	char *fixtures = test_src("tests/mail/quote");
	struct tally t = { "github bodies", 0, 0, 0 };
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
			tally_add(&t, got, want);
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
	tally_print(&t);
	TEST_INT(count, 21, "github fixtures found");
	TEST_INT(t.exact, 21, "github: exact floor");
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
	printf("# long quote (%zu bytes) stripped in %lld us\n", strlen(text),
	    (long long)(t1 - t0));
	/* no attribution explains the '>' line: it stays, the footer goes */
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
	const char *env = g_getenv("POSTDESK_CORPUS");
	char *corpus = env ? g_strdup(env) : test_src("../shared/corpus");
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
	for (i = 0; i < G_N_ELEMENTS(flag_rows); i++) {
		unsigned flags = 0xffff;
		char *got = quote_visible(flag_rows[i].in, NULL,
		    flag_rows[i].opts, &flags);

		TEST_STR(got, flag_rows[i].want, "flag row %zu: text", i);
		TEST_INT(flags, flag_rows[i].flags, "flag row %zu: flags", i);
		g_free(got);
	}
	for (i = 0; i < G_N_ELEMENTS(subjects); i++)
		TEST_INT(quote_subject_forward(subjects[i].subject),
		    subjects[i].fwd, "forward subject %s",
		    subjects[i].subject ? subjects[i].subject : "(null)");

	message_init();
	fixtures();
	talon(corpus);
	talon_html(corpus);
	github(corpus);
	long_quote(corpus);
	g_free(corpus);
	return test_done();
}

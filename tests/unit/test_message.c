/* test_message.c: decoding of mail (message.c), HTML rendering (html.c)
 * and TNEF (tnef.c).  Tables of inputs and expected values, fixtures in
 * tests/mail/message/ (NAME.eml with NAME.expected), and the shared
 * real-world corpus when it is there. */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "html.h"
#include "message.h"
#include "tnef.h"
#include "test.h"
#include "util.h"

static struct pd_parse_limits lim;

static void
setup_limits(void)
{
	static const char *types[] = { "image/*", "application/pdf", "text/plain",
	    "message/delivery-status", "text/rfc822-headers", NULL };

	lim = *test_parse_limits();	/* the config's defaults */
	lim.allowed_types = g_ptr_array_new();
	for (int i = 0; types[i]; i++)
		g_ptr_array_add(lim.allowed_types, (char *)types[i]);
}

static struct pd_message *
parse(const char *raw, size_t len, const struct pd_parse_limits *l)
{
	struct pd_message *m = NULL;
	char *err = NULL;

	if (message_parse(raw, len, l, &m, &err) != 0) {
		printf("# parse error: %s\n", err);
		g_free(err);
		return NULL;
	}
	return m;
}

static void
test_html(void)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
		{ "<p>Hello</p><p>World</p>", "Hello\n\nWorld" },
		{ "a<br>b<br/>c", "a\nb\nc" },
		{ "  lots   of\n\t space  ", "lots of space" },
		{ "<ul><li>one<li>two</ul>after", "- one\n- two\n\nafter" },
		{ "<a href=\"https://x.org/\">site</a>", "site <https://x.org/>" },
		{ "<a href=\"https://x.org/\">https://x.org/</a>", "https://x.org/" },
		{ "<a href=\"mailto:a@b.c\">a@b.c</a>", "a@b.c" },
		{ "<a href='#top'>top</a>", "top" },
		{ "&amp;&lt;&gt;&quot;&apos;&copy;&hellip;&euro;", "&<>\"'\xc2\xa9\xe2\x80\xa6\xe2\x82\xac" },
		{ "&#65;&#x42;&#0;&#xD800;&#1114112;", "AB\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "AT&T &unknown; &amp", "AT&T &unknown; &" },
		{ "<script>alert('x')</script>text<style>p{}</style>", "text" },
		{ "<head><title>T</title></head><body>b</body>", "b" },
		{ "x<!-- hidden <p> -->y", "xy" },
		{ "<blockquote>quoted<p>para</p></blockquote>reply", "> quoted\n>\n> para\n\nreply" },
		{ "<div>a</div><div>b</div>", "a\nb" },
		{ "<pre>  keep\n  this</pre>", "  keep\n  this" },
		{ "1 < 2 and 3 > 2", "1 < 2 and 3 > 2" },
		{ "<p>unterminated <b", "unterminated" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc" },
		{ "caf\xc3\xa9 \xff bad", "caf\xc3\xa9 \xef\xbf\xbd bad" },
		{ "<img src=x alt=\"[logo]\">", "[logo]" },
		{ "<a href=\"https://a&amp;b\">x</a>", "x <https://a&b>" },
		{ "", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *got = html_to_text(rows[i].in, strlen(rows[i].in));
		TEST_STR(got, rows[i].want, "html_to_text row %zu", i);
		g_free(got);
	}

	char *e = html_escape("<a href=\"x\">Tom & Jerry's</a>");
	TEST_STR(e, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
	    "html_escape");
	g_free(e);
	GString *gs = g_string_new("x:");
	html_escape_append(gs, "<&>");
	TEST_STR(gs->str, "x:&lt;&amp;&gt;", "html_escape_append");
	g_string_free(gs, TRUE);

	/* linear time on hostile input: many unclosed tags and quotes */
	GString *big = g_string_new(NULL);
	for (int i = 0; i < 100000; i++)
		g_string_append(big, "<head><a href=\"x>y &amp; <script");
	gint64 t0 = g_get_monotonic_time();
	char *r = html_to_text(big->str, big->len);
	gint64 ms = (g_get_monotonic_time() - t0) / 1000;
	TEST_OK(ms < 2000 && g_utf8_validate(r, -1, NULL),
	    "html_to_text on 3 MB of broken tags: %lld ms", (long long)ms);
	g_free(r);
	g_string_free(big, TRUE);

	/* the 767 KB quote from the corpus */
	char *path = test_src("../shared/corpus/replies/github/email_1_7.txt");
	char *dir = test_src("../shared/corpus/replies/github");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	char *biggest = NULL;
	goffset best = 0;
	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);
		GStatBuf st;
		if (g_stat(p, &st) == 0 && st.st_size > best) {
			best = st.st_size;
			g_free(biggest);
			biggest = g_strdup(p);
		}
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	char *data;
	gsize len;
	if (biggest && g_file_get_contents(biggest, &data, &len, NULL)) {
		t0 = g_get_monotonic_time();
		r = html_to_text(data, len);
		ms = (g_get_monotonic_time() - t0) / 1000;
		TEST_OK(ms < 1000 && g_utf8_validate(r, -1, NULL) && strlen(r) > 0,
		    "html_to_text on %lld bytes of corpus text: %lld ms",
		    (long long)len, (long long)ms);
		g_free(r);
		g_free(data);
	} else
		printf("# corpus replies/github absent: skipped\n");
	g_free(biggest);
	g_free(dir);
	g_free(path);
}

/* One mail around a header, the way the table rows want it. */
static char *
mail_with(const char *headers, const char *body)
{
	return g_strdup_printf("From: a@example.com\nTo: b@example.com\n%s\n\n%s",
	    headers, body ? body : "body\n");
}

static void
test_headers(void)
{
	static const struct {
		const char *subject_header, *want;
	} rows[] = {
		{ "Subject: plain", "plain" },
		{ "Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=", "Hello W\xc3\xb6rld" },
		{ "Subject: =?iso-8859-1?q?caf=E9_au_lait?=", "caf\xc3\xa9 au lait" },
		{ "Subject: =?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
		{ "Subject: =?koi8-r?B?8NLJ18XU?= and =?shift_jis?B?k/qWe4zq?=",
		    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 and \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "Subject: folded\n  over\n\tlines", "folded over lines" },
		{ "Subject: =?x-bogus?Q?ok?=", "ok" },
		{ "Subject: =?utf-8?B?broken", "=?utf-8?B?broken" },
		{ "Subject: Re:=?utf-8?Q?=C3=A9t=C3=A9?=", "Re:\xc3\xa9t\xc3\xa9" },
		{ "Subject: raw caf\xe9 latin1", "raw caf\xc3\xa9 latin1" },
		{ "Subject: raw utf8 caf\xc3\xa9", "raw utf8 caf\xc3\xa9" },
		{ "X-Nothing: 1", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *raw = mail_with(rows[i].subject_header, NULL);
		struct pd_message *m = parse(raw, strlen(raw), &lim);

		TEST_STR(m ? m->subject : NULL, rows[i].want, "subject row %zu", i);
		message_free(m);
		g_free(raw);
	}

	/* filenames: RFC 2231 with continuations, RFC 2047 in name= */
	static const struct {
		const char *disp, *want;
	} files[] = {
		{ "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.pdf", "\xe2\x82\xac.pdf" },
		{ "Content-Disposition: attachment; filename*0*=iso-8859-1''Gr%FC;\n filename*1=\"sse.pdf\"", "Gr\xc3\xbc" "sse.pdf" },
		{ "Content-Disposition: attachment; filename=\"=?utf-8?B?w6TDtsO8LnBkZg==?=\"", "\xc3\xa4\xc3\xb6\xc3\xbc.pdf" },
		{ "Content-Disposition: attachment; filename=\"../../etc/passwd.pdf\"", "passwd.pdf" },
		{ "Content-Disposition: attachment", "attachment-1" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *raw = g_strdup_printf("From: a@example.com\nSubject: f\n"
		    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
		    "--b\nContent-Type: text/plain\n\nhi\n--b\n"
		    "Content-Type: application/pdf\n%s\n\n%%PDF\n--b--\n", files[i].disp);
		struct pd_message *m = parse(raw, strlen(raw), &lim);
		const struct pd_attachment *a = m && m->attachments->len == 1 ?
		    g_ptr_array_index(m->attachments, 0) : NULL;

		TEST_STR(a ? a->filename : NULL, files[i].want, "filename row %zu", i);
		message_free(m);
		g_free(raw);
	}

	/* addresses, ids, header access */
	const char *raw =
	    "Received: one\nReceived: two\nReceived: three\n"
	    "From: =?utf-8?Q?Zo=C3=AB?= <ZOE@Example.ORG>\n"
	    "Sender: list-bounces@lists.example.org\n"
	    "To: team: Al <al@example.com>, bo@example.com;, cy@example.com\n"
	    "Reply-To: <Help@Example.com>\n"
	    "Return-Path: <Bounce@Example.com>\n"
	    "Message-ID: <m1@example.org>\n"
	    "In-Reply-To: junk <p1@example.org> more junk\n"
	    "References: <r1@example.org>\n <r2@example.org> (comment) <r3@example.org>\n"
	    "X-Custom: =?utf-8?Q?caf=C3=A9?=\n"
	    "Date: Tue, 03 Mar 2026 12:00:00 +0100\n"
	    "\nbody\n";
	struct pd_message *m = parse(raw, strlen(raw), &lim);
	TEST_OK(m != NULL, "address mail parses");
	if (m == NULL)
		return;
	TEST_STR(m->from.name, "Zo\xc3\xab", "from name decoded");
	TEST_STR(m->from.addr, "zoe@example.org", "from address lower case");
	TEST_STR(m->sender.addr, "list-bounces@lists.example.org", "sender");
	TEST_INT(m->to->len, 3, "group members flattened into to");
	TEST_STR(m->to->len > 1 ? ((struct pd_addr *)m->to->pdata[1])->addr : NULL,
	    "bo@example.com", "second to");
	TEST_STR(m->reply_to->len ? ((struct pd_addr *)m->reply_to->pdata[0])->addr :
	    NULL, "help@example.com", "reply-to");
	TEST_STR(m->return_path, "bounce@example.com", "return-path");
	TEST_STR(m->message_id, "m1@example.org", "message-id");
	TEST_STR(m->in_reply_to, "p1@example.org", "in-reply-to from junk");
	TEST_INT(m->references->len, 3, "three references");
	TEST_STR(m->references->len == 3 ? m->references->pdata[2] : NULL,
	    "r3@example.org", "last reference");
	TEST_INT(m->date, 1772535600, "date");
	TEST_INT(m->received_count, 3, "received count");
	TEST_INT(message_header_count(m, "received"), 3, "header count");
	TEST_STR(message_header(m, "x-custom"), "caf\xc3\xa9", "custom header decoded");
	TEST_OK(message_header(m, "X-Custom") == message_header(m, "x-custom"),
	    "header cached once");
	TEST_STR(message_header(m, "X-Absent"), NULL, "absent header");
	TEST_STR(m->text, "body", "body text");
	message_free(m);
}

/* X.CHARSET.txt from the corpus, sent as base64 in CHARSET, must come
 * out as X.utf-8.txt. */
static void
test_charsets(void)
{
	/* The Big5 file lacks the Japanese-only kanji of its reference, so
	 * its text is compared as the reference with those left out.  The
	 * fable has no UTF-8 reference: its first lines are written here. */
	static const struct {
		const char *file, *charset, *ref;
		int lossy;
		const char *prefix;
	} rows[] = {
		{ "chinese.big5.txt", "big5", "chinese.utf-8.txt", 1, NULL },
		{ "cyrillic.cp1251.txt", "windows-1251", "cyrillic.utf-8.txt", 0, NULL },
		{ "cyrillic.iso-8859-5.txt", "iso-8859-5", "cyrillic.utf-8.txt", 0, NULL },
		{ "cyrillic.koi8-r.txt", "koi8-r", "cyrillic.utf-8.txt", 0, NULL },
		{ "japanese.iso-2022-jp.txt", "iso-2022-jp", "japanese.utf-8.txt", 0, NULL },
		{ "japanese.shift-jis.txt", "shift_jis", "japanese.utf-8.txt", 0, NULL },
		{ "french-fable.cp1252.txt", "windows-1252", "french-fable.cp1252.txt", 0,
		    "Ma\xc3\xaetre Corbeau, sur un arbre perch\xc3\xa9,\n"
		    "Tenait en son bec un fromage.\n"
		    "Ma\xc3\xaetre Renard, par l\xe2\x80\x99odeur all\xc3\xa9" "ch\xc3\xa9,\n"
		    "Lui tint \xc3\xa0 peu pr\xc3\xa8s ce langage :\n"
		    "\xc2\xab H\xc3\xa9 ! bonjour, Monsieur du Corbeau." },
	};
	char *dir = test_src("../shared/corpus/charsets");

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		printf("# corpus charsets absent: skipped\n");
		g_free(dir);
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *p = g_build_filename(dir, rows[i].file, NULL);
		char *r = g_build_filename(dir, rows[i].ref, NULL);
		char *data = NULL, *want = NULL, *b64, *raw;
		gsize len, wlen;

		if (!g_file_get_contents(p, &data, &len, NULL) ||
		    !g_file_get_contents(r, &want, &wlen, NULL)) {
			/* the reference may be missing for one of them */
			printf("# %s or %s missing: skipped\n", rows[i].file, rows[i].ref);
			g_free(data);
			g_free(p);
			g_free(r);
			continue;
		}
		b64 = g_base64_encode((const guchar *)data, len);
		raw = g_strdup_printf("From: a@example.com\nSubject: cs\nMIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=\"%s\"\n"
		    "Content-Transfer-Encoding: base64\n\n%s\n", rows[i].charset, b64);
		struct pd_message *m = parse(raw, strlen(raw), &lim);
		if (rows[i].lossy && m) {
			/* the text must be the reference with a few characters
			 * missing, in order, and nothing else */
			const char *g = m->text, *wp = want;
			long kept = 0, dropped = 0;
			while (*g && *wp) {
				if (g_utf8_get_char(g) == g_utf8_get_char(wp)) {
					g = g_utf8_next_char(g);
					kept++;
				} else
					dropped++;
				wp = g_utf8_next_char(wp);
			}
			TEST_OK(*g == '\0' && kept > 500 && dropped * 5 < kept,
			    "charset %s: %ld characters of the reference, %ld left out",
			    rows[i].charset, kept, dropped);
			message_free(m);
			g_free(raw);
			g_free(b64);
			g_free(data);
			g_free(want);
			g_free(p);
			g_free(r);
			continue;
		}
		if (rows[i].prefix) {
			g_free(want);
			want = g_strdup(rows[i].prefix);
			if (m && g_str_has_prefix(m->text, rows[i].prefix))
				m->text[strlen(rows[i].prefix)] = '\0';
		}
		/* compare without the trailing newlines and CRs */
		char *w = g_strdup(want);
		char *c = w, *o = w;
		for (; *c; c++)
			if (*c != '\r')
				*o++ = *c;
		*o = '\0';
		g_strchomp(w);
		TEST_STR(m ? m->text : NULL, w, "charset %s (%s)", rows[i].charset,
		    rows[i].file);
		TEST_INT(m ? m->notes->len : 99, 0, "no notes for %s", rows[i].charset);
		message_free(m);
		g_free(w);
		g_free(raw);
		g_free(b64);
		g_free(data);
		g_free(want);
		g_free(p);
		g_free(r);
	}
	g_free(dir);
}

static void
test_to_utf8(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *charset, *want;
	} rows[] = {
		{ "caf\xe9", 4, "iso-8859-1", "caf\xc3\xa9" },
		{ "\x80 5", 3, "windows-1252", "\xe2\x82\xac 5" },
		{ "\x80 5", 3, "iso-8859-1", "\xe2\x82\xac 5" },	/* as browsers do */
		{ "caf\xc3\xa9", 5, NULL, "caf\xc3\xa9" },
		{ "caf\xe9", 4, NULL, "caf\xc3\xa9" },
		{ "caf\xe9", 4, "us-ascii", "caf\xc3\xa9" },
		{ "ok\xff!", 4, "utf-8", "ok\xef\xbf\xbd!" },
		{ "a\0b", 3, "utf-8", "a\xef\xbf\xbd" "b" },
		{ "caf\xc3\xa9", 5, "x-no-such-charset", "caf\xc3\xa9" },
		{ "\xcf\xf0\xe8", 3, "cp1251", "\xd0\x9f\xd1\x80\xd0\xb8" },
		{ "\xc4\xe3", 2, "gb2312", "\xe4\xbd\xa0" },
		{ "\x81\x30\x81\x30", 4, "gb18030", "\xc2\x80" },
		{ "+ZeVnLIqe-", 10, "utf-7", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "\x1b$B", 3, "iso-2022-jp", "" },
		{ "\x82\xa0\x82", 3, "shift_jis", "\xe3\x81\x82\xef\xbf\xbd" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *got = message_to_utf8(rows[i].in, rows[i].len, rows[i].charset);
		TEST_STR(got, rows[i].want, "message_to_utf8 row %zu (%s)", i,
		    rows[i].charset ? rows[i].charset : "none");
		g_free(got);
	}
}


/* The message through message_wire and back: the same variant again,
 * and the fields a reader sees unchanged.  Returns 1 when equal. */
static int
wire_roundtrip(const struct pd_message *m)
{
	GVariant *v1 = message_wire_to(m), *v2 = NULL;
	GBytes *b = g_variant_get_data_as_bytes(v1);
	GVariant *back = g_variant_ref_sink(g_variant_new_from_bytes(message_wire_type(),
	    b, FALSE));
	struct pd_message *m2 = NULL;
	char *err = NULL;
	int ok = message_wire_from(back, &m2, &err) == 0;

	if (!ok)
		printf("# wire: %s\n", err);
	if (ok) {
		v2 = message_wire_to(m2);
		ok = g_variant_equal(v1, v2) && strcmp(m->text, m2->text) == 0 &&
		    m->attachments->len == m2->attachments->len &&
		    m->parts->len == m2->parts->len;
		for (guint i = 0; ok && i < m->attachments->len; i++) {
			const struct pd_attachment *a = m->attachments->pdata[i];
			const struct pd_attachment *a2 = m2->attachments->pdata[i];

			ok = g_strcmp0(a->sha256, a2->sha256) == 0 && a->size == a2->size &&
			    (a->data == NULL) == (a2->data == NULL) &&
			    (a->data == NULL || g_bytes_equal(a->data, a2->data));
		}
		for (guint i = 0; ok && i < m->parts->len; i++) {
			const struct pd_part *p = m->parts->pdata[i];
			const struct pd_part *p2 = m2->parts->pdata[i];

			ok = (p->data == NULL) == (p2->data == NULL) &&
			    (p->data == NULL || g_bytes_equal(p->data, p2->data)) &&
			    (p->headers == NULL) == (p2->headers == NULL) &&
			    g_strcmp0(p->subject, p2->subject) == 0 &&
			    g_strcmp0(p->from.addr, p2->from.addr) == 0 &&
			    g_strcmp0(p->from.name, p2->from.name) == 0;
		}
	}
	if (v2)
		g_variant_unref(v2);
	message_free(m2);
	g_free(err);
	g_variant_unref(back);
	g_bytes_unref(b);
	g_variant_unref(v1);
	return ok;
}

/* Read NAME.expected: key=value lines, "\n" in text values. */
static void
check_fixture(const char *dir, const char *name)
{
	char *emlp = g_strdup_printf("%s/%s.eml", dir, name);
	char *expp = g_strdup_printf("%s/%s.expected", dir, name);
	char *raw, *exp;
	gsize len;
	struct pd_message *m;
	guint att = 0, hdr = 0, part = 0, emb = 0;

	if (!g_file_get_contents(emlp, &raw, &len, NULL) ||
	    !g_file_get_contents(expp, &exp, NULL, NULL)) {
		TEST_OK(0, "fixture %s readable", name);
		g_free(emlp);
		g_free(expp);
		return;
	}
	m = parse(raw, len, &lim);
	TEST_OK(m != NULL, "fixture %s parses", name);
	char **lines = g_strsplit(exp, "\n", -1);
	for (int i = 0; m && lines[i]; i++) {
		char *eq = strchr(lines[i], '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		const char *k = lines[i];
		char *v = g_strcompress(eq + 1);
		GString *got = g_string_new(NULL);

		if (strcmp(k, "subject") == 0)
			g_string_assign(got, m->subject);
		else if (strcmp(k, "from") == 0)
			g_string_assign(got, m->from.addr ? m->from.addr : "(null)");
		else if (strcmp(k, "from_name") == 0)
			g_string_assign(got, m->from.name ? m->from.name : "(null)");
		else if (strcmp(k, "message_id") == 0)
			g_string_assign(got, m->message_id ? m->message_id : "(null)");
		else if (strcmp(k, "in_reply_to") == 0)
			g_string_assign(got, m->in_reply_to ? m->in_reply_to : "(null)");
		else if (strcmp(k, "return_path") == 0)
			g_string_assign(got, m->return_path ? m->return_path : "(null)");
		else if (strcmp(k, "references") == 0) {
			for (guint j = 0; j < m->references->len; j++)
				g_string_append_printf(got, "%s%s", j ? " " : "",
				    (char *)m->references->pdata[j]);
		} else if (strcmp(k, "to") == 0) {
			for (guint j = 0; j < m->to->len; j++)
				g_string_append_printf(got, "%s%s", j ? " " : "",
				    ((struct pd_addr *)m->to->pdata[j])->addr);
		} else if (strcmp(k, "date") == 0)
			g_string_printf(got, "%lld", (long long)m->date);
		else if (strcmp(k, "received") == 0)
			g_string_printf(got, "%d", m->received_count);
		else if (strcmp(k, "text") == 0)
			g_string_assign(got, m->text);
		else if (strcmp(k, "html") == 0)
			g_string_assign(got, m->html ? "yes" : "no");
		else if (strcmp(k, "attachments") == 0)
			g_string_printf(got, "%u", m->attachments->len);
		else if (strcmp(k, "attachment") == 0) {
			if (att < m->attachments->len) {
				struct pd_attachment *a = m->attachments->pdata[att];
				char sz[32];

				/* "-" for a size the fixture does not pin */
				g_snprintf(sz, sizeof(sz), "%lld", (long long)a->size);
				char **f = g_strsplit(v, "|", 4);
				g_string_printf(got, "%s|%s|%s|%s", a->filename,
				    a->content_type,
				    f[0] && f[1] && f[2] && strcmp(f[2], "-") == 0 ? "-" : sz,
				    a->refused ? a->refused : "-");
				g_strfreev(f);
				TEST_OK((a->refused == NULL) == (a->data != NULL &&
				    a->sha256 != NULL), "%s attachment %u data/sha256 iff kept",
				    name, att);
			}
			att++;
		} else if (strcmp(k, "attachment_sha") == 0) {
			/* the SHA-256 of the attachment checked last, and of
			 * its bytes */
			if (att > 0 && att <= m->attachments->len) {
				struct pd_attachment *a = m->attachments->pdata[att - 1];
				char *sha = a->data ? util_sha256_hex(g_bytes_get_data(
				    a->data, NULL), g_bytes_get_size(a->data)) : NULL;

				g_string_assign(got, a->sha256 ? a->sha256 : "(null)");
				TEST_STR(sha ? sha : "(null)", v, "%s: bytes of attachment %u",
				    name, att - 1);
				g_free(sha);
			}
		} else if (strcmp(k, "embedded") == 0) {
			/* subject|from|from name of the next embedded message */
			while (emb < m->parts->len &&
			    ((struct pd_part *)m->parts->pdata[emb])->subject == NULL)
				emb++;
			if (emb < m->parts->len) {
				const struct pd_part *p = m->parts->pdata[emb];

				g_string_printf(got, "%s|%s|%s", p->subject,
				    p->from.addr ? p->from.addr : "(null)",
				    p->from.name ? p->from.name : "(null)");
			}
			emb++;
		} else if (strcmp(k, "notes") == 0) {
			for (guint j = 0; j < m->notes->len; j++)
				g_string_append_printf(got, "%s%s", j ? " | " : "",
				    (char *)m->notes->pdata[j]);
		} else if (strcmp(k, "headers") == 0)
			g_string_printf(got, "%u", m->headers->len);
		else if (strcmp(k, "header") == 0) {
			/* name|raw|value of the next top-level header */
			if (hdr < m->headers->len) {
				const struct pd_header *h = m->headers->pdata[hdr];

				g_string_printf(got, "%s|%s|%s", h->name, h->raw, h->value);
			}
			hdr++;
		} else if (strcmp(k, "parts") == 0)
			g_string_printf(got, "%u", m->parts->len);
		else if (strcmp(k, "part") == 0) {
			/* depth|type|params|disposition|filename|attachment|
			 * message_id|embedded header count|text */
			if (part < m->parts->len) {
				const struct pd_part *p = m->parts->pdata[part];

				g_string_printf(got, "%d|%s|", p->depth, p->content_type);
				for (guint j = 0; j < p->params->len; j++) {
					const struct pd_param *pa = p->params->pdata[j];

					g_string_append_printf(got, "%s%s=%s", j ? ";" : "",
					    pa->name, pa->value);
				}
				if (p->params->len == 0)
					g_string_append_c(got, '-');
				g_string_append_printf(got, "|%s|%s|%d|%s|", p->disposition ?
				    p->disposition : "-", p->filename ? p->filename : "-",
				    p->attachment, p->message_id ? p->message_id : "-");
				if (p->headers)
					g_string_append_printf(got, "%u|", p->headers->len);
				else
					g_string_append(got, "-|");
				g_string_append(got, p->text ? p->text : "-");
				if (p->attachment >= 0)
					TEST_OK(p->data == ((struct pd_attachment *)
					    m->attachments->pdata[p->attachment])->data,
					    "%s part %u shares its attachment's data", name, part);
			}
			part++;
		} else {
			TEST_OK(0, "%s: unknown key %s", name, k);
			g_free(v);
			g_string_free(got, TRUE);
			continue;
		}
		TEST_STR(got->str, v, "%s: %s", name, k);
		g_free(v);
		g_string_free(got, TRUE);
	}
	if (m) {
		TEST_OK(g_utf8_validate(m->text, -1, NULL), "%s: text is UTF-8", name);
		TEST_OK(wire_roundtrip(m), "%s: serialised and read back the same", name);
	}
	g_strfreev(lines);
	message_free(m);
	g_free(raw);
	g_free(exp);
	g_free(emlp);
	g_free(expp);
}

static void
test_fixtures(void)
{
	static const char *names[] = { "alternative", "html-only", "mixed",
	    "report", "winmail", "parts", "inline-named", "uuencode", "bare-cr",
	    "mixed-eol", "crlf-binary", "forward" };
	char *dir = test_src("tests/mail/message");

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		check_fixture(dir, names[i]);
	g_free(dir);
}

static void
test_tnef(void)
{
	char *path = test_src("tests/mail/message/winmail.eml");
	char *raw;
	gsize len;

	/* the sha256 of a file out of winmail.dat */
	if (g_file_get_contents(path, &raw, &len, NULL)) {
		struct pd_message *m = parse(raw, len, &lim);
		struct pd_attachment *a = m && m->attachments->len > 0 ?
		    m->attachments->pdata[0] : NULL;
		char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
		    "quarterly numbers\n", -1);
		TEST_STR(a ? a->sha256 : NULL, want, "TNEF file sha256");
		TEST_INT(m ? m->notes->len : 99, 0, "TNEF unpacked without notes");
		g_free(want);
		message_free(m);
		g_free(raw);
	} else
		TEST_OK(0, "winmail.eml fixture readable");
	g_free(path);

	/* a winmail.dat that is not TNEF stays as it is, with a note */
	const char *bad =
	    "From: a@example.com\nSubject: t\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nsee attached\n"
	    "--b\nContent-Type: application/ms-tnef; name=winmail.dat\n"
	    "Content-Transfer-Encoding: base64\n\nbm90IHRuZWYgYXQgYWxs\n--b--\n";
	struct pd_parse_limits open = lim;
	open.allowed_types = NULL;
	struct pd_message *m = parse(bad, strlen(bad), &open);
	struct pd_attachment *a = m && m->attachments->len == 1 ?
	    m->attachments->pdata[0] : NULL;
	TEST_STR(a ? a->filename : NULL, "winmail.dat", "bad TNEF kept as winmail.dat");
	TEST_STR(a ? a->content_type : NULL, "application/ms-tnef", "bad TNEF type");
	TEST_INT(a ? a->size : -1, 15, "bad TNEF size");
	TEST_OK(m && m->notes->len == 1 &&
	    g_str_has_prefix(m->notes->pdata[0], "winmail.dat could not be unpacked"),
	    "bad TNEF noted");
	TEST_STR(m ? m->text : NULL, "see attached", "bad TNEF text");
	message_free(m);

	/* the framing check that keeps bad streams away from libytnef */
	static const struct {
		const char *data;
		size_t len;
		int rc;
		const char *error;
	} frames[] = {
		{ "\x78\x9f\x3e\x22\x01\x00" "\x01\x06\x90\x08\x00\x04\x00\x00\x00"
		    "\x00\x00\x01\x00" "\x01\x00", 21, 0, NULL },
		{ "\x78\x9f\x3e\x22\x01\x00" "\x01\x06\x90\x08\x00\x04\x00\x00\x00"
		    "\x00\x00\x01\x00" "\x02\x00", 21, -1, "TNEF attribute 0 has a bad checksum" },
		{ "\x78\x9f\x3e\x22\x01\x00" "\x01\x06\x90\x08\x00\x40\x00\x00\x00"
		    "\x00\x00\x01\x00" "\x01\x00", 21, -1, "TNEF attribute 0 longer than the stream" },
		{ "\x78\x9f\x3e\x22\x01\x00" "\x02\x10\x80\x01\x00\x02\x00\x00\x00"
		    "a\0" "\x61\x00", 19, -1, "TNEF attachment attribute 0 outside an attachment" },
		{ "MZ\x90\x00\x03\x00\x00", 7, -1, "not a TNEF stream (no signature)" },
	};
	GPtrArray *files = NULL;
	char *body = NULL, *err = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(frames); i++) {
		files = NULL;
		err = NULL;
		TEST_INT(tnef_unpack(frames[i].data, frames[i].len, &files, &body, &err),
		    frames[i].rc, "tnef frame row %zu", i);
		TEST_STR(err, frames[i].error, "tnef frame row %zu error", i);
		TEST_INT(files ? files->len : 0, 0, "tnef frame row %zu no files", i);
		tnef_files_free(files);
		g_free(err);
		g_free(body);
		body = NULL;
	}
	files = NULL;
	err = NULL;
	TEST_INT(tnef_unpack("\x78\x9f\x3e\x22\x01", 5, &files, &body, &err), -1,
	    "tnef_unpack refuses a truncated stream");
	TEST_OK(err != NULL && files == NULL, "with an error");
	g_free(err);
}

/* Parts that keep their nature (fixtures above for whole mails): the
 * limits that bound them and the cases beside them. */
static void
test_parts(void)
{
	struct pd_parse_limits few = lim;
	struct pd_message *m;
	GString *raw;
	char *s;

	/* uuencoded files count as parts: the ones past max_parts stay text */
	few.max_parts = 3;
	raw = g_string_new("From: a@example.com\nSubject: uu\n\nfiles:\n");
	for (int i = 0; i < 4; i++)
		g_string_append_printf(raw, "begin 644 f%d.txt\n#86)C\n`\nend\n", i);
	m = parse(raw->str, raw->len, &few);
	TEST_INT(m ? (int)m->attachments->len : -1, 2, "uu: two files under max_parts 3");
	TEST_STR(m ? m->text : NULL, "files:\nbegin 644 f2.txt\n#86)C\n`\nend\n"
	    "begin 644 f3.txt\n#86)C\n`\nend", "uu: the rest left in the text");
	TEST_OK(m && m->truncated, "uu: the mail is marked truncated");
	if (m && m->attachments->len == 2) {
		struct pd_attachment *a = m->attachments->pdata[1];

		TEST_STR(a->filename, "f1.txt", "uu: second file's name");
		TEST_STR(a->content_type, "text/plain", "uu: type from the name");
		TEST_STR(a->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		    "uu: bytes are \"abc\"");
	}
	message_free(m);
	g_string_free(raw, TRUE);

	/* a block without its end line, a directory in the name, an empty file */
	s = g_strdup("From: a@example.com\n\nbegin 644 ../../etc/passwd\n#86)C\n`\n"
	    "end\nbegin 644 empty.bin\n`\nend\nbegin 644 open.txt\n#86)C\n");
	m = parse(s, strlen(s), &lim);
	TEST_INT(m ? (int)m->attachments->len : -1, 2, "uu: two complete blocks");
	TEST_STR(m && m->attachments->len > 0 ? ((struct pd_attachment *)
	    m->attachments->pdata[0])->filename : NULL, "passwd", "uu: no directories in a name");
	TEST_INT(m && m->attachments->len > 1 ? ((struct pd_attachment *)
	    m->attachments->pdata[1])->size : -1, 0, "uu: an empty file is kept, size 0");
	TEST_STR(m ? m->text : NULL, "begin 644 open.txt\n#86)C", "uu: an open block stays text");
	message_free(m);
	g_free(s);

	/* a forward inside a forward; depth bounds it */
	s = g_strdup("From: a@example.com\nSubject: fw\nMIME-Version: 1.0\n"
	    "Content-Type: message/rfc822\n\nFrom: b@example.com\nSubject: inner\n"
	    "MIME-Version: 1.0\nContent-Type: message/rfc822\n\nFrom: c@example.com\n"
	    "Subject: innermost\n\ndeep text\n");
	m = parse(s, strlen(s), &lim);
	TEST_STR(m ? m->text : NULL, "---------- Forwarded message ----------\n"
	    "From: b@example.com\nSubject: inner\n\n"
	    "---------- Forwarded message ----------\nFrom: c@example.com\n"
	    "Subject: innermost\n\ndeep text", "forward in a forward: both blocks");
	TEST_INT(m ? (int)m->attachments->len : -1, 2, "forward in a forward: two .eml");
	TEST_INT(m ? (int)m->parts->len : -1, 1, "forward in a forward: one recorded part");
	message_free(m);
	few = lim;
	few.max_depth = 2;
	m = parse(s, strlen(s), &few);
	TEST_OK(m && m->truncated && strstr(m->text, "deep text") == NULL,
	    "forward in a forward: max_depth 2 stops at the inner one");
	message_free(m);
	g_free(s);

	/* a forwarded mail sent base64 (RFC 2046 forbids it; clients do it) */
	s = g_strdup("From: a@example.com\nSubject: fw\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\n"
	    "see attached\n--o\nContent-Type: message/rfc822\nContent-Disposition: attachment; "
	    "filename=fw.eml\nContent-Transfer-Encoding: base64\n\n");
	{
		const char *inner = "From: B <b@example.com>\nSubject: inner\nMIME-Version: 1.0\n"
		    "Content-Type: multipart/mixed; boundary=i\n\n--i\nContent-Type: text/plain\n\n"
		    "inner text\n--i\nContent-Type: application/pdf; name=a.pdf\n"
		    "Content-Transfer-Encoding: base64\n\nYWJj\n--i--\n";
		char *b = g_base64_encode((const guchar *)inner, strlen(inner));
		char *t = g_strconcat(s, b, "\n--o--\n", NULL);

		g_free(b);
		g_free(s);
		s = t;
	}
	m = parse(s, strlen(s), &lim);
	TEST_STR(m ? m->text : NULL, "see attached\n\n---------- Forwarded message ----------\n"
	    "From: B <b@example.com>\nSubject: inner\n\ninner text", "base64 forward: its text");
	TEST_INT(m ? (int)m->attachments->len : -1, 2, "base64 forward: the .eml and a.pdf");
	TEST_STR(m && m->attachments->len == 2 ? ((struct pd_attachment *)
	    m->attachments->pdata[1])->sha256 : NULL,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "base64 forward: a.pdf's bytes");
	TEST_STR(m && m->parts->len == 3 ? ((struct pd_part *)m->parts->pdata[2])->subject :
	    NULL, "inner", "base64 forward: its subject on its part");
	message_free(m);
	g_free(s);

	/* a bounce's returned mail is not a forward: no block, no descent */
	s = g_strdup("From: MAILER-DAEMON@example.net\nSubject: failed\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
	    "--r\nContent-Type: text/plain\n\nnot delivered\n--r\n"
	    "Content-Type: message/rfc822\n\nFrom: support@example.com\nSubject: ours\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n--m\n"
	    "Content-Type: text/plain\n\nour text\n--m\nContent-Type: image/png\n"
	    "Content-Disposition: attachment; filename=x.png\n\nPNG\n--m--\n--r--\n");
	m = parse(s, strlen(s), &lim);
	TEST_STR(m ? m->text : NULL, "not delivered", "report: the returned mail is not text");
	TEST_INT(m ? (int)m->attachments->len : -1, 1, "report: only the returned .eml");
	message_free(m);
	g_free(s);

	/* a stray CR in a CRLF mail's header and a bare CR body line: no fix */
	s = g_strdup("From: a@example.com\r\nSubject: one\r\n\r\nline\rnext\r\n");
	m = parse(s, strlen(s), &lim);
	TEST_INT(m ? (int)m->notes->len : -1, 0, "CRLF header: no line-end note");
	TEST_STR(m ? m->text : NULL, "line\nnext", "CRLF header: a CR in the text is a line end");
	message_free(m);
	g_free(s);

	/* bare CR: an mbox From line, a header folded with CR, CR CR LF */
	s = g_strdup("From a@example.com Tue Dec  1 10:00:00 2026\rFrom: a@example.com\r"
	    "Subject: folded\r\tsubject\rTo: b@example.com\r\rbody\r\r\nend\r\r");
	m = parse(s, strlen(s), &lim);
	TEST_STR(m ? m->from.addr : NULL, "a@example.com", "bare CR: From found");
	TEST_STR(m ? m->subject : NULL, "folded subject", "bare CR: folded Subject");
	TEST_STR(m ? m->text : NULL, "body\nend", "bare CR: CR CR LF is one line end");
	message_free(m);
	g_free(s);
}

static void
test_limits(void)
{
	/* a 50 MB attachment: refused with its size, no data kept */
	gsize n = 50 * 1024 * 1024;
	guchar *blob = g_malloc(n);
	for (gsize i = 0; i < n; i++)
		blob[i] = (guchar)(i * 7);
	char *b64 = g_base64_encode(blob, n);
	g_free(blob);
	char *raw = g_strdup_printf("From: a@example.com\nSubject: big\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhere\n"
	    "--b\nContent-Type: image/png\nContent-Disposition: attachment; filename=big.png\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n--b--\n", b64);
	g_free(b64);
	struct pd_message *m = parse(raw, strlen(raw), &lim);
	g_free(raw);
	struct pd_attachment *a = m && m->attachments->len == 1 ?
	    m->attachments->pdata[0] : NULL;
	TEST_INT(a ? a->size : -1, (gint64)n, "50 MB attachment size counted");
	TEST_STR(a ? a->refused : NULL, "larger than the 10 MB limit", "50 MB refused");
	TEST_OK(a && a->data == NULL && a->sha256 == NULL, "50 MB not kept");
	TEST_STR(m ? m->text : NULL, "here", "text kept beside the refused part");
	message_free(m);

	/* type limits: globs and exact names */
	static const struct {
		const char *type, *refused;
	} rows[] = {
		{ "image/jpeg", NULL },
		{ "Image/GIF", NULL },
		{ "application/pdf", NULL },
		{ "application/x-foo", "type application/x-foo is not allowed" },
		{ "application/pdfx", "type application/pdfx is not allowed" },
		{ "video/mp4", "type video/mp4 is not allowed" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		raw = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
		    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		    "Content-Type: %s\nContent-Disposition: attachment; filename=f\n\nxyz\n--b--\n",
		    rows[i].type);
		m = parse(raw, strlen(raw), &lim);
		a = m && m->attachments->len == 1 ? m->attachments->pdata[0] : NULL;
		TEST_STR(a ? a->refused : "(none)", rows[i].refused, "type row %zu (%s)",
		    i, rows[i].type);
		TEST_STR(a && !a->refused ? a->sha256 : NULL, rows[i].refused ? NULL :
		    "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282",
		    "type row %zu sha256", i);
		message_free(m);
		g_free(raw);
	}

	/* a small limit is written in KB */
	struct pd_parse_limits small = lim;
	small.max_attachment = 2048;
	raw = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: image/png\nContent-Disposition: attachment\n\n%3000d\n--b--\n", 1);
	m = parse(raw, strlen(raw), &small);
	a = m && m->attachments->len == 1 ? m->attachments->pdata[0] : NULL;
	TEST_STR(a ? a->refused : NULL, "larger than the 2 KB limit", "KB limit text");
	message_free(m);
	g_free(raw);
}

static void
test_malformed(void)
{
	static const struct {
		const char *raw;
		size_t len;
		const char *error;
	} bad[] = {
		{ "", 0, "empty message" },
		{ "just some text\nwithout headers\n", 31,
		    "no header: the first line is not a mail header" },
		{ "\nbody only\n", 11, "no header: the first line is not a mail header" },
		{ "From nobody Mon Jan 1 00:00:00 2026", 35, "no header: only an mbox From line" },
		{ ": no name\n\nbody", 16, "no header: the first line is not a mail header" },
	};
	struct pd_message *m;
	char *err;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		m = NULL;
		err = NULL;
		TEST_INT(message_parse(bad[i].raw, bad[i].len, &lim, &m, &err), -1,
		    "bad row %zu fails", i);
		TEST_STR(err, bad[i].error, "bad row %zu error", i);
		TEST_OK(m == NULL, "bad row %zu no message", i);
		g_free(err);
	}

	/* header block over the limit */
	struct pd_parse_limits small = lim;
	small.max_header = 100;
	GString *s = g_string_new("From: a@example.com\n");
	for (int i = 0; i < 20; i++)
		g_string_append(s, "X-Filler: 0123456789\n");
	g_string_append(s, "\nbody\n");
	err = NULL;
	TEST_INT(message_parse(s->str, s->len, &small, &m, &err), -1, "big header block fails");
	TEST_STR(err, "header block larger than 100 bytes", "big header error");
	g_free(err);
	g_string_free(s, TRUE);

	/* the result keeps nothing of the caller's buffer */
	const char *src = "From: a@example.com\nSubject: own\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
	    "mine\n--b\nContent-Type: image/png\n\nPNGDATA\n--b--\n";
	char *copy = g_strdup(src);
	m = parse(copy, strlen(copy), &lim);
	memset(copy, 'X', strlen(copy));
	g_free(copy);
	{
		GString *again = g_string_new(NULL);

		for (guint i = 0; m && i < m->parts->len; i++) {
			const struct pd_part *pt = m->parts->pdata[i];

			if (pt->data)
				g_string_append_len(again, g_bytes_get_data(pt->data, NULL),
				    (gssize)g_bytes_get_size(pt->data));
		}
		TEST_OK(strstr(again->str, "PNGDATA") && strstr(again->str, "mine") &&
		    m && strcmp(m->text, "mine") == 0,
		    "parsed tree independent of the input buffer");
		g_string_free(again, TRUE);
	}
	message_free(m);

	/* mbox From line is skipped */
	const char *mbox = "From someone Mon Jan  1 00:00:00 2026\nSubject: s\n\nb\n";
	m = parse(mbox, strlen(mbox), &lim);
	TEST_STR(m ? m->subject : NULL, "s", "mbox From_ line skipped");
	message_free(m);

	/* NUL bytes in headers and body */
	static const char nul[] = "From: a@example.com\nSubject: nul\0here\n"
	    "Content-Type: text/plain; charset=utf-8\n\nbefore\0after\n";
	m = parse(nul, sizeof(nul) - 1, &lim);
	TEST_OK(m != NULL, "NUL bytes parse");
	TEST_STR(m ? m->text : NULL, "before\xef\xbf\xbd" "after", "NUL in body is U+FFFD");
	TEST_OK(m && g_utf8_validate(m->subject, -1, NULL), "subject valid with NUL: %s",
	    m ? m->subject : "");
	message_free(m);

	/* CRLF mail */
	const char *crlf = "From: a@example.com\r\nSubject: crlf\r\n\r\nline 1\r\nline 2\r\n";
	m = parse(crlf, strlen(crlf), &lim);
	TEST_STR(m ? m->text : NULL, "line 1\nline 2", "CRLF to LF");
	TEST_STR(m ? m->subject : NULL, "crlf", "CRLF subject");
	message_free(m);

	/* 200 levels of multipart nesting */
	s = g_string_new("From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 200; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ninnermost\n");
	for (int i = 199; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	m = parse(s->str, s->len, &lim);
	TEST_OK(m != NULL, "200-deep nesting parses");
	TEST_INT(m ? m->truncated : -1, 1, "200-deep nesting truncated");
	TEST_OK(m && m->notes->len == 1 &&
	    strcmp(m->notes->pdata[0], "MIME nesting deeper than 100: inner parts dropped") == 0,
	    "200-deep nesting noted");
	TEST_STR(m ? m->text : NULL, "", "200-deep: innermost text dropped");
	message_free(m);
	g_string_free(s, TRUE);

	/* too many parts */
	struct pd_parse_limits few = lim;
	few.max_parts = 5;
	s = g_string_new("From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 10; i++)
		g_string_append_printf(s, "--b\nContent-Type: text/plain\n\np%d\n", i);
	g_string_append(s, "--b--\n");
	m = parse(s->str, s->len, &few);
	TEST_INT(m ? m->truncated : -1, 1, "part limit truncates");
	TEST_STR(m ? m->text : NULL, "p0\n\np1\n\np2\n\np3", "parts up to the limit kept");
	message_free(m);
	g_string_free(s, TRUE);

	/* unknown charset: noted, decoded as a fallback */
	const char *unk = "From: a@example.com\nContent-Type: text/plain; charset=x-martian\n\n"
	    "caf\xe9\n";
	m = parse(unk, strlen(unk), &lim);
	TEST_STR(m ? m->text : NULL, "caf\xc3\xa9", "unknown charset falls back to CP1252");
	TEST_STR(m && m->notes->len ? m->notes->pdata[0] : NULL,
	    "unknown charset \"x-martian\", read as Windows-1252", "unknown charset noted");
	message_free(m);

	/* an unterminated multipart and a bogus boundary still give text */
	const char *broken = "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nhalf";
	m = parse(broken, strlen(broken), &lim);
	TEST_STR(m ? m->text : NULL, "half", "unterminated multipart");
	message_free(m);
}

/* The top-level "subject" of a mail-parser JSON: in the first part's
 * headers, as {"Text": "..."}.  NULL when it has none. */
static char *
json_subject(const char *json)
{
	const char *hdrs = strstr(json, "\n      \"headers\": [");
	const char *end = hdrs ? strstr(hdrs, "\n      ]") : NULL;
	const char *p, *q;
	GString *out;

	if (hdrs == NULL || end == NULL)
		return NULL;
	p = g_strstr_len(hdrs, end - hdrs, "\"name\": \"subject\"");
	if (p == NULL)
		return NULL;
	p = g_strstr_len(p, end - p, "\"Text\": \"");
	if (p == NULL)
		return NULL;
	p += 9;
	out = g_string_new(NULL);
	for (q = p; *q && *q != '"'; q++) {
		if (*q != '\\') {
			g_string_append_c(out, *q);
			continue;
		}
		q++;
		switch (*q) {
		case 'n': g_string_append_c(out, '\n'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case 'u': {
			char hex[5] = { 0 };
			strncpy(hex, q + 1, 4);
			g_string_append_unichar(out, (gunichar)strtoul(hex, NULL, 16));
			q += 4;
			break;
		}
		case '\0': q--; break;
		default: g_string_append_c(out, *q);
		}
	}
	return g_string_free(out, FALSE);
}

static void
test_corpus_mime(void)
{
	static const char *dirs[] = { "rfc", "thirdparty", "malformed" };
	int files = 0, parsed = 0, valid = 0, compared = 0, same = 0, wired = 0;
	char *top = test_src("../shared/corpus/mime");

	if (!g_file_test(top, G_FILE_TEST_IS_DIR)) {
		printf("# corpus mime absent: skipped\n");
		g_free(top);
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		char *dir = g_build_filename(top, dirs[i], NULL);
		GDir *d = g_dir_open(dir, 0, NULL);
		const char *name;

		while (d && (name = g_dir_read_name(d))) {
			char *path, *raw, *jpath, *json, *want;
			gsize len;
			struct pd_message *m;

			if (!g_str_has_suffix(name, ".eml"))
				continue;
			path = g_build_filename(dir, name, NULL);
			if (!g_file_get_contents(path, &raw, &len, NULL)) {
				g_free(path);
				continue;
			}
			files++;
			m = parse(raw, len, &lim);
			if (m)
				parsed++;
			else
				printf("# %s/%s did not parse\n", dirs[i], name);
			if (m && g_utf8_validate(m->text, -1, NULL) &&
			    g_utf8_validate(m->subject, -1, NULL))
				valid++;
			if (m && wire_roundtrip(m))
				wired++;
			jpath = g_strndup(path, strlen(path) - 4);
			char *jp = g_strconcat(jpath, ".json", NULL);
			if (m && g_file_get_contents(jp, &json, NULL, NULL)) {
				if ((want = json_subject(json)) != NULL) {
					compared++;
					/* mail-parser keeps folding whitespace; we
					 * unfold, so compare with runs collapsed */
					char **w = g_strsplit_set(want, " \t\r\n", -1);
					char **g = g_strsplit_set(m->subject, " \t\r\n", -1);
					char *wj = g_strjoinv(" ", w), *gj = g_strjoinv(" ", g);
					if (strcmp(g_strstrip(wj), g_strstrip(gj)) == 0)
						same++;
					else
						printf("# %s/%s subject [%s] want [%s]\n",
						    dirs[i], name, gj, wj);
					g_strfreev(w);
					g_strfreev(g);
					g_free(wj);
					g_free(gj);
					g_free(want);
				}
				g_free(json);
			}
			g_free(jp);
			g_free(jpath);
			message_free(m);
			g_free(raw);
			g_free(path);
		}
		if (d)
			g_dir_close(d);
		g_free(dir);
	}
	TEST_INT(parsed, files, "corpus mime: all %d messages parse", files);
	TEST_INT(valid, files, "corpus mime: all texts valid UTF-8");
	TEST_INT(wired, files, "corpus mime: all serialise and read back the same");
	TEST_OK(compared >= 20, "corpus mime: %d subjects to compare", compared);
	TEST_INT(same, compared, "corpus mime: decoded subjects match");
	g_free(top);
}


/* message_wire: the tables cover the structs; a variant that is not a
 * message, or one that breaks an invariant, is refused; any bytes are
 * safe to read. */
static void
test_wire(void)
{
	char *err = NULL;
	struct pd_message *m = NULL, *m2 = NULL;
	const char *src = "From: a@example.com\nSubject: w\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
	    "body\n--b\nContent-Type: image/png\nContent-Disposition: attachment; "
	    "filename=x.png\n\nPNG\n--b\nContent-Type: image/png\n\n\n--b--\n";

	TEST_INT(message_wire_check(&err), 0, "wire tables cover every struct%s%s",
	    err ? ": " : "", err ? err : "");
	g_clear_pointer(&err, g_free);

	m = parse(src, strlen(src), &lim);
	TEST_OK(m && wire_roundtrip(m), "attachments and parts round trip");

	GVariant *bad = g_variant_ref_sink(g_variant_new_string("x"));
	TEST_INT(message_wire_from(bad, &m2, &err), -1, "a string is no message");
	TEST_STR(err, "not a serialised message", "its error");
	g_clear_pointer(&err, g_free);
	g_variant_unref(bad);

	/* a part naming an attachment that is not there */
	if (m && m->parts->len > 2) {
		((struct pd_part *)m->parts->pdata[2])->attachment = 7;
		GVariant *v = message_wire_to(m);
		TEST_INT(message_wire_from(v, &m2, &err), -1, "attachment index out of range");
		TEST_OK(err && strstr(err, "names attachment 7"), "its error: %s", err);
		g_clear_pointer(&err, g_free);
		((struct pd_part *)m->parts->pdata[2])->attachment = -1;
		g_variant_unref(v);
	}

	/* random bytes: never a crash, a refusal or a message */
	GRand *r = g_rand_new_with_seed(8);
	int safe = 1;
	for (int i = 0; i < 300; i++) {
		GVariant *v = message_wire_to(m);
		gsize n = g_variant_get_size(v);
		guint8 *d = g_memdup2(g_variant_get_data(v), n);

		for (int k = 0; k < 1 + i % 7; k++)
			d[g_rand_int_range(r, 0, (gint32)n)] = (guint8)g_rand_int(r);
		GBytes *b = g_bytes_new_take(d, n);
		GVariant *fuzz = g_variant_ref_sink(g_variant_new_from_bytes(
		    message_wire_type(), b, FALSE));
		if (message_wire_from(fuzz, &m2, &err) == 0) {
			safe &= m2->subject != NULL && m2->text != NULL;
			message_free(m2);
		} else
			safe &= err != NULL;
		g_clear_pointer(&err, g_free);
		g_variant_unref(fuzz);
		g_bytes_unref(b);
		g_variant_unref(v);
	}
	g_rand_free(r);
	TEST_OK(safe, "300 damaged variants read safely");
	message_free(m);
}

int
main(void)
{
	message_init();
	message_init();		/* twice is harmless */
	setup_limits();
	test_html();
	test_headers();
	test_to_utf8();
	test_charsets();
	test_fixtures();
	test_tnef();
	test_parts();
	test_limits();
	test_malformed();
	test_corpus_mime();
	test_wire();
	g_ptr_array_unref(lim.allowed_types);
	return test_done();
}

/* test_mailout.c: the direct writer of plain mail gives the bytes GMime
 * gives, over a few thousand random mails made of plain and awkward
 * values; the awkward ones are left to GMime; the mail of the bench
 * (a notification with an attachment, an acknowledgement) goes the
 * direct way. */
#include <gmime/gmime.h>

#include "test.h"
#include "mailout.h"

static const char *const names[] = { NULL, "", "Paul Smith", "Support", "A",
	"J\xc3\xbcrgen M\xc3\xbcller", "Smith, Alice", "Dr. Who", " Lead", "Two  Spaces",
	"Trailing ", "O'Brien", "x-y", "Alice via Support",
	"Averyveryverylongnamethatgoesonandonandonforeverandeverandeverandeverok" };
static const char *const addrs[] = { "a@example.com", "paul.smith0@mail.example.com",
	"a+b@example.com", "a@Example.COM", "a..b@example.com", ".a@example.com",
	"a.@example.com", "a_b-c@ex-ample.org", "support+TKT-0001.6420324dea083ab0@example.com",
	"x@xn--bcher-kva.example", "q\"x@example.com", "j\xc3\xbc@example.de",
	"averyveryverylonglocalpartthatgoesonandon@averyveryverylongdomain.example.com" };
static const char *const subjects[] = { "Hi", "[TKT-0001] New ticket: Order 94967 has not arrived",
	"[TKT-0001] We received your request: Order 94967 has not arrived",
	"=?utf-8?q?x?=", "Gr\xc3\xbc\xc3\x9f\x65", " lead", "two  spaces", "tab\there",
	"trailing ", "a: b; c, <d> \"e\" (f) [g]", "", "x=y?z", "100% sure!" };
static const char *const plain_subjects[] = { "Hi", "100% sure!",
	"[TKT-0001] New ticket: Order 94967 has not arrived",
	"[TKT-0001] We received your request: Order 94967 has not arrived and more",
	"[TKT-0001] We received your request: Order 94967 has not arrived and more words",
	"[TKT-0008] We received your request: Sync between phone and laptop is broken",
	"[TKT-0009] We received your request: Printer driver crashes on startup",
	("[TKT-0008] We received your request: Sync between phone and laptop is broken "
	"again and again and again, and it was working fine yesterday, but now it is "
	"not working at all any more, whatever we try, and we tried many things"),
	("a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n "
	"o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z"),
	("Averyveryverylongwordthatgoesonandonandonforeverandeverandeverandeverandeverok "
	"and more") };
static const char *const texts[] = { "", "hello", "hello\n", "line 1\nline 2\n",
	"trailing  \nspaces \t\n", "From me\n.\n=\n", "Gr\xc3\xbc\xc3\x9f\x65\n", "cr\r\nlf\r\n",
	"bad \xff utf-8\n", "\tindent\n", "no newline at end",
	"http://127.0.0.1/cgi-bin/postdesk.cgi?t=TKT-0001&k=9cfb7172a45668ba3251\n" };
static const char *const ids[] = { NULL, "", "0.e93045ed@bench.example.org", "x@y",
	"bad id@x", "a<b@c", "TKT-0001.38c7e537707d42aa.07d824e7733e994d@example.com",
	"$1@weird.example", "r\xc3\xa9@example.org" };
static const char *const refids[] = { "0.e93045ed@bench.example.org", "x@y",
	"bad id@x", "TKT-0001.38c7e537707d42aa.07d824e7733e994d@example.com" };
static const char *const types[] = { "image/png", "application/pdf", "text/plain",
	"Image/PNG", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" };
static const char *const files[] = { "screenshot.png", "a b.pdf", "r\xc3\xa9sum\xc3\xa9.pdf",
	"log.bin", ".hidden", "x\"y.txt", "a;b.txt", "averyveryverylongfilenamethatgoesonandonandon.txt" };

#define PICK(r, a) ((a)[g_rand_int_range((r), 0, G_N_ELEMENTS(a))])
/* In a mostly plain mail, the plain value 19 times in 20. */
static int plain;
#define MAYBE(r, v, a) (plain && g_rand_int_range((r), 0, 20) ? (v) : PICK(r, a))

static char *
long_text(GRand *r)
{
	GString *s = g_string_new(NULL);
	int n = g_rand_int_range(r, 0, 400);

	for (int i = 0; i < n; i++) {
		int c = g_rand_int_range(r, 0, 40);
		if (c == 0)
			g_string_append_c(s, '\n');
		else if (c < 4)
			g_string_append_c(s, ' ');
		else if (c == 4)
			g_string_append(s, "=");
		else if (c == 5)
			g_string_append(s, "\xc3\xa9");
		else
			g_string_append_c(s, (char)('a' + c % 26));
	}
	return g_string_free(s, FALSE);
}

static struct pd_addr *
addr_new(GRand *r)
{
	struct pd_addr *a = g_new0(struct pd_addr, 1);

	a->name = g_strdup(MAYBE(r, g_rand_boolean(r) ? "Paul Smith" : NULL, names));
	a->addr = g_strdup(MAYBE(r, "paul.smith0@mail.example.com", addrs));
	return a;
}

/* A random mail; *text_r and the arrays are the caller's to free. */
static void
random_mail(GRand *r, struct pd_mail_out *o, char **text_r)
{
	memset(o, 0, sizeof *o);
	plain = g_rand_boolean(r);
	o->from_name = MAYBE(r, "Support", names);
	o->from_addr = MAYBE(r, "support@example.com", addrs);
	o->reply_to = g_rand_boolean(r) ? NULL : MAYBE(r, addrs[8], addrs);
	o->to = g_ptr_array_new_with_free_func(message_addr_free);
	for (int i = g_rand_int_range(r, 1, 4) - (g_rand_int_range(r, 0, 20) == 0); i > 0; i--)
		g_ptr_array_add(o->to, addr_new(r));
	if (!plain && g_rand_int_range(r, 0, 8) == 0) {
		o->cc = g_ptr_array_new_with_free_func(message_addr_free);
		g_ptr_array_add(o->cc, addr_new(r));
	}
	o->subject = plain || g_rand_boolean(r) ? PICK(r, plain_subjects) : PICK(r, subjects);
	*text_r = g_rand_boolean(r) ? long_text(r) : g_strdup(PICK(r, texts));
	o->text = *text_r;
	o->html = g_rand_int_range(r, 0, 5) == 0 ? "<p>Hello\n<b>there</b></p>\n" : NULL;
	o->message_id = g_rand_int_range(r, 0, 10) ? "TKT-0001.38c7e537707d42aa.07d8@example.com" :
	    "odd id@example.com";
	o->in_reply_to = MAYBE(r, "0.e93045ed@bench.example.org", ids);
	if (g_rand_boolean(r)) {
		int n = g_rand_int_range(r, 0, 4) == 0 ? 25 : g_rand_int_range(r, 1, 4);
		o->references = g_ptr_array_new();
		for (int i = 0; i < n; i++)
			g_ptr_array_add(o->references, (gpointer)PICK(r, refids));
	}
	o->is_auto = g_rand_boolean(r);
	o->human = g_rand_int_range(r, 0, 5) == 0;
	o->x_loop = MAYBE(r, "support@example.com", addrs);
	if (g_rand_int_range(r, 0, 3) == 0) {
		o->attachments = g_ptr_array_new_with_free_func(message_attachment_free);
		for (int i = g_rand_int_range(r, 0, 3); i >= 0; i--) {
			struct pd_attachment *a = g_new0(struct pd_attachment, 1);
			int len = g_rand_int_range(r, 0, 300);
			guint8 *d = g_malloc(len + 1);

			for (int j = 0; j < len; j++)
				d[j] = (guint8)g_rand_int(r);
			a->filename = g_strdup(MAYBE(r, files[g_rand_int_range(r, 0, 2) * 3], files));
			a->content_type = g_strdup(MAYBE(r, types[g_rand_int_range(r, 0, 3)], types));
			a->data = g_rand_int_range(r, 0, 6) ? g_bytes_new_take(d, len) : NULL;
			if (a->data == NULL)
				g_free(d);
			g_ptr_array_add(o->attachments, a);
		}
	}
	o->date = 1764685775 + g_rand_int_range(r, 0, 100000000);
}

static void
mail_clear(struct pd_mail_out *o, char *text)
{
	g_ptr_array_unref(o->to);
	if (o->cc)
		g_ptr_array_unref(o->cc);
	if (o->references)
		g_ptr_array_unref(o->references);
	if (o->attachments)
		g_ptr_array_unref(o->attachments);
	g_free(text);
}

static int
same(GByteArray *a, GByteArray *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void
random_mails(void)
{
	GRand *r = g_rand_new_with_seed(12);
	int direct = 0, differ = 0, built_differ = 0;

	for (int i = 0; i < 4000; i++) {
		struct pd_mail_out o;
		GByteArray *gm, *d, *built;
		char *text;

		random_mail(r, &o, &text);
		gm = mailout_build_gmime(&o);
		built = mailout_build(&o);
		if (!same(gm, built))
			built_differ++;
		if (mailout_build_direct(&o, &d)) {
			direct++;
			if (!same(gm, d) && differ++ == 0) {
				g_file_set_contents("mailout-gmime.eml", (char *)gm->data,
				    gm->len, NULL);
				g_file_set_contents("mailout-direct.eml", (char *)d->data,
				    d->len, NULL);
				printf("# mail %d differs: mailout-gmime.eml, "
				    "mailout-direct.eml\n", i);
			}
			g_byte_array_unref(d);
		}
		g_byte_array_unref(gm);
		g_byte_array_unref(built);
		mail_clear(&o, text);
	}
	TEST_INT(differ, 0, "random mails: the direct bytes are GMime's (%d direct)", direct);
	TEST_INT(built_differ, 0, "random mails: mailout_build gives GMime's bytes");
	TEST_OK(direct > 300, "random mails: many go the direct way (%d of 4000)", direct);
	TEST_OK(direct < 3000, "random mails: many are left to GMime (%d direct)", direct);
	g_rand_free(r);
}

/* The bench's staff notification: a plain mail with a screenshot. */
static void
bench_mails(void)
{
	struct pd_addr to = { "Paul Smith", "paul.smith0@mail.example.com" };
	struct pd_attachment att = { .filename = "screenshot.png", .content_type = "image/png" };
	GPtrArray *tos = g_ptr_array_new(), *atts = g_ptr_array_new();
	GPtrArray *refs = g_ptr_array_new();
	struct pd_mail_out o = { .from_name = "Support", .from_addr = "support@example.com",
		.reply_to = "support+TKT-0001.6420324dea083ab0@example.com", .to = tos,
		.subject = "[TKT-0001] New ticket: Order 94967 has not arrived",
		.text = "Hello,\n\nSee the attachment.  \n", .x_loop = "support@example.com",
		.message_id = "TKT-0001.d8e00a6a2bee9cdf.1a350853550e3c3c@example.com",
		.in_reply_to = "0.e93045ed@bench.example.org", .references = refs,
		.attachments = atts, .date = 1764685775 };
	GByteArray *gm, *d = NULL;

	att.data = g_bytes_new_static("\x89PNG\r\n\x1a\n0123456789", 18);
	g_ptr_array_add(tos, &to);
	g_ptr_array_add(atts, &att);
	g_ptr_array_add(refs, "0.e93045ed@bench.example.org");
	gm = mailout_build_gmime(&o);
	TEST_INT(mailout_build_direct(&o, &d), 1, "notification: the direct way");
	TEST_OK(d && same(gm, d), "notification: GMime's bytes");
	if (d)
		g_byte_array_unref(d);
	g_byte_array_unref(gm);
	g_ptr_array_set_size(atts, 0);
	o.subject = "Gr\xc3\xbc\xc3\x9f\x65";
	TEST_INT(mailout_build_direct(&o, &d), 0, "a UTF-8 subject is left to GMime");
	gm = mailout_build(&o);
	g_byte_array_append(gm, (const guint8 *)"", 1);
	TEST_OK(g_strstr_len((char *)gm->data, -1, "Subject: =?UTF-8?") || strstr((char *)gm->data, "Subject: =?utf-8?") != NULL,
	    "... which encodes it");
	TEST_OK(strstr((char *)gm->data, "Content-Type: text/plain; charset=utf-8\r\n") != NULL,
	    "... and labels the text utf-8");
	g_byte_array_unref(gm);
	g_bytes_unref(att.data);
	g_ptr_array_unref(tos);
	g_ptr_array_unref(atts);
	g_ptr_array_unref(refs);
}

int
main(void)
{
	g_mime_init();
	random_mails();
	bench_mails();
	g_mime_shutdown();
	return test_done();
}

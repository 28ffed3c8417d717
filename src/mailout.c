/* mailout.c: GMime builds every header, so a CR LF hidden in a
 * customer's subject or name is encoded, never a new header. */
#include <string.h>

#include <gmime/gmime.h>

#include "mailout.h"
#include "util.h"

/* A Message-ID as it may stand between <>: no white space, no brackets. */
static int
msgid_ok(const char *id)
{
	return id && *id && strpbrk(id, "<> \t\r\n") == NULL;
}

/* GMime folds and encodes; we still refuse raw line breaks in values. */
static char *
one_line(const char *s)
{
	char *v = g_strdup(s ? s : "");

	for (char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return v;
}

static void
add_addrs(GMimeMessage *m, GMimeAddressType type, GPtrArray *addrs)
{
	InternetAddressList *list = g_mime_message_get_addresses(m, type);

	for (guint i = 0; addrs && i < addrs->len; i++) {
		const struct pd_addr *a = addrs->pdata[i];
		char *name = one_line(a->name);
		InternetAddress *ia = internet_address_mailbox_new(name, a->addr);
		internet_address_list_add(list, ia);
		g_object_unref(ia);
		g_free(name);
	}
}

/* A memory stream over len bytes at d (an empty one for none: GMime
 * refuses a NULL buffer). */
static GMimeStream *
bytes_stream(const void *d, gsize len)
{
	return d && len ? g_mime_stream_mem_new_with_buffer(d, len) : g_mime_stream_mem_new();
}

/* Text as UTF-8 bytes labelled utf-8.  (g_mime_text_part_set_text
 * would pick ISO-8859-1 for text that fits it and convert the bytes,
 * and a utf-8 label set afterwards would then lie.) */
static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	const char *t = text ? text : "";
	char *valid = g_utf8_make_valid(t, -1);
	GMimeStream *mem = bytes_stream(valid, strlen(valid));
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(mem,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(tp), w);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(tp), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(w);
	g_object_unref(mem);
	g_free(valid);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
attachment_part(const struct pd_attachment *a)
{
	GMimeContentType *ct = g_mime_content_type_parse(NULL, a->content_type);
	GMimePart *p = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
	    g_mime_content_type_get_media_subtype(ct));
	gsize len;
	const void *d = g_bytes_get_data(a->data, &len);
	GMimeStream *mem = bytes_stream(d, len);	/* an empty file stays one */
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(mem,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	char *name = one_line(a->filename);

	g_mime_part_set_content(p, w);
	g_mime_part_set_filename(p, name);
	g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
	g_free(name);
	g_object_unref(w);
	g_object_unref(mem);
	g_object_unref(ct);
	return GMIME_OBJECT(p);
}

/* A boundary made from the Message-ID, so the same mail is the same
 * bytes each time it is made (outbox_render).  "=-" never occurs in
 * quoted-printable or base64, the only encodings of our parts. */
static void
set_boundary(GMimeMultipart *mp, const char *message_id, const char *which)
{
	char *seed, *sum, *b;

	if (message_id == NULL)
		return;		/* GMime's random one */
	seed = g_strconcat(which, "/", message_id, NULL);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
	b = g_strdup_printf("=-%.24s", sum);
	g_mime_multipart_set_boundary(mp, b);
	g_free(b);
	g_free(sum);
	g_free(seed);
}

/* The direct way (issue 12): plain mail - ASCII header values that need
 * no quoting, encoding or folding, simple attachment names - written
 * straight into the buffer, the same bytes GMime writes (test_mailout
 * compares the two) without building and freeing GMime's object tree.
 * Anything else is left to GMime. */
#define PLAIN_LINE	76	/* a header line no writer folds */

static int
plain_char(int c, const char *extra)
{
	return g_ascii_isalnum(c) || (c && strchr(extra, c) != NULL);
}

/* Letters, digits and single inner spaces: a phrase GMime writes as is. */
static int
plain_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 1;
	if (*s == ' ')
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' && (p[1] == ' ' || p[1] == '\0'))
			return 0;
		if (*p != ' ' && !g_ascii_isalnum(*p))
			return 0;
	}
	return 1;
}

static int
plain_token(const char *s, const char *extra)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (const char *p = s; *p; p++)
		if (!plain_char(*p, extra))
			return 0;
	return 1;
}

/* local@domain, both plain, the domain in lower case (no IDN work). */
static int
plain_addr(const char *a)
{
	const char *at = a ? strchr(a, '@') : NULL;
	char *local;
	int ok;

	if (at == NULL || at == a || strchr(at + 1, '@') || at[1] == '\0')
		return 0;
	for (const char *p = at + 1; *p; p++)
		if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '.' || *p == '-'))
			return 0;
	if (at[1] == '.' || at[1] == '-' || strstr(at, "..") || a[0] == '.' ||
	    at[-1] == '.')
		return 0;
	local = g_strndup(a, (gsize)(at - a));
	ok = plain_token(local, "+-_") || (plain_token(local, ".+-_") &&
	    strstr(local, "..") == NULL);
	g_free(local);
	return ok;
}

/* Printable ASCII, no encoded-word look, single inner spaces. */
static int
plain_text(const char *s)
{
	if (s == NULL || *s == '\0' || *s == ' ' || strstr(s, "=?"))
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p < 0x21 && *p != ' ')
			return 0;
		if (*p > 0x7e)
			return 0;
		if (*p == ' ' && (p[1] == ' ' || p[1] == '\0'))
			return 0;
	}
	return 1;
}

static int
plain_mbox(const struct pd_addr *a)
{
	return plain_addr(a->addr) && plain_name(a->name);
}

static void
put(GByteArray *b, const char *s)
{
	g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s));
}

/* "Name: value\r\n" if it fits on a line; 0 when it does not. */
static int
put_header(GByteArray *b, const char *name, const char *value)
{
	if (strlen(name) + 2 + strlen(value) > PLAIN_LINE)
		return 0;
	put(b, name);
	put(b, ": ");
	put(b, value);
	put(b, "\r\n");
	return 1;
}

/* An unstructured header of plain words, folded as GMime folds it: a
 * word goes on the next line when the line would pass 78 columns. */
static int
put_folded(GByteArray *b, const char *name, const char *value)
{
	char **words = g_strsplit(value, " ", -1);
	size_t col = strlen(name) + 1;
	int ok = 1;

	for (char **w = words; *w && ok; w++)
		ok = strlen(*w) <= 60;
	if (!ok) {
		g_strfreev(words);
		return 0;
	}
	put(b, name);
	put(b, ":");
	for (char **w = words; *w; w++) {
		size_t len = strlen(*w);

		if (w != words && col + 1 + len > 78) {
			put(b, "\r\n");
			col = 0;
		}
		put(b, " ");
		put(b, *w);
		col += 1 + len;
	}
	put(b, "\r\n");
	g_strfreev(words);
	return 1;
}

static int
put_mbox(GByteArray *b, const char *header, const char *name, const char *addr)
{
	char *v = name && *name ? g_strdup_printf("%s <%s>", name, addr) : g_strdup(addr);
	int ok = put_header(b, header, v);

	g_free(v);
	return ok;
}

static int
put_addrs(GByteArray *b, const char *header, GPtrArray *addrs)
{
	GString *v = g_string_new(NULL);
	int ok;

	for (guint i = 0; i < addrs->len; i++) {
		const struct pd_addr *a = addrs->pdata[i];

		if (v->len)
			g_string_append(v, ", ");
		if (a->name && *a->name)
			g_string_append_printf(v, "%s <%s>", a->name, a->addr);
		else
			g_string_append(v, a->addr);
	}
	ok = put_header(b, header, v->str);
	g_string_free(v, TRUE);
	return ok;
}

/* Encoded content with LF made CR LF, as GMime's encoder and its
 * unix2dos filter write it. */
static void
put_encoded(GByteArray *b, GMimeContentEncoding encoding, const void *d, size_t len)
{
	GMimeEncoding enc;
	char *out, *w;
	size_t n, at = b->len;

	g_mime_encoding_init_encode(&enc, encoding);
	out = g_malloc(g_mime_encoding_outlen(&enc, len) + 16);
	n = g_mime_encoding_flush(&enc, d ? d : "", len, out);
	/* At most one CR added per byte: write in place, then cut. */
	g_byte_array_set_size(b, (guint)(at + 2 * n));
	w = (char *)b->data + at;
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			*w++ = '\r';
		*w++ = out[i];
	}
	g_byte_array_set_size(b, (guint)(w - (char *)b->data));
	g_free(out);
}

static void
put_text_part(GByteArray *b, const char *subtype, const char *text)
{
	const char *t = text ? text : "";
	char *valid = g_utf8_validate(t, -1, NULL) ? NULL : g_utf8_make_valid(t, -1);

	put(b, "Content-Type: text/");
	put(b, subtype);
	put(b, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	if (valid)
		t = valid;
	put_encoded(b, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, t, strlen(t));
	g_free(valid);
}

/* type/subtype in lower case, nothing else. */
static int
plain_type(const char *ct)
{
	const char *slash = ct ? strchr(ct, '/') : NULL;

	if (slash == NULL || slash == ct || slash[1] == '\0')
		return 0;
	for (const char *p = ct; *p; p++)
		if (p != slash && !(g_ascii_islower(*p) || g_ascii_isdigit(*p) ||
		    *p == '.' || *p == '+' || *p == '-'))
			return 0;
	return 1;
}

static int
plain_attachment(const struct pd_attachment *a)
{
	if (a->data == NULL)
		return 1;	/* left out */
	return plain_type(a->content_type) && plain_token(a->filename, "._-") &&
	    a->filename[0] != '.' && strlen(a->content_type) + strlen(a->filename) < 40;
}

static void
put_attachment(GByteArray *b, const struct pd_attachment *a)
{
	gsize len;
	const void *d = g_bytes_get_data(a->data, &len);

	put(b, "Content-Type: ");
	put(b, a->content_type);
	put(b, "; name=");
	put(b, a->filename);
	put(b, "\r\nContent-Disposition: attachment; filename=");
	put(b, a->filename);
	put(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	put_encoded(b, GMIME_CONTENT_ENCODING_BASE64, d, len);
}

static char *
boundary(const char *message_id, const char *which)
{
	char *seed = g_strconcat(which, "/", message_id, NULL);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
	char *b = g_strdup_printf("=-%.24s", sum);

	g_free(sum);
	g_free(seed);
	return b;
}

/* The body: text, text + HTML, either with attachments. */
static void
put_body(GByteArray *b, const struct pd_mail_out *o, int mixed)
{
	char *alt = o->html ? boundary(o->message_id, "alternative") : NULL;
	char *mix = mixed ? boundary(o->message_id, "mixed") : NULL;

	if (mix) {
		put(b, "Content-Type: multipart/mixed; boundary=\"");
		put(b, mix);
		put(b, "\"\r\n\r\n--");
		put(b, mix);
		put(b, "\r\n");
	}
	if (alt) {
		put(b, "Content-Type: multipart/alternative; boundary=\"");
		put(b, alt);
		put(b, "\"\r\n\r\n--");
		put(b, alt);
		put(b, "\r\n");
		put_text_part(b, "plain", o->text);
		put(b, "\r\n--");
		put(b, alt);
		put(b, "\r\n");
		put_text_part(b, "html", o->html);
		put(b, "\r\n--");
		put(b, alt);
		put(b, "--\r\n");
	} else
		put_text_part(b, "plain", o->text);
	if (mix) {
		for (guint i = 0; i < o->attachments->len; i++) {
			const struct pd_attachment *a = o->attachments->pdata[i];
			if (a->data == NULL)
				continue;
			put(b, "\r\n--");
			put(b, mix);
			put(b, "\r\n");
			put_attachment(b, a);
		}
		put(b, "\r\n--");
		put(b, mix);
		put(b, "--\r\n");
	}
	g_free(alt);
	g_free(mix);
}

/* Whether every value of o is plain (the headers' lengths are checked
 * as they are written). */
static int
plain_mail(const struct pd_mail_out *o)
{
	if (!plain_name(o->from_name) || !plain_addr(o->from_addr) ||
	    (o->reply_to && !plain_addr(o->reply_to)) ||
	    o->to == NULL || o->to->len == 0 || (o->cc && o->cc->len) ||
	    !plain_text(o->subject) || !plain_token(o->message_id, "._+-@") ||
	    (o->x_loop && !plain_addr(o->x_loop)) ||
	    (o->in_reply_to && *o->in_reply_to && !plain_token(o->in_reply_to, "._+-@$")))
		return 0;
	for (guint i = 0; i < o->to->len; i++)
		if (!plain_mbox(o->to->pdata[i]))
			return 0;
	for (guint i = 0; o->references && i < o->references->len; i++)
		if (!plain_token(o->references->pdata[i], "._+-@$"))
			return 0;
	for (guint i = 0; o->attachments && i < o->attachments->len; i++)
		if (!plain_attachment(o->attachments->pdata[i]))
			return 0;
	return 1;
}

/*
 * The References value both writers give: the first and the last 19 ids
 * when the chain is long, as RFC 5322 suggests; NULL when none is usable.
 */
static char *
references_value(const struct pd_mail_out *o)
{
	GString *refs;
	guint start;

	if (o->references == NULL || o->references->len == 0)
		return NULL;
	refs = g_string_new(NULL);
	start = o->references->len > 20 ? o->references->len - 19 : 0;
	for (guint i = 0; i < o->references->len; i++) {
		const char *r = o->references->pdata[i];
		if ((i != 0 && i < start) || !msgid_ok(r))
			continue;
		g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", r);
	}
	if (refs->len == 0) {
		g_string_free(refs, TRUE);
		return NULL;
	}
	return g_string_free(refs, FALSE);
}

int
mailout_build_direct(const struct pd_mail_out *o, GByteArray **raw_r)
{
	GByteArray *b;
	GDateTime *dt;
	char *v;
	int ok = 1, mixed = 0;

	if (!plain_mail(o))
		return 0;
	mixed = o->attachments && o->attachments->len;
	b = g_byte_array_sized_new(4096);
	dt = g_date_time_new_from_unix_utc(o->date ? o->date : util_now());
	v = g_mime_utils_header_format_date(dt);
	g_date_time_unref(dt);
	ok = put_header(b, "Date", v);
	g_free(v);
	ok = ok && put_mbox(b, "From", o->from_name, o->from_addr);
	ok = ok && (o->reply_to == NULL || put_mbox(b, "Reply-To", NULL, o->reply_to));
	ok = ok && put_folded(b, "Subject", o->subject);
	ok = ok && put_addrs(b, "To", o->to);
	v = g_strdup_printf("<%s>", o->message_id);
	ok = ok && put_header(b, "Message-Id", v);
	g_free(v);
	if (ok && msgid_ok(o->in_reply_to)) {
		v = g_strdup_printf("<%s>", o->in_reply_to);
		ok = put_header(b, "In-Reply-To", v);
		g_free(v);
	}
	if (ok && (v = references_value(o)) != NULL) {
		ok = put_header(b, "References", v);
		g_free(v);
	}
	if (ok && !o->human)
		ok = put_header(b, "Auto-Submitted", o->is_auto ? "auto-replied" : "auto-generated");
	if (ok && o->x_loop)
		ok = put_header(b, "X-Loop", o->x_loop);
	if (ok && !o->human)
		ok = put_header(b, "X-Auto-Response-Suppress", "All");
	if (!ok) {
		g_byte_array_unref(b);
		return 0;
	}
	put(b, "MIME-Version: 1.0\r\n");
	put_body(b, o, mixed);
	if (b->data[b->len - 1] != '\n')
		put(b, "\r\n");	/* the message ends with a line end */
	*raw_r = b;
	return 1;
}

GByteArray *
mailout_build_gmime(const struct pd_mail_out *o)
{
	GMimeMessage *m = g_mime_message_new(TRUE);
	GMimeObject *body;
	GMimeStream *out;
	GByteArray *raw;
	InternetAddress *from;
	char *v;

	v = one_line(o->from_name);
	from = internet_address_mailbox_new(v, o->from_addr);
	internet_address_list_add(g_mime_message_get_from(m), from);
	g_object_unref(from);
	g_free(v);
	if (o->reply_to) {
		InternetAddress *rt = internet_address_mailbox_new(NULL, o->reply_to);
		internet_address_list_add(g_mime_message_get_reply_to(m), rt);
		g_object_unref(rt);
	}
	add_addrs(m, GMIME_ADDRESS_TYPE_TO, o->to);
	add_addrs(m, GMIME_ADDRESS_TYPE_CC, o->cc);
	v = one_line(o->subject);
	g_mime_message_set_subject(m, v, "utf-8");
	g_free(v);
	{
		GDateTime *dt = g_date_time_new_from_unix_utc(o->date ? o->date : util_now());
		g_mime_message_set_date(m, dt);
		g_date_time_unref(dt);
	}
	g_mime_message_set_message_id(m, o->message_id);
	if (msgid_ok(o->in_reply_to)) {
		v = g_strdup_printf("<%s>", o->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", v, NULL);
		g_free(v);
	}
	if ((v = references_value(o)) != NULL) {
		g_mime_object_set_header(GMIME_OBJECT(m), "References", v, NULL);
		g_free(v);
	}
	if (o->human)
		;	/* a person's mail (SPEC 6): answerable like any other */
	else if (o->is_auto)
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-replied", NULL);
	else
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
	if (o->x_loop)
		g_mime_object_set_header(GMIME_OBJECT(m), "X-Loop", o->x_loop, NULL);
	if (!o->human)
		g_mime_object_set_header(GMIME_OBJECT(m), "X-Auto-Response-Suppress", "All", NULL);

	body = text_part("plain", o->text);
	if (o->html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		set_boundary(alt, o->message_id, "alternative");
		GMimeObject *h = text_part("html", o->html);
		g_mime_multipart_add(alt, body);
		g_mime_multipart_add(alt, h);
		g_object_unref(body);
		g_object_unref(h);
		body = GMIME_OBJECT(alt);
	}
	if (o->attachments && o->attachments->len) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		set_boundary(mixed, o->message_id, "mixed");
		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (guint i = 0; i < o->attachments->len; i++) {
			const struct pd_attachment *a = o->attachments->pdata[i];
			GMimeObject *ap;
			if (a->data == NULL)
				continue;
			ap = attachment_part(a);
			g_mime_multipart_add(mixed, ap);
			g_object_unref(ap);
		}
		body = GMIME_OBJECT(mixed);
	}
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);

	raw = g_byte_array_new();
	out = g_mime_stream_mem_new_with_byte_array(raw);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	{
		GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
		g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
		g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, out);
		g_mime_format_options_free(fo);
	}
	g_object_unref(out);
	g_object_unref(m);
	return raw;
}

GByteArray *
mailout_build(const struct pd_mail_out *o)
{
	GByteArray *raw;

	if (mailout_build_direct(o, &raw))
		return raw;
	return mailout_build_gmime(o);
}

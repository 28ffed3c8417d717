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

GByteArray *
mailout_build(const struct pd_mail_out *o)
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
	if (o->references && o->references->len) {
		GString *refs = g_string_new(NULL);
		/* Keep the first and the last ones, as RFC 5322 suggests when long. */
		guint start = o->references->len > 20 ? o->references->len - 19 : 0;
		for (guint i = 0; i < o->references->len; i++) {
			const char *r = o->references->pdata[i];
			if ((i != 0 && i < start) || !msgid_ok(r))
				continue;
			g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", r);
		}
		if (refs->len)
			g_mime_object_set_header(GMIME_OBJECT(m), "References", refs->str, NULL);
		g_string_free(refs, TRUE);
	}
	if (o->is_auto)
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-replied", NULL);
	else
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
	if (o->x_loop)
		g_mime_object_set_header(GMIME_OBJECT(m), "X-Loop", o->x_loop, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Auto-Response-Suppress", "All", NULL);

	body = text_part("plain", o->text);
	if (o->html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimeObject *h = text_part("html", o->html);
		g_mime_multipart_add(alt, body);
		g_mime_multipart_add(alt, h);
		g_object_unref(body);
		g_object_unref(h);
		body = GMIME_OBJECT(alt);
	}
	if (o->attachments && o->attachments->len) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
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

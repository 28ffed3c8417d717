/* message.c: raw RFC 822 bytes into a decoded struct pd_message.
 * GMime parses; this file decides what the body text is, which parts
 * are attachments, and turns every string into valid UTF-8.  The mail
 * is untrusted: the tree walk is bounded in depth and part count, and
 * every conversion survives bad bytes. */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include <gio/gio.h>
#include <gmime/gmime.h>

#include "html.h"
#include "message.h"
#include "quote.h"
#include "store.h"
#include "tnef.h"
#include "util.h"

#define MAX_FILENAME		200	/* bytes */
#define UU_MAX_LINE		62	/* "M" and 60 characters (45 bytes), and a
					 * checksum character some encoders add */
#define FORWARD_MARKER		"---------- Forwarded message ----------"

static GMimeParserOptions *parser_options;

enum walk_mode {
	MODE_BODY,	/* text parts are the body */
	MODE_ALT,	/* an alternative not chosen: keep HTML, skip text */
};

struct walk {
	struct pd_message *msg;
	const struct pd_parse_limits *lim;
	int	 max_depth;
	int	 max_parts;
	int	 parts;
	int	 stop;		/* part limit reached */
	int	 depth_noted;
	GString	*text;
	GString	*html;
	char	*tnef_body;
	struct pd_part *part;	/* the node being walked, in msg->parts;
				 * NULL inside an embedded message */
	int	 nested;	/* inside an embedded message: its parts are
				 * not recorded in msg->parts */
	int	 report;	/* inside a multipart/report */
};

static void walk_object(struct walk *, GMimeObject *, int, enum walk_mode);
static void walk_embedded(struct walk *, GMimeMessage *, int, enum walk_mode);
static int is_mail_type(const char *);

/* GMime is set up once with lenient parsing: mail in the wild breaks
 * every RFC, and 8-bit headers are usually UTF-8 or Windows-1252. */
void
message_init(void)
{
	static gsize done;
	static const char *fallback[] = { "UTF-8", "windows-1252",
	    "iso-8859-1", NULL };

	if (g_once_init_enter(&done)) {
		g_mime_init();
		parser_options = g_mime_parser_options_new();
		g_mime_parser_options_set_address_compliance_mode(parser_options,
		    GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_parameter_compliance_mode(parser_options,
		    GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_rfc2047_compliance_mode(parser_options,
		    GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_fallback_charsets(parser_options,
		    fallback);
		g_once_init_leave(&done, 1);
	}
}

static void
add_note(struct pd_message *msg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
add_note(struct pd_message *msg, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (msg->notes->len >= 100)	/* enough to see what went wrong */
		return;
	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (guint i = 0; i < msg->notes->len; i++) {
		if (strcmp(g_ptr_array_index(msg->notes, i), s) == 0) {
			g_free(s);
			return;
		}
	}
	g_ptr_array_add(msg->notes, s);
}

/* Valid UTF-8 from bytes that should be UTF-8: a NUL or a bad byte
 * becomes U+FFFD, so a C string never ends early. */
static char *
utf8_sanitize(const char *data, size_t len)
{
	GString *out = g_string_sized_new(len + 1);
	const char *p = data, *end = data + len, *stop;

	while (p < end) {
		g_utf8_validate(p, end - p, &stop);
		g_string_append_len(out, p, stop - p);
		if (stop >= end)
			break;
		g_string_append(out, "\xef\xbf\xbd");
		p = stop + 1;
	}
	return g_string_free(out, FALSE);
}

static int
utf8_clean(const char *data, size_t len)
{
	return memchr(data, '\0', len) == NULL &&
	    g_utf8_validate(data, (gssize)len, NULL);
}

/* iconv with recovery: an invalid byte becomes U+FFFD and decoding goes
 * on; a truncated sequence at the end becomes one U+FFFD. */
static char *
iconv_all(iconv_t cd, const char *data, size_t len)
{
	GString *out = g_string_sized_new(len * 2 + 16);
	char buf[8192], *inp = (char *)data, *outp;
	size_t inleft = len, outleft, r;

	while (inleft > 0) {
		outp = buf;
		outleft = sizeof(buf);
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		g_string_append_len(out, buf, (gssize)(outp - buf));
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		g_string_append(out, "\xef\xbf\xbd");
		if (errno == EINVAL)
			break;
		/* EILSEQ or anything else: skip the byte */
		inp++;
		inleft--;
	}
	outp = buf;
	outleft = sizeof(buf);
	iconv(cd, NULL, NULL, &outp, &outleft);
	g_string_append_len(out, buf, (gssize)(outp - buf));
	char *res = utf8_sanitize(out->str, out->len);
	g_string_free(out, TRUE);
	return res;
}

/* Labels that lie or that iconv lacks, mapped to what is really used:
 * the web's practice (WHATWG Encoding) for the Latin-1 family and GBK. */
static const char *
charset_alias(const char *lower)
{
	static const struct {
		const char *label, *name;
	} aliases[] = {
		{ "iso-8859-1", "CP1252" }, { "iso8859-1", "CP1252" },
		{ "latin1", "CP1252" }, { "l1", "CP1252" },
		{ "iso_8859-1", "CP1252" }, { "x-user-defined", "CP1252" },
		{ "gb2312", "GB18030" }, { "gbk", "GB18030" },
		{ "x-gbk", "GB18030" }, { "euc-cn", "GB18030" },
		{ "cp936", "GB18030" }, { "ks_c_5601-1987", "CP949" },
		{ "shift-jis", "SHIFT_JIS" }, { "x-sjis", "SHIFT_JIS" },
		{ "sjis", "SHIFT_JIS" }, { "windows-31j", "CP932" },
		{ "x-mac-roman", "MACINTOSH" }, { "big5", "BIG5-HKSCS" },
		{ "iso-2022-jp", "ISO-2022-JP-2" },
		{ "unicode-1-1-utf-7", "UTF-7" }, { "utf-7", "UTF-7" },
		{ NULL, NULL }
	};

	for (int i = 0; aliases[i].label; i++)
		if (strcmp(lower, aliases[i].label) == 0)
			return aliases[i].name;
	return NULL;
}

static char *
from_cp1252(const char *data, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", "CP1252");
	char *s;

	if (cd == (iconv_t)-1)
		return utf8_sanitize(data, len);
	s = iconv_all(cd, data, len);
	iconv_close(cd);
	return s;
}

/* Decode to UTF-8; *unknown_r is set when the charset was not usable. */
static char *
to_utf8(const char *data, size_t len, const char *charset, int *unknown_r)
{
	const char *name, *alias;
	char *lower, *res;
	iconv_t cd;

	*unknown_r = 0;
	if (data == NULL)
		return g_strdup("");
	if (charset == NULL || *charset == '\0')
		return utf8_clean(data, len) ? g_strndup(data, len) :
		    (g_utf8_validate(data, (gssize)len, NULL) ?
		    utf8_sanitize(data, len) : from_cp1252(data, len));
	lower = g_ascii_strdown(charset, -1);
	g_strstrip(lower);
	if (strcmp(lower, "utf-8") == 0 || strcmp(lower, "utf8") == 0 ||
	    strcmp(lower, "us-ascii") == 0 || strcmp(lower, "ascii") == 0 ||
	    strcmp(lower, "ansi_x3.4-1968") == 0 || strcmp(lower, "x-unknown") == 0) {
		if (utf8_clean(data, len))
			res = g_strndup(data, len);
		else if (lower[0] == 'u' && lower[1] == 't')
			res = utf8_sanitize(data, len);
		else	/* "ascii" with 8-bit bytes: the usual culprit */
			res = g_utf8_validate(data, (gssize)len, NULL) ?
			    utf8_sanitize(data, len) : from_cp1252(data, len);
		g_free(lower);
		return res;
	}
	alias = charset_alias(lower);
	name = alias ? alias : g_mime_charset_iconv_name(lower);
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 && alias)
		cd = iconv_open("UTF-8", g_mime_charset_iconv_name(lower));
	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-8", charset);
	g_free(lower);
	if (cd == (iconv_t)-1) {
		*unknown_r = 1;
		return utf8_clean(data, len) ? g_strndup(data, len) :
		    from_cp1252(data, len);
	}
	res = iconv_all(cd, data, len);
	iconv_close(cd);
	return res;
}

char *
message_to_utf8(const char *data, size_t len, const char *charset)
{
	int unknown;

	message_init();
	return to_utf8(data, len, charset, &unknown);
}

/* CRLF and lone CR to LF, in place. */
static void
normalize_newlines(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else
			*w++ = *r;
	}
	*w = '\0';
}

/* A raw header value as one line of UTF-8: unfolded, RFC 2047 decoded,
 * control characters made spaces, trimmed.  Caller frees. */
static char *
decode_header_value(const char *raw)
{
	char *unfolded, *dec, *valid;

	if (raw == NULL)
		return NULL;
	unfolded = g_mime_utils_header_unfold(raw);
	dec = g_mime_utils_header_decode_text(parser_options, unfolded);
	g_free(unfolded);
	if (dec == NULL)
		dec = g_strdup("");
	valid = utf8_sanitize(dec, strlen(dec));
	g_free(dec);
	/* one line, blanks collapsed: folding leaves runs of them */
	char *w = valid;
	int blank = 0;
	for (char *p = valid; *p; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\t' || *p == ' ') {
			blank = 1;
			continue;
		}
		if (blank && w != valid)
			*w++ = ' ';
		blank = 0;
		*w++ = *p;
	}
	*w = '\0';
	return valid;
}

static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h;

	if (list == NULL || (h = g_mime_header_list_get_header(list, name)) == NULL)
		return NULL;
	return g_mime_header_get_raw_value(h);
}

const char *
message_header(const struct pd_message *msg, const char *name)
{
	if (msg == NULL || msg->headers == NULL || name == NULL)
		return NULL;
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct pd_header *h = g_ptr_array_index(msg->headers, i);

		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

int
message_header_count(const struct pd_message *msg, const char *name)
{
	int n = 0;

	if (msg == NULL || msg->headers == NULL || name == NULL)
		return 0;
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct pd_header *h = g_ptr_array_index(msg->headers, i);

		if (g_ascii_strcasecmp(h->name, name) == 0)
			n++;
	}
	return n;
}

const char *
message_part_param(const struct pd_part *part, const char *name)
{
	if (part == NULL || part->params == NULL || name == NULL)
		return NULL;
	for (guint i = 0; i < part->params->len; i++) {
		const struct pd_param *p = g_ptr_array_index(part->params, i);

		if (g_ascii_strcasecmp(p->name, name) == 0)
			return p->value;
	}
	return NULL;
}

void
message_header_free(gpointer p)
{
	struct pd_header *h = p;

	g_free(h->name);
	g_free(h->raw);
	g_free(h->value);
	g_free(h);
}

void
message_param_free(gpointer p)
{
	struct pd_param *pa = p;

	g_free(pa->name);
	g_free(pa->value);
	g_free(pa);
}

void
message_part_free(gpointer p)
{
	struct pd_part *pt = p;

	g_free(pt->content_type);
	if (pt->params)
		g_ptr_array_unref(pt->params);
	g_free(pt->disposition);
	g_free(pt->filename);
	if (pt->data)
		g_bytes_unref(pt->data);
	g_free(pt->text);
	if (pt->headers)
		g_ptr_array_unref(pt->headers);
	g_free(pt->message_id);
	g_free(pt->subject);
	g_free(pt->from.name);
	g_free(pt->from.addr);
	g_free(pt);
}

static gint
header_offset_cmp(gconstpointer a, gconstpointer b)
{
	gint64 oa = g_mime_header_get_offset(*(GMimeHeader *const *)a);
	gint64 ob = g_mime_header_get_offset(*(GMimeHeader *const *)b);

	return oa < ob ? -1 : oa > ob;
}

/* The headers of a GMime message as struct pd_header *, in the order
 * of the mail: GMime keeps the Content-* headers on the body part, so
 * both lists are merged by their offsets. */
static GPtrArray *header_list(GPtrArray *);

static GPtrArray *
header_list_message(GMimeMessage *m)
{
	GMimeHeaderList *lists[2] = { g_mime_object_get_header_list(GMIME_OBJECT(m)),
	    NULL };
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GPtrArray *all = g_ptr_array_new(), *out;

	if (body)
		lists[1] = g_mime_object_get_header_list(body);
	for (int l = 0; l < 2; l++) {
		int count = lists[l] ? g_mime_header_list_get_count(lists[l]) : 0;

		for (int i = 0; i < count; i++)
			g_ptr_array_add(all, g_mime_header_list_get_header_at(lists[l], i));
	}
	/* g_ptr_array_sort is stable (merge sort) */
	if (lists[1])
		g_ptr_array_sort(all, header_offset_cmp);
	out = header_list(all);
	g_ptr_array_unref(all);
	return out;
}

/* GMimeHeader *s as struct pd_header *, in order. */
static GPtrArray *
header_list(GPtrArray *list)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(message_header_free);

	for (guint i = 0; i < list->len; i++) {
		GMimeHeader *gh = g_ptr_array_index(list, i);
		const char *name = g_mime_header_get_name(gh);
		const char *raw = g_mime_header_get_raw_value(gh);
		struct pd_header *h = g_new0(struct pd_header, 1);
		char *unfolded;

		h->name = utf8_sanitize(name ? name : "", name ? strlen(name) : 0);
		unfolded = g_mime_utils_header_unfold(raw ? raw : "");
		h->raw = utf8_sanitize(unfolded, strlen(unfolded));
		g_free(unfolded);
		h->value = decode_header_value(raw ? raw : "");
		g_ptr_array_add(out, h);
	}
	return out;
}

void
message_addr_free(gpointer p)
{
	struct pd_addr *a = p;

	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

void
message_attachment_free(gpointer p)
{
	struct pd_attachment *a = p;

	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	if (a->data)
		g_bytes_unref(a->data);
	g_free(a->sha256);
	g_free(a->refused);
	g_free(a);
}

void
message_precompute(struct pd_message *msg, const char *raw, size_t len)
{
	GByteArray *gz = store_raw_pack(raw, len);

	g_free(msg->visible);
	msg->visible = quote_mail_visible(msg->text, msg->subject);
	/* what the wire cannot carry is worked out by the reader again */
	msg->have_visible = msg->visible == NULL || g_utf8_validate(msg->visible, -1, NULL);
	if (!msg->have_visible)
		g_clear_pointer(&msg->visible, g_free);
	if (msg->raw_packed)
		g_bytes_unref(msg->raw_packed);
	msg->raw_packed = gz ? g_byte_array_free_to_bytes(gz) : NULL;
	gz = store_text_pack_alone(msg->text, msg->text ? strlen(msg->text) : 0);
	if (msg->text_packed)
		g_bytes_unref(msg->text_packed);
	msg->text_packed = gz ? g_byte_array_free_to_bytes(gz) : NULL;
}

void
message_free(struct pd_message *msg)
{
	if (msg == NULL)
		return;
	if (msg->headers)
		g_ptr_array_unref(msg->headers);
	if (msg->parts)
		g_ptr_array_unref(msg->parts);
	g_free(msg->message_id);
	g_free(msg->in_reply_to);
	g_ptr_array_unref(msg->references);
	g_free(msg->from.name);
	g_free(msg->from.addr);
	g_free(msg->sender.name);
	g_free(msg->sender.addr);
	g_free(msg->return_path);
	g_ptr_array_unref(msg->to);
	g_ptr_array_unref(msg->cc);
	g_ptr_array_unref(msg->reply_to);
	g_free(msg->subject);
	g_free(msg->text);
	g_free(msg->html);
	g_ptr_array_unref(msg->attachments);
	g_ptr_array_unref(msg->notes);
	g_free(msg->visible);
	if (msg->raw_packed)
		g_bytes_unref(msg->raw_packed);
	if (msg->text_packed)
		g_bytes_unref(msg->text_packed);
	g_free(msg);
}

/* Mailboxes of an address list, groups flattened one level. */
static void
collect_addrs(InternetAddressList *list, GPtrArray *out)
{
	int n;

	if (list == NULL)
		return;
	n = internet_address_list_length(list);
	for (int i = 0; i < n && out->len < 1000; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *m = internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			int mn = m ? internet_address_list_length(m) : 0;

			for (int j = 0; j < mn && out->len < 1000; j++) {
				InternetAddress *mb = internet_address_list_get_address(m, j);

				if (INTERNET_ADDRESS_IS_MAILBOX(mb))
					g_ptr_array_add(out, mb);
			}
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			g_ptr_array_add(out, ia);
	}
}

/* Fill a from InternetAddressMailbox: decoded name, normalized address.
 * Returns 0 when there is a usable address. */
static int
fill_addr(struct pd_addr *a, InternetAddress *ia)
{
	const char *name = internet_address_get_name(ia);
	const char *addr = internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia));

	a->name = NULL;
	a->addr = NULL;
	if (name && *name) {
		a->name = decode_header_value(name);
		if (*a->name == '\0')
			g_clear_pointer(&a->name, g_free);
	}
	if (addr && *addr) {
		char *v = utf8_sanitize(addr, strlen(addr));

		a->addr = util_addr_normalize(v);
		g_free(v);
		if (*a->addr == '\0')
			g_clear_pointer(&a->addr, g_free);
	}
	return a->addr ? 0 : -1;
}

static void
fill_first(struct pd_addr *a, InternetAddressList *list)
{
	GPtrArray *mb = g_ptr_array_new();

	collect_addrs(list, mb);
	a->name = a->addr = NULL;
	for (guint i = 0; i < mb->len; i++) {
		if (fill_addr(a, g_ptr_array_index(mb, i)) == 0 &&
		    strchr(a->addr, '@') != NULL)
			break;
		g_free(a->name);
		g_free(a->addr);
		a->name = a->addr = NULL;
	}
	g_ptr_array_unref(mb);
}

static GPtrArray *
fill_list(InternetAddressList *list)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(message_addr_free);
	GPtrArray *mb = g_ptr_array_new();

	collect_addrs(list, mb);
	for (guint i = 0; i < mb->len; i++) {
		struct pd_addr *a = g_new0(struct pd_addr, 1);

		if (fill_addr(a, g_ptr_array_index(mb, i)) == 0)
			g_ptr_array_add(out, a);
		else
			message_addr_free(a);
	}
	g_ptr_array_unref(mb);
	return out;
}

/* "<id>" or bare "id" from a header that should hold one message id. */
static char *
strip_id(const char *s)
{
	const char *lt, *gt;
	char *id;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((lt = strchr(s, '<')) && (gt = strchr(lt, '>')))
		id = g_strndup(lt + 1, (gsize)(gt - lt - 1));
	else {
		size_t n = strcspn(s, " \t\r\n");
		id = g_strndup(s, n);
	}
	g_strstrip(id);
	if (*id == '\0') {
		g_free(id);
		return NULL;
	}
	char *v = utf8_sanitize(id, strlen(id));
	g_free(id);
	return v;
}

static void
fill_ids(struct pd_message *msg, GMimeMessage *mime)
{
	GMimeObject *obj = GMIME_OBJECT(mime);
	const char *v;
	GMimeReferences *refs;

	if ((v = g_mime_message_get_message_id(mime)) && *v)
		msg->message_id = utf8_sanitize(v, strlen(v));
	else if ((v = raw_header(obj, "Message-ID")))
		msg->message_id = strip_id(v);

	if ((v = raw_header(obj, "In-Reply-To"))) {
		refs = g_mime_references_parse(parser_options, v);
		if (refs && g_mime_references_length(refs) > 0) {
			const char *id = g_mime_references_get_message_id(refs, 0);
			msg->in_reply_to = utf8_sanitize(id, strlen(id));
		} else
			msg->in_reply_to = strip_id(v);
		if (refs)
			g_mime_references_free(refs);
	}
	if ((v = raw_header(obj, "References"))) {
		refs = g_mime_references_parse(parser_options, v);
		int n = refs ? g_mime_references_length(refs) : 0;
		for (int i = 0; i < n; i++) {
			const char *id = g_mime_references_get_message_id(refs, i);
			if (id && *id)
				g_ptr_array_add(msg->references,
				    utf8_sanitize(id, strlen(id)));
		}
		if (refs)
			g_mime_references_free(refs);
	}
}

static void
fill_headers(struct pd_message *msg, GMimeMessage *mime)
{
	GMimeObject *obj = GMIME_OBJECT(mime);
	GDateTime *dt;
	const char *v;

	msg->headers = header_list_message(mime);
	fill_ids(msg, mime);
	fill_first(&msg->from, g_mime_message_get_from(mime));
	if (msg->from.addr == NULL)
		add_note(msg, "no usable From address");
	fill_first(&msg->sender, g_mime_message_get_sender(mime));
	msg->to = fill_list(g_mime_message_get_to(mime));
	msg->cc = fill_list(g_mime_message_get_cc(mime));
	msg->reply_to = fill_list(g_mime_message_get_reply_to(mime));
	if ((v = raw_header(obj, "Return-Path"))) {
		char *s = g_strstrip(g_strdup(v));

		if (strcmp(s, "<>") == 0 || (s[0] == '<' &&
		    strspn(s + 1, " \t") + 1 == strlen(s) - 1 && s[strlen(s) - 1] == '>'))
			msg->return_path = g_strdup("");
		else {
			char *id = strip_id(s);
			msg->return_path = id ? util_addr_normalize(id) : g_strdup("");
			g_free(id);
		}
		g_free(s);
	}
	msg->subject = decode_header_value(raw_header(obj, "Subject"));
	if (msg->subject == NULL)
		msg->subject = g_strdup("");
	if ((dt = g_mime_message_get_date(mime)) != NULL)
		msg->date = g_date_time_to_unix(dt);
	if (msg->date < 0)
		msg->date = 0;
	msg->received_count = message_header_count(msg, "Received");
}

static char *
human_size(gint64 n)
{
	const gint64 mb = 1024 * 1024;

	if (n >= mb && n % mb == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT " MB", n / mb);
	if (n >= mb)
		return g_strdup_printf("%.1f MB", (double)n / (double)mb);
	if (n >= 1024 && n % 1024 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT " KB", n / 1024);
	if (n >= 1024)
		return g_strdup_printf("%.1f KB", (double)n / 1024.0);
	return g_strdup_printf("%" G_GINT64_FORMAT " bytes", n);
}

static int
type_allowed(const struct pd_parse_limits *lim, const char *type)
{
	if (lim == NULL || lim->allowed_types == NULL || lim->allowed_types->len == 0)
		return 1;
	for (guint i = 0; i < lim->allowed_types->len; i++) {
		char *pat = g_ascii_strdown(g_ptr_array_index(lim->allowed_types, i), -1);
		int ok = g_pattern_match_simple(g_strstrip(pat), type);

		g_free(pat);
		if (ok)
			return 1;
	}
	return 0;
}

/* A file name safe to show and store: no directories, no control
 * characters, valid UTF-8, bounded. */
static char *
clean_filename(const char *name, int n)
{
	const char *base;
	char *v, *s;

	if (name == NULL)
		return g_strdup_printf("attachment-%d", n);
	v = utf8_sanitize(name, strlen(name));
	base = v;
	for (const char *p = v; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	s = g_strdup(base);
	g_free(v);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	g_strstrip(s);
	if (strlen(s) > MAX_FILENAME) {
		const char *cut = s + MAX_FILENAME;

		cut = g_utf8_find_prev_char(s, cut + 1);
		s[cut ? cut - s : MAX_FILENAME] = '\0';
	}
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		g_free(s);
		return g_strdup_printf("attachment-%d", n);
	}
	return s;
}

static char *
lower_type(GMimeContentType *ct)
{
	char *t, *l;

	if (ct == NULL)
		return g_strdup("application/octet-stream");
	t = g_mime_content_type_get_mime_type(ct);
	l = g_ascii_strdown(t, -1);
	g_free(t);
	return l;
}

/* Record one attachment, applying the type and size limits.  data may
 * be NULL when the content was not kept because it is too big; size is
 * the decoded size either way.  Takes filename, type and cid. */
static struct pd_attachment *
add_attachment(struct walk *w, char *filename, char *type, char *cid,
    int is_inline, GBytes *data, gint64 size)
{
	struct pd_attachment *a = g_new0(struct pd_attachment, 1);
	const struct pd_parse_limits *lim = w->lim;

	a->filename = filename;
	a->content_type = type;
	a->content_id = cid;
	a->is_inline = is_inline;
	a->size = size;
	if (!type_allowed(lim, type)) {
		a->refused = g_strdup_printf("type %s is not allowed", type);
	} else if ((lim && lim->max_attachment > 0 && size > lim->max_attachment) ||
	    data == NULL) {
		char *h = human_size(lim && lim->max_attachment > 0 ?
		    lim->max_attachment : size);
		a->refused = g_strdup_printf("larger than the %s limit", h);
		g_free(h);
	} else {
		a->data = g_bytes_ref(data);
		a->sha256 = util_sha256_hex(g_bytes_get_data(data, NULL),
		    g_bytes_get_size(data));
	}
	g_ptr_array_add(w->msg->attachments, a);
	return a;
}

/* The decoded content of a leaf.  When it is bigger than limit (> 0)
 * only its size is counted, *data_r stays NULL: a 50 MB attachment is
 * never held decoded when it will be refused anyway. */
static void
part_content(GMimePart *part, gint64 limit, GBytes **data_r, gint64 *size_r)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *src, *mem;
	GByteArray *arr;
	gint64 rawlen;

	*data_r = NULL;
	*size_r = 0;
	if (dw == NULL) {
		*data_r = g_bytes_new(NULL, 0);
		return;
	}
	src = g_mime_data_wrapper_get_stream(dw);
	rawlen = src ? g_mime_stream_length(src) : -1;
	if (limit > 0 && (rawlen < 0 || rawlen > limit)) {
		GMimeStream *null = g_mime_stream_null_new();

		g_mime_data_wrapper_write_to_stream(dw, null);
		*size_r = (gint64)GMIME_STREAM_NULL(null)->written;
		g_object_unref(null);
		if (*size_r > limit)
			return;
	}
	arr = g_byte_array_new();
	mem = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(dw, mem);
	g_object_unref(mem);
	*size_r = arr->len;
	*data_r = g_byte_array_free_to_bytes(arr);
}

static int
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static int
disposition_is(GMimeObject *obj, const char *what)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	const char *v = d ? g_mime_content_disposition_get_disposition(d) : NULL;

	return v && g_ascii_strcasecmp(v, what) == 0;
}

static char *
content_id(GMimeObject *obj)
{
	const char *cid = g_mime_object_get_content_id(obj);

	if (cid == NULL || *cid == '\0')
		return NULL;
	return utf8_sanitize(cid, strlen(cid));
}

/* A text leaf as UTF-8 with LF line ends; notes an unknown charset.
 * *data_r (when not NULL) gets a reference to the decoded bytes. */
static char *
part_text(struct walk *w, GMimePart *part, GBytes **data_r)
{
	GBytes *data;
	gint64 size;
	const char *charset;
	gsize len;
	const char *p;
	char *s;
	int unknown;

	part_content(part, 0, &data, &size);
	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset");
	p = g_bytes_get_data(data, &len);
	s = to_utf8(p ? p : "", len, charset, &unknown);
	if (unknown) {
		char *c = util_printable(charset, 40);
		add_note(w->msg, "unknown charset \"%s\", read as %s", c,
		    utf8_clean(p ? p : "", len) ? "UTF-8" : "Windows-1252");
		g_free(c);
	}
	normalize_newlines(s);
	if (data_r)
		*data_r = g_bytes_ref(data);
	if (w->part) {
		w->part->data = data;
		w->part->text = g_strdup(s);
	} else
		g_bytes_unref(data);
	return s;
}

/* Bytes parsed by GMime as a message, or NULL. */
static GMimeMessage *
message_of_bytes(GBytes *data)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *m;
	gsize len;
	const char *p = g_bytes_get_data(data, &len);

	if (p == NULL || len == 0)
		return NULL;
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, parser_options);
	g_object_unref(parser);
	g_object_unref(stream);
	return m;
}

/* The header block at the start of bytes, for text/rfc822-headers and
 * message/ * leaves: parsed by GMime as a message without body. */
static GPtrArray *
headers_of_bytes(GBytes *data)
{
	GMimeMessage *m = message_of_bytes(data);
	GPtrArray *out;

	if (m == NULL)
		return g_ptr_array_new_with_free_func(message_header_free);
	out = header_list_message(m);
	g_object_unref(m);
	return out;
}

/* A leaf that is not body text: its text for text/ * and message/ *
 * types, the embedded headers for header blocks and messages. */
static void
part_fill_leaf(struct pd_part *pt, GMimeObject *obj)
{
	const char *t = pt->content_type;
	gsize len;
	const char *p;
	int unknown;

	if (pt->data == NULL || pt->text != NULL)
		return;
	if (!g_str_has_prefix(t, "text/") && !g_str_has_prefix(t, "message/"))
		return;
	p = g_bytes_get_data(pt->data, &len);
	pt->text = to_utf8(p ? p : "", len,
	    g_mime_object_get_content_type_parameter(obj, "charset"), &unknown);
	normalize_newlines(pt->text);
	if (strcmp(t, "text/rfc822-headers") == 0 || g_str_has_prefix(t, "message/"))
		pt->headers = headers_of_bytes(pt->data);
}

static void
append_block(GString *out, const char *s)
{
	if (*s == '\0')
		return;
	while (out->len > 0 && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	if (out->len > 0)
		g_string_append(out, "\n\n");
	g_string_append(out, s);
}

static int
is_tnef(GMimeObject *obj)
{
	const char *fn;

	if (is_type(obj, "application", "ms-tnef") ||
	    is_type(obj, "application", "vnd.ms-tnef"))
		return 1;
	fn = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL;
	return fn && g_ascii_strcasecmp(fn, "winmail.dat") == 0;
}

/* winmail.dat: its files replace it, each under the limits; its body
 * text is kept for a mail that has no other text. */
static int
walk_tnef(struct walk *w, GMimePart *part)
{
	GBytes *data;
	gint64 size;
	GPtrArray *files;
	char *body = NULL, *err = NULL;
	gsize len;
	const void *p;

	part_content(part, 0, &data, &size);
	p = g_bytes_get_data(data, &len);
	if (tnef_unpack(p ? p : "", len, &files, &body, &err) == -1) {
		char *e = util_printable(err, 200);

		add_note(w->msg, "winmail.dat could not be unpacked: %s", e);
		g_free(e);
		g_free(err);
		g_bytes_unref(data);
		return -1;
	}
	if (w->part && w->part->data == NULL)
		w->part->data = g_bytes_ref(data);
	g_bytes_unref(data);
	for (guint i = 0; i < files->len; i++) {
		struct tnef_file *f = g_ptr_array_index(files, i);
		int n = (int)w->msg->attachments->len + 1;

		add_attachment(w, clean_filename(f->filename, n),
		    g_ascii_strdown(f->content_type, -1), NULL, 0, f->data,
		    (gint64)g_bytes_get_size(f->data));
	}
	tnef_files_free(files);
	if (body) {
		normalize_newlines(body);
		if (w->tnef_body == NULL && *g_strstrip(body))
			w->tnef_body = body;
		else
			g_free(body);
	}
	return 0;
}

/* One more part (a MIME node or a uuencoded file) against max_parts:
 * -1 when the limit is reached, and the walk stops. */
static int
count_part(struct walk *w)
{
	if (w->stop)
		return -1;
	if (++w->parts > w->max_parts) {
		w->msg->truncated = 1;
		add_note(w->msg, "more than %d MIME parts: the rest dropped",
		    w->max_parts);
		w->stop = 1;
		return -1;
	}
	return 0;
}

/* The MIME type of a file by its name (the shared MIME database, as
 * GIO knows it), "application/octet-stream" when it says nothing. */
static char *
type_of_name(const char *name)
{
	gboolean uncertain;
	char *ct = g_content_type_guess(name, NULL, 0, &uncertain);
	char *mime = ct ? g_content_type_get_mime_type(ct) : NULL;
	char *low;

	g_free(ct);
	if (mime == NULL || strchr(mime, '/') == NULL) {
		g_free(mime);
		return g_strdup("application/octet-stream");
	}
	low = g_ascii_strdown(mime, -1);
	g_free(mime);
	return low;
}

/* The name of a "begin MODE NAME" line (MODE: 3 or 4 octal digits),
 * or NULL when the line is something else.  Caller frees. */
static char *
uu_begin(const char *line, size_t len)
{
	size_t i = 6, digits = 0;

	if (len < 6 || memcmp(line, "begin ", 6) != 0)
		return NULL;
	for (; i < len && line[i] >= '0' && line[i] <= '7'; i++)
		digits++;
	if (digits < 3 || digits > 4 || i >= len || line[i] != ' ')
		return NULL;
	i++;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return i < len ? g_strndup(line + i, len - i) : NULL;
}

static int
uu_end(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len == 3 && memcmp(line, "end", 3) == 0;
}

/* Characters of a uuencoded line of n bytes: its length character and
 * four for every three bytes. */
#define UU_CHARS(n)	(1 + ((n) + 2) / 3 * 4)

/* The block of uuencoded lines after a begin line at p (end of text at
 * end), up to its "end" line: the lines, each cut or padded to its
 * length ('`' for the spaces a transport stripped), into enc.  Returns
 * where the text goes on after the end line, or NULL when these are
 * not uuencoded lines ended by "end" (the text is left as it is). */
static const char *
uu_block(const char *p, const char *end, GString *enc)
{
	int done = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;
		size_t want;
		int n;

		if (uu_end(p, len))
			return next;
		if (done)
			return NULL;	/* only "end" after the empty line */
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x60)
				return NULL;
		n = len > 0 ? (p[0] - 0x20) & 0x3f : 0;
		if (n == 0) {		/* the empty line ("`", " " or stripped) */
			done = 1;
			p = next;
			continue;
		}
		want = UU_CHARS(n);
		if (len > want + 1 || len > UU_MAX_LINE)
			return NULL;
		g_string_append_len(enc, p, (gssize)MIN(len, want));
		for (size_t i = len; i < want; i++)
			g_string_append_c(enc, '`');
		g_string_append_c(enc, '\n');
		p = next;
	}
	return NULL;
}

/* Uuencoded files in a text (Lotus Notes and old clients put them in
 * text/plain): each "begin MODE NAME" ... "end" block becomes an
 * attachment, decoded by GMime, and leaves the text.  Returns the text
 * without them (caller frees), or NULL when there is none. */
static char *
uu_extract(struct walk *w, const char *text)
{
	const char *p = text, *end = text + strlen(text), *line;
	GString *out = NULL;
	const char *copied = text;	/* text before this is in out */

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *name;
		GString *enc;
		const char *after;

		line = p;
		p = nl ? nl + 1 : end;
		if (len < 6 || line[0] != 'b' || (name = uu_begin(line, len)) == NULL)
			continue;
		enc = g_string_new(NULL);
		after = uu_block(p, end, enc);
		if (after == NULL || count_part(w) < 0) {
			g_string_free(enc, TRUE);
			g_free(name);
			if (w->stop)
				break;
			continue;
		}
		/* GMime decodes the lines (the begin line is ours) */
		guchar *bytes = g_malloc(enc->len + 4);
		int state = GMIME_UUDECODE_STATE_BEGIN;
		guint32 save = 0;
		size_t n = g_mime_encoding_uudecode_step((const guchar *)enc->str,
		    enc->len, bytes, &state, &save);
		GBytes *data = g_bytes_new_take(g_realloc(bytes, n ? n : 1), n);
		char *fn = clean_filename(name, (int)w->msg->attachments->len + 1);

		add_attachment(w, fn, type_of_name(fn), NULL, 0, data, (gint64)n);
		g_bytes_unref(data);
		g_string_free(enc, TRUE);
		g_free(name);
		if (out == NULL)
			out = g_string_new(NULL);
		g_string_append_len(out, copied, (gssize)(line - copied));
		/* one blank line where the block was, not two */
		p = after;
		if (out->len == 0 || (out->len >= 2 &&
		    out->str[out->len - 1] == '\n' && out->str[out->len - 2] == '\n'))
			while (p < end && *p == '\n')
				p++;
		copied = p;
	}
	if (out == NULL)
		return NULL;
	g_string_append_len(out, copied, (gssize)(end - copied));
	return g_string_free(out, FALSE);
}

/* A text/plain or text/html part shown inline: its text joins the body
 * (HTML rendered); uuencoded files in plain text come out of it as
 * attachments.  A part with a file name (Content-Disposition inline
 * with filename, or a Content-Type name) is also an attachment under
 * its name, with its bytes as sent. */
static void
walk_inline_text(struct walk *w, GMimePart *part, const char *fn, int html,
    enum walk_mode mode)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GBytes *data;
	char *s = part_text(w, part, &data);

	if (fn != NULL) {
		int n = (int)w->msg->attachments->len + 1;
		struct pd_attachment *a = add_attachment(w, clean_filename(fn, n),
		    lower_type(g_mime_object_get_content_type(obj)), content_id(obj),
		    1, data, (gint64)g_bytes_get_size(data));

		if (w->part && a->data == data)
			w->part->attachment = (int)w->msg->attachments->len - 1;
	}
	g_bytes_unref(data);
	if (html) {
		if (w->html->len > 0)
			g_string_append_c(w->html, '\n');
		g_string_append(w->html, s);
		if (mode == MODE_BODY) {
			char *t = html_to_text(s, strlen(s));
			append_block(w->text, t);
			g_free(t);
		}
	} else if (mode == MODE_BODY) {
		char *rest = uu_extract(w, s);

		append_block(w->text, rest ? rest : s);
		g_free(rest);
	}
	g_free(s);
}

/* The embedded mail's Subject and From on its part. */
static void
part_embedded(struct pd_part *pt, GMimeMessage *sub)
{
	const char *subj = raw_header(GMIME_OBJECT(sub), "Subject");

	g_free(pt->subject);
	pt->subject = subj ? decode_header_value(subj) : g_strdup("");
	g_free(pt->from.name);
	g_free(pt->from.addr);
	fill_first(&pt->from, g_mime_message_get_from(sub));
}

static void
walk_leaf(struct walk *w, GMimePart *part, int depth, enum walk_mode mode)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	const char *fn = g_mime_part_get_filename(part);
	int text = is_type(obj, "text", "plain"), html = is_type(obj, "text", "html");
	gint64 size;
	GBytes *data;
	struct pd_attachment *a;
	char *type;
	int n, mail;

	if (is_tnef(obj) && walk_tnef(w, part) == 0)
		return;
	if ((text || html) && !disposition_is(obj, "attachment") &&
	    (fn == NULL || disposition_is(obj, "inline"))) {
		walk_inline_text(w, part, fn && *fn ? fn : NULL, html, mode);
		return;
	}
	n = (int)w->msg->attachments->len + 1;
	type = lower_type(g_mime_object_get_content_type(obj));
	/* a mail sent base64 (against RFC 2046, but done) is decoded whole:
	 * its attachments are looked at one by one */
	mail = is_mail_type(type) && !w->report;
	part_content(part, w->lim && !mail ? w->lim->max_attachment : 0, &data, &size);
	a = add_attachment(w, clean_filename(fn, n), type, content_id(obj),
	    disposition_is(obj, "inline") ||
	    (g_mime_object_get_content_disposition(obj) == NULL &&
	    g_mime_object_get_content_id(obj) != NULL), data, size);
	if (w->part && data) {
		w->part->data = g_bytes_ref(data);
		if (a->data == data)
			w->part->attachment = (int)w->msg->attachments->len - 1;
		part_fill_leaf(w->part, obj);
	}
	if (mail && data) {
		GMimeMessage *sub = message_of_bytes(data);

		if (sub) {
			if (w->part)
				part_embedded(w->part, sub);
			walk_embedded(w, sub, depth, mode);
			g_object_unref(sub);
		}
	}
	if (data)
		g_bytes_unref(data);
}

static int
is_mail_type(const char *t)
{
	return strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/news") == 0 ||
	    strcmp(t, "message/global") == 0;
}

/* Leading and trailing blank lines and spaces off. */
static void
trim_text(GString *t)
{
	gsize lead = 0;

	while (t->len > 0 && g_ascii_isspace(t->str[t->len - 1]))
		g_string_truncate(t, t->len - 1);
	while (lead < t->len && (t->str[lead] == '\n' || t->str[lead] == '\r'))
		lead++;
	g_string_erase(t, 0, (gssize)lead);
}

/* The mail inside a message/rfc822 part (a mail forwarded as an
 * attachment): its attachments join the mail's; in the body its text
 * follows a forward block with its From, Date, Subject, To and Cc, the
 * way mail clients write a forward (quote.c keeps a forward whole).
 * Its parts count against the same limits and are not recorded in
 * msg->parts (bounce.c reads those: a forwarded bounce is no bounce). */
static void
walk_embedded(struct walk *w, GMimeMessage *sub, int depth, enum walk_mode mode)
{
	static const char *const shown[] = { "From", "Date", "Subject", "To",
	    "Cc" };
	struct walk sw = *w;
	GString *block;

	sw.text = g_string_new(NULL);
	sw.html = g_string_new(NULL);
	sw.tnef_body = NULL;
	sw.part = NULL;
	sw.nested = 1;
	sw.report = 0;
	walk_object(&sw, g_mime_message_get_mime_part(sub), depth + 1, MODE_BODY);
	w->parts = sw.parts;
	w->stop = sw.stop;
	w->depth_noted = sw.depth_noted;
	if (sw.text->len == 0 && sw.html->len > 0) {
		char *t = html_to_text(sw.html->str, sw.html->len);

		g_string_assign(sw.text, t);
		g_free(t);
	}
	if (sw.text->len == 0 && sw.tnef_body)
		g_string_assign(sw.text, sw.tnef_body);
	g_free(sw.tnef_body);
	g_string_free(sw.html, TRUE);
	if (mode == MODE_BODY) {
		block = g_string_new(FORWARD_MARKER);
		for (size_t i = 0; i < G_N_ELEMENTS(shown); i++) {
			char *v = decode_header_value(raw_header(GMIME_OBJECT(sub),
			    shown[i]));

			if (v && *v)
				g_string_append_printf(block, "\n%s: %s", shown[i], v);
			g_free(v);
		}
		trim_text(sw.text);
		if (sw.text->len > 0) {
			g_string_append(block, "\n\n");
			g_string_append_len(block, sw.text->str, (gssize)sw.text->len);
		}
		append_block(w->text, block->str);
		g_string_free(block, TRUE);
	}
	g_string_free(sw.text, TRUE);
}

/* message/rfc822 and friends: kept whole as an attachment (NAME.eml);
 * a mail's own subject and From are recorded on its part, and its
 * attachments and text are walked (walk_embedded) unless it is the
 * returned mail of a report. */
static void
walk_message_part(struct walk *w, GMimeMessagePart *mp, int depth,
    enum walk_mode mode)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *sub = g_mime_message_part_get_message(mp);
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	const char *fn = d ? g_mime_content_disposition_get_parameter(d, "filename") : NULL;
	char *name = NULL, *type;
	GByteArray *arr = g_byte_array_new();
	GMimeStream *mem;
	GBytes *data;
	gint64 size;
	struct pd_attachment *a;
	int n = (int)w->msg->attachments->len + 1, mail;

	type = lower_type(g_mime_object_get_content_type(obj));
	mail = is_mail_type(type);
	if (fn == NULL)
		fn = g_mime_object_get_content_type_parameter(obj, "name");
	if (fn && *fn)
		name = clean_filename(fn, n);
	else if (g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
	    "message", "rfc822") && sub) {
		const char *subj = raw_header(GMIME_OBJECT(sub), "Subject");
		char *ds = decode_header_value(subj);

		if (ds && *ds) {
			char *e = g_strconcat(ds, ".eml", NULL);
			name = clean_filename(e, n);
			g_free(e);
		}
		g_free(ds);
	}
	if (name == NULL) {
		const char *sl = strchr(type, '/');
		name = strcmp(type, "message/rfc822") == 0 || sl == NULL ?
		    g_strdup("message.eml") : g_strdup_printf("%s.txt", sl + 1);
	}
	mem = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (sub)
		g_mime_object_write_to_stream(GMIME_OBJECT(sub), NULL, mem);
	g_object_unref(mem);
	size = arr->len;
	data = g_byte_array_free_to_bytes(arr);
	a = add_attachment(w, name, type, content_id(obj),
	    disposition_is(obj, "inline"), data, size);
	if (w->part) {
		struct pd_part *pt = w->part;
		pt->data = g_bytes_ref(data);
		if (a->data == data)
			pt->attachment = (int)w->msg->attachments->len - 1;
		if (sub) {
			const char *id = g_mime_message_get_message_id(sub);

			pt->headers = header_list_message(sub);
			if (id && *id)
				pt->message_id = utf8_sanitize(id, strlen(id));
		} else
			pt->headers = g_ptr_array_new_with_free_func(message_header_free);
		if (sub && mail)
			part_embedded(pt, sub);
		/* a report GMime took for a message: its text is the report */
		if (!mail) {
			gsize len;
			const char *p = g_bytes_get_data(data, &len);

			pt->text = utf8_sanitize(p ? p : "", len);
			normalize_newlines(pt->text);
		}
	}
	g_bytes_unref(data);
	if (sub && !w->report && mail)
		walk_embedded(w, sub, depth, mode);
}

/* multipart/alternative: the text/plain child is the body; the HTML
 * child only when there is no plain one.  The others are still walked
 * for their HTML and their inline images. */
static void
walk_alternative(struct walk *w, GMimeMultipart *mp, int depth)
{
	int n = g_mime_multipart_get_count(mp), body = -1, fallback = -1;

	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);

		if (body < 0 && GMIME_IS_PART(c) && is_type(c, "text", "plain") &&
		    !disposition_is(c, "attachment"))
			body = i;
		else if (is_type(c, "text", "html") || GMIME_IS_MULTIPART(c))
			fallback = i;	/* the last is the richest */
	}
	if (body < 0)
		body = fallback >= 0 ? fallback : 0;
	for (int i = 0; i < n && !w->stop; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1,
		    i == body ? MODE_BODY : MODE_ALT);
}

static GPtrArray *
param_list(GMimeParamList *list)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(message_param_free);
	int n = list ? g_mime_param_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		GMimeParam *gp = g_mime_param_list_get_parameter_at(list, i);
		const char *name = g_mime_param_get_name(gp);
		const char *value = g_mime_param_get_value(gp);
		struct pd_param *p;

		if (name == NULL)
			continue;
		p = g_new0(struct pd_param, 1);
		p->name = g_ascii_strdown(name, -1);
		p->value = utf8_sanitize(value ? value : "", value ? strlen(value) : 0);
		g_ptr_array_add(out, p);
	}
	return out;
}

/* The node obj as a struct pd_part appended to msg->parts: type,
 * parameters, disposition, file name; its content is filled in by the
 * walk of its kind.  Returns the new part. */
static struct pd_part *
part_record(struct walk *w, GMimeObject *obj, int depth)
{
	struct pd_part *pt = g_new0(struct pd_part, 1);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	const char *v, *fn = NULL;

	pt->depth = depth - 1;
	pt->attachment = -1;
	pt->content_type = ct ? lower_type(ct) : g_strdup("text/plain");
	pt->params = param_list(ct ? g_mime_content_type_get_parameters(ct) : NULL);
	if (d && (v = g_mime_content_disposition_get_disposition(d)) && *v)
		pt->disposition = g_ascii_strdown(v, -1);
	if (d)
		fn = g_mime_content_disposition_get_parameter(d, "filename");
	if (fn == NULL && ct)
		fn = g_mime_content_type_get_parameter(ct, "name");
	if (fn && *fn)
		pt->filename = utf8_sanitize(fn, strlen(fn));
	if (GMIME_IS_MULTIPART(obj)) {
		const char *pro = g_mime_multipart_get_prologue(GMIME_MULTIPART(obj));
		const char *epi = g_mime_multipart_get_epilogue(GMIME_MULTIPART(obj));
		char *both = g_strconcat(pro ? pro : "", pro && epi ? "\n" : "",
		    epi ? epi : "", NULL);

		if (*both) {
			pt->text = utf8_sanitize(both, strlen(both));
			normalize_newlines(pt->text);
		}
		g_free(both);
	}
	g_ptr_array_add(w->msg->parts, pt);
	return pt;
}

/* The tree walk.  Recursion is bounded by max_depth; the part count by
 * max_parts.  What the limits cut is noted and marks the mail truncated. */
static void
walk_object(struct walk *w, GMimeObject *obj, int depth, enum walk_mode mode)
{
	if (w->stop || obj == NULL)
		return;
	if (depth > w->max_depth) {
		w->msg->truncated = 1;
		if (!w->depth_noted)
			add_note(w->msg, "MIME nesting deeper than %d: inner parts dropped",
			    w->max_depth);
		w->depth_noted = 1;
		return;
	}
	if (count_part(w) < 0)
		return;
	w->part = w->nested ? NULL : part_record(w, obj, depth);
	if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_message_part(w, GMIME_MESSAGE_PART(obj), depth, mode);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n, report = is_type(obj, "multipart", "report");

		if (mode == MODE_BODY && is_type(obj, "multipart", "alternative")) {
			walk_alternative(w, mp, depth);
			return;
		}
		n = g_mime_multipart_get_count(mp);
		w->report += report;
		for (int i = 0; i < n && !w->stop; i++)
			walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1, mode);
		w->report -= report;
		return;
	}
	if (GMIME_IS_PART(obj))
		walk_leaf(w, GMIME_PART(obj), depth, mode);
}

/* Is this the first line of a header block?  "Name:" with a printable
 * field name. */
static int
looks_like_header(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 1000; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == ':' || c == ' ' || c == '\t')
			break;
		if (c < 32 || c >= 127)
			return 0;
	}
	if (i == 0)
		return 0;
	/* RFC 822 allowed blanks before the colon */
	while (i < len && i < 1000 && (raw[i] == ' ' || raw[i] == '\t'))
		i++;
	return i < len && raw[i] == ':';
}

/* Size of the header block: up to the first empty line. */
static size_t
header_size(const char *raw, size_t len, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i <= cap; i++) {
		if (raw[i] != '\n')
			continue;
		if (i + 1 < len && raw[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n')
			return i + 1;
	}
	return i;
}

/* Mail whose header lines end in bare CR (old Macintosh mail, some
 * gateways) or in CR CR LF (a CRLF converted twice) has no lines GMime
 * can see: it gets a copy with LF line ends, *len_r its length.  NULL
 * when the header block's lines end in LF or CRLF (mixed is fine):
 * then a lone CR further on is data (a binary part) and stays.  Only a
 * CR before a line that starts a header, a folded line, a CR or an LF
 * counts, so a stray CR inside a header value does not split it.  In
 * the copy a run of CRs before an LF is dropped and every other CR is
 * an LF; base64 and quoted-printable content decodes to the same bytes
 * with either line end. */
static char *
newline_fix(const char *raw, size_t len, size_t cap, size_t *len_r)
{
	size_t i, o = 0;
	int bare = 0;
	char *out;

	for (i = 0; i + 1 < len && i < cap && !bare; i++) {
		const char *n = raw + i + 1;

		if (raw[i] == '\n' && (n[0] == '\n' ||
		    (n[0] == '\r' && i + 2 < len && n[1] == '\n')))
			break;		/* the end of a header block with lines */
		if (raw[i] == '\r' && n[0] != '\n')
			bare = n[0] == '\r' || n[0] == ' ' || n[0] == '\t' ||
			    looks_like_header(n, len - i - 1);
	}
	if (!bare)
		return NULL;
	out = g_malloc(len + 1);
	for (i = 0; i < len;) {
		size_t k = 0;

		if (raw[i] != '\r') {
			out[o++] = raw[i++];
			continue;
		}
		while (i < len && raw[i] == '\r') {
			i++;
			k++;
		}
		if (i < len && raw[i] == '\n')
			continue;
		while (k-- > 0)
			out[o++] = '\n';
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

static int parse_bytes(const char *, size_t, const struct pd_parse_limits *,
    struct pd_message **, char **);

int
message_parse(const char *raw, size_t len, const struct pd_parse_limits *lim,
    struct pd_message **msg_r, char **error_r)
{
	char *fixed;
	size_t flen = 0;
	int rc;

	message_init();
	*msg_r = NULL;
	/* the MIME limits come from the config (intake_parse_limits) only */
	if (lim == NULL || lim->max_depth <= 0 || lim->max_parts <= 0) {
		*error_r = g_strdup("message_parse: no MIME depth and part limits given");
		return -1;
	}
	if (raw == NULL || len == 0) {
		*error_r = g_strdup("empty message");
		return -1;
	}
	fixed = newline_fix(raw, len, lim && lim->max_header > 0 ?
	    (size_t)lim->max_header : len, &flen);
	rc = parse_bytes(fixed ? fixed : raw, fixed ? flen : len, lim, msg_r,
	    error_r);
	if (rc == 0 && fixed)
		add_note(*msg_r, "line ends were bare CR: read as LF");
	g_free(fixed);
	return rc;
}

/* message_parse on bytes whose lines GMime can see. */
static int
parse_bytes(const char *raw, size_t len, const struct pd_parse_limits *lim,
    struct pd_message **msg_r, char **error_r)
{
	struct pd_message *msg;
	struct walk w;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *mime;
	GByteArray *arr;
	size_t hs, cap;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		/* an mbox separator line is not part of the message */
		const char *nl = memchr(raw, '\n', len);

		if (nl == NULL) {
			*error_r = g_strdup("no header: only an mbox From line");
			return -1;
		}
		len -= (size_t)(nl + 1 - raw);
		raw = nl + 1;
	}
	if (len == 0 || !looks_like_header(raw, len)) {
		*error_r = g_strdup("no header: the first line is not a mail header");
		return -1;
	}
	cap = lim && lim->max_header > 0 ? (size_t)lim->max_header : len;
	hs = header_size(raw, len, cap);
	if (lim && lim->max_header > 0 && hs > (size_t)lim->max_header) {
		char *h = human_size(lim->max_header);
		*error_r = g_strdup_printf("header block larger than %s", h);
		g_free(h);
		return -1;
	}

	/* A stream over the caller's bytes without copying them; the
	 * parser copies each part's content (persist off), so nothing in
	 * the result points into raw once we return. */
	arr = g_byte_array_new_take((guint8 *)raw, len);
	stream = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, FALSE);
	mime = g_mime_parser_construct_message(parser, parser_options);
	g_object_unref(parser);
	g_object_unref(stream);
	g_byte_array_steal(arr, NULL);
	g_byte_array_unref(arr);
	if (mime == NULL) {
		*error_r = g_strdup("not a mail message: MIME parser found no message");
		return -1;
	}

	msg = g_new0(struct pd_message, 1);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->attachments = g_ptr_array_new_with_free_func(message_attachment_free);
	msg->parts = g_ptr_array_new_with_free_func(message_part_free);
	msg->notes = g_ptr_array_new_with_free_func(g_free);
	fill_headers(msg, mime);

	memset(&w, 0, sizeof(w));
	w.msg = msg;
	w.lim = lim;
	w.max_depth = lim->max_depth;
	w.max_parts = lim->max_parts;
	w.text = g_string_new(NULL);
	w.html = g_string_new(NULL);
	walk_object(&w, g_mime_message_get_mime_part(mime), 1, MODE_BODY);
	g_object_unref(mime);

	if (w.text->len == 0 && w.html->len > 0) {
		char *t = html_to_text(w.html->str, w.html->len);
		g_string_assign(w.text, t);
		g_free(t);
	}
	if (w.text->len == 0 && w.tnef_body)
		g_string_assign(w.text, w.tnef_body);
	g_free(w.tnef_body);
	/* no blank lines or spaces around the text */
	trim_text(w.text);
	msg->text = g_string_free(w.text, FALSE);
	msg->html = w.html->len > 0 ? g_string_free(w.html, FALSE) :
	    (g_string_free(w.html, TRUE), NULL);
	*msg_r = msg;
	return 0;
}

/* cgi.c: postdesk.cgi (SPEC 8).  The customer's view behind the signed
 * link, the lookup form that mails the link, and the staff view behind
 * the web server's authentication.  Every user string is HTML-escaped;
 * the pages need no JavaScript and load nothing from elsewhere. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "cgi.h"
#include "cgi_private.h"
#include "message.h"
#include "config.h"
#include "ctx.h"
#include "html.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"
#include "ticket_view.h"
#include "token.h"
#include "util.h"

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font-family:sans-serif;margin:0 auto;max-width:48em;padding:0 .8em;"
	"line-height:1.4;color:#222;overflow-wrap:anywhere}"
	"body.wide{max-width:96em}"
	"h1{font-size:1.3em}h2{font-size:1.1em}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25em .4em;border-bottom:1px solid #ddd;"
	"vertical-align:top}"
	"pre{white-space:pre-wrap;word-wrap:break-word;font-family:inherit;margin:.3em 0}"
	".msg{border:1px solid #ccc;border-radius:4px;padding:.5em;margin:.6em 0}"
	"summary{color:#555;cursor:pointer}"
	".staff{background:#f2f7ff}.note{background:#fff8e0;border-left:4px solid #c90}"
	".system{background:#f4f4f4}"
	".meta{color:#555;font-size:.9em}"
	".tabs a{display:inline-block;margin:.2em .4em .2em 0}"
	".tabs a[aria-current]{font-weight:bold;text-decoration:none;color:#000;"
	"border-bottom:3px solid #036}"
	"input,select,textarea,button{font-size:1em;max-width:100%}"
	"textarea{width:100%}"
	".box{border:1px solid #ccc;border-radius:4px;padding:.2em .8em;margin:1em 0}"
	".done{background:#e8f5e9;padding:.4em .6em;border-radius:4px}"
	"fieldset.stars{border:0;padding:0;margin:.4em 0}"
	"fieldset.stars label{display:inline-block;padding:.3em .5em;margin:.1em;"
	"border:1px solid #ccc;border-radius:4px}"
	/* badges: the word is always there, the colour only helps */
	".b{display:inline-block;padding:0 .45em;border-radius:.8em;font-size:.85em;"
	"border:1px solid;white-space:nowrap}"
	".st-open{background:#e3f0ff;color:#034;border-color:#69c}"
	".st-in_progress{background:#efe6ff;color:#315;border-color:#96c}"
	".st-waiting{background:#fff4d6;color:#530;border-color:#c90}"
	".st-on_hold{background:#eee;color:#333;border-color:#999}"
	".st-resolved{background:#e3f6e5;color:#140;border-color:#6a6}"
	".st-closed{background:#ddd;color:#222;border-color:#777}"
	".pr-low{background:#f4f4f4;color:#444;border-color:#bbb}"
	".pr-normal{background:#eef3f7;color:#234;border-color:#9ab}"
	".pr-high{background:#ffe9d6;color:#620;border-color:#d80}"
	".pr-urgent{background:#c00;color:#fff;border-color:#900;font-weight:bold}"
	".sla-ok{background:#e3f6e5;color:#140;border-color:#6a6}"
	".sla-warning{background:#fff4d6;color:#530;border-color:#c90}"
	".sla-breached{background:#fde0e0;color:#600;border-color:#c33;font-weight:bold}"
	".sla-paused{background:#eee;color:#333;border-color:#999;border-style:dashed}"
	".lb{display:inline-block;background:#f0f0f0;border:1px solid #ccc;border-radius:3px;"
	"padding:0 .3em;font-size:.85em;margin:0 .1em}"
	".ref{font-family:monospace;font-weight:bold}"
	"ul.list{list-style:none;padding:0;margin:.5em 0}"
	".t{border-bottom:1px solid #ddd;padding:.45em .2em}"
	".t.cur{background:#eef4ff}.t .tl{display:block}"
	".t.unread .tl{font-weight:bold}"
	".new{color:#b00;font-weight:bold;white-space:nowrap}"
	".filters label{display:inline-block;margin:.2em .4em .2em 0}"
	"form.act.row,form.act.inline{display:inline-block;margin:.2em .6em .2em 0}"
	"ol.hist{padding-left:1.2em}ol.hist li{margin:.2em 0}"
	".held{border-color:#c33;background:#fff5f5}"
	".sr{position:absolute;left:-9999px}"
	".side{margin-top:2em}"
	/* list and ticket side by side on a desktop, the ticket first on a phone */
	"@media (min-width:64em){.split{display:grid;grid-template-columns:minmax(18em,1fr) 2fr;"
	"gap:1.5em;align-items:start}.side{margin-top:0;order:-1}}";

/* Form or query value, trimmed of nothing: NULL when absent. */
const char *
cgi_param(const struct req *r, const char *name)
{
	const char *v = NULL;

	if (r->f)
		v = g_hash_table_lookup(r->f, name);
	if (v == NULL)
		v = g_hash_table_lookup(r->q, name);
	return v;
}

/* A value that is present and not empty. */
const char *
cgi_param_set(const struct req *r, const char *name)
{
	const char *v = cgi_param(r, name);

	return (v && *v) ? v : NULL;
}

int
cgi_form_parse(const char *s, GHashTable *h)
{
	char **pairs;
	int rc = 0;

	if (s == NULL || *s == '\0')
		return 0;
	pairs = g_strsplit(s, "&", 256);
	for (guint i = 0; rc == 0 && pairs[i] != NULL; i++) {
		char *eq, *k, *v;

		if (*pairs[i] == '\0')
			continue;
		g_strdelimit(pairs[i], "+", ' ');
		eq = strchr(pairs[i], '=');
		if (eq)
			*eq++ = '\0';
		k = g_uri_unescape_string(pairs[i], NULL);
		v = g_uri_unescape_string(eq ? eq : "", NULL);
		if (k == NULL || v == NULL || !g_utf8_validate(k, -1, NULL) ||
		    !g_utf8_validate(v, -1, NULL) || strlen(v) > CGI_MAX_BODY) {
			g_free(k);
			g_free(v);
			rc = -1;
			break;
		}
		if (g_hash_table_contains(h, k)) {
			g_free(k);
			g_free(v);
		} else
			g_hash_table_insert(h, k, v);
	}
	g_strfreev(pairs);
	return rc;
}

void
cgi_page_head(struct page *p, const char *title)
{
	g_string_append(p->body, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	html_escape_append(p->body, title);
	g_string_append_printf(p->body, "</title><style>%s</style></head><body%s>\n<h1>", css,
	    p->wide ? " class=\"wide\"" : "");
	html_escape_append(p->body, title);
	g_string_append(p->body, "</h1>\n");
}

void
cgi_page_foot(struct page *p)
{
	g_string_append(p->body, "</body></html>\n");
}

/* A whole page with one paragraph, for errors and answers. */
void
cgi_page_simple(struct page *p, int status, const char *reason, const char *title,
    const char *text)
{
	p->status = status;
	p->reason = reason;
	g_string_truncate(p->body, 0);
	cgi_page_head(p, title);
	g_string_append(p->body, "<p>");
	html_escape_append(p->body, text);
	g_string_append(p->body, "</p>\n");
	cgi_page_foot(p);
}

/* The one answer for an unknown ticket and a wrong key alike. */
void
cgi_page_not_found(struct page *p)
{
	cgi_page_simple(p, 404, "Not Found", "Not found",
	    "This link is not valid. Use the link from your most recent mail, "
	    "or ask for a new one below.");
	g_string_truncate(p->body, p->body->len - strlen("</body></html>\n"));
	g_string_append(p->body, "<p><a href=\"?\">Ask for a new link</a></p>\n");
	cgi_page_foot(p);
}

void
cgi_page_error(struct page *p)
{
	cgi_page_simple(p, 500, "Internal Server Error", "Something went wrong",
	    "The page could not be shown. Please try again later.");
}

/* The one stylesheet's hash for the Content-Security-Policy: no other
 * style (an injected attribute or element) is applied, no script, image,
 * frame or form target elsewhere is allowed at all. */
static const char *
css_hash(void)
{
	static char *h;

	if (h == NULL) {
		guint8 d[32];
		gsize n = sizeof d;
		GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
		char *b64;

		g_checksum_update(c, (const guchar *)css, strlen(css));
		g_checksum_get_digest(c, d, &n);
		g_checksum_free(c);
		b64 = g_base64_encode(d, n);
		h = g_strdup_printf("'sha256-%s'", b64);
		g_free(b64);
	}
	return h;
}

void
cgi_emit_headers(int status, const char *reason, const char *ctype)
{
	printf("Status: %d %s\r\n", status, reason);
	printf("Content-Type: %s\r\n", ctype);
	printf("Content-Security-Policy: default-src 'none'; style-src %s; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n", css_hash());
	printf("X-Content-Type-Options: nosniff\r\n");
	printf("X-Frame-Options: DENY\r\n");
	printf("Referrer-Policy: no-referrer\r\n");
	printf("Cache-Control: no-store\r\n");
}

void
cgi_emit_page(const struct page *p, const char *extra_header)
{
	cgi_emit_headers(p->status, p->reason, "text/html; charset=utf-8");
	if (p->status == 405)
		printf("Allow: GET, POST\r\n");
	if (extra_header)
		printf("%s\r\n", extra_header);
	printf("Content-Length: %zu\r\n\r\n", p->body->len);
	fwrite(p->body->str, 1, p->body->len, stdout);
}

/* "2026-11-22 14:05 UTC", or "-" for no time. */
char *
cgi_fmt_time(gint64 t)
{
	GDateTime *dt;
	char *s;

	if (t <= 0 || (dt = g_date_time_new_from_unix_utc(t)) == NULL)
		return g_strdup("-");
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M UTC");
	g_date_time_unref(dt);
	return s;
}

char *
cgi_fmt_size(gint64 n)
{
	if (n < 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " bytes", n);
	return g_format_size((guint64)n);
}

void
cgi_row(GString *b, const char *name, const char *value)
{
	g_string_append(b, "<tr><th>");
	html_escape_append(b, name);
	g_string_append(b, "</th><td>");
	html_escape_append(b, value ? value : "-");
	g_string_append(b, "</td></tr>\n");
}

void
cgi_row_time(GString *b, const char *name, gint64 t)
{
	char *s = cgi_fmt_time(t);

	cgi_row(b, name, s);
	g_free(s);
}

/* The ticket's fields for view (ticket_view.c), one row each. */
void
cgi_rows(GString *b, const struct pd_ticket *t, unsigned view)
{
	for (const struct pd_field *f = ticket_view_fields; f->key; f++) {
		const char *label = view == VIEW_PAGE && f->page_label ? f->page_label :
		    f->label;

		if (!ticket_view_shown(t, f, view))
			continue;
		if (f->is_time)
			cgi_row_time(b, label, ticket_view_time(t, f));
		else {
			char *v = ticket_view_text(t, f);

			cgi_row(b, label, v);
			g_free(v);
		}
	}
}

/* Append a query string "?k=v&k2=v2" built from NULL-terminated pairs,
 * HTML-escaped for an attribute; empty values are left out. */
void
cgi_append_link(GString *b, const char *first, ...)
{
	GString *u = g_string_new("?");
	va_list ap;
	const char *k, *v;

	va_start(ap, first);
	for (k = first; k != NULL; k = va_arg(ap, const char *)) {
		char *e;

		v = va_arg(ap, const char *);
		if (v == NULL || *v == '\0')
			continue;
		e = g_uri_escape_string(v, NULL, FALSE);
		g_string_append_printf(u, "%s%s=%s", u->len > 1 ? "&" : "", k, e);
		g_free(e);
	}
	va_end(ap);
	html_escape_append(b, u->str);
	g_string_free(u, TRUE);
}

/* Who wrote a message, as the customer may see it: staff by their
 * configured name and queue, never their address. */
char *
cgi_public_author(const struct pd_config *cfg, const struct pd_ticket *t,
    const struct pd_stored_message *m)
{
	if (strcmp(m->kind, "staff") == 0) {
		struct pd_staff *s = m->from_addr ? config_staff_by_email(cfg, m->from_addr) :
		    NULL;
		return g_strdup_printf("%s (%s)", s ? s->name : "Support team",
		    t->queue ? t->queue : "Support");
	}
	if (m->from_name && *m->from_name)
		return g_strdup(m->from_name);
	if (t->customer_name && *t->customer_name)
		return g_strdup(t->customer_name);
	return g_strdup("You");
}

/* The thread; staff see every kind and the addresses. */
void
cgi_render_thread(GString *b, const struct pd_config *cfg, const struct pd_ticket *t,
    GPtrArray *msgs, int staff, const char *k)
{
	g_string_append(b, "<h2>Messages</h2>\n");
	if (msgs->len == 0)
		g_string_append(b, "<p>No messages.</p>\n");
	for (guint i = 0; i < msgs->len; i++) {
		const struct pd_stored_message *m = msgs->pdata[i];
		char *who, *when = cgi_fmt_time(m->date);

		if (staff)
			who = g_strdup_printf("%s <%s>", m->from_name && *m->from_name ?
			    m->from_name : "", m->from_addr ? m->from_addr : "");
		else
			who = cgi_public_author(cfg, t, m);
		g_string_append(b, "<div class=\"msg ");
		html_escape_append(b, m->kind);
		g_string_append(b, "\"><div class=\"meta\">");
		if (staff) {
			g_string_append(b, "<strong>[");
			html_escape_append(b, m->kind);
			g_string_append(b, "]</strong> ");
		}
		html_escape_append(b, who);
		g_string_append(b, " &middot; ");
		html_escape_append(b, when);
		g_string_append(b, "</div>\n<pre>");
		html_escape_append(b, m->visible_text ? m->visible_text : m->body);
		g_string_append(b, "</pre>\n");
		/* the quoted rest one click away, without JavaScript */
		if (m->visible_text && m->body && strcmp(m->visible_text, m->body) != 0) {
			g_string_append(b, "<details><summary>show quoted text</summary>"
			    "<pre>");
			html_escape_append(b, m->body);
			g_string_append(b, "</pre></details>\n");
		}
		if (m->attachments && m->attachments->len) {
			g_string_append(b, "<ul>\n");
			for (guint j = 0; j < m->attachments->len; j++) {
				const struct pd_stored_attachment *a = m->attachments->pdata[j];
				char *sz = cgi_fmt_size(a->size);

				g_string_append(b, "<li>");
				if (a->sha256) {
					g_string_append(b, "<a href=\"");
					if (staff)
						cgi_append_link(b, "view", "staff", "ref", t->ref,
						    "a", a->sha256, NULL);
					else
						cgi_append_link(b, "t", t->ref, "k", k, "a",
						    a->sha256, NULL);
					g_string_append(b, "\">");
					html_escape_append(b, a->filename ? a->filename :
					    "attachment");
					g_string_append(b, "</a>");
				} else {
					html_escape_append(b, a->filename ? a->filename :
					    "attachment");
					g_string_append(b, " (not kept: ");
					html_escape_append(b, a->refused ? a->refused : "refused");
					g_string_append(b, ")");
				}
				g_string_append(b, " &middot; ");
				html_escape_append(b, sz);
				g_string_append(b, "</li>\n");
				g_free(sz);
			}
			g_string_append(b, "</ul>\n");
		}
		g_string_append(b, "</div>\n");
		g_free(who);
		g_free(when);
	}
}

/* A header value safe to send: printable ASCII only. */
int
cgi_header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Send one attachment of msgs (already limited to what the viewer may
 * see) as a download.  0 sent, 1 not one of them, -1 error. */
int
cgi_send_attachment(struct pd_ctx *ctx, GPtrArray *msgs, const char *sha)
{
	const struct pd_stored_attachment *a = NULL;
	GBytes *data = NULL;
	GString *fn;
	char *err = NULL, *star;
	const char *ctype;

	for (guint i = 0; a == NULL && i < msgs->len; i++) {
		const struct pd_stored_message *m = msgs->pdata[i];

		for (guint j = 0; m->attachments && j < m->attachments->len; j++) {
			const struct pd_stored_attachment *x = m->attachments->pdata[j];

			if (x->sha256 && strcmp(x->sha256, sha) == 0) {
				a = x;
				break;
			}
		}
	}
	if (a == NULL)
		return 1;
	if (store_blob_get(ctx->store, a->sha256, &data, &err) <= 0) {
		log_warnx("attachment %s: %s", a->sha256, err ? err : "missing from the spool");
		g_free(err);
		return -1;
	}
	ctype = a->content_type;
	if (ctype == NULL || !cgi_header_safe(ctype) || strpbrk(ctype, ";\"\\,") ||
	    strchr(ctype, '/') == NULL || strlen(ctype) > 127)
		ctype = "application/octet-stream";
	/* filename= gets a plain ASCII stand-in, filename*= the real name. */
	fn = g_string_new(NULL);
	for (const char *s = a->filename ? a->filename : "attachment"; *s &&
	    fn->len < 200; s++) {
		unsigned char c = *s;
		g_string_append_c(fn, (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ||
		    c == '/' || c == ';') ? '_' : c);
	}
	if (fn->len == 0)
		g_string_append(fn, "attachment");
	star = g_uri_escape_string(a->filename && *a->filename ? a->filename :
	    "attachment", NULL, FALSE);
	cgi_emit_headers(200, "OK", ctype);
	printf("Content-Disposition: attachment; filename=\"%s\"; filename*=UTF-8''%s\r\n",
	    fn->str, star);
	printf("Content-Length: %zu\r\n\r\n", g_bytes_get_size(data));
	fwrite(g_bytes_get_data(data, NULL), 1, g_bytes_get_size(data), stdout);
	g_string_free(fn, TRUE);
	g_free(star);
	g_bytes_unref(data);
	return 0;
}

/* The fields and files of a multipart/form-data body (RFC 7578), read
 * with GMime as the MIME entity it is. */
static int
form_multipart(struct req *r, const char *ctype, const char *buf, size_t len,
    int max_files)
{
	GMimeStream *st;
	GMimeParser *parser;
	GMimeObject *obj;
	GByteArray *all = g_byte_array_sized_new(len + 256);
	int rc = 0;

	message_init();
	g_byte_array_append(all, (const guint8 *)"Content-Type: ", 14);
	g_byte_array_append(all, (const guint8 *)ctype, strlen(ctype));
	g_byte_array_append(all, (const guint8 *)"\r\n\r\n", 4);
	g_byte_array_append(all, (const guint8 *)buf, len);
	st = g_mime_stream_mem_new_with_byte_array(all);
	parser = g_mime_parser_new_with_stream(st);
	obj = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	g_object_unref(st);
	if (obj == NULL || !GMIME_IS_MULTIPART(obj)) {
		if (obj)
			g_object_unref(obj);
		return -1;
	}
	for (int i = 0; rc == 0 && i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++) {
		GMimeObject *part = g_mime_multipart_get_part(GMIME_MULTIPART(obj), i);
		GMimeContentDisposition *cd = g_mime_object_get_content_disposition(part);
		const char *name = cd ? g_mime_content_disposition_get_parameter(cd, "name") :
		    NULL;
		const char *fname = cd ? g_mime_content_disposition_get_parameter(cd,
		    "filename") : NULL;
		GMimeDataWrapper *w;
		GMimeStream *out;
		GByteArray *data;

		if (!GMIME_IS_PART(part) || name == NULL || *name == '\0' ||
		    !g_utf8_validate(name, -1, NULL)) {
			rc = -1;
			break;
		}
		w = g_mime_part_get_content(GMIME_PART(part));
		data = g_byte_array_new();
		out = g_mime_stream_mem_new_with_byte_array(data);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
		if (w)
			g_mime_data_wrapper_write_to_stream(w, out);
		g_object_unref(out);
		if (fname) {
			struct cgi_file *f;
			char *ct;

			if (data->len == 0 && *fname == '\0') {
				g_byte_array_unref(data);	/* no file chosen */
				continue;
			}
			if ((int)r->files->len >= max_files || !g_utf8_validate(fname, -1, NULL) ||
			    strlen(fname) > 255) {
				g_byte_array_unref(data);
				rc = -1;
				break;
			}
			f = g_new0(struct cgi_file, 1);
			f->field = g_strdup(name);
			f->filename = g_strdup(fname);
			ct = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(part));
			f->content_type = ct;
			f->data = g_byte_array_free_to_bytes(data);
			g_ptr_array_add(r->files, f);
			continue;
		}
		if (memchr(data->data, '\0', data->len) || data->len > CGI_MAX_BODY) {
			g_byte_array_unref(data);
			rc = -1;
			break;
		}
		g_byte_array_append(data, (const guint8 *)"", 1);
		if (!g_utf8_validate((const char *)data->data, -1, NULL)) {
			g_byte_array_unref(data);
			rc = -1;
			break;
		}
		if (!g_hash_table_contains(r->f, name))
			g_hash_table_insert(r->f, g_strdup(name),
			    g_strdup((const char *)data->data));
		g_byte_array_unref(data);
	}
	g_object_unref(obj);
	return rc;
}

static void
cgi_file_free(gpointer p)
{
	struct cgi_file *f = p;

	g_free(f->field);
	g_free(f->filename);
	g_free(f->content_type);
	if (f->data)
		g_bytes_unref(f->data);
	g_free(f);
}

/* Read the POST body: urlencoded up to CGI_MAX_BODY, multipart/form-data
 * (the reply form's attachments) up to max_upload.  0 ok, -1 malformed
 * (400), -2 too big (413). */
static int
read_form(struct req *r, gint64 max_upload)
{
	const char *cl = getenv("CONTENT_LENGTH"), *ct = getenv("CONTENT_TYPE");
	char *end, *buf;
	long n;
	size_t got = 0;
	int rc, multipart = 0;

	if (ct && g_ascii_strncasecmp(ct, "multipart/form-data", 19) == 0 &&
	    (ct[19] == ';' || ct[19] == ' ') && cgi_header_safe(ct) && strlen(ct) < 256)
		multipart = 1;
	else if (ct == NULL || g_ascii_strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) != 0 || (ct[33] != '\0' && ct[33] != ';'))
		return -1;
	if (cl == NULL || *cl == '\0')
		return -1;
	errno = 0;
	n = strtol(cl, &end, 10);
	if (errno || *end != '\0' || n < 0)
		return -1;
	if (n > (multipart ? max_upload : CGI_MAX_BODY))
		return -2;
	buf = g_malloc(n + 1);
	while (got < (size_t)n) {
		size_t k = fread(buf + got, 1, n - got, stdin);
		if (k == 0)
			break;
		got += k;
	}
	buf[got] = '\0';
	if (got != (size_t)n || (!multipart && memchr(buf, '\0', got))) {
		g_free(buf);
		return -1;
	}
	r->f = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->files = g_ptr_array_new_with_free_func(cgi_file_free);
	if (multipart)
		rc = form_multipart(r, ct, buf, got, CGI_MAX_FILES);
	else
		rc = cgi_form_parse(buf, r->f);
	g_free(buf);
	return rc;
}

/* Route one request; the answer lands in p (status 0: already sent). */
static void
route(struct pd_ctx *ctx, struct req *r, struct page *p, char **location_r)
{
	const char *view = cgi_param(r, "view"), *action;
	struct pd_staff *staff = NULL;

	if (r->remote_user && *r->remote_user)
		staff = config_staff_by_email(ctx->cfg, r->remote_user);
	if (view && strcmp(view, "staff") == 0) {
		if (staff == NULL) {
			cgi_page_simple(p, 403, "Forbidden", "Forbidden",
			    "This page is for the support team.");
			return;
		}
		if (strcmp(r->method, "POST") == 0)
			cgi_staff_post(ctx, r, staff, p, location_r);
		else if (cgi_param_set(r, "ref"))
			cgi_staff_ticket(ctx, r, staff, p);
		else
			cgi_staff_list(ctx, r, staff, p);
		return;
	}
	if (view) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "Unknown view.");
		return;
	}
	action = cgi_param(r, "action");
	if (strcmp(r->method, "POST") == 0) {
		if (action == NULL) {
			cgi_page_simple(p, 400, "Bad Request", "Bad request", "No action.");
			return;
		}
		if (strcmp(action, "lookup") == 0) {
			cgi_do_lookup(ctx, r, p);
			return;
		}
		cgi_customer(ctx, r, p, location_r);
		return;
	}
	if (cgi_param(r, "c") || cgi_param(r, "l")) {
		cgi_customer_list(ctx, r, p);
		return;
	}
	if (cgi_param(r, "t") || cgi_param(r, "k")) {
		cgi_customer(ctx, r, p, location_r);
		return;
	}
	/* The page's plain URL: the staff view for the support team (the
	 * web server logged them in), the lookup form for everyone else. */
	if (staff) {
		cgi_staff_list(ctx, r, staff, p);
		return;
	}
	cgi_page_lookup(p);
}

int
cgi_main(void)
{
	struct req r = { 0 };
	struct page p = { 200, "OK", NULL, 0 };
	struct pd_config *cfg = NULL;
	struct pd_ctx ctx = { 0 };
	GPtrArray *errors = NULL;
	const char *qs = getenv("QUERY_STRING"), *sn = getenv("SCRIPT_NAME");
	char *err = NULL, *location = NULL;
	int ex, rc;

	log_init("postdesk.cgi", 1);
	p.body = g_string_new(NULL);
	r.method = getenv("REQUEST_METHOD");
	r.remote_user = getenv("REMOTE_USER");
	r.script = sn && strrchr(sn, '/') ? strrchr(sn, '/') + 1 : "postdesk.cgi";
	if (!cgi_header_safe(r.script) || strpbrk(r.script, "?#&\"") || *r.script == '\0')
		r.script = "postdesk.cgi";
	r.q = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	if (r.method == NULL || (strcmp(r.method, "GET") != 0 &&
	    strcmp(r.method, "POST") != 0)) {
		cgi_page_simple(&p, 405, "Method Not Allowed", "Method not allowed",
		    "Only GET and POST are answered here.");
		goto send;
	}
	if ((qs && strlen(qs) > CGI_MAX_BODY) || cgi_form_parse(qs, r.q) < 0) {
		cgi_page_simple(&p, 400, "Bad Request", "Bad request", "The address is malformed.");
		goto send;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	if ((cfg = config_load_flags(config_path(NULL), errors, CONFIG_INTAKE)) == NULL) {
		for (guint i = 0; i < errors->len; i++)
			log_warnx("%s", (char *)errors->pdata[i]);
		cgi_page_error(&p);
		goto send;
	}
	if (strcmp(r.method, "POST") == 0 && (rc = read_form(&r, cfg->limits.max_message +
	    CGI_MAX_BODY)) < 0) {
		if (rc == -2)
			cgi_page_simple(&p, 413, "Payload Too Large", "Too large",
			    "The form is too large.");
		else
			cgi_page_simple(&p, 400, "Bad Request", "Bad request",
			    "The form is malformed.");
		goto send;
	}
	if (ctx_open(&ctx, cfg, &ex, &err) < 0) {
		log_warnx("%s", err);
		g_free(err);
		cgi_page_error(&p);
		goto send;
	}
	route(&ctx, &r, &p, &location);
	ctx_close(&ctx);
send:
	if (location) {
		printf("Status: 303 See Other\r\n%s\r\nContent-Length: 0\r\n\r\n", location);
		g_free(location);
	} else if (p.status != 0)
		cgi_emit_page(&p, NULL);
	fflush(stdout);
	if (cfg)
		config_free(cfg);
	if (errors)
		g_ptr_array_unref(errors);
	if (r.f)
		g_hash_table_destroy(r.f);
	if (r.files)
		g_ptr_array_unref(r.files);
	g_hash_table_destroy(r.q);
	g_string_free(p.body, TRUE);
	return 0;
}

/* A mail as the form's author wrote it, for intake (source "web"): From
 * them, to the ticket's queue, the text as UTF-8 and each file as an
 * attachment.  Caller unrefs. */
GBytes *
cgi_compose(struct pd_ctx *ctx, const struct pd_ticket *t, const char *from_addr,
    const char *from_name, const char *text, GPtrArray *files)
{
	const struct pd_queue *q = config_queue_by_name(ctx->cfg, t->queue);
	GMimeMessage *msg;
	GMimeTextPart *body;
	GMimeStream *out;
	GByteArray *bytes;
	GDateTime *now;
	char *subject, *id, *rnd;

	message_init();
	if (q == NULL)
		q = ctx->cfg->queues->pdata[0];
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, from_name ? from_name : "",
	    from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, q->name, q->address);
	subject = g_strdup_printf("[%s] %s", t->ref, t->subject ? t->subject : "");
	g_mime_message_set_subject(msg, subject, "utf-8");
	rnd = g_uuid_string_random();
	id = g_strdup_printf("web.%s@%s", rnd, ctx->cfg->hostname ? ctx->cfg->hostname :
	    "postdesk.invalid");
	g_mime_message_set_message_id(msg, id);
	now = g_date_time_new_from_unix_utc(util_now());
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Postdesk-Source", "web", NULL);
	body = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(body, text ? text : "");
	if (files == NULL || files->len == 0)
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(body));
	else {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mp, GMIME_OBJECT(body));
		for (guint i = 0; i < files->len; i++) {
			const struct cgi_file *f = files->pdata[i];
			GMimeContentType *ct = f->content_type ?
			    g_mime_content_type_parse(NULL, f->content_type) : NULL;
			GMimePart *part;
			GMimeStream *st;
			GMimeDataWrapper *w;
			gsize n;
			const void *d = g_bytes_get_data(f->data, &n);

			if (ct && g_mime_content_type_get_media_type(ct) &&
			    g_mime_content_type_get_media_subtype(ct) &&
			    g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct),
			    "multipart") != 0 && g_ascii_strcasecmp(
			    g_mime_content_type_get_media_type(ct), "message") != 0)
				part = g_mime_part_new_with_type(
				    g_mime_content_type_get_media_type(ct),
				    g_mime_content_type_get_media_subtype(ct));
			else
				part = g_mime_part_new_with_type("application", "octet-stream");
			if (ct)
				g_object_unref(ct);
			g_mime_part_set_filename(part, f->filename);
			st = g_mime_stream_mem_new_with_buffer(d, n);
			w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
			g_mime_part_set_content(part, w);
			g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
			g_object_unref(w);
			g_object_unref(st);
			g_mime_multipart_add(mp, GMIME_OBJECT(part));
			g_object_unref(part);
		}
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));
		g_object_unref(mp);
	}
	g_object_unref(body);
	bytes = g_byte_array_new();
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, out);
	g_object_unref(out);
	g_object_unref(msg);
	g_free(subject);
	g_free(id);
	g_free(rnd);
	return g_byte_array_free_to_bytes(bytes);
}

/* A composed mail through the one intake (intake.c) as source "web".
 * 0 with *r filled (intake_result_clear it), -1 on a temporary failure. */
int
cgi_intake(struct pd_ctx *ctx, GBytes *raw, struct pd_source *src,
    struct pd_intake_result *r)
{
	char *err = NULL;
	gsize n;
	const void *d = g_bytes_get_data(raw, &n);

	src->kind = "web";
	if (intake_process(ctx, d, n, src, r, &err) < 0) {
		log_warnx("web intake: %s", err ? err : "temporary failure");
		g_free(err);
		return -1;
	}
	return 0;
}

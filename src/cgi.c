/* cgi.c: postdesk.cgi (SPEC 8).  The customer's view behind the signed
 * link, the lookup form that mails the link, and the staff view behind
 * the web server's authentication.  Every user string is HTML-escaped;
 * the pages need no JavaScript and load nothing from elsewhere. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "config.h"
#include "ctx.h"
#include "html.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"
#include "token.h"
#include "util.h"

#define CGI_MAX_FIELD	1024	/* ref, email, search words... */

struct req {
	const char	*method;
	const char	*remote_user;
	const char	*script;	/* last part of SCRIPT_NAME */
	GHashTable	*q;		/* query string */
	GHashTable	*f;		/* form body (POST) */
};

struct page {
	int		 status;
	const char	*reason;
	GString		*body;
};

static const char css[] =
	"body{font-family:sans-serif;margin:0 auto;max-width:48em;padding:0 .8em;"
	"line-height:1.4;color:#222}"
	"h1{font-size:1.3em}h2{font-size:1.1em}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25em .4em;border-bottom:1px solid #ddd;"
	"vertical-align:top}"
	"pre{white-space:pre-wrap;word-wrap:break-word;font-family:inherit;margin:.3em 0}"
	".msg{border:1px solid #ccc;border-radius:4px;padding:.5em;margin:.6em 0}"
	"summary{color:#555;cursor:pointer}"
	".staff{background:#f2f7ff}.note{background:#fff8e0}.system{background:#f4f4f4}"
	".meta{color:#555;font-size:.9em}"
	".tabs a{display:inline-block;margin:.2em .4em .2em 0}"
	"input,select,textarea,button{font-size:1em;max-width:100%}"
	"textarea{width:100%}";

/* Form or query value, trimmed of nothing: NULL when absent. */
static const char *
param(const struct req *r, const char *name)
{
	const char *v = NULL;

	if (r->f)
		v = g_hash_table_lookup(r->f, name);
	if (v == NULL)
		v = g_hash_table_lookup(r->q, name);
	return v;
}

/* A value that is present and not empty. */
static const char *
param_set(const struct req *r, const char *name)
{
	const char *v = param(r, name);

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

static void
page_head(struct page *p, const char *title)
{
	g_string_append(p->body, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	html_escape_append(p->body, title);
	g_string_append_printf(p->body, "</title><style>%s</style></head><body>\n<h1>", css);
	html_escape_append(p->body, title);
	g_string_append(p->body, "</h1>\n");
}

static void
page_foot(struct page *p)
{
	g_string_append(p->body, "</body></html>\n");
}

/* A whole page with one paragraph, for errors and answers. */
static void
page_simple(struct page *p, int status, const char *reason, const char *title,
    const char *text)
{
	p->status = status;
	p->reason = reason;
	g_string_truncate(p->body, 0);
	page_head(p, title);
	g_string_append(p->body, "<p>");
	html_escape_append(p->body, text);
	g_string_append(p->body, "</p>\n");
	page_foot(p);
}

/* The one answer for an unknown ticket and a wrong key alike. */
static void
page_not_found(struct page *p)
{
	page_simple(p, 404, "Not Found", "Not found",
	    "This link is not valid. Use the link from your most recent mail, "
	    "or ask for a new one below.");
	g_string_truncate(p->body, p->body->len - strlen("</body></html>\n"));
	g_string_append(p->body, "<p><a href=\"?\">Ask for a new link</a></p>\n");
	page_foot(p);
}

static void
page_error(struct page *p)
{
	page_simple(p, 500, "Internal Server Error", "Something went wrong",
	    "The page could not be shown. Please try again later.");
}

static void
emit_headers(int status, const char *reason, const char *ctype)
{
	printf("Status: %d %s\r\n", status, reason);
	printf("Content-Type: %s\r\n", ctype);
	printf("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
	    "form-action 'self'\r\n");
	printf("X-Content-Type-Options: nosniff\r\n");
	printf("Referrer-Policy: no-referrer\r\n");
	printf("Cache-Control: no-store\r\n");
}

static void
emit_page(const struct page *p, const char *extra_header)
{
	emit_headers(p->status, p->reason, "text/html; charset=utf-8");
	if (p->status == 405)
		printf("Allow: GET, POST\r\n");
	if (extra_header)
		printf("%s\r\n", extra_header);
	printf("Content-Length: %zu\r\n\r\n", p->body->len);
	fwrite(p->body->str, 1, p->body->len, stdout);
}

/* "2026-11-22 14:05 UTC", or "-" for no time. */
static char *
fmt_time(gint64 t)
{
	GDateTime *dt;
	char *s;

	if (t <= 0 || (dt = g_date_time_new_from_unix_utc(t)) == NULL)
		return g_strdup("-");
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M UTC");
	g_date_time_unref(dt);
	return s;
}

static char *
fmt_size(gint64 n)
{
	if (n < 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " bytes", n);
	return g_format_size((guint64)n);
}

static void
row(GString *b, const char *name, const char *value)
{
	g_string_append(b, "<tr><th>");
	html_escape_append(b, name);
	g_string_append(b, "</th><td>");
	html_escape_append(b, value ? value : "-");
	g_string_append(b, "</td></tr>\n");
}

static void
row_time(GString *b, const char *name, gint64 t)
{
	char *s = fmt_time(t);

	row(b, name, s);
	g_free(s);
}

/* Append a query string "?k=v&k2=v2" built from NULL-terminated pairs,
 * HTML-escaped for an attribute; empty values are left out. */
static void
append_link(GString *b, const char *first, ...)
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
static char *
public_author(const struct pd_config *cfg, const struct pd_ticket *t,
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
static void
render_thread(GString *b, const struct pd_config *cfg, const struct pd_ticket *t,
    GPtrArray *msgs, int staff, const char *k)
{
	g_string_append(b, "<h2>Messages</h2>\n");
	if (msgs->len == 0)
		g_string_append(b, "<p>No messages.</p>\n");
	for (guint i = 0; i < msgs->len; i++) {
		const struct pd_stored_message *m = msgs->pdata[i];
		char *who, *when = fmt_time(m->date);

		if (staff)
			who = g_strdup_printf("%s <%s>", m->from_name && *m->from_name ?
			    m->from_name : "", m->from_addr ? m->from_addr : "");
		else
			who = public_author(cfg, t, m);
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
				char *sz = fmt_size(a->size);

				g_string_append(b, "<li>");
				if (a->sha256) {
					g_string_append(b, "<a href=\"");
					if (staff)
						append_link(b, "view", "staff", "ref", t->ref,
						    "a", a->sha256, NULL);
					else
						append_link(b, "t", t->ref, "k", k, "a",
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
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Send one attachment of msgs (already limited to what the viewer may
 * see) as a download.  0 sent, 1 not one of them, -1 error. */
static int
send_attachment(struct pd_ctx *ctx, GPtrArray *msgs, const char *sha)
{
	const struct pd_stored_attachment *a = NULL;
	GByteArray *data = NULL;
	GString *fn;
	char *path, *err = NULL, *star;
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
	path = store_blob_path(ctx->cfg->spool, a->sha256);
	if (util_read_file(path, 0, &data, &err) < 0) {
		log_warnx("attachment %s: %s", path, err);
		g_free(err);
		g_free(path);
		return -1;
	}
	g_free(path);
	ctype = a->content_type;
	if (ctype == NULL || !header_safe(ctype) || strpbrk(ctype, ";\"\\,") ||
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
	emit_headers(200, "OK", ctype);
	printf("Content-Disposition: attachment; filename=\"%s\"; filename*=UTF-8''%s\r\n",
	    fn->str, star);
	printf("Content-Length: %u\r\n\r\n", data->len);
	fwrite(data->data, 1, data->len, stdout);
	g_string_free(fn, TRUE);
	g_free(star);
	g_byte_array_unref(data);
	return 0;
}

/* The ticket named by t whose key k is right, else NULL: 1 found, 0 not
 * (wrong key and unknown ticket alike), -1 error. */
static int
customer_ticket(struct pd_ctx *ctx, const char *ref, const char *k, struct pd_ticket **t_r)
{
	char *err = NULL;
	int rc;

	*t_r = NULL;
	if (ref == NULL || k == NULL || strlen(ref) > 64 || strlen(k) > 128)
		return 0;
	if (!token_check_status_key(&ctx->secret, ref, k))
		return 0;
	rc = store_ticket_get_by_ref(ctx->store, ref, t_r, &err);
	if (rc < 0) {
		log_warnx("ticket %s: %s", ref, err);
		g_free(err);
	}
	return rc;
}

static void
lookup_form(GString *b)
{
	g_string_append(b, "<form method=\"post\" action=\"\">"
	    "<input type=\"hidden\" name=\"action\" value=\"lookup\">"
	    "<p><label>Your email address<br><input type=\"email\" name=\"email\" "
	    "required maxlength=\"254\"></label></p>"
	    "<p><label>Ticket reference<br><input type=\"text\" name=\"ref\" "
	    "placeholder=\"TKT-0042\" required maxlength=\"64\"></label></p>"
	    "<p><button type=\"submit\">Mail me the link</button></p></form>\n");
}

static void
page_lookup(struct page *p)
{
	page_head(p, "Your support request");
	g_string_append(p->body, "<p>Enter the address you wrote from and your ticket "
	    "reference; we will mail you the link to your ticket's page.</p>\n");
	lookup_form(p->body);
	page_foot(p);
}

/* POST action=lookup: mail the link when the address matches; the
 * answer is the same either way. */
static int
do_lookup(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	const char *email = param(r, "email"), *ref = param(r, "ref");
	struct pd_ticket *t = NULL;
	char *addr = NULL, *uref = NULL, *err = NULL;
	int rc = 0, queued = 0;

	if (email == NULL || ref == NULL) {
		page_simple(p, 400, "Bad Request", "Bad request", "Email and reference are "
		    "both needed.");
		return 0;
	}
	if (strlen(email) <= 254 && strlen(ref) <= 64) {
		addr = util_addr_normalize(email);
		uref = g_ascii_strup(g_strstrip(g_strdup(ref)) , -1);
		rc = store_ticket_get_by_ref(ctx->store, uref, &t, &err);
	}
	if (rc > 0 && t->customer_email && addr && *addr &&
	    g_ascii_strcasecmp(t->customer_email, addr) == 0) {
		rc = store_begin(ctx->store, &err);
		if (rc == 0 && (rc = notify_event(ctx, "status_link", t, NULL, util_now(),
		    &queued, &err)) == 0)
			rc = store_commit(ctx->store, &err);
		else if (rc < 0 && err && strstr(err, "BEGIN") == NULL)
			store_rollback(ctx->store);
	}
	if (rc < 0) {
		log_warnx("lookup %s: %s", uref ? uref : "-", err ? err : "error");
		page_error(p);
	} else
		page_simple(p, 200, "OK", "Check your mail",
		    "If the address matches the ticket, we have sent the link to it.");
	if (t)
		store_ticket_free(t);
	g_free(err);
	g_free(addr);
	g_free(uref);
	return 0;
}

static void
page_customer(struct pd_ctx *ctx, struct page *p, const struct pd_ticket *t,
    GPtrArray *msgs, const char *k, const char *done)
{
	GString *b = p->body;
	int resolved = strcmp(t->status, "resolved") == 0 ||
	    (strcmp(t->status, "closed") == 0 && t->resolved_at > 0);

	page_head(p, t->subject && *t->subject ? t->subject : t->ref);
	if (done && strcmp(done, "closed") == 0)
		g_string_append(b, "<p><strong>Your request is closed.</strong></p>\n");
	else if (done && strcmp(done, "rated") == 0)
		g_string_append(b, "<p><strong>Thank you for your rating.</strong></p>\n");
	g_string_append(b, "<table>\n");
	row(b, "Reference", t->ref);
	row(b, "Subject", t->subject);
	row(b, "Status", t->status);
	row(b, "Priority", t->priority);
	row(b, "Queue", t->queue);
	row_time(b, "Created", t->created_at);
	row_time(b, "Last update", t->updated_at);
	if (t->first_response_at == 0 && t->first_response_due > 0)
		row_time(b, "Expected response", t->first_response_due);
	if (t->resolution_due > 0 && t->resolved_at == 0)
		row_time(b, "Expected resolution", t->resolution_due);
	if (t->resolved_at > 0)
		row_time(b, "Resolved", t->resolved_at);
	g_string_append(b, "</table>\n");
	render_thread(b, ctx->cfg, t, msgs, 0, k);
	g_string_append(b, "<p>To add to your request, reply to any of our mails.</p>\n");
	if (strcmp(t->status, "closed") != 0) {
		g_string_append(b, "<form method=\"post\" action=\"\">"
		    "<input type=\"hidden\" name=\"t\" value=\"");
		html_escape_append(b, t->ref);
		g_string_append(b, "\"><input type=\"hidden\" name=\"k\" value=\"");
		html_escape_append(b, k);
		g_string_append(b, "\"><input type=\"hidden\" name=\"action\" value=\"close\">"
		    "<p><button type=\"submit\">Close this request</button></p></form>\n");
	}
	if (resolved) {
		g_string_append(b, "<h2>How did we do?</h2>\n<form method=\"post\" "
		    "action=\"\"><input type=\"hidden\" name=\"t\" value=\"");
		html_escape_append(b, t->ref);
		g_string_append(b, "\"><input type=\"hidden\" name=\"k\" value=\"");
		html_escape_append(b, k);
		g_string_append(b, "\"><input type=\"hidden\" name=\"action\" value=\"rate\">"
		    "<p>");
		for (int i = 1; i <= 5; i++)
			g_string_append_printf(b, "<label><input type=\"radio\" name=\"rating\" "
			    "value=\"%d\"%s> %d</label> ", i, i == 5 ? " required" : "", i);
		g_string_append_printf(b, "(1 poor, 5 excellent)</p><p><label>Comment "
		    "(optional)<br><textarea name=\"comment\" rows=\"4\" maxlength=\"%d\">"
		    "</textarea></label></p><p><button type=\"submit\">Send rating</button>"
		    "</p></form>\n", CGI_MAX_COMMENT);
	}
	page_foot(p);
}

/* Location for a 303 back to the customer's page. */
static char *
back_location(const struct req *r, const char *ref, const char *k, const char *done)
{
	char *e_ref = g_uri_escape_string(ref, NULL, FALSE);
	char *e_k = g_uri_escape_string(k, NULL, FALSE);
	char *s = g_strdup_printf("Location: %s?t=%s&k=%s&done=%s", r->script, e_ref, e_k,
	    done);

	g_free(e_ref);
	g_free(e_k);
	return s;
}

/* POST close or rate: one lifecycle event each (ticket.c), in one
 * transaction with the mails it causes. */
static int
customer_post(struct pd_ctx *ctx, const struct req *r, struct pd_ticket *t,
    const char *k, struct page *p, char **location_r)
{
	const char *action = param(r, "action");
	struct pd_change c = { 0 };
	gint64 now = util_now();
	char *err = NULL, *detail = NULL;
	int applied, rc;

	c.actor = "customer";
	if (strcmp(action, "close") == 0)
		c.event = TEV_WEB_CLOSE;
	else if (strcmp(action, "rate") == 0) {
		const char *rating = param(r, "rating"), *comment = param(r, "comment");

		if (rating == NULL || strlen(rating) != 1 || rating[0] < '1' ||
		    rating[0] > '5' || (comment && g_utf8_strlen(comment, -1) >
		    CGI_MAX_COMMENT)) {
			page_simple(p, 400, "Bad Request", "Bad request",
			    "The rating must be 1 to 5 and the comment at most 2000 "
			    "characters.");
			return 0;
		}
		c.event = TEV_CSAT;
		c.detail = detail = g_strdup(rating);
	} else {
		page_simple(p, 400, "Bad Request", "Bad request", "Unknown action.");
		return 0;
	}
	if (store_begin(ctx->store, &err) < 0)
		goto fail;
	rc = ticket_apply(ctx, t, &c, now, &applied, NULL, &err);
	if (rc == 0 && applied && c.event == TEV_CSAT) {
		const char *comment = param(r, "comment");

		rc = store_ticket_set(ctx->store, t->id, "csat_rating", detail, now, &err);
		if (rc == 0)
			rc = store_ticket_set(ctx->store, t->id, "csat_comment",
			    comment && *comment ? comment : NULL, now, &err);
	}
	if (rc < 0 || (!applied && c.event == TEV_CSAT)) {
		store_rollback(ctx->store);
		if (rc < 0)
			goto fail;
		page_simple(p, 409, "Conflict", "Not resolved yet",
		    "A request can be rated once it is resolved.");
		g_free(detail);
		return 0;
	}
	if (store_commit(ctx->store, &err) < 0)
		goto fail;
	g_free(detail);
	*location_r = back_location(r, t->ref, k, c.event == TEV_CSAT ? "rated" : "closed");
	return 0;
fail:
	log_warnx("%s %s: %s", action, t->ref, err ? err : "error");
	g_free(err);
	g_free(detail);
	page_error(p);
	return -1;
}

/* GET/POST with t and k. */
static void
customer(struct pd_ctx *ctx, const struct req *r, struct page *p, char **location_r)
{
	const char *ref = param_set(r, "t"), *k = param_set(r, "k");
	struct pd_ticket *t = NULL;
	GPtrArray *msgs = NULL;
	char *err = NULL;
	int rc;

	rc = customer_ticket(ctx, ref, k, &t);
	if (rc < 0) {
		page_error(p);
		return;
	}
	if (rc == 0) {
		page_not_found(p);
		return;
	}
	if (strcmp(r->method, "POST") == 0) {
		customer_post(ctx, r, t, k, p, location_r);
		goto out;
	}
	if (store_messages(ctx->store, t->id, 0, &msgs, &err) < 0) {
		log_warnx("messages of %s: %s", t->ref, err);
		page_error(p);
		goto out;
	}
	if (param_set(r, "a")) {
		rc = send_attachment(ctx, msgs, param(r, "a"));
		if (rc == 0)
			p->status = 0;		/* already sent */
		else if (rc > 0)
			page_not_found(p);
		else
			page_error(p);
		goto out;
	}
	page_customer(ctx, p, t, msgs, k, param(r, "done"));
out:
	if (msgs)
		g_ptr_array_unref(msgs);
	store_ticket_free(t);
	g_free(err);
}

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int
has_label(const struct pd_ticket *t, const char *label)
{
	for (guint i = 0; t->labels && i < t->labels->len; i++)
		if (g_ascii_strcasecmp(t->labels->pdata[i], label) == 0)
			return 1;
	return 0;
}

static void
staff_select(GString *b, const char *name, const char *label, const char *const *opts,
    GPtrArray *dyn, const char *cur)
{
	g_string_append_printf(b, "<label>%s <select name=\"%s\"><option value=\"\">any"
	    "</option>", label, name);
	for (guint i = 0; opts ? opts[i] != NULL : i < dyn->len; i++) {
		const char *o = opts ? opts[i] : dyn->pdata[i];

		g_string_append(b, "<option value=\"");
		html_escape_append(b, o);
		g_string_append_printf(b, "\"%s>", cur && strcmp(cur, o) == 0 ?
		    " selected" : "");
		html_escape_append(b, o);
		g_string_append(b, "</option>");
	}
	g_string_append(b, "</select></label> ");
}

/* ?view=staff: tabs, search, filters, 20 per page. */
static void
staff_list(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	struct pd_ticket_filter f = { 0 };
	const char *status = param_set(r, "status"), *prio = param_set(r, "priority");
	const char *label = param_set(r, "label"), *search = param_set(r, "q");
	const char *queue = param_set(r, "queue"), *assignee = param_set(r, "assignee");
	const char *pg = param_set(r, "page");
	GPtrArray *pairs = NULL, *tickets = NULL, *shown, *names, *queues;
	GString *b = p->body;
	char *err = NULL, pagebuf[16];
	long page = pg ? strtol(pg, NULL, 10) : 1;
	guint total = 0;

	if ((status && !in_list(ticket_status_names, status)) || (prio && !in_list(ticket_priority_names, prio)) ||
	    page < 1 || page > 100000 || (search && strlen(search) > CGI_MAX_FIELD) ||
	    (label && strlen(label) > CGI_MAX_FIELD)) {
		page_simple(p, 400, "Bad Request", "Bad request", "A filter is not valid.");
		return;
	}
	f.status = status;
	f.queue = queue;
	f.assignee = assignee;
	f.search = search;
	/* Priority and label are filtered here, so those pages are cut here. */
	if (prio == NULL && label == NULL) {
		f.limit = CGI_PAGE_SIZE + 1;
		f.offset = (int)(page - 1) * CGI_PAGE_SIZE;
	}
	if (store_stats(ctx->store, &pairs, &err) < 0 ||
	    store_ticket_list(ctx->store, &f, &tickets, &err) < 0) {
		log_warnx("staff list: %s", err);
		g_free(err);
		if (pairs)
			g_ptr_array_unref(pairs);
		page_error(p);
		return;
	}
	shown = g_ptr_array_new();
	for (guint i = 0; i < tickets->len; i++) {
		struct pd_ticket *t = tickets->pdata[i];

		if ((prio && strcmp(t->priority, prio) != 0) || (label && !has_label(t, label)))
			continue;
		total++;
		if (f.limit == 0 && (total <= (guint)(page - 1) * CGI_PAGE_SIZE ||
		    total > (guint)page * CGI_PAGE_SIZE + 1))
			continue;
		g_ptr_array_add(shown, t);
	}

	page_head(p, "Tickets");
	g_string_append(b, "<p class=\"meta\">Signed in as ");
	html_escape_append(b, r->remote_user);
	g_string_append(b, "</p>\n<p class=\"tabs\"><a href=\"?view=staff\">all</a>");
	for (guint i = 0; ticket_status_names[i]; i++) {
		const char *n = "0";
		char *key = g_strconcat("tickets_", ticket_status_names[i], NULL);

		for (guint j = 0; j + 1 < pairs->len; j += 2)
			if (strcmp(pairs->pdata[j], key) == 0)
				n = pairs->pdata[j + 1];
		g_string_append(b, " <a href=\"");
		append_link(b, "view", "staff", "status", ticket_status_names[i], NULL);
		g_string_append_printf(b, "\">%s%s (", status && strcmp(status,
		    ticket_status_names[i]) == 0 ? "&#9656;" : "", ticket_status_names[i]);
		html_escape_append(b, n);
		g_string_append(b, ")</a>");
		g_free(key);
	}
	g_string_append(b, "</p>\n<form method=\"get\" action=\"\">"
	    "<input type=\"hidden\" name=\"view\" value=\"staff\">");
	if (status) {
		g_string_append(b, "<input type=\"hidden\" name=\"status\" value=\"");
		html_escape_append(b, status);
		g_string_append(b, "\">");
	}
	g_string_append(b, "<p><label>Search <input type=\"search\" name=\"q\" value=\"");
	html_escape_append(b, search ? search : "");
	g_string_append(b, "\"></label></p><p>");
	names = g_ptr_array_new();
	for (guint i = 0; i < ctx->cfg->staff->len; i++)
		g_ptr_array_add(names, ((struct pd_staff *)ctx->cfg->staff->pdata[i])->email);
	queues = g_ptr_array_new();
	for (guint i = 0; i < ctx->cfg->queues->len; i++)
		g_ptr_array_add(queues, ((struct pd_queue *)ctx->cfg->queues->pdata[i])->name);
	staff_select(b, "assignee", "Assignee", NULL, names, assignee);
	staff_select(b, "queue", "Queue", NULL, queues, queue);
	staff_select(b, "priority", "Priority", ticket_priority_names, NULL, prio);
	g_ptr_array_unref(names);
	g_ptr_array_unref(queues);
	g_string_append(b, "<label>Label <input type=\"text\" name=\"label\" size=\"10\" "
	    "value=\"");
	html_escape_append(b, label ? label : "");
	g_string_append(b, "\"></label> <button type=\"submit\">Filter</button></p></form>\n");

	g_string_append(b, "<table><tr><th>Ref</th><th>Subject</th><th>Status</th>"
	    "<th>Priority</th><th>Customer</th><th>Updated</th></tr>\n");
	for (guint i = 0; i < shown->len && i < CGI_PAGE_SIZE; i++) {
		struct pd_ticket *t = shown->pdata[i];
		char *when = fmt_time(t->updated_at);

		g_string_append(b, "<tr><td><a href=\"");
		append_link(b, "view", "staff", "ref", t->ref, NULL);
		g_string_append(b, "\">");
		html_escape_append(b, t->ref);
		g_string_append(b, "</a></td><td>");
		html_escape_append(b, t->subject);
		g_string_append(b, "</td><td>");
		html_escape_append(b, t->status);
		g_string_append(b, "</td><td>");
		html_escape_append(b, t->priority);
		g_string_append(b, "</td><td>");
		html_escape_append(b, t->customer_email);
		g_string_append(b, "</td><td>");
		html_escape_append(b, when);
		g_string_append(b, "</td></tr>\n");
		g_free(when);
	}
	g_string_append(b, "</table>\n");
	if (shown->len == 0)
		g_string_append(b, "<p>No tickets.</p>\n");
	g_string_append(b, "<p>");
	if (page > 1) {
		g_snprintf(pagebuf, sizeof(pagebuf), "%ld", page - 1);
		g_string_append(b, "<a href=\"");
		append_link(b, "view", "staff", "status", status, "q", search, "assignee",
		    assignee, "queue", queue, "priority", prio, "label", label, "page",
		    pagebuf, NULL);
		g_string_append(b, "\">&larr; previous</a> ");
	}
	g_string_append_printf(b, "page %ld", page);
	if (shown->len > CGI_PAGE_SIZE) {
		g_snprintf(pagebuf, sizeof(pagebuf), "%ld", page + 1);
		g_string_append(b, " <a href=\"");
		append_link(b, "view", "staff", "status", status, "q", search, "assignee",
		    assignee, "queue", queue, "priority", prio, "label", label, "page",
		    pagebuf, NULL);
		g_string_append(b, "\">next &rarr;</a>");
	}
	g_string_append(b, "</p>\n");
	page_foot(p);
	g_ptr_array_unref(shown);
	g_ptr_array_unref(tickets);
	g_ptr_array_unref(pairs);
}

/* ?view=staff&ref=TKT-0042: the whole thread with notes. */
static void
staff_ticket(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	const char *ref = param(r, "ref");
	struct pd_ticket *t = NULL;
	GPtrArray *msgs = NULL;
	GString *b = p->body;
	char *err = NULL;
	int rc;

	if (strlen(ref) > 64) {
		page_simple(p, 400, "Bad Request", "Bad request", "Reference too long.");
		return;
	}
	rc = store_ticket_get_by_ref(ctx->store, ref, &t, &err);
	if (rc > 0 && store_messages(ctx->store, t->id, 1, &msgs, &err) < 0)
		rc = -1;
	if (rc < 0) {
		log_warnx("staff ticket %s: %s", ref, err);
		page_error(p);
		goto out;
	}
	if (rc == 0) {
		page_simple(p, 404, "Not Found", "Not found", "No such ticket.");
		goto out;
	}
	if (param_set(r, "a")) {
		rc = send_attachment(ctx, msgs, param(r, "a"));
		if (rc == 0)
			p->status = 0;
		else if (rc > 0)
			page_simple(p, 404, "Not Found", "Not found", "No such attachment.");
		else
			page_error(p);
		goto out;
	}
	page_head(p, t->subject && *t->subject ? t->subject : t->ref);
	g_string_append(b, "<p><a href=\"?view=staff\">&larr; all tickets</a></p>\n<table>\n");
	row(b, "Reference", t->ref);
	row(b, "Status", t->status);
	row(b, "Priority", t->priority);
	row(b, "Queue", t->queue);
	row(b, "Assignee", t->assignee);
	row(b, "Customer", t->customer_email);
	row(b, "Customer name", t->customer_name);
	g_string_append(b, "<tr><th>Labels</th><td>");
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		if (i)
			g_string_append(b, ", ");
		html_escape_append(b, t->labels->pdata[i]);
	}
	g_string_append(b, "</td></tr>\n");
	row_time(b, "Created", t->created_at);
	row_time(b, "Last update", t->updated_at);
	row_time(b, "First response due", t->first_response_due);
	row_time(b, "First response", t->first_response_at);
	row_time(b, "Resolution due", t->resolution_due);
	row_time(b, "Resolved", t->resolved_at);
	g_string_append(b, "</table>\n");
	render_thread(b, ctx->cfg, t, msgs, 1, NULL);
	page_foot(p);
out:
	if (msgs)
		g_ptr_array_unref(msgs);
	if (t)
		store_ticket_free(t);
	g_free(err);
}

/* Read the POST body: 0 ok, -1 malformed (400), -2 too big (413). */
static int
read_form(struct req *r)
{
	const char *cl = getenv("CONTENT_LENGTH"), *ct = getenv("CONTENT_TYPE");
	char *end, *buf;
	long n;
	size_t got = 0;
	int rc;

	if (ct == NULL || g_ascii_strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) != 0 || (ct[33] != '\0' && ct[33] != ';'))
		return -1;
	if (cl == NULL || *cl == '\0')
		return -1;
	errno = 0;
	n = strtol(cl, &end, 10);
	if (errno || *end != '\0' || n < 0)
		return -1;
	if (n > CGI_MAX_BODY)
		return -2;
	buf = g_malloc(n + 1);
	while (got < (size_t)n) {
		size_t k = fread(buf + got, 1, n - got, stdin);
		if (k == 0)
			break;
		got += k;
	}
	buf[got] = '\0';
	if (got != (size_t)n || memchr(buf, '\0', got)) {
		g_free(buf);
		return -1;
	}
	r->f = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rc = cgi_form_parse(buf, r->f);
	g_free(buf);
	return rc;
}

/* Route one request; the answer lands in p (status 0: already sent). */
static void
route(struct pd_ctx *ctx, struct req *r, struct page *p, char **location_r)
{
	const char *view = param(r, "view"), *action;
	struct pd_staff *staff = NULL;

	if (r->remote_user && *r->remote_user)
		staff = config_staff_by_email(ctx->cfg, r->remote_user);
	if (view && strcmp(view, "staff") == 0) {
		if (staff == NULL) {
			page_simple(p, 403, "Forbidden", "Forbidden",
			    "This page is for the support team.");
			return;
		}
		if (strcmp(r->method, "GET") != 0) {
			page_simple(p, 405, "Method Not Allowed", "Method not allowed",
			    "The staff view is read only.");
			return;
		}
		if (param_set(r, "ref"))
			staff_ticket(ctx, r, p);
		else
			staff_list(ctx, r, p);
		return;
	}
	if (view) {
		page_simple(p, 400, "Bad Request", "Bad request", "Unknown view.");
		return;
	}
	action = param(r, "action");
	if (strcmp(r->method, "POST") == 0) {
		if (action == NULL) {
			page_simple(p, 400, "Bad Request", "Bad request", "No action.");
			return;
		}
		if (strcmp(action, "lookup") == 0) {
			do_lookup(ctx, r, p);
			return;
		}
		customer(ctx, r, p, location_r);
		return;
	}
	if (param(r, "t") || param(r, "k")) {
		customer(ctx, r, p, location_r);
		return;
	}
	page_lookup(p);
}

int
cgi_main(void)
{
	struct req r = { 0 };
	struct page p = { 200, "OK", NULL };
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
	if (!header_safe(r.script) || strpbrk(r.script, "?#&\"") || *r.script == '\0')
		r.script = "postdesk.cgi";
	r.q = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	if (r.method == NULL || (strcmp(r.method, "GET") != 0 &&
	    strcmp(r.method, "POST") != 0)) {
		page_simple(&p, 405, "Method Not Allowed", "Method not allowed",
		    "Only GET and POST are answered here.");
		goto send;
	}
	if ((qs && strlen(qs) > CGI_MAX_BODY) || cgi_form_parse(qs, r.q) < 0) {
		page_simple(&p, 400, "Bad Request", "Bad request", "The address is malformed.");
		goto send;
	}
	if (strcmp(r.method, "POST") == 0 && (rc = read_form(&r)) < 0) {
		if (rc == -2)
			page_simple(&p, 413, "Payload Too Large", "Too large",
			    "The form is too large.");
		else
			page_simple(&p, 400, "Bad Request", "Bad request",
			    "The form is malformed.");
		goto send;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	if ((cfg = config_load(config_path(NULL), errors)) == NULL) {
		for (guint i = 0; i < errors->len; i++)
			log_warnx("%s", (char *)errors->pdata[i]);
		page_error(&p);
		goto send;
	}
	if (ctx_open(&ctx, cfg, &ex, &err) < 0) {
		log_warnx("%s", err);
		g_free(err);
		page_error(&p);
		goto send;
	}
	route(&ctx, &r, &p, &location);
	ctx_close(&ctx);
send:
	if (location) {
		printf("Status: 303 See Other\r\n%s\r\nContent-Length: 0\r\n\r\n", location);
		g_free(location);
	} else if (p.status != 0)
		emit_page(&p, NULL);
	fflush(stdout);
	if (cfg)
		config_free(cfg);
	if (errors)
		g_ptr_array_unref(errors);
	if (r.f)
		g_hash_table_destroy(r.f);
	g_hash_table_destroy(r.q);
	g_string_free(p.body, TRUE);
	return 0;
}

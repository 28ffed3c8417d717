/* cgi_customer.c: the customer's side of postdesk.cgi (SPEC 8): the page
 * behind the signed link, its close and rating forms, and the lookup form
 * that mails the link. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "cgi_private.h"
#include "config.h"
#include "ctx.h"
#include "html.h"
#include "intake.h"
#include "log.h"
#include "lookup.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"
#include "ticket_view.h"
#include "token.h"
#include "util.h"

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
	g_string_append(b, "<form method=\"post\" action=\"\" class=\"box\">"
	    "<input type=\"hidden\" name=\"action\" value=\"lookup\">"
	    "<p><label>Your email address<br><input type=\"email\" name=\"email\" "
	    "required maxlength=\"254\"></label></p>"
	    "<p><label>Ticket reference (optional)<br><input type=\"text\" name=\"ref\" "
	    "placeholder=\"TKT-0042\" maxlength=\"64\"></label></p>"
	    "<p><button type=\"submit\">Mail me my tickets</button></p></form>\n");
}

void
cgi_page_lookup(struct page *p)
{
	cgi_page_head(p, "Your support requests");
	g_string_append(p->body, "<p>Enter the address you wrote from; we will mail you a "
	    "link to the list of all your requests, each with its own page.</p>\n");
	lookup_form(p->body);
	cgi_page_foot(p);
}

/* POST action=lookup: record the request, whoever's the address; the
 * daemon mails the links (lookup.c).  The work and the answer are the
 * same whether the address has tickets or not: one bounded INSERT. */
int
cgi_do_lookup(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	const char *email = cgi_param_set(r, "email"), *ref = cgi_param_set(r, "ref");
	char *addr = NULL, *uref = NULL, *err = NULL;
	int rc, added = 0;

	if (email == NULL || strlen(email) > 254 || (ref && strlen(ref) > 64)) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "An email address is "
		    "needed.");
		return 0;
	}
	addr = util_addr_normalize(email);
	if (addr == NULL || strchr(addr, '@') == NULL) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "That is not an email "
		    "address.");
		g_free(addr);
		return 0;
	}
	uref = ref ? g_ascii_strup(g_strstrip(g_strdup(ref)), -1) : NULL;
	rc = store_begin(ctx->store, &err);
	if (rc == 0)
		rc = store_lookup_add(ctx->store, addr, uref && *uref ? uref : NULL, util_now(),
		    ctx->cfg->limits.lookups_pending, &added, &err);
	if (rc == 0)
		rc = store_commit(ctx->store, &err);
	else
		store_rollback(ctx->store);
	if (rc < 0) {
		log_warnx("lookup: %s", err ? err : "error");
		cgi_page_error(p);
	} else {
		if (!added)
			log_warnx("lookup: %d requests already wait for the daemon; this one "
			    "was not recorded", ctx->cfg->limits.lookups_pending);
		cgi_page_simple(p, 200, "OK", "Check your mail",
		    "If the address has requests with us, we are sending it the link "
		    "within a few minutes.");
	}
	g_free(err);
	g_free(addr);
	g_free(uref);
	return 0;
}

/* GET c=EMAIL l=KEY: all the customer's tickets, each with its own link;
 * a wrong or expired key is the same 404 as everywhere. */
void
cgi_customer_list(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	const char *email = cgi_param_set(r, "c"), *key = cgi_param_set(r, "l");
	GArray *ids = NULL;
	GString *b = p->body;
	char *err = NULL;

	if (email == NULL || key == NULL || strlen(email) > 254 || strlen(key) > 64 ||
	    !token_check_list_key(&ctx->secret, key, email, util_now())) {
		cgi_page_not_found(p);
		return;
	}
	if (store_customer_ticket_ids(ctx->store, email, LOOKUP_LIST_MAX, &ids, &err) < 0) {
		log_warnx("my tickets: %s", err);
		g_free(err);
		cgi_page_error(p);
		return;
	}
	cgi_page_head(p, "Your requests");
	g_string_append(b, "<p class=\"meta\">For ");
	html_escape_append(b, email);
	g_string_append(b, "</p>\n<ul class=\"list\">\n");
	for (guint i = 0; i < ids->len; i++) {
		struct pd_ticket *t = NULL;
		char *k, *when;

		if (store_ticket_get(ctx->store, g_array_index(ids, gint64, i), &t, &err) != 1) {
			g_clear_pointer(&err, g_free);
			continue;
		}
		k = token_status_key(&ctx->secret, t->ref);
		when = cgi_fmt_time(t->updated_at);
		g_string_append(b, "<li class=\"t\"><a class=\"tl\" href=\"");
		cgi_append_link(b, "t", t->ref, "k", k, NULL);
		g_string_append(b, "\"><span class=\"ref\">");
		html_escape_append(b, t->ref);
		g_string_append(b, "</span> ");
		html_escape_append(b, t->subject);
		g_string_append(b, "</a><div class=\"meta\"><span class=\"b st-");
		html_escape_append(b, t->status);
		g_string_append(b, "\">");
		html_escape_append(b, t->status);
		g_string_append(b, "</span> last update ");
		html_escape_append(b, when);
		g_string_append(b, "</div></li>\n");
		g_free(k);
		g_free(when);
		store_ticket_free(t);
	}
	g_string_append(b, "</ul>\n");
	if (ids->len == 0)
		g_string_append(b, "<p>No requests.</p>\n");
	cgi_page_foot(p);
	g_array_unref(ids);
}

static void
hidden_ticket(GString *b, const struct pd_ticket *t, const char *k, const char *action)
{
	g_string_append(b, "<input type=\"hidden\" name=\"t\" value=\"");
	html_escape_append(b, t->ref);
	g_string_append(b, "\"><input type=\"hidden\" name=\"k\" value=\"");
	html_escape_append(b, k);
	g_string_append_printf(b, "\"><input type=\"hidden\" name=\"action\" value=\"%s\">",
	    action);
}

/* The rating form (#rate), the score of the mail's link checked. */
static void
rate_form(GString *b, const struct pd_ticket *t, const char *k, int preset)
{
	g_string_append(b, "<section id=\"rate\" class=\"box\"><h2>How did we do?</h2>\n"
	    "<form method=\"post\" action=\"\">");
	hidden_ticket(b, t, k, "rate");
	g_string_append(b, "<fieldset class=\"stars\"><legend>Your rating (1 poor, 5 "
	    "excellent)</legend>");
	for (int i = 1; i <= 5; i++)
		g_string_append_printf(b, "<label><input type=\"radio\" name=\"rating\" "
		    "value=\"%d\"%s%s> %d</label> ", i, i == 5 ? " required" : "",
		    i == preset ? " checked" : "", i);
	g_string_append_printf(b, "</fieldset><p><label>Comment (optional)<br><textarea "
	    "name=\"comment\" rows=\"3\" maxlength=\"%d\"></textarea></label></p><p><button "
	    "type=\"submit\">%s</button></p></form></section>\n", CGI_MAX_COMMENT,
	    preset ? "Confirm my rating" : "Send rating");
	(void)t;
}

static void
page_customer(struct pd_ctx *ctx, struct page *p, const struct pd_ticket *t,
    GPtrArray *msgs, const char *k, const char *done, int preset, const char *draft)
{
	GString *b = p->body;
	int resolved = strcmp(t->status, "resolved") == 0 ||
	    (strcmp(t->status, "closed") == 0 && t->resolved_at > 0);
	char *tok = token_form(&ctx->secret, "", t->ref, util_now());
	char *size = g_format_size((guint64)ctx->cfg->limits.max_attachment);

	cgi_page_head(p, t->subject && *t->subject ? t->subject : t->ref);
	if (done && strcmp(done, "closed") == 0)
		g_string_append(b, "<p class=\"done\"><strong>Your request is closed."
		    "</strong></p>\n");
	else if (done && strcmp(done, "rated") == 0)
		g_string_append(b, "<p class=\"done\"><strong>Thank you for your rating."
		    "</strong></p>\n");
	else if (done && strcmp(done, "replied") == 0)
		g_string_append(b, "<p class=\"done\"><strong>Thank you, your message is on "
		    "your request and the team has been told.</strong></p>\n");
	/* From the mail's rating link: the form first, the score checked. */
	if (resolved && preset)
		rate_form(b, t, k, preset);
	g_string_append(b, "<table>\n");
	cgi_rows(b, t, VIEW_PAGE);
	g_string_append(b, "</table>\n");
	cgi_render_thread(b, ctx->cfg, t, msgs, 0, k);
	g_string_append(b, "<section id=\"reply\" class=\"box\"><h2>Add a message</h2>\n"
	    "<form method=\"post\" action=\"\" enctype=\"multipart/form-data\">");
	hidden_ticket(b, t, k, "reply");
	g_string_append(b, "<input type=\"hidden\" name=\"tok\" value=\"");
	html_escape_append(b, tok);
	g_string_append(b, "\">");
	if (draft)
		g_string_append(b, "<p class=\"done\"><strong>This form had expired, so "
		    "nothing was sent. Your text is below: send it again (choose any files "
		    "again too).</strong></p>");
	g_string_append_printf(b, "<p><label>Your message<br><textarea name=\"text\" "
	    "rows=\"6\" maxlength=\"%d\">", CGI_MAX_TEXT);
	if (draft)
		html_escape_append(b, draft);
	g_string_append_printf(b, "</textarea></label></p><p><label>Attachments "
	    "(up to %d files, %s each)<br><input type=\"file\" name=\"file\" multiple>"
	    "</label></p><p><button type=\"submit\">Send</button></p></form>"
	    "<p class=\"meta\">You can also reply to any of our mails.</p></section>\n",
	    CGI_MAX_FILES, size);
	if (strcmp(t->status, "closed") != 0) {
		g_string_append(b, "<form method=\"post\" action=\"\">");
		hidden_ticket(b, t, k, "close");
		g_string_append(b, "<p><button type=\"submit\">Close this request</button>"
		    "</p></form>\n");
	}
	if (resolved && !preset)
		rate_form(b, t, k, 0);
	cgi_page_foot(p);
	g_free(tok);
	g_free(size);
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

/* POST reply: the text and files become a mail from the customer that
 * goes through the one intake (source "web") onto this ticket: the same
 * threading, status change, staff notice and limits as their mail, but
 * no mail back to them (they see the answer here). */
static int
customer_reply(struct pd_ctx *ctx, const struct req *r, struct pd_ticket *t,
    const char *k, struct page *p, char **location_r)
{
	const char *tok = cgi_param(r, "tok");
	struct pd_source src = { 0 };
	struct pd_intake_result res = { 0 };
	char *text = g_strstrip(g_strdup(cgi_param(r, "text") ? cgi_param(r, "text") : ""));
	GBytes *raw;
	int rc = 0;

	if (!token_check_form(&ctx->secret, tok, "", t->ref, util_now(), CGI_FORM_MAX_AGE)) {
		/* nothing lost: the page again, the text in a fresh form */
		GPtrArray *msgs = NULL;
		char *err = NULL;

		if (store_messages(ctx->store, t->id, 0, &msgs, &err) < 0) {
			log_warnx("messages of %s: %s", t->ref, err);
			g_free(err);
			cgi_page_error(p);
			goto out;
		}
		page_customer(ctx, p, t, msgs, k, NULL, 0, text);
		p->status = 403;
		p->reason = "Forbidden";
		g_ptr_array_unref(msgs);
		goto out;
	}
	if (*text == '\0' && r->files->len == 0) {
		cgi_page_simple(p, 400, "Bad Request", "Nothing to send",
		    "Write a message or choose a file.");
		goto out;
	}
	if (g_utf8_strlen(text, -1) > CGI_MAX_TEXT) {
		cgi_page_simple(p, 400, "Bad Request", "Too long",
		    "The message is too long.");
		goto out;
	}
	raw = cgi_compose(ctx, t, t->customer_email, t->customer_name, text, r->files);
	/* a merged ticket's page: the reply goes where its mail would */
	src.ticket_id = t->merged_into ? t->merged_into : t->id;
	src.on_page = 1;
	rc = cgi_intake(ctx, raw, &src, &res);
	g_bytes_unref(raw);
	if (rc < 0) {
		cgi_page_simple(p, 503, "Service Unavailable", "Please try again",
		    "Your message could not be saved just now. Please try again in a "
		    "minute.");
		goto out;
	}
	if (res.ref == NULL || (res.outcome != OUT_NEW && res.outcome != OUT_THREADED)) {
		log_warnx("web reply on %s: %s%s%s", t->ref, intake_outcome_name(res.outcome),
		    res.detail ? ": " : "", res.detail ? res.detail : "");
		cgi_page_simple(p, 422, "Unprocessable Content", "Not taken",
		    "Your message could not be added to the request. Please reply to one "
		    "of our mails instead.");
		goto out;
	}
	/* A reply long after the end opens a new request: show that one. */
	if (strcmp(res.ref, t->ref) != 0) {
		char *k2 = token_status_key(&ctx->secret, res.ref);

		*location_r = back_location(r, res.ref, k2, "replied");
		g_free(k2);
	} else
		*location_r = back_location(r, t->ref, k, "replied");
out:
	intake_result_clear(&res);
	g_free(text);
	return 0;
}

/* POST close or rate: one lifecycle event each (ticket.c), in one
 * transaction with the mails it causes. */
static int
customer_post(struct pd_ctx *ctx, const struct req *r, struct pd_ticket *t,
    const char *k, struct page *p, char **location_r)
{
	const char *action = cgi_param(r, "action");
	struct pd_change c = { 0 };
	gint64 now = util_now();
	char *err = NULL, *detail = NULL;
	int applied, rc;

	c.actor = "customer";
	if (strcmp(action, "reply") == 0)
		return customer_reply(ctx, r, t, k, p, location_r);
	if (strcmp(action, "close") == 0)
		c.event = TEV_WEB_CLOSE;
	else if (strcmp(action, "rate") == 0) {
		const char *rating = cgi_param(r, "rating"), *comment = cgi_param(r, "comment");

		if (rating == NULL || strlen(rating) != 1 || rating[0] < '1' ||
		    rating[0] > '5' || (comment && g_utf8_strlen(comment, -1) >
		    CGI_MAX_COMMENT)) {
			cgi_page_simple(p, 400, "Bad Request", "Bad request",
			    "The rating must be 1 to 5 and the comment at most 2000 "
			    "characters.");
			return 0;
		}
		c.event = TEV_CSAT;
		c.detail = detail = g_strdup(rating);
	} else {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "Unknown action.");
		return 0;
	}
	if (store_begin(ctx->store, &err) < 0)
		goto fail;
	rc = ticket_apply(ctx, t, &c, now, &applied, NULL, &err);
	if (rc == 0 && applied && c.event == TEV_CSAT) {
		const char *comment = cgi_param(r, "comment");

		rc = store_ticket_set(ctx->store, t->id, "csat_rating", detail, now, &err);
		if (rc == 0)
			rc = store_ticket_set(ctx->store, t->id, "csat_comment",
			    comment && *comment ? comment : NULL, now, &err);
	}
	if (rc < 0 || (!applied && c.event == TEV_CSAT)) {
		store_rollback(ctx->store);
		if (rc < 0)
			goto fail;
		cgi_page_simple(p, 409, "Conflict", "Not resolved yet",
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
	cgi_page_error(p);
	return -1;
}

/* GET/POST with t and k. */
void
cgi_customer(struct pd_ctx *ctx, const struct req *r, struct page *p, char **location_r)
{
	const char *ref = cgi_param_set(r, "t"), *k = cgi_param_set(r, "k");
	struct pd_ticket *t = NULL;
	GPtrArray *msgs = NULL;
	char *err = NULL;
	int rc;

	rc = customer_ticket(ctx, ref, k, &t);
	if (rc < 0) {
		cgi_page_error(p);
		return;
	}
	if (rc == 0) {
		cgi_page_not_found(p);
		return;
	}
	if (strcmp(r->method, "POST") == 0) {
		customer_post(ctx, r, t, k, p, location_r);
		goto out;
	}
	if (store_messages(ctx->store, t->id, 0, &msgs, &err) < 0) {
		log_warnx("messages of %s: %s", t->ref, err);
		cgi_page_error(p);
		goto out;
	}
	if (cgi_param_set(r, "a")) {
		rc = cgi_send_attachment(ctx, msgs, cgi_param(r, "a"));
		if (rc == 0)
			p->status = 0;		/* already sent */
		else if (rc > 0)
			cgi_page_not_found(p);
		else
			cgi_page_error(p);
		goto out;
	}
	{
		const char *rate = cgi_param(r, "rate");
		int preset = rate && strlen(rate) == 1 && rate[0] >= '1' && rate[0] <= '5' ?
		    rate[0] - '0' : 0;

		page_customer(ctx, p, t, msgs, k, cgi_param(r, "done"), preset, NULL);
	}
out:
	if (msgs)
		g_ptr_array_unref(msgs);
	store_ticket_free(t);
	g_free(err);
}

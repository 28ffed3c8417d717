/* cgi_staff.c: the staff side of postdesk.cgi (SPEC 8), behind the web
 * server's authentication: the ticket list and the ticket page. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "cgi_private.h"
#include "config.h"
#include "ctx.h"
#include "commands.h"
#include "html.h"
#include "intake.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"
#include "ticket_view.h"
#include "token.h"
#include "util.h"

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
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

/* The SLA state of t at now, its CSS class in *cls_r: breached (a due
 * time passed or was told), paused (waiting for the customer or on hold:
 * nothing is expected of us), warning (75 % of the resolution time),
 * on track; NULL for a ticket without SLA or done with. */
static const char *
sla_state(const struct pd_ticket *t, gint64 now, const char **cls_r)
{
	int active = ticket_status_active(ticket_status_from_name(t->status));

	if (!active || t->merged_into || (t->resolution_due <= 0 && t->first_response_due <= 0))
		return NULL;
	if (t->sla_breached || t->sla_first_breached ||
	    (t->resolution_due > 0 && now >= t->resolution_due) ||
	    (t->first_response_at <= 0 && t->first_response_due > 0 &&
	    now >= t->first_response_due)) {
		*cls_r = "sla-breached";
		return "SLA breached";
	}
	if (strcmp(t->status, "waiting") == 0 || strcmp(t->status, "on_hold") == 0) {
		*cls_r = "sla-paused";
		return "SLA paused";
	}
	if (t->sla_warned || (t->resolution_due > 0 && t->resolution_due > t->created_at &&
	    (now - t->created_at) * 4 >= (t->resolution_due - t->created_at) * 3)) {
		*cls_r = "sla-warning";
		return "SLA warning";
	}
	*cls_r = "sla-ok";
	return "SLA on track";
}

/* A badge: colour from the class, the text always there. */
static void
badge(GString *b, const char *prefix, const char *value, const char *text)
{
	g_string_append_printf(b, "<span class=\"b %s", prefix);
	html_escape_append(b, value);
	g_string_append(b, "\">");
	html_escape_append(b, text);
	g_string_append(b, "</span> ");
}

static const char *
staff_name(const struct pd_config *cfg, const char *email)
{
	const struct pd_staff *s = email && *email ? config_staff_by_email(cfg, email) : NULL;

	return s ? s->name : email;
}

/* The filters of the list, carried on every link of the page. */
struct list_query {
	const char	*status, *prio, *label, *search, *queue, *assignee;
	int		 mine;
	long		 page;
};

static void
list_link(GString *b, const struct list_query *q, const char *status, int mine, long page,
    const char *ref)
{
	char pagebuf[16];

	g_snprintf(pagebuf, sizeof(pagebuf), "%ld", page);
	cgi_append_link(b, "view", "staff", "status", status, "mine", mine ? "1" : NULL, "q",
	    q->search, "assignee", q->assignee, "queue", q->queue, "priority", q->prio,
	    "label", q->label, "page", page > 1 ? pagebuf : NULL, "ref", ref, NULL);
}

/* One ticket of the list: a card that wraps, never a wide table row. */
static void
list_item(struct pd_ctx *ctx, GString *b, const struct list_query *q,
    const struct pd_ticket *t, int unread, int current, gint64 now)
{
	const char *cls = NULL, *sla = sla_state(t, now, &cls);
	char *when = cgi_fmt_time(t->updated_at);

	g_string_append_printf(b, "<li class=\"t%s%s\"><a class=\"tl\" href=\"",
	    unread ? " unread" : "", current ? " cur" : "");
	list_link(b, q, q->status, q->mine, q->page, t->ref);
	g_string_append(b, "\"");
	if (current)
		g_string_append(b, " aria-current=\"page\"");
	g_string_append(b, ">");
	if (unread)
		g_string_append(b, "<span class=\"new\">&#9679; new</span> ");
	g_string_append(b, "<span class=\"ref\">");
	html_escape_append(b, t->ref);
	g_string_append(b, "</span> ");
	html_escape_append(b, t->subject);
	g_string_append(b, "</a><div class=\"meta\">");
	badge(b, "st-", t->status, t->status);
	badge(b, "pr-", t->priority, t->priority);
	if (sla)
		badge(b, "", cls, sla);
	g_string_append(b, "<span class=\"who\">");
	html_escape_append(b, t->assignee && *t->assignee ? staff_name(ctx->cfg, t->assignee) :
	    "unassigned");
	g_string_append(b, "</span> &middot; ");
	html_escape_append(b, t->queue);
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		g_string_append(b, " <span class=\"lb\">");
		html_escape_append(b, t->labels->pdata[i]);
		g_string_append(b, "</span>");
	}
	g_string_append(b, " &middot; ");
	html_escape_append(b, t->customer_email);
	g_string_append(b, " &middot; updated ");
	html_escape_append(b, when);
	g_string_append(b, "</div></li>\n");
	g_free(when);
}

/* How many messages the search matched; beyond CGI_SEARCH_MAX, that
 * only the newest are listed (the page never sorts every match). */
static void
search_found(GString *b, int matches)
{
	if (matches > CGI_SEARCH_MAX)
		g_string_append_printf(b, "<p class=\"found\">More than %d messages match: the "
		    "list holds the tickets of the newest %d. Add a word to narrow the search."
		    "</p>\n", CGI_SEARCH_MAX, CGI_SEARCH_MAX);
	else
		g_string_append_printf(b, "<p class=\"found\">%d message%s match%s.</p>\n",
		    matches, matches == 1 ? "" : "s", matches == 1 ? "es" : "");
}

/* The cards of the page, their unread marks read in one query. */
static void
list_items(struct pd_ctx *ctx, GString *b, const struct list_query *q,
    const struct pd_staff *me, GPtrArray *shown, const char *current, gint64 now)
{
	guint n = MIN(shown->len, CGI_PAGE_SIZE);
	gint64 ids[CGI_PAGE_SIZE];
	guint8 unread[CGI_PAGE_SIZE];
	char *err = NULL;

	g_string_append(b, "<ul class=\"list\">\n");
	for (guint i = 0; i < n; i++)
		ids[i] = ((struct pd_ticket *)shown->pdata[i])->id;
	if (store_tickets_unread(ctx->store, me->email, ids, n, unread, &err) < 0) {
		log_warnx("unread marks: %s", err);
		g_free(err);
	}
	for (guint i = 0; i < n; i++) {
		struct pd_ticket *t = shown->pdata[i];

		list_item(ctx, b, q, t, unread[i], current && strcmp(current, t->ref) == 0, now);
	}
}

/* The list (tabs with counts, mine, search, filters, 20 per page) into
 * b; current is the ref shown beside it, or NULL.  0 ok, -1 error. */
static int
render_list(struct pd_ctx *ctx, const struct req *r, const struct pd_staff *me,
    const struct list_query *q, GString *b, const char *current)
{
	struct pd_ticket_filter f = { 0 };
	GPtrArray *pairs = NULL, *tickets = NULL, *names, *queues;
	char *err = NULL;
	int mine = 0, matches = -1;
	gint64 now = util_now();

	f.status = q->status;
	f.queue = q->queue;
	f.assignee = q->mine ? me->email : q->assignee;
	f.search = q->search;
	f.search_max = CGI_SEARCH_MAX;
	f.priority = q->prio;
	f.label = q->label;
	f.limit = CGI_PAGE_SIZE + 1;
	f.offset = (int)(q->page - 1) * CGI_PAGE_SIZE;
	if (store_ticket_counts(ctx->store, &pairs, &err) < 0 ||
	    store_ticket_list(ctx->store, &f, &tickets, &err) < 0 ||
	    store_staff_mine_count(ctx->store, me->email, &mine, &err) < 0 ||
	    (q->search && store_search_count(ctx->store, q->search, CGI_SEARCH_MAX, &matches,
	    &err) < 0)) {
		log_warnx("staff list: %s", err);
		g_free(err);
		if (pairs)
			g_ptr_array_unref(pairs);
		if (tickets)
			g_ptr_array_unref(tickets);
		return -1;
	}

	g_string_append(b, "<nav class=\"tabs\" aria-label=\"Ticket status\">");
	g_string_append(b, "<a href=\"");
	list_link(b, q, NULL, 0, 1, NULL);
	g_string_append_printf(b, "\"%s>all</a>", !q->status && !q->mine ?
	    " aria-current=\"page\"" : "");
	g_string_append(b, " <a href=\"");
	list_link(b, q, NULL, 1, 1, NULL);
	g_string_append_printf(b, "\"%s>mine (%d)</a>", q->mine && !q->status ?
	    " aria-current=\"page\"" : "", mine);
	for (guint i = 0; ticket_status_names[i]; i++) {
		const char *n = "0", *st = ticket_status_names[i];
		char *key = g_strconcat("tickets_", st, NULL);

		for (guint j = 0; j + 1 < pairs->len; j += 2)
			if (strcmp(pairs->pdata[j], key) == 0)
				n = pairs->pdata[j + 1];
		g_string_append(b, " <a href=\"");
		list_link(b, q, st, q->mine, 1, NULL);
		g_string_append_printf(b, "\"%s>%s (", q->status && strcmp(q->status, st) == 0 ?
		    " aria-current=\"page\"" : "", st);
		html_escape_append(b, n);
		g_string_append(b, ")</a>");
		g_free(key);
	}
	g_string_append(b, "</nav>\n<form method=\"get\" action=\"\" class=\"filters\">"
	    "<input type=\"hidden\" name=\"view\" value=\"staff\">");
	if (q->status) {
		g_string_append(b, "<input type=\"hidden\" name=\"status\" value=\"");
		html_escape_append(b, q->status);
		g_string_append(b, "\">");
	}
	if (q->mine)
		g_string_append(b, "<input type=\"hidden\" name=\"mine\" value=\"1\">");
	g_string_append(b, "<label>Search <input type=\"search\" name=\"q\" value=\"");
	html_escape_append(b, q->search ? q->search : "");
	g_string_append(b, "\"></label> ");
	names = g_ptr_array_new();
	for (guint i = 0; i < ctx->cfg->staff->len; i++)
		g_ptr_array_add(names, ((struct pd_staff *)ctx->cfg->staff->pdata[i])->email);
	queues = g_ptr_array_new();
	for (guint i = 0; i < ctx->cfg->queues->len; i++)
		g_ptr_array_add(queues, ((struct pd_queue *)ctx->cfg->queues->pdata[i])->name);
	staff_select(b, "assignee", "Assignee", NULL, names, q->assignee);
	staff_select(b, "queue", "Queue", NULL, queues, q->queue);
	staff_select(b, "priority", "Priority", ticket_priority_names, NULL, q->prio);
	g_ptr_array_unref(names);
	g_ptr_array_unref(queues);
	g_string_append(b, "<label>Label <input type=\"text\" name=\"label\" size=\"10\" "
	    "value=\"");
	html_escape_append(b, q->label ? q->label : "");
	g_string_append(b, "\"></label> <button type=\"submit\">Filter</button></form>\n");

	if (matches >= 0)
		search_found(b, matches);
	list_items(ctx, b, q, me, tickets, current, now);
	g_string_append(b, "</ul>\n");
	if (tickets->len == 0)
		g_string_append(b, "<p>No tickets.</p>\n");
	g_string_append(b, "<p class=\"pages\">");
	if (q->page > 1) {
		g_string_append(b, "<a href=\"");
		list_link(b, q, q->status, q->mine, q->page - 1, NULL);
		g_string_append(b, "\">&larr; previous</a> ");
	}
	g_string_append_printf(b, "page %ld", q->page);
	if (tickets->len > CGI_PAGE_SIZE) {
		g_string_append(b, " <a href=\"");
		list_link(b, q, q->status, q->mine, q->page + 1, NULL);
		g_string_append(b, "\">next &rarr;</a>");
	}
	g_string_append(b, "</p>\n");
	(void)r;
	g_ptr_array_unref(tickets);
	g_ptr_array_unref(pairs);
	return 0;
}

/* The list's filters from the request: 0 ok, -1 not valid. */
static int
list_query(const struct req *r, struct list_query *q)
{
	const char *pg = cgi_param_set(r, "page");

	memset(q, 0, sizeof *q);
	q->status = cgi_param_set(r, "status");
	q->prio = cgi_param_set(r, "priority");
	q->label = cgi_param_set(r, "label");
	q->search = cgi_param_set(r, "q");
	if (q->search && q->search[strspn(q->search, " \t\r\n")] == '\0')
		q->search = NULL;	/* blanks: the whole list */
	q->queue = cgi_param_set(r, "queue");
	q->assignee = cgi_param_set(r, "assignee");
	q->mine = cgi_param_set(r, "mine") != NULL;
	q->page = pg ? strtol(pg, NULL, 10) : 1;
	if ((q->status && !in_list(ticket_status_names, q->status)) ||
	    (q->prio && !in_list(ticket_priority_names, q->prio)) ||
	    q->page < 1 || q->page > 100000 ||
	    (q->search && strlen(q->search) > CGI_MAX_FIELD) ||
	    (q->label && strlen(q->label) > CGI_MAX_FIELD) ||
	    (q->queue && strlen(q->queue) > CGI_MAX_FIELD) ||
	    (q->assignee && strlen(q->assignee) > CGI_MAX_FIELD))
		return -1;
	return 0;
}

static void
signed_in(GString *b, const struct pd_staff *me)
{
	g_string_append(b, "<p class=\"meta\">Signed in as ");
	html_escape_append(b, me->name);
	g_string_append(b, " &lt;");
	html_escape_append(b, me->email);
	g_string_append(b, "&gt;</p>\n");
}

/* ?view=staff, or the plain URL for staff: the ticket list. */
void
cgi_staff_list(struct pd_ctx *ctx, const struct req *r, const struct pd_staff *me,
    struct page *p)
{
	struct list_query q;

	if (list_query(r, &q) < 0) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "A filter is not valid.");
		return;
	}
	p->wide = 1;
	cgi_page_head(p, "Tickets");
	signed_in(p->body, me);
	if (render_list(ctx, r, me, &q, p->body, NULL) < 0) {
		cgi_page_error(p);
		return;
	}
	cgi_page_foot(p);
}

/* The start of one action's form: POST to this ticket, the agent's token. */
static void
action_form(GString *b, const struct pd_ticket *t, const char *tok, const char *action,
    const char *cls)
{
	g_string_append_printf(b, "<form method=\"post\" action=\"\" class=\"act %s\">"
	    "<input type=\"hidden\" name=\"view\" value=\"staff\">"
	    "<input type=\"hidden\" name=\"ref\" value=\"", cls);
	html_escape_append(b, t->ref);
	g_string_append(b, "\"><input type=\"hidden\" name=\"tok\" value=\"");
	html_escape_append(b, tok);
	g_string_append_printf(b, "\"><input type=\"hidden\" name=\"action\" value=\"%s\">",
	    action);
}

static void
option(GString *b, const char *value, const char *text, int selected)
{
	g_string_append(b, "<option value=\"");
	html_escape_append(b, value);
	g_string_append_printf(b, "\"%s>", selected ? " selected" : "");
	html_escape_append(b, text);
	g_string_append(b, "</option>");
}

static void
render_actions(struct pd_ctx *ctx, GString *b, const struct pd_ticket *t, const char *tok)
{
	g_string_append(b, "<section class=\"box\" id=\"actions\"><h2>Actions</h2>\n");
	action_form(b, t, tok, "status", "row");
	g_string_append(b, "<label>Status <select name=\"value\">");
	for (guint i = 0; ticket_status_names[i]; i++)
		option(b, ticket_status_names[i], ticket_status_names[i],
		    strcmp(t->status, ticket_status_names[i]) == 0);
	g_string_append(b, "</select></label> <button type=\"submit\">Set status</button></form>\n");
	action_form(b, t, tok, "assign", "row");
	g_string_append(b, "<label>Assignee <select name=\"value\">");
	for (guint i = 0; i < ctx->cfg->staff->len; i++) {
		const struct pd_staff *s = ctx->cfg->staff->pdata[i];

		option(b, s->email, s->name, g_strcmp0(t->assignee, s->email) == 0);
	}
	g_string_append(b, "</select></label> <button type=\"submit\">Assign</button></form>\n");
	action_form(b, t, tok, "priority", "row");
	g_string_append(b, "<label>Priority <select name=\"value\">");
	for (guint i = 0; ticket_priority_names[i]; i++)
		option(b, ticket_priority_names[i], ticket_priority_names[i],
		    strcmp(t->priority, ticket_priority_names[i]) == 0);
	g_string_append(b, "</select></label> <button type=\"submit\">Set priority</button>"
	    "</form>\n");
	action_form(b, t, tok, "label", "row");
	g_string_append_printf(b, "<label>Label <input type=\"text\" name=\"value\" size=\"12\" "
	    "maxlength=\"%d\" pattern=\"[^\\s#]+\"></label> <button type=\"submit\">Add label"
	    "</button></form>\n", CGI_MAX_LABEL);
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		action_form(b, t, tok, "unlabel", "inline");
		g_string_append(b, "<input type=\"hidden\" name=\"value\" value=\"");
		html_escape_append(b, t->labels->pdata[i]);
		g_string_append(b, "\"><button type=\"submit\" class=\"lb\">");
		html_escape_append(b, t->labels->pdata[i]);
		g_string_append(b, " &times;<span class=\"sr\"> remove label</span></button></form>");
	}
	action_form(b, t, tok, "note", "");
	g_string_append_printf(b, "<p><label>Internal note (never sent to the customer)<br>"
	    "<textarea name=\"text\" rows=\"3\" maxlength=\"%d\" required></textarea></label>"
	    "</p><p><button type=\"submit\">Add note</button></p></form>\n", CGI_MAX_TEXT);
	action_form(b, t, tok, "reply", "");
	g_string_append_printf(b, "<p><label>Reply to the customer<br><textarea name=\"text\" "
	    "rows=\"5\" maxlength=\"%d\" required></textarea></label></p><p><button "
	    "type=\"submit\">Send reply</button></p></form>\n", CGI_MAX_TEXT);
	g_string_append(b, "</section>\n");
}

/* The ticket's timeline, as `postdesk history` prints it (store_history). */
static int
render_history(struct pd_ctx *ctx, GString *b, const struct pd_ticket *t)
{
	GPtrArray *rows = NULL;
	char *err = NULL;

	if (store_history(ctx->store, t->id, &rows, &err) < 0) {
		log_warnx("history %s: %s", t->ref, err);
		g_free(err);
		return -1;
	}
	g_string_append(b, "<section class=\"box\" id=\"history\"><h2>History</h2>\n<ol class=\"hist\">\n");
	for (guint i = 0; i < rows->len; i++) {
		const struct pd_history *h = rows->pdata[i];
		char *at = cgi_fmt_time(h->at);

		g_string_append(b, "<li class=\"h-");
		html_escape_append(b, h->type);
		g_string_append(b, "\"><span class=\"meta\">");
		html_escape_append(b, at);
		g_string_append(b, "</span> <strong>");
		html_escape_append(b, h->type);
		g_string_append(b, "</strong> ");
		html_escape_append(b, h->kind ? h->kind : "");
		if (h->who && *h->who) {
			g_string_append(b, " &middot; ");
			html_escape_append(b, h->who);
		}
		if (h->detail && *h->detail) {
			g_string_append(b, " &middot; ");
			html_escape_append(b, h->detail);
		}
		g_string_append(b, "</li>\n");
		g_free(at);
	}
	if (rows->len == 0)
		g_string_append(b, "<li>Nothing yet.</li>\n");
	g_string_append(b, "</ol></section>\n");
	g_ptr_array_unref(rows);
	return 0;
}

/* Mail of this ticket held by a rate limit (outbox list, issue 11). */
static int
render_held(struct pd_ctx *ctx, GString *b, const struct pd_ticket *t)
{
	GPtrArray *rows = NULL;
	char *err = NULL;
	int n = 0;

	if (store_outbox_list_ticket(ctx->store, t->id, "held", &rows, &err) < 0) {
		log_warnx("held mail %s: %s", t->ref, err);
		g_free(err);
		return -1;
	}
	for (guint i = 0; i < rows->len; i++) {
		const struct pd_outbox_row *o = rows->pdata[i];
		char *at;

		if (n++ == 0)
			g_string_append(b, "<section class=\"box held\" id=\"held\"><h2>Held mail"
			    "</h2>\n<ul>\n");
		at = cgi_fmt_time(o->created_at);
		g_string_append(b, "<li><strong>");
		html_escape_append(b, o->event);
		g_string_append(b, "</strong> to ");
		for (guint j = 0; j < o->rcpts->len; j++) {
			if (j)
				g_string_append(b, ", ");
			html_escape_append(b, o->rcpts->pdata[j]);
		}
		g_string_append(b, " &middot; queued ");
		html_escape_append(b, at);
		if (o->last_error) {
			g_string_append(b, " &middot; ");
			html_escape_append(b, o->last_error);
		}
		g_string_append_printf(b, " &middot; release with <code>postdesk outbox release %"
		    G_GINT64_FORMAT "</code></li>\n", o->id);
		g_free(at);
	}
	if (n)
		g_string_append(b, "</ul></section>\n");
	g_ptr_array_unref(rows);
	return 0;
}

static const char *const done_text[][2] = {
	{ "status", "Status set." }, { "assign", "Assigned." }, { "priority", "Priority set." },
	{ "label", "Label added." }, { "unlabel", "Label removed." },
	{ "note", "Note added." }, { "reply", "Reply sent to the customer." },
};

/* ?view=staff&ref=TKT-0042: the ticket beside the list (stacked on a
 * phone): fields, CSAT, actions, held mail, the thread with notes marked,
 * the history.  Opening it is the agent's read mark. */
void
cgi_staff_ticket(struct pd_ctx *ctx, const struct req *r, const struct pd_staff *me,
    struct page *p)
{
	const char *ref = cgi_param(r, "ref"), *done = cgi_param(r, "done");
	struct pd_ticket *t = NULL;
	struct list_query q;
	GPtrArray *msgs = NULL;
	GString *b = p->body, *list = g_string_new(NULL);
	char *err = NULL, *tok = NULL, *rating = NULL, *comment = NULL;
	const char *cls = NULL, *sla;
	int rc;

	if (strlen(ref) > 64 || list_query(r, &q) < 0) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "Reference too long.");
		goto out;
	}
	rc = store_ticket_get_by_ref(ctx->store, ref, &t, &err);
	if (rc > 0 && store_messages(ctx->store, t->id, 1, &msgs, &err) < 0)
		rc = -1;
	if (rc > 0 && store_ticket_csat(ctx->store, t->id, &rating, &comment, &err) < 0)
		rc = -1;
	if (rc < 0) {
		log_warnx("staff ticket %s: %s", ref, err);
		cgi_page_error(p);
		goto out;
	}
	if (rc == 0) {
		cgi_page_simple(p, 404, "Not Found", "Not found", "No such ticket.");
		goto out;
	}
	if (cgi_param_set(r, "a")) {
		rc = cgi_send_attachment(ctx, msgs, cgi_param(r, "a"));
		if (rc == 0)
			p->status = 0;
		else if (rc > 0)
			cgi_page_simple(p, 404, "Not Found", "Not found", "No such attachment.");
		else
			cgi_page_error(p);
		goto out;
	}
	/* the agent now sees every message of it: the only write of a GET,
	 * and the agent's own (the ticket is not changed) */
	if (store_read_mark(ctx->store, me->email, t->id, util_now(), &err) < 0) {
		log_warnx("read mark %s: %s", t->ref, err);
		g_clear_pointer(&err, g_free);
	}
	if (render_list(ctx, r, me, &q, list, t->ref) < 0) {
		cgi_page_error(p);
		goto out;
	}
	tok = token_form(&ctx->secret, me->email, t->ref, util_now());
	p->wide = 1;
	cgi_page_head(p, t->subject && *t->subject ? t->subject : t->ref);
	signed_in(b, me);
	g_string_append(b, "<div class=\"split\"><main class=\"ticket\">\n<p><a href=\"");
	list_link(b, &q, q.status, q.mine, q.page, NULL);
	g_string_append(b, "\">&larr; all tickets</a></p>\n");
	for (size_t i = 0; done && i < G_N_ELEMENTS(done_text); i++)
		if (strcmp(done, done_text[i][0]) == 0)
			g_string_append_printf(b, "<p class=\"done\"><strong>%s</strong></p>\n",
			    done_text[i][1]);
	g_string_append(b, "<p class=\"badges\"><span class=\"ref\">");
	html_escape_append(b, t->ref);
	g_string_append(b, "</span> ");
	badge(b, "st-", t->status, t->status);
	badge(b, "pr-", t->priority, t->priority);
	if ((sla = sla_state(t, util_now(), &cls)))
		badge(b, "", cls, sla);
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		g_string_append(b, "<span class=\"lb\">");
		html_escape_append(b, t->labels->pdata[i]);
		g_string_append(b, "</span> ");
	}
	g_string_append(b, "</p>\n<table>\n");
	cgi_rows(b, t, VIEW_STAFF);
	if (rating) {
		char *v = g_strdup_printf("%s of 5%s%s", rating, comment ? ": " : "",
		    comment ? comment : "");

		cgi_row(b, "Customer rating", v);
		g_free(v);
	}
	g_string_append(b, "</table>\n");
	if (render_held(ctx, b, t) < 0) {
		cgi_page_error(p);
		goto out;
	}
	render_actions(ctx, b, t, tok);
	cgi_render_thread(b, ctx->cfg, t, msgs, 1, NULL);
	if (render_history(ctx, b, t) < 0) {
		cgi_page_error(p);
		goto out;
	}
	g_string_append(b, "</main>\n<aside class=\"side\">\n");
	g_string_append_len(b, list->str, list->len);
	g_string_append(b, "</aside></div>\n");
	cgi_page_foot(p);
out:
	if (msgs)
		g_ptr_array_unref(msgs);
	if (t)
		store_ticket_free(t);
	g_string_free(list, TRUE);
	g_free(err);
	g_free(tok);
	g_free(rating);
	g_free(comment);
}

/* Location for a 303 back to the ticket after an action. */
static char *
staff_location(const struct req *r, const char *ref, const char *done)
{
	char *e = g_uri_escape_string(ref, NULL, FALSE);
	char *s = g_strdup_printf("Location: %s?view=staff&ref=%s&done=%s", r->script, e, done);

	g_free(e);
	return s;
}

/* A label as #label takes it: one word, printable, no '#'. */
static int
label_ok(const char *v)
{
	if (v == NULL || *v == '\0' || g_utf8_strlen(v, -1) > CGI_MAX_LABEL)
		return 0;
	for (const char *s = v; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (g_unichar_isspace(c) || !g_unichar_isprint(c) || c == '#')
			return 0;
	}
	return 1;
}

/* POST view=staff ref tok action [value] [text]: one small action, made
 * as the same change by mail is: the agent's #commands and text go
 * through the one intake (source "web", the agent as the mail's
 * authenticated sender), so commands_apply, ticket.c and notify_event
 * record it with the agent as actor and queue the same mails. */
void
cgi_staff_post(struct pd_ctx *ctx, const struct req *r, const struct pd_staff *me,
    struct page *p, char **location_r)
{
	const char *ref = cgi_param_set(r, "ref"), *tok = cgi_param(r, "tok");
	const char *action = cgi_param_set(r, "action"), *value = cgi_param_set(r, "value");
	struct pd_source src = { 0 };
	struct pd_intake_result res = { 0 };
	struct pd_ticket *t = NULL;
	GPtrArray *cmds = NULL;
	char *cmd = NULL, *text = NULL, *err = NULL, *rest = NULL;
	GBytes *raw;
	int rc;

	if (ref == NULL || strlen(ref) > 64 || action == NULL) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "No ticket or action.");
		goto out;
	}
	/* the token names the agent and the ticket: another's is refused */
	if (!token_check_form(&ctx->secret, tok, me->email, ref, util_now(), CGI_FORM_MAX_AGE)) {
		const char *typed = cgi_param(r, "text");

		cgi_page_simple(p, 403, "Forbidden", "Form expired",
		    "This form is too old, or was not made for you and this ticket; nothing "
		    "was done. Reload the ticket and try again.");
		if (typed && *typed) {
			/* nothing lost: what was typed, to copy into the new form */
			g_string_truncate(p->body, p->body->len - strlen("</body></html>\n"));
			g_string_append(p->body, "<p>Your text:</p><pre class=\"msg\">");
			html_escape_append(p->body, typed);
			g_string_append(p->body, "</pre>\n");
			cgi_page_foot(p);
		}
		goto out;
	}
	rc = store_ticket_get_by_ref(ctx->store, ref, &t, &err);
	if (rc <= 0) {
		if (rc < 0)
			log_warnx("staff action %s: %s", ref, err);
		if (rc < 0)
			cgi_page_error(p);
		else
			cgi_page_simple(p, 404, "Not Found", "Not found", "No such ticket.");
		goto out;
	}
	text = g_strstrip(g_strdup(cgi_param(r, "text") ? cgi_param(r, "text") : ""));
	if (g_utf8_strlen(text, -1) > CGI_MAX_TEXT) {
		cgi_page_simple(p, 400, "Bad Request", "Too long", "The text is too long.");
		goto out;
	}
	if (strcmp(action, "status") == 0 && value && in_list(ticket_status_names, value))
		cmd = g_strdup_printf("#status %s", value);
	else if (strcmp(action, "assign") == 0 && value && config_staff_by_email(ctx->cfg,
	    value))
		cmd = g_strdup_printf("#assign %s", value);
	else if (strcmp(action, "priority") == 0 && value && in_list(ticket_priority_names,
	    value))
		cmd = g_strdup_printf("#priority %s", value);
	else if ((strcmp(action, "label") == 0 || strcmp(action, "unlabel") == 0) &&
	    label_ok(value))
		cmd = g_strdup_printf("#%s %s", action, value);
	else if (strcmp(action, "note") == 0 && *text)
		cmd = g_strdup("#note");
	else if (strcmp(action, "reply") == 0 && *text)
		cmd = g_strdup("");
	else {
		cgi_page_simple(p, 400, "Bad Request", "Bad request",
		    "That action or its value is not valid.");
		goto out;
	}
	if (strcmp(action, "note") != 0 && strcmp(action, "reply") != 0)
		g_clear_pointer(&text, g_free);	/* a command alone */
	/* checked here as intake will check them, to answer on the page */
	if (commands_parse(cmd, &cmds, &rest, &err) < 0 ||
	    (err = commands_check(ctx, cmds, t->id)) != NULL) {
		cgi_page_simple(p, 400, "Bad Request", "Not done", err);
		goto out;
	}
	raw = cgi_compose(ctx, t, me->email, me->name, text ? text : "", NULL);
	src.ticket_id = t->merged_into ? t->merged_into : t->id;
	src.staff = me;
	src.commands = cmd;
	rc = cgi_intake(ctx, raw, &src, &res);
	g_bytes_unref(raw);
	if (rc < 0) {
		cgi_page_simple(p, 503, "Service Unavailable", "Please try again",
		    "The change could not be saved just now. Please try again in a minute.");
		goto out;
	}
	if (res.outcome != OUT_THREADED || res.ref == NULL) {
		log_warnx("staff action %s on %s: %s%s%s", action, t->ref,
		    intake_outcome_name(res.outcome), res.detail ? ": " : "",
		    res.detail ? res.detail : "");
		cgi_page_simple(p, 422, "Unprocessable Content", "Not done",
		    "The change was not taken; the web server's log says why.");
		goto out;
	}
	*location_r = staff_location(r, t->ref, action);
out:
	intake_result_clear(&res);
	if (cmds)
		commands_free(cmds);
	store_ticket_free(t);
	g_free(cmd);
	g_free(text);
	g_free(rest);
	g_free(err);
}

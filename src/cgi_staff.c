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
#include "html.h"
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
void
cgi_staff_list(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	struct pd_ticket_filter f = { 0 };
	const char *status = cgi_param_set(r, "status"), *prio = cgi_param_set(r, "priority");
	const char *label = cgi_param_set(r, "label"), *search = cgi_param_set(r, "q");
	const char *queue = cgi_param_set(r, "queue"), *assignee = cgi_param_set(r, "assignee");
	const char *pg = cgi_param_set(r, "page");
	GPtrArray *pairs = NULL, *tickets = NULL, *shown, *names, *queues;
	GString *b = p->body;
	char *err = NULL, pagebuf[16];
	long page = pg ? strtol(pg, NULL, 10) : 1;
	guint total = 0;

	if ((status && !in_list(ticket_status_names, status)) || (prio && !in_list(ticket_priority_names, prio)) ||
	    page < 1 || page > 100000 || (search && strlen(search) > CGI_MAX_FIELD) ||
	    (label && strlen(label) > CGI_MAX_FIELD)) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "A filter is not valid.");
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
		cgi_page_error(p);
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

	cgi_page_head(p, "Tickets");
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
		cgi_append_link(b, "view", "staff", "status", ticket_status_names[i], NULL);
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
		char *when = cgi_fmt_time(t->updated_at);

		g_string_append(b, "<tr><td><a href=\"");
		cgi_append_link(b, "view", "staff", "ref", t->ref, NULL);
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
		cgi_append_link(b, "view", "staff", "status", status, "q", search, "assignee",
		    assignee, "queue", queue, "priority", prio, "label", label, "page",
		    pagebuf, NULL);
		g_string_append(b, "\">&larr; previous</a> ");
	}
	g_string_append_printf(b, "page %ld", page);
	if (shown->len > CGI_PAGE_SIZE) {
		g_snprintf(pagebuf, sizeof(pagebuf), "%ld", page + 1);
		g_string_append(b, " <a href=\"");
		cgi_append_link(b, "view", "staff", "status", status, "q", search, "assignee",
		    assignee, "queue", queue, "priority", prio, "label", label, "page",
		    pagebuf, NULL);
		g_string_append(b, "\">next &rarr;</a>");
	}
	g_string_append(b, "</p>\n");
	cgi_page_foot(p);
	g_ptr_array_unref(shown);
	g_ptr_array_unref(tickets);
	g_ptr_array_unref(pairs);
}

/* ?view=staff&ref=TKT-0042: the whole thread with notes. */
void
cgi_staff_ticket(struct pd_ctx *ctx, const struct req *r, struct page *p)
{
	const char *ref = cgi_param(r, "ref");
	struct pd_ticket *t = NULL;
	GPtrArray *msgs = NULL;
	GString *b = p->body;
	char *err = NULL;
	int rc;

	if (strlen(ref) > 64) {
		cgi_page_simple(p, 400, "Bad Request", "Bad request", "Reference too long.");
		return;
	}
	rc = store_ticket_get_by_ref(ctx->store, ref, &t, &err);
	if (rc > 0 && store_messages(ctx->store, t->id, 1, &msgs, &err) < 0)
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
	cgi_page_head(p, t->subject && *t->subject ? t->subject : t->ref);
	g_string_append(b, "<p><a href=\"?view=staff\">&larr; all tickets</a></p>\n<table>\n");
	cgi_rows(b, t, VIEW_STAFF);
	g_string_append(b, "</table>\n");
	cgi_render_thread(b, ctx->cfg, t, msgs, 1, NULL);
	cgi_page_foot(p);
out:
	if (msgs)
		g_ptr_array_unref(msgs);
	if (t)
		store_ticket_free(t);
	g_free(err);
}

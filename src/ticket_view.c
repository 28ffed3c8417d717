/* ticket_view.c: the one field list of ticket_view.h. */
#include <string.h>

#include "json.h"
#include "ticket_view.h"

#define V_ALL	(VIEW_JSON | VIEW_SHOW | VIEW_STAFF)

const struct pd_field ticket_view_fields[] = {
	{ "ref", "Reference", NULL, 0, VIEW_JSON | VIEW_LIST | VIEW_PAGE | VIEW_STAFF, 0, 12 },
	{ "subject", "Subject", NULL, 0, VIEW_JSON | VIEW_LIST | VIEW_PAGE, 0, -1 },
	{ "status", "Status", NULL, 0, V_ALL | VIEW_LIST | VIEW_PAGE, 0, 11 },
	{ "priority", "Priority", NULL, 0, V_ALL | VIEW_LIST | VIEW_PAGE, 0, 8 },
	{ "queue", "Queue", NULL, 0, V_ALL | VIEW_LIST | VIEW_PAGE, 0, 14 },
	{ "assignee", "Assignee", NULL, 0, V_ALL | VIEW_LIST, 0, 24 },
	{ "customer", "Customer", NULL, 0, V_ALL | VIEW_LIST, 0, 30 },
	{ "labels", "Labels", NULL, 0, V_ALL, 0, 0 },
	{ "created_at", "Created", NULL, 1, V_ALL | VIEW_PAGE, 0, 0 },
	{ "updated_at", "Last update", NULL, 1, V_ALL | VIEW_PAGE, 0, 0 },
	{ "first_response_due", "First response due", "Expected response", 1,
	    VIEW_SHOW | VIEW_PAGE | VIEW_STAFF, VIEW_PAGE, 0 },
	{ "first_response_at", "First response", NULL, 1, V_ALL, 0, 0 },
	{ "resolution_due", "Resolution due", "Expected resolution", 1,
	    VIEW_SHOW | VIEW_PAGE | VIEW_STAFF, VIEW_PAGE, 0 },
	{ "resolved_at", "Resolved", NULL, 1, V_ALL | VIEW_PAGE, VIEW_PAGE, 0 },
	{ "closed_at", "Closed", NULL, 1, VIEW_SHOW | VIEW_STAFF, VIEW_SHOW, 0 },
	{ "merged_into", "Merged into", NULL, 0, VIEW_JSON | VIEW_SHOW | VIEW_STAFF,
	    VIEW_SHOW | VIEW_STAFF, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, 0 }
};

static int
is(const struct pd_field *f, const char *key)
{
	return strcmp(f->key, key) == 0;
}

gint64
ticket_view_time(const struct pd_ticket *t, const struct pd_field *f)
{
	return is(f, "created_at") ? t->created_at : is(f, "updated_at") ? t->updated_at :
	    is(f, "first_response_due") ? t->first_response_due :
	    is(f, "first_response_at") ? t->first_response_at :
	    is(f, "resolution_due") ? t->resolution_due :
	    is(f, "resolved_at") ? t->resolved_at : is(f, "closed_at") ? t->closed_at : 0;
}

static const char *
plain(const struct pd_ticket *t, const struct pd_field *f)
{
	const char *v = is(f, "ref") ? t->ref : is(f, "subject") ? t->subject :
	    is(f, "status") ? t->status : is(f, "priority") ? t->priority :
	    is(f, "queue") ? t->queue : is(f, "assignee") ? t->assignee :
	    is(f, "merged_into") && t->merged_into ? t->merged_into_ref : NULL;

	return v && *v ? v : NULL;
}

char *
ticket_view_text(const struct pd_ticket *t, const struct pd_field *f)
{
	if (f->is_time)
		return NULL;
	if (is(f, "customer")) {
		if (t->customer_name && *t->customer_name)
			return g_strdup_printf("%s <%s>", t->customer_name, t->customer_email);
		return g_strdup(t->customer_email);
	}
	if (is(f, "labels")) {
		GString *s = g_string_new(NULL);

		for (guint i = 0; t->labels && i < t->labels->len; i++)
			g_string_append_printf(s, "%s%s", i ? ", " : "",
			    (char *)t->labels->pdata[i]);
		if (s->len == 0) {
			g_string_free(s, TRUE);
			return NULL;
		}
		return g_string_free(s, FALSE);
	}
	return g_strdup(plain(t, f));
}

int
ticket_view_shown(const struct pd_ticket *t, const struct pd_field *f, unsigned view)
{
	if (!(f->views & view))
		return 0;
	if (view == VIEW_PAGE && is(f, "first_response_due") && t->first_response_at)
		return 0;
	if (view == VIEW_PAGE && is(f, "resolution_due") && t->resolved_at)
		return 0;
	if (f->only_set & view) {
		char *v;
		int set;

		if (f->is_time)
			return ticket_view_time(t, f) > 0;
		v = ticket_view_text(t, f);
		set = v != NULL;
		g_free(v);
		return set;
	}
	return 1;
}

void
ticket_view_json(GString *o, const struct pd_ticket *t)
{
	int first = 1;

	for (const struct pd_field *f = ticket_view_fields; f->key; f++) {
		if (!(f->views & VIEW_JSON))
			continue;
		if (is(f, "customer")) {
			json_key(o, "customer", first);
			g_string_append_c(o, '{');
			json_kv_string(o, "email", t->customer_email, 1);
			json_kv_string(o, "name", t->customer_name && *t->customer_name ?
			    t->customer_name : NULL, 0);
			g_string_append_c(o, '}');
		} else if (is(f, "labels")) {
			json_key(o, "labels", first);
			g_string_append_c(o, '[');
			for (guint i = 0; t->labels && i < t->labels->len; i++) {
				if (i)
					g_string_append_c(o, ',');
				json_string(o, t->labels->pdata[i]);
			}
			g_string_append_c(o, ']');
		} else if (f->is_time)
			json_kv_time(o, f->key, ticket_view_time(t, f), first);
		else
			json_kv_string(o, f->key, plain(t, f), first);
		first = 0;
	}
}

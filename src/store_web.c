/* store_web.c: what only the status page keeps: each agent's read marks
 * and the lookup form's requests; and the few reads it needs beyond the
 * ticket itself. */
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_private.h"

int
store_read_mark(struct pd_store *st, const char *staff, gint64 ticket_id, gint64 now,
    char **error_r)
{
	char *who = g_ascii_strdown(staff, -1);
	int rc = store_exec(st, error_r, "INSERT INTO read_marks (staff, ticket_id, message_id, at) "
	    "SELECT ?1, ?2, coalesce(max(id), 0), ?3 FROM messages WHERE ticket_id = ?2 "
	    "ON CONFLICT (staff, ticket_id) DO UPDATE SET message_id = excluded.message_id, "
	    "at = excluded.at", "sii", who, ticket_id, now);

	g_free(who);
	return rc;
}

/* The page's ticket ids as one JSON array, so the query is one text
 * (prepared once) whatever their number. */
static char *
ids_json(const gint64 *ids, guint n)
{
	GString *j = g_string_new("[");

	for (guint i = 0; i < n; i++)
		g_string_append_printf(j, "%s%" G_GINT64_FORMAT, i ? "," : "", ids[i]);
	g_string_append_c(j, ']');
	return g_string_free(j, FALSE);
}

int
store_tickets_unread(struct pd_store *st, const char *staff, const gint64 *ids, guint n,
    guint8 *unread_r, char **error_r)
{
	char *who, *json;
	sqlite3_stmt *s;
	int rc;

	memset(unread_r, 0, n);
	if (n == 0)
		return 0;
	who = g_ascii_strdown(staff, -1);
	json = ids_json(ids, n);
	s = store_query(st, error_r, "SELECT j.key FROM json_each(?2) j WHERE EXISTS "
	    "(SELECT 1 FROM messages m WHERE m.ticket_id = j.value AND m.kind = 'customer' "
	    "AND m.id > coalesce((SELECT r.message_id FROM read_marks r WHERE r.staff = ?1 "
	    "AND r.ticket_id = j.value), 0))", "ss", who, json);
	g_free(who);
	g_free(json);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gint64 i = sqlite3_column_int64(s, 0);

		if (i >= 0 && i < (gint64)n)
			unread_r[i] = 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, error_r, "unread marks");
	return 0;
}

/* From ticket_assignee_counts (sql/012), kept by triggers: the same as
 * SELECT count(*) FROM tickets WHERE assignee = ?1 COLLATE NOCASE AND
 * status <> 'closed'. */
int
store_staff_mine_count(struct pd_store *st, const char *staff, int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT coalesce(sum(n), 0) FROM "
	    "ticket_assignee_counts WHERE assignee = ?1 AND status <> 'closed'", "s", staff),
	    count_r, error_r);
}

int
store_ticket_csat(struct pd_store *st, gint64 ticket_id, char **rating_r, char **comment_r,
    char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT csat_rating, csat_comment FROM tickets "
	    "WHERE id = ?", "i", ticket_id);
	int rc;

	*rating_r = *comment_r = NULL;
	if (s == NULL)
		return -1;
	rc = store_step(st, s, error_r);
	if (rc == 1) {
		*rating_r = store_col(s, 0);
		*comment_r = store_col(s, 1);
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 0;
}

int
store_customer_ticket_ids(struct pd_store *st, const char *email, int limit, GArray **ids_r,
    char **error_r)
{
	/* The customer from customers_email_nocase (sql/012), then the
	 * tickets from tickets_customer: as a join, SQLite walked every
	 * ticket newest first (60 ms at 100 000). */
	sqlite3_stmt *s = store_query(st, error_r, "SELECT t.id FROM tickets t WHERE "
	    "t.customer_id IN (SELECT c.id FROM customers c WHERE c.email = ? COLLATE NOCASE) "
	    "AND t.merged_into IS NULL ORDER BY t.updated_at DESC, t.id DESC LIMIT ?", "si",
	    email, (gint64)limit);
	GArray *ids;
	int rc;

	if (s == NULL)
		return -1;
	ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64(s, 0);
		g_array_append_val(ids, id);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		g_array_unref(ids);
		return store_fail(st, error_r, "customer tickets");
	}
	*ids_r = ids;
	return 0;
}

int
store_lookup_add(struct pd_store *st, const char *email, const char *ref, gint64 now,
    int max_pending, int *added_r, char **error_r)
{
	int n = 0;

	*added_r = 0;
	if (store_count(st, store_query(st, error_r, "SELECT count(*) FROM lookups", ""), &n,
	    error_r) < 0)
		return -1;
	if (n >= max_pending)
		return 0;
	if (store_exec(st, error_r, "INSERT INTO lookups (at, email, ref) VALUES (?, ?, ?)", "iss",
	    now, email, ref) < 0)
		return -1;
	*added_r = 1;
	return 0;
}

static gpointer
lookup_row(sqlite3_stmt *s, gpointer arg)
{
	struct pd_lookup *l = g_new0(struct pd_lookup, 1);

	(void)arg;
	l->id = sqlite3_column_int64(s, 0);
	l->at = sqlite3_column_int64(s, 1);
	l->email = store_col(s, 2);
	l->ref = store_col(s, 3);
	return l;
}

void
store_lookup_free(struct pd_lookup *l)
{
	if (l == NULL)
		return;
	g_free(l->email);
	g_free(l->ref);
	g_free(l);
}

int
store_lookups_pending(struct pd_store *st, int limit, GPtrArray **rows_r, char **error_r)
{
	return store_collect(st, store_query(st, error_r, "SELECT id, at, email, ref FROM lookups "
	    "ORDER BY id LIMIT ?", "i", (gint64)limit), lookup_row, NULL,
	    (GDestroyNotify)store_lookup_free, rows_r, error_r);
}

int
store_lookup_done(struct pd_store *st, gint64 id, char **error_r)
{
	return store_exec(st, error_r, "DELETE FROM lookups WHERE id = ?", "i", id);
}

int
store_mail_to_since(struct pd_store *st, const char *event, const char *addr, gint64 since,
    int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox o JOIN "
	    "outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = ? AND r.addr = ? COLLATE NOCASE "
	    "AND o.created_at >= ?", "ssi", event, addr, since), count_r, error_r);
}

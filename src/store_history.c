/* store_history.c: a ticket's timeline (postdesk history, SPEC 9):
 * its messages, events (changes with their actor), the mails it
 * queued, sent, held and failed, and the bounces, oldest first. */
#include "store.h"
#include "store_private.h"

static gpointer
history_row(sqlite3_stmt *s, gpointer unused)
{
	struct pd_history *h = g_new0(struct pd_history, 1);

	(void)unused;
	h->at = sqlite3_column_int64(s, 0);
	h->type = store_col(s, 1);
	h->kind = store_col(s, 2);
	h->who = store_col(s, 3);
	h->detail = store_col(s, 4);
	h->id = sqlite3_column_int64(s, 5);
	return h;
}

void
store_history_free(struct pd_history *h)
{
	if (h == NULL)
		return;
	g_free(h->type);
	g_free(h->kind);
	g_free(h->who);
	g_free(h->detail);
	g_free(h);
}

int
store_history(struct pd_store *st, gint64 ticket_id, GPtrArray **rows_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r,
	    "SELECT at, type, kind, who, detail, id FROM ("
	    " SELECT date AS at, 'message' AS type, kind, from_addr AS who, subject AS detail,"
	    "  id, 0 AS ord FROM messages WHERE ticket_id = ?1"
	    " UNION ALL SELECT at, 'event', kind, actor, detail, id, 1 FROM events"
	    "  WHERE ticket_id = ?1"
	    " UNION ALL SELECT created_at, 'queued', event, (SELECT group_concat(addr, ', ')"
	    "  FROM outbox_rcpts r WHERE r.outbox_id = o.id), NULL, id, 2 FROM outbox o"
	    "  WHERE ticket_id = ?1"
	    " UNION ALL SELECT created_at, 'held', event, (SELECT group_concat(addr, ', ')"
	    "  FROM outbox_rcpts r WHERE r.outbox_id = o.id), held_reason, id, 3 FROM outbox o"
	    "  WHERE ticket_id = ?1 AND held_until IS NOT NULL"
	    " UNION ALL SELECT sent_at, 'sent', event, (SELECT group_concat(addr, ', ')"
	    "  FROM outbox_rcpts r WHERE r.outbox_id = o.id AND r.status = 'sent'), NULL, id, 4"
	    "  FROM outbox o WHERE ticket_id = ?1 AND sent_at IS NOT NULL"
	    " UNION ALL SELECT next_try, 'failed', event, (SELECT group_concat(addr, ', ')"
	    "  FROM outbox_rcpts r WHERE r.outbox_id = o.id AND r.status = 'failed'), last_error,"
	    "  id, 5 FROM outbox o WHERE ticket_id = ?1 AND EXISTS (SELECT 1 FROM outbox_rcpts r"
	    "  WHERE r.outbox_id = o.id AND r.status = 'failed')"
	    " UNION ALL SELECT at, 'bounce', status, recipient, diagnostic, id, 6 FROM bounces"
	    "  WHERE ticket_id = ?1"
	    ") ORDER BY at, ord, id", "i", ticket_id);

	return store_collect(st, s, history_row, NULL, (GDestroyNotify)store_history_free,
	    rows_r, error_r);
}

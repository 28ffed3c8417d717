/* store_history.c: a ticket's timeline (postdesk history, SPEC 9):
 * its messages, events (changes with their actor), the mails it
 * queued, sent, held and failed, and the bounces, oldest first. */
#include <string.h>

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

static gpointer
id_row(sqlite3_stmt *s, gpointer unused)
{
	(void)unused;
	return store_col(s, 0);
}

int
store_conversation_ids(struct pd_store *st, gint64 ticket_id, GPtrArray **ids_r,
    char **last_customer_r, char **error_r)
{
	sqlite3_stmt *s;
	int rc;

	*last_customer_r = NULL;
	/* In the order they came and went: a customer's mail by when we
	 * stored it (its Date header is the sender's clock), ours by when
	 * it was queued.  A merged ticket's messages are here already; its
	 * mails to the customer (the acknowledgement) stay on it. */
	s = store_query(st, error_r, "WITH RECURSIVE merged(id) AS (SELECT ?1"
	    " UNION SELECT t.id FROM tickets t JOIN merged ON t.merged_into = merged.id)"
	    " SELECT mid FROM ("
	    " SELECT m.message_id AS mid, COALESCE(r.stored_at, m.date) AS at, m.id AS id,"
	    "  0 AS k FROM messages m LEFT JOIN raw_mail r ON r.sha256 = m.raw_sha256"
	    "  WHERE m.ticket_id = ?1 AND m.kind = 'customer' AND m.message_id IS NOT NULL"
	    " UNION ALL SELECT message_id, created_at, id, 1 FROM outbox"
	    "  WHERE ticket_id IN (SELECT id FROM merged) AND audience != 'staff'"
	    "  AND status != 'held'"
	    ") ORDER BY at, k, id", "i", ticket_id);
	if (store_collect(st, s, id_row, NULL, g_free, ids_r, error_r) < 0)
		return -1;
	s = store_query(st, error_r, "SELECT message_id FROM messages WHERE ticket_id = ? AND "
	    "kind = 'customer' AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1", "i",
	    ticket_id);
	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1)
		*last_customer_r = store_col(s, 0);
	sqlite3_reset(s);
	/* RFC 5322 3.6.4: the parent's References, then the parent; the
	 * parent is the customer's latest mail, so it goes last. */
	if (*last_customer_r != NULL) {
		GPtrArray *ids = *ids_r;

		for (guint i = 0; i < ids->len; i++)
			if (strcmp(ids->pdata[i], *last_customer_r) == 0) {
				gpointer p = g_ptr_array_steal_index(ids, i);

				g_ptr_array_add(ids, p);
				break;
			}
	}
	return 0;
}

/* store_outbox.c: the outbox of queued mail, its recipients and the
 * bounces recorded against it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_private.h"
#include "util.h"

/* Params are kept deflated behind a 0 byte when that is smaller (their
 * own first byte, notify's PARAMS_VERSION, is not 0; params that start
 * with 0 are always deflated, so that a 0 says which). */
static GByteArray *
params_pack(struct pd_store *st, const void *p, size_t len)
{
	int zero = len > 0 && *(const guint8 *)p == 0;
	GByteArray *z;

	if (p == NULL || (len < 64 && !zero) ||
	    (z = store_pack(st, p, len, zero ? 2 * len + 64 : len - 2)) == NULL)
		return NULL;
	g_byte_array_prepend(z, (const guint8 *)"", 1);
	return z;
}

static GBytes *
params_col(sqlite3_stmt *s, int i, gint64 id, char **error_r)
{
	const guint8 *p = sqlite3_column_blob(s, i);
	size_t len = (size_t)sqlite3_column_bytes(s, i);
	GByteArray *a;

	if (len == 0 || p[0] != 0)
		return g_bytes_new(p, len);
	if ((a = store_unpack(p + 1, len - 1)) == NULL) {
		*error_r = g_strdup_printf("outbox mail %" G_GINT64_FORMAT ": its stored params "
		    "do not inflate", id);
		return NULL;
	}
	return g_byte_array_free_to_bytes(a);
}

static int
outbox_insert(struct pd_store *st, gint64 ticket_id, const char *event,
    const char *message_id, const char *mail_from, GPtrArray *rcpts, const void *raw,
    size_t len, GBytes *params, int is_auto, gint64 now, gint64 *id_r, char **error_r)
{
	gsize plen = 0;
	const void *p = params ? g_bytes_get_data(params, &plen) : NULL;
	GByteArray *z = params_pack(st, p, plen);
	gint64 id;
	int rc;

	rc = store_exec(st, error_r, "INSERT INTO outbox (ticket_id, event, message_id, mail_from, "
	    "raw, params, auto, created_at, next_try) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "nsssbbiii", ticket_id, event, message_id, mail_from, raw ? raw : "", raw ? len : 0,
	    z ? z->data : p, z ? (size_t)z->len : plen, (gint64)is_auto, now, now);
	if (z)
		g_byte_array_unref(z);
	if (rc < 0)
		return -1;
	id = sqlite3_last_insert_rowid(st->db);
	for (guint i = 0; i < rcpts->len; i++)
		if (store_exec(st, error_r, "INSERT OR IGNORE INTO outbox_rcpts (outbox_id, addr) "
		    "VALUES (?, ?)", "is", id, (const char *)rcpts->pdata[i]) < 0)
			return -1;
	if (id_r)
		*id_r = id;
	return 0;
}

int
store_outbox_add(struct pd_store *st, gint64 ticket_id, const char *event,
    const char *message_id, const char *mail_from, GPtrArray *rcpts, const void *raw,
    size_t len, int is_auto, gint64 now, gint64 *id_r, char **error_r)
{
	return outbox_insert(st, ticket_id, event, message_id, mail_from, rcpts, raw, len,
	    NULL, is_auto, now, id_r, error_r);
}

int
store_outbox_add_params(struct pd_store *st, gint64 ticket_id, const char *event,
    const char *message_id, const char *mail_from, GPtrArray *rcpts, GBytes *params,
    int is_auto, gint64 now, gint64 *id_r, char **error_r)
{
	return outbox_insert(st, ticket_id, event, message_id, mail_from, rcpts, NULL, 0,
	    params, is_auto, now, id_r, error_r);
}

static struct pd_outbox_row *
outbox_row_from(sqlite3_stmt *s, int with_raw)
{
	struct pd_outbox_row *r = g_new0(struct pd_outbox_row, 1);
	const char *rc_list = (const char *)sqlite3_column_text(s, 13);

	r->id = sqlite3_column_int64(s, 0);
	r->ticket_id = sqlite3_column_int64(s, 1);
	r->ticket_ref = store_col(s, 2);
	r->event = store_col(s, 3);
	r->message_id = store_col(s, 4);
	r->mail_from = store_col(s, 5);
	r->is_auto = sqlite3_column_int(s, 6);
	r->status = store_col(s, 7);
	r->created_at = sqlite3_column_int64(s, 8);
	r->next_try = sqlite3_column_int64(s, 9);
	r->sent_at = sqlite3_column_int64(s, 10);
	r->tries = sqlite3_column_int(s, 11);
	r->last_error = store_col(s, 12);
	r->rcpts = g_ptr_array_new_with_free_func(g_free);
	if (rc_list) {
		char **v = g_strsplit(rc_list, "\n", -1);
		for (char **p = v; *p; p++)
			g_ptr_array_add(r->rcpts, *p);
		g_free(v);
	}
	if (with_raw)
		r->raw = g_bytes_new(sqlite3_column_blob(s, 14),
		    (gsize)sqlite3_column_bytes(s, 14));
	return r;
}

static gpointer
outbox_row(sqlite3_stmt *s, gpointer with_raw)
{
	return outbox_row_from(s, GPOINTER_TO_INT(with_raw));
}

int
store_outbox_due(struct pd_store *st, gint64 now, int limit, GPtrArray **rows_r,
    char **error_r)
{
	sqlite3_stmt *s;

	s = store_query(st, error_r, "SELECT o.id, o.ticket_id, t.ref, o.event, o.message_id, "
	    "o.mail_from, o.auto, o.status, o.created_at, o.next_try, o.sent_at, o.tries, "
	    "o.last_error, (SELECT group_concat(addr, char(10)) FROM outbox_rcpts r WHERE "
	    "r.outbox_id = o.id AND r.status = 'queued') FROM outbox o LEFT JOIN "
	    "tickets t ON t.id = o.ticket_id WHERE o.status = 'queued' AND o.next_try <= ? "
	    "ORDER BY o.next_try, o.id LIMIT ?", "ii", now, (gint64)limit);
	return store_collect(st, s, outbox_row, GINT_TO_POINTER(0), (GDestroyNotify)store_outbox_row_free, rows_r, error_r);
}

int
store_outbox_raw(struct pd_store *st, gint64 id, GBytes **raw_r, char **error_r)
{
	struct pd_outbox_body b;

	if (store_outbox_body(st, id, &b, error_r) < 0)
		return -1;
	*raw_r = g_bytes_ref(b.raw);
	store_outbox_body_clear(&b);
	return 0;
}

int
store_outbox_body(struct pd_store *st, gint64 id, struct pd_outbox_body *b, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT raw, params, event, message_id, "
	    "mail_from, audience, auto, created_at FROM outbox WHERE id = ?", "i", id);
	int rc;

	memset(b, 0, sizeof *b);
	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 0) {
		sqlite3_reset(s);
		*error_r = g_strdup_printf("outbox mail %" G_GINT64_FORMAT " vanished", id);
		return -1;
	}
	b->raw = g_bytes_new(sqlite3_column_blob(s, 0), (gsize)sqlite3_column_bytes(s, 0));
	if (sqlite3_column_type(s, 1) != SQLITE_NULL &&
	    (b->params = params_col(s, 1, id, error_r)) == NULL) {
		sqlite3_reset(s);
		g_bytes_unref(b->raw);
		b->raw = NULL;
		return -1;
	}
	b->event = store_col(s, 2);
	b->message_id = store_col(s, 3);
	b->mail_from = store_col(s, 4);
	b->audience = store_col(s, 5);
	b->is_auto = sqlite3_column_int(s, 6);
	b->created_at = sqlite3_column_int64(s, 7);
	sqlite3_reset(s);
	return 0;
}

void
store_outbox_body_clear(struct pd_outbox_body *b)
{
	g_free(b->event);
	g_free(b->message_id);
	g_free(b->mail_from);
	g_free(b->audience);
	if (b->raw)
		g_bytes_unref(b->raw);
	if (b->params)
		g_bytes_unref(b->params);
	memset(b, 0, sizeof *b);
}

int
store_outbox_rcpt_set(struct pd_store *st, gint64 outbox_id, const char *addr,
    const char *status, const char *code, char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox_rcpts SET status = ?, code = ? WHERE "
	    "outbox_id = ? AND addr = ?", "ssis", status, code, outbox_id, addr);
}

int
store_outbox_update(struct pd_store *st, gint64 id, const char *status, int tries,
    gint64 next_try, const char *last_error, gint64 now, char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox SET status = ?1, tries = ?2, next_try = ?3, "
	    "last_error = ?4, sent_at = CASE WHEN ?1 = 'sent' THEN ?5 ELSE sent_at END "
	    "WHERE id = ?6", "siisii", status, (gint64)tries, next_try, last_error, now, id);
}

int
store_outbox_defer_due(struct pd_store *st, gint64 now, gint64 next_try, char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox SET next_try = ? WHERE status = 'queued' AND "
	    "next_try <= ?", "ii", next_try, now);
}

int
store_outbox_due_all(struct pd_store *st, gint64 now, int *n_r, char **error_r)
{
	if (store_exec(st, error_r, "UPDATE outbox SET next_try = ? WHERE status = 'queued' AND "
	    "next_try > ?", "ii", now, now) < 0)
		return -1;
	*n_r = sqlite3_changes(st->db);
	return 0;
}

/* The free pages go back to the file system (a database made with
 * auto_vacuum = INCREMENTAL; elsewhere a no-op).  One row per page. */
static int
give_back(struct pd_store *st, char **error_r)
{
	sqlite3_stmt *s = store_stmt(st, "PRAGMA incremental_vacuum", error_r);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_fail(st, error_r, "incremental_vacuum");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

int
store_outbox_prune(struct pd_store *st, gint64 t, int *n_r, char **error_r)
{
	if (store_exec(st, error_r, "UPDATE outbox SET raw = x'', params = NULL WHERE "
	    "status = 'sent' AND sent_at < ? AND (length(raw) > 0 OR params IS NOT NULL)", "i", t) < 0)
		return -1;
	*n_r = sqlite3_changes(st->db);
	return *n_r > 0 ? give_back(st, error_r) : 0;
}

int
store_outbox_next_try(struct pd_store *st, gint64 *next_r, char **error_r)
{
	return store_one(st, store_query(st, error_r, "SELECT min(next_try) FROM outbox WHERE "
	    "status = 'queued'", ""), next_r, NULL, error_r);
}

int
store_outbox_count_waiting(struct pd_store *st, int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox WHERE "
	    "status = 'queued'", ""), count_r, error_r);
}

int
store_outbox_hold(struct pd_store *st, gint64 id, const char *reason, char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox SET status = 'held', last_error = ? WHERE id = ?",
	    "si", reason, id);
}

int
store_outbox_set_audience(struct pd_store *st, gint64 id, const char *audience,
    char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox SET audience = ? WHERE id = ?", "si",
	    audience, id);
}

int
store_outbox_hold_until(struct pd_store *st, gint64 id, const char *reason, gint64 until,
    char **error_r)
{
	return store_exec(st, error_r, "UPDATE outbox SET status = 'held', last_error = ?1, "
	    "held_reason = ?1, held_until = ?2 WHERE id = ?3", "sii", reason, until, id);
}

int
store_outbox_release(struct pd_store *st, gint64 id, gint64 ticket_id, gint64 now,
    int *n_r, char **error_r)
{
	if (store_exec(st, error_r, "UPDATE outbox SET status = 'queued', next_try = ?1 "
	    "WHERE status = 'held' AND (?2 = 0 OR id = ?2) AND (?3 = 0 OR ticket_id = ?3)",
	    "iii", now, id, ticket_id) < 0)
		return -1;
	*n_r = sqlite3_changes(st->db);
	return 0;
}

int
store_outbox_release_due(struct pd_store *st, gint64 now, int *n_r, char **error_r)
{
	if (store_exec(st, error_r, "UPDATE outbox SET status = 'queued', next_try = ?1 "
	    "WHERE status = 'held' AND held_until IS NOT NULL AND held_until <= ?1", "i",
	    now) < 0)
		return -1;
	*n_r = sqlite3_changes(st->db);
	return 0;
}

int
store_outbox_count_audience(struct pd_store *st, gint64 ticket_id, const char *audience,
    gint64 since, int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox WHERE "
	    "ticket_id = ? AND created_at >= ? AND status != 'held' AND audience = ?", "iis",
	    ticket_id, since, audience), count_r, error_r);
}

int
store_outbox_count_event(struct pd_store *st, gint64 ticket_id, const char *event,
    gint64 since, int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox WHERE "
	    "ticket_id = ? AND created_at >= ? AND event = ?", "iis", ticket_id, since, event),
	    count_r, error_r);
}

int
store_outbox_by_message_id(struct pd_store *st, const char *message_id,
    gint64 *outbox_id_r, gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT id, ticket_id FROM outbox WHERE "
	    "message_id = ?", "s", message_id);
	int rc;

	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1) {
		*outbox_id_r = sqlite3_column_int64(s, 0);
		*ticket_id_r = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_outbox_count_auto_to(struct pd_store *st, const char *addr, gint64 since,
    int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox_rcpts r JOIN "
	    "outbox o ON o.id = r.outbox_id WHERE r.addr = ? AND o.auto AND o.created_at >= ?",
	    "si", addr, since), count_r, error_r);
}

int
store_outbox_count_ticket(struct pd_store *st, gint64 ticket_id, gint64 since,
    int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM outbox WHERE "
	    "ticket_id = ? AND created_at >= ? AND status != 'held'", "ii", ticket_id, since),
	    count_r, error_r);
}

void
store_outbox_row_free(struct pd_outbox_row *r)
{
	if (r == NULL)
		return;
	g_free(r->ticket_ref);
	g_free(r->event);
	g_free(r->message_id);
	g_free(r->mail_from);
	if (r->rcpts)
		g_ptr_array_unref(r->rcpts);
	if (r->raw)
		g_bytes_unref(r->raw);
	g_free(r->status);
	g_free(r->last_error);
	g_free(r);
}

int
store_outbox_list(struct pd_store *st, const char *status, int with_raw,
    GPtrArray **rows_r, char **error_r)
{
	sqlite3_stmt *s;

	s = store_query(st, error_r, "SELECT o.id, o.ticket_id, t.ref, o.event, o.message_id, "
	    "o.mail_from, o.auto, o.status, o.created_at, o.next_try, o.sent_at, o.tries, "
	    "o.last_error, (SELECT group_concat(addr, char(10)) FROM outbox_rcpts r WHERE "
	    "r.outbox_id = o.id), CASE WHEN ? THEN o.raw END FROM outbox o LEFT JOIN "
	    "tickets t ON t.id = o.ticket_id WHERE (?2 IS NULL OR o.status = ?2) "
	    "ORDER BY o.next_try, o.id", "is", (gint64)with_raw, status);
	return store_collect(st, s, outbox_row, GINT_TO_POINTER(with_raw), (GDestroyNotify)store_outbox_row_free, rows_r, error_r);
}

int
store_outbox_list_ticket(struct pd_store *st, gint64 ticket_id, const char *status,
    GPtrArray **rows_r, char **error_r)
{
	/* From outbox_ticket, not a walk of the whole outbox. */
	sqlite3_stmt *s = store_query(st, error_r, "SELECT o.id, o.ticket_id, t.ref, o.event, "
	    "o.message_id, o.mail_from, o.auto, o.status, o.created_at, o.next_try, o.sent_at, "
	    "o.tries, o.last_error, (SELECT group_concat(addr, char(10)) FROM outbox_rcpts r "
	    "WHERE r.outbox_id = o.id), NULL FROM outbox o LEFT JOIN tickets t ON "
	    "t.id = o.ticket_id WHERE o.ticket_id = ?1 AND o.status = ?2 "
	    "ORDER BY o.next_try, o.id", "is", ticket_id, status);

	return store_collect(st, s, outbox_row, GINT_TO_POINTER(0),
	    (GDestroyNotify)store_outbox_row_free, rows_r, error_r);
}

int
store_bounce_add(struct pd_store *st, gint64 ticket_id, gint64 outbox_id,
    const char *recipient, const char *status, const char *action, int reply_code,
    const char *diagnostic, int feedback, const char *raw_sha256, gint64 at,
    char **error_r)
{
	return store_exec(st, error_r, "INSERT INTO bounces (ticket_id, outbox_id, recipient, status, "
	    "action, reply_code, diagnostic, feedback, raw_sha256, at) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?)", "nnsssnsisi", ticket_id, outbox_id, recipient, status, action,
	    (gint64)reply_code, diagnostic, (gint64)feedback, raw_sha256, at);
}

int
store_message_texts(struct pd_store *st, gint64 ticket_id, gint64 id, gint64 *id_r,
    char **body_r, char **visible_r, char **error_r)
{
	sqlite3_stmt *s;
	int rc;

	if (id)
		s = store_query(st, error_r, "SELECT id, body, visible_text, visible_len FROM "
		    "messages WHERE id = ?", "i", id);
	else
		s = store_query(st, error_r, "SELECT id, body, visible_text, visible_len FROM "
		    "messages WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", "i", ticket_id);
	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1) {
		*id_r = sqlite3_column_int64(s, 0);
		*body_r = store_text_col(s, 1);
		*visible_r = store_visible_col(s, 2, *body_r);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_spool_kept(struct pd_store *st)
{
	return st->spool != NULL;
}

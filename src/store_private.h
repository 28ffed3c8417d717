/* store_private.h: what store.c, store_raw.c and store_outbox.c share
 * and nothing else may see: the handle and the statement helpers.  Only
 * the store*.c files include it. */
#ifndef PD_STORE_PRIVATE_H
#define PD_STORE_PRIVATE_H

#include <glib.h>
#include <gio/gio.h>
#include <sqlite3.h>

struct pd_store {
	sqlite3		*db;
	GHashTable	*stmts;		/* const char *sql -> sqlite3_stmt * */
	int		 last_rc;
	int		 in_tx;		/* nesting: 1 transaction, >1 savepoints */
	char		*spool;		/* the spool folder, or NULL */
	int		 unsynced;	/* spool files written without fsync */
	gint64		 fts_from;	/* first message row not yet in
					 * messages_fts (bulk), or 0 */
	GHashTable	*dirs;		/* spool folders known to exist */
	gint64		 busy_since;	/* monotonic start of the current busy wait */
	GConverter	*gz;		/* raw mail's compressor, made once */
	GConverter	*gunz;		/* and the checker of a packed copy */
	GConverter	*tz;		/* long text's compressor (raw deflate) */
	int		 bulk;		/* a bulk transaction was used */
	int		 no_sp;		/* store_set_no_savepoint */
	int		 sp_faked;	/* the open level 2 has no savepoint */
	sqlite3_int64	 sp_mark;	/* total changes when it began */
	int		 lost;		/* store_batch_lost */
};

/* data's len bytes raw-deflated, NULL when that passes max bytes; and
 * back (NULL when they do not inflate). */
GByteArray *store_pack(struct pd_store *st, const void *data, size_t len, size_t max);
GByteArray *store_unpack(const void *data, size_t len);
/* Long text packed (store_raw.c): the deflated bytes of text's len
 * bytes, or NULL when it is kept as TEXT (short, or no smaller). */
GByteArray *store_text_pack(struct pd_store *st, const char *text, size_t len);
/* Does packed (deflated elsewhere) inflate to exactly text? */
int store_text_packed_is(GBytes *packed, const char *text, size_t len);
/* Column i, TEXT or packed, as a new string (g_free), NULL for NULL. */
char *store_text_col(sqlite3_stmt *s, int i);
/* The SQL function pd_text(x), the text of either.  An SQLite code. */
int store_text_register(struct pd_store *st);
/* A message's visible text from its body and the columns visible_text
 * and visible_len (sql/013) at column i and i + 1: a new string. */
char *store_visible_col(sqlite3_stmt *s, int i, const char *body);

/* Remember the error for store_error_transient and say what failed.
 * Always -1. */
int store_fail(struct pd_store *st, char **error_r, const char *what);
/* The prepared statement for sql (cached by the text's address: pass a
 * string literal), reset and unbound.  NULL on error. */
sqlite3_stmt *store_stmt(struct pd_store *st, const char *sql, char **error_r);
/* Prepare (cached) and bind: fmt 's' text (NULL binds NULL), 'i' gint64,
 * 'n' gint64 where 0 binds NULL, 'b' blob (ptr, size_t), 't' text (ptr,
 * size_t).  Ready to step. */
sqlite3_stmt *store_query(struct pd_store *st, char **error_r, const char *sql,
    const char *fmt, ...);
/* Run a statement that returns no rows.  0 ok, -1 error. */
int store_exec(struct pd_store *st, char **error_r, const char *sql, const char *fmt, ...);
/* Step a single-row query: 1 row, 0 none, -1 error. */
int store_step(struct pd_store *st, sqlite3_stmt *s, char **error_r);
/* Column i as a new string (g_free), NULL for NULL. */
char *store_col(sqlite3_stmt *s, int i);
typedef gpointer (*store_row_fn)(sqlite3_stmt *s, gpointer arg);
/* One object per row of s, made by fn(s, arg), into *out_r (a new array
 * that frees them with free_fn).  0 ok, -1 error; s is reset. */
int store_collect(struct pd_store *st, sqlite3_stmt *s, store_row_fn fn, gpointer arg,
    GDestroyNotify free_fn, GPtrArray **out_r, char **error_r);
/* The first row of s made into an object by fn(s, arg), into *out_r.
 * 1 found, 0 no row (*out_r untouched), -1 error; s (which may be NULL
 * after a failed store_query) is reset. */
int store_fetch(struct pd_store *st, sqlite3_stmt *s, store_row_fn fn, gpointer arg,
    gpointer *out_r, char **error_r);
/* A one-row query (s may be NULL after a failed store_query): its first
 * column into *value_r (0 when there is no row), *found_r 1 when there
 * was one (either may be NULL).  0 ok, -1 error; s is reset. */
int store_one(struct pd_store *st, sqlite3_stmt *s, gint64 *value_r, int *found_r,
    char **error_r);
/* store_one for a "SELECT count(*)". */
int store_count(struct pd_store *st, sqlite3_stmt *s, int *count_r, char **error_r);

#endif

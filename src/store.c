/* store.c: SQLite behind store.h.  Statements are prepared once and
 * cached by their SQL text's address, so the hot intake path does not
 * re-parse SQL for every mail. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_private.h"
#include "util.h"

extern const char *const sql_migrations[];

#define BUSY_TIMEOUT_MS	10000
#define WAL_KEEP_BYTES	4194304	/* the -wal file kept after a checkpoint */

int
store_fail(struct pd_store *st, char **error_r, const char *what)
{
	st->last_rc = sqlite3_extended_errcode(st->db);
	if (error_r)
		*error_r = g_strdup_printf("database: %s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

sqlite3_stmt *
store_stmt(struct pd_store *st, const char *sql, char **error_r)
{
	sqlite3_stmt *s = g_hash_table_lookup(st->stmts, sql);

	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL)
	    != SQLITE_OK) {
		store_fail(st, error_r, "prepare");
		return NULL;
	}
	g_hash_table_insert(st->stmts, (gpointer)sql, s);
	return s;
}

/* Bind a list of arguments described by fmt: 's' text (NULL binds
 * NULL), 'i' gint64, 'n' gint64 where 0 binds NULL, 'b' blob (ptr, size_t). */
static int
bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i = 1, rc = SQLITE_OK;

	for (; *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT)
			    : sqlite3_bind_null(s, i);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, gint64));
			break;
		case 'n': {
			gint64 v = va_arg(ap, gint64);
			rc = v ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(s, i, p, len, SQLITE_STATIC);
			break;
		}
		case 't': {
			const char *p = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);
			rc = sqlite3_bind_text64(s, i, p, len, SQLITE_STATIC, SQLITE_UTF8);
			break;
		}
		default:
			g_assert_not_reached();
		}
	}
	return rc;
}

/* Prepare (cached), bind and return the statement ready to step. */
sqlite3_stmt *
store_query(struct pd_store *st, char **error_r, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	va_list ap;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	if (bindv(s, fmt, ap) != SQLITE_OK) {
		va_end(ap);
		store_fail(st, error_r, "bind");
		return NULL;
	}
	va_end(ap);
	return s;
}

/* Run a statement that returns no rows. */
int
store_exec(struct pd_store *st, char **error_r, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	va_list ap;
	int rc;

	if (s == NULL)
		return -1;
	va_start(ap, fmt);
	rc = bindv(s, fmt, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, error_r, "write");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Step a single-row query: 1 row, 0 none, -1 error. */
int
store_step(struct pd_store *st, sqlite3_stmt *s, char **error_r)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(st, error_r, "read");
	return -1;
}

char *
store_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? g_strdup((const char *)t) : NULL;
}

/* One object per row of s, made by fn(s, arg), into *out_r (a new
 * array that frees them with free_fn).  0 ok, -1 error; s is reset. */
int
store_fetch(struct pd_store *st, sqlite3_stmt *s, store_row_fn fn, gpointer arg,
    gpointer *out_r, char **error_r)
{
	int rc;

	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1)
		*out_r = fn(s, arg);
	sqlite3_reset(s);
	return rc;
}

int
store_collect(struct pd_store *st, sqlite3_stmt *s, store_row_fn fn, gpointer arg,
    GDestroyNotify free_fn, GPtrArray **out_r, char **error_r)
{
	GPtrArray *out;
	int rc;

	if (s == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func(free_fn);
	while ((rc = store_step(st, s, error_r)) == 1)
		g_ptr_array_add(out, fn(s, arg));
	sqlite3_reset(s);
	if (rc < 0) {
		g_ptr_array_unref(out);
		return -1;
	}
	*out_r = out;
	return 0;
}

int
store_one(struct pd_store *st, sqlite3_stmt *s, gint64 *value_r, int *found_r,
    char **error_r)
{
	int rc;

	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (value_r)
		*value_r = rc ? sqlite3_column_int64(s, 0) : 0;
	if (found_r)
		*found_r = rc;
	sqlite3_reset(s);
	return 0;
}

int
store_count(struct pd_store *st, sqlite3_stmt *s, int *count_r, char **error_r)
{
	gint64 n;

	if (store_one(st, s, &n, NULL, error_r) < 0)
		return -1;
	*count_r = (int)n;
	return 0;
}

static gpointer
first_column(sqlite3_stmt *s, gpointer arg)
{
	(void)arg;
	return store_col(s, 0);
}

static int
exec_plain(struct pd_store *st, const char *sql, char **error_r)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		st->last_rc = sqlite3_extended_errcode(st->db);
		if (error_r)
			*error_r = g_strdup_printf("database: %s", err ? err : "error");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Wait for another process's write lock in 1 ms steps, up to
 * BUSY_TIMEOUT_MS: SQLite's own handler sleeps ever longer and loses
 * the race to a writer that commits and begins again at once.  The
 * limit is time, not steps: on a loaded machine 10000 sleeps of 1 ms
 * took 13 s and more (t_imap's 13 s lock was outwaited). */
static int
busy_wait(void *arg, int tries)
{
	struct pd_store *st = arg;
	gint64 now = g_get_monotonic_time();

	if (tries == 0)
		st->busy_since = now;
	if (now - st->busy_since >= (gint64)BUSY_TIMEOUT_MS * 1000)
		return 0;
	g_usleep(1000);
	return 1;
}

static void
stmt_finalize(gpointer p)
{
	sqlite3_finalize(p);
}

static int
store_migrate(struct pd_store *st, char **error_r)
{
	sqlite3_stmt *s;
	int version, n;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, error_r, "user_version");
	sqlite3_step(s);
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	for (n = 0; sql_migrations[n]; n++)
		;
	if (version > n) {
		*error_r = g_strdup_printf("database schema version %d is newer than this "
		    "postdesk knows (%d)", version, n);
		return -1;
	}
	for (; version < n; version++) {
		char *pragma;
		if (exec_plain(st, "BEGIN IMMEDIATE", error_r) < 0)
			return -1;
		if (exec_plain(st, sql_migrations[version], error_r) < 0) {
			exec_plain(st, "ROLLBACK", NULL);
			return -1;
		}
		pragma = g_strdup_printf("PRAGMA user_version = %d", version + 1);
		if (exec_plain(st, pragma, error_r) < 0 ||
		    exec_plain(st, "COMMIT", error_r) < 0) {
			g_free(pragma);
			exec_plain(st, "ROLLBACK", NULL);
			return -1;
		}
		g_free(pragma);
	}
	return 0;
}

/* The automatic checkpoint after bytes of WAL, whatever the page size. */
static int
wal_pages(struct pd_store *st, int bytes, char **error_r)
{
	sqlite3_stmt *s;
	int pgsz = 4096, rc;
	char *sql;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, error_r, "page_size");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
		pgsz = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sql = g_strdup_printf("PRAGMA wal_autocheckpoint = %d", bytes / pgsz);
	rc = exec_plain(st, sql, error_r);
	g_free(sql);
	return rc;
}

/* Page size and auto-vacuum for a new database (store_open).  Setting
 * auto_vacuum where it is already INCREMENTAL still writes page 1: a
 * commit and an fsync on every open (every deliver), so only when not. */
static int
new_layout(struct pd_store *st, char **error_r)
{
	sqlite3_stmt *s;
	int av = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA auto_vacuum", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, error_r, "auto_vacuum");
	if (sqlite3_step(s) == SQLITE_ROW)
		av = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (av == 2)
		return 0;
	if (exec_plain(st, "PRAGMA page_size = 16384", error_r) < 0 ||
	    exec_plain(st, "PRAGMA auto_vacuum = INCREMENTAL", error_r) < 0)
		return -1;
	return 0;
}

int
store_open(const char *path, const char *spool, struct pd_store **st_r, char **error_r)
{
	struct pd_store *st = g_new0(struct pd_store, 1);
	int rc;

	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*error_r = g_strdup_printf("database %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		sqlite3_close(st->db);
		g_free(st);
		return -1;
	}
	st->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stmt_finalize);
	sqlite3_busy_handler(st->db, busy_wait, st);
	store_text_register(st);
	sqlite3_extended_result_codes(st->db, 1);
	/* A process per mail (deliver, the CGI): the last one to close would
	 * checkpoint (two fsyncs) and delete the -wal and -shm files, and the
	 * next would make them again (a folder fsync).  The WAL stays, and
	 * the automatic checkpoint of some later commit moves it into the
	 * database (every WAL_KEEP_BYTES; postdesk vacuum truncates it). */
	{
		int one = 1;

		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		/* and a WAL grown by a big transaction shrinks back at the
		 * next checkpoint */
		exec_plain(st, "PRAGMA journal_size_limit = " G_STRINGIFY(WAL_KEEP_BYTES), NULL);
		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	}
	st->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	st->spool = g_strdup(spool);
	/* A new database gets 16 KB pages, where the compressed rows of a
	 * few mails share one (4 KB pages held two, a quarter left empty),
	 * and incremental auto-vacuum, so freed pages can go back to the
	 * file system.  Neither changes an existing database (its next
	 * VACUUM takes auto_vacuum; a WAL database keeps its page size).
	 * FULL: once deliver exits 0 the MTA forgets the mail, so the
	 * commit must be on disk, power failure included. */
	if (new_layout(st, error_r) < 0 ||
	    exec_plain(st, "PRAGMA journal_mode = WAL", error_r) < 0 ||
	    exec_plain(st, "PRAGMA synchronous = FULL", error_r) < 0 ||
	    exec_plain(st, "PRAGMA foreign_keys = ON", error_r) < 0 ||
	    exec_plain(st, "PRAGMA cache_size = -32768", error_r) < 0 ||
	    exec_plain(st, "PRAGMA temp_store = MEMORY", error_r) < 0 ||
	    store_migrate(st, error_r) < 0 ||
	    wal_pages(st, WAL_KEEP_BYTES, error_r) < 0) {
		char *e = *error_r;
		*error_r = g_strdup_printf("%s: %s", path, e);
		g_free(e);
		store_close(st);
		return -1;
	}
	*st_r = st;
	return 0;
}

void
store_close(struct pd_store *st)
{
	if (st == NULL)
		return;
	while (st->in_tx)
		store_rollback(st);
	/* After a bulk run (import) the big WAL goes into the database now,
	 * as closing did before (see store_open). */
	if (st->bulk)
		exec_plain(st, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
	if (st->gz)
		g_object_unref(st->gz);
	if (st->gunz)
		g_object_unref(st->gunz);
	if (st->tz)
		g_object_unref(st->tz);
	g_hash_table_destroy(st->stmts);
	g_hash_table_destroy(st->dirs);
	g_free(st->spool);
	sqlite3_close(st->db);
	g_free(st);
}

void
store_set_cache(struct pd_store *st, int kib)
{
	char *sql = g_strdup_printf("PRAGMA cache_size = -%d", kib);

	exec_plain(st, sql, NULL);
	g_free(sql);
}

void
store_set_wal_checkpoint(struct pd_store *st, int bytes)
{
	wal_pages(st, bytes, NULL);
}

void
store_release_memory(struct pd_store *st)
{
	sqlite3_db_release_memory(st->db);
}

int
store_version(struct pd_store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}

/* One writer at a time within the process, in the order they ask: a
 * ticket lock, so a thread that commits and begins again at once goes
 * to the back of the line. */
static GMutex write_mutex;
static GCond write_cond;
static guint64 write_next, write_serving;

static void
write_lock(void)
{
	guint64 mine;

	g_mutex_lock(&write_mutex);
	mine = write_next++;
	while (mine != write_serving)
		g_cond_wait(&write_cond, &write_mutex);
	g_mutex_unlock(&write_mutex);
}

static void
write_unlock(void)
{
	g_mutex_lock(&write_mutex);
	write_serving++;
	g_cond_broadcast(&write_cond);
	g_mutex_unlock(&write_mutex);
}

int
store_begin(struct pd_store *st, char **error_r)
{
	if (st->in_tx == 0)
		write_lock();
	if (st->in_tx)
		st->bulk = 1;
	if (st->in_tx == 1 && st->no_sp) {
		st->sp_faked = 1;
		st->sp_mark = sqlite3_total_changes64(st->db);
		st->in_tx++;
		return 0;
	}
	if (store_exec(st, error_r, st->in_tx ? "SAVEPOINT pd" : "BEGIN IMMEDIATE", "") < 0) {
		if (st->in_tx == 0)
			write_unlock();
		return -1;
	}
	st->in_tx++;
	return 0;
}

/* Spool files written without fsync reach the disk before the rows
 * that name them commit. */
static int
sync_spool(struct pd_store *st, char **error_r)
{
	int fd, rc = 0;

	if (!st->unsynced || st->spool == NULL)
		return 0;
	st->unsynced = 0;
	fd = open(st->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		st->last_rc = SQLITE_IOERR;
		*error_r = g_strdup_printf("%s: sync: %s", st->spool, g_strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int
store_commit(struct pd_store *st, char **error_r)
{
	if (st->in_tx == 2 && st->sp_faked) {
		st->sp_faked = 0;
		st->in_tx--;
		return 0;
	}
	if (st->in_tx == 1 && st->lost) {
		store_rollback(st);
		*error_r = g_strdup("a mail of this transaction failed half way: taken in "
		    "again");
		return -1;
	}
	if (st->in_tx > 1) {
		if (store_exec(st, error_r, "RELEASE pd", "") < 0) {
			store_rollback(st);
			return -1;
		}
		st->in_tx--;
		return 0;
	}
	if (st->fts_from && store_exec(st, error_r, "INSERT INTO messages_fts (rowid, subject, "
	    "body, from_addr, from_name) SELECT id, subject, pd_text(body), from_addr, from_name FROM "
	    "messages WHERE id >= ?", "i", st->fts_from) < 0) {
		store_rollback(st);
		return -1;
	}
	st->fts_from = 0;
	if (sync_spool(st, error_r) < 0 || store_exec(st, error_r, "COMMIT", "") < 0) {
		store_rollback(st);
		return -1;
	}
	st->in_tx = 0;
	write_unlock();
	return 0;
}

void
store_rollback(struct pd_store *st)
{
	if (st->in_tx == 2 && st->sp_faked) {
		if (sqlite3_total_changes64(st->db) != st->sp_mark)
			st->lost = 1;
		st->sp_faked = 0;
		st->in_tx--;
		return;
	}
	if (st->in_tx > 1) {
		exec_plain(st, "ROLLBACK TO pd", NULL);
		exec_plain(st, "RELEASE pd", NULL);
		st->in_tx--;
		return;
	}
	if (st->in_tx) {
		exec_plain(st, "ROLLBACK", NULL);
		st->in_tx = 0;
		st->fts_from = 0;
		st->lost = 0;
		st->sp_faked = 0;
		write_unlock();
	}
}

void
store_set_no_savepoint(struct pd_store *st, int on)
{
	st->no_sp = on;
}

int
store_batch_lost(const struct pd_store *st)
{
	return st->lost;
}

int
store_set_durable(struct pd_store *st, int full, char **error_r)
{
	return exec_plain(st, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", error_r);
}

int
store_error_transient(struct pd_store *st)
{
	switch (st->last_rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_NOMEM:
		return 1;
	}
	return 0;
}

int
store_next_ref(struct pd_store *st, const char *prefix, char **ref_r, char **error_r)
{
	sqlite3_stmt *s;
	gint64 n;

	if (store_exec(st, error_r, "INSERT OR IGNORE INTO ref_counter (prefix, next) VALUES (?, 1)",
	    "s", prefix) < 0)
		return -1;
	s = store_query(st, error_r, "UPDATE ref_counter SET next = next + 1 WHERE prefix = ? "
	    "RETURNING next - 1", "s", prefix);
	if (s == NULL || store_step(st, s, error_r) != 1) {
		if (s && error_r && *error_r == NULL)
			*error_r = g_strdup("database: no ref counter");
		return -1;
	}
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	*ref_r = g_strdup_printf("%s-%04" G_GINT64_FORMAT, prefix, n);
	return 0;
}

int
store_customer_get_or_add(struct pd_store *st, const char *email, const char *name,
    gint64 now, gint64 *id_r, char **error_r)
{
	sqlite3_stmt *s;
	int rc;

	s = store_query(st, error_r, "INSERT INTO customers (email, name, created_at) VALUES (?, ?, ?) "
	    "ON CONFLICT (email) DO UPDATE SET name = coalesce(customers.name, excluded.name) "
	    "RETURNING id", "ssi", email, (name && *name) ? name : NULL, now);
	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	*id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_customer_mark_bouncing(struct pd_store *st, const char *email, const char *status,
    char **error_r)
{
	return store_exec(st, error_r, "UPDATE customers SET bouncing = 1, bounce_status = ? "
	    "WHERE email = ?", "ss", status, email);
}

int
store_ticket_create(struct pd_store *st, const struct pd_ticket *t, gint64 *id_r,
    char **error_r)
{
	if (store_exec(st, error_r, "INSERT INTO tickets (ref, subject, status, priority, queue, "
	    "assignee, customer_id, created_at, updated_at, follows, first_response_due, "
	    "resolution_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssssiiinnn",
	    t->ref, t->subject, t->status ? t->status : "open",
	    t->priority ? t->priority : "normal", t->queue, t->assignee, t->customer_id,
	    t->created_at, t->created_at, t->follows, t->first_response_due,
	    t->resolution_due) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define TICKET_COLUMNS "t.id, t.ref, t.subject, t.status, t.priority, t.queue, " \
	"t.assignee, t.customer_id, c.email, c.name, t.created_at, t.updated_at, " \
	"t.first_response_at, t.resolved_at, t.closed_at, t.merged_into, m.ref, " \
	"t.follows, t.first_response_due, t.resolution_due, t.sla_warned, t.sla_breached, " \
	"t.sla_first_breached, " \
	"(SELECT group_concat(label, char(10)) FROM (SELECT label FROM labels l " \
	"WHERE l.ticket_id = t.id ORDER BY label)) "
#define TICKET_FROM "FROM tickets t JOIN customers c ON c.id = t.customer_id " \
	"LEFT JOIN tickets m ON m.id = t.merged_into "

static struct pd_ticket *
ticket_from_row(sqlite3_stmt *s)
{
	struct pd_ticket *t = g_new0(struct pd_ticket, 1);
	const char *labels;

	t->id = sqlite3_column_int64(s, 0);
	t->ref = store_col(s, 1);
	t->subject = store_col(s, 2);
	t->status = store_col(s, 3);
	t->priority = store_col(s, 4);
	t->queue = store_col(s, 5);
	t->assignee = store_col(s, 6);
	t->customer_id = sqlite3_column_int64(s, 7);
	t->customer_email = store_col(s, 8);
	t->customer_name = store_col(s, 9);
	t->created_at = sqlite3_column_int64(s, 10);
	t->updated_at = sqlite3_column_int64(s, 11);
	t->first_response_at = sqlite3_column_int64(s, 12);
	t->resolved_at = sqlite3_column_int64(s, 13);
	t->closed_at = sqlite3_column_int64(s, 14);
	t->merged_into = sqlite3_column_int64(s, 15);
	t->merged_into_ref = store_col(s, 16);
	t->follows = sqlite3_column_int64(s, 17);
	t->first_response_due = sqlite3_column_int64(s, 18);
	t->resolution_due = sqlite3_column_int64(s, 19);
	t->sla_warned = sqlite3_column_int(s, 20);
	t->sla_breached = sqlite3_column_int(s, 21);
	t->sla_first_breached = sqlite3_column_int(s, 22);
	t->labels = g_ptr_array_new_with_free_func(g_free);
	labels = (const char *)sqlite3_column_text(s, 23);
	if (labels && *labels) {
		char **v = g_strsplit(labels, "\n", -1);
		for (char **p = v; *p; p++)
			g_ptr_array_add(t->labels, *p);
		g_free(v);
	}
	return t;
}

void
store_ticket_free(struct pd_ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->ref);
	g_free(t->subject);
	g_free(t->status);
	g_free(t->priority);
	g_free(t->queue);
	g_free(t->assignee);
	g_free(t->customer_email);
	g_free(t->customer_name);
	g_free(t->merged_into_ref);
	if (t->labels)
		g_ptr_array_unref(t->labels);
	g_free(t);
}

static gpointer
ticket_row(sqlite3_stmt *s, gpointer arg)
{
	(void)arg;
	return ticket_from_row(s);
}

static int
ticket_get(struct pd_store *st, sqlite3_stmt *s, struct pd_ticket **t_r, char **error_r)
{
	return store_fetch(st, s, ticket_row, NULL, (gpointer *)t_r, error_r);
}

int
store_ticket_get(struct pd_store *st, gint64 id, struct pd_ticket **t_r, char **error_r)
{
	return ticket_get(st, store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
	    "WHERE t.id = ?", "i", id), t_r, error_r);
}

int
store_ticket_get_by_ref(struct pd_store *st, const char *ref, struct pd_ticket **t_r,
    char **error_r)
{
	return ticket_get(st, store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
	    "WHERE t.ref = ? COLLATE NOCASE", "s", ref), t_r, error_r);
}

/* Columns store_ticket_set may write: SQL text is never built from
 * anything but this table. */
static const struct {
	const char *column;
	const char *sql;
	int is_int;
} ticket_columns[] = {
#define COL(c, i) { c, "UPDATE tickets SET " c " = ?, updated_at = ? WHERE id = ?", i }
	/* 0 text; 1 time or id, where 0 stores NULL; 2 number, 0 stored */
	COL("status", 0), COL("priority", 0), COL("queue", 0), COL("assignee", 0),
	COL("subject", 0), COL("first_response_at", 1), COL("resolved_at", 1),
	COL("closed_at", 1), COL("merged_into", 1), COL("first_response_due", 1),
	COL("resolution_due", 1), COL("sla_warned", 2), COL("sla_breached", 2),
	COL("csat_rating", 1), COL("csat_comment", 0), COL("sla_first_breached", 2),
#undef COL
};

static int
ticket_column(const char *column, char **error_r)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ticket_columns); i++)
		if (strcmp(ticket_columns[i].column, column) == 0)
			return (int)i;
	*error_r = g_strdup_printf("unknown ticket field '%s'", column);
	return -1;
}

int
store_ticket_set(struct pd_store *st, gint64 id, const char *column, const char *value,
    gint64 now, char **error_r)
{
	int c = ticket_column(column, error_r);

	if (c < 0)
		return -1;
	if (ticket_columns[c].is_int && value)
		return store_ticket_set_int(st, id, column, g_ascii_strtoll(value, NULL, 10),
		    now, error_r);
	return store_exec(st, error_r, ticket_columns[c].sql, "sii", value, now, id);
}

int
store_ticket_set_int(struct pd_store *st, gint64 id, const char *column, gint64 value,
    gint64 now, char **error_r)
{
	int c = ticket_column(column, error_r);

	if (c < 0)
		return -1;
	return store_exec(st, error_r, ticket_columns[c].sql, ticket_columns[c].is_int == 2 ?
	    "iii" : "nii", value, now, id);
}

int
store_ticket_by_message_id(struct pd_store *st, const char *message_id,
    gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *s;
	int rc;

	s = store_query(st, error_r, "SELECT ticket_id FROM messages WHERE message_id = ? "
	    "UNION ALL SELECT ticket_id FROM outbox WHERE message_id = ? AND "
	    "ticket_id IS NOT NULL LIMIT 1", "ss", message_id, message_id);
	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1)
		*ticket_id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

/* Words of a search as FTS5 phrases, so user text is never FTS syntax. */
static char *
fts_query(const char *text)
{
	GString *q = g_string_new(NULL);
	char **words = g_strsplit_set(text, " \t\r\n", -1);

	for (char **w = words; *w; w++) {
		if (**w == '\0')
			continue;
		if (q->len)
			g_string_append_c(q, ' ');
		g_string_append_c(q, '"');
		for (const char *p = *w; *p; p++) {
			if (*p == '"')
				g_string_append_c(q, '"');
			g_string_append_c(q, *p);
		}
		g_string_append_c(q, '"');
	}
	g_strfreev(words);
	return g_string_free(q, FALSE);
}

/* store_ticket_list's filters but assignee and search: ?1 status, ?2
 * queue, ?8 priority, ?9 a label (any case). */
#define LIST_WHERE "(?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR t.queue = ?2 " \
	"COLLATE NOCASE) AND (?8 IS NULL OR t.priority = ?8) AND (?9 IS NULL OR EXISTS " \
	"(SELECT 1 FROM labels l WHERE l.ticket_id = t.id AND l.label = ?9 COLLATE NOCASE)) "
#define LIST_ORDER "ORDER BY t.updated_at DESC, t.id DESC LIMIT ?5 OFFSET ?6"
#define LIST_ARGS "ssssiiiss", f->status, f->queue, f->assignee, fts, \
	(gint64)(f->limit > 0 ? f->limit : -1), (gint64)f->offset, \
	(gint64)(f->search_max > 0 ? f->search_max : -1), f->priority, f->label

int
store_ticket_list(struct pd_store *st, const struct pd_ticket_filter *f,
    GPtrArray **tickets_r, char **error_r)
{
	sqlite3_stmt *s;
	char *fts = (f->search && *f->search) ? fts_query(f->search) : NULL;

	if (fts && *fts == '\0')	/* blanks only: no search (FTS5 refuses "") */
		g_clear_pointer(&fts, g_free);

	/* Without a search the newest come first from tickets_updated, or
	 * for one assignee from tickets_assignee (sql/012: the agent's
	 * tickets, not a walk of every ticket to find them); with a search,
	 * the matching tickets are found first and sorted (+: not by
	 * walking that index, which would probe the match list for most of
	 * the tickets when a word is rare); search_max keeps the newest
	 * matches only (FTS5 reads its rowids backwards, no sort).  Every
	 * text takes the same nine parameters (?9 is in each, so binding
	 * one a text does not use is no error). */
	if (fts == NULL && f->assignee)
		s = store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
		    "WHERE t.assignee = ?3 COLLATE NOCASE AND " LIST_WHERE LIST_ORDER, LIST_ARGS);
	else if (fts == NULL && f->status)	/* from tickets_status */
		s = store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
		    "WHERE t.status = ?1 AND " LIST_WHERE LIST_ORDER, LIST_ARGS);
	else if (fts == NULL)
		s = store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
		    "WHERE " LIST_WHERE LIST_ORDER, LIST_ARGS);
	else
		s = store_query(st, error_r, "SELECT " TICKET_COLUMNS TICKET_FROM
		    "WHERE " LIST_WHERE "AND (?3 IS NULL OR t.assignee = ?3 COLLATE NOCASE) AND "
		    "t.id IN (SELECT m.ticket_id FROM (SELECT rowid FROM messages_fts WHERE "
		    "messages_fts MATCH ?4 ORDER BY rowid DESC LIMIT ?7) f JOIN messages m ON "
		    "m.id = f.rowid) ORDER BY +t.updated_at DESC, t.id DESC LIMIT ?5 OFFSET ?6",
		    LIST_ARGS);
#undef LIST_ARGS
#undef LIST_ORDER
#undef LIST_WHERE
	g_free(fts);
	return store_collect(st, s, ticket_row, NULL, (GDestroyNotify)store_ticket_free, tickets_r, error_r);
}

int
store_search_count(struct pd_store *st, const char *search, int max, int *count_r,
    char **error_r)
{
	char *fts = fts_query(search);
	int rc = 0;

	*count_r = 0;
	if (*fts)
		rc = store_count(st, store_query(st, error_r, "SELECT count(*) FROM (SELECT 1 "
		    "FROM messages_fts WHERE messages_fts MATCH ?1 LIMIT ?2)", "si", fts,
		    (gint64)max + 1), count_r, error_r);
	g_free(fts);
	return rc;
}

int
store_ticket_merge(struct pd_store *st, gint64 from, gint64 into, gint64 now,
    char **error_r)
{
	if (store_exec(st, error_r, "UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1",
	    "ii", from, into) < 0 ||
	    store_exec(st, error_r, "INSERT OR IGNORE INTO participants (ticket_id, email, name) "
	    "SELECT ?2, email, name FROM participants WHERE ticket_id = ?1 UNION ALL "
	    "SELECT ?2, c.email, c.name FROM tickets t JOIN customers c ON c.id = t.customer_id "
	    "WHERE t.id = ?1", "ii", from, into) < 0 ||
	    store_exec(st, error_r, "INSERT OR IGNORE INTO labels (ticket_id, label) SELECT ?2, label "
	    "FROM labels WHERE ticket_id = ?1", "ii", from, into) < 0 ||
	    store_exec(st, error_r, "UPDATE tickets SET merged_into = ?2, updated_at = ?3 "
	    "WHERE id = ?1", "iii", from, into, now) < 0 ||
	    store_exec(st, error_r, "UPDATE tickets SET updated_at = ?2 WHERE id = ?1", "ii",
	    into, now) < 0)
		return -1;
	return 0;
}

#define TIMER_ACTIVE "status IN ('open', 'in_progress', 'waiting', 'on_hold') AND " \
	"merged_into IS NULL AND resolution_due IS NOT NULL "
#define TIMER_WARN_AT "(created_at + (resolution_due - created_at) * ?2 / ?3)"

static int
id_list(struct pd_store *st, sqlite3_stmt *s, GArray **ids_r, char **error_r)
{
	GArray *ids;
	int rc;

	if (s == NULL)
		return -1;
	ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	while ((rc = store_step(st, s, error_r)) == 1) {
		gint64 id = sqlite3_column_int64(s, 0);
		g_array_append_val(ids, id);
	}
	sqlite3_reset(s);
	if (rc < 0) {
		g_array_unref(ids);
		return -1;
	}
	*ids_r = ids;
	return 0;
}

int
store_timers_due(struct pd_store *st, gint64 now, int warn_num, int warn_den,
    gint64 autoclose_after, GArray **warn_r, GArray **breach_r, GArray **close_r,
    char **error_r)
{
	*warn_r = *breach_r = *close_r = NULL;
	if (id_list(st, store_query(st, error_r, "SELECT id FROM tickets WHERE " TIMER_ACTIVE
	    "AND sla_breached = 0 AND ?1 >= resolution_due ORDER BY resolution_due", "i",
	    now), breach_r, error_r) < 0 ||
	    id_list(st, store_query(st, error_r, "SELECT id FROM tickets WHERE " TIMER_ACTIVE
	    "AND sla_breached = 0 AND sla_warned = 0 AND ?1 < resolution_due AND ?1 >= "
	    TIMER_WARN_AT " ORDER BY resolution_due", "iii", now, (gint64)warn_num,
	    (gint64)warn_den), warn_r, error_r) < 0 ||
	    id_list(st, store_query(st, error_r, "SELECT id FROM tickets WHERE status = 'resolved' "
	    "AND resolved_at IS NOT NULL AND resolved_at <= ? ORDER BY resolved_at", "i",
	    now - autoclose_after), close_r, error_r) < 0) {
		if (*warn_r)
			g_array_unref(*warn_r);
		if (*breach_r)
			g_array_unref(*breach_r);
		*warn_r = *breach_r = NULL;
		return -1;
	}
	return 0;
}

int
store_timers_first_due(struct pd_store *st, gint64 now, GArray **ids_r, char **error_r)
{
	return id_list(st, store_query(st, error_r, "SELECT id FROM tickets WHERE status IN "
	    "('open', 'in_progress', 'waiting', 'on_hold') AND merged_into IS NULL AND "
	    "first_response_due IS NOT NULL AND first_response_at IS NULL AND "
	    "sla_first_breached = 0 AND first_response_due <= ? ORDER BY first_response_due",
	    "i", now), ids_r, error_r);
}

int
store_timers_next(struct pd_store *st, gint64 now, int warn_num, int warn_den,
    gint64 autoclose_after, gint64 *next_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT min(t) FROM ("
	    "SELECT " TIMER_WARN_AT " AS t FROM tickets WHERE " TIMER_ACTIVE
	    "AND sla_warned = 0 AND sla_breached = 0 UNION ALL "
	    "SELECT resolution_due FROM tickets WHERE " TIMER_ACTIVE "AND sla_breached = 0 "
	    "UNION ALL SELECT resolved_at + ?4 FROM tickets WHERE status = 'resolved' "
	    "UNION ALL SELECT first_response_due FROM tickets WHERE " TIMER_ACTIVE
	    "AND first_response_at IS NULL AND sla_first_breached = 0) "
	    "WHERE t > ?1", "iiii", now, (gint64)warn_num, (gint64)warn_den, autoclose_after);

	return store_one(st, s, next_r, NULL, error_r);
}

int
store_tickets_count_customer(struct pd_store *st, const char *email, gint64 since,
    int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM tickets t JOIN "
	    "customers c ON c.id = t.customer_id WHERE c.email = ? AND t.created_at >= ?",
	    "si", email, since), count_r, error_r);
}

int
store_ticket_knows(struct pd_store *st, gint64 ticket_id, const char *email,
    int *knows_r, char **error_r)
{
	return store_one(st, store_query(st, error_r, "SELECT 1 FROM tickets t JOIN customers c "
	    "ON c.id = t.customer_id WHERE t.id = ?1 AND c.email = ?2 UNION ALL SELECT 1 FROM "
	    "participants WHERE ticket_id = ?1 AND email = ?2", "is", ticket_id, email), NULL,
	    knows_r, error_r);
}

int
store_participant_add(struct pd_store *st, gint64 ticket_id, const char *email,
    const char *name, char **error_r)
{
	return store_exec(st, error_r, "INSERT OR IGNORE INTO participants (ticket_id, email, name) "
	    "VALUES (?, ?, ?)", "iss", ticket_id, email, name);
}

int
store_participants(struct pd_store *st, gint64 ticket_id, GPtrArray **emails_r,
    char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT email FROM participants WHERE "
	    "ticket_id = ? ORDER BY email", "i", ticket_id);

	return store_collect(st, s, first_column, NULL, g_free, emails_r, error_r);
}

int
store_label_add(struct pd_store *st, gint64 ticket_id, const char *label, char **error_r)
{
	return store_exec(st, error_r, "INSERT OR IGNORE INTO labels (ticket_id, label) VALUES (?, ?)",
	    "is", ticket_id, label);
}

int
store_label_remove(struct pd_store *st, gint64 ticket_id, const char *label,
    char **error_r)
{
	return store_exec(st, error_r, "DELETE FROM labels WHERE ticket_id = ? AND label = ?",
	    "is", ticket_id, label);
}

int
store_event_add(struct pd_store *st, gint64 ticket_id, gint64 at, const char *actor,
    const char *kind, const char *detail, char **error_r)
{
	return store_exec(st, error_r, "INSERT INTO events (ticket_id, at, actor, kind, detail) "
	    "VALUES (?, ?, ?, ?, ?)", "niss" "s", ticket_id, at, actor, kind, detail);
}

int
store_message_add(struct pd_store *st, const struct pd_stored_message *m, gint64 *id_r,
    char **error_r)
{
	const char *body = m->body ? m->body : "", *vis = m->visible_text;
	size_t blen = strlen(body);
	GByteArray *z = NULL;
	gint64 id, vlen = 0;
	int rc;

	/* deflated by the parser child (message_precompute) when it says so */
	if (m->body_packed && store_text_packed_is(m->body_packed, body, blen)) {
		gsize plen;
		const guint8 *p = g_bytes_get_data(m->body_packed, &plen);

		z = g_byte_array_sized_new((guint)plen);
		g_byte_array_append(z, p, (guint)plen);
	} else
		z = store_text_pack(st, body, blen);

	/* the start of the body: its length only (sql/013) */
	if (vis != NULL && g_strcmp0(vis, m->body ? m->body : "") == 0)
		vis = NULL;
	else if (vis != NULL && *vis && m->body && g_str_has_prefix(m->body, vis)) {
		vlen = (gint64)strlen(vis);
		vis = NULL;
	}
	/* a long body deflated (a BLOB), else as it is */
	rc = store_exec(st, error_r, "INSERT INTO messages (ticket_id, kind, message_id, from_addr, "
	    "from_name, date, subject, body, visible_text, visible_len, raw_sha256, class, auto) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", z ? "issssisbsnssi" :
	    "issssistsnssi", m->ticket_id, m->kind, m->message_id, m->from_addr, m->from_name,
	    m->date, m->subject ? m->subject : "", z ? (const char *)z->data : body,
	    z ? (size_t)z->len : blen, vis, vlen, m->raw_sha256, m->class, (gint64)m->is_auto);
	if (z)
		g_byte_array_unref(z);
	if (rc < 0)
		return -1;
	id = sqlite3_last_insert_rowid(st->db);
	/* Inside a bulk transaction the full-text index is written once, at
	 * the commit, for every row from fts_from on: FTS5 flushes its
	 * pending terms at each savepoint, so a row at a time costs a
	 * segment per mail. */
	if (st->in_tx > 1 || st->fts_from) {
		if (st->fts_from == 0)
			st->fts_from = id;
	} else if (store_exec(st, error_r, "INSERT INTO messages_fts (rowid, subject, body, "
	    "from_addr, from_name) VALUES (?, ?, ?, ?, ?)", "issss", id,
	    m->subject ? m->subject : "", body, m->from_addr,
	    m->from_name) < 0)
		return -1;
	if (id_r)
		*id_r = id;
	return 0;
}

int
store_attachment_add(struct pd_store *st, gint64 message_row,
    const struct pd_stored_attachment *a, char **error_r)
{
	return store_exec(st, error_r, "INSERT INTO attachments (message_id, filename, content_type, "
	    "size, sha256, refused) VALUES (?, ?, ?, ?, ?, ?)", "ississ", message_row,
	    a->filename, a->content_type, a->size, a->sha256, a->refused);
}

static void
attachment_free(gpointer p)
{
	struct pd_stored_attachment *a = p;

	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->sha256);
	g_free(a->refused);
	g_free(a);
}

void
store_message_free(struct pd_stored_message *m)
{
	if (m == NULL)
		return;
	g_free(m->kind);
	g_free(m->message_id);
	g_free(m->from_addr);
	g_free(m->from_name);
	g_free(m->subject);
	g_free(m->body);
	g_free(m->visible_text);
	g_free(m->raw_sha256);
	g_free(m->class);
	if (m->attachments)
		g_ptr_array_unref(m->attachments);
	g_free(m);
}

int
store_messages(struct pd_store *st, gint64 ticket_id, int all, GPtrArray **msgs_r,
    char **error_r)
{
	sqlite3_stmt *s;
	GPtrArray *out;
	GHashTable *byid;
	int rc;

	s = store_query(st, error_r, "SELECT id, ticket_id, kind, message_id, from_addr, from_name, "
	    "date, subject, body, raw_sha256, class, auto, visible_text, visible_len "
	    "FROM messages WHERE ticket_id = ? "
	    "AND (? OR kind IN ('customer', 'staff')) ORDER BY id", "ii", ticket_id,
	    (gint64)all);
	if (s == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)store_message_free);
	byid = g_hash_table_new(g_int64_hash, g_int64_equal);
	while ((rc = store_step(st, s, error_r)) == 1) {
		struct pd_stored_message *m = g_new0(struct pd_stored_message, 1);
		m->id = sqlite3_column_int64(s, 0);
		m->ticket_id = sqlite3_column_int64(s, 1);
		m->kind = store_col(s, 2);
		m->message_id = store_col(s, 3);
		m->from_addr = store_col(s, 4);
		m->from_name = store_col(s, 5);
		m->date = sqlite3_column_int64(s, 6);
		m->subject = store_col(s, 7);
		m->body = store_text_col(s, 8);
		m->raw_sha256 = store_col(s, 9);
		m->class = store_col(s, 10);
		m->is_auto = sqlite3_column_int(s, 11);
		m->visible_text = store_visible_col(s, 12, m->body);
		m->attachments = g_ptr_array_new_with_free_func(attachment_free);
		g_ptr_array_add(out, m);
		g_hash_table_insert(byid, &m->id, m);
	}
	sqlite3_reset(s);
	if (rc == 0) {
		s = store_query(st, error_r, "SELECT a.message_id, a.filename, a.content_type, a.size, "
		    "a.sha256, a.refused FROM attachments a JOIN messages m ON m.id = "
		    "a.message_id WHERE m.ticket_id = ? ORDER BY a.id", "i", ticket_id);
		if (s == NULL)
			rc = -1;
		while (s && (rc = store_step(st, s, error_r)) == 1) {
			gint64 mid = sqlite3_column_int64(s, 0);
			struct pd_stored_message *m = g_hash_table_lookup(byid, &mid);
			struct pd_stored_attachment *a;
			if (m == NULL)
				continue;
			a = g_new0(struct pd_stored_attachment, 1);
			a->filename = store_col(s, 1);
			a->content_type = store_col(s, 2);
			a->size = sqlite3_column_int64(s, 3);
			a->sha256 = store_col(s, 4);
			a->refused = store_col(s, 5);
			g_ptr_array_add(m->attachments, a);
		}
		if (s)
			sqlite3_reset(s);
	}
	g_hash_table_destroy(byid);
	if (rc < 0) {
		g_ptr_array_unref(out);
		return -1;
	}
	*msgs_r = out;
	return 0;
}

/* Bytes of the database file and its WAL. */
static gint64
db_bytes(struct pd_store *st)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	char *wal;
	struct stat sb;
	gint64 n = 0;

	if (path == NULL || *path == '\0')
		return 0;
	if (stat(path, &sb) == 0)
		n += sb.st_size;
	wal = g_strconcat(path, "-wal", NULL);
	if (stat(wal, &sb) == 0)
		n += sb.st_size;
	g_free(wal);
	return n;
}

int
store_vacuum(struct pd_store *st, gint64 *before_r, gint64 *after_r, char **error_r)
{
	int rc;

	if (st->in_tx) {
		*error_r = g_strdup("vacuum: inside a transaction");
		return -1;
	}
	*before_r = db_bytes(st);
	write_lock();
	rc = exec_plain(st, "PRAGMA wal_checkpoint(TRUNCATE)", error_r) < 0 ||
	    exec_plain(st, "VACUUM", error_r) < 0 ||
	    exec_plain(st, "PRAGMA wal_checkpoint(TRUNCATE)", error_r) < 0 ? -1 : 0;
	write_unlock();
	*after_r = db_bytes(st);
	return rc;
}

int
store_ticket_counts(struct pd_store *st, GPtrArray **pairs_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT 'tickets_' || status, n FROM "
	    "ticket_status_counts WHERE n > 0 ORDER BY status", "");
	GPtrArray *out;
	int rc;

	if (s == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func(g_free);
	while ((rc = store_step(st, s, error_r)) == 1) {
		g_ptr_array_add(out, store_col(s, 0));
		g_ptr_array_add(out, store_col(s, 1));
	}
	sqlite3_reset(s);
	if (rc < 0) {
		g_ptr_array_unref(out);
		return -1;
	}
	*pairs_r = out;
	return 0;
}

int
store_stats(struct pd_store *st, GPtrArray **pairs_r, char **error_r)
{
	sqlite3_stmt *s;
	GPtrArray *out;
	int rc;

	s = store_query(st, error_r,
	    "SELECT 'tickets', count(*) FROM tickets UNION ALL "
	    "SELECT 'tickets_' || status, count(*) FROM tickets GROUP BY status UNION ALL "
	    "SELECT 'messages', count(*) FROM messages UNION ALL "
	    "SELECT 'attachments', count(*) FROM attachments UNION ALL "
	    "SELECT 'outbox_' || status, count(*) FROM outbox GROUP BY status UNION ALL "
	    "SELECT 'quarantine_held', count(*) FROM quarantine WHERE state = 'held' UNION ALL "
	    "SELECT 'bounces', count(*) FROM bounces UNION ALL "
	    "SELECT 'customers', count(*) FROM customers", "");
	if (s == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func(g_free);
	while ((rc = store_step(st, s, error_r)) == 1) {
		g_ptr_array_add(out, store_col(s, 0));
		g_ptr_array_add(out, store_col(s, 1));
	}
	sqlite3_reset(s);
	if (rc < 0) {
		g_ptr_array_unref(out);
		return -1;
	}
	*pairs_r = out;
	return 0;
}

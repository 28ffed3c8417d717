/* store_raw.c: the bytes the store keeps: raw mail (inline or in the
 * spool), attachments in the spool, the exactly-once "seen" records and
 * the quarantine of mail that could not be taken in. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "store.h"
#include "store_private.h"
#include "log.h"
#include "util.h"

static char *
spool_path(struct pd_store *st, const char *kind, const char *sha256)
{
	char sub[3] = { sha256[0], sha256[1], '\0' };

	return g_build_filename(st->spool ? st->spool : ".", kind, sub, sha256, NULL);
}

char *
store_raw_path(struct pd_store *st, const char *sha256)
{
	return spool_path(st, "raw", sha256);
}

char *
store_blob_path(struct pd_store *st, const char *sha256)
{
	return spool_path(st, "att", sha256);
}

/* Content-addressed: a file that exists already has these bytes.
 * Inside a bulk transaction (savepoints) files are not fsynced one by
 * one: the outer commit syncs the file system once. */
static int
spool_put(struct pd_store *st, const char *path, const void *data, size_t len,
    char **error_r)
{
	char *dir;
	int rc, bulk = st->in_tx > 1;

	if (st->spool == NULL) {
		*error_r = g_strdup("store: no spool folder");
		return -1;
	}
	if (access(path, F_OK) == 0)
		return 0;
	dir = g_path_get_dirname(path);
	if (!g_hash_table_contains(st->dirs, dir)) {
		if (util_mkdirs(dir, 0750, error_r) < 0) {
			g_free(dir);
			st->last_rc = SQLITE_IOERR;
			return -1;
		}
		g_hash_table_add(st->dirs, dir);
	} else
		g_free(dir);
	rc = util_write_file(path, data, len, 0640, !bulk, error_r);
	if (rc < 0)
		st->last_rc = SQLITE_IOERR;	/* a full disk is worth a retry */
	else if (bulk)
		st->unsynced = 1;
	return rc;
}

/* A spool file's bytes: 1, 0 when there is no such file, -1 error. */
static int
spool_get(struct pd_store *st, const char *path, GBytes **data_r, char **error_r)
{
	GByteArray *a;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (util_read_file(path, 0, &a, error_r) < 0) {
		st->last_rc = SQLITE_IOERR;
		return -1;
	}
	*data_r = g_byte_array_free_to_bytes(a);
	return 1;
}

/* An attachment up to STORE_RAW_INLINE bytes goes in the blobs table
 * (sql/014), deflated when that is smaller; a bigger one in the spool. */
int
store_blob_put(struct pd_store *st, const void *data, size_t len, const char *sha256,
    char **error_r)
{
	char *path;
	int rc;

	if (len <= STORE_RAW_INLINE) {
		GByteArray *z = store_pack(st, data, len, len > 0 ? len - 1 : 0);

		rc = store_exec(st, error_r, "INSERT OR IGNORE INTO blobs (sha256, size, data) "
		    "VALUES (?, ?, ?)", "sib", sha256, (gint64)len, z ? (const void *)z->data :
		    (len ? data : ""), z ? (size_t)z->len : len);
		if (z)
			g_byte_array_unref(z);
		return rc;
	}
	path = store_blob_path(st, sha256);
	rc = spool_put(st, path, data, len, error_r);
	g_free(path);
	return rc;
}

/* An inline attachment's bytes: 1, 0 when there is none, -1 error. */
static int
blob_get_inline(struct pd_store *st, const char *sha256, GBytes **data_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT size, data FROM blobs WHERE "
	    "sha256 = ?", "s", sha256);
	gint64 size;
	size_t len;
	int rc;

	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 0) {
		sqlite3_reset(s);
		return 0;
	}
	size = sqlite3_column_int64(s, 0);
	len = (size_t)sqlite3_column_bytes(s, 1);
	if ((gint64)len < size) {
		GByteArray *a = store_unpack(sqlite3_column_blob(s, 1), len);

		sqlite3_reset(s);
		if (a == NULL || (gint64)a->len != size) {
			if (a)
				g_byte_array_unref(a);
			*error_r = g_strdup_printf("attachment %s: the stored copy does not "
			    "inflate to its %" G_GINT64_FORMAT " bytes", sha256, size);
			return -1;
		}
		*data_r = g_byte_array_free_to_bytes(a);
		return 1;
	}
	*data_r = g_bytes_new(sqlite3_column_blob(s, 1), len);
	sqlite3_reset(s);
	return 1;
}

/* Run all of in through conv: the output, or NULL when conv fails or
 * the output would pass max bytes. */
static GByteArray *
convert_all(GConverter *conv, const void *in, size_t len, size_t max)
{
	GByteArray *out = g_byte_array_sized_new((guint)MIN(len + 64, max + 64));
	const guint8 *p = in;
	size_t left = len;

	for (;;) {
		guint8 buf[16384];
		gsize rd = 0, wr = 0;
		GError *err = NULL;
		GConverterResult r = g_converter_convert(conv, p, left, buf, sizeof buf,
		    G_CONVERTER_INPUT_AT_END, &rd, &wr, &err);

		if (r == G_CONVERTER_ERROR) {
			g_error_free(err);
			g_byte_array_unref(out);
			return NULL;
		}
		p += rd;
		left -= rd;
		g_byte_array_append(out, buf, (guint)wr);
		if (out->len > max) {
			g_byte_array_unref(out);
			return NULL;
		}
		if (r == G_CONVERTER_FINISHED)
			return out;
	}
}

/* Inline raw mail is kept gzip-compressed (zlib level STORE_RAW_LEVEL)
 * when that is smaller: mail is text and shrinks to a third or so.  A
 * row holds compressed bytes exactly when length(data) < size. */
#define STORE_RAW_LEVEL	6

/* Long text (a message's body) is kept deflated too, as a BLOB, when
 * that is smaller: a TEXT value is the text itself, a BLOB its raw
 * deflate stream (zlib.decompress(data, -15) in Python).  Text under
 * STORE_TEXT_PACK_MIN bytes is left as it is: it shrinks little, and
 * what sqlite3 shows of a short body stays readable. */
#define STORE_TEXT_PACK_MIN	1024
#define STORE_TEXT_MAX		(1 << 30)

GByteArray *
store_pack(struct pd_store *st, const void *data, size_t len, size_t max)
{
	if (data == NULL || max == 0)
		return NULL;
	if (st->tz == NULL)
		st->tz = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW,
		    STORE_RAW_LEVEL));
	else
		g_converter_reset(st->tz);
	return convert_all(st->tz, data, len, max);
}

GByteArray *
store_unpack(const void *data, size_t len)
{
	GZlibDecompressor *z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW);
	GByteArray *a = convert_all(G_CONVERTER(z), data, len, STORE_TEXT_MAX);

	g_object_unref(z);
	return a;
}

GByteArray *
store_text_pack(struct pd_store *st, const char *text, size_t len)
{
	return text == NULL || len < STORE_TEXT_PACK_MIN ? NULL : store_pack(st, text, len,
	    len - 1);
}

GByteArray *
store_text_pack_alone(const char *text, size_t len)
{
	static GConverter *conv;
	static GMutex lock;
	GByteArray *a;

	if (text == NULL || len < STORE_TEXT_PACK_MIN)
		return NULL;
	g_mutex_lock(&lock);
	if (conv == NULL)
		conv = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW,
		    STORE_RAW_LEVEL));
	else
		g_converter_reset(conv);
	a = convert_all(conv, text, len, len - 1);
	g_mutex_unlock(&lock);
	return a;
}

int
store_text_packed_is(GBytes *packed, const char *text, size_t len)
{
	gsize plen;
	const void *p = g_bytes_get_data(packed, &plen);
	GZlibDecompressor *z;
	GByteArray *a;
	int same;

	if (plen == 0 || plen >= len || len < STORE_TEXT_PACK_MIN)
		return 0;
	z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW);
	a = convert_all(G_CONVERTER(z), p, plen, len);
	g_object_unref(z);
	same = a && a->len == len && memcmp(a->data, text, len) == 0;
	if (a)
		g_byte_array_unref(a);
	return same;
}

/* The text of a packed value: a new string, NULL when it does not
 * inflate. */
static char *
text_unpack(const void *data, size_t len)
{
	GByteArray *a = store_unpack(data, len);

	if (a == NULL)
		return NULL;
	g_byte_array_append(a, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(a, FALSE);
}

char *
store_text_col(sqlite3_stmt *s, int i)
{
	char *t;

	if (sqlite3_column_type(s, i) != SQLITE_BLOB)
		return store_col(s, i);
	t = text_unpack(sqlite3_column_blob(s, i), (size_t)sqlite3_column_bytes(s, i));
	if (t == NULL) {
		log_warnx("store: a stored text (%s) does not inflate",
		    sqlite3_column_name(s, i));
		t = g_strdup("");
	}
	return t;
}

/* pd_text(x): the text of a stored value, for SQL (the full-text
 * index is fed with it). */
static void
sql_pd_text(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	char *t;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_value(cx, argv[0]);
		return;
	}
	t = text_unpack(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]));
	if (t == NULL) {
		sqlite3_result_error(cx, "pd_text: the stored text does not inflate", -1);
		return;
	}
	sqlite3_result_text(cx, t, -1, g_free);
}

/* pd_pack(x): x as store_text_pack keeps it, for postdesk vacuum (a
 * text stored before long text was packed). */
static void
sql_pd_pack(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	GByteArray *z;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
	    (z = store_text_pack(sqlite3_user_data(cx), (const char *)sqlite3_value_text(argv[0]),
	    (size_t)sqlite3_value_bytes(argv[0]))) == NULL) {
		sqlite3_result_value(cx, argv[0]);
		return;
	}
	sqlite3_result_blob64(cx, z->data, z->len, SQLITE_TRANSIENT);
	g_byte_array_unref(z);
}

int
store_text_register(struct pd_store *st)
{
	int rc = sqlite3_create_function(st->db, "pd_text", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, sql_pd_text, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "pd_pack", 1, SQLITE_UTF8 |
		    SQLITE_DIRECTONLY, st, sql_pd_pack, NULL, NULL);
	return rc;
}

/* Long text bodies still stored as TEXT. */
static int
text_unpacked(struct pd_store *st, int *n_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM messages WHERE "
	    "typeof(body) = 'text' AND length(CAST(body AS BLOB)) >= ?", "i",
	    (gint64)STORE_TEXT_PACK_MIN), n_r, error_r);
}

int
store_text_repack(struct pd_store *st, int *n_r, char **error_r)
{
	int before, after;

	if (text_unpacked(st, &before, error_r) < 0 ||
	    store_exec(st, error_r, "UPDATE messages SET body = pd_pack(body) WHERE "
	    "typeof(body) = 'text' AND length(CAST(body AS BLOB)) >= ?", "i",
	    (gint64)STORE_TEXT_PACK_MIN) < 0 || text_unpacked(st, &after, error_r) < 0)
		return -1;
	*n_r = before - after;
	return 0;
}

int
store_blob_get(struct pd_store *st, const char *sha256, GBytes **data_r, char **error_r)
{
	char *path;
	int rc = blob_get_inline(st, sha256, data_r, error_r);

	if (rc != 0)
		return rc;
	path = store_blob_path(st, sha256);
	rc = spool_get(st, path, data_r, error_r);
	g_free(path);
	return rc;
}

/* The compressed copy kept inline, or NULL when the mail is not kept
 * inline or does not shrink; *conv caches the compressor: zlib's
 * set-up and its 256 KB of state per mail were a tenth of an import. */
static GByteArray *
pack_with(GConverter **conv, const void *data, size_t len)
{
	if (len > STORE_RAW_INLINE)
		return NULL;
	if (*conv == NULL)
		*conv = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP,
		    STORE_RAW_LEVEL));
	else
		g_converter_reset(*conv);
	return convert_all(*conv, data, len, len > 0 ? len - 1 : 0);
}

GByteArray *
store_raw_pack(const void *data, size_t len)
{
	static GConverter *conv;
	static GMutex lock;
	GByteArray *gz;

	g_mutex_lock(&lock);
	gz = pack_with(&conv, data, len);
	g_mutex_unlock(&lock);
	return gz;
}

/* Does packed (from another process) unpack to exactly data? */
static int
packed_is(struct pd_store *st, GBytes *packed, const void *data, size_t len)
{
	gsize plen;
	const void *p = g_bytes_get_data(packed, &plen);
	GByteArray *a;
	int same;

	if (plen == 0 || plen >= len)
		return 0;
	if (st->gunz == NULL)
		st->gunz = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
	else
		g_converter_reset(st->gunz);
	a = convert_all(st->gunz, p, plen, len);
	same = a && a->len == len && memcmp(a->data, data, len) == 0;
	if (a)
		g_byte_array_unref(a);
	return same;
}

int
store_raw_put(struct pd_store *st, const void *data, size_t len, const char *sha256,
    gint64 now, char **error_r)
{
	return store_raw_put_packed(st, data, len, NULL, sha256, now, error_r);
}

int
store_raw_put_packed(struct pd_store *st, const void *data, size_t len, GBytes *packed,
    const char *sha256, gint64 now, char **error_r)
{
	char *path;
	int rc;

	if (len <= STORE_RAW_INLINE) {
		GByteArray *gz = NULL;
		const void *d = data;
		size_t dlen = len;

		if (packed && packed_is(st, packed, data, len)) {
			gsize plen;

			d = g_bytes_get_data(packed, &plen);
			dlen = plen;
		} else if ((gz = pack_with(&st->gz, data, len)) != NULL) {
			d = gz->data;
			dlen = gz->len;
		}
		rc = store_exec(st, error_r, "INSERT OR IGNORE INTO raw_mail (sha256, size, "
		    "stored_at, data) VALUES (?, ?, ?, ?)", "siib", sha256, (gint64)len,
		    now, d, dlen);
		if (gz)
			g_byte_array_unref(gz);
		return rc;
	}
	path = store_raw_path(st, sha256);
	rc = spool_put(st, path, data, len, error_r);
	g_free(path);
	if (rc < 0)
		return -1;
	return store_exec(st, error_r, "INSERT OR IGNORE INTO raw_mail (sha256, size, stored_at) "
	    "VALUES (?, ?, ?)", "sii", sha256, (gint64)len, now);
}

int
store_raw_get(struct pd_store *st, const char *sha256, GBytes **raw_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, "SELECT data IS NOT NULL, data, size FROM "
	    "raw_mail WHERE sha256 = ?", "s", sha256);
	GByteArray *a;
	char *path;
	int rc, inline_;
	gint64 size;

	if (s == NULL || (rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 0) {
		sqlite3_reset(s);
		return 0;
	}
	inline_ = sqlite3_column_int(s, 0);
	size = sqlite3_column_int64(s, 2);
	if (inline_ && sqlite3_column_bytes(s, 1) < size) {
		GZlibDecompressor *z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);

		a = convert_all(G_CONVERTER(z), sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), (size_t)size);
		g_object_unref(z);
		sqlite3_reset(s);
		if (a == NULL || (gint64)a->len != size) {
			if (a)
				g_byte_array_unref(a);
			*error_r = g_strdup_printf("raw mail %s: the stored copy does not "
			    "decompress to its %" G_GINT64_FORMAT " bytes", sha256, size);
			return -1;
		}
		*raw_r = g_byte_array_free_to_bytes(a);
		return 1;
	}
	if (inline_)
		*raw_r = g_bytes_new(sqlite3_column_blob(s, 1), (gsize)sqlite3_column_bytes(s, 1));
	sqlite3_reset(s);
	if (inline_)
		return 1;
	path = store_raw_path(st, sha256);
	rc = spool_get(st, path, raw_r, error_r);
	g_free(path);
	if (rc == 0)
		*error_r = g_strdup_printf("%s: %s", sha256, g_strerror(ENOENT));
	return rc == 0 ? -1 : rc;
}

int
store_seen_check(struct pd_store *st, const char *message_id, const char *sha256,
    int *seen_r, char **error_r)
{
	return store_one(st, store_query(st, error_r, "SELECT 1 FROM seen WHERE message_id = ? "
	    "AND raw_sha256 = ?", "ss", message_id ? message_id : "", sha256), NULL, seen_r,
	    error_r);
}

int
store_seen_add(struct pd_store *st, const char *message_id, const char *sha256,
    gint64 now, const char *outcome, char **error_r)
{
	return store_exec(st, error_r, "INSERT OR IGNORE INTO seen (message_id, raw_sha256, at, "
	    "outcome) VALUES (?, ?, ?, ?)", "ssis", message_id ? message_id : "", sha256,
	    now, outcome);
}

int
store_imap_seen_check(struct pd_store *st, const char *mailbox, guint32 uidvalidity,
    guint32 uid, int *seen_r, char **error_r)
{
	return store_one(st, store_query(st, error_r, "SELECT 1 FROM imap_seen WHERE mailbox = ? "
	    "AND uidvalidity = ? AND uid = ?", "sii", mailbox, (gint64)uidvalidity, (gint64)uid),
	    NULL, seen_r, error_r);
}

int
store_imap_seen_add(struct pd_store *st, const char *mailbox, guint32 uidvalidity,
    guint32 uid, gint64 now, char **error_r)
{
	return store_exec(st, error_r, "INSERT OR IGNORE INTO imap_seen (mailbox, uidvalidity, uid, "
	    "at) VALUES (?, ?, ?, ?)", "siii", mailbox, (gint64)uidvalidity, (gint64)uid, now);
}

int
store_quarantine_add(struct pd_store *st, const char *reason, const char *raw_sha256,
    const char *source, const char *mailbox, const char *from_addr, const char *subject,
    gint64 at, gint64 *id_r, char **error_r)
{
	if (store_exec(st, error_r, "INSERT INTO quarantine (at, reason, raw_sha256, source, mailbox, "
	    "from_addr, subject) VALUES (?, ?, ?, ?, ?, ?, ?)", "isssss" "s", at, reason,
	    raw_sha256, source, mailbox, from_addr, subject) < 0)
		return -1;
	if (id_r)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_quarantine_count_from(struct pd_store *st, const char *reason, const char *from_addr,
    gint64 since, int *count_r, char **error_r)
{
	return store_count(st, store_query(st, error_r, "SELECT count(*) FROM quarantine "
	    "WHERE from_addr = ? AND at >= ? AND reason = ?", "sis", from_addr, since, reason),
	    count_r, error_r);
}

void
store_quarantine_free(struct pd_quarantined *q)
{
	if (q == NULL)
		return;
	g_free(q->reason);
	g_free(q->raw_sha256);
	g_free(q->source);
	g_free(q->mailbox);
	g_free(q->from_addr);
	g_free(q->subject);
	g_free(q->state);
	g_free(q);
}

static struct pd_quarantined *
quarantine_from_row(sqlite3_stmt *s)
{
	struct pd_quarantined *q = g_new0(struct pd_quarantined, 1);

	q->id = sqlite3_column_int64(s, 0);
	q->at = sqlite3_column_int64(s, 1);
	q->reason = store_col(s, 2);
	q->raw_sha256 = store_col(s, 3);
	q->source = store_col(s, 4);
	q->mailbox = store_col(s, 5);
	q->from_addr = store_col(s, 6);
	q->subject = store_col(s, 7);
	q->state = store_col(s, 8);
	return q;
}

static gpointer
quarantine_row(sqlite3_stmt *s, gpointer arg)
{
	(void)arg;
	return quarantine_from_row(s);
}

#define QUARANTINE_COLUMNS "SELECT id, at, reason, raw_sha256, source, mailbox, " \
	"from_addr, subject, state FROM quarantine "

int
store_quarantine_list(struct pd_store *st, const char *state, GPtrArray **rows_r,
    char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r, QUARANTINE_COLUMNS "WHERE (?1 IS NULL OR "
	    "state = ?1) ORDER BY id", "s", state);

	return store_collect(st, s, quarantine_row, NULL, (GDestroyNotify)store_quarantine_free, rows_r, error_r);
}

int
store_quarantine_get(struct pd_store *st, gint64 id, struct pd_quarantined **q_r,
    char **error_r)
{
	return store_fetch(st, store_query(st, error_r, QUARANTINE_COLUMNS "WHERE id = ?", "i",
	    id), quarantine_row, NULL, (gpointer *)q_r, error_r);
}

int
store_quarantine_set_state(struct pd_store *st, gint64 id, const char *state,
    char **error_r)
{
	return store_exec(st, error_r, "UPDATE quarantine SET state = ? WHERE id = ?", "si", state,
	    id);
}

char *
store_visible_col(sqlite3_stmt *s, int i, const char *body)
{
	if (body == NULL)
		body = "";
	if (sqlite3_column_type(s, i) != SQLITE_NULL)
		return store_col(s, i);
	if (sqlite3_column_type(s, i + 1) != SQLITE_NULL) {
		gint64 n = sqlite3_column_int64(s, i + 1);

		return g_strndup(body, (gsize)CLAMP(n, 0, (gint64)strlen(body)));
	}
	return g_strdup(body);
}

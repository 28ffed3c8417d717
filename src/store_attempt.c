/* store_attempt.c: mails being parsed (migration 008), so that a mail
 * that kills its intake is quarantined by the next attempt instead of
 * killing it again (issue 8, SPEC 2). */
#include "store.h"
#include "store_private.h"

int
store_in_transaction(const struct pd_store *st)
{
	return st->in_tx > 0;
}

int
store_attempt_get(struct pd_store *st, const char *sha256, int *found_r,
    char **reason_r, char **error_r)
{
	sqlite3_stmt *s = store_query(st, error_r,
	    "SELECT attempts, reason FROM parse_attempts WHERE sha256 = ?", "s", sha256);
	int rc;

	*found_r = 0;
	*reason_r = NULL;
	if (s == NULL)
		return -1;
	if ((rc = store_step(st, s, error_r)) < 0)
		return -1;
	if (rc == 1) {
		*found_r = sqlite3_column_int(s, 0);
		*reason_r = store_col(s, 1);
	}
	sqlite3_reset(s);
	return 0;
}

int
store_attempt_add(struct pd_store *st, const char *sha256, gint64 now, char **error_r)
{
	return store_exec(st, error_r, "INSERT INTO parse_attempts (sha256, started_at)"
	    " VALUES (?, ?) ON CONFLICT (sha256) DO UPDATE SET attempts = attempts + 1",
	    "si", sha256, now);
}

int
store_attempt_set_reason(struct pd_store *st, const char *sha256, const char *reason,
    char **error_r)
{
	return store_exec(st, error_r, "UPDATE parse_attempts SET reason = ?"
	    " WHERE sha256 = ?", "ss", reason, sha256);
}

int
store_attempt_del(struct pd_store *st, const char *sha256, char **error_r)
{
	return store_exec(st, error_r, "DELETE FROM parse_attempts WHERE sha256 = ?",
	    "s", sha256);
}

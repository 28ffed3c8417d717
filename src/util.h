/* util.h: small helpers shared by every module.  Allocation uses GLib
 * (g_malloc dies on OOM), so callers never check for NULL.  Strings
 * returned as char * are owned by the caller and freed with g_free. */
#ifndef PD_UTIL_H
#define PD_UTIL_H

#include <glib.h>
#include <stddef.h>
#include <sysexits.h>

/* Seconds since the epoch.  POSTDESK_NOW (seconds, or an RFC 3339 time)
 * overrides the clock so tests can move time. */
gint64 util_now(void);

/* G_REGEX_OPTIMIZE (PCRE2's JIT) for the patterns compiled once and
 * matched against every mail (bounce.c, robots.c), or 0 after
 * util_set_regex_jit(0): a process that takes in one mail (deliver)
 * spends more on the JIT than it saves.  Before the first mail. */
GRegexCompileFlags util_regex_flags(void);
void util_set_regex_jit(int on);

/* "90s" "15m" "4h" "3d" "2w"; a bare number is seconds. 0 ok, -1 bad. */
int util_parse_duration(const char *s, gint64 *secs_r);
/* "50M" "10k" "1G"; a bare number is bytes. 0 ok, -1 bad. */
int util_parse_size(const char *s, gint64 *bytes_r);

/* RFC 3339 UTC ("2026-11-22T02:07:04Z"); NULL for t == 0. */
char *util_rfc3339(gint64 t);
/* Lowercase hex SHA-256 of buf. */
char *util_sha256_hex(const void *buf, size_t len);
/* A copy safe to log: control characters become '?', cut to max bytes. */
char *util_printable(const char *s, size_t max);
/* Lower-cased trimmed e-mail address (no display name, no <>). */
char *util_addr_normalize(const char *addr);

/* Read a whole file, refusing more than max bytes (0: no limit).
 * Returns 0 and *data_r (caller frees with g_byte_array_unref), or -1
 * and *error_r (caller frees). */
int util_read_file(const char *path, size_t max, GByteArray **data_r,
    char **error_r);
/* Write via a temporary file, fsync and rename, and fsync the folder. */
int util_write_file_atomic(const char *path, const void *buf, size_t len,
    int mode, char **error_r);
/* The same; with sync 0 nothing is fsynced (the caller syncs the file
 * system itself before it relies on the file, e.g. with syncfs). */
int util_write_file(const char *path, const void *buf, size_t len, int mode, int sync,
    char **error_r);
/* mkdir -p with mode. */
int util_mkdirs(const char *path, int mode, char **error_r);
/* Read all of a file descriptor into memory, up to max bytes (0: none);
 * *too_big_r set when the limit was hit (the rest is read and dropped). */
int util_read_fd(int fd, size_t max, GByteArray **data_r, int *too_big_r,
    char **error_r);

#endif

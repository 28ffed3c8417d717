/* json.h: a small JSON writer (output only) into a GString. */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <glib.h>

/* Append s as a JSON string (quoted, escaped; control characters as
 * \u00XX, invalid UTF-8 replaced by U+FFFD); NULL appends null. */
void json_string(GString *out, const char *s);
/* "key": (with the comma when first is 0) */
void json_key(GString *out, const char *key, int first);
void json_kv_string(GString *out, const char *key, const char *s, int first);
void json_kv_int(GString *out, const char *key, gint64 v, int first);
/* RFC 3339 UTC time, null when t == 0. */
void json_kv_time(GString *out, const char *key, gint64 t, int first);

#endif

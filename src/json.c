/* json.c: a small JSON writer (RFC 8259), output only. */
#include "json.h"
#include "util.h"

#include <string.h>

/*
 * Untrusted text goes out as JSON strings: escape what RFC 8259 requires,
 * and turn bytes that are not UTF-8 into U+FFFD so that the output is
 * always valid JSON whatever the mail contained.
 */
void
json_string(GString *out, const char *s)
{
	const char *p, *end;
	gunichar c;
	size_t len;

	if (s == NULL) {
		g_string_append(out, "null");
		return;
	}
	len = strlen(s);
	end = s + len;
	g_string_append_c(out, '"');
	for (p = s; p < end; ) {
		unsigned char b = (unsigned char)*p;

		if (b < 0x80) {
			switch (b) {
			case '"':
				g_string_append(out, "\\\"");
				break;
			case '\\':
				g_string_append(out, "\\\\");
				break;
			case '\n':
				g_string_append(out, "\\n");
				break;
			case '\r':
				g_string_append(out, "\\r");
				break;
			case '\t':
				g_string_append(out, "\\t");
				break;
			case '\b':
				g_string_append(out, "\\b");
				break;
			case '\f':
				g_string_append(out, "\\f");
				break;
			default:
				if (b < 0x20)
					g_string_append_printf(out,
					    "\\u%04x", b);
				else
					g_string_append_c(out, (char)b);
				break;
			}
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* one replacement per bad byte, then resynchronize */
			g_string_append(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		{
			const char *next = g_utf8_next_char(p);

			g_string_append_len(out, p, next - p);
			p = next;
		}
	}
	g_string_append_c(out, '"');
}

void
json_key(GString *out, const char *key, int first)
{
	if (!first)
		g_string_append_c(out, ',');
	json_string(out, key);
	g_string_append_c(out, ':');
}

void
json_kv_string(GString *out, const char *key, const char *s, int first)
{
	json_key(out, key, first);
	json_string(out, s);
}

void
json_kv_int(GString *out, const char *key, gint64 v, int first)
{
	json_key(out, key, first);
	g_string_append_printf(out, "%" G_GINT64_FORMAT, v);
}

void
json_kv_time(GString *out, const char *key, gint64 t, int first)
{
	char *s;

	json_key(out, key, first);
	s = util_rfc3339(t);
	json_string(out, s);
	g_free(s);
}

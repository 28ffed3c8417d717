/* fuzz_cgi_form: the status page's query string and POST body parser
 * (application/x-www-form-urlencoded), as postdesk.cgi calls it. */
#include "fuzz.h"
#include "src/cgi.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GHashTable *h;
	GHashTableIter it;
	gpointer k, v;
	char *s;

	if (size > CGI_MAX_BODY || memchr(data, '\0', size))
		return 0;	/* read_form refuses both before parsing */
	s = g_strndup((const char *)data, size);
	h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (cgi_form_parse(s, h) == 0) {
		g_hash_table_iter_init(&it, h);
		while (g_hash_table_iter_next(&it, &k, &v))
			if (!g_utf8_validate(k, -1, NULL) || !g_utf8_validate(v, -1, NULL))
				abort();
	}
	g_hash_table_unref(h);
	g_free(s);
	return 0;
}

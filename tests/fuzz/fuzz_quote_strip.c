/* fuzz_quote_strip: the new text of a reply (quotes, attributions,
 * signatures stripped), with and without a staff signature. */
#include "fuzz.h"
#include "src/quote.h"

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
	char *text = g_utf8_make_valid((const char *)data, (gssize)size);
	char *a = quote_strip(text, NULL);
	char *b = quote_strip(text, "-- \nAlice");
	char *c = quote_strip_quotes(text);

	if (a == NULL || b == NULL || c == NULL || !g_utf8_validate(a, -1, NULL) ||
	    !g_utf8_validate(b, -1, NULL) || !g_utf8_validate(c, -1, NULL))
		abort();
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(text);
	return 0;
}

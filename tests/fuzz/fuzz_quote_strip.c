/* fuzz_quote_strip: the new text of a reply (quotes, attributions,
 * signatures stripped), with and without a staff signature, and the
 * forward test on the same text as a subject. */
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
	unsigned flags = 0;
	char *d = quote_visible(text, "-- \nAlice", QUOTE_IS_FORWARD, &flags);
	char *e = quote_visible(text, NULL, QUOTE_KEEP_SIG, NULL);

	if (a == NULL || b == NULL || c == NULL || !g_utf8_validate(a, -1, NULL) ||
	    !g_utf8_validate(b, -1, NULL) || !g_utf8_validate(c, -1, NULL) ||
	    d == NULL || e == NULL || !g_utf8_validate(d, -1, NULL) ||
	    !g_utf8_validate(e, -1, NULL) || ((flags & QUOTE_EMPTY) && *d))
		abort();
	(void)quote_subject_forward(text);
	g_free(d);
	g_free(e);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(text);
	return 0;
}

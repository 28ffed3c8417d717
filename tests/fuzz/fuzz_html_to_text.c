/* fuzz_html_to_text: an HTML body (any UTF-8) to its text rendering,
 * and escaping for the status page. */
#include "fuzz.h"
#include "src/html.h"

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
	/* message.c hands html_to_text valid UTF-8 only */
	char *html = g_utf8_make_valid((const char *)data, (gssize)size);
	char *text = html_to_text(html, strlen(html));
	char *esc;

	if (text == NULL || !g_utf8_validate(text, -1, NULL))
		abort();
	esc = html_escape(html);
	if (strpbrk(esc, "<>\"'") != NULL)
		abort();
	g_free(esc);
	g_free(text);
	g_free(html);
	return 0;
}

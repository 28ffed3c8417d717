/* fuzz_template_render: a template file (and its HTML alternative)
 * rendered with values a customer controls ({{message}}, {{subject}},
 * {{customer_name}}).  Input: TEMPLATE.txt NUL TEMPLATE.html NUL VALUE;
 * each part after the first optional. */
#include "fuzz.h"
#include "src/template.h"

static char *dir, *txt, *html;

static void
at_exit(void)
{
	fuzz_rmtree(dir);
	g_free(dir);
	g_free(txt);
	g_free(html);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	dir = fuzz_tmpdir();
	txt = g_build_filename(dir, "ticket_created.txt", NULL);
	html = g_build_filename(dir, "ticket_created.html", NULL);
	atexit(at_exit);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *p = data, *nul;
	const char *parts[3] = { "", NULL, "" };
	size_t lens[3] = { 0, 0, 0 };
	GHashTable *vars;
	struct pd_rendered out = { 0 };
	char *err = NULL, *value;

	for (int i = 0; i < 3 && p <= end; i++) {
		nul = i < 2 ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		parts[i] = (const char *)p;
		lens[i] = nul ? (size_t)(nul - p) : (size_t)(end - p);
		p += lens[i] + 1;
		if (nul == NULL)
			break;
	}
	if (!g_file_set_contents(txt, parts[0], (gssize)lens[0], NULL))
		fuzz_bail("write", txt);
	if (parts[1]) {
		if (!g_file_set_contents(html, parts[1], (gssize)lens[1], NULL))
			fuzz_bail("write", html);
	} else
		g_unlink(html);
	value = g_utf8_make_valid(parts[2], (gssize)lens[2]);
	vars = g_hash_table_new(g_str_hash, g_str_equal);
	for (int i = 0; template_variables[i]; i++)
		g_hash_table_insert(vars, (gpointer)template_variables[i], "x");
	g_hash_table_insert(vars, "message", value);
	g_hash_table_insert(vars, "subject", value);
	g_hash_table_insert(vars, "customer_name", value);
	if (template_render(dir, NULL, "ticket_created", vars, &out, &err) == 0) {
		if (out.subject == NULL || out.text == NULL || strchr(out.subject, '\n'))
			abort();
		template_rendered_clear(&out);
	} else {
		if (err == NULL)
			abort();
		g_free(err);
	}
	g_hash_table_unref(vars);
	g_free(value);
	return 0;
}

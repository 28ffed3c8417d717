/* fuzz_config_load: postdesk.conf (libconfig) and its checks.  Inputs
 * with @include are skipped: an include reads another file, which is
 * the administrator's choice, not something to fuzz. */
#include "fuzz.h"

static char *dir, *path;

static void
at_exit(void)
{
	fuzz_rmtree(dir);
	g_free(dir);
	g_free(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	dir = fuzz_tmpdir();
	path = g_build_filename(dir, "postdesk.conf", NULL);
	atexit(at_exit);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *errors;
	struct pd_config *cfg;
	char *lower = g_ascii_strdown((const char *)data, (gssize)size);
	int include = strstr(lower, "@include") != NULL;

	g_free(lower);
	if (include)
		return 0;
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		fuzz_bail("write", path);
	errors = g_ptr_array_new_with_free_func(g_free);
	cfg = config_load(path, errors);
	if ((cfg == NULL) != (errors->len > 0))
		abort();	/* an error always says why, and only then fails */
	config_free(cfg);
	g_ptr_array_unref(errors);
	return 0;
}

/* fuzz_intake_process: the whole intake (parse, classify, thread,
 * store, queue) on a temporary database, as `postdesk deliver` runs it.
 * The database is started afresh every FUZZ_INTAKE_RESET inputs so that
 * it stays small and fast. */
#include "fuzz.h"
#include "src/intake.h"

#define FUZZ_INTAKE_RESET	5000

static struct pd_ctx ctx;
static struct pd_config *cfg;
static char *dir;
static unsigned runs;

static void
open_store(void)
{
	char *err = NULL, *secret;
	int ex = 0;

	dir = fuzz_tmpdir();
	cfg = fuzz_config(dir);
	secret = g_build_filename(dir, "secret", NULL);
	if (token_create_secret(secret, &err) < 0)
		fuzz_bail("secret", err);
	g_free(secret);
	if (ctx_open(&ctx, cfg, &ex, &err) < 0)
		fuzz_bail("ctx_open", err);
}

static void
close_store(void)
{
	ctx_close(&ctx);
	config_free(cfg);
	fuzz_rmtree(dir);
	g_free(dir);
}

static void
at_exit(void)
{
	close_store();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	open_store();
	atexit(at_exit);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_source src = { .kind = "deliver" };
	struct pd_intake_result r = { 0 };
	char *err = NULL;

	if (++runs % FUZZ_INTAKE_RESET == 0) {
		close_store();
		open_store();
	}
	if (intake_process(&ctx, data, size, &src, &r, &err) < 0) {
		/* only a temporary failure may refuse a mail, and the
		 * database here is ours alone: nothing is temporary */
		fprintf(stderr, "intake_process failed: %s\n", err ? err : "?");
		abort();
	}
	intake_result_clear(&r);
	return 0;
}

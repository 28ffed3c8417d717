/* fuzz_bounce_parse: classification (SPEC 3) and bounce / DSN /
 * feedback-report parsing of a parsed mail. */
#include "fuzz.h"
#include "src/bounce.h"
#include "src/classify.h"
#include "src/intake.h"

static struct pd_config *cfg;
static struct pd_parse_limits lim;
static struct pd_secret secret;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir, *path, *err = NULL;

	(void)argc;
	(void)argv;
	fuzz_common_init();
	dir = fuzz_tmpdir();
	cfg = fuzz_config(dir);
	intake_parse_limits(cfg, &lim);
	path = g_build_filename(dir, "secret", NULL);
	if (token_create_secret(path, &err) < 0 || token_load_secret(path, &secret, &err) < 0)
		fuzz_bail("secret", err);
	g_free(path);
	fuzz_rmtree(dir);
	g_free(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_classification c = { 0 };
	struct pd_message *msg = NULL;
	struct pd_bounce *b;
	char *err = NULL;

	if (message_parse((const char *)data, size, &lim, &msg, &err) < 0) {
		g_free(err);
		return 0;
	}
	classify(cfg, &secret, msg, NULL, &c);	/* no envelope: Return-Path counts */
	(void)classify_name(c.cls);
	classify(cfg, &secret, msg, "", &c);	/* the null envelope sender */
	(void)classify_name(c.cls);
	(void)bounce_detect(msg, NULL);
	(void)bounce_detect(msg, "");
	b = bounce_parse(msg);
	for (guint i = 0; i < b->rcpts->len; i++) {
		struct pd_bounce_rcpt *r = b->rcpts->pdata[i];
		if ((r->recipient && !g_utf8_validate(r->recipient, -1, NULL)) ||
		    (r->diagnostic && !g_utf8_validate(r->diagnostic, -1, NULL)))
			abort();
	}
	bounce_free(b);
	message_free(msg);
	return 0;
}

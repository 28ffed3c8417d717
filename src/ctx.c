/* ctx.c: open what every unit of work needs (ctx.h). */
#include <malloc.h>
#include <string.h>

#include "ctx.h"
#include "message.h"
#include "parser.h"
#include "util.h"

int
ctx_open(struct pd_ctx *ctx, struct pd_config *cfg, int *exit_r, char **error_r)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->cfg = cfg;
	message_init();
	if (token_load_secret(cfg->secret_file, &ctx->secret, error_r) < 0) {
		*exit_r = EX_CONFIG;
		return -1;
	}
	if (util_mkdirs(cfg->spool, 0750, error_r) < 0 ||
	    store_open(cfg->database, cfg->spool, &ctx->store, error_r) < 0) {
		token_secret_clear(&ctx->secret);
		*exit_r = EX_TEMPFAIL;
		return -1;
	}
	return 0;
}

void
ctx_close(struct pd_ctx *ctx)
{
	store_close(ctx->store);
	ctx->store = NULL;
	parser_free(ctx->parser);
	ctx->parser = NULL;
	token_secret_clear(&ctx->secret);
}

void
ctx_idle(struct pd_ctx *ctx)
{
	if (ctx->store)
		store_release_memory(ctx->store);
	malloc_trim(0);
}

struct pd_parser *
ctx_parser_new(const struct pd_config *cfg)
{
	/* for the benchmark of the child's cost only (tests/bench) */
	if (g_strcmp0(g_getenv("POSTDESK_TEST_PARSER"), "inprocess") == 0)
		return NULL;
	return parser_new(cfg->limits.parse_time, cfg->limits.parse_memory);
}

void
ctx_isolate_parsing(struct pd_ctx *ctx)
{
	if (ctx->parser == NULL)
		ctx->parser = ctx_parser_new(ctx->cfg);
}

/* ctx.h: what a command, a CGI request or a daemon thread holds open
 * while it works: the loaded config (not owned), the store and the
 * secret.  Every module below the mains takes a struct pd_ctx. */
#ifndef PD_CTX_H
#define PD_CTX_H

#include "config.h"
#include "store.h"
#include "token.h"

struct pd_ctx {
	struct pd_config	*cfg;
	struct pd_store		*store;
	struct pd_secret	 secret;
	struct pd_parser	*parser;	/* mail parsed in a child (parser.h),
						 * or NULL: in this process */
};

/* Open the store and load the secret for cfg.  0 ok; -1 with *error_r,
 * *exit_r the sysexits code (78 config, 75 temporary). */
int ctx_open(struct pd_ctx *ctx, struct pd_config *cfg, int *exit_r, char **error_r);
/* Close the store and clear the secret (cfg is not freed); stop the
 * parser child. */
void ctx_close(struct pd_ctx *ctx);
/* A daemon thread with nothing to do for a while: its connection's
 * page cache and the heap's free pages go back to the system, so the
 * daemon's memory after a burst of mail is what it was before. */
void ctx_idle(struct pd_ctx *ctx);
/* Parse mail in a child process from now on (the daemon, deliver,
 * import): the child is started on first use. */
void ctx_isolate_parsing(struct pd_ctx *ctx);
/* The parser ctx_isolate_parsing would make for cfg (NULL: in-process
 * parsing, a benchmark's hook). */
struct pd_parser *ctx_parser_new(const struct pd_config *cfg);

#endif

/* cli_private.h: what the files of the `postdesk` command share
 * (cli.c, cli_intake.c, cli_ticket.c, cli_admin.c); nothing else
 * includes it. */
#ifndef PD_CLI_PRIVATE_H
#define PD_CLI_PRIVATE_H

#include <glib.h>

#include "ctx.h"
#include "log.h"
#include "util.h"

struct cli {
	const char		*conf;		/* -c */
	int			 verbose;
	struct pd_config	*cfg;
	struct pd_ctx		 ctx;
	int			 ctx_open;
	int			 intake;	/* deliver, import: config_load_flags CONFIG_INTAKE */
};

struct opt {
	const char	*name;		/* "--json" */
	const char	**value;	/* set when it takes a value */
	int		*flag;		/* set when it does not */
};

/* One line on stderr and EX_USAGE. */
int cli_usage_error(const char *fmt, ...) PD_PRINTF(1, 2);
/*
 * The options of one command, anywhere among its arguments ("--name
 * VALUE" or "--name=VALUE"; "--" ends them).  Other words go to args.
 * 0 ok, 1 help was asked for (printed), or EX_USAGE (printed).
 */
int cli_parse_args(const char *cmd, int argc, char **argv, const struct opt *opts,
    GPtrArray *args);
/* Load the config; its problems go to stderr as FILE:LINE: lines. */
int cli_config(struct cli *c);
/* Config, store and secret: what every command but init needs. */
int cli_open(struct cli *c);
/* A store error (err freed): one line, and 75 when trying again may help. */
int cli_store_failed(struct cli *c, const char *what, char *err);
/* Untrusted text for a terminal: valid UTF-8, control characters as
 * '?', at most max characters ("..." marks a cut).  NULL gives "-".
 * Caller frees. */
char *cli_clean(const char *s, size_t max);
/* RFC 3339, or "-" for 0.  Caller frees. */
char *cli_time_text(gint64 t);
/* out and a newline on stdout; out is freed. */
void cli_print_json(GString *out);

/* The commands: argc/argv after the command's name; the exit code. */
int cli_cmd_init(struct cli *c, int argc, char **argv);
int cli_cmd_check_config(struct cli *c, int argc, char **argv);
int cli_cmd_outbox(struct cli *c, int argc, char **argv);
int cli_cmd_stats(struct cli *c, int argc, char **argv);
int cli_cmd_history(struct cli *c, int argc, char **argv);
int cli_cmd_vacuum(struct cli *c, int argc, char **argv);
int cli_cmd_deliver(struct cli *c, int argc, char **argv);
int cli_cmd_import(struct cli *c, int argc, char **argv);
int cli_cmd_quarantine(struct cli *c, int argc, char **argv);
int cli_cmd_list(struct cli *c, int argc, char **argv);
int cli_cmd_show(struct cli *c, int argc, char **argv);
int cli_cmd_set(struct cli *c, int argc, char **argv);

#endif

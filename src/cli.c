/* cli.c: the `postdesk` command (SPEC 9): options, the command table
 * and what every command shares (config and store opening, terminal-safe
 * text, errors).  The commands live in cli_intake.c (deliver, import,
 * quarantine), cli_ticket.c (list, show, set) and cli_admin.c (init,
 * check-config, outbox, stats).  Every error is one line on stderr and
 * the exit code follows sysexits.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "parser.h"
#include "cli_private.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char usage_text[] =
"usage: postdesk [-v] [-c CONF] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  init                            create the spool, the secret key and the database\n"
"  check-config                    check the config file and the templates\n"
"  deliver [--mailbox NAME] [--sender|-f ADDR]\n"
"                                  take in one message from standard input\n"
"  import [--mailbox NAME] [--no-mail] PATH\n"
"                                  import an mbox file or a Maildir\n"
"  list [--status S] [--queue Q] [--assignee A] [--search TEXT] [--json]\n"
"  show REF [--json]               one ticket with all its messages\n"
"  set [--no-mail] REF KEY=VALUE...\n"
"                                  status, priority, assignee, queue, label\n"
"                                  (label=NAME adds, label=-NAME removes;\n"
"                                  assignee=none unassigns); mails as the same\n"
"                                  change by mail would, unless --no-mail\n"
"  quarantine [list [--json] | show ID | retry ID|all]\n"
"  outbox [list [--json] | flush | release ID|REF|all | show ID]\n"
"  history REF [--json]\n"
"  stats [--json]\n"
"  vacuum                           drop sent mail past keep_sent, give space back\n"
"\n"
"options:\n"
"  -c CONF   config file (default: $POSTDESK_CONF, else " PD_DEFAULT_CONF ")\n"
"  -v        verbose\n"
"  -h        this help\n"
"\n"
"exit codes: 0 ok, 64 usage, 65 data error, 75 temporary failure, 78 config error\n";

/* One line on stderr and EX_USAGE. */
int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	log_warnx("%s (try --help)", msg);
	g_free(msg);
	return EX_USAGE;
}

/*
 * The options of one command, anywhere among its arguments ("--name
 * VALUE" or "--name=VALUE"; "--" ends them).  Other words go to args.
 * 0 ok, 1 help was asked for (printed), or EX_USAGE (printed).
 */
int
cli_parse_args(const char *cmd, int argc, char **argv, const struct opt *opts, GPtrArray *args)
{
	int i, only_args = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct opt *o;
		size_t nlen;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			g_ptr_array_add(args, argv[i]);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return 1;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o && o->name; o++)
			if (strlen(o->name) == nlen && strncmp(o->name, a, nlen) == 0)
				break;
		if (o == NULL || o->name == NULL)
			return cli_usage_error("%s: unknown option '%s'", cmd, a);
		if (o->flag) {
			if (eq)
				return cli_usage_error("%s: option %s takes no value", cmd, o->name);
			*o->flag = 1;
		} else if (eq)
			*o->value = eq + 1;
		else if (i + 1 < argc)
			*o->value = argv[++i];
		else
			return cli_usage_error("%s: option %s needs a value", cmd, o->name);
	}
	return 0;
}

/* Load the config; its problems go to stderr as FILE:LINE: lines. */
int
cli_config(struct cli *c)
{
	GPtrArray *errors;
	const char *path = config_path(c->conf);

	if (c->cfg)
		return 0;
	errors = g_ptr_array_new_with_free_func(g_free);
	c->cfg = config_load_flags(path, errors, c->intake ? CONFIG_INTAKE : 0);
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (char *)errors->pdata[i]);
	if (c->cfg == NULL && errors->len == 0)
		log_warnx("%s: cannot load the configuration", path);
	g_ptr_array_unref(errors);
	return c->cfg ? 0 : EX_CONFIG;
}

/* Config, store and secret: what every command but init needs. */
int
cli_open(struct cli *c)
{
	struct pd_parser *early = NULL;
	char *err = NULL;
	int ex = 0, rc;

	if ((rc = cli_config(c)) != 0)
		return rc;
	/* deliver, import: the parser child forked now, before the database
	 * and GMime make this process bigger (a cheaper fork, fewer pages
	 * of ours to fault in again after it) */
	if (c->intake && (early = ctx_parser_new(c->cfg)) != NULL) {
		parser_set_fork(early, 1);
		if (parser_start(early, &err) < 0) {
			g_free(err);	/* parser_send tries again */
			err = NULL;
		}
	}
	if (ctx_open(&c->ctx, c->cfg, &ex, &err) < 0) {
		log_warnx("%s", err ? err : "cannot open the database");
		g_free(err);
		parser_free(early);
		return ex ? ex : EX_CONFIG;
	}
	c->ctx_open = 1;
	c->ctx.parser = early;
	ctx_isolate_parsing(&c->ctx);	/* started when a command parses mail */
	/* one thread here: the child is a fork, no second exec start-up */
	if (c->ctx.parser != NULL)
		parser_set_fork(c->ctx.parser, 1);
	return 0;
}

/* A store error: one line, and 75 when trying again may help. */
int
cli_store_failed(struct cli *c, const char *what, char *err)
{
	log_warnx("%s: %s", what, err ? err : "database error");
	g_free(err);
	return c->ctx_open && store_error_transient(c->ctx.store) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/*
 * Untrusted text for a terminal: valid UTF-8, control characters as
 * '?', at most max characters ("..." marks a cut).  NULL gives "-".
 */
char *
cli_clean(const char *s, size_t max)
{
	char *valid, *out;
	GString *g;
	const char *p;
	size_t n = 0, len;

	if (s == NULL || *s == '\0')
		return g_strdup("-");
	valid = g_utf8_make_valid(s, -1);
	len = g_utf8_strlen(valid, -1);
	g = g_string_new(NULL);
	for (p = valid; *p && n < max; p = g_utf8_next_char(p), n++) {
		gunichar ch = g_utf8_get_char(p);

		if (n + 3 >= max && len > max && max > 3) {
			g_string_append(g, "...");
			break;
		}
		if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
			g_string_append_c(g, '?');
		else
			g_string_append_unichar(g, ch);
	}
	g_free(valid);
	out = g_string_free(g, FALSE);
	return out;
}

char *
cli_time_text(gint64 t)
{
	char *s = util_rfc3339(t);

	return s ? s : g_strdup("-");
}

void
cli_print_json(GString *out)
{
	g_string_append_c(out, '\n');
	fwrite(out->str, 1, out->len, stdout);
	g_string_free(out, TRUE);
}

/* --- main ----------------------------------------------------------- */

static const struct {
	const char	*name;
	int		(*run)(struct cli *, int, char **);
} commands[] = {
	{ "init", cli_cmd_init },
	{ "check-config", cli_cmd_check_config },
	{ "deliver", cli_cmd_deliver },
	{ "import", cli_cmd_import },
	{ "list", cli_cmd_list },
	{ "show", cli_cmd_show },
	{ "set", cli_cmd_set },
	{ "quarantine", cli_cmd_quarantine },
	{ "outbox", cli_cmd_outbox },
	{ "stats", cli_cmd_stats },
	{ "history", cli_cmd_history },
	{ "vacuum", cli_cmd_vacuum },
};

int
cli_main(int argc, char **argv)
{
	struct cli c;
	int i, rc = -1;
	size_t k;

	log_init("postdesk", 1);
	memset(&c, 0, sizeof c);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(a, "-v") == 0)
			c.verbose = 1;
		else if (strcmp(a, "-c") == 0) {
			if (i + 1 == argc)
				return cli_usage_error("option -c needs a config file");
			c.conf = argv[++i];
		} else if (strncmp(a, "-c", 2) == 0)
			c.conf = a + 2;
		else
			return cli_usage_error("unknown option '%s'", a);
	}
	if (i == argc)
		return cli_usage_error("no command given");
	log_set_verbose(c.verbose);
	for (k = 0; k < G_N_ELEMENTS(commands); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			rc = commands[k].run(&c, argc - i - 1, argv + i + 1);
	if (rc == -1)
		return cli_usage_error("unknown command '%s'", argv[i]);
	if (c.ctx_open)
		ctx_close(&c.ctx);
	if (c.cfg)
		config_free(c.cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* a reader such as head(1) that stops early is no error worth a line */
		if (errno != EPIPE)
			log_warnx("standard output: %s", errno ? g_strerror(errno) :
			    "write error");
		if (rc == 0)
			rc = EX_IOERR;
	}
	return rc;
}

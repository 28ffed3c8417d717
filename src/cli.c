/* cli.c: the `postdesk` command (SPEC 9): init, check-config, deliver,
 * import, list, show, set, quarantine, outbox, stats.  Every error is
 * one line on stderr and the exit code follows sysexits.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "import.h"
#include "intake.h"
#include "json.h"
#include "notify.h"
#include "log.h"
#include "store.h"
#include "template.h"
#include "timers.h"
#include "token.h"
#include "util.h"

#define LIST_WIDTH	100		/* columns of `list` text output */

struct cli {
	const char		*conf;		/* -c */
	int			 verbose;
	struct pd_config	*cfg;
	struct pd_ctx		 ctx;
	int			 ctx_open;
};

struct opt {
	const char	*name;		/* "--json" */
	const char	**value;	/* set when it takes a value */
	int		*flag;		/* set when it does not */
};

static const char usage_text[] =
"usage: postdesk [-v] [-c CONF] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  init                            create the spool, the secret key and the database\n"
"  check-config                    check the config file and the templates\n"
"  deliver [--mailbox NAME]        take in one message from standard input\n"
"  import [--mailbox NAME] [--no-mail] PATH\n"
"                                  import an mbox file or a Maildir\n"
"  list [--status S] [--queue Q] [--assignee A] [--search TEXT] [--json]\n"
"  show REF [--json]               one ticket with all its messages\n"
"  set REF KEY=VALUE...            status, priority, assignee, queue, label\n"
"                                  (label=NAME adds, label=-NAME removes;\n"
"                                  assignee=none unassigns)\n"
"  quarantine [list [--json] | show ID | retry ID|all]\n"
"  outbox [list [--json] | flush]\n"
"  stats [--json]\n"
"\n"
"options:\n"
"  -c CONF   config file (default: $POSTDESK_CONF, else " PD_DEFAULT_CONF ")\n"
"  -v        verbose\n"
"  -h        this help\n"
"\n"
"exit codes: 0 ok, 64 usage, 65 data error, 75 temporary failure, 78 config error\n";

static int
usage_error(const char *fmt, ...) PD_PRINTF(1, 2);

/* One line on stderr and EX_USAGE. */
static int
usage_error(const char *fmt, ...)
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
static int
parse_args(const char *cmd, int argc, char **argv, const struct opt *opts, GPtrArray *args)
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
			return usage_error("%s: unknown option '%s'", cmd, a);
		if (o->flag) {
			if (eq)
				return usage_error("%s: option %s takes no value", cmd, o->name);
			*o->flag = 1;
		} else if (eq)
			*o->value = eq + 1;
		else if (i + 1 < argc)
			*o->value = argv[++i];
		else
			return usage_error("%s: option %s needs a value", cmd, o->name);
	}
	return 0;
}

/* Load the config; its problems go to stderr as FILE:LINE: lines. */
static int
cli_config(struct cli *c)
{
	GPtrArray *errors;
	const char *path = config_path(c->conf);

	if (c->cfg)
		return 0;
	errors = g_ptr_array_new_with_free_func(g_free);
	c->cfg = config_load(path, errors);
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (char *)errors->pdata[i]);
	if (c->cfg == NULL && errors->len == 0)
		log_warnx("%s: cannot load the configuration", path);
	g_ptr_array_unref(errors);
	return c->cfg ? 0 : EX_CONFIG;
}

/* Config, store and secret: what every command but init needs. */
static int
cli_open(struct cli *c)
{
	char *err = NULL;
	int ex = 0, rc;

	if ((rc = cli_config(c)) != 0)
		return rc;
	if (ctx_open(&c->ctx, c->cfg, &ex, &err) < 0) {
		log_warnx("%s", err ? err : "cannot open the database");
		g_free(err);
		return ex ? ex : EX_CONFIG;
	}
	c->ctx_open = 1;
	return 0;
}

/* A store error: one line, and 75 when trying again may help. */
static int
store_failed(struct cli *c, const char *what, char *err)
{
	log_warnx("%s: %s", what, err ? err : "database error");
	g_free(err);
	return c->ctx_open && store_error_transient(c->ctx.store) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/*
 * Untrusted text for a terminal: valid UTF-8, control characters as
 * '?', at most max characters ("..." marks a cut).  NULL gives "-".
 */
static char *
clean(const char *s, size_t max)
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

/* A mail body for a terminal: lines and tabs kept, other controls '?'. */
static void
print_text(const char *s)
{
	char *valid;
	const char *p;

	if (s == NULL)
		return;
	valid = g_utf8_make_valid(s, -1);
	for (p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch == '\n' || ch == '\t')
			putchar((int)ch);
		else if (ch == '\r')
			continue;
		else if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
			putchar('?');
		else
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), stdout);
	}
	g_free(valid);
	if (*s && s[strlen(s) - 1] != '\n')
		putchar('\n');
}

/* s then spaces up to width characters (s is clean UTF-8). */
static void
pad(GString *line, const char *s, size_t width)
{
	size_t n = g_utf8_strlen(s, -1);

	g_string_append(line, s);
	while (n++ < width)
		g_string_append_c(line, ' ');
}

static char *
time_text(gint64 t)
{
	char *s = util_rfc3339(t);

	return s ? s : g_strdup("-");
}

void
cli_json_ticket(GString *o, const struct pd_ticket *t, GPtrArray *msgs)
{
	g_string_append_c(o, '{');
	json_kv_string(o, "ref", t->ref, 1);
	json_kv_string(o, "subject", t->subject, 0);
	json_kv_string(o, "status", t->status, 0);
	json_kv_string(o, "priority", t->priority, 0);
	json_kv_string(o, "queue", t->queue, 0);
	json_kv_string(o, "assignee", t->assignee && *t->assignee ? t->assignee : NULL, 0);
	json_key(o, "customer", 0);
	g_string_append_c(o, '{');
	json_kv_string(o, "email", t->customer_email, 1);
	json_kv_string(o, "name", t->customer_name && *t->customer_name ?
	    t->customer_name : NULL, 0);
	g_string_append_c(o, '}');
	json_key(o, "labels", 0);
	g_string_append_c(o, '[');
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		if (i)
			g_string_append_c(o, ',');
		json_string(o, t->labels->pdata[i]);
	}
	g_string_append_c(o, ']');
	json_kv_time(o, "created_at", t->created_at, 0);
	json_kv_time(o, "updated_at", t->updated_at, 0);
	json_kv_time(o, "first_response_at", t->first_response_at, 0);
	json_kv_time(o, "resolved_at", t->resolved_at, 0);
	json_kv_string(o, "merged_into", t->merged_into ? t->merged_into_ref : NULL, 0);
	if (msgs) {
		json_key(o, "messages", 0);
		g_string_append_c(o, '[');
		for (guint i = 0; i < msgs->len; i++) {
			const struct pd_stored_message *m = msgs->pdata[i];

			if (i)
				g_string_append_c(o, ',');
			g_string_append_c(o, '{');
			json_kv_int(o, "id", m->id, 1);
			json_kv_string(o, "kind", m->kind, 0);
			json_kv_string(o, "from", m->from_addr, 0);
			json_kv_time(o, "date", m->date, 0);
			json_kv_string(o, "subject", m->subject, 0);
			json_kv_string(o, "text", m->body, 0);
			json_key(o, "attachments", 0);
			g_string_append_c(o, '[');
			for (guint j = 0; m->attachments && j < m->attachments->len; j++) {
				const struct pd_stored_attachment *a = m->attachments->pdata[j];

				if (j)
					g_string_append_c(o, ',');
				g_string_append_c(o, '{');
				json_kv_string(o, "filename", a->filename, 1);
				json_kv_string(o, "content_type", a->content_type, 0);
				json_kv_int(o, "size", a->size, 0);
				json_kv_string(o, "sha256", a->sha256, 0);
				g_string_append_c(o, '}');
			}
			g_string_append(o, "]}");
		}
		g_string_append_c(o, ']');
	}
	g_string_append_c(o, '}');
}

/* --- init, check-config --------------------------------------------- */

/* mkdir -p for path's folder (or path itself); says what it made. */
static int
make_dir(const char *dir, const char *what)
{
	char *err = NULL;

	if (g_file_test(dir, G_FILE_TEST_IS_DIR))
		return 0;
	if (util_mkdirs(dir, 0750, &err) < 0) {
		log_warnx("init: %s", err);
		g_free(err);
		return EX_CANTCREAT;
	}
	printf("created %s %s\n", what, dir);
	return 0;
}

/* Idempotent: what exists is kept, and said so. */
static int
cmd_init(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new();
	char *dir, *err = NULL;
	int rc, db_existed;

	rc = parse_args("init", argc, argv, NULL, args);
	if (rc == 0 && args->len)
		rc = usage_error("init: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_config(c)) != 0)
		return rc;

	if (g_file_test(c->cfg->spool, G_FILE_TEST_IS_DIR))
		printf("spool folder %s exists\n", c->cfg->spool);
	else if ((rc = make_dir(c->cfg->spool, "spool folder")) != 0)
		return rc;

	if (g_file_test(c->cfg->secret_file, G_FILE_TEST_EXISTS))
		printf("secret key %s exists, kept\n", c->cfg->secret_file);
	else {
		dir = g_path_get_dirname(c->cfg->secret_file);
		rc = make_dir(dir, "folder");
		g_free(dir);
		if (rc)
			return rc;
		if (token_create_secret(c->cfg->secret_file, &err) < 0) {
			log_warnx("init: %s", err);
			g_free(err);
			return EX_CANTCREAT;
		}
		printf("created secret key %s\n", c->cfg->secret_file);
	}

	dir = g_path_get_dirname(c->cfg->database);
	rc = make_dir(dir, "folder");
	g_free(dir);
	if (rc)
		return rc;
	db_existed = g_file_test(c->cfg->database, G_FILE_TEST_EXISTS);
	if ((rc = cli_open(c)) != 0)
		return rc;
	printf("%s database %s (schema version %d)\n", db_existed ? "kept" : "created",
	    c->cfg->database, store_version(c->ctx.store));
	return 0;
}

static int
cmd_check_config(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new(), *errors;
	int rc;

	rc = parse_args("check-config", argc, argv, NULL, args);
	if (rc == 0 && args->len)
		rc = usage_error("check-config: unexpected argument '%s'",
		    (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_config(c)) != 0)
		return rc;
	errors = g_ptr_array_new_with_free_func(g_free);
	template_check_all(c->cfg->templates, NULL, errors);
	for (guint i = 0; i < c->cfg->queues->len; i++) {
		const struct pd_queue *q = c->cfg->queues->pdata[i];

		if (q->templates)
			template_check_all(c->cfg->templates, q->templates, errors);
	}
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (char *)errors->pdata[i]);
	rc = errors->len ? EX_CONFIG : 0;
	if (rc == 0)
		printf("%s: ok\n", c->cfg->path);
	g_ptr_array_unref(errors);
	return rc;
}

/* --- deliver, import ------------------------------------------------ */

static const char *
env_recipient(void)
{
	const char *r = getenv("ORIGINAL_RECIPIENT");

	if (r == NULL || *r == '\0')
		r = getenv("RECIPIENT");
	return r && *r ? r : NULL;
}

static void
print_outcome(const char *prefix, const struct pd_intake_result *r)
{
	char *ref = clean(r->ref, 40);

	printf("%s%s %s", prefix, ref, intake_outcome_name(r->outcome));
	if (r->outcome == OUT_QUARANTINED && r->detail) {
		char *d = clean(r->detail, 200);

		printf(": %s", d);
		g_free(d);
	}
	putchar('\n');
	g_free(ref);
}

/* The MTA's view: 0 when the mail is ours now (whatever became of it),
 * 75 so that it tries again later. */
static int
cmd_deliver(struct cli *c, int argc, char **argv)
{
	const char *mailbox = NULL;
	const struct opt opts[] = { { "--mailbox", &mailbox, NULL }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	struct pd_intake_result res;
	struct pd_source src;
	GByteArray *data;
	char *err = NULL;
	size_t max;
	int rc, too_big;

	rc = parse_args("deliver", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = usage_error("deliver: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (mailbox && config_mailbox_by_name(c->cfg, mailbox) == NULL)
		return usage_error("deliver: unknown mailbox '%s'", mailbox);

	max = (size_t)config_raw_cap(c->cfg);
	if (util_read_fd(STDIN_FILENO, max, &data, &too_big, &err) < 0) {
		log_warnx("deliver: standard input: %s", err);
		g_free(err);
		return EX_TEMPFAIL;
	}
	if (data->len == 0) {
		g_byte_array_unref(data);
		log_warnx("deliver: empty message on standard input");
		return EX_DATAERR;
	}
	memset(&src, 0, sizeof src);
	src.kind = "deliver";
	src.mailbox = mailbox;
	src.recipient = env_recipient();
	src.size = too_big ? (gint64)max + 1 : 0;
	memset(&res, 0, sizeof res);
	rc = intake_process(&c->ctx, data->data, data->len, &src, &res, &err);
	g_byte_array_unref(data);
	if (rc < 0) {
		log_warnx("deliver: temporary failure: %s", err ? err : "unknown error");
		g_free(err);
		return EX_TEMPFAIL;
	}
	if (c->verbose)
		print_outcome("", &res);
	intake_result_clear(&res);
	return 0;
}

struct import_run {
	struct cli	*c;
	const char	*mailbox;
	int		 is_mbox;
	int		 tty;
	gint64		 counts[OUT_QUARANTINED + 1];
	gint64		 mails;
	gint64		 unreadable;
	gint64		 started;	/* monotonic, microseconds */
	gint64		 drawn;		/* last progress drawn */
	char		*error;		/* the temporary failure that stopped it */
	int		 batch;		/* mails in the open bulk transaction */
	int		 no_mail;	/* --no-mail: queue no acknowledgement */
};

/* Mails per bulk transaction: each mail is its own savepoint inside it,
 * and the spool is synced once per batch instead of once per file. */
#define IMPORT_BATCH	500

/* Commit the open batch, if any.  0 ok, -1 with run->error set. */
static int
import_commit(struct import_run *run)
{
	char *err = NULL;

	if (run->batch == 0)
		return 0;
	run->batch = 0;
	if (store_commit(run->c->ctx.store, &err) < 0) {
		run->error = g_strdup_printf("commit: %s", err ? err : "unknown error");
		g_free(err);
		return -1;
	}
	return 0;
}

static double
elapsed(const struct import_run *run)
{
	return (double)(g_get_monotonic_time() - run->started) / 1e6;
}

/* "[#####.....] 4200/10000 mails  3512/s", at most 10 times a second. */
static void
import_progress(struct import_run *run, gint64 done, gint64 total, int force)
{
	gint64 now = g_get_monotonic_time();
	char bar[31];
	double secs, frac;
	int i, fill;

	if (!run->tty || (!force && now - run->drawn < 100000))
		return;
	run->drawn = now;
	secs = elapsed(run);
	frac = total > 0 ? (double)done / (double)total : 1.0;
	fill = (int)(frac * 30 + 0.5);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (run->is_mbox)
		fprintf(stderr, "\r[%s] %" G_GINT64_FORMAT " mails  %d%%  %.0f/s\033[K", bar,
		    run->mails, (int)(frac * 100), secs > 0 ? run->mails / secs : 0.0);
	else
		fprintf(stderr, "\r[%s] %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
		    " mails  %.0f/s\033[K", bar, done, total,
		    secs > 0 ? run->mails / secs : 0.0);
	fflush(stderr);
}

static int
import_one(const struct import_mail *m, void *user)
{
	struct import_run *run = user;
	struct pd_intake_result res;
	struct pd_source src;
	char *err = NULL;

	if (m->error) {
		if (run->tty)
			fputc('\n', stderr);
		log_warnx("import: %s: %s", m->where, m->error);
		run->unreadable++;
		return 0;
	}
	memset(&src, 0, sizeof src);
	src.kind = "import";
	src.mailbox = run->mailbox;
	src.no_mail = run->no_mail;
	src.size = m->size > (gint64)m->len ? m->size : 0;
	memset(&res, 0, sizeof res);
	if (run->batch == 0) {
		if (store_begin(run->c->ctx.store, &err) < 0) {
			run->error = g_strdup_printf("%s: %s", m->where, err ? err : "unknown error");
			g_free(err);
			return 1;
		}
		run->batch = 1;
	}
	if (intake_process(&run->c->ctx, m->data, m->len, &src, &res, &err) < 0) {
		run->error = g_strdup_printf("%s: %s", m->where, err ? err : "unknown error");
		g_free(err);
		return 1;
	}
	if (++run->batch > IMPORT_BATCH && import_commit(run) < 0)
		return 1;
	if ((int)res.outcome >= 0 && res.outcome <= OUT_QUARANTINED)
		run->counts[res.outcome]++;
	run->mails++;
	if (run->c->verbose && !run->tty) {
		char *where = clean(m->where, 200);
		char *prefix = g_strdup_printf("%s: ", where);

		print_outcome(prefix, &res);
		g_free(prefix);
		g_free(where);
	}
	intake_result_clear(&res);
	import_progress(run, m->done, m->total, 0);
	return 0;
}

static int
cmd_import(struct cli *c, int argc, char **argv)
{
	const char *mailbox = NULL, *path;
	int no_mail = 0;
	const struct opt opts[] = { { "--mailbox", &mailbox, NULL },
	    { "--no-mail", NULL, &no_mail }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	struct import_run run;
	char *err = NULL;
	size_t max;
	double secs;
	int rc;

	rc = parse_args("import", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = usage_error("import: missing PATH (an mbox file or a Maildir)");
	else if (rc == 0 && args->len > 1)
		rc = usage_error("import: unexpected argument '%s'", (char *)args->pdata[1]);
	path = rc == 0 ? args->pdata[0] : NULL;
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		log_warnx("import: %s: %s", path, g_strerror(ENOENT));
		return EX_NOINPUT;
	}
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (mailbox && config_mailbox_by_name(c->cfg, mailbox) == NULL)
		return usage_error("import: unknown mailbox '%s'", mailbox);

	memset(&run, 0, sizeof run);
	run.c = c;
	run.mailbox = mailbox;
	run.no_mail = no_mail;
	run.tty = isatty(STDERR_FILENO);
	run.started = g_get_monotonic_time();
	max = (size_t)config_raw_cap(c->cfg);
	if (import_is_maildir(path))
		rc = import_maildir(path, max, import_one, &run, &err);
	else {
		run.is_mbox = 1;
		rc = import_mbox(path, max, import_one, &run, &err);
	}
	/* What was taken in stays, also when a temporary failure stopped it. */
	if (import_commit(&run) < 0 && rc == 0)
		rc = 1;
	if (run.tty && run.drawn) {
		if (rc == 0)
			import_progress(&run, 1, 1, 1);
		fputc('\n', stderr);
	}
	secs = elapsed(&run);
	printf("imported %" G_GINT64_FORMAT " mails: %" G_GINT64_FORMAT " new tickets, %"
	    G_GINT64_FORMAT " threaded, %" G_GINT64_FORMAT " duplicates, %" G_GINT64_FORMAT
	    " bounces, %" G_GINT64_FORMAT " loops, %" G_GINT64_FORMAT " quarantined in "
	    "%.2fs (%.0f mails/s)\n", run.mails, run.counts[OUT_NEW], run.counts[OUT_THREADED],
	    run.counts[OUT_DUPLICATE], run.counts[OUT_BOUNCE], run.counts[OUT_LOOP],
	    run.counts[OUT_QUARANTINED], secs,
	    secs > 0 ? (double)run.mails / secs : (double)run.mails);
	fflush(stdout);
	if (rc < 0) {
		log_warnx("import: %s", err);
		g_free(err);
		return EX_DATAERR;
	}
	if (run.error) {
		log_warnx("import: temporary failure: %s (run it again to go on)", run.error);
		g_free(run.error);
		return EX_TEMPFAIL;
	}
	if (run.unreadable) {
		log_warnx("import: %" G_GINT64_FORMAT " files could not be read",
		    run.unreadable);
		return EX_IOERR;
	}
	return 0;
}

/* --- list, show, set ------------------------------------------------ */

static void
print_json(GString *out)
{
	g_string_append_c(out, '\n');
	fwrite(out->str, 1, out->len, stdout);
	g_string_free(out, TRUE);
}

/* Aligned columns cut to fit LIST_WIDTH; the subject takes the rest. */
static void
list_text(GPtrArray *tickets)
{
	static const char *const head[] = { "REF", "STATUS", "PRIORITY", "QUEUE",
	    "ASSIGNEE", "CUSTOMER", "SUBJECT" };
	static const size_t cap[] = { 12, 11, 8, 14, 24, 30, 0 };
	size_t width[7], used = 0;
	GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
	GString *line = g_string_new(NULL);
	int col;

	for (col = 0; col < 6; col++)
		width[col] = strlen(head[col]);
	for (guint i = 0; i < tickets->len; i++) {
		const struct pd_ticket *t = tickets->pdata[i];
		const char *v[6] = { t->ref, t->status, t->priority, t->queue,
		    t->assignee, t->customer_email };

		for (col = 0; col < 6; col++) {
			char *s = clean(v[col], cap[col]);

			width[col] = MAX(width[col], (size_t)g_utf8_strlen(s, -1));
			g_ptr_array_add(cells, s);
		}
	}
	for (col = 0; col < 6; col++)
		used += width[col] + 2;
	width[6] = used + 20 < LIST_WIDTH ? LIST_WIDTH - used : 20;

	for (col = 0; col < 6; col++) {
		pad(line, head[col], width[col]);
		g_string_append(line, "  ");
	}
	g_string_append(line, head[6]);
	puts(line->str);
	for (guint i = 0; i < tickets->len; i++) {
		const struct pd_ticket *t = tickets->pdata[i];
		char *subject = clean(t->subject, width[6]);

		g_string_truncate(line, 0);
		for (col = 0; col < 6; col++) {
			pad(line, cells->pdata[i * 6 + col], width[col]);
			g_string_append(line, "  ");
		}
		g_string_append(line, subject);
		puts(line->str);
		g_free(subject);
	}
	g_string_free(line, TRUE);
	g_ptr_array_unref(cells);
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	const char *status = NULL, *queue = NULL, *assignee = NULL, *search = NULL;
	int json = 0, rc;
	const struct opt opts[] = {
		{ "--status", &status, NULL }, { "--queue", &queue, NULL },
		{ "--assignee", &assignee, NULL }, { "--search", &search, NULL },
		{ "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *tickets;
	struct pd_ticket_filter f;
	char *err = NULL;

	rc = parse_args("list", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = usage_error("list: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (status && !status_valid(status))
		return usage_error("list: unknown status '%s'", status);
	if ((rc = cli_open(c)) != 0)
		return rc;
	memset(&f, 0, sizeof f);
	f.status = status;
	f.search = search;
	if (queue) {
		const struct pd_queue *q = config_queue_by_name(c->cfg, queue);

		if (q == NULL)
			return usage_error("list: unknown queue '%s'", queue);
		f.queue = q->name;
	}
	if (assignee) {
		const struct pd_staff *s = config_staff_by_name_or_email(c->cfg, assignee);

		if (s == NULL)
			return usage_error("list: unknown staff member '%s'", assignee);
		f.assignee = s->email;
	}
	if (store_ticket_list(c->ctx.store, &f, &tickets, &err) < 0)
		return store_failed(c, "list", err);
	if (json) {
		GString *out = g_string_new("[");

		for (guint i = 0; i < tickets->len; i++) {
			g_string_append(out, i ? ",\n" : "\n");
			cli_json_ticket(out, tickets->pdata[i], NULL);
		}
		g_string_append(out, tickets->len ? "\n]" : "]");
		print_json(out);
	} else
		list_text(tickets);
	g_ptr_array_unref(tickets);
	return 0;
}

/* 0 and *t_r, or the exit code (printed): 65 for an unknown ref. */
static int
get_ticket(struct cli *c, const char *cmd, const char *ref, struct pd_ticket **t_r)
{
	char *err = NULL, *p;
	int rc;

	rc = store_ticket_get_by_ref(c->ctx.store, ref, t_r, &err);
	if (rc < 0)
		return store_failed(c, cmd, err);
	if (rc == 0) {
		p = clean(ref, 40);
		log_warnx("%s: no ticket %s", cmd, p);
		g_free(p);
		return EX_DATAERR;
	}
	return 0;
}

static void
show_field(const char *name, const char *value)
{
	char *v = clean(value, 200);

	printf("%-16s%s\n", name, v);
	g_free(v);
}

static void
show_time(const char *name, gint64 t)
{
	char *v = time_text(t);

	printf("%-16s%s\n", name, v);
	g_free(v);
}

static void
show_text(struct cli *c, const struct pd_ticket *t, GPtrArray *msgs)
{
	char *s, *labels;

	s = clean(t->subject, 200);
	printf("%s  %s\n", t->ref, s);
	g_free(s);
	show_field("Status:", t->status);
	show_field("Priority:", t->priority);
	show_field("Queue:", t->queue);
	show_field("Assignee:", t->assignee);
	if (t->customer_name && *t->customer_name) {
		s = g_strdup_printf("%s <%s>", t->customer_name, t->customer_email);
		show_field("Customer:", s);
		g_free(s);
	} else
		show_field("Customer:", t->customer_email);
	g_ptr_array_add(t->labels, NULL);
	labels = g_strjoinv(", ", (char **)t->labels->pdata);
	g_ptr_array_remove_index(t->labels, t->labels->len - 1);
	show_field("Labels:", labels);
	g_free(labels);
	show_time("Created:", t->created_at);
	show_time("Updated:", t->updated_at);
	show_time("First response:", t->first_response_at);
	show_time("Resolved:", t->resolved_at);
	if (t->closed_at)
		show_time("Closed:", t->closed_at);
	if (t->merged_into)
		show_field("Merged into:", t->merged_into_ref);
	s = notify_status_url(&c->ctx, t->ref);
	show_field("Status page:", s);
	g_free(s);

	for (guint i = 0; i < msgs->len; i++) {
		const struct pd_stored_message *m = msgs->pdata[i];
		char *from = clean(m->from_addr, 100), *date = time_text(m->date);

		printf("\n--- #%" G_GINT64_FORMAT " %s from %s %s\n", m->id, m->kind, from, date);
		g_free(from);
		g_free(date);
		s = clean(m->subject, 200);
		printf("Subject: %s\n\n", s);
		g_free(s);
		print_text(m->body);
		for (guint j = 0; m->attachments && j < m->attachments->len; j++) {
			const struct pd_stored_attachment *a = m->attachments->pdata[j];
			char *name = clean(a->filename, 100), *type = clean(a->content_type, 100);

			if (a->refused) {
				char *why = clean(a->refused, 200);

				printf("[attachment %s (%s, %" G_GINT64_FORMAT " bytes) refused: "
				    "%s]\n", name, type, a->size, why);
				g_free(why);
			} else
				printf("[attachment %s (%s, %" G_GINT64_FORMAT " bytes, sha256 %s)]\n",
				    name, type, a->size, a->sha256 ? a->sha256 : "-");
			g_free(name);
			g_free(type);
		}
	}
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *msgs;
	struct pd_ticket *t;
	const char *ref = NULL;
	char *err = NULL;

	rc = parse_args("show", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = usage_error("show: missing REF");
	else if (rc == 0 && args->len > 1)
		rc = usage_error("show: unexpected argument '%s'", (char *)args->pdata[1]);
	if (rc == 0)
		ref = args->pdata[0];
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if ((rc = get_ticket(c, "show", ref, &t)) != 0)
		return rc;
	if (store_messages(c->ctx.store, t->id, 1, &msgs, &err) < 0) {
		store_ticket_free(t);
		return store_failed(c, "show", err);
	}
	if (json) {
		GString *out = g_string_new(NULL);

		cli_json_ticket(out, t, msgs);
		print_json(out);
	} else
		show_text(c, t, msgs);
	g_ptr_array_unref(msgs);
	store_ticket_free(t);
	return 0;
}

enum set_key { SET_STATUS, SET_PRIORITY, SET_ASSIGNEE, SET_QUEUE, SET_LABEL };

struct set_change {
	enum set_key	 key;
	const char	*value;		/* checked; NULL unassigns */
	int		 remove;	/* label=-NAME */
};

static int
label_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 64 || !g_utf8_validate(s, -1, NULL))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == ',' || *s == 0x7f)
			return 0;
	return 1;
}

/* Check one KEY=VALUE against the config; EX_USAGE names what is wrong. */
static int
set_parse(struct cli *c, const char *arg, struct set_change *ch)
{
	const char *eq = strchr(arg, '='), *v;
	char *key;
	int rc = 0;

	if (eq == NULL || eq == arg)
		return usage_error("set: '%s' is not KEY=VALUE", arg);
	key = g_strndup(arg, (gsize)(eq - arg));
	v = eq + 1;
	memset(ch, 0, sizeof *ch);
	ch->value = v;
	if (strcmp(key, "status") == 0) {
		ch->key = SET_STATUS;
		if (!status_valid(v))
			rc = usage_error("set: unknown status '%s'", v);
	} else if (strcmp(key, "priority") == 0) {
		int p = priority_from_name(v);

		ch->key = SET_PRIORITY;
		if (p < 0)
			rc = usage_error("set: unknown priority '%s'", v);
		else
			ch->value = priority_name((enum pd_priority)p);
	} else if (strcmp(key, "assignee") == 0) {
		ch->key = SET_ASSIGNEE;
		if (*v == '\0' || strcmp(v, "none") == 0)
			ch->value = NULL;
		else {
			const struct pd_staff *s = config_staff_by_name_or_email(c->cfg, v);

			if (s == NULL)
				rc = usage_error("set: unknown staff member '%s'", v);
			else
				ch->value = s->email;
		}
	} else if (strcmp(key, "queue") == 0) {
		const struct pd_queue *q = config_queue_by_name(c->cfg, v);

		ch->key = SET_QUEUE;
		if (q == NULL)
			rc = usage_error("set: unknown queue '%s'", v);
		else
			ch->value = q->name;
	} else if (strcmp(key, "label") == 0) {
		ch->key = SET_LABEL;
		if (*v == '-') {
			ch->remove = 1;
			ch->value = v + 1;
		}
		if (!label_valid(ch->value))
			rc = usage_error("set: bad label '%s'", v);
	} else
		rc = usage_error("set: unknown key '%s' (status, priority, assignee, "
		    "queue, label)", key);
	g_free(key);
	return rc;
}

static int
is_done_status(const char *s)
{
	return strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0;
}

/* One change inside the transaction, with its event row; *detail_r
 * says what happened (NULL when nothing changed). */
static int
set_apply(struct cli *c, struct pd_ticket *t, const struct set_change *ch, gint64 now,
    char **detail_r, char **error_r)
{
	static const char *const column[] = { "status", "priority", "assignee", "queue" };
	struct pd_store *st = c->ctx.store;
	char **field;

	*detail_r = NULL;
	if (ch->key == SET_LABEL) {
		guint at = 0;
		int have = 0;

		for (guint i = 0; i < t->labels->len; i++)
			if (strcmp(t->labels->pdata[i], ch->value) == 0) {
				have = 1;
				at = i;
			}
		if (have != ch->remove)
			return 0;
		if ((ch->remove ? store_label_remove(st, t->id, ch->value, error_r) :
		    store_label_add(st, t->id, ch->value, error_r)) < 0)
			return -1;
		if (ch->remove)
			g_ptr_array_remove_index(t->labels, at);
		else
			g_ptr_array_add(t->labels, g_strdup(ch->value));
		*detail_r = g_strdup_printf("label: %c%s", ch->remove ? '-' : '+', ch->value);
	} else {
		field = ch->key == SET_STATUS ? &t->status : ch->key == SET_PRIORITY ?
		    &t->priority : ch->key == SET_ASSIGNEE ? &t->assignee : &t->queue;
		if (g_strcmp0(*field && **field ? *field : NULL, ch->value) == 0)
			return 0;
		if (ch->key == SET_PRIORITY) {
			/* The SLA due times follow the priority. */
			if (timers_set_priority(&c->ctx, t, ch->value, now, error_r) < 0)
				return -1;
		} else if (store_ticket_set(st, t->id, column[ch->key], ch->value, now,
		    error_r) < 0)
			return -1;
		if (ch->key == SET_STATUS) {
			int was_done = is_done_status(t->status);

			if (strcmp(ch->value, "resolved") == 0 &&
			    store_ticket_set_int(st, t->id, "resolved_at", now, now, error_r) < 0)
				return -1;
			if (strcmp(ch->value, "closed") == 0 &&
			    store_ticket_set_int(st, t->id, "closed_at", now, now, error_r) < 0)
				return -1;
			if (was_done && !is_done_status(ch->value) &&
			    (store_ticket_set(st, t->id, "resolved_at", NULL, now, error_r) < 0 ||
			    store_ticket_set(st, t->id, "closed_at", NULL, now, error_r) < 0))
				return -1;
		}
		*detail_r = g_strdup_printf("%s: %s -> %s", column[ch->key],
		    *field && **field ? *field : "none", ch->value ? ch->value : "none");
		g_free(*field);
		*field = g_strdup(ch->value);
	}
	return store_event_add(st, t->id, now, "cli", "set", *detail_r, error_r);
}

/* All KEY=VALUE checked first, then applied in one transaction. */
static int
cmd_set(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new(), *done;
	struct set_change *changes = NULL;
	struct pd_ticket *t = NULL;
	char *err = NULL, *detail;
	gint64 now;
	guint n = 0;
	int rc;

	rc = parse_args("set", argc, argv, NULL, args);
	if (rc == 0 && args->len == 0)
		rc = usage_error("set: missing REF");
	else if (rc == 0 && args->len == 1)
		rc = usage_error("set: missing KEY=VALUE after %s", (char *)args->pdata[0]);
	if (rc == 0)
		rc = cli_open(c);
	if (rc == 0) {
		n = args->len - 1;
		changes = g_new0(struct set_change, n);
		for (guint i = 0; rc == 0 && i < n; i++)
			rc = set_parse(c, args->pdata[i + 1], &changes[i]);
	}
	if (rc == 0)
		rc = get_ticket(c, "set", args->pdata[0], &t);
	if (rc) {
		g_ptr_array_unref(args);
		g_free(changes);
		return rc == 1 ? 0 : rc;
	}

	now = util_now();
	done = g_ptr_array_new_with_free_func(g_free);
	if (store_begin(c->ctx.store, &err) < 0)
		goto fail;
	for (guint i = 0; i < n; i++) {
		if (set_apply(c, t, &changes[i], now, &detail, &err) < 0) {
			g_free(detail);
			store_rollback(c->ctx.store);
			goto fail;
		}
		if (detail)
			g_ptr_array_add(done, detail);
	}
	if (store_commit(c->ctx.store, &err) < 0)
		goto fail;
	for (guint i = 0; i < done->len; i++)
		printf("%s: %s\n", t->ref, (char *)done->pdata[i]);
	if (done->len == 0)
		printf("%s: nothing to change\n", t->ref);
	rc = 0;
	goto out;
fail:
	rc = store_failed(c, "set", err);
out:
	g_ptr_array_unref(done);
	g_ptr_array_unref(args);
	g_free(changes);
	store_ticket_free(t);
	return rc;
}

/* --- quarantine, outbox, stats -------------------------------------- */

static int
parse_id(const char *cmd, const char *s, gint64 *id_r)
{
	char *end;

	errno = 0;
	*id_r = g_ascii_strtoll(s, &end, 10);
	if (!g_ascii_isdigit(*s) || *end != '\0' || errno != 0 || *id_r <= 0)
		return usage_error("%s: '%s' is not a quarantine ID", cmd, s);
	return 0;
}

static int
quarantine_list(struct cli *c, int json)
{
	GPtrArray *rows;
	char *err = NULL;

	if (store_quarantine_list(c->ctx.store, NULL, &rows, &err) < 0)
		return store_failed(c, "quarantine list", err);
	if (json) {
		GString *o = g_string_new("[");

		for (guint i = 0; i < rows->len; i++) {
			const struct pd_quarantined *q = rows->pdata[i];

			g_string_append(o, i ? ",\n{" : "\n{");
			json_kv_int(o, "id", q->id, 1);
			json_kv_time(o, "at", q->at, 0);
			json_kv_string(o, "state", q->state, 0);
			json_kv_string(o, "reason", q->reason, 0);
			json_kv_string(o, "source", q->source, 0);
			json_kv_string(o, "mailbox", q->mailbox, 0);
			json_kv_string(o, "from", q->from_addr, 0);
			json_kv_string(o, "subject", q->subject, 0);
			json_kv_string(o, "sha256", q->raw_sha256, 0);
			g_string_append_c(o, '}');
		}
		g_string_append(o, rows->len ? "\n]" : "]");
		print_json(o);
	} else {
		printf("%-6s %-20s %-7s %-8s %-30s %s\n", "ID", "AT", "STATE", "SOURCE",
		    "FROM", "REASON");
		for (guint i = 0; i < rows->len; i++) {
			const struct pd_quarantined *q = rows->pdata[i];
			char *at = time_text(q->at), *from = clean(q->from_addr, 30);
			char *why = clean(q->reason, 60), *src = clean(q->source, 8);

			printf("%-6" G_GINT64_FORMAT " %-20s %-7s %-8s ", q->id, at, q->state,
			    src);
			printf("%-30s %s\n", from, why);
			g_free(at);
			g_free(from);
			g_free(why);
			g_free(src);
		}
	}
	g_ptr_array_unref(rows);
	return 0;
}

static int
quarantine_show(struct cli *c, gint64 id)
{
	struct pd_quarantined *q;
	GBytes *raw;
	char *err = NULL, *why;
	int rc;

	if ((rc = store_quarantine_get(c->ctx.store, id, &q, &err)) < 0)
		return store_failed(c, "quarantine show", err);
	if (rc == 0) {
		log_warnx("quarantine show: no quarantined mail #%" G_GINT64_FORMAT, id);
		return EX_DATAERR;
	}
	rc = store_raw_get(c->ctx.store, c->cfg->spool, q->raw_sha256, &raw, &err);
	if (rc <= 0) {
		log_warnx("quarantine show: %s", rc < 0 ? err : "raw mail missing");
		g_free(err);
		store_quarantine_free(q);
		return EX_IOERR;
	}
	why = clean(q->reason, 500);
	printf("reason: %s\n", why);
	fwrite(g_bytes_get_data(raw, NULL), 1, g_bytes_get_size(raw), stdout);
	g_free(why);
	g_bytes_unref(raw);
	store_quarantine_free(q);
	return 0;
}

/* Run one quarantined mail through intake again, forced past the
 * seen check; the old row is marked retried whatever the new outcome
 * (a mail that lands in quarantine again gets a new row). */
static int
quarantine_retry_one(struct cli *c, const struct pd_quarantined *q)
{
	struct pd_intake_result res;
	struct pd_source src;
	GBytes *raw;
	char *err = NULL, *prefix;

	if (store_raw_get(c->ctx.store, c->cfg->spool, q->raw_sha256, &raw, &err) <= 0) {
		log_warnx("quarantine retry: #%" G_GINT64_FORMAT ": %s", q->id,
		    err ? err : "raw mail missing");
		g_free(err);
		return EX_IOERR;
	}
	memset(&src, 0, sizeof src);
	src.kind = "retry";
	src.mailbox = q->mailbox;
	src.force = 1;
	memset(&res, 0, sizeof res);
	/* The new outcome and the old row's mark commit together, so a crash
	 * can never take the same mail in twice. */
	if (store_begin(c->ctx.store, &err) < 0) {
		g_bytes_unref(raw);
		return store_failed(c, "quarantine retry", err);
	}
	if (intake_process(&c->ctx, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), &src,
	    &res, &err) < 0) {
		store_rollback(c->ctx.store);
		g_bytes_unref(raw);
		log_warnx("quarantine retry: #%" G_GINT64_FORMAT ": temporary failure: %s",
		    q->id, err ? err : "unknown error");
		g_free(err);
		return EX_TEMPFAIL;
	}
	g_bytes_unref(raw);
	if (store_quarantine_set_state(c->ctx.store, q->id, "retried", &err) < 0 ||
	    store_commit(c->ctx.store, &err) < 0) {
		store_rollback(c->ctx.store);
		intake_result_clear(&res);
		return store_failed(c, "quarantine retry", err);
	}
	prefix = g_strdup_printf("#%" G_GINT64_FORMAT ": ", q->id);
	print_outcome(prefix, &res);
	if (res.outcome == OUT_QUARANTINED)
		printf("#%" G_GINT64_FORMAT ": quarantined again as a new row; this one is "
		    "marked retried\n", q->id);
	g_free(prefix);
	intake_result_clear(&res);
	return 0;
}

static int
quarantine_retry(struct cli *c, const char *which)
{
	GPtrArray *rows = NULL;
	struct pd_quarantined *q = NULL;
	char *err = NULL;
	gint64 id;
	int rc = 0;

	if (strcmp(which, "all") == 0) {
		if (store_quarantine_list(c->ctx.store, "held", &rows, &err) < 0)
			return store_failed(c, "quarantine retry", err);
		for (guint i = 0; rc == 0 && i < rows->len; i++)
			rc = quarantine_retry_one(c, rows->pdata[i]);
		if (rows->len == 0)
			printf("nothing held in quarantine\n");
		g_ptr_array_unref(rows);
		return rc;
	}
	if ((rc = parse_id("quarantine retry", which, &id)) != 0)
		return rc;
	if ((rc = store_quarantine_get(c->ctx.store, id, &q, &err)) < 0)
		return store_failed(c, "quarantine retry", err);
	if (rc == 0) {
		log_warnx("quarantine retry: no quarantined mail #%" G_GINT64_FORMAT, id);
		return EX_DATAERR;
	}
	if (strcmp(q->state, "held") != 0) {
		log_warnx("quarantine retry: #%" G_GINT64_FORMAT " was already retried", id);
		store_quarantine_free(q);
		return EX_DATAERR;
	}
	rc = quarantine_retry_one(c, q);
	store_quarantine_free(q);
	return rc;
}

static int
cmd_quarantine(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	const char *sub = "list", *arg = NULL;
	gint64 id = 0;

	rc = parse_args("quarantine", argc, argv, opts, args);
	if (rc == 0 && args->len)
		sub = args->pdata[0];
	if (rc == 0 && strcmp(sub, "list") == 0) {
		if (args->len > 1)
			rc = usage_error("quarantine list: unexpected argument '%s'",
			    (char *)args->pdata[1]);
	} else if (rc == 0 && (strcmp(sub, "show") == 0 || strcmp(sub, "retry") == 0)) {
		if (args->len < 2)
			rc = usage_error("quarantine %s: missing ID%s", sub,
			    sub[0] == 'r' ? " (or all)" : "");
		else if (args->len > 2)
			rc = usage_error("quarantine %s: unexpected argument '%s'", sub,
			    (char *)args->pdata[2]);
		else
			arg = args->pdata[1];
		if (rc == 0 && sub[0] == 's')
			rc = parse_id("quarantine show", arg, &id);
	} else if (rc == 0)
		rc = usage_error("quarantine: unknown subcommand '%s'", sub);
	if (rc == 0)
		rc = cli_open(c);
	if (rc == 0) {
		if (strcmp(sub, "list") == 0)
			rc = quarantine_list(c, json);
		else if (strcmp(sub, "show") == 0)
			rc = quarantine_show(c, id);
		else
			rc = quarantine_retry(c, arg);
	}
	g_ptr_array_unref(args);
	return rc == 1 ? 0 : rc;
}

/* Send everything due: postdeskd --flush does it, so that this program,
 * started once per mail by the MTA, does not load libcurl and its many
 * libraries.  postdeskd sits beside this binary (a build tree) or in
 * SBINDIR. */
static int
outbox_flush_cmd(struct cli *c)
{
	char *self = g_file_read_link("/proc/self/exe", NULL), *dir, *pdd;
	const char *argv[6];
	int n = 0;

	dir = self ? g_path_get_dirname(self) : g_strdup(SBINDIR);
	pdd = g_build_filename(dir, "postdeskd", NULL);
	if (!g_file_test(pdd, G_FILE_TEST_IS_EXECUTABLE)) {
		g_free(pdd);
		pdd = g_build_filename(SBINDIR, "postdeskd", NULL);
	}
	argv[n++] = pdd;
	argv[n++] = "-c";
	argv[n++] = config_path(c->conf);
	if (c->verbose)
		argv[n++] = "-v";
	argv[n++] = "--flush";
	argv[n] = NULL;
	fflush(NULL);
	execv(pdd, (char **)argv);
	log_warn("outbox flush: cannot run %s", pdd);
	g_free(self);
	g_free(dir);
	g_free(pdd);
	return EX_UNAVAILABLE;
}

static int
cmd_outbox(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *rows;
	char *err = NULL;

	rc = parse_args("outbox", argc, argv, opts, args);
	if (rc == 0 && args->len && strcmp(args->pdata[0], "list") != 0 &&
	    strcmp(args->pdata[0], "flush") != 0)
		rc = usage_error("outbox: unknown subcommand '%s'", (char *)args->pdata[0]);
	else if (rc == 0 && args->len > 1)
		rc = usage_error("outbox %s: unexpected argument '%s'",
		    (char *)args->pdata[0], (char *)args->pdata[1]);
	if (rc == 0 && args->len && strcmp(args->pdata[0], "flush") == 0) {
		g_ptr_array_unref(args);
		return outbox_flush_cmd(c);
	}
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (store_outbox_list(c->ctx.store, NULL, 0, &rows, &err) < 0)
		return store_failed(c, "outbox list", err);
	if (json) {
		GString *o = g_string_new("[");

		for (guint i = 0; i < rows->len; i++) {
			const struct pd_outbox_row *r = rows->pdata[i];

			g_string_append(o, i ? ",\n{" : "\n{");
			json_kv_int(o, "id", r->id, 1);
			json_kv_string(o, "status", r->status, 0);
			json_kv_string(o, "event", r->event, 0);
			json_kv_string(o, "ticket", r->ticket_ref, 0);
			json_kv_string(o, "message_id", r->message_id, 0);
			json_key(o, "recipients", 0);
			g_string_append_c(o, '[');
			for (guint j = 0; r->rcpts && j < r->rcpts->len; j++) {
				if (j)
					g_string_append_c(o, ',');
				json_string(o, r->rcpts->pdata[j]);
			}
			g_string_append_c(o, ']');
			json_kv_int(o, "tries", r->tries, 0);
			json_kv_time(o, "created_at", r->created_at, 0);
			json_kv_time(o, "next_try", r->next_try, 0);
			json_kv_time(o, "sent_at", r->sent_at, 0);
			json_kv_string(o, "last_error", r->last_error, 0);
			g_string_append_c(o, '}');
		}
		g_string_append(o, rows->len ? "\n]" : "]");
		print_json(o);
	} else {
		printf("%-6s %-8s %-20s %-10s %-5s %-20s %-30s %s\n", "ID", "STATUS", "EVENT",
		    "TICKET", "TRIES", "NEXT_TRY", "RECIPIENTS", "LAST_ERROR");
		for (guint i = 0; i < rows->len; i++) {
			const struct pd_outbox_row *r = rows->pdata[i];
			char *rc_s, *next = time_text(r->next_try), *last, *joined;

			if (r->rcpts) {
				g_ptr_array_add(r->rcpts, NULL);
				joined = g_strjoinv(",", (char **)r->rcpts->pdata);
				g_ptr_array_remove_index(r->rcpts, r->rcpts->len - 1);
			} else
				joined = NULL;
			rc_s = clean(joined, 30);
			last = clean(r->last_error, 80);
			printf("%-6" G_GINT64_FORMAT " %-8s %-20s %-10s %-5d %-20s %-30s %s\n",
			    r->id, r->status, r->event, r->ticket_ref ? r->ticket_ref : "-",
			    r->tries, next, rc_s, last);
			g_free(joined);
			g_free(rc_s);
			g_free(next);
			g_free(last);
		}
	}
	g_ptr_array_unref(rows);
	return 0;
}

static int
all_digits(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!g_ascii_isdigit(*s))
			return 0;
	return 1;
}

static int
cmd_stats(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *pairs;
	char *err = NULL;

	rc = parse_args("stats", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = usage_error("stats: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (store_stats(c->ctx.store, &pairs, &err) < 0)
		return store_failed(c, "stats", err);
	if (json) {
		GString *o = g_string_new("{");

		for (guint i = 0; i + 1 < pairs->len; i += 2) {
			const char *v = pairs->pdata[i + 1];

			json_key(o, pairs->pdata[i], i == 0);
			if (all_digits(v))
				g_string_append(o, v);
			else
				json_string(o, v);
		}
		g_string_append_c(o, '}');
		print_json(o);
	} else
		for (guint i = 0; i + 1 < pairs->len; i += 2)
			printf("%s %s\n", (char *)pairs->pdata[i], (char *)pairs->pdata[i + 1]);
	g_ptr_array_unref(pairs);
	return 0;
}

/* --- main ----------------------------------------------------------- */

static const struct {
	const char	*name;
	int		(*run)(struct cli *, int, char **);
} commands[] = {
	{ "init", cmd_init },
	{ "check-config", cmd_check_config },
	{ "deliver", cmd_deliver },
	{ "import", cmd_import },
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "set", cmd_set },
	{ "quarantine", cmd_quarantine },
	{ "outbox", cmd_outbox },
	{ "stats", cmd_stats },
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
				return usage_error("option -c needs a config file");
			c.conf = argv[++i];
		} else if (strncmp(a, "-c", 2) == 0)
			c.conf = a + 2;
		else
			return usage_error("unknown option '%s'", a);
	}
	if (i == argc)
		return usage_error("no command given");
	log_set_verbose(c.verbose);
	for (k = 0; k < G_N_ELEMENTS(commands); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			rc = commands[k].run(&c, argc - i - 1, argv + i + 1);
	if (rc == -1)
		return usage_error("unknown command '%s'", argv[i]);
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

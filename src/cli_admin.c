/* cli_admin.c: the sysadmin's commands: init, check-config, outbox,
 * stats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli_private.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "util.h"

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
int
cli_cmd_init(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new();
	char *dir, *err = NULL;
	int rc, db_existed;

	rc = cli_parse_args("init", argc, argv, NULL, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("init: unexpected argument '%s'", (char *)args->pdata[0]);
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

/* What `postdesk init` makes: every program but init needs it, so a
 * config that is fine on its own still fails here without it. */
static void
check_state(const struct pd_config *cfg, GPtrArray *errors)
{
	struct pd_secret secret = { 0 };
	char *err = NULL;

	if (!g_file_test(cfg->database, G_FILE_TEST_IS_REGULAR))
		g_ptr_array_add(errors, g_strdup_printf("%s: database %s does not exist: "
		    "run `postdesk init`", cfg->path, cfg->database));
	else if (access(cfg->database, R_OK | W_OK) < 0)
		g_ptr_array_add(errors, g_strdup_printf("%s: database %s: %s", cfg->path,
		    cfg->database, g_strerror(errno)));
	if (!g_file_test(cfg->spool, G_FILE_TEST_IS_DIR))
		g_ptr_array_add(errors, g_strdup_printf("%s: spool folder %s does not exist: "
		    "run `postdesk init`", cfg->path, cfg->spool));
	if (!g_file_test(cfg->secret_file, G_FILE_TEST_EXISTS))
		g_ptr_array_add(errors, g_strdup_printf("%s: secret key %s does not exist: "
		    "run `postdesk init`", cfg->path, cfg->secret_file));
	else if (token_load_secret(cfg->secret_file, &secret, &err) < 0) {
		g_ptr_array_add(errors, g_strdup_printf("%s: %s", cfg->path, err));
		g_free(err);
	} else
		token_secret_clear(&secret);
}

int
cli_cmd_check_config(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new(), *errors;
	int rc;

	rc = cli_parse_args("check-config", argc, argv, NULL, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("check-config: unexpected argument '%s'",
		    (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_config(c)) != 0)
		return rc;
	errors = g_ptr_array_new_with_free_func(g_free);
	check_state(c->cfg, errors);
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

static int all_digits(const char *);

/* outbox release ID|REF|all: held mail back in the queue, due now; the
 * daemon sends it within SENDER_MAX_WAIT, `outbox flush` at once. */
static int
outbox_release_cmd(struct cli *c, const char *what)
{
	gint64 id = 0, tid = 0;
	struct pd_ticket *t = NULL;
	char *err = NULL;
	int rc, n;

	if ((rc = cli_open(c)) != 0)
		return rc;
	if (strcmp(what, "all") == 0)
		;
	else if (all_digits(what))
		id = g_ascii_strtoll(what, NULL, 10);
	else {
		char *ref = g_ascii_strup(what, -1);

		rc = store_ticket_get_by_ref(c->ctx.store, ref, &t, &err);
		g_free(ref);
		if (rc < 0)
			return cli_store_failed(c, "outbox release", err);
		if (rc == 0)
			return cli_usage_error("outbox release: no mail or ticket '%s'", what);
		tid = t->id;
		store_ticket_free(t);
	}
	if (store_begin(c->ctx.store, &err) < 0 ||
	    store_outbox_release(c->ctx.store, id, tid, util_now(), &n, &err) < 0 ||
	    (n > 0 && store_event_add(c->ctx.store, tid, util_now(), "postdesk",
	    "released", what, &err) < 0) ||
	    store_commit(c->ctx.store, &err) < 0) {
		store_rollback(c->ctx.store);
		return cli_store_failed(c, "outbox release", err);
	}
	if (n == 0 && id)
		return cli_usage_error("outbox release: mail %s is not held", what);
	log_info("outbox release %s: %d held mail%s queued again", what, n, n == 1 ? "" : "s");
	printf("released %d held mail%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* outbox show ID: the mail as it is (or was) sent, its RFC 5322 bytes
 * on stdout, made by the one function that makes them for sending. */
static int
outbox_show_cmd(struct cli *c, const char *what)
{
	GBytes *mail;
	char *err = NULL;
	gsize len;
	const void *d;
	int rc;

	if (!all_digits(what))
		return cli_usage_error("outbox show: '%s' is not a mail ID", what);
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (outbox_render(&c->ctx, g_ascii_strtoll(what, NULL, 10), &mail, &err) < 0) {
		log_warnx("outbox show %s: %s", what, err);
		g_free(err);
		return EX_DATAERR;
	}
	d = g_bytes_get_data(mail, &len);
	rc = fwrite(d, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : EX_IOERR;
	g_bytes_unref(mail);
	return rc;
}

int
cli_cmd_outbox(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *rows;
	char *err = NULL;

	rc = cli_parse_args("outbox", argc, argv, opts, args);
	if (rc == 0 && args->len && strcmp(args->pdata[0], "release") == 0) {
		if (args->len != 2)
			rc = cli_usage_error("outbox release: give one ID, REF or all");
		else
			rc = outbox_release_cmd(c, args->pdata[1]);
		g_ptr_array_unref(args);
		return rc;
	}
	if (rc == 0 && args->len && strcmp(args->pdata[0], "show") == 0) {
		if (args->len != 2)
			rc = cli_usage_error("outbox show: give one mail ID");
		else
			rc = outbox_show_cmd(c, args->pdata[1]);
		g_ptr_array_unref(args);
		return rc;
	}
	if (rc == 0 && args->len && strcmp(args->pdata[0], "list") != 0 &&
	    strcmp(args->pdata[0], "flush") != 0)
		rc = cli_usage_error("outbox: unknown subcommand '%s'", (char *)args->pdata[0]);
	else if (rc == 0 && args->len > 1)
		rc = cli_usage_error("outbox %s: unexpected argument '%s'",
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
		return cli_store_failed(c, "outbox list", err);
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
		cli_print_json(o);
	} else {
		printf("%-6s %-8s %-20s %-10s %-5s %-20s %-30s %s\n", "ID", "STATUS", "EVENT",
		    "TICKET", "TRIES", "NEXT_TRY", "RECIPIENTS", "LAST_ERROR");
		for (guint i = 0; i < rows->len; i++) {
			const struct pd_outbox_row *r = rows->pdata[i];
			char *rc_s, *next = cli_time_text(r->next_try), *last, *joined;

			if (r->rcpts) {
				g_ptr_array_add(r->rcpts, NULL);
				joined = g_strjoinv(",", (char **)r->rcpts->pdata);
				g_ptr_array_remove_index(r->rcpts, r->rcpts->len - 1);
			} else
				joined = NULL;
			rc_s = cli_clean(joined, 30);
			last = cli_clean(r->last_error, 80);
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

int
cli_cmd_stats(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *pairs;
	char *err = NULL;

	rc = cli_parse_args("stats", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("stats: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (store_stats(c->ctx.store, &pairs, &err) < 0)
		return cli_store_failed(c, "stats", err);
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
		cli_print_json(o);
	} else
		for (guint i = 0; i + 1 < pairs->len; i += 2)
			printf("%s %s\n", (char *)pairs->pdata[i], (char *)pairs->pdata[i + 1]);
	g_ptr_array_unref(pairs);
	return 0;
}

/* vacuum: the bytes of mail sent more than limits.keep_sent ago are
 * dropped (as the daemon's timers do), long text stored before it was
 * kept deflated is deflated, then the file is rebuilt and its free
 * pages go back to the file system. */
int
cli_cmd_vacuum(struct cli *c, int argc, char **argv)
{
	const struct opt opts[] = { { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	gint64 before, after, now = util_now();
	char *err = NULL;
	int rc, pruned = 0, packed = 0;

	rc = cli_parse_args("vacuum", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("vacuum: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	/* and the text stored before long text was kept deflated is */
	if (store_begin(c->ctx.store, &err) < 0 || (c->cfg->limits.keep_sent > 0 &&
	    store_outbox_prune(c->ctx.store, now - c->cfg->limits.keep_sent, &pruned,
	    &err) < 0) || store_text_repack(c->ctx.store, &packed, &err) < 0 ||
	    store_commit(c->ctx.store, &err) < 0) {
		store_rollback(c->ctx.store);
		return cli_store_failed(c, "vacuum", err);
	}
	if (store_vacuum(c->ctx.store, &before, &after, &err) < 0)
		return cli_store_failed(c, "vacuum", err);
	printf("vacuum: %d sent mail%s' bytes dropped, %d text%s deflated; database %"
	    G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " bytes\n", pruned, pruned == 1 ? "" : "s",
	    packed, packed == 1 ? "" : "s", before, after);
	return 0;
}

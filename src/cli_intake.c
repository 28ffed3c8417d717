/* cli_intake.c: the commands that take mail in: deliver (one mail
 * from the MTA), import (an mbox or a Maildir) and quarantine (list,
 * show, retry what intake kept aside). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli_private.h"
#include "config.h"
#include "import.h"
#include "intake.h"
#include "json.h"
#include "log.h"
#include "parser.h"
#include "store.h"
#include "util.h"

static const char *
env_recipient(void)
{
	const char *r = getenv("ORIGINAL_RECIPIENT");

	if (r == NULL || *r == '\0')
		r = getenv("RECIPIENT");
	return r && *r ? r : NULL;
}

/* The envelope sender: --sender or -f (Postfix pipe(8) with
 * "-f ${sender}", Exim's $sender_address), else $SENDER when the MTA's
 * local delivery agent set it beside $RECIPIENT (Postfix local(8),
 * qmail-local); NULL when unknown. */
static const char *
env_sender(const char *opt)
{
	if (opt != NULL)
		return opt;
	if (getenv("RECIPIENT") != NULL)
		return getenv("SENDER");
	return NULL;
}

static void
print_outcome(const char *prefix, const struct pd_intake_result *r)
{
	char *ref = cli_clean(r->ref, 40);

	printf("%s%s %s", prefix, ref, intake_outcome_name(r->outcome));
	if (r->outcome == OUT_QUARANTINED && r->detail) {
		char *d = cli_clean(r->detail, 200);

		printf(": %s", d);
		g_free(d);
	}
	putchar('\n');
	g_free(ref);
}

/* A deliver process reads the whole WAL on opening the database
 * (store.h), and a mail adds 0.25 MB (4 KB pages) to 0.65 MB (16 KB
 * pages) to it: a checkpoint every three to eight mails.  callgrind
 * and strace over 30 delivers, 16 KB pages, WAL 4 / 2 / 1 MB: 17.2 /
 * 15.9 / 15.3 M instructions, 3.8 / 2.9 / 2.6 MB read, 3.2 / 3.9 / 4.9
 * fsyncs a mail. */
#define DELIVER_WAL_BYTES	(2 * 1024 * 1024)

/* The MTA's view: 0 when the mail is ours now (whatever became of it),
 * 75 so that it tries again later. */
int
cli_cmd_deliver(struct cli *c, int argc, char **argv)
{
	const char *mailbox = NULL, *sender = NULL, *f = NULL;
	const struct opt opts[] = { { "--mailbox", &mailbox, NULL },
	    { "--sender", &sender, NULL }, { "-f", &f, NULL }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	struct pd_intake_result res;
	struct pd_source src;
	GByteArray *data;
	char *err = NULL, *envelope;
	size_t max;
	int rc, too_big;

	rc = cli_parse_args("deliver", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("deliver: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	/* The MTA bounces on 78 (Postfix: 5.3.5), so a broken config or
	 * database here would bounce every customer's mail: 75, and the
	 * MTA keeps the mail until it is fixed. */
	c->intake = 1;
	log_info_to_syslog();
	if ((rc = cli_open(c)) != 0) {
		if (rc != EX_TEMPFAIL)
			log_warnx("deliver: temporary failure (exit %d): the MTA keeps the "
			    "mail and retries", EX_TEMPFAIL);
		return EX_TEMPFAIL;
	}
	if (mailbox && config_mailbox_by_name(c->cfg, mailbox) == NULL) {
		log_warnx("deliver: unknown mailbox '%s' (temporary failure: the MTA "
		    "retries)", mailbox);
		return EX_TEMPFAIL;
	}
	/* one mail in this process: no pattern JIT, a short WAL */
	util_set_regex_jit(0);
	store_set_wal_checkpoint(c->ctx.store, DELIVER_WAL_BYTES);

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
	src.mta_retries = 1;
	src.mailbox = mailbox;
	src.recipient = env_recipient();
	/* "" and "<>" are the null sender, never to be answered (RFC 3834) */
	envelope = util_addr_normalize(env_sender(sender ? sender : f));
	src.sender = envelope;
	src.size = too_big ? (gint64)max + 1 : 0;
	memset(&res, 0, sizeof res);
	rc = intake_process(&c->ctx, data->data, data->len, &src, &res, &err);
	g_byte_array_unref(data);
	g_free(envelope);
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

/* A mail sent to the parser child whose result is not taken in yet. */
struct import_held {
	GByteArray	*raw;		/* NULL: none held */
	char		*where;
	gint64		 size;
	int		 sent;		/* parser_send took it: receive its result */
	struct pd_parsed parsed;
};

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
	struct import_held held;	/* pipelining through the parser child */
	GPtrArray	*kept;		/* struct import_kept *: the open batch's mails */
	gsize		 kept_bytes;
	gint64		 counts0[OUT_QUARANTINED + 1];	/* at the batch's start */
	gint64		 mails0;
};

/* A mail of the open batch, to take in again should the batch be lost
 * (store_set_no_savepoint): its bytes, and how the child's parse ended
 * when that was not a message (the reason to quarantine it with, never
 * parsed again here). */
struct import_kept {
	GBytes	*raw;
	gint64	 size;
	char	*where;
	int	 prc;
	char	*perr;
};

static void
kept_free(gpointer p)
{
	struct import_kept *k = p;

	g_bytes_unref(k->raw);
	g_free(k->where);
	g_free(k->perr);
	g_free(k);
}

/* Mails per bulk transaction, without a savepoint each (a mail that
 * fails half way makes the batch be taken in again with them), and the
 * spool is synced once per batch instead of once per file.  A batch
 * keeps its mails' bytes for that: at most IMPORT_BATCH_BYTES. */
#define IMPORT_BATCH	500
#define IMPORT_BATCH_BYTES	(32 * 1024 * 1024)

/* Commit the open batch, if any.  0 ok, -1 with run->error set. */
static int
import_commit(struct import_run *run)
{
	char *err = NULL;

	if (run->batch == 0)
		return 0;
	run->batch = 0;
	g_ptr_array_set_size(run->kept, 0);
	run->kept_bytes = 0;
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

static int import_take(struct import_run *, const char *data, size_t len, gint64 size,
    const char *where, struct pd_parsed *pre);

/* The batch was lost (a mail failed half way without a savepoint): roll
 * it back and take its mails in again, each in its own savepoint, those
 * the child had parsed parsed here again (they parsed before; those it
 * could not parse keep the child's reason); then savepoints for the
 * rest of the run. */
static int
import_replay(struct import_run *run)
{
	struct pd_ctx *ctx = &run->c->ctx;
	struct pd_parser *parser = ctx->parser;
	GPtrArray *kept = run->kept;
	int rc = 0;

	log_warnx("import: a mail failed half way: the last %u mails are taken in again, "
	    "one savepoint each", kept->len);
	store_rollback(ctx->store);
	store_set_no_savepoint(ctx->store, 0);
	run->batch = 0;
	memcpy(run->counts, run->counts0, sizeof run->counts);
	run->mails = run->mails0;
	run->kept = g_ptr_array_new_with_free_func(kept_free);
	run->kept_bytes = 0;
	ctx->parser = NULL;
	for (guint i = 0; i < kept->len && rc == 0; i++) {
		struct import_kept *k = kept->pdata[i];
		struct pd_parsed pre = { k->prc, NULL, g_strdup(k->perr) };
		gsize len;
		const char *d = g_bytes_get_data(k->raw, &len);

		rc = import_take(run, d, len, k->size, k->where,
		    k->prc == PARSE_OK ? NULL : &pre);
		g_free(pre.error);
	}
	ctx->parser = parser;
	g_ptr_array_unref(kept);
	return rc;
}

/* Take one mail in, parsed here or (pre) by the parser child. */
static int
import_take(struct import_run *run, const char *data, size_t len, gint64 size,
    const char *where, struct pd_parsed *pre)
{
	struct pd_store *st = run->c->ctx.store;
	struct pd_intake_result res;
	struct pd_source src;
	char *err = NULL;
	int rc;

	memset(&src, 0, sizeof src);
	src.kind = "import";
	src.mailbox = run->mailbox;
	src.no_mail = run->no_mail;
	src.size = size > (gint64)len ? size : 0;
	memset(&res, 0, sizeof res);
	if (run->batch == 0) {
		if (store_begin(st, &err) < 0) {
			run->error = g_strdup_printf("%s: %s", where, err ? err : "unknown error");
			g_free(err);
			return 1;
		}
		run->batch = 1;
		memcpy(run->counts0, run->counts, sizeof run->counts);
		run->mails0 = run->mails;
	}
	{
		struct import_kept *k = g_new0(struct import_kept, 1);

		k->raw = g_bytes_new(data, len);
		k->size = size;
		k->where = g_strdup(where);
		k->prc = pre ? pre->rc : PARSE_OK;
		k->perr = pre && pre->rc != PARSE_OK ? g_strdup(pre->error) : NULL;
		g_ptr_array_add(run->kept, k);
		run->kept_bytes += len;
	}
	rc = pre ? intake_process_parsed(&run->c->ctx, data, len, &src, pre, &res, &err) :
	    intake_process(&run->c->ctx, data, len, &src, &res, &err);
	if (store_batch_lost(st)) {
		g_free(err);
		intake_result_clear(&res);
		return import_replay(run);
	}
	if (rc < 0) {
		run->error = g_strdup_printf("%s: %s", where, err ? err : "unknown error");
		g_free(err);
		return 1;
	}
	if ((++run->batch > IMPORT_BATCH || run->kept_bytes > IMPORT_BATCH_BYTES) &&
	    import_commit(run) < 0)
		return 1;
	if ((int)res.outcome >= 0 && res.outcome <= OUT_QUARANTINED)
		run->counts[res.outcome]++;
	run->mails++;
	if (run->c->verbose && !run->tty) {
		char *w = cli_clean(where, 200);
		char *prefix = g_strdup_printf("%s: ", w);

		print_outcome(prefix, &res);
		g_free(prefix);
		g_free(w);
	}
	intake_result_clear(&res);
	return 0;
}

static void
held_clear(struct import_held *h)
{
	if (h->raw)
		g_byte_array_unref(h->raw);
	g_free(h->where);
	if (h->parsed.msg)
		message_free(h->parsed.msg);
	g_free(h->parsed.error);
	memset(h, 0, sizeof *h);
}

/* The mail held (sent to the parser child, or refused by it) is taken
 * in: its result received, then, when next is given, that mail sent
 * before the held one is stored, so the child parses it meanwhile. */
static int
held_take(struct import_run *run, const struct import_mail *next)
{
	struct pd_parser *parser = run->c->ctx.parser;
	struct import_held *h = &run->held;
	struct import_held n;
	int rc = 0;

	if (h->sent)
		h->parsed.rc = parser_receive(parser, &h->parsed.msg, &h->parsed.error);
	memset(&n, 0, sizeof n);
	if (next) {
		struct pd_parse_limits lim;

		intake_parse_limits(run->c->cfg, &lim);
		n.parsed.rc = parser_send(parser, next->data, next->len, &lim,
		    &n.parsed.error);
		n.sent = n.parsed.rc == PARSE_OK;
		n.raw = g_byte_array_sized_new((guint)next->len);
		g_byte_array_append(n.raw, (const guint8 *)next->data, (guint)next->len);
		n.where = g_strdup(next->where);
		n.size = next->size;
	}
	if (h->raw)
		rc = import_take(run, (const char *)h->raw->data, h->raw->len, h->size,
		    h->where, &h->parsed);
	held_clear(h);
	*h = n;
	return rc;
}

static int
import_one(const struct import_mail *m, void *user)
{
	struct import_run *run = user;
	int rc;

	if (m->error) {
		if (run->tty)
			fputc('\n', stderr);
		log_warnx("import: %s: %s", m->where, m->error);
		run->unreadable++;
		return 0;
	}
	if (run->c->ctx.parser)
		rc = held_take(run, m);
	else
		rc = import_take(run, m->data, m->len, m->size, m->where, NULL);
	if (rc == 0)
		import_progress(run, m->done, m->total, 0);
	return rc;
}

int
cli_cmd_import(struct cli *c, int argc, char **argv)
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

	rc = cli_parse_args("import", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = cli_usage_error("import: missing PATH (an mbox file or a Maildir)");
	else if (rc == 0 && args->len > 1)
		rc = cli_usage_error("import: unexpected argument '%s'", (char *)args->pdata[1]);
	path = rc == 0 ? args->pdata[0] : NULL;
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		log_warnx("import: %s: %s", path, g_strerror(ENOENT));
		return EX_NOINPUT;
	}
	c->intake = 1;
	log_info_to_syslog();	/* a line per mail: the mail log, not the progress bar */
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (mailbox && config_mailbox_by_name(c->cfg, mailbox) == NULL)
		return cli_usage_error("import: unknown mailbox '%s'", mailbox);

	memset(&run, 0, sizeof run);
	run.kept = g_ptr_array_new_with_free_func(kept_free);
	store_set_no_savepoint(c->ctx.store, 1);
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
	if (rc == 0 && run.held.raw && held_take(&run, NULL) != 0)
		rc = 1;
	held_clear(&run.held);
	/* What was taken in stays, also when a temporary failure stopped it. */
	if (import_commit(&run) < 0 && rc == 0)
		rc = 1;
	store_set_no_savepoint(c->ctx.store, 0);
	g_ptr_array_unref(run.kept);
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

static int
parse_id(const char *cmd, const char *s, gint64 *id_r)
{
	char *end;

	errno = 0;
	*id_r = g_ascii_strtoll(s, &end, 10);
	if (!g_ascii_isdigit(*s) || *end != '\0' || errno != 0 || *id_r <= 0)
		return cli_usage_error("%s: '%s' is not a quarantine ID", cmd, s);
	return 0;
}

static int
quarantine_list(struct cli *c, int json)
{
	GPtrArray *rows;
	char *err = NULL;

	if (store_quarantine_list(c->ctx.store, NULL, &rows, &err) < 0)
		return cli_store_failed(c, "quarantine list", err);
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
		cli_print_json(o);
	} else {
		printf("%-6s %-20s %-7s %-8s %-30s %s\n", "ID", "AT", "STATE", "SOURCE",
		    "FROM", "REASON");
		for (guint i = 0; i < rows->len; i++) {
			const struct pd_quarantined *q = rows->pdata[i];
			char *at = cli_time_text(q->at), *from = cli_clean(q->from_addr, 30);
			char *why = cli_clean(q->reason, 60), *src = cli_clean(q->source, 8);

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
		return cli_store_failed(c, "quarantine show", err);
	if (rc == 0) {
		log_warnx("quarantine show: no quarantined mail #%" G_GINT64_FORMAT, id);
		return EX_DATAERR;
	}
	rc = store_raw_get(c->ctx.store, q->raw_sha256, &raw, &err);
	if (rc <= 0) {
		log_warnx("quarantine show: %s", rc < 0 ? err : "raw mail missing");
		g_free(err);
		store_quarantine_free(q);
		return EX_IOERR;
	}
	why = cli_clean(q->reason, 500);
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

	if (store_raw_get(c->ctx.store, q->raw_sha256, &raw, &err) <= 0) {
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
		return cli_store_failed(c, "quarantine retry", err);
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
		return cli_store_failed(c, "quarantine retry", err);
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
			return cli_store_failed(c, "quarantine retry", err);
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
		return cli_store_failed(c, "quarantine retry", err);
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

int
cli_cmd_quarantine(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new();
	const char *sub = "list", *arg = NULL;
	gint64 id = 0;

	rc = cli_parse_args("quarantine", argc, argv, opts, args);
	if (rc == 0 && args->len)
		sub = args->pdata[0];
	if (rc == 0 && strcmp(sub, "list") == 0) {
		if (args->len > 1)
			rc = cli_usage_error("quarantine list: unexpected argument '%s'",
			    (char *)args->pdata[1]);
	} else if (rc == 0 && (strcmp(sub, "show") == 0 || strcmp(sub, "retry") == 0)) {
		if (args->len < 2)
			rc = cli_usage_error("quarantine %s: missing ID%s", sub,
			    sub[0] == 'r' ? " (or all)" : "");
		else if (args->len > 2)
			rc = cli_usage_error("quarantine %s: unexpected argument '%s'", sub,
			    (char *)args->pdata[2]);
		else
			arg = args->pdata[1];
		if (rc == 0 && sub[0] == 's')
			rc = parse_id("quarantine show", arg, &id);
	} else if (rc == 0)
		rc = cli_usage_error("quarantine: unknown subcommand '%s'", sub);
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

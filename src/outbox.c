/* outbox.c: the outbox table to the SMTP server: a batch shares a few
 * sessions (smtp.connections), each row committed once its server answered. */
#include <string.h>

#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "smtp.h"
#include "util.h"

#define FLUSH_BATCH	500
#define ROWS_PER_SESSION 8	/* due mails that make another session worth it */

/* Whether the last try reached the server: the log tells each change
 * once, not every try. */
static int smtp_down;

gint64
outbox_retry_delay(int tries)
{
	static const gint64 delays[] = { 60, 300, 900, 3600 };

	if (tries < 1)
		return delays[0];
	if (tries <= (int)G_N_ELEMENTS(delays))
		return delays[tries - 1];
	return 3600;
}

/* Mails to staff never cause another mail about their own failure. */
static int
event_to_staff(const char *event)
{
	static const char *const staff_events[] = { "staff_new_ticket",
	    "staff_customer_reply", "ticket_assigned", "ticket_escalated", "sla_warning",
	    "sla_breached", "command_error", "delivery_failed", NULL };

	return g_strv_contains(staff_events, event);
}

/* A recipient given up on: on the ticket for the staff to see. */
static int
record_failure(struct pd_ctx *ctx, const struct pd_outbox_row *row, const char *addr,
    const char *why, gint64 now, char **error_r)
{
	struct pd_stored_message sm = { 0 };
	struct pd_ticket *t = NULL;
	char *text;
	gint64 mid;
	int rc = 0;

	if (row->ticket_id == 0)
		return 0;
	text = g_strdup_printf("Mail to %s (%s) could not be delivered: %s", addr, row->event,
	    why);
	sm.ticket_id = row->ticket_id;
	sm.kind = "system";
	sm.date = now;
	sm.subject = "";
	sm.body = text;
	sm.class = "delivery";
	if (store_message_add(ctx->store, &sm, &mid, error_r) < 0 ||
	    store_event_add(ctx->store, row->ticket_id, now, "postdesk", "delivery_failed",
	    text, error_r) < 0)
		rc = -1;
	if (rc == 0 && !event_to_staff(row->event) &&
	    store_ticket_get(ctx->store, row->ticket_id, &t, error_r) == 1) {
		struct pd_event_mail m = { 0 };
		int queued;

		m.message = text;
		m.extra_name = "reason";
		m.extra_value = why;
		rc = notify_event(ctx, "delivery_failed", t, &m, now, &queued, error_r);
	}
	store_ticket_free(t);
	g_free(text);
	return rc;
}

/* One line per recipient and try: what happened to this mail? */
static void
rcpt_log(const struct pd_outbox_row *row, const char *addr, const char *what,
    const char *code, const char *why)
{
	char *a = util_printable(addr, 200), *w = why ? util_printable(why, 200) : NULL;

	log_info("outbox %s: %s %s, ref %s, mail %" G_GINT64_FORMAT " <%s>%s%s%s%s",
	    row->event, what, a, row->ticket_ref ? row->ticket_ref : "-", row->id,
	    row->message_id, *code ? " " : "", code, w ? ": " : "", w ? w : "");
	g_free(a);
	g_free(w);
}

/* Record one try of row, inside a transaction. */
static int
record_try(struct pd_ctx *ctx, const struct pd_outbox_row *row,
    const struct pd_smtp_result *res, gint64 now, struct pd_flush_stats *fs,
    char **error_r)
{
	int tries = row->tries + 1, left = 0, sent = 0, failed = 0;
	int too_old = now - row->created_at >= ctx->cfg->smtp.give_up;
	GHashTable *got = g_hash_table_new(g_str_hash, g_str_equal);
	const char *status;
	gint64 next;

	for (guint i = 0; res->rcpts && i < res->rcpts->len; i++) {
		struct pd_rcpt_result *r = res->rcpts->pdata[i];
		g_hash_table_insert(got, r->addr, r);
	}
	for (guint i = 0; i < row->rcpts->len; i++) {
		const char *addr = row->rcpts->pdata[i];
		struct pd_rcpt_result *r = g_hash_table_lookup(got, addr);
		const char *st = "queued", *why = NULL;
		char code[16] = "";

		if (r && r->code)
			g_snprintf(code, sizeof code, "%d", r->code);
		if (r && r->code >= 500)
			st = "failed", why = r->text;
		else if (r && r->code >= 400)
			st = "queued", why = r->text;
		else if (res->ok)
			st = "sent";
		else if (res->permanent)
			st = "failed", why = res->error;
		if (strcmp(st, "queued") == 0 && too_old) {
			st = "failed";
			why = "gave up after smtp.give_up of temporary failures";
		}
		if (store_outbox_rcpt_set(ctx->store, row->id, addr, st, *code ? code : NULL,
		    error_r) < 0)
			goto fail;
		rcpt_log(row, addr, strcmp(st, "queued") == 0 ? "deferred" : st, code, why);
		if (strcmp(st, "failed") == 0) {
			failed++;
			if (record_failure(ctx, row, addr, why ? why : "refused", now,
			    error_r) < 0)
				goto fail;
		} else if (strcmp(st, "sent") == 0)
			sent++;
		else
			left++;
	}
	if (left) {
		status = "queued";
		next = now + outbox_retry_delay(tries);
		fs->deferred++;
	} else if (sent) {
		status = "sent";
		next = row->next_try;
		fs->sent++;
	} else {
		status = "failed";
		next = row->next_try;
		fs->failed++;
	}
	g_hash_table_destroy(got);
	return store_outbox_update(ctx->store, row->id, status, tries, next,
	    res->ok && !left && !failed ? NULL : (res->error ? res->error : "some recipients refused"),
	    now, error_r);
fail:
	g_hash_table_destroy(got);
	return -1;
}

/* Held mail whose rate-limit window has passed goes out (SPEC 3). */
static int
release_due(struct pd_ctx *ctx, char **error_r)
{
	int n;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if (store_outbox_release_due(ctx->store, util_now(), &n, error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	if (n > 0)
		log_info("outbox: %d held mail%s released: the rate limit's window has passed",
		    n, n == 1 ? "" : "s");
	return 0;
}

int
outbox_flush_now(struct pd_ctx *ctx, struct pd_flush_stats *fs, char **error_r)
{
	int n;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if (store_outbox_due_all(ctx->store, util_now(), &n, error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	if (n > 0)
		log_info("outbox flush: %d waiting mail%s tried now", n, n == 1 ? "" : "s");
	smtp_down = 0;	/* a person asked: say what happens */
	return outbox_flush(ctx, 0, fs, error_r);
}

/* Make row's bytes and start sending them: 1 started; 0 when it is
 * done already (*res says why: nothing left to send to, or the mail
 * cannot be made). */
static int
row_start(struct pd_ctx *ctx, struct pd_smtp *smtp, struct pd_outbox_row *row,
    struct pd_smtp_result *res)
{
	const void *raw;
	char *why = NULL, *w;
	gsize len;

	if (row->rcpts->len == 0) {
		/* Nothing left to send to: close the row. */
		*res = (struct pd_smtp_result){ .ok = 1 };
		return 0;
	}
	if (outbox_render(ctx, row->id, &row->raw, &why) < 0) {
		/* A broken template or a lost spool file: this mail waits
		 * (retried, given up after smtp.give_up), the others go. */
		w = util_printable(why, 300);
		log_warnx("outbox %s: mail %" G_GINT64_FORMAT " <%s> cannot be made: %s",
		    row->event, row->id, row->message_id, w);
		*res = (struct pd_smtp_result){ .code = 451 };
		res->error = g_strdup_printf("cannot be made: %s", w);
		g_free(w);
		g_free(why);
		return 0;
	}
	raw = g_bytes_get_data(row->raw, &len);
	if (smtp_start(smtp, row->mail_from, row->rcpts, raw, len, row) < 0) {
		/* Not reached: the caller starts only on a free session. */
		*res = (struct pd_smtp_result){ .error = g_strdup("no free SMTP session") };
		return 0;
	}
	return 1;
}

/* Commit what happened to row, in a transaction of its own: a crash
 * resends at most the mails in flight.  *down_r set when no server
 * answered (with the delay the mails left should wait). */
static int
row_finish(struct pd_ctx *ctx, struct pd_outbox_row *row, struct pd_smtp_result *res,
    struct pd_flush_stats *fs, gint64 *down_r, char **error_r)
{
	gint64 now = util_now();

	g_clear_pointer(&row->raw, g_bytes_unref);
	if (store_begin(ctx->store, error_r) < 0 ||
	    record_try(ctx, row, res, now, fs, error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		smtp_result_clear(res);
		return -1;
	}
	if (!res->ok && res->code == 0) {
		/* No server answered: the rest waits with the mail just
		 * tried, rather than hammer a dead server. */
		if (!smtp_down) {
			char *e = util_printable(res->error, 300);
			log_warnx("smtp %s: %s; mail waits", ctx->cfg->smtp.url, e);
			g_free(e);
		}
		smtp_down = 1;
		if (*down_r == 0)
			*down_r = now + outbox_retry_delay(row->tries + 1);
	} else if (smtp_down) {
		log_info("smtp %s: reachable again", ctx->cfg->smtp.url);
		smtp_down = 0;
	}
	smtp_result_clear(res);
	return 0;
}

/* Sessions for a batch of n mails: one for a few mails, up to
 * smtp.connections for many (as Postfix's slow start). */
static int
batch_width(const struct pd_ctx *ctx, guint n)
{
	int w = (int)((n + ROWS_PER_SESSION - 1) / ROWS_PER_SESSION);

	return CLAMP(w, 1, MAX(ctx->cfg->smtp.connections, 1));
}

/* Send one batch, keeping up to width mails in flight; each row is
 * committed when its server has answered.  After a try no server
 * answered, nothing more starts and *down_r is set. */
static int
flush_batch(struct pd_ctx *ctx, struct pd_smtp *smtp, GPtrArray *rows,
    struct pd_flush_stats *fs, int *done, gint64 *down_r, char **error_r)
{
	int width = batch_width(ctx, rows->len);
	struct pd_smtp_result res;
	guint next = 0;
	void *tag;

	for (;;) {
		while (*down_r == 0 && next < rows->len && smtp_busy(smtp) < width) {
			struct pd_outbox_row *row = rows->pdata[next++];

			if (row_start(ctx, smtp, row, &res))
				continue;
			if (row_finish(ctx, row, &res, fs, down_r, error_r) < 0)
				return -1;
			(*done)++;
		}
		if (smtp_wait(smtp, &tag, &res) == 0)
			break;
		if (row_finish(ctx, tag, &res, fs, down_r, error_r) < 0)
			return -1;
		(*done)++;
	}
	return 0;
}

int
outbox_flush(struct pd_ctx *ctx, int limit, struct pd_flush_stats *fs, char **error_r)
{
	struct pd_smtp *smtp = NULL;
	gint64 down = 0;
	int done = 0;

	memset(fs, 0, sizeof *fs);
	if (release_due(ctx, error_r) < 0)
		return -1;
	/* A "sent" mark lost with the machine means one mail sent twice,
	 * never one lost: not worth an fsync per mail. */
	if (store_set_durable(ctx->store, 0, error_r) < 0)
		return -1;
	while (down == 0 && (limit == 0 || done < limit)) {
		GPtrArray *rows;
		int batch = limit ? MIN(FLUSH_BATCH, limit - done) : FLUSH_BATCH;

		if (store_outbox_due(ctx->store, util_now(), batch, &rows, error_r) < 0)
			goto fail;
		if (rows->len == 0) {
			g_ptr_array_unref(rows);
			break;
		}
		/* libcurl (and the TLS libraries it starts) only once a mail
		 * is due: an idle daemon never maps their pages in */
		if (smtp == NULL && smtp_open(ctx->cfg, ctx->cfg->smtp.connections, &smtp,
		    error_r) < 0) {
			g_ptr_array_unref(rows);
			goto fail;
		}
		if (flush_batch(ctx, smtp, rows, fs, &done, &down, error_r) < 0) {
			/* Mails in flight go back to wait, before their bytes go. */
			smtp_close(smtp);
			smtp = NULL;
			g_ptr_array_unref(rows);
			goto fail;
		}
		g_ptr_array_unref(rows);
	}
	smtp_close(smtp);
	if (down && store_outbox_defer_due(ctx->store, util_now(), down, error_r) < 0) {
		store_set_durable(ctx->store, 1, NULL);
		return -1;
	}
	if (store_set_durable(ctx->store, 1, error_r) < 0)
		return -1;
	return store_outbox_count_waiting(ctx->store, &fs->waiting, error_r);
fail:
	smtp_close(smtp);
	store_set_durable(ctx->store, 1, NULL);
	return -1;
}

/* timers.c: the clock of SPEC 7.  SLA warnings at 75 % of the
 * resolution time, breaches at 100 %, auto-close of resolved tickets.
 *
 * Each ticket's change, the system message that records it and the
 * mails it causes are one transaction, and the condition is checked
 * again inside it: a crash repeats nothing and misses nothing.
 *
 * "Told once" is kept in the sla_warned / sla_breached columns; the
 * store finds what is due with indexed queries, so a run reads only
 * the tickets that need something. */
#include <string.h>

#include "log.h"
#include "lookup.h"
#include "store.h"
#include "ticket.h"
#include "timers.h"
#include "util.h"

#define SLA_WARN_NUM	3	/* warning at 3/4 of the resolution time */
#define SLA_WARN_DEN	4

enum sla_step { STEP_NONE, STEP_WARN, STEP_BREACH, STEP_FIRST };

/* The lifecycle event of each step (ticket.c says what it does). */
static const enum pd_event step_event[] = {
	[STEP_WARN] = TEV_SLA_WARNING, [STEP_BREACH] = TEV_SLA_BREACH,
	[STEP_FIRST] = TEV_SLA_FIRST_LATE,
};

static int
is_active(const struct pd_ticket *t)
{
	int st = ticket_status_from_name(t->status);

	return st >= 0 && ticket_status_active((enum pd_status)st) && t->merged_into == 0;
}

static gint64
warn_at(const struct pd_ticket *t)
{
	gint64 span = t->resolution_due - t->created_at;

	if (span <= 0)
		return t->resolution_due;
	return t->created_at + span * SLA_WARN_NUM / SLA_WARN_DEN;
}

/* What is due for an active ticket at now, before looking at what was
 * already told. */
static enum sla_step
sla_due(const struct pd_ticket *t, gint64 now)
{
	if (!is_active(t) || t->resolution_due <= 0)
		return STEP_NONE;
	if (now >= t->resolution_due)
		return STEP_BREACH;
	if (now >= warn_at(t))
		return STEP_WARN;
	return STEP_NONE;
}

/* Is step due for t at now and not yet told? */
static int
step_pending(enum sla_step step, const struct pd_ticket *t, gint64 now)
{
	switch (step) {
	case STEP_WARN:
		return sla_due(t, now) == STEP_WARN && !t->sla_warned;
	case STEP_BREACH:
		return sla_due(t, now) == STEP_BREACH && !t->sla_breached;
	case STEP_FIRST:
		return is_active(t) && t->first_response_at == 0 && !t->sla_first_breached &&
		    t->first_response_due > 0 && now >= t->first_response_due;
	default:
		return 0;
	}
}

/* End a step's transaction: rolled back on failure, else committed;
 * a failed commit means the step did not happen (*done_r 0). */
static int
tx_end(struct pd_ctx *ctx, int rc, int *done_r, char **error_r)
{
	if (rc < 0)
		store_rollback(ctx->store);
	else if (store_commit(ctx->store, error_r) < 0) {
		*done_r = 0;
		rc = -1;
	}
	return rc;
}

/* One SLA step for one ticket, in its own transaction, checked again
 * inside it.  *done_r is 1 when it was told now. */
static int
sla_step(struct pd_ctx *ctx, gint64 id, gint64 now, enum sla_step step, int *done_r,
    char **error_r)
{
	struct pd_ticket *t = NULL;
	struct pd_change c = { 0 };
	char *due = NULL;
	int rc;

	*done_r = 0;
	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if ((rc = store_ticket_get(ctx->store, id, &t, error_r)) <= 0)
		goto out;
	rc = 0;
	if (!step_pending(step, t, now))
		goto out;
	due = util_rfc3339(step == STEP_FIRST ? t->first_response_due : t->resolution_due);
	c.event = step_event[step];
	c.actor = "postdesk";
	c.detail = due;
	if ((rc = ticket_apply(ctx, t, &c, now, done_r, NULL, error_r)) == 0 && *done_r)
		log_info("%s: %s", t->ref, ticket_event_name(c.event));
out:
	rc = tx_end(ctx, rc, done_r, error_r);
	g_free(due);
	store_ticket_free(t);
	return rc;
}

static int
autoclose_due(const struct pd_ctx *ctx, const struct pd_ticket *t, gint64 now)
{
	return strcmp(t->status, "resolved") == 0 && t->resolved_at > 0 &&
	    now - t->resolved_at >= ctx->cfg->limits.autoclose_after;
}

/* Close one resolved ticket and tell the customer, in one transaction. */
static int
autoclose_one(struct pd_ctx *ctx, gint64 id, gint64 now, int *closed_r, char **error_r)
{
	struct pd_ticket *t = NULL;
	struct pd_change c = { 0 };
	int rc;

	*closed_r = 0;
	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if ((rc = store_ticket_get(ctx->store, id, &t, error_r)) <= 0)
		goto out;
	rc = 0;
	if (!autoclose_due(ctx, t, now))
		goto out;
	c.event = TEV_AUTO_CLOSE;
	c.actor = "postdesk";
	if ((rc = ticket_apply(ctx, t, &c, now, closed_r, NULL, error_r)) == 0 && *closed_r)
		log_info("%s: closed automatically", t->ref);
out:
	rc = tx_end(ctx, rc, closed_r, error_r);
	store_ticket_free(t);
	return rc;
}

int
timers_run(struct pd_ctx *ctx, struct pd_timer_stats *ts, char **error_r)
{
	gint64 now = util_now();
	GArray *warn, *breach, *close, *first = NULL;
	int rc = -1;

	memset(ts, 0, sizeof *ts);
	if (store_timers_due(ctx->store, now, SLA_WARN_NUM, SLA_WARN_DEN,
	    ctx->cfg->limits.autoclose_after, &warn, &breach, &close, error_r) < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		GArray *ids = pass == 0 ? breach : warn;
		for (guint i = 0; i < ids->len; i++) {
			int done;
			if (sla_step(ctx, g_array_index(ids, gint64, i), now,
			    pass == 0 ? STEP_BREACH : STEP_WARN, &done, error_r) < 0)
				goto out;
			*(pass == 0 ? &ts->breached : &ts->warned) += done;
		}
	}
	for (guint i = 0; i < close->len; i++) {
		int closed;
		if (autoclose_one(ctx, g_array_index(close, gint64, i), now, &closed,
		    error_r) < 0)
			goto out;
		ts->closed += closed;
	}
	if (store_timers_first_due(ctx->store, now, &first, error_r) < 0)
		goto out;
	if (ctx->cfg->limits.keep_sent > 0) {
		if (store_begin(ctx->store, error_r) < 0)
			goto out;
		if (store_outbox_prune(ctx->store, now - ctx->cfg->limits.keep_sent,
		    &ts->pruned, error_r) < 0 || store_commit(ctx->store, error_r) < 0) {
			store_rollback(ctx->store);
			goto out;
		}
	}
	for (guint i = 0; i < first->len; i++) {
		int done;
		if (sla_step(ctx, g_array_index(first, gint64, i), now, STEP_FIRST, &done,
		    error_r) < 0)
			goto out;
		ts->first_late += done;
	}
	/* the status page's lookup form only records; the answers go here */
	if (lookup_run(ctx, &ts->lookups, error_r) < 0)
		goto out;
	rc = 0;
out:
	if (first)
		g_array_unref(first);
	g_array_unref(warn);
	g_array_unref(breach);
	g_array_unref(close);
	return rc;
}

/* Only future due times count: whatever is due now was handled by the
 * timers_run just before (or failed, and is tried again at the cap). */
gint64
timers_next(struct pd_ctx *ctx)
{
	gint64 now = util_now(), next, wait;
	char *err = NULL;

	if (store_timers_next(ctx->store, now, SLA_WARN_NUM, SLA_WARN_DEN,
	    ctx->cfg->limits.autoclose_after, &next, &err) < 0) {
		g_free(err);
		return 60;
	}
	if (next == 0)
		return 60;
	wait = next - now;
	return wait < 1 ? 1 : wait > 60 ? 60 : wait;
}

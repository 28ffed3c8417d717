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

#include "hours.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "timers.h"
#include "util.h"

#define SLA_WARN_NUM	3	/* warning at 3/4 of the resolution time */
#define SLA_WARN_DEN	4

enum sla_step { STEP_NONE, STEP_WARN, STEP_BREACH, STEP_FIRST };

/* What each step tells, to whom, and which flag records it. */
static const struct {
	const char	*event;		/* template, system message class, event */
	const char	*what;
	int		 admins;	/* admins are told too */
} steps[] = {
	[STEP_WARN] = { "sla_warning", "SLA warning: 75 % of the resolution time has passed",
	    0 },
	[STEP_BREACH] = { "sla_breached", "SLA breached: the resolution time has passed", 1 },
	[STEP_FIRST] = { "sla_first_response", "SLA: no first response by its due time", 0 },
};

static const char *const active_statuses[] = { "open", "in_progress", "waiting",
    "on_hold" };

static int
is_active(const struct pd_ticket *t)
{
	for (size_t i = 0; i < G_N_ELEMENTS(active_statuses); i++)
		if (strcmp(t->status, active_statuses[i]) == 0)
			return t->merged_into == 0;
	return 0;
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

static char *
marker_text(enum sla_step step, const struct pd_ticket *t)
{
	char *when = util_rfc3339(step == STEP_FIRST ? t->first_response_due :
	    t->resolution_due);
	char *s = g_strdup_printf("%s (%s due %s)", steps[step].what,
	    step == STEP_FIRST ? "first response" : "resolution", when);

	g_free(when);
	return s;
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

static void
add_unique(GPtrArray *to, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return;
	for (guint i = 0; i < to->len; i++)
		if (g_ascii_strcasecmp(to->pdata[i], addr) == 0)
			return;
	g_ptr_array_add(to, g_strdup(addr));
}

/* The assignee, else the queue's staff; on a breach all admins too. */
static GPtrArray *
sla_recipients(const struct pd_config *cfg, const struct pd_ticket *t, int admins)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	const struct pd_queue *q = config_queue_by_name(cfg, t->queue);

	if (t->assignee && *t->assignee)
		add_unique(to, t->assignee);
	else if (q)
		for (guint i = 0; i < q->staff->len; i++)
			add_unique(to, q->staff->pdata[i]);
	for (guint i = 0; admins && i < cfg->staff->len; i++) {
		const struct pd_staff *s = cfg->staff->pdata[i];
		if (s->admin)
			add_unique(to, s->email);
	}
	return to;
}

static int
system_note(struct pd_ctx *ctx, gint64 ticket_id, const char *cls, const char *text,
    gint64 now, char **error_r)
{
	struct pd_stored_message sm = { 0 };
	gint64 row;

	sm.ticket_id = ticket_id;
	sm.kind = "system";
	sm.date = now;
	sm.subject = "";
	sm.body = (char *)text;
	sm.class = (char *)cls;
	return store_message_add(ctx->store, &sm, &row, error_r);
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
	struct pd_notice n = { 0 };
	const struct pd_staff *agent;
	const char *cls = steps[step].event;
	GPtrArray *to = NULL;
	char *text = NULL;
	int queued, rc;

	*done_r = 0;
	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if ((rc = store_ticket_get(ctx->store, id, &t, error_r)) <= 0)
		goto out;
	rc = 0;
	if (!step_pending(step, t, now))
		goto out;
	rc = -1;
	text = marker_text(step, t);
	to = sla_recipients(ctx->cfg, t, steps[step].admins);
	agent = t->assignee ? config_staff_by_email(ctx->cfg, t->assignee) : NULL;
	n.event = cls;
	n.ticket = t;
	n.to = to;
	n.customer_name = t->customer_name ? t->customer_name : t->customer_email;
	n.agent_name = agent ? agent->name : NULL;
	n.message = text;
	n.is_auto = 1;
	n.staff = 1;
	if (notify_queue(ctx, &n, now, &queued, error_r) < 0 ||
	    system_note(ctx, t->id, cls, text, now, error_r) < 0 ||
	    store_event_add(ctx->store, t->id, now, "postdesk", cls, text, error_r) < 0 ||
	    (step != STEP_FIRST && store_ticket_set_int(ctx->store, t->id, "sla_warned", 1,
	    now, error_r) < 0) ||
	    (step == STEP_BREACH && store_ticket_set_int(ctx->store, t->id,
	    "sla_breached", 1, now, error_r) < 0) ||
	    (step == STEP_FIRST && store_ticket_set_int(ctx->store, t->id,
	    "sla_first_breached", 1, now, error_r) < 0))
		goto out;
	log_info("%s: %s", t->ref, text);
	*done_r = 1;
	rc = 0;
out:
	rc = tx_end(ctx, rc, done_r, error_r);
	if (to)
		g_ptr_array_unref(to);
	g_free(text);
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
	struct pd_notice n = { 0 };
	GPtrArray *to = NULL;
	int queued, rc;

	*closed_r = 0;
	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if ((rc = store_ticket_get(ctx->store, id, &t, error_r)) <= 0)
		goto out;
	rc = 0;
	if (!autoclose_due(ctx, t, now))
		goto out;
	rc = -1;
	if (store_ticket_set(ctx->store, t->id, "status", "closed", now, error_r) < 0 ||
	    store_ticket_set_int(ctx->store, t->id, "closed_at", now, now, error_r) < 0 ||
	    store_event_add(ctx->store, t->id, now, "postdesk", "status",
	    "status: resolved -> closed (auto-close)", error_r) < 0)
		goto out;
	g_free(t->status);
	t->status = g_strdup("closed");
	t->closed_at = now;
	to = g_ptr_array_new_with_free_func(g_free);
	if (t->customer_email)
		g_ptr_array_add(to, g_strdup(t->customer_email));
	n.event = "ticket_closed";
	n.ticket = t;
	n.to = to;
	n.customer_name = t->customer_name ? t->customer_name : t->customer_email;
	n.is_auto = 1;
	if (notify_queue(ctx, &n, now, &queued, error_r) < 0)
		goto out;
	log_info("%s: closed automatically", t->ref);
	*closed_r = 1;
	rc = 0;
out:
	rc = tx_end(ctx, rc, closed_r, error_r);
	if (to)
		g_ptr_array_unref(to);
	store_ticket_free(t);
	return rc;
}

int
timers_set_priority(struct pd_ctx *ctx, const struct pd_ticket *t, const char *priority,
    gint64 now, char **error_r)
{
	const struct pd_queue *q = config_queue_by_name(ctx->cfg, t->queue);
	const struct pd_sla *sla = q ? config_sla_for(ctx->cfg, q) : NULL;
	int p = priority_from_name(priority);
	struct pd_store *st = ctx->store;

	if (p < 0) {
		*error_r = g_strdup_printf("unknown priority '%s'", priority);
		return -1;
	}
	if (store_ticket_set(st, t->id, "priority", priority, now, error_r) < 0)
		return -1;
	if (sla == NULL)
		return 0;
	if (store_ticket_set_int(st, t->id, "first_response_due",
	    hours_add(ctx->cfg, t->created_at, sla->first[p]), now, error_r) < 0 ||
	    store_ticket_set_int(st, t->id, "resolution_due",
	    hours_add(ctx->cfg, t->created_at, sla->resolve[p]), now, error_r) < 0 ||
	    store_ticket_set_int(st, t->id, "sla_warned", 0, now, error_r) < 0 ||
	    store_ticket_set_int(st, t->id, "sla_breached", 0, now, error_r) < 0 ||
	    store_ticket_set_int(st, t->id, "sla_first_breached", 0, now, error_r) < 0)
		return -1;
	return 0;
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

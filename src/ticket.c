/* ticket.c: the lifecycle machine of ticket.h.
 *
 * rows[] is the machine: for each event and each status it applies in,
 * the new status, the timestamps besides those of the status change,
 * the record's text and the mails in order.  What entering a status
 * means is the same for every event and lives in enter_stamps() and
 * enter_mail(): resolved sets resolved_at and sends the rating link,
 * closed sets closed_at and says so, an active status after a done one
 * clears both and says the ticket is reopened, any other change by
 * staff sends status_changed. */
#include <string.h>

#include "ctx.h"
#include "hours.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"

const char *const ticket_status_names[ST_COUNT + 1] = {
	"open", "in_progress", "waiting", "on_hold", "resolved", "closed", NULL
};
const char *const ticket_priority_names[PRIO_COUNT + 1] = {
	"low", "normal", "high", "urgent", NULL
};
static const char *const event_names[TEV_COUNT] = {
	"create", "customer_reply", "auto_reply", "staff_reply", "staff_note",
	"staff_status", "cli_set", "priority", "escalate", "assign", "web_close", "csat",
	"sla_warning", "sla_breach", "sla_first_late", "auto_close", "merge", "reopen_late"
};

#define S(x)		(1u << (x))
#define ACTIVE		(S(ST_OPEN) | S(ST_IN_PROGRESS) | S(ST_WAITING) | S(ST_ON_HOLD))
#define DONE		(S(ST_RESOLVED) | S(ST_CLOSED))
#define ANY		(ACTIVE | DONE)
#define TO_SAME		(-1)
#define TO_TARGET	(-2)		/* the caller's target status */
#define ENTRY		"*"
#define ROW_SYSTEM	0x10000		/* in stamps: the text is a system message too */		/* in mails[]: the status's own mail, if any */

/* Which status mail entering the new status sends. */
enum entry_policy {
	ENTRY_ALL,	/* every status change tells the customer */
	ENTRY_DONE,	/* only resolved and closed (a relayed reply says the rest) */
	ENTRY_NONE	/* the customer's own doing: nothing */
};

static const struct row {
	enum pd_event	 ev;
	unsigned	 from;		/* S(status) mask */
	int		 to;		/* a status, TO_SAME or TO_TARGET */
	unsigned	 stamps;	/* TS_* besides those of the status change */
	enum entry_policy entry;
	const char	*kind;		/* record kind when the status stays */
	const char	*text;		/* its text; %D detail, %P %Q priorities */
	const char	*change;	/* text when the status changes; %F %T statuses */
	const char	*mails[RULE_MAILS_MAX];
} rows[] = {
	{ TEV_CREATE, S(ST_OPEN), TO_SAME, 0, ENTRY_NONE, NULL, NULL, NULL,
	    { "ticket_created", "staff_new_ticket" } },
	{ TEV_CUSTOMER_REPLY, S(ST_OPEN) | S(ST_IN_PROGRESS) | S(ST_ON_HOLD), TO_SAME, 0,
	    ENTRY_NONE, NULL, NULL, NULL, { "staff_customer_reply" } },
	{ TEV_CUSTOMER_REPLY, S(ST_WAITING), ST_OPEN, 0, ENTRY_NONE, NULL, NULL, NULL,
	    { "staff_customer_reply" } },
	{ TEV_CUSTOMER_REPLY, DONE, ST_OPEN, 0, ENTRY_ALL, NULL, NULL, NULL,
	    { ENTRY, "staff_customer_reply" } },
	{ TEV_AUTO_REPLY, ANY, TO_SAME, 0, ENTRY_NONE, NULL, NULL, NULL, { NULL } },
	{ TEV_STAFF_REPLY, ANY, TO_TARGET, TS_FIRST_RESPONSE, ENTRY_DONE, NULL, NULL, NULL,
	    { "staff_reply", ENTRY } },
	{ TEV_STAFF_NOTE, ANY, TO_SAME, 0, ENTRY_NONE, NULL, NULL, NULL, { NULL } },
	{ TEV_STAFF_STATUS, ANY, TO_TARGET, 0, ENTRY_ALL, NULL, NULL, NULL, { ENTRY } },
	{ TEV_CLI_SET, ANY, TO_TARGET, 0, ENTRY_ALL, NULL, NULL, NULL, { ENTRY } },
	{ TEV_PRIORITY, ANY, TO_SAME, TS_SLA_DUE, ENTRY_NONE, "priority",
	    "priority: %P -> %Q", NULL, { NULL } },
	{ TEV_ESCALATE, ANY, TO_SAME, TS_SLA_DUE, ENTRY_NONE, "escalate",
	    "escalated: %D (priority: %P -> %Q)", NULL, { "ticket_escalated" } },
	{ TEV_ASSIGN, ANY, TO_SAME, 0, ENTRY_NONE, "assign", "assignee: %D", NULL,
	    { "ticket_assigned" } },
	{ TEV_WEB_CLOSE, ANY & ~S(ST_CLOSED), ST_CLOSED, 0, ENTRY_ALL, NULL, NULL,
	    "status: %F -> %T (by the customer on the status page)", { ENTRY } },
	{ TEV_CSAT, DONE, TO_SAME, 0, ENTRY_NONE, "csat", "rating %D", NULL, { NULL } },
	{ TEV_SLA_WARNING, ACTIVE, TO_SAME, TS_SLA_WARNED | ROW_SYSTEM, ENTRY_NONE, "sla_warning",
	    "SLA warning: 75 % of the resolution time has passed (resolution due %D)", NULL,
	    { "sla_warning" } },
	{ TEV_SLA_BREACH, ACTIVE, TO_SAME, TS_SLA_WARNED | TS_SLA_BREACHED | ROW_SYSTEM, ENTRY_NONE,
	    "sla_breached", "SLA breached: the resolution time has passed (resolution due "
	    "%D)", NULL, { "sla_breached" } },
	{ TEV_SLA_FIRST_LATE, ACTIVE, TO_SAME, TS_SLA_FIRST | ROW_SYSTEM, ENTRY_NONE,
	    "sla_first_response", "SLA: no first response by its due time (first response "
	    "due %D)", NULL, { "sla_first_response" } },
	{ TEV_AUTO_CLOSE, S(ST_RESOLVED), ST_CLOSED, 0, ENTRY_ALL, NULL, NULL,
	    "status: %F -> %T (auto-close)", { ENTRY } },
	{ TEV_MERGE, ANY, ST_CLOSED, 0, ENTRY_NONE, "merge", "merged into %D",
	    "status: %F -> %T (merged into %D)", { NULL } },
	{ TEV_REOPEN_LATE, DONE, TO_SAME, 0, ENTRY_NONE, "followed",
	    "a reply after the reopen window opened %D", NULL, { NULL } },
};

const char *
ticket_status_name(enum pd_status s)
{
	return (int)s >= 0 && s < ST_COUNT ? ticket_status_names[s] : NULL;
}

int
ticket_status_from_name(const char *s)
{
	for (int i = 0; s && i < ST_COUNT; i++)
		if (strcmp(s, ticket_status_names[i]) == 0)
			return i;
	return -1;
}

const char *
ticket_priority_name(enum pd_priority p)
{
	return (int)p >= 0 && p < PRIO_COUNT ? ticket_priority_names[p] : "normal";
}

int
ticket_priority_from_name(const char *s)
{
	for (int i = 0; s && i < PRIO_COUNT; i++)
		if (g_ascii_strcasecmp(s, ticket_priority_names[i]) == 0)
			return i;
	return -1;
}

int
ticket_status_active(enum pd_status s)
{
	return (S(s) & ACTIVE) != 0;
}

const char *
ticket_event_name(enum pd_event e)
{
	return (int)e >= 0 && e < TEV_COUNT ? event_names[e] : "?";
}

/* Timestamps that entering status to from status from sets or clears. */
static unsigned
enter_stamps(enum pd_status from, enum pd_status to)
{
	if (to == ST_RESOLVED)
		return TS_RESOLVED | TS_UNCLOSE;
	if (to == ST_CLOSED)
		return TS_CLOSED;
	if (S(from) & DONE)
		return TS_UNRESOLVE | TS_UNCLOSE;
	return 0;
}

/* The customer's mail that entering status to says, or NULL. */
static const char *
enter_mail(enum entry_policy p, enum pd_status from, enum pd_status to)
{
	if (p == ENTRY_NONE || from == to)
		return NULL;
	if (to == ST_RESOLVED)
		return "ticket_resolved";
	if (to == ST_CLOSED)
		return "ticket_closed";
	if (p == ENTRY_DONE)
		return NULL;
	return S(from) & DONE ? "ticket_reopened" : "status_changed";
}

/* fmt with %F %T (statuses), %P %Q (priorities) and %D (detail); NULL
 * when it comes out empty. */
static char *
expand(const char *fmt, enum pd_status from, enum pd_status to, enum pd_priority p,
    int q, const char *detail)
{
	GString *s;

	if (fmt == NULL)
		return NULL;
	s = g_string_new(NULL);
	for (const char *c = fmt; *c; c++) {
		if (c[0] != '%' || c[1] == '\0') {
			g_string_append_c(s, *c);
			continue;
		}
		switch (*++c) {
		case 'F': g_string_append(s, ticket_status_names[from]); break;
		case 'T': g_string_append(s, ticket_status_names[to]); break;
		case 'P': g_string_append(s, ticket_priority_name(p)); break;
		case 'Q': g_string_append(s, ticket_priority_name(q < 0 ? p :
		    (enum pd_priority)q)); break;
		case 'D': g_string_append(s, detail ? detail : ""); break;
		default: g_string_append_c(s, '%'); g_string_append_c(s, *c); break;
		}
	}
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

int
ticket_rule(enum pd_status from, enum pd_event event, int target, enum pd_priority prio,
    const char *detail, struct pd_rule *r)
{
	const struct row *w = NULL;
	int n = 0;

	if ((int)from < 0 || from >= ST_COUNT)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(rows) && w == NULL; i++)
		if (rows[i].ev == event && (rows[i].from & S(from)))
			w = &rows[i];
	if (w == NULL)
		return 0;
	memset(r, 0, sizeof *r);
	r->new_priority = -1;
	if (w->to == TO_SAME)
		r->to = from;
	else if (w->to == TO_TARGET) {
		if (target < 0 && event == TEV_STAFF_REPLY)
			target = ST_WAITING;
		if (target < 0 || target >= ST_COUNT)
			return 0;
		r->to = (enum pd_status)target;
	} else
		r->to = (enum pd_status)w->to;
	if (event == TEV_PRIORITY) {
		if (target < 0 || target >= PRIO_COUNT)
			return 0;
		r->new_priority = target;
	} else if (event == TEV_ESCALATE)
		r->new_priority = PRIO_URGENT;
	r->stamps = w->stamps & ~ROW_SYSTEM;
	r->system = (w->stamps & ROW_SYSTEM) != 0;
	if (r->new_priority == (int)prio)
		r->stamps &= ~TS_SLA_DUE;	/* the same priority: the clock stays */
	if (r->to != from) {
		r->stamps |= enter_stamps(from, r->to);
		r->kind = "status";
		r->text = expand(w->change ? w->change : "status: %F -> %T", from, r->to, prio,
		    r->new_priority, detail);
	} else if (w->kind && !(event == TEV_PRIORITY && r->new_priority == (int)prio)) {
		r->kind = w->kind;
		r->text = expand(w->text, from, r->to, prio, r->new_priority, detail);
	}
	for (int i = 0; i < RULE_MAILS_MAX && w->mails[i]; i++) {
		const char *m = w->mails[i];

		if (strcmp(m, ENTRY) == 0 && (m = enter_mail(w->entry, from, r->to)) == NULL)
			continue;
		r->mails[n++] = m;
	}
	return 1;
}

void
ticket_rule_clear(struct pd_rule *r)
{
	g_clear_pointer(&r->text, g_free);
}

/* t from the database again, in place. */
static int
reload(struct pd_ctx *ctx, struct pd_ticket *t, char **error_r)
{
	struct pd_ticket *n = NULL, tmp;

	if (store_ticket_get(ctx->store, t->id, &n, error_r) != 1) {
		if (error_r && *error_r == NULL)
			*error_r = g_strdup("ticket vanished");
		return -1;
	}
	tmp = *t;
	*t = *n;
	*n = tmp;
	store_ticket_free(n);
	return 0;
}

/* Due times from the creation time and the priority, told flags cleared. */
static int
set_sla_due(struct pd_ctx *ctx, const struct pd_ticket *t, int p, gint64 now,
    char **error_r)
{
	const struct pd_queue *q = config_queue_by_name(ctx->cfg, t->queue);
	const struct pd_sla *sla = q ? config_sla_for(ctx->cfg, q) : NULL;
	struct pd_store *st = ctx->store;

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

/* What the status alone cannot say. */
static int
guard(const struct pd_ticket *t, enum pd_event ev)
{
	switch (ev) {
	case TEV_CSAT:
		return t->resolved_at > 0;	/* closed without being resolved: no rating */
	case TEV_SLA_WARNING:
	case TEV_SLA_BREACH:
	case TEV_SLA_FIRST_LATE:
	case TEV_AUTO_CLOSE:
		return t->merged_into == 0;
	default:
		return 1;
	}
}

static int
write_stamps(struct pd_ctx *ctx, const struct pd_ticket *t, unsigned stamps, gint64 now,
    char **error_r)
{
	static const struct { unsigned bit; const char *col; int value; } cols[] = {
		{ TS_RESOLVED, "resolved_at", 1 }, { TS_UNRESOLVE, "resolved_at", 0 },
		{ TS_CLOSED, "closed_at", 1 }, { TS_UNCLOSE, "closed_at", 0 },
		{ TS_SLA_WARNED, "sla_warned", 2 }, { TS_SLA_BREACHED, "sla_warned", 2 },
		{ TS_SLA_BREACHED, "sla_breached", 2 }, { TS_SLA_FIRST, "sla_first_breached", 2 },
	};
	struct pd_store *st = ctx->store;

	if ((stamps & TS_FIRST_RESPONSE) && t->first_response_at == 0 &&
	    store_ticket_set_int(st, t->id, "first_response_at", now, now, error_r) < 0)
		return -1;
	for (size_t i = 0; i < G_N_ELEMENTS(cols); i++) {
		if (!(stamps & cols[i].bit))
			continue;
		if (cols[i].value == 0 ? store_ticket_set(st, t->id, cols[i].col, NULL, now,
		    error_r) < 0 : store_ticket_set_int(st, t->id, cols[i].col,
		    cols[i].value == 1 ? now : 1, now, error_r) < 0)
			return -1;
	}
	return 0;
}

int
ticket_apply(struct pd_ctx *ctx, struct pd_ticket *t, const struct pd_change *c,
    gint64 now, int *applied_r, int *queued_r, char **error_r)
{
	struct pd_store *st = ctx->store;
	struct pd_rule r;
	int from = ticket_status_from_name(t->status);
	int prio = ticket_priority_from_name(t->priority);
	int rc = -1, q;

	*applied_r = 0;
	if (queued_r)
		*queued_r = 0;
	if (from < 0)
		from = ST_OPEN;
	if (prio < 0)
		prio = PRIO_NORMAL;
	if (!guard(t, c->event) || !ticket_rule((enum pd_status)from, c->event, c->target,
	    (enum pd_priority)prio, c->detail, &r))
		return 0;
	/* The status column is written every time: it touches updated_at. */
	if (store_ticket_set(st, t->id, "status", ticket_status_names[r.to], now, error_r) < 0 ||
	    write_stamps(ctx, t, r.stamps, now, error_r) < 0)
		goto out;
	if (r.new_priority >= 0 && r.new_priority != prio &&
	    (store_ticket_set(st, t->id, "priority", ticket_priority_names[r.new_priority], now,
	    error_r) < 0 || ((r.stamps & TS_SLA_DUE) && set_sla_due(ctx, t, r.new_priority,
	    now, error_r) < 0)))
		goto out;
	if (c->event == TEV_ASSIGN && store_ticket_set(st, t->id, "assignee", c->assignee,
	    now, error_r) < 0)
		goto out;
	if (r.kind && store_event_add(st, t->id, now, c->actor, r.kind, r.text, error_r) < 0)
		goto out;
	if (r.system && r.text) {
		struct pd_stored_message sm = { 0 };
		gint64 row;

		sm.ticket_id = t->id;
		sm.kind = "system";
		sm.date = now;
		sm.subject = "";
		sm.body = r.text;
		sm.class = (char *)r.kind;
		if (store_message_add(st, &sm, &row, error_r) < 0)
			goto out;
	}
	if (reload(ctx, t, error_r) < 0)
		goto out;
	*applied_r = 1;
	for (int i = 0; i < RULE_MAILS_MAX && r.mails[i]; i++) {
		if (c->no_mail)
			break;
		if (notify_event(ctx, r.mails[i], t, c->mail, now, &q, error_r) < 0)
			goto out;
		if (queued_r)
			*queued_r += q;
	}
	rc = 0;
out:
	ticket_rule_clear(&r);
	return rc;
}

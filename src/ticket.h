/* ticket.h: a ticket's lifecycle (SPEC 1, 4, 5, 7) in one place.
 *
 * The statuses and priorities with their names (the SQL CHECK of
 * sql/001_init.sql holds the same lists; tests/unit/test_ticket compares
 * them), and the machine: for every (status, event) the new status, the
 * timestamps set or cleared, the text of the event recorded and the
 * SPEC 6 mails that follow.  Every actor -- mail intake, `postdesk set`,
 * the status page, the timers, merge -- changes a ticket through
 * ticket_apply, so the same change has the same effect whoever makes it. */
#ifndef PD_TICKET_H
#define PD_TICKET_H

#include <glib.h>

enum pd_status {
	ST_OPEN, ST_IN_PROGRESS, ST_WAITING, ST_ON_HOLD, ST_RESOLVED, ST_CLOSED,
	ST_COUNT
};

enum pd_priority { PRIO_LOW, PRIO_NORMAL, PRIO_HIGH, PRIO_URGENT, PRIO_COUNT };

/* The names, in enum order, NULL-terminated. */
extern const char *const ticket_status_names[ST_COUNT + 1];
extern const char *const ticket_priority_names[PRIO_COUNT + 1];
/* "open" ...; NULL for a value out of range. */
const char *ticket_status_name(enum pd_status);
/* The status named s (exactly, lower case), or -1. */
int ticket_status_from_name(const char *s);
/* "low" ...; "normal" for a value out of range. */
const char *ticket_priority_name(enum pd_priority);
/* The priority named s (any case), or -1. */
int ticket_priority_from_name(const char *s);
/* open, in_progress, waiting, on_hold: the SLA clock runs. */
int ticket_status_active(enum pd_status);

/* What happens to a ticket. */
enum pd_event {
	TEV_CREATE,		/* a customer's mail opened it */
	TEV_CUSTOMER_REPLY,	/* a person's mail threaded onto it */
	TEV_AUTO_REPLY,		/* automatic mail threaded onto it */
	TEV_STAFF_REPLY,	/* a staff answer relayed; target: #status, or -1 */
	TEV_STAFF_NOTE,		/* an internal note */
	TEV_STAFF_STATUS,	/* #status, #close, #hold, #resolve; target */
	TEV_CLI_SET,		/* postdesk set status=; target */
	TEV_PRIORITY,		/* #priority, set priority=; target: a priority */
	TEV_ESCALATE,		/* #escalate: priority urgent, admins told */
	TEV_ASSIGN,		/* #assign, set assignee= */
	TEV_WEB_CLOSE,		/* the customer's Close on the status page */
	TEV_CSAT,		/* the customer's rating */
	TEV_SLA_WARNING,	/* 75 % of the resolution time */
	TEV_SLA_BREACH,		/* the resolution time passed */
	TEV_SLA_FIRST_LATE,	/* no first response by its due time */
	TEV_AUTO_CLOSE,		/* resolved for limits.autoclose_after */
	TEV_MERGE,		/* merged into another ticket */
	TEV_REOPEN_LATE,	/* a reply after the reopen window: a new ticket follows */
	TEV_COUNT
};

/* Timestamps and flags a rule sets or clears. */
#define TS_FIRST_RESPONSE	0x01	/* first_response_at = now, when unset */
#define TS_RESOLVED		0x02	/* resolved_at = now */
#define TS_UNRESOLVE		0x04	/* resolved_at = NULL */
#define TS_CLOSED		0x08	/* closed_at = now */
#define TS_UNCLOSE		0x10	/* closed_at = NULL */
#define TS_SLA_WARNED		0x20	/* sla_warned = 1 */
#define TS_SLA_BREACHED		0x40	/* sla_breached = 1 (and sla_warned) */
#define TS_SLA_FIRST		0x80	/* sla_first_breached = 1 */
#define TS_SLA_DUE		0x100	/* due times from the new priority, told flags cleared */

#define RULE_MAILS_MAX		3

/* The machine's answer for one (status, event, target). */
struct pd_rule {
	enum pd_status	 to;
	unsigned	 stamps;		/* TS_* */
	const char	*kind;			/* events.kind of the record, NULL: none */
	char		*text;			/* events.detail (caller frees) */
	const char	*mails[RULE_MAILS_MAX];	/* SPEC 6 events, in order; NULL ends */
	int		 new_priority;		/* TEV_PRIORITY/ESCALATE, else -1 */
	int		 system;		/* text is a system message too */
};

/* The rule for event on a ticket in status from; target is a status
 * (TEV_STAFF_STATUS, TEV_CLI_SET, TEV_STAFF_REPLY where -1 means the
 * default, waiting) or a priority (TEV_PRIORITY), else ignored; detail is
 * what the text names (the rating, the merge target, the escalation
 * reason, the SLA due time, "old -> new" for an assignment; may be NULL).
 * 1 with *r filled (ticket_rule_clear it), 0 when the event does not
 * apply in that status (a rating before resolution, an auto-close of an
 * open ticket, an SLA step of a closed one), r untouched. */
int ticket_rule(enum pd_status from, enum pd_event event, int target,
    enum pd_priority prio, const char *detail, struct pd_rule *r);
void ticket_rule_clear(struct pd_rule *r);
const char *ticket_event_name(enum pd_event);

struct pd_ctx;
struct pd_ticket;
struct pd_event_mail;

/* One change to a ticket, by one actor. */
struct pd_change {
	enum pd_event	 event;
	int		 target;	/* see ticket_rule */
	const char	*actor;		/* events.actor: an address, "cli", "customer", "postdesk" */
	const char	*detail;	/* see ticket_rule */
	const char	*assignee;	/* TEV_ASSIGN: the new assignee's email, NULL unassigns */
	const struct pd_event_mail *mail; /* the mails' context (notify.h), or NULL */
	int		 no_mail;	/* record only */
};

/*
 * Apply c to t inside the caller's transaction: the new status, the
 * timestamps, the SLA due times, the event record and the mails of the
 * rule (notify_event decides who gets them).  t is updated to match the
 * database.  0 ok (*applied_r 1, or 0 when the event does not apply, with
 * nothing done), -1 on a database or template error.  *queued_r (may be
 * NULL) counts the mails queued.
 */
int ticket_apply(struct pd_ctx *ctx, struct pd_ticket *t, const struct pd_change *c,
    gint64 now, int *applied_r, int *queued_r, char **error_r);

#endif

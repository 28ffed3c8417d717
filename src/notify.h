/* notify.h: which mails an event causes, rendered and queued in the
 * outbox within the caller's transaction (SPEC 3 rate limits, SPEC 6). */
#ifndef PD_NOTIFY_H
#define PD_NOTIFY_H

#include "ctx.h"
#include "message.h"
#include "store.h"

struct pd_notice {
	const char	*event;		/* template name */
	const struct pd_ticket *ticket;	/* or NULL */
	const struct pd_queue *queue;	/* without a ticket: whose mail it
					 * is (NULL: the first queue) */
	GPtrArray	*to;		/* char * addresses */
	const char	*customer_name;
	const char	*agent_name;	/* display name for From ("Alice via Support") */
	const char	*message;	/* {{message}} */
	const char	*extra_name;	/* one more variable (refused, reason), or NULL */
	const char	*extra_value;
	const char	*in_reply_to;	/* Message-ID answered, without <> */
	GPtrArray	*references;	/* char *, or NULL */
	GPtrArray	*attachments;	/* struct pd_attachment *, or NULL */
	int		 is_auto;	/* automatic: Auto-Submitted, per-address limit */
	int		 staff;		/* sent to staff: per-staff reply address */
};

/* The first line of every mail to staff: a reply is cut where this line
 * is (whatever the client's quoting style), so a reply never sends the
 * notification it quotes on to a customer. */
#define NOTIFY_REPLY_MARKER	"##- Please write your reply above this line -##"

/* Render and queue.  Rate limits hold a mail back (status 'held', an
 * event recorded) instead of dropping it.  0 ok (*queued_r 1 when
 * queued, 0 when held), -1 on a database or template error. */
int notify_queue(struct pd_ctx *ctx, const struct pd_notice *n, gint64 now,
    int *queued_r, char **error_r);

/* What caused an event, for its mails: every field may be NULL. */
struct pd_event_mail {
	const char	*sender;	/* the From of the mail that caused it */
	const char	*actor;		/* the staff member who acted: not told of it */
	const char	*agent_name;	/* {{agent_name}}: who acted, for From too */
	const char	*message;	/* {{message}} */
	const char	*staff_message;	/* {{message}} in mails to staff, if not that */
	const char	*extra_name;	/* one more variable (reason, refused) */
	const char	*extra_value;
	const char	*in_reply_to;	/* Message-ID answered, without <> */
	GPtrArray	*references;	/* char * */
	GPtrArray	*attachments;	/* struct pd_attachment *: sent where the event
					 * carries them (staff see the customer's,
					 * customers get what staff attach) */
	const struct pd_queue *queue;	/* no ticket: the queue whose staff are told */
	const char	*unanswered;	/* the sender is not to be answered (SPEC 3,
					 * answer only people): no mail to customers,
					 * and staff get this as {{reason}} */
	int		 on_page;	/* the customer acted on the status page and
					 * sees the result there: no mail to customers */
};

/*
 * Queue the mails of one SPEC 6 event about t (NULL only for an error
 * answered to a sender).  notify alone decides who is told:
 *   staff events: the assignee, else the queue's staff; sla_breached the
 *     admins too, ticket_escalated the admins, ticket_assigned the assignee;
 *     the staff member who acted (m->actor) is not told of their own act;
 *   the conversation (staff_reply): the customer and the participants;
 *   news of the ticket (status_changed, ticket_resolved, ticket_closed,
 *     ticket_reopened, status_link): the customer;
 *   staff_flood (no ticket): the staff of m->queue;
 *   ticket_created, attachment_refused, command_error: the sender (else
 *     the customer).
 * Duplicates (any case), empty addresses and our own addresses are left
 * out.  0 ok (*queued_r the mails queued, held ones not counted), -1 on
 * error; an unknown event is an error.
 */
int notify_event(struct pd_ctx *ctx, const char *event, const struct pd_ticket *t,
    const struct pd_event_mail *m, gint64 now, int *queued_r, char **error_r);
/* The status page link for ref: base_url?t=REF&k=KEY.  Caller frees. */
char *notify_status_url(struct pd_ctx *ctx, const char *ref);

#endif

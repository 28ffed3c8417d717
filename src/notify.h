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

/* Render and queue.  Rate limits hold a mail back (status 'held', an
 * event recorded) instead of dropping it.  0 ok (*queued_r 1 when
 * queued, 0 when held), -1 on a database or template error. */
int notify_queue(struct pd_ctx *ctx, const struct pd_notice *n, gint64 now,
    int *queued_r, char **error_r);

/* The status page link for ref: base_url?t=REF&k=KEY.  Caller frees. */
char *notify_status_url(struct pd_ctx *ctx, const char *ref);

#endif

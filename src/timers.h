/* timers.h: the clock of SPEC 7.  SLA warnings (75 % of the resolution
 * time) and breaches (100 %), auto-close of resolved tickets.  Every
 * due time and every "told" flag lives in the database, so a restart
 * misses nothing and repeats nothing.  The bytes of mail sent more
 * than limits.keep_sent ago are dropped here too.  The clock is util_now(), which
 * POSTDESK_NOW overrides for tests. */
#ifndef PD_TIMERS_H
#define PD_TIMERS_H

#include "ctx.h"

struct pd_timer_stats {
	int	 warned;
	int	 breached;
	int	 closed;
	int	 first_late;	/* first responses overdue, told */
	int	 pruned;	/* sent mails whose bytes were dropped */
	int	 lookups;	/* mails answering the status page's lookup form */
};

/* Run everything due at util_now(), each in its own transaction with
 * the mails it causes queued.  0 ok, -1 and *error_r. */
int timers_run(struct pd_ctx *ctx, struct pd_timer_stats *ts, char **error_r);
/* Seconds until the next timer is due (capped at 60). */
gint64 timers_next(struct pd_ctx *ctx);

#endif

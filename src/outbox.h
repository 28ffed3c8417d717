/* outbox.h: sending what the outbox holds (SPEC 6): each mail is sent,
 * then marked in the same breath; temporary failures are retried with
 * growing delays until smtp.give_up; permanent ones are recorded on the
 * ticket and the staff are told. */
#ifndef PD_OUTBOX_H
#define PD_OUTBOX_H

#include "ctx.h"

struct pd_flush_stats {
	int	 sent;		/* mails accepted for every recipient */
	int	 deferred;	/* tried, will be tried again */
	int	 failed;	/* given up on (5xx or too old) */
	int	 waiting;	/* still queued after the flush, due or not */
};

/* Delay before try number tries+1: 1 min, 5 min, 15 min, 1 h, then hourly. */
gint64 outbox_retry_delay(int tries);

/* The bytes of outbox mail id, the one way they are read (sending,
 * `outbox show`, tests): a row queued before rendering moved to send
 * time keeps its bytes; the others are made from their params
 * (notify_render).  0 ok (*mail_r, caller unrefs); -1 and *error_r: no
 * such mail, its bytes dropped after limits.keep_sent, a template or
 * the spool failed. */
int outbox_render(struct pd_ctx *ctx, gint64 id, GBytes **mail_r, char **error_r);

/* Send every due mail (at most limit; 0: all).  0 ok (the stats say
 * what happened), -1 and *error_r when the database failed. */
int outbox_flush(struct pd_ctx *ctx, int limit, struct pd_flush_stats *fs,
    char **error_r);

/* outbox flush (as postqueue -f): every queued mail tried now, however
 * long its backoff; the ones that fail again keep backing off. */
int outbox_flush_now(struct pd_ctx *ctx, struct pd_flush_stats *fs, char **error_r);

#endif

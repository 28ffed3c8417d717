/* lookup.h: the answers to the status page's lookup form.  The page
 * only records each request (the same work whether the address is a
 * customer's or not, so neither its answer nor its timing tells them
 * apart); the daemon's timers answer them here: a customer gets the link
 * to the list of all their tickets (and to the ticket they named), an
 * unknown address nothing. */
#ifndef PD_LOOKUP_H
#define PD_LOOKUP_H

#include "ctx.h"

#define LOOKUP_BATCH		100	/* requests answered per run */
#define LOOKUP_REPEAT		600	/* seconds: one list mail per address */
#define LOOKUP_LIST_MAX		200	/* tickets shown on one list */

/* Answer the pending requests, each in its own transaction with the
 * mails it causes.  *sent_r the mails queued.  0 ok, -1 and *error_r. */
int lookup_run(struct pd_ctx *ctx, int *sent_r, char **error_r);
/* The "my tickets" link for email, valid until expires: base_url?c=&l=.
 * Caller frees. */
char *lookup_list_url(struct pd_ctx *ctx, const char *email, gint64 expires);

#endif

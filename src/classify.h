/* classify.h: SPEC section 3, in its order. */
#ifndef PD_CLASSIFY_H
#define PD_CLASSIFY_H

#include "auth.h"
#include "config.h"
#include "message.h"
#include "token.h"

enum pd_class {
	CLASS_LOOP,		/* our own mail coming back */
	CLASS_BOUNCE,		/* DSN or feedback report */
	CLASS_AUTO,		/* automatic mail: stored, never answered */
	CLASS_HOPS,		/* too many Received headers */
	CLASS_SPAM,		/* the MTA's filter said spam */
	CLASS_STAFF,		/* authenticated staff member */
	CLASS_CUSTOMER
};


struct pd_classification {
	enum pd_class	 cls;
	const char	*reason;	/* static text: "X-Loop names us", "Precedence: bulk", ... */
	struct pd_staff	*staff;		/* CLASS_STAFF, or a staff From that failed
					 * authentication (cls CUSTOMER then) */
	enum pd_staff_auth auth;
	const char	*no_answer;	/* CLASS_CUSTOMER only: static text saying
					 * why the sender is sent nothing ("sender
					 * is a no-reply address", "DMARC failed"),
					 * or NULL: an ordinary customer */
};

/* What a spam filter asked about the mail said (spam.c). */
enum pd_filter_action {
	FILTER_NONE,		/* no verdict, or "no action" */
	FILTER_REJECT,		/* quarantine as spam */
	FILTER_SUSPECT		/* store, but answer nothing */
};

/* Classify msg.  envelope_sender is the MTA's envelope sender when the
 * source knows it ("" the null sender), else NULL.  Never fails. */
void classify(const struct pd_config *, const struct pd_secret *,
    struct pd_message *msg, const char *envelope_sender, struct pd_classification *r);
/* A spam filter's verdict, applied where SPEC 3 puts spam: after loop,
 * bounce, automatic mail and hops.  reason is static text. */
void classify_apply_filter(struct pd_classification *r, enum pd_filter_action action,
    const char *reason);
const char *classify_name(enum pd_class);	/* "loop", "bounce", "auto", ... */

/* The individual tests, exposed for tests and for intake. */
int classify_is_auto(struct pd_message *msg, const char **reason_r);
int classify_is_spam(const struct pd_config *, struct pd_message *msg, const char **reason_r);
enum pd_staff_auth classify_staff_auth(const struct pd_config *, const struct pd_secret *,
    struct pd_message *msg, const struct pd_staff *staff);

#endif

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
};

/* Classify msg.  Never fails. */
void classify(const struct pd_config *, const struct pd_secret *,
    struct pd_message *msg, struct pd_classification *r);
const char *classify_name(enum pd_class);	/* "loop", "bounce", "auto", ... */

/* The individual tests, exposed for tests and for intake. */
int classify_is_auto(struct pd_message *msg, const char **reason_r);
int classify_is_spam(const struct pd_config *, struct pd_message *msg, const char **reason_r);
enum pd_staff_auth classify_staff_auth(const struct pd_config *, const struct pd_secret *,
    struct pd_message *msg, const struct pd_staff *staff);

#endif

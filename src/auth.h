/* auth.h: is a mail from a staff address really from that staff member
 * (SPEC 5 "Authentication")?  Only what our own mail system wrote
 * counts; everything else in a header is the sender's. */
#ifndef PD_AUTH_H
#define PD_AUTH_H

#include "config.h"
#include "message.h"
#include "token.h"

enum pd_staff_auth {
	AUTH_NONE,
	AUTH_DKIM,		/* trusted Authentication-Results dkim=pass, header.d aligned */
	AUTH_SPF,		/* trusted Authentication-Results spf=pass, smtp.mailfrom aligned */
	AUTH_TOKEN,		/* reply to the per-staff tokenized address */
	AUTH_TRUST_FROM,	/* auth.trust_from = true */
	AUTH_SUBMISSION,	/* our MTA's login: Postfix's "(Authenticated sender: X)"
				 * or a trusted "auth=pass smtp.auth=X" */
	AUTH_DMARC		/* trusted dmarc=pass, header.from the staff domain */
};

/* How strongly the mail is known to come from staff (who must be the
 * From's staff member).  Never fails; AUTH_NONE when nothing proves it. */
enum pd_staff_auth auth_staff(const struct pd_config *, const struct pd_secret *,
    struct pd_message *msg, const struct pd_staff *staff);

/* The values of the Authentication-Results and ARC-Authentication-Results
 * headers our own MTA added (above the hop where it received the mail,
 * from auth.authserv_id), topmost first; NULL-terminated, free with
 * g_strfreev.  Empty when authserv_id is empty. */
char **auth_trusted_results(const struct pd_config *, struct pd_message *msg);

/* The same headers' whole values (an ARC one without its "i=N;"), for
 * parsers of their own (classify.c); NULL-terminated, g_strfreev. */
char **auth_trusted_headers(const struct pd_config *, struct pd_message *msg);

/* Index (among all top-level headers) of the Received header of the hop
 * where our mail system took the mail from outside: the topmost Received
 * that is not one of our own hops (with LMTP, with no "from" clause, or
 * between two auth.internal_hosts).  -1 when there is none. */
int auth_entry_hop(const struct pd_config *, struct pd_message *msg);

/* The name of an auth result for logs: "DKIM pass", "SMTP login"... */
const char *auth_name(enum pd_staff_auth);

#endif

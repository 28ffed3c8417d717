/* bounce.h: delivery status notifications and feedback reports.
 * Reads RFC 3464 reports and the many non-standard bounces of real MTAs
 * (Postfix, Exim, qmail, Exchange, Gmail, SES...). */
#ifndef PD_BOUNCE_H
#define PD_BOUNCE_H

#include <glib.h>
#include "message.h"

struct pd_bounce_rcpt {
	char	*recipient;	/* normalized address, or NULL when unknown */
	char	*status;	/* "5.1.1"; NULL when none could be found */
	int	 reply_code;	/* 550; 0 when unknown */
	char	*diagnostic;	/* one line, UTF-8, or NULL */
	char	*action;	/* the DSN's Action: "failed", "delayed",
				 * "delivered", "relayed", "expanded"; NULL
				 * when the report gave none (a text bounce) */
	int	 permanent;	/* a failure with status 5.x.x or reply code
				 * 5xx; never for a delay or a success */
};

struct pd_bounce {
	int	 feedback;	/* an ARF feedback report (abuse), not a bounce */
	GPtrArray *rcpts;	/* struct pd_bounce_rcpt * */
	GPtrArray *message_ids;	/* char *, without <>: Message-IDs of the
				 * returned mail (message/rfc822 or
				 * text/rfc822-headers part, or quoted in the
				 * body), in the order found */
};

/* 1 when msg is a bounce or feedback report (SPEC 3 step 2), by
 * structure first: multipart/report with report-type delivery-status or
 * feedback-report, any message/delivery-status or
 * message/feedback-report part; then by wording (English, German,
 * French, Spanish, Italian, Portuguese, Dutch, Japanese, Chinese...)
 * for a null sender or From MAILER-DAEMON/postmaster and the usual
 * non-standard forms.  envelope_sender as for classify(). */
int bounce_detect(struct pd_message *msg, const char *envelope_sender);
/* What it says.  Never NULL; free with bounce_free. */
struct pd_bounce *bounce_parse(struct pd_message *msg);
void bounce_free(struct pd_bounce *);

#endif

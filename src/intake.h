/* intake.h: the one pipeline every source calls (SPEC 2-5).
 * Raw bytes in; parse, classify, thread, store and queue the mails the
 * event causes, all in one transaction. */
#ifndef PD_INTAKE_H
#define PD_INTAKE_H

#include <glib.h>

#include "config.h"
#include "ctx.h"
#include "message.h"
#include "store.h"

struct pd_source {
	const char	*kind;		/* "deliver" "import" "imap" "maildir" "lmtp"
					 * "retry" */
	const char	*mailbox;	/* configured mailbox name, or NULL */
	guint32		 uidvalidity;	/* IMAP only, else 0 */
	guint32		 uid;
	const char	*recipient;	/* envelope recipient if known, or NULL */
	const char	*sender;	/* envelope sender if known ("" the null
					 * sender), or NULL: Return-Path counts */
	gint64		 size;		/* the real size when raw was cut at the
					 * message size limit, else 0 */
	int		 force;		/* quarantine retry: skip the seen check */
	int		 no_mail;	/* record only: queue no mail (an import
					 * of old mail must not answer it) */
	int		 mta_retries;	/* deliver: a temporary failure is tried
					 * again, so a mail that kills the parser
					 * is one; the retry quarantines it */
	/* The status page ("web"): a mail composed from a form. */
	gint64		 ticket_id;	/* the ticket the signed page names: the
					 * mail goes there, never threaded elsewhere */
	const struct pd_staff *staff;	/* the agent the web server signed in:
					 * the mail is theirs (CLASS_STAFF) */
	const char	*commands;	/* that agent's #command block, apart from
					 * the text (never read for commands) */
	int		 on_page;	/* the customer wrote on the page and sees
					 * the answer there: no mail to customers */
};

enum pd_outcome {
	OUT_NEW,		/* a new ticket */
	OUT_THREADED,		/* added to a ticket */
	OUT_DUPLICATE,		/* seen before: nothing done */
	OUT_BOUNCE,		/* recorded on the ticket it names */
	OUT_LOOP,		/* our own mail came back: event recorded */
	OUT_QUARANTINED		/* kept with a reason */
};

struct pd_intake_result {
	enum pd_outcome	 outcome;
	char		*ref;		/* ticket ref, or NULL */
	char		*detail;	/* reason for quarantine, class, ... */
	int		 queued;	/* outbox rows queued */
};

/* Take one mail in.  0 when it is recorded (whatever the outcome);
 * -1 with *error_r on a temporary failure (database busy, disk full):
 * nothing was recorded and the source must try again (exit 75). */
int intake_process(struct pd_ctx *ctx, const void *raw, size_t len,
    const struct pd_source *src, struct pd_intake_result *r, char **error_r);
/* What the parser child made of a mail (parser.h): rc an enum
 * pd_parse_rc, msg with PARSE_OK, error otherwise. */
struct pd_parsed {
	int			 rc;
	struct pd_message	*msg;
	char			*error;
};
/* intake_process for a mail the caller had parsed (parser_send and
 * parser_receive: import stores mail N while the child parses mail
 * N+1), inside the caller's transaction.  Takes pre's msg and error. */
int intake_process_parsed(struct pd_ctx *ctx, const void *raw, size_t len,
    const struct pd_source *src, struct pd_parsed *pre, struct pd_intake_result *r,
    char **error_r);
void intake_result_clear(struct pd_intake_result *);
const char *intake_outcome_name(enum pd_outcome);

/* Parse limits from the config; cfg NULL: the defaults (config.h DEF_*,
 * every attachment type allowed), for tests and fuzzers. */
void intake_parse_limits(const struct pd_config *cfg, struct pd_parse_limits *lim);

#endif

/* thread.h: which ticket a mail belongs to (SPEC 4, first match wins). */
#ifndef PD_THREAD_H
#define PD_THREAD_H

#include "ctx.h"
#include "message.h"

enum pd_thread_how {
	THREAD_NONE,		/* a new ticket */
	THREAD_REF,		/* [TKT-0042] in the subject */
	THREAD_REPLY,		/* In-Reply-To / References */
	THREAD_PLUS		/* support+TKT-0042@ */
};

/* Find the ticket for msg.  *ticket_id_r 0 when none.  is_staff skips
 * the sender check.  *answers_ours_r set when the mail answers one of
 * our own Message-IDs (valid MAC).  0 ok, -1 database error. */
int thread_find(struct pd_ctx *ctx, struct pd_message *msg, const char *envelope_rcpt,
    int is_staff, gint64 *ticket_id_r, enum pd_thread_how *how_r, char **error_r);

/* The first [PREFIX-NNNN] tag in subject, upper-cased, or NULL. */
char *thread_subject_ref(const char *subject, const char *prefix);
/* Subject without "Re:", "Fwd:", "AW:", ... prefixes and our [REF] tag. */
char *thread_clean_subject(const char *subject, const char *prefix);
const char *thread_how_name(enum pd_thread_how);

#endif

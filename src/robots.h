/* robots.h: "answer only people" (RFC 3834 section 2, SPEC 3).
 *
 * One table in robots.c lists every sign that a mail was written by a
 * program or sent in bulk, with a comment per row saying why it counts.
 * A sign has one of two effects:
 *
 *   ROBOT_AUTO      automatic mail (SPEC 3 step 3): stored and threaded,
 *                   never causes any mail (no acknowledgement, no staff
 *                   notification), never reopens or opens a ticket;
 *   ROBOT_NOANSWER  a robot or bulk sender: stored as customer mail and
 *                   shown to staff with the reason, but its sender is
 *                   sent nothing (no acknowledgement, no notice).
 *
 * AUTO wins over NOANSWER when a mail shows both. */
#ifndef PD_ROBOTS_H
#define PD_ROBOTS_H

#include "message.h"

enum robot_effect {
	ROBOT_NONE,
	ROBOT_AUTO,
	ROBOT_NOANSWER
};

struct robot_verdict {
	enum robot_effect effect;
	const char	*reason;	/* static: "sender is a mailing list (List-Id)" */
};

/* Look msg over.  envelope_sender is the MTA's envelope sender when the
 * source knows it (`deliver --sender`), "" for the null sender, NULL
 * when unknown (the Return-Path header is used then).  Never fails. */
void robots_check(struct pd_message *msg, const char *envelope_sender,
    struct robot_verdict *v);

/* 1 when subject is one of the exact out-of-office / auto-reply forms
 * ("Out of Office: ...", "Automatic reply: ...", "Abwesenheitsnotiz:
 * ...", "自動応答", ...), not merely a subject that starts with such a
 * word ("Vacation rental problem" is a customer's). */
int robots_ooo_subject(const char *subject);

/* 1 when the local part of addr is a robot's (MAILER-DAEMON, postmaster,
 * owner-*, *-request, noreply, ...); *reason_r then says which. */
int robots_sender(const char *addr, const char **reason_r);

#endif

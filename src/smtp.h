/* smtp.h: SMTP sessions through libcurl (SMTP, SMTPS, STARTTLS, AUTH),
 * reused for a batch of mails; up to n of them carry a mail at once
 * (curl's multi interface, one thread). */
#ifndef PD_SMTP_H
#define PD_SMTP_H

#include <glib.h>
#include "config.h"

struct pd_smtp;

struct pd_rcpt_result {
	char	*addr;
	int	 code;		/* the server's reply to RCPT TO, 0 if none */
	char	*text;		/* that reply, one line */
};

struct pd_smtp_result {
	int	 ok;		/* the server accepted the mail for some recipients */
	int	 permanent;	/* failure is 5xx: do not retry */
	int	 code;		/* last reply code, 0 when no server answered */
	char	*error;		/* one line, when not ok */
	GPtrArray *rcpts;	/* struct pd_rcpt_result *, in the order sent */
};

/* At most n sessions at once.  0 ok; -1 and *error_r (an unreadable
 * password_file). */
int smtp_open(const struct pd_config *cfg, int n, struct pd_smtp **s_r, char **error_r);
/* Sessions free for smtp_start, and mails in flight. */
int smtp_idle(const struct pd_smtp *s);
int smtp_busy(const struct pd_smtp *s);
/* Start sending raw from from to rcpts (char *) on a free session; raw
 * and rcpts must stay until smtp_wait gives tag back.  0 ok, -1 when
 * every session is busy. */
int smtp_start(struct pd_smtp *s, const char *from, GPtrArray *rcpts, const void *raw,
    size_t len, void *tag);
/* Wait until one mail in flight is finished: 1, its *tag_r and *res
 * (always filled); 0 when none is in flight. */
int smtp_wait(struct pd_smtp *s, void **tag_r, struct pd_smtp_result *res);
void smtp_result_clear(struct pd_smtp_result *res);
/* Mails still in flight are dropped (they wait in the outbox). */
void smtp_close(struct pd_smtp *s);

#endif

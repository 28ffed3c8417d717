/* smtp.h: one SMTP session through libcurl (SMTP, SMTPS, STARTTLS,
 * AUTH), reused for a batch of mails. */
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

/* 0 ok; -1 and *error_r (an unreadable password_file). */
int smtp_open(const struct pd_config *cfg, struct pd_smtp **s_r, char **error_r);
/* Send raw from from to rcpts (char *).  Always fills *res. */
void smtp_send(struct pd_smtp *s, const char *from, GPtrArray *rcpts, const void *raw,
    size_t len, struct pd_smtp_result *res);
void smtp_result_clear(struct pd_smtp_result *res);
void smtp_close(struct pd_smtp *s);

#endif

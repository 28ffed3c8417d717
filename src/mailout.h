/* mailout.h: outgoing mail built with GMime, never by concatenating
 * user data into header text. */
#ifndef PD_MAILOUT_H
#define PD_MAILOUT_H

#include <glib.h>
#include "message.h"

struct pd_mail_out {
	const char	*from_name;	/* "Alice via Support", or NULL */
	const char	*from_addr;	/* the queue address */
	const char	*reply_to;	/* or NULL */
	GPtrArray	*to;		/* struct pd_addr * */
	GPtrArray	*cc;		/* struct pd_addr *, or NULL */
	const char	*subject;	/* UTF-8, the full subject */
	const char	*text;		/* UTF-8 */
	const char	*html;		/* UTF-8 or NULL */
	const char	*message_id;	/* ours, without <> */
	const char	*in_reply_to;	/* without <>, or NULL */
	GPtrArray	*references;	/* char *, without <>, or NULL */
	int		 is_auto;	/* Auto-Submitted: auto-replied */
	int		 human;		/* a person wrote it (a relayed staff reply):
					 * no Auto-Submitted, no X-Auto-Response-Suppress */
	const char	*x_loop;	/* X-Loop value (our address) */
	GPtrArray	*attachments;	/* struct pd_attachment * with data, or NULL */
	gint64		 date;
};

/* The RFC 822 bytes of m (CRLF line ends).  Caller frees with
 * g_byte_array_unref. */
GByteArray *mailout_build(const struct pd_mail_out *m);
/* Its two ways, for the tests: GMime's object tree, and plain mail
 * written directly (1 and *raw_r; 0 when m is not plain).  The same
 * bytes for plain mail. */
GByteArray *mailout_build_gmime(const struct pd_mail_out *m);
int mailout_build_direct(const struct pd_mail_out *m, GByteArray **raw_r);

#endif

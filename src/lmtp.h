/* lmtp.h: the LMTP server of postdeskd (RFC 2033), the way an MTA hands
 * mail to a mail store.  Each connection runs in a thread of its own (a
 * worker that then serves the next one) with its own struct pd_ctx, and
 * hands every mail to intake once per accepted recipient, in group
 * commits shared by the connections; a recipient's reply is written only
 * after its mail's commit, so "250" means the mail is committed and
 * "451 4.3.0" means nothing of it was kept and the MTA must try again.
 *
 * The server knows nothing of the daemon: the daemon gives it hooks to
 * open and close a connection's context and to hear that mail was
 * stored (to wake the outbox sender). */
#ifndef PD_LMTP_H
#define PD_LMTP_H

#include "config.h"
#include "intake.h"

#define LMTP_MAX_LINE		4096	/* a command line; RFC 5321 asks 512 */
#define LMTP_MAX_RECIPIENTS	100	/* per transaction, as RFC 5321 4.5.3.1.8 */
#define LMTP_STOP_WAIT		4000	/* ms lmtp_stop waits for busy connections */

struct pd_lmtp_hooks {
	/* Open ctx for one connection on the current config; *token_r is
	 * handed back to close.  0 ok; -1 and *error_r (the client is told
	 * 421 and the connection closed). */
	int	(*open)(void *arg, struct pd_ctx *ctx, void **token_r, char **error_r);
	void	(*close)(void *arg, struct pd_ctx *ctx, void *token);
	/* Called after a mail was committed (may be NULL). */
	void	(*stored)(void *arg);
	void	*arg;
};

struct pd_lmtp;

/* Listen on every address of cfg->lmtp.listen (a stale unix socket is
 * replaced; a new one is made mode 0666: whoever can reach the folder may
 * hand in mail, as with sendmail); connections are taken once lmtp_run
 * started the server's thread (so a daemon can listen, fork, then run),
 * until lmtp_stop.
 * cfg must outlive the server (only listen, max_connections, timeout and
 * limits.max_message are read, at start).  Returns the server, or NULL
 * and *error_r when an address cannot be listened on (nothing is left
 * listening then). */
struct pd_lmtp *lmtp_start(const struct pd_config *cfg, char **error_r);

/* Start taking connections (once), calling hooks (copied; the caller
 * owns hooks->arg). */
void lmtp_run(struct pd_lmtp *, const struct pd_lmtp_hooks *hooks);

/* Stop listening (unix sockets are removed) and end every connection: an
 * idle one is told 421, a mail being read is dropped uncommitted, a mail
 * being stored is finished and answered.  Waits LMTP_STOP_WAIT ms at most;
 * 0 when every connection ended (the server is freed), -1 when some are
 * still busy (the server is left allocated under them, like a thread the
 * daemon leaves behind). */
int lmtp_stop(struct pd_lmtp *);

/* The number of connections open now (tests, logs). */
int lmtp_connections(struct pd_lmtp *);

#endif

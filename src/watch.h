/* watch.h: mailbox watchers.  Each runs in its own thread with its own
 * struct pd_ctx (its own database connection) until *stop becomes
 * non-zero, checking it at least once a second, and hands every mail to
 * intake_process.  A mail is flagged, moved or deleted (mb->after) only
 * after intake_process returned 0, i.e. after the commit.
 * After any mail was recorded, wake(wake_arg) is called so the outbox
 * sender runs at once. */
#ifndef PD_WATCH_H
#define PD_WATCH_H

#include <glib.h>
#include "intake.h"

typedef void (*pd_wake_fn)(void *arg);

/* imap_watch.c: imap:// and imaps:// (libetpan).  Reconnects with
 * growing, jittered delays; logs once per change of state. */
void imap_watch_run(struct pd_ctx *ctx, const struct pd_mailbox *mb,
    volatile gint *stop, pd_wake_fn wake, void *wake_arg);
/* Connect, take in everything waiting, disconnect.  *count_r mails
 * recorded.  0 ok, -1 and *error_r (connection, login, select). */
int imap_watch_drain(struct pd_ctx *ctx, const struct pd_mailbox *mb, int *count_r,
    char **error_r);

/* maildir_watch.c: maildir:/path.  new/ is watched with inotify; a
 * recorded mail moves to cur/ with the Seen flag (":2,S"). */
void maildir_watch_run(struct pd_ctx *ctx, const struct pd_mailbox *mb,
    volatile gint *stop, pd_wake_fn wake, void *wake_arg);
int maildir_watch_drain(struct pd_ctx *ctx, const struct pd_mailbox *mb, int *count_r,
    char **error_r);

#endif

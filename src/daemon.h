/* daemon.h: postdeskd (SPEC 9) as a library: the threads (one per
 * mailbox watcher, the outbox sender, the timers), the one-shot runs and
 * the process set-up.  postdeskd.c's main only parses options and calls
 * these in order. */
#ifndef PD_DAEMON_H
#define PD_DAEMON_H

#include "config.h"

/* Load the config; every error goes to the log (stderr at start-up) as
 * FILE:LINE: message.  NULL when it has any. */
struct pd_config *daemon_load_config(const char *path);

/* --once: every mailbox drained, timers run, outbox flushed, one
 * summary line on stdout.  The exit code: 75 when anything failed for
 * now. */
int daemon_run_once(struct pd_config *cfg);
/* --flush: the outbox sent once; 0 when nothing waits, 75 otherwise. */
int daemon_run_flush(struct pd_config *cfg);

/* Open the database once and listen on the LMTP addresses (on the
 * terminal, before going to the background, so that an address in use
 * is an error there; daemon_serve takes the listener over).  0 ok, else
 * the exit code (logged). */
int daemon_check(struct pd_config *cfg);
/* Run until SIGTERM or SIGINT; SIGHUP reloads conf_path.  Takes cfg.
 * 0 when every thread stopped, -1 when some are still busy after the
 * deadline (the caller should _exit at once). */
int daemon_serve(const char *conf_path, struct pd_config *cfg);

/* The pid file, locked while we run (fatal when another holds it);
 * written once we are in the background. */
int daemon_pidfile_lock(const char *path);
void daemon_pidfile_write(int fd, const char *path);
/* setgid, initgroups, setuid to user when root, each call checked. */
void daemon_drop_privileges(const char *user);
/* fork, setsid, chdir /, standard descriptors to /dev/null. */
void daemon_detach(void);

#endif

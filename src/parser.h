/* parser.h: untrusted mail parsed in a child process (SPEC 2).
 *
 * As OpenSMTPD and Postfix never parse mail in the process that owns
 * the queue, message_parse() runs in a child: this program itself,
 * executed again with --parser-child, with no descriptor but its socket
 * and stderr (so no database handle), under setrlimit CPU and memory
 * limits (limits.parse_time, limits.parse_memory).  The child is started
 * on first use and reused for the next mails; when a mail kills it, the
 * caller is told why and the next mail gets a new child.  The parsed
 * struct pd_message comes back serialised (message_wire.c). */
#ifndef PD_PARSER_H
#define PD_PARSER_H

#include <glib.h>

#include "message.h"

enum pd_parse_rc {
	PARSE_OK = 0,		/* *msg_r */
	PARSE_NOT_MAIL = -1,	/* message_parse's -1: *error_r says why */
	PARSE_DIED = -2,	/* the mail killed the parser or exceeded a
				 * limit: *error_r is the reason to quarantine
				 * it with ("parser died: signal 11",
				 * "parser exceeded 30s") */
	PARSE_TEMPFAIL = -3,	/* no parser could be started: try later */
};

struct pd_parser;

/* A parser whose children get cpu_seconds of CPU per mail and memory
 * bytes of address space (0: no limit).  No process is started yet. */
struct pd_parser *parser_new(gint64 cpu_seconds, gint64 memory);
/* on: start children by fork() alone, without the exec (and its second
 * process start-up), while this process has a single thread; a process
 * with threads still execs.  For the one-shot command line tool. */
void parser_set_fork(struct pd_parser *, int on);
/* Start the child now rather than at the first parser_send: a fork while
 * this process is still small (before the database is open) copies less,
 * and leaves fewer of the parent's pages to fault in again after it.
 * 0, or -1 with *error_r (parser_send tries again). */
int parser_start(struct pd_parser *, char **error_r);
/* Parse raw in the child.  Returns an enum pd_parse_rc. */
int parser_parse(struct pd_parser *, const char *raw, size_t len,
    const struct pd_parse_limits *lim, struct pd_message **msg_r, char **error_r);
/* parser_parse in two halves, so that the caller can work while the
 * child parses (import stores mail N while mail N+1 is parsed): send
 * the mail (PARSE_OK, or as parser_parse), then receive its result.
 * At most one mail is sent and not received; the next is sent after
 * the answer is read, so the two never both write and block. */
int parser_send(struct pd_parser *, const char *raw, size_t len,
    const struct pd_parse_limits *lim, char **error_r);
int parser_receive(struct pd_parser *, struct pd_message **msg_r, char **error_r);
/* 1 when a mail was sent and its result not received. */
int parser_pending(const struct pd_parser *);
/* Stop the child (if any) and free. */
void parser_free(struct pd_parser *);
/* The pid of the running child, or 0 (for tests). */
int parser_pid(const struct pd_parser *);

/* Every main calls this first: when argv asks for the parser child it
 * runs it and returns its exit status, else -1. */
int parser_child_main(int argc, char **argv);

#endif

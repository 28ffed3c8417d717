/* commands.h: the #commands at the top of a staff mail (SPEC 5). */
#ifndef PD_COMMANDS_H
#define PD_COMMANDS_H

#include <glib.h>

enum pd_cmd {
	CMD_STATUS, CMD_ASSIGN, CMD_PRIORITY, CMD_LABEL, CMD_UNLABEL,
	CMD_NOTE, CMD_MERGE, CMD_CLOSE, CMD_HOLD, CMD_RESOLVE,
	CMD_ESCALATE, CMD_CANNED, CMD_CC, CMD_TO
};

struct pd_command {
	enum pd_cmd	 cmd;
	char		*arg;	/* trimmed argument, NULL when none */
	int		 line;	/* 1-based line in the text */
};

/* Parse the leading lines of text that start with '#' (blank lines
 * among them allowed; the first other line ends the block).  Checks
 * syntax and the values that need no config: status names (SPEC 1),
 * priorities, a REF shape for #merge, an address for #cc and #to,
 * required and forbidden arguments.  Returns 0 with *cmds_r (GPtrArray
 * of struct pd_command *, free with commands_free) and *rest_r (the text
 * after the block, caller frees); or -1 and *error_r ("line 2: unknown
 * command #foo"; caller frees).  "#" followed by a non-letter (e.g.
 * "#1 reason") is not a command and ends the block. */
int commands_parse(const char *text, GPtrArray **cmds_r, char **rest_r,
    char **error_r);
void commands_free(GPtrArray *cmds);
const char *commands_name(enum pd_cmd);

struct pd_ctx;
struct pd_ticket;
struct pd_staff;
struct pd_event_mail;

/* What needs the config or the database, checked before anything is
 * applied (an invalid command changes nothing): staff names, merge
 * targets, canned responses; with no ticket (tid 0) only #to and #note.
 * NULL when all is well, else the error (caller frees). */
char *commands_check(struct pd_ctx *ctx, GPtrArray *cmds, gint64 tid);
/* #note and #to among cmds (*to_r points into cmds). */
void commands_scan(GPtrArray *cmds, int *note_r, const char **to_r);

/* What the commands leave to the mail they came in. */
struct pd_command_result {
	int		 note;		/* #note: the mail is an internal note */
	int		 status;	/* #status, #close, #hold, #resolve: the
					 * target status, applied with the reply;
					 * -1 none */
	GString		*canned;	/* #canned text, put before the reply (caller
					 * frees) */
};

/* The log line of refused commands: actor, ticket ref (NULL: none), why. */
void commands_log_error(const char *actor, const char *ref, const char *error);

/* Apply checked cmds to t as staff member me, inside the caller's
 * transaction, each through ticket_apply (assign, priority, escalate,
 * merge) or the store (labels, cc), each with a "command" event.  The
 * status is left in res for the caller.  mail is the context of the
 * mails they cause.  One log line per command.  0 ok, -1 error. */
int commands_apply(struct pd_ctx *ctx, struct pd_ticket *t, GPtrArray *cmds,
    const struct pd_staff *me, const struct pd_event_mail *mail, int no_mail, gint64 now,
    struct pd_command_result *res, int *queued_r, char **error_r);

#endif

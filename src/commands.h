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

/* Statuses of SPEC 1. */
int status_valid(const char *s);

#endif

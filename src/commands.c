/* commands.c: the #commands at the top of a staff mail (SPEC 5). */
#include <string.h>

#include "commands.h"

/* How a command takes its argument. */
enum cmd_arg {
	ARG_NONE,	/* #close */
	ARG_TEXT,	/* #assign Alice Smith, #escalate reason */
	ARG_WORD,	/* #label billing */
	ARG_STATUS,
	ARG_PRIORITY,
	ARG_REF,
	ARG_ADDR
};

static const struct cmd_def {
	enum pd_cmd	 cmd;
	const char	*name;
	enum cmd_arg	 arg;
	const char	*need;	/* what the error says is missing */
} cmd_defs[] = {
	{ CMD_STATUS, "status", ARG_STATUS,
	    "one of open, in_progress, waiting, on_hold, resolved, closed" },
	{ CMD_ASSIGN, "assign", ARG_TEXT, "a staff name or email address" },
	{ CMD_PRIORITY, "priority", ARG_PRIORITY,
	    "one of low, normal, high, urgent" },
	{ CMD_LABEL, "label", ARG_WORD, "one label without spaces" },
	{ CMD_UNLABEL, "unlabel", ARG_WORD, "one label without spaces" },
	{ CMD_NOTE, "note", ARG_NONE, NULL },
	{ CMD_MERGE, "merge", ARG_REF, "a ticket reference like TKT-0042" },
	{ CMD_CLOSE, "close", ARG_NONE, NULL },
	{ CMD_HOLD, "hold", ARG_NONE, NULL },
	{ CMD_RESOLVE, "resolve", ARG_NONE, NULL },
	{ CMD_ESCALATE, "escalate", ARG_TEXT, "a reason" },
	{ CMD_CANNED, "canned", ARG_WORD, "the name of a canned response" },
	{ CMD_CC, "cc", ARG_ADDR, "one email address" },
	{ CMD_TO, "to", ARG_ADDR, "one email address" },
};

static const char *const statuses[] = {
	"open", "in_progress", "waiting", "on_hold", "resolved", "closed", NULL
};
static const char *const priorities[] = {
	"low", "normal", "high", "urgent", NULL
};

/* A command word longer than this is not echoed whole in an error. */
#define CMD_ECHO_MAX	32

int
status_valid(const char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; statuses[i] != NULL; i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

const char *
commands_name(enum pd_cmd cmd)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cmd_defs); i++)
		if (cmd_defs[i].cmd == cmd)
			return cmd_defs[i].name;
	return "?";
}

static void
command_free(gpointer p)
{
	struct pd_command *c = p;

	g_free(c->arg);
	g_free(c);
}

void
commands_free(GPtrArray *cmds)
{
	if (cmds != NULL)
		g_ptr_array_unref(cmds);
}

static int
is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!g_ascii_isspace(s[i]))
			return 0;
	return 1;
}

static int
in_list(const char *s, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* The ref shape of SPEC 1, [A-Z][A-Z0-9]*-[0-9]+, upper-cased in place. */
static int
ref_shape(char *s)
{
	char *p = s;

	if (!g_ascii_isalpha(*p))
		return 0;
	while (g_ascii_isalnum(*p))
		p++;
	if (*p != '-' || !g_ascii_isdigit(p[1]))
		return 0;
	for (p++; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return 0;
	for (p = s; *p != '\0'; p++)
		*p = g_ascii_toupper(*p);
	return 1;
}

/*
 * Enough of an address check to catch typos before anything is sent:
 * one '@', something on each side, a dot inside the domain, no spaces
 * or brackets.  "<a@b.c>" is accepted and unwrapped; lower-cased.
 */
static char *
addr_shape(const char *s)
{
	const char *at, *dot;
	char *p;
	size_t len = strlen(s);
	char *addr;

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	addr = g_strndup(s, len);
	at = strchr(addr, '@');
	if (at == NULL || at == addr || strchr(at + 1, '@') != NULL)
		goto bad;
	dot = strchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || addr[len - 1] == '.')
		goto bad;
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' ||
		    strchr("<>()[],;:\"\\", *p) != NULL)
			goto bad;
	for (p = addr; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
	return addr;
bad:
	g_free(addr);
	return NULL;
}

/*
 * Check and normalize one command's argument.  Returns 0, or -1 with
 * *error_r.  arg is owned by the caller and may be replaced.
 */
static int
check_arg(const struct cmd_def *def, char **arg, int line, char **error_r)
{
	char *a = *arg, *n;

	if (def->arg == ARG_NONE) {
		if (a == NULL)
			return 0;
		*error_r = g_strdup_printf("line %d: #%s takes no argument",
		    line, def->name);
		return -1;
	}
	if (a == NULL)
		goto need;
	switch (def->arg) {
	case ARG_NONE:
	case ARG_TEXT:
		break;
	case ARG_WORD:
		if (strpbrk(a, " \t") != NULL)
			goto need;
		break;
	case ARG_STATUS:
	case ARG_PRIORITY:
		n = g_ascii_strdown(a, -1);
		g_strdelimit(n, "-", '_');
		g_free(a);
		*arg = a = n;
		if (!in_list(a, def->arg == ARG_STATUS ? statuses : priorities))
			goto need;
		break;
	case ARG_REF:
		if (!ref_shape(a))
			goto need;
		break;
	case ARG_ADDR:
		if ((n = addr_shape(a)) == NULL)
			goto need;
		g_free(a);
		*arg = n;
		break;
	}
	return 0;
need:
	*error_r = g_strdup_printf("line %d: #%s needs %s", line, def->name,
	    def->need);
	return -1;
}

/* Parse one "#word arg" line (without its newline) into cmds. */
static int
parse_line(const char *s, size_t len, int line, GPtrArray *cmds,
    char **error_r)
{
	const struct cmd_def *def = NULL;
	struct pd_command *c;
	size_t wlen, i;
	char *word, *arg;
	const char *p = s + 1, *end = s + len;

	for (wlen = 0; p + wlen < end && !g_ascii_isspace(p[wlen]); wlen++)
		;
	word = g_ascii_strdown(p, wlen);
	for (i = 0; i < G_N_ELEMENTS(cmd_defs); i++)
		if (strcmp(word, cmd_defs[i].name) == 0)
			def = &cmd_defs[i];
	g_free(word);
	if (def == NULL) {
		char *echo = g_strndup(p, MIN(wlen, CMD_ECHO_MAX));

		/* the word goes back in a mail: keep it printable */
		g_strcanon(echo, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+@", '?');
		*error_r = g_strdup_printf("line %d: unknown command #%s%s",
		    line, echo, wlen > CMD_ECHO_MAX ? "..." : "");
		g_free(echo);
		return -1;
	}
	arg = g_strstrip(g_strndup(p + wlen, end - (p + wlen)));
	if (*arg == '\0') {
		g_free(arg);
		arg = NULL;
	}
	if (check_arg(def, &arg, line, error_r) == -1) {
		g_free(arg);
		return -1;
	}
	c = g_new0(struct pd_command, 1);
	c->cmd = def->cmd;
	c->arg = arg;
	c->line = line;
	g_ptr_array_add(cmds, c);
	return 0;
}

/*
 * The block is the run of command and blank lines at the very top; the
 * first other line (text, or "#" not followed by a letter such as
 * "#1 reason") ends it, so a '#' further down the reply is just text.
 */
int
commands_parse(const char *text, GPtrArray **cmds_r, char **rest_r,
    char **error_r)
{
	GPtrArray *cmds;
	const char *p, *nl, *rest;
	size_t len;
	int line;

	if (text == NULL)
		text = "";
	cmds = g_ptr_array_new_with_free_func(command_free);
	rest = text + strlen(text);
	for (p = text, line = 1; *p != '\0'; line++) {
		const char *s = p;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		if (!is_blank(s, len)) {
			if (s[0] != '#' || len < 2 ||
			    !g_ascii_isalpha(s[1])) {
				rest = p;
				break;
			}
			if (parse_line(s, len, line, cmds, error_r) == -1) {
				g_ptr_array_unref(cmds);
				return -1;
			}
		}
		if (nl == NULL) {
			rest = p + strlen(p);
			break;
		}
		p = nl + 1;
	}
	*rest_r = g_strdup(cmds->len == 0 ? text : rest);
	*cmds_r = cmds;
	return 0;
}

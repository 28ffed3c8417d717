/* commands.c: the #commands at the top of a staff mail (SPEC 5): parsed,
 * checked against the config and the database, and applied through the
 * ticket lifecycle (ticket.c). */
#include <string.h>

#include "commands.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "ticket.h"
#include "util.h"

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

/* A command word longer than this is not echoed whole in an error. */
#define CMD_ECHO_MAX	32

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
		if (!in_list(a, def->arg == ARG_STATUS ? ticket_status_names :
		    ticket_priority_names))
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

/* The canned response's file, or NULL when the name is not one. */
static char *
canned_path(const struct pd_config *cfg, const char *name)
{
	char *file, *path;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return NULL;
	file = g_strdup_printf("%s.txt", name);
	path = g_build_filename(cfg->templates, "canned", file, NULL);
	g_free(file);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_free(path);
		return NULL;
	}
	return path;
}

char *
commands_check(struct pd_ctx *ctx, GPtrArray *cmds, gint64 tid)
{
	const struct pd_config *cfg = ctx->cfg;

	for (guint i = 0; i < cmds->len; i++) {
		struct pd_command *c = cmds->pdata[i];

		switch (c->cmd) {
		case CMD_ASSIGN:
			if (config_staff_by_name_or_email(cfg, c->arg) == NULL)
				return g_strdup_printf("line %d: #assign: no staff member '%s'",
				    c->line, c->arg);
			break;
		case CMD_MERGE: {
			struct pd_ticket *o = NULL;
			char *e = NULL;
			int rc = store_ticket_get_by_ref(ctx->store, c->arg, &o, &e);
			int same = rc == 1 && o->id == tid;

			store_ticket_free(o);
			g_free(e);
			if (rc != 1)
				return g_strdup_printf("line %d: #merge: no ticket %s", c->line,
				    c->arg);
			if (same)
				return g_strdup_printf("line %d: #merge: cannot merge a ticket "
				    "into itself", c->line);
			break;
		}
		case CMD_CANNED: {
			char *path = canned_path(cfg, c->arg);

			if (path == NULL)
				return g_strdup_printf("line %d: #canned: no canned response '%s'",
				    c->line, c->arg);
			g_free(path);
			break;
		}
		default:
			break;
		}
		if (tid == 0 && c->cmd != CMD_TO && c->cmd != CMD_NOTE)
			return g_strdup_printf("line %d: #%s needs a ticket: reply to a "
			    "ticket mail or use #to EMAIL", c->line, commands_name(c->cmd));
	}
	return NULL;
}

void
commands_scan(GPtrArray *cmds, int *note_r, const char **to_r)
{
	for (guint i = 0; i < cmds->len; i++) {
		const struct pd_command *c = cmds->pdata[i];

		if (c->cmd == CMD_NOTE)
			*note_r = 1;
		if (c->cmd == CMD_TO)
			*to_r = c->arg;
	}
}

/* #merge REF: REF's messages, participants and labels move here; REF
 * is closed through the lifecycle. */
static int
merge_into(struct pd_ctx *ctx, struct pd_ticket *t, const char *ref, const char *actor,
    const struct pd_event_mail *mail, int no_mail, gint64 now, int *queued_r,
    char **error_r)
{
	struct pd_change ch = { 0 };
	struct pd_ticket *o = NULL;
	int applied, q = 0, rc = -1;

	if (store_ticket_get_by_ref(ctx->store, ref, &o, error_r) != 1) {
		if (error_r && *error_r == NULL)
			*error_r = g_strdup_printf("#merge: no ticket %s", ref);
		goto out;
	}
	if (store_ticket_merge(ctx->store, o->id, t->id, now, error_r) < 0)
		goto out;
	ch.event = TEV_MERGE;
	ch.actor = actor;
	ch.detail = t->ref;
	ch.mail = mail;
	ch.no_mail = no_mail;
	if (ticket_apply(ctx, o, &ch, now, &applied, &q, error_r) < 0)
		goto out;
	*queued_r += q;
	rc = 0;
out:
	store_ticket_free(o);
	return rc;
}

/* "What happened to this mail?": one log line per command, with its
 * actor, ticket and result (SPEC 9). */
static void
log_command(const struct pd_command *c, const char *actor, const char *ref,
    const char *result, int queued)
{
	char *arg = c->arg ? util_printable(c->arg, 200) : NULL;
	char *who = util_printable(actor ? actor : "-", 200);

	log_info("command #%s%s%s by %s on %s: %s, %d mail%s queued", commands_name(c->cmd),
	    arg ? " " : "", arg ? arg : "", who, ref ? ref : "-", result, queued,
	    queued == 1 ? "" : "s");
	g_free(arg);
	g_free(who);
}

void
commands_log_error(const char *actor, const char *ref, const char *error)
{
	char *who = util_printable(actor ? actor : "-", 200);
	char *e = util_printable(error, 200);

	log_info("command error by %s on %s: %s; no command applied", who, ref ? ref : "-", e);
	g_free(who);
	g_free(e);
}

int
commands_apply(struct pd_ctx *ctx, struct pd_ticket *t, GPtrArray *cmds,
    const struct pd_staff *me, const struct pd_event_mail *mail, int no_mail, gint64 now,
    struct pd_command_result *res, int *queued_r, char **error_r)
{
	struct pd_store *st = ctx->store;

	res->note = 0;
	res->status = -1;
	res->canned = g_string_new(NULL);
	*queued_r = 0;
	for (guint i = 0; i < cmds->len; i++) {
		const struct pd_command *c = cmds->pdata[i];
		struct pd_change ch = { 0 };
		int rc = 0, applied = 1, q = 0;
		char *d = NULL;

		ch.actor = me->email;
		ch.mail = mail;
		ch.no_mail = no_mail;
		ch.event = TEV_COUNT;
		switch (c->cmd) {
		case CMD_NOTE:		res->note = 1; break;
		case CMD_STATUS:	res->status = ticket_status_from_name(c->arg); break;
		case CMD_CLOSE:		res->status = ST_CLOSED; break;
		case CMD_HOLD:		res->status = ST_ON_HOLD; break;
		case CMD_RESOLVE:	res->status = ST_RESOLVED; break;
		case CMD_ASSIGN: {
			const struct pd_staff *s = config_staff_by_name_or_email(ctx->cfg, c->arg);

			if (s && g_strcmp0(t->assignee, s->email) != 0) {
				ch.event = TEV_ASSIGN;
				ch.assignee = s->email;
				ch.detail = d = g_strdup_printf("%s -> %s", t->assignee &&
				    *t->assignee ? t->assignee : "none", s->email);
			}
			break;
		}
		case CMD_PRIORITY:
			ch.event = TEV_PRIORITY;
			ch.target = ticket_priority_from_name(c->arg);
			break;
		case CMD_ESCALATE:
			ch.event = TEV_ESCALATE;
			ch.detail = c->arg;
			break;
		case CMD_LABEL:
			rc = store_label_add(st, t->id, c->arg, error_r);
			break;
		case CMD_UNLABEL:
			rc = store_label_remove(st, t->id, c->arg, error_r);
			break;
		case CMD_MERGE:
			rc = merge_into(ctx, t, c->arg, me->email, mail, no_mail, now, &q,
			    error_r);
			break;
		case CMD_CANNED: {
			char *path = canned_path(ctx->cfg, c->arg), *text = NULL;

			if (path && g_file_get_contents(path, &text, NULL, NULL)) {
				g_string_append(res->canned, text);
				g_string_append_c(res->canned, '\n');
			}
			g_free(text);
			g_free(path);
			break;
		}
		case CMD_CC: {
			char *a = util_addr_normalize(c->arg);

			rc = store_participant_add(st, t->id, a, NULL, error_r);
			g_free(a);
			break;
		}
		case CMD_TO:
			break;
		}
		if (rc == 0 && ch.event != TEV_COUNT)
			rc = ticket_apply(ctx, t, &ch, now, &applied, &q, error_r);
		else if (c->cmd == CMD_ASSIGN)
			applied = 0;	/* already hers */
		g_free(d);
		*queued_r += q;
		log_command(c, me->email, t->ref, rc < 0 ? "failed" : !applied ? "unchanged" :
		    "applied", q);
		if (rc == 0 && c->cmd != CMD_NOTE) {
			d = g_strdup_printf("#%s%s%s", commands_name(c->cmd), c->arg ? " " : "",
			    c->arg ? c->arg : "");
			rc = store_event_add(st, t->id, now, me->email, "command", d, error_r);
			g_free(d);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

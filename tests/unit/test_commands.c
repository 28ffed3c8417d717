/* test_commands.c: staff #commands, one table row per mail top. */
#include "test.h"
#include "commands.h"
#include "ticket.h"

/*
 * want is the parsed block written as "name=arg@line;..." ("name@line"
 * when there is no argument), or NULL when the row must fail with err.
 */
static const struct {
	const char	*in;
	const char	*want;
	const char	*rest;
	const char	*err;
} rows[] = {
	{ "", "", "", NULL },
	{ "Hello there,\nthanks.\n", "", "Hello there,\nthanks.\n", NULL },
	{ "\n\nHello\n", "", "\n\nHello\n", NULL },
	{ "#1 thing is broken\nfix it", "", "#1 thing is broken\nfix it", NULL },
	{ "# heading\ntext", "", "# heading\ntext", NULL },
	{ "#close\n", "close@1", "", NULL },
	{ "#close", "close@1", "", NULL },
	{ "#CLOSE\nDone.", "close@1", "Done.", NULL },
	{ "#status waiting\n\nThanks, we are on it.\n",
	    "status=waiting@1", "Thanks, we are on it.\n", NULL },
	{ "#Status In_Progress\nx", "status=in_progress@1", "x", NULL },
	{ "#status on-hold\nx", "status=on_hold@1", "x", NULL },
	{ "#status open\r\n#priority HIGH\r\n\r\nHi Bob,\r\nfixed.\r\n",
	    "status=open@1;priority=high@2", "Hi Bob,\r\nfixed.\r\n", NULL },
	{ "#assign Alice Smith\n\n\n#label billing\n\n#unlabel vip\nText",
	    "assign=Alice Smith@1;label=billing@4;unlabel=vip@6", "Text", NULL },
	{ "#assign bob@example.com\n", "assign=bob@example.com@1", "", NULL },
	{ "  #hold  \nwait", "hold@1", "wait", NULL },
	{ "#note\nInternal: customer is on the old plan.",
	    "note@1", "Internal: customer is on the old plan.", NULL },
	{ "#merge tkt-0042\n", "merge=TKT-0042@1", "", NULL },
	{ "#merge HD2-12345\n", "merge=HD2-12345@1", "", NULL },
	{ "#resolve\n#priority low\n", "resolve@1;priority=low@2", "", NULL },
	{ "#escalate customer threatens to cancel\nsee below",
	    "escalate=customer threatens to cancel@1", "see below", NULL },
	{ "#canned refund-policy\n", "canned=refund-policy@1", "", NULL },
	{ "#cc Carol@Example.COM\n", "cc=carol@example.com@1", "", NULL },
	{ "#to <new.customer@example.org>\nHello,\n",
	    "to=new.customer@example.org@1", "Hello,\n", NULL },
	{ "#status closed\n#1 reason: duplicate\n",
	    "status=closed@1", "#1 reason: duplicate\n", NULL },
	{ "#close\ntext\n#status open\n", "close@1", "text\n#status open\n", NULL },
	{ "\n#close\n\n", "close@2", "", NULL },
	{ "#note\t\n\tmore", "note@1", "\tmore", NULL },

	{ "#stauts open\n", NULL, NULL, "line 1: unknown command #stauts" },
	{ "#close\n#Frobnicate x\n", NULL, NULL,
	    "line 2: unknown command #Frobnicate" },
	{ "#close\n#status opened\n", NULL, NULL, "line 2: #status needs one of "
	    "open, in_progress, waiting, on_hold, resolved, closed" },
	{ "#status\n", NULL, NULL, "line 1: #status needs one of "
	    "open, in_progress, waiting, on_hold, resolved, closed" },
	{ "#close now\n", NULL, NULL, "line 1: #close takes no argument" },
	{ "#note please\n", NULL, NULL, "line 1: #note takes no argument" },
	{ "#hold 2 days\n", NULL, NULL, "line 1: #hold takes no argument" },
	{ "#resolve x\n", NULL, NULL, "line 1: #resolve takes no argument" },
	{ "\r\n\r\n#priority asap\r\n", NULL, NULL,
	    "line 3: #priority needs one of low, normal, high, urgent" },
	{ "#assign\n", NULL, NULL,
	    "line 1: #assign needs a staff name or email address" },
	{ "#label two words\n", NULL, NULL,
	    "line 1: #label needs one label without spaces" },
	{ "#unlabel\n", NULL, NULL,
	    "line 1: #unlabel needs one label without spaces" },
	{ "#merge 42\n", NULL, NULL,
	    "line 1: #merge needs a ticket reference like TKT-0042" },
	{ "#merge TKT-\n", NULL, NULL,
	    "line 1: #merge needs a ticket reference like TKT-0042" },
	{ "#merge TKT-12a\n", NULL, NULL,
	    "line 1: #merge needs a ticket reference like TKT-0042" },
	{ "#escalate   \n", NULL, NULL, "line 1: #escalate needs a reason" },
	{ "#canned\n", NULL, NULL,
	    "line 1: #canned needs the name of a canned response" },
	{ "#cc bob\n", NULL, NULL, "line 1: #cc needs one email address" },
	{ "#cc a@b.com c@d.com\n", NULL, NULL,
	    "line 1: #cc needs one email address" },
	{ "#to @example.com\n", NULL, NULL, "line 1: #to needs one email address" },
	{ "#to bob@localhost\n", NULL, NULL, "line 1: #to needs one email address" },
	{ "#st\x1b[31mx\n", NULL, NULL, "line 1: unknown command #st??31mx" },
	{ "#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL, NULL,
	    "line 1: unknown command #aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." },
};

static char *
describe(GPtrArray *cmds)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < cmds->len; i++) {
		struct pd_command *c = cmds->pdata[i];

		if (i > 0)
			g_string_append_c(s, ';');
		g_string_append(s, commands_name(c->cmd));
		if (c->arg != NULL)
			g_string_append_printf(s, "=%s", c->arg);
		g_string_append_printf(s, "@%d", c->line);
	}
	return g_string_free(s, FALSE);
}

int
main(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} st[] = {
		{ "open", 1 }, { "in_progress", 1 }, { "waiting", 1 },
		{ "on_hold", 1 }, { "resolved", 1 }, { "closed", 1 },
		{ "Open", 0 }, { "pending", 0 }, { "", 0 }, { NULL, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		GPtrArray *cmds = NULL;
		char *rest = NULL, *err = NULL, *got;
		int r;

		r = commands_parse(rows[i].in, &cmds, &rest, &err);
		if (rows[i].want == NULL) {
			TEST_INT(r, -1, "row %zu fails", i);
			TEST_STR(err, rows[i].err, "row %zu error", i);
		} else {
			TEST_INT(r, 0, "row %zu parses", i);
			if (r == 0) {
				got = describe(cmds);
				TEST_STR(got, rows[i].want, "row %zu commands", i);
				TEST_STR(rest, rows[i].rest, "row %zu rest", i);
				g_free(got);
			}
		}
		commands_free(cmds);
		g_free(rest);
		g_free(err);
	}
	for (i = 0; i < G_N_ELEMENTS(st); i++)
		TEST_INT(ticket_status_from_name(st[i].s) >= 0, st[i].ok, "ticket_status_from_name(%s)",
		    st[i].s ? st[i].s : "NULL");
	TEST_STR(commands_name(CMD_ESCALATE), "escalate", "commands_name");
	return test_done();
}

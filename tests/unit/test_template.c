/* test_template.c: rendering, errors with FILE:LINE, per-queue
 * override, and check_all over the shipped templates and a broken set. */
#include <stdio.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "test.h"
#include "template.h"

/* Templates written into a scratch folder as ticket_created.txt. */
static const struct {
	const char	*file;
	const char	*subject;	/* NULL: must fail with err */
	const char	*text;
	const char	*err;		/* after "DIR/ticket_created.txt" */
} rows[] = {
	{ "Subject: Hi {{customer_name}}\n\nDear {{customer_name}},\nref {{ticket_ref}}.\n",
	    "Hi Jane Doe", "Dear Jane Doe,\nref TKT-0042.\n", NULL },
	{ "Subject:{{ subject }}\n\n{{  ticket_ref}}|{{queue }}", "Broken <printer> & \"co\"",
	    "TKT-0042|Support", NULL },
	/* CRLF file */
	{ "Subject: S\r\n\r\nline 1\r\nline 2\r\n", "S", "line 1\nline 2\n", NULL },
	/* a value missing from the hash renders empty */
	{ "Subject: S\n\nAgent: [{{agent_name}}]\n", "S", "Agent: []\n", NULL },
	/* a line of only an empty variable is left out */
	{ "Subject: S\n\nA\n{{agent_name}}\nB\n  {{rating_url}}  \nC\n", "S",
	    "A\nB\nC\n", NULL },
	/* ... but not when it has a value or other text */
	{ "Subject: S\n\n{{ticket_ref}}\n- {{agent_name}}\n", "S",
	    "TKT-0042\n- \n", NULL },
	/* multi-line values go in as they are; in the subject on one line */
	{ "Subject: {{message}}\n\n> {{message}}\n", "two lines",
	    "> two\nlines\n", NULL },
	{ "Subject: only a subject", "only a subject", "", NULL },
	{ "Subject: S\n\n", "S", "", NULL },
	{ "Subject: S\n\nbraces { } and }} and {x}\n", "S",
	    "braces { } and }} and {x}\n", NULL },
	/* white space ending a value goes: the template ends the line */
	{ "Subject: S\n\n[{{refused}}]\n{{queue}}\n", "S",
	    "[- a.exe: not allowed\n- b.zip: too big]\nSupport\n", NULL },
	/* values are not templates themselves */
	{ "Subject: S\n\n{{customer_name}} {{reason}}\n", "S",
	    "Jane Doe {{ticket_ref}}\n", NULL },

	{ "Subject: S\n\nHello {{nmae}}\n", NULL, NULL, ":3: unknown variable {{nmae}}" },
	{ "Subject: {{Subject}}\n\nx\n", NULL, NULL, ":1: unknown variable {{Subject}}" },
	{ "Subject: S\n\na\nb\nc {{}}\n", NULL, NULL, ":5: unknown variable {{}}" },
	{ "Subject: S\n\nHello {{customer_name\n}}\n", NULL, NULL, ":3: unterminated {{" },
	{ "Subject: S\n\nok\n\nHello {{ticket_ref}} {{", NULL, NULL, ":5: unterminated {{" },
	{ "Hello {{customer_name}}\n", NULL, NULL, ": no Subject: line" },
	{ "\nSubject: S\n\nx", NULL, NULL, ": no Subject: line" },
	{ "Subject: S\nbody right away\n", NULL, NULL,
	    ":2: a blank line must follow the Subject: line" },
	{ "Subject: S\n\ncaf\xe9\n", NULL, NULL, ": not UTF-8 text" },
};

static GHashTable *
vars_new(void)
{
	GHashTable *v = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(v, "customer_name", "Jane Doe");
	g_hash_table_insert(v, "ticket_ref", "TKT-0042");
	g_hash_table_insert(v, "subject", "Broken <printer> & \"co\"");
	g_hash_table_insert(v, "queue", "Support");
	g_hash_table_insert(v, "status", "waiting");
	g_hash_table_insert(v, "message", "two\nlines");
	g_hash_table_insert(v, "reason", "{{ticket_ref}}");
	g_hash_table_insert(v, "agent_name", "");
	g_hash_table_insert(v, "refused",
	    "- a.exe: not allowed\n- b.zip: too big\n\n \n");
	return v;
}

static void
put(const char *dir, const char *name, const char *content)
{
	char *path = g_build_filename(dir, name, NULL);

	g_file_set_contents(path, content, -1, NULL);
	g_free(path);
}

static void
rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;

	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, f, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			rm_rf(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static void
table(const char *dir, GHashTable *vars)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct pd_rendered r;
		char *err = NULL, *want;
		int rc;

		put(dir, "ticket_created.txt", rows[i].file);
		rc = template_render(dir, NULL, "ticket_created", vars, &r, &err);
		if (rows[i].subject != NULL) {
			TEST_INT(rc, 0, "row %zu renders", i);
			TEST_STR(r.subject, rows[i].subject, "row %zu subject", i);
			TEST_STR(r.text, rows[i].text, "row %zu text", i);
			TEST_STR(r.html, NULL, "row %zu no html", i);
			TEST_STR(err, NULL, "row %zu no error", i);
		} else {
			want = g_strdup_printf("%s/ticket_created.txt%s", dir,
			    rows[i].err);
			TEST_INT(rc, -1, "row %zu fails", i);
			TEST_STR(err, want, "row %zu error", i);
			TEST_STR(r.subject, NULL, "row %zu nothing rendered", i);
			g_free(want);
		}
		template_rendered_clear(&r);
		g_free(err);
	}
}

/* The shipped acknowledgement and relay, word for word. */
static void
shipped(const char *conf, GHashTable *vars)
{
	struct pd_rendered r;
	char *err = NULL;

	g_hash_table_insert(vars, "subject", "Printer jammed");
	g_hash_table_insert(vars, "first_response_due", "Mon 23 Nov 2026 13:00 CET");
	g_hash_table_insert(vars, "status_url", "https://help.example.com/s?t=TKT-0042&k=ab");
	g_hash_table_insert(vars, "working_hours_notice", "");
	TEST_INT(template_render(conf, NULL, "ticket_created", vars, &r, &err), 0,
	    "ticket_created renders");
	TEST_STR(r.subject, "We received your request: Printer jammed", "ack subject");
	TEST_STR(r.text,
	    "Hello Jane Doe,\n"
	    "\n"
	    "Thank you for contacting us. We have received your message and opened\n"
	    "ticket TKT-0042 for it.\n"
	    "\n"
	    "We aim to send you a first answer by Mon 23 Nov 2026 13:00 CET.\n"
	    "\n"
	    "If you want to add anything, simply reply to this email and keep\n"
	    "TKT-0042 in the subject line so that it reaches the same ticket.\n"
	    "\n"
	    "You can follow your request here:\n"
	    "https://help.example.com/s?t=TKT-0042&k=ab\n"
	    "\n"
	    "Kind regards,\n"
	    "The Support team\n", "ack text inside working hours");
	template_rendered_clear(&r);

	g_hash_table_insert(vars, "working_hours_notice",
	    "Our office is closed right now; we will answer once we are back.");
	TEST_INT(template_render(conf, NULL, "ticket_created", vars, &r, &err), 0,
	    "ticket_created renders outside hours");
	TEST_OK(r.text != NULL && strstr(r.text, "for it.\n\n"
	    "Our office is closed right now; we will answer once we are back.\n"
	    "We aim to send") != NULL, "ack text outside working hours");
	template_rendered_clear(&r);

	g_hash_table_insert(vars, "message", "Hi Jane,\n\nfixed.\n\nAlice\n");
	TEST_INT(template_render(conf, NULL, "staff_reply", vars, &r, &err), 0,
	    "staff_reply renders");
	TEST_STR(r.subject, "Printer jammed", "relay subject");
	TEST_STR(r.text, "Hi Jane,\n\nfixed.\n\nAlice\n", "relay text is the message");
	template_rendered_clear(&r);
	g_free(err);
}

static void
override_and_html(const char *dir, GHashTable *vars)
{
	char *qdir = g_build_filename(dir, "billing", NULL);
	struct pd_rendered r;
	char *err = NULL;

	g_mkdir(qdir, 0700);
	put(dir, "ticket_created.txt", "Subject: global\n\nglobal {{queue}}\n");
	put(dir, "ticket_closed.txt", "Subject: global closed\n\nbye\n");
	put(qdir, "ticket_created.txt", "Subject: billing\n\nbilling {{queue}}\n");
	put(qdir, "ticket_created.html",
	    "<p>Dear {{customer_name}}, about <b>{{subject}}</b></p>\n"
	    "<pre>{{message}}</pre>\n");
	put(dir, "ticket_closed.html", "<p>{{subject}}</p>");

	TEST_INT(template_render(dir, qdir, "ticket_created", vars, &r, &err), 0,
	    "override renders");
	TEST_STR(r.subject, "billing", "queue folder wins");
	TEST_STR(r.text, "billing Support\n", "queue text");
	TEST_STR(r.html, "<p>Dear Jane Doe, about <b>Broken &lt;printer&gt; &amp; "
	    "&quot;co&quot;</b></p>\n<pre>two\nlines</pre>\n", "html escaped");
	template_rendered_clear(&r);

	TEST_INT(template_render(dir, qdir, "ticket_closed", vars, &r, &err), 0,
	    "fallback renders");
	TEST_STR(r.subject, "global closed", "global used when queue has none");
	TEST_STR(r.html, "<p>Broken &lt;printer&gt; &amp; &quot;co&quot;</p>",
	    "html beside the global file");
	template_rendered_clear(&r);

	TEST_INT(template_render(dir, NULL, "ticket_created", vars, &r, &err), 0,
	    "no queue folder");
	TEST_STR(r.subject, "global", "global without queue");
	TEST_STR(r.html, NULL, "no html globally");
	template_rendered_clear(&r);

	TEST_INT(template_render(dir, qdir, "sla_warning", vars, &r, &err), -1,
	    "missing template");
	TEST_STR(err, "no template for sla_warning", "missing template error");
	g_free(err);
	err = NULL;
	TEST_INT(template_render(dir, qdir, "../ticket_created", vars, &r, &err), -1,
	    "path in event");
	TEST_STR(err, "unknown event ../ticket_created", "path in event error");
	g_free(err);
	g_free(qdir);
}

static void
check_all(const char *conf, const char *dir)
{
	static const char *const want[] = {
		"/ticket_create.txt: not a known event",
		"/ticket_created.txt:3: unknown variable {{custmer_name}}",
		"/ticket_created.txt:5: unterminated {{",
		"/ticket_created.html:2: unknown variable {{ref}}",
		"/staff_new_ticket.txt: no Subject: line",
		"/staff_customer_reply.txt:1: empty Subject:",
		"/staff_reply.txt: missing",
		"/status_changed.txt: missing",
		"/ticket_resolved.txt: missing",
		"/ticket_closed.txt: missing",
		"/ticket_reopened.txt: missing",
		"/sla_warning.txt: missing",
		"/sla_breached.txt: missing",
		"/ticket_escalated.txt: missing",
		"/ticket_assigned.txt: missing",
		"/attachment_refused.txt: missing",
		"/command_error.txt: missing",
		"/delivery_failed.txt: missing",
		"/sla_first_response.txt: missing",
		"/status_link.txt: missing",
		"/staff_flood.txt: missing",
		"/mail_held.txt: missing",
		"/my_tickets.txt: missing",
		"/billing/ticket_closed.txt:2: a blank line must follow the Subject: line",
		"/billing/ticket_closed.txt:4: unknown variable {{x}}",
		"/billing/ticket_assigned.html: has no .txt beside it",
	};
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *broken = g_build_filename(dir, "broken", NULL);
	char *qdir = g_build_filename(broken, "billing", NULL);
	guint i;
	int n;

	n = template_check_all(conf, NULL, errors);
	TEST_INT(n, 0, "shipped templates: no problems");
	for (i = 0; i < errors->len; i++)
		printf("#   %s\n", (char *)errors->pdata[i]);
	TEST_INT(errors->len, 0, "shipped templates: no messages");

	g_mkdir(broken, 0700);
	g_mkdir(qdir, 0700);
	put(broken, "ticket_created.txt",
	    "Subject: {{subject}}\n\nHi {{custmer_name}}\n\n{{ticket_ref}} {{ oops\n");
	put(broken, "ticket_created.html", "<p>\n{{ref}}</p>\n");
	put(broken, "ticket_create.txt", "Subject: typo\n\nx\n");
	put(broken, "staff_reply.html", "<p>{{message}}</p>");
	put(broken, "staff_new_ticket.txt", "Subjekt: x\n\ny\n");
	put(broken, "staff_customer_reply.txt", "Subject:   \n\ny\n");
	put(broken, "README", "not a template\n");
	put(qdir, "ticket_closed.txt", "Subject: ok\nno blank\n\n{{x}}\n");
	put(qdir, "ticket_assigned.html", "<p>x</p>");
	put(qdir, "ticket_resolved.txt", "Subject: fine {{rating_url}}\n\n{{rating_url}}\n");

	g_ptr_array_set_size(errors, 0);
	n = template_check_all(broken, qdir, errors);
	TEST_INT(n, G_N_ELEMENTS(want), "broken set: problem count");
	TEST_INT(errors->len, G_N_ELEMENTS(want), "broken set: messages");
	for (i = 0; i < G_N_ELEMENTS(want); i++) {
		char *w = g_strconcat(broken, want[i], NULL);

		TEST_STR(i < errors->len ? errors->pdata[i] : NULL, w,
		    "broken set: error %u", i);
		g_free(w);
	}

	g_ptr_array_set_size(errors, 0);
	n = template_check_all(qdir, NULL, errors);
	TEST_INT(n, 20, "queue folder alone: 2 problems + 18 missing");
	g_ptr_array_unref(errors);
	g_free(broken);
	g_free(qdir);
}

/* Rewrite path in place: same inode, same size, mtime set to t. */
static void
rewrite_in_place(const char *path, const char *content, time_t t)
{
	FILE *fp = fopen(path, "w");
	struct utimbuf ub = { t, t };

	TEST_OK(fp != NULL, "open %s", path);
	if (fp == NULL)
		return;
	fputs(content, fp);
	fclose(fp);
	TEST_INT(utime(path, &ub), 0, "utime %s", path);
}

/* The per-process cache: an unchanged file is read once, a changed one
 * (in place, replaced, an HTML part added, removed) again. */
static void
cache(const char *top, GHashTable *vars)
{
	char *dir = g_build_filename(top, "cache", NULL);
	struct pd_rendered r;
	char *err = NULL, *txt = g_build_filename(dir, "ticket_closed.txt", NULL);
	char *html = g_build_filename(dir, "ticket_closed.html", NULL);
	unsigned int n0;

	g_mkdir(dir, 0700);
	template_cache_clear();
	put(dir, "ticket_closed.txt", "Subject: A {{ticket_ref}}\n\nbody A\n");
	n0 = template_files_read();
	for (int i = 0; i < 3; i++) {
		TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), 0,
		    "cache: render %d", i);
		TEST_STR(r.subject, "A TKT-0042", "cache: subject %d", i);
		TEST_STR(r.text, "body A\n", "cache: text %d", i);
		template_rendered_clear(&r);
	}
	TEST_INT(template_files_read() - n0, 1, "cache: three renders, one read");

	/* same inode and size, only the mtime tells */
	rewrite_in_place(txt, "Subject: B {{ticket_ref}}\n\nbody B\n", 1000000000);
	TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), 0,
	    "cache: render after edit in place");
	TEST_STR(r.subject, "B TKT-0042", "cache: edited subject used");
	TEST_STR(r.text, "body B\n", "cache: edited body used");
	template_rendered_clear(&r);
	TEST_INT(template_files_read() - n0, 2, "cache: the edited file read again");

	/* replaced by rename (a new inode), as editors and deploys do */
	put(dir, "ticket_closed.txt", "Subject: C\n\nbody C, longer\n");
	TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), 0,
	    "cache: render after replace");
	TEST_STR(r.text, "body C, longer\n", "cache: replaced file used");
	TEST_OK(r.html == NULL, "cache: no html yet");
	template_rendered_clear(&r);

	/* an HTML part added later is used */
	put(dir, "ticket_closed.html", "<p>{{ticket_ref}}</p>\n");
	TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), 0,
	    "cache: render with html");
	TEST_STR(r.html, "<p>TKT-0042</p>\n", "cache: html added later used");
	template_rendered_clear(&r);
	TEST_INT(template_files_read() - n0, 4, "cache: txt and the new html read");
	TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), 0,
	    "cache: render again");
	template_rendered_clear(&r);
	TEST_INT(template_files_read() - n0, 4, "cache: nothing read when nothing changed");

	/* a removed template is missed, not served from memory */
	g_unlink(html);
	g_unlink(txt);
	TEST_INT(template_render(dir, NULL, "ticket_closed", vars, &r, &err), -1,
	    "cache: removed template fails");
	TEST_STR(err, "no template for ticket_closed", "cache: removed template's error");
	g_free(err);
	g_free(txt);
	g_free(html);
	g_rmdir(dir);
	g_free(dir);
}

int
main(void)
{
	char *conf = test_src("conf/templates");
	char *dir = g_dir_make_tmp("pdtpl-XXXXXX", NULL);
	char *scratch = g_build_filename(dir, "t", NULL);
	GHashTable *vars = vars_new();
	int i;

	for (i = 0; template_events[i] != NULL; i++)
		;
	TEST_INT(i, 20, "13 events of SPEC 6 and 7 of ours");
	for (i = 0; template_variables[i] != NULL; i++)
		;
	TEST_INT(i, 22, "22 variables (12 of SPEC 6, 10 of ours: four, the five score links, list_url)");

	g_mkdir(scratch, 0700);
	table(scratch, vars);
	override_and_html(scratch, vars);
	cache(scratch, vars);
	check_all(conf, dir);
	shipped(conf, vars);

	g_hash_table_unref(vars);
	rm_rf(dir);
	g_free(scratch);
	g_free(dir);
	g_free(conf);
	return test_done();
}

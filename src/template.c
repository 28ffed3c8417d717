/* template.c: one file per event, rendered with {{variables}} (SPEC 6).
 *
 * EVENT.txt is "Subject: ..." on its first line, a blank line, then the
 * body.  EVENT.html beside it, when present, is the whole HTML body (no
 * Subject line) and gets its values HTML-escaped.  A line holding
 * nothing but one variable whose value is empty is left out entirely,
 * so that optional sentences ({{working_hours_notice}}) leave no hole.
 * White space at the end of a value is dropped: "{{message}}" ends its
 * line in the template already.
 */
#include <string.h>
#include <sys/stat.h>

#include "html.h"
#include "template.h"

const char *const template_events[] = {
	"ticket_created", "staff_new_ticket", "staff_customer_reply",
	"staff_reply", "status_changed", "ticket_resolved", "ticket_closed",
	"ticket_reopened", "sla_warning", "sla_breached", "ticket_escalated",
	"ticket_assigned", "attachment_refused",
	/* ours: to staff, documented in conf/templates/README */
	"command_error", "delivery_failed", "sla_first_response", "status_link",
	"staff_flood", "mail_held", "my_tickets", NULL
};

const char *const template_variables[] = {
	"customer_name", "ticket_ref", "subject", "agent_name", "status",
	"priority", "queue", "status_url", "message", "first_response_due",
	"resolution_due", "rating_url",
	/* ours, documented in conf/templates/README */
	"working_hours_notice", "refused", "commands_help", "reason",
	"rating_url_1", "rating_url_2", "rating_url_3", "rating_url_4", "rating_url_5",
	"list_url", NULL
};

/* Sample values for template_check_all. */
static const char *const sample_values[][2] = {
	{ "customer_name", "Jane Customer" },
	{ "ticket_ref", "TKT-0042" },
	{ "subject", "Printer on floor 2 is jammed" },
	{ "agent_name", "Alice Smith" },
	{ "status", "in_progress" },
	{ "priority", "high" },
	{ "queue", "Support" },
	{ "status_url", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd" },
	{ "message", "Hello,\nthe printer says <PC LOAD LETTER> & stops.\n" },
	{ "first_response_due", "Mon 23 Nov 2026 13:00 CET" },
	{ "resolution_due", "Wed 25 Nov 2026 17:00 CET" },
	{ "rating_url", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd#rate" },
	{ "rating_url_1", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd&rate=1#rate" },
	{ "rating_url_2", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd&rate=2#rate" },
	{ "rating_url_3", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd&rate=3#rate" },
	{ "rating_url_4", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd&rate=4#rate" },
	{ "rating_url_5", "https://help.example.com/cgi-bin/postdesk.cgi?t=TKT-0042&k=0123abcd&rate=5#rate" },
	{ "list_url", "https://help.example.com/cgi-bin/postdesk.cgi?c=jane%40example.org&l=1800000000.0123abcd" },
	{ "working_hours_notice", "We are outside our working hours right now." },
	{ "refused", "- setup.exe (type application/x-msdownload not allowed)" },
	{ "commands_help", "#status STATUS  #assign NAME  #note  #close" },
	{ "reason", "customer threatens to cancel" },
};

/* A template larger than this is a mistake, not a template. */
#define TEMPLATE_MAX	(256 * 1024)

static int
known(const char *const *list, const char *s, size_t len)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

/* "FILE:LINE: msg", or "FILE: msg" when line is 0. */
static void
add_error(GPtrArray *errors, const char *file, int line, const char *msg)
{
	if (line > 0)
		g_ptr_array_add(errors, g_strdup_printf("%s:%d: %s", file,
		    line, msg));
	else
		g_ptr_array_add(errors, g_strdup_printf("%s: %s", file, msg));
}

enum mode { M_TEXT, M_HTML, M_SUBJECT };

/*
 * Render one line (without its newline) into out.  Returns 1 when the
 * line was only one variable that rendered empty (the caller drops it).
 * Problems go to errors and rendering goes on, so that check-config
 * reports all of them.
 */
static int
render_line(GString *out, const char *s, size_t len, GHashTable *vars,
    enum mode mode, const char *file, int line, GPtrArray *errors)
{
	const char *p = s, *end = s + len, *open, *close, *name, *v;
	size_t start = out->len, nlen;
	int vars_seen = 0, text_seen = 0, empty = 1;

	while (p < end) {
		open = g_strstr_len(p, end - p, "{{");
		if (open == NULL) {
			g_string_append_len(out, p, end - p);
			for (; p < end; p++)
				if (!g_ascii_isspace(*p))
					text_seen = 1;
			break;
		}
		for (; p < open; p++) {
			g_string_append_c(out, *p);
			if (!g_ascii_isspace(*p))
				text_seen = 1;
		}
		close = g_strstr_len(open + 2, end - (open + 2), "}}");
		if (close == NULL) {
			add_error(errors, file, line, "unterminated {{");
			return 0;
		}
		name = open + 2;
		nlen = close - name;
		while (nlen > 0 && g_ascii_isspace(*name)) {
			name++;
			nlen--;
		}
		while (nlen > 0 && g_ascii_isspace(name[nlen - 1]))
			nlen--;
		if (!known(template_variables, name, nlen)) {
			char *bad = g_strndup(name, MIN(nlen, 64));
			char *msg = g_strdup_printf("unknown variable {{%s}}",
			    bad);

			add_error(errors, file, line, msg);
			g_free(msg);
			g_free(bad);
		} else {
			char *key = g_strndup(name, nlen);

			v = vars ? g_hash_table_lookup(vars, key) : NULL;
			g_free(key);
			if (v != NULL && *v != '\0') {
				/* the template has the line break already */
				size_t vlen = strlen(v);

				while (vlen > 0 && g_ascii_isspace(v[vlen - 1]))
					vlen--;
				if (vlen > 0)
					empty = 0;
				if (mode == M_HTML) {
					char *t = g_strndup(v, vlen);
					html_escape_append(out, t);
					g_free(t);
				} else
					g_string_append_len(out, v, vlen);
			}
		}
		vars_seen++;
		p = close + 2;
	}
	if (vars_seen == 1 && !text_seen && empty) {
		g_string_truncate(out, start);
		return 1;
	}
	return 0;
}

/* Render lines [p, end) of file starting at line number first. */
static char *
render_body(const char *p, const char *end, int first, GHashTable *vars,
    enum mode mode, const char *file, GPtrArray *errors)
{
	GString *out = g_string_new(NULL);
	const char *nl;
	size_t len;
	int line;

	for (line = first; p < end; line++) {
		nl = memchr(p, '\n', end - p);
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (!render_line(out, p, len, vars, mode, file, line, errors) &&
		    nl != NULL)
			g_string_append_c(out, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return g_string_free(out, FALSE);
}

static char *
read_template(const char *path, GPtrArray *errors)
{
	char *data = NULL;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		add_error(errors, path, 0, "cannot be read");
		return NULL;
	}
	if (len > TEMPLATE_MAX) {
		add_error(errors, path, 0, "larger than 256 KB");
		g_free(data);
		return NULL;
	}
	if (memchr(data, '\0', len) != NULL ||
	    !g_utf8_validate(data, len, NULL)) {
		add_error(errors, path, 0, "not UTF-8 text");
		g_free(data);
		return NULL;
	}
	return data;
}

/*
 * The files read, per process (`outbox flush` renders every mail at
 * send time, the daemon for as long as it runs): a file is read and
 * checked once, and again when its inode, size or mtime changes, so an
 * edited template is used for the next mail.  One stat a file a mail
 * instead of open, read, UTF-8 check and close.
 */
struct tpl_file {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	char		*data;
};

static GHashTable *tpl_cache;	/* path -> struct tpl_file * */
static unsigned int tpl_reads;	/* files read, for the unit test */

static void
tpl_file_free(gpointer p)
{
	struct tpl_file *f = p;

	g_free(f->data);
	g_free(f);
}

/* A copy of the checked contents of path, from the cache when the file
 * is unchanged; NULL with the problem appended to errors. */
static char *
read_template_cached(const char *path, GPtrArray *errors)
{
	struct tpl_file *f;
	struct stat sb;
	char *data;

	if (tpl_cache == NULL)
		tpl_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		    tpl_file_free);
	if (stat(path, &sb) < 0) {
		g_hash_table_remove(tpl_cache, path);
		add_error(errors, path, 0, "cannot be read");
		return NULL;
	}
	f = g_hash_table_lookup(tpl_cache, path);
	if (f != NULL && f->dev == sb.st_dev && f->ino == sb.st_ino &&
	    f->size == sb.st_size && f->mtime.tv_sec == sb.st_mtim.tv_sec &&
	    f->mtime.tv_nsec == sb.st_mtim.tv_nsec)
		return g_strdup(f->data);
	g_hash_table_remove(tpl_cache, path);
	tpl_reads++;
	if ((data = read_template(path, errors)) == NULL)
		return NULL;
	f = g_new0(struct tpl_file, 1);
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = sb.st_mtim;
	f->data = g_strdup(data);
	g_hash_table_insert(tpl_cache, g_strdup(path), f);
	return data;
}

unsigned int
template_files_read(void)
{
	return tpl_reads;
}

void
template_cache_clear(void)
{
	if (tpl_cache != NULL)
		g_hash_table_destroy(tpl_cache);
	tpl_cache = NULL;
}

/*
 * Render txt (and html when not NULL) into out, every problem appended
 * to errors.  Returns 0 when there was none.
 */
static int
render_files(const char *txt, const char *html, GHashTable *vars,
    struct pd_rendered *out, GPtrArray *errors)
{
	guint before = errors->len;
	char *data, *nl, *subject, *body;
	const char *rest;
	int body_line = 3;

	memset(out, 0, sizeof(*out));
	if ((data = read_template_cached(txt, errors)) == NULL)
		return -1;
	nl = strchr(data, '\n');
	if (!g_str_has_prefix(data, "Subject:")) {
		add_error(errors, txt, 0, "no Subject: line");
		g_free(data);
		return -1;
	}
	rest = nl ? nl + 1 : data + strlen(data);
	subject = render_body(data + strlen("Subject:"), nl ? nl : rest, 1,
	    vars, M_SUBJECT, txt, errors);
	g_strdelimit(subject, "\r\n\t", ' ');
	g_strstrip(subject);
	if (*rest != '\0') {
		const char *q = rest;

		while (*q == ' ' || *q == '\t' || *q == '\r')
			q++;
		if (*q != '\n' && *q != '\0') {
			add_error(errors, txt, 2,
			    "a blank line must follow the Subject: line");
			body_line = 2;
		} else
			rest = *q == '\n' ? q + 1 : q;
	}
	body = render_body(rest, rest + strlen(rest), body_line, vars, M_TEXT,
	    txt, errors);
	g_free(data);
	out->subject = subject;
	out->text = body;

	if (html != NULL && (data = read_template_cached(html, errors)) != NULL) {
		out->html = render_body(data, data + strlen(data), 1, vars,
		    M_HTML, html, errors);
		g_free(data);
	}
	if (errors->len != before) {
		template_rendered_clear(out);
		return -1;
	}
	return 0;
}

static int
event_known(const char *event)
{
	return event != NULL && known(template_events, event, strlen(event));
}

/* EVENT.html beside txt, or NULL. */
static char *
html_beside(const char *dir, const char *event)
{
	char *name = g_strconcat(event, ".html", NULL);
	char *path = g_build_filename(dir, name, NULL);

	g_free(name);
	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return path;
	g_free(path);
	return NULL;
}

static char *
txt_path(const char *dir, const char *event)
{
	char *name = g_strconcat(event, ".txt", NULL);
	char *path = g_build_filename(dir, name, NULL);

	g_free(name);
	return path;
}

void
template_rendered_clear(struct pd_rendered *r)
{
	g_free(r->subject);
	g_free(r->text);
	g_free(r->html);
	memset(r, 0, sizeof(*r));
}

int
template_render(const char *dir, const char *queue_dir, const char *event,
    GHashTable *vars, struct pd_rendered *out, char **error_r)
{
	const char *dirs[2] = { queue_dir, dir };
	GPtrArray *errors;
	char *txt = NULL, *html = NULL;
	int i, r;

	memset(out, 0, sizeof(*out));
	/* the event names a file: never let it name another one */
	if (!event_known(event)) {
		*error_r = g_strdup_printf("unknown event %s",
		    event ? event : "(null)");
		return -1;
	}
	for (i = 0; i < 2 && txt == NULL; i++) {
		if (dirs[i] == NULL)
			continue;
		txt = txt_path(dirs[i], event);
		if (!g_file_test(txt, G_FILE_TEST_EXISTS)) {
			g_free(txt);
			txt = NULL;
		} else
			html = html_beside(dirs[i], event);
	}
	if (txt == NULL) {
		*error_r = g_strdup_printf("no template for %s", event);
		return -1;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	r = render_files(txt, html, vars, out, errors);
	if (r == -1)
		*error_r = g_strdup(errors->pdata[0]);
	g_ptr_array_unref(errors);
	g_free(txt);
	g_free(html);
	return r;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in dir that no event will ever use are typos worth reporting,
 * in name order so that the report is the same every time. */
static void
check_strays(const char *dir, GPtrArray *errors)
{
	GPtrArray *names;
	GDir *d;
	const char *f, *dot;
	guint i;

	if ((d = g_dir_open(dir, 0, NULL)) == NULL)
		return;
	names = g_ptr_array_new_with_free_func(g_free);
	while ((f = g_dir_read_name(d)) != NULL) {
		dot = strrchr(f, '.');
		if (dot == NULL || (strcmp(dot, ".txt") != 0 &&
		    strcmp(dot, ".html") != 0))
			continue;
		if (!known(template_events, f, dot - f))
			g_ptr_array_add(names, g_build_filename(dir, f, NULL));
	}
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_str);
	for (i = 0; i < names->len; i++)
		add_error(errors, names->pdata[i], 0, "not a known event");
	g_ptr_array_unref(names);
}

/*
 * Every event must have its text template in dir; queue_dir only
 * overrides.  Each file is rendered with a value for every variable so
 * that all mistakes show up now rather than when the mail is due.
 */
int
template_check_all(const char *dir, const char *queue_dir, GPtrArray *errors)
{
	const char *dirs[2] = { dir, queue_dir };
	GHashTable *vars;
	struct pd_rendered r;
	guint before = errors->len;
	size_t i;
	int d, e;

	vars = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < G_N_ELEMENTS(sample_values); i++)
		g_hash_table_insert(vars, (char *)sample_values[i][0],
		    (char *)sample_values[i][1]);
	for (d = 0; d < 2; d++) {
		if (dirs[d] == NULL)
			continue;
		if (!g_file_test(dirs[d], G_FILE_TEST_IS_DIR)) {
			add_error(errors, dirs[d], 0, "not a folder");
			continue;
		}
		check_strays(dirs[d], errors);
		for (e = 0; template_events[e] != NULL; e++) {
			char *txt = txt_path(dirs[d], template_events[e]);
			char *html = html_beside(dirs[d], template_events[e]);

			if (g_file_test(txt, G_FILE_TEST_EXISTS)) {
				if (render_files(txt, html, vars, &r,
				    errors) == 0) {
					if (*r.subject == '\0')
						add_error(errors, txt, 1,
						    "empty Subject:");
					template_rendered_clear(&r);
				}
			} else if (d == 0)
				add_error(errors, txt, 0, "missing");
			else if (html != NULL)
				add_error(errors, html, 0,
				    "has no .txt beside it");
			g_free(txt);
			g_free(html);
		}
	}
	g_hash_table_unref(vars);
	return (int)(errors->len - before);
}

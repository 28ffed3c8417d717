/* cli_ticket.c: the commands on tickets: list, show, set. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "cli_private.h"
#include "commands.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "notify.h"
#include "quote.h"
#include "store.h"
#include "ticket.h"
#include "util.h"

#define LIST_WIDTH	100		/* columns of `list` text output */

/* A mail body for a terminal: lines and tabs kept, other controls '?'. */
static void
print_text(const char *s)
{
	char *valid;
	const char *p;

	if (s == NULL)
		return;
	valid = g_utf8_make_valid(s, -1);
	for (p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch == '\n' || ch == '\t')
			putchar((int)ch);
		else if (ch == '\r')
			continue;
		else if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
			putchar('?');
		else
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), stdout);
	}
	g_free(valid);
	if (*s && s[strlen(s) - 1] != '\n')
		putchar('\n');
}

/* s then spaces up to width characters (s is clean UTF-8). */
static void
pad(GString *line, const char *s, size_t width)
{
	size_t n = g_utf8_strlen(s, -1);

	g_string_append(line, s);
	while (n++ < width)
		g_string_append_c(line, ' ');
}

void
cli_json_ticket(GString *o, const struct pd_ticket *t, GPtrArray *msgs)
{
	g_string_append_c(o, '{');
	json_kv_string(o, "ref", t->ref, 1);
	json_kv_string(o, "subject", t->subject, 0);
	json_kv_string(o, "status", t->status, 0);
	json_kv_string(o, "priority", t->priority, 0);
	json_kv_string(o, "queue", t->queue, 0);
	json_kv_string(o, "assignee", t->assignee && *t->assignee ? t->assignee : NULL, 0);
	json_key(o, "customer", 0);
	g_string_append_c(o, '{');
	json_kv_string(o, "email", t->customer_email, 1);
	json_kv_string(o, "name", t->customer_name && *t->customer_name ?
	    t->customer_name : NULL, 0);
	g_string_append_c(o, '}');
	json_key(o, "labels", 0);
	g_string_append_c(o, '[');
	for (guint i = 0; t->labels && i < t->labels->len; i++) {
		if (i)
			g_string_append_c(o, ',');
		json_string(o, t->labels->pdata[i]);
	}
	g_string_append_c(o, ']');
	json_kv_time(o, "created_at", t->created_at, 0);
	json_kv_time(o, "updated_at", t->updated_at, 0);
	json_kv_time(o, "first_response_at", t->first_response_at, 0);
	json_kv_time(o, "resolved_at", t->resolved_at, 0);
	json_kv_string(o, "merged_into", t->merged_into ? t->merged_into_ref : NULL, 0);
	if (msgs) {
		json_key(o, "messages", 0);
		g_string_append_c(o, '[');
		for (guint i = 0; i < msgs->len; i++) {
			const struct pd_stored_message *m = msgs->pdata[i];

			if (i)
				g_string_append_c(o, ',');
			g_string_append_c(o, '{');
			json_kv_int(o, "id", m->id, 1);
			json_kv_string(o, "kind", m->kind, 0);
			json_kv_string(o, "from", m->from_addr, 0);
			json_kv_time(o, "date", m->date, 0);
			json_kv_string(o, "subject", m->subject, 0);
			json_kv_string(o, "text", m->body, 0);
			json_kv_string(o, "visible_text", m->visible_text, 0);
			json_key(o, "attachments", 0);
			g_string_append_c(o, '[');
			for (guint j = 0; m->attachments && j < m->attachments->len; j++) {
				const struct pd_stored_attachment *a = m->attachments->pdata[j];

				if (j)
					g_string_append_c(o, ',');
				g_string_append_c(o, '{');
				json_kv_string(o, "filename", a->filename, 1);
				json_kv_string(o, "content_type", a->content_type, 0);
				json_kv_int(o, "size", a->size, 0);
				json_kv_string(o, "sha256", a->sha256, 0);
				g_string_append_c(o, '}');
			}
			g_string_append(o, "]}");
		}
		g_string_append_c(o, ']');
	}
	g_string_append_c(o, '}');
}

/* Aligned columns cut to fit LIST_WIDTH; the subject takes the rest. */
static void
list_text(GPtrArray *tickets)
{
	static const char *const head[] = { "REF", "STATUS", "PRIORITY", "QUEUE",
	    "ASSIGNEE", "CUSTOMER", "SUBJECT" };
	static const size_t cap[] = { 12, 11, 8, 14, 24, 30, 0 };
	size_t width[7], used = 0;
	GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
	GString *line = g_string_new(NULL);
	int col;

	for (col = 0; col < 6; col++)
		width[col] = strlen(head[col]);
	for (guint i = 0; i < tickets->len; i++) {
		const struct pd_ticket *t = tickets->pdata[i];
		const char *v[6] = { t->ref, t->status, t->priority, t->queue,
		    t->assignee, t->customer_email };

		for (col = 0; col < 6; col++) {
			char *s = cli_clean(v[col], cap[col]);

			width[col] = MAX(width[col], (size_t)g_utf8_strlen(s, -1));
			g_ptr_array_add(cells, s);
		}
	}
	for (col = 0; col < 6; col++)
		used += width[col] + 2;
	width[6] = used + 20 < LIST_WIDTH ? LIST_WIDTH - used : 20;

	for (col = 0; col < 6; col++) {
		pad(line, head[col], width[col]);
		g_string_append(line, "  ");
	}
	g_string_append(line, head[6]);
	puts(line->str);
	for (guint i = 0; i < tickets->len; i++) {
		const struct pd_ticket *t = tickets->pdata[i];
		char *subject = cli_clean(t->subject, width[6]);

		g_string_truncate(line, 0);
		for (col = 0; col < 6; col++) {
			pad(line, cells->pdata[i * 6 + col], width[col]);
			g_string_append(line, "  ");
		}
		g_string_append(line, subject);
		puts(line->str);
		g_free(subject);
	}
	g_string_free(line, TRUE);
	g_ptr_array_unref(cells);
}

int
cli_cmd_list(struct cli *c, int argc, char **argv)
{
	const char *status = NULL, *queue = NULL, *assignee = NULL, *search = NULL;
	int json = 0, rc;
	const struct opt opts[] = {
		{ "--status", &status, NULL }, { "--queue", &queue, NULL },
		{ "--assignee", &assignee, NULL }, { "--search", &search, NULL },
		{ "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *tickets;
	struct pd_ticket_filter f;
	char *err = NULL;

	rc = cli_parse_args("list", argc, argv, opts, args);
	if (rc == 0 && args->len)
		rc = cli_usage_error("list: unexpected argument '%s'", (char *)args->pdata[0]);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (status && ticket_status_from_name(status) < 0)
		return cli_usage_error("list: unknown status '%s'", status);
	if ((rc = cli_open(c)) != 0)
		return rc;
	memset(&f, 0, sizeof f);
	f.status = status;
	f.search = search;
	if (queue) {
		const struct pd_queue *q = config_queue_by_name(c->cfg, queue);

		if (q == NULL)
			return cli_usage_error("list: unknown queue '%s'", queue);
		f.queue = q->name;
	}
	if (assignee) {
		const struct pd_staff *s = config_staff_by_name_or_email(c->cfg, assignee);

		if (s == NULL)
			return cli_usage_error("list: unknown staff member '%s'", assignee);
		f.assignee = s->email;
	}
	if (store_ticket_list(c->ctx.store, &f, &tickets, &err) < 0)
		return cli_store_failed(c, "list", err);
	if (json) {
		GString *out = g_string_new("[");

		for (guint i = 0; i < tickets->len; i++) {
			g_string_append(out, i ? ",\n" : "\n");
			cli_json_ticket(out, tickets->pdata[i], NULL);
		}
		g_string_append(out, tickets->len ? "\n]" : "]");
		cli_print_json(out);
	} else
		list_text(tickets);
	g_ptr_array_unref(tickets);
	return 0;
}

/* 0 and *t_r, or the exit code (printed): 65 for an unknown ref. */
static int
get_ticket(struct cli *c, const char *cmd, const char *ref, struct pd_ticket **t_r)
{
	char *err = NULL, *p;
	int rc;

	rc = store_ticket_get_by_ref(c->ctx.store, ref, t_r, &err);
	if (rc < 0)
		return cli_store_failed(c, cmd, err);
	if (rc == 0) {
		p = cli_clean(ref, 40);
		log_warnx("%s: no ticket %s", cmd, p);
		g_free(p);
		return EX_DATAERR;
	}
	return 0;
}

static void
show_field(const char *name, const char *value)
{
	char *v = cli_clean(value, 200);

	printf("%-16s%s\n", name, v);
	g_free(v);
}

static void
show_time(const char *name, gint64 t)
{
	char *v = cli_time_text(t);

	printf("%-16s%s\n", name, v);
	g_free(v);
}

static void
show_text(struct cli *c, const struct pd_ticket *t, GPtrArray *msgs)
{
	char *s, *labels;

	s = cli_clean(t->subject, 200);
	printf("%s  %s\n", t->ref, s);
	g_free(s);
	show_field("Status:", t->status);
	show_field("Priority:", t->priority);
	show_field("Queue:", t->queue);
	show_field("Assignee:", t->assignee);
	if (t->customer_name && *t->customer_name) {
		s = g_strdup_printf("%s <%s>", t->customer_name, t->customer_email);
		show_field("Customer:", s);
		g_free(s);
	} else
		show_field("Customer:", t->customer_email);
	g_ptr_array_add(t->labels, NULL);
	labels = g_strjoinv(", ", (char **)t->labels->pdata);
	g_ptr_array_remove_index(t->labels, t->labels->len - 1);
	show_field("Labels:", labels);
	g_free(labels);
	show_time("Created:", t->created_at);
	show_time("Updated:", t->updated_at);
	show_time("First response:", t->first_response_at);
	show_time("Resolved:", t->resolved_at);
	if (t->closed_at)
		show_time("Closed:", t->closed_at);
	if (t->merged_into)
		show_field("Merged into:", t->merged_into_ref);
	s = notify_status_url(&c->ctx, t->ref);
	show_field("Status page:", s);
	g_free(s);

	for (guint i = 0; i < msgs->len; i++) {
		const struct pd_stored_message *m = msgs->pdata[i];
		char *from = cli_clean(m->from_addr, 100), *date = cli_time_text(m->date);

		printf("\n--- #%" G_GINT64_FORMAT " %s from %s %s\n", m->id, m->kind, from, date);
		g_free(from);
		g_free(date);
		s = cli_clean(m->subject, 200);
		printf("Subject: %s\n\n", s);
		g_free(s);
		/* the new text first, the whole mail below a marker */
		if (m->visible_text && strcmp(m->visible_text, m->body) != 0) {
			print_text(m->visible_text);
			printf("\n%s\n", QUOTE_FULL_MARKER);
		}
		print_text(m->body);
		for (guint j = 0; m->attachments && j < m->attachments->len; j++) {
			const struct pd_stored_attachment *a = m->attachments->pdata[j];
			char *name = cli_clean(a->filename, 100), *type = cli_clean(a->content_type, 100);

			if (a->refused) {
				char *why = cli_clean(a->refused, 200);

				printf("[attachment %s (%s, %" G_GINT64_FORMAT " bytes) refused: "
				    "%s]\n", name, type, a->size, why);
				g_free(why);
			} else
				printf("[attachment %s (%s, %" G_GINT64_FORMAT " bytes, sha256 %s)]\n",
				    name, type, a->size, a->sha256 ? a->sha256 : "-");
			g_free(name);
			g_free(type);
		}
	}
}

int
cli_cmd_show(struct cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *msgs;
	struct pd_ticket *t;
	const char *ref = NULL;
	char *err = NULL;

	rc = cli_parse_args("show", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = cli_usage_error("show: missing REF");
	else if (rc == 0 && args->len > 1)
		rc = cli_usage_error("show: unexpected argument '%s'", (char *)args->pdata[1]);
	if (rc == 0)
		ref = args->pdata[0];
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if ((rc = get_ticket(c, "show", ref, &t)) != 0)
		return rc;
	if (store_messages(c->ctx.store, t->id, 1, &msgs, &err) < 0) {
		store_ticket_free(t);
		return cli_store_failed(c, "show", err);
	}
	if (json) {
		GString *out = g_string_new(NULL);

		cli_json_ticket(out, t, msgs);
		cli_print_json(out);
	} else
		show_text(c, t, msgs);
	g_ptr_array_unref(msgs);
	store_ticket_free(t);
	return 0;
}

enum set_key { SET_STATUS, SET_PRIORITY, SET_ASSIGNEE, SET_QUEUE, SET_LABEL };

struct set_change {
	enum set_key	 key;
	const char	*value;		/* checked; NULL unassigns */
	int		 remove;	/* label=-NAME */
};

static int
label_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 64 || !g_utf8_validate(s, -1, NULL))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == ',' || *s == 0x7f)
			return 0;
	return 1;
}

/* Check one KEY=VALUE against the config; EX_USAGE names what is wrong. */
static int
set_parse(struct cli *c, const char *arg, struct set_change *ch)
{
	const char *eq = strchr(arg, '='), *v;
	char *key;
	int rc = 0;

	if (eq == NULL || eq == arg)
		return cli_usage_error("set: '%s' is not KEY=VALUE", arg);
	key = g_strndup(arg, (gsize)(eq - arg));
	v = eq + 1;
	memset(ch, 0, sizeof *ch);
	ch->value = v;
	if (strcmp(key, "status") == 0) {
		ch->key = SET_STATUS;
		if (ticket_status_from_name(v) < 0)
			rc = cli_usage_error("set: unknown status '%s'", v);
	} else if (strcmp(key, "priority") == 0) {
		int p = ticket_priority_from_name(v);

		ch->key = SET_PRIORITY;
		if (p < 0)
			rc = cli_usage_error("set: unknown priority '%s'", v);
		else
			ch->value = ticket_priority_name((enum pd_priority)p);
	} else if (strcmp(key, "assignee") == 0) {
		ch->key = SET_ASSIGNEE;
		if (*v == '\0' || strcmp(v, "none") == 0)
			ch->value = NULL;
		else {
			const struct pd_staff *s = config_staff_by_name_or_email(c->cfg, v);

			if (s == NULL)
				rc = cli_usage_error("set: unknown staff member '%s'", v);
			else
				ch->value = s->email;
		}
	} else if (strcmp(key, "queue") == 0) {
		const struct pd_queue *q = config_queue_by_name(c->cfg, v);

		ch->key = SET_QUEUE;
		if (q == NULL)
			rc = cli_usage_error("set: unknown queue '%s'", v);
		else
			ch->value = q->name;
	} else if (strcmp(key, "label") == 0) {
		ch->key = SET_LABEL;
		if (*v == '-') {
			ch->remove = 1;
			ch->value = v + 1;
		}
		if (!label_valid(ch->value))
			rc = cli_usage_error("set: bad label '%s'", v);
	} else
		rc = cli_usage_error("set: unknown key '%s' (status, priority, assignee, "
		    "queue, label)", key);
	g_free(key);
	return rc;
}

/* One change inside the transaction.  Status, priority and assignee go
 * through the lifecycle (ticket.c), with the mails the same change by
 * mail causes; queue and labels are recorded as "set" events.
 * *detail_r says what happened (NULL when nothing changed). */
static int
set_apply(struct cli *c, struct pd_ticket *t, const struct set_change *ch, gint64 now,
    int no_mail, int *queued_r, char **detail_r, char **error_r)
{
	struct pd_store *st = c->ctx.store;
	struct pd_change tc = { 0 };
	const char *old;
	int applied;

	*detail_r = NULL;
	*queued_r = 0;
	if (ch->key == SET_LABEL) {
		guint at = 0;
		int have = 0;

		for (guint i = 0; i < t->labels->len; i++)
			if (strcmp(t->labels->pdata[i], ch->value) == 0) {
				have = 1;
				at = i;
			}
		if (have != ch->remove)
			return 0;
		if ((ch->remove ? store_label_remove(st, t->id, ch->value, error_r) :
		    store_label_add(st, t->id, ch->value, error_r)) < 0)
			return -1;
		if (ch->remove)
			g_ptr_array_remove_index(t->labels, at);
		else
			g_ptr_array_add(t->labels, g_strdup(ch->value));
		*detail_r = g_strdup_printf("label: %c%s", ch->remove ? '-' : '+', ch->value);
		return store_event_add(st, t->id, now, "cli", "set", *detail_r, error_r);
	}
	old = ch->key == SET_STATUS ? t->status : ch->key == SET_PRIORITY ? t->priority :
	    ch->key == SET_ASSIGNEE ? t->assignee : t->queue;
	if (old && *old == '\0')
		old = NULL;
	if (g_strcmp0(old, ch->value) == 0)
		return 0;
	*detail_r = g_strdup_printf("%s: %s -> %s", ch->key == SET_STATUS ? "status" :
	    ch->key == SET_PRIORITY ? "priority" : ch->key == SET_ASSIGNEE ? "assignee" :
	    "queue", old ? old : "none", ch->value ? ch->value : "none");
	if (ch->key == SET_QUEUE) {
		if (store_ticket_set(st, t->id, "queue", ch->value, now, error_r) < 0)
			return -1;
		g_free(t->queue);
		t->queue = g_strdup(ch->value);
		return store_event_add(st, t->id, now, "cli", "set", *detail_r, error_r);
	}
	tc.actor = "cli";
	tc.no_mail = no_mail;
	if (ch->key == SET_STATUS) {
		tc.event = TEV_CLI_SET;
		tc.target = ticket_status_from_name(ch->value);
	} else if (ch->key == SET_PRIORITY) {
		tc.event = TEV_PRIORITY;
		tc.target = ticket_priority_from_name(ch->value);
	} else {
		tc.event = TEV_ASSIGN;
		tc.assignee = ch->value;
		tc.detail = *detail_r + strlen("assignee: ");
	}
	return ticket_apply(&c->ctx, t, &tc, now, &applied, queued_r, error_r);
}

/* All KEY=VALUE checked first, then applied in one transaction. */
int
cli_cmd_set(struct cli *c, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new(), *done;
	struct set_change *changes = NULL;
	struct pd_ticket *t = NULL;
	char *err = NULL, *detail;
	gint64 now;
	guint n = 0;
	int rc;

	int no_mail = 0, queued = 0, q;
	const struct opt opts[] = { { "--no-mail", NULL, &no_mail }, { NULL, NULL, NULL } };

	rc = cli_parse_args("set", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = cli_usage_error("set: missing REF");
	else if (rc == 0 && args->len == 1)
		rc = cli_usage_error("set: missing KEY=VALUE after %s", (char *)args->pdata[0]);
	if (rc == 0)
		rc = cli_open(c);
	if (rc == 0) {
		n = args->len - 1;
		changes = g_new0(struct set_change, n);
		for (guint i = 0; rc == 0 && i < n; i++)
			rc = set_parse(c, args->pdata[i + 1], &changes[i]);
	}
	if (rc == 0)
		rc = get_ticket(c, "set", args->pdata[0], &t);
	if (rc) {
		g_ptr_array_unref(args);
		g_free(changes);
		return rc == 1 ? 0 : rc;
	}

	now = util_now();
	done = g_ptr_array_new_with_free_func(g_free);
	if (store_begin(c->ctx.store, &err) < 0)
		goto fail;
	for (guint i = 0; i < n; i++) {
		if (set_apply(c, t, &changes[i], now, no_mail, &q, &detail, &err) < 0) {
			g_free(detail);
			store_rollback(c->ctx.store);
			goto fail;
		}
		if (detail)
			g_ptr_array_add(done, detail);
		queued += q;
	}
	if (store_commit(c->ctx.store, &err) < 0)
		goto fail;
	for (guint i = 0; i < done->len; i++)
		printf("%s: %s\n", t->ref, (char *)done->pdata[i]);
	if (done->len == 0)
		printf("%s: nothing to change\n", t->ref);
	if (queued)
		printf("%s: %d mail%s queued\n", t->ref, queued, queued == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	rc = cli_store_failed(c, "set", err);
out:
	g_ptr_array_unref(done);
	g_ptr_array_unref(args);
	g_free(changes);
	store_ticket_free(t);
	return rc;
}

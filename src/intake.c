/* intake.c: the one pipeline (SPEC 2-5).  Every source hands raw bytes
 * to intake_process; one transaction records the mail, its ticket
 * changes and the mails they cause, so a crash leaves all or nothing. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bounce.h"
#include "classify.h"
#include "commands.h"
#include "hours.h"
#include "intake.h"
#include "log.h"
#include "notify.h"
#include "parser.h"
#include "quote.h"
#include "thread.h"
#include "timers.h"
#include "util.h"

struct intake {
	struct pd_ctx		*ctx;
	const struct pd_source	*src;
	struct pd_message	*msg;
	struct pd_intake_result	*r;
	const char		*sha;
	gint64			 now;
	int			 over_size;
	gint64			 real_size;
	struct pd_classification cls;
};

const char *
intake_outcome_name(enum pd_outcome o)
{
	static const char *const names[] = { "new", "threaded", "duplicate", "bounce",
	    "loop", "quarantined" };
	return names[o];
}

void
intake_result_clear(struct pd_intake_result *r)
{
	g_free(r->ref);
	g_free(r->detail);
	memset(r, 0, sizeof *r);
}

void
intake_parse_limits(const struct pd_config *cfg, struct pd_parse_limits *lim)
{
	lim->max_attachment = cfg->limits.max_attachment;
	lim->allowed_types = cfg->limits.allowed_types;
	lim->max_depth = cfg->limits.max_mime_depth;
	lim->max_parts = cfg->limits.max_mime_parts;
	lim->max_header = cfg->limits.max_header;
}

static void
set_result(struct intake *in, enum pd_outcome o, const char *ref, const char *detail)
{
	in->r->outcome = o;
	g_free(in->r->ref);
	in->r->ref = g_strdup(ref);
	g_free(in->r->detail);
	in->r->detail = g_strdup(detail);
}

static int
quarantine(struct intake *in, const char *reason, char **error_r)
{
	struct pd_message *m = in->msg;

	set_result(in, OUT_QUARANTINED, NULL, reason);
	return store_quarantine_add(in->ctx->store, reason, in->sha, in->src->kind,
	    in->src->mailbox, m ? m->from.addr : NULL, m ? m->subject : NULL, in->now, NULL,
	    error_r);
}

/* The queue: --mailbox, else a recipient matching a queue address,
 * else the first queue.  *is_note_r when it came to a note address. */
static const struct pd_queue *
pick_queue(struct intake *in, int *is_note_r)
{
	const struct pd_config *cfg = in->ctx->cfg;
	struct pd_message *m = in->msg;
	const struct pd_queue *q;
	const char *hdrs[] = { "Delivered-To", "X-Original-To" };

	*is_note_r = 0;
	if (in->src->recipient &&
	    (q = config_queue_by_address(cfg, in->src->recipient, is_note_r)))
		return q;
	for (size_t i = 0; i < G_N_ELEMENTS(hdrs); i++) {
		const char *v = message_header(m, hdrs[i]);
		char *a = v ? util_addr_normalize(v) : NULL;
		q = a ? config_queue_by_address(cfg, a, is_note_r) : NULL;
		g_free(a);
		if (q)
			return q;
	}
	for (int pass = 0; pass < 2; pass++) {
		GPtrArray *list = pass == 0 ? m->to : m->cc;
		for (guint i = 0; list && i < list->len; i++) {
			struct pd_addr *a = list->pdata[i];
			if (a->addr && (q = config_queue_by_address(cfg, a->addr, is_note_r)))
				return q;
		}
	}
	if (in->src->mailbox) {
		struct pd_mailbox *mb = config_mailbox_by_name(cfg, in->src->mailbox);
		if (mb && (q = config_queue_by_name(cfg, mb->queue)))
			return q;
	}
	return cfg->queues->pdata[0];
}

/* Attachments into the spool and the database.  Returns the list of
 * refused ones as text (caller frees) or NULL. */
static int
store_attachments(struct intake *in, gint64 msg_row, char **refused_r, char **error_r)
{
	GString *refused = g_string_new(NULL);

	for (guint i = 0; i < in->msg->attachments->len; i++) {
		struct pd_attachment *a = in->msg->attachments->pdata[i];
		struct pd_stored_attachment sa = { a->filename, a->content_type, a->size,
		    a->sha256, a->refused };
		if (a->data && !a->refused) {
			gsize len;
			const void *d = g_bytes_get_data(a->data, &len);
			if (store_blob_put(in->ctx->store, in->ctx->cfg->spool, d, len, a->sha256, error_r) < 0)
				goto fail;
		}
		if (a->refused)
			g_string_append_printf(refused, "- %s (%s): %s\n", a->filename,
			    a->content_type, a->refused);
		if (store_attachment_add(in->ctx->store, msg_row, &sa, error_r) < 0)
			goto fail;
	}
	*refused_r = refused->len ? g_string_free(refused, FALSE) : NULL;
	if (*refused_r == NULL)
		g_string_free(refused, TRUE);
	return 0;
fail:
	g_string_free(refused, TRUE);
	return -1;
}

static int
add_message(struct intake *in, gint64 ticket_id, const char *kind, const char *body,
    gint64 *row_r, char **refused_r, char **error_r)
{
	struct pd_message *m = in->msg;
	struct pd_stored_message sm = { 0 };
	char *vis;
	int rc;

	sm.ticket_id = ticket_id;
	sm.kind = (char *)kind;
	sm.message_id = m->message_id;
	sm.from_addr = m->from.addr;
	sm.from_name = m->from.name;
	sm.date = m->date ? m->date : in->now;
	sm.subject = m->subject;
	sm.body = (char *)(body ? body : m->text);
	/* a mail as written gets its new text; what we composed is all new */
	vis = body ? NULL : quote_mail_visible(m->text, m->subject);
	sm.visible_text = vis;
	sm.raw_sha256 = (char *)in->sha;
	sm.class = (char *)classify_name(in->cls.cls);
	sm.is_auto = in->cls.cls == CLASS_AUTO;
	rc = store_message_add(in->ctx->store, &sm, row_r, error_r);
	g_free(vis);
	if (rc < 0)
		return -1;
	return store_attachments(in, *row_r, refused_r, error_r);
}

static int
system_message(struct intake *in, gint64 ticket_id, const char *text, char **error_r)
{
	struct pd_stored_message sm = { 0 };
	gint64 row;

	sm.ticket_id = ticket_id;
	sm.kind = "system";
	sm.from_addr = NULL;
	sm.date = in->now;
	sm.subject = "";
	sm.body = (char *)text;
	sm.raw_sha256 = (char *)in->sha;
	sm.class = (char *)classify_name(in->cls.cls);
	return store_message_add(in->ctx->store, &sm, &row, error_r);
}

/* Staff to tell: the assignee, else the queue's staff. */
static GPtrArray *
staff_recipients(const struct pd_config *cfg, const struct pd_ticket *t)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	const struct pd_queue *q = config_queue_by_name(cfg, t->queue);

	if (t->assignee)
		g_ptr_array_add(to, g_strdup(t->assignee));
	else if (q)
		for (guint i = 0; i < q->staff->len; i++)
			g_ptr_array_add(to, g_strdup(q->staff->pdata[i]));
	return to;
}

static GPtrArray *
admin_recipients(const struct pd_config *cfg)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < cfg->staff->len; i++) {
		struct pd_staff *s = cfg->staff->pdata[i];
		if (s->admin)
			g_ptr_array_add(to, g_strdup(s->email));
	}
	return to;
}

/* The customer and the participants: who gets public replies. */
static int
public_recipients(struct pd_ctx *ctx, const struct pd_ticket *t, GPtrArray **to_r,
    char **error_r)
{
	GPtrArray *to;

	if (store_participants(ctx->store, t->id, &to, error_r) < 0)
		return -1;
	g_ptr_array_insert(to, 0, g_strdup(t->customer_email));
	*to_r = to;
	return 0;
}

static int
notice(struct intake *in, const char *event, const struct pd_ticket *t, GPtrArray *to,
    int staff, int is_auto, const char *agent, const char *message, const char *xname,
    const char *xvalue, char **error_r)
{
	struct pd_notice n = { 0 };
	int queued = 0;

	if (in->src->no_mail)
		return 0;
	n.event = event;
	n.ticket = t;
	n.to = to;
	n.agent_name = agent;
	n.message = message;
	n.extra_name = xname;
	n.extra_value = xvalue;
	n.in_reply_to = in->msg ? in->msg->message_id : NULL;
	n.references = in->msg ? in->msg->references : NULL;
	n.is_auto = is_auto;
	n.staff = staff;
	/* Staff see what the customer sent; customers get what staff attach. */
	if ((staff || strcmp(event, "staff_reply") == 0) && in->msg && !is_auto)
		n.attachments = in->msg->attachments;
	if (notify_queue(in->ctx, &n, in->now, &queued, error_r) < 0)
		return -1;
	in->r->queued += queued;
	return 0;
}

static int
reload(struct intake *in, gint64 id, struct pd_ticket **t_r, char **error_r)
{
	store_ticket_free(*t_r);
	*t_r = NULL;
	if (store_ticket_get(in->ctx->store, id, t_r, error_r) != 1) {
		if (error_r && *error_r == NULL)
			*error_r = g_strdup("ticket vanished");
		return -1;
	}
	return 0;
}

static int
set_status(struct intake *in, struct pd_ticket *t, const char *status, const char *actor,
    char **error_r)
{
	struct pd_store *st = in->ctx->store;
	char *detail;
	int rc;

	if (strcmp(t->status, status) == 0)
		return 0;
	detail = g_strdup_printf("status: %s -> %s", t->status, status);
	rc = store_ticket_set(st, t->id, "status", status, in->now, error_r);
	if (rc == 0 && strcmp(status, "resolved") == 0)
		rc = store_ticket_set_int(st, t->id, "resolved_at", in->now, in->now, error_r);
	if (rc == 0 && strcmp(status, "closed") == 0)
		rc = store_ticket_set_int(st, t->id, "closed_at", in->now, in->now, error_r);
	if (rc == 0 && strcmp(status, "open") == 0)
		rc = store_ticket_set_int(st, t->id, "resolved_at", 0, in->now, error_r);
	if (rc == 0)
		rc = store_event_add(st, t->id, in->now, actor, "status", detail, error_r);
	g_free(detail);
	return rc;
}

/* The customer attachments that were refused get one polite notice. */
static int
tell_refused(struct intake *in, const struct pd_ticket *t, const char *refused,
    char **error_r)
{
	GPtrArray *to;
	int rc;

	if (refused == NULL || in->cls.cls == CLASS_AUTO || in->cls.no_answer ||
	    in->msg->from.addr == NULL)
		return 0;
	to = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(to, g_strdup(in->msg->from.addr));
	rc = notice(in, "attachment_refused", t, to, 0, 1, NULL, NULL, "refused", refused,
	    error_r);
	g_ptr_array_unref(to);
	return rc;
}

static int
new_ticket(struct intake *in, const struct pd_queue *q, const char *cust_addr,
    const char *cust_name, const char *subject, gint64 follows, gint64 *id_r,
    char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_ticket t = { 0 };
	const struct pd_sla *sla = config_sla_for(ctx->cfg, q);
	char *clean = thread_clean_subject(subject, ctx->cfg->ref_prefix);
	int rc = -1;

	if (store_customer_get_or_add(ctx->store, cust_addr, cust_name, in->now,
	    &t.customer_id, error_r) < 0 ||
	    store_next_ref(ctx->store, ctx->cfg->ref_prefix, &t.ref, error_r) < 0)
		goto out;
	t.subject = *clean ? clean : "(no subject)";
	t.status = "open";
	t.priority = "normal";
	t.queue = q->name;
	t.assignee = q->default_assignee;
	t.created_at = in->now;
	t.follows = follows;
	if (sla) {
		t.first_response_due = hours_add(ctx->cfg, in->now, sla->first[PRIO_NORMAL]);
		t.resolution_due = hours_add(ctx->cfg, in->now, sla->resolve[PRIO_NORMAL]);
	}
	if (store_ticket_create(ctx->store, &t, id_r, error_r) < 0)
		goto out;
	rc = store_event_add(ctx->store, *id_r, in->now, cust_addr, "created",
	    follows ? "follows an older closed ticket" : NULL, error_r);
out:
	g_free(t.ref);
	g_free(clean);
	return rc;
}

/* Cc'd people on a customer's mail become participants. */
static int
add_ccs(struct intake *in, gint64 tid, char **error_r)
{
	const struct pd_config *cfg = in->ctx->cfg;

	for (guint i = 0; in->msg->cc && i < in->msg->cc->len; i++) {
		struct pd_addr *a = in->msg->cc->pdata[i];
		if (a->addr == NULL || config_is_our_address(cfg, a->addr) ||
		    config_queue_by_address(cfg, a->addr, NULL) ||
		    config_staff_by_email(cfg, a->addr) ||
		    g_strcmp0(a->addr, in->msg->from.addr) == 0)
			continue;
		if (store_participant_add(in->ctx->store, tid, a->addr, a->name, error_r) < 0)
			return -1;
	}
	return 0;
}

static int
customer_mail(struct intake *in, gint64 tid, const struct pd_queue *q, char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_message *m = in->msg;
	struct pd_ticket *t = NULL;
	int is_auto = in->cls.cls == CLASS_AUTO, created = 0, reopened = 0, rc = -1;
	char *refused = NULL;
	gint64 row;

	if (tid) {
		if (reload(in, tid, &t, error_r) < 0)
			goto out;
		if (!is_auto && (strcmp(t->status, "resolved") == 0 ||
		    strcmp(t->status, "closed") == 0)) {
			gint64 since = t->closed_at ? t->closed_at :
			    (t->resolved_at ? t->resolved_at : t->updated_at);
			if (in->now - since <= ctx->cfg->limits.reopen_window)
				reopened = 1;
			else {
				/* Too old: a new ticket that links to the old one. */
				gint64 old = t->id;
				if (new_ticket(in, q, m->from.addr, m->from.name, m->subject, old,
				    &tid, error_r) < 0 || reload(in, tid, &t, error_r) < 0)
					goto out;
				created = 1;
			}
		}
	} else {
		if (new_ticket(in, q, m->from.addr, m->from.name, m->subject, 0, &tid,
		    error_r) < 0 || reload(in, tid, &t, error_r) < 0)
			goto out;
		created = 1;
	}
	if (add_message(in, tid, "customer", NULL, &row, &refused, error_r) < 0 ||
	    add_ccs(in, tid, error_r) < 0)
		goto out;
	if (!created && !is_auto) {
		int known;
		if (store_ticket_knows(ctx->store, tid, m->from.addr, &known, error_r) < 0)
			goto out;
		if (!known && store_participant_add(ctx->store, tid, m->from.addr,
		    m->from.name, error_r) < 0)
			goto out;
	}
	if (reopened || (!is_auto && strcmp(t->status, "waiting") == 0)) {
		if (set_status(in, t, "open", m->from.addr, error_r) < 0)
			goto out;
	} else if (store_ticket_set(ctx->store, tid, "status", t->status, in->now,
	    error_r) < 0)	/* touches updated_at */
		goto out;
	if (reload(in, tid, &t, error_r) < 0)
		goto out;
	set_result(in, created ? OUT_NEW : OUT_THREADED, t->ref, classify_name(in->cls.cls));
	if (!is_auto) {
		GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
		GPtrArray *staff = staff_recipients(ctx->cfg, t);
		/* Answer only people (SPEC 3): staff are told why not. */
		char *why = in->cls.no_answer ? g_strdup_printf("not acknowledged: %s",
		    in->cls.no_answer) : NULL;
		int r2 = 0;
		g_ptr_array_add(to, g_strdup(m->from.addr));
		if (why)
			r2 = store_event_add(ctx->store, tid, in->now, "postdesk", "not_answered",
			    why, error_r);
		else if (created)
			r2 = notice(in, "ticket_created", t, to, 0, 1, NULL, m->text, NULL, NULL,
			    error_r);
		else if (reopened)
			r2 = notice(in, "ticket_reopened", t, to, 0, 1, NULL, m->text, NULL, NULL,
			    error_r);
		if (r2 == 0) {
			/* staff read the new text; the whole mail is below it */
			char *vis = quote_mail_visible(m->text, m->subject);
			char *text = quote_with_full(vis, m->text);

			r2 = notice(in, created ? "staff_new_ticket" : "staff_customer_reply", t,
			    staff, 1, 0, NULL, text, why ? "reason" : NULL, why, error_r);
			g_free(text);
			g_free(vis);
		}
		if (r2 == 0)
			r2 = tell_refused(in, t, refused, error_r);
		g_free(why);
		g_ptr_array_unref(to);
		g_ptr_array_unref(staff);
		if (r2 < 0)
			goto out;
	}
	rc = 0;
out:
	g_free(refused);
	store_ticket_free(t);
	return rc;
}

/* Answer a staff member whose commands were refused; nothing relayed. */
static int
staff_error(struct intake *in, struct pd_ticket *t, gint64 tid, const char *err,
    char **error_r)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	char *text = g_strdup_printf("%s\n\n[commands refused: %s; nothing was sent]",
	    in->msg->text, err);
	char *refused = NULL;
	gint64 row;
	int rc;

	g_ptr_array_add(to, g_strdup(in->msg->from.addr));
	rc = add_message(in, tid, "note", text, &row, &refused, error_r);
	if (rc == 0)
		rc = store_event_add(in->ctx->store, tid, in->now, in->msg->from.addr,
		    "command_error", err, error_r);
	if (rc == 0)
		rc = notice(in, "command_error", t, to, 1, 1, NULL, in->msg->text, "reason", err,
		    error_r);
	g_ptr_array_unref(to);
	g_free(text);
	g_free(refused);
	set_result(in, OUT_THREADED, t ? t->ref : NULL, err);
	return rc;
}

/* Validate what needs the config or the database before anything is
 * applied: an invalid command changes nothing. */
static char *
staff_check(struct intake *in, GPtrArray *cmds, gint64 tid)
{
	const struct pd_config *cfg = in->ctx->cfg;

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
			int rc = store_ticket_get_by_ref(in->ctx->store, c->arg, &o, &e);
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
			char *name = g_strdup_printf("%s.txt", c->arg);
			char *path = g_build_filename(cfg->templates, "canned", name, NULL);
			int ok = strchr(c->arg, '/') == NULL && c->arg[0] != '.' &&
			    g_file_test(path, G_FILE_TEST_IS_REGULAR);
			g_free(name);
			g_free(path);
			if (!ok)
				return g_strdup_printf("line %d: #canned: no canned response '%s'",
				    c->line, c->arg);
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

static int
staff_mail(struct intake *in, gint64 tid, const struct pd_queue *q, int is_note_addr,
    char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_store *st = ctx->store;
	struct pd_message *m = in->msg;
	struct pd_staff *me = in->cls.staff;
	GPtrArray *cmds = NULL;
	struct pd_ticket *t = NULL;
	char *rest = NULL, *err = NULL, *body = NULL, *refused = NULL;
	GString *reply = NULL;
	const char *status_to = NULL, *to_addr = NULL;
	int note = is_note_addr, rc = -1, assigned = 0, escalate = 0;
	const char *escalate_reason = NULL;
	gint64 row;

	if (tid && reload(in, tid, &t, error_r) < 0)
		goto out;
	if (commands_parse(m->text, &cmds, &rest, &err) < 0 ||
	    (err = staff_check(in, cmds, tid)) != NULL) {
		if (tid == 0) {
			/* No ticket to put it on: keep it where a person will look. */
			rc = store_quarantine_add(st, err, in->sha, in->src->kind,
			    in->src->mailbox, m->from.addr, m->subject, in->now, NULL, error_r);
			set_result(in, OUT_QUARANTINED, NULL, err);
			if (rc == 0) {
				GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
				g_ptr_array_add(to, g_strdup(m->from.addr));
				rc = notice(in, "command_error", NULL, to, 1, 1, NULL, m->text,
				    "reason", err, error_r);
				g_ptr_array_unref(to);
			}
		} else
			rc = staff_error(in, t, tid, err, error_r);
		goto out;
	}
	for (guint i = 0; i < cmds->len; i++) {
		struct pd_command *c = cmds->pdata[i];
		if (c->cmd == CMD_NOTE)
			note = 1;
		if (c->cmd == CMD_TO)
			to_addr = c->arg;
	}
	if (tid == 0) {
		if (to_addr == NULL) {
			/* A staff member writing in without a ticket is a customer. */
			rc = customer_mail(in, 0, q, error_r);
			goto out;
		}
		{
			char *cust = util_addr_normalize(to_addr);
			rc = new_ticket(in, q, cust, NULL, m->subject, 0, &tid, error_r);
			g_free(cust);
		}
		if (rc < 0 || reload(in, tid, &t, error_r) < 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
	}
	reply = g_string_new(NULL);
	for (guint i = 0; i < cmds->len; i++) {
		struct pd_command *c = cmds->pdata[i];
		int r2 = 0;
		switch (c->cmd) {
		case CMD_STATUS:	status_to = c->arg; break;
		case CMD_CLOSE:		status_to = "closed"; break;
		case CMD_HOLD:		status_to = "on_hold"; break;
		case CMD_RESOLVE:	status_to = "resolved"; break;
		case CMD_ASSIGN: {
			struct pd_staff *s = config_staff_by_name_or_email(ctx->cfg, c->arg);
			r2 = store_ticket_set(st, tid, "assignee", s->email, in->now, error_r);
			assigned = 1;
			break;
		}
		case CMD_PRIORITY:
			r2 = reload(in, tid, &t, error_r);
			if (r2 == 0)
				r2 = timers_set_priority(ctx, t, c->arg, in->now, error_r);
			break;
		case CMD_LABEL:
			r2 = store_label_add(st, tid, c->arg, error_r);
			break;
		case CMD_UNLABEL:
			r2 = store_label_remove(st, tid, c->arg, error_r);
			break;
		case CMD_MERGE: {
			struct pd_ticket *o = NULL;
			if (store_ticket_get_by_ref(st, c->arg, &o, error_r) != 1)
				r2 = -1;
			else
				r2 = store_ticket_merge(st, o->id, tid, in->now, error_r);
			store_ticket_free(o);
			break;
		}
		case CMD_ESCALATE:
			r2 = reload(in, tid, &t, error_r);
			if (r2 == 0)
				r2 = timers_set_priority(ctx, t, "urgent", in->now, error_r);
			escalate = 1;
			escalate_reason = c->arg;
			break;
		case CMD_CANNED: {
			char *name = g_strdup_printf("%s.txt", c->arg);
			char *path = g_build_filename(ctx->cfg->templates, "canned", name, NULL);
			char *text = NULL;
			if (g_file_get_contents(path, &text, NULL, NULL)) {
				g_string_append(reply, text);
				g_string_append_c(reply, '\n');
			}
			g_free(text);
			g_free(path);
			g_free(name);
			break;
		}
		case CMD_CC: {
			char *a = util_addr_normalize(c->arg);
			r2 = store_participant_add(st, tid, a, NULL, error_r);
			g_free(a);
			break;
		}
		default:
			break;
		}
		if (r2 == 0 && c->cmd != CMD_NOTE) {
			char *d = g_strdup_printf("#%s%s%s", commands_name(c->cmd),
			    c->arg ? " " : "", c->arg ? c->arg : "");
			r2 = store_event_add(st, tid, in->now, me->email, "command", d, error_r);
			g_free(d);
		}
		if (r2 < 0)
			goto out;
	}
	body = quote_strip(rest, me->signature);
	g_string_append(reply, body);
	g_strstrip(reply->str);
	reply->len = strlen(reply->str);
	if (add_message(in, tid, note ? "note" : (reply->len ? "staff" : "note"), reply->str,
	    &row, &refused, error_r) < 0 || reload(in, tid, &t, error_r) < 0)
		goto out;
	if (!note && reply->len) {
		GPtrArray *to;
		if (public_recipients(ctx, t, &to, error_r) < 0)
			goto out;
		rc = notice(in, "staff_reply", t, to, 0, 0, me->name, reply->str, NULL, NULL,
		    error_r);
		g_ptr_array_unref(to);
		if (rc < 0)
			goto out;
		rc = -1;
		if (t->first_response_at == 0 && store_ticket_set_int(st, tid,
		    "first_response_at", in->now, in->now, error_r) < 0)
			goto out;
		if (status_to == NULL)
			status_to = "waiting";
	}
	if (status_to && set_status(in, t, status_to, me->email, error_r) < 0)
		goto out;
	if (reload(in, tid, &t, error_r) < 0)
		goto out;
	if (status_to && strcmp(status_to, "resolved") == 0) {
		GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(to, g_strdup(t->customer_email));
		rc = notice(in, "ticket_resolved", t, to, 0, 1, me->name, NULL, NULL, NULL,
		    error_r);
		g_ptr_array_unref(to);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (assigned && t->assignee && strcmp(t->assignee, me->email) != 0) {
		GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(to, g_strdup(t->assignee));
		rc = notice(in, "ticket_assigned", t, to, 1, 0, me->name, m->text, NULL, NULL,
		    error_r);
		g_ptr_array_unref(to);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (escalate) {
		GPtrArray *to = admin_recipients(ctx->cfg);
		rc = notice(in, "ticket_escalated", t, to, 1, 0, me->name, m->text, "reason",
		    escalate_reason, error_r);
		g_ptr_array_unref(to);
		if (rc < 0)
			goto out;
	}
	set_result(in, OUT_THREADED, t->ref, note ? "note" : "staff");
	rc = 0;
out:
	if (cmds)
		commands_free(cmds);
	if (reply)
		g_string_free(reply, TRUE);
	g_free(rest);
	g_free(err);
	g_free(body);
	g_free(refused);
	store_ticket_free(t);
	return rc;
}

/* SPEC 3 step 2: attach to the ticket whose mail it names, or keep it. */
static int
bounce_mail(struct intake *in, char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_bounce *b = bounce_parse(in->msg);
	gint64 outbox_id = 0, tid = 0;
	GPtrArray *ids = g_ptr_array_new();
	GString *text = g_string_new(NULL);
	int rc = -1;

	for (guint i = 0; i < b->message_ids->len; i++)
		g_ptr_array_add(ids, b->message_ids->pdata[i]);
	if (in->msg->in_reply_to)
		g_ptr_array_add(ids, in->msg->in_reply_to);
	for (guint i = 0; in->msg->references && i < in->msg->references->len; i++)
		g_ptr_array_add(ids, in->msg->references->pdata[i]);
	for (guint i = 0; i < ids->len && tid == 0; i++) {
		const char *id = ids->pdata[i];
		char *ref = NULL;
		if (!token_check_message_id(&ctx->secret, id, &ref))
			continue;	/* only our own, signed mail can bounce back */
		if (store_outbox_by_message_id(ctx->store, id, &outbox_id, &tid, error_r) < 0) {
			g_free(ref);
			goto out;
		}
		if (tid == 0 && ref) {
			struct pd_ticket *t = NULL;
			if (store_ticket_get_by_ref(ctx->store, ref, &t, error_r) == 1)
				tid = t->id;
			store_ticket_free(t);
		}
		g_free(ref);
	}
	for (guint i = 0; i < b->rcpts->len; i++) {
		struct pd_bounce_rcpt *br = b->rcpts->pdata[i];
		if (store_bounce_add(ctx->store, tid, outbox_id, br->recipient, br->status,
		    br->reply_code, br->diagnostic, b->feedback, in->sha, in->now, error_r) < 0)
			goto out;
		if (tid && br->recipient && br->permanent && !b->feedback &&
		    store_customer_mark_bouncing(ctx->store, br->recipient, br->status,
		    error_r) < 0)
			goto out;
		g_string_append_printf(text, "%s %s: %s%s%s\n", b->feedback ?
		    "Feedback report (abuse complaint) about mail to" : "Delivery failed to",
		    br->recipient ? br->recipient : "(unknown recipient)",
		    br->status ? br->status : "no status",
		    br->diagnostic ? " " : "", br->diagnostic ? br->diagnostic : "");
	}
	if (tid == 0) {
		rc = quarantine(in, b->feedback ? "unmatched feedback report" :
		    "unmatched bounce", error_r);
		goto out;
	}
	if (text->len == 0)
		g_string_append(text, "A delivery status notification came back.\n");
	if (system_message(in, tid, text->str, error_r) < 0 ||
	    store_event_add(ctx->store, tid, in->now, "postdesk", "bounce", text->str,
	    error_r) < 0)
		goto out;
	{
		struct pd_ticket *t = NULL;
		if (store_ticket_get(ctx->store, tid, &t, error_r) == 1)
			set_result(in, OUT_BOUNCE, t->ref, b->feedback ? "feedback" : "bounce");
		store_ticket_free(t);
	}
	rc = 0;
out:
	g_ptr_array_unref(ids);
	g_string_free(text, TRUE);
	bounce_free(b);
	return rc;
}

static int
loop_mail(struct intake *in, char **error_r)
{
	char *from = util_printable(in->msg->from.addr, 200);
	char *subj = util_printable(in->msg->subject, 200);
	char *d = g_strdup_printf("%s; from %s; subject %s; raw %s", in->cls.reason, from,
	    subj, in->sha);
	int rc = store_event_add(in->ctx->store, 0, in->now, "postdesk", "loop", d, error_r);

	set_result(in, OUT_LOOP, NULL, in->cls.reason);
	g_free(from);
	g_free(subj);
	g_free(d);
	return rc;
}

/* Everything after parsing, inside the transaction. */
static int
intake_classified(struct intake *in, char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_message *m = in->msg;
	const struct pd_queue *q;
	enum pd_thread_how how;
	gint64 tid;
	int is_note;
	char *why;

	classify(ctx->cfg, &ctx->secret, m, in->src->sender, &in->cls);
	switch (in->cls.cls) {
	case CLASS_LOOP:
		return loop_mail(in, error_r);
	case CLASS_BOUNCE:
		return bounce_mail(in, error_r);
	case CLASS_HOPS:
		why = g_strdup_printf("loop: %d Received headers", m->received_count);
		goto quarantine;
	case CLASS_SPAM:
		why = g_strdup_printf("spam: %s", in->cls.reason);
		goto quarantine;
	default:
		break;
	}
	if (m->from.addr == NULL || strchr(m->from.addr, '@') == NULL) {
		why = g_strdup("no usable From address");
		goto quarantine;
	}
	if (in->cls.staff && in->cls.cls != CLASS_STAFF)
		log_info("unauthenticated mail from staff address %s handled as customer mail",
		    m->from.addr);
	q = pick_queue(in, &is_note);
	if (thread_find(ctx, m, in->src->recipient, in->cls.cls == CLASS_STAFF, &tid, &how,
	    error_r) < 0)
		return -1;
	if (in->cls.cls == CLASS_STAFF)
		return staff_mail(in, tid, q, is_note, error_r);
	if (in->cls.cls == CLASS_AUTO && tid == 0) {
		/* A robot writing to no ticket of ours opens none (SPEC 3). */
		why = g_strdup_printf("automatic mail that answers no ticket (%s)",
		    in->cls.reason);
		goto quarantine;
	}
	return customer_mail(in, tid, q, error_r);
quarantine:
	{
		int rc = quarantine(in, why, error_r);
		g_free(why);
		return rc;
	}
}

/* A message over max_message keeps its text and headers; every
 * attachment is refused and the sender told. */
static void
apply_size_limit(struct intake *in)
{
	char *why;

	if (!in->over_size || in->msg == NULL)
		return;
	why = g_strdup_printf("the message (%" G_GINT64_FORMAT " bytes) is larger than the "
	    "%" G_GINT64_FORMAT " byte limit", in->real_size, in->ctx->cfg->limits.max_message);
	for (guint i = 0; i < in->msg->attachments->len; i++) {
		struct pd_attachment *a = in->msg->attachments->pdata[i];
		if (a->refused)
			continue;
		a->refused = g_strdup(why);
		g_clear_pointer(&a->data, g_bytes_unref);
		g_clear_pointer(&a->sha256, g_free);
	}
	if (in->msg->attachments->len == 0) {
		struct pd_attachment *a = g_new0(struct pd_attachment, 1);
		a->filename = g_strdup("(rest of the message)");
		a->content_type = g_strdup("message/rfc822");
		a->size = in->real_size;
		a->refused = g_strdup(why);
		g_ptr_array_add(in->msg->attachments, a);
	}
	g_free(why);
}

/* Commit that sha is being parsed, on its own. */
static int
attempt_record(struct pd_ctx *ctx, const char *sha, char **error_r)
{
	if (store_begin(ctx->store, error_r) < 0 ||
	    store_attempt_add(ctx->store, sha, util_now(), error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return 0;
}

/* Parse raw: in the parser child when the context has one (issue 8,
 * SPEC 2), else here.  Outside a caller's transaction (deliver, the
 * daemon) the attempt is first recorded by hash (*attempt_r): a mail
 * that killed an earlier attempt is not parsed again but quarantined
 * (*parsed_r 0, *perr_r the reason).  A mail that kills the parser
 * child is quarantined now, or, when the MTA retries (deliver), is a
 * temporary failure whose recorded reason the retry quarantines
 * (*keep_attempt_r).  0, or -1 with *error_r for a temporary failure. */
static int
parse_guarded(struct pd_ctx *ctx, const struct pd_source *src, const void *raw,
    size_t len, const char *sha, const struct pd_parse_limits *lim,
    struct pd_message **msg_r, int *parsed_r, char **perr_r, int *attempt_r,
    int *keep_attempt_r, char **error_r)
{
	int prc, found = 0;
	char *reason = NULL;

	*parsed_r = 0;
	if (ctx->parser == NULL) {
		*parsed_r = message_parse(raw, len, lim, msg_r, perr_r) == 0;
		return 0;
	}
	if (!store_in_transaction(ctx->store) && !src->force) {
		int seen = 0;

		/* kept unparsed before (quarantined): a duplicate, not parsed */
		if (store_seen_check(ctx->store, NULL, sha, &seen, error_r) < 0)
			return -1;
		if (seen)
			return 0;
		if (store_attempt_get(ctx->store, sha, &found, &reason, error_r) < 0)
			return -1;
		if (found) {
			*perr_r = reason ? reason :
			    g_strdup("intake died on an earlier attempt");
			log_warnx("intake: %s killed an earlier attempt (%s): quarantined",
			    sha, *perr_r);
			*attempt_r = 1;
			return 0;
		}
		if (attempt_record(ctx, sha, error_r) < 0)
			return -1;
		*attempt_r = 1;
	}
	prc = parser_parse(ctx->parser, raw, len, lim, msg_r, perr_r);
	if (prc == PARSE_TEMPFAIL) {
		*error_r = *perr_r;
		*perr_r = NULL;
		return -1;
	}
	if (prc == PARSE_DIED) {
		log_warnx("intake: %s: %s", sha, *perr_r);
		if (src->mta_retries && *attempt_r) {
			if (store_begin(ctx->store, error_r) < 0 ||
			    store_attempt_set_reason(ctx->store, sha, *perr_r, error_r) < 0 ||
			    store_commit(ctx->store, error_r) < 0) {
				store_rollback(ctx->store);
				return -1;
			}
			*keep_attempt_r = 1;
			*error_r = g_strdup_printf("%s (quarantined when tried again)",
			    *perr_r);
			return -1;
		}
	}
	*parsed_r = prc == PARSE_OK;
	return 0;
}

int
intake_process(struct pd_ctx *ctx, const void *raw, size_t len,
    const struct pd_source *src, struct pd_intake_result *r, char **error_r)
{
	struct intake in = { 0 };
	struct pd_parse_limits lim;
	char *sha, *perr = NULL, *err = NULL;
	int seen = 0, parsed, rc = -1, attempt = 0, keep_attempt = 0;

	memset(r, 0, sizeof *r);
	in.ctx = ctx;
	in.src = src;
	in.r = r;
	in.now = util_now();
	in.real_size = src->size > (gint64)len ? src->size : (gint64)len;
	in.over_size = in.real_size > ctx->cfg->limits.max_message;
	sha = util_sha256_hex(raw, len);
	in.sha = sha;
	intake_parse_limits(ctx->cfg, &lim);
	if (parse_guarded(ctx, src, raw, len, sha, &lim, &in.msg, &parsed, &perr,
	    &attempt, &keep_attempt, &err) < 0)
		goto tempfail;
	apply_size_limit(&in);

	if (store_begin(ctx->store, &err) < 0)
		goto tempfail;
	if (!src->force) {
		if (store_seen_check(ctx->store, parsed ? in.msg->message_id : NULL, sha, &seen,
		    &err) < 0)
			goto tempfail;
		if (!seen && src->uid && store_imap_seen_check(ctx->store, src->mailbox,
		    src->uidvalidity, src->uid, &seen, &err) < 0)
			goto tempfail;
		if (seen) {
			if (attempt && (store_attempt_del(ctx->store, sha, &err) < 0 ||
			    store_commit(ctx->store, &err) < 0))
				goto tempfail;
			store_rollback(ctx->store);
			set_result(&in, OUT_DUPLICATE, NULL, NULL);
			rc = 0;
			goto out;
		}
	}
	if (store_raw_put(ctx->store, ctx->cfg->spool, raw, len, sha, &err) < 0)
		goto tempfail;
	if (!parsed)
		rc = quarantine(&in, perr, &err);
	else
		rc = intake_classified(&in, &err);
	if (rc == 0)
		rc = store_seen_add(ctx->store, parsed ? in.msg->message_id : NULL, sha, in.now,
		    intake_outcome_name(r->outcome), &err);
	if (rc == 0 && src->uid)
		rc = store_imap_seen_add(ctx->store, src->mailbox, src->uidvalidity, src->uid,
		    in.now, &err);
	if (rc == 0 && attempt)
		rc = store_attempt_del(ctx->store, sha, &err);
	if (rc == 0 && store_commit(ctx->store, &err) == 0)
		goto out;
	store_rollback(ctx->store);
	if (store_error_transient(ctx->store))
		goto tempfail;
	/* A fault of ours or of the mail: keep the bytes where a person sees them. */
	log_warnx("intake failed, quarantining: %s", err);
	{
		char *why = g_strdup_printf("internal error: %s", err);
		struct pd_source s2 = *src;
		g_free(err);
		err = NULL;
		in.src = &s2;
		if (store_begin(ctx->store, &err) < 0 ||
		    store_raw_put(ctx->store, ctx->cfg->spool, raw, len, sha, &err) < 0 ||
		    quarantine(&in, why, &err) < 0 ||
		    store_seen_add(ctx->store, parsed ? in.msg->message_id : NULL, sha, in.now,
		    "quarantined", &err) < 0 ||
		    (attempt && store_attempt_del(ctx->store, sha, &err) < 0) ||
		    store_commit(ctx->store, &err) < 0) {
			g_free(why);
			goto tempfail;
		}
		g_free(why);
	}
	rc = 0;
	goto out;
tempfail:
	store_rollback(ctx->store);
	if (attempt && !keep_attempt) {
		/* not a crash: the next attempt must not take it for one */
		char *e2 = NULL;

		if (store_begin(ctx->store, &e2) < 0 ||
		    store_attempt_del(ctx->store, sha, &e2) < 0 ||
		    store_commit(ctx->store, &e2) < 0) {
			store_rollback(ctx->store);
			log_warnx("intake: parse attempt not cleared: %s", e2);
		}
		g_free(e2);
	}
	*error_r = err ? err : g_strdup("temporary failure");
	err = NULL;
	rc = -1;
out:
	g_free(err);
	g_free(perr);
	g_free(sha);
	if (in.msg)
		message_free(in.msg);
	return rc;
}

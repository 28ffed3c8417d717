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
#include "spam.h"
#include "thread.h"
#include "ticket.h"
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
	enum pd_filter_action	 filter;	/* rspamd's verdict (spam.c) */
	const char		*filter_reason;
	char			*visible;	/* quote_mail_visible of the text */
	int			 visible_done;
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
	if (cfg == NULL) {
		/* the config's defaults, for tests and fuzzers */
		memset(lim, 0, sizeof *lim);
		lim->max_attachment = DEF_MAX_ATTACHMENT;
		lim->max_depth = DEF_MAX_MIME_DEPTH;
		lim->max_parts = DEF_MAX_MIME_PARTS;
		lim->max_header = DEF_MAX_HEADER;
		return;
	}
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

/* "What happened to this mail?": one line per mail taken in, with its
 * source, Message-ID, sender, kind, outcome, ref and the mails it queued. */
static void
log_mail(const struct intake *in)
{
	const struct pd_intake_result *r = in->r;
	const struct pd_message *m = in->msg;
	char *id = util_printable(m && m->message_id ? m->message_id : "-", 200);
	char *from = util_printable(m && m->from.addr ? m->from.addr : "-", 200);
	char *detail = r->detail ? util_printable(r->detail, 200) : NULL;

	log_info("mail <%s> from %s via %s%s%s: %s, %s%s%s%s%s, %d mail%s queued", id, from,
	    in->src->kind, in->src->mailbox ? " " : "", in->src->mailbox ? in->src->mailbox : "",
	    m ? classify_name(in->cls.cls) : "unparsed", intake_outcome_name(r->outcome),
	    r->ref ? " " : "", r->ref ? r->ref : "", detail ? " - " : "", detail ? detail : "",
	    r->queued, r->queued == 1 ? "" : "s");
	g_free(id);
	g_free(from);
	g_free(detail);
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
			if (store_blob_put(in->ctx->store, d, len, a->sha256, error_r) < 0)
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

/* The mail's new text (quote_mail_visible), worked out once: it is
 * stored and it is what staff read first. */
static const char *
mail_visible(struct intake *in)
{
	if (!in->visible_done && in->msg->have_visible) {
		/* the parser child's (message_precompute) */
		in->visible = in->msg->visible;
		in->msg->visible = NULL;
		in->visible_done = 1;
	}
	if (!in->visible_done) {
		in->visible = quote_mail_visible(in->msg->text, in->msg->subject);
		in->visible_done = 1;
	}
	return in->visible;
}

static int
add_message(struct intake *in, gint64 ticket_id, const char *kind, const char *body,
    gint64 *row_r, char **refused_r, char **error_r)
{
	struct pd_message *m = in->msg;
	struct pd_stored_message sm = { 0 };
	int rc;

	sm.ticket_id = ticket_id;
	sm.kind = (char *)kind;
	sm.message_id = m->message_id;
	sm.from_addr = m->from.addr;
	sm.from_name = m->from.name;
	sm.date = m->date ? m->date : in->now;
	sm.subject = m->subject;
	sm.body = (char *)(body ? body : m->text);
	sm.body_packed = body ? NULL : m->text_packed;
	/* a mail as written gets its new text; what we composed is all new */
	sm.visible_text = body ? NULL : (char *)mail_visible(in);
	sm.raw_sha256 = (char *)in->sha;
	sm.class = (char *)classify_name(in->cls.cls);
	sm.is_auto = in->cls.cls == CLASS_AUTO;
	rc = store_message_add(in->ctx->store, &sm, row_r, error_r);
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

/* The context of the mails this mail causes: it is answered, and its
 * attachments go where the event carries them. */
static void
mail_ctx(struct intake *in, struct pd_event_mail *m, const char *message)
{
	memset(m, 0, sizeof *m);
	m->sender = in->msg->from.addr;
	m->message = message;
	m->in_reply_to = in->msg->message_id;
	m->references = in->msg->references;
	if (in->cls.cls != CLASS_AUTO)
		m->attachments = in->msg->attachments;
	m->on_page = in->src->on_page;
	if (in->cls.cls == CLASS_STAFF && in->cls.staff) {
		m->actor = in->cls.staff->email;
		m->agent_name = in->cls.staff->name;
	}
}

/* One SPEC 6 event outside the lifecycle (notify decides who). */
static int
tell(struct intake *in, const char *event, const struct pd_ticket *t,
    const struct pd_event_mail *m, char **error_r)
{
	int queued = 0;

	if (in->src->no_mail)
		return 0;
	if (notify_event(in->ctx, event, t, m, in->now, &queued, error_r) < 0)
		return -1;
	in->r->queued += queued;
	return 0;
}

/* One lifecycle event on t by the sender of this mail. */
static int
change(struct intake *in, struct pd_ticket *t, enum pd_event ev, int target,
    const char *detail, const struct pd_event_mail *m, char **error_r)
{
	struct pd_change c = { 0 };
	int applied, queued = 0;

	c.event = ev;
	c.target = target;
	c.actor = in->cls.cls == CLASS_STAFF && in->cls.staff ? in->cls.staff->email :
	    in->msg->from.addr;
	c.detail = detail;
	c.mail = m;
	c.no_mail = in->src->no_mail;
	if (ticket_apply(in->ctx, t, &c, in->now, &applied, &queued, error_r) < 0)
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

/* The customer attachments that were refused get one polite notice. */
static int
tell_refused(struct intake *in, const struct pd_ticket *t, const char *refused,
    char **error_r)
{
	struct pd_event_mail m;

	if (refused == NULL || in->cls.cls == CLASS_AUTO || in->cls.no_answer ||
	    in->msg->from.addr == NULL)
		return 0;
	mail_ctx(in, &m, NULL);
	m.attachments = NULL;
	m.extra_name = "refused";
	m.extra_value = refused;
	return tell(in, "attachment_refused", t, &m, error_r);
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

/* Participants are customers (SPEC 5): never a staff address, one of
 * our queue or note addresses, or an address in our own Message-ID
 * domain. */
static int
may_participate(const struct pd_config *cfg, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return addr && *addr && !config_is_our_address(cfg, addr) &&
	    config_queue_by_address(cfg, addr, NULL) == NULL &&
	    config_staff_by_email(cfg, addr) == NULL &&
	    !(at && cfg->hostname && g_ascii_strcasecmp(at + 1, cfg->hostname) == 0);
}

/* Cc'd people on a mail by the ticket's customer or a participant become
 * participants, at most limits.max_participants of them: a stranger's
 * Cc list never does. */
static int
add_ccs(struct intake *in, gint64 tid, char **error_r)
{
	const struct pd_config *cfg = in->ctx->cfg;
	GPtrArray *have;
	int known, n;

	if (in->msg->cc == NULL || in->msg->cc->len == 0)
		return 0;
	if (store_ticket_knows(in->ctx->store, tid, in->msg->from.addr, &known, error_r) < 0)
		return -1;
	if (!known)
		return 0;
	if (store_participants(in->ctx->store, tid, &have, error_r) < 0)
		return -1;
	n = (int)have->len;
	g_ptr_array_unref(have);
	for (guint i = 0; i < in->msg->cc->len && n < cfg->limits.max_participants; i++) {
		struct pd_addr *a = in->msg->cc->pdata[i];
		int already;

		if (!may_participate(cfg, a->addr) || g_strcmp0(a->addr, in->msg->from.addr) == 0)
			continue;
		if (store_ticket_knows(in->ctx->store, tid, a->addr, &already, error_r) < 0)
			return -1;
		if (already)
			continue;
		if (store_participant_add(in->ctx->store, tid, a->addr, a->name, error_r) < 0)
			return -1;
		n++;
	}
	return 0;
}

static int
customer_mail(struct intake *in, gint64 tid, const struct pd_queue *q, char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_message *m = in->msg;
	struct pd_ticket *t = NULL;
	struct pd_event_mail mail;
	int is_auto = in->cls.cls == CLASS_AUTO, created = 0, rc = -1;
	char *refused = NULL, *why = NULL, *staff_text = NULL;
	gint64 row;

	if (tid) {
		if (reload(in, tid, &t, error_r) < 0)
			goto out;
		if (!is_auto && (strcmp(t->status, "resolved") == 0 ||
		    strcmp(t->status, "closed") == 0)) {
			gint64 since = t->closed_at ? t->closed_at :
			    (t->resolved_at ? t->resolved_at : t->updated_at);
			if (in->now - since > ctx->cfg->limits.reopen_window) {
				/* Too old: a new ticket that links to the old one. */
				struct pd_ticket *old = t;

				t = NULL;
				rc = new_ticket(in, q, m->from.addr, m->from.name, m->subject,
				    old->id, &tid, error_r);
				if (rc == 0)
					rc = reload(in, tid, &t, error_r);
				if (rc == 0)
					rc = change(in, old, TEV_REOPEN_LATE, -1, t->ref, NULL,
					    error_r);
				store_ticket_free(old);
				if (rc < 0)
					goto out;
				rc = -1;
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
		if (!known && may_participate(ctx->cfg, m->from.addr) &&
		    store_participant_add(ctx->store, tid, m->from.addr,
		    m->from.name, error_r) < 0)
			goto out;
	}
	mail_ctx(in, &mail, m->text);
	/* staff read the new text; the whole mail is below it */
	staff_text = quote_with_full(mail_visible(in), m->text);
	mail.staff_message = staff_text;
	/* Answer only people (SPEC 3): staff are told why not. */
	why = in->cls.no_answer && !is_auto ? g_strdup_printf("not acknowledged: %s",
	    in->cls.no_answer) : NULL;
	/* A staff From that failed authentication (SPEC 5): flagged to the
	 * staff, and no customer copy goes to that staff address. */
	if (why == NULL && !is_auto && in->cls.staff)
		why = g_strdup("from a staff address but not authenticated: handled as "
		    "customer mail");
	mail.unanswered = why;
	if ((why && store_event_add(ctx->store, tid, in->now, "postdesk", "not_answered",
	    why, error_r) < 0) ||
	    change(in, t, created ? TEV_CREATE : is_auto ? TEV_AUTO_REPLY :
	    TEV_CUSTOMER_REPLY, -1, NULL, &mail, error_r) < 0 ||
	    tell_refused(in, t, refused, error_r) < 0)
		goto out;
	set_result(in, created ? OUT_NEW : OUT_THREADED, t->ref, classify_name(in->cls.cls));
	rc = 0;
out:
	g_free(refused);
	g_free(why);
	g_free(staff_text);
	store_ticket_free(t);
	return rc;
}

/* Answer a staff member whose commands were refused; nothing relayed.
 * With no ticket to put it on, the mail is kept where a person will look. */
static int
staff_error(struct intake *in, struct pd_ticket *t, const char *err, char **error_r)
{
	struct pd_event_mail m;
	char *text = NULL, *refused = NULL;
	gint64 row;
	int rc;

	commands_log_error(in->msg->from.addr, t ? t->ref : NULL, err);
	if (t == NULL) {
		rc = store_quarantine_add(in->ctx->store, err, in->sha, in->src->kind,
		    in->src->mailbox, in->msg->from.addr, in->msg->subject, in->now, NULL,
		    error_r);
		set_result(in, OUT_QUARANTINED, NULL, err);
	} else {
		text = g_strdup_printf("%s\n\n[commands refused: %s; nothing was sent]",
		    in->msg->text, err);
		rc = add_message(in, t->id, "note", text, &row, &refused, error_r);
		if (rc == 0)
			rc = store_event_add(in->ctx->store, t->id, in->now, in->msg->from.addr,
			    "command_error", err, error_r);
		set_result(in, OUT_THREADED, t->ref, err);
	}
	mail_ctx(in, &m, in->msg->text);
	m.attachments = NULL;
	m.actor = NULL;
	m.extra_name = "reason";
	m.extra_value = err;
	if (rc == 0)
		rc = tell(in, "command_error", t, &m, error_r);
	g_free(text);
	g_free(refused);
	return rc;
}

/* What a staff member wrote (SPEC 5): without quote and signature,
 * then cut where our notification's marker line or its commands footer
 * is, wherever a client put them (">" quote, Outlook's header block, an
 * HTML blockquote rendered), with the attribution line above the cut.
 * Empty when only commands and quotes were there: then nothing is
 * relayed (never the quote kept whole). */
static char *
staff_new_text(const char *rest, const char *signature)
{
	static const char *const cuts[] = { NOTIFY_REPLY_MARKER,
	    "Reply to this mail to answer the customer.", NULL };
	char *text = quote_visible(rest, signature, 0, NULL);
	char *end = text + strlen(text);
	int cut = 0;

	for (size_t i = 0; cuts[i]; i++) {
		char *p = strstr(text, cuts[i]);

		if (p && p < end) {
			while (p > text && p[-1] != '\n')
				p--;	/* the whole line, with its quote prefix */
			end = p;
			cut = 1;
		}
	}
	*end = '\0';
	g_strchomp(text);
	/* "On ... wrote:" (any language) left above the cut */
	while (cut) {
		char *nl = strrchr(text, '\n'), *last = nl ? nl + 1 : text;

		if (*last == '\0' || !g_str_has_suffix(last, ":"))
			break;
		*last = '\0';
		g_strchomp(text);
	}
	return text;
}

/* A relayed reply continues the customer's conversation (SPEC 6):
 * In-Reply-To the customer's latest mail, References their mails and
 * ours, never the staff client's own Message-ID. */
static int
relay_thread(struct intake *in, gint64 tid, struct pd_event_mail *m, GPtrArray **ids_r,
    char **last_r, char **error_r)
{
	if (store_conversation_ids(in->ctx->store, tid, ids_r, last_r, error_r) < 0)
		return -1;
	m->in_reply_to = *last_r;
	m->references = *ids_r;
	if (m->in_reply_to == NULL && (*ids_r)->len)
		m->in_reply_to = (*ids_r)->pdata[(*ids_r)->len - 1];
	return 0;
}

static int
staff_mail(struct intake *in, gint64 tid, const struct pd_queue *q, int is_note_addr,
    char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	struct pd_message *m = in->msg;
	struct pd_staff *me = in->cls.staff;
	struct pd_command_result res = { 0 };
	struct pd_event_mail cmail, rmail;
	GPtrArray *cmds = NULL;
	struct pd_ticket *t = NULL;
	char *rest = NULL, *err = NULL, *body = NULL, *refused = NULL, *last = NULL;
	const char *to_addr = NULL;
	int note = is_note_addr, rc = -1, queued = 0;
	GPtrArray *thread_ids = NULL;
	gint64 row = 0;

	if (tid && reload(in, tid, &t, error_r) < 0)
		goto out;
	/* From the status page the commands come apart from the text. */
	if (in->src->staff)
		rc = commands_parse(in->src->commands ? in->src->commands : "", &cmds, &rest,
		    &err);
	else
		rc = commands_parse(m->text, &cmds, &rest, &err);
	if (in->src->staff && rc == 0) {
		g_free(rest);
		rest = g_strdup(m->text ? m->text : "");
	}
	if (rc < 0 ||
	    (err = commands_check(ctx, cmds, tid)) != NULL) {
		rc = staff_error(in, t, err, error_r);
		goto out;
	}
	rc = -1;
	commands_scan(cmds, &note, &to_addr);
	if (tid == 0) {
		char *cust;

		if (to_addr == NULL) {
			/* A staff member writing in without a ticket is a customer. */
			rc = customer_mail(in, 0, q, error_r);
			goto out;
		}
		cust = util_addr_normalize(to_addr);
		rc = new_ticket(in, q, cust, NULL, m->subject, 0, &tid, error_r);
		g_free(cust);
		if (rc < 0 || reload(in, tid, &t, error_r) < 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
	}
	mail_ctx(in, &cmail, m->text);
	if (commands_apply(ctx, t, cmds, me, &cmail, in->src->no_mail, in->now, &res, &queued,
	    error_r) < 0)
		goto out;
	in->r->queued += queued;
	note |= res.note;
	/* what was typed on the page is all new text */
	body = in->src->staff ? g_strstrip(g_strdup(rest)) : staff_new_text(rest, me->signature);
	g_string_append(res.canned, body);
	g_strstrip(res.canned->str);
	res.canned->len = strlen(res.canned->str);
	/* A reply of commands only (nothing written, nothing attached) is
	 * no message: its commands are the ticket's history events. */
	if (res.canned->len == 0 && (m->attachments == NULL || m->attachments->len == 0)) {
		if (cmds->len == 0 && store_event_add(ctx->store, tid, in->now, me->email,
		    "empty_reply", "nothing written: nothing relayed or kept", error_r) < 0)
			goto out;
	} else if (add_message(in, tid, note || res.canned->len == 0 ? "note" : "staff",
	    res.canned->str, &row, &refused, error_r) < 0)
		goto out;
	mail_ctx(in, &rmail, res.canned->str);
	if (relay_thread(in, tid, &rmail, &thread_ids, &last, error_r) < 0)
		goto out;
	if (change(in, t, !note && res.canned->len ? TEV_STAFF_REPLY : res.status >= 0 ?
	    TEV_STAFF_STATUS : TEV_STAFF_NOTE, res.status, NULL, &rmail, error_r) < 0)
		goto out;
	set_result(in, OUT_THREADED, t->ref, row == 0 ? (cmds->len ? "commands only" :
	    "nothing written") : note ? "note" : "staff");
	rc = 0;
out:
	if (cmds)
		commands_free(cmds);
	if (res.canned)
		g_string_free(res.canned, TRUE);
	g_free(rest);
	g_free(err);
	g_free(body);
	g_free(refused);
	g_free(last);
	if (thread_ids)
		g_ptr_array_unref(thread_ids);
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
		/* A delay is recorded and changes nothing; a success says so. */
		const char *what = b->feedback ? "Feedback report (abuse complaint) about mail to" :
		    g_strcmp0(br->action, "delayed") == 0 ? "Delivery delayed to" :
		    br->action && strcmp(br->action, "failed") != 0 ? "Delivered to" :
		    "Delivery failed to";
		if (br->recipient && token_check_message_id(&ctx->secret, br->recipient, NULL))
			continue;	/* our own Message-ID is no recipient */
		if (store_bounce_add(ctx->store, tid, outbox_id, br->recipient, br->status,
		    br->action, br->reply_code, br->diagnostic, b->feedback, in->sha, in->now,
		    error_r) < 0)
			goto out;
		if (tid && br->recipient && br->permanent && !b->feedback &&
		    store_customer_mark_bouncing(ctx->store, br->recipient, br->status,
		    error_r) < 0)
			goto out;
		g_string_append_printf(text, "%s %s: %s%s%s\n", what,
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

/* SPEC 3 floods: past limits.new_tickets_per_sender new tickets in an
 * hour from one address, its further new mail is kept in quarantine
 * (reason "flood"), and the queue's staff hear of it once an hour. */
static int
flood_check(struct intake *in, const struct pd_queue *q, int *flood_r, char **error_r)
{
	struct pd_ctx *ctx = in->ctx;
	const char *from = in->msg->from.addr;
	int limit = ctx->cfg->limits.new_tickets_per_sender, n, told;
	struct pd_event_mail note = { 0 };
	char *why;

	*flood_r = 0;
	if (limit <= 0)
		return 0;
	if (store_tickets_count_customer(ctx->store, from, in->now - 3600, &n, error_r) < 0)
		return -1;
	if (n < limit)
		return 0;
	*flood_r = 1;
	if (store_quarantine_count_from(ctx->store, "flood", from, in->now - 3600, &told,
	    error_r) < 0 || quarantine(in, "flood", error_r) < 0)
		return -1;
	if (told > 0 || in->src->no_mail)
		return 0;
	why = g_strdup_printf("%d new tickets in the last hour, the limit is %d", n, limit);
	log_info("flood: %s: %s; further new mail from it is kept in quarantine", from, why);
	note.queue = q;
	note.message = NULL;
	note.extra_name = "reason";
	note.extra_value = why;
	note.sender = from;
	n = notify_event(ctx, "staff_flood", NULL, &note, in->now, &told, error_r);
	in->r->queued += told;
	g_free(why);
	return n;
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
	classify_apply_filter(&in->cls, in->filter, in->filter_reason);
	/* The status page vouches for its agent (the web server signed them
	 * in) and for the customer (the ticket's key). */
	if (in->src->staff && (in->cls.cls == CLASS_STAFF || in->cls.cls == CLASS_CUSTOMER)) {
		in->cls.cls = CLASS_STAFF;
		in->cls.staff = (struct pd_staff *)in->src->staff;
	} else if (in->src->ticket_id && in->cls.cls == CLASS_STAFF)
		in->cls.cls = CLASS_CUSTOMER;
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
	if (in->src->ticket_id)
		tid = in->src->ticket_id;
	else if (thread_find(ctx, m, in->src->recipient, in->cls.cls == CLASS_STAFF, &tid,
	    &how, error_r) < 0)
		return -1;
	if (in->cls.cls == CLASS_STAFF)
		return staff_mail(in, tid, q, is_note, error_r);
	if (in->cls.cls == CLASS_AUTO && tid == 0) {
		/* A robot writing to no ticket of ours opens none (SPEC 3). */
		why = g_strdup_printf("automatic mail that answers no ticket (%s)",
		    in->cls.reason);
		goto quarantine;
	}
	if (tid == 0) {
		int flood = 0;

		if (flood_check(in, q, &flood, error_r) < 0)
			return -1;
		if (flood)
			return 0;
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

/* Deaths of the whole process with one mail (no reason known) before
 * the next attempt quarantines it instead. */
#define INTAKE_MAX_DEATHS	2

/* Commit that sha is being parsed, on its own.  Not synced to disk: the
 * record is for a death of this process, after which the kernel still
 * writes it; a power failure is no fault of the mail, and the commit of
 * the mail itself syncs it with the rest.  One fsync less a mail. */
static int
attempt_record(struct pd_ctx *ctx, const char *sha, char **error_r)
{
	int rc = 0;

	if (store_set_durable(ctx->store, 0, error_r) < 0)
		return -1;
	if (store_begin(ctx->store, error_r) < 0 ||
	    store_attempt_add(ctx->store, sha, util_now(), error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		rc = -1;
	}
	if (store_set_durable(ctx->store, 1, rc < 0 ? NULL : error_r) < 0)
		rc = -1;
	return rc;
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
    struct pd_parsed *pre, struct pd_message **msg_r, int *parsed_r, char **perr_r,
    int *attempt_r,
    int *keep_attempt_r, char **error_r)
{
	int prc, found = 0;
	char *reason = NULL;	/* taken by *perr_r or freed */

	*parsed_r = 0;
	if (pre) {
		/* parsed ahead by the caller (import), inside its transaction */
		prc = pre->rc;
		*msg_r = pre->msg;
		*perr_r = pre->error;
		pre->msg = NULL;
		pre->error = NULL;
		goto parsed;
	}
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
		/* the parser's reason condemns it; an unexplained death (a
		 * kill -9 of the daemon) only when it happened again */
		if (reason || found >= INTAKE_MAX_DEATHS) {
			*perr_r = reason ? reason : g_strdup_printf(
			    "intake died on %d earlier attempts", found);
			log_warnx("intake: %s: earlier attempt died (%s): quarantined",
			    sha, *perr_r);
			*attempt_r = 1;
			return 0;
		}
		if (attempt_record(ctx, sha, error_r) < 0)
			return -1;
		*attempt_r = 1;
	}
	prc = parser_parse(ctx->parser, raw, len, lim, msg_r, perr_r);
parsed:
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

static int
intake_run(struct pd_ctx *ctx, const void *raw, size_t len, const struct pd_source *src,
    struct pd_parsed *pre, struct pd_intake_result *r, char **error_r)
{
	struct intake in = { 0 };
	struct pd_parse_limits lim;
	struct pd_source s2;	/* the quarantine's source: log_mail reads it at the end */
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
	if (parse_guarded(ctx, src, raw, len, sha, &lim, pre, &in.msg, &parsed, &perr,
	    &attempt, &keep_attempt, &err) < 0)
		goto tempfail;
	apply_size_limit(&in);
	/* Before the transaction: the filter may take up to its timeout. */
	if (parsed)
		in.filter = spam_check(ctx->cfg, raw, len, in.msg, &in.filter_reason);

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
	if (store_raw_put_packed(ctx->store, raw, len, in.msg ? in.msg->raw_packed : NULL, sha,
	    in.now, &err) < 0)
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

		s2 = *src;
		g_free(err);
		err = NULL;
		in.src = &s2;
		if (store_begin(ctx->store, &err) < 0 ||
		    store_raw_put(ctx->store, raw, len, sha, in.now, &err) < 0 ||
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
	if (rc == 0)
		log_mail(&in);
	g_free(err);
	g_free(perr);
	g_free(sha);
	g_free(in.visible);
	if (in.msg)
		message_free(in.msg);
	return rc;
}

int
intake_process(struct pd_ctx *ctx, const void *raw, size_t len,
    const struct pd_source *src, struct pd_intake_result *r, char **error_r)
{
	return intake_run(ctx, raw, len, src, NULL, r, error_r);
}

int
intake_process_parsed(struct pd_ctx *ctx, const void *raw, size_t len,
    const struct pd_source *src, struct pd_parsed *pre, struct pd_intake_result *r,
    char **error_r)
{
	if (!store_in_transaction(ctx->store)) {
		*error_r = g_strdup("parsed mail taken in outside a transaction");
		return -1;
	}
	return intake_run(ctx, raw, len, src, pre, r, error_r);
}

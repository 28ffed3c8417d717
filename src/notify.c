/* notify.c: an event becomes outbox rows.  A row keeps what its mail is
 * made of (the template's values as they were when it was queued, the
 * headers, the attachments by their spool hash); notify_render makes
 * the mail from them when it is sent, the same bytes every time. */
#include <string.h>

#include "hours.h"
#include "log.h"
#include "mailout.h"
#include "notify.h"
#include "quote.h"
#include "template.h"
#include "util.h"

#define STAFF_COMMANDS_HELP \
	"Reply to this mail to answer the customer. Commands, one per line at the top:\n" \
	"  #note  #status STATUS  #assign NAME  #priority P  #label L  #unlabel L\n" \
	"  #merge REF  #close  #hold  #resolve  #escalate REASON  #canned NAME\n" \
	"  #cc EMAIL  #to EMAIL"

char *
notify_status_url(struct pd_ctx *ctx, const char *ref)
{
	char *key = token_status_key(&ctx->secret, ref);
	char *eref = g_uri_escape_string(ref, NULL, FALSE);
	char *url = g_strdup_printf("%s%st=%s&k=%s", ctx->cfg->base_url,
	    strchr(ctx->cfg->base_url, '?') ? "&" : "?", eref, key);

	g_free(key);
	g_free(eref);
	return url;
}

/* {{rating_url_1}} ... {{rating_url_5}} */
static const char *const rating_vars[] = { "rating_url_1", "rating_url_2",
    "rating_url_3", "rating_url_4", "rating_url_5" };

static char *
fmt_time(const struct pd_config *cfg, gint64 t)
{
	GTimeZone *tz;
	GDateTime *dt, *z;
	char *s;

	if (t == 0)
		return g_strdup("");
	tz = hours_zone(cfg);
	dt = g_date_time_new_from_unix_utc(t);
	z = g_date_time_to_timezone(dt, tz);
	s = g_date_time_format(z, "%a %d %b %Y %H:%M %Z");
	g_date_time_unref(z);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return s;
}

static GHashTable *
notice_vars(struct pd_ctx *ctx, const struct pd_notice *n, const struct pd_queue *q,
    gint64 now)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	const struct pd_ticket *t = n->ticket;

	/* The customer's name, else their address (templates/README). */
	g_hash_table_insert(v, "customer_name", g_strdup(n->customer_name ? n->customer_name
	    : (t && t->customer_name && *t->customer_name ? t->customer_name :
	    (t && t->customer_email ? t->customer_email : ""))));
	g_hash_table_insert(v, "agent_name", g_strdup(n->agent_name ? n->agent_name : ""));
	g_hash_table_insert(v, "queue", g_strdup(q->name));
	g_hash_table_insert(v, "message", g_strdup(n->message ? n->message : ""));
	g_hash_table_insert(v, "commands_help", g_strdup(STAFF_COMMANDS_HELP));
	g_hash_table_insert(v, "working_hours_notice", g_strdup(hours_is_working(ctx->cfg,
	    now) ? "" : "Your message reached us outside our working hours; we will "
	    "answer when we are back."));
	if (t) {
		char *url = notify_status_url(ctx, t->ref);
		g_hash_table_insert(v, "ticket_ref", g_strdup(t->ref));
		g_hash_table_insert(v, "subject", g_strdup(t->subject));
		g_hash_table_insert(v, "status", g_strdup(t->status));
		g_hash_table_insert(v, "priority", g_strdup(t->priority));
		/* the rating form, and one link per score that lands on it with
		 * that score chosen (the page asks to confirm: a link alone
		 * changes nothing) */
		g_hash_table_insert(v, "rating_url", g_strdup_printf("%s#rate", url));
		for (int i = 1; i <= 5; i++)
			g_hash_table_insert(v, (gpointer)rating_vars[i - 1],
			    g_strdup_printf("%s&rate=%d#rate", url, i));
		g_hash_table_insert(v, "status_url", url);
		g_hash_table_insert(v, "first_response_due", fmt_time(ctx->cfg,
		    t->first_response_due));
		g_hash_table_insert(v, "resolution_due", fmt_time(ctx->cfg, t->resolution_due));
	}
	if (n->extra_name)
		g_hash_table_insert(v, (gpointer)n->extra_name, g_strdup(n->extra_value));
	return v;
}

#define LIMIT_WINDOW	600	/* seconds: the per-ticket limits */
#define ADDR_WINDOW	3600	/* seconds: autoreplies_per_hour */

/* Which limit a mail is under (SPEC 3): a person's relayed reply none,
 * mail to our own staff a looser one, the rest is automatic mail to
 * customers. */
static const char *
notice_audience(const struct pd_notice *n)
{
	if (strcmp(n->event, "staff_reply") == 0)
		return "person";
	return n->staff ? "staff" : "auto";
}

static int queue_held_notice(struct pd_ctx *, const struct pd_notice *, GPtrArray *rcpts,
    const char *why, gint64 now, char **error_r);

static char *
join_rcpts(GPtrArray *rcpts)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < rcpts->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)rcpts->pdata[i]);
	return g_string_free(s, FALSE);
}

/* {{message}} by reference: the text notify was given is the stored
 * message's body, its visible text, or the two as staff read them
 * (quote_with_full), checked here so the mail rendered later is the
 * same; else the text itself goes into the params. */
enum { MSG_NONE, MSG_BODY, MSG_VISIBLE, MSG_FULL };

struct msg_ref {
	gint64	 id;
	int	 kind;
};

static int
message_ref(struct pd_ctx *ctx, const struct pd_notice *n, struct msg_ref *ref,
    char **error_r)
{
	char *body = NULL, *vis = NULL;
	gint64 id;
	int rc;

	ref->id = 0;
	ref->kind = MSG_NONE;
	if (n->ticket == NULL || n->message == NULL || *n->message == '\0')
		return 0;
	rc = store_message_texts(ctx->store, n->ticket->id, 0, &id, &body, &vis, error_r);
	if (rc <= 0)
		return rc;
	if (strcmp(n->message, body) == 0)
		ref->kind = MSG_BODY;
	else if (strcmp(n->message, vis) == 0)
		ref->kind = MSG_VISIBLE;
	else {
		char *full = quote_with_full(vis, body);

		if (strcmp(n->message, full) == 0)
			ref->kind = MSG_FULL;
		g_free(full);
	}
	if (ref->kind != MSG_NONE)
		ref->id = id;
	g_free(body);
	g_free(vis);
	return 0;
}

static GVariant *
strv_variant(GPtrArray *a)
{
	return g_variant_new_strv(a ? (const gchar *const *)a->pdata : NULL,
	    a ? (gssize)a->len : 0);
}

/* The values made directly, not through a format string: parsing
 * "{ss}" for each of a row's dozen values was a third of queueing it. */
static GVariant *
str_pair(const char *k, const char *v)
{
	return g_variant_new_dict_entry(g_variant_new_string(k), g_variant_new_string(v));
}

/* An outbox row's params: version, queue, the template's values, the
 * {{message}} reference (id, kind), staff (reply marker, per-staff
 * reply address), link (the status link below), To, In-Reply-To ("":
 * none), References, attachments (filename, type, spool hash).  The
 * row itself has the event, Message-ID, sender, audience and date. */
#define PARAMS_TYPE	"(ysa{ss}xybbassasa(sss))"
#define PARAMS_VERSION	1

/* The values notice_vars always sets, and those it sets with a ticket:
 * kept only when not empty, set to "" again when rendered. */
static const char *const vars_always[] = { "customer_name", "agent_name", "message",
    "working_hours_notice", NULL };
static const char *const vars_ticket[] = { "ticket_ref", "subject", "status", "priority",
    "first_response_due", "resolution_due", NULL };

/* What one outbox mail is made of (notify_render makes it from them). */
static GBytes *
mail_params(const struct pd_notice *n, const struct pd_queue *q, GHashTable *vars,
    const struct msg_ref *mref, GPtrArray *rcpts)
{
	GVariantBuilder b, att;
	GHashTableIter it;
	gpointer k, v;
	GPtrArray *refs = g_ptr_array_new();
	GVariant *p;
	GBytes *bytes;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
	g_hash_table_iter_init(&it, vars);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		/* the constant and the derived ones are made again */
		if (strcmp(k, "commands_help") == 0 || g_str_has_prefix(k, "rating_url") ||
		    strcmp(k, "status_url") == 0 || strcmp(k, "queue") == 0 ||
		    (strcmp(k, "message") == 0 && mref->kind != MSG_NONE))
			continue;
		if (*(const char *)v == '\0' && (g_strv_contains(vars_always, k) ||
		    g_strv_contains(vars_ticket, k)))
			continue;
		g_variant_builder_add_value(&b, str_pair(k, v));
	}
	/* References: the parent's References, then the parent itself. */
	for (guint i = 0; n->references && i < n->references->len; i++)
		g_ptr_array_add(refs, n->references->pdata[i]);
	if (n->in_reply_to) {
		for (guint i = refs->len; i > 0; i--)
			if (strcmp(refs->pdata[i - 1], n->in_reply_to) == 0)
				g_ptr_array_remove_index(refs, i - 1);
		g_ptr_array_add(refs, (gpointer)n->in_reply_to);
	}
	/* Attachments by their spool hash (keep_attachments puts them there). */
	g_variant_builder_init(&att, G_VARIANT_TYPE("a(sss)"));
	for (guint i = 0; n->attachments && i < n->attachments->len; i++) {
		const struct pd_attachment *a = n->attachments->pdata[i];

		if (a->data == NULL || a->sha256 == NULL)
			continue;
		GVariant *f[3] = { g_variant_new_string(a->filename),
		    g_variant_new_string(a->content_type), g_variant_new_string(a->sha256) };

		g_variant_builder_add_value(&att, g_variant_new_tuple(f, 3));
	}
	{
		GVariant *f[] = { g_variant_new_byte((guchar)PARAMS_VERSION),
		    g_variant_new_string(q->name), g_variant_builder_end(&b),
		    g_variant_new_int64(mref->id), g_variant_new_byte((guchar)mref->kind),
		    g_variant_new_boolean(!!n->staff),
		    g_variant_new_boolean(!n->staff && n->ticket), strv_variant(rcpts),
		    g_variant_new_string(n->in_reply_to ? n->in_reply_to : ""),
		    strv_variant(refs), g_variant_builder_end(&att) };

		p = g_variant_ref_sink(g_variant_new_tuple(f, G_N_ELEMENTS(f)));
	}
	g_assert(g_variant_is_of_type(p, G_VARIANT_TYPE(PARAMS_TYPE)));
	g_ptr_array_unref(refs);
	bytes = g_variant_get_data_as_bytes(p);
	g_variant_unref(p);
	return bytes;
}

/* The attachments' bytes into the spool, content-addressed (already
 * there for what intake kept).  -1 when the store has no spool. */
static int
keep_attachments(struct pd_ctx *ctx, const struct pd_notice *n, char **error_r)
{
	for (guint i = 0; n->attachments && i < n->attachments->len; i++) {
		const struct pd_attachment *a = n->attachments->pdata[i];
		gsize len;
		const void *d;

		if (a->data == NULL || a->sha256 == NULL)
			continue;
		d = g_bytes_get_data(a->data, &len);
		if (store_blob_put(ctx->store, d, len, a->sha256, error_r) < 0)
			return -1;
	}
	return 0;
}

/* One mail to the given recipients. */
static int
queue_one(struct pd_ctx *ctx, const struct pd_notice *n, const struct pd_queue *q,
    GHashTable *vars, const struct msg_ref *mref, GPtrArray *rcpts, gint64 now,
    int *queued_r, char **error_r)
{
	const struct pd_ticket *t = n->ticket;
	char *msgid;
	GBytes *params;
	gint64 id;
	int count, rc = -1;
	const char *held = NULL, *audience = notice_audience(n);
	int human = strcmp(audience, "person") == 0;
	gint64 until = 0;

	msgid = token_message_id(&ctx->secret, t ? t->ref : NULL, ctx->cfg->hostname);
	params = mail_params(n, q, vars, mref, rcpts);

	/* Rate limits (SPEC 3) keep robots from a storm: they hold automatic
	 * mail back, recorded, never dropped; a person's reply is never held;
	 * mail to our staff has its own, looser limit.  The notice that mail
	 * was held is not itself limited (it is sent once per window). */
	if (t && !human && strcmp(n->event, "mail_held") != 0) {
		int staff = strcmp(audience, "staff") == 0;

		if (store_outbox_count_audience(ctx->store, t->id, audience, now - LIMIT_WINDOW,
		    &count, error_r) < 0)
			goto out;
		if (count >= (staff ? ctx->cfg->limits.staff_mails_per_10min :
		    ctx->cfg->limits.ticket_mails_per_10min)) {
			held = staff ? "rate limit: too many mails to staff about this ticket "
			    "in 10 minutes" : "rate limit: too many automatic mails for this "
			    "ticket in 10 minutes";
			until = now + LIMIT_WINDOW;
		}
	}
	for (guint i = 0; held == NULL && n->is_auto && strcmp(audience, "auto") == 0 &&
	    i < rcpts->len; i++) {
		if (store_outbox_count_auto_to(ctx->store, rcpts->pdata[i], now - ADDR_WINDOW,
		    &count, error_r) < 0)
			goto out;
		if (count >= ctx->cfg->limits.autoreplies_per_hour) {
			held = "rate limit: too many automatic replies to this address in an hour";
			until = now + ADDR_WINDOW;
		}
	}
	if (store_spool_kept(ctx->store)) {
		if (keep_attachments(ctx, n, error_r) < 0 ||
		    store_outbox_add_params(ctx->store, t ? t->id : 0, n->event, msgid,
		    q->address, rcpts, params, n->is_auto, now, &id, error_r) < 0)
			goto out;
	} else {
		/* No spool for the attachments: rendered now, kept whole. */
		struct pd_outbox_body b = { (char *)n->event, msgid, (char *)q->address,
		    (char *)audience, n->is_auto, now, NULL, params };
		GByteArray *raw;

		if (notify_render(ctx, &b, &raw, error_r) < 0)
			goto out;
		rc = store_outbox_add(ctx->store, t ? t->id : 0, n->event, msgid, q->address,
		    rcpts, raw->data, raw->len, n->is_auto, now, &id, error_r);
		g_byte_array_unref(raw);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (strcmp(audience, "auto") != 0 &&
	    store_outbox_set_audience(ctx->store, id, audience, error_r) < 0)
		goto out;
	if (held) {
		char *who = join_rcpts(rcpts);
		char *what = g_strdup_printf("%s to %s held: %s", n->event, who, held);
		char *w = util_printable(what, 300);
		int rc2;

		log_info("outbox %s: held for %s, ref %s, mail %" G_GINT64_FORMAT " <%s>: %s",
		    n->event, w, t ? t->ref : "-", id, msgid, held);
		rc2 = store_outbox_hold_until(ctx->store, id, held, until, error_r) < 0 ||
		    store_event_add(ctx->store, t ? t->id : 0, now, "postdesk", "held", what,
		    error_r) < 0 || (t && queue_held_notice(ctx, n, rcpts, held, now,
		    error_r) < 0);
		g_free(w);
		g_free(what);
		g_free(who);
		if (rc2)
			goto out;
	} else
		*queued_r += 1;
	rc = 0;
out:
	g_bytes_unref(params);
	g_free(msgid);
	return rc;
}

/* The text as notify_queue made it: the staff's reply marker on top,
 * or the status link below a customer's mail (SPEC 6). */
static void
finish_text(struct pd_ctx *ctx, struct pd_rendered *r, int staff, int link,
    const char *ref, const char *url)
{
	(void)ctx;
	if (staff) {
		char *text = g_strconcat(NOTIFY_REPLY_MARKER "\n\n", r->text, NULL);

		g_free(r->text);
		r->text = text;
	} else if (link && ref && url && strstr(r->text, url) == NULL) {
		char *text = g_strdup_printf("%s%s\n-- \nYour request %s: %s\n", r->text,
		    g_str_has_suffix(r->text, "\n") ? "" : "\n", ref, url);

		g_free(r->text);
		r->text = text;
	}
}

int
notify_render(struct pd_ctx *ctx, const struct pd_outbox_body *b, GByteArray **raw_r,
    char **error_r)
{
	GVariant *p = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(PARAMS_TYPE),
	    b->params, FALSE));
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct pd_rendered r = { 0 };
	struct pd_mail_out o = { 0 };
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *atts = g_ptr_array_new_with_free_func(message_attachment_free);
	const struct pd_queue *q;
	const char *queue, *ref, *url, *agent, *in_reply_to, *k, *v;
	GVariantIter *vit, *toit, *refit, *attit;
	char *from_name = NULL, *reply_to = NULL;
	gint64 mid;
	guchar version, mkind;
	gboolean staff, link;
	int rc = -1;

	g_variant_get(p, "(y&sa{ss}xybbas&sasa(sss))", &version, &queue, &vit, &mid, &mkind,
	    &staff, &link, &toit, &in_reply_to, &refit, &attit);
	while (g_variant_iter_next(vit, "{&s&s}", &k, &v))
		g_hash_table_insert(vars, g_strdup(k), g_strdup(v));
	while (g_variant_iter_next(toit, "&s", &v))
		g_ptr_array_add(rcpts, g_strdup(v));
	while (g_variant_iter_next(refit, "&s", &v))
		g_ptr_array_add(refs, g_strdup(v));
	{
		const char *fn, *ct, *sha;

		while (g_variant_iter_next(attit, "(&s&s&s)", &fn, &ct, &sha)) {
			struct pd_attachment *a = g_new0(struct pd_attachment, 1);

			a->filename = g_strdup(fn);
			a->content_type = g_strdup(ct);
			a->sha256 = g_strdup(sha);
			g_ptr_array_add(atts, a);
		}
	}
	g_variant_iter_free(vit);
	g_variant_iter_free(toit);
	g_variant_iter_free(refit);
	g_variant_iter_free(attit);
	if (version != PARAMS_VERSION) {
		*error_r = g_strdup_printf("outbox: params of version %u, this postdesk reads %u",
		    version, PARAMS_VERSION);
		goto out;
	}

	/* The values as notice_vars made them. */
	ref = g_hash_table_lookup(vars, "ticket_ref");
	for (const char *const *e = vars_always; *e; e++)
		if (!g_hash_table_contains(vars, *e))
			g_hash_table_insert(vars, g_strdup(*e), g_strdup(""));
	for (const char *const *e = vars_ticket; ref && *e; e++)
		if (!g_hash_table_contains(vars, *e))
			g_hash_table_insert(vars, g_strdup(*e), g_strdup(""));
	g_hash_table_insert(vars, g_strdup("queue"), g_strdup(queue));
	g_hash_table_insert(vars, g_strdup("commands_help"), g_strdup(STAFF_COMMANDS_HELP));
	if (ref) {
		char *u = notify_status_url(ctx, ref);

		g_hash_table_insert(vars, g_strdup("rating_url"), g_strdup_printf("%s#rate", u));
		/* made again, not kept: five links were half of a row's params */
		for (int i = 1; i <= 5; i++)
			g_hash_table_insert(vars, g_strdup(rating_vars[i - 1]),
			    g_strdup_printf("%s&rate=%d#rate", u, i));
		g_hash_table_insert(vars, g_strdup("status_url"), u);
	}
	if (mkind != MSG_NONE) {
		char *body = NULL, *vis = NULL;
		gint64 got;
		int found = store_message_texts(ctx->store, 0, mid, &got, &body, &vis, error_r);

		if (found < 0)
			goto out;
		if (found == 0) {
			*error_r = g_strdup_printf("outbox: message %" G_GINT64_FORMAT
			    " of the mail's text is gone", mid);
			goto out;
		}
		g_hash_table_insert(vars, g_strdup("message"), mkind == MSG_BODY ?
		    g_strdup(body) : mkind == MSG_VISIBLE ? g_strdup(vis) :
		    quote_with_full(vis, body));
		g_free(body);
		g_free(vis);
	}
	q = config_queue_by_name(ctx->cfg, queue);
	if (template_render(ctx->cfg->templates, q ? q->templates : NULL, b->event, vars, &r,
	    error_r) < 0)
		goto out;
	url = g_hash_table_lookup(vars, "status_url");
	finish_text(ctx, &r, staff, link, ref, url);
	for (guint i = 0; i < atts->len; i++) {
		struct pd_attachment *a = atts->pdata[i];
		int got = store_blob_get(ctx->store, a->sha256, &a->data, error_r);

		if (got <= 0) {
			if (got == 0)
				*error_r = g_strdup_printf("outbox: attachment %s is not in "
				    "the spool", a->sha256);
			goto out;
		}
	}
	for (guint i = 0; i < rcpts->len; i++) {
		struct pd_addr *a = g_new0(struct pd_addr, 1);
		a->addr = rcpts->pdata[i];
		g_ptr_array_add(to, a);
	}
	agent = g_hash_table_lookup(vars, "agent_name");
	from_name = *agent ? g_strdup_printf("%s via %s", agent, queue) : g_strdup(queue);
	if (staff && ref && rcpts->len)
		reply_to = token_staff_address(&ctx->secret, b->mail_from, ref, rcpts->pdata[0]);
	o.from_name = from_name;
	o.from_addr = b->mail_from;
	o.reply_to = reply_to;
	o.to = to;
	o.subject = ref ? g_strdup_printf("[%s] %s", ref, r.subject) : g_strdup(r.subject);
	o.text = r.text;
	o.html = r.html;
	o.message_id = b->message_id;
	o.in_reply_to = *in_reply_to ? in_reply_to : NULL;
	o.references = refs;
	o.is_auto = b->is_auto;
	o.human = b->audience && strcmp(b->audience, "person") == 0;
	o.x_loop = b->mail_from;
	o.attachments = atts;
	o.date = b->created_at;
	*raw_r = mailout_build(&o);
	g_free((char *)o.subject);
	rc = 0;
out:
	for (guint i = 0; i < to->len; i++)
		((struct pd_addr *)to->pdata[i])->addr = NULL;
	g_ptr_array_unref(to);
	g_ptr_array_unref(rcpts);
	g_ptr_array_unref(refs);
	g_ptr_array_unref(atts);
	g_free(from_name);
	g_free(reply_to);
	template_rendered_clear(&r);
	g_hash_table_destroy(vars);
	g_variant_unref(p);
	return rc;
}

/* Held mail is told once (SPEC 3): to the staff member whose mail it
 * is, else to the ticket's staff, at most once per ticket and window. */
static int
queue_held_notice(struct pd_ctx *ctx, const struct pd_notice *n, GPtrArray *rcpts,
    const char *why, gint64 now, char **error_r)
{
	const struct pd_ticket *t = n->ticket;
	const struct pd_queue *q = config_queue_by_name(ctx->cfg, t->queue);
	struct pd_notice h = { 0 };
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	char *who, *what;
	int count, queued, rc;

	if (store_outbox_count_event(ctx->store, t->id, "mail_held", now - LIMIT_WINDOW,
	    &count, error_r) < 0) {
		g_ptr_array_unref(to);
		return -1;
	}
	if (count > 0) {
		g_ptr_array_unref(to);
		return 0;
	}
	if (n->staff)
		for (guint i = 0; i < rcpts->len; i++)
			g_ptr_array_add(to, g_strdup(rcpts->pdata[i]));
	else if (t->assignee && *t->assignee)
		g_ptr_array_add(to, g_strdup(t->assignee));
	else
		for (guint i = 0; q && i < q->staff->len; i++)
			g_ptr_array_add(to, g_strdup(q->staff->pdata[i]));
	who = join_rcpts(rcpts);
	what = g_strdup_printf("The %s mail to %s.", n->event, who);
	h.event = "mail_held";
	h.ticket = t;
	h.to = to;
	h.message = what;
	h.extra_name = "reason";
	h.extra_value = why;
	h.staff = 1;
	rc = notify_queue(ctx, &h, now, &queued, error_r);
	g_free(who);
	g_free(what);
	g_ptr_array_unref(to);
	return rc;
}

int
notify_queue(struct pd_ctx *ctx, const struct pd_notice *n, gint64 now, int *queued_r,
    char **error_r)
{
	const struct pd_queue *q = NULL;
	struct msg_ref mref;
	GHashTable *vars;
	int rc = 0;

	*queued_r = 0;
	if (n->to == NULL || n->to->len == 0)
		return 0;
	if (n->ticket)
		q = config_queue_by_name(ctx->cfg, n->ticket->queue);
	else
		q = n->queue;
	if (q == NULL)
		q = ctx->cfg->queues->pdata[0];
	if (message_ref(ctx, n, &mref, error_r) < 0)
		return -1;
	/* Rendered when sent (notify_render): the row keeps these. */
	vars = notice_vars(ctx, n, q, now);
	if (n->staff) {
		/* Each staff member gets a reply address only they were sent
		 * (notify_render makes it). */
		for (guint i = 0; rc == 0 && i < n->to->len; i++) {
			GPtrArray *one = g_ptr_array_new();
			g_ptr_array_add(one, n->to->pdata[i]);
			rc = queue_one(ctx, n, q, vars, &mref, one, now, queued_r, error_r);
			g_ptr_array_unref(one);
		}
	} else
		rc = queue_one(ctx, n, q, vars, &mref, n->to, now, queued_r, error_r);
	g_hash_table_destroy(vars);
	return rc;
}

/* Who an event goes to (notify.h). */
#define TO_STAFF	0x01	/* the assignee, else the queue's staff */
#define TO_ADMINS	0x02
#define TO_ASSIGNEE	0x04
#define TO_PUBLIC	0x08	/* the customer and the participants */
#define TO_CUSTOMER	0x10
#define TO_SENDER	0x20	/* the mail's sender, else the customer */

static const struct event_def {
	const char	*event;
	unsigned	 to;
	int		 is_auto;	/* Auto-Submitted, per-address limit */
	int		 attach;	/* the causing mail's attachments go along */
	int		 staff;		/* to staff: each their own reply address */
	int		 assignee_agent; /* {{agent_name}} is the assignee */
} event_defs[] = {
	{ "ticket_created", TO_SENDER, 1, 0, 0, 0 },
	{ "staff_new_ticket", TO_STAFF, 0, 1, 1, 0 },
	{ "staff_customer_reply", TO_STAFF, 0, 1, 1, 0 },
	{ "staff_reply", TO_PUBLIC, 0, 1, 0, 0 },
	{ "status_changed", TO_CUSTOMER, 1, 0, 0, 0 },
	{ "ticket_resolved", TO_CUSTOMER, 1, 0, 0, 0 },
	{ "ticket_closed", TO_CUSTOMER, 1, 0, 0, 0 },
	{ "ticket_reopened", TO_CUSTOMER, 1, 0, 0, 0 },
	{ "sla_warning", TO_STAFF, 1, 0, 1, 1 },
	{ "sla_breached", TO_STAFF | TO_ADMINS, 1, 0, 1, 1 },
	{ "sla_first_response", TO_STAFF, 1, 0, 1, 1 },
	{ "ticket_escalated", TO_ADMINS, 0, 1, 1, 0 },
	{ "ticket_assigned", TO_ASSIGNEE, 0, 1, 1, 0 },
	{ "attachment_refused", TO_SENDER, 1, 0, 0, 0 },
	{ "command_error", TO_SENDER, 1, 0, 1, 0 },
	{ "delivery_failed", TO_STAFF, 0, 0, 1, 0 },
	{ "status_link", TO_CUSTOMER, 1, 0, 0, 0 },
	{ "my_tickets", TO_SENDER, 1, 0, 0, 0 },
	{ "staff_flood", TO_STAFF, 0, 0, 1, 0 },
};

#define STAFF_AUDIENCE	(TO_STAFF | TO_ADMINS | TO_ASSIGNEE)

static const struct event_def *
event_def(const char *event)
{
	for (size_t i = 0; i < G_N_ELEMENTS(event_defs); i++)
		if (strcmp(event_defs[i].event, event) == 0)
			return &event_defs[i];
	return NULL;
}

/* Once, any case; never empty, never one of ours, never the actor when
 * staff are told of the actor's own act. */
static void
add_rcpt(struct pd_ctx *ctx, GPtrArray *to, const char *addr, const char *skip)
{
	if (addr == NULL || *addr == '\0' || config_is_our_address(ctx->cfg, addr) ||
	    (skip && g_ascii_strcasecmp(addr, skip) == 0))
		return;
	for (guint i = 0; i < to->len; i++)
		if (g_ascii_strcasecmp(to->pdata[i], addr) == 0)
			return;
	g_ptr_array_add(to, g_strdup(addr));
}

static int
recipients(struct pd_ctx *ctx, const struct event_def *d, const struct pd_ticket *t,
    const struct pd_event_mail *m, GPtrArray **to_r, char **error_r)
{
	const struct pd_config *cfg = ctx->cfg;
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	const char *skip = m && (d->to & STAFF_AUDIENCE) ? m->actor : NULL;

	if ((d->to & TO_STAFF) && (t || (m && m->queue))) {
		const struct pd_queue *q = t ? config_queue_by_name(cfg, t->queue) : m->queue;

		if (t && t->assignee && *t->assignee)
			add_rcpt(ctx, to, t->assignee, skip);
		else
			for (guint i = 0; q && i < q->staff->len; i++)
				add_rcpt(ctx, to, q->staff->pdata[i], skip);
	}
	for (guint i = 0; (d->to & TO_ADMINS) && i < cfg->staff->len; i++) {
		const struct pd_staff *s = cfg->staff->pdata[i];

		if (s->admin)
			add_rcpt(ctx, to, s->email, skip);
	}
	if (t && (d->to & TO_ASSIGNEE))
		add_rcpt(ctx, to, t->assignee, skip);
	if (d->to & TO_SENDER)
		add_rcpt(ctx, to, m && m->sender ? m->sender : (t ? t->customer_email : NULL),
		    NULL);
	if (t && (d->to & (TO_CUSTOMER | TO_PUBLIC)))
		add_rcpt(ctx, to, t->customer_email, NULL);
	if (t && (d->to & TO_PUBLIC)) {
		GPtrArray *p;

		if (store_participants(ctx->store, t->id, &p, error_r) < 0) {
			g_ptr_array_unref(to);
			return -1;
		}
		for (guint i = 0; i < p->len; i++)
			add_rcpt(ctx, to, p->pdata[i], NULL);
		g_ptr_array_unref(p);
	}
	*to_r = to;
	return 0;
}

int
notify_event(struct pd_ctx *ctx, const char *event, const struct pd_ticket *t,
    const struct pd_event_mail *m, gint64 now, int *queued_r, char **error_r)
{
	const struct event_def *d = event_def(event);
	struct pd_notice n = { 0 };
	GPtrArray *to;
	int rc;

	*queued_r = 0;
	if (d == NULL) {
		*error_r = g_strdup_printf("notify: unknown event %s", event);
		return -1;
	}
	if (m && (m->unanswered || m->on_page) && !d->staff)
		return 0;
	if (recipients(ctx, d, t, m, &to, error_r) < 0)
		return -1;
	n.event = event;
	n.ticket = t;
	n.to = to;
	n.queue = m ? m->queue : NULL;
	if (t == NULL && m)
		n.customer_name = m->sender;	/* ticketless: who wrote */
	n.is_auto = d->is_auto;
	n.staff = d->staff;
	if (m) {
		n.agent_name = m->agent_name;
		n.message = d->staff && m->staff_message ? m->staff_message : m->message;
		n.extra_name = m->extra_name;
		n.extra_value = m->extra_value;
		n.in_reply_to = m->in_reply_to;
		n.references = m->references;
		if (d->attach)
			n.attachments = m->attachments;
		if (m->unanswered && n.extra_name == NULL) {
			n.extra_name = "reason";
			n.extra_value = m->unanswered;
		}
	}
	if (n.agent_name == NULL && t && t->assignee && d->assignee_agent) {
		const struct pd_staff *s = config_staff_by_email(ctx->cfg, t->assignee);

		n.agent_name = s ? s->name : NULL;
	}
	rc = notify_queue(ctx, &n, now, queued_r, error_r);
	g_ptr_array_unref(to);
	return rc;
}

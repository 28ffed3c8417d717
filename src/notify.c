/* notify.c: an event becomes outbox rows.  Rendering happens at queue
 * time, so what the outbox holds is exactly what will be sent. */
#include <string.h>

#include "hours.h"
#include "mailout.h"
#include "notify.h"
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

static char *
fmt_time(const struct pd_config *cfg, gint64 t)
{
	GTimeZone *tz;
	GDateTime *dt, *z;
	char *s;

	if (t == 0)
		return g_strdup("");
	tz = cfg->hours.timezone ? g_time_zone_new_identifier(cfg->hours.timezone) : NULL;
	if (tz == NULL)
		tz = g_time_zone_new_utc();
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

	g_hash_table_insert(v, "customer_name", g_strdup(n->customer_name ? n->customer_name
	    : (t && t->customer_name ? t->customer_name : "")));
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
		g_hash_table_insert(v, "rating_url", g_strdup_printf("%s&rate=1", url));
		g_hash_table_insert(v, "status_url", url);
		g_hash_table_insert(v, "first_response_due", fmt_time(ctx->cfg,
		    t->first_response_due));
		g_hash_table_insert(v, "resolution_due", fmt_time(ctx->cfg, t->resolution_due));
	}
	if (n->extra_name)
		g_hash_table_insert(v, (gpointer)n->extra_name, g_strdup(n->extra_value));
	return v;
}

/* One mail to the given recipients. */
static int
queue_one(struct pd_ctx *ctx, const struct pd_notice *n, const struct pd_queue *q,
    const struct pd_rendered *r, GPtrArray *rcpts, const char *reply_to, gint64 now,
    int *queued_r, char **error_r)
{
	const struct pd_ticket *t = n->ticket;
	struct pd_mail_out o = { 0 };
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	char *msgid, *subject, *from_name;
	GByteArray *raw;
	gint64 id;
	int count, rc = -1;
	const char *held = NULL;

	for (guint i = 0; i < rcpts->len; i++) {
		struct pd_addr *a = g_new0(struct pd_addr, 1);
		a->addr = rcpts->pdata[i];
		g_ptr_array_add(to, a);
	}
	msgid = token_message_id(&ctx->secret, t ? t->ref : NULL, ctx->cfg->hostname);
	subject = t ? g_strdup_printf("[%s] %s", t->ref, r->subject) : g_strdup(r->subject);
	from_name = n->agent_name && *n->agent_name ?
	    g_strdup_printf("%s via %s", n->agent_name, q->name) : g_strdup(q->name);
	o.from_name = from_name;
	o.from_addr = q->address;
	o.reply_to = reply_to;
	o.to = to;
	o.subject = subject;
	o.text = r->text;
	o.html = r->html;
	o.message_id = msgid;
	o.in_reply_to = n->in_reply_to;
	o.references = n->references;
	o.is_auto = n->is_auto;
	o.x_loop = q->address;
	o.attachments = n->attachments;
	o.date = now;
	raw = mailout_build(&o);

	/* Rate limits (SPEC 3): held back and recorded, never dropped. */
	if (t) {
		if (store_outbox_count_ticket(ctx->store, t->id, now - 600, &count, error_r) < 0)
			goto out;
		if (count >= ctx->cfg->limits.ticket_mails_per_10min)
			held = "rate limit: too many mails for this ticket in 10 minutes";
	}
	for (guint i = 0; held == NULL && n->is_auto && i < rcpts->len; i++) {
		if (store_outbox_count_auto_to(ctx->store, rcpts->pdata[i], now - 3600, &count,
		    error_r) < 0)
			goto out;
		if (count >= ctx->cfg->limits.autoreplies_per_hour)
			held = "rate limit: too many automatic replies to this address in an hour";
	}
	if (store_outbox_add(ctx->store, t ? t->id : 0, n->event, msgid, q->address, rcpts,
	    raw->data, raw->len, n->is_auto, now, &id, error_r) < 0)
		goto out;
	if (held) {
		if (store_outbox_hold(ctx->store, id, held, error_r) < 0 ||
		    store_event_add(ctx->store, t ? t->id : 0, now, "postdesk", "held", held,
		    error_r) < 0)
			goto out;
	} else
		*queued_r += 1;
	rc = 0;
out:
	for (guint i = 0; i < to->len; i++)
		((struct pd_addr *)to->pdata[i])->addr = NULL;
	g_ptr_array_unref(to);
	g_byte_array_unref(raw);
	g_free(msgid);
	g_free(subject);
	g_free(from_name);
	return rc;
}

int
notify_queue(struct pd_ctx *ctx, const struct pd_notice *n, gint64 now, int *queued_r,
    char **error_r)
{
	const struct pd_queue *q = NULL;
	struct pd_rendered r = { 0 };
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
	vars = notice_vars(ctx, n, q, now);
	if (template_render(ctx->cfg->templates, q->templates, n->event, vars, &r,
	    error_r) < 0) {
		g_hash_table_destroy(vars);
		return -1;
	}
	g_hash_table_destroy(vars);
	if (n->staff) {
		/* Each staff member gets a reply address only they were sent. */
		for (guint i = 0; rc == 0 && i < n->to->len; i++) {
			GPtrArray *one = g_ptr_array_new();
			char *reply_to = n->ticket ? token_staff_address(&ctx->secret, q->address,
			    n->ticket->ref, n->to->pdata[i]) : NULL;
			g_ptr_array_add(one, n->to->pdata[i]);
			rc = queue_one(ctx, n, q, &r, one, reply_to, now, queued_r, error_r);
			g_ptr_array_unref(one);
			g_free(reply_to);
		}
	} else
		rc = queue_one(ctx, n, q, &r, n->to, NULL, now, queued_r, error_r);
	template_rendered_clear(&r);
	return rc;
}

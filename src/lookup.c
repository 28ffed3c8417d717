/* lookup.c: the daemon's answers to the lookup form (lookup.h). */
#include <string.h>

#include "log.h"
#include "lookup.h"
#include "notify.h"
#include "store.h"
#include "token.h"
#include "util.h"

char *
lookup_list_url(struct pd_ctx *ctx, const char *email, gint64 expires)
{
	char *key = token_list_key(&ctx->secret, email, expires);
	char *e = g_uri_escape_string(email, NULL, FALSE);
	const char *base = ctx->cfg->base_url ? ctx->cfg->base_url : "";
	char *url = g_strdup_printf("%s%sc=%s&l=%s", base, strchr(base, '?') ? "&" : "?", e,
	    key);

	g_free(key);
	g_free(e);
	return url;
}

/* One request: its mails and its deletion, in one transaction. */
static int
answer(struct pd_ctx *ctx, const struct pd_lookup *l, gint64 now, int *sent_r,
    char **error_r)
{
	GArray *ids = NULL;
	struct pd_ticket *t = NULL;
	int recent = 0, q = 0, rc = -1;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if (store_customer_ticket_ids(ctx->store, l->email, 1, &ids, error_r) < 0)
		goto out;
	/* an address with no tickets gets nothing; one that just got its
	 * list gets no second one (the form cannot flood a mailbox) */
	if (ids->len > 0 && store_mail_to_since(ctx->store, "my_tickets", l->email,
	    now - LOOKUP_REPEAT, &recent, error_r) < 0)
		goto out;
	if (ids->len > 0 && recent == 0) {
		struct pd_event_mail m = { 0 };
		char *url = lookup_list_url(ctx, l->email, now + ctx->cfg->limits.list_link_valid);

		m.sender = l->email;
		m.extra_name = "list_url";
		m.extra_value = url;
		rc = notify_event(ctx, "my_tickets", NULL, &m, now, &q, error_r);
		g_free(url);
		if (rc < 0)
			goto out;
		*sent_r += q;
		rc = -1;
	}
	/* the ticket named, if it is theirs: its own link too, as before */
	if (ids->len > 0 && l->ref && store_ticket_get_by_ref(ctx->store, l->ref, &t,
	    error_r) == 1 && t->customer_email &&
	    g_ascii_strcasecmp(t->customer_email, l->email) == 0) {
		if (store_mail_to_since(ctx->store, "status_link", l->email, now - LOOKUP_REPEAT,
		    &recent, error_r) < 0)
			goto out;
		if (recent == 0 && notify_event(ctx, "status_link", t, NULL, now, &q,
		    error_r) < 0)
			goto out;
		*sent_r += recent == 0 ? q : 0;
	}
	if (store_lookup_done(ctx->store, l->id, error_r) < 0)
		goto out;
	rc = store_commit(ctx->store, error_r);
out:
	if (rc < 0)
		store_rollback(ctx->store);
	if (ids)
		g_array_unref(ids);
	store_ticket_free(t);
	return rc;
}

int
lookup_run(struct pd_ctx *ctx, int *sent_r, char **error_r)
{
	GPtrArray *rows = NULL;
	gint64 now = util_now();
	int rc = 0;

	guint n = 0, got;

	*sent_r = 0;
	/* all of them: limits.lookups_pending bounds how many there are */
	do {
		if (store_lookups_pending(ctx->store, LOOKUP_BATCH, &rows, error_r) < 0)
			return -1;
		got = rows->len;
		for (guint i = 0; rc == 0 && i < rows->len; i++)
			rc = answer(ctx, rows->pdata[i], now, sent_r, error_r);
		n += got;
		g_ptr_array_unref(rows);
	} while (rc == 0 && got == LOOKUP_BATCH);
	if (n)
		log_info("lookup form: %u request%s answered, %d mail%s queued", n,
		    n == 1 ? "" : "s", *sent_r, *sent_r == 1 ? "" : "s");
	return rc;
}

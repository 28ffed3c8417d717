/* thread.c: SPEC 4.  The ref tag and plus-address are guessable, so a
 * sender the ticket does not know gets a ticket of their own unless the
 * mail answers one of our signed Message-IDs. */
#include <string.h>

#include "thread.h"
#include "util.h"

const char *
thread_how_name(enum pd_thread_how how)
{
	switch (how) {
	case THREAD_REF:	return "ref";
	case THREAD_REPLY:	return "reply";
	case THREAD_PLUS:	return "plus-address";
	default:		return "new";
	}
}

/* "PREFIX-" then digits, at p; returns the length matched or 0. */
static size_t
ref_at(const char *p, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (g_ascii_strncasecmp(p, prefix, n) != 0 || p[n] != '-' ||
	    !g_ascii_isdigit(p[n + 1]))
		return 0;
	for (i = n + 1; g_ascii_isdigit(p[i]) && i < n + 12; i++)
		;
	return i;
}

char *
thread_subject_ref(const char *subject, const char *prefix)
{
	const char *p;

	if (subject == NULL)
		return NULL;
	for (p = strchr(subject, '['); p; p = strchr(p + 1, '[')) {
		size_t n = ref_at(p + 1, prefix);
		if (n && p[1 + n] == ']')
			return g_ascii_strup(p + 1, (gssize)n);
	}
	return NULL;
}

char *
thread_clean_subject(const char *subject, const char *prefix)
{
	static const char *const reply_prefixes[] = { "re", "fw", "fwd", "aw", "wg", "sv",
	    "vs", "tr", "antw", "rif", "r", "res", "enc", NULL };
	GString *s = g_string_new(subject ? subject : "");
	int changed = 1;

	while (changed) {
		changed = 0;
		g_strchug(s->str);
		s->len = strlen(s->str);
		if (s->str[0] == '[') {
			size_t n = ref_at(s->str + 1, prefix);
			if (n && s->str[1 + n] == ']') {
				g_string_erase(s, 0, (gssize)n + 2);
				changed = 1;
				continue;
			}
		}
		for (int i = 0; reply_prefixes[i]; i++) {
			size_t n = strlen(reply_prefixes[i]);
			if (g_ascii_strncasecmp(s->str, reply_prefixes[i], n) == 0 &&
			    s->str[n] == ':') {
				g_string_erase(s, 0, (gssize)n + 1);
				changed = 1;
				break;
			}
		}
	}
	g_strchomp(s->str);
	s->len = strlen(s->str);
	return g_string_free(s, FALSE);
}

/* A merged ticket forwards to the one it was merged into. */
static int
follow_merge(struct pd_ctx *ctx, gint64 *id, char **error_r)
{
	for (int hops = 0; hops < 16; hops++) {
		struct pd_ticket *t = NULL;
		int rc = store_ticket_get(ctx->store, *id, &t, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			*id = 0;
			return 0;
		}
		if (t->merged_into == 0) {
			store_ticket_free(t);
			return 0;
		}
		*id = t->merged_into;
		store_ticket_free(t);
	}
	return 0;
}

static int
ticket_by_ref(struct pd_ctx *ctx, const char *ref, gint64 *id_r, char **error_r)
{
	struct pd_ticket *t = NULL;
	int rc = store_ticket_get_by_ref(ctx->store, ref, &t, error_r);

	if (rc < 0)
		return -1;
	*id_r = rc ? t->id : 0;
	store_ticket_free(t);
	return 0;
}

/* Ids the mail answers, newest first: In-Reply-To then References
 * from the end. */
static GPtrArray *
answered_ids(struct pd_message *msg)
{
	GPtrArray *ids = g_ptr_array_new();

	if (msg->in_reply_to)
		g_ptr_array_add(ids, msg->in_reply_to);
	for (guint i = msg->references ? msg->references->len : 0; i > 0; i--)
		g_ptr_array_add(ids, msg->references->pdata[i - 1]);
	return ids;
}

/* Ticket named by a Message-ID the mail answers.  Ours are trusted only
 * with a valid MAC; others only when we stored them. */
static int
thread_by_reply(struct pd_ctx *ctx, struct pd_message *msg, gint64 *id_r,
    int *answers_ours_r, char **error_r)
{
	GPtrArray *ids = answered_ids(msg);
	int rc = 0;

	*id_r = 0;
	*answers_ours_r = 0;
	for (guint i = 0; i < ids->len && rc == 0; i++) {
		const char *id = ids->pdata[i];
		char *ref = NULL;
		gint64 tid = 0;

		if (token_check_message_id(&ctx->secret, id, &ref)) {
			*answers_ours_r = 1;
			if (ref) {
				rc = ticket_by_ref(ctx, ref, &tid, error_r);
				g_free(ref);
			}
		} else if (token_looks_like_ours(id, ctx->cfg->hostname)) {
			continue;	/* forged or damaged: not trusted */
		} else {
			int found = store_ticket_by_message_id(ctx->store, id, &tid, error_r);
			if (found < 0)
				rc = -1;
		}
		if (rc == 0 && tid && *id_r == 0)
			*id_r = tid;
		if (*id_r && *answers_ours_r)
			break;
	}
	g_ptr_array_unref(ids);
	return rc;
}

/* support+TKT-0042@ or support+TKT-0042.MAC@ among the recipients. */
static char *
plus_ref(struct pd_ctx *ctx, struct pd_message *msg, const char *envelope_rcpt)
{
	GPtrArray *cand = g_ptr_array_new_with_free_func(g_free);
	const char *hdrs[] = { "Delivered-To", "X-Original-To", "Envelope-To" };
	char *ref = NULL;

	if (envelope_rcpt)
		g_ptr_array_add(cand, util_addr_normalize(envelope_rcpt));
	for (guint i = 0; msg->to && i < msg->to->len; i++)
		g_ptr_array_add(cand, g_strdup(((struct pd_addr *)msg->to->pdata[i])->addr));
	for (guint i = 0; msg->cc && i < msg->cc->len; i++)
		g_ptr_array_add(cand, g_strdup(((struct pd_addr *)msg->cc->pdata[i])->addr));
	for (size_t i = 0; i < G_N_ELEMENTS(hdrs); i++) {
		const char *v = message_header(msg, hdrs[i]);
		if (v)
			g_ptr_array_add(cand, util_addr_normalize(v));
	}
	for (guint i = 0; i < cand->len && ref == NULL; i++) {
		const char *a = cand->pdata[i];
		const char *plus, *at;
		size_t n;

		if (a == NULL || (plus = strchr(a, '+')) == NULL ||
		    (at = strchr(plus, '@')) == NULL)
			continue;
		if (config_queue_by_address(ctx->cfg, a, NULL) == NULL)
			continue;
		n = ref_at(plus + 1, ctx->cfg->ref_prefix);
		if (n && (plus[1 + n] == '@' || plus[1 + n] == '.'))
			ref = g_ascii_strup(plus + 1, (gssize)n);
	}
	g_ptr_array_unref(cand);
	return ref;
}

/* The sender may use a guessable ref only when the ticket knows them. */
static int
sender_known(struct pd_ctx *ctx, gint64 tid, struct pd_message *msg, int *known_r,
    char **error_r)
{
	*known_r = 0;
	if (msg->from.addr == NULL)
		return 0;
	return store_ticket_knows(ctx->store, tid, msg->from.addr, known_r, error_r);
}

int
thread_find(struct pd_ctx *ctx, struct pd_message *msg, const char *envelope_rcpt,
    int is_staff, gint64 *ticket_id_r, enum pd_thread_how *how_r, char **error_r)
{
	gint64 reply_tid = 0, tid = 0;
	int answers_ours = 0, known;
	char *ref;

	*ticket_id_r = 0;
	*how_r = THREAD_NONE;
	if (thread_by_reply(ctx, msg, &reply_tid, &answers_ours, error_r) < 0)
		return -1;

	/* 1. The ref tag; 3. the plus-address: both checked against the sender. */
	for (int step = 0; step < 2; step++) {
		ref = step == 0 ? thread_subject_ref(msg->subject, ctx->cfg->ref_prefix)
		    : plus_ref(ctx, msg, envelope_rcpt);
		if (ref == NULL)
			goto next;
		if (ticket_by_ref(ctx, ref, &tid, error_r) < 0) {
			g_free(ref);
			return -1;
		}
		g_free(ref);
		if (tid == 0)
			goto next;
		if (!is_staff && !answers_ours) {
			if (sender_known(ctx, tid, msg, &known, error_r) < 0)
				return -1;
			if (!known) {
				tid = 0;
				goto next;
			}
		}
		*how_r = step == 0 ? THREAD_REF : THREAD_PLUS;
		break;
next:
		if (step == 0 && reply_tid) {
			tid = reply_tid;
			*how_r = THREAD_REPLY;
			break;
		}
	}
	if (tid && follow_merge(ctx, &tid, error_r) < 0)
		return -1;
	*ticket_id_r = tid;
	if (tid == 0)
		*how_r = THREAD_NONE;
	return 0;
}

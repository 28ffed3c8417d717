/* classify.c: SPEC section 3, tried in its order; the first that
 * matches decides.  Never fails: mail that matches nothing is customer
 * mail.  Reasons are static strings for the log and the quarantine. */
#include <string.h>

#include "bounce.h"
#include "classify.h"
#include "robots.h"
#include "util.h"

#define AR_MAX_HEADERS	32	/* Authentication-Results considered */
#define HDR_MAX_SCAN	1000	/* headers looked at for one name */

static const char *const class_names[] = {
	[CLASS_LOOP] = "loop",
	[CLASS_BOUNCE] = "bounce",
	[CLASS_AUTO] = "auto",
	[CLASS_HOPS] = "hops",
	[CLASS_SPAM] = "spam",
	[CLASS_STAFF] = "staff",
	[CLASS_CUSTOMER] = "customer",
};

const char *
classify_name(enum pd_class c)
{
	if ((unsigned)c >= G_N_ELEMENTS(class_names))
		return "unknown";
	return class_names[c];
}

/* Every value of the top-level header name, in order (at most max);
 * message_header only gives the first. */
static GPtrArray *
header_values(struct pd_message *msg, const char *name, int max)
{
	GPtrArray *a = g_ptr_array_new();

	for (guint i = 0; msg->headers && i < msg->headers->len &&
	    i < HDR_MAX_SCAN && (int)a->len < max; i++) {
		const struct pd_header *h = msg->headers->pdata[i];

		if (g_ascii_strcasecmp(h->name, name) == 0)
			g_ptr_array_add(a, h->value);
	}
	return a;
}

/* "local+tag@domain" is "local@domain" for our purposes. */
static int
addr_matches(const char *ours, const char *addr)
{
	const char *at_o, *at_a, *plus;
	size_t lo, la;

	if (ours == NULL || addr == NULL)
		return 0;
	if (g_ascii_strcasecmp(ours, addr) == 0)
		return 1;
	at_o = strrchr(ours, '@');
	at_a = strrchr(addr, '@');
	if (at_o == NULL || at_a == NULL || g_ascii_strcasecmp(at_o, at_a) != 0)
		return 0;
	lo = (size_t)(at_o - ours);
	plus = memchr(addr, '+', (size_t)(at_a - addr));
	la = plus ? (size_t)(plus - addr) : (size_t)(at_a - addr);
	return lo == la && g_ascii_strncasecmp(ours, addr, lo) == 0;
}

/* Our queue or note address (config_is_our_address semantics, kept
 * here so classification does not wait on config.c). */
static int
is_our_address(const struct pd_config *cfg, const char *addr)
{
	if (addr == NULL || cfg->queues == NULL)
		return 0;
	for (guint i = 0; i < cfg->queues->len; i++) {
		const struct pd_queue *q = cfg->queues->pdata[i];

		if (addr_matches(q->address, addr) ||
		    (q->note_address && g_ascii_strcasecmp(q->note_address, addr) == 0))
			return 1;
	}
	return 0;
}

static struct pd_staff *
staff_by_email(const struct pd_config *cfg, const char *email)
{
	if (email == NULL || cfg->staff == NULL)
		return NULL;
	for (guint i = 0; i < cfg->staff->len; i++) {
		struct pd_staff *s = cfg->staff->pdata[i];

		if (s->email && g_ascii_strcasecmp(s->email, email) == 0)
			return s;
	}
	return NULL;
}

static int
ci_contains(const char *hay, const char *needle)
{
	char *h, *n;
	int r;

	if (hay == NULL || needle == NULL || *needle == '\0')
		return 0;
	h = g_ascii_strdown(hay, -1);
	n = g_ascii_strdown(needle, -1);
	r = strstr(h, n) != NULL;
	g_free(h);
	g_free(n);
	return r;
}

static const char *
is_loop(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg)
{
	GPtrArray *xl = header_values(msg, "X-Loop", 20);
	const char *reason = NULL;

	for (guint i = 0; i < xl->len && reason == NULL; i++) {
		const char *v = xl->pdata[i];

		/* Our X-Loop is a queue address; a bare host name counts only
		 * on its own, as other systems on our domain use X-Loop too. */
		char *t = g_strstrip(g_strdup(v));
		if (cfg->hostname && g_ascii_strcasecmp(t, cfg->hostname) == 0)
			reason = "X-Loop names us";
		g_free(t);
		for (guint j = 0; cfg->queues && j < cfg->queues->len && !reason; j++) {
			const struct pd_queue *q = cfg->queues->pdata[j];

			if (ci_contains(v, q->address))
				reason = "X-Loop names us";
		}
	}
	g_ptr_array_free(xl, TRUE);
	if (reason)
		return reason;
	if (secret && msg->message_id &&
	    token_check_message_id(secret, msg->message_id, NULL))
		return "our own Message-ID";
	if (is_our_address(cfg, msg->from.addr))
		return "From is our own address";
	return NULL;
}

static char *
header_trimmed_lower(struct pd_message *msg, const char *name)
{
	const char *v = message_header(msg, name);
	char *s;

	if (v == NULL)
		return NULL;
	s = g_ascii_strdown(v, -1);
	return g_strstrip(s);
}

/* RFC 3834 and the de-facto headers of autoresponders and lists: the
 * AUTO rows of the robot table (robots.c). */
int
classify_is_auto(struct pd_message *msg, const char **reason_r)
{
	struct robot_verdict v;

	robots_check(msg, NULL, &v);
	if (reason_r)
		*reason_r = v.effect == ROBOT_AUTO ? v.reason : NULL;
	return v.effect == ROBOT_AUTO;
}

int
classify_is_spam(const struct pd_config *cfg, struct pd_message *msg,
    const char **reason_r)
{
	const char *reason = NULL;
	char *v;

	if ((v = header_trimmed_lower(msg, "X-Spam-Flag")) != NULL) {
		if (strcmp(v, "yes") == 0)
			reason = "X-Spam-Flag: YES";
		g_free(v);
	}
	if (reason == NULL && (v = header_trimmed_lower(msg, "X-Spam-Status")) != NULL) {
		if (g_str_has_prefix(v, "yes") &&
		    (v[3] == '\0' || v[3] == ',' || g_ascii_isspace(v[3])))
			reason = "X-Spam-Status: Yes";
		g_free(v);
	}
	if (reason == NULL && cfg && cfg->spam.header && cfg->spam.pattern) {
		GPtrArray *vals = header_values(msg, cfg->spam.header, 20);
		GRegex *re = g_regex_new(cfg->spam.pattern, G_REGEX_CASELESS, 0, NULL);

		for (guint i = 0; re && i < vals->len && !reason; i++)
			if (g_regex_match(re, vals->pdata[i], 0, NULL))
				reason = "spam header matches";
		if (re)
			g_regex_unref(re);
		g_ptr_array_free(vals, TRUE);
	}
	if (reason_r)
		*reason_r = reason;
	return reason != NULL;
}

/* One resinfo of an Authentication-Results header (RFC 8601):
 * "dkim=pass (comment) header.d=example.com". */
struct ar_result {
	char	*method;	/* lower case: "dkim", "spf", "dmarc" */
	char	*result;	/* lower case: "pass", "fail", ... */
	GString	*comment;	/* every comment's text, lower case */
	GPtrArray *props;	/* char *: "header.d=example.com", name lower case */
};

static void
ar_result_free(gpointer p)
{
	struct ar_result *r = p;

	g_free(r->method);
	g_free(r->result);
	g_string_free(r->comment, TRUE);
	g_ptr_array_free(r->props, TRUE);
	g_free(r);
}

/* Tokens of one resinfo to a result; "a = b" and "a= b" become "a=b". */
static struct ar_result *
ar_result_new(GPtrArray *tok, GString *comment)
{
	GPtrArray *t = g_ptr_array_new_with_free_func(g_free);
	struct ar_result *r;
	char *eq;

	for (guint i = 0; i < tok->len; i++) {
		const char *x = tok->pdata[i];

		if (t->len > 0 && (*x == '=' || g_str_has_suffix(t->pdata[t->len - 1], "="))) {
			char *j = g_strconcat(t->pdata[t->len - 1], x, NULL);

			g_free(t->pdata[t->len - 1]);
			t->pdata[t->len - 1] = j;
		} else
			g_ptr_array_add(t, g_strdup(x));
	}
	if (t->len == 0 || (eq = strchr(t->pdata[0], '=')) == NULL) {
		g_ptr_array_free(t, TRUE);
		return NULL;
	}
	r = g_new0(struct ar_result, 1);
	r->method = g_ascii_strdown(t->pdata[0], eq - (char *)t->pdata[0]);
	r->result = g_ascii_strdown(eq + 1, -1);
	r->comment = g_string_new(comment->str);
	r->props = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 1; i < t->len; i++) {
		char *v = t->pdata[i], *e = strchr(v, '=');

		if (e == NULL)
			continue;
		for (char *c = v; c < e; c++)
			*c = g_ascii_tolower(*c);
		g_ptr_array_add(r->props, g_strdup(v));
	}
	g_ptr_array_free(t, TRUE);
	return r;
}

#define AR_MAX_RESULTS	50	/* resinfos read from one header */

/* The results of one Authentication-Results value when it comes from
 * authserv_id, else NULL.  Comments (nested) and quoted strings are
 * honoured: "dkim=pass" inside a comment or a reason="..." is not a
 * result.  Caller frees with g_ptr_array_free. */
static GPtrArray *
ar_parse(const char *value, const char *authserv_id)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(ar_result_free);
	GPtrArray *tok = g_ptr_array_new_with_free_func(g_free);
	GString *cur = g_string_new(NULL), *comment = g_string_new(NULL);
	int depth = 0, quoted = 0, part = 0, ours = 0;

	for (const char *p = value;; p++) {
		char c = *p;

		if (c != '\0' && depth > 0) {
			if (c == '\\' && p[1] != '\0')
				g_string_append_c(comment, g_ascii_tolower(*++p));
			else if (c == '(' && depth < 20)
				depth++;
			else if (c == ')')
				depth--;
			else
				g_string_append_c(comment, g_ascii_tolower(c));
			if (depth == 0)
				g_string_append_c(comment, ' ');
			continue;
		}
		if (c != '\0' && quoted) {
			if (c == '\\' && p[1] != '\0')
				g_string_append_c(cur, *++p);
			else if (c == '"')
				quoted = 0;
			else
				g_string_append_c(cur, c);
			continue;
		}
		if (c == '"') {
			quoted = 1;
			continue;
		}
		if (c == '(') {
			depth = 1;
			continue;
		}
		if (c == '\0' || c == ';' || g_ascii_isspace(c)) {
			if (cur->len > 0)
				g_ptr_array_add(tok, g_string_free(g_string_new_len(cur->str,
				    (gssize)cur->len), FALSE));
			g_string_truncate(cur, 0);
			if (c != '\0' && c != ';')
				continue;
			if (part == 0)	/* authserv-id [version] */
				ours = tok->len > 0 && authserv_id &&
				    g_ascii_strcasecmp(tok->pdata[0], authserv_id) == 0;
			else if (ours && out->len < AR_MAX_RESULTS) {
				struct ar_result *r = ar_result_new(tok, comment);

				if (r)
					g_ptr_array_add(out, r);
			}
			part++;
			g_ptr_array_set_size(tok, 0);
			g_string_truncate(comment, 0);
			if (c == '\0' || !ours)
				break;
			continue;
		}
		g_string_append_c(cur, c);
	}
	g_ptr_array_free(tok, TRUE);
	g_string_free(cur, TRUE);
	g_string_free(comment, TRUE);
	if (!ours) {
		g_ptr_array_free(out, TRUE);
		return NULL;
	}
	return out;
}

/* Every result from our authserv-id in the headers our own MTA wrote
 * (auth.c: above the hop where it received the mail, RFC 8601 section
 * 5); one the sender wrote below it never counts.  Caller frees. */
static GPtrArray *
ar_results(const struct pd_config *cfg, struct pd_message *msg)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(ar_result_free);
	char **ar;

	if (cfg->auth.authserv_id == NULL || *cfg->auth.authserv_id == '\0')
		return all;
	ar = auth_trusted_headers(cfg, msg);
	for (guint i = 0; ar[i] && i < AR_MAX_HEADERS; i++) {
		GPtrArray *one = ar_parse(ar[i], cfg->auth.authserv_id);

		for (guint j = 0; one && j < one->len; j++) {
			g_ptr_array_add(all, one->pdata[j]);
			one->pdata[j] = NULL;
		}
		if (one) {
			g_ptr_array_set_free_func(one, NULL);
			g_ptr_array_free(one, TRUE);
		}
	}
	g_strfreev(ar);
	return all;
}

/* SPEC 3 "Answer only people": our MTA says the sender is forged.
 * DMARC counts when the domain asks for reject or quarantine (in a
 * comment "(p=reject)", "policy.dmarc=quarantine", Microsoft's
 * "action=oreject"); p=none asks receivers to do nothing. */
static const char *
auth_failure(const struct pd_config *cfg, struct pd_message *msg)
{
	static GRegex *re_policy;
	static gsize once;
	GPtrArray *results;
	const char *why = NULL;

	if (!cfg->auth.no_answer_dmarc && !cfg->auth.no_answer_spf)
		return NULL;
	if (g_once_init_enter(&once)) {
		re_policy = g_regex_new("(?:^|[\\s;,])(?:p|policy|action)\\s*=\\s*"
		    "\"?(?:o|pct\\.)?(?:reject|quarantine)\\b", G_REGEX_CASELESS, 0, NULL);
		g_once_init_leave(&once, 1);
	}
	results = ar_results(cfg, msg);
	for (guint i = 0; i < results->len && why == NULL; i++) {
		const struct ar_result *a = results->pdata[i];

		if (strcmp(a->result, "fail") != 0)
			continue;
		if (cfg->auth.no_answer_dmarc && strcmp(a->method, "dmarc") == 0) {
			int policy = g_regex_match(re_policy, a->comment->str, 0, NULL);

			for (guint j = 0; j < a->props->len && !policy; j++) {
				const char *p = a->props->pdata[j];

				policy = (g_str_has_prefix(p, "policy.") || g_str_has_prefix(p,
				    "action=")) && g_regex_match_simple("=(?:o|pct\\.)?"
				    "(?:reject|quarantine)$", p, G_REGEX_CASELESS, 0);
			}
			if (policy)
				why = "DMARC failed";
		} else if (cfg->auth.no_answer_spf && strcmp(a->method, "spf") == 0)
			why = "SPF failed";
	}
	g_ptr_array_free(results, TRUE);
	return why;
}

/* SPEC 5 "Authentication" lives in auth.c: the trust rules for
 * Authentication-Results and the MTA's login. */
enum pd_staff_auth
classify_staff_auth(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg, const struct pd_staff *staff)
{
	return auth_staff(cfg, secret, msg, staff);
}

/* SPEC 3 step 2 by structure: mail from the null sender that carries or
 * quotes the header of a mail of ours (a signed Message-ID) is a
 * bounce, whatever its language.  An out-of-office reply is not. */
static int
null_sender_names_ours(const struct pd_secret *secret, struct pd_message *msg,
    const char *envelope_sender)
{
	const char *ret = envelope_sender ? envelope_sender : msg->return_path;
	struct pd_bounce *b;
	int ours = 0;

	if (secret == NULL || ret == NULL || *ret != '\0' || robots_ooo_subject(msg->subject))
		return 0;
	b = bounce_parse(msg);
	for (guint i = 0; i < b->message_ids->len && !ours; i++)
		ours = token_check_message_id(secret, b->message_ids->pdata[i], NULL);
	bounce_free(b);
	return ours;
}

void
classify(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg, const char *envelope_sender, struct pd_classification *r)
{
	struct robot_verdict robot;
	const char *reason;
	int max_hops;

	memset(r, 0, sizeof(*r));
	r->auth = AUTH_NONE;

	if ((reason = is_loop(cfg, secret, msg)) != NULL) {
		r->cls = CLASS_LOOP;
		r->reason = reason;
		return;
	}
	if (bounce_detect(msg, envelope_sender) ||
	    null_sender_names_ours(secret, msg, envelope_sender)) {
		r->cls = CLASS_BOUNCE;
		r->reason = "bounce or feedback report";
		return;
	}
	robots_check(msg, envelope_sender, &robot);
	if (robot.effect == ROBOT_AUTO) {
		r->cls = CLASS_AUTO;
		r->reason = robot.reason;
		return;
	}
	max_hops = cfg->limits.max_hops > 0 ? cfg->limits.max_hops : DEF_MAX_HOPS;
	if (message_header_count(msg, "Received") > max_hops) {
		r->cls = CLASS_HOPS;
		r->reason = "too many Received headers";
		return;
	}
	if (classify_is_spam(cfg, msg, &reason)) {
		r->cls = CLASS_SPAM;
		r->reason = reason;
		return;
	}
	r->staff = staff_by_email(cfg, msg->from.addr);
	if (r->staff != NULL) {
		r->auth = classify_staff_auth(cfg, secret, msg, r->staff);
		if (r->auth != AUTH_NONE) {
			static const char *const why[] = {
				[AUTH_DKIM] = "staff, DKIM pass",
				[AUTH_SPF] = "staff, SPF pass",
				[AUTH_TOKEN] = "staff, tokenized reply address",
				[AUTH_TRUST_FROM] = "staff, trust_from",
				[AUTH_SUBMISSION] = "staff, SMTP login",
				[AUTH_DMARC] = "staff, DMARC pass",
			};

			r->cls = CLASS_STAFF;
			r->reason = why[r->auth];
			return;
		}
		r->cls = CLASS_CUSTOMER;
		r->reason = "staff From without authentication";
	} else {
		r->cls = CLASS_CUSTOMER;
		r->reason = "customer";
	}
	/* Customer mail that is stored and shown, but whose sender is a
	 * robot, a bulk sender or forged: nothing is sent to it. */
	if (robot.effect == ROBOT_NOANSWER)
		r->no_answer = robot.reason;
	else
		r->no_answer = auth_failure(cfg, msg);
}

void
classify_apply_filter(struct pd_classification *r, enum pd_filter_action action,
    const char *reason)
{
	if (r->cls != CLASS_CUSTOMER && r->cls != CLASS_STAFF)
		return;		/* decided before spam (SPEC 3 order) */
	switch (action) {
	case FILTER_REJECT:
		r->cls = CLASS_SPAM;
		r->reason = reason;
		r->staff = NULL;
		r->auth = AUTH_NONE;
		break;
	case FILTER_SUSPECT:
		if (r->cls == CLASS_CUSTOMER && r->no_answer == NULL)
			r->no_answer = reason;
		break;
	case FILTER_NONE:
		break;
	}
}

/* classify.c: SPEC section 3, tried in its order; the first that
 * matches decides.  Never fails: mail that matches nothing is customer
 * mail.  Reasons are static strings for the log and the quarantine. */
#include <string.h>

#include "bounce.h"
#include "classify.h"
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

/* RFC 3834 and the de-facto headers of autoresponders and lists. */
int
classify_is_auto(struct pd_message *msg, const char **reason_r)
{
	static GRegex *re_oof;
	static gsize once;
	const char *reason = NULL;
	char *v;

	if (g_once_init_enter(&once)) {
		re_oof = g_regex_new("^\\s*(?:(?:re|aw|sv|vs|antw|wg|fwd?|tr)\\s*:\\s*)*"
		    "(?:out of (?:the )?office|auto:|automatic reply|"
		    "auto[- ]?reply|auto[- ]?response|autoresponse|"
		    "abwesenheitsnotiz|abwesend|r[ée]ponse automatique|"
		    "absence|vacation|away from (?:the )?office|"
		    "fuera de la oficina|respuesta autom[áa]tica|"
		    "risposta automatica|automatisch antwoord|"
		    "afwezigheidsbericht|frånvaro|自動応答|自动回复)",
		    G_REGEX_CASELESS, 0, NULL);
		g_once_init_leave(&once, 1);
	}
	if ((v = header_trimmed_lower(msg, "Auto-Submitted")) != NULL) {
		char *semi = strchr(v, ';');

		if (semi)
			*semi = '\0';
		g_strstrip(v);
		if (strcmp(v, "no") != 0)
			reason = "Auto-Submitted";
		g_free(v);
	}
	if (reason == NULL && (v = header_trimmed_lower(msg, "Precedence")) != NULL) {
		if (strcmp(v, "bulk") == 0)
			reason = "Precedence: bulk";
		else if (strcmp(v, "junk") == 0)
			reason = "Precedence: junk";
		else if (strcmp(v, "list") == 0)
			reason = "Precedence: list";
		else if (strcmp(v, "auto_reply") == 0)
			reason = "Precedence: auto_reply";
		g_free(v);
	}
	if (reason == NULL) {
		static const char *const hdrs[] = {
			"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress",
			"List-Id", "List-Unsubscribe",
			/* RFC 2369's other list headers and older list servers'. */
			"List-Subscribe", "List-Help", "List-Post", "List-Owner",
			"Mailing-List", "X-Mailing-List", "X-ML-Server", "X-MLServer",
		};

		for (size_t i = 0; i < G_N_ELEMENTS(hdrs) && !reason; i++)
			if (message_header(msg, hdrs[i]) != NULL)
				reason = hdrs[i];
	}
	if (reason == NULL && msg->subject &&
	    g_regex_match(re_oof, msg->subject, 0, NULL))
		reason = "out-of-office subject";
	if (reason_r)
		*reason_r = reason;
	return reason != NULL;
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

/* d aligns with domain when equal or a parent of it (relaxed
 * alignment); a bare top-level domain never does. */
static int
domain_aligned(const char *d, const char *domain)
{
	size_t ld, ln;

	if (d == NULL || domain == NULL || *d == '\0')
		return 0;
	if (*d == '@')
		d++;
	if (strchr(d, '.') == NULL)
		return 0;
	if (g_ascii_strcasecmp(d, domain) == 0)
		return 1;
	ld = strlen(d);
	ln = strlen(domain);
	return ln > ld && domain[ln - ld - 1] == '.' &&
	    g_ascii_strcasecmp(domain + ln - ld, d) == 0;
}

/* Remove RFC 5322 comments "(...)" (nesting bounded) and quotes. */
static char *
strip_comments(const char *s)
{
	GString *o = g_string_new(NULL);
	int depth = 0;

	for (; *s; s++) {
		if (*s == '(') {
			if (depth < 20)
				depth++;
			continue;
		}
		if (*s == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth == 0 && *s != '"')
			g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

/* One Authentication-Results value (RFC 8601) from our authserv-id. */
static enum pd_staff_auth
auth_results(const char *value, const char *authserv_id, const char *domain)
{
	enum pd_staff_auth r = AUTH_NONE;
	char *clean = strip_comments(value);
	char **parts = g_strsplit(clean, ";", 50);
	char **id;

	id = g_strsplit_set(g_strstrip(parts[0]), " \t\r\n", 2);
	if (id[0] == NULL || g_ascii_strcasecmp(id[0], authserv_id) != 0)
		goto out;
	for (int i = 1; parts[i] && r != AUTH_DKIM; i++) {
		char **tok = g_strsplit_set(g_strstrip(parts[i]), " \t\r\n", 50);
		int dkim = 0, spf = 0, aligned = 0;

		for (int j = 0; tok[j]; j++) {
			char *t = tok[j];
			char *eq = strchr(t, '=');
			const char *val;

			if (eq == NULL)
				continue;
			val = eq + 1;
			if (g_ascii_strcasecmp(t, "dkim=pass") == 0)
				dkim = 1;
			else if (g_ascii_strcasecmp(t, "spf=pass") == 0)
				spf = 1;
			else if (g_ascii_strncasecmp(t, "header.d=", 9) == 0 &&
			    domain_aligned(val, domain))
				aligned |= 1;
			else if (g_ascii_strncasecmp(t, "header.i=", 9) == 0 &&
			    strchr(val, '@') && domain_aligned(strchr(val, '@') + 1, domain))
				aligned |= 1;
			else if (g_ascii_strncasecmp(t, "smtp.mailfrom=", 14) == 0 &&
			    domain_aligned(strchr(val, '@') ? strchr(val, '@') + 1 : val,
			    domain))
				aligned |= 2;
		}
		if (dkim && (aligned & 1))
			r = AUTH_DKIM;
		else if (spf && (aligned & 2) && r == AUTH_NONE)
			r = AUTH_SPF;
		g_strfreev(tok);
	}
out:
	g_strfreev(id);
	g_strfreev(parts);
	g_free(clean);
	return r;
}

/* SPEC 5 "Authentication": strongest evidence first. */
enum pd_staff_auth
classify_staff_auth(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg, const struct pd_staff *staff)
{
	enum pd_staff_auth r = AUTH_NONE;
	const char *domain;

	if (staff == NULL || staff->email == NULL)
		return AUTH_NONE;
	domain = strrchr(staff->email, '@');
	domain = domain ? domain + 1 : NULL;

	/* only our own MTA's results count: others are forgeable */
	if (cfg->auth.authserv_id && *cfg->auth.authserv_id && domain) {
		GPtrArray *ar = header_values(msg, "Authentication-Results",
		    AR_MAX_HEADERS);

		for (guint i = 0; i < ar->len && r != AUTH_DKIM; i++) {
			enum pd_staff_auth a = auth_results(ar->pdata[i],
			    cfg->auth.authserv_id, domain);

			if (a != AUTH_NONE)
				r = a;
		}
		g_ptr_array_free(ar, TRUE);
		if (r != AUTH_NONE)
			return r;
	}

	if (secret) {
		GPtrArray *lists[] = { msg->to, msg->cc };

		for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
			for (guint i = 0; lists[l] && i < lists[l]->len; i++) {
				const struct pd_addr *a = lists[l]->pdata[i];

				if (token_check_staff_address(secret, a->addr,
				    staff->email, NULL))
					return AUTH_TOKEN;
			}
		static const char *const hdrs[] = { "Delivered-To", "X-Original-To" };
		for (size_t h = 0; h < G_N_ELEMENTS(hdrs); h++) {
			GPtrArray *v = header_values(msg, hdrs[h], 20);

			for (guint i = 0; i < v->len && r == AUTH_NONE; i++) {
				char *a = util_addr_normalize(v->pdata[i]);

				if (token_check_staff_address(secret, a, staff->email, NULL))
					r = AUTH_TOKEN;
				g_free(a);
			}
			g_ptr_array_free(v, TRUE);
			if (r != AUTH_NONE)
				return r;
		}
	}
	if (cfg->auth.trust_from)
		return AUTH_TRUST_FROM;
	return AUTH_NONE;
}

void
classify(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg, struct pd_classification *r)
{
	const char *reason;
	int max_hops;

	memset(r, 0, sizeof(*r));
	r->auth = AUTH_NONE;

	if ((reason = is_loop(cfg, secret, msg)) != NULL) {
		r->cls = CLASS_LOOP;
		r->reason = reason;
		return;
	}
	if (bounce_detect(msg)) {
		r->cls = CLASS_BOUNCE;
		r->reason = "bounce or feedback report";
		return;
	}
	if (classify_is_auto(msg, &reason)) {
		r->cls = CLASS_AUTO;
		r->reason = reason;
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
			};

			r->cls = CLASS_STAFF;
			r->reason = why[r->auth];
			return;
		}
		r->cls = CLASS_CUSTOMER;
		r->reason = "staff From without authentication";
		return;
	}
	r->cls = CLASS_CUSTOMER;
	r->reason = "customer";
}

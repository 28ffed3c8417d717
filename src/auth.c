/* auth.c: staff authentication (SPEC 5).
 *
 * A header is only evidence when our own mail system wrote it.  Every
 * hop prepends its trace headers, so what sits above the Received header
 * of the hop where our MTA took the mail from the outside world was
 * written by us; everything below it came with the mail and is whatever
 * the sender wanted (RFC 8601 section 5).  The entry hop is the topmost
 * Received that is not one of our own delivery hops: a "with LMTP" hop
 * (Postfix to Dovecot) or a hop without a "from" clause (internal hops,
 * as Gmail writes them) or a hop between two of auth.internal_hosts
 * (Microsoft 365's many internal hops).  A sender cannot move his own
 * headers above it.
 *
 * Evidence, strongest first:
 *   - the login our MTA recorded at that hop: Postfix's
 *     smtpd_sasl_authenticated_header "(Authenticated sender: LOGIN)", or
 *     a trusted "auth=pass smtp.auth=LOGIN" result;
 *   - a trusted Authentication-Results (or ARC-Authentication-Results,
 *     as Gmail and Microsoft 365 write them above their own hop) from
 *     auth.authserv_id with dkim=pass aligned on header.d (never
 *     header.i, which the signer may set to anything), dmarc=pass for
 *     header.from = the staff domain (Gmail writes no header.d), or
 *     spf=pass aligned on smtp.mailfrom;
 *   - a reply to the tokenized address only this staff member was sent;
 *   - auth.trust_from. */
#include <string.h>

#include "auth.h"
#include "util.h"

#define AUTH_MAX_HEADERS	1000	/* top-level headers looked at */
#define AUTH_MAX_RESULTS	32	/* trusted results considered */
#define AUTH_MAX_METHODS	50	/* resinfo parts of one result */

static const char *const auth_names[] = {
	[AUTH_NONE] = "none",
	[AUTH_DKIM] = "DKIM pass",
	[AUTH_SPF] = "SPF pass",
	[AUTH_TOKEN] = "tokenized reply address",
	[AUTH_TRUST_FROM] = "trust_from",
	[AUTH_SUBMISSION] = "SMTP login",
	[AUTH_DMARC] = "DMARC pass",
};

/* Strength of evidence, for picking the best of several results. */
static int
auth_rank(enum pd_staff_auth a)
{
	switch (a) {
	case AUTH_SUBMISSION:	return 4;
	case AUTH_DKIM:		return 3;
	case AUTH_DMARC:	return 2;
	case AUTH_SPF:		return 1;
	default:		return 0;
	}
}

const char *
auth_name(enum pd_staff_auth a)
{
	if ((unsigned)a >= G_N_ELEMENTS(auth_names))
		return "unknown";
	return auth_names[a];
}

/* The top-level headers (at most AUTH_MAX_HEADERS of them). */
static int
n_headers(const struct pd_message *msg)
{
	if (msg == NULL || msg->headers == NULL)
		return 0;
	return (int)MIN(msg->headers->len, AUTH_MAX_HEADERS);
}

/* Header i: its name and its value unfolded but not RFC 2047-decoded
 * (an encoded word stays a word, it never becomes a parenthesis). */
static const struct pd_header *
header_at(const struct pd_message *msg, int i)
{
	return msg->headers->pdata[i];
}

/* Remove RFC 5322 comments "(...)" (nesting bounded) and quoted
 * strings with what they hold: reason="dkim=pass" is not a result. */
static char *
strip_comments(const char *s)
{
	GString *o = g_string_new(NULL);
	int depth = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1] && depth > 0) {
			s++;
			continue;
		}
		if (*s == '"' && depth == 0) {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s == '\0')
				break;
			continue;
		}
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

/* host is one of the suffixes (a name or its subdomain). */
static int
host_listed(const char *host, const GPtrArray *list)
{
	size_t lh = host ? strlen(host) : 0;

	for (guint i = 0; list && host && i < list->len; i++) {
		const char *d = list->pdata[i];
		size_t ld = d ? strlen(d) : 0;

		if (ld == 0)
			continue;
		if (g_ascii_strcasecmp(host, d) == 0 || (lh > ld && host[lh - ld - 1] == '.' &&
		    g_ascii_strcasecmp(host + lh - ld, d) == 0))
			return 1;
	}
	return 0;
}

/* Is this Received one of our own hops after the entry?  Delivery (with
 * LMTP), a hop without "from", or one between two of auth.internal_hosts
 * (both its from and its by host listed). */
static int
received_is_own_hop(const char *value, const GPtrArray *internal)
{
	char *clean = strip_comments(value);
	char **w = g_strsplit_set(g_strstrip(clean), " \t\r\n", 200);
	const char *from_host = NULL, *by_host = NULL;
	int from = 0, lmtp = 0, first = 1, r;

	for (int i = 0; w[i]; i++) {
		if (*w[i] == '\0')
			continue;
		if (first && g_ascii_strcasecmp(w[i], "from") == 0) {
			from = 1;
			for (int j = i + 1; w[j] && from_host == NULL; j++)
				if (*w[j])
					from_host = w[j];
		}
		first = 0;
		if (by_host == NULL && g_ascii_strcasecmp(w[i], "by") == 0)
			for (int j = i + 1; w[j] && by_host == NULL; j++)
				if (*w[j])
					by_host = w[j];
		if (g_ascii_strcasecmp(w[i], "with") == 0 && w[i + 1] &&
		    g_ascii_strncasecmp(w[i + 1], "LMTP", 4) == 0)
			lmtp = 1;
	}
	r = !from || lmtp || (host_listed(from_host, internal) && host_listed(by_host, internal));
	g_strfreev(w);
	g_free(clean);
	return r;
}

static int
entry_hop(const struct pd_config *cfg, struct pd_message *msg)
{
	int n = n_headers(msg);

	for (int i = 0; i < n; i++) {
		const struct pd_header *h = header_at(msg, i);
		const char *v = h->raw;

		if (g_ascii_strcasecmp(h->name, "Received") != 0)
			continue;
		if (!received_is_own_hop(v ? v : "", cfg ? cfg->auth.internal_hosts : NULL))
			return i;
	}
	return -1;
}

int
auth_entry_hop(const struct pd_config *cfg, struct pd_message *msg)
{
	return entry_hop(cfg, msg);
}

/* The authserv-id of one result, or NULL: the first word of the first
 * ";"-part (RFC 8601 2.2; ARC adds "i=N;" before it).  A first part that
 * is a method result ("spf=pass ...") has no authserv-id at all. */
static char *
result_authserv_id(const char *clean, const char **rest_r)
{
	const char *p = clean, *semi;
	char *id;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		semi = strchr(p, ';');
		if (g_ascii_strncasecmp(p, "i=", 2) == 0 && semi) {
			p = semi + 1;	/* ARC instance */
			continue;
		}
		break;
	}
	id = g_strndup(p, semi ? (gsize)(semi - p) : strlen(p));
	g_strstrip(id);
	if (strchr(id, ' ') || strchr(id, '\t'))
		*strpbrk(id, " \t") = '\0';	/* "mx.microsoft.com 1": the version */
	*rest_r = semi ? semi + 1 : p + strlen(p);
	if (*id == '\0' || strchr(id, '=')) {
		g_free(id);
		return NULL;
	}
	return id;
}

char **
auth_trusted_headers(const struct pd_config *cfg, struct pd_message *msg)
{
	GPtrArray *out = g_ptr_array_new();
	int entry = entry_hop(cfg, msg);

	for (int i = 0; i < entry && out->len < AUTH_MAX_RESULTS; i++) {
		const struct pd_header *h = header_at(msg, i);
		const char *name = h->name;
		const char *v = h->raw;

		if (v == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "Authentication-Results") == 0)
			g_ptr_array_add(out, g_strdup(v));
		else if (g_ascii_strcasecmp(name, "ARC-Authentication-Results") == 0) {
			const char *p = v, *semi;

			while (g_ascii_isspace(*p))
				p++;
			if (g_ascii_strncasecmp(p, "i=", 2) == 0 && (semi = strchr(p, ';')))
				p = semi + 1;
			g_ptr_array_add(out, g_strdup(p));
		}
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **
auth_trusted_results(const struct pd_config *cfg, struct pd_message *msg)
{
	GPtrArray *out = g_ptr_array_new();
	const char *want = cfg->auth.authserv_id;
	int entry;

	if (want == NULL || *want == '\0' || (entry = entry_hop(cfg, msg)) < 0) {
		g_ptr_array_add(out, NULL);
		return (char **)g_ptr_array_free(out, FALSE);
	}
	for (int i = 0; i < entry && out->len < AUTH_MAX_RESULTS; i++) {
		const struct pd_header *h = header_at(msg, i);
		const char *name = h->name, *v, *rest;
		char *clean, *id;

		if (g_ascii_strcasecmp(name, "Authentication-Results") != 0 &&
		    g_ascii_strcasecmp(name, "ARC-Authentication-Results") != 0)
			continue;
		v = h->raw;
		clean = strip_comments(v ? v : "");
		id = result_authserv_id(clean, &rest);
		if (id && g_ascii_strcasecmp(id, want) == 0)
			g_ptr_array_add(out, g_strdup(rest));
		g_free(id);
		g_free(clean);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* d aligns with domain when equal or a parent of it (relaxed
 * alignment); a bare top-level domain never does. */
static int
domain_aligned(const char *d, const char *domain)
{
	size_t ld, ln;

	if (d == NULL || domain == NULL || *d == '\0')
		return 0;
	if (strchr(d, '.') == NULL)
		return 0;
	if (g_ascii_strcasecmp(d, domain) == 0)
		return 1;
	ld = strlen(d);
	ln = strlen(domain);
	return ln > ld && domain[ln - ld - 1] == '.' &&
	    g_ascii_strcasecmp(domain + ln - ld, d) == 0;
}

/* A login names this staff member: the whole address or its local part. */
static int
login_is_staff(const char *login, const struct pd_staff *staff)
{
	const char *at = strrchr(staff->email, '@');

	if (login == NULL || *login == '\0')
		return 0;
	if (g_ascii_strcasecmp(login, staff->email) == 0)
		return 1;
	return at && strlen(login) == (size_t)(at - staff->email) &&
	    g_ascii_strncasecmp(login, staff->email, at - staff->email) == 0;
}

/* One trusted result's methods (already without its authserv-id). */
static enum pd_staff_auth
result_judge(const char *rest, const struct pd_staff *staff, const char *domain)
{
	enum pd_staff_auth r = AUTH_NONE;
	char **parts = g_strsplit(rest, ";", AUTH_MAX_METHODS);

	for (int i = 0; parts[i]; i++) {
		char **tok = g_strsplit_set(g_strstrip(parts[i]), " \t\r\n", 50);
		int dkim = 0, spf = 0, dmarc = 0, smtpauth = 0, d_ok = 0, mf_ok = 0,
		    login_ok = 0, hf_ok = 0;

		for (int j = 0; tok[j]; j++) {
			const char *t = tok[j], *eq = strchr(t, '='), *val;

			if (eq == NULL)
				continue;
			val = eq + 1;
			if (g_ascii_strcasecmp(t, "dkim=pass") == 0)
				dkim = 1;
			else if (g_ascii_strcasecmp(t, "spf=pass") == 0)
				spf = 1;
			else if (g_ascii_strcasecmp(t, "dmarc=pass") == 0)
				dmarc = 1;
			else if (g_ascii_strcasecmp(t, "auth=pass") == 0)
				smtpauth = 1;
			else if (g_ascii_strncasecmp(t, "header.from=", 12) == 0)
				hf_ok = g_ascii_strcasecmp(val, domain) == 0;
			else if (g_ascii_strncasecmp(t, "header.d=", 9) == 0)
				d_ok = domain_aligned(val, domain);
			else if (g_ascii_strncasecmp(t, "smtp.mailfrom=", 14) == 0)
				mf_ok = domain_aligned(strchr(val, '@') ? strchr(val, '@') + 1 : val,
				    domain);
			else if (g_ascii_strncasecmp(t, "smtp.auth=", 10) == 0)
				login_ok = login_is_staff(val, staff);
			/* header.i is the signer's free choice: never alignment */
		}
		g_strfreev(tok);
		if (smtpauth && login_ok)
			r = AUTH_SUBMISSION;
		else if (dkim && d_ok && r != AUTH_SUBMISSION)
			r = AUTH_DKIM;
		else if (dmarc && hf_ok && (r == AUTH_NONE || r == AUTH_SPF))
			r = AUTH_DMARC;
		else if (spf && mf_ok && r == AUTH_NONE)
			r = AUTH_SPF;
	}
	g_strfreev(parts);
	return r;
}

/* Postfix's smtpd_sasl_authenticated_header: in the entry hop's from
 * clause, before "by".  A HELO or reverse name cannot hold a space, so
 * only Postfix writes "(Authenticated sender: " there. */
static int
entry_hop_login(const struct pd_config *cfg, struct pd_message *msg,
    const struct pd_staff *staff)
{
	static const char marker[] = "(Authenticated sender: ";
	int entry = entry_hop(cfg, msg), ok = 0;
	const char *v, *p, *by;
	char *login;

	if (entry < 0)
		return 0;
	v = header_at(msg, entry)->raw;
	if (v == NULL || (p = strcasestr(v, marker)) == NULL)
		return 0;
	for (by = v; (by = strcasestr(by, "by")) != NULL; by += 2)
		if ((by == v || g_ascii_isspace(by[-1])) && g_ascii_isspace(by[2]))
			break;
	if (by && by < p)
		return 0;
	p += sizeof(marker) - 1;
	login = g_strndup(p, strcspn(p, ")"));
	g_strstrip(login);
	ok = p[strlen(login)] != '\0' && login_is_staff(login, staff);
	g_free(login);
	return ok;
}

enum pd_staff_auth
auth_staff(const struct pd_config *cfg, const struct pd_secret *secret,
    struct pd_message *msg, const struct pd_staff *staff)
{
	enum pd_staff_auth r = AUTH_NONE;
	const char *domain;

	if (staff == NULL || staff->email == NULL)
		return AUTH_NONE;
	domain = strrchr(staff->email, '@');
	domain = domain ? domain + 1 : NULL;

	if (entry_hop_login(cfg, msg, staff))
		return AUTH_SUBMISSION;
	if (domain) {
		char **res = auth_trusted_results(cfg, msg);

		for (int i = 0; res[i] && r != AUTH_SUBMISSION; i++) {
			enum pd_staff_auth a = result_judge(res[i], staff, domain);

			if (auth_rank(a) > auth_rank(r))
				r = a;
		}
		g_strfreev(res);
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
		int n = n_headers(msg);

		for (int i = 0; i < n; i++) {
			const struct pd_header *h = header_at(msg, i);
			const char *name = h->name;
			int ok = 0;

			for (size_t k = 0; k < G_N_ELEMENTS(hdrs); k++)
				if (g_ascii_strcasecmp(name, hdrs[k]) == 0) {
					char *a = util_addr_normalize(h->value);

					ok = token_check_staff_address(secret, a, staff->email, NULL);
					g_free(a);
				}
			if (ok)
				return AUTH_TOKEN;
		}
	}
	if (cfg->auth.trust_from)
		return AUTH_TRUST_FROM;
	return AUTH_NONE;
}

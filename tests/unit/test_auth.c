/* test_auth.c: staff authentication (SPEC 5, auth.c): only what our own
 * mail system wrote counts; the hosted forms of Gmail and Microsoft 365;
 * Postfix's SASL login; forgeries below the entry hop. */
#include "test.h"
#include "auth.h"

static struct pd_secret secret = {
	(guint8 *)"0123456789abcdef0123456789abcdef", 32
};
static struct pd_staff alice = { .name = "Alice Smith", .email = "alice@example.com" };
static struct pd_staff bob = { .name = "Bob Jones", .email = "bob@example.com" };
static struct pd_staff eve = { .name = "Eve", .email = "eve@eu.example.com" };
static struct pd_staff olga = { .name = "Olga", .email = "olga@example.org" };

#define LMTP_HOP "Received: from mx.example.com ([127.0.0.1])\n\tby mx.example.com with LMTP\n" \
	"\tid x\n\tfor <support@example.com>; Wed, 02 Dec 2026 01:38:56 +0000\n"
#define ENTRY_HOP "Received: from mail.example.net (mail.example.net [192.0.2.1])\n" \
	"\tby mx.example.com (Postfix) with ESMTPS id 1; Wed, 02 Dec 2026 01:38:55 +0000\n"
#define SASL_HOP(login) "Received: from laptop (laptop [192.0.2.7])\n\t(Authenticated sender: " \
	login ")\n\tby mx.example.com (Postfix) with ESMTPSA id 2; Wed, 02 Dec 2026 01:38:55 +0000\n"
#define SENDER_HOP "Received: from [10.0.0.7] by smtp.evil.example.net with ESMTP; Wed, 02 Dec 2026 01:38:54 +0000\n"
#define BODY "From: Alice Smith <alice@example.com>\nTo: support@example.com\nSubject: x\n\nx\n"

static struct pd_message *
parse(const char *raw, size_t len)
{
	struct pd_message *msg = NULL;
	char *error = NULL;

	if (message_parse(raw, len, test_parse_limits(), &msg, &error) == -1) {
		printf("# parse: %s\n", error);
		g_free(error);
	}
	return msg;
}

static GPtrArray *internal;	/* auth.internal_hosts for judge() */

static enum pd_staff_auth
judge(const char *authserv_id, const struct pd_staff *s, const char *raw, size_t len)
{
	struct pd_config cfg = { 0 };

	cfg.auth.internal_hosts = internal;
	struct pd_message *msg = parse(raw, len);
	enum pd_staff_auth a;

	if (msg == NULL)
		return -1;
	cfg.auth.authserv_id = (char *)authserv_id;
	a = auth_staff(&cfg, &secret, msg, s);
	message_free(msg);
	return a;
}

static void
test_table(void)
{
	static const struct row {
		const char *name, *authserv_id;
		const struct pd_staff *staff;
		const char *raw;
		enum pd_staff_auth want;
	} rows[] = {
		{ "SASL login at the entry hop", "", &alice,
		  LMTP_HOP SASL_HOP("alice@example.com") BODY, AUTH_SUBMISSION },
		{ "SASL login as the local part", "", &alice,
		  LMTP_HOP SASL_HOP("Alice") BODY, AUTH_SUBMISSION },
		{ "another staff member's login", "", &alice,
		  LMTP_HOP SASL_HOP("bob@example.com") BODY, AUTH_NONE },
		{ "bob's login is bob", "", &bob,
		  LMTP_HOP SASL_HOP("bob@example.com") BODY, AUTH_SUBMISSION },
		{ "Authenticated sender forged below the entry hop", "", &alice,
		  LMTP_HOP ENTRY_HOP SASL_HOP("alice@example.com") BODY, AUTH_NONE },
		{ "Authenticated sender in the for clause (after by)", "", &alice,
		  LMTP_HOP "Received: from x (x [192.0.2.9])\n\tby mx.example.com (Postfix) with ESMTP id 3\n"
		  "\tfor <\"(Authenticated sender: alice@example.com)\"@example.com>; Wed, 02 Dec 2026 01:38:55 +0000\n"
		  BODY, AUTH_NONE },
		{ "DKIM result above the entry hop", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com header.s=s\n"
		  LMTP_HOP ENTRY_HOP BODY, AUTH_DKIM },
		{ "DKIM result between delivery hop and entry hop", "mx.example.com", &alice,
		  LMTP_HOP "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n"
		  ENTRY_HOP BODY, AUTH_DKIM },
		{ "issue 11 item 5: forged result below both Received lines", "mx.example.com", &alice,
		  LMTP_HOP ENTRY_HOP
		  "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=alice@example.com\n"
		  BODY, AUTH_NONE },
		{ "forged result below a sender's own hop", "mx.example.com", &alice,
		  LMTP_HOP ENTRY_HOP SENDER_HOP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n" BODY, AUTH_NONE },
		{ "wrong authserv-id above the hop", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.org; dkim=pass header.d=example.com\n"
		  LMTP_HOP ENTRY_HOP BODY, AUTH_NONE },
		{ "empty authserv_id: no result counts", "", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n"
		  LMTP_HOP ENTRY_HOP BODY, AUTH_NONE },
		{ "DKIM aligned on header.i only", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.i=@example.com header.d=evil.example.net\n"
		  LMTP_HOP ENTRY_HOP BODY, AUTH_NONE },
		{ "DKIM from a parent domain (relaxed alignment)", "mx.example.com", &eve,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n"
		  ENTRY_HOP "From: eve@eu.example.com\nSubject: x\n\nx\n", AUTH_DKIM },
		{ "DKIM from a subdomain does not align with the parent", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=eu.example.com\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "DMARC pass for the staff domain", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.i=@example.com; dmarc=pass header.from=example.com\n"
		  ENTRY_HOP BODY, AUTH_DMARC },
		{ "DMARC pass for another From domain", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dmarc=pass header.from=evil.example.net\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "DMARC fail", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dmarc=fail header.from=example.com\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "SPF aligned", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=alice@example.com\n"
		  ENTRY_HOP BODY, AUTH_SPF },
		{ "SPF for another domain", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=x@bulk.example.net\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "auth=pass smtp.auth (RFC 8601 SMTP AUTH result)", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; auth=pass smtp.auth=alice@example.com\n"
		  ENTRY_HOP BODY, AUTH_SUBMISSION },
		{ "auth=pass for another login", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; auth=pass smtp.auth=bob@example.com\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "no Received at all: nothing is ours", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n" BODY, AUTH_NONE },
		{ "only delivery hops: no entry hop", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n" LMTP_HOP BODY,
		  AUTH_NONE },
		{ "dkim=pass inside a comment", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=fail (dkim=pass header.d=example.com) header.d=x.net\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "dkim=pass inside a quoted reason", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com; dkim=fail reason=\"x dkim=pass header.d=example.com\" header.d=x.net\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "authserv-id as a prefix", "mx.example.com", &alice,
		  "Authentication-Results: mx.example.com.evil.net; dkim=pass header.d=example.com\n"
		  ENTRY_HOP BODY, AUTH_NONE },
		{ "ARC result forged below the hop", "mx.example.com", &alice,
		  ENTRY_HOP "ARC-Authentication-Results: i=1; mx.example.com; dkim=pass header.d=example.com\n"
		  BODY, AUTH_NONE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		const struct row *r = &rows[i];

		TEST_STR(auth_name(judge(r->authserv_id, r->staff, r->raw, strlen(r->raw))),
		    auth_name(r->want), "%s", r->name);
	}
}

static char *
fixture(const char *name, gsize *len_r)
{
	char *rel = g_strdup_printf("tests/mail/auth/%s", name);
	char *path = test_src(rel), *raw = NULL;

	if (!g_file_get_contents(path, &raw, len_r, NULL))
		printf("# cannot read %s\n", path);
	g_free(path);
	g_free(rel);
	return raw;
}

/* The file with every header named drop removed. */
static char *
without(const char *raw, const char *drop)
{
	GString *o = g_string_new(NULL);
	char **lines = g_strsplit(raw, "\n", -1);
	int skipping = 0;
	size_t dl = strlen(drop);

	for (int i = 0; lines[i]; i++) {
		const char *l = lines[i];

		if (*l != ' ' && *l != '\t')
			skipping = g_ascii_strncasecmp(l, drop, dl) == 0 && l[dl] == ':';
		if (!skipping) {
			g_string_append(o, l);
			if (lines[i + 1])
				g_string_append_c(o, '\n');
		}
	}
	g_strfreev(lines);
	return g_string_free(o, FALSE);
}

static void
test_fixtures(void)
{
	gsize len;
	char *g = fixture("gmail.eml", &len), *m = fixture("m365.eml", &len);
	char *p = fixture("postfix-sasl.eml", &len), *f = fixture("forged.eml", &len);
	char *x;

	if (!g || !m || !p || !f) {
		TEST_OK(0, "fixtures readable");
		goto out;
	}
	TEST_STR(auth_name(judge("mx.google.com", &alice, g, strlen(g))), "DMARC pass",
	    "Gmail: ARC-Authentication-Results from mx.google.com above its hop (no header.d: DMARC)");
	TEST_STR(auth_name(judge("", &alice, g, strlen(g))), "none",
	    "Gmail, authserv_id empty: the sender's own Authenticated sender does not count");
	TEST_STR(auth_name(judge("mx.example.com", &alice, g, strlen(g))), "none",
	    "Gmail with another authserv_id");
	x = without(g, "ARC-Authentication-Results");
	TEST_STR(auth_name(judge("mx.google.com", &alice, x, strlen(x))), "none",
	    "Gmail: its Authentication-Results below the hop alone does not count");
	g_free(x);
	TEST_STR(auth_name(judge("mx.google.com", &olga, g, strlen(g))), "none",
	    "Gmail: aligned with alice's domain, not a staff member of another domain");

	TEST_STR(auth_name(judge("mx.microsoft.com", &alice, m, strlen(m))), "none",
	    "Microsoft 365 without auth.internal_hosts: its topmost hop is the entry");
	internal = g_ptr_array_new();
	g_ptr_array_add(internal, "prod.outlook.com");
	g_ptr_array_add(internal, "prod.protection.outlook.com");
	TEST_STR(auth_name(judge("mx.microsoft.com", &alice, m, strlen(m))), "DKIM pass",
	    "Microsoft 365: ARC-Authentication-Results i=1 from mx.microsoft.com");
	x = without(m, "ARC-Authentication-Results");
	TEST_STR(auth_name(judge("mx.microsoft.com", &alice, x, strlen(x))), "none",
	    "Microsoft 365: an Authentication-Results without authserv-id never counts");
	g_free(x);
	TEST_STR(auth_name(judge("", &alice, m, strlen(m))), "none",
	    "Microsoft 365, authserv_id empty");
	/* a sender's HELO in the internal domain: the MX is not listed */
	x = g_strdup(m);
	{
		GString *s2 = g_string_new(x);
		g_string_replace(s2, "from mail.example.com (192.0.2.25)", "from evil.prod.outlook.com (192.0.2.25)", 1);
		g_free(x);
		x = g_string_free(s2, FALSE);
	}
	TEST_INT(auth_entry_hop(NULL, NULL) , -1, "no message, no hop");
	{
		struct pd_config cfg = { 0 };
		struct pd_message *msg = parse(x, strlen(x));

		cfg.auth.internal_hosts = internal;
		TEST_INT(auth_entry_hop(&cfg, msg), 7,
		    "Microsoft 365: a sender's HELO in prod.outlook.com is still the entry hop");
		message_free(msg);
	}
	g_free(x);
	g_ptr_array_free(internal, TRUE);
	internal = NULL;

	TEST_STR(auth_name(judge("", &alice, p, strlen(p))), "SMTP login",
	    "Postfix submission with smtpd_sasl_authenticated_header");
	TEST_STR(auth_name(judge("", &bob, p, strlen(p))), "none",
	    "Postfix submission: alice's login is not bob");
	TEST_STR(auth_name(judge("mx.example.com", &alice, f, strlen(f))), "none",
	    "forged results and Authenticated sender below our hop");
	TEST_STR(auth_name(judge("", &alice, f, strlen(f))), "none",
	    "forged, authserv_id empty");

	/* auth_trusted_results: what the rules see */
	{
		struct pd_config cfg = { 0 };
		struct pd_message *msg = parse(g, strlen(g));
		char **r;

		cfg.auth.authserv_id = "mx.google.com";
		r = auth_trusted_results(&cfg, msg);
		TEST_INT(g_strv_length(r), 1, "Gmail: one trusted result");
		TEST_OK(r[0] && strstr(r[0], "dkim=pass header.i=@example.com") != NULL,
		    "Gmail: it is the ARC one, without its authserv-id");
		g_strfreev(r);
		TEST_INT(auth_entry_hop(&cfg, msg), 8, "Gmail: entry hop is the 9th header");
		message_free(msg);
	}
out:
	g_free(g);
	g_free(m);
	g_free(p);
	g_free(f);
}

/* The tokenized address still authenticates (SPEC 5) on its own. */
static void
test_token(void)
{
	char *tok = token_staff_address(&secret, "support@example.com", "TKT-0042",
	    "alice@example.com");
	char *raw = g_strdup_printf("From: alice@example.com\nTo: %s\nSubject: x\n\nx\n", tok);

	TEST_STR(auth_name(judge("", &alice, raw, strlen(raw))), "tokenized reply address",
	    "tokenized reply address");
	TEST_STR(auth_name(judge("", &bob, raw, strlen(raw))), "none",
	    "alice's token is not bob's");
	g_free(raw);
	g_free(tok);
}

int
main(void)
{
	message_init();
	test_table();
	test_fixtures();
	test_token();
	return test_done();
}

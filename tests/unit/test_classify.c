/* test_classify.c: SPEC 3 rules, their order, staff authentication,
 * and the corpus autoreplies and bounces. */
#include <dirent.h>

#include "test.h"
#include "classify.h"

static struct pd_secret secret = {
	(guint8 *)"0123456789abcdef0123456789abcdef", 32
};

static struct pd_config *
make_config(int trust_from)
{
	struct pd_config *cfg = g_new0(struct pd_config, 1);
	struct pd_queue *q = g_new0(struct pd_queue, 1);
	static const char *staff[][2] = {
		{ "Alice Smith", "alice@example.com" },
		{ "Bob Jones", "bob@mail.example.org" },
	};

	cfg->hostname = g_strdup("help.example.com");
	cfg->staff = g_ptr_array_new();
	for (size_t i = 0; i < G_N_ELEMENTS(staff); i++) {
		struct pd_staff *s = g_new0(struct pd_staff, 1);

		s->name = g_strdup(staff[i][0]);
		s->email = g_strdup(staff[i][1]);
		g_ptr_array_add(cfg->staff, s);
	}
	q->name = g_strdup("Support");
	q->address = g_strdup("support@example.com");
	q->note_address = g_strdup("support+note@example.com");
	cfg->queues = g_ptr_array_new();
	g_ptr_array_add(cfg->queues, q);
	cfg->auth.authserv_id = g_strdup("mx.example.com");
	cfg->auth.trust_from = trust_from;
	cfg->limits.max_hops = DEF_MAX_HOPS;
	cfg->spam.header = g_strdup("X-Rspamd-Action");
	cfg->spam.pattern = g_strdup("^(reject|add header)");
	return cfg;
}

static void
free_config(struct pd_config *cfg)
{
	for (guint i = 0; i < cfg->staff->len; i++) {
		struct pd_staff *s = cfg->staff->pdata[i];

		g_free(s->name);
		g_free(s->email);
		g_free(s);
	}
	g_ptr_array_free(cfg->staff, TRUE);
	for (guint i = 0; i < cfg->queues->len; i++) {
		struct pd_queue *q = cfg->queues->pdata[i];

		g_free(q->name);
		g_free(q->address);
		g_free(q->note_address);
		g_free(q);
	}
	g_ptr_array_free(cfg->queues, TRUE);
	g_free(cfg->hostname);
	g_free(cfg->auth.authserv_id);
	g_free(cfg->spam.header);
	g_free(cfg->spam.pattern);
	g_free(cfg);
}

static struct pd_message *
parse(const char *raw, size_t len)
{
	struct pd_message *msg = NULL;
	char *error = NULL;

	if (message_parse(raw, len, test_parse_limits(), &msg, &error) == -1) {
		printf("# parse: %s\n", error);
		g_free(error);
		return NULL;
	}
	return msg;
}

#define CUST	"From: Carol <carol@customer.example>\n"
#define ALICE	"From: Alice Smith <alice@example.com>\n"
#define TOSUP	"To: support@example.com\n"
/* The hop where our MTA received the mail: results above it are ours
 * (auth.c; unit tests of the trust rules are in test_auth.c). */
#define HOP "Received: from mail.example.net (mail.example.net [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000\n"
#define AR_OK_DKIM "Authentication-Results: mx.example.com; dkim=pass header.d=example.com header.s=sel; spf=fail smtp.mailfrom=alice@example.com\n" HOP
#define DSN_BODY \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" \
	"--b\nContent-Type: text/plain\n\nDelivery failed.\n" \
	"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n" \
	"Final-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n" \
	"--b--\n"

static void
test_table(void)
{
	struct pd_config *cfg = make_config(0);
	char *ourid = token_message_id(&secret, "TKT-0042", "help.example.com");
	char *tokaddr = token_staff_address(&secret, "support@example.com",
	    "TKT-0042", "alice@example.com");
	char *tokaddr_bob = token_staff_address(&secret, "support@example.com",
	    "TKT-0042", "bob@mail.example.org");
	char *hops = NULL;
	GString *h = g_string_new(NULL);

	for (int i = 0; i < 51; i++)
		g_string_append_printf(h, "Received: from h%d by h%d; Mon, 1 Jan 2024 00:00:00 +0000\n", i, i + 1);
	hops = g_string_free(h, FALSE);

	struct row {
		const char *name;
		char *raw;
		enum pd_class cls;
		const char *reason;
		int has_staff;
		enum pd_staff_auth auth;
	} rows[] = {
		{ "plain customer", g_strdup(CUST TOSUP "Subject: help\n\nhi\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "X-Loop hostname", g_strdup(CUST TOSUP "X-Loop: help.example.com\nSubject: x\n\nx\n"),
		  CLASS_LOOP, "X-Loop names us", 0, AUTH_NONE },
		{ "X-Loop queue address (second X-Loop)", g_strdup(CUST TOSUP "X-Loop: other@list.org\n"
		  "X-Loop: Support@Example.com\nSubject: x\n\nx\n"),
		  CLASS_LOOP, "X-Loop names us", 0, AUTH_NONE },
		{ "X-Loop someone else", g_strdup(CUST TOSUP "X-Loop: other@list.org\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "our Message-ID", g_strdup_printf(CUST TOSUP "Message-ID: <%s>\nSubject: x\n\nx\n", ourid),
		  CLASS_LOOP, "our own Message-ID", 0, AUTH_NONE },
		{ "forged Message-ID shape", g_strdup(CUST TOSUP
		  "Message-ID: <TKT-0042.0123456789abcdef.0123456789abcdef@help.example.com>\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "From queue address", g_strdup("From: support@example.com\nTo: x@y.org\nSubject: x\n\nx\n"),
		  CLASS_LOOP, "From is our own address", 0, AUTH_NONE },
		{ "From note address", g_strdup("From: support+note@example.com\nTo: x@y.org\nSubject: x\n\nx\n"),
		  CLASS_LOOP, "From is our own address", 0, AUTH_NONE },
		{ "DSN", g_strdup("From: MAILER-DAEMON@mx.example.net\nTo: support@example.com\n"
		  "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n" DSN_BODY),
		  CLASS_BOUNCE, "bounce or feedback report", 0, AUTH_NONE },
		{ "DSN with Precedence: bulk is a bounce", g_strdup("From: MAILER-DAEMON@mx.example.net\n"
		  "To: support@example.com\nPrecedence: bulk\nSubject: failure\nMIME-Version: 1.0\n" DSN_BODY),
		  CLASS_BOUNCE, "bounce or feedback report", 0, AUTH_NONE },
		{ "loop before bounce", g_strdup("From: MAILER-DAEMON@mx.example.net\nTo: support@example.com\n"
		  "X-Loop: help.example.com\nSubject: failure\nMIME-Version: 1.0\n" DSN_BODY),
		  CLASS_LOOP, "X-Loop names us", 0, AUTH_NONE },
		{ "qmail text bounce", g_strdup("From: MAILER-DAEMON@mx.example.net\nTo: support@example.com\n"
		  "Subject: failure notice\n\nHi. This is the qmail-send program at mx.example.net.\n"
		  "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
		  "<gone@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n"),
		  CLASS_BOUNCE, "bounce or feedback report", 0, AUTH_NONE },
		{ "Auto-Submitted: auto-replied", g_strdup(CUST TOSUP "Auto-Submitted: auto-replied\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Auto-Submitted", 0, AUTH_NONE },
		{ "Auto-Submitted: No; params", g_strdup(CUST TOSUP "Auto-Submitted: No ; x=y\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "Auto-Submitted: auto-generated; params", g_strdup(CUST TOSUP
		  "Auto-Submitted: Auto-Generated; owner-email=x@y\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Auto-Submitted", 0, AUTH_NONE },
		{ "Precedence: bulk", g_strdup(CUST TOSUP "Precedence: Bulk\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Precedence: bulk", 0, AUTH_NONE },
		{ "Precedence: junk", g_strdup(CUST TOSUP "Precedence: junk\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Precedence: junk", 0, AUTH_NONE },
		{ "Precedence: list", g_strdup(CUST TOSUP "Precedence: list\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Precedence: list", 0, AUTH_NONE },
		{ "Precedence: auto_reply", g_strdup(CUST TOSUP "Precedence: auto_reply\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "Precedence: auto_reply", 0, AUTH_NONE },
		{ "Precedence: first-class", g_strdup(CUST TOSUP "Precedence: first-class\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "X-Autoreply", g_strdup(CUST TOSUP "X-Autoreply: yes\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "X-Autoreply", 0, AUTH_NONE },
		{ "X-Autorespond", g_strdup(CUST TOSUP "X-Autorespond: x\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "X-Autorespond", 0, AUTH_NONE },
		{ "X-Auto-Response-Suppress", g_strdup(CUST TOSUP "X-Auto-Response-Suppress: All\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "X-Auto-Response-Suppress", 0, AUTH_NONE },
		{ "List-Id", g_strdup(CUST TOSUP "List-Id: <users.lists.example.org>\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "mailing list (List-*)", 0, AUTH_NONE },
		{ "List-Unsubscribe", g_strdup(CUST TOSUP "List-Unsubscribe: <mailto:u@x.org>\nSubject: x\n\nx\n"),
		  CLASS_AUTO, "mailing list (List-*)", 0, AUTH_NONE },
		{ "Out of Office subject", g_strdup(CUST TOSUP "Subject: Out of Office: back Monday\n\nx\n"),
		  CLASS_AUTO, "out-of-office subject", 0, AUTH_NONE },
		{ "AW: Abwesenheitsnotiz", g_strdup(CUST TOSUP "Subject: AW: Abwesenheitsnotiz: Urlaub\n\nx\n"),
		  CLASS_AUTO, "out-of-office subject", 0, AUTH_NONE },
		{ "Automatic reply", g_strdup(CUST TOSUP "Subject: Automatic reply: [TKT-0042] x\n\nx\n"),
		  CLASS_AUTO, "out-of-office subject", 0, AUTH_NONE },
		{ "Réponse automatique (RFC 2047)", g_strdup(CUST TOSUP
		  "Subject: =?UTF-8?Q?R=C3=A9ponse_automatique?=\n\nx\n"),
		  CLASS_AUTO, "out-of-office subject", 0, AUTH_NONE },
		{ "Re: vacation plans is... auto", g_strdup(CUST TOSUP "Subject: Re: Vacation\n\nx\n"),
		  CLASS_AUTO, "out-of-office subject", 0, AUTH_NONE },
		{ "subject mentioning office", g_strdup(CUST TOSUP "Subject: My office printer is broken\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "51 Received", g_strdup_printf("%s" CUST TOSUP "Subject: x\n\nx\n", hops),
		  CLASS_HOPS, "too many Received headers", 0, AUTH_NONE },
		{ "50 Received is fine", g_strdup_printf("%s" CUST TOSUP "Subject: x\n\nx\n",
		  strchr(hops, '\n') + 1),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "auto before hops", g_strdup_printf("%s" CUST TOSUP "Precedence: junk\nSubject: x\n\nx\n", hops),
		  CLASS_AUTO, "Precedence: junk", 0, AUTH_NONE },
		{ "X-Spam-Flag: YES", g_strdup(CUST TOSUP "X-Spam-Flag: YES\nSubject: x\n\nx\n"),
		  CLASS_SPAM, "X-Spam-Flag: YES", 0, AUTH_NONE },
		{ "X-Spam-Flag: NO", g_strdup(CUST TOSUP "X-Spam-Flag: NO\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "X-Spam-Status: Yes, score", g_strdup(CUST TOSUP "X-Spam-Status: Yes, score=9.1 required=5.0\nSubject: x\n\nx\n"),
		  CLASS_SPAM, "X-Spam-Status: Yes", 0, AUTH_NONE },
		{ "X-Spam-Status: No", g_strdup(CUST TOSUP "X-Spam-Status: No, score=0.1\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "configured spam header", g_strdup(CUST TOSUP "X-Rspamd-Action: Add Header\nSubject: x\n\nx\n"),
		  CLASS_SPAM, "spam header matches", 0, AUTH_NONE },
		{ "configured spam header, no match", g_strdup(CUST TOSUP "X-Rspamd-Action: no action\nSubject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
		{ "spam from staff with DKIM is spam", g_strdup(ALICE TOSUP AR_OK_DKIM "X-Spam-Flag: YES\nSubject: x\n\nx\n"),
		  CLASS_SPAM, "X-Spam-Flag: YES", 0, AUTH_NONE },
		{ "staff DKIM", g_strdup(ALICE TOSUP AR_OK_DKIM "Subject: x\n\nx\n"),
		  CLASS_STAFF, "staff, DKIM pass", 1, AUTH_DKIM },
		{ "staff DKIM, header.i is never alignment", g_strdup(ALICE TOSUP
		  "Authentication-Results: MX.example.com 1; dkim=pass (good) header.d=evil.example.net header.i=@example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "staff DKIM, authserv-id with version", g_strdup(ALICE TOSUP
		  "Authentication-Results: MX.example.com 1; dkim=pass (good) header.d=example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_STAFF, "staff, DKIM pass", 1, AUTH_DKIM },
		{ "staff DKIM parent domain (relaxed)", g_strdup("From: bob@mail.example.org\n" TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.org\n" HOP "Subject: x\n\nx\n"),
		  CLASS_STAFF, "staff, DKIM pass", 1, AUTH_DKIM },
		{ "staff DKIM pass for TLD only", g_strdup("From: bob@mail.example.org\n" TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=org\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "staff DKIM pass for another domain", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=evil.example.net\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "staff DKIM for lookalike domain", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=badexample.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "staff DKIM fail", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=fail header.d=example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "forged Authentication-Results from another authserv-id", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.evil.net; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com\n"
		  "Authentication-Results: mx.example.com; dkim=none; spf=softfail smtp.mailfrom=example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "authserv-id as a prefix does not count", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com.evil.net; dkim=pass header.d=example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "dkim=pass only inside a comment", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=fail (was dkim=pass header.d=example.com) header.d=x.net\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "staff SPF aligned", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=alice@example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_STAFF, "staff, SPF pass", 1, AUTH_SPF },
		{ "staff SPF for another domain", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=bounce@mailer.example.net\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "second AR of ours has the pass", g_strdup(ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=none\n"
		  "Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n" HOP "Subject: x\n\nx\n"),
		  CLASS_STAFF, "staff, DKIM pass", 1, AUTH_DKIM },
		{ "staff token address in To", g_strdup_printf(ALICE "To: %s\nSubject: x\n\nx\n", tokaddr),
		  CLASS_STAFF, "staff, tokenized reply address", 1, AUTH_TOKEN },
		{ "staff token address in Delivered-To", g_strdup_printf(ALICE "To: support@example.com\n"
		  "Delivered-To: %s\nSubject: x\n\nx\n", tokaddr),
		  CLASS_STAFF, "staff, tokenized reply address", 1, AUTH_TOKEN },
		{ "staff token address in X-Original-To, upper case", g_strdup_printf(ALICE "To: support@example.com\n"
		  "X-Original-To: <%s>\nSubject: x\n\nx\n", tokaddr),
		  CLASS_STAFF, "staff, tokenized reply address", 1, AUTH_TOKEN },
		{ "another staff member's token", g_strdup_printf(ALICE "To: %s\nSubject: x\n\nx\n", tokaddr_bob),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "unauthenticated staff", g_strdup(ALICE TOSUP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "staff From without authentication", 1, AUTH_NONE },
		{ "customer with valid DKIM", g_strdup(CUST TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass header.d=customer.example\n" HOP "Subject: x\n\nx\n"),
		  CLASS_CUSTOMER, "customer", 0, AUTH_NONE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct pd_message *msg = parse(rows[i].raw, strlen(rows[i].raw));
		struct pd_classification c;

		TEST_OK(msg != NULL, "%s: parses", rows[i].name);
		if (msg == NULL)
			continue;
		classify(cfg, &secret, msg, NULL, &c);
		TEST_STR(classify_name(c.cls), classify_name(rows[i].cls), "%s: class", rows[i].name);
		TEST_STR(c.reason, rows[i].reason, "%s: reason", rows[i].name);
		TEST_INT(c.staff != NULL, rows[i].has_staff, "%s: staff set", rows[i].name);
		TEST_INT(c.auth, rows[i].auth, "%s: auth", rows[i].name);
		message_free(msg);
	}

	/* trust_from makes an unauthenticated staff From staff */
	{
		struct pd_config *trusting = make_config(1);
		const char *raw = ALICE TOSUP "Subject: x\n\nx\n";
		struct pd_message *msg = parse(raw, strlen(raw));
		struct pd_classification c;

		classify(trusting, &secret, msg, NULL, &c);
		TEST_STR(classify_name(c.cls), "staff", "trust_from: staff");
		TEST_INT(c.auth, AUTH_TRUST_FROM, "trust_from: auth");
		TEST_OK(c.staff && strcmp(c.staff->email, "alice@example.com") == 0,
		    "trust_from: staff member");
		message_free(msg);
		raw = CUST TOSUP "Subject: x\n\nx\n";
		msg = parse(raw, strlen(raw));
		classify(trusting, &secret, msg, NULL, &c);
		TEST_STR(classify_name(c.cls), "customer", "trust_from: customer stays customer");
		message_free(msg);
		free_config(trusting);
	}
	/* null sender quoting one of our Message-IDs: a bounce in any words */
	{
		char *raw = g_strdup_printf("Return-Path: <>\nFrom: robot@mx.example.net\n" TOSUP
		    "Subject: Zwrot wiadomości\n\nWiadomość nie dotarła.\n\n"
		    "Message-ID: <%s>\nSubject: [TKT-0042] x\n", ourid);
		char *other = g_strdup_printf("From: robot@mx.example.net\n" TOSUP
		    "Subject: Zwrot wiadomości\n\nWiadomość nie dotarła.\n\n"
		    "Message-ID: <%s>\n", ourid);
		struct pd_message *msg = parse(raw, strlen(raw));
		struct pd_classification c;

		classify(cfg, &secret, msg, NULL, &c);
		TEST_STR(classify_name(c.cls), "bounce", "null sender naming our Message-ID: bounce");
		message_free(msg);
		msg = parse(other, strlen(other));
		classify(cfg, &secret, msg, "", &c);
		TEST_STR(classify_name(c.cls), "bounce", "deliver --sender \"\" naming ours: bounce");
		classify(cfg, &secret, msg, "robot@mx.example.net", &c);
		TEST_STR(classify_name(c.cls), "customer", "a real sender quoting ours: customer");
		message_free(msg);
		g_free(raw);
		g_free(other);
	}
	/* no secret: our Message-IDs cannot be recognized, nothing crashes */
	{
		char *raw = g_strdup_printf(CUST TOSUP "Message-ID: <%s>\n\nx\n", ourid);
		struct pd_message *msg = parse(raw, strlen(raw));
		struct pd_classification c;

		classify(cfg, NULL, msg, NULL, &c);
		TEST_STR(classify_name(c.cls), "customer", "no secret: customer");
		message_free(msg);
		g_free(raw);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		g_free(rows[i].raw);
	TEST_STR(classify_name(CLASS_HOPS), "hops", "classify_name hops");
	TEST_STR(classify_name((enum pd_class)99), "unknown", "classify_name out of range");
	g_free(hops);
	g_free(ourid);
	g_free(tokaddr);
	g_free(tokaddr_bob);
	free_config(cfg);
}

/* Every row of the robot table (robots.c), the null sender from each
 * source, authentication failures and subjects that only look like an
 * out-of-office reply. */
static void
test_robots(void)
{
	struct pd_config *cfg = make_config(0);
	struct row {
		const char *name;
		const char *envelope;	/* deliver --sender, or NULL */
		const char *raw;
		enum pd_class cls;
		const char *reason;
		const char *no_answer;
	} rows[] = {
		/* AUTO rows */
		{ "Auto-Submitted: auto-notified", NULL, CUST TOSUP "Auto-Submitted: auto-notified\nSubject: x\n\nx\n",
		  CLASS_AUTO, "Auto-Submitted", NULL },
		{ "Auto-Submitted: no", NULL, CUST TOSUP "Auto-Submitted: no\nSubject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "X-Autoreply-From", NULL, CUST TOSUP "X-Autoreply-From: carol@customer.example\nSubject: x\n\nx\n",
		  CLASS_AUTO, "X-Autoreply-From", NULL },
		{ "X-Autogenerated: Reply", NULL, CUST TOSUP "X-Autogenerated: Reply\nSubject: x\n\nx\n",
		  CLASS_AUTO, "X-Autogenerated", NULL },
		{ "List-Help", NULL, CUST TOSUP "List-Help: <mailto:help@lists.example.org>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "List-Post", NULL, CUST TOSUP "List-Post: <mailto:l@lists.example.org>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "List-Owner", NULL, CUST TOSUP "List-Owner: <mailto:o@lists.example.org>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "List-Archive", NULL, CUST TOSUP "List-Archive: <https://lists.example.org/a>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "list-subscribe lower case", NULL, CUST TOSUP "list-subscribe: <mailto:s@lists.example.org>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "List-Unsubscribe-Post", NULL, CUST TOSUP "List-Unsubscribe-Post: List-Unsubscribe=One-Click\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (List-*)", NULL },
		{ "Mailing-List (ezmlm)", NULL, CUST TOSUP "Mailing-List: contact l-help@lists.example.org\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (Mailing-List)", NULL },
		{ "X-Mailing-List", NULL, CUST TOSUP "X-Mailing-List: <l@lists.example.org>\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (X-Mailing-List)", NULL },
		{ "X-ML-Server (fml)", NULL, CUST TOSUP "X-ML-Server: fml [fml 4.0]\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (X-ML-Server)", NULL },
		{ "X-MLServer", NULL, CUST TOSUP "X-MLServer: fml\nSubject: x\n\nx\n",
		  CLASS_AUTO, "mailing list (X-MLServer)", NULL },
		{ "read receipt (MDN)", NULL, CUST TOSUP "Subject: Read: x\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"b\"\n\n"
		  "--b\nContent-Type: text/plain\n\nYour message was read.\n"
		  "--b\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n"
		  "--b--\n",
		  CLASS_AUTO, "read receipt (disposition notification)", NULL },
		{ "AUTO wins over the null sender", "", CUST TOSUP "Auto-Submitted: auto-replied\nSubject: x\n\nx\n",
		  CLASS_AUTO, "Auto-Submitted", NULL },
		/* NOANSWER rows */
		{ "deliver --sender \"\"", "", CUST TOSUP "Subject: Your invoice\n\nhello\n",
		  CLASS_CUSTOMER, "customer", "null envelope sender" },
		{ "Return-Path: <> (IMAP, maildir)", NULL, "Return-Path: <>\n" CUST TOSUP "Subject: Your invoice\n\nhello\n",
		  CLASS_CUSTOMER, "customer", "null envelope sender" },
		{ "envelope sender beats Return-Path", "carol@customer.example",
		  "Return-Path: <>\n" CUST TOSUP "Subject: x\n\nhello\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "MAILER-DAEMON without a bounce", NULL, "From: MAILER-DAEMON@mx.example.net\n" TOSUP
		  "Subject: Your mailbox is almost full\n\nclean up\n",
		  CLASS_CUSTOMER, "customer", "sender is a mail system (MAILER-DAEMON)" },
		{ "postmaster", NULL, "From: postmaster@shop.example\n" TOSUP "Subject: policy\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a mail system (postmaster)" },
		{ "owner-*", NULL, "From: owner-users@lists.example.org\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a mailing list (owner-*)" },
		{ "Mailman *-owner", NULL, "From: users-owner@lists.example.org\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a mailing list (owner-*)" },
		{ "*-request", NULL, "From: users-request@lists.example.org\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a mailing list (*-request)" },
		{ "majordomo", NULL, "From: Majordomo@lists.example.org\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a list server" },
		{ "noreply@", NULL, "From: Shop <noreply@shop.example>\n" TOSUP "Subject: Your order\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "no-reply@", NULL, "From: no-reply@shop.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "do_not_reply@", NULL, "From: do_not_reply@bank.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "DoNotReply@", NULL, "From: DoNotReply@bank.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "shipment-noreply@", NULL, "From: shipment-noreply@carrier.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "keine-antwort@", NULL, "From: keine-antwort@bahn.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "ne-pas-repondre@", NULL, "From: ne-pas-repondre@impots.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "noreply only in Sender", NULL, CUST "Sender: noreply@forms.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "noreply envelope sender", "bounce-noreply@esp.example", CUST TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		{ "Noreen is a person", NULL, "From: noreen@customer.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "replyall@ is a person", NULL, "From: replyall@customer.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "post@ is not postmaster", NULL, "From: post@customer.example\n" TOSUP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Feedback-ID", NULL, "From: news@shop.example\n" TOSUP "Feedback-ID: 1:2:3:esp\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (Feedback-ID)" },
		{ "X-Mailchimp-*", NULL, "From: news@shop.example\n" TOSUP "X-MailChimp-Campaign-Id: abc\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (X-Mailchimp)" },
		{ "X-MC-User (Mandrill)", NULL, "From: news@shop.example\n" TOSUP "X-MC-User: 123\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (Mandrill)" },
		{ "X-SES-Outgoing", NULL, "From: ship-confirm@shop.example\n" TOSUP "X-SES-Outgoing: 2026.01.01-1.2.3.4\nSubject: Shipped\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (Amazon SES)" },
		{ "X-Campaign", NULL, "From: news@shop.example\n" TOSUP "X-Campaign: spring\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (X-Campaign)" },
		{ "X-CampaignID", NULL, "From: news@shop.example\n" TOSUP "X-CampaignID: 42\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (X-Campaign)" },
		{ "X-Mailin-Campaign (Brevo)", NULL, "From: news@shop.example\n" TOSUP "X-Mailin-Campaign: 42\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (campaign header)" },
		{ "X-SG-EID (SendGrid)", NULL, "From: news@shop.example\n" TOSUP "X-SG-EID: abc\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (SendGrid)" },
		{ "X-SFMC-Stack", NULL, "From: news@shop.example\n" TOSUP "X-SFMC-Stack: 7\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (Salesforce Marketing Cloud)" },
		{ "X-CSA-Complaints", NULL, "From: news@shop.example\n" TOSUP "X-CSA-Complaints: csa-complaints@eco.de\nSubject: Sale\n\nx\n",
		  CLASS_CUSTOMER, "customer", "bulk mail (X-CSA-Complaints)" },
		/* Authentication-Results from our authserv-id */
		{ "DMARC fail p=reject (comment)", NULL, "From: Bank <security@bank.example>\n" TOSUP
		  "Authentication-Results: mx.example.com; dkim=none; spf=softfail smtp.mailfrom=bank.example;\n"
		  " dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example\n" HOP "Subject: verify\n\nx\n",
		  CLASS_CUSTOMER, "customer", "DMARC failed" },
		{ "DMARC fail policy=quarantine (rspamd)", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dmarc=fail reason=\"No valid SPF, No valid DKIM\" "
		  "header.from=bank.example (policy=quarantine)\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "DMARC failed" },
		{ "DMARC fail policy.dmarc=reject (property)", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com 1; dmarc=fail policy.dmarc=reject header.from=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "DMARC failed" },
		{ "DMARC fail action=oreject (Microsoft)", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dmarc=fail action=oreject header.from=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "DMARC failed" },
		{ "DMARC fail p=none is answered", NULL, "From: a@small.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dmarc=fail (p=none dis=none) header.from=small.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "DMARC pass", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dmarc=pass (p=reject) header.from=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "dmarc=fail only inside a quoted reason", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dkim=pass reason=\"dmarc=fail (p=reject); spf=fail\" header.d=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "DMARC fail from another authserv-id", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.evil.example; dmarc=fail (p=reject) header.from=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "SPF fail", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "SPF failed" },
		{ "SPF = fail with spaces", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; spf = fail smtp.mailfrom = bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "SPF failed" },
		{ "SPF softfail is answered", NULL, "From: a@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=bank.example\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "staff From with DMARC fail: customer, not answered", NULL, ALICE TOSUP
		  "Authentication-Results: mx.example.com; dkim=fail header.d=example.com; dmarc=fail (p=reject)\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "staff From without authentication", "DMARC failed" },
		{ "robot sign comes before DMARC", NULL, "From: noreply@bank.example\n" TOSUP
		  "Authentication-Results: mx.example.com; dmarc=fail (p=reject)\n" HOP "Subject: x\n\nx\n",
		  CLASS_CUSTOMER, "customer", "sender is a no-reply address" },
		/* out-of-office subjects: exact forms */
		{ "Vacation rental problem", NULL, CUST TOSUP "Subject: Vacation rental problem\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Re: Vacation rental problem", NULL, CUST TOSUP "Subject: Re: Vacation rental problem\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Absence of invoice", NULL, CUST TOSUP "Subject: Absence of invoice in my account\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Auto insurance question", NULL, CUST TOSUP "Subject: Auto insurance question\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Automatic reply setup help", NULL, CUST TOSUP "Subject: Automatic reply setup does not work\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Out of office hours support?", NULL, CUST TOSUP "Subject: Out of office hours support?\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Away from office printer", NULL, CUST TOSUP "Subject: Away from office printer: cannot print\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Abwesenheit planen (German word, a person)", NULL, CUST TOSUP "Subject: Abwesenheitskalender kaputt\n\nx\n",
		  CLASS_CUSTOMER, "customer", NULL },
		{ "Out of Office", NULL, CUST TOSUP "Subject: Out of Office\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Out of Office AutoReply: x", NULL, CUST TOSUP "Subject: Out of Office AutoReply: [TKT-0042] x\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Out of the office until Monday", NULL, CUST TOSUP "Subject: Out of the office until Monday\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Auto: x (Apple)", NULL, CUST TOSUP "Subject: Auto: [TKT-0042] printer\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "AutoRespons :x", NULL, CUST TOSUP "Subject: AutoRespons :Nyaan?\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Automatische Antwort: x", NULL, CUST TOSUP "Subject: Automatische Antwort: Rechnung\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Réponse automatique : x", NULL, CUST TOSUP "Subject: =?UTF-8?Q?R=C3=A9ponse_automatique_:_facture?=\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "Respuesta automática: x", NULL, CUST TOSUP "Subject: =?UTF-8?Q?Respuesta_autom=C3=A1tica:_factura?=\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "自動応答: x", NULL, CUST TOSUP "Subject: =?UTF-8?B?6Ieq5YuV5b+c562UOiB4?=\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "SV: Autosvar: x", NULL, CUST TOSUP "Subject: SV: Autosvar: faktura\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
		{ "On vacation", NULL, CUST TOSUP "Subject: On vacation\n\nx\n",
		  CLASS_AUTO, "out-of-office subject", NULL },
	};

	cfg->auth.no_answer_dmarc = 1;
	cfg->auth.no_answer_spf = 1;
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct pd_message *msg = parse(rows[i].raw, strlen(rows[i].raw));
		struct pd_classification c;

		TEST_OK(msg != NULL, "robots: %s: parses", rows[i].name);
		if (msg == NULL)
			continue;
		classify(cfg, &secret, msg, rows[i].envelope, &c);
		TEST_STR(classify_name(c.cls), classify_name(rows[i].cls), "robots: %s: class",
		    rows[i].name);
		TEST_STR(c.reason, rows[i].reason, "robots: %s: reason", rows[i].name);
		TEST_STR(c.no_answer, rows[i].no_answer, "robots: %s: not answered because",
		    rows[i].name);
		message_free(msg);
	}
	/* auth.no_answer_on_fail = [] turns the authentication rows off */
	{
		const char *raw = "From: a@bank.example\n" TOSUP
		    "Authentication-Results: mx.example.com; spf=fail; dmarc=fail (p=reject)\n" HOP "Subject: x\n\nx\n";
		struct pd_message *msg = parse(raw, strlen(raw));
		struct pd_classification c;

		cfg->auth.no_answer_dmarc = 0;
		cfg->auth.no_answer_spf = 0;
		classify(cfg, &secret, msg, NULL, &c);
		TEST_STR(c.no_answer, NULL, "robots: no_answer_on_fail = []: answered");
		cfg->auth.no_answer_spf = 1;
		classify(cfg, &secret, msg, NULL, &c);
		TEST_STR(c.no_answer, "SPF failed", "robots: no_answer_on_fail = [\"spf\"]");
		message_free(msg);
	}
	/* the spam filter's verdict, in SPEC 3 order */
	{
		const char *raw = CUST TOSUP "Subject: x\n\nx\n";
		struct pd_message *msg = parse(raw, strlen(raw));
		struct pd_classification c;

		classify(cfg, &secret, msg, NULL, &c);
		classify_apply_filter(&c, FILTER_REJECT, "rspamd: reject");
		TEST_STR(classify_name(c.cls), "spam", "filter reject: spam");
		TEST_STR(c.reason, "rspamd: reject", "filter reject: reason");
		classify(cfg, &secret, msg, NULL, &c);
		classify_apply_filter(&c, FILTER_SUSPECT, "rspamd: add header");
		TEST_STR(classify_name(c.cls), "customer", "filter add header: customer");
		TEST_STR(c.no_answer, "rspamd: add header", "filter add header: not answered");
		message_free(msg);
		raw = CUST TOSUP "Precedence: bulk\nSubject: x\n\nx\n";
		msg = parse(raw, strlen(raw));
		classify(cfg, &secret, msg, NULL, &c);
		classify_apply_filter(&c, FILTER_REJECT, "rspamd: reject");
		TEST_STR(classify_name(c.cls), "auto", "filter reject after auto: stays auto");
		message_free(msg);
	}
	free_config(cfg);
}

static struct pd_message *
parse_file(const char *path)
{
	gchar *raw = NULL;
	gsize len = 0;
	struct pd_message *msg;

	if (!g_file_get_contents(path, &raw, &len, NULL))
		return NULL;
	msg = parse(raw, len);
	g_free(raw);
	return msg;
}

/* Every corpus autoreply is auto, the ordinary mail is customer, and
 * every fifth bounce is a bounce. */
static void
test_corpus(void)
{
	char *dir = test_src("../shared/corpus");
	char *sub;
	struct pd_config *cfg = make_config(0);
	GDir *d;
	const char *name;
	int n = 0;

	sub = g_build_filename(dir, "autoreplies", NULL);
	if ((d = g_dir_open(sub, 0, NULL)) == NULL) {
		printf("# skip: no corpus at %s\n", dir);
		g_free(sub);
		goto out;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path;
		struct pd_message *msg;
		struct pd_classification c;
		const char *want;

		if (!g_str_has_suffix(name, ".eml"))
			continue;
		want = g_str_has_prefix(name, "rfc3834-") ? "auto" :
		    g_str_has_prefix(name, "is-not-bounce-") ? "customer" : NULL;
		if (want == NULL)
			continue;
		path = g_build_filename(sub, name, NULL);
		msg = parse_file(path);
		TEST_OK(msg != NULL, "%s parses", name);
		if (msg) {
			classify(cfg, &secret, msg, NULL, &c);
			TEST_STR(classify_name(c.cls), want, "%s is %s (%s)", name, want,
			    c.reason ? c.reason : "");
			message_free(msg);
		}
		g_free(path);
	}
	g_dir_close(d);
	g_free(sub);

	sub = g_build_filename(dir, "bounces", NULL);
	if ((d = g_dir_open(sub, 0, NULL)) != NULL) {
		GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

		while ((name = g_dir_read_name(d)) != NULL)
			if (g_str_has_suffix(name, ".eml") && strcmp(name, "arf-26.eml") != 0 &&
			    strcmp(name, "lhost-fml-02.eml") != 0)
				g_ptr_array_add(names, g_strdup(name));
		g_dir_close(d);
		g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
		for (guint i = 0; i < names->len; i += 5) {
			char *path = g_build_filename(sub, names->pdata[i], NULL);
			struct pd_message *msg = parse_file(path);
			struct pd_classification c;

			if (msg) {
				classify(cfg, &secret, msg, NULL, &c);
				TEST_STR(classify_name(c.cls), "bounce", "%s is a bounce",
				    (char *)names->pdata[i]);
				message_free(msg);
				n++;
			}
			g_free(path);
		}
		g_ptr_array_free(names, TRUE);
		printf("# %d corpus bounces classified\n", n);
		/* Two files of the bounce set are automatic mail, not bounces:
		 * Apple's unsubscribe request and a list server's answer. */
		for (int k = 0; k < 2; k++) {
			const char *f = k ? "lhost-fml-02.eml" : "arf-26.eml";
			char *path = g_build_filename(sub, f, NULL);
			struct pd_message *msg = parse_file(path);
			struct pd_classification c;

			if (msg) {
				classify(cfg, &secret, msg, NULL, &c);
				TEST_STR(classify_name(c.cls), "auto", "%s is automatic mail", f);
				message_free(msg);
			}
			g_free(path);
		}
	}
	g_free(sub);
out:
	free_config(cfg);
	g_free(dir);
}

int
main(void)
{
	message_init();
	test_table();
	test_robots();
	test_corpus();
	return test_done();
}

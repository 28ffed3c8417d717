/* test_store.c: store.h against a real SQLite file in a temporary
 * folder.  Each concern is a small table of rows or a short sequence
 * with exact expected values; nothing here speaks SQL itself, so what
 * the schema holds is checked through the store's own functions and
 * the files it leaves (the -wal file, the spool). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "src/store.h"
#include "src/util.h"

static char *tmpdir;
static char *dbpath;

static void
must(int rc, char *err, const char *what)
{
	if (rc < 0) {
		printf("Bail out! %s: %s\n", what, err ? err : "(no error)");
		exit(99);
	}
}

/* Number of migration files (sql/NNN_name.sql) in the source tree. */
static int
count_migrations(void)
{
	char *dir = test_src("sql");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	while (d && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".sql"))
			n++;
	if (d)
		g_dir_close(d);
	g_free(dir);
	return n;
}

static gint64
new_ticket(struct pd_store *st, const char *email, const char *subject,
    const char *status, const char *queue, const char *assignee, gint64 now)
{
	struct pd_ticket t = { 0 };
	char *err = NULL;
	gint64 id = 0;

	must(store_customer_get_or_add(st, email, NULL, now, &t.customer_id, &err), err,
	    "customer");
	must(store_next_ref(st, "TKT", &t.ref, &err), err, "next_ref");
	t.subject = (char *)subject;
	t.status = (char *)status;
	t.priority = "normal";
	t.queue = (char *)queue;
	t.assignee = (char *)assignee;
	t.created_at = now;
	must(store_ticket_create(st, &t, &id, &err), err, "ticket_create");
	g_free(t.ref);
	return id;
}

static gint64
add_msg(struct pd_store *st, gint64 tid, const char *kind, const char *msgid,
    const char *from, const char *subject, const char *body)
{
	struct pd_stored_message m = { 0 };
	char *err = NULL;
	gint64 id = 0;

	m.ticket_id = tid;
	m.kind = (char *)kind;
	m.message_id = (char *)msgid;
	m.from_addr = (char *)from;
	m.date = 1000;
	m.subject = (char *)subject;
	m.body = (char *)body;
	m.class = "customer";
	must(store_message_add(st, &m, &id, &err), err, "message_add");
	return id;
}

/* "a,b,c" of a GPtrArray of strings. */
static char *
joined(GPtrArray *a)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)a->pdata[i]);
	return g_string_free(s, FALSE);
}

static void
test_open(void)
{
	struct pd_store *st = NULL;
	char *err = NULL, *wal, *ref = NULL;
	int rc;

	rc = store_open(dbpath, NULL, &st, &err);
	TEST_INT(rc, 0, "open creates %s", err ? err : "the database");
	TEST_OK(g_file_test(dbpath, G_FILE_TEST_IS_REGULAR), "database file exists");
	TEST_INT(store_version(st), count_migrations(),
	    "store_version is the number of sql/*.sql files");
	TEST_OK(count_migrations() >= 1, "at least one migration found");
	TEST_INT(store_error_transient(st), 0, "fresh store: no transient error");
	/* A write leaves the -wal file beside the database in WAL mode. */
	must(store_next_ref(st, "OPEN", &ref, &err), err, "next_ref");
	TEST_STR(ref, "OPEN-0001", "first ref of a prefix");
	g_free(ref);
	wal = g_strconcat(dbpath, "-wal", NULL);
	TEST_OK(g_file_test(wal, G_FILE_TEST_EXISTS), "WAL mode: %s-wal exists", "db");
	g_free(wal);
	store_close(st);

	/* Reopening keeps the data and does not migrate again. */
	st = NULL;
	TEST_INT(store_open(dbpath, NULL, &st, &err), 0, "reopen");
	TEST_INT(store_version(st), count_migrations(), "version unchanged on reopen");
	must(store_next_ref(st, "OPEN", &ref, &err), err, "next_ref");
	TEST_STR(ref, "OPEN-0002", "ref counter survived the reopen");
	g_free(ref);
	store_close(st);

	/* A path that cannot be a database. */
	{
		char *bad = g_build_filename(tmpdir, "no-such-dir", "x", "pd.db", NULL);
		st = NULL;
		err = NULL;
		TEST_INT(store_open(bad, NULL, &st, &err), -1, "open in a missing folder fails");
		TEST_OK(err != NULL && strstr(err, bad) != NULL, "error names the path: %s",
		    err ? err : "(null)");
		TEST_OK(st == NULL, "no store returned");
		g_free(err);
		g_free(bad);
	}
}

static void
test_refs(struct pd_store *st)
{
	static const struct { const char *prefix; int calls; const char *want; } rows[] = {
		{ "TKX", 1, "TKX-0001" },
		{ "TKX", 1, "TKX-0002" },
		{ "HD2", 1, "HD2-0001" },	/* prefixes count apart */
		{ "TKX", 7, "TKX-0009" },
		{ "BIG", 9999, "BIG-9999" },
		{ "BIG", 1, "BIG-10000" },	/* grows to 5 digits */
		{ "BIG", 1, "BIG-10001" },
	};
	char *err = NULL;

	must(store_begin(st, &err), err, "begin");
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *ref = NULL;
		for (int n = 0; n < rows[i].calls; n++) {
			g_free(ref);
			ref = NULL;
			must(store_next_ref(st, rows[i].prefix, &ref, &err), err, "next_ref");
		}
		TEST_STR(ref, rows[i].want, "next_ref %s x%d", rows[i].prefix, rows[i].calls);
		g_free(ref);
	}
	must(store_commit(st, &err), err, "commit");
}

static void
test_seen(struct pd_store *st)
{
	static const struct { const char *msgid, *sha; int add, want; } rows[] = {
		{ "a@example.net", "sha1", 0, 0 },
		{ "a@example.net", "sha1", 1, 1 },
		{ "a@example.net", "sha2", 0, 0 },	/* same id, other bytes */
		{ "b@example.net", "sha1", 0, 0 },	/* same bytes, other id */
		{ NULL, "sha3", 0, 0 },			/* no Message-ID */
		{ NULL, "sha3", 1, 1 },
		{ "", "sha3", 0, 1 },			/* none is stored as "" */
	};
	static const struct { const char *mb; guint32 uv, uid; int add, want; } imap[] = {
		{ "support", 7, 1, 0, 0 },
		{ "support", 7, 1, 1, 1 },
		{ "support", 8, 1, 0, 0 },		/* new UIDVALIDITY */
		{ "support", 7, 2, 0, 0 },
		{ "sales", 7, 1, 0, 0 },
	};
	char *err = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		int seen = -1;
		if (rows[i].add)
			must(store_seen_add(st, rows[i].msgid, rows[i].sha, 100, "new", &err), err,
			    "seen_add");
		TEST_INT(store_seen_check(st, rows[i].msgid, rows[i].sha, &seen, &err), 0,
		    "seen_check %zu rc", i);
		TEST_INT(seen, rows[i].want, "seen %s/%s", rows[i].msgid ? rows[i].msgid :
		    "(none)", rows[i].sha);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(imap); i++) {
		int seen = -1;
		if (imap[i].add)
			must(store_imap_seen_add(st, imap[i].mb, imap[i].uv, imap[i].uid, 100,
			    &err), err, "imap_seen_add");
		TEST_INT(store_imap_seen_check(st, imap[i].mb, imap[i].uv, imap[i].uid, &seen,
		    &err), 0, "imap_seen_check %zu rc", i);
		TEST_INT(seen, imap[i].want, "imap seen %s/%u/%u", imap[i].mb, imap[i].uv,
		    imap[i].uid);
	}
}

static void
test_customers(struct pd_store *st)
{
	gint64 a = 0, b = 0, c = 0;
	char *err = NULL;

	TEST_INT(store_customer_get_or_add(st, "cust@example.net", "Carol", 10, &a, &err), 0,
	    "customer add");
	TEST_INT(store_customer_get_or_add(st, "cust@example.net", "Other", 20, &b, &err), 0,
	    "customer get");
	TEST_INT(b, a, "same address, same id");
	TEST_OK(a > 0, "id positive");
	TEST_INT(store_customer_get_or_add(st, "dave@example.net", NULL, 20, &c, &err), 0,
	    "second customer");
	TEST_OK(c != a && c > 0, "another address, another id");
	TEST_INT(store_customer_mark_bouncing(st, "cust@example.net", "5.1.1", &err), 0,
	    "mark bouncing");
}

static void
test_tickets(struct pd_store *st)
{
	struct pd_ticket t = { 0 }, *g = NULL;
	gint64 id = 0, other;
	char *err = NULL;
	int rc;

	must(store_customer_get_or_add(st, "erin@example.net", "Erin", 50, &t.customer_id,
	    &err), err, "customer");
	t.ref = "TKT-0042";
	t.subject = "Printer on fire";
	t.status = "open";
	t.priority = "high";
	t.queue = "Support";
	t.assignee = "bob@example.com";
	t.created_at = 1000;
	t.first_response_due = 2000;
	t.resolution_due = 3000;
	TEST_INT(store_ticket_create(st, &t, &id, &err), 0, "ticket create");
	TEST_OK(id > 0, "ticket id");
	other = new_ticket(st, "frank@example.net", "Other", "open", "Support", NULL, 1000);

	rc = store_ticket_get(st, id, &g, &err);
	TEST_INT(rc, 1, "get by id found");
	if (rc == 1) {
		TEST_INT(g->id, id, "id");
		TEST_STR(g->ref, "TKT-0042", "ref");
		TEST_STR(g->subject, "Printer on fire", "subject");
		TEST_STR(g->status, "open", "status");
		TEST_STR(g->priority, "high", "priority");
		TEST_STR(g->queue, "Support", "queue");
		TEST_STR(g->assignee, "bob@example.com", "assignee");
		TEST_STR(g->customer_email, "erin@example.net", "customer email");
		TEST_STR(g->customer_name, "Erin", "customer name");
		TEST_INT(g->created_at, 1000, "created_at");
		TEST_INT(g->updated_at, 1000, "updated_at = created_at");
		TEST_INT(g->first_response_at, 0, "no first response");
		TEST_INT(g->merged_into, 0, "not merged");
		TEST_INT(g->follows, 0, "follows nothing");
		TEST_INT(g->first_response_due, 2000, "first_response_due");
		TEST_INT(g->resolution_due, 3000, "resolution_due");
		TEST_INT(g->labels->len, 0, "no labels");
	}
	store_ticket_free(g);
	g = NULL;
	TEST_INT(store_ticket_get(st, 999999, &g, &err), 0, "unknown id: 0");
	TEST_OK(g == NULL, "unknown id: nothing returned");

	{
		static const struct { const char *ref; int want; } rows[] = {
			{ "TKT-0042", 1 }, { "tkt-0042", 1 }, { "Tkt-0042", 1 },
			{ "TKT-42", 0 }, { "TKT-0043", 0 }, { "", 0 },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			g = NULL;
			rc = store_ticket_get_by_ref(st, rows[i].ref, &g, &err);
			TEST_INT(rc, rows[i].want, "get_by_ref '%s'", rows[i].ref);
			if (rc == 1)
				TEST_INT(g->id, id, "get_by_ref '%s' id", rows[i].ref);
			store_ticket_free(g);
		}
	}

	/* Every column of the whitelist, read back. */
	{
		char *oid = g_strdup_printf("%" G_GINT64_FORMAT, other);
		const struct { const char *col, *val; } sets[] = {
			{ "status", "waiting" }, { "priority", "urgent" }, { "queue", "Billing" },
			{ "assignee", "alice@example.com" }, { "subject", "Renamed" },
			{ "first_response_at", "1100" }, { "resolved_at", "1200" },
			{ "closed_at", "1300" }, { "merged_into", oid },
			{ "first_response_due", "1400" }, { "resolution_due", "1500" },
			{ "sla_warned", "1" }, { "sla_breached", "1" }, { "csat_rating", "5" },
			{ "csat_comment", "great" },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
			err = NULL;
			rc = store_ticket_set(st, id, sets[i].col, sets[i].val, 5000 + (gint64)i,
			    &err);
			TEST_INT(rc, 0, "set %s = %s %s", sets[i].col, sets[i].val, err ? err : "");
			g_free(err);
		}
		g = NULL;
		must(store_ticket_get(st, id, &g, &err), err, "get");
		TEST_STR(g->status, "waiting", "status set");
		TEST_STR(g->priority, "urgent", "priority set");
		TEST_STR(g->queue, "Billing", "queue set");
		TEST_STR(g->assignee, "alice@example.com", "assignee set");
		TEST_STR(g->subject, "Renamed", "subject set");
		TEST_INT(g->first_response_at, 1100, "first_response_at set");
		TEST_INT(g->resolved_at, 1200, "resolved_at set");
		TEST_INT(g->closed_at, 1300, "closed_at set");
		TEST_INT(g->merged_into, other, "merged_into set");
		TEST_STR(g->merged_into_ref, "TKT-0001", "merged_into_ref");
		TEST_INT(g->first_response_due, 1400, "first_response_due set");
		TEST_INT(g->resolution_due, 1500, "resolution_due set");
		TEST_INT(g->updated_at, 5000 + (gint64)G_N_ELEMENTS(sets) - 1,
		    "updated_at is the last set's now");
		store_ticket_free(g);
		g_free(oid);
	}
	/* NULL value and set_int 0 clear; set_int writes. */
	TEST_INT(store_ticket_set(st, id, "assignee", NULL, 6000, &err), 0, "assignee NULL");
	TEST_INT(store_ticket_set_int(st, id, "merged_into", 0, 6001, &err), 0,
	    "merged_into 0");
	TEST_INT(store_ticket_set_int(st, id, "resolved_at", 7777, 6002, &err), 0,
	    "set_int resolved_at");
	g = NULL;
	must(store_ticket_get(st, id, &g, &err), err, "get");
	TEST_STR(g->assignee, NULL, "assignee cleared");
	TEST_INT(g->merged_into, 0, "merged_into cleared");
	TEST_STR(g->merged_into_ref, NULL, "merged_into_ref cleared");
	TEST_INT(g->resolved_at, 7777, "resolved_at via set_int");
	TEST_INT(g->updated_at, 6002, "updated_at via set_int");
	store_ticket_free(g);

	/* Unknown columns are refused by name, never put into SQL. */
	{
		static const struct { const char *col; const char *want; } bad[] = {
			{ "ref", "unknown ticket field 'ref'" },
			{ "id", "unknown ticket field 'id'" },
			{ "customer_id", "unknown ticket field 'customer_id'" },
			{ "status = 'closed' --", "unknown ticket field 'status = 'closed' --'" },
			{ "", "unknown ticket field ''" },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
			err = NULL;
			TEST_INT(store_ticket_set(st, id, bad[i].col, "x", 1, &err), -1,
			    "set '%s' refused", bad[i].col);
			TEST_STR(err, bad[i].want, "set '%s' error", bad[i].col);
			g_free(err);
			err = NULL;
			TEST_INT(store_ticket_set_int(st, id, bad[i].col, 1, 1, &err), -1,
			    "set_int '%s' refused", bad[i].col);
			TEST_STR(err, bad[i].want, "set_int '%s' error", bad[i].col);
			g_free(err);
		}
	}
	/* A value the schema refuses: an error, not transient. */
	err = NULL;
	TEST_INT(store_ticket_set(st, id, "status", "bogus", 1, &err), -1,
	    "status 'bogus' refused by the schema");
	TEST_OK(err != NULL && strncmp(err, "database: ", 10) == 0, "schema error text: %s",
	    err ? err : "(null)");
	TEST_INT(store_error_transient(st), 0, "constraint error is not transient");
	g_free(err);
	err = NULL;
	g = NULL;
	must(store_ticket_get(st, id, &g, &err), err, "get");
	TEST_STR(g->status, "waiting", "status unchanged after refused set");
	store_ticket_free(g);
}

/* The visible text comes back as stored whether it is the body's start
 * (kept as a length, sql/013), other text, empty, or the body itself. */
static void
test_visible(struct pd_store *st)
{
	static const struct {
		const char *body, *visible, *want;
	} rows[] = {
		{ "Thanks!\n\n> quoted", "Thanks!", "Thanks!" },
		{ "Gr\xc3\xbc\xc3\x9f\x65 \xe2\x80\x94 ok\n> q", "Gr\xc3\xbc\xc3\x9f\x65 \xe2\x80\x94",
		    "Gr\xc3\xbc\xc3\x9f\x65 \xe2\x80\x94" },
		{ "> quoted\nnew text below", "new text below", "new text below" },
		{ "> only a quote", "", "" },
		{ "whole", "whole", "whole" },
		{ "none given", NULL, "none given" },
	};
	gint64 tid = new_ticket(st, "vera@example.net", "Visible", "open", "Support", NULL, 2000);
	GPtrArray *msgs = NULL;
	char *err = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct pd_stored_message m = { 0 };
		char *body = NULL, *vis = NULL;
		gint64 id = 0, got = 0;

		m.ticket_id = tid;
		m.kind = "customer";
		m.date = 1000;
		m.body = (char *)rows[i].body;
		m.visible_text = (char *)rows[i].visible;
		must(store_message_add(st, &m, &id, &err), err, "message_add");
		TEST_INT(store_message_texts(st, 0, id, &got, &body, &vis, &err), 1,
		    "message_texts %zu", i);
		TEST_STR(body, rows[i].body, "message_texts %zu: body", i);
		TEST_STR(vis, rows[i].want, "message_texts %zu: visible", i);
		g_free(body);
		g_free(vis);
	}
	{
		/* long enough to be kept deflated */
		GString *b = g_string_new("Thanks, that did it.\n\n");
		struct pd_stored_message m = { 0 };
		char *body = NULL, *vis = NULL;
		gint64 id = 0, got = 0;

		for (int i = 0; i < 40; i++)
			g_string_append(b, "> a quoted line of the mail before, quoted\n");
		m.ticket_id = tid;
		m.kind = "customer";
		m.date = 1000;
		m.body = b->str;
		m.visible_text = "Thanks, that did it.";
		must(store_message_add(st, &m, &id, &err), err, "message_add long");
		TEST_INT(store_message_texts(st, tid, 0, &got, &body, &vis, &err), 1,
		    "message_texts long");
		TEST_INT(got, id, "message_texts long: the newest");
		TEST_STR(body, b->str, "message_texts long: body");
		TEST_STR(vis, "Thanks, that did it.", "message_texts long: visible");
		must(store_messages(st, tid, 1, &msgs, &err), err, "messages");
		TEST_INT((int)msgs->len, (int)G_N_ELEMENTS(rows) + 1, "messages: all of them");
		if (msgs->len == G_N_ELEMENTS(rows) + 1) {
			const struct pd_stored_message *l = msgs->pdata[msgs->len - 1];

			TEST_STR(l->body, b->str, "messages long: body");
			TEST_STR(l->visible_text, "Thanks, that did it.", "messages long: visible");
		}
		g_free(body);
		g_free(vis);
		g_string_free(b, TRUE);
	}
	for (guint i = 0; i < msgs->len && i < G_N_ELEMENTS(rows); i++) {
		const struct pd_stored_message *m = msgs->pdata[i];

		TEST_STR(m->body, rows[i].body, "messages %u: body", i);
		TEST_STR(m->visible_text, rows[i].want, "messages %u: visible", i);
	}
	g_ptr_array_unref(msgs);
}

static void
test_message_ids(struct pd_store *st)
{
	gint64 t1 = new_ticket(st, "gina@example.net", "Ids", "open", "Support", NULL, 2000);
	gint64 t2 = new_ticket(st, "hank@example.net", "Ids 2", "open", "Support", NULL, 2000);
	GPtrArray *rcpts = g_ptr_array_new();
	char *err = NULL;
	gint64 ob = 0, got_ob = 0, got_t = 0;

	add_msg(st, t1, "customer", "cust-1@example.net", "gina@example.net", "Ids", "x");
	g_ptr_array_add(rcpts, "hank@example.net");
	must(store_outbox_add(st, t2, "ticket_created", "TKT-0005.abc.def@example.com",
	    "support@example.com", rcpts, "raw", 3, 1, 2000, &ob, &err), err, "outbox_add");
	g_ptr_array_unref(rcpts);
	{
		const struct { const char *id; int want; gint64 tid; } rows[] = {
			{ "cust-1@example.net", 1, t1 },
			{ "TKT-0005.abc.def@example.com", 1, t2 },
			{ "nobody@example.net", 0, 0 },
			{ "CUST-1@example.net", 0, 0 },	/* ids are exact */
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			gint64 tid = 0;
			TEST_INT(store_ticket_by_message_id(st, rows[i].id, &tid, &err),
			    rows[i].want, "ticket_by_message_id %s", rows[i].id);
			TEST_INT(tid, rows[i].tid, "ticket of %s", rows[i].id);
		}
	}
	TEST_INT(store_outbox_by_message_id(st, "TKT-0005.abc.def@example.com", &got_ob,
	    &got_t, &err), 1, "outbox_by_message_id found");
	TEST_INT(got_ob, ob, "outbox id");
	TEST_INT(got_t, t2, "outbox ticket");
	TEST_INT(store_outbox_by_message_id(st, "cust-1@example.net", &got_ob, &got_t, &err),
	    0, "customer message is not in the outbox");
}

/* store_ticket_list on tickets made for it alone (a fresh store). */
static void
test_list(void)
{
	char *path = g_build_filename(tmpdir, "list.db", NULL);
	struct pd_store *st = NULL;
	char *err = NULL;
	gint64 t1, t2, t3;

	must(store_open(path, NULL, &st, &err), err, "open list.db");
	t1 = new_ticket(st, "ann@example.net", "Printer broken", "open", "Support",
	    "bob@example.com", 100);
	t2 = new_ticket(st, "ben@example.net", "Invoice wrong", "waiting", "Billing", NULL, 200);
	t3 = new_ticket(st, "cid@example.net", "Strange chars", "open", "Billing",
	    "alice@example.com", 300);
	add_msg(st, t1, "customer", "l1@example.net", "ann@example.net", "Printer broken",
	    "The printer is near the window");
	add_msg(st, t2, "customer", "l2@example.net", "ben@example.net", "Invoice wrong",
	    "Invoice AND receipt are wrong");
	add_msg(st, t3, "customer", "l3@example.net", "cid@example.net", "Strange chars",
	    "say \"hello\" to foo*bar");
	{
		static const struct {
			const char *status, *queue, *assignee, *search;
			int limit, offset;
			const char *want;	/* refs, newest update first */
		} rows[] = {
			{ NULL, NULL, NULL, NULL, 0, 0, "TKT-0003,TKT-0002,TKT-0001" },
			{ "open", NULL, NULL, NULL, 0, 0, "TKT-0003,TKT-0001" },
			{ "waiting", NULL, NULL, NULL, 0, 0, "TKT-0002" },
			{ "closed", NULL, NULL, NULL, 0, 0, "" },
			{ NULL, "Billing", NULL, NULL, 0, 0, "TKT-0003,TKT-0002" },
			{ NULL, "billing", NULL, NULL, 0, 0, "TKT-0003,TKT-0002" },
			{ "open", "Billing", NULL, NULL, 0, 0, "TKT-0003" },
			{ NULL, NULL, "bob@example.com", NULL, 0, 0, "TKT-0001" },
			{ NULL, NULL, "ALICE@example.com", NULL, 0, 0, "TKT-0003" },
			{ NULL, NULL, NULL, "printer", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "PRINTER window", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "printer invoice", 0, 0, "" },
			{ NULL, NULL, NULL, "ann@example.net", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "invoice", 0, 0, "TKT-0002" },
			{ NULL, NULL, NULL, "\"hello\"", 0, 0, "TKT-0003" },
			{ NULL, NULL, NULL, "\"hello", 0, 0, "TKT-0003" },
			{ NULL, NULL, NULL, "foo*", 0, 0, "TKT-0003" },
			{ NULL, NULL, NULL, "AND", 0, 0, "TKT-0002" },
			{ NULL, NULL, NULL, "printer AND invoice", 0, 0, "" },
			{ NULL, NULL, NULL, "printer OR invoice", 0, 0, "" },
			{ NULL, NULL, NULL, "NEAR(", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "NEAR(printer window)", 0, 0, "" },	/* "near printer" */
			{ NULL, NULL, NULL, "-window", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "subject:printer", 0, 0, "" },
			{ NULL, NULL, NULL, "^printer", 0, 0, "TKT-0001" },
			{ NULL, NULL, NULL, "nothing-like-this", 0, 0, "" },
			{ NULL, NULL, NULL, "*", 0, 0, "" },
			{ NULL, NULL, NULL, "\"", 0, 0, "" },
			{ NULL, NULL, NULL, "AND OR NOT", 0, 0, "" },
			{ NULL, NULL, NULL, "printer\"window", 0, 0, "" },
			{ "waiting", NULL, NULL, "printer", 0, 0, "" },
			{ NULL, NULL, NULL, NULL, 2, 0, "TKT-0003,TKT-0002" },
			{ NULL, NULL, NULL, NULL, 2, 2, "TKT-0001" },
			{ NULL, NULL, NULL, NULL, 0, 1, "TKT-0002,TKT-0001" },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			struct pd_ticket_filter f = { rows[i].status, rows[i].queue,
			    rows[i].assignee, rows[i].search, rows[i].limit, rows[i].offset, 0, NULL,
			    NULL };
			GPtrArray *list = NULL, *refs = g_ptr_array_new();
			char *got;
			int rc;

			err = NULL;
			rc = store_ticket_list(st, &f, &list, &err);
			TEST_INT(rc, 0, "list %zu (search %s) %s", i,
			    rows[i].search ? rows[i].search : "-", err ? err : "");
			g_free(err);
			for (guint j = 0; rc == 0 && j < list->len; j++)
				g_ptr_array_add(refs, ((struct pd_ticket *)list->pdata[j])->ref);
			got = joined(refs);
			TEST_STR(got, rows[i].want, "list %zu: status=%s queue=%s assignee=%s "
			    "search=%s limit=%d offset=%d", i,
			    rows[i].status ? rows[i].status : "-",
			    rows[i].queue ? rows[i].queue : "-",
			    rows[i].assignee ? rows[i].assignee : "-",
			    rows[i].search ? rows[i].search : "-", rows[i].limit, rows[i].offset);
			g_free(got);
			g_ptr_array_unref(refs);
			if (list)
				g_ptr_array_unref(list);
		}
	}
	/* The tabs' counts follow every change of status (sql/009 triggers). */
	{
		static const struct {
			int ticket;	/* 1..3, 0: none */
			const char *status;
			const char *want;
		} steps[] = {
			{ 0, NULL, "tickets_open=2,tickets_waiting=1" },
			{ 2, "closed", "tickets_closed=1,tickets_open=2" },
			{ 1, "closed", "tickets_closed=2,tickets_open=1" },
			{ 1, "closed", "tickets_closed=2,tickets_open=1" },
			{ 3, "in_progress", "tickets_closed=2,tickets_in_progress=1" },
		};
		gint64 ids[] = { 0, t1, t2, t3 };

		for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
			GPtrArray *pairs = NULL, *kv = g_ptr_array_new_with_free_func(g_free);
			char *got;

			if (steps[i].ticket)
				must(store_ticket_set(st, ids[steps[i].ticket], "status",
				    steps[i].status, 400 + (gint64)i, &err), err, "set status");
			must(store_ticket_counts(st, &pairs, &err), err, "ticket counts");
			for (guint j = 0; j + 1 < pairs->len; j += 2)
				g_ptr_array_add(kv, g_strdup_printf("%s=%s", (char *)pairs->pdata[j],
				    (char *)pairs->pdata[j + 1]));
			got = joined(kv);
			TEST_STR(got, steps[i].want, "ticket counts after step %zu", i);
			g_free(got);
			g_ptr_array_unref(kv);
			g_ptr_array_unref(pairs);
		}
	}
	store_close(st);
	g_free(path);
}

/* The refs store_ticket_list gives for f, "a,b,c". */
static char *
filter_refs(struct pd_store *st, const struct pd_ticket_filter *f)
{
	GPtrArray *list = NULL, *refs = g_ptr_array_new();
	char *err = NULL, *got;

	must(store_ticket_list(st, f, &list, &err), err, "list");
	for (guint j = 0; j < list->len; j++)
		g_ptr_array_add(refs, ((struct pd_ticket *)list->pdata[j])->ref);
	got = joined(refs);
	g_ptr_array_unref(refs);
	g_ptr_array_unref(list);
	return got;
}

/* ... for a search of the newest max matching messages. */
static char *
search_refs(struct pd_store *st, const char *search, int max)
{
	struct pd_ticket_filter f = { NULL, NULL, NULL, search, 0, 0, max, NULL, NULL };

	return filter_refs(st, &f);
}

/* The staff list's figures (issue 12): a search capped to its newest
 * matches and the count that says so, the "mine" count, the page's
 * unread marks in one query. */
static void
test_staff_page(void)
{
	char *path = g_build_filename(tmpdir, "staff.db", NULL);
	struct pd_store *st = NULL;
	char *err = NULL, *got;
	gint64 t1, t2, t3, t4;
	int n;

	must(store_open(path, NULL, &st, &err), err, "open staff.db");
	t1 = new_ticket(st, "ann@example.net", "One", "open", "Support", "alice@example.com", 100);
	t2 = new_ticket(st, "ben@example.net", "Two", "waiting", "Support", "ALICE@Example.COM", 200);
	t3 = new_ticket(st, "cid@example.net", "Three", "closed", "Support", "alice@example.com", 300);
	t4 = new_ticket(st, "dan@example.net", "Four", "open", "Support", "bob@example.com", 400);
	/* quokka in messages 1..4 (oldest first) of t3, t1, t2, t1 */
	add_msg(st, t3, "customer", "s1@example.net", "cid@example.net", "Three", "a quokka");
	add_msg(st, t1, "customer", "s2@example.net", "ann@example.net", "One", "quokka again");
	add_msg(st, t2, "customer", "s3@example.net", "ben@example.net", "Two", "the quokka");
	add_msg(st, t1, "customer", "s4@example.net", "ann@example.net", "One", "quokka!");
	{
		static const struct {
			int max;
			const char *want;
		} rows[] = {
			{ 0, "TKT-0003,TKT-0002,TKT-0001" }, { 1, "TKT-0001" },
			{ 2, "TKT-0002,TKT-0001" }, { 3, "TKT-0002,TKT-0001" },
			{ 4, "TKT-0003,TKT-0002,TKT-0001" }, { 9, "TKT-0003,TKT-0002,TKT-0001" },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			got = search_refs(st, "quokka", rows[i].max);
			TEST_STR(got, rows[i].want, "search of the newest %d matches", rows[i].max);
			g_free(got);
		}
		got = search_refs(st, " \t ", 0);
		TEST_STR(got, "TKT-0004,TKT-0003,TKT-0002,TKT-0001", "a search of blanks lists all");
		g_free(got);
	}
	{
		static const struct {
			const char *search;
			int max, want;
		} rows[] = {
			{ "quokka", 10, 4 }, { "quokka", 4, 4 }, { "quokka", 3, 4 },
			{ "quokka", 2, 3 }, { "QUOKKA again", 10, 1 }, { "wombat", 10, 0 },
			{ "  ", 10, 0 }, { "\"", 10, 0 },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			n = -1;
			must(store_search_count(st, rows[i].search, rows[i].max, &n, &err), err,
			    "search count");
			TEST_INT(n, rows[i].want, "search count '%s' max %d", rows[i].search,
			    rows[i].max);
		}
	}
	/* Priority and label in the query, with the other filters and the
	 * page's limit and offset. */
	must(store_ticket_set(st, t2, "priority", "high", 200, &err), err, "priority");
	must(store_label_add(st, t1, "VIP", &err), err, "label");
	must(store_label_add(st, t3, "vip", &err), err, "label");
	must(store_label_add(st, t4, "other", &err), err, "label");
	{
		static const struct {
			const char *status, *assignee, *search, *priority, *label;
			int limit, offset;
			const char *want;
		} rows[] = {
			{ NULL, NULL, NULL, "high", NULL, 0, 0, "TKT-0002" },
			{ NULL, NULL, NULL, "normal", NULL, 0, 0, "TKT-0004,TKT-0003,TKT-0001" },
			{ NULL, NULL, NULL, "urgent", NULL, 0, 0, "" },
			{ NULL, NULL, NULL, NULL, "vip", 0, 0, "TKT-0003,TKT-0001" },
			{ "open", NULL, NULL, NULL, "VIP", 0, 0, "TKT-0001" },
			{ NULL, "alice@example.com", NULL, NULL, "vip", 0, 0, "TKT-0003,TKT-0001" },
			{ NULL, "alice@EXAMPLE.com", NULL, NULL, NULL, 0, 0,
			    "TKT-0003,TKT-0002,TKT-0001" },
			{ "waiting", "alice@example.com", NULL, NULL, NULL, 0, 0, "TKT-0002" },
			{ NULL, "alice@example.com", NULL, NULL, NULL, 2, 0, "TKT-0003,TKT-0002" },
			{ NULL, "alice@example.com", NULL, NULL, NULL, 2, 2, "TKT-0001" },
			{ NULL, "bob@example.com", NULL, "high", NULL, 0, 0, "" },
			{ "open", NULL, NULL, NULL, NULL, 0, 0, "TKT-0004,TKT-0001" },
			{ "open", NULL, NULL, NULL, NULL, 1, 1, "TKT-0001" },
			{ "on_hold", NULL, NULL, NULL, NULL, 0, 0, "" },
			{ NULL, NULL, "quokka", NULL, "vip", 0, 0, "TKT-0003,TKT-0001" },
			{ NULL, NULL, "quokka", "high", NULL, 0, 0, "TKT-0002" },
			{ NULL, NULL, NULL, "normal", "vip", 1, 0, "TKT-0003" },
			{ NULL, NULL, NULL, NULL, "nothing", 0, 0, "" },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			struct pd_ticket_filter f = { rows[i].status, NULL, rows[i].assignee,
			    rows[i].search, rows[i].limit, rows[i].offset, 0, rows[i].priority,
			    rows[i].label };

			got = filter_refs(st, &f);
			TEST_STR(got, rows[i].want, "filter %zu: status=%s assignee=%s search=%s "
			    "priority=%s label=%s limit=%d offset=%d", i,
			    rows[i].status ? rows[i].status : "-",
			    rows[i].assignee ? rows[i].assignee : "-",
			    rows[i].search ? rows[i].search : "-",
			    rows[i].priority ? rows[i].priority : "-",
			    rows[i].label ? rows[i].label : "-", rows[i].limit, rows[i].offset);
			g_free(got);
		}
	}
	must(store_staff_mine_count(st, "Alice@example.com", &n, &err), err, "mine");
	TEST_INT(n, 2, "mine: alice's tickets in any case, not the closed one");
	must(store_staff_mine_count(st, "bob@example.com", &n, &err), err, "mine");
	TEST_INT(n, 1, "mine: bob's");
	must(store_ticket_set(st, t4, "status", "closed", 500, &err), err, "close");
	must(store_staff_mine_count(st, "bob@example.com", &n, &err), err, "mine");
	TEST_INT(n, 0, "mine: bob's ticket closed");
	must(store_staff_mine_count(st, "carol@example.com", &n, &err), err, "mine");
	TEST_INT(n, 0, "mine: nobody's");
	/* The count kept by triggers is the count of the tickets, through
	 * every change of assignee (in any case) and status. */
	{
		static const struct {
			int ticket;		/* 1..4, 5: a new one */
			const char *column, *value;
			int alice, bob, carol;
		} steps[] = {
			{ 1, "assignee", "bob@example.com", 1, 1, 0 },
			{ 2, "assignee", "alice@example.com", 1, 1, 0 },
			{ 2, "assignee", NULL, 0, 1, 0 },
			{ 3, "status", "open", 1, 1, 0 },
			{ 1, "status", "closed", 1, 0, 0 },
			{ 4, "status", "in_progress", 1, 1, 0 },
			{ 4, "assignee", "CAROL@example.com", 1, 0, 1 },
			{ 5, NULL, NULL, 1, 0, 2 },
			{ 3, "assignee", "Carol@Example.com", 0, 0, 3 },
		};
		gint64 ids[] = { 0, t1, t2, t3, t4 };
		const char *who[] = { "alice@example.com", "bob@example.com", "carol@example.com" };

		for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
			if (steps[i].ticket == 5)
				new_ticket(st, "eve@example.net", "Five", "waiting", "Support",
				    "carol@EXAMPLE.com", 500);
			else
				must(store_ticket_set(st, ids[steps[i].ticket], steps[i].column,
				    steps[i].value, 500, &err), err, "set");
			for (size_t w = 0; w < G_N_ELEMENTS(who); w++) {
				int want = w == 0 ? steps[i].alice : w == 1 ? steps[i].bob :
				    steps[i].carol;
				struct pd_ticket_filter f = { 0 };
				GPtrArray *list = NULL;
				int direct = 0;

				f.assignee = who[w];
				must(store_ticket_list(st, &f, &list, &err), err, "list");
				for (guint j = 0; j < list->len; j++)
					if (strcmp(((struct pd_ticket *)list->pdata[j])->status,
					    "closed") != 0)
						direct++;
				g_ptr_array_unref(list);
				must(store_staff_mine_count(st, who[w], &n, &err), err, "mine");
				TEST_INT(n, want, "mine count of %s after step %zu", who[w], i);
				TEST_INT(direct, want, "mine tickets of %s after step %zu", who[w], i);
			}
		}
	}
	{
		gint64 ids[] = { t1, t2, t3, t4, 999 };
		guint8 un[G_N_ELEMENTS(ids)];
		char buf[G_N_ELEMENTS(ids) + 1];
		static const char *want[] = { "11100", "01100", "11100", "11000" };

		for (int step = 0; step < 4; step++) {
			if (step == 1)
				must(store_read_mark(st, "ALICE@example.com", t1, 600, &err), err,
				    "read t1");
			if (step == 2)
				add_msg(st, t1, "customer", "s5@example.net", "ann@example.net", "One",
				    "more");
			if (step == 3) {
				must(store_read_mark(st, "alice@example.com", t3, 700, &err), err,
				    "read t3");
				add_msg(st, t3, "staff", "s6@example.net", "alice@example.com",
				    "Three", "answer");
			}
			memset(un, 7, sizeof un);
			must(store_tickets_unread(st, "Alice@Example.com", ids, G_N_ELEMENTS(ids), un,
			    &err), err, "unread");
			for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
				buf[i] = un[i] == 1 ? '1' : un[i] == 0 ? '0' : '?';
			buf[G_N_ELEMENTS(ids)] = '\0';
			TEST_STR(buf, want[step], "unread marks of t1..t4 and none, step %d", step);
		}
		must(store_tickets_unread(st, "bob@example.com", ids, 2, un, &err), err, "unread");
		TEST_INT(un[0] + un[1], 2, "unread for bob: his own marks");
		must(store_tickets_unread(st, "bob@example.com", ids, 0, un, &err), err,
		    "unread of no ticket");
	}
	/* "My tickets": the customer's in any case, newest first, not the
	 * merged ones, at most limit. */
	{
		gint64 t6 = new_ticket(st, "ann@example.net", "Six", "open", "Support", NULL, 900);
		static const struct {
			const char *email;
			int limit, merged;
			const char *want;	/* 1: t1, 6: t6 */
		} rows[] = {
			{ "Ann@Example.NET", 10, 0, "6,1" }, { "ann@example.net", 1, 0, "6" },
			{ "nobody@example.net", 10, 0, "" }, { "ANN@EXAMPLE.NET", 10, 1, "6" },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			GArray *ids = NULL;
			GString *g = g_string_new(NULL);

			if (rows[i].merged)
				must(store_ticket_merge(st, t1, t6, 950, &err), err, "merge");
			must(store_customer_ticket_ids(st, rows[i].email, rows[i].limit, &ids, &err),
			    err, "customer tickets");
			for (guint j = 0; j < ids->len; j++) {
				gint64 id = g_array_index(ids, gint64, j);

				g_string_append_printf(g, "%s%s", j ? "," : "", id == t1 ? "1" :
				    id == t6 ? "6" : "?");
			}
			TEST_STR(g->str, rows[i].want, "my tickets of %s, limit %d%s", rows[i].email,
			    rows[i].limit, rows[i].merged ? ", t1 merged" : "");
			g_string_free(g, TRUE);
			g_array_unref(ids);
		}
	}
	store_close(st);
	g_free(path);
}

static void
test_participants_labels_merge(struct pd_store *st)
{
	gint64 a = new_ticket(st, "ivy@example.net", "Merge me", "open", "Support", NULL, 3000);
	gint64 b = new_ticket(st, "jon@example.net", "Keep me", "waiting", "Support", NULL,
	    3000);
	GPtrArray *list = NULL, *msgs = NULL;
	struct pd_ticket *t = NULL;
	char *err = NULL, *s;

	/* knows: customer yes, participant yes, stranger no. */
	must(store_participant_add(st, b, "zoe@example.net", "Zoe", &err), err, "part");
	must(store_participant_add(st, b, "kim@example.net", NULL, &err), err, "part");
	TEST_INT(store_participant_add(st, b, "kim@example.net", "Kim", &err), 0,
	    "adding a participant twice is fine");
	{
		static const struct { const char *email; int want; } rows[] = {
			{ "jon@example.net", 1 }, { "zoe@example.net", 1 },
			{ "kim@example.net", 1 }, { "ivy@example.net", 0 },
			{ "stranger@example.net", 0 },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			int k = -1;
			TEST_INT(store_ticket_knows(st, b, rows[i].email, &k, &err), 0,
			    "knows rc %s", rows[i].email);
			TEST_INT(k, rows[i].want, "ticket b knows %s", rows[i].email);
		}
	}
	must(store_participants(st, b, &list, &err), err, "participants");
	s = joined(list);
	TEST_STR(s, "kim@example.net,zoe@example.net", "participants sorted, once each");
	g_free(s);
	g_ptr_array_unref(list);

	/* Labels: sorted, once, removable. */
	{
		static const struct { int add; const char *label; const char *want; } rows[] = {
			{ 1, "zeta", "zeta" },
			{ 1, "alpha", "alpha,zeta" },
			{ 1, "mid", "alpha,mid,zeta" },
			{ 1, "alpha", "alpha,mid,zeta" },
			{ 0, "mid", "alpha,zeta" },
			{ 0, "absent", "alpha,zeta" },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			int rc = rows[i].add ? store_label_add(st, a, rows[i].label, &err) :
			    store_label_remove(st, a, rows[i].label, &err);
			TEST_INT(rc, 0, "%s %s", rows[i].add ? "label" : "unlabel", rows[i].label);
			t = NULL;
			must(store_ticket_get(st, a, &t, &err), err, "get");
			s = joined(t->labels);
			TEST_STR(s, rows[i].want, "labels after %s %s", rows[i].add ? "+" : "-",
			    rows[i].label);
			g_free(s);
			store_ticket_free(t);
		}
	}
	must(store_label_add(st, b, "beta", &err), err, "label b");
	must(store_participant_add(st, a, "lee@example.net", NULL, &err), err, "part a");
	add_msg(st, a, "customer", "m-a1@example.net", "ivy@example.net", "Merge me", "one");
	add_msg(st, a, "note", NULL, "bob@example.com", "", "a note");
	add_msg(st, b, "customer", "m-b1@example.net", "jon@example.net", "Keep me", "two");

	TEST_INT(store_ticket_merge(st, a, b, 4000, &err), 0, "merge a into b");
	must(store_messages(st, b, 1, &msgs, &err), err, "messages");
	TEST_INT(msgs->len, 3, "b has all three messages");
	g_ptr_array_unref(msgs);
	must(store_messages(st, b, 0, &msgs, &err), err, "messages");
	TEST_INT(msgs->len, 2, "b has two public messages (the note hidden)");
	g_ptr_array_unref(msgs);
	must(store_messages(st, a, 1, &msgs, &err), err, "messages");
	TEST_INT(msgs->len, 0, "a has none left");
	g_ptr_array_unref(msgs);
	must(store_participants(st, b, &list, &err), err, "participants");
	s = joined(list);
	TEST_STR(s, "ivy@example.net,kim@example.net,lee@example.net,zoe@example.net",
	    "b gets a's customer and participants");
	g_free(s);
	g_ptr_array_unref(list);
	t = NULL;
	must(store_ticket_get(st, b, &t, &err), err, "get b");
	s = joined(t->labels);
	TEST_STR(s, "alpha,beta,zeta", "b gets a's labels");
	TEST_INT(t->updated_at, 4000, "b updated");
	TEST_STR(t->status, "waiting", "b keeps its status");
	g_free(s);
	store_ticket_free(t);
	t = NULL;
	must(store_ticket_get(st, a, &t, &err), err, "get a");
	/* Closing it is the lifecycle's (test_ticket), not the store's. */
	TEST_STR(t->status, "open", "a keeps its status in the store");
	TEST_INT(t->updated_at, 4000, "a updated");
	TEST_INT(t->merged_into, b, "a merged_into b");
	TEST_STR(t->merged_into_ref, "TKT-0005", "a merged_into_ref");
	store_ticket_free(t);
}

static void
test_messages(struct pd_store *st)
{
	gint64 tid = new_ticket(st, "mia@example.net", "Attach", "open", "Support", NULL, 100);
	struct pd_stored_attachment att[] = {
		{ "a.pdf", "application/pdf", 1234, "ab12", NULL },
		{ "big.zip", "application/zip", 99, NULL, "type application/zip not allowed" },
	};
	GPtrArray *msgs = NULL;
	char *err = NULL;
	gint64 row = add_msg(st, tid, "customer", "att@example.net", "mia@example.net",
	    "Attach", "see attached");

	for (size_t i = 0; i < G_N_ELEMENTS(att); i++)
		TEST_INT(store_attachment_add(st, row, &att[i], &err), 0, "attachment %s",
		    att[i].filename);
	add_msg(st, tid, "system", NULL, NULL, "", "status: open -> waiting");
	must(store_messages(st, tid, 1, &msgs, &err), err, "messages");
	TEST_INT(msgs->len, 2, "two messages with all");
	if (msgs->len == 2) {
		struct pd_stored_message *m = msgs->pdata[0];
		TEST_STR(m->kind, "customer", "first kind");
		TEST_STR(m->message_id, "att@example.net", "message id");
		TEST_STR(m->body, "see attached", "body");
		TEST_INT(m->attachments->len, 2, "two attachments");
		if (m->attachments->len == 2) {
			struct pd_stored_attachment *a = m->attachments->pdata[0];
			struct pd_stored_attachment *b = m->attachments->pdata[1];
			TEST_STR(a->filename, "a.pdf", "att 1 name");
			TEST_INT(a->size, 1234, "att 1 size");
			TEST_STR(a->sha256, "ab12", "att 1 sha");
			TEST_STR(a->refused, NULL, "att 1 kept");
			TEST_STR(b->sha256, NULL, "att 2 no sha");
			TEST_STR(b->refused, "type application/zip not allowed", "att 2 refused");
		}
		TEST_STR(((struct pd_stored_message *)msgs->pdata[1])->kind, "system",
		    "second kind");
	}
	g_ptr_array_unref(msgs);
	must(store_messages(st, tid, 0, &msgs, &err), err, "messages");
	TEST_INT(msgs->len, 1, "system hidden without all");
	g_ptr_array_unref(msgs);
}

static char *
rcpts_of(struct pd_outbox_row *r)
{
	return joined(r->rcpts);
}

/* The outbox row with id in rows, or NULL. */
static struct pd_outbox_row *
row_by_id(GPtrArray *rows, gint64 id)
{
	for (guint i = 0; rows && i < rows->len; i++)
		if (((struct pd_outbox_row *)rows->pdata[i])->id == id)
			return rows->pdata[i];
	return NULL;
}

/* The integer the statement sql gives on the database at path (-1: none). */
static int
db_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The integer "SELECT what" gives on the database at path. */
static int
db_select(const char *path, const char *what)
{
	char *sql = g_strdup_printf("SELECT %s", what);
	int v = db_int(path, sql);

	g_free(sql);
	return v;
}

/* A pragma's value on the database at path. */
static int
db_pragma(const char *path, const char *pragma)
{
	char *sql = g_strdup_printf("PRAGMA %s", pragma);
	int v = db_int(path, sql);

	g_free(sql);
	return v;
}

/* A new database gives the pages of pruned sent mail back at once
 * (auto_vacuum = INCREMENTAL), 16 KB pages. */
static void
test_prune_space(void)
{
	char *path = g_build_filename(tmpdir, "prune.db", NULL);
	struct pd_store *st = NULL;
	GPtrArray *rcpts = g_ptr_array_new();
	char *err = NULL, *raw = g_malloc(1 << 20);
	gint64 t, id = 0;
	int before, after, n = -1;

	for (int i = 0; i < (1 << 20); i++)
		raw[i] = (char)('a' + (int)(((guint)i * 7919u) % 26u));
	must(store_open(path, NULL, &st, &err), err, "open prune.db");
	TEST_INT(db_pragma(path, "page_size"), 16384, "new database: 16 KB pages");
	TEST_INT(db_pragma(path, "auto_vacuum"), 2, "new database: incremental auto_vacuum");
	t = new_ticket(st, "pia@example.net", "Prune", "open", "Support", NULL, 1000);
	g_ptr_array_add(rcpts, "pia@example.net");
	must(store_outbox_add(st, t, "ticket_created", "prune.1@example.com", "support@example.com",
	    rcpts, raw, 1 << 20, 1, 1000, &id, &err), err, "outbox_add 1 MB");
	must(store_outbox_update(st, id, "sent", 1, 0, NULL, 1000, &err), err, "sent");
	before = db_pragma(path, "page_count");
	must(store_outbox_prune(st, 2000, &n, &err), err, "prune");
	TEST_INT(n, 1, "prune: the sent mail's bytes dropped");
	after = db_pragma(path, "page_count");
	TEST_OK(before > 64 && after < before - 60, "prune: pages given back (%d -> %d)",
	    before, after);
	TEST_INT(db_pragma(path, "freelist_count"), 0, "prune: no free page kept");
	store_close(st);
	g_ptr_array_unref(rcpts);
	g_free(raw);
	g_free(path);
}

/* Params come back byte for byte: kept deflated when that is smaller
 * (behind a 0 byte), as they are when short, incompressible or
 * starting with 0 themselves. */
static void
test_outbox_params(void)
{
	char *path = g_build_filename(tmpdir, "params.db", NULL);
	struct pd_store *st = NULL;
	GPtrArray *rcpts = g_ptr_array_new();
	char *err = NULL;
	guint8 rnd[600];
	GString *text = g_string_new("\001Support");
	struct {
		const char *what;
		const void *data;
		size_t len;
		int packed;
	} rows[4];
	GRand *r = g_rand_new_with_seed(12);
	static const char zero_led[] = "\000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxx";
	gint64 t;

	for (guint i = 0; i < sizeof rnd; i++)
		rnd[i] = (guint8)g_rand_int_range(r, 1, 256);
	g_rand_free(r);
	for (int i = 0; i < 12; i++)
		g_string_append(text, "\001customer_name\001Nils Krause\001subject\001A question");
	rows[0].what = "compressible";
	rows[0].data = text->str;
	rows[0].len = text->len;
	rows[0].packed = 1;
	rows[1].what = "short";
	rows[1].data = "\001ab";
	rows[1].len = 3;
	rows[1].packed = 0;
	rows[2].what = "incompressible";
	rows[2].data = rnd;
	rows[2].len = sizeof rnd;
	rows[2].packed = 0;
	rows[3].what = "starting with 0";
	rows[3].data = zero_led;
	rows[3].len = sizeof zero_led - 1;
	rows[3].packed = 1;
	must(store_open(path, NULL, &st, &err), err, "open params.db");
	t = new_ticket(st, "pam@example.net", "Params", "open", "Support", NULL, 1000);
	g_ptr_array_add(rcpts, "pam@example.net");
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		GBytes *in = g_bytes_new_static(rows[i].data, rows[i].len);
		struct pd_outbox_body b;
		char *mid = g_strdup_printf("params.%zu@example.com", i);
		gint64 id = 0;
		char *q;
		int stored;

		must(store_outbox_add_params(st, t, "ticket_created", mid, "support@example.com",
		    rcpts, in, 1, 1000, &id, &err), err, "add_params");
		must(store_outbox_body(st, id, &b, &err), err, "outbox_body");
		TEST_OK(b.params && g_bytes_equal(b.params, in), "params %s: the same bytes back",
		    rows[i].what);
		store_outbox_body_clear(&b);
		q = g_strdup_printf("length(params) FROM outbox WHERE id = %" G_GINT64_FORMAT, id);
		stored = db_select(path, q);
		TEST_OK(rows[i].packed ? stored < (int)rows[i].len / 3 : stored == (int)rows[i].len,
		    "params %s: stored in %d of %zu bytes", rows[i].what, stored, rows[i].len);
		g_free(q);
		g_free(mid);
		g_bytes_unref(in);
	}
	store_close(st);
	g_ptr_array_unref(rcpts);
	g_string_free(text, TRUE);
	g_free(path);
}

static void
test_outbox(void)
{
	char *path = g_build_filename(tmpdir, "outbox.db", NULL);
	struct pd_store *st = NULL;
	char *err = NULL, *s;
	gint64 t1, o1 = 0, o2 = 0, o3 = 0, o4 = 0;
	GPtrArray *r1 = g_ptr_array_new(), *r2 = g_ptr_array_new(), *rows = NULL;
	struct pd_outbox_row *r;
	int n = -1;

	must(store_open(path, NULL, &st, &err), err, "open outbox.db");
	t1 = new_ticket(st, "nat@example.net", "Outbox", "open", "Support", NULL, 1000);
	g_ptr_array_add(r1, "nat@example.net");
	g_ptr_array_add(r1, "oli@example.net");
	g_ptr_array_add(r2, "nat@example.net");
	TEST_INT(store_outbox_add(st, t1, "ticket_created", "id1@example.com",
	    "support@example.com", r1, "RAW1", 4, 1, 1000, &o1, &err), 0, "add 1 (auto)");
	TEST_INT(store_outbox_add(st, t1, "staff_reply", "id2@example.com",
	    "support@example.com", r2, "RAW2", 4, 0, 1500, &o2, &err), 0, "add 2 (not auto)");
	TEST_INT(store_outbox_add(st, t1, "ticket_resolved", "id3@example.com",
	    "support@example.com", r2, "RAW3", 4, 1, 2000, &o3, &err), 0, "add 3 (auto)");
	TEST_INT(store_outbox_add(st, 0, "command_error", "id4@example.com",
	    "support@example.com", r2, "RAW4", 4, 1, 9000, &o4, &err), 0, "add 4 (no ticket)");
	err = NULL;
	TEST_INT(store_outbox_add(st, t1, "x", "id1@example.com", "support@example.com", r2,
	    "R", 1, 0, 1000, NULL, &err), -1, "a Message-ID is queued once");
	g_free(err);
	err = NULL;

	{
		static const struct { const char *addr; gint64 since; int want; } rows_a[] = {
			{ "nat@example.net", 0, 3 }, { "nat@example.net", 1001, 2 },
			{ "nat@example.net", 2001, 1 }, { "oli@example.net", 0, 1 },
			{ "oli@example.net", 1001, 0 }, { "nobody@example.net", 0, 0 },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows_a); i++) {
			n = -1;
			TEST_INT(store_outbox_count_auto_to(st, rows_a[i].addr, rows_a[i].since, &n,
			    &err), 0, "count_auto_to rc");
			TEST_INT(n, rows_a[i].want, "auto mails to %s since %" G_GINT64_FORMAT,
			    rows_a[i].addr, rows_a[i].since);
		}
	}
	{
		static const struct { gint64 since; int want; } rows_t[] = {
			{ 0, 3 }, { 1500, 2 }, { 2001, 0 },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows_t); i++) {
			n = -1;
			TEST_INT(store_outbox_count_ticket(st, t1, rows_t[i].since, &n, &err), 0,
			    "count_ticket rc");
			TEST_INT(n, rows_t[i].want, "ticket mails since %" G_GINT64_FORMAT,
			    rows_t[i].since);
		}
	}
	TEST_INT(store_outbox_count_waiting(st, &n, &err), 0, "count_waiting rc");
	TEST_INT(n, 4, "four waiting");

	/* Held: not due, not counted for the ticket, still in the list. */
	TEST_INT(store_outbox_hold(st, o3, "rate limit", &err), 0, "hold 3");
	n = -1;
	must(store_outbox_count_ticket(st, t1, 0, &n, &err), err, "count_ticket");
	TEST_INT(n, 2, "held mail not counted for the ticket");
	must(store_outbox_count_waiting(st, &n, &err), err, "count_waiting");
	TEST_INT(n, 3, "held mail not waiting");
	must(store_outbox_count_auto_to(st, "nat@example.net", 0, &n, &err), err, "auto_to");
	TEST_INT(n, 3, "held auto mail still counts for its address");

	/* Due at 1500: rows 1 and 2, oldest first; bytes read one at a time. */
	must(store_outbox_due(st, 1500, 10, &rows, &err), err, "due");
	TEST_INT(rows->len, 2, "two due at 1500");
	if (rows->len == 2) {
		r = rows->pdata[0];
		TEST_INT(r->id, o1, "oldest first");
		TEST_STR(r->ticket_ref, "TKT-0001", "due row ref");
		TEST_STR(r->event, "ticket_created", "due row event");
		TEST_STR(r->message_id, "id1@example.com", "due row message id");
		TEST_STR(r->mail_from, "support@example.com", "due row mail from");
		TEST_INT(r->is_auto, 1, "due row auto");
		TEST_STR(r->status, "queued", "due row status");
		s = rcpts_of(r);
		TEST_STR(s, "nat@example.net,oli@example.net", "due row rcpts");
		g_free(s);
		TEST_OK(r->raw == NULL, "due rows come without their bytes");
		must(store_outbox_raw(st, r->id, &r->raw, &err), err, "outbox raw");
		TEST_OK(r->raw && g_bytes_get_size(r->raw) == 4 &&
		    memcmp(g_bytes_get_data(r->raw, NULL), "RAW1", 4) == 0, "due row bytes");
		TEST_INT(((struct pd_outbox_row *)rows->pdata[1])->id, o2, "then row 2");
	}
	g_ptr_array_unref(rows);
	must(store_outbox_due(st, 1500, 1, &rows, &err), err, "due");
	TEST_INT(rows->len, 1, "limit 1");
	g_ptr_array_unref(rows);

	/* One recipient done: only the other is still waiting. */
	TEST_INT(store_outbox_rcpt_set(st, o1, "nat@example.net", "sent", "250", &err), 0,
	    "rcpt_set");
	TEST_INT(store_outbox_update(st, o1, "queued", 1, 1800, "451 try later", 1500, &err), 0,
	    "update: retry later");
	must(store_outbox_due(st, 1500, 10, &rows, &err), err, "due");
	TEST_INT(rows->len, 1, "row 1 not due before next_try");
	g_ptr_array_unref(rows);
	must(store_outbox_due(st, 1800, 10, &rows, &err), err, "due");
	r = row_by_id(rows, o1);
	TEST_OK(r != NULL, "row 1 due at next_try");
	if (r) {
		s = rcpts_of(r);
		TEST_STR(s, "oli@example.net", "only the waiting recipient");
		g_free(s);
		TEST_INT(r->tries, 1, "tries");
		TEST_STR(r->last_error, "451 try later", "last_error");
		TEST_INT(r->next_try, 1800, "next_try");
	}
	g_ptr_array_unref(rows);
	TEST_INT(store_outbox_update(st, o1, "sent", 2, 1800, NULL, 1900, &err), 0,
	    "update: sent");
	TEST_INT(store_outbox_update(st, o2, "failed", 5, 1500, "550 no such user", 1950, &err),
	    0, "update: failed");

	{
		static const struct { const char *status; int n; } rows_l[] = {
			{ NULL, 4 }, { "queued", 1 }, { "sent", 1 }, { "failed", 1 },
			{ "held", 1 },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows_l); i++) {
			rows = NULL;
			TEST_INT(store_outbox_list(st, rows_l[i].status, 0, &rows, &err), 0,
			    "list rc");
			TEST_INT(rows ? (int)rows->len : -1, rows_l[i].n, "list %s",
			    rows_l[i].status ? rows_l[i].status : "all");
			if (rows)
				g_ptr_array_unref(rows);
		}
	}
	must(store_outbox_list(st, NULL, 1, &rows, &err), err, "list");
	r = row_by_id(rows, o1);
	TEST_OK(r && r->sent_at == 1900 && g_strcmp0(r->status, "sent") == 0 &&
	    r->tries == 2, "row 1 sent at 1900");
	s = r ? rcpts_of(r) : NULL;
	TEST_STR(s, "nat@example.net,oli@example.net", "list shows every recipient");
	g_free(s);
	/* Pruning drops the bytes of mail sent before the cut, once. */
	{
		int n = -1;
		GBytes *b = NULL;

		TEST_INT(store_outbox_prune(st, 1900, &n, &err), 0, "prune before the send");
		TEST_INT(n, 0, "nothing sent before 1900");
		TEST_INT(store_outbox_prune(st, 1901, &n, &err), 0, "prune after the send");
		TEST_INT(n, 1, "the sent mail's bytes dropped");
		must(store_outbox_raw(st, o1, &b, &err), err, "raw after prune");
		TEST_INT(b ? (int)g_bytes_get_size(b) : -1, 0, "no bytes left");
		if (b)
			g_bytes_unref(b);
		TEST_INT(store_outbox_prune(st, 5000, &n, &err), 0, "prune again");
		TEST_INT(n, 0, "nothing to drop twice; failed and queued mail keep theirs");
	}
	TEST_OK(r && r->raw && g_bytes_get_size(r->raw) == 4, "with_raw loads bytes");
	r = row_by_id(rows, o2);
	TEST_OK(r && r->sent_at == 0 && g_strcmp0(r->status, "failed") == 0 &&
	    g_strcmp0(r->last_error, "550 no such user") == 0, "row 2 failed");
	r = row_by_id(rows, o3);
	TEST_OK(r && g_strcmp0(r->status, "held") == 0 &&
	    g_strcmp0(r->last_error, "rate limit") == 0, "row 3 held with reason");
	r = row_by_id(rows, o4);
	TEST_OK(r && r->ticket_id == 0 && r->ticket_ref == NULL, "row 4 has no ticket");
	g_ptr_array_unref(rows);
	/* One ticket's held mail (the staff ticket page). */
	must(store_outbox_list_ticket(st, t1, "held", &rows, &err), err, "list ticket");
	TEST_OK(rows->len == 1 && ((struct pd_outbox_row *)rows->pdata[0])->id == o3 &&
	    ((struct pd_outbox_row *)rows->pdata[0])->rcpts->len == 1,
	    "the ticket's held mail: row 3 alone, with its recipient");
	g_ptr_array_unref(rows);
	must(store_outbox_list_ticket(st, t1 + 1, "held", &rows, &err), err, "list ticket");
	TEST_INT((int)rows->len, 0, "another ticket: no held mail");
	g_ptr_array_unref(rows);
	must(store_outbox_list(st, NULL, 0, &rows, &err), err, "list");
	r = row_by_id(rows, o1);
	TEST_OK(r && r->raw == NULL, "without with_raw no bytes");
	g_ptr_array_unref(rows);
	must(store_outbox_count_waiting(st, &n, &err), err, "count_waiting");
	TEST_INT(n, 1, "one waiting at the end");

	g_ptr_array_unref(r1);
	g_ptr_array_unref(r2);
	store_close(st);
	g_free(path);
}

/* Quarantine, bounces, raw mail and the figures of `postdesk stats`. */
/* Count of tickets a search finds. */
static int
found(struct pd_store *st, const char *search)
{
	struct pd_ticket_filter f = { NULL, NULL, NULL, search, 0, 0, 0, NULL, NULL };
	GPtrArray *list = NULL;
	char *err = NULL;
	int n;

	if (store_ticket_list(st, &f, &list, &err) < 0) {
		g_free(err);
		return -1;
	}
	n = (int)list->len;
	g_ptr_array_unref(list);
	return n;
}

/* A bulk transaction (messages in savepoints) indexes its messages once
 * at the commit: a rolled-back savepoint's message is not indexed, a
 * rolled-back transaction leaves nothing; text mail is kept compressed
 * and comes back byte for byte. */
static void
test_bulk_fts_raw(void)
{
	char *path = g_build_filename(tmpdir, "bulk.db", NULL);
	char *spool = g_build_filename(tmpdir, "bulkspool", NULL);
	struct pd_store *st = NULL;
	char *err = NULL;
	gint64 t1, t2, t3;
	GString *raw = g_string_new("From: a@example.net\r\nSubject: long\r\n\r\n");
	char *sha;
	GBytes *got = NULL;

	must(store_open(path, spool, &st, &err), err, "open bulk.db");
	must(store_begin(st, &err), err, "bulk begin");
	must(store_begin(st, &err), err, "savepoint 1");
	t1 = new_ticket(st, "ann@example.net", "Zebra one", "open", "Support", NULL, 100);
	add_msg(st, t1, "customer", "b1@example.net", "ann@example.net", "Zebra one",
	    "the quagga ran");
	must(store_commit(st, &err), err, "release 1");
	must(store_begin(st, &err), err, "savepoint 2");
	t2 = new_ticket(st, "ben@example.net", "Zebra two", "open", "Support", NULL, 200);
	add_msg(st, t2, "customer", "b2@example.net", "ben@example.net", "Zebra two",
	    "the okapi ran");
	store_rollback(st);
	must(store_begin(st, &err), err, "savepoint 3");
	t3 = new_ticket(st, "cid@example.net", "Zebra three", "open", "Support", NULL, 300);
	add_msg(st, t3, "customer", "b3@example.net", "cid@example.net", "Zebra three",
	    "the gnu ran");
	must(store_commit(st, &err), err, "release 3");
	TEST_INT(found(st, "quagga"), 0, "bulk: not indexed before the commit");
	must(store_commit(st, &err), err, "bulk commit");
	TEST_INT(found(st, "quagga"), 1, "bulk: first savepoint's message indexed");
	TEST_INT(found(st, "okapi"), 0, "bulk: rolled-back savepoint's message not indexed");
	TEST_INT(found(st, "gnu"), 1, "bulk: third savepoint's message indexed");
	TEST_INT(found(st, "zebra"), 2, "bulk: each once");
	must(store_begin(st, &err), err, "bulk 2 begin");
	must(store_begin(st, &err), err, "bulk 2 savepoint");
	add_msg(st, t1, "customer", "b4@example.net", "ann@example.net", "Zebra one",
	    "the eland ran");
	must(store_commit(st, &err), err, "bulk 2 release");
	store_rollback(st);
	TEST_INT(found(st, "eland"), 0, "bulk: rolled-back transaction indexes nothing");
	add_msg(st, t1, "customer", "b5@example.net", "ann@example.net", "Zebra one",
	    "the kudu ran");
	TEST_INT(found(st, "kudu"), 1, "outside a bulk: indexed at once");
	TEST_INT(found(st, "eland"), 0, "and nothing else with it");
	/* Long bodies are kept deflated: indexed all the same, in a bulk
	 * (from the table, through pd_text) and outside one. */
	{
		GString *b = g_string_new(NULL);
		sqlite3_stmt *s = NULL;
		sqlite3 *db = NULL;
		int packed = 0, plain = 0;
		gint64 small = 0;

		for (int i = 0; i < 60; i++)
			g_string_append(b, "An ordinary line of a long customer mail.\n");
		g_string_append(b, "the wildebeest ");
		must(store_begin(st, &err), err, "bulk 3 begin");
		must(store_begin(st, &err), err, "bulk 3 savepoint");
		add_msg(st, t1, "customer", "b6@example.net", "ann@example.net", "Zebra one",
		    b->str);
		must(store_commit(st, &err), err, "bulk 3 release");
		TEST_INT(found(st, "wildebeest"), 0, "long body, bulk: not before the commit");
		must(store_commit(st, &err), err, "bulk 3 commit");
		TEST_INT(found(st, "wildebeest"), 1, "long body, bulk: indexed at the commit");
		g_string_append(b, "springbok");
		add_msg(st, t1, "customer", "b7@example.net", "ann@example.net", "Zebra one",
		    b->str);
		TEST_INT(found(st, "springbok"), 1, "long body outside a bulk: indexed");
		small = add_msg(st, t1, "customer", "b8@example.net", "ann@example.net",
		    "Zebra one", "short");
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT sum(typeof(body) = 'blob' AND length(body) * 4 < ?), "
		    "sum(typeof(body) = 'text' AND id = ?) FROM messages", -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int(s, 1, (int)b->len);
			sqlite3_bind_int64(s, 2, small);
			if (sqlite3_step(s) == SQLITE_ROW) {
				packed = sqlite3_column_int(s, 0);
				plain = sqlite3_column_int(s, 1);
			}
		}
		sqlite3_finalize(s);
		sqlite3_close(db);
		TEST_INT(packed, 2, "the long bodies kept deflated, under a quarter of their size");
		TEST_INT(plain, 1, "a short body kept as text");
		g_string_free(b, TRUE);
	}

	for (int i = 0; i < 200; i++)
		g_string_append(raw, "A line of an ordinary mail that repeats itself.\r\n");
	sha = util_sha256_hex(raw->str, raw->len);
	TEST_INT(store_raw_put(st, raw->str, raw->len, sha, 1234, &err), 0, "raw_put text");
	{
		sqlite3_stmt *s = NULL;
		sqlite3 *db = NULL;
		int stored = -1;
		gint64 at = -1;
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT length(data), stored_at FROM raw_mail "
		    "WHERE sha256 = ?", -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW) {
				stored = sqlite3_column_int(s, 0);
				at = sqlite3_column_int64(s, 1);
			}
		}
		sqlite3_finalize(s);
		sqlite3_close(db);
		TEST_OK(stored > 0 && stored < (int)raw->len / 4,
		    "text mail kept compressed (%d of %zu bytes)", stored, raw->len);
		/* The intake's time, not the clock's: a slow parse must not
		 * put the mail after the acknowledgement it caused. */
		TEST_INT(at, 1234, "stored_at is the time given");
	}
	TEST_INT(store_raw_get(st, sha, &got, &err), 1, "raw_get compressed");
	TEST_OK(got && g_bytes_get_size(got) == raw->len &&
	    memcmp(g_bytes_get_data(got, NULL), raw->str, raw->len) == 0,
	    "compressed raw bytes back exactly");
	if (got)
		g_bytes_unref(got);
	g_free(sha);

	/* A body deflated elsewhere (the parser child) likewise: kept when
	 * it inflates to the body, else deflated here again. */
	for (int pass = 0; pass < 2; pass++) {
		struct pd_stored_message m = { 0 };
		GPtrArray *msgs = NULL;
		GByteArray *z = store_text_pack_alone(raw->str, raw->len);
		gint64 id = 0;
		int same = 0;

		TEST_OK(z != NULL && z->len < raw->len, "store_text_pack_alone shrinks text");
		if (z == NULL)
			break;
		if (pass == 1)
			z->data[z->len / 3] ^= 0x5a;
		m.body_packed = g_byte_array_free_to_bytes(z);
		m.ticket_id = t1;
		m.kind = "customer";
		m.date = 1000;
		m.subject = "packed";
		m.body = raw->str;
		m.class = "customer";
		TEST_INT(store_message_add(st, &m, &id, &err), 0, "message_add, %s packed body",
		    pass ? "bad" : "good");
		if (store_messages(st, t1, 1, &msgs, &err) == 0) {
			for (guint i = 0; i < msgs->len; i++) {
				struct pd_stored_message *g = msgs->pdata[i];

				if (g->id == id)
					same = strcmp(g->body, raw->str) == 0;
			}
			g_ptr_array_unref(msgs);
		}
		TEST_OK(same, "%s packed body: the body back exactly", pass ? "bad" : "good");
		g_bytes_unref(m.body_packed);
	}

	/* A compressed copy made elsewhere (the parser child) is kept only
	 * when it unpacks to the raw bytes; a wrong one is made again. */
	for (int pass = 0; pass < 2; pass++) {
		GByteArray *gz;
		GBytes *packed;
		char *psha;

		g_string_append_printf(raw, "pass %d\r\n", pass);
		psha = util_sha256_hex(raw->str, raw->len);
		gz = store_raw_pack(raw->str, raw->len);
		TEST_OK(gz != NULL && gz->len < raw->len, "store_raw_pack shrinks text");
		if (gz == NULL)
			break;
		if (pass == 1)
			gz->data[gz->len / 2] ^= 0x55;	/* a lying child */
		packed = g_byte_array_free_to_bytes(gz);
		TEST_INT(store_raw_put_packed(st, raw->str, raw->len, packed, psha, 1234, &err),
		    0, "raw_put_packed %s copy", pass ? "bad" : "good");
		TEST_INT(store_raw_get(st, psha, &got, &err), 1, "raw_get of it");
		TEST_OK(got && g_bytes_get_size(got) == raw->len &&
		    memcmp(g_bytes_get_data(got, NULL), raw->str, raw->len) == 0,
		    "%s packed copy: the raw bytes back exactly", pass ? "bad" : "good");
		if (got)
			g_bytes_unref(got);
		g_bytes_unref(packed);
		g_free(psha);
	}
	g_string_free(raw, TRUE);
	store_close(st);
	g_free(spool);
	g_free(path);
}

static void
test_quarantine_stats_raw(void)
{
	char *path = g_build_filename(tmpdir, "q.db", NULL);
	char *spool = g_build_filename(tmpdir, "spool", NULL);
	struct pd_store *st = NULL;
	const char *raw1 = "From: a@example.net\r\n\r\nhello\r\n";
	char *sha1 = util_sha256_hex(raw1, strlen(raw1));
	char *err = NULL, *rp, *want_rp, *data = NULL;
	gint64 q1 = 0, q2 = 0, tid;
	GPtrArray *rows = NULL, *pairs = NULL;
	struct pd_quarantined *q = NULL;
	struct stat sb1, sb2;
	gsize len = 0;

	must(store_open(path, spool, &st, &err), err, "open q.db");

	/* raw_put: small mail in the database, once; big mail in
	 * spool/raw/AB/SHA, once. */
	TEST_INT(store_raw_put(st, raw1, strlen(raw1), sha1, 1000, &err), 0, "raw_put");
	rp = store_raw_path(st, sha1);
	TEST_OK(!g_file_test(rp, G_FILE_TEST_EXISTS), "a small raw mail makes no spool file");
	g_free(rp);
	{
		GBytes *got = NULL;
		TEST_INT(store_raw_get(st, sha1, &got, &err), 1, "raw_get small");
		TEST_OK(got && g_bytes_get_size(got) == strlen(raw1) &&
		    memcmp(g_bytes_get_data(got, NULL), raw1, strlen(raw1)) == 0,
		    "small raw bytes back");
		if (got)
			g_bytes_unref(got);
		TEST_INT(store_raw_put(st, raw1, strlen(raw1), sha1, 1000, &err), 0,
		    "raw_put again");
		TEST_INT(store_raw_get(st, "0000", &got, &err), 0, "raw_get unknown");
	}
	{
		size_t blen = STORE_RAW_INLINE + 1;
		char *big = g_malloc(blen), *bsha;
		GBytes *got = NULL;

		memset(big, 'x', blen);
		bsha = util_sha256_hex(big, blen);
		TEST_INT(store_raw_put(st, big, blen, bsha, 1000, &err), 0, "raw_put big");
		rp = store_raw_path(st, bsha);
		{
			char sub[3] = { bsha[0], bsha[1], 0 };
			want_rp = g_build_filename(spool, "raw", sub, bsha, NULL);
		}
		TEST_STR(rp, want_rp, "raw path is spool/raw/AB/SHA");
		TEST_OK(g_file_get_contents(rp, &data, &len, NULL) && len == blen &&
		    memcmp(data, big, len) == 0, "big raw bytes written to the spool");
		g_free(data);
		TEST_INT(stat(rp, &sb1), 0, "stat raw");
		TEST_INT(store_raw_put(st, big, blen, bsha, 1000, &err), 0, "raw_put big again");
		TEST_INT(stat(rp, &sb2), 0, "stat raw again");
		TEST_OK(sb1.st_ino == sb2.st_ino && sb1.st_mtime == sb2.st_mtime,
		    "content-addressed: second put leaves the file alone");
		TEST_INT(store_raw_get(st, bsha, &got, &err), 1, "raw_get big");
		TEST_OK(got && g_bytes_get_size(got) == blen, "big raw bytes back");
		if (got)
			g_bytes_unref(got);
		g_free(big);
		g_free(bsha);
	}
	g_free(rp);
	g_free(want_rp);
	{
		char sub[3] = { sha1[0], sha1[1], 0 };
		char *bp = store_blob_path(st, sha1);
		char *want = g_build_filename(spool, "att", sub, sha1, NULL);
		TEST_STR(bp, want, "blob path is spool/att/AB/SHA");
		TEST_INT(store_blob_put(st, "BLOB", 4, sha1, &err), 0, "blob_put");
		TEST_OK(!g_file_test(bp, G_FILE_TEST_EXISTS), "a small blob: no spool file");
		{
			GBytes *got = NULL;

			TEST_INT(store_blob_get(st, sha1, &got, &err), 1, "blob_get");
			TEST_OK(got && g_bytes_get_size(got) == 4 &&
			    memcmp(g_bytes_get_data(got, NULL), "BLOB", 4) == 0,
			    "blob bytes back through the store");
			if (got)
				g_bytes_unref(got);
			TEST_INT(store_blob_get(st, "00ff", &got, &err), 0, "blob_get unknown");
		}
		g_free(bp);
		g_free(want);
	}
	/* sql/014: up to STORE_RAW_INLINE in the database, deflated when
	 * that is smaller; bigger in the spool; a spool file from before
	 * is still found. */
	{
		static const struct {
			const char *what;
			size_t len;
			int text, in_spool;
		} rows[] = {
			{ "a text file", 20000, 1, 0 },
			{ "a binary file", 20000, 0, 0 },
			{ "a file at the limit", STORE_RAW_INLINE, 1, 0 },
			{ "a bigger file", STORE_RAW_INLINE + 1, 1, 1 },
		};
		GRand *r = g_rand_new_with_seed(7);

		for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
			guint8 *d = g_malloc(rows[i].len);
			char *sha, *bp, *q;
			GBytes *got = NULL;
			int stored;

			for (size_t j = 0; j < rows[i].len; j++)
				d[j] = rows[i].text ? (guint8)"log line: ok\n"[j % 13] :
				    (guint8)g_rand_int_range(r, 0, 256);
			sha = util_sha256_hex(d, rows[i].len);
			bp = store_blob_path(st, sha);
			TEST_INT(store_blob_put(st, d, rows[i].len, sha, &err), 0, "blob_put %s",
			    rows[i].what);
			TEST_INT(g_file_test(bp, G_FILE_TEST_EXISTS), rows[i].in_spool,
			    "%s: in the spool %d", rows[i].what, rows[i].in_spool);
			q = g_strdup_printf("coalesce((SELECT length(data) FROM blobs WHERE "
			    "sha256 = '%s'), -1)", sha);
			stored = db_select(path, q);
			TEST_OK(rows[i].in_spool ? stored == -1 : rows[i].text ?
			    stored > 0 && stored < (int)rows[i].len / 20 : stored == (int)rows[i].len,
			    "%s: %d bytes in the database", rows[i].what, stored);
			TEST_INT(store_blob_get(st, sha, &got, &err), 1, "blob_get %s", rows[i].what);
			TEST_OK(got && g_bytes_get_size(got) == rows[i].len &&
			    memcmp(g_bytes_get_data(got, NULL), d, rows[i].len) == 0,
			    "%s: the same bytes back", rows[i].what);
			if (got)
				g_bytes_unref(got);
			g_free(q);
			g_free(bp);
			g_free(sha);
			g_free(d);
		}
		g_rand_free(r);
	}
	{
		char *sha = util_sha256_hex("OLD", 3), *bp = store_blob_path(st, sha);
		char *dir = g_path_get_dirname(bp);
		GBytes *got = NULL;

		g_mkdir_with_parents(dir, 0750);
		TEST_OK(g_file_set_contents(bp, "OLD", 3, NULL), "an attachment kept before 014");
		TEST_INT(store_blob_get(st, sha, &got, &err), 1, "blob_get of a spool file");
		TEST_OK(got && g_bytes_get_size(got) == 3 &&
		    memcmp(g_bytes_get_data(got, NULL), "OLD", 3) == 0, "its bytes back");
		if (got)
			g_bytes_unref(got);
		g_free(dir);
		g_free(bp);
		g_free(sha);
	}

	/* Quarantine. */
	TEST_INT(store_quarantine_add(st, "no usable From address", sha1, "deliver", NULL,
	    NULL, "Hi", 500, &q1, &err), 0, "quarantine add 1");
	TEST_INT(store_quarantine_add(st, "unmatched bounce", sha1, "imap", "support",
	    "mailer-daemon@example.net", "Undelivered", 600, &q2, &err), 0,
	    "quarantine add 2");
	TEST_OK(q1 > 0 && q2 > q1, "quarantine ids grow");
	must(store_quarantine_get(st, q2, &q, &err), err, "quarantine get");
	TEST_OK(q != NULL, "quarantine get found");
	if (q) {
		TEST_INT(q->id, q2, "q id");
		TEST_INT(q->at, 600, "q at");
		TEST_STR(q->reason, "unmatched bounce", "q reason");
		TEST_STR(q->raw_sha256, sha1, "q sha");
		TEST_STR(q->source, "imap", "q source");
		TEST_STR(q->mailbox, "support", "q mailbox");
		TEST_STR(q->from_addr, "mailer-daemon@example.net", "q from");
		TEST_STR(q->subject, "Undelivered", "q subject");
		TEST_STR(q->state, "held", "q state held");
	}
	store_quarantine_free(q);
	q = NULL;
	TEST_INT(store_quarantine_get(st, 9999, &q, &err), 0, "quarantine get unknown: 0");
	TEST_INT(store_quarantine_set_state(st, q1, "retried", &err), 0, "set_state retried");
	err = NULL;
	TEST_INT(store_quarantine_set_state(st, q1, "bogus", &err), -1, "set_state bogus refused");
	g_free(err);
	err = NULL;
	{
		static const struct { const char *state; const char *want; } rows_q[] = {
			{ NULL, "no usable From address,unmatched bounce" },
			{ "held", "unmatched bounce" },
			{ "retried", "no usable From address" },
		};
		for (size_t i = 0; i < G_N_ELEMENTS(rows_q); i++) {
			GPtrArray *reasons = g_ptr_array_new();
			char *s;
			rows = NULL;
			TEST_INT(store_quarantine_list(st, rows_q[i].state, &rows, &err), 0,
			    "quarantine list rc");
			for (guint j = 0; rows && j < rows->len; j++)
				g_ptr_array_add(reasons, ((struct pd_quarantined *)rows->pdata[j])->reason);
			s = joined(reasons);
			TEST_STR(s, rows_q[i].want, "quarantine list %s",
			    rows_q[i].state ? rows_q[i].state : "all");
			g_free(s);
			g_ptr_array_unref(reasons);
			if (rows)
				g_ptr_array_unref(rows);
		}
	}

	/* Bounces and stats. */
	tid = new_ticket(st, "pat@example.net", "Stats", "open", "Support", NULL, 100);
	new_ticket(st, "pat@example.net", "Stats 2", "waiting", "Support", NULL, 100);
	new_ticket(st, "quin@example.net", "Stats 3", "waiting", "Support", NULL, 100);
	add_msg(st, tid, "customer", "s1@example.net", "pat@example.net", "Stats", "x");
	TEST_INT(store_bounce_add(st, tid, 0, "pat@example.net", "5.1.1", "failed", 550, "no such user",
	    0, sha1, 700, &err), 0, "bounce add");
	TEST_INT(store_bounce_add(st, 0, 0, NULL, NULL, NULL, 0, NULL, 1, sha1, 701, &err), 0,
	    "bounce add with nothing known");
	{
		GPtrArray *r2 = g_ptr_array_new();
		g_ptr_array_add(r2, "pat@example.net");
		must(store_outbox_add(st, tid, "e", "st1@example.com", "support@example.com", r2,
		    "R", 1, 0, 100, NULL, &err), err, "outbox");
		g_ptr_array_unref(r2);
	}
	TEST_INT(store_stats(st, &pairs, &err), 0, "stats");
	{
		static const struct { const char *key, *value; } want[] = {
			{ "tickets", "3" }, { "tickets_open", "1" }, { "tickets_waiting", "2" },
			{ "messages", "1" }, { "attachments", "0" }, { "outbox_queued", "1" },
			{ "quarantine_held", "1" }, { "bounces", "2" }, { "customers", "2" },
		};
		GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
		TEST_INT(pairs->len % 2, 0, "stats come in pairs");
		for (guint i = 0; i + 1 < pairs->len; i += 2)
			g_hash_table_insert(h, pairs->pdata[i], pairs->pdata[i + 1]);
		TEST_INT(g_hash_table_size(h) * 2, pairs->len, "stat names unique");
		TEST_INT(g_hash_table_size(h), G_N_ELEMENTS(want), "exactly the expected stats");
		for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
			TEST_STR(g_hash_table_lookup(h, want[i].key), want[i].value, "stat %s",
			    want[i].key);
		g_hash_table_destroy(h);
		g_ptr_array_unref(pairs);
	}

	/* A spool that cannot be written: an error worth retrying. */
	{
		char *file = g_build_filename(tmpdir, "plainfile", NULL);
		char *badspool = g_build_filename(file, "spool", NULL);
		/* Big enough for the spool: small mail stays in the database. */
		size_t len2 = STORE_RAW_INLINE + 100;
		char *raw2 = g_malloc0(len2);
		char *sha2;

		memset(raw2, 'y', len2);
		sha2 = util_sha256_hex(raw2, len2);
		g_file_set_contents(file, "x", 1, NULL);
		err = NULL;
		struct pd_store *bad = NULL;

		must(store_open(path, badspool, &bad, &err), err, "open with a bad spool");
		TEST_INT(store_error_transient(bad), 0, "no transient error before");
		TEST_INT(store_raw_put(bad, raw2, len2, sha2, 1000, &err), -1,
		    "raw_put into an unwritable spool fails");
		TEST_OK(err != NULL, "with an error: %s", err ? err : "(null)");
		TEST_INT(store_error_transient(bad), 1, "and it is transient");
		store_close(bad);
		g_free(err);
		g_free(raw2);
		g_free(sha2);
		g_free(badspool);
		g_free(file);
	}
	store_close(st);
	g_free(sha1);
	g_free(spool);
	g_free(path);
}

int
main(void)
{
	struct pd_store *st = NULL;
	char *err = NULL;

	tmpdir = g_dir_make_tmp("pd-store-XXXXXX", NULL);
	dbpath = g_build_filename(tmpdir, "pd.db", NULL);
	test_open();
	must(store_open(dbpath, NULL, &st, &err), err, "open");
	test_refs(st);
	test_seen(st);
	test_customers(st);
	test_tickets(st);
	test_message_ids(st);
	test_participants_labels_merge(st);
	test_messages(st);
	test_visible(st);
	store_close(st);
	test_list();
	test_staff_page();
	test_bulk_fts_raw();
	test_outbox();
	test_prune_space();
	test_outbox_params();
	test_quarantine_stats_raw();
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
		g_free(cmd);
	}
	g_free(dbpath);
	g_free(tmpdir);
	return test_done();
}

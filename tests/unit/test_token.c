/* test_token.c: secrets, Message-IDs, status keys, staff addresses. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "token.h"

static struct pd_secret
fixed_secret(const char *s)
{
	struct pd_secret k;

	k.key = (guint8 *)g_strdup(s);
	k.len = strlen(s);
	return k;
}

static void
test_secret_file(void)
{
	char *dir, *path, *error = NULL, *contents = NULL;
	struct pd_secret k = { NULL, 0 }, k2 = { NULL, 0 };
	struct stat st;
	gsize len = 0;
	int ok;

	dir = g_dir_make_tmp("pdtoken-XXXXXX", NULL);
	path = g_build_filename(dir, "secret", NULL);

	TEST_INT(token_create_secret(path, &error), 0, "create secret");
	TEST_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "secret is mode 0600");
	ok = g_file_get_contents(path, &contents, &len, NULL);
	TEST_OK(ok, "read back");
	TEST_INT(len, 65, "64 hex digits and a newline");
	TEST_OK(contents && contents[64] == '\n', "ends in newline");
	g_free(contents);

	TEST_INT(token_create_secret(path, &error), -1, "refuses to overwrite");
	TEST_OK(error != NULL, "overwrite error: %s", error ? error : "");
	g_free(error);
	error = NULL;

	TEST_INT(token_load_secret(path, &k, &error), 0, "load secret");
	TEST_INT(k.len, 32, "32-byte key from hex");

	/* raw bytes are accepted too */
	{
		char *raw = g_build_filename(dir, "raw", NULL);
		static const char rawkey[] = "\x01\x02 not hex, raw key!!";
		ssize_t n = -1;
		int fd;

		fd = open(raw, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			n = write(fd, rawkey, sizeof(rawkey) - 1);
		TEST_INT(n, 21, "write raw key");
		if (fd >= 0)
			close(fd);
		TEST_INT(token_load_secret(raw, &k2, &error), 0, "load raw secret");
		TEST_INT(k2.len, 21, "raw key length");
		token_secret_clear(&k2);
		unlink(raw);
		g_free(raw);
	}

	/* readable by others: refused with file and mode named */
	chmod(path, 0644);
	TEST_INT(token_load_secret(path, &k2, &error), -1, "mode 0644 refused");
	TEST_OK(error && strstr(error, path) && strstr(error, "0644"),
	    "error names file and mode: %s", error ? error : "");
	TEST_OK(k2.key == NULL, "no key on refusal");
	g_free(error);
	error = NULL;
	chmod(path, 0620);
	TEST_INT(token_load_secret(path, &k2, &error), -1, "mode 0620 refused");
	g_free(error);
	error = NULL;

	TEST_INT(token_load_secret("/nonexistent/secret", &k2, &error), -1,
	    "missing file");
	g_free(error);

	token_secret_clear(&k);
	TEST_OK(k.key == NULL && k.len == 0, "clear");
	unlink(path);
	rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void
test_message_ids(void)
{
	struct pd_secret k = fixed_secret("0123456789abcdef0123456789abcdef");
	struct pd_secret other = fixed_secret("another key, another installation");
	static const struct {
		const char *ref;
		const char *want_ref;
	} rows[] = {
		{ "TKT-0042", "TKT-0042" },
		{ "TKT-123456", "TKT-123456" },
		{ NULL, NULL },
		{ "A.B-7", "A.B-7" },
	};
	char *id, *ref, *bracketed, *forged;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		id = token_message_id(&k, rows[i].ref, "help.example.com");
		TEST_OK(g_str_has_suffix(id, "@help.example.com"),
		    "msgid %s has domain", id);
		TEST_INT(strlen(id), strlen(rows[i].ref ? rows[i].ref : "X") + 34 +
		    strlen("@help.example.com"), "msgid %s length", id);
		ref = NULL;
		TEST_INT(token_check_message_id(&k, id, &ref), 1, "check %s", id);
		TEST_STR(ref, rows[i].want_ref, "ref of %s", id);
		g_free(ref);

		bracketed = g_strdup_printf(" <%s> ", id);
		TEST_INT(token_check_message_id(&k, bracketed, NULL), 1,
		    "check with <>: %s", bracketed);
		TEST_INT(token_looks_like_ours(bracketed, "HELP.example.com"), 1,
		    "looks like ours");
		TEST_INT(token_looks_like_ours(bracketed, "other.example.com"), 0,
		    "other domain does not look like ours");
		TEST_INT(token_check_message_id(&other, id, NULL), 0,
		    "other key rejects %s", id);
		g_free(bracketed);

		/* flip one MAC digit */
		forged = g_strdup(id);
		{
			char *p = strchr(forged, '@') - 1;
			*p = *p == '0' ? '1' : '0';
		}
		TEST_INT(token_check_message_id(&k, forged, NULL), 0,
		    "forged MAC rejected");
		g_free(forged);
		g_free(id);
	}

	/* tampered ref: same random and MAC, other ticket */
	id = token_message_id(&k, "TKT-0042", "x.org");
	forged = g_strdup(id);
	forged[7] = '3';		/* TKT-0043 */
	ref = NULL;
	TEST_INT(token_check_message_id(&k, forged, &ref), 0, "tampered ref rejected");
	TEST_STR(ref, NULL, "no ref for tampered id");
	g_free(forged);
	g_free(id);

	static const char *not_ours[] = {
		"CAF=abc@mail.gmail.com", "", "@", "x.y.z@example.com",
		"TKT-1.0123456789abcdef.0123456789abcdeg@x",
		"TKT-1.0123456789abcdef0123456789abcdef@x",
		".0123456789abcdef.0123456789abcdef@x", "<>",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(not_ours); i++) {
		TEST_INT(token_check_message_id(&k, not_ours[i], NULL), 0,
		    "not ours: '%s'", not_ours[i]);
		TEST_INT(token_looks_like_ours(not_ours[i], NULL), 0,
		    "does not look like ours: '%s'", not_ours[i]);
	}
	TEST_INT(token_check_message_id(&k, NULL, NULL), 0, "NULL msgid");

	token_secret_clear(&k);
	token_secret_clear(&other);
}

static void
test_status_keys(void)
{
	struct pd_secret k = fixed_secret("0123456789abcdef0123456789abcdef");
	char *key, *key2;

	key = token_status_key(&k, "TKT-0042");
	TEST_INT(strlen(key), 20, "status key is 20 hex");
	TEST_INT(token_check_status_key(&k, "TKT-0042", key), 1, "status key checks");
	TEST_INT(token_check_status_key(&k, "TKT-0043", key), 0, "other ref rejected");
	key2 = g_strdup(key);
	key2[0] = key2[0] == 'a' ? 'b' : 'a';
	TEST_INT(token_check_status_key(&k, "TKT-0042", key2), 0, "forged key rejected");
	TEST_INT(token_check_status_key(&k, "TKT-0042", ""), 0, "empty key rejected");
	TEST_INT(token_check_status_key(&k, "TKT-0042", NULL), 0, "NULL key rejected");
	g_free(key2);
	key2 = token_status_key(&k, "TKT-0042");
	TEST_STR(key2, key, "status key is stable");
	g_free(key2);
	g_free(key);
	token_secret_clear(&k);
}

static void
test_staff_addresses(void)
{
	struct pd_secret k = fixed_secret("0123456789abcdef0123456789abcdef");
	char *addr, *ref, *low;

	addr = token_staff_address(&k, "support@example.com", "TKT-0042",
	    "Alice@Example.com");
	TEST_OK(g_str_has_prefix(addr, "support+TKT-0042.") &&
	    g_str_has_suffix(addr, "@example.com") &&
	    strlen(addr) == strlen("support+TKT-0042.@example.com") + 16,
	    "staff address shape: %s", addr);
	ref = NULL;
	TEST_INT(token_check_staff_address(&k, addr, "alice@example.com", &ref), 1,
	    "staff address checks");
	TEST_STR(ref, "TKT-0042", "staff address ref");
	g_free(ref);
	low = g_ascii_strdown(addr, -1);
	ref = NULL;
	TEST_INT(token_check_staff_address(&k, low, "ALICE@example.com", &ref), 1,
	    "lower-cased staff address checks");
	TEST_STR(ref, "TKT-0042", "ref upper-cased again");
	g_free(ref);
	g_free(low);
	TEST_INT(token_check_staff_address(&k, addr, "bob@example.com", NULL), 0,
	    "wrong staff rejected");
	low = g_strdup(addr);
	low[15] = '3';
	TEST_INT(token_check_staff_address(&k, low, "alice@example.com", NULL), 0,
	    "tampered ref rejected (%s)", low);
	g_free(low);
	TEST_INT(token_check_staff_address(&k, "support@example.com",
	    "alice@example.com", NULL), 0, "plain queue address rejected");
	TEST_INT(token_check_staff_address(&k, "support+TKT-0042@example.com",
	    "alice@example.com", NULL), 0, "plus ref without MAC rejected");
	g_free(addr);

	/* a queue address that already has a plus part is rebased */
	addr = token_staff_address(&k, "help+x@example.org", "TKT-7", "a@b.c");
	TEST_OK(g_str_has_prefix(addr, "help+TKT-7."), "rebased: %s", addr);
	TEST_INT(token_check_staff_address(&k, addr, "a@b.c", NULL), 1,
	    "rebased address checks");
	g_free(addr);

	TEST_INT(token_equal("abc", "abc"), 1, "equal");
	TEST_INT(token_equal("abc", "abd"), 0, "differ");
	TEST_INT(token_equal("abc", "abcd"), 0, "length differs");
	TEST_INT(token_equal(NULL, "a"), 0, "NULL");
	token_secret_clear(&k);
}

/* Form tokens bind the ticket and the agent and expire; list keys bind
 * the address and expire. */
static void
test_form_tokens(void)
{
	struct pd_secret k = fixed_secret("0123456789abcdef0123456789abcdef");
	struct pd_secret other = fixed_secret("fedcba9876543210fedcba9876543210");
	gint64 now = 1800000000;
	char *tok = token_form(&k, "Alice@Example.com", "tkt-0042", now), *key, *bad;

	TEST_OK(g_str_has_prefix(tok, "1800000000.") && strlen(tok) == 11 + 32,
	    "form token shape: %s", tok);
	TEST_INT(token_check_form(&k, tok, "alice@example.com", "TKT-0042", now + 60, 3600), 1,
	    "form token checks (any case)");
	TEST_INT(token_check_form(&k, tok, "bob@example.com", "TKT-0042", now, 3600), 0,
	    "another agent refused");
	TEST_INT(token_check_form(&k, tok, "alice@example.com", "TKT-0043", now, 3600), 0,
	    "another ticket refused");
	TEST_INT(token_check_form(&k, tok, "", "TKT-0042", now, 3600), 0,
	    "the customer's form is not the agent's");
	TEST_INT(token_check_form(&k, tok, "alice@example.com", "TKT-0042", now + 3601, 3600),
	    0, "expired token refused");
	TEST_INT(token_check_form(&other, tok, "alice@example.com", "TKT-0042", now, 3600), 0,
	    "another secret refused");
	bad = g_strdup(tok);
	bad[0] = '2';		/* the time changed, the MAC not */
	TEST_INT(token_check_form(&k, bad, "alice@example.com", "TKT-0042", 2800000000, 3600),
	    0, "changed time refused");
	TEST_INT(token_check_form(&k, "", "alice@example.com", "TKT-0042", now, 3600), 0,
	    "empty refused");
	TEST_INT(token_check_form(&k, NULL, "alice@example.com", "TKT-0042", now, 3600), 0,
	    "NULL refused");
	g_free(bad);
	g_free(tok);

	key = token_list_key(&k, "Jane@Example.ORG", now + 86400);
	TEST_INT(token_check_list_key(&k, key, "jane@example.org", now), 1, "list key checks");
	TEST_INT(token_check_list_key(&k, key, "jane@example.org", now + 86401), 0,
	    "list key expires");
	TEST_INT(token_check_list_key(&k, key, "john@example.org", now), 0,
	    "list key of another address refused");
	g_free(key);
	token_secret_clear(&k);
	token_secret_clear(&other);
}

int
main(void)
{
	test_form_tokens();
	test_secret_file();
	test_message_ids();
	test_status_keys();
	test_staff_addresses();
	return test_done();
}

/* test_util.c: the small helpers of util.c, table by table. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "src/util.h"

static void
test_duration(void)
{
	static const struct {
		const char *in;
		int rc;
		gint64 secs;
	} rows[] = {
		{ "90s", 0, 90 }, { "15m", 0, 900 }, { "4h", 0, 14400 },
		{ "3d", 0, 259200 }, { "2w", 0, 1209600 }, { "60", 0, 60 },
		{ "0", 0, 0 }, { "0s", 0, 0 }, { "5M", 0, 300 }, { "1H", 0, 3600 },
		{ " 5m", 0, 300 }, { "10 s", 0, 10 },
		{ "1073741823", 0, 1073741823LL },
		{ "1073741823w", 0, 1073741823LL * 604800 },
		{ "", -1, 0 }, { "s", -1, 0 }, { "x", -1, 0 }, { "-5", -1, 0 },
		{ "+5", -1, 0 }, { "5x", -1, 0 }, { "5mm", -1, 0 },
		{ "5b", -1, 0 }, { "5sb", -1, 0 }, { "1.5h", -1, 0 },
		{ "7 days", -1, 0 }, { "1073741824", 0, 1073741824LL },
		{ "9223372036854775807", 0, 9223372036854775807LL }, { "9223372036854775808", -1, 0 }, { "10bb", -1, 0 }, { "10M ", 0, 600 },
		{ "99999999999999999999999", -1, 0 },
	};
	size_t i;
	gint64 v;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		int rc;

		v = -1;
		rc = util_parse_duration(rows[i].in, &v);
		TEST_INT(rc, rows[i].rc, "duration \"%s\" rc", rows[i].in);
		if (rows[i].rc == 0)
			TEST_INT(v, rows[i].secs, "duration \"%s\"", rows[i].in);
		else
			TEST_INT(v, -1, "duration \"%s\" leaves the result",
			    rows[i].in);
	}
	TEST_INT(util_parse_duration(NULL, &v), -1, "duration NULL");
}

static void
test_size(void)
{
	static const struct {
		const char *in;
		int rc;
		gint64 bytes;
	} rows[] = {
		{ "50M", 0, 52428800 }, { "10k", 0, 10240 }, { "10K", 0, 10240 },
		{ "1G", 0, 1073741824LL }, { "512", 0, 512 }, { "7b", 0, 7 },
		{ "7B", 0, 7 }, { "10MB", 0, 10485760 }, { "10kb", 0, 10240 },
		{ "1m", 0, 1048576 }, { "0", 0, 0 }, { " 2k", 0, 2048 },
		{ "1073741823g", 0, 1073741823LL * 1073741824LL },
		{ "10Q", -1, 0 }, { "M", -1, 0 }, { "", -1, 0 },
		{ "1.5M", -1, 0 }, { "-1", -1, 0 }, { "10MBx", -1, 0 },
		{ "10MiB", -1, 0 }, { "10T", -1, 0 }, { "1073741824", 0, 1073741824LL }, { "10bb", -1, 0 }, { "8589934592g", -1, 0 }, { "10M ", 0, 10485760 },
		{ "18446744073709551616", -1, 0 },
	};
	size_t i;
	gint64 v;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		int rc;

		v = -1;
		rc = util_parse_size(rows[i].in, &v);
		TEST_INT(rc, rows[i].rc, "size \"%s\" rc", rows[i].in);
		if (rows[i].rc == 0)
			TEST_INT(v, rows[i].bytes, "size \"%s\"", rows[i].in);
	}
	TEST_INT(util_parse_size(NULL, &v), -1, "size NULL");
}

static void
test_rfc3339(void)
{
	static const struct {
		gint64 t;
		const char *out;
	} rows[] = {
		{ 0, NULL },
		{ 1, "1970-01-01T00:00:01Z" },
		{ 1700000000, "2023-11-14T22:13:20Z" },
		{ 1795313224, "2026-11-22T02:07:04Z" },
		{ 4102444800LL, "2100-01-01T00:00:00Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *s = util_rfc3339(rows[i].t);
		TEST_STR(s, rows[i].out, "rfc3339(%lld)", (long long)rows[i].t);
		g_free(s);
	}
}

static void
test_addr_normalize(void)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "Alice@Example.COM", "alice@example.com" },
		{ "  bob@example.com \t", "bob@example.com" },
		{ "Alice Smith <Alice@Example.com>", "alice@example.com" },
		{ "\"Smith, Alice\" <alice@x.org>", "alice@x.org" },
		{ "<support+TKT-0042@Example.com>", "support+tkt-0042@example.com" },
		{ "< carol@x.org >", "carol@x.org" },
		{ "", "" },
		{ NULL, NULL },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *s = util_addr_normalize(rows[i].in);
		TEST_STR(s, rows[i].out, "addr_normalize(%s)",
		    rows[i].in ? rows[i].in : "NULL");
		g_free(s);
	}
}

static void
test_printable(void)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} rows[] = {
		{ "abc", 10, "abc" },
		{ "a\nb\r\tc", 10, "a?b??c" },
		{ "abcdef", 3, "abc..." },
		{ "abc", 3, "abc" },
		{ "\x1b[31mred", 20, "?[31mred" },
		{ "del\x7f", 10, "del?" },
		{ "caf\xc3\xa9", 10, "caf\xc3\xa9" },
		{ "", 5, "" },
		{ "x", 0, "..." },
		{ NULL, 5, "(null)" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *s = util_printable(rows[i].in, rows[i].max);
		TEST_STR(s, rows[i].out, "printable row %zu", i);
		g_free(s);
	}
}

static void
test_now(void)
{
	static const struct {
		const char *env;
		gint64 want;		/* -1: the real clock */
	} rows[] = {
		{ "1700000000", 1700000000 },
		{ "0", 0 },
		{ "2026-11-22T02:07:04Z", 1795313224 },
		{ "2026-11-22T03:07:04+01:00", 1795313224 },
		{ "garbage", -1 },
		{ "", -1 },
		{ NULL, -1 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		gint64 before, got, after;

		if (rows[i].env)
			setenv("POSTDESK_NOW", rows[i].env, 1);
		else
			unsetenv("POSTDESK_NOW");
		before = (gint64)time(NULL);
		got = util_now();
		after = (gint64)time(NULL);
		if (rows[i].want >= 0)
			TEST_INT(got, rows[i].want, "now with POSTDESK_NOW=%s",
			    rows[i].env);
		else
			TEST_OK(got >= before && got <= after,
			    "now with POSTDESK_NOW=%s is the clock",
			    rows[i].env ? rows[i].env : "(unset)");
	}
	unsetenv("POSTDESK_NOW");
}

static void
test_sha256(void)
{
	char *s = util_sha256_hex("abc", 3);

	TEST_STR(s, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "sha256(abc)");
	g_free(s);
	s = util_sha256_hex("", 0);
	TEST_STR(s, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "sha256(empty)");
	g_free(s);
}

static void
test_files(void)
{
	char *tmpl = g_build_filename(g_get_tmp_dir(), "pdutil-XXXXXX", NULL);
	char *dir = g_mkdtemp(tmpl);
	char *path = g_build_filename(dir, "f", NULL);
	char *deep = g_build_filename(dir, "a", "b", "c", NULL);
	char *nodir = g_build_filename(dir, "missing", "f", NULL);
	char *want_err;
	static const char data[] = "hello\0world";
	GByteArray *got = NULL;
	char *err = NULL;
	struct stat st;
	int rc, fds[2], too_big = -1;
	GDir *d;

	rc = util_write_file_atomic(path, data, sizeof data - 1, 0600, &err);
	TEST_INT(rc, 0, "write_file_atomic");
	TEST_INT(stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1, 0600,
	    "written with mode 0600");
	rc = util_read_file(path, 0, &got, &err);
	TEST_INT(rc, 0, "read_file back");
	TEST_OK(got && got->len == sizeof data - 1 &&
	    memcmp(got->data, data, got->len) == 0, "round trip, NUL kept");
	if (got)
		g_byte_array_unref(got);
	got = NULL;
	rc = util_read_file(path, sizeof data - 1, &got, &err);
	TEST_INT(rc, 0, "read_file at exactly max");
	if (got)
		g_byte_array_unref(got);
	got = NULL;

	rc = util_read_file(path, 4, &got, &err);
	TEST_INT(rc, -1, "read_file over max refused");
	TEST_OK(got == NULL, "no data when refused");
	want_err = g_strdup_printf("%s: larger than 4 bytes", path);
	TEST_STR(err, want_err, "over max error");
	g_free(want_err);
	g_free(err);
	err = NULL;

	rc = util_write_file_atomic(path, "new", 3, 0600, &err);
	TEST_INT(rc, 0, "atomic overwrite");
	rc = util_read_file(path, 0, &got, &err);
	TEST_OK(rc == 0 && got->len == 3 && memcmp(got->data, "new", 3) == 0,
	    "overwrite replaced the content");
	if (got)
		g_byte_array_unref(got);
	got = NULL;

	rc = util_write_file_atomic(nodir, "x", 1, 0600, &err);
	TEST_INT(rc, -1, "write into a missing folder fails");
	want_err = g_strdup_printf("%s: No such file or directory", nodir);
	TEST_STR(err, want_err, "its error");
	g_free(want_err);
	g_free(err);
	err = NULL;
	rc = util_read_file(nodir, 0, &got, &err);
	TEST_INT(rc, -1, "read of a missing file fails");
	want_err = g_strdup_printf("%s: No such file or directory", nodir);
	TEST_STR(err, want_err, "its error");
	g_free(want_err);
	g_free(err);
	err = NULL;

	rc = util_mkdirs(deep, 0700, &err);
	TEST_INT(rc, 0, "mkdirs");
	TEST_OK(g_file_test(deep, G_FILE_TEST_IS_DIR), "mkdirs made it");
	rc = util_mkdirs(deep, 0700, &err);
	TEST_INT(rc, 0, "mkdirs again is fine");

	/* read_fd with a limit: the rest is drained and flagged. */
	if (pipe(fds) == 0) {
		TEST_INT(write(fds[1], "0123456789", 10), 10, "pipe write");
		close(fds[1]);
		rc = util_read_fd(fds[0], 4, &got, &too_big, &err);
		close(fds[0]);
		TEST_INT(rc, 0, "read_fd");
		TEST_INT(too_big, 1, "read_fd too_big");
		TEST_OK(got && got->len == 4 && memcmp(got->data, "0123", 4) == 0,
		    "read_fd keeps max bytes");
		if (got)
			g_byte_array_unref(got);
		got = NULL;
	}

	/* No temporary file left behind: only f and a/. */
	rc = 0;
	if ((d = g_dir_open(dir, 0, NULL)) != NULL) {
		while (g_dir_read_name(d))
			rc++;
		g_dir_close(d);
	}
	TEST_INT(rc, 2, "no temporary files left");

	unlink(path);
	rmdir(deep);
	*strrchr(deep, '/') = '\0';
	rmdir(deep);
	*strrchr(deep, '/') = '\0';
	rmdir(deep);
	rmdir(dir);
	g_free(path);
	g_free(deep);
	g_free(nodir);
	g_free(dir);
}

/* util_sha256_hex (SHA extensions where the CPU has them) against
 * GLib's portable SHA-256: every length
 * around the padding's block edges, and a large unaligned buffer. */
static void
test_sha256_edges(void)
{
	guint8 *buf = g_malloc(70000);
	int bad = 0;
	char *h;

	for (size_t i = 0; i < 70000; i++)
		buf[i] = (guint8)(i * 2654435761u >> 13);
	for (size_t len = 0; len <= 300; len++) {
		char *a = util_sha256_hex(buf + 1, len);
		char *b = g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf + 1, len);

		if (strcmp(a, b) != 0 && bad++ == 0)
			printf("# sha256 differs at length %zu\n", len);
		g_free(a);
		g_free(b);
	}
	TEST_INT(bad, 0, "sha256 of 0-300 bytes as GLib's");
	h = util_sha256_hex(buf + 3, 69997);
	{
		char *b = g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf + 3, 69997);

		TEST_STR(h, b, "sha256 of 69997 unaligned bytes as GLib's");
		g_free(b);
	}
	g_free(h);
	g_free(buf);
}

int
main(void)
{
	test_duration();
	test_sha256_edges();
	test_size();
	test_rfc3339();
	test_addr_normalize();
	test_printable();
	test_now();
	test_sha256();
	test_files();
	return test_done();
}

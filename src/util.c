/* util.c: time, sizes, hashing and file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static GRegexCompileFlags regex_flags = G_REGEX_OPTIMIZE;

GRegexCompileFlags
util_regex_flags(void)
{
	return regex_flags;
}

void
util_set_regex_jit(int on)
{
	regex_flags = on ? G_REGEX_OPTIMIZE : 0;
}

gint64
util_now(void)
{
	const char *env = getenv("POSTDESK_NOW");

	if (env && *env) {
		char *end;
		gint64 v = g_ascii_strtoll(env, &end, 10);
		if (*end == '\0')
			return v;
		GDateTime *dt = g_date_time_new_from_iso8601(env, NULL);
		if (dt) {
			v = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
			return v;
		}
	}
	return g_get_real_time() / G_USEC_PER_SEC;
}

static int
parse_scaled(const char *s, const char *units, const gint64 *mult, gint64 *r)
{
	char *end;
	guint64 v;
	const char *u;

	if (s == NULL)
		return -1;
	while (g_ascii_isspace(*s))
		s++;
	if (!g_ascii_isdigit(*s))
		return -1;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno != 0 || v > (guint64)G_MAXINT64)
		return -1;
	while (g_ascii_isspace(*end))
		end++;
	if (*end == '\0') {
		*r = (gint64)v;
		return 0;
	}
	u = strchr(units, g_ascii_tolower(*end));
	if (u == NULL)
		return -1;
	end++;
	/* "10MB" as well as "10M", but not "10bb". */
	if (g_ascii_tolower(*end) == 'b' && u != units && strchr(units, 'b') != NULL)
		end++;
	while (g_ascii_isspace(*end))
		end++;
	if (*end != '\0' || v > (guint64)(G_MAXINT64 / mult[u - units]))
		return -1;
	*r = (gint64)v * mult[u - units];
	return 0;
}

int
util_parse_duration(const char *s, gint64 *secs_r)
{
	static const gint64 mult[] = { 1, 60, 3600, 86400, 604800 };

	if (s && strchr(s, 'b'))
		return -1;
	return parse_scaled(s, "smhdw", mult, secs_r);
}

int
util_parse_size(const char *s, gint64 *bytes_r)
{
	static const gint64 mult[] = { 1, 1024, 1024 * 1024, 1024 * 1024 * 1024 };

	return parse_scaled(s, "bkmg", mult, bytes_r);
}

char *
util_rfc3339(gint64 t)
{
	GDateTime *dt;
	char *s;

	if (t == 0)
		return NULL;
	dt = g_date_time_new_from_unix_utc(t);
	if (dt == NULL)
		return NULL;
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * SHA-256 with the x86 SHA extensions: every mail is hashed once on
 * intake, and GLib's portable code takes longer than the rest of a
 * small mail's parse.  Same digest; used when the CPU has them.
 */
static const guint32 sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,sse4.1")))
static void
sha256_ni_blocks(guint32 state[8], const guint8 *data, size_t blocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, tmp, msg, w[4], abef, cdgh;

	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xb1);
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1b);
	s0 = _mm_alignr_epi8(tmp, s1, 8);	/* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);	/* CDGH */
	for (; blocks > 0; blocks--, data += 64) {
		abef = s0;
		cdgh = s1;
		for (int g = 0; g < 16; g++) {
			if (g < 4)
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(data + 16 * g)), mask);
			else
				w[g & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(
				    _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]),
				    _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4)),
				    w[(g + 3) & 3]);
			msg = _mm_add_epi32(w[g & 3],
			    _mm_loadu_si128((const __m128i *)&sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0e));
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	tmp = _mm_shuffle_epi32(s0, 0x1b);	/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);	/* DCHG */
	_mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, s1, 0xf0));
	_mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(s1, tmp, 8));
}

static int
sha256_ni_usable(void)
{
	static int usable = -1;
	unsigned a, b, c, d;

	if (usable < 0) {
		usable = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) &&
		    (c & bit_SSSE3) && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
		    (b & bit_SHA);
	}
	return usable;
}

static char *
sha256_ni_hex(const void *buf, size_t len)
{
	guint32 st[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
	    0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	guint8 tail[128];
	size_t full = len / 64, rest = len % 64, tlen;
	guint64 bits = (guint64)len * 8;
	char *hex = g_malloc(65);

	sha256_ni_blocks(st, buf, full);
	memset(tail, 0, sizeof tail);
	if (rest)
		memcpy(tail, (const guint8 *)buf + full * 64, rest);
	tail[rest] = 0x80;
	tlen = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (guint8)(bits >> (8 * i));
	sha256_ni_blocks(st, tail, tlen / 64);
	for (int i = 0; i < 8; i++)
		g_snprintf(hex + 8 * i, 9, "%08x", st[i]);
	return hex;
}
#endif

char *
util_sha256_hex(const void *buf, size_t len)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (sha256_ni_usable())
		return sha256_ni_hex(buf, len);
#endif
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, len);
}

char *
util_printable(const char *s, size_t max)
{
	GString *out;
	size_t i;

	if (s == NULL)
		return g_strdup("(null)");
	out = g_string_sized_new(MIN(strlen(s), max) + 4);
	for (i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		g_string_append_c(out, (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
	if (s[i])
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

char *
util_addr_normalize(const char *addr)
{
	const char *lt, *gt;
	char *s;

	if (addr == NULL)
		return NULL;
	lt = strrchr(addr, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		s = g_strndup(lt + 1, (gsize)(gt - lt - 1));
	else
		s = g_strdup(addr);
	g_strstrip(s);
	for (char *p = s; *p; p++)
		*p = g_ascii_tolower(*p);
	return s;
}

int
util_read_fd(int fd, size_t max, GByteArray **data_r, int *too_big_r,
    char **error_r)
{
	GByteArray *a = g_byte_array_new();
	char buf[65536];
	ssize_t n;

	if (too_big_r)
		*too_big_r = 0;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = g_strdup_printf("read: %s", g_strerror(errno));
			g_byte_array_unref(a);
			return -1;
		}
		if (max && a->len + (size_t)n > max) {
			if (too_big_r)
				*too_big_r = 1;
			if (a->len < max)
				g_byte_array_append(a, (guint8 *)buf, (guint)(max - a->len));
			continue;
		}
		g_byte_array_append(a, (guint8 *)buf, (guint)n);
	}
	*data_r = a;
	return 0;
}

int
util_read_file(const char *path, size_t max, GByteArray **data_r,
    char **error_r)
{
	int fd, too_big, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	rc = util_read_fd(fd, max, data_r, &too_big, error_r);
	close(fd);
	if (rc == 0 && too_big) {
		g_byte_array_unref(*data_r);
		*data_r = NULL;
		*error_r = g_strdup_printf("%s: larger than %zu bytes", path, max);
		return -1;
	}
	return rc;
}

int
util_write_file_atomic(const char *path, const void *buf, size_t len,
    int mode, char **error_r)
{
	return util_write_file(path, buf, len, mode, 1, error_r);
}

static int
write_all_fd(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The bytes go into a file without a name (O_TMPFILE) that is linked
 * in once complete: a process killed while writing (a deliver stopped
 * by the MTA's timeout) leaves nothing behind, where a named temporary
 * file would stay for ever (issue 8).  A file system without O_TMPFILE
 * gets the named temporary file.  A path that exists is replaced: the
 * complete file is linked under a temporary name and renamed over it,
 * so that name exists only between the two calls.
 */
int
util_write_file(const char *path, const void *buf, size_t len, int mode, int sync,
    char **error_r)
{
	char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
	char *dir = g_path_get_dirname(path);
	int fd, named = 0, e;

	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		named = 1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	}
	if (fd < 0)
		goto fail;
	if (write_all_fd(fd, buf, len) < 0 || (sync && fsync(fd) < 0))
		goto fail_close;
	if (!named) {
		char proc[64];

		/* linkat(fd, "", ..., AT_EMPTY_PATH) would need
		 * CAP_DAC_READ_SEARCH; the /proc link is open(2)'s way */
		g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
			goto linked;
		if (errno != EEXIST || linkat(AT_FDCWD, proc, AT_FDCWD, tmp,
		    AT_SYMLINK_FOLLOW) < 0)
			goto fail_close;
		named = 1;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
linked:
	if (fd >= 0 && close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	g_free(tmp);
	/* The link or the rename itself must survive a crash. */
	if (sync) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	g_free(dir);
	return 0;
fail_close:
	e = errno;
	close(fd);
	errno = e;
fail:
	e = errno;
	*error_r = g_strdup_printf("%s: %s", path, g_strerror(e));
	if (named)
		unlink(tmp);
	g_free(tmp);
	g_free(dir);
	return -1;
}

int
util_mkdirs(const char *path, int mode, char **error_r)
{
	if (g_mkdir_with_parents(path, mode) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	return 0;
}

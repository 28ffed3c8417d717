/* token.c: everything signed with the secret key.
 *
 * Message-ID	"REF.RANDOM.MAC@domain", MAC = HMAC("msgid:" REF "." RANDOM)
 * status key	HMAC("status:" REF), 20 hex
 * staff reply	"local+REF.MAC@domain", MAC = HMAC("staff:" email ":" REF)
 *
 * MACs are the first hex digits of HMAC-SHA256 with the secret file as
 * key.  Refs enter the staff and status MACs upper-cased: mail addresses
 * reach us lower-cased after normalization. */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "token.h"

#define SECRET_LEN	32
#define SECRET_MAX	4096
#define RANDOM_HEX	16
#define MSGID_MAC_HEX	16
#define STATUS_HEX	20
#define STAFF_MAC_HEX	16
#define FORM_MAC_HEX	32

/* getrandom(2) until buf is full; it only fails on a broken kernel. */
static int
fill_random(void *buf, size_t len)
{
	guint8 *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
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

static char *
hex_encode(const guint8 *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = g_malloc(len * 2 + 1);

	for (size_t i = 0; i < len; i++) {
		s[i * 2] = digits[buf[i] >> 4];
		s[i * 2 + 1] = digits[buf[i] & 0xf];
	}
	s[len * 2] = '\0';
	return s;
}

static int
is_hex_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return 0;
	return 1;
}

/* First n hex digits of HMAC-SHA256(secret, data). */
static char *
mac_hex(const struct pd_secret *secret, const char *data, size_t n)
{
	char *full, *s;

	full = g_compute_hmac_for_data(G_CHECKSUM_SHA256, secret->key,
	    secret->len, (const guchar *)data, strlen(data));
	s = g_strndup(full, n);
	g_free(full);
	return s;
}

int
token_equal(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char d = 0;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return 0;
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/* Case-insensitive variant for MACs that went through lower-casing. */
static int
mac_equal(const char *want, const char *got)
{
	char *g = g_ascii_strdown(got, -1);
	int r = token_equal(want, g);

	g_free(g);
	return r;
}

int
token_create_secret(const char *path, char **error_r)
{
	guint8 key[SECRET_LEN];
	char *hex, *line;
	size_t len, off = 0;
	ssize_t n;
	int fd;

	if (fill_random(key, sizeof(key)) == -1) {
		*error_r = g_strdup_printf("getrandom: %s", g_strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		*error_r = g_strdup_printf("secret_file %s: %s", path,
		    g_strerror(errno));
		explicit_bzero(key, sizeof(key));
		return -1;
	}
	hex = hex_encode(key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	line = g_strconcat(hex, "\n", NULL);
	explicit_bzero(hex, strlen(hex));
	g_free(hex);
	len = strlen(line);
	/* umask may not clear what we want cleared; say it explicitly */
	if (fchmod(fd, 0600) == -1)
		goto fail;
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	explicit_bzero(line, len);
	g_free(line);
	return 0;
fail:
	*error_r = g_strdup_printf("secret_file %s: %s", path, g_strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(path);
	explicit_bzero(line, len);
	g_free(line);
	return -1;
}

/* The file holds 64 hex digits (as token_create_secret writes) or raw
 * key bytes; anything readable by group or others is refused, as msmtp
 * refuses its password file. */
int
token_load_secret(const char *path, struct pd_secret *secret_r, char **error_r)
{
	guint8 buf[SECRET_MAX + 1];
	struct stat st;
	size_t len = 0, end;
	ssize_t n;
	int fd;

	secret_r->key = NULL;
	secret_r->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		*error_r = g_strdup_printf("secret_file %s: %s", path,
		    g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		*error_r = g_strdup_printf("secret_file %s: %s", path,
		    g_strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("secret_file %s is not a regular file",
		    path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*error_r = g_strdup_printf("secret_file %s is %s by others "
		    "(mode %04o): chmod 600 it", path,
		    (st.st_mode & 044) ? "readable" : "writable",
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = g_strdup_printf("secret_file %s: %s", path,
			    g_strerror(errno));
			close(fd);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > SECRET_MAX) {
		*error_r = g_strdup_printf("secret_file %s is larger than %d bytes",
		    path, SECRET_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	end = len;
	while (end > 0 && g_ascii_isspace(buf[end - 1]))
		end--;
	if (end >= 32 && end % 2 == 0 && is_hex_n((const char *)buf, end)) {
		secret_r->len = end / 2;
		secret_r->key = g_malloc(secret_r->len);
		for (size_t i = 0; i < secret_r->len; i++)
			secret_r->key[i] = (guint8)(
			    g_ascii_xdigit_value(buf[i * 2]) << 4 |
			    g_ascii_xdigit_value(buf[i * 2 + 1]));
	} else if (len >= 16) {
		secret_r->len = len;
		secret_r->key = g_memdup2(buf, len);
	} else {
		*error_r = g_strdup_printf("secret_file %s is too short "
		    "(run postdesk init)", path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

void
token_secret_clear(struct pd_secret *secret)
{
	if (secret == NULL)
		return;
	if (secret->key != NULL) {
		explicit_bzero(secret->key, secret->len);
		g_free(secret->key);
	}
	secret->key = NULL;
	secret->len = 0;
}

char *
token_message_id(const struct pd_secret *secret, const char *ref,
    const char *domain)
{
	guint8 rnd[RANDOM_HEX / 2];
	char *random, *data, *mac, *id;

	if (ref == NULL || *ref == '\0')
		ref = "X";
	if (fill_random(rnd, sizeof(rnd)) == -1)
		g_error("getrandom: %s", g_strerror(errno));
	random = hex_encode(rnd, sizeof(rnd));
	data = g_strconcat("msgid:", ref, ".", random, NULL);
	mac = mac_hex(secret, data, MSGID_MAC_HEX);
	id = g_strdup_printf("%s.%s.%s@%s", ref, random, mac,
	    domain ? domain : "localhost");
	g_free(random);
	g_free(data);
	g_free(mac);
	return id;
}

/* Split "<REF.RANDOM.MAC@domain>" into its parts; 0 when the shape is
 * wrong.  The fixed-width random and MAC are found from the right, so
 * a ref may itself contain dots. */
static int
msgid_split(const char *msgid, char **ref_r, char **random_r, char **mac_r,
    char **domain_r)
{
	const char *s = msgid, *at, *mac, *rnd;
	size_t len;

	if (s == NULL)
		return 0;
	while (g_ascii_isspace(*s))
		s++;
	if (*s == '<')
		s++;
	len = strlen(s);
	while (len > 0 && (g_ascii_isspace(s[len - 1]) || s[len - 1] == '>'))
		len--;
	at = memchr(s, '@', len);
	if (at == NULL || at == s + len - 1)
		return 0;
	/* local part: REF "." 16 hex "." 16 hex */
	if ((size_t)(at - s) < 1 + 1 + RANDOM_HEX + 1 + MSGID_MAC_HEX)
		return 0;
	mac = at - MSGID_MAC_HEX;
	rnd = mac - 1 - RANDOM_HEX;
	if (mac[-1] != '.' || rnd[-1] != '.' || !is_hex_n(mac, MSGID_MAC_HEX) ||
	    !is_hex_n(rnd, RANDOM_HEX))
		return 0;
	if (ref_r)
		*ref_r = g_strndup(s, (gsize)(rnd - 1 - s));
	if (random_r)
		*random_r = g_strndup(rnd, RANDOM_HEX);
	if (mac_r)
		*mac_r = g_strndup(mac, MSGID_MAC_HEX);
	if (domain_r)
		*domain_r = g_strndup(at + 1, (gsize)(s + len - at - 1));
	return 1;
}

int
token_check_message_id(const struct pd_secret *secret, const char *msgid,
    char **ref_r)
{
	char *ref, *random, *mac, *data, *want;
	int ok;

	if (ref_r)
		*ref_r = NULL;
	if (secret == NULL || secret->key == NULL)
		return 0;
	if (!msgid_split(msgid, &ref, &random, &mac, NULL))
		return 0;
	data = g_strconcat("msgid:", ref, ".", random, NULL);
	want = mac_hex(secret, data, MSGID_MAC_HEX);
	ok = mac_equal(want, mac);
	if (ok && ref_r && strcmp(ref, "X") != 0) {
		*ref_r = ref;
		ref = NULL;
	}
	g_free(ref);
	g_free(random);
	g_free(mac);
	g_free(data);
	g_free(want);
	return ok;
}

int
token_looks_like_ours(const char *msgid, const char *domain)
{
	char *d;
	int ok;

	if (!msgid_split(msgid, NULL, NULL, NULL, &d))
		return 0;
	ok = domain == NULL || g_ascii_strcasecmp(d, domain) == 0;
	g_free(d);
	return ok;
}

char *
token_status_key(const struct pd_secret *secret, const char *ref)
{
	char *up = g_ascii_strup(ref ? ref : "", -1);
	char *data = g_strconcat("status:", up, NULL);
	char *key = mac_hex(secret, data, STATUS_HEX);

	g_free(up);
	g_free(data);
	return key;
}

int
token_check_status_key(const struct pd_secret *secret, const char *ref,
    const char *key)
{
	char *want;
	int ok;

	if (secret == NULL || secret->key == NULL || ref == NULL || key == NULL)
		return 0;
	want = token_status_key(secret, ref);
	ok = mac_equal(want, key);
	g_free(want);
	return ok;
}

static char *
staff_mac(const struct pd_secret *secret, const char *ref,
    const char *staff_email)
{
	char *email = g_ascii_strdown(staff_email, -1);
	char *up = g_ascii_strup(ref, -1);
	char *data = g_strconcat("staff:", email, ":", up, NULL);
	char *mac = mac_hex(secret, data, STAFF_MAC_HEX);

	g_free(email);
	g_free(up);
	g_free(data);
	return mac;
}

char *
token_staff_address(const struct pd_secret *secret, const char *queue_addr,
    const char *ref, const char *staff_email)
{
	const char *at, *plus;
	char *mac, *addr;
	size_t local_len;

	at = strrchr(queue_addr, '@');
	local_len = at ? (size_t)(at - queue_addr) : strlen(queue_addr);
	plus = memchr(queue_addr, '+', local_len);
	if (plus)
		local_len = (size_t)(plus - queue_addr);
	mac = staff_mac(secret, ref, staff_email);
	addr = g_strdup_printf("%.*s+%s.%s%s", (int)local_len, queue_addr,
	    ref, mac, at ? at : "");
	g_free(mac);
	return addr;
}

int
token_check_staff_address(const struct pd_secret *secret, const char *addr,
    const char *staff_email, char **ref_r)
{
	const char *at, *plus, *mac;
	char *ref, *want, *got;
	int ok;

	if (ref_r)
		*ref_r = NULL;
	if (secret == NULL || secret->key == NULL || addr == NULL ||
	    staff_email == NULL)
		return 0;
	at = strrchr(addr, '@');
	if (at == NULL)
		at = addr + strlen(addr);
	plus = memchr(addr, '+', (size_t)(at - addr));
	if (plus == NULL)
		return 0;
	/* plus part: REF "." 16 hex */
	if ((size_t)(at - plus) < 1 + 1 + 1 + STAFF_MAC_HEX)
		return 0;
	mac = at - STAFF_MAC_HEX;
	if (mac[-1] != '.' || !is_hex_n(mac, STAFF_MAC_HEX))
		return 0;
	ref = g_strndup(plus + 1, (gsize)(mac - 1 - plus - 1));
	got = g_strndup(mac, STAFF_MAC_HEX);
	want = staff_mac(secret, ref, staff_email);
	ok = mac_equal(want, got);
	if (ok && ref_r) {
		*ref_r = g_ascii_strup(ref, -1);
	}
	g_free(ref);
	g_free(got);
	g_free(want);
	return ok;
}

/* "what:ISSUED:subject", signed: the form and link tokens below. */
static char *
timed_mac(const struct pd_secret *secret, const char *what, gint64 t, const char *subject)
{
	char *data = g_strdup_printf("%s:%" G_GINT64_FORMAT ":%s", what, t, subject);
	char *mac = mac_hex(secret, data, FORM_MAC_HEX);

	g_free(data);
	return mac;
}

/* tok is "T.MAC" for what and subject: 1 with *t_r, else 0. */
static int
timed_check(const struct pd_secret *secret, const char *what, const char *tok,
    const char *subject, gint64 *t_r)
{
	const char *dot;
	char *end, *want;
	gint64 t;
	int ok;

	if (secret == NULL || secret->key == NULL || tok == NULL || subject == NULL ||
	    strlen(tok) > 64 || (dot = strchr(tok, '.')) == NULL ||
	    strlen(dot + 1) != FORM_MAC_HEX || !is_hex_n(dot + 1, FORM_MAC_HEX) ||
	    !g_ascii_isdigit(*tok))
		return 0;
	t = g_ascii_strtoll(tok, &end, 10);
	if (end != dot || t <= 0)
		return 0;
	want = timed_mac(secret, what, t, subject);
	ok = mac_equal(want, dot + 1);
	g_free(want);
	if (ok)
		*t_r = t;
	return ok;
}

/* The form's subject: the agent (lower case) or "" and the ref (upper). */
static char *
form_subject(const char *who, const char *ref)
{
	char *w = g_ascii_strdown(who ? who : "", -1), *r = g_ascii_strup(ref ? ref : "", -1);
	char *s = g_strconcat(w, ":", r, NULL);

	g_free(w);
	g_free(r);
	return s;
}

char *
token_form(const struct pd_secret *secret, const char *who, const char *ref, gint64 now)
{
	char *subj = form_subject(who, ref), *mac = timed_mac(secret, "form", now, subj);
	char *tok = g_strdup_printf("%" G_GINT64_FORMAT ".%s", now, mac);

	g_free(subj);
	g_free(mac);
	return tok;
}

int
token_check_form(const struct pd_secret *secret, const char *tok, const char *who,
    const char *ref, gint64 now, gint64 max_age)
{
	char *subj = form_subject(who, ref);
	gint64 t = 0;
	int ok = timed_check(secret, "form", tok, subj, &t);

	g_free(subj);
	return ok && t <= now + 300 && now - t <= max_age;
}

char *
token_list_key(const struct pd_secret *secret, const char *email, gint64 expires)
{
	char *e = g_ascii_strdown(email ? email : "", -1);
	char *mac = timed_mac(secret, "list", expires, e);
	char *tok = g_strdup_printf("%" G_GINT64_FORMAT ".%s", expires, mac);

	g_free(e);
	g_free(mac);
	return tok;
}

int
token_check_list_key(const struct pd_secret *secret, const char *key, const char *email,
    gint64 now)
{
	char *e = g_ascii_strdown(email ? email : "", -1);
	gint64 expires = 0;
	int ok = timed_check(secret, "list", key, e, &expires);

	g_free(e);
	return ok && now <= expires;
}

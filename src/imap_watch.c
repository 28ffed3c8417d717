/* imap_watch.c: take mail from an IMAP folder (SPEC 2).
 *
 * One connection per mailbox, run by its own thread.  A drain lists the
 * waiting UIDs in batches of IMAP_BATCH, fetches one message at a time
 * (memory is bounded by one message) and hands it to intake_process.
 * Only after intake committed is the message flagged, moved or deleted
 * (mb->after), batch by batch; a crash in between leaves it in place and
 * the next pass sees it as a duplicate and applies the action again. */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#define IMAP_BATCH		500	/* UIDs handled per listing */
#define IMAP_TIMEOUT		30	/* seconds any one command may take */
#define IMAP_IDLE_RENEW		(25 * 60) /* RFC 2177: before the 30 min logout */
#define IMAP_RETRY_MAX		300	/* seconds between reconnects, at most */
#define IMAP_PASSWORD_MAX	4096

enum imap_after { AFTER_FLAG, AFTER_DELETE, AFTER_MOVE };

struct imap_conn {
	const struct pd_mailbox	*mb;
	mailimap		*imap;
	char			*host;
	int			 port;
	int			 tls;		/* imaps:// */
	int			 loopback;
	char			*folder;
	enum imap_after		 after;
	char			*move_to;
	int			 move_created;
	guint32			 uidvalidity;
};

/* Why a drain stopped: the server (reconnect) or intake (wait, retry). */
enum drain_fail { FAIL_NONE, FAIL_CONN, FAIL_INTAKE, FAIL_ACTION };

static int
is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	    strcmp(host, "::1") == 0;
}

/* Split mb->url and mb->after into c; g_uri_parse percent-decodes. */
static int
conn_setup(struct imap_conn *c, const struct pd_mailbox *mb, char **error_r)
{
	GUri *uri;
	GError *gerr = NULL;
	const char *scheme, *path;

	memset(c, 0, sizeof *c);
	c->mb = mb;
	uri = g_uri_parse(mb->url, G_URI_FLAGS_NONE, &gerr);
	if (uri == NULL) {
		*error_r = g_strdup_printf("bad url %s: %s", mb->url, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "imaps") == 0)
		c->tls = 1;
	else if (g_ascii_strcasecmp(scheme, "imap") != 0) {
		*error_r = g_strdup_printf("bad url %s: not imap:// or imaps://", mb->url);
		g_uri_unref(uri);
		return -1;
	}
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0') {
		*error_r = g_strdup_printf("bad url %s: no host", mb->url);
		g_uri_unref(uri);
		return -1;
	}
	c->host = g_strdup(g_uri_get_host(uri));
	c->port = g_uri_get_port(uri);
	if (c->port <= 0)
		c->port = c->tls ? 993 : 143;
	path = g_uri_get_path(uri);
	while (*path == '/')
		path++;
	c->folder = g_strdup(*path ? path : "INBOX");
	g_uri_unref(uri);
	c->loopback = is_loopback(c->host);

	if (mb->after == NULL || strcmp(mb->after, "flag") == 0)
		c->after = AFTER_FLAG;
	else if (strcmp(mb->after, "delete") == 0)
		c->after = AFTER_DELETE;
	else if (strncmp(mb->after, "move:", 5) == 0 && mb->after[5] != '\0') {
		c->after = AFTER_MOVE;
		c->move_to = g_strdup(mb->after + 5);
	} else {
		*error_r = g_strdup_printf("bad after action \"%s\"", mb->after);
		return -1;
	}
	return 0;
}

static void
conn_close(struct imap_conn *c, int polite)
{
	if (c->imap == NULL)
		return;
	if (polite)
		mailimap_logout(c->imap);
	mailimap_free(c->imap);
	c->imap = NULL;
}

static void
conn_clear(struct imap_conn *c)
{
	conn_close(c, 1);
	g_free(c->host);
	g_free(c->folder);
	g_free(c->move_to);
}

/* The server's last words, printable, for an error message. */
static char *
server_said(struct imap_conn *c, const char *what, int r)
{
	const char *resp = c->imap ? c->imap->imap_response : NULL;
	char *p, *s;

	if (r == MAILIMAP_ERROR_STREAM)
		return g_strdup_printf("%s: connection lost", what);
	if (resp == NULL || *resp == '\0')
		return g_strdup_printf("%s failed (libetpan error %d)", what, r);
	p = util_printable(resp, 200);
	s = g_strdup_printf("%s failed: %s", what, p);
	g_free(p);
	return s;
}

static int
read_password(const struct pd_mailbox *mb, char **pw_r, char **error_r)
{
	GByteArray *ba;
	struct stat st;
	char *err = NULL;
	gsize n;

	if (mb->password_file == NULL || *mb->password_file == '\0') {
		*error_r = g_strdup("no password_file");
		return -1;
	}
	if (stat(mb->password_file, &st) == 0 && (st.st_mode & 077) != 0) {
		*error_r = g_strdup_printf("%s: readable by others (chmod 600)",
		    mb->password_file);
		return -1;
	}
	if (util_read_file(mb->password_file, IMAP_PASSWORD_MAX, &ba, &err) < 0) {
		*error_r = g_strdup_printf("password_file: %s", err);
		g_free(err);
		return -1;
	}
	n = ba->len;
	while (n > 0 && (ba->data[n - 1] == '\n' || ba->data[n - 1] == '\r'))
		n--;
	*pw_r = g_strndup((const char *)ba->data, n);
	g_byte_array_unref(ba);
	return 0;
}

/* libetpan calls this before the TLS handshake: send SNI. */
static void
tls_callback(struct mailstream_ssl_context *sctx, void *arg)
{
	const char *host = arg;

	if (!g_hostname_is_ip_address(host))
		mailstream_ssl_set_server_name(sctx, (char *)host);
}

/* libetpan does not check the peer: verify the chain it saw against the
 * system trust store (or $SSL_CERT_FILE) and the host name, with GnuTLS. */
static int
tls_verify(struct imap_conn *c, char **error_r)
{
	carray *chain;
	gnutls_x509_crt_t *crts;
	gnutls_x509_trust_list_t tl;
	gnutls_datum_t out = { NULL, 0 };
	gnutls_typed_vdata_st vdata[2];
	const char *cafile = getenv("SSL_CERT_FILE");
	unsigned int i, n, status = 0;
	int ok = -1, r;

	chain = mailstream_get_certificate_chain(c->imap->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		if (chain)
			mailstream_certificate_chain_free(chain);
		*error_r = g_strdup("TLS: the server sent no certificate");
		return -1;
	}
	n = carray_count(chain);
	crts = g_new0(gnutls_x509_crt_t, n);
	for (i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str, (unsigned int)der->len };

		gnutls_x509_crt_init(&crts[i]);
		if ((r = gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER)) < 0) {
			*error_r = g_strdup_printf("TLS: bad certificate: %s",
			    gnutls_strerror(r));
			goto out;
		}
	}
	gnutls_x509_trust_list_init(&tl, 0);
	if (cafile != NULL && *cafile != '\0')
		r = gnutls_x509_trust_list_add_trust_file(tl, cafile, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		*error_r = g_strdup_printf("TLS: no trusted certificates loaded (%s)",
		    r < 0 ? gnutls_strerror(r) : "none found");
		gnutls_x509_trust_list_deinit(tl, 1);
		goto out;
	}
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)c->host;
	vdata[0].size = 0;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vdata, 2, 0, &status, NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
	if (r < 0)
		*error_r = g_strdup_printf("TLS: verification error: %s", gnutls_strerror(r));
	else if (status != 0) {
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
		    &out, 0);
		*error_r = g_strdup_printf("TLS: certificate of %s not trusted: %s",
		    c->host, out.data ? g_strstrip((char *)out.data) : "?");
		gnutls_free(out.data);
	} else
		ok = 0;
out:
	for (i = 0; i < n; i++)
		if (crts[i])
			gnutls_x509_crt_deinit(crts[i]);
	g_free(crts);
	mailstream_certificate_chain_free(chain);
	return ok;
}

/* A failed check on a loopback host is a warning: the traffic never
 * leaves the machine (a local Dovecot with its snakeoil certificate). */
static int
tls_check(struct imap_conn *c, char **error_r)
{
	char *err = NULL;

	if (tls_verify(c, &err) == 0)
		return 0;
	if (c->loopback) {
		log_debug("imap %s: %s (loopback, accepted)", c->mb->name, err);
		g_free(err);
		return 0;
	}
	*error_r = err;
	return -1;
}

static int
refresh_capabilities(struct imap_conn *c, char **error_r)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	if ((r = mailimap_capability(c->imap, &cap)) != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "CAPABILITY", r);
		return -1;
	}
	mailimap_capability_data_free(cap);
	return 0;
}

/* Connect, secure, log in and select; c->uidvalidity is set. */
static int
conn_open(struct imap_conn *c, char **error_r)
{
	struct mailimap_selection_info *sel;
	char *pw = NULL, *err;
	int r;

	if (read_password(c->mb, &pw, error_r) < 0)
		return -1;
	c->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(c->imap, IMAP_TIMEOUT);
	if (c->tls)
		r = mailimap_ssl_connect_with_callback(c->imap, c->host, c->port,
		    tls_callback, c->host);
	else
		r = mailimap_socket_connect(c->imap, c->host, c->port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		*error_r = g_strdup_printf("cannot connect to %s:%d%s", c->host, c->port,
		    r == MAILIMAP_ERROR_SSL ? " (TLS handshake failed)" : "");
		goto fail;
	}
	if (c->tls && tls_check(c, error_r) < 0)
		goto fail;
	if (refresh_capabilities(c, error_r) < 0)
		goto fail;
	if (!c->tls) {
		if (mailimap_has_extension(c->imap, "STARTTLS")) {
			r = mailimap_socket_starttls_with_callback(c->imap, tls_callback,
			    c->host);
			if (r != MAILIMAP_NO_ERROR) {
				*error_r = server_said(c, "STARTTLS", r);
				goto fail;
			}
			if (tls_check(c, error_r) < 0 ||
			    refresh_capabilities(c, error_r) < 0)
				goto fail;
		} else if (!c->loopback) {
			*error_r = g_strdup_printf("%s offers no STARTTLS; refusing to "
			    "send the password in clear (use imaps://)", c->host);
			goto fail;
		}
	}
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		r = mailimap_login(c->imap, c->mb->user ? c->mb->user : "", pw);
		if (r != MAILIMAP_NO_ERROR) {
			*error_r = server_said(c, "login", r);
			goto fail;
		}
		if (refresh_capabilities(c, error_r) < 0)
			goto fail;
	}
	r = mailimap_select(c->imap, c->folder);
	if (r != MAILIMAP_NO_ERROR) {
		err = g_strdup_printf("SELECT %s", c->folder);
		*error_r = server_said(c, err, r);
		g_free(err);
		goto fail;
	}
	sel = c->imap->imap_selection_info;
	c->uidvalidity = sel ? sel->sel_uidvalidity : 0;
	c->move_created = 0;
	g_free(pw);
	return 0;
fail:
	g_free(pw);
	conn_close(c, 0);
	return -1;
}

static int
uid_cmp(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

/* UIDs above floor (UNSEEN ones only for "flag"), ascending, at most
 * IMAP_BATCH of them.  "UID n:*" also matches the highest UID when it is
 * below n, hence the check on each. */
static int
list_uids(struct imap_conn *c, guint32 floor, GArray *uids, char **error_r)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	clistiter *it;
	int r;

	g_array_set_size(uids, 0);
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key,
	    mailimap_search_key_new_uid(mailimap_set_new_interval(floor + 1, 0)));
	if (c->after == AFTER_FLAG)
		mailimap_search_key_multiple_add(key,
		    mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, NULL, NULL,
		    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		    NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL));
	r = mailimap_uid_search(c->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "UID SEARCH", r);
		return -1;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		guint32 uid = *(uint32_t *)clist_content(it);

		if (uid > floor)
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(uids, uid_cmp);
	if (uids->len > IMAP_BATCH)
		g_array_set_size(uids, IMAP_BATCH);
	return 0;
}

/* Fetch one message (cut at the size limit) and give it to intake.
 * Returns 0 (recorded, *recorded_r 1 unless a duplicate; or gone from
 * the server, *gone_r 1), -1 with *fail_r saying whose fault. */
static int
take_one(struct pd_ctx *ctx, struct imap_conn *c, guint32 uid, int *recorded_r,
    int *gone_r, enum drain_fail *fail_r, char **error_r)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct mailimap_section *section;
	struct pd_intake_result res;
	struct pd_source src;
	clist *result = NULL;
	clistiter *it, *jt;
	const char *body = NULL;
	size_t len = 0;
	guint32 size = 0, max;
	int r, got = 0;

	*recorded_r = *gone_r = 0;
	max = ctx->cfg->limits.max_message > 0 &&
	    ctx->cfg->limits.max_message < G_MAXUINT32 ?
	    (guint32)ctx->cfg->limits.max_message : G_MAXUINT32;
	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	section = mailimap_section_new(NULL);
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section_partial(section, 0, max));
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "UID FETCH", r);
		*fail_r = FAIL_CONN;
		return -1;
	}
	/* Unsolicited FETCH responses for other messages may come along. */
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		guint32 this_uid = 0, this_size = 0;
		const char *this_body = NULL;
		size_t this_len = 0;

		for (jt = clist_begin(ma->att_list); jt != NULL; jt = clist_next(jt)) {
			struct mailimap_msg_att_item *item = clist_content(jt);
			struct mailimap_msg_att_static *st;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				this_uid = st->att_data.att_uid;
			else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				this_size = st->att_data.att_rfc822_size;
			else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			    st->att_data.att_body_section->sec_body_part != NULL) {
				this_body = st->att_data.att_body_section->sec_body_part;
				this_len = st->att_data.att_body_section->sec_length;
			}
		}
		if (this_uid == uid && this_body != NULL) {
			body = this_body;
			len = this_len;
			size = this_size;
			got = 1;
			break;
		}
	}
	if (!got) {
		/* Expunged by someone else since the listing. */
		mailimap_fetch_list_free(result);
		*gone_r = 1;
		return 0;
	}
	memset(&src, 0, sizeof src);
	src.kind = "imap";
	src.mailbox = c->mb->name;
	src.uidvalidity = c->uidvalidity;
	src.uid = uid;
	src.size = size > len ? (gint64)size : 0;
	r = intake_process(ctx, body, len, &src, &res, error_r);
	mailimap_fetch_list_free(result);
	if (r < 0) {
		*fail_r = FAIL_INTAKE;
		return -1;
	}
	*recorded_r = res.outcome != OUT_DUPLICATE;
	log_debug("imap %s: uid %u: %s%s%s", c->mb->name, uid,
	    intake_outcome_name(res.outcome), res.ref ? " " : "", res.ref ? res.ref : "");
	intake_result_clear(&res);
	return 0;
}

static struct mailimap_set *
set_of(const GArray *uids)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	guint i = 0, j;

	while (i < uids->len) {
		guint32 first = g_array_index(uids, guint32, i);

		for (j = i + 1; j < uids->len &&
		    g_array_index(uids, guint32, j) == g_array_index(uids, guint32, j - 1) + 1;
		    j++)
			;
		mailimap_set_add_interval(set, first, g_array_index(uids, guint32, j - 1));
		i = j;
	}
	return set;
}

static int
store_flag(struct imap_conn *c, struct mailimap_set *set, struct mailimap_flag *flag,
    char **error_r)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "UID STORE", r);
		return -1;
	}
	return 0;
}

static int
expunge(struct imap_conn *c, struct mailimap_set *set, char **error_r)
{
	int r;

	if (mailimap_has_extension(c->imap, "UIDPLUS"))
		r = mailimap_uid_expunge(c->imap, set);
	else
		r = mailimap_expunge(c->imap);
	if (r != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "EXPUNGE", r);
		return -1;
	}
	return 0;
}

/* mb->after for the recorded UIDs (ascending). */
static int
apply_after(struct imap_conn *c, const GArray *done, char **error_r)
{
	struct mailimap_set *set;
	int r, rc = -1;

	if (done->len == 0)
		return 0;
	set = set_of(done);
	switch (c->after) {
	case AFTER_FLAG:
		rc = store_flag(c, set, mailimap_flag_new_seen(), error_r);
		break;
	case AFTER_DELETE:
		if (store_flag(c, set, mailimap_flag_new_deleted(), error_r) == 0)
			rc = expunge(c, set, error_r);
		break;
	case AFTER_MOVE:
		if (!c->move_created) {
			/* Fails when it exists: the MOVE below tells the truth. */
			mailimap_create(c->imap, c->move_to);
			c->move_created = 1;
		}
		if (mailimap_has_extension(c->imap, "MOVE")) {
			r = mailimap_uid_move(c->imap, set, c->move_to);
			if (r != MAILIMAP_NO_ERROR) {
				char *what = g_strdup_printf("UID MOVE to %s", c->move_to);
				*error_r = server_said(c, what, r);
				g_free(what);
				c->move_created = 0;
				break;
			}
			rc = 0;
			break;
		}
		r = mailimap_uid_copy(c->imap, set, c->move_to);
		if (r != MAILIMAP_NO_ERROR) {
			char *what = g_strdup_printf("UID COPY to %s", c->move_to);
			*error_r = server_said(c, what, r);
			g_free(what);
			c->move_created = 0;
			break;
		}
		if (store_flag(c, set, mailimap_flag_new_deleted(), error_r) == 0)
			rc = expunge(c, set, error_r);
		break;
	}
	mailimap_set_free(set);
	return rc;
}

/* Everything waiting in the selected folder, oldest first, in batches.
 * Stops (after applying the action to what was recorded) on the first
 * failure or when *stop is set. */
static int
drain_conn(struct pd_ctx *ctx, struct imap_conn *c, volatile gint *stop, int *count_r,
    enum drain_fail *fail_r, char **error_r)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	GArray *done = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 floor = 0;
	guint i;
	int rc = 0, recorded, gone;

	*count_r = 0;
	*fail_r = FAIL_NONE;
	for (;;) {
		if ((stop != NULL && g_atomic_int_get(stop)) || floor == G_MAXUINT32)
			break;
		if (list_uids(c, floor, uids, error_r) < 0) {
			*fail_r = FAIL_CONN;
			rc = -1;
			break;
		}
		if (uids->len == 0)
			break;
		g_array_set_size(done, 0);
		for (i = 0; i < uids->len; i++) {
			guint32 uid = g_array_index(uids, guint32, i);

			if (stop != NULL && g_atomic_int_get(stop))
				break;
			if (take_one(ctx, c, uid, &recorded, &gone, fail_r, error_r) < 0) {
				rc = -1;
				break;
			}
			floor = uid;
			if (gone)
				continue;
			*count_r += recorded;
			g_array_append_val(done, uid);
		}
		/* What was committed is acted on even when the batch broke off. */
		if (*fail_r != FAIL_CONN) {
			char *err = NULL;

			if (apply_after(c, done, &err) < 0) {
				if (rc == 0) {
					*error_r = err;
					*fail_r = c->imap->imap_stream == NULL ||
					    strstr(err, "connection lost") ? FAIL_CONN :
					    FAIL_ACTION;
					rc = -1;
				} else
					g_free(err);
			}
		}
		if (rc < 0 || i < uids->len)
			break;
	}
	g_array_free(uids, TRUE);
	g_array_free(done, TRUE);
	return rc;
}

int
imap_watch_drain(struct pd_ctx *ctx, const struct pd_mailbox *mb, int *count_r,
    char **error_r)
{
	struct imap_conn c;
	enum drain_fail fail;
	int rc;

	*count_r = 0;
	if (conn_setup(&c, mb, error_r) < 0 || conn_open(&c, error_r) < 0) {
		conn_clear(&c);
		return -1;
	}
	rc = drain_conn(ctx, &c, NULL, count_r, &fail, error_r);
	conn_close(&c, fail != FAIL_CONN);
	conn_clear(&c);
	return rc;
}

/* Sleep secs seconds (fractions allowed), waking each second for *stop.
 * Returns 1 when stopped. */
static int
nap(volatile gint *stop, double secs)
{
	gint64 end = g_get_monotonic_time() + (gint64)(secs * G_USEC_PER_SEC);
	gint64 left;

	while (!g_atomic_int_get(stop)) {
		left = end - g_get_monotonic_time();
		if (left <= 0)
			return 0;
		g_usleep(left < G_USEC_PER_SEC ? left : G_USEC_PER_SEC);
	}
	return 1;
}

/* 1, 2, 4, ... IMAP_RETRY_MAX seconds, +-20 %, so many watchers that lost
 * the same server do not all come back at the same instant. */
static double
retry_delay(int tries)
{
	double d = tries > 9 ? IMAP_RETRY_MAX : (double)(1 << (tries > 0 ? tries - 1 : 0));

	if (d > IMAP_RETRY_MAX)
		d = IMAP_RETRY_MAX;
	return d * g_random_double_range(0.8, 1.2);
}

/* IDLE until the server says anything, *stop, or IMAP_IDLE_RENEW.  The fd
 * is polled here, so the command timeout does not apply to the wait.
 * 0 (drain again), -1 connection trouble. */
static int
idle_wait(struct imap_conn *c, volatile gint *stop, char **error_r)
{
	gint64 end = g_get_monotonic_time() + (gint64)IMAP_IDLE_RENEW * G_USEC_PER_SEC;
	struct pollfd pfd;
	int r;

	if ((r = mailimap_idle(c->imap)) != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "IDLE", r);
		return -1;
	}
	pfd.fd = mailimap_idle_get_fd(c->imap);
	pfd.events = POLLIN;
	while (!g_atomic_int_get(stop) && g_get_monotonic_time() < end) {
		if (c->imap->imap_stream->read_buffer_len > 0)
			break;
		pfd.revents = 0;
		r = poll(&pfd, 1, 1000);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR) {
			*error_r = g_strdup_printf("IDLE: poll: %s", g_strerror(errno));
			return -1;
		}
	}
	if ((r = mailimap_idle_done(c->imap)) != MAILIMAP_NO_ERROR) {
		*error_r = server_said(c, "IDLE DONE", r);
		return -1;
	}
	return 0;
}

void
imap_watch_run(struct pd_ctx *ctx, const struct pd_mailbox *mb, volatile gint *stop,
    pd_wake_fn wake, void *wake_arg)
{
	struct imap_conn c;
	enum drain_fail fail;
	char *err = NULL, *p;
	int tries = 0, ever = 0, down = 0, intake_down = 0, count, wait_poll;

	if (conn_setup(&c, mb, &err) < 0) {
		log_warnx("imap %s: %s; not watching it", mb->name, err);
		g_free(err);
		conn_clear(&c);
		return;
	}
	while (!g_atomic_int_get(stop)) {
		if (c.imap == NULL) {
			if (conn_open(&c, &err) < 0) {
				if (!down) {
					p = util_printable(err, 300);
					log_warnx("imap %s: %s: %s; retrying", mb->name,
					    ever ? "connection lost" : "cannot connect", p);
					g_free(p);
					down = 1;
				}
				g_free(err);
				err = NULL;
				tries++;
				nap(stop, retry_delay(tries + 1));
				continue;
			}
			if (!ever)
				log_info("imap %s: connected", mb->name);
			else if (down)
				log_info("imap %s: reconnected after %d tries", mb->name,
				    tries + 1);
			ever = 1;
			down = 0;
			tries = 0;
		}
		wait_poll = 0;
		if (drain_conn(ctx, &c, stop, &count, &fail, &err) < 0) {
			p = util_printable(err, 300);
			g_free(err);
			err = NULL;
			if (fail == FAIL_CONN) {
				log_warnx("imap %s: connection lost: %s; retrying", mb->name, p);
				down = 1;
				tries = 0;
				conn_close(&c, 0);
				g_free(p);
				if (count > 0 && wake != NULL)
					wake(wake_arg);
				nap(stop, retry_delay(1));
				continue;
			}
			if (!intake_down)
				log_warnx("imap %s: %s; will retry", mb->name, p);
			intake_down = 1;
			wait_poll = 1;
			g_free(p);
		} else if (intake_down) {
			log_info("imap %s: taking mail in again", mb->name);
			intake_down = 0;
		}
		if (count > 0 && wake != NULL)
			wake(wake_arg);
		if (count > 0)
			ctx_idle(ctx);	/* memory flat after a burst */
		if (g_atomic_int_get(stop))
			break;
		if (!wait_poll && mailimap_has_idle(c.imap)) {
			if (idle_wait(&c, stop, &err) < 0) {
				p = util_printable(err, 300);
				log_warnx("imap %s: connection lost: %s; retrying", mb->name, p);
				g_free(p);
				g_free(err);
				err = NULL;
				down = 1;
				tries = 0;
				conn_close(&c, 0);
				nap(stop, retry_delay(1));
			}
			continue;
		}
		nap(stop, (double)(mb->poll > 0 ? mb->poll : DEF_POLL));
	}
	conn_clear(&c);
}

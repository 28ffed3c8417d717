/* smtp.c: libcurl speaks SMTP; we read its protocol trace to learn the
 * server's answer to each RCPT TO, so one refused recipient does not
 * fail the others. */
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp.h"
#include "util.h"

/* One SMTP session: an easy handle, with what one mail in flight needs. */
struct pd_smtp_conn {
	CURL		*curl;
	struct pd_smtp	*pool;
	int		 busy;
	void		*tag;
	/* per send */
	const char	*data;
	size_t		 len, off;
	GPtrArray	*rcpts;		/* struct pd_rcpt_result * */
	struct pd_rcpt_result *waiting;	/* RCPT sent, reply not yet read */
	GString		*line;
	struct curl_slist *list;
	char		*mail_from;
	char		 errbuf[CURL_ERROR_SIZE];
};

/* Up to n sessions with mail in flight at once (curl's multi interface:
 * one thread, the network waits overlap). */
struct pd_smtp {
	CURLM		*multi;
	const struct pd_config *cfg;
	char		*password;
	struct pd_smtp_conn *conns;
	int		 n, busy;
};

static void
rcpt_free(gpointer p)
{
	struct pd_rcpt_result *r = p;

	g_free(r->addr);
	g_free(r->text);
	g_free(r);
}

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct pd_smtp_conn *s = arg;
	size_t want = size * n, left = s->len - s->off;

	if (want > left)
		want = left;
	memcpy(buf, s->data + s->off, want);
	s->off += want;
	return want;
}

/* A server reply line: the final line of a reply answers the last RCPT. */
static void
trace_in(struct pd_smtp_conn *s, const char *line)
{
	if (s->waiting == NULL || strlen(line) < 4 || !g_ascii_isdigit(line[0]))
		return;
	if (line[3] == '-')
		return;
	s->waiting->code = atoi(line);
	s->waiting->text = g_strstrip(g_strdup(line));
	s->waiting = NULL;
}

static void
trace_out(struct pd_smtp_conn *s, const char *line)
{
	struct pd_rcpt_result *r;
	const char *lt, *gt;

	if (g_ascii_strncasecmp(line, "RCPT TO:", 8) != 0)
		return;
	lt = strchr(line, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	r = g_new0(struct pd_rcpt_result, 1);
	r->addr = lt && gt ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) : g_strdup(line + 8);
	g_ptr_array_add(s->rcpts, r);
	s->waiting = r;
}

static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct pd_smtp_conn *s = arg;
	void (*fn)(struct pd_smtp_conn *, const char *);

	(void)c;
	if (type == CURLINFO_HEADER_IN)
		fn = trace_in;
	else if (type == CURLINFO_HEADER_OUT)
		fn = trace_out;
	else
		return 0;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			fn(s, s->line->str);
			g_string_truncate(s->line, 0);
		} else if (data[i] != '\r' && s->line->len < 1024)
			g_string_append_c(s->line, data[i]);
	}
	return 0;
}

int
smtp_open(const struct pd_config *cfg, int n, struct pd_smtp **s_r, char **error_r)
{
	struct pd_smtp *s;
	static int curl_ready;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	s = g_new0(struct pd_smtp, 1);
	s->cfg = cfg;
	if (cfg->smtp.password_file && *cfg->smtp.password_file) {
		GByteArray *pw;
		if (util_read_file(cfg->smtp.password_file, 4096, &pw, error_r) < 0) {
			g_free(s);
			return -1;
		}
		s->password = g_strndup((const char *)pw->data, pw->len);
		g_strstrip(s->password);
		g_byte_array_unref(pw);
	}
	s->n = MAX(n, 1);
	s->multi = curl_multi_init();
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->n);
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->n);
	s->conns = g_new0(struct pd_smtp_conn, s->n);
	for (int i = 0; i < s->n; i++) {
		s->conns[i].pool = s;
		s->conns[i].curl = curl_easy_init();
		s->conns[i].line = g_string_new(NULL);
	}
	*s_r = s;
	return 0;
}

void
smtp_close(struct pd_smtp *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->n; i++) {
		struct pd_smtp_conn *c = &s->conns[i];

		if (c->busy)
			curl_multi_remove_handle(s->multi, c->curl);
		curl_easy_cleanup(c->curl);
		curl_slist_free_all(c->list);
		g_free(c->mail_from);
		if (c->rcpts)
			g_ptr_array_unref(c->rcpts);
		g_string_free(c->line, TRUE);
	}
	/* The idle sessions say QUIT here. */
	curl_multi_cleanup(s->multi);
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		g_free(s->password);
	}
	g_free(s->conns);
	g_free(s);
}

int
smtp_idle(const struct pd_smtp *s)
{
	return s->n - s->busy;
}

int
smtp_busy(const struct pd_smtp *s)
{
	return s->busy;
}

void
smtp_result_clear(struct pd_smtp_result *res)
{
	g_free(res->error);
	if (res->rcpts)
		g_ptr_array_unref(res->rcpts);
	memset(res, 0, sizeof *res);
}

static int
smtp_setup_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
		return 1;
	default:
		return 0;
	}
}

static void
conn_setup(struct pd_smtp_conn *s, const char *from, GPtrArray *rcpts, const void *raw,
    size_t len)
{
	const struct pd_config *cfg = s->pool->cfg;
	long use_ssl;
	CURL *c = s->curl;

	for (guint i = 0; i < rcpts->len; i++)
		s->list = curl_slist_append(s->list, rcpts->pdata[i]);
	s->mail_from = g_strdup_printf("<%s>", from);
	s->data = raw;
	s->len = len;
	s->off = 0;
	s->rcpts = g_ptr_array_new_with_free_func(rcpt_free);
	s->waiting = NULL;
	s->errbuf[0] = '\0';
	g_string_truncate(s->line, 0);

	if (g_strcmp0(cfg->smtp.starttls, "always") == 0)
		use_ssl = CURLUSESSL_ALL;
	else if (g_strcmp0(cfg->smtp.starttls, "never") == 0)
		use_ssl = CURLUSESSL_NONE;
	else
		use_ssl = CURLUSESSL_TRY;
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp.url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->smtp.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp.ca_file);
	if (cfg->smtp.user && *cfg->smtp.user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp.user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->pool->password ?
		    s->pool->password : "");
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)MIN(cfg->smtp.timeout, 30));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->smtp.timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->mail_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, s->list);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(c, CURLOPT_PRIVATE, s);
}

/* What the server said to the mail just finished on s. */
static void
conn_done(struct pd_smtp_conn *s, CURLcode rc, struct pd_smtp_result *res)
{
	long code = 0;
	CURL *c = s->curl;

	memset(res, 0, sizeof *res);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	res->code = (int)code;
	res->rcpts = s->rcpts;
	s->rcpts = NULL;
	if (rc == CURLE_OK) {
		res->ok = 1;
	} else {
		int any_ok = 0;
		for (guint i = 0; i < res->rcpts->len; i++) {
			struct pd_rcpt_result *r = res->rcpts->pdata[i];
			if (r->code >= 200 && r->code < 300)
				any_ok = 1;
		}
		res->error = g_strdup_printf("%s%s%s", curl_easy_strerror(rc),
		    *s->errbuf ? ": " : "", s->errbuf);
		/* A 5xx to the mail itself is permanent.  No answer at all, a
		 * 4xx, a timeout, a refused connection, and trouble with TLS or
		 * AUTH (ours to fix, not the mail's) are worth a retry. */
		res->permanent = code >= 500 && code < 600 && !any_ok && !smtp_setup_error(rc);
	}
	curl_slist_free_all(s->list);
	s->list = NULL;
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	g_free(s->mail_from);
	s->mail_from = NULL;
	s->data = NULL;
}

int
smtp_start(struct pd_smtp *s, const char *from, GPtrArray *rcpts, const void *raw,
    size_t len, void *tag)
{
	struct pd_smtp_conn *c = NULL;

	for (int i = 0; i < s->n && c == NULL; i++)
		if (!s->conns[i].busy)
			c = &s->conns[i];
	if (c == NULL)
		return -1;
	conn_setup(c, from, rcpts, raw, len);
	c->tag = tag;
	c->busy = 1;
	s->busy++;
	curl_multi_add_handle(s->multi, c->curl);
	return 0;
}

/* A finished mail's session, or NULL. */
static struct pd_smtp_conn *
next_done(struct pd_smtp *s, CURLcode *rc_r)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		struct pd_smtp_conn *c = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		*rc_r = m->data.result;
		return c;
	}
	return NULL;
}

int
smtp_wait(struct pd_smtp *s, void **tag_r, struct pd_smtp_result *res)
{
	struct pd_smtp_conn *c;
	CURLcode rc = CURLE_OK;
	int running;

	if (s->busy == 0)
		return 0;
	for (;;) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK)
			break;
		if ((c = next_done(s, &rc)) != NULL)
			break;
		if (curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	if (c == NULL) {
		/* The multi handle itself failed: every mail in flight waits. */
		for (int i = 0; i < s->n && c == NULL; i++)
			if (s->conns[i].busy)
				c = &s->conns[i];
		rc = CURLE_OUT_OF_MEMORY;
	}
	curl_multi_remove_handle(s->multi, c->curl);
	conn_done(c, rc, res);
	c->busy = 0;
	s->busy--;
	*tag_r = c->tag;
	return 1;
}

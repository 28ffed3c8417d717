/* spam.c: ask rspamd (HTTP /checkv2) what it thinks of a mail.
 *
 * rspamd answers a POST of the raw message with a JSON object whose
 * top-level "action" is one of "no action", "greylist", "add header",
 * "rewrite subject", "soft reject" and "reject".  Its answer is the
 * sysadmin's own filter speaking, so it is read for that one key; the
 * mail's own text inside it (symbol options) is escaped JSON and cannot
 * pose as the key. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "log.h"
#include "spam.h"

#define SPAM_MAX_ANSWER	(1024 * 1024)	/* bytes of rspamd's answer read */
#define SPAM_DOWN_FILE	"rspamd.down"	/* in the spool: "told already" */

int
spam_has_verdict(const struct pd_config *cfg, const struct pd_message *msg)
{
	static const char *const verdicts[] = {
		"X-Spam-Flag", "X-Spam-Status", "X-Spam", "X-Rspamd-Action",
		"X-Spamd-Result", "X-Rspamd-Score",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(verdicts); i++)
		if (message_header(msg, verdicts[i]) != NULL)
			return 1;
	return cfg->spam.header && message_header(msg, cfg->spam.header) != NULL;
}

/* Log a filter that stopped answering once, and once that it is back:
 * a marker file in the spool carries "told" across deliver processes. */
static void
track(const struct pd_config *cfg, const char *err)
{
	char *path = g_build_filename(cfg->spool, SPAM_DOWN_FILE, NULL);
	int down = g_file_test(path, G_FILE_TEST_EXISTS);

	if (err != NULL && !down) {
		log_warnx("spam: rspamd at %s does not answer (%s): mail is taken in "
		    "as if no filter were configured", cfg->spam.rspamd, err);
		if (!g_file_set_contents(path, err, -1, NULL))
			log_warnx("spam: cannot write %s", path);
	} else if (err == NULL && down) {
		log_info("spam: rspamd at %s answers again", cfg->spam.rspamd);
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("spam: unlink %s", path);
	}
	g_free(path);
}

/* POST raw to url's /checkv2; the answer's body (caller frees) or NULL
 * with *error_r.  Every step is bounded by timeout seconds and the
 * whole exchange by the deadline. */
static char *
ask(const char *url, gint64 timeout, const void *raw, size_t len, char **error_r)
{
	GError *err = NULL;
	GUri *uri = g_uri_parse(url, G_URI_FLAGS_NONE, &err);
	GSocketClient *client = NULL;
	GSocketConnectable *addr = NULL;
	GSocketConnection *conn = NULL;
	GString *answer = NULL;
	char *req = NULL, *body = NULL, *sep;
	gint64 deadline = g_get_monotonic_time() + timeout * G_USEC_PER_SEC;
	char buf[8192];
	gssize n;

	if (uri == NULL)
		goto fail;
	client = g_socket_client_new();
	g_socket_client_set_timeout(client, (guint)timeout);
	addr = g_network_address_new(g_uri_get_host(uri),
	    (guint16)(g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 80));
	if ((conn = g_socket_client_connect(client, addr, NULL, &err)) == NULL)
		goto fail;
	req = g_strdup_printf("POST /checkv2 HTTP/1.0\r\nHost: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", g_uri_get_host(uri), len);
	if (!g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
	    req, strlen(req), NULL, NULL, &err) ||
	    !g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
	    raw, len, NULL, NULL, &err))
		goto fail;
	answer = g_string_new(NULL);
	while ((n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)),
	    buf, sizeof buf, NULL, &err)) > 0) {
		if (answer->len + (gsize)n > SPAM_MAX_ANSWER) {
			*error_r = g_strdup("answer too long");
			goto out;
		}
		g_string_append_len(answer, buf, n);
		if (g_get_monotonic_time() > deadline) {
			*error_r = g_strdup_printf("no answer within %" G_GINT64_FORMAT "s",
			    timeout);
			goto out;
		}
	}
	if (n < 0)
		goto fail;
	if (!g_str_has_prefix(answer->str, "HTTP/1.") || strlen(answer->str) < 12 ||
	    strncmp(answer->str + 9, "200", 3) != 0) {
		*error_r = g_strdup_printf("HTTP answer \"%.40s\"", answer->str);
		goto out;
	}
	if ((sep = strstr(answer->str, "\r\n\r\n")) == NULL) {
		*error_r = g_strdup("HTTP answer without a body");
		goto out;
	}
	body = g_strdup(sep + 4);
	goto out;
fail:
	*error_r = g_strdup(err ? err->message : "failed");
out:
	g_clear_error(&err);
	if (answer)
		g_string_free(answer, TRUE);
	g_free(req);
	if (conn)
		g_object_unref(conn);
	if (addr)
		g_object_unref(addr);
	if (client)
		g_object_unref(client);
	if (uri)
		g_uri_unref(uri);
	return body;
}

enum pd_filter_action
spam_check(const struct pd_config *cfg, const void *raw, size_t len,
    const struct pd_message *msg, const char **reason_r)
{
	static const struct {
		const char *action;
		enum pd_filter_action what;
		const char *reason;
	} actions[] = {
		{ "reject", FILTER_REJECT, "rspamd: reject" },
		{ "soft reject", FILTER_SUSPECT, "rspamd: soft reject" },
		{ "rewrite subject", FILTER_SUSPECT, "rspamd: rewrite subject" },
		{ "add header", FILTER_SUSPECT, "rspamd: add header" },
	};
	enum pd_filter_action r = FILTER_NONE;
	char *body, *err = NULL, *action = NULL;
	GMatchInfo *mi;

	*reason_r = NULL;
	if (cfg->spam.rspamd == NULL || *cfg->spam.rspamd == '\0' ||
	    (msg && spam_has_verdict(cfg, msg)))
		return FILTER_NONE;
	body = ask(cfg->spam.rspamd, cfg->spam.timeout > 0 ? cfg->spam.timeout :
	    DEF_SPAM_TIMEOUT, raw, len, &err);
	if (body != NULL) {
		/* the top-level key: not preceded by a backslash */
		if (g_regex_match_simple("(?<!\\\\)\"action\"\\s*:\\s*\"", body, 0, 0)) {
			GRegex *re = g_regex_new("(?<!\\\\)\"action\"\\s*:\\s*\"([a-z ]{1,40})\"",
			    0, 0, NULL);

			if (g_regex_match(re, body, 0, &mi))
				action = g_match_info_fetch(mi, 1);
			g_match_info_free(mi);
			g_regex_unref(re);
		}
		if (action == NULL)
			err = g_strdup("answer without an action");
	}
	track(cfg, err);
	for (size_t i = 0; action && i < G_N_ELEMENTS(actions); i++)
		if (strcmp(action, actions[i].action) == 0) {
			r = actions[i].what;
			*reason_r = actions[i].reason;
		}
	g_free(action);
	g_free(body);
	g_free(err);
	return r;
}

/* lmtp.c: the LMTP server (RFC 2033) of postdeskd.
 *
 * One accept thread blocks in g_socket_listener_accept on every listen
 * address; each connection is served by a worker thread of its own (up
 * to max_connections, more are told 421; workers stay for the next
 * connection, worker_main says why) with its own database connection,
 * so one slow client or one locked database never holds the others.
 * Reads go through a GBufferedInputStream: command lines are bounded,
 * DATA is unstuffed chunk by chunk straight out of the buffer, and
 * replies are gathered and written when the client has nothing more
 * pipelined for us, as PIPELINING (RFC 2920) intends.
 *
 * Mail is stored with LF line ends, as the pipe of `postdesk deliver`
 * and maildir give it; nothing is added to it (no Return-Path or
 * Received), so a retried mail has the same bytes and intake's seen
 * check knows it. */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "lmtp.h"
#include "log.h"
#include "message.h"
#include "parser.h"
#include "util.h"

#define LMTP_BUFFER	(64 * 1024)	/* bytes read from the socket at once */
#define LMTP_BATCH	128		/* mails committed together at most */
#define LMTP_GATHER	2000		/* µs a leader waits for mails being parsed */

/* One recipient's copy waiting to be stored (group commit, below). */
struct job {
	const void		*data;
	size_t			 len;
	struct pd_source	 src;
	struct pd_parsed	 pre;		/* parsed by its connection */
	struct pd_intake_result	 res;
	char			*err;
	int			 rc;
	int			 done;		/* under srv->lock */
};

struct pd_lmtp {
	GMutex			 lock;
	GCond			 cond;
	int			 active;	/* under lock: connection threads */
	int			 stopping;	/* under lock */
	GCancellable		*cancel;	/* cancels accept and every read */
	GSocketListener		*listener;
	GThread			*acceptor;
	GPtrArray		*unix_paths;	/* char *, removed on stop */
	struct pd_lmtp_hooks	 hooks;
	int			 max_connections;
	guint			 timeout;
	gint64			 max_message;
	char			*hostname;
	guint			 seq;		/* connection numbers for the log */
	GPtrArray		*jobs;		/* under lock: struct job *, waiting */
	GSocketAddress		*wake;		/* the first listening address: lmtp_stop
						 * connects there to end the accept */
	GPtrArray		*workers;	/* under lock: GThread *, joined at stop */
	GQueue			 waiting;	/* under lock: struct conn *, accepted,
						 * for the next idle worker */
	int			 idle;		/* under lock: workers waiting for one */
	GCond			 work_cond;	/* a connection waits, or stopping */
	int			 committing;	/* under lock: a leader is at work */
	GCond			 jobs_cond;
	int			 parsing;	/* under lock: connections between a
						 * mail's end and its queueing */
	guint64			 rounds;	/* under lock: commits of stored copies */
	guint64			 copies;	/* under lock: copies in them */
};

struct conn {
	struct pd_lmtp		*srv;
	GSocketConnection	*sc;
	GBufferedInputStream	*in;
	GOutputStream		*out;
	GString			*replies;	/* not written yet */
	GString			*line;
	struct pd_ctx		 ctx;
	void			*token;		/* from hooks.open */
	char			 name[24];	/* "lmtp#12" for the log */
	int			 lhlo;		/* LHLO seen */
	int			 in_mail;	/* MAIL seen */
	char			*sender;	/* "" for <> */
	GPtrArray		*rcpts;		/* char *, normalized */
	GByteArray		*data;
	int			 too_big;
};

enum { RD_LINE = 1, RD_EOF = 0, RD_ERROR = -1 };

static void G_GNUC_PRINTF(2, 3)
reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(c->replies, fmt, ap);
	va_end(ap);
	g_string_append(c->replies, "\r\n");
}

/* Write what was gathered.  No cancellable: an answer about a stored
 * mail must get out even while stopping; the socket timeout bounds it. */
static int
flush_replies(struct conn *c)
{
	GError *err = NULL;
	int rc = 0;

	if (c->replies->len == 0)
		return 0;
	if (!g_output_stream_write_all(c->out, c->replies->str, c->replies->len, NULL, NULL,
	    &err)) {
		log_debug("%s: write: %s", c->name, err->message);
		g_error_free(err);
		rc = -1;
	}
	g_string_truncate(c->replies, 0);
	return rc;
}

/* More bytes into the buffer; replies go out first when nothing is
 * waiting, so a pipelining client is answered once per batch.  1 more
 * data, 0 end of stream, -1 error (logged unless it is the stop). */
static int
fill(struct conn *c)
{
	GError *err = NULL;
	gssize n;

	if (flush_replies(c) < 0)
		return RD_ERROR;
	n = g_buffered_input_stream_fill(c->in, -1, c->srv->cancel, &err);
	if (n > 0)
		return RD_LINE;
	if (n == 0)
		return RD_EOF;
	if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		log_debug("%s: read: %s", c->name, err->message);
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
		reply(c, "421 4.4.2 %s Timeout, closing", c->srv->hostname);
		flush_replies(c);
	}
	g_error_free(err);
	return RD_ERROR;
}

/* One command line into c->line, CR LF (or LF) removed.  A line over
 * LMTP_MAX_LINE is read to its end and *too_long_r set. */
static int
read_line(struct conn *c, int *too_long_r)
{
	*too_long_r = 0;
	g_string_truncate(c->line, 0);
	for (;;) {
		gsize avail, take;
		const char *buf = g_buffered_input_stream_peek_buffer(c->in, &avail);
		const char *nl = memchr(buf, '\n', avail);
		int rc;

		take = nl ? (gsize)(nl - buf) + 1 : avail;
		if (c->line->len + take > LMTP_MAX_LINE)
			*too_long_r = 1;
		else
			g_string_append_len(c->line, buf, (gssize)take);
		g_input_stream_skip(G_INPUT_STREAM(c->in), take, NULL, NULL);
		if (nl)
			break;
		if ((rc = fill(c)) != RD_LINE)
			return rc;
	}
	if (c->line->len && c->line->str[c->line->len - 1] == '\n')
		g_string_truncate(c->line, c->line->len - 1);
	if (c->line->len && c->line->str[c->line->len - 1] == '\r')
		g_string_truncate(c->line, c->line->len - 1);
	return RD_LINE;
}

static void
add_data(struct conn *c, const char *p, gsize n)
{
	if (c->too_big)
		return;
	if ((gint64)(c->data->len + n) > c->srv->max_message) {
		c->too_big = 1;
		return;
	}
	g_byte_array_append(c->data, (const guint8 *)p, (guint)n);
}

/* The mail after 354 up to the lone dot, unstuffed, CR LF made LF, into
 * c->data (c->too_big once it passes max_message: the rest is read and
 * dropped).  RD_LINE when the dot was seen. */
static int
read_data(struct conn *c)
{
	int bol = 1;	/* the buffer starts at the beginning of a line */

	g_byte_array_set_size(c->data, 0);
	c->too_big = 0;
	for (;;) {
		gsize avail, used = 0;
		const char *buf = g_buffered_input_stream_peek_buffer(c->in, &avail);
		int rc;

		while (used < avail) {
			const char *l = buf + used;
			const char *nl = memchr(l, '\n', avail - used);
			gsize len;

			if (nl == NULL) {
				/* Wait for the line's end, unless it fills the
				 * whole buffer: then it is no dot line and is
				 * taken as it is, but for a CR that may start
				 * the line's CR LF. */
				if (used > 0 || avail < LMTP_BUFFER)
					break;
				len = avail - (l[avail - 1] == '\r');
				used = len;
				if (bol && *l == '.')
					l++, len--;
				add_data(c, l, len);
				bol = 0;
				break;
			}
			len = (gsize)(nl - l) + 1;
			used += len;
			if (bol && *l == '.') {
				if (len == 2 || (len == 3 && l[1] == '\r')) {
					g_input_stream_skip(G_INPUT_STREAM(c->in), used, NULL,
					    NULL);
					return RD_LINE;
				}
				l++, len--;
			}
			if (len >= 2 && l[len - 2] == '\r') {
				add_data(c, l, len - 2);
				add_data(c, "\n", 1);
			} else
				add_data(c, l, len);
			bol = 1;
		}
		g_input_stream_skip(G_INPUT_STREAM(c->in), used, NULL, NULL);
		if ((rc = fill(c)) != RD_LINE)
			return rc;
	}
}

static void
transaction_reset(struct conn *c)
{
	c->in_mail = 0;
	g_clear_pointer(&c->sender, g_free);
	g_ptr_array_set_size(c->rcpts, 0);
}

/* "FROM:<path> params" / "TO:<path> params": the path (without <>) and
 * where the parameters start.  NULL when malformed. */
static char *
parse_path(const char *arg, const char *prefix, const char **params_r)
{
	const char *p, *end;

	if (g_ascii_strncasecmp(arg, prefix, strlen(prefix)) != 0)
		return NULL;
	p = arg + strlen(prefix);
	while (*p == ' ')
		p++;
	if (*p != '<' || (end = strchr(p, '>')) == NULL)
		return NULL;
	for (const char *q = p + 1; q < end; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f)
			return NULL;
	*params_r = end + 1;
	/* A source route (<@a,@b:user@c>) is read as the address after it. */
	if (p[1] == '@' && memchr(p, ':', (gsize)(end - p)))
		p = memchr(p, ':', (gsize)(end - p));
	return g_strndup(p + 1, (gsize)(end - p - 1));
}

static void
cmd_lhlo(struct conn *c, const char *arg)
{
	if (*arg == '\0') {
		reply(c, "501 5.5.4 LHLO needs a domain");
		return;
	}
	transaction_reset(c);
	c->lhlo = 1;
	reply(c, "250-%s", c->srv->hostname);
	reply(c, "250-PIPELINING");
	reply(c, "250-ENHANCEDSTATUSCODES");
	reply(c, "250-8BITMIME");
	reply(c, "250-SMTPUTF8");
	reply(c, "250 SIZE %" G_GINT64_FORMAT, c->srv->max_message);
}

static void
cmd_mail(struct conn *c, const char *arg)
{
	const char *params;
	char **words, *path;
	int bad = 0;

	if (!c->lhlo) {
		reply(c, "503 5.5.1 LHLO first");
		return;
	}
	if (c->in_mail) {
		reply(c, "503 5.5.1 MAIL already given");
		return;
	}
	if ((path = parse_path(arg, "FROM:", &params)) == NULL) {
		reply(c, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	words = g_strsplit(params, " ", 0);
	for (char **w = words; *w && !bad; w++) {
		gint64 size;
		char *end;

		if (**w == '\0')
			continue;
		if (g_ascii_strncasecmp(*w, "SIZE=", 5) == 0) {
			errno = 0;
			size = g_ascii_strtoll(*w + 5, &end, 10);
			if (*end || errno || size < 0) {
				reply(c, "501 5.5.4 Bad SIZE parameter");
				bad = 1;
			} else if (size > c->srv->max_message) {
				reply(c, "552 5.3.4 Message size exceeds fixed maximum "
				    "message size (%" G_GINT64_FORMAT ")", c->srv->max_message);
				bad = 1;
			}
		} else if (g_ascii_strcasecmp(*w, "BODY=7BIT") != 0 &&
		    g_ascii_strcasecmp(*w, "BODY=8BITMIME") != 0 &&
		    g_ascii_strcasecmp(*w, "SMTPUTF8") != 0) {
			char *p = util_printable(*w, 40);
			reply(c, "555 5.5.4 Unsupported parameter %s", p);
			g_free(p);
			bad = 1;
		}
	}
	g_strfreev(words);
	if (bad) {
		g_free(path);
		return;
	}
	c->in_mail = 1;
	c->sender = *path ? util_addr_normalize(path) : g_strdup("");
	g_free(path);
	reply(c, "250 2.1.0 Ok");
}

static void
cmd_rcpt(struct conn *c, const char *arg)
{
	const char *params;
	char *path, *addr;
	int note;

	if (!c->in_mail) {
		reply(c, "503 5.5.1 MAIL first");
		return;
	}
	if ((path = parse_path(arg, "TO:", &params)) == NULL || *path == '\0') {
		reply(c, "501 5.5.4 Syntax: RCPT TO:<address>");
		g_free(path);
		return;
	}
	while (*params == ' ')
		params++;
	if (*params) {
		reply(c, "555 5.5.4 No RCPT parameters are supported");
		g_free(path);
		return;
	}
	addr = util_addr_normalize(path);
	g_free(path);
	if (c->rcpts->len >= LMTP_MAX_RECIPIENTS)
		reply(c, "452 4.5.3 Too many recipients");
	else if (config_queue_by_address(c->ctx.cfg, addr, &note) == NULL) {
		char *p = util_printable(addr, 200);
		reply(c, "550 5.1.1 <%s>: no such queue here", p);
		g_free(p);
	} else {
		g_ptr_array_add(c->rcpts, addr);
		addr = NULL;
		reply(c, "250 2.1.5 Ok");
	}
	g_free(addr);
}

/* Group commit.  Every mail is committed before its 250, and a commit
 * waits for the disk; so the connection that finds no commit under way
 * becomes the leader and stores, in one transaction on its own ctx,
 * every copy queued by then (each in its own savepoint through
 * intake_process_parsed, as a bulk import does), while the others queue
 * theirs for the next round.  One fsync then answers many mails.  Each
 * connection parses its own mail in its own parser child before it
 * queues it (preparse), so the parses of several connections run at
 * once, and beside the leader's round, rather than one after the other
 * inside it.  A copy that fails alone is rolled back to its savepoint
 * (451 for it only); a failed BEGIN or COMMIT fails every copy of the
 * round, and nothing of them was kept. */
static void
preparse(struct conn *c, const struct pd_parse_limits *lim, struct job *j)
{
	struct pd_parsed *p = &j->pre;

	p->msg = NULL;
	p->error = NULL;
	if (c->ctx.parser)
		p->rc = parser_parse(c->ctx.parser, j->data, j->len, lim, &p->msg, &p->error);
	else
		p->rc = message_parse(j->data, j->len, lim, &p->msg, &p->error) == 0 ?
		    PARSE_OK : PARSE_NOT_MAIL;
}

static void
parsed_clear(struct pd_parsed *p)
{
	if (p->msg)
		message_free(p->msg);
	g_free(p->error);
	p->msg = NULL;
	p->error = NULL;
}

static void
commit_round(struct conn *c, GPtrArray *round)
{
	char *err = NULL;

	if (store_begin(c->ctx.store, &err) < 0) {
		for (guint i = 0; i < round->len; i++) {
			struct job *j = round->pdata[i];
			j->rc = -1;
			j->err = g_strdup(err ? err : "cannot begin a transaction");
		}
		g_free(err);
		return;
	}
	for (guint i = 0; i < round->len; i++) {
		struct job *j = round->pdata[i];
		j->rc = intake_process_parsed(&c->ctx, j->data, j->len, &j->src, &j->pre,
		    &j->res, &j->err);
	}
	if (store_commit(c->ctx.store, &err) < 0) {
		for (guint i = 0; i < round->len; i++) {
			struct job *j = round->pdata[i];
			if (j->rc == 0) {
				j->rc = -1;
				intake_result_clear(&j->res);
				memset(&j->res, 0, sizeof j->res);
				j->err = g_strdup(err ? err : "commit failed");
			}
		}
		g_free(err);
	}
}

/* The leader, under srv->lock, waits (LMTP_GATHER at most) for the mails
 * other connections have received and are parsing, so that they share
 * its commit rather than wait for it and take one of their own: with one
 * mail in flight a connection (an MTA's LMTP client), rounds are
 * otherwise half as big as the connections are many.  A slow client
 * never holds it: a mail counts only once it has been received whole. */
static void
gather(struct pd_lmtp *srv)
{
	gint64 until;

	if (srv->parsing <= 0 || srv->jobs->len >= LMTP_BATCH)
		return;
	until = g_get_monotonic_time() + LMTP_GATHER;
	while (srv->parsing > 0 && srv->jobs->len < LMTP_BATCH &&
	    g_cond_wait_until(&srv->jobs_cond, &srv->lock, until))
		;
}

static void
parsing_begins(struct pd_lmtp *srv)
{
	g_mutex_lock(&srv->lock);
	srv->parsing++;
	g_mutex_unlock(&srv->lock);
}

/* Store mine (n jobs) and whatever else is queued; returns when all of
 * mine are committed or failed. */
static void
store_jobs(struct conn *c, struct job *mine, guint n)
{
	struct pd_lmtp *srv = c->srv;
	guint left = n;

	g_mutex_lock(&srv->lock);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(srv->jobs, &mine[i]);
	srv->parsing--;
	g_cond_broadcast(&srv->jobs_cond);	/* a gathering leader takes them */
	for (;;) {
		left = 0;
		for (guint i = 0; i < n; i++)
			left += !mine[i].done;
		if (left == 0)
			break;
		if (srv->committing) {
			g_cond_wait(&srv->jobs_cond, &srv->lock);
			continue;
		}
		srv->committing = 1;
		gather(srv);
		{
			GPtrArray *round = g_ptr_array_new();
			guint take = MIN(srv->jobs->len, LMTP_BATCH);

			for (guint i = 0; i < take; i++)
				g_ptr_array_add(round, srv->jobs->pdata[i]);
			g_ptr_array_remove_range(srv->jobs, 0, take);
			g_mutex_unlock(&srv->lock);
			commit_round(c, round);
			g_mutex_lock(&srv->lock);
			for (guint i = 0; i < round->len; i++)
				((struct job *)round->pdata[i])->done = 1;
			srv->rounds++;
			srv->copies += round->len;
			srv->committing = 0;
			g_cond_broadcast(&srv->jobs_cond);
			g_ptr_array_unref(round);
		}
	}
	g_mutex_unlock(&srv->lock);
}

/* The reply for one stored (or not) copy. */
static int
job_reply(struct conn *c, const char *rcpt, struct job *j)
{
	char *to = util_printable(rcpt, 200), *from = util_printable(c->sender, 200);
	int rc = j->rc;

	if (rc < 0) {
		char *e = util_printable(j->err, 300);
		log_warnx("%s: from=<%s> to=<%s>: temporary failure: %s", c->name, from, to, e);
		reply(c, "451 4.3.0 <%s> Temporary failure, nothing kept: try again later", to);
		g_free(e);
	} else {
		char *ref = util_printable(j->res.ref ? j->res.ref : "-", 40);
		log_info("%s: from=<%s> to=<%s> size=%zu: %s %s", c->name, from, to, j->len,
		    ref, intake_outcome_name(j->res.outcome));
		reply(c, "250 2.0.0 <%s> Stored: %s %s", to, ref,
		    intake_outcome_name(j->res.outcome));
		g_free(ref);
	}
	g_free(j->err);
	intake_result_clear(&j->res);
	parsed_clear(&j->pre);
	g_free(from);
	g_free(to);
	return rc;
}

/* -1 when the connection must end (the client went away mid-mail). */
static int
cmd_data(struct conn *c)
{
	int stored = 0;

	if (!c->in_mail) {
		reply(c, "503 5.5.1 MAIL first");
		return 0;
	}
	if (c->rcpts->len == 0) {
		reply(c, "503 5.5.1 No valid recipients");
		return 0;
	}
	reply(c, "354 End data with <CR><LF>.<CR><LF>");
	if (read_data(c) != RD_LINE)
		return -1;
	if (!c->too_big && c->data->len > 0) {
		struct job *jobs = g_new0(struct job, c->rcpts->len);
		struct pd_parse_limits lim;

		parsing_begins(c->srv);
		intake_parse_limits(c->ctx.cfg, &lim);
		for (guint i = 0; i < c->rcpts->len; i++) {
			jobs[i].data = c->data->data;
			jobs[i].len = c->data->len;
			jobs[i].src.kind = "lmtp";
			jobs[i].src.recipient = c->rcpts->pdata[i];
			jobs[i].src.sender = c->sender;
			/* each copy's intake takes its parse: one each */
			preparse(c, &lim, &jobs[i]);
		}
		store_jobs(c, jobs, c->rcpts->len);
		for (guint i = 0; i < c->rcpts->len; i++)
			if (job_reply(c, c->rcpts->pdata[i], &jobs[i]) == 0)
				stored = 1;
		g_free(jobs);
	}
	for (guint i = 0; i < c->rcpts->len && (c->too_big || c->data->len == 0); i++) {
		char *to = util_printable(c->rcpts->pdata[i], 200);

		if (c->too_big)
			reply(c, "552 5.3.4 <%s> Message size exceeds fixed maximum message "
			    "size (%" G_GINT64_FORMAT ")", to, c->srv->max_message);
		else
			reply(c, "554 5.6.0 <%s> Empty message", to);
		g_free(to);
	}
	flush_replies(c);
	if (stored && c->srv->hooks.stored)
		c->srv->hooks.stored(c->srv->hooks.arg);
	transaction_reset(c);
	if (c->data->len > LMTP_BUFFER)
		g_byte_array_set_size(c->data, 0);	/* big mails' memory goes back */
	return 0;
}

static int
stopping(struct pd_lmtp *srv)
{
	int s;

	g_mutex_lock(&srv->lock);
	s = srv->stopping;
	g_mutex_unlock(&srv->lock);
	return s;
}

/* Split "VERB rest" and run it.  -1 when the connection ends. */
static int
command(struct conn *c)
{
	char *line = c->line->str, *arg = line;
	gsize vlen;

	while (*arg && *arg != ' ')
		arg++;
	vlen = (gsize)(arg - line);
	while (*arg == ' ')
		arg++;
#define IS(v) (vlen == strlen(v) && g_ascii_strncasecmp(line, v, vlen) == 0)
	if (IS("LHLO"))
		cmd_lhlo(c, arg);
	else if (IS("MAIL"))
		cmd_mail(c, arg);
	else if (IS("RCPT"))
		cmd_rcpt(c, arg);
	else if (IS("DATA"))
		return cmd_data(c);
	else if (IS("RSET")) {
		transaction_reset(c);
		reply(c, "250 2.0.0 Ok");
	} else if (IS("NOOP"))
		reply(c, "250 2.0.0 Ok");
	else if (IS("QUIT")) {
		reply(c, "221 2.0.0 Bye");
		flush_replies(c);
		return -1;
	} else if (IS("HELO") || IS("EHLO"))
		reply(c, "500 5.5.1 This is LMTP: say LHLO");
	else if (IS("VRFY"))
		reply(c, "252 2.5.0 Send the mail and see");
	else
		reply(c, "500 5.5.2 Unknown command");
#undef IS
	return 0;
}

static void
conn_free(struct conn *c)
{
	g_io_stream_close(G_IO_STREAM(c->sc), NULL, NULL);
	g_object_unref(c->in);
	g_object_unref(c->sc);
	g_string_free(c->replies, TRUE);
	g_string_free(c->line, TRUE);
	g_free(c->sender);
	g_ptr_array_unref(c->rcpts);
	g_byte_array_unref(c->data);
	g_free(c);
}

static void
serve(struct conn *c)
{
	struct pd_lmtp *srv = c->srv;
	char *err = NULL;

	g_socket_set_timeout(g_socket_connection_get_socket(c->sc), srv->timeout);
	if (srv->hooks.open(srv->hooks.arg, &c->ctx, &c->token, &err) < 0) {
		char *e = util_printable(err, 300);
		log_warnx("%s: %s", c->name, e);
		reply(c, "421 4.3.0 %s Mail store unavailable, try again later", srv->hostname);
		flush_replies(c);
		g_free(e);
		g_free(err);
		return;
	}
	reply(c, "220 %s LMTP postdesk ready", srv->hostname);
	for (;;) {
		int too_long, rc = read_line(c, &too_long);

		if (rc == RD_LINE && stopping(srv))
			rc = RD_ERROR;
		if (rc != RD_LINE) {
			if (stopping(srv)) {
				reply(c, "421 4.3.2 %s Shutting down", srv->hostname);
				flush_replies(c);
			}
			break;
		}
		if (too_long)
			reply(c, "500 5.5.2 Line too long");
		else if (command(c) < 0)
			break;
	}
	srv->hooks.close(srv->hooks.arg, &c->ctx, c->token);
}

/* A worker serves one connection after another and lives until the
 * server stops.  Threads are not made and ended per connection: a
 * parser child (parser.c) gets PR_SET_PDEATHSIG, which the kernel sends
 * when the thread that started it ends, so a pooled ctx whose child was
 * started by a connection thread that has since returned would hand the
 * next connection a child being killed, and that connection's mail would
 * be quarantined as "parser died: signal 9".  Workers that outlive
 * their connections keep the children of the pooled ctxs alive, and
 * spare a thread start per connection. */
static gpointer
worker_main(gpointer arg)
{
	struct pd_lmtp *srv = arg;

	g_mutex_lock(&srv->lock);
	for (;;) {
		struct conn *c;

		while (g_queue_is_empty(&srv->waiting) && !srv->stopping) {
			srv->idle++;
			g_cond_wait(&srv->work_cond, &srv->lock);
			srv->idle--;
		}
		if ((c = g_queue_pop_head(&srv->waiting)) == NULL)
			break;
		g_mutex_unlock(&srv->lock);
		serve(c);
		conn_free(c);
		g_mutex_lock(&srv->lock);
		srv->active--;
		g_cond_broadcast(&srv->cond);
	}
	g_mutex_unlock(&srv->lock);
	return NULL;
}

/* Hand c to an idle worker, or to a new one (under srv->lock).  -1 when
 * no thread could be made and none is idle. */
static int
dispatch(struct pd_lmtp *srv, struct conn *c)
{
	GError *err = NULL;
	GThread *t;

	if (srv->idle > (int)g_queue_get_length(&srv->waiting)) {
		g_queue_push_tail(&srv->waiting, c);
		g_cond_signal(&srv->work_cond);
		return 0;
	}
	if ((t = g_thread_try_new("lmtp", worker_main, srv, &err)) == NULL) {
		log_warnx("lmtp: %s", err->message);
		g_error_free(err);
		return -1;
	}
	g_ptr_array_add(srv->workers, t);
	g_queue_push_tail(&srv->waiting, c);
	return 0;
}

/* Best effort, never blocking: the accept thread must not wait on a
 * client it is turning away. */
static void
turn_away(GSocketConnection *sc, const char *line)
{
	GSocket *s = g_socket_connection_get_socket(sc);

	g_socket_set_blocking(s, FALSE);
	g_socket_send(s, line, strlen(line), NULL, NULL);
	g_io_stream_close(G_IO_STREAM(sc), NULL, NULL);
}

static gpointer
acceptor_main(gpointer arg)
{
	struct pd_lmtp *srv = arg;

	for (;;) {
		GError *err = NULL;
		GSocketConnection *sc = g_socket_listener_accept(srv->listener, NULL, srv->cancel,
		    &err);
		struct conn *c;
		char *line;

		if (sc == NULL) {
			if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
				g_error_free(err);
				break;
			}
			/* EMFILE and the like: do not spin. */
			log_warnx("lmtp: accept: %s", err->message);
			g_error_free(err);
			g_usleep(100 * 1000);
			continue;
		}
		g_mutex_lock(&srv->lock);
		if (srv->active >= srv->max_connections || srv->stopping) {
			int busy = !srv->stopping;
			g_mutex_unlock(&srv->lock);
			line = g_strdup_printf("421 4.3.2 %s %s\r\n", srv->hostname,
			    busy ? "Too many connections, try again later" : "Shutting down");
			if (busy)
				log_warnx("lmtp: %d connections: one more turned away",
				    srv->max_connections);
			turn_away(sc, line);
			g_free(line);
			g_object_unref(sc);
			if (!busy)
				break;
			continue;
		}
		srv->active++;
		g_mutex_unlock(&srv->lock);

		c = g_new0(struct conn, 1);
		c->srv = srv;
		c->sc = sc;
		c->in = G_BUFFERED_INPUT_STREAM(g_buffered_input_stream_new_sized(
		    g_io_stream_get_input_stream(G_IO_STREAM(sc)), LMTP_BUFFER));
		c->out = g_io_stream_get_output_stream(G_IO_STREAM(sc));
		c->replies = g_string_new(NULL);
		c->line = g_string_new(NULL);
		c->rcpts = g_ptr_array_new_with_free_func(g_free);
		c->data = g_byte_array_new();
		g_snprintf(c->name, sizeof c->name, "lmtp#%u", ++srv->seq);
		g_mutex_lock(&srv->lock);
		if (dispatch(srv, c) < 0) {
			srv->active--;
			g_mutex_unlock(&srv->lock);
			line = g_strdup_printf("421 4.3.0 %s Cannot serve now\r\n", srv->hostname);
			g_object_ref(sc);
			conn_free(c);
			turn_away(sc, line);
			g_object_unref(sc);
			g_free(line);
			continue;
		}
		g_mutex_unlock(&srv->lock);
	}
	return NULL;
}

/* A unix socket left by a daemon that died is removed; one that answers
 * belongs to a running daemon and is an error. */
static int
unix_prepare(const char *path, char **error_r)
{
	GSocketClient *cl;
	GSocketAddress *a;
	GSocketConnection *sc;
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		*error_r = g_strdup_printf("lmtp: %s exists and is not a socket", path);
		return -1;
	}
	cl = g_socket_client_new();
	a = g_unix_socket_address_new(path);
	sc = g_socket_client_connect(cl, G_SOCKET_CONNECTABLE(a), NULL, NULL);
	g_object_unref(a);
	g_object_unref(cl);
	if (sc) {
		g_object_unref(sc);
		*error_r = g_strdup_printf("lmtp: %s: another server is listening there", path);
		return -1;
	}
	if (unlink(path) < 0) {
		*error_r = g_strdup_printf("lmtp: %s: %s", path, g_strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_one(struct pd_lmtp *srv, const char *spec, char **error_r)
{
	GSocketAddress *a;
	GError *err = NULL;
	int ok;

	if (g_str_has_prefix(spec, "unix:")) {
		const char *path = spec + 5;
		if (unix_prepare(path, error_r) < 0)
			return -1;
		a = g_unix_socket_address_new(path);
	} else {
		const char *hp = spec + 5, *colon = strrchr(hp, ':');
		char *host = *hp == '[' ? g_strndup(hp + 1, (gsize)(colon - hp - 2)) :
		    g_strndup(hp, (gsize)(colon - hp));
		a = g_inet_socket_address_new_from_string(host, (guint)atoi(colon + 1));
		g_free(host);
		if (a == NULL) {
			*error_r = g_strdup_printf("lmtp: bad address %s", spec + 5);
			return -1;
		}
	}
	ok = g_socket_listener_add_address(srv->listener, a, G_SOCKET_TYPE_STREAM,
	    G_SOCKET_PROTOCOL_DEFAULT, NULL, srv->wake ? NULL : &srv->wake, &err);
	g_object_unref(a);
	if (!ok) {
		*error_r = g_strdup_printf("lmtp: %s: %s", spec, err->message);
		g_error_free(err);
		return -1;
	}
	if (g_str_has_prefix(spec, "unix:")) {
		/* The MTA's delivery agent runs as its own user. */
		if (chmod(spec + 5, 0666) < 0) {
			*error_r = g_strdup_printf("lmtp: chmod %s: %s", spec + 5,
			    g_strerror(errno));
			unlink(spec + 5);
			return -1;
		}
		g_ptr_array_add(srv->unix_paths, g_strdup(spec + 5));
	}
	return 0;
}

static void
lmtp_free(struct pd_lmtp *srv)
{
	for (guint i = 0; i < srv->unix_paths->len; i++)
		unlink(srv->unix_paths->pdata[i]);
	g_ptr_array_unref(srv->unix_paths);
	g_socket_listener_close(srv->listener);
	g_object_unref(srv->listener);
	g_object_unref(srv->cancel);
	g_ptr_array_unref(srv->jobs);
	g_ptr_array_unref(srv->workers);
	g_cond_clear(&srv->work_cond);
	g_clear_object(&srv->wake);
	g_cond_clear(&srv->jobs_cond);
	g_mutex_clear(&srv->lock);
	g_cond_clear(&srv->cond);
	g_free(srv->hostname);
	g_free(srv);
}

struct pd_lmtp *
lmtp_start(const struct pd_config *cfg, char **error_r)
{
	struct pd_lmtp *srv = g_new0(struct pd_lmtp, 1);

	g_mutex_init(&srv->lock);
	g_cond_init(&srv->cond);
	g_cond_init(&srv->jobs_cond);
	srv->jobs = g_ptr_array_new();
	srv->workers = g_ptr_array_new();
	g_queue_init(&srv->waiting);
	g_cond_init(&srv->work_cond);
	srv->cancel = g_cancellable_new();
	srv->listener = g_socket_listener_new();
	srv->unix_paths = g_ptr_array_new_with_free_func(g_free);
	srv->max_connections = cfg->lmtp.max_connections;
	srv->timeout = (guint)cfg->lmtp.timeout;
	srv->max_message = cfg->limits.max_message;
	srv->hostname = util_printable(cfg->hostname, 200);
	for (guint i = 0; i < cfg->lmtp.listen->len; i++)
		if (listen_one(srv, cfg->lmtp.listen->pdata[i], error_r) < 0) {
			lmtp_free(srv);
			return NULL;
		}
	return srv;
}

void
lmtp_run(struct pd_lmtp *srv, const struct pd_lmtp_hooks *hooks)
{
	srv->hooks = *hooks;
	srv->acceptor = g_thread_new("lmtp-accept", acceptor_main, srv);
}

int
lmtp_stop(struct pd_lmtp *srv)
{
	gint64 deadline = g_get_monotonic_time() + LMTP_STOP_WAIT * 1000;
	int left;

	g_mutex_lock(&srv->lock);
	srv->stopping = 1;
	g_cond_broadcast(&srv->work_cond);	/* idle workers end */
	g_mutex_unlock(&srv->lock);
	/* End the accept with a connection of our own rather than by
	 * cancelling it: GLib 2.74 leaks its sources when a many-socket
	 * g_socket_listener_accept is cancelled.  Cancel if that fails. */
	if (srv->acceptor) {
		GSocketClient *cl = g_socket_client_new();
		GSocketConnection *sc = srv->wake ? g_socket_client_connect(cl,
		    G_SOCKET_CONNECTABLE(srv->wake), NULL, NULL) : NULL;

		if (sc == NULL)
			g_cancellable_cancel(srv->cancel);
		g_thread_join(srv->acceptor);
		if (sc)
			g_object_unref(sc);
		g_object_unref(cl);
		srv->acceptor = NULL;
	}
	g_cancellable_cancel(srv->cancel);
	for (guint i = 0; i < srv->unix_paths->len; i++)
		unlink(srv->unix_paths->pdata[i]);
	g_ptr_array_set_size(srv->unix_paths, 0);
	g_socket_listener_close(srv->listener);
	g_mutex_lock(&srv->lock);
	while (srv->active > 0 && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&srv->cond, &srv->lock, deadline);
	left = srv->active;
	g_mutex_unlock(&srv->lock);
	if (left > 0) {
		log_warnx("lmtp: stopping with %d connection%s still busy", left,
		    left == 1 ? "" : "s");
		return -1;
	}
	/* every worker has served its last connection and is returning;
	 * joined, so that none still tears down when the daemon exits */
	for (guint i = 0; i < srv->workers->len; i++)
		g_thread_join(srv->workers->pdata[i]);
	g_ptr_array_set_size(srv->workers, 0);
	if (srv->rounds)
		log_info("lmtp: %" G_GUINT64_FORMAT " copies stored in %" G_GUINT64_FORMAT
		    " commits", srv->copies, srv->rounds);
	lmtp_free(srv);
	return 0;
}

int
lmtp_connections(struct pd_lmtp *srv)
{
	int n;

	g_mutex_lock(&srv->lock);
	n = srv->active;
	g_mutex_unlock(&srv->lock);
	return n;
}

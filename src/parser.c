/* parser.c: untrusted mail parsed in a child process (parser.h).
 *
 * Frames on the socket, both ways: a 64-bit length in host order, then
 * that many bytes of a GVariant.  The parent sends REQ_TYPE (the parse
 * limits and the raw length) followed by the raw bytes; the child
 * answers RESP_TYPE: 0 and the serialised message, or -1 and
 * message_parse's error.  A child that answers nothing (it died, or it
 * ran out of CPU time and the kernel sent SIGXCPU, or the wall-clock
 * deadline passed and we killed it) is reaped and its reason returned. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "message.h"
#include "parser.h"

#define PARSER_ARG		"--parser-child"
#define REQ_TYPE		"(xasiixt)"	/* limits..., raw length */
#define RESP_TYPE		"(isv)"
#define REQ_MAX			(1024 * 1024)	/* bytes of a request header */
#define DEADLINE_SLACK		10		/* wall seconds beyond 2 x CPU */
#define TEST_ENV		"POSTDESK_TEST_PARSER"	/* test hook, see below */

#if defined(__SANITIZE_ADDRESS__)
#define PARSER_NO_AS_LIMIT	1	/* ASan reserves terabytes of shadow */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARSER_NO_AS_LIMIT	1
#endif
#endif

struct pd_parser {
	gint64	 cpu;		/* seconds per mail, 0 none */
	gint64	 memory;	/* bytes, 0 none */
	GPid	 pid;		/* 0: no child running */
	int	 fd;		/* our end of its socket */
	int	 fork_only;	/* fork without exec (parser_set_fork) */
	int	 sent;		/* a mail sent whose answer is not read yet */
	size_t	 sent_len;	/* its length */
	gint64	 deadline;	/* monotonic time its answer is due by */
};

static int
read_all(int fd, void *buf, size_t len, gint64 deadline)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n;

		if (deadline > 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			gint64 left = (deadline - g_get_monotonic_time()) / 1000;
			int r;

			if (left <= 0)
				return -2;
			r = poll(&pfd, 1, (int)MIN(left, G_MAXINT));
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return -2;
		}
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_frame(int fd, GVariant *v)
{
	guint64 len = g_variant_get_size(v);
	gconstpointer data = g_variant_get_data(v);

	return write_all(fd, &len, sizeof len) < 0 || write_all(fd, data, len) < 0 ? -1 : 0;
}

/* A frame of at most max bytes; -1 EOF or error, -2 deadline passed. */
static int
read_frame(int fd, guint64 max, gint64 deadline, GBytes **out_r)
{
	guint64 len;
	void *buf;
	int rc;

	if ((rc = read_all(fd, &len, sizeof len, deadline)) < 0)
		return rc;
	if (len > max)
		return -1;
	buf = g_malloc(len ? len : 1);
	if ((rc = read_all(fd, buf, len, deadline)) < 0) {
		g_free(buf);
		return rc;
	}
	*out_r = g_bytes_new_take(buf, len);
	return 0;
}

/* ---- the child ---- */

/* A test-only hook: with POSTDESK_TEST_PARSER set, a mail carrying the
 * header "X-Postdesk-Test: crash" makes the child crash, "spin" makes
 * it spin on the CPU, "hang" makes it sleep (the wall-clock deadline);
 * "wait" makes it create the file $POSTDESK_TEST_PARSER_WAIT.reached
 * and wait (at most 60 s) until $POSTDESK_TEST_PARSER_WAIT exists, so
 * that a test can act at a known point of a run (t_imap.sh takes the
 * database's write lock there).  Without the variable the header means
 * nothing. */
static void
test_hook(const char *raw, size_t len)
{
	static const char key[] = "\nX-Postdesk-Test: ";
	const char *p = memmem(raw, len, key, sizeof key - 1);
	volatile unsigned long spin = 0;

	if (p == NULL)
		return;
	p += sizeof key - 1;
	len -= (size_t)(p - raw);
	if (len >= 5 && memcmp(p, "crash", 5) == 0) {
		signal(SIGSEGV, SIG_DFL);	/* not ASan's report and exit 1 */
		raise(SIGSEGV);
	}
	if (len >= 4 && memcmp(p, "spin", 4) == 0)
		for (;;)
			spin++;
	if (len >= 4 && memcmp(p, "hang", 4) == 0)
		for (;;)
			pause();
	if (len >= 4 && memcmp(p, "wait", 4) == 0 && getenv(TEST_ENV "_WAIT")) {
		const char *go = getenv(TEST_ENV "_WAIT");
		char *reached = g_strconcat(go, ".reached", NULL);

		g_file_set_contents(reached, "", 0, NULL);
		g_free(reached);
		for (int i = 0; i < 6000 && access(go, F_OK) != 0; i++)
			g_usleep(10000);
	}
}

/* This mail's CPU budget: what is used so far plus cpu seconds. */
static void
set_cpu_limit(gint64 cpu)
{
	struct rusage ru;
	struct rlimit rl;
	rlim_t used;

	if (cpu <= 0 || getrusage(RUSAGE_SELF, &ru) < 0 || getrlimit(RLIMIT_CPU, &rl) < 0)
		return;
	used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1);
	rl.rlim_cur = used + (rlim_t)cpu;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_CPU, &rl);
}

static gint64 child_cpu;

static int
child_one(int fd, int hook)
{
	struct pd_parse_limits lim;
	struct pd_message *msg = NULL;
	GBytes *req;
	GVariant *h, *resp, *types;
	guint64 rawlen;
	char *raw, *err = NULL;
	int rc;

	if (read_frame(fd, REQ_MAX, 0, &req) < 0)
		return -1;
	h = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(REQ_TYPE), req, FALSE));
	g_bytes_unref(req);
	memset(&lim, 0, sizeof lim);
	g_variant_get(h, "(x@asiixt)", &lim.max_attachment, &types, &lim.max_depth,
	    &lim.max_parts, &lim.max_header, &rawlen);
	lim.allowed_types = g_ptr_array_new_with_free_func(g_free);
	for (gsize i = 0; i < g_variant_n_children(types); i++) {
		GVariant *s = g_variant_get_child_value(types, i);

		g_ptr_array_add(lim.allowed_types, g_variant_dup_string(s, NULL));
		g_variant_unref(s);
	}
	g_variant_unref(types);
	g_variant_unref(h);
	raw = g_try_malloc(rawlen + 1);
	if (raw == NULL || read_all(fd, raw, rawlen, 0) < 0) {
		g_free(raw);
		g_ptr_array_unref(lim.allowed_types);
		return -1;
	}
	set_cpu_limit(child_cpu);
	if (hook)
		test_hook(raw, rawlen);
	rc = message_parse(raw, rawlen, &lim, &msg, &err);
	if (rc == 0)
		message_precompute(msg, raw, rawlen);	/* while the parent stores */
	g_free(raw);
	g_ptr_array_unref(lim.allowed_types);
	if (rc == 0) {
		GVariant *m = message_wire_to(msg);

		resp = g_variant_new("(is@v)", 0, "", g_variant_new_variant(m));
		g_variant_unref(m);
		message_free(msg);
	} else {
		resp = g_variant_new("(is@v)", -1, err ? err : "unknown error",
		    g_variant_new_variant(g_variant_new_tuple(NULL, 0)));
		g_free(err);
	}
	g_variant_ref_sink(resp);
	rc = write_frame(fd, resp);
	g_variant_unref(resp);
	return rc;
}

/* The child, exec'd or only forked: limits, then one mail after another
 * on fd 0/1 until the parent goes away.  Never returns. */
static G_GNUC_NORETURN void
child_run(gint64 cpu, gint64 mem, gint64 ppid)
{
	child_cpu = cpu;
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* a parent that died before the prctl (killed while we started)
	 * sends no signal: we would parse what it sent, for no one */
	if ((gint64)getppid() != ppid)
		_exit(0);
#ifndef PARSER_NO_AS_LIMIT
	if (mem > 0) {
		struct rlimit rl = { (rlim_t)mem, (rlim_t)mem };

		setrlimit(RLIMIT_AS, &rl);
	}
#else
	(void)mem;
#endif
	message_init();
	for (;;) {
		/* the parent went away: _exit, as there is nothing to flush
		 * and a SIGKILL (parser_free, PR_SET_PDEATHSIG) may come
		 * at any moment, also during an atexit leak check */
		if (child_one(STDIN_FILENO, getenv(TEST_ENV) != NULL) < 0)
			_exit(0);
	}
}

int
parser_child_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], PARSER_ARG) != 0)
		return -1;
	if (argc != 5)
		return 64;
	child_run(g_ascii_strtoll(argv[2], NULL, 10),
	    g_ascii_strtoll(argv[3], NULL, 10), g_ascii_strtoll(argv[4], NULL, 10));
}

/* ---- the parent ---- */

struct pd_parser *
parser_new(gint64 cpu_seconds, gint64 memory)
{
	struct pd_parser *p = g_new0(struct pd_parser, 1);

	p->cpu = cpu_seconds;
	p->memory = memory;
	p->fd = -1;
	return p;
}

int
parser_pid(const struct pd_parser *p)
{
	return p ? (int)p->pid : 0;
}

void
parser_set_fork(struct pd_parser *p, int on)
{
	p->fork_only = on;
}

/* 1 when this process has one thread: only then is a fork without exec
 * a whole, consistent copy (no lock held by a thread that is not there) */
static int
single_threaded(void)
{
	char buf[4096], *t;
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((t = strstr(buf, "\nThreads:")) == NULL)
		return 0;
	return g_ascii_strtoll(t + 9, NULL, 10) == 1;
}

/* The child as a fork of this process, without the second start-up of
 * an exec: the same code from child_run on, and, as g_spawn does for an
 * exec'd one, no descriptor but its socket (as 0 and 1) and stderr. */
static int
spawn_fork(struct pd_parser *p, int sv[2], char **error_r)
{
	gint64 ppid = (gint64)getpid();
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		*error_r = g_strdup_printf("parser child: fork: %s", g_strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(sv[1], STDIN_FILENO) < 0 || dup2(sv[1], STDOUT_FILENO) < 0)
			_exit(127);
		/* the database, the spool, the parent's socket end: gone */
		if (close_range(STDERR_FILENO + 1, ~0U, 0) < 0) {
			for (int fd = STDERR_FILENO + 1; fd < 65536; fd++)
				close(fd);
		}
		child_run(p->cpu, p->memory, ppid);
	}
	close(sv[1]);
	p->pid = pid;
	p->fd = sv[0];
	return 0;
}

static int
spawn(struct pd_parser *p, char **error_r)
{
	char cpu[32], mem[32], ppid[32];
	char *argv[] = { "/proc/self/exe", PARSER_ARG, cpu, mem, ppid, NULL };
	GError *gerr = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		*error_r = g_strdup_printf("parser socket: %s", g_strerror(errno));
		return -1;
	}
	if (p->fork_only && single_threaded())
		return spawn_fork(p, sv, error_r);
	g_snprintf(cpu, sizeof cpu, "%" G_GINT64_FORMAT, p->cpu);
	g_snprintf(mem, sizeof mem, "%" G_GINT64_FORMAT, p->memory);
	g_snprintf(ppid, sizeof ppid, "%d", (int)getpid());
	/* GLib closes every other descriptor in the child: no database */
	if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	    NULL, NULL, &p->pid, sv[1], sv[1], -1, &gerr)) {
		*error_r = g_strdup_printf("parser child: %s", gerr->message);
		g_error_free(gerr);
		close(sv[0]);
		close(sv[1]);
		p->pid = 0;
		return -1;
	}
	close(sv[1]);
	p->fd = sv[0];
	return 0;
}

int
parser_start(struct pd_parser *p, char **error_r)
{
	return p->pid != 0 ? 0 : spawn(p, error_r);
}

static char *
duration(gint64 s)
{
	if (s > 0 && s % 3600 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "h", s / 3600);
	if (s > 0 && s % 60 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", s / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT "s", s);
}

/* Kill and reap the child and say how it ended; timed_out: we ended
 * it at the wall-clock deadline. */
static char *
reap(struct pd_parser *p, int timed_out)
{
	int status = 0;
	char *why, *d;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid == 0)
		return g_strdup("parser died");
	kill(p->pid, SIGKILL);	/* a no-op for the dead */
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
	if (timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)) {
		d = duration(p->cpu);
		why = g_strdup_printf("parser exceeded %s", d);
		g_free(d);
	} else if (WIFSIGNALED(status))
		why = g_strdup_printf("parser died: signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		why = g_strdup_printf("parser died: exit status %d", WEXITSTATUS(status));
	else
		why = g_strdup("parser died");
	return why;
}

static int
send_request(struct pd_parser *p, const char *raw, size_t len,
    const struct pd_parse_limits *lim)
{
	GVariantBuilder tb;
	GVariant *h;
	int rc;

	g_variant_builder_init(&tb, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; lim && lim->allowed_types && i < lim->allowed_types->len; i++) {
		const char *t = lim->allowed_types->pdata[i];

		if (t && g_utf8_validate(t, -1, NULL))
			g_variant_builder_add(&tb, "s", t);
	}
	h = g_variant_ref_sink(g_variant_new(REQ_TYPE,
	    lim ? lim->max_attachment : (gint64)0, &tb, lim ? lim->max_depth : 0,
	    lim ? lim->max_parts : 0, lim ? lim->max_header : (gint64)0, (guint64)len));
	rc = write_frame(p->fd, h) < 0 || write_all(p->fd, raw, len) < 0 ? -1 : 0;
	g_variant_unref(h);
	return rc;
}

int
parser_send(struct pd_parser *p, const char *raw, size_t len,
    const struct pd_parse_limits *lim, char **error_r)
{
	int tries = 0;

	g_return_val_if_fail(!p->sent, PARSE_TEMPFAIL);
again:
	if (p->pid == 0 && spawn(p, error_r) < 0)
		return PARSE_TEMPFAIL;
	if (send_request(p, raw, len, lim) < 0) {
		/* it was gone before this mail: a new one gets a try */
		char *why = reap(p, 0);

		if (tries++ == 0) {
			g_free(why);
			goto again;
		}
		*error_r = why;
		return PARSE_DIED;
	}
	p->sent = 1;
	p->sent_len = len;
	p->deadline = g_get_monotonic_time() + (p->cpu > 0 ? p->cpu * 2 +
	    DEADLINE_SLACK : 3600) * G_USEC_PER_SEC;
	return PARSE_OK;
}

int
parser_receive(struct pd_parser *p, struct pd_message **msg_r, char **error_r)
{
	GBytes *out = NULL;
	GVariant *resp, *inner, *m;
	gint32 status;
	const char *err;
	int rc;

	*msg_r = NULL;
	g_return_val_if_fail(p->sent, PARSE_TEMPFAIL);
	p->sent = 0;
	rc = read_frame(p->fd, (guint64)p->sent_len * 8 + 64 * 1024 * 1024, p->deadline,
	    &out);
	if (rc < 0) {
		*error_r = reap(p, rc == -2);
		return PARSE_DIED;
	}
	resp = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(RESP_TYPE), out,
	    FALSE));
	g_bytes_unref(out);
	g_variant_get(resp, "(i&s@v)", &status, &err, &inner);
	m = g_variant_get_variant(inner);
	g_variant_unref(inner);
	if (status == 0) {
		rc = message_wire_from(m, msg_r, error_r) < 0 ? PARSE_DIED : PARSE_OK;
		if (rc == PARSE_DIED) {
			char *why = reap(p, 0);

			g_free(why);
		}
	} else {
		*error_r = g_strdup(*err ? err : "not mail");
		rc = PARSE_NOT_MAIL;
	}
	g_variant_unref(m);
	g_variant_unref(resp);
	return rc;
}

int
parser_parse(struct pd_parser *p, const char *raw, size_t len,
    const struct pd_parse_limits *lim, struct pd_message **msg_r, char **error_r)
{
	int rc;

	*msg_r = NULL;
	if ((rc = parser_send(p, raw, len, lim, error_r)) != PARSE_OK)
		return rc;
	return parser_receive(p, msg_r, error_r);
}

int
parser_pending(const struct pd_parser *p)
{
	return p && p->sent;
}

void
parser_free(struct pd_parser *p)
{
	if (p == NULL)
		return;
	if (p->pid) {
		/* killed before its socket closes, so that it is never in
		 * its exit when the signal comes: it holds nothing worth an
		 * orderly exit, which under ASan (the leak check) was slow
		 * enough to stall an LMTP reload */
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(p->fd);
		p->fd = -1;
	}
	g_free(p);
}

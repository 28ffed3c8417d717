/* daemon.c: postdeskd's work (SPEC 9), linked by the thin main in
 * postdeskd.c.  One thread per mailbox watcher, one
 * outbox sender, one timer thread; signals are taken synchronously by
 * the main thread with sigwait, so no work ever runs in a handler.
 *
 * Every thread has its own struct pd_ctx (SQLite connections are not
 * shared); a loaded config is read-only and shared, counted by struct
 * cfgref so that SIGHUP can swap it while threads still hold the old one.
 * Each mail and each timer step is one transaction, so stopping between
 * two of them, or being killed anywhere, leaves nothing half-done. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "ctx.h"
#include "daemon.h"
#include "lmtp.h"
#include "log.h"
#include "outbox.h"
#include "timers.h"
#include "util.h"
#include "watch.h"

#define DAEMON_CACHE_KIB	2048	/* SQLite page cache per connection */
#define SENDER_MAX_WAIT		30	/* seconds between outbox flushes at most */
#define SENDER_BATCH		20	/* mails per flush, so a stop is seen soon */
#define TIMER_MAX_WAIT		60
#define REOPEN_WAIT		5	/* seconds before opening the database again */
#define STOP_DEADLINE		4500	/* ms to wait for the threads on SIGTERM */

/* A loaded config and the threads that use it. */
struct cfgref {
	struct pd_config	*cfg;
	gint			 refs;
};

struct daemon;

struct watcher {
	struct daemon		*d;
	struct cfgref		*ref;
	const struct pd_mailbox	*mb;		/* in ref->cfg */
	struct pd_ctx		 ctx;
	int			 ctx_open;
	volatile gint		 stop;
	GThread			*thread;
};

/* A service thread's view of the current config. */
struct svc {
	struct cfgref		*ref;
	guint			 gen;
	struct pd_ctx		 ctx;
	int			 open;
	int			 failing;
};

struct daemon {
	GMutex			 lock;
	GCond			 cond;
	struct cfgref		*cur;		/* under lock */
	guint			 gen;		/* under lock; +1 per reload */
	int			 wake;		/* under lock: flush now */
	int			 stopping;	/* under lock */
	int			 running;	/* under lock: live threads */
	const char		*conf_path;
	GPtrArray		*watchers;	/* struct watcher *, main thread only */
	GThread			*sender;
	GThread			*timer;
	struct pd_lmtp		*lmtp;		/* main thread only; NULL: none */
	GPtrArray		*lmtp_idle;	/* under lock: struct pooled * */
};

/* An LMTP connection's ctx kept open for the next connection: a fresh
 * ctx's first mail costs ~10 ms more (statements prepared, patterns
 * compiled), and an MTA opens a connection per few mails. */
struct pooled {
	struct pd_ctx		 ctx;
	struct cfgref		*ref;
};

/* ctx_open runs migrations on first use: one at a time. */
static GMutex open_lock;

/* The LMTP listener daemon_check opened for daemon_serve. */
static struct pd_lmtp *lmtp_listening;

static struct cfgref *
cfgref_new(struct pd_config *cfg)
{
	struct cfgref *r = g_new0(struct cfgref, 1);

	r->cfg = cfg;
	r->refs = 1;
	return r;
}

static struct cfgref *
cfgref_get(struct cfgref *r)
{
	g_atomic_int_inc(&r->refs);
	return r;
}

static void
cfgref_put(struct cfgref *r)
{
	if (r && g_atomic_int_dec_and_test(&r->refs)) {
		config_free(r->cfg);
		g_free(r);
	}
}

/* Load the config; every error goes to the log (stderr at start-up) as
 * FILE:LINE: message.  NULL when it has any. */
struct pd_config *
daemon_load_config(const char *path)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg = config_load(path, errors);

	for (guint i = 0; i < errors->len; i++)
		log_warnx("%s", (char *)errors->pdata[i]);
	if (cfg == NULL && errors->len == 0)
		log_warnx("%s: cannot load the configuration", path);
	g_ptr_array_unref(errors);
	return cfg;
}

static int
ctx_open_locked(struct pd_ctx *ctx, struct pd_config *cfg, int *exit_r, char **error_r)
{
	int rc;

	g_mutex_lock(&open_lock);
	rc = ctx_open(ctx, cfg, exit_r, error_r);
	g_mutex_unlock(&open_lock);
	/* Each thread's connection: a small page cache, so the daemon's
	 * memory stays flat as the database grows (the file system caches
	 * the pages anyway). */
	if (rc == 0)
		store_set_cache(ctx->store, DAEMON_CACHE_KIB);
	return rc;
}

static void
thread_done(struct daemon *d)
{
	g_mutex_lock(&d->lock);
	d->running--;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
}

/* The watchers call this after recording mail. */
static void
wake_sender(void *arg)
{
	struct daemon *d = arg;

	g_mutex_lock(&d->lock);
	d->wake = 1;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
}

/* Wait up to secs or until stopping (or woken, when wake_r is given).
 * Returns 1 when the daemon is stopping. */
static int
svc_wait(struct daemon *d, gint64 secs, int *wake_r)
{
	gint64 deadline = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
	int stopping;

	g_mutex_lock(&d->lock);
	while (!d->stopping && !(wake_r && d->wake) && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&d->cond, &d->lock, deadline);
	if (wake_r) {
		*wake_r = d->wake;
		d->wake = 0;
	}
	stopping = d->stopping;
	g_mutex_unlock(&d->lock);
	return stopping;
}

/* Make sure the service thread's ctx uses the current config: reopened
 * after a reload.  0 ready, -1 the database could not be opened. */
static int
svc_ready(struct daemon *d, struct svc *s, const char *who)
{
	struct cfgref *ref = NULL;
	char *err = NULL;
	int ex;

	g_mutex_lock(&d->lock);
	if (!s->open || s->gen != d->gen) {
		ref = cfgref_get(d->cur);
		s->gen = d->gen;
	}
	g_mutex_unlock(&d->lock);
	if (ref == NULL)
		return 0;
	if (s->open)
		ctx_close(&s->ctx);
	s->open = 0;
	cfgref_put(s->ref);
	s->ref = ref;
	if (ctx_open_locked(&s->ctx, ref->cfg, &ex, &err) < 0) {
		if (!s->failing) {
			char *e = util_printable(err, 300);
			log_warnx("%s: %s", who, e);
			g_free(e);
		}
		s->failing = 1;
		g_free(err);
		/* Try the same config again next time. */
		g_mutex_lock(&d->lock);
		s->gen = d->gen - 1;
		g_mutex_unlock(&d->lock);
		return -1;
	}
	if (s->failing)
		log_info("%s: database open again", who);
	s->failing = 0;
	s->open = 1;
	return 0;
}

static void
svc_close(struct svc *s)
{
	if (s->open)
		ctx_close(&s->ctx);
	s->open = 0;
	cfgref_put(s->ref);
	s->ref = NULL;
}

/* Seconds until the earliest queued retry, at most SENDER_MAX_WAIT. */
static gint64
sender_next(struct pd_ctx *ctx)
{
	char *err = NULL;
	gint64 now = util_now(), wait = SENDER_MAX_WAIT, next;

	if (store_outbox_next_try(ctx->store, &next, &err) < 0) {
		g_free(err);
		return wait;
	}
	if (next)
		wait = MIN(wait, next - now);
	return MAX(wait, 1);
}

/* A service's run ended with rc (and err, freed here): the log tells
 * each change between failing and working once, not every run. */
static int
track_state(const char *who, int rc, int *failing, char *err)
{
	if (rc < 0) {
		if (!*failing) {
			char *e = util_printable(err, 300);
			log_warnx("%s: %s", who, e);
			g_free(e);
		}
		*failing = 1;
		g_free(err);
		return -1;
	}
	if (*failing)
		log_info("%s: working again", who);
	*failing = 0;
	return 0;
}

/* The outbox sender: flushes when woken, at each retry's time and at
 * least every SENDER_MAX_WAIT seconds. */
static gpointer
sender_main(gpointer arg)
{
	struct daemon *d = arg;
	struct svc s = { 0 };
	gint64 wait = 0;
	int woken, failing = 0;

	while (!svc_wait(d, wait, &woken)) {
		struct pd_flush_stats fs, sum = { 0 };
		char *err = NULL;
		int rc;

		if (svc_ready(d, &s, "outbox") < 0) {
			wait = REOPEN_WAIT;
			continue;
		}
		do {
			if ((rc = outbox_flush(&s.ctx, SENDER_BATCH, &fs, &err)) < 0)
				break;
			sum.sent += fs.sent;
			sum.deferred += fs.deferred;
			sum.failed += fs.failed;
			sum.waiting = fs.waiting;
		} while (fs.sent + fs.deferred + fs.failed >= SENDER_BATCH &&
		    !svc_wait(d, 0, NULL));
		if (track_state("outbox", rc, &failing, err) < 0) {
			wait = REOPEN_WAIT;
			continue;
		}
		if (sum.sent + sum.failed > 0)
			log_info("outbox: %d sent, %d deferred, %d failed, %d waiting",
			    sum.sent, sum.deferred, sum.failed, sum.waiting);
		else if (sum.deferred > 0)
			log_debug("outbox: %d sent, %d deferred, %d failed, %d waiting",
			    sum.sent, sum.deferred, sum.failed, sum.waiting);
		wait = sender_next(&s.ctx);
		if (sum.sent + sum.deferred + sum.failed > 0)
			ctx_idle(&s.ctx);	/* memory flat after a burst */
	}
	svc_close(&s);
	thread_done(d);
	return NULL;
}

/* The timers of SPEC 7.  With POSTDESK_NOW (tests) every second. */
static gpointer
timer_main(gpointer arg)
{
	struct daemon *d = arg;
	struct svc s = { 0 };
	int failing = 0, rc, fixed_clock = getenv("POSTDESK_NOW") != NULL;
	gint64 wait = 0;

	while (!svc_wait(d, wait, NULL)) {
		struct pd_timer_stats ts;
		char *err = NULL;

		if (svc_ready(d, &s, "timers") < 0) {
			wait = REOPEN_WAIT;
			continue;
		}
		rc = timers_run(&s.ctx, &ts, &err);
		if (track_state("timers", rc, &failing, err) < 0) {
			wait = REOPEN_WAIT;
			continue;
		}
		if (ts.warned + ts.breached + ts.closed + ts.first_late + ts.lookups > 0)
			wake_sender(d);
		wait = fixed_clock ? 1 : MIN(timers_next(&s.ctx), TIMER_MAX_WAIT);
		ctx_idle(&s.ctx);
	}
	svc_close(&s);
	thread_done(d);
	return NULL;
}

/* What runs each kind of source (config_sources[] names the kinds). */
static const struct {
	void	(*run)(struct pd_ctx *, const struct pd_mailbox *, volatile gint *,
		    pd_wake_fn, void *);
	int	(*drain)(struct pd_ctx *, const struct pd_mailbox *, int *, char **);
} sources[SRC_KIND_COUNT] = {
	[SRC_IMAP] = { imap_watch_run, imap_watch_drain },
	[SRC_MAILDIR] = { maildir_watch_run, maildir_watch_drain },
};

static gpointer
watcher_main(gpointer arg)
{
	struct watcher *w = arg;
	char *name = util_printable(w->mb->name, 64);
	char *err = NULL;
	int ex, failing = 0;

	while (!g_atomic_int_get(&w->stop)) {
		if (ctx_open_locked(&w->ctx, w->ref->cfg, &ex, &err) == 0) {
			w->ctx_open = 1;
			ctx_isolate_parsing(&w->ctx);
			break;
		}
		if (!failing) {
			char *e = util_printable(err, 300);
			log_warnx("%s: %s", name, e);
			g_free(e);
		}
		failing = 1;
		g_clear_pointer(&err, g_free);
		for (int i = 0; i < REOPEN_WAIT && !g_atomic_int_get(&w->stop); i++)
			g_usleep(G_USEC_PER_SEC);
	}
	if (w->ctx_open) {
		sources[w->mb->kind].run(&w->ctx, w->mb, &w->stop, wake_sender, w->d);
		ctx_close(&w->ctx);
		w->ctx_open = 0;
	}
	g_free(name);
	thread_done(w->d);
	return NULL;
}

static void
watcher_start(struct daemon *d, struct cfgref *ref, const struct pd_mailbox *mb)
{
	struct watcher *w = g_new0(struct watcher, 1);
	char *tname = g_strdup_printf("watch-%.8s", mb->name);

	w->d = d;
	w->ref = cfgref_get(ref);
	w->mb = mb;
	g_mutex_lock(&d->lock);
	d->running++;
	g_mutex_unlock(&d->lock);
	w->thread = g_thread_new(tname, watcher_main, w);
	g_free(tname);
	g_ptr_array_add(d->watchers, w);
}

/* Stop and join every watcher (each checks its flag once a second). */
static void
watchers_stop(struct daemon *d)
{
	for (guint i = 0; i < d->watchers->len; i++) {
		struct watcher *w = d->watchers->pdata[i];
		g_atomic_int_set(&w->stop, 1);
	}
	for (guint i = 0; i < d->watchers->len; i++) {
		struct watcher *w = d->watchers->pdata[i];
		g_thread_join(w->thread);
		cfgref_put(w->ref);
		g_free(w);
	}
	g_ptr_array_set_size(d->watchers, 0);
}

static void
watchers_start_all(struct daemon *d, struct cfgref *ref)
{
	for (guint i = 0; i < ref->cfg->mailboxes->len; i++)
		watcher_start(d, ref, ref->cfg->mailboxes->pdata[i]);
}

static int
mailbox_same(const struct pd_mailbox *a, const struct pd_mailbox *b)
{
	return g_strcmp0(a->name, b->name) == 0 && g_strcmp0(a->url, b->url) == 0 &&
	    g_strcmp0(a->user, b->user) == 0 && g_strcmp0(a->after, b->after) == 0 &&
	    g_strcmp0(a->queue, b->queue) == 0;
}

/* Mailboxes of a that b does not have (same name, url, user, after and
 * queue). */
static int
mailboxes_missing(const struct pd_config *a, const struct pd_config *b)
{
	int n = 0;

	for (guint i = 0; i < a->mailboxes->len; i++) {
		int found = 0;
		for (guint j = 0; j < b->mailboxes->len && !found; j++)
			found = mailbox_same(a->mailboxes->pdata[i], b->mailboxes->pdata[j]);
		n += !found;
	}
	return n;
}

static void
pooled_free(struct pooled *p)
{
	ctx_close(&p->ctx);
	cfgref_put(p->ref);
	g_free(p);
}

/* Close every idle ctx (after a reload, at the stop). */
static void
lmtp_pool_drain(struct daemon *d)
{
	GPtrArray *old;

	g_mutex_lock(&d->lock);
	old = d->lmtp_idle;
	d->lmtp_idle = g_ptr_array_new();
	g_mutex_unlock(&d->lock);
	for (guint i = 0; i < old->len; i++)
		pooled_free(old->pdata[i]);
	g_ptr_array_unref(old);
}

/* LMTP connections: each takes a ctx on the config current when it
 * starts (an idle one when there is one) and holds that config until it
 * ends. */
static int
lmtp_open(void *arg, struct pd_ctx *ctx, void **token_r, char **error_r)
{
	struct daemon *d = arg;
	struct pooled *p = NULL;
	int ex;

	g_mutex_lock(&d->lock);
	while (p == NULL && d->lmtp_idle->len > 0) {
		p = g_ptr_array_steal_index(d->lmtp_idle, d->lmtp_idle->len - 1);
		if (p->ref != d->cur) {
			g_mutex_unlock(&d->lock);
			pooled_free(p);
			p = NULL;
			g_mutex_lock(&d->lock);
		}
	}
	if (p == NULL) {
		p = g_new0(struct pooled, 1);
		p->ref = cfgref_get(d->cur);
		g_mutex_unlock(&d->lock);
		if (ctx_open_locked(&p->ctx, p->ref->cfg, &ex, error_r) < 0) {
			cfgref_put(p->ref);
			g_free(p);
			return -1;
		}
		ctx_isolate_parsing(&p->ctx);	/* LMTP mail is parsed in a child too */
	} else
		g_mutex_unlock(&d->lock);
	*ctx = p->ctx;
	*token_r = p;
	return 0;
}

static void
lmtp_close(void *arg, struct pd_ctx *ctx, void *token)
{
	struct daemon *d = arg;
	struct pooled *p = token;

	ctx_idle(ctx);
	p->ctx = *ctx;
	g_mutex_lock(&d->lock);
	if (p->ref == d->cur && !d->stopping &&
	    d->lmtp_idle->len < (guint)p->ref->cfg->lmtp.max_connections) {
		g_ptr_array_add(d->lmtp_idle, p);
		p = NULL;
	}
	g_mutex_unlock(&d->lock);
	if (p)
		pooled_free(p);
}

/* Listen on cfg's LMTP addresses: 0 when there are none or it listens
 * (*srv_r set), -1 logged. */
static int
lmtp_listen(const struct pd_config *cfg, struct pd_lmtp **srv_r)
{
	char *err = NULL;

	*srv_r = NULL;
	if (cfg->lmtp.listen->len == 0)
		return 0;
	if ((*srv_r = lmtp_start(cfg, &err)) == NULL) {
		log_warnx("%s", err);
		g_free(err);
		return -1;
	}
	log_info("lmtp: listening on %u address%s", cfg->lmtp.listen->len,
	    cfg->lmtp.listen->len == 1 ? "" : "es");
	return 0;
}

static void
lmtp_begin(struct daemon *d, struct pd_lmtp *srv)
{
	const struct pd_lmtp_hooks hooks = { lmtp_open, lmtp_close, wake_sender, d };

	if ((d->lmtp = srv) != NULL)
		lmtp_run(srv, &hooks);
}

/* Whether the listener must start again for b. */
static int
lmtp_same(const struct pd_config *a, const struct pd_config *b)
{
	if (a->lmtp.listen->len != b->lmtp.listen->len ||
	    a->lmtp.max_connections != b->lmtp.max_connections ||
	    a->lmtp.timeout != b->lmtp.timeout ||
	    a->limits.max_message != b->limits.max_message ||
	    g_strcmp0(a->hostname, b->hostname) != 0)
		return 0;
	for (guint i = 0; i < a->lmtp.listen->len; i++)
		if (strcmp(a->lmtp.listen->pdata[i], b->lmtp.listen->pdata[i]) != 0)
			return 0;
	return 1;
}

/* SIGHUP.  A config with errors is refused and the old one kept.  The
 * watchers are restarted on the new config all together, unchanged
 * mailboxes included: a running watcher's ctx cannot have its config
 * swapped under it, and queues, staff and limits may have changed.  A
 * restart is one second of waiting; nothing is lost. */
static void
reload(struct daemon *d)
{
	struct pd_config *cfg;
	struct cfgref *ref, *old;
	int added, removed;

	log_info("reloading %s", d->conf_path);
	if ((cfg = daemon_load_config(d->conf_path)) == NULL) {
		log_warnx("reload failed: keeping the old configuration");
		return;
	}
	ref = cfgref_new(cfg);
	added = mailboxes_missing(cfg, d->cur->cfg);
	removed = mailboxes_missing(d->cur->cfg, cfg);
	watchers_stop(d);
	g_mutex_lock(&d->lock);
	old = d->cur;
	d->cur = ref;
	d->gen++;
	d->wake = 1;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
	/* New LMTP connections take the new config; the listener itself
	 * starts again only when its own settings changed (its open
	 * connections end with 421 and the MTA tries again). */
	if (!lmtp_same(old->cfg, cfg)) {
		struct pd_lmtp *srv;
		if (d->lmtp && lmtp_stop(d->lmtp) < 0)
			log_warnx("lmtp: busy connections left behind");
		d->lmtp = NULL;
		if (lmtp_listen(cfg, &srv) < 0)
			log_warnx("lmtp: not listening until the next reload");
		lmtp_begin(d, srv);
	}
	lmtp_pool_drain(d);
	cfgref_put(old);
	watchers_start_all(d, ref);
	log_info("reloaded: %u mailboxes (+%d -%d)", cfg->mailboxes->len, added, removed);
}

/* SIGTERM: every thread stops between two units of work.  One that
 * does not finish in time (an SMTP or IMAP server gone silent) is left
 * behind: what it was doing is one uncommitted transaction, which SQLite
 * rolls back, exactly as after a crash. */
static int
shutdown_all(struct daemon *d)
{
	gint64 deadline = g_get_monotonic_time() + STOP_DEADLINE * 1000;
	int left;

	g_mutex_lock(&d->lock);
	d->stopping = 1;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
	if (d->lmtp && lmtp_stop(d->lmtp) < 0)
		return -1;
	d->lmtp = NULL;
	lmtp_pool_drain(d);
	for (guint i = 0; i < d->watchers->len; i++) {
		struct watcher *w = d->watchers->pdata[i];
		g_atomic_int_set(&w->stop, 1);
	}
	g_mutex_lock(&d->lock);
	while (d->running > 0 && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&d->cond, &d->lock, deadline);
	left = d->running;
	g_mutex_unlock(&d->lock);
	if (left > 0) {
		log_warnx("stopping with %d thread%s still busy", left, left == 1 ? "" : "s");
		return -1;
	}
	watchers_stop(d);
	g_thread_join(d->sender);
	g_thread_join(d->timer);
	return 0;
}

/* Refuse to start twice: the pid file stays locked while we run. */
int
daemon_pidfile_lock(const char *path)
{
	char buf[32] = "";
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
		fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			n = read(fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			g_strchomp(buf);
			fatal(EX_TEMPFAIL, "already running (pid %s, %s)", *buf ? buf : "?",
			    path);
		}
		fatal(EX_OSERR, "%s: lock: %s", path, strerror(errno));
	}
	return fd;
}

void
daemon_pidfile_write(int fd, const char *path)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		fatal(EX_IOERR, "%s: %s", path, strerror(errno));
}

/* Like Postfix: look the user up, setgid, initgroups, setuid, check each
 * call, and make sure root cannot be had back. */
void
daemon_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		fatal(EX_NOUSER, "unknown user %s%s%s: create it with `adduser --system "
		    "--group --home /var/lib/postdesk %s` or pass -u USER", user,
		    errno ? ": " : "", errno ? strerror(errno) : "", user);
	if (pw->pw_uid == 0)
		fatal(EX_USAGE, "will not run as %s: it is root", user);
	if (setgid(pw->pw_gid) < 0)
		fatal(EX_OSERR, "setgid %ld: %s", (long)pw->pw_gid, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		fatal(EX_OSERR, "initgroups %s: %s", pw->pw_name, strerror(errno));
	if (setuid(pw->pw_uid) < 0)
		fatal(EX_OSERR, "setuid %ld: %s", (long)pw->pw_uid, strerror(errno));
	if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0)
		fatal(EX_OSERR, "still root after dropping privileges");
}

void
daemon_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		fatal(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		fatal(EX_OSERR, "/dev/null: %s", strerror(errno));
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* --once: every mailbox drained, timers run, outbox flushed, one
 * summary line.  75 when anything failed for now. */
int
daemon_run_once(struct pd_config *cfg)
{
	struct pd_ctx ctx;
	struct pd_timer_stats ts = { 0 };
	struct pd_flush_stats fs = { 0 };
	char *err = NULL;
	int ex = 0, mails = 0, tempfail = 0;

	if (ctx_open(&ctx, cfg, &ex, &err) < 0) {
		log_warnx("%s", err ? err : "cannot open the database");
		g_free(err);
		return ex ? ex : EX_TEMPFAIL;
	}
	ctx_isolate_parsing(&ctx);
	for (guint i = 0; i < cfg->mailboxes->len; i++) {
		const struct pd_mailbox *mb = cfg->mailboxes->pdata[i];
		int count = 0, rc;
		rc = sources[mb->kind].drain(&ctx, mb, &count, &err);
		mails += count;
		if (rc < 0) {
			char *n = util_printable(mb->name, 64), *e = util_printable(err, 300);
			log_warnx("%s: %s", n, e);
			g_free(n);
			g_free(e);
			g_clear_pointer(&err, g_free);
			tempfail = 1;
		}
	}
	if (timers_run(&ctx, &ts, &err) < 0) {
		char *e = util_printable(err, 300);
		log_warnx("timers: %s", e);
		g_free(e);
		g_clear_pointer(&err, g_free);
		tempfail = 1;
	}
	if (outbox_flush(&ctx, 0, &fs, &err) < 0) {
		char *e = util_printable(err, 300);
		log_warnx("outbox: %s", e);
		g_free(e);
		g_clear_pointer(&err, g_free);
		tempfail = 1;
	}
	if (fs.deferred > 0)
		tempfail = 1;
	printf("mailboxes: %u, mails: %d; timers: %d warned, %d breached, %d closed; "
	    "first responses late: %d; outbox: %d sent, %d deferred, %d failed, %d waiting\n",
	    cfg->mailboxes->len, mails, ts.warned, ts.breached, ts.closed, ts.first_late, fs.sent,
	    fs.deferred, fs.failed, fs.waiting);
	fflush(stdout);
	ctx_close(&ctx);
	return tempfail ? EX_TEMPFAIL : 0;
}

/* --flush: the outbox sent once; 0 when nothing waits, 75 otherwise. */
int
daemon_run_flush(struct pd_config *cfg)
{
	struct pd_ctx ctx;
	struct pd_flush_stats fs;
	char *err = NULL;
	int ex = 0;

	if (ctx_open(&ctx, cfg, &ex, &err) < 0 || outbox_flush_now(&ctx, &fs, &err) < 0) {
		char *e = util_printable(err ? err : "cannot open the database", 300);
		log_warnx("outbox flush: %s", e);
		g_free(e);
		g_free(err);
		if (ctx.store)
			ctx_close(&ctx);
		return ex ? ex : EX_TEMPFAIL;
	}
	printf("outbox: %d sent, %d deferred, %d failed, %d waiting\n", fs.sent, fs.deferred,
	    fs.failed, fs.waiting);
	ctx_close(&ctx);
	return fs.waiting ? EX_TEMPFAIL : 0;
}

int
daemon_check(struct pd_config *cfg)
{
	struct pd_ctx check;
	char *err = NULL;
	int ex = 0;

	if (ctx_open(&check, cfg, &ex, &err) < 0) {
		log_warnx("%s", err ? err : "cannot open the database");
		g_free(err);
		return ex ? ex : EX_TEMPFAIL;
	}
	ctx_close(&check);
	if (lmtp_listen(cfg, &lmtp_listening) < 0)
		return EX_UNAVAILABLE;
	return 0;
}

int
daemon_serve(const char *conf_path, struct pd_config *cfg)
{
	struct daemon d = { 0 };
	sigset_t set;

	/* Block the signals before any thread exists; main takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	g_mutex_init(&d.lock);
	g_cond_init(&d.cond);
	d.conf_path = conf_path;
	d.cur = cfgref_new(cfg);
	d.watchers = g_ptr_array_new();
	d.lmtp_idle = g_ptr_array_new();
	d.running = 2;
	d.sender = g_thread_new("outbox", sender_main, &d);
	d.timer = g_thread_new("timers", timer_main, &d);
	watchers_start_all(&d, d.cur);
	lmtp_begin(&d, lmtp_listening);
	lmtp_listening = NULL;
	log_info("started: %u mailbox%s", cfg->mailboxes->len,
	    cfg->mailboxes->len == 1 ? "" : "es");

	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&d);
			continue;
		}
		log_info("stopping on signal %d", sig);
		break;
	}
	/* Threads still busy: leave without freeing under them. */
	if (shutdown_all(&d) < 0)
		return -1;
	cfgref_put(d.cur);
	g_ptr_array_unref(d.watchers);
	g_ptr_array_unref(d.lmtp_idle);
	g_mutex_clear(&d.lock);
	g_cond_clear(&d.cond);
	return 0;
}

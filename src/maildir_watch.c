/* maildir_watch.c: a local Maildir as a source (SPEC 2).  Mail waiting
 * in new/ is taken in oldest first (names begin with the delivery
 * time); once intake_process has committed it, the file moves to cur/
 * with the Seen flag, so what is left in new/ is exactly what is still
 * to do.  A crash between the commit and the rename only makes the mail
 * seen again, and intake's exactly-once check turns it into a
 * duplicate. */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#define MAILDIR_PREFIX		"maildir:"
#define MAILDIR_SLACK		(1024 * 1024)	/* read past max_message */
#define MAILDIR_WAKE_EVERY	50		/* wake the sender every N mails */
#define MAILDIR_RETRY_MAX	60		/* seconds between tries after a failure */

/* The folder of a "maildir:/path" URL (also "maildir:///path"). */
static const char *
maildir_path(const struct pd_mailbox *mb)
{
	const char *p = mb->url;

	if (g_str_has_prefix(p, MAILDIR_PREFIX))
		p += strlen(MAILDIR_PREFIX);
	if (g_str_has_prefix(p, "//"))
		p += 2;
	return p;
}

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in new/, sorted.  Dot files are Maildir's own business. */
static int
list_new(const char *dir, GPtrArray **names_r, char **error_r)
{
	GPtrArray *names;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		*error_r = g_strdup_printf("%s: %s", dir, g_strerror(errno));
		return -1;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			g_ptr_array_add(names, g_strdup(de->d_name));
	closedir(d);
	g_ptr_array_sort(names, name_cmp);
	*names_r = names;
	return 0;
}

/* At most max bytes of path; *size_r is the file's real size.
 * 1 read, 0 gone (another reader moved it), -1 error. */
static int
read_mail(const char *path, gint64 max, GByteArray **data_r, gint64 *size_r,
    char **error_r)
{
	GByteArray *data;
	struct stat sb;
	gint64 want;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*error_r = g_strdup_printf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*size_r = sb.st_size;
	want = MIN((gint64)sb.st_size, max);
	data = g_byte_array_sized_new((guint)want);
	g_byte_array_set_size(data, (guint)want);
	for (gint64 got = 0; got < want; ) {
		ssize_t n = read(fd, data->data + got, (size_t)(want - got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
			g_byte_array_unref(data);
			close(fd);
			return -1;
		}
		if (n == 0) {
			g_byte_array_set_size(data, (guint)got);
			break;
		}
		got += n;
	}
	close(fd);
	*data_r = data;
	return 1;
}

/* NAME -> NAME:2,S, keeping the info flags it may already have (sorted,
 * as the Maildir convention wants). */
static char *
seen_name(const char *name)
{
	const char *info = strstr(name, ":2,");
	GString *s;

	if (info == NULL)
		return g_strconcat(name, ":2,S", NULL);
	if (strchr(info + 3, 'S'))
		return g_strdup(name);
	s = g_string_new_len(name, info + 3 - name);
	for (const char *f = info + 3; ; f++) {
		if (*f == '\0' || *f > 'S') {
			g_string_append_c(s, 'S');
			g_string_append(s, f);
			break;
		}
		g_string_append_c(s, *f);
	}
	return g_string_free(s, FALSE);
}

static int
fsync_dir(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		*error_r = g_strdup_printf("%s: %s", dir, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One mail from new/ through intake and into cur/.  1 recorded, 0 gone
 * meanwhile, -1 temporary failure (the file stays in new/). */
static int
take_one(struct pd_ctx *ctx, const struct pd_mailbox *mb, const char *root,
    const char *name, char **error_r)
{
	char *from = g_build_filename(root, "new", name, NULL);
	char *seen = seen_name(name);
	char *to = g_build_filename(root, "cur", seen, NULL);
	char *curdir = g_build_filename(root, "cur", NULL);
	struct pd_intake_result r = { 0 };
	struct pd_source src = { 0 };
	GByteArray *data = NULL;
	gint64 max = ctx->cfg->limits.max_message + MAILDIR_SLACK, size = 0;
	int rc;

	if ((rc = read_mail(from, max, &data, &size, error_r)) <= 0)
		goto out;
	src.kind = "maildir";
	src.mailbox = mb->name;
	src.size = size > (gint64)data->len ? size : 0;
	rc = -1;
	if (intake_process(ctx, data->data, data->len, &src, &r, error_r) < 0)
		goto out;
	log_debug("%s: %s %s%s%s", mb->name, name, intake_outcome_name(r.outcome),
	    r.ref ? " " : "", r.ref ? r.ref : "");
	if (rename(from, to) < 0) {
		*error_r = g_strdup_printf("rename %s: %s", from, g_strerror(errno));
		goto out;
	}
	if (fsync_dir(curdir, error_r) < 0)
		goto out;
	rc = 1;
out:
	intake_result_clear(&r);
	if (data)
		g_byte_array_unref(data);
	g_free(from);
	g_free(seen);
	g_free(to);
	g_free(curdir);
	return rc;
}

/* Everything in new/, oldest first, until done, a failure or *stop. */
static int
drain(struct pd_ctx *ctx, const struct pd_mailbox *mb, volatile gint *stop,
    pd_wake_fn wake, void *wake_arg, int *count_r, char **error_r)
{
	const char *root = maildir_path(mb);
	char *newdir = g_build_filename(root, "new", NULL);
	GPtrArray *names;
	int rc = 0, since_wake = 0;

	*count_r = 0;
	if (list_new(newdir, &names, error_r) < 0) {
		g_free(newdir);
		return -1;
	}
	for (guint i = 0; i < names->len; i++) {
		int one;
		if (stop && g_atomic_int_get(stop))
			break;
		if ((one = take_one(ctx, mb, root, names->pdata[i], error_r)) < 0) {
			rc = -1;
			break;
		}
		*count_r += one;
		since_wake += one;
		if (wake && since_wake >= MAILDIR_WAKE_EVERY) {
			wake(wake_arg);
			since_wake = 0;
		}
	}
	if (wake && since_wake > 0)
		wake(wake_arg);
	g_ptr_array_unref(names);
	g_free(newdir);
	return rc;
}

int
maildir_watch_drain(struct pd_ctx *ctx, const struct pd_mailbox *mb, int *count_r,
    char **error_r)
{
	return drain(ctx, mb, NULL, NULL, NULL, count_r, error_r);
}

/* Sleep up to secs, a second at a time, unless *stop. */
static void
nap(volatile gint *stop, gint64 secs)
{
	for (gint64 i = 0; i < secs && !g_atomic_int_get(stop); i++)
		g_usleep(G_USEC_PER_SEC);
}

/* An inotify watch on new/, or -1 when the folder is not there. */
static int
watch_open(const char *newdir, int *wd_r)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	*wd_r = inotify_add_watch(fd, newdir, IN_MOVED_TO | IN_CLOSE_WRITE |
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (*wd_r < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the pending events.  0 something arrived, 1 the folder went. */
static int
watch_read(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int gone = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				gone = 1;
			p += sizeof *ev + ev->len;
		}
	}
	return gone;
}

void
maildir_watch_run(struct pd_ctx *ctx, const struct pd_mailbox *mb,
    volatile gint *stop, pd_wake_fn wake, void *wake_arg)
{
	char *newdir = g_build_filename(maildir_path(mb), "new", NULL);
	char *name = util_printable(mb->name, 64);
	gint64 poll_secs = mb->poll > 0 ? mb->poll : DEF_POLL, retry = 1, last_drain;
	int fd = -1, wd = -1, missing = 0, failing = 0, dirty = 1;

	while (!g_atomic_int_get(stop)) {
		struct pollfd pfd;
		if (fd < 0) {
			if ((fd = watch_open(newdir, &wd)) < 0) {
				if (!missing)
					log_warn("%s: cannot watch %s", name, newdir);
				missing = 1;
				nap(stop, poll_secs);
				continue;
			}
			if (missing)
				log_info("%s: watching %s again", name, newdir);
			else
				log_info("%s: watching %s", name, newdir);
			missing = 0;
			dirty = 1;
		}
		last_drain = g_get_monotonic_time() / G_USEC_PER_SEC;
		if (dirty) {
			char *err = NULL;
			int count;
			dirty = 0;
			if (drain(ctx, mb, stop, wake, wake_arg, &count, &err) < 0) {
				if (!failing) {
					char *e = util_printable(err, 300);
					log_warnx("%s: %s; will try again", name, e);
					g_free(e);
				}
				g_free(err);
				failing = 1;
				nap(stop, retry);
				retry = MIN(retry * 2, MAILDIR_RETRY_MAX);
				dirty = 1;
				continue;
			}
			if (failing)
				log_info("%s: taking mail in again", name);
			failing = 0;
			retry = 1;
			if (count > 0)
				log_info("%s: %d mail%s taken in", name, count, count == 1 ?
				    "" : "s");
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (!g_atomic_int_get(stop) && !dirty) {
			int n = poll(&pfd, 1, 1000);
			if (n > 0) {
				if (watch_read(fd)) {
					log_warnx("%s: %s went away", name, newdir);
					close(fd);
					fd = -1;
					missing = 1;
				}
				dirty = 1;
			} else if (n < 0 && errno != EINTR) {
				log_warn("%s: poll", name);
				g_usleep(G_USEC_PER_SEC);
			}
			/* A safety net for lost events (queue overflow). */
			if (g_get_monotonic_time() / G_USEC_PER_SEC - last_drain >= poll_secs)
				dirty = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	g_free(newdir);
	g_free(name);
}

/* import.c: mbox and Maildir readers for `postdesk import`.  They only
 * cut files into messages; the caller feeds each one to intake. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "util.h"

#define READ_CHUNK	65536	/* the longest piece of a line looked at */

struct line_reader {
	int	 fd;
	char	*buf;
	size_t	 start, end;
	int	 eof;
	gint64	 offset;	/* file offset of buf[start] */
};

/*
 * Next piece of the file: a whole line with its '\n', or READ_CHUNK
 * bytes of a longer one, so a file without newlines never makes us
 * hold more than one chunk.  1 a piece, 0 end of file, -1 error.
 */
static int
reader_next(struct line_reader *r, const char **piece_r, size_t *len_r, char **error_r)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL || r->eof ||
		    (r->start == 0 && r->end == READ_CHUNK)) {
			if (nl == NULL && r->end == r->start)
				return 0;
			*piece_r = r->buf + r->start;
			*len_r = nl ? (size_t)(nl - (r->buf + r->start)) + 1 :
			    r->end - r->start;
			r->start += *len_r;
			r->offset += (gint64)*len_r;
			return 1;
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		n = read(r->fd, r->buf + r->end, READ_CHUNK - r->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = g_strdup_printf("read: %s", g_strerror(errno));
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

static int
is_blank(const char *p, size_t len)
{
	return (len == 1 && p[0] == '\n') || (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* A "From " line that carries a date ("From addr Sat Jan  3 01:05:34
 * 1996"): a time hh:mm and a four-digit year.  Body lines that merely
 * start with "From " in an unescaped mboxo file rarely do. */
static int
looks_like_postmark(const char *p, size_t len)
{
	int time = 0, year = 0;
	size_t i, run = 0;

	if (len < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	for (i = 5; i < len; i++) {
		if (g_ascii_isdigit(p[i])) {
			run++;
			if (run == 4 && (i + 1 == len || !g_ascii_isdigit(p[i + 1])))
				year = 1;
			continue;
		}
		if (p[i] == ':' && run >= 1 && run <= 2 && i + 2 < len &&
		    g_ascii_isdigit(p[i + 1]) && g_ascii_isdigit(p[i + 2]))
			time = 1;
		run = 0;
	}
	return time && year;
}

/* ">From ", ">>From " ... (mboxrd escapes) */
static int
is_escaped_from(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] == '>')
		i++;
	return i > 0 && len - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

struct mbox_msg {
	GString	*buf;
	gint64	 size;		/* real size, counting what was cut */
	gint64	 offset;	/* of its From line */
	size_t	 max;
};

static void
msg_append(struct mbox_msg *m, const char *p, size_t len)
{
	m->size += (gint64)len;
	if (m->max && m->buf->len + len > m->max)
		len = m->buf->len < m->max ? m->max - m->buf->len : 0;
	g_string_append_len(m->buf, p, (gssize)len);
}

static int
msg_emit(struct mbox_msg *m, const char *path, gint64 done, gint64 total,
    import_cb cb, void *user)
{
	struct import_mail im;
	char *where = g_strdup_printf("%s:%" G_GINT64_FORMAT, path, m->offset);
	int rc;

	memset(&im, 0, sizeof im);
	im.data = m->buf->str;
	im.len = m->buf->len;
	im.size = m->size;
	im.where = where;
	im.done = done;
	im.total = total;
	rc = cb(&im, user);
	g_free(where);
	g_string_truncate(m->buf, 0);
	m->size = 0;
	return rc;
}

int
import_mbox(const char *path, size_t max, import_cb cb, void *user, char **error_r)
{
	struct line_reader r;
	struct mbox_msg m;
	struct stat sb;
	const char *p;
	size_t len;
	int rc, in_msg = 0, at_start = 1, skip_rest = 0, result = 0;
	char blank[2];
	size_t blank_len = 0;	/* a held blank line: dropped before a From line */

	memset(&r, 0, sizeof r);
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(r.fd, &sb) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		close(r.fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		*error_r = g_strdup_printf("%s: %s", path, S_ISDIR(sb.st_mode) ?
		    "a folder but not a Maildir (no cur/ and new/)" : "not a regular file");
		close(r.fd);
		return -1;
	}
	r.buf = g_malloc(READ_CHUNK);
	m.buf = g_string_new(NULL);
	m.size = 0;
	m.offset = 0;
	m.max = max;

	while ((rc = reader_next(&r, &p, &len, error_r)) == 1) {
		int line_start = at_start;
		gint64 line_offset = r.offset - (gint64)len;

		at_start = p[len - 1] == '\n';
		if (!line_start) {
			/* the rest of a long line */
			if (!skip_rest && in_msg)
				msg_append(&m, p, len);
			continue;
		}
		skip_rest = 0;
		if (len >= 5 && memcmp(p, "From ", 5) == 0 &&
		    (!in_msg || looks_like_postmark(p, len))) {
			if (in_msg && (result = msg_emit(&m, path, line_offset,
			    (gint64)sb.st_size, cb, user)) != 0)
				break;
			in_msg = 1;
			blank_len = 0;
			m.offset = line_offset;
			skip_rest = !at_start;
			continue;
		}
		if (!in_msg) {
			if (is_blank(p, len))
				continue;
			*error_r = g_strdup_printf("%s: not an mbox file (it does not "
			    "start with a \"From \" line)", path);
			rc = -1;
			break;
		}
		if (blank_len) {
			msg_append(&m, blank, blank_len);
			blank_len = 0;
		}
		if (is_blank(p, len)) {
			memcpy(blank, p, len);
			blank_len = len;
			continue;
		}
		if (is_escaped_from(p, len))
			msg_append(&m, p + 1, len - 1);
		else
			msg_append(&m, p, len);
	}
	if (rc == 0 && result == 0 && in_msg)
		result = msg_emit(&m, path, r.offset, (gint64)sb.st_size, cb, user);
	close(r.fd);
	g_free(r.buf);
	g_string_free(m.buf, TRUE);
	if (rc < 0)
		return -1;
	return result ? 1 : 0;
}

int
import_name_cmp(const char *a, const char *b)
{
	size_t da = 0, db = 0;
	const char *za = a, *zb = b;
	int c;

	/* leading numbers by value: skip zeros, the longer is larger */
	while (*za == '0' && g_ascii_isdigit(za[1]))
		za++;
	while (*zb == '0' && g_ascii_isdigit(zb[1]))
		zb++;
	while (g_ascii_isdigit(za[da]))
		da++;
	while (g_ascii_isdigit(zb[db]))
		db++;
	if (da && db) {
		if (da != db)
			return da < db ? -1 : 1;
		if ((c = memcmp(za, zb, da)) != 0)
			return c < 0 ? -1 : 1;
	}
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
	return import_name_cmp(*(char *const *)a, *(char *const *)b);
}

/* The file names of dir (no dot files), sorted oldest first. */
static int
maildir_list(const char *dir, GPtrArray *out, char **error_r)
{
	GError *gerr = NULL;
	GDir *d = g_dir_open(dir, 0, &gerr);
	GPtrArray *names;
	const char *name;

	if (d == NULL) {
		*error_r = g_strdup_printf("%s: %s", dir, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	names = g_ptr_array_new();
	while ((name = g_dir_read_name(d)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	g_dir_close(d);
	/* sort by the base name, which is what carries the time */
	for (guint i = 0; i < names->len; i++) {
		char *full = names->pdata[i];

		names->pdata[i] = g_strdup(strrchr(full, '/') + 1);
		g_free(full);
	}
	g_ptr_array_sort(names, name_cmp);
	for (guint i = 0; i < names->len; i++) {
		g_ptr_array_add(out, g_build_filename(dir, names->pdata[i], NULL));
		g_free(names->pdata[i]);
	}
	g_ptr_array_free(names, TRUE);
	return 0;
}

/* One Maildir file, cut at max bytes; 0 ok, -1 with *error_r. */
static int
maildir_read(const char *file, size_t max, GByteArray **data_r, gint64 *size_r,
    char **error_r)
{
	struct stat sb;
	int fd, too_big = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = g_strdup(g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*error_r = g_strdup("not a regular file");
		close(fd);
		return -1;
	}
	if (util_read_fd(fd, max, data_r, &too_big, error_r) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	*size_r = (gint64)(*data_r)->len;
	if (too_big)
		*size_r = MAX((gint64)sb.st_size, (gint64)max + 1);
	return 0;
}

int
import_maildir(const char *path, size_t max, import_cb cb, void *user, char **error_r)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	char *sub;
	int rc = 0;

	sub = g_build_filename(path, "new", NULL);
	rc = maildir_list(sub, files, error_r);
	g_free(sub);
	if (rc == 0) {
		sub = g_build_filename(path, "cur", NULL);
		rc = maildir_list(sub, files, error_r);
		g_free(sub);
	}
	for (guint i = 0; rc == 0 && i < files->len; i++) {
		struct import_mail im;
		GByteArray *data = NULL;
		char *err = NULL;

		memset(&im, 0, sizeof im);
		im.where = files->pdata[i];
		im.done = i + 1;
		im.total = files->len;
		if (maildir_read(files->pdata[i], max, &data, &im.size, &err) < 0)
			im.error = err;
		else {
			im.data = (const char *)data->data;
			im.len = data->len;
		}
		if (cb(&im, user) != 0)
			rc = 1;
		if (data)
			g_byte_array_unref(data);
		g_free(err);
	}
	g_ptr_array_unref(files);
	return rc;
}

int
import_is_maildir(const char *path)
{
	char *cur = g_build_filename(path, "cur", NULL);
	char *new = g_build_filename(path, "new", NULL);
	int r;

	r = g_file_test(cur, G_FILE_TEST_IS_DIR) && g_file_test(new, G_FILE_TEST_IS_DIR);
	g_free(cur);
	g_free(new);
	return r;
}

/* nolibs.c: the libmount and libselinux functions that the static GIO
 * archive refers to, for the programs linked with it (configure's
 * static link, CLI_DEP_LIBS).  GMime needs GIO; postdesk never asks GIO
 * for mount points or SELinux labels, but the archive's objects name
 * them, so the link pulled in libmount, libblkid, libselinux and the
 * shared PCRE2: four shared objects mapped and ~900 symbol relocations
 * at every start (a deliver, a status page), and libselinux's
 * constructor probing /sys/fs/selinux and /proc/filesystems.  Here
 * SELinux is off and the mount table cannot be read, which GIO handles
 * as on a system without them (issue 12: 1.0 M instructions less of
 * `postdesk -h`'s 2.6 M). */
#include <errno.h>
#include <stddef.h>

#include <libmount.h>
#include <selinux/selinux.h>

/* --- libselinux: disabled --------------------------------------------- */

int
is_selinux_enabled(void)
{
	return 0;
}

void
freecon(char *con)
{
	(void)con;
}

static int
no_label(char **con)
{
	if (con)
		*con = NULL;
	errno = ENOTSUP;
	return -1;
}

int
getfilecon_raw(const char *path, char **con)
{
	(void)path;
	return no_label(con);
}

int
lgetfilecon_raw(const char *path, char **con)
{
	(void)path;
	return no_label(con);
}

int
fgetfilecon_raw(int fd, char **con)
{
	(void)fd;
	return no_label(con);
}

int
setfilecon_raw(const char *path, const char *con)
{
	(void)path;
	(void)con;
	errno = ENOTSUP;
	return -1;
}

/* --- libmount: no table can be read ------------------------------------ */

struct libmnt_table *
mnt_new_table(void)
{
	return NULL;
}

void
mnt_free_table(struct libmnt_table *tb)
{
	(void)tb;
}

int
mnt_table_parse_mtab(struct libmnt_table *tb, const char *filename)
{
	(void)tb;
	(void)filename;
	return -ENOSYS;
}

int
mnt_table_parse_fstab(struct libmnt_table *tb, const char *filename)
{
	(void)tb;
	(void)filename;
	return -ENOSYS;
}

struct libmnt_iter *
mnt_new_iter(int direction)
{
	(void)direction;
	return NULL;
}

void
mnt_free_iter(struct libmnt_iter *itr)
{
	(void)itr;
}

int
mnt_table_next_fs(struct libmnt_table *tb, struct libmnt_iter *itr, struct libmnt_fs **fs)
{
	(void)tb;
	(void)itr;
	if (fs)
		*fs = NULL;
	return 1;	/* the end of the table */
}

const char *
mnt_fs_get_source(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

const char *
mnt_fs_get_target(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

const char *
mnt_fs_get_fstype(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

const char *
mnt_fs_get_options(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

const char *
mnt_fs_get_root(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

char *
mnt_fs_strdup_options(struct libmnt_fs *fs)
{
	(void)fs;
	return NULL;
}

const char *
mnt_get_fstab_path(void)
{
	return "/etc/fstab";
}

int
mnt_has_regular_mtab(const char **mtab, int *writable)
{
	(void)mtab;
	(void)writable;
	return 0;
}

const struct libmnt_optmap *
mnt_get_builtin_optmap(int id)
{
	(void)id;
	return NULL;
}

int
mnt_optstr_get_flags(const char *optstr, unsigned long *flags,
    const struct libmnt_optmap *map)
{
	(void)optstr;
	(void)map;
	if (flags)
		*flags = 0;
	return -ENOSYS;
}

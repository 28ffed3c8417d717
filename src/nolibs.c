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
 * `postdesk -h`'s 2.6 M).
 *
 * The same for GPGME, which the static GMime names for its PGP/MIME
 * crypto contexts: postdesk never verifies or decrypts, and GMime only
 * calls gpgme_check_version at g_mime_init (its result unused) and
 * gpgme_new when asked for a crypto context, which then fails as "not
 * supported".  So libgpgme, libassuan and libgpg-error are no longer
 * mapped and relocated, nor their constructors run, in every deliver
 * and its parser child (three shared objects of ten). */
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

/* --- GPGME: no crypto engine ------------------------------------------ */

/* gpgme_error_t: GPG_ERR_SOURCE_GPGME (7) << 24 | GPG_ERR_NOT_SUPPORTED (60) */
#define NO_GPGME	((7U << 24) | 60U)

/* handles are opaque pointers; the types of gpgme.h, which is not
 * installed, spelt as what they are in the ABI */
typedef unsigned int gpgme_err;
typedef void *gpgme_ptr;

const char *
gpgme_check_version_internal(const char *req, size_t offset)
{
	(void)req;
	(void)offset;
	return NULL;
}

const char *
gpgme_strerror(gpgme_err err)
{
	(void)err;
	return "GPGME is not available in postdesk";
}

gpgme_err
gpgme_engine_check_version(int proto)
{
	(void)proto;
	return NO_GPGME;
}

gpgme_err
gpgme_new(gpgme_ptr *ctx)
{
	if (ctx)
		*ctx = NULL;
	return NO_GPGME;
}

gpgme_err
gpgme_data_new_from_cbs(gpgme_ptr *dh, void *cbs, void *handle)
{
	(void)cbs;
	(void)handle;
	if (dh)
		*dh = NULL;
	return NO_GPGME;
}

/* With no context made, nothing below is ever reached; each still
 * answers "not supported" or nothing. */
#define NO_CTX_VOID(name, ...)	void name(__VA_ARGS__) { }
#define NO_CTX_ERR(name, ...)	gpgme_err name(__VA_ARGS__) { return NO_GPGME; }
#define NO_CTX_PTR(name, ...)	gpgme_ptr name(__VA_ARGS__) { return NULL; }
#define NO_CTX_INT(name, ...)	unsigned int name(__VA_ARGS__) { return 0; }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
NO_CTX_VOID(gpgme_data_release, gpgme_ptr dh)
NO_CTX_VOID(gpgme_release, gpgme_ptr ctx)
NO_CTX_VOID(gpgme_key_unref, gpgme_ptr key)
NO_CTX_VOID(gpgme_set_armor, gpgme_ptr ctx, int yes)
NO_CTX_VOID(gpgme_set_textmode, gpgme_ptr ctx, int yes)
NO_CTX_VOID(gpgme_set_offline, gpgme_ptr ctx, int yes)
NO_CTX_VOID(gpgme_set_passphrase_cb, gpgme_ptr ctx, void *cb, void *hook)
NO_CTX_VOID(gpgme_signers_clear, gpgme_ptr ctx)
NO_CTX_INT(gpgme_get_keylist_mode, gpgme_ptr ctx)
NO_CTX_INT(gpgme_get_protocol, gpgme_ptr ctx)
NO_CTX_ERR(gpgme_get_key, gpgme_ptr ctx, const char *fpr, gpgme_ptr *key, int secret)
NO_CTX_ERR(gpgme_op_decrypt, gpgme_ptr ctx, gpgme_ptr cipher, gpgme_ptr plain)
NO_CTX_ERR(gpgme_op_decrypt_verify, gpgme_ptr ctx, gpgme_ptr cipher, gpgme_ptr plain)
NO_CTX_ERR(gpgme_op_encrypt, gpgme_ptr ctx, gpgme_ptr *recp, unsigned int flags,
    gpgme_ptr plain, gpgme_ptr cipher)
NO_CTX_ERR(gpgme_op_encrypt_sign, gpgme_ptr ctx, gpgme_ptr *recp, unsigned int flags,
    gpgme_ptr plain, gpgme_ptr cipher)
NO_CTX_ERR(gpgme_op_export_ext, gpgme_ptr ctx, const char **pattern, unsigned int mode,
    gpgme_ptr keydata)
NO_CTX_ERR(gpgme_op_import, gpgme_ptr ctx, gpgme_ptr keydata)
NO_CTX_ERR(gpgme_op_keylist_end, gpgme_ptr ctx)
NO_CTX_ERR(gpgme_op_keylist_next, gpgme_ptr ctx, gpgme_ptr *key)
NO_CTX_ERR(gpgme_op_keylist_start, gpgme_ptr ctx, const char *pattern, int secret)
NO_CTX_ERR(gpgme_op_sign, gpgme_ptr ctx, gpgme_ptr plain, gpgme_ptr sig, int mode)
NO_CTX_ERR(gpgme_op_verify, gpgme_ptr ctx, gpgme_ptr sig, gpgme_ptr text, gpgme_ptr plain)
NO_CTX_ERR(gpgme_set_ctx_flag, gpgme_ptr ctx, const char *name, const char *value)
NO_CTX_ERR(gpgme_set_keylist_mode, gpgme_ptr ctx, unsigned int mode)
NO_CTX_ERR(gpgme_set_protocol, gpgme_ptr ctx, int proto)
NO_CTX_ERR(gpgme_signers_add, gpgme_ptr ctx, gpgme_ptr key)
NO_CTX_PTR(gpgme_op_decrypt_result, gpgme_ptr ctx)
NO_CTX_PTR(gpgme_op_import_result, gpgme_ptr ctx)
NO_CTX_PTR(gpgme_op_sign_result, gpgme_ptr ctx)
NO_CTX_PTR(gpgme_op_verify_result, gpgme_ptr ctx)
#pragma GCC diagnostic pop

/* import.h: the readers behind `postdesk import` (SPEC 2, backlog).
 * An mbox file or a Maildir is cut into messages handed one at a time
 * to a callback, in bounded memory: only the current message is held,
 * and even it is cut at max bytes (its real size is still counted). */
#ifndef PD_IMPORT_H
#define PD_IMPORT_H

#include <glib.h>

struct import_mail {
	const char	*data;	/* raw bytes, NULL when error is set */
	size_t		 len;
	gint64		 size;	/* the real size: larger than len when cut */
	const char	*where;	/* "PATH:OFFSET" (mbox) or the file (Maildir) */
	const char	*error;	/* this file could not be read, or NULL */
	gint64		 done;	/* bytes read (mbox) or files done (Maildir) */
	gint64		 total;	/* file size (mbox) or number of files (Maildir) */
};

/* Called once per message; the struct and its strings are only valid
 * during the call.  Return 0 to go on, anything else stops the read. */
typedef int (*import_cb)(const struct import_mail *m, void *user);

/* Read the mbox (mboxrd/mboxo) at path: messages start at "From " lines
 * at the start of the file or after a blank line (or that look like a
 * postmark "From addr Day Mon dd hh:mm:ss yyyy"); the blank line before
 * a separator is dropped and ">From " lines lose one '>'.
 * max: bytes of one message kept (0: no limit).
 * Returns 0 when all was read, 1 when the callback stopped it, -1 on
 * an error with *error_r (caller frees). */
int import_mbox(const char *path, size_t max, import_cb cb, void *user, char **error_r);

/* Read the Maildir at path: new/ then cur/, files sorted by name (the
 * leading time stamp numerically) so the oldest comes first.  A file
 * that cannot be read is passed with error set.  Returns as import_mbox. */
int import_maildir(const char *path, size_t max, import_cb cb, void *user, char **error_r);

/* 1 when path is a folder with cur/ and new/ in it. */
int import_is_maildir(const char *path);

/* Compare Maildir file names: leading numbers by value, then bytewise. */
int import_name_cmp(const char *a, const char *b);

#endif

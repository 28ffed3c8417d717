/* tnef.h: Outlook's winmail.dat (application/ms-tnef) into its files. */
#ifndef PD_TNEF_H
#define PD_TNEF_H

#include <glib.h>

struct tnef_file {
	char	*filename;	/* never NULL */
	char	*content_type;	/* guessed from the name, else application/octet-stream */
	GBytes	*data;
};

/* Unpack data.  Returns 0 and a GPtrArray of struct tnef_file * (free
 * with tnef_files_free), or -1 and *error_r.  *body_r, when not NULL,
 * gets the message body text carried in the TNEF, if any (caller frees). */
int tnef_unpack(const void *data, size_t len, GPtrArray **files_r, char **body_r,
    char **error_r);
void tnef_files_free(GPtrArray *files);

#endif

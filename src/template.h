/* template.h: one file per event, "Subject: ..." line, blank line,
 * body; an optional "EVENT.html" beside it is the HTML alternative.
 * Variables are {{name}}; an unknown one is an error with FILE:LINE. */
#ifndef PD_TEMPLATE_H
#define PD_TEMPLATE_H

#include <glib.h>

/* The events of SPEC 6, NULL-terminated. */
extern const char *const template_events[];
/* The variables of SPEC 6, NULL-terminated. */
extern const char *const template_variables[];

struct pd_rendered {
	char	*subject;	/* UTF-8, one line */
	char	*text;		/* UTF-8 */
	char	*html;		/* UTF-8 or NULL */
};

/* Find EVENT.txt in queue_dir (may be NULL) then in dir; render it with
 * vars (char * -> char *; values inserted as they are in text, escaped in
 * HTML).  0 ok; -1 and *error_r ("FILE:LINE: unknown variable {{x}}",
 * "FILE: no Subject: line", "no template for EVENT"). */
int template_render(const char *dir, const char *queue_dir, const char *event,
    GHashTable *vars, struct pd_rendered *out, char **error_r);
void template_rendered_clear(struct pd_rendered *);
/* Template files are kept read per process and read again when they
 * change (inode, size, mtime).  How many reads so far (tests), and
 * forget them all. */
unsigned int template_files_read(void);
void template_cache_clear(void);

/* Render every event's template(s) in dir (and queue_dir) with sample
 * values, appending each problem to errors ("FILE:LINE: message").
 * Returns the number of problems. */
int template_check_all(const char *dir, const char *queue_dir, GPtrArray *errors);

#endif

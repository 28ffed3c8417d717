/* ticket_view.h: the fields of a ticket as its readers see them: one
 * list, in one order, with one label each, for `postdesk show` (text and
 * --json), `postdesk list` (text and --json) and the status page (the
 * customer's view and the staff view).  Each renderer walks the list and
 * formats the values its own way (terminal-safe text, JSON, HTML). */
#ifndef PD_TICKET_VIEW_H
#define PD_TICKET_VIEW_H

#include <glib.h>

#include "store.h"

/* Where a field appears. */
#define VIEW_JSON	0x01	/* show --json, list --json (SPEC 9 keys) */
#define VIEW_SHOW	0x02	/* postdesk show */
#define VIEW_LIST	0x04	/* postdesk list columns */
#define VIEW_PAGE	0x08	/* the customer's status page */
#define VIEW_STAFF	0x10	/* the staff view of one ticket */

struct pd_field {
	const char	*key;		/* JSON key; list column head in upper case */
	const char	*label;		/* "Last update" */
	const char	*page_label;	/* on the customer's page, when it differs */
	int		 is_time;
	unsigned	 views;		/* VIEW_* */
	unsigned	 only_set;	/* VIEW_* where an unset value is left out */
	int		 list_width;	/* list column cap; -1: the rest of the line */
};

/* The fields, ended by { NULL }. */
extern const struct pd_field ticket_view_fields[];

/* Is field f shown in view for t?  (A due time already met is history
 * on the customer's page, not an expectation.) */
int ticket_view_shown(const struct pd_ticket *t, const struct pd_field *f, unsigned view);
/* A text field's value (caller frees), NULL when unset: labels joined by
 * ", ", the customer as "Name <email>". */
char *ticket_view_text(const struct pd_ticket *t, const struct pd_field *f);
/* A time field's value, 0 when unset. */
gint64 ticket_view_time(const struct pd_ticket *t, const struct pd_field *f);
/* The ticket's members of SPEC 9's JSON object (no braces): o gets
 * "ref":...,...,"merged_into":... */
void ticket_view_json(GString *o, const struct pd_ticket *t);

#endif

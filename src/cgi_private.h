/* cgi_private.h: what cgi.c, cgi_customer.c and cgi_staff.c share: the
 * request, the page being built and the common output helpers. */
#ifndef PD_CGI_PRIVATE_H
#define PD_CGI_PRIVATE_H

#include <glib.h>

#include "ctx.h"
#include "intake.h"
#include "store.h"

#define CGI_MAX_FIELD	1024	/* ref, email, search words... */

struct pd_config;
struct pd_staff;

#define CGI_MAX_FILES	10	/* attachments on one reply */
#define CGI_MAX_LABEL	64	/* one label, characters */
#define CGI_MAX_TEXT	20000	/* a reply or note typed on a page, characters */
#define CGI_FORM_MAX_AGE	(24 * 3600)	/* a form token's life, seconds */
#define CGI_SEARCH_MAX	1000	/* a staff search lists the tickets of the newest
				 * 1000 matching messages */

/* A file of a multipart/form-data POST. */
struct cgi_file {
	char	*field;
	char	*filename;
	char	*content_type;	/* as the browser said */
	GBytes	*data;
};

struct req {
	const char	*method;
	const char	*remote_user;
	const char	*script;	/* last part of SCRIPT_NAME */
	GHashTable	*q;		/* query string */
	GHashTable	*f;		/* form body (POST) */
	GPtrArray	*files;		/* struct cgi_file *, POST only */
};

struct page {
	int		 status;
	const char	*reason;
	GString		*body;
	int		 wide;		/* the staff pages: the whole width */
};

/* cgi.c: request values and common output */
const char	*cgi_param(const struct req *, const char *);
const char	*cgi_param_set(const struct req *, const char *);
void		 cgi_page_head(struct page *, const char *);
void		 cgi_page_foot(struct page *);
void		 cgi_page_simple(struct page *, int, const char *, const char *, const char *);
void		 cgi_page_not_found(struct page *);
void		 cgi_page_error(struct page *);
void		 cgi_emit_headers(int, const char *, const char *);
void		 cgi_emit_page(const struct page *, const char *);
char		*cgi_fmt_time(gint64);
char		*cgi_fmt_size(gint64);
void		 cgi_row(GString *, const char *, const char *);
void		 cgi_row_time(GString *, const char *, gint64);
void		 cgi_rows(GString *, const struct pd_ticket *, unsigned);
void		 cgi_append_link(GString *, const char *, ...) G_GNUC_NULL_TERMINATED;
char		*cgi_public_author(const struct pd_config *, const struct pd_ticket *,
		    const struct pd_stored_message *);
void		 cgi_render_thread(GString *, const struct pd_config *, const struct pd_ticket *,
		    GPtrArray *, int, const char *);
int		 cgi_header_safe(const char *);
int		 cgi_send_attachment(struct pd_ctx *, GPtrArray *, const char *);

GBytes		*cgi_compose(struct pd_ctx *, const struct pd_ticket *, const char *,
		    const char *, const char *, GPtrArray *);
int		 cgi_intake(struct pd_ctx *, GBytes *, struct pd_source *,
		    struct pd_intake_result *);

/* cgi_customer.c */
int		 cgi_do_lookup(struct pd_ctx *, const struct req *, struct page *);
void		 cgi_page_lookup(struct page *);
void		 cgi_customer_list(struct pd_ctx *, const struct req *, struct page *);
void		 cgi_customer(struct pd_ctx *, const struct req *, struct page *, char **);

/* cgi_staff.c: me is the staff member the web server signed in */
void		 cgi_staff_list(struct pd_ctx *, const struct req *, const struct pd_staff *,
		    struct page *);
void		 cgi_staff_ticket(struct pd_ctx *, const struct req *, const struct pd_staff *,
		    struct page *);
void		 cgi_staff_post(struct pd_ctx *, const struct req *, const struct pd_staff *,
		    struct page *, char **);

#endif

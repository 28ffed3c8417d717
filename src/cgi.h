/* cgi.h: postdesk.cgi, the status page of SPEC section 8.
 * A CGI program (RFC 3875): the request comes from the environment and
 * stdin, the answer goes to stdout, details of errors to stderr (the
 * web server's log).  It reads the store and queues mail through
 * notify; it never parses mail. */
#ifndef PD_CGI_H
#define PD_CGI_H

#include <glib.h>

#define CGI_MAX_BODY		(64 * 1024)	/* POST bodies, bytes */
#define CGI_MAX_COMMENT		2000		/* CSAT comment, characters */
#define CGI_PAGE_SIZE		20		/* staff list */

/* Parse an application/x-www-form-urlencoded string into h (char * keys
 * and values, g_free'd by h; the first value of a name wins).  0 ok, -1
 * when an escape is malformed or a value is not UTF-8. */
int cgi_form_parse(const char *s, GHashTable *h);

/* Serve one request.  Returns the process exit status (0: an answer was
 * written, even an error page). */
int cgi_main(void);

#endif

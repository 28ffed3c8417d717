/* log.c: one place decides where messages go. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_ident = "postdesk";
static int log_stderr = 1;
static int log_verbose;
static int log_info_syslog;	/* log_info to syslog, not stderr */

void
log_init(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* A program the MTA runs (postdesk deliver): its info lines, one per
 * mail, go to the mail log; warnings still go to stderr too, where the
 * MTA shows them. */
void
log_info_to_syslog(void)
{
	if (!log_stderr || log_info_syslog)
		return;
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_info_syslog = 1;
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void log_vlog(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vlog(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (log_stderr) {
		if (suffix)
			fprintf(stderr, "%s: %s: %s\n", log_ident, buf, suffix);
		else
			fprintf(stderr, "%s: %s\n", log_ident, buf);
	} else if (suffix)
		syslog(prio, "%s: %s", buf, suffix);
	else
		syslog(prio, "%s", buf);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_info_syslog && !log_verbose)
		vsyslog(LOG_INFO, fmt, ap);
	else
		log_vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(code);
}

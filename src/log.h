/* log.h: logging to stderr (foreground, commands) or syslog (daemon). */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <stdnoreturn.h>

#define PD_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ident is the program name; to_stderr selects stderr over syslog. */
void log_init(const char *ident, int to_stderr);
void log_set_verbose(int verbose);
void log_info(const char *fmt, ...) PD_PRINTF(1, 2);
void log_info_to_syslog(void);	/* deliver: info lines to the mail log (-v: stderr) */
void log_debug(const char *fmt, ...) PD_PRINTF(1, 2);
/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) PD_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) PD_PRINTF(1, 2);
/* Start-up errors and the impossible only. */
noreturn void fatal(int code, const char *fmt, ...) PD_PRINTF(2, 3);

#endif

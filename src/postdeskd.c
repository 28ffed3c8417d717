/* postdeskd.c: the daemon's main (SPEC 9): options, then daemon.c. */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "parser.h"
#include "util.h"

#define PD_DEFAULT_PIDFILE	"/run/postdesk/postdeskd.pid"
#define PD_DEFAULT_USER		"postdesk"

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: postdeskd [-fv] [-c CONF] [-p PIDFILE] [-u USER] "
	    "[--once | --flush]\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'O' },
		{ "flush", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = NULL, *pidfile = NULL, *user = PD_DEFAULT_USER;
	struct pd_config *cfg;
	char *path;
	int ch, foreground = 0, verbose = 0, once = 0, flush = 0, pidfd = -1, rc;

	if ((rc = parser_child_main(argc, argv)) >= 0)
		return rc;	/* we were the parser child (parser.h) */
	while ((ch = getopt_long(argc, argv, "c:fp:u:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'f': foreground = 1; break;
		case 'p': pidfile = optarg; break;
		case 'u': user = optarg; break;
		case 'v': verbose = 1; break;
		case 'O': once = 1; break;
		case 'F': flush = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	umask(027);
	log_init("postdeskd", 1);
	log_set_verbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	/* Reloads happen after chdir("/"): keep the path absolute. */
	path = g_canonicalize_filename(config_path(conf), NULL);
	if ((cfg = daemon_load_config(path)) == NULL) {
		g_free(path);
		return EX_CONFIG;
	}
	if (flush) {
		/* No mail is parsed: the caller's user is kept (postdesk
		 * outbox flush runs this). */
		rc = daemon_run_flush(cfg);
		config_free(cfg);
		g_free(path);
		return rc;
	}
	if (pidfile == NULL && !foreground && !once)
		pidfile = PD_DEFAULT_PIDFILE;
	if (pidfile)
		pidfd = daemon_pidfile_lock(pidfile);
	daemon_drop_privileges(user);

	if (once) {
		rc = daemon_run_once(cfg);
		config_free(cfg);
		g_free(path);
		return rc;
	}

	/* Fail on the terminal, before going to the background. */
	if ((rc = daemon_check(cfg)) != 0) {
		config_free(cfg);
		g_free(path);
		return rc;
	}
	if (!foreground) {
		log_init("postdeskd", 0);
		daemon_detach();
	}
	if (pidfd >= 0)
		daemon_pidfile_write(pidfd, pidfile);

	if (daemon_serve(path, cfg) < 0) {
		/* Threads are still busy: leave without freeing under them. */
		if (pidfile)
			unlink(pidfile);
		_exit(0);
	}
	if (pidfile) {
		unlink(pidfile);
		close(pidfd);
	}
	g_free(path);
	log_info("stopped");
	return 0;
}

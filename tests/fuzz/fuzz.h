/* fuzz.h: what the libFuzzer targets of tests/fuzz share.
 * Each target is one fuzz_NAME.c defining LLVMFuzzerTestOneInput (and
 * LLVMFuzzerInitialize when it needs set-up); tests/fuzz/run.sh runs
 * them.  The targets link the real library, built with
 * -fsanitize=fuzzer-no-link,address,undefined (configure --enable-fuzz).
 * Input is untrusted mail or what a stranger can send: the targets
 * give it to the same functions postdesk gives it to, with the test
 * configuration (the one tests/tools/testconf.sh writes). */
#ifndef PD_FUZZ_H
#define PD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "src/config.h"
#include "src/intake.h"
#include "src/log.h"
#include "src/message.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The source tree: $PD_FUZZ_SRCDIR, else the one configure saw. */
static inline const char *
fuzz_srcdir(void)
{
	const char *s = getenv("PD_FUZZ_SRCDIR");

	return s && *s ? s : PD_FUZZ_DEFAULT_SRCDIR;
}

static inline G_GNUC_NORETURN void
fuzz_bail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz set-up: %s: %s\n", what, err ? err : "?");
	abort();
}

/* GLib criticals and warnings are bugs: print them, then abort() so
 * that libFuzzer keeps the input and ASan prints the stack (GLib's own
 * fatal mask would raise SIGTRAP, which libFuzzer does not catch). */
static inline GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
    gpointer data)
{
	g_log_writer_standard_streams(level, fields, n, data);
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		abort();
	return G_LOG_WRITER_HANDLED;
}

/* Set-up every target shares: GMime, logging to syslog (not a line on
 * stderr per input), GLib criticals and warnings fatal. */
static inline void
fuzz_common_init(void)
{
	g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
	message_init();
	log_init("postdesk-fuzz", 0);
}

/* A new temporary folder (under $TMPDIR); caller frees. */
static inline char *
fuzz_tmpdir(void)
{
	GError *e = NULL;
	char *d = g_dir_make_tmp("pd-fuzz-XXXXXX", &e);

	if (d == NULL)
		fuzz_bail("temporary folder", e ? e->message : NULL);
	return d;
}

static inline void
fuzz_rmtree(const char *dir)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", dir);
	g_free(cmd);
}

/* The test configuration with its state in dir: one queue, two staff
 * (alice is admin), authserv-id mx.example.com, the source tree's
 * templates.  Writes dir/postdesk.conf and loads it. */
static inline struct pd_config *
fuzz_config(const char *dir)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *path = g_build_filename(dir, "postdesk.conf", NULL);
	char *text = g_strdup_printf(
	    "database = \"%s/postdesk.db\";\n"
	    "spool = \"%s/spool\";\n"
	    "secret_file = \"%s/secret\";\n"
	    "base_url = \"https://help.example.com/cgi-bin/postdesk.cgi\";\n"
	    "templates = \"%s/conf/templates\";\n"
	    "smtp = { url = \"smtp://127.0.0.1:25\"; starttls = \"never\"; };\n"
	    "staff = (\n"
	    "  { name = \"Alice Smith\"; email = \"alice@example.com\"; role = \"admin\";\n"
	    "    signature = \"-- \\nAlice\"; },\n"
	    "  { name = \"Bob Jones\"; email = \"bob@example.com\"; role = \"agent\"; }\n"
	    ");\n"
	    "queues = (\n"
	    "  { name = \"Support\"; address = \"support@example.com\";\n"
	    "    staff = [ \"alice@example.com\", \"bob@example.com\" ]; sla = \"standard\"; }\n"
	    ");\n"
	    "auth = { authserv_id = \"mx.example.com\"; trust_from = false; };\n"
	    "sla = { standard = { urgent = [ \"1h\", \"4h\" ]; high = [ \"4h\", \"1d\" ];\n"
	    "                     normal = [ \"8h\", \"3d\" ]; low = [ \"1d\", \"5d\" ]; }; };\n"
	    "working_hours = { timezone = \"UTC\"; days = \"Mon-Sun\"; hours = \"00:00-24:00\";\n"
	    "                  holidays = []; };\n"
	    "limits = { max_message = \"50M\"; max_attachment = \"10M\";\n"
	    "           allowed_types = [ \"image/*\", \"application/pdf\", \"text/plain\" ]; };\n",
	    dir, dir, dir, fuzz_srcdir());
	struct pd_config *cfg;

	if (!g_file_set_contents(path, text, -1, NULL))
		fuzz_bail("write", path);
	cfg = config_load(path, errors);
	if (cfg == NULL)
		fuzz_bail("config", errors->len ? errors->pdata[0] : NULL);
	g_ptr_array_unref(errors);
	g_free(text);
	g_free(path);
	return cfg;
}

/* The set-up of a target that only parses mail: the test configuration's
 * limits (the configuration is kept, since the limits point into it). */
static inline void
fuzz_parse_limits(struct pd_parse_limits *lim)
{
	static struct pd_config *cfg;
	char *dir;

	fuzz_common_init();
	dir = fuzz_tmpdir();
	cfg = fuzz_config(dir);
	intake_parse_limits(cfg, lim);
	fuzz_rmtree(dir);
	g_free(dir);
}

#endif

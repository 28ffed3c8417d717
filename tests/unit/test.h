/* test.h: the unit tests' tiny harness.  Each check prints "ok N - what"
 * or "not ok N - what (file:line)"; test_done() prints the totals and
 * returns the exit status for automake (0 all passed, 1 otherwise). */
#ifndef PD_TEST_H
#define PD_TEST_H

#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "intake.h"

/* The parse limits of the config's defaults (intake_parse_limits). */
static inline const struct pd_parse_limits *
test_parse_limits(void)
{
	static struct pd_parse_limits l;

	if (l.max_depth == 0)
		intake_parse_limits(NULL, &l);
	return &l;
}

static int test_n, test_failed;

#define TEST_OK(cond, ...) do { \
	int ok_ = !!(cond); \
	test_n++; \
	if (ok_) { printf("ok %d - ", test_n); } \
	else { test_failed++; printf("not ok %d - ", test_n); } \
	printf(__VA_ARGS__); \
	if (!ok_) printf(" (%s:%d)", __FILE__, __LINE__); \
	printf("\n"); \
} while (0)

#define TEST_STR(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0); \
	TEST_OK(same_, __VA_ARGS__); \
	if (!same_) printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define TEST_INT(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	TEST_OK(g_ == w_, __VA_ARGS__); \
	if (g_ != w_) printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
} while (0)

static inline int
test_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", test_n, test_n - test_failed, test_failed);
	return test_failed ? 1 : 0;
}

/* Path of a source-tree file: $top_srcdir/rel, else ./rel.  Caller frees. */
static inline char *
test_src(const char *rel)
{
	const char *top = g_getenv("top_srcdir");
	return g_build_filename(top ? top : ".", rel, NULL);
}

#endif

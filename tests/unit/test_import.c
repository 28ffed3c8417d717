/* test_import.c: the mbox and Maildir readers of `postdesk import`. */
#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "test.h"
#include "import.h"

struct collected {
	GString	*all;		/* messages joined by "|", cut ones as "<len/size>" */
	int	 n;
	int	 stop_after;	/* 0: never */
};

static int
collect(const struct import_mail *m, void *user)
{
	struct collected *c = user;

	if (c->n++)
		g_string_append_c(c->all, '|');
	if (m->error)
		g_string_append_printf(c->all, "ERR");
	else
		g_string_append_len(c->all, m->data, (gssize)m->len);
	if (m->size != (gint64)m->len)
		g_string_append_printf(c->all, "<%zu/%" G_GINT64_FORMAT ">", m->len, m->size);
	return c->stop_after && c->n >= c->stop_after;
}

static const struct {
	const char	*what;
	const char	*mbox;
	size_t		 max;
	int		 stop_after;
	int		 rc;
	const char	*want;		/* messages joined by "|" */
} mbox_cases[] = {
	{ "empty file", "", 0, 0, 0, "" },
	{ "one message, blank separator line dropped",
	  "From a@b Sat Nov 21 08:00:00 2026\nSubject: x\n\nbody\n\n", 0, 0, 0,
	  "Subject: x\n\nbody\n" },
	{ "two messages", "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\none\n\n"
	  "From c@d Sat Nov 21 08:01:00 2026\nA: 2\n\ntwo\n", 0, 0, 0,
	  "A: 1\n\none\n|A: 2\n\ntwo\n" },
	{ "mboxrd un-escaping, one '>' per line",
	  "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\n>From x\n>>From y\n> From z\n", 0, 0, 0,
	  "A: 1\n\nFrom x\n>From y\n> From z\n" },
	{ "a 'From ' body line without a date does not split",
	  "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\nFrom here on\n", 0, 0, 0,
	  "A: 1\n\nFrom here on\n" },
	{ "separator without a blank line before it still splits",
	  "From a@b Sat Nov 21 08:00:00 2026\nA: 1\nFrom c@d Sat Nov 21 08:01:00 2026\nA: 2\n",
	  0, 0, 0, "A: 1\n|A: 2\n" },
	{ "CRLF lines kept, CRLF blank dropped",
	  "From a@b Sat Nov 21 08:00:00 2026\r\nA: 1\r\n\r\nx\r\n\r\n"
	  "From a@b Sat Nov 21 08:00:00 2026\r\nA: 2\r\n", 0, 0, 0,
	  "A: 1\r\n\r\nx\r\n|A: 2\r\n" },
	{ "two blank lines: one kept", "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\nx\n\n\n"
	  "From a@b Sat Nov 21 08:00:00 2026\nA: 2\n", 0, 0, 0, "A: 1\n\nx\n\n|A: 2\n" },
	{ "leading blank lines skipped", "\n\nFrom a@b Sat Nov 21 08:00:00 2026\nA: 1\n",
	  0, 0, 0, "A: 1\n" },
	{ "not an mbox", "Subject: hello\n\nbody\n", 0, 0, -1, "" },
	{ "no final newline", "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\nlast", 0, 0, 0,
	  "A: 1\n\nlast" },
	{ "cut at max, real size counted",
	  "From a@b Sat Nov 21 08:00:00 2026\n0123456789\nabcdefghij\n", 8, 0, 0,
	  "01234567<8/22>" },
	{ "callback stops the read", "From a@b Sat Nov 21 08:00:00 2026\nA: 1\n"
	  "From a@b Sat Nov 21 08:00:00 2026\nA: 2\n", 0, 1, 1, "A: 1\n" },
	{ "empty message between separators",
	  "From a@b Sat Nov 21 08:00:00 2026\nFrom a@b Sat Nov 21 08:00:00 2026\nA: 2\n",
	  0, 0, 0, "|A: 2\n" },
};

static const struct {
	const char	*a, *b;
	int		 want;
} name_cases[] = {
	{ "1700000001.M1.host", "1700000002.M1.host", -1 },
	{ "999999999.M1.host", "1000000000.M1.host", -1 },
	{ "1000000000.M1.host", "999999999.M1.host", 1 },
	{ "1700000001.M1.host", "1700000001.M2.host", -1 },
	{ "1700000001.M1.host", "1700000001.M1.host", 0 },
	{ "0012.x", "12.y", -1 },
	{ "abc", "abd", -1 },
	{ "5.x", "abc", -1 },
};

static char *
write_tmp(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	g_file_set_contents(path, text, -1, NULL);
	return path;
}

int
main(void)
{
	char *dir = g_dir_make_tmp("test_import.XXXXXX", NULL);
	struct collected c;
	char *path, *err, *sub;
	int rc;

	for (size_t i = 0; i < G_N_ELEMENTS(mbox_cases); i++) {
		path = write_tmp(dir, "in.mbox", mbox_cases[i].mbox);
		c.all = g_string_new(NULL);
		c.n = 0;
		c.stop_after = mbox_cases[i].stop_after;
		err = NULL;
		rc = import_mbox(path, mbox_cases[i].max, collect, &c, &err);
		TEST_INT(rc, mbox_cases[i].rc, "mbox: %s: return", mbox_cases[i].what);
		TEST_STR(c.all->str, mbox_cases[i].want, "mbox: %s: messages", mbox_cases[i].what);
		TEST_OK((rc < 0) == (err != NULL), "mbox: %s: error set only on -1",
		    mbox_cases[i].what);
		g_free(err);
		g_string_free(c.all, TRUE);
		unlink(path);
		g_free(path);
	}

	/* a line longer than the read chunk is passed through whole */
	{
		GString *big = g_string_new("From a@b Sat Nov 21 08:00:00 2026\nA: 1\n\n");
		GString *want = g_string_new("A: 1\n\n");

		for (int i = 0; i < 200000; i++) {
			g_string_append_c(big, (char)('a' + i % 26));
			g_string_append_c(want, (char)('a' + i % 26));
		}
		g_string_append(big, "\n>From x\n");
		g_string_append(want, "\nFrom x\n");
		path = write_tmp(dir, "big.mbox", big->str);
		c.all = g_string_new(NULL);
		c.n = 0;
		c.stop_after = 0;
		err = NULL;
		rc = import_mbox(path, 0, collect, &c, &err);
		TEST_INT(rc, 0, "mbox: long line: return");
		TEST_OK(strcmp(c.all->str, want->str) == 0, "mbox: long line kept whole");
		g_string_free(c.all, TRUE);
		g_string_free(big, TRUE);
		g_string_free(want, TRUE);
		unlink(path);
		g_free(path);
	}

	err = NULL;
	TEST_INT(import_mbox("/nonexistent/x.mbox", 0, collect, &c, &err), -1,
	    "mbox: missing file");
	TEST_STR(err, "/nonexistent/x.mbox: No such file or directory", "mbox: missing file error");
	g_free(err);

	for (size_t i = 0; i < G_N_ELEMENTS(name_cases); i++)
		TEST_INT(import_name_cmp(name_cases[i].a, name_cases[i].b), name_cases[i].want,
		    "name order %s vs %s", name_cases[i].a, name_cases[i].b);

	/* Maildir: new/ first, then cur/, each oldest first; dot files skipped */
	TEST_INT(import_is_maildir(dir), 0, "not a Maildir yet");
	sub = g_build_filename(dir, "new", NULL);
	g_mkdir(sub, 0700);
	g_free(sub);
	sub = g_build_filename(dir, "cur", NULL);
	g_mkdir(sub, 0700);
	g_free(sub);
	TEST_INT(import_is_maildir(dir), 1, "a Maildir with cur/ and new/");
	g_free(write_tmp(dir, "new/1000000000.M2.h", "N2"));
	g_free(write_tmp(dir, "new/999999999.M1.h", "N1"));
	g_free(write_tmp(dir, "new/.hidden", "HIDDEN"));
	g_free(write_tmp(dir, "cur/1000000001.M1.h:2,S", "C2"));
	g_free(write_tmp(dir, "cur/100.M1.h:2,S", "C1"));
	c.all = g_string_new(NULL);
	c.n = 0;
	c.stop_after = 0;
	err = NULL;
	TEST_INT(import_maildir(dir, 0, collect, &c, &err), 0, "maildir: return");
	TEST_STR(c.all->str, "N1|N2|C1|C2", "maildir: order new then cur, oldest first");
	g_string_truncate(c.all, 0);
	c.n = 0;
	TEST_INT(import_maildir(dir, 1, collect, &c, &err), 0, "maildir cut: return");
	TEST_STR(c.all->str, "N<1/2>|N<1/2>|C<1/2>|C<1/2>", "maildir: cut at max, size kept");
	g_string_free(c.all, TRUE);

	{
		char *cmd = g_strdup_printf("rm -rf '%s'", dir);

		TEST_INT(system(cmd), 0, "cleanup");
		g_free(cmd);
	}
	g_free(dir);
	return test_done();
}

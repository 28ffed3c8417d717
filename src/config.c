/* config.c: read the libconfig file of SPEC section 10 and check every
 * key.  Parsing never stops at the first problem: each one is recorded
 * as "FILE:LINE: message" so the sysadmin sees them all at once, and
 * unknown keys are errors so that a typo never silently falls back to a
 * default. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libconfig.h>

#include "config.h"
#include "util.h"

#define DEF_SMTP_URL	"smtp://127.0.0.1:25"
#define DEF_BASE_URL	"http://localhost/cgi-bin/postdesk.cgi"
#define DEF_REF_PREFIX	"TKT"
#define DEF_SLA_POLICY	"standard"

struct cerr {
	char	*file;
	int	 line;
	char	*msg;
};

struct ctx {
	const char	*path;		/* as given, for messages */
	GArray		*errs;		/* struct cerr */
	GPtrArray	*names;		/* key names built for messages */
	struct pd_config *cfg;
	int		 flags;		/* CONFIG_INTAKE */
	int		 quiet;		/* errors of a part the caller does not use */
};

const struct pd_source_scheme config_sources[] = {
	{ "imap://", SRC_IMAP, 0 },
	{ "imaps://", SRC_IMAP, 0 },
	{ "maildir:", SRC_MAILDIR, 1 },
	{ NULL, 0, 0 }
};

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* Record one error at the line of setting s (the file's line 1 when s
 * is the root or NULL). */
static void G_GNUC_PRINTF(3, 4)
cerr(struct ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	struct cerr e;
	va_list ap;

	if (c->quiet)
		return;
	e.file = g_strdup(s && config_setting_source_file(s) ?
	    config_setting_source_file(s) : c->path);
	e.line = s ? config_setting_source_line(s) : 0;
	if (e.line <= 0)
		e.line = 1;
	va_start(ap, fmt);
	e.msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_array_append_val(c->errs, e);
}

/* A key name for messages ("queues[0].staff"), owned by the context. */
static const char * G_GNUC_PRINTF(2, 3)
kn(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(c->names, s);
	return s;
}

/* The full name of key inside prefix ("smtp" + "url" = "smtp.url"). */
static const char *
sub(struct ctx *c, const char *prefix, const char *key)
{
	return prefix ? kn(c, "%s.%s", prefix, key) : key;
}

/* Every member of group g must be in known: a typo is an error. */
static void
check_members(struct ctx *c, config_setting_t *g, const char *prefix,
    const char *const *known)
{
	int i, j, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);

		if (name == NULL)
			continue;
		for (j = 0; known[j]; j++)
			if (strcmp(known[j], name) == 0)
				break;
		if (known[j] == NULL)
			cerr(c, m, "unknown key '%s'", sub(c, prefix, name));
	}
}

/* Member key of g when it exists and is a string; NULL when absent or
 * of another type (an error then). */
static config_setting_t *
get_str(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, const char **v_r)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cerr(c, s, "%s: must be a string", sub(c, prefix, key));
		return NULL;
	}
	*v_r = config_setting_get_string(s);
	return s;
}

/* Like get_str, but an absent key is an error at the group's line. */
static config_setting_t *
req_str(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, const char **v_r)
{
	config_setting_t *s;

	if (config_setting_get_member(g, key) == NULL) {
		cerr(c, g, "%s: missing required key '%s'",
		    prefix ? prefix : "config", key);
		return NULL;
	}
	s = get_str(c, g, key, prefix, v_r);
	if (s && **v_r == '\0') {
		cerr(c, s, "%s: must not be empty", sub(c, prefix, key));
		return NULL;
	}
	return s;
}

/* An optional string; "" counts as absent (NULL). */
static char *
opt_str(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, const char *def)
{
	const char *v;

	if (get_str(c, g, key, prefix, &v) == NULL)
		return g_strdup(def);
	return *v ? g_strdup(v) : NULL;
}

static void
opt_int(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, long long min, long long max, int *v_r)
{
	config_setting_t *s = config_setting_get_member(g, key);
	long long v;

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cerr(c, s, "%s: must be a whole number", sub(c, prefix, key));
		return;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		cerr(c, s, "%s: must be between %lld and %lld",
		    sub(c, prefix, key), min, max);
		return;
	}
	*v_r = (int)v;
}

static void
opt_bool(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, int *v_r)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cerr(c, s, "%s: must be true or false", sub(c, prefix, key));
		return;
	}
	*v_r = config_setting_get_bool(s);
}

/* A duration or size: a string like "4h" / "10M", or a bare number of
 * seconds / bytes.  min is the smallest value that makes sense. */
static int
scaled(struct ctx *c, config_setting_t *s, const char *name, int is_size,
    gint64 min, gint64 *v_r)
{
	gint64 v = 0;
	int rc;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		v = config_setting_get_int64(s);
		rc = v < 0 ? -1 : 0;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *str = config_setting_get_string(s);
		rc = is_size ? util_parse_size(str, &v) :
		    util_parse_duration(str, &v);
		if (rc < 0) {
			char *p = util_printable(str, 40);
			if (is_size)
				cerr(c, s, "%s: bad size \"%s\" (use 10M, 512k...)",
				    name, p);
			else
				cerr(c, s, "%s: bad duration \"%s\" "
				    "(use 90s, 15m, 4h, 3d...)", name, p);
			g_free(p);
			return -1;
		}
	} else
		rc = -1;
	if (rc < 0) {
		cerr(c, s, "%s: must be a %s string like \"%s\"", name,
		    is_size ? "size" : "duration", is_size ? "10M" : "4h");
		return -1;
	}
	if (v < min) {
		cerr(c, s, "%s: must be at least %lld%s", name, (long long)min,
		    is_size ? " bytes" : "s");
		return -1;
	}
	*v_r = v;
	return 0;
}

static void
opt_scaled(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, int is_size, gint64 min, gint64 *v_r)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s)
		scaled(c, s, sub(c, prefix, key), is_size, min, v_r);
}

/* A member that must be a group, NULL when absent or not a group. */
static config_setting_t *
get_group(struct ctx *c, config_setting_t *g, const char *key)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s && !config_setting_is_group(s)) {
		cerr(c, s, "%s: must be a group { ... }", key);
		return NULL;
	}
	return s;
}

/* A member that must be a list of groups: ( { ... }, { ... } ). */
static config_setting_t *
get_list(struct ctx *c, config_setting_t *g, const char *key)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s && !config_setting_is_list(s)) {
		cerr(c, s, "%s: must be a list ( { ... }, { ... } )", key);
		return NULL;
	}
	return s;
}

/* A member that must be an array or list of strings, copied to out
 * (NULL in place of an element of another type, so indexes match).
 * Returns the setting, NULL when absent or not a list. */
static config_setting_t *
get_strings(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, GPtrArray *out)
{
	config_setting_t *s = config_setting_get_member(g, key);
	const char *name = sub(c, prefix, key);
	int i, n;

	if (s == NULL)
		return NULL;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		cerr(c, s, "%s: must be a list of strings [ \"...\", ... ]",
		    name);
		return NULL;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cerr(c, e, "%s[%d]: must be a string", name, i);
			g_ptr_array_add(out, NULL);	/* keeps indexes */
			continue;
		}
		g_ptr_array_add(out, g_strdup(config_setting_get_string(e)));
	}
	return s;
}

/* An absolute path: relative ones are taken from the config's folder. */
static char *
resolve(struct ctx *c, const char *p)
{
	if (p == NULL)
		return NULL;
	return g_canonicalize_filename(p, c->cfg->dir);
}

/* Looks like local@domain, with nothing a header or a shell would
 * trip over. */
static int
email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	const char *p;

	if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (p = e; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch == 0x7f || strchr("<>()[],;:\\\"'`|", ch))
			return 0;
	}
	if (at[1] == '.' || p[-1] == '.' || strstr(at, ".."))
		return 0;
	return 1;
}

/* A normalized email from setting s, or NULL (error recorded). */
static char *
email_from(struct ctx *c, config_setting_t *s, const char *name,
    const char *v)
{
	char *e = util_addr_normalize(v);

	if (!email_ok(e)) {
		char *p = util_printable(v, 80);
		cerr(c, s, "%s: \"%s\" is not an email address", name, p);
		g_free(p);
		g_free(e);
		return NULL;
	}
	return e;
}

/* A file holding a password or key must be ours alone (as msmtp
 * insists).  An absent file is an error only when must_exist. */
static void
check_secret(struct ctx *c, config_setting_t *s, const char *name,
    const char *path, int must_exist)
{
	struct stat st;
	const char *who;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT || must_exist)
			cerr(c, s, "%s: %s: %s", name, path, g_strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		cerr(c, s, "%s: %s is not a regular file", name, path);
		return;
	}
	if ((st.st_mode & 077) == 0)
		return;
	if (st.st_mode & S_IROTH)
		who = "readable by others";
	else if (st.st_mode & S_IRGRP)
		who = "readable by its group";
	else
		who = "writable by group or others";
	cerr(c, s, "%s %s is %s (mode %04o): chmod 600 it", name, path, who,
	    (unsigned)(st.st_mode & 07777));
}

/* An optional path key, made absolute; "" is absent. */
static char *
opt_path(struct ctx *c, config_setting_t *g, const char *key,
    const char *prefix, const char *def, config_setting_t **s_r)
{
	const char *v = NULL;
	config_setting_t *s = get_str(c, g, key, prefix, &v);

	if (s_r)
		*s_r = s;
	if (s == NULL)
		return resolve(c, def);
	if (*v == '\0')
		return NULL;
	return resolve(c, v);
}

/* A password file: optional, but when named it must exist and be
 * private. */
static char *
opt_password_file(struct ctx *c, config_setting_t *g, const char *prefix)
{
	config_setting_t *s;
	char *p = opt_path(c, g, "password_file", prefix, NULL, &s);

	if (p && !(c->flags & CONFIG_INTAKE))
		check_secret(c, s, sub(c, prefix, "password_file"), p, 1);
	return p;
}

static const struct pd_sla *sla_by_name(const struct pd_config *,
    const char *);

static void
staff_free(gpointer p)
{
	struct pd_staff *s = p;

	g_free(s->name);
	g_free(s->email);
	g_free(s->signature);
	g_free(s);
}

static void
queue_free(gpointer p)
{
	struct pd_queue *q = p;

	g_free(q->name);
	g_free(q->address);
	g_free(q->note_address);
	g_ptr_array_unref(q->staff);
	g_free(q->default_assignee);
	g_free(q->sla);
	g_free(q->templates);
	g_free(q);
}

static void
mailbox_free(gpointer p)
{
	struct pd_mailbox *m = p;

	g_free(m->name);
	g_free(m->url);
	g_free(m->user);
	g_free(m->password_file);
	g_free(m->queue);
	g_free(m->after);
	g_free(m);
}

static void
sla_free(gpointer p)
{
	struct pd_sla *s = p;

	g_free(s->name);
	g_free(s);
}

static void
parse_top(struct ctx *c, config_setting_t *root)
{
	struct pd_config *cfg = c->cfg;
	config_setting_t *s;
	const char *v;

	cfg->database = opt_path(c, root, "database", NULL, "postdesk.db", NULL);
	cfg->spool = opt_path(c, root, "spool", NULL, "spool", NULL);
	cfg->templates = opt_path(c, root, "templates", NULL, "templates", NULL);
	cfg->secret_file = opt_path(c, root, "secret_file", NULL, "secret", &s);
	if (cfg->database == NULL)
		cerr(c, config_setting_get_member(root, "database"),
		    "database: must not be empty");
	if (cfg->spool == NULL)
		cerr(c, config_setting_get_member(root, "spool"),
		    "spool: must not be empty");
	if (cfg->templates == NULL)
		cerr(c, config_setting_get_member(root, "templates"),
		    "templates: must not be empty");
	if (cfg->secret_file == NULL)
		cerr(c, s, "secret_file: must not be empty");
	else
		check_secret(c, s, "secret_file", cfg->secret_file, 0);

	cfg->base_url = g_strdup(DEF_BASE_URL);
	if ((s = get_str(c, root, "base_url", NULL, &v)) != NULL) {
		if (!g_str_has_prefix(v, "http://") &&
		    !g_str_has_prefix(v, "https://"))
			cerr(c, s, "base_url: must start with http:// or https://");
		else if (strpbrk(v, " \t\r\n\"<>") != NULL)
			cerr(c, s, "base_url: must not contain spaces, quotes "
			    "or angle brackets");
		else {
			g_free(cfg->base_url);
			cfg->base_url = g_strdup(v);
		}
	}

	cfg->ref_prefix = g_strdup(DEF_REF_PREFIX);
	if ((s = get_str(c, root, "ref_prefix", NULL, &v)) != NULL) {
		size_t i, n = strlen(v);
		int ok = n >= 2 && n <= 10 && g_ascii_isupper(v[0]);

		for (i = 1; ok && i < n; i++)
			ok = g_ascii_isupper(v[i]) || g_ascii_isdigit(v[i]);
		if (!ok) {
			char *p = util_printable(v, 40);
			cerr(c, s, "ref_prefix: \"%s\" must be 2 to 10 capital "
			    "letters or digits, starting with a letter (like TKT)",
			    p);
			g_free(p);
		} else {
			g_free(cfg->ref_prefix);
			cfg->ref_prefix = g_strdup(v);
		}
	}

	if ((s = get_str(c, root, "hostname", NULL, &v)) != NULL) {
		size_t i, n = strlen(v);
		int ok = n > 0 && n < 254 && v[0] != '.' && v[0] != '-' &&
		    v[n - 1] != '.';

		for (i = 0; ok && i < n; i++)
			ok = g_ascii_isalnum(v[i]) || v[i] == '.' || v[i] == '-';
		if (!ok) {
			char *p = util_printable(v, 80);
			cerr(c, s, "hostname: \"%s\" is not a domain name", p);
			g_free(p);
		} else
			cfg->hostname = g_ascii_strdown(v, -1);
	}
}

static void
parse_smtp(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "url", "starttls", "user",
	    "password_file", "timeout", "give_up", "ca_file", "connections", NULL };
	struct pd_config *cfg = c->cfg;
	config_setting_t *g = get_group(c, root, "smtp"), *s;
	const char *v;

	cfg->smtp.url = g_strdup(DEF_SMTP_URL);
	cfg->smtp.starttls = g_strdup("auto");
	cfg->smtp.timeout = DEF_SMTP_TIMEOUT;
	cfg->smtp.give_up = DEF_GIVE_UP;
	cfg->smtp.connections = DEF_SMTP_CONNECTIONS;
	if (g == NULL)
		return;
	check_members(c, g, "smtp", known);
	if ((s = get_str(c, g, "url", "smtp", &v)) != NULL) {
		if (!g_str_has_prefix(v, "smtp://") &&
		    !g_str_has_prefix(v, "smtps://"))
			cerr(c, s, "smtp.url: must start with smtp:// or smtps://");
		else {
			g_free(cfg->smtp.url);
			cfg->smtp.url = g_strdup(v);
		}
	}
	if ((s = get_str(c, g, "starttls", "smtp", &v)) != NULL) {
		if (strcmp(v, "auto") != 0 && strcmp(v, "always") != 0 &&
		    strcmp(v, "never") != 0)
			cerr(c, s, "smtp.starttls: must be auto, always or never");
		else {
			g_free(cfg->smtp.starttls);
			cfg->smtp.starttls = g_strdup(v);
		}
	}
	cfg->smtp.user = opt_str(c, g, "user", "smtp", NULL);
	cfg->smtp.password_file = opt_password_file(c, g, "smtp");
	opt_scaled(c, g, "timeout", "smtp", 0, 1, &cfg->smtp.timeout);
	opt_scaled(c, g, "give_up", "smtp", 0, 60, &cfg->smtp.give_up);
	opt_int(c, g, "connections", "smtp", 1, 64, &cfg->smtp.connections);
	cfg->smtp.ca_file = opt_path(c, g, "ca_file", "smtp", NULL, &s);
	if (cfg->smtp.ca_file && access(cfg->smtp.ca_file, R_OK) != 0)
		cerr(c, s, "smtp.ca_file: %s: %s", cfg->smtp.ca_file, g_strerror(errno));
}

static void
parse_staff(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "name", "email", "role",
	    "signature", NULL };
	config_setting_t *l = get_list(c, root, "staff");
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	int i, n = l ? config_setting_length(l) : 0;

	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const char *pre = kn(c, "staff[%d]", i);
		struct pd_staff *st;
		config_setting_t *s;
		const char *v;
		char *e;
		gpointer other;

		/* Added even when bad, so indexes match the file's. */
		st = g_new0(struct pd_staff, 1);
		st->email = g_strdup("");
		g_ptr_array_add(c->cfg->staff, st);
		if (!config_setting_is_group(g)) {
			cerr(c, g, "%s: must be a group { name = \"...\"; "
			    "email = \"...\"; }", pre);
			st->name = g_strdup("");
			continue;
		}
		check_members(c, g, pre, known);
		if (req_str(c, g, "name", pre, &v))
			st->name = g_strdup(v);
		if ((s = req_str(c, g, "email", pre, &v)) != NULL &&
		    (e = email_from(c, s, sub(c, pre, "email"), v)) != NULL) {
			g_free(st->email);
			st->email = e;
			if (g_hash_table_lookup_extended(seen, st->email, NULL,
			    &other))
				cerr(c, s, "%s.email: %s is already staff[%d]",
				    pre, st->email, GPOINTER_TO_INT(other));
			else
				g_hash_table_insert(seen, st->email,
				    GINT_TO_POINTER(i));
		}
		if ((s = get_str(c, g, "role", pre, &v)) != NULL) {
			if (strcmp(v, "admin") == 0)
				st->admin = 1;
			else if (strcmp(v, "agent") != 0)
				cerr(c, s, "%s.role: must be agent or admin", pre);
		}
		st->signature = opt_str(c, g, "signature", pre, NULL);
		if (st->name == NULL)
			st->name = g_strdup(st->email);
	}
	g_hash_table_destroy(seen);
}

/* local+note@domain for the address local@domain. */
static char *
note_default(const char *addr)
{
	const char *at = strchr(addr, '@');

	return g_strdup_printf("%.*s+note%s", (int)(at - addr), addr, at);
}

/* Does addr name staff member email?  Both normalized. */
static int
in_staff(struct ctx *c, const char *email)
{
	return config_staff_by_email(c->cfg, email) != NULL;
}

static void
parse_queues(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "name", "address", "note_address",
	    "staff", "default_assignee", "sla", "templates", NULL };
	struct pd_config *cfg = c->cfg;
	config_setting_t *l = get_list(c, root, "queues");
	GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	GHashTable *addrs = g_hash_table_new(g_str_hash, g_str_equal);
	int i, n = l ? config_setting_length(l) : 0;
	guint j;

	if (n == 0 && config_setting_get_member(root, "queues") == NULL)
		cerr(c, root, "queues: at least one queue is required");
	else if (n == 0 && l)
		cerr(c, l, "queues: at least one queue is required");
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const char *pre = kn(c, "queues[%d]", i);
		struct pd_queue *q;
		config_setting_t *s;
		const char *v;
		int addr_dup;

		if (!config_setting_is_group(g)) {
			cerr(c, g, "%s: must be a group { name = \"...\"; "
			    "address = \"...\"; }", pre);
			continue;
		}
		check_members(c, g, pre, known);
		q = g_new0(struct pd_queue, 1);
		q->staff = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(cfg->queues, q);

		if ((s = req_str(c, g, "name", pre, &v)) != NULL) {
			char *fold = g_utf8_casefold(v, -1);
			q->name = g_strdup(v);
			if (g_hash_table_contains(names, fold)) {
				cerr(c, s, "%s.name: duplicate queue name \"%s\"",
				    pre, v);
				g_free(fold);
			} else
				g_hash_table_add(names, fold);
		}
		addr_dup = 0;
		if ((s = req_str(c, g, "address", pre, &v)) != NULL &&
		    (q->address = email_from(c, s, sub(c, pre, "address"), v))) {
			if ((addr_dup = g_hash_table_contains(addrs,
			    q->address)))
				cerr(c, s, "%s.address: %s is used twice", pre,
				    q->address);
			g_hash_table_add(addrs, q->address);
		}
		if ((s = get_str(c, g, "note_address", pre, &v)) != NULL && *v)
			q->note_address = email_from(c, s,
			    sub(c, pre, "note_address"), v);
		else if (q->address) {
			q->note_address = note_default(q->address);
			s = g;
		}
		/* A defaulted note address of a doubled address says
		 * nothing new. */
		if (q->note_address && !(addr_dup && s == g)) {
			if (g_hash_table_contains(addrs, q->note_address))
				cerr(c, s, "%s.note_address: %s is used twice", pre,
				    q->note_address);
			g_hash_table_add(addrs, q->note_address);
		}

		if (config_setting_get_member(g, "staff") == NULL) {
			/* No list: every staff member works this queue. */
			for (j = 0; j < cfg->staff->len; j++) {
				struct pd_staff *st = cfg->staff->pdata[j];
				if (*st->email)
					g_ptr_array_add(q->staff,
					    g_strdup(st->email));
			}
		} else {
			GPtrArray *raw = g_ptr_array_new_with_free_func(g_free);
			s = get_strings(c, g, "staff", pre, raw);
			for (j = 0; s && j < raw->len; j++) {
				char *e;
				if (raw->pdata[j] == NULL)
					continue;
				e = util_addr_normalize(raw->pdata[j]);
				if (!in_staff(c, e)) {
					char *p = util_printable(e, 80);
					cerr(c, s, "%s.staff: %s is not in staff",
					    pre, p);
					g_free(p);
					g_free(e);
				} else
					g_ptr_array_add(q->staff, e);
			}
			g_ptr_array_unref(raw);
		}
		if ((s = get_str(c, g, "default_assignee", pre, &v)) != NULL &&
		    *v) {
			char *e = util_addr_normalize(v);
			if (!in_staff(c, e)) {
				char *p = util_printable(e, 80);
				cerr(c, s, "%s.default_assignee: %s is not in staff",
				    pre, p);
				g_free(p);
				g_free(e);
			} else
				q->default_assignee = e;
		}
		if ((s = get_str(c, g, "sla", pre, &v)) != NULL) {
			if (*v && sla_by_name(cfg, v) == NULL) {
				char *p = util_printable(v, 40);
				cerr(c, s, "%s.sla: no SLA policy named \"%s\"",
				    pre, p);
				g_free(p);
			} else if (*v)
				q->sla = g_strdup(v);
		} else if (config_setting_get_member(g, "sla") == NULL &&
		    sla_by_name(cfg, DEF_SLA_POLICY) != NULL)
			q->sla = g_strdup(DEF_SLA_POLICY);
		q->templates = opt_path(c, g, "templates", pre, NULL, NULL);
		if (q->name == NULL)
			q->name = g_strdup("");
		if (q->address == NULL)
			q->address = g_strdup("");
		if (q->note_address == NULL)
			q->note_address = g_strdup("");
	}
	g_hash_table_destroy(names);
	g_hash_table_destroy(addrs);

	/* A staff address that is also a queue's would loop mail. */
	for (j = 0; l && j < cfg->staff->len; j++) {
		struct pd_staff *st = cfg->staff->pdata[j];
		config_setting_t *sl = config_setting_get_elem(
		    config_setting_get_member(root, "staff"), j);
		if (*st->email && config_is_our_address(cfg, st->email))
			cerr(c, config_setting_get_member(sl, "email"),
			    "staff[%u].email: %s is a queue address", j,
			    st->email);
	}
}

static void
parse_mailboxes(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "name", "url", "user",
	    "password_file", "queue", "after", "poll", NULL };
	struct pd_config *cfg = c->cfg;
	config_setting_t *l = get_list(c, root, "mailboxes");
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	int i, n = l ? config_setting_length(l) : 0;

	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const char *pre = kn(c, "mailboxes[%d]", i);
		struct pd_mailbox *m;
		config_setting_t *s;
		const char *v;

		if (!config_setting_is_group(g)) {
			cerr(c, g, "%s: must be a group { name = \"...\"; "
			    "url = \"...\"; }", pre);
			continue;
		}
		check_members(c, g, pre, known);
		m = g_new0(struct pd_mailbox, 1);
		m->poll = DEF_POLL;
		g_ptr_array_add(cfg->mailboxes, m);
		if ((s = req_str(c, g, "name", pre, &v)) != NULL) {
			m->name = g_strdup(v);
			if (g_hash_table_contains(names, m->name))
				cerr(c, s, "%s.name: duplicate mailbox name \"%s\"",
				    pre, v);
			else
				g_hash_table_add(names, m->name);
		}
		if ((s = req_str(c, g, "url", pre, &v)) != NULL) {
			const struct pd_source_scheme *sc = config_sources;

			while (sc->prefix && !g_str_has_prefix(v, sc->prefix))
				sc++;
			if (sc->prefix == NULL) {
				GString *all = g_string_new(NULL);

				for (sc = config_sources; sc->prefix; sc++)
					g_string_append_printf(all, "%s%s", sc == config_sources ?
					    "" : sc[1].prefix ? ", " : " or ", sc->prefix);
				cerr(c, s, "%s.url: must start with %s", pre, all->str);
				g_string_free(all, TRUE);
			} else if (sc->is_path && v[strlen(sc->prefix)] == '\0')
				cerr(c, s, "%s.url: %s needs a path, like %s/var/mail/support",
				    pre, sc->prefix, sc->prefix);
			else if (sc->is_path) {
				char *abs = resolve(c, v + strlen(sc->prefix));

				m->url = g_strconcat(sc->prefix, abs, NULL);
				m->kind = sc->kind;
				g_free(abs);
			} else if (v[strlen(sc->prefix)] == '\0' || strpbrk(v, " \t\r\n"))
				cerr(c, s, "%s.url: \"%s\" has no host", pre, v);
			else {
				m->url = g_strdup(v);
				m->kind = sc->kind;
			}
		}
		m->user = opt_str(c, g, "user", pre, NULL);
		m->password_file = opt_password_file(c, g, pre);
		if ((s = get_str(c, g, "queue", pre, &v)) != NULL) {
			struct pd_queue *q = config_queue_by_name(cfg, v);
			if (q == NULL) {
				char *p = util_printable(v, 40);
				cerr(c, s, "%s.queue: no queue named %s", pre, p);
				g_free(p);
			} else
				m->queue = g_strdup(q->name);
		} else if (cfg->queues->len > 0)
			m->queue = g_strdup(((struct pd_queue *)
			    cfg->queues->pdata[0])->name);
		m->after = g_strdup("flag");
		if ((s = get_str(c, g, "after", pre, &v)) != NULL) {
			if (strcmp(v, "flag") != 0 && strcmp(v, "delete") != 0 &&
			    !(g_str_has_prefix(v, "move:") && v[5] != '\0'))
				cerr(c, s, "%s.after: must be \"flag\", \"delete\" "
				    "or \"move:FOLDER\"", pre);
			else {
				g_free(m->after);
				m->after = g_strdup(v);
			}
		}
		opt_scaled(c, g, "poll", pre, 0, 1, &m->poll);
		if (m->name == NULL)
			m->name = g_strdup("");
		if (m->url == NULL)
			m->url = g_strdup("");
		if (m->queue == NULL)
			m->queue = g_strdup("");
	}
	g_hash_table_destroy(names);
}

static void
parse_auth(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "authserv_id", "trust_from",
	    "no_answer_on_fail", "internal_hosts", NULL };
	config_setting_t *g = get_group(c, root, "auth"), *s;
	GPtrArray *raw, *hosts;

	/* Forged senders are not answered by default (SPEC 3). */
	c->cfg->auth.no_answer_dmarc = 1;
	c->cfg->auth.no_answer_spf = 1;
	if (g == NULL)
		return;
	check_members(c, g, "auth", known);
	c->cfg->auth.authserv_id = opt_str(c, g, "authserv_id", "auth", NULL);
	opt_bool(c, g, "trust_from", "auth", &c->cfg->auth.trust_from);
	hosts = g_ptr_array_new_with_free_func(g_free);
	get_strings(c, g, "internal_hosts", "auth", hosts);
	for (guint i = 0; i < hosts->len; i++)
		if (hosts->pdata[i] == NULL || strchr(hosts->pdata[i], '.') == NULL) {
			/* a bare name would make any sender's hop ours */
			cerr(c, config_setting_get_member(g, "internal_hosts"),
			    "auth.internal_hosts[%u]: \"%s\" is not a domain name", i,
			    hosts->pdata[i] ? (char *)hosts->pdata[i] : "");
		}
	c->cfg->auth.internal_hosts = hosts;
	raw = g_ptr_array_new_with_free_func(g_free);
	if ((s = get_strings(c, g, "no_answer_on_fail", "auth", raw)) != NULL) {
		c->cfg->auth.no_answer_dmarc = 0;
		c->cfg->auth.no_answer_spf = 0;
		for (guint i = 0; i < raw->len; i++) {
			const char *v = raw->pdata[i];

			if (v == NULL)
				continue;
			if (g_ascii_strcasecmp(v, "dmarc") == 0)
				c->cfg->auth.no_answer_dmarc = 1;
			else if (g_ascii_strcasecmp(v, "spf") == 0)
				c->cfg->auth.no_answer_spf = 1;
			else {
				char *p = util_printable(v, 60);
				cerr(c, config_setting_get_elem(s, i),
				    "auth.no_answer_on_fail[%u]: \"%s\" is not \"dmarc\" "
				    "or \"spf\"", i, p);
				g_free(p);
			}
		}
	}
	g_ptr_array_unref(raw);
}

/* sla = { NAME = { urgent = [ first, resolution ]; ... }; ... } */
static void
parse_sla(struct ctx *c, config_setting_t *root)
{
	config_setting_t *g = get_group(c, root, "sla");
	int i, p, n = g ? config_setting_length(g) : 0;

	for (i = 0; i < n; i++) {
		config_setting_t *pg = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(pg);
		const char *pre = kn(c, "sla.%s", name);
		struct pd_sla *sla;

		if (!config_setting_is_group(pg)) {
			cerr(c, pg, "%s: must be a group { urgent = [ \"1h\", "
			    "\"4h\" ]; ... }", pre);
			continue;
		}
		check_members(c, pg, pre, ticket_priority_names);
		sla = g_new0(struct pd_sla, 1);
		sla->name = g_strdup(name);
		g_ptr_array_add(c->cfg->slas, sla);
		for (p = 0; p < PRIO_COUNT; p++) {
			config_setting_t *e = config_setting_get_member(pg,
			    ticket_priority_names[p]);
			const char *en = sub(c, pre, ticket_priority_names[p]);

			if (e == NULL) {
				cerr(c, pg, "%s: missing required key '%s'", pre,
				    ticket_priority_names[p]);
				continue;
			}
			if ((!config_setting_is_array(e) &&
			    !config_setting_is_list(e)) ||
			    config_setting_length(e) != 2) {
				cerr(c, e, "%s: must be [ first response, "
				    "resolution ], like [ \"1h\", \"4h\" ]", en);
				continue;
			}
			if (scaled(c, config_setting_get_elem(e, 0),
			    kn(c, "%s[0]", en), 0, 0, &sla->first[p]) < 0 ||
			    scaled(c, config_setting_get_elem(e, 1),
			    kn(c, "%s[1]", en), 0, 0, &sla->resolve[p]) < 0)
				continue;
			if (sla->first[p] > sla->resolve[p])
				cerr(c, e, "%s: first response (%s) is longer than "
				    "resolution (%s)", en,
				    config_setting_get_string_elem(e, 0) ?
				    config_setting_get_string_elem(e, 0) : "?",
				    config_setting_get_string_elem(e, 1) ?
				    config_setting_get_string_elem(e, 1) : "?");
		}
	}
}

static int
day_index(const char *s, size_t len)
{
	int i;

	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (g_ascii_strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon-Fri", "Mon,Wed,Fri", "Fri-Mon" (wraps) into a bit mask. */
static int
parse_days(const char *s, int *mask_r)
{
	char **items = g_strsplit(s, ",", 8);
	int mask = 0, ok = items[0] != NULL;
	int i;

	for (i = 0; ok && items[i]; i++) {
		char *it = g_strstrip(items[i]);
		char *dash = strchr(it, '-');
		int a, b;

		if (dash) {
			a = day_index(it, (size_t)(dash - it));
			b = day_index(dash + 1, strlen(dash + 1));
		} else
			a = b = day_index(it, strlen(it));
		if (a < 0 || b < 0) {
			ok = 0;
			break;
		}
		for (;;) {
			mask |= 1 << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
	}
	g_strfreev(items);
	if (!ok)
		return -1;
	*mask_r = mask;
	return 0;
}

static int
parse_hhmm(const char *s, const char **end_r)
{
	int h = 0, m, n = 0;

	while (g_ascii_isdigit(*s) && n < 2) {
		h = h * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || *s++ != ':' || !g_ascii_isdigit(s[0]) ||
	    !g_ascii_isdigit(s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	*end_r = s + 2;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "09:00-17:00"; 24:00 may end the day. */
static int
parse_hours(const char *s, int *start_r, int *end_r)
{
	const char *p;
	int a, b;

	while (*s == ' ')
		s++;
	if ((a = parse_hhmm(s, &p)) < 0)
		return -1;
	while (*p == ' ')
		p++;
	if (*p++ != '-')
		return -1;
	while (*p == ' ')
		p++;
	if ((b = parse_hhmm(p, &p)) < 0)
		return -1;
	while (*p == ' ')
		p++;
	if (*p != '\0' || a >= b)
		return -1;
	*start_r = a;
	*end_r = b;
	return 0;
}

static int
date_ok(const char *s)
{
	unsigned y, m, d;
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !g_ascii_isdigit(s[i]))
			return 0;
	if (s[10] != '\0')
		return 0;
	y = (unsigned)atoi(s);
	m = (unsigned)atoi(s + 5);
	d = (unsigned)atoi(s + 8);
	return y >= 1 && y <= 9999 && g_date_valid_dmy((GDateDay)d,
	    (GDateMonth)m, (GDateYear)y);
}

static void
parse_hours_group(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "timezone", "days", "hours",
	    "holidays", NULL };
	struct pd_config *cfg = c->cfg;
	config_setting_t *g = get_group(c, root, "working_hours"), *s;
	const char *v, *pre = "working_hours";
	GPtrArray *raw;
	guint i;

	cfg->hours.timezone = g_strdup("UTC");
	cfg->hours.days = 0x1f;
	cfg->hours.start_min = 9 * 60;
	cfg->hours.end_min = 17 * 60;
	if (g == NULL)
		return;
	check_members(c, g, pre, known);
	if ((s = get_str(c, g, "timezone", pre, &v)) != NULL) {
		GTimeZone *tz = *v ? g_time_zone_new_identifier(v) : NULL;
		if (tz == NULL) {
			char *p = util_printable(v, 60);
			cerr(c, s, "working_hours.timezone: unknown time zone "
			    "\"%s\" (use a name like Europe/Berlin or UTC)", p);
			g_free(p);
		} else {
			g_time_zone_unref(tz);
			g_free(cfg->hours.timezone);
			cfg->hours.timezone = g_strdup(v);
		}
	}
	if ((s = get_str(c, g, "days", pre, &v)) != NULL &&
	    parse_days(v, &cfg->hours.days) < 0) {
		char *p = util_printable(v, 60);
		cerr(c, s, "working_hours.days: bad days \"%s\" "
		    "(use Mon-Fri or Mon,Wed,Fri)", p);
		g_free(p);
	}
	if ((s = get_str(c, g, "hours", pre, &v)) != NULL &&
	    parse_hours(v, &cfg->hours.start_min, &cfg->hours.end_min) < 0) {
		char *p = util_printable(v, 60);
		cerr(c, s, "working_hours.hours: bad hours \"%s\" "
		    "(use 09:00-17:00, start before end)", p);
		g_free(p);
	}
	raw = g_ptr_array_new_with_free_func(g_free);
	s = get_strings(c, g, "holidays", pre, raw);
	for (i = 0; s && i < raw->len; i++) {
		const char *d = raw->pdata[i];
		if (d == NULL)
			continue;
		if (!date_ok(d)) {
			char *p = util_printable(d, 40);
			cerr(c, config_setting_get_elem(s, i),
			    "working_hours.holidays[%u]: bad date \"%s\" "
			    "(use YYYY-MM-DD)", i, p);
			g_free(p);
		} else
			g_ptr_array_add(cfg->hours.holidays, g_strdup(d));
	}
	g_ptr_array_unref(raw);
}

/* A MIME type pattern: type, a slash, then a subtype or a star. */
static int
type_ok(const char *t)
{
	const char *slash = strchr(t, '/');
	const char *p;

	if (slash == NULL || slash == t || slash[1] == '\0' ||
	    strchr(slash + 1, '/'))
		return 0;
	for (p = t; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("/*.+-_", *p))
			return 0;
	return 1;
}

static void
parse_limits(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "max_message", "max_attachment",
	    "allowed_types", "autoreplies_per_hour", "ticket_mails_per_10min",
	    "staff_mails_per_10min", "max_participants",
	    "reopen_window", "autoclose_after", "max_mime_depth",
	    "max_mime_parts", "max_hops", "max_header", "keep_sent",
	    "new_tickets_per_sender", "parse_time", "parse_memory",
	    "list_link_valid", "lookups_pending", NULL };
	struct pd_config *cfg = c->cfg;
	config_setting_t *g = get_group(c, root, "limits"), *s;
	const char *pre = "limits";
	GPtrArray *raw;
	guint i;

	cfg->limits.max_message = DEF_MAX_MESSAGE;
	cfg->limits.max_attachment = DEF_MAX_ATTACHMENT;
	cfg->limits.autoreplies_per_hour = DEF_AUTOREPLIES_PER_HOUR;
	cfg->limits.ticket_mails_per_10min = DEF_TICKET_MAILS_PER_10MIN;
	cfg->limits.staff_mails_per_10min = DEF_STAFF_MAILS_PER_10MIN;
	cfg->limits.max_participants = DEF_MAX_PARTICIPANTS;
	cfg->limits.new_tickets_per_sender = DEF_NEW_TICKETS_PER_SENDER;
	cfg->limits.reopen_window = DEF_REOPEN_WINDOW;
	cfg->limits.list_link_valid = DEF_LIST_LINK_VALID;
	cfg->limits.lookups_pending = DEF_LOOKUPS_PENDING;
	cfg->limits.autoclose_after = DEF_AUTOCLOSE_AFTER;
	cfg->limits.max_mime_depth = DEF_MAX_MIME_DEPTH;
	cfg->limits.max_mime_parts = DEF_MAX_MIME_PARTS;
	cfg->limits.max_hops = DEF_MAX_HOPS;
	cfg->limits.max_header = DEF_MAX_HEADER;
	cfg->limits.keep_sent = DEF_KEEP_SENT;
	cfg->limits.parse_time = DEF_PARSE_TIME;
	cfg->limits.parse_memory = DEF_PARSE_MEMORY;
	if (g == NULL)
		return;
	check_members(c, g, pre, known);
	opt_scaled(c, g, "max_message", pre, 1, 1024, &cfg->limits.max_message);
	opt_scaled(c, g, "max_attachment", pre, 1, 0,
	    &cfg->limits.max_attachment);
	opt_scaled(c, g, "max_header", pre, 1, 1024, &cfg->limits.max_header);
	opt_scaled(c, g, "reopen_window", pre, 0, 0,
	    &cfg->limits.reopen_window);
	opt_scaled(c, g, "autoclose_after", pre, 0, 0,
	    &cfg->limits.autoclose_after);
	opt_scaled(c, g, "keep_sent", pre, 0, 0, &cfg->limits.keep_sent);
	opt_scaled(c, g, "parse_time", pre, 0, 1, &cfg->limits.parse_time);
	opt_scaled(c, g, "parse_memory", pre, 1, 16 * 1024 * 1024,
	    &cfg->limits.parse_memory);
	opt_scaled(c, g, "list_link_valid", pre, 0, 0, &cfg->limits.list_link_valid);
	opt_int(c, g, "lookups_pending", pre, 1, 1000000, &cfg->limits.lookups_pending);
	opt_int(c, g, "autoreplies_per_hour", pre, 0, 1000000,
	    &cfg->limits.autoreplies_per_hour);
	opt_int(c, g, "ticket_mails_per_10min", pre, 0, 1000000,
	    &cfg->limits.ticket_mails_per_10min);
	opt_int(c, g, "staff_mails_per_10min", pre, 0, 1000000,
	    &cfg->limits.staff_mails_per_10min);
	opt_int(c, g, "max_participants", pre, 0, 100000, &cfg->limits.max_participants);
	opt_int(c, g, "new_tickets_per_sender", pre, 0, 1000000,
	    &cfg->limits.new_tickets_per_sender);
	opt_int(c, g, "max_mime_depth", pre, 1, 100000,
	    &cfg->limits.max_mime_depth);
	opt_int(c, g, "max_mime_parts", pre, 1, 10000000,
	    &cfg->limits.max_mime_parts);
	opt_int(c, g, "max_hops", pre, 1, 1000, &cfg->limits.max_hops);

	raw = g_ptr_array_new_with_free_func(g_free);
	s = get_strings(c, g, "allowed_types", pre, raw);
	for (i = 0; s && i < raw->len; i++) {
		char *t;
		if (raw->pdata[i] == NULL)
			continue;
		t = g_ascii_strdown(raw->pdata[i], -1);
		if (!type_ok(t)) {
			char *p = util_printable(raw->pdata[i], 60);
			cerr(c, config_setting_get_elem(s, i),
			    "limits.allowed_types[%u]: bad type \"%s\" "
			    "(use image/* or application/pdf)", i, p);
			g_free(p);
			g_free(t);
		} else
			g_ptr_array_add(cfg->limits.allowed_types, t);
	}
	g_ptr_array_unref(raw);
}

static void
parse_spam(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "header", "pattern", "rspamd", "timeout", NULL };
	config_setting_t *g = get_group(c, root, "spam"), *s;
	const char *v;

	c->cfg->spam.timeout = DEF_SPAM_TIMEOUT;
	if (g == NULL)
		return;
	check_members(c, g, "spam", known);
	if ((v = opt_str(c, g, "rspamd", "spam", NULL)) != NULL) {
		char *rs = (char *)v;

		if (*rs == '\0')
			g_free(rs);
		else if (!g_str_has_prefix(rs, "http://") ||
		    !g_uri_is_valid(rs, G_URI_FLAGS_NONE, NULL)) {
			cerr(c, config_setting_get_member(g, "rspamd"),
			    "spam.rspamd: \"%s\" is not an http:// URL", rs);
			g_free(rs);
		} else
			c->cfg->spam.rspamd = rs;
	}
	opt_scaled(c, g, "timeout", "spam", 0, 0, &c->cfg->spam.timeout);
	if (c->cfg->spam.timeout < 1)
		c->cfg->spam.timeout = 1;
	/* header and pattern go together; rspamd alone needs neither */
	if (config_setting_get_member(g, "header") == NULL &&
	    config_setting_get_member(g, "pattern") == NULL)
		return;
	if ((s = req_str(c, g, "header", "spam", &v)) != NULL) {
		const char *p;
		for (p = v; *p; p++)
			if (*p <= ' ' || *p >= 0x7f || *p == ':')
				break;
		if (*p)
			cerr(c, s, "spam.header: \"%s\" is not a header name",
			    v);
		else
			c->cfg->spam.header = g_strdup(v);
	}
	if ((s = req_str(c, g, "pattern", "spam", &v)) != NULL) {
		GError *err = NULL;
		GRegex *re = g_regex_new(v, 0, 0, &err);
		if (re == NULL) {
			cerr(c, s, "spam.pattern: bad regular expression: %s",
			    err->message);
			g_error_free(err);
		} else {
			g_regex_unref(re);
			c->cfg->spam.pattern = g_strdup(v);
		}
	}
}

/* One listen address: "unix:PATH" (relative to the config's folder) or
 * "IP:PORT" / "[IPv6]:PORT".  Mail arrives without any login, so an
 * address that listens everywhere (0.0.0.0, ::) or a host name that
 * could resolve to anything is refused: a unix socket, the loopback or a
 * numeric address the sysadmin chose.  NULL and an error when bad. */
static char *
lmtp_listen(struct ctx *c, config_setting_t *s, const char *name, const char *v)
{
	GInetAddress *ia;
	const char *colon;
	char *host, *end, *r = NULL;
	long port;

	if (g_str_has_prefix(v, "unix:")) {
		if (v[5] == '\0') {
			cerr(c, s, "%s: unix: needs a path", name);
			return NULL;
		}
		host = resolve(c, v + 5);
		r = g_strconcat("unix:", host, NULL);
		g_free(host);
		return r;
	}
	if (*v == '[') {
		const char *close = strchr(v, ']');
		colon = close && close[1] == ':' ? close + 1 : NULL;
		host = colon ? g_strndup(v + 1, (gsize)(close - v - 1)) : NULL;
	} else {
		colon = strrchr(v, ':');
		host = colon && strchr(v, ':') == colon ? g_strndup(v, (gsize)(colon - v)) :
		    NULL;
	}
	if (host == NULL) {
		char *p = util_printable(v, 80);
		cerr(c, s, "%s: \"%s\" is neither unix:PATH nor ADDRESS:PORT", name, p);
		g_free(p);
		return NULL;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port < 1 || port > 65535) {
		cerr(c, s, "%s: bad port in \"%s\" (1-65535)", name, v);
	} else if ((ia = g_inet_address_new_from_string(host)) == NULL) {
		char *p = util_printable(host, 80);
		cerr(c, s, "%s: \"%s\" is not a numeric address (a host name could "
		    "resolve to one anybody can reach)", name, p);
		g_free(p);
	} else {
		if (g_inet_address_get_is_any(ia))
			cerr(c, s, "%s: \"%s\" listens on every address: name the "
			    "one to listen on (127.0.0.1, or a unix socket)", name, host);
		else
			r = g_strdup_printf(g_inet_address_get_family(ia) ==
			    G_SOCKET_FAMILY_IPV6 ? "inet:[%s]:%ld" : "inet:%s:%ld", host, port);
		g_object_unref(ia);
	}
	g_free(host);
	return r;
}

static void
parse_lmtp(struct ctx *c, config_setting_t *root)
{
	static const char *const known[] = { "listen", "max_connections", "timeout", NULL };
	config_setting_t *g = get_group(c, root, "lmtp"), *s;
	GPtrArray *l;

	if (g == NULL)
		return;
	check_members(c, g, "lmtp", known);
	opt_int(c, g, "max_connections", "lmtp", 1, 1000, &c->cfg->lmtp.max_connections);
	opt_scaled(c, g, "timeout", "lmtp", 0, 1, &c->cfg->lmtp.timeout);
	l = g_ptr_array_new_with_free_func(g_free);
	if ((s = get_strings(c, g, "listen", "lmtp", l)) == NULL) {
		if (config_setting_get_member(g, "listen") == NULL)
			cerr(c, g, "lmtp: missing required key 'listen'");
	} else if (l->len == 0)
		cerr(c, s, "lmtp.listen: must name at least one address");
	for (guint i = 0; i < l->len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		char *v;
		if (l->pdata[i] == NULL)
			continue;
		v = lmtp_listen(c, e, kn(c, "lmtp.listen[%u]", i), l->pdata[i]);
		for (guint j = 0; v && j < c->cfg->lmtp.listen->len; j++)
			if (strcmp(v, c->cfg->lmtp.listen->pdata[j]) == 0) {
				cerr(c, e, "lmtp.listen[%u]: \"%s\" is listed twice", i,
				    (char *)l->pdata[i]);
				g_clear_pointer(&v, g_free);
			}
		if (v)
			g_ptr_array_add(c->cfg->lmtp.listen, v);
	}
	g_ptr_array_unref(l);
}

static gint
cerr_cmp(gconstpointer a, gconstpointer b)
{
	const struct cerr *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Hand the errors over in file order (the sort is stable, so errors of
 * one line keep the order they were found in). */
static void
flush_errors(struct ctx *c, GPtrArray *errors)
{
	guint i;

	g_array_sort(c->errs, cerr_cmp);
	for (i = 0; i < c->errs->len; i++) {
		struct cerr *e = &g_array_index(c->errs, struct cerr, i);
		if (errors)
			g_ptr_array_add(errors, g_strdup_printf("%s:%d: %s",
			    e->file, e->line, e->msg));
		g_free(e->file);
		g_free(e->msg);
	}
}

static struct pd_config *
config_new(const char *path)
{
	struct pd_config *cfg = g_new0(struct pd_config, 1);
	char *dir;

	cfg->path = g_canonicalize_filename(path, NULL);
	dir = g_path_get_dirname(cfg->path);
	cfg->dir = dir;
	cfg->staff = g_ptr_array_new_with_free_func(staff_free);
	cfg->queues = g_ptr_array_new_with_free_func(queue_free);
	cfg->mailboxes = g_ptr_array_new_with_free_func(mailbox_free);
	cfg->slas = g_ptr_array_new_with_free_func(sla_free);
	cfg->hours.holidays = g_ptr_array_new_with_free_func(g_free);
	cfg->limits.allowed_types = g_ptr_array_new_with_free_func(g_free);
	cfg->lmtp.listen = g_ptr_array_new_with_free_func(g_free);
	cfg->lmtp.max_connections = DEF_LMTP_MAX_CONNECTIONS;
	cfg->lmtp.timeout = DEF_LMTP_TIMEOUT;
	return cfg;
}

struct pd_config *
config_load(const char *path, GPtrArray *errors)
{
	return config_load_flags(path, errors, 0);
}

struct pd_config *
config_load_flags(const char *path, GPtrArray *errors, int flags)
{
	static const char *const known[] = { "database", "spool",
	    "secret_file", "base_url", "ref_prefix", "templates", "hostname",
	    "smtp", "staff", "queues", "mailboxes", "auth", "sla",
	    "working_hours", "limits", "spam", "lmtp", NULL };
	struct ctx c;
	config_t lc;
	config_setting_t *root;
	FILE *fp;
	int failed;

	memset(&c, 0, sizeof c);
	c.path = path;
	c.flags = flags;
	c.errs = g_array_new(FALSE, FALSE, sizeof(struct cerr));
	c.names = g_ptr_array_new_with_free_func(g_free);
	c.cfg = config_new(path);

	config_init(&lc);
	config_set_include_dir(&lc, c.cfg->dir);
	/* libconfig only says "file I/O error": find out why first. */
	if ((fp = fopen(path, "r")) == NULL) {
		struct cerr e;
		e.file = g_strdup(path);
		e.line = 1;
		e.msg = g_strdup_printf("cannot read: %s", g_strerror(errno));
		g_array_append_val(c.errs, e);
		goto done;
	}
	fclose(fp);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		struct cerr e;
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
			e.file = g_strdup(path);
			e.line = 1;
			e.msg = g_strdup_printf("cannot read: %s",
			    config_error_text(&lc));
		} else {
			e.file = g_strdup(config_error_file(&lc) ?
			    config_error_file(&lc) : path);
			e.line = config_error_line(&lc);
			e.msg = g_strdup(config_error_text(&lc));
		}
		g_array_append_val(c.errs, e);
		goto done;
	}
	root = config_root_setting(&lc);
	check_members(&c, root, NULL, known);
	parse_top(&c, root);
	c.quiet = (flags & CONFIG_INTAKE) != 0;
	parse_smtp(&c, root);
	c.quiet = 0;
	parse_staff(&c, root);
	parse_sla(&c, root);
	parse_queues(&c, root);
	parse_mailboxes(&c, root);
	parse_auth(&c, root);
	parse_hours_group(&c, root);
	parse_limits(&c, root);
	parse_spam(&c, root);
	parse_lmtp(&c, root);
	if (c.cfg->hostname == NULL) {
		const char *at = c.cfg->queues->len ? strchr(((struct pd_queue *)
		    c.cfg->queues->pdata[0])->address, '@') : NULL;
		c.cfg->hostname = g_strdup(at ? at + 1 : "localhost");
	}
done:
	config_destroy(&lc);
	failed = c.errs->len > 0;
	flush_errors(&c, errors);
	g_array_free(c.errs, TRUE);
	g_ptr_array_unref(c.names);
	if (failed) {
		config_free(c.cfg);
		return NULL;
	}
	return c.cfg;
}

void
config_free(struct pd_config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->path);
	g_free(cfg->dir);
	g_free(cfg->database);
	g_free(cfg->spool);
	g_free(cfg->secret_file);
	g_free(cfg->base_url);
	g_free(cfg->ref_prefix);
	g_free(cfg->templates);
	g_free(cfg->hostname);
	g_free(cfg->smtp.url);
	g_free(cfg->smtp.starttls);
	g_free(cfg->smtp.user);
	g_free(cfg->smtp.password_file);
	g_free(cfg->smtp.ca_file);
	g_ptr_array_unref(cfg->staff);
	g_ptr_array_unref(cfg->queues);
	g_ptr_array_unref(cfg->mailboxes);
	g_free(cfg->auth.authserv_id);
	if (cfg->auth.internal_hosts)
		g_ptr_array_unref(cfg->auth.internal_hosts);
	g_ptr_array_unref(cfg->slas);
	g_free(cfg->hours.timezone);
	g_ptr_array_unref(cfg->hours.holidays);
	g_ptr_array_unref(cfg->limits.allowed_types);
	g_free(cfg->spam.header);
	g_free(cfg->spam.pattern);
	g_free(cfg->spam.rspamd);
	g_ptr_array_unref(cfg->lmtp.listen);
	g_free(cfg);
}

const char *
config_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && *explicit_path)
		return explicit_path;
	env = getenv("POSTDESK_CONF");
	if (env && *env)
		return env;
	return PD_DEFAULT_CONF;
}

struct pd_staff *
config_staff_by_email(const struct pd_config *cfg, const char *email)
{
	struct pd_staff *found = NULL;
	char *e;
	guint i;

	if (email == NULL)
		return NULL;
	e = util_addr_normalize(email);
	for (i = 0; i < cfg->staff->len && found == NULL; i++) {
		struct pd_staff *st = cfg->staff->pdata[i];
		if (*st->email && strcmp(st->email, e) == 0)
			found = st;
	}
	g_free(e);
	return found;
}

/* For "#assign": the email, the full name (any case), or else the
 * local part of the email or the first name when only one matches. */
struct pd_staff *
config_staff_by_name_or_email(const struct pd_config *cfg, const char *s)
{
	struct pd_staff *st, *found = NULL;
	char *want, *name;
	guint i, hits = 0;

	if (s == NULL)
		return NULL;
	if ((st = config_staff_by_email(cfg, s)) != NULL)
		return st;
	want = g_utf8_casefold(s, -1);
	g_strstrip(want);
	for (i = 0; i < cfg->staff->len && found == NULL; i++) {
		st = cfg->staff->pdata[i];
		name = g_utf8_casefold(st->name, -1);
		if (*want && strcmp(name, want) == 0)
			found = st;
		g_free(name);
	}
	for (i = 0; i < cfg->staff->len && found == NULL && *want; i++) {
		size_t n = strlen(want);
		st = cfg->staff->pdata[i];
		name = g_utf8_casefold(st->name, -1);
		if ((strncmp(st->email, want, n) == 0 && st->email[n] == '@') ||
		    (strncmp(name, want, n) == 0 && name[n] == ' '))
			hits++;
		g_free(name);
	}
	for (i = 0; hits == 1 && i < cfg->staff->len && found == NULL; i++) {
		size_t n = strlen(want);
		st = cfg->staff->pdata[i];
		name = g_utf8_casefold(st->name, -1);
		if ((strncmp(st->email, want, n) == 0 && st->email[n] == '@') ||
		    (strncmp(name, want, n) == 0 && name[n] == ' '))
			found = st;
		g_free(name);
	}
	g_free(want);
	return found;
}

struct pd_queue *
config_queue_by_name(const struct pd_config *cfg, const char *name)
{
	struct pd_queue *found = NULL;
	char *want;
	guint i;

	if (name == NULL)
		return NULL;
	want = g_utf8_casefold(name, -1);
	for (i = 0; i < cfg->queues->len && found == NULL; i++) {
		struct pd_queue *q = cfg->queues->pdata[i];
		char *have = g_utf8_casefold(q->name, -1);
		if (strcmp(have, want) == 0)
			found = q;
		g_free(have);
	}
	g_free(want);
	return found;
}

/* How well addr (normalized) matches ours: the length of our local part
 * when equal or when addr is local+anything@ of the same domain; 0 for
 * no match. */
static size_t
addr_match(const char *ours, const char *addr)
{
	const char *at = strrchr(ours, '@');
	size_t local;

	if (at == NULL || *ours == '\0')
		return 0;
	if (strcmp(ours, addr) == 0)
		return strlen(ours) + 1;
	local = (size_t)(at - ours);
	if (strncmp(ours, addr, local) == 0 && addr[local] == '+' &&
	    strrchr(addr, '@') && strcmp(strrchr(addr, '@'), at) == 0)
		return local + 1;
	return 0;
}

/* The longest match wins, so support+note+x@ is the note address and
 * support+TKT-1@ the plain one. */
struct pd_queue *
config_queue_by_address(const struct pd_config *cfg, const char *addr,
    int *is_note_r)
{
	struct pd_queue *best = NULL;
	size_t best_len = 0, n;
	int note = 0;
	char *a;
	guint i;

	if (is_note_r)
		*is_note_r = 0;
	if (addr == NULL)
		return NULL;
	a = util_addr_normalize(addr);
	for (i = 0; i < cfg->queues->len; i++) {
		struct pd_queue *q = cfg->queues->pdata[i];
		if ((n = addr_match(q->note_address, a)) > best_len) {
			best = q;
			best_len = n;
			note = 1;
		}
		if ((n = addr_match(q->address, a)) > best_len) {
			best = q;
			best_len = n;
			note = 0;
		}
	}
	g_free(a);
	if (is_note_r)
		*is_note_r = best ? note : 0;
	return best;
}

struct pd_mailbox *
config_mailbox_by_name(const struct pd_config *cfg, const char *name)
{
	guint i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < cfg->mailboxes->len; i++) {
		struct pd_mailbox *m = cfg->mailboxes->pdata[i];
		if (strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

/* The queue's policy; with no queue, the default one ("standard"). */
const struct pd_sla *
config_sla_for(const struct pd_config *cfg, const struct pd_queue *q)
{
	return sla_by_name(cfg, q ? q->sla : DEF_SLA_POLICY);
}

static const struct pd_sla *
sla_by_name(const struct pd_config *cfg, const char *name)
{
	guint i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < cfg->slas->len; i++) {
		struct pd_sla *s = cfg->slas->pdata[i];
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

int
config_is_our_address(const struct pd_config *cfg, const char *addr)
{
	return config_queue_by_address(cfg, addr, NULL) != NULL;
}

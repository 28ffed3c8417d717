/* config.h: the one libconfig file of SPEC section 10, checked in full.
 * Paths are made absolute (relative to the config file's folder).
 * Every limit has a named default below that the file may override. */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <glib.h>

#include "ticket.h"

#define PD_DEFAULT_CONF		"/etc/postdesk/postdesk.conf"
#define DEF_MAX_MESSAGE		(50LL * 1024 * 1024)
#define DEF_MAX_ATTACHMENT	(10LL * 1024 * 1024)
#define DEF_MAX_HEADER		(1024 * 1024)	/* bytes of header block */
#define DEF_MAX_MIME_DEPTH	100		/* as Dovecot */
#define DEF_MAX_MIME_PARTS	10000		/* as Dovecot */
#define DEF_MAX_HOPS		50		/* Received headers */
#define DEF_AUTOREPLIES_PER_HOUR 5
#define DEF_TICKET_MAILS_PER_10MIN 10
#define DEF_STAFF_MAILS_PER_10MIN 30	/* mails to staff one ticket may cause */
#define DEF_MAX_PARTICIPANTS	10	/* Cc'd addresses one ticket takes on */
#define DEF_NEW_TICKETS_PER_SENDER 20	/* an hour, then "flood" */
#define DEF_REOPEN_WINDOW	(7 * 86400)
#define DEF_AUTOCLOSE_AFTER	(7 * 86400)
#define DEF_LIST_LINK_VALID	(7 * 86400)	/* a "my tickets" link */
#define DEF_LOOKUPS_PENDING	1000	/* lookup requests kept for the daemon */
#define DEF_SMTP_TIMEOUT	60
#define DEF_SMTP_CONNECTIONS	4
#define DEF_GIVE_UP		(5 * 86400)
#define DEF_POLL		60
#define DEF_SPAM_TIMEOUT	5		/* seconds for rspamd */
#define DEF_KEEP_SENT		(30 * 86400)	/* bytes of sent mail kept */
#define DEF_PARSE_TIME		30		/* CPU seconds for parsing one mail */
#define DEF_PARSE_MEMORY	(512LL * 1024 * 1024)	/* address space of the parser */
#define DEF_LMTP_MAX_CONNECTIONS 32
#define DEF_LMTP_TIMEOUT	300		/* seconds a client may stay silent */

struct pd_staff {
	char	*name;
	char	*email;		/* normalized, lower case */
	int	 admin;		/* role = "admin" */
	char	*signature;	/* optional, stripped from replies */
};

struct pd_queue {
	char	*name;
	char	*address;	/* normalized */
	char	*note_address;	/* normalized; default local+note@domain */
	GPtrArray *staff;	/* char * emails, normalized */
	char	*default_assignee; /* email or NULL */
	char	*sla;		/* policy name or NULL */
	char	*templates;	/* per-queue override folder or NULL */
};

/* The kinds of mailbox source (SPEC 2), named by their URL scheme in
 * config_sources[]; the daemon runs each kind's watcher (daemon.c). */
enum pd_source_kind { SRC_IMAP, SRC_MAILDIR, SRC_KIND_COUNT };

struct pd_source_scheme {
	const char		*prefix;	/* "imaps://" */
	enum pd_source_kind	 kind;
	int			 is_path;	/* the rest is a local path, else a host */
};
/* Every URL scheme a mailbox may have, ended by { NULL }. */
extern const struct pd_source_scheme config_sources[];

struct pd_mailbox {
	char	*name;
	char	*url;		/* imap://, imaps:// or maildir:/path */
	enum pd_source_kind kind; /* from url's scheme */
	char	*user;
	char	*password_file;
	char	*queue;		/* queue name */
	char	*after;		/* "move:Folder", "flag" or "delete" */
	gint64	 poll;		/* seconds */
};

struct pd_sla {
	char	*name;
	gint64	 first[PRIO_COUNT];	/* first response, seconds */
	gint64	 resolve[PRIO_COUNT];	/* resolution, seconds */
};

struct pd_config {
	char	*path;		/* the file read */
	char	*dir;		/* its folder */
	char	*database;
	char	*spool;
	char	*secret_file;
	char	*base_url;
	char	*ref_prefix;
	char	*templates;
	char	*hostname;	/* domain of our Message-IDs; default: first queue's */

	struct {
		char	*url;
		char	*starttls;	/* "auto" "always" "never" */
		char	*user;
		char	*password_file;
		char	*ca_file;	/* extra trusted CAs (PEM), or NULL: the system's */
		gint64	 timeout;
		gint64	 give_up;
		int	 connections;	/* sessions at once in a flush */
	} smtp;

	GPtrArray *staff;	/* struct pd_staff * */
	GPtrArray *queues;	/* struct pd_queue *, at least one */
	GPtrArray *mailboxes;	/* struct pd_mailbox * */

	struct {
		char	*authserv_id;
		int	 trust_from;
		GPtrArray *internal_hosts;	/* char *, domain suffixes of our
						 * own internal hops; may be NULL */
		/* a failed check in our authserv_id's Authentication-Results
		 * means the sender is not answered (auth.no_answer_on_fail) */
		int	 no_answer_dmarc;	/* dmarc=fail, policy reject/quarantine */
		int	 no_answer_spf;		/* spf=fail */
	} auth;

	GPtrArray *slas;	/* struct pd_sla * */

	struct {
		char	*timezone;
		int	 days;		/* bit 0 = Monday ... bit 6 = Sunday */
		int	 start_min;	/* minutes after midnight */
		int	 end_min;
		GPtrArray *holidays;	/* "YYYY-MM-DD" */
	} hours;

	struct {
		gint64	 max_message;
		gint64	 max_attachment;
		GPtrArray *allowed_types; /* "image/..." patterns; empty: all allowed */
		int	 autoreplies_per_hour;
		int	 ticket_mails_per_10min;
		int	 staff_mails_per_10min;
		int	 max_participants;
		int	 new_tickets_per_sender; /* an hour; 0: no limit */
		gint64	 reopen_window;
		gint64	 list_link_valid;	/* "my tickets" link, seconds */
		int	 lookups_pending;	/* lookup form requests kept at most */
		gint64	 autoclose_after;
		gint64	 keep_sent;	/* sent mail's bytes dropped after this */
		int	 max_mime_depth;
		int	 max_mime_parts;
		int	 max_hops;
		gint64	 max_header;
		gint64	 parse_time;	/* seconds of CPU the parser child has */
		gint64	 parse_memory;	/* bytes of memory it may use */
	} limits;

	/* LMTP server of postdeskd; listen is empty when there is none. */
	struct {
		GPtrArray *listen;	/* char *: "unix:/abs/path" or
					 * "inet:ADDRESS:PORT" (IPv6 in []) */
		int	 max_connections;
		gint64	 timeout;
	} lmtp;

	struct {
		char	*header;	/* extra spam header, or NULL */
		char	*pattern;	/* GRegex pattern for its value */
		char	*rspamd;	/* "http://127.0.0.1:11333", or NULL: none */
		gint64	 timeout;	/* seconds rspamd may take */
	} spam;
};

/* How many bytes of one mail are read and kept raw: a mail over
 * max_message is still kept whole up to twice that (its parts are
 * refused); past that the raw copy is cut and the cut recorded. */
static inline gint64
config_raw_cap(const struct pd_config *cfg)
{
	return cfg->limits.max_message * 2;
}

/* Read and check path.  Every problem found is appended to errors as
 * "FILE:LINE: message" (caller owns errors and its strings; create it
 * with g_ptr_array_new_with_free_func(g_free)).  Returns the config
 * (free with config_free) or NULL when any error was found. */
struct pd_config *config_load(const char *path, GPtrArray *errors);
/* CONFIG_INTAKE: for a program that only takes mail in (deliver, import,
 * the CGI): the smtp group and the mailboxes' password files, which it
 * never reads, cannot make it fail (postdeskd and check-config still
 * report them). */
#define CONFIG_INTAKE	0x1
struct pd_config *config_load_flags(const char *path, GPtrArray *errors, int flags);
void config_free(struct pd_config *);

/* The path to use: explicit, else $POSTDESK_CONF, else the default. */
const char *config_path(const char *explicit_path);

/* Lookups; NULL when absent.  email is matched case-insensitively. */
struct pd_staff *config_staff_by_email(const struct pd_config *, const char *email);
struct pd_staff *config_staff_by_name_or_email(const struct pd_config *, const char *s);
struct pd_queue *config_queue_by_name(const struct pd_config *, const char *name);
/* Queue whose address or note_address matches addr, plus-addresses
 * included (support+TKT-0042@ matches support@).  *is_note_r set when
 * it is the note address. */
struct pd_queue *config_queue_by_address(const struct pd_config *, const char *addr,
    int *is_note_r);
struct pd_mailbox *config_mailbox_by_name(const struct pd_config *, const char *name);
const struct pd_sla *config_sla_for(const struct pd_config *, const struct pd_queue *);
/* 1 if addr is one of our own addresses (queues, note addresses). */
int config_is_our_address(const struct pd_config *, const char *addr);

#endif

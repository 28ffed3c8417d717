/* store.h: the only code that speaks SQL.  One SQLite file in WAL mode,
 * schema version in PRAGMA user_version with the numbered migrations
 * of sql/, prepared statements only, BEGIN IMMEDIATE for writes.  The
 * store knows tickets, messages and queues of bytes, not mail.
 *
 * Functions return 0 on success and -1 on error with *error_r (caller
 * frees) unless said otherwise.  Structs returned are owned by the
 * caller and freed with their _free function. */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <glib.h>

struct pd_store;

struct pd_ticket {
	gint64	 id;
	char	*ref;
	char	*subject;
	char	*status;
	char	*priority;
	char	*queue;
	char	*assignee;		/* staff email or NULL */
	gint64	 customer_id;
	char	*customer_email;
	char	*customer_name;
	gint64	 created_at, updated_at, first_response_at, resolved_at, closed_at;
	gint64	 merged_into;		/* ticket id or 0 */
	char	*merged_into_ref;
	gint64	 follows;		/* ticket id or 0 */
	gint64	 first_response_due, resolution_due;
	int	 sla_warned, sla_breached;	/* told once (SPEC 7) */
	int	 sla_first_breached;	/* first response late, told once */
	GPtrArray *labels;		/* char *, sorted */
};

struct pd_stored_attachment {
	char	*filename;
	char	*content_type;
	gint64	 size;
	char	*sha256;		/* NULL when refused */
	char	*refused;
};

struct pd_stored_message {
	gint64	 id;
	gint64	 ticket_id;
	char	*kind;			/* customer staff note system */
	char	*message_id;
	char	*from_addr;
	char	*from_name;
	gint64	 date;
	char	*subject;
	char	*body;			/* the full text */
	char	*visible_text;		/* the new text only; the body when NULL */
	char	*raw_sha256;
	char	*class;
	int	 is_auto;
	GPtrArray *attachments;		/* struct pd_stored_attachment * */
	GBytes	*body_packed;		/* writing only, borrowed: the body
					 * deflated elsewhere, or NULL (kept
					 * when it inflates to the body) */
};

struct pd_quarantined {
	gint64	 id;
	gint64	 at;
	char	*reason;
	char	*raw_sha256;
	char	*source;
	char	*mailbox;
	char	*from_addr;
	char	*subject;
	char	*state;
};

struct pd_outbox_row {
	gint64	 id;
	gint64	 ticket_id;
	char	*ticket_ref;
	char	*event;
	char	*message_id;
	char	*mail_from;
	GPtrArray *rcpts;		/* char * */
	GBytes	*raw;			/* only when asked for */
	int	 is_auto;
	char	*status;
	gint64	 created_at, next_try, sent_at;
	int	 tries;
	char	*last_error;
};

struct pd_ticket_filter {
	const char *status;
	const char *queue;
	const char *assignee;
	const char *search;		/* FTS5 text, quoted as a phrase per word */
	int	 limit;			/* 0: none */
	int	 offset;
	int	 search_max;		/* search: the tickets of the newest
					 * search_max matching messages only
					 * (0: of every match) */
	const char *priority;		/* exact */
	const char *label;		/* one of its labels, any case */
};

/* The database at path, and the spool folder that holds the raw mail
 * and attachment files it names (NULL: a store that keeps no files). */
int store_open(const char *path, const char *spool, struct pd_store **st_r,
    char **error_r);
void store_close(struct pd_store *);
/* Schema version after migration. */
/* The page cache of this connection, KiB (store_open: 32 MiB, for bulk
 * work; postdeskd's long-lived connections take less). */
void store_set_cache(struct pd_store *, int kib);
/* Checkpoint the WAL once it holds this many bytes (store_open: 4 MB).
 * A process that opens the database while no other has it open reads
 * the whole WAL first (recovery): a process per mail (deliver) reads
 * less with a smaller WAL, at the price of more checkpoints. */
void store_set_wal_checkpoint(struct pd_store *, int bytes);
/* Give back the page cache and other memory this connection can free
 * (sqlite3_db_release_memory): a long-lived connection going idle.  From
 * the thread that uses the connection. */
void store_release_memory(struct pd_store *);
int store_version(struct pd_store *);

/* Writes: BEGIN IMMEDIATE ... COMMIT.  A failed commit is rolled back.
 * Threads of one process queue for writing on a mutex rather than in
 * SQLite's sleeping busy handler, where a thread that commits and
 * begins again at once starves the others (postdeskd's sender).
 * Inside an open transaction store_begin opens a savepoint instead and
 * store_commit releases it, so a bulk import can wrap many mails, each
 * in its own savepoint, in one transaction: spool files written inside
 * it are synced once (syncfs) before the outer COMMIT. */
int store_begin(struct pd_store *, char **error_r);
int store_commit(struct pd_store *, char **error_r);
void store_rollback(struct pd_store *);
/* on 1: inside an open transaction, store_begin opens no savepoint
 * (SQLite copies every page a savepoint first changes: a sixth of a
 * bulk import).  A store_rollback there that had changes to undo
 * loses the whole transaction instead (store_batch_lost): the caller
 * rolls it back and takes its mails in again with savepoints, and no
 * commit of it succeeds. */
void store_set_no_savepoint(struct pd_store *, int on);
int store_batch_lost(const struct pd_store *);
/* full 1: every commit reaches the disk before it returns (the
 * default: mail taken in is acknowledged to its source).  full 0: a
 * commit survives a crash of the process but maybe not of the machine;
 * the outbox's "sent" marks, where a lost mark means a mail sent
 * twice, never a mail lost. */
int store_set_durable(struct pd_store *, int full, char **error_r);
/* 1 inside store_begin .. store_commit. */
int store_in_transaction(const struct pd_store *);

/* Mails being parsed (store_attempt.c, migration 008).  A row is added
 * (or its attempts counted up) and committed before a mail is parsed
 * and deleted in the transaction that records it: a row found names a
 * mail whose earlier attempts died; *found_r is their number, reason
 * how the parser died (NULL: unknown). */
int store_attempt_get(struct pd_store *, const char *sha256, int *found_r,
    char **reason_r, char **error_r);
int store_attempt_add(struct pd_store *, const char *sha256, gint64 now, char **error_r);
int store_attempt_set_reason(struct pd_store *, const char *sha256, const char *reason,
    char **error_r);
int store_attempt_del(struct pd_store *, const char *sha256, char **error_r);
/* 1 when the last error was transient (busy, locked, full disk, I/O):
 * the caller should retry later rather than quarantine. */
int store_error_transient(struct pd_store *);

/* Next ref for prefix, "TKT-0042" (at least 4 digits). */
int store_next_ref(struct pd_store *, const char *prefix, char **ref_r, char **error_r);

/* Raw bytes kept once by their SHA-256: in the raw_mail row up to
 * STORE_RAW_INLINE bytes (gzip-compressed when that is smaller: then
 * length(data) < size), else in spool/raw/AB/SHA256 (written and fsynced
 * once).  stored_at is NOW, the time the intake began, so that a mail
 * is never later than the mails it caused. */
#define STORE_RAW_INLINE	(256 * 1024)
int store_raw_put(struct pd_store *, const void *data, size_t len, const char *sha256,
    gint64 now, char **error_r);
/* The same with the compressed copy made elsewhere (the parser child,
 * by store_raw_pack): used when it unpacks to data, else made here. */
int store_raw_put_packed(struct pd_store *, const void *data, size_t len, GBytes *packed,
    const char *sha256, gint64 now, char **error_r);
/* The compressed copy store_raw_put keeps inline, or NULL (not kept
 * inline, or no smaller). */
GByteArray *store_raw_pack(const void *data, size_t len);
/* The deflated copy store_message_add keeps of a long body, or NULL. */
GByteArray *store_text_pack_alone(const char *text, size_t len);
/* The raw bytes back, wherever they are.  1 found (*raw_r, caller
 * unrefs), 0 unknown sha256, -1 error. */
int store_raw_get(struct pd_store *, const char *sha256, GBytes **raw_r, char **error_r);
/* Path of a raw mail kept in the spool, or an attachment (for tests and
 * the sysadmin; readers use the _get functions).  Caller frees. */
char *store_raw_path(struct pd_store *, const char *sha256);
char *store_blob_path(struct pd_store *, const char *sha256);
/* Attachment bytes kept once by their SHA-256: up to STORE_RAW_INLINE
 * bytes in the blobs table (deflated when that is smaller: then
 * length(data) < size), else in spool/att/AB/SHA256; and back from
 * either: 1 found (*data_r, caller unrefs), 0 unknown, -1 error. */
int store_blob_put(struct pd_store *, const void *data, size_t len, const char *sha256,
    char **error_r);
int store_blob_get(struct pd_store *, const char *sha256, GBytes **data_r, char **error_r);

/* Exactly once.  *seen_r = 1 when (message_id, sha256) was taken in. */
int store_seen_check(struct pd_store *, const char *message_id, const char *sha256,
    int *seen_r, char **error_r);
int store_seen_add(struct pd_store *, const char *message_id, const char *sha256,
    gint64 now, const char *outcome, char **error_r);
int store_imap_seen_check(struct pd_store *, const char *mailbox, guint32 uidvalidity,
    guint32 uid, int *seen_r, char **error_r);
int store_imap_seen_add(struct pd_store *, const char *mailbox, guint32 uidvalidity,
    guint32 uid, gint64 now, char **error_r);

int store_customer_get_or_add(struct pd_store *, const char *email, const char *name,
    gint64 now, gint64 *id_r, char **error_r);
int store_customer_mark_bouncing(struct pd_store *, const char *email, const char *status,
    char **error_r);

/* Creates from t: ref, subject, status, priority, queue, assignee,
 * customer_id, created_at, follows, first_response_due, resolution_due. */
int store_ticket_create(struct pd_store *, const struct pd_ticket *t, gint64 *id_r,
    char **error_r);
/* 1 found (*t_r set), 0 not found, -1 error. */
int store_ticket_get(struct pd_store *, gint64 id, struct pd_ticket **t_r, char **error_r);
int store_ticket_get_by_ref(struct pd_store *, const char *ref, struct pd_ticket **t_r,
    char **error_r);
void store_ticket_free(struct pd_ticket *);
/* Set one column: status, priority, queue, assignee, subject,
 * first_response_at, resolved_at, closed_at, merged_into,
 * first_response_due, resolution_due (value NULL sets NULL; integer
 * columns take decimal text).  updated_at is set to now. */
int store_ticket_set(struct pd_store *, gint64 id, const char *column, const char *value,
    gint64 now, char **error_r);
int store_ticket_set_int(struct pd_store *, gint64 id, const char *column, gint64 value,
    gint64 now, char **error_r);
/* Ticket that a stored message or an outbox mail with this Message-ID
 * belongs to: 1 found (*ticket_id_r), 0 not, -1 error. */
int store_ticket_by_message_id(struct pd_store *, const char *message_id,
    gint64 *ticket_id_r, char **error_r);
/* Tickets matching f, newest update first.  GPtrArray of struct pd_ticket *. */
int store_ticket_list(struct pd_store *, const struct pd_ticket_filter *f,
    GPtrArray **tickets_r, char **error_r);
/* Messages a search (as store_ticket_list's) matches, counted up to
 * max + 1 at most: *count_r > max says "more than max". */
int store_search_count(struct pd_store *, const char *search, int max, int *count_r,
    char **error_r);
/* Move the messages, participants and labels of from into into and
 * mark from merged (its status is the lifecycle's: ticket.c). */
int store_ticket_merge(struct pd_store *, gint64 from, gint64 into, gint64 now,
    char **error_r);

/* Timers (SPEC 7): ids (gint64 in a GArray) of active tickets whose
 * SLA warning (warn_num/warn_den of the resolution time) or breach is
 * due at now and not yet told, and of resolved tickets to close. */
int store_timers_due(struct pd_store *, gint64 now, int warn_num, int warn_den,
    gint64 autoclose_after, GArray **warn_r, GArray **breach_r, GArray **close_r,
    char **error_r);
/* Active tickets with no staff answer past their first-response time,
 * not yet told. */
int store_timers_first_due(struct pd_store *, gint64 now, GArray **ids_r, char **error_r);
/* The earliest of those moments after now, 0 when there is none. */
int store_timers_next(struct pd_store *, gint64 now, int warn_num, int warn_den,
    gint64 autoclose_after, gint64 *next_r, char **error_r);

/* Tickets opened for customer email since t (the flood limit). */
int store_tickets_count_customer(struct pd_store *, const char *email, gint64 since,
    int *count_r, char **error_r);

/* 1 when email is the customer or a participant of the ticket. */
int store_ticket_knows(struct pd_store *, gint64 ticket_id, const char *email,
    int *knows_r, char **error_r);
int store_participant_add(struct pd_store *, gint64 ticket_id, const char *email,
    const char *name, char **error_r);
/* GPtrArray of char * emails. */
int store_participants(struct pd_store *, gint64 ticket_id, GPtrArray **emails_r,
    char **error_r);
int store_label_add(struct pd_store *, gint64 ticket_id, const char *label, char **error_r);
int store_label_remove(struct pd_store *, gint64 ticket_id, const char *label, char **error_r);

int store_event_add(struct pd_store *, gint64 ticket_id, gint64 at, const char *actor,
    const char *kind, const char *detail, char **error_r);

/* m->ticket_id, kind, message_id, from_*, date, subject, body,
 * visible_text (NULL or equal to body: stored as NULL), raw_sha256,
 * class, is_auto; indexes it for search. */
int store_message_add(struct pd_store *, const struct pd_stored_message *m, gint64 *id_r,
    char **error_r);
int store_attachment_add(struct pd_store *, gint64 message_row,
    const struct pd_stored_attachment *a, char **error_r);
/* Messages of a ticket, oldest first, with attachments; notes and
 * system messages only when all is set.  visible_text is never NULL. */
int store_messages(struct pd_store *, gint64 ticket_id, int all, GPtrArray **msgs_r,
    char **error_r);
void store_message_free(struct pd_stored_message *);

int store_outbox_add(struct pd_store *, gint64 ticket_id, const char *event,
    const char *message_id, const char *mail_from, GPtrArray *rcpts,
    const void *raw, size_t len, int is_auto, gint64 now, gint64 *id_r, char **error_r);
/* The same with what the mail is made of (notify's params) instead of
 * its bytes: it is rendered when it is sent (outbox_render). */
int store_outbox_add_params(struct pd_store *, gint64 ticket_id, const char *event,
    const char *message_id, const char *mail_from, GPtrArray *rcpts, GBytes *params,
    int is_auto, gint64 now, gint64 *id_r, char **error_r);
/* Queued mails due at now, oldest first, at most limit, with only the
 * recipients still waiting; without their bytes (store_outbox_raw), so
 * a batch of big mails is not held in memory at once. */
/* Every queued mail due now, however long its backoff (outbox flush,
 * as postqueue -f); *n_r of them were waiting for a later try. */
int store_outbox_due_all(struct pd_store *, gint64 now, int *n_r, char **error_r);
int store_outbox_due(struct pd_store *, gint64 now, int limit, GPtrArray **rows_r,
    char **error_r);
/* The raw column of one outbox mail (empty for one rendered when sent,
 * and once pruned).  Caller unrefs.  Read mail through outbox_render. */
int store_outbox_raw(struct pd_store *, gint64 id, GBytes **raw_r, char **error_r);
/* What one outbox mail is made of: its raw bytes (empty unless it was
 * rendered when queued), its params (NULL when none or pruned) and the
 * row's own fields the mail uses.  Clear with store_outbox_body_clear. */
struct pd_outbox_body {
	char	*event;
	char	*message_id;
	char	*mail_from;
	char	*audience;
	int	 is_auto;
	gint64	 created_at;
	GBytes	*raw;
	GBytes	*params;
};
int store_outbox_body(struct pd_store *, gint64 id, struct pd_outbox_body *b,
    char **error_r);
void store_outbox_body_clear(struct pd_outbox_body *b);
/* One recipient's result: status "sent", "failed" or "queued". */
int store_outbox_rcpt_set(struct pd_store *, gint64 outbox_id, const char *addr,
    const char *status, const char *code, char **error_r);
/* After a try: the row's status, tries, next try and last error; sent_at
 * is set when status is "sent". */
int store_outbox_update(struct pd_store *, gint64 id, const char *status, int tries,
    gint64 next_try, const char *last_error, gint64 now, char **error_r);
/* Move every queued mail due at now to next_try (the server is down:
 * no point in trying the rest of the batch now). */
int store_outbox_defer_due(struct pd_store *, gint64 now, gint64 next_try, char **error_r);
/* Drop the bytes of mails sent before t (the rows stay); *n_r how many. */
int store_outbox_prune(struct pd_store *, gint64 t, int *n_r, char **error_r);
/* Message bodies stored as text before long text was kept deflated
 * (store_raw.c), deflated now: *n_r of them.  0 ok, -1 error. */
int store_text_repack(struct pd_store *, int *n_r, char **error_r);
/* The earliest next_try of a queued mail, 0 when none waits. */
int store_outbox_next_try(struct pd_store *, gint64 *next_r, char **error_r);
/* Rows still queued (due or not). */
int store_outbox_count_waiting(struct pd_store *, int *count_r, char **error_r);
/* Hold a queued mail back (rate limit) with the reason. */
int store_outbox_hold(struct pd_store *, gint64 id, const char *reason, char **error_r);
/* Whom the mail is for ('auto', 'staff', 'person': sql/006_staff.sql). */
int store_outbox_set_audience(struct pd_store *, gint64 id, const char *audience,
    char **error_r);
/* Held until `until` (then postdeskd releases it) for reason. */
int store_outbox_hold_until(struct pd_store *, gint64 id, const char *reason, gint64 until,
    char **error_r);
/* Held mail back in the queue, due now: one (id > 0), a ticket's
 * (ticket_id > 0), or all (both 0); *n_r how many. */
int store_outbox_release(struct pd_store *, gint64 id, gint64 ticket_id, gint64 now,
    int *n_r, char **error_r);
/* Held mail whose held_until has come, back in the queue. */
int store_outbox_release_due(struct pd_store *, gint64 now, int *n_r, char **error_r);
/* Mails of one audience a ticket caused since `since`, held ones not
 * counted. */
int store_outbox_count_audience(struct pd_store *, gint64 ticket_id, const char *audience,
    gint64 since, int *count_r, char **error_r);
/* Mails of event queued for the ticket since `since` (held or not). */
int store_outbox_count_event(struct pd_store *, gint64 ticket_id, const char *event,
    gint64 since, int *count_r, char **error_r);

/* One step of a ticket's timeline (postdesk history). */
struct pd_history {
	gint64	 at;
	char	*type;		/* message event queued held sent failed bounce */
	char	*kind;		/* message kind, event kind, mail event, bounce status */
	char	*who;		/* sender, actor, recipients */
	char	*detail;	/* subject, event detail, reason */
	gint64	 id;
};
int store_history(struct pd_store *, gint64 ticket_id, GPtrArray **rows_r, char **error_r);
/* The customer's side of the conversation, for a relayed reply's
 * References: the Message-IDs of the customer's messages and of our
 * mails to them in the order they came and went, with the customer's
 * latest last, since it is the parent (RFC 5322 3.6.4) (char *, without
 * <>); *last_customer_r the customer's latest (g_free; NULL when none). */
int store_conversation_ids(struct pd_store *, gint64 ticket_id, GPtrArray **ids_r,
    char **last_customer_r, char **error_r);
void store_history_free(struct pd_history *);
/* Outbox mail with that Message-ID: 1 found, 0 not. */
/* 1 when the store keeps files (a spool folder), 0 not. */
int store_spool_kept(struct pd_store *);
/* A stored message's body and visible text (its body when it has none):
 * message id, or with id 0 the ticket's latest.  1 found, 0 none, -1. */
int store_message_texts(struct pd_store *, gint64 ticket_id, gint64 id, gint64 *id_r,
    char **body_r, char **visible_r, char **error_r);
int store_outbox_by_message_id(struct pd_store *, const char *message_id,
    gint64 *outbox_id_r, gint64 *ticket_id_r, char **error_r);
/* Automatic mails queued to addr since t; mails caused by a ticket since t. */
int store_outbox_count_auto_to(struct pd_store *, const char *addr, gint64 since,
    int *count_r, char **error_r);
int store_outbox_count_ticket(struct pd_store *, gint64 ticket_id, gint64 since,
    int *count_r, char **error_r);
/* status NULL: all rows; with_raw loads the bytes. */
int store_outbox_list(struct pd_store *, const char *status, int with_raw,
    GPtrArray **rows_r, char **error_r);
/* One ticket's rows of that status (without the bytes). */
int store_outbox_list_ticket(struct pd_store *, gint64 ticket_id, const char *status,
    GPtrArray **rows_r, char **error_r);
void store_outbox_row_free(struct pd_outbox_row *);

/* action: the DSN's ("failed", "delayed", "delivered"...), or NULL. */
int store_bounce_add(struct pd_store *, gint64 ticket_id, gint64 outbox_id,
    const char *recipient, const char *status, const char *action, int reply_code,
    const char *diagnostic, int feedback, const char *raw_sha256, gint64 at,
    char **error_r);

int store_quarantine_add(struct pd_store *, const char *reason, const char *raw_sha256,
    const char *source, const char *mailbox, const char *from_addr, const char *subject,
    gint64 at, gint64 *id_r, char **error_r);
/* Quarantine rows with this reason from from_addr since t. */
int store_quarantine_count_from(struct pd_store *, const char *reason,
    const char *from_addr, gint64 since, int *count_r, char **error_r);
/* state NULL: all. GPtrArray of struct pd_quarantined *. */
int store_quarantine_list(struct pd_store *, const char *state, GPtrArray **rows_r,
    char **error_r);
int store_quarantine_get(struct pd_store *, gint64 id, struct pd_quarantined **q_r,
    char **error_r);
int store_quarantine_set_state(struct pd_store *, gint64 id, const char *state,
    char **error_r);
void store_quarantine_free(struct pd_quarantined *);

/* Tickets per status, as store_stats gives them ("tickets_open", "12",
 * ...), from the counts triggers keep (sql/011): the staff list's tabs. */
int store_ticket_counts(struct pd_store *, GPtrArray **pairs_r, char **error_r);
/* "SELECT key, count" style figures for `postdesk stats`: tickets per
 * status, messages, attachments, outbox per status, quarantine held,
 * bounces.  GPtrArray of char * alternating name, value. */
int store_stats(struct pd_store *, GPtrArray **pairs_r, char **error_r);
/* Give the free pages back to the file system: WAL checkpointed, VACUUM,
 * checkpointed again.  *before_r and *after_r are the database's bytes
 * (main file + WAL).  Not inside a transaction.  0 ok, -1 error. */
int store_vacuum(struct pd_store *, gint64 *before_r, gint64 *after_r, char **error_r);

/* store_web.c: the status page's own rows. */
/* The agent (any case) has seen every message of the ticket so far. */
int store_read_mark(struct pd_store *, const char *staff, gint64 ticket_id, gint64 now,
    char **error_r);
/* Which of the n tickets ids[] hold a customer message the agent (any
 * case) has not seen: unread_r[i] 1 or 0.  One query for a page. */
int store_tickets_unread(struct pd_store *, const char *staff, const gint64 *ids, guint n,
    guint8 *unread_r, char **error_r);
/* Tickets assigned to the agent (any case) that are not closed. */
int store_staff_mine_count(struct pd_store *, const char *staff, int *count_r,
    char **error_r);
/* The ticket's CSAT rating and comment (g_free; NULL when none). */
int store_ticket_csat(struct pd_store *, gint64 ticket_id, char **rating_r, char **comment_r,
    char **error_r);
/* Ids (gint64) of the customer's tickets, newest first, at most limit. */
int store_customer_ticket_ids(struct pd_store *, const char *email, int limit, GArray **ids_r,
    char **error_r);
/* A lookup form's request, kept for the daemon; *added_r 0 (and nothing
 * stored) when max_pending are already waiting. */
struct pd_lookup {
	gint64	 id;
	gint64	 at;
	char	*email;
	char	*ref;		/* or NULL */
};
int store_lookup_add(struct pd_store *, const char *email, const char *ref, gint64 now,
    int max_pending, int *added_r, char **error_r);
/* The oldest pending requests (struct pd_lookup *), at most limit. */
int store_lookups_pending(struct pd_store *, int limit, GPtrArray **rows_r, char **error_r);
int store_lookup_done(struct pd_store *, gint64 id, char **error_r);
void store_lookup_free(struct pd_lookup *);
/* Mails of event queued to addr (any case) since `since`, held or not. */
int store_mail_to_since(struct pd_store *, const char *event, const char *addr, gint64 since,
    int *count_r, char **error_r);

#endif

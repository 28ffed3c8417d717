/* token.h: everything signed with the secret key (HMAC-SHA256, GLib).
 * Our Message-IDs, status-page keys and per-staff reply addresses. */
#ifndef PD_TOKEN_H
#define PD_TOKEN_H

#include <glib.h>

struct pd_secret {
	guint8	*key;
	gsize	 len;
};

/* Create a new random 32-byte secret at path, mode 0600; refuses to
 * overwrite.  0 ok, -1 and *error_r. */
int token_create_secret(const char *path, char **error_r);
/* Load; refuses a file readable or writable by group or others
 * ("secret_file /x is readable by others (mode 0644): chmod 600 it"). */
int token_load_secret(const char *path, struct pd_secret *secret_r, char **error_r);
void token_secret_clear(struct pd_secret *);

/* A new Message-ID of ours for ticket ref: "REF.RANDOM.MAC@domain",
 * without <>; ref may be NULL for mail tied to no ticket ("X.RANDOM.MAC").
 * Caller frees. */
char *token_message_id(const struct pd_secret *, const char *ref, const char *domain);
/* 1 when msgid (with or without <>) is one of ours with a valid MAC;
 * then *ref_r (may be NULL) gets the ref or NULL, caller frees.
 * 0 when it is not ours or the MAC is forged. */
int token_check_message_id(const struct pd_secret *, const char *msgid, char **ref_r);
/* 1 when msgid merely looks like ours (right shape), MAC unchecked. */
int token_looks_like_ours(const char *msgid, const char *domain);

/* Status page key for ref (hex, 20 chars).  Caller frees. */
char *token_status_key(const struct pd_secret *, const char *ref);
int token_check_status_key(const struct pd_secret *, const char *ref, const char *key);

/* Per-staff reply address: "local+REF.MAC@domain" built on queue_addr.
 * Caller frees. */
char *token_staff_address(const struct pd_secret *, const char *queue_addr,
    const char *ref, const char *staff_email);
/* 1 when addr is a staff reply address for staff_email with a valid MAC;
 * *ref_r (may be NULL) gets the ref, caller frees. */
int token_check_staff_address(const struct pd_secret *, const char *addr,
    const char *staff_email, char **ref_r);

/* A status-page form token, "ISSUED.MAC": binds the ticket ref and who
 * may send the form (the signed-in agent's address; "" for the customer
 * behind the ticket's key) to the time it was issued.  Caller frees. */
char *token_form(const struct pd_secret *, const char *who, const char *ref, gint64 now);
/* 1 when tok was issued for who and ref at most max_age seconds ago. */
int token_check_form(const struct pd_secret *, const char *tok, const char *who,
    const char *ref, gint64 now, gint64 max_age);

/* The key of a customer's "my tickets" link, "EXPIRES.MAC", bound to
 * their address (any case).  Caller frees. */
char *token_list_key(const struct pd_secret *, const char *email, gint64 expires);
/* 1 when key is right for email and has not expired at now. */
int token_check_list_key(const struct pd_secret *, const char *key, const char *email,
    gint64 now);

/* Constant-time comparison of two strings. */
int token_equal(const char *a, const char *b);

#endif

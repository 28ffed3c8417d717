/* message.h: raw RFC 822 bytes into a decoded message.
 * GMime is used inside message.c only: what the rest of postdesk needs
 * of a mail (headers, the MIME parts, the body text, the attachments)
 * is here, decoded.  Every header and text is UTF-8 after parsing;
 * HTML-only mail gets a text rendering; TNEF (winmail.dat) is unpacked
 * into its attachments, and so are uuencoded blocks in text.  Mail
 * whose header lines end in bare CR is read with LF line ends.
 *
 * Ownership: everything reachable from a struct pd_message (strings,
 * arrays, the structs in them, GBytes references) belongs to it, and
 * message_free frees all of it.  The arrays free their elements.  A
 * GBytes may be shared between a part and an attachment (one reference
 * each).  Nothing points into the raw bytes given to message_parse. */
#ifndef PD_MESSAGE_H
#define PD_MESSAGE_H

#include <glib.h>

/* One header line. */
struct pd_header {
	char	*name;		/* as written: "Received", "X-Loop" */
	char	*raw;		/* the value unfolded but not decoded (RFC 2047
				 * words left as they are), leading blanks
				 * removed, made valid UTF-8 */
	char	*value;		/* decoded UTF-8, one line, blanks collapsed */
};

/* A Content-Type or Content-Disposition parameter. */
struct pd_param {
	char	*name;		/* lower case: "charset", "report-type" */
	char	*value;		/* decoded (RFC 2231/2047), UTF-8 */
};

struct pd_addr {
	char	*name;		/* decoded display name, or NULL */
	char	*addr;		/* normalized (lower case) address */
};

/* One node of the MIME tree, in document order (a container comes
 * before its children).  The tree walked is bounded by the limits
 * (pd_parse_limits max_depth, max_parts).  The parts of an embedded
 * message (message/rfc822) are not in this list: its own subject and
 * From are in subject and from, its headers in headers, its bytes in
 * data; its attachments are among pd_message attachments (after the
 * .eml of the whole message) and its text is in pd_message text below
 * a "Forwarded message" block (not for the returned mail of a
 * multipart/report). */
struct pd_part {
	int	 depth;		/* 0 for the message's own body part */
	char	*content_type;	/* "text/plain", "multipart/report", lower
				 * case; "text/plain" when absent */
	GPtrArray *params;	/* struct pd_param *: Content-Type parameters */
	char	*disposition;	/* "inline", "attachment" (lower case), or NULL */
	char	*filename;	/* decoded file name (disposition filename,
				 * else type name), or NULL */
	GBytes	*data;		/* decoded content; for message/rfc822 the
				 * embedded message as bytes; NULL for
				 * multiparts and content too big to keep */
	int	 attachment;	/* index in pd_message attachments whose data
				 * is this part's data, or -1 */
	char	*text;		/* data as UTF-8 with LF line ends for text/ *
				 * and message/ * parts; for a multipart the
				 * text around its parts (preface, postface);
				 * NULL otherwise */
	GPtrArray *headers;	/* struct pd_header *: the embedded message's
				 * headers (message/ *, text/rfc822-headers),
				 * else NULL */
	char	*message_id;	/* the embedded message's Message-ID without
				 * <>, or NULL */
	char	*subject;	/* message/rfc822, news, global: the embedded
				 * message's decoded Subject ("" when absent);
				 * NULL for other parts */
	struct pd_addr from;	/* the embedded message's From; name and addr
				 * NULL for other parts */
};

struct pd_attachment {
	char	*filename;	/* decoded (RFC 2047/2231), never NULL: "attachment-N" */
	char	*content_type;	/* "image/png", lower case */
	char	*content_id;	/* without <>, or NULL */
	int	 is_inline;
	GBytes	*data;		/* decoded content; NULL when refused */
	gint64	 size;		/* decoded size, also when refused */
	char	*sha256;	/* hex of data; NULL when refused */
	char	*refused;	/* why it was dropped ("larger than 10 MB",
				 * "type application/x-msdownload not allowed"),
				 * or NULL */
};

struct pd_parse_limits {
	gint64	 max_attachment;	/* 0: none */
	GPtrArray *allowed_types;	/* char * patterns like "image/ *"; NULL or empty: all */
	int	 max_depth;		/* MIME nesting */
	int	 max_parts;
	gint64	 max_header;		/* bytes */
};

/* A field added to any struct here needs its row in message_wire.c's
 * tables (message_wire_check() fails until it has one). */
struct pd_message {
	GPtrArray *headers;	/* struct pd_header *: the top-level headers in order */
	GPtrArray *parts;	/* struct pd_part *: the MIME tree, document order */
	char	*message_id;	/* without <>, or NULL */
	char	*in_reply_to;	/* without <>, or NULL */
	GPtrArray *references;	/* char *, without <>, oldest first */
	struct pd_addr from;	/* addr NULL when there is no usable From */
	struct pd_addr sender;	/* Sender header, or addr NULL */
	char	*return_path;	/* without <>; "" for the null path; NULL absent */
	GPtrArray *to;		/* struct pd_addr * */
	GPtrArray *cc;		/* struct pd_addr * */
	GPtrArray *reply_to;	/* struct pd_addr * */
	char	*subject;	/* decoded, "" when absent */
	gint64	 date;		/* unix time, 0 when absent or bad */
	char	*text;		/* the body as UTF-8 text, "" when none: the
				 * text parts shown inline (also those with a
				 * file name, which are attachments too), less
				 * uuencoded files (attachments), then each
				 * embedded message as a forward block */
	char	*html;		/* the HTML body as UTF-8 when there was one, else NULL */
	GPtrArray *attachments;	/* struct pd_attachment *, in document order:
				 * parts with a file name or not shown inline,
				 * uuencoded files in text, TNEF contents,
				 * embedded messages (.eml) and their
				 * attachments */
	int	 received_count;	/* number of Received headers */
	int	 truncated;	/* limits cut parts of the tree (depth, parts) */
	GPtrArray *notes;	/* char *: decoding problems worth recording */
	/* Worked out in the parser child after the parse, so that the
	 * process storing the mail need not (intake_precompute): */
	int	 have_visible;	/* visible is quote_mail_visible's answer */
	char	*visible;	/* the text without quotes or signature, or NULL */
	GBytes	*raw_packed;	/* the raw mail as store_raw_pack made it, or
				 * NULL: believed only when it unpacks to the
				 * raw bytes (store_raw_put_packed) */
	GBytes	*text_packed;	/* text as store_text_pack_alone made it, or
				 * NULL: believed only when it inflates to
				 * text (store_message_add) */
};

/* Parse raw bytes.  Returns 0 and *msg_r, or -1 and *error_r ("no
 * header", ...) when the bytes are not mail at all; the caller then
 * quarantines them.  Malformed but usable mail parses with notes. */
int message_parse(const char *raw, size_t len, const struct pd_parse_limits *lim,
    struct pd_message **msg_r, char **error_r);

/* What storing the mail needs besides the parse, worked out where the
 * mail was parsed (the parser child, while the parent stores the mail
 * before): have_visible and visible (quote_mail_visible), raw_packed
 * (store_raw_pack of raw, the bytes the parse was given), text_packed
 * (store_text_pack_alone of text). */
void message_precompute(struct pd_message *, const char *raw, size_t len);
void message_free(struct pd_message *);
/* Element free functions of the arrays above (for message_wire.c). */
void message_addr_free(gpointer);
void message_attachment_free(gpointer);
void message_header_free(gpointer);
void message_param_free(gpointer);
void message_part_free(gpointer);

/* message_wire.c: struct pd_message as bytes (a GVariant "ay"), for
 * the parser child's pipe (parser.c).  message_wire_to copies the
 * fields, attachment bytes too, into one buffer.  message_wire_from
 * reads an untrusted variant (any bytes): -1 with *error_r when it is
 * not a well-formed message.  The result references the variant's
 * bytes for its attachments. */
GVariant *message_wire_to(const struct pd_message *);
int message_wire_from(GVariant *, struct pd_message **msg_r, char **error_r);
/* The GVariant type of a serialised message ("ay"). */
const GVariantType *message_wire_type(void);
/* 0 when the field tables cover every struct exactly (unit test). */
int message_wire_check(char **error_r);

/* The first top-level header named name (any case), decoded to UTF-8
 * (NULL when absent).  The returned string belongs to the message. */
const char *message_header(const struct pd_message *, const char *name);
/* Number of top-level headers named name. */
int message_header_count(const struct pd_message *, const char *name);
/* The value of the first part parameter name (lower case), or NULL. */
const char *message_part_param(const struct pd_part *, const char *name);

/* Any charset to UTF-8: GMime's tables, then iconv, then CP1252 as a
 * last resort; invalid sequences become U+FFFD.  Caller frees. */
char *message_to_utf8(const char *data, size_t len, const char *charset);

/* Call once at start-up (g_mime_init with our options). */
void message_init(void);

#endif

/* message.h: raw RFC 822 bytes into a decoded message (GMime).
 * Every header and text is UTF-8 after parsing; HTML-only mail gets a
 * text rendering; TNEF (winmail.dat) is unpacked into its attachments.
 * All memory belongs to the struct pd_message; message_free frees it. */
#ifndef PD_MESSAGE_H
#define PD_MESSAGE_H

#include <glib.h>
#include <gmime/gmime.h>

struct pd_addr {
	char	*name;		/* decoded display name, or NULL */
	char	*addr;		/* normalized (lower case) address */
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

struct pd_message {
	GMimeMessage *mime;	/* the parsed tree, for classify and bounce */
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
	char	*text;		/* the body as UTF-8 text, "" when none */
	char	*html;		/* the HTML body as UTF-8 when there was one, else NULL */
	GPtrArray *attachments;	/* struct pd_attachment *, in document order */
	int	 received_count;	/* number of Received headers */
	int	 truncated;	/* limits cut parts of the tree (depth, parts) */
	GPtrArray *notes;	/* char *: decoding problems worth recording */
};

/* Parse raw bytes.  Returns 0 and *msg_r, or -1 and *error_r ("no
 * header", ...) when the bytes are not mail at all; the caller then
 * quarantines them.  Malformed but usable mail parses with notes. */
int message_parse(const char *raw, size_t len, const struct pd_parse_limits *lim,
    struct pd_message **msg_r, char **error_r);
void message_free(struct pd_message *);

/* The first header named name, decoded to UTF-8 (NULL when absent).
 * The returned string belongs to the message. */
const char *message_header(struct pd_message *, const char *name);
/* Number of headers named name. */
int message_header_count(struct pd_message *, const char *name);

/* Any charset to UTF-8: GMime's tables, then iconv, then CP1252 as a
 * last resort; invalid sequences become U+FFFD.  Caller frees. */
char *message_to_utf8(const char *data, size_t len, const char *charset);

/* Call once at start-up (g_mime_init with our options). */
void message_init(void);

#endif

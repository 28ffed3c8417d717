/* quote.h: the new text of a reply, without quoted text or signature. */
#ifndef PD_QUOTE_H
#define PD_QUOTE_H

/* What quote_visible found. */
enum {
	QUOTE_CUT	= 1 << 0,	/* a quote, attribution or original went */
	QUOTE_SIG	= 1 << 1,	/* a signature went */
	QUOTE_EMPTY	= 1 << 2,	/* no new text at all: text is "" */
	QUOTE_UNSURE	= 1 << 3,	/* quote-like text with no attribution kept */
	QUOTE_FORWARD	= 1 << 4	/* a forwarded mail: kept whole */
};

/* Flags for quote_visible's `opts`. */
enum {
	QUOTE_KEEP_SIG	= 1 << 0,	/* leave signatures alone */
	QUOTE_IS_FORWARD = 1 << 1,	/* the mail is a forward (quote_subject_forward) */
	QUOTE_SIGNOFF	= 1 << 2	/* also a closing sign-off block ("Best regards,\n
					 * Jane") at the very end */
};

/*
 * The new text of a reply (UTF-8): without the quoted block and its
 * attribution ("On ... wrote:" and its translations, Zoho's "---- On
 * ... wrote ----", Outlook's "From:/Sent:/To:" block in many languages,
 * "-----Original Message-----" and translations, "____" before From:),
 * quoted lines under an attribution (interleaved answers are kept, the
 * quote between them goes), a mailing-list footer after the quote, and
 * unless QUOTE_KEEP_SIG the signature ("-- " line, `signature` when not
 * NULL, "Sent from my iPhone" and its translations).  A forwarded mail
 * (a "Forwarded message" line, or QUOTE_IS_FORWARD) is kept whole, and
 * so is quote-like text that no pattern explains (QUOTE_UNSURE).  With
 * QUOTE_SIGNOFF a sign-off from the table ("Mit freundlichen Grüßen")
 * goes too, with up to four short lines (name, title, phone) below it,
 * when it ends the mail and new text stands above it.
 * Never returns NULL: "" with QUOTE_EMPTY when nothing new is left.
 * *flags_r (may be NULL) gets the QUOTE_CUT... bits.  Caller frees.
 */
char *quote_visible(const char *text, const char *signature, unsigned opts,
    unsigned *flags_r);

/* The same, but when nothing new is left the trimmed original comes
 * back instead of "" (for text that must not go blank).  Caller frees. */
char *quote_strip(const char *text, const char *signature);

/* quote_strip without touching signatures.  Caller frees. */
char *quote_strip_quotes(const char *text);

/* The visible text of a mail as a customer wrote it: quote_visible with
 * QUOTE_SIGNOFF, and QUOTE_IS_FORWARD for a forward's subject; NULL when nothing new is
 * left (the full text is then all there is to show).  Caller frees. */
char *quote_mail_visible(const char *text, const char *subject);

/* For staff: the visible text, then QUOTE_FULL_MARKER and the full text
 * when they differ; the full text alone when they do not or visible is
 * NULL.  Caller frees. */
#define QUOTE_FULL_MARKER \
	"-------- The whole message, with the text it quotes --------"
char *quote_with_full(const char *visible, const char *full);

/* 1 when the subject says the mail is a forward ("Fwd:", "FW:", "WG:",
 * "TR:", "RV:", "I:", "Doorst:", "VS:", "VB:", "PD:", "Пересл:", ...). */
int quote_subject_forward(const char *subject);

#endif

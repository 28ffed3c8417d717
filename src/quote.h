/* quote.h: the new text of a reply, without quoted text or signature. */
#ifndef PD_QUOTE_H
#define PD_QUOTE_H

/* Strip, from UTF-8 text: the quoted block and its attribution line
 * ("On ... wrote:", "Am ... schrieb", "-----Original Message-----",
 * Outlook's "From: ... Sent: ..." block, "> " lines), the signature
 * ("-- " line, "Sent from my iPhone" and alike, and the given one when
 * not NULL), and trailing blank lines.  Lines inline between quotes
 * (answers interleaved) are kept.  Never returns NULL; when everything
 * would be stripped the trimmed original is returned.  Caller frees. */
char *quote_strip(const char *text, const char *signature);

/* The same without touching signatures: only the quoted block, its
 * attribution and list footers go.  Caller frees. */
char *quote_strip_quotes(const char *text);

#endif

/* html.h: HTML as untrusted data: rendered to text, or escaped for output. */
#ifndef PD_HTML_H
#define PD_HTML_H

#include <glib.h>

/* Readable plain text of an HTML document: no scripts, styles or head,
 * block elements become line breaks, <br> a newline, list items "- ",
 * links "text <url>" when the url differs, entities decoded (named,
 * decimal, hex), whitespace collapsed, blockquotes prefixed "> ".
 * Input must be UTF-8.  Caller frees. */
char *html_to_text(const char *html, size_t len);

/* Escape & < > " ' for HTML output.  Caller frees. */
char *html_escape(const char *s);
/* Append the escaped s to out. */
void html_escape_append(GString *out, const char *s);

#endif

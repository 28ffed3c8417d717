/* quote.c: the new text of a reply, without quoted text or signature.
 *
 * The text is cut into lines and each line is classified by looking at
 * its start and end only (never by scanning it with a pattern), so a
 * reply with a 1 MB quoted line costs one pass.  Then:
 *  1. the first hard separator outside quotes cuts the rest away:
 *     "-----Original Message-----", an Outlook "From:/Sent:/To:" block,
 *     "____" followed by From: or a list footer, the "-- " signature
 *     line, the given signature;
 *  2. attribution lines ("On ... wrote:" and friends, wrapped over up
 *     to three lines) join the quote block that follows them;
 *  3. the quote after the last line of new text is dropped; a quote
 *     before all new text is dropped too (bottom posting), but quotes
 *     with answers between them are kept (interleaved replies);
 *  4. trailing "Sent from my iPhone" lines and blank lines go.
 */
#include <string.h>

#include <glib.h>

#include "quote.h"

enum ltype {
	L_BLANK,	/* only white space */
	L_SEP,		/* only "-_=~*" and white space: neutral */
	L_TEXT,
	L_QUOTE,	/* starts with '>' */
	L_ATTR		/* attribution of the quote below it */
};

struct line {
	const char	*s;
	size_t		 len;	/* without the line ending */
	enum ltype	 type;
};

/* Lines longer than this are never attributions or separators. */
#define ATTR_MAX	1000
/* How far below a "From:" line the rest of an Outlook header may be. */
#define HDR_LOOKAHEAD	6

/* Attribution lines: first line starts with `start`, last line contains
 * `word` and ends with ':'. */
static const struct {
	const char	*start;
	const char	*word;
} attributions[] = {
	{ "On ", "wrote" },
	{ "On ", "writes" },
	{ "Le ", "crit" },		/* a écrit : */
	{ "Am ", "schrieb" },
	{ "El ", "escribi" },		/* escribió: */
	{ "Em ", "escreveu" },
	{ "Il ", "scritto" },
	{ "Op ", "schreef" },
};

static const char *const original_markers[] = {
	"original message", "ursprüngliche nachricht", "message d'origine",
	"mensaje original", "messaggio originale", "oorspronkelijk bericht",
};

static const char *const hdr_from[] = {
	"from:", "de:", "de :", "von:", "van:", "da:", NULL
};
static const char *const hdr_sent[] = {
	"sent:", "date:", "gesendet:", "envoyé :", "envoyé:", "enviado:",
	"datum:", "verzonden:", "inviato:", "data:", NULL
};
static const char *const hdr_to[] = {
	"to:", "subject:", "an:", "betreff:", "à :", "à:", "objet :",
	"objet:", "para:", "asunto:", "aan:", "onderwerp:", "a:", "oggetto:", NULL
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim white space at both ends; the line is not copied. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

static int
prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && g_ascii_strncasecmp(s, prefix, n) == 0;
}

static int
contains_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(s + i, word, n) == 0)
			return 1;
	return 0;
}

static int
has_digit_or_at(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (g_ascii_isdigit(s[i]) || s[i] == '@')
			return 1;
	return 0;
}

static enum ltype
classify(const char *s, size_t len)
{
	size_t i;
	int sep = 0;

	if (len > 0 && s[0] == '>')
		return L_QUOTE;
	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			continue;
		if (strchr("-_=~*", s[i]) == NULL)
			return L_TEXT;
		sep = 1;
	}
	return sep ? L_SEP : L_BLANK;
}

/* Split into lines, dropping "\r" before "\n". */
static GArray *
split_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(struct line));
	const char *p = text, *nl;
	struct line l;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		l.s = p;
		l.len = nl ? (size_t)(nl - p) : strlen(p);
		if (l.len > 0 && p[l.len - 1] == '\r')
			l.len--;
		l.type = classify(l.s, l.len);
		g_array_append_val(lines, l);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines;
}

#define LINE(i)	(&g_array_index(lines, struct line, (i)))

/* A header line of an Outlook block, with Outlook's "*From:*" bold. */
static int
hdr_line(const struct line *l, const char *const *names)
{
	const char *s = l->s;
	size_t len = l->len, i;

	if (len > ATTR_MAX || l->type != L_TEXT)
		return 0;
	trim(&s, &len);
	while (len > 0 && *s == '*') {
		s++;
		len--;
	}
	for (i = 0; names[i] != NULL; i++)
		if (prefix_ci(s, len, names[i]))
			return 1;
	return 0;
}

/* "-----Original Message-----" and its translations. */
static int
original_line(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len, i;

	if (len > 200)
		return 0;
	trim(&s, &len);
	if (len < 4 || s[0] != '-' || s[1] != '-')
		return 0;
	for (i = 0; i < G_N_ELEMENTS(original_markers); i++)
		if (contains_ci(s, len, original_markers[i]))
			return 1;
	return 0;
}

static int
underscores(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len, i;

	trim(&s, &len);
	if (len < 10 || len > 200)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			return 0;
	return 1;
}

/* "-- ", or "--" once mail software ate the trailing space. */
static int
sig_dashes(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	return len == 2 && s[0] == '-' && s[1] == '-';
}

/* Next line at or after i that is not blank, or n. */
static guint
next_nonblank(GArray *lines, guint i, guint n)
{
	while (i < n && LINE(i)->type == L_BLANK)
		i++;
	return i;
}

/* An Outlook header block starting at line i: From:, then Sent: and To:
 * or Subject: within a few lines. */
static int
outlook_block(GArray *lines, guint i, guint n)
{
	guint j;
	int sent = 0, to = 0;

	if (!hdr_line(LINE(i), hdr_from))
		return 0;
	for (j = i + 1; j < n && j <= i + HDR_LOOKAHEAD; j++) {
		if (hdr_line(LINE(j), hdr_sent))
			sent = 1;
		else if (hdr_line(LINE(j), hdr_to))
			to = 1;
	}
	return sent && to;
}

/* Lines of the given signature, trimmed, without blank ends. */
static GPtrArray *
signature_lines(const char *signature)
{
	GPtrArray *sig = g_ptr_array_new_with_free_func(g_free);
	char **v;
	int i;

	if (signature == NULL)
		return sig;
	v = g_strsplit(signature, "\n", -1);
	for (i = 0; v[i] != NULL; i++)
		g_ptr_array_add(sig, g_strstrip(g_strdup(v[i])));
	g_strfreev(v);
	while (sig->len > 0 && *(char *)sig->pdata[sig->len - 1] == '\0')
		g_ptr_array_remove_index(sig, sig->len - 1);
	while (sig->len > 0 && *(char *)sig->pdata[0] == '\0')
		g_ptr_array_remove_index(sig, 0);
	return sig;
}

static int
signature_at(GArray *lines, guint i, guint n, GPtrArray *sig)
{
	guint k;

	if (sig->len == 0 || i + sig->len > n)
		return 0;
	for (k = 0; k < sig->len; k++) {
		const struct line *l = LINE(i + k);
		const char *s = l->s, *want = sig->pdata[k];
		size_t len = l->len;

		if (l->type == L_QUOTE || len > strlen(want) + 200)
			return 0;
		trim(&s, &len);
		if (len != strlen(want) || memcmp(s, want, len) != 0)
			return 0;
	}
	return 1;
}

/* Where the message proper ends: the first hard separator. */
static guint
find_cut(GArray *lines, int strip_sig, GPtrArray *sig)
{
	guint i, j, n = lines->len;

	for (i = 0; i < n; i++) {
		const struct line *l = LINE(i);

		if (l->type == L_QUOTE || l->type == L_BLANK)
			continue;
		if (original_line(l) || outlook_block(lines, i, n))
			return i;
		if (underscores(l)) {
			j = next_nonblank(lines, i + 1, n);
			if (j < n && (hdr_line(LINE(j), hdr_from) ||
			    (LINE(j)->len < 200 && contains_ci(LINE(j)->s,
			    LINE(j)->len, " mailing list"))))
				return i;
		}
		if (strip_sig &&
		    (sig_dashes(l) || signature_at(lines, i, n, sig)))
			return i;
	}
	return n;
}

/*
 * Attribution starting at line i (a known "On ... wrote:" form, over up
 * to three lines).  Returns the number of lines, or 0.
 */
static guint
attribution_at(GArray *lines, guint i, guint n)
{
	const struct line *first = LINE(i), *last;
	size_t a;
	guint k;

	if (first->type != L_TEXT || first->len > ATTR_MAX)
		return 0;
	for (a = 0; a < G_N_ELEMENTS(attributions); a++) {
		if (strncmp(first->s, attributions[a].start,
		    strlen(attributions[a].start)) != 0)
			continue;
		for (k = 0; k < 3 && i + k < n; k++) {
			const char *s;
			size_t len;

			last = LINE(i + k);
			if (last->type != L_TEXT || last->len > ATTR_MAX)
				break;
			s = last->s;
			len = last->len;
			trim(&s, &len);
			if (len > 0 && s[len - 1] == ':' &&
			    contains_ci(s, len, attributions[a].word)) {
				guint m;

				/* a date or address; not "On Monday I wrote:" */
				for (m = 0; m <= k; m++)
					if (has_digit_or_at(LINE(i + m)->s,
					    LINE(i + m)->len))
						return k + 1;
				break;
			}
		}
	}
	return 0;
}

/*
 * An unknown language's attribution: a short line ending in ':' with a
 * date or an address in it, right above a quote.  The line before joins
 * it when an address was wrapped inside "<...>".
 */
static void
generic_attribution(GArray *lines, guint i, guint n)
{
	struct line *l = LINE(i), *prev;
	const char *s = l->s;
	size_t len = l->len, k;
	guint j;
	int lt = 0, gt = 0;

	if (l->type != L_TEXT || len > ATTR_MAX)
		return;
	trim(&s, &len);
	if (len == 0 || s[len - 1] != ':' || !has_digit_or_at(s, len))
		return;
	j = next_nonblank(lines, i + 1, n);
	if (j >= n || LINE(j)->type != L_QUOTE)
		return;
	l->type = L_ATTR;
	if (i == 0)
		return;
	prev = LINE(i - 1);
	if (prev->type != L_TEXT || prev->len > ATTR_MAX)
		return;
	for (k = 0; k < prev->len; k++) {
		if (prev->s[k] == '<')
			lt++;
		else if (prev->s[k] == '>')
			gt++;
	}
	if (lt > gt)
		prev->type = L_ATTR;
}

/* "Sent from my iPhone", "Get Outlook for iOS" and alike. */
static int
mobile_signature(const struct line *l)
{
	static const char *const apps[] = {
		"Sent from Outlook", "Sent from Mail for Windows",
		"Sent from Yahoo Mail", "Sent from Samsung", "Sent from Gmail",
		"Sent via ", "Get Outlook for ", "Envoyé de mon ",
		"Enviado desde mi ", "Enviado do meu ", "Inviato da ",
		"Verzonden vanaf mijn ", "Von meinem ",
	};
	const char *s = l->s, *rest;
	size_t len = l->len, i;
	int words = 0;

	if (l->type != L_TEXT || len > 80)
		return 0;
	trim(&s, &len);
	for (i = 0; i < G_N_ELEMENTS(apps); i++)
		if (prefix_ci(s, len, apps[i]))
			return 1;
	if (!prefix_ci(s, len, "Sent from my "))
		return 0;
	/* "Sent from my desk, is much easier ..." is a sentence */
	rest = s + strlen("Sent from my ");
	len -= strlen("Sent from my ");
	if (len == 0 || memchr(rest, ',', len) != NULL || rest[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (rest[i] == ' ' && i + 1 < len && rest[i + 1] != ' ')
			words++;
	return words < 6;
}

static int
is_neutral(const struct line *l)
{
	return l->type == L_BLANK || l->type == L_SEP;
}

static char *
join(GArray *lines, guint from, guint to)
{
	GString *out = g_string_new(NULL);
	guint i;

	for (i = from; i < to; i++) {
		if (i > from)
			g_string_append_c(out, '\n');
		g_string_append_len(out, LINE(i)->s, LINE(i)->len);
	}
	return g_strstrip(g_string_free(out, FALSE));
}

static char *
strip(const char *text, const char *signature, int strip_sig)
{
	GArray *lines;
	GPtrArray *sig;
	guint n, i, k, first, last, start, end;
	int quote_between = 0, seen_text = 0;
	char *out;

	if (text == NULL)
		text = "";
	lines = split_lines(text);
	sig = signature_lines(strip_sig ? signature : NULL);
	n = find_cut(lines, strip_sig, sig);
	g_ptr_array_unref(sig);

	/* a text line wedged between two quote lines is a wrapped quote */
	for (i = 1; i + 1 < n; i++)
		if (LINE(i)->type == L_TEXT && LINE(i - 1)->type == L_QUOTE &&
		    LINE(i + 1)->type == L_QUOTE)
			LINE(i)->type = L_QUOTE;

	for (i = 0; i < n; i++) {
		if ((k = attribution_at(lines, i, n)) > 0) {
			guint j = next_nonblank(lines, i + k, n);

			if (j < n && LINE(j)->type != L_QUOTE) {
				/* the original follows unquoted: cut here */
				n = i;
				break;
			}
			while (k-- > 0)
				LINE(i++)->type = L_ATTR;
			i--;
		} else
			generic_attribution(lines, i, n);
	}

	first = last = n;
	for (i = 0; i < n; i++) {
		enum ltype t = LINE(i)->type;

		if (t == L_TEXT) {
			if (first == n)
				first = i;
			last = i;
		}
	}
	for (i = first; i < last; i++) {
		enum ltype t = LINE(i)->type;

		if (t == L_TEXT)
			seen_text = 1;
		else if (seen_text && (t == L_QUOTE || t == L_ATTR))
			quote_between = 1;
	}
	if (first == n) {
		out = NULL;
		goto done;
	}
	/* interleaved answers keep their context, from the top */
	start = quote_between ? 0 : first;
	end = last + 1;
	for (;;) {
		while (end > start && is_neutral(LINE(end - 1)))
			end--;
		if (strip_sig && end > start && mobile_signature(LINE(end - 1)))
			end--;
		else
			break;
	}
	while (start < end && is_neutral(LINE(start)))
		start++;
	out = start < end ? join(lines, start, end) : NULL;
done:
	if (out == NULL || *out == '\0') {
		g_free(out);
		out = join(lines, 0, lines->len);
		g_strstrip(out);
		/* g_strstrip moves the text to the start in place */
	}
	g_array_unref(lines);
	return out;
}

char *
quote_strip(const char *text, const char *signature)
{
	return strip(text, signature, 1);
}

char *
quote_strip_quotes(const char *text)
{
	return strip(text, NULL, 0);
}

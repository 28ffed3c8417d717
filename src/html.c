/* html.c: HTML as untrusted data.  html_to_text is a small tolerant state
 * machine, not a parser: it makes mail readable, in one linear pass, and
 * never trusts the markup to be well formed. */
#include <string.h>

#include "html.h"

struct entity {
	const char	*name;
	gunichar	 cp;
};

/* The named entities mail actually uses; the rest stay as text. */
static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "copy", 0xa9 }, { "reg", 0xae },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201c },
	{ "rdquo", 0x201d }, { "sbquo", 0x201a }, { "bdquo", 0x201e },
	{ "bull", 0x2022 }, { "euro", 0x20ac }, { "trade", 0x2122 },
	{ "laquo", 0xab }, { "raquo", 0xbb }, { "middot", 0xb7 },
	{ "times", 0xd7 }, { "divide", 0xf7 }, { "deg", 0xb0 },
	{ "plusmn", 0xb1 }, { "para", 0xb6 }, { "sect", 0xa7 },
	{ "pound", 0xa3 }, { "yen", 0xa5 }, { "cent", 0xa2 },
	{ "iexcl", 0xa1 }, { "iquest", 0xbf }, { "shy", 0xad },
	{ "zwnj", 0x200c }, { "zwj", 0x200d }, { "ensp", 0x2002 },
	{ "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "dagger", 0x2020 },
	{ "auml", 0xe4 }, { "ouml", 0xf6 }, { "uuml", 0xfc },
	{ "Auml", 0xc4 }, { "Ouml", 0xd6 }, { "Uuml", 0xdc },
	{ "szlig", 0xdf }, { "eacute", 0xe9 }, { "egrave", 0xe8 },
	{ "Eacute", 0xc9 }, { "agrave", 0xe0 }, { "ccedil", 0xe7 },
	{ "aacute", 0xe1 }, { "oacute", 0xf3 }, { "iacute", 0xed },
	{ "uacute", 0xfa }, { "ntilde", 0xf1 }, { "ecirc", 0xea },
	{ NULL, 0 }
};

/* Elements whose content is never text. */
static const char *skip_tags[] = { "script", "style", "head", "title",
	"template", "noscript", NULL };
/* Elements that end a paragraph: a blank line around them. */
static const char *para_tags[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6",
	"ul", "ol", "dl", "table", "blockquote", "pre", "hr", "address",
	"figure", NULL };
/* Elements that only end a line. */
static const char *line_tags[] = { "div", "tr", "li", "dt", "dd", "section",
	"article", "header", "footer", "nav", "form", "center", "fieldset",
	"caption", "tbody", "thead", "tfoot", "main", "aside", "details",
	"summary", NULL };

struct render {
	GString	*out;
	int	 pending_nl;	/* newlines owed before the next text */
	int	 pending_space;
	const char *bullet;	/* owed list marker */
	int	 quote;		/* blockquote depth */
	int	 pre;		/* inside <pre> */
	int	 bol;		/* at the beginning of a line */
	int	 text_quote;	/* quote depth of the last text */
	int	 sticky;	/* an Outlook reply header began: all is quote */
	int	 mso_p;		/* the open <p> is Outlook's one-line MsoNormal */
	gsize	 p_start;	/* where it began in out */
	guint64	 divs;		/* per open <div>, a bit: it opened a quote */
	int	 ndivs;		/* open <div>s, the first 64 tracked */
	char	*href;		/* the open link's target */
	gsize	 link_start;	/* where the link text began in out */
};

static int
skip_index(const char *name)
{
	for (int i = 0; skip_tags[i]; i++)
		if (strcmp(name, skip_tags[i]) == 0)
			return i;
	return -1;
}

static int
in_list(const char *name, const char **list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Case-insensitive search for needle in [p, end); NULL when absent. */
static const char *
find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (g_ascii_strncasecmp(p, needle, n) == 0)
			return p;
	return NULL;
}

static void
emit_prefix(struct render *r)
{
	for (int i = 0; i < r->quote; i++)
		g_string_append(r->out, "> ");
}

/* Settle owed newlines, list markers and spaces before text. */
static void
flush_pending(struct render *r)
{
	if (r->out->len > 0 && r->pending_nl > 0) {
		for (int i = 0; i < r->pending_nl; i++) {
			g_string_append_c(r->out, '\n');
			/* a blank line inside a quote stays quoted */
			if (i + 1 < r->pending_nl) {
				for (int q = 0; q < MIN(r->quote, r->text_quote); q++)
					g_string_append_c(r->out, '>');
			}
		}
		emit_prefix(r);
	} else if (r->out->len == 0 && r->quote > 0)
		emit_prefix(r);
	else if (r->pending_space && !r->bol)
		g_string_append_c(r->out, ' ');
	r->pending_nl = 0;
	r->pending_space = 0;
	if (r->bullet) {
		g_string_append(r->out, r->bullet);
		r->bullet = NULL;
	}
	r->bol = 0;
	r->text_quote = r->quote;
}

static void
want_newlines(struct render *r, int n)
{
	if (r->pending_nl < n)
		r->pending_nl = n;
	r->pending_space = 0;
}

static void
put_char(struct render *r, gunichar c)
{
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (!r->pre && (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f')) {
		r->pending_space = 1;
		return;
	}
	if (r->pre && c == '\r')
		return;
	if (r->pre && c == '\n') {
		g_string_append_c(r->out, '\n');
		emit_prefix(r);
		r->bol = 1;
		return;
	}
	flush_pending(r);
	g_string_append_unichar(r->out, c);
}

/* Decode the entity at p (just after '&').  Returns the bytes used
 * after the '&', or 0 when this is no entity we know. */
static size_t
decode_entity(const char *p, const char *end, gunichar *cp_r)
{
	const char *q = p;
	char name[16];
	size_t n = 0;

	if (q < end && *q == '#') {
		gunichar v = 0;
		int hex = 0, digits = 0;

		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = 1;
			q++;
		}
		for (; q < end && digits < 8; q++, digits++) {
			if (hex && g_ascii_isxdigit(*q))
				v = v * 16 + (gunichar)g_ascii_xdigit_value(*q);
			else if (!hex && g_ascii_isdigit(*q))
				v = v * 10 + (gunichar)(*q - '0');
			else
				break;
		}
		if (digits == 0)
			return 0;
		while (q < end && g_ascii_isalnum(*q))	/* absurdly long */
			q++;
		if (q < end && *q == ';')
			q++;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) ||
		    digits >= 8)
			v = 0xfffd;
		*cp_r = v;
		return (size_t)(q - p);
	}
	while (q < end && n < sizeof(name) - 1 && g_ascii_isalnum(*q))
		name[n++] = *q++;
	name[n] = '\0';
	if (n == 0)
		return 0;
	for (const struct entity *e = entities; e->name; e++) {
		if (strcmp(e->name, name) != 0)
			continue;
		if (q < end && *q == ';')
			q++;
		else if (strcmp(name, "amp") != 0 && strcmp(name, "lt") != 0 &&
		    strcmp(name, "gt") != 0 && strcmp(name, "quot") != 0 &&
		    strcmp(name, "nbsp") != 0)
			return 0;
		*cp_r = e->cp;
		return (size_t)(q - p);
	}
	return 0;
}

/* Decode entities of an attribute value.  Caller frees. */
static char *
decode_attr(const char *p, const char *end)
{
	GString *s = g_string_sized_new((gsize)(end - p));

	while (p < end) {
		gunichar cp;
		size_t used;

		if (*p == '&' && (used = decode_entity(p + 1, end, &cp)) > 0) {
			g_string_append_unichar(s, cp);
			p += 1 + used;
		} else
			g_string_append_c(s, *p++);
	}
	return g_string_free(s, FALSE);
}

/* Find attribute name's value inside the tag text [p, end).  Caller frees. */
static char *
tag_attr(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *a;

		while (p < end && !g_ascii_isalpha(*p))
			p++;
		a = p;
		while (p < end && (g_ascii_isalnum(*p) || *p == '-' || *p == '_' ||
		    *p == ':'))
			p++;
		if (p == a)
			break;
		int match = (size_t)(p - a) == n && g_ascii_strncasecmp(a, name, n) == 0;
		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && g_ascii_isspace(*p))
			p++;
		const char *v = p, *ve;
		if (p < end && (*p == '"' || *p == '\'')) {
			char qc = *p++;
			v = p;
			while (p < end && *p != qc)
				p++;
			ve = p;
			if (p < end)
				p++;
		} else {
			while (p < end && !g_ascii_isspace(*p))
				p++;
			ve = p;
		}
		if (match)
			return decode_attr(v, ve);
	}
	return NULL;
}

/* The end of the tag starting at p ('<'): the '>' outside quotes, or the
 * first '>' when a quote never closes. */
static const char *
tag_end(const char *p, const char *end)
{
	const char *first = memchr(p, '>', (size_t)(end - p));
	char q = 0;

	if (first == NULL)
		return NULL;
	for (const char *s = p; s < end; s++) {
		if (q) {
			if (*s == q)
				q = 0;
			else if (s > first && (*s == '<' || *s == '\n'))
				return first;
		} else if (*s == '"' || *s == '\'') {
			/* quotes only count inside attribute values */
			if (s > p && s[-1] == '=')
				q = *s;
		} else if (*s == '>')
			return s;
	}
	return first;
}

static void
link_close(struct render *r)
{
	const char *url = r->href;
	char *text;

	if (url == NULL)
		return;
	text = g_strstrip(g_strdup(r->out->str + MIN(r->link_start, r->out->len)));
	if (g_str_has_prefix(url, "mailto:"))
		url += 7;
	if (*url && url[0] != '#' && !g_str_has_prefix(url, "javascript:") &&
	    !g_str_has_prefix(url, "cid:") && strcmp(text, url) != 0 &&
	    strcmp(text, r->href) != 0) {
		flush_pending(r);
		if (*text)
			g_string_append_c(r->out, ' ');
		g_string_append_printf(r->out, "<%s>", url);
	}
	g_free(text);
	g_clear_pointer(&r->href, g_free);
}

/* Containers of the quoted original, by class: Gmail, Yahoo, Zoho,
 * Outlook for Mac, Apple's and Thunderbird's cite. */
static const char *const quote_classes[] = { "gmail_quote", "yahoo_quoted",
	"zmail_extra", "moz-cite-prefix", "protonmail_quote",
	"OutlookMessageHeader", NULL };
/* Ids after which everything is the quoted original: Outlook web and
 * mobile, old Hotmail, Outlook for Mac. */
static const char *const reply_ids[] = { "divRplyFwdMsg", "appendonsend",
	"stopSpelling", "OLK_SRC_BODY_SECTION", "mail-editor-reference-message-container",
	NULL };

static int
word_in(const char *value, const char *const *words)
{
	for (; *words; words++)
		if (value && strstr(value, *words) != NULL)
			return 1;
	return 0;
}

/* Where a reply's quoted original begins in HTML: a quote container
 * (class gmail_quote...) returns 1, the start of the rest-is-quote
 * (Outlook's divRplyFwdMsg, its header block with a border on top) 2. */
static int
quote_start(const char *attrs, const char *aend)
{
	char *cls = tag_attr(attrs, aend, "class");
	char *id = tag_attr(attrs, aend, "id");
	char *style = tag_attr(attrs, aend, "style");
	int r = 0;

	if (word_in(cls, quote_classes))
		r = 1;
	else if (word_in(id, reply_ids))
		r = 2;
	else if (style != NULL) {
		char *f = g_ascii_strdown(style, -1);
		GString *t = g_string_new(NULL);

		for (const char *c = f; *c; c++)
			if (*c != ' ')
				g_string_append_c(t, *c);
		/* Outlook: "border:none;border-top:solid #E1E1E1 1.0pt;padding:..." */
		if (strstr(t->str, "border:none") != NULL &&
		    strstr(t->str, "border-top:solid") != NULL &&
		    strstr(t->str, "padding") != NULL)
			r = 2;
		g_string_free(t, TRUE);
		g_free(f);
	}
	g_free(cls);
	g_free(id);
	g_free(style);
	return r;
}

static void
quote_open(struct render *r, int how)
{
	if (how == 2) {
		if (!r->sticky && r->quote < 20) {
			r->sticky = 1;
			r->quote++;
		}
	} else if (how == 1 && r->quote < 20)
		r->quote++;
}

/* Act on one tag: name lower-cased, attributes in [attrs, aend). */
static void
handle_tag(struct render *r, const char *name, int closing, const char *attrs,
    const char *aend)
{
	if (strcmp(name, "br") == 0) {
		if (r->pre) {
			put_char(r, '\n');
			return;
		}
		r->pending_nl = MIN(r->pending_nl + 1, 2);
		r->pending_space = 0;
		if (r->out->len == 0)
			r->pending_nl = 0;
		return;
	}
	if (strcmp(name, "div") == 0) {
		int how = closing ? 0 : quote_start(attrs, aend);

		want_newlines(r, 1);
		if (closing) {
			if (r->ndivs > 0 && --r->ndivs < 64 &&
			    (r->divs & ((guint64)1 << r->ndivs)) && r->quote > 0) {
				r->quote--;
				r->divs &= ~((guint64)1 << r->ndivs);
			}
			return;
		}
		quote_open(r, how);
		if (r->ndivs < 64 && how == 1)
			r->divs |= (guint64)1 << r->ndivs;
		if (r->ndivs < G_MAXINT)
			r->ndivs++;
		return;
	}
	if (strcmp(name, "hr") == 0 && !closing &&
	    quote_start(attrs, aend) == 2)
		quote_open(r, 2);
	if (strcmp(name, "blockquote") == 0) {
		want_newlines(r, 2);
		if (closing && r->quote > 0)
			r->quote--;
		else if (!closing && r->quote < 20)
			r->quote++;
		return;
	}
	if (strcmp(name, "pre") == 0) {
		want_newlines(r, 2);
		r->pre = closing ? 0 : 1;
		return;
	}
	if (strcmp(name, "li") == 0) {
		want_newlines(r, 1);
		if (!closing)
			r->bullet = "- ";
		return;
	}
	if (strcmp(name, "a") == 0) {
		if (closing)
			link_close(r);
		else {
			link_close(r);
			r->href = tag_attr(attrs, aend, "href");
			if (r->href)
				g_strstrip(r->href);
			r->link_start = r->out->len;
		}
		return;
	}
	if (strcmp(name, "img") == 0 && !closing) {
		char *alt = tag_attr(attrs, aend, "alt");

		if (alt && *g_strstrip(alt)) {
			for (const char *s = alt; *s; s = g_utf8_next_char(s))
				put_char(r, g_utf8_get_char_validated(s, -1));
		}
		g_free(alt);
		return;
	}
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		r->pending_space = 1;
		return;
	}
	if (strcmp(name, "p") == 0) {
		/* Outlook writes each line as <p class=MsoNormal>, margin 0;
		 * its blank lines are <p class=MsoNormal>&nbsp;</p> */
		if (!closing) {
			char *cls = tag_attr(attrs, aend, "class");

			r->mso_p = cls != NULL && strstr(cls, "MsoNormal") != NULL;
			r->p_start = r->out->len;
			g_free(cls);
		} else if (r->mso_p && r->out->len == r->p_start) {
			want_newlines(r, 2);	/* an empty line */
			return;
		}
		want_newlines(r, r->mso_p ? 1 : 2);
		return;
	}
	if (in_list(name, para_tags))
		want_newlines(r, 2);
	else if (in_list(name, line_tags))
		want_newlines(r, 1);
}

char *
html_to_text(const char *html, size_t len)
{
	const char *p = html, *end = html + len;
	struct render r;
	char *res;

	int absent[G_N_ELEMENTS(skip_tags)] = { 0 }, no_body = 0, si;

	memset(&r, 0, sizeof(r));
	r.bol = 1;
	r.out = g_string_sized_new(len / 2 + 16);
	while (p < end) {
		if (*p == '<') {
			const char *e, *n;
			char name[16];
			size_t nl = 0;
			int closing = 0;

			if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
				e = find_ci(p + 4, end, "-->");
				p = e ? e + 3 : end;
				continue;
			}
			n = p + 1;
			if (n < end && *n == '/') {
				closing = 1;
				n++;
			}
			if (n >= end || !(g_ascii_isalpha(*n) || *n == '!' ||
			    *n == '?')) {
				put_char(&r, '<');	/* a lone "<" is text */
				p++;
				continue;
			}
			e = tag_end(p, end);
			if (e == NULL)
				break;	/* unterminated tag: drop the rest */
			if (*n == '!' || *n == '?') {
				p = e + 1;
				continue;
			}
			while (n < e && (g_ascii_isalnum(*n)) && nl < sizeof(name) - 1)
				name[nl++] = g_ascii_tolower(*n++);
			name[nl] = '\0';
			while (n < e && g_ascii_isalnum(*n))
				n++;
			p = e + 1;
			if (!closing && (si = skip_index(name)) >= 0) {
				char close[20];
				const char *c = NULL;

				if (e > n && e[-1] == '/')
					continue;	/* <title/> */
				/* once an end tag is missing it stays missing:
				 * remembering that keeps the pass linear */
				g_snprintf(close, sizeof(close), "</%s", name);
				if (!absent[si] && (c = find_ci(p, end, close)) == NULL)
					absent[si] = 1;
				if (c == NULL && strcmp(name, "head") == 0 &&
				    !no_body && (c = find_ci(p, end, "<body")) == NULL)
					no_body = 1;
				if (c == NULL && (strcmp(name, "head") == 0 ||
				    strcmp(name, "title") == 0))
					continue;	/* no end: ignore the tag */
				if (c == NULL) {
					p = end;
					continue;
				}
				e = tag_end(c, end);
				p = e ? e + 1 : end;
				continue;
			}
			handle_tag(&r, name, closing, n, e);
			continue;
		}
		if (*p == '&') {
			gunichar cp;
			size_t used = decode_entity(p + 1, end, &cp);

			if (used > 0) {
				put_char(&r, cp);
				p += 1 + used;
				continue;
			}
			put_char(&r, '&');
			p++;
			continue;
		}
		/* a run of UTF-8 text */
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			put_char(&r, 0xfffd);
			p++;
			continue;
		}
		put_char(&r, c);
		p = g_utf8_next_char(p);
	}
	link_close(&r);

	/* &nbsp; was kept apart from collapsing; it reads as a space */
	GString *out = g_string_sized_new(r.out->len);
	for (const char *s = r.out->str; *s; ) {
		if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0) {
			g_string_append_c(out, ' ');
			s += 2;
		} else
			g_string_append_c(out, *s++);
	}
	g_string_free(r.out, TRUE);

	/* trailing spaces on each line, blank lines at both ends */
	GString *fin = g_string_sized_new(out->len);
	const char *s = out->str;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t l = eol ? (size_t)(eol - s) : strlen(s);
		size_t t = l;

		while (t > 0 && s[t - 1] == ' ')
			t--;
		/* empty paragraphs (Outlook's <p>&nbsp;</p>): one blank line */
		if (t == 0 && fin->len >= 2 && fin->str[fin->len - 1] == '\n' &&
		    fin->str[fin->len - 2] == '\n') {
			s += l + (eol ? 1 : 0);
			continue;
		}
		g_string_append_len(fin, s, (gssize)t);
		if (eol)
			g_string_append_c(fin, '\n');
		s += l + (eol ? 1 : 0);
	}
	g_string_free(out, TRUE);
	while (fin->len > 0 && fin->str[fin->len - 1] == '\n')
		g_string_truncate(fin, fin->len - 1);
	gsize lead = 0;
	while (lead < fin->len && fin->str[lead] == '\n')
		lead++;
	g_string_erase(fin, 0, (gssize)lead);
	res = g_string_free(fin, FALSE);
	if (!g_utf8_validate(res, -1, NULL)) {
		char *v = g_utf8_make_valid(res, -1);
		g_free(res);
		res = v;
	}
	return res;
}

void
html_escape_append(GString *out, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

char *
html_escape(const char *s)
{
	GString *out = g_string_new(NULL);

	html_escape_append(out, s);
	return g_string_free(out, FALSE);
}

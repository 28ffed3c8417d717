/* bounce.c: delivery status notifications and feedback reports.
 *
 * RFC 3464 reports are read from their message/delivery-status part;
 * ARF (RFC 5965) from message/feedback-report.  Everything else (qmail,
 * Exim, Sendmail transcripts, Exchange, Yahoo...) is read from the
 * explanatory text: each recipient address starts a block and the first
 * enhanced status code and SMTP reply code in its block are its own.
 *
 * The MIME parts are message.c's, already decoded and bounded by the
 * MIME limits; here only the bytes of text scanned are bounded. */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "html.h"
#include "robots.h"
#include "util.h"

#define BOUNCE_MAX_TEXT		(512 * 1024)	/* bytes of text scanned */
#define BOUNCE_MAX_RCPTS	100
#define BOUNCE_MAX_IDS		32
#define BOUNCE_MAX_DIAG		400

struct walk {
	int	 report;	/* 1 delivery-status, 2 feedback-report */
	GString	*text;		/* explanatory text/plain */
	GString	*html;		/* explanatory text/html, tags stripped */
	GPtrArray *html_parts;	/* const struct pd_part *: the html, made on use */
	GPtrArray *dsn;		/* char *: delivery-status bodies */
	GPtrArray *feedback;	/* char *: feedback-report bodies */
	GPtrArray *headers;	/* char *: header blocks of returned mail */
	GPtrArray *ids;		/* char *: Message-IDs of returned mail */
	GPtrArray *rcpt_to;	/* char *: To of returned mail (for ARF) */
	int	 returned;	/* a message/rfc822 part was seen */
};

/* The patterns, each compiled when first used (JIT unless
 * util_regex_flags says not): ordinary mail needs three of them, and a
 * process that takes in one mail (deliver) pays for no more. */
enum { RE_STATUS, RE_REPLY, RE_ADDR, RE_MSGID, RE_CUT, RE_SUBJECT, RE_BODY, RE_DAEMON_NAME, RE_FROM, N_RE };

static const struct {
	const char		*pattern;
	GRegexCompileFlags	 flags;
} re_src[N_RE] = {
	/* enhanced status code, not part of a longer dotted number */
	[RE_STATUS] = { "(?<![0-9.])([245])\\.([0-9]{1,3})\\.([0-9]{1,3})"
	    "(?![0-9]|\\.[0-9])",
	    0 },
	/* SMTP reply code: three digits standing alone, then space, '-' or end */
	[RE_REPLY] = { "(?<![0-9.\\-:/])([45][0-9][0-9])(?=[ \\-]|$)(?![ -][0-9]{2}[^0-9.])",
	    G_REGEX_MULTILINE },
	[RE_ADDR] = { "[A-Za-z0-9._%+=\\-'/!#$&*?^{|}~]+@"
	    "[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?"
	    "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?)+",
	    0 },
	[RE_MSGID] = { "^[ \\t>]*Message-I[Dd][ \\t]*:[ \\t\\r\\n]*<([^<>\\s]+)>",
	    G_REGEX_MULTILINE | G_REGEX_CASELESS },
	/* where the returned copy starts in a text bounce */
	[RE_CUT] = { "^[ \\t]*(?:-{2,}.*(?:copy of|original message|returned message|"
	    "unsent message|message header|headers? (?:of|follow)|below this line|"
	    "message text follows|original mail)|"
	    "(?:Original message follows|Original message headers?:|"
	    "The original message (?:was|headers? )|Below is a copy of the original|"
	    "Your message reads|Content-Type: message/rfc822)|"
	    "(?:Return-Path|Received|Message-I[Dd]|X-[A-Za-z-]+|DKIM-Signature|MIME-Version): )",
	    G_REGEX_MULTILINE | G_REGEX_CASELESS },
	[RE_SUBJECT] = { "undeliver|undelivered|non[- ]?deliver|nondeliverable|"
	    "delivery (?:status|failure|failed|report|problem|notification|has failed|error)|"
	    "returned mail|mail delivery|failure notice|returned to sender|"
	    "could not (?:be )?deliver|could not send|not (?:be )?delivered|"
	    "mail (?:system )?error|mail failure|delivery failed|permanent (?:delivery )?(?:error|failure)|"
	    "delayed mail|message delayed|delayed [0-9]+ hours|"
	    "error sending|complaint about message|abuse report|"
	    "returning (?:message )?to sender|mail failed|failed delivery|"
	    "^mail$|"
	    /* the wording fallback in other languages: German, French,
	     * Spanish, Italian, Portuguese, Dutch, Swedish, Polish,
	     * Russian, Japanese, Chinese, Korean */
	    "unzustellbar|nicht zustellbar|zustellung fehlgeschlagen|"
	    "fehlgeschlagene zustellung|konnte nicht zugestellt|"
	    "non remis|non distribuable|[ée]chec de (?:la )?(?:remise|distribution)|"
	    "message non d[ée]livr[ée]|"
	    "no entregado|no se (?:ha )?pud[oe] entregar|error (?:de|en la) entrega|"
	    "entrega fallida|mensaje no entregado|"
	    "mancata consegna|non recapitabile|impossibile recapitare|"
	    "n[ãa]o entregue|falha na entrega|n[ãa]o foi poss[íi]vel entregar|"
	    "onbestelbaar|niet bezorgd|kan niet worden bezorgd|"
	    "ej levererat|kunde inte levereras|"
	    "niedostarczon|nie mo[żz]na dostarczy[ćc]|"
	    "не доставлено|недоставлен|невозможно доставить|"
	    "配信できません|配信不能|配信エラー|メールエラー|不達|送信できませんでした|"
	    "未送達|エラー通知|"
	    "退信|无法投递|投递失败|发送失败|邮件被退回|無法投遞|傳送失敗|"
	    "전송 실패|배달되지",
	    G_REGEX_CASELESS },
	[RE_BODY] = { "This is the qmail-send program|"
	    "created automatically by mail delivery software|"
	    "This is the mail system at host|"
	    "Transcript of session follows|"
	    "The following addresses had permanent fatal errors|"
	    "Delivery to the following recipients? (?:failed|has been delayed)|"
	    "could not be delivered to (?:one or more|the following)|"
	    "(?:message|mail) (?:could not|wasn'?t able to|was not|cannot) be delivered|"
	    "Delivery has failed to these recipients|"
	    "Your message did not reach some or all|"
	    "I'm afraid I wasn't able to deliver|"
	    "Unable to deliver message to|"
	    "permanent fatal errors|"
	    "undeliverable|Error: Invalid user address|"
	    "mail failed, returning to sender|returning message to sender|"
	    "konnte nicht zugestellt werden|nicht zugestellt werden|"
	    "n'a pas pu [êe]tre (?:remis|d[ée]livr[ée]|distribu[ée])|"
	    "no (?:se )?(?:ha )?(?:podido|pudo) (?:ser )?entregar|"
	    "non [èe] stato possibile (?:recapitare|consegnare)|"
	    "n[ãa]o p[ôo]de ser entregue|kon niet worden bezorgd|"
	    "配信できません|配信できませんでした|届きませんでした|送信できませんでした|"
	    "无法投递|无法送达|投递失败|退回|無法傳遞|"
	    "\"notificationType\"\\s*:\\s*\"(?:Bounce|Complaint|Delivery)\"|"
	    "\\\\\"notificationType\\\\\"\\s*:\\s*\\\\\"(?:Bounce|Complaint|Delivery)\\\\\"",
	    G_REGEX_CASELESS },
	[RE_DAEMON_NAME] = { "mail delivery|mailer.daemon|postmaster",
	    G_REGEX_CASELESS },
	[RE_FROM] = { "^(?:mailer[-_.]?daemon|post[-_.]?master|mail[-_.]?daemon|"
	    "mail[-_.]?delivery[-_.a-z]*|postoffice|mdaemon|mmdf|smtp[-_.]?gateway|"
	    "no-?reply@sns\\.amazonaws\\.com|.*@.*\\bamazonses\\.com)(?:@|$)",
	    G_REGEX_CASELESS },
};

static GRegex *re_compiled[N_RE];

static GRegex *
re(int which)
{
	if (g_once_init_enter(&re_compiled[which]))
		g_once_init_leave(&re_compiled[which], g_regex_new(re_src[which].pattern,
		    re_src[which].flags | util_regex_flags(), 0, NULL));
	return re_compiled[which];
}

static void
rcpt_free(gpointer p)
{
	struct pd_bounce_rcpt *r = p;

	g_free(r->recipient);
	g_free(r->status);
	g_free(r->diagnostic);
	g_free(r->action);
	g_free(r);
}

void
bounce_free(struct pd_bounce *b)
{
	if (b == NULL)
		return;
	g_ptr_array_free(b->rcpts, TRUE);
	g_ptr_array_free(b->message_ids, TRUE);
	g_free(b);
}

/* The length of s cut to at most BOUNCE_MAX_TEXT bytes, on a
 * character boundary. */
static gsize
bounded_len(const char *s)
{
	gsize len = strlen(s);
	const char *cut;

	if (len <= BOUNCE_MAX_TEXT)
		return len;
	cut = g_utf8_find_prev_char(s, s + BOUNCE_MAX_TEXT + 1);
	return cut ? (gsize)(cut - s) : BOUNCE_MAX_TEXT;
}

static char *
bounded(const char *s)
{
	return g_strndup(s ? s : "", s ? bounded_len(s) : 0);
}

static void
add_id(GPtrArray *ids, const char *id)
{
	if (id == NULL || *id == '\0' || ids->len >= BOUNCE_MAX_IDS)
		return;
	for (guint i = 0; i < ids->len; i++)
		if (strcmp(ids->pdata[i], id) == 0)
			return;
	g_ptr_array_add(ids, g_strdup(id));
}

/* Message-ID lines in text, in order. */
static void
scan_ids(GPtrArray *ids, const char *text)
{
	GMatchInfo *mi;

	g_regex_match(re(RE_MSGID), text, 0, &mi);
	while (g_match_info_matches(mi) && ids->len < BOUNCE_MAX_IDS) {
		char *id = g_match_info_fetch(mi, 1);

		add_id(ids, id);
		g_free(id);
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
}

/* The value of header name in an unparsed header block, unfolded. */
static char *
block_header(const char *block, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = block;

	while (p && *p) {
		if (g_ascii_strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == ':') {
				GString *s = g_string_new(NULL);
				const char *e;

				v++;
				for (;;) {
					e = strchr(v, '\n');
					g_string_append_len(s, v, e ? e - v : (gssize)strlen(v));
					if (e == NULL || (e[1] != ' ' && e[1] != '\t'))
						break;
					v = e + 1;
				}
				for (gsize i = 0; i < s->len; i++)
					if (s->str[i] == '\r' || s->str[i] == '\t' || s->str[i] == '\n')
						s->str[i] = ' ';
				g_strstrip(s->str);
				return g_string_free(s, FALSE);
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Remember a returned message (message/rfc822) or its headers. */
static void
add_returned(struct walk *w, const char *headers)
{
	char *to;

	w->returned = 1;
	if (w->headers->len < BOUNCE_MAX_IDS)
		g_ptr_array_add(w->headers, g_strdup(headers));
	scan_ids(w->ids, headers);
	if ((to = block_header(headers, "To")) != NULL)
		g_ptr_array_add(w->rcpt_to, to);
}

/* A header list written back as a header block, for the block and
 * Message-ID scanners below. */
static char *
header_block(GPtrArray *headers)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; headers && i < headers->len; i++) {
		const struct pd_header *h = headers->pdata[i];

		g_string_append_printf(s, "%s: %s\n", h->name, h->raw);
	}
	return g_string_free(s, FALSE);
}

/* One part of message.c's list, in document order. */
static void
walk_part(struct walk *w, const struct pd_part *p)
{
	const char *type = p->content_type;

	if (strcmp(type, "multipart/report") == 0) {
		const char *rt = message_part_param(p, "report-type");

		if (rt && g_ascii_strcasecmp(rt, "feedback-report") == 0)
			w->report = 2;
		else if (rt && (g_ascii_strcasecmp(rt, "delivery-status") == 0 ||
		    g_ascii_strcasecmp(rt, "global-delivery-status") == 0) &&
		    w->report == 0)
			w->report = 1;
	}
	if (g_str_has_prefix(type, "multipart/"))
		return;
	if (g_str_has_suffix(type, "delivery-status")) {
		g_ptr_array_add(w->dsn, bounded(p->text));
	} else if (strcmp(type, "message/feedback-report") == 0) {
		g_ptr_array_add(w->feedback, bounded(p->text));
	} else if (strcmp(type, "text/rfc822-headers") == 0 ||
	    g_str_has_prefix(type, "message/")) {
		/* the returned mail: its text when it is one, else its
		 * headers written back out */
		char *h = p->text ? bounded(p->text) : header_block(p->headers);

		add_returned(w, h);
		g_free(h);
		add_id(w->ids, p->message_id);
	} else if (strcmp(type, "text/plain") == 0 && !w->returned && p->text) {
		if (w->text->len < BOUNCE_MAX_TEXT) {
			g_string_append_len(w->text, p->text, (gssize)bounded_len(p->text));
			g_string_append_c(w->text, '\n');
		}
	} else if (strcmp(type, "text/html") == 0 && !w->returned && p->text)
		g_ptr_array_add(w->html_parts, (gpointer)p);
}

/* The html parts' text: made only when the plain text says nothing,
 * which for ordinary mail with an HTML alternative is never. */
static const char *
walk_html(struct walk *w)
{
	for (guint i = 0; i < w->html_parts->len; i++) {
		const struct pd_part *p = w->html_parts->pdata[i];
		char *s;

		if (w->html->len >= BOUNCE_MAX_TEXT)
			break;
		s = html_to_text(p->text, bounded_len(p->text));
		g_string_append(w->html, s);
		g_string_append_c(w->html, '\n');
		g_free(s);
	}
	g_ptr_array_set_size(w->html_parts, 0);
	return w->html->str;
}

static void
walk_init(struct walk *w, struct pd_message *msg)
{
	memset(w, 0, sizeof(*w));
	w->text = g_string_new(NULL);
	w->html = g_string_new(NULL);
	w->html_parts = g_ptr_array_new();
	w->dsn = g_ptr_array_new_with_free_func(g_free);
	w->feedback = g_ptr_array_new_with_free_func(g_free);
	w->headers = g_ptr_array_new_with_free_func(g_free);
	w->ids = g_ptr_array_new_with_free_func(g_free);
	w->rcpt_to = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; msg->parts && i < msg->parts->len; i++)
		walk_part(w, msg->parts->pdata[i]);
	/* broken MIME (a boundary GMime could not see): read it raw */
	if (strspn(w->text->str, " \t\r\n") == w->text->len &&
	    strspn(walk_html(w), " \t\r\n") == w->html->len) {
		const struct pd_part *top = msg->parts && msg->parts->len > 0 ?
		    msg->parts->pdata[0] : NULL;

		if (msg->text && *msg->text)
			g_string_assign(w->text, msg->text);
		for (guint i = 0; w->text->len == 0 && msg->parts &&
		    i < msg->parts->len; i++) {
			const struct pd_part *p = msg->parts->pdata[i];

			/* the text GMime left around parts it could not split */
			if (p->text && g_str_has_prefix(p->content_type, "multipart/"))
				g_string_append_len(w->text, p->text,
				    (gssize)bounded_len(p->text));
		}
		if (w->text->len == 0 && top && top->data) {
			gsize len;
			const char *d = g_bytes_get_data(top->data, &len);
			char *t = message_to_utf8(d ? d : "", MIN(len, BOUNCE_MAX_TEXT),
			    NULL);

			g_string_append(w->text, t);
			g_free(t);
		}
	}
}

static void
walk_clear(struct walk *w)
{
	g_string_free(w->text, TRUE);
	g_string_free(w->html, TRUE);
	g_ptr_array_free(w->html_parts, TRUE);
	g_ptr_array_free(w->dsn, TRUE);
	g_ptr_array_free(w->feedback, TRUE);
	g_ptr_array_free(w->headers, TRUE);
	g_ptr_array_free(w->ids, TRUE);
	g_ptr_array_free(w->rcpt_to, TRUE);
}

static const char *
explanation(struct walk *w)
{
	return w->text->len > 0 && strspn(w->text->str, " \t\r\n") < w->text->len ?
	    w->text->str : walk_html(w);
}

int
bounce_detect(struct pd_message *msg, const char *envelope_sender)
{
	struct walk w;
	const char *subject = msg->subject ? msg->subject : "";
	const char *from = msg->from.addr ? msg->from.addr : "";
	int null_path, daemon, subj, body, mailerish, r = 0;

	walk_init(&w, msg);
	if (w.report != 0 || w.dsn->len > 0 || w.feedback->len > 0) {
		r = 1;
		goto done;
	}
	null_path = envelope_sender ? *envelope_sender == '\0' :
	    msg->return_path != NULL && *msg->return_path == '\0';
	daemon = g_regex_match(re(RE_FROM), from, 0, NULL) ||
	    (msg->from.name && g_regex_match(re(RE_DAEMON_NAME), msg->from.name, 0,
	    NULL)) ||
	    (msg->from.addr == NULL && g_regex_match_simple("mailer-daemon",
	    message_header(msg, "From") ? message_header(msg, "From") : "",
	    G_REGEX_CASELESS, 0));
	subj = g_regex_match(re(RE_SUBJECT), subject, 0, NULL);
	/* The body is searched only when something else points at a
	 * bounce: for ordinary mail this is most of the time spent here. */
	/* "^(?:mailer|post|mail)", caseless */
	mailerish = g_ascii_strncasecmp(from, "mail", 4) == 0 ||
	    g_ascii_strncasecmp(from, "post", 4) == 0;
	body = (daemon || null_path || subj || w.returned || mailerish) &&
	    g_regex_match(re(RE_BODY), explanation(&w), 0, NULL);
	if (daemon && (subj || body))
		r = 1;
	else if (null_path && (subj || body) && !robots_ooo_subject(subject))
		r = 1;
	else if ((body || subj) && w.returned)
		r = 1;
	else if (subj && body)
		r = 1;	/* a bounce forwarded by hand still names our mail */
	else if (body && mailerish)
		r = 1;
done:
	walk_clear(&w);
	return r;
}

/* First enhanced status code in text, preferring a specific one
 * (5.1.1) over a class-only one (5.0.0) of the same class.  A success
 * code (2.x.x: a transcript's "250 2.1.5 Ok") is never a failure's. */
static char *
find_status_of(const char *text, int success)
{
	GMatchInfo *mi;
	char *first = NULL;
	int n = 0;

	g_regex_match(re(RE_STATUS), text, 0, &mi);
	while (g_match_info_matches(mi) && n++ < 50) {
		char *s = g_match_info_fetch(mi, 0);

		if ((s[0] == '2') != success) {
			g_free(s);
		} else if (first == NULL) {
			first = s;
			if (!g_str_has_suffix(s, ".0.0"))
				break;
		} else if (s[0] == first[0] && !g_str_has_suffix(s, ".0.0")) {
			g_free(first);
			first = s;
			break;
		} else
			g_free(s);
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	return first;
}

static char *
find_status(const char *text)
{
	return find_status_of(text, 0);
}

static int
find_reply(const char *text)
{
	GMatchInfo *mi;
	int code = 0;

	if (g_regex_match(re(RE_REPLY), text, 0, &mi)) {
		char *s = g_match_info_fetch(mi, 1);

		code = atoi(s);
		g_free(s);
	}
	g_match_info_free(mi);
	return code;
}

/* One line, whitespace collapsed, bounded. */
static char *
one_line(const char *s)
{
	GString *o = g_string_new(NULL);
	int sp = 0;

	for (; *s && o->len < BOUNCE_MAX_DIAG; s++) {
		if (g_ascii_isspace(*s)) {
			sp = o->len > 0;
			continue;
		}
		if (sp)
			g_string_append_c(o, ' ');
		sp = 0;
		g_string_append_c(o, *s);
	}
	if (*s) {	/* cut: not inside a character */
		const char *end;

		g_utf8_validate(o->str, (gssize)o->len, &end);
		g_string_truncate(o, (gsize)(end - o->str));
	}
	return g_string_free(o, FALSE);
}

/* "rfc822; <a@b>" to "a@b". */
static char *
typed_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *s, *lt;

	s = g_strdup(semi ? semi + 1 : v);
	if ((lt = strchr(s, '<')) != NULL) {
		char *gt = strchr(lt, '>');
		char *t = g_strndup(lt + 1, gt ? (gsize)(gt - lt - 1) : strlen(lt + 1));

		g_free(s);
		s = t;
	}
	g_strstrip(s);
	for (char *p = s; *p; p++)
		*p = g_ascii_tolower(*p);
	if (*s == '\0' || strchr(s, '@') == NULL) {
		g_free(s);
		return NULL;
	}
	return s;
}

/* A DSN recipient whose Action is not "failed" (delayed, delivered,
 * relayed, expanded) did not fail. */
static int
rcpt_failed(const struct pd_bounce_rcpt *r)
{
	return r->action == NULL || strcmp(r->action, "failed") == 0;
}

static void
rcpt_finish(struct pd_bounce_rcpt *r)
{
	if (r->status == NULL && r->diagnostic != NULL && rcpt_failed(r))
		r->status = find_status(r->diagnostic);
	if (r->reply_code == 0 && r->diagnostic != NULL)
		r->reply_code = find_reply(r->diagnostic);
	r->permanent = rcpt_failed(r) && ((r->status && r->status[0] == '5') ||
	    (r->status == NULL && r->reply_code >= 500));
}

/* The DSN field value "2.1.5 (ok)" to "2.1.5": this recipient's own
 * status, whatever its class. */
static char *
dsn_status(const char *v)
{
	GRegex *re = g_regex_new("^\\s*([245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?![0-9])", 0, 0, NULL);
	GMatchInfo *mi;
	char *s = NULL;

	if (g_regex_match(re, v, 0, &mi))
		s = g_match_info_fetch(mi, 1);
	g_match_info_free(mi);
	g_regex_unref(re);
	return s;
}

/* RFC 3464 body: blocks of fields separated by empty lines; every block
 * naming a recipient is one recipient. */
static void
parse_dsn(struct pd_bounce *b, const char *body)
{
	char *norm = g_strdup(body);
	char **blocks;
	char *w = norm;

	/* CRLF to LF */
	for (const char *p = body; *p; p++)
		if (*p != '\r')
			*w++ = *p;
	*w = '\0';
	blocks = g_regex_split_simple("\\n[ \\t]*\\n", norm, 0, 0);
	if (blocks == NULL) {	/* not UTF-8: GRegex gives nothing */
		g_free(norm);
		return;
	}
	for (int i = 0; blocks[i] && b->rcpts->len < BOUNCE_MAX_RCPTS; i++) {
		char *fin = block_header(blocks[i], "Final-Recipient");
		char *orig = block_header(blocks[i], "Original-Recipient");
		char *status, *diag;
		struct pd_bounce_rcpt *r;

		if (fin == NULL && orig == NULL) {
			g_free(fin);
			continue;
		}
		r = g_new0(struct pd_bounce_rcpt, 1);
		r->recipient = fin ? typed_addr(fin) : NULL;
		if (r->recipient == NULL && orig)
			r->recipient = typed_addr(orig);
		status = block_header(blocks[i], "Status");
		diag = block_header(blocks[i], "Diagnostic-Code");
		{
			/* RFC 3464 2.3.3: failed, delayed, delivered, relayed, expanded */
			char *act = block_header(blocks[i], "Action");

			if (act) {
				char **word = g_strsplit_set(g_strstrip(act), " \t;(", 2);

				static const char *const known[][2] = {
					{ "fail", "failed" }, { "delay", "delayed" },
					{ "deliver", "delivered" },	/* "deliverable" too */
					{ "relay", "relayed" }, { "expand", "expanded" },
				};

				for (size_t k = 0; word[0] && k < G_N_ELEMENTS(known) &&
				    r->action == NULL; k++)
					if (g_ascii_strncasecmp(word[0], known[k][0],
					    strlen(known[k][0])) == 0)
						r->action = g_strdup(known[k][1]);
				g_strfreev(word);
				g_free(act);
			}
		}
		if (diag != NULL) {
			const char *d = diag;
			const char *semi = strchr(d, ';');

			if (semi && semi - d < 16)
				d = semi + 1;
			r->diagnostic = one_line(d);
			if (*r->diagnostic == '\0') {
				g_free(r->diagnostic);
				r->diagnostic = NULL;
			}
		}
		if (status != NULL)
			r->status = rcpt_failed(r) ? find_status(status) : dsn_status(status);
		/* "5.0.0" in Status but "5.1.1" in the diagnostic: the latter says more */
		if (r->status && g_str_has_suffix(r->status, ".0.0") && r->diagnostic &&
		    rcpt_failed(r)) {
			char *ds = find_status(r->diagnostic);

			if (ds && ds[0] == r->status[0] && !g_str_has_suffix(ds, ".0.0")) {
				g_free(r->status);
				r->status = ds;
			} else
				g_free(ds);
		}
		rcpt_finish(r);
		g_ptr_array_add(b->rcpts, r);
		g_free(fin);
		g_free(orig);
		g_free(status);
		g_free(diag);
	}
	g_strfreev(blocks);
	g_free(norm);
}

static int
addr_excluded(const char *addr, GPtrArray *exclude)
{
	const char *at = strchr(addr, '@');
	size_t l = at ? (size_t)(at - addr) : strlen(addr);

	if (g_regex_match(re(RE_FROM), addr, 0, NULL))
		return 1;
	if ((l == 5 && g_ascii_strncasecmp(addr, "abuse", 5) == 0) ||
	    (l == 10 && g_ascii_strncasecmp(addr, "postmaster", 10) == 0))
		return 1;
	for (guint i = 0; i < exclude->len; i++)
		if (g_ascii_strcasecmp(exclude->pdata[i], addr) == 0)
			return 1;
	return 0;
}

/* Length of the explanation before the returned copy starts. */
static size_t
explanation_len(const char *text)
{
	GMatchInfo *mi;
	size_t len = strlen(text);
	int start;

	if (g_regex_match(re(RE_CUT), text, 0, &mi) &&
	    g_match_info_fetch_pos(mi, 0, &start, NULL) && start > 0)
		len = (size_t)start;
	g_match_info_free(mi);
	return len;
}

/* A text bounce: each new address starts its recipient's block. */
static void
parse_text(struct pd_bounce *b, const char *text, GPtrArray *exclude, int fill_only)
{
	size_t len = explanation_len(text);
	char *ex = g_strndup(text, len);
	GMatchInfo *mi;
	GArray *starts = g_array_new(FALSE, FALSE, sizeof(int));
	GPtrArray *addrs = g_ptr_array_new_with_free_func(g_free);
	char *gstatus, *block;
	int greply;

	/* drop lines that hold Message-IDs or Received traces: not recipients */
	g_regex_match(re(RE_ADDR), ex, 0, &mi);
	while (g_match_info_matches(mi) && addrs->len < BOUNCE_MAX_RCPTS) {
		int s, e;
		char *a = g_match_info_fetch(mi, 0);
		const char *line;

		g_match_info_fetch_pos(mi, 0, &s, &e);
		line = ex + s;
		while (line > ex && line[-1] != '\n')
			line--;
		for (char *p = a; *p; p++)
			*p = g_ascii_tolower(*p);
		while (*a && strchr(".-'", a[strlen(a) - 1]))
			a[strlen(a) - 1] = '\0';
		if (g_regex_match_simple("^\\s*(?:message-id|in-reply-to|references|"
		    "received|from:|mail from|sender:|reply-to|return-path|\\s*id\\s)",
		    line, G_REGEX_CASELESS, 0) ||
		    (s > 0 && ex[s - 1] == '<' && e < (int)len && ex[e] == '>' &&
		    s > 1 && g_ascii_isalnum(ex[s - 2])) ||
		    addr_excluded(a, exclude)) {
			g_free(a);
		} else {
			guint i;

			for (i = 0; i < addrs->len; i++)
				if (strcmp(addrs->pdata[i], a) == 0)
					break;
			if (i == addrs->len) {
				int ls = (int)(line - ex);

				g_ptr_array_add(addrs, a);
				g_array_append_val(starts, ls);
			} else
				g_free(a);
		}
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);

	gstatus = find_status(ex);
	greply = find_reply(ex);
	if (fill_only) {
		/* DSN recipients lacking a status: take it from the text */
		for (guint i = 0; i < b->rcpts->len; i++) {
			struct pd_bounce_rcpt *r = b->rcpts->pdata[i];

			if (r->status == NULL && gstatus && rcpt_failed(r))
				r->status = g_strdup(gstatus);
			rcpt_finish(r);
		}
		goto out;
	}
	/* several recipients: another's code is not this one's; only the
	 * text before the first address speaks for all of them */
	if (addrs->len > 1) {
		char *pre = g_strndup(ex, (gsize)g_array_index(starts, int, 0));

		g_free(gstatus);
		gstatus = find_status(pre);
		greply = find_reply(pre);
		g_free(pre);
	}
	for (guint i = 0; i < addrs->len; i++) {
		struct pd_bounce_rcpt *r = g_new0(struct pd_bounce_rcpt, 1);
		int s = g_array_index(starts, int, i);
		int e = i + 1 < addrs->len ? g_array_index(starts, int, i + 1) : (int)len;

		/* two addresses on one line share the block */
		if (e <= s)
			e = i + 2 < addrs->len ? g_array_index(starts, int, i + 2) : (int)len;
		if (e <= s)
			e = (int)len;
		block = g_strndup(ex + s, (gsize)(e - s));
		r->recipient = g_strdup(addrs->pdata[i]);
		r->status = find_status(block);
		r->reply_code = find_reply(block);
		if (r->status == NULL && gstatus)
			r->status = g_strdup(gstatus);
		if (r->reply_code == 0)
			r->reply_code = greply;
		{
			char *d = one_line(block);

			if (*d)
				r->diagnostic = d;
			else
				g_free(d);
		}
		rcpt_finish(r);
		g_ptr_array_add(b->rcpts, r);
		g_free(block);
	}
	if (b->rcpts->len == 0 && (gstatus || greply)) {
		struct pd_bounce_rcpt *r = g_new0(struct pd_bounce_rcpt, 1);

		r->status = g_strdup(gstatus);
		r->reply_code = greply;
		rcpt_finish(r);
		g_ptr_array_add(b->rcpts, r);
	}
out:
	g_free(gstatus);
	g_free(ex);
	g_array_free(starts, TRUE);
	g_ptr_array_free(addrs, TRUE);
}

static void
parse_feedback(struct pd_bounce *b, struct walk *w)
{
	for (guint i = 0; i < w->feedback->len; i++) {
		char *rt = block_header(w->feedback->pdata[i], "Original-Rcpt-To");
		struct pd_bounce_rcpt *r;

		if (rt == NULL)
			continue;
		r = g_new0(struct pd_bounce_rcpt, 1);
		r->recipient = typed_addr(rt);
		g_ptr_array_add(b->rcpts, r);
		g_free(rt);
	}
	if (b->rcpts->len > 0)
		return;
	for (guint i = 0; i < w->headers->len && b->rcpts->len < BOUNCE_MAX_RCPTS; i++) {
		char *x = block_header(w->headers->pdata[i], "X-HmXmrOriginalRecipient");
		char *to = x ? x : block_header(w->headers->pdata[i], "To");
		struct pd_bounce_rcpt *r;

		if (to == NULL)
			continue;
		r = g_new0(struct pd_bounce_rcpt, 1);
		r->recipient = typed_addr(to);
		g_ptr_array_add(b->rcpts, r);
		g_free(to);
	}
}

static int
is_message_id(const char *addr, GPtrArray *ids)
{
	for (guint i = 0; ids && i < ids->len; i++)
		if (g_ascii_strcasecmp(ids->pdata[i], addr) == 0)
			return 1;
	return 0;
}

struct pd_bounce *
bounce_parse(struct pd_message *msg)
{
	struct pd_bounce *b = g_new0(struct pd_bounce, 1);
	GPtrArray *exclude = g_ptr_array_new();
	const char *text;
	struct walk w;

	b->rcpts = g_ptr_array_new_with_free_func(rcpt_free);
	b->message_ids = g_ptr_array_new_with_free_func(g_free);
	walk_init(&w, msg);
	text = explanation(&w);

	if (msg->from.addr)
		g_ptr_array_add(exclude, msg->from.addr);
	for (guint i = 0; msg->to && i < msg->to->len; i++)
		g_ptr_array_add(exclude, ((struct pd_addr *)msg->to->pdata[i])->addr);
	if (msg->return_path && *msg->return_path)
		g_ptr_array_add(exclude, msg->return_path);

	if (w.report == 2 || w.feedback->len > 0 ||
	    g_regex_match_simple("complaint about message from", msg->subject ?
	    msg->subject : "", G_REGEX_CASELESS, 0)) {
		b->feedback = 1;
		parse_feedback(b, &w);
	} else {
		for (guint i = 0; i < w.dsn->len; i++)
			parse_dsn(b, w.dsn->pdata[i]);
		/* DSN fields pasted into the text of a non-standard bounce */
		if (b->rcpts->len == 0)
			parse_dsn(b, text);
		if (b->rcpts->len > 0)
			parse_text(b, text, exclude, 1);
		else {
			parse_text(b, text, exclude, 0);
			/* Amazon SES's JSON delivery notice is a success */
			if (g_regex_match_simple("\\\\?\"notificationType\\\\?\"\\s*:\\s*"
			    "\\\\?\"Delivery\\\\?\"", text, 0, 0))
				for (guint i = 0; i < b->rcpts->len; i++) {
					struct pd_bounce_rcpt *r = b->rcpts->pdata[i];

					r->action = g_strdup("delivered");
					g_free(r->status);
					r->status = r->diagnostic ?
					    find_status_of(r->diagnostic, 1) : NULL;
					if (r->status == NULL)
						r->status = find_status_of(text, 1);
					r->permanent = 0;
				}
		}
	}

	/* the returned mail's Message-IDs; else any quoted in the text */
	for (guint i = 0; i < w.ids->len; i++)
		add_id(b->message_ids, w.ids->pdata[i]);
	if (b->message_ids->len == 0)
		scan_ids(b->message_ids, text);
	if (msg->message_id) {
		for (guint i = 0; i < b->message_ids->len; i++)
			if (strcmp(b->message_ids->pdata[i], msg->message_id) == 0) {
				g_ptr_array_remove_index(b->message_ids, i);
				break;
			}
	}
	/* Recipients are addresses, never Message-IDs (ours look like
	 * addresses: "TKT-0001.x.y@help.example.com"). */
	for (guint i = b->rcpts->len; i-- > 0;) {
		const struct pd_bounce_rcpt *r = b->rcpts->pdata[i];

		if (r->recipient && (is_message_id(r->recipient, b->message_ids) ||
		    is_message_id(r->recipient, w.ids) ||
		    is_message_id(r->recipient, msg->references) ||
		    g_strcmp0(r->recipient, msg->message_id) == 0 ||
		    g_strcmp0(r->recipient, msg->in_reply_to) == 0))
			g_ptr_array_remove_index(b->rcpts, i);
	}
	walk_clear(&w);
	g_ptr_array_free(exclude, TRUE);
	return b;
}

/* quote.c: the new text of a reply, without quoted text or signature.
 *
 * The text is cut into lines and each line is classified by looking at
 * its start and end only, so a reply with a 1 MB quoted line costs one
 * pass; patterns are only tried on short lines.  Then:
 *  1. a forward ("---------- Forwarded message ----------", "Begin
 *     forwarded message:" and translations) is kept whole;
 *  2. the first hard separator outside quotes cuts the rest away: an
 *     "-----Original Message-----" line, Zoho's "---- On ... wrote ----",
 *     an Outlook/GMX header block ("From:", "Sent:", "To:", "Subject:"
 *     in any of the languages below), "____" before From: or a list
 *     footer, the "-- " signature line, the configured signature;
 *  3. an attribution ("On ... wrote:" and its translations, wrapped
 *     over up to three lines) above a quote makes that quote, and the
 *     quotes after it (interleaved answers), certain: they go.  Above
 *     unquoted text it cuts the rest away, when it carries a time or an
 *     address and new text stands above it;
 *  4. quotes that nothing explains stay (QUOTE_UNSURE): a customer who
 *     quotes a log line with '>' keeps it;
 *  5. a list footer after the last quote, trailing "Sent from my
 *     iPhone" lines and blank lines go.
 *
 * Every language lives in the tables below; the code knows none.
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
	int		 drop;
};

/* Lines longer than this are never attributions, headers or separators. */
#define ATTR_MAX	400
/* An attribution wraps over at most this many lines. */
#define ATTR_LINES	3
/* How far below the first line of an Outlook header the rest may be. */
#define HDR_LOOKAHEAD	8
/* A header label ("Lähettäjä", "보낸 사람") is at most this long. */
#define LABEL_MAX	40
/* A mobile signature or list footer line is at most this long. */
#define SHORT_MAX	120

/*
 * Words of an attribution line, in any language: "On <date>, Bob
 * <b@x.org> wrote:".  The line must also end in ':' and hold a digit
 * or an address; see attribution_text().
 */
static const char *const attr_verbs[] = {
	/* en */ "wrote", "writes",
	/* de */ "schrieb", "geschrieben",
	/* fr */ "a écrit", "a ecrit", "écrit",
	/* es */ "escribió", "escribio",
	/* it */ "ha scritto", "scritto",
	/* pt */ "escreveu",
	/* nl */ "schreef", "geschreven",
	/* da no sv */ "skrev",
	/* fi */ "kirjoitti",
	/* pl */ "napisał", "napisala", "napisana", "pisze",
	/* cs */ "napsal", "odesílatel",
	/* ru */ "написал", "пишет",
	/* uk */ "написав", "пише",
	/* tr */ "yazdı", "tarihinde",
	/* ja */ "のメール", "書きました", "のメッセージ",
	/* zh */ "写道", "寫道", "撰写",
	/* ko */ "작성", "쓴 글",
};

/* Dashed separator lines, "-----Original Message-----": the words between
 * the dashes, case-folded. */
static const char *const original_markers[] = {
	"original message", "ursprüngliche nachricht", "originalnachricht",
	"message d'origine", "message original", "mensaje original",
	"messaggio originale", "mensagem original", "oorspronkelijk bericht",
	"origineel bericht", "oprindelig besked", "oprindelig meddelelse",
	"ursprungligt meddelande", "originalmeddelande",
	"opprinnelig melding", "alkuperäinen viesti", "wiadomość oryginalna",
	"oryginalna wiadomość", "původní zpráva", "исходное сообщение",
	"оригинальное сообщение", "оригінальне повідомлення",
	"вихідне повідомлення", "orijinal mesaj", "özgün ileti",
	"元のメッセージ", "原始邮件", "邮件原件", "原始郵件", "원본 메시지",
	"reply message",
};

/* Forwarded mail: between dashes, or a line of its own ending in ':'. */
static const char *const forward_markers[] = {
	"forwarded message", "forwarded message:", "begin forwarded message:",
	"weitergeleitete nachricht", "anfang der weitergeleiteten nachricht:",
	"message transféré", "début du message réexpédié :",
	"début du message transféré :", "mensaje reenviado",
	"inicio del mensaje reenviado:", "messaggio inoltrato",
	"inizio messaggio inoltrato:", "mensagem encaminhada",
	"início da mensagem reencaminhada:", "doorgestuurd bericht",
	"begin doorgestuurd bericht:", "videresendt meddelelse",
	"videresendt besked", "start på videresendt besked:",
	"vidarebefordrat meddelande", "vidarebefordrat brev:",
	"videresendt melding", "videresendt melding:", "välitetty viesti",
	"välitetty viesti alkaa:", "przekazana wiadomość",
	"wiadomość przekazana dalej", "początek przekazywanej wiadomości:",
	"přeposlaná zpráva", "začátek přeposílané zprávy:",
	"пересылаемое сообщение", "начало переадресованного сообщения:",
	"переслане повідомлення", "пересланий лист",
	"початок листа, що пересилається:", "i̇letilen ileti",
	"iletilen ileti", "iletilen ileti başlangıcı:",
	"転送されたメッセージ", "転送されたメッセージ:", "转发的邮件",
	"以下是转发的邮件：", "轉寄的郵件", "轉寄的郵件開始：", "전달된 메시지",
	"전달된 메시지:",
};

/* Subject prefixes of a forward, case-folded, without the colon. */
static const char *const forward_subjects[] = {
	"fwd", "fw", "wg", "tr", "rv", "enc", "i", "doorst", "vs", "vb",
	"vl", "pd", "přeposlat", "пересл", "fwd", "ilt", "i̇lt", "転送",
	"转发", "轉寄", "전달",
};

enum hkind { HK_NONE, HK_FROM, HK_DATE, HK_TO, HK_SUBJECT, HK_CC };

/* Header labels of Outlook's and GMX's block, case-folded. */
static const struct {
	const char	*label;
	enum hkind	 kind;
} header_labels[] = {
	/* en */ { "from", HK_FROM }, { "sent", HK_DATE }, { "date", HK_DATE },
	{ "to", HK_TO }, { "subject", HK_SUBJECT }, { "cc", HK_CC },
	/* de */ { "von", HK_FROM }, { "gesendet", HK_DATE },
	{ "datum", HK_DATE }, { "an", HK_TO }, { "betreff", HK_SUBJECT },
	/* fr es pt */ { "de", HK_FROM }, { "envoyé", HK_DATE },
	{ "envoyé le", HK_DATE }, { "à", HK_TO }, { "objet", HK_SUBJECT },
	{ "enviado", HK_DATE }, { "enviada", HK_DATE }, { "enviado el", HK_DATE },
	{ "fecha", HK_DATE },
	{ "para", HK_TO }, { "asunto", HK_SUBJECT }, { "assunto", HK_SUBJECT },
	/* it */ { "da", HK_FROM }, { "inviato", HK_DATE }, { "data", HK_DATE },
	{ "a", HK_TO }, { "oggetto", HK_SUBJECT },
	/* nl */ { "van", HK_FROM }, { "verzonden", HK_DATE },
	{ "verstuurd", HK_DATE }, { "aan", HK_TO }, { "onderwerp", HK_SUBJECT },
	/* da no */ { "fra", HK_FROM }, { "sendt", HK_DATE }, { "dato", HK_DATE },
	{ "til", HK_TO }, { "emne", HK_SUBJECT },
	/* sv */ { "från", HK_FROM }, { "skickat", HK_DATE }, { "till", HK_TO },
	{ "ämne", HK_SUBJECT },
	/* fi */ { "lähettäjä", HK_FROM }, { "lähetetty", HK_DATE },
	{ "päivämäärä", HK_DATE }, { "vastaanottaja", HK_TO },
	{ "aihe", HK_SUBJECT },
	/* pl cs */ { "od", HK_FROM }, { "wysłano", HK_DATE },
	{ "wysłane", HK_DATE }, { "do", HK_TO }, { "temat", HK_SUBJECT },
	{ "odesláno", HK_DATE }, { "komu", HK_TO }, { "předmět", HK_SUBJECT },
	/* ru uk */ { "от", HK_FROM }, { "отправлено", HK_DATE },
	{ "дата", HK_DATE }, { "кому", HK_TO }, { "тема", HK_SUBJECT },
	{ "копия", HK_CC }, { "від", HK_FROM }, { "надіслано", HK_DATE },
	{ "відправлено", HK_DATE }, { "копія", HK_CC },
	/* tr */ { "kimden", HK_FROM }, { "gönderildi", HK_DATE },
	{ "gönderilme", HK_DATE }, { "tarih", HK_DATE }, { "kime", HK_TO },
	{ "konu", HK_SUBJECT }, { "bilgi", HK_CC },
	/* ja */ { "差出人", HK_FROM }, { "送信者", HK_FROM },
	{ "送信日時", HK_DATE }, { "日付", HK_DATE }, { "宛先", HK_TO },
	{ "件名", HK_SUBJECT },
	/* zh */ { "发件人", HK_FROM }, { "寄件者", HK_FROM },
	{ "發件人", HK_FROM }, { "发送时间", HK_DATE }, { "日期", HK_DATE },
	{ "寄件日期", HK_DATE }, { "發送時間", HK_DATE }, { "收件人", HK_TO },
	{ "收件者", HK_TO }, { "主题", HK_SUBJECT }, { "主旨", HK_SUBJECT },
	{ "抄送", HK_CC }, { "副本", HK_CC },
	/* ko */ { "보낸 사람", HK_FROM }, { "보낸사람", HK_FROM },
	{ "보낸 날짜", HK_DATE }, { "날짜", HK_DATE }, { "받는 사람", HK_TO },
	{ "받는사람", HK_TO }, { "제목", HK_SUBJECT }, { "참조", HK_CC },
};

enum match { M_PREFIX, M_SUFFIX };

/* "Sent from my iPhone" and alike: whole short lines at the end. */
static const struct {
	const char	*s;
	enum match	 how;
} mobile_sigs[] = {
	/* en */ { "Sent from Outlook", M_PREFIX },
	{ "Sent from Mail for Windows", M_PREFIX },
	{ "Sent from Yahoo Mail", M_PREFIX }, { "Sent from Samsung", M_PREFIX },
	{ "Sent from Gmail", M_PREFIX }, { "Sent from Zoho", M_PREFIX },
	{ "Sent from the Mail.ru", M_PREFIX }, { "Sent via ", M_PREFIX },
	{ "Get Outlook for ", M_PREFIX }, { "Sent with ", M_PREFIX },
	/* de */ { "Von meinem ", M_PREFIX }, { "Gesendet von ", M_PREFIX },
	{ "Gesendet mit ", M_PREFIX }, { "Outlook für ", M_PREFIX },
	/* fr */ { "Envoyé de mon ", M_PREFIX }, { "Envoyé depuis ", M_PREFIX },
	{ "Envoyé à partir de ", M_PREFIX }, { "Obtenir Outlook pour ", M_PREFIX },
	/* es */ { "Enviado desde mi ", M_PREFIX },
	{ "Enviado desde ", M_PREFIX }, { "Obtener Outlook para ", M_PREFIX },
	/* it */ { "Inviato da ", M_PREFIX }, { "Inviato dal mio ", M_PREFIX },
	{ "Scarica Outlook per ", M_PREFIX },
	/* pt */ { "Enviado do meu ", M_PREFIX }, { "Enviado do ", M_PREFIX },
	{ "Obter o Outlook para ", M_PREFIX },
	/* nl */ { "Verzonden vanaf mijn ", M_PREFIX },
	{ "Verstuurd vanaf mijn ", M_PREFIX }, { "Verzonden met ", M_PREFIX },
	{ "Outlook voor ", M_PREFIX },
	/* da no */ { "Sendt fra min ", M_PREFIX }, { "Sendt fra ", M_PREFIX },
	{ "Hent Outlook til ", M_PREFIX }, { "Få Outlook for ", M_PREFIX },
	/* sv */ { "Skickat från min ", M_PREFIX }, { "Skickat från ", M_PREFIX },
	{ "Hämta Outlook för ", M_PREFIX },
	/* fi */ { "Lähetetty ", M_PREFIX }, { "Hanki Outlook ", M_PREFIX },
	/* pl */ { "Wysłane z ", M_PREFIX }, { "Wysłano z ", M_PREFIX },
	{ "Pobierz aplikację Outlook", M_PREFIX },
	/* cs */ { "Odesláno z ", M_PREFIX }, { "Odesláno ze ", M_PREFIX },
	/* cs */ { "Stáhněte si Outlook", M_PREFIX },
	/* ru */ { "Отправлено с ", M_PREFIX }, { "Отправлено из ", M_PREFIX },
	{ "Получить Outlook", M_PREFIX },
	/* uk */ { "Надіслано з ", M_PREFIX }, { "Відправлено з ", M_PREFIX },
	{ "Отримати Outlook", M_PREFIX },
	/* tr */ { "gönderildi", M_SUFFIX }, { "gönderilmiştir", M_SUFFIX },
	{ "Outlook'u edinin", M_SUFFIX },
	/* ja */ { "から送信", M_SUFFIX }, { "を入手", M_SUFFIX },
	/* zh */ { "发自我的", M_PREFIX }, { "發自我的", M_PREFIX },
	{ "从我的", M_PREFIX }, { "從我的", M_PREFIX }, { "获取 Outlook", M_PREFIX },
	/* ko */ { "에서 보냄", M_SUFFIX }, { "에서 보냈습니다", M_SUFFIX },
	{ "Outlook 받기", M_SUFFIX },
};

/* Closing sign-offs, case-folded (g_utf8_casefold), without the
 * trailing ',' or '!'.
 * Only formal closings: "Thanks" may be the message itself. */
static const char *const sign_offs[] = {
	/* en */ "best regards", "kind regards", "regards", "best wishes",
	"warm regards", "warmest regards", "sincerely", "yours sincerely",
	"yours faithfully", "yours truly", "all the best", "cheers",
	/* de (case folding makes ß "ss") */ "mit freundlichen grüssen",
	"freundliche grüsse", "viele grüsse", "beste grüsse", "liebe grüsse",
	"mfg", "lg",
	/* fr */ "cordialement", "bien cordialement", "bien à vous",
	"salutations", "meilleures salutations", "sincères salutations",
	/* es */ "saludos", "un saludo", "atentamente", "saludos cordiales",
	"un cordial saludo",
	/* it */ "cordiali saluti", "distinti saluti", "saluti",
	"un saluto", "buona giornata",
	/* pt */ "atenciosamente", "cumprimentos", "melhores cumprimentos",
	"com os melhores cumprimentos", "abraços",
	/* nl */ "met vriendelijke groet", "met vriendelijke groeten",
	"vriendelijke groet", "groeten", "groet",
	/* da no sv */ "med venlig hilsen", "venlig hilsen", "mvh",
	"med vennlig hilsen", "vennlig hilsen", "med vänliga hälsningar",
	"vänliga hälsningar", "hälsningar",
	/* fi */ "ystävällisin terveisin", "terveisin", "parhain terveisin",
	/* pl */ "pozdrawiam", "z poważaniem", "pozdrawiam serdecznie",
	/* cs */ "s pozdravem", "s přátelským pozdravem", "děkuji a zdravím",
	/* ru */ "с уважением", "всего доброго", "всего наилучшего",
	/* uk */ "з повагою", "з найкращими побажаннями",
	/* tr */ "saygılarımla", "saygılar", "iyi çalışmalar",
	/* ja */ "よろしくお願いします", "よろしくお願いいたします", "敬具",
	/* zh */ "此致", "此致敬礼", "祝好", "顺祝商祺",
	/* ko */ "안녕히 계세요", "수고하세요",
};
/* Lines under a sign-off: a name, a title, a phone number. */
#define SIGNOFF_LINES	4
#define SIGNOFF_LINE_MAX	60

/* Lines of a mailing-list footer after the quote. */
static const char *const footer_words[] = {
	"mailing list", "listinfo", "unsubscribe", "you received this",
	"reply to this email directly", "view it on github", "http://",
	"https://", "google groups", "to post to this group",
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim white space (and no-break spaces) at both ends; not copied. */
static void
trim(const char **s, size_t *len)
{
	for (;;) {
		if (*len > 0 && is_space(**s)) {
			(*s)++;
			(*len)--;
		} else if (*len >= 2 && (unsigned char)(*s)[0] == 0xc2 &&
		    (unsigned char)(*s)[1] == 0xa0) {
			*s += 2;
			*len -= 2;
		} else
			break;
	}
	for (;;) {
		if (*len > 0 && is_space((*s)[*len - 1]))
			(*len)--;
		else if (*len >= 2 && (unsigned char)(*s)[*len - 2] == 0xc2 &&
		    (unsigned char)(*s)[*len - 1] == 0xa0)
			*len -= 2;
		else
			break;
	}
}

static int
prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && g_ascii_strncasecmp(s, prefix, n) == 0;
}

static int
suffix_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && g_ascii_strncasecmp(s + len - n, suffix, n) == 0;
}

/* ASCII letters case-insensitively, other bytes as they are. */
static int
contains_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(s + i, word, n) == 0)
			return 1;
	return 0;
}

/* s (short) case-folded equals one of the table's entries. */
#define FOLD_ASCII_MAX	128	/* bytes: longer than every entry of the tables */

/* A table as a set, made on first use: every line of every mail is
 * looked up in some of them. */
struct fold_set {
	gint		 once;	/* set made */
	GHashTable	*set;
	size_t		 max;	/* the longest entry, bytes */
};

static const struct fold_set *
fold_set(const char *const *table, size_t n)
{
	static struct fold_set sets[8];
	static const char *const *tables[8];
	static GMutex lock;
	struct fold_set *fs = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(sets); i++)
		if (g_atomic_pointer_get(&tables[i]) == table && g_atomic_int_get(&sets[i].once))
			return &sets[i];
	g_mutex_lock(&lock);
	for (size_t i = 0; i < G_N_ELEMENTS(sets) && fs == NULL; i++) {
		if (tables[i] == NULL)
			tables[i] = table;
		if (tables[i] == table)
			fs = &sets[i];
	}
	g_assert(fs != NULL);
	if (fs->set == NULL) {
		fs->set = g_hash_table_new(g_str_hash, g_str_equal);
		for (size_t i = 0; i < n; i++) {
			g_hash_table_add(fs->set, (gpointer)table[i]);
			fs->max = MAX(fs->max, strlen(table[i]));
		}
		g_atomic_int_set(&fs->once, 1);
	}
	g_mutex_unlock(&lock);
	return fs;
}

static int
folded_in(const char *s, size_t len, const char *const *table, size_t n)
{
	const struct fold_set *fs = fold_set(table, n);
	char buf[FOLD_ASCII_MAX + 1];
	char *f;
	size_t i, chars = 0;
	int found, ascii = 1;

	/* Called for every line: a line of more characters than a table's
	 * longest entry has bytes is no entry (a character folds to one byte
	 * at least); an ASCII line is folded in place (its case folding is
	 * its lower case), without an allocation; the rest goes to
	 * g_utf8_casefold. */
	if (len > 4 * fs->max)
		return 0;
	for (i = 0; i < len; i++) {
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
		ascii &= !(s[i] & 0x80);
	}
	if (chars > fs->max)
		return 0;
	if (ascii) {
		if (len > FOLD_ASCII_MAX)
			return 0;
		for (i = 0; i < len; i++)
			buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 'a' - 'A') : s[i];
		buf[len] = '\0';
		return g_hash_table_contains(fs->set, buf);
	}
	f = g_utf8_casefold(s, (gssize)len);
	found = g_hash_table_contains(fs->set, f);
	g_free(f);
	return found;
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

static int
has_digit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (g_ascii_isdigit(s[i]))
			return 1;
	return 0;
}

/* More '<' than '>': an address wrapped inside "<...>". */
static int
open_angle(const char *s, size_t len)
{
	size_t i;
	int d = 0;

	for (i = 0; i < len; i++)
		d += s[i] == '<' ? 1 : s[i] == '>' ? -1 : 0;
	return d > 0;
}

/* A time ("10:00", "10.00", "10時", "오전") or an address. */
static int
has_time_or_address(const char *s, size_t len)
{
	static const char *const cjk[] = { "時", "点", "點", "시", "오전",
		"오후", "上午", "下午", "午前", "午後" };
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '@')
			return 1;
		if (g_ascii_isdigit(s[i]) && i + 3 < len &&
		    (s[i + 1] == ':' || s[i + 1] == '.') &&
		    g_ascii_isdigit(s[i + 2]) && g_ascii_isdigit(s[i + 3]))
			return 1;
	}
	for (i = 0; i < G_N_ELEMENTS(cjk); i++)
		if (contains_ci(s, len, cjk[i]))
			return 1;
	return 0;
}

/* Ends in ':' or the full-width '：'; the colon is taken off. */
static int
ends_colon(const char **s, size_t *len)
{
	trim(s, len);
	if (*len > 0 && (*s)[*len - 1] == ':') {
		(*len)--;
		return 1;
	}
	if (*len >= 3 && memcmp(*s + *len - 3, "\xef\xbc\x9a", 3) == 0) {
		*len -= 3;
		return 1;
	}
	return 0;
}

/* Before the colon an address: "... Bob <b@x.org>:", "(b@x.org):". */
static int
ends_address(const char *s, size_t len)
{
	trim(&s, &len);
	if (len == 0)
		return 0;
	if (s[len - 1] == '>' || s[len - 1] == ')' || s[len - 1] == ']')
		return 1;
	return len >= 3 && memcmp(s + len - 3, "\xe2\x80\xba", 3) == 0; /* › */
}

/*
 * Is s an attribution?  need_colon: it must end in ':' (Zoho's dashed
 * form does not).  *strong_r: it holds a time or an address, enough to
 * believe it even when the original below is not '>'-quoted.
 */
static int
attribution_text(const char *s, size_t len, int need_colon, int *strong_r)
{
	size_t i;
	int verb = 0;

	*strong_r = 0;
	if (len > ATTR_MAX * ATTR_LINES)
		return 0;
	if (!ends_colon(&s, &len) && need_colon)
		return 0;
	if (!has_digit_or_at(s, len))
		return 0;
	for (i = 0; i < G_N_ELEMENTS(attr_verbs) && !verb; i++)
		verb = contains_ci(s, len, attr_verbs[i]);
	*strong_r = has_time_or_address(s, len);
	/* Gmail in Russian or Japanese: "<date> <time>, Bob <b@x.org>:" */
	if (!verb && !(*strong_r && ends_address(s, len)))
		return 0;
	return 1;
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
	GArray *lines = g_array_new(FALSE, TRUE, sizeof(struct line));
	const char *p = text, *nl;
	struct line l;

	memset(&l, 0, sizeof(l));
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

/* The line without its "> > " marks. */
static void
unquote(const struct line *l, const char **s, size_t *len)
{
	*s = l->s;
	*len = l->len;
	while (*len > 0 && (**s == '>' || is_space(**s))) {
		(*s)++;
		(*len)--;
	}
}

/* The kind of header a line starts with: "From:", "*Von:*", "De :". */
static enum hkind
header_kind(const char *s, size_t len)
{
	const char *colon = NULL, *lab;
	size_t i, n, clen = 1;
	enum hkind kind = HK_NONE;
	char *f;

	if (len > ATTR_MAX * ATTR_LINES)
		return HK_NONE;
	trim(&s, &len);
	for (i = 0; i < len && i <= LABEL_MAX; i++) {
		if (s[i] == ':') {
			colon = s + i;
			break;
		}
		if (i + 3 <= len && memcmp(s + i, "\xef\xbc\x9a", 3) == 0) {
			colon = s + i;
			clen = 3;
			break;
		}
	}
	if (colon == NULL)
		return HK_NONE;
	lab = s;
	n = (size_t)(colon - s);
	while (n > 0 && *lab == '*') {
		lab++;
		n--;
	}
	trim(&lab, &n);
	while (n > 0 && lab[n - 1] == '*')
		n--;
	trim(&lab, &n);
	if (n == 0)
		return HK_NONE;
	(void)clen;
	f = g_utf8_casefold(lab, (gssize)n);
	for (i = 0; i < G_N_ELEMENTS(header_labels); i++)
		if (strcmp(f, header_labels[i].label) == 0) {
			kind = header_labels[i].kind;
			break;
		}
	g_free(f);
	return kind;
}

/*
 * Outlook's header flattened onto one line: "From: A Sent: Monday To: B
 * Subject: Hi".  The kinds of the labels after the first, each preceded
 * by a space, go into seen[].
 */
static void
inline_headers(const char *s, size_t len, int *seen)
{
	size_t i, k;

	if (len > ATTR_MAX * ATTR_LINES)
		return;
	for (i = 1; i < len; i++) {
		if (s[i - 1] != ' ')
			continue;
		for (k = 0; k < G_N_ELEMENTS(header_labels); k++) {
			const char *lab = header_labels[k].label;
			size_t n = strlen(lab);

			/* ASCII labels only: the others never share a line */
			if ((unsigned char)lab[0] >= 0x80 || i + n >= len ||
			    g_ascii_strncasecmp(s + i, lab, n) != 0 ||
			    s[i + n] != ':')
				continue;
			seen[header_labels[k].kind] = 1;
		}
	}
}

static enum hkind
line_header(const struct line *l, int quoted)
{
	const char *s;
	size_t len;

	if (l->type == L_QUOTE) {
		if (!quoted)
			return HK_NONE;
		unquote(l, &s, &len);
	} else if (l->type == L_TEXT) {
		s = l->s;
		len = l->len;
	} else
		return HK_NONE;
	return header_kind(s, len);
}

/*
 * An Outlook or GMX header block starting at line i: a header line
 * (From:, GMX's leading Sent:, Hotmail's Subject:...), and within a few
 * lines From: and two of Sent:, To:, Subject:.  quoted: look inside '>'
 * lines.
 */
static int
header_block(GArray *lines, guint i, guint n, int quoted)
{
	enum hkind k = line_header(LINE(i), quoted);
	int seen[HK_CC + 1] = { 0 };
	guint j;

	if (k == HK_NONE)
		return 0;
	seen[k] = 1;
	if (k == HK_FROM) {
		const char *s = LINE(i)->s;
		size_t len = LINE(i)->len;

		if (quoted)
			unquote(LINE(i), &s, &len);
		inline_headers(s, len, seen);
	}
	for (j = i + 1; j < n && j <= i + HDR_LOOKAHEAD; j++) {
		if (quoted && LINE(j)->type != L_QUOTE)
			break;
		seen[line_header(LINE(j), quoted)] = 1;
	}
	return seen[HK_FROM] && seen[HK_DATE] + seen[HK_TO] +
	    seen[HK_SUBJECT] >= 2;
}

/* The words of a dashed line, "-------- Oprindelig besked --------". */
static int dashed_words_s(const char **, size_t *);

static int
dashed_words(const struct line *l, const char **s, size_t *len)
{
	*s = l->s;
	*len = l->len;
	return dashed_words_s(s, len);
}

static int
dashed_words_s(const char **s, size_t *len)
{
	if (*len > ATTR_MAX)
		return 0;
	trim(s, len);
	if (*len < 3 || strchr("-_=*", (*s)[0]) == NULL ||
	    strchr("-_=*", (*s)[1]) == NULL)
		return 0;
	while (*len > 0 && strchr("-_=* ", **s) != NULL) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && strchr("-_=* ", (*s)[*len - 1]) != NULL)
		(*len)--;
	return *len > 0;
}

static int
original_line(const struct line *l)
{
	const char *s;
	size_t len;

	return l->type == L_TEXT && dashed_words(l, &s, &len) &&
	    folded_in(s, len, original_markers, G_N_ELEMENTS(original_markers));
}

/* Zoho's "---- On Mon, 05 Jan 2026 10:00 Bob <b@x.org> wrote ----" and
 * Yahoo's old "--- On Mon, 1/5/26, Bob <b@x.org> wrote:". */
static int
dashed_attribution(const struct line *l)
{
	const char *s;
	size_t len;
	int strong;

	return l->type == L_TEXT && dashed_words(l, &s, &len) &&
	    attribution_text(s, len, 0, &strong) && strong;
}

static int
forward_line(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (l->type != L_TEXT || len > ATTR_MAX)
		return 0;
	if (!dashed_words(l, &s, &len)) {
		s = l->s;
		len = l->len;
		trim(&s, &len);
	}
	return folded_in(s, len, forward_markers, G_N_ELEMENTS(forward_markers));
}

static int
underscores(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len, i;

	trim(&s, &len);
	if (len < 10 || len > ATTR_MAX)
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

static guint
next_nonblank(GArray *lines, guint i, guint n)
{
	while (i < n && LINE(i)->type == L_BLANK)
		i++;
	return i;
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

static int
footer_line(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len, i;

	if (l->type != L_TEXT)
		return l->type == L_BLANK || l->type == L_SEP;
	if (len > SHORT_MAX)
		return 0;
	trim(&s, &len);
	for (i = 0; i < G_N_ELEMENTS(footer_words); i++)
		if (contains_ci(s, len, footer_words[i]))
			return 1;
	/* the list's address on a line of its own */
	return memchr(s, '@', len) != NULL && memchr(s, ' ', len) == NULL;
}

/*
 * Where the message proper ends: the first hard separator.  *what gets
 * QUOTE_CUT or QUOTE_SIG.
 */
static guint
find_cut(GArray *lines, int strip_sig, GPtrArray *sig, unsigned *what)
{
	guint i, j, n = lines->len;

	for (i = 0; i < n; i++) {
		const struct line *l = LINE(i);

		if (l->type == L_QUOTE || l->type == L_BLANK)
			continue;
		*what = QUOTE_CUT;
		if (original_line(l) || dashed_attribution(l) ||
		    header_block(lines, i, n, 0))
			return i;
		if (underscores(l)) {
			j = next_nonblank(lines, i + 1, n);
			if (j < n && (line_header(LINE(j), 0) == HK_FROM ||
			    (LINE(j)->len < 200 && contains_ci(LINE(j)->s,
			    LINE(j)->len, " mailing list"))))
				return i;
		}
		*what = QUOTE_SIG;
		if (strip_sig &&
		    (sig_dashes(l) || signature_at(lines, i, n, sig)))
			return i;
	}
	*what = 0;
	return n;
}

/*
 * An attribution ending at line e: up to ATTR_LINES lines, joined.  The
 * window grows upwards while its first line has no digit (the date is
 * on the line above: "On Dec 16, 2011, Bob\n<b@x.org>\nwrote:").
 * Returns the first line of it, or G_MAXUINT.
 */
static guint
attribution_at(GArray *lines, guint e, int *strong_r)
{
	GString *buf;
	guint b = e;
	const char *s = LINE(e)->s;
	size_t len = LINE(e)->len;
	int ok;

	*strong_r = 0;
	if (LINE(e)->type != L_TEXT || len > ATTR_MAX || !ends_colon(&s, &len))
		return G_MAXUINT;
	while (b > 0 && e - b + 1 < ATTR_LINES &&
	    LINE(b - 1)->type == L_TEXT && LINE(b - 1)->len <= ATTR_MAX &&
	    (!has_digit(LINE(b)->s, LINE(b)->len) ||
	    open_angle(LINE(b - 1)->s, LINE(b - 1)->len)))
		b--;
	buf = g_string_new(NULL);
	for (guint k = b; k <= e; k++) {
		if (k > b)
			g_string_append_c(buf, ' ');
		g_string_append_len(buf, LINE(k)->s, (gssize)LINE(k)->len);
	}
	ok = attribution_text(buf->str, buf->len, 1, strong_r);
	g_string_free(buf, TRUE);
	return ok ? b : G_MAXUINT;
}

/* A quote that starts by saying what it quotes: "> On ... wrote:" or a
 * quoted Outlook header block.  i is its first line. */
static int
quote_explained(GArray *lines, guint i, guint n)
{
	guint j;

	for (j = i; j < n && j < i + ATTR_LINES && LINE(j)->type == L_QUOTE;
	    j++) {
		const char *s;
		size_t len;
		int strong;

		unquote(LINE(j), &s, &len);
		if (len == 0)
			continue;
		if (len <= ATTR_MAX && attribution_text(s, len, 1, &strong))
			return 1;
		/* "> ---- On ... wrote ----", "> -----Original Message-----" */
		if (dashed_words_s(&s, &len) &&
		    (folded_in(s, len, original_markers,
		    G_N_ELEMENTS(original_markers)) ||
		    (attribution_text(s, len, 0, &strong) && strong)))
			return 1;
		return header_block(lines, j, n, 1);
	}
	return 0;
}

/* "Sent from my iPhone", "Von meinem iPhone gesendet" and alike. */
static int
mobile_signature(const struct line *l)
{
	const char *s = l->s, *rest;
	size_t len = l->len, i;
	int words = 0;

	if (l->type != L_TEXT || len > SHORT_MAX)
		return 0;
	trim(&s, &len);
	for (i = 0; i < G_N_ELEMENTS(mobile_sigs); i++) {
		if (mobile_sigs[i].how == M_PREFIX &&
		    prefix_ci(s, len, mobile_sigs[i].s))
			break;
		if (mobile_sigs[i].how == M_SUFFIX &&
		    suffix_ci(s, len, mobile_sigs[i].s))
			break;
	}
	if (i < G_N_ELEMENTS(mobile_sigs))
		/* "Sent via the web form, as you asked." is a sentence */
		return len > 0 && s[len - 1] != '.' && memchr(s, ',', len) == NULL;
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
sign_off_line(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (l->type != L_TEXT || len > SIGNOFF_LINE_MAX)
		return 0;
	trim(&s, &len);
	while (len > 0 && strchr(",!.", s[len - 1]) != NULL)
		len--;
	/* the full-width comma and the ideographic full stop */
	if (len >= 3 && (memcmp(s + len - 3, "\xef\xbc\x8c", 3) == 0 ||
	    memcmp(s + len - 3, "\xe3\x80\x82", 3) == 0))
		len -= 3;
	trim(&s, &len);
	return len > 0 && folded_in(s, len, sign_offs, G_N_ELEMENTS(sign_offs));
}

/* A line that may stand under a sign-off: short, no sentence. */
static int
name_line(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (l->type != L_TEXT || len > SIGNOFF_LINE_MAX)
		return 0;
	trim(&s, &len);
	return len > 0 && strchr(".?!:", s[len - 1]) == NULL;
}

/*
 * A sign-off block ending at line end (exclusive): the sign-off, then at
 * most SIGNOFF_LINES name lines, with new text above it.  Returns its
 * first line, or end when there is none.
 */
static guint
sign_off_block(GArray *lines, guint end)
{
	guint i, k = 0, j;

	for (i = end; i > 0 && k <= SIGNOFF_LINES; i--) {
		const struct line *l = LINE(i - 1);

		if (l->drop)
			return end;
		if (l->type == L_BLANK)
			continue;
		if (sign_off_line(l)) {
			for (j = 0; j + 1 < i; j++)
				if (!LINE(j)->drop && LINE(j)->type == L_TEXT)
					return i - 1;
			return end;
		}
		if (!name_line(l))
			return end;
		k++;
	}
	return end;
}

static int
is_neutral(const struct line *l)
{
	return l->type == L_BLANK || l->type == L_SEP;
}

/* The kept lines of [from, to); where some went, one blank line. */
static char *
join_kept(GArray *lines, guint from, guint to)
{
	GString *out = g_string_new(NULL);
	guint i, blanks = 0;
	int gap = 0;

	for (i = from; i < to; i++) {
		const struct line *l = LINE(i);

		if (l->drop) {
			gap = 1;
			continue;
		}
		if (l->type == L_BLANK) {
			blanks++;
			continue;
		}
		if (out->len > 0) {
			if (gap)
				blanks = 1;
			g_string_append_c(out, '\n');
			for (; blanks > 0; blanks--)
				g_string_append_c(out, '\n');
		}
		blanks = 0;
		gap = 0;
		g_string_append_len(out, l->s, (gssize)l->len);
	}
	return g_strstrip(g_string_free(out, FALSE));
}

static char *
trimmed_copy(const char *text)
{
	return g_strstrip(g_strdup(text));
}

char *
quote_visible(const char *text, const char *signature, unsigned opts,
    unsigned *flags_r)
{
	GArray *lines;
	GPtrArray *sig;
	guint n, i, j, last, end;
	unsigned flags = 0, what = 0;
	int strip_sig = !(opts & QUOTE_KEEP_SIG), certain = 0, strong;
	char *out;

	if (text == NULL)
		text = "";
	if (opts & QUOTE_IS_FORWARD) {
		out = trimmed_copy(text);
		flags = QUOTE_FORWARD | (*out ? 0 : QUOTE_EMPTY);
		goto ret;
	}
	lines = split_lines(text);
	sig = signature_lines(strip_sig ? signature : NULL);
	n = find_cut(lines, strip_sig, sig, &what);
	g_ptr_array_unref(sig);

	/* a forward above the cut: the customer wants it read */
	for (i = 0; i < n; i++)
		if (forward_line(LINE(i))) {
			g_array_unref(lines);
			out = trimmed_copy(text);
			flags = QUOTE_FORWARD | (*out ? 0 : QUOTE_EMPTY);
			goto ret;
		}
	flags |= what;

	/* a text line wedged between two quote lines is a wrapped quote */
	for (i = 1; i + 1 < n; i++)
		if (LINE(i)->type == L_TEXT && LINE(i - 1)->type == L_QUOTE &&
		    LINE(i + 1)->type == L_QUOTE)
			LINE(i)->type = L_QUOTE;

	/* attributions; the quotes they introduce and all after them go */
	for (i = 0; i < n; i++) {
		struct line *l = LINE(i);
		guint b;

		if (l->type == L_QUOTE) {
			if (!certain && (i == 0 || LINE(i - 1)->type != L_QUOTE) &&
			    quote_explained(lines, i, n))
				certain = 1;
			l->drop = certain;
			continue;
		}
		if ((b = attribution_at(lines, i, &strong)) == G_MAXUINT)
			continue;
		j = next_nonblank(lines, i + 1, n);
		if (j < n && LINE(j)->type == L_QUOTE) {
			for (guint k = b; k <= i; k++) {
				LINE(k)->type = L_ATTR;
				LINE(k)->drop = 1;
			}
			certain = 1;
			continue;
		}
		/* the original follows unquoted: cut, when new text is above */
		if (!strong)
			continue;
		for (j = 0; j < b && LINE(j)->type != L_TEXT; j++)
			;
		if (j < b) {
			n = b;
			flags |= QUOTE_CUT;
			break;
		}
	}

	/* blank lines inside a quote that goes go with it */
	for (i = 1; i < n; i++)
		if (LINE(i)->type == L_BLANK && LINE(i - 1)->drop) {
			j = next_nonblank(lines, i, n);
			if (j < n && LINE(j)->drop)
				for (; i < j; i++)
					LINE(i)->drop = 1;
		}

	/* the last new line; what follows the last quote may be a footer */
	last = n;
	for (i = 0; i < n; i++)
		if (!LINE(i)->drop && LINE(i)->type != L_BLANK &&
		    LINE(i)->type != L_SEP)
			last = i;
	for (i = n; i > 0 && !LINE(i - 1)->drop; i--)
		;
	if (i > 0 && last != n && last >= i) {
		for (j = i; j < n && footer_line(LINE(j)); j++)
			;
		if (j == n) {
			for (j = i; j < n; j++)
				LINE(j)->drop = 1;
			flags |= QUOTE_CUT;
		}
	}

	/* signatures at the end */
	end = n;
	for (;;) {
		while (end > 0 && (LINE(end - 1)->drop || is_neutral(LINE(end - 1))))
			end--;
		if (strip_sig && end > 0 && mobile_signature(LINE(end - 1))) {
			LINE(end - 1)->drop = 1;
			flags |= QUOTE_SIG;
		} else if (strip_sig && (opts & QUOTE_SIGNOFF) &&
		    (i = sign_off_block(lines, end)) < end) {
			for (j = i; j < end; j++)
				LINE(j)->drop = 1;
			flags |= QUOTE_SIG;
		} else
			break;
	}
	for (i = 0; i < n; i++) {
		if (LINE(i)->drop && LINE(i)->type != L_TEXT)
			flags |= QUOTE_CUT;
		else if (!LINE(i)->drop && i < end && LINE(i)->type == L_QUOTE)
			flags |= QUOTE_UNSURE;
	}
	out = join_kept(lines, 0, end);
	g_array_unref(lines);
	if (*out == '\0')
		flags |= QUOTE_EMPTY;
ret:
	if (flags_r != NULL)
		*flags_r = flags;
	return out;
}

static char *
strip_or_whole(const char *text, const char *signature, unsigned opts)
{
	unsigned flags;
	char *out = quote_visible(text, signature, opts, &flags);

	if (flags & QUOTE_EMPTY) {
		g_free(out);
		out = trimmed_copy(text ? text : "");
	}
	return out;
}

char *
quote_strip(const char *text, const char *signature)
{
	return strip_or_whole(text, signature, 0);
}

char *
quote_strip_quotes(const char *text)
{
	return strip_or_whole(text, NULL, QUOTE_KEEP_SIG);
}

int
quote_subject_forward(const char *subject)
{
	const char *s = subject, *colon;
	size_t len;

	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '[')
		s++;
	colon = strchr(s, ':');
	if (colon == NULL) {
		colon = strstr(s, "\xef\xbc\x9a");
		if (colon == NULL)
			return 0;
	}
	len = (size_t)(colon - s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len == 0 || len > 20)
		return 0;
	return folded_in(s, len, forward_subjects, G_N_ELEMENTS(forward_subjects));
}

char *
quote_mail_visible(const char *text, const char *subject)
{
	unsigned flags;
	char *v = quote_visible(text, NULL, QUOTE_SIGNOFF |
	    (quote_subject_forward(subject) ? QUOTE_IS_FORWARD : 0), &flags);

	if (flags & QUOTE_EMPTY) {
		g_free(v);
		return NULL;
	}
	return v;
}

char *
quote_with_full(const char *visible, const char *full)
{
	char *f = trimmed_copy(full ? full : "");
	char *out;

	if (visible == NULL || strcmp(visible, f) == 0)
		return f;
	out = g_strdup_printf("%s\n\n\n%s\n\n%s", visible, QUOTE_FULL_MARKER, f);
	g_free(f);
	return out;
}

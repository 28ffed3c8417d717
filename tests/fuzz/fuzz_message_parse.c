/* fuzz_message_parse: raw bytes into struct pd_message (MIME, charsets,
 * RFC 2047/2231, TNEF, HTML-only bodies) with the configured limits. */
#include "fuzz.h"

static struct pd_parse_limits lim;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_parse_limits(&lim);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "From", "To", "Subject", "Date",
	    "Message-ID", "Content-Type", "Received", "X-Nonexistent" };
	struct pd_message *msg = NULL;
	char *err = NULL;

	if (message_parse((const char *)data, size, &lim, &msg, &err) < 0) {
		if (err == NULL || msg != NULL)
			abort();	/* a refusal says why and gives nothing */
		g_free(err);
		return 0;
	}
	/* every string is UTF-8 (message.h) */
	if (!g_utf8_validate(msg->subject, -1, NULL) || !g_utf8_validate(msg->text, -1, NULL) ||
	    (msg->html && !g_utf8_validate(msg->html, -1, NULL)))
		abort();
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *v = message_header(msg, names[i]);
		if (v && !g_utf8_validate(v, -1, NULL))
			abort();
		(void)message_header_count(msg, names[i]);
	}
	for (guint i = 0; i < msg->attachments->len; i++) {
		struct pd_attachment *a = msg->attachments->pdata[i];
		if (a->filename == NULL || !g_utf8_validate(a->filename, -1, NULL))
			abort();
	}
	message_free(msg);
	return 0;
}

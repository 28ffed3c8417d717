/* fuzz_auth_results: Authentication-Results headers (RFC 8601) on mail
 * from a staff address, as the staff check reads them.  The input is
 * the header's value; a line of its own that starts without white
 * space begins the next Authentication-Results header. */
#include "fuzz.h"
#include "src/classify.h"
#include "src/intake.h"

static struct pd_config *cfg;
static struct pd_parse_limits lim;
static struct pd_secret secret;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir, *path, *err = NULL;

	(void)argc;
	(void)argv;
	fuzz_common_init();
	dir = fuzz_tmpdir();
	cfg = fuzz_config(dir);
	intake_parse_limits(cfg, &lim);
	path = g_build_filename(dir, "secret", NULL);
	if (token_create_secret(path, &err) < 0 || token_load_secret(path, &secret, &err) < 0)
		fuzz_bail("secret", err);
	g_free(path);
	fuzz_rmtree(dir);
	g_free(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GString *raw = g_string_new("From: Alice Smith <alice@example.com>\n"
	    "To: support@example.com\nSubject: Re: [TKT-0001] x\n");
	struct pd_message *msg = NULL;
	struct pd_staff *staff = config_staff_by_email(cfg, "alice@example.com");
	char *err = NULL;
	size_t i = 0;

	/* each line its own header unless folded; no empty line, so the
	 * input never becomes the body */
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;

		if (n > 0 && data[i] != ' ' && data[i] != '\t')
			g_string_append(raw, "Authentication-Results: ");
		else if (n > 0)
			g_string_append_c(raw, ' ');
		g_string_append_len(raw, (const char *)data + i, (gssize)n);
		if (n > 0)
			g_string_append_c(raw, '\n');
		i += n + 1;
	}
	if (size == 0)
		g_string_append(raw, "Authentication-Results:\n");
	g_string_append(raw, "\n#resolve\n");
	if (message_parse(raw->str, raw->len, &lim, &msg, &err) == 0) {
		enum pd_staff_auth a = classify_staff_auth(cfg, &secret, msg, staff);
		if (a != AUTH_NONE && a != AUTH_DKIM && a != AUTH_SPF)
			abort();	/* no token, no trust_from here */
		message_free(msg);
	} else
		g_free(err);
	g_string_free(raw, TRUE);
	return 0;
}

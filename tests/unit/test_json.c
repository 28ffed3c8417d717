/* test_json.c: the JSON writer's escaping and key/value helpers. */
#include "test.h"
#include "json.h"

static const struct {
	const char	*in;
	const char	*want;
} strings[] = {
	{ NULL, "null" },
	{ "", "\"\"" },
	{ "plain text", "\"plain text\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "a/b", "\"a/b\"" },
	{ "l1\nl2\r\n", "\"l1\\nl2\\r\\n\"" },
	{ "tab\there", "\"tab\\there\"" },
	{ "\b\f", "\"\\b\\f\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ "esc\x1b[0m", "\"esc\\u001b[0m\"" },
	{ "\x7f", "\"\x7f\"" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "line\xe2\x80\xa8sep\xe2\x80\xa9", "\"line\xe2\x80\xa8sep\xe2\x80\xa9\"" },
	/* Latin-1 byte, not UTF-8 */
	{ "caf\xe9!", "\"caf\xef\xbf\xbd!\"" },
	/* truncated sequence at the end */
	{ "x\xe2\x82", "\"x\xef\xbf\xbd\xef\xbf\xbd\"" },
	/* lone continuation byte and a stray 0xff */
	{ "\x80\xff", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	/* overlong encoding of '/' */
	{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	/* UTF-16 surrogate encoded in UTF-8 */
	{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
};

int
main(void)
{
	GString *out;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(strings); i++) {
		out = g_string_new(NULL);
		json_string(out, strings[i].in);
		TEST_STR(out->str, strings[i].want, "json_string row %zu", i);
		g_string_free(out, TRUE);
	}

	out = g_string_new("{");
	json_kv_string(out, "ref", "TKT-0042", 1);
	json_kv_string(out, "assignee", NULL, 0);
	json_kv_int(out, "size", 1234567890123LL, 0);
	json_kv_int(out, "neg", -5, 0);
	json_kv_time(out, "created_at", 1795313224, 0);
	json_kv_time(out, "resolved_at", 0, 0);
	json_key(out, "labels", 0);
	g_string_append(out, "[]}");
	TEST_STR(out->str, "{\"ref\":\"TKT-0042\",\"assignee\":null,"
	    "\"size\":1234567890123,\"neg\":-5,"
	    "\"created_at\":\"2026-11-22T02:07:04Z\",\"resolved_at\":null,"
	    "\"labels\":[]}", "object with every helper");
	g_string_free(out, TRUE);

	out = g_string_new(NULL);
	json_kv_time(out, "t", 1, 1);
	TEST_STR(out->str, "\"t\":\"1970-01-01T00:00:01Z\"", "epoch + 1");
	g_string_free(out, TRUE);

	return test_done();
}

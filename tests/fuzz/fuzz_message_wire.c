/* fuzz_message_wire: the parent's reader of the parser child's answer
 * (message_wire_from), which must take any bytes a dying or subverted
 * child can write, and the round trip message_wire_to/from of what
 * message_parse makes.  The first byte picks the case, so that mail
 * seeds reach all three:
 *   0  the input itself as the serialised variant;
 *   1  the input parsed as mail, serialised, read back: the same message;
 *   2  the same, with one byte of the serialisation changed (where and
 *      to what follow from the input): a clean refusal or a message. */
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

/* read v back; a refusal says why and gives nothing */
static struct pd_message *
read_back(GVariant *v)
{
	struct pd_message *msg = NULL;
	char *err = NULL;

	if (message_wire_from(v, &msg, &err) < 0) {
		if (err == NULL || msg != NULL)
			abort();
		g_free(err);
		return NULL;
	}
	if (msg == NULL || msg->attachments == NULL || msg->parts == NULL)
		abort();
	for (guint i = 0; i < msg->attachments->len; i++) {
		struct pd_attachment *a = msg->attachments->pdata[i];
		if (a->data && (gsize)a->size != g_bytes_get_size(a->data))
			abort();
	}
	return msg;
}

static GVariant *
variant_of(const void *data, size_t size)
{
	GBytes *b = g_bytes_new(data, size);
	GVariant *v = g_variant_ref_sink(g_variant_new_from_bytes(message_wire_type(), b, FALSE));

	g_bytes_unref(b);
	return v;
}

static int
same(const char *a, const char *b)
{
	return g_strcmp0(a ? a : "", b ? b : "") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_message *msg = NULL, *back;
	GVariant *v, *w;
	GBytes *b;
	char *err = NULL;
	guint8 *copy;
	gsize len;

	if (size == 0)
		return 0;
	if (data[0] % 3 == 0) {
		v = variant_of(data + 1, size - 1);
		if ((back = read_back(v)) != NULL)
			message_free(back);
		g_variant_unref(v);
		return 0;
	}
	if (message_parse((const char *)data, size, &lim, &msg, &err) < 0) {
		g_free(err);
		return 0;
	}
	v = g_variant_ref_sink(message_wire_to(msg));
	b = g_variant_get_data_as_bytes(v);	/* what the pipe carries */
	copy = g_memdup2(g_bytes_get_data(b, &len), len);
	g_bytes_unref(b);
	if (data[0] % 3 == 1) {
		w = variant_of(copy, len);
		back = read_back(w);
		if (back == NULL || !same(back->subject, msg->subject) ||
		    !same(back->text, msg->text) || !same(back->html, msg->html) ||
		    back->attachments->len != msg->attachments->len ||
		    back->parts->len != msg->parts->len)
			abort();	/* the round trip lost something */
	} else {
		if (len > 0)
			copy[(size * 2654435761u) % len] ^= (guint8)(data[size - 1] | 1);
		w = variant_of(copy, len);
		back = read_back(w);
	}
	if (back)
		message_free(back);
	g_variant_unref(w);
	g_variant_unref(v);
	g_free(copy);
	message_free(msg);
	return 0;
}

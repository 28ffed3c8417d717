/* outbox_render.c: the bytes of an outbox mail, for sending and for
 * every reader (`outbox show`, the staff view, tests): kept bytes of a
 * row queued before mail was rendered at send time, else made from the
 * row's params by notify_render.  No SMTP here: the CLI and the CGI
 * link it. */
#include "notify.h"
#include "outbox.h"

int
outbox_render(struct pd_ctx *ctx, gint64 id, GBytes **mail_r, char **error_r)
{
	struct pd_outbox_body b;
	GByteArray *built;
	int rc;

	if (store_outbox_body(ctx->store, id, &b, error_r) < 0)
		return -1;
	if (g_bytes_get_size(b.raw) > 0) {
		*mail_r = g_bytes_ref(b.raw);
		store_outbox_body_clear(&b);
		return 0;
	}
	if (b.params == NULL) {
		store_outbox_body_clear(&b);
		*error_r = g_strdup_printf("outbox mail %" G_GINT64_FORMAT ": its bytes were "
		    "dropped after limits.keep_sent", id);
		return -1;
	}
	rc = notify_render(ctx, &b, &built, error_r);
	store_outbox_body_clear(&b);
	if (rc < 0)
		return -1;
	*mail_r = g_byte_array_free_to_bytes(built);
	return 0;
}

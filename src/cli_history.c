/* cli_history.c: postdesk history REF [--json] (SPEC 9): "what happened
 * to this ticket?" in one list, oldest first. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli_private.h"
#include "json.h"
#include "store.h"

int
cli_cmd_history(struct cli *c, int argc, char **argv)
{
	int json = 0, rc, found;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	GPtrArray *args = g_ptr_array_new(), *rows = NULL;
	struct pd_ticket *t = NULL;
	char *err = NULL, *ref = NULL;

	rc = cli_parse_args("history", argc, argv, opts, args);
	if (rc == 0 && args->len == 0)
		rc = cli_usage_error("history: missing REF");
	else if (rc == 0 && args->len > 1)
		rc = cli_usage_error("history: unexpected argument '%s'", (char *)args->pdata[1]);
	if (rc == 0)
		ref = g_ascii_strup(args->pdata[0], -1);
	g_ptr_array_unref(args);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = cli_open(c)) != 0)
		goto out;
	if ((found = store_ticket_get_by_ref(c->ctx.store, ref, &t, &err)) < 0) {
		rc = cli_store_failed(c, "history", err);
		goto out;
	}
	if (found == 0) {
		char *r = cli_clean(ref, 40);
		fprintf(stderr, "postdesk: history: no ticket %s\n", r);
		g_free(r);
		rc = EX_DATAERR;
		goto out;
	}
	if (store_history(c->ctx.store, t->id, &rows, &err) < 0) {
		rc = cli_store_failed(c, "history", err);
		goto out;
	}
	if (json) {
		GString *o = g_string_new("[");

		for (guint i = 0; i < rows->len; i++) {
			const struct pd_history *h = rows->pdata[i];

			g_string_append(o, i ? ",\n{" : "\n{");
			json_kv_time(o, "at", h->at, 1);
			json_kv_string(o, "type", h->type, 0);
			json_kv_string(o, "kind", h->kind, 0);
			json_kv_string(o, "who", h->who, 0);
			json_kv_string(o, "detail", h->detail, 0);
			g_string_append_c(o, '}');
		}
		g_string_append(o, rows->len ? "\n]" : "]");
		cli_print_json(o);
	} else {
		printf("%s %s\n", t->ref, t->subject);
		for (guint i = 0; i < rows->len; i++) {
			const struct pd_history *h = rows->pdata[i];
			char *at = cli_time_text(h->at), *kind = cli_clean(h->kind, 24),
			    *who = cli_clean(h->who, 60), *detail = cli_clean(h->detail, 100);

			printf("%-20s %-8s %-22s %s%s%s\n", at, h->type, kind, who,
			    h->detail ? "  " : "", h->detail ? detail : "");
			g_free(at);
			g_free(kind);
			g_free(who);
			g_free(detail);
		}
	}
	rc = 0;
out:
	if (rows)
		g_ptr_array_unref(rows);
	store_ticket_free(t);
	g_free(ref);
	return rc;
}

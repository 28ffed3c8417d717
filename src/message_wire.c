/* message_wire.c: struct pd_message to and from a GVariant.
 *
 * The parser child (parser.c) parses untrusted mail and sends the
 * result back over a pipe; this is its serialisation.  The tables below
 * are the one list of the fields: the variant type, the writer, the
 * reader and the coverage check (message_wire_check) all follow them.
 * The reader trusts nothing: GVariant in untrusted mode gives safe
 * values for any bytes, and the invariants message.h promises (strings
 * that are never NULL, attachment indexes in range, sha256 of the data)
 * are checked or recomputed here. */
#include <stddef.h>
#include <string.h>

#include "message.h"
#include "util.h"

enum wire_kind {
	W_STR,		/* char *, may be NULL: "ms" */
	W_INT,		/* int: "i" */
	W_INT64,	/* gint64: "x" */
	W_BYTES,	/* GBytes *, may be NULL: "may" */
	W_STRV,		/* GPtrArray of char *: "as" */
	W_STRUCT,	/* an embedded struct: its tuple */
	W_ARRAY,	/* GPtrArray of struct *: an array of its tuple */
};

struct wire_struct;

struct wire_field {
	const char	*name;
	enum wire_kind	 kind;
	size_t		 offset;
	size_t		 size;		/* of the member, for the coverage check */
	const struct wire_struct *sub;	/* W_STRUCT, W_ARRAY */
	int		 required;	/* W_STR, W_ARRAY: never NULL ("ms" and
				 * "ma..." otherwise) */
};

struct wire_struct {
	const char	*name;
	size_t		 size;
	const struct wire_field *fields;
	GDestroyNotify	 free_elem;	/* for arrays of it */
};

#define F(st, m, k, sub, req) { #m, k, offsetof(struct st, m), \
	sizeof(((struct st *)0)->m), sub, req }

static const struct wire_struct w_addr, w_attachment, w_header, w_param, w_part;

static const struct wire_field f_addr[] = {
	F(pd_addr, name, W_STR, NULL, 0),
	F(pd_addr, addr, W_STR, NULL, 0),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_addr = { "pd_addr", sizeof(struct pd_addr),
	f_addr, message_addr_free };

static const struct wire_field f_attachment[] = {
	F(pd_attachment, filename, W_STR, NULL, 1),
	F(pd_attachment, content_type, W_STR, NULL, 1),
	F(pd_attachment, content_id, W_STR, NULL, 0),
	F(pd_attachment, is_inline, W_INT, NULL, 0),
	F(pd_attachment, data, W_BYTES, NULL, 0),
	F(pd_attachment, size, W_INT64, NULL, 0),
	F(pd_attachment, sha256, W_STR, NULL, 0),	/* recomputed on reading */
	F(pd_attachment, refused, W_STR, NULL, 0),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_attachment = { "pd_attachment",
	sizeof(struct pd_attachment), f_attachment, message_attachment_free };

static const struct wire_field f_header[] = {
	F(pd_header, name, W_STR, NULL, 1),
	F(pd_header, raw, W_STR, NULL, 1),
	F(pd_header, value, W_STR, NULL, 1),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_header = { "pd_header", sizeof(struct pd_header),
	f_header, message_header_free };

static const struct wire_field f_param[] = {
	F(pd_param, name, W_STR, NULL, 1),
	F(pd_param, value, W_STR, NULL, 1),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_param = { "pd_param", sizeof(struct pd_param),
	f_param, message_param_free };

static const struct wire_field f_part[] = {
	F(pd_part, depth, W_INT, NULL, 0),
	F(pd_part, content_type, W_STR, NULL, 1),
	F(pd_part, params, W_ARRAY, &w_param, 1),
	F(pd_part, disposition, W_STR, NULL, 0),
	F(pd_part, filename, W_STR, NULL, 0),
	F(pd_part, data, W_BYTES, NULL, 0),	/* not sent when shared */
	F(pd_part, attachment, W_INT, NULL, 0),
	F(pd_part, text, W_STR, NULL, 0),
	F(pd_part, headers, W_ARRAY, &w_header, 0),	/* NULL when absent */
	F(pd_part, message_id, W_STR, NULL, 0),
	F(pd_part, subject, W_STR, NULL, 0),	/* embedded mails only */
	F(pd_part, from, W_STRUCT, &w_addr, 0),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_part = { "pd_part", sizeof(struct pd_part),
	f_part, message_part_free };

static const struct wire_field f_message[] = {
	F(pd_message, headers, W_ARRAY, &w_header, 1),
	F(pd_message, parts, W_ARRAY, &w_part, 1),
	F(pd_message, message_id, W_STR, NULL, 0),
	F(pd_message, in_reply_to, W_STR, NULL, 0),
	F(pd_message, references, W_STRV, NULL, 0),
	F(pd_message, from, W_STRUCT, &w_addr, 0),
	F(pd_message, sender, W_STRUCT, &w_addr, 0),
	F(pd_message, return_path, W_STR, NULL, 0),
	F(pd_message, to, W_ARRAY, &w_addr, 1),
	F(pd_message, cc, W_ARRAY, &w_addr, 1),
	F(pd_message, reply_to, W_ARRAY, &w_addr, 1),
	F(pd_message, subject, W_STR, NULL, 1),
	F(pd_message, date, W_INT64, NULL, 0),
	F(pd_message, text, W_STR, NULL, 1),
	F(pd_message, html, W_STR, NULL, 0),
	F(pd_message, attachments, W_ARRAY, &w_attachment, 1),
	F(pd_message, received_count, W_INT, NULL, 0),
	F(pd_message, truncated, W_INT, NULL, 0),
	F(pd_message, notes, W_STRV, NULL, 0),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_message = { "pd_message",
	sizeof(struct pd_message), f_message, NULL };

#undef F

static void
type_append(GString *t, const struct wire_struct *st)
{
	g_string_append_c(t, '(');
	for (const struct wire_field *f = st->fields; f->name; f++) {
		switch (f->kind) {
		case W_STR:
			g_string_append(t, "ms");
			break;
		case W_INT:
			g_string_append_c(t, 'i');
			break;
		case W_INT64:
			g_string_append_c(t, 'x');
			break;
		case W_BYTES:
			g_string_append(t, "may");
			break;
		case W_STRV:
			g_string_append(t, "as");
			break;
		case W_STRUCT:
			type_append(t, f->sub);
			break;
		case W_ARRAY:
			g_string_append(t, f->required ? "a" : "ma");
			type_append(t, f->sub);
			break;
		}
	}
	g_string_append_c(t, ')');
}

const GVariantType *
message_wire_type(void)
{
	static GVariantType *type;
	static gsize once;

	if (g_once_init_enter(&once)) {
		GString *t = g_string_new(NULL);

		type_append(t, &w_message);
		type = g_variant_type_new(t->str);
		g_string_free(t, TRUE);
		g_once_init_leave(&once, 1);
	}
	return type;
}

static GVariant *struct_to(const struct wire_struct *, const void *);

static GVariant *
array_to(const struct wire_struct *st, const GPtrArray *a)
{
	GString *t = g_string_new("a");
	GVariantBuilder b;
	GVariant *v;

	type_append(t, st);
	g_variant_builder_init(&b, G_VARIANT_TYPE(t->str));
	for (guint i = 0; a && i < a->len; i++)
		g_variant_builder_add_value(&b, struct_to(st, a->pdata[i]));
	v = g_variant_builder_end(&b);
	g_string_free(t, TRUE);
	return v;
}

static GVariant *
struct_to(const struct wire_struct *st, const void *p)
{
	GVariantBuilder b;
	const char *base = p;

	g_variant_builder_init(&b, G_VARIANT_TYPE_TUPLE);
	for (const struct wire_field *f = st->fields; f->name; f++) {
		const void *m = base + f->offset;

		switch (f->kind) {
		case W_STR: {
			const char *s = *(char *const *)m;

			g_variant_builder_add_value(&b, g_variant_new_maybe(
			    G_VARIANT_TYPE_STRING, s ? g_variant_new_string(s) : NULL));
			break;
		}
		case W_INT:
			g_variant_builder_add_value(&b, g_variant_new_int32(*(const int *)m));
			break;
		case W_INT64:
			g_variant_builder_add_value(&b, g_variant_new_int64(*(const gint64 *)m));
			break;
		case W_BYTES: {
			GBytes *d = *(GBytes *const *)m;

			/* a part's data shared with its attachment goes once */
			if (st == &w_part && ((const struct pd_part *)p)->attachment >= 0)
				d = NULL;
			g_variant_builder_add_value(&b, g_variant_new_maybe(
			    G_VARIANT_TYPE_BYTESTRING, d ? g_variant_new_from_bytes(
			    G_VARIANT_TYPE_BYTESTRING, d, TRUE) : NULL));
			break;
		}
		case W_STRV: {
			const GPtrArray *a = *(GPtrArray *const *)m;
			GVariantBuilder sb;

			g_variant_builder_init(&sb, G_VARIANT_TYPE_STRING_ARRAY);
			for (guint i = 0; a && i < a->len; i++)
				g_variant_builder_add(&sb, "s", (const char *)a->pdata[i]);
			g_variant_builder_add_value(&b, g_variant_builder_end(&sb));
			break;
		}
		case W_STRUCT:
			g_variant_builder_add_value(&b, struct_to(f->sub, m));
			break;
		case W_ARRAY: {
			const GPtrArray *a = *(GPtrArray *const *)m;
			GVariant *v;

			if (f->required)
				v = array_to(f->sub, a);
			else {
				GString *t = g_string_new("a");

				type_append(t, f->sub);
				v = g_variant_new_maybe(G_VARIANT_TYPE(t->str),
				    a ? array_to(f->sub, a) : NULL);
				g_string_free(t, TRUE);
			}
			g_variant_builder_add_value(&b, v);
			break;
		}
		}
	}
	return g_variant_builder_end(&b);
}

GVariant *
message_wire_to(const struct pd_message *msg)
{
	return g_variant_ref_sink(struct_to(&w_message, msg));
}

static int struct_from(const struct wire_struct *, GVariant *, void *, char **);

static GPtrArray *
array_from(const struct wire_struct *st, GVariant *v, char **error_r)
{
	gsize n = g_variant_n_children(v);
	GPtrArray *a = g_ptr_array_new_full((guint)MIN(n, G_MAXUINT), st->free_elem);

	for (gsize i = 0; i < n; i++) {
		GVariant *c = g_variant_get_child_value(v, i);
		void *e = g_malloc0(st->size);
		int rc = struct_from(st, c, e, error_r);

		g_variant_unref(c);
		g_ptr_array_add(a, e);	/* freed with the array even when bad */
		if (rc < 0) {
			g_ptr_array_unref(a);
			return NULL;
		}
	}
	return a;
}

/* Fill p from v (of the table's type).  On -1 what was filled is still
 * freeable by the struct's free function. */
static int
struct_from(const struct wire_struct *st, GVariant *v, void *p, char **error_r)
{
	char *base = p;
	gsize i = 0;
	int rc = 0;

	/* every array exists even when a later field fails */
	for (const struct wire_field *f = st->fields; f->name; f++)
		if ((f->kind == W_ARRAY && f->required) || f->kind == W_STRV)
			*(GPtrArray **)(base + f->offset) = f->kind == W_STRV ?
			    g_ptr_array_new_with_free_func(g_free) :
			    g_ptr_array_new_with_free_func(f->sub->free_elem);
	if (st == &w_part)
		((struct pd_part *)p)->attachment = -1;
	for (const struct wire_field *f = st->fields; f->name && rc == 0; f++, i++) {
		GVariant *c = g_variant_get_child_value(v, i);
		void *m = base + f->offset;

		switch (f->kind) {
		case W_STR: {
			GVariant *s = g_variant_get_maybe(c);

			*(char **)m = s ? g_variant_dup_string(s, NULL) : NULL;
			if (s)
				g_variant_unref(s);
			if (f->required && *(char **)m == NULL) {
				*error_r = g_strdup_printf("%s.%s missing", st->name, f->name);
				rc = -1;
			}
			break;
		}
		case W_INT:
			*(int *)m = g_variant_get_int32(c);
			break;
		case W_INT64:
			*(gint64 *)m = g_variant_get_int64(c);
			break;
		case W_BYTES: {
			GVariant *d = g_variant_get_maybe(c);

			*(GBytes **)m = d ? g_variant_get_data_as_bytes(d) : NULL;
			if (d)
				g_variant_unref(d);
			break;
		}
		case W_STRV: {
			GPtrArray *a = *(GPtrArray **)m;
			gsize n = g_variant_n_children(c);

			for (gsize k = 0; k < n; k++) {
				GVariant *s = g_variant_get_child_value(c, k);

				g_ptr_array_add(a, g_variant_dup_string(s, NULL));
				g_variant_unref(s);
			}
			break;
		}
		case W_STRUCT:
			rc = struct_from(f->sub, c, m, error_r);
			break;
		case W_ARRAY: {
			GVariant *av = f->required ? g_variant_ref(c) :
			    g_variant_get_maybe(c);
			GPtrArray *a;

			if (av == NULL)
				break;
			a = array_from(f->sub, av, error_r);
			g_variant_unref(av);
			if (a == NULL) {
				rc = -1;
				break;
			}
			if (*(GPtrArray **)m)
				g_ptr_array_unref(*(GPtrArray **)m);
			*(GPtrArray **)m = a;
			break;
		}
		}
		g_variant_unref(c);
	}
	return rc;
}

int
message_wire_from(GVariant *v, struct pd_message **msg_r, char **error_r)
{
	struct pd_message *msg;
	char *err = NULL;

	*msg_r = NULL;
	if (v == NULL || !g_variant_is_of_type(v, message_wire_type())) {
		*error_r = g_strdup("not a serialised message");
		return -1;
	}
	msg = g_new0(struct pd_message, 1);
	if (struct_from(&w_message, v, msg, &err) < 0)
		goto bad;
	for (guint i = 0; i < msg->attachments->len; i++) {
		struct pd_attachment *a = msg->attachments->pdata[i];

		g_clear_pointer(&a->sha256, g_free);
		if (a->data) {
			a->size = (gint64)g_bytes_get_size(a->data);
			a->sha256 = util_sha256_hex(g_bytes_get_data(a->data, NULL),
			    g_bytes_get_size(a->data));
		} else if (a->refused == NULL) {
			err = g_strdup_printf("attachment %u has neither data nor reason", i);
			goto bad;
		}
	}
	for (guint i = 0; i < msg->parts->len; i++) {
		struct pd_part *p = msg->parts->pdata[i];

		if (p->attachment < -1 || p->attachment >= (int)msg->attachments->len ||
		    (p->attachment >= 0 && ((struct pd_attachment *)
		    msg->attachments->pdata[p->attachment])->data == NULL)) {
			err = g_strdup_printf("part %u names attachment %d", i, p->attachment);
			goto bad;
		}
		if (p->attachment >= 0) {
			if (p->data)
				g_bytes_unref(p->data);
			p->data = g_bytes_ref(((struct pd_attachment *)
			    msg->attachments->pdata[p->attachment])->data);
		}
	}
	*msg_r = msg;
	return 0;
bad:
	*error_r = g_strdup_printf("malformed message from the parser: %s",
	    err ? err : "?");
	g_free(err);
	message_free(msg);
	return -1;
}

/* Does the table cover st: every byte of the struct in some field, in
 * order, padding only where the alignment puts it? */
static int
check_struct(const struct wire_struct *st, char **error_r)
{
	size_t end = 0;

	for (const struct wire_field *f = st->fields; f->name; f++) {
		size_t align = f->size >= 8 ? 8 : f->size;

		if (f->kind == W_STRUCT)
			align = 8;
		end = (end + align - 1) / align * align;
		if (f->offset != end) {
			*error_r = g_strdup_printf("%s: a member before %s has no row",
			    st->name, f->name);
			return -1;
		}
		end = f->offset + f->size;
		if ((f->kind == W_STRUCT || f->kind == W_ARRAY) &&
		    check_struct(f->sub, error_r) < 0)
			return -1;
	}
	if ((end + 7) / 8 * 8 != st->size) {
		*error_r = g_strdup_printf("%s: members after the last row", st->name);
		return -1;
	}
	return 0;
}

int
message_wire_check(char **error_r)
{
	return check_struct(&w_message, error_r);
}

/* message_wire.c: struct pd_message to and from bytes (a GVariant
 * "ay", for the frame parser.c sends).
 *
 * The parser child (parser.c) parses untrusted mail and sends the
 * result back over a pipe; this is its serialisation.  The tables below
 * are the one list of the fields: the writer, the reader and the
 * coverage check (message_wire_check) all follow them.
 * The reader trusts nothing: it takes any bytes safely (see the
 * encoding below), and the invariants message.h promises (strings
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
	F(pd_message, have_visible, W_INT, NULL, 0),
	F(pd_message, visible, W_STR, NULL, 0),
	F(pd_message, raw_packed, W_BYTES, NULL, 0),
	F(pd_message, text_packed, W_BYTES, NULL, 0),
	{ NULL, 0, 0, 0, NULL, 0 }
};
static const struct wire_struct w_message = { "pd_message",
	sizeof(struct pd_message), f_message, NULL };

#undef F

/*
 * The encoding, by the tables: a version byte, then each field in
 * order, in this machine's byte order (the child is this program):
 *   W_STR     0 (NULL), or 1, a 64-bit length and the UTF-8 bytes
 *   W_INT     32 bits; W_INT64 64 bits
 *   W_BYTES   0 (NULL), or 1, a 64-bit length and the bytes
 *   W_STRV    a 64-bit count, then each string as a length and bytes
 *   W_STRUCT  its fields
 *   W_ARRAY   (0 or 1 first when it may be NULL) a 64-bit count, then
 *             each element's fields
 * It was a GVariant tree of the same shape; building and walking that
 * one child value at a time was an eighth of the parent's import time.
 * The reader checks every length against what is left, every string
 * for UTF-8 without NUL, and wants the bytes used up exactly.
 */
#define WIRE_VERSION	1

const GVariantType *
message_wire_type(void)
{
	return G_VARIANT_TYPE_BYTESTRING;
}

static void
put_u64(GByteArray *out, guint64 v)
{
	g_byte_array_append(out, (const guint8 *)&v, sizeof v);
}

static void
put_str(GByteArray *out, const char *s, int tagged)
{
	size_t len = s ? strlen(s) : 0;

	if (tagged) {
		guint8 tag = s != NULL;

		g_byte_array_append(out, &tag, 1);
		if (s == NULL)
			return;
	}
	put_u64(out, len);
	g_byte_array_append(out, (const guint8 *)s, (guint)len);
}

static void struct_to(GByteArray *, const struct wire_struct *, const void *);

static void
array_to(GByteArray *out, const struct wire_struct *st, const GPtrArray *a)
{
	put_u64(out, a ? a->len : 0);
	for (guint i = 0; a && i < a->len; i++)
		struct_to(out, st, a->pdata[i]);
}

static void
struct_to(GByteArray *out, const struct wire_struct *st, const void *p)
{
	const char *base = p;

	for (const struct wire_field *f = st->fields; f->name; f++) {
		const void *m = base + f->offset;

		switch (f->kind) {
		case W_STR:
			put_str(out, *(char *const *)m, 1);
			break;
		case W_INT: {
			gint32 v = *(const int *)m;

			g_byte_array_append(out, (const guint8 *)&v, sizeof v);
			break;
		}
		case W_INT64:
			g_byte_array_append(out, m, sizeof(gint64));
			break;
		case W_BYTES: {
			GBytes *d = *(GBytes *const *)m;
			guint8 tag;
			gsize len;
			const void *data;

			/* a part's data shared with its attachment goes once */
			if (st == &w_part && ((const struct pd_part *)p)->attachment >= 0)
				d = NULL;
			tag = d != NULL;
			g_byte_array_append(out, &tag, 1);
			if (d == NULL)
				break;
			data = g_bytes_get_data(d, &len);
			put_u64(out, len);
			g_byte_array_append(out, data, (guint)len);
			break;
		}
		case W_STRV: {
			const GPtrArray *a = *(GPtrArray *const *)m;

			put_u64(out, a ? a->len : 0);
			for (guint i = 0; a && i < a->len; i++)
				put_str(out, a->pdata[i], 0);
			break;
		}
		case W_STRUCT:
			struct_to(out, f->sub, m);
			break;
		case W_ARRAY: {
			const GPtrArray *a = *(GPtrArray *const *)m;

			if (!f->required) {
				guint8 tag = a != NULL;

				g_byte_array_append(out, &tag, 1);
				if (a == NULL)
					break;
			}
			array_to(out, f->sub, a);
			break;
		}
		}
	}
}

GVariant *
message_wire_to(const struct pd_message *msg)
{
	GByteArray *out = g_byte_array_sized_new(4096);
	guint8 version = WIRE_VERSION;
	GBytes *b;
	GVariant *v;

	g_byte_array_append(out, &version, 1);
	struct_to(out, &w_message, msg);
	b = g_byte_array_free_to_bytes(out);
	v = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, b, TRUE));
	g_bytes_unref(b);
	return v;
}

/* Reading: where we are in the bytes, which the attachments reference. */
struct wire_in {
	GBytes		*all;
	const guint8	*base, *p, *end;
};

static int
get_bytes(struct wire_in *in, size_t n, const guint8 **p_r)
{
	if ((size_t)(in->end - in->p) < n)
		return -1;
	*p_r = in->p;
	in->p += n;
	return 0;
}

static int
get_u64(struct wire_in *in, guint64 *v_r)
{
	const guint8 *p;

	if (get_bytes(in, sizeof *v_r, &p) < 0)
		return -1;
	memcpy(v_r, p, sizeof *v_r);
	return 0;
}

static int
get_tag(struct wire_in *in, int *tag_r)
{
	const guint8 *p;

	if (get_bytes(in, 1, &p) < 0 || *p > 1)
		return -1;
	*tag_r = *p;
	return 0;
}

/* A count of things of at least one byte each: no more than are left. */
static int
get_count(struct wire_in *in, guint64 *n_r)
{
	return get_u64(in, n_r) < 0 || *n_r > (guint64)(in->end - in->p) ? -1 : 0;
}

static int
get_str(struct wire_in *in, char **s_r)
{
	const guint8 *p;
	guint64 len;

	*s_r = NULL;
	if (get_u64(in, &len) < 0 || len > (guint64)(in->end - in->p) ||
	    get_bytes(in, (size_t)len, &p) < 0 ||
	    !g_utf8_validate_len((const char *)p, (gsize)len, NULL))
		return -1;
	*s_r = g_strndup((const char *)p, (gsize)len);
	return 0;
}

static int struct_from(const struct wire_struct *, struct wire_in *, void *, char **);

static GPtrArray *
array_from(const struct wire_struct *st, struct wire_in *in, char **error_r)
{
	guint64 n;
	GPtrArray *a;

	if (get_count(in, &n) < 0) {
		*error_r = g_strdup_printf("%s array: bad count", st->name);
		return NULL;
	}
	a = g_ptr_array_new_full((guint)n, st->free_elem);
	for (guint64 i = 0; i < n; i++) {
		void *e = g_malloc0(st->size);
		int rc = struct_from(st, in, e, error_r);

		g_ptr_array_add(a, e);	/* freed with the array even when bad */
		if (rc < 0) {
			g_ptr_array_unref(a);
			return NULL;
		}
	}
	return a;
}

/* Fill p from the bytes.  On -1 what was filled is still freeable by
 * the struct's free function. */
static int
struct_from(const struct wire_struct *st, struct wire_in *in, void *p, char **error_r)
{
	char *base = p;
	int rc = 0;

	/* every array exists even when a later field fails */
	for (const struct wire_field *f = st->fields; f->name; f++)
		if ((f->kind == W_ARRAY && f->required) || f->kind == W_STRV)
			*(GPtrArray **)(base + f->offset) = f->kind == W_STRV ?
			    g_ptr_array_new_with_free_func(g_free) :
			    g_ptr_array_new_with_free_func(f->sub->free_elem);
	if (st == &w_part)
		((struct pd_part *)p)->attachment = -1;
	for (const struct wire_field *f = st->fields; f->name && rc == 0; f++) {
		void *m = base + f->offset;
		const guint8 *d;
		int tag = 1;

		switch (f->kind) {
		case W_STR:
			if (get_tag(in, &tag) < 0 || (tag && get_str(in, (char **)m) < 0))
				rc = -1;
			else if (f->required && *(char **)m == NULL) {
				*error_r = g_strdup_printf("%s.%s missing", st->name, f->name);
				return -1;
			}
			break;
		case W_INT: {
			gint32 v;

			if (get_bytes(in, sizeof v, &d) < 0)
				rc = -1;
			else {
				memcpy(&v, d, sizeof v);
				*(int *)m = v;
			}
			break;
		}
		case W_INT64:
			if (get_bytes(in, sizeof(gint64), &d) < 0)
				rc = -1;
			else
				memcpy(m, d, sizeof(gint64));
			break;
		case W_BYTES: {
			guint64 len;

			if (get_tag(in, &tag) < 0)
				rc = -1;
			else if (tag && (get_u64(in, &len) < 0 ||
			    len > (guint64)(in->end - in->p) || get_bytes(in, (size_t)len, &d) < 0))
				rc = -1;
			else if (tag)
				*(GBytes **)m = g_bytes_new_from_bytes(in->all,
				    (gsize)(d - in->base), (gsize)len);
			break;
		}
		case W_STRV: {
			GPtrArray *a = *(GPtrArray **)m;
			guint64 n;

			if (get_count(in, &n) < 0)
				rc = -1;
			for (guint64 k = 0; rc == 0 && k < n; k++) {
				char *s;

				if (get_str(in, &s) < 0)
					rc = -1;
				else
					g_ptr_array_add(a, s);
			}
			break;
		}
		case W_STRUCT:
			if (struct_from(f->sub, in, m, error_r) < 0)
				return -1;
			break;
		case W_ARRAY: {
			GPtrArray *a;

			if (!f->required && get_tag(in, &tag) < 0) {
				rc = -1;
				break;
			}
			if (!tag)
				break;
			if ((a = array_from(f->sub, in, error_r)) == NULL)
				return -1;
			if (*(GPtrArray **)m)
				g_ptr_array_unref(*(GPtrArray **)m);
			*(GPtrArray **)m = a;
			break;
		}
		}
		if (rc < 0)
			*error_r = g_strdup_printf("%s.%s: bad or cut short", st->name, f->name);
	}
	return rc;
}

int
message_wire_from(GVariant *v, struct pd_message **msg_r, char **error_r)
{
	struct pd_message *msg;
	struct wire_in in = { 0 };
	char *err = NULL;
	gsize len = 0;

	*msg_r = NULL;
	if (v == NULL || !g_variant_is_of_type(v, message_wire_type())) {
		*error_r = g_strdup("not a serialised message");
		return -1;
	}
	in.all = g_variant_get_data_as_bytes(v);
	in.base = in.p = g_bytes_get_data(in.all, &len);
	in.end = in.base ? in.base + len : NULL;
	if (len < 1 || *in.p != WIRE_VERSION) {
		g_bytes_unref(in.all);
		*error_r = g_strdup("malformed message from the parser: not this version");
		return -1;
	}
	in.p++;
	msg = g_new0(struct pd_message, 1);
	if (struct_from(&w_message, &in, msg, &err) < 0)
		goto bad;
	if (in.p != in.end) {
		err = g_strdup_printf("%zu bytes after the message", (size_t)(in.end - in.p));
		goto bad;
	}
	g_bytes_unref(in.all);
	in.all = NULL;
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
	if (in.all)
		g_bytes_unref(in.all);
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

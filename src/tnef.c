/* tnef.c: Outlook's winmail.dat into its real files, with libytnef.
 * libytnef's headers define BYTE, WORD and friends as macros, so they
 * stay inside this file. */
#include <stdio.h>
#include <string.h>

#include <ytnef.h>

#include "tnef.h"

/* The content types of the files people actually send. */
static const struct {
	const char *ext, *type;
} ext_types[] = {
	{ "pdf", "application/pdf" }, { "png", "image/png" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "bmp", "image/bmp" },
	{ "tif", "image/tiff" }, { "tiff", "image/tiff" },
	{ "txt", "text/plain" }, { "log", "text/plain" },
	{ "csv", "text/csv" }, { "htm", "text/html" }, { "html", "text/html" },
	{ "rtf", "application/rtf" }, { "ics", "text/calendar" },
	{ "vcf", "text/vcard" }, { "eml", "message/rfc822" },
	{ "zip", "application/zip" }, { "xml", "application/xml" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "msg", "application/vnd.ms-outlook" },
	{ NULL, NULL }
};

static char *
guess_type(const char *filename)
{
	const char *dot = strrchr(filename, '.');

	if (dot != NULL) {
		for (int i = 0; ext_types[i].ext; i++)
			if (g_ascii_strcasecmp(dot + 1, ext_types[i].ext) == 0)
				return g_strdup(ext_types[i].type);
	}
	return g_strdup("application/octet-stream");
}

/* TNEF strings are in the sender's ANSI code page, almost always
 * CP1252; UTF-8 is taken as it is.  Caller frees. */
static char *
ansi_to_utf8(const void *data, int size)
{
	const char *s = data;
	gsize len;
	char *out;

	if (data == NULL || size <= 0)
		return NULL;
	const char *nul = memchr(s, '\0', (size_t)size);
	len = nul ? (gsize)(nul - s) : (gsize)size;
	if (g_utf8_validate(s, (gssize)len, NULL))
		return g_strndup(s, len);
	out = g_convert_with_fallback(s, (gssize)len, "UTF-8", "CP1252", "?",
	    NULL, NULL, NULL);
	if (out == NULL)
		out = g_convert_with_fallback(s, (gssize)len, "UTF-8",
		    "ISO-8859-1", "?", NULL, NULL, NULL);
	return out;
}

/* A PT_UNICODE property (UTF-16LE) as UTF-8.  Caller frees. */
static char *
unicode_to_utf8(const variableLength *v)
{
	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size < 2)
		return NULL;
	return g_convert_with_fallback((const char *)v->data, v->size & ~1,
	    "UTF-8", "UTF-16LE", "?", NULL, NULL, NULL);
}

/* The attachment's name: the long MAPI name, else the 8.3 title. */
static char *
attachment_name(Attachment *p, int n)
{
	variableLength *v;
	char *name = NULL;

	v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_UNICODE, PR_ATTACH_LONG_FILENAME));
	name = unicode_to_utf8(v);
	if (name == NULL) {
		v = MAPIFindProperty(&p->MAPI,
		    PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME));
		if (v != MAPI_UNDEFINED)
			name = ansi_to_utf8(v->data, v->size);
	}
	if (name == NULL || *name == '\0') {
		g_free(name);
		name = ansi_to_utf8(p->Title.data, p->Title.size);
	}
	if (name == NULL || *g_strstrip(name) == '\0') {
		g_free(name);
		name = g_strdup_printf("attachment-%d", n);
	}
	return name;
}

static char *
message_body(TNEFStruct *t)
{
	variableLength *v;
	char *s;

	if (t->body.size > 0 && (s = ansi_to_utf8(t->body.data, t->body.size)))
		return s;
	v = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_UNICODE, PR_BODY));
	if ((s = unicode_to_utf8(v)) != NULL)
		return s;
	v = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_STRING8, PR_BODY));
	if (v != MAPI_UNDEFINED)
		return ansi_to_utf8(v->data, v->size);
	return NULL;
}

/* Walk the attribute framing (MS-OXTNEF 2.1.3): signature, key, then
 * level, id, length, data and a 16-bit checksum of the data, to the end.
 * Any stream that fails this is not handed to libytnef. */
static int
tnef_check(const guint8 *d, size_t len, char **error_r)
{
	size_t off = 6;
	int n = 0, rc = -1, in_attach = 0;
	/* libytnef leaks (or worse) on a repeated attribute, which real
	 * streams never have: refuse repeats within the message and within
	 * each attachment (an attachment starts at attAttachRenddata) */
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	if (d[0] != 0x78 || d[1] != 0x9f || d[2] != 0x3e || d[3] != 0x22) {
		*error_r = g_strdup("not a TNEF stream (no signature)");
		return -1;
	}
	while (off < len) {
		guint32 alen;
		guint16 sum = 0, want;

		if (len - off < 9 || (d[off] != 1 && d[off] != 2)) {
			*error_r = g_strdup_printf("TNEF stream corrupt at byte %zu", off);
			goto out;
		}
		/* libytnef dispatches on the id alone, whatever the level */
		guint32 key = (guint32)d[off + 1] | (guint32)d[off + 2] << 8 |
		    (guint32)d[off + 3] << 16 | (guint32)d[off + 4] << 24;
		guint32 low = key & 0xffff;
		if (key == 0x00069002) {
			g_hash_table_remove_all(seen);
			in_attach = 1;
		} else if (!in_attach && ((low >= 0x800f && low <= 0x8013) ||
		    low == 0x9001 || low == 0x9002 || low == 0x9005)) {
			*error_r = g_strdup_printf("TNEF attachment attribute %d "
			    "outside an attachment", n);
			goto out;
		}
		if (g_hash_table_contains(seen, GUINT_TO_POINTER(key))) {
			*error_r = g_strdup_printf("TNEF attribute %d repeated", n);
			goto out;
		}
		g_hash_table_add(seen, GUINT_TO_POINTER(key));
		alen = (guint32)d[off + 5] | (guint32)d[off + 6] << 8 |
		    (guint32)d[off + 7] << 16 | (guint32)d[off + 8] << 24;
		off += 9;
		if (alen > len - off || len - off - alen < 2) {
			*error_r = g_strdup_printf("TNEF attribute %d longer than the stream", n);
			goto out;
		}
		for (guint32 i = 0; i < alen; i++)
			sum = (guint16)(sum + d[off + i]);
		off += alen;
		want = (guint16)(d[off] | d[off + 1] << 8);
		if (sum != want) {
			*error_r = g_strdup_printf("TNEF attribute %d has a bad checksum", n);
			goto out;
		}
		off += 2;
		n++;
	}
	rc = 0;
out:
	g_hash_table_unref(seen);
	return rc;
}

static void
tnef_file_free(gpointer p)
{
	struct tnef_file *f = p;

	g_free(f->filename);
	g_free(f->content_type);
	if (f->data)
		g_bytes_unref(f->data);
	g_free(f);
}

void
tnef_files_free(GPtrArray *files)
{
	if (files)
		g_ptr_array_unref(files);
}

int
tnef_unpack(const void *data, size_t len, GPtrArray **files_r, char **body_r,
    char **error_r)
{
	TNEFStruct t;
	GPtrArray *files;
	Attachment *p;
	BYTE *copy;
	int n = 0, rc;

	*files_r = NULL;
	if (body_r)
		*body_r = NULL;
	if (len < 6 || len > G_MAXINT32) {
		*error_r = g_strdup("not a TNEF stream (bad size)");
		return -1;
	}
	/* checked here because libytnef prints its complaints on stdout,
	 * and so that a corrupt stream never reaches it */
	if (tnef_check(data, len, error_r) == -1)
		return -1;
	/* libytnef wants a writable buffer and may read its own way */
	copy = g_memdup2(data, len);
	TNEFInitialize(&t);
	t.Debug = 0;
	rc = TNEFParseMemory(copy, (long)len, &t);
	if (rc < 0) {
		TNEFFree(&t);
		g_free(copy);
		*error_r = g_strdup_printf("TNEF stream not readable (error %d)", rc);
		return -1;
	}
	files = g_ptr_array_new_with_free_func(tnef_file_free);
	for (p = t.starting_attach.next; p != NULL && n < 10000; p = p->next) {
		variableLength *v;
		const BYTE *d;
		int size;
		struct tnef_file *f;

		n++;
		v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ));
		if (v != MAPI_UNDEFINED && v->size > 16) {
			/* an embedded object: a 16-byte class id first */
			d = v->data + 16;
			size = v->size - 16;
		} else {
			d = p->FileData.data;
			size = p->FileData.size;
		}
		if (d == NULL || size <= 0)
			continue;
		f = g_new0(struct tnef_file, 1);
		f->filename = attachment_name(p, n);
		v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_MIME_TAG));
		if (v != MAPI_UNDEFINED && v->size > 0 && v->data) {
			f->content_type = ansi_to_utf8(v->data, v->size);
			if (f->content_type && strchr(f->content_type, '/') == NULL)
				g_clear_pointer(&f->content_type, g_free);
		}
		if (f->content_type == NULL)
			f->content_type = guess_type(f->filename);
		else {
			for (char *c = f->content_type; *c; c++)
				*c = g_ascii_tolower(*c);
			g_strstrip(f->content_type);
		}
		f->data = g_bytes_new(d, (gsize)size);
		g_ptr_array_add(files, f);
	}
	if (body_r)
		*body_r = message_body(&t);
	TNEFFree(&t);
	g_free(copy);
	*files_r = files;
	return 0;
}

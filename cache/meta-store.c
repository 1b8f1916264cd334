/* imapfs cache — saved folder metadata (what a FETCH of the whole folder returned), so a
 * remount revalidates with CONDSTORE/QRESYNC instead of listing the folder again.
 *
 * Binary, little-endian, written atomically:
 *   header (48 bytes): magic "IMFSMETA", version, name length, uidvalidity, uidnext,
 *                      highestmodseq, message count, flag-string count, string-table bytes,
 *                      reserved
 *   the folder name (checked on load against the key's hash collisions)
 *   fixed 32-byte records: uid, flag-string index, size, internaldate, modseq
 *   string table: the distinct flag strings, each NUL-terminated
 *   SHA-1 of everything before it
 * Distinct flag strings are few, so 100,000 messages take about 3.2 MB and load without
 * one allocation per message. Anything that does not check out is treated as absent.
 */
#include "cache/sha1.h"
#include "cache/cache-private.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define META_MAGIC "IMFSMETA"
#define META_VERSION 1u
#define HEADER_LEN 48
#define RECORD_LEN 32
#define SHA1_LEN 20
/* Limits on what a (possibly damaged) file may claim. */
#define META_MAX_FILE (G_GUINT64_CONSTANT(1) << 31)
#define META_MAX_NAME (64 * 1024)

/* ---- the in-memory structure ---- */

CacheFolderMeta *cache_folder_meta_new(guint32 uidvalidity, guint32 uidnext, guint64 highestmodseq)
{
	CacheFolderMeta *m = g_new0(CacheFolderMeta, 1);

	m->uidvalidity = uidvalidity;
	m->uidnext = uidnext;
	m->highestmodseq = highestmodseq;
	m->msgs = g_array_new(FALSE, TRUE, sizeof(CacheMsgMeta));
	m->strings = g_string_chunk_new(256);
	return m;
}

void cache_folder_meta_free(CacheFolderMeta *m)
{
	if (!m)
		return;
	if (m->msgs)
		g_array_unref(m->msgs);
	if (m->strings)
		g_string_chunk_free(m->strings);
	g_free(m);
}

/* Index of the first message with uid >= UID. */
static guint lower_bound(const GArray *msgs, guint32 uid)
{
	guint lo = 0, hi = msgs->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(msgs, CacheMsgMeta, mid).uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

CacheMsgMeta *cache_folder_meta_find(const CacheFolderMeta *m, guint32 uid)
{
	guint i = lower_bound(m->msgs, uid);

	if (i < m->msgs->len && g_array_index(m->msgs, CacheMsgMeta, i).uid == uid)
		return &g_array_index(m->msgs, CacheMsgMeta, i);
	return NULL;
}

void cache_folder_meta_add(CacheFolderMeta *m, guint32 uid, guint64 size, gint64 internaldate,
			   const char *flags, guint64 modseq)
{
	CacheMsgMeta msg = {
	    .uid = uid,
	    .size = size,
	    .internaldate = internaldate,
	    .flags = g_string_chunk_insert_const(m->strings, flags ? flags : ""),
	    .modseq = modseq,
	};
	guint n = m->msgs->len;

	if (n == 0 || g_array_index(m->msgs, CacheMsgMeta, n - 1).uid < uid) {
		g_array_append_val(m->msgs, msg);
		return;
	}
	guint i = lower_bound(m->msgs, uid);

	if (g_array_index(m->msgs, CacheMsgMeta, i).uid == uid)
		g_array_index(m->msgs, CacheMsgMeta, i) = msg;
	else
		g_array_insert_val(m->msgs, i, msg);
}

static gint by_uid(gconstpointer a, gconstpointer b, gpointer unused)
{
	guint32 x = ((const CacheMsgMeta *)a)->uid, y = ((const CacheMsgMeta *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Sorts T stably and keeps the last entry of each uid; returns how many are left. */
static guint sort_unique(CacheMsgMeta *t, guint n)
{
	guint k = 0;

	g_qsort_with_data(t, (gint)n, sizeof(*t), by_uid, NULL); /* stable since GLib 2.32 */
	for (guint i = 0; i < n; i++) {
		if (k > 0 && t[k - 1].uid == t[i].uid)
			k--;
		t[k++] = t[i];
	}
	return k;
}

void cache_folder_meta_merge_tail(CacheFolderMeta *m, guint sorted)
{
	GArray *a = m->msgs;
	CacheMsgMeta *p = (CacheMsgMeta *)a->data;
	guint nt;

	if (sorted >= a->len)
		return;
	nt = sort_unique(p + sorted, a->len - sorted);
	if (sorted == 0 || p[sorted - 1].uid < p[sorted].uid) {
		g_array_set_size(a, sorted + nt); /* the tail follows the prefix: no merge */
		return;
	}
	GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(CacheMsgMeta), sorted + nt);
	const CacheMsgMeta *x = p, *xe = p + sorted, *y = p + sorted, *ye = y + nt;

	while (x < xe || y < ye) {
		if (y == ye || (x < xe && x->uid < y->uid))
			g_array_append_val(out, *x++);
		else {
			if (x < xe && x->uid == y->uid)
				x++; /* the later entry wins */
			g_array_append_val(out, *y++);
		}
	}
	g_array_unref(a);
	m->msgs = out;
}

void cache_folder_meta_remove(CacheFolderMeta *m, guint32 uid)
{
	guint i = lower_bound(m->msgs, uid);

	/* The flags string stays in the chunk: interned, probably shared anyway. */
	if (i < m->msgs->len && g_array_index(m->msgs, CacheMsgMeta, i).uid == uid)
		g_array_remove_index(m->msgs, i);
}

/* ---- encoding ---- */

static void put32(guint8 *p, guint32 v)
{
	v = GUINT32_TO_LE(v);
	memcpy(p, &v, 4);
}

static void put64(guint8 *p, guint64 v)
{
	v = GUINT64_TO_LE(v);
	memcpy(p, &v, 8);
}

static guint32 get32(const guint8 *p)
{
	guint32 v;

	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

static guint64 get64(const guint8 *p)
{
	guint64 v;

	memcpy(&v, p, 8);
	return GUINT64_FROM_LE(v);
}

static gboolean msgs_sorted(const GArray *msgs)
{
	for (guint i = 1; i < msgs->len; i++)
		if (g_array_index(msgs, CacheMsgMeta, i - 1).uid >=
		    g_array_index(msgs, CacheMsgMeta, i).uid)
			return FALSE;
	return TRUE;
}

/* Encodes records into BUF (room for all) and collects the distinct flag strings. */
static void encode_records(const GArray *msgs, guint8 *buf, GPtrArray *strs)
{
	g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < msgs->len; i++) {
		const CacheMsgMeta *m = &g_array_index(msgs, CacheMsgMeta, i);
		const char *flags = m->flags ? m->flags : "";
		gpointer found;
		guint32 idx;

		if (g_hash_table_lookup_extended(index, flags, NULL, &found)) {
			idx = GPOINTER_TO_UINT(found);
		} else {
			idx = strs->len;
			g_ptr_array_add(strs, (gpointer)flags);
			g_hash_table_insert(index, (gpointer)flags, GUINT_TO_POINTER(idx));
		}
		guint8 *r = buf + (gsize)i * RECORD_LEN;

		put32(r, m->uid);
		put32(r + 4, idx);
		put64(r + 8, m->size);
		put64(r + 16, (guint64)m->internaldate);
		put64(r + 24, m->modseq);
	}
}

static GByteArray *meta_encode(const char *folder, const CacheFolderMeta *meta)
{
	gsize name_len = strlen(folder), nmsgs = meta->msgs->len;
	g_autoptr(GPtrArray) strs = g_ptr_array_new();
	GByteArray *out = g_byte_array_sized_new(HEADER_LEN + name_len + nmsgs * RECORD_LEN + 4096);
	guint8 header[HEADER_LEN] = {0};
	gsize rec_off = HEADER_LEN + name_len, strtab_len = 0;
	guint8 digest[SHA1_LEN];

	g_byte_array_set_size(out, (guint)(rec_off + nmsgs * RECORD_LEN));
	encode_records(meta->msgs, out->data + rec_off, strs);
	for (guint i = 0; i < strs->len; i++) {
		const char *s = strs->pdata[i];

		g_byte_array_append(out, (const guint8 *)s, (guint)strlen(s) + 1);
		strtab_len += strlen(s) + 1;
	}
	memcpy(header, META_MAGIC, 8);
	put32(header + 8, META_VERSION);
	put32(header + 12, (guint32)name_len);
	put32(header + 16, meta->uidvalidity);
	put32(header + 20, meta->uidnext);
	put64(header + 24, meta->highestmodseq);
	put32(header + 32, (guint32)nmsgs);
	put32(header + 36, strs->len);
	put32(header + 40, (guint32)strtab_len);
	memcpy(out->data, header, HEADER_LEN);
	memcpy(out->data + HEADER_LEN, folder, name_len);

	CacheSha1 sum;

	cache_sha1_init(&sum);
	cache_sha1_update(&sum, out->data, out->len);
	cache_sha1_finish(&sum, digest);
	g_byte_array_append(out, digest, SHA1_LEN);
	return out;
}

gboolean cache_meta_save(CacheStore *c, const char *folder, const CacheFolderMeta *meta,
			 GError **error)
{
	g_return_val_if_fail(c && folder && meta && meta->msgs, FALSE);
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;

	if (!msgs_sorted(meta->msgs)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "folder metadata of %s is not sorted by uid", folder);
		return FALSE;
	}
	if (strlen(folder) > META_MAX_NAME) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "folder name too long to save its metadata");
		return FALSE;
	}
	dir = cache_folder_ensure(c, folder, error);
	if (!dir)
		return FALSE;
	path = g_build_filename(dir, "meta", NULL);
	g_autoptr(GByteArray) data = meta_encode(folder, meta);

	return cache_write_file_atomic(path, data->data, data->len, error);
}

/* ---- decoding ---- */

typedef struct {
	guint32 name_len, nmsgs, nstrings, strtab_len;
} MetaCounts;

/* Checks magic, version, sizes and the checksum of DATA (LEN bytes). */
static gboolean meta_check(const guint8 *data, gsize len, MetaCounts *n)
{
	guint8 digest[SHA1_LEN];

	if (len < HEADER_LEN + SHA1_LEN || memcmp(data, META_MAGIC, 8) != 0 ||
	    get32(data + 8) != META_VERSION)
		return FALSE;
	n->name_len = get32(data + 12);
	n->nmsgs = get32(data + 32);
	n->nstrings = get32(data + 36);
	n->strtab_len = get32(data + 40);
	/* 64-bit sum of 32-bit counts: cannot overflow. */
	if ((guint64)HEADER_LEN + n->name_len + (guint64)n->nmsgs * RECORD_LEN + n->strtab_len +
		SHA1_LEN !=
	    len)
		return FALSE;
	CacheSha1 sum;

	cache_sha1_init(&sum);
	cache_sha1_update(&sum, data, len - SHA1_LEN);
	cache_sha1_finish(&sum, digest);
	return memcmp(digest, data + len - SHA1_LEN, SHA1_LEN) == 0;
}

/* Splits the string table into exactly N NUL-terminated strings, interned in META. */
static const char **decode_strings(CacheFolderMeta *meta, const guint8 *tab, guint32 len, guint32 n)
{
	const char **strs = g_new(const char *, n ? n : 1);
	guint32 off = 0, i = 0;

	while (i < n && off < len) {
		const guint8 *end = memchr(tab + off, '\0', len - off);

		if (!end)
			break;
		strs[i++] = g_string_chunk_insert_const(meta->strings, (const char *)tab + off);
		off = (guint32)(end - tab) + 1;
	}
	if (i != n || off != len) {
		g_free(strs);
		return NULL;
	}
	return strs;
}

static gboolean decode_records(CacheFolderMeta *meta, const guint8 *rec, guint32 nmsgs,
			       const char **strs, guint32 nstrings)
{
	g_array_set_size(meta->msgs, nmsgs);
	for (guint32 i = 0; i < nmsgs; i++, rec += RECORD_LEN) {
		CacheMsgMeta *m = &g_array_index(meta->msgs, CacheMsgMeta, i);
		guint32 idx = get32(rec + 4);

		m->uid = get32(rec);
		if (idx >= nstrings || (i > 0 && m[-1].uid >= m->uid))
			return FALSE;
		m->flags = strs[idx];
		m->size = get64(rec + 8);
		m->internaldate = (gint64)get64(rec + 16);
		m->modseq = get64(rec + 24);
	}
	return TRUE;
}

static CacheFolderMeta *meta_decode(const char *folder, const guint8 *data, gsize len)
{
	MetaCounts n;

	if (!meta_check(data, len, &n) || n.name_len != strlen(folder) ||
	    memcmp(data + HEADER_LEN, folder, n.name_len) != 0)
		return NULL;
	g_autoptr(CacheFolderMeta) meta =
	    cache_folder_meta_new(get32(data + 16), get32(data + 20), get64(data + 24));
	const guint8 *rec = data + HEADER_LEN + n.name_len;
	const guint8 *tab = rec + (gsize)n.nmsgs * RECORD_LEN;
	g_autofree const char **strs = decode_strings(meta, tab, n.strtab_len, n.nstrings);

	if (!strs || !decode_records(meta, rec, n.nmsgs, strs, n.nstrings))
		return NULL;
	return g_steal_pointer(&meta);
}

/* Reads PATH whole into *DATA. FALSE with *ERRSV = errno on failure; a file above the
 * limit is reported as EFBIG. */
static gboolean read_limited(const char *path, char **data, gsize *len, int *errsv)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		*errsv = errno;
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	if ((guint64)st.st_size > META_MAX_FILE) {
		close(fd);
		*errsv = EFBIG;
		return FALSE;
	}
	g_autofree char *buf = g_malloc((gsize)st.st_size + 1);
	/* Fewer bytes when it shrank meanwhile: the checks below reject it. */
	gssize n = util_read_full(fd, buf, (gsize)st.st_size, -1);

	if (n < 0) {
		*errsv = errno;
		close(fd);
		return FALSE;
	}
	gsize got = (gsize)n;
	close(fd);
	*data = g_steal_pointer(&buf);
	*len = got;
	return TRUE;
}

CacheFolderMeta *cache_meta_load(CacheStore *c, const char *folder, GError **error)
{
	g_return_val_if_fail(c && folder, NULL);
	g_autofree char *dir = cache_folder_path(c, folder);
	g_autofree char *path = g_build_filename(dir, "meta", NULL);
	g_autofree char *data = NULL;
	CacheFolderMeta *meta = NULL;
	gsize len = 0;
	int errsv = 0;

	if (read_limited(path, &data, &len, &errsv))
		meta = meta_decode(folder, (const guint8 *)data, len);
	else if (errsv == ENOENT || errsv == ENOTDIR)
		return NULL;
	else if (errsv != EFBIG) {
		cache_set_errno(error, errsv, "cannot read folder metadata", path);
		return NULL;
	}
	if (!meta)
		g_unlink(path); /* damaged: the next save rewrites it */
	return meta;
}

gboolean cache_meta_peek_validity(const char *path, guint32 *out)
{
	guint8 header[HEADER_LEN];
	FILE *f = fopen(path, "rbe");
	gboolean ok;

	if (!f)
		return FALSE;
	ok = fread(header, 1, HEADER_LEN, f) == HEADER_LEN && memcmp(header, META_MAGIC, 8) == 0;
	fclose(f);
	if (ok)
		*out = get32(header + 16);
	return ok;
}

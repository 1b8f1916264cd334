/* imapfs cache — message bodies: store, verified open, remove.
 *
 * A body file is the body followed by a 40-byte trailer (body-trailer.h): magic, the
 * body length and a SHA-1 of the key and the body. A file whose trailer does not match
 * the key it is read under (truncated by a crash or a full disk, a flipped bit, another
 * message's file put in its place, an older format) is removed, told to the store's
 * damage function and reported as a miss: nothing wrong is ever served, and no length
 * is reported before it was checked. The trailer sits at the end so callers pread()
 * the body at its own offsets.
 */
#include "cache/body-trailer.h"
#include "cache/cache-private.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRAILER_LEN CACHE_TRAILER_LEN
#define CHUNK (128 * 1024)
/* Recency on disk only matters for eviction order after a restart: a coarse bump
 * avoids an inode write on every open. */
#define MTIME_BUMP_SECONDS 60
/* A verification is remembered only for a file whose ctime is this much in the past:
 * a later change then has a different ctime even with coarse kernel timestamps. */
#define CTIME_SETTLED_SECONDS 2

static CacheBodyKey body_key(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	return (CacheBodyKey){
	    .account = c->account, .folder = folder, .uidvalidity = uidvalidity, .uid = uid};
}

/* ---- store ---- */

static gboolean copy_from_fd(int dst, const char *tmp, int src, guint64 size, CacheSha1 *sum,
			     GError **error)
{
	g_autofree guint8 *buf = g_malloc(CHUNK);
	guint64 off = 0;

	while (off < size) {
		gsize want = (gsize)MIN((guint64)CHUNK, size - off);
		gssize n = util_read_full(src, buf, want, (gint64)off);

		if (n < 0) {
			cache_set_errno(error, errno, "cannot read body to cache for", tmp);
			return FALSE;
		}
		if (n == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
				    "body source ended at %" G_GUINT64_FORMAT
				    " of %" G_GUINT64_FORMAT " bytes",
				    off, size);
			return FALSE;
		}
		cache_sha1_update(sum, buf, (gsize)n);
		if (!cache_write_all(dst, buf, (gsize)n, tmp, error))
			return FALSE;
		off += (guint64)n;
	}
	return TRUE;
}

typedef struct {
	int src_fd;	  /* >= 0: copy from this fd */
	const void *data; /* else: from memory */
	guint64 size;
} BodySource;

static gboolean write_body(int fd, const char *tmp, const CacheBodyKey *key, const BodySource *src,
			   GError **error)
{
	CacheSha1 sum;
	guint8 trailer[TRAILER_LEN];

	cache_trailer_begin(&sum, key, src->size);
	if (src->src_fd >= 0) {
		if (!copy_from_fd(fd, tmp, src->src_fd, src->size, &sum, error))
			goto fail;
	} else {
		cache_sha1_update(&sum, src->data, src->size);
		if (!cache_write_all(fd, src->data, (gsize)src->size, tmp, error))
			goto fail;
	}
	cache_trailer_build(trailer, src->size, &sum);
	return cache_write_all(fd, trailer, TRAILER_LEN, tmp, error);
fail:
	cache_trailer_build(trailer, 0, &sum); /* frees it */
	return FALSE;
}

static gboolean check_limit(CacheStore *c, guint64 size, GError **error)
{
	if (size > G_MAXINT64 - TRAILER_LEN ||
	    (c->max_bytes && size + TRAILER_LEN > c->max_bytes)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
			    "body of %" G_GUINT64_FORMAT
			    " bytes exceeds the cache limit of %" G_GUINT64_FORMAT " bytes",
			    size, c->max_bytes);
		return FALSE;
	}
	return TRUE;
}

static gboolean body_store(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			   const BodySource *src, GError **error)
{
	g_autofree char *folder_dir = NULL;
	g_autofree char *gen_dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *tmp = NULL;
	CacheBodyKey key = body_key(c, folder, uidvalidity, uid);
	int fd;

	if (!check_limit(c, src->size, error))
		return FALSE;
	folder_dir = cache_folder_ensure(c, folder, error);
	if (!folder_dir)
		return FALSE;
	gen_dir = g_strdup_printf("%s/%u", folder_dir, uidvalidity);
	if (!cache_mkdir_private(gen_dir, error))
		return FALSE;
	fd = cache_temp_create(gen_dir, &tmp, error);
	if (fd < 0)
		return FALSE;
	if (!write_body(fd, tmp, &key, src, error)) {
		cache_temp_abort(fd, tmp);
		return FALSE;
	}
	path = g_strdup_printf("%s/%u", gen_dir, uid);
	if (!cache_temp_commit(fd, tmp, path, error))
		return FALSE;
	cache_index_touch(c, path, src->size + TRAILER_LEN, NULL);
	cache_index_set_body_len(c, path, src->size);
	cache_index_evict(c);
	return TRUE;
}

gboolean cache_body_store_fd(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			     int src_fd, guint64 size, GError **error)
{
	g_return_val_if_fail(c && folder && src_fd >= 0, FALSE);
	BodySource src = {.src_fd = src_fd, .data = NULL, .size = size};

	return body_store(c, folder, uidvalidity, uid, &src, error);
}

gboolean cache_body_store_bytes(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
				const void *data, gsize len, GError **error)
{
	g_return_val_if_fail(c && folder && (data || len == 0), FALSE);
	BodySource src = {.src_fd = -1, .data = data ? data : "", .size = len};

	return body_store(c, folder, uidvalidity, uid, &src, error);
}

/* ---- open ---- */

/* A body file found damaged: removed and told, unless another reader was first. */
static void body_damaged(CacheStore *c, const CacheBodyKey *key, const char *path,
			 const struct stat *st, CacheBodyDamage why)
{
	if (cache_index_remove_if_same(c, path, st) && c->damage_fn)
		c->damage_fn(key->folder, key->uidvalidity, key->uid, why, path, c->damage_data);
}

/* Reading a body must not write: without O_NOATIME the first read after the file was
 * written updates its atime (relatime), which dirties every inode of a folder just
 * cached and makes the file system write them all back. O_NOATIME is refused (EPERM)
 * for a file of another user; then read it as usual. */
static int open_body(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd;
}

static void bump_mtime(int fd, struct stat *st)
{
	const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};

	/* Best effort: a read-only cache still serves, it only forgets recency. */
	if (st->st_mtime < time(NULL) - MTIME_BUMP_SECONDS && futimens(fd, times) == 0)
		fstat(fd, st);
}

/* FD, the file at PATH described by ST, was just found to hold the body of LEN bytes. */
static void body_used(CacheStore *c, const char *path, int fd, struct stat *st, guint64 len)
{
	bump_mtime(fd, st);
	cache_index_touch(c, path, (guint64)st->st_size, st);
	if (st->st_ctime < time(NULL) - CTIME_SETTLED_SECONDS)
		cache_index_set_verified(c, path, st);
	cache_index_set_body_len(c, path, len);
}

/* What ST alone tells: a body file is a regular file with room for a trailer. */
static CacheBodyDamage check_shape(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return CACHE_BODY_NOT_FILE;
	return st->st_size < TRAILER_LEN ? CACHE_BODY_NO_TRAILER : 0;
}

/* Is FD (PATH, described by ST) the body of KEY? Sets *LEN. */
static CacheBodyDamage check_fd(CacheStore *c, const CacheBodyKey *key, const char *path, int fd,
				const struct stat *st, guint64 *len)
{
	CacheBodyDamage why = check_shape(st);

	if (why != 0)
		return why;
	if (cache_index_is_verified(c, path, st)) {
		*len = (guint64)st->st_size - TRAILER_LEN;
		return 0;
	}
	return cache_trailer_verify_fd(fd, (guint64)st->st_size, key, len);
}

int cache_body_open(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
		    guint64 *size_out)
{
	g_return_val_if_fail(c && folder && size_out, -1);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	CacheBodyKey key = body_key(c, folder, uidvalidity, uid);
	int fd = open_body(path);
	CacheBodyDamage why;
	struct stat st;
	guint64 len;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if ((why = check_fd(c, &key, path, fd, &st, &len)) != 0) {
		body_damaged(c, &key, path, &st, why);
		close(fd);
		return -1;
	}
	body_used(c, path, fd, &st, len);
	*size_out = len;
	return fd;
}

void cache_body_prefetch(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	g_return_if_fail(c && folder);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	int fd;

	if (!cache_index_has(c, path) || (fd = open_body(path)) < 0)
		return;
	posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

gboolean cache_body_has(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	g_return_val_if_fail(c && folder, FALSE);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);

	return cache_index_has(c, path);
}

/* Reads FD (PATH, described by ST) whole into *BUF and checks it is the body of KEY,
 * in one read for the body and its trailer: the check costs no extra I/O. */
static CacheBodyDamage load_fd(CacheStore *c, const CacheBodyKey *key, const char *path, int fd,
			       const struct stat *st, guint8 **buf, guint64 *len)
{
	g_autofree guint8 *data = NULL;
	CacheBodyDamage why = check_shape(st);

	if (why != 0)
		return why;
	data = g_malloc((gsize)st->st_size);
	if (!cache_read_exact(fd, data, (gsize)st->st_size, 0))
		return CACHE_BODY_UNREADABLE;
	if (cache_index_is_verified(c, path, st))
		*len = (guint64)st->st_size - TRAILER_LEN;
	else
		why = cache_trailer_verify_buf(data, (guint64)st->st_size, key, len);
	if (why == 0)
		*buf = g_steal_pointer(&data);
	return why;
}

GBytes *cache_body_load(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			guint64 max_size)
{
	g_return_val_if_fail(c && folder, NULL);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	CacheBodyKey key = body_key(c, folder, uidvalidity, uid);
	int fd = open_body(path);
	guint8 *buf = NULL;
	CacheBodyDamage why;
	struct stat st;
	guint64 len;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || (S_ISREG(st.st_mode) && st.st_size >= TRAILER_LEN &&
				    (guint64)st.st_size - TRAILER_LEN > max_size)) {
		close(fd); /* too big to hold: cache_body_open() reads it in place */
		return NULL;
	}
	if ((why = load_fd(c, &key, path, fd, &st, &buf, &len)) != 0) {
		body_damaged(c, &key, path, &st, why);
		close(fd);
		return NULL;
	}
	body_used(c, path, fd, &st, len);
	close(fd);
	return g_bytes_new_take(buf, (gsize)len);
}

gboolean cache_body_peek(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			 guint64 *size_out)
{
	g_return_val_if_fail(c && folder && size_out, FALSE);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);

	return cache_index_body_len(c, path, size_out);
}

void cache_body_remove(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	g_return_if_fail(c && folder);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);

	cache_index_remove_file(c, path);
}

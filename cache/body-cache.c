/* imapfs cache — message bodies: store, verified open, remove.
 *
 * A body file is the body followed by a 40-byte trailer: magic, the body length and the
 * SHA-1 of the body. A file whose trailer does not match (truncated by a crash or a full
 * disk, a flipped bit) is removed and reported as a miss: nothing wrong is ever served.
 * The trailer sits at the end so callers pread() the body at its own offsets.
 */
#include "cache/sha1.h"
#include "cache/cache-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRAILER_MAGIC "IMFSBOD1"
#define MAGIC_LEN 8
#define SHA1_LEN 20
#define TRAILER_LEN 40 /* magic 8, length 8 (LE), SHA-1 20, reserved 4 */
#define CHUNK (128 * 1024)
/* Recency on disk only matters for eviction order after a restart: a coarse bump
 * avoids an inode write on every open. */
#define MTIME_BUMP_SECONDS 60
/* A verification is remembered only for a file whose ctime is this much in the past:
 * a later change then has a different ctime even with coarse kernel timestamps. */
#define CTIME_SETTLED_SECONDS 2

/* Finishes SUM into the trailer of a body of LEN bytes. */
static void trailer_build(guint8 out[TRAILER_LEN], guint64 len, CacheSha1 *sum)
{
	guint64 le = GUINT64_TO_LE(len);

	memset(out, 0, TRAILER_LEN);
	memcpy(out, TRAILER_MAGIC, MAGIC_LEN);
	memcpy(out + MAGIC_LEN, &le, sizeof(le));
	cache_sha1_finish(sum, out + MAGIC_LEN + 8);
}

/* ---- store ---- */

static gboolean copy_from_fd(int dst, const char *tmp, int src, guint64 size, CacheSha1 *sum,
			     GError **error)
{
	g_autofree guint8 *buf = g_malloc(CHUNK);
	guint64 off = 0;

	while (off < size) {
		gsize want = (gsize)MIN((guint64)CHUNK, size - off);
		ssize_t n = pread(src, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
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

static gboolean write_body(int fd, const char *tmp, const BodySource *src, GError **error)
{
	CacheSha1 sum;
	guint8 trailer[TRAILER_LEN];

	cache_sha1_init(&sum);
	if (src->src_fd >= 0) {
		if (!copy_from_fd(fd, tmp, src->src_fd, src->size, &sum, error))
			goto fail;
	} else {
		cache_sha1_update(&sum, src->data, src->size);
		if (!cache_write_all(fd, src->data, (gsize)src->size, tmp, error))
			goto fail;
	}
	trailer_build(trailer, src->size, &sum);
	return cache_write_all(fd, trailer, TRAILER_LEN, tmp, error);
fail:
	trailer_build(trailer, 0, &sum); /* frees it */
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
	if (!write_body(fd, tmp, src, error)) {
		cache_temp_abort(fd, tmp);
		return FALSE;
	}
	path = g_strdup_printf("%s/%u", gen_dir, uid);
	if (!cache_temp_commit(fd, tmp, path, error))
		return FALSE;
	cache_index_touch(c, path, src->size + TRAILER_LEN, NULL);
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

static gboolean read_exact(int fd, void *buf, gsize len, off_t off)
{
	guint8 *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
		off += n;
	}
	return TRUE;
}

/* TRUE when TRAILER (the last bytes of a file of FILE_SIZE) is one; sets *LEN. */
static gboolean trailer_plausible(const guint8 *trailer, guint64 file_size, guint64 *len)
{
	guint64 le;

	memcpy(&le, trailer + MAGIC_LEN, sizeof(le));
	*len = GUINT64_FROM_LE(le);
	return memcmp(trailer, TRAILER_MAGIC, MAGIC_LEN) == 0 && *len == file_size - TRAILER_LEN;
}

/* TRUE when BUF, a whole file of FILE_SIZE bytes, holds a body matching its trailer. */
static gboolean body_verify_buf(const guint8 *buf, guint64 file_size)
{
	guint8 expect[TRAILER_LEN];
	CacheSha1 sum;
	guint64 len;

	if (file_size < TRAILER_LEN ||
	    !trailer_plausible(buf + file_size - TRAILER_LEN, file_size, &len))
		return FALSE;
	cache_sha1_init(&sum);
	cache_sha1_update(&sum, buf, len);
	trailer_build(expect, len, &sum);
	return memcmp(buf + len, expect, TRAILER_LEN) == 0;
}

/* TRUE when the file FD of FILE_SIZE bytes holds a body matching its trailer. */
static gboolean body_verify(int fd, guint64 file_size, guint64 *body_len)
{
	guint8 trailer[TRAILER_LEN], expect[TRAILER_LEN];
	CacheSha1 sum;
	g_autofree guint8 *buf = g_malloc(CHUNK);
	guint64 len;

	if (file_size < TRAILER_LEN ||
	    !read_exact(fd, trailer, TRAILER_LEN, (off_t)(file_size - TRAILER_LEN)) ||
	    !trailer_plausible(trailer, file_size, &len))
		return FALSE;
	cache_sha1_init(&sum);
	for (guint64 off = 0; off < len;) {
		gsize n = (gsize)MIN((guint64)CHUNK, len - off);

		if (!read_exact(fd, buf, n, (off_t)off)) {
			trailer_build(expect, 0, &sum); /* frees it */
			return FALSE;
		}
		cache_sha1_update(&sum, buf, n);
		off += n;
	}
	trailer_build(expect, len, &sum);
	if (memcmp(trailer, expect, TRAILER_LEN) != 0)
		return FALSE;
	*body_len = len;
	return TRUE;
}

/* Removes PATH only if it is still the file FD refers to (not a fresh replacement). */
static void remove_damaged(CacheStore *c, const char *path, const struct stat *st)
{
	struct stat now;

	if (lstat(path, &now) == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev)
		cache_index_remove_file(c, path);
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

int cache_body_open(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
		    guint64 *size_out)
{
	g_return_val_if_fail(c && folder && size_out, -1);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	int fd = open_body(path);
	struct stat st;
	guint64 len;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < TRAILER_LEN) {
		remove_damaged(c, path, &st);
		close(fd);
		return -1;
	}
	len = (guint64)st.st_size - TRAILER_LEN;
	if (!cache_index_is_verified(c, path, &st) && !body_verify(fd, (guint64)st.st_size, &len)) {
		remove_damaged(c, path, &st);
		close(fd);
		return -1;
	}
	bump_mtime(fd, &st);
	cache_index_touch(c, path, (guint64)st.st_size, &st);
	if (st.st_ctime < time(NULL) - CTIME_SETTLED_SECONDS)
		cache_index_set_verified(c, path, &st);
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

GBytes *cache_body_load(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			guint64 max_size)
{
	g_return_val_if_fail(c && folder, NULL);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	int fd = open_body(path);
	g_autofree guint8 *buf = NULL;
	struct stat st;
	guint64 len;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || (S_ISREG(st.st_mode) && st.st_size >= TRAILER_LEN &&
				    (guint64)st.st_size - TRAILER_LEN > max_size)) {
		close(fd); /* too big to hold: cache_body_open() reads it in place */
		return NULL;
	}
	/* One read for the body and its trailer: the check costs no extra I/O. */
	if (S_ISREG(st.st_mode) && st.st_size >= TRAILER_LEN) {
		buf = g_malloc((gsize)st.st_size);
		if (!read_exact(fd, buf, (gsize)st.st_size, 0) ||
		    (!cache_index_is_verified(c, path, &st) &&
		     !body_verify_buf(buf, (guint64)st.st_size)))
			g_clear_pointer(&buf, g_free);
	}
	if (!buf) {
		remove_damaged(c, path, &st);
		close(fd);
		return NULL;
	}
	bump_mtime(fd, &st);
	close(fd);
	cache_index_touch(c, path, (guint64)st.st_size, &st);
	if (st.st_ctime < time(NULL) - CTIME_SETTLED_SECONDS)
		cache_index_set_verified(c, path, &st);
	len = (guint64)st.st_size - TRAILER_LEN;
	return g_bytes_new_take(g_steal_pointer(&buf), (gsize)len);
}

gboolean cache_body_peek(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			 guint64 *size_out)
{
	g_return_val_if_fail(c && folder && size_out, FALSE);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);
	guint64 disk = 0;

	if (!cache_index_size(c, path, &disk) || disk < TRAILER_LEN)
		return FALSE;
	*size_out = disk - TRAILER_LEN;
	return TRUE;
}

void cache_body_remove(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid)
{
	g_return_if_fail(c && folder);
	g_autofree char *path = cache_body_path(c, folder, uidvalidity, uid);

	cache_index_remove_file(c, path);
}

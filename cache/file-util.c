/* imapfs cache — writing files atomically and removing trees.
 *
 * Every cache file is written to a temporary file in its final directory and renamed
 * into place, so a reader (or the next run after a crash) sees the old file or the new
 * one, never a partial one; a failed write removes its temporary file.
 *
 * No fsync: after a power loss a renamed file may come back empty or short, and the
 * integrity checks (body trailer, metadata checksum) turn that into a miss. Syncing every
 * cached body would cost more than refetching the few lost ones.
 */
#include "cache/cache-private.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

void cache_set_errno(GError **error, int errsv, const char *what, const char *path)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s %s: %s", what, path,
		    g_strerror(errsv));
}

gboolean cache_mkdir_private(const char *path, GError **error)
{
	struct stat st;

	if (mkdir(path, 0700) == 0) {
		/* The umask may have removed bits we want (never added any). */
		if (chmod(path, 0700) != 0) {
			cache_set_errno(error, errno, "cannot set mode of", path);
			return FALSE;
		}
		return TRUE;
	}
	if (errno != EEXIST) {
		cache_set_errno(error, errno, "cannot create cache directory", path);
		return FALSE;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cache_set_errno(error, ENOTDIR, "cannot use cache directory", path);
		return FALSE;
	}
	/* Made by hand or an older version with a loose umask: mail stays private. Best
	 * effort, as a directory of another user is not ours to change. */
	if ((st.st_mode & 077) && st.st_uid == geteuid())
		chmod(path, 0700);
	return TRUE;
}

int cache_temp_create(const char *dir, char **tmp_path, GError **error)
{
	g_autofree char *tmpl = g_strdup_printf("%s/" CACHE_TMP_PREFIX "XXXXXX", dir);
	int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		cache_set_errno(error, errno, "cannot create cache file in", dir);
		return -1;
	}
	if (fchmod(fd, 0600) != 0) {
		int errsv = errno;

		cache_temp_abort(fd, tmpl);
		cache_set_errno(error, errsv, "cannot set mode of", tmpl);
		return -1;
	}
	*tmp_path = g_steal_pointer(&tmpl);
	return fd;
}

gboolean cache_write_all(int fd, const void *data, gsize len, const char *path, GError **error)
{
	if (util_write_full(fd, data, len, -1))
		return TRUE;
	cache_set_errno(error, errno, "cannot write cache file", path);
	return FALSE;
}

gboolean cache_read_exact(int fd, void *buf, gsize len, off_t off)
{
	return util_read_full(fd, buf, len, off) == (gssize)len;
}

void cache_temp_abort(int fd, const char *tmp_path)
{
	int errsv = errno;

	if (fd >= 0)
		close(fd);
	g_unlink(tmp_path);
	errno = errsv;
}

gboolean cache_temp_commit(int fd, const char *tmp_path, const char *final_path, GError **error)
{
	/* close() can report a delayed write error (NFS, quota): the file is then bad. */
	if (close(fd) != 0) {
		cache_set_errno(error, errno, "cannot write cache file", tmp_path);
		cache_temp_abort(-1, tmp_path);
		return FALSE;
	}
	if (rename(tmp_path, final_path) != 0) {
		cache_set_errno(error, errno, "cannot rename cache file to", final_path);
		cache_temp_abort(-1, tmp_path);
		return FALSE;
	}
	return TRUE;
}

gboolean cache_write_file_atomic(const char *path, const void *data, gsize len, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *tmp = NULL;
	int fd = cache_temp_create(dir, &tmp, error);

	if (fd < 0)
		return FALSE;
	if (!cache_write_all(fd, data, len, tmp, error)) {
		cache_temp_abort(fd, tmp);
		return FALSE;
	}
	return cache_temp_commit(fd, tmp, path, error);
}

void cache_remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (!dir) {
		g_unlink(path);
		return;
	}
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		struct stat st;

		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			cache_remove_tree(child);
		else
			g_unlink(child);
	}
	g_dir_close(dir);
	g_rmdir(path);
}

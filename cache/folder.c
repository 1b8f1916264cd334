/* imapfs cache — a folder's directory: dropping it, dropping stale UIDVALIDITY
 * generations (paths.c creates it).
 *
 * Bodies are keyed by UIDVALIDITY too, so a body of an old generation is never served
 * for the new one even before it is dropped; dropping only reclaims the space.
 */
#include "cache/cache-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

void cache_folder_drop(CacheStore *c, const char *folder)
{
	g_autofree char *path = cache_folder_path(c, folder);

	cache_index_drop_tree(c, path);
}

static void drop_meta_if_other(const char *folder_path, guint32 current)
{
	g_autofree char *meta = g_build_filename(folder_path, "meta", NULL);
	guint32 v;

	if (cache_meta_peek_validity(meta, &v) && v != current)
		g_unlink(meta);
}

void cache_folder_drop_other_validity(CacheStore *c, const char *folder, guint32 current)
{
	g_autofree char *path = cache_folder_path(c, folder);
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	guint32 v;

	if (!dir)
		return;
	while ((name = g_dir_read_name(dir))) {
		if (!cache_parse_u32(name, &v) || v == current)
			continue;
		g_autofree char *gen = g_build_filename(path, name, NULL);

		cache_index_drop_tree(c, gen);
	}
	g_dir_close(dir);
	drop_meta_if_other(path, current);
}

gboolean cache_folder_time_get(CacheStore *c, const char *folder, gint64 *out)
{
	g_autofree char *dir = cache_folder_path(c, folder);
	g_autofree char *path = g_build_filename(dir, "time", NULL);
	g_autofree char *text = NULL;
	char *end = NULL;
	gint64 t;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	t = g_ascii_strtoll(text, &end, 10);
	if (end == text || (*end && *end != '\n'))
		return FALSE;
	*out = t;
	return TRUE;
}

gboolean cache_folder_time_set(CacheStore *c, const char *folder, gint64 t, GError **error)
{
	g_autofree char *dir = cache_folder_ensure(c, folder, error);
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;

	if (!dir)
		return FALSE;
	path = g_build_filename(dir, "time", NULL);
	text = g_strdup_printf("%" G_GINT64_FORMAT "\n", t);
	return cache_write_file_atomic(path, text, strlen(text), error);
}

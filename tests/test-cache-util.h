/* imapfs tests — helpers for the tests of cache/ (which hides its paths on purpose). */
#pragma once

#include <glib.h>
#include <string.h>

#include "cache/cache.h"

/* The file FILE ("meta", "names", ...) of FOLDER in STORE: the one next to a "name" file
 * holding FOLDER. A new string, or NULL when the folder has no directory. */
static inline char *test_cache_folder_file(CacheStore *store, const char *folder, const char *file)
{
	g_autofree char *fdir = g_build_filename(cache_store_path(store), "f", NULL);
	GDir *dir = g_dir_open(fdir, 0, NULL);
	const char *entry;
	char *found = NULL;

	while (dir && !found && (entry = g_dir_read_name(dir))) {
		g_autofree char *name_file = g_build_filename(fdir, entry, "name", NULL);
		g_autofree char *name = NULL;

		if (g_file_get_contents(name_file, &name, NULL, NULL) && strcmp(name, folder) == 0)
			found = g_build_filename(fdir, entry, file, NULL);
	}
	if (dir)
		g_dir_close(dir);
	return found;
}

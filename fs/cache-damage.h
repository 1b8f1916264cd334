/* imapfs fs — the log line for a damaged body found in the on-disk cache. */
#pragma once

#include <glib.h>

#include "cache/cache.h"

G_BEGIN_DECLS

/* A CacheDamageFunc (cache_store_set_damage_func) with DATA the FsMount: one warning
 * line per damaged file, naming the folder, the UID and what was wrong; files of an
 * older cache format are not damage, so they get one line for the whole mount. */
void fs_cache_damage_log(const char *folder, guint32 uidvalidity, guint32 uid, CacheBodyDamage why,
			 const char *path, gpointer data);

G_END_DECLS

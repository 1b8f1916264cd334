/* imapfs fs — the log line for a damaged body found in the on-disk cache.
 * The cache has already dropped the file; the read that found it fetches the body from
 * the server, so the user gets the right bytes and the log says why it cost a FETCH. */
#include "fs/cache-damage.h"

#include "fs/mount.h"

void fs_cache_damage_log(const char *folder, guint32 uidvalidity, guint32 uid, CacheBodyDamage why,
			 const char *path, gpointer data)
{
	FsMount *m = data;

	if (why == CACHE_BODY_OLD_FORMAT) {
		/* After an upgrade every cached body is one: one line, not one per file. */
		if (g_atomic_int_compare_and_exchange(&m->cache_old_warned, 0, 1))
			g_printerr("imapfs: the cache holds bodies written by an older imapfs "
				   "(first: folder \"%s\", UID %u); each is dropped when read and "
				   "fetched again from the server\n",
				   folder, uid);
		return;
	}
	g_printerr("imapfs: warning: folder \"%s\", UID %u (UIDVALIDITY %u): dropped the "
		   "cached body, %s; fetching it again from the server (cache file %s)\n",
		   folder, uid, uidvalidity, cache_body_damage_describe(why), path);
}

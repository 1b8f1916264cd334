/* imapfs fs — fetched bodies held in memory while one background thread writes them
 * to the cache.
 *
 * Writing a cache file costs a create and a rename in one directory; 10,000 of them
 * take 1.5-5 s on the test machines, and several fetch threads writing into the same
 * directory mostly spin on its lock. So the fetchers only hand their bodies over, the
 * reader is served from memory, and a single writer stores them in fetch order.
 *
 * Bounds: bodies not yet written are at most MAX_BYTES (fs_spool_put() waits for the
 * writer beyond that, which slows the fetchers down to the disk's pace); written bodies
 * stay readable from memory until MAX_HELD bytes of newer written ones push them out.
 *
 * Ownership: the spool holds a reference to each body; fs_spool_get() returns a new
 * one. CACHE is borrowed and must outlive the spool. Thread safe.
 */
#pragma once

#include <glib.h>
#include "cache/cache.h"
#include "imap/body.h"

G_BEGIN_DECLS

typedef struct FsSpool FsSpool;

/* Called (on the writer thread) when the cache refuses a body. */
typedef void (*FsSpoolWarn)(const GError *error, gpointer data);

FsSpool *fs_spool_new(CacheStore *cache, guint64 max_bytes, guint64 max_held, FsSpoolWarn warn,
		      gpointer data);
/* Writes what is still queued, then stops the writer; accepts NULL. */
void fs_spool_free(FsSpool *s);

/* Holds BODY of UID and queues it for the cache; a body already held is kept. */
void fs_spool_put(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid,
		  ImapBody *body);
/* A new reference to the held body of UID, or NULL. */
ImapBody *fs_spool_get(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid);
gboolean fs_spool_has(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid);

G_END_DECLS

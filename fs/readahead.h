/* imapfs fs — read-ahead of message bodies into the cache, in the background.
 *
 * grep -r, tar and rsync open a folder's files in name (= UID) order. The open that
 * misses fetches a burst of messages itself (read.c); this module keeps going: while
 * the reader consumes a burst, the next bursts are already being fetched on other pool
 * connections and stored in the cache, so the reader's opens are cache hits and the
 * round trips overlap instead of adding up (on a 20 ms link a burst per round trip
 * caps a reader at burst/20 ms).
 *
 * A UID being fetched in the background is "in flight": an open of it waits for that
 * fetch instead of fetching it again. Fetched bodies go to a spool (spool.h): held in
 * memory, where the reader gets them at once, while one thread writes the cache.
 * Read-ahead starts on a cache miss and stops when it finds the rest of the folder
 * cached, so reading a cached folder costs nothing.
 *
 * Threads: a GThreadPool of at most connections - 1 workers (one connection stays for
 * the foreground). Ownership: the FsReadAhead belongs to the mount; fs_readahead_free()
 * waits for running fetches and must be called before the pool, folders and cache go.
 */
#pragma once

#include <glib.h>
#include "cache/cache.h"
#include "mail/folder.h"
#include "imap/pool.h"
#include "mail/stats.h"
#include "imap/body.h"

G_BEGIN_DECLS

typedef struct FsReadAhead FsReadAhead;

/* Messages and bytes per background burst; at most this many bursts per folder ahead. */
#define FS_READAHEAD_MSGS 128
#define FS_READAHEAD_BYTES (8 * 1024 * 1024)
#define FS_READAHEAD_BURSTS 2

/* NULL (no read-ahead) without a cache or with fewer than 2 connections. POOL, CACHE
 * and STATS are borrowed and must outlive the FsReadAhead. */
FsReadAhead *fs_readahead_new(ImapPool *pool, CacheStore *cache, MailStats *stats,
			      guint connections);
void fs_readahead_free(FsReadAhead *ra); /* waits for running bursts; accepts NULL */

/* The reader opened (or fetched) UID of MAILBOX: start the next bursts when the
 * fetched window ends soon after UID. LAST_FETCHED: the highest UID the caller's own
 * burst fetched (0 if none). */
void fs_readahead_note(FsReadAhead *ra, MailFolder *f, guint32 uidvalidity, guint32 uid,
		       guint32 last_fetched);

/* TRUE when UID is being fetched in the background; waits until it is done, so the
 * caller can then look in the cache. */
gboolean fs_readahead_wait(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid);

/* Is UID in flight (without waiting)? For the foreground burst, which leaves it out. */
gboolean fs_readahead_in_flight(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity,
				guint32 uid);

/* Hands BODY of UID (fetched by the caller) to the background cache writer, which
 * keeps it readable from memory meanwhile; FALSE (nothing done) when RA is NULL. MOUNT
 * (the FsMount, which includes this header) is borrowed for its one cache warning and
 * must outlive RA. BODY: a reference is taken. */
gboolean fs_readahead_keep(FsReadAhead *ra, gpointer mount, const char *mailbox,
			   guint32 uidvalidity, guint32 uid, ImapBody *body);

/* A new reference to a fetched body still held in memory, or NULL (also for RA NULL). */
ImapBody *fs_readahead_body(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid);

G_END_DECLS

/* imapfs fs — the text of `imapfs status`: what a running mount says about itself in the
 * root's xattr user.imapfs.status (fs/xattr.c), read by fs/status-cmd.c. It is given
 * the parts of the mount it reads (FsStatusSource), not the mount, so that it stays out
 * of fs/'s circle of units (scripts/check-layers).
 *
 * Lines "NAME: VALUE" (server, security, connections, watching, watched, cache, bodies,
 * listings, outbox), then "last errors:" and up to FS_LOG_RECENT indented lines with
 * their times. Everything comes from the mount's own state: options, MailStats, the cache,
 * the recently used folders and the log's recent lines; nothing is asked of the server.
 *
 * Ownership: the string is the caller's (g_free).
 */
#pragma once

#include <time.h>
#include "cache/cache.h"
#include "imap/pool.h"
#include "mail/folder.h"
#include "fs/log.h"
#include "conf/options.h"
#include "mail/stats.h"

G_BEGIN_DECLS

#define FS_XATTR_STATUS "user.imapfs.status"

/* Borrowed from the mount for one call. */
typedef struct {
	const ConfOptions *opts;
	MailStats *stats;
	CacheStore *cache; /* NULL: none */
	MailFolders *folders;
	FsLogLimit *log;
	gboolean outbox; /* the mount has one */
	time_t started;
	ImapPool *pool; /* NULL: not counted */
} FsStatusSource;

char *fs_status_format(const FsStatusSource *src);

G_END_DECLS

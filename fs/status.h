/* imapfs fs — the text of `imapfs status`: what a running mount says about itself in the
 * root's xattr user.imapfs.status (fs/xattr.c), read by fs/status-cmd.c.
 *
 * Lines "NAME: VALUE" (server, security, connections, watching, watched, cache, bodies,
 * listings, outbox), then "last errors:" and up to FS_LOG_RECENT indented lines with
 * their times. Everything comes from the mount's own state: options, FsStats, the cache,
 * the recently used folders and the log's recent lines; nothing is asked of the server.
 *
 * Ownership: the string is the caller's (g_free).
 */
#pragma once

#include "fs/mount.h"

G_BEGIN_DECLS

#define FS_XATTR_STATUS "user.imapfs.status"

char *fs_status_format(FsMount *m);

G_END_DECLS

/* imapfs fs — `imapfs status MOUNTPOINT` (or `imapfs --status MOUNTPOINT`): prints what
 * the mount's user.imapfs.status xattr holds (fs/status.h). Runs without the daemon's
 * options or config: the mount answers for itself.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Is ARGV a status command ("status" or "--status" first)? */
gboolean fs_status_wanted(int argc, char **argv);

/* Prints the status of the mount ARGV names; the exit status: 0, or 1 with a line on
 * stderr saying why (usage, not an imapfs mount, unreadable). */
int fs_status_run(int argc, char **argv);

G_END_DECLS

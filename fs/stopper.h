/* imapfs fs — cutting stalled connections once the mount is stopping.
 *
 * An unmount or SIGTERM ends the FUSE loop only when every request in progress has
 * been answered, and a request waiting on a stalled server (a FETCH, the watcher's
 * reload of a large folder) would hold it for the whole I/O timeout: imapfs took 30 s to
 * exit, and ignored SIGTERM while a reload ran. The stopper is a thread that notices the
 * session is exiting and from then on cuts the connection of every session in use
 * (imap_pool_abort_busy), until it is stopped, so those requests fail at once.
 *
 * Ownership: fs_stopper_start() returns a new stopper; fs_stopper_stop() joins and
 * frees it. The session and the pool are borrowed and must outlive it.
 */
#pragma once

#include "fs/mount.h" /* FUSE_USE_VERSION, fuse_lowlevel.h */
#include "imap/pool.h"

G_BEGIN_DECLS

typedef struct FsStopper FsStopper;

FsStopper *fs_stopper_start(struct fuse_session *se, ImapPool *pool);
void fs_stopper_stop(FsStopper *st); /* accepts NULL */

G_END_DECLS

/* imapfs fs — the watcher: other clients' changes, seen while nobody lists.
 *
 * One thread with one IMAP connection of its own, outside the request pool (so a busy
 * pool never delays it and it never delays a request). It keeps an eye on the
 * MAIL_WATCH_MAX folders most recently used (mail_folders_recent: looked up, listed,
 * opened, stat'ed), whose tables are loaded. Folders nobody touched lately are left to
 * the revalidation that every listing does anyway.
 *
 * How it notices a change, depending on the server:
 * - NOTIFY (RFC 5465) with CONDSTORE: `NOTIFY SET (personal (MessageNew MessageExpunge
 *   FlagChange))`, then IDLE; whatever the server sends starts a STATUS round at once.
 *   A round also runs every FS_WATCH_SAFETY_US in case a notification fell between two
 *   IDLE windows.
 * - otherwise: EXAMINE the most recently used folder and IDLE on it (NOOP once a
 *   second without IDLE), where EXISTS/EXPUNGE/VANISHED/FETCH say it changed, plus a
 *   STATUS round of the other watched folders every second (a poll).
 * A STATUS round compares each folder's (UIDVALIDITY, UIDNEXT, MESSAGES, UNSEEN,
 * HIGHESTMODSEQ) with what its table implies (mail_folder_status) and with the previous
 * answer; a folder that changed is revalidated (mail/folder.c, through the pool) and the
 * kernel's caches for it invalidated (fs/notify.c, which queues them to its own
 * thread: the watcher holds no lock a kernel callback needs).
 *
 * Without CONDSTORE a flag change other than \Seen is invisible to STATUS: it is seen
 * live only in the EXAMINEd folder, elsewhere at the next listing's revalidation.
 *
 * A lost connection is re-established with a backoff doubling from 0.1 s to 5 s.
 * Nothing is printed: failures go to g_debug (the mount's other requests report them).
 *
 * Ownership: fs_watch_start() returns a handle that fs_watch_stop() (LOGOUT, join,
 * free; accepts NULL) must be given before the mount's folders, pool and notifier go.
 */
#pragma once

#include "fs/mount.h"

G_BEGIN_DECLS

#define FS_WATCH_WINDOW_MS 1000 /* IDLE/NOOP period: also how soon stop is noticed */
#define FS_WATCH_SAFETY_US (10 * G_USEC_PER_SEC)

typedef struct FsWatch FsWatch;

FsWatch *fs_watch_start(FsMount *m);
void fs_watch_stop(FsWatch *w);

G_END_DECLS

/* imapfs fs — going to the background without losing GLib's threads.
 *
 * fuse_daemonize() forks once the mount is up, but by then logging in has started GLib/GIO
 * threads (the worker thread that watches GSubprocess children such as a tunnel, resolver
 * and thread pools), and threads do not survive fork(): the daemon would wait forever for
 * a tunnel to exit or for a lookup. So imapfs forks first, before anything that may start a
 * thread, and the parent stays in the foreground until the child has mounted:
 *
 *   fs_daemon_start()  forks (unless FOREGROUND); only the child returns, with its end of
 *                      the pipe to the waiting parent (-1 in the foreground): main() keeps
 *                      it for fs_daemon_ready(). The parent waits and exits 0 once the
 *                      child calls fs_daemon_ready(), or with the child's own exit status
 *                      when it exits first (a failed login, whose message the child
 *                      printed on the still shared stderr).
 *   fs_daemon_ready()  in the child, after the mount: new session, cwd "/", stdin/stdout/
 *                      stderr on /dev/null, then the parent is let go through *READY_FD,
 *                      which is closed and set to -1. In the foreground
 *                      only the cwd changes, as with fuse_daemonize(). The log lines go
 *                      to syslog or a file from then on (fs_log_start(), fs/log.h).
 *
 * Not thread safe: call both from main() only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int fs_daemon_start(gboolean foreground);
void fs_daemon_ready(int *ready_fd);

/* Threads of this process (from /proc/self/status); 0 if unknown. */
guint fs_daemon_thread_count(void);

G_END_DECLS

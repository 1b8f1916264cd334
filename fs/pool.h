/* imapfs fs — a fixed number of IMAP sessions shared by the FUSE worker threads.
 *
 * fs_pool_acquire() hands out a free session, preferring one that already has the
 * wanted mailbox selected (so a read does not pay an EXAMINE), and blocks while all are
 * busy. A session that is no longer usable (BYE, EOF, timeout) is replaced by a new
 * connection when it is next handed out, paced by an exponential backoff (0.1 s doubling
 * to 5 s, shared by all slots) while connecting fails. Sessions are only ever put in EXAMINE
 * (read-only) state by fs_pool_examine(): reading never sets \Seen.
 *
 * Ownership: the pool owns its sessions and a copy of the config (password wiped on
 * free). An acquired session must be given back with fs_pool_release() and never freed.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"
#include "imap/session.h"

G_BEGIN_DECLS

typedef struct FsPool FsPool;

/* FIRST (may be NULL) is an already open session the pool takes over. */
FsPool *fs_pool_new(const ImapConfig *cfg, guint size, ImapSession *first);
/* LOGOUT every session and free; accepts NULL. No session may be acquired. */
void fs_pool_free(FsPool *p);

/* Called with a private copy of the config before each new connection, to put fresh
 * credentials in (an OAuth2 token that expires); FALSE (with error) fails the acquire. */
typedef gboolean (*FsPoolConnectFunc)(ImapConfig *cfg, gpointer data, GError **error);
void fs_pool_set_before_connect(FsPool *p, FsPoolConnectFunc fn, gpointer data);

/* -o keepalive: a session idle for longer than SECONDS gets a NOOP when it is next handed
 * out, and a new connection if that fails (0: never). Set before first use. */
void fs_pool_set_keepalive(FsPool *p, guint seconds);

ImapSession *fs_pool_acquire(FsPool *p, const char *mailbox, GError **error);
void fs_pool_release(FsPool *p, ImapSession *s);
/* The mount is going away: every session handed out now has its connection cut, so the
 * requests waiting on a stalled server return at once (sessions acquired later work as
 * before: what is left to send at unmount still goes). */
void fs_pool_abort_busy(FsPool *p);

/* Call before fs_pool_release() after a command failed: TRUE (and *error cleared) when
 * the connection died under it (BYE, EOF, reset), so the caller should try again on a
 * fresh connection; ATTEMPT counts from 0, and after the third dropped attempt the
 * error stands. Only for idempotent commands (fetches, listings, EXAMINE): a write
 * whose reply was lost may have been done already. */
gboolean fs_pool_should_retry(ImapSession *s, int attempt, GError **error);

/* A new session with the pool's configuration, outside the pool's slots (the watcher's
 * connection). The caller owns it (imap_session_logout) and paces its own retries. */
ImapSession *fs_pool_open_session(FsPool *p, GError **error);

/* EXAMINE MAILBOX unless the session has it selected already (then *fresh = FALSE and
 * info is untouched). */
gboolean fs_pool_examine(ImapSession *s, const char *mailbox, ImapSelectInfo *info, gboolean *fresh,
			 GError **error);
/* The same, for commands by UID under UIDVALIDITY: FALSE with G_IO_ERROR_NOT_FOUND when
 * the mailbox has another one now, whether it was selected by this call or before (a
 * pooled session another thread selected after the change knows only the new one):
 * its UIDs name other messages, and their bytes must never stand for the old ones. */
gboolean fs_pool_examine_uidv(ImapSession *s, const char *mailbox, guint32 uidvalidity,
			      gboolean *fresh, GError **error);

G_END_DECLS

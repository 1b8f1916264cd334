/* imapfs — a fixed number of IMAP sessions shared by the threads that make requests.
 *
 * imap_pool_acquire() hands out a free session, preferring one that already has the
 * wanted mailbox selected (so a read does not pay an EXAMINE), and blocks while all are
 * busy. A session that is no longer usable (BYE, EOF, timeout) is replaced by a new
 * connection when it is next handed out, paced by an exponential backoff (0.1 s doubling
 * to 5 s, shared by all slots) while connecting fails. Sessions are only ever put in EXAMINE
 * (read-only) state by imap_pool_examine(): reading never sets \Seen.
 *
 * Ownership: the pool owns its sessions and a copy of the config (password wiped on
 * free). An acquired session must be given back with imap_pool_release() and never freed.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"
#include "imap/session.h"

G_BEGIN_DECLS

typedef struct ImapPool ImapPool;

/* FIRST (may be NULL) is an already open session the pool takes over. */
ImapPool *imap_pool_new(const ImapConfig *cfg, guint size, ImapSession *first);
/* LOGOUT every session and free; accepts NULL. No session may be acquired. */
void imap_pool_free(ImapPool *p);

/* Called with a private copy of the config before each new connection, to put fresh
 * credentials in (an OAuth2 token that expires); FALSE (with error) fails the acquire. */
typedef gboolean (*ImapPoolConnectFunc)(ImapConfig *cfg, gpointer data, GError **error);
void imap_pool_set_before_connect(ImapPool *p, ImapPoolConnectFunc fn, gpointer data);

/* -o keepalive: a session idle for longer than SECONDS gets a NOOP when it is next handed
 * out, and a new connection if that fails (0: never). Set before first use. */
void imap_pool_set_keepalive(ImapPool *p, guint seconds);

ImapSession *imap_pool_acquire(ImapPool *p, const char *mailbox, GError **error);
void imap_pool_release(ImapPool *p, ImapSession *s);
/* The mount is going away: every session handed out now has its connection cut, so the
 * requests waiting on a stalled server return at once (sessions acquired later work as
 * before: what is left to send at unmount still goes). */
void imap_pool_abort_busy(ImapPool *p);
/* How many sessions are open (*OPEN) and handed out right now (*BUSY), for a status. */
void imap_pool_counts(ImapPool *p, guint *open, guint *busy);

/* One attempt of an idempotent request on S (acquired for it): FALSE with error when it
 * failed. It may run again, on another session, so it starts each time afresh. */
typedef gboolean (*ImapPoolFunc)(ImapSession *s, gpointer data, GError **error);

/* The one retry rule. Acquires a session for MAILBOX (may be NULL), runs FN on it and
 * releases it. When the connection died under FN (BYE, EOF, reset, a TLS failure; not a
 * timeout: the user would wait several times as long), FN runs again on a fresh
 * connection, up to three attempts in all; any other failure stands at once. Only for
 * idempotent requests (fetches, listings, EXAMINE, NOOP): a write whose reply was lost
 * may have been done already, so APPEND, STORE, EXPUNGE... never go through here. */
gboolean imap_pool_run(ImapPool *p, const char *mailbox, ImapPoolFunc fn, gpointer data,
		       GError **error);
/* The same rule for an idempotent preparation (a SELECT that proves the connection
 * alive before a write): on success the session stays acquired and is returned, to be
 * given back with imap_pool_release(); NULL with error otherwise. What the caller then
 * sends on it is never retried. */
ImapSession *imap_pool_acquire_ready(ImapPool *p, const char *mailbox, ImapPoolFunc fn,
				     gpointer data, GError **error);
/* A session not known to be dead (imap_session_poll_alive, no round trip), for a
 * command that must never be retried (APPEND): one found dead is given back and
 * replaced, up to three times. */
ImapSession *imap_pool_acquire_alive(ImapPool *p, const char *mailbox, GError **error);

/* A new session with the pool's configuration, outside the pool's slots (the watcher's
 * connection). The caller owns it (imap_session_logout) and paces its own retries. */
ImapSession *imap_pool_open_session(ImapPool *p, GError **error);

/* EXAMINE MAILBOX unless the session has it selected already (then *fresh = FALSE and
 * info is untouched). */
gboolean imap_pool_examine(ImapSession *s, const char *mailbox, ImapSelectInfo *info,
			   gboolean *fresh, GError **error);
/* The same, for commands by UID under UIDVALIDITY: FALSE with G_IO_ERROR_NOT_FOUND when
 * the mailbox has another one now, whether it was selected by this call or before (a
 * pooled session another thread selected after the change knows only the new one):
 * its UIDs name other messages, and their bytes must never stand for the old ones. */
gboolean imap_pool_examine_uidv(ImapSession *s, const char *mailbox, guint32 uidvalidity,
				gboolean *fresh, GError **error);

G_END_DECLS

/* imapfs — one authenticated IMAP connection and the commands imapfs sends on it.
 *
 * Synchronous: each call sends its command(s) and returns when the tagged response has
 * arrived. One thread uses a session at a time (fs/ keeps a pool). Commands can be
 * pipelined (imap_session_fetch_bodies, imap_session_submit/…_wait) with a bounded
 * number in flight; the session keeps reading while it writes.
 *
 * Mailbox names in this API are UTF-8 (the session converts to modified UTF-7, or sends
 * UTF-8 when UTF8=ACCEPT is enabled) and use the server's hierarchy delimiter; a name
 * that cannot be shown decoded is kept in a raw form that gives its exact wire bytes
 * back (imap/mailbox-name.h).
 *
 * Unsolicited data (EXISTS, EXPUNGE, VANISHED, FETCH FLAGS, BYE, ALERT, …) that arrives
 * during any command is passed to the unsolicited handler, if one is set, as well as
 * being used internally.
 *
 * Ownership: out-parameters are owned by the caller and freed with the matching
 * _free/_clear function; on failure they are left untouched. imap_session_free() (and
 * logout) accept NULL.
 */
#pragma once

#include <glib.h>
#include "imap/body.h"
#include "imap/config.h"
#include "imap/error.h"
#include "imap/response.h"

G_BEGIN_DECLS

typedef struct ImapSession ImapSession;

typedef void (*ImapUnsolicitedFunc)(ImapSession *s, const ImapResponse *resp, gpointer user_data);

/* Connect, greet (OK/PREAUTH/BYE), STARTTLS as configured, authenticate, re-read
 * CAPABILITY, and ENABLE CONDSTORE/QRESYNC/UTF8=ACCEPT where offered. */
ImapSession *imap_session_open(const ImapConfig *cfg, GError **error);
/* LOGOUT (best effort, bounded by the I/O timeout) then free. */
void imap_session_logout(ImapSession *s);
/* Free without LOGOUT (after a failure). */
void imap_session_free(ImapSession *s);

gboolean imap_session_has_cap(const ImapSession *s, const char *cap);
char *const *imap_session_caps(const ImapSession *s);
gboolean imap_session_is_enabled(const ImapSession *s, const char *ext); /* "QRESYNC" */
/* FALSE after BYE, EOF, a timeout or a protocol error: the session must be dropped. */
gboolean imap_session_is_usable(const ImapSession *s);
/* The mechanism that logged in ("PLAIN", "LOGINCMD", "PREAUTH", …). */
const char *imap_session_auth_mechanism(const ImapSession *s);

void imap_session_set_unsolicited(ImapSession *s, ImapUnsolicitedFunc fn, gpointer user_data);

/* ---- Folders ---------------------------------------------------------------- */

typedef struct {
	char *name;	 /* UTF-8, server's delimiter (imap/mailbox-name.h) */
	char delimiter;  /* '\0' if the server has none */
	char **flags;    /* \Noselect, \HasChildren, \NonExistent, \Sent, … */
	gboolean noselect; /* \Noselect or \NonExistent */
	gint64 messages, uidnext, uidvalidity, highestmodseq, unseen; /* -1: unknown */
} ImapMailbox;

void imap_mailbox_free(ImapMailbox *mb);

/* LIST "" "*" (with RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY)) when LIST-STATUS is
 * offered and with_status is TRUE). *out: GPtrArray of ImapMailbox (free func set). */
gboolean imap_session_list(ImapSession *s, const char *pattern, gboolean with_status,
			   GPtrArray **out, GError **error);
/* The same; a LIST line that cannot be read costs only its folder, and *unreadable
 * (GPtrArray of char *, free func set) says why for each, with an excerpt of the line. */
gboolean imap_session_list_full(ImapSession *s, const char *pattern, gboolean with_status,
				GPtrArray **out, GPtrArray **unreadable, GError **error);

/* The delimiter of the personal namespace (from NAMESPACE, else LIST "" ""). */
gboolean imap_session_delimiter(ImapSession *s, char *out, GError **error);
/* The delimiter another connection to the same account learnt: mailbox names are
 * encoded level by level (imap/mailbox-name.h) from the first command on, without a
 * NAMESPACE of this connection's own. */
void imap_session_set_delimiter(ImapSession *s, char delimiter);

gboolean imap_session_status(ImapSession *s, const char *mailbox, ImapMailbox **out,
			     GError **error);
gboolean imap_session_create(ImapSession *s, const char *mailbox, GError **error);
gboolean imap_session_delete(ImapSession *s, const char *mailbox, GError **error);
gboolean imap_session_rename(ImapSession *s, const char *from, const char *to, GError **error);

/* ---- Selected state --------------------------------------------------------- */

typedef struct {
	guint32 uidvalidity;
	guint32 uidnext;
	guint32 exists;
	guint64 highestmodseq; /* 0: NOMODSEQ / no CONDSTORE */
	gboolean read_only;
	char **permanent_flags;
	/* With QRESYNC resync (see imap_session_select_qresync): */
	GArray *vanished; /* ImapRange of UIDs gone since known_modseq, or NULL */
} ImapSelectInfo;

void imap_select_info_clear(ImapSelectInfo *info);

/* SELECT (or EXAMINE when read_only). */
gboolean imap_session_select(ImapSession *s, const char *mailbox, gboolean read_only,
			     ImapSelectInfo *out, GError **error);
/* SELECT/EXAMINE with QRESYNC (uidvalidity modseq): changed messages arrive through
 * fetch_cb, vanished UIDs in out->vanished. Requires QRESYNC enabled. */
typedef void (*ImapFetchFunc)(const ImapFetchData *fetch, gpointer user_data);
gboolean imap_session_select_qresync(ImapSession *s, const char *mailbox, gboolean read_only,
				     guint32 known_uidvalidity, guint64 known_modseq,
				     ImapFetchFunc fetch_cb, gpointer user_data,
				     ImapSelectInfo *out, GError **error);
/* The currently selected mailbox (UTF-8), or NULL. */
const char *imap_session_selected(const ImapSession *s);
/* From any thread, while another uses S: its connection is cut, so a command waiting on
 * a stalled server fails now (IMAP_ERROR_NETWORK) rather than at its timeout. S is left
 * unusable; its owner still frees it. */
void imap_session_abort(ImapSession *s);
/* The UIDVALIDITY of the selected mailbox as the server last said it (in the SELECT's
 * answer or in an untagged OK [UIDVALIDITY] since), 0 when none is selected. */
guint32 imap_session_selected_uidvalidity(const ImapSession *s);
gboolean imap_session_close(ImapSession *s, GError **error); /* CLOSE/UNSELECT */

/* UID FETCH uidset (UID RFC822.SIZE INTERNALDATE FLAGS [MODSEQ]) [(CHANGEDSINCE m)].
 * uidset is IMAP syntax ("1:*", "4,7:9"). Each message goes to cb, also one whose UID
 * or INTERNALDATE could not be used (see ImapFetchData.unusable_fields). */
gboolean imap_session_fetch_meta(ImapSession *s, const char *uidset, guint64 changedsince,
				 ImapFetchFunc cb, gpointer user_data, GError **error);

/* UID FETCH uid BODY.PEEK[] (length 0) or BODY.PEEK[]<offset.length>. *out is NULL
 * when the message no longer exists (expunged). */
gboolean imap_session_fetch_body(ImapSession *s, guint32 uid, guint64 offset, guint64 length,
				 ImapBody **out, GError **error);

/* Whole bodies of several messages in one pipelined burst; cb gets each as it
 * arrives (fetch->body set, fetch->uid set). Missing messages are simply not reported. */
gboolean imap_session_fetch_bodies(ImapSession *s, const guint32 *uids, gsize n_uids,
				   ImapFetchFunc cb, gpointer user_data, GError **error);

typedef enum { IMAP_STORE_SET, IMAP_STORE_ADD, IMAP_STORE_REMOVE } ImapStoreMode;
/* UID STORE uidset [+-]FLAGS.SILENT (flags). */
gboolean imap_session_store(ImapSession *s, const char *uidset, ImapStoreMode mode,
			    char *const *flags, GError **error);
/* UID EXPUNGE uidset (requires UIDPLUS). */
gboolean imap_session_uid_expunge(ImapSession *s, const char *uidset, GError **error);
gboolean imap_session_expunge(ImapSession *s, GError **error);
/* UID SEARCH query (e.g. "DELETED"); *out: GArray of guint32 UIDs. */
gboolean imap_session_uid_search(ImapSession *s, const char *query, GArray **out,
				 GError **error);

/* UID MOVE / UID COPY; *new_uidvalidity and *new_uid (either may be NULL) from COPYUID
 * when the set is one UID, else 0. */
gboolean imap_session_move(ImapSession *s, guint32 uid, const char *dest, guint32 *new_uidvalidity,
			   guint32 *new_uid, GError **error);
gboolean imap_session_copy(ImapSession *s, guint32 uid, const char *dest, guint32 *new_uidvalidity,
			   guint32 *new_uid, GError **error);

/* APPEND mailbox (flags) "date" {size}: the message is read from fd (from its start,
 * size bytes); internaldate < 0 means now. uidvalidity and uid from APPENDUID, or 0. */
gboolean imap_session_append(ImapSession *s, const char *mailbox, char *const *flags,
			     gint64 internaldate, int fd, guint64 size, guint32 *uidvalidity,
			     guint32 *uid, GError **error);

/* Reads what the server has sent already, without waiting, and says whether the
 * connection is still usable: FALSE when a BYE, EOF or reset had arrived. A free check
 * before a command that must not be retried after it was sent (APPEND). */
gboolean imap_session_poll_alive(ImapSession *s);

gboolean imap_session_noop(ImapSession *s, GError **error);

/* IDLE: start, wait up to timeout_ms for any untagged data (passed to the unsolicited
 * handler; *got_data TRUE if any arrived), then DONE. */
gboolean imap_session_idle(ImapSession *s, int timeout_ms, gboolean *got_data, GError **error);

/* GETQUOTAROOT mailbox → the STORAGE resource in KiB (usage, limit); FALSE with
 * IMAP_ERROR_UNSUPPORTED when the server has no QUOTA or no STORAGE limit. */
gboolean imap_session_quota(ImapSession *s, const char *mailbox, guint64 *usage_kib,
			    guint64 *limit_kib, GError **error);

/* ---- Generic pipelined commands (tests, prefetch) ---------------------------- */

/* Queues a command (text after the tag, no CRLF; arguments must already be quoted
 * with imap/quote.h). Blocks while the in-flight queue is full, reading responses.
 * Returns the tag id (> 0), or 0 with error set. */
guint imap_session_submit(ImapSession *s, const char *command, GError **error);
/* Waits for the tagged response of a submitted command; untagged FETCH data arriving
 * meanwhile goes to cb (may be NULL). FALSE with IMAP_ERROR_NO/BAD on NO/BAD. */
gboolean imap_session_wait(ImapSession *s, guint tag_id, ImapFetchFunc cb, gpointer user_data,
			   GError **error);

G_END_DECLS

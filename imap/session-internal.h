/* imapfs — what the session's source files share (not part of the public API).
 *
 * session-io.c owns the wire: tags, writing commands (literals, reading while
 * writing), the read/dispatch loop and the in-flight queue. session-auth.c,
 * session-mailbox.c and session-message.c build commands on top of it.
 *
 * Ownership: ImapSession owns everything it points to. A SessionPending owns the
 * tagged response that completed it.
 */
#pragma once

#include "imap/session.h"
#include "imap/parser.h"
#include "imap/quote.h"
#include "net/transport.h"

G_BEGIN_DECLS

/* Commands in flight before submit blocks reading responses. */
#define SESSION_MAX_INFLIGHT 64
/* Chunk size for reads from the server and for streaming APPEND literals. */
#define SESSION_IO_CHUNK 65536

/* Untagged data arriving while a command waits. Return TRUE when the response was the
 * command's own data, FALSE to let it reach the unsolicited handler. */
typedef gboolean (*SessionUntaggedFunc)(ImapSession *s, const ImapResponse *resp,
					gpointer user_data);

typedef struct {
	guint id;
	gboolean done;
	ImapResponse *tagged; /* owned; set when done */
} SessionPending;

struct ImapSession {
	NetTransport *transport;
	ImapParser *parser;
	/* Input not yet fed to the parser: rbuf[rpos..len). Either rpos < len or both are 0,
	 * so rbuf->len > 0 says whether input waits. Responses are taken from rpos and the
	 * buffer moved once per read, not once per response (a 64 KiB read holds hundreds). */
	GByteArray *rbuf;
	guint rpos;
	/* Output not yet sent: a command goes out in one write when it is complete (before
	 * any read), not in pieces. Pieces would each wait for the peer's delayed ACK under
	 * Nagle's algorithm (up to 200 ms a command through a relay). */
	GByteArray *wbuf;
	gboolean flushing;     /* wbuf is being written (reads meanwhile must not flush) */
	gboolean mid_response; /* the parser holds part of a response */

	/* Literal tracking of the raw input: for the trace and for EOF messages. */
	GString *trace_line;
	guint64 in_literal; /* bytes of the current input literal still to come */
	guint64 literal_size;

	NetTraceFunc trace;
	gpointer trace_data;
	guint io_timeout_ms;
	char *host;

	guint next_tag;
	GHashTable *pending; /* guint id -> SessionPending* */
	guint n_inflight;

	char **caps;
	GPtrArray *enabled; /* char*, upper case */
	char *mechanism;

	gboolean usable;
	GError *fatal; /* why the session is unusable */

	ImapUnsolicitedFunc unsol_fn;
	gpointer unsol_data;
	SessionUntaggedFunc handler; /* of the command being waited for */
	gpointer handler_data;

	gboolean continuation; /* a "+" arrived and nobody consumed it yet */
	char *continuation_text;

	/* Selected state */
	char *selected;
	gboolean read_only;
	guint32 uidvalidity, uidnext, exists;
	guint64 highestmodseq;
	char **permanent_flags;

	char delimiter;
	gboolean delimiter_known;
};

/* ---- session-io.c ---- */
ImapSession *session_new(const ImapConfig *cfg);
void session_trace(ImapSession *s, const char *prefix, const char *text);
/* Marks the session unusable with err (taken) unless it already has a reason, and
 * copies the reason into error. Always returns FALSE. */
gboolean session_fail(ImapSession *s, GError *err, GError **error);
/* Reads and dispatches one response. timeout_ms < 0: the I/O timeout, failing. With
 * fail_on_timeout FALSE, *got is FALSE when nothing arrived within timeout_ms. */
gboolean session_pump(ImapSession *s, int timeout_ms, gboolean fail_on_timeout, gboolean *got,
		      GError **error);
/* Reads exactly one response without dispatching (the greeting). */
gboolean session_read_response(ImapSession *s, int timeout_ms, ImapResponse **out, GError **error);
/* Queues output; it is sent before the next read, or once SESSION_IO_CHUNK is queued. */
gboolean session_write(ImapSession *s, const void *buf, gsize len, GError **error);
/* Sends the queued output now. */
gboolean session_flush(ImapSession *s, GError **error);
/* Allocates a tag and registers it as in flight, first reading responses while the
 * queue is full. Returns the id, or 0 with error. */
guint session_begin(ImapSession *s, GError **error);
/* Sends "A<id> " and cmd's parts, waiting for "+" before synchronizing literals.
 * trace_text (may be NULL) replaces the traced text after the tag, to hide credentials.
 * With final_crlf FALSE the caller continues the command line itself. */
gboolean session_send_cmd(ImapSession *s, guint id, ImapCmd *cmd, const char *trace_text,
			  gboolean final_crlf, GError **error);
/* Waits for "+" for command id; a tagged reply to id instead fails (NO/BAD text). */
gboolean session_wait_continuation(ImapSession *s, guint id, const char *what, GError **error);
/* Waits for the tagged response of id, handing untagged data to fn. *tagged (may be
 * NULL) receives the tagged response. Fails only when the session fails. */
gboolean session_wait_tagged(ImapSession *s, guint id, SessionUntaggedFunc fn, gpointer data,
			     ImapResponse **tagged, GError **error);
/* FALSE with IMAP_ERROR_NO/BAD "server refused <what>: [CODE] text" unless OK, the
 * code and text attached (imap_response_refusal). */
gboolean session_check_ok(const ImapResponse *tagged, const char *what, GError **error);
/* begin + send + wait + check_ok in one. */
gboolean session_run(ImapSession *s, ImapCmd *cmd, const char *trace_text, const char *what,
		     SessionUntaggedFunc fn, gpointer data, ImapResponse **tagged, GError **error);
/* A command of raw text (our own constants only). */
gboolean session_run_simple(ImapSession *s, const char *text, SessionUntaggedFunc fn, gpointer data,
			    ImapResponse **tagged, GError **error);
ImapCmd *session_cmd_new(ImapSession *s, const char *verb);
gboolean session_check_usable(ImapSession *s, GError **error);

/* ---- session-auth.c ---- */
gboolean session_connect_and_login(ImapSession *s, const ImapConfig *cfg, GError **error);
void session_set_caps(ImapSession *s, char *const *caps);

/* ---- session-mailbox.c ---- */
/* Session name (imap/mailbox-name.h) -> wire form; NULL on error. */
char *session_mailbox_encode(ImapSession *s, const char *name, GError **error);
/* Wire form -> session name; DELIMITER is the one its LIST line gave. */
char *session_mailbox_decode(ImapSession *s, const char *wire, char delimiter);
/* Appends " <mailbox>" to cmd. */
gboolean session_cmd_add_mailbox(ImapSession *s, ImapCmd *cmd, const char *name, GError **error);

G_END_DECLS

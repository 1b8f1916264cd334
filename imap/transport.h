/* imapfs — a byte stream to the server: TCP (optionally through a proxy) or a tunnel
 * command, optionally wrapped in TLS by GnuTLS.
 *
 * Blocking I/O with timeouts, used by one thread at a time. To let the client read
 * while it writes (a pipelined writer must never deadlock against a server that is
 * itself blocked writing responses), imap_transport_write_all() calls on_readable
 * whenever input is waiting and the output is not yet writable.
 *
 * SIGPIPE: sockets are written with MSG_NOSIGNAL. Pipes cannot be, so the first
 * tunnel connect sets SIGPIPE to SIG_IGN process-wide (once, and only if it was still
 * SIG_DFL); the tunnel command itself starts with the default disposition.
 *
 * Certificates: tls_verify_cert = FALSE skips the whole certificate check (chain and
 * host name); tls_verify_hostname = FALSE skips only the name. A pin
 * (tls_pin_sha256) is always enforced when set.
 *
 * Ownership: the transport copies what it needs from cfg (cfg need not outlive it);
 * imap_transport_close() frees everything and accepts NULL.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"

G_BEGIN_DECLS

typedef struct ImapTransport ImapTransport;

/* Called by write_all when data can be read; it must read (e.g. imap_transport_read
 * with timeout 0), else write_all spins. Return FALSE (with error) to abort. */
typedef gboolean (*ImapReadableFunc)(gpointer user_data, GError **error);

/* Connects (TCP, proxy or tunnel as cfg says). With tls_now, performs the TLS
 * handshake and verification at once (implicit TLS). */
ImapTransport *imap_transport_connect(const ImapConfig *cfg, gboolean tls_now, GError **error);

/* Upgrades an open plaintext connection to TLS (after "OK Begin TLS"). */
gboolean imap_transport_starttls(ImapTransport *t, GError **error);

gboolean imap_transport_is_tls(const ImapTransport *t);

/* Reads what is available, waiting at most timeout_ms (-1: forever, 0: poll).
 * Returns bytes read (> 0); 0 with *error unset when timeout_ms passed with no data;
 * -1 with error set on EOF (IMAP_ERROR_NETWORK), failure, or IMAP_ERROR_TIMEOUT when
 * timeout_ms > 0 passed and fail_on_timeout is TRUE. */
gssize imap_transport_read(ImapTransport *t, void *buf, gsize len, int timeout_ms,
			   gboolean fail_on_timeout, GError **error);

/* TRUE when a read would return data without blocking (incl. TLS-buffered data). */
gboolean imap_transport_has_pending(ImapTransport *t);

/* Writes all of buf within the I/O timeout per stall, calling on_readable (if not NULL)
 * whenever input is waiting meanwhile. */
gboolean imap_transport_write_all(ImapTransport *t, const void *buf, gsize len,
				  ImapReadableFunc on_readable, gpointer user_data,
				  GError **error);

void imap_transport_close(ImapTransport *t);
/* From any thread, while another may be inside a read or a write on T: the connection
 * is cut (a socket shut down, a tunnel's command killed), so that call returns at once
 * with an error instead of waiting out its timeout. T stays valid until closed. */
void imap_transport_abort(ImapTransport *t);

G_END_DECLS

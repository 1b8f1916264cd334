/* imapfs — a byte stream to the server: TCP (optionally through a proxy) or a tunnel
 * command, optionally wrapped in TLS by GnuTLS.
 *
 * net/ is the lowest layer: bytes to a server and back (this transport, SASL
 * mechanisms, redacted traces, the NetConfig they read and the NET_ERROR domain). It
 * may include GLib, GIO and GnuTLS and nothing of imapfs above it: no IMAP, SMTP,
 * cache, conf or FUSE. imap/ and smtp/ both build on it.
 *
 * Blocking I/O with timeouts, used by one thread at a time. To let the client read
 * while it writes (a pipelined writer must never deadlock against a server that is
 * itself blocked writing responses), net_transport_write_all() calls on_readable
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
 * net_transport_close() frees everything and accepts NULL.
 */
#pragma once

#include <glib.h>
#include "net/config.h"

G_BEGIN_DECLS

typedef struct NetTransport NetTransport;

/* Called by write_all when data can be read; it must read (e.g. net_transport_read
 * with timeout 0), else write_all spins. Return FALSE (with error) to abort. */
typedef gboolean (*NetReadableFunc)(gpointer user_data, GError **error);

/* Connects to port (the protocol's effective port; ignored for a tunnel) by TCP, proxy
 * or tunnel as cfg says. With tls_now, performs the TLS handshake and verification at
 * once (implicit TLS). */
NetTransport *net_transport_connect(const NetConfig *cfg, guint16 port, gboolean tls_now,
				    GError **error);

/* Upgrades an open plaintext connection to TLS (after "OK Begin TLS"). */
gboolean net_transport_starttls(NetTransport *t, GError **error);

gboolean net_transport_is_tls(const NetTransport *t);

/* Reads what is available, waiting at most timeout_ms (-1: forever, 0: poll).
 * Returns bytes read (> 0); 0 with *error unset when timeout_ms passed with no data;
 * -1 with error set on EOF (NET_ERROR_NETWORK), failure, or NET_ERROR_TIMEOUT when
 * timeout_ms > 0 passed and fail_on_timeout is TRUE. */
gssize net_transport_read(NetTransport *t, void *buf, gsize len, int timeout_ms,
			  gboolean fail_on_timeout, GError **error);

/* TRUE when a read would return data without blocking (incl. TLS-buffered data). */
gboolean net_transport_has_pending(NetTransport *t);

/* Writes all of buf within the I/O timeout per stall, calling on_readable (if not NULL)
 * whenever input is waiting meanwhile. */
gboolean net_transport_write_all(NetTransport *t, const void *buf, gsize len,
				 NetReadableFunc on_readable, gpointer user_data, GError **error);

void net_transport_close(NetTransport *t);
/* From any thread, while another may be inside a read or a write on T: the connection
 * is cut (a socket shut down, a tunnel's command killed), so that call returns at once
 * with an error instead of waiting out its timeout. T stays valid until closed. */
void net_transport_abort(NetTransport *t);

G_END_DECLS

/* imapfs — what transport.c (connection, raw I/O) and transport-tls.c (GnuTLS) share.
 * Private to those two files.
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include "net/transport.h"

/* The TLS settings copied out of NetConfig at connect time, so STARTTLS can use them
 * later without the caller keeping its config alive. All strings owned. */
typedef struct {
	char *ca_file;
	char *priority;
	char *client_cert;
	char *client_key;
	char *pin_sha256;
	gboolean verify_cert;
	gboolean verify_hostname;
	NetTlsMin tls_min;
} TransportTlsSettings;

struct NetTransport {
	GSocketConnection *conn; /* owns the socket fd; NULL for a tunnel */
	GSubprocess *proc;	 /* the tunnel (owns both pipe fds); NULL for TCP */
	int rfd;		 /* borrowed from conn or proc */
	int wfd;		 /* == rfd for a socket */
	gboolean is_socket;	 /* socket: send(MSG_NOSIGNAL); pipes: write() */
	char *host;		 /* for SNI and the name check; may be NULL for a tunnel */
	char *peer;		 /* "host:port" or "the tunnel", only for messages */
	guint connect_timeout_ms;
	guint io_timeout_ms;
	TransportTlsSettings tls_cfg;
	gnutls_certificate_credentials_t creds; /* NULL until the first TLS start */
	gnutls_session_t tls;			/* NULL while plaintext */
};

/* Monotonic deadline timeout_ms from now; -1 (forever) when timeout_ms < 0. */
gint64 transport_deadline(int timeout_ms);

/* poll() until an event or the deadline, restarting on EINTR.
 * Returns the number of ready fds, 0 at the deadline, -1 with error set. */
int transport_poll(struct pollfd *fds, nfds_t n, gint64 deadline, GError **error);

/* "1 s", "0.5 s": a timeout for messages. Returned string is owned by the caller. */
char *transport_describe_ms(guint ms);

/* Handshake and verification on t->rfd/t->wfd. On failure the TLS session is freed
 * again (the connection itself is then unusable). */
gboolean transport_tls_start(NetTransport *t, GError **error);

/* Sends close_notify within a short bound and frees the session and credentials. */
void transport_tls_shutdown(NetTransport *t);

void transport_tls_settings_clear(TransportTlsSettings *s);

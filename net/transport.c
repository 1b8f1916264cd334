/* imapfs — the byte stream to the server: connecting (TCP through GSocketClient, with
 * or without a proxy, or a tunnel command) and blocking I/O with poll() and timeouts.
 * TLS lives in transport-tls.c. */
#include "net/transport-internal.h"
#include "net/error.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 15000

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetTransport, net_transport_close)

gint64 transport_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

static int remaining_ms(gint64 deadline)
{
	if (deadline < 0)
		return -1;
	gint64 left = deadline - g_get_monotonic_time();
	if (left <= 0)
		return 0;
	return (int)MIN((left + 999) / 1000, G_MAXINT);
}

int transport_poll(struct pollfd *fds, nfds_t n, gint64 deadline, GError **error)
{
	for (;;) {
		int ms = remaining_ms(deadline);
		int rc = poll(fds, n, ms);
		if (rc > 0)
			return rc;
		if (rc == 0 && (ms == 0 || remaining_ms(deadline) == 0))
			return 0;
		if (rc < 0 && errno != EINTR) {
			int e = errno;
			g_set_error(error, NET_ERROR, NET_ERROR_NETWORK, "poll failed: %s",
				    g_strerror(e));
			return -1;
		}
	}
}

char *transport_describe_ms(guint ms)
{
	if (ms % 1000 == 0)
		return g_strdup_printf("%u s", ms / 1000);
	return g_strdup_printf("%.1f s", ms / 1000.0);
}

/* A peer that closes its end must give us EPIPE, not kill the process. Sockets use
 * MSG_NOSIGNAL; pipes cannot, so SIGPIPE is ignored process-wide the first time a
 * tunnel starts (unless the program installed its own handler). */
static void ignore_sigpipe_once(void)
{
	static gsize done;
	if (g_once_init_enter(&done)) {
		struct sigaction old;
		if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(SIGPIPE, SIG_IGN);
		g_once_init_leave(&done, 1);
	}
}

/* The tunnel command itself should see the default SIGPIPE behaviour. */
static void child_default_sigpipe(gpointer unused)
{
	signal(SIGPIPE, SIG_DFL);
}

static gboolean open_tunnel(NetTransport *t, const char *command, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_subprocess_launcher_set_child_setup(launcher, child_default_sigpipe, NULL, NULL);
	g_autoptr(GError) err = NULL;

	ignore_sigpipe_once();
	t->proc = g_subprocess_launcher_spawn(launcher, &err, "/bin/sh", "-c", command, NULL);
	if (!t->proc) {
		g_set_error(error, NET_ERROR, NET_ERROR_NETWORK,
			    "cannot start the tunnel command: %s", err->message);
		return FALSE;
	}
	t->rfd =
	    g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(t->proc)));
	t->wfd =
	    g_unix_output_stream_get_fd(G_UNIX_OUTPUT_STREAM(g_subprocess_get_stdin_pipe(t->proc)));
	t->is_socket = FALSE;
	t->peer = g_strdup("the tunnel");
	return TRUE;
}

static GSocketClient *new_socket_client(const NetConfig *cfg, guint timeout_ms)
{
	GSocketClient *client = g_socket_client_new();

	g_socket_client_set_timeout(client, (timeout_ms + 999) / 1000);
	if (cfg->proxy) {
		g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new(cfg->proxy, NULL);
		g_socket_client_set_proxy_resolver(client, resolver);
		g_socket_client_set_enable_proxy(client, TRUE);
	} else {
		/* Never pick up $http_proxy & co. silently: a proxy is chosen by name. */
		g_socket_client_set_enable_proxy(client, FALSE);
	}
	return client;
}

/* GIO prefixes its own context ("Could not connect to ...: "); the OS reason is the
 * part a person needs after our own prefix. */
static const char *connect_reason(const GError *err)
{
	const char *colon = strrchr(err->message, ':');
	if (err->domain == G_IO_ERROR && colon && colon[1] == ' ' &&
	    (err->code == G_IO_ERROR_CONNECTION_REFUSED ||
	     err->code == G_IO_ERROR_HOST_UNREACHABLE ||
	     err->code == G_IO_ERROR_NETWORK_UNREACHABLE))
		return colon + 2;
	return err->message;
}

static gboolean open_tcp(NetTransport *t, const NetConfig *cfg, guint16 port, GError **error)
{
	g_autoptr(GSocketClient) client = new_socket_client(cfg, t->connect_timeout_ms);
	g_autoptr(GError) err = NULL;
	const char *via = cfg->proxy ? " through the proxy" : "";

	t->conn = g_socket_client_connect_to_host(client, cfg->host, port, NULL, &err);
	if (!t->conn) {
		if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			g_autofree char *d = transport_describe_ms(t->connect_timeout_ms);
			g_set_error(error, NET_ERROR, NET_ERROR_TIMEOUT,
				    "cannot connect to %s%s within %s", t->peer, via, d);
		} else {
			g_set_error(error, NET_ERROR, NET_ERROR_NETWORK,
				    "cannot connect to %s%s: %s", t->peer, via,
				    connect_reason(err));
		}
		return FALSE;
	}
	GSocket *sock = g_socket_connection_get_socket(t->conn);
	t->rfd = t->wfd = g_socket_get_fd(sock);
	t->is_socket = TRUE;
	/* IMAP is request/response: without this, a command written in two pieces waits
	 * for the peer's delayed ACK (tens of ms) under Nagle. Best effort (not TCP on
	 * some proxies' sockets is fine). */
	g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	return TRUE;
}

static char *describe_peer(const char *host, guint16 port)
{
	if (strchr(host, ':'))
		return g_strdup_printf("[%s]:%u", host, port);
	return g_strdup_printf("%s:%u", host, port);
}

static void copy_tls_settings(TransportTlsSettings *s, const NetConfig *cfg)
{
	s->ca_file = g_strdup(cfg->ca_file);
	s->priority = g_strdup(cfg->tls_priority);
	s->client_cert = g_strdup(cfg->tls_client_cert);
	s->client_key = g_strdup(cfg->tls_client_key);
	s->pin_sha256 = g_strdup(cfg->tls_pin_sha256);
	s->verify_cert = cfg->tls_verify_cert;
	s->verify_hostname = cfg->tls_verify_hostname;
	s->tls_min = cfg->tls_min;
}

static gboolean set_nonblocking(NetTransport *t, GError **error)
{
	g_autoptr(GError) err = NULL;
	if (g_unix_set_fd_nonblocking(t->rfd, TRUE, &err) &&
	    (t->wfd == t->rfd || g_unix_set_fd_nonblocking(t->wfd, TRUE, &err)))
		return TRUE;
	g_set_error(error, NET_ERROR, NET_ERROR_NETWORK, "cannot set up %s: %s", t->peer,
		    err->message);
	return FALSE;
}

NetTransport *net_transport_connect(const NetConfig *cfg, guint16 port, gboolean tls_now,
				    GError **error)
{
	g_return_val_if_fail(cfg, NULL);
	if (!cfg->tunnel && (!cfg->host || !*cfg->host)) {
		g_set_error(error, NET_ERROR, NET_ERROR_INVALID, "no server host name given");
		return NULL;
	}
	g_autoptr(NetTransport) t = g_new0(NetTransport, 1);
	t->rfd = t->wfd = -1;
	t->host = g_strdup(cfg->host && *cfg->host ? cfg->host : NULL);
	t->connect_timeout_ms =
	    cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	t->io_timeout_ms = net_config_io_timeout_ms(cfg);
	copy_tls_settings(&t->tls_cfg, cfg);

	if (cfg->tunnel) {
		if (!open_tunnel(t, cfg->tunnel, error))
			return NULL;
	} else {
		t->peer = describe_peer(cfg->host, port);
		if (!open_tcp(t, cfg, port, error))
			return NULL;
	}
	if (!set_nonblocking(t, error))
		return NULL;
	if (tls_now && !transport_tls_start(t, error))
		return NULL;
	return g_steal_pointer(&t);
}

gboolean net_transport_starttls(NetTransport *t, GError **error)
{
	g_return_val_if_fail(t, FALSE);
	if (t->tls) {
		g_set_error(error, NET_ERROR, NET_ERROR_TLS, "the connection is already TLS");
		return FALSE;
	}
	return transport_tls_start(t, error);
}

gboolean net_transport_is_tls(const NetTransport *t)
{
	return t && t->tls;
}

static gssize eof_error(NetTransport *t, GError **error)
{
	g_set_error(error, NET_ERROR, NET_ERROR_NETWORK, "connection to %s closed", t->peer);
	return -1;
}

/* One non-blocking read: bytes read, 0 when it would block, -1 with error set. */
static gssize try_read(NetTransport *t, void *buf, gsize len, GError **error)
{
	if (t->tls) {
		for (;;) {
			ssize_t n = gnutls_record_recv(t->tls, buf, len);
			if (n > 0)
				return n;
			if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
				return eof_error(t, error);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				return 0;
			if (gnutls_error_is_fatal((int)n)) {
				g_set_error(error, NET_ERROR, NET_ERROR_TLS,
					    "TLS error reading from %s: %s", t->peer,
					    gnutls_strerror((int)n));
				return -1;
			}
			/* A warning alert or a renegotiation request: keep reading. */
		}
	}
	/* glibc's TEMP_FAILURE_RETRY restarts after EINTR; EAGAIN is an answer here. */
	ssize_t n =
	    TEMP_FAILURE_RETRY(t->is_socket ? recv(t->rfd, buf, len, 0) : read(t->rfd, buf, len));
	if (n > 0)
		return n;
	if (n == 0)
		return eof_error(t, error);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	int e = errno;
	g_set_error(error, NET_ERROR, NET_ERROR_NETWORK, "cannot read from %s: %s", t->peer,
		    g_strerror(e));
	return -1;
}

gssize net_transport_read(NetTransport *t, void *buf, gsize len, int timeout_ms,
			  gboolean fail_on_timeout, GError **error)
{
	g_return_val_if_fail(t && buf && len > 0, -1);
	gint64 deadline = transport_deadline(timeout_ms);

	for (;;) {
		/* Reading first also drains what TLS has buffered, which poll cannot see. */
		gssize n = try_read(t, buf, len, error);
		if (n != 0)
			return n;
		struct pollfd p = {t->rfd, POLLIN, 0};
		int ready = transport_poll(&p, 1, deadline, error);
		if (ready < 0)
			return -1;
		if (ready > 0)
			continue;
		if (fail_on_timeout && timeout_ms > 0) {
			g_autofree char *d = transport_describe_ms((guint)timeout_ms);
			g_set_error(error, NET_ERROR, NET_ERROR_TIMEOUT, "no data from %s for %s",
				    t->peer, d);
			return -1;
		}
		return 0;
	}
}

gboolean net_transport_has_pending(NetTransport *t)
{
	g_return_val_if_fail(t, FALSE);
	if (t->tls && gnutls_record_check_pending(t->tls) > 0)
		return TRUE;
	struct pollfd p = {t->rfd, POLLIN, 0};
	return transport_poll(&p, 1, transport_deadline(0), NULL) > 0;
}

/* One non-blocking write: bytes written, 0 when it would block, -1 with error set.
 * After GNUTLS_E_AGAIN the caller retries with the same buffer and length, which
 * GnuTLS requires; write_all does, since nothing was consumed. */
static gssize try_write(NetTransport *t, const char *buf, gsize len, GError **error)
{
	if (t->tls) {
		ssize_t n = gnutls_record_send(t->tls, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		g_set_error(error, NET_ERROR, NET_ERROR_TLS, "TLS error writing to %s: %s", t->peer,
			    gnutls_strerror((int)n));
		return -1;
	}
	ssize_t n = TEMP_FAILURE_RETRY(t->is_socket ? send(t->wfd, buf, len, MSG_NOSIGNAL)
						    : write(t->wfd, buf, len));
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	int e = errno;
	g_set_error(error, NET_ERROR, NET_ERROR_NETWORK, "cannot write to %s: %s", t->peer,
		    g_strerror(e));
	return -1;
}

static gboolean write_stalled(NetTransport *t, GError **error)
{
	g_autofree char *d = transport_describe_ms(t->io_timeout_ms);
	g_set_error(error, NET_ERROR, NET_ERROR_TIMEOUT, "%s accepted no data for %s", t->peer, d);
	return FALSE;
}

gboolean net_transport_write_all(NetTransport *t, const void *buf, gsize len,
				 NetReadableFunc on_readable, gpointer user_data, GError **error)
{
	g_return_val_if_fail(t && (buf || len == 0), FALSE);
	const char *p = buf;
	gsize done = 0;
	gint64 deadline = transport_deadline((int)t->io_timeout_ms);

	while (done < len) {
		gssize n = try_write(t, p + done, len - done, error);
		if (n < 0)
			return FALSE;
		if (n > 0) {
			done += (gsize)n;
			deadline = transport_deadline((int)t->io_timeout_ms);
			continue;
		}
		/* Output is blocked. If the server is blocked too, writing its responses
		 * to us, only reading them can unblock both sides. */
		if (on_readable && t->tls && gnutls_record_check_pending(t->tls) > 0) {
			if (!on_readable(user_data, error))
				return FALSE;
			continue;
		}
		struct pollfd fds[2] = {{t->wfd, POLLOUT, 0}, {t->rfd, POLLIN, 0}};
		int ready = transport_poll(fds, on_readable ? 2 : 1, deadline, error);
		if (ready < 0)
			return FALSE;
		if (ready == 0)
			return write_stalled(t, error);
		if (on_readable && fds[1].revents) {
			if (!on_readable(user_data, error))
				return FALSE;
			deadline = transport_deadline((int)t->io_timeout_ms);
		}
	}
	return TRUE;
}

static void close_tunnel(NetTransport *t)
{
	/* Closing its stdin first lets a well-behaved tunnel exit by itself; the kill
	 * covers the rest, and the wait reaps it so no zombie is left. */
	g_output_stream_close(g_subprocess_get_stdin_pipe(t->proc), NULL, NULL);
	g_subprocess_force_exit(t->proc);
	g_subprocess_wait(t->proc, NULL, NULL);
	g_clear_object(&t->proc);
}

void net_transport_abort(NetTransport *t)
{
	if (t->is_socket)
		shutdown(t->rfd, SHUT_RDWR);
	else if (t->proc)
		g_subprocess_force_exit(t->proc);
}

void net_transport_close(NetTransport *t)
{
	if (!t)
		return;
	transport_tls_shutdown(t);
	if (t->proc)
		close_tunnel(t);
	if (t->conn)
		g_io_stream_close(G_IO_STREAM(t->conn), NULL, NULL);
	g_clear_object(&t->conn);
	transport_tls_settings_clear(&t->tls_cfg);
	g_free(t->host);
	g_free(t->peer);
	g_free(t);
}

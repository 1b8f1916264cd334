/* imapfs — TLS for the transport: GnuTLS directly on the connection's fds, the
 * certificate checks, and errors a person can act on. */
#include "net/transport-internal.h"
#include "net/error.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

/* A peer that does not answer our close_notify must not hold up close(). */
#define TLS_BYE_TIMEOUT_MS 500
#define SAN_MAX 256 /* longest certificate name we quote back in a message */
#define SAN_LIST_MAX 16

#define TLS_VERSIONS_FROM_1_2 ":-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define TLS_VERSIONS_FROM_1_3 ":-VERS-ALL:+VERS-TLS1.3"

static gboolean fail_gnutls(GError **error, int rc, const char *what)
{
	g_set_error(error, NET_ERROR, NET_ERROR_TLS, "%s: %s", what, gnutls_strerror(rc));
	return FALSE;
}

static gboolean load_trust(NetTransport *t, GError **error)
{
	const TransportTlsSettings *s = &t->tls_cfg;
	int rc;

	if (s->ca_file) {
		rc = gnutls_certificate_set_x509_trust_file(t->creds, s->ca_file,
							    GNUTLS_X509_FMT_PEM);
		if (rc == 0)
			rc = GNUTLS_E_NO_CERTIFICATE_FOUND;
		if (rc < 0) {
			g_autofree char *what =
			    g_strdup_printf("cannot load CA certificates from %s", s->ca_file);
			return fail_gnutls(error, rc, what);
		}
	} else if (s->verify_cert) {
		/* No certificates found is not an error here: the check then fails
		 * with the "not trusted" message, which says what to do. */
		rc = gnutls_certificate_set_x509_system_trust(t->creds);
		if (rc < 0)
			return fail_gnutls(
			    error, rc, "cannot load the system's CA certificates (give ca_file)");
	}
	return TRUE;
}

static gboolean load_client_cert(NetTransport *t, GError **error)
{
	const TransportTlsSettings *s = &t->tls_cfg;

	if (!s->client_cert && !s->client_key)
		return TRUE;
	if (!s->client_cert || !s->client_key) {
		g_set_error(error, NET_ERROR, NET_ERROR_TLS,
			    "a client certificate needs both tls_client_cert and tls_client_key");
		return FALSE;
	}
	int rc = gnutls_certificate_set_x509_key_file(t->creds, s->client_cert, s->client_key,
						      GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		g_autofree char *what = g_strdup_printf(
		    "cannot load client certificate %s (key %s)", s->client_cert, s->client_key);
		return fail_gnutls(error, rc, what);
	}
	return TRUE;
}

static gboolean ensure_credentials(NetTransport *t, GError **error)
{
	if (t->creds)
		return TRUE;
	int rc = gnutls_certificate_allocate_credentials(&t->creds);
	if (rc < 0) {
		t->creds = NULL;
		return fail_gnutls(error, rc, "cannot allocate TLS credentials");
	}
	if (load_trust(t, error) && load_client_cert(t, error))
		return TRUE;
	gnutls_certificate_free_credentials(t->creds);
	t->creds = NULL;
	return FALSE;
}

static gboolean set_priority(NetTransport *t, GError **error)
{
	const TransportTlsSettings *s = &t->tls_cfg;
	const char *versions =
	    s->tls_min == NET_TLS_1_3 ? TLS_VERSIONS_FROM_1_3 : TLS_VERSIONS_FROM_1_2;
	g_autofree char *prio = g_strconcat(s->priority ? s->priority : "NORMAL", versions, NULL);
	const char *err_pos = NULL;

	int rc = gnutls_priority_set_direct(t->tls, prio, &err_pos);
	if (rc < 0) {
		g_set_error(error, NET_ERROR, NET_ERROR_TLS,
			    "invalid TLS priority string \"%s\" (at \"%s\"): %s", prio,
			    err_pos ? err_pos : "", gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean setup_session(NetTransport *t, GError **error)
{
	/* GNUTLS_NO_SIGNAL makes GnuTLS send with MSG_NOSIGNAL, which only sockets take. */
	unsigned flags = GNUTLS_CLIENT | GNUTLS_NONBLOCK | (t->is_socket ? GNUTLS_NO_SIGNAL : 0);
	int rc = gnutls_init(&t->tls, flags);
	if (rc < 0) {
		t->tls = NULL;
		return fail_gnutls(error, rc, "cannot start a TLS session");
	}
	if (!set_priority(t, error))
		return FALSE;
	rc = gnutls_credentials_set(t->tls, GNUTLS_CRD_CERTIFICATE, t->creds);
	if (rc < 0)
		return fail_gnutls(error, rc, "cannot set TLS credentials");
	/* SNI carries names only; RFC 6066 forbids IP literals there. */
	if (t->host && !g_hostname_is_ip_address(t->host)) {
		rc = gnutls_server_name_set(t->tls, GNUTLS_NAME_DNS, t->host, strlen(t->host));
		if (rc < 0)
			return fail_gnutls(error, rc, "cannot set the TLS server name");
	}
	if (t->rfd == t->wfd)
		gnutls_transport_set_int(t->tls, t->rfd);
	else
		gnutls_transport_set_int2(t->tls, t->rfd, t->wfd);
	return TRUE;
}

static const char *handshake_hint(int rc, const TransportTlsSettings *s)
{
	switch (rc) {
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_NO_PRIORITIES_WERE_SET:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
		return s->tls_min == NET_TLS_1_3 ? " (the server may not support TLS 1.3)"
						 : " (the server may only offer old TLS versions)";
	case GNUTLS_E_PREMATURE_TERMINATION:
		return " (the server closed the connection: no TLS version or cipher in common?)";
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
		return " (is this a plaintext port? then use STARTTLS)";
	default:
		return "";
	}
}

static gboolean handshake_failed(NetTransport *t, int rc, GError **error)
{
	const char *alert = "";
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		alert = gnutls_alert_get_name(gnutls_alert_get(t->tls));
	g_set_error(error, NET_ERROR, NET_ERROR_TLS, "TLS handshake with %s failed: %s%s%s%s",
		    t->peer, gnutls_strerror(rc), *alert ? " " : "", alert,
		    handshake_hint(rc, &t->tls_cfg));
	return FALSE;
}

static gboolean handshake(NetTransport *t, GError **error)
{
	gint64 deadline = transport_deadline((int)t->connect_timeout_ms);

	for (;;) {
		int rc = gnutls_handshake(t->tls);
		if (rc == GNUTLS_E_SUCCESS)
			return TRUE;
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
			if (gnutls_error_is_fatal(rc))
				return handshake_failed(t, rc, error);
			continue; /* a warning alert: carry on */
		}
		gboolean wants_write = gnutls_record_get_direction(t->tls) == 1;
		struct pollfd p = {wants_write ? t->wfd : t->rfd, wants_write ? POLLOUT : POLLIN,
				   0};
		int ready = transport_poll(&p, 1, deadline, error);
		if (ready < 0)
			return FALSE;
		if (ready == 0) {
			g_autofree char *d = transport_describe_ms(t->connect_timeout_ms);
			g_set_error(error, NET_ERROR, NET_ERROR_TIMEOUT,
				    "TLS handshake with %s did not finish within %s", t->peer, d);
			return FALSE;
		}
	}
}

/* "localhost, 127.0.0.1": the names a certificate is for, to tell the user. */
static char *cert_names(gnutls_x509_crt_t crt)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (unsigned i = 0; i < SAN_LIST_MAX; i++) {
		char buf[SAN_MAX];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		char ip[INET6_ADDRSTRLEN] = "";
		const char *name = NULL;
		if (type == GNUTLS_SAN_DNSNAME) {
			buf[size] = '\0';
			name = buf;
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
			name = inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip, sizeof(ip));
		}
		if (name)
			g_string_append_printf(out, "%s%s", out->len ? ", " : "", name);
	}
	if (out->len == 0) {
		char cn[SAN_MAX];
		size_t size = sizeof(cn);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
						  &size) == 0)
			g_string_append(out, cn);
		else
			g_string_append(out, "no name");
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *format_date(time_t when)
{
	struct tm tm;
	char buf[32];
	if (when == (time_t)-1 || !gmtime_r(&when, &tm) ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm) == 0)
		return g_strdup("an unknown date");
	return g_strdup(buf);
}

static char *status_text(unsigned status)
{
	gnutls_datum_t out = {NULL, 0};
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0)
		return g_strdup("unknown reason");
	char *text = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return text;
}

static gboolean chain_rejected(NetTransport *t, gnutls_x509_crt_t crt, unsigned status,
			       GError **error)
{
	const char *host = t->host ? t->host : t->peer;
	const char *store = t->tls_cfg.ca_file ? t->tls_cfg.ca_file : "the system's CA store";
	g_autofree char *detail = status_text(status);
	g_autofree char *msg = NULL;

	if (status & GNUTLS_CERT_EXPIRED) {
		g_autofree char *d = format_date(gnutls_x509_crt_get_expiration_time(crt));
		msg = g_strdup_printf("certificate for %s expired on %s", host, d);
	} else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		g_autofree char *d = format_date(gnutls_x509_crt_get_activation_time(crt));
		msg = g_strdup_printf("certificate for %s is not valid before %s (check the clock)",
				      host, d);
	} else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		msg = g_strdup_printf(
		    "certificate for %s is not trusted (self-signed or unknown issuer); give its "
		    "CA with ca_file or, only if you trust the network, turn the check off with "
		    "tls_verify=no (checked against %s)",
		    host, store);
	} else {
		msg = g_strdup_printf("certificate for %s rejected (checked against %s)", host,
				      store);
	}
	g_set_error(error, NET_ERROR, NET_ERROR_TLS, "%s [%s]", msg, detail);
	return FALSE;
}

static gboolean name_rejected(NetTransport *t, gnutls_x509_crt_t crt, GError **error)
{
	g_autofree char *names = cert_names(crt);
	g_set_error(error, NET_ERROR, NET_ERROR_TLS,
		    "certificate for %s does not match the host name (it is for %s); connect "
		    "with one of those names or turn the check off with tls_verify_hostname=no",
		    t->host, names);
	return FALSE;
}

/* The pin as 64 lower-case hex digits, colons and blanks dropped; NULL if malformed. */
static char *normalize_pin(const char *pin)
{
	g_autoptr(GString) out = g_string_new(NULL);
	for (const char *p = pin; *p; p++) {
		if (*p == ':' || g_ascii_isspace(*p))
			continue;
		if (!g_ascii_isxdigit(*p) || out->len >= 64)
			return NULL;
		g_string_append_c(out, g_ascii_tolower(*p));
	}
	if (out->len != 64)
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean check_pin(NetTransport *t, const gnutls_datum_t *der, GError **error)
{
	g_autofree char *want = normalize_pin(t->tls_cfg.pin_sha256);
	if (!want) {
		g_set_error(error, NET_ERROR, NET_ERROR_TLS,
			    "tls_pin_sha256 must be 64 hex digits (colons allowed)");
		return FALSE;
	}
	guint8 digest[32];
	int rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, digest);
	if (rc < 0)
		return fail_gnutls(error, rc, "cannot hash the server certificate");
	char have[65];
	for (unsigned i = 0; i < sizeof(digest); i++)
		g_snprintf(have + 2 * i, 3, "%02x", digest[i]);
	if (strcmp(want, have) == 0)
		return TRUE;
	g_set_error(error, NET_ERROR, NET_ERROR_TLS,
		    "certificate of %s does not match the pinned SHA-256 fingerprint (expected %s, "
		    "the server's is %s)",
		    t->peer, want, have);
	return FALSE;
}

/* Chain first, then the name, then the pin. tls_verify_cert=no turns off the whole
 * certificate check (chain and name: a name on an unverified certificate proves
 * nothing); tls_verify_hostname=no only the name. A pin is always enforced. */
static gboolean verify_peer(NetTransport *t, GError **error)
{
	const TransportTlsSettings *s = &t->tls_cfg;
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(t->tls, &n);
	if (!certs || n == 0) {
		g_set_error(error, NET_ERROR, NET_ERROR_TLS, "%s sent no certificate", t->peer);
		return FALSE;
	}
	gnutls_x509_crt_t crt;
	int rc = gnutls_x509_crt_init(&crt);
	if (rc < 0)
		return fail_gnutls(error, rc, "cannot read the server certificate");
	rc = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
	gboolean ok = rc >= 0 || fail_gnutls(error, rc, "cannot read the server certificate");

	if (ok && s->verify_cert) {
		unsigned status = 0;
		rc = gnutls_certificate_verify_peers2(t->tls, &status);
		if (rc < 0)
			ok = fail_gnutls(error, rc, "cannot verify the server certificate");
		else if (status != 0)
			ok = chain_rejected(t, crt, status, error);
	}
	if (ok && s->verify_cert && s->verify_hostname) {
		if (!t->host) {
			g_set_error(error, NET_ERROR, NET_ERROR_TLS,
				    "no host name to check the certificate against; set host "
				    "or tls_verify_hostname=no");
			ok = FALSE;
		} else if (!gnutls_x509_crt_check_hostname2(crt, t->host, 0)) {
			ok = name_rejected(t, crt, error);
		}
	}
	if (ok && s->pin_sha256)
		ok = check_pin(t, &certs[0], error);
	gnutls_x509_crt_deinit(crt);
	return ok;
}

static void free_session(NetTransport *t)
{
	if (t->tls)
		gnutls_deinit(t->tls);
	t->tls = NULL;
}

gboolean transport_tls_start(NetTransport *t, GError **error)
{
	g_return_val_if_fail(t && !t->tls, FALSE);

	if (ensure_credentials(t, error) && setup_session(t, error) && handshake(t, error) &&
	    verify_peer(t, error))
		return TRUE;
	free_session(t);
	return FALSE;
}

void transport_tls_shutdown(NetTransport *t)
{
	if (t->tls) {
		gint64 deadline = transport_deadline(TLS_BYE_TIMEOUT_MS);
		for (;;) {
			/* SHUT_WR: say goodbye without waiting for the peer's reply. */
			int rc = gnutls_bye(t->tls, GNUTLS_SHUT_WR);
			if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
				break;
			struct pollfd p = {t->wfd, POLLOUT, 0};
			if (transport_poll(&p, 1, deadline, NULL) <= 0)
				break;
		}
	}
	free_session(t);
	if (t->creds)
		gnutls_certificate_free_credentials(t->creds);
	t->creds = NULL;
}

void transport_tls_settings_clear(TransportTlsSettings *s)
{
	g_clear_pointer(&s->ca_file, g_free);
	g_clear_pointer(&s->priority, g_free);
	g_clear_pointer(&s->client_cert, g_free);
	g_clear_pointer(&s->client_key, g_free);
	g_clear_pointer(&s->pin_sha256, g_free);
}

/* imapfs — how to reach and log in to one server, whatever its protocol.
 *
 * The connection (host, port, security, TLS checks, proxy or tunnel, timeouts), the
 * credentials the SASL mechanisms need and the trace hook. NetConfig and SmtpConfig
 * embed one as their member "net"; each protocol knows its own default ports, so a
 * port of 0 here means "the protocol's default" and the transport is given the port.
 *
 * Ownership: every string belongs to the NetConfig; net_config_clear() wipes the
 * password, the token and the proxy URL (it may hold "user:pass@") before freeing them
 * and accepts NULL; net_config_copy() makes a deep copy.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	NET_SECURITY_TLS = 0,  /* implicit TLS (IMAP 993, SMTP 465) */
	NET_SECURITY_STARTTLS, /* plaintext port, STARTTLS required */
	NET_SECURITY_PLAIN,    /* no TLS at all; only when chosen by name */
	NET_SECURITY_AUTO,     /* implicit TLS, else STARTTLS; never plaintext */
} NetSecurity;

typedef enum {
	NET_TLS_1_2 = 0,
	NET_TLS_1_3,
} NetTlsMin;

typedef void (*NetTraceFunc)(const char *line, gpointer user_data);

typedef struct {
	char *host;
	guint16 port; /* 0: the protocol's default for security */
	NetSecurity security;

	/* TLS */
	char *ca_file;		      /* NULL: the system trust store */
	gboolean tls_verify_cert;     /* chain check; TRUE unless turned off by name */
	gboolean tls_verify_hostname; /* host-name check; TRUE unless turned off by name */
	NetTlsMin tls_min;
	char *tls_priority;    /* GnuTLS priority string, NULL: "NORMAL" with tls_min applied */
	char *tls_client_cert; /* PEM files, both or neither */
	char *tls_client_key;
	char *tls_pin_sha256; /* hex SHA-256 of the server's DER certificate, or NULL */

	/* Routing */
	char *proxy;  /* socks4://, socks4a://, socks5://user:pass@h:p, http://user:pass@h:p */
	char *tunnel; /* shell command speaking the protocol on stdin/stdout, or NULL */

	/* Authentication */
	char *user;
	char *password;		       /* secret: never logged */
	char *oauth2_token;	       /* secret: never logged */
	char **mechanisms;	       /* allow-list, upper case: PLAIN LOGIN CRAM-MD5 XOAUTH2
					* OAUTHBEARER and, for IMAP only, "LOGINCMD" for the LOGIN
					* command; NULL: all but the OAuth ones (those when a token
					* is set) */
	gboolean allow_plaintext_auth; /* send a password without TLS */

	/* Timeouts in milliseconds; 0 = default */
	guint connect_timeout_ms;  /* default 15 s */
	guint greeting_timeout_ms; /* default 10 s */
	guint io_timeout_ms;	   /* default 60 s (NET_DEFAULT_IO_TIMEOUT_MS) */

	/* Protocol trace, credentials redacted; NULL: none */
	NetTraceFunc trace;
	gpointer trace_data;
} NetConfig;

#define NET_DEFAULT_IO_TIMEOUT_MS 60000

void net_config_init(NetConfig *cfg);  /* defaults: TLS, verify on, 1.2 */
void net_config_clear(NetConfig *cfg); /* frees members, wipes secrets */
void net_config_copy(NetConfig *dst, const NetConfig *src);

guint net_config_io_timeout_ms(const NetConfig *cfg); /* the effective I/O timeout */

G_END_DECLS

/* imapfs — how to reach and log in to one IMAP account.
 *
 * Filled in by fs/ (options, config file) and read by transport and session. Strings
 * are owned by the ImapConfig; imap_config_free() wipes the password and token before
 * freeing them and accepts NULL. imap_config_copy() makes a deep copy.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	IMAP_SECURITY_TLS = 0, /* implicit TLS, port 993 */
	IMAP_SECURITY_STARTTLS, /* port 143, STARTTLS required */
	IMAP_SECURITY_PLAIN,    /* no TLS at all; only when chosen by name */
	IMAP_SECURITY_AUTO,     /* TLS on 993, else STARTTLS on 143; never plaintext */
} ImapSecurity;

typedef enum {
	IMAP_TLS_1_2 = 0,
	IMAP_TLS_1_3,
} ImapTlsMin;

typedef void (*ImapTraceFunc)(const char *line, gpointer user_data);

typedef struct {
	char *host;
	guint16 port; /* 0: 993 for TLS, 143 otherwise */
	ImapSecurity security;

	/* TLS */
	char *ca_file;            /* NULL: the system trust store */
	gboolean tls_verify_cert; /* chain check; TRUE unless turned off by name */
	gboolean tls_verify_hostname; /* host-name check; TRUE unless turned off by name */
	ImapTlsMin tls_min;
	char *tls_priority;  /* GnuTLS priority string, NULL: "NORMAL" with tls_min applied */
	char *tls_client_cert; /* PEM files, both or neither */
	char *tls_client_key;
	char *tls_pin_sha256; /* hex SHA-256 of the server's DER certificate, or NULL */

	/* Routing */
	char *proxy;  /* socks4://, socks4a://, socks5://user:pass@h:p, http://user:pass@h:p */
	char *tunnel; /* shell command speaking IMAP on stdin/stdout, or NULL */

	/* Authentication */
	char *user;
	char *password;     /* secret: never logged */
	char *oauth2_token; /* secret: never logged */
	char **mechanisms;  /* allow-list, upper case: PLAIN LOGIN CRAM-MD5 XOAUTH2
	                     * OAUTHBEARER and "LOGINCMD" for the LOGIN command;
	                     * NULL: all but the OAuth ones (those when a token is set) */
	gboolean allow_plaintext_auth; /* send a password without TLS */

	/* Timeouts in milliseconds; 0 = default */
	guint connect_timeout_ms;  /* default 15 s */
	guint greeting_timeout_ms; /* default 10 s */
	guint io_timeout_ms;	   /* default 60 s (IMAP_DEFAULT_IO_TIMEOUT_MS) */

	/* Large body literals are spooled here (unlinked temp files); NULL: g_get_tmp_dir() */
	char *spool_dir;

	/* Protocol trace, credentials redacted; NULL: none */
	ImapTraceFunc trace;
	gpointer trace_data;
} ImapConfig;

#define IMAP_DEFAULT_IO_TIMEOUT_MS 60000

void imap_config_init(ImapConfig *cfg); /* defaults: TLS, verify on, 1.2 */
void imap_config_clear(ImapConfig *cfg); /* frees members, wipes secrets */
void imap_config_copy(ImapConfig *dst, const ImapConfig *src);

guint16 imap_config_port(const ImapConfig *cfg); /* the effective port */
guint imap_config_io_timeout_ms(const ImapConfig *cfg); /* the effective I/O timeout */

G_END_DECLS

/* imapfs conf — what the account and the mount are configured to be: the options
 * (-o host=…,user=…, … and the config file's keys), before anything connects.
 *
 * conf/ is the layer of options, config files and credentials (files, commands, the
 * prompt, OAuth2 tokens). It may include net/, imap/, smtp/ and cache/ headers, GLib,
 * json-glib and libcurl; never FUSE or fs/ (fs/options-args.c reads the command line
 * with fuse_opt and hands conf/ the raw values, the raw options below). The password never
 * comes from argv: "password=" is refused.
 *
 * Ownership: ConfOptions owns all its strings; conf_options_clear() frees them (and wipes
 * the ImapConfig's secrets). On failure *opts is left cleared.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"
#include "conf/options-smtp.h"

G_BEGIN_DECLS

#define CONF_DEFAULT_CONNECTIONS 3
#define CONF_MAX_CONNECTIONS 16
#define CONF_DEFAULT_KEEPALIVE 300

typedef struct {
	ImapConfig imap;	   /* host, port, user, security, TLS and timeouts */
	char *password_command;	   /* run through the shell */
	char *password_file;	   /* must be 0600 and owned by the user */
	char *proxy_password_file; /* same rule; merged into imap.proxy by main.c */
	guint connections;	   /* pool size, 1..CONF_MAX_CONNECTIONS */
	char *cache_dir;	   /* default: g_get_user_cache_dir()/imapfs */
	guint64 cache_size;	   /* bytes, 0 = unlimited */
	gboolean ro;
	gboolean trace; /* -o imap_trace: protocol trace in the log (redacted) */
	char *log;	/* -o log=syslog|stderr|FILE; NULL: the default (fs/log.h) */

	/* connect (conf/config-file.c, conf/oauth2.c, fs/check.c) */
	guint keepalive;	    /* seconds between NOOPs on idle sessions, 0 = default */
	gboolean oauth2;	    /* log in with XOAUTH2/OAUTHBEARER only */
	char *oauth2_token_command; /* prints an access token */
	char *oauth2_token_url;	    /* HTTPS token endpoint for the refresh grant */
	char *oauth2_client_id;
	char *oauth2_client_secret; /* secret: only from the config file, wiped */
	char *oauth2_refresh_token; /* secret: only from the config file, wiped */

	ConfSmtpOptions *smtp; /* smtp (conf/options-smtp.c, fs/outbox.c); NULL: no outbox */
} ConfOptions;

void conf_options_init(ConfOptions *opts);
void conf_options_clear(ConfOptions *opts);

/* "512M", "2G", "1048576", "100K" -> bytes (binary multiples). FALSE if malformed. */
gboolean conf_parse_size(const char *text, guint64 *out);

/* The option list for --help. */
const char *conf_options_help(void);

/* The options as the command line gives them, before they mean anything: fs/options-args.c
 * fills these with fuse_opt (strings malloc'd, numbers -1 when unset) and the functions
 * below judge them, so FUSE stays out of conf/ and each option's rules stay here. The
 * raw strings are freed (free()) by conf_options_raw_free(). */
typedef struct {
	char *host, *user, *security, *ca_file, *tls_verify, *tls_verify_hostname, *tls_min;
	char *password_command, *password_file, *cache_dir, *cache_size, *log;
	int port, timeout, connections, ro, trace, password_given;
	/* connect: TLS details, routing, mechanisms, timeouts, OAuth2 */
	char *tls_priority, *tls_client_cert, *tls_client_key, *tls_pin_sha256, *proxy, *tunnel;
	char *mechanisms, *allow_plaintext_auth, *oauth2, *oauth2_token_command;
	char *oauth2_token_url, *oauth2_client_id, *proxy_password_file;
	int greeting_timeout, connect_timeout, keepalive, secret_given;
} ConfRawOptions;

#define CONF_RAW_OPTIONS_INIT                                                                      \
	{                                                                                          \
		.port = -1, .timeout = -1, .connections = -1, .greeting_timeout = -1,              \
		.connect_timeout = -1, .keepalive = -1                                             \
	}

/* Applies RAW's values to OPTS (initialised, its smtp member already set). FALSE with
 * a G_OPTION_ERROR naming the option on a bad value; OPTS is then half-filled. */
gboolean conf_options_apply(const ConfRawOptions *raw, ConfOptions *opts, GError **error);
void conf_options_raw_free(ConfRawOptions *raw);

G_END_DECLS

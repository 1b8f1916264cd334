/* imapfs conf — the options as the command line gives them, before they mean anything.
 *
 * fs/options-args.c fills these from "-o" with fuse_opt (strings malloc'd, numbers -1
 * when unset), and the functions here turn them into ConfOptions / ConfSmtpOptions,
 * refusing bad values with a message that names the option. That keeps FUSE out of
 * conf/ and the rules for each option in one place.
 *
 * Ownership: the raw strings are freed (free()) by conf_options_raw_free() and by
 * conf_smtp_options_from_raw(), which consumes its RAW.
 */
#pragma once

#include <glib.h>
#include "conf/options.h"

G_BEGIN_DECLS

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

typedef struct {
	char *host, *security, *user, *password_command, *password_file, *mechanisms, *proxy;
	char *ca_file, *tls_verify, *tls_verify_hostname, *allow_plaintext_auth;
	char *outbox, *sent_folder, *from, *helo_name;
	int port, timeout, greeting_timeout, password_given, any;
} ConfRawSmtp;

#define CONF_RAW_SMTP_INIT                                                                         \
	{                                                                                          \
		.port = -1, .timeout = -1, .greeting_timeout = -1                                  \
	}

void conf_smtp_raw_free(ConfRawSmtp *raw);

/* *out: NULL when no smtp_host was given (and then no other SMTP option may be).
 * Frees RAW's strings in any case. */
gboolean conf_smtp_options_from_raw(ConfRawSmtp *raw, ConfSmtpOptions **out, GError **error);

G_END_DECLS

/* imapfs conf — the SMTP options (-o smtp_host=…, outbox=…, …) that give the mount an
 * outbox directory (fs/outbox.c). Read by fs_options_parse() before the IMAP options,
 * with their own fuse_opt table, and removed from ARGS (the raw options below). Settings
 * not given are taken from the IMAP ones at mount time (TLS checks, CA file, user and
 * password).
 *
 * Ownership: ConfSmtpOptions owns its strings; conf_smtp_options_free() accepts NULL.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"

G_BEGIN_DECLS

typedef struct ConfSmtpOptions {
	char *host;
	guint16 port;		/* 0: 465 (tls, auto) or 587 */
	NetSecurity security;	/* default auto */
	char *user;		/* NULL: the IMAP user */
	char *password_command; /* neither: the IMAP password */
	char *password_file;
	char **mechanisms; /* NULL: all but the OAuth ones */
	char *proxy;
	char *ca_file;		   /* NULL: the IMAP ca_file */
	int tls_verify;		   /* -1: as for IMAP */
	int tls_verify_hostname;   /* -1: as for IMAP */
	int allow_plaintext_auth;  /* -1: only with smtp_security=plain */
	guint timeout_ms;	   /* I/O and connect; 0: default */
	guint greeting_timeout_ms; /* 0: default */
	char *outbox;		   /* directory name in the root, default ".outbox" */
	char *sent_folder;	   /* NULL: SPECIAL-USE \Sent, else "Sent" */
	char *from;		   /* envelope sender instead of From:, or NULL */
	char *helo_name;
	gboolean no_auth; /* smtp_auth=none: no AUTH, no SMTP secret read */
} ConfSmtpOptions;

void conf_smtp_options_free(ConfSmtpOptions *o);

const char *conf_smtp_options_help(void);

/* The options as the command line gives them, before they mean anything: fs/options-args.c
 * fills these with fuse_opt (strings malloc'd, numbers -1 when unset) and the functions
 * below judge them, so FUSE stays out of conf/ and each option's rules stay here. The
 * raw strings are freed (free()) by conf_smtp_raw_free() and conf_smtp_options_from_raw(),
 * which consumes its RAW. */
typedef struct {
	char *host, *security, *user, *password_command, *password_file, *mechanisms, *proxy;
	char *ca_file, *tls_verify, *tls_verify_hostname, *allow_plaintext_auth;
	char *outbox, *sent_folder, *from, *helo_name, *auth;
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

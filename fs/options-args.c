/* imapfs fs — the command line's -o options read with fuse_opt (see options-args.h); what
 * they mean is conf/'s (conf/options.h, conf/options-smtp.h). */
#define FUSE_USE_VERSION 34
#include "fs/options-args.h"
#include "conf/options-smtp.h"
#include "fs/log.h"

#include <fuse_opt.h>
#include <stddef.h>

enum { KEY_SMTP_PASSWORD = 100 };

#define SMTP_OPT(t, f)                                                                             \
	{                                                                                          \
		t, offsetof(ConfRawSmtp, f), 0                                                     \
	}
static const struct fuse_opt smtp_spec[] = {
    SMTP_OPT("smtp_host=%s", host),
    SMTP_OPT("smtp_port=%d", port),
    SMTP_OPT("smtp_security=%s", security),
    SMTP_OPT("smtp_user=%s", user),
    SMTP_OPT("smtp_password_command=%s", password_command),
    SMTP_OPT("smtp_password_file=%s", password_file),
    SMTP_OPT("smtp_mechanisms=%s", mechanisms),
    SMTP_OPT("smtp_proxy=%s", proxy),
    SMTP_OPT("smtp_ca_file=%s", ca_file),
    SMTP_OPT("smtp_tls_verify=%s", tls_verify),
    SMTP_OPT("smtp_tls_verify_hostname=%s", tls_verify_hostname),
    SMTP_OPT("smtp_allow_plaintext_auth=%s", allow_plaintext_auth),
    SMTP_OPT("smtp_timeout=%d", timeout),
    SMTP_OPT("smtp_greeting_timeout=%d", greeting_timeout),
    SMTP_OPT("outbox=%s", outbox),
    SMTP_OPT("sent_folder=%s", sent_folder),
    SMTP_OPT("from=%s", from),
    SMTP_OPT("smtp_helo=%s", helo_name),
    SMTP_OPT("smtp_auth=%s", auth),
    FUSE_OPT_KEY("smtp_password=", KEY_SMTP_PASSWORD),
    FUSE_OPT_KEY("smtp_password", KEY_SMTP_PASSWORD),
    FUSE_OPT_END,
};

static int smtp_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	ConfRawSmtp *raw = data;

	if (key == KEY_SMTP_PASSWORD) {
		raw->password_given = 1; /* dropped at once; only remembered to refuse it */
		return 0;
	}
	return 1;
}

/* The SMTP options have a table of their own, so the IMAP table needs only one call. */
static gboolean smtp_options_parse(struct fuse_args *args, ConfSmtpOptions **out, GError **error)
{
	ConfRawSmtp raw = CONF_RAW_SMTP_INIT;

	*out = NULL;
	if (fuse_opt_parse(args, &raw, smtp_spec, smtp_proc) == -1) {
		conf_smtp_raw_free(&raw);
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "cannot parse the SMTP options");
		return FALSE;
	}
	return conf_smtp_options_from_raw(&raw, out, error);
}

enum { KEY_PASSWORD, KEY_RO, KEY_SECRET };

#define OPT(t, f, v)                                                                               \
	{                                                                                          \
		t, offsetof(ConfRawOptions, f), v                                                  \
	}
static const struct fuse_opt opt_spec[] = {
    OPT("host=%s", host, 0),
    OPT("port=%d", port, 0),
    OPT("user=%s", user, 0),
    OPT("security=%s", security, 0),
    OPT("ca_file=%s", ca_file, 0),
    OPT("tls_verify=%s", tls_verify, 0),
    OPT("tls_verify_hostname=%s", tls_verify_hostname, 0),
    OPT("tls_min=%s", tls_min, 0),
    OPT("password_command=%s", password_command, 0),
    OPT("password_file=%s", password_file, 0),
    OPT("timeout=%d", timeout, 0),
    OPT("connections=%d", connections, 0),
    OPT("cache_dir=%s", cache_dir, 0),
    OPT("cache_size=%s", cache_size, 0),
    OPT("imap_trace", trace, 1),
    OPT("log=%s", log, 0),
    OPT("tls_priority=%s", tls_priority, 0),
    OPT("tls_client_cert=%s", tls_client_cert, 0),
    OPT("tls_client_key=%s", tls_client_key, 0),
    OPT("tls_pin_sha256=%s", tls_pin_sha256, 0),
    OPT("proxy=%s", proxy, 0),
    OPT("proxy_password_file=%s", proxy_password_file, 0),
    OPT("tunnel=%s", tunnel, 0),
    OPT("mechanisms=%s", mechanisms, 0),
    OPT("allow_plaintext_auth=%s", allow_plaintext_auth, 0),
    OPT("greeting_timeout=%d", greeting_timeout, 0),
    OPT("connect_timeout=%d", connect_timeout, 0),
    OPT("keepalive=%d", keepalive, 0),
    OPT("oauth2=%s", oauth2, 0),
    OPT("oauth2_token_command=%s", oauth2_token_command, 0),
    OPT("oauth2_token_url=%s", oauth2_token_url, 0),
    OPT("oauth2_client_id=%s", oauth2_client_id, 0),
    FUSE_OPT_KEY("oauth2_client_secret=", KEY_SECRET),
    FUSE_OPT_KEY("oauth2_refresh_token=", KEY_SECRET),
    FUSE_OPT_KEY("password=", KEY_PASSWORD),
    FUSE_OPT_KEY("password", KEY_PASSWORD),
    FUSE_OPT_KEY("ro", KEY_RO),
    FUSE_OPT_END,
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	ConfRawOptions *raw = data;

	switch (key) {
	case KEY_PASSWORD:
		/* Dropped from the argument list at once; only remembered to refuse it. */
		raw->password_given = 1;
		return 0;
	case KEY_SECRET:
		raw->secret_given = 1;
		return 0;
	case KEY_RO:
		raw->ro = 1;
		return 1; /* the kernel mount is read-only too */
	default:
		return 1;
	}
}

gboolean fs_options_parse(struct fuse_args *args, ConfOptions *opts, GError **error)
{
	ConfRawOptions raw = CONF_RAW_OPTIONS_INIT;
	gboolean ok;

	conf_options_init(opts);
	if (!smtp_options_parse(args, &opts->smtp, error)) { /* its own table (smtp) */
		conf_options_clear(opts);
		return FALSE;
	}
	if (fuse_opt_parse(args, &raw, opt_spec, opt_proc) == -1) {
		conf_options_raw_free(&raw);
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "cannot parse the options");
		return FALSE;
	}
	ok = conf_options_apply(&raw, opts, error);
	conf_options_raw_free(&raw);
	/* Where the log goes is fs/'s to judge. */
	if (ok && opts->log && !fs_log_valid(opts->log, error))
		ok = FALSE;
	if (!ok)
		conf_options_clear(opts);
	return ok;
}

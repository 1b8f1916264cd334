/* imapfs fs — command-line options (-o host=…,user=…, …) parsed with fuse_opt.
 *
 * fs_options_parse() removes imapfs's own options from ARGS and leaves everything else
 * (mount point, -f, -d, FUSE mount options including ro) for fuse_parse_cmdline() and
 * fuse_session_new(). The password never comes from argv: "password=" is refused.
 *
 * Ownership: FsOptions owns all its strings; fs_options_clear() frees them (and wipes
 * the ImapConfig's secrets). On failure *opts is left cleared.
 */
#pragma once

#include <glib.h>
#include "imap/config.h"
#include "fs/options-smtp.h"

struct fuse_args;

G_BEGIN_DECLS

#define FS_DEFAULT_CONNECTIONS 3
#define FS_MAX_CONNECTIONS 16
#define FS_DEFAULT_KEEPALIVE 300

typedef struct {
	ImapConfig imap;	   /* host, port, user, security, TLS and timeouts */
	char *password_command;	   /* run through the shell */
	char *password_file;	   /* must be 0600 and owned by the user */
	char *proxy_password_file; /* same rule; merged into imap.proxy by main.c */
	guint connections;	   /* pool size, 1..FS_MAX_CONNECTIONS */
	char *cache_dir;	   /* default: g_get_user_cache_dir()/imapfs */
	guint64 cache_size;	   /* bytes, 0 = unlimited */
	gboolean ro;
	gboolean trace; /* -o imap_trace: protocol trace in the log (redacted) */
	char *log;	/* -o log=syslog|stderr|FILE; NULL: the default (fs/log.h) */

	/* connect (fs/config-file.c, fs/oauth2.c, fs/check.c) */
	guint keepalive;	    /* seconds between NOOPs on idle sessions, 0 = default */
	gboolean oauth2;	    /* log in with XOAUTH2/OAUTHBEARER only */
	char *oauth2_token_command; /* prints an access token */
	char *oauth2_token_url;	    /* HTTPS token endpoint for the refresh grant */
	char *oauth2_client_id;
	char *oauth2_client_secret; /* secret: only from the config file, wiped */
	char *oauth2_refresh_token; /* secret: only from the config file, wiped */

	FsSmtpOptions *smtp; /* smtp (fs/options-smtp.c, fs/outbox.c); NULL: no outbox */
} FsOptions;

void fs_options_init(FsOptions *opts);
void fs_options_clear(FsOptions *opts);

gboolean fs_options_parse(struct fuse_args *args, FsOptions *opts, GError **error);

/* "512M", "2G", "1048576", "100K" -> bytes (binary multiples). FALSE if malformed. */
gboolean fs_parse_size(const char *text, guint64 *out);

/* The option list for --help. */
const char *fs_options_help(void);

G_END_DECLS

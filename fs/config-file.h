/* imapfs fs — the config file (INI, GKeyFile) and the arguments that choose it.
 *
 *     imapfs [--config FILE] [--account NAME] [--check] [ACCOUNT] MOUNTPOINT [-o OPTS]
 *
 * A config file has a [DEFAULT] section and one section per account; an account's keys
 * fall back to [DEFAULT]'s (as in Python's configparser). Without --config the file is
 * $XDG_CONFIG_HOME/imapfs/config when it exists. The account is --account, -o account=,
 * or the first of two positional arguments (mount.fuse3 and /etc/fstab run
 * "imapfs ACCOUNT MOUNTPOINT -o OPTS"); without one, the only section, else [DEFAULT].
 *
 * One option parser for both: every key of the section is translated into the -o option
 * of the same name and the result is inserted into ARGS as "-o k=v,..." right after
 * argv[0], before the command line's own -o options, which therefore win. So every -o
 * option (fs/options.c, including ones added later such as smtp_*) is a config key
 * without any change here, and the other way round. Unknown keys reach FUSE like an
 * unknown -o would, and are refused there.
 *
 * Python IMAPClient's keys are accepted as they are: username (user), ssl / starttls /
 * stream (security, tunnel), ssl_check_hostname (tls_verify_hostname), ssl_verify_cert
 * (tls_verify), ssl_ca_file (ca_file), timeout, port, host, oauth2, oauth2_client_id,
 * with its booleans 1/yes/true/on and 0/no/false/off in any case.
 *
 * Secrets (password, oauth2_client_secret, oauth2_refresh_token, and a proxy or smtp_proxy
 * URL that holds a password) never go through ARGS:
 * they are kept in FsConfig and moved into FsOptions by fs_config_apply_secrets(). A
 * file holding one must be private: if group or others can read it, or it is not the
 * user's, it is refused with a message that says "chmod 600 FILE".
 *
 * Ownership: FsConfig owns its strings; fs_config_clear() wipes the secrets and accepts
 * a cleared or zeroed FsConfig. On failure ARGS may have lost the arguments named above.
 */
#pragma once

#include <glib.h>
#include "fs/options.h"

struct fuse_args;

G_BEGIN_DECLS

typedef struct {
	char *file;	/* the config file read, or NULL */
	char *account;	/* the section used, or NULL */
	gboolean check; /* --check */
	/* Secrets from the file (wiped by fs_config_clear). */
	char *password;
	char *oauth2_client_secret;
	char *oauth2_refresh_token;
	char *proxy;	  /* a proxy URL with a password in it (-o proxy= refuses those) */
	char *smtp_proxy; /* the same for smtp_proxy (-o smtp_proxy= refuses those) */
} FsConfig;

void fs_config_clear(FsConfig *cfg);

/* Removes --config FILE, --config=FILE, --account NAME, --account=NAME, --check, -o
 * config=, -o account= and the ACCOUNT positional argument from ARGS, reads the file and
 * inserts its options (see above). */
gboolean fs_config_prepare(struct fuse_args *args, FsConfig *cfg, GError **error);

/* Reads PATH and returns the options of ACCOUNT (NULL: see above) as one -o string
 * ("host=h,port=1,..." with ',' and '\' escaped); secrets go to cfg. */
char *fs_config_load(const char *path, const char *account, FsConfig *cfg, GError **error);

/* Moves the file's secrets into opts; a password_file or password_command given as an
 * option wins over the file's password. */
void fs_config_apply_secrets(FsConfig *cfg, FsOptions *opts);

G_END_DECLS

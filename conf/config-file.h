/* imapfs conf — the config file (INI, GKeyFile); fs/config-args.h takes the arguments
 * that choose it out of the command line.
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
 * option (conf/options.c, including ones added later such as smtp_*) is a config key
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
 * they are kept in ConfFile and moved into ConfOptions by conf_file_apply_secrets(). A
 * file holding one must be private: if group or others can read it, or it is not the
 * user's, it is refused with a message that says "chmod 600 FILE".
 *
 * Ownership: ConfFile owns its strings; conf_file_clear() wipes the secrets and accepts
 * a cleared or zeroed ConfFile. On failure ARGS may have lost the arguments named above.
 */
#pragma once

#include <glib.h>
#include "conf/options.h"

G_BEGIN_DECLS

typedef struct {
	char *file;	/* the config file read, or NULL */
	char *account;	/* the section used, or NULL */
	gboolean check; /* --check */
	/* Secrets from the file (wiped by conf_file_clear). */
	char *password;
	char *oauth2_client_secret;
	char *oauth2_refresh_token;
	char *proxy;	  /* a proxy URL with a password in it (-o proxy= refuses those) */
	char *smtp_proxy; /* the same for smtp_proxy (-o smtp_proxy= refuses those) */
} ConfFile;

void conf_file_clear(ConfFile *cfg);

/* Reads PATH and returns the options of ACCOUNT (NULL: see above) as one -o string
 * ("host=h,port=1,..." with ',' and '\' escaped); secrets go to cfg. */
char *conf_file_load(const char *path, const char *account, ConfFile *cfg, GError **error);

/* Moves the file's secrets into opts; a password_file or password_command given as an
 * option wins over the file's password. */
void conf_file_apply_secrets(ConfFile *cfg, ConfOptions *opts);

G_END_DECLS

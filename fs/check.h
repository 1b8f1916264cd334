/* imapfs fs — `imapfs --check`: connect, log in, list the folders with their message
 * counts and the server's capabilities, then exit. Also the exit status of a failed
 * connection, by class, so scripts can tell them apart:
 *
 *   0  everything worked
 *   1  usage or configuration error (options, config file)
 *   2  no credentials (password_file, password_command, OAuth2 token source failed)
 *   3  unreachable: connection refused, no route, closed while connecting
 *   4  timed out (connect, greeting or I/O)
 *   5  TLS: handshake, certificate (and why), pin, version
 *   6  authentication refused (wrong password or token, no usable mechanism)
 *   7  refused by the proxy (its authentication, or the destination not allowed)
 *   8  the server misbehaved or refused something else (BYE, NO, protocol error)
 *
 * Every failure is printed as what failed and what to try, without secrets.
 */
#pragma once

#include <glib.h>
#include "conf/options.h"

G_BEGIN_DECLS

enum {
	FS_EXIT_OK = 0,
	FS_EXIT_USAGE = 1,
	FS_EXIT_CREDENTIALS = 2,
	FS_EXIT_UNREACHABLE = 3,
	FS_EXIT_TIMEOUT = 4,
	FS_EXIT_TLS = 5,
	FS_EXIT_AUTH = 6,
	FS_EXIT_PROXY = 7,
	FS_EXIT_SERVER = 8,
};

/* The class of a connection failure (an IMAP_ERROR) as an exit status. */
int fs_check_exit_code(const ImapConfig *cfg, const GError *error);
/* What to try, for a person; never NULL. */
const char *fs_check_hint(int exit_code);

/* Runs the check with opts (credentials already in opts->imap); prints the report on
 * stdout, a failure on stderr; returns the exit status. */
int fs_check_run(const ConfOptions *opts);

/* The --help text of --check, --config and --account, with the exit codes. */
const char *fs_check_help(void);

G_END_DECLS

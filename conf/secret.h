/* imapfs conf — getting the password without it ever touching argv or a log.
 *
 * conf_secret_from_file() refuses a file that is not a regular file owned by the
 * current user with mode 0600 (or stricter): anyone else able to read it has the
 * password already. conf_secret_from_command() runs the command through /bin/sh with
 * stdin inherited (so gpg or pass can ask); its stdout's first line is the password (stderr passes
 * through so the command can talk to the user).
 *
 * The returned string is owned by the caller; free it with conf_secret_free(), which
 * wipes it. Intermediate buffers are wiped too. On failure NULL with ERROR set.
 *
 * A proxy password is never taken from argv either: -o proxy_password_file=FILE (same
 * 0600 rule) is merged into the proxy URL in memory with conf_secret_url_with_password().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONF_SECRET_MAX 4096

char *conf_secret_from_file(const char *path, GError **error);
char *conf_secret_from_command(const char *command, GError **error);
void conf_secret_free(char *secret); /* wipes, accepts NULL */

/* A proxy URL (scheme://[user[:password]@]host:port): does it carry a password? */
gboolean conf_secret_url_has_password(const char *url);
/* URL (which must name a user and no password) with PASSWORD put in, percent-encoded;
 * free with conf_secret_free(). NULL with ERROR when URL does not fit. */
char *conf_secret_url_with_password(const char *url, const char *password, GError **error);

G_END_DECLS

/* imapfs conf — asking for the password on the terminal, without echo.
 *
 * Only when stdin is a terminal (never for mount.fuse3/fstab or systemd, which have
 * none). The prompt goes to stderr. The result is the caller's, freed with
 * conf_secret_free(); NULL with error when no terminal, end of input, or an empty line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean conf_prompt_available(void);
char *conf_prompt_password(const char *user, const char *host, GError **error);

G_END_DECLS

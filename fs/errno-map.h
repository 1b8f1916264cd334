/* imapfs fs — the one place where a GError becomes an errno (at the FUSE boundary). */
#pragma once

#include <glib.h>

#include "fs/log.h"

G_BEGIN_DECLS

/* IMAP_ERROR codes, G_IO_ERROR codes; anything else (or NULL) is EIO. */
int fs_errno_from_error(const GError *error);

/* The same errno, for a user's call that fails on FOLDER (its IMAP name; "" the top) and
 * file NAME (NULL: the folder itself) while doing WHAT ("cannot read"). When it is an
 * errno the user cannot explain alone (EIO, ETIMEDOUT), the log gets one line first,
 * "imapfs: FOLDER/NAME: WHAT: the server's words", unless LIMIT (may be NULL) dropped it
 * as a repeat. Ordinary answers (ENOENT, EEXIST, ...) are not logged. */
int fs_errno_logged(FsLogLimit *limit, const char *folder, const char *name, const char *what,
		    const GError *error);

G_END_DECLS

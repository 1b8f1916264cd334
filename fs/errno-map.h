/* imapfs fs — the one place where a GError becomes an errno (at the FUSE boundary). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* IMAP_ERROR codes, G_IO_ERROR codes; anything else (or NULL) is EIO. */
int fs_errno_from_error(const GError *error);

G_END_DECLS

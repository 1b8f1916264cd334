/* imapfs fs — directory-entry names for folders and messages.
 *
 * A mailbox name component (UTF-8, between hierarchy delimiters) becomes one directory
 * entry name. The mapping is reversible: '%', '/', a leading '.', an empty component and
 * a component that would look like a message file are written as %XX (hex of the byte).
 * Names whose escaped form exceeds FS_NAME_MAX bytes are cut at a UTF-8 boundary and
 * given a hash suffix ("…%~0123456789abcdef"); those cannot be unescaped, so callers
 * record them (the folder tree keeps entry name -> mailbox for every child).
 *
 * A raw component (imap/mailbox-name.h: wire bytes that cannot be shown decoded) is
 * named from its wire bytes, escaping also '&' and every 8-bit byte; a decoded name never
 * escapes those, so the two kinds never share a name. A mailbox with an empty level
 * (a leading, doubled or trailing delimiter) is one entry at the top, its levels joined
 * by the delimiter's %XX, which no single level holds.
 *
 * Message files are named by mail/msg-name.h; a folder that would look like one is
 * escaped.
 *
 * Ownership: returned strings are newly allocated (g_free).
 */
#pragma once

#include <glib.h>
#include "mail/msg-name.h"

G_BEGIN_DECLS

#define FS_NAME_MAX 255

char *fs_name_escape(const char *component);
/* The entry name of raw wire bytes (escapes '&' and 8-bit bytes too). */
char *fs_name_escape_wire(const char *wire);
/* The entry name of one session-API component: decoded text or a raw component. */
char *fs_name_of_component(const char *comp);
/* The one entry name of a whole MAILBOX (all its levels, for names with an empty one). */
char *fs_name_of_mailbox(const char *mailbox, char delimiter);
/* NULL for a name that is not a well-formed escape (or a hashed long name). */
char *fs_name_unescape(const char *name);
gboolean fs_name_is_hashed(const char *name);

G_END_DECLS

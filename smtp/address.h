/* imapfs — RFC 5322 address lists (To, Cc, Bcc, From) reduced to the addr-specs SMTP
 * needs: display names, comments and group names are dropped, group members kept.
 *
 * Ownership: new strings are appended to out (the caller's GPtrArray, which should free
 * with g_free); on failure out is left as it was.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SMTP_MAX_ADDRESS_LEN 998

/* text is an unfolded field body (no CRLF needed, but tolerated), not NUL-terminated.
 * FALSE with SMTP_ERROR_INVALID and a message quoting the culprit when malformed. */
gboolean smtp_address_list_parse(const char *text, gsize len, GPtrArray *out, GError **error);

G_END_DECLS

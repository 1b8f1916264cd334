/* imapfs — modified UTF-7 (RFC 3501 section 5.1.3) for mailbox names.
 *
 * Both directions reject invalid input (returning NULL with IMAP_ERROR_INVALID) rather
 * than mangling it: a bad '&' sequence, non-canonical encoding, unpaired surrogates,
 * invalid UTF-8. Returned strings are newly allocated (g_free).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *imap_mutf7_encode(const char *utf8, GError **error);
char *imap_mutf7_decode(const char *mutf7, GError **error);

G_END_DECLS

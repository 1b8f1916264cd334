/* imapfs — the top level of the OAuth2 token endpoint's JSON answer, read by json-glib.
 *
 * conf_token_json_fields() checks that TEXT (LEN bytes) is one JSON object and returns
 * its top-level members whose values are strings or numbers: key -> value, strings
 * decoded to UTF-8, integers in decimal, other numbers as g_ascii_dtostr() writes them.
 * Nested objects and arrays, true, false and null are skipped; a key inside them, or
 * inside a string, is never a top-level member. Malformed input (what json-glib
 * refuses, anything but an object, a duplicated top-level key, nesting deeper than 64)
 * gives NULL and an IMAP_ERROR_PROTOCOL error "malformed JSON at byte N: ...". Values
 * are wiped when the table frees them (they may be tokens).
 *
 * json-glib 1.6 (Debian 12) is lenient where RFC 8259 is not (single quotes, leading
 * zeros, unknown escapes, raw control characters in strings, \u0000): those parse. Its
 * parser recurses once per nesting level without a limit, so the depth is checked
 * here before it runs.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GHashTable *conf_token_json_fields(const char *text, gsize len, GError **error);

G_END_DECLS

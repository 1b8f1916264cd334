/* imapfs fs — the top level of a JSON object, for the OAuth2 token endpoint's answer.
 *
 * fs_json_object_scalars() checks that TEXT is exactly one JSON object (RFC 8259, with
 * surrounding white space) and returns its top-level members whose values are strings
 * or numbers: key -> value, strings decoded (escapes, \uXXXX with surrogate pairs) to
 * UTF-8, numbers as written. Nested objects and arrays, true, false and null are checked
 * and skipped; a key inside them, or inside a string, is never a top-level member.
 * Malformed input (bad syntax, a control character or invalid UTF-8 in a string, a lone
 * surrogate, \u0000, a duplicated key, nesting deeper than 64, anything after the
 * object) gives NULL and an ERROR naming the byte offset. Values are wiped when the
 * table frees them (they may be tokens).
 */
#pragma once

#include <glib.h>

GHashTable *fs_json_object_scalars(const char *text, gsize len, GError **error);

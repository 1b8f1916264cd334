/* imapfs — the names the session API gives mailboxes: exactly one UTF-8 string for each
 * name on the wire, and back to the same wire bytes.
 *
 * A component (the text between hierarchy delimiters) that is canonical modified UTF-7
 * (UTF-8 under UTF8=ACCEPT) and decodes to text that can be shown is that text, so
 * ordinary names read as they always did ("R&AOk-sum&AOk-" is "Résumé"). Any other
 * component — an invalid or non-canonical '&' sequence, a control character, 8-bit bytes
 * that are not the encoding in force, text with a control character or U+FFFD in it — is
 * kept raw: IMAP_MAILBOX_RAW_MARK followed by its wire bytes, with bytes outside
 * 0x21..0x7e and "%./\" written %XX. Decoded text never contains the mark, so a raw
 * component never meets a decoded one, and two wire names never share one name.
 *
 * Ownership: returned strings are newly allocated (g_free).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMAP_MAILBOX_RAW_MARK "\xEF\xBF\xBD" /* U+FFFD REPLACEMENT CHARACTER */

/* DELIMITER '\0': a flat name, one component. utf8: UTF8=ACCEPT is enabled. */
char *imap_mailbox_name_from_wire(const char *wire, char delimiter, gboolean utf8);
/* The inverse. Refuses (IMAP_ERROR_INVALID) a name that from_wire never gives. */
char *imap_mailbox_name_to_wire(const char *name, char delimiter, gboolean utf8, GError **error);
/* The wire bytes of a raw component (COMP is one component), NULL if COMP is not raw. */
char *imap_mailbox_comp_wire(const char *comp);

G_END_DECLS

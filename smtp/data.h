/* imapfs — the bytes the SMTP DATA command carries (RFC 5321 4.5.2).
 *
 * Ownership: smtp_data_encode() returns a new GBytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* message with every line end made CRLF (a lone LF or a lone CR counts as one), a "."
 * at the start of a line doubled, a final CRLF added when the last line has none, and
 * the terminating ".\r\n". */
GBytes *smtp_data_encode(GBytes *message);

G_END_DECLS

/* imapfs — dot-stuffing and CRLF normalisation for DATA. Servers take bare LF and CR
 * badly (RFC 5321 2.3.8; some reject, some "fix" them differently), so the client sends
 * canonical CRLF and the receiver sees the same lines whatever the file's line ends. */
#include "smtp/data.h"

GBytes *smtp_data_encode(GBytes *message)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(message, &len);
	/* Worst case: every byte a line end that grows, plus stuffed dots and the end. */
	GByteArray *out = g_byte_array_sized_new(len + len / 8 + 8);
	gboolean line_start = TRUE;

	for (gsize i = 0; i < len; i++) {
		guint8 c = p[i];

		if (line_start && c == '.')
			g_byte_array_append(out, (const guint8 *)".", 1);
		if (c == '\r' || c == '\n') {
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
			if (c == '\r' && i + 1 < len && p[i + 1] == '\n')
				i++;
			line_start = TRUE;
			continue;
		}
		g_byte_array_append(out, &c, 1);
		line_start = FALSE;
	}
	if (!line_start)
		g_byte_array_append(out, (const guint8 *)"\r\n", 2);
	g_byte_array_append(out, (const guint8 *)".\r\n", 3);
	return g_byte_array_free_to_bytes(out);
}

/* imapfs — modified UTF-7 (RFC 3501 section 5.1.3).
 *
 * Printable ASCII (0x20-0x7e) stands for itself, "&" is written "&-", everything else
 * is UTF-16BE in a base64 variant ("," for "/", no padding) between "&" and "-".
 * The decoder accepts only the canonical form the encoder produces, so a name has
 * exactly one wire spelling and two different wire names never map to one file name.
 */
#include "imap/mutf7.h"
#include "imap/error.h"

#include <string.h>

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static gboolean is_direct(gunichar c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* ---- encoding ---- */

/* Writes the UTF-16 units of one run as "&...-". */
static void encode_run(GString *out, const guint16 *units, gsize n)
{
	guint32 bits = 0;
	int nbits = 0;
	g_string_append_c(out, '&');
	for (gsize i = 0; i < n; i++) {
		bits = (bits << 16) | units[i];
		nbits += 16;
		while (nbits >= 6) {
			nbits -= 6;
			g_string_append_c(out, b64chars[(bits >> nbits) & 0x3f]);
		}
		bits &= (1u << nbits) - 1; /* keep only what is left over */
	}
	if (nbits > 0)
		g_string_append_c(out, b64chars[(bits << (6 - nbits)) & 0x3f]);
	g_string_append_c(out, '-');
}

static void append_utf16(GArray *units, gunichar c)
{
	guint16 u;
	if (c >= 0x10000) {
		c -= 0x10000;
		u = (guint16)(0xd800 | (c >> 10));
		g_array_append_val(units, u);
		u = (guint16)(0xdc00 | (c & 0x3ff));
	} else {
		u = (guint16)c;
	}
	g_array_append_val(units, u);
}

static void flush_run(GString *out, GArray *units)
{
	if (units->len == 0)
		return;
	encode_run(out, (const guint16 *)(void *)units->data, units->len);
	g_array_set_size(units, 0);
}

char *imap_mutf7_encode(const char *utf8, GError **error)
{
	if (!g_utf8_validate(utf8, -1, NULL)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "mailbox name is not valid UTF-8");
		return NULL;
	}
	GString *out = g_string_new(NULL);
	g_autoptr(GArray) units = g_array_new(FALSE, FALSE, sizeof(guint16));
	for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!is_direct(c)) {
			append_utf16(units, c);
			continue;
		}
		flush_run(out, units);
		if (c == '&')
			g_string_append(out, "&-");
		else
			g_string_append_c(out, (char)c);
	}
	flush_run(out, units);
	return g_string_free(out, FALSE);
}

/* ---- decoding ---- */

static int b64_value(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

static gboolean fail(GError **error, const char *why)
{
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "invalid modified UTF-7 name: %s", why);
	return FALSE;
}

/* Turns the UTF-16 units of one run into UTF-8, checking pairs and canonical form. */
static gboolean decode_units(GString *out, const guint16 *u, gsize n, GError **error)
{
	for (gsize i = 0; i < n; i++) {
		gunichar c = u[i];
		if (c >= 0xdc00 && c <= 0xdfff)
			return fail(error, "unpaired low surrogate");
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 1 >= n || u[i + 1] < 0xdc00 || u[i + 1] > 0xdfff)
				return fail(error, "unpaired high surrogate");
			c = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		}
		if (c == 0)
			return fail(error, "encoded NUL");
		if (is_direct(c))
			return fail(error, "encoded printable ASCII (non-canonical)");
		g_string_append_unichar(out, c);
	}
	return TRUE;
}

/* Decodes the base64 run starting after "&" at *pp; leaves *pp after the closing "-". */
static gboolean decode_run(GString *out, const char **pp, GError **error)
{
	g_autoptr(GArray) units = g_array_new(FALSE, FALSE, sizeof(guint16));
	const char *p = *pp;
	guint32 bits = 0;
	int nbits = 0;
	for (; *p != '-'; p++) {
		if (*p == '\0')
			return fail(error, "\"&\" sequence not terminated by \"-\"");
		int v = b64_value(*p);
		if (v < 0)
			return fail(error, "bad character in base64 run");
		bits = (bits << 6) | (guint32)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			guint16 unit = (guint16)(bits >> nbits);
			g_array_append_val(units, unit);
			bits &= (1u << nbits) - 1;
		}
	}
	/* Canonical: fewer than 6 leftover bits (no superfluous character), all zero. */
	if (nbits >= 6 || bits != 0)
		return fail(error, "non-zero or superfluous bits at the end of a base64 run");
	if (!decode_units(out, (const guint16 *)(void *)units->data, units->len, error))
		return FALSE;
	*pp = p + 1;
	return TRUE;
}

static gboolean decode_into(GString *out, const char *p, GError **error)
{
	gboolean after_run = FALSE;
	while (*p) {
		guchar c = (guchar)*p;
		if (c >= 0x80)
			return fail(error, "8-bit byte");
		if (!is_direct(c))
			return fail(error, "control character must be encoded");
		if (c != '&') {
			g_string_append_c(out, (char)c);
			p++;
			after_run = FALSE;
		} else if (p[1] == '-') {
			g_string_append_c(out, '&');
			p += 2;
			after_run = FALSE;
		} else {
			if (after_run)
				return fail(error, "adjacent base64 runs (non-canonical)");
			p++;
			if (!decode_run(out, &p, error))
				return FALSE;
			after_run = TRUE;
		}
	}
	return TRUE;
}

char *imap_mutf7_decode(const char *mutf7, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	if (!decode_into(out, mutf7, error))
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

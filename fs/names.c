/* imapfs fs — folder entry names (see names.h). */
#include "fs/names.h"

#include <string.h>

#include "imap/mailbox-name.h"

/* Keep room for the hash suffix and never end inside a %XX escape. */
#define HASH_SUFFIX_LEN 18 /* "%~" + 16 hex digits */

static gboolean looks_like_msg_name(const char *s)
{
	guint32 uid;

	return mail_msg_name_parse(s, &uid);
}

static gboolean must_escape(const char *comp, gsize i)
{
	unsigned char c = (unsigned char)comp[i];

	if (c == '%' || c == '/')
		return TRUE;
	/* A leading '.' also covers "." and ".." and hides nothing from ls. */
	if (i == 0 && c == '.')
		return TRUE;
	/* Control characters would make listings ambiguous on a terminal. */
	if (c < 0x20 || c == 0x7f)
		return TRUE;
	return FALSE;
}

/* Raw wire bytes also escape '&' and every 8-bit byte, which no decoded name ever
 * escapes: so a raw name always holds a %26, %00-%1F, %7F or %80-%FF and never meets
 * a decoded one. */
static gboolean must_escape_wire(const char *comp, gsize i)
{
	unsigned char c = (unsigned char)comp[i];

	return c == '&' || c >= 0x80 || must_escape(comp, i);
}

static char *hashed_name(const char *escaped)
{
	gsize keep = FS_NAME_MAX - HASH_SUFFIX_LEN;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(sum, (const guchar *)escaped, -1);
	/* Back up to a character boundary that is not inside a %XX escape. */
	while (keep > 0 && ((escaped[keep] & 0xc0) == 0x80))
		keep--;
	if (keep >= 1 && escaped[keep - 1] == '%')
		keep -= 1;
	else if (keep >= 2 && escaped[keep - 2] == '%')
		keep -= 2;
	return g_strdup_printf("%.*s%%~%.16s", (int)keep, escaped, g_checksum_get_string(sum));
}

static char *short_enough(GString *out)
{
	if (out->len > FS_NAME_MAX) {
		char *h = hashed_name(out->str);

		g_string_free(out, TRUE);
		return h;
	}
	return g_string_free(out, FALSE);
}

static void append_escaped(GString *out, const char *comp,
			   gboolean (*escape)(const char *comp, gsize i))
{
	for (gsize i = 0; comp[i]; i++) {
		/* A folder named like a message file would shadow the message. */
		if ((i == 0 && looks_like_msg_name(comp)) || escape(comp, i))
			g_string_append_printf(out, "%%%02X", (unsigned char)comp[i]);
		else
			g_string_append_c(out, comp[i]);
	}
}

char *fs_name_escape(const char *comp)
{
	GString *out = g_string_new(NULL);

	if (*comp == '\0')
		g_string_append(out, "%");
	append_escaped(out, comp, must_escape);
	return short_enough(out);
}

char *fs_name_escape_wire(const char *wire)
{
	GString *out = g_string_new(NULL);

	append_escaped(out, wire, must_escape_wire);
	return short_enough(out);
}

static void append_component(GString *out, const char *comp)
{
	g_autofree char *wire = imap_mailbox_comp_wire(comp);

	append_escaped(out, wire ? wire : comp, wire ? must_escape_wire : must_escape);
}

char *fs_name_of_component(const char *comp)
{
	g_autofree char *wire = imap_mailbox_comp_wire(comp);

	return wire ? fs_name_escape_wire(wire) : fs_name_escape(comp);
}

char *fs_name_of_mailbox(const char *mailbox, char delimiter)
{
	if (!delimiter)
		return fs_name_of_component(mailbox);

	GString *out = g_string_new(NULL);
	g_auto(GStrv) comps = g_strsplit(mailbox, (char[]){delimiter, '\0'}, -1);

	for (guint i = 0; comps[i]; i++) {
		if (i > 0)
			g_string_append_printf(out, "%%%02X", (unsigned char)delimiter);
		append_component(out, comps[i]);
	}
	return short_enough(out);
}

gboolean fs_name_is_hashed(const char *name)
{
	return strstr(name, "%~") != NULL;
}

/* Escapes are written in upper case only: a lower-case digit is no escape. */
static int hexval(char c)
{
	return g_ascii_islower(c) ? -1 : g_ascii_xdigit_value(c);
}

char *fs_name_unescape(const char *name)
{
	if (strcmp(name, "%") == 0)
		return g_strdup("");
	if (*name == '\0' || *name == '.' || fs_name_is_hashed(name))
		return NULL;

	g_autoptr(GString) out = g_string_new(NULL);
	for (const char *p = name; *p; p++) {
		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		g_string_append_c(out, (char)(hi * 16 + lo));
		p += 2;
	}
	/* Only the canonical escape is accepted, so each folder has exactly one name. */
	g_autofree char *again = fs_name_escape(out->str);
	if (strcmp(again, name) != 0)
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

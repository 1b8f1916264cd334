/* imapfs — mailbox names between the wire and the session API (see mailbox-name.h). */
#include "imap/mailbox-name.h"

#include <string.h>

#include "imap/error.h"
#include "imap/mutf7.h"

#define MARK_LEN (sizeof(IMAP_MAILBOX_RAW_MARK) - 1)

/* Would this character disturb a listing or a log line, or pass for the mark? */
static gboolean unshowable(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffd;
}

/* The text of one wire component, or NULL when it must stay raw. */
static char *decoded(const char *wire, gboolean utf8)
{
	g_autofree char *text = NULL;
	g_autofree char *again = NULL;

	if (utf8)
		text = g_utf8_validate(wire, -1, NULL) ? g_strdup(wire) : NULL;
	else
		text = imap_mutf7_decode(wire, NULL);
	if (!text)
		return NULL;
	for (const char *p = text; *p; p = g_utf8_next_char(p))
		if (unshowable(g_utf8_get_char(p)))
			return NULL;
	/* Only a spelling that encodes back to these very bytes is shown decoded. */
	if (!utf8) {
		again = imap_mutf7_encode(text, NULL);
		if (!again || strcmp(again, wire) != 0)
			return NULL;
	}
	return g_steal_pointer(&text);
}

static gboolean raw_escaped(guchar c)
{
	return c <= 0x20 || c >= 0x7f || strchr("%./\\", c) != NULL;
}

static void append_comp(GString *out, const char *wire, gboolean utf8)
{
	g_autofree char *text = decoded(wire, utf8);

	if (text) {
		g_string_append(out, text);
		return;
	}
	g_string_append(out, IMAP_MAILBOX_RAW_MARK);
	for (const guchar *p = (const guchar *)wire; *p; p++) {
		if (raw_escaped(*p))
			g_string_append_printf(out, "%%%02X", *p);
		else
			g_string_append_c(out, (char)*p);
	}
}

/* Calls FN on each component of NAME (split at DELIMITER unless it is '\0'). */
static gboolean each_comp(const char *name, char delimiter,
			  gboolean (*fn)(const char *comp, gpointer data), gpointer data)
{
	const char *start = name;

	for (;;) {
		const char *end = delimiter ? strchr(start, delimiter) : NULL;
		g_autofree char *comp =
		    end ? g_strndup(start, (gsize)(end - start)) : g_strdup(start);

		if (!fn(comp, data))
			return FALSE;
		if (!end)
			return TRUE;
		start = end + 1;
	}
}

typedef struct {
	GString *out;
	char delimiter;
	gboolean utf8;
	gboolean started;
	GError **error;
} Join;

static void join_sep(Join *j)
{
	if (j->started)
		g_string_append_c(j->out, j->delimiter);
	j->started = TRUE;
}

static gboolean from_wire_comp(const char *comp, gpointer data)
{
	Join *j = data;

	join_sep(j);
	append_comp(j->out, comp, j->utf8);
	return TRUE;
}

char *imap_mailbox_name_from_wire(const char *wire, char delimiter, gboolean utf8)
{
	Join j = {g_string_new(NULL), delimiter, utf8, FALSE, NULL};

	each_comp(wire, delimiter, from_wire_comp, &j);
	return g_string_free(j.out, FALSE);
}

/* Escapes are written in upper case only: a lower-case digit is no escape. */
static int hexval(char c)
{
	return g_ascii_islower(c) ? -1 : g_ascii_xdigit_value(c);
}

char *imap_mailbox_comp_wire(const char *comp)
{
	GString *out;

	if (strncmp(comp, IMAP_MAILBOX_RAW_MARK, MARK_LEN) != 0)
		return NULL;
	out = g_string_new(NULL);
	for (const char *p = comp + MARK_LEN; *p; p++) {
		int hi = *p == '%' ? hexval(p[1]) : -1, lo = hi < 0 ? -1 : hexval(p[2]);

		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			g_string_free(out, TRUE);
			return NULL;
		}
		g_string_append_c(out, (char)(hi * 16 + lo));
		p += 2;
	}
	return g_string_free(out, FALSE);
}

/* The wire bytes of one component, checked to give COMP back. */
static char *comp_to_wire(const char *comp, gboolean utf8)
{
	g_autofree char *wire = imap_mailbox_comp_wire(comp);
	g_autoptr(GString) again = g_string_new(NULL);

	if (!wire && !strstr(comp, IMAP_MAILBOX_RAW_MARK))
		wire = utf8 ? g_strdup(comp) : imap_mutf7_encode(comp, NULL);
	if (!wire)
		return NULL;
	append_comp(again, wire, utf8);
	return strcmp(again->str, comp) == 0 ? g_steal_pointer(&wire) : NULL;
}

static gboolean to_wire_comp(const char *comp, gpointer data)
{
	Join *j = data;
	g_autofree char *wire = comp_to_wire(comp, j->utf8);

	if (!wire) {
		g_autofree char *shown = g_strescape(comp, NULL);

		g_set_error(j->error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "\"%s\" is not a mailbox name (a control character or U+FFFD "
			    "cannot be sent)",
			    shown);
		return FALSE;
	}
	join_sep(j);
	g_string_append(j->out, wire);
	return TRUE;
}

char *imap_mailbox_name_to_wire(const char *name, char delimiter, gboolean utf8, GError **error)
{
	Join j = {g_string_new(NULL), delimiter, utf8, FALSE, error};

	if (!g_utf8_validate(name, -1, NULL)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "mailbox name is not valid UTF-8");
		g_string_free(j.out, TRUE);
		return NULL;
	}
	if (!each_comp(name, delimiter, to_wire_comp, &j)) {
		g_string_free(j.out, TRUE);
		return NULL;
	}
	return g_string_free(j.out, FALSE);
}

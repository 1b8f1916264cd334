/* imapfs — building command arguments safely (see quote.h).
 *
 * The rule that matters: a byte that could end or split a command line (CR, LF, NUL)
 * or break out of a quoted string (", \) is only ever sent inside a literal or escaped.
 * Classification is conservative: anything not plainly printable goes as a literal.
 */
#include "imap/quote.h"
#include "imap/error.h"

#include <string.h>

/* Longer strings go as literals: some servers limit line length, literals they must take. */
#define QUOTED_MAX 1000

static ImapCmdPart *part_new(void)
{
	ImapCmdPart *part = g_new0(ImapCmdPart, 1);
	part->text = g_string_new(NULL);
	return part;
}

static void part_free(gpointer data)
{
	ImapCmdPart *part = data;
	if (!part)
		return;
	g_string_free(part->text, TRUE);
	if (part->literal)
		g_bytes_unref(part->literal);
	g_free(part);
}

ImapCmd *imap_cmd_new(gboolean literal_plus, gboolean utf8)
{
	ImapCmd *cmd = g_new0(ImapCmd, 1);
	cmd->parts = g_ptr_array_new_with_free_func(part_free);
	g_ptr_array_add(cmd->parts, part_new());
	cmd->literal_plus = literal_plus;
	cmd->utf8 = utf8;
	return cmd;
}

void imap_cmd_free(ImapCmd *cmd)
{
	if (!cmd)
		return;
	g_ptr_array_unref(cmd->parts);
	g_free(cmd);
}

static ImapCmdPart *last_part(ImapCmd *cmd)
{
	return g_ptr_array_index(cmd->parts, cmd->parts->len - 1);
}

/* A separator is needed unless we are at the very start or right after "(" or " ". */
static void add_space(ImapCmd *cmd)
{
	GString *text = last_part(cmd)->text;
	if (text->len == 0) {
		if (cmd->parts->len > 1) /* right after a literal */
			g_string_append_c(text, ' ');
		return;
	}
	char last = text->str[text->len - 1];
	if (last != ' ' && last != '(')
		g_string_append_c(text, ' ');
}

void imap_cmd_add_raw(ImapCmd *cmd, const char *text)
{
	/* Raw text is the caller's own protocol constants; a line break here is a bug. */
	g_return_if_fail(strpbrk(text, "\r\n") == NULL);
	g_string_append(last_part(cmd)->text, text);
}

static gboolean is_atom_char(guchar c)
{
	if (c <= 0x1f || c >= 0x7f)
		return FALSE; /* CTL and 8-bit */
	return strchr("(){ %*\"\\]", c) == NULL;
}

ImapQuoteKind imap_quote_kind(const char *s, gsize len, gboolean utf8)
{
	if (len > QUOTED_MAX)
		return IMAP_QUOTE_LITERAL;
	gboolean atom = len > 0;
	gboolean eight_bit = FALSE;
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)s[i];
		if (c < 0x20 || c == 0x7f)
			return IMAP_QUOTE_LITERAL; /* CR, LF, NUL and other CTLs */
		if (c >= 0x80) {
			if (!utf8)
				return IMAP_QUOTE_LITERAL;
			eight_bit = TRUE;
		}
		if (!is_atom_char(c))
			atom = FALSE;
	}
	if (eight_bit && !g_utf8_validate_len(s, len, NULL))
		return IMAP_QUOTE_LITERAL;
	/* A bare NIL would be read as the NIL token, not as the string "NIL". */
	if (atom && !(len == 3 && g_ascii_strncasecmp(s, "NIL", 3) == 0))
		return IMAP_QUOTE_ATOM;
	return IMAP_QUOTE_QUOTED;
}

static void append_quoted(GString *text, const char *s, gsize len)
{
	g_string_append_c(text, '"');
	for (gsize i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			g_string_append_c(text, '\\');
		g_string_append_c(text, s[i]);
	}
	g_string_append_c(text, '"');
}

void imap_cmd_add_literal(ImapCmd *cmd, const void *data, gsize len)
{
	add_space(cmd);
	ImapCmdPart *part = last_part(cmd);
	gboolean plus = cmd->literal_plus &&
			(cmd->literal_plus_max == 0 || len <= cmd->literal_plus_max);
	g_string_append_printf(part->text, "{%" G_GSIZE_FORMAT "%s}", len, plus ? "+" : "");
	part->literal = g_bytes_new(len ? data : NULL, len);
	g_ptr_array_add(cmd->parts, part_new());
}

static void add_quoted_or_literal(ImapCmd *cmd, const char *s, gsize len, ImapQuoteKind kind)
{
	if (kind == IMAP_QUOTE_LITERAL) {
		imap_cmd_add_literal(cmd, s, len);
		return;
	}
	add_space(cmd);
	append_quoted(last_part(cmd)->text, s, len);
}

void imap_cmd_add_astring(ImapCmd *cmd, const char *s, gsize len)
{
	ImapQuoteKind kind = imap_quote_kind(s, len, cmd->utf8);
	if (kind == IMAP_QUOTE_ATOM) {
		add_space(cmd);
		g_string_append_len(last_part(cmd)->text, s, len);
		return;
	}
	add_quoted_or_literal(cmd, s, len, kind);
}

void imap_cmd_add_string(ImapCmd *cmd, const char *s, gsize len)
{
	add_quoted_or_literal(cmd, s, len, imap_quote_kind(s, len, cmd->utf8));
}

static const char *const system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", NULL,
};

static gboolean flag_valid(const char *flag)
{
	if (flag[0] == '\\') {
		for (gsize i = 0; system_flags[i]; i++)
			if (g_ascii_strcasecmp(flag, system_flags[i]) == 0)
				return TRUE;
		return FALSE; /* \Recent and unknown system flags cannot be set */
	}
	if (flag[0] == '\0')
		return FALSE;
	for (const char *p = flag; *p; p++)
		if (!is_atom_char((guchar)*p))
			return FALSE;
	return TRUE;
}

gboolean imap_flags_validate(char *const *flags, GError **error)
{
	for (gsize i = 0; flags && flags[i]; i++) {
		if (!flag_valid(flags[i])) {
			g_autofree char *shown = g_strescape(flags[i], NULL);
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
				    "invalid flag \"%s\": not a settable system flag or keyword atom",
				    shown);
			return FALSE;
		}
	}
	return TRUE;
}

/* imapfs — turns one framed response into a flat tree of arguments. */
#include "imap/parser-internal.h"
#include "imap/error.h"

#include <string.h>

#define EXCERPT_MAX 40
#define MAX_DEPTH 64 /* nesting a peer may impose on our recursion */

void imap_parse_error(GError **error, const char *buf, gsize len, gsize pos, const char *fmt,
		      ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);

	/* Start a little before the fault so the reader sees its context. */
	gsize start = pos > EXCERPT_MAX / 2 ? pos - EXCERPT_MAX / 2 : 0;
	if (start > len)
		start = len;
	GString *ex = g_string_new("");
	for (gsize i = start; i < len && i < start + EXCERPT_MAX; i++) {
		guint8 c = (guint8)buf[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			g_string_append_c(ex, (char)c);
		else
			g_string_append_printf(ex, "\\x%02x", c);
	}
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL, "malformed response: %s near \"%s\"",
		    msg, ex->str);
	g_string_free(ex, TRUE);
}

gboolean imap_parse_number(const char *s, gsize len, guint64 max, guint64 *out)
{
	if (len == 0 || len > 20)
		return FALSE;
	guint64 v = 0;
	for (gsize i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return FALSE;
		guint d = (guint)(s[i] - '0');
		if (v > (max - d) / 10)
			return FALSE;
		v = v * 10 + d;
	}
	*out = v;
	return TRUE;
}

GArray *imap_parse_set(const char *s, gsize len)
{
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	gsize i = 0;
	while (i < len) {
		gsize j = i;
		while (j < len && s[j] != ',')
			j++;
		const char *colon = memchr(s + i, ':', j - i);
		guint64 x, y;
		gsize l1 = colon ? (gsize)(colon - (s + i)) : j - i;
		if (!imap_parse_number(s + i, l1, G_MAXUINT32, &x))
			return NULL;
		y = x;
		if (colon && !imap_parse_number(colon + 1, j - i - l1 - 1, G_MAXUINT32, &y))
			return NULL;
		ImapRange r = {(guint32)MIN(x, y), (guint32)MAX(x, y)};
		g_array_append_val(a, r);
		if (j < len && j + 1 == len)
			return NULL; /* trailing comma */
		i = j + 1;
	}
	if (a->len == 0)
		return NULL;
	return g_steal_pointer(&a);
}

typedef struct {
	ImapRawResp *raw;
	gsize pos;
	gsize end; /* offset of the final CRLF */
	guint lit_next;
	GError **error;
} Lexer;

static guint add_arg(Lexer *lx, ArgType type, char *str, gsize len, gsize pos)
{
	Arg a = {.type = type, .str = str, .len = len, .pos = pos};
	g_array_append_val(lx->raw->args, a);
	guint i = lx->raw->args->len - 1;
	ARG(lx->raw, i)->next = i + 1;
	return i;
}

static gboolean fail(Lexer *lx, gsize pos, const char *what)
{
	imap_parse_error(lx->error, lx->raw->text, lx->raw->len, pos, "%s", what);
	return FALSE;
}

static gboolean lex_quoted(Lexer *lx)
{
	char *t = lx->raw->text;
	gsize start = lx->pos;
	gsize r = start + 1;
	char *w = t + r; /* unescape in place: the result is never longer */
	char *out = w;
	for (;;) {
		if (r >= lx->end || t[r] == '\r' || t[r] == '\n')
			return fail(lx, start, "unterminated quoted string");
		if (t[r] == '"')
			break;
		if (t[r] == '\\') {
			r++;
			if (r >= lx->end || (t[r] != '"' && t[r] != '\\'))
				return fail(lx, r, "bad escape in quoted string");
		}
		*w++ = t[r++];
	}
	add_arg(lx, ARG_STRING, out, (gsize)(w - out), start);
	lx->pos = r + 1;
	return TRUE;
}

static gboolean lex_literal(Lexer *lx)
{
	char *t = lx->raw->text;
	gsize start = lx->pos;
	gsize p = start + (t[start] == '~') + 1;
	gsize d = p;
	while (p < lx->end && g_ascii_isdigit(t[p]))
		p++;
	guint64 n;
	if (!imap_parse_number(t + d, p - d, G_MAXUINT64, &n))
		return fail(lx, start, "bad literal size");
	if (p < lx->end && t[p] == '+')
		p++;
	if (p + 2 >= lx->raw->len || t[p] != '}' || t[p + 1] != '\r' || t[p + 2] != '\n' ||
	    p + 1 == lx->end)
		return fail(lx, start, "literal marker not at the end of a line");
	if (lx->lit_next >= lx->raw->lits->len)
		return fail(lx, start, "literal without data");
	ImapBody *b = g_ptr_array_index(lx->raw->lits, lx->lit_next++);
	if (imap_body_get_size(b) != n)
		return fail(lx, start, "literal size mismatch");
	GBytes *bytes = imap_body_get_bytes(b);
	/* An empty GBytes may have no data pointer: point at "" instead. Spooled: NULL. */
	char *data = bytes ? (char *)g_bytes_get_data(bytes, NULL) : NULL;
	if (bytes && data == NULL)
		data = (char *)"";
	guint i = add_arg(lx, ARG_STRING, data, bytes ? n : 0, start);
	ARG(lx->raw, i)->lit = b;
	lx->pos = p + 3;
	return TRUE;
}

/* Atoms may hold "[...]" with spaces and parentheses inside, as in
 * BODY[HEADER.FIELDS (FROM)]<0>, so brackets are tracked as Dovecot does. */
static gboolean lex_atom(Lexer *lx)
{
	char *t = lx->raw->text;
	gsize start = lx->pos, p = start;
	gboolean in_br = FALSE;
	for (; p < lx->end; p++) {
		guint8 c = (guint8)t[p];
		if (c == '\r' || c == '\n')
			break;
		if (in_br) {
			if (c == ']')
				in_br = FALSE;
			continue;
		}
		if (c == ' ' || c == '(' || c == ')' || c == '"')
			break;
		if (c < 0x20 || c == 0x7f)
			return fail(lx, p, "control character in atom");
		if (c == '[')
			in_br = TRUE;
	}
	if (in_br)
		return fail(lx, start, "unterminated [");
	gsize len = p - start;
	ArgType type = (len == 3 && g_ascii_strncasecmp(t + start, "NIL", 3) == 0) ? ARG_NIL
									     : ARG_ATOM;
	add_arg(lx, type, t + start, len, start);
	lx->pos = p;
	return TRUE;
}

static gboolean lex_one(Lexer *lx)
{
	char c = lx->raw->text[lx->pos];
	if (c == '"')
		return lex_quoted(lx);
	if (c == '{' || (c == '~' && lx->pos + 1 < lx->end && lx->raw->text[lx->pos + 1] == '{'))
		return lex_literal(lx);
	return lex_atom(lx);
}

/* After an argument: a space, a closing parenthesis or the end must follow. */
static gboolean lex_separator(Lexer *lx)
{
	if (lx->pos >= lx->end)
		return TRUE;
	char c = lx->raw->text[lx->pos];
	if (c == ' ') {
		lx->pos++;
		return TRUE;
	}
	/* "(" too: address lists in ENVELOPE come as ((...)(...)) with no space. */
	if (c == ')' || c == '(')
		return TRUE;
	if (c == '\r' || c == '\n')
		return fail(lx, lx->pos, "unexpected line break");
	return fail(lx, lx->pos, "missing space between arguments");
}

static gboolean lex_list(Lexer *lx, guint list, guint depth, gboolean top)
{
	if (depth > MAX_DEPTH)
		return fail(lx, lx->pos, "lists nested too deeply");
	for (;;) {
		if (lx->pos >= lx->end) {
			if (!top)
				return fail(lx, lx->pos, "unbalanced parentheses (missing ')')");
			break;
		}
		char c = lx->raw->text[lx->pos];
		if (c == ')') {
			if (top)
				return fail(lx, lx->pos, "unbalanced parentheses (extra ')')");
			lx->pos++;
			break;
		}
		if (c == ' ') {
			/* Lenient with doubled spaces: some servers emit them. */
			lx->pos++;
			continue;
		}
		if (c == '(') {
			gsize at = lx->pos++;
			guint sub = add_arg(lx, ARG_LIST, NULL, 0, at);
			if (!lex_list(lx, sub, depth + 1, FALSE))
				return FALSE;
		} else if (!lex_one(lx)) {
			return FALSE;
		}
		if (!lex_separator(lx))
			return FALSE;
	}
	ARG(lx->raw, list)->next = lx->raw->args->len;
	return TRUE;
}

gboolean imap_args_parse(ImapRawResp *raw, gsize pos, GError **error)
{
	Lexer lx = {.raw = raw, .pos = pos, .end = raw->len - 2, .error = error};
	g_array_set_size(raw->args, 0);
	add_arg(&lx, ARG_LIST, NULL, 0, pos);
	if (!lex_list(&lx, 0, 0, TRUE))
		return FALSE;
	if (lx.lit_next != raw->lits->len)
		return fail(&lx, pos, "literal data without a marker");
	return TRUE;
}

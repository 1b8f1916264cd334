/* imapfs — RFC 5322 address-list parsing, enough for real mail: display names (atoms or
 * quoted strings), angle addresses (with the obsolete source route), groups, nested
 * comments, quoted local parts, domain literals, CFWS around "." and "@".
 *
 * A lexer turns the text into pieces (words, quoted strings, domain literals and the
 * specials < > , : ;) with comments and white space removed; a small state machine then
 * groups the pieces into mailboxes.
 */
#include "smtp/address.h"
#include "smtp/error.h"

#include <string.h>

typedef enum { TOK_WORD, TOK_QUOTED, TOK_LITERAL, TOK_SPECIAL } TokKind;

typedef struct {
	TokKind kind;
	const char *p;
	gsize len;
} Tok;

typedef struct {
	const char *s;
	gsize len;
	gsize pos;
	GPtrArray *found;  /* addr-specs of this list so far (owned) */
	GPtrArray *pieces; /* Tok* of the mailbox being read (owned) */
	char *angle;	   /* its <address>, once read */
	gboolean in_group;
	GError *error;
} Parser;

static gboolean fail(Parser *ps, const char *what)
{
	if (!ps->error) {
		int shown = (int)MIN(ps->len, 200);
		ps->error = g_error_new(SMTP_ERROR, SMTP_ERROR_INVALID,
					"malformed address list (%s): %.*s", what, shown, ps->s);
	}
	return FALSE;
}

static gboolean is_special(char c)
{
	return strchr("<>,:;", c) != NULL;
}

static gboolean ends_word(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == '"' ||
	       c == '[' || c == ']' || is_special(c);
}

/* Skips white space and (nested) comments. */
static gboolean skip_cfws(Parser *ps)
{
	guint depth = 0;

	while (ps->pos < ps->len) {
		char c = ps->s[ps->pos];

		if (depth && c == '\\') {
			ps->pos += 2;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth)
			depth--;
		else if (!depth && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		ps->pos++;
	}
	if (depth || ps->pos > ps->len)
		return fail(ps, "unterminated comment");
	return TRUE;
}

/* Reads up to the closing delimiter, honouring backslash escapes. */
static gboolean scan_delimited(Parser *ps, char close, const char *what)
{
	for (ps->pos++; ps->pos < ps->len; ps->pos++) {
		char c = ps->s[ps->pos];
		if (c == '\\')
			ps->pos++;
		else if (c == close)
			break;
	}
	if (ps->pos >= ps->len)
		return fail(ps, what);
	ps->pos++;
	return TRUE;
}

/* The next token; FALSE at the end (ps->error set when malformed). */
static gboolean next_token(Parser *ps, Tok *tok)
{
	if (!skip_cfws(ps) || ps->pos >= ps->len)
		return FALSE;
	gsize start = ps->pos;
	char c = ps->s[start];

	if (is_special(c)) {
		tok->kind = TOK_SPECIAL;
		ps->pos++;
	} else if (c == '"') {
		tok->kind = TOK_QUOTED;
		if (!scan_delimited(ps, '"', "unterminated quoted string"))
			return FALSE;
	} else if (c == '[') {
		tok->kind = TOK_LITERAL;
		if (!scan_delimited(ps, ']', "unterminated domain literal"))
			return FALSE;
	} else if (c == ')' || c == ']') {
		return fail(ps, "unbalanced bracket");
	} else {
		tok->kind = TOK_WORD;
		while (ps->pos < ps->len && !ends_word(ps->s[ps->pos])) {
			if ((guchar)ps->s[ps->pos] < 0x20 || ps->s[ps->pos] == 0x7f)
				return fail(ps, "control character");
			ps->pos++;
		}
	}
	tok->p = ps->s + start;
	tok->len = ps->pos - start;
	return TRUE;
}

/* Joins the pieces of one addr-spec. Adjacent pieces must meet at "." or "@": two words
 * side by side are a display name without its <...>, not one address. */
static char *join_addr_spec(Parser *ps, GPtrArray *pieces, guint from)
{
	g_autoptr(GString) addr = g_string_new(NULL);

	for (guint i = from; i < pieces->len; i++) {
		const Tok *t = g_ptr_array_index(pieces, i);
		gboolean joins = addr->len == 0 || addr->str[addr->len - 1] == '.' ||
				 addr->str[addr->len - 1] == '@' || t->p[0] == '.' ||
				 t->p[0] == '@';

		if (t->kind == TOK_SPECIAL) {
			fail(ps, "unexpected special character");
			return NULL;
		}
		if (!joins) {
			fail(ps, "a display name needs the address in <...>");
			return NULL;
		}
		g_string_append_len(addr, t->p, t->len);
	}
	return g_string_free(g_steal_pointer(&addr), FALSE);
}

/* An addr-spec has a non-empty local part and domain around its last "@". */
static gboolean valid_addr_spec(Parser *ps, const char *addr)
{
	const char *at = strrchr(addr, '@');
	gsize len = strlen(addr);

	if (len > SMTP_MAX_ADDRESS_LEN)
		return fail(ps, "address too long");
	if (!at || at == addr || at[1] == '\0')
		return fail(ps, "an address needs local-part@domain");
	if (addr[len - 1] == '.' || at[1] == '.')
		return fail(ps, "empty domain label");
	return TRUE;
}

static gboolean finish_mailbox(Parser *ps)
{
	g_autofree char *addr = NULL;

	if (ps->angle) {
		addr = g_steal_pointer(&ps->angle);
	} else if (ps->pieces->len) {
		addr = join_addr_spec(ps, ps->pieces, 0);
		if (!addr)
			return FALSE;
	}
	g_ptr_array_set_size(ps->pieces, 0);
	if (!addr) /* an empty list member, allowed by the obsolete syntax */
		return TRUE;
	if (!valid_addr_spec(ps, addr))
		return FALSE;
	g_ptr_array_add(ps->found, g_steal_pointer(&addr));
	return TRUE;
}

/* After "<": the address up to ">", dropping an obsolete route ("@a,@b:"). */
static gboolean read_angle(Parser *ps)
{
	g_autoptr(GPtrArray) inner = g_ptr_array_new_with_free_func(g_free);
	Tok t;

	if (ps->angle)
		return fail(ps, "two <addresses> in one mailbox");
	while (next_token(ps, &t)) {
		if (t.kind == TOK_SPECIAL && t.p[0] == '>') {
			ps->angle = join_addr_spec(ps, inner, 0);
			if (!ps->angle)
				return FALSE;
			if (!ps->angle[0])
				return fail(ps, "empty <>");
			/* Display-name pieces before "<" are dropped; what follows must not be. */
			g_ptr_array_set_size(ps->pieces, 0);
			return TRUE;
		}
		if (t.kind == TOK_SPECIAL && t.p[0] == ':') {
			g_ptr_array_set_size(inner, 0);
			continue;
		}
		if (t.kind == TOK_SPECIAL && t.p[0] == ',')
			continue; /* between the hops of a route */
		if (t.kind == TOK_SPECIAL)
			return fail(ps, "unexpected special character in <...>");
		g_ptr_array_add(inner, g_memdup2(&t, sizeof(t)));
	}
	return fail(ps, "missing >");
}

static gboolean special(Parser *ps, char c)
{
	switch (c) {
	case '<':
		return read_angle(ps);
	case '>':
		return fail(ps, "unbalanced >");
	case ',':
		return finish_mailbox(ps);
	case ':':
		if (ps->in_group || ps->angle)
			return fail(ps, "unexpected :");
		ps->in_group = TRUE; /* what came before was the group's name */
		g_ptr_array_set_size(ps->pieces, 0);
		return TRUE;
	case ';':
		if (!ps->in_group)
			return fail(ps, "; outside a group");
		ps->in_group = FALSE;
		return finish_mailbox(ps);
	default:
		return fail(ps, "unexpected character");
	}
}

static gboolean parse(Parser *ps)
{
	Tok t;

	while (next_token(ps, &t)) {
		if (t.kind == TOK_SPECIAL) {
			if (!special(ps, t.p[0]))
				return FALSE;
		} else if (ps->angle) {
			return fail(ps, "text after <address>");
		} else {
			g_ptr_array_add(ps->pieces, g_memdup2(&t, sizeof(t)));
		}
	}
	if (ps->error)
		return FALSE;
	if (ps->in_group)
		return fail(ps, "group without its closing ;");
	return finish_mailbox(ps);
}

gboolean smtp_address_list_parse(const char *text, gsize len, GPtrArray *out, GError **error)
{
	Parser ps = {.s = text, .len = len};
	gboolean ok;

	ps.found = g_ptr_array_new_with_free_func(g_free);
	ps.pieces = g_ptr_array_new_with_free_func(g_free);
	ok = parse(&ps);
	if (ok) {
		for (guint i = 0; i < ps.found->len; i++)
			g_ptr_array_add(out, g_steal_pointer(&ps.found->pdata[i]));
	} else {
		g_propagate_error(error, ps.error);
		ps.error = NULL;
	}
	g_ptr_array_unref(ps.found);
	g_ptr_array_unref(ps.pieces);
	g_free(ps.angle);
	return ok;
}

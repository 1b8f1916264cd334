/* imapfs fs — the top level of a JSON object (see json-mini.h). */
#include <string.h>

#include "fs/json-mini.h"
#include "fs/secret.h"
#include "imap/error.h"

#define MAX_DEPTH 64

typedef struct {
	const char *p, *start, *end;
	GError **error;
} Json;

static gboolean fail(Json *j, const char *what)
{
	if (j->error && !*j->error)
		g_set_error(j->error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
			    "malformed JSON at byte %" G_GSIZE_FORMAT ": %s",
			    (gsize)(j->p - j->start), what);
	return FALSE;
}

static void skip_ws(Json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A string at j->p (the opening quote); OUT (may be NULL) gets it decoded. */
static gboolean parse_string(Json *j, GString *out)
{
	const char *run;

	j->p++; /* the quote */
	run = j->p;
	for (;;) {
		if (j->p >= j->end)
			return fail(j, "unterminated string");
		unsigned char c = (unsigned char)*j->p;

		if (c == '"')
			break;
		if (c < 0x20)
			return fail(j, "control character in a string");
		if (c != '\\') {
			j->p++;
			continue;
		}
		if (!g_utf8_validate(run, j->p - run, NULL))
			return fail(j, "invalid UTF-8 in a string");
		if (out)
			g_string_append_len(out, run, j->p - run);
		if (j->end - j->p < 2)
			return fail(j, "unterminated escape");
		char e = j->p[1];
		const char *simple = strchr("\"\\/bfnrt", e);

		if (e && simple) {
			static const char decoded[] = "\"\\/\b\f\n\r\t";

			if (out)
				g_string_append_c(out, decoded[simple - "\"\\/bfnrt"]);
			j->p += 2;
		} else if (e == 'u') {
			gunichar u;
			int hi;

			if (j->end - j->p < 6 || (hi = hex4(j->p + 2)) < 0)
				return fail(j, "bad \\u escape");
			j->p += 6;
			if (hi >= 0xDC00 && hi <= 0xDFFF)
				return fail(j, "lone low surrogate");
			if (hi >= 0xD800 && hi <= 0xDBFF) {
				int lo;

				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
				    (lo = hex4(j->p + 2)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return fail(j, "high surrogate without its low half");
				j->p += 6;
				u = 0x10000 + (((gunichar)hi - 0xD800) << 10) + ((gunichar)lo - 0xDC00);
			} else {
				u = (gunichar)hi;
			}
			if (u == 0)
				return fail(j, "\\u0000 in a string");
			if (out)
				g_string_append_unichar(out, u);
		} else {
			return fail(j, "unknown escape");
		}
		run = j->p;
	}
	if (!g_utf8_validate(run, j->p - run, NULL))
		return fail(j, "invalid UTF-8 in a string");
	if (out)
		g_string_append_len(out, run, j->p - run);
	j->p++; /* the quote */
	return TRUE;
}

static gboolean digits(Json *j)
{
	const char *s = j->p;

	while (j->p < j->end && g_ascii_isdigit(*j->p))
		j->p++;
	return j->p > s;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean parse_number(Json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!digits(j))
		return fail(j, "bad number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return fail(j, "bad number");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return fail(j, "bad number");
	}
	return TRUE;
}

static gboolean parse_value(Json *j, int depth, GString *scalar);

static gboolean literal(Json *j, const char *word)
{
	gsize n = strlen(word);

	if ((gsize)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, "unexpected character");
	j->p += n;
	return TRUE;
}

/* An object or array at j->p; TABLE (top level only) gets the scalar members. */
static gboolean parse_container(Json *j, int depth, GHashTable *table)
{
	gboolean object = *j->p == '{';
	char close = object ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return fail(j, "nested too deeply");
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return TRUE;
	}
	for (;;) {
		g_autoptr(GString) key = NULL;
		g_autoptr(GString) value = NULL;

		skip_ws(j);
		if (object) {
			if (j->p >= j->end || *j->p != '"')
				return fail(j, "expected a member name");
			key = g_string_new(NULL);
			if (!parse_string(j, key))
				return FALSE;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return fail(j, "expected ':'");
			j->p++;
			skip_ws(j);
		}
		if (table)
			value = g_string_new(NULL);
		const char *at = j->p;

		if (!parse_value(j, depth + 1, value))
			return FALSE;
		if (table && (*at == '"' || *at == '-' || g_ascii_isdigit(*at))) {
			if (g_hash_table_contains(table, key->str)) {
				j->p = at;
				return fail(j, "duplicated member name");
			}
			g_hash_table_insert(table, g_string_free(g_steal_pointer(&key), FALSE),
					    g_string_free(g_steal_pointer(&value), FALSE));
		}
		if (value)
			explicit_bzero(value->str, value->len);
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return TRUE;
		}
		return fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* Any value at j->p; a string's text or a number's goes to SCALAR when given. */
static gboolean parse_value(Json *j, int depth, GString *scalar)
{
	const char *s = j->p;

	if (j->p >= j->end)
		return fail(j, "unexpected end");
	switch (*j->p) {
	case '"':
		return parse_string(j, scalar);
	case '{':
	case '[':
		return parse_container(j, depth, NULL);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		if (*j->p != '-' && !g_ascii_isdigit(*j->p))
			return fail(j, "unexpected character");
		if (!parse_number(j))
			return FALSE;
		if (scalar)
			g_string_append_len(scalar, s, j->p - s);
		return TRUE;
	}
}

GHashTable *fs_json_object_scalars(const char *text, gsize len, GError **error)
{
	Json j = {.p = text, .start = text, .end = text + len, .error = error};
	GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						  (GDestroyNotify)fs_secret_free);

	skip_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		fail(&j, j.p >= j.end ? "empty" : "not an object");
		goto bad;
	}
	if (!parse_container(&j, 0, table))
		goto bad;
	skip_ws(&j);
	if (j.p < j.end) {
		fail(&j, "text after the object");
		goto bad;
	}
	return table;
bad:
	g_hash_table_destroy(table);
	return NULL;
}

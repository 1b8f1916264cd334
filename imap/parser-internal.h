/* imapfs — internals shared by the response parser's parts.
 *
 * The parser works in two stages, like Dovecot's imap-parser but split differently:
 *  1. parser.c frames a response: it gathers the non-literal bytes (every line with its
 *     CRLF, literal markers included) and stores each literal's bytes as an ImapBody, in
 *     order. This is the only resumable part, so any split of the input frames the same.
 *  2. parser-args.c turns the framed bytes into a flat tree of arguments, and
 *     parser-resp.c / parser-data.c / parser-fetch.c interpret it into an ImapResponse.
 *     These see a whole response and never wait for data.
 */
#pragma once

#include <glib.h>
#include "imap/response.h"

G_BEGIN_DECLS

/* One framed response. text is owned by the parser and may be modified in place
 * (quoted strings are unescaped); lits holds ImapBody* references. */
typedef struct {
	char *text; /* NUL-terminated for convenience; may contain no other NUL */
	gsize len;  /* including the final CRLF */
	GPtrArray *lits;
	GArray *args; /* Arg scratch space, reused between responses */
} ImapRawResp;

typedef enum {
	ARG_ATOM,
	ARG_STRING, /* quoted or literal */
	ARG_NIL,
	ARG_LIST,
} ArgType;

/* Arguments are stored flat in pre-order: a list's children follow it, and every arg
 * knows the index just past its subtree, so walking needs no per-node allocation. */
typedef struct {
	ArgType type;
	guint next;     /* index of the next sibling */
	char *str;      /* ATOM / STRING in memory / NIL: bytes in text or a literal */
	gsize len;
	ImapBody *lit;  /* STRING from a literal: borrowed from lits; str NULL if spooled */
	gsize pos;      /* offset in text, for error excerpts */
} Arg;

#define ARG(raw, i) (&g_array_index((raw)->args, Arg, (i)))

/* Is the first line a status/continuation line, whose rest is free text (no literals)? */
gboolean imap_head_is_text(const char *line, gsize len);

/* Parses text[pos..len-2] into raw->args; args[0] is a LIST holding the top level.
 * in_brackets: none here; literals are taken from raw->lits in order. */
gboolean imap_args_parse(ImapRawResp *raw, gsize pos, GError **error);

/* Sets an IMAP_ERROR_PROTOCOL error: the message plus a sanitized excerpt of buf at pos. */
void imap_parse_error(GError **error, const char *buf, gsize len, gsize pos, const char *fmt,
		      ...) G_GNUC_PRINTF(5, 6);

/* Decimal digits only, value <= max. */
gboolean imap_parse_number(const char *s, gsize len, guint64 max, guint64 *out);
/* "1:3,5" into ImapRange (first <= last); '*' is refused. */
GArray *imap_parse_set(const char *s, gsize len);
/* "17-Jul-1996 02:44:25 -0700" into seconds since the epoch, UTC. */
gboolean imap_parse_date_time(const char *s, gsize len, gint64 *out);

/* Interpretation helpers over Args (parser-data.c). */
gboolean imap_arg_is(const Arg *a, const char *atom);
gboolean imap_arg_number(ImapRawResp *raw, guint i, guint64 max, const char *what, guint64 *out,
			 GError **error);
char *imap_arg_dup_string(ImapRawResp *raw, guint i, gboolean nil_ok, GError **error);
char **imap_arg_atom_list(ImapRawResp *raw, guint i, GError **error);
guint imap_arg_count(ImapRawResp *raw, guint list);

/* A whole LIST/LSUB response that cannot be read, as an IMAP_UNTAGGED_UNREADABLE one
 * (text: WHY's message); NULL for any other response, whose fault stays fatal. */
ImapResponse *imap_unreadable_response(const char *text, gsize len, const GError *why);

/* The interpreters: raw holds one whole response. */
gboolean imap_interpret(ImapRawResp *raw, ImapResponse **out, GError **error);
gboolean imap_interpret_data(ImapRawResp *raw, ImapResponse *r, const char *kw, gsize kwlen,
			     gsize pos, GError **error);
gboolean imap_interpret_fetch(ImapRawResp *raw, ImapResponse *r, gsize pos, GError **error);

G_END_DECLS

/* imapfs — resumable parser of IMAP server responses.
 *
 * Feed it bytes in any split; it returns IMAP_PARSE_MORE until one whole response
 * (including its literals) has arrived, then IMAP_PARSE_DONE with the response. Any
 * split of the same input gives the same responses. Body literals (BODY[...],
 * BINARY[...], RFC822) larger than limits.inline_literal_max are streamed to an unlinked
 * temporary file in limits.spool_dir, never held whole in memory. Lines and literals
 * beyond the hard limits (also: at most 16 spooled bodies and 4096 literals in one
 * response) are IMAP_PARSE_ERROR (IMAP_ERROR_PROTOCOL), as is malformed
 * input; after an error the parser must be reset (the connection is unusable). The one
 * exception: a LIST or LSUB response that arrived whole but cannot be read (a NUL, bad
 * syntax) is IMAP_UNTAGGED_UNREADABLE, text saying why, since the stream is still in
 * step and one bad line should cost only its folder. Nor is a FETCH item whose value
 * cannot be used (a UID of 0 or not a number, an INTERNALDATE that is not a date): the
 * response is read, with that item in ImapFetchData.unusable_fields.
 *
 * Ownership: the parser copies the limits' strings; *out is owned by the caller.
 */
#pragma once

#include <glib.h>
#include "imap/response.h"

G_BEGIN_DECLS

typedef struct ImapParser ImapParser;

typedef enum {
	IMAP_PARSE_MORE = 0, /* all input consumed, response incomplete */
	IMAP_PARSE_DONE,     /* one response in *out; *consumed may be < len */
	IMAP_PARSE_ERROR,    /* error set */
} ImapParseResult;

typedef struct {
	gsize max_line;           /* non-literal bytes in one response; 0: 1 MiB */
	guint64 max_literal;      /* literal bytes in one response; 0: 2 GiB */
	gsize max_inline_literal; /* largest non-body literal kept in memory; 0: 1 MiB */
	gsize inline_literal_max; /* body literals above this are spooled; 0: 256 KiB */
	const char *spool_dir;    /* NULL: g_get_tmp_dir() */
} ImapParserLimits;

ImapParser *imap_parser_new(const ImapParserLimits *limits /* NULL: defaults */);
void imap_parser_free(ImapParser *p);
void imap_parser_reset(ImapParser *p);

/* TRUE when a response has started but is not complete (e.g. the connection closed
 * inside a literal); FALSE between responses. */
gboolean imap_parser_in_progress(const ImapParser *p);

ImapParseResult imap_parser_feed(ImapParser *p, const guint8 *data, gsize len, gsize *consumed,
				 ImapResponse **out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapParser, imap_parser_free)

G_END_DECLS

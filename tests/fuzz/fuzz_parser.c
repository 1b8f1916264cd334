/* imapfs — libFuzzer target for the response parser.
 *
 * Feeds the input whole, then split at positions derived from the input itself, then a
 * byte at a time; all three transcripts (each response's dump, then how it ended) must be
 * identical, or the parser depends on how the network happened to cut the stream.
 */
#include "imap/parser.h"
#include "imap/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits so that inputs of a few KiB reach every limit and the spooling path. */
static const ImapParserLimits limits = {
	.max_line = 2048,
	.max_literal = 1 << 16,
	.max_inline_literal = 256,
	.inline_literal_max = 32,
};

/* step(i) gives the size of the chunk starting at offset i; 0 means "the rest". */
typedef gsize (*StepFunc)(const uint8_t *data, gsize size, gsize off);

static gsize step_whole(const uint8_t *data, gsize size, gsize off)
{
	return size - off;
}

static gsize step_derived(const uint8_t *data, gsize size, gsize off)
{
	return 1 + (data[off] * 31u + (guint)off) % 23;
}

static gsize step_byte(const uint8_t *data, gsize size, gsize off)
{
	return 1;
}

static char *transcript(const uint8_t *data, gsize size, StepFunc step)
{
	ImapParser *p = imap_parser_new(&limits);
	GString *out = g_string_new("");
	gsize off = 0, chunk_end = 0;
	gboolean failed = FALSE;
	while (off < size && !failed) {
		if (off >= chunk_end)
			chunk_end = MIN(size, off + step(data, size, off));
		gsize consumed = 0;
		ImapResponse *r = NULL;
		GError *err = NULL;
		switch (imap_parser_feed(p, data + off, chunk_end - off, &consumed, &r, &err)) {
		case IMAP_PARSE_ERROR:
			if (err == NULL || err->domain != IMAP_ERROR)
				abort();
			g_string_append_printf(out, "ERROR %d %s\n", err->code, err->message);
			g_error_free(err);
			failed = TRUE;
			break;
		case IMAP_PARSE_DONE: {
			if (r == NULL || consumed > chunk_end - off)
				abort();
			char *d = imap_response_to_string(r);
			g_string_append_printf(out, "%s\n", d);
			g_free(d);
			imap_response_free(r);
			off += consumed;
			break;
		}
		case IMAP_PARSE_MORE:
			if (consumed != chunk_end - off)
				abort();
			off += consumed;
			break;
		}
	}
	if (!failed)
		g_string_append(out, imap_parser_in_progress(p) ? "MORE\n" : "END\n");
	imap_parser_free(p);
	return g_string_free(out, FALSE);
}

static void compare(const char *a, const char *b, const char *how)
{
	if (strcmp(a, b) == 0)
		return;
	fprintf(stderr, "whole and %s parses differ:\n--- whole\n%s--- %s\n%s", how, a, how, b);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *whole = transcript(data, size, step_whole);
	char *derived = transcript(data, size, step_derived);
	compare(whole, derived, "split");
	if (size <= 4096) {
		char *bytes = transcript(data, size, step_byte);
		compare(whole, bytes, "bytewise");
		g_free(bytes);
	}
	g_free(whole);
	g_free(derived);
	return 0;
}

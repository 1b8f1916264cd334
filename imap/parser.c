/* imapfs — the resumable part of the response parser: framing lines and literals.
 *
 * Bytes are judged one at a time against what came before them (never against what
 * comes after), so the outcome, error messages included, cannot depend on how the input
 * was split. See parser-internal.h for the division of labour.
 */
#include "imap/parser.h"
#include "imap/parser-internal.h"
#include "imap/error.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MAX_LINE (1024 * 1024)
#define DEFAULT_MAX_LITERAL (G_GUINT64_CONSTANT(2) * 1024 * 1024 * 1024)
#define DEFAULT_MAX_INLINE (1024 * 1024)
#define DEFAULT_INLINE_BODY (256 * 1024)
#define SHRINK_ABOVE (64 * 1024) /* give back buffers a huge response made grow */
/* imapfs asks for one body per FETCH response: a peer sending many more is hostile or
 * broken, and each spooled literal costs a file descriptor and disk space. */
#define MAX_SPOOLED_PER_RESPONSE 16
/* Even empty literals cost an ImapBody each. */
#define MAX_LITERALS_PER_RESPONSE 4096

struct ImapParser {
	gsize max_line;
	guint64 max_literal;
	gsize max_inline;
	gsize inline_body;
	guint64 mem_budget; /* in-memory literal bytes allowed in one response */
	char *spool_dir;

	gboolean failed;
	GByteArray *buf;   /* non-literal bytes of the current response */
	gsize line_start;  /* offset of the current line in buf */
	gboolean text_resp; /* the first line said: status or continuation */
	GPtrArray *lits;   /* ImapBody* of the current response */
	guint64 mem_used;
	guint64 lit_total; /* literal bytes announced in the current response */
	guint n_spooled;   /* spooled literals in the current response */
	gsize nul_at;	   /* 1 + offset in buf of the first NUL outside a literal, or 0 */

	gboolean in_literal;
	guint64 lit_size, lit_left;
	GByteArray *lit_mem; /* or */
	int lit_fd;

	GArray *args; /* interpreter scratch, reused */
};

ImapParser *imap_parser_new(const ImapParserLimits *limits)
{
	ImapParserLimits def = {0};
	const ImapParserLimits *l = limits ? limits : &def;
	ImapParser *p = g_new0(ImapParser, 1);
	p->max_line = l->max_line ? l->max_line : DEFAULT_MAX_LINE;
	p->max_literal = l->max_literal ? l->max_literal : DEFAULT_MAX_LITERAL;
	p->max_inline = l->max_inline_literal ? l->max_inline_literal : DEFAULT_MAX_INLINE;
	p->inline_body = l->inline_literal_max ? l->inline_literal_max : DEFAULT_INLINE_BODY;
	/* Many small literals in one response must not add up to unbounded memory either. */
	p->mem_budget = 4 * (guint64)MAX(p->max_inline, p->inline_body);
	p->spool_dir = g_strdup(l->spool_dir ? l->spool_dir : g_get_tmp_dir());
	p->buf = g_byte_array_new();
	p->lits = g_ptr_array_new_with_free_func((GDestroyNotify)imap_body_unref);
	p->args = g_array_new(FALSE, FALSE, sizeof(Arg));
	p->lit_fd = -1;
	return p;
}

static void literal_clear(ImapParser *p)
{
	p->in_literal = FALSE;
	if (p->lit_mem)
		g_byte_array_unref(g_steal_pointer(&p->lit_mem));
	if (p->lit_fd >= 0)
		close(p->lit_fd);
	p->lit_fd = -1;
}

/* Forgets the current response; the parser is ready for the next one. */
static void response_clear(ImapParser *p)
{
	literal_clear(p);
	if (p->buf->len > SHRINK_ABOVE) {
		g_byte_array_unref(p->buf);
		p->buf = g_byte_array_new();
	}
	g_byte_array_set_size(p->buf, 0);
	if (p->args->len > SHRINK_ABOVE) {
		g_array_unref(p->args);
		p->args = g_array_new(FALSE, FALSE, sizeof(Arg));
	}
	g_ptr_array_set_size(p->lits, 0);
	p->line_start = 0;
	p->text_resp = FALSE;
	p->mem_used = 0;
	p->lit_total = 0;
	p->n_spooled = 0;
	p->nul_at = 0;
}

void imap_parser_reset(ImapParser *p)
{
	if (p == NULL)
		return;
	response_clear(p);
	p->failed = FALSE;
}

void imap_parser_free(ImapParser *p)
{
	if (p == NULL)
		return;
	literal_clear(p);
	g_byte_array_unref(p->buf);
	g_ptr_array_unref(p->lits);
	g_array_unref(p->args);
	g_free(p->spool_dir);
	g_free(p);
}

gboolean imap_parser_in_progress(const ImapParser *p)
{
	return p != NULL && (p->buf->len > 0 || p->in_literal);
}

static gboolean frame_error(ImapParser *p, GError **error, const char *what)
{
	imap_parse_error(error, (const char *)p->buf->data, p->buf->len,
			 p->buf->len ? p->buf->len - 1 : 0, "%s", what);
	return FALSE;
}

/* ---- literals ---------------------------------------------------------------- */

static int spool_open(const char *dir, GError **error)
{
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	/* Some file systems lack O_TMPFILE: an immediately unlinked file is as private. */
	g_autofree char *path = g_build_filename(dir, "imapfs-body-XXXXXX", NULL);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_LOCAL,
			    "cannot create a spool file in %s: %s", dir, g_strerror(e));
		return -1;
	}
	unlink(path);
	return fd;
}

static gboolean spool_write(ImapParser *p, const guint8 *d, gsize n, GError **error)
{
	if (util_write_full(p->lit_fd, d, n, -1))
		return TRUE;
	int e = errno;
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_LOCAL, "writing a spooled body in %s: %s",
		    p->spool_dir, g_strerror(e));
	return FALSE;
}

static void literal_finish(ImapParser *p)
{
	ImapBody *b;
	if (p->lit_fd >= 0) {
		b = imap_body_new_fd(p->lit_fd, p->lit_size);
		p->lit_fd = -1;
	} else {
		g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&p->lit_mem));
		b = imap_body_new_bytes(bytes);
	}
	g_ptr_array_add(p->lits, b);
	p->in_literal = FALSE;
}

static gboolean literal_take(ImapParser *p, const guint8 *data, gsize len, gsize *pos,
			     GError **error)
{
	gsize n = (gsize)MIN(p->lit_left, (guint64)(len - *pos));
	if (p->lit_fd >= 0) {
		if (!spool_write(p, data + *pos, n, error))
			return FALSE;
	} else {
		g_byte_array_append(p->lit_mem, data + *pos, (guint)n);
	}
	*pos += n;
	p->lit_left -= n;
	if (p->lit_left == 0)
		literal_finish(p);
	return TRUE;
}

static gboolean word_is(const char *s, gsize len, const char *w)
{
	return strlen(w) == len && g_ascii_strncasecmp(s, w, len) == 0;
}

/* Does the literal whose marker starts at line[m] carry a message body? Decided from
 * the item name before it (BODY[..]<n>, BINARY[..], RFC822*) in a "* n FETCH". */
static gboolean is_body_literal(ImapParser *p, const char *line, gsize m)
{
	const char *t = (const char *)p->buf->data;
	gsize i = 2;
	if (p->buf->len < 10 || t[0] != '*' || t[1] != ' ' || !g_ascii_isdigit(t[2]))
		return FALSE;
	while (g_ascii_isdigit(t[i]))
		i++;
	if (g_ascii_strncasecmp(t + i, " FETCH ", 7) != 0)
		return FALSE;
	gsize e = m;
	if (e > 0 && line[e - 1] == '~')
		e--;
	if (e == 0 || line[e - 1] != ' ')
		return FALSE;
	e--;
	if (e > 0 && line[e - 1] == '>')
		while (e > 0 && line[e - 1] != '<')
			e--;
	if (e > 0 && line[e - 1] == '<')
		e--;
	gboolean bracket = e > 0 && line[e - 1] == ']';
	if (bracket) {
		while (e > 0 && line[e - 1] != '[')
			e--;
		if (e == 0)
			return FALSE;
		e--;
	}
	gsize s = e;
	while (s > 0 && line[s - 1] != ' ' && line[s - 1] != '(')
		s--;
	if (bracket)
		return word_is(line + s, e - s, "BODY") || word_is(line + s, e - s, "BINARY");
	return word_is(line + s, e - s, "RFC822") || word_is(line + s, e - s, "RFC822.HEADER") ||
	       word_is(line + s, e - s, "RFC822.TEXT");
}

/* Checks the announced size before a single byte of the literal is buffered. */
static gboolean literal_start(ImapParser *p, guint64 size, gboolean body, GError **error)
{
	g_autofree char *msg = NULL;
	gboolean spool = body && (size > p->inline_body || p->mem_used + size > p->mem_budget);
	if (size > p->max_literal)
		msg = g_strdup_printf("literal of %" G_GUINT64_FORMAT " bytes exceeds the limit of "
				      "%" G_GUINT64_FORMAT, size, p->max_literal);
	else if (p->lit_total + size > p->max_literal)
		msg = g_strdup_printf("literals in one response exceed the limit of "
				      "%" G_GUINT64_FORMAT " bytes", p->max_literal);
	else if (p->lits->len >= MAX_LITERALS_PER_RESPONSE)
		msg = g_strdup("too many literals in one response");
	else if (spool && p->n_spooled >= MAX_SPOOLED_PER_RESPONSE)
		msg = g_strdup("too many message bodies in one response");
	else if (!body && size > p->max_inline)
		msg = g_strdup_printf("literal of %" G_GUINT64_FORMAT " bytes exceeds the limit of "
				      "%" G_GSIZE_FORMAT " for a non-body string", size,
				      p->max_inline);
	else if (!spool && p->mem_used + size > p->mem_budget)
		msg = g_strdup("too much literal data in one response");
	if (msg)
		return frame_error(p, error, msg);
	if (spool) {
		p->lit_fd = spool_open(p->spool_dir, error);
		if (p->lit_fd < 0)
			return FALSE;
		p->n_spooled++;
	} else {
		p->lit_mem = g_byte_array_sized_new((guint)size);
		p->mem_used += size;
	}
	p->in_literal = TRUE;
	p->lit_total += size;
	p->lit_size = p->lit_left = size;
	if (size == 0)
		literal_finish(p);
	return TRUE;
}

/* ---- lines ------------------------------------------------------------------- */

/* A line just ended (buf ends in CRLF). Is the response complete, or does a literal
 * follow? Sets *complete. */
static gboolean line_end(ImapParser *p, gboolean *complete, GError **error)
{
	const char *line = (const char *)p->buf->data + p->line_start;
	gsize n = p->buf->len - p->line_start - 2;
	if (p->line_start == 0)
		p->text_resp = imap_head_is_text(line, n);
	*complete = TRUE;
	if (p->text_resp || n < 3 || line[n - 1] != '}')
		return TRUE;
	gsize e = n - 1;
	if (line[e - 1] == '+')
		e--;
	gsize d = e;
	while (d > 0 && g_ascii_isdigit(line[d - 1]))
		d--;
	if (d == e || d == 0 || line[d - 1] != '{')
		return TRUE;
	guint64 size;
	if (!imap_parse_number(line + d, e - d, G_MAXUINT64, &size))
		return frame_error(p, error, "literal size overflows");
	*complete = FALSE;
	gboolean body = is_body_literal(p, line, d - 1);
	p->line_start = p->buf->len;
	return literal_start(p, size, body, error);
}

/* Takes bytes up to and including LF. Each byte is judged by the one before it. */
static gboolean line_take(ImapParser *p, const guint8 *data, gsize len, gsize *pos,
			  gboolean *eol, GError **error)
{
	gsize start = *pos, i = start;
	guint8 prev = p->buf->len > p->line_start ? p->buf->data[p->buf->len - 1] : 0;
	gsize room = p->max_line - p->buf->len; /* buf->len <= max_line always */
	const char *what = NULL;
	*eol = FALSE;
	for (; i < len; i++) {
		guint8 c = data[i];
		if (prev == '\r' && c != '\n')
			what = "CR without LF";
		else if (i - start >= room)
			what = "response too long";
		else if (c == '\n' && prev != '\r')
			what = "LF without CR";
		if (what) {
			g_byte_array_append(p->buf, data + start, (guint)(i + 1 - start));
			return frame_error(p, error, what);
		}
		/* Judged when the response is whole: a LIST line costs only its folder. */
		if (c == '\0' && !p->nul_at)
			p->nul_at = p->buf->len + (i - start) + 1;
		if (c == '\n') {
			*eol = TRUE;
			i++;
			break;
		}
		prev = c;
	}
	g_byte_array_append(p->buf, data + start, (guint)(i - start));
	*pos = i;
	return TRUE;
}

/* A response with a NUL outside its literals: unreadable, and fatal unless LIST/LSUB. */
static ImapParseResult nul_response(ImapParser *p, ImapResponse **out, GError **error)
{
	g_autoptr(GError) why = NULL;
	ImapResponse *r;

	imap_parse_error(&why, (const char *)p->buf->data, p->buf->len, p->nul_at - 1, "%s",
			 "NUL outside a literal");
	r = imap_unreadable_response((const char *)p->buf->data, p->buf->len, why);
	response_clear(p);
	if (!r) {
		g_propagate_error(error, g_steal_pointer(&why));
		p->failed = TRUE;
		return IMAP_PARSE_ERROR;
	}
	*out = r;
	return IMAP_PARSE_DONE;
}

static ImapParseResult response_done(ImapParser *p, ImapResponse **out, GError **error)
{
	if (p->nul_at)
		return nul_response(p, out, error);
	g_byte_array_append(p->buf, (const guint8 *)"", 1); /* NUL-terminate, not counted */
	ImapRawResp raw = {
		.text = (char *)p->buf->data,
		.len = p->buf->len - 1,
		.lits = p->lits,
		.args = p->args,
	};
	ImapResponse *r = NULL;
	gboolean ok = imap_interpret(&raw, &r, error);
	response_clear(p);
	if (!ok) {
		p->failed = TRUE;
		return IMAP_PARSE_ERROR;
	}
	*out = r;
	return IMAP_PARSE_DONE;
}

ImapParseResult imap_parser_feed(ImapParser *p, const guint8 *data, gsize len, gsize *consumed,
				 ImapResponse **out, GError **error)
{
	g_return_val_if_fail(p != NULL && (data != NULL || len == 0), IMAP_PARSE_ERROR);
	if (p->failed) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
			    "parser used after an error without a reset");
		return IMAP_PARSE_ERROR;
	}
	gsize pos = 0;
	while (pos < len) {
		gboolean ok, eol = FALSE, complete = FALSE;
		if (p->in_literal)
			ok = literal_take(p, data, len, &pos, error);
		else
			ok = line_take(p, data, len, &pos, &eol, error) &&
			     (!eol || line_end(p, &complete, error));
		if (!ok) {
			response_clear(p);
			p->failed = TRUE;
			return IMAP_PARSE_ERROR;
		}
		if (complete) {
			ImapParseResult res = response_done(p, out, error);
			if (res == IMAP_PARSE_DONE && consumed)
				*consumed = pos;
			return res;
		}
	}
	if (consumed)
		*consumed = len;
	return IMAP_PARSE_MORE;
}

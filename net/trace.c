/* imapfs — redacting credentials from protocol trace lines (see trace.h).
 *
 * We only need to recognise the tag and the command name: whatever follows LOGIN or
 * the mechanism of AUTHENTICATE is dropped wholesale, so no quoting or literal syntax
 * (which a hostile or unusual user name could exploit) has to be parsed correctly.
 */
#include "net/trace.h"

#include <string.h>

/* Length of the line without its trailing CRLF or LF. */
static gsize body_len(const char *line)
{
	gsize len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

/* Length of the token at p (up to a space or the end). */
static gsize token_len(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && *q != ' ')
		q++;
	return (gsize)(q - p);
}

static gboolean token_is(const char *p, gsize len, const char *word)
{
	return len == strlen(word) && g_ascii_strncasecmp(p, word, len) == 0;
}

/* Keeps line up to keep_len, then appends replacement and the original line ending. */
static char *replace_tail(const char *line, gsize keep_len, gsize body, const char *replacement)
{
	GString *out = g_string_new_len(line, (gssize)keep_len);
	g_string_append(out, replacement);
	g_string_append(out, line + body);
	return g_string_free(out, FALSE);
}

char *net_trace_redact(const char *line)
{
	gsize body = body_len(line);
	const char *end = line + body;
	const char *p = line;

	p += token_len(p, end); /* the tag */
	if (p >= end)
		return g_strdup(line);
	p++;
	gsize cmd_len = token_len(p, end);
	if (token_is(p, cmd_len, "LOGIN")) {
		const char *args = p + cmd_len;
		if (args >= end)
			return g_strdup(line);
		return replace_tail(line, (gsize)(args - line), body, " <user> <password>");
	}
	if (!token_is(p, cmd_len, "AUTHENTICATE"))
		return g_strdup(line);
	p += cmd_len;
	if (p >= end)
		return g_strdup(line);
	p++;
	const char *mech_end = p + token_len(p, end);
	if (mech_end >= end)
		return g_strdup(line); /* no initial response */
	return replace_tail(line, (gsize)(mech_end - line), body, " <secret>");
}

char *net_trace_redact_auth(const char *line)
{
	gsize body = body_len(line);
	if (body == 0 || (body == 1 && line[0] == '*'))
		return g_strdup(line);
	return replace_tail(line, 0, body, "<secret>");
}

/* imapfs — SMTP replies and command lines over a NetTransport: multi-line replies
 * ("250-..." then "250 ..."), bounded in length and count, every line's code checked. */
#include "smtp/error.h"
#include "smtp/client-internal.h"

#include <string.h>

void smtp_reply_free(SmtpReply *r)
{
	if (!r)
		return;
	g_strfreev(r->lines);
	g_free(r);
}

char *smtp_reply_text(const SmtpReply *r)
{
	g_autofree char *joined = g_strjoinv(" ", r->lines);
	return g_strdup_printf("%u %s", r->code, joined);
}

void smtp_client_refused(GError **error, const char *what, const SmtpReply *r)
{
	g_autofree char *text = smtp_reply_text(r);
	g_set_error(error, SMTP_ERROR, SMTP_ERROR_NO, "%s: %s", what, text);
}

void smtp_client_trace(SmtpClient *c, const char *prefix, const char *text)
{
	g_autofree char *line = NULL;

	if (!c->cfg->net.trace)
		return;
	line = g_strconcat(prefix, text, NULL);
	c->cfg->net.trace(line, c->cfg->net.trace_data);
}

static guint io_timeout(const SmtpClient *c)
{
	return c->cfg->net.io_timeout_ms ? c->cfg->net.io_timeout_ms : SMTP_DEFAULT_IO_MS;
}

static gboolean broken(SmtpClient *c, GError **error, GError *err)
{
	c->usable = FALSE;
	g_propagate_error(error, err);
	return FALSE;
}

static gboolean read_more(SmtpClient *c, int timeout_ms, gboolean fail_on_timeout, GError **error)
{
	guint8 buf[4096];
	GError *err = NULL;
	gssize n;

	if (c->rbuf->len > SMTP_MAX_REPLY_LINE * 4) {
		return broken(c, error,
			      g_error_new(SMTP_ERROR, SMTP_ERROR_PROTOCOL,
					  "the server sent more than %u bytes unasked",
					  SMTP_MAX_REPLY_LINE * 4));
	}
	n = net_transport_read(c->t, buf, sizeof(buf), timeout_ms, fail_on_timeout, &err);
	smtp_error_from_net(&err);
	if (n < 0)
		return broken(c, error, err);
	g_byte_array_append(c->rbuf, buf, (guint)n);
	return TRUE;
}

/* While a long write is under way the server may already answer (or refuse and close):
 * keep reading so neither side blocks, and keep what came for the reply parser. */
static gboolean on_readable(gpointer user_data, GError **error)
{
	SmtpClient *c = user_data;
	return read_more(c, 0, FALSE, error);
}

gboolean smtp_client_write(SmtpClient *c, const void *data, gsize len, GError **error)
{
	GError *err = NULL;

	if (!net_transport_write_all(c->t, data, len, on_readable, c, &err)) {
		smtp_error_from_net(&err);
		return broken(c, error, err);
	}
	return TRUE;
}

gboolean smtp_client_send_line(SmtpClient *c, const char *line, const char *traced, GError **error)
{
	g_autofree char *full = g_strconcat(line, "\r\n", NULL);
	gboolean ok;

	smtp_client_trace(c, "C: ", traced ? traced : line);
	ok = smtp_client_write(c, full, strlen(full), error);
	explicit_bzero(full, strlen(full)); /* it may carry a SASL response */
	return ok;
}

/* One line from rbuf without its line end; NULL (error unset) when incomplete. */
static char *take_line(SmtpClient *c, GError **error)
{
	guint8 *nl = c->rbuf->len ? memchr(c->rbuf->data, '\n', c->rbuf->len) : NULL;
	gsize len;
	char *line;

	if (!nl) {
		if (c->rbuf->len > SMTP_MAX_REPLY_LINE)
			broken(c, error,
			       g_error_new(SMTP_ERROR, SMTP_ERROR_PROTOCOL,
					   "a reply line from the server is longer than %u bytes",
					   SMTP_MAX_REPLY_LINE));
		return NULL;
	}
	len = (gsize)(nl - c->rbuf->data);
	line = g_strndup((const char *)c->rbuf->data, len);
	g_byte_array_remove_range(c->rbuf, 0, (guint)len + 1);
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}

/* Parses "ddd-text" / "ddd text" / "ddd"; *last tells which. */
static gboolean parse_line(const char *line, guint *code, gboolean *last, const char **text)
{
	if (!g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) || !g_ascii_isdigit(line[2]))
		return FALSE;
	if (line[0] < '2' || line[0] > '5')
		return FALSE;
	if (line[3] != '\0' && line[3] != ' ' && line[3] != '-')
		return FALSE;
	*code = (guint)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	*last = line[3] != '-';
	*text = line[3] ? line + 4 : line + 3;
	return TRUE;
}

static gboolean bad_reply(SmtpClient *c, GError **error, const char *what, const char *line)
{
	return broken(c, error,
		      g_error_new(SMTP_ERROR, SMTP_ERROR_PROTOCOL, "%s: \"%.200s\"", what, line));
}

SmtpReply *smtp_client_read_reply(SmtpClient *c, guint timeout_ms, GError **error)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	guint code = 0;
	gboolean last = FALSE;
	int wait = (int)(timeout_ms ? timeout_ms : io_timeout(c));

	while (!last) {
		g_autofree char *line = take_line(c, error);
		guint this_code;
		const char *text;

		if (!line) {
			if (!c->usable || !read_more(c, wait, TRUE, error))
				return NULL;
			continue;
		}
		smtp_client_trace(c, "S: ", line);
		if (!parse_line(line, &this_code, &last, &text))
			return bad_reply(c, error, "malformed reply from the server", line), NULL;
		if (lines->len && this_code != code)
			return bad_reply(c, error, "reply code changed inside a reply", line), NULL;
		if (lines->len >= SMTP_MAX_REPLY_LINES)
			return bad_reply(c, error, "reply has too many lines", line), NULL;
		code = this_code;
		g_ptr_array_add(lines, g_strdup(text));
	}
	g_ptr_array_add(lines, NULL);
	SmtpReply *r = g_new0(SmtpReply, 1);
	r->code = code;
	r->lines = (char **)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
	return r;
}

SmtpReply *smtp_client_command(SmtpClient *c, const char *line, const char *traced, GError **error)
{
	if (!smtp_client_send_line(c, line, traced, error))
		return NULL;
	return smtp_client_read_reply(c, 0, error);
}

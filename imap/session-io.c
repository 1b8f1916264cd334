/* imapfs — the session's wire: tags, writing commands, the read/dispatch loop and the
 * bounded in-flight queue. */
#include "imap/session-internal.h"
#include "net/trace.h"

#include <stdlib.h>
#include <string.h>

#define TRACE_LINE_MAX 2000

static void pending_free(gpointer p)
{
	SessionPending *pending = p;

	if (!pending)
		return;
	imap_response_free(pending->tagged);
	g_free(pending);
}

ImapSession *session_new(const ImapConfig *cfg)
{
	ImapSession *s = g_new0(ImapSession, 1);
	ImapParserLimits limits = {0};

	limits.spool_dir = cfg->spool_dir;
	s->parser = imap_parser_new(&limits);
	s->rbuf = g_byte_array_new();
	s->wbuf = g_byte_array_new();
	s->trace_line = g_string_new(NULL);
	s->trace = cfg->net.trace;
	s->trace_data = cfg->net.trace_data;
	s->io_timeout_ms = net_config_io_timeout_ms(&cfg->net);
	s->host = g_strdup(cfg->net.host);
	s->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
	s->enabled = g_ptr_array_new_with_free_func(g_free);
	s->usable = TRUE;
	return s;
}

void imap_session_free(ImapSession *s)
{
	if (!s)
		return;
	net_transport_close(s->transport);
	imap_parser_free(s->parser);
	g_byte_array_unref(s->rbuf);
	g_byte_array_unref(s->wbuf);
	g_string_free(s->trace_line, TRUE);
	g_free(s->host);
	g_hash_table_destroy(s->pending);
	g_strfreev(s->caps);
	g_ptr_array_unref(s->enabled);
	g_free(s->mechanism);
	g_clear_error(&s->fatal);
	g_free(s->continuation_text);
	g_free(s->selected);
	g_strfreev(s->permanent_flags);
	g_free(s);
}

void session_trace(ImapSession *s, const char *prefix, const char *text)
{
	g_autofree char *line = NULL;

	if (!s->trace)
		return;
	/* Every line we send passes the redactor too, so a LOGIN or AUTHENTICATE that
	 * reached the wire some other way (imap_session_submit) cannot leak its secret. */
	if (g_str_equal(prefix, "C: ")) {
		g_autofree char *safe = net_trace_redact(text);
		line = g_strconcat(prefix, safe, NULL);
	} else {
		line = g_strconcat(prefix, text, NULL);
	}
	s->trace(line, s->trace_data);
}

gboolean session_fail(ImapSession *s, GError *err, GError **error)
{
	s->usable = FALSE;
	if (!s->fatal)
		s->fatal = err;
	else
		g_error_free(err);
	if (error)
		*error = g_error_copy(s->fatal);
	return FALSE;
}

gboolean session_check_usable(ImapSession *s, GError **error)
{
	if (s->usable)
		return TRUE;
	if (s->fatal)
		g_propagate_error(error, g_error_copy(s->fatal));
	else
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_NETWORK, "the IMAP connection is closed");
	return FALSE;
}

/* Follows the raw input to know where literals are: the trace shows lines with literal
 * data summarised, and an EOF inside a literal gets a precise message. */
static void scan_input(ImapSession *s, const guint8 *data, gsize len)
{
	gsize i = 0;

	while (i < len) {
		if (s->in_literal > 0) {
			gsize n = MIN(len - i, s->in_literal);

			s->in_literal -= n;
			i += n;
			if (s->in_literal == 0 && s->trace)
				g_string_append_printf(s->trace_line,
						       "{%" G_GUINT64_FORMAT " bytes}",
						       s->literal_size);
			continue;
		}
		char c = (char)data[i++];
		if (c != '\n') {
			if (s->trace_line->len < TRACE_LINE_MAX && c != '\r')
				g_string_append_c(s->trace_line, c);
			else if (c != '\r' && s->trace_line->len == TRACE_LINE_MAX)
				g_string_append(s->trace_line, "...");
			continue;
		}
		/* A line ending in {n} or {n+} announces a literal. */
		const char *l = s->trace_line->str;
		gsize ll = s->trace_line->len;
		if (ll >= 3 && l[ll - 1] == '}') {
			const char *open = strrchr(l, '{');
			if (open) {
				guint64 n = g_ascii_strtoull(open + 1, NULL, 10);
				s->in_literal = n;
				s->literal_size = n;
				if (n > 0) {
					g_string_append_c(s->trace_line, ' ');
					continue;
				}
			}
		}
		session_trace(s, "S: ", s->trace_line->str);
		g_string_truncate(s->trace_line, 0);
	}
}

static GError *eof_error(ImapSession *s, GError *err)
{
	if (s->in_literal > 0) {
		/* A stall keeps its code: a timeout is not retried (the user's time is spent),
		 * a dropped connection is. */
		int code = g_error_matches(err, IMAP_ERROR, IMAP_ERROR_TIMEOUT) ? IMAP_ERROR_TIMEOUT
									  : IMAP_ERROR_NETWORK;
		GError *e =
		    g_error_new(IMAP_ERROR, code,
				"connection closed inside a literal (%" G_GUINT64_FORMAT
				" of %" G_GUINT64_FORMAT " bytes received): %s",
				s->literal_size - s->in_literal, s->literal_size, err->message);
		g_error_free(err);
		return e;
	}
	return err;
}

/* Reads once into rbuf. Returns 1 (data), 0 (timeout, not failing), -1 (error). */
static int fill(ImapSession *s, int timeout_ms, gboolean fail_on_timeout, GError **error)
{
	guint8 buf[SESSION_IO_CHUNK];
	GError *err = NULL;
	gssize n;

	/* Whoever reads waits for an answer to what we queued: send it first. */
	if (!s->flushing && !session_flush(s, error))
		return -1;
	n = net_transport_read(s->transport, buf, sizeof(buf), timeout_ms, fail_on_timeout, &err);
	if (n < 0) {
		imap_error_from_net(&err);
		session_fail(s, eof_error(s, err), error);
		return -1;
	}
	if (n == 0)
		return 0;
	scan_input(s, buf, (gsize)n);
	g_byte_array_remove_range(s->rbuf, 0, s->rpos);
	s->rpos = 0;
	g_byte_array_append(s->rbuf, buf, (guint)n);
	return 1;
}

/* Parses one response from rbuf if it is complete. */
static gboolean parse_buffered(ImapSession *s, ImapResponse **out, GError **error)
{
	gsize consumed = 0;
	GError *err = NULL;
	ImapParseResult r;

	*out = NULL;
	if (s->rbuf->len == 0)
		return TRUE;
	r = imap_parser_feed(s->parser, s->rbuf->data + s->rpos, s->rbuf->len - s->rpos, &consumed,
			     out, &err);
	if (r == IMAP_PARSE_ERROR)
		return session_fail(s, err, error);
	s->rpos += (guint)MIN(consumed, s->rbuf->len - s->rpos);
	if (s->rpos == s->rbuf->len) {
		g_byte_array_set_size(s->rbuf, 0);
		s->rpos = 0;
	}
	s->mid_response = (r == IMAP_PARSE_MORE);
	return TRUE;
}

gboolean session_read_response(ImapSession *s, int timeout_ms, ImapResponse **out, GError **error)
{
	ImapResponse *resp = NULL;

	if (!session_check_usable(s, error))
		return FALSE;
	for (;;) {
		if (!parse_buffered(s, &resp, error))
			return FALSE;
		if (resp) {
			*out = resp;
			return TRUE;
		}
		if (fill(s, timeout_ms < 0 ? (int)s->io_timeout_ms : timeout_ms, TRUE, error) < 0)
			return FALSE;
	}
}

static guint tag_id(const char *tag)
{
	if (!tag || tag[0] != 'A' || !g_ascii_isdigit(tag[1]))
		return 0;
	return (guint)g_ascii_strtoull(tag + 1, NULL, 10);
}

static gboolean is_unsolicited(const ImapResponse *r)
{
	switch (r->type) {
	case IMAP_UNTAGGED_EXISTS:
	case IMAP_UNTAGGED_RECENT:
	case IMAP_UNTAGGED_EXPUNGE:
	case IMAP_UNTAGGED_VANISHED:
	case IMAP_UNTAGGED_FETCH:
	case IMAP_UNTAGGED_FLAGS:
		return TRUE;
	case IMAP_UNTAGGED_STATUS:
		return r->status == IMAP_STATUS_BYE || r->code.type == IMAP_CODE_ALERT;
	default:
		return FALSE;
	}
}

static guint32 ranges_count(const GArray *ranges)
{
	guint32 n = 0;

	for (guint i = 0; ranges && i < ranges->len; i++) {
		const ImapRange *r = &g_array_index(ranges, ImapRange, i);
		n += r->last - r->first + 1;
	}
	return n;
}

/* What the session itself learns from untagged data. */
static void track(ImapSession *s, const ImapResponse *r)
{
	switch (r->type) {
	case IMAP_UNTAGGED_CAPABILITY:
		session_set_caps(s, r->list);
		break;
	case IMAP_UNTAGGED_ENABLED:
		for (char **e = r->list; e && *e; e++)
			g_ptr_array_add(s->enabled, g_ascii_strup(*e, -1));
		break;
	case IMAP_UNTAGGED_EXISTS:
		s->exists = r->number;
		break;
	case IMAP_UNTAGGED_EXPUNGE:
		if (s->exists > 0)
			s->exists--;
		break;
	case IMAP_UNTAGGED_VANISHED:
		if (!r->vanished_earlier)
			s->exists -= MIN(s->exists, ranges_count(r->vanished));
		break;
	case IMAP_UNTAGGED_FETCH:
		if ((r->fetch.fields & IMAP_FETCH_MODSEQ) && r->fetch.modseq > s->highestmodseq)
			s->highestmodseq = r->fetch.modseq;
		break;
	case IMAP_UNTAGGED_STATUS:
		if (r->status == IMAP_STATUS_BYE) {
			GError *bye =
			    g_error_new(IMAP_ERROR, IMAP_ERROR_BYE,
					"server closed the connection: %s", r->text ? r->text : "");

			imap_error_set_response(bye, r->code.type, r->code.name, r->text);
			session_fail(s, bye, NULL);
		}
		if (r->code.type == IMAP_CODE_UIDVALIDITY)
			s->uidvalidity = (guint32)r->code.number;
		else if (r->code.type == IMAP_CODE_UIDNEXT)
			s->uidnext = (guint32)r->code.number;
		else if (r->code.type == IMAP_CODE_HIGHESTMODSEQ)
			s->highestmodseq = r->code.number;
		else if (r->code.type == IMAP_CODE_CAPABILITY)
			session_set_caps(s, r->code.list);
		break;
	default:
		break;
	}
}

static gboolean dispatch(ImapSession *s, ImapResponse *r, GError **error)
{
	g_autoptr(ImapResponse) resp = r;
	SessionPending *p;
	gboolean consumed = FALSE;

	switch (resp->kind) {
	case IMAP_RESP_TAGGED:
		p = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(tag_id(resp->tag)));
		if (!p || p->done)
			return session_fail(s,
					    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL,
							"server answered unknown tag %s",
							resp->tag ? resp->tag : "(none)"),
					    error);
		p->tagged = g_steal_pointer(&resp);
		p->done = TRUE;
		s->n_inflight--;
		return TRUE;
	case IMAP_RESP_CONTINUATION:
		s->continuation = TRUE;
		g_free(s->continuation_text);
		s->continuation_text = g_strdup(resp->text ? resp->text : "");
		return TRUE;
	case IMAP_RESP_UNTAGGED:
		track(s, resp);
		if (s->handler)
			consumed = s->handler(s, resp, s->handler_data);
		if (!consumed && s->unsol_fn && is_unsolicited(resp))
			s->unsol_fn(s, resp, s->unsol_data);
		return session_check_usable(s, error);
	}
	return TRUE;
}

gboolean session_pump(ImapSession *s, int timeout_ms, gboolean fail_on_timeout, gboolean *got,
		      GError **error)
{
	ImapResponse *resp = NULL;
	int timeout = timeout_ms < 0 ? (int)s->io_timeout_ms : timeout_ms;

	if (got)
		*got = FALSE;
	if (!session_check_usable(s, error))
		return FALSE;
	for (;;) {
		if (!parse_buffered(s, &resp, error))
			return FALSE;
		if (resp)
			break;
		int r = fill(s, timeout, fail_on_timeout, error);
		if (r < 0)
			return FALSE;
		if (r == 0)
			return TRUE;
	}
	if (got)
		*got = TRUE;
	return dispatch(s, resp, error);
}

/* Called by the transport while a write is blocked: read and dispatch whatever the
 * server has sent, so neither side waits on the other's full buffer. */
static gboolean on_readable(gpointer user_data, GError **error)
{
	ImapSession *s = user_data;
	gboolean got = TRUE;

	/* Bounded, so a server that never stops sending cannot starve our write. */
	for (guint i = 0; got && i < 256; i++) {
		if (!session_pump(s, 0, FALSE, &got, error))
			return FALSE;
	}
	return TRUE;
}

/* Dispatches what has already arrived, without waiting. Errors end up in s->fatal. */
static void drain(ImapSession *s)
{
	gboolean got = TRUE;

	while (got && s->usable) {
		if (!session_pump(s, 0, FALSE, &got, NULL))
			break;
	}
}

gboolean session_flush(ImapSession *s, GError **error)
{
	GError *err = NULL;
	gboolean ok;

	if (!session_check_usable(s, error))
		return FALSE;
	if (s->wbuf->len == 0 || s->flushing)
		return TRUE;
	/* Taken out of wbuf: a response handler run while the write blocks may queue more. */
	g_autoptr(GByteArray) out = g_steal_pointer(&s->wbuf);
	s->wbuf = g_byte_array_new();
	s->flushing = TRUE;
	ok = net_transport_write_all(s->transport, out->data, out->len, on_readable, s, &err);
	if (!ok)
		/* The server may have said why it closed (BYE) before the write failed. */
		drain(s);
	s->flushing = FALSE;
	if (ok)
		return TRUE;
	if (s->fatal) {
		g_clear_error(&err);
		return session_check_usable(s, error);
	}
	imap_error_from_net(&err);
	return session_fail(s, err, error);
}

gboolean session_write(ImapSession *s, const void *buf, gsize len, GError **error)
{
	if (!session_check_usable(s, error))
		return FALSE;
	g_byte_array_append(s->wbuf, buf, (guint)len);
	if (s->wbuf->len >= SESSION_IO_CHUNK && !s->flushing)
		return session_flush(s, error);
	return TRUE;
}

guint session_begin(ImapSession *s, GError **error)
{
	SessionPending *p;

	/* A BYE that arrived while the session sat idle explains better than a failed write. */
	if (s->usable && s->rbuf->len == 0 && net_transport_has_pending(s->transport))
		drain(s);
	while (s->n_inflight >= SESSION_MAX_INFLIGHT) {
		if (!session_pump(s, -1, TRUE, NULL, error))
			return 0;
	}
	if (!session_check_usable(s, error))
		return 0;
	p = g_new0(SessionPending, 1);
	p->id = ++s->next_tag;
	g_hash_table_insert(s->pending, GUINT_TO_POINTER(p->id), p);
	s->n_inflight++;
	return p->id;
}

gboolean session_wait_continuation(ImapSession *s, guint id, const char *what, GError **error)
{
	SessionPending *p = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(id));

	while (!s->continuation && p && !p->done) {
		if (!session_pump(s, -1, TRUE, NULL, error))
			return FALSE;
	}
	if (s->continuation) {
		s->continuation = FALSE;
		return TRUE;
	}
	if (p && p->done && p->tagged->status != IMAP_STATUS_OK) {
		g_propagate_error(error, imap_response_refusal(p->tagged, what));
		return FALSE;
	}
	return session_fail(s,
			    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL,
					"server completed %s without asking for its data", what),
			    error);
}

gboolean session_send_cmd(ImapSession *s, guint id, ImapCmd *cmd, const char *trace_text,
			  gboolean final_crlf, GError **error)
{
	g_autofree char *tag = g_strdup_printf("A%u ", id);
	g_autoptr(GString) traced = g_string_new(tag);

	if (!session_write(s, tag, strlen(tag), error))
		return FALSE;
	for (guint i = 0; i < cmd->parts->len; i++) {
		ImapCmdPart *part = g_ptr_array_index(cmd->parts, i);

		g_string_append(traced, part->text->str);
		if (!session_write(s, part->text->str, part->text->len, error))
			return FALSE;
		if (!part->literal)
			continue;
		gsize n = g_bytes_get_size(part->literal);
		g_string_append_printf(traced, "{%" G_GSIZE_FORMAT " bytes}", n);
		if (!session_write(s, "\r\n", 2, error))
			return FALSE;
		if (!cmd->literal_plus) {
			/* Trace what was sent before waiting, so the trace shows the order. */
			if (!trace_text)
				session_trace(s, "C: ", traced->str);
			g_string_truncate(traced, 0);
			if (!session_wait_continuation(s, id, "the command", error))
				return FALSE;
		}
		if (!session_write(s, g_bytes_get_data(part->literal, NULL), n, error))
			return FALSE;
	}
	if (final_crlf && !session_write(s, "\r\n", 2, error))
		return FALSE;
	if (trace_text) {
		g_autofree char *line = g_strconcat(tag, trace_text, NULL);
		session_trace(s, "C: ", line);
	} else {
		session_trace(s, "C: ", traced->str);
	}
	return TRUE;
}

gboolean session_wait_tagged(ImapSession *s, guint id, SessionUntaggedFunc fn, gpointer data,
			     ImapResponse **tagged, GError **error)
{
	SessionPending *p = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(id));
	SessionUntaggedFunc old_fn = s->handler;
	gpointer old_data = s->handler_data;
	gboolean ok = TRUE;

	if (!p) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "no command with tag A%u", id);
		return FALSE;
	}
	s->handler = fn;
	s->handler_data = data;
	while (ok && !p->done)
		ok = session_pump(s, -1, TRUE, NULL, error);
	s->handler = old_fn;
	s->handler_data = old_data;
	if (!ok)
		return FALSE;
	if (tagged)
		*tagged = g_steal_pointer(&p->tagged);
	g_hash_table_remove(s->pending, GUINT_TO_POINTER(id));
	return TRUE;
}

gboolean session_check_ok(const ImapResponse *tagged, const char *what, GError **error)
{
	if (tagged->status == IMAP_STATUS_OK)
		return TRUE;
	g_propagate_error(error, imap_response_refusal(tagged, what));
	return FALSE;
}

gboolean session_run(ImapSession *s, ImapCmd *cmd, const char *trace_text, const char *what,
		     SessionUntaggedFunc fn, gpointer data, ImapResponse **tagged, GError **error)
{
	g_autoptr(ImapResponse) resp = NULL;
	guint id;

	id = session_begin(s, error);
	if (!id)
		return FALSE;
	/* Install the handler already: data for this command may arrive while we write. */
	SessionUntaggedFunc old_fn = s->handler;
	gpointer old_data = s->handler_data;
	s->handler = fn;
	s->handler_data = data;
	gboolean sent = session_send_cmd(s, id, cmd, trace_text, TRUE, error);
	s->handler = old_fn;
	s->handler_data = old_data;
	if (!sent) {
		/* Refused at a synchronizing literal: the command is over, forget its tag. */
		if (s->usable)
			g_hash_table_remove(s->pending, GUINT_TO_POINTER(id));
		return FALSE;
	}
	if (!session_wait_tagged(s, id, fn, data, &resp, error))
		return FALSE;
	if (!session_check_ok(resp, what, error))
		return FALSE;
	if (tagged)
		*tagged = g_steal_pointer(&resp);
	return TRUE;
}

ImapCmd *session_cmd_new(ImapSession *s, const char *verb)
{
	ImapCmd *cmd = imap_cmd_new(imap_session_has_cap(s, "LITERAL+"),
				    imap_session_is_enabled(s, "UTF8=ACCEPT"));

	imap_cmd_add_raw(cmd, verb);
	return cmd;
}

gboolean session_run_simple(ImapSession *s, const char *text, SessionUntaggedFunc fn, gpointer data,
			    ImapResponse **tagged, GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, text);

	return session_run(s, cmd, NULL, text, fn, data, tagged, error);
}

/* ---- the generic pipelined API ---- */

guint imap_session_submit(ImapSession *s, const char *command, GError **error)
{
	g_autofree char *line = NULL;
	guint id;

	if (strpbrk(command, "\r\n")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "a command must not contain CR or LF");
		return 0;
	}
	id = session_begin(s, error);
	if (!id)
		return 0;
	line = g_strdup_printf("A%u %s", id, command);
	session_trace(s, "C: ", line);
	if (!session_write(s, line, strlen(line), error) || !session_write(s, "\r\n", 2, error))
		return 0;
	return id;
}

typedef struct {
	ImapFetchFunc cb;
	gpointer data;
} FetchForward;

static gboolean forward_fetch(ImapSession *s, const ImapResponse *resp, gpointer data)
{
	FetchForward *f = data;

	if (resp->type != IMAP_UNTAGGED_FETCH || !f->cb)
		return FALSE;
	f->cb(&resp->fetch, f->data);
	return TRUE;
}

gboolean imap_session_wait(ImapSession *s, guint tag_id_, ImapFetchFunc cb, gpointer user_data,
			   GError **error)
{
	g_autoptr(ImapResponse) tagged = NULL;
	g_autofree char *what = g_strdup_printf("command A%u", tag_id_);
	FetchForward f = {cb, user_data};

	if (!session_wait_tagged(s, tag_id_, forward_fetch, &f, &tagged, error))
		return FALSE;
	return session_check_ok(tagged, what, error);
}

/* imapfs — one mail transaction: MAIL FROM, RCPT TO for each recipient, DATA.
 *
 * All or nothing: any refusal abandons the transaction before the final ".". With
 * PIPELINING the commands up to DATA go in one write, so the server may already have
 * said 354 when a recipient turns out refused; the connection is then dropped without
 * the final ".", which RFC 5321 4.1.1.4 says discards the message.
 */
#include "smtp/error.h"
#include "smtp/client-internal.h"
#include "smtp/data.h"

#include <string.h>

static gboolean unsupported(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean unsupported(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, SMTP_ERROR, SMTP_ERROR_UNSUPPORTED, msg);
	return FALSE;
}

/* The MAIL FROM parameters the message needs; FALSE when the server lacks one. */
static gboolean mail_params(SmtpClient *c, const SmtpEnvelope *env, gsize data_len, GString *out,
			    GError **error)
{
	const char *size = smtp_client_ext(c, "SIZE");

	if (env->needs_smtputf8 && !smtp_client_ext(c, "SMTPUTF8"))
		return unsupported(error, "the message needs SMTPUTF8 (non-ASCII in an address "
					  "or header field), which the SMTP server does not offer");
	if (env->eight_bit && !smtp_client_ext(c, "8BITMIME"))
		return unsupported(error, "the message has 8-bit content and the SMTP server "
					  "does not offer 8BITMIME");
	if (env->eight_bit)
		g_string_append(out, " BODY=8BITMIME");
	if (env->needs_smtputf8)
		g_string_append(out, " SMTPUTF8");
	if (size) {
		guint64 limit = g_ascii_strtoull(size, NULL, 10);
		if (limit && data_len > limit)
			return unsupported(error,
					   "the message (%" G_GSIZE_FORMAT " bytes) is larger "
					   "than the SMTP server accepts (%" G_GUINT64_FORMAT
					   " bytes)",
					   data_len, limit);
		g_string_append_printf(out, " SIZE=%" G_GSIZE_FORMAT, data_len);
	}
	return TRUE;
}

/* The commands before the data, in order: MAIL, each RCPT, DATA. */
static GPtrArray *envelope_commands(const SmtpEnvelope *env, const char *params)
{
	GPtrArray *cmds = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(cmds, g_strdup_printf("MAIL FROM:<%s>%s", env->sender, params));
	for (guint i = 0; i < env->recipients->len; i++) {
		g_ptr_array_add(cmds, g_strdup_printf("RCPT TO:<%s>", (char *)g_ptr_array_index(
									  env->recipients, i)));
	}
	g_ptr_array_add(cmds, g_strdup("DATA"));
	return cmds;
}

typedef struct {
	GString *refusals; /* "<bob@x>: 550 ..." for each refused recipient */
	guint refused;
	GError *first;	  /* MAIL or DATA refused, or the connection failed */
	gboolean data_ok; /* DATA answered 354 */
} Outcome;

/* Judges the reply to cmds[i]. FALSE when no reply could be read. */
static gboolean judge(SmtpClient *c, const SmtpEnvelope *env, guint i, guint n, SmtpReply *r,
		      Outcome *o)
{
	if (i == 0) {
		if (r->code != 250 && !o->first)
			smtp_client_refused(&o->first, "the SMTP server refused the sender", r);
	} else if (i == n - 1) {
		o->data_ok = r->code == 354;
		if (!o->data_ok && !o->first && !o->refused)
			smtp_client_refused(&o->first, "the SMTP server refused DATA", r);
	} else if (r->code != 250 && r->code != 251) {
		g_autofree char *text = smtp_reply_text(r);
		g_string_append_printf(o->refusals, "%s<%s>: %s", o->refused ? "; " : "",
				       (char *)g_ptr_array_index(env->recipients, i - 1), text);
		o->refused++;
	}
	return TRUE;
}

/* Without PIPELINING: one command, one reply, and no DATA after a refusal. */
static gboolean run_serial(SmtpClient *c, const SmtpEnvelope *env, GPtrArray *cmds, Outcome *o,
			   GError **error)
{
	for (guint i = 0; i < cmds->len; i++) {
		g_autoptr(SmtpReply) r = NULL;

		if (i == cmds->len - 1 && (o->first || o->refused))
			return TRUE;
		r = smtp_client_command(c, g_ptr_array_index(cmds, i), NULL, error);
		if (!r)
			return FALSE;
		judge(c, env, i, cmds->len, r, o);
		if (i == 0 && o->first)
			return TRUE;
	}
	return TRUE;
}

static gboolean run_pipelined(SmtpClient *c, const SmtpEnvelope *env, GPtrArray *cmds, Outcome *o,
			      GError **error)
{
	g_autoptr(GString) batch = g_string_new(NULL);

	for (guint i = 0; i < cmds->len; i++) {
		smtp_client_trace(c, "C: ", g_ptr_array_index(cmds, i));
		g_string_append_printf(batch, "%s\r\n", (char *)g_ptr_array_index(cmds, i));
	}
	if (!smtp_client_write(c, batch->str, batch->len, error))
		return FALSE;
	for (guint i = 0; i < cmds->len; i++) {
		g_autoptr(SmtpReply) r = smtp_client_read_reply(c, 0, error);
		if (!r)
			return FALSE;
		judge(c, env, i, cmds->len, r, o);
	}
	return TRUE;
}

static gboolean send_data(SmtpClient *c, GBytes *data, GError **error)
{
	g_autofree char *note =
	    g_strdup_printf("<%" G_GSIZE_FORMAT " bytes of message data>", g_bytes_get_size(data));
	g_autoptr(SmtpReply) r = NULL;

	smtp_client_trace(c, "C: ", note);
	if (!smtp_client_write(c, g_bytes_get_data(data, NULL), g_bytes_get_size(data), error))
		return FALSE;
	r = smtp_client_read_reply(c, 0, error);
	if (!r)
		return FALSE;
	if (r->code != 250) {
		smtp_client_refused(error, "the SMTP server refused the message", r);
		return FALSE;
	}
	return TRUE;
}

/* The transaction failed: say why, and make sure nothing gets delivered. */
static gboolean abandon(SmtpClient *c, Outcome *o, GError **error)
{
	if (o->data_ok) {
		/* 354 already given: only a dropped connection withdraws the message. */
		c->usable = FALSE;
	}
	if (o->first) {
		g_propagate_error(error, g_steal_pointer(&o->first));
	} else {
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_NO,
			    "the SMTP server refused %s%s; nothing was sent",
			    o->refused == 1 ? "recipient " : "recipients ", o->refusals->str);
	}
	return FALSE;
}

gboolean smtp_client_transaction(SmtpClient *c, const SmtpEnvelope *env, GError **error)
{
	g_autoptr(GBytes) data = smtp_data_encode(env->message);
	g_autoptr(GString) params = g_string_new(NULL);
	g_autoptr(GPtrArray) cmds = NULL;
	Outcome o = {0};
	gboolean ran;

	/* DATA's size is what SIZE limits; the terminating ".\r\n" is not part of it. */
	if (!mail_params(c, env, g_bytes_get_size(data) - 3, params, error))
		return FALSE;
	cmds = envelope_commands(env, params->str);
	o.refusals = g_string_new(NULL);
	if (smtp_client_ext(c, "PIPELINING"))
		ran = run_pipelined(c, env, cmds, &o, error);
	else
		ran = run_serial(c, env, cmds, &o, error);
	if (ran && (o.first || o.refused || !o.data_ok))
		ran = abandon(c, &o, error);
	else if (ran)
		ran = send_data(c, data, error);
	g_string_free(o.refusals, TRUE);
	g_clear_error(&o.first);
	return ran;
}

/* imapfs — SMTP AUTH (RFC 4954) with the SASL mechanisms of net/sasl.h: the first
 * mechanism of the allow-list that the server offers and that has a secret. */
#include "smtp/error.h"
#include "net/sasl.h"
#include "smtp/client-internal.h"

#include <string.h>

/* RFC 4954 4: an initial response that would make the line longer goes after a 334. */
#define SMTP_MAX_AUTH_LINE 512
#define SMTP_MAX_AUTH_ROUNDS 16

static const char *const password_mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", NULL};
static const char *const oauth_mechs[] = {"OAUTHBEARER", "XOAUTH2", NULL};

static gboolean is_oauth(const char *mech)
{
	return g_strv_contains(oauth_mechs, mech);
}

static gboolean offered(const char *list, const char *mech)
{
	g_auto(GStrv) words = g_strsplit(list, " ", -1);

	for (char **w = words; *w; w++) {
		if (g_ascii_strcasecmp(*w, mech) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The allow-list in order of preference (borrowed strings). */
static GPtrArray *allowed_mechs(const NetConfig *net)
{
	GPtrArray *list = g_ptr_array_new();

	if (net->mechanisms) {
		for (char **m = net->mechanisms; *m; m++) {
			if (!g_str_equal(*m, "LOGINCMD")) /* IMAP's LOGIN command only */
				g_ptr_array_add(list, *m);
		}
		return list;
	}
	if (net->oauth2_token) {
		for (const char *const *m = oauth_mechs; *m; m++)
			g_ptr_array_add(list, (gpointer)*m);
	}
	for (const char *const *m = password_mechs; *m; m++)
		g_ptr_array_add(list, (gpointer)*m);
	return list;
}

static const char *choose_mech(const NetConfig *net, const char *offer, GError **error)
{
	g_autoptr(GPtrArray) allowed = allowed_mechs(net);
	g_autofree char *allowed_text = NULL;

	for (guint i = 0; i < allowed->len; i++) {
		const char *m = g_ptr_array_index(allowed, i);
		const char *secret = is_oauth(m) ? net->oauth2_token : net->password;

		if (secret && offered(offer, m))
			return m;
	}
	g_ptr_array_add(allowed, NULL);
	allowed_text = g_strjoinv(" ", (char **)allowed->pdata);
	g_set_error(error, SMTP_ERROR, SMTP_ERROR_AUTH,
		    "no usable SMTP authentication mechanism: the server offers %s; allowed (with "
		    "credentials given): %s",
		    offer[0] ? offer : "none", allowed_text);
	return NULL;
}

static char *encode(GBytes *data, const char *empty_as)
{
	gsize len = data ? g_bytes_get_size(data) : 0;

	if (len == 0)
		return g_strdup(empty_as);
	return g_base64_encode(g_bytes_get_data(data, NULL), len);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		g_free(s);
	}
}

/* "AUTH MECH" with the initial response on the same line when it fits; when it does
 * not, *pending holds it for the server's first (empty) 334. */
static gboolean send_auth(SmtpClient *c, NetSasl *sasl, const char *mech, char **pending,
			  GError **error)
{
	g_autofree char *traced = NULL;
	char *ir = NULL;
	char *line;
	gboolean inline_ir = FALSE, ok;

	if (net_sasl_has_initial(sasl)) {
		g_autoptr(GBytes) initial = net_sasl_step(sasl, NULL, error);

		smtp_error_from_net(error);
		if (!initial)
			return FALSE;
		ir = encode(initial, "=");
		inline_ir = strlen("AUTH  \r\n") + strlen(mech) + strlen(ir) <= SMTP_MAX_AUTH_LINE;
	}
	line = g_strdup_printf("AUTH %s%s%s", mech, inline_ir ? " " : "", inline_ir ? ir : "");
	traced = g_strdup_printf("AUTH %s%s", mech, inline_ir ? " <secret>" : "");
	ok = smtp_client_send_line(c, line, traced, error);
	wipe_free(line);
	if (ok && ir && !inline_ir)
		*pending = g_steal_pointer(&ir);
	wipe_free(ir);
	return ok;
}

static gboolean auth_refused(GError **error, const char *mech, const SmtpReply *r)
{
	g_autofree char *text = smtp_reply_text(r);
	g_set_error(error, SMTP_ERROR, SMTP_ERROR_AUTH, "the SMTP server refused login (%s): %s",
		    mech, text);
	return FALSE;
}

/* Answers 334 challenges until the final reply. */
static gboolean exchange(SmtpClient *c, NetSasl *sasl, const char *mech, GError **error)
{
	char *pending = NULL;

	if (!send_auth(c, sasl, mech, &pending, error))
		return FALSE;
	for (guint round = 0; round < SMTP_MAX_AUTH_ROUNDS; round++) {
		g_autoptr(SmtpReply) r = smtp_client_read_reply(c, 0, error);
		g_autoptr(GBytes) resp = NULL;
		g_autoptr(GError) err = NULL;
		char *b64;
		gboolean ok;

		if (!r || r->code != 334)
			wipe_free(g_steal_pointer(&pending));
		if (!r)
			return FALSE;
		if (r->code == 235)
			return TRUE;
		if (r->code != 334)
			return auth_refused(error, mech, r);
		if (pending) {
			b64 = g_steal_pointer(&pending);
			ok = smtp_client_send_line(c, b64, "<secret>", error);
			wipe_free(b64);
			if (!ok)
				return FALSE;
			continue;
		}
		gsize clen = 0;
		g_autofree guchar *raw = g_base64_decode(r->lines[0], &clen);
		g_autoptr(GBytes) challenge = g_bytes_new(raw, clen);
		resp = net_sasl_step(sasl, challenge, &err);
		/* On a mechanism error (XOAUTH2's error JSON) an empty line makes the server
		 * answer with its refusal. */
		b64 = encode(resp, "");
		ok = smtp_client_send_line(c, b64, "<secret>", error);
		wipe_free(b64);
		if (!ok)
			return FALSE;
	}
	c->usable = FALSE;
	g_set_error(error, SMTP_ERROR, SMTP_ERROR_PROTOCOL,
		    "SMTP authentication did not finish after %u rounds", SMTP_MAX_AUTH_ROUNDS);
	return FALSE;
}

gboolean smtp_client_auth(SmtpClient *c, GError **error)
{
	const NetConfig *net = &c->cfg->net;
	const char *offer, *mech;
	NetSasl *sasl;
	gboolean ok;

	/* Chosen by name: a relay that takes mail without login (a local MTA). */
	if (c->cfg->no_auth || (!net->user && !net->oauth2_token))
		return TRUE;
	offer = smtp_client_ext(c, "AUTH");
	if (!offer) {
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_AUTH,
			    "the SMTP server offers no authentication (no AUTH after EHLO%s); for "
			    "a relay that takes mail without it, set smtp_auth=none",
			    net_transport_is_tls(c->t) ? "" : " on an unencrypted connection");
		return FALSE;
	}
	/* Decided before anything is sent: a secret never crosses an unencrypted line
	 * unless the user asked for exactly that. */
	if (!net_transport_is_tls(c->t) && !net->allow_plaintext_auth) {
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_AUTH,
			    "refusing to send SMTP credentials over an unencrypted connection "
			    "(use TLS or STARTTLS, or allow plaintext authentication)");
		return FALSE;
	}
	mech = choose_mech(net, offer, error);
	if (!mech)
		return FALSE;
	sasl = net_sasl_new(mech, net->user ? net->user : "",
			    is_oauth(mech) ? net->oauth2_token : net->password, net->host,
			    smtp_config_port(c->cfg), error);
	smtp_error_from_net(error);
	if (!sasl)
		return FALSE;
	ok = exchange(c, sasl, mech, error);
	net_sasl_free(sasl);
	return ok;
}

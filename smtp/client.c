/* imapfs — an SMTP connection up to the point where mail can be sent: connect (with
 * the AUTO fallback), greeting, EHLO/HELO, STARTTLS, AUTH. */
#include "smtp/client.h"
#include "smtp/error.h"
#include "smtp/client-internal.h"

#include <string.h>

const char *smtp_client_ext(const SmtpClient *c, const char *keyword)
{
	gsize n = strlen(keyword);

	for (char **e = c->ext; e && *e; e++) {
		if (g_ascii_strncasecmp(*e, keyword, n) == 0 && ((*e)[n] == '\0' || (*e)[n] == ' '))
			return (*e)[n] ? *e + n + 1 : *e + n;
		/* The pre-RFC form some servers still send: "AUTH=PLAIN LOGIN". */
		if (g_str_equal(keyword, "AUTH") && g_ascii_strncasecmp(*e, "AUTH=", 5) == 0)
			return *e + 5;
	}
	return NULL;
}

static void client_free(SmtpClient *c)
{
	if (!c)
		return;
	net_transport_close(c->t);
	g_byte_array_unref(c->rbuf);
	g_strfreev(c->ext);
	g_free(c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmtpClient, client_free)

/* The port for one try: under AUTO the first try is implicit TLS, the second STARTTLS. */
static guint16 default_port(NetSecurity sec)
{
	return sec == NET_SECURITY_TLS ? 465 : 587;
}

static SmtpClient *client_connect(const SmtpConfig *cfg, NetSecurity sec, guint connect_ms,
				  GError **error)
{
	/* A shallow copy: the transport only reads the config during the call. */
	NetConfig net = cfg->net;
	NetTransport *t;
	SmtpClient *c;

	net.security = sec;
	if (connect_ms)
		net.connect_timeout_ms = connect_ms;
	t = net_transport_connect(&net, cfg->net.port ? cfg->net.port : default_port(sec),
				  sec == NET_SECURITY_TLS, error);
	smtp_error_from_net(error);
	if (!t)
		return NULL;
	c = g_new0(SmtpClient, 1);
	c->cfg = cfg;
	c->t = t;
	c->rbuf = g_byte_array_new();
	c->usable = TRUE;
	return c;
}

static gboolean read_greeting(SmtpClient *c, GError **error)
{
	guint ms = c->cfg->net.greeting_timeout_ms ? c->cfg->net.greeting_timeout_ms
						   : SMTP_DEFAULT_GREETING_MS;
	g_autoptr(SmtpReply) r = NULL;
	GError *err = NULL;

	r = smtp_client_read_reply(c, ms, &err);
	if (!r) {
		if (g_error_matches(err, SMTP_ERROR, SMTP_ERROR_TIMEOUT)) {
			g_set_error(error, SMTP_ERROR, SMTP_ERROR_TIMEOUT,
				    "the SMTP server sent no greeting within %u ms", ms);
			g_error_free(err);
			return FALSE;
		}
		g_propagate_error(error, err);
		return FALSE;
	}
	if (r->code != 220) {
		smtp_client_refused(error, "the SMTP server refused the connection", r);
		return FALSE;
	}
	return TRUE;
}

static const char *helo_name(const SmtpClient *c)
{
	return c->cfg->helo_name ? c->cfg->helo_name : "localhost";
}

/* EHLO; on a plain connection a server that does not know it gets HELO. */
static gboolean ehlo(SmtpClient *c, GError **error)
{
	g_autofree char *cmd = g_strdup_printf("EHLO %s", helo_name(c));
	g_autoptr(SmtpReply) r = smtp_client_command(c, cmd, NULL, error);

	if (!r)
		return FALSE;
	g_clear_pointer(&c->ext, g_strfreev);
	if (r->code == 250) {
		c->ext = g_strdupv(r->lines + 1); /* the first line is the server's name */
		return TRUE;
	}
	if (r->code >= 500 && c->cfg->net.security == NET_SECURITY_PLAIN) {
		g_autofree char *helo = g_strdup_printf("HELO %s", helo_name(c));
		g_autoptr(SmtpReply) h = smtp_client_command(c, helo, NULL, error);
		if (!h)
			return FALSE;
		if (h->code == 250)
			return TRUE;
		smtp_client_refused(error, "the SMTP server refused HELO", h);
		return FALSE;
	}
	smtp_client_refused(error, "the SMTP server refused EHLO", r);
	return FALSE;
}

static gboolean tls_error(GError **error, GError *err, const char *what)
{
	g_set_error(error, SMTP_ERROR, SMTP_ERROR_TLS, "%s: %s", what, err->message);
	g_error_free(err);
	return FALSE;
}

static gboolean starttls(SmtpClient *c, GError **error)
{
	g_autoptr(SmtpReply) r = NULL;
	GError *err = NULL;

	if (!smtp_client_ext(c, "STARTTLS")) {
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_TLS,
			    "the SMTP server does not offer STARTTLS; refusing to continue "
			    "unencrypted");
		return FALSE;
	}
	r = smtp_client_command(c, "STARTTLS", NULL, &err);
	if (!r)
		return tls_error(error, err, "STARTTLS failed");
	if (r->code != 220) {
		g_autofree char *text = smtp_reply_text(r);
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_TLS, "STARTTLS refused: %s", text);
		return FALSE;
	}
	/* Bytes after the 220 came in plaintext: a man in the middle injecting replies. */
	if (c->rbuf->len > 0) {
		c->usable = FALSE;
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_TLS,
			    "unencrypted data after STARTTLS; refusing it");
		return FALSE;
	}
	if (!net_transport_starttls(c->t, &err)) {
		c->usable = FALSE;
		smtp_error_from_net(&err);
		if (err->domain == SMTP_ERROR && err->code == SMTP_ERROR_TLS) {
			g_propagate_error(error, err);
			return FALSE;
		}
		return tls_error(error, err, "STARTTLS failed");
	}
	/* What the server said before TLS is not to be trusted: ask again. */
	return ehlo(c, error);
}

static gboolean greet_and_secure(SmtpClient *c, gboolean want_starttls, GError **error)
{
	if (!read_greeting(c, error) || !ehlo(c, error))
		return FALSE;
	return !want_starttls || starttls(c, error);
}

static SmtpClient *open_as(const SmtpConfig *cfg, NetSecurity sec, guint connect_ms, GError **error)
{
	g_autoptr(SmtpClient) c = client_connect(cfg, sec, connect_ms, error);

	if (!c || !greet_and_secure(c, sec == NET_SECURITY_STARTTLS, error))
		return NULL;
	return g_steal_pointer(&c);
}

/* AUTO: implicit TLS first (bounded by the greeting timeout), then STARTTLS; never
 * plaintext. */
static SmtpClient *open_auto(const SmtpConfig *cfg, GError **error)
{
	guint greeting_ms =
	    cfg->net.greeting_timeout_ms ? cfg->net.greeting_timeout_ms : SMTP_DEFAULT_GREETING_MS;
	g_autoptr(GError) first = NULL;
	g_autoptr(GError) second = NULL;
	SmtpClient *c;

	c = open_as(cfg, NET_SECURITY_TLS, greeting_ms, &first);
	if (c)
		return c;
	c = open_as(cfg, NET_SECURITY_STARTTLS, 0, &second);
	if (c)
		return c;
	g_set_error(error, SMTP_ERROR, second->code,
		    "implicit TLS failed (%s); STARTTLS failed (%s)", first->message,
		    second->message);
	return NULL;
}

static SmtpClient *client_open(const SmtpConfig *cfg, GError **error)
{
	g_autoptr(SmtpClient) c = NULL;

	if (!cfg->net.host && !cfg->net.tunnel) {
		g_set_error(error, SMTP_ERROR, SMTP_ERROR_INVALID, "no SMTP host configured");
		return NULL;
	}
	if (cfg->net.security == NET_SECURITY_AUTO)
		c = open_auto(cfg, error);
	else
		c = open_as(cfg, cfg->net.security, 0, error);
	if (!c || !smtp_client_auth(c, error))
		return NULL;
	return g_steal_pointer(&c);
}

/* QUIT politely; the message (if any) is already accepted or abandoned, so a failure here
 * changes nothing. */
static void client_quit(SmtpClient *c)
{
	g_autoptr(SmtpReply) r = NULL;

	if (c->usable)
		r = smtp_client_command(c, "QUIT", NULL, NULL);
}

gboolean smtp_send(const SmtpConfig *cfg, const SmtpEnvelope *env, GError **error)
{
	g_autoptr(SmtpClient) c = client_open(cfg, error);
	gboolean ok;

	if (!c)
		return FALSE;
	ok = smtp_client_transaction(c, env, error);
	client_quit(c);
	return ok;
}

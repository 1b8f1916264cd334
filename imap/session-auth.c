/* imapfs — getting a session to the authenticated state: connect (with the AUTO
 * fallback), greeting, STARTTLS, CAPABILITY, SASL or LOGIN, ENABLE. */
#include "imap/session-internal.h"
#include "net/sasl.h"

#include <string.h>

static const char *const password_mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "LOGINCMD", NULL};
static const char *const oauth_mechs[] = {"OAUTHBEARER", "XOAUTH2", NULL};

void session_set_caps(ImapSession *s, char *const *caps)
{
	if (!caps)
		return;
	g_strfreev(s->caps);
	s->caps = g_strdupv((char **)caps);
}

static NetTransport *connect_as(const ImapConfig *cfg, NetSecurity sec, guint16 port,
				guint connect_timeout_ms, GError **error)
{
	/* A shallow copy: the transport only reads the config during the call. */
	NetConfig tmp = cfg->net;
	NetTransport *t;

	tmp.security = sec;
	if (connect_timeout_ms)
		tmp.connect_timeout_ms = connect_timeout_ms;
	t = net_transport_connect(&tmp, port, sec == NET_SECURITY_TLS, error);
	imap_error_from_net(error);
	return t;
}

static gboolean read_greeting(ImapSession *s, guint timeout_ms, gboolean *preauth, GError **error)
{
	g_autoptr(ImapResponse) r = NULL;
	GError *err = NULL;

	if (!session_read_response(s, (int)timeout_ms, &r, &err)) {
		if (g_error_matches(err, IMAP_ERROR, IMAP_ERROR_TIMEOUT)) {
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_TIMEOUT,
				    "the server sent no greeting within %u ms", timeout_ms);
			g_error_free(err);
			return FALSE;
		}
		g_propagate_error(error, err);
		return FALSE;
	}
	if (r->kind != IMAP_RESP_UNTAGGED || r->type != IMAP_UNTAGGED_STATUS) {
		return session_fail(s,
				    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL,
						"the server's greeting is not a status response"),
				    error);
	}
	if (r->status == IMAP_STATUS_BYE) {
		GError *bye =
		    g_error_new(IMAP_ERROR, IMAP_ERROR_BYE, "server refused the connection: %s",
				r->text ? r->text : "");

		imap_error_set_response(bye, r->code.type, r->code.name, r->text);
		return session_fail(s, bye, error);
	}
	if (r->status != IMAP_STATUS_OK && r->status != IMAP_STATUS_PREAUTH) {
		return session_fail(s,
				    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL,
						"unexpected greeting: %s", r->text ? r->text : ""),
				    error);
	}
	if (r->code.type == IMAP_CODE_CAPABILITY)
		session_set_caps(s, r->code.list);
	*preauth = r->status == IMAP_STATUS_PREAUTH;
	return TRUE;
}

static gboolean refresh_caps(ImapSession *s, GError **error)
{
	g_clear_pointer(&s->caps, g_strfreev);
	if (!session_run_simple(s, "CAPABILITY", NULL, NULL, NULL, error))
		return FALSE;
	if (!s->caps) {
		return session_fail(
		    s,
		    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL, "the server sent no CAPABILITY"),
		    error);
	}
	return TRUE;
}

static gboolean ensure_caps(ImapSession *s, GError **error)
{
	return s->caps ? TRUE : refresh_caps(s, error);
}

static gboolean starttls(ImapSession *s, GError **error)
{
	GError *err = NULL;

	if (!ensure_caps(s, error))
		return FALSE;
	if (!imap_session_has_cap(s, "STARTTLS")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_TLS,
			    "the server does not offer STARTTLS; refusing to continue unencrypted");
		return FALSE;
	}
	if (!session_run_simple(s, "STARTTLS", NULL, NULL, NULL, &err)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_TLS, "STARTTLS failed: %s", err->message);
		g_error_free(err);
		return FALSE;
	}
	/* Anything already received after the OK came in plaintext: a man in the middle
	 * injecting responses. Never let it be read as if it came over TLS. */
	if (s->rbuf->len > 0 || s->mid_response) {
		return session_fail(s,
				    g_error_new(IMAP_ERROR, IMAP_ERROR_TLS,
						"unencrypted data after STARTTLS; refusing it"),
				    error);
	}
	if (!net_transport_starttls(s->transport, &err)) {
		imap_error_from_net(&err);
		if (err->domain != IMAP_ERROR || err->code != IMAP_ERROR_TLS) {
			GError *e = g_error_new(IMAP_ERROR, IMAP_ERROR_TLS, "STARTTLS failed: %s",
						err->message);
			g_error_free(err);
			err = e;
		}
		return session_fail(s, err, error);
	}
	/* Capabilities before TLS are not to be trusted. */
	return refresh_caps(s, error);
}

static gboolean mech_offered(ImapSession *s, const char *mech)
{
	g_autofree char *cap = NULL;

	if (g_str_equal(mech, "LOGINCMD"))
		return !imap_session_has_cap(s, "LOGINDISABLED");
	cap = g_strconcat("AUTH=", mech, NULL);
	return imap_session_has_cap(s, cap);
}

static gboolean is_oauth(const char *mech)
{
	return g_strv_contains(oauth_mechs, mech);
}

/* The allow-list in order of preference. */
static GPtrArray *allowed_mechs(const ImapConfig *cfg)
{
	GPtrArray *list = g_ptr_array_new();

	if (cfg->net.mechanisms) {
		for (char **m = cfg->net.mechanisms; *m; m++)
			g_ptr_array_add(list, *m);
		return list;
	}
	if (cfg->net.oauth2_token) {
		for (const char *const *m = oauth_mechs; *m; m++)
			g_ptr_array_add(list, (gpointer)*m);
	}
	for (const char *const *m = password_mechs; *m; m++)
		g_ptr_array_add(list, (gpointer)*m);
	return list;
}

static const char *choose_mech(ImapSession *s, const ImapConfig *cfg, GError **error)
{
	g_autoptr(GPtrArray) allowed = allowed_mechs(cfg);
	g_autoptr(GString) offered = g_string_new(NULL);
	g_autofree char *allowed_text = NULL;

	for (guint i = 0; i < allowed->len; i++) {
		const char *m = g_ptr_array_index(allowed, i);
		const char *secret = is_oauth(m) ? cfg->net.oauth2_token : cfg->net.password;

		if (secret && mech_offered(s, m))
			return m;
	}
	for (char **c = s->caps; c && *c; c++) {
		if (g_ascii_strncasecmp(*c, "AUTH=", 5) == 0)
			g_string_append_printf(offered, "%s%s", offered->len ? " " : "", *c + 5);
	}
	if (!imap_session_has_cap(s, "LOGINDISABLED"))
		g_string_append_printf(offered, "%sLOGINCMD", offered->len ? " " : "");
	g_ptr_array_add(allowed, NULL);
	allowed_text = g_strjoinv(" ", (char **)allowed->pdata);
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_AUTH,
		    "no usable authentication mechanism: the server offers %s; allowed (with "
		    "credentials given): %s",
		    offered->len ? offered->str : "none", allowed_text);
	return NULL;
}

static gboolean auth_result(ImapSession *s, ImapResponse *tagged, GError **error)
{
	g_autofree char *code = NULL;
	GError *err;

	if (tagged->status == IMAP_STATUS_OK) {
		if (tagged->code.type == IMAP_CODE_CAPABILITY)
			session_set_caps(s, tagged->code.list);
		else
			g_clear_pointer(&s->caps, g_strfreev);
		return TRUE;
	}
	code = imap_resp_code_format(&tagged->code);
	err = g_error_new(IMAP_ERROR, IMAP_ERROR_AUTH, "server refused login: %s%s", code,
			  tagged->text ? tagged->text : "");
	imap_error_set_response(err, tagged->code.type, tagged->code.name, tagged->text);
	g_propagate_error(error, err);
	return FALSE;
}

static gboolean login_cmd(ImapSession *s, const ImapConfig *cfg, GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, "LOGIN");
	g_autoptr(ImapResponse) tagged = NULL;
	guint id;

	imap_cmd_add_astring(cmd, cfg->net.user ? cfg->net.user : "",
			     cfg->net.user ? strlen(cfg->net.user) : 0);
	imap_cmd_add_astring(cmd, cfg->net.password, strlen(cfg->net.password));
	id = session_begin(s, error);
	if (!id || !session_send_cmd(s, id, cmd, "LOGIN <user> <secret>", TRUE, error))
		return FALSE;
	if (!session_wait_tagged(s, id, NULL, NULL, &tagged, error))
		return FALSE;
	return auth_result(s, tagged, error);
}

static gboolean send_sasl_line(ImapSession *s, GBytes *data, const char *empty_as, gboolean traced,
			       GError **error)
{
	gsize len = data ? g_bytes_get_size(data) : 0;
	g_autofree char *b64 = NULL;

	if (len == 0)
		b64 = g_strdup(empty_as);
	else
		b64 = g_base64_encode(g_bytes_get_data(data, NULL), len);
	if (!traced)
		session_trace(s, "C: ", "<secret>");
	gboolean ok =
	    session_write(s, b64, strlen(b64), error) && session_write(s, "\r\n", 2, error);
	memset(b64, 0, strlen(b64));
	return ok;
}

/* Answers the server's challenges until the tagged response. */
static gboolean sasl_exchange(ImapSession *s, NetSasl *sasl, guint id, gboolean initial_sent,
			      GError **error)
{
	SessionPending *p = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(id));

	for (guint rounds = 0; rounds < 16; rounds++) {
		while (!s->continuation && !p->done) {
			if (!session_pump(s, -1, TRUE, NULL, error))
				return FALSE;
		}
		if (p->done)
			return TRUE;
		s->continuation = FALSE;
		gsize clen = 0;
		g_autofree guchar *raw = g_base64_decode(s->continuation_text, &clen);
		g_autoptr(GBytes) challenge = g_bytes_new(raw, clen);
		g_autoptr(GBytes) resp = NULL;
		g_autoptr(GError) err = NULL;

		/* Without SASL-IR the first "+" of a mechanism with an initial response
		 * asks for that response; otherwise it carries the first challenge. */
		if (!initial_sent && net_sasl_has_initial(sasl))
			resp = net_sasl_step(sasl, NULL, &err);
		else
			resp = net_sasl_step(sasl, challenge, &err);
		initial_sent = TRUE;
		/* On a mechanism error an empty response makes the server answer NO. */
		if (!send_sasl_line(s, resp, "", FALSE, error))
			return FALSE;
	}
	return session_fail(s,
			    g_error_new(IMAP_ERROR, IMAP_ERROR_PROTOCOL,
					"authentication did not finish after 16 rounds"),
			    error);
}

static gboolean authenticate_with(ImapSession *s, NetSasl *sasl, const char *mech, GError **error)
{
	gboolean ir = net_sasl_has_initial(sasl) && imap_session_has_cap(s, "SASL-IR");
	g_autoptr(ImapResponse) tagged = NULL;
	g_autofree char *line = NULL;
	g_autofree char *traced = NULL;
	guint id;

	id = session_begin(s, error);
	if (!id)
		return FALSE;
	line = g_strdup_printf("A%u AUTHENTICATE %s%s", id, mech, ir ? " " : "");
	traced = g_strdup_printf("%s%s", line, ir ? "<secret>" : "");
	session_trace(s, "C: ", traced);
	if (!session_write(s, line, strlen(line), error))
		return FALSE;
	if (ir) {
		g_autoptr(GBytes) initial = net_sasl_step(sasl, NULL, error);

		imap_error_from_net(error);
		if (!initial || !send_sasl_line(s, initial, "=", TRUE, error))
			return FALSE;
	} else if (!session_write(s, "\r\n", 2, error)) {
		return FALSE;
	}
	if (!sasl_exchange(s, sasl, id, ir, error))
		return FALSE;
	if (!session_wait_tagged(s, id, NULL, NULL, &tagged, error))
		return FALSE;
	return auth_result(s, tagged, error);
}

static gboolean authenticate(ImapSession *s, const ImapConfig *cfg, const char *mech,
			     GError **error)
{
	const char *secret = is_oauth(mech) ? cfg->net.oauth2_token : cfg->net.password;
	NetSasl *sasl;
	gboolean ok;

	sasl = net_sasl_new(mech, cfg->net.user ? cfg->net.user : "", secret, cfg->net.host,
			    imap_config_port(cfg), error);
	imap_error_from_net(error);
	if (!sasl)
		return FALSE;
	ok = authenticate_with(s, sasl, mech, error);
	net_sasl_free(sasl);
	return ok;
}

static gboolean login(ImapSession *s, const ImapConfig *cfg, GError **error)
{
	const char *mech;

	if (!ensure_caps(s, error))
		return FALSE;
	/* Decided before anything is sent: a password never crosses an unencrypted line
	 * unless the user asked for exactly that. */
	if (!net_transport_is_tls(s->transport) && !cfg->net.allow_plaintext_auth) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_AUTH,
			    "refusing to send credentials over an unencrypted connection "
			    "(use TLS or STARTTLS, or allow plaintext authentication)");
		return FALSE;
	}
	mech = choose_mech(s, cfg, error);
	if (!mech)
		return FALSE;
	if (g_str_equal(mech, "LOGINCMD") ? !login_cmd(s, cfg, error)
					  : !authenticate(s, cfg, mech, error))
		return FALSE;
	s->mechanism = g_strdup(mech);
	return TRUE;
}

static gboolean enable_extensions(ImapSession *s, GError **error)
{
	static const char *const wanted[] = {"CONDSTORE", "QRESYNC", "UTF8=ACCEPT", NULL};
	g_autoptr(GString) cmd = g_string_new("ENABLE");
	g_autoptr(GError) err = NULL;

	if (!imap_session_has_cap(s, "ENABLE"))
		return TRUE;
	for (const char *const *w = wanted; *w; w++) {
		if (imap_session_has_cap(s, *w))
			g_string_append_printf(cmd, " %s", *w);
	}
	if (g_str_equal(cmd->str, "ENABLE"))
		return TRUE;
	/* A refused ENABLE only means fewer extensions; a broken connection is fatal. */
	if (!session_run_simple(s, cmd->str, NULL, NULL, NULL, &err) && !s->usable) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	return TRUE;
}

static gboolean greet_and_secure(ImapSession *s, const ImapConfig *cfg, gboolean want_starttls,
				 gboolean *preauth, GError **error)
{
	guint greeting_ms = cfg->net.greeting_timeout_ms ? cfg->net.greeting_timeout_ms : 10000;

	if (!read_greeting(s, greeting_ms, preauth, error))
		return FALSE;
	if (!want_starttls)
		return TRUE;
	if (*preauth) {
		/* STARTTLS is impossible once authenticated: refusing is the only safe answer. */
		g_set_error(
		    error, IMAP_ERROR, IMAP_ERROR_TLS,
		    "the server pre-authenticated the connection, so STARTTLS is impossible");
		return FALSE;
	}
	return starttls(s, error);
}

static void reset_connection(ImapSession *s)
{
	g_clear_pointer(&s->transport, net_transport_close);
	imap_parser_reset(s->parser);
	g_byte_array_set_size(s->rbuf, 0);
	s->rpos = 0;
	g_clear_pointer(&s->caps, g_strfreev);
	g_clear_error(&s->fatal);
	s->mid_response = FALSE;
	s->in_literal = 0;
	s->usable = TRUE;
}

/* AUTO: implicit TLS first (bounded by the greeting timeout), then STARTTLS. */
static gboolean open_auto(ImapSession *s, const ImapConfig *cfg, gboolean *preauth, GError **error)
{
	guint greeting_ms = cfg->net.greeting_timeout_ms ? cfg->net.greeting_timeout_ms : 10000;
	g_autoptr(GError) first = NULL;
	GError *second = NULL;

	s->transport = connect_as(cfg, NET_SECURITY_TLS, cfg->net.port ? cfg->net.port : 993,
				  greeting_ms, &first);
	if (s->transport && greet_and_secure(s, cfg, FALSE, preauth, &first))
		return TRUE;
	reset_connection(s);
	/* With an explicit port the user named the one port the server listens on. */
	s->transport =
	    connect_as(cfg, NET_SECURITY_STARTTLS, cfg->net.port ? cfg->net.port : 143, 0, &second);
	if (s->transport && greet_and_secure(s, cfg, TRUE, preauth, &second))
		return TRUE;
	g_set_error(error, IMAP_ERROR, second->code,
		    "implicit TLS failed (%s); STARTTLS failed (%s)", first->message,
		    second->message);
	g_error_free(second);
	return FALSE;
}

gboolean session_connect_and_login(ImapSession *s, const ImapConfig *cfg, GError **error)
{
	gboolean preauth = FALSE;

	if (cfg->net.security == NET_SECURITY_AUTO) {
		if (!open_auto(s, cfg, &preauth, error))
			return FALSE;
	} else {
		s->transport = net_transport_connect(&cfg->net, imap_config_port(cfg),
						     cfg->net.security == NET_SECURITY_TLS, error);
		imap_error_from_net(error);
		if (!s->transport)
			return FALSE;
		if (!greet_and_secure(s, cfg, cfg->net.security == NET_SECURITY_STARTTLS, &preauth,
				      error))
			return FALSE;
	}
	if (preauth) {
		s->mechanism = g_strdup("PREAUTH");
	} else if (!login(s, cfg, error)) {
		return FALSE;
	}
	if (!ensure_caps(s, error))
		return FALSE;
	return enable_extensions(s, error);
}

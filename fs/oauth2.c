/* imapfs fs — OAuth2 access tokens (see oauth2.h). */
#include "fs/oauth2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/json-mini.h"
#include "fs/secret.h"
#include "imap/error.h"
#include "net/error.h"
#include "net/transport.h"

#define HTTP_MAX_RESPONSE (64 * 1024)
#define REFRESH_MARGIN_US (60 * G_USEC_PER_SEC)
#define DEFAULT_LIFETIME_S 3600

struct FsOAuth2 {
	GMutex lock;
	char *command;			     /* oauth2_token_command, or NULL */
	char *url, *client_id;		     /* the refresh grant */
	char *client_secret, *refresh_token; /* secrets */
	NetConfig tls;			     /* how to reach the endpoint */
	char *path;			     /* path?query of the endpoint */
	char *token;			     /* the current one, or NULL */
	gint64 expires;			     /* monotonic µs */
};

void fs_oauth2_free(FsOAuth2 *o)
{
	if (!o)
		return;
	g_free(o->command);
	g_free(o->url);
	g_free(o->client_id);
	g_free(o->path);
	fs_secret_free(o->client_secret);
	fs_secret_free(o->refresh_token);
	fs_secret_free(o->token);
	net_config_clear(&o->tls);
	g_mutex_clear(&o->lock);
	g_free(o);
}

/* The endpoint as a TLS target: same trust settings, proxy and timeouts as IMAP. */
static gboolean parse_endpoint(FsOAuth2 *o, const ImapConfig *imap, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(o->url, G_URI_FLAGS_NONE, NULL);

	if (!uri || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 || !g_uri_get_host(uri)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "oauth2_token_url must be an https:// URL (got %s)", o->url);
		return FALSE;
	}
	net_config_init(&o->tls);
	o->tls.host = g_strdup(g_uri_get_host(uri));
	o->tls.port = g_uri_get_port(uri) > 0 ? (guint16)g_uri_get_port(uri) : 443;
	o->tls.security = NET_SECURITY_TLS;
	o->tls.ca_file = g_strdup(imap->net.ca_file);
	o->tls.tls_verify_cert = imap->net.tls_verify_cert;
	o->tls.tls_verify_hostname = imap->net.tls_verify_hostname;
	o->tls.tls_min = imap->net.tls_min;
	o->tls.proxy = g_strdup(imap->net.proxy);
	o->tls.connect_timeout_ms = imap->net.connect_timeout_ms;
	o->tls.io_timeout_ms = imap->net.io_timeout_ms;
	o->path = g_strdup_printf("%s%s%s", *g_uri_get_path(uri) ? g_uri_get_path(uri) : "/",
				  g_uri_get_query(uri) ? "?" : "",
				  g_uri_get_query(uri) ? g_uri_get_query(uri) : "");
	return TRUE;
}

FsOAuth2 *fs_oauth2_new(const FsOptions *opts, GError **error)
{
	FsOAuth2 *o;

	if (!opts->oauth2_token_command && !opts->oauth2_token_url)
		return NULL;
	o = g_new0(FsOAuth2, 1);
	g_mutex_init(&o->lock);
	o->command = g_strdup(opts->oauth2_token_command);
	if (opts->oauth2_token_url) {
		if (!opts->oauth2_refresh_token) {
			g_set_error_literal(error, IMAP_ERROR, IMAP_ERROR_INVALID,
					    "oauth2_token_url needs oauth2_refresh_token (in the "
					    "config file)");
			fs_oauth2_free(o);
			return NULL;
		}
		o->url = g_strdup(opts->oauth2_token_url);
		o->client_id = g_strdup(opts->oauth2_client_id);
		o->client_secret = g_strdup(opts->oauth2_client_secret);
		o->refresh_token = g_strdup(opts->oauth2_refresh_token);
		if (!parse_endpoint(o, &opts->imap, error)) {
			fs_oauth2_free(o);
			return NULL;
		}
	}
	return o;
}

static void add_field(GString *body, const char *name, const char *value)
{
	g_autofree char *esc = NULL;

	if (!value)
		return;
	esc = g_uri_escape_string(value, NULL, FALSE);
	g_string_append_printf(body, "%s%s=%s", body->len ? "&" : "", name, esc);
	explicit_bzero(esc, strlen(esc));
}

static GString *build_request(FsOAuth2 *o)
{
	g_autoptr(GString) body = g_string_new(NULL);
	GString *req = g_string_new(NULL);

	add_field(body, "grant_type", "refresh_token");
	add_field(body, "refresh_token", o->refresh_token);
	add_field(body, "client_id", o->client_id);
	add_field(body, "client_secret", o->client_secret);
	/* HTTP/1.0: the answer ends at EOF and is never chunked. */
	g_string_append_printf(req,
			       "POST %s HTTP/1.0\r\nHost: %s\r\nAccept: application/json\r\n"
			       "Content-Type: application/x-www-form-urlencoded\r\n"
			       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			       o->path, o->tls.host, body->len, body->str);
	explicit_bzero(body->str, body->len);
	return req;
}

/* Sends the request and reads the whole answer (up to EOF). */
static GString *http_exchange(FsOAuth2 *o, GError **error)
{
	g_autoptr(GString) req = build_request(o);
	NetTransport *t = net_transport_connect(&o->tls, o->tls.port, TRUE, error);
	GString *resp = g_string_new(NULL);
	GError *err = NULL;
	char buf[4096];
	gboolean ok;

	ok = t && net_transport_write_all(t, req->str, req->len, NULL, NULL, error);
	explicit_bzero(req->str, req->len);
	while (ok && resp->len < HTTP_MAX_RESPONSE) {
		int ms = o->tls.io_timeout_ms ? (int)o->tls.io_timeout_ms : 30000;
		gssize n = net_transport_read(t, buf, sizeof(buf), ms, TRUE, &err);
		if (n < 0) {
			/* HTTP/1.0: the server closes the connection at the end. */
			ok = resp->len > 0 && g_error_matches(err, NET_ERROR, NET_ERROR_NETWORK);
			if (!ok)
				g_propagate_error(error, g_steal_pointer(&err));
			g_clear_error(&err);
			break;
		}
		g_string_append_len(resp, buf, n);
	}
	net_transport_close(t);
	imap_error_from_net(error);
	if (!ok) {
		explicit_bzero(resp->str, resp->len);
		g_string_free(resp, TRUE);
		return NULL;
	}
	return resp;
}

static gboolean parse_answer(FsOAuth2 *o, const GString *resp, GError **error)
{
	const char *body = strstr(resp->str, "\r\n\r\n");
	int status = 0;

	if (sscanf(resp->str, "HTTP/%*d.%*d %d", &status) != 1 || !body) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
			    "the token endpoint %s sent no HTTP answer", o->url);
		return FALSE;
	}
	body += 4;
	g_autoptr(GError) jerr = NULL;
	g_autoptr(GHashTable) fields =
		fs_json_object_scalars(body, resp->len - (gsize)(body - resp->str), &jerr);
	if (!fields && status == 200) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
			    "the token endpoint %s sent an answer that is not a JSON object (%s)",
			    o->url, jerr->message);
		return FALSE;
	}
	char *token = NULL;
	g_autofree char *key = NULL;
	if (fields)
		g_hash_table_steal_extended(fields, "access_token", (gpointer *)&key,
					    (gpointer *)&token);
	if (status != 200 || !token || !*token) {
		const char *what = fields ? g_hash_table_lookup(fields, "error") : NULL;
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_AUTH,
			    "the token endpoint %s refused to refresh the token: HTTP %d%s%s%s",
			    o->url, status, what ? " (" : "", what ? what : "", what ? ")" : "");
		fs_secret_free(token);
		return FALSE;
	}
	const char *expires = g_hash_table_lookup(fields, "expires_in");
	gint64 secs = expires ? g_ascii_strtoll(expires, NULL, 10) : 0;
	if (secs <= 0 || secs > 365 * 24 * 3600)
		secs = DEFAULT_LIFETIME_S;
	fs_secret_free(o->token);
	o->token = g_steal_pointer(&token);
	o->expires = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
	return TRUE;
}

static gboolean refresh(FsOAuth2 *o, GError **error)
{
	GString *resp = http_exchange(o, error);
	gboolean ok;

	if (!resp) {
		g_prefix_error(error, "cannot reach the token endpoint %s: ", o->url);
		return FALSE;
	}
	ok = parse_answer(o, resp, error);
	explicit_bzero(resp->str, resp->len);
	g_string_free(resp, TRUE);
	return ok;
}

char *fs_oauth2_token(FsOAuth2 *o, GError **error)
{
	char *token = NULL;

	if (o->command) {
		token = fs_secret_from_command(o->command, error);
		if (!token)
			g_prefix_error(error, "oauth2_token_command: ");
		return token;
	}
	g_mutex_lock(&o->lock);
	if (!o->token || g_get_monotonic_time() + REFRESH_MARGIN_US >= o->expires) {
		if (!refresh(o, error)) {
			g_mutex_unlock(&o->lock);
			return NULL;
		}
	}
	token = g_strdup(o->token);
	g_mutex_unlock(&o->lock);
	return token;
}

gboolean fs_oauth2_update_config(FsOAuth2 *o, ImapConfig *cfg, GError **error)
{
	char *token = fs_oauth2_token(o, error);

	if (!token)
		return FALSE;
	fs_secret_free(cfg->net.oauth2_token);
	cfg->net.oauth2_token = token;
	return TRUE;
}

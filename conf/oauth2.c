/* imapfs conf — OAuth2 access tokens (see oauth2.h). */
#include "conf/oauth2.h"

#include <string.h>

#include <curl/curl.h>

#include "conf/https-post.h"
#include "conf/secret.h"
#include "conf/token-json.h"
#include "imap/error.h"

#define REFRESH_MARGIN_US (60 * G_USEC_PER_SEC)
#define DEFAULT_LIFETIME_S 3600

struct ConfOAuth2 {
	GMutex lock;
	char *command;			     /* oauth2_token_command, or NULL */
	char *url, *client_id;		     /* the refresh grant */
	char *client_secret, *refresh_token; /* secrets */
	NetConfig net;			     /* how to reach the endpoint */
	char *token;			     /* the current one, or NULL */
	gint64 expires;			     /* monotonic µs */
};

void conf_oauth2_free(ConfOAuth2 *o)
{
	if (!o)
		return;
	g_free(o->command);
	g_free(o->url);
	g_free(o->client_id);
	conf_secret_free(o->client_secret);
	conf_secret_free(o->refresh_token);
	conf_secret_free(o->token);
	net_config_clear(&o->net);
	g_mutex_clear(&o->lock);
	g_free(o);
}

/* The endpoint is reached with the trust settings, proxy and timeouts of the account. */
static gboolean parse_endpoint(ConfOAuth2 *o, const ImapConfig *imap, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(o->url, G_URI_FLAGS_NONE, NULL);

	if (!uri || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 || !g_uri_get_host(uri)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    "oauth2_token_url must be an https:// URL (got %s)", o->url);
		return FALSE;
	}
	net_config_copy(&o->net, &imap->net);
	/* Only what reaching an HTTPS server needs; no IMAP credentials along. */
	g_clear_pointer(&o->net.password, conf_secret_free);
	g_clear_pointer(&o->net.oauth2_token, conf_secret_free);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* at start-up, before threads ask */
	return TRUE;
}

ConfOAuth2 *conf_oauth2_new(const ConfOptions *opts, GError **error)
{
	ConfOAuth2 *o;

	if (!opts->oauth2_token_command && !opts->oauth2_token_url)
		return NULL;
	o = g_new0(ConfOAuth2, 1);
	g_mutex_init(&o->lock);
	o->command = g_strdup(opts->oauth2_token_command);
	if (opts->oauth2_token_url) {
		if (!opts->oauth2_refresh_token) {
			g_set_error_literal(error, IMAP_ERROR, IMAP_ERROR_INVALID,
					    "oauth2_token_url needs oauth2_refresh_token (in the "
					    "config file)");
			conf_oauth2_free(o);
			return NULL;
		}
		o->url = g_strdup(opts->oauth2_token_url);
		o->client_id = g_strdup(opts->oauth2_client_id);
		o->client_secret = g_strdup(opts->oauth2_client_secret);
		o->refresh_token = g_strdup(opts->oauth2_refresh_token);
		if (!parse_endpoint(o, &opts->imap, error)) {
			conf_oauth2_free(o);
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

/* POSTs the refresh grant; the answer's body, whatever its status. */
static GString *post_grant(ConfOAuth2 *o, long *status, GError **error)
{
	g_autoptr(GString) form = g_string_new(NULL);
	GString *body = NULL;

	add_field(form, "grant_type", "refresh_token");
	add_field(form, "refresh_token", o->refresh_token);
	add_field(form, "client_id", o->client_id);
	add_field(form, "client_secret", o->client_secret);
	conf_https_post(o->url, &o->net, form->str, status, &body, error);
	explicit_bzero(form->str, form->len);
	return body;
}

static gboolean parse_answer(ConfOAuth2 *o, long status, const GString *body, GError **error)
{
	g_autoptr(GError) jerr = NULL;
	g_autoptr(GHashTable) fields = conf_token_json_fields(body->str, body->len, &jerr);
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
			    "the token endpoint %s refused to refresh the token: HTTP %ld%s%s%s",
			    o->url, status, what ? " (" : "", what ? what : "", what ? ")" : "");
		conf_secret_free(token);
		return FALSE;
	}
	const char *expires = g_hash_table_lookup(fields, "expires_in");
	gint64 secs = expires ? g_ascii_strtoll(expires, NULL, 10) : 0;
	if (secs <= 0 || secs > 365 * 24 * 3600)
		secs = DEFAULT_LIFETIME_S;
	conf_secret_free(o->token);
	o->token = g_steal_pointer(&token);
	o->expires = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
	return TRUE;
}

static gboolean refresh(ConfOAuth2 *o, GError **error)
{
	long status = 0;
	GString *body = post_grant(o, &status, error);
	gboolean ok;

	if (!body) {
		g_prefix_error(error, "cannot reach the token endpoint %s: ", o->url);
		return FALSE;
	}
	ok = parse_answer(o, status, body, error);
	conf_https_body_free(body);
	return ok;
}

char *conf_oauth2_token(ConfOAuth2 *o, GError **error)
{
	char *token = NULL;

	if (o->command) {
		token = conf_secret_from_command(o->command, error);
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

gboolean conf_oauth2_update_config(ConfOAuth2 *o, ImapConfig *cfg, GError **error)
{
	char *token = conf_oauth2_token(o, error);

	if (!token)
		return FALSE;
	conf_secret_free(cfg->net.oauth2_token);
	cfg->net.oauth2_token = token;
	return TRUE;
}

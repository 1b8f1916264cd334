/* imapfs conf — options from their raw values to ConfOptions (see options.h). */
#include "conf/options.h"
#include "conf/secret.h"

#include <stdlib.h>
#include <string.h>

void conf_options_raw_free(ConfRawOptions *r)
{
	char **strs[] = {&r->host,
			 &r->user,
			 &r->security,
			 &r->ca_file,
			 &r->tls_verify,
			 &r->tls_verify_hostname,
			 &r->tls_min,
			 &r->password_command,
			 &r->password_file,
			 &r->cache_dir,
			 &r->cache_size,
			 &r->log,
			 &r->tls_priority,
			 &r->tls_client_cert,
			 &r->tls_client_key,
			 &r->tls_pin_sha256,
			 &r->proxy,
			 &r->tunnel,
			 &r->mechanisms,
			 &r->allow_plaintext_auth,
			 &r->oauth2,
			 &r->oauth2_token_command,
			 &r->oauth2_token_url,
			 &r->oauth2_client_id,
			 &r->proxy_password_file};

	for (gsize i = 0; i < G_N_ELEMENTS(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

void conf_options_init(ConfOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	imap_config_init(&opts->imap);
	opts->connections = CONF_DEFAULT_CONNECTIONS;
}

void conf_options_clear(ConfOptions *opts)
{
	imap_config_clear(&opts->imap);
	g_free(opts->password_command);
	g_free(opts->password_file);
	g_free(opts->proxy_password_file);
	g_free(opts->cache_dir);
	g_free(opts->log);
	g_free(opts->oauth2_token_command);
	g_free(opts->oauth2_token_url);
	g_free(opts->oauth2_client_id);
	conf_secret_free(opts->oauth2_client_secret);
	conf_secret_free(opts->oauth2_refresh_token);
	conf_smtp_options_free(opts->smtp);
	conf_options_init(opts);
}

gboolean conf_parse_size(const char *text, guint64 *out)
{
	char *end = NULL;
	guint64 v, mult = 1;

	if (!text || !g_ascii_isdigit(*text))
		return FALSE;
	v = g_ascii_strtoull(text, &end, 10);
	switch (g_ascii_toupper(*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	case 'T':
		mult = 1ULL << 40;
		end++;
		break;
	default:
		return FALSE;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || (mult > 1 && v > G_MAXUINT64 / mult))
		return FALSE;
	*out = v * mult;
	return TRUE;
}

static gboolean bad(GError **error, const char *opt, const char *val, const char *expect)
{
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "invalid value '%s' for option %s (expected %s)", val, opt, expect);
	return FALSE;
}

static gboolean parse_bool(const char *opt, const char *val, gboolean *out, GError **error)
{
	if (!val)
		return TRUE;
	/* Python configparser's words too (IMAPClient config files say "ssl = True"). */
	if (!g_ascii_strcasecmp(val, "yes") || !g_ascii_strcasecmp(val, "true") ||
	    !strcmp(val, "1") || !g_ascii_strcasecmp(val, "on"))
		*out = TRUE;
	else if (!g_ascii_strcasecmp(val, "no") || !g_ascii_strcasecmp(val, "false") ||
		 !strcmp(val, "0") || !g_ascii_strcasecmp(val, "off"))
		*out = FALSE;
	else
		return bad(error, opt, val, "yes or no");
	return TRUE;
}

static gboolean apply_tls(const ConfRawOptions *r, ImapConfig *c, GError **error)
{
	if (r->security) {
		if (!strcmp(r->security, "tls"))
			c->net.security = NET_SECURITY_TLS;
		else if (!strcmp(r->security, "starttls"))
			c->net.security = NET_SECURITY_STARTTLS;
		else if (!strcmp(r->security, "plain"))
			c->net.security = NET_SECURITY_PLAIN;
		else if (!strcmp(r->security, "auto"))
			c->net.security = NET_SECURITY_AUTO;
		else
			return bad(error, "security", r->security, "tls, starttls, plain or auto");
	}
	if (r->tls_min) {
		if (!strcmp(r->tls_min, "1.2"))
			c->net.tls_min = NET_TLS_1_2;
		else if (!strcmp(r->tls_min, "1.3"))
			c->net.tls_min = NET_TLS_1_3;
		else
			return bad(error, "tls_min", r->tls_min, "1.2 or 1.3");
	}
	if (!parse_bool("tls_verify", r->tls_verify, &c->net.tls_verify_cert, error) ||
	    !parse_bool("tls_verify_hostname", r->tls_verify_hostname, &c->net.tls_verify_hostname,
			error))
		return FALSE;
	c->net.ca_file = g_strdup(r->ca_file);
	/* A tunnel is the user's own secure channel (ssh, a local imapd), as in mbsync:
	 * no TLS over it unless asked for by name. */
	if (r->tunnel && !r->security)
		c->net.security = NET_SECURITY_PLAIN;
	/* Choosing plaintext by name is the consent to send the password in clear. */
	c->net.allow_plaintext_auth = c->net.security == NET_SECURITY_PLAIN;
	if (!parse_bool("allow_plaintext_auth", r->allow_plaintext_auth,
			&c->net.allow_plaintext_auth, error))
		return FALSE;
	c->net.tls_priority = g_strdup(r->tls_priority);
	c->net.tls_client_cert = g_strdup(r->tls_client_cert);
	c->net.tls_client_key = g_strdup(r->tls_client_key);
	c->net.tls_pin_sha256 = g_strdup(r->tls_pin_sha256);
	c->net.proxy = g_strdup(r->proxy);
	c->net.tunnel = g_strdup(r->tunnel);
	return TRUE;
}

/* A number of seconds in 1..max into milliseconds; -1 (unset) leaves *ms alone. */
static gboolean seconds(const char *opt, int val, int max, guint *ms, GError **error)
{
	g_autofree char *range = g_strdup_printf("1..%d seconds", max);

	if (val == -1)
		return TRUE;
	if (val <= 0 || val > max)
		return bad(error, opt, "out of range", range);
	*ms = (guint)val * 1000;
	return TRUE;
}

/* "PLAIN LOGIN", "plain,login", "PLAIN:LOGIN" -> upper-case allow-list. */
static gboolean apply_mechanisms(const ConfRawOptions *r, ConfOptions *o, GError **error)
{
	static const char *const known[] = {"PLAIN",	   "LOGIN",    "CRAM-MD5", "XOAUTH2",
					    "OAUTHBEARER", "LOGINCMD", NULL};
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;

	if (!parse_bool("oauth2", r->oauth2, &o->oauth2, error))
		return FALSE;
	if (!r->mechanisms) {
		if (o->oauth2)
			o->imap.net.mechanisms = g_strsplit("OAUTHBEARER XOAUTH2", " ", -1);
		return TRUE;
	}
	parts = g_strsplit_set(r->mechanisms, " ,:;", -1);
	for (char **p = parts; *p; p++) {
		if (!**p)
			continue;
		char *m = g_ascii_strup(*p, -1);
		g_ptr_array_add(list, m);
		if (!g_strv_contains(known, m))
			return bad(error, "mechanisms", *p,
				   "PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER LOGINCMD");
	}
	if (list->len == 0)
		return bad(error, "mechanisms", r->mechanisms, "at least one mechanism");
	g_ptr_array_add(list, NULL);
	o->imap.net.mechanisms = (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
	return TRUE;
}

static gboolean apply_numbers(const ConfRawOptions *r, ConfOptions *o, GError **error)
{
	guint keepalive_ms = 0;

	if (r->port != -1) {
		if (r->port <= 0 || r->port > 65535)
			return bad(error, "port", "out of range", "1..65535");
		o->imap.net.port = (guint16)r->port;
	}
	if (r->timeout != -1) {
		if (r->timeout <= 0 || r->timeout > 3600)
			return bad(error, "timeout", "out of range", "1..3600 seconds");
		o->imap.net.io_timeout_ms = (guint)r->timeout * 1000;
		o->imap.net.connect_timeout_ms = (guint)r->timeout * 1000;
		o->imap.net.greeting_timeout_ms = (guint)r->timeout * 1000;
	}
	if (!seconds("greeting_timeout", r->greeting_timeout, 3600,
		     &o->imap.net.greeting_timeout_ms, error) ||
	    !seconds("connect_timeout", r->connect_timeout, 3600, &o->imap.net.connect_timeout_ms,
		     error) ||
	    !seconds("keepalive", r->keepalive, 86400, &keepalive_ms, error))
		return FALSE;
	o->keepalive = keepalive_ms / 1000;
	if (r->connections != -1) {
		if (r->connections < 1 || r->connections > CONF_MAX_CONNECTIONS)
			return bad(error, "connections", "out of range", "1..16");
		o->connections = (guint)r->connections;
	}
	if (r->cache_size && !conf_parse_size(r->cache_size, &o->cache_size))
		return bad(error, "cache_size", r->cache_size, "a size like 512M");
	return TRUE;
}

static gboolean refuse(const ConfRawOptions *r, GError **error)
{
	if (r->password_given) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "the password is never taken from the command line "
				    "(other users can read it); use -o password_file=FILE "
				    "or -o password_command=COMMAND");
		return FALSE;
	}
	if (r->secret_given) {
		g_set_error_literal(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "oauth2_client_secret and oauth2_refresh_token are never taken "
		    "from the command line; put them in the config file (mode 0600)");
		return FALSE;
	}
	/* A tunnel needs neither: it reaches the server itself and may pre-authenticate. */
	if (!r->tunnel && (!r->host || !*r->host || !r->user || !*r->user)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "options host=HOST and user=USER are required");
		return FALSE;
	}
	/* The proxy URL of a config file comes through ConfFile (conf_file_apply_secrets). */
	if (conf_secret_url_has_password(r->proxy)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "a proxy password is never taken from the command line (other "
				    "users can read it); put the proxy URL in the config file "
				    "(mode 0600) or use -o proxy=scheme://USER@host:port,"
				    "proxy_password_file=FILE");
		return FALSE;
	}
	if (r->password_command && r->password_file) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "give password_file or password_command, not both");
		return FALSE;
	}
	if (r->oauth2_token_command && r->oauth2_token_url) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "give oauth2_token_command or oauth2_token_url, not both");
		return FALSE;
	}
	return TRUE;
}

gboolean conf_options_apply(const ConfRawOptions *r, ConfOptions *o, GError **error)
{
	if (!refuse(r, error) || !apply_tls(r, &o->imap, error) || !apply_numbers(r, o, error) ||
	    !apply_mechanisms(r, o, error))
		return FALSE;
	o->oauth2_token_command = g_strdup(r->oauth2_token_command);
	o->oauth2_token_url = g_strdup(r->oauth2_token_url);
	o->oauth2_client_id = g_strdup(r->oauth2_client_id);
	o->imap.net.host = g_strdup(r->host);
	o->imap.net.user = g_strdup(r->user);
	o->password_command = g_strdup(r->password_command);
	o->password_file = g_strdup(r->password_file);
	o->proxy_password_file = g_strdup(r->proxy_password_file);
	o->cache_dir = r->cache_dir ? g_strdup(r->cache_dir)
				    : g_build_filename(g_get_user_cache_dir(), "imapfs", NULL);
	o->log = g_strdup(r->log);
	o->ro = r->ro;
	o->trace = r->trace;
	return TRUE;
}

const char *conf_options_help(void)
{
	return "imapfs options:\n"
	       "    -o host=HOST              IMAP server (required)\n"
	       "    -o port=PORT              default 993 (tls) or 143\n"
	       "    -o user=USER              login name (required)\n"
	       "    -o security=tls|starttls|plain|auto   default tls; auto: TLS on 993,\n"
	       "                              else STARTTLS on 143, never unencrypted\n"
	       "    -o ca_file=FILE           trust these CA certificates (PEM)\n"
	       "    -o tls_verify=yes|no      check the certificate chain (default yes)\n"
	       "    -o tls_verify_hostname=yes|no   check the host name (default yes)\n"
	       "    -o tls_min=1.2|1.3        lowest TLS version (default 1.2)\n"
	       "    -o password_file=FILE     read the password from FILE (mode 0600)\n"
	       "    -o password_command=CMD   run CMD; its first output line is the password\n"
	       "    -o timeout=SECONDS        network timeout (default 60)\n"
	       "    -o connections=N          IMAP connections (default 3)\n"
	       "    -o cache_dir=DIR          body cache (default $XDG_CACHE_HOME/imapfs)\n"
	       "    -o cache_size=SIZE        cache limit, e.g. 512M (default unlimited)\n"
	       "    -o ro                     read-only mount: EXAMINE only, writes fail; reads\n"
	       "                              need no open (fastest for grep -r and backups)\n"
	       "    -o imap_trace             IMAP protocol trace in the log (secrets redacted)\n"
	       "    -o log=syslog|stderr|FILE where warnings and errors go once mounted\n"
	       "                              (default: stderr with -f, else syslog)\n"
	       "    -o tls_priority=STRING    GnuTLS priority string (default NORMAL)\n"
	       "    -o tls_client_cert=FILE,tls_client_key=FILE   client certificate (PEM)\n"
	       "    -o tls_pin_sha256=HEX     accept only this certificate (SHA-256 of its DER)\n"
	       "    -o proxy=URL              socks4://, socks4a://, socks5://[user@]h:p,\n"
	       "                              http://[user@]h:p (environment ignored; a\n"
	       "                              password only in the config file, mode 0600)\n"
	       "    -o proxy_password_file=FILE   the proxy user's password (mode 0600)\n"
	       "    -o tunnel=COMMAND         IMAP over COMMAND's stdin/stdout (PREAUTH ok)\n"
	       "    -o mechanisms=LIST        allow-list in order: PLAIN LOGIN CRAM-MD5 XOAUTH2\n"
	       "                              OAUTHBEARER LOGINCMD (the LOGIN command)\n"
	       "    -o allow_plaintext_auth=yes   send the password without TLS\n"
	       "    -o greeting_timeout=S,connect_timeout=S   (defaults 10, 15)\n"
	       "    -o keepalive=SECONDS      NOOP on idle connections (default 300)\n"
	       "    -o oauth2=yes             log in with OAUTHBEARER/XOAUTH2 only\n"
	       "    -o oauth2_token_command=CMD   its first output line is the access token\n"
	       "    -o oauth2_token_url=URL,oauth2_client_id=ID   refresh the token there\n"
	       "                              (oauth2_client_secret, oauth2_refresh_token:\n"
	       "                              config file only)\n"
	       "    -o config=FILE            read options from FILE (see --config)\n"
	       "    -o account=NAME           the section of the config file\n";
}

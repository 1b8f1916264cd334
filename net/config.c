/* imapfs — NetConfig defaults, deep copy and teardown.
 *
 * The secrets (password, OAuth2 token, a proxy URL's credentials) are wiped before
 * their memory is returned to the allocator, so a later heap dump or core file does not
 * carry them.
 */
#include "net/config.h"

#include <string.h>

void net_config_init(NetConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->security = NET_SECURITY_TLS;
	cfg->tls_verify_cert = TRUE;
	cfg->tls_verify_hostname = TRUE;
	cfg->tls_min = NET_TLS_1_2;
}

static void free_secret(char **secret)
{
	if (*secret) {
		explicit_bzero(*secret, strlen(*secret));
		g_free(*secret);
		*secret = NULL;
	}
}

void net_config_clear(NetConfig *cfg)
{
	if (!cfg)
		return;
	free_secret(&cfg->password);
	free_secret(&cfg->oauth2_token);
	/* A proxy URL may carry "user:pass@": treat it as a secret too. */
	free_secret(&cfg->proxy);
	g_clear_pointer(&cfg->host, g_free);
	g_clear_pointer(&cfg->ca_file, g_free);
	g_clear_pointer(&cfg->tls_priority, g_free);
	g_clear_pointer(&cfg->tls_client_cert, g_free);
	g_clear_pointer(&cfg->tls_client_key, g_free);
	g_clear_pointer(&cfg->tls_pin_sha256, g_free);
	g_clear_pointer(&cfg->tunnel, g_free);
	g_clear_pointer(&cfg->user, g_free);
	g_clear_pointer(&cfg->mechanisms, g_strfreev);
}

void net_config_copy(NetConfig *dst, const NetConfig *src)
{
	/* Scalars and the trace callback first, then replace every string with a copy. */
	*dst = *src;
	dst->host = g_strdup(src->host);
	dst->ca_file = g_strdup(src->ca_file);
	dst->tls_priority = g_strdup(src->tls_priority);
	dst->tls_client_cert = g_strdup(src->tls_client_cert);
	dst->tls_client_key = g_strdup(src->tls_client_key);
	dst->tls_pin_sha256 = g_strdup(src->tls_pin_sha256);
	dst->proxy = g_strdup(src->proxy);
	dst->tunnel = g_strdup(src->tunnel);
	dst->user = g_strdup(src->user);
	dst->password = g_strdup(src->password);
	dst->oauth2_token = g_strdup(src->oauth2_token);
	dst->mechanisms = g_strdupv(src->mechanisms);
}

guint net_config_io_timeout_ms(const NetConfig *cfg)
{
	return cfg->io_timeout_ms ? cfg->io_timeout_ms : NET_DEFAULT_IO_TIMEOUT_MS;
}

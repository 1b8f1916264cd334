/* imapfs — SmtpConfig defaults, deep copy and teardown (the secrets live in the
 * embedded NetConfig, which wipes them). */
#include "smtp/config.h"

#include <string.h>

void smtp_config_init(SmtpConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	net_config_init(&cfg->net);
}

void smtp_config_clear(SmtpConfig *cfg)
{
	if (!cfg)
		return;
	net_config_clear(&cfg->net);
	g_clear_pointer(&cfg->helo_name, g_free);
	g_clear_pointer(&cfg->from, g_free);
}

void smtp_config_copy(SmtpConfig *dst, const SmtpConfig *src)
{
	net_config_copy(&dst->net, &src->net);
	dst->helo_name = g_strdup(src->helo_name);
	dst->from = g_strdup(src->from);
	dst->no_auth = src->no_auth;
}

guint16 smtp_config_port(const SmtpConfig *cfg)
{
	if (cfg->net.port)
		return cfg->net.port;
	switch (cfg->net.security) {
	case NET_SECURITY_TLS:
	case NET_SECURITY_AUTO:
		return 465;
	case NET_SECURITY_STARTTLS:
	case NET_SECURITY_PLAIN:
	default:
		return 587;
	}
}

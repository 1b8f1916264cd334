/* imapfs — ImapConfig defaults, deep copy and teardown (the secrets are NetConfig's). */
#include "imap/config.h"

#include <string.h>

void imap_config_init(ImapConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	net_config_init(&cfg->net);
}

void imap_config_clear(ImapConfig *cfg)
{
	if (!cfg)
		return;
	net_config_clear(&cfg->net);
	g_clear_pointer(&cfg->spool_dir, g_free);
}

void imap_config_copy(ImapConfig *dst, const ImapConfig *src)
{
	*dst = *src;
	net_config_copy(&dst->net, &src->net);
	dst->spool_dir = g_strdup(src->spool_dir);
}

guint16 imap_config_port(const ImapConfig *cfg)
{
	if (cfg->net.port)
		return cfg->net.port;
	switch (cfg->net.security) {
	case NET_SECURITY_TLS:
	case NET_SECURITY_AUTO:
		return 993;
	case NET_SECURITY_STARTTLS:
	case NET_SECURITY_PLAIN:
	default:
		return 143;
	}
}

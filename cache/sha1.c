/* imapfs cache — SHA-1 of cache files. See sha1.h. */
#include "cache/sha1.h"

void cache_sha1_init(CacheSha1 *s)
{
	s->glib = NULL;
	if (gnutls_hash_init(&s->tls, GNUTLS_DIG_SHA1) != 0) {
		s->tls = NULL;
		s->glib = g_checksum_new(G_CHECKSUM_SHA1);
	}
}

void cache_sha1_update(CacheSha1 *s, const void *data, gsize len)
{
	if (s->tls)
		gnutls_hash(s->tls, data, len);
	else
		g_checksum_update(s->glib, data, (gssize)len);
}

void cache_sha1_finish(CacheSha1 *s, guint8 out[CACHE_SHA1_LEN])
{
	gsize len = CACHE_SHA1_LEN;

	if (s->tls) {
		gnutls_hash_deinit(s->tls, out);
		s->tls = NULL;
		return;
	}
	g_checksum_get_digest(s->glib, out, &len);
	g_clear_pointer(&s->glib, g_checksum_free);
}

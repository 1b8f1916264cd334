/* imapfs cache — SHA-1 of cache files (body trailers, folder metadata).
 *
 * Through GnuTLS, whose SHA-1 uses the CPU's SHA instructions where it has them:
 * 10 us for a 20 KB body against GLib's 23 us on the test machines, and every body
 * read from the cache after a remount is checked once. Same digest, so files written
 * before stay valid. Falls back to GLib if GnuTLS refuses (a FIPS policy, say).
 * A CacheSha1 lives on the caller's stack: init, update any number of times, finish
 * once (which frees what init took).
 */
#pragma once

#include <glib.h>
#include <gnutls/crypto.h>

G_BEGIN_DECLS

#define CACHE_SHA1_LEN 20

typedef struct {
	gnutls_hash_hd_t tls; /* NULL: GLib's below */
	GChecksum *glib;
} CacheSha1;

void cache_sha1_init(CacheSha1 *s);
void cache_sha1_update(CacheSha1 *s, const void *data, gsize len);
void cache_sha1_finish(CacheSha1 *s, guint8 out[CACHE_SHA1_LEN]);

G_END_DECLS

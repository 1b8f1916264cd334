/* imapfs cache — the trailer that ends every body file and binds the body to its key.
 *
 * Format 2, the 40 bytes after the body:
 *   magic "IMFSBOD2" (8) | body length, little-endian (8) | SHA-1 (20) | zero (4)
 * The SHA-1 covers the key (account, folder name, UIDVALIDITY, UID) and the body length
 * before the body itself: a file cut short, or moved or copied to the place of another
 * message, another folder or another UIDVALIDITY, does not match the key it is read
 * under. Format 1 ("IMFSBOD1": SHA-1 of the body alone) is recognised only to say so;
 * such a file is never served (see cache.h).
 */
#pragma once

#include <glib.h>

#include "cache/cache.h"
#include "cache/sha1.h"

G_BEGIN_DECLS

#define CACHE_TRAILER_LEN 40

/* What a body is stored under; the strings are borrowed. */
typedef struct {
	const char *account;
	const char *folder;
	guint32 uidvalidity;
	guint32 uid;
} CacheBodyKey;

/* Starts SUM (cache_sha1_init) for a body of LEN bytes stored under KEY; then feed it
 * the body and finish with cache_trailer_build(). */
void cache_trailer_begin(CacheSha1 *sum, const CacheBodyKey *key, guint64 len);

/* Finishes SUM (frees it) into the trailer OUT of a body of LEN bytes. */
void cache_trailer_build(guint8 out[CACHE_TRAILER_LEN], guint64 len, CacheSha1 *sum);

/* Checks the body file FD of FILE_SIZE bytes against KEY, reading it whole: 0 when it
 * holds the right body (*BODY_LEN set), else why not (*BODY_LEN untouched). */
CacheBodyDamage cache_trailer_verify_fd(int fd, guint64 file_size, const CacheBodyKey *key,
					guint64 *body_len);

/* Same for a whole file already in memory: BUF of FILE_SIZE bytes. */
CacheBodyDamage cache_trailer_verify_buf(const guint8 *buf, guint64 file_size,
					 const CacheBodyKey *key, guint64 *body_len);

G_END_DECLS

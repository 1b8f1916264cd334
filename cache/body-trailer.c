/* imapfs cache — body trailers: building them and checking a file against its key.
 * See body-trailer.h for the format. */
#include "cache/body-trailer.h"

#include <string.h>

#include "cache/cache-private.h"

/* Bumped from IMFSBOD1 when the key joined the checksum: a file of the old format
 * proves nothing about which message it holds, so it is a miss (removed, refetched). */
#define TRAILER_MAGIC "IMFSBOD2"
#define TRAILER_MAGIC_V1 "IMFSBOD1"
#define MAGIC_LEN 8
#define CHUNK (128 * 1024)
/* Starts what is hashed, so the digest of a key can never equal that of another use. */
#define KEY_DOMAIN "imapfs body trailer 2"

static void update_le(CacheSha1 *sum, guint64 v, gsize bytes)
{
	guint8 le[8];

	for (gsize i = 0; i < bytes; i++)
		le[i] = (guint8)(v >> (8 * i));
	cache_sha1_update(sum, le, bytes);
}

/* Each string with its NUL, so ("ab", "c") and ("a", "bc") differ. */
static void update_str(CacheSha1 *sum, const char *s)
{
	s = s ? s : "";
	cache_sha1_update(sum, s, strlen(s) + 1);
}

void cache_trailer_begin(CacheSha1 *sum, const CacheBodyKey *key, guint64 len)
{
	cache_sha1_init(sum);
	update_str(sum, KEY_DOMAIN);
	update_str(sum, key->account);
	update_str(sum, key->folder);
	update_le(sum, key->uidvalidity, 4);
	update_le(sum, key->uid, 4);
	update_le(sum, len, 8);
}

void cache_trailer_build(guint8 out[CACHE_TRAILER_LEN], guint64 len, CacheSha1 *sum)
{
	guint64 le = GUINT64_TO_LE(len);

	memset(out, 0, CACHE_TRAILER_LEN);
	memcpy(out, TRAILER_MAGIC, MAGIC_LEN);
	memcpy(out + MAGIC_LEN, &le, sizeof(le));
	cache_sha1_finish(sum, out + MAGIC_LEN + 8);
}

/* Is TRAILER, the last bytes of a file of FILE_SIZE, one for exactly the bytes before
 * it? Sets *LEN to the length it announces. */
static CacheBodyDamage trailer_check(const guint8 *trailer, guint64 file_size, guint64 *len)
{
	guint64 le;

	if (memcmp(trailer, TRAILER_MAGIC_V1, MAGIC_LEN) == 0)
		return CACHE_BODY_OLD_FORMAT;
	if (memcmp(trailer, TRAILER_MAGIC, MAGIC_LEN) != 0)
		return CACHE_BODY_NO_TRAILER;
	memcpy(&le, trailer + MAGIC_LEN, sizeof(le));
	*len = GUINT64_FROM_LE(le);
	if (*len > file_size - CACHE_TRAILER_LEN)
		return CACHE_BODY_SHORT;
	if (*len < file_size - CACHE_TRAILER_LEN)
		return CACHE_BODY_LONG;
	return 0;
}

/* Finishes SUM and compares it with the whole TRAILER (magic, length, zero bytes). */
static CacheBodyDamage trailer_compare(const guint8 *trailer, guint64 len, CacheSha1 *sum)
{
	guint8 expect[CACHE_TRAILER_LEN];

	cache_trailer_build(expect, len, sum);
	return memcmp(trailer, expect, CACHE_TRAILER_LEN) == 0 ? 0 : CACHE_BODY_MISMATCH;
}

CacheBodyDamage cache_trailer_verify_buf(const guint8 *buf, guint64 file_size,
					 const CacheBodyKey *key, guint64 *body_len)
{
	const guint8 *trailer;
	CacheBodyDamage why;
	CacheSha1 sum;
	guint64 len;

	if (file_size < CACHE_TRAILER_LEN)
		return CACHE_BODY_NO_TRAILER;
	trailer = buf + file_size - CACHE_TRAILER_LEN;
	if ((why = trailer_check(trailer, file_size, &len)) != 0)
		return why;
	cache_trailer_begin(&sum, key, len);
	cache_sha1_update(&sum, buf, len);
	if ((why = trailer_compare(trailer, len, &sum)) == 0)
		*body_len = len;
	return why;
}

/* Feeds the first LEN bytes of FD to SUM; FALSE (SUM finished) if a read fails. */
static gboolean hash_fd(int fd, guint64 len, CacheSha1 *sum)
{
	g_autofree guint8 *buf = g_malloc(CHUNK);
	guint8 unused[CACHE_SHA1_LEN];

	for (guint64 off = 0; off < len;) {
		gsize n = (gsize)MIN((guint64)CHUNK, len - off);

		if (!cache_read_exact(fd, buf, n, (off_t)off)) {
			cache_sha1_finish(sum, unused); /* frees it */
			return FALSE;
		}
		cache_sha1_update(sum, buf, n);
		off += n;
	}
	return TRUE;
}

CacheBodyDamage cache_trailer_verify_fd(int fd, guint64 file_size, const CacheBodyKey *key,
					guint64 *body_len)
{
	guint8 trailer[CACHE_TRAILER_LEN];
	CacheBodyDamage why;
	CacheSha1 sum;
	guint64 len;

	if (file_size < CACHE_TRAILER_LEN)
		return CACHE_BODY_NO_TRAILER;
	if (!cache_read_exact(fd, trailer, CACHE_TRAILER_LEN,
			      (off_t)(file_size - CACHE_TRAILER_LEN)))
		return CACHE_BODY_UNREADABLE;
	if ((why = trailer_check(trailer, file_size, &len)) != 0)
		return why;
	cache_trailer_begin(&sum, key, len);
	if (!hash_fd(fd, len, &sum))
		return CACHE_BODY_UNREADABLE;
	if ((why = trailer_compare(trailer, len, &sum)) == 0)
		*body_len = len;
	return why;
}

const char *cache_body_damage_describe(CacheBodyDamage why)
{
	switch (why) {
	case CACHE_BODY_NOT_FILE:
		return "it is not a regular file";
	case CACHE_BODY_NO_TRAILER:
		return "it has no trailer at its end (cut short, emptied or overwritten)";
	case CACHE_BODY_OLD_FORMAT:
		return "it was written by an older imapfs, whose files are not bound to "
		       "their message";
	case CACHE_BODY_SHORT:
		return "the body is shorter than its trailer says (cut short)";
	case CACHE_BODY_LONG:
		return "the body is longer than its trailer says";
	case CACHE_BODY_MISMATCH:
		return "its checksum does not match this folder, UIDVALIDITY and UID "
		       "(corrupted, or another message's body)";
	case CACHE_BODY_UNREADABLE:
		return "it cannot be read";
	}
	return "it is damaged";
}

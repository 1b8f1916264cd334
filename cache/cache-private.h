/* imapfs cache — internals shared by the files of cache/ (not for fs/).
 *
 * store.c owns the CacheStore and its size/recency index; paths.c maps keys to paths
 * (and makes a folder's directory); file-util.c writes files atomically; body-cache.c
 * and meta-store.c are the two users.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cache/cache.h"

/* Prefix of temporary files and of directories being dropped: skipped by lookups,
 * removed by the scan at open when a crash left them behind. */
#define CACHE_TMP_PREFIX ".tmp-"
#define CACHE_DROP_PREFIX ".drop-"

/* One cached body file known to this store. */
typedef struct {
	char *path;	   /* owned; also the key of CacheStore.entries */
	guint64 disk_size; /* file size including the trailer */
	GList link;	   /* embedded node of CacheStore.lru (data = this entry) */
	/* The body length, once known from a write or a verification by this store (never
	 * from the file's size alone); valid only when len_known is TRUE. Bodies are
	 * immutable per key, so it stays right even if the file is replaced. */
	gboolean len_known;
	guint64 body_len;
	/* Identity of the file when it was last verified, so an unchanged file is not
	 * read twice; valid only when verified is TRUE. The identity is per path and
	 * includes the inode and ctime, so a file renamed or copied into the path (a new
	 * inode, or a new ctime) is verified again against the key. */
	gboolean verified;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime;
} CacheEntry;

struct CacheStore {
	GMutex lock;	     /* guards total, entries and lru */
	char *account;	     /* the account name, part of every body's key */
	CacheDamageFunc damage_fn; /* told about damaged bodies, or NULL */
	gpointer damage_data;
	char *root;	     /* DIR/<account-key> */
	char *folders;	     /* root/f */
	guint64 max_bytes;   /* 0 = unlimited */
	guint64 total;	     /* sum of disk_size of entries */
	GHashTable *entries; /* path -> CacheEntry* (owns the entries) */
	GQueue lru;	     /* of CacheEntry: head = least recently used */
};

/* ---- paths.c ---- */

/* A safe directory name for an arbitrary string: a sanitized readable prefix plus the
 * hex of a hash of the whole string. Never empty, never starts with '.', never
 * contains '/'. Returns a new string. */
char *cache_key_name(const char *name);

/* New strings: root/f/<folder-key>, .../<uidvalidity>, .../<uidvalidity>/<uid>. */
char *cache_folder_path(CacheStore *c, const char *folder);
char *cache_validity_path(CacheStore *c, const char *folder, guint32 uidvalidity);
char *cache_body_path(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid);

/* TRUE when NAME is a non-empty decimal number that fits a guint32 (stored in *OUT). */
gboolean cache_parse_u32(const char *name, guint32 *out);

/* Ensures root/f/<folder-key>/ exists, recording FOLDER's real name inside. Returns
 * the folder path (new string) or NULL with ERROR set. */
char *cache_folder_ensure(CacheStore *c, const char *folder, GError **error);

/* ---- file-util.c ---- */

/* Sets ERROR from errno value ERRSV: "<what> <path>: <strerror>". */
void cache_set_errno(GError **error, int errsv, const char *what, const char *path);

/* Creates directory PATH with mode 0700 (existing is fine). */
gboolean cache_mkdir_private(const char *path, GError **error);

/* Creates a 0600 temporary file in DIR; returns its fd (O_RDWR) and sets *TMP_PATH
 * (new string), or -1 with ERROR set. */
int cache_temp_create(const char *dir, char **tmp_path, GError **error);

/* Writes all of DATA to FD (retrying short writes). PATH is for the message. */
gboolean cache_write_all(int fd, const void *data, gsize len, const char *path, GError **error);

/* Closes FD and renames TMP_PATH to FINAL_PATH. On any failure removes TMP_PATH and
 * returns FALSE with ERROR set. Always closes FD. */
gboolean cache_temp_commit(int fd, const char *tmp_path, const char *final_path, GError **error);

/* Reads exactly LEN bytes of FD at OFF into BUF (retrying short reads); FALSE on an
 * error or an early end of file. */
gboolean cache_read_exact(int fd, void *buf, gsize len, off_t off);

/* Closes FD (if >= 0) and removes TMP_PATH: the write failed. Keeps errno. */
void cache_temp_abort(int fd, const char *tmp_path);

/* Writes DATA to PATH atomically (temp + rename in PATH's directory, 0600). */
gboolean cache_write_file_atomic(const char *path, const void *data, gsize len, GError **error);

/* Removes PATH and everything below it; errors are ignored (best effort). */
void cache_remove_tree(const char *path);

/* ---- store.c: the index (each takes the lock) ---- */

/* Records that PATH (DISK_SIZE bytes) was just used: most recently used. A path not yet
 * indexed is added only if it is still on disk (and, when ST is given, is the file ST
 * describes), so a reader that raced with an eviction does not index a ghost. */
void cache_index_touch(CacheStore *c, const char *path, guint64 disk_size, const struct stat *st);

/* Is PATH in the index? */
gboolean cache_index_has(CacheStore *c, const char *path);
/* Unlinks PATH and forgets it, atomically with respect to the index. */
void cache_index_remove_file(CacheStore *c, const char *path);
/* Same, only if PATH is still the file ST describes (not a fresh replacement). TRUE
 * when this call removed it (or, when it cannot be unlinked, forgot it), so that of
 * two readers finding the same damaged file only one reports it. */
gboolean cache_index_remove_if_same(CacheStore *c, const char *path, const struct stat *st);

/* The verified body length of PATH (see CacheEntry.len_known); FALSE when unknown. */
gboolean cache_index_body_len(CacheStore *c, const char *path, guint64 *body_len);
/* Records BODY_LEN as the verified body length of PATH (if PATH is indexed). */
void cache_index_set_body_len(CacheStore *c, const char *path, guint64 body_len);

/* Forgets every entry under directory PATH and removes the tree (moved away first). */
void cache_index_drop_tree(CacheStore *c, const char *path);

/* TRUE when PATH was verified with exactly the identity in ST. */
gboolean cache_index_is_verified(CacheStore *c, const char *path, const struct stat *st);

/* Remembers that PATH was verified with the identity in ST (PATH must be indexed). */
void cache_index_set_verified(CacheStore *c, const char *path, const struct stat *st);

/* Removes least recently used bodies until the total is within the limit. */
void cache_index_evict(CacheStore *c);

/* ---- meta-store.c ---- */

/* Reads only the UIDVALIDITY from the header of the metadata file PATH. FALSE when the
 * file is absent or not a metadata file. */
gboolean cache_meta_peek_validity(const char *path, guint32 *out);
/* The UIDVALIDITY a names journal (names-store.c) was written for. */
gboolean cache_names_peek_validity(const char *path, guint32 *out);

/* imapfs — the on-disk body cache and the saved per-folder metadata.
 *
 * No IMAP and no FUSE here: keys are plain (folder name, UIDVALIDITY, UID) and the
 * folder name is the UTF-8 name the user sees (never used as a path component: every
 * folder and the account are mapped to a safe directory name, see cache/paths.c).
 *
 * Layout under DIR (created 0700, files 0600):
 *   DIR/<account-key>/account                      the real account name
 *   DIR/<account-key>/f/<folder-key>/name          the real folder name
 *   DIR/<account-key>/f/<folder-key>/meta          saved CacheFolderMeta
 *   DIR/<account-key>/f/<folder-key>/<uidvalidity>/<uid>   one body + integrity trailer
 *
 * Every file is written to a temporary file in its directory and renamed into place,
 * so readers never see a partial file, even across crashes. Damaged or truncated files
 * are detected (length + SHA-1 trailer), removed and reported as a miss. The trailer's
 * SHA-1 covers the key (account, folder, UIDVALIDITY, UID) too, so a body file moved
 * or copied to another key's place is a miss as well, never another message's bytes.
 * Body files of the first format (trailer magic IMFSBOD1, before the key was bound) are
 * misses, removed on first use: an old cache directory keeps working and refetches.
 *
 * Errors are GErrors in G_IO_ERROR (from errno: G_IO_ERROR_NO_SPACE,
 * G_IO_ERROR_PERMISSION_DENIED, G_IO_ERROR_READ_ONLY, ...), plus
 * G_IO_ERROR_MESSAGE_TOO_LARGE for a body larger than the store's byte limit and
 * G_IO_ERROR_INVALID_DATA for a damaged metadata file.
 *
 * Thread safety: every function may be called from several threads at once on the
 * same CacheStore (shared state is guarded by a mutex; file operations are atomic by
 * construction). Two CacheStores (or processes) on the same directory are safe too;
 * each keeps its own size accounting.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CacheStore CacheStore;

/* Opens (creating with mode 0700 where missing) the cache of ACCOUNT under DIR, e.g.
 * DIR = "$XDG_CACHE_HOME/imapfs", ACCOUNT = "alice@imap.example.org:993" (only used as
 * a key: never as a path). Scans the existing bodies once to learn the total size and
 * their recency (file mtime, bumped on every open), removes temporary files left by a
 * crash, and evicts down to MAX_BYTES (0 = unlimited).
 * Returns a new store (free with cache_store_close()) or NULL with ERROR set. */
CacheStore *cache_store_open(const char *dir, const char *account, guint64 max_bytes,
			     GError **error);

/* Frees the store; files stay on disk. Accepts NULL. */
void cache_store_close(CacheStore *c);

/* Total bytes of cached body files (including their small trailers). */
guint64 cache_store_size(CacheStore *c);

/* The account's directory inside DIR (owned by the store, valid until close). */
const char *cache_store_path(CacheStore *c);

/* ---- Bodies: immutable per (folder, uidvalidity, uid) ------------------------------ */

/* Why a body file was not served (and was removed). */
typedef enum {
	CACHE_BODY_NOT_FILE = 1, /* not a regular file */
	CACHE_BODY_NO_TRAILER,	 /* no trailer at its end: cut short, empty or garbage */
	CACHE_BODY_OLD_FORMAT,	 /* written by an older imapfs (not bound to its key) */
	CACHE_BODY_SHORT,	 /* the body is shorter than its trailer says */
	CACHE_BODY_LONG,	 /* the body is longer than its trailer says */
	CACHE_BODY_MISMATCH,	 /* the checksum fails: corrupted, or another message's */
	CACHE_BODY_UNREADABLE,	 /* a read of the file failed */
} CacheBodyDamage;

/* A short English phrase for WHY ("its checksum does not match ..."); static. */
const char *cache_body_damage_describe(CacheBodyDamage why);

/* Told once for each damaged body file that a lookup found and removed (the file is
 * gone afterwards, so the same file is never reported twice). PATH is the removed file.
 * Called from the thread of the lookup, without any lock of the store held. */
typedef void (*CacheDamageFunc)(const char *folder, guint32 uidvalidity, guint32 uid,
				CacheBodyDamage why, const char *path, gpointer data);

/* Sets the function told about damaged bodies (NULL: nobody). Call it before the store
 * is used by several threads. */
void cache_store_set_damage_func(CacheStore *c, CacheDamageFunc fn, gpointer data);

/* Looks up a cached body. On a hit returns a new read-only fd (O_CLOEXEC; the caller
 * closes it) and sets *SIZE_OUT to the body length; read it with pread() at offsets
 * [0, *size_out) — the file is longer (a trailer follows), so do not use fstat's size.
 * The body is verified (length and SHA-1) when opened; once a file has been verified
 * and left unchanged for a few seconds, this store remembers it (inode, size, ctime)
 * and later opens skip the read.
 * A damaged, truncated, old-format or misplaced file (another key's) is removed, told
 * to the damage function and reported as a miss. Returns -1 on a miss (SIZE_OUT
 * untouched). Marks the body most recently used. */
int cache_body_open(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
		    guint64 *size_out);

/* Stores the first SIZE bytes of SRC_FD (read with pread from offset 0; SRC_FD's offset
 * is not changed; SRC_FD stays open and owned by the caller). Atomic: a temporary file
 * in the target directory renamed into place; 0600. Afterwards evicts least-recently
 * used bodies until the total is within the limit.
 * On failure (ENOSPC, EACCES, EROFS, EFBIG, SRC_FD shorter than SIZE: G_IO_ERROR_PARTIAL_INPUT,
 * SIZE above the limit: G_IO_ERROR_MESSAGE_TOO_LARGE) returns FALSE with ERROR set and
 * leaves no file behind; any previously cached body for the key is kept. */
gboolean cache_body_store_fd(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			     int src_fd, guint64 size, GError **error);

/* Same as cache_body_store_fd() with the body in memory (DATA is not kept). */
gboolean cache_body_store_bytes(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
				const void *data, gsize len, GError **error);

/* Asks the kernel to start reading the body of UID from disk (posix_fadvise WILLNEED),
 * without waiting for it: a reader about to go through many cached bodies issues this
 * for the next ones, so the disk works on them all at once. Does nothing if the body is
 * not cached. */
void cache_body_prefetch(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid);

/* TRUE when the index knows a body for the key: no file access and no verification,
 * so a later cache_body_open() may still miss (a damaged file). For planning fetches. */
gboolean cache_body_has(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid);

/* Same, with the body length, but only when this store has verified it: written by
 * this store, or read and checked against its trailer since the store was opened (a
 * length taken from a file's size is never reported: a file cut short would give a
 * wrong st_size). FALSE (*SIZE_OUT untouched) otherwise, e.g. for every body right
 * after a remount: then check the file with cache_body_load()/cache_body_open().
 * Lets an open be answered without touching the file; the read then uses
 * cache_body_load(), which checks the file again. */
gboolean cache_body_peek(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			 guint64 *size_out);

/* The whole verified body in memory, read with its trailer in one go (the cheapest
 * way to serve a small body: one open and one read). NULL on a miss, for a damaged
 * file (removed, as cache_body_open() does) and for a body longer than MAX_SIZE (left
 * alone: open it with cache_body_open()). Marks the body most recently used. */
GBytes *cache_body_load(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			guint64 max_size);

/* Removes one cached body (e.g. the message was expunged). A miss is not an error. */
void cache_body_remove(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid);

/* Drops every cached body and the saved metadata of FOLDER (deleted or renamed). */
void cache_folder_drop(CacheStore *c, const char *folder);

/* UIDVALIDITY of FOLDER is now CURRENT: drops the bodies cached under any other
 * UIDVALIDITY, and the saved metadata if it was saved under another UIDVALIDITY. */
void cache_folder_drop_other_validity(CacheStore *c, const char *folder,
				      guint32 current_uidvalidity);

/* ---- Folder metadata: lets a remount revalidate with CONDSTORE/QRESYNC ------------- */

typedef struct {
	guint32 uid;
	guint64 size;	     /* RFC822.SIZE */
	gint64 internaldate; /* seconds since the Unix epoch */
	const char *flags;   /* space-separated, never NULL ("" = none); see below */
	guint64 modseq;	     /* 0 = unknown */
} CacheMsgMeta;

typedef struct {
	guint32 uidvalidity;
	guint32 uidnext;
	guint64 highestmodseq; /* 0 = no CONDSTORE */
	GArray *msgs;	       /* of CacheMsgMeta, sorted by uid, unique uids */
	GStringChunk *strings; /* owns the flags strings of msgs (interned) */
} CacheFolderMeta;

/* A new empty CacheFolderMeta (msgs empty, strings ready); free with
 * cache_folder_meta_free(). */
CacheFolderMeta *cache_folder_meta_new(guint32 uidvalidity, guint32 uidnext, guint64 highestmodseq);

/* Appends one message; FLAGS (may be NULL = "") is copied into meta->strings, interned
 * so equal flag sets share memory. Keeps msgs sorted: appending in increasing uid order
 * is O(1); a smaller uid is inserted in place; an existing uid is replaced. */
void cache_folder_meta_add(CacheFolderMeta *meta, guint32 uid, guint64 size, gint64 internaldate,
			   const char *flags, guint64 modseq);

/* Puts msgs back in order after appends out of order (g_array_append_val of
 * CacheMsgMeta with flags from meta->strings): msgs[0..SORTED) must be sorted with unique
 * uids; the rest is sorted (stably) and merged in, and of several entries of one uid the
 * last appended stays. O(n) plus O(t log t) for the t entries after SORTED. */
void cache_folder_meta_merge_tail(CacheFolderMeta *meta, guint sorted);

/* Removes the message UID (expunged) if present; keeps the order. */
void cache_folder_meta_remove(CacheFolderMeta *meta, guint32 uid);

/* Binary search by uid; returns a pointer into meta->msgs (valid until msgs changes) or
 * NULL. */
CacheMsgMeta *cache_folder_meta_find(const CacheFolderMeta *meta, guint32 uid);

/* Frees META, its msgs and strings. Accepts NULL. */
void cache_folder_meta_free(CacheFolderMeta *meta);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CacheFolderMeta, cache_folder_meta_free)

/* Saves META for FOLDER atomically (temp + rename, 0600), replacing any saved one.
 * META's msgs must be sorted by uid (as cache_folder_meta_add keeps them); flags
 * pointers may point anywhere (NULL = ""). Returns FALSE with ERROR set on failure
 * (G_IO_ERROR_INVALID_ARGUMENT when msgs is not sorted) and leaves the previous file. */
gboolean cache_meta_save(CacheStore *c, const char *folder, const CacheFolderMeta *meta,
			 GError **error);

/* Loads the saved metadata of FOLDER. Returns a new CacheFolderMeta (caller frees), or
 * NULL without ERROR when none is saved or the file is damaged (a damaged file is removed),
 * or NULL with ERROR on an I/O failure other than "absent". */
CacheFolderMeta *cache_meta_load(CacheStore *c, const char *folder, GError **error);

/* ---- Names of messages written through the mount ------------------------------------
 *
 * A file written under NAME keeps NAME: the folder remembers uid -> name for the
 * messages that have a name of their own (the others are shown by UID). The names are
 * the user's, not a copy of the server's data, so each change is recorded at once (one
 * append to a journal; a crash loses at most the change being written). Names belong to
 * one UIDVALIDITY: under another they are dropped. */

/* The names saved for FOLDER under UIDVALIDITY: a new table GUINT_TO_POINTER(uid) ->
 * name (g_free'd by the table), empty when none are saved (or under another
 * UIDVALIDITY). *RECORDS: how many records the journal held (for deciding when to
 * compact). NULL with ERROR on an I/O error other than "absent". */
GHashTable *cache_names_load(CacheStore *c, const char *folder, guint32 uidvalidity, guint *records,
			     GError **error);
/* Records that UID is now shown as NAME (NULL: by its UID again). */
gboolean cache_names_record(CacheStore *c, const char *folder, guint32 uidvalidity, guint32 uid,
			    const char *name, GError **error);
/* Replaces the journal with exactly NAMES (same shape as cache_names_load's). */
gboolean cache_names_rewrite(CacheStore *c, const char *folder, guint32 uidvalidity,
			     GHashTable *names, GError **error);

/* FOLDER was renamed to TO: its names go with it (UIDs survive a RENAME). */
gboolean cache_names_move(CacheStore *c, const char *from, const char *to, GError **error);

/* The time a directory shows for FOLDER ("" = the root), kept so that it is the same
 * after a remount: *OUT untouched and FALSE when none is saved. */
gboolean cache_folder_time_get(CacheStore *c, const char *folder, gint64 *out);
gboolean cache_folder_time_set(CacheStore *c, const char *folder, gint64 t, GError **error);

G_END_DECLS

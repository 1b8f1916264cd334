/* imapfs cache — the store: opening an account's cache, and the size/recency index.
 *
 * Recency survives restarts through each body file's mtime (bumped on open, see
 * body-cache.c); at open one scan of the tree rebuilds the index, ordered by mtime.
 * In memory the order is an exact LRU list, so eviction is O(1) per body.
 */
#include "cache/cache-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* A temporary file older than this was left by a crash (a live writer is faster). */
#define STALE_TMP_SECONDS (60 * 60)

static void entry_free(gpointer data)
{
	CacheEntry *e = data;

	g_free(e->path);
	g_free(e);
}

/* Caller holds the lock. */
static void index_remove_locked(CacheStore *c, CacheEntry *e)
{
	c->total -= e->disk_size;
	g_queue_unlink(&c->lru, &e->link);
	g_hash_table_remove(c->entries, e->path); /* frees e */
}

/* Caller holds the lock. Returns the entry for PATH, created (at the MRU end) if new. */
static CacheEntry *index_get_locked(CacheStore *c, const char *path, guint64 disk_size)
{
	CacheEntry *e = g_hash_table_lookup(c->entries, path);

	if (!e) {
		e = g_new0(CacheEntry, 1);
		e->path = g_strdup(path);
		e->link.data = e;
		g_hash_table_insert(c->entries, e->path, e);
		g_queue_push_tail_link(&c->lru, &e->link);
	}
	c->total = c->total - e->disk_size + disk_size;
	e->disk_size = disk_size;
	return e;
}

static void index_forget_under_locked(CacheStore *c, const char *prefix)
{
	gsize n = strlen(prefix);

	for (GList *l = c->lru.head; l;) {
		CacheEntry *e = l->data;

		l = l->next;
		if (strncmp(e->path, prefix, n) == 0 && e->path[n] == '/')
			index_remove_locked(c, e);
	}
}

/* Caller holds the lock. TRUE when PATH is on disk, and is the file ST describes
 * (when ST is given). Unlinks and renames of indexed files happen under the lock, so
 * this decides consistently whether an unindexed file may be added. */
static gboolean still_on_disk_locked(const char *path, const struct stat *st)
{
	struct stat now;

	if (lstat(path, &now) != 0)
		return FALSE;
	return !st || (now.st_dev == st->st_dev && now.st_ino == st->st_ino);
}

void cache_index_touch(CacheStore *c, const char *path, guint64 disk_size, const struct stat *st)
{
	g_mutex_lock(&c->lock);
	/* A reader racing with eviction or removal must not index a file just unlinked. */
	if (g_hash_table_contains(c->entries, path) || still_on_disk_locked(path, st)) {
		CacheEntry *e = index_get_locked(c, path, disk_size);

		g_queue_unlink(&c->lru, &e->link);
		g_queue_push_tail_link(&c->lru, &e->link);
	}
	g_mutex_unlock(&c->lock);
}

void cache_index_remove_file(CacheStore *c, const char *path)
{
	g_mutex_lock(&c->lock);
	CacheEntry *e = g_hash_table_lookup(c->entries, path);

	g_unlink(path);
	if (e)
		index_remove_locked(c, e);
	g_mutex_unlock(&c->lock);
}

gboolean cache_index_remove_if_same(CacheStore *c, const char *path, const struct stat *st)
{
	gboolean removed = FALSE;

	g_mutex_lock(&c->lock);
	if (still_on_disk_locked(path, st)) {
		CacheEntry *e = g_hash_table_lookup(c->entries, path);

		/* A read-only cache keeps the file: forgetting it is the news then. */
		removed = g_unlink(path) == 0 || e;
		if (e)
			index_remove_locked(c, e);
	}
	g_mutex_unlock(&c->lock);
	return removed;
}

void cache_index_drop_tree(CacheStore *c, const char *path)
{
	g_autofree char *parent = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *moved =
	    g_strdup_printf("%s/" CACHE_DROP_PREFIX "%s-%08x", parent, base, g_random_int());
	gboolean renamed;

	g_mutex_lock(&c->lock);
	index_forget_under_locked(c, path);
	/* Moved away atomically: no reader sees a half-removed tree. */
	renamed = rename(path, moved) == 0;
	g_mutex_unlock(&c->lock);
	if (renamed)
		cache_remove_tree(moved);
}

static gboolean same_identity(const CacheEntry *e, const struct stat *st)
{
	return e->verified && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size && e->ctime.tv_sec == st->st_ctim.tv_sec &&
	       e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

gboolean cache_index_body_len(CacheStore *c, const char *path, guint64 *body_len)
{
	CacheEntry *e;
	gboolean known;

	g_mutex_lock(&c->lock);
	e = g_hash_table_lookup(c->entries, path);
	known = e && e->len_known;
	if (known)
		*body_len = e->body_len;
	g_mutex_unlock(&c->lock);
	return known;
}

void cache_index_set_body_len(CacheStore *c, const char *path, guint64 body_len)
{
	g_mutex_lock(&c->lock);
	CacheEntry *e = g_hash_table_lookup(c->entries, path);

	if (e) {
		e->len_known = TRUE;
		e->body_len = body_len;
	}
	g_mutex_unlock(&c->lock);
}

gboolean cache_index_has(CacheStore *c, const char *path)
{
	gboolean has;

	g_mutex_lock(&c->lock);
	has = g_hash_table_contains(c->entries, path);
	g_mutex_unlock(&c->lock);
	return has;
}

gboolean cache_index_is_verified(CacheStore *c, const char *path, const struct stat *st)
{
	g_mutex_lock(&c->lock);
	CacheEntry *e = g_hash_table_lookup(c->entries, path);
	gboolean ok = e && same_identity(e, st);

	g_mutex_unlock(&c->lock);
	return ok;
}

void cache_index_set_verified(CacheStore *c, const char *path, const struct stat *st)
{
	g_mutex_lock(&c->lock);
	CacheEntry *e = g_hash_table_lookup(c->entries, path);

	if (e) {
		e->verified = TRUE;
		e->dev = st->st_dev;
		e->ino = st->st_ino;
		e->size = st->st_size;
		e->ctime = st->st_ctim;
	}
	g_mutex_unlock(&c->lock);
}

void cache_index_evict(CacheStore *c)
{
	g_mutex_lock(&c->lock);
	while (c->max_bytes && c->total > c->max_bytes && c->lru.head) {
		CacheEntry *e = c->lru.head->data;

		/* Readers holding an fd keep reading the unlinked file. */
		g_unlink(e->path);
		index_remove_locked(c, e);
	}
	g_mutex_unlock(&c->lock);
}

guint64 cache_store_size(CacheStore *c)
{
	g_mutex_lock(&c->lock);
	guint64 total = c->total;

	g_mutex_unlock(&c->lock);
	return total;
}

const char *cache_store_path(CacheStore *c)
{
	return c->root;
}

void cache_store_set_damage_func(CacheStore *c, CacheDamageFunc fn, gpointer data)
{
	c->damage_fn = fn;
	c->damage_data = data;
}

/* ---- the scan at open ---- */

typedef struct {
	char *path;
	guint64 size;
	struct timespec mtime;
} ScanItem;

static gint scan_item_cmp(gconstpointer a, gconstpointer b)
{
	const ScanItem *x = *(ScanItem *const *)a, *y = *(ScanItem *const *)b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void scan_item_free(gpointer data)
{
	ScanItem *it = data;

	g_free(it->path);
	g_free(it);
}

/* Removes what a crash left behind: old temporary files and half-dropped trees. */
static gboolean remove_if_leftover(const char *path, const char *name, const struct stat *st)
{
	if (g_str_has_prefix(name, CACHE_DROP_PREFIX)) {
		cache_remove_tree(path);
		return TRUE;
	}
	if (g_str_has_prefix(name, CACHE_TMP_PREFIX)) {
		if (st->st_mtime < time(NULL) - STALE_TMP_SECONDS)
			g_unlink(path);
		return TRUE;
	}
	return FALSE;
}

/* Calls FN for every entry of directory PATH with its lstat. */
static void scan_dir(const char *path,
		     void (*fn)(const char *path, const char *name, const struct stat *st,
				GPtrArray *items),
		     GPtrArray *items)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (!dir)
		return;
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		struct stat st;

		if (lstat(child, &st) == 0 && !remove_if_leftover(child, name, &st))
			fn(child, name, &st, items);
	}
	g_dir_close(dir);
}

static void scan_body(const char *path, const char *name, const struct stat *st, GPtrArray *items)
{
	guint32 uid;

	if (!S_ISREG(st->st_mode) || !cache_parse_u32(name, &uid))
		return;
	ScanItem *it = g_new0(ScanItem, 1);

	it->path = g_strdup(path);
	it->size = (guint64)st->st_size;
	it->mtime = st->st_mtim;
	g_ptr_array_add(items, it);
}

static void scan_validity(const char *path, const char *name, const struct stat *st,
			  GPtrArray *items)
{
	guint32 v;

	if (S_ISDIR(st->st_mode) && cache_parse_u32(name, &v))
		scan_dir(path, scan_body, items);
}

static void scan_folder(const char *path, const char *name, const struct stat *st, GPtrArray *items)
{
	if (S_ISDIR(st->st_mode))
		scan_dir(path, scan_validity, items);
}

static void store_scan(CacheStore *c)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(scan_item_free);

	scan_dir(c->folders, scan_folder, items);
	g_ptr_array_sort(items, scan_item_cmp);
	g_mutex_lock(&c->lock);
	for (guint i = 0; i < items->len; i++) {
		ScanItem *it = items->pdata[i];

		index_get_locked(c, it->path, it->size);
	}
	g_mutex_unlock(&c->lock);
}

/* ---- open / close ---- */

static gboolean store_make_dirs(CacheStore *c, const char *dir, const char *account, GError **error)
{
	g_autofree char *account_file = g_build_filename(c->root, "account", NULL);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		cache_set_errno(error, errno, "cannot create cache directory", dir);
		return FALSE;
	}
	if (!cache_mkdir_private(c->root, error) || !cache_mkdir_private(c->folders, error))
		return FALSE;
	if (g_file_test(account_file, G_FILE_TEST_EXISTS))
		return TRUE;
	return cache_write_file_atomic(account_file, account, strlen(account), error);
}

CacheStore *cache_store_open(const char *dir, const char *account, guint64 max_bytes,
			     GError **error)
{
	g_return_val_if_fail(dir && account, NULL);
	g_autofree char *key = cache_key_name(account);
	CacheStore *c = g_new0(CacheStore, 1);

	g_mutex_init(&c->lock);
	c->account = g_strdup(account);
	c->root = g_build_filename(dir, key, NULL);
	c->folders = g_build_filename(c->root, "f", NULL);
	c->max_bytes = max_bytes;
	c->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	g_queue_init(&c->lru);
	if (!store_make_dirs(c, dir, account, error)) {
		cache_store_close(c);
		return NULL;
	}
	store_scan(c);
	cache_index_evict(c);
	return c;
}

void cache_store_close(CacheStore *c)
{
	if (!c)
		return;
	/* The entries' links live inside the entries: drop the list before freeing them. */
	g_queue_init(&c->lru);
	g_hash_table_destroy(c->entries);
	g_free(c->folders);
	g_free(c->root);
	g_free(c->account);
	g_mutex_clear(&c->lock);
	g_free(c);
}

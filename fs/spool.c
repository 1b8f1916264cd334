/* imapfs fs — fetched bodies in memory, written to the cache by one thread (spool.h). */
#include "fs/spool.h"

#include <gio/gio.h>

typedef struct {
	char *key; /* "uidvalidity:uid:mailbox" */
	char *mailbox;
	guint32 uidvalidity, uid;
	ImapBody *body;
	guint64 size;
	gboolean written;
	GList link; /* in held */
} Entry;

struct FsSpool {
	CacheStore *cache;
	guint64 max_bytes; /* not yet written */
	guint64 max_held;  /* written, still held */
	FsSpoolWarn warn;
	gpointer warn_data;
	GMutex lock;
	GCond changed;	    /* pending grew, or the writer finished one */
	GHashTable *byname; /* key -> Entry */
	GQueue held;	    /* Entry, oldest first */
	GQueue pending;	    /* Entry not yet written, oldest first */
	guint64 held_bytes, pending_bytes;
	gboolean stop;
	GThread *writer;
};

static char *entry_key(const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return g_strdup_printf("%u:%u:%s", uidvalidity, uid, mailbox);
}

static void entry_free(gpointer p)
{
	Entry *e = p;

	g_free(e->key);
	g_free(e->mailbox);
	imap_body_unref(e->body);
	g_free(e);
}

static gboolean write_entry(FsSpool *s, const Entry *e, GError **error)
{
	GBytes *bytes = imap_body_get_bytes(e->body);

	if (bytes) {
		gsize len;
		const void *data = g_bytes_get_data(bytes, &len);

		return cache_body_store_bytes(s->cache, e->mailbox, e->uidvalidity, e->uid, data,
					      len, error);
	}
	return cache_body_store_fd(s->cache, e->mailbox, e->uidvalidity, e->uid,
				   imap_body_get_fd(e->body), e->size, error);
}

/* Caller holds the lock. Written bodies go, oldest first, once over their bound. */
static void evict_locked(FsSpool *s)
{
	while (s->held_bytes - s->pending_bytes > s->max_held && s->held.head) {
		Entry *e = s->held.head->data;

		if (!e->written)
			break; /* the writer still needs it */
		g_queue_unlink(&s->held, &e->link);
		s->held_bytes -= e->size;
		g_hash_table_remove(s->byname, e->key); /* frees e */
	}
}

static gpointer writer_main(gpointer data)
{
	FsSpool *s = data;

	g_mutex_lock(&s->lock);
	for (;;) {
		Entry *e;

		while (!s->pending.length && !s->stop)
			g_cond_wait(&s->changed, &s->lock);
		if (!s->pending.length)
			break; /* stopping, and everything is written */
		e = g_queue_pop_head(&s->pending);
		g_mutex_unlock(&s->lock);

		/* Unwritten entries are never evicted: E stays valid without the lock. */
		g_autoptr(GError) err = NULL;
		if (!write_entry(s, e, &err) && s->warn)
			s->warn(err, s->warn_data);

		g_mutex_lock(&s->lock);
		e->written = TRUE;
		s->pending_bytes -= e->size;
		evict_locked(s);
		g_cond_broadcast(&s->changed);
	}
	g_mutex_unlock(&s->lock);
	return NULL;
}

FsSpool *fs_spool_new(CacheStore *cache, guint64 max_bytes, guint64 max_held, FsSpoolWarn warn,
		      gpointer data)
{
	FsSpool *s = g_new0(FsSpool, 1);

	s->cache = cache;
	s->max_bytes = max_bytes;
	s->max_held = max_held;
	s->warn = warn;
	s->warn_data = data;
	g_mutex_init(&s->lock);
	g_cond_init(&s->changed);
	s->byname = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	g_queue_init(&s->held);
	g_queue_init(&s->pending);
	s->writer = g_thread_new("imapfs-spool", writer_main, s);
	return s;
}

void fs_spool_free(FsSpool *s)
{
	if (!s)
		return;
	g_mutex_lock(&s->lock);
	s->stop = TRUE;
	g_cond_broadcast(&s->changed);
	g_mutex_unlock(&s->lock);
	g_thread_join(s->writer);
	g_queue_clear(&s->pending);
	/* held's links live in the entries, which the table frees. */
	g_hash_table_destroy(s->byname);
	g_cond_clear(&s->changed);
	g_mutex_clear(&s->lock);
	g_free(s);
}

void fs_spool_put(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid, ImapBody *body)
{
	g_autofree char *key = entry_key(mailbox, uidvalidity, uid);
	Entry *e;

	g_mutex_lock(&s->lock);
	/* Backpressure: fetching faster than the disk takes it only fills memory. */
	while (s->pending_bytes > s->max_bytes && !s->stop)
		g_cond_wait(&s->changed, &s->lock);
	if (g_hash_table_contains(s->byname, key)) {
		g_mutex_unlock(&s->lock);
		return;
	}
	e = g_new0(Entry, 1);
	e->key = g_steal_pointer(&key);
	e->mailbox = g_strdup(mailbox);
	e->uidvalidity = uidvalidity;
	e->uid = uid;
	e->body = imap_body_ref(body);
	e->size = imap_body_get_size(body);
	e->link.data = e;
	g_hash_table_insert(s->byname, e->key, e);
	g_queue_push_tail_link(&s->held, &e->link);
	g_queue_push_tail(&s->pending, e);
	s->held_bytes += e->size;
	s->pending_bytes += e->size;
	g_cond_broadcast(&s->changed);
	g_mutex_unlock(&s->lock);
}

ImapBody *fs_spool_get(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autofree char *key = entry_key(mailbox, uidvalidity, uid);
	ImapBody *body = NULL;
	Entry *e;

	g_mutex_lock(&s->lock);
	e = g_hash_table_lookup(s->byname, key);
	if (e)
		body = imap_body_ref(e->body);
	g_mutex_unlock(&s->lock);
	return body;
}

gboolean fs_spool_has(FsSpool *s, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autofree char *key = entry_key(mailbox, uidvalidity, uid);
	gboolean has;

	g_mutex_lock(&s->lock);
	has = g_hash_table_contains(s->byname, key);
	g_mutex_unlock(&s->lock);
	return has;
}

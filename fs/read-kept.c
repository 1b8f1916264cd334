/* imapfs fs — the handles kept for reads without an open (see read-kept.h). */
#include "fs/read-kept.h"

struct FsKeptRef {
	guint64 nodeid;
	gpointer handle;
	GDestroyNotify free_handle;
	gint refs; /* atomic: a reader may drop its reference after the table is gone */
};

struct FsKept {
	GMutex lock;
	GQueue refs; /* of FsKeptRef, most recent first */
	guint max;
	GDestroyNotify free_handle;
};

FsKept *fs_kept_new(guint max, GDestroyNotify free_handle)
{
	FsKept *k = g_new0(FsKept, 1);

	g_mutex_init(&k->lock);
	g_queue_init(&k->refs);
	k->max = max;
	k->free_handle = free_handle;
	return k;
}

void fs_kept_unref(FsKeptRef *r)
{
	if (r && g_atomic_int_dec_and_test(&r->refs)) {
		r->free_handle(r->handle);
		g_free(r);
	}
}

void fs_kept_free(FsKept *k)
{
	if (!k)
		return;
	g_queue_clear_full(&k->refs, (GDestroyNotify)fs_kept_unref);
	g_mutex_clear(&k->lock);
	g_free(k);
}

gpointer fs_kept_handle(const FsKeptRef *r)
{
	return r->handle;
}

/* Caller holds K's lock. */
static FsKeptRef *find_locked(FsKept *k, guint64 nodeid)
{
	for (GList *l = k->refs.head; l; l = l->next) {
		FsKeptRef *r = l->data;

		if (r->nodeid == nodeid) {
			g_queue_unlink(&k->refs, l);
			g_queue_push_head_link(&k->refs, l);
			g_atomic_int_inc(&r->refs);
			return r;
		}
	}
	return NULL;
}

FsKeptRef *fs_kept_find(FsKept *k, guint64 nodeid)
{
	FsKeptRef *r;

	g_mutex_lock(&k->lock);
	r = find_locked(k, nodeid);
	g_mutex_unlock(&k->lock);
	return r;
}

FsKeptRef *fs_kept_add(FsKept *k, guint64 nodeid, gpointer handle)
{
	FsKeptRef *r, *old = NULL;

	g_mutex_lock(&k->lock);
	if ((r = find_locked(k, nodeid))) {
		g_mutex_unlock(&k->lock);
		k->free_handle(handle);
		return r;
	}
	r = g_new0(FsKeptRef, 1);
	r->nodeid = nodeid;
	r->handle = handle;
	r->free_handle = k->free_handle;
	r->refs = 2; /* the table's and the caller's */
	g_queue_push_head(&k->refs, r);
	if (k->refs.length > k->max)
		old = g_queue_pop_tail(&k->refs);
	g_mutex_unlock(&k->lock);
	fs_kept_unref(old); /* outside the lock: freeing a handle closes its file */
	return r;
}

/* imapfs fs — the inside of a folder's state, shared by folder.c (tables and their
 * revalidation) and folder-names.c (the names of written files, directory times). Not
 * for the rest of fs/: they use folder.h.
 */
#pragma once

#include "fs/folder.h"
#include "fs/listing.h"

G_BEGIN_DECLS

struct FsFolder {
	char *mailbox;
	GMutex refresh_lock;
	GMutex data_lock;
	CacheFolderMeta *meta; /* NULL until loaded */
	gint64 refreshed_at;   /* monotonic us */
	gboolean dirty;	       /* meta differs from what is saved */
	gint64 saved_at;       /* monotonic us of the last save_meta, 0: never */
	gint64 used_at;	       /* monotonic us of the last fs_folders_get; under FsFolders.lock */
	FsFolders *fl;
	/* Names of messages written through the mount, under names_uidv (0: not loaded):
	 * uid -> name, and name -> uid (keys are names' values). Guarded by data_lock. */
	GHashTable *names, *by_name;
	guint32 names_uidv;
	gint64 newest;	 /* newest INTERNALDATE in meta */
	gint64 dir_time; /* what the directory shows; 0: not known yet */
	/* uid -> the announced and the real size of bodies whose RFC822.SIZE was wrong,
	 * under size_fixes_uidv (folder-sizes.c). Guarded by data_lock. */
	GHashTable *size_fixes;
	guint32 size_fixes_uidv;
	FsListingLog *listing_log; /* what listings said already; under refresh_lock */
};

struct FsFolders {
	GMutex lock;
	GHashTable *folders; /* mailbox -> FsFolder */
	ImapPool *pool;
	CacheStore *cache;
	FsStats *stats;
};

/* ---- folder-names.c, all with f->data_lock held ------------------------------------- */
/* Loads the names of generation UIDV (from the cache) unless they are loaded. */
void fs_folder_names_ensure(FsFolder *f, guint32 uidv);
/* Records a change of UID's name (NULL: its UID name) in the cache. */
void fs_folder_names_record(FsFolder *f, guint32 uid, const char *name);
/* Drops UID's own name (in memory). */
void fs_folder_unname(FsFolder *f, guint32 uid);
/* UID has no name of its own any more: its UID name, or a fallback when a written
 * file holds that; names whose meaning changed go to CHANGED (may be NULL). */
void fs_folder_unnamed(FsFolder *f, guint32 uid, GPtrArray *changed);
/* After a new table in f->meta: names of expunged messages go, clashes get names. */
void fs_folder_names_sync(FsFolder *f, GPtrArray *changed);

/* ---- folder-sizes.c, all with f->data_lock held ------------------------------------- */
/* UID's body has REAL bytes where the server announced ANNOUNCED. */
void fs_folder_sizes_note(FsFolder *f, guint32 uidv, guint32 uid, guint64 announced, guint64 real);
/* A new listing CUR (not installed yet): each size the server announced wrongly before,
 * or that a cached body contradicts, becomes the body's. */
void fs_folder_sizes_apply(FsFolder *f, CacheFolderMeta *cur, CacheStore *cache);
void fs_folder_sizes_free(FsFolder *f);

G_END_DECLS

/* imapfs mail — the inside of a folder's state, shared by folder.c (tables and their
 * revalidation) and folder-names.c (the names of written files, directory times). Not
 * for the rest of mail/ or for fs/: they use folder.h.
 */
#pragma once

#include "mail/folder.h"
#include "mail/listing.h"

G_BEGIN_DECLS

struct MailFolder {
	char *mailbox;
	GMutex refresh_lock;
	GMutex data_lock;
	CacheFolderMeta *meta; /* NULL until loaded */
	gint64 refreshed_at;   /* monotonic us */
	gboolean dirty;	       /* meta differs from what is saved */
	gint64 saved_at;       /* monotonic us of the last save_meta, 0: never */
	gint64 used_at; /* monotonic us of the last mail_folders_get; under MailFolders.lock */
	MailFolders *fl;
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
	MailListingLog *listing_log; /* what listings said already; under refresh_lock */
};

struct MailFolders {
	GMutex lock;
	GHashTable *folders; /* mailbox -> MailFolder */
	ImapPool *pool;
	CacheStore *cache;
	MailStats *stats;
};

/* ---- folder-names.c, all with f->data_lock held ------------------------------------- */
/* Loads the names of generation UIDV (from the cache) unless they are loaded. */
void mail_folder_names_ensure(MailFolder *f, guint32 uidv);
/* Records a change of UID's name (NULL: its UID name) in the cache. */
void mail_folder_names_record(MailFolder *f, guint32 uid, const char *name);
/* Drops UID's own name (in memory). */
void mail_folder_unname(MailFolder *f, guint32 uid);
/* UID has no name of its own any more: its UID name, or a fallback when a written
 * file holds that; names whose meaning changed go to CHANGED (may be NULL). */
void mail_folder_unnamed(MailFolder *f, guint32 uid, GPtrArray *changed);
/* After a new table in f->meta: names of expunged messages go, clashes get names. */
void mail_folder_names_sync(MailFolder *f, GPtrArray *changed);

/* ---- folder-sizes.c, all with f->data_lock held ------------------------------------- */
/* UID's body has REAL bytes where the server announced ANNOUNCED. */
void mail_folder_sizes_note(MailFolder *f, guint32 uidv, guint32 uid, guint64 announced,
			    guint64 real);
/* A new listing CUR (not installed yet): each size the server announced wrongly before,
 * or that a cached body contradicts, becomes the body's. */
void mail_folder_sizes_apply(MailFolder *f, CacheFolderMeta *cur, CacheStore *cache);
void mail_folder_sizes_free(MailFolder *f);

G_END_DECLS

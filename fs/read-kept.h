/* imapfs fs — the file handles kept for reads without an open (read-only mounts, see
 * read.c): the last few, by nodeid, so that the READs of one large file share one handle
 * and its partial-fetch state.
 *
 * The table belongs to the mount (FsMount.kept), made before the FUSE session starts and
 * freed after it ends. A handle is shared: the table holds one reference and each read
 * using it another; the last reference frees it with the table's FREE_HANDLE. Thread
 * safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct FsKept FsKept;
typedef struct FsKeptRef FsKeptRef;

/* At most MAX handles; FREE_HANDLE frees one once nothing holds it. */
FsKept *fs_kept_new(guint max, GDestroyNotify free_handle);
/* Drops the table's references and the table (NULL is fine). A reference still held by
 * a reader stays valid until its fs_kept_unref(). */
void fs_kept_free(FsKept *k);

/* The handle kept for NODEID, made the most recent, as a reference for the caller; NULL
 * if none. */
FsKeptRef *fs_kept_find(FsKept *k, guint64 nodeid);
/* Keeps HANDLE (taken) for NODEID and returns a reference for the caller. When one was
 * kept for NODEID meanwhile (the kernel sends a READ and a read-ahead READ at once),
 * HANDLE is freed and that one is returned. The least recent beyond MAX is dropped. */
FsKeptRef *fs_kept_add(FsKept *k, guint64 nodeid, gpointer handle);
gpointer fs_kept_handle(const FsKeptRef *r); /* borrowed while R is held */
void fs_kept_unref(FsKeptRef *r);

G_END_DECLS

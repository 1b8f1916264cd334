/* imapfs fs — message bodies put into the kernel's page cache ahead of a reader.
 *
 * A FUSE round trip costs 30-50 us on a small virtual machine, and grep -r, tar or
 * rsync over a folder would pay one READ per file on top of its open. The kernel
 * accepts a file's pages without asking for them (fuse_lowlevel_notify_store), so
 * while a reader works through a folder in name (= UID) order, one thread puts the
 * next messages' bodies, from memory (just fetched) or from the disk cache, into the
 * page cache. The reader's open (keep_cache) then finds its pages there: no READ, and
 * the cache file is read and checked on the other core instead of in the reader's way.
 *
 * Only what cannot go wrong is pushed: small bodies whose size is the one the kernel
 * was told, of nodes the kernel knows (a lookup or readdirplus made them). Bodies are
 * immutable per (UIDVALIDITY, UID), so a pushed page is never stale; an expunged
 * message is invalidated like any other. A page the kernel has dropped since is simply
 * read again with a READ.
 *
 * A single open (cat of one file) pushes nothing: a second open further on in the same
 * folder shows a reader going through it. On a read-only mount, where pushed files cost
 * no request at all, one file half-way through each batch is left for a READ, which
 * tells where the reader is.
 *
 * Threads: two of its own, one loading bodies, one handing them to the kernel in order.
 * A hand-over may wait for a page lock held by a READ in progress, and a READ never
 * waits for them, so nothing deadlocks while requests are answered; at unmount the
 * caller keeps answering them until fs_push_busy() is FALSE (see main.c).
 * Ownership: the FsPush belongs to the mount; MOUNT is borrowed (its session, inode
 * table, read-ahead and cache) and fs_push_free() must run while they all still exist.
 */
#pragma once

#include <glib.h>
#include "mail/folder.h"

G_BEGIN_DECLS

typedef struct FsPush FsPush;

/* How far ahead of the reader: messages, and bytes of them. */
#define FS_PUSH_AHEAD 256
#define FS_PUSH_AHEAD_BYTES (32 * 1024 * 1024)

/* MOUNT: the FsMount (which includes this header), borrowed. NULL (nothing to push
 * from) without a cache and read-ahead; every function accepts NULL. */
FsPush *fs_push_new(gpointer mount);
/* Unmounting: no new pushes; the running one ends soon (its hand-over may still wait
 * for a READ to be answered). */
void fs_push_quit(FsPush *p);
/* Is a push still running? */
gboolean fs_push_busy(FsPush *p);
/* Drops what is queued, waits for the threads and frees P: call when not busy. */
void fs_push_free(FsPush *p);

/* The reader opened UID of F under UIDVALIDITY: keep the messages after it pushed.
 * Cheap (no I/O, usually not even a wake-up) when they already are. */
void fs_push_note(FsPush *p, MailFolder *f, guint32 uidvalidity, guint32 uid);

G_END_DECLS

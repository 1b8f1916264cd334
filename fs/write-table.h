/* imapfs fs — the table of files being written through the mount, shared by the files
 * that handle them: write.c (create, open, read, write), write-close.c (the APPEND at
 * close), write-change.c (truncate, times, flags, unlink, rename, dates after close).
 * Not for the rest of fs/: they use write.h.
 *
 * Locking: FsWrites.lock guards the table, the recent list and every Pending's fields.
 * It is never held across a round trip; a function whose name ends in _locked, or that
 * says so, is called with it held (and may let go of it for I/O, keeping P alive by a
 * handle count). A Pending lives while the kernel holds a lookup on it, a handle is
 * open, or it is a deferred file not yet sent.
 */
#pragma once

#include "fs/write.h"

G_BEGIN_DECLS

#define FH_TAG 1u /* low bit of fi->fh: a handle of a pending file, not read.c's */

typedef struct Pending {
	guint64 nodeid;
	guint64 ino;	 /* the kernel's inode number of its open files */
	guint64 nlookup; /* the kernel's lookups */
	guint handles;	 /* open handles */
	char *mailbox;
	char *name;	  /* the name it is written under; NULL once hidden */
	gboolean by_name; /* lookups find it by NAME (FALSE: opened through a message) */
	guint64 parent;
	int fd; /* the data while not sent, or -1 */
	guint64 size;
	gint64 mtime;
	gboolean mtime_set; /* by the writer: it becomes the INTERNALDATE */
	char **flags;	    /* for the APPEND (user.imap.flags set before close) */
	gboolean sent, discarded;
	gboolean sending;  /* an APPEND of it is under way (data frozen) */
	gboolean dirty;	   /* written or truncated since it was opened */
	int failed;	   /* errno of a failed write or truncate: never sent, close fails */
	gboolean logged;   /* the reason it will not be sent is in the log already */
	gboolean deferred; /* rsync's temporary name: sent at its rename */
	gboolean flushed;  /* its opener closed it and wrote nothing since */
	gint64 closed_at;  /* monotonic us of its last close, while deferred */
	/* The message it replaces once stored (0: none), and whether the data file still
	 * has to be filled with that message's bytes before a write (open without O_TRUNC). */
	guint32 old_uidv, old_uid;
	gboolean cow;
	guint32 uidvalidity, uid; /* once sent; uid 0 when the server did not say */
} Pending;

/* An open handle: the file, and the process that opened it. */
typedef struct {
	Pending *p;
	pid_t opener;	  /* thread group id */
	pid_t opener_tid; /* the thread that opened: its close needs no /proc lookup */
} Handle;

struct FsWrites {
	GMutex lock;
	GHashTable *table;  /* nodeid -> Pending (owned) */
	GHashTable *recent; /* "uidv:uid:mailbox" -> monotonic us it was stored */
	/* mailbox -> APPENDs of pending files under way; APPENDED is signalled as each ends
	 * (its name recorded). */
	GHashTable *appending;
	GCond appended;
	guint64 next_id;
};

/* ---- write-table.c ------------------------------------------------------------------ */
void fs_pending_close_fd(int *fd);
Handle *fs_pending_handle(const struct fuse_file_info *fi);
/* The thread group of thread TID (FUSE gives the calling thread). */
pid_t fs_pending_tgid(pid_t tid);
/* With the lock held: the pending file of NODEID; the one written under NAME and not
 * sent yet (what NAME shows); P freed when nothing refers to it any more; room made by
 * forgetting sent entries (FALSE: full); a new entry (the table's). */
Pending *fs_pending_get(FsMount *m, guint64 nodeid);
Pending *fs_pending_find(FsMount *m, const char *mailbox, const char *name);
void fs_pending_drop(FsMount *m, Pending *p);
gboolean fs_pending_make_room(FsMount *m);
Pending *fs_pending_new(FsMount *m, const char *mailbox, const char *name, guint64 parent, int fd);
/* Messages this mount stored lately, which a date set after close may re-send: noted
 * with the lock held; taken (TRUE once, within the re-date window) without it. */
void fs_pending_recent_note(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid);
gboolean fs_pending_recent_take(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid);
/* Lock held: one more (DELTA 1) or one fewer (-1) APPEND under way into MAILBOX;
 * waiting (up to TIMEOUT_US) until none is, TRUE if none was. */
void fs_pending_appending(FsMount *m, const char *mailbox, int delta);
gboolean fs_pending_wait_appends(FsMount *m, const char *mailbox, gint64 timeout_us);
/* Attributes of P: its message's once sent, else its own. Lock held. */
void fs_pending_attr(FsMount *m, Pending *p, struct stat *st);
/* The one log line of a file that is not stored. */
void fs_pending_log_refused(const FsMount *m, const Pending *p, const char *why);

/* ---- write.c ------------------------------------------------------------------------ */
/* The message a new file called NAME in PARENT replaces: *uid 0 when none; 0 or errno. */
int fs_pending_shown_msg(FsMount *m, const FsNode *parent, const char *name, guint32 *uidv,
			 guint32 *uid);
/* Lock held: the data file gets the replaced message's bytes first (0 or an errno). */
int fs_pending_fill_cow(FsMount *m, Pending *p);

/* ---- write-close.c ------------------------------------------------------------------ */
/* The APPEND of P (lock not held; P kept alive by the caller): 0 or an errno. FORCE:
 * a deferred file now. */
int fs_pending_send(FsMount *m, Pending *p, gboolean force);

G_END_DECLS

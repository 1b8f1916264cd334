/* imapfs fs — the state of one mount, shared by every FUSE operation.
 *
 * Built by main.c before the FUSE session starts and torn down after it ends. Every
 * member is thread safe on its own; FsMount adds no lock.
 */
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <glib.h>
#include <sys/types.h>

#include "cache/cache.h"
#include "mail/folder.h"
#include "fs/inode.h"
#include "fs/log.h"
#include "conf/options.h"
#include "imap/pool.h"
#include "fs/push.h"
#include "fs/readahead.h"
#include "mail/stats.h"
#include "fs/tree.h"

G_BEGIN_DECLS

typedef struct FsWrites FsWrites; /* fs/write-table.h */
typedef struct MailFailed MailFailed; /* mail/failed.h */
typedef struct FsKept FsKept;	  /* fs/read-kept.h */
typedef struct FsOutbox FsOutbox; /* fs/outbox.h */

#define FS_ATTR_TIMEOUT 60.0
#define FS_REVALIDATE_US (2 * G_USEC_PER_SEC)
#define FS_SMALL_BODY (1024 * 1024)
#define FS_PREFETCH_MAX_MSGS 32
#define FS_PREFETCH_MAX_BYTES (4 * 1024 * 1024)

typedef struct {
	const ConfOptions *opts;
	ImapPool *pool;
	CacheStore *cache; /* NULL: no cache (could not be opened) */
	FsInodeTable *inodes;
	FsTree *tree;
	MailFolders *folders;
	FsReadAhead *readahead; /* NULL: none (no cache, one connection) */
	FsPush *push;		/* set while the session is mounted */
	FsWrites *writes;	/* files being written (write.h) */
	MailFailed *failed;	/* body fetches that failed a moment ago (failed.h) */
	FsKept *kept;		/* handles of reads without an open (fs_read_start) */
	FsOutbox *outbox;	/* NULL: no smtp_host (owned by main(), outbox.h) */
	MailStats stats;
	char delimiter;
	uid_t uid;
	gid_t gid;
	struct fuse_session *se;
	GThreadPool *notifier; /* kernel cache invalidations, off the request threads */
	/* Set at unmount (fs_notify_drop): queued notifications are dropped, as the kernel's
	 * caches go with the mount. notify_in_call is set while the notifier may be inside
	 * fuse_lowlevel_notify_*, which can block until a request on the same directory is
	 * answered. Both atomic, for the mount's whole life. */
	gint notify_dropping;
	gint notify_in_call;
	GMutex list_lock;      /* one LIST at a time */
	gint cache_warned;
	gint cache_old_warned; /* bodies of an older cache format were found (cache-damage.c) */
	FsLogLimit *log_limit; /* repeated error lines (fs_errno_logged) */
	time_t started;
} FsMount;

extern const struct fuse_lowlevel_ops fs_ops;

/* ---- notify.c: tell the kernel what changed, from a separate thread ----------------- */
void fs_notify_start(FsMount *m);
void fs_notify_drop(FsMount *m);    /* unmounting: queued notifications are dropped */
gboolean fs_notify_busy(FsMount *m); /* a notification may still be under way */
void fs_notify_stop(FsMount *m);     /* waits for the notification thread */
void fs_notify_folder_changes(FsMount *m, const char *mailbox, const MailFolderChanges *ch);
void fs_notify_inode(FsMount *m, guint64 nodeid);
/* The kernel asks for NODEID's attributes again before it next trusts its size: sent at
 * once, from the request handler that learnt the size (no page is touched, so no lock
 * a request holds is waited for). A body longer than its RFC822.SIZE then reads on
 * past the announced end instead of stopping there. */
void fs_notify_attr_now(FsMount *m, guint64 nodeid);
/* The kernel forgets the entry NAME in directory PARENT (a nodeid; 0: nothing). */
void fs_notify_entry(FsMount *m, guint64 parent, const char *name);

/* ---- read.c: open/read/release of message files --------------------------------- */
void fs_read_open(fuse_req_t req, FsMount *m, const FsNode *node, struct fuse_file_info *fi);
/* FI->fh 0: a read-only mount, where the kernel sends no OPEN (see read.c). */
void fs_read_read(fuse_req_t req, FsMount *m, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi);
/* Before the session serves: the handles kept for reads without open (m->kept); at
 * unmount, once no read can come, they are forgotten. */
void fs_read_start(FsMount *m);
void fs_read_forget_handles(FsMount *m);
void fs_read_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi);
/* The whole body of message NODE into FD from offset 0 (*SIZE: its length), as a read
 * would get it (cache, or FETCH): 0 or an errno. */
int fs_read_copy(FsMount *m, const FsNode *node, int fd, guint64 *size);

/* ---- lookup.c ------------------------------------------------------------------- */
void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);

/* ---- xattr.c: user.imap.flags, user.imapfs.stats, statfs --------------------------- */
void fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_op_statfs(fuse_req_t req, fuse_ino_t ino);

/* ---- ops.c helpers other files use ----------------------------------------------- */
/* Refreshes FOLDER when older than the revalidation age and queues the notifications. */
gboolean fs_mount_refresh_folder(FsMount *m, MailFolder *f, gint64 max_age_us, GError **error);
/* The message shown as NAME in MAILBOX (its table loaded or revalidated first): *uid 0
 * when there is none; FALSE with ERROR when the folder could not be read. */
gboolean fs_mount_find_msg(FsMount *m, const char *mailbox, const char *name, guint32 *uidv,
			   guint32 *uid, GError **error);
/* LIST again when older than MAX_AGE_US. */
gboolean fs_mount_refresh_tree(FsMount *m, gint64 max_age_us, GError **error);
/* fs_errno_logged() for the message UID of MAILBOX, by the name it is shown under. */
int fs_mount_msg_errno(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid,
		       const char *what, const GError *error);
/* One warning for the whole mount when the cache cannot take a body. */
void fs_mount_cache_warning(FsMount *m, const GError *error);
/* Attributes of a folder / a message, and an entry reply for a node (lookup counted
 * by the caller). */
void fs_mount_dir_attr(FsMount *m, const char *mailbox, guint64 ino, struct stat *st);
void fs_mount_msg_attr(FsMount *m, const MailMsgInfo *mi, guint64 ino, struct stat *st);
void fs_mount_fill_entry(struct fuse_entry_param *e, const FsNode *n, const struct stat *st);

G_END_DECLS

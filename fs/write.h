/* imapfs fs — changing mail through the mount.
 *
 * write.c (and append.c): new files. create/write/close becomes an APPEND when the file
 * is closed (flush, so close(2) reports the error). The data waits in an unnamed file in the
 * cache directory, never in memory. A new file is a "pending" node with a nodeid of
 * its own range (FS_WRITE_NODEID_BASE and up), findable by its name in its folder
 * until it is renamed, unlinked or forgotten. Once appended it is an alias of the new
 * message (reads, attributes and flags are the message's), so the rename that rsync and
 * editors do after close() just drops the temporary name: the message keeps its UID
 * name, and exists once.
 *
 * modify.c: everything else that changes the server: unlink (STORE \Deleted + UID
 * EXPUNGE), mkdir/rename of folders (CREATE/RENAME), rename of messages to another
 * folder (UID MOVE, or UID COPY + expunge), user.imap.flags (UID STORE FLAGS), setattr
 * (times only; messages are immutable). rmdir.c: rmdir (RENAME away, check, DELETE).
 *
 * Every operation refuses with EROFS on a read-only mount before talking to the
 * server, and updates the folder tables (and so the kernel's caches) afterwards.
 * Each function replies to REQ exactly once unless it returns FALSE ("not mine").
 */
#pragma once

#include "fs/mount.h"

G_BEGIN_DECLS

#define FS_WRITE_NODEID_BASE (G_GUINT64_CONSTANT(1) << 62)
#define FS_WRITE_MAX_SIZE (G_GUINT64_CONSTANT(1) << 31) /* one message; EFBIG above */
#define FS_WRITE_MAX_PENDING 4096 /* pending names kept at most (oldest appended go first) */
#define FS_WRITE_XATTR_MAX 4096

/* ---- write.c ---------------------------------------------------------------------- */
gboolean fs_write_owns_node(guint64 nodeid);
gboolean fs_write_owns_handle(const struct fuse_file_info *fi);

/* A pending file called NAME in PARENT's folder: reply the entry and return TRUE. */
gboolean fs_write_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
void fs_write_forget(FsMount *m, guint64 nodeid, guint64 nlookup);
void fs_write_getattr(fuse_req_t req, FsMount *m, guint64 nodeid);
void fs_write_create(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		     struct fuse_file_info *fi);
void fs_write_open(fuse_req_t req, FsMount *m, guint64 nodeid, struct fuse_file_info *fi);
void fs_write_read(fuse_req_t req, FsMount *m, size_t size, off_t off, struct fuse_file_info *fi);
void fs_write_write(fuse_req_t req, FsMount *m, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi);
void fs_write_flush(fuse_req_t req, FsMount *m, struct fuse_file_info *fi);
void fs_write_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi);
void fs_write_setattr(fuse_req_t req, FsMount *m, guint64 nodeid, struct stat *attr, int to_set);
void fs_write_setxattr(fuse_req_t req, FsMount *m, guint64 nodeid, const char *name,
		       const char *value, size_t size);
/* unlink/rename of a pending name; FALSE when NAME is not pending in PARENT. */
gboolean fs_write_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
gboolean fs_write_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
			 const FsNode *newparent, const char *newname);

/* ---- append.c --------------------------------------------------------------------- */
/* An unnamed 0600 file in the cache directory (gone when closed): fd, or -errno. */
int fs_write_open_data_file(FsMount *m);
/* APPEND SIZE bytes of FD to MAILBOX with FLAGS (may be NULL) and INTERNALDATE now,
 * after checking that they start with a header block (EINVAL before anything is sent).
 * 0 and the new message's UIDVALIDITY and UID (0 when unknown), or an errno. The data
 * must not change meanwhile. The folder table is re-read afterwards. */
int fs_write_append(FsMount *m, const char *mailbox, char **flags, int fd, guint64 size,
		    guint32 *uidvalidity, guint32 *uid);
/* Does the start of a file look like an RFC 5322 header block? COMPLETE: DATA is the
 * whole file (else only its first bytes). */
gboolean fs_write_plausible_header(const char *data, gsize len, gboolean complete);

/* ---- modify.c --------------------------------------------------------------------- */
/* A pool session on which MAILBOX (NULL: none) is SELECTed read-write and known alive;
 * a dead pooled connection is replaced once. *uidvalidity (may be NULL) from SELECT. */
ImapSession *fs_write_session(FsMount *m, const char *mailbox, guint32 *uidvalidity,
			      guint32 *uidnext, GError **error);
/* Re-read a folder's table (after a change) and queue the kernel invalidations. */
void fs_write_refresh(FsMount *m, const char *mailbox);
/* A message this mount just put into MAILBOX (APPENDUID, COPYUID) enters the folder's
 * table without a re-read, and the kernel forgets any negative entry for its name.
 * FLAGS may be NULL. FALSE when the table is not loaded under UIDV (nothing done). */
gboolean fs_write_add_known(FsMount *m, const char *mailbox, guint32 uidv, const FsMsgInfo *mi,
			    char **flags);
/* "\Seen $Work" -> validated flag list without \Recent; NULL (EINVAL) if invalid. */
char **fs_write_parse_flags(const char *value, size_t size, GError **error);

void fs_modify_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
void fs_modify_rmdir(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
void fs_modify_mkdir(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
void fs_modify_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		      const FsNode *newparent, const char *newname, unsigned int flags);
void fs_modify_setattr(fuse_req_t req, FsMount *m, const FsNode *node, struct stat *attr,
		       int to_set);
/* Stores FLAGS on a message; 0 or an errno. */
int fs_modify_store_flags(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid,
			  char **flags);
void fs_modify_setxattr(fuse_req_t req, FsMount *m, const FsNode *node, const char *name,
			const char *value, size_t size);

G_END_DECLS

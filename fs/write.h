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
#define FS_WRITE_HEADER_PEEK (64 * 1024) /* a header block longer than this is not plausible */

/* ---- write*.c: the table of files being written (FsMount.writes) ------------------- */
FsWrites *fs_writes_new(void);
void fs_writes_free(FsWrites *w); /* accepts NULL; after the session ended */

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
/* Of a pending node, or through a write handle FI (may be NULL) of any node. */
void fs_write_setattr(fuse_req_t req, FsMount *m, guint64 nodeid, struct stat *attr, int to_set,
		      struct fuse_file_info *fi);
void fs_write_setxattr(fuse_req_t req, FsMount *m, guint64 nodeid, const char *name,
		       const char *value, size_t size);
/* unlink/rename of a pending name; FALSE when NAME is not pending in PARENT. */
gboolean fs_write_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
gboolean fs_write_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
			 const FsNode *newparent, const char *newname, unsigned int flags);
/* Opening message NODE for writing: a new file that replaces it once written and closed
 * (it starts as the message's bytes unless FI says O_TRUNC). */
void fs_write_open_message(fuse_req_t req, FsMount *m, const FsNode *node,
			   struct fuse_file_info *fi);
/* What a pending node stands for, for xattrs: *OUT (mailbox the caller's) is the
 * message once sent (uid 0 before), *FLAGS (the caller's) the flags it will be sent
 * with before. FALSE when NODEID is not a live pending file. */
gboolean fs_write_alias(FsMount *m, guint64 nodeid, FsNode *out, char **flags);
/* Sends the temporary files (rsync's) closed a while ago and never renamed; ALL: every
 * one, at unmount. Called from the watcher's loop about once a second. */
void fs_write_sweep(FsMount *m, gboolean all);
/* A date set on a message after it was closed (restic): if this mount stored it within
 * the last minutes and its INTERNALDATE differs, it is stored again with MTIME and the
 * first copy expunged, keeping its name. 0 or an errno. */
int fs_write_redate(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid, gint64 mtime);

/* ---- append.c --------------------------------------------------------------------- */
/* An unnamed 0600 file in the cache directory (gone when closed): fd, or -errno. */
int fs_write_open_data_file(FsMount *m);
/* APPEND SIZE bytes of FD to MAILBOX with FLAGS (may be NULL) and INTERNALDATE DATE
 * (seconds; 0: now), after checking that they are a message (EINVAL before anything is
 * sent). 0 and the new message's UIDVALIDITY and UID (0 when unknown), or an errno and
 * *WHY (the caller's): what was wrong, in the server's own words where it refused. The
 * data must not change meanwhile. The folder's table learns the new message. */
int fs_write_append(FsMount *m, const char *mailbox, char **flags, gint64 date, int fd,
		    guint64 size, guint32 *uidvalidity, guint32 *uid, char **why);
/* Why the data (HEAD: its first LEN bytes of SIZE) is not a message, or NULL. */
char *fs_write_not_a_message(const char *head, gsize len, guint64 size);
/* Does the start of a file look like an RFC 5322 header block? COMPLETE: DATA is the
 * whole file (else only its first bytes). 1 yes, -1 no (not a message), 0 cannot tell
 * yet (only with !COMPLETE: no line in DATA decides it). */
int fs_write_header_state(const char *data, gsize len, gboolean complete);

/* ---- modify.c --------------------------------------------------------------------- */
/* A pool session on which MAILBOX (NULL: none) is SELECTed read-write and known alive;
 * a dead pooled connection is replaced once. *uidvalidity (may be NULL) from SELECT. */
/* "<id@host>" of the Message-ID header in the LEN bytes of HEAD, if it can go into a
 * quoted string as is (newly allocated), else NULL. */
char *fs_write_message_id(const char *head, gsize len);
ImapSession *fs_write_session(FsMount *m, const char *mailbox, guint32 *uidvalidity,
			      guint32 *uidnext, GError **error);
/* Re-read a folder's table (after a change) and queue the kernel invalidations. */
void fs_write_refresh(FsMount *m, const char *mailbox);
/* A message this mount just put into MAILBOX (APPENDUID, COPYUID) enters the folder's
 * table without a re-read, and the kernel forgets any negative entry for its name.
 * FLAGS may be NULL. FALSE when the table is not loaded under UIDV (nothing done). */
gboolean fs_write_add_known(FsMount *m, const char *mailbox, guint32 uidv, const MailMsgInfo *mi,
			    char **flags);
/* "\Seen $Work" -> validated flag list without \Recent; NULL (EINVAL) if invalid. */
char **fs_write_parse_flags(const char *value, size_t size, GError **error);

/* UID is shown as NAME from now on (NULL: its UID name); the kernel forgets what the
 * names involved showed. */
void fs_write_name(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid, const char *name);
/* \Deleted + expunge of exactly UID (as rm), the table and the kernel told: 0 or an
 * errno (logged with the server's words). */
int fs_modify_expunge(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid);
/* setattr of a message: times may re-date it (fs_write_redate), the rest is accepted. */
void fs_write_setattr_message(fuse_req_t req, FsMount *m, const char *mailbox, guint32 uidv,
			      guint32 uid, struct stat *attr, int to_set);
void fs_modify_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);
/* modify-folders.c: mv of the folder CHILD (a mailbox) to NEWNAME in NEWPARENT. */
void fs_modify_rename_dir(fuse_req_t req, FsMount *m, const char *child, const FsNode *newparent,
			  const char *newname, unsigned int flags);
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

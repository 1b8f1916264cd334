/* imapfs fs — the nodeid table.
 *
 * FUSE nodeids are small table ids; each node counts the kernel's lookups (as in
 * libfuse example/passthrough_ll.c): every reply that hands the kernel an entry adds
 * one, FORGET subtracts, and the node is freed at zero. The node's st_ino is separate
 * and stable across remounts: a hash of the mailbox name for folders and of (mailbox,
 * UIDVALIDITY, UID) for messages.
 *
 * A node's identity fields never change after creation, except its mailbox name when a
 * folder is renamed through the mount (fs_inode_rename_folder): the kernel moves its
 * dentry to the new name on our reply and keeps using the same nodeid, so the node must
 * then name the new mailbox. The replaced string stays allocated until the table is
 * freed, so a name read before the rename stays valid. A pointer returned by
 * fs_inode_get() stays valid while the kernel holds a lookup on it (i.e. during any
 * operation on that nodeid). The table is thread safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FS_ROOT_NODEID 1

typedef enum { FS_NODE_DIR, FS_NODE_MSG } FsNodeKind;

typedef struct {
	guint64 nodeid;
	guint64 ino; /* stable st_ino */
	FsNodeKind kind;
	char *mailbox;	     /* server name with the server's delimiter; "" for the root */
	guint32 uidvalidity; /* messages only */
	guint32 uid;	     /* messages only */
	guint64 nlookup;     /* guarded by the table lock */
} FsNode;

typedef struct FsInodeTable FsInodeTable;

FsInodeTable *fs_inode_table_new(void);
void fs_inode_table_free(FsInodeTable *t); /* accepts NULL */

guint64 fs_inode_ino_folder(const char *mailbox);
guint64 fs_inode_ino_message(const char *mailbox, guint32 uidvalidity, guint32 uid);

/* Find or create the node and add one lookup. Never NULL. */
FsNode *fs_inode_ref_dir(FsInodeTable *t, const char *mailbox);
FsNode *fs_inode_ref_msg(FsInodeTable *t, const char *mailbox, guint32 uidvalidity, guint32 uid);
/* The nodeid of a node the kernel knows, without adding a lookup; 0 if none. */
guint64 fs_inode_find_dir(FsInodeTable *t, const char *mailbox);
guint64 fs_inode_find_msg(FsInodeTable *t, const char *mailbox, guint32 uidvalidity, guint32 uid);
/* The node for a nodeid the kernel holds, or NULL. The root always exists. */
FsNode *fs_inode_get(FsInodeTable *t, guint64 nodeid);
/* FORGET: drop n lookups; the node is freed at zero (never the root). */
void fs_inode_forget(FsInodeTable *t, guint64 nodeid, guint64 n);
guint fs_inode_count(FsInodeTable *t);

/* After RENAME from -> to on the server: every node of that folder, of the folders
 * below it (delim separates levels) and of their messages now names the new mailbox.
 * st_ino stays as the kernel knows it until the nodes are forgotten. */
void fs_inode_rename_folder(FsInodeTable *t, const char *from, const char *to, char delim);

/* After a mv of a message to another folder: the kernel keeps the nodeid it had for
 * the source under the new name, so that node now stands for the message in TO. */
void fs_inode_move_msg(FsInodeTable *t, const char *from, guint32 uidvalidity, guint32 uid,
		       const char *to, guint32 new_uidvalidity, guint32 new_uid);

G_END_DECLS

/* imapfs fs — LOOKUP: a name in a directory is a file being written, a folder, a
 * message (by the name it was written under or by its UID), or a folder another client
 * made since the last listing (asked of the server before ENOENT).
 */
#include <errno.h>
#include <string.h>

#include "fs/errno-map.h"
#include "fs/mount.h"
#include "fs/names.h"
#include "fs/outbox.h"
#include "fs/write.h"

static int lookup_msg(FsMount *m, const char *mailbox, const char *name, struct fuse_entry_param *e)
{
	g_autoptr(GError) err = NULL;
	MailMsgInfo mi;
	struct stat st;
	guint32 uidv, uid;

	if (!fs_mount_find_msg(m, mailbox, name, &uidv, &uid, &err))
		return fs_errno_logged(m->log_limit, mailbox, name, "cannot look up", err);
	if (!uid || !mail_folder_msg(mail_folders_get(m->folders, mailbox), uidv, uid, &mi, NULL))
		return ENOENT;
	FsNode *n = fs_inode_ref_msg(m->inodes, mailbox, uidv, uid);
	fs_mount_msg_attr(m, &mi, n->ino, &st);
	fs_mount_fill_entry(e, n, &st);
	return 0;
}

/* Could NAME in PARENT be a folder the tree does not know yet? Names that cannot be a
 * folder's (escaped) name, and names of messages, never cost a round trip: a cp of
 * many files looks up each name before it creates it. */
static char *maybe_folder(FsMount *m, const char *parent, const char *name)
{
	g_autofree char *comp = fs_name_unescape(name);
	g_autofree char *back = NULL;
	guint32 uid;

	if (!comp || !*comp || mail_msg_name_parse(name, &uid) || g_str_has_suffix(name, ".eml") ||
	    strpbrk(comp, "*%") || (m->delimiter && strchr(comp, m->delimiter)) ||
	    !g_utf8_validate(comp, -1, NULL))
		return NULL;
	back = fs_name_escape(comp);
	if (strcmp(back, name) != 0)
		return NULL;
	if (!*parent)
		return g_steal_pointer(&comp);
	return g_strdup_printf("%s%c%s", parent, m->delimiter, comp);
}

/* A folder made by another client is reachable by its path at once: LIST of that one
 * name before ENOENT (the kernel keeps the negative answer for a second). */
static char *find_new_folder(FsMount *m, const char *parent, const char *name)
{
	g_autofree char *mailbox = maybe_folder(m, parent, name);
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GError) error = NULL;
	ImapSession *s;
	gboolean ok;

	if (!mailbox || (*parent && !fs_tree_dir(m->tree, parent, NULL)))
		return NULL;
	s = imap_pool_acquire(m->pool, NULL, &error);
	MAIL_STAT_INC(&m->stats, lists);
	ok = s && imap_session_list(s, mailbox, FALSE, &list, &error);
	imap_pool_release(m->pool, s);
	for (guint i = 0; ok && i < list->len; i++) {
		ImapMailbox *mb = g_ptr_array_index(list, i);

		if (mb->name && !strcmp(mb->name, mailbox)) {
			fs_tree_add(m->tree, mb, m->delimiter);
			return fs_tree_child(m->tree, parent, name);
		}
	}
	return NULL;
}

static void reply_dir_entry(fuse_req_t req, FsMount *m, const char *mailbox)
{
	struct fuse_entry_param e;
	struct stat st;
	FsNode *n = fs_inode_ref_dir(m->inodes, mailbox);

	fs_mount_dir_attr(m, mailbox, n->ino, &st);
	fs_mount_fill_entry(&e, n, &st);
	if (fuse_reply_entry(req, &e) != 0)
		fs_inode_forget(m->inodes, n->nodeid, 1);
}

void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	FsMount *m = fuse_req_userdata(req);
	FsNode *p = fs_inode_get(m->inodes, parent);
	struct fuse_entry_param e;
	g_autofree char *child = NULL;
	int err;

	if (!p || p->kind != FS_NODE_DIR) {
		fuse_reply_err(req, p ? ENOTDIR : ENOENT);
		return;
	}
	if (fs_write_lookup(req, m, p, name) || fs_outbox_lookup(req, m, p, name))
		return;
	child = fs_tree_child(m->tree, p->mailbox, name);
	if (child) {
		reply_dir_entry(req, m, child);
		return;
	}
	err = lookup_msg(m, p->mailbox, name, &e);
	if (!err) {
		if (fuse_reply_entry(req, &e) != 0)
			fs_inode_forget(m->inodes, e.ino, 1);
		return;
	}
	if (err == ENOENT && (child = find_new_folder(m, p->mailbox, name))) {
		reply_dir_entry(req, m, child);
		return;
	}
	if (err != ENOENT) {
		fuse_reply_err(req, err);
		return;
	}
	/* A negative entry for a short while: names looked up again and again (a shell's
	 * completion, a tool probing for files) cost nothing, and others' new mail and
	 * folders still show within a second. */
	memset(&e, 0, sizeof(e));
	e.entry_timeout = 1.0;
	fuse_reply_entry(req, &e);
}

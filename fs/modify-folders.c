/* imapfs fs — creating and renaming folders through the mount (see write.h): mkdir is
 * CREATE, mv of a directory is RENAME; names that cannot be one folder level are
 * refused with a reason in the log. rmdir is in rmdir.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs/errno-map.h"
#include "fs/names.h"
#include "fs/write.h"

static void refresh_tree(FsMount *m)
{
	g_autoptr(GError) err = NULL;

	if (!fs_mount_refresh_tree(m, 0, &err))
		g_debug("imapfs: cannot LIST: %s", err->message);
}

/* ---- folders ----------------------------------------------------------------------- */

static gboolean is_inbox(const char *mailbox)
{
	return g_ascii_strcasecmp(mailbox, "INBOX") == 0;
}

/* The mailbox a new entry NAME in PARENT stands for, or NULL (EINVAL): the name must be
 * the escaped form of one UTF-8 component without the delimiter, in a parent that is a
 * path (one with an empty level is a single top entry: a child would not show in it). */
static char *new_mailbox(FsMount *m, const FsNode *parent, const char *name)
{
	g_autofree char *comp = fs_name_unescape(name);
	g_autofree char *back = NULL;
	guint32 uid;

	if (fs_tree_has_empty_level(parent->mailbox, m->delimiter))
		return NULL;
	if (!comp || !*comp || mail_msg_name_parse(name, &uid) || !g_utf8_validate(comp, -1, NULL))
		return NULL;
	if (m->delimiter && strchr(comp, m->delimiter))
		return NULL;
	back = fs_name_escape(comp);
	if (strcmp(back, name) != 0)
		return NULL;
	if (!*parent->mailbox)
		return g_steal_pointer(&comp);
	return g_strdup_printf("%s%c%s", parent->mailbox, m->delimiter, comp);
}

/* The user's call a folder command serves, for the log. */
static const char *call_of(const char *verb)
{
	return !strcmp(verb, "CREATE") ? "mkdir" : !strcmp(verb, "DELETE") ? "rmdir" : "rename";
}

/* Runs CREATE/DELETE/RENAME on a session without a selection in the way. */
static int folder_command(FsMount *m, const char *verb, const char *a, const char *b)
{
	g_autoptr(GError) error = NULL;
	ImapSession *s = fs_write_session(m, NULL, NULL, NULL, &error);
	gboolean ok = FALSE;

	if (!s)
		return fs_errno_logged(m->log_limit, a, NULL, call_of(verb), error);
	/* A folder selected here must not stay selected under a name that is gone. */
	if (!strcmp(verb, "CREATE") || !imap_session_selected(s) ||
	    strcmp(imap_session_selected(s), a) != 0 || imap_session_close(s, &error)) {
		if (!strcmp(verb, "CREATE"))
			ok = imap_session_create(s, a, &error);
		else if (!strcmp(verb, "DELETE"))
			ok = imap_session_delete(s, a, &error);
		else
			ok = imap_session_rename(s, a, b, &error);
	}
	imap_pool_release(m->pool, s);
	refresh_tree(m);
	return ok ? 0 : fs_errno_logged(m->log_limit, a, NULL, call_of(verb), error);
}

void fs_modify_mkdir(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	g_autofree char *mailbox = new_mailbox(m, parent, name);
	struct fuse_entry_param e;
	struct stat st;
	int err;

	if (!mailbox) {
		g_autofree char *comp = fs_name_unescape(name);

		/* A dot in a name on a server that separates levels with dots cannot be
		 * kept: say so rather than make "a" with a child "b". */
		if (comp && m->delimiter && strchr(comp, m->delimiter))
			g_printerr("imapfs: mkdir %s%s%s: the server separates folder levels "
				   "with '%c', so a folder name cannot contain it\n",
				   parent->mailbox, *parent->mailbox ? "/" : "", name,
				   m->delimiter);
		else if (fs_tree_has_empty_level(parent->mailbox, m->delimiter))
			g_printerr("imapfs: mkdir %s: the server's name \"%s\" has an empty "
				   "level, so no folder can be made inside it\n",
				   name, parent->mailbox);
		fuse_reply_err(req, EINVAL);
		return;
	}
	refresh_tree(m);
	if (fs_tree_dir(m->tree, mailbox, NULL)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	err = folder_command(m, "CREATE", mailbox, NULL);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	FsNode *n = fs_inode_ref_dir(m->inodes, mailbox);
	fs_mount_dir_attr(m, mailbox, n->ino, &st);
	fs_mount_fill_entry(&e, n, &st);
	if (fuse_reply_entry(req, &e) != 0)
		fs_inode_forget(m->inodes, n->nodeid, 1);
}

void fs_modify_rename_dir(fuse_req_t req, FsMount *m, const char *child, const FsNode *newparent,
			  const char *newname, unsigned int flags)
{
	g_autofree char *to = new_mailbox(m, newparent, newname);
	g_autofree char *prefix = g_strdup_printf("%s%c", child, m->delimiter);
	int err;

	if (is_inbox(child)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (!to || g_str_has_prefix(to, prefix)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!strcmp(to, child)) {
		fuse_reply_err(req, 0);
		return;
	}
	refresh_tree(m);
	if (fs_tree_dir(m->tree, to, NULL)) {
		fuse_reply_err(req, EEXIST); /* never replace a folder: it could hold mail */
		return;
	}
	err = folder_command(m, "RENAME", child, to);
	/* The kernel moves its entry to the new name on our reply and keeps the nodeid, so
	 * that node (and those below it) must name the new mailbox before we reply: the
	 * queued invalidation alone comes too late for an `mv x NewName/` right after. */
	if (!err) {
		g_autoptr(GError) error = NULL;

		if (m->cache && !cache_names_move(m->cache, child, to, &error))
			g_printerr("imapfs: warning: %s: the names of written files stay behind: "
				   "%s\n",
				   to, error->message);
		fs_inode_rename_folder(m->inodes, child, to, m->delimiter);
		fs_notify_entry(m, newparent->nodeid, newname);
	}
	fuse_reply_err(req, err);
}

/* imapfs fs — the FUSE low-level operations: lookup, attributes, listing, xattr,
 * statfs; the write operations are in write.c (new files) and modify.c (the rest).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fs/errno-map.h"
#include "fs/mount.h"
#include "fs/names.h"
#include "fs/outbox.h"
#include "fs/write.h"

static FsMount *mount_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* A listing of MAILBOX failed. */
static void reply_error(fuse_req_t req, const char *mailbox, const GError *error)
{
	fuse_reply_err(
	    req, fs_errno_logged(mount_of(req)->log_limit, mailbox, NULL, "cannot list", error));
}

/* ---- refresh helpers --------------------------------------------------------------- */

gboolean fs_mount_refresh_folder(FsMount *m, MailFolder *f, gint64 max_age_us, GError **error)
{
	g_autoptr(MailFolderChanges) ch = NULL;

	if (!mail_folder_refresh(m->folders, f, max_age_us, &ch, error))
		return FALSE;
	if (ch)
		fs_notify_folder_changes(m, mail_folder_mailbox(f), ch);
	return TRUE;
}

/* Once per mount for each line: the listing is read again and again. */
static void warn_unreadable(FsMount *m, GPtrArray *unreadable)
{
	for (guint i = 0; unreadable && i < unreadable->len; i++) {
		const char *why = g_ptr_array_index(unreadable, i);

		if (fs_tree_note_unreadable(m->tree, why))
			g_printerr("imapfs: warning: a line of the folder list (LIST) cannot be "
				   "read, so its folder is not shown: %s\n",
				   why);
	}
}

typedef struct {
	FsMount *m;
	GPtrArray *list, *unreadable;
} Listing;

static gboolean list_once(ImapSession *s, gpointer data, GError **error)
{
	Listing *l = data;

	MAIL_STAT_INC(&l->m->stats, lists);
	g_clear_pointer(&l->list, g_ptr_array_unref);
	g_clear_pointer(&l->unreadable, g_ptr_array_unref);
	return imap_session_list_full(s, "*", FALSE, &l->list, &l->unreadable, error);
}

gboolean fs_mount_refresh_tree(FsMount *m, gint64 max_age_us, GError **error)
{
	Listing l = {m, NULL, NULL};
	gint64 at;
	gboolean ok;

	g_mutex_lock(&m->list_lock);
	at = fs_tree_listed_at(m->tree);
	if (at && g_get_monotonic_time() - at < max_age_us) {
		g_mutex_unlock(&m->list_lock);
		return TRUE;
	}
	ok = imap_pool_run(m->pool, NULL, list_once, &l, error);
	if (ok) {
		fs_tree_set(m->tree, l.list, m->delimiter);
		warn_unreadable(m, l.unreadable);
	}
	g_mutex_unlock(&m->list_lock);
	g_clear_pointer(&l.list, g_ptr_array_unref);
	g_clear_pointer(&l.unreadable, g_ptr_array_unref);
	return ok;
}

int fs_mount_msg_errno(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid,
		       const char *what, const GError *error)
{
	MailFolder *f = mail_folders_get(m->folders, mailbox);
	g_autofree char *name = mail_folder_msg_name(f, uidvalidity, uid);

	return fs_errno_logged(m->log_limit, mailbox, name, what, error);
}

/* ---- attributes -------------------------------------------------------------------- */

void fs_mount_dir_attr(FsMount *m, const char *mailbox, guint64 ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | (m->opts->ro ? 0500 : 0700);
	st->st_nlink = 2;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_blksize = 4096;
	/* Folders have no date of their own on IMAP: one kept in the cache, so that a
	 * backup tool sees an unchanged folder as unchanged after a remount. */
	st->st_atime = st->st_mtime = st->st_ctime =
	    (time_t)mail_folders_dir_time(m->folders, mailbox);
}

void fs_mount_msg_attr(FsMount *m, const MailMsgInfo *mi, guint64 ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | (m->opts->ro ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = (off_t)mi->size;
	st->st_blocks = (blkcnt_t)((mi->size + 511) / 512);
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)mi->internaldate;
}

/* Attributes of a node; errno on failure. */
static int node_attr(FsMount *m, const FsNode *n, struct stat *st)
{
	MailMsgInfo mi;

	if (n->kind == FS_NODE_DIR) {
		if (*n->mailbox && !fs_outbox_is(m, n->mailbox) &&
		    !fs_tree_dir(m->tree, n->mailbox, NULL))
			return ENOENT;
		fs_mount_dir_attr(m, n->mailbox, n->ino, st);
		return 0;
	}
	if (!mail_folder_msg(mail_folders_get(m->folders, n->mailbox), n->uidvalidity, n->uid, &mi,
			     NULL))
		return ENOENT;
	fs_mount_msg_attr(m, &mi, n->ino, st);
	return 0;
}

void fs_mount_fill_entry(struct fuse_entry_param *e, const FsNode *n, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->nodeid;
	e->attr = *st;
	e->attr.st_ino = n->ino; /* stable across remounts; the nodeid is only ours */
	e->attr_timeout = FS_ATTR_TIMEOUT;
	e->entry_timeout = FS_ATTR_TIMEOUT;
}

/* ---- lookup / forget / getattr ------------------------------------------------------ */

/* Makes sure a selectable folder's table is loaded (and not too old). */
static gboolean folder_ready(FsMount *m, const char *mailbox, MailFolder **out, GError **error)
{
	gboolean selectable = FALSE;
	MailFolder *f;

	if (!fs_tree_dir(m->tree, mailbox, &selectable) || !selectable) {
		*out = NULL;
		return TRUE;
	}
	f = mail_folders_get(m->folders, mailbox);
	if (!fs_mount_refresh_folder(m, f, FS_REVALIDATE_US, error))
		return FALSE;
	*out = f;
	return TRUE;
}

gboolean fs_mount_find_msg(FsMount *m, const char *mailbox, const char *name, guint32 *uidv,
			   guint32 *uid, GError **error)
{
	MailFolder *f;

	*uidv = *uid = 0;
	if (!folder_ready(m, mailbox, &f, error))
		return FALSE;
	if (f)
		mail_folder_find_name(f, name, uidv, uid);
	return TRUE;
}

static void forget_one(FsMount *m, guint64 ino, guint64 nlookup)
{
	if (fs_write_owns_node(ino))
		fs_write_forget(m, ino, nlookup);
	else
		fs_inode_forget(m->inodes, ino, nlookup);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(mount_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	FsMount *m = mount_of(req);

	for (size_t i = 0; i < count; i++)
		forget_one(m, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, ino);
	struct stat st;
	int err;

	if (fs_write_owns_node(ino)) {
		fs_write_getattr(req, m, ino);
		return;
	}
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	err = node_attr(m, n, &st);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, FS_ATTR_TIMEOUT);
}

/* ---- directories -------------------------------------------------------------------- */

typedef struct {
	char *name;
	char *mailbox; /* child folder, or NULL for a message */
	MailMsgInfo msg;
} DirEntry;

typedef struct {
	GArray *entries; /* DirEntry, "." and ".." first */
	char *mailbox;
	guint32 uidvalidity;
} DirHandle;

static void dir_entry_clear(gpointer p)
{
	DirEntry *e = p;

	g_free(e->name);
	g_free(e->mailbox);
}

static void dir_handle_free(DirHandle *d)
{
	if (!d)
		return;
	g_array_unref(d->entries);
	g_free(d->mailbox);
	g_free(d);
}

static void add_entry(DirHandle *d, const char *name, const char *mailbox, const MailMsgInfo *mi)
{
	DirEntry e = {g_strdup(name), g_strdup(mailbox), {0}};

	if (mi)
		e.msg = *mi;
	g_array_append_val(d->entries, e);
}

static gboolean build_listing(FsMount *m, DirHandle *d, GError **error)
{
	g_autoptr(GPtrArray) names = NULL, mailboxes = NULL, own = NULL;
	g_autoptr(GArray) msgs = NULL;
	MailFolder *f = NULL;
	/* ".." gets its own folder's inode and attributes (the root's is the root). */
	const char *cut = m->delimiter ? strrchr(d->mailbox, m->delimiter) : NULL;
	g_autofree char *parent =
	    cut ? g_strndup(d->mailbox, (gsize)(cut - d->mailbox)) : g_strdup("");

	add_entry(d, ".", d->mailbox, NULL);
	add_entry(d, "..", parent, NULL);
	if (!folder_ready(m, d->mailbox, &f, error))
		return FALSE;
	if (fs_tree_children(m->tree, d->mailbox, &names, &mailboxes))
		for (guint i = 0; i < names->len; i++)
			add_entry(d, g_ptr_array_index(names, i), g_ptr_array_index(mailboxes, i),
				  NULL);
	if (!*d->mailbox && m->outbox)
		add_entry(d, fs_outbox_name(m->outbox), FS_OUTBOX_MAILBOX, NULL);
	if (!f)
		return TRUE;
	msgs = mail_folder_snapshot(f, &d->uidvalidity, &own);
	for (guint i = 0; i < msgs->len; i++) {
		MailMsgInfo *mi = &g_array_index(msgs, MailMsgInfo, i);
		const char *written = g_ptr_array_index(own, i);
		char name[MAIL_MSG_NAME_LEN + 1];

		mail_msg_name(mi->uid, name);
		add_entry(d, written ? written : name, NULL, mi);
	}
	return TRUE;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, ino);
	g_autoptr(GError) err = NULL;
	DirHandle *d;

	if (!n || n->kind != FS_NODE_DIR) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	/* A listing is when other clients' changes become visible. */
	if (!fs_mount_refresh_tree(m, FS_REVALIDATE_US, &err)) {
		reply_error(req, n->mailbox, err);
		return;
	}
	if (*n->mailbox && !fs_outbox_is(m, n->mailbox) &&
	    !fs_tree_dir(m->tree, n->mailbox, NULL)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	d = g_new0(DirHandle, 1);
	d->entries = g_array_new(FALSE, FALSE, sizeof(DirEntry));
	g_array_set_clear_func(d->entries, dir_entry_clear);
	d->mailbox = g_strdup(n->mailbox);
	if (!build_listing(m, d, &err)) {
		dir_handle_free(d);
		reply_error(req, n->mailbox, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0)
		dir_handle_free(d);
}

/* Node and attributes of one entry; adds a lookup when REF (readdirplus). */
static FsNode *entry_node(FsMount *m, DirHandle *d, const DirEntry *e, gboolean ref,
			  struct stat *st)
{
	FsNode *n = NULL;

	if (e->mailbox) {
		guint64 ino = fs_inode_ino_folder(e->mailbox);

		if (ref)
			n = fs_inode_ref_dir(m->inodes, e->mailbox);
		fs_mount_dir_attr(m, e->mailbox, ino, st);
	} else {
		guint64 ino = fs_inode_ino_message(d->mailbox, d->uidvalidity, e->msg.uid);

		if (ref)
			n = fs_inode_ref_msg(m->inodes, d->mailbox, d->uidvalidity, e->msg.uid);
		fs_mount_msg_attr(m, &e->msg, ino, st);
	}
	return n;
}

static void do_readdir(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
		       gboolean plus)
{
	FsMount *m = mount_of(req);
	DirHandle *d = (DirHandle *)(uintptr_t)fi->fh;
	g_autofree char *buf = g_malloc(size);
	size_t used = 0;

	for (guint i = (guint)MAX(off, 0); i < d->entries->len; i++) {
		DirEntry *e = &g_array_index(d->entries, DirEntry, i);
		gboolean dots = i < 2;
		struct fuse_entry_param ep;
		struct stat st;
		size_t need;

		if (!plus) {
			entry_node(m, d, e, FALSE, &st);
			need = fuse_add_direntry(req, buf + used, size - used, e->name, &st,
						 (off_t)i + 1);
		} else {
			/* Size first: a lookup is counted only for entries really sent. */
			need = fuse_add_direntry_plus(req, NULL, 0, e->name, NULL, 0);
			if (need > size - used)
				break;
			FsNode *n = entry_node(m, d, e, !dots, &st);
			if (n) {
				fs_mount_fill_entry(&ep, n, &st);
			} else {
				memset(&ep, 0, sizeof(ep));
				ep.attr = st;
			}
			need = fuse_add_direntry_plus(req, buf + used, size - used, e->name, &ep,
						      (off_t)i + 1);
		}
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, FALSE);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, TRUE);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dir_handle_free((DirHandle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- files --------------------------------------------------------------------------- */

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, ino);

	if (fs_write_owns_node(ino)) {
		fs_write_open(req, m, ino, fi);
		return;
	}
	if (!n || n->kind != FS_NODE_MSG) {
		fuse_reply_err(req, n ? EISDIR : ENOENT);
		return;
	}
	fs_read_open(req, m, n, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	if (fs_write_owns_handle(fi))
		fs_write_read(req, mount_of(req), size, off, fi);
	else
		fs_read_read(req, mount_of(req), ino, size, off, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fs_write_owns_handle(fi))
		fs_write_release(req, mount_of(req), fi);
	else
		fs_read_release(req, mount_of(req), fi);
}

/* Only new files have something to do at close(): the APPEND, whose error close reports. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fs_write_owns_handle(fi))
		fs_write_flush(req, mount_of(req), fi);
	else /* read-only: no FLUSH ever again (read.c, reads without an open) */
		fuse_reply_err(req, mount_of(req)->opts->ro ? ENOSYS : 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0); /* a new file is sent at close, messages never change */
}

/* ---- writes: write.c (new files) and modify.c ------------------------------------ */

/* The parent directory of a write, or an errno reply. */
static FsNode *write_parent(fuse_req_t req, fuse_ino_t p)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, p);

	if (m->opts->ro)
		fuse_reply_err(req, EROFS);
	else if (!n || n->kind != FS_NODE_DIR)
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
	else
		return n;
	return NULL;
}

static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode)
{
	FsNode *n = write_parent(req, p);

	if (n && fs_outbox_is(mount_of(req), n->mailbox))
		fuse_reply_err(req, EPERM); /* the outbox holds only messages to send */
	else if (n)
		fs_modify_mkdir(req, mount_of(req), n, name);
}

/* tar makes some regular files with mknod before it opens them: a new file, as create. */
static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode, dev_t rdev)
{
	FsNode *n = write_parent(req, p);

	if (n && !S_ISREG(mode))
		fuse_reply_err(req, EPERM); /* devices, fifos and sockets cannot be mail */
	else if (n)
		fs_write_create(req, mount_of(req), n, name, NULL);
}

static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *name)
{
	FsNode *n = write_parent(req, p);

	if (n)
		fs_modify_unlink(req, mount_of(req), n, name);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t p, const char *name)
{
	FsNode *n = write_parent(req, p);

	if (n)
		fs_modify_rmdir(req, mount_of(req), n, name);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t p, const char *name)
{
	fuse_reply_err(req, mount_of(req)->opts->ro ? EROFS : EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t p, const char *name, fuse_ino_t np,
		      const char *newname, unsigned int flags)
{
	FsMount *m = mount_of(req);
	FsNode *n = write_parent(req, p), *nn;

	if (!n)
		return;
	nn = fs_inode_get(m->inodes, np);
	if (!nn || nn->kind != FS_NODE_DIR)
		fuse_reply_err(req, nn ? ENOTDIR : ENOENT);
	else if (fs_outbox_is(m, n->mailbox) != fs_outbox_is(m, nn->mailbox))
		fuse_reply_err(req, EXDEV); /* into the outbox, mv copies: that sends */
	else
		fs_modify_rename(req, m, n, name, nn, newname, flags);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *newname)
{
	fuse_reply_err(req, mount_of(req)->opts->ro ? EROFS : EPERM);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, ino);

	if (m->opts->ro)
		fuse_reply_err(req, EROFS);
	else if (fs_write_owns_node(ino) || (fi && fs_write_owns_handle(fi)))
		fs_write_setattr(req, m, ino, attr, to_set, fi);
	else if (!n)
		fuse_reply_err(req, ENOENT);
	else
		fs_modify_setattr(req, m, n, attr, to_set);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	if (fs_write_owns_handle(fi))
		fs_write_write(req, mount_of(req), buf, size, off, fi);
	else
		fuse_reply_err(req, mount_of(req)->opts->ro ? EROFS : EPERM);
}

static void op_create(fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	FsNode *n = write_parent(req, p);

	if (n)
		fs_write_create(req, mount_of(req), n, name, fi);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	FsMount *m = mount_of(req);
	FsNode *n = fs_inode_get(m->inodes, ino);

	if (m->opts->ro)
		fuse_reply_err(req, EROFS);
	else if (fs_write_owns_node(ino))
		fs_write_setxattr(req, m, ino, name, value, size);
	else if (!n)
		fuse_reply_err(req, ENOENT);
	else
		fs_modify_setxattr(req, m, n, name, value, size);
}

/* Removing user.imap.flags clears the flags. */
static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	op_setxattr(req, ino, name, "", 0, 0);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* ls -l then costs no request per file. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/* open(O_TRUNC) arrives as one OPEN, not as a truncate of the old message first. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

const struct fuse_lowlevel_ops fs_ops = {
    .init = op_init,
    .lookup = fs_op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .flush = op_flush,
    .fsync = op_fsync,
    .getxattr = fs_op_getxattr,
    .listxattr = fs_op_listxattr,
    .statfs = fs_op_statfs,
    .mkdir = op_mkdir,
    .mknod = op_mknod,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .setattr = op_setattr,
    .write = op_write,
    .create = op_create,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
};

/* imapfs fs — new files: create, write, and APPEND at close (see write.h).
 *
 * Life of a pending file: create (an unnamed 0600 file in the cache directory takes the
 * data), write, close -> flush: APPEND, and close(2) gets its errno. The message then
 * keeps the name it was written under (the folder's names, mail/folder.h), so a rename
 * that rsync or sed -i does afterwards renames the message. A file written over an
 * existing message (open for writing, O_TRUNC, create over it, rename onto it) replaces
 * it: the new message is stored first, and only then is the old one expunged.
 *
 * Dates: an mtime set on the file before it is sent (cp -a, tar x, borg: futimens before
 * close) becomes the INTERNALDATE. rsync closes its temporary file ".NAME.XXXXXX", sets
 * the times by path and renames it: such a file is sent at the rename (or, never
 * renamed, a few seconds after its close). restic sets times by path after closing:
 * a message this mount stored in the last minutes is then sent again with that date
 * and the first copy expunged (fs_write_redate).
 *
 * A failed or refused file sends nothing and disappears; close(2) says why and the log
 * gets one line with the folder, the file and the reason. unlink before close discards
 * the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/errno-map.h"
#include "fs/names.h"
#include "fs/outbox.h"
#include "fs/write-table.h"
#include "util/fd-io.h"

/* rsync's temporary names: ".NAME.XXXXXX" (six letters or digits). */
static gboolean is_rsync_temp(const char *name)
{
	gsize len = strlen(name);

	if (len < 9 || name[0] != '.' || name[len - 7] != '.')
		return FALSE;
	for (gsize i = len - 6; i < len; i++)
		if (!g_ascii_isalnum(name[i]))
			return FALSE;
	return TRUE;
}

/* vim's swap files (".NAME.swp" ... ".swa", and ".swx" when it tries): never mail.
 * Refused at create, vim keeps them in the next directory of its 'directory' list
 * (/var/tmp), where recovery works, instead of failing each write to them here. */
static gboolean is_vim_swap(const char *name)
{
	gsize len = strlen(name);

	return len > 5 && name[0] == '.' && !strncmp(name + len - 4, ".sw", 3) &&
	       name[len - 1] >= 'a' && name[len - 1] <= 'x';
}

static void pending_entry(FsMount *m, Pending *p, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(e[0]));
	e->ino = p->nodeid;
	fs_pending_attr(m, p, &e->attr);
	/* Short timeouts: what the name shows changes at close. */
	e->attr_timeout = 1.0;
	e->entry_timeout = 1.0;
}

gboolean fs_write_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	struct fuse_entry_param e;
	Pending *p;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_find(m, parent->mailbox, name);
	if (p) {
		p->nlookup++;
		pending_entry(m, p, &e);
	}
	g_mutex_unlock(&m->writes->lock);
	if (p && fuse_reply_entry(req, &e) != 0)
		fs_write_forget(m, e.ino, 1);
	return p != NULL;
}

void fs_write_forget(FsMount *m, guint64 nodeid, guint64 nlookup)
{
	Pending *p;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	if (p) {
		p->nlookup = nlookup < p->nlookup ? p->nlookup - nlookup : 0;
		fs_pending_drop(m, p);
	}
	g_mutex_unlock(&m->writes->lock);
}

void fs_write_getattr(fuse_req_t req, FsMount *m, guint64 nodeid)
{
	struct stat st;
	Pending *p;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	if (p && !p->discarded)
		fs_pending_attr(m, p, &st);
	g_mutex_unlock(&m->writes->lock);
	if (p && !p->discarded)
		fuse_reply_attr(req, &st, 1.0);
	else
		fuse_reply_err(req, ENOENT);
}

gboolean fs_write_alias(FsMount *m, guint64 nodeid, FsNode *out, char **flags)
{
	gboolean found = FALSE;
	Pending *p;

	*flags = NULL;
	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	if (p && !p->discarded) {
		found = TRUE;
		out->kind = FS_NODE_MSG;
		out->mailbox = g_strdup(p->mailbox);
		out->uidvalidity = p->sent ? p->uidvalidity : 0;
		out->uid = p->sent ? p->uid : 0;
		if (!p->sent)
			*flags = p->flags ? g_strjoinv(" ", p->flags) : g_strdup("");
	}
	g_mutex_unlock(&m->writes->lock);
	return found;
}

/* ---- create / open / read / write ------------------------------------------------- */

static void reply_open(fuse_req_t req, FsMount *m, Pending *p, struct fuse_file_info *fi,
		       gboolean create)
{
	struct fuse_entry_param e;
	Handle *h = NULL;

	if (fi) {
		h = g_new0(Handle, 1);
		h->p = p;
		h->opener_tid = fuse_req_ctx(req)->pid;
		h->opener = fs_pending_tgid(h->opener_tid);
		fi->fh = (uint64_t)(uintptr_t)h | FH_TAG;
		fi->direct_io = 0;
		fi->keep_cache = 0;
	}
	if (create) {
		pending_entry(m, p, &e);
		if (fi ? fuse_reply_create(req, &e, fi) == 0 : fuse_reply_entry(req, &e) == 0)
			return;
		p->nlookup--;
	} else if (fuse_reply_open(req, fi) == 0) {
		return;
	}
	/* The caller was interrupted: the kernel holds neither the handle nor the entry. */
	g_free(h);
	if (fi)
		p->handles--;
	fs_pending_drop(m, p);
}

/* The message a new file called NAME replaces: *uid 0 when none. */
int fs_pending_shown_msg(FsMount *m, const FsNode *parent, const char *name, guint32 *uidv,
			 guint32 *uid)
{
	g_autoptr(GError) error = NULL;

	gboolean settled;

	*uidv = *uid = 0;
	if (fs_outbox_is(m, parent->mailbox))
		return 0;
	if (!fs_mount_find_msg(m, parent->mailbox, name, uidv, uid, &error))
		return fs_errno_logged(m->log_limit, parent->mailbox, name, "cannot look up",
				       error);
	if (!*uid)
		return 0;
	/* A message another file's APPEND has just stored shows under its UID name until
	 * that file's own name is recorded: it is not the one NAME means to replace (rsync's
	 * next file would expunge the one before). Asked again once those APPENDs end. */
	g_mutex_lock(&m->writes->lock);
	settled = fs_pending_wait_appends(
	    m, parent->mailbox, (gint64)net_config_io_timeout_ms(&m->opts->imap.net) * 1000);
	g_mutex_unlock(&m->writes->lock);
	if (settled)
		return 0;
	*uidv = *uid = 0;
	return fs_mount_find_msg(m, parent->mailbox, name, uidv, uid, &error)
		   ? 0
		   : fs_errno_logged(m->log_limit, parent->mailbox, name, "cannot look up", error);
}

void fs_write_create(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		     struct fuse_file_info *fi)
{
	gboolean selectable = FALSE;
	guint32 old_uidv, old_uid;
	Pending *p;
	int fd, err = 0;

	if (!fs_outbox_is(m, parent->mailbox) &&
	    (!fs_tree_dir(m->tree, parent->mailbox, &selectable) || !selectable)) {
		fuse_reply_err(req, EPERM); /* the root and \Noselect folders hold no mail */
		return;
	}
	if (strlen(name) > FS_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (is_vim_swap(name)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((err = fs_pending_shown_msg(m, parent, name, &old_uidv, &old_uid)) != 0 ||
	    (old_uid && fi && (fi->flags & O_EXCL))) {
		fuse_reply_err(req, err ? err : EEXIST);
		return;
	}
	fd = fs_write_open_data_file(m);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	g_mutex_lock(&m->writes->lock);
	if (fs_pending_find(m, parent->mailbox, name))
		err = EEXIST;
	else if (!fs_pending_make_room(m))
		err = ENFILE;
	if (err) {
		g_mutex_unlock(&m->writes->lock);
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	p = fs_pending_new(m, parent->mailbox, name, parent->nodeid, fd);
	p->by_name = TRUE;
	p->nlookup = 1;
	p->handles = fi ? 1 : 0;
	p->deferred = is_rsync_temp(name);
	p->old_uidv = old_uidv;
	p->old_uid = old_uid;
	/* Created over a message the kernel did not know yet, without O_TRUNC: it starts
	 * as that message. */
	p->cow = old_uid && fi && !(fi->flags & O_TRUNC);
	reply_open(req, m, p, fi, TRUE);
	g_mutex_unlock(&m->writes->lock);
}

void fs_write_open_message(fuse_req_t req, FsMount *m, const FsNode *node,
			   struct fuse_file_info *fi)
{
	guint64 parent = fs_inode_find_dir(m->inodes, node->mailbox);
	g_autofree char *name = NULL;
	MailMsgInfo mi;
	Pending *p;
	int fd;

	if (!mail_folder_msg(mail_folders_get(m->folders, node->mailbox), node->uidvalidity,
			     node->uid, &mi, NULL)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	name = mail_folder_msg_name(mail_folders_get(m->folders, node->mailbox), node->uidvalidity,
				    node->uid);
	fd = fs_write_open_data_file(m);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	g_mutex_lock(&m->writes->lock);
	p = fs_pending_new(m, node->mailbox, name, parent, fd);
	p->handles = 1;
	p->ino = node->ino;
	p->old_uidv = node->uidvalidity;
	p->old_uid = node->uid;
	p->cow = !(fi->flags & O_TRUNC);
	p->dirty = (fi->flags & O_TRUNC) != 0;
	/* An edited message keeps its place in time unless the writer sets another. */
	p->mtime = mi.internaldate;
	p->mtime_set = TRUE;
	reply_open(req, m, p, fi, FALSE);
	g_mutex_unlock(&m->writes->lock);
}

/* The data file gets the replaced message's bytes, before the first write or read
 * that needs them (vim truncates first: then nothing is fetched). Table lock held; it
 * is let go during the fetch, which P's open handle keeps alive. */
int fs_pending_fill_cow(FsMount *m, Pending *p)
{
	FsNode node = {.kind = FS_NODE_MSG, .uidvalidity = p->old_uidv, .uid = p->old_uid};
	guint64 size = 0;
	int err;

	if (!p->cow)
		return 0;
	node.mailbox = g_strdup(p->mailbox);
	p->cow = FALSE;
	p->sending = TRUE; /* frozen meanwhile */
	g_mutex_unlock(&m->writes->lock);
	err = fs_read_copy(m, &node, p->fd, &size);
	g_mutex_lock(&m->writes->lock);
	p->sending = FALSE;
	g_free(node.mailbox);
	if (err)
		return p->failed = err;
	p->size = size;
	return 0;
}

void fs_write_open(fuse_req_t req, FsMount *m, guint64 nodeid, struct fuse_file_info *fi)
{
	gboolean writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	FsNode alias = {.kind = FS_NODE_MSG};
	Pending *p;
	int err = 0;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	if (!p || p->discarded || (p->sent && !p->uid)) {
		err = ENOENT;
	} else if (p->sent) {
		/* A sent file is its message: opened as one (writing replaces it). */
		alias.nodeid = p->nodeid;
		alias.ino = p->nodeid;
		alias.mailbox = g_strdup(p->mailbox);
		alias.uidvalidity = p->uidvalidity;
		alias.uid = p->uid;
	} else {
		if (p->sending && (fi->flags & O_TRUNC)) {
			err = EBUSY; /* its data is being sent or filled right now */
		} else if (p->fd < 0) {
			p->fd = fs_write_open_data_file(m);
			err = p->fd < 0 ? -p->fd : 0;
		}
		if (!err && (fi->flags & O_TRUNC)) {
			p->cow = FALSE;
			p->dirty = TRUE;
			if (ftruncate(p->fd, 0) == 0)
				p->size = 0;
			else
				p->failed = errno; /* the old bytes would go with the new */
		}
		if (!err) {
			p->handles++;
			reply_open(req, m, p, fi, FALSE);
		}
		g_mutex_unlock(&m->writes->lock);
		if (err)
			fuse_reply_err(req, err);
		return;
	}
	g_mutex_unlock(&m->writes->lock);
	if (err)
		fuse_reply_err(req, err);
	else if (writing)
		fs_write_open_message(req, m, &alias, fi);
	else
		fs_read_open(req, m, &alias, fi);
	g_free(alias.mailbox);
}

void fs_write_read(fuse_req_t req, FsMount *m, size_t size, off_t off, struct fuse_file_info *fi)
{
	Pending *p = fs_pending_handle(fi)->p;
	g_autofree char *buf = g_malloc(MAX(size, 1));
	ssize_t n = -1;
	int err;

	g_mutex_lock(&m->writes->lock);
	err = fs_pending_fill_cow(m, p);
	if (!err) {
		n = p->fd >= 0 ? pread(p->fd, buf, size, off) : -1;
		err = p->fd >= 0 ? errno : EIO;
	}
	g_mutex_unlock(&m->writes->lock);
	if (n < 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* The first bytes of a new file already show it cannot be a message (a picture, a
 * line of text): the write fails at once, so that even a shell's redirection, which
 * never looks at close(2), reports it. */
static int check_start_locked(const FsMount *m, Pending *p, const char *buf, size_t size, off_t off)
{
	if (off != 0 || p->old_uid || fs_outbox_is(m, p->mailbox) ||
	    fs_write_header_state(buf, MIN(size, FS_WRITE_HEADER_PEEK), FALSE) >= 0)
		return 0;
	fs_pending_log_refused(m, p, "not a message: it does not start with a header block");
	p->logged = TRUE;
	return EINVAL;
}

/* All of it or a failure: a short write (ENOSPC in the cache directory) would leave a
 * hole or a cut message. */
static int write_all(int fd, const char *buf, size_t size, off_t off)
{
	return util_write_full(fd, buf, size, (gint64)off) ? 0 : errno;
}

void fs_write_write(fuse_req_t req, FsMount *m, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	Pending *p = fs_pending_handle(fi)->p;
	int err = 0;

	g_mutex_lock(&m->writes->lock);
	if (p->sent || p->sending)
		err = EPERM; /* the message exists now, and messages are immutable */
	else if (p->discarded || p->fd < 0)
		err = EIO;
	else if (p->failed)
		err = p->failed;
	else if (off < 0 || (guint64)off + size > FS_WRITE_MAX_SIZE)
		err = EFBIG;
	else if (!(err = check_start_locked(m, p, buf, size, off)) &&
		 !(err = fs_pending_fill_cow(m, p)))
		err = write_all(p->fd, buf, size, off);
	if (err && err != EPERM && !p->sent && !p->sending && !p->discarded)
		p->failed = err; /* the data is incomplete now: close(2) must not send it */
	else if (!err) {
		p->size = MAX(p->size, (guint64)off + (guint64)size);
		p->dirty = TRUE;
		p->flushed = FALSE;
	}
	g_mutex_unlock(&m->writes->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, size);
}

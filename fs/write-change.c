/* imapfs fs — changes to a file being written: truncate, times (its INTERNALDATE to be),
 * flags, unlink and rename before or at its sending, and dates set after close.
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

/* ---- attributes, flags, unlink, rename ---------------------------------------------- */

/* Truncate P to SIZE: 0 or an errno. Table lock held. */
static int truncate_locked(FsMount *m, Pending *p, off_t size)
{
	int err;

	if (p->sent || p->sending)
		return EPERM;
	if (size < 0 || (guint64)size > FS_WRITE_MAX_SIZE)
		return EFBIG;
	if (p->fd < 0 && (p->fd = fs_write_open_data_file(m)) < 0)
		return -p->fd;
	if (size == 0)
		p->cow = FALSE; /* vim: the old bytes are never needed */
	if ((err = fs_pending_fill_cow(m, p)) != 0)
		return err;
	if (ftruncate(p->fd, size) != 0)
		return p->failed = errno; /* the file is not the size its writer asked for */
	p->size = (guint64)size;
	p->dirty = TRUE;
	p->flushed = FALSE;
	return 0;
}

static void setattr_pending(fuse_req_t req, FsMount *m, Pending *p, struct stat *attr, int to_set)
{
	struct stat st;
	int err = 0;

	g_mutex_lock(&m->writes->lock);
	if (p->discarded)
		err = ENOENT;
	else if (to_set & FUSE_SET_ATTR_SIZE)
		err = truncate_locked(m, p, attr->st_size);
	/* The mtime, until the file is sent, is the INTERNALDATE it will get. */
	if (!err && !p->sent && (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))) {
		p->mtime = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? g_get_real_time() / G_USEC_PER_SEC
							      : attr->st_mtime;
		p->mtime_set = TRUE;
	}
	/* Mode and owner: accepted, as for messages; IMAP cannot keep them. */
	if (!err)
		fs_pending_attr(m, p, &st);
	g_mutex_unlock(&m->writes->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, 1.0);
}

void fs_write_setattr(fuse_req_t req, FsMount *m, guint64 nodeid, struct stat *attr, int to_set,
		      struct fuse_file_info *fi)
{
	Pending *p;

	if (fi && fs_write_owns_handle(fi)) {
		setattr_pending(req, m, fs_pending_handle(fi)->p, attr, to_set);
		return;
	}
	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	g_mutex_unlock(&m->writes->lock);
	if (!p)
		fuse_reply_err(req, ENOENT);
	else if (p->sent && p->uid)
		fs_write_setattr_message(req, m, p->mailbox, p->uidvalidity, p->uid, attr, to_set);
	else
		setattr_pending(req, m, p, attr, to_set);
}

void fs_write_setxattr(fuse_req_t req, FsMount *m, guint64 nodeid, const char *name,
		       const char *value, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) flags = NULL;
	g_autofree char *mailbox = NULL;
	guint32 uidv = 0, uid = 0;
	Pending *p;
	int err = 0;

	if (strcmp(name, "user.imap.flags") != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	flags = fs_write_parse_flags(value, size, &error);
	if (!flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	g_mutex_lock(&m->writes->lock);
	p = fs_pending_get(m, nodeid);
	if (!p || p->discarded || (p->sent && !p->uid)) {
		err = ENOENT;
	} else if (p->sent) {
		mailbox = g_strdup(p->mailbox);
		uidv = p->uidvalidity;
		uid = p->uid;
	} else {
		/* Not sent yet: the flags go with the APPEND. */
		g_strfreev(p->flags);
		p->flags = g_steal_pointer(&flags);
	}
	g_mutex_unlock(&m->writes->lock);
	if (!err && mailbox)
		err = fs_modify_store_flags(m, mailbox, uidv, uid, flags);
	fuse_reply_err(req, err);
}

gboolean fs_write_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	Pending *p;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_find(m, parent->mailbox, name);
	if (p) {
		/* Before it is sent: nothing is sent, and the message it would have replaced
		 * stays. */
		p->discarded = TRUE;
		p->by_name = FALSE;
		if (!p->sending) /* an APPEND or a copy reading it closes it afterwards */
			fs_pending_close_fd(&p->fd);
		fs_pending_drop(m, p);
	}
	g_mutex_unlock(&m->writes->lock);
	if (p)
		fuse_reply_err(req, 0);
	return p != NULL;
}

/* Renames pending P within its folder to NEWNAME (table lock held): 0 or an errno. */
static int rename_pending_locked(FsMount *m, Pending *p, const FsNode *newparent,
				 const char *newname, unsigned int flags)
{
	guint32 old_uidv, old_uid;
	Pending *other = fs_pending_find(m, newparent->mailbox, newname);
	int err;

	if (other == p)
		return 0;
	g_mutex_unlock(&m->writes->lock);
	err = fs_pending_shown_msg(m, newparent, newname, &old_uidv, &old_uid);
	g_mutex_lock(&m->writes->lock);
	if (err)
		return err;
	if ((flags & RENAME_NOREPLACE) && (other || old_uid))
		return EEXIST;
	other = fs_pending_find(m, newparent->mailbox, newname);
	if (other && other != p) {
		other->discarded = TRUE; /* replaced before it was closed */
		other->by_name = FALSE;
		fs_pending_drop(m, other);
	}
	g_free(p->name);
	p->name = g_strdup(newname);
	/* What the old name showed is no longer replaced; what the new one shows is. */
	p->old_uidv = old_uidv;
	p->old_uid = old_uid;
	return 0;
}

gboolean fs_write_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
			 const FsNode *newparent, const char *newname, unsigned int flags)
{
	gboolean send = FALSE;
	Pending *p;
	int err = 0;

	g_mutex_lock(&m->writes->lock);
	p = fs_pending_find(m, parent->mailbox, name);
	if (!p) {
		g_mutex_unlock(&m->writes->lock);
		return FALSE;
	}
	/* Held like an open file meanwhile: the sweep leaves it alone (it is renamed, not
	 * sent under its temporary name behind the rename's back). */
	p->handles++;
	if (strcmp(parent->mailbox, newparent->mailbox) != 0)
		err = EXDEV; /* mv copies and unlinks: an APPEND there, nothing sent here */
	else if (strlen(newname) > FS_NAME_MAX)
		err = ENAMETOOLONG;
	else
		err = rename_pending_locked(m, p, newparent, newname, flags);
	/* rsync's temporary file, closed, gets its final name: send it now, with the
	 * times rsync set meanwhile. The rename's result says whether it was stored. Its
	 * release may still be on its way: after its flush the writer is done with it,
	 * and the next file's rename must find this one stored and named. */
	if (!err && p->deferred && (p->handles == 1 || p->flushed))
		send = TRUE;
	if (!err)
		p->deferred = FALSE;
	g_mutex_unlock(&m->writes->lock);
	if (send)
		err = fs_pending_send(m, p, TRUE);
	g_mutex_lock(&m->writes->lock);
	p->handles--;
	if (p->deferred && p->handles == 0)
		p->closed_at = g_get_monotonic_time();
	fs_pending_drop(m, p);
	g_mutex_unlock(&m->writes->lock);
	fuse_reply_err(req, err);
	return TRUE;
}

/* ---- dates set after close (restic restore) ----------------------------------------- */

int fs_write_redate(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid, gint64 mtime)
{
	FsNode node = {.kind = FS_NODE_MSG, .uidvalidity = uidv, .uid = uid};
	g_autofree char *flags = NULL, *name = NULL, *why = NULL;
	g_auto(GStrv) flagv = NULL;
	MailFolder *f = mail_folders_get(m->folders, mailbox);
	guint32 nv = 0, nu = 0;
	guint64 size = 0;
	MailMsgInfo mi;
	int fd, err;

	if (!mail_folder_msg(f, uidv, uid, &mi, &flags))
		return ENOENT;
	if (mi.internaldate == mtime || !fs_pending_recent_take(m, mailbox, uidv, uid))
		return 0; /* an older message: touch does not upload it again */
	fd = fs_write_open_data_file(m);
	if (fd < 0)
		return -fd;
	node.mailbox = (char *)mailbox;
	name = mail_folder_msg_name(f, uidv, uid);
	flagv = g_strsplit(flags, " ", -1);
	err = fs_read_copy(m, &node, fd, &size);
	if (!err)
		err = fs_write_append(m, mailbox, *flags ? flagv : NULL, mtime, fd, size, &nv, &nu,
				      &why);
	close(fd);
	if (err) {
		g_printerr("imapfs: %s/%s: the date could not be set: %s\n", mailbox, name,
			   why ? why : g_strerror(err));
		return err;
	}
	/* The copy with the right date is there: the first one goes, the name stays. */
	if (fs_modify_expunge(m, mailbox, uidv, uid) == 0 && nu && nv) {
		/* restic sets the flags by path next: through the node the kernel holds. */
		fs_inode_move_msg(m->inodes, mailbox, uidv, uid, mailbox, nv, nu);
		fs_write_name(m, mailbox, nv, nu, name);
		g_mutex_lock(&m->writes->lock);
		fs_pending_recent_note(m, mailbox, nv, nu);
		g_mutex_unlock(&m->writes->lock);
	}
	return 0;
}

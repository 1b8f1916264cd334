/* imapfs fs — closing a file written through the mount: the APPEND (see write.c for
 * the life of a pending file), the name the new message takes, the message it replaces,
 * and the sweep that sends rsync's temporary files nobody renamed.
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

#define DEFER_US (3 * G_USEC_PER_SEC) /* a temporary file never renamed is sent then */

/* ---- close --------------------------------------------------------------------------- */

/* Hides P's name after a failure, so the kernel drops it too. */
static void hide_locked(FsMount *m, Pending *p)
{
	if (p->name && p->by_name)
		fs_notify_entry(m, p->parent, p->name);
	p->by_name = FALSE;
}

/* After the APPEND: the new message takes P's name, and the message it replaces goes. */
static void sent_locked(FsMount *m, Pending *p, guint32 uidv, guint32 uid)
{
	g_autofree char *mailbox = g_strdup(p->mailbox);
	g_autofree char *name = g_strdup(p->name);
	guint32 old_uidv = p->old_uidv, old_uid = p->old_uid;
	gboolean named = p->by_name || old_uid;

	p->sent = TRUE;
	p->uidvalidity = uidv;
	p->uid = uid;
	p->by_name = FALSE;
	p->old_uid = 0;
	fs_pending_close_fd(&p->fd);
	if (fs_outbox_is(m, mailbox)) {
		fs_notify_entry(m, p->parent, name); /* sent: gone from the outbox */
		return;
	}
	if (uid)
		fs_pending_recent_note(m, mailbox, uidv, uid);
	g_mutex_unlock(&m->writes->lock);
	/* The old message only once the new one is there (rm's safe expunge): a failure
	 * leaves both, the old one shown under another name. */
	if (old_uid && fs_modify_expunge(m, mailbox, old_uidv, old_uid) != 0)
		g_printerr("imapfs: warning: %s/%s: the new message is stored, the one it "
			   "replaces could not be expunged\n",
			   mailbox, name);
	else if (old_uid && uid && uidv)
		/* The kernel's node for the name (an editor's open file, a path it sets
		 * times or flags on next) stands for the new message from now on. */
		fs_inode_move_msg(m->inodes, mailbox, old_uidv, old_uid, mailbox, uidv, uid);
	if (uid && uidv && named)
		fs_write_name(m, mailbox, uidv, uid, name);
	else if (name)
		fs_notify_entry(m, fs_inode_find_dir(m->inodes, mailbox), name);
	g_mutex_lock(&m->writes->lock);
}

/* The APPEND of a flush, a release, a rename or the sweep: 0 or an errno. The caller
 * keeps P alive (an open handle, or the table entry of a deferred file). FORCE: send
 * a deferred file now. */
int fs_pending_send(FsMount *m, Pending *p, gboolean force)
{
	g_autofree char *why = NULL, *mailbox = NULL;
	guint32 uidv = 0, uid = 0;
	int err;

	g_mutex_lock(&m->writes->lock);
	if (p->failed && !p->sent && !p->discarded && !p->sending) {
		/* A write failed: what the file holds is not what the writer meant. Nothing is
		 * sent, the name goes, and close(2) reports the write's error. */
		err = p->failed;
		p->discarded = TRUE;
		hide_locked(m, p);
		fs_pending_close_fd(&p->fd);
		g_mutex_unlock(&m->writes->lock);
		if (!p->logged)
			fs_pending_log_refused(m, p, g_strerror(err));
		return err;
	}
	if (p->sent || p->discarded || p->sending || p->fd < 0 || (p->old_uid && !p->dirty)) {
		/* Nothing (new) to send: opened for writing and left as it was, or the close
		 * of a dup after the file was sent. */
		g_mutex_unlock(&m->writes->lock);
		return 0;
	}
	if (p->deferred && !force) {
		g_autofree char *head = g_malloc(FS_WRITE_HEADER_PEEK);
		ssize_t n = pread(p->fd, head, (size_t)MIN(FS_WRITE_HEADER_PEEK, p->size), 0);

		/* Sent at its rename; close(2) still says when it is not a message. */
		why = n >= 0 ? fs_write_not_a_message(head, (gsize)n, p->size) : NULL;
		p->flushed = TRUE;
		if (why) {
			p->discarded = TRUE;
			hide_locked(m, p);
			fs_pending_close_fd(&p->fd);
		}
		g_mutex_unlock(&m->writes->lock);
		if (why)
			fs_pending_log_refused(m, p, why);
		return why ? EINVAL : 0;
	}
	p->sending = TRUE;
	mailbox = g_strdup(p->mailbox);
	fs_pending_appending(m, mailbox, 1);
	g_mutex_unlock(&m->writes->lock);
	err = fs_write_append(m, p->mailbox, p->flags, p->mtime_set ? p->mtime : 0, p->fd, p->size,
			      &uidv, &uid, &why);
	g_mutex_lock(&m->writes->lock);
	p->sending = FALSE;
	p->deferred = FALSE;
	if (err) {
		/* Refused: the data goes, and the name too; close(2) says why. The message it
		 * would have replaced stays. */
		p->discarded = TRUE;
		hide_locked(m, p);
		fs_pending_close_fd(&p->fd);
		fs_pending_appending(m, mailbox, -1);
		g_mutex_unlock(&m->writes->lock);
		fs_pending_log_refused(m, p, why);
		return err;
	}
	sent_locked(m, p, uidv, uid);
	fs_pending_appending(m, mailbox, -1);
	g_mutex_unlock(&m->writes->lock);
	return 0;
}

/* Does process PID still have another descriptor on the file with st_ino INO? A
 * shell's "echo hi >F" opens F, dup2()s it onto 1 and closes the original before the
 * first write: that close must not take the empty file for the finished one. Read in
 * /proc/PID/fdinfo, where the closing descriptor is gone already. */
static gboolean other_fd_open(pid_t pid, guint64 ino)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fdinfo", (int)pid);
	g_autofree char *want = g_strdup_printf("\nino:\t%" G_GUINT64_FORMAT "\n", ino);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *fd;
	gboolean found = FALSE;

	while (d && !found && (fd = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, fd, NULL);
		g_autofree char *text = NULL;

		found = g_file_get_contents(path, &text, NULL, NULL) && strstr(text, want);
	}
	if (d)
		g_dir_close(d);
	return found;
}

void fs_write_flush(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	Handle *h = fs_pending_handle(fi);
	gboolean empty;
	guint64 ino;

	/* close(2) in a child that inherited the descriptor (a shell's "{ a; b; } >F")
	 * is not the end of the writing: the opener's close, or the last release, is. */
	pid_t tid = fuse_req_ctx(req)->pid;

	if (tid != h->opener_tid && fs_pending_tgid(tid) != h->opener) {
		fuse_reply_err(req, 0);
		return;
	}
	g_mutex_lock(&m->writes->lock);
	empty = h->p->size == 0 && !h->p->sent;
	ino = h->p->ino;
	g_mutex_unlock(&m->writes->lock);
	if (empty && other_fd_open(h->opener, ino)) {
		fuse_reply_err(req, 0);
		return;
	}
	fuse_reply_err(req, fs_pending_send(m, h->p, FALSE));
}

void fs_write_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	Pending *p = fs_pending_handle(fi)->p;
	gboolean last;
	int err = 0;

	g_mutex_lock(&m->writes->lock);
	last = p->handles == 1;
	g_mutex_unlock(&m->writes->lock);
	/* Normally flush has sent it already; this is for a close without a flush. */
	if (last)
		err = fs_pending_send(m, p, FALSE);
	(void)err; /* send_file logged it */
	g_mutex_lock(&m->writes->lock);
	if (--p->handles == 0) {
		if (p->deferred)
			p->closed_at = g_get_monotonic_time();
		else
			fs_pending_close_fd(
			    &p->fd); /* an empty file starts a new one when reopened */
		fs_pending_drop(m, p);
	}
	g_mutex_unlock(&m->writes->lock);
	g_free(fs_pending_handle(fi));
	fuse_reply_err(req, 0);
}

/* Deferred files whose writer closed them and did not rename them: sent now. */
static GPtrArray *due_locked(FsMount *m, gboolean all)
{
	GPtrArray *due = g_ptr_array_new();
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, m->writes->table);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		Pending *p = v;

		if (p->deferred && !p->sent && !p->discarded && !p->sending && p->handles == 0 &&
		    (all || now - p->closed_at >= DEFER_US)) {
			p->handles++; /* kept alive while it is sent */
			g_ptr_array_add(due, p);
		}
	}
	return due;
}

void fs_write_sweep(FsMount *m, gboolean all)
{
	g_autoptr(GPtrArray) due = NULL;

	g_mutex_lock(&m->writes->lock);
	due = due_locked(m, all);
	g_mutex_unlock(&m->writes->lock);
	for (guint i = 0; i < due->len; i++) {
		Pending *p = g_ptr_array_index(due, i);

		fs_pending_send(m, p, TRUE); /* a failure is logged: nobody waits for it */
		g_mutex_lock(&m->writes->lock);
		p->handles--;
		p->deferred = FALSE;
		fs_pending_drop(m, p);
		g_mutex_unlock(&m->writes->lock);
	}
}

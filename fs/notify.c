/* imapfs fs — kernel cache invalidation.
 *
 * fuse_lowlevel_notify_inval_* may block until the kernel has taken the inode or
 * directory locks, which a request in progress on the same directory can be holding
 * (readdir holds the directory's lock while it waits for our reply). So they are sent
 * from one thread of their own, never from a request handler.
 */
#include <errno.h>
#include <string.h>

#include "fs/mount.h"
#include "fs/names.h"

typedef struct {
	guint64 parent; /* 0: inode invalidation only */
	guint64 nodeid; /* 0: entry invalidation only */
	char name[FS_NAME_MAX + 1];
} Job;

static void run_job(gpointer data, gpointer user_data)
{
	Job *j = data;
	FsMount *m = user_data;

	/* Before reading notify_dropping: see fs_notify_busy(). */
	g_atomic_int_set(&m->notify_in_call, 1);
	if (!g_atomic_int_get(&m->notify_dropping)) {
		if (m->se && j->parent)
			fuse_lowlevel_notify_inval_entry(m->se, j->parent, j->name,
							 strlen(j->name));
		if (m->se && j->nodeid)
			fuse_lowlevel_notify_inval_inode(m->se, j->nodeid, 0, 0);
	}
	g_atomic_int_set(&m->notify_in_call, 0);
	g_free(j);
}

void fs_notify_start(FsMount *m)
{
	/* One thread keeps the notifications in order. */
	g_atomic_int_set(&m->notify_dropping, 0);
	m->notifier = g_thread_pool_new(run_job, m, 1, FALSE, NULL);
}

void fs_notify_drop(FsMount *m)
{
	g_atomic_int_set(&m->notify_dropping, 1);
}

gboolean fs_notify_busy(FsMount *m)
{
	/* After fs_notify_drop(): a job that has not set notify_in_call yet will see
	 * notify_dropping. */
	return m->notifier &&
	       (g_atomic_int_get(&m->notify_in_call) || g_thread_pool_unprocessed(m->notifier) > 0);
}

void fs_notify_stop(FsMount *m)
{
	if (!m->notifier)
		return;
	g_thread_pool_free(m->notifier, FALSE, TRUE);
	m->notifier = NULL;
}

static void push(FsMount *m, guint64 parent, guint64 nodeid, guint32 uid)
{
	Job *j;

	if (!m->notifier || (!parent && !nodeid))
		return;
	j = g_new0(Job, 1);
	j->parent = parent;
	j->nodeid = nodeid;
	if (uid)
		mail_msg_name(uid, j->name);
	g_thread_pool_push(m->notifier, j, NULL);
}

void fs_notify_inode(FsMount *m, guint64 nodeid)
{
	push(m, 0, nodeid, 0);
}

void fs_notify_attr_now(FsMount *m, guint64 nodeid)
{
	if (m->se && nodeid && !g_atomic_int_get(&m->notify_dropping))
		fuse_lowlevel_notify_inval_inode(m->se, nodeid, -1, 0); /* -1: attributes only */
}

void fs_notify_entry(FsMount *m, guint64 parent, const char *name)
{
	Job *j;

	if (!m->notifier || !parent || strlen(name) > FS_NAME_MAX)
		return;
	j = g_new0(Job, 1);
	j->parent = parent;
	g_strlcpy(j->name, name, sizeof(j->name));
	g_thread_pool_push(m->notifier, j, NULL);
}

void fs_notify_folder_changes(FsMount *m, const char *mailbox, const MailFolderChanges *ch)
{
	guint64 parent = fs_inode_find_dir(m->inodes, mailbox);

	for (guint i = 0; i < ch->removed->len; i++) {
		guint32 uid = g_array_index(ch->removed, guint32, i);
		guint64 id = fs_inode_find_msg(m->inodes, mailbox, ch->old_uidvalidity, uid);

		push(m, parent, id, uid);
	}
	for (guint i = 0; i < ch->resized->len; i++) {
		guint32 uid = g_array_index(ch->resized, guint32, i);

		push(m, 0, fs_inode_find_msg(m->inodes, mailbox, ch->uidvalidity, uid), 0);
	}
	if (parent && (ch->removed->len || ch->old_uidvalidity != ch->uidvalidity))
		push(m, 0, parent, 0);
	for (guint i = 0; ch->names && i < ch->names->len; i++)
		fs_notify_entry(m, parent, g_ptr_array_index(ch->names, i));
}

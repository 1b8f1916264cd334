/* imapfs fs — the table of files being written through the mount (write-table.h). */
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

#define REDATE_US (15 * 60 * G_USEC_PER_SEC) /* how long a stored file may be re-dated */
#define RECENT_MAX 65536

void fs_pending_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pending_free(Pending *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	g_strfreev(p->flags);
	g_free(p->mailbox);
	g_free(p->name);
	g_free(p);
}

gboolean fs_write_owns_node(guint64 nodeid)
{
	return nodeid >= FS_WRITE_NODEID_BASE;
}

gboolean fs_write_owns_handle(const struct fuse_file_info *fi)
{
	return (fi->fh & FH_TAG) != 0;
}

Handle *fs_pending_handle(const struct fuse_file_info *fi)
{
	return (Handle *)(uintptr_t)(fi->fh & ~(uint64_t)FH_TAG);
}

/* FUSE gives the calling thread's id; threads of one process count as one. */
pid_t fs_pending_tgid(pid_t tid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)tid);
	g_autofree char *text = NULL;
	const char *at;

	if (tid <= 0 || !g_file_get_contents(path, &text, NULL, NULL) ||
	    !(at = strstr(text, "\nTgid:")))
		return tid;
	return (pid_t)strtol(at + 6, NULL, 10);
}

/* The table lock guards every pending file's fields. It is never held across a round
 * trip: the APPEND runs with the file marked "sending" (its data frozen) and kept alive
 * by the handle being closed (or by the sender holding a handle count). */
Pending *fs_pending_get(FsMount *m, guint64 nodeid)
{
	return g_hash_table_lookup(m->writes->table, &nodeid);
}

/* A file being written under NAME (not sent yet): it is what NAME shows. */
Pending *fs_pending_find(FsMount *m, const char *mailbox, const char *name)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, m->writes->table);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		Pending *p = v;

		if (p->by_name && p->name && !p->sent && !p->discarded && !strcmp(p->name, name) &&
		    !strcmp(p->mailbox, mailbox))
			return p;
	}
	return NULL;
}

/* Frees P when neither the kernel nor a handle refers to it any more. A deferred file
 * stays until it is sent. */
void fs_pending_drop(FsMount *m, Pending *p)
{
	if (p->nlookup == 0 && p->handles == 0 && !(p->deferred && !p->sent && !p->discarded))
		g_hash_table_remove(m->writes->table, &p->nodeid);
}

/* Make room: forget the oldest entries that only alias sent or dropped files. */
gboolean fs_pending_make_room(FsMount *m)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, m->writes->table);
	while (g_hash_table_size(m->writes->table) >= FS_WRITE_MAX_PENDING &&
	       g_hash_table_iter_next(&it, NULL, &v)) {
		Pending *p = v;

		if (p->handles == 0 && (p->sent || p->discarded || !p->name))
			g_hash_table_iter_remove(&it);
	}
	return g_hash_table_size(m->writes->table) < FS_WRITE_MAX_PENDING;
}

Pending *fs_pending_new(FsMount *m, const char *mailbox, const char *name, guint64 parent, int fd)
{
	Pending *p = g_new0(Pending, 1);

	p->nodeid = m->writes->next_id++;
	p->ino = p->nodeid;
	p->mailbox = g_strdup(mailbox);
	p->name = g_strdup(name);
	p->parent = parent;
	p->fd = fd;
	p->mtime = g_get_real_time() / G_USEC_PER_SEC;
	g_hash_table_insert(m->writes->table, &p->nodeid, p);
	return p;
}

/* ---- messages stored lately (they may still be re-dated) ---------------------------- */

static char *recent_key(const char *mailbox, guint32 uidv, guint32 uid)
{
	return g_strdup_printf("%u:%u:%s", uidv, uid, mailbox);
}

void fs_pending_recent_note(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;

	if (g_hash_table_size(m->writes->recent) >= RECENT_MAX) {
		g_hash_table_iter_init(&it, m->writes->recent);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (now - *(gint64 *)v > REDATE_US)
				g_hash_table_iter_remove(&it);
		if (g_hash_table_size(m->writes->recent) >= RECENT_MAX)
			g_hash_table_remove_all(m->writes->recent);
	}
	g_hash_table_replace(m->writes->recent, recent_key(mailbox, uidv, uid),
			     g_memdup2(&now, sizeof(now)));
}

/* TRUE (and forgotten) when this mount stored the message within REDATE_US. */
gboolean fs_pending_recent_take(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid)
{
	g_autofree char *key = recent_key(mailbox, uidv, uid);
	gint64 *at;
	gboolean yes;

	g_mutex_lock(&m->writes->lock);
	at = g_hash_table_lookup(m->writes->recent, key);
	yes = at && g_get_monotonic_time() - *at <= REDATE_US;
	if (at)
		g_hash_table_remove(m->writes->recent, key);
	g_mutex_unlock(&m->writes->lock);
	return yes;
}

/* ---- attributes -------------------------------------------------------------------- */

void fs_pending_attr(FsMount *m, Pending *p, struct stat *st)
{
	MailMsgInfo mi;

	if (p->sent && p->uid &&
	    mail_folder_msg(mail_folders_get(m->folders, p->mailbox), p->uidvalidity, p->uid, &mi,
			    NULL)) {
		/* The same st_ino as the message's own node: it is the same message. */
		fs_mount_msg_attr(m, &mi, fs_inode_ino_message(p->mailbox, p->uidvalidity, p->uid),
				  st);
		return;
	}
	memset(st, 0, sizeof(*st));
	st->st_ino = p->nodeid;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = (off_t)p->size;
	st->st_blocks = (blkcnt_t)((p->size + 511) / 512);
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)p->mtime;
}

/* "Work/x.eml" for the log: the folder as the server names it, and the file. The
 * outbox logs its own refusals (the SMTP server's words). */
void fs_pending_log_refused(const FsMount *m, const Pending *p, const char *why)
{
	if (fs_outbox_is(m, p->mailbox))
		return;
	g_printerr("imapfs: %s/%s: not stored: %s\n", p->mailbox, p->name ? p->name : "?",
		   why ? why : "unknown error");
}

void fs_pending_appending(FsMount *m, const char *mailbox, int delta)
{
	GHashTable *t = m->writes->appending;
	int n = GPOINTER_TO_INT(g_hash_table_lookup(t, mailbox)) + delta;

	if (n > 0)
		g_hash_table_replace(t, g_strdup(mailbox), GINT_TO_POINTER(n));
	else
		g_hash_table_remove(t, mailbox);
	if (delta < 0)
		g_cond_broadcast(&m->writes->appended);
}

gboolean fs_pending_wait_appends(FsMount *m, const char *mailbox, gint64 timeout_us)
{
	gint64 end = g_get_monotonic_time() + timeout_us;
	gboolean none = !g_hash_table_contains(m->writes->appending, mailbox);

	while (g_hash_table_contains(m->writes->appending, mailbox) &&
	       g_cond_wait_until(&m->writes->appended, &m->writes->lock, end))
		;
	return none;
}

FsWrites *fs_writes_new(void)
{
	FsWrites *w = g_new0(FsWrites, 1);

	g_mutex_init(&w->lock);
	w->table =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)pending_free);
	w->recent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	w->appending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_cond_init(&w->appended);
	w->next_id = FS_WRITE_NODEID_BASE;
	return w;
}

void fs_writes_free(FsWrites *w)
{
	if (!w)
		return;
	g_hash_table_destroy(w->table);
	g_hash_table_destroy(w->recent);
	g_hash_table_destroy(w->appending);
	g_cond_clear(&w->appended);
	g_mutex_clear(&w->lock);
	g_free(w);
}

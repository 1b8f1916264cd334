/* imapfs fs — new files: create, write, and APPEND at close (see write.h).
 *
 * Life of a pending file: create (an unnamed 0600 file in the cache directory takes the
 * data), write, close -> flush: APPEND, and close(2) gets its errno. The name stays
 * findable afterwards as an alias of the new message, because rsync and editors
 * rename their temporary name after closing it; that rename only hides the temporary
 * name (the message is named by its UID, whatever name the tool wanted). A failed or
 * refused file sends nothing and disappears. unlink before close discards the data.
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
#include "fs/write.h"

#define FH_TAG 1u /* low bit of fi->fh: a handle of this file, not read.c's */

typedef struct {
	guint64 nodeid;
	guint64 nlookup; /* the kernel's lookups */
	guint handles;	 /* open handles */
	char *mailbox;
	char *name; /* NULL once hidden (renamed over, unlinked, failed) */
	guint64 parent;
	int fd; /* the data while not sent, or -1 */
	guint64 size;
	gint64 mtime;
	char **flags; /* for the APPEND (user.imap.flags set before close) */
	gboolean sent, discarded;
	gboolean sending;	  /* an APPEND of it is under way (data frozen) */
	int failed;		  /* errno of a failed write or truncate: never sent, close fails */
	guint32 uidvalidity, uid; /* once sent; uid 0 when the server did not say */
} Pending;

static GMutex table_lock;
static GHashTable *table; /* nodeid -> Pending (owned) */
static guint64 next_id = FS_WRITE_NODEID_BASE;

static void close_fd(int *fd)
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

static GHashTable *table_locked(void)
{
	if (!table)
		table = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					      (GDestroyNotify)pending_free);
	return table;
}

gboolean fs_write_owns_node(guint64 nodeid)
{
	return nodeid >= FS_WRITE_NODEID_BASE;
}

gboolean fs_write_owns_handle(const struct fuse_file_info *fi)
{
	return (fi->fh & FH_TAG) != 0;
}

/* An open handle: the file, and the process that opened it. */
typedef struct {
	Pending *p;
	pid_t opener;	  /* thread group id */
	pid_t opener_tid; /* the thread that opened: its close needs no /proc lookup */
} Handle;

static Handle *handle_of(const struct fuse_file_info *fi)
{
	return (Handle *)(uintptr_t)(fi->fh & ~(uint64_t)FH_TAG);
}

/* FUSE gives the calling thread's id; threads of one process count as one. */
static pid_t tgid_of(pid_t tid)
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
 * by the handle being closed. */
static Pending *get_locked(guint64 nodeid)
{
	return g_hash_table_lookup(table_locked(), &nodeid);
}

static Pending *find_locked(const char *mailbox, const char *name)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, table_locked());
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		Pending *p = v;

		if (p->name && !strcmp(p->name, name) && !strcmp(p->mailbox, mailbox))
			return p;
	}
	return NULL;
}

/* Frees P when neither the kernel nor a handle refers to it any more. */
static void maybe_drop_locked(Pending *p)
{
	if (p->nlookup == 0 && p->handles == 0)
		g_hash_table_remove(table_locked(), &p->nodeid);
}

/* Make room: forget the oldest names that only alias sent or dropped files. */
static gboolean make_room_locked(void)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, table_locked());
	while (g_hash_table_size(table) >= FS_WRITE_MAX_PENDING &&
	       g_hash_table_iter_next(&it, NULL, &v)) {
		Pending *p = v;

		if (p->handles == 0 && (p->sent || p->discarded || !p->name))
			g_hash_table_iter_remove(&it);
	}
	return g_hash_table_size(table) < FS_WRITE_MAX_PENDING;
}

/* ---- attributes -------------------------------------------------------------------- */

static void pending_attr(FsMount *m, Pending *p, struct stat *st)
{
	FsMsgInfo mi;

	if (p->sent && p->uid &&
	    fs_folder_msg(fs_folders_get(m->folders, p->mailbox), p->uidvalidity, p->uid, &mi,
			  NULL)) {
		/* The same st_ino as the UID file: it is the same message. */
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

static void pending_entry(FsMount *m, Pending *p, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = p->nodeid;
	pending_attr(m, p, &e->attr);
	/* Short timeouts: the name is temporary, and what it shows changes at close. */
	e->attr_timeout = 1.0;
	e->entry_timeout = 1.0;
}

gboolean fs_write_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	struct fuse_entry_param e;
	Pending *p;

	g_mutex_lock(&table_lock);
	p = find_locked(parent->mailbox, name);
	if (p) {
		p->nlookup++;
		pending_entry(m, p, &e);
	}
	g_mutex_unlock(&table_lock);
	if (p && fuse_reply_entry(req, &e) != 0)
		fs_write_forget(m, e.ino, 1);
	return p != NULL;
}

void fs_write_forget(FsMount *m, guint64 nodeid, guint64 nlookup)
{
	Pending *p;

	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	if (p) {
		p->nlookup = nlookup < p->nlookup ? p->nlookup - nlookup : 0;
		maybe_drop_locked(p);
	}
	g_mutex_unlock(&table_lock);
}

void fs_write_getattr(fuse_req_t req, FsMount *m, guint64 nodeid)
{
	struct stat st;
	Pending *p;

	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	if (p && !p->discarded)
		pending_attr(m, p, &st);
	g_mutex_unlock(&table_lock);
	if (p && !p->discarded)
		fuse_reply_attr(req, &st, 1.0);
	else
		fuse_reply_err(req, ENOENT);
}

/* ---- create / open / read / write ------------------------------------------------- */

static void reply_open(fuse_req_t req, FsMount *m, Pending *p, struct fuse_file_info *fi,
		       gboolean create)
{
	struct fuse_entry_param e;
	Handle *h = g_new0(Handle, 1);

	h->p = p;
	h->opener_tid = fuse_req_ctx(req)->pid;
	h->opener = tgid_of(h->opener_tid);
	fi->fh = (uint64_t)(uintptr_t)h | FH_TAG;
	fi->direct_io = 0;
	fi->keep_cache = 0;
	if (create) {
		pending_entry(m, p, &e);
		if (fuse_reply_create(req, &e, fi) == 0)
			return;
		p->nlookup--;
	} else if (fuse_reply_open(req, fi) == 0) {
		return;
	}
	/* The caller was interrupted: the kernel holds neither the handle nor the entry. */
	g_free(h);
	p->handles--;
	maybe_drop_locked(p);
}

void fs_write_create(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		     struct fuse_file_info *fi)
{
	gboolean selectable = FALSE;
	guint32 uid;
	FsMsgInfo mi;
	Pending *p;
	int fd, err = 0;

	if (!fs_outbox_is(parent->mailbox) &&
	    (!fs_tree_dir(m->tree, parent->mailbox, &selectable) || !selectable)) {
		fuse_reply_err(req, EPERM); /* the root and \Noselect folders hold no mail */
		return;
	}
	if (strlen(name) > FS_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	FsFolder *f = fs_folders_get(m->folders, parent->mailbox);
	if (fs_msg_name_parse(name, &uid) &&
	    fs_folder_msg(f, fs_folder_uidvalidity(f), uid, &mi, NULL)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	fd = fs_write_open_data_file(m);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	g_mutex_lock(&table_lock);
	if (find_locked(parent->mailbox, name))
		err = EEXIST;
	else if (!make_room_locked())
		err = ENFILE;
	if (err) {
		g_mutex_unlock(&table_lock);
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	p = g_new0(Pending, 1);
	p->nodeid = next_id++;
	p->nlookup = 1;
	p->handles = 1;
	p->mailbox = g_strdup(parent->mailbox);
	p->name = g_strdup(name);
	p->parent = parent->nodeid;
	p->fd = fd;
	p->mtime = g_get_real_time() / G_USEC_PER_SEC;
	g_hash_table_insert(table_locked(), &p->nodeid, p);
	reply_open(req, m, p, fi, TRUE);
	g_mutex_unlock(&table_lock);
}

void fs_write_open(fuse_req_t req, FsMount *m, guint64 nodeid, struct fuse_file_info *fi)
{
	gboolean writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	FsNode alias = {.kind = FS_NODE_MSG};
	Pending *p;
	int err = 0;

	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	if (!p || p->discarded || (p->sent && !p->uid)) {
		err = ENOENT;
	} else if (p->sent) {
		/* A sent file is its message: read it like one, never write it. */
		err = writing ? EPERM : 0;
		alias.nodeid = p->nodeid;
		alias.mailbox = g_strdup(p->mailbox);
		alias.uidvalidity = p->uidvalidity;
		alias.uid = p->uid;
	} else {
		if (p->fd < 0) {
			p->fd = fs_write_open_data_file(m);
			err = p->fd < 0 ? -p->fd : 0;
		}
		if (!err && (fi->flags & O_TRUNC)) {
			if (ftruncate(p->fd, 0) == 0)
				p->size = 0;
			else
				p->failed = errno; /* the old bytes would go with the new */
		}
		if (!err) {
			p->handles++;
			reply_open(req, m, p, fi, FALSE);
		}
		g_mutex_unlock(&table_lock);
		if (err)
			fuse_reply_err(req, err);
		return;
	}
	g_mutex_unlock(&table_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fs_read_open(req, m, &alias, fi);
	g_free(alias.mailbox);
}

void fs_write_read(fuse_req_t req, FsMount *m, size_t size, off_t off, struct fuse_file_info *fi)
{
	Pending *p = handle_of(fi)->p;
	g_autofree char *buf = g_malloc(MAX(size, 1));
	ssize_t n;

	g_mutex_lock(&table_lock);
	n = p->fd >= 0 ? pread(p->fd, buf, size, off) : -1;
	int err = p->fd >= 0 ? errno : EIO;
	g_mutex_unlock(&table_lock);
	if (n < 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

void fs_write_write(fuse_req_t req, FsMount *m, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	Pending *p = handle_of(fi)->p;
	ssize_t n = -1;
	int err = 0;

	g_mutex_lock(&table_lock);
	if (p->sent || p->sending) {
		err = EPERM; /* the message exists now, and messages are immutable */
	} else if (p->discarded || p->fd < 0) {
		err = EIO;
	} else if (p->failed) {
		err = p->failed;
	} else if (off < 0 || (guint64)off + size > FS_WRITE_MAX_SIZE) {
		err = EFBIG;
	} else {
		/* All of it or a failure: a short write (ENOSPC in the cache directory) would
		 * leave a hole or a cut message. */
		size_t done = 0;

		while (done < size) {
			ssize_t k = pwrite(p->fd, buf + done, size - done, off + (off_t)done);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				err = k < 0 ? errno : ENOSPC;
				break;
			}
			done += (size_t)k;
		}
		n = (ssize_t)done;
	}
	if (err && err != EPERM && !p->sent && !p->sending && !p->discarded)
		p->failed = err; /* the data is incomplete now: close(2) must not send it */
	else if (!err)
		p->size = MAX(p->size, (guint64)off + (guint64)n);
	g_mutex_unlock(&table_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, (size_t)n);
}

/* ---- close --------------------------------------------------------------------------- */

/* Hides P's name after a failure, so the kernel drops it too. */
static void hide_locked(FsMount *m, Pending *p)
{
	if (p->name)
		fs_notify_entry(m, p->parent, p->name);
	g_clear_pointer(&p->name, g_free);
}

/* The APPEND of a flush or of the last release: 0 or an errno. The caller's open
 * handle keeps P alive. */
static int send_file(FsMount *m, Pending *p)
{
	guint32 uidv = 0, uid = 0;
	int err;

	g_mutex_lock(&table_lock);
	if (p->failed && !p->sent && !p->discarded && !p->sending) {
		/* A write failed: what the file holds is not what the writer meant. Nothing is
		 * sent, the name goes, and close(2) reports the write's error. */
		err = p->failed;
		p->discarded = TRUE;
		hide_locked(m, p);
		close_fd(&p->fd);
		g_mutex_unlock(&table_lock);
		return err;
	}
	if (p->sent || p->discarded || p->sending || p->fd < 0 || p->size == 0) {
		/* Nothing (new) to send: e.g. the close of a dup before anything was written. */
		g_mutex_unlock(&table_lock);
		return 0;
	}
	p->sending = TRUE;
	g_mutex_unlock(&table_lock);
	err = fs_write_append(m, p->mailbox, p->flags, p->fd, p->size, &uidv, &uid);
	g_mutex_lock(&table_lock);
	p->sending = FALSE;
	if (err) {
		/* Refused: the data goes, and the name too; close(2) says why. */
		p->discarded = TRUE;
		hide_locked(m, p);
	} else {
		p->sent = TRUE;
		p->uidvalidity = uidv;
		p->uid = uid;
		if (fs_outbox_is(p->mailbox))
			hide_locked(m, p); /* sent: gone from the outbox */
	}
	close_fd(&p->fd);
	g_mutex_unlock(&table_lock);
	return err;
}

void fs_write_flush(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	Handle *h = handle_of(fi);

	/* close(2) in a child that inherited the descriptor (a shell's "{ a; b; } >F")
	 * is not the end of the writing: the opener's close, or the last release, is. */
	pid_t tid = fuse_req_ctx(req)->pid;

	if (tid != h->opener_tid && tgid_of(tid) != h->opener) {
		fuse_reply_err(req, 0);
		return;
	}
	fuse_reply_err(req, send_file(m, h->p));
}

void fs_write_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	Pending *p = handle_of(fi)->p;
	gboolean last;
	guint32 uid;
	int err = 0;

	g_mutex_lock(&table_lock);
	last = p->handles == 1;
	g_mutex_unlock(&table_lock);
	/* Normally flush has sent it already; this is for a close without a flush. */
	if (last)
		err = send_file(m, p);
	if (err)
		g_printerr("imapfs: warning: a new message in %s could not be stored: %s\n",
			   p->mailbox, g_strerror(err));
	g_mutex_lock(&table_lock);
	if (--p->handles == 0) {
		close_fd(&p->fd); /* an empty file starts a new one when reopened */
		/* A UID-like name for a message with another UID would mislead: drop it. */
		if (p->sent && p->name && fs_msg_name_parse(p->name, &uid) && uid != p->uid)
			hide_locked(m, p);
		maybe_drop_locked(p);
	}
	g_mutex_unlock(&table_lock);
	g_free(handle_of(fi));
	fuse_reply_err(req, 0);
}

/* ---- attributes, flags, unlink, rename ---------------------------------------------- */

void fs_write_setattr(fuse_req_t req, FsMount *m, guint64 nodeid, struct stat *attr, int to_set)
{
	struct stat st;
	Pending *p;
	int err = 0;

	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	if (!p || p->discarded)
		err = ENOENT;
	else if ((to_set & FUSE_SET_ATTR_SIZE) && (p->sent || p->sending || attr->st_size < 0 ||
						   (guint64)attr->st_size > FS_WRITE_MAX_SIZE))
		err = p->sent || p->sending ? EPERM : EFBIG;
	else if ((to_set & FUSE_SET_ATTR_SIZE) && p->fd < 0 &&
		 (p->fd = fs_write_open_data_file(m)) < 0)
		err = -p->fd;
	else if ((to_set & FUSE_SET_ATTR_SIZE) && ftruncate(p->fd, attr->st_size) != 0)
		err = p->failed = errno; /* the file is not the size its writer asked for */
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		p->size = (guint64)attr->st_size;
	/* Times, mode and owner: accepted, as for messages; IMAP cannot keep them. */
	if (!err)
		pending_attr(m, p, &st);
	g_mutex_unlock(&table_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, 1.0);
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
	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
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
	g_mutex_unlock(&table_lock);
	if (!err && mailbox)
		err = fs_modify_store_flags(m, mailbox, uidv, uid, flags);
	fuse_reply_err(req, err);
}

gboolean fs_write_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	Pending *p;

	g_mutex_lock(&table_lock);
	p = find_locked(parent->mailbox, name);
	if (p) {
		/* Before close: nothing is sent. After: only the name goes; the message keeps
		 * its UID name, and rm of that removes it. */
		if (!p->sent)
			p->discarded = TRUE;
		g_clear_pointer(&p->name, g_free);
	}
	g_mutex_unlock(&table_lock);
	if (p)
		fuse_reply_err(req, 0);
	return p != NULL;
}

gboolean fs_write_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
			 const FsNode *newparent, const char *newname)
{
	Pending *p, *old;
	guint32 uid;
	int err = 0;

	g_mutex_lock(&table_lock);
	p = find_locked(parent->mailbox, name);
	if (!p) {
		g_mutex_unlock(&table_lock);
		return FALSE;
	}
	if (strcmp(parent->mailbox, newparent->mailbox) != 0) {
		err = EXDEV; /* mv copies and unlinks: an APPEND there, nothing sent here */
	} else if (strlen(newname) > FS_NAME_MAX) {
		err = ENAMETOOLONG;
	} else if (p->sent && fs_msg_name_parse(newname, &uid)) {
		/* rsync's temporary file becoming 0000000123.eml: the message exists under its
		 * own UID name already; the kernel must look NEWNAME up again. */
		g_clear_pointer(&p->name, g_free);
		fs_notify_entry(m, newparent->nodeid, newname);
	} else {
		old = find_locked(newparent->mailbox, newname);
		if (old && old != p) {
			if (!old->sent)
				old->discarded = TRUE; /* replaced before it was closed */
			g_clear_pointer(&old->name, g_free);
		}
		g_free(p->name);
		p->name = g_strdup(newname);
	}
	g_mutex_unlock(&table_lock);
	fuse_reply_err(req, err);
	return TRUE;
}

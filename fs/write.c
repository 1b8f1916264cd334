/* imapfs fs — new files: create, write, and APPEND at close (see write.h).
 *
 * Life of a pending file: create (an unnamed 0600 file in the cache directory takes the
 * data), write, close -> flush: APPEND, and close(2) gets its errno. The message then
 * keeps the name it was written under (the folder's names, fs/folder.h), so a rename
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
#include "fs/write.h"

#define FH_TAG 1u /* low bit of fi->fh: a handle of this file, not read.c's */
#define DEFER_US (3 * G_USEC_PER_SEC)	     /* a temporary file never renamed is sent then */
#define REDATE_US (15 * 60 * G_USEC_PER_SEC) /* how long a stored file may be re-dated */
#define RECENT_MAX 65536

typedef struct {
	guint64 nodeid;
	guint64 ino;	 /* the kernel's inode number of its open files */
	guint64 nlookup; /* the kernel's lookups */
	guint handles;	 /* open handles */
	char *mailbox;
	char *name;	  /* the name it is written under; NULL once hidden */
	gboolean by_name; /* lookups find it by NAME (FALSE: opened through a message) */
	guint64 parent;
	int fd; /* the data while not sent, or -1 */
	guint64 size;
	gint64 mtime;
	gboolean mtime_set; /* by the writer: it becomes the INTERNALDATE */
	char **flags;	    /* for the APPEND (user.imap.flags set before close) */
	gboolean sent, discarded;
	gboolean sending;  /* an APPEND of it is under way (data frozen) */
	gboolean dirty;	   /* written or truncated since it was opened */
	int failed;	   /* errno of a failed write or truncate: never sent, close fails */
	gboolean logged;   /* the reason it will not be sent is in the log already */
	gboolean deferred; /* rsync's temporary name: sent at its rename */
	gint64 closed_at;  /* monotonic us of its last close, while deferred */
	/* The message it replaces once stored (0: none), and whether the data file still
	 * has to be filled with that message's bytes before a write (open without O_TRUNC). */
	guint32 old_uidv, old_uid;
	gboolean cow;
	guint32 uidvalidity, uid; /* once sent; uid 0 when the server did not say */
} Pending;

static GMutex table_lock;
static GHashTable *table;  /* nodeid -> Pending (owned) */
static GHashTable *recent; /* "uidv:uid:mailbox" -> monotonic us it was stored */
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

/* The table lock guards every pending file's fields. It is never held across a round
 * trip: the APPEND runs with the file marked "sending" (its data frozen) and kept alive
 * by the handle being closed (or by the sender holding a handle count). */
static Pending *get_locked(guint64 nodeid)
{
	return g_hash_table_lookup(table_locked(), &nodeid);
}

/* A file being written under NAME (not sent yet): it is what NAME shows. */
static Pending *find_locked(const char *mailbox, const char *name)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, table_locked());
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
static void maybe_drop_locked(Pending *p)
{
	if (p->nlookup == 0 && p->handles == 0 && !(p->deferred && !p->sent && !p->discarded))
		g_hash_table_remove(table_locked(), &p->nodeid);
}

/* Make room: forget the oldest entries that only alias sent or dropped files. */
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

/* ---- messages stored lately (they may still be re-dated) ---------------------------- */

static char *recent_key(const char *mailbox, guint32 uidv, guint32 uid)
{
	return g_strdup_printf("%u:%u:%s", uidv, uid, mailbox);
}

static void recent_note_locked(const char *mailbox, guint32 uidv, guint32 uid)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;

	if (!recent)
		recent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (g_hash_table_size(recent) >= RECENT_MAX) {
		g_hash_table_iter_init(&it, recent);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (now - *(gint64 *)v > REDATE_US)
				g_hash_table_iter_remove(&it);
		if (g_hash_table_size(recent) >= RECENT_MAX)
			g_hash_table_remove_all(recent);
	}
	g_hash_table_replace(recent, recent_key(mailbox, uidv, uid), g_memdup2(&now, sizeof(now)));
}

/* TRUE (and forgotten) when this mount stored the message within REDATE_US. */
static gboolean recent_take(const char *mailbox, guint32 uidv, guint32 uid)
{
	g_autofree char *key = recent_key(mailbox, uidv, uid);
	gint64 *at;
	gboolean yes;

	g_mutex_lock(&table_lock);
	at = recent ? g_hash_table_lookup(recent, key) : NULL;
	yes = at && g_get_monotonic_time() - *at <= REDATE_US;
	if (at)
		g_hash_table_remove(recent, key);
	g_mutex_unlock(&table_lock);
	return yes;
}

/* ---- attributes -------------------------------------------------------------------- */

static void pending_attr(FsMount *m, Pending *p, struct stat *st)
{
	FsMsgInfo mi;

	if (p->sent && p->uid &&
	    fs_folder_msg(fs_folders_get(m->folders, p->mailbox), p->uidvalidity, p->uid, &mi,
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

static void pending_entry(FsMount *m, Pending *p, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(e[0]));
	e->ino = p->nodeid;
	pending_attr(m, p, &e->attr);
	/* Short timeouts: what the name shows changes at close. */
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

gboolean fs_write_alias(guint64 nodeid, FsNode *out, char **flags)
{
	gboolean found = FALSE;
	Pending *p;

	*flags = NULL;
	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	if (p && !p->discarded) {
		found = TRUE;
		out->kind = FS_NODE_MSG;
		out->mailbox = g_strdup(p->mailbox);
		out->uidvalidity = p->sent ? p->uidvalidity : 0;
		out->uid = p->sent ? p->uid : 0;
		if (!p->sent)
			*flags = p->flags ? g_strjoinv(" ", p->flags) : g_strdup("");
	}
	g_mutex_unlock(&table_lock);
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
		h->opener = tgid_of(h->opener_tid);
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
	maybe_drop_locked(p);
}

static Pending *pending_new_locked(const char *mailbox, const char *name, guint64 parent, int fd)
{
	Pending *p = g_new0(Pending, 1);

	p->nodeid = next_id++;
	p->ino = p->nodeid;
	p->mailbox = g_strdup(mailbox);
	p->name = g_strdup(name);
	p->parent = parent;
	p->fd = fd;
	p->mtime = g_get_real_time() / G_USEC_PER_SEC;
	g_hash_table_insert(table_locked(), &p->nodeid, p);
	return p;
}

/* The message a new file called NAME replaces: *uid 0 when none. */
static int shown_msg(FsMount *m, const FsNode *parent, const char *name, guint32 *uidv,
		     guint32 *uid)
{
	g_autoptr(GError) error = NULL;

	*uidv = *uid = 0;
	if (fs_outbox_is(parent->mailbox))
		return 0;
	return fs_mount_find_msg(m, parent->mailbox, name, uidv, uid, &error)
		   ? 0
		   : fs_errno_from_error(error);
}

void fs_write_create(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		     struct fuse_file_info *fi)
{
	gboolean selectable = FALSE;
	guint32 old_uidv, old_uid;
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
	if (is_vim_swap(name)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((err = shown_msg(m, parent, name, &old_uidv, &old_uid)) != 0 ||
	    (old_uid && fi && (fi->flags & O_EXCL))) {
		fuse_reply_err(req, err ? err : EEXIST);
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
	p = pending_new_locked(parent->mailbox, name, parent->nodeid, fd);
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
	g_mutex_unlock(&table_lock);
}

void fs_write_open_message(fuse_req_t req, FsMount *m, const FsNode *node,
			   struct fuse_file_info *fi)
{
	guint64 parent = fs_inode_find_dir(m->inodes, node->mailbox);
	g_autofree char *name = NULL;
	FsMsgInfo mi;
	Pending *p;
	int fd;

	if (!fs_folder_msg(fs_folders_get(m->folders, node->mailbox), node->uidvalidity, node->uid,
			   &mi, NULL)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	name = fs_folder_msg_name(fs_folders_get(m->folders, node->mailbox), node->uidvalidity,
				  node->uid);
	fd = fs_write_open_data_file(m);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	g_mutex_lock(&table_lock);
	p = pending_new_locked(node->mailbox, name, parent, fd);
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
	g_mutex_unlock(&table_lock);
}

/* The data file gets the replaced message's bytes, before the first write or read
 * that needs them (vim truncates first: then nothing is fetched). Table lock held; it
 * is let go during the fetch, which P's open handle keeps alive. */
static int fill_cow_locked(FsMount *m, Pending *p)
{
	FsNode node = {.kind = FS_NODE_MSG, .uidvalidity = p->old_uidv, .uid = p->old_uid};
	guint64 size = 0;
	int err;

	if (!p->cow)
		return 0;
	node.mailbox = g_strdup(p->mailbox);
	p->cow = FALSE;
	p->sending = TRUE; /* frozen meanwhile */
	g_mutex_unlock(&table_lock);
	err = fs_read_copy(m, &node, p->fd, &size);
	g_mutex_lock(&table_lock);
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

	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
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
		g_mutex_unlock(&table_lock);
		if (err)
			fuse_reply_err(req, err);
		return;
	}
	g_mutex_unlock(&table_lock);
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
	Pending *p = handle_of(fi)->p;
	g_autofree char *buf = g_malloc(MAX(size, 1));
	ssize_t n = -1;
	int err;

	g_mutex_lock(&table_lock);
	err = fill_cow_locked(m, p);
	if (!err) {
		n = p->fd >= 0 ? pread(p->fd, buf, size, off) : -1;
		err = p->fd >= 0 ? errno : EIO;
	}
	g_mutex_unlock(&table_lock);
	if (n < 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* "Work/x.eml" for the log: the folder as the server names it, and the file. The
 * outbox logs its own refusals (the SMTP server's words). */
static void log_refused(const Pending *p, const char *why)
{
	if (fs_outbox_is(p->mailbox))
		return;
	g_printerr("imapfs: %s/%s: not stored: %s\n", p->mailbox, p->name ? p->name : "?",
		   why ? why : "unknown error");
}

/* The first bytes of a new file already show it cannot be a message (a picture, a
 * line of text): the write fails at once, so that even a shell's redirection, which
 * never looks at close(2), reports it. */
static int check_start_locked(Pending *p, const char *buf, size_t size, off_t off)
{
	if (off != 0 || p->old_uid || fs_outbox_is(p->mailbox) ||
	    fs_write_header_state(buf, MIN(size, FS_WRITE_HEADER_PEEK), FALSE) >= 0)
		return 0;
	log_refused(p, "not a message: it does not start with a header block");
	p->logged = TRUE;
	return EINVAL;
}

/* All of it or a failure: a short write (ENOSPC in the cache directory) would leave a
 * hole or a cut message. */
static int write_all(int fd, const char *buf, size_t size, off_t off)
{
	size_t done = 0;

	while (done < size) {
		ssize_t k = pwrite(fd, buf + done, size - done, off + (off_t)done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? errno : ENOSPC;
		done += (size_t)k;
	}
	return 0;
}

void fs_write_write(fuse_req_t req, FsMount *m, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	Pending *p = handle_of(fi)->p;
	int err = 0;

	g_mutex_lock(&table_lock);
	if (p->sent || p->sending)
		err = EPERM; /* the message exists now, and messages are immutable */
	else if (p->discarded || p->fd < 0)
		err = EIO;
	else if (p->failed)
		err = p->failed;
	else if (off < 0 || (guint64)off + size > FS_WRITE_MAX_SIZE)
		err = EFBIG;
	else if (!(err = check_start_locked(p, buf, size, off)) && !(err = fill_cow_locked(m, p)))
		err = write_all(p->fd, buf, size, off);
	if (err && err != EPERM && !p->sent && !p->sending && !p->discarded)
		p->failed = err; /* the data is incomplete now: close(2) must not send it */
	else if (!err) {
		p->size = MAX(p->size, (guint64)off + (guint64)size);
		p->dirty = TRUE;
	}
	g_mutex_unlock(&table_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, size);
}

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
	close_fd(&p->fd);
	if (fs_outbox_is(mailbox)) {
		fs_notify_entry(m, p->parent, name); /* sent: gone from the outbox */
		return;
	}
	if (uid)
		recent_note_locked(mailbox, uidv, uid);
	g_mutex_unlock(&table_lock);
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
	g_mutex_lock(&table_lock);
}

/* The APPEND of a flush, a release, a rename or the sweep: 0 or an errno. The caller
 * keeps P alive (an open handle, or the table entry of a deferred file). FORCE: send
 * a deferred file now. */
static int send_file(FsMount *m, Pending *p, gboolean force)
{
	g_autofree char *why = NULL;
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
		if (!p->logged)
			log_refused(p, g_strerror(err));
		return err;
	}
	if (p->sent || p->discarded || p->sending || p->fd < 0 || (p->old_uid && !p->dirty)) {
		/* Nothing (new) to send: opened for writing and left as it was, or the close
		 * of a dup after the file was sent. */
		g_mutex_unlock(&table_lock);
		return 0;
	}
	if (p->deferred && !force) {
		g_autofree char *head = g_malloc(FS_WRITE_HEADER_PEEK);
		ssize_t n = pread(p->fd, head, (size_t)MIN(FS_WRITE_HEADER_PEEK, p->size), 0);

		/* Sent at its rename; close(2) still says when it is not a message. */
		why = n >= 0 ? fs_write_not_a_message(head, (gsize)n, p->size) : NULL;
		if (why) {
			p->discarded = TRUE;
			hide_locked(m, p);
			close_fd(&p->fd);
		}
		g_mutex_unlock(&table_lock);
		if (why)
			log_refused(p, why);
		return why ? EINVAL : 0;
	}
	p->sending = TRUE;
	g_mutex_unlock(&table_lock);
	err = fs_write_append(m, p->mailbox, p->flags, p->mtime_set ? p->mtime : 0, p->fd, p->size,
			      &uidv, &uid, &why);
	g_mutex_lock(&table_lock);
	p->sending = FALSE;
	p->deferred = FALSE;
	if (err) {
		/* Refused: the data goes, and the name too; close(2) says why. The message it
		 * would have replaced stays. */
		p->discarded = TRUE;
		hide_locked(m, p);
		close_fd(&p->fd);
		g_mutex_unlock(&table_lock);
		log_refused(p, why);
		return err;
	}
	sent_locked(m, p, uidv, uid);
	g_mutex_unlock(&table_lock);
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
	Handle *h = handle_of(fi);
	gboolean empty;
	guint64 ino;

	/* close(2) in a child that inherited the descriptor (a shell's "{ a; b; } >F")
	 * is not the end of the writing: the opener's close, or the last release, is. */
	pid_t tid = fuse_req_ctx(req)->pid;

	if (tid != h->opener_tid && tgid_of(tid) != h->opener) {
		fuse_reply_err(req, 0);
		return;
	}
	g_mutex_lock(&table_lock);
	empty = h->p->size == 0 && !h->p->sent;
	ino = h->p->ino;
	g_mutex_unlock(&table_lock);
	if (empty && other_fd_open(h->opener, ino)) {
		fuse_reply_err(req, 0);
		return;
	}
	fuse_reply_err(req, send_file(m, h->p, FALSE));
}

void fs_write_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	Pending *p = handle_of(fi)->p;
	gboolean last;
	int err = 0;

	g_mutex_lock(&table_lock);
	last = p->handles == 1;
	g_mutex_unlock(&table_lock);
	/* Normally flush has sent it already; this is for a close without a flush. */
	if (last)
		err = send_file(m, p, FALSE);
	(void)err; /* send_file logged it */
	g_mutex_lock(&table_lock);
	if (--p->handles == 0) {
		if (p->deferred)
			p->closed_at = g_get_monotonic_time();
		else
			close_fd(&p->fd); /* an empty file starts a new one when reopened */
		maybe_drop_locked(p);
	}
	g_mutex_unlock(&table_lock);
	g_free(handle_of(fi));
	fuse_reply_err(req, 0);
}

/* Deferred files whose writer closed them and did not rename them: sent now. */
static GPtrArray *due_locked(gboolean all)
{
	GPtrArray *due = g_ptr_array_new();
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, table_locked());
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

	if (!table)
		return;
	g_mutex_lock(&table_lock);
	due = due_locked(all);
	g_mutex_unlock(&table_lock);
	for (guint i = 0; i < due->len; i++) {
		Pending *p = g_ptr_array_index(due, i);

		send_file(m, p, TRUE); /* a failure is logged: nobody waits for it */
		g_mutex_lock(&table_lock);
		p->handles--;
		p->deferred = FALSE;
		maybe_drop_locked(p);
		g_mutex_unlock(&table_lock);
	}
}

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
	if ((err = fill_cow_locked(m, p)) != 0)
		return err;
	if (ftruncate(p->fd, size) != 0)
		return p->failed = errno; /* the file is not the size its writer asked for */
	p->size = (guint64)size;
	p->dirty = TRUE;
	return 0;
}

static void setattr_pending(fuse_req_t req, FsMount *m, Pending *p, struct stat *attr, int to_set)
{
	struct stat st;
	int err = 0;

	g_mutex_lock(&table_lock);
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
		pending_attr(m, p, &st);
	g_mutex_unlock(&table_lock);
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
		setattr_pending(req, m, handle_of(fi)->p, attr, to_set);
		return;
	}
	g_mutex_lock(&table_lock);
	p = get_locked(nodeid);
	g_mutex_unlock(&table_lock);
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
		/* Before it is sent: nothing is sent, and the message it would have replaced
		 * stays. */
		p->discarded = TRUE;
		p->by_name = FALSE;
		if (!p->sending) /* an APPEND or a copy reading it closes it afterwards */
			close_fd(&p->fd);
		maybe_drop_locked(p);
	}
	g_mutex_unlock(&table_lock);
	if (p)
		fuse_reply_err(req, 0);
	return p != NULL;
}

/* Renames pending P within its folder to NEWNAME (table lock held): 0 or an errno. */
static int rename_pending_locked(FsMount *m, Pending *p, const FsNode *newparent,
				 const char *newname, unsigned int flags)
{
	guint32 old_uidv, old_uid;
	Pending *other = find_locked(newparent->mailbox, newname);
	int err;

	if (other == p)
		return 0;
	g_mutex_unlock(&table_lock);
	err = shown_msg(m, newparent, newname, &old_uidv, &old_uid);
	g_mutex_lock(&table_lock);
	if (err)
		return err;
	if ((flags & RENAME_NOREPLACE) && (other || old_uid))
		return EEXIST;
	other = find_locked(newparent->mailbox, newname);
	if (other && other != p) {
		other->discarded = TRUE; /* replaced before it was closed */
		other->by_name = FALSE;
		maybe_drop_locked(other);
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

	g_mutex_lock(&table_lock);
	p = find_locked(parent->mailbox, name);
	if (!p) {
		g_mutex_unlock(&table_lock);
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
	 * times rsync set meanwhile. The rename's result says whether it was stored. */
	if (!err && p->deferred && p->handles == 1)
		send = TRUE;
	if (!err)
		p->deferred = FALSE;
	g_mutex_unlock(&table_lock);
	if (send)
		err = send_file(m, p, TRUE);
	g_mutex_lock(&table_lock);
	p->handles--;
	if (p->deferred && p->handles == 0)
		p->closed_at = g_get_monotonic_time();
	maybe_drop_locked(p);
	g_mutex_unlock(&table_lock);
	fuse_reply_err(req, err);
	return TRUE;
}

/* ---- dates set after close (restic restore) ----------------------------------------- */

int fs_write_redate(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid, gint64 mtime)
{
	FsNode node = {.kind = FS_NODE_MSG, .uidvalidity = uidv, .uid = uid};
	g_autofree char *flags = NULL, *name = NULL, *why = NULL;
	g_auto(GStrv) flagv = NULL;
	FsFolder *f = fs_folders_get(m->folders, mailbox);
	guint32 nv = 0, nu = 0;
	guint64 size = 0;
	FsMsgInfo mi;
	int fd, err;

	if (!fs_folder_msg(f, uidv, uid, &mi, &flags))
		return ENOENT;
	if (mi.internaldate == mtime || !recent_take(mailbox, uidv, uid))
		return 0; /* an older message: touch does not upload it again */
	fd = fs_write_open_data_file(m);
	if (fd < 0)
		return -fd;
	node.mailbox = (char *)mailbox;
	name = fs_folder_msg_name(f, uidv, uid);
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
		g_mutex_lock(&table_lock);
		recent_note_locked(mailbox, nv, nu);
		g_mutex_unlock(&table_lock);
	}
	return 0;
}

/* imapfs fs — open/read/release of message files.
 *
 * A cache hit reads the cache file. On a miss a small message is fetched whole,
 * together with the next few uncached messages of the folder in one pipelined burst
 * (grep -r, tar and rsync open files in name order, so the next open is then a cache
 * hit), and stored in the cache. A large message is read by partial fetches in
 * growing chunks. When the cache cannot take a body, reads are served from memory or
 * the spool file instead: a full cache disk is never a read error.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "fs/errno-map.h"
#include "mail/failed.h"
#include "fs/mount.h"
#include "fs/read-kept.h"
#include "fs/write.h"

#define CHUNK_MIN (256 * 1024)
#define CHUNK_MAX (8 * 1024 * 1024)

typedef struct {
	GMutex lock;
	int fd;		/* cache file, or -1 */
	ImapBody *body; /* whole body in memory, or NULL */
	/* In the cache index, not opened yet: an open served from the page cache (grep -r
	 * of a warm mount) then costs no file access at all; the first read loads it. */
	gboolean lazy;
	guint64 size;
	char *mailbox;
	guint32 uidvalidity, uid;
	guint64 nodeid;
	/* Large messages: the last partial chunk and the size of the next. */
	ImapBody *chunk;
	guint64 chunk_off;
	guint64 next_len;
} FsFile;

static void file_free(FsFile *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	imap_body_unref(h->body);
	imap_body_unref(h->chunk);
	g_free(h->mailbox);
	g_mutex_clear(&h->lock);
	g_free(h);
}

void fs_mount_cache_warning(FsMount *m, const GError *error)
{
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
		return; /* bigger than the whole cache: expected, not a fault */
	if (g_atomic_int_compare_and_exchange(&m->cache_warned, 0, 1))
		g_printerr("imapfs: warning: the cache cannot store bodies (%s); reading "
			   "without it\n",
			   error ? error->message : "unknown error");
}

static gboolean store_body(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid,
			   ImapBody *body)
{
	g_autoptr(GError) err = NULL;
	GBytes *bytes = imap_body_get_bytes(body);
	gboolean ok;

	if (!m->cache)
		return FALSE;
	if (bytes) {
		gsize len;
		const void *data = g_bytes_get_data(bytes, &len);

		ok = cache_body_store_bytes(m->cache, mailbox, uidvalidity, uid, data, len, &err);
	} else {
		ok = cache_body_store_fd(m->cache, mailbox, uidvalidity, uid,
					 imap_body_get_fd(body), imap_body_get_size(body), &err);
	}
	if (!ok)
		fs_mount_cache_warning(m, err);
	return ok;
}

/* ---- whole-message fetch with prefetch -------------------------------------------- */

typedef struct {
	FsMount *m;
	const char *mailbox;
	guint32 uidvalidity, want_uid;
	ImapBody *want; /* the body of want_uid */
	guint n;
	const FsNode *node;
	GArray *uids; /* of guint32: the batch to fetch */
} Batch;

static void batch_body(const ImapFetchData *fd, gpointer data)
{
	Batch *b = data;

	if (!(fd->fields & IMAP_FETCH_BODY) || !fd->body || !(fd->fields & IMAP_FETCH_UID))
		return;
	/* Partial or section bodies are not the whole message. */
	if (fd->body_origin >= 0 || (fd->body_section && *fd->body_section))
		return;
	b->n++;
	/* Off the reader's path: the spool writes the cache in the background. */
	if (!fs_readahead_keep(b->m->readahead, b->m, b->mailbox, b->uidvalidity, fd->uid,
			       fd->body))
		store_body(b->m, b->mailbox, b->uidvalidity, fd->uid, fd->body);
	if (fd->uid == b->want_uid && !b->want)
		b->want = imap_body_ref(fd->body);
}

/* The index only: opening and verifying 64 files per miss would cost more than a
 * refetch of the rare damaged one. */
static gboolean is_cached(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return m->cache && cache_body_has(m->cache, mailbox, uidvalidity, uid);
}

/* The message itself plus the next uncached small messages, within the limits. */
static GArray *batch_uids(FsMount *m, MailFolder *f, const FsNode *node, guint64 size)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GArray) next = NULL;
	guint64 total = size;

	g_array_append_val(uids, node->uid);
	if (!m->cache)
		return uids; /* nowhere to keep what we would prefetch */
	next = mail_folder_following(f, node->uidvalidity, node->uid, FS_PREFETCH_MAX_MSGS * 2);
	for (guint i = 0; i < next->len && uids->len < FS_PREFETCH_MAX_MSGS; i++) {
		MailMsgInfo *mi = &g_array_index(next, MailMsgInfo, i);

		if (mi->size > FS_SMALL_BODY || total + mi->size > FS_PREFETCH_MAX_BYTES)
			break;
		if (fs_readahead_in_flight(m->readahead, node->mailbox, node->uidvalidity,
					   mi->uid) ||
		    is_cached(m, node->mailbox, node->uidvalidity, mi->uid))
			continue;
		total += mi->size;
		g_array_append_val(uids, mi->uid);
	}
	return uids;
}

/* EXAMINE if needed and make sure UIDs still mean the same messages. */
static gboolean examine_checked(ImapSession *s, const FsNode *node, gboolean *fresh_out,
				GError **error)
{
	*fresh_out = FALSE;
	return imap_pool_examine_uidv(s, node->mailbox, node->uidvalidity, fresh_out, error);
}

/* One attempt (imap_pool_run), from scratch. */
static gboolean fetch_batch(ImapSession *s, gpointer data, GError **error)
{
	Batch *b = data;
	guint32 *uids = (guint32 *)(void *)b->uids->data;
	gboolean fresh = FALSE, ok;

	g_clear_pointer(&b->want, imap_body_unref);
	b->n = 0;
	ok = examine_checked(s, b->node, &fresh, error);
	if (ok) {
		MAIL_STAT_INC(&b->m->stats, body_fetches);
		ok = imap_session_fetch_bodies(s, uids, b->uids->len, batch_body, b, error);
	}
	/* A message stored a moment ago on another connection: a session that had the
	 * folder open may not know it before a NOOP tells it. */
	if (ok && !b->want && !fresh && imap_session_noop(s, NULL))
		ok = imap_session_fetch_bodies(s, uids, b->uids->len, batch_body, b, error);
	g_atomic_int_add(&b->m->stats.bodies_fetched, (gint)b->n);
	return ok;
}

static ImapBody *fetch_whole(FsMount *m, MailFolder *f, const FsNode *node, guint64 size,
			     GError **error)
{
	g_autoptr(GArray) uids = batch_uids(m, f, node, size);
	Batch b = {m, node->mailbox, node->uidvalidity, node->uid, NULL, 0, node, uids};

	if (mail_failed_recent(m->failed, node->mailbox, node->uidvalidity, node->uid, error))
		return NULL;
	if (!imap_pool_run(m->pool, node->mailbox, fetch_batch, &b, error)) {
		mail_failed_note(m->failed, node->mailbox, node->uidvalidity, node->uid,
				 error ? *error : NULL);
		imap_body_unref(b.want);
		return NULL;
	}
	/* Keep fetching ahead of the reader while it consumes this burst. */
	fs_readahead_note(m->readahead, f, node->uidvalidity, node->uid,
			  g_array_index(uids, guint32, uids->len - 1));
	if (!b.want)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "message was expunged");
	return b.want;
}

/* ---- open ----------------------------------------------------------------------- */

/* RFC822.SIZE was wrong: st_size becomes the body's. A longer body: the kernel must ask
 * for the size again before this request is answered, or it stops at the size it
 * holds. A shorter one: the short read that follows tells it, and any notification of
 * ours would make it drop that (and a size it asked for meanwhile) as outdated. */
static void correct_size(FsMount *m, MailFolder *f, const FsNode *node, guint64 real)
{
	MailMsgInfo was;

	if (mail_folder_msg(f, node->uidvalidity, node->uid, &was, NULL) &&
	    mail_folder_set_size(f, node->uidvalidity, node->uid, real) && real > was.size)
		fs_notify_attr_now(m, node->nodeid);
}

static int open_miss(FsMount *m, MailFolder *f, const FsNode *node, guint64 size, FsFile *h)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ImapBody) body = NULL;
	guint64 real;

	if (size > FS_SMALL_BODY) {
		h->size = size;
		h->next_len = CHUNK_MIN;
		return 0;
	}
	body = fetch_whole(m, f, node, size, &err);
	if (!body)
		return fs_mount_msg_errno(m, node->mailbox, node->uidvalidity, node->uid,
					  "cannot read", err);
	real = imap_body_get_size(body);
	if (real != size)
		correct_size(m, f, node, real);
	/* Served from memory: the cache file may not be written yet (spool.h). */
	h->size = real;
	h->body = g_steal_pointer(&body);
	return 0;
}

/* The body of H from its cache file, checked against the file's trailer before any
 * byte is served or its length reported: into H->body (small) or H->fd, *REAL its
 * length. FALSE on a miss (the cache drops and logs a damaged file). */
static gboolean open_cached(FsMount *m, FsFile *h, guint64 *real)
{
	g_autoptr(GBytes) bytes =
	    cache_body_load(m->cache, h->mailbox, h->uidvalidity, h->uid, FS_SMALL_BODY);

	if (bytes) {
		h->body = imap_body_new_bytes(bytes);
		*real = g_bytes_get_size(bytes);
		return TRUE;
	}
	h->fd = cache_body_open(m->cache, h->mailbox, h->uidvalidity, h->uid, real);
	return h->fd >= 0;
}

/* A body fetched a moment ago (still in memory), else one the cache has. Only a length
 * the cache has verified lets the file wait for the first read (lazy); otherwise (after
 * a remount) the file is checked now, as its size would be a guess. */
static void open_held(FsMount *m, const FsNode *node, FsFile *h)
{
	h->body = fs_readahead_body(m->readahead, node->mailbox, node->uidvalidity, node->uid);
	if (h->body)
		h->size = imap_body_get_size(h->body);
	else if (m->cache &&
		 cache_body_peek(m->cache, node->mailbox, node->uidvalidity, node->uid, &h->size))
		h->lazy = TRUE;
	else if (m->cache && cache_body_has(m->cache, node->mailbox, node->uidvalidity, node->uid))
		open_cached(m, h, &h->size);
}

static gboolean is_held(const FsFile *h)
{
	return h->lazy || h->body || h->fd >= 0;
}

/* The open of NODE's message: *OUT a handle (cache hit, or fetched), or an errno. */
static int open_file(FsMount *m, const FsNode *node, FsFile **out)
{
	MailFolder *f = mail_folders_get(m->folders, node->mailbox);
	MailMsgInfo info;
	FsFile *h;
	int err;

	if (!mail_folder_msg(f, node->uidvalidity, node->uid, &info, NULL))
		return ENOENT;
	h = g_new0(FsFile, 1);
	g_mutex_init(&h->lock);
	h->fd = -1;
	h->mailbox = g_strdup(node->mailbox);
	h->uidvalidity = node->uidvalidity;
	h->uid = node->uid;
	h->nodeid = node->nodeid;
	open_held(m, node, h);
	/* Being fetched in the background: wait for it rather than fetch it twice. */
	if (!is_held(h) &&
	    fs_readahead_wait(m->readahead, node->mailbox, node->uidvalidity, node->uid))
		open_held(m, node, h);
	if (is_held(h)) {
		fs_readahead_note(m->readahead, f, node->uidvalidity, node->uid, 0);
		MAIL_STAT_INC(&m->stats, cache_hits);
		if (h->size != info.size)
			correct_size(m, f, node, h->size);
	} else if ((err = open_miss(m, f, node, info.size, h)) != 0) {
		file_free(h);
		return err;
	}
	fs_push_note(m->push, f, node->uidvalidity, node->uid);
	*out = h;
	return 0;
}

void fs_read_open(fuse_req_t req, FsMount *m, const FsNode *node, struct fuse_file_info *fi)
{
	FsFile *h = NULL;
	int err;

	MAIL_STAT_INC(&m->stats, opens);
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		if (m->opts->ro)
			fuse_reply_err(req, EROFS);
		else
			fs_write_open_message(req, m, node, fi); /* writing replaces it */
		return;
	}
	/* Read-only: no open at all (reads without an open, below), so a warm read costs
	 * no round trip. The kernel asks once; ENOSYS tells it never to ask again. */
	if (m->opts->ro) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if ((err = open_file(m, node, &h)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1; /* bodies are immutable */
	fi->noflush = 1;    /* nothing to flush: close(2) need not wait for us */
	if (fuse_reply_open(req, fi) != 0)
		file_free(h);
}

/* ---- reads without an open (read-only mounts) --------------------------------------
 *
 * One round trip per open is the floor of grep -r over a warm folder (30-60 us each on
 * a small VM, several times what grep itself needs per file). A read-write mount needs
 * it: close() must report a failed APPEND, which takes FLUSH, and once a mount skips
 * OPEN the kernel sends a FLUSH for every close instead. A read-only mount has nothing
 * to report at close, so it answers OPEN and FLUSH with ENOSYS and the kernel stops
 * sending both (and RELEASE). A READ then arrives with no handle: the handle is made
 * as an open would, and the last few are kept by nodeid, so that the READs of one
 * large file share its partial-fetch state (a few: each may hold a chunk of up to
 * CHUNK_MAX). */

#define NO_OPEN_HANDLES 8

void fs_read_start(FsMount *m)
{
	m->kept = fs_kept_new(NO_OPEN_HANDLES, (GDestroyNotify)file_free);
}

void fs_read_forget_handles(FsMount *m)
{
	fs_kept_free(g_steal_pointer(&m->kept));
}

/* The kept handle of NODEID (a reference), made if need be; NULL with *err set. */
static FsKeptRef *kept_get(FsMount *m, guint64 nodeid, int *err)
{
	const FsNode *node = fs_inode_get(m->inodes, nodeid);
	FsKeptRef *k = fs_kept_find(m->kept, nodeid);
	FsFile *h = NULL;

	if (k)
		return k;
	if (!node || node->kind != FS_NODE_MSG) {
		*err = node ? EISDIR : ENOENT;
		return NULL;
	}
	if ((*err = open_file(m, node, &h)) != 0)
		return NULL;
	return fs_kept_add(m->kept, nodeid, h);
}

/* ---- read ----------------------------------------------------------------------- */

static gboolean chunk_has(const FsFile *h, guint64 off)
{
	return h->chunk && off >= h->chunk_off && off < h->chunk_off + imap_body_get_size(h->chunk);
}

typedef struct {
	FsMount *m;
	FsFile *h;
	guint64 off;
	ImapBody *chunk; /* owned; NULL: expunged */
} Chunk;

/* One partial fetch (imap_pool_run). */
static gboolean fetch_chunk_once(ImapSession *s, gpointer data, GError **error)
{
	Chunk *c = data;
	FsFile *h = c->h;
	FsNode node = {.mailbox = h->mailbox, .uidvalidity = h->uidvalidity, .uid = h->uid};
	gboolean fresh = FALSE, ok;

	g_clear_pointer(&c->chunk, imap_body_unref);
	ok = examine_checked(s, &node, &fresh, error);
	if (ok) {
		MAIL_STAT_INC(&c->m->stats, body_fetches);
		ok = imap_session_fetch_body(s, h->uid, c->off, h->next_len, &c->chunk, error);
	}
	if (ok && !c->chunk && !fresh && imap_session_noop(s, NULL)) /* as in fetch_batch */
		ok = imap_session_fetch_body(s, h->uid, c->off, h->next_len, &c->chunk, error);
	return ok;
}

/* What the chunk just fetched (ASKED bytes asked for) says of where the body ends:
 * a shorter one ends it; a full one reaching the size held (RFC822.SIZE is short, as
 * Exchange's can be) makes it at least a byte longer, until a chunk says where it ends.
 * The reader never stops at a wrong end: the kernel takes a short read for the end. */
static void learn_end(FsMount *m, FsFile *h, guint64 asked)
{
	FsNode node = {.mailbox = h->mailbox,
		       .uidvalidity = h->uidvalidity,
		       .uid = h->uid,
		       .nodeid = h->nodeid};
	guint64 got = imap_body_get_size(h->chunk), end = h->chunk_off + got;
	guint64 size = h->size;

	if (got < asked)
		size = end;
	else if (end >= h->size)
		size = end + 1;
	if (size != h->size) {
		h->size = size;
		correct_size(m, mail_folders_get(m->folders, h->mailbox), &node, size);
	}
}

/* Partial fetch of a large message; chunks grow while the reader goes forward. An
 * open file outlives its connection: a dead one is replaced and the fetch retried. */
static gboolean fetch_chunk(FsMount *m, FsFile *h, guint64 off, GError **error)
{
	Chunk c = {m, h, off, NULL};
	gboolean ok;

	if (h->chunk && off == h->chunk_off + imap_body_get_size(h->chunk))
		h->next_len = MIN(h->next_len * 2, CHUNK_MAX);
	else
		h->next_len = CHUNK_MIN;
	if (mail_failed_recent(m->failed, h->mailbox, h->uidvalidity, h->uid, error))
		return FALSE;
	ok = imap_pool_run(m->pool, h->mailbox, fetch_chunk_once, &c, error);
	if (!ok) {
		mail_failed_note(m->failed, h->mailbox, h->uidvalidity, h->uid,
				 error ? *error : NULL);
		imap_body_unref(c.chunk);
		return FALSE;
	}
	if (!c.chunk) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "message was expunged");
		return FALSE;
	}
	imap_body_unref(h->chunk);
	h->chunk = c.chunk;
	h->chunk_off = off;
	learn_end(m, h, h->next_len);
	return TRUE;
}

static gssize read_large(FsMount *m, FsFile *h, char *buf, size_t size, guint64 off, int *err)
{
	g_autoptr(GError) error = NULL;
	gsize done = 0;

	while (done < size && off + done < h->size) {
		guint64 pos = off + done;
		gssize n;

		/* An error, not the bytes so far: the kernel takes a short read for the end
		 * of the file and would shrink its size. */
		if (!chunk_has(h, pos) && !fetch_chunk(m, h, pos, &error)) {
			*err = fs_mount_msg_errno(m, h->mailbox, h->uidvalidity, h->uid,
						  "cannot read", error);
			return -1;
		}
		if (!chunk_has(h, pos))
			break; /* the body ended before the size held: learn_end() fixed it */
		n = imap_body_pread(h->chunk, buf + done, size - done, pos - h->chunk_off);
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	return (gssize)done;
}

/* First read of a file opened from the cache index. A small body is loaded whole (one
 * read, verified); a file gone or damaged since the open is fetched again. */
static int load_lazy(FsMount *m, FsFile *h)
{
	FsNode node = {.mailbox = h->mailbox,
		       .uidvalidity = h->uidvalidity,
		       .uid = h->uid,
		       .nodeid = h->nodeid}; /* correct_size() tells the kernel about it */
	MailFolder *f = mail_folders_get(m->folders, h->mailbox);
	g_autoptr(GError) err = NULL;
	guint64 real = h->size;

	h->lazy = FALSE;
	if (!open_cached(m, h, &real)) {
		if (h->size > FS_SMALL_BODY) {
			h->next_len = CHUNK_MIN; /* partial fetches, as for any large message */
			return 0;
		}
		h->body = fetch_whole(m, f, &node, h->size, &err);
		if (!h->body)
			return fs_mount_msg_errno(m, h->mailbox, h->uidvalidity, h->uid,
						  "cannot read", err);
		real = imap_body_get_size(h->body);
	}
	if (real != h->size) {
		correct_size(m, f, &node, real);
		h->size = real;
	}
	return 0;
}

static void read_handle(fuse_req_t req, FsMount *m, FsFile *h, size_t size, off_t off);

void fs_read_read(fuse_req_t req, FsMount *m, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	FsKeptRef *k;
	int err = EIO;

	MAIL_STAT_INC(&m->stats, reads);
	if (fi->fh) {
		read_handle(req, m, (FsFile *)(uintptr_t)fi->fh, size, off);
		return;
	}
	if (!(k = kept_get(m, ino, &err))) {
		fuse_reply_err(req, err);
		return;
	}
	read_handle(req, m, fs_kept_handle(k), size, off);
	fs_kept_unref(k);
}

/* ERR of a read of the cache file (or spool) under H; an EIO (a failing disk) logged. */
static int local_failed(FsMount *m, const FsFile *h, int err)
{
	g_autoptr(GError) error = NULL;

	if (err != EIO)
		return err;
	error = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "the cached copy: %s", g_strerror(err));
	return fs_mount_msg_errno(m, h->mailbox, h->uidvalidity, h->uid, "cannot read", error);
}

/* Up to SIZE bytes at OFF of H into BUF: the count (0 at the end), or -1 and *ERR. */
static gssize read_at(FsMount *m, FsFile *h, char *buf, size_t size, off_t off, int *err)
{
	gssize n = 0;

	g_mutex_lock(&h->lock);
	if (h->lazy && (*err = load_lazy(m, h)) != 0) {
		g_mutex_unlock(&h->lock);
		return -1;
	}
	*err = EIO;
	if (off < 0 || (guint64)off >= h->size) {
		g_mutex_unlock(&h->lock);
		return 0;
	}
	/* A large body's size may grow while it is read (learn_end). */
	if (h->fd >= 0 || h->body)
		size = (size_t)MIN((guint64)size, h->size - (guint64)off);
	if (h->fd >= 0)
		n = pread(h->fd, buf, size, off);
	else if (h->body)
		n = imap_body_pread(h->body, buf, size, (guint64)off);
	else
		n = read_large(m, h, buf, size, (guint64)off, err);
	if (n < 0 && (h->fd >= 0 || h->body))
		*err = local_failed(m, h, errno);
	g_mutex_unlock(&h->lock);
	return n;
}

static void read_handle(fuse_req_t req, FsMount *m, FsFile *h, size_t size, off_t off)
{
	g_autofree char *buf = g_malloc(MAX(size, 1));
	int err = EIO;
	gssize n = read_at(m, h, buf, size, off, &err);

	if (n < 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

int fs_read_copy(FsMount *m, const FsNode *node, int fd, guint64 *size)
{
	g_autofree char *buf = g_malloc(CHUNK_MIN);
	FsFile *h = NULL;
	guint64 off = 0;
	int err = open_file(m, node, &h);

	while (!err) {
		int rerr = 0;
		gssize n = read_at(m, h, buf, CHUNK_MIN, (off_t)off, &rerr);

		if (n < 0)
			err = rerr;
		if (n <= 0)
			break;
		if (pwrite(fd, buf, (size_t)n, (off_t)off) != n)
			err = errno ? errno : EIO;
		off += (guint64)n;
	}
	file_free(h);
	if (!err && ftruncate(fd, (off_t)off) != 0)
		err = errno;
	*size = off;
	return err;
}

void fs_read_release(fuse_req_t req, FsMount *m, struct fuse_file_info *fi)
{
	file_free((FsFile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* imapfs fs — message bodies put into the kernel's page cache ahead of a reader.
 * See push.h for why. */
#include "fs/push.h"

#include <errno.h>

#include "fs/mount.h"

/* Per folder: which messages (a run lo..hi in UID order) are pushed already, and when
 * the reader has come far enough into them to push the next ones. GEN changes whenever
 * the run starts again, so that a job of an older run changes nothing. */
typedef struct {
	guint32 uidvalidity;
	guint32 lo, hi;
	guint32 refill_at; /* a note at or past this UID queues the next job */
	guint32 last;	   /* the UID of the last note: pushing waits for a second, later one */
	guint gen;
	gboolean queued;
} Track;

typedef struct {
	char *mailbox;
	guint32 uidvalidity, uid;
	guint gen;
} Job;

struct FsPush {
	FsMount *m;
	GThreadPool *worker;
	GMutex lock;
	GHashTable *tracks; /* mailbox -> Track */
	gint stopping;
	gint busy; /* the worker is inside a job */
	/* Loading a body (cache file, checksum) and handing it to the kernel take about
	 * as long each, so a second thread does the handing, in order, while the worker
	 * loads the next: STORING counts the bodies given to it and not done yet. */
	GThreadPool *storer;
	GCond stored;
	gint storing;
};

typedef struct {
	FsPush *p;
	guint64 nodeid;
	GBytes *bytes;
} Store;

typedef enum { PUSHED, SKIPPED, MISSING } Outcome;

static void job_free(gpointer data)
{
	Job *j = data;

	g_free(j->mailbox);
	g_free(j);
}

/* The body of a small message from memory (just fetched) or from the disk cache. */
static GBytes *body_bytes(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autoptr(ImapBody) body = fs_readahead_body(m->readahead, mailbox, uidvalidity, uid);

	if (body) {
		GBytes *b = imap_body_get_bytes(body);
		guint64 size = imap_body_get_size(body);
		g_autofree guint8 *buf = NULL;

		if (b)
			return g_bytes_ref(b); /* the body keeps its own */
		if (size > FS_SMALL_BODY)
			return g_bytes_new(NULL, 0); /* not loaded: its size already differs */
		buf = g_malloc(size ? size : 1);
		if (imap_body_pread(body, buf, size, 0) != (gssize)size)
			return NULL;
		return g_bytes_new_take(g_steal_pointer(&buf), size);
	}
	return m->cache ? cache_body_load(m->cache, mailbox, uidvalidity, uid, FS_SMALL_BODY)
			: NULL;
}

static void run_store(gpointer data, gpointer user_data)
{
	Store *st = data;
	FsPush *p = st->p;
	FsMount *m = p->m;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
	gsize len;

	if (!g_atomic_int_get(&p->stopping)) {
		bv.buf[0].mem = (void *)g_bytes_get_data(st->bytes, &len);
		bv.buf[0].size = len;
		/* Nodeids are never reused, so a node forgotten meanwhile only gives ENOENT. */
		if (fuse_lowlevel_notify_store(m->se, st->nodeid, 0, &bv, 0) == 0)
			MAIL_STAT_INC(&m->stats, pages_pushed);
	}
	g_bytes_unref(st->bytes);
	g_free(st);
	g_mutex_lock(&p->lock);
	p->storing--;
	g_cond_broadcast(&p->stored);
	g_mutex_unlock(&p->lock);
}

/* Waits until at most MAX bodies are waiting for the storer. */
static void wait_stored(FsPush *p, gint max)
{
	g_mutex_lock(&p->lock);
	while (p->storing > max)
		g_cond_wait(&p->stored, &p->lock);
	g_mutex_unlock(&p->lock);
}

static Outcome push_one(FsPush *p, const char *mailbox, guint32 uidvalidity, const MailMsgInfo *mi)
{
	FsMount *m = p->m;
	guint64 nodeid;
	GBytes *bytes;
	Store *st;

	/* Large bodies are read in parts, on demand; an empty one has no page to give. */
	if (mi->size == 0 || mi->size > FS_SMALL_BODY)
		return SKIPPED;
	nodeid = fs_inode_find_msg(m->inodes, mailbox, uidvalidity, mi->uid);
	if (!nodeid)
		return SKIPPED; /* the kernel has no inode to hold the pages */
	bytes = body_bytes(m, mailbox, uidvalidity, mi->uid);
	if (!bytes)
		return MISSING;
	/* Another size than the kernel was told: the open corrects it, not us. */
	if (g_bytes_get_size(bytes) != mi->size) {
		g_bytes_unref(bytes);
		return SKIPPED;
	}
	st = g_new0(Store, 1);
	st->p = p;
	st->nodeid = nodeid;
	st->bytes = bytes;
	wait_stored(p, 32);
	g_mutex_lock(&p->lock);
	p->storing++;
	g_mutex_unlock(&p->lock);
	g_thread_pool_push(p->storer, st, NULL);
	return PUSHED;
}

/* The job's run, if it is still the current one (caller holds the lock). */
static Track *track_of(FsPush *p, const Job *j)
{
	Track *t = g_hash_table_lookup(p->tracks, j->mailbox);

	return t && t->gen == j->gen && t->uidvalidity == j->uidvalidity ? t : NULL;
}

/* Records that UID (the next in order after the run) is pushed; FALSE when the run
 * started again or the reader has moved on, so that going on would push behind it. */
static gboolean extend(FsPush *p, const Job *j, guint32 uid)
{
	Track *t;
	gboolean on;

	g_mutex_lock(&p->lock);
	t = track_of(p, j);
	on = t && uid >= t->lo;
	if (on && uid > t->hi)
		t->hi = uid;
	g_mutex_unlock(&p->lock);
	return on;
}

static gboolean pushed(FsPush *p, const Job *j, guint32 uid)
{
	Track *t;
	gboolean in;

	g_mutex_lock(&p->lock);
	t = track_of(p, j);
	in = t && uid >= t->lo && uid <= t->hi;
	g_mutex_unlock(&p->lock);
	return in;
}

static void finish(FsPush *p, const Job *j, guint32 refill_at)
{
	Track *t;

	g_mutex_lock(&p->lock);
	t = g_hash_table_lookup(p->tracks, j->mailbox);
	if (t)
		t->queued = FALSE;
	if (t && track_of(p, j))
		t->refill_at = refill_at;
	g_mutex_unlock(&p->lock);
}

/* After a remount the cache files may be on disk only: have the disk read the whole
 * batch at once rather than one file after the other as the loading reaches them. */
static void prefetch(FsPush *p, const Job *j, GArray *next, guint n)
{
	FsMount *m = p->m;

	if (!m->cache)
		return;
	for (guint i = 0; i < n && !g_atomic_int_get(&p->stopping); i++) {
		const MailMsgInfo *mi = &g_array_index(next, MailMsgInfo, i);

		if (mi->size > 0 && mi->size <= FS_SMALL_BODY && !pushed(p, j, mi->uid))
			cache_body_prefetch(m->cache, j->mailbox, j->uidvalidity, mi->uid);
	}
}

static void run_job(gpointer data, gpointer user_data)
{
	Job *j = data;
	FsPush *p = user_data;
	FsMount *m = p->m;
	g_autoptr(GArray) next = NULL;
	guint64 bytes = 0;
	guint32 refill_at = 0, tripwire = 0;
	guint i, n;

	g_atomic_int_set(&p->busy, 1);
	if (g_atomic_int_get(&p->stopping))
		goto out; /* unmounting: the folders may be going */
	next = mail_folder_following(mail_folders_get(m->folders, j->mailbox), j->uidvalidity,
				     j->uid, FS_PUSH_AHEAD);
	/* This batch: as many as the byte budget allows, at least one. */
	for (n = 0; n < next->len; n++) {
		bytes += g_array_index(next, MailMsgInfo, n).size;
		if (n > 0 && bytes > FS_PUSH_AHEAD_BYTES)
			break;
	}
	/* Come back when the reader is half-way through it. A read-only mount sends no
	 * OPEN, and a pushed file costs no request at all, so that message is left for a
	 * READ, which tells us the reader got there. */
	if (n > 0)
		refill_at = g_array_index(next, MailMsgInfo, n / 2).uid;
	if (m->opts->ro && n > 1)
		tripwire = refill_at;
	prefetch(p, j, next, n);
	for (i = 0; i < n && !g_atomic_int_get(&p->stopping); i++) {
		const MailMsgInfo *mi = &g_array_index(next, MailMsgInfo, i);

		if (pushed(p, j, mi->uid))
			continue;
		if (mi->uid != tripwire && push_one(p, j->mailbox, j->uidvalidity, mi) == MISSING)
			break; /* not fetched yet: the next open tries again */
		if (!extend(p, j, mi->uid))
			break;
	}
	if (i < n)
		refill_at = 0; /* stopped early: the next note tries again */
	wait_stored(p, 0);
out:
	finish(p, j, refill_at);
	g_atomic_int_set(&p->busy, 0);
	job_free(j);
}

FsPush *fs_push_new(gpointer mount)
{
	FsMount *m = mount;
	FsPush *p;

	if (!m->readahead && !m->cache)
		return NULL; /* no body is ever at hand before the reader asks */
	p = g_new0(FsPush, 1);
	p->m = m;
	g_mutex_init(&p->lock);
	g_cond_init(&p->stored);
	p->tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* Threads of their own (exclusive): one loads, one hands over. */
	p->worker = g_thread_pool_new_full(run_job, p, job_free, 1, TRUE, NULL);
	p->storer = g_thread_pool_new(run_store, p, 1, TRUE, NULL);
	return p;
}

static void queue_job(FsPush *p, Track *t, const char *mailbox, guint32 uid)
{
	Job *j = g_new0(Job, 1);

	j->mailbox = g_strdup(mailbox);
	j->uidvalidity = t->uidvalidity;
	j->uid = uid;
	j->gen = t->gen;
	t->queued = TRUE;
	g_thread_pool_push(p->worker, j, NULL);
}

void fs_push_note(FsPush *p, MailFolder *f, guint32 uidvalidity, guint32 uid)
{
	const char *mailbox;
	gboolean onward;
	Track *t;

	if (!p || g_atomic_int_get(&p->stopping))
		return;
	mailbox = mail_folder_mailbox(f);
	g_mutex_lock(&p->lock);
	t = g_hash_table_lookup(p->tracks, mailbox);
	if (!t) {
		t = g_new0(Track, 1);
		g_hash_table_insert(p->tracks, g_strdup(mailbox), t);
	}
	/* One open is not a reader going through the folder; a second, further on is. */
	onward = t->uidvalidity == uidvalidity && t->last && uid > t->last;
	t->last = uid;
	if (t->uidvalidity != uidvalidity || uid < t->lo) {
		/* A new pass over the folder from further back. */
		t->uidvalidity = uidvalidity;
		t->lo = t->hi = uid;
		t->refill_at = 0;
		t->gen++;
	} else if (uid > t->hi) {
		/* The reader got ahead of the pushes: what it passed, its READs brought in. */
		t->hi = uid;
		t->refill_at = 0;
	}
	if (onward && !t->queued && uid >= t->refill_at)
		queue_job(p, t, mailbox, uid);
	g_mutex_unlock(&p->lock);
}

void fs_push_quit(FsPush *p)
{
	if (p)
		g_atomic_int_set(&p->stopping, 1);
}

gboolean fs_push_busy(FsPush *p)
{
	return p && g_atomic_int_get(&p->busy);
}

void fs_push_free(FsPush *p)
{
	if (!p)
		return;
	fs_push_quit(p);
	/* Queued jobs are dropped; a running one sees STOPPING and ends. */
	g_thread_pool_free(p->worker, TRUE, TRUE);
	g_thread_pool_free(p->storer, FALSE, TRUE); /* empty: the last job waited for it */
	g_hash_table_unref(p->tracks);
	g_cond_clear(&p->stored);
	g_mutex_clear(&p->lock);
	g_free(p);
}

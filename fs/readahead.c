/* imapfs fs — background read-ahead of message bodies (see readahead.h). */
#include "fs/readahead.h"

#include "mail/failed.h"

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "mail/failed.h"
#include "fs/mount.h"
#include "fs/spool.h"

/* Bodies not yet in the cache held in memory. The cache writer's pace varies a lot
 * (a create and a rename per body; ext4 slows down allocating inodes for minutes after
 * many files were deleted), and with two bursts' worth (16 MiB) a cold grep -r of 10k
 * messages took 1.8 s or 5.3 s depending on it. With 64 MiB it took 1.2-1.6 s either
 * way. Written bodies stay in memory for a reader a little behind (16 MiB of them), not
 * for as long as the 64 MiB would allow: that would be resident until unmount. Peak RSS
 * of that grep: 44 MiB before, 57-71 MiB now. */
#define SPOOL_BYTES (64 * 1024 * 1024)
#define SPOOL_HELD (16 * 1024 * 1024)

typedef struct {
	guint32 uidvalidity;
	guint32 upto;	 /* highest UID fetched or queued (or found cached) */
	guint bursts;	 /* queued or running */
	gboolean active; /* a miss started it; the rest of the folder was not cached */
} Ahead;

typedef struct {
	FsReadAhead *ra;
	char *mailbox;
	guint32 uidvalidity;
	GArray *uids; /* guint32 */
	guint n;      /* bodies stored */
} Burst;

struct FsReadAhead {
	ImapPool *pool;
	CacheStore *cache;
	MailStats *stats;
	FsSpool *spool;
	FsMount *mount; /* for the cache warning; set by fs_readahead_keep() */
	GThreadPool *workers;
	GMutex lock;
	GCond done;
	GHashTable *flight; /* "uidvalidity:uid:mailbox" -> itself */
	GHashTable *ahead;  /* mailbox -> Ahead */
};

static char *flight_key(const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return g_strdup_printf("%u:%u:%s", uidvalidity, uid, mailbox);
}

static void burst_free(gpointer p)
{
	Burst *b = p;

	g_free(b->mailbox);
	g_array_unref(b->uids);
	g_free(b);
}

/* ---- the worker: one FETCH of a burst, into the cache ----------------------------- */

/* Caller holds the lock. */
static void land_locked(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autofree char *k = flight_key(mailbox, uidvalidity, uid);

	if (g_hash_table_remove(ra->flight, k))
		g_cond_broadcast(&ra->done);
}

static void store_one(const ImapFetchData *fd, gpointer data)
{
	Burst *b = data;

	if (!(fd->fields & IMAP_FETCH_BODY) || !fd->body || !(fd->fields & IMAP_FETCH_UID))
		return;
	if (fd->body_origin >= 0 || (fd->body_section && *fd->body_section))
		return; /* not the whole message */
	/* The spool writes it to the cache; a reader waiting for it goes on at once. */
	fs_spool_put(b->ra->spool, b->mailbox, b->uidvalidity, fd->uid, fd->body);
	b->n++;
	g_mutex_lock(&b->ra->lock);
	land_locked(b->ra, b->mailbox, b->uidvalidity, fd->uid);
	g_mutex_unlock(&b->ra->lock);
}

static gboolean fetch_burst(Burst *b)
{
	g_autoptr(GError) error = NULL;
	gboolean fresh = FALSE, ok;
	ImapSession *s = imap_pool_acquire(b->ra->pool, b->mailbox, NULL);

	if (!s)
		return FALSE;
	/* UIDs of another UIDVALIDITY are other messages: store nothing. */
	ok = imap_pool_examine_uidv(s, b->mailbox, b->uidvalidity, &fresh, &error);
	if (ok) {
		MAIL_STAT_INC(b->ra->stats, body_fetches);
		ok = imap_session_fetch_bodies(s, (guint32 *)(void *)b->uids->data, b->uids->len,
					       store_one, b, &error);
	}
	imap_pool_release(b->ra->pool, s);
	/* A reader waiting for one of these fails at once rather than fetch it again. */
	for (guint i = 0; !ok && b->ra->mount && i < b->uids->len; i++)
		mail_failed_note(b->ra->mount->failed, b->mailbox, b->uidvalidity,
				 g_array_index(b->uids, guint32, i), error);
	g_atomic_int_add(&b->ra->stats->bodies_fetched, (gint)b->n);
	return ok;
}

static void worker(gpointer data, gpointer user_data)
{
	Burst *b = data;
	FsReadAhead *ra = b->ra;
	Ahead *a;

	fetch_burst(b); /* on failure the readers fetch for themselves */
	g_mutex_lock(&ra->lock);
	for (guint i = 0; i < b->uids->len; i++)
		land_locked(ra, b->mailbox, b->uidvalidity, g_array_index(b->uids, guint32, i));
	a = g_hash_table_lookup(ra->ahead, b->mailbox);
	if (a && a->uidvalidity == b->uidvalidity && a->bursts > 0)
		a->bursts--;
	g_cond_broadcast(&ra->done);
	g_mutex_unlock(&ra->lock);
	burst_free(b);
}

/* ---- planning ---------------------------------------------------------------------- */

/* Cheap: planning looks at up to 256 messages each time, so no open and no checksum. */
static gboolean is_cached(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return fs_spool_has(ra->spool, mailbox, uidvalidity, uid) ||
	       cache_body_has(ra->cache, mailbox, uidvalidity, uid);
}

/* The next burst after a->upto (advancing it); NULL when there is nothing to fetch. */
static Burst *plan(FsReadAhead *ra, MailFolder *f, Ahead *a)
{
	const char *mailbox = mail_folder_mailbox(f);
	g_autoptr(GArray) next =
	    mail_folder_following(f, a->uidvalidity, a->upto, FS_READAHEAD_MSGS * 2);
	Burst *b = g_new0(Burst, 1);
	guint64 bytes = 0;
	guint cached = 0;

	b->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < next->len && b->uids->len < FS_READAHEAD_MSGS; i++) {
		const MailMsgInfo *mi = &g_array_index(next, MailMsgInfo, i);
		g_autofree char *k = flight_key(mailbox, a->uidvalidity, mi->uid);

		if (b->uids->len && bytes + mi->size > FS_READAHEAD_BYTES)
			break;
		a->upto = mi->uid;
		/* Large messages are read by partial fetches, on demand. */
		if (mi->size > FS_SMALL_BODY || g_hash_table_contains(ra->flight, k))
			continue;
		if (is_cached(ra, mailbox, a->uidvalidity, mi->uid)) {
			cached++;
			continue;
		}
		bytes += mi->size;
		g_array_append_val(b->uids, mi->uid);
	}
	if (b->uids->len == 0) {
		/* The rest is cached (or the folder ends): nothing to run ahead of. */
		a->active = FALSE;
		g_array_unref(b->uids);
		g_free(b);
		return NULL;
	}
	b->ra = ra;
	b->mailbox = g_strdup(mailbox);
	b->uidvalidity = a->uidvalidity;
	for (guint i = 0; i < b->uids->len; i++) {
		char *k = flight_key(mailbox, a->uidvalidity, g_array_index(b->uids, guint32, i));

		g_hash_table_add(ra->flight, k);
	}
	return b;
}

void fs_readahead_note(FsReadAhead *ra, MailFolder *f, guint32 uidvalidity, guint32 uid,
		       guint32 last_fetched)
{
	Ahead *a;

	if (!ra)
		return;
	g_mutex_lock(&ra->lock);
	a = g_hash_table_lookup(ra->ahead, mail_folder_mailbox(f));
	if (!a) {
		a = g_new0(Ahead, 1);
		g_hash_table_insert(ra->ahead, g_strdup(mail_folder_mailbox(f)), a);
	}
	if (a->uidvalidity != uidvalidity) {
		memset(a, 0, sizeof(*a));
		a->uidvalidity = uidvalidity;
	}
	if (last_fetched) {
		a->active = TRUE;
		a->upto = MAX(a->upto, last_fetched);
	}
	if (uid > a->upto)
		a->upto = uid; /* the reader jumped ahead: run ahead from there */
	/* Keep bursts queued while the window ahead of the reader is short. */
	while (a->active && a->bursts < FS_READAHEAD_BURSTS &&
	       a->upto - uid < FS_READAHEAD_MSGS * FS_READAHEAD_BURSTS) {
		Burst *b = plan(ra, f, a);

		if (!b)
			break;
		a->bursts++;
		g_thread_pool_push(ra->workers, b, NULL);
	}
	g_mutex_unlock(&ra->lock);
}

gboolean fs_readahead_in_flight(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity,
				guint32 uid)
{
	g_autofree char *k = NULL;
	gboolean in;

	if (!ra)
		return FALSE;
	k = flight_key(mailbox, uidvalidity, uid);
	g_mutex_lock(&ra->lock);
	in = g_hash_table_contains(ra->flight, k);
	g_mutex_unlock(&ra->lock);
	return in || fs_spool_has(ra->spool, mailbox, uidvalidity, uid);
}

gboolean fs_readahead_wait(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autofree char *k = NULL;
	gboolean waited = FALSE;

	if (!ra)
		return FALSE;
	k = flight_key(mailbox, uidvalidity, uid);
	g_mutex_lock(&ra->lock);
	while (g_hash_table_contains(ra->flight, k)) {
		waited = TRUE;
		g_cond_wait(&ra->done, &ra->lock);
	}
	g_mutex_unlock(&ra->lock);
	return waited;
}

gboolean fs_readahead_keep(FsReadAhead *ra, gpointer mount, const char *mailbox,
			   guint32 uidvalidity, guint32 uid, ImapBody *body)
{
	if (!ra)
		return FALSE;
	g_atomic_pointer_set(&ra->mount, mount);
	fs_spool_put(ra->spool, mailbox, uidvalidity, uid, body);
	return TRUE;
}

ImapBody *fs_readahead_body(FsReadAhead *ra, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return ra ? fs_spool_get(ra->spool, mailbox, uidvalidity, uid) : NULL;
}

/* ---- life cycle -------------------------------------------------------------------- */

static void spool_warn(const GError *error, gpointer data)
{
	FsReadAhead *ra = data;
	FsMount *m = g_atomic_pointer_get(&ra->mount);

	if (m)
		fs_mount_cache_warning(m, error);
}

FsReadAhead *fs_readahead_new(ImapPool *pool, CacheStore *cache, MailStats *stats,
			      guint connections)
{
	FsReadAhead *ra;

	if (!cache || connections < 2)
		return NULL;
	ra = g_new0(FsReadAhead, 1);
	ra->pool = pool;
	ra->cache = cache;
	ra->stats = stats;
	ra->spool = fs_spool_new(cache, SPOOL_BYTES, SPOOL_HELD, spool_warn, ra);
	g_mutex_init(&ra->lock);
	g_cond_init(&ra->done);
	ra->flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ra->ahead = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ra->workers = g_thread_pool_new_full(worker, ra, burst_free, (gint)connections - 1, FALSE,
					     NULL);
	return ra;
}

void fs_readahead_free(FsReadAhead *ra)
{
	if (!ra)
		return;
	/* Queued bursts are dropped, running ones finish: they use the pool and cache. */
	g_thread_pool_free(ra->workers, TRUE, TRUE);
	fs_spool_free(ra->spool); /* after the workers that fill it */
	g_hash_table_destroy(ra->flight);
	g_hash_table_destroy(ra->ahead);
	g_cond_clear(&ra->done);
	g_mutex_clear(&ra->lock);
	g_free(ra);
}

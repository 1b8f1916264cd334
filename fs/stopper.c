/* imapfs fs — cutting stalled connections once the mount is stopping (see stopper.h). */
#include "fs/stopper.h"

#define CHECK_US (100 * 1000) /* how soon an unmount or SIGTERM is noticed */

struct FsStopper {
	struct fuse_session *se;
	ImapPool *pool;
	GThread *thread;
	gint stop;
};

static gpointer run(gpointer data)
{
	FsStopper *st = data;

	while (!g_atomic_int_get(&st->stop)) {
		/* Again and again: a request may take a new session after the first cut. */
		if (fuse_session_exited(st->se))
			imap_pool_abort_busy(st->pool);
		g_usleep(CHECK_US);
	}
	return NULL;
}

FsStopper *fs_stopper_start(struct fuse_session *se, ImapPool *pool)
{
	FsStopper *st = g_new0(FsStopper, 1);

	st->se = se;
	st->pool = pool;
	st->thread = g_thread_new("imapfs-stopper", run, st);
	return st;
}

void fs_stopper_stop(FsStopper *st)
{
	if (!st)
		return;
	g_atomic_int_set(&st->stop, 1);
	g_thread_join(st->thread);
	g_free(st);
}

/* imapfs fs — the watcher (see watch.h). */
#include "fs/watch.h"
#include "fs/write.h"

#include <string.h>

#define BACKOFF_MIN_US (100 * 1000)
#define BACKOFF_MAX_US (5 * G_USEC_PER_SEC)

/* The last STATUS answer for a folder (-1: not sent). */
typedef struct {
	gint64 uidvalidity, uidnext, messages, unseen, highestmodseq;
} Seen;

struct FsWatch {
	FsMount *m;
	GThread *thread;
	GMutex lock; /* stop and the waits */
	GCond wake;
	gboolean stop;

	/* The watcher thread's own, no lock. */
	ImapSession *s;
	gboolean notify;    /* NOTIFY SET took */
	gboolean sel_event; /* the EXAMINEd folder reported a change */
	guint64 exists;	    /* its last EXISTS count */
	GHashTable *seen;   /* mailbox -> Seen */
	gint64 backoff_us;
	gint64 last_round; /* monotonic us */
};

/* Sleeps up to US unless stopped; TRUE when stopping. */
static gboolean nap(FsWatch *w, gint64 us)
{
	gint64 until = g_get_monotonic_time() + us;
	gboolean stop;

	g_mutex_lock(&w->lock);
	while (!w->stop && g_cond_wait_until(&w->wake, &w->lock, until))
		;
	stop = w->stop;
	g_mutex_unlock(&w->lock);
	return stop;
}

static gboolean stopping(FsWatch *w)
{
	return nap(w, 0);
}

static void on_unsolicited(ImapSession *s, const ImapResponse *r, gpointer data)
{
	FsWatch *w = data;

	switch (r->type) {
	case IMAP_UNTAGGED_EXISTS:
		/* A server may say EXISTS at every NOOP: only a new count is news (a message
		 * replaced by another comes after its EXPUNGE). Else a folder of 300,000
		 * messages without CONDSTORE would be listed again every window. */
		if (r->number != w->exists)
			w->sel_event = TRUE;
		w->exists = r->number;
		break;
	case IMAP_UNTAGGED_EXPUNGE:
	case IMAP_UNTAGGED_VANISHED:
		w->exists = G_MAXUINT64; /* the next EXISTS is news whatever it says */
		w->sel_event = TRUE;
		break;
	case IMAP_UNTAGGED_FETCH:
	case IMAP_UNTAGGED_FLAGS: /* a new keyword: a message got it */
		w->sel_event = TRUE;
		break;
	default:
		break;
	}
}

/* ---- the connection --------------------------------------------------------------- */

static void drop_session(FsWatch *w, const GError *why)
{
	g_debug("imapfs: watcher lost its connection: %s", why ? why->message : "?");
	imap_session_free(w->s);
	w->s = NULL;
	g_atomic_int_set(&w->m->stats.watch_mode, MAIL_WATCH_OFF);
	/* Answers of the old connection say nothing about what the new one will see. */
	g_hash_table_remove_all(w->seen);
}

static gboolean notify_set(ImapSession *s, GError **error)
{
	guint id = imap_session_submit(
	    s, "NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))", error);

	return id && imap_session_wait(s, id, NULL, NULL, error);
}

static gboolean wants_notify(ImapSession *s)
{
	/* Flag changes in other folders come as STATUS HIGHESTMODSEQ: needs CONDSTORE. */
	return imap_session_has_cap(s, "NOTIFY") && imap_session_has_cap(s, "IDLE") &&
	       imap_session_is_enabled(s, "CONDSTORE");
}

/* Connects, after the backoff when the last attempt failed; FALSE when stopping or
 * the attempt failed (the next call waits longer). */
static gboolean connect_watch(FsWatch *w)
{
	g_autoptr(GError) err = NULL;

	if (w->backoff_us && nap(w, w->backoff_us))
		return FALSE;
	w->s = imap_pool_open_session(w->m->pool, &err);
	if (!w->s) {
		g_debug("imapfs: watcher cannot connect: %s", err->message);
		w->backoff_us = CLAMP(w->backoff_us * 2, BACKOFF_MIN_US, BACKOFF_MAX_US);
		return FALSE;
	}
	w->backoff_us = 0;
	imap_session_set_unsolicited(w->s, on_unsolicited, w);
	w->notify = FALSE;
	if (wants_notify(w->s)) {
		w->notify = notify_set(w->s, &err);
		if (!w->notify && !imap_session_is_usable(w->s)) {
			drop_session(w, err);
			return FALSE;
		}
	}
	w->last_round = 0;
	g_atomic_int_set(&w->m->stats.watch_mode, w->notify ? MAIL_WATCH_NOTIFY
						  : imap_session_has_cap(w->s, "IDLE")
						      ? MAIL_WATCH_IDLE
						      : MAIL_WATCH_POLL);
	return TRUE;
}

/* ---- noticing changes ------------------------------------------------------------- */

static void refresh(FsWatch *w, MailFolder *f)
{
	g_autoptr(GError) err = NULL;
	const char *mailbox = mail_folder_mailbox(f);
	guint64 dir;

	/* A listing begun after the unmount would only delay the exit (a big folder's takes
	 * seconds, and stop waits for it). */
	if (stopping(w))
		return;
	/* Max age 0: revalidate now, whatever the last listing did. */
	if (!fs_mount_refresh_folder(w->m, f, 0, &err)) {
		g_debug("imapfs: watcher cannot revalidate %s: %s", mailbox, err->message);
		return;
	}
	/* New messages change the listing: drop whatever the kernel kept of it. */
	dir = fs_inode_find_dir(w->m->inodes, mailbox);
	if (dir)
		fs_notify_inode(w->m, dir);
}

static gboolean differs(gint64 answer, gint64 known)
{
	return answer >= 0 && answer != known;
}

/* Does the STATUS answer disagree with the table? HIGHESTMODSEQ only counts when
 * both sides have one. */
static gboolean table_differs(const ImapMailbox *mb, const MailFolderStatus *t)
{
	return differs(mb->uidvalidity, t->uidvalidity) || differs(mb->uidnext, t->uidnext) ||
	       differs(mb->messages, t->messages) || differs(mb->unseen, t->unseen) ||
	       (t->highestmodseq && differs(mb->highestmodseq, (gint64)t->highestmodseq));
}

static gboolean seen_differs(const Seen *a, const ImapMailbox *mb)
{
	return !a || a->uidvalidity != mb->uidvalidity || a->uidnext != mb->uidnext ||
	       a->messages != mb->messages || a->unseen != mb->unseen ||
	       a->highestmodseq != mb->highestmodseq;
}

/* Revalidate when the server's answer changed since the last round and disagrees with
 * the table: the first condition stops a folder whose table can never match (a
 * server counting differently) from being reloaded every round. */
static void check_folder(FsWatch *w, MailFolder *f, const ImapMailbox *mb)
{
	const char *mailbox = mail_folder_mailbox(f);
	Seen *last = g_hash_table_lookup(w->seen, mailbox);
	MailFolderStatus t;
	gboolean changed = seen_differs(last, mb);

	if (!last) {
		last = g_new(Seen, 1);
		g_hash_table_insert(w->seen, g_strdup(mailbox), last);
	}
	*last = (Seen){mb->uidvalidity, mb->uidnext, mb->messages, mb->unseen, mb->highestmodseq};
	if (changed && mail_folder_status(f, &t) && table_differs(mb, &t))
		refresh(w, f);
}

/* STATUS of each folder but SKIP; FALSE when the connection failed. */
static gboolean status_round(FsWatch *w, GPtrArray *folders, MailFolder *skip, GError **error)
{
	w->last_round = g_get_monotonic_time();
	for (guint i = 0; i < folders->len; i++) {
		MailFolder *f = g_ptr_array_index(folders, i);
		g_autoptr(GError) err = NULL;
		ImapMailbox *mb = NULL;

		if (f == skip)
			continue;
		if (!imap_session_status(w->s, mail_folder_mailbox(f), &mb, &err)) {
			/* A folder deleted meanwhile answers NO: not the connection's fault. */
			if (imap_session_is_usable(w->s))
				continue;
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		check_folder(w, f, mb);
		imap_mailbox_free(mb);
	}
	return TRUE;
}

/* Waits one window for the server to say something. */
static gboolean wait_window(FsWatch *w, gboolean *got, GError **error)
{
	*got = FALSE;
	if (imap_session_has_cap(w->s, "IDLE"))
		return imap_session_idle(w->s, FS_WATCH_WINDOW_MS, got, error);
	if (nap(w, FS_WATCH_WINDOW_MS * 1000))
		return TRUE;
	return imap_session_noop(w->s, error);
}

/* The watched folders are taken after the wait: one first used during the window may
 * be what the notification was about. */
static GPtrArray *watched(FsWatch *w)
{
	return mail_folders_recent(w->m->folders, MAIL_WATCH_MAX);
}

static gboolean cycle_notify(FsWatch *w, GError **error)
{
	g_autoptr(GPtrArray) folders = NULL;
	gboolean got;

	if (!wait_window(w, &got, error))
		return FALSE;
	if (!got && g_get_monotonic_time() - w->last_round < FS_WATCH_SAFETY_US)
		return TRUE;
	folders = watched(w);
	return status_round(w, folders, NULL, error);
}

static gboolean select_differs(MailFolder *f, const ImapSelectInfo *info)
{
	MailFolderStatus t;

	if (!mail_folder_status(f, &t))
		return FALSE;
	return info->uidvalidity != t.uidvalidity || info->uidnext != t.uidnext ||
	       info->exists != t.messages ||
	       (info->highestmodseq && t.highestmodseq && info->highestmodseq != t.highestmodseq);
}

/* EXAMINE FOLDER unless it is selected already; a refusal (deleted) is no failure. */
static gboolean examine(FsWatch *w, MailFolder *f, GError **error)
{
	const char *mailbox = mail_folder_mailbox(f);
	const char *sel = imap_session_selected(w->s);
	ImapSelectInfo info = {0};
	g_autoptr(GError) err = NULL;

	if (sel && strcmp(sel, mailbox) == 0)
		return TRUE;
	if (!imap_session_select(w->s, mailbox, TRUE, &info, &err)) {
		if (imap_session_is_usable(w->s))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	/* What EXAMINE itself reported is no news, but a table older than it may be stale.
	 * Without HIGHESTMODSEQ a flag change cannot be told from here: revalidate. */
	w->sel_event = !info.highestmodseq || select_differs(f, &info);
	w->exists = info.exists;
	imap_select_info_clear(&info);
	return TRUE;
}

static void refresh_target(FsWatch *w, MailFolder *target)
{
	if (target && w->sel_event) {
		w->sel_event = FALSE;
		refresh(w, target);
	}
}

static gboolean cycle_poll(FsWatch *w, GError **error)
{
	g_autoptr(GPtrArray) before = watched(w);
	g_autoptr(GPtrArray) folders = NULL;
	MailFolder *target = before->len ? g_ptr_array_index(before, 0) : NULL;
	gboolean got;

	/* Before and after the window: a folder just switched to may have changed before
	 * its EXAMINE, and there is no need to wait a window to find out. */
	if (target && !examine(w, target, error))
		return FALSE;
	refresh_target(w, target);
	if (!wait_window(w, &got, error))
		return FALSE;
	refresh_target(w, target);
	folders = watched(w);
	return status_round(w, folders, target, error);
}

static gpointer watch_main(gpointer data)
{
	FsWatch *w = data;

	while (!stopping(w)) {
		g_autoptr(GError) err = NULL;
		gboolean ok;

		fs_write_sweep(w->m, FALSE); /* rsync's temporary files nobody renamed */
		if (!w->s && !connect_watch(w))
			continue;
		ok = w->notify ? cycle_notify(w, &err) : cycle_poll(w, &err);
		if (!ok)
			drop_session(w, err);
	}
	imap_session_logout(w->s);
	w->s = NULL;
	return NULL;
}

FsWatch *fs_watch_start(FsMount *m)
{
	FsWatch *w = g_new0(FsWatch, 1);

	w->m = m;
	g_mutex_init(&w->lock);
	g_cond_init(&w->wake);
	w->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	w->thread = g_thread_new("imapfs-watch", watch_main, w);
	return w;
}

void fs_watch_stop(FsWatch *w)
{
	if (!w)
		return;
	g_mutex_lock(&w->lock);
	w->stop = TRUE;
	g_cond_signal(&w->wake);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->thread);
	g_hash_table_destroy(w->seen);
	g_cond_clear(&w->wake);
	g_mutex_clear(&w->lock);
	g_free(w);
}

/* imapfs mail — counters shown in the root's user.imapfs.stats xattr, so tests can prove
 * e.g. that a remount served bodies from the cache without a body FETCH. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gint body_fetches;   /* FETCH commands that returned bodies (single or batched) */
	gint bodies_fetched; /* bodies received */
	gint cache_hits;     /* opens served from the on-disk cache */
	gint meta_fetches;   /* full UID FETCH 1:* listings */
	gint revalidations;  /* incremental (CHANGEDSINCE/QRESYNC) refreshes */
	gint lists;	     /* LIST commands */
	gint opens;	     /* OPEN requests of messages (one, refused, on -o ro) */
	gint reads;	     /* READ requests answered from a message */
	gint pages_pushed;   /* bodies put into the page cache ahead of a reader (push.h) */
	gint watch_mode;     /* MailWatchMode: how the watcher notices changes now */
	gint sending;	     /* outbox messages being sent at this moment */
	gint sent;	     /* outbox messages sent */
	gint send_failures;  /* outbox messages refused or not sent */
} MailStats;

/* The watcher's way of noticing changes (fs/watch.h), for `imapfs status`. */
typedef enum {
	MAIL_WATCH_OFF = 0, /* not connected (yet, or lost) */
	MAIL_WATCH_NOTIFY,  /* NOTIFY SET, then IDLE */
	MAIL_WATCH_IDLE,    /* IDLE on one folder, STATUS polls of the others */
	MAIL_WATCH_POLL,    /* NOOP and STATUS polls: the server has no IDLE */
} MailWatchMode;

#define MAIL_STAT_INC(st, field) g_atomic_int_inc(&(st)->field)

/* "body_fetches=N cache_hits=M ..."; free with g_free. */
static inline char *mail_stats_format(MailStats *st)
{
	return g_strdup_printf(
	    "body_fetches=%d bodies_fetched=%d cache_hits=%d meta_fetches=%d "
	    "revalidations=%d lists=%d opens=%d reads=%d pages_pushed=%d",
	    g_atomic_int_get(&st->body_fetches), g_atomic_int_get(&st->bodies_fetched),
	    g_atomic_int_get(&st->cache_hits), g_atomic_int_get(&st->meta_fetches),
	    g_atomic_int_get(&st->revalidations), g_atomic_int_get(&st->lists),
	    g_atomic_int_get(&st->opens), g_atomic_int_get(&st->reads),
	    g_atomic_int_get(&st->pages_pushed));
}

G_END_DECLS

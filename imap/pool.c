/* imapfs — the session pool and its one retry rule (see pool.h). */
#include "imap/pool.h"

#include <gio/gio.h>
#include <string.h>

/* Reconnecting: a dead server sees one attempt per backoff period, shared by every
 * slot, doubling from BACKOFF_MIN_US up to BACKOFF_MAX_US. */
#define BACKOFF_MIN_US (100 * 1000)
#define BACKOFF_MAX_US (5 * G_USEC_PER_SEC)
#define CONNECT_TRIES 3
/* Attempts of an idempotent request while each one loses its connection: a second drop
 * can hit the retry of the request the first one broke (a kick of every connection, a
 * reconnect slowed by load), but a server that drops every connection must still
 * surface as an error rather than a loop. */
#define REQUEST_ATTEMPTS 3

typedef struct {
	ImapSession *s;
	gboolean busy;
	gint64 released_at; /* monotonic us */
} Slot;

struct ImapPool {
	GMutex lock;
	GCond freed;
	ImapConfig cfg;
	guint n;
	Slot *slots;
	gint64 backoff_us;   /* 0 while connecting works; under lock */
	gint64 next_try;     /* monotonic us before which no connect is tried; under lock */
	gint64 died_at;	     /* when a session was last given back dead; under lock */
	gint64 keepalive_us; /* NOOP before reusing a session idle this long; 0: never */
	ImapPoolConnectFunc before_connect;
	gpointer before_connect_data;
	char delimiter; /* the first session's, handed to every later one */
};

ImapPool *imap_pool_new(const ImapConfig *cfg, guint size, ImapSession *first)
{
	ImapPool *p = g_new0(ImapPool, 1);

	g_mutex_init(&p->lock);
	g_cond_init(&p->freed);
	imap_config_copy(&p->cfg, cfg);
	p->n = MAX(size, 1);
	p->slots = g_new0(Slot, p->n);
	p->slots[0].s = first;
	/* Known by now (mount start-up asks before LIST); without it a raw level of a
	 * name could not be told from the rest on a new connection. */
	if (first && !imap_session_delimiter(first, &p->delimiter, NULL))
		p->delimiter = '\0';
	return p;
}

void imap_pool_free(ImapPool *p)
{
	if (!p)
		return;
	for (guint i = 0; i < p->n; i++)
		imap_session_logout(p->slots[i].s);
	g_free(p->slots);
	imap_config_clear(&p->cfg);
	g_cond_clear(&p->freed);
	g_mutex_clear(&p->lock);
	g_free(p);
}

static int slot_score(const Slot *sl, const char *mailbox)
{
	const char *sel;

	if (!sl->s || !imap_session_is_usable(sl->s))
		return 0;
	sel = imap_session_selected(sl->s);
	if (mailbox && sel && strcmp(sel, mailbox) == 0)
		return 3;
	return sel ? 1 : 2; /* keep other folders' selections for their readers */
}

/* The best free slot, or -1. Called with the lock held. */
static int pick_locked(ImapPool *p, const char *mailbox)
{
	int best = -1, best_score = -1;

	for (guint i = 0; i < p->n; i++) {
		int sc;

		if (p->slots[i].busy)
			continue;
		sc = slot_score(&p->slots[i], mailbox);
		if (sc > best_score) {
			best = (int)i;
			best_score = sc;
		}
	}
	return best;
}

void imap_pool_set_keepalive(ImapPool *p, guint seconds)
{
	p->keepalive_us = (gint64)seconds * G_USEC_PER_SEC;
}

void imap_pool_set_before_connect(ImapPool *p, ImapPoolConnectFunc fn, gpointer data)
{
	p->before_connect = fn;
	p->before_connect_data = data;
}

/* The hook fills a private copy, so p->cfg stays read-only across threads. */
ImapSession *imap_pool_open_session(ImapPool *p, GError **error)
{
	ImapConfig cfg;
	ImapSession *s = NULL;

	if (!p->before_connect) {
		s = imap_session_open(&p->cfg, error);
	} else {
		imap_config_copy(&cfg, &p->cfg);
		if (p->before_connect(&cfg, p->before_connect_data, error))
			s = imap_session_open(&cfg, error);
		imap_config_clear(&cfg);
	}
	if (s && p->delimiter)
		imap_session_set_delimiter(s, p->delimiter);
	return s;
}

/* Worth another attempt: the connection broke (a reset during TLS shows as a TLS
 * error), not a refusal that would only repeat. A timeout is not retried: the user
 * would wait several times as long. */
static gboolean transient(const GError *e)
{
	return e && e->domain == IMAP_ERROR &&
	       (e->code == IMAP_ERROR_NETWORK || e->code == IMAP_ERROR_BYE ||
		e->code == IMAP_ERROR_TLS);
}

static void wait_turn(ImapPool *p)
{
	gint64 wait;

	g_mutex_lock(&p->lock);
	wait = p->next_try - g_get_monotonic_time();
	g_mutex_unlock(&p->lock);
	if (wait > 0)
		g_usleep((gulong)MIN(wait, BACKOFF_MAX_US));
}

static void note_connect(ImapPool *p, gboolean ok)
{
	g_mutex_lock(&p->lock);
	if (ok)
		p->backoff_us = 0;
	else
		p->backoff_us = CLAMP(p->backoff_us * 2, BACKOFF_MIN_US, BACKOFF_MAX_US);
	p->next_try = ok ? 0 : g_get_monotonic_time() + p->backoff_us;
	g_mutex_unlock(&p->lock);
}

/* A few attempts paced by the shared backoff: a connection killed while it was
 * being set up should not fail the request that needed it. */
static ImapSession *connect_paced(ImapPool *p, GError **error)
{
	for (int i = 0;; i++) {
		g_autoptr(GError) err = NULL;
		ImapSession *s;

		wait_turn(p);
		s = imap_pool_open_session(p, &err);
		note_connect(p, s != NULL);
		if (s)
			return s;
		if (i + 1 >= CONNECT_TRIES || !transient(err)) {
			g_propagate_error(error, g_steal_pointer(&err));
			return NULL;
		}
	}
}

ImapSession *imap_pool_acquire(ImapPool *p, const char *mailbox, GError **error)
{
	gboolean suspect;
	Slot *sl;
	int i;

	g_mutex_lock(&p->lock);
	while ((i = pick_locked(p, mailbox)) < 0)
		g_cond_wait(&p->freed, &p->lock);
	sl = &p->slots[i];
	sl->busy = TRUE;
	suspect = p->died_at && sl->released_at <= p->died_at;
	suspect |= p->keepalive_us && g_get_monotonic_time() - sl->released_at > p->keepalive_us;
	g_mutex_unlock(&p->lock);

	/* When one connection died, the others idle since then probably did too (a kick,
	 * a reset, a server restart): a NOOP finds out before a request, possibly the
	 * retry of one, is spent on a dead connection. So does one idle for longer than
	 * keepalive, which the server (autologout) or a NAT box may have dropped meanwhile;
	 * a dead one is replaced below, transparently. */
	if (sl->s && suspect && imap_session_is_usable(sl->s) && !imap_session_noop(sl->s, NULL))
		g_debug("imapfs: an idle connection died too; reconnecting");
	if (sl->s && imap_session_is_usable(sl->s))
		return sl->s;
	/* Connect outside the lock: other threads keep using the other sessions. */
	imap_session_free(sl->s);
	sl->s = connect_paced(p, error);
	if (!sl->s) {
		g_mutex_lock(&p->lock);
		sl->busy = FALSE;
		g_cond_signal(&p->freed);
		g_mutex_unlock(&p->lock);
		return NULL;
	}
	return sl->s;
}

void imap_pool_release(ImapPool *p, ImapSession *s)
{
	if (!s)
		return;
	g_mutex_lock(&p->lock);
	for (guint i = 0; i < p->n; i++) {
		if (p->slots[i].s == s) {
			p->slots[i].busy = FALSE;
			p->slots[i].released_at = g_get_monotonic_time();
			if (!imap_session_is_usable(s))
				p->died_at = p->slots[i].released_at;
			break;
		}
	}
	g_cond_signal(&p->freed);
	g_mutex_unlock(&p->lock);
}

void imap_pool_counts(ImapPool *p, guint *open, guint *busy)
{
	*open = *busy = 0;
	g_mutex_lock(&p->lock);
	for (guint i = 0; i < p->n; i++) {
		*open += p->slots[i].s && imap_session_is_usable(p->slots[i].s);
		*busy += p->slots[i].busy;
	}
	g_mutex_unlock(&p->lock);
}

void imap_pool_abort_busy(ImapPool *p)
{
	g_mutex_lock(&p->lock);
	for (guint i = 0; i < p->n; i++)
		if (p->slots[i].busy && p->slots[i].s)
			imap_session_abort(p->slots[i].s);
	g_mutex_unlock(&p->lock);
}

/* After a failed attempt on S: TRUE (and *error cleared) when another one is worth it. */
static gboolean should_retry(ImapSession *s, int attempt, GError **error)
{
	const GError *e = error ? *error : NULL;

	if (attempt + 1 >= REQUEST_ATTEMPTS || !s || imap_session_is_usable(s) || !transient(e))
		return FALSE;
	g_debug("imapfs: the connection dropped (%s); retrying on a new one (attempt %d of %d)",
		e->message, attempt + 2, REQUEST_ATTEMPTS);
	g_clear_error(error);
	return TRUE;
}

/* The loop behind imap_pool_run and imap_pool_acquire_ready. A caller that passes no error
 * still needs to know why an attempt failed, to tell a dropped connection. */
static ImapSession *run_attempts(ImapPool *p, const char *mailbox, ImapPoolFunc fn, gpointer data,
				 gboolean keep, gboolean *ok_out, GError **error)
{
	for (int attempt = 0;; attempt++) {
		g_autoptr(GError) err = NULL;
		ImapSession *s = imap_pool_acquire(p, mailbox, &err);
		gboolean ok = s && fn(s, data, &err), retry;

		if (ok && keep)
			return s;
		retry = !ok && should_retry(s, attempt, &err);
		imap_pool_release(p, s);
		if (!retry) {
			*ok_out = ok;
			if (err)
				g_propagate_error(error, g_steal_pointer(&err));
			return NULL;
		}
	}
}

gboolean imap_pool_run(ImapPool *p, const char *mailbox, ImapPoolFunc fn, gpointer data,
		       GError **error)
{
	gboolean ok = FALSE;

	run_attempts(p, mailbox, fn, data, FALSE, &ok, error);
	return ok;
}

ImapSession *imap_pool_acquire_ready(ImapPool *p, const char *mailbox, ImapPoolFunc fn,
				     gpointer data, GError **error)
{
	gboolean ok = FALSE;

	return run_attempts(p, mailbox, fn, data, TRUE, &ok, error);
}

ImapSession *imap_pool_acquire_alive(ImapPool *p, const char *mailbox, GError **error)
{
	for (int attempt = 0; attempt < REQUEST_ATTEMPTS; attempt++) {
		ImapSession *s = imap_pool_acquire(p, mailbox, error);

		if (!s || imap_session_poll_alive(s))
			return s;
		imap_pool_release(p, s); /* the next acquire replaces it */
	}
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_NETWORK, "the IMAP connections keep closing");
	return NULL;
}

gboolean imap_pool_examine_uidv(ImapSession *s, const char *mailbox, guint32 uidvalidity,
				gboolean *fresh, GError **error)
{
	ImapSelectInfo info = {0};
	guint32 now;

	if (!imap_pool_examine(s, mailbox, &info, fresh, error))
		return FALSE;
	if (*fresh)
		imap_select_info_clear(&info);
	now = imap_session_selected_uidvalidity(s);
	if (now == uidvalidity)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "the UIDVALIDITY of %s changed (%u, now %u): its messages are new ones",
		    mailbox, uidvalidity, now);
	return FALSE;
}

gboolean imap_pool_examine(ImapSession *s, const char *mailbox, ImapSelectInfo *info,
			   gboolean *fresh, GError **error)
{
	const char *sel = imap_session_selected(s);

	if (sel && strcmp(sel, mailbox) == 0) {
		*fresh = FALSE;
		return TRUE;
	}
	if (!imap_session_select(s, mailbox, TRUE, info, error))
		return FALSE;
	*fresh = TRUE;
	return TRUE;
}

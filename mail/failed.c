/* imapfs mail — body fetches that failed a moment ago (see failed.h). */
#include "mail/failed.h"

#include "imap/error.h"

#define MAX_ENTRIES 1024 /* past this, the table starts again: it only saves waiting */

struct MailFailed {
	GMutex lock;
	GHashTable *by_key; /* "uidv:uid:mailbox" -> Failure */
};

typedef struct {
	gint64 at; /* monotonic us */
	GError *error;
} Failure;

static void failure_free(gpointer data)
{
	Failure *x = data;

	g_error_free(x->error);
	g_free(x);
}

static char *key_of(const char *mailbox, guint32 uidv, guint32 uid)
{
	return g_strdup_printf("%u:%u:%s", uidv, uid, mailbox);
}

MailFailed *mail_failed_new(void)
{
	MailFailed *f = g_new0(MailFailed, 1);

	g_mutex_init(&f->lock);
	f->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, failure_free);
	return f;
}

void mail_failed_free(MailFailed *f)
{
	if (!f)
		return;
	g_hash_table_unref(f->by_key);
	g_mutex_clear(&f->lock);
	g_free(f);
}

/* Only a stall: a dropped connection is retried on a new one at once (the pool's rule),
 * and a reader after a killed read-ahead burst must not inherit its failure. */
static gboolean server_absent(const GError *e)
{
	return g_error_matches(e, IMAP_ERROR, IMAP_ERROR_TIMEOUT);
}

void mail_failed_note(MailFailed *f, const char *mailbox, guint32 uidv, guint32 uid,
		      const GError *error)
{
	Failure *x;

	if (!f || !server_absent(error))
		return;
	x = g_new(Failure, 1);
	x->at = g_get_monotonic_time();
	x->error = g_error_copy(error);
	g_mutex_lock(&f->lock);
	if (g_hash_table_size(f->by_key) >= MAX_ENTRIES)
		g_hash_table_remove_all(f->by_key);
	g_hash_table_replace(f->by_key, key_of(mailbox, uidv, uid), x);
	g_mutex_unlock(&f->lock);
}

gboolean mail_failed_recent(MailFailed *f, const char *mailbox, guint32 uidv, guint32 uid,
			    GError **error)
{
	g_autofree char *key = NULL;
	gboolean recent = FALSE;
	Failure *x;

	if (!f)
		return FALSE;
	key = key_of(mailbox, uidv, uid);
	g_mutex_lock(&f->lock);
	x = g_hash_table_lookup(f->by_key, key);
	if (x && g_get_monotonic_time() - x->at < MAIL_FAILED_TTL_US) {
		recent = TRUE;
		if (error)
			*error = g_error_copy(x->error);
	} else if (x) {
		g_hash_table_remove(f->by_key, key);
	}
	g_mutex_unlock(&f->lock);
	return recent;
}

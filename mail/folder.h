/* imapfs mail — the account as a model, without FUSE: the layer below fs/ that holds
 * what a mount knows of the mailboxes (folder tables, their revalidation, names), so it
 * can be driven and tested without a kernel. mail/ may include imap/, smtp/, cache/,
 * net/ and util/; never fs/, conf/ or FUSE (scripts/check-layers). Its callers learn
 * what changed from what its calls return (MailFolderChanges), not by mail/ calling up.
 *
 * This file: per-folder state: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the message
 * table uid -> (RFC822.SIZE, INTERNALDATE, flags).
 *
 * The first load is one `UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS)`, or, when
 * metadata was saved by an earlier mount (cache_meta_save) and the server has QRESYNC,
 * an EXAMINE (QRESYNC ...) plus a CHANGEDSINCE fetch: O(changes). Later refreshes (at
 * most every max_age) do the same; without CONDSTORE each is a full listing (the same
 * UIDNEXT and EXISTS do not prove that no flag changed). Changes are reported to the caller so it
 * can invalidate the kernel's caches (outside any lock).
 *
 * Locking: a folder has a refresh lock (held across the network round trips, one
 * refresh at a time) and a data lock (never held across I/O). Callers must not hold a
 * pool session while calling mail_folder_refresh() (it acquires one).
 *
 * Ownership: MailFolder objects live until mail_folders_free(). Returned arrays and
 * MailFolderChanges are the caller's.
 */
#pragma once

#include <glib.h>
#include "cache/cache.h"
#include "imap/pool.h"
#include "mail/stats.h"

G_BEGIN_DECLS

typedef struct MailFolders MailFolders;
typedef struct MailFolder MailFolder;

typedef struct {
	guint32 uid;
	guint64 size;
	gint64 internaldate;
} MailMsgInfo;

typedef struct {
	guint32 old_uidvalidity; /* 0: was not loaded */
	guint32 uidvalidity;
	GArray *removed;  /* guint32 UIDs under old_uidvalidity no longer there */
	GArray *resized;  /* guint32 UIDs whose RFC822.SIZE changed */
	GPtrArray *names; /* file names that now show another message or none (may be NULL) */
} MailFolderChanges;

void mail_folder_changes_free(MailFolderChanges *ch); /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MailFolderChanges, mail_folder_changes_free)

MailFolders *mail_folders_new(ImapPool *pool, CacheStore *cache, MailStats *stats);
void mail_folders_free(MailFolders *fl); /* saves dirty metadata; accepts NULL */
MailFolder *mail_folders_get(MailFolders *fl, const char *mailbox);
/* Up to MAX loaded folders, most recently got (mail_folders_get) first: what the watcher
 * (fs/watch.c) keeps an eye on, MAIL_WATCH_MAX of them. The array is the caller's, the
 * folders are not. */
#define MAIL_WATCH_MAX 20
GPtrArray *mail_folders_recent(MailFolders *fl, guint max);

/* Loads or revalidates when older than MAX_AGE_US (0: always). *changes (may be NULL
 * when not wanted) is set when something the kernel may have cached changed. */
gboolean mail_folder_refresh(MailFolders *fl, MailFolder *f, gint64 max_age_us,
			     MailFolderChanges **changes, GError **error);

const char *mail_folder_mailbox(const MailFolder *f);
guint32 mail_folder_uidvalidity(MailFolder *f); /* 0 when not loaded */
/* The message, if present under UIDVALIDITY; OUT and *flags_out (space-separated) may
 * be NULL. */
gboolean mail_folder_msg(MailFolder *f, guint32 uidvalidity, guint32 uid, MailMsgInfo *out,
			 char **flags_out);
/* What the table says STATUS should answer (messages without \Seen as unseen); FALSE
 * when not loaded. highestmodseq is 0 without CONDSTORE. */
typedef struct {
	guint32 uidvalidity, uidnext, messages, unseen;
	guint64 highestmodseq;
} MailFolderStatus;
gboolean mail_folder_status(MailFolder *f, MailFolderStatus *out);
/* Every message, sorted by uid; *NAMES (may be NULL): for each, the name of its own it
 * is shown under, or NULL for its UID name (mail_msg_name). Both are the caller's. */
GArray *mail_folder_snapshot(MailFolder *f, guint32 *uidvalidity, GPtrArray **names);
/* Up to MAX messages following UID (by uid order). */
GArray *mail_folder_following(MailFolder *f, guint32 uidvalidity, guint32 uid, guint max);
/* A message this mount has just stored (APPEND with APPENDUID), added without a
 * revalidation; FLAGS space-separated (may be NULL). FALSE (nothing changed) when the
 * folder is not loaded under UIDVALIDITY. The next revalidation still sees it as new. */
gboolean mail_folder_add(MailFolder *f, guint32 uidvalidity, const MailMsgInfo *mi,
			 const char *flags);
/* A message this mount has just expunged (UID EXPUNGE done), dropped without a
 * revalidation; TRUE if it was in the table under UIDVALIDITY. */
gboolean mail_folder_remove(MailFolder *f, guint32 uidvalidity, guint32 uid);
/* The fetched body had another size than RFC822.SIZE: TRUE if the table changed. */
gboolean mail_folder_set_size(MailFolder *f, guint32 uidvalidity, guint32 uid, guint64 size);
/* This mount has just set UID's flags (UID STORE FLAGS): the table says so without a
 * re-read. FALSE (nothing changed) when UID is not in the table under UIDVALIDITY. A
 * flag the server did not keep shows until the next revalidation, which re-reads the
 * message (its modseq on the server is newer than the table's HIGHESTMODSEQ). */
gboolean mail_folder_set_flags(MailFolder *f, guint32 uidvalidity, guint32 uid, char *const *flags);

/* ---- names (see cache.h): a file written under a name keeps it ------------------
 * A message has a name of its own when it was written (or renamed) through the mount;
 * otherwise it is shown by its UID name. Two messages never share a name: one whose UID
 * name a written file holds is shown as "%010u-N.eml" (and keeps that). Names are saved
 * in the cache at each change and dropped with their UIDVALIDITY. */

/* The name UID is shown under (a new string). */
char *mail_folder_msg_name(MailFolder *f, guint32 uidvalidity, guint32 uid);
/* The message shown as NAME in the loaded table: TRUE with *uidvalidity and *uid. */
gboolean mail_folder_find_name(MailFolder *f, const char *name, guint32 *uidvalidity, guint32 *uid);
/* UID is shown as NAME from now on (NULL: by its UID name). A message that held NAME,
 * or was shown by it, gets another. Returns the names whose meaning changed besides
 * NAME (the caller's, for the kernel's caches). */
GPtrArray *mail_folder_set_name(MailFolder *f, guint32 uidvalidity, guint32 uid, const char *name);

/* The times a directory shows: the newest INTERNALDATE in it, or when this cache first
 * saw the folder if that is later; saved, so they are the same after a remount. */
gint64 mail_folders_dir_time(MailFolders *fl, const char *mailbox);

G_END_DECLS

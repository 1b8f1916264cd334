/* imapfs mail — a folder's message table from the FETCH lines of a listing, whatever the
 * server makes of it: lines in any order, one line repeated many times, an item the
 * server got wrong.
 *
 * Lines are appended as they come (O(1) each) and put in uid order when the listing ends,
 * and also whenever the unsorted lines outnumber the sorted ones: a listing in descending
 * order costs O(n log n) like an ascending one, and a line repeated 100,000 times holds
 * at most a few thousand entries. Of several lines for one UID the last one counts.
 *
 * One bad item costs its message at most:
 * - a line whose UID is unusable (0, not a number) is ignored: it never becomes a file,
 *   nor a UID in a later command;
 * - a message whose INTERNALDATE is not a date is kept, with the time 0 (1970-01-01
 *   UTC). That is stable across listings and remounts (a backup tool sees no change)
 *   and plainly not a real date; the folder's own time would move with new mail, and
 *   the Date header would cost a fetch per message.
 * Each is said once in the log (g_printerr, folder, UID and the server's text), and not
 * again on the next listing under the same UIDVALIDITY: an MailListingLog lives with the
 * folder. After MAIL_LISTING_REPORT_MAX messages a folder says so once and stops.
 *
 * Threads: an MailListing is one thread's; an MailListingLog must be used by one listing at
 * a time (the folder's refresh lock).
 */
#pragma once

#include <glib.h>
#include "cache/cache.h"
#include "imap/response.h"

G_BEGIN_DECLS

#define MAIL_LISTING_REPORT_MAX 20
/* Unsorted lines are merged in once there are this many and more than sorted ones. */
#define MAIL_LISTING_BATCH 4096

typedef struct MailListingLog MailListingLog;
MailListingLog *mail_listing_log_new(void);
void mail_listing_log_free(MailListingLog *log); /* accepts NULL */

typedef struct MailListing MailListing;

/* A listing of MAILBOX (copied) into BASE (taken: an empty table, or the one known
 * before, whose entries the lines replace); LOG is borrowed and may be NULL (say every
 * problem). */
MailListing *mail_listing_new(const char *mailbox, CacheFolderMeta *base, MailListingLog *log);
/* One FETCH line: an ImapFetchFunc, LISTING is the MailListing. Lines without UID,
 * RFC822.SIZE or INTERNALDATE (flag updates in passing) are not messages: ignored. */
void mail_listing_add(const ImapFetchData *fd, gpointer listing);
/* How many entries L holds now (repeats not merged yet count): what it costs. */
guint mail_listing_held(const MailListing *l);
/* The table, sorted with unique UIDs (the caller's); frees L. */
CacheFolderMeta *mail_listing_finish(MailListing *l);
void mail_listing_free(MailListing *l); /* abandons the table; accepts NULL */

/* FLAGS (may be NULL) space-separated, without \Recent (the session's, not the
 * message's): the form tables keep. A new string. */
char *mail_flags_join(char *const *flags);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MailListing, mail_listing_free)

G_END_DECLS

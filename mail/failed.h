/* imapfs mail — body fetches that failed a moment ago, by message.
 *
 * A READ that fails makes the kernel try again at once (its readahead failed, so it
 * reads the page itself), a read-only mount's handle is made anew for that READ, and a
 * background fetch may have been waiting on the same stalled server. Each try would
 * wait the whole timeout again: a cat of one stalled message took six timeouts. A
 * fetch that timed out is remembered
 * for MAIL_FAILED_TTL_US, and the tries in that time fail at once with the same error, so
 * the user's call fails within the timeout the user set.
 *
 * Ownership: the table copies what it is given; mail_failed_free() frees it all. Every
 * call is thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MAIL_FAILED_TTL_US (2 * G_USEC_PER_SEC)

typedef struct MailFailed MailFailed;

MailFailed *mail_failed_new(void);
void mail_failed_free(MailFailed *f); /* accepts NULL */
/* The fetch of MAILBOX's UID (under UIDV) failed with ERROR: remembered if the server
 * stalled (an IMAP timeout); a dropped connection is retried, an answer is an answer.
 * F may be NULL. */
void mail_failed_note(MailFailed *f, const char *mailbox, guint32 uidv, guint32 uid,
		      const GError *error);
/* TRUE, with a copy of the error, when that fetch failed less than MAIL_FAILED_TTL_US ago. */
gboolean mail_failed_recent(MailFailed *f, const char *mailbox, guint32 uidv, guint32 uid,
			    GError **error);

G_END_DECLS

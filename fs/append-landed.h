/* imapfs fs — whether an APPEND whose answer was lost stored the message.
 *
 * A connection that dies after the message went out takes the server's answer (and its
 * APPENDUID) with it: the message may be stored or not. Reporting a failure when it was
 * stored makes the user's retry store it twice, so before the failure is reported the
 * folder is asked: a message at or above the UIDNEXT seen before the APPEND with the same
 * Message-ID, the same size, the same INTERNALDATE and the same first bytes is the one
 * sent.
 */
#pragma once

#include "fs/mount.h"

G_BEGIN_DECLS

/* The folder's UIDNEXT as this mount knows it (its table, or a STATUS on S when the
 * table is not loaded): no message the APPEND stores can be below it. *UIDV its
 * UIDVALIDITY. FALSE when neither can tell. */
gboolean fs_append_bound(FsMount *m, ImapSession *s, const char *mailbox, guint32 *uidv,
			 guint32 *uidnext);

/* After APPEND of the SIZE bytes in FD (already CRLF as sent, INTERNALDATE DATE) into
 * MAILBOX failed without the server's answer: TRUE with *UID_OUT and *UIDV_OUT when a
 * fresh connection finds exactly one message at or above UIDNEXT (under UIDV) that is
 * the one sent. */
gboolean fs_append_landed(FsMount *m, const char *mailbox, guint32 uidv, guint32 uidnext, int fd,
			  guint64 size, gint64 date, guint32 *uidv_out, guint32 *uid_out);

G_END_DECLS

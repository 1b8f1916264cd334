/* imapfs fs — the outbox: a directory in the mount root (".outbox" unless configured)
 * where a file written and closed is sent by SMTP, then stored in the Sent folder with
 * \Seen. It is there only when smtp_host is set.
 *
 * The outbox's files ride on write.c's new-file machinery: the outbox directory is an
 * FsNode whose mailbox is FS_OUTBOX_MAILBOX (a name no server can have), write.c hands
 * a closed file of that "mailbox" to fs_outbox_send() instead of APPENDing it, and a
 * sent file disappears. close(2) returns the errno of a refusal: EINVAL for a message
 * without header block, sender or recipients (nothing sent); the SMTP error otherwise
 * (nothing sent either, and nothing stored in Sent). Every refusal is logged on stderr.
 *
 * The outbox (its SMTP settings and the Sent folder once found) hangs off the mount
 * (FsMount.outbox, NULL without smtp_host): main() makes it before the mount serves
 * requests and frees it after; its settings are read-only in between.
 */
#pragma once

#include "fs/mount.h"
#include "conf/oauth2.h"

G_BEGIN_DECLS

#define FS_OUTBOX_MAILBOX "\001outbox"

/* Resolves the SMTP settings from opts (the SMTP password file or command is read now,
 * so a broken one fails the mount) into *OUT (owned by the caller, fs_outbox_free). TRUE
 * and *OUT NULL when smtp_host is not set. */
gboolean fs_outbox_new(const ConfOptions *opts, FsOutbox **out, GError **error);
void fs_outbox_free(FsOutbox *o); /* NULL is fine */
/* With OAuth2 and no SMTP password, each send logs in with a fresh access token from
 * OAUTH2 (borrowed until fs_outbox_free; NULL: none): one taken at setup would expire.
 * O may be NULL (no outbox). */
void fs_outbox_set_oauth2(FsOutbox *o, ConfOAuth2 *oauth2);

const char *fs_outbox_name(const FsOutbox *o); /* NULL when O is (no outbox) */
gboolean fs_outbox_is(const FsMount *m, const char *mailbox);

/* The outbox directory itself, looked up in the root: reply the entry and return TRUE. */
gboolean fs_outbox_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);

/* Sends the closed file (fd, size bytes) and stores it in Sent: 0 or an errno. Only for a
 * file of the outbox directory, which exists only with M->outbox. */
int fs_outbox_send(FsMount *m, int fd, guint64 size);

G_END_DECLS

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
 * The SMTP settings are process-wide, set once by fs_outbox_setup() before the mount
 * serves requests and read-only afterwards.
 */
#pragma once

#include "fs/mount.h"
#include "fs/oauth2.h"

G_BEGIN_DECLS

#define FS_OUTBOX_MAILBOX "\001outbox"

/* Resolves the SMTP settings from opts (the SMTP password file or command is read now,
 * so a broken one fails the mount). TRUE and no outbox when smtp_host is not set. */
gboolean fs_outbox_setup(const FsOptions *opts, GError **error);
void fs_outbox_teardown(void);
/* With OAuth2 and no SMTP password, each send logs in with a fresh access token from O
 * (borrowed until fs_outbox_teardown; NULL: none): one taken at setup would expire. */
void fs_outbox_set_oauth2(FsOAuth2 *o);

gboolean fs_outbox_enabled(void);
const char *fs_outbox_name(void); /* NULL when disabled */
gboolean fs_outbox_is(const char *mailbox);

/* The outbox directory itself, looked up in the root: reply the entry and return TRUE. */
gboolean fs_outbox_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name);

/* Sends the closed file (fd, size bytes) and stores it in Sent: 0 or an errno. */
int fs_outbox_send(FsMount *m, int fd, guint64 size);

G_END_DECLS

/* imapfs mail — the file name of a message: "%010u.eml" of its UID.
 *
 * mail_msg_name_parse() accepts exactly that form (10 digits, UID 1..4294967295) and
 * nothing else, so each message has one UID name and a folder table can tell a name of
 * its own (one written through the mount) from a UID name.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MAIL_MSG_NAME_LEN 14 /* 10 digits + ".eml" */

void mail_msg_name(guint32 uid, char out[MAIL_MSG_NAME_LEN + 1]);
gboolean mail_msg_name_parse(const char *name, guint32 *uid);

G_END_DECLS

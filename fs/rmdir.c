/* imapfs fs — rmdir: delete a folder only while it is empty (see write.h).
 *
 * IMAP has no "DELETE if empty": a STATUS and a later DELETE leave a window in which mail
 * delivered to the folder is deleted with it. So the folder is first renamed to a unique
 * name next to it (same parent, so the same namespace and, on most servers, a cheap
 * directory rename): from then on deliveries to the old name fail or go elsewhere (an MTA
 * falls back to INBOX or retries) instead of landing in what is about to be deleted. Under
 * the unique name it is checked again (STATUS and LIST of children, which RENAME takes
 * along) and deleted only if still empty; otherwise it is renamed back and rmdir fails
 * with ENOTEMPTY. Only a client that listed the unique name in the instant between that
 * check and the DELETE could still put mail there.
 *
 * A folder already known to hold mail is never renamed (STATUS first): on a server whose
 * RENAME copies messages (not atomic, slow on a big folder) only empty or just-filled
 * folders take that path. A server that refuses the RENAME fails the rmdir (with its
 * errno) rather than falling back to the unsafe order. INBOX is never removed (EPERM):
 * RENAME of INBOX moves its messages instead. A folder that is not selectable (\Noselect)
 * and has no children holds no mail and is deleted directly.
 */
#include <errno.h>
#include <string.h>

#include "fs/errno-map.h"
#include "fs/write.h"

static void refresh_tree(FsMount *m)
{
	g_autoptr(GError) err = NULL;

	if (!fs_mount_refresh_tree(m, 0, &err))
		g_debug("imapfs: cannot LIST: %s", err->message);
}

/* Messages in MAILBOX plus its children (children count 1 each); -1 with ERROR. */
static gint64 contents(ImapSession *s, const char *mailbox, char delim, GError **error)
{
	g_autoptr(GPtrArray) kids = NULL;
	g_autofree char *pattern = g_strdup_printf("%s%c*", mailbox, delim);
	ImapMailbox *st = NULL;
	gint64 n;

	if (!imap_session_status(s, mailbox, &st, error))
		return -1;
	n = st->messages < 0 ? 1 : st->messages; /* unknown counts as not empty */
	imap_mailbox_free(st);
	if (delim && n == 0) {
		if (!imap_session_list(s, pattern, FALSE, &kids, error))
			return -1;
		n += kids->len;
	}
	return n;
}

/* A name no one else uses, next to MAILBOX. */
static char *hidden_name(FsMount *m, const char *mailbox)
{
	const char *cut = m->delimiter ? strrchr(mailbox, m->delimiter) : NULL;
	g_autofree char *parent =
	    cut ? g_strndup(mailbox, (gsize)(cut - mailbox) + 1) : g_strdup("");

	return g_strdup_printf("%simapfs-rmdir-%08x%08x", parent, g_random_int(), g_random_int());
}

/* The guarded delete on S (nothing selected there): 0 or an errno. */
static int delete_guarded(FsMount *m, ImapSession *s, const char *mailbox)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *hidden = hidden_name(m, mailbox);
	gint64 n = contents(s, mailbox, m->delimiter, &error);
	int err;

	if (n != 0)
		return n < 0 ? fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error)
			     : ENOTEMPTY;
	if (!imap_session_rename(s, mailbox, hidden, &error))
		return fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error);
	n = contents(s, hidden, m->delimiter, &error);
	if (n == 0 && imap_session_delete(s, hidden, &error))
		return 0;
	err = n > 0 ? ENOTEMPTY : fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error);
	g_clear_error(&error);
	if (!imap_session_rename(s, hidden, mailbox, &error)) {
		/* Nothing is lost, but the folder now has the other name: say where. */
		g_printerr("imapfs: warning: rmdir of %s found it not empty and cannot rename it "
			   "back from %s: %s\n",
			   mailbox, hidden, error->message);
		return EIO;
	}
	return err;
}

static int remove_folder(FsMount *m, const char *mailbox, gboolean selectable)
{
	g_autoptr(GError) error = NULL;
	ImapSession *s = fs_write_session(m, NULL, NULL, NULL, &error);
	const char *sel;
	int err;

	if (!s)
		return fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error);
	/* A folder selected here must not stay selected under a name that is gone. */
	sel = imap_session_selected(s);
	if (sel && !strcmp(sel, mailbox) && !imap_session_close(s, &error))
		err = fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error);
	else if (!selectable)
		err = imap_session_delete(s, mailbox, &error)
			  ? 0
			  : fs_errno_logged(m->log_limit, mailbox, NULL, "rmdir", error);
	else
		err = delete_guarded(m, s, mailbox);
	imap_pool_release(m->pool, s);
	return err;
}

void fs_modify_rmdir(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	g_autoptr(GPtrArray) names = NULL, mailboxes = NULL;
	g_autofree char *child = fs_tree_child(m->tree, parent->mailbox, name);
	gboolean selectable = FALSE;
	int err;

	if (!child) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (g_ascii_strcasecmp(child, "INBOX") == 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	refresh_tree(m);
	if (!fs_tree_dir(m->tree, child, &selectable))
		err = ENOENT;
	else if (fs_tree_children(m->tree, child, &names, &mailboxes) && names->len > 0)
		err = ENOTEMPTY;
	else
		err = remove_folder(m, child, selectable);
	refresh_tree(m);
	fuse_reply_err(req, err);
}

/* imapfs fs — changes to existing mail and folders (see write.h).
 *
 * Every change runs on a pool session that SELECTs the folder read-write just before
 * (reads only ever EXAMINE), after checking that UIDVALIDITY still gives UIDs the
 * meaning the kernel saw. Only then the folder table is re-read, outside the session,
 * which also queues the kernel's invalidations.
 */
#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "fs/errno-map.h"
#include "fs/names.h"
#include "fs/write.h"
#include "imap/quote.h"

#define XATTR_FLAGS "user.imap.flags"

static void release(FsMount *m, ImapSession *s)
{
	imap_pool_release(m->pool, s);
}

/* What the server would say to the write that follows, said before it is sent. */
static gboolean refuse_read_only(const char *mailbox, GError **error)
{
	GError *e = g_error_new(IMAP_ERROR, IMAP_ERROR_NO,
				"[NOPERM] the server opened \"%s\" read-only", mailbox);

	imap_error_set_response(e, IMAP_CODE_NOPERM, "NOPERM", NULL);
	g_propagate_error(error, e);
	return FALSE;
}

typedef struct {
	const char *mailbox;
	guint32 uidvalidity, uidnext;
} Ready;

/* The SELECT (or NOOP) also proves the pooled connection is still alive, so the change
 * itself is never retried: a retried APPEND could store twice. */
static gboolean select_for_write(ImapSession *s, gpointer data, GError **error)
{
	ImapSelectInfo info = {0};
	Ready *r = data;
	gboolean ok = r->mailbox ? imap_session_select(s, r->mailbox, FALSE, &info, error)
				 : imap_session_noop(s, error);

	if (ok && info.read_only)
		ok = refuse_read_only(r->mailbox, error);
	r->uidvalidity = info.uidvalidity;
	r->uidnext = info.uidnext;
	imap_select_info_clear(&info);
	return ok;
}

ImapSession *fs_write_session(FsMount *m, const char *mailbox, guint32 *uidvalidity,
			      guint32 *uidnext, GError **error)
{
	Ready r = {mailbox, 0, 0};
	ImapSession *s = imap_pool_acquire_ready(m->pool, mailbox, select_for_write, &r, error);

	if (s && uidvalidity)
		*uidvalidity = r.uidvalidity;
	if (s && uidnext)
		*uidnext = r.uidnext;
	return s;
}

void fs_write_refresh(FsMount *m, const char *mailbox)
{
	g_autoptr(GError) err = NULL;

	/* The change is done; a failed re-read only delays what the listing shows. */
	if (!fs_mount_refresh_folder(m, mail_folders_get(m->folders, mailbox), 0, &err))
		g_debug("imapfs: cannot re-read %s: %s", mailbox, err->message);
}

char **fs_write_parse_flags(const char *value, size_t size, GError **error)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) words = NULL;
	GPtrArray *out;

	if (size > FS_WRITE_XATTR_MAX || memchr(value, '\0', size)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "flag list too long or binary");
		return NULL;
	}
	text = g_strndup(value, size);
	words = g_strsplit_set(g_strstrip(text), " \t\r\n", -1);
	out = g_ptr_array_new();
	for (gsize i = 0; words[i]; i++) {
		/* \Recent is the server's to set; getxattr never shows it either. */
		if (*words[i] && g_ascii_strcasecmp(words[i], "\\Recent") != 0)
			g_ptr_array_add(out, g_strdup(words[i]));
	}
	g_ptr_array_add(out, NULL);
	char **flags = (char **)g_ptr_array_free(out, FALSE);
	if (!imap_flags_validate(flags, error)) {
		g_strfreev(flags);
		return NULL;
	}
	return flags;
}

/* ---- expunging one message ---------------------------------------------------------- */

/* 1 when a message other than UID carries \Deleted, 0 when none, -1 on error. */
static int others_deleted(ImapSession *s, guint32 uid, GError **error)
{
	g_autoptr(GArray) uids = NULL;

	if (!imap_session_uid_search(s, "DELETED", &uids, error))
		return -1;
	for (guint i = 0; i < uids->len; i++)
		if (g_array_index(uids, guint32, i) != uid)
			return 1;
	return 0;
}

/* Without UIDPLUS, EXPUNGE removes every \Deleted message: refuse rather than risk one. */
static int refuse_busy(GError **error)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
		    "another message is marked \\Deleted and the server lacks UIDPLUS");
	return EBUSY;
}

/* After a failed expunge: takes \Deleted off UID again on S, so that no later EXPUNGE or
 * CLOSE by any client removes a message whose rm failed. FALSE when S could not (the
 * connection died, maybe during the expunge): the caller must retry on a fresh session. */
static gboolean unmark(ImapSession *s, const char *set)
{
	char *deleted[] = {"\\Deleted", NULL};

	return imap_session_is_usable(s) &&
	       imap_session_store(s, set, IMAP_STORE_REMOVE, deleted, NULL);
}

/* \Deleted then expunge of UID alone on S (its folder SELECTed): 0 or an errno. On an
 * errno *marked says whether \Deleted may still be set (see unmark_fresh). */
static int expunge_uid(ImapSession *s, guint32 uid, gboolean *marked, GError **error)
{
	char set[16];
	char *deleted[] = {"\\Deleted", NULL};
	gboolean uidplus = imap_session_has_cap(s, "UIDPLUS");
	gboolean ok;
	int other;

	*marked = FALSE;
	snprintf(set, sizeof(set), "%u", uid);
	if (!uidplus && (other = others_deleted(s, uid, error)) != 0)
		return other < 0 ? fs_errno_from_error(*error) : refuse_busy(error);
	if (!imap_session_store(s, set, IMAP_STORE_ADD, deleted, error)) {
		/* A lost reply may hide a STORE that was done. */
		*marked = !imap_session_is_usable(s);
		return fs_errno_from_error(*error);
	}
	if (uidplus) {
		ok = imap_session_uid_expunge(s, set, error);
	} else {
		/* Another client may have set \Deleted since the search: look again. */
		other = others_deleted(s, uid, error);
		if (other == 0) {
			ok = imap_session_expunge(s, error);
		} else {
			ok = FALSE;
			if (other > 0)
				refuse_busy(error);
		}
	}
	if (ok)
		return 0;
	*marked = !unmark(s, set);
	return g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_BUSY) ? EBUSY
								    : fs_errno_from_error(*error);
}

/* A session on MAILBOX whose UIDVALIDITY is still UIDV; NULL with *err set otherwise. */
static ImapSession *session_checked(FsMount *m, const char *mailbox, guint32 uidv, int *err)
{
	g_autoptr(GError) error = NULL;
	guint32 v = 0;
	ImapSession *s = fs_write_session(m, mailbox, &v, NULL, &error);

	if (!s) {
		*err =
		    fs_errno_logged(m->log_limit, mailbox, NULL, "cannot open the folder", error);
		return NULL;
	}
	if (v != uidv) {
		release(m, s);
		*err = ENOENT; /* the UIDs the kernel saw mean other messages now */
		return NULL;
	}
	return s;
}

/* unmark() on a new session, once the dead one is back in the pool (a pool of one would
 * wait for itself otherwise). When the expunge did happen before the connection died,
 * this changes nothing: the UID is gone. */
static void unmark_fresh(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid)
{
	char set[16];
	int err = 0;
	ImapSession *s = session_checked(m, mailbox, uidv, &err);
	gboolean ok;

	snprintf(set, sizeof(set), "%u", uid);
	ok = s && unmark(s, set);
	release(m, s);
	if (!ok)
		g_printerr("imapfs: warning: UID %u in %s may still be marked \\Deleted after a "
			   "failed rm\n",
			   uid, mailbox);
}

/* Our own expunge of UID needs no re-read of the folder (O(messages) per rm, which an
 * rm -r of a big folder would pay per file): drop it from the table and tell the kernel.
 * The watcher's or the next listing's revalidation catches up on anything else. */
static void forget_expunged(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid)
{
	g_autoptr(MailFolderChanges) ch = NULL;

	if (!mail_folder_remove(mail_folders_get(m->folders, mailbox), uidv, uid)) {
		fs_write_refresh(m, mailbox);
		return;
	}
	ch = g_new0(MailFolderChanges, 1);
	ch->old_uidvalidity = ch->uidvalidity = uidv;
	ch->removed = g_array_new(FALSE, FALSE, sizeof(guint32));
	ch->resized = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_array_append_val(ch->removed, uid);
	fs_notify_folder_changes(m, mailbox, ch);
}

int fs_modify_expunge(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid)
{
	g_autoptr(GError) error = NULL;
	gboolean marked = FALSE;
	int err = 0;
	ImapSession *s = session_checked(m, mailbox, uidv, &err);

	if (s) {
		err = expunge_uid(s, uid, &marked, &error);
		release(m, s);
		if (marked)
			unmark_fresh(m, mailbox, uidv, uid);
	}
	if (!err)
		forget_expunged(m, mailbox, uidv, uid);
	else if (error)
		g_printerr("imapfs: %s: cannot expunge UID %u: %s\n", mailbox, uid, error->message);
	return err;
}

/* The message shown as NAME in PARENT: 0 with *uidv and *uid, or an errno. */
static int msg_by_name(FsMount *m, const FsNode *parent, const char *name, guint32 *uidv,
		       guint32 *uid)
{
	g_autoptr(GError) error = NULL;

	if (!fs_mount_find_msg(m, parent->mailbox, name, uidv, uid, &error))
		return fs_errno_logged(m->log_limit, parent->mailbox, name, "cannot look up",
				       error);
	return *uid ? 0 : ENOENT;
}

void fs_modify_unlink(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	g_autofree char *child = NULL;
	guint32 uid, uidv;
	int err;

	if (fs_write_unlink(req, m, parent, name))
		return;
	child = fs_tree_child(m->tree, parent->mailbox, name);
	if (child) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	err = msg_by_name(m, parent, name, &uidv, &uid);
	if (!err)
		err = fs_modify_expunge(m, parent->mailbox, uidv, uid);
	fuse_reply_err(req, err);
}

/* ---- moving a message ------------------------------------------------------------- */

/* *NEW_UIDV and *NEW_UID: the message's identity in TO, from COPYUID (0 if unknown). */
static int move_uid(FsMount *m, const char *from, guint32 uidv, guint32 uid, const char *to,
		    guint32 *new_uidv, guint32 *new_uid)
{
	g_autoptr(GError) error = NULL;
	gboolean marked = FALSE;
	ImapSession *s;
	int err = 0;

	s = session_checked(m, from, uidv, &err);
	if (!s)
		return err;
	if (imap_session_has_cap(s, "MOVE")) {
		if (!imap_session_move(s, uid, to, new_uidv, new_uid, &error))
			err = fs_mount_msg_errno(m, from, uidv, uid, "cannot move", error);
	} else if (!imap_session_has_cap(s, "UIDPLUS") && others_deleted(s, uid, &error) != 0) {
		/* Checked before the copy too, so a refusal leaves no duplicate behind. */
		err = error ? fs_mount_msg_errno(m, from, uidv, uid, "cannot move", error)
			    : refuse_busy(&error);
	} else if (!imap_session_copy(s, uid, to, new_uidv, new_uid, &error)) {
		err = fs_mount_msg_errno(m, from, uidv, uid, "cannot copy", error);
	} else {
		err = expunge_uid(s, uid, &marked, &error);
	}
	release(m, s);
	if (marked)
		unmark_fresh(m, from, uidv, uid); /* the copy stays: nothing is lost */
	return err;
}

/* The message TO got from a MOVE or COPY of one whose table entry was *MI and FLAGS
 * (read before the move; KNOWN: it was there): added from COPYUID, with no re-read
 * (O(messages) per mv of a file, and a whole listing without CONDSTORE). A server that
 * kept neither flags nor date (COPY SHOULD keep them) is put right by the next
 * revalidation, which sees the message as new. */
static void copied_in(FsMount *m, const char *to, gboolean known, MailMsgInfo mi, char *flags,
		      guint32 new_uidv, guint32 new_uid)
{
	if (!mail_folder_uidvalidity(mail_folders_get(m->folders, to)))
		return; /* not loaded: its first listing will have it */
	mi.uid = new_uid;
	if (known && new_uid && new_uidv) {
		char *one[] = {flags, NULL};

		if (fs_write_add_known(m, to, new_uidv, &mi, flags && *flags ? one : NULL))
			return;
	}
	fs_write_refresh(m, to);
}

void fs_write_name(FsMount *m, const char *mailbox, guint32 uidv, guint32 uid, const char *name)
{
	MailFolder *f = mail_folders_get(m->folders, mailbox);
	g_autoptr(GPtrArray) changed = mail_folder_set_name(f, uidv, uid, name);
	guint64 dir = fs_inode_find_dir(m->inodes, mailbox);

	for (guint i = 0; i < changed->len; i++)
		fs_notify_entry(m, dir, g_ptr_array_index(changed, i));
	if (name)
		fs_notify_entry(m, dir, name);
}

/* Within a folder a rename changes only the name the mount keeps for the message; onto
 * an existing name it replaces that message (the renamed one is on the server already,
 * so the old one can go first). */
static int rename_in_folder(FsMount *m, const FsNode *parent, guint32 uidv, guint32 uid,
			    const char *newname, guint32 duid)
{
	int err;

	if (duid && duid != uid && (err = fs_modify_expunge(m, parent->mailbox, uidv, duid)) != 0)
		return err;
	fs_write_name(m, parent->mailbox, uidv, uid, newname);
	return 0;
}

/* Without UIDPLUS a COPY does not say the new UID: the destination's UIDNEXT before
 * it (0 when not needed or unknown), ... */
static guint32 uidnext_before(FsMount *m, const char *mailbox)
{
	g_autoptr(GError) error = NULL;
	ImapMailbox *mb = NULL;
	ImapSession *s = imap_pool_acquire(m->pool, NULL, &error);
	guint32 next = 0;

	if (s && !imap_session_has_cap(s, "UIDPLUS") &&
	    imap_session_status(s, mailbox, &mb, &error) && mb->uidnext > 0)
		next = (guint32)mb->uidnext;
	if (mb)
		imap_mailbox_free(mb);
	release(m, s);
	return next;
}

/* ... and the one message at or after it afterwards: the moved one, unless another
 * arrived meanwhile (then 0: it is shown by its UID). */
static guint32 find_copied(FsMount *m, const char *mailbox, guint32 from, guint32 *uidv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) uids = NULL;
	g_autofree char *q = g_strdup_printf("UID %u:*", from);
	ImapSession *s = fs_write_session(m, mailbox, uidv, NULL, &error);
	guint32 found = 0, n = 0;

	if (s && imap_session_uid_search(s, q, &uids, &error))
		for (guint i = 0; i < uids->len; i++)
			if (g_array_index(uids, guint32, i) >= from) {
				found = g_array_index(uids, guint32, i);
				n++;
			}
	release(m, s);
	return n == 1 ? found : 0;
}

/* mv to another folder: MOVE (or COPY + expunge), and the message keeps its name
 * there, replacing one shown under it (only once the moved one is there). */
static int rename_across(FsMount *m, const FsNode *parent, guint32 uidv, guint32 uid,
			 const FsNode *newparent, const char *newname, guint32 duidv, guint32 duid)
{
	g_autofree char *msg_flags = NULL;
	guint32 new_uidv = 0, new_uid = 0;
	MailMsgInfo mi = {0};
	gboolean known;
	int err;

	/* Before the move: a refresh meanwhile could drop it, or catch it marked \Deleted
	 * half-way through a COPY + expunge. */
	guint32 next = uidnext_before(m, newparent->mailbox);

	known = mail_folder_msg(mail_folders_get(m->folders, parent->mailbox), uidv, uid, &mi,
				&msg_flags);
	err = move_uid(m, parent->mailbox, uidv, uid, newparent->mailbox, &new_uidv, &new_uid);
	if (!err && !new_uid && next)
		new_uid = find_copied(m, newparent->mailbox, next, &new_uidv);
	/* Even when the expunge after a COPY failed, the copy is there: show it. */
	if (!err || new_uid)
		copied_in(m, newparent->mailbox, known, mi, msg_flags, new_uidv, new_uid);
	if (err)
		return err;
	forget_expunged(m, parent->mailbox, uidv, uid);
	if (duid && (!new_uidv || new_uidv == duidv) && duid != new_uid)
		fs_modify_expunge(m, newparent->mailbox, duidv, duid);
	if (new_uid && new_uidv) {
		/* Before the reply: mv stats the new name at once, through that node. */
		fs_inode_move_msg(m->inodes, parent->mailbox, uidv, uid, newparent->mailbox,
				  new_uidv, new_uid);
		fs_write_name(m, newparent->mailbox, new_uidv, new_uid, newname);
	} else {
		fs_notify_entry(m, newparent->nodeid, newname);
	}
	return 0;
}

static void rename_msg(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		       const FsNode *newparent, const char *newname, unsigned int flags)
{
	gboolean selectable = FALSE;
	guint32 uidv, uid, duidv = 0, duid = 0;
	g_autoptr(GError) error = NULL;
	int err;

	if ((err = msg_by_name(m, parent, name, &uidv, &uid)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	if (!fs_tree_dir(m->tree, newparent->mailbox, &selectable) || !selectable) {
		fuse_reply_err(req, EPERM); /* the root and \Noselect folders hold no mail */
		return;
	}
	if (strlen(newname) > FS_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (!fs_mount_find_msg(m, newparent->mailbox, newname, &duidv, &duid, &error)) {
		fuse_reply_err(req, fs_errno_logged(m->log_limit, newparent->mailbox, newname,
						    "cannot look up", error));
		return;
	}
	if (duid && (flags & RENAME_NOREPLACE)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	if (!strcmp(parent->mailbox, newparent->mailbox))
		err = rename_in_folder(m, parent, uidv, uid, newname, duid);
	else
		err = rename_across(m, parent, uidv, uid, newparent, newname, duidv, duid);
	fuse_reply_err(req, err);
}

void fs_modify_rename(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name,
		      const FsNode *newparent, const char *newname, unsigned int flags)
{
	g_autofree char *child = NULL;

	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL); /* RENAME_EXCHANGE, RENAME_WHITEOUT */
		return;
	}
	if (fs_write_rename(req, m, parent, name, newparent, newname, flags))
		return;
	child = fs_tree_child(m->tree, parent->mailbox, name);
	if (child)
		fs_modify_rename_dir(req, m, child, newparent, newname, flags);
	else
		rename_msg(req, m, parent, name, newparent, newname, flags);
}

/* ---- attributes and flags ------------------------------------------------------------- */

void fs_write_setattr_message(fuse_req_t req, FsMount *m, const char *mailbox, guint32 uidv,
			      guint32 uid, struct stat *attr, int to_set)
{
	MailFolder *f = mail_folders_get(m->folders, mailbox);
	struct stat st;
	MailMsgInfo mi;
	int err;

	/* A size without an open file (truncate(2) by path): messages change only by being
	 * written, which replaces them. */
	if (to_set & FUSE_SET_ATTR_SIZE) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (!mail_folder_msg(f, uidv, uid, &mi, NULL)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fs_mount_msg_attr(m, &mi, fs_inode_ino_message(mailbox, uidv, uid), &st);
	if ((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW) &&
	    attr->st_mtime != mi.internaldate) {
		if ((err = fs_write_redate(m, mailbox, uidv, uid, attr->st_mtime)) != 0) {
			fuse_reply_err(req, err);
			return;
		}
		if (!mail_folder_msg(f, uidv, uid, NULL, NULL)) {
			/* Stored again with that date, under the same name: what the kernel
			 * holds for this node is gone, so nothing of it may be cached. */
			st.st_atime = st.st_mtime = st.st_ctime = attr->st_mtime;
			fuse_reply_attr(req, &st, 0.0);
			return;
		}
	}
	/* Mode and owner are accepted and left as they are (rsync -a, cp -p). */
	fuse_reply_attr(req, &st, FS_ATTR_TIMEOUT);
}

void fs_modify_setattr(fuse_req_t req, FsMount *m, const FsNode *node, struct stat *attr,
		       int to_set)
{
	struct stat st;

	if (node->kind == FS_NODE_DIR) {
		if (to_set & FUSE_SET_ATTR_SIZE) {
			fuse_reply_err(req, EISDIR);
			return;
		}
		fs_mount_dir_attr(m, node->mailbox, node->ino, &st);
		fuse_reply_attr(req, &st, FS_ATTR_TIMEOUT);
		return;
	}
	fs_write_setattr_message(req, m, node->mailbox, node->uidvalidity, node->uid, attr, to_set);
}

int fs_modify_store_flags(FsMount *m, const char *mailbox, guint32 uidvalidity, guint32 uid,
			  char **flags)
{
	g_autoptr(GError) error = NULL;
	char set[16];
	ImapSession *s;
	int err = 0;

	s = session_checked(m, mailbox, uidvalidity, &err);
	if (!s)
		return err;
	snprintf(set, sizeof(set), "%u", uid);
	if (!imap_session_store(s, set, IMAP_STORE_SET, flags, &error))
		err =
		    fs_mount_msg_errno(m, mailbox, uidvalidity, uid, "cannot set the flags", error);
	release(m, s);
	/* setfattr over many messages: no re-read of the folder (O(messages)) per file. */
	if (!err &&
	    !mail_folder_set_flags(mail_folders_get(m->folders, mailbox), uidvalidity, uid, flags))
		fs_write_refresh(m, mailbox);
	return err;
}

void fs_modify_setxattr(fuse_req_t req, FsMount *m, const FsNode *node, const char *name,
			const char *value, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) flags = NULL;

	if (node->kind != FS_NODE_MSG || strcmp(name, XATTR_FLAGS) != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	flags = fs_write_parse_flags(value, size, &error);
	if (!flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_err(
	    req, fs_modify_store_flags(m, node->mailbox, node->uidvalidity, node->uid, flags));
}

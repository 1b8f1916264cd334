/* imapfs fs — extended attributes and statfs.
 *
 * user.imap.flags on a message: its flags and keywords, space-separated.
 * user.imapfs.stats on the root: counters (body fetches, cache hits, listings) that let
 * tests prove, for instance, that a remount served bodies from the cache.
 * user.imapfs.status on the root: the text of `imapfs status` (status.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs/errno-map.h"
#include "fs/mount.h"
#include "fs/status.h"
#include "fs/write.h"

#define XATTR_FLAGS "user.imap.flags"
#define XATTR_STATS "user.imapfs.stats"

static void reply_value(fuse_req_t req, const char *value, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
}

/* A file written through the mount: its flags before it is sent, the message's after. */
static void pending_getxattr(fuse_req_t req, FsMount *m, fuse_ino_t ino, const char *name,
			     size_t size)
{
	FsNode n = {0};
	g_autofree char *value = NULL;

	if (!fs_write_alias(m, ino, &n, &value)) {
		fuse_reply_err(req, ENOENT);
	} else if (strcmp(name, XATTR_FLAGS) != 0) {
		fuse_reply_err(req, ENODATA);
	} else if (!value && !mail_folder_msg(mail_folders_get(m->folders, n.mailbox),
					      n.uidvalidity, n.uid, NULL, &value)) {
		fuse_reply_err(req, ENOENT);
	} else {
		reply_value(req, value, strlen(value), size);
	}
	g_free(n.mailbox);
}

void fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	FsMount *m = fuse_req_userdata(req);
	FsNode *n = fs_inode_get(m->inodes, ino);
	g_autofree char *value = NULL;
	MailMsgInfo mi;

	/* Only user.* exists here. ENOTSUP (not ENODATA) for security.* and system.* makes
	 * `ls -l` stop asking for SELinux labels and ACLs after the first file of the
	 * mount, instead of two requests per file (coreutils remembers it per device). */
	if (strncmp(name, "user.", 5) != 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (fs_write_owns_node(ino)) {
		pending_getxattr(req, m, ino, name, size);
		return;
	}
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (ino == FS_ROOT_NODEID && strcmp(name, XATTR_STATS) == 0) {
		value = mail_stats_format(&m->stats);
	} else if (ino == FS_ROOT_NODEID && strcmp(name, FS_XATTR_STATUS) == 0) {
		FsStatusSource src = {m->opts,	    &m->stats,	       m->cache,   m->folders,
				      m->log_limit, m->outbox != NULL, m->started, m->pool};
		value = fs_status_format(&src);
	} else if (n->kind == FS_NODE_MSG && strcmp(name, XATTR_FLAGS) == 0) {
		MailFolder *f = mail_folders_get(m->folders, n->mailbox);

		if (!mail_folder_msg(f, n->uidvalidity, n->uid, &mi, &value)) {
			fuse_reply_err(req, ENOENT);
			return;
		}
	} else {
		fuse_reply_err(req, ENODATA);
		return;
	}
	reply_value(req, value, strlen(value), size);
}

void fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	FsMount *m = fuse_req_userdata(req);
	FsNode *n = fs_inode_get(m->inodes, ino);

	if (fs_write_owns_node(ino)) {
		reply_value(req, XATTR_FLAGS, sizeof(XATTR_FLAGS), size);
		return;
	}
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* Names are NUL-terminated, the terminator counted. */
	if (ino == FS_ROOT_NODEID)
		reply_value(req, XATTR_STATS "\0" FS_XATTR_STATUS,
			    sizeof(XATTR_STATS) + sizeof(FS_XATTR_STATUS), size);
	else if (n->kind == FS_NODE_MSG)
		reply_value(req, XATTR_FLAGS, sizeof(XATTR_FLAGS), size);
	else
		reply_value(req, "", 0, size);
}

void fs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	FsMount *m = fuse_req_userdata(req);
	g_autoptr(GError) err = NULL;
	guint64 usage = 0, limit = 0;
	struct statvfs sv;
	ImapSession *s;
	gboolean ok;

	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 1024; /* QUOTA STORAGE counts KiB */
	sv.f_namemax = 255;
	s = imap_pool_acquire(m->pool, NULL, &err);
	ok = s && imap_session_quota(s, "INBOX", &usage, &limit, &err);
	imap_pool_release(m->pool, s);
	if (ok && limit > 0) {
		sv.f_blocks = limit;
		sv.f_bfree = sv.f_bavail = limit > usage ? limit - usage : 0;
	}
	/* No quota: zeros, as for other network file systems without a size. */
	sv.f_files = fs_inode_count(m->inodes);
	fuse_reply_statfs(req, &sv);
}

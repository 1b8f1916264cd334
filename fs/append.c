/* imapfs fs — the APPEND of a new file (see write.h): its data file in the cache
 * directory, the check that it looks like a message, and finding its UID when the
 * server does not say it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs/append-landed.h"
#include "fs/errno-map.h"
#include "fs/names.h"
#include "fs/outbox.h"
#include "fs/write.h"

#define CRLF_MAX (1024 * 1024)	/* larger messages go as they are, never held in memory */

/* ---- the data file ----------------------------------------------------------------- */

/* An unnamed file in the cache directory: private, on disk, gone when closed. */
int fs_write_open_data_file(FsMount *m)
{
	const char *dir = m->opts->cache_dir;
	int fd;

	if (!dir || g_mkdir_with_parents(dir, 0700) != 0)
		return -errno;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		g_autofree char *tmpl = g_build_filename(dir, ".new-XXXXXX", NULL);

		fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlink(tmpl);
	}
	return fd >= 0 ? fd : -errno;
}

static gboolean field_name_ok(const char *s, gsize len)
{
	gsize i = 0;

	while (i < len && s[i] != ':' && s[i] > 32 && s[i] < 127)
		i++;
	return i > 0 && i < len && s[i] == ':';
}

int fs_write_header_state(const char *data, gsize len, gboolean complete)
{
	gboolean fields = FALSE;

	for (gsize i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		gsize end = nl ? (gsize)(nl - data) : len, le = end;

		if (!nl && !complete)
			return memchr(data + i, '\0', len - i) ? -1 : 0; /* the line goes on */
		if (le > i && data[le - 1] == '\r')
			le--;
		if (le == i)
			return fields ? 1 : -1; /* the blank line ending the header block */
		if (memchr(data + i, '\0', le - i))
			return -1;
		if (data[i] == ' ' || data[i] == '\t') {
			if (!fields)
				return -1; /* a continuation with nothing to continue */
		} else if (!field_name_ok(data + i, le - i)) {
			return -1;
		} else {
			fields = TRUE;
		}
		i = end + 1;
	}
	if (!complete)
		return 0;
	return fields ? 1 : -1; /* a message of header fields only */
}

/* ---- APPEND ------------------------------------------------------------------------- */

char *fs_write_message_id(const char *head, gsize len)
{
	static const char key[] = "\nmessage-id:";
	g_autofree char *text = g_strndup(head, len);
	g_autofree char *lower = g_ascii_strdown(text, -1);
	const char *at = strstr(lower, key);
	char *v;

	if (!at)
		return NULL;
	v = g_strstrip(g_strndup(text + (at - lower) + strlen(key),
				 strcspn(text + (at - lower) + strlen(key), "\r\n")));
	for (const char *c = v; *c; c++)
		if (*c < 33 || *c > 126 || *c == '"' || *c == '\\')
			return (g_free(v), NULL);
	if (!*v || strlen(v) > 250)
		return (g_free(v), NULL);
	return v;
}

/* Without APPENDUID: the new message is at or after the UIDNEXT seen before the APPEND;
 * when others arrived meanwhile, its Message-ID tells which. 0 if still unclear. */
static guint32 find_uid(ImapSession *s, guint32 uidnext, const char *head, gsize len)
{
	g_autoptr(GArray) uids = NULL;
	g_autofree char *id = fs_write_message_id(head, len);
	g_autofree char *q = NULL;
	guint32 found = 0;
	guint n = 0;

	if (!uidnext || !imap_session_noop(s, NULL))
		return 0;
	q = id ? g_strdup_printf("UID %u:* HEADER Message-ID \"%s\"", uidnext, id)
	       : g_strdup_printf("UID %u:*", uidnext);
	if (!imap_session_uid_search(s, q, &uids, NULL))
		return 0;
	for (guint i = 0; i < uids->len; i++) {
		guint32 u = g_array_index(uids, guint32, i);

		if (u >= uidnext) { /* "n:*" also matches the highest UID below n */
			found = u;
			n++;
		}
	}
	return n == 1 ? found : 0;
}

/* Bare LFs become CRLF in the data file (IMAP wants CRLF on the wire; Dovecot stores a
 * bare-LF message measurably slower) and *SIZE follows. 1 when the data is CRLF-clean
 * now (every CR before an LF, no NUL): then its RFC822.SIZE is its length on any server
 * and its table entry needs no FETCH. 0 when left as it is (too large, or lone CRs or
 * NULs the server may treat its own way), or -errno (the file may be half rewritten). */
static int make_crlf(int fd, guint64 *size)
{
	g_autofree char *in = NULL, *out = NULL;
	gsize n = (gsize)*size, bare = 0, j = 0;

	if (*size > CRLF_MAX)
		return 0;
	in = g_malloc(n + 1);
	if (pread(fd, in, n, 0) != (ssize_t)n)
		return 0; /* the APPEND reports what is wrong with the file */
	for (gsize i = 0; i < n; i++) {
		if (in[i] == '\0' || (in[i] == '\r' && (i + 1 == n || in[i + 1] != '\n')))
			return 0;
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			bare++;
	}
	if (bare == 0)
		return 1;
	out = g_malloc(n + bare);
	for (gsize i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[j++] = '\r';
		out[j++] = in[i];
	}
	errno = 0;
	if (pwrite(fd, out, j, 0) != (ssize_t)j)
		return errno ? -errno : -EIO;
	*size = j;
	return 1;
}

/* See write.h. For a CRLF-clean message just appended, everything the entry holds is what
 * was sent, so it costs no round trip; mv passes the moved message's entry. */
gboolean fs_write_add_known(FsMount *m, const char *mailbox, guint32 uidv, const MailMsgInfo *mi,
			    char **flags)
{
	g_autofree char *joined = flags ? g_strjoinv(" ", flags) : NULL;
	char name[MAIL_MSG_NAME_LEN + 1];

	if (!uidv || !mail_folder_add(mail_folders_get(m->folders, mailbox), uidv, mi, joined))
		return FALSE;
	/* A lookup of the UID name before it existed may have left a negative entry. */
	mail_msg_name(mi->uid, name);
	fs_notify_entry(m, fs_inode_find_dir(m->inodes, mailbox), name);
	return TRUE;
}

/* The errno for ERROR, and the server's own words for the log. */
static int failed(const GError *error, char **why)
{
	*why = g_strdup(error->message);
	return fs_errno_from_error(error);
}

/* The connection died under the APPEND (not a NO or BAD): the server may have stored
 * the message and its answer was lost. (A TLS error here is the record layer's: the
 * handshake was long done.) */
static gboolean answer_lost(const GError *error)
{
	return error && error->domain == IMAP_ERROR &&
	       (error->code == IMAP_ERROR_NETWORK || error->code == IMAP_ERROR_TIMEOUT ||
		error->code == IMAP_ERROR_BYE || error->code == IMAP_ERROR_PROTOCOL ||
		error->code == IMAP_ERROR_TLS);
}

/* The server said NO to an APPEND into the folder S has selected. */
static gboolean refused_while_open(ImapSession *s, const char *mailbox, const GError *error)
{
	const char *sel = imap_session_selected(s);

	return g_error_matches(error, IMAP_ERROR, IMAP_ERROR_NO) && sel &&
	       strcmp(sel, mailbox) == 0;
}

/* A failed APPEND whose answer was lost, found stored after all: the error goes, and
 * the log says so once (the user was not told anything else). */
static gboolean landed_after_all(FsMount *m, const char *mailbox, guint32 uidv, guint32 uidnext,
				 int fd, guint64 size, gint64 date, guint32 *v, guint32 *uid,
				 GError **error)
{
	if (!answer_lost(*error) ||
	    !fs_append_landed(m, mailbox, uidv, uidnext, fd, size, date, v, uid))
		return FALSE;
	g_printerr("imapfs: %s: the server's answer to an APPEND was lost (%s); the message "
		   "is stored, as UID %u\n",
		   mailbox, (*error)->message, *uid);
	g_clear_error(error);
	return TRUE;
}

/* Without UIDPLUS: SELECT for UIDNEXT first, search for the UID afterwards, re-read. */
static int append_searching(FsMount *m, const char *mailbox, char **flags, gint64 date, int fd,
			    guint64 size, ImapSession *s, const char *head, gsize len,
			    guint32 *uidv_out, guint32 *uid_out, char **why)
{
	g_autoptr(GError) error = NULL;
	guint32 uidv = 0, uidnext = 0, v = 0, uid = 0;
	gboolean ok;

	imap_pool_release(m->pool, s);
	s = fs_write_session(m, mailbox, &uidv, &uidnext, &error);
	if (!s)
		return failed(error, why);
	ok = imap_session_append(s, mailbox, flags, date, fd, size, &v, &uid, &error);
	if (!ok)
		ok = landed_after_all(m, mailbox, uidv, uidnext, fd, size, date, &v, &uid, &error);
	if (ok && !uid) {
		v = uidv;
		uid = find_uid(s, uidnext, head, len);
	}
	imap_pool_release(m->pool, s);
	if (!ok)
		return failed(error, why);
	*uidv_out = v;
	*uid_out = uid;
	fs_write_refresh(m, mailbox);
	return 0;
}

typedef struct {
	guint32 uid;
	gboolean found;
	MailMsgInfo mi;
	char *flags;
} NewMsg;

static void on_new_msg(const ImapFetchData *fd, gpointer data)
{
	const guint need = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE;
	NewMsg *n = data;
	GString *flags;

	if ((fd->fields & need) != need || fd->uid != n->uid)
		return;
	n->found = TRUE;
	n->mi.uid = fd->uid;
	n->mi.size = fd->size;
	n->mi.internaldate = fd->internaldate;
	/* \Recent is the session's, not the message's (as in the folder's own listing). */
	flags = g_string_new(NULL);
	for (gsize i = 0; fd->flags && fd->flags[i]; i++) {
		if (g_ascii_strcasecmp(fd->flags[i], "\\Recent") == 0)
			continue;
		if (flags->len)
			g_string_append_c(flags, ' ');
		g_string_append(flags, fd->flags[i]);
	}
	g_free(n->flags);
	n->flags = g_string_free(flags, FALSE);
}

/* Puts the message just appended into the folder's table from one UID FETCH on S,
 * instead of revalidating the whole folder (a second SELECT/EXAMINE and listing per
 * file made cp slow). FALSE when that cannot be done: the caller re-reads the folder. */
static gboolean learn_new(FsMount *m, ImapSession *s, const char *mailbox, guint32 uidv,
			  guint32 uid)
{
	g_autoptr(GError) error = NULL;
	MailFolder *f = mail_folders_get(m->folders, mailbox);
	ImapSelectInfo info = {0};
	NewMsg n = {.uid = uid};
	char set[16];
	gboolean fresh = FALSE, ok;

	if (!uidv || mail_folder_uidvalidity(f) != uidv)
		return FALSE; /* not loaded yet, or another generation of the folder */
	ok = imap_pool_examine(s, mailbox, &info, &fresh, &error) &&
	     (!fresh || info.uidvalidity == uidv);
	imap_select_info_clear(&info);
	g_snprintf(set, sizeof(set), "%u", uid);
	ok = ok && imap_session_fetch_meta(s, set, 0, on_new_msg, &n, &error) && n.found;
	if (ok) {
		char *one[] = {n.flags, NULL};

		ok = fs_write_add_known(m, mailbox, uidv, &n.mi, n.flags && *n.flags ? one : NULL);
	}
	g_free(n.flags);
	return ok;
}

int fs_write_append(FsMount *m, const char *mailbox, char **flags, gint64 date, int fd,
		    guint64 size, guint32 *uidv_out, guint32 *uid_out, char **why)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *head = g_malloc(FS_WRITE_HEADER_PEEK);
	guint32 v = 0, uid = 0, bound_v, bound;
	ssize_t n = pread(fd, head, (size_t)MIN(size, FS_WRITE_HEADER_PEEK), 0);
	MailMsgInfo mi = {0};
	ImapSession *s;
	gboolean ok, known, learned = FALSE;
	int clean;

	*why = NULL;
	if (n < 0) {
		*why = g_strdup_printf("cannot read the data: %s", g_strerror(errno));
		return errno;
	}
	if (fs_outbox_is(m, mailbox))
		return fs_outbox_send(m, fd, size); /* SMTP, then a copy in Sent */
	if ((*why = fs_write_not_a_message(head, (gsize)n, size)))
		return EINVAL; /* checked before anything is sent */
	clean = make_crlf(fd, &size);
	if (clean < 0) {
		*why = g_strdup_printf("cannot convert line ends: %s", g_strerror(-clean));
		return -clean;
	}
	/* CRLF data without flags (which the server may drop) needs no FETCH afterwards. */
	known = clean > 0 && !(flags && *flags);
	/* One with MAILBOX selected when the new message must be fetched, else one that keeps
	 * other readers' selections. APPEND needs no SELECT; that the session is not known
	 * to be dead is what makes the first try safe: an APPEND is never retried. */
	s = imap_pool_acquire_alive(m->pool, known ? NULL : mailbox, &error);
	if (!s)
		return failed(error, why);
	mi.internaldate = date > 0 ? date : g_get_real_time() / G_USEC_PER_SEC;
	if (!imap_session_has_cap(s, "UIDPLUS"))
		return append_searching(m, mailbox, flags, mi.internaldate, fd, size, s, head,
					(gsize)n, uidv_out, uid_out, why);
	/* One round trip: the APPEND; APPENDUID names the new message, and for CRLF data
	 * with our own INTERNALDATE the table entry is known without asking. The folder's
	 * UIDNEXT beforehand (from its table, usually) bounds the search should the answer
	 * be lost. */
	if (!fs_append_bound(m, s, mailbox, &bound_v, &bound))
		bound_v = bound = 0;
	ok = imap_session_append(s, mailbox, flags, mi.internaldate, fd, size, &v, &uid, &error);
	if (!ok && refused_while_open(s, mailbox, error)) {
		/* Courier refuses an APPEND into the folder the connection has open read-only
		 * ("NO Current box is selected READ-ONLY"). A NO stored nothing, so the folder
		 * is closed (never expunging: see imap_session_close) and the APPEND sent
		 * again, once. */
		g_clear_error(&error);
		ok = imap_session_close(s, &error) &&
		     imap_session_append(s, mailbox, flags, mi.internaldate, fd, size, &v, &uid,
					 &error);
	}
	if (!ok) {
		imap_pool_release(m->pool, s); /* dead: the check takes a fresh one */
		s = NULL;
		ok = landed_after_all(m, mailbox, bound_v, bound, fd, size, mi.internaldate, &v,
				      &uid, &error);
	}
	mi.uid = uid;
	mi.size = size;
	if (ok && uid && s)
		learned = known ? fs_write_add_known(m, mailbox, v, &mi, flags)
				: learn_new(m, s, mailbox, v, uid);
	if (s)
		imap_pool_release(m->pool, s);
	if (!ok)
		return failed(error, why);
	*uidv_out = v;
	*uid_out = uid;
	if (!learned)
		fs_write_refresh(m, mailbox);
	return 0;
}

char *fs_write_not_a_message(const char *head, gsize len, guint64 size)
{
	if (size == 0)
		return g_strdup("not a message: the file is empty");
	if (fs_write_header_state(head, len, size <= FS_WRITE_HEADER_PEEK) != 1)
		return g_strdup("not a message: it does not start with a header block");
	return NULL;
}

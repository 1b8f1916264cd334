/* imapfs fs — whether an APPEND whose answer was lost stored the message (see
 * append-landed.h). */
#include "fs/append-landed.h"

#include <string.h>
#include <unistd.h>

#include "mail/folder.h"
#include "fs/write.h"

#define HEAD_BYTES (16 * 1024) /* compared byte for byte: the header, usually whole */
#define LOOKS 4
#define LOOK_PAUSE_US (300 * 1000) /* 0.3 s, then 0.6 and 0.9: 1.8 s in all */

gboolean fs_append_bound(FsMount *m, ImapSession *s, const char *mailbox, guint32 *uidv,
			 guint32 *uidnext)
{
	MailFolderStatus st;
	ImapMailbox *mb = NULL;
	gboolean ok;

	if (mail_folder_status(mail_folders_get(m->folders, mailbox), &st) && st.uidnext) {
		*uidv = st.uidvalidity;
		*uidnext = st.uidnext;
		return TRUE;
	}
	ok = imap_session_status(s, mailbox, &mb, NULL) && mb->uidnext > 0 && mb->uidvalidity > 0;
	if (ok) {
		*uidv = (guint32)mb->uidvalidity;
		*uidnext = (guint32)mb->uidnext;
	}
	imap_mailbox_free(mb);
	return ok;
}

typedef struct {
	GArray *uids; /* candidates */
	guint64 size; /* what was sent */
	gint64 date;
	GArray *matched; /* candidates of that size and date */
} Match;

static void on_meta(const ImapFetchData *fd, gpointer data)
{
	Match *mt = data;
	const guint need = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE;

	if ((fd->fields & need) == need && fd->size == mt->size && fd->internaldate == mt->date)
		g_array_append_val(mt->matched, fd->uid);
}

/* "UID n:* HEADER Message-ID ..." of the message's own Message-ID, else every UID
 * from UIDNEXT on. */
static char *search_query(const char *head, gsize len, guint32 uidnext)
{
	g_autofree char *id = fs_write_message_id(head, len);

	return id ? g_strdup_printf("UID %u:* HEADER Message-ID \"%s\"", uidnext, id)
		  : g_strdup_printf("UID %u:*", uidnext);
}

static char *uid_set(GArray *uids, guint32 min)
{
	GString *set = g_string_new(NULL);

	for (guint i = 0; i < uids->len; i++) {
		guint32 u = g_array_index(uids, guint32, i);

		if (u < min) /* "n:*" also matches the highest UID below n */
			continue;
		g_string_append_printf(set, "%s%u", set->len ? "," : "", u);
	}
	return g_string_free(set, set->len == 0);
}

/* Does UID's start match the LEN bytes of HEAD? */
static gboolean same_start(ImapSession *s, guint32 uid, const char *head, gsize len)
{
	g_autoptr(ImapBody) b = NULL;
	g_autofree char *got = g_malloc(MAX(len, 1));

	return imap_session_fetch_body(s, uid, 0, len, &b, NULL) && b &&
	       imap_body_get_size(b) == len && imap_body_pread(b, got, len, 0) == (gssize)len &&
	       memcmp(got, head, len) == 0;
}

static guint32 find_sent(ImapSession *s, guint32 uidnext, const char *head, gsize len, guint64 size,
			 gint64 date)
{
	g_autofree char *q = search_query(head, len, uidnext);
	g_autoptr(GArray) uids = NULL;
	g_autofree char *set = NULL;
	Match mt = {.size = size, .date = date};
	guint32 found = 0;
	guint n = 0;

	if (!imap_session_uid_search(s, q, &uids, NULL) || !(set = uid_set(uids, uidnext)))
		return 0;
	mt.matched = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (imap_session_fetch_meta(s, set, 0, on_meta, &mt, NULL))
		for (guint i = 0; i < mt.matched->len; i++) {
			guint32 u = g_array_index(mt.matched, guint32, i);

			if (same_start(s, u, head, len)) {
				found = u;
				n++;
			}
		}
	g_array_unref(mt.matched);
	return n == 1 ? found : 0; /* two would be a copy sent twice: not ours to pick */
}

/* One look on a fresh connection: the UID, 0 when the folder does not hold it, -1
 * when the look could not be made. */
static gint64 look(FsMount *m, const char *mailbox, guint32 uidv, guint32 uidnext, const char *head,
		   gsize len, guint64 size, gint64 date)
{
	guint32 now_uidv = 0;
	gint64 uid = 0;
	ImapSession *s = fs_write_session(m, mailbox, &now_uidv, NULL, NULL);

	if (!s)
		return -1;
	if (now_uidv == uidv)
		uid = find_sent(s, uidnext, head, len, size, date);
	if (!uid && !imap_session_noop(s, NULL))
		uid = -1; /* the answers were cut short */
	imap_pool_release(m->pool, s);
	return uid;
}

gboolean fs_append_landed(FsMount *m, const char *mailbox, guint32 uidv, guint32 uidnext, int fd,
			  guint64 size, gint64 date, guint32 *uidv_out, guint32 *uid_out)
{
	g_autofree char *head = g_malloc(HEAD_BYTES);
	ssize_t len = pread(fd, head, (size_t)MIN(size, HEAD_BYTES), 0);
	gint64 deadline =
	    g_get_monotonic_time() + (gint64)net_config_io_timeout_ms(&m->opts->imap.net) * 1000;
	gint64 uid = 0;
	int misses = 0;

	if (len <= 0 || !uidv || !uidnext)
		return FALSE;
	/* The server may still be committing what it received when the connection went:
	 * LOOKS looks that find nothing, LOOK_PAUSE_US apart and growing, before the
	 * failure stands. A look that could not be made (its connection died too) is made
	 * again, within the I/O timeout. */
	while (uid <= 0 && misses < LOOKS && g_get_monotonic_time() < deadline) {
		uid = look(m, mailbox, uidv, uidnext, head, (gsize)len, size, date);
		if (uid == 0 && ++misses < LOOKS)
			g_usleep((gulong)(LOOK_PAUSE_US * misses));
	}
	if (uid <= 0)
		return FALSE;
	*uidv_out = uidv;
	*uid_out = (guint32)uid;
	return TRUE;
}

/* imapfs mail — a folder's table from a listing's FETCH lines (see listing.h). */
#include "mail/listing.h"
#include "mail/msg-name.h"

#define FALLBACK_TIME 0 /* 1970-01-01 00:00:00 UTC, see listing.h */

struct MailListingLog {
	guint32 uidvalidity; /* of what was reported */
	GHashTable *uids;    /* UIDs whose bad item was reported */
	gboolean no_uid;     /* a line without a usable UID was reported */
	gboolean full;	     /* MAIL_LISTING_REPORT_MAX reached, and said */
};

struct MailListing {
	char *mailbox;
	CacheFolderMeta *meta;
	guint sorted; /* msgs[0..sorted) in uid order, unique */
	MailListingLog *log;
};

MailListingLog *mail_listing_log_new(void)
{
	MailListingLog *log = g_new0(MailListingLog, 1);

	log->uids = g_hash_table_new(NULL, NULL);
	return log;
}

void mail_listing_log_free(MailListingLog *log)
{
	if (!log)
		return;
	g_hash_table_unref(log->uids);
	g_free(log);
}

MailListing *mail_listing_new(const char *mailbox, CacheFolderMeta *base, MailListingLog *log)
{
	MailListing *l = g_new0(MailListing, 1);

	l->mailbox = g_strdup(mailbox);
	l->meta = base;
	l->sorted = base->msgs->len;
	l->log = log;
	/* What was said about another UIDVALIDITY says nothing about these messages. */
	if (log && log->uidvalidity != base->uidvalidity) {
		g_hash_table_remove_all(log->uids);
		log->uidvalidity = base->uidvalidity;
		log->no_uid = log->full = FALSE;
	}
	return l;
}

void mail_listing_free(MailListing *l)
{
	if (!l)
		return;
	cache_folder_meta_free(l->meta);
	g_free(l->mailbox);
	g_free(l);
}

guint mail_listing_held(const MailListing *l)
{
	return l->meta->msgs->len;
}

CacheFolderMeta *mail_listing_finish(MailListing *l)
{
	CacheFolderMeta *m = l->meta;

	cache_folder_meta_merge_tail(m, l->sorted);
	l->meta = NULL;
	mail_listing_free(l);
	return m;
}

char *mail_flags_join(char *const *flags)
{
	GString *out = g_string_new(NULL);

	for (gsize i = 0; flags && flags[i]; i++) {
		/* \Recent belongs to the session that saw it first, not to the message: it is
		 * left out so the value does not depend on which connection fetched it. */
		if (g_ascii_strcasecmp(flags[i], "\\Recent") == 0)
			continue;
		if (out->len)
			g_string_append_c(out, ' ');
		g_string_append(out, flags[i]);
	}
	return g_string_free(out, FALSE);
}

/* Whether to say something about UID (0: a line without a usable UID) now. */
static gboolean to_report(MailListingLog *log, const char *mailbox, guint32 uid)
{
	if (!log)
		return TRUE;
	if (uid == 0) {
		gboolean first = !log->no_uid;

		log->no_uid = TRUE;
		return first;
	}
	if (log->full || g_hash_table_contains(log->uids, GUINT_TO_POINTER(uid)))
		return FALSE;
	if (g_hash_table_size(log->uids) >= MAIL_LISTING_REPORT_MAX) {
		log->full = TRUE;
		g_printerr("imapfs: %s: more messages with an unusable INTERNALDATE, not "
			   "reported one by one\n",
			   mailbox);
		return FALSE;
	}
	g_hash_table_add(log->uids, GUINT_TO_POINTER(uid));
	return TRUE;
}

static void merge_if_due(MailListing *l)
{
	guint tail = l->meta->msgs->len - l->sorted;

	if (tail >= MAIL_LISTING_BATCH && tail > l->sorted) {
		cache_folder_meta_merge_tail(l->meta, l->sorted);
		l->sorted = l->meta->msgs->len;
	}
}

void mail_listing_add(const ImapFetchData *fd, gpointer listing)
{
	const guint need = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE;
	MailListing *l = listing;
	guint have = fd->fields | (fd->unusable_fields & IMAP_FETCH_INTERNALDATE);
	g_autofree char *flags = NULL;
	char name[MAIL_MSG_NAME_LEN + 1];

	if (!(fd->fields & IMAP_FETCH_UID) && (fd->unusable_fields & IMAP_FETCH_UID)) {
		if (to_report(l->log, l->mailbox, 0))
			g_printerr("imapfs: %s: ignored a FETCH line (message %u) without a "
				   "usable UID: %s\n",
				   l->mailbox, fd->seq, fd->unusable);
		return;
	}
	if ((have & need) != need)
		return;
	gint64 date = fd->internaldate;
	if (!(fd->fields & IMAP_FETCH_INTERNALDATE)) {
		date = FALLBACK_TIME;
		mail_msg_name(fd->uid, name);
		if (to_report(l->log, l->mailbox, fd->uid))
			g_printerr("imapfs: %s: UID %u (%s): %s is not a date: shown with the "
				   "time 1970-01-01 00:00:00 UTC\n",
				   l->mailbox, fd->uid, name, fd->unusable);
	}
	flags = mail_flags_join(fd->flags);
	CacheMsgMeta msg = {
	    .uid = fd->uid,
	    .size = fd->size,
	    .internaldate = date,
	    .flags = g_string_chunk_insert_const(l->meta->strings, flags),
	    .modseq = fd->modseq,
	};
	GArray *msgs = l->meta->msgs;
	/* In order so far (the usual ascending listing): nothing to sort later. */
	gboolean in_order =
	    l->sorted == msgs->len &&
	    (msgs->len == 0 || g_array_index(msgs, CacheMsgMeta, msgs->len - 1).uid < msg.uid);

	g_array_append_val(msgs, msg);
	if (in_order)
		l->sorted++;
	else
		merge_if_due(l);
}

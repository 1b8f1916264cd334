/* imapfs mail — per-folder message tables and their revalidation (see folder.h). */
#include "mail/folder-internal.h"
#include "mail/listing.h"

#include <stdio.h>
#include <string.h>

#define META_SAVE_US (30 * G_USEC_PER_SEC)

static void folder_free(MailFolder *f)
{
	if (!f)
		return;
	cache_folder_meta_free(f->meta);
	mail_folder_sizes_free(f);
	mail_listing_log_free(f->listing_log);
	if (f->by_name)
		g_hash_table_unref(f->by_name);
	if (f->names)
		g_hash_table_unref(f->names);
	g_mutex_clear(&f->refresh_lock);
	g_mutex_clear(&f->data_lock);
	g_free(f->mailbox);
	g_free(f);
}

void mail_folder_changes_free(MailFolderChanges *ch)
{
	if (!ch)
		return;
	g_array_unref(ch->removed);
	g_array_unref(ch->resized);
	if (ch->names)
		g_ptr_array_unref(ch->names);
	g_free(ch);
}

MailFolders *mail_folders_new(ImapPool *pool, CacheStore *cache, MailStats *stats)
{
	MailFolders *fl = g_new0(MailFolders, 1);

	g_mutex_init(&fl->lock);
	fl->folders =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)folder_free);
	fl->pool = pool;
	fl->cache = cache;
	fl->stats = stats;
	return fl;
}

static void save_meta(MailFolders *fl, MailFolder *f)
{
	g_autoptr(GError) err = NULL;

	/* Only an optimisation for the next mount: a failure costs a full listing then. */
	if (f->meta && fl->cache && !cache_meta_save(fl->cache, f->mailbox, f->meta, &err))
		g_debug("imapfs: cannot save metadata of %s: %s", f->mailbox, err->message);
	f->dirty = FALSE;
	f->saved_at = g_get_monotonic_time();
}

void mail_folders_free(MailFolders *fl)
{
	GHashTableIter it;
	gpointer v;

	if (!fl)
		return;
	g_hash_table_iter_init(&it, fl->folders);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		MailFolder *f = v;

		if (f->dirty)
			save_meta(fl, f);
	}
	g_hash_table_destroy(fl->folders);
	g_mutex_clear(&fl->lock);
	g_free(fl);
}

MailFolder *mail_folders_get(MailFolders *fl, const char *mailbox)
{
	MailFolder *f;

	g_mutex_lock(&fl->lock);
	f = g_hash_table_lookup(fl->folders, mailbox);
	if (!f) {
		f = g_new0(MailFolder, 1);
		f->mailbox = g_strdup(mailbox);
		f->fl = fl;
		f->listing_log = mail_listing_log_new();
		g_mutex_init(&f->refresh_lock);
		g_mutex_init(&f->data_lock);
		g_hash_table_insert(fl->folders, f->mailbox, f);
	}
	f->used_at = g_get_monotonic_time();
	g_mutex_unlock(&fl->lock);
	return f;
}

static gint by_use_desc(gconstpointer a, gconstpointer b)
{
	const MailFolder *x = *(MailFolder *const *)a, *y = *(MailFolder *const *)b;

	return x->used_at < y->used_at ? 1 : x->used_at > y->used_at ? -1 : 0;
}

GPtrArray *mail_folders_recent(MailFolders *fl, guint max)
{
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&fl->lock);
	g_hash_table_iter_init(&it, fl->folders);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		MailFolder *f = v;
		gboolean loaded;

		g_mutex_lock(&f->data_lock);
		loaded = f->meta != NULL;
		g_mutex_unlock(&f->data_lock);
		if (loaded)
			g_ptr_array_add(all, f);
	}
	g_ptr_array_sort(all, by_use_desc);
	g_mutex_unlock(&fl->lock);
	if (all->len > max)
		g_ptr_array_set_size(all, max);
	return all;
}

const char *mail_folder_mailbox(const MailFolder *f)
{
	return f->mailbox;
}

static gint64 newest_of(const CacheFolderMeta *m)
{
	gint64 t = 0;

	for (guint i = 0; i < m->msgs->len; i++)
		t = MAX(t, g_array_index(m->msgs, CacheMsgMeta, i).internaldate);
	return t;
}

/* ---- building tables ----------------------------------------------------------- */

static CacheFolderMeta *meta_copy(const CacheFolderMeta *m)
{
	CacheFolderMeta *c = cache_folder_meta_new(m->uidvalidity, m->uidnext, m->highestmodseq);

	for (guint i = 0; i < m->msgs->len; i++) {
		const CacheMsgMeta *x = &g_array_index(m->msgs, CacheMsgMeta, i);

		cache_folder_meta_add(c, x->uid, x->size, x->internaldate, x->flags, x->modseq);
	}
	return c;
}

static gboolean fetch_all(MailFolders *fl, MailFolder *f, ImapSession *s,
			  const ImapSelectInfo *info, CacheFolderMeta **out, GError **error)
{
	g_autoptr(MailListing) l = mail_listing_new(
	    f->mailbox,
	    cache_folder_meta_new(info->uidvalidity, info->uidnext, info->highestmodseq),
	    f->listing_log);

	if (info->exists > 0) {
		MAIL_STAT_INC(fl->stats, meta_fetches);
		if (!imap_session_fetch_meta(s, "1:*", 0, mail_listing_add, l, error))
			return FALSE;
	}
	*out = mail_listing_finish(g_steal_pointer(&l));
	return TRUE;
}

static gint by_first(gconstpointer a, gconstpointer b)
{
	guint32 x = ((const ImapRange *)a)->first, y = ((const ImapRange *)b)->first;

	return x < y ? -1 : x > y;
}

/* VANISHED's ranges sorted and merged, so one pass over them suffices. */
static GArray *merged_ranges(const GArray *vanished)
{
	GArray *r = g_array_sized_new(FALSE, FALSE, sizeof(ImapRange), vanished->len);
	guint n = 0;

	g_array_append_vals(r, vanished->data, vanished->len);
	g_array_sort(r, by_first);
	for (guint i = 0; i < r->len; i++) {
		ImapRange x = g_array_index(r, ImapRange, i);
		ImapRange *top = n ? &g_array_index(r, ImapRange, n - 1) : NULL;

		if (top && x.first <= top->last + (guint64)1)
			top->last = MAX(top->last, x.last);
		else
			g_array_index(r, ImapRange, n++) = x;
	}
	g_array_set_size(r, n);
	return r;
}

/* Removes from MSGS (sorted by uid) the UIDs VANISHED names, in one pass over both: a
 * VANISHED of every other message of 100,000 is 50,000 ranges. Bounded by the known
 * table, not by a range the server made up. */
static void drop_vanished(GArray *msgs, const GArray *vanished)
{
	g_autoptr(GArray) r = merged_ranges(vanished);
	guint keep = 0, k = 0;

	for (guint i = 0; i < msgs->len; i++) {
		guint32 uid = g_array_index(msgs, CacheMsgMeta, i).uid;

		while (k < r->len && g_array_index(r, ImapRange, k).last < uid)
			k++;
		if (k < r->len && g_array_index(r, ImapRange, k).first <= uid)
			continue;
		g_array_index(msgs, CacheMsgMeta, keep++) = g_array_index(msgs, CacheMsgMeta, i);
	}
	g_array_set_size(msgs, keep);
}

/* QRESYNC: VANISHED gives the expunged UIDs, CHANGEDSINCE the new and changed ones. */
static gboolean try_qresync(MailFolders *fl, MailFolder *f, ImapSession *s,
			    const CacheFolderMeta *known, CacheFolderMeta **out, gboolean *done,
			    GError **error)
{
	ImapSelectInfo info = {0};
	g_autoptr(MailListing) l = NULL;
	CacheFolderMeta *m;
	gboolean ok = FALSE;

	*done = FALSE;
	if (!imap_session_select_qresync(s, f->mailbox, TRUE, known->uidvalidity,
					 known->highestmodseq, NULL, NULL, &info, error))
		return FALSE;
	if (info.uidvalidity != known->uidvalidity || info.highestmodseq == 0) {
		ok = fetch_all(fl, f, s, &info, out, error);
		*done = ok;
		goto out;
	}
	m = meta_copy(known);
	if (info.vanished)
		drop_vanished(m->msgs, info.vanished);
	l = mail_listing_new(f->mailbox, m, f->listing_log);
	MAIL_STAT_INC(fl->stats, revalidations);
	if (info.highestmodseq != known->highestmodseq &&
	    !imap_session_fetch_meta(s, "1:*", known->highestmodseq, mail_listing_add, l, error))
		goto out;
	m = mail_listing_finish(g_steal_pointer(&l));
	m->uidnext = info.uidnext;
	m->highestmodseq = info.highestmodseq;
	*out = m;
	*done = ok = TRUE;
out:
	imap_select_info_clear(&info);
	return ok;
}

static gboolean unchanged(const CacheFolderMeta *known, const ImapSelectInfo *info)
{
	return known && info->highestmodseq != 0 && known->uidvalidity == info->uidvalidity &&
	       known->highestmodseq == info->highestmodseq && known->uidnext == info->uidnext &&
	       known->msgs->len == info->exists;
}

static gboolean load(MailFolders *fl, MailFolder *f, ImapSession *s, const CacheFolderMeta *known,
		     CacheFolderMeta **out, GError **error)
{
	ImapSelectInfo info = {0};
	gboolean done = FALSE, ok;

	if (known && known->highestmodseq && imap_session_is_enabled(s, "QRESYNC")) {
		if (!try_qresync(fl, f, s, known, out, &done, error))
			return FALSE;
		if (done)
			return TRUE;
	}
	/* Always EXAMINE again, even when selected: it reports the current UIDVALIDITY. */
	if (!imap_session_select(s, f->mailbox, TRUE, &info, error))
		return FALSE;
	if (unchanged(known, &info)) {
		*out = meta_copy(known);
		ok = TRUE;
	} else {
		ok = fetch_all(fl, f, s, &info, out, error);
	}
	imap_select_info_clear(&info);
	return ok;
}

typedef struct {
	MailFolders *fl;
	MailFolder *f;
	const CacheFolderMeta *known;
	CacheFolderMeta *cur;
} Load;

static gboolean load_once(ImapSession *s, gpointer data, GError **error)
{
	Load *l = data;

	return load(l->fl, l->f, s, l->known, &l->cur, error);
}

/* ---- changes ------------------------------------------------------------------- */

static MailFolderChanges *diff(const CacheFolderMeta *old, const CacheFolderMeta *cur)
{
	MailFolderChanges *ch = g_new0(MailFolderChanges, 1);

	ch->removed = g_array_new(FALSE, FALSE, sizeof(guint32));
	ch->resized = g_array_new(FALSE, FALSE, sizeof(guint32));
	ch->uidvalidity = cur->uidvalidity;
	if (!old)
		return ch;
	ch->old_uidvalidity = old->uidvalidity;
	for (guint i = 0; i < old->msgs->len; i++) {
		const CacheMsgMeta *o = &g_array_index(old->msgs, CacheMsgMeta, i);
		const CacheMsgMeta *n = old->uidvalidity == cur->uidvalidity
					    ? cache_folder_meta_find(cur, o->uid)
					    : NULL;

		if (!n)
			g_array_append_val(ch->removed, o->uid);
		else if (n->size != o->size)
			g_array_append_val(ch->resized, o->uid);
	}
	return ch;
}

static gboolean meta_equal(const CacheFolderMeta *a, const CacheFolderMeta *b)
{
	if (!a || a->uidvalidity != b->uidvalidity || a->highestmodseq != b->highestmodseq ||
	    a->uidnext != b->uidnext || a->msgs->len != b->msgs->len)
		return FALSE;
	for (guint i = 0; i < a->msgs->len; i++) {
		const CacheMsgMeta *x = &g_array_index(a->msgs, CacheMsgMeta, i);
		const CacheMsgMeta *y = &g_array_index(b->msgs, CacheMsgMeta, i);

		if (x->uid != y->uid || x->size != y->size || strcmp(x->flags, y->flags) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Under the refresh lock: the table as last known, from memory or from disk. */
static CacheFolderMeta *known_state(MailFolders *fl, MailFolder *f)
{
	CacheFolderMeta *k = NULL;

	g_mutex_lock(&f->data_lock);
	if (f->meta)
		k = meta_copy(f->meta);
	g_mutex_unlock(&f->data_lock);
	if (!k && fl->cache)
		k = cache_meta_load(fl->cache, f->mailbox, NULL);
	return k;
}

static void install(MailFolders *fl, MailFolder *f, CacheFolderMeta *cur, gboolean changed,
		    GPtrArray *names_changed)
{
	/* Bodies are immutable per (UIDVALIDITY, UID) only: a new UIDVALIDITY voids them. */
	if (fl->cache)
		cache_folder_drop_other_validity(fl->cache, f->mailbox, cur->uidvalidity);
	g_mutex_lock(&f->data_lock);
	cache_folder_meta_free(f->meta);
	f->meta = cur;
	f->newest = newest_of(cur);
	mail_folder_names_sync(f, names_changed);
	f->refreshed_at = g_get_monotonic_time();
	f->dirty |= changed;
	/* The saved table only spares the next mount a full listing, and writing all of a
	 * 100,000-message table after every rm would cost O(n) per file: at most one save
	 * per META_SAVE_US while changes come, the rest at unmount (mail_folders_free). */
	if (f->dirty && (!f->saved_at || f->refreshed_at - f->saved_at >= META_SAVE_US))
		save_meta(fl, f);
	g_mutex_unlock(&f->data_lock);
}

gboolean mail_folder_refresh(MailFolders *fl, MailFolder *f, gint64 max_age_us,
			     MailFolderChanges **changes, GError **error)
{
	g_autoptr(CacheFolderMeta) known = NULL;
	CacheFolderMeta *cur = NULL;
	Load l = {fl, f, NULL, NULL};
	gboolean loaded, ok;

	g_mutex_lock(&f->refresh_lock);
	g_mutex_lock(&f->data_lock);
	loaded = f->meta != NULL;
	gboolean fresh = loaded && g_get_monotonic_time() - f->refreshed_at < max_age_us;
	g_mutex_unlock(&f->data_lock);
	if (fresh) {
		g_mutex_unlock(&f->refresh_lock);
		return TRUE;
	}
	known = known_state(fl, f);
	l.known = known;
	ok = imap_pool_run(fl->pool, f->mailbox, load_once, &l, error);
	cur = l.cur;
	if (ok) {
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

		g_mutex_lock(&f->data_lock);
		mail_folder_sizes_apply(f, cur, fl->cache);
		g_mutex_unlock(&f->data_lock);

		install(fl, f, cur, !loaded || !meta_equal(known, cur), names);
		if (changes && (loaded || names->len)) {
			*changes = diff(loaded ? known : NULL, cur);
			(*changes)->names = g_steal_pointer(&names);
		}
	}
	g_mutex_unlock(&f->refresh_lock);
	return ok;
}

/* ---- queries ------------------------------------------------------------------- */

guint32 mail_folder_uidvalidity(MailFolder *f)
{
	guint32 v;

	g_mutex_lock(&f->data_lock);
	v = f->meta ? f->meta->uidvalidity : 0;
	g_mutex_unlock(&f->data_lock);
	return v;
}

gboolean mail_folder_msg(MailFolder *f, guint32 uidvalidity, guint32 uid, MailMsgInfo *out,
			 char **flags_out)
{
	CacheMsgMeta *m = NULL;

	g_mutex_lock(&f->data_lock);
	if (f->meta && f->meta->uidvalidity == uidvalidity)
		m = cache_folder_meta_find(f->meta, uid);
	if (m && out) {
		out->uid = uid;
		out->size = m->size;
		out->internaldate = m->internaldate;
	}
	if (m) {
		if (flags_out)
			*flags_out = g_strdup(m->flags ? m->flags : "");
	}
	g_mutex_unlock(&f->data_lock);
	return m != NULL;
}

gboolean mail_folder_status(MailFolder *f, MailFolderStatus *out)
{
	const CacheFolderMeta *m;

	g_mutex_lock(&f->data_lock);
	m = f->meta;
	if (m) {
		out->uidvalidity = m->uidvalidity;
		out->uidnext = m->uidnext;
		out->highestmodseq = m->highestmodseq;
		out->messages = m->msgs->len;
		out->unseen = 0;
		for (guint i = 0; i < m->msgs->len; i++) {
			const char *fl = g_array_index(m->msgs, CacheMsgMeta, i).flags;

			if (!fl || !strstr(fl, "\\Seen"))
				out->unseen++;
		}
	}
	g_mutex_unlock(&f->data_lock);
	return m != NULL;
}

static void append_info(GArray *a, const CacheMsgMeta *m)
{
	MailMsgInfo i = {.uid = m->uid, .size = m->size, .internaldate = m->internaldate};

	g_array_append_val(a, i);
}

GArray *mail_folder_snapshot(MailFolder *f, guint32 *uidvalidity, GPtrArray **names)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(MailMsgInfo));

	if (names)
		*names = g_ptr_array_new_with_free_func(g_free);
	g_mutex_lock(&f->data_lock);
	*uidvalidity = f->meta ? f->meta->uidvalidity : 0;
	if (f->meta)
		mail_folder_names_ensure(f, f->meta->uidvalidity);
	for (guint i = 0; f->meta && i < f->meta->msgs->len; i++) {
		const CacheMsgMeta *m = &g_array_index(f->meta->msgs, CacheMsgMeta, i);

		append_info(a, m);
		if (names)
			g_ptr_array_add(*names, g_strdup(g_hash_table_lookup(
						    f->names, GUINT_TO_POINTER(m->uid))));
	}
	g_mutex_unlock(&f->data_lock);
	return a;
}

GArray *mail_folder_following(MailFolder *f, guint32 uidvalidity, guint32 uid, guint max)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(MailMsgInfo));

	g_mutex_lock(&f->data_lock);
	if (f->meta && f->meta->uidvalidity == uidvalidity) {
		GArray *msgs = f->meta->msgs;
		guint lo = 0, hi = msgs->len;

		while (lo < hi) { /* first index with uid > UID */
			guint mid = (lo + hi) / 2;

			if (g_array_index(msgs, CacheMsgMeta, mid).uid <= uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (guint i = lo; i < msgs->len && a->len < max; i++)
			append_info(a, &g_array_index(msgs, CacheMsgMeta, i));
	}
	g_mutex_unlock(&f->data_lock);
	return a;
}

gboolean mail_folder_add(MailFolder *f, guint32 uidvalidity, const MailMsgInfo *mi,
			 const char *flags)
{
	gboolean ok;

	g_mutex_lock(&f->data_lock);
	ok = f->meta && f->meta->uidvalidity == uidvalidity;
	/* A refresh may have listed it already: the server's entry is the better one. */
	if (ok && !cache_folder_meta_find(f->meta, mi->uid)) {
		/* Modseq 0 and HIGHESTMODSEQ unchanged: a CHANGEDSINCE revalidation re-reads
		 * it rather than trusting a table it did not fetch. */
		cache_folder_meta_add(f->meta, mi->uid, mi->size, mi->internaldate, flags, 0);
		f->meta->uidnext = MAX(f->meta->uidnext, mi->uid + 1);
		f->newest = MAX(f->newest, mi->internaldate);
		f->dirty = TRUE;
		mail_folder_names_ensure(f, uidvalidity);
		mail_folder_unnamed(f, mi->uid, NULL); /* its UID name may be a written file's */
	}
	g_mutex_unlock(&f->data_lock);
	return ok;
}

gboolean mail_folder_remove(MailFolder *f, guint32 uidvalidity, guint32 uid)
{
	CacheMsgMeta *m = NULL;

	g_mutex_lock(&f->data_lock);
	if (f->meta && f->meta->uidvalidity == uidvalidity)
		m = cache_folder_meta_find(f->meta, uid);
	if (m) {
		/* HIGHESTMODSEQ stays: the next revalidation still asks what changed. */
		g_array_remove_index(f->meta->msgs,
				     (guint)(m - (CacheMsgMeta *)f->meta->msgs->data));
		f->dirty = TRUE;
		mail_folder_names_ensure(f, uidvalidity);
		if (g_hash_table_contains(f->names, GUINT_TO_POINTER(uid))) {
			mail_folder_unname(f, uid); /* gone: its name is free */
			mail_folder_names_record(f, uid, NULL);
		}
	}
	g_mutex_unlock(&f->data_lock);
	return m != NULL;
}

gboolean mail_folder_set_flags(MailFolder *f, guint32 uidvalidity, guint32 uid, char *const *flags)
{
	g_autofree char *joined = mail_flags_join(flags);
	CacheMsgMeta *m = NULL;

	g_mutex_lock(&f->data_lock);
	if (f->meta && f->meta->uidvalidity == uidvalidity)
		m = cache_folder_meta_find(f->meta, uid);
	if (m) {
		m->flags = g_string_chunk_insert_const(f->meta->strings, joined);
		f->dirty = TRUE;
	}
	g_mutex_unlock(&f->data_lock);
	return m != NULL;
}

gboolean mail_folder_set_size(MailFolder *f, guint32 uidvalidity, guint32 uid, guint64 size)
{
	CacheMsgMeta *m = NULL;
	gboolean changed = FALSE;

	g_mutex_lock(&f->data_lock);
	if (f->meta && f->meta->uidvalidity == uidvalidity)
		m = cache_folder_meta_find(f->meta, uid);
	if (m && m->size != size) {
		mail_folder_sizes_note(f, uidvalidity, uid, m->size, size);
		m->size = size;
		f->dirty = changed = TRUE;
	}
	g_mutex_unlock(&f->data_lock);
	return changed;
}

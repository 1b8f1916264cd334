/* imapfs mail — the names messages written through the mount keep, and the times
 * directories show (see folder.h).
 */
#include "mail/folder-internal.h"

#include <stdio.h>
#include <string.h>

#include "mail/msg-name.h"

/* ---- names of messages written through the mount --------------------------------- */

void mail_folder_names_record(MailFolder *f, guint32 uid, const char *name)
{
	g_autoptr(GError) err = NULL;

	/* The name shows at once either way; a failure only loses it at the next mount. */
	if (f->fl->cache &&
	    !cache_names_record(f->fl->cache, f->mailbox, f->names_uidv, uid, name, &err))
		g_printerr("imapfs: warning: %s: cannot save the name \"%s\": %s\n", f->mailbox,
			   name ? name : "", err->message);
}

/* Loads the names of generation UIDV (from the cache) unless they are loaded. */
void mail_folder_names_ensure(MailFolder *f, guint32 uidv)
{
	g_autoptr(GError) err = NULL;
	GHashTable *names = NULL;
	GHashTableIter it;
	gpointer k, v;
	guint records = 0;

	if (f->names && f->names_uidv == uidv)
		return;
	if (f->fl->cache)
		names = cache_names_load(f->fl->cache, f->mailbox, uidv, &records, &err);
	if (err)
		g_printerr("imapfs: warning: %s: cannot read the saved file names: %s\n",
			   f->mailbox, err->message);
	if (!names)
		names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (f->names)
		g_hash_table_unref(f->names);
	if (f->by_name)
		g_hash_table_unref(f->by_name);
	f->names = names;
	f->names_uidv = uidv;
	f->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_iter_init(&it, names);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(f->by_name, v, k);
	/* A journal mostly of superseded records is rewritten once, here. */
	if (f->fl->cache && records > 2 * g_hash_table_size(names) + 64)
		cache_names_rewrite(f->fl->cache, f->mailbox, uidv, names, NULL);
}

static guint32 named_uid_locked(MailFolder *f, const char *name)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(f->by_name, name));
}

static gboolean present_locked(MailFolder *f, guint32 uid)
{
	return f->meta && f->meta->uidvalidity == f->names_uidv &&
	       cache_folder_meta_find(f->meta, uid) != NULL;
}

void mail_folder_unname(MailFolder *f, guint32 uid)
{
	const char *old = g_hash_table_lookup(f->names, GUINT_TO_POINTER(uid));

	if (old) {
		g_hash_table_remove(f->by_name, old);
		g_hash_table_remove(f->names, GUINT_TO_POINTER(uid));
	}
}

static void name_locked(MailFolder *f, guint32 uid, char *name)
{
	mail_folder_unname(f, uid);
	g_hash_table_insert(f->names, GUINT_TO_POINTER(uid), name);
	g_hash_table_insert(f->by_name, name, GUINT_TO_POINTER(uid));
}

/* UID has no name of its own (any more): it is shown by its UID name, or, when a
 * written file holds that name, by "%010u-N.eml", kept from then on so that its name
 * does not change while it exists. Adds the names whose meaning changed to CHANGED. */
void mail_folder_unnamed(MailFolder *f, guint32 uid, GPtrArray *changed)
{
	char base[MAIL_MSG_NAME_LEN + 1];
	gboolean had = g_hash_table_contains(f->names, GUINT_TO_POINTER(uid));
	guint32 holder;

	mail_msg_name(uid, base);
	if (had)
		mail_folder_unname(f, uid);
	holder = named_uid_locked(f, base);
	if (!holder) {
		if (had)
			mail_folder_names_record(f, uid, NULL);
		return;
	}
	for (guint n = 2;; n++) {
		char *alt = g_strdup_printf("%010u-%u.eml", uid, n);

		if (!named_uid_locked(f, alt)) {
			name_locked(f, uid, alt);
			mail_folder_names_record(f, uid, alt);
			if (changed)
				g_ptr_array_add(changed, g_strdup(alt));
			return;
		}
		g_free(alt);
	}
}

/* After a new table: names of expunged messages go, and a message whose UID name a
 * written file holds gets a name of its own. O(messages) only when names exist. */
void mail_folder_names_sync(MailFolder *f, GPtrArray *changed)
{
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	GHashTableIter it;
	gpointer k, v;

	mail_folder_names_ensure(f, f->meta->uidvalidity);
	if (g_hash_table_size(f->names) == 0)
		return;
	g_hash_table_iter_init(&it, f->names);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		guint32 uid = GPOINTER_TO_UINT(k);

		/* At or above UIDNEXT: stored after this table was read, not expunged. */
		if (uid < f->meta->uidnext && !cache_folder_meta_find(f->meta, uid)) {
			g_array_append_val(gone, uid);
			if (changed)
				g_ptr_array_add(changed, g_strdup(v));
		}
	}
	for (guint i = 0; i < gone->len; i++) {
		mail_folder_unname(f, g_array_index(gone, guint32, i));
		mail_folder_names_record(f, g_array_index(gone, guint32, i), NULL);
	}
	for (guint i = 0; i < f->meta->msgs->len; i++) {
		guint32 uid = g_array_index(f->meta->msgs, CacheMsgMeta, i).uid;
		char base[MAIL_MSG_NAME_LEN + 1];

		mail_msg_name(uid, base);
		if (!g_hash_table_contains(f->names, GUINT_TO_POINTER(uid)) &&
		    named_uid_locked(f, base))
			mail_folder_unnamed(f, uid, changed);
	}
}

char *mail_folder_msg_name(MailFolder *f, guint32 uidvalidity, guint32 uid)
{
	char base[MAIL_MSG_NAME_LEN + 1];
	char *name = NULL;

	g_mutex_lock(&f->data_lock);
	mail_folder_names_ensure(f, uidvalidity);
	name = g_strdup(g_hash_table_lookup(f->names, GUINT_TO_POINTER(uid)));
	g_mutex_unlock(&f->data_lock);
	if (!name) {
		mail_msg_name(uid, base);
		name = g_strdup(base);
	}
	return name;
}

gboolean mail_folder_find_name(MailFolder *f, const char *name, guint32 *uidvalidity, guint32 *uid)
{
	guint32 u = 0;

	g_mutex_lock(&f->data_lock);
	if (f->meta) {
		mail_folder_names_ensure(f, f->meta->uidvalidity);
		u = named_uid_locked(f, name);
		if (!u && mail_msg_name_parse(name, &u) &&
		    g_hash_table_contains(f->names, GUINT_TO_POINTER(u)))
			u = 0; /* shown under a name of its own instead */
		if (u && !present_locked(f, u))
			u = 0;
		*uidvalidity = f->meta->uidvalidity;
	}
	g_mutex_unlock(&f->data_lock);
	*uid = u;
	return u != 0;
}

GPtrArray *mail_folder_set_name(MailFolder *f, guint32 uidvalidity, guint32 uid, const char *name)
{
	GPtrArray *changed = g_ptr_array_new_with_free_func(g_free);
	char base[MAIL_MSG_NAME_LEN + 1];
	guint32 holder, shown;

	mail_msg_name(uid, base);
	g_mutex_lock(&f->data_lock);
	mail_folder_names_ensure(f, uidvalidity);
	holder = name ? named_uid_locked(f, name) : 0;
	if (holder && holder != uid)
		mail_folder_unnamed(f, holder, changed); /* the name moves on to UID */
	if (!name || !strcmp(name, base)) {
		mail_folder_unnamed(f, uid, changed);
	} else {
		name_locked(f, uid, g_strdup(name));
		mail_folder_names_record(f, uid, name);
		/* A message shown by this UID name until now needs another name. */
		if (mail_msg_name_parse(name, &shown) && shown != uid && present_locked(f, shown) &&
		    !g_hash_table_contains(f->names, GUINT_TO_POINTER(shown)))
			mail_folder_unnamed(f, shown, changed);
	}
	g_mutex_unlock(&f->data_lock);
	return changed;
}

/* ---- directory times ------------------------------------------------------------- */

gint64 mail_folders_dir_time(MailFolders *fl, const char *mailbox)
{
	MailFolder *f = mail_folders_get(fl, mailbox);
	gboolean dirty = FALSE;
	gint64 t, saved;

	g_mutex_lock(&f->data_lock);
	if (!f->dir_time) {
		dirty = !(fl->cache && cache_folder_time_get(fl->cache, mailbox, &saved));
		/* First seen: from now on, until newer mail arrives. */
		f->dir_time = dirty ? g_get_real_time() / G_USEC_PER_SEC : saved;
	}
	t = MAX(f->dir_time, f->newest);
	dirty |= t != f->dir_time;
	f->dir_time = t;
	/* Without a cache the time holds for this mount only. */
	if (dirty && fl->cache)
		cache_folder_time_set(fl->cache, mailbox, t, NULL);
	g_mutex_unlock(&f->data_lock);
	return t;
}

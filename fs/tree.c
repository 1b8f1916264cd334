/* imapfs fs — the folder hierarchy (see tree.h). */
#include "fs/tree.h"

#include <string.h>

#include "fs/names.h"

typedef struct {
	gboolean selectable;
	GHashTable *children; /* entry name -> child mailbox name (both owned) */
} Dir;

struct FsTree {
	GMutex lock;
	GHashTable *dirs; /* mailbox name -> Dir; "" is the root */
	gint64 listed_at;
	GHashTable *unreadable; /* LIST lines already reported (set of strings) */
};

static void dir_free(Dir *d)
{
	if (!d)
		return;
	g_hash_table_destroy(d->children);
	g_free(d);
}

static GHashTable *dirs_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)dir_free);
}

static Dir *dir_get(GHashTable *dirs, const char *mailbox)
{
	Dir *d = g_hash_table_lookup(dirs, mailbox);

	if (!d) {
		d = g_new0(Dir, 1);
		d->children = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_hash_table_insert(dirs, g_strdup(mailbox), d);
	}
	return d;
}

FsTree *fs_tree_new(void)
{
	FsTree *t = g_new0(FsTree, 1);

	g_mutex_init(&t->lock);
	t->dirs = dirs_new();
	dir_get(t->dirs, "");
	t->unreadable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return t;
}

void fs_tree_free(FsTree *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->dirs);
	g_hash_table_destroy(t->unreadable);
	g_mutex_clear(&t->lock);
	g_free(t);
}

gboolean fs_tree_has_empty_level(const char *mailbox, char delim)
{
	char twice[3] = {delim, delim, '\0'};
	gsize n = strlen(mailbox);

	if (!delim || n == 0)
		return FALSE;
	return mailbox[0] == delim || mailbox[n - 1] == delim || strstr(mailbox, twice);
}

/* Adds MAILBOX and every missing ancestor, linking each to its parent. A name with an
 * empty level is one entry at the top: its empty prefix would be the root itself. */
static void add_path(GHashTable *dirs, const char *mailbox, char delim, gboolean selectable)
{
	g_autofree char *parent = g_strdup("");
	const char *start = mailbox;

	if (fs_tree_has_empty_level(mailbox, delim)) {
		Dir *d = dir_get(dirs, mailbox);

		g_hash_table_replace(dir_get(dirs, "")->children,
				     fs_name_of_mailbox(mailbox, delim), g_strdup(mailbox));
		d->selectable = d->selectable || selectable;
		return;
	}
	for (;;) {
		const char *end = delim ? strchr(start, delim) : NULL;
		gsize len = end ? (gsize)(end - mailbox) : strlen(mailbox);
		g_autofree char *comp =
		    end ? g_strndup(start, (gsize)(end - start)) : g_strdup(start);
		g_autofree char *full = g_strndup(mailbox, len);
		Dir *pd = dir_get(dirs, parent);
		Dir *d = dir_get(dirs, full);

		g_hash_table_replace(pd->children, fs_name_of_component(comp), g_strdup(full));
		if (!end) {
			d->selectable = d->selectable || selectable;
			return;
		}
		g_free(parent);
		parent = g_steal_pointer(&full);
		start = end + 1;
	}
}

void fs_tree_set(FsTree *t, GPtrArray *mailboxes, char delimiter)
{
	GHashTable *dirs = dirs_new();

	dir_get(dirs, "");
	for (guint i = 0; i < mailboxes->len; i++) {
		ImapMailbox *mb = g_ptr_array_index(mailboxes, i);
		char delim = mb->delimiter ? mb->delimiter : delimiter;

		/* An empty name is the root, which is there already. */
		if (!mb->name || !*mb->name)
			continue;
		add_path(dirs, mb->name, delim, !mb->noselect);
	}
	g_mutex_lock(&t->lock);
	g_hash_table_destroy(t->dirs);
	t->dirs = dirs;
	t->listed_at = g_get_monotonic_time();
	g_mutex_unlock(&t->lock);
}

void fs_tree_add(FsTree *t, const ImapMailbox *mb, char delimiter)
{
	if (!mb->name || !*mb->name)
		return;
	g_mutex_lock(&t->lock);
	add_path(t->dirs, mb->name, mb->delimiter ? mb->delimiter : delimiter, !mb->noselect);
	g_mutex_unlock(&t->lock);
}

gboolean fs_tree_note_unreadable(FsTree *t, const char *why)
{
	gboolean added;

	g_mutex_lock(&t->lock);
	added = g_hash_table_add(t->unreadable, g_strdup(why));
	g_mutex_unlock(&t->lock);
	return added;
}

gint64 fs_tree_listed_at(FsTree *t)
{
	gint64 v;

	g_mutex_lock(&t->lock);
	v = t->listed_at;
	g_mutex_unlock(&t->lock);
	return v;
}

gboolean fs_tree_dir(FsTree *t, const char *mailbox, gboolean *selectable)
{
	Dir *d;

	g_mutex_lock(&t->lock);
	d = g_hash_table_lookup(t->dirs, mailbox);
	if (d && selectable)
		*selectable = d->selectable;
	g_mutex_unlock(&t->lock);
	return d != NULL;
}

char *fs_tree_child(FsTree *t, const char *parent, const char *name)
{
	char *out = NULL;
	Dir *d;

	g_mutex_lock(&t->lock);
	d = g_hash_table_lookup(t->dirs, parent);
	if (d)
		out = g_strdup(g_hash_table_lookup(d->children, name));
	g_mutex_unlock(&t->lock);
	return out;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean fs_tree_children(FsTree *t, const char *parent, GPtrArray **names, GPtrArray **mailboxes)
{
	GHashTableIter it;
	gpointer k, v;
	Dir *d;

	g_mutex_lock(&t->lock);
	d = g_hash_table_lookup(t->dirs, parent);
	if (!d) {
		g_mutex_unlock(&t->lock);
		return FALSE;
	}
	GPtrArray *n = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_iter_init(&it, d->children);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(n, g_strdup(k));
	g_ptr_array_sort(n, cmp_str);
	GPtrArray *m = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n->len; i++) {
		v = g_hash_table_lookup(d->children, g_ptr_array_index(n, i));
		g_ptr_array_add(m, g_strdup(v));
	}
	g_mutex_unlock(&t->lock);
	*names = n;
	*mailboxes = m;
	return TRUE;
}

guint fs_tree_count(FsTree *t)
{
	guint n;

	g_mutex_lock(&t->lock);
	n = g_hash_table_size(t->dirs);
	g_mutex_unlock(&t->lock);
	return n;
}

/* imapfs fs — nodeid table with kernel lookup counts (see inode.h). */
#include "fs/inode.h"

#include <string.h>

struct FsInodeTable {
	GMutex lock;
	guint64 next_id;
	GHashTable *by_id;  /* guint64* nodeid -> FsNode* (owns the node) */
	GHashTable *by_key; /* identity key -> FsNode* */
	GPtrArray *old_names; /* mailbox strings replaced by renames (see inode.h) */
};

static void node_free(FsNode *n)
{
	if (!n)
		return;
	g_free(n->mailbox);
	g_free(n);
}

/* One key space for both kinds; '\n' cannot occur in a mailbox name we accept. */
static char *node_key(FsNodeKind kind, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	if (kind == FS_NODE_DIR)
		return g_strdup_printf("d\n%s", mailbox);
	return g_strdup_printf("m\n%u\n%u\n%s", uidvalidity, uid, mailbox);
}

static guint64 hash64(const char *tag, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);
	guint32 nums[2] = {GUINT32_TO_BE(uidvalidity), GUINT32_TO_BE(uid)};
	guint64 v = 0;

	g_checksum_update(sum, (const guchar *)tag, -1);
	g_checksum_update(sum, (const guchar *)mailbox, (gssize)strlen(mailbox) + 1);
	g_checksum_update(sum, (const guchar *)nums, sizeof(nums));
	g_checksum_get_digest(sum, digest, &len);
	for (int i = 0; i < 8; i++)
		v = (v << 8) | digest[i];
	/* 0 is invalid and 1 is the root's; keep the top bit clear for 63-bit tools. */
	v &= G_GUINT64_CONSTANT(0x7fffffffffffffff);
	return v < 2 ? v + 2 : v;
}

guint64 fs_inode_ino_folder(const char *mailbox)
{
	if (*mailbox == '\0')
		return FS_ROOT_NODEID;
	return hash64("folder", mailbox, 0, 0);
}

guint64 fs_inode_ino_message(const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return hash64("message", mailbox, uidvalidity, uid);
}

static FsNode *insert_locked(FsInodeTable *t, FsNodeKind kind, const char *mailbox,
			     guint32 uidvalidity, guint32 uid, char *key)
{
	FsNode *n = g_new0(FsNode, 1);

	n->nodeid = *mailbox == '\0' && kind == FS_NODE_DIR ? FS_ROOT_NODEID : t->next_id++;
	n->kind = kind;
	n->mailbox = g_strdup(mailbox);
	n->uidvalidity = uidvalidity;
	n->uid = uid;
	n->ino = kind == FS_NODE_DIR ? fs_inode_ino_folder(mailbox)
				     : fs_inode_ino_message(mailbox, uidvalidity, uid);
	g_hash_table_insert(t->by_id, &n->nodeid, n);
	g_hash_table_insert(t->by_key, key, n);
	return n;
}

FsInodeTable *fs_inode_table_new(void)
{
	FsInodeTable *t = g_new0(FsInodeTable, 1);

	g_mutex_init(&t->lock);
	t->next_id = FS_ROOT_NODEID + 1;
	t->by_id =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)node_free);
	t->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->old_names = g_ptr_array_new_with_free_func(g_free);
	insert_locked(t, FS_NODE_DIR, "", 0, 0, node_key(FS_NODE_DIR, "", 0, 0));
	return t;
}

void fs_inode_table_free(FsInodeTable *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_key);
	g_hash_table_destroy(t->by_id);
	g_ptr_array_unref(t->old_names);
	g_mutex_clear(&t->lock);
	g_free(t);
}

static FsNode *ref_node(FsInodeTable *t, FsNodeKind kind, const char *mailbox, guint32 uidvalidity,
			guint32 uid)
{
	char *key = node_key(kind, mailbox, uidvalidity, uid);
	FsNode *n;

	g_mutex_lock(&t->lock);
	n = g_hash_table_lookup(t->by_key, key);
	if (n)
		g_free(key);
	else
		n = insert_locked(t, kind, mailbox, uidvalidity, uid, key);
	n->nlookup++;
	g_mutex_unlock(&t->lock);
	return n;
}

FsNode *fs_inode_ref_dir(FsInodeTable *t, const char *mailbox)
{
	return ref_node(t, FS_NODE_DIR, mailbox, 0, 0);
}

FsNode *fs_inode_ref_msg(FsInodeTable *t, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return ref_node(t, FS_NODE_MSG, mailbox, uidvalidity, uid);
}

static guint64 find_node(FsInodeTable *t, char *key)
{
	FsNode *n;
	guint64 id;

	g_mutex_lock(&t->lock);
	n = g_hash_table_lookup(t->by_key, key);
	id = n ? n->nodeid : 0;
	g_mutex_unlock(&t->lock);
	g_free(key);
	return id;
}

guint64 fs_inode_find_dir(FsInodeTable *t, const char *mailbox)
{
	return find_node(t, node_key(FS_NODE_DIR, mailbox, 0, 0));
}

guint64 fs_inode_find_msg(FsInodeTable *t, const char *mailbox, guint32 uidvalidity, guint32 uid)
{
	return find_node(t, node_key(FS_NODE_MSG, mailbox, uidvalidity, uid));
}

FsNode *fs_inode_get(FsInodeTable *t, guint64 nodeid)
{
	FsNode *n;

	g_mutex_lock(&t->lock);
	n = g_hash_table_lookup(t->by_id, &nodeid);
	g_mutex_unlock(&t->lock);
	return n;
}

void fs_inode_forget(FsInodeTable *t, guint64 nodeid, guint64 count)
{
	FsNode *n;

	g_mutex_lock(&t->lock);
	n = g_hash_table_lookup(t->by_id, &nodeid);
	if (n && nodeid != FS_ROOT_NODEID) {
		n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
		if (n->nlookup == 0) {
			char *key = node_key(n->kind, n->mailbox, n->uidvalidity, n->uid);

			g_hash_table_remove(t->by_key, key);
			g_free(key);
			g_hash_table_remove(t->by_id, &nodeid);
		}
	}
	g_mutex_unlock(&t->lock);
}

guint fs_inode_count(FsInodeTable *t)
{
	guint c;

	g_mutex_lock(&t->lock);
	c = g_hash_table_size(t->by_id);
	g_mutex_unlock(&t->lock);
	return c;
}

/* The name a node of mailbox gets when from becomes to, or NULL if it is not below from. */
static char *renamed(const char *mailbox, const char *from, const char *to, char delim)
{
	gsize len = strlen(from);

	if (strncmp(mailbox, from, len) != 0)
		return NULL;
	if (mailbox[len] != '\0' && (delim == '\0' || mailbox[len] != delim))
		return NULL;
	return g_strconcat(to, mailbox + len, NULL);
}

static void rename_node_locked(FsInodeTable *t, FsNode *n, char *name)
{
	char *old_key = node_key(n->kind, n->mailbox, n->uidvalidity, n->uid);
	char *new_key = node_key(n->kind, name, n->uidvalidity, n->uid);

	if (g_hash_table_lookup(t->by_key, old_key) == n)
		g_hash_table_remove(t->by_key, old_key);
	g_free(old_key);
	/* A node the kernel still holds under the new name (a folder of that name deleted
	 * earlier) keeps its key; this one is then only reached by its nodeid. */
	if (g_hash_table_contains(t->by_key, new_key))
		g_free(new_key);
	else
		g_hash_table_insert(t->by_key, new_key, n);
	g_ptr_array_add(t->old_names, n->mailbox);
	g_atomic_pointer_set(&n->mailbox, name);
}

void fs_inode_rename_folder(FsInodeTable *t, const char *from, const char *to, char delim)
{
	GHashTableIter it;
	gpointer value;

	if (*from == '\0')
		return; /* the root is never renamed */
	g_mutex_lock(&t->lock);
	g_hash_table_iter_init(&it, t->by_id);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		FsNode *n = value;
		char *name = renamed(n->mailbox, from, to, delim);

		if (name)
			rename_node_locked(t, n, name);
	}
	g_mutex_unlock(&t->lock);
}

void fs_inode_move_msg(FsInodeTable *t, const char *from, guint32 uidvalidity, guint32 uid,
		       const char *to, guint32 new_uidvalidity, guint32 new_uid)
{
	g_autofree char *old_key = node_key(FS_NODE_MSG, from, uidvalidity, uid);
	char *new_key = node_key(FS_NODE_MSG, to, new_uidvalidity, new_uid);
	FsNode *n;

	g_mutex_lock(&t->lock);
	n = g_hash_table_lookup(t->by_key, old_key);
	if (n) {
		g_hash_table_remove(t->by_key, old_key);
		if (g_hash_table_contains(t->by_key, new_key))
			g_clear_pointer(&new_key, g_free); /* reached by its nodeid only */
		else
			g_hash_table_insert(t->by_key, g_steal_pointer(&new_key), n);
		g_ptr_array_add(t->old_names, n->mailbox);
		g_atomic_pointer_set(&n->mailbox, g_strdup(to));
		n->uidvalidity = new_uidvalidity;
		n->uid = new_uid;
	}
	g_mutex_unlock(&t->lock);
	g_free(new_key);
}

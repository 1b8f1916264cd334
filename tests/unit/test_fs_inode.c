/* Unit tests for fs/inode.c: nodeids, lookup counts and stable inode numbers. */
#include "fs/inode.h"
#include "tests/test-util.h"

static void test_root_exists(void)
{
	FsInodeTable *t = fs_inode_table_new();
	FsNode *root = fs_inode_get(t, FS_ROOT_NODEID);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(root->kind, FS_NODE_DIR);
	CU_ASSERT_STRING_EQUAL(root->mailbox, "");
	CU_ASSERT_EQUAL(root->ino, FS_ROOT_NODEID);
	fs_inode_forget(t, FS_ROOT_NODEID, 100);
	CU_ASSERT_PTR_NOT_NULL(fs_inode_get(t, FS_ROOT_NODEID));
	fs_inode_table_free(t);
	fs_inode_table_free(NULL);
}

static void test_lookup_counts(void)
{
	FsInodeTable *t = fs_inode_table_new();
	FsNode *a = fs_inode_ref_dir(t, "Work");
	FsNode *b = fs_inode_ref_dir(t, "Work");
	guint64 id = a->nodeid;

	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_EQUAL(a->nlookup, 2);
	CU_ASSERT_NOT_EQUAL(id, FS_ROOT_NODEID);
	fs_inode_forget(t, id, 1);
	CU_ASSERT_PTR_EQUAL(fs_inode_get(t, id), a);
	fs_inode_forget(t, id, 1);
	CU_ASSERT_PTR_NULL(fs_inode_get(t, id));
	CU_ASSERT_EQUAL(fs_inode_count(t), 1);

	/* A new lookup after the forget gets a fresh nodeid but the same st_ino. */
	FsNode *c = fs_inode_ref_dir(t, "Work");
	CU_ASSERT_NOT_EQUAL(c->nodeid, id);
	CU_ASSERT_EQUAL(c->ino, fs_inode_ino_folder("Work"));
	fs_inode_forget(t, 999999, 1); /* unknown: ignored */
	fs_inode_table_free(t);
}

static void test_messages_distinct(void)
{
	FsInodeTable *t = fs_inode_table_new();
	FsNode *m1 = fs_inode_ref_msg(t, "INBOX", 5, 1);
	FsNode *m2 = fs_inode_ref_msg(t, "INBOX", 5, 2);
	FsNode *m3 = fs_inode_ref_msg(t, "INBOX", 6, 1);
	FsNode *m4 = fs_inode_ref_msg(t, "Other", 5, 1);
	FsNode *d = fs_inode_ref_dir(t, "INBOX");

	CU_ASSERT_EQUAL(m1->kind, FS_NODE_MSG);
	CU_ASSERT_EQUAL(m1->uid, 1);
	CU_ASSERT_EQUAL(m1->uidvalidity, 5);
	CU_ASSERT_NOT_EQUAL(m1->nodeid, m2->nodeid);
	CU_ASSERT_NOT_EQUAL(m1->ino, m2->ino);
	CU_ASSERT_NOT_EQUAL(m1->ino, m3->ino);
	CU_ASSERT_NOT_EQUAL(m1->ino, m4->ino);
	CU_ASSERT_NOT_EQUAL(m1->ino, d->ino);
	CU_ASSERT_EQUAL(fs_inode_count(t), 6);
	fs_inode_forget(t, m1->nodeid, 5); /* more than held: clamps */
	CU_ASSERT_EQUAL(fs_inode_count(t), 5);
	fs_inode_table_free(t);
}

static void test_ino_stable(void)
{
	/* Fixed values: st_ino must not change between builds or remounts. */
	guint64 a = fs_inode_ino_message("INBOX", 1700000000, 42);

	CU_ASSERT_EQUAL(a, fs_inode_ino_message("INBOX", 1700000000, 42));
	CU_ASSERT(a >= 2);
	CU_ASSERT(a <= G_GUINT64_CONSTANT(0x7fffffffffffffff));
	CU_ASSERT_EQUAL(fs_inode_ino_folder(""), FS_ROOT_NODEID);
	CU_ASSERT_NOT_EQUAL(fs_inode_ino_folder("INBOX"), fs_inode_ino_folder("INBOX2"));
	CU_ASSERT_NOT_EQUAL(fs_inode_ino_folder("INBOX"), FS_ROOT_NODEID);
}

static gpointer ref_forget_loop(gpointer data)
{
	FsInodeTable *t = data;

	for (int i = 0; i < 20000; i++) {
		FsNode *n = fs_inode_ref_msg(t, "INBOX", 1, (guint32)(i % 7) + 1);

		fs_inode_forget(t, n->nodeid, 1);
	}
	return NULL;
}

/* The kernel keeps a renamed folder's nodeid: the node must then name the new mailbox,
 * and so must the folders and messages below it, but not a sibling with a common prefix. */
static void test_rename_folder(void)
{
	FsInodeTable *t = fs_inode_table_new();
	FsNode *dir = fs_inode_ref_dir(t, "Work");
	FsNode *sub = fs_inode_ref_dir(t, "Work.Old");
	FsNode *msg = fs_inode_ref_msg(t, "Work.Old", 7, 42);
	FsNode *sibling = fs_inode_ref_dir(t, "Workshop");
	guint64 ino = dir->ino;

	fs_inode_rename_folder(t, "Work", "Jobs", '.');
	CU_ASSERT_STRING_EQUAL(dir->mailbox, "Jobs");
	CU_ASSERT_STRING_EQUAL(sub->mailbox, "Jobs.Old");
	CU_ASSERT_STRING_EQUAL(msg->mailbox, "Jobs.Old");
	CU_ASSERT_STRING_EQUAL(sibling->mailbox, "Workshop");
	CU_ASSERT_EQUAL(dir->ino, ino);
	CU_ASSERT_EQUAL(fs_inode_find_dir(t, "Jobs"), dir->nodeid);
	CU_ASSERT_EQUAL(fs_inode_find_dir(t, "Work"), 0);
	CU_ASSERT_EQUAL(fs_inode_find_msg(t, "Jobs.Old", 7, 42), msg->nodeid);
	/* A lookup of the new name finds the same node; forgetting it frees it cleanly. */
	CU_ASSERT_PTR_EQUAL(fs_inode_ref_dir(t, "Jobs"), dir);
	fs_inode_forget(t, dir->nodeid, 2);
	CU_ASSERT_EQUAL(fs_inode_find_dir(t, "Jobs"), 0);
	fs_inode_table_free(t);
}

static void test_threads(void)
{
	FsInodeTable *t = fs_inode_table_new();
	GThread *th[4];

	for (int i = 0; i < 4; i++)
		th[i] = g_thread_new("ref", ref_forget_loop, t);
	for (int i = 0; i < 4; i++)
		g_thread_join(th[i]);
	/* Every ref was matched by a forget: only the root is left. */
	CU_ASSERT_EQUAL(fs_inode_count(t), 1);
	fs_inode_table_free(t);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_inode", NULL, NULL);
	TEST_ADD(s, test_root_exists);
	TEST_ADD(s, test_lookup_counts);
	TEST_ADD(s, test_messages_distinct);
	TEST_ADD(s, test_ino_stable);
	TEST_ADD(s, test_threads);
	TEST_ADD(s, test_rename_folder);
	return test_run_all();
}

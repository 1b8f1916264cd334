/* Unit tests for fs/tree.c: mailbox names -> directory hierarchy. */
#include <string.h>

#include "fs/tree.h"
#include "tests/test-util.h"

static void add(GPtrArray *a, const char *name, char delim, gboolean noselect)
{
	ImapMailbox *mb = g_new0(ImapMailbox, 1);

	mb->name = g_strdup(name);
	mb->delimiter = delim;
	mb->noselect = noselect;
	g_ptr_array_add(a, mb);
}

static FsTree *sample(char delim)
{
	FsTree *t = fs_tree_new();
	GPtrArray *a = g_ptr_array_new();
	g_autofree char *n1 = g_strdup_printf("Archive%c2024", delim);
	g_autofree char *n2 = g_strdup_printf("Lists%cdev%cold", delim, delim);

	add(a, "INBOX", delim, FALSE);
	add(a, "Archive", delim, TRUE);
	add(a, n1, delim, FALSE);
	add(a, n2, delim, FALSE);
	add(a, "Résumé", delim, FALSE);
	add(a, "100%", delim, FALSE);
	fs_tree_set(t, a, delim);
	for (guint i = 0; i < a->len; i++) {
		ImapMailbox *mb = g_ptr_array_index(a, i);
		g_free(mb->name);
		g_free(mb);
	}
	g_ptr_array_free(a, TRUE);
	return t;
}

static void check_tree(char delim)
{
	FsTree *t = sample(delim);
	g_autoptr(GPtrArray) names = NULL, mbs = NULL;
	g_autofree char *inbox = fs_tree_child(t, "", "INBOX");
	g_autofree char *y2024 = NULL, *mid = NULL, *hidden = NULL;
	g_autofree char *lists_dev = g_strdup_printf("Lists%cdev", delim);
	g_autofree char *arch2024 = g_strdup_printf("Archive%c2024", delim);
	gboolean sel = TRUE;

	CU_ASSERT_TRUE(fs_tree_listed_at(t) > 0);
	CU_ASSERT_STRING_EQUAL(inbox, "INBOX");
	y2024 = fs_tree_child(t, "Archive", "2024");
	CU_ASSERT_STRING_EQUAL(y2024, arch2024);
	CU_ASSERT_TRUE(fs_tree_dir(t, "Archive", &sel));
	CU_ASSERT_FALSE(sel); /* \Noselect */
	/* An intermediate level the server did not list is a directory without mail. */
	CU_ASSERT_TRUE(fs_tree_dir(t, lists_dev, &sel));
	CU_ASSERT_FALSE(sel);
	mid = fs_tree_child(t, "Lists", "dev");
	CU_ASSERT_STRING_EQUAL(mid, lists_dev);
	hidden = fs_tree_child(t, "", "100%25");
	CU_ASSERT_STRING_EQUAL(hidden, "100%");
	CU_ASSERT_PTR_NULL(fs_tree_child(t, "", "100%"));
	CU_ASSERT_PTR_NULL(fs_tree_child(t, "", "Nope"));
	CU_ASSERT_PTR_NULL(fs_tree_child(t, "Nope", "x"));

	CU_ASSERT_TRUE_FATAL(fs_tree_children(t, "", &names, &mbs));
	CU_ASSERT_EQUAL_FATAL(names->len, 5);
	/* sorted by entry name */
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(names, 0), "100%25");
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(names, 1), "Archive");
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(mbs, 1), "Archive");
	CU_ASSERT_FALSE(fs_tree_children(t, "Nope", &names, &mbs));
	fs_tree_free(t);
}

static void test_dot_delimiter(void)
{
	check_tree('.');
}

static void test_slash_delimiter(void)
{
	check_tree('/');
}

static void test_replace(void)
{
	FsTree *t = sample('/');
	GPtrArray *a = g_ptr_array_new();

	fs_tree_set(t, a, '/');
	CU_ASSERT_EQUAL(fs_tree_count(t), 1); /* only the root */
	CU_ASSERT_PTR_NULL(fs_tree_child(t, "", "INBOX"));
	g_ptr_array_free(a, TRUE);
	fs_tree_free(t);
	fs_tree_free(NULL);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_tree", NULL, NULL);
	TEST_ADD(s, test_dot_delimiter);
	TEST_ADD(s, test_slash_delimiter);
	TEST_ADD(s, test_replace);
	return test_run_all();
}

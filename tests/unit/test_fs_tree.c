/* Unit tests for fs/tree.c: mailbox names -> directory hierarchy. */
#include <string.h>

#include "fs/tree.h"
#include "imap/mailbox-name.h"
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

/* Every directory below PARENT: path -> mailbox, each entry checked to be safe. */
static void walk(FsTree *t, const char *parent, const char *path, GHashTable *found)
{
	g_autoptr(GPtrArray) names = NULL, mbs = NULL;

	CU_ASSERT_TRUE_FATAL(fs_tree_children(t, parent, &names, &mbs));
	for (guint i = 0; i < names->len; i++) {
		const char *entry = g_ptr_array_index(names, i);
		char *sub = g_strdup_printf("%s/%s", path, entry);

		CU_ASSERT_PTR_NULL(strchr(entry, '/'));
		CU_ASSERT_TRUE(strcmp(entry, ".") && strcmp(entry, "..") && *entry);
		for (const char *p = entry; *p; p++)
			CU_ASSERT_TRUE((guchar)*p >= 0x20 && *p != 0x7f);
		g_hash_table_insert(found, sub, g_strdup(g_ptr_array_index(mbs, i)));
		walk(t, g_ptr_array_index(mbs, i), sub, found);
	}
}

static const char *const odd_wire[] = {
    "..",
    ".",
    "../../etc",
    "a\tb",
    "cr\rhere",
    "\x1b[31mred",
    "&-",
    "&",
    "&Jjo",
    "&-Jjo",
    "\xff\xfe",
    ".lead",
    "lead",
    "R\xc3\xa9sum\xc3\xa9",
    "R&AOk-sum&AOk-",
    "a&AAk-b",
    "INBOX",
    "INBOX.&Jjo",
    "INBOX.&-Jjo",
    "/lead",
    "a..b",
    "a.",
    "0000000001.eml",
};

/* Each listed folder has exactly one directory, which gives back its exact wire name. */
static void check_odd(char delim)
{
	FsTree *t = fs_tree_new();
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func((GDestroyNotify)imap_mailbox_free);
	g_autoptr(GHashTable) found =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) wires = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(odd_wire); i++) {
		ImapMailbox *mb = g_new0(ImapMailbox, 1);

		mb->name = imap_mailbox_name_from_wire(odd_wire[i], delim, FALSE);
		mb->delimiter = delim;
		g_ptr_array_add(a, mb);
	}
	fs_tree_set(t, a, delim);
	walk(t, "", "", found);
	GHashTableIter it;
	gpointer path, mailbox;
	g_hash_table_iter_init(&it, found);
	while (g_hash_table_iter_next(&it, &path, &mailbox)) {
		g_autofree char *wire = imap_mailbox_name_to_wire(mailbox, delim, FALSE, NULL);
		gboolean selectable = FALSE;

		CU_ASSERT_PTR_NOT_NULL_FATAL(wire);
		CU_ASSERT_TRUE(fs_tree_dir(t, mailbox, &selectable));
		if (!selectable)
			continue; /* an intermediate level nobody listed */
		/* Two directories for one folder would be a second name for it. */
		CU_ASSERT_FALSE(g_hash_table_contains(wires, wire));
		g_hash_table_add(wires, g_strdup(wire));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(odd_wire); i++) {
		if (!g_hash_table_contains(wires, odd_wire[i]))
			fprintf(stderr, "delimiter %c: no directory for \"%s\"\n", delim,
				odd_wire[i]);
		CU_ASSERT_TRUE(g_hash_table_contains(wires, odd_wire[i]));
	}
	CU_ASSERT_EQUAL(g_hash_table_size(wires), G_N_ELEMENTS(odd_wire));
	fs_tree_free(t);
}

static void test_odd_names_dot(void)
{
	check_odd('.');
}

static void test_odd_names_slash(void)
{
	check_odd('/');
}

/* The pairs that used to share a directory. */
static void test_odd_pairs_apart(void)
{
	FsTree *t = fs_tree_new();
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func((GDestroyNotify)imap_mailbox_free);
	const char *wire[] = {"&Jjo", "&-Jjo", "&", "&-", ".lead", "lead"};
	const char *entry[] = {"%26Jjo", "&Jjo", "%26", "&", "%2Elead", "lead"};

	for (gsize i = 0; i < G_N_ELEMENTS(wire); i++) {
		ImapMailbox *mb = g_new0(ImapMailbox, 1);

		mb->name = imap_mailbox_name_from_wire(wire[i], '.', FALSE);
		mb->delimiter = '.';
		g_ptr_array_add(a, mb);
	}
	fs_tree_set(t, a, '.');
	for (gsize i = 0; i < G_N_ELEMENTS(wire); i++) {
		g_autofree char *mb = fs_tree_child(t, "", entry[i]);
		g_autofree char *back = mb ? imap_mailbox_name_to_wire(mb, '.', FALSE, NULL) : NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(back);
		CU_ASSERT_STRING_EQUAL(back, wire[i]);
	}
	CU_ASSERT_EQUAL(fs_tree_count(t), 1 + G_N_ELEMENTS(wire));
	fs_tree_free(t);
}

static void test_empty_levels(void)
{
	CU_ASSERT_TRUE(fs_tree_has_empty_level(".lead", '.'));
	CU_ASSERT_TRUE(fs_tree_has_empty_level("a..b", '.'));
	CU_ASSERT_TRUE(fs_tree_has_empty_level("a/", '/'));
	CU_ASSERT_FALSE(fs_tree_has_empty_level(".lead", '/'));
	CU_ASSERT_FALSE(fs_tree_has_empty_level("a.b", '.'));
	CU_ASSERT_FALSE(fs_tree_has_empty_level("", '.')); /* the root */
	CU_ASSERT_FALSE(fs_tree_has_empty_level("..", '\0'));
}

static void test_unreadable_noted_once(void)
{
	FsTree *t = fs_tree_new();

	CU_ASSERT_TRUE(fs_tree_note_unreadable(t, "NUL in a string near x"));
	CU_ASSERT_FALSE(fs_tree_note_unreadable(t, "NUL in a string near x"));
	CU_ASSERT_TRUE(fs_tree_note_unreadable(t, "NUL in a string near y"));
	fs_tree_free(t);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_tree", NULL, NULL);
	TEST_ADD(s, test_dot_delimiter);
	TEST_ADD(s, test_slash_delimiter);
	TEST_ADD(s, test_replace);
	TEST_ADD(s, test_odd_names_dot);
	TEST_ADD(s, test_odd_names_slash);
	TEST_ADD(s, test_odd_pairs_apart);
	TEST_ADD(s, test_empty_levels);
	TEST_ADD(s, test_unreadable_noted_once);
	return test_run_all();
}

/* Unit tests for cache/names-store.c and the directory times of cache/folder.c: the
 * names of written files survive a reopen, follow the last record, belong to one
 * UIDVALIDITY, survive a torn last line and odd characters, move with a renamed
 * folder; a directory's time is kept. */
#include <fcntl.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "tests/test-cache-util.h"
#include "tests/test-util.h"

static char *tmp_root;
static CacheStore *store;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static CacheStore *open_store(void)
{
	g_autofree char *dir = g_build_filename(tmp_root, "cache", NULL);

	return cache_store_open(dir, "dave@example.org:993", 0, NULL);
}

static int setup(void)
{
	tmp_root = g_dir_make_tmp("test-names-XXXXXX", NULL);
	if (!tmp_root)
		return -1;
	store = open_store();
	return store ? 0 : -1;
}

static int teardown(void)
{
	cache_store_close(store);
	store = NULL;
	nftw(tmp_root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	g_clear_pointer(&tmp_root, g_free);
	return 0;
}

static GHashTable *load(const char *folder, guint32 uidv, guint *records)
{
	g_autoptr(GError) error = NULL;
	guint r = 0;
	GHashTable *t = cache_names_load(store, folder, uidv, &r, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NULL(error);
	if (records)
		*records = r;
	return t;
}

static const char *name_of(GHashTable *t, guint32 uid)
{
	return g_hash_table_lookup(t, GUINT_TO_POINTER(uid));
}

static void test_record_and_reopen(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) t = NULL;

	CU_ASSERT_TRUE(cache_names_record(store, "INBOX", 7, 1, "x.eml", &error));
	CU_ASSERT_TRUE(cache_names_record(store, "INBOX", 7, 2, "sedAb12Cd", &error));
	CU_ASSERT_TRUE(cache_names_record(store, "INBOX", 7, 2, "note.eml", &error));
	CU_ASSERT_TRUE(cache_names_record(store, "INBOX", 7, 1, NULL, &error));
	cache_store_close(store);
	store = open_store(); /* a remount */
	t = load("INBOX", 7, NULL);
	CU_ASSERT_EQUAL(g_hash_table_size(t), 1);
	CU_ASSERT_STRING_EQUAL(name_of(t, 2), "note.eml"); /* the last record wins */
	CU_ASSERT_PTR_NULL(name_of(t, 1));		   /* removed */
}

static void test_other_validity_is_empty(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) t = NULL, again = NULL;

	CU_ASSERT_TRUE(cache_names_record(store, "Work", 10, 5, "a.eml", &error));
	t = load("Work", 11, NULL);
	CU_ASSERT_EQUAL(g_hash_table_size(t), 0);
	/* A record under the new generation starts the journal afresh. */
	CU_ASSERT_TRUE(cache_names_record(store, "Work", 11, 6, "b.eml", &error));
	again = load("Work", 10, NULL);
	CU_ASSERT_EQUAL(g_hash_table_size(again), 0);
	g_hash_table_unref(t);
	t = load("Work", 11, NULL);
	CU_ASSERT_STRING_EQUAL(name_of(t, 6), "b.eml");
	CU_ASSERT_PTR_NULL(name_of(t, 5));
}

static void test_torn_line_and_odd_names(void)
{
	static const char odd[] = "a\nb\tc \\ d \"é\".eml";
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) t = NULL;
	g_autofree char *path = NULL;
	struct stat st;
	int fd;

	CU_ASSERT_TRUE(cache_names_record(store, "Odd", 3, 9, odd, &error));
	path = test_cache_folder_file(store, "Odd", "names");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* A crash in the middle of the next record: no newline at its end. */
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "9 half", 6), 6);
	close(fd);
	t = load("Odd", 3, NULL);
	CU_ASSERT_STRING_EQUAL(name_of(t, 9), odd);
}

static void test_rewrite_compacts(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) t = NULL, back = NULL;
	guint records = 0;

	for (guint i = 0; i < 100; i++)
		CU_ASSERT_TRUE(cache_names_record(store, "Busy", 1, 1, i % 2 ? "b" : "a", &error));
	t = load("Busy", 1, &records);
	CU_ASSERT_EQUAL(records, 100);
	CU_ASSERT_TRUE(cache_names_rewrite(store, "Busy", 1, t, &error));
	back = load("Busy", 1, &records);
	CU_ASSERT_EQUAL(records, 1);
	CU_ASSERT_STRING_EQUAL(name_of(back, 1), "b");
}

static void test_move_with_folder(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) old = NULL, moved = NULL;

	CU_ASSERT_TRUE(cache_names_record(store, "Old", 4, 3, "kept.eml", &error));
	CU_ASSERT_TRUE(cache_names_move(store, "Old", "New", &error));
	old = load("Old", 4, NULL);
	moved = load("New", 4, NULL);
	CU_ASSERT_EQUAL(g_hash_table_size(old), 0);
	CU_ASSERT_STRING_EQUAL(name_of(moved, 3), "kept.eml");
	/* A folder without names moves nothing, and that is no error. */
	CU_ASSERT_TRUE(cache_names_move(store, "Nothing", "Else", &error));
}

static void test_dir_time_kept(void)
{
	g_autoptr(GError) error = NULL;
	gint64 t = 0;

	CU_ASSERT_FALSE(cache_folder_time_get(store, "Dir", &t));
	CU_ASSERT_TRUE(cache_folder_time_set(store, "Dir", 1614592800, &error));
	cache_store_close(store);
	store = open_store();
	CU_ASSERT_TRUE(cache_folder_time_get(store, "Dir", &t));
	CU_ASSERT_EQUAL(t, 1614592800);
	CU_ASSERT_TRUE(cache_folder_time_set(store, "", 42, &error)); /* the root */
	CU_ASSERT_TRUE(cache_folder_time_get(store, "", &t));
	CU_ASSERT_EQUAL(t, 42);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("names", setup, teardown);

	TEST_ADD(s, test_record_and_reopen);
	TEST_ADD(s, test_other_validity_is_empty);
	TEST_ADD(s, test_torn_line_and_odd_names);
	TEST_ADD(s, test_rewrite_compacts);
	TEST_ADD(s, test_move_with_folder);
	TEST_ADD(s, test_dir_time_kept);
	return test_run_all();
}

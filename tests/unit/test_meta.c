/* Unit tests for cache/meta-store.c: saved folder metadata round trips, stays sorted,
 * scales to 100,000 messages, and a damaged file reads as absent. */
#include <fcntl.h>
#include <ftw.h>
#include <gio/gio.h>
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

static int setup(void)
{
	g_autofree char *dir = NULL;

	tmp_root = g_dir_make_tmp("test-meta-XXXXXX", NULL);
	if (!tmp_root)
		return -1;
	dir = g_build_filename(tmp_root, "cache", NULL);
	store = cache_store_open(dir, "carol@example.org:993", 0, NULL);
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

/* The metadata file of FOLDER. */
static char *meta_path(const char *folder)
{
	char *found = test_cache_folder_file(store, folder, "meta");

	CU_ASSERT_PTR_NOT_NULL_FATAL(found);
	return found;
}

static CacheFolderMeta *small_meta(void)
{
	CacheFolderMeta *m = cache_folder_meta_new(1234, 20, 99);

	cache_folder_meta_add(m, 3, 1000, 1700000000, "\\Seen", 5);
	cache_folder_meta_add(m, 7, 2000, -5, "", 6);
	cache_folder_meta_add(m, 9, G_MAXUINT64, G_MAXINT64, "\\Seen \\Flagged $Work", 99);
	cache_folder_meta_add(m, 10, 0, 0, NULL, 0);
	return m;
}

static void check_small(const CacheFolderMeta *m)
{
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 4);
	CU_ASSERT_EQUAL(m->uidvalidity, 1234);
	CU_ASSERT_EQUAL(m->uidnext, 20);
	CU_ASSERT_EQUAL(m->highestmodseq, 99);
	const CacheMsgMeta *a = cache_folder_meta_find(m, 3), *b = cache_folder_meta_find(m, 7);
	const CacheMsgMeta *c = cache_folder_meta_find(m, 9), *d = cache_folder_meta_find(m, 10);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(a->size, 1000);
	CU_ASSERT_EQUAL(a->internaldate, 1700000000);
	CU_ASSERT_STRING_EQUAL(a->flags, "\\Seen");
	CU_ASSERT_EQUAL(a->modseq, 5);
	CU_ASSERT_EQUAL(b->internaldate, -5);
	CU_ASSERT_STRING_EQUAL(b->flags, "");
	CU_ASSERT_EQUAL(c->size, G_MAXUINT64);
	CU_ASSERT_EQUAL(c->internaldate, G_MAXINT64);
	CU_ASSERT_STRING_EQUAL(c->flags, "\\Seen \\Flagged $Work");
	CU_ASSERT_STRING_EQUAL(d->flags, "");
	CU_ASSERT_PTR_NULL(cache_folder_meta_find(m, 8));
	CU_ASSERT_PTR_NULL(cache_folder_meta_find(m, 1));
	CU_ASSERT_PTR_NULL(cache_folder_meta_find(m, 11));
}

static void test_roundtrip(void)
{
	g_autoptr(CacheFolderMeta) m = small_meta();
	g_autoptr(GError) error = NULL;
	struct stat st;

	CU_ASSERT_TRUE(cache_meta_save(store, "INBOX", m, &error));
	CU_ASSERT_PTR_NULL(error);
	g_autoptr(CacheFolderMeta) back = cache_meta_load(store, "INBOX", &error);

	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	check_small(back);
	g_autofree char *path = meta_path("INBOX");

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
}

static void test_absent(void)
{
	g_autoptr(GError) error = NULL;

	CU_ASSERT_PTR_NULL(cache_meta_load(store, "Never saved", &error));
	CU_ASSERT_PTR_NULL(error);
}

static void test_empty_folder_and_replace(void)
{
	g_autoptr(CacheFolderMeta) empty = cache_folder_meta_new(5, 1, 0);
	g_autoptr(CacheFolderMeta) full = small_meta();
	g_autoptr(GError) error = NULL;

	CU_ASSERT_TRUE(cache_meta_save(store, "Empty", empty, &error));
	CU_ASSERT_TRUE(cache_meta_save(store, "Other", full, &error));
	g_autoptr(CacheFolderMeta) a = cache_meta_load(store, "Empty", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->msgs->len, 0);
	CU_ASSERT_EQUAL(a->uidvalidity, 5);
	/* Saving again replaces; the other folder is untouched. */
	CU_ASSERT_TRUE(cache_meta_save(store, "Empty", full, &error));
	g_autoptr(CacheFolderMeta) b = cache_meta_load(store, "Empty", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	check_small(b);
	g_autoptr(CacheFolderMeta) c = cache_meta_load(store, "Other", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	check_small(c);
}

static void test_add_keeps_sorted(void)
{
	g_autoptr(CacheFolderMeta) m = cache_folder_meta_new(1, 100, 0);
	g_autoptr(GError) error = NULL;
	const guint32 uids[] = {50, 10, 30, 90, 20, 30};

	for (guint i = 0; i < G_N_ELEMENTS(uids); i++)
		cache_folder_meta_add(m, uids[i], i, 0, i == 5 ? "\\Deleted" : "\\Seen", 0);
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 5); /* 30 replaced, not duplicated */
	for (guint i = 1; i < m->msgs->len; i++)
		CU_ASSERT(g_array_index(m->msgs, CacheMsgMeta, i - 1).uid <
			  g_array_index(m->msgs, CacheMsgMeta, i).uid);
	CU_ASSERT_STRING_EQUAL(cache_folder_meta_find(m, 30)->flags, "\\Deleted");
	cache_folder_meta_remove(m, 30);
	cache_folder_meta_remove(m, 31); /* absent: no change */
	CU_ASSERT_EQUAL(m->msgs->len, 4);
	CU_ASSERT_PTR_NULL(cache_folder_meta_find(m, 30));
	CU_ASSERT_PTR_NOT_NULL(cache_folder_meta_find(m, 50));
	/* Equal flag strings share memory. */
	CU_ASSERT_PTR_EQUAL(cache_folder_meta_find(m, 10)->flags,
			    cache_folder_meta_find(m, 50)->flags);

	/* A hand-built unsorted array is refused, and nothing is written. */
	CacheMsgMeta swap = g_array_index(m->msgs, CacheMsgMeta, 0);
	g_array_index(m->msgs, CacheMsgMeta, 0) = g_array_index(m->msgs, CacheMsgMeta, 1);
	g_array_index(m->msgs, CacheMsgMeta, 1) = swap;
	CU_ASSERT_FALSE(cache_meta_save(store, "Unsorted", m, &error));
	CU_ASSERT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(cache_meta_load(store, "Unsorted", &error));
	CU_ASSERT_PTR_NULL(error);
}

/* Appends (uid, size) pairs as a listing does, out of order. */
static void append_raw(CacheFolderMeta *m, const guint32 *uids, guint n, guint64 size0)
{
	for (guint i = 0; i < n; i++) {
		CacheMsgMeta x = {.uid = uids[i], .size = size0 + i, .flags = ""};

		g_array_append_val(m->msgs, x);
	}
}

static void check_sorted_unique(const CacheFolderMeta *m)
{
	for (guint i = 1; i < m->msgs->len; i++)
		CU_ASSERT(g_array_index(m->msgs, CacheMsgMeta, i - 1).uid <
			  g_array_index(m->msgs, CacheMsgMeta, i).uid);
}

static void test_merge_tail(void)
{
	g_autoptr(CacheFolderMeta) m = cache_folder_meta_new(1, 100, 0);
	const guint32 known[] = {2, 4, 6, 8};
	const guint32 more[] = {9, 4, 1, 4, 7, 9, 3};

	/* A sorted prefix, then lines in any order with repeats: the last of a UID wins. */
	append_raw(m, known, G_N_ELEMENTS(known), 100);
	append_raw(m, more, G_N_ELEMENTS(more), 200);
	cache_folder_meta_merge_tail(m, G_N_ELEMENTS(known));
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 8); /* 1 2 3 4 6 7 8 9 */
	check_sorted_unique(m);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 4)->size, 203); /* the second 4 of MORE */
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 9)->size, 205);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 2)->size, 100); /* untouched */
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 1)->size, 202);

	/* Nothing unsorted: no change; a tail after the prefix: appended as it is. */
	cache_folder_meta_merge_tail(m, m->msgs->len);
	CU_ASSERT_EQUAL(m->msgs->len, 8);
	const guint32 after[] = {12, 10, 12};
	append_raw(m, after, G_N_ELEMENTS(after), 300);
	cache_folder_meta_merge_tail(m, 8);
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 10);
	check_sorted_unique(m);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 12)->size, 302);

	/* All unsorted: 100,000 lines in descending order, each twice. */
	g_autoptr(CacheFolderMeta) d = cache_folder_meta_new(1, 100001, 0);
	for (guint32 u = 100000; u >= 1; u--) {
		const guint32 two[] = {u, u};

		append_raw(d, two, 2, u);
	}
	cache_folder_meta_merge_tail(d, 0);
	CU_ASSERT_EQUAL_FATAL(d->msgs->len, 100000);
	check_sorted_unique(d);
	CU_ASSERT_EQUAL(cache_folder_meta_find(d, 77)->size, 78); /* the second of the pair */
}

static const char *const flag_sets[] = {"", "\\Seen", "\\Seen \\Answered", "\\Flagged", "$Junk"};

static void test_100k(void)
{
	const guint n = 100000;
	g_autoptr(CacheFolderMeta) m = cache_folder_meta_new(777, n + 1, 5000000);
	g_autoptr(GError) error = NULL;
	struct stat st;

	for (guint32 uid = 1; uid <= n; uid++)
		cache_folder_meta_add(m, uid, 1000 + uid, 1600000000 + uid,
				      flag_sets[uid % G_N_ELEMENTS(flag_sets)], uid * 3);
	gint64 t0 = g_get_monotonic_time();
	gboolean saved = cache_meta_save(store, "Big", m, &error);
	gint64 t1 = g_get_monotonic_time();
	g_autoptr(CacheFolderMeta) back = cache_meta_load(store, "Big", &error);
	gint64 t2 = g_get_monotonic_time();
	g_autofree char *path = meta_path("Big");

	CU_ASSERT_TRUE(saved);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	fprintf(stderr, "\n  100k messages: save %.1f ms, load %.1f ms, file %lld bytes ",
		(t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (long long)st.st_size);
	CU_ASSERT(st.st_size < 40 * (off_t)n); /* compact: fixed records, shared flags */
	CU_ASSERT_EQUAL_FATAL(back->msgs->len, n);
	CU_ASSERT_EQUAL(back->highestmodseq, 5000000);
	guint mismatches = 0;

	for (guint i = 0; i < n; i++) {
		const CacheMsgMeta *a = &g_array_index(m->msgs, CacheMsgMeta, i);
		const CacheMsgMeta *b = &g_array_index(back->msgs, CacheMsgMeta, i);

		mismatches += a->uid != b->uid || a->size != b->size ||
			      a->internaldate != b->internaldate || a->modseq != b->modseq ||
			      strcmp(a->flags, b->flags) != 0;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
}

/* Saves a small meta for FOLDER, applies FN to its file, expects "absent" and removal. */
static void check_damaged(const char *folder, void (*fn)(const char *path))
{
	g_autoptr(CacheFolderMeta) m = small_meta();
	g_autoptr(GError) error = NULL;

	CU_ASSERT_TRUE_FATAL(cache_meta_save(store, folder, m, &error));
	g_autofree char *path = meta_path(folder);

	fn(path);
	CU_ASSERT_PTR_NULL(cache_meta_load(store, folder, &error));
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	/* A new save works again. */
	CU_ASSERT_TRUE(cache_meta_save(store, folder, m, &error));
	g_autoptr(CacheFolderMeta) back = cache_meta_load(store, folder, &error);
	CU_ASSERT_PTR_NOT_NULL(back);
}

static void flip_in_records(const char *path)
{
	int fd = open(path, O_RDWR);
	char ch;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, &ch, 1, 60), 1);
	ch ^= 0x10;
	CU_ASSERT_EQUAL(pwrite(fd, &ch, 1, 60), 1);
	close(fd);
}

static void chop_end(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(truncate(path, st.st_size - 7), 0);
}

static void make_empty(const char *path)
{
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
}

static void make_garbage(const char *path)
{
	CU_ASSERT_TRUE(g_file_set_contents(path, "IMFSMETA not really a metadata file", -1, NULL));
}

static void append_byte(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	CU_ASSERT_EQUAL(write(fd, "x", 1), 1);
	close(fd);
}

static void test_damaged_is_absent(void)
{
	check_damaged("Flip", flip_in_records);
	check_damaged("Chop", chop_end);
	check_damaged("Empty file", make_empty);
	check_damaged("Garbage", make_garbage);
	check_damaged("Appended", append_byte);
}

static void test_hostile_folder_names(void)
{
	const char *names[] = {"../../etc", "a/b/c", "..", ""};
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(CacheFolderMeta) m = cache_folder_meta_new(i + 1, 1, 0);

		CU_ASSERT_TRUE(cache_meta_save(store, names[i], m, &error));
	}
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(CacheFolderMeta) m = cache_meta_load(store, names[i], &error);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(m->uidvalidity, i + 1);
	}
	/* Nothing escaped the store's directory. */
	g_autofree char *etc = g_build_filename(tmp_root, "etc", NULL);
	CU_ASSERT_FALSE(g_file_test(etc, G_FILE_TEST_EXISTS));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("meta", setup, teardown);

	TEST_ADD(s, test_roundtrip);
	TEST_ADD(s, test_absent);
	TEST_ADD(s, test_empty_folder_and_replace);
	TEST_ADD(s, test_add_keeps_sorted);
	TEST_ADD(s, test_merge_tail);
	TEST_ADD(s, test_100k);
	TEST_ADD(s, test_damaged_is_absent);
	TEST_ADD(s, test_hostile_folder_names);
	return test_run_all();
}

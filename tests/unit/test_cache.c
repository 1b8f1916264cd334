/* Unit tests for cache/: body store and verified open, eviction, drops, permissions,
 * path safety and failures on a full or unwritable disk. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "tests/test-util.h"

#define TRAILER 40 /* bytes after each body (length + SHA-1), see cache/body-trailer.h */

static char *tmp_root; /* a fresh directory per test */
static char *cache_dir;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path); /* best effort: keep walking */
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void)
{
	tmp_root = g_dir_make_tmp("test-cache-XXXXXX", NULL);
	cache_dir = g_build_filename(tmp_root, "cache", NULL);
	return tmp_root ? 0 : -1;
}

static int teardown(void)
{
	g_autofree char *mnt = tmp_root ? g_build_filename(tmp_root, "tiny", NULL) : NULL;

	/* A failed full-disk test may have left its tmpfs mounted. */
	if (mnt)
		umount2(mnt, MNT_DETACH);
	rm_tree(tmp_root);
	g_clear_pointer(&tmp_root, g_free);
	g_clear_pointer(&cache_dir, g_free);
	return 0;
}

/* Each test gets its own directory: recreate the fixture around it. */
#define FRESH()                                                                                    \
	do {                                                                                       \
		teardown();                                                                        \
		setup();                                                                           \
	} while (0)

static CacheStore *open_store(guint64 max)
{
	g_autoptr(GError) error = NULL;
	CacheStore *c = cache_store_open(cache_dir, "alice@localhost:993", max, &error);

	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void store(CacheStore *c, const char *folder, guint32 v, guint32 uid, const char *body)
{
	g_autoptr(GError) error = NULL;

	CU_ASSERT_TRUE(cache_body_store_bytes(c, folder, v, uid, body, strlen(body), &error));
	CU_ASSERT_PTR_NULL(error);
}

/* The body of (folder, v, uid) as a string, or NULL on a miss. */
static char *fetch(CacheStore *c, const char *folder, guint32 v, guint32 uid)
{
	guint64 size = 12345;
	int fd = cache_body_open(c, folder, v, uid, &size);

	if (fd < 0) {
		CU_ASSERT_EQUAL(size, 12345); /* untouched on a miss */
		return NULL;
	}
	char *buf = g_malloc0(size + 1);

	CU_ASSERT_EQUAL(pread(fd, buf, size, 0), (ssize_t)size);
	close(fd);
	return buf;
}

static void check_body(CacheStore *c, const char *folder, guint32 v, guint32 uid,
		       const char *expect)
{
	g_autofree char *got = fetch(c, folder, v, uid);

	if (!expect) {
		CU_ASSERT_PTR_NULL(got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, expect);
}

/* Every regular file under ROOT named NAME (NULL = any), collected by find_files(). */
static GPtrArray *found;
static const char *found_name;

static int find_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F && (!found_name || strcmp(path + ftw->base, found_name) == 0))
		g_ptr_array_add(found, g_strdup(path));
	return 0;
}

static GPtrArray *find_files(const char *root, const char *name)
{
	found = g_ptr_array_new_with_free_func(g_free);
	found_name = name;
	nftw(root, find_cb, 16, FTW_PHYS);
	return found;
}

/* The one body file of uid UID in the store (asserts there is exactly one). */
static char *body_file(CacheStore *c, guint32 uid)
{
	g_autofree char *name = g_strdup_printf("%u", uid);
	g_autoptr(GPtrArray) files = find_files(cache_store_path(c), name);

	CU_ASSERT_EQUAL_FATAL(files->len, 1);
	return g_strdup(files->pdata[0]);
}

static guint count_files(const char *root, const char *name)
{
	g_autoptr(GPtrArray) files = find_files(root, name);

	return files->len;
}

static guint count_tmp_files(const char *root)
{
	g_autoptr(GPtrArray) files = find_files(root, NULL);
	guint n = 0;

	for (guint i = 0; i < files->len; i++)
		n += strstr(files->pdata[i], "/.tmp-") != NULL;
	return n;
}

/* ---- tests ---- */

static void test_roundtrip(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	g_autofree char *big = g_malloc(300 * 1024 + 1);

	for (gsize i = 0; i < 300 * 1024; i++)
		big[i] = (char)('a' + i % 26);
	big[300 * 1024] = '\0';
	store(c, "INBOX", 7, 1, "Subject: hi\r\n\r\nbody\r\n");
	store(c, "INBOX", 7, 2, big);
	store(c, "INBOX", 7, 3, "");
	check_body(c, "INBOX", 7, 1, "Subject: hi\r\n\r\nbody\r\n");
	check_body(c, "INBOX", 7, 2, big);
	check_body(c, "INBOX", 7, 3, "");
	check_body(c, "INBOX", 7, 4, NULL);
	/* Opening again serves the same bytes (the second open may skip verification). */
	check_body(c, "INBOX", 7, 2, big);
	CU_ASSERT_EQUAL(cache_store_size(c), 300 * 1024 + 21 + 3 * TRAILER);
	/* Storing the same key again replaces it and keeps the accounting right. */
	store(c, "INBOX", 7, 1, "other");
	check_body(c, "INBOX", 7, 1, "other");
	CU_ASSERT_EQUAL(cache_store_size(c), 300 * 1024 + 5 + 3 * TRAILER);
	cache_store_close(c);
	cache_store_close(NULL);
}

static void test_store_fd(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	g_autofree char *src = g_build_filename(tmp_root, "spool", NULL);
	g_autoptr(GError) error = NULL;
	const char *text = "From: a@b\r\n\r\nspooled body\r\n";
	int fd;

	CU_ASSERT_TRUE(g_file_set_contents(src, text, -1, NULL));
	fd = open(src, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	lseek(fd, 5, SEEK_SET);
	CU_ASSERT_TRUE(cache_body_store_fd(c, "INBOX", 1, 9, fd, strlen(text), &error));
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_CUR), 5); /* offset untouched */
	check_body(c, "INBOX", 1, 9, text);
	/* A source shorter than announced fails and leaves nothing. */
	CU_ASSERT_FALSE(cache_body_store_fd(c, "INBOX", 1, 10, fd, strlen(text) + 100, &error));
	CU_ASSERT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT));
	check_body(c, "INBOX", 1, 10, NULL);
	CU_ASSERT_EQUAL(count_tmp_files(cache_store_path(c)), 0);
	close(fd);
	cache_store_close(c);
}

static void test_reopen(void)
{
	FRESH();
	CacheStore *c = open_store(0);

	store(c, "Work/Projects", 5, 42, "persistent");
	guint64 size = cache_store_size(c);
	CacheStore *d = open_store(0); /* a second store on the same directory, concurrently */

	check_body(d, "Work/Projects", 5, 42, "persistent");
	CU_ASSERT_EQUAL(cache_store_size(d), size);
	cache_store_close(d);
	cache_store_close(c);
	c = open_store(0);
	CU_ASSERT_EQUAL(cache_store_size(c), size);
	check_body(c, "Work/Projects", 5, 42, "persistent");
	cache_store_close(c);
}

static void test_key_isolation(void)
{
	FRESH();
	CacheStore *c = open_store(0);

	store(c, "A", 1, 1, "A-1-1");
	check_body(c, "A", 1, 2, NULL);
	check_body(c, "A", 2, 1, NULL);
	check_body(c, "B", 1, 1, NULL);
	check_body(c, "a", 1, 1, NULL);
	store(c, "A", 1, 2, "A-1-2");
	store(c, "A", 2, 1, "A-2-1");
	store(c, "B", 1, 1, "B-1-1");
	check_body(c, "A", 1, 1, "A-1-1");
	check_body(c, "A", 1, 2, "A-1-2");
	check_body(c, "A", 2, 1, "A-2-1");
	check_body(c, "B", 1, 1, "B-1-1");
	cache_body_remove(c, "A", 1, 2);
	cache_body_remove(c, "A", 1, 99); /* a miss is fine */
	check_body(c, "A", 1, 2, NULL);
	check_body(c, "A", 1, 1, "A-1-1");
	CU_ASSERT_EQUAL(cache_store_size(c), 3 * (5 + TRAILER));
	cache_store_close(c);
}

/* Stores a body, damages its file with FN, then expects a miss and the file removed. */
static void check_damage(void (*fn)(const char *path), gboolean open_first)
{
	FRESH();
	CacheStore *c = open_store(0);

	store(c, "INBOX", 3, 77, "Subject: damage\r\n\r\nsome body text\r\n");
	if (open_first)
		check_body(c, "INBOX", 3, 77, "Subject: damage\r\n\r\nsome body text\r\n");
	g_autofree char *path = body_file(c, 77);

	fn(path);
	check_body(c, "INBOX", 3, 77, NULL);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	CU_ASSERT_EQUAL(cache_store_size(c), 0);
	/* A second store sees the damage too (nothing remembered in memory). */
	cache_store_close(c);
}

static void truncate_by_one(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(truncate(path, st.st_size - 1), 0);
}

static void truncate_trailer(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(truncate(path, st.st_size - TRAILER), 0);
}

static void flip_byte(const char *path)
{
	int fd = open(path, O_RDWR);
	char ch;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, &ch, 1, 10), 1);
	ch ^= 0x01;
	CU_ASSERT_EQUAL(pwrite(fd, &ch, 1, 10), 1);
	close(fd);
}

static void truncate_to_zero(const char *path)
{
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
}

static void test_truncated_is_miss(void)
{
	check_damage(truncate_by_one, FALSE);
	check_damage(truncate_trailer, FALSE);
	check_damage(truncate_to_zero, TRUE);
}

static void test_flipped_byte_is_miss(void)
{
	check_damage(flip_byte, FALSE);
	check_damage(flip_byte, TRUE);
}

/* A verification is remembered only for files changed well before it, so damage done
 * later is still caught (its ctime differs). */
static void test_remembered_verification(void)
{
	FRESH();
	CacheStore *c = open_store(0);

	store(c, "INBOX", 3, 77, "Subject: damage\r\n\r\nsome body text\r\n");
	g_usleep(3 * G_USEC_PER_SEC);
	check_body(c, "INBOX", 3, 77, "Subject: damage\r\n\r\nsome body text\r\n");
	check_body(c, "INBOX", 3, 77, "Subject: damage\r\n\r\nsome body text\r\n");
	g_autofree char *path = body_file(c, 77);

	flip_byte(path);
	check_body(c, "INBOX", 3, 77, NULL);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	cache_store_close(c);
}

/* ---- bodies bound to their key: a file in the wrong place is a miss ---- */

/* What the damage function was told. */
typedef struct {
	guint calls;
	CacheBodyDamage why;
	char *folder;
	guint32 uidvalidity, uid;
} Damage;

static void damage_cb(const char *folder, guint32 uidvalidity, guint32 uid, CacheBodyDamage why,
		      const char *path, gpointer data)
{
	Damage *d = data;

	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS)); /* told once it is gone */
	d->calls++;
	d->why = why;
	g_free(d->folder);
	d->folder = g_strdup(folder);
	d->uidvalidity = uidvalidity;
	d->uid = uid;
}

static CacheStore *open_watched(Damage *d)
{
	CacheStore *c = open_store(0);

	g_clear_pointer(&d->folder, g_free);
	memset(d, 0, sizeof(*d));
	cache_store_set_damage_func(c, damage_cb, d);
	return c;
}

/* Nothing of (FOLDER, V, UID) is served by any lookup: open and load miss (BY_LOAD:
 * load first), then peek too; the file is removed and the damage function was told
 * once, naming the key. */
static void check_refused(CacheStore *c, Damage *d, const char *folder, guint32 v, guint32 uid,
			  const char *path, CacheBodyDamage why, gboolean by_load)
{
	guint64 size = 12345;
	g_autoptr(GBytes) bytes = NULL;

	if (by_load)
		CU_ASSERT_PTR_NULL(bytes = cache_body_load(c, folder, v, uid, 1 << 20));
	check_body(c, folder, v, uid, NULL);
	CU_ASSERT_PTR_NULL(bytes = cache_body_load(c, folder, v, uid, 1 << 20));
	CU_ASSERT_FALSE(cache_body_peek(c, folder, v, uid, &size));
	CU_ASSERT_FALSE(cache_body_has(c, folder, v, uid));
	CU_ASSERT_EQUAL(size, 12345);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	CU_ASSERT_EQUAL(d->calls, 1);
	CU_ASSERT_EQUAL(d->why, why);
	CU_ASSERT_STRING_EQUAL(d->folder ? d->folder : "", folder);
	CU_ASSERT_EQUAL(d->uidvalidity, v);
	CU_ASSERT_EQUAL(d->uid, uid);
	d->calls = 0;
}

/* The body file of (FOLDER, V, UID) in C, found as the one file of that UID that
 * appeared when it was stored. */
static char *store_found(CacheStore *c, const char *folder, guint32 v, guint32 uid,
			 const char *body)
{
	g_autofree char *name = g_strdup_printf("%u", uid);
	g_autoptr(GPtrArray) before = find_files(cache_store_path(c), name);
	g_autoptr(GPtrArray) after = NULL;

	store(c, folder, v, uid, body);
	after = find_files(cache_store_path(c), name);
	CU_ASSERT_EQUAL_FATAL(after->len, before->len + 1);
	for (guint i = 0; i < after->len; i++) {
		gboolean old = FALSE;

		for (guint j = 0; j < before->len; j++)
			old |= strcmp(after->pdata[i], before->pdata[j]) == 0;
		if (!old)
			return g_strdup(after->pdata[i]);
	}
	CU_FAIL_FATAL("no new body file");
	return NULL;
}

static void copy_over(const char *from, const char *to)
{
	g_autofree char *data = NULL;
	gsize len;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(from, &data, &len, NULL));
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600); /* in place, as cp does */

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void swap_files(const char *a, const char *b)
{
	g_autofree char *tmp = g_strconcat(a, ".swap", NULL);

	CU_ASSERT_EQUAL(rename(a, tmp), 0);
	CU_ASSERT_EQUAL(rename(b, a), 0);
	CU_ASSERT_EQUAL(rename(tmp, b), 0);
}

/* Cut to half after a remount: no trailer left, so no size from its length and no
 * prefix served. The same with the trailer kept and half the body gone. */
static void test_cut_to_half_is_miss(void)
{
	const char *text =
	    "Subject: half\r\n\r\nthe first half of this body and the second half\r\n";
	Damage d = {0};

	for (int keep_trailer = 0; keep_trailer < 2; keep_trailer++) {
		for (int by_load = 0; by_load < 2; by_load++) {
			FRESH();
			CacheStore *c = open_store(0);
			g_autofree char *path = store_found(c, "INBOX", 7, 3, text);
			g_autofree char *data = NULL;
			gsize len, half = strlen(text) / 2;
			guint64 size;

			cache_store_close(c);
			CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &data, &len, NULL));
			if (keep_trailer)
				memmove(data + half, data + len - TRAILER, TRAILER);
			CU_ASSERT_TRUE(g_file_set_contents(
			    path, data, keep_trailer ? half + TRAILER : len / 2, NULL));
			c = open_watched(&d);
			CU_ASSERT_TRUE(cache_body_has(c, "INBOX", 7, 3)); /* the scan found it */
			CU_ASSERT_FALSE(cache_body_peek(c, "INBOX", 7, 3, &size)); /* no size yet */
			check_refused(c, &d, "INBOX", 7, 3, path,
				      keep_trailer ? CACHE_BODY_SHORT : CACHE_BODY_NO_TRAILER,
				      by_load);
			CU_ASSERT_EQUAL(cache_store_size(c), 0);
			cache_store_close(c);
		}
	}
	g_free(d.folder);
}

/* Two bodies of the same length swapped between UIDs, after a remount and while the
 * store remembers both as verified (a rename gives each path another inode). */
static void test_swapped_is_miss(void)
{
	Damage d = {0};

	for (int remembered = 0; remembered < 2; remembered++) {
		FRESH();
		CacheStore *c = open_store(0);
		g_autofree char *a =
		    store_found(c, "INBOX", 7, 1, "Subject: one\r\n\r\nbody 1\r\n");
		g_autofree char *b =
		    store_found(c, "INBOX", 7, 2, "Subject: two\r\n\r\nbody 2\r\n");

		if (remembered) {
			g_usleep(3 * G_USEC_PER_SEC); /* settled: verifications are kept */
			check_body(c, "INBOX", 7, 1, "Subject: one\r\n\r\nbody 1\r\n");
			check_body(c, "INBOX", 7, 2, "Subject: two\r\n\r\nbody 2\r\n");
		} else {
			cache_store_close(c);
		}
		swap_files(a, b);
		if (remembered) {
			cache_store_set_damage_func(c, damage_cb, &d);
			d.calls = 0;
		} else {
			c = open_watched(&d);
		}
		check_refused(c, &d, "INBOX", 7, 1, a, CACHE_BODY_MISMATCH, remembered);
		check_refused(c, &d, "INBOX", 7, 2, b, CACHE_BODY_MISMATCH, !remembered);
		CU_ASSERT_EQUAL(cache_store_size(c), 0);
		cache_store_close(c);
	}
	g_free(d.folder);
}

/* A body copied from another folder (in place, keeping the inode), and one copied
 * into another UIDVALIDITY's directory: misses, the originals still served. */
static void test_copied_is_miss(void)
{
	const char *mine = "Subject: mine\r\n\r\nin INBOX\r\n";
	const char *other = "Subject: othr\r\n\r\nin Other\r\n";
	Damage d = {0};
	FRESH();
	CacheStore *c = open_store(0);
	g_autofree char *a = store_found(c, "INBOX", 7, 4, mine);
	g_autofree char *b = store_found(c, "Other", 7, 4, other);
	g_autofree char *gen = g_path_get_dirname(a);
	g_autofree char *folder_dir = g_path_get_dirname(gen);
	g_autofree char *gen8 = g_build_filename(folder_dir, "8", NULL);
	g_autofree char *in8 = g_build_filename(gen8, "4", NULL);

	cache_store_close(c);
	copy_over(b, a);
	CU_ASSERT_EQUAL(g_mkdir(gen8, 0700), 0);
	store(c = open_store(0), "INBOX", 9, 9, "x"); /* unrelated */
	cache_store_close(c);
	c = open_watched(&d);
	check_refused(c, &d, "INBOX", 7, 4, a, CACHE_BODY_MISMATCH, FALSE);
	check_body(c, "Other", 7, 4, other);
	store(c, "INBOX", 7, 4, mine);
	copy_over(a, in8);
	check_refused(c, &d, "INBOX", 8, 4, in8, CACHE_BODY_MISMATCH, TRUE);
	check_body(c, "INBOX", 7, 4, mine);
	CU_ASSERT_EQUAL(d.calls, 0);
	cache_store_close(c);
	g_free(d.folder);
}

/* A file of the first format (trailer IMFSBOD1: SHA-1 of the body alone) is a miss
 * and removed; the body stored again is served. */
static void test_old_format_is_miss(void)
{
	const char *text = "Subject: old\r\n\r\nwritten by an older imapfs\r\n";
	guint8 trailer[TRAILER] = "IMFSBOD1";
	guint64 le = GUINT64_TO_LE((guint64)strlen(text));
	gsize digest_len = 20;
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA1);
	Damage d = {0};
	FRESH();
	CacheStore *c = open_store(0);
	g_autofree char *path = store_found(c, "INBOX", 7, 5, text);
	g_autofree char *data = g_malloc(strlen(text) + TRAILER);

	cache_store_close(c);
	memcpy(trailer + 8, &le, 8);
	g_checksum_update(sum, (const guchar *)text, strlen(text));
	g_checksum_get_digest(sum, trailer + 16, &digest_len);
	g_checksum_free(sum);
	memcpy(data, text, strlen(text));
	memcpy(data + strlen(text), trailer, TRAILER);
	CU_ASSERT_TRUE(g_file_set_contents(path, data, strlen(text) + TRAILER, NULL));
	c = open_watched(&d);
	check_refused(c, &d, "INBOX", 7, 5, path, CACHE_BODY_OLD_FORMAT, TRUE);
	store(c, "INBOX", 7, 5, text);
	check_body(c, "INBOX", 7, 5, text);
	cache_store_close(c);
	g_free(d.folder);
}

/* After a remount no length is known until the file was checked; then it is. */
static void test_peek_needs_verification(void)
{
	const char *text = "Subject: peek\r\n\r\nchecked first\r\n";
	guint64 size = 12345;
	FRESH();
	CacheStore *c = open_store(0);

	store(c, "INBOX", 7, 6, text);
	CU_ASSERT_TRUE(cache_body_peek(c, "INBOX", 7, 6, &size)); /* written here */
	CU_ASSERT_EQUAL(size, strlen(text));
	cache_store_close(c);
	c = open_store(0);
	size = 12345;
	CU_ASSERT_TRUE(cache_body_has(c, "INBOX", 7, 6));
	CU_ASSERT_FALSE(cache_body_peek(c, "INBOX", 7, 6, &size));
	CU_ASSERT_EQUAL(size, 12345);
	check_body(c, "INBOX", 7, 6, text);
	CU_ASSERT_TRUE(cache_body_peek(c, "INBOX", 7, 6, &size));
	CU_ASSERT_EQUAL(size, strlen(text));
	cache_store_close(c);
}

/* cache_body_has() answers from the index: stores, removals, drops and a reopen. */
static void test_has(void)
{
	FRESH();
	CacheStore *c = open_store(0);

	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 3, 1));
	store(c, "INBOX", 3, 1, "one");
	store(c, "INBOX", 3, 2, "two");
	CU_ASSERT_TRUE(cache_body_has(c, "INBOX", 3, 1));
	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 4, 1));
	CU_ASSERT_FALSE(cache_body_has(c, "Other", 3, 1));
	cache_body_remove(c, "INBOX", 3, 1);
	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 3, 1));
	cache_store_close(c);
	c = open_store(0); /* the scan at open knows what is on disk */
	CU_ASSERT_TRUE(cache_body_has(c, "INBOX", 3, 2));
	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 3, 1));
	cache_folder_drop(c, "INBOX");
	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 3, 2));
	cache_store_close(c);
}

/* cache_body_prefetch() only starts a read: the body stays as it was, and a missing one
 * stays missing (nothing is created). */
static void test_prefetch(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	g_autoptr(GBytes) got = NULL;

	store(c, "INBOX", 3, 1, "one");
	cache_body_prefetch(c, "INBOX", 3, 1);
	cache_body_prefetch(c, "INBOX", 3, 9);
	cache_body_prefetch(c, "Other", 3, 1);
	got = cache_body_load(c, "INBOX", 3, 1, 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(g_bytes_get_size(got), 3);
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(got, NULL), "one", 3), 0);
	CU_ASSERT_FALSE(cache_body_has(c, "INBOX", 3, 9));
	CU_ASSERT_FALSE(cache_body_has(c, "Other", 3, 1));
	cache_store_close(c);
}

/* cache_body_peek() gives the body length from the index; cache_body_load() the
 * verified body in memory, NULL (and the file removed) when damaged, NULL (and the
 * file kept) when above the size given. */
static void test_peek_and_load(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	const char *text = "Subject: load\r\n\r\nloaded in one read\r\n";
	guint64 size = 12345;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GBytes) none = NULL;

	CU_ASSERT_FALSE(cache_body_peek(c, "INBOX", 3, 5, &size));
	CU_ASSERT_EQUAL(size, 12345); /* untouched on a miss */
	store(c, "INBOX", 3, 5, text);
	CU_ASSERT_TRUE(cache_body_peek(c, "INBOX", 3, 5, &size));
	CU_ASSERT_EQUAL(size, strlen(text));
	bytes = cache_body_load(c, "INBOX", 3, 5, 1024);
	CU_ASSERT_FATAL(bytes != NULL);
	CU_ASSERT_EQUAL(g_bytes_get_size(bytes), strlen(text));
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(bytes, NULL), text, strlen(text)), 0);
	/* Too big to hold: left for cache_body_open(). */
	none = cache_body_load(c, "INBOX", 3, 5, strlen(text) - 1);
	CU_ASSERT_PTR_NULL(none);
	check_body(c, "INBOX", 3, 5, text);
	CU_ASSERT_PTR_NULL(cache_body_load(c, "INBOX", 3, 6, 1024));
	/* A flipped byte: a miss, and the file goes. */
	g_autofree char *path = body_file(c, 5);
	flip_byte(path);
	CU_ASSERT_PTR_NULL(cache_body_load(c, "INBOX", 3, 5, 1024));
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	CU_ASSERT_FALSE(cache_body_peek(c, "INBOX", 3, 5, &size));
	/* A truncated one too. */
	store(c, "INBOX", 3, 5, text);
	truncate_by_one(path);
	CU_ASSERT_PTR_NULL(cache_body_load(c, "INBOX", 3, 5, 1024));
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	cache_store_close(c);
}

static void test_folder_drop(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	g_autoptr(CacheFolderMeta) meta = cache_folder_meta_new(1, 3, 0);
	g_autoptr(GError) error = NULL;

	cache_folder_meta_add(meta, 1, 100, 0, "\\Seen", 0);
	store(c, "Drop", 1, 1, "one");
	store(c, "Drop", 1, 2, "two");
	store(c, "Drop", 2, 1, "gen2");
	store(c, "Keep", 1, 1, "kept");
	CU_ASSERT_TRUE(cache_meta_save(c, "Drop", meta, &error));
	CU_ASSERT_TRUE(cache_meta_save(c, "Keep", meta, &error));
	cache_folder_drop(c, "Drop");
	check_body(c, "Drop", 1, 1, NULL);
	check_body(c, "Drop", 1, 2, NULL);
	check_body(c, "Drop", 2, 1, NULL);
	CU_ASSERT_PTR_NULL(cache_meta_load(c, "Drop", &error));
	CU_ASSERT_PTR_NULL(error);
	check_body(c, "Keep", 1, 1, "kept");
	g_autoptr(CacheFolderMeta) kept = cache_meta_load(c, "Keep", &error);
	CU_ASSERT_PTR_NOT_NULL(kept);
	CU_ASSERT_EQUAL(cache_store_size(c), 4 + TRAILER);
	CU_ASSERT_EQUAL(count_files(cache_store_path(c), "meta"), 1);
	cache_folder_drop(c, "Never-cached");
	/* The folder is usable again afterwards. */
	store(c, "Drop", 3, 1, "new");
	check_body(c, "Drop", 3, 1, "new");
	cache_store_close(c);
}

static void test_drop_other_validity(void)
{
	FRESH();
	CacheStore *c = open_store(0);
	g_autoptr(CacheFolderMeta) meta = cache_folder_meta_new(2, 10, 0);
	g_autoptr(GError) error = NULL;

	store(c, "F", 1, 1, "v1");
	store(c, "F", 2, 1, "v2");
	store(c, "F", 3, 1, "v3");
	store(c, "G", 1, 1, "g1");
	CU_ASSERT_TRUE(cache_meta_save(c, "F", meta, &error));
	cache_folder_drop_other_validity(c, "F", 2);
	check_body(c, "F", 1, 1, NULL);
	check_body(c, "F", 2, 1, "v2");
	check_body(c, "F", 3, 1, NULL);
	check_body(c, "G", 1, 1, "g1");
	g_autoptr(CacheFolderMeta) same = cache_meta_load(c, "F", &error);
	CU_ASSERT_PTR_NOT_NULL(same); /* saved under the current UIDVALIDITY: kept */
	cache_folder_drop_other_validity(c, "F", 4);
	check_body(c, "F", 2, 1, NULL);
	CU_ASSERT_PTR_NULL(cache_meta_load(c, "F", &error));
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_EQUAL(cache_store_size(c), 2 + TRAILER);
	cache_store_close(c);
}

static void test_lru_eviction(void)
{
	FRESH();
	char body[101];
	const guint64 each = 100 + TRAILER;
	CacheStore *c = open_store(3 * each);
	g_autoptr(GError) error = NULL;

	memset(body, 'x', 100);
	body[100] = '\0';
	for (guint32 uid = 1; uid <= 3; uid++)
		store(c, "INBOX", 1, uid, body);
	CU_ASSERT_EQUAL(cache_store_size(c), 3 * each);
	check_body(c, "INBOX", 1, 1, body); /* 1 is now the most recent: 2 is the oldest */
	store(c, "INBOX", 1, 4, body);
	CU_ASSERT(cache_store_size(c) <= 3 * each);
	check_body(c, "INBOX", 1, 2, NULL);
	check_body(c, "INBOX", 1, 1, body);
	check_body(c, "INBOX", 1, 3, body);
	check_body(c, "INBOX", 1, 4, body);
	/* Too large for the whole cache: refused, nothing else evicted. */
	g_autofree char *huge = g_strnfill(3 * each, 'y');
	CU_ASSERT_FALSE(cache_body_store_bytes(c, "INBOX", 1, 5, huge, strlen(huge), &error));
	CU_ASSERT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE));
	CU_ASSERT_EQUAL(cache_store_size(c), 3 * each);
	cache_store_close(c);

	/* Across a restart, recency comes from the files' mtimes: make 3 the oldest. */
	g_autofree char *p3 = NULL;
	c = open_store(0);
	p3 = body_file(c, 3);
	cache_store_close(c);
	struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, p3, old, 0), 0);
	c = open_store(2 * each); /* opening evicts down to the new limit */
	CU_ASSERT_EQUAL(cache_store_size(c), 2 * each);
	check_body(c, "INBOX", 1, 3, NULL);
	cache_store_close(c);
}

static void check_mode(const char *path, mode_t want)
{
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(lstat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		fprintf(stderr, "\n%s: mode %o, want %o\n", path, st.st_mode & 07777, want);
	CU_ASSERT_EQUAL(st.st_mode & 07777, want);
}

static int mode_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	check_mode(path, flag == FTW_D ? 0700 : 0600);
	return 0;
}

static void test_permissions(void)
{
	FRESH();
	mode_t old = umask(0); /* the cache must not rely on the umask */
	CacheStore *c = open_store(0);
	g_autoptr(CacheFolderMeta) meta = cache_folder_meta_new(1, 2, 0);

	store(c, "INBOX", 1, 1, "private");
	CU_ASSERT_TRUE(cache_meta_save(c, "INBOX", meta, NULL));
	check_mode(cache_dir, 0700);
	CU_ASSERT(count_files(cache_store_path(c), NULL) >= 4); /* account, name, meta, body */
	nftw(cache_store_path(c), mode_cb, 16, FTW_PHYS);
	/* A loosened directory (made by hand, old version) is tightened when used again. */
	g_autofree char *root = g_strdup(cache_store_path(c));
	cache_store_close(c);
	CU_ASSERT_EQUAL(chmod(root, 0755), 0);
	c = open_store(0);
	check_mode(root, 0700);
	cache_store_close(c);
	umask(old);
}

static void test_hostile_names_stay_inside(void)
{
	FRESH();
	g_autofree char *longname = g_strnfill(5000, 'L');
	const char *names[] = {"../../etc", "..",	 ".",	   "",
			       "a/b",	    "/abs/path", ".tmp-x", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
			       "-rf",	    longname};
	CacheStore *c = open_store(0);

	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		store(c, names[i], 1, 1, names[i]);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		check_body(c, names[i], 1, 1, names[i]);
	/* Nothing but the cache directory appeared next to it... */
	g_autoptr(GPtrArray) outside = find_files(tmp_root, NULL);
	for (guint i = 0; i < outside->len; i++)
		CU_ASSERT_TRUE(g_str_has_prefix(outside->pdata[i], cache_store_path(c)));
	/* ...and every real name is recorded exactly once, inside. */
	g_autoptr(GPtrArray) name_files = find_files(cache_store_path(c), "name");
	CU_ASSERT_EQUAL(name_files->len, G_N_ELEMENTS(names));
	for (guint i = 0; i < name_files->len; i++) {
		g_autofree char *content = NULL;
		gboolean known = FALSE;

		CU_ASSERT_TRUE(g_file_get_contents(name_files->pdata[i], &content, NULL, NULL));
		for (guint j = 0; j < G_N_ELEMENTS(names); j++)
			known = known || g_strcmp0(content, names[j]) == 0;
		CU_ASSERT_TRUE(known);
	}
	cache_store_close(c);
}

/* A store on a filesystem too small for a big body. */
static void check_full_disk(const char *dir)
{
	g_autoptr(GError) error = NULL;
	CacheStore *c = cache_store_open(dir, "bob@host:143", 0, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	store(c, "INBOX", 1, 1, "small body survives");
	gsize len = 256 * 1024;
	g_autofree char *big = g_strnfill(len, 'z');

	CU_ASSERT_FALSE(cache_body_store_bytes(c, "INBOX", 1, 2, big, len, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	if (error)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "cannot write"));
	CU_ASSERT_EQUAL(count_tmp_files(dir), 0);
	check_body(c, "INBOX", 1, 2, NULL);
	check_body(c, "INBOX", 1, 1, "small body survives");
	/* Replacing an existing body with one that does not fit keeps the old one. */
	g_clear_error(&error);
	CU_ASSERT_FALSE(cache_body_store_bytes(c, "INBOX", 1, 1, big, len, &error));
	check_body(c, "INBOX", 1, 1, "small body survives");
	cache_store_close(c);
}

static void test_full_disk(void)
{
	FRESH();
	g_autofree char *mnt = g_build_filename(tmp_root, "tiny", NULL);

	CU_ASSERT_EQUAL_FATAL(g_mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0) {
		g_autofree char *dir = g_build_filename(mnt, "cache", NULL);

		check_full_disk(dir);
		CU_ASSERT_EQUAL(umount2(mnt, MNT_DETACH), 0);
		return;
	}
	/* No mount rights: a file size limit makes writes fail the same way (EFBIG). */
	fprintf(stderr, "\n(tmpfs mount: %s; using RLIMIT_FSIZE) ", g_strerror(errno));
	struct rlimit saved, small;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	check_full_disk(mnt);
	setrlimit(RLIMIT_FSIZE, &saved);
}

static void test_unwritable_dir(void)
{
	FRESH();
	g_autofree char *file = g_build_filename(tmp_root, "regular", NULL);
	g_autofree char *below = g_build_filename(file, "cache", NULL);
	g_autoptr(GError) error = NULL;

	CU_ASSERT_TRUE(g_file_set_contents(file, "x", 1, NULL));
	CU_ASSERT_PTR_NULL(cache_store_open(below, "a@b:1", 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);

	/* The folders directory turns into a file after open: stores fail cleanly. */
	CacheStore *c = open_store(0);
	g_autofree char *folders = g_build_filename(cache_store_path(c), "f", NULL);

	g_clear_error(&error);
	CU_ASSERT_EQUAL(g_rmdir(folders), 0);
	CU_ASSERT_TRUE(g_file_set_contents(folders, "x", 1, NULL));
	CU_ASSERT_FALSE(cache_body_store_bytes(c, "INBOX", 1, 1, "abc", 3, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	check_body(c, "INBOX", 1, 1, NULL);
	cache_store_close(c);
}

/* Several threads store and open overlapping keys under a small limit. CUnit is not
 * thread-safe: threads count problems, the main thread asserts. */
static CacheStore *shared;
static gint bad_bodies;

static gpointer hammer(gpointer data)
{
	guint seed = GPOINTER_TO_UINT(data);
	char body[64], got[64];

	for (guint i = 0; i < 300; i++) {
		guint32 uid = (seed * 7 + i) % 40 + 1;
		guint64 size;
		int fd;

		g_snprintf(body, sizeof(body), "body of uid %u", uid);
		if (i % 3 == 0)
			cache_body_store_bytes(shared, "T", 1, uid, body, strlen(body), NULL);
		fd = cache_body_open(shared, "T", 1, uid, &size);
		if (fd >= 0) {
			/* A hit is always the right body, never a torn or foreign one. */
			memset(got, 0, sizeof(got));
			if (size != strlen(body) || pread(fd, got, size, 0) != (ssize_t)size ||
			    strcmp(got, body) != 0)
				g_atomic_int_inc(&bad_bodies);
			close(fd);
		}
		if (i % 50 == 0)
			cache_body_remove(shared, "T", 1, uid);
	}
	return NULL;
}

static void test_threads(void)
{
	FRESH();
	const guint64 limit = 10 * (16 + TRAILER);
	GThread *threads[6];

	shared = open_store(limit);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("hammer", hammer, GUINT_TO_POINTER(i));
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	CU_ASSERT_EQUAL(g_atomic_int_get(&bad_bodies), 0);
	CU_ASSERT(cache_store_size(shared) <= limit);
	CU_ASSERT_EQUAL(count_tmp_files(cache_store_path(shared)), 0);
	cache_store_close(shared);
	/* What a fresh scan finds matches the bound too. */
	shared = open_store(0);
	CU_ASSERT(cache_store_size(shared) <= limit);
	cache_store_close(shared);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("cache", setup, teardown);

	TEST_ADD(s, test_roundtrip);
	TEST_ADD(s, test_store_fd);
	TEST_ADD(s, test_reopen);
	TEST_ADD(s, test_key_isolation);
	TEST_ADD(s, test_truncated_is_miss);
	TEST_ADD(s, test_flipped_byte_is_miss);
	TEST_ADD(s, test_remembered_verification);
	TEST_ADD(s, test_cut_to_half_is_miss);
	TEST_ADD(s, test_swapped_is_miss);
	TEST_ADD(s, test_copied_is_miss);
	TEST_ADD(s, test_old_format_is_miss);
	TEST_ADD(s, test_peek_needs_verification);
	TEST_ADD(s, test_has);
	TEST_ADD(s, test_prefetch);
	TEST_ADD(s, test_peek_and_load);
	TEST_ADD(s, test_folder_drop);
	TEST_ADD(s, test_drop_other_validity);
	TEST_ADD(s, test_lru_eviction);
	TEST_ADD(s, test_permissions);
	TEST_ADD(s, test_hostile_names_stay_inside);
	TEST_ADD(s, test_full_disk);
	TEST_ADD(s, test_unwritable_dir);
	TEST_ADD(s, test_threads);
	return test_run_all();
}

/* Unit tests for mail/listing.c: tables from listings in any order, with repeats, bad
 * dates and UID 0, and what the log says about them. */
#include "mail/listing.h"
#include "tests/test-util.h"

#include <string.h>

/* What g_printerr printed since the last take_log(). */
static GString *printed;

static void capture(const gchar *s)
{
	g_string_append(printed, s);
}

static char *take_log(void)
{
	char *s = g_strdup(printed->str);

	g_string_truncate(printed, 0);
	return s;
}

static guint count_lines(const char *s)
{
	guint n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *one_seen[] = {"\\Seen", "\\Recent", NULL};

/* A FETCH line of the usual listing. */
static ImapFetchData line(guint32 uid, guint64 size, gint64 date)
{
	ImapFetchData fd = {
	    .fields = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_FLAGS,
	    .uid = uid,
	    .size = size,
	    .internaldate = date,
	    .flags = one_seen,
	};
	return fd;
}

static MailListing *empty_listing(guint32 uidvalidity, MailListingLog *log)
{
	return mail_listing_new("INBOX", cache_folder_meta_new(uidvalidity, 1, 0), log);
}

static void check_sorted(const CacheFolderMeta *m)
{
	for (guint i = 1; i < m->msgs->len; i++)
		CU_ASSERT(g_array_index(m->msgs, CacheMsgMeta, i - 1).uid <
			  g_array_index(m->msgs, CacheMsgMeta, i).uid);
}

static double list_n(guint n, gboolean desc)
{
	MailListing *l = empty_listing(1, NULL);
	gint64 t0 = g_get_monotonic_time();

	for (guint i = 0; i < n; i++) {
		ImapFetchData fd = line(desc ? n - i : i + 1, 100 + i, 1600000000);

		mail_listing_add(&fd, l);
	}
	g_autoptr(CacheFolderMeta) m = mail_listing_finish(l);
	double s = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

	CU_ASSERT_EQUAL(m->msgs->len, n);
	check_sorted(m);
	CU_ASSERT_STRING_EQUAL(cache_folder_meta_find(m, 1)->flags, "\\Seen");
	return s;
}

static void test_orders(void)
{
	double asc = list_n(300000, FALSE), desc = list_n(300000, TRUE);

	printf("\n    300,000 lines: ascending %.3f s, descending %.3f s ", asc, desc);
	CU_ASSERT(desc <= 3 * asc + 0.3);
	/* A shuffled order, with a known table underneath that lines replace. */
	CacheFolderMeta *base = cache_folder_meta_new(1, 1, 0);
	for (guint32 u = 1; u <= 1000; u += 2)
		cache_folder_meta_add(base, u, 1, 1, "", 0);
	MailListing *l = mail_listing_new("INBOX", base, NULL);
	GRand *r = g_rand_new_with_seed(7);
	for (guint i = 0; i < 20000; i++) {
		ImapFetchData fd = line((guint32)g_rand_int_range(r, 1, 1001), i, 5);

		mail_listing_add(&fd, l);
	}
	g_rand_free(r);
	g_autoptr(CacheFolderMeta) m = mail_listing_finish(l);
	CU_ASSERT_EQUAL(m->msgs->len, 1000); /* every odd one known, every even one drawn */
	check_sorted(m);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 999)->internaldate, 5);
}

static void test_repeats_cost_nothing(void)
{
	MailListing *l = empty_listing(1, NULL);
	guint most = 0;

	for (guint i = 0; i < 100000; i++) {
		ImapFetchData fd = line(1, i, 1600000000);

		mail_listing_add(&fd, l);
		most = MAX(most, mail_listing_held(l));
	}
	CU_ASSERT(most <= MAIL_LISTING_BATCH + 1);
	g_autoptr(CacheFolderMeta) m = mail_listing_finish(l);
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 1);
	CU_ASSERT_EQUAL(g_array_index(m->msgs, CacheMsgMeta, 0).size, 99999); /* the last */
	/* Flag updates in passing (no size, no date) are not messages. */
	MailListing *f = empty_listing(1, NULL);
	ImapFetchData upd = line(5, 0, 0);

	upd.fields = IMAP_FETCH_UID | IMAP_FETCH_FLAGS;
	mail_listing_add(&upd, f);
	g_autoptr(CacheFolderMeta) none = mail_listing_finish(f);
	CU_ASSERT_EQUAL(none->msgs->len, 0);
	g_autofree char *log = take_log();
	CU_ASSERT_STRING_EQUAL(log, "");
}

/* A listing of UIDs 1..3 where 2 has a bad date and a line has UID 0. */
static CacheFolderMeta *bad_listing(MailListingLog *log, guint32 uidvalidity)
{
	MailListing *l = empty_listing(uidvalidity, log);
	ImapFetchData a = line(1, 10, 1600000000), b = line(2, 20, 0), c = line(3, 30, 1600000300);
	ImapFetchData z = line(0, 40, 1600000000);

	b.fields &= ~(guint)IMAP_FETCH_INTERNALDATE;
	b.unusable_fields = IMAP_FETCH_INTERNALDATE;
	b.unusable = (char *)"INTERNALDATE \"32-Foo-2020 99:00:00 +0000\"";
	z.fields &= ~(guint)IMAP_FETCH_UID;
	z.unusable_fields = IMAP_FETCH_UID;
	z.unusable = (char *)"UID 0";
	z.seq = 4;
	mail_listing_add(&a, l);
	mail_listing_add(&z, l);
	mail_listing_add(&b, l);
	mail_listing_add(&c, l);
	return mail_listing_finish(l);
}

static void test_bad_items(void)
{
	MailListingLog *log = mail_listing_log_new();
	g_autoptr(CacheFolderMeta) m = bad_listing(log, 1);
	g_autofree char *said = take_log();

	/* The message with the bad date is there, at the epoch; UID 0 is not. */
	CU_ASSERT_EQUAL_FATAL(m->msgs->len, 3);
	CU_ASSERT_PTR_NULL(cache_folder_meta_find(m, 0));
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 2)->internaldate, 0);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 2)->size, 20);
	CU_ASSERT_EQUAL(cache_folder_meta_find(m, 3)->internaldate, 1600000300);
	/* One line each, with the folder, the UID or file and the server's words. */
	CU_ASSERT_EQUAL(count_lines(said), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(said, "imapfs: INBOX: UID 2 (0000000002.eml): INTERNALDATE "
					    "\"32-Foo-2020 99:00:00 +0000\" is not a date"));
	CU_ASSERT_PTR_NOT_NULL(strstr(said, "imapfs: INBOX: ignored a FETCH line (message 4) "
					    "without a usable UID: UID 0\n"));

	/* The next listing (the watcher's, a revalidation) says nothing new. */
	g_autoptr(CacheFolderMeta) again = bad_listing(log, 1);
	g_autofree char *quiet = take_log();
	CU_ASSERT_STRING_EQUAL(quiet, "");
	CU_ASSERT_EQUAL(again->msgs->len, 3);
	/* Another UIDVALIDITY: other messages, said again. */
	g_autoptr(CacheFolderMeta) other = bad_listing(log, 2);
	g_autofree char *anew = take_log();
	CU_ASSERT_EQUAL(count_lines(anew), 2);
	mail_listing_log_free(log);
	mail_listing_log_free(NULL);
}

static void test_report_bound(void)
{
	MailListingLog *log = mail_listing_log_new();
	MailListing *l = empty_listing(1, log);

	for (guint32 u = 1; u <= 1000; u++) {
		ImapFetchData b = line(u, 1, 0);

		b.fields &= ~(guint)IMAP_FETCH_INTERNALDATE;
		b.unusable_fields = IMAP_FETCH_INTERNALDATE;
		b.unusable = (char *)"INTERNALDATE NIL";
		mail_listing_add(&b, l);
	}
	g_autoptr(CacheFolderMeta) m = mail_listing_finish(l);
	g_autofree char *said = take_log();
	CU_ASSERT_EQUAL(m->msgs->len, 1000);
	CU_ASSERT_EQUAL(count_lines(said), MAIL_LISTING_REPORT_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(said, "not reported one by one"));
	mail_listing_log_free(log);
}

static void test_flags_join(void)
{
	char *f[] = {"\\Recent", "\\Seen", "$Work", NULL};
	g_autofree char *a = mail_flags_join(f);
	g_autofree char *b = mail_flags_join(NULL);

	CU_ASSERT_STRING_EQUAL(a, "\\Seen $Work");
	CU_ASSERT_STRING_EQUAL(b, "");
}

int main(void)
{
	printed = g_string_new(NULL);
	g_set_printerr_handler(capture);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("mail_listing", NULL, NULL);

	TEST_ADD(s, test_orders);
	TEST_ADD(s, test_repeats_cost_nothing);
	TEST_ADD(s, test_bad_items);
	TEST_ADD(s, test_report_bound);
	TEST_ADD(s, test_flags_join);
	int rc = test_run_all();
	g_string_free(printed, TRUE);
	return rc;
}

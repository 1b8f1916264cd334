/* Tests for imap/mutf7.c: RFC 3501 vectors, rejection of every kind of bad input,
 * and a round-trip property over random UTF-8. */
#include "imap/mutf7.h"
#include "imap/mailbox-name.h"
#include "imap/error.h"
#include "tests/test-util.h"

#include <string.h>

static void check_pair(const char *utf8, const char *mutf7)
{
	GError *error = NULL;
	g_autofree char *enc = imap_mutf7_encode(utf8, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(enc);
	CU_ASSERT_STRING_EQUAL(enc, mutf7);
	g_autofree char *dec = imap_mutf7_decode(mutf7, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
	CU_ASSERT_STRING_EQUAL(dec, utf8);
}

static void test_vectors(void)
{
	check_pair("", "");
	check_pair("INBOX", "INBOX");
	check_pair("Entwürfe", "Entw&APw-rfe");
	check_pair("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	check_pair("Résumé", "R&AOk-sum&AOk-");
	check_pair("&", "&-");
	check_pair("A&B", "A&-B");
	check_pair("&&", "&-&-");
	check_pair("ü&", "&APw-&-");
	check_pair("\U0001F600", "&2D3eAA-"); /* emoji: surrogate pair D83D DE00 */
	check_pair("a\U0001F4E7b", "a&2D3c5w-b");
	check_pair("tab\there", "tab&AAk-here"); /* controls are encoded too */
	check_pair("ÄÖÜ", "&AMQA1gDc-");
}

static void check_decode_fails(const char *mutf7, const char *why)
{
	GError *error = NULL;
	char *dec = imap_mutf7_decode(mutf7, &error);
	if (dec)
		fprintf(stderr, "decoding \"%s\" (%s) wrongly gave \"%s\"\n", mutf7, why, dec);
	CU_ASSERT_PTR_NULL(dec);
	g_free(dec);
	CU_ASSERT_TRUE(g_error_matches(error, IMAP_ERROR, IMAP_ERROR_INVALID));
	if (error) {
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "invalid modified UTF-7"));
		g_error_free(error);
	}
}

static void test_decode_rejects(void)
{
	check_decode_fails("Entw&APw", "unterminated");
	check_decode_fails("&", "lone ampersand");
	check_decode_fails("&APw-&", "trailing lone ampersand");
	check_decode_fails("&AP!-", "bad base64 char");
	check_decode_fails("&AP/-", "slash is not in the alphabet");
	check_decode_fails("&AP=-", "padding");
	check_decode_fails("&APx-", "non-zero leftover bits");
	check_decode_fails("&APwA-", "superfluous base64 character");
	check_decode_fails("&A-", "too short for one unit");
	check_decode_fails("&AGE-", "encoded 'a' (non-canonical)");
	check_decode_fails("&ACY-", "encoded '&' (non-canonical)");
	check_decode_fails("&AG&-", "&- inside base64");
	check_decode_fails("&2D0-", "lone high surrogate");
	check_decode_fails("&3AA-", "lone low surrogate");
	check_decode_fails("&2D3YPQ-", "high surrogate followed by high surrogate");
	check_decode_fails("&2D0-&3AA-", "surrogate pair split over runs");
	check_decode_fails("Entw\xc3\xbcrfe", "8-bit bytes");
	check_decode_fails("a\tb", "raw control char");
	check_decode_fails("&AOQ-&AOQ-", "adjacent base64 runs");
	check_decode_fails("&AAA-", "encoded NUL");
}

static void test_decode_accepts(void)
{
	/* A run followed by a literal "&" is canonical ("ä&"). */
	g_autofree char *dec = imap_mutf7_decode("&AOQ-&-", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
	CU_ASSERT_STRING_EQUAL(dec, "ä&");
	g_autofree char *dec2 = imap_mutf7_decode("&AOQ-x&AOQ-", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dec2);
	CU_ASSERT_STRING_EQUAL(dec2, "äxä");
}

static void test_encode_rejects(void)
{
	const char *bad[] = {"Entw\xfcrfe", "\xc3", "\xed\xa0\x80", "a\xc0\xafz", "\xf4\x90\x80\x80"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		char *enc = imap_mutf7_encode(bad[i], &error);
		CU_ASSERT_PTR_NULL(enc);
		g_free(enc);
		CU_ASSERT_TRUE(g_error_matches(error, IMAP_ERROR, IMAP_ERROR_INVALID));
		g_clear_error(&error);
	}
}

static gunichar random_char(GRand *rand)
{
	switch (g_rand_int_range(rand, 0, 5)) {
	case 0:
		return (gunichar)g_rand_int_range(rand, 0x20, 0x7f); /* printable incl. & */
	case 1:
		return '&';
	case 2:
		return (gunichar)g_rand_int_range(rand, 1, 0x20);
	case 3:
		return (gunichar)g_rand_int_range(rand, 0x10000, 0x110000);
	default: {
		gunichar c;
		do
			c = (gunichar)g_rand_int_range(rand, 0x80, 0x10000);
		while (c >= 0xd800 && c <= 0xdfff);
		return c;
	}
	}
}

static void test_roundtrip_random(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20240601);
	int failures = 0;
	for (int n = 0; n < 20000; n++) {
		GString *s = g_string_new(NULL);
		int len = g_rand_int_range(rand, 0, 24);
		for (int i = 0; i < len; i++)
			g_string_append_unichar(s, random_char(rand));
		g_autofree char *utf8 = g_string_free(s, FALSE);
		g_autofree char *enc = imap_mutf7_encode(utf8, NULL);
		g_autofree char *dec = enc ? imap_mutf7_decode(enc, NULL) : NULL;
		gboolean ok = enc && dec && strcmp(dec, utf8) == 0;
		/* the wire form is always 7-bit printable */
		for (const char *p = enc; ok && *p; p++)
			ok = *p >= 0x20 && *p <= 0x7e;
		if (!ok && failures++ < 5)
			fprintf(stderr, "round trip failed: %s -> %s\n", utf8, enc ? enc : "(null)");
	}
	CU_ASSERT_EQUAL(failures, 0);
}

/* ---- mailbox names: wire bytes <-> session names (imap/mailbox-name.c) ---- */

#define RAW IMAP_MAILBOX_RAW_MARK

static void check_name(const char *wire, char delim, gboolean utf8, const char *want)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *name = imap_mailbox_name_from_wire(wire, delim, utf8);
	g_autofree char *back = imap_mailbox_name_to_wire(name, delim, utf8, &error);

	if (strcmp(name, want) != 0)
		fprintf(stderr, "wire \"%s\" gave \"%s\", wanted \"%s\"\n", wire, name, want);
	CU_ASSERT_STRING_EQUAL(name, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_STRING_EQUAL(back, wire);
	/* Shown names are printable: no control byte reaches a listing or a log line. */
	CU_ASSERT_TRUE(g_utf8_validate(name, -1, NULL));
	for (const char *p = name; *p; p++)
		CU_ASSERT_TRUE((guchar)*p >= 0x20 && *p != 0x7f);
}

static void test_names_ordinary_unchanged(void)
{
	check_name("INBOX", '.', FALSE, "INBOX");
	check_name("Archive.2024", '.', FALSE, "Archive.2024");
	check_name("Archive/2024", '/', FALSE, "Archive/2024");
	check_name("R&AOk-sum&AOk-", '.', FALSE, "Résumé");
	check_name("AT&-T", '.', FALSE, "AT&T");
	check_name("100%", '/', FALSE, "100%");
	check_name("&ZeVnLIqe-", '/', FALSE, "日本語");
	check_name("Résumé", '/', TRUE, "Résumé");
	check_name("&Jjo", '/', TRUE, "&Jjo"); /* '&' is only a character under UTF8=ACCEPT */
	check_name("", '/', FALSE, "");
}

static void test_names_bad_kept_raw(void)
{
	check_name("&", '.', FALSE, RAW "&");
	check_name("&-", '.', FALSE, "&");
	check_name("&Jjo", '.', FALSE, RAW "&Jjo");
	check_name("&-Jjo", '.', FALSE, "&Jjo");
	check_name("&AGE-", '.', FALSE, RAW "&AGE-"); /* 'a' encoded: not canonical */
	check_name("&AOQ-&AOQ-", '.', FALSE, RAW "&AOQ-&AOQ-");
	check_name("a\tb", '.', FALSE, RAW "a%09b");
	check_name("a&AAk-b", '.', FALSE, RAW "a&AAk-b"); /* canonical, but a tab */
	check_name("cr\rhere", '/', FALSE, RAW "cr%0Dhere");
	check_name("\x1b[31mred", '/', FALSE, RAW "%1B[31mred");
	check_name("del\x7f", '/', FALSE, RAW "del%7F");
	check_name("R\xc3\xa9sum\xc3\xa9", '/', FALSE, RAW "R%C3%A9sum%C3%A9");
	check_name("\xff\xfe", '/', FALSE, RAW "%FF%FE");
	check_name("\xff\xfe", '/', TRUE, RAW "%FF%FE");
	check_name("a\tb", '/', TRUE, RAW "a%09b");
	check_name("x&//0-", '.', FALSE, RAW "x&%2F%2F0-"); /* U+FFFD itself is not shown */
	check_name("x\xef\xbf\xbd", '/', TRUE, RAW "x%EF%BF%BD");
	check_name("sp ace&", '/', FALSE, RAW "sp%20ace&");
	check_name("100%&", '/', FALSE, RAW "100%25&");
	/* Each level on its own: a good parent keeps its name above a bad child. */
	check_name("Work.&Jjo.R&AOk-sum&AOk-", '.', FALSE, "Work." RAW "&Jjo.Résumé");
	check_name("a.b&/c", '/', FALSE, RAW "a%2Eb&/c");
	/* Dots and leading delimiters are names, not paths, at this layer. */
	check_name("..", '/', FALSE, "..");
	check_name("../../etc", '/', FALSE, "../../etc");
	check_name(".lead", '.', FALSE, ".lead");
	check_name("/lead", '/', FALSE, "/lead");
}

static void check_refused(const char *name, char delim, gboolean utf8)
{
	g_autoptr(GError) error = NULL;
	char *wire = imap_mailbox_name_to_wire(name, delim, utf8, &error);

	if (wire)
		fprintf(stderr, "\"%s\" wrongly went on the wire as \"%s\"\n", name, wire);
	CU_ASSERT_PTR_NULL(wire);
	CU_ASSERT_TRUE(g_error_matches(error, IMAP_ERROR, IMAP_ERROR_INVALID));
	g_free(wire);
}

/* Only names from_wire gives are sent: a typed U+FFFD cannot pick a raw name. */
static void test_names_to_wire_refuses(void)
{
	check_refused(RAW "x", '/', FALSE);	/* "x" is shown as "x", never raw */
	check_refused(RAW "&-", '/', FALSE);	/* "&-" is shown as "&" */
	check_refused("x" RAW "&", '/', FALSE); /* the mark only starts a level */
	check_refused(RAW "%2x", '/', FALSE);	/* bad escape */
	check_refused(RAW "%26", '/', FALSE);	/* '&' is written as it is */
	check_refused(RAW "%00", '/', FALSE);
	check_refused("a\tb", '/', FALSE);
	check_refused("a\tb", '/', TRUE);
	check_refused("\xff", '/', FALSE);
	check_refused("ok/" RAW "x", '/', FALSE);
}

/* Any bytes at all: the name goes back to those bytes, so two never share one. */
static void test_names_random_roundtrip(void)
{
	static const char pick[] = "&-+,AZaz09./%\t\r\x1b\x7f\x80\xc3\xa9\xff \"\\";
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261203);
	int failures = 0;

	for (int n = 0; n < 20000; n++) {
		char wire[16];
		int len = g_rand_int_range(rand, 0, (int)sizeof(wire));
		gboolean utf8 = g_rand_boolean(rand);
		char delim = g_rand_boolean(rand) ? '/' : '.';

		for (int i = 0; i < len; i++)
			wire[i] = pick[g_rand_int_range(rand, 0, (int)sizeof(pick) - 1)];
		wire[len] = '\0';
		g_autofree char *name = imap_mailbox_name_from_wire(wire, delim, utf8);
		g_autofree char *back = imap_mailbox_name_to_wire(name, delim, utf8, NULL);
		gboolean ok = back && strcmp(back, wire) == 0 && g_utf8_validate(name, -1, NULL);

		for (const char *p = name; ok && *p; p++)
			ok = (guchar)*p >= 0x20 && *p != 0x7f;
		if (!ok && failures++ < 5)
			fprintf(stderr, "name round trip failed: %s -> %s -> %s\n", wire, name,
				back ? back : "(null)");
	}
	CU_ASSERT_EQUAL(failures, 0);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("mutf7", NULL, NULL);
	TEST_ADD(s, test_vectors);
	TEST_ADD(s, test_decode_rejects);
	TEST_ADD(s, test_decode_accepts);
	TEST_ADD(s, test_encode_rejects);
	TEST_ADD(s, test_roundtrip_random);
	TEST_ADD(s, test_names_ordinary_unchanged);
	TEST_ADD(s, test_names_bad_kept_raw);
	TEST_ADD(s, test_names_to_wire_refuses);
	TEST_ADD(s, test_names_random_roundtrip);
	return test_run_all();
}

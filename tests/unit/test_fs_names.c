/* Unit tests for fs/names.c: reversible folder-name escaping and message names. */
#include <string.h>

#include "fs/names.h"
#include "tests/test-util.h"

static void check_roundtrip(const char *comp)
{
	g_autofree char *esc = fs_name_escape(comp);
	g_autofree char *back = fs_name_unescape(esc);

	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_STRING_EQUAL(back, comp);
	CU_ASSERT_PTR_NULL(strchr(esc, '/'));
	CU_ASSERT_NOT_EQUAL(esc[0], '.');
	CU_ASSERT(strlen(esc) <= FS_NAME_MAX);
}

static void test_plain_names_unchanged(void)
{
	g_autofree char *a = fs_name_escape("INBOX");
	g_autofree char *b = fs_name_escape("Résumé");
	g_autofree char *c = fs_name_escape("a.b c");

	CU_ASSERT_STRING_EQUAL(a, "INBOX");
	CU_ASSERT_STRING_EQUAL(b, "Résumé");
	CU_ASSERT_STRING_EQUAL(c, "a.b c");
}

static void test_special_names_escaped(void)
{
	g_autofree char *dot = fs_name_escape(".");
	g_autofree char *dotdot = fs_name_escape("..");
	g_autofree char *slash = fs_name_escape("a/b");
	g_autofree char *pct = fs_name_escape("100%");
	g_autofree char *hidden = fs_name_escape(".hidden");
	g_autofree char *empty = fs_name_escape("");
	g_autofree char *msg = fs_name_escape("0000000001.eml");

	CU_ASSERT_STRING_EQUAL(dot, "%2E");
	CU_ASSERT_STRING_EQUAL(dotdot, "%2E.");
	CU_ASSERT_STRING_EQUAL(slash, "a%2Fb");
	CU_ASSERT_STRING_EQUAL(pct, "100%25");
	CU_ASSERT_STRING_EQUAL(hidden, "%2Ehidden");
	CU_ASSERT_STRING_EQUAL(empty, "%");
	CU_ASSERT_STRING_EQUAL(msg, "%30000000001.eml");
}

static void test_roundtrips(void)
{
	const char *names[] = {"INBOX",
			       ".",
			       "..",
			       "a/b/c",
			       "%",
			       "%25",
			       "",
			       ".x.",
			       "a\tb",
			       "Résumé",
			       "0000000001.eml",
			       "00000000001.eml",
			       "x%2Fy"};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		check_roundtrip(names[i]);
}

static void test_unescape_rejects_noncanonical(void)
{
	const char *bad[] = {".", "..", ".x", "%2", "%zz", "%00", "%2e", "%41", "a%", ""};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *r = fs_name_unescape(bad[i]);

		CU_ASSERT_PTR_NULL(r);
		g_free(r);
	}
}

static void test_long_names_hashed(void)
{
	g_autofree char *a = g_strnfill(300, 'a');
	g_autofree char *b = g_strnfill(300, 'a');
	g_autofree char *ea = NULL, *eb = NULL, *pc = NULL;

	b[299] = 'b';
	ea = fs_name_escape(a);
	eb = fs_name_escape(b);
	CU_ASSERT(strlen(ea) <= FS_NAME_MAX);
	CU_ASSERT(fs_name_is_hashed(ea));
	CU_ASSERT_STRING_NOT_EQUAL(ea, eb);
	CU_ASSERT_PTR_NULL(fs_name_unescape(ea));

	/* Many escapes: the cut must not split a %XX or a UTF-8 sequence. */
	g_autofree char *pcts = g_strnfill(200, '%');
	pc = fs_name_escape(pcts);
	CU_ASSERT(strlen(pc) <= FS_NAME_MAX);
	char *tilde = strstr(pc, "%~");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tilde);
	CU_ASSERT_EQUAL((tilde - pc) % 3, 0);

	GString *u = g_string_new(NULL);
	for (int i = 0; i < 200; i++)
		g_string_append(u, "é");
	g_autofree char *eu = fs_name_escape(u->str);
	CU_ASSERT(g_utf8_validate(eu, -1, NULL));
	CU_ASSERT(strlen(eu) <= FS_NAME_MAX);
	g_string_free(u, TRUE);
}

static void test_msg_names(void)
{
	char buf[FS_MSG_NAME_LEN + 1];
	guint32 uid = 0;

	fs_msg_name(1234, buf);
	CU_ASSERT_STRING_EQUAL(buf, "0000001234.eml");
	CU_ASSERT_TRUE(fs_msg_name_parse(buf, &uid));
	CU_ASSERT_EQUAL(uid, 1234);
	fs_msg_name(G_MAXUINT32, buf);
	CU_ASSERT_STRING_EQUAL(buf, "4294967295.eml");
	CU_ASSERT_TRUE(fs_msg_name_parse(buf, &uid));
	CU_ASSERT_EQUAL(uid, G_MAXUINT32);

	const char *bad[] = {
	    "1234.eml",	      "0000001234.EML", "0000001234.eml~", "4294967296.eml",
	    "0000000000.eml", "+000001234.eml", "000000123a.eml",  "",
	    " 000001234.eml", "00000001234.eml"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		uid = 77;
		CU_ASSERT_FALSE(fs_msg_name_parse(bad[i], &uid));
		CU_ASSERT_EQUAL(uid, 77);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_names", NULL, NULL);
	TEST_ADD(s, test_plain_names_unchanged);
	TEST_ADD(s, test_special_names_escaped);
	TEST_ADD(s, test_roundtrips);
	TEST_ADD(s, test_unescape_rejects_noncanonical);
	TEST_ADD(s, test_long_names_hashed);
	TEST_ADD(s, test_msg_names);
	return test_run_all();
}

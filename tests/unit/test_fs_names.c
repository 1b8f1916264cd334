/* Unit tests for fs/names.c: reversible folder-name escaping and message names. */
#include <string.h>

#include "fs/names.h"
#include "imap/mailbox-name.h"
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

/* A directory entry the kernel and a shell can take as it is. */
static void check_safe(const char *entry)
{
	CU_ASSERT_PTR_NULL(strchr(entry, '/'));
	CU_ASSERT_STRING_NOT_EQUAL(entry, ".");
	CU_ASSERT_STRING_NOT_EQUAL(entry, "..");
	CU_ASSERT_NOT_EQUAL(entry[0], '\0');
	CU_ASSERT(strlen(entry) <= FS_NAME_MAX);
	for (const char *p = entry; *p; p++)
		CU_ASSERT_TRUE((guchar)*p >= 0x20 && *p != 0x7f);
}

/* Names a hostile or broken server may list as one level: each gets its own entry. */
static const char *const odd_levels[] = {
    "..",      ".",	"a\tb",	  "cr\rhere", "\x1b[31mred",	      "&-",
    "&",       "&Jjo",	"&-Jjo",  "\xff\xfe", "R\xc3\xa9sum\xc3\xa9", "R&AOk-sum&AOk-",
    "a&AAk-b", "&AGE-", "a",	  "INBOX",    "0000000001.eml",	      "%26",
    "%",       "100%",	"x&//0-",
};

static void test_raw_levels_unique(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(odd_levels); i++) {
		g_autofree char *name = imap_mailbox_name_from_wire(odd_levels[i], '.', FALSE);
		char *entry = fs_name_of_component(name);

		check_safe(entry);
		if (g_hash_table_contains(seen, entry))
			fprintf(stderr, "two levels named %s\n", entry);
		CU_ASSERT_FALSE(g_hash_table_contains(seen, entry));
		g_hash_table_add(seen, entry);
	}
}

static void test_raw_levels_named(void)
{
	const struct {
		const char *wire, *entry;
	} cases[] = {
	    {"&", "%26"},
	    {"&-", "&"},
	    {"&Jjo", "%26Jjo"},
	    {"&-Jjo", "&Jjo"},
	    {"a\tb", "a%09b"},
	    {"a&AAk-b", "a%26AAk-b"},
	    {"\x1b[31mred", "%1B[31mred"},
	    {"R\xc3\xa9sum\xc3\xa9", "R%C3%A9sum%C3%A9"},
	    {"R&AOk-sum&AOk-", "Résumé"},
	    {"\xff\xfe", "%FF%FE"},
	    {"..", "%2E."},
	    {"INBOX", "INBOX"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = imap_mailbox_name_from_wire(cases[i].wire, '/', FALSE);
		g_autofree char *entry = fs_name_of_component(name);
		g_autofree char *raw = imap_mailbox_comp_wire(name);

		CU_ASSERT_STRING_EQUAL(entry, cases[i].entry);
		/* Raw names are found through the tree only, never made from what is typed. */
		if (raw) {
			g_autofree char *typed = fs_name_unescape(entry);

			CU_ASSERT_TRUE(!typed || strcmp(typed, name) != 0);
		}
	}
}

/* A name with an empty level is one entry: the delimiter's %XX joins its levels. */
static void test_whole_mailbox_names(void)
{
	g_autofree char *lead = fs_name_of_mailbox(".lead", '.');
	g_autofree char *slash = fs_name_of_mailbox("/lead", '/');
	g_autofree char *etc = fs_name_of_mailbox("../../etc", '.');
	g_autofree char *dots = fs_name_of_mailbox("..", '.');
	g_autofree char *flat = fs_name_of_mailbox("a.b", '\0');

	CU_ASSERT_STRING_EQUAL(lead, "%2Elead");
	CU_ASSERT_STRING_EQUAL(slash, "%2Flead");
	CU_ASSERT_STRING_EQUAL(etc, "%2E%2E%2F%2E%2E%2Fetc");
	CU_ASSERT_STRING_EQUAL(dots, "%2E%2E");
	CU_ASSERT_STRING_EQUAL(flat, "a.b");
	check_safe(lead);
	check_safe(etc);
	check_safe(dots);
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
	TEST_ADD(s, test_raw_levels_unique);
	TEST_ADD(s, test_raw_levels_named);
	TEST_ADD(s, test_whole_mailbox_names);
	return test_run_all();
}

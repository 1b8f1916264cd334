/* Tests for imap/quote.c: classification, command building, flag validation, and the
 * guarantee that no CR, LF or NUL ever appears outside a literal. */
#include "imap/quote.h"
#include "imap/error.h"
#include "tests/test-util.h"

#include <string.h>

static ImapQuoteKind kind(const char *s, gboolean utf8)
{
	return imap_quote_kind(s, strlen(s), utf8);
}

static void test_kind_atoms(void)
{
	CU_ASSERT_EQUAL(kind("INBOX", FALSE), IMAP_QUOTE_ATOM);
	CU_ASSERT_EQUAL(kind("a.b/c-d_e+f", FALSE), IMAP_QUOTE_ATOM);
	CU_ASSERT_EQUAL(kind("&AOQ-", FALSE), IMAP_QUOTE_ATOM);
	CU_ASSERT_EQUAL(kind("NILS", FALSE), IMAP_QUOTE_ATOM);
	/* never a bare NIL: it would be read as the NIL token */
	CU_ASSERT_EQUAL(kind("NIL", FALSE), IMAP_QUOTE_QUOTED);
	CU_ASSERT_EQUAL(kind("nil", FALSE), IMAP_QUOTE_QUOTED);
	CU_ASSERT_EQUAL(kind("NiL", TRUE), IMAP_QUOTE_QUOTED);
}

static void test_kind_quoted(void)
{
	CU_ASSERT_EQUAL(kind("", FALSE), IMAP_QUOTE_QUOTED);
	const char *specials[] = {"a b", "(", ")", "{", "%", "*", "\"", "\\", "]", "a]b"};
	for (gsize i = 0; i < G_N_ELEMENTS(specials); i++)
		CU_ASSERT_EQUAL(kind(specials[i], FALSE), IMAP_QUOTE_QUOTED);
	CU_ASSERT_EQUAL(kind("Entwürfe", TRUE), IMAP_QUOTE_QUOTED);
	g_autofree char *longest = g_strnfill(1000, 'a');
	CU_ASSERT_EQUAL(kind(longest, FALSE), IMAP_QUOTE_ATOM);
}

static void test_kind_literal(void)
{
	CU_ASSERT_EQUAL(kind("a\rb", FALSE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(kind("a\nb", TRUE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(kind("a\tb", FALSE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(kind("a\x7f", FALSE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(imap_quote_kind("a\0b", 3, TRUE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(kind("Entwürfe", FALSE), IMAP_QUOTE_LITERAL);
	CU_ASSERT_EQUAL(kind("bad\xc3(", TRUE), IMAP_QUOTE_LITERAL); /* invalid UTF-8 */
	CU_ASSERT_EQUAL(kind("\xed\xa0\x80", TRUE), IMAP_QUOTE_LITERAL); /* surrogate */
	g_autofree char *too_long = g_strnfill(1001, 'a');
	CU_ASSERT_EQUAL(kind(too_long, FALSE), IMAP_QUOTE_LITERAL);
}

static const char *part_text(ImapCmd *cmd, guint i)
{
	return ((ImapCmdPart *)g_ptr_array_index(cmd->parts, i))->text->str;
}

static GBytes *part_literal(ImapCmd *cmd, guint i)
{
	return ((ImapCmdPart *)g_ptr_array_index(cmd->parts, i))->literal;
}

static void test_build_login(void)
{
	g_autoptr(ImapCmd) cmd = imap_cmd_new(FALSE, FALSE);
	imap_cmd_add_raw(cmd, "LOGIN");
	imap_cmd_add_astring(cmd, "alice", 5);
	imap_cmd_add_astring(cmd, "p\"w\\d", 5);
	CU_ASSERT_EQUAL(cmd->parts->len, 1);
	CU_ASSERT_STRING_EQUAL(part_text(cmd, 0), "LOGIN alice \"p\\\"w\\\\d\"");
	CU_ASSERT_PTR_NULL(part_literal(cmd, 0));
}

static void test_build_string_never_atom(void)
{
	g_autoptr(ImapCmd) cmd = imap_cmd_new(FALSE, FALSE);
	imap_cmd_add_raw(cmd, "SEARCH SUBJECT");
	imap_cmd_add_string(cmd, "hello", 5);
	imap_cmd_add_raw(cmd, " (");
	imap_cmd_add_string(cmd, "", 0);
	imap_cmd_add_raw(cmd, ")");
	CU_ASSERT_STRING_EQUAL(part_text(cmd, 0), "SEARCH SUBJECT \"hello\" (\"\")");
}

static void test_build_literals(void)
{
	g_autoptr(ImapCmd) cmd = imap_cmd_new(FALSE, FALSE);
	imap_cmd_add_raw(cmd, "RENAME");
	imap_cmd_add_astring(cmd, "a\r\nb", 4);
	imap_cmd_add_astring(cmd, "new", 3);
	CU_ASSERT_EQUAL_FATAL(cmd->parts->len, 2);
	CU_ASSERT_STRING_EQUAL(part_text(cmd, 0), "RENAME {4}");
	gsize len = 0;
	const char *data = g_bytes_get_data(part_literal(cmd, 0), &len);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(memcmp(data, "a\r\nb", 4), 0);
	CU_ASSERT_STRING_EQUAL(part_text(cmd, 1), " new");
	CU_ASSERT_PTR_NULL(part_literal(cmd, 1));

	g_autoptr(ImapCmd) plus = imap_cmd_new(TRUE, FALSE);
	imap_cmd_add_raw(plus, "APPEND INBOX");
	imap_cmd_add_literal(plus, "xyz", 3);
	CU_ASSERT_STRING_EQUAL(part_text(plus, 0), "APPEND INBOX {3+}");
	CU_ASSERT_STRING_EQUAL(part_text(plus, 1), "");

	/* LITERAL-: non-synchronizing only up to the limit */
	g_autoptr(ImapCmd) minus = imap_cmd_new(TRUE, FALSE);
	minus->literal_plus_max = 4;
	imap_cmd_add_literal(minus, "1234", 4);
	imap_cmd_add_literal(minus, "12345", 5);
	CU_ASSERT_STRING_EQUAL(part_text(minus, 0), "{4+}");
	CU_ASSERT_STRING_EQUAL(part_text(minus, 1), " {5}");
	CU_ASSERT_EQUAL(minus->parts->len, 3);
}

static void test_build_utf8(void)
{
	g_autoptr(ImapCmd) cmd = imap_cmd_new(FALSE, TRUE);
	imap_cmd_add_raw(cmd, "SELECT");
	imap_cmd_add_astring(cmd, "Entwürfe", strlen("Entwürfe"));
	CU_ASSERT_EQUAL(cmd->parts->len, 1);
	CU_ASSERT_STRING_EQUAL(part_text(cmd, 0), "SELECT \"Entwürfe\"");
}

/* Reads back the single argument a command holds; returns it or NULL if malformed.
 * This is what a server would see, so a round trip proves nothing escaped. */
static GBytes *parse_back(ImapCmd *cmd, gboolean *was_atom)
{
	*was_atom = FALSE;
	if (cmd->parts->len == 2) {
		GBytes *lit = part_literal(cmd, 0);
		g_autofree char *hdr = g_strdup_printf("{%zu}", g_bytes_get_size(lit));
		g_autofree char *hdr_plus = g_strdup_printf("{%zu+}", g_bytes_get_size(lit));
		const char *text = part_text(cmd, 0);
		if (strcmp(text, cmd->literal_plus ? hdr_plus : hdr) != 0 ||
		    part_text(cmd, 1)[0] != '\0')
			return NULL;
		return g_bytes_ref(lit);
	}
	if (cmd->parts->len != 1)
		return NULL;
	GString *text = ((ImapCmdPart *)g_ptr_array_index(cmd->parts, 0))->text;
	if (text->len == 0 || text->str[0] != '"') {
		*was_atom = TRUE;
		return g_bytes_new(text->str, text->len);
	}
	if (text->len < 2 || text->str[text->len - 1] != '"')
		return NULL;
	GString *out = g_string_new(NULL);
	for (gsize i = 1; i < text->len - 1; i++) {
		char c = text->str[i];
		if (c == '"' || (c == '\\' && i + 1 >= text->len - 1))
			goto bad;
		if (c == '\\') {
			c = text->str[++i];
			if (c != '"' && c != '\\')
				goto bad;
		}
		g_string_append_c(out, c);
	}
	return g_string_free_to_bytes(out);
bad:
	g_string_free(out, TRUE);
	return NULL;
}

static gboolean text_is_clean(ImapCmd *cmd)
{
	for (guint i = 0; i < cmd->parts->len; i++) {
		GString *text = ((ImapCmdPart *)g_ptr_array_index(cmd->parts, i))->text;
		if (memchr(text->str, '\r', text->len) || memchr(text->str, '\n', text->len) ||
		    memchr(text->str, '\0', text->len))
			return FALSE;
	}
	return TRUE;
}

static int failures;

static void check_roundtrip(const char *s, gsize len, gboolean utf8, gboolean astring)
{
	g_autoptr(ImapCmd) cmd = imap_cmd_new(len & 1, utf8);
	if (astring)
		imap_cmd_add_astring(cmd, s, len);
	else
		imap_cmd_add_string(cmd, s, len);
	gboolean was_atom;
	g_autoptr(GBytes) back = parse_back(cmd, &was_atom);
	g_autoptr(GBytes) orig = g_bytes_new(s, len);
	gboolean ok = text_is_clean(cmd) && back && g_bytes_equal(back, orig) &&
		      !(was_atom && (!astring || len == 0));
	if (!ok && failures++ < 5) {
		g_autofree char *shown = g_strescape(s, NULL);
		fprintf(stderr, "round trip failed for \"%s\" (len %zu)\n", shown, len);
	}
}

/* Every byte value, alone, between letters, and every pair of bytes. */
static void test_exhaustive_bytes(void)
{
	failures = 0;
	for (int utf8 = 0; utf8 <= 1; utf8++) {
		for (int a = 0; a < 256; a++) {
			char one[1] = {(char)a};
			char three[3] = {'x', (char)a, 'y'};
			for (int astring = 0; astring <= 1; astring++) {
				check_roundtrip(one, 1, utf8, astring);
				check_roundtrip(three, 3, utf8, astring);
			}
			for (int b = 0; b < 256; b++) {
				char two[2] = {(char)a, (char)b};
				check_roundtrip(two, 2, utf8, TRUE);
				check_roundtrip(two, 2, utf8, FALSE);
			}
		}
	}
	CU_ASSERT_EQUAL(failures, 0);
}

static void test_flags_valid(void)
{
	char *flags[] = {"\\Seen", "\\answered", "\\FLAGGED", "\\Deleted", "\\Draft",
			 "$Work", "Junk", "$label1", NULL};
	GError *error = NULL;
	CU_ASSERT_TRUE(imap_flags_validate(flags, &error));
	CU_ASSERT_PTR_NULL(error);
	char *none[] = {NULL};
	CU_ASSERT_TRUE(imap_flags_validate(none, NULL));
}

static void check_flag_invalid(const char *flag)
{
	char *flags[] = {"\\Seen", (char *)flag, NULL};
	GError *error = NULL;
	CU_ASSERT_FALSE(imap_flags_validate(flags, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, IMAP_ERROR, IMAP_ERROR_INVALID));
	g_autofree char *shown = g_strescape(flag, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, shown));
	g_error_free(error);
}

static void test_flags_invalid(void)
{
	const char *bad[] = {"\\Recent", "\\recent", "\\Foo", "\\", "", "a b", "(x", "x)",
			     "{3}", "a%", "a*", "a\"", "a\\b", "x]", "Jü", "a\r\nb", "a\tb"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		check_flag_invalid(bad[i]);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("quote", NULL, NULL);
	TEST_ADD(s, test_kind_atoms);
	TEST_ADD(s, test_kind_quoted);
	TEST_ADD(s, test_kind_literal);
	TEST_ADD(s, test_build_login);
	TEST_ADD(s, test_build_string_never_atom);
	TEST_ADD(s, test_build_literals);
	TEST_ADD(s, test_build_utf8);
	TEST_ADD(s, test_exhaustive_bytes);
	TEST_ADD(s, test_flags_valid);
	TEST_ADD(s, test_flags_invalid);
	return test_run_all();
}

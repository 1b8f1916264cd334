/* imapfs — unit tests of imap/error.c: a tagged refusal becomes an error that carries the
 * server's response code and text as data. */
#include "imap/error.h"
#include "imap/parser.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <string.h>

/* LINE (one whole response) through the real parser. */
static ImapResponse *parse(const char *line)
{
	g_autoptr(ImapParser) p = imap_parser_new(NULL);
	ImapResponse *r = NULL;
	GError *err = NULL;
	gsize used = 0;

	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)line, strlen(line), &used, &r, &err),
			IMAP_PARSE_DONE);
	CU_ASSERT_PTR_NULL(err);
	g_clear_error(&err);
	return r;
}

static GError *refusal(const char *line, const char *what)
{
	g_autoptr(ImapResponse) r = parse(line);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return imap_response_refusal(r, what);
}

static void test_no_with_code(void)
{
	g_autoptr(GError) e =
	    refusal("A7 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n", "APPEND");

	CU_ASSERT_TRUE(g_error_matches(e, IMAP_ERROR, IMAP_ERROR_NO));
	CU_ASSERT_EQUAL(imap_error_code(e), IMAP_CODE_OVERQUOTA);
	CU_ASSERT_STRING_EQUAL(imap_error_code_name(e), "OVERQUOTA");
	CU_ASSERT_STRING_EQUAL(imap_error_text(e), "Quota exceeded (mailbox for user is full)");
	/* The message is the one the log has always shown. */
	CU_ASSERT_STRING_EQUAL(e->message, "server refused APPEND: [OVERQUOTA] Quota exceeded "
					   "(mailbox for user is full)");
}

static void test_codes_by_name(void)
{
	static const struct {
		const char *atom;
		ImapCodeType type;
	} known[] = {
	    {"NONEXISTENT", IMAP_CODE_NONEXISTENT},
	    {"ALREADYEXISTS", IMAP_CODE_ALREADYEXISTS},
	    {"NOPERM", IMAP_CODE_NOPERM},
	    {"TRYCREATE", IMAP_CODE_TRYCREATE},
	    {"LIMIT", IMAP_CODE_LIMIT},
	    {"UNAVAILABLE", IMAP_CODE_UNAVAILABLE},
	    {"SERVERBUG", IMAP_CODE_SERVERBUG},
	    {"CANNOT", IMAP_CODE_CANNOT},
	    {"INUSE", IMAP_CODE_INUSE},
	    {"EXPUNGEISSUED", IMAP_CODE_EXPUNGEISSUED},
	    {"HASCHILDREN", IMAP_CODE_HASCHILDREN},
	    {"CLIENTBUG", IMAP_CODE_CLIENTBUG},
	    {"CONTACTADMIN", IMAP_CODE_CONTACTADMIN},
	    {"PRIVACYREQUIRED", IMAP_CODE_PRIVACYREQUIRED},
	    {"EXPIRED", IMAP_CODE_EXPIRED},
	    {"CORRUPTION", IMAP_CODE_CORRUPTION},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
		g_autofree char *line = g_strdup_printf("A1 NO [%s] the words\r\n", known[i].atom);
		g_autoptr(GError) e = refusal(line, "the command");

		CU_ASSERT_EQUAL(imap_error_code(e), known[i].type);
		CU_ASSERT_STRING_EQUAL(imap_error_code_name(e), known[i].atom);
		CU_ASSERT_STRING_EQUAL(imap_error_text(e), "the words");
	}
}

static void test_without_code(void)
{
	g_autoptr(GError) e = refusal("A2 NO Over quota\r\n", "APPEND");

	CU_ASSERT_TRUE(g_error_matches(e, IMAP_ERROR, IMAP_ERROR_NO));
	CU_ASSERT_EQUAL(imap_error_code(e), IMAP_CODE_NONE);
	CU_ASSERT_PTR_NULL(imap_error_code_name(e));
	CU_ASSERT_STRING_EQUAL(imap_error_text(e), "Over quota");
	CU_ASSERT_STRING_EQUAL(e->message, "server refused APPEND: Over quota");
}

static void test_bad_other_and_arg(void)
{
	g_autoptr(GError) bad = refusal("A3 BAD [CLIENTBUG] Invalid arguments\r\n", "SEARCH");
	g_autoptr(GError) other = refusal("A4 NO [X-GM-LIMIT 3] try later\r\n", "FETCH");

	CU_ASSERT_TRUE(g_error_matches(bad, IMAP_ERROR, IMAP_ERROR_BAD));
	CU_ASSERT_EQUAL(imap_error_code(bad), IMAP_CODE_CLIENTBUG);
	CU_ASSERT_EQUAL(imap_error_code(other), IMAP_CODE_OTHER);
	CU_ASSERT_STRING_EQUAL(imap_error_code_name(other), "X-GM-LIMIT");
	CU_ASSERT_STRING_EQUAL(imap_error_text(other), "try later");
	CU_ASSERT_STRING_EQUAL(other->message, "server refused FETCH: [X-GM-LIMIT 3] try later");
}

/* The data goes where the error goes: copies, propagation, prefixes. */
static void test_travels(void)
{
	GError *e = refusal("A5 NO [NONEXISTENT] Mailbox doesn't exist: Gone\r\n", "SELECT");
	g_autoptr(GError) copy = g_error_copy(e);
	GError *moved = NULL;

	g_propagate_prefixed_error(&moved, e, "Gone: ");
	CU_ASSERT_EQUAL(imap_error_code(copy), IMAP_CODE_NONEXISTENT);
	CU_ASSERT_EQUAL(imap_error_code(moved), IMAP_CODE_NONEXISTENT);
	CU_ASSERT_STRING_EQUAL(imap_error_text(moved), "Mailbox doesn't exist: Gone");
	CU_ASSERT_TRUE(g_str_has_prefix(moved->message, "Gone: server refused SELECT"));
	g_error_free(moved);
}

static void test_set_and_others(void)
{
	g_autoptr(GError) made = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "[NOPERM] read-only");
	g_autoptr(GError) net = g_error_new(IMAP_ERROR, IMAP_ERROR_NETWORK, "connection closed");
	g_autoptr(GError) io = g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "[NONEXISTENT] x");

	/* Text in a message is no code: only the field is. */
	CU_ASSERT_EQUAL(imap_error_code(made), IMAP_CODE_NONE);
	imap_error_set_response(made, IMAP_CODE_NOPERM, "NOPERM", NULL);
	CU_ASSERT_EQUAL(imap_error_code(made), IMAP_CODE_NOPERM);
	CU_ASSERT_PTR_NULL(imap_error_text(made));
	imap_error_set_response(made, IMAP_CODE_NONE, NULL, "plain");
	CU_ASSERT_EQUAL(imap_error_code(made), IMAP_CODE_NONE);
	CU_ASSERT_STRING_EQUAL(imap_error_text(made), "plain");
	CU_ASSERT_EQUAL(imap_error_code(net), IMAP_CODE_NONE);
	CU_ASSERT_PTR_NULL(imap_error_text(net));
	imap_error_set_response(io, IMAP_CODE_NONEXISTENT, "NONEXISTENT", "x");
	CU_ASSERT_EQUAL(imap_error_code(io), IMAP_CODE_NONE);
	CU_ASSERT_EQUAL(imap_error_code(NULL), IMAP_CODE_NONE);
	CU_ASSERT_PTR_NULL(imap_error_code_name(NULL));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("error", NULL, NULL);
	TEST_ADD(s, test_no_with_code);
	TEST_ADD(s, test_codes_by_name);
	TEST_ADD(s, test_without_code);
	TEST_ADD(s, test_bad_other_and_arg);
	TEST_ADD(s, test_travels);
	TEST_ADD(s, test_set_and_others);
	return test_run_all();
}

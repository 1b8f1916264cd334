/* Unit tests for fs/errno-map.c: the one table from errors to errno. Refusals are built
 * the way the session builds them, from a response line through the real parser. */
#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "fs/errno-map.h"
#include "imap/error.h"
#include "imap/parser.h"
#include "tests/test-util.h"

static GError *refusal(const char *line)
{
	g_autoptr(ImapParser) p = imap_parser_new(NULL);
	g_autoptr(ImapResponse) r = NULL;
	gsize used = 0;

	CU_ASSERT_EQUAL_FATAL(
	    imap_parser_feed(p, (const guint8 *)line, strlen(line), &used, &r, NULL),
	    IMAP_PARSE_DONE);
	return imap_response_refusal(r, "the command");
}

static int errno_of(const char *line)
{
	g_autoptr(GError) e = refusal(line);

	return fs_errno_from_error(e);
}

static void test_codes(void)
{
	CU_ASSERT_EQUAL(errno_of("A1 NO [OVERQUOTA] Quota exceeded\r\n"), EDQUOT);
	CU_ASSERT_EQUAL(errno_of("A1 NO [NONEXISTENT] Mailbox doesn't exist\r\n"), ENOENT);
	CU_ASSERT_EQUAL(errno_of("A1 NO [TRYCREATE] Mailbox doesn't exist\r\n"), ENOENT);
	CU_ASSERT_EQUAL(errno_of("A1 NO [EXPUNGEISSUED] Some messages were expunged\r\n"), ENOENT);
	CU_ASSERT_EQUAL(errno_of("A1 NO [ALREADYEXISTS] Mailbox already exists\r\n"), EEXIST);
	CU_ASSERT_EQUAL(errno_of("A1 NO [NOPERM] Permission denied\r\n"), EACCES);
	CU_ASSERT_EQUAL(errno_of("A1 NO [LIMIT] Too many\r\n"), ENOSPC);
	CU_ASSERT_EQUAL(errno_of("A1 NO [INUSE] Locked\r\n"), EBUSY);
	CU_ASSERT_EQUAL(errno_of("A1 NO [CANNOT] Not allowed\r\n"), EPERM);
	CU_ASSERT_EQUAL(errno_of("A1 NO [HASCHILDREN] Has children\r\n"), ENOTEMPTY);
	CU_ASSERT_EQUAL(errno_of("A1 NO [SERVERBUG] Internal error\r\n"), EIO);
	CU_ASSERT_EQUAL(errno_of("A1 NO [UNAVAILABLE] Try later\r\n"), EIO);
	/* A code imapfs does not know is the server's reason all the same: no guess from the
	 * words after it. */
	CU_ASSERT_EQUAL(errno_of("A1 NO [X-UNKNOWN] quota exceeded\r\n"), EIO);
	/* BAD is our mistake, whatever the code. */
	CU_ASSERT_EQUAL(errno_of("A1 BAD [OVERQUOTA] Quota exceeded\r\n"), EIO);
}

/* Without a code only a full mailbox is recognised, by the server's words. */
static void test_words_last(void)
{
	CU_ASSERT_EQUAL(errno_of("A1 NO Over quota\r\n"), EDQUOT);
	CU_ASSERT_EQUAL(errno_of("A1 NO Quota exceeded (mailbox for user is full)\r\n"), EDQUOT);
	CU_ASSERT_EQUAL(errno_of("A1 NO Message exceeds quota\r\n"), EDQUOT);
	CU_ASSERT_EQUAL(errno_of("A1 NO Mailbox doesn't exist\r\n"), EIO);
	CU_ASSERT_EQUAL(errno_of("A1 NO whatever\r\n"), EIO);
}

/* The code is the field, not text that looks like one in a message. */
static void test_field_not_message(void)
{
	g_autoptr(GError) looks = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "[NONEXISTENT] no such");
	g_autoptr(GError) set = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "refused");

	CU_ASSERT_EQUAL(fs_errno_from_error(looks), EIO);
	imap_error_set_response(set, IMAP_CODE_NONEXISTENT, "NONEXISTENT", "no such");
	CU_ASSERT_EQUAL(fs_errno_from_error(set), ENOENT);
}

/* Moved from test_fs_options.c; the refusals now carry their codes as the session's do. */
static void test_errno_map(void)
{
	g_autoptr(GError) nonexist = refusal("A1 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	g_autoptr(GError) no = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "whatever");
	g_autoptr(GError) net = g_error_new(IMAP_ERROR, IMAP_ERROR_NETWORK, "x");
	g_autoptr(GError) bye = g_error_new(IMAP_ERROR, IMAP_ERROR_BYE, "x");
	g_autoptr(GError) tmo = g_error_new(IMAP_ERROR, IMAP_ERROR_TIMEOUT, "x");
	g_autoptr(GError) quota = refusal("A1 NO [OVERQUOTA] full\r\n");
	g_autoptr(GError) nospc = g_error_new(G_IO_ERROR, G_IO_ERROR_NO_SPACE, "x");
	g_autoptr(GError) other = g_error_new(G_OPTION_ERROR, 0, "x");

	CU_ASSERT_EQUAL(fs_errno_from_error(nonexist), ENOENT);
	CU_ASSERT_EQUAL(fs_errno_from_error(no), EIO);
	CU_ASSERT_EQUAL(fs_errno_from_error(net), EIO);
	CU_ASSERT_EQUAL(fs_errno_from_error(bye), EIO);
	CU_ASSERT_EQUAL(fs_errno_from_error(tmo), ETIMEDOUT);
	CU_ASSERT_EQUAL(fs_errno_from_error(quota), EDQUOT);
	CU_ASSERT_EQUAL(fs_errno_from_error(nospc), ENOSPC);
	CU_ASSERT_EQUAL(fs_errno_from_error(other), EIO);
	CU_ASSERT_EQUAL(fs_errno_from_error(NULL), EIO);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_errno", NULL, NULL);
	TEST_ADD(s, test_codes);
	TEST_ADD(s, test_words_last);
	TEST_ADD(s, test_field_not_message);
	TEST_ADD(s, test_errno_map);
	return test_run_all();
}

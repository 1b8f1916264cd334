/* Unit tests for fs/log.c (the log target, line priorities, the repeat limit) and the
 * line fs/errno-map.c logs for an EIO. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fs/errno-map.h"
#include "fs/log.h"
#include "imap/error.h"
#include "tests/test-util.h"

static char *tmpdir;

static void test_targets(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "imapfs.log", NULL);
	g_autofree char *bad = g_build_filename(tmpdir, "no", "such", "x.log", NULL);
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	struct stat st;
	FsLog log;

	CU_ASSERT_TRUE(fs_log_open(&log, NULL, TRUE, &err));
	CU_ASSERT_EQUAL(log.kind, FS_LOG_STDERR);
	CU_ASSERT_TRUE(fs_log_open(&log, NULL, FALSE, &err));
	CU_ASSERT_EQUAL(log.kind, FS_LOG_SYSLOG);
	CU_ASSERT_TRUE(fs_log_open(&log, "stderr", FALSE, &err));
	CU_ASSERT_EQUAL(log.kind, FS_LOG_STDERR);
	CU_ASSERT_TRUE(fs_log_open(&log, "syslog", TRUE, &err));
	CU_ASSERT_EQUAL(log.kind, FS_LOG_SYSLOG);
	CU_ASSERT_EQUAL(log.fd, -1);

	/* A file: created 0600 whatever the umask, not inherited by commands, appended to. */
	mode_t old = umask(0);
	CU_ASSERT_TRUE_FATAL(fs_log_open(&log, path, FALSE, &err));
	umask(old);
	CU_ASSERT_EQUAL(log.kind, FS_LOG_FILE);
	CU_ASSERT_TRUE(fcntl(log.fd, F_GETFD) & FD_CLOEXEC);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(write(log.fd, "one\n", 4), 4);
	fs_log_close(&log);
	CU_ASSERT_EQUAL(log.fd, -1);
	CU_ASSERT_TRUE_FATAL(fs_log_open(&log, path, FALSE, &err));
	CU_ASSERT_EQUAL(pwrite(log.fd, "two\n", 4, 0), 4); /* O_APPEND: at the end all the same */
	fs_log_close(&log);
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(text, "one\ntwo\n");

	CU_ASSERT_FALSE(fs_log_open(&log, bad, FALSE, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "cannot open the log"));
	g_clear_error(&err);
	CU_ASSERT_FALSE(fs_log_open(&log, "", FALSE, &err));
	CU_ASSERT_FALSE(fs_log_valid("", NULL));
	CU_ASSERT_TRUE(fs_log_valid("syslog", NULL));
}

static void test_priorities(void)
{
	const char *text = NULL;

	CU_ASSERT_EQUAL(fs_log_priority("imapfs: warning: no body cache", &text), LOG_WARNING);
	CU_ASSERT_STRING_EQUAL(text, "warning: no body cache");
	CU_ASSERT_EQUAL(fs_log_priority("imapfs: INBOX/x.eml: not stored: full", &text), LOG_ERR);
	CU_ASSERT_STRING_EQUAL(text, "INBOX/x.eml: not stored: full");
	CU_ASSERT_EQUAL(fs_log_priority("imapfs: try: imapfs --check", &text), LOG_NOTICE);
	CU_ASSERT_EQUAL(fs_log_priority("imapfs: C: A1 NOOP", &text), LOG_DEBUG);
	CU_ASSERT_EQUAL(fs_log_priority("imapfs: S: * OK", &text), LOG_DEBUG);
	/* Not ours (no prefix): kept whole. */
	CU_ASSERT_EQUAL(fs_log_priority("something else", &text), LOG_ERR);
	CU_ASSERT_STRING_EQUAL(text, "something else");
}

static void test_limit(void)
{
	FsLogLimit *l = fs_log_limit_new();
	guint dropped = 99;

	CU_ASSERT_TRUE(fs_log_limit_pass(l, "a", &dropped));
	CU_ASSERT_EQUAL(dropped, 0);
	CU_ASSERT_FALSE(fs_log_limit_pass(l, "a", &dropped));
	CU_ASSERT_FALSE(fs_log_limit_pass(l, "a", &dropped));
	CU_ASSERT_EQUAL(dropped, 1); /* before this one */
	CU_ASSERT_TRUE(fs_log_limit_pass(l, "b", &dropped));
	/* Many distinct lines: all pass (each EIO of another file has its line). */
	for (int i = 0; i < 3000; i++) {
		g_autofree char *line = g_strdup_printf("line %d", i);
		CU_ASSERT_TRUE(fs_log_limit_pass(l, line, &dropped));
	}
	g_usleep(G_USEC_PER_SEC + 50000);
	CU_ASSERT_TRUE(fs_log_limit_pass(l, "a", &dropped));
	CU_ASSERT_EQUAL(dropped, 2);
	CU_ASSERT_FALSE(fs_log_limit_pass(l, "a", &dropped));
	fs_log_limit_free(l);
	fs_log_limit_free(NULL);
}

static GString *printed;

static void capture(const gchar *string)
{
	g_string_append(printed, string);
}

/* EIO and ETIMEDOUT get their line, with the server's words; ordinary answers none. */
static void test_errno_logged(void)
{
	g_autoptr(GError) refused =
	    g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "[SERVERBUG] refused by the test relay");
	g_autoptr(GError) gone = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "[NONEXISTENT] no such");
	g_autoptr(GError) tmo = g_error_new(IMAP_ERROR, IMAP_ERROR_TIMEOUT, "no answer in 5 s");
	g_autoptr(GError) quota = g_error_new(IMAP_ERROR, IMAP_ERROR_NO, "[OVERQUOTA] full");
	FsLogLimit *l = fs_log_limit_new();

	/* As the session makes them: the code is data beside the message. */
	imap_error_set_response(refused, IMAP_CODE_SERVERBUG, "SERVERBUG",
				"refused by the test relay");
	imap_error_set_response(gone, IMAP_CODE_NONEXISTENT, "NONEXISTENT", "no such");
	imap_error_set_response(quota, IMAP_CODE_OVERQUOTA, "OVERQUOTA", "full");

	printed = g_string_new(NULL);
	g_set_printerr_handler(capture);
	CU_ASSERT_EQUAL(fs_errno_logged(l, "Work.2024", "0000000007.eml", "cannot read", refused),
			EIO);
	CU_ASSERT_STRING_EQUAL(printed->str, "imapfs: Work.2024/0000000007.eml: cannot read: "
					     "[SERVERBUG] refused by the test relay\n");
	g_string_truncate(printed, 0);
	CU_ASSERT_EQUAL(fs_errno_logged(l, "Work.2024", "0000000007.eml", "cannot read", refused),
			EIO);
	CU_ASSERT_STRING_EQUAL(printed->str, ""); /* a repeat within the second */
	CU_ASSERT_EQUAL(fs_errno_logged(l, "", NULL, "cannot list", tmo), ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(printed->str, "imapfs: /: cannot list: no answer in 5 s\n");
	g_string_truncate(printed, 0);
	CU_ASSERT_EQUAL(fs_errno_logged(l, "INBOX", "x.eml", "cannot look up", gone), ENOENT);
	CU_ASSERT_EQUAL(fs_errno_logged(NULL, "INBOX", NULL, "CREATE", quota), EDQUOT);
	CU_ASSERT_STRING_EQUAL(printed->str, "");
	CU_ASSERT_EQUAL(fs_errno_logged(NULL, "INBOX", NULL, "rmdir", NULL), EIO);
	CU_ASSERT_STRING_EQUAL(printed->str, "imapfs: INBOX: rmdir: unknown error\n");
	g_set_printerr_handler(NULL);
	g_string_free(printed, TRUE);
	fs_log_limit_free(l);
}

int main(void)
{
	int ret;

	tmpdir = g_dir_make_tmp("imapfs-log-XXXXXX", NULL);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("fs_log", NULL, NULL);
	TEST_ADD(s, test_targets);
	TEST_ADD(s, test_priorities);
	TEST_ADD(s, test_limit);
	TEST_ADD(s, test_errno_logged);
	ret = test_run_all();
	g_autofree char *path = g_build_filename(tmpdir, "imapfs.log", NULL);
	g_unlink(path);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return ret;
}

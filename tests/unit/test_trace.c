/* Tests for net/trace.c: credentials never survive redaction, other lines do. */
#include "net/trace.h"
#include "tests/test-util.h"

#include <string.h>

static void check(const char *line, const char *want)
{
	g_autofree char *got = net_trace_redact(line);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "redact(\"%s\") = \"%s\"\n", line, got);
}

static void check_auth(const char *line, const char *want)
{
	g_autofree char *got = net_trace_redact_auth(line);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_login_forms(void)
{
	check("A1 LOGIN user secret", "A1 LOGIN <user> <password>");
	check("A1 LOGIN user secret\r\n", "A1 LOGIN <user> <password>\r\n");
	check("a1 login alice s3cr3t\n", "a1 login <user> <password>\n");
	check("A1 LOGIN \"al ice\" \"p\\\"w d\"", "A1 LOGIN <user> <password>");
	check("A1 LOGIN {5}", "A1 LOGIN <user> <password>");
	check("A1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n", "A1 LOGIN <user> <password>\r\n");
	check("A1 LOGIN alice {6}\r\n", "A1 LOGIN <user> <password>\r\n");
	check("A1 LOGIN", "A1 LOGIN");
}

static void test_authenticate(void)
{
	check("A2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==",
	      "A2 AUTHENTICATE PLAIN <secret>");
	check("A2 authenticate xoauth2 dXNlcj1...\r\n", "A2 authenticate xoauth2 <secret>\r\n");
	check("A2 AUTHENTICATE PLAIN", "A2 AUTHENTICATE PLAIN");
	check("A2 AUTHENTICATE CRAM-MD5\r\n", "A2 AUTHENTICATE CRAM-MD5\r\n");
	check("A2 AUTHENTICATE PLAIN =", "A2 AUTHENTICATE PLAIN <secret>");
}

static void test_other_lines_unchanged(void)
{
	check("A3 SELECT INBOX", "A3 SELECT INBOX");
	check("A4 UID FETCH 1:* (UID FLAGS)\r\n", "A4 UID FETCH 1:* (UID FLAGS)\r\n");
	check("A5 SELECT LOGIN", "A5 SELECT LOGIN"); /* a mailbox called LOGIN */
	check("LOGIN", "LOGIN");
	check("", "");
	check("A6 LOGINX a b", "A6 LOGINX a b");
}

static void test_auth_continuation(void)
{
	check_auth("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
		   "<secret>");
	check_auth("AHRpbQB0YW5zdGFhZmx0aGV5\r\n", "<secret>\r\n");
	check_auth("secret", "<secret>");
	check_auth("", "");
	check_auth("\r\n", "\r\n");
	check_auth("*\r\n", "*\r\n");
}

/* No secret substring may survive, whatever the form. */
static void test_no_leak(void)
{
	const char *lines[] = {
		"T LOGIN alice hunter2", "T LOGIN \"alice\" \"hunter2\"",
		"T LOGIN {5+}\r\nalice {7+}\r\nhunter2\r\n", "T LOGIN alice {7}\r\n",
		"T AUTHENTICATE PLAIN hunter2", "T AUTHENTICATE PLAIN hunter2\r\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
		g_autofree char *got = net_trace_redact(lines[i]);
		CU_ASSERT_PTR_NULL(strstr(got, "hunter2"));
		CU_ASSERT_PTR_NULL(strstr(got, "{7"));
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("trace", NULL, NULL);
	TEST_ADD(s, test_login_forms);
	TEST_ADD(s, test_authenticate);
	TEST_ADD(s, test_other_lines_unchanged);
	TEST_ADD(s, test_auth_continuation);
	TEST_ADD(s, test_no_leak);
	return test_run_all();
}

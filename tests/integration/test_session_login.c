/* imapfs — logging in with imap/session.c against the private Dovecot of
 * tests/harness/with-dovecot: each security mode and mechanism, and each way it must
 * fail (wrong password, plaintext refused, no usable mechanism, wrong host name, a
 * server that never greets, STARTTLS not offered).
 *
 * Usage: test_session_login [all|notls]; "notls" runs against a server started with
 * --no-tls.
 */
#include "tests/integration/session-common.h"

/* ---- login ---- */

static void login_ok(NetSecurity sec, const char *mech, const char *expect_mech)
{
	ImapConfig cfg;
	GError *err = NULL;
	ImapSession *s;

	make_config(&cfg, sec, mech);
	s = imap_session_open(&cfg, &err);
	if (!s)
		fprintf(stderr, "login (%d, %s): %s\n", sec, mech ? mech : "default", err->message);
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s) {
		CU_ASSERT_TRUE(imap_session_is_usable(s));
		if (expect_mech)
			CU_ASSERT_STRING_EQUAL(imap_session_auth_mechanism(s), expect_mech);
		CU_ASSERT_TRUE(imap_session_has_cap(s, "IMAP4rev1"));
		/* The password never reaches the trace. */
		CU_ASSERT_FALSE(sent_contains(cfg.net.password));
		imap_session_logout(s);
	}
	g_clear_error(&err);
	imap_config_clear(&cfg);
}

static void test_login_modes(void)
{
	login_ok(NET_SECURITY_PLAIN, NULL, NULL);
	login_ok(NET_SECURITY_STARTTLS, NULL, NULL);
	login_ok(NET_SECURITY_TLS, NULL, NULL);
}

static void test_login_mechanisms(void)
{
	static const char *const mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "LOGINCMD", NULL};

	for (const char *const *m = mechs; *m; m++) {
		login_ok(NET_SECURITY_STARTTLS, *m, *m);
		login_ok(NET_SECURITY_TLS, *m, *m);
	}
	CU_ASSERT_TRUE(trace_contains("<secret>") || trace_contains("<user>"));
}

static void test_condstore_enabled(void)
{
	ImapSession *s = open_default();

	CU_ASSERT_TRUE(imap_session_is_enabled(s, "CONDSTORE"));
	CU_ASSERT_TRUE(imap_session_is_enabled(s, "QRESYNC"));
	CU_ASSERT_FALSE(imap_session_is_enabled(s, "NOSUCHTHING"));
	imap_session_logout(s);
}

static void expect_open_error(ImapConfig *cfg, int code, const char *text)
{
	GError *err = NULL;
	ImapSession *s = imap_session_open(cfg, &err);

	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(err);
	if (err) {
		if (err->code != code || (text && !strstr(err->message, text)))
			fprintf(stderr, "unexpected error %d: %s\n", err->code, err->message);
		CU_ASSERT_EQUAL(err->domain, IMAP_ERROR);
		CU_ASSERT_EQUAL(err->code, code);
		if (text)
			CU_ASSERT_PTR_NOT_NULL(strstr(err->message, text));
	}
	imap_session_free(s);
	g_clear_error(&err);
}

static void test_wrong_password(void)
{
	static const char *const mechs[] = {"PLAIN", "LOGINCMD", "CRAM-MD5", NULL};

	for (const char *const *m = mechs; *m; m++) {
		ImapConfig cfg;
		make_config(&cfg, NET_SECURITY_STARTTLS, *m);
		g_free(cfg.net.password);
		cfg.net.password = g_strdup("wrong-password");
		expect_open_error(&cfg, IMAP_ERROR_AUTH, "server refused login");
		CU_ASSERT_FALSE(sent_contains("wrong-password"));
		imap_config_clear(&cfg);
	}
}

static void test_plaintext_refused(void)
{
	ImapConfig cfg;

	make_config(&cfg, NET_SECURITY_PLAIN, NULL);
	cfg.net.allow_plaintext_auth = FALSE;
	expect_open_error(&cfg, IMAP_ERROR_AUTH, "unencrypted");
	/* Nothing that could carry the password was sent. */
	CU_ASSERT_FALSE(sent_contains("LOGIN "));
	CU_ASSERT_FALSE(sent_contains("AUTHENTICATE"));
	CU_ASSERT_TRUE(trace_contains("CAPABILITY") || trace_lines->len > 0);
	imap_config_clear(&cfg);
}

static void test_no_usable_mechanism(void)
{
	ImapConfig cfg;

	make_config(&cfg, NET_SECURITY_STARTTLS, "XOAUTH2");
	cfg.net.oauth2_token = g_strdup("token");
	expect_open_error(&cfg, IMAP_ERROR_AUTH, "XOAUTH2");
	imap_config_clear(&cfg);
}

static void test_wrong_host(void)
{
	ImapConfig cfg;
	GError *err = NULL;
	ImapSession *s;

	make_config(&cfg, NET_SECURITY_TLS, NULL);
	g_free(cfg.net.host);
	cfg.net.host = g_strdup(env("IMAPFS_TEST_WRONG_HOST"));
	expect_open_error(&cfg, IMAP_ERROR_TLS, NULL);
	cfg.net.security = NET_SECURITY_STARTTLS;
	cfg.net.port = (guint16)atoi(env("IMAPFS_TEST_PORT"));
	expect_open_error(&cfg, IMAP_ERROR_TLS, NULL);

	cfg.net.tls_verify_hostname = FALSE;
	s = imap_session_open(&cfg, &err);
	if (!s)
		fprintf(stderr, "verify_hostname off: %s\n", err->message);
	CU_ASSERT_PTR_NOT_NULL(s);
	imap_session_logout(s);
	g_clear_error(&err);
	imap_config_clear(&cfg);
}

static void test_silent_server(void)
{
	ImapConfig cfg;
	gint64 start;
	double elapsed;

	make_config(&cfg, NET_SECURITY_PLAIN, NULL);
	cfg.net.port = (guint16)atoi(env("IMAPFS_TEST_SILENT_PORT"));
	cfg.net.greeting_timeout_ms = 1000;
	start = g_get_monotonic_time();
	expect_open_error(&cfg, IMAP_ERROR_TIMEOUT, "greeting");
	elapsed = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	CU_ASSERT_TRUE(elapsed >= 0.9 && elapsed < 3.0);
	imap_config_clear(&cfg);
}

static void test_auto_mode(void)
{
	ImapConfig cfg;
	GError *err = NULL;
	ImapSession *s;

	/* AUTO on the plaintext port: implicit TLS fails there, STARTTLS succeeds. */
	make_config(&cfg, NET_SECURITY_AUTO, NULL);
	cfg.net.port = (guint16)atoi(env("IMAPFS_TEST_PORT"));
	s = imap_session_open(&cfg, &err);
	if (!s)
		fprintf(stderr, "auto: %s\n", err->message);
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_TRUE(trace_contains("STARTTLS"));
	imap_session_logout(s);
	g_clear_error(&err);
	imap_config_clear(&cfg);
}

/* ---- without TLS (--no-tls) ---- */

static void test_starttls_not_offered(void)
{
	ImapConfig cfg;

	make_config(&cfg, NET_SECURITY_STARTTLS, NULL);
	expect_open_error(&cfg, IMAP_ERROR_TLS, "STARTTLS");
	CU_ASSERT_FALSE(sent_contains("LOGIN "));
	CU_ASSERT_FALSE(sent_contains("AUTHENTICATE"));
	imap_config_clear(&cfg);

	/* AUTO never falls back to plaintext. */
	make_config(&cfg, NET_SECURITY_AUTO, NULL);
	expect_open_error(&cfg, IMAP_ERROR_TLS, NULL);
	imap_config_clear(&cfg);

	login_ok(NET_SECURITY_PLAIN, "PLAIN", "PLAIN");
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	CU_pSuite suite;

	suite = session_suite(which);
	if (!suite)
		return EXIT_FAILURE;
	if (g_str_equal(which, "notls")) {
		TEST_ADD(suite, test_starttls_not_offered);
	} else {
		TEST_ADD(suite, test_login_modes);
		TEST_ADD(suite, test_login_mechanisms);
		TEST_ADD(suite, test_condstore_enabled);
		TEST_ADD(suite, test_wrong_password);
		TEST_ADD(suite, test_plaintext_refused);
		TEST_ADD(suite, test_no_usable_mechanism);
		TEST_ADD(suite, test_wrong_host);
		TEST_ADD(suite, test_silent_server);
		TEST_ADD(suite, test_auto_mode);
	}
	return session_run();
}

/* Tests for imap/config.c: defaults, deep copy, clear, effective port. */
#include "imap/config.h"
#include "tests/test-util.h"

#include <string.h>

static void test_init_defaults(void)
{
	ImapConfig cfg;
	memset(&cfg, 0xa5, sizeof(cfg)); /* init must not rely on zeroed memory */
	imap_config_init(&cfg);
	CU_ASSERT_EQUAL(cfg.net.security, NET_SECURITY_TLS);
	CU_ASSERT_TRUE(cfg.net.tls_verify_cert);
	CU_ASSERT_TRUE(cfg.net.tls_verify_hostname);
	CU_ASSERT_EQUAL(cfg.net.tls_min, NET_TLS_1_2);
	CU_ASSERT_PTR_NULL(cfg.net.host);
	CU_ASSERT_PTR_NULL(cfg.net.password);
	CU_ASSERT_PTR_NULL(cfg.net.mechanisms);
	CU_ASSERT_PTR_NULL(cfg.net.trace);
	CU_ASSERT_EQUAL(cfg.net.port, 0);
	CU_ASSERT_FALSE(cfg.net.allow_plaintext_auth);
	CU_ASSERT_EQUAL(cfg.net.io_timeout_ms, 0);
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	imap_config_clear(&cfg);
}

static void trace_fn(const char *line, gpointer data)
{
}

static void fill(ImapConfig *cfg)
{
	imap_config_init(cfg);
	cfg->net.host = g_strdup("imap.example.org");
	cfg->net.port = 1993;
	cfg->net.security = NET_SECURITY_STARTTLS;
	cfg->net.ca_file = g_strdup("/etc/ca.pem");
	cfg->net.tls_verify_hostname = FALSE;
	cfg->net.tls_priority = g_strdup("NORMAL");
	cfg->net.tls_client_cert = g_strdup("c.pem");
	cfg->net.tls_client_key = g_strdup("k.pem");
	cfg->net.tls_pin_sha256 = g_strdup("ab12");
	cfg->net.proxy = g_strdup("socks5://u:p@h:1080");
	cfg->net.tunnel = g_strdup("ssh host imapd");
	cfg->net.user = g_strdup("alice");
	cfg->net.password = g_strdup("secret");
	cfg->net.oauth2_token = g_strdup("tok");
	cfg->net.mechanisms = g_strsplit("PLAIN LOGIN", " ", -1);
	cfg->spool_dir = g_strdup("/tmp");
	cfg->net.io_timeout_ms = 5000;
	cfg->net.trace = trace_fn;
	cfg->net.trace_data = cfg;
}

static void test_copy_deep(void)
{
	ImapConfig a, b;
	fill(&a);
	imap_config_copy(&b, &a);
	CU_ASSERT_PTR_NOT_EQUAL(a.net.host, b.net.host);
	CU_ASSERT_STRING_EQUAL(b.net.host, "imap.example.org");
	CU_ASSERT_PTR_NOT_EQUAL(a.net.password, b.net.password);
	CU_ASSERT_STRING_EQUAL(b.net.password, "secret");
	CU_ASSERT_STRING_EQUAL(b.net.oauth2_token, "tok");
	CU_ASSERT_STRING_EQUAL(b.net.proxy, "socks5://u:p@h:1080");
	CU_ASSERT_STRING_EQUAL(b.net.tunnel, "ssh host imapd");
	CU_ASSERT_STRING_EQUAL(b.net.tls_pin_sha256, "ab12");
	CU_ASSERT_STRING_EQUAL(b.spool_dir, "/tmp");
	CU_ASSERT_PTR_NOT_EQUAL(a.net.mechanisms, b.net.mechanisms);
	CU_ASSERT_PTR_NOT_EQUAL(a.net.mechanisms[0], b.net.mechanisms[0]);
	CU_ASSERT_TRUE(g_strv_equal((const char *const *)a.net.mechanisms,
				    (const char *const *)b.net.mechanisms));
	CU_ASSERT_EQUAL(b.net.port, 1993);
	CU_ASSERT_EQUAL(b.net.security, NET_SECURITY_STARTTLS);
	CU_ASSERT_FALSE(b.net.tls_verify_hostname);
	CU_ASSERT_EQUAL(b.net.io_timeout_ms, 5000);
	CU_ASSERT_PTR_EQUAL(b.net.trace, trace_fn);
	CU_ASSERT_PTR_EQUAL(b.net.trace_data, &a);
	/* the copy outlives the original */
	imap_config_clear(&a);
	CU_ASSERT_STRING_EQUAL(b.net.user, "alice");
	CU_ASSERT_STRING_EQUAL(b.net.mechanisms[1], "LOGIN");
	imap_config_clear(&b);
}

static void test_clear(void)
{
	ImapConfig cfg;
	fill(&cfg);
	imap_config_clear(&cfg);
	CU_ASSERT_PTR_NULL(cfg.net.host);
	CU_ASSERT_PTR_NULL(cfg.net.password);
	CU_ASSERT_PTR_NULL(cfg.net.oauth2_token);
	CU_ASSERT_PTR_NULL(cfg.net.mechanisms);
	CU_ASSERT_PTR_NULL(cfg.net.proxy);
	CU_ASSERT_PTR_NULL(cfg.spool_dir);
	imap_config_clear(&cfg); /* safe twice */
	imap_config_clear(NULL);
	CU_ASSERT_PTR_NULL(cfg.net.user);
}

static void test_port(void)
{
	ImapConfig cfg;
	imap_config_init(&cfg);
	cfg.net.security = NET_SECURITY_TLS;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	cfg.net.security = NET_SECURITY_AUTO;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	cfg.net.security = NET_SECURITY_STARTTLS;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 143);
	cfg.net.security = NET_SECURITY_PLAIN;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 143);
	cfg.net.port = 10143;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 10143);
	cfg.net.security = NET_SECURITY_TLS;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 10143);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("config", NULL, NULL);
	TEST_ADD(s, test_init_defaults);
	TEST_ADD(s, test_copy_deep);
	TEST_ADD(s, test_clear);
	TEST_ADD(s, test_port);
	return test_run_all();
}

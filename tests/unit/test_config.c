/* Tests for imap/config.c: defaults, deep copy, clear, effective port. */
#include "imap/config.h"
#include "tests/test-util.h"

#include <string.h>

static void test_init_defaults(void)
{
	ImapConfig cfg;
	memset(&cfg, 0xa5, sizeof(cfg)); /* init must not rely on zeroed memory */
	imap_config_init(&cfg);
	CU_ASSERT_EQUAL(cfg.security, IMAP_SECURITY_TLS);
	CU_ASSERT_TRUE(cfg.tls_verify_cert);
	CU_ASSERT_TRUE(cfg.tls_verify_hostname);
	CU_ASSERT_EQUAL(cfg.tls_min, IMAP_TLS_1_2);
	CU_ASSERT_PTR_NULL(cfg.host);
	CU_ASSERT_PTR_NULL(cfg.password);
	CU_ASSERT_PTR_NULL(cfg.mechanisms);
	CU_ASSERT_PTR_NULL(cfg.trace);
	CU_ASSERT_EQUAL(cfg.port, 0);
	CU_ASSERT_FALSE(cfg.allow_plaintext_auth);
	CU_ASSERT_EQUAL(cfg.io_timeout_ms, 0);
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	imap_config_clear(&cfg);
}

static void trace_fn(const char *line, gpointer data)
{
}

static void fill(ImapConfig *cfg)
{
	imap_config_init(cfg);
	cfg->host = g_strdup("imap.example.org");
	cfg->port = 1993;
	cfg->security = IMAP_SECURITY_STARTTLS;
	cfg->ca_file = g_strdup("/etc/ca.pem");
	cfg->tls_verify_hostname = FALSE;
	cfg->tls_priority = g_strdup("NORMAL");
	cfg->tls_client_cert = g_strdup("c.pem");
	cfg->tls_client_key = g_strdup("k.pem");
	cfg->tls_pin_sha256 = g_strdup("ab12");
	cfg->proxy = g_strdup("socks5://u:p@h:1080");
	cfg->tunnel = g_strdup("ssh host imapd");
	cfg->user = g_strdup("alice");
	cfg->password = g_strdup("secret");
	cfg->oauth2_token = g_strdup("tok");
	cfg->mechanisms = g_strsplit("PLAIN LOGIN", " ", -1);
	cfg->spool_dir = g_strdup("/tmp");
	cfg->io_timeout_ms = 5000;
	cfg->trace = trace_fn;
	cfg->trace_data = cfg;
}

static void test_copy_deep(void)
{
	ImapConfig a, b;
	fill(&a);
	imap_config_copy(&b, &a);
	CU_ASSERT_PTR_NOT_EQUAL(a.host, b.host);
	CU_ASSERT_STRING_EQUAL(b.host, "imap.example.org");
	CU_ASSERT_PTR_NOT_EQUAL(a.password, b.password);
	CU_ASSERT_STRING_EQUAL(b.password, "secret");
	CU_ASSERT_STRING_EQUAL(b.oauth2_token, "tok");
	CU_ASSERT_STRING_EQUAL(b.proxy, "socks5://u:p@h:1080");
	CU_ASSERT_STRING_EQUAL(b.tunnel, "ssh host imapd");
	CU_ASSERT_STRING_EQUAL(b.tls_pin_sha256, "ab12");
	CU_ASSERT_STRING_EQUAL(b.spool_dir, "/tmp");
	CU_ASSERT_PTR_NOT_EQUAL(a.mechanisms, b.mechanisms);
	CU_ASSERT_PTR_NOT_EQUAL(a.mechanisms[0], b.mechanisms[0]);
	CU_ASSERT_TRUE(g_strv_equal((const char *const *)a.mechanisms,
				    (const char *const *)b.mechanisms));
	CU_ASSERT_EQUAL(b.port, 1993);
	CU_ASSERT_EQUAL(b.security, IMAP_SECURITY_STARTTLS);
	CU_ASSERT_FALSE(b.tls_verify_hostname);
	CU_ASSERT_EQUAL(b.io_timeout_ms, 5000);
	CU_ASSERT_PTR_EQUAL(b.trace, trace_fn);
	CU_ASSERT_PTR_EQUAL(b.trace_data, &a);
	/* the copy outlives the original */
	imap_config_clear(&a);
	CU_ASSERT_STRING_EQUAL(b.user, "alice");
	CU_ASSERT_STRING_EQUAL(b.mechanisms[1], "LOGIN");
	imap_config_clear(&b);
}

static void test_clear(void)
{
	ImapConfig cfg;
	fill(&cfg);
	imap_config_clear(&cfg);
	CU_ASSERT_PTR_NULL(cfg.host);
	CU_ASSERT_PTR_NULL(cfg.password);
	CU_ASSERT_PTR_NULL(cfg.oauth2_token);
	CU_ASSERT_PTR_NULL(cfg.mechanisms);
	CU_ASSERT_PTR_NULL(cfg.proxy);
	CU_ASSERT_PTR_NULL(cfg.spool_dir);
	imap_config_clear(&cfg); /* safe twice */
	imap_config_clear(NULL);
	CU_ASSERT_PTR_NULL(cfg.user);
}

static void test_port(void)
{
	ImapConfig cfg;
	imap_config_init(&cfg);
	cfg.security = IMAP_SECURITY_TLS;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	cfg.security = IMAP_SECURITY_AUTO;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 993);
	cfg.security = IMAP_SECURITY_STARTTLS;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 143);
	cfg.security = IMAP_SECURITY_PLAIN;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 143);
	cfg.port = 10143;
	CU_ASSERT_EQUAL(imap_config_port(&cfg), 10143);
	cfg.security = IMAP_SECURITY_TLS;
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

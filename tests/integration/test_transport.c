/* imapfs — integration test of net/transport against a private Dovecot started by
 * tests/harness/with-dovecot (environment: tests/harness/README.md). */
#include "net/config.h"
#include "net/error.h"
#include "net/transport.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#define READ_TIMEOUT_MS 10000
#define PIPELINE_BYTES (4u * 1024 * 1024)
#define NOOP "a NOOP\r\n"

static const char *env(const char *name)
{
	const char *value = g_getenv(name);
	if (!value)
		g_error("%s is not set: run this test through tests/harness/with-dovecot", name);
	return value;
}

/* A config for the test server; port_var names the port's environment variable. */
static void config_for(NetConfig *cfg, const char *port_var, NetSecurity security)
{
	net_config_init(cfg);
	cfg->host = g_strdup(env("IMAPFS_TEST_HOST"));
	cfg->port = (guint16)atoi(env(port_var));
	cfg->security = security;
	cfg->ca_file = g_strdup(env("IMAPFS_TEST_CA"));
	cfg->connect_timeout_ms = 5000;
	cfg->io_timeout_ms = 20000;
}

/* Reads until the data received so far contains needle; NULL on failure. */
static GString *read_until(NetTransport *t, const char *needle)
{
	g_autoptr(GString) got = g_string_new(NULL);
	while (!strstr(got->str, needle)) {
		char buf[4096];
		g_autoptr(GError) err = NULL;
		gssize n = net_transport_read(t, buf, sizeof(buf), READ_TIMEOUT_MS, TRUE, &err);
		if (n <= 0) {
			g_printerr("read failed waiting for \"%s\": %s\n", needle,
				   err ? err->message : "timeout");
			return NULL;
		}
		g_string_append_len(got, buf, n);
	}
	return g_steal_pointer(&got);
}

static gboolean write_str(NetTransport *t, const char *s)
{
	g_autoptr(GError) err = NULL;
	gboolean ok = net_transport_write_all(t, s, strlen(s), NULL, NULL, &err);
	if (!ok)
		g_printerr("write failed: %s\n", err->message);
	return ok;
}

/* Connects as cfg says and checks the greeting begins with want. */
static void expect_greeting(NetConfig *cfg, gboolean tls_now, const char *want)
{
	g_autoptr(GError) err = NULL;
	NetTransport *t = net_transport_connect(cfg, cfg->port, tls_now, &err);
	if (!t)
		g_printerr("connect failed: %s\n", err->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(net_transport_is_tls(t), tls_now);
	g_autoptr(GString) greeting = read_until(t, "\r\n");
	CU_ASSERT_PTR_NOT_NULL(greeting);
	if (greeting)
		CU_ASSERT_TRUE(g_str_has_prefix(greeting->str, want));
	net_transport_close(t);
}

/* Connects as cfg says and checks it fails with code and a message containing each
 * of the NULL-terminated strings. */
static void expect_failure(NetConfig *cfg, gboolean tls_now, int code, ...)
{
	g_autoptr(GError) err = NULL;
	NetTransport *t = net_transport_connect(cfg, cfg->port, tls_now, &err);
	CU_ASSERT_PTR_NULL(t);
	net_transport_close(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	g_printerr("(expected) %s\n", err->message);
	CU_ASSERT_TRUE(g_error_matches(err, NET_ERROR, code));
	va_list ap;
	va_start(ap, code);
	for (const char *s; (s = va_arg(ap, const char *));)
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, s));
	va_end(ap);
}

static void test_plain_greeting(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_PORT", NET_SECURITY_PLAIN);
	expect_greeting(&cfg, FALSE, "* OK");
	net_config_clear(&cfg);
}

static void test_tls_with_ca_file(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	expect_greeting(&cfg, TRUE, "* OK");
	net_config_clear(&cfg);
}

static void test_tls_system_store_untrusted(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	g_clear_pointer(&cfg.ca_file, g_free);
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "not trusted", "ca_file", NULL);
	/* Turning the check off by name lets the same server through. */
	cfg.tls_verify_cert = FALSE;
	expect_greeting(&cfg, TRUE, "* OK");
	net_config_clear(&cfg);
}

static void test_tls_wrong_host(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	g_free(cfg.host);
	cfg.host = g_strdup(env("IMAPFS_TEST_WRONG_HOST"));
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "does not match the host name",
		       "certificate for 127.0.0.2", "localhost, 127.0.0.1", NULL);
	cfg.tls_verify_hostname = FALSE;
	expect_greeting(&cfg, TRUE, "* OK");
	net_config_clear(&cfg);
}

static void test_starttls(void)
{
	NetConfig cfg;
	g_autoptr(GError) err = NULL;
	config_for(&cfg, "IMAPFS_TEST_PORT", NET_SECURITY_STARTTLS);
	NetTransport *t = net_transport_connect(&cfg, cfg.port, FALSE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_autoptr(GString) greeting = read_until(t, "\r\n");
	CU_ASSERT_TRUE(greeting && g_str_has_prefix(greeting->str, "* OK"));
	CU_ASSERT_TRUE(write_str(t, "a STARTTLS\r\n"));
	g_autoptr(GString) ok = read_until(t, "\r\n");
	CU_ASSERT_TRUE(ok && g_str_has_prefix(ok->str, "a OK"));

	CU_ASSERT_TRUE(net_transport_starttls(t, &err));
	CU_ASSERT_TRUE(net_transport_is_tls(t));
	/* A second upgrade is refused rather than wrapping TLS in TLS. */
	g_autoptr(GError) again = NULL;
	CU_ASSERT_FALSE(net_transport_starttls(t, &again));
	CU_ASSERT_TRUE(g_error_matches(again, NET_ERROR, NET_ERROR_TLS));

	CU_ASSERT_TRUE(write_str(t, "b CAPABILITY\r\n"));
	g_autoptr(GString) caps = read_until(t, "b OK");
	CU_ASSERT_TRUE(caps && g_str_has_prefix(caps->str, "* CAPABILITY "));
	net_transport_close(t);
	net_config_clear(&cfg);
}

static void test_tls13_minimum(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	cfg.tls_min = NET_TLS_1_3;
	expect_greeting(&cfg, TRUE, "* OK");
	/* A base priority of the user's is used, with the minimum still applied. */
	cfg.tls_priority = g_strdup("SECURE128");
	expect_greeting(&cfg, TRUE, "* OK");
	g_free(cfg.tls_priority);
	cfg.tls_priority = g_strdup("NO-SUCH-KEYWORD");
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "priority", NULL);
	net_config_clear(&cfg);
}

/* "AB:CD:...": the SHA-256 of the CA file's certificate, which is the server's own. */
static char *pin_of_pem_file(const char *path)
{
	g_autofree char *pem = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &pem, &len, NULL))
		return NULL;
	gnutls_datum_t in = {(unsigned char *)pem, (unsigned)len}, der = {NULL, 0};
	gnutls_x509_crt_t crt;
	guint8 digest[32];
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	int rc = gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM);
	if (rc >= 0)
		rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
	if (rc >= 0)
		rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	if (rc < 0)
		return NULL;
	GString *hex = g_string_new(NULL);
	for (unsigned i = 0; i < sizeof(digest); i++)
		g_string_append_printf(hex, "%s%02X", i ? ":" : "", digest[i]);
	return g_string_free(hex, FALSE);
}

static void test_pin(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	cfg.tls_pin_sha256 = g_strdup("00112233445566778899aabbccddeeff"
				      "00112233445566778899aabbccddeeff");
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "pinned", "00112233", NULL);
	g_free(cfg.tls_pin_sha256);
	cfg.tls_pin_sha256 = g_strdup("12:34");
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "64 hex digits", NULL);
	g_free(cfg.tls_pin_sha256);
	cfg.tls_pin_sha256 = pin_of_pem_file(cfg.ca_file);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.tls_pin_sha256);
	expect_greeting(&cfg, TRUE, "* OK");
	net_config_clear(&cfg);
}

static void test_silent_timeout(void)
{
	NetConfig cfg;
	g_autoptr(GError) err = NULL;
	config_for(&cfg, "IMAPFS_TEST_SILENT_PORT", NET_SECURITY_PLAIN);
	NetTransport *t = net_transport_connect(&cfg, cfg.port, FALSE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	char buf[64];
	/* Without fail_on_timeout a timeout is "no data yet", not an error. */
	CU_ASSERT_EQUAL(net_transport_read(t, buf, sizeof(buf), 100, FALSE, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FALSE(net_transport_has_pending(t));

	gint64 start = g_get_monotonic_time();
	CU_ASSERT_EQUAL(net_transport_read(t, buf, sizeof(buf), 500, TRUE, &err), -1);
	gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;
	CU_ASSERT_TRUE(elapsed_ms >= 480 && elapsed_ms < 1500);
	CU_ASSERT_TRUE(g_error_matches(err, NET_ERROR, NET_ERROR_TIMEOUT));
	if (err)
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "for 0.5 s"));
	net_transport_close(t);
	net_config_clear(&cfg);
}

static void test_connection_refused(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_PORT", NET_SECURITY_PLAIN);
	cfg.port = 1; /* nothing listens on tcp/1 on loopback */
	expect_failure(&cfg, FALSE, NET_ERROR_NETWORK, "cannot connect to 127.0.0.1:1", "refused",
		       NULL);
	net_config_clear(&cfg);
}

static void test_tunnel(void)
{
	NetConfig cfg;
	g_autoptr(GError) err = NULL;
	g_autofree char *conf = g_shell_quote(env("IMAPFS_TEST_DOVECOT_CONF"));
	net_config_init(&cfg);
	cfg.tunnel = g_strdup_printf("exec doveadm -c %s exec imap -u alice", conf);
	NetTransport *t = net_transport_connect(&cfg, cfg.port, FALSE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_autoptr(GString) greeting = read_until(t, "\r\n");
	CU_ASSERT_TRUE(greeting && g_str_has_prefix(greeting->str, "* PREAUTH"));
	CU_ASSERT_TRUE(write_str(t, "a LOGOUT\r\n"));
	g_autoptr(GString) bye = read_until(t, "a OK");
	CU_ASSERT_TRUE(bye && strstr(bye->str, "* BYE"));
	/* After LOGOUT the tunnel ends: the next read reports the close. */
	char buf[64];
	g_autoptr(GError) eof = NULL;
	CU_ASSERT_EQUAL(net_transport_read(t, buf, sizeof(buf), READ_TIMEOUT_MS, TRUE, &eof), -1);
	CU_ASSERT_TRUE(g_error_matches(eof, NET_ERROR, NET_ERROR_NETWORK));
	net_transport_close(t);
	net_config_clear(&cfg);
}

/* Counts tagged OK lines as responses stream back during the pipelined write. */
typedef struct {
	NetTransport *t;
	GString *partial; /* the unfinished last line */
	guint ok;
	guint bad;
} PipeState;

static void count_lines(PipeState *s, const char *buf, gssize n)
{
	g_string_append_len(s->partial, buf, n);
	char *line = s->partial->str, *nl;
	while ((nl = strchr(line, '\n'))) {
		if (g_str_has_prefix(line, "a OK"))
			s->ok++;
		else if (g_str_has_prefix(line, "a "))
			s->bad++;
		line = nl + 1;
	}
	g_string_erase(s->partial, 0, line - s->partial->str);
}

/* on_readable: take what has arrived without waiting. */
static gboolean drain(gpointer data, GError **error)
{
	PipeState *s = data;
	char buf[65536];
	gssize n = net_transport_read(s->t, buf, sizeof(buf), 0, FALSE, error);
	if (n < 0)
		return FALSE;
	count_lines(s, buf, n);
	return TRUE;
}

/* Pipelines 4 MiB of NOOPs and checks every one is answered. The server stops reading
 * once its output is full; a writer that never read would then block forever, so
 * write_all must read through on_readable meanwhile. Returns how many responses
 * arrived while writing. */
static guint pipeline_noops(NetTransport *t)
{
	g_autoptr(GError) err = NULL;
	guint count = PIPELINE_BYTES / (sizeof(NOOP) - 1);
	g_autoptr(GString) cmds = g_string_sized_new(PIPELINE_BYTES);
	for (guint i = 0; i < count; i++)
		g_string_append(cmds, NOOP);
	PipeState s = {t, g_string_new(NULL), 0, 0};

	CU_ASSERT_TRUE(net_transport_write_all(t, cmds->str, cmds->len, drain, &s, &err));
	if (err)
		g_printerr("write_all: %s\n", err->message);
	guint during = s.ok;
	while (!err && s.ok + s.bad < count) {
		char buf[65536];
		gssize n = net_transport_read(t, buf, sizeof(buf), READ_TIMEOUT_MS, TRUE, &err);
		if (n < 0)
			g_printerr("reading the rest: %s\n", err->message);
		else
			count_lines(&s, buf, n);
	}
	g_printerr("%u responses while writing, %u in all\n", during, s.ok);
	CU_ASSERT_EQUAL(s.ok, count);
	CU_ASSERT_EQUAL(s.bad, 0);
	g_string_free(s.partial, TRUE);
	return during;
}

/* Over TLS and TCP. Loopback socket buffers may absorb all 4 MiB, so whether
 * responses come back during the write depends on the kernel; only completeness and
 * the absence of a deadlock are asserted here. */
static void test_pipelined_write_tls(void)
{
	NetConfig cfg;
	g_autoptr(GError) err = NULL;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	NetTransport *t = net_transport_connect(&cfg, cfg.port, TRUE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_autoptr(GString) greeting = read_until(t, "\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(greeting);
	g_autofree char *login = g_strdup_printf("l LOGIN %s %s\r\n", env("IMAPFS_TEST_USER"),
						 env("IMAPFS_TEST_PASSWORD"));
	CU_ASSERT_TRUE(write_str(t, login));
	g_autoptr(GString) logged_in = read_until(t, "l OK");
	CU_ASSERT_PTR_NOT_NULL_FATAL(logged_in);
	pipeline_noops(t);
	net_transport_close(t);
	net_config_clear(&cfg);
}

/* Through a tunnel the pipes hold 64 KiB, so the writer must block and read. */
static void test_pipelined_write_tunnel(void)
{
	NetConfig cfg;
	g_autoptr(GError) err = NULL;
	g_autofree char *conf = g_shell_quote(env("IMAPFS_TEST_DOVECOT_CONF"));
	net_config_init(&cfg);
	cfg.tunnel = g_strdup_printf("exec doveadm -c %s exec imap -u alice", conf);
	NetTransport *t = net_transport_connect(&cfg, cfg.port, FALSE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_autoptr(GString) greeting = read_until(t, "\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(greeting);
	CU_ASSERT_TRUE(pipeline_noops(t) > 0);
	net_transport_close(t);
	net_config_clear(&cfg);
}

/* A free loopback port: bind to port 0, note the port, close. */
static guint16 free_port(void)
{
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	if (!sock || !g_socket_bind(sock, any, TRUE, NULL))
		return 0;
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
	return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

/* microsocks with user "u", password "proxy-secret" on a free port; NULL when it is
 * not installed or does not come up. */
static GSubprocess *start_socks(guint16 *port)
{
	*port = free_port();
	g_autofree char *port_str = g_strdup_printf("%u", *port);
	g_autoptr(GError) err = NULL;
	GSubprocess *proc = g_subprocess_new(
	    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err,
	    "microsocks", "-i", "127.0.0.1", "-p", port_str, "-u", "u", "-P", "proxy-secret", NULL);
	if (!proc) {
		g_printerr("cannot start microsocks (apt-get install microsocks): %s\n",
			   err->message);
		return NULL;
	}
	g_autoptr(GSocketClient) client = g_socket_client_new();
	for (int i = 0; i < 100; i++) {
		g_autoptr(GSocketConnection) c =
		    g_socket_client_connect_to_host(client, "127.0.0.1", *port, NULL, NULL);
		if (c)
			return proc;
		g_usleep(20000);
	}
	g_subprocess_force_exit(proc);
	g_object_unref(proc);
	return NULL;
}

static void stop_process(GSubprocess *proc)
{
	if (proc) {
		g_subprocess_force_exit(proc);
		g_subprocess_wait(proc, NULL, NULL);
		g_object_unref(proc);
	}
}

static void test_socks5_proxy(void)
{
	guint16 port = 0;
	GSubprocess *socks = start_socks(&port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(socks);
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	cfg.proxy = g_strdup_printf("socks5://u:proxy-secret@127.0.0.1:%u", port);
	expect_greeting(&cfg, TRUE, "* OK");

	/* A refused proxy login fails, and the message does not carry the password. */
	g_free(cfg.proxy);
	cfg.proxy = g_strdup_printf("socks5://u:wrong-secret@127.0.0.1:%u", port);
	g_autoptr(GError) err = NULL;
	NetTransport *t = net_transport_connect(&cfg, cfg.port, TRUE, &err);
	CU_ASSERT_PTR_NULL(t);
	net_transport_close(t);
	CU_ASSERT_TRUE(g_error_matches(err, NET_ERROR, NET_ERROR_NETWORK));
	if (err) {
		g_printerr("(expected) %s\n", err->message);
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "through the proxy"));
		CU_ASSERT_PTR_NULL(strstr(err->message, "wrong-secret"));
	}
	stop_process(socks);
	net_config_clear(&cfg);
}

/* Without a proxy in the config, proxy variables in the environment are ignored. */
static void test_no_proxy_from_environment(void)
{
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_PORT", NET_SECURITY_PLAIN);
	const char *vars[] = {"all_proxy", "ALL_PROXY", "socks_proxy", "http_proxy", NULL};
	for (const char **v = vars; *v; v++)
		g_setenv(*v, "socks5://127.0.0.1:1", TRUE);
	expect_greeting(&cfg, FALSE, "* OK");
	for (const char **v = vars; *v; v++)
		g_unsetenv(*v);
	net_config_clear(&cfg);
}

/* Runs argv to completion, output discarded; TRUE when it exits 0. */
static gboolean run_quietly(const char *const *argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GSubprocess) proc = g_subprocess_newv(
	    argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err);
	if (!proc || !g_subprocess_wait_check(proc, NULL, &err)) {
		g_printerr("%s failed: %s\n", argv[0], err->message);
		return FALSE;
	}
	return TRUE;
}

/* A self-signed certificate for imap.example.com that expired on 2024-01-31, served
 * by gnutls-serv on a free port; returns the server, NULL on failure. */
static GSubprocess *start_expired_server(const char *dir, guint16 *port)
{
	g_autofree char *key = g_build_filename(dir, "expired-key.pem", NULL);
	g_autofree char *cert = g_build_filename(dir, "expired-cert.pem", NULL);
	g_autofree char *tmpl = g_build_filename(dir, "expired.tmpl", NULL);
	const char *tmpl_text = "cn = \"imap.example.com\"\ndns_name = \"imap.example.com\"\n"
				"activation_date = \"2023-01-01 00:00:00\"\n"
				"expiration_date = \"2024-01-31 00:00:00\"\n"
				"ca\ncert_signing_key\nsigning_key\ntls_www_server\n";
	if (!g_file_set_contents(tmpl, tmpl_text, -1, NULL))
		return NULL;
	const char *genkey[] = {
	    "certtool", "--generate-privkey", "--key-type", "ecdsa", "--outfile", key, NULL};
	const char *gencert[] = {"certtool",
				 "--generate-self-signed",
				 "--load-privkey",
				 key,
				 "--template",
				 tmpl,
				 "--outfile",
				 cert,
				 NULL};
	if (!run_quietly(genkey) || !run_quietly(gencert))
		return NULL;
	*port = free_port();
	g_autofree char *port_str = g_strdup_printf("%u", *port);
	g_autofree char *cert_arg = g_strconcat("--x509certfile=", cert, NULL);
	g_autofree char *key_arg = g_strconcat("--x509keyfile=", key, NULL);
	GSubprocess *proc = g_subprocess_new(
	    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL,
	    "gnutls-serv", "--echo", "-p", port_str, cert_arg, key_arg, NULL);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	for (int i = 0; proc && i < 200; i++) {
		g_autoptr(GSocketConnection) c =
		    g_socket_client_connect_to_host(client, "127.0.0.1", *port, NULL, NULL);
		if (c)
			return proc;
		g_usleep(20000);
	}
	stop_process(proc);
	return NULL;
}

static void test_expired_certificate(void)
{
	guint16 port = 0;
	GSubprocess *server = start_expired_server(env("IMAPFS_TEST_DIR"), &port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(server);
	NetConfig cfg;
	config_for(&cfg, "IMAPFS_TEST_TLS_PORT", NET_SECURITY_TLS);
	cfg.port = port;
	g_free(cfg.ca_file);
	cfg.ca_file = g_build_filename(env("IMAPFS_TEST_DIR"), "expired-cert.pem", NULL);
	expect_failure(&cfg, TRUE, NET_ERROR_TLS, "certificate for 127.0.0.1 expired on 2024-01-31",
		       NULL);
	/* Without the certificate check the handshake itself completes. */
	cfg.tls_verify_cert = FALSE;
	g_autoptr(GError) err = NULL;
	NetTransport *t = net_transport_connect(&cfg, cfg.port, TRUE, &err);
	CU_ASSERT_PTR_NOT_NULL(t);
	CU_ASSERT_TRUE(net_transport_is_tls(t));
	net_transport_close(t);
	stop_process(server);
	net_config_clear(&cfg);
}

static void test_close_null(void)
{
	net_transport_close(NULL);
	CU_ASSERT_FALSE(net_transport_is_tls(NULL));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("transport", NULL, NULL);
	TEST_ADD(s, test_close_null);
	TEST_ADD(s, test_plain_greeting);
	TEST_ADD(s, test_tls_with_ca_file);
	TEST_ADD(s, test_tls_system_store_untrusted);
	TEST_ADD(s, test_tls_wrong_host);
	TEST_ADD(s, test_starttls);
	TEST_ADD(s, test_tls13_minimum);
	TEST_ADD(s, test_pin);
	TEST_ADD(s, test_expired_certificate);
	TEST_ADD(s, test_silent_timeout);
	TEST_ADD(s, test_connection_refused);
	TEST_ADD(s, test_tunnel);
	TEST_ADD(s, test_pipelined_write_tls);
	TEST_ADD(s, test_pipelined_write_tunnel);
	TEST_ADD(s, test_socks5_proxy);
	TEST_ADD(s, test_no_proxy_from_environment);
	return test_run_all();
}

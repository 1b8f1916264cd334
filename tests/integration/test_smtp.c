/* imapfs — integration tests of smtp/ against a real SMTP server (aiosmtpd, started by
 * tests/harness/smtp-server) on loopback. Run through tests/harness/with-dovecot for
 * its throwaway certificate (IMAPFS_TEST_CA, with key.pem next to it) and scratch
 * directory; Dovecot itself is not used. Argument: the path of smtp-server. */
#include "smtp/error.h"
#include "smtp/client.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

static const char *server_exe;
static guint server_count;

typedef struct {
	GSubprocess *proc;
	guint16 port;
	char *spool;
} Server;

static const char *env(const char *name)
{
	const char *value = g_getenv(name);
	if (!value)
		g_error("%s is not set: run this test through tests/harness/with-dovecot", name);
	return value;
}

static char *test_path(const char *name)
{
	return g_build_filename(env("IMAPFS_TEST_DIR"), name, NULL);
}

static void server_stop(Server *s)
{
	if (!s)
		return;
	if (s->proc) {
		g_subprocess_send_signal(s->proc, SIGTERM);
		g_subprocess_wait(s->proc, NULL, NULL);
		g_object_unref(s->proc);
	}
	g_free(s->spool);
	g_free(s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Server, server_stop)

static gboolean wait_port(Server *s, const char *portfile)
{
	for (int i = 0; i < 500; i++) {
		g_autofree char *text = NULL;
		if (g_file_get_contents(portfile, &text, NULL, NULL)) {
			s->port = (guint16)atoi(text);
			return s->port != 0;
		}
		g_usleep(20000);
	}
	return FALSE;
}

/* smtp-server with the harness certificate, alice:secret and opts (NULL-terminated);
 * NULL when it does not come up within 10 s. */
static Server *server_start(const char *const *opts)
{
	g_autofree char *dir = g_path_get_dirname(env("IMAPFS_TEST_CA"));
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *auth = test_path("smtp-auth");
	g_autofree char *name = g_strdup_printf("smtp-%u", ++server_count);
	g_autofree char *portfile = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	g_autoptr(Server) s = g_new0(Server, 1);

	g_file_set_contents_full(auth, "alice:secret\n", -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL);
	s->spool = test_path(name);
	portfile = g_strconcat(s->spool, ".port", NULL);
	g_ptr_array_add(argv, (gpointer)server_exe);
	g_ptr_array_add(argv, "--port-file");
	g_ptr_array_add(argv, portfile);
	g_ptr_array_add(argv, "--spool");
	g_ptr_array_add(argv, s->spool);
	g_ptr_array_add(argv, "--cert");
	g_ptr_array_add(argv, (gpointer)env("IMAPFS_TEST_CA"));
	g_ptr_array_add(argv, "--key");
	g_ptr_array_add(argv, key);
	for (const char *const *o = opts; *o; o++) {
		if (g_str_equal(*o, "--auth-file")) /* the file this test wrote */
			g_ptr_array_add(argv, "--auth-file"), g_ptr_array_add(argv, auth);
		else
			g_ptr_array_add(argv, (gpointer)*o);
	}
	g_ptr_array_add(argv, NULL);
	s->proc =
	    g_subprocess_newv((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_NONE, &err);
	if (!s->proc) {
		g_printerr("cannot start %s: %s\n", server_exe, err->message);
		return NULL;
	}
	if (!wait_port(s, portfile)) {
		g_printerr("smtp-server did not come up\n");
		return NULL;
	}
	return g_steal_pointer(&s);
}

static void config_for(SmtpConfig *cfg, const Server *s, NetSecurity sec, const char *mech)
{
	smtp_config_init(cfg);
	cfg->net.host = g_strdup("127.0.0.1");
	cfg->net.port = s->port;
	cfg->net.security = sec;
	cfg->net.ca_file = g_strdup(env("IMAPFS_TEST_CA"));
	cfg->net.connect_timeout_ms = 5000;
	cfg->net.io_timeout_ms = 10000;
	if (mech) {
		cfg->net.user = g_strdup("alice");
		if (g_str_equal(mech, "XOAUTH2"))
			cfg->net.oauth2_token = g_strdup("secret");
		else
			cfg->net.password = g_strdup("secret");
		cfg->net.mechanisms = g_strsplit(mech, " ", -1);
	}
}

static guint delivered(const Server *s)
{
	g_autoptr(GDir) dir = g_dir_open(s->spool, 0, NULL);
	const char *name;
	guint n = 0;

	while (dir && (name = g_dir_read_name(dir)))
		n += g_str_has_suffix(name, ".json");
	return n;
}

static char *spool_file(const Server *s, guint n, const char *ext)
{
	g_autofree char *name = g_strdup_printf("%04u.%s", n, ext);
	g_autofree char *path = g_build_filename(s->spool, name, NULL);
	char *text = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	return text ? text : g_strdup("");
}

static gboolean send_text(const SmtpConfig *cfg, const char *msg, GError **error)
{
	g_autoptr(GBytes) b = g_bytes_new(msg, strlen(msg));
	g_autoptr(SmtpEnvelope) e = smtp_envelope_parse(b, cfg->from, error);
	return e && smtp_send(cfg, e, error);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		g_printerr("\"%s\" lacks \"%s\"\n", hay, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(hay, needle));
}

/* Sends msg as cfg says and asserts it arrived as message number n, with meta_part in
 * its envelope record. */
static void assert_sent(const SmtpConfig *cfg, const Server *s, guint n, const char *msg,
			const char *meta_part)
{
	g_autoptr(GError) err = NULL;
	gboolean ok = send_text(cfg, msg, &err);

	if (!ok)
		g_printerr("send failed: %s\n", err->message);
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_EQUAL(delivered(s), n);
	g_autofree char *meta = spool_file(s, n, "json");
	assert_contains(meta, meta_part);
}

/* Asserts sending fails with code and fragment in the message, and nothing arrives. */
static void assert_fails(const SmtpConfig *cfg, const Server *s, const char *msg, int code,
			 const char *fragment)
{
	g_autoptr(GError) err = NULL;
	guint before = delivered(s);

	CU_ASSERT_FALSE(send_text(cfg, msg, &err));
	CU_ASSERT_TRUE(g_error_matches(err, SMTP_ERROR, code));
	if (err) {
		g_printerr("(expected) %s\n", err->message);
		assert_contains(err->message, fragment);
	}
	g_usleep(100000); /* a delivery would be saved before the reply; give it a moment */
	CU_ASSERT_EQUAL(delivered(s), before);
}

static const char message[] = "From: Alice <alice@example.org>\n"
			      "To: Bob <bob@example.org>, carol@example.org\n"
			      "Cc: \"Dave, D.\" <dave@example.org>\n"
			      "Bcc: hidden@example.org,\n"
			      "\tfriend@example.org\n"
			      "Subject: dots\n"
			      "\n"
			      ".starts with a dot\n"
			      "..two dots\n"
			      ".\n"
			      "last line without newline";
static const char expected[] = "From: Alice <alice@example.org>\r\n"
			       "To: Bob <bob@example.org>, carol@example.org\r\n"
			       "Cc: \"Dave, D.\" <dave@example.org>\r\n"
			       "Subject: dots\r\n"
			       "\r\n"
			       ".starts with a dot\r\n"
			       "..two dots\r\n"
			       ".\r\n"
			       "last line without newline\r\n";
static const char rcpt_json[] = "\"rcpt\": [\"bob@example.org\", \"carol@example.org\", "
				"\"dave@example.org\", \"hidden@example.org\", "
				"\"friend@example.org\"]";

/* Byte-identical apart from the Bcc field and CRLF; recipients exactly To+Cc+Bcc;
 * dot-stuffing undone by the server gives the original lines back. */
static void check_delivery(const char *const *opts)
{
	g_autoptr(Server) s = server_start(opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	SmtpConfig cfg;
	config_for(&cfg, s, NET_SECURITY_PLAIN, NULL);
	assert_sent(&cfg, s, 1, message, rcpt_json);
	g_autofree char *eml = spool_file(s, 1, "eml");
	CU_ASSERT_STRING_EQUAL(eml, expected);
	g_autofree char *meta = spool_file(s, 1, "json");
	assert_contains(meta, "\"from\": \"alice@example.org\"");
	smtp_config_clear(&cfg);
}

static void test_delivery(void)
{
	check_delivery((const char *[]){NULL});
}

static void test_delivery_pipelined(void)
{
	check_delivery((const char *[]){"--pipelining", NULL});
}

static void trace_to(const char *line, gpointer data)
{
	g_string_append_printf(data, "%s\n", line);
}

/* Each mechanism after STARTTLS; the trace never shows the secret. */
static void test_starttls_mechanisms(void)
{
	g_autoptr(Server) s = server_start((const char *[]){"--tls=starttls", "--auth-file", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	const char *mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"};
	for (guint i = 0; i < G_N_ELEMENTS(mechs); i++) {
		g_autoptr(GString) trace = g_string_new(NULL);
		SmtpConfig cfg;
		config_for(&cfg, s, NET_SECURITY_STARTTLS, mechs[i]);
		cfg.net.trace = trace_to;
		cfg.net.trace_data = trace;
		assert_sent(&cfg, s, i + 1, message, "\"login\": \"alice\", \"tls\": true");
		g_autofree char *auth = g_strdup_printf("C: AUTH %s", mechs[i]);
		assert_contains(trace->str, auth);
		assert_contains(trace->str, "C: STARTTLS");
		g_string_replace(trace, "<secret>", "<redacted>", 0);
		if (strstr(trace->str, "secret"))
			g_printerr("trace leaks:\n%s", trace->str);
		CU_ASSERT_PTR_NULL(strstr(trace->str, "secret"));
		CU_ASSERT_PTR_NULL(strstr(trace->str, "c2VjcmV0"));	      /* base64 "secret" */
		CU_ASSERT_PTR_NULL(strstr(trace->str, "AGFsaWNlAHNlY3JldA")); /* PLAIN's */
		smtp_config_clear(&cfg);
	}
}

static void test_implicit_tls_and_auto(void)
{
	g_autoptr(Server) tls =
	    server_start((const char *[]){"--tls=implicit", "--auth-file", NULL});
	g_autoptr(Server) starttls =
	    server_start((const char *[]){"--tls=starttls", "--auth-file", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(tls);
	CU_ASSERT_PTR_NOT_NULL_FATAL(starttls);
	SmtpConfig cfg;

	config_for(&cfg, tls, NET_SECURITY_TLS, "PLAIN");
	assert_sent(&cfg, tls, 1, message, "\"tls\": true");
	cfg.net.security = NET_SECURITY_AUTO;
	assert_sent(&cfg, tls, 2, message, "\"tls\": true");
	smtp_config_clear(&cfg);
	/* AUTO against a STARTTLS-only port: implicit TLS fails, STARTTLS works. */
	config_for(&cfg, starttls, NET_SECURITY_AUTO, "LOGIN");
	assert_sent(&cfg, starttls, 1, message, "\"tls\": true");
	smtp_config_clear(&cfg);
}

static void test_security_refusals(void)
{
	g_autoptr(Server) plain =
	    server_start((const char *[]){"--auth-plaintext", "--auth-file", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	SmtpConfig cfg;

	/* STARTTLS chosen but not offered: an error, never a silent fallback. */
	config_for(&cfg, plain, NET_SECURITY_STARTTLS, "PLAIN");
	assert_fails(&cfg, plain, message, SMTP_ERROR_TLS, "does not offer STARTTLS");
	cfg.net.security = NET_SECURITY_AUTO;
	assert_fails(&cfg, plain, message, SMTP_ERROR_TLS, "STARTTLS");
	/* No password over plaintext unless allowed by name. */
	cfg.net.security = NET_SECURITY_PLAIN;
	assert_fails(&cfg, plain, message, SMTP_ERROR_AUTH, "unencrypted");
	cfg.net.allow_plaintext_auth = TRUE;
	assert_sent(&cfg, plain, 1, message, "\"login\": \"alice\", \"tls\": false");
	smtp_config_clear(&cfg);
	/* No mechanism both allowed and offered. */
	g_autoptr(Server) few = server_start(
	    (const char *[]){"--tls=starttls", "--auth-file", "--mechs", "LOGIN", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(few);
	config_for(&cfg, few, NET_SECURITY_STARTTLS, "CRAM-MD5 PLAIN");
	assert_fails(&cfg, few, message, SMTP_ERROR_AUTH, "no usable SMTP authentication");
	smtp_config_clear(&cfg);
}

static void test_wrong_password(void)
{
	g_autoptr(Server) s = server_start((const char *[]){"--tls=starttls", "--auth-file", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	const char *mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"};
	for (guint i = 0; i < G_N_ELEMENTS(mechs); i++) {
		SmtpConfig cfg;
		config_for(&cfg, s, NET_SECURITY_STARTTLS, mechs[i]);
		if (cfg.net.password)
			g_free(cfg.net.password), cfg.net.password = g_strdup("wrong");
		else
			g_free(cfg.net.oauth2_token), cfg.net.oauth2_token = g_strdup("wrong");
		assert_fails(&cfg, s, message, SMTP_ERROR_AUTH, "refused login");
		smtp_config_clear(&cfg);
	}
	/* Without any login the server refuses the sender. */
	SmtpConfig anon;
	config_for(&anon, s, NET_SECURITY_STARTTLS, NULL);
	assert_fails(&anon, s, message, SMTP_ERROR_NO, "refused the sender");
	smtp_config_clear(&anon);
}

/* One recipient refused: nothing is sent to anybody, with and without PIPELINING. */
static void test_refused_recipient(void)
{
	for (int pipelining = 0; pipelining < 2; pipelining++) {
		const char *opts[] = {"--refuse", "Dave@example.org",
				      pipelining ? "--pipelining" : NULL, NULL};
		g_autoptr(Server) s = server_start(opts);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		SmtpConfig cfg;
		config_for(&cfg, s, NET_SECURITY_PLAIN, NULL);
		assert_fails(&cfg, s, message, SMTP_ERROR_NO, "recipient <dave@example.org>: 550");
		/* The server is still usable afterwards. */
		assert_sent(&cfg, s, 1, "From: a@x.org\nTo: b@x.org\n\nhi\n",
			    "\"rcpt\": [\"b@x.org\"]");
		smtp_config_clear(&cfg);
	}
}

static void test_never_greets(void)
{
	g_autoptr(Server) s = server_start((const char *[]){"--silent", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	SmtpConfig cfg;
	config_for(&cfg, s, NET_SECURITY_PLAIN, NULL);
	cfg.net.greeting_timeout_ms = 300;
	gint64 start = g_get_monotonic_time();
	assert_fails(&cfg, s, message, SMTP_ERROR_TIMEOUT, "no greeting within 300 ms");
	CU_ASSERT_TRUE(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
	smtp_config_clear(&cfg);
}

static void test_smtputf8_and_8bit(void)
{
	static const char utf8[] = "From: Jörg <jörg@example.org>\nTo: b@x.org\n\nGrüße\n";
	static const char body8[] = "From: a@x.org\nTo: b@x.org\n\nGrüße\n";
	g_autoptr(Server) without = server_start((const char *[]){NULL});
	g_autoptr(Server) with = server_start((const char *[]){"--smtputf8", NULL});
	g_autoptr(Server) seven = server_start((const char *[]){"--no-8bitmime", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(without);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seven);
	SmtpConfig cfg;

	config_for(&cfg, without, NET_SECURITY_PLAIN, NULL);
	assert_fails(&cfg, without, utf8, SMTP_ERROR_UNSUPPORTED, "SMTPUTF8");
	assert_sent(&cfg, without, 1, body8, "\"SIZE=");
	g_autofree char *meta = spool_file(without, 1, "json");
	assert_contains(meta, "\"BODY=8BITMIME\"");
	smtp_config_clear(&cfg);

	config_for(&cfg, with, NET_SECURITY_PLAIN, NULL);
	assert_sent(&cfg, with, 1, utf8, "\"from\": \"j\\u00f6rg@example.org\"");
	g_autofree char *meta2 = spool_file(with, 1, "json");
	assert_contains(meta2, "\"SMTPUTF8\"");
	smtp_config_clear(&cfg);

	config_for(&cfg, seven, NET_SECURITY_PLAIN, NULL);
	assert_fails(&cfg, seven, body8, SMTP_ERROR_UNSUPPORTED, "8BITMIME");
	smtp_config_clear(&cfg);
}

/* HELO for an old plain server; never for one that was to give STARTTLS. */
static void test_helo_fallback(void)
{
	g_autoptr(Server) s = server_start((const char *[]){"--no-ehlo", NULL});
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	SmtpConfig cfg;
	config_for(&cfg, s, NET_SECURITY_PLAIN, NULL);
	assert_sent(&cfg, s, 1, "From: a@x.org\nTo: b@x.org\n\nhi\n", "\"rcpt\": [\"b@x.org\"]");
	cfg.net.security = NET_SECURITY_STARTTLS;
	assert_fails(&cfg, s, message, SMTP_ERROR_NO, "refused EHLO");
	smtp_config_clear(&cfg);
}

static guint16 free_port(void)
{
	g_autoptr(GSocket) sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	if (!sock || !g_socket_bind(sock, addr, TRUE, NULL))
		return 0;
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
	return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

static void test_socks_proxy(void)
{
	guint16 port = free_port();
	g_autofree char *port_str = g_strdup_printf("%u", port);
	g_autoptr(GError) err = NULL;
	g_autoptr(GSubprocess) socks =
	    g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			     &err, "microsocks", "-i", "127.0.0.1", "-p", port_str, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(socks);
	g_autoptr(Server) s = server_start((const char *[]){"--tls=starttls", "--auth-file", NULL});
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s) {
		SmtpConfig cfg;
		config_for(&cfg, s, NET_SECURITY_STARTTLS, "PLAIN");
		cfg.net.proxy = g_strdup_printf("socks5://127.0.0.1:%u", port);
		assert_sent(&cfg, s, 1, message, rcpt_json);
		/* The proxy gone: a network error, nothing sent. */
		g_subprocess_force_exit(socks);
		g_subprocess_wait(socks, NULL, NULL);
		assert_fails(&cfg, s, message, SMTP_ERROR_NETWORK, "");
		smtp_config_clear(&cfg);
	}
	g_subprocess_force_exit(socks);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		g_printerr("usage: %s PATH-OF-smtp-server\n", argv[0]);
		return EXIT_FAILURE;
	}
	server_exe = argv[1];
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("smtp", NULL, NULL);
	TEST_ADD(s, test_delivery);
	TEST_ADD(s, test_delivery_pipelined);
	TEST_ADD(s, test_starttls_mechanisms);
	TEST_ADD(s, test_implicit_tls_and_auto);
	TEST_ADD(s, test_security_refusals);
	TEST_ADD(s, test_wrong_password);
	TEST_ADD(s, test_refused_recipient);
	TEST_ADD(s, test_never_greets);
	TEST_ADD(s, test_smtputf8_and_8bit);
	TEST_ADD(s, test_helo_fallback);
	TEST_ADD(s, test_socks_proxy);
	return test_run_all();
}

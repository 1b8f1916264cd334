/* Unit tests for conf/options.c (through fs/options-args.c) and conf/secret.c
 * (fs/errno-map.c: test_fs_errno.c). */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fuse_opt.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/errno-map.h"
#include "conf/options.h"
#include "fs/options-args.h"
#include "conf/secret.h"
#include "imap/error.h"
#include "tests/test-util.h"

/* Parses argv (NULL-terminated); returns the result and leaves the remaining args. */
static gboolean parse(const char *const *argv, ConfOptions *o, struct fuse_args *rest,
		      GError **error)
{
	int argc = (int)g_strv_length((char **)argv);
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	for (int i = 0; i < argc; i++)
		fuse_opt_add_arg(&args, argv[i]);
	gboolean ok = fs_options_parse(&args, o, error);
	*rest = args;
	return ok;
}

static gboolean args_contain(const struct fuse_args *a, const char *needle)
{
	for (int i = 0; i < a->argc; i++)
		if (strstr(a->argv[i], needle))
			return TRUE;
	return FALSE;
}

static void test_full_options(void)
{
	const char *argv[] = {"imapfs",
			      "-f",
			      "/mnt",
			      "-o",
			      "host=mail.example.org,port=1143,user=alice",
			      "-o",
			      "security=starttls,ca_file=/ca.pem,tls_verify=no",
			      "-o",
			      "tls_verify_hostname=no,tls_min=1.3,timeout=5",
			      "-o",
			      "connections=4,cache_dir=/tmp/c,cache_size=512M,ro",
			      "-o",
			      "password_file=/pw,allow_other,log=/var/log/imapfs.log",
			      NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(parse(argv, &o, &rest, &err));
	CU_ASSERT_STRING_EQUAL(o.imap.net.host, "mail.example.org");
	CU_ASSERT_EQUAL(o.imap.net.port, 1143);
	CU_ASSERT_STRING_EQUAL(o.imap.net.user, "alice");
	CU_ASSERT_EQUAL(o.imap.net.security, NET_SECURITY_STARTTLS);
	CU_ASSERT_STRING_EQUAL(o.imap.net.ca_file, "/ca.pem");
	CU_ASSERT_FALSE(o.imap.net.tls_verify_cert);
	CU_ASSERT_FALSE(o.imap.net.tls_verify_hostname);
	CU_ASSERT_EQUAL(o.imap.net.tls_min, NET_TLS_1_3);
	CU_ASSERT_EQUAL(o.imap.net.io_timeout_ms, 5000);
	CU_ASSERT_EQUAL(o.connections, 4);
	CU_ASSERT_STRING_EQUAL(o.cache_dir, "/tmp/c");
	CU_ASSERT_EQUAL(o.cache_size, 512ULL << 20);
	CU_ASSERT_TRUE(o.ro);
	CU_ASSERT_STRING_EQUAL(o.password_file, "/pw");
	CU_ASSERT_STRING_EQUAL(o.log, "/var/log/imapfs.log");
	CU_ASSERT_FALSE(o.imap.net.allow_plaintext_auth);
	/* FUSE's own options stay; ours are gone. */
	CU_ASSERT_TRUE(args_contain(&rest, "allow_other"));
	CU_ASSERT_TRUE(args_contain(&rest, "ro"));
	CU_ASSERT_TRUE(args_contain(&rest, "/mnt"));
	CU_ASSERT_FALSE(args_contain(&rest, "host="));
	CU_ASSERT_FALSE(args_contain(&rest, "password_file"));
	CU_ASSERT_FALSE(args_contain(&rest, "log="));
	fuse_opt_free_args(&rest);
	conf_options_clear(&o);
}

static void test_defaults(void)
{
	const char *argv[] = {"imapfs", "/mnt", "-o", "host=h,user=u", NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(parse(argv, &o, &rest, &err));
	CU_ASSERT_EQUAL(o.imap.net.security, NET_SECURITY_TLS);
	CU_ASSERT_TRUE(o.imap.net.tls_verify_cert);
	CU_ASSERT_TRUE(o.imap.net.tls_verify_hostname);
	CU_ASSERT_EQUAL(o.connections, CONF_DEFAULT_CONNECTIONS);
	CU_ASSERT_FALSE(o.ro);
	CU_ASSERT_EQUAL(o.cache_size, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.cache_dir, "imapfs"));
	CU_ASSERT_PTR_NULL(o.log); /* fs/log.h: stderr with -f, syslog in the background */
	fuse_opt_free_args(&rest);
	conf_options_clear(&o);
}

static void expect_failure(const char *optstr, const char *msg_part)
{
	const char *argv[] = {"imapfs", "/mnt", "-o", optstr, NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_FALSE(parse(argv, &o, &rest, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, msg_part));
	CU_ASSERT_PTR_NULL(o.imap.net.host);
	fuse_opt_free_args(&rest);
	conf_options_clear(&o);
}

static void test_refusals(void)
{
	expect_failure("host=h,user=u,password=hunter2", "password_file");
	expect_failure("host=h,user=u,security=ssl", "security");
	expect_failure("host=h,user=u,tls_verify=maybe", "tls_verify");
	expect_failure("host=h,user=u,tls_min=1.1", "tls_min");
	expect_failure("host=h,user=u,port=70000", "port");
	expect_failure("host=h,user=u,connections=0", "connections");
	expect_failure("host=h,user=u,cache_size=12Q", "cache_size");
	expect_failure("host=h,user=u,log=", "option log");
	expect_failure("user=u", "host");
	expect_failure("host=h,user=u,password_file=a,password_command=b", "not both");
	expect_failure("host=h,user=u,proxy=socks5://px:hunter2@127.0.0.1:1080",
		       "proxy_password_file");
	expect_failure("host=h,user=u,proxy=http://px:@127.0.0.1:3128", "config file");

	/* The refused password is not echoed back. */
	const char *argv[] = {"imapfs", "-o", "host=h,user=u,password=hunter2", NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(parse(argv, &o, &rest, &err));
	CU_ASSERT_PTR_NULL(strstr(err->message, "hunter2"));
	CU_ASSERT_FALSE(args_contain(&rest, "hunter2"));
	fuse_opt_free_args(&rest);
}

static void test_sizes(void)
{
	guint64 v = 7;

	CU_ASSERT_TRUE(conf_parse_size("512M", &v));
	CU_ASSERT_EQUAL(v, 512ULL << 20);
	CU_ASSERT_TRUE(conf_parse_size("2g", &v));
	CU_ASSERT_EQUAL(v, 2ULL << 30);
	CU_ASSERT_TRUE(conf_parse_size("100KB", &v));
	CU_ASSERT_EQUAL(v, 100ULL << 10);
	CU_ASSERT_TRUE(conf_parse_size("123", &v));
	CU_ASSERT_EQUAL(v, 123);
	v = 7;
	CU_ASSERT_FALSE(conf_parse_size("", &v));
	CU_ASSERT_FALSE(conf_parse_size("M", &v));
	CU_ASSERT_FALSE(conf_parse_size("-1M", &v));
	CU_ASSERT_FALSE(conf_parse_size("1MM", &v));
	CU_ASSERT_FALSE(conf_parse_size("99999999999T", &v));
	CU_ASSERT_EQUAL(v, 7);
}

static char *write_file(const char *content, int mode)
{
	g_autoptr(GError) err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("imapfs-pw-XXXXXX", &path, &err);

	g_assert(fd >= 0);
	g_assert(write(fd, content, strlen(content)) == (gssize)strlen(content));
	close(fd);
	g_chmod(path, mode);
	return path;
}

static void test_secret_file(void)
{
	g_autofree char *ok = write_file("s3cret\nignored\n", 0600);
	g_autofree char *open_ = write_file("s3cret\n", 0644);
	g_autofree char *empty = write_file("\n", 0600);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	char *pw = conf_secret_from_file(ok, &e1);

	CU_ASSERT_STRING_EQUAL(pw, "s3cret");
	conf_secret_free(pw);
	CU_ASSERT_PTR_NULL(conf_secret_from_file(open_, &e2));
	CU_ASSERT_PTR_NOT_NULL(e2 ? strstr(e2->message, "0600") : NULL);
	CU_ASSERT_PTR_NULL(conf_secret_from_file(empty, &e3));
	CU_ASSERT_PTR_NOT_NULL(e3);
	g_unlink(ok);
	g_unlink(open_);
	g_unlink(empty);
	conf_secret_free(NULL);
}

static void test_secret_command(void)
{
	g_autoptr(GError) e1 = NULL, e2 = NULL;
	char *pw = conf_secret_from_command("printf 'pa ss\\r\\nmore'", &e1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_STRING_EQUAL(pw, "pa ss");
	conf_secret_free(pw);
	CU_ASSERT_PTR_NULL(conf_secret_from_command("echo x; exit 3", &e2));
	CU_ASSERT_PTR_NOT_NULL(e2);
}

static void test_proxy_url(void)
{
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	char *url;

	CU_ASSERT_TRUE(conf_secret_url_has_password("socks5://u:p@h:1080"));
	CU_ASSERT_TRUE(conf_secret_url_has_password("http://u:@h:3128/"));
	CU_ASSERT_FALSE(conf_secret_url_has_password("socks5://u@h:1080"));
	CU_ASSERT_FALSE(conf_secret_url_has_password("socks5://h:1080"));
	CU_ASSERT_FALSE(conf_secret_url_has_password("http://h:3128/a:b@c"));
	CU_ASSERT_FALSE(conf_secret_url_has_password(NULL));

	url = conf_secret_url_with_password("socks5://px@h:1080", "p@ss:w/rd%", &e1);
	CU_ASSERT_STRING_EQUAL(url, "socks5://px:p%40ss%3Aw%2Frd%25@h:1080");
	conf_secret_free(url);
	CU_ASSERT_PTR_NULL(conf_secret_url_with_password("socks5://h:1080", "p", &e2));
	CU_ASSERT_PTR_NOT_NULL(e2);
	CU_ASSERT_PTR_NULL(conf_secret_url_with_password("socks5://u:x@h:1080", "p", &e3));
	CU_ASSERT_PTR_NOT_NULL(e3);

	/* Without a password the URL is an ordinary option. */
	const char *argv[] = {
	    "imapfs", "-o", "host=h,user=u,proxy=socks5://px@h:1080,proxy_password_file=/f", NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE_FATAL(parse(argv, &o, &rest, &err));
	CU_ASSERT_STRING_EQUAL(o.imap.net.proxy, "socks5://px@h:1080");
	CU_ASSERT_STRING_EQUAL(o.proxy_password_file, "/f");
	fuse_opt_free_args(&rest);
	conf_options_clear(&o);
}

/* The last one given wins, as for every option; the words are kept as given. */
static void test_log_option(void)
{
	const char *argv[] = {"imapfs", "/mnt",	      "-o", "host=h,user=u,log=stderr",
			      "-o",	"log=syslog", NULL};
	ConfOptions o;
	struct fuse_args rest;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(parse(argv, &o, &rest, &err));
	CU_ASSERT_STRING_EQUAL(o.log, "syslog");
	fuse_opt_free_args(&rest);
	conf_options_clear(&o);
	CU_ASSERT_PTR_NULL(o.log);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("conf_options", NULL, NULL);
	TEST_ADD(s, test_full_options);
	TEST_ADD(s, test_defaults);
	TEST_ADD(s, test_refusals);
	TEST_ADD(s, test_sizes);
	TEST_ADD(s, test_secret_file);
	TEST_ADD(s, test_secret_command);
	TEST_ADD(s, test_proxy_url);
	TEST_ADD(s, test_log_option);
	return test_run_all();
}

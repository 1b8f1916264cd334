/* Unit tests for conf/config-file.c and fs/config-args.c: IMAPClient's keys, [DEFAULT] fallback, -o
 * wins, the refusal of a readable file with a password, fstab's ACCOUNT argument. */
#define FUSE_USE_VERSION 34
#include <fuse_opt.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/config-file.h"
#include "fs/config-args.h"
#include "fs/options-args.h"
#include "conf/options.h"
#include "tests/test-util.h"

static char *tmpdir;

static char *write_config(const char *name, const char *text, int mode)
{
	char *path = g_build_filename(tmpdir, name, NULL);

	CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, text, -1, NULL));
	CU_ASSERT_EQUAL_FATAL(g_chmod(path, mode), 0);
	return path;
}

static struct fuse_args make_args(const char *const *argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	for (int i = 0; argv[i]; i++)
		fuse_opt_add_arg(&args, argv[i]);
	return args;
}

static gboolean has_arg(const struct fuse_args *a, const char *arg)
{
	for (int i = 0; i < a->argc; i++)
		if (!strcmp(a->argv[i], arg))
			return TRUE;
	return FALSE;
}

/* The sample from IMAPClient's documentation, as it is. */
static const char imapclient_sample[] = "[DEFAULT]\n"
					"host = imap.mailserver.com\n"
					"username = bob\n"
					"password = sekret\n"
					"ssl = True\n";

static void test_imapclient_sample(void)
{
	g_autofree char *path = write_config("sample", imapclient_sample, 0600);
	ConfFile cfg = {0};
	g_autoptr(GError) err = NULL;
	g_autofree char *opts = conf_file_load(path, NULL, &cfg, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(opts);
	CU_ASSERT_STRING_EQUAL(opts, "security=tls,host=imap.mailserver.com,user=bob");
	CU_ASSERT_STRING_EQUAL(cfg.password, "sekret");
	CU_ASSERT_PTR_NULL(strstr(opts, "sekret"));
	conf_file_clear(&cfg);
	CU_ASSERT_PTR_NULL(cfg.password);
}

static void test_readable_secret_refused(void)
{
	g_autofree char *path = write_config("open", imapclient_sample, 0644);
	g_autofree char *no_secret = write_config("nosecret", "[DEFAULT]\nhost = h\n", 0644);
	ConfFile cfg = {0};
	g_autoptr(GError) err = NULL;
	g_autofree char *opts = conf_file_load(path, NULL, &cfg, &err);
	g_autofree char *want = g_strdup_printf("chmod 600 %s", path);

	CU_ASSERT_PTR_NULL(opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, want));
	CU_ASSERT_PTR_NULL(cfg.password);
	/* Without a secret there is nothing to protect. */
	g_autofree char *ok = conf_file_load(no_secret, NULL, &cfg, NULL);
	CU_ASSERT_PTR_NOT_NULL(ok);
	conf_file_clear(&cfg);
}

static void test_booleans_and_renames(void)
{
	g_autofree char *path = write_config("bools",
					     "[DEFAULT]\n"
					     "host = h\n"
					     "username = u\n"
					     "ssl = off\n"
					     "starttls = YES\n"
					     "ssl_verify_cert = No\n"
					     "ssl_check_hostname = 0\n"
					     "ssl_ca_file = /ca.pem\n"
					     "ro = on\n"
					     "imap_trace = false\n",
					     0600);
	g_autofree char *bad = write_config("badbool", "[DEFAULT]\nssl = maybe\n", 0600);
	ConfFile cfg = {0};
	g_autoptr(GError) err = NULL;
	g_autofree char *opts = conf_file_load(path, NULL, &cfg, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(opts);
	CU_ASSERT_STRING_EQUAL(opts, "security=starttls,host=h,user=u,tls_verify=No,"
				     "tls_verify_hostname=0,ca_file=/ca.pem,ro");
	CU_ASSERT_PTR_NULL(conf_file_load(bad, NULL, &cfg, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	conf_file_clear(&cfg);
}

static const char accounts[] = "[DEFAULT]\n"
			       "host = default.example\n"
			       "port = 993\n"
			       "tunnel = a,b\\c\n"
			       "[work]\n"
			       "host = work.example\n"
			       "username = w\n"
			       "[home]\n"
			       "username = h\n";

/* The file's options go through fs_options_parse, the command line's -o wins, and
 * mount.fuse3's "imapfs ACCOUNT MOUNTPOINT" picks the section. */
static void test_prepare_fstab_style(void)
{
	g_autofree char *path = write_config("accounts", accounts, 0644);
	g_autofree char *cfgopt = g_strdup_printf("config=%s,port=1143", path);
	const char *argv[] = {"imapfs", "work", "/mnt", "-o", cfgopt, NULL};
	struct fuse_args args = make_args(argv);
	ConfFile cfg = {0};
	ConfOptions o;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_STRING_EQUAL(cfg.account, "work");
	CU_ASSERT_TRUE(has_arg(&args, "/mnt"));
	CU_ASSERT_FALSE(has_arg(&args, "work"));
	CU_ASSERT_TRUE_FATAL(fs_options_parse(&args, &o, &err));
	CU_ASSERT_STRING_EQUAL(o.imap.net.host, "work.example");
	CU_ASSERT_STRING_EQUAL(o.imap.net.user, "w");
	CU_ASSERT_EQUAL(o.imap.net.port, 1143);		     /* -o wins over [DEFAULT]'s 993 */
	CU_ASSERT_STRING_EQUAL(o.imap.net.tunnel, "a,b\\c"); /* escapes survive */
	conf_options_clear(&o);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);
}

/* "log = FILE" in a file is -o log=FILE; the command line's wins. */
static void test_log_key(void)
{
	g_autofree char *path = write_config("logkey",
					     "[DEFAULT]\nhost = h\nusername = u\n"
					     "log = /home/u/imap fs.log\n",
					     0600);
	g_autofree char *cfgopt = g_strdup_printf("config=%s", path);
	const char *argv[] = {"imapfs", "/mnt", "-o", cfgopt, NULL};
	const char *argv_cli[] = {"imapfs", "/mnt", "-o", cfgopt, "-o", "log=syslog", NULL};
	struct fuse_args args = make_args(argv);
	ConfFile cfg = {0};
	ConfOptions o;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_TRUE_FATAL(fs_options_parse(&args, &o, &err));
	CU_ASSERT_STRING_EQUAL(o.log, "/home/u/imap fs.log");
	conf_options_clear(&o);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);

	args = make_args(argv_cli);
	CU_ASSERT_TRUE_FATAL(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_TRUE_FATAL(fs_options_parse(&args, &o, &err));
	CU_ASSERT_STRING_EQUAL(o.log, "syslog");
	conf_options_clear(&o);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);
}

static void test_account_option_and_errors(void)
{
	g_autofree char *path = write_config("accounts2", accounts, 0600);
	const char *argv[] = {"imapfs", "--config", path, "--account=home", "--check", NULL};
	const char *argv_bad[] = {"imapfs", "--config", path, "--account=nope", NULL};
	const char *argv_many[] = {"imapfs", "a", "b", "c", NULL};
	struct fuse_args args = make_args(argv);
	ConfFile cfg = {0};
	ConfOptions o;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_TRUE(cfg.check);
	CU_ASSERT_FALSE(has_arg(&args, "--check"));
	CU_ASSERT_TRUE_FATAL(fs_options_parse(&args, &o, &err));
	CU_ASSERT_STRING_EQUAL(o.imap.net.host, "default.example"); /* from [DEFAULT] */
	CU_ASSERT_STRING_EQUAL(o.imap.net.user, "h");
	conf_options_clear(&o);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);

	args = make_args(argv_bad);
	CU_ASSERT_FALSE(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "accounts: work, home"));
	g_clear_error(&err);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);

	args = make_args(argv_many);
	CU_ASSERT_FALSE(fs_config_prepare(&args, &cfg, &err));
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);
}

static void test_secrets_applied(void)
{
	g_autofree char *path = write_config("oauth",
					     "[DEFAULT]\nhost = h\nusername = u\noauth2 = true\n"
					     "oauth2_client_id = id\noauth2_client_secret = cs\n"
					     "oauth2_refresh_token = rt\npassword = pw\n",
					     0600);
	g_autofree char *cfgopt = g_strdup_printf("config=%s", path);
	const char *argv[] = {"imapfs", "/mnt", "-o", cfgopt, NULL};
	struct fuse_args args = make_args(argv);
	ConfFile cfg = {0};
	ConfOptions o;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_TRUE_FATAL(fs_config_prepare(&args, &cfg, &err));
	CU_ASSERT_TRUE_FATAL(fs_options_parse(&args, &o, &err));
	conf_file_apply_secrets(&cfg, &o);
	CU_ASSERT_TRUE(o.oauth2);
	CU_ASSERT_STRING_EQUAL(o.oauth2_client_id, "id");
	CU_ASSERT_STRING_EQUAL(o.oauth2_client_secret, "cs");
	CU_ASSERT_STRING_EQUAL(o.oauth2_refresh_token, "rt");
	CU_ASSERT_STRING_EQUAL(o.imap.net.password, "pw");
	CU_ASSERT_STRING_EQUAL(o.imap.net.mechanisms[0], "OAUTHBEARER");
	conf_options_clear(&o);
	conf_file_clear(&cfg);
	fuse_opt_free_args(&args);
}

static void test_command_line_secret_refused(void)
{
	const char *argv[] = {"imapfs", "/mnt", "-o", "host=h,user=u,oauth2_refresh_token=x", NULL};
	struct fuse_args args = make_args(argv);
	ConfOptions o;
	g_autoptr(GError) err = NULL;

	CU_ASSERT_FALSE(fs_options_parse(&args, &o, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	fuse_opt_free_args(&args);
}

int main(void)
{
	tmpdir = g_dir_make_tmp("imapfs-config-XXXXXX", NULL);
	g_setenv("XDG_CONFIG_HOME", tmpdir, TRUE); /* no user config file leaks in */
	if (!tmpdir || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("conf_config", NULL, NULL);
	TEST_ADD(s, test_imapclient_sample);
	TEST_ADD(s, test_readable_secret_refused);
	TEST_ADD(s, test_booleans_and_renames);
	TEST_ADD(s, test_prepare_fstab_style);
	TEST_ADD(s, test_log_key);
	TEST_ADD(s, test_account_option_and_errors);
	TEST_ADD(s, test_secrets_applied);
	TEST_ADD(s, test_command_line_secret_refused);
	int rc = test_run_all();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	g_free(tmpdir);
	return rc;
}

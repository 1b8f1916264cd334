/* imapfs — mount an IMAP account as a directory tree.
 *
 * Order matters: config file and options, then (without -f) the fork to the background
 * while nothing has started a thread yet (fs/daemon.h), password, one IMAP login (so a wrong
 * password, an unreachable host or a bad certificate fails here, with the exit status of its
 * class from fs/check.h, before anything is mounted; the waiting parent exits with it), then
 * the FUSE session. On unmount or SIGINT/SIGTERM every session logs out and folder metadata
 * is saved for the next mount.
 */
#include <poll.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/status-cmd.h"
#include "fs/cache-damage.h"
#include "fs/check.h"
#include "fs/config-args.h"
#include "fs/daemon.h"
#include "mail/failed.h"
#include "fs/log.h"
#include "fs/mount.h"
#include "conf/oauth2.h"
#include "conf/options-smtp.h"
#include "fs/options-args.h"
#include "fs/stopper.h"
#include "fs/outbox.h"
#include "conf/prompt.h"
#include "conf/secret.h"
#include "fs/watch.h"
#include "fs/write.h"

static void trace_line(const char *line, gpointer data)
{
	/* The session redacts credentials before lines get here. */
	g_printerr("imapfs: %s\n", line);
}

static void usage(const char *prog)
{
	printf("usage: %s [--config FILE] [--account NAME] [ACCOUNT] MOUNTPOINT "
	       "[-o host=HOST,user=USER,options]\n"
	       "       %s --check [--config FILE] [--account NAME] [-o options]\n"
	       "       %s status MOUNTPOINT   (what a running mount reports about itself)\n\n"
	       "%s\n%s\n%s\n",
	       prog, prog, prog, conf_options_help(), conf_smtp_options_help(), fs_check_help());
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

static gboolean get_password(ConfOptions *o, GError **error)
{
	char *pw = NULL;

	if (o->password_file)
		pw = conf_secret_from_file(o->password_file, error);
	else if (o->password_command)
		pw = conf_secret_from_command(o->password_command, error);
	else if (o->imap.net.password || o->oauth2 || o->imap.net.tunnel ||
		 !conf_prompt_available())
		return TRUE; /* from the config file, OAuth2, PREAUTH, or none at all */
	else
		pw = conf_prompt_password(o->imap.net.user, o->imap.net.host, error);
	if (!pw)
		return FALSE;
	o->imap.net.password = g_strdup(pw);
	conf_secret_free(pw);
	return TRUE;
}

/* proxy_password_file: the password goes into the proxy URL in memory, never into argv. */
static gboolean proxy_password(ConfOptions *o, GError **error)
{
	char *pw, *url;

	if (!o->imap.net.proxy) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "proxy_password_file given without proxy=URL");
		return FALSE;
	}
	pw = conf_secret_from_file(o->proxy_password_file, error);
	if (!pw)
		return FALSE;
	url = conf_secret_url_with_password(o->imap.net.proxy, pw, error);
	conf_secret_free(pw);
	if (!url)
		return FALSE;
	conf_secret_free(o->imap.net.proxy);
	o->imap.net.proxy = url;
	return TRUE;
}

static char *account_key(const ImapConfig *c)
{
	return g_strdup_printf("%s@%s:%u", c->net.user, c->net.host, imap_config_port(c));
}

static gboolean fresh_token(ImapConfig *cfg, gpointer oauth, GError **error)
{
	return conf_oauth2_update_config(oauth, cfg, error);
}

/* Login, delimiter, first LIST: everything that should fail before mounting. *step
 * says which one failed, for the message. */
static gboolean connect_account(FsMount *m, ConfOptions *o, ConfOAuth2 *oauth, const char **step,
				GError **error)
{
	ImapSession *s = imap_session_open(&o->imap, error);

	*step = "log in to";
	if (!s)
		return FALSE;
	*step = "read the folder list of";
	if (!imap_session_delimiter(s, &m->delimiter, error)) {
		imap_session_logout(s);
		return FALSE;
	}
	m->pool = imap_pool_new(&o->imap, o->connections, s);
	imap_pool_set_keepalive(m->pool, o->keepalive ? o->keepalive : CONF_DEFAULT_KEEPALIVE);
	if (oauth)
		imap_pool_set_before_connect(m->pool, fresh_token, oauth);
	return fs_mount_refresh_tree(m, 0, error);
}

/* Config file and options: 0, or the exit status of the failure. Starts no thread. */
static int configure(struct fuse_args *args, ConfFile *cfg, ConfOptions *opts)
{
	g_autoptr(GError) err = NULL;

	/* Our options first: a refused one (password=) is reported before anything else. */
	if (!fs_config_prepare(args, cfg, &err) || !fs_options_parse(args, opts, &err)) {
		g_printerr("imapfs: %s\n", err->message);
		return FS_EXIT_USAGE;
	}
	conf_file_apply_secrets(cfg, opts);
	if (opts->trace)
		opts->imap.net.trace = trace_line;
	return FS_EXIT_OK;
}

/* Passwords and tokens: 0, or the exit status of the failure. May start threads (a
 * password command, an HTTPS token request). */
static int credentials(ConfOptions *opts, ConfOAuth2 **oauth, FsOutbox **outbox)
{
	g_autoptr(GError) err = NULL;

	if (!get_password(opts, &err)) {
		g_printerr("imapfs: cannot get the password: %s\nimapfs: try: %s\n", err->message,
			   fs_check_hint(FS_EXIT_CREDENTIALS));
		return FS_EXIT_CREDENTIALS;
	}
	if (opts->proxy_password_file && !proxy_password(opts, &err)) {
		g_printerr("imapfs: cannot get the proxy password: %s\n", err->message);
		return FS_EXIT_CREDENTIALS;
	}
	if (!fs_outbox_new(opts, outbox, &err)) {
		g_printerr("imapfs: cannot get the SMTP password: %s\n", err->message);
		return FS_EXIT_CREDENTIALS;
	}
	*oauth = conf_oauth2_new(opts, &err);
	if (err) {
		g_printerr("imapfs: %s\n", err->message);
		return FS_EXIT_USAGE;
	}
	fs_outbox_set_oauth2(*outbox, *oauth); /* SMTP needs fresh tokens too */
	if (*oauth && !conf_oauth2_update_config(*oauth, &opts->imap, &err)) {
		g_printerr("imapfs: cannot get an OAuth2 access token: %s\nimapfs: try: %s\n",
			   err->message, fs_check_hint(FS_EXIT_CREDENTIALS));
		return FS_EXIT_CREDENTIALS;
	}
	return FS_EXIT_OK;
}

static void open_cache(FsMount *m, const ConfOptions *o)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *key = account_key(&o->imap);

	m->cache = cache_store_open(o->cache_dir, key, o->cache_size, &err);
	if (!m->cache)
		g_printerr("imapfs: warning: no body cache in %s (%s); reading without it\n",
			   o->cache_dir, err->message);
	else
		cache_store_set_damage_func(m->cache, fs_cache_damage_log, m);
}

/* At unmount: queued invalidations are dropped, but one may be under way, blocked in
 * the kernel until a request on its directory (a lookup that arrived after the loop
 * stopped reading) is answered. Keep answering requests until it is done, for at most
 * 5 s. FALSE if it is still under way. */
static gboolean drain_notifier(FsMount *m)
{
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	struct fuse_buf buf = {0};
	gboolean done;

	fs_notify_drop(m);
	/* libfuse discards what it reads once the session has exited. */
	fuse_session_reset(m->se);
	/* A page-cache push (push.h) may also wait for a READ to be answered. */
	while (!(done = !fs_notify_busy(m) && !fs_push_busy(m->push)) &&
	       g_get_monotonic_time() < until) {
		struct pollfd pfd = {.fd = fuse_session_fd(m->se), .events = POLLIN};

		if (poll(&pfd, 1, 50) <= 0 || !(pfd.revents & POLLIN))
			continue;
		int res = fuse_session_receive_buf(m->se, &buf);

		if (res > 0)
			fuse_session_process_buf(m->se, &buf);
		else if (res < 0 && res != -EINTR && res != -EAGAIN)
			g_usleep(10000); /* the connection is gone: the call returns by itself */
	}
	free(buf.mem);
	return done;
}

/* READY_FD: fs_daemon_start()'s pipe to the waiting parent, closed once mounted. */
static int serve(FsMount *m, struct fuse_args *args, struct fuse_cmdline_opts *cl, const FsLog *log,
		 int *ready_fd)
{
	struct fuse_loop_config lc = {0};
	FsStopper *stopper;
	FsWatch *watch;
	int ret = 1;

	m->se = fuse_session_new(args, &fs_ops, sizeof(fs_ops), m);
	if (!m->se)
		return 1;
	if (fuse_set_signal_handlers(m->se) != 0)
		goto destroy;
	if (fuse_session_mount(m->se, cl->mountpoint) != 0)
		goto signals;
	fs_daemon_ready(ready_fd); /* the parent exits 0 now */
	fs_log_start(log); /* no terminal to see the lines from here on */
	fs_notify_start(m);
	m->push = fs_push_new(m);
	watch = fs_watch_start(m);
	stopper = fs_stopper_start(m->se, m->pool);
	/* FUSE_USE_VERSION 34 binds fuse_session_loop_mt to the 3.2 ABI, which reads this
	 * struct, not fuse_loop_cfg_create()'s: that one was read as clone_fd=1 and
	 * max_idle_threads=0, so libfuse made and killed a thread for every request. */
	lc.clone_fd = cl->clone_fd;
	/* libfuse converts this to both the thread limit and the idle limit: the default
	 * (UINT_MAX, "never destroy") is refused there as a thread limit. */
	lc.max_idle_threads = cl->max_idle_threads != G_MAXUINT
				  ? cl->max_idle_threads
				  : (cl->max_threads ? cl->max_threads : 10);
	ret = cl->singlethread ? fuse_session_loop(m->se) : fuse_session_loop_mt(m->se, &lc);
	fs_watch_stop(watch); /* before the notifier it feeds */
	fs_stopper_stop(stopper); /* the sweep's sessions are not cut */
	fs_write_sweep(m, TRUE);  /* nothing written is left unsent */
	fs_push_quit(m->push);
	if (drain_notifier(m)) {
		fs_notify_stop(m);
		fs_push_free(g_steal_pointer(&m->push));
	} else {
		/* The notification thread is still inside libfuse with the session: leave
		 * it (and the session) alone rather than free them under it. */
		g_printerr("imapfs: warning: a kernel cache invalidation or page-cache push "
			   "did not finish; exiting without it\n");
		fuse_session_unmount(m->se);
		fuse_remove_signal_handlers(m->se);
		return ret < 0 ? 1 : 0;
	}
	fuse_session_unmount(m->se);
      signals:
	fuse_remove_signal_handlers(m->se);
destroy:
	fuse_session_destroy(m->se);
	m->se = NULL;
	/* A positive value is the signal (SIGINT/SIGTERM) that ended the loop: a clean stop. */
	return ret < 0 ? 1 : 0;
}

static void teardown(FsMount *m)
{
	fs_read_forget_handles(m);
	fs_readahead_free(m->readahead); /* its fetches use the pool and the cache */
	fs_writes_free(m->writes);
	mail_failed_free(m->failed);
	mail_folders_free(m->folders); /* saves metadata for the next mount */
	imap_pool_free(m->pool);     /* LOGOUT */
	cache_store_close(m->cache);
	fs_tree_free(m->tree);
	fs_inode_table_free(m->inodes);
	g_mutex_clear(&m->list_lock);
	fs_log_limit_free(m->log_limit);
}

static gboolean wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return TRUE;
	return FALSE;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl = {0};
	g_autoptr(GError) err = NULL;
	const char *step = NULL;
	ConfOptions opts;
	FsMount m = {0};
	int ret = 1;

	ConfFile cfg = {0};
	ConfOAuth2 *oauth = NULL;
	FsLog log;
	int ready_fd = -1;
	FsOutbox *outbox = NULL;

	if (fs_status_wanted(argc, argv))
		return fs_status_run(argc, argv);
	conf_options_init(&opts);
	fs_log_init(&log);
	if (wants_help(argc, argv)) {
		if (fuse_parse_cmdline(&args, &cl) == 0 && cl.show_help)
			usage(argv[0]);
		else if (cl.show_version)
			printf("imapfs 0.1.0, FUSE library %s\n", fuse_pkgversion());
		free(cl.mountpoint);
		fuse_opt_free_args(&args);
		return 0;
	}
	ret = configure(&args, &cfg, &opts);
	if (ret != FS_EXIT_OK)
		goto out_opts;
	if (cfg.check) {
		ret = credentials(&opts, &oauth, &outbox);
		if (ret == FS_EXIT_OK)
			ret = fs_check_run(&opts);
		goto out_opts;
	}
	ret = FS_EXIT_USAGE;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		goto out_opts;
	if (!cl.mountpoint) {
		g_printerr("imapfs: no mount point given (see --help)\n");
		goto out_opts;
	}
	if (!fs_log_open(&log, opts.log, cl.foreground, &err)) {
		g_printerr("imapfs: %s\n", err->message);
		goto out_opts;
	}
	ready_fd = fs_daemon_start(cl.foreground); /* only the child returns */
	ret = credentials(&opts, &oauth, &outbox);
	if (ret != FS_EXIT_OK)
		goto out_opts;
	m.opts = &opts;
	m.outbox = outbox;
	m.uid = getuid();
	m.started = time(NULL);
	m.gid = getgid();
	m.inodes = fs_inode_table_new();
	m.log_limit = fs_log_limit_new();
	m.tree = fs_tree_new();
	g_mutex_init(&m.list_lock);
	if (!connect_account(&m, &opts, oauth, &step, &err)) {
		ret = fs_check_exit_code(&opts.imap, err);
		g_printerr("imapfs: cannot %s %s as %s: %s\nimapfs: try: %s\n", step,
			   opts.imap.net.host ? opts.imap.net.host : "the tunnel",
			   opts.imap.net.user ? opts.imap.net.user : "(pre-authenticated)",
			   err->message, fs_check_hint(ret));
		teardown(&m);
		goto out_opts;
	}
	open_cache(&m, &opts);
	m.folders = mail_folders_new(m.pool, m.cache, &m.stats);
	m.readahead = fs_readahead_new(m.pool, m.cache, &m.stats, opts.connections);
	m.writes = fs_writes_new();
	m.failed = mail_failed_new();
	fs_read_start(&m);
	ret = serve(&m, &args, &cl, &log, &ready_fd);
	teardown(&m);
out_opts:
	fs_outbox_free(outbox);
	conf_options_clear(&opts);
	conf_oauth2_free(oauth); /* after the pool that used it (teardown) */
	conf_file_clear(&cfg);
	fs_log_close(&log); /* last: everything above may still log */
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}

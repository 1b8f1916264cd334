/* imapfs fs — the arguments that choose the config file and the account (see
 * config-args.h); reading the file is conf/config-file.c's. */
#define FUSE_USE_VERSION 34
#include "fs/config-args.h"

#include <fuse_opt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *config, *account; /* malloc'd by fuse_opt */
	int check;
	GPtrArray *positional;
} PreArgs;

#define PRE(t, f, v)                                                                               \
	{                                                                                          \
		t, offsetof(PreArgs, f), v                                                         \
	}
/* Only the forms inside -o: fuse_opt would also match "--config %s" against
 * "--config=FILE", so the long options are taken out by take_long_options(). */
static const struct fuse_opt pre_spec[] = {
    PRE("config=%s", config, 0),
    PRE("account=%s", account, 0),
    FUSE_OPT_END,
};

/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: the value (malloc'd), else NULL. */
static char *long_value(const struct fuse_args *args, int *i, const char *name)
{
	const char *a = args->argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return strdup(a + n + 1);
	if (a[n] == '\0' && *i + 1 < args->argc)
		return strdup(args->argv[++*i]);
	return NULL;
}

static void set_str(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* --config, --account and --check, wherever they are (before a "--"). */
static void take_long_options(struct fuse_args *args, PreArgs *pre)
{
	struct fuse_args rest = FUSE_ARGS_INIT(0, NULL);
	gboolean done = FALSE;
	char *v;

	for (int i = 0; i < args->argc; i++) {
		const char *a = args->argv[i];

		if (!done && !strcmp(a, "--"))
			done = TRUE;
		if (!done && i > 0 && !strcmp(a, "-o") && i + 1 < args->argc) {
			fuse_opt_add_arg(&rest, a);
			fuse_opt_add_arg(&rest, args->argv[++i]);
		} else if (!done && i > 0 && !strcmp(a, "--check")) {
			pre->check = 1;
		} else if (!done && i > 0 && (v = long_value(args, &i, "--config"))) {
			set_str(&pre->config, v);
		} else if (!done && i > 0 && (v = long_value(args, &i, "--account"))) {
			set_str(&pre->account, v);
		} else {
			fuse_opt_add_arg(&rest, a);
		}
	}
	fuse_opt_free_args(args);
	*args = rest;
}

static int pre_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	PreArgs *pre = data;

	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	g_ptr_array_add(pre->positional, g_strdup(arg));
	return 0; /* put back by fs_config_prepare */
}

static char *default_path(void)
{
	char *path = g_build_filename(g_get_user_config_dir(), "imapfs", "config", NULL);

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return path;
	g_free(path);
	return NULL;
}

static gboolean take_positional(struct fuse_args *args, PreArgs *pre, GError **error)
{
	GPtrArray *pos = pre->positional;

	if (pos->len > 2) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "too many arguments: expected [ACCOUNT] MOUNTPOINT");
		return FALSE;
	}
	if (pos->len == 2) {
		/* mount.fuse3: "imapfs ACCOUNT MOUNTPOINT -o OPTS". */
		if (!pre->account)
			pre->account = strdup(g_ptr_array_index(pos, 0));
		g_ptr_array_remove_index(pos, 0);
	}
	if (pos->len == 1)
		fuse_opt_add_arg(args, g_ptr_array_index(pos, 0));
	return TRUE;
}

static gboolean insert_file_options(struct fuse_args *args, ConfFile *cfg, const char *account,
				    GError **error)
{
	g_autofree char *opts = conf_file_load(cfg->file, account, cfg, error);

	if (!opts)
		return FALSE;
	if (*opts &&
	    (fuse_opt_insert_arg(args, 1, "-o") != 0 || fuse_opt_insert_arg(args, 2, opts) != 0)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "out of memory");
		explicit_bzero(opts, strlen(opts));
		return FALSE;
	}
	/* The proxy URL may carry a proxy password. */
	explicit_bzero(opts, strlen(opts));
	return TRUE;
}

gboolean fs_config_prepare(struct fuse_args *args, ConfFile *cfg, GError **error)
{
	PreArgs pre = {.positional = g_ptr_array_new_with_free_func(g_free)};
	gboolean ok = FALSE;

	take_long_options(args, &pre);
	if (fuse_opt_parse(args, &pre, pre_spec, pre_proc) != 0) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "cannot parse the arguments");
		goto out;
	}
	if (!take_positional(args, &pre, error))
		goto out;
	cfg->check = pre.check;
	cfg->file = pre.config ? g_strdup(pre.config) : default_path();
	if (!cfg->file) {
		if (pre.account) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "account %s named but no config file (--config FILE, or "
				    "$XDG_CONFIG_HOME/imapfs/config)",
				    pre.account);
			goto out;
		}
		ok = TRUE;
		goto out;
	}
	ok = insert_file_options(args, cfg, pre.account, error);
out:
	free(pre.config);
	free(pre.account);
	g_ptr_array_unref(pre.positional);
	return ok;
}

/* imapfs fs — the command line's options, read with fuse_opt.
 *
 * fs_options_parse() removes imapfs's own options (the SMTP ones first, then the IMAP
 * ones) from ARGS and leaves everything else (mount point, -f, -d, FUSE mount options
 * including ro) for fuse_parse_cmdline() and fuse_session_new(). What each option means,
 * and which values are refused, is conf/'s (conf/options.h).
 *
 * Ownership: as conf_options_init/clear; on failure *opts is left cleared.
 */
#pragma once

#include <glib.h>
#include "conf/options.h"

struct fuse_args;

G_BEGIN_DECLS

gboolean fs_options_parse(struct fuse_args *args, ConfOptions *opts, GError **error);

G_END_DECLS

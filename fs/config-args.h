/* imapfs fs — the arguments that choose the config file and the account, taken out of
 * the command line before fuse_opt sees it (the file's format: conf/config-file.h).
 *
 *     imapfs [--config FILE] [--account NAME] [--check] [ACCOUNT] MOUNTPOINT [-o OPTS]
 *
 * Ownership: CFG is the caller's (conf_file_clear()). On failure ARGS may have lost the
 * arguments named above.
 */
#pragma once

#include <glib.h>
#include "conf/config-file.h"

struct fuse_args;

G_BEGIN_DECLS

/* Removes --config FILE, --config=FILE, --account NAME, --account=NAME, --check, -o
 * config=, -o account= and the ACCOUNT positional argument from ARGS, reads the file and
 * inserts its options (see above). */
gboolean fs_config_prepare(struct fuse_args *args, ConfFile *cfg, GError **error);

G_END_DECLS

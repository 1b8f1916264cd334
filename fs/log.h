/* imapfs fs — where the log lines go: stderr, syslog or a file (-o log=...).
 *
 * Every line imapfs logs is printed with g_printerr("imapfs: ..."). Until the mount is
 * up, lines go to stderr, where whoever started imapfs sees why a mount failed. From
 * fs_log_start() on they go to the target:
 *   stderr  unchanged (the default with -f);
 *   syslog  a g_printerr handler hands each line to syslog(3), ident "imapfs", facility
 *           LOG_DAEMON, without the "imapfs: " prefix (the default in the background,
 *           where stderr is /dev/null; the journal reads /dev/log too); GLib's own
 *           warnings (g_warning, g_critical) go there too;
 *   FILE    the file (opened O_APPEND|O_CLOEXEC, created 0600) becomes stderr, so lines
 *           need no handler, and a tunnel or password command's stderr lands there too.
 * The handler keeps no state of its own (libc keeps syslog's), so nothing of imapfs
 * lives at file scope; FsLog is main()'s and lives until it returns.
 *
 * FsLogLimit drops lines repeated within a second (a loop that keeps failing the same
 * read must not flood the log). Thread safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum { FS_LOG_STDERR, FS_LOG_SYSLOG, FS_LOG_FILE } FsLogKind;

typedef struct {
	FsLogKind kind;
	int fd; /* FS_LOG_FILE: the file, else -1 */
} FsLog;

/* Is VALUE (of -o log=) usable: "syslog", "stderr" or a file name? */
gboolean fs_log_valid(const char *value, GError **error);

/* The target VALUE names (NULL: syslog, or stderr when FOREGROUND); a FILE is opened
 * now, before the fork and the chdir("/"), so that a relative name and an unwritable
 * file are the caller's to see. FALSE with ERROR if it cannot be (*log is then stderr). */
gboolean fs_log_open(FsLog *log, const char *value, gboolean foreground, GError **error);

/* From now on lines go to the target (see above). Call once, from main(), once the mount
 * is up (after fs_daemon_ready(), which points stderr at /dev/null in the background). */
void fs_log_start(const FsLog *log);

/* Stops the syslog handler and closes the file's descriptor (a stderr that fs_log_start()
 * pointed at the file stays there until exit). Accepts an FsLog never opened or started
 * (after fs_log_init()). */
void fs_log_close(FsLog *log);
void fs_log_init(FsLog *log);

/* The syslog priority and text of one line as g_printerr got it: "warning: " lines
 * LOG_WARNING, the protocol trace ("C: ", "S: ") LOG_DEBUG, "try: " hints LOG_NOTICE,
 * every other line LOG_ERR; *text points past "imapfs: " in LINE. */
int fs_log_priority(const char *line, const char **text);

typedef struct FsLogLimit FsLogLimit;

FsLogLimit *fs_log_limit_new(void);
void fs_log_limit_free(FsLogLimit *l); /* accepts NULL */
/* TRUE if LINE may be logged now: not logged in the last second. *DROPPED: how many
 * times it was dropped since it was last logged. A line that passes is also noted as
 * one of the recent errors (below). */
gboolean fs_log_limit_pass(FsLogLimit *l, const char *line, guint *dropped);

/* The FS_LOG_RECENT lines logged last (without "imapfs: "), with their wall-clock times,
 * for `imapfs status`: fs_log_limit_note() adds an error line logged by other means. */
#define FS_LOG_RECENT 5
void fs_log_limit_note(FsLogLimit *l, const char *line);
/* Oldest first, one "YYYY-MM-DD HH:MM:SS LINE\n" each; "" when there are none. g_free. */
char *fs_log_limit_recent(FsLogLimit *l);

G_END_DECLS

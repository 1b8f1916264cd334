/* imapfs fs — the log target and the repeat limit (see log.h). */
#include "fs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PREFIX "imapfs: "
#define LIMIT_US G_USEC_PER_SEC
#define LIMIT_PRUNE_AT 1024 /* distinct lines remembered before old ones are dropped */

void fs_log_init(FsLog *log)
{
	log->kind = FS_LOG_STDERR;
	log->fd = -1;
}

gboolean fs_log_valid(const char *value, GError **error)
{
	if (!value || !*value) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "invalid value '' for option log (expected syslog, stderr or "
				    "a file name)");
		return FALSE;
	}
	return TRUE;
}

gboolean fs_log_open(FsLog *log, const char *value, gboolean foreground, GError **error)
{
	int fd;

	fs_log_init(log);
	if (!value) {
		log->kind = foreground ? FS_LOG_STDERR : FS_LOG_SYSLOG;
		return TRUE;
	}
	if (!fs_log_valid(value, error))
		return FALSE;
	if (!strcmp(value, "stderr"))
		return TRUE;
	if (!strcmp(value, "syslog")) {
		log->kind = FS_LOG_SYSLOG;
		return TRUE;
	}
	fd = open(value, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot open the log %s: %s", value, g_strerror(e));
		return FALSE;
	}
	log->kind = FS_LOG_FILE;
	log->fd = fd;
	return TRUE;
}

int fs_log_priority(const char *line, const char **text)
{
	if (g_str_has_prefix(line, PREFIX))
		line += strlen(PREFIX);
	*text = line;
	if (g_str_has_prefix(line, "warning: "))
		return LOG_WARNING;
	if (g_str_has_prefix(line, "C: ") || g_str_has_prefix(line, "S: "))
		return LOG_DEBUG;
	if (g_str_has_prefix(line, "try: "))
		return LOG_NOTICE;
	return LOG_ERR;
}

/* GLib's print handler takes no user data: everything this needs is in libc (openlog). */
static void to_syslog(const gchar *string)
{
	g_auto(GStrv) lines = g_strsplit(string, "\n", -1);

	for (char **l = lines; *l; l++) {
		const char *text;
		int prio;

		if (!**l)
			continue;
		prio = fs_log_priority(*l, &text);
		syslog(prio, "%s", text);
	}
}

/* GLib's and GIO's own warnings (g_warning, g_critical) bypass g_printerr: the same
 * priorities GLib gives them in the journal; what GLib would drop (debug messages
 * without G_MESSAGES_DEBUG) stays dropped. */
static GLogWriterOutput glib_to_syslog(GLogLevelFlags level, const GLogField *fields,
				       gsize n_fields, gpointer data)
{
	const char *domain = NULL, *message = NULL;
	int prio = LOG_DEBUG;

	for (gsize i = 0; i < n_fields; i++) {
		if (!strcmp(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (!strcmp(fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	if (g_log_writer_default_would_drop(level, domain) || !message)
		return G_LOG_WRITER_HANDLED;
	if (level & G_LOG_LEVEL_ERROR)
		prio = LOG_ERR;
	else if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		prio = LOG_WARNING;
	else if (level & G_LOG_LEVEL_MESSAGE)
		prio = LOG_NOTICE;
	else if (level & G_LOG_LEVEL_INFO)
		prio = LOG_INFO;
	syslog(prio, "%s%s%s", domain ? domain : "", domain ? ": " : "", message);
	return G_LOG_WRITER_HANDLED;
}

void fs_log_start(const FsLog *log)
{
	switch (log->kind) {
	case FS_LOG_SYSLOG:
		/* The ident must outlive every syslog() call: a literal. */
		openlog("imapfs", LOG_PID, LOG_DAEMON);
		g_set_printerr_handler(to_syslog);
		/* Once per process (GLib's rule): fs_log_start() is called once. */
		g_log_set_writer_func(glib_to_syslog, NULL, NULL);
		break;
	case FS_LOG_FILE:
		if (dup2(log->fd, STDERR_FILENO) < 0)
			g_printerr("imapfs: warning: cannot log to the file: %s\n",
				   g_strerror(errno));
		break;
	case FS_LOG_STDERR:
		break;
	}
}

void fs_log_close(FsLog *log)
{
	/* GLib's writer cannot be unset: it stays (syslog(3) reopens the log if need be). */
	if (log->kind == FS_LOG_SYSLOG)
		g_set_printerr_handler(NULL);
	if (log->fd >= 0)
		close(log->fd); /* stderr, if started, stays on the file until exit */
	fs_log_init(log);
}

/* ---- the repeat limit ------------------------------------------------------------ */

struct FsLogLimit {
	GMutex lock;
	GHashTable *seen; /* line -> Seen */
	GQueue recent;	  /* of Recent, oldest first, at most FS_LOG_RECENT */
};

typedef struct {
	GDateTime *when;
	char *line;
} Recent;

static void recent_free(gpointer data)
{
	Recent *r = data;

	g_date_time_unref(r->when);
	g_free(r->line);
	g_free(r);
}

typedef struct {
	gint64 at; /* when it was last logged */
	guint dropped;
} Seen;

FsLogLimit *fs_log_limit_new(void)
{
	FsLogLimit *l = g_new0(FsLogLimit, 1);

	g_mutex_init(&l->lock);
	l->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return l;
}

void fs_log_limit_free(FsLogLimit *l)
{
	if (!l)
		return;
	g_hash_table_unref(l->seen);
	g_queue_clear_full(&l->recent, recent_free);
	g_mutex_clear(&l->lock);
	g_free(l);
}

static gboolean stale(gpointer key, gpointer value, gpointer now)
{
	const Seen *s = value;

	return *(const gint64 *)now - s->at >= LIMIT_US;
}

gboolean fs_log_limit_pass(FsLogLimit *l, const char *line, guint *dropped)
{
	gint64 now = g_get_monotonic_time();
	gboolean pass;
	Seen *s;

	g_mutex_lock(&l->lock);
	s = g_hash_table_lookup(l->seen, line);
	pass = !s || now - s->at >= LIMIT_US;
	*dropped = s ? s->dropped : 0;
	if (!pass) {
		s->dropped++;
	} else if (s) {
		s->at = now;
		s->dropped = 0;
	} else {
		/* Lines seen more than a second ago carry no limit any more. */
		if (g_hash_table_size(l->seen) >= LIMIT_PRUNE_AT)
			g_hash_table_foreach_remove(l->seen, stale, &now);
		s = g_new0(Seen, 1);
		s->at = now;
		g_hash_table_insert(l->seen, g_strdup(line), s);
	}
	g_mutex_unlock(&l->lock);
	if (pass)
		fs_log_limit_note(l, line);
	return pass;
}

void fs_log_limit_note(FsLogLimit *l, const char *line)
{
	Recent *r = g_new0(Recent, 1);

	r->when = g_date_time_new_now_local();
	r->line = g_strdup(line);
	g_mutex_lock(&l->lock);
	g_queue_push_tail(&l->recent, r);
	while (g_queue_get_length(&l->recent) > FS_LOG_RECENT)
		recent_free(g_queue_pop_head(&l->recent));
	g_mutex_unlock(&l->lock);
}

char *fs_log_limit_recent(FsLogLimit *l)
{
	GString *out = g_string_new(NULL);

	g_mutex_lock(&l->lock);
	for (GList *it = l->recent.head; it; it = it->next) {
		const Recent *r = it->data;
		g_autofree char *when = g_date_time_format(r->when, "%Y-%m-%d %H:%M:%S");

		g_string_append_printf(out, "%s %s\n", when, r->line);
	}
	g_mutex_unlock(&l->lock);
	return g_string_free(out, FALSE);
}

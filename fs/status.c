/* imapfs fs — the text of `imapfs status` (see status.h). */
#include "fs/status.h"

#include <string.h>

static const char *security_name(const NetConfig *c)
{
	if (c->tunnel)
		return c->security == NET_SECURITY_PLAIN ? "a tunnel command, no TLS over it"
							 : "a tunnel command, with TLS";
	switch (c->security) {
	case NET_SECURITY_TLS:
		return "implicit TLS";
	case NET_SECURITY_STARTTLS:
		return "STARTTLS";
	case NET_SECURITY_PLAIN:
		return "none (plaintext, chosen by name)";
	case NET_SECURITY_AUTO:
	default:
		return "auto (TLS on 993, else STARTTLS)";
	}
}

static void add_server(GString *out, const ConfOptions *o)
{
	const NetConfig *c = &o->imap.net;

	if (c->tunnel)
		g_string_append_printf(out, "server: tunnel `%s`, user %s\n", c->tunnel,
				       c->user ? c->user : "(pre-authenticated)");
	else
		g_string_append_printf(out, "server: %s port %u, user %s%s\n", c->host,
				       imap_config_port(&o->imap), c->user ? c->user : "?",
				       o->oauth2 ? " (OAuth2)" : "");
	g_string_append_printf(out, "security: %s; certificate %s, host name %s%s\n",
			       security_name(c), c->tls_verify_cert ? "checked" : "NOT checked",
			       c->tls_verify_hostname ? "checked" : "NOT checked",
			       o->ro ? "; mounted read-only" : "");
}

static const char *watch_name(gint mode)
{
	switch (mode) {
	case MAIL_WATCH_NOTIFY:
		return "NOTIFY (the server says what changed), then IDLE";
	case MAIL_WATCH_IDLE:
		return "IDLE on the folder used last, STATUS polls of the others every second";
	case MAIL_WATCH_POLL:
		return "polling: NOOP and STATUS every second (no IDLE on this server)";
	default:
		return "not connected (changes are seen when a folder is listed)";
	}
}

static void add_watch(GString *out, const FsStatusSource *m)
{
	g_autoptr(GPtrArray) recent = mail_folders_recent(m->folders, MAIL_WATCH_MAX);

	guint open = 0, busy = 0;

	if (m->pool)
		imap_pool_counts(m->pool, &open, &busy);
	g_string_append_printf(out, "connections: %u for requests, 1 for the watcher\n",
			       m->opts->connections);
	if (m->pool)
		g_string_append_printf(out, "connections in use: %u of %u open\n", busy, open);
	g_string_append_printf(out, "watching: %s\n",
			       watch_name(g_atomic_int_get(&m->stats->watch_mode)));
	g_string_append_printf(out, "watched: %u folder%s", recent->len,
			       recent->len == 1 ? "" : "s");
	for (guint i = 0; i < recent->len; i++)
		g_string_append_printf(out, "%s%s", i ? ", " : ": ",
				       mail_folder_mailbox(g_ptr_array_index(recent, i)));
	g_string_append_c(out, '\n');
}

static void add_cache(GString *out, const FsStatusSource *m)
{
	MailStats *st = m->stats;
	g_autofree char *used = NULL, *limit = NULL;

	if (!m->cache) {
		g_string_append(out, "cache: none (it could not be opened)\n");
	} else {
		used = g_format_size_full(cache_store_size(m->cache), G_FORMAT_SIZE_IEC_UNITS);
		limit = m->opts->cache_size
			    ? g_format_size_full(m->opts->cache_size, G_FORMAT_SIZE_IEC_UNITS)
			    : NULL;
		g_string_append_printf(out, "cache: %s%s%s, in %s\n", used, limit ? " of " : "",
				       limit ? limit : ", no limit", cache_store_path(m->cache));
	}
	g_string_append_printf(out,
			       "bodies: %d served from the cache, %d fetched from the server in "
			       "%d FETCH commands\n",
			       g_atomic_int_get(&st->cache_hits),
			       g_atomic_int_get(&st->bodies_fetched),
			       g_atomic_int_get(&st->body_fetches));
	g_string_append_printf(out, "listings: %d full, %d incremental, %d of the folder tree\n",
			       g_atomic_int_get(&st->meta_fetches),
			       g_atomic_int_get(&st->revalidations), g_atomic_int_get(&st->lists));
}

static void add_outbox(GString *out, const FsStatusSource *m)
{
	const ConfSmtpOptions *so = m->opts->smtp;
	MailStats *st = m->stats;
	g_autofree char *port = NULL;

	if (!so || !m->outbox) {
		g_string_append(out, "outbox: none (no smtp_host)\n");
		return;
	}
	port = so->port ? g_strdup_printf(" port %u", so->port) : g_strdup("");
	g_string_append_printf(out,
			       "outbox: %s, sent by %s%s (%s): %d being sent now, %d sent, %d "
			       "not sent\n",
			       so->outbox, so->host, port,
			       so->no_auth ? "no AUTH: smtp_auth=none" : "AUTH",
			       g_atomic_int_get(&st->sending), g_atomic_int_get(&st->sent),
			       g_atomic_int_get(&st->send_failures));
}

char *fs_status_format(const FsStatusSource *m)
{
	GString *out = g_string_new(NULL);
	g_autofree char *errors = fs_log_limit_recent(m->log);
	g_autoptr(GDateTime) since = g_date_time_new_from_unix_local(m->started);
	g_autofree char *when = g_date_time_format(since, "%Y-%m-%d %H:%M:%S");

	add_server(out, m->opts);
	g_string_append_printf(out, "mounted since: %s\n", when);
	add_watch(out, m);
	add_cache(out, m);
	add_outbox(out, m);
	g_string_append(out, "last errors:");
	if (!*errors) {
		g_string_append(out, " none\n");
		return g_string_free(out, FALSE);
	}
	g_string_append_c(out, '\n');
	for (char *line = errors, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		g_string_append_printf(out, "  %.*s\n", (int)(nl - line), line);
	return g_string_free(out, FALSE);
}

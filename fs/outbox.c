/* imapfs fs — the outbox (see outbox.h): SMTP settings, the outbox directory entry, and
 * sending a closed file then storing it in Sent. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fs/errno-map.h"
#include "conf/options-smtp.h"
#include "fs/outbox.h"
#include "conf/secret.h"
#include "fs/write.h"
#include "smtp/client.h"

struct FsOutbox {
	SmtpConfig smtp_cfg; /* read-only once made: a send with a fresh token copies it */
	char *name;
	char *sent_configured; /* sent_folder=, or NULL */
	GMutex sent_lock;
	char *sent_found; /* the \Sent folder once looked up (guarded by sent_lock) */
	ConfOAuth2 *oauth2; /* borrowed; NULL: no OAuth2 */
};

const char *fs_outbox_name(const FsOutbox *o)
{
	return o ? o->name : NULL;
}

gboolean fs_outbox_is(const FsMount *m, const char *mailbox)
{
	return m->outbox && mailbox && strcmp(mailbox, FS_OUTBOX_MAILBOX) == 0;
}

/* ---- settings ------------------------------------------------------------------------ */

static gboolean smtp_password(SmtpConfig *smtp_cfg, const ConfSmtpOptions *so,
			      const ConfOptions *opts, GError **error)
{
	char *pw = NULL;

	if (so->password_file)
		pw = conf_secret_from_file(so->password_file, error);
	else if (so->password_command)
		pw = conf_secret_from_command(so->password_command, error);
	else {
		/* The IMAP credentials serve SMTP too, as with most providers. */
		smtp_cfg->net.password = g_strdup(opts->imap.net.password);
		smtp_cfg->net.oauth2_token = g_strdup(opts->imap.net.oauth2_token);
		return TRUE;
	}
	if (!pw)
		return FALSE;
	smtp_cfg->net.password = g_strdup(pw);
	conf_secret_free(pw);
	return TRUE;
}

static void copy_tls(const ConfSmtpOptions *so, const ImapConfig *imap, NetConfig *net)
{
	net->ca_file = g_strdup(so->ca_file ? so->ca_file : imap->net.ca_file);
	net->tls_verify_cert = so->tls_verify == -1 ? imap->net.tls_verify_cert : so->tls_verify;
	net->tls_verify_hostname =
	    so->tls_verify_hostname == -1 ? imap->net.tls_verify_hostname : so->tls_verify_hostname;
	net->tls_min = imap->net.tls_min;
	net->tls_priority = g_strdup(imap->net.tls_priority);
	/* Choosing plaintext by name is the consent to send the password in clear. */
	net->allow_plaintext_auth = so->allow_plaintext_auth == -1
					? so->security == NET_SECURITY_PLAIN
					: so->allow_plaintext_auth;
}

/* The SMTP settings of SO: the net part from SO, the IMAP settings where SO has none. */
static void smtp_settings(SmtpConfig *c, const ConfSmtpOptions *so, const ConfOptions *opts)
{
	smtp_config_init(c);
	c->net.host = g_strdup(so->host);
	c->net.port = so->port;
	c->net.security = so->security;
	c->net.user = g_strdup(so->user ? so->user : opts->imap.net.user);
	c->net.mechanisms = g_strdupv(so->mechanisms);
	c->net.proxy = g_strdup(so->proxy);
	c->net.io_timeout_ms = so->timeout_ms;
	c->net.connect_timeout_ms = so->timeout_ms;
	c->net.greeting_timeout_ms = so->greeting_timeout_ms;
	c->net.trace = opts->imap.net.trace;
	c->net.trace_data = opts->imap.net.trace_data;
	copy_tls(so, &opts->imap, &c->net);
	c->from = g_strdup(so->from);
	c->helo_name = g_strdup(so->helo_name);
}

gboolean fs_outbox_new(const ConfOptions *opts, FsOutbox **out, GError **error)
{
	const ConfSmtpOptions *so = opts->smtp;
	FsOutbox *o;

	*out = NULL;
	if (!so)
		return TRUE;
	o = g_new0(FsOutbox, 1);
	smtp_settings(&o->smtp_cfg, so, opts);
	o->smtp_cfg.no_auth = so->no_auth;
	if (so->no_auth) {
		g_clear_pointer(&o->smtp_cfg.net.user, g_free);
	} else if (!smtp_password(&o->smtp_cfg, so, opts, error)) {
		smtp_config_clear(&o->smtp_cfg);
		g_free(o);
		return FALSE;
	}
	o->name = g_strdup(so->outbox);
	o->sent_configured = g_strdup(so->sent_folder);
	g_mutex_init(&o->sent_lock);
	*out = o;
	return TRUE;
}

void fs_outbox_set_oauth2(FsOutbox *o, ConfOAuth2 *oauth2)
{
	if (o)
		o->oauth2 = oauth2;
}

void fs_outbox_free(FsOutbox *o)
{
	if (!o)
		return;
	smtp_config_clear(&o->smtp_cfg);
	g_free(o->name);
	g_free(o->sent_configured);
	g_free(o->sent_found);
	g_mutex_clear(&o->sent_lock);
	g_free(o);
}

/* ---- the directory -------------------------------------------------------------------- */

gboolean fs_outbox_lookup(fuse_req_t req, FsMount *m, const FsNode *parent, const char *name)
{
	struct fuse_entry_param e;
	struct stat st;
	FsNode *n;

	if (!m->outbox || *parent->mailbox || strcmp(name, m->outbox->name) != 0)
		return FALSE;
	n = fs_inode_ref_dir(m->inodes, FS_OUTBOX_MAILBOX);
	fs_mount_dir_attr(m, FS_OUTBOX_MAILBOX, n->ino, &st);
	fs_mount_fill_entry(&e, n, &st);
	if (fuse_reply_entry(req, &e) != 0)
		fs_inode_forget(m->inodes, n->nodeid, 1);
	return TRUE;
}

/* ---- sending ---------------------------------------------------------------------------- */

static GBytes *read_all(int fd, guint64 size, int *err)
{
	g_autofree char *buf = g_malloc(size ? size : 1);
	guint64 got = 0;

	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
		if (n <= 0) {
			*err = n < 0 ? errno : EIO;
			return NULL;
		}
		got += (guint64)n;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), size);
}

/* sent_folder=, else the folder the server marks \Sent (looked up once), else "Sent". */
static char *sent_folder(FsOutbox *o, ImapSession *s)
{
	g_autoptr(GPtrArray) list = NULL;
	char *found = NULL;

	if (o->sent_configured)
		return g_strdup(o->sent_configured);
	g_mutex_lock(&o->sent_lock);
	if (!o->sent_found && imap_session_list(s, "*", FALSE, &list, NULL)) {
		for (guint i = 0; i < list->len && !o->sent_found; i++) {
			ImapMailbox *mb = g_ptr_array_index(list, i);
			if (mb->flags && g_strv_contains((const char *const *)mb->flags, "\\Sent"))
				o->sent_found = g_strdup(mb->name);
		}
		if (!o->sent_found)
			o->sent_found = g_strdup("Sent");
	}
	found = g_strdup(o->sent_found ? o->sent_found : "Sent");
	g_mutex_unlock(&o->sent_lock);
	return found;
}

/* The copy in Sent, with \Seen. The message has gone out already, so a failure here is a
 * warning, not close()'s error: reporting it would invite sending twice. */
static void store_sent(FsMount *m, int fd, guint64 size)
{
	static char *const seen[] = {"\\Seen", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *folder = NULL;
	guint32 v = 0, uid = 0;
	gboolean ok, created = FALSE;
	ImapSession *s = fs_write_session(m, NULL, NULL, NULL, &error);

	if (!s) {
		g_printerr("imapfs: outbox: sent, but no copy stored: %s\n", error->message);
		return;
	}
	folder = sent_folder(m->outbox, s);
	ok = imap_session_append(s, folder, seen, -1, fd, size, &v, &uid, &error);
	if (!ok && imap_error_code(error) == IMAP_CODE_TRYCREATE &&
	    imap_session_create(s, folder, NULL)) {
		g_clear_error(&error);
		ok = imap_session_append(s, folder, seen, -1, fd, size, &v, &uid, &error);
		created = TRUE;
	}
	imap_pool_release(m->pool, s);
	/* Only now: the LIST needs a pool session, and a pool of one has just this one. */
	if (created)
		fs_mount_refresh_tree(m, 0, NULL);
	if (!ok) {
		g_printerr("imapfs: outbox: sent, but no copy stored in %s: %s\n", folder,
			   error->message);
		return;
	}
	fs_write_refresh(m, folder);
}

/* smtp_cfg is shared and read-only: a token fresh for this send goes into a copy. */
static gboolean send_with_fresh_token(const FsOutbox *o, const SmtpEnvelope *env, GError **error)
{
	SmtpConfig cfg;
	char *token;
	gboolean ok;

	if (!o->oauth2 || o->smtp_cfg.net.password || o->smtp_cfg.no_auth)
		return smtp_send(&o->smtp_cfg, env, error);
	token = conf_oauth2_token(o->oauth2, error);
	if (!token)
		return FALSE;
	smtp_config_copy(&cfg, &o->smtp_cfg);
	conf_secret_free(cfg.net.oauth2_token);
	cfg.net.oauth2_token = token;
	ok = smtp_send(&cfg, env, error);
	smtp_config_clear(&cfg);
	return ok;
}

/* One line in the log, and one of the recent errors `imapfs status` shows. */
static void refused(FsMount *m, const char *why)
{
	g_autofree char *line = g_strdup_printf("outbox: not sent: %s", why);

	g_printerr("imapfs: %s\n", line);
	fs_log_limit_note(m->log_limit, line);
	g_atomic_int_inc(&m->stats.send_failures);
}

int fs_outbox_send(FsMount *m, int fd, guint64 size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) message = NULL;
	g_autoptr(SmtpEnvelope) env = NULL;
	int err = 0;
	gboolean ok;

	if (size > SMTP_MAX_MESSAGE_BYTES)
		return EFBIG;
	message = read_all(fd, size, &err);
	if (!message)
		return err;
	env = smtp_envelope_parse(message, m->outbox->smtp_cfg.from, &error);
	if (!env) {
		refused(m, error->message);
		return EINVAL;
	}
	g_atomic_int_inc(&m->stats.sending);
	ok = send_with_fresh_token(m->outbox, env, &error);
	g_atomic_int_add(&m->stats.sending, -1);
	if (!ok) {
		refused(m, error->message);
		return fs_errno_from_error(error);
	}
	g_atomic_int_inc(&m->stats.sent);
	store_sent(m, fd, size);
	return 0;
}

/* imapfs fs — `imapfs --check` and the exit codes of connection failures (see check.h). */
#include "fs/check.h"

#include <stdio.h>
#include <string.h>

#include "imap/error.h"
#include "imap/session.h"

static gboolean proxy_refused(const ImapConfig *cfg, const GError *error)
{
	const char *reason = strstr(error->message, "through the proxy: ");
	g_autofree char *lower = NULL;

	if (!cfg->net.proxy || !reason)
		return FALSE;
	/* GIO's own words for a proxy that answered but said no. */
	lower = g_ascii_strdown(reason + strlen("through the proxy: "), -1);
	return strstr(lower, "proxy") || strstr(lower, "socks") || strstr(lower, "auth");
}

int fs_check_exit_code(const ImapConfig *cfg, const GError *error)
{
	if (!error || error->domain != IMAP_ERROR)
		return FS_EXIT_SERVER;
	switch (error->code) {
	case IMAP_ERROR_NETWORK:
		return proxy_refused(cfg, error) ? FS_EXIT_PROXY : FS_EXIT_UNREACHABLE;
	case IMAP_ERROR_TIMEOUT:
		return FS_EXIT_TIMEOUT;
	case IMAP_ERROR_TLS:
		return FS_EXIT_TLS;
	case IMAP_ERROR_AUTH:
		return FS_EXIT_AUTH;
	case IMAP_ERROR_INVALID:
		return FS_EXIT_USAGE;
	default:
		return FS_EXIT_SERVER;
	}
}

const char *fs_check_hint(int exit_code)
{
	switch (exit_code) {
	case FS_EXIT_CREDENTIALS:
		return "check password_file (mode 0600), password_command or the OAuth2 "
		       "settings (oauth2_token_command, oauth2_token_url and the secrets)";
	case FS_EXIT_UNREACHABLE:
		return "check host and port and that the server (or proxy, or tunnel command) "
		       "runs; security=auto tries 993 then 143";
	case FS_EXIT_TIMEOUT:
		return "the server did not answer in time: a wrong port (TLS spoken to a "
		       "STARTTLS port or the other way round), a firewall that drops packets, "
		       "or raise timeout=, connect_timeout=, greeting_timeout=";
	case FS_EXIT_TLS:
		return "for a private CA set ca_file=FILE; for a name not in the certificate "
		       "use the name it has; a changed certificate needs a new tls_pin_sha256; "
		       "for a version mismatch see tls_min= and tls_priority=";
	case FS_EXIT_AUTH:
		return "check user= and the password (or token); mechanisms= limits how "
		       "imapfs logs in, allow_plaintext_auth=yes allows it without TLS";
	case FS_EXIT_PROXY:
		return "check the proxy URL's user name and password and that the proxy allows "
		       "connections to this host and port";
	case FS_EXIT_USAGE:
		return "see imapfs --help";
	default:
		return "the server's message above says what it refused";
	}
}

static const char *security_name(NetSecurity s)
{
	static const char *const names[] = {"tls", "starttls", "plain", "auto"};

	return (guint)s < G_N_ELEMENTS(names) ? names[s] : "?";
}

static void print_caps(ImapSession *s)
{
	g_autofree char *caps = g_strjoinv(" ", (char **)imap_session_caps(s));

	printf("capabilities: %s\n", caps ? caps : "");
}

static gboolean print_folders(ImapSession *s, GError **error)
{
	gboolean status = imap_session_has_cap(s, "LIST-STATUS");
	g_autoptr(GPtrArray) list = NULL;

	if (!imap_session_list(s, "*", status, &list, error))
		return FALSE;
	printf("folders: %u\n", list->len);
	for (guint i = 0; i < list->len; i++) {
		ImapMailbox *mb = g_ptr_array_index(list, i);

		if (mb->noselect)
			printf("  %s (no messages: not selectable)\n", mb->name);
		else if (mb->messages >= 0)
			printf("  %s %" G_GINT64_FORMAT " messages\n", mb->name, mb->messages);
		else
			printf("  %s\n", mb->name);
	}
	return TRUE;
}

static int fail(const ImapConfig *cfg, const char *what, const GError *error)
{
	int code = fs_check_exit_code(cfg, error);

	g_printerr("imapfs: check failed: %s: %s\nimapfs: try: %s\n", what, error->message,
		   fs_check_hint(code));
	return code;
}

int fs_check_run(const ConfOptions *opts)
{
	const ImapConfig *cfg = &opts->imap;
	g_autoptr(GError) err = NULL;
	ImapSession *s;

	if (cfg->net.tunnel)
		printf("connecting through the tunnel command\n");
	else
		printf("connecting to %s port %u (security %s%s)\n", cfg->net.host,
		       imap_config_port(cfg), security_name(cfg->net.security),
		       cfg->net.proxy ? ", through a proxy" : "");
	fflush(stdout);
	s = imap_session_open(cfg, &err);
	if (!s)
		return fail(cfg, "connect and log in", err);
	printf("logged in as %s with %s\n", cfg->net.user ? cfg->net.user : "(pre-authenticated)",
	       imap_session_auth_mechanism(s));
	print_caps(s);
	if (!print_folders(s, &err)) {
		int code = fail(cfg, "list folders", err);
		imap_session_free(s);
		return code;
	}
	imap_session_logout(s);
	printf("check passed\n");
	return FS_EXIT_OK;
}

const char *fs_check_help(void)
{
	return "configuration:\n"
	       "    --config FILE             config file (default "
	       "$XDG_CONFIG_HOME/imapfs/config)\n"
	       "    --account NAME            its section; also the first of two arguments\n"
	       "                              (imapfs ACCOUNT MOUNTPOINT, as mount.fuse3 runs it)\n"
	       "    --check                   connect, log in, list folders and capabilities,\n"
	       "                              then exit (no mount point needed)\n"
	       "exit status of --check (and of imapfs when it cannot connect):\n"
	       "    0 ok  1 usage/config  2 no credentials  3 unreachable  4 timed out\n"
	       "    5 TLS/certificate  6 authentication refused  7 refused by the proxy\n"
	       "    8 server error\n";
}

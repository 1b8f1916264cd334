/* imapfs conf — the SMTP options from their raw values (see options-smtp.h). */
#include "conf/options-smtp.h"
#include "conf/secret.h"

#include <stdlib.h>
#include <string.h>

void conf_smtp_raw_free(ConfRawSmtp *r)
{
	char **strs[] = {&r->host,
			 &r->security,
			 &r->user,
			 &r->password_command,
			 &r->password_file,
			 &r->mechanisms,
			 &r->proxy,
			 &r->ca_file,
			 &r->tls_verify,
			 &r->tls_verify_hostname,
			 &r->allow_plaintext_auth,
			 &r->outbox,
			 &r->sent_folder,
			 &r->from,
			 &r->helo_name,
			 &r->auth};

	for (gsize i = 0; i < G_N_ELEMENTS(strs); i++) {
		if (*strs[i])
			r->any = 1;
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

void conf_smtp_options_free(ConfSmtpOptions *o)
{
	if (!o)
		return;
	g_free(o->host);
	g_free(o->user);
	g_free(o->password_command);
	g_free(o->password_file);
	g_strfreev(o->mechanisms);
	if (o->proxy) /* may carry user:pass@ */
		explicit_bzero(o->proxy, strlen(o->proxy));
	g_free(o->proxy);
	g_free(o->ca_file);
	g_free(o->outbox);
	g_free(o->sent_folder);
	g_free(o->from);
	g_free(o->helo_name);
	g_free(o);
}

static gboolean bad(GError **error, const char *opt, const char *val, const char *expect)
{
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "invalid value '%s' for option %s (expected %s)", val, opt, expect);
	return FALSE;
}

/* -1 unset, 0 no, 1 yes. */
static gboolean tristate(const char *opt, const char *val, int *out, GError **error)
{
	static const char *const yes[] = {"yes", "true", "1", "on", NULL};
	static const char *const no[] = {"no", "false", "0", "off", NULL};

	*out = -1;
	if (!val)
		return TRUE;
	for (guint i = 0; yes[i]; i++) {
		if (!g_ascii_strcasecmp(val, yes[i]))
			return *out = 1, TRUE;
		if (!g_ascii_strcasecmp(val, no[i]))
			return *out = 0, TRUE;
	}
	return bad(error, opt, val, "yes or no");
}

static gboolean security(const char *val, NetSecurity *out, GError **error)
{
	static const char *const names[] = {"tls", "starttls", "plain", "auto"};

	*out = NET_SECURITY_AUTO;
	if (!val)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (!strcmp(val, names[i]))
			return *out = (NetSecurity)i, TRUE;
	}
	return bad(error, "smtp_security", val, "tls, starttls, plain or auto");
}

static gboolean mechanisms(const char *val, char ***out, GError **error)
{
	static const char *const known[] = {"PLAIN",   "LOGIN",	      "CRAM-MD5",
					    "XOAUTH2", "OAUTHBEARER", NULL};
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;

	if (!val)
		return TRUE;
	parts = g_strsplit_set(val, " ,:;", -1);
	for (char **p = parts; *p; p++) {
		if (!**p)
			continue;
		g_ptr_array_add(list, g_ascii_strup(*p, -1));
		if (!g_strv_contains(known, g_ptr_array_index(list, list->len - 1)))
			return bad(error, "smtp_mechanisms", *p,
				   "PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER");
	}
	if (list->len == 0)
		return bad(error, "smtp_mechanisms", val, "at least one mechanism");
	g_ptr_array_add(list, NULL);
	*out = (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
	return TRUE;
}

static gboolean seconds_ms(const char *opt, int val, guint *ms, GError **error)
{
	if (val == -1)
		return TRUE;
	if (val <= 0 || val > 3600)
		return bad(error, opt, "out of range", "1..3600 seconds");
	*ms = (guint)val * 1000;
	return TRUE;
}

static gboolean check(const ConfRawSmtp *r, GError **error)
{
	if (r->password_given) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "the SMTP password is never taken from the command line; use "
				    "-o smtp_password_file=FILE or -o smtp_password_command=CMD");
		return FALSE;
	}
	/* The smtp_proxy URL of a config file comes through ConfFile, as proxy's does. */
	if (conf_secret_url_has_password(r->proxy)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "a proxy password is never taken from the command line (other "
				    "users can read it); put smtp_proxy in the config file (mode "
				    "0600)");
		return FALSE;
	}
	if (r->password_command && r->password_file) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "give smtp_password_file or smtp_password_command, not both");
		return FALSE;
	}
	if (r->outbox && (!*r->outbox || strchr(r->outbox, '/') || !strcmp(r->outbox, ".") ||
			  !strcmp(r->outbox, "..")))
		return bad(error, "outbox", r->outbox, "a file name");
	if (r->port != -1 && (r->port <= 0 || r->port > 65535))
		return bad(error, "smtp_port", "out of range", "1..65535");
	return TRUE;
}

/* smtp_auth=login (the default) or none; none rules out every credential option, so a
 * forgotten one is said rather than silently unused. */
static gboolean auth_mode(const ConfRawSmtp *r, gboolean *no_auth, GError **error)
{
	*no_auth = FALSE;
	if (!r->auth || !strcmp(r->auth, "login"))
		return TRUE;
	if (strcmp(r->auth, "none"))
		return bad(error, "smtp_auth", r->auth, "login or none");
	if (r->user || r->password_file || r->password_command || r->mechanisms) {
		g_set_error_literal(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "smtp_auth=none sends no credentials: drop smtp_user, "
		    "smtp_password_file, smtp_password_command and smtp_mechanisms");
		return FALSE;
	}
	*no_auth = TRUE;
	return TRUE;
}

static gboolean apply(const ConfRawSmtp *r, ConfSmtpOptions *o, GError **error)
{
	if (!check(r, error) || !auth_mode(r, &o->no_auth, error) ||
	    !security(r->security, &o->security, error) ||
	    !mechanisms(r->mechanisms, &o->mechanisms, error) ||
	    !tristate("smtp_tls_verify", r->tls_verify, &o->tls_verify, error) ||
	    !tristate("smtp_tls_verify_hostname", r->tls_verify_hostname, &o->tls_verify_hostname,
		      error) ||
	    !tristate("smtp_allow_plaintext_auth", r->allow_plaintext_auth,
		      &o->allow_plaintext_auth, error) ||
	    !seconds_ms("smtp_timeout", r->timeout, &o->timeout_ms, error) ||
	    !seconds_ms("smtp_greeting_timeout", r->greeting_timeout, &o->greeting_timeout_ms,
			error))
		return FALSE;
	o->host = g_strdup(r->host);
	o->port = r->port == -1 ? 0 : (guint16)r->port;
	o->user = g_strdup(r->user);
	o->password_command = g_strdup(r->password_command);
	o->password_file = g_strdup(r->password_file);
	o->proxy = g_strdup(r->proxy);
	o->ca_file = g_strdup(r->ca_file);
	o->outbox = g_strdup(r->outbox ? r->outbox : ".outbox");
	o->sent_folder = g_strdup(r->sent_folder);
	o->from = g_strdup(r->from);
	o->helo_name = g_strdup(r->helo_name);
	return TRUE;
}

gboolean conf_smtp_options_from_raw(ConfRawSmtp *raw, ConfSmtpOptions **out, GError **error)
{
	g_autoptr(GError) err = NULL;
	ConfSmtpOptions *o;
	gboolean ok;

	*out = NULL;
	o = g_new0(ConfSmtpOptions, 1);
	ok = apply(raw, o, &err);
	gboolean has_host = raw->host && *raw->host;
	conf_smtp_raw_free(raw);
	if (ok && !has_host &&
	    (raw->any || raw->port != -1 || raw->timeout != -1 || raw->greeting_timeout != -1)) {
		ok = FALSE;
		g_set_error_literal(&err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "the SMTP and outbox options need smtp_host=HOST");
	}
	if (!ok || !has_host) {
		conf_smtp_options_free(o);
		if (!ok)
			g_propagate_error(error, g_steal_pointer(&err));
		return ok;
	}
	*out = o;
	return TRUE;
}

const char *conf_smtp_options_help(void)
{
	return "SMTP (sending mail by copying it into the outbox directory):\n"
	       "    -o smtp_host=HOST         submission server; enables the outbox\n"
	       "    -o smtp_port=PORT         default 465 (tls, auto) or 587\n"
	       "    -o smtp_security=tls|starttls|plain|auto   default auto (never plaintext)\n"
	       "    -o smtp_user=USER         default: the IMAP user\n"
	       "    -o smtp_password_file=FILE,smtp_password_command=CMD   default: the IMAP\n"
	       "                              password\n"
	       "    -o smtp_mechanisms=LIST   PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\n"
	       "    -o smtp_auth=none         a relay that takes mail without AUTH (default\n"
	       "                              login: AUTH with the credentials above)\n"
	       "    -o smtp_proxy=URL         as proxy=\n"
	       "    -o smtp_ca_file=FILE,smtp_tls_verify=yes|no,smtp_tls_verify_hostname=yes|no\n"
	       "                              default: as for IMAP\n"
	       "    -o smtp_allow_plaintext_auth=yes   send the password without TLS\n"
	       "    -o smtp_timeout=S,smtp_greeting_timeout=S   (defaults 60, 10)\n"
	       "    -o outbox=NAME            the outbox directory (default .outbox)\n"
	       "    -o sent_folder=FOLDER     copies of sent mail (default: the \\Sent folder,\n"
	       "                              else Sent)\n"
	       "    -o from=ADDRESS           envelope sender instead of the From: address\n"
	       "    -o smtp_helo=NAME         the name given in EHLO (default localhost)\n";
}

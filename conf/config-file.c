/* imapfs conf — the config file (see config-file.h). */
#include "conf/config-file.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/secret.h"

#define DEFAULT_GROUP "DEFAULT"
#define MAX_CONFIG_BYTES (1024 * 1024)

/* IMAPClient's names for imapfs options. */
static const struct {
	const char *from, *to;
} renames[] = {
    {"username", "user"},
    {"ssl_check_hostname", "tls_verify_hostname"},
    {"ssl_verify_cert", "tls_verify"},
    {"ssl_ca_file", "ca_file"},
};

/* Options that are flags on the command line ("-o ro"), so "ro = yes" in a file. */
static const char *const flags[] = {
    "ro", "imap_trace", "allow_other", "allow_root", "default_permissions", "auto_unmount", NULL};

/* Handled by translate_security() rather than passed on. */
static const char *const security_keys[] = {"ssl", "starttls", "stream", NULL};

static const char *const secret_keys[] = {"password", "oauth2_client_secret",
					  "oauth2_refresh_token", NULL};

void conf_file_clear(ConfFile *cfg)
{
	if (!cfg)
		return;
	g_clear_pointer(&cfg->file, g_free);
	g_clear_pointer(&cfg->account, g_free);
	g_clear_pointer(&cfg->password, conf_secret_free);
	g_clear_pointer(&cfg->oauth2_client_secret, conf_secret_free);
	g_clear_pointer(&cfg->oauth2_refresh_token, conf_secret_free);
	g_clear_pointer(&cfg->proxy, conf_secret_free);
	g_clear_pointer(&cfg->smtp_proxy, conf_secret_free);
	cfg->check = FALSE;
}

/* configparser's booleans: -1 when WORD is none of them. */
static int bool_word(const char *word)
{
	static const char *const yes[] = {"1", "yes", "true", "on", NULL};
	static const char *const no[] = {"0", "no", "false", "off", NULL};

	for (int i = 0; yes[i]; i++) {
		if (!g_ascii_strcasecmp(word, yes[i]))
			return 1;
		if (!g_ascii_strcasecmp(word, no[i]))
			return 0;
	}
	return -1;
}

/* KEY's raw value in GROUP (may be NULL), its name compared without regard to case as
 * configparser does: "Password = x" is a password too. */
static char *group_value(GKeyFile *kf, const char *group, const char *key)
{
	g_auto(GStrv) keys = group ? g_key_file_get_keys(kf, group, NULL, NULL) : NULL;

	for (char **k = keys; k && *k; k++)
		if (!g_ascii_strcasecmp(*k, key))
			return g_key_file_get_value(kf, group, *k, NULL);
	return NULL;
}

/* The account's value, else [DEFAULT]'s, else NULL. Raw, as configparser reads it. */
static char *lookup(GKeyFile *kf, const char *section, const char *key)
{
	char *v = group_value(kf, section, key);

	return v ? v : group_value(kf, DEFAULT_GROUP, key);
}

/* proxy or smtp_proxy = scheme://user:password@host:port */
static gboolean is_proxy_secret(const char *key, const char *value)
{
	return (!strcmp(key, "proxy") || !strcmp(key, "smtp_proxy")) &&
	       conf_secret_url_has_password(value);
}

static gboolean holds_secret(GKeyFile *kf)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);

		for (char **k = keys; k && *k; k++) {
			g_autofree char *lower = g_ascii_strdown(*k, -1);
			g_autofree char *v = NULL;

			if (g_strv_contains(secret_keys, lower))
				return TRUE;
			v = g_key_file_get_value(kf, *g, *k, NULL);
			if (v && is_proxy_secret(lower, v))
				return TRUE;
		}
	}
	return FALSE;
}

static gboolean check_private(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			    "config file %s holds credentials and other users can read it "
			    "(or it is not yours); refusing it: chmod 600 %s",
			    path, path);
		return FALSE;
	}
	return TRUE;
}

/* The section to use, NULL for [DEFAULT] alone. */
static gboolean pick_section(GKeyFile *kf, const char *path, const char *account, char **out,
			     GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	g_autoptr(GPtrArray) named = g_ptr_array_new();

	for (char **g = groups; *g; g++)
		if (strcmp(*g, DEFAULT_GROUP) != 0)
			g_ptr_array_add(named, *g);
	if (account && strcmp(account, DEFAULT_GROUP) != 0) {
		if (!g_key_file_has_group(kf, account)) {
			g_ptr_array_add(named, NULL);
			g_autofree char *list = g_strjoinv(", ", (char **)named->pdata);
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "no account [%s] in %s (accounts: %s)", account, path,
				    *list ? list : "none");
			return FALSE;
		}
		*out = g_strdup(account);
		return TRUE;
	}
	/* No account named: the only one there is, else [DEFAULT] alone. */
	*out = !account && named->len == 1 ? g_strdup(g_ptr_array_index(named, 0)) : NULL;
	return TRUE;
}

/* Appends ",key=value" with fuse_opt's escapes; a NULL value appends the bare key. */
static void append_opt(GString *out, const char *key, const char *value)
{
	if (out->len)
		g_string_append_c(out, ',');
	g_string_append(out, key);
	if (!value)
		return;
	g_string_append_c(out, '=');
	for (const char *p = value; *p; p++) {
		if (*p == ',' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
}

static gboolean key_bool(GKeyFile *kf, const char *section, const char *key, int *out,
			 GError **error)
{
	g_autofree char *v = lookup(kf, section, key);

	*out = -1;
	if (!v)
		return TRUE;
	*out = bool_word(v);
	if (*out < 0) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s = %s: expected 1/yes/true/on or 0/no/false/off", key, v);
		return FALSE;
	}
	return TRUE;
}

/* IMAPClient's ssl, starttls and stream into security= and tunnel=. */
static gboolean translate_security(GKeyFile *kf, const char *section, GString *out, GError **error)
{
	int ssl, starttls, stream;

	if (!key_bool(kf, section, "ssl", &ssl, error) ||
	    !key_bool(kf, section, "starttls", &starttls, error) ||
	    !key_bool(kf, section, "stream", &stream, error))
		return FALSE;
	if (stream == 1) {
		/* IMAPClient: with stream, host is the command to run. */
		g_autofree char *cmd = lookup(kf, section, "host");
		append_opt(out, "tunnel", cmd ? cmd : "");
	}
	if (ssl == 1)
		append_opt(out, "security", "tls");
	else if (starttls == 1)
		append_opt(out, "security", "starttls");
	else if (ssl == 0)
		append_opt(out, "security", "plain");
	return TRUE;
}

/* The ConfFile member that keeps KEY's VALUE away from ARGS, or NULL. */
static char **secret_slot(ConfFile *cfg, const char *key, const char *value)
{
	if (!strcmp(key, "password"))
		return &cfg->password;
	if (!strcmp(key, "oauth2_client_secret"))
		return &cfg->oauth2_client_secret;
	if (!strcmp(key, "oauth2_refresh_token"))
		return &cfg->oauth2_refresh_token;
	if (!is_proxy_secret(key, value))
		return NULL;
	return !strcmp(key, "proxy") ? &cfg->proxy : &cfg->smtp_proxy;
}

static gboolean keep_secret(ConfFile *cfg, const char *key, char *value)
{
	char **slot = secret_slot(cfg, key, value);

	if (!slot)
		return FALSE;
	conf_secret_free(*slot);
	*slot = value;
	return TRUE;
}

/* One key of the section (already lower case) into OUT or CFG. */
static gboolean translate_key(GKeyFile *kf, const char *section, const char *key, GString *out,
			      ConfFile *cfg, GError **error)
{
	char *value = lookup(kf, section, key);
	const char *name = key;
	int b;

	if (keep_secret(cfg, key, value))
		return TRUE;
	g_autofree char *v = value;
	if (g_strv_contains(security_keys, key))
		return TRUE;
	if (!strcmp(key, "host")) {
		g_autofree char *stream = lookup(kf, section, "stream");
		if (stream && bool_word(stream) == 1)
			return TRUE; /* it is the tunnel command */
	}
	if (!strcmp(key, "config") || !strcmp(key, "account")) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s cannot be set inside a config file", key);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(renames); i++)
		if (!strcmp(key, renames[i].from))
			name = renames[i].to;
	if (g_strv_contains(flags, name)) {
		b = bool_word(v);
		if (b < 0) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "%s = %s: expected yes or no", key, v);
			return FALSE;
		}
		if (b)
			append_opt(out, name, NULL);
		return TRUE;
	}
	append_opt(out, name, v);
	return TRUE;
}

/* Every key of the section and of [DEFAULT], each once, lower case. */
static GPtrArray *section_keys(GKeyFile *kf, const char *section)
{
	const char *groups[] = {DEFAULT_GROUP, section};
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);

	for (gsize i = 0; i < G_N_ELEMENTS(groups); i++) {
		g_auto(GStrv) names = NULL;

		if (!groups[i] || !g_key_file_has_group(kf, groups[i]))
			continue;
		names = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (char **n = names; n && *n; n++) {
			g_autofree char *lower = g_ascii_strdown(*n, -1);
			if (!g_ptr_array_find_with_equal_func(keys, lower, g_str_equal, NULL))
				g_ptr_array_add(keys, g_steal_pointer(&lower));
		}
	}
	return keys;
}

/* The number (from 1) of the first line GKeyFile cannot take, 0 if none is found. */
static guint bad_line(const char *data, gsize len)
{
	guint n = 0;

	for (gsize i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		gsize end = nl ? (gsize)(nl - data) : len, a = i, b = end;

		n++;
		while (a < b && g_ascii_isspace(data[a]))
			a++;
		while (b > a && g_ascii_isspace(data[b - 1]))
			b--;
		if (a < b && data[a] != '#' && data[a] != '[' && !memchr(data + a, '=', b - a))
			return n;
		i = end + 1;
	}
	return 0;
}

static GKeyFile *read_file(const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, error))
		return NULL;
	if (len > MAX_CONFIG_BYTES) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "config file %s is larger than 1 MiB", path);
		explicit_bzero(data, len);
		return NULL;
	}
	g_autoptr(GError) err = NULL;
	gboolean ok = g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &err);
	guint bad = ok ? 0 : bad_line(data, len);
	explicit_bzero(data, len); /* it may hold a password */
	if (!ok) {
		/* GKeyFile's message quotes the line, and "password: x" (configparser's other
		 * delimiter) or a missing '=' would print the password: say only where. */
		if (bad)
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
				    "config file %s: line %u is not \"key = value\", [section] or "
				    "a comment (not shown: it may hold a secret)",
				    path, bad);
		else
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
				    "config file %s is not an INI file (a group name, an encoding)",
				    path);
		return NULL;
	}
	return g_steal_pointer(&kf);
}

char *conf_file_load(const char *path, const char *account, ConfFile *cfg, GError **error)
{
	g_autoptr(GKeyFile) kf = read_file(path, error);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GPtrArray) keys = NULL;
	g_autofree char *section = NULL;

	if (!kf)
		return NULL;
	if (holds_secret(kf) && !check_private(path, error))
		return NULL;
	if (!pick_section(kf, path, account, &section, error))
		return NULL;
	if (!translate_security(kf, section, out, error))
		return NULL;
	keys = section_keys(kf, section);
	for (guint i = 0; i < keys->len; i++) {
		if (!translate_key(kf, section, g_ptr_array_index(keys, i), out, cfg, error)) {
			g_prefix_error(error, "%s: ", path);
			return NULL;
		}
	}
	g_free(cfg->account);
	cfg->account = g_steal_pointer(&section);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

void conf_file_apply_secrets(ConfFile *cfg, ConfOptions *opts)
{
	if (cfg->password && !opts->password_file && !opts->password_command &&
	    !opts->imap.net.password)
		opts->imap.net.password = g_steal_pointer(&cfg->password);
	if (cfg->oauth2_client_secret && !opts->oauth2_client_secret)
		opts->oauth2_client_secret = g_steal_pointer(&cfg->oauth2_client_secret);
	if (cfg->oauth2_refresh_token && !opts->oauth2_refresh_token)
		opts->oauth2_refresh_token = g_steal_pointer(&cfg->oauth2_refresh_token);
	if (cfg->proxy && !opts->imap.net.proxy)
		opts->imap.net.proxy = g_steal_pointer(&cfg->proxy);
	if (cfg->smtp_proxy && opts->smtp && !opts->smtp->proxy)
		opts->smtp->proxy = g_steal_pointer(&cfg->smtp_proxy);
}

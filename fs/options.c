/* imapfs fs — option parsing (see options.h). */
#define FUSE_USE_VERSION 34
#include "fs/options.h"

#include <fuse_opt.h>
#include <stdlib.h>
#include <string.h>

/* Raw values as fuse_opt writes them (malloc'd strings, -1 = unset numbers). */
typedef struct {
	char *host, *user, *security, *ca_file, *tls_verify, *tls_verify_hostname, *tls_min;
	char *password_command, *password_file, *cache_dir, *cache_size;
	int port, timeout, connections, ro, trace, password_given;
} RawOpts;

enum { KEY_PASSWORD, KEY_RO };

#define OPT(t, f, v)                                                                               \
	{                                                                                          \
		t, offsetof(RawOpts, f), v                                                         \
	}
static const struct fuse_opt opt_spec[] = {
    OPT("host=%s", host, 0),
    OPT("port=%d", port, 0),
    OPT("user=%s", user, 0),
    OPT("security=%s", security, 0),
    OPT("ca_file=%s", ca_file, 0),
    OPT("tls_verify=%s", tls_verify, 0),
    OPT("tls_verify_hostname=%s", tls_verify_hostname, 0),
    OPT("tls_min=%s", tls_min, 0),
    OPT("password_command=%s", password_command, 0),
    OPT("password_file=%s", password_file, 0),
    OPT("timeout=%d", timeout, 0),
    OPT("connections=%d", connections, 0),
    OPT("cache_dir=%s", cache_dir, 0),
    OPT("cache_size=%s", cache_size, 0),
    OPT("imap_trace", trace, 1),
    FUSE_OPT_KEY("password=", KEY_PASSWORD),
    FUSE_OPT_KEY("password", KEY_PASSWORD),
    FUSE_OPT_KEY("ro", KEY_RO),
    FUSE_OPT_END,
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	RawOpts *raw = data;

	switch (key) {
	case KEY_PASSWORD:
		/* Dropped from the argument list at once; only remembered to refuse it. */
		raw->password_given = 1;
		return 0;
	case KEY_RO:
		raw->ro = 1;
		return 1; /* the kernel mount is read-only too */
	default:
		return 1;
	}
}

static void raw_free(RawOpts *r)
{
	char **strs[] = {&r->host,	    &r->user,
			 &r->security,	    &r->ca_file,
			 &r->tls_verify,    &r->tls_verify_hostname,
			 &r->tls_min,	    &r->password_command,
			 &r->password_file, &r->cache_dir,
			 &r->cache_size};

	for (gsize i = 0; i < G_N_ELEMENTS(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

void fs_options_init(FsOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	imap_config_init(&opts->imap);
	opts->connections = FS_DEFAULT_CONNECTIONS;
}

void fs_options_clear(FsOptions *opts)
{
	imap_config_clear(&opts->imap);
	g_free(opts->password_command);
	g_free(opts->password_file);
	g_free(opts->cache_dir);
	fs_options_init(opts);
}

gboolean fs_parse_size(const char *text, guint64 *out)
{
	char *end = NULL;
	guint64 v, mult = 1;

	if (!text || !g_ascii_isdigit(*text))
		return FALSE;
	v = g_ascii_strtoull(text, &end, 10);
	switch (g_ascii_toupper(*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	case 'T':
		mult = 1ULL << 40;
		end++;
		break;
	default:
		return FALSE;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || (mult > 1 && v > G_MAXUINT64 / mult))
		return FALSE;
	*out = v * mult;
	return TRUE;
}

static gboolean bad(GError **error, const char *opt, const char *val, const char *expect)
{
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "invalid value '%s' for option %s (expected %s)", val, opt, expect);
	return FALSE;
}

static gboolean parse_bool(const char *opt, const char *val, gboolean *out, GError **error)
{
	if (!val)
		return TRUE;
	if (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1"))
		*out = TRUE;
	else if (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0"))
		*out = FALSE;
	else
		return bad(error, opt, val, "yes or no");
	return TRUE;
}

static gboolean apply_tls(const RawOpts *r, ImapConfig *c, GError **error)
{
	if (r->security) {
		if (!strcmp(r->security, "tls"))
			c->security = IMAP_SECURITY_TLS;
		else if (!strcmp(r->security, "starttls"))
			c->security = IMAP_SECURITY_STARTTLS;
		else if (!strcmp(r->security, "plain"))
			c->security = IMAP_SECURITY_PLAIN;
		else
			return bad(error, "security", r->security, "tls, starttls or plain");
	}
	if (r->tls_min) {
		if (!strcmp(r->tls_min, "1.2"))
			c->tls_min = IMAP_TLS_1_2;
		else if (!strcmp(r->tls_min, "1.3"))
			c->tls_min = IMAP_TLS_1_3;
		else
			return bad(error, "tls_min", r->tls_min, "1.2 or 1.3");
	}
	if (!parse_bool("tls_verify", r->tls_verify, &c->tls_verify_cert, error) ||
	    !parse_bool("tls_verify_hostname", r->tls_verify_hostname, &c->tls_verify_hostname,
			error))
		return FALSE;
	c->ca_file = g_strdup(r->ca_file);
	/* Choosing plaintext by name is the consent to send the password in clear. */
	c->allow_plaintext_auth = c->security == IMAP_SECURITY_PLAIN;
	return TRUE;
}

static gboolean apply_numbers(const RawOpts *r, FsOptions *o, GError **error)
{
	if (r->port != -1) {
		if (r->port <= 0 || r->port > 65535)
			return bad(error, "port", "out of range", "1..65535");
		o->imap.port = (guint16)r->port;
	}
	if (r->timeout != -1) {
		if (r->timeout <= 0 || r->timeout > 3600)
			return bad(error, "timeout", "out of range", "1..3600 seconds");
		o->imap.io_timeout_ms = (guint)r->timeout * 1000;
		o->imap.connect_timeout_ms = (guint)r->timeout * 1000;
		o->imap.greeting_timeout_ms = (guint)r->timeout * 1000;
	}
	if (r->connections != -1) {
		if (r->connections < 1 || r->connections > FS_MAX_CONNECTIONS)
			return bad(error, "connections", "out of range", "1..16");
		o->connections = (guint)r->connections;
	}
	if (r->cache_size && !fs_parse_size(r->cache_size, &o->cache_size))
		return bad(error, "cache_size", r->cache_size, "a size like 512M");
	return TRUE;
}

static gboolean apply(const RawOpts *r, FsOptions *o, GError **error)
{
	if (r->password_given) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "the password is never taken from the command line "
				    "(other users can read it); use -o password_file=FILE "
				    "or -o password_command=COMMAND");
		return FALSE;
	}
	if (!r->host || !*r->host || !r->user || !*r->user) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "options host=HOST and user=USER are required");
		return FALSE;
	}
	if (r->password_command && r->password_file) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "give password_file or password_command, not both");
		return FALSE;
	}
	if (!apply_tls(r, &o->imap, error) || !apply_numbers(r, o, error))
		return FALSE;
	o->imap.host = g_strdup(r->host);
	o->imap.user = g_strdup(r->user);
	o->password_command = g_strdup(r->password_command);
	o->password_file = g_strdup(r->password_file);
	o->cache_dir = r->cache_dir ? g_strdup(r->cache_dir)
				    : g_build_filename(g_get_user_cache_dir(), "imapfs", NULL);
	o->ro = r->ro;
	o->trace = r->trace;
	return TRUE;
}

gboolean fs_options_parse(struct fuse_args *args, FsOptions *opts, GError **error)
{
	RawOpts raw = {.port = -1, .timeout = -1, .connections = -1};
	gboolean ok;

	fs_options_init(opts);
	if (fuse_opt_parse(args, &raw, opt_spec, opt_proc) == -1) {
		raw_free(&raw);
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "cannot parse the options");
		return FALSE;
	}
	ok = apply(&raw, opts, error);
	raw_free(&raw);
	if (!ok)
		fs_options_clear(opts);
	return ok;
}

const char *fs_options_help(void)
{
	return "imapfs options:\n"
	       "    -o host=HOST              IMAP server (required)\n"
	       "    -o port=PORT              default 993 (tls) or 143\n"
	       "    -o user=USER              login name (required)\n"
	       "    -o security=tls|starttls|plain   default tls\n"
	       "    -o ca_file=FILE           trust these CA certificates (PEM)\n"
	       "    -o tls_verify=yes|no      check the certificate chain (default yes)\n"
	       "    -o tls_verify_hostname=yes|no   check the host name (default yes)\n"
	       "    -o tls_min=1.2|1.3        lowest TLS version (default 1.2)\n"
	       "    -o password_file=FILE     read the password from FILE (mode 0600)\n"
	       "    -o password_command=CMD   run CMD; its first output line is the password\n"
	       "    -o timeout=SECONDS        network timeout (default 60)\n"
	       "    -o connections=N          IMAP connections (default 3)\n"
	       "    -o cache_dir=DIR          body cache (default $XDG_CACHE_HOME/imapfs)\n"
	       "    -o cache_size=SIZE        cache limit, e.g. 512M (default unlimited)\n"
	       "    -o ro                     read-only mount: EXAMINE only, writes fail\n"
	       "    -o imap_trace             IMAP protocol trace on stderr (secrets redacted)\n";
}

/* imapfs conf — password_file / password_command (see secret.h). */
#include "conf/secret.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void conf_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
}

/* First line only, without CR/LF; wipes BUF. */
static char *first_line(char *buf, gsize len, GError **error)
{
	gsize n = 0;
	char *out;

	while (n < len && buf[n] != '\n' && buf[n] != '\r' && buf[n] != '\0')
		n++;
	if (n == 0) {
		explicit_bzero(buf, len);
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "the password is empty");
		return NULL;
	}
	out = g_strndup(buf, n);
	explicit_bzero(buf, len);
	return out;
}

static gboolean check_private(int fd, const char *path, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "password_file %s must be a regular file owned by you with mode "
			    "0600 (chmod 600 %s)",
			    path, path);
		return FALSE;
	}
	return TRUE;
}

char *conf_secret_from_file(const char *path, GError **error)
{
	char buf[CONF_SECRET_MAX];
	gssize got, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *out = NULL;

	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot open password_file %s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (!check_private(fd, path, error))
		goto done;
	got = util_read_full(fd, buf, sizeof(buf), -1);
	if (got < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot read password_file %s: %s", path, g_strerror(errno));
		explicit_bzero(buf, sizeof(buf));
		goto done;
	}
	total = got;
	out = first_line(buf, (gsize)total, error);
done:
	close(fd);
	return out;
}

char *conf_secret_from_command(const char *command, GError **error)
{
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GBytes) out = NULL;
	char *secret;
	gsize len;

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
				error, "/bin/sh", "-c", command, NULL);
	if (!proc)
		return NULL;
	if (!g_subprocess_communicate(proc, NULL, NULL, &out, NULL, error))
		return NULL;
	const char *data = g_bytes_get_data(out, &len);
	/* The bytes are ours alone (refcount 1): wiping them through a cast is safe. */
	char *buf = (char *)data;
	if (!g_subprocess_get_successful(proc)) {
		if (buf)
			explicit_bzero(buf, len);
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "password_command failed (non-zero exit status)");
		return NULL;
	}
	if (!buf) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "password_command printed nothing");
		return NULL;
	}
	secret = first_line(buf, MIN(len, CONF_SECRET_MAX), error);
	explicit_bzero(buf, len);
	return secret;
}

/* ---- a proxy URL's password ------------------------------------------------------- */

/* The userinfo of URL ("user:pass" in scheme://user:pass@host:port), as offsets into
 * it; FALSE when there is none. The host part may not hold '@', so the last one before
 * the path ends the userinfo. */
static gboolean userinfo(const char *url, gsize *start, gsize *end)
{
	const char *p = strstr(url, "://"), *auth, *at = NULL;

	if (!p)
		return FALSE;
	auth = p + 3;
	for (p = auth; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return FALSE;
	*start = (gsize)(auth - url);
	*end = (gsize)(at - url);
	return TRUE;
}

gboolean conf_secret_url_has_password(const char *url)
{
	gsize start, end;

	return url && userinfo(url, &start, &end) && memchr(url + start, ':', end - start);
}

char *conf_secret_url_with_password(const char *url, const char *password, GError **error)
{
	g_autofree char *escaped = NULL;
	gsize start, end;
	char *out;

	if (!userinfo(url, &start, &end) || end == start || conf_secret_url_has_password(url)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "proxy_password_file needs a proxy URL with a user name and no "
				    "password: scheme://USER@host:port");
		return NULL;
	}
	/* GIO decodes %XX in the URL's password: any byte of the file survives. */
	escaped = g_uri_escape_string(password, NULL, FALSE);
	out = g_strdup_printf("%.*s:%s%s", (int)end, url, escaped, url + end);
	explicit_bzero(escaped, strlen(escaped));
	return out;
}

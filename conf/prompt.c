/* imapfs conf — the terminal password prompt (see prompt.h). */
#include "conf/prompt.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "conf/secret.h"
#include "util/fd-io.h"

gboolean conf_prompt_available(void)
{
	return isatty(STDIN_FILENO) == 1;
}

/* Reads one line from stdin with echo off; echo is restored whatever happens. */
static gssize read_line_noecho(char *buf, gsize size)
{
	struct termios old, quiet;
	gssize n = 0;
	char c;

	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return -1;
	while ((gsize)n + 1 < size) {
		gssize got = util_read_full(STDIN_FILENO, &c, 1, -1);
		if (got <= 0 || c == '\n' || c == '\r')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return n;
}

char *conf_prompt_password(const char *user, const char *host, GError **error)
{
	char buf[CONF_SECRET_MAX];
	gssize n;
	char *out;

	if (!conf_prompt_available()) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "no terminal to ask for the password on");
		return NULL;
	}
	fprintf(stderr, "Password for %s@%s: ", user ? user : "", host ? host : "");
	fflush(stderr);
	n = read_line_noecho(buf, sizeof(buf));
	if (n <= 0) {
		explicit_bzero(buf, sizeof(buf));
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "no password entered");
		return NULL;
	}
	out = g_strndup(buf, (gsize)n);
	explicit_bzero(buf, sizeof(buf));
	return out;
}

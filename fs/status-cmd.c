/* imapfs fs — `imapfs status MOUNTPOINT` (see status-cmd.h). */
#include "fs/status-cmd.h"
#include "fs/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

gboolean fs_status_wanted(int argc, char **argv)
{
	return argc >= 2 && (!strcmp(argv[1], "status") || !strcmp(argv[1], "--status"));
}

/* The xattr's value, grown until it fits (it may grow between the two calls). */
static char *read_status(const char *path, int *err)
{
	for (int tries = 0; tries < 4; tries++) {
		ssize_t len = getxattr(path, FS_XATTR_STATUS, NULL, 0);
		g_autofree char *buf = NULL;

		if (len < 0)
			break;
		buf = g_malloc(len + 1);
		len = getxattr(path, FS_XATTR_STATUS, buf, len);
		if (len >= 0) {
			buf[len] = '\0';
			return g_steal_pointer(&buf);
		}
		if (errno != ERANGE)
			break;
	}
	*err = errno;
	return NULL;
}

int fs_status_run(int argc, char **argv)
{
	g_autofree char *text = NULL;
	int err = 0;

	if (argc != 3) {
		g_printerr("usage: imapfs status MOUNTPOINT\n");
		return 1;
	}
	text = read_status(argv[2], &err);
	if (!text) {
		if (err == ENODATA || err == ENOTSUP)
			g_printerr("imapfs: %s: not an imapfs mount (no %s)\n", argv[2],
				   FS_XATTR_STATUS);
		else
			g_printerr("imapfs: %s: cannot read its status: %s\n", argv[2],
				   g_strerror(err));
		return 1;
	}
	fputs(text, stdout);
	return 0;
}

/* imapfs util — whole reads and writes (see fd-io.h); glibc's TEMP_FAILURE_RETRY
 * restarts a call that a signal interrupted. */
#include "util/fd-io.h"

#include <errno.h>
#include <unistd.h>

gssize util_read_full(int fd, void *buf, gsize len, gint64 off)
{
	guint8 *p = buf;
	gsize done = 0;

	while (done < len) {
		ssize_t n = TEMP_FAILURE_RETRY(
		    off < 0 ? read(fd, p + done, len - done)
			    : pread(fd, p + done, len - done, (off_t)off + (off_t)done));

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (gsize)n;
	}
	return (gssize)done;
}

gboolean util_write_full(int fd, const void *buf, gsize len, gint64 off)
{
	const guint8 *p = buf;
	gsize done = 0;

	while (done < len) {
		ssize_t n = TEMP_FAILURE_RETRY(
		    off < 0 ? write(fd, p + done, len - done)
			    : pwrite(fd, p + done, len - done, (off_t)off + (off_t)done));

		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

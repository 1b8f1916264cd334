/* imapfs — a fetched message body, in memory or in an unlinked spool file. */
#include "imap/body.h"
#include "imap/error.h"
#include "util/fd-io.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct ImapBody {
	gint refs;
	GBytes *data; /* in memory, or NULL */
	int fd;       /* spooled, or -1 */
	guint64 size;
};

ImapBody *imap_body_new_bytes(GBytes *data)
{
	g_return_val_if_fail(data != NULL, NULL);
	ImapBody *b = g_new0(ImapBody, 1);
	b->refs = 1;
	b->data = g_bytes_ref(data);
	b->fd = -1;
	b->size = g_bytes_get_size(data);
	return b;
}

ImapBody *imap_body_new_fd(int fd, guint64 size)
{
	g_return_val_if_fail(fd >= 0, NULL);
	ImapBody *b = g_new0(ImapBody, 1);
	b->refs = 1;
	b->fd = fd;
	b->size = size;
	return b;
}

ImapBody *imap_body_ref(ImapBody *body)
{
	g_return_val_if_fail(body != NULL, NULL);
	g_atomic_int_inc(&body->refs);
	return body;
}

void imap_body_unref(ImapBody *body)
{
	if (body == NULL || !g_atomic_int_dec_and_test(&body->refs))
		return;
	if (body->fd >= 0)
		close(body->fd);
	g_clear_pointer(&body->data, g_bytes_unref);
	g_free(body);
}

guint64 imap_body_get_size(const ImapBody *body)
{
	return body ? body->size : 0;
}

gssize imap_body_pread(ImapBody *body, void *buf, gsize len, guint64 offset)
{
	if (body == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (offset >= body->size)
		return 0;
	if (len > body->size - offset)
		len = body->size - offset;
	if (len > G_MAXSSIZE)
		len = G_MAXSSIZE;
	if (body->data) {
		const guint8 *d = g_bytes_get_data(body->data, NULL);
		memcpy(buf, d + offset, len);
		return (gssize)len;
	}
	return util_read_full(body->fd, buf, len, (gint64)offset);
}

static gboolean write_all(int fd, const guint8 *p, gsize len, GError **error)
{
	if (util_write_full(fd, p, len, -1))
		return TRUE;
	int e = errno;
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_LOCAL, "writing a message body: %s",
		    g_strerror(e));
	return FALSE;
}

gboolean imap_body_write_to_fd(ImapBody *body, int fd, GError **error)
{
	g_return_val_if_fail(body != NULL, FALSE);
	if (body->data)
		return write_all(fd, g_bytes_get_data(body->data, NULL), body->size, error);

	/* Copy through a bounded buffer: a spooled body may be far larger than memory. */
	g_autofree guint8 *buf = g_malloc(64 * 1024);
	guint64 off = 0;
	while (off < body->size) {
		gssize n = imap_body_pread(body, buf, 64 * 1024, off);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_LOCAL,
				    "reading a spooled message body: %s",
				    n < 0 ? g_strerror(e) : "file is shorter than expected");
			return FALSE;
		}
		if (!write_all(fd, buf, (gsize)n, error))
			return FALSE;
		off += (guint64)n;
	}
	return TRUE;
}

int imap_body_get_fd(const ImapBody *body)
{
	return body ? body->fd : -1;
}

GBytes *imap_body_get_bytes(const ImapBody *body)
{
	return body ? body->data : NULL;
}

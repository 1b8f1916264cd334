/* imapfs util — whole reads and writes on a file descriptor.
 *
 * util/ is the bottom of the tree, below net/: small helpers any layer may use, with no
 * imapfs headers and nothing but libc and GLib. These two are the loops every caller
 * otherwise writes again: restart after EINTR, carry on after a short count.
 *
 * OFF < 0 means the file position (read/write); otherwise pread/pwrite at OFF. Blocking
 * descriptors only: EAGAIN is an error like any other.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads until LEN bytes or end of file. Returns the bytes read (fewer than LEN only at
 * end of file), or -1 with errno set (what was read before the error is lost). */
gssize util_read_full(int fd, void *buf, gsize len, gint64 off);

/* Writes all LEN bytes. FALSE with errno set on failure; ENOSPC when the kernel took
 * nothing (write() returning 0 for a non-empty buffer). */
gboolean util_write_full(int fd, const void *buf, gsize len, gint64 off);

G_END_DECLS

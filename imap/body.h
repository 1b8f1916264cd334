/* imapfs — a fetched message body (a BODY[]/BINARY[] literal).
 *
 * Small literals are kept in memory; large ones are streamed by the parser straight to
 * an unlinked temporary file in the spool directory, so a body is never held whole in
 * memory. Consumers read it through this interface without caring which.
 *
 * Ownership: ImapBody is reference counted (imap_body_ref/unref); unref accepts NULL.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct ImapBody ImapBody;

/* A body held in memory; takes a reference on data. */
ImapBody *imap_body_new_bytes(GBytes *data);
/* A body in a file; takes ownership of fd (closed on the last unref). */
ImapBody *imap_body_new_fd(int fd, guint64 size);

ImapBody *imap_body_ref(ImapBody *body);
void imap_body_unref(ImapBody *body);

guint64 imap_body_get_size(const ImapBody *body);
/* Reads up to len bytes at offset; returns bytes read (0 at end), -1 with errno set. */
gssize imap_body_pread(ImapBody *body, void *buf, gsize len, guint64 offset);
/* Writes the whole body to fd at its current position. */
gboolean imap_body_write_to_fd(ImapBody *body, int fd, GError **error);
/* The backing file descriptor, or -1 when the body is in memory. Still owned by body. */
int imap_body_get_fd(const ImapBody *body);
/* The in-memory data, or NULL when the body is in a file. Still owned by body. */
GBytes *imap_body_get_bytes(const ImapBody *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapBody, imap_body_unref)

G_END_DECLS

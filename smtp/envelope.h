/* imapfs — the SMTP envelope of a message file: the sender from From: (or Sender: when
 * From: names several people, or a configured address), the recipients from every To,
 * Cc and Bcc field, and the message to transmit, which is the file without its Bcc
 * fields (byte for byte otherwise).
 *
 * The file must start with a header block (fields, then an empty line or the end); line
 * ends may be LF or CRLF. Everything refused here is refused before anything is sent,
 * with SMTP_ERROR_INVALID and a message that says what is wrong.
 *
 * Ownership: smtp_envelope_parse() returns a new SmtpEnvelope owning all its members
 * (the message holds a reference to the input when nothing was removed);
 * smtp_envelope_free() accepts NULL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SMTP_MAX_HEADER_BYTES (1024u * 1024)

typedef struct {
	char *sender;		 /* addr-spec for MAIL FROM */
	GPtrArray *recipients;	 /* char *addr-spec: To, Cc, Bcc in order, each once */
	GBytes *message;	 /* what DATA carries, before dot-stuffing */
	gboolean eight_bit;	 /* a byte >= 0x80 somewhere: BODY=8BITMIME */
	gboolean needs_smtputf8; /* non-ASCII in an address or a header field */
} SmtpEnvelope;

/* sender: an address ("a@b" or "Name <a@b>") to use instead of the From: field, or NULL. */
SmtpEnvelope *smtp_envelope_parse(GBytes *message, const char *sender, GError **error);
void smtp_envelope_free(SmtpEnvelope *env);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmtpEnvelope, smtp_envelope_free)

G_END_DECLS

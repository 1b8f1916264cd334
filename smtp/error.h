/* imapfs — one GError domain for everything SMTP submission can report.
 *
 * The codes mean what the SMTP_ERROR codes of the same name mean, so fs/errno-map.c
 * maps both alike. Errors of net/ (transport, SASL) are turned into these at smtp/'s
 * boundary by smtp_error_from_net(), keeping their message.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SMTP_ERROR (smtp_error_quark())

typedef enum {
	SMTP_ERROR_NETWORK,	/* connect/read/write failed, connection closed */
	SMTP_ERROR_TIMEOUT,	/* connect, greeting or I/O timeout expired */
	SMTP_ERROR_TLS,		/* handshake failed, certificate rejected, no STARTTLS */
	SMTP_ERROR_AUTH,	/* credentials refused, no usable mechanism, plaintext refused */
	SMTP_ERROR_NO,		/* the server refused a command (4xx/5xx reply) */
	SMTP_ERROR_PROTOCOL,	/* malformed or unexpected reply */
	SMTP_ERROR_INVALID,	/* bad message or address from the user */
	SMTP_ERROR_UNSUPPORTED, /* the server lacks what the message needs */
} SmtpErrorCode;

GQuark smtp_error_quark(void);

/* A NET_ERROR in *error is replaced by the SMTP_ERROR of the same meaning, same
 * message; anything else, and NULL, is left as it is. */
void smtp_error_from_net(GError **error);

G_END_DECLS

/* imapfs — one GError domain for everything the IMAP core can report.
 *
 * Every failure in imap/ is a GError in IMAP_ERROR with one of these codes. The
 * message is meant for a person: it says what failed and, where it can, what to try
 * ("server refused login: [AUTHENTICATIONFAILED] Authentication failed.").
 * fs/ turns these codes into errno in exactly one place (fs/errno-map.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMAP_ERROR (imap_error_quark())

typedef enum {
	IMAP_ERROR_NETWORK,  /* connect/read/write failed, connection closed, unreachable */
	IMAP_ERROR_TIMEOUT,  /* connect, greeting or I/O timeout expired */
	IMAP_ERROR_TLS,      /* handshake failed, certificate rejected, STARTTLS not offered */
	IMAP_ERROR_AUTH,     /* credentials refused, no usable mechanism, plaintext refused */
	IMAP_ERROR_NO,       /* tagged NO from the server */
	IMAP_ERROR_BAD,      /* tagged BAD from the server */
	IMAP_ERROR_BYE,      /* server said BYE (shutdown, kicked) */
	IMAP_ERROR_PROTOCOL, /* malformed or unexpected response, limit exceeded */
	IMAP_ERROR_INVALID,  /* bad argument from the caller (e.g. name not encodable) */
	IMAP_ERROR_LOCAL,    /* local I/O failure (spool file, disk full) */
	IMAP_ERROR_UNSUPPORTED, /* the server lacks what the operation needs */
} ImapErrorCode;

GQuark imap_error_quark(void);

/* A NET_ERROR in *error (from net/: transport, SASL) is replaced by the IMAP_ERROR of
 * the same meaning with the same message, so callers above the session see one domain.
 * Anything else, and NULL, is left as it is. */
void imap_error_from_net(GError **error);

G_END_DECLS

/* imapfs — one GError domain for everything the IMAP core can report.
 *
 * Every failure in imap/ is a GError in IMAP_ERROR with one of these codes. The
 * message is meant for a person: it says what failed and, where it can, what to try
 * ("server refused login: [AUTHENTICATIONFAILED] Authentication failed.").
 * fs/ turns these codes into errno in exactly one place (fs/errno-map.c).
 *
 * A refusal by the server (a tagged NO or BAD, a refused login) also carries what the
 * server said as data, beside the message: its response code and its human text. The
 * domain is an extended one (G_DEFINE_EXTENDED_ERROR), so the data travels with every
 * copy and propagation of the error, and nothing has to parse it out of the message.
 * imap_response_refusal (imap/response.h) builds one from a tagged response.
 */
#pragma once

#include <glib.h>

#include "imap/resp-code.h"

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

/* Attaches what the server said to ERROR (an IMAP_ERROR; others are left alone):
 * response code TYPE named NAME (the atom, "OVERQUOTA"; NULL: none) and TEXT (NULL:
 * none). Both strings are copied; an earlier code and text are replaced. */
void imap_error_set_response(GError *error, ImapCodeType type, const char *name, const char *text);

/* The server's response code of ERROR: IMAP_CODE_NONE when it gave none, or ERROR is
 * NULL or no IMAP_ERROR. */
ImapCodeType imap_error_code(const GError *error);
/* Its atom as the server sent it, upper-cased ("OVERQUOTA", also for codes imapfs does
 * not know), or NULL. Owned by ERROR. */
const char *imap_error_code_name(const GError *error);
/* The server's own words after the code ("Quota exceeded"), or NULL. Owned by ERROR. */
const char *imap_error_text(const GError *error);

G_END_DECLS

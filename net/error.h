/* imapfs — the GError domain of net/: what can go wrong between us and a server
 * before any protocol gives the bytes a meaning.
 *
 * The protocols above translate these into their own domains at their boundary
 * (imap_error_from_net(), smtp_error_from_net()), keeping the message, so nothing
 * above imap/ and smtp/ needs to know this domain.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NET_ERROR (net_error_quark())

typedef enum {
	NET_ERROR_NETWORK,  /* connect/read/write failed, connection closed, unreachable */
	NET_ERROR_TIMEOUT,  /* connect, handshake or I/O timeout expired */
	NET_ERROR_TLS,	    /* handshake failed, certificate rejected or not pinned */
	NET_ERROR_INVALID,  /* bad argument from the caller (no host, unknown mechanism) */
	NET_ERROR_PROTOCOL, /* a SASL challenge this side cannot answer */
	NET_ERROR_N_CODES
} NetErrorCode;

GQuark net_error_quark(void);

/* A NET_ERROR in *error is replaced by an error in domain with code codes[its code]
 * (codes has NET_ERROR_N_CODES entries) and the same message. Anything else, and NULL,
 * is left as it is. A new error, not a relabelled one: the domain may carry more. */
void net_error_translate(GError **error, GQuark domain, const int codes[NET_ERROR_N_CODES]);

G_END_DECLS

/* imapfs — SASL client mechanisms: PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER.
 *
 * A mechanism is a small state machine: given the server's decoded challenge, it
 * produces the next response (raw bytes; the session base64-encodes them). Secrets are
 * copied into the NetSasl and wiped on free.
 *
 * Ownership: net_sasl_free() accepts NULL; responses are returned as new GBytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct NetSasl NetSasl;

/* mech is upper case; secret is the password or, for XOAUTH2/OAUTHBEARER, the token.
 * host/port are used by OAUTHBEARER. NULL with NET_ERROR_INVALID for unknown mechs. */
NetSasl *net_sasl_new(const char *mech, const char *user, const char *secret, const char *host,
		      guint16 port, GError **error);
void net_sasl_free(NetSasl *sasl);

/* Does the mechanism send an initial response (SASL-IR)? */
gboolean net_sasl_has_initial(const NetSasl *sasl);
/* The next response to challenge (NULL for the initial response). NULL with error when
 * the exchange cannot continue (e.g. an XOAUTH2 error JSON: the caller sends an empty
 * response and expects NO). */
GBytes *net_sasl_step(NetSasl *sasl, GBytes *challenge, GError **error);

/* Mechanisms known to this module, upper case, NULL-terminated, static. */
const char *const *net_sasl_mechanisms(void);

G_END_DECLS

/* imapfs — one HTTPS POST of a form, by libcurl (the GnuTLS build), for the OAuth2
 * token endpoint.
 *
 * The connection follows the NetConfig the IMAP account uses: ca_file (else the system
 * store), tls_verify_cert / tls_verify_hostname, tls_min, proxy (socks4://, socks4a://,
 * socks5:// resolved by the proxy as GIO does, http://; never $https_proxy & co.),
 * connect_timeout_ms for the connection and io_timeout_ms (default 30 s) for a stall.
 * Only https:// is spoken and redirects are not followed.
 *
 * Ownership: FORM is read during the call only (it holds secrets: wipe it after); the
 * answer's body is returned in *body (NULL on failure), to free with
 * conf_https_body_free(), which wipes it. Errors are IMAP_ERROR: TIMEOUT, TLS (a
 * certificate or handshake refused), NETWORK (anything else on the way), with curl's
 * own words; the HTTP status is no error here.
 */
#pragma once

#include <glib.h>
#include "net/config.h"

G_BEGIN_DECLS

/* At most this much of an answer is read; more is an error. */
#define CONF_HTTPS_MAX_BODY (64 * 1024)

gboolean conf_https_post(const char *url, const NetConfig *net, const char *form, long *status,
			 GString **body, GError **error);

void conf_https_body_free(GString *body); /* wipes; accepts NULL */

G_END_DECLS

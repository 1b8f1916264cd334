/* imapfs — the IMAP_ERROR domain and what net/ errors become in it. */
#include "imap/error.h"
#include "net/error.h"

G_DEFINE_QUARK(imap-error-quark, imap_error)

void imap_error_from_net(GError **error)
{
	static const int codes[NET_ERROR_N_CODES] = {
	    [NET_ERROR_NETWORK] = IMAP_ERROR_NETWORK,	[NET_ERROR_TIMEOUT] = IMAP_ERROR_TIMEOUT,
	    [NET_ERROR_TLS] = IMAP_ERROR_TLS,		[NET_ERROR_INVALID] = IMAP_ERROR_INVALID,
	    [NET_ERROR_PROTOCOL] = IMAP_ERROR_PROTOCOL,
	};

	net_error_translate(error, IMAP_ERROR, codes);
}

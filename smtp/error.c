/* imapfs — the SMTP_ERROR domain and what net/ errors become in it. */
#include "smtp/error.h"
#include "net/error.h"

G_DEFINE_QUARK(imapfs - smtp - error - quark, smtp_error)

void smtp_error_from_net(GError **error)
{
	static const int codes[NET_ERROR_N_CODES] = {
	    [NET_ERROR_NETWORK] = SMTP_ERROR_NETWORK,	[NET_ERROR_TIMEOUT] = SMTP_ERROR_TIMEOUT,
	    [NET_ERROR_TLS] = SMTP_ERROR_TLS,		[NET_ERROR_INVALID] = SMTP_ERROR_INVALID,
	    [NET_ERROR_PROTOCOL] = SMTP_ERROR_PROTOCOL,
	};

	net_error_translate(error, SMTP_ERROR, codes);
}

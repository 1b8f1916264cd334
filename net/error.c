/* imapfs — the NET_ERROR domain and its translation into a protocol's. */
#include "net/error.h"

G_DEFINE_QUARK(imapfs - net - error - quark, net_error)

void net_error_translate(GError **error, GQuark domain, const int codes[NET_ERROR_N_CODES])
{
	GError *net;
	int code;

	if (!error || !*error || (*error)->domain != NET_ERROR)
		return;
	net = g_steal_pointer(error);
	code = net->code >= 0 && net->code < NET_ERROR_N_CODES ? codes[net->code]
							       : codes[NET_ERROR_NETWORK];
	g_set_error_literal(error, domain, code, net->message);
	g_error_free(net);
}

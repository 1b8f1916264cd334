/* imapfs — the IMAP error domain, what a refusal carries and what net/ errors become in
 * it (see error.h). */
#include "imap/error.h"
#include "net/error.h"

typedef struct {
	ImapCodeType code;
	char *code_name;
	char *text;
} ImapErrorPrivate;

static void imap_error_private_init(ImapErrorPrivate *priv)
{
	priv->code = IMAP_CODE_NONE;
	priv->code_name = NULL;
	priv->text = NULL;
}

static void imap_error_private_copy(const ImapErrorPrivate *src, ImapErrorPrivate *dest)
{
	dest->code = src->code;
	dest->code_name = g_strdup(src->code_name);
	dest->text = g_strdup(src->text);
}

static void imap_error_private_clear(ImapErrorPrivate *priv)
{
	g_clear_pointer(&priv->code_name, g_free);
	g_clear_pointer(&priv->text, g_free);
}

G_DEFINE_EXTENDED_ERROR(ImapError, imap_error)

/* NULL for errors of other domains, so callers may ask any error. */
static const ImapErrorPrivate *private_of(const GError *error)
{
	if (!error || error->domain != IMAP_ERROR)
		return NULL;
	return imap_error_get_private(error);
}

void imap_error_set_response(GError *error, ImapCodeType type, const char *name, const char *text)
{
	ImapErrorPrivate *priv;

	if (!error || error->domain != IMAP_ERROR)
		return;
	priv = imap_error_get_private(error);
	imap_error_private_clear(priv);
	priv->code = name ? type : IMAP_CODE_NONE;
	priv->code_name = g_strdup(name);
	priv->text = g_strdup(text);
}

ImapCodeType imap_error_code(const GError *error)
{
	const ImapErrorPrivate *priv = private_of(error);

	return priv ? priv->code : IMAP_CODE_NONE;
}

const char *imap_error_code_name(const GError *error)
{
	const ImapErrorPrivate *priv = private_of(error);

	return priv ? priv->code_name : NULL;
}

const char *imap_error_text(const GError *error)
{
	const ImapErrorPrivate *priv = private_of(error);

	return priv ? priv->text : NULL;
}

void imap_error_from_net(GError **error)
{
	static const int codes[NET_ERROR_N_CODES] = {
	    [NET_ERROR_NETWORK] = IMAP_ERROR_NETWORK,	[NET_ERROR_TIMEOUT] = IMAP_ERROR_TIMEOUT,
	    [NET_ERROR_TLS] = IMAP_ERROR_TLS,		[NET_ERROR_INVALID] = IMAP_ERROR_INVALID,
	    [NET_ERROR_PROTOCOL] = IMAP_ERROR_PROTOCOL,
	};

	net_error_translate(error, IMAP_ERROR, codes);
}

/* imapfs — SASL client mechanisms (see sasl.h).
 *
 * Each mechanism is a tiny state machine counted in steps. Secrets are copied in and
 * wiped out again; responses that carry a secret are GBytes whose memory is wiped when
 * the last reference goes, so the session never has to remember to do it.
 */
#include "net/sasl.h"
#include "net/error.h"

#include <string.h>

typedef enum {
	MECH_PLAIN,
	MECH_LOGIN,
	MECH_CRAM_MD5,
	MECH_XOAUTH2,
	MECH_OAUTHBEARER,
} Mech;

static const char *const mech_names[] = {
    "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER", NULL,
};

struct NetSasl {
	Mech mech;
	guint step;
	char *user;
	char *secret;
	char *host;
	guint16 port;
};

const char *const *net_sasl_mechanisms(void)
{
	return mech_names;
}

static void wipe_string(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		g_free(s);
	}
}

void net_sasl_free(NetSasl *sasl)
{
	if (!sasl)
		return;
	wipe_string(sasl->user);
	wipe_string(sasl->secret);
	g_free(sasl->host);
	g_free(sasl);
}

static gboolean find_mech(const char *name, Mech *mech)
{
	for (guint i = 0; mech_names[i]; i++) {
		if (g_ascii_strcasecmp(name, mech_names[i]) == 0) {
			*mech = (Mech)i;
			return TRUE;
		}
	}
	return FALSE;
}

/* The OAuth formats use \x01 as a separator: a value holding one could forge fields. */
static gboolean oauth_safe(const char *s)
{
	return s == NULL || strchr(s, '\x01') == NULL;
}

NetSasl *net_sasl_new(const char *mech, const char *user, const char *secret, const char *host,
		      guint16 port, GError **error)
{
	Mech m;
	if (!mech || !find_mech(mech, &m)) {
		g_set_error(error, NET_ERROR, NET_ERROR_INVALID, "unknown SASL mechanism %s",
			    mech ? mech : "(none)");
		return NULL;
	}
	if (!user || !secret) {
		g_set_error(error, NET_ERROR, NET_ERROR_INVALID,
			    "SASL %s needs a user name and a %s", mech_names[m],
			    m >= MECH_XOAUTH2 ? "token" : "password");
		return NULL;
	}
	if (m >= MECH_XOAUTH2 && !(oauth_safe(user) && oauth_safe(secret) && oauth_safe(host))) {
		g_set_error(error, NET_ERROR, NET_ERROR_INVALID,
			    "SASL %s: user name, token or host contains a control character",
			    mech_names[m]);
		return NULL;
	}
	NetSasl *sasl = g_new0(NetSasl, 1);
	sasl->mech = m;
	sasl->user = g_strdup(user);
	sasl->secret = g_strdup(secret);
	sasl->host = g_strdup(host ? host : "");
	sasl->port = port;
	return sasl;
}

gboolean net_sasl_has_initial(const NetSasl *sasl)
{
	return sasl->mech == MECH_PLAIN || sasl->mech == MECH_XOAUTH2 ||
	       sasl->mech == MECH_OAUTHBEARER;
}

/* ---- responses that wipe themselves ---- */

typedef struct {
	gsize len;
	char data[];
} Secret;

static void secret_free(gpointer data)
{
	Secret *s = data;
	explicit_bzero(s->data, s->len);
	g_free(s);
}

/* Takes the GString's contents into a self-wiping GBytes and wipes the GString. */
static GBytes *bytes_from_gstring(GString *str)
{
	Secret *s = g_malloc(sizeof(Secret) + str->len + 1);
	s->len = str->len;
	memcpy(s->data, str->str, str->len);
	explicit_bzero(str->str, str->len);
	g_string_free(str, TRUE);
	return g_bytes_new_with_free_func(s->data, s->len, secret_free, s);
}

static GBytes *bytes_from_string(const char *text)
{
	GString *str = g_string_new(text);
	return bytes_from_gstring(str);
}

/* ---- the mechanisms ---- */

static GBytes *plain_response(const NetSasl *sasl)
{
	/* RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid. */
	GString *str = g_string_new(NULL);
	g_string_append_c(str, '\0');
	g_string_append(str, sasl->user);
	g_string_append_c(str, '\0');
	g_string_append(str, sasl->secret);
	return bytes_from_gstring(str);
}

static GBytes *cram_md5_response(const NetSasl *sasl, GBytes *challenge, GError **error)
{
	gsize len = 0;
	const guchar *data = challenge ? g_bytes_get_data(challenge, &len) : NULL;
	if (len == 0) {
		g_set_error(error, NET_ERROR, NET_ERROR_PROTOCOL,
			    "CRAM-MD5: the server sent an empty challenge");
		return NULL;
	}
	/* RFC 2195: user SP hex(HMAC-MD5(password, challenge)). */
	g_autoptr(GHmac) hmac =
	    g_hmac_new(G_CHECKSUM_MD5, (const guchar *)sasl->secret, strlen(sasl->secret));
	g_hmac_update(hmac, data, len);
	GString *str = g_string_new(sasl->user);
	g_string_append_c(str, ' ');
	g_string_append(str, g_hmac_get_string(hmac));
	return bytes_from_gstring(str);
}

static GBytes *xoauth2_response(const NetSasl *sasl)
{
	GString *str = g_string_new("user=");
	g_string_append(str, sasl->user);
	g_string_append(str, "\x01"
			     "auth=Bearer ");
	g_string_append(str, sasl->secret);
	g_string_append(str, "\x01\x01");
	return bytes_from_gstring(str);
}

/* RFC 7628 section 3.1: the gs2 authzid escapes ',' and '='. */
static void append_saslname(GString *str, const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p == ',')
			g_string_append(str, "=2C");
		else if (*p == '=')
			g_string_append(str, "=3D");
		else
			g_string_append_c(str, *p);
	}
}

static GBytes *oauthbearer_response(const NetSasl *sasl)
{
	GString *str = g_string_new("n,a=");
	append_saslname(str, sasl->user);
	g_string_append_printf(str,
			       ",\x01"
			       "host=%s\x01"
			       "port=%u\x01"
			       "auth=Bearer ",
			       sasl->host, (unsigned)sasl->port);
	g_string_append(str, sasl->secret);
	g_string_append(str, "\x01\x01");
	return bytes_from_gstring(str);
}

static GBytes *step_response(NetSasl *sasl, GBytes *challenge, GError **error)
{
	switch (sasl->mech) {
	case MECH_PLAIN:
		return sasl->step == 0 ? plain_response(sasl) : NULL;
	case MECH_LOGIN:
		if (sasl->step > 1)
			return NULL;
		return bytes_from_string(sasl->step == 0 ? sasl->user : sasl->secret);
	case MECH_CRAM_MD5:
		if (sasl->step > 0)
			return NULL;
		return cram_md5_response(sasl, challenge, error);
	case MECH_XOAUTH2:
		if (sasl->step == 0)
			return xoauth2_response(sasl);
		/* The server's error JSON: the client must answer with an empty response. */
		return sasl->step == 1 ? g_bytes_new(NULL, 0) : NULL;
	case MECH_OAUTHBEARER:
		if (sasl->step == 0)
			return oauthbearer_response(sasl);
		/* RFC 7628 3.2.3: after an error the client sends a lone %x01. */
		return sasl->step == 1 ? g_bytes_new("\x01", 1) : NULL;
	}
	return NULL;
}

GBytes *net_sasl_step(NetSasl *sasl, GBytes *challenge, GError **error)
{
	GError *local = NULL;
	GBytes *response = step_response(sasl, challenge, &local);
	if (!response) {
		if (local)
			g_propagate_error(error, local);
		else
			g_set_error(error, NET_ERROR, NET_ERROR_PROTOCOL,
				    "SASL %s: unexpected challenge after step %u",
				    mech_names[sasl->mech], sasl->step);
		return NULL;
	}
	sasl->step++;
	return response;
}

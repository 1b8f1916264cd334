/* imapfs conf — OAuth2 access tokens for XOAUTH2/OAUTHBEARER.
 *
 * Two sources: oauth2_token_command (run for every new connection; its first output line
 * is the token, as with password_command), or the refresh grant at oauth2_token_url:
 * POST grant_type=refresh_token with oauth2_refresh_token, oauth2_client_id and
 * oauth2_client_secret over HTTPS (libcurl, conf/https-post.h: trusting ca_file and
 * following tls_verify, proxy and timeouts as IMAP does), remembering expires_in so the token is
 * refreshed 60 s before it expires. Tokens are never logged; errors quote the endpoint's
 * "error" field and HTTP status, never a token.
 *
 * Thread safe: FUSE threads and the pool may ask at once. Ownership: conf_oauth2_new()
 * copies what it needs from opts; conf_oauth2_free() wipes the secrets and accepts NULL.
 * The token returned is the caller's, to free with conf_secret_free().
 */
#pragma once

#include <glib.h>
#include "conf/options.h"

G_BEGIN_DECLS

typedef struct ConfOAuth2 ConfOAuth2;

/* NULL (and no error) when opts configures no token source. */
ConfOAuth2 *conf_oauth2_new(const ConfOptions *opts, GError **error);
void conf_oauth2_free(ConfOAuth2 *o);

/* A token valid for at least the next minute (as far as expires_in tells). */
char *conf_oauth2_token(ConfOAuth2 *o, GError **error);

/* Puts a current token into cfg->oauth2_token (replacing and wiping the old one). */
gboolean conf_oauth2_update_config(ConfOAuth2 *o, ImapConfig *cfg, GError **error);

G_END_DECLS

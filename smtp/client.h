/* imapfs — SMTP submission (RFC 6409) of one message.
 *
 * smtp_send() connects as cfg says (implicit TLS, STARTTLS, plain, or AUTO: implicit TLS
 * then STARTTLS), reads the greeting within the greeting timeout, says EHLO (HELO only
 * when security is plain and EHLO is refused), upgrades with STARTTLS where chosen (not
 * offered is an error, never a silent fallback) and says EHLO again, authenticates when
 * a user is configured (the first allowed mechanism the server offers; no secret over
 * an unencrypted connection unless allow_plaintext_auth), then runs MAIL FROM, RCPT TO
 * and DATA (pipelined when the server offers PIPELINING), and QUITs.
 *
 * All or nothing: TRUE only when the server accepted the message with 250 after the
 * data. When any reply refuses (a recipient among them), the transaction is abandoned
 * before the final "." (RSET, or the connection dropped once DATA was accepted), so no
 * recipient gets the message.
 *
 * Errors are SMTP_ERROR codes, for fs/errno-map.c: NETWORK, TIMEOUT (connect, greeting,
 * I/O), TLS, AUTH, NO (the server refused: the message quotes its reply), PROTOCOL
 * (a malformed reply, a limit exceeded), UNSUPPORTED (the message needs SMTPUTF8 or
 * 8BITMIME and the server lacks it, or it exceeds the server's SIZE).
 *
 * Secrets never reach cfg->net.trace: AUTH lines are traced as "<secret>".
 */
#pragma once

#include <glib.h>
#include "smtp/config.h"
#include "smtp/envelope.h"

G_BEGIN_DECLS

gboolean smtp_send(const SmtpConfig *cfg, const SmtpEnvelope *env, GError **error);

G_END_DECLS

/* imapfs — what the files of the SMTP client share: one connection, its read buffer
 * and the extensions of the last EHLO. Used by one thread at a time. */
#pragma once

#include <glib.h>
#include "net/transport.h"
#include "smtp/config.h"
#include "smtp/envelope.h"

G_BEGIN_DECLS

/* Limits on what the server controls. */
#define SMTP_MAX_REPLY_LINE 4096
#define SMTP_MAX_REPLY_LINES 256
#define SMTP_DEFAULT_GREETING_MS 10000
#define SMTP_DEFAULT_IO_MS 60000

typedef struct {
	guint code;
	char **lines; /* the text of each line, after "ddd-" or "ddd " */
} SmtpReply;

typedef struct {
	const SmtpConfig *cfg; /* borrowed for the client's lifetime */
	NetTransport *t;
	GByteArray *rbuf; /* received, not yet parsed */
	char **ext;	  /* EHLO keyword lines ("AUTH PLAIN LOGIN"), or NULL */
	gboolean usable;  /* FALSE once the connection is broken or out of step */
} SmtpClient;

void smtp_reply_free(SmtpReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmtpReply, smtp_reply_free)
/* "550 5.1.1 no such user" (continuation lines joined by a space). */
char *smtp_reply_text(const SmtpReply *r);

/* client-io.c */
void smtp_client_trace(SmtpClient *c, const char *prefix, const char *text);
gboolean smtp_client_write(SmtpClient *c, const void *data, gsize len, GError **error);
/* Writes line + CRLF; traced shows in the trace instead of line when not NULL. */
gboolean smtp_client_send_line(SmtpClient *c, const char *line, const char *traced, GError **error);
/* timeout_ms 0: the I/O timeout. */
SmtpReply *smtp_client_read_reply(SmtpClient *c, guint timeout_ms, GError **error);
SmtpReply *smtp_client_command(SmtpClient *c, const char *line, const char *traced, GError **error);
/* A NO error quoting the reply: "<what>: 550 5.1.1 ...". */
void smtp_client_refused(GError **error, const char *what, const SmtpReply *r);

/* client.c */
/* The parameters of an EHLO keyword ("" when it has none), or NULL when not offered. */
const char *smtp_client_ext(const SmtpClient *c, const char *keyword);

/* client-auth.c: AUTH when a user is configured (TRUE at once otherwise). */
gboolean smtp_client_auth(SmtpClient *c, GError **error);

/* client-send.c: MAIL, RCPT, DATA; all or nothing. */
gboolean smtp_client_transaction(SmtpClient *c, const SmtpEnvelope *env, GError **error);

G_END_DECLS

/* imapfs — how to reach and log in to one SMTP submission server.
 *
 * The connection settings (host, security, TLS checks, proxy, credentials, mechanism
 * allow-list, timeouts, trace) are an embedded NetConfig, so the transport and SASL
 * code of net/ serve SMTP as they serve IMAP. In net, port 0 means 465 for implicit TLS and 587
 * otherwise; "LOGINCMD" in net.mechanisms means nothing to SMTP and is ignored.
 *
 * Ownership: every string belongs to the SmtpConfig; smtp_config_clear() wipes the
 * secrets, frees everything and accepts NULL; smtp_config_copy() makes a deep copy.
 */
#pragma once

#include <glib.h>
#include "net/config.h"

G_BEGIN_DECLS

/* Limits on what the message (a user's file) may hold before anything is sent. */
#define SMTP_MAX_MESSAGE_BYTES (64u * 1024 * 1024)
#define SMTP_MAX_RECIPIENTS 1000

typedef struct {
	NetConfig net;
	char *helo_name; /* the name given in EHLO/HELO; NULL: "localhost" */
	char *from;	 /* envelope sender instead of the From: address, or NULL */
	gboolean no_auth; /* smtp_auth=none: never AUTH, even when offered */
} SmtpConfig;

void smtp_config_init(SmtpConfig *cfg); /* implicit TLS, verification on */
void smtp_config_clear(SmtpConfig *cfg);
void smtp_config_copy(SmtpConfig *dst, const SmtpConfig *src);

/* The effective port: net.port, else 465 for TLS (and the first try of AUTO), else 587. */
guint16 smtp_config_port(const SmtpConfig *cfg);

G_END_DECLS

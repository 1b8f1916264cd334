/* imapfs — redacting credentials from protocol trace lines.
 *
 * Every client line that goes to NetConfig.trace passes through here first, so a
 * trace file can be shared in a bug report without leaking a password or token.
 * Redaction is conservative: for LOGIN everything after the command name goes, in any
 * form (atom, quoted, literal headers); for AUTHENTICATE the initial response goes.
 * Literal data and SASL continuation lines sent during login must be traced through
 * net_trace_redact_auth(). A trailing CRLF (or LF) is kept.
 *
 * Ownership: both return a new string (g_free); line must not be NULL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "A1 LOGIN user secret" -> "A1 LOGIN <user> <password>";
 * "A2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==" -> "A2 AUTHENTICATE PLAIN <secret>";
 * any other line -> an unchanged copy. */
char *net_trace_redact(const char *line);

/* A line sent while an authentication is in progress (a SASL continuation response or
 * the data of a LOGIN literal) -> "<secret>"; an empty line and the "*" that cancels
 * an exchange carry no secret and are kept. */
char *net_trace_redact_auth(const char *line);

G_END_DECLS

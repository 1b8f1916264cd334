/* imapfs — building command arguments safely.
 *
 * Every argument that comes from a user or a server (mailbox names, user names,
 * flags) goes through here, so no CR, LF or NUL can reach the wire outside a literal
 * and nothing can break out of a quoted string.
 *
 * An ImapCmd is a command being built: a sequence of text chunks separated by literals.
 * The session sends chunk, literal header, (waits for "+" unless LITERAL+), literal data,
 * next chunk, and so on. Ownership: imap_cmd_free() frees all and accepts NULL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	GString *text;  /* text up to and including the literal header "{n}" / "{n+}" */
	GBytes *literal; /* literal data following text, or NULL for the last part */
} ImapCmdPart;

typedef struct {
	GPtrArray *parts; /* ImapCmdPart*, the last has no literal */
	gboolean literal_plus; /* use {n+} (LITERAL+ or LITERAL- for n <= 4096) */
	gboolean utf8;    /* UTF8=ACCEPT enabled: 8-bit allowed in quoted strings */
	gsize literal_plus_max; /* 0: {n+} for any n (LITERAL+); 4096 for LITERAL- */
} ImapCmd;

ImapCmd *imap_cmd_new(gboolean literal_plus, gboolean utf8);
void imap_cmd_free(ImapCmd *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapCmd, imap_cmd_free)

/* Appends raw protocol text (keywords, numbers, sets) — callers' own constants only. */
void imap_cmd_add_raw(ImapCmd *cmd, const char *text);
/* Appends a space (if needed) and the string as atom, quoted string or literal,
 * whichever is safe and shortest. */
void imap_cmd_add_astring(ImapCmd *cmd, const char *s, gsize len);
/* Appends a space (if needed) and a quoted string or literal (never a bare atom). */
void imap_cmd_add_string(ImapCmd *cmd, const char *s, gsize len);
/* Appends a space (if needed) and data as a literal. */
void imap_cmd_add_literal(ImapCmd *cmd, const void *data, gsize len);

/* Classification used by add_astring (exposed for tests). */
typedef enum { IMAP_QUOTE_ATOM, IMAP_QUOTE_QUOTED, IMAP_QUOTE_LITERAL } ImapQuoteKind;
ImapQuoteKind imap_quote_kind(const char *s, gsize len, gboolean utf8);

/* "flag1 flag2" → validated flag list for STORE/APPEND; FALSE (IMAP_ERROR_INVALID) for
 * a name that is not a valid flag or keyword atom. */
gboolean imap_flags_validate(char *const *flags, GError **error);

G_END_DECLS

/* imapfs fs — GError -> errno (see errno-map.h). */
#include "fs/errno-map.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "imap/error.h"
#include "smtp/error.h"

/* A tagged NO says why in its response code (imap_error_code). A server that gives none
 * (an old or a small one, "NO Over quota") is still read for the one refusal a user must
 * be told apart: a full mailbox. Only here, and only when there is no code. */
static int from_no(const GError *error)
{
	static const struct {
		ImapCodeType code;
		int err;
	} codes[] = {
	    {IMAP_CODE_NONEXISTENT, ENOENT}, {IMAP_CODE_ALREADYEXISTS, EEXIST},
	    {IMAP_CODE_OVERQUOTA, EDQUOT},   {IMAP_CODE_LIMIT, ENOSPC},
	    {IMAP_CODE_NOPERM, EACCES},	     {IMAP_CODE_INUSE, EBUSY},
	    {IMAP_CODE_CANNOT, EPERM},	     {IMAP_CODE_EXPUNGEISSUED, ENOENT},
	    {IMAP_CODE_TRYCREATE, ENOENT},   {IMAP_CODE_HASCHILDREN, ENOTEMPTY},
	    {IMAP_CODE_SERVERBUG, EIO},	     {IMAP_CODE_UNAVAILABLE, EIO},
	};
	static const char *const full[] = {"over quota", "overquota", "quota exceeded",
					   "exceeds quota", "quota limit"};
	ImapCodeType code = imap_error_code(error);
	const char *text = imap_error_text(error);
	g_autofree char *lower = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(codes); i++)
		if (code == codes[i].code)
			return codes[i].err;
	if (code != IMAP_CODE_NONE)
		return EIO;
	/* No code attached (a refusal built outside the session): its message holds the
	 * server's words as well. */
	lower = g_ascii_strdown(text ? text : error->message ? error->message : "", -1);
	for (gsize i = 0; i < G_N_ELEMENTS(full); i++)
		if (strstr(lower, full[i]))
			return EDQUOT;
	return EIO;
}

static int from_imap(const GError *error)
{
	switch ((ImapErrorCode)error->code) {
	case IMAP_ERROR_NO:
		return from_no(error);
	case IMAP_ERROR_TIMEOUT:
		return ETIMEDOUT;
	case IMAP_ERROR_AUTH:
		return EACCES;
	case IMAP_ERROR_UNSUPPORTED:
		return ENOTSUP;
	case IMAP_ERROR_INVALID:
		return EINVAL;
	case IMAP_ERROR_NETWORK:
	case IMAP_ERROR_TLS:
	case IMAP_ERROR_BAD:
	case IMAP_ERROR_BYE:
	case IMAP_ERROR_PROTOCOL:
	case IMAP_ERROR_LOCAL:
	default:
		return EIO;
	}
}

/* SMTP's codes mean what IMAP's of the same name do; a refusal carries no IMAP code. */
static int from_smtp(const GError *error)
{
	switch ((SmtpErrorCode)error->code) {
	case SMTP_ERROR_TIMEOUT:
		return ETIMEDOUT;
	case SMTP_ERROR_AUTH:
		return EACCES;
	case SMTP_ERROR_UNSUPPORTED:
		return ENOTSUP;
	case SMTP_ERROR_INVALID:
		return EINVAL;
	case SMTP_ERROR_NO:
	case SMTP_ERROR_NETWORK:
	case SMTP_ERROR_TLS:
	case SMTP_ERROR_PROTOCOL:
	default:
		return EIO;
	}
}

static int from_io(const GError *error)
{
	switch (error->code) {
	case G_IO_ERROR_NOT_FOUND:
		return ENOENT;
	case G_IO_ERROR_EXISTS:
		return EEXIST;
	case G_IO_ERROR_PERMISSION_DENIED:
		return EACCES;
	case G_IO_ERROR_NO_SPACE:
		return ENOSPC;
	case G_IO_ERROR_READ_ONLY:
		return EROFS;
	case G_IO_ERROR_TIMED_OUT:
		return ETIMEDOUT;
	case G_IO_ERROR_INVALID_ARGUMENT:
		return EINVAL;
	case G_IO_ERROR_NOT_SUPPORTED:
		return ENOTSUP;
	case G_IO_ERROR_MESSAGE_TOO_LARGE:
		return EFBIG;
	default:
		return EIO;
	}
}

int fs_errno_from_error(const GError *error)
{
	if (!error)
		return EIO;
	if (error->domain == IMAP_ERROR)
		return from_imap(error);
	if (error->domain == SMTP_ERROR)
		return from_smtp(error);
	if (error->domain == G_IO_ERROR)
		return from_io(error);
	return EIO;
}

/* Errors nothing else explains to the user; ENOENT, EEXIST, EDQUOT and the like are the
 * answer itself (and refused writes log their own line, write-table.c). */
static gboolean worth_a_line(int err)
{
	return err == EIO || err == ETIMEDOUT;
}

int fs_errno_logged(FsLogLimit *limit, const char *folder, const char *name, const char *what,
		    const GError *error)
{
	int err = fs_errno_from_error(error);
	g_autofree char *line = NULL;
	guint dropped = 0;

	if (!worth_a_line(err))
		return err;
	line = g_strdup_printf("%s%s%s: %s: %s", folder && *folder ? folder : "/", name ? "/" : "",
			       name ? name : "", what,
			       error && error->message ? error->message : "unknown error");
	if (limit && !fs_log_limit_pass(limit, line, &dropped))
		return err;
	if (dropped)
		g_printerr("imapfs: %s (%u identical lines dropped since the last one)\n", line,
			   dropped);
	else
		g_printerr("imapfs: %s\n", line);
	return err;
}

/* imapfs — the session's life cycle and what callers may ask about it. The work is in
 * session-io.c (wire), session-auth.c (login), session-mailbox.c, session-message.c. */
#include "imap/session-internal.h"

#include <string.h>

ImapSession *imap_session_open(const ImapConfig *cfg, GError **error)
{
	ImapSession *s;

	g_return_val_if_fail(cfg != NULL, NULL);
	if (!cfg->net.host && !cfg->net.tunnel) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "no IMAP server given");
		return NULL;
	}
	s = session_new(cfg);
	if (!session_connect_and_login(s, cfg, error)) {
		imap_session_free(s);
		return NULL;
	}
	return s;
}

void imap_session_logout(ImapSession *s)
{
	g_autoptr(GError) err = NULL;

	if (!s)
		return;
	/* Best effort: a failing LOGOUT changes nothing for the caller. The BYE that
	 * precedes the tagged OK marks the session unusable, which ends the wait. */
	if (s->usable)
		session_run_simple(s, "LOGOUT", NULL, NULL, NULL, &err);
	imap_session_free(s);
}

gboolean imap_session_has_cap(const ImapSession *s, const char *cap)
{
	return imap_caps_has(s->caps, cap);
}

char *const *imap_session_caps(const ImapSession *s)
{
	return s->caps;
}

gboolean imap_session_is_enabled(const ImapSession *s, const char *ext)
{
	for (guint i = 0; i < s->enabled->len; i++) {
		if (g_ascii_strcasecmp(g_ptr_array_index(s->enabled, i), ext) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean imap_session_is_usable(const ImapSession *s)
{
	return s && s->usable;
}

const char *imap_session_auth_mechanism(const ImapSession *s)
{
	return s->mechanism;
}

void imap_session_set_unsolicited(ImapSession *s, ImapUnsolicitedFunc fn, gpointer user_data)
{
	s->unsol_fn = fn;
	s->unsol_data = user_data;
}

const char *imap_session_selected(const ImapSession *s)
{
	return s->selected;
}

void imap_session_abort(ImapSession *s)
{
	if (s && s->transport)
		net_transport_abort(s->transport);
}

guint32 imap_session_selected_uidvalidity(const ImapSession *s)
{
	return s->selected ? s->uidvalidity : 0;
}

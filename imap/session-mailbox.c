/* imapfs — mailbox commands: LIST, NAMESPACE, STATUS, CREATE/DELETE/RENAME and the
 * selected state (SELECT/EXAMINE with CONDSTORE/QRESYNC, CLOSE/UNSELECT). */
#include "imap/session-internal.h"
#include "imap/mailbox-name.h"

#include <string.h>

char *session_mailbox_encode(ImapSession *s, const char *name, GError **error)
{
	return imap_mailbox_name_to_wire(name, s->delimiter,
					 imap_session_is_enabled(s, "UTF8=ACCEPT"), error);
}

char *session_mailbox_decode(ImapSession *s, const char *wire, char delimiter)
{
	return imap_mailbox_name_from_wire(wire, delimiter,
					   imap_session_is_enabled(s, "UTF8=ACCEPT"));
}

gboolean session_cmd_add_mailbox(ImapSession *s, ImapCmd *cmd, const char *name, GError **error)
{
	g_autofree char *wire = session_mailbox_encode(s, name, error);

	if (!wire)
		return FALSE;
	imap_cmd_add_astring(cmd, wire, strlen(wire));
	return TRUE;
}

void imap_mailbox_free(ImapMailbox *mb)
{
	if (!mb)
		return;
	g_free(mb->name);
	g_strfreev(mb->flags);
	g_free(mb);
}

static ImapMailbox *mailbox_new(char *name)
{
	ImapMailbox *mb = g_new0(ImapMailbox, 1);

	mb->name = name;
	mb->messages = mb->uidnext = mb->uidvalidity = mb->highestmodseq = mb->unseen = -1;
	return mb;
}

static void mailbox_set_status(ImapMailbox *mb, const ImapStatusData *st)
{
	mb->messages = st->messages;
	mb->uidnext = st->uidnext;
	mb->uidvalidity = st->uidvalidity;
	mb->highestmodseq = st->highestmodseq;
	mb->unseen = st->unseen;
}

/* ---- LIST ---- */

typedef struct {
	GPtrArray *list;
	GHashTable *by_wire; /* wire name -> ImapMailbox* (borrowed) */
	GPtrArray *unreadable; /* why each unreadable LIST line was, or NULL */
} ListCollect;

static gboolean on_list(ImapSession *s, const ImapResponse *r, gpointer data)
{
	ListCollect *c = data;
	ImapMailbox *mb;

	if (r->type == IMAP_UNTAGGED_LIST && r->list_data.mailbox) {
		mb = mailbox_new(
		    session_mailbox_decode(s, r->list_data.mailbox, r->list_data.delimiter));
		mb->delimiter = r->list_data.delimiter;
		mb->flags = g_strdupv(r->list_data.flags ? r->list_data.flags : (char *[]){NULL});
		mb->noselect = imap_caps_has(mb->flags, "\\Noselect") ||
			       imap_caps_has(mb->flags, "\\NonExistent");
		g_ptr_array_add(c->list, mb);
		g_hash_table_insert(c->by_wire, g_strdup(r->list_data.mailbox), mb);
		return TRUE;
	}
	if (r->type == IMAP_UNTAGGED_UNREADABLE) {
		if (c->unreadable)
			g_ptr_array_add(c->unreadable, g_strdup(r->text));
		return TRUE;
	}
	if (r->type == IMAP_UNTAGGED_STATUS_DATA && r->status_data.mailbox) {
		mb = g_hash_table_lookup(c->by_wire, r->status_data.mailbox);
		if (mb)
			mailbox_set_status(mb, &r->status_data);
		return TRUE;
	}
	return FALSE;
}

gboolean imap_session_list(ImapSession *s, const char *pattern, gboolean with_status,
			   GPtrArray **out, GError **error)
{
	return imap_session_list_full(s, pattern, with_status, out, NULL, error);
}

gboolean imap_session_list_full(ImapSession *s, const char *pattern, gboolean with_status,
				GPtrArray **out, GPtrArray **unreadable, GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, "LIST \"\"");
	g_autoptr(GPtrArray) list =
	    g_ptr_array_new_with_free_func((GDestroyNotify)imap_mailbox_free);
	g_autoptr(GHashTable) by_wire =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
	ListCollect c = {list, by_wire, bad};

	if (!session_cmd_add_mailbox(s, cmd, pattern ? pattern : "*", error))
		return FALSE;
	if (with_status && imap_session_has_cap(s, "LIST-STATUS"))
		imap_cmd_add_raw(cmd, " RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY))");
	if (!session_run(s, cmd, NULL, "LIST", on_list, &c, NULL, error))
		return FALSE;
	for (guint i = 0; i < list->len && !s->delimiter_known; i++) {
		ImapMailbox *mb = g_ptr_array_index(list, i);
		if (mb->delimiter) {
			s->delimiter = mb->delimiter;
			s->delimiter_known = TRUE;
		}
	}
	*out = g_steal_pointer(&list);
	if (unreadable)
		*unreadable = g_steal_pointer(&bad);
	return TRUE;
}

/* ---- the hierarchy delimiter ---- */

typedef struct {
	gboolean found;
	char delimiter;
} DelimCollect;

static gboolean on_delim(ImapSession *s, const ImapResponse *r, gpointer data)
{
	DelimCollect *c = data;

	if (r->type == IMAP_UNTAGGED_NAMESPACE) {
		if (r->ns.personal && r->ns.personal->len > 0) {
			c->delimiter = g_array_index(r->ns.personal, ImapNamespace, 0).delimiter;
			c->found = TRUE;
		}
		return TRUE;
	}
	if (r->type == IMAP_UNTAGGED_LIST) {
		c->delimiter = r->list_data.delimiter;
		c->found = TRUE;
		return TRUE;
	}
	return FALSE;
}

gboolean imap_session_delimiter(ImapSession *s, char *out, GError **error)
{
	DelimCollect c = {FALSE, '\0'};

	if (!s->delimiter_known) {
		if (imap_session_has_cap(s, "NAMESPACE") &&
		    !session_run_simple(s, "NAMESPACE", on_delim, &c, NULL, error))
			return FALSE;
		if (!c.found && !session_run_simple(s, "LIST \"\" \"\"", on_delim, &c, NULL, error))
			return FALSE;
		s->delimiter = c.delimiter;
		s->delimiter_known = TRUE;
	}
	*out = s->delimiter;
	return TRUE;
}

void imap_session_set_delimiter(ImapSession *s, char delimiter)
{
	s->delimiter = delimiter;
	s->delimiter_known = TRUE;
}

/* ---- STATUS ---- */

static gboolean on_status(ImapSession *s, const ImapResponse *r, gpointer data)
{
	ImapMailbox *mb = data;

	if (r->type != IMAP_UNTAGGED_STATUS_DATA)
		return FALSE;
	mailbox_set_status(mb, &r->status_data);
	return TRUE;
}

gboolean imap_session_status(ImapSession *s, const char *mailbox, ImapMailbox **out, GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, "STATUS");
	g_autofree char *what = g_strdup_printf("STATUS \"%s\"", mailbox);
	ImapMailbox *mb;

	if (!session_cmd_add_mailbox(s, cmd, mailbox, error))
		return FALSE;
	imap_cmd_add_raw(cmd, imap_session_has_cap(s, "CONDSTORE")
				  ? " (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"
				  : " (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)");
	mb = mailbox_new(g_strdup(mailbox));
	mb->delimiter = s->delimiter;
	if (!session_run(s, cmd, NULL, what, on_status, mb, NULL, error)) {
		imap_mailbox_free(mb);
		return FALSE;
	}
	*out = mb;
	return TRUE;
}

/* ---- CREATE / DELETE / RENAME ---- */

static gboolean mailbox_command(ImapSession *s, const char *verb, const char *a, const char *b,
				GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, verb);
	g_autofree char *what = b ? g_strdup_printf("%s \"%s\" to \"%s\"", verb, a, b)
				  : g_strdup_printf("%s \"%s\"", verb, a);

	if (!session_cmd_add_mailbox(s, cmd, a, error))
		return FALSE;
	if (b && !session_cmd_add_mailbox(s, cmd, b, error))
		return FALSE;
	return session_run(s, cmd, NULL, what, NULL, NULL, NULL, error);
}

gboolean imap_session_create(ImapSession *s, const char *mailbox, GError **error)
{
	return mailbox_command(s, "CREATE", mailbox, NULL, error);
}

gboolean imap_session_delete(ImapSession *s, const char *mailbox, GError **error)
{
	return mailbox_command(s, "DELETE", mailbox, NULL, error);
}

gboolean imap_session_rename(ImapSession *s, const char *from, const char *to, GError **error)
{
	return mailbox_command(s, "RENAME", from, to, error);
}

/* ---- SELECT / EXAMINE ---- */

void imap_select_info_clear(ImapSelectInfo *info)
{
	if (!info)
		return;
	g_strfreev(info->permanent_flags);
	if (info->vanished)
		g_array_unref(info->vanished);
	memset(info, 0, sizeof(*info));
}

typedef struct {
	ImapFetchFunc fetch_cb;
	gpointer user_data;
	GArray *vanished;
} SelectCollect;

static gboolean on_select(ImapSession *s, const ImapResponse *r, gpointer data)
{
	SelectCollect *c = data;

	switch (r->type) {
	case IMAP_UNTAGGED_FETCH:
		if (!c->fetch_cb)
			return FALSE;
		c->fetch_cb(&r->fetch, c->user_data);
		return TRUE;
	case IMAP_UNTAGGED_VANISHED:
		if (!r->vanished_earlier || !r->vanished)
			return FALSE;
		g_array_append_vals(c->vanished, r->vanished->data, r->vanished->len);
		return TRUE;
	case IMAP_UNTAGGED_STATUS:
		if (r->code.type == IMAP_CODE_PERMANENTFLAGS) {
			g_strfreev(s->permanent_flags);
			s->permanent_flags = g_strdupv(r->code.list);
		} else if (r->code.type == IMAP_CODE_NOMODSEQ) {
			s->highestmodseq = 0;
		}
		return r->status == IMAP_STATUS_OK;
	case IMAP_UNTAGGED_EXISTS:
	case IMAP_UNTAGGED_RECENT:
	case IMAP_UNTAGGED_FLAGS:
		return TRUE;
	default:
		return FALSE;
	}
}

static void reset_selected(ImapSession *s)
{
	g_clear_pointer(&s->selected, g_free);
	g_clear_pointer(&s->permanent_flags, g_strfreev);
	s->uidvalidity = s->uidnext = s->exists = 0;
	s->highestmodseq = 0;
	s->read_only = FALSE;
}

static gboolean do_select(ImapSession *s, const char *mailbox, gboolean read_only,
			  const char *params, SelectCollect *c, ImapSelectInfo *out, GError **error)
{
	const char *verb = read_only ? "EXAMINE" : "SELECT";
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, verb);
	g_autoptr(ImapResponse) tagged = NULL;
	g_autofree char *what = g_strdup_printf("%s \"%s\"", verb, mailbox);

	if (!session_cmd_add_mailbox(s, cmd, mailbox, error))
		return FALSE;
	if (params)
		imap_cmd_add_raw(cmd, params);
	/* The server deselects the old mailbox even when this SELECT fails. */
	reset_selected(s);
	if (!session_run(s, cmd, NULL, what, on_select, c, &tagged, error))
		return FALSE;
	s->selected = g_strdup(mailbox);
	s->read_only = read_only || tagged->code.type == IMAP_CODE_READ_ONLY;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->uidvalidity = s->uidvalidity;
		out->uidnext = s->uidnext;
		out->exists = s->exists;
		out->highestmodseq = s->highestmodseq;
		out->read_only = s->read_only;
		out->permanent_flags = g_strdupv(s->permanent_flags);
		if (c->vanished->len > 0)
			out->vanished = g_array_ref(c->vanished);
	}
	return TRUE;
}

gboolean imap_session_select(ImapSession *s, const char *mailbox, gboolean read_only,
			     ImapSelectInfo *out, GError **error)
{
	g_autoptr(GArray) vanished = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	SelectCollect c = {NULL, NULL, vanished};
	/* Ask for HIGHESTMODSEQ when CONDSTORE is offered but was not enabled. */
	gboolean condstore = imap_session_has_cap(s, "CONDSTORE") &&
			     !imap_session_is_enabled(s, "CONDSTORE") &&
			     !imap_session_is_enabled(s, "QRESYNC");

	return do_select(s, mailbox, read_only, condstore ? " (CONDSTORE)" : NULL, &c, out, error);
}

gboolean imap_session_select_qresync(ImapSession *s, const char *mailbox, gboolean read_only,
				     guint32 known_uidvalidity, guint64 known_modseq,
				     ImapFetchFunc fetch_cb, gpointer user_data,
				     ImapSelectInfo *out, GError **error)
{
	g_autoptr(GArray) vanished = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	SelectCollect c = {fetch_cb, user_data, vanished};
	g_autofree char *params = NULL;

	if (!imap_session_is_enabled(s, "QRESYNC")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED,
			    "QRESYNC is not enabled on this connection");
		return FALSE;
	}
	if (known_uidvalidity == 0 || known_modseq == 0)
		return imap_session_select(s, mailbox, read_only, out, error);
	params = g_strdup_printf(" (QRESYNC (%u %" G_GUINT64_FORMAT "))", known_uidvalidity,
				 known_modseq);
	return do_select(s, mailbox, read_only, params, &c, out, error);
}

gboolean imap_session_close(ImapSession *s, GError **error)
{
	g_autofree char *mailbox = NULL;
	gboolean ok;

	if (!s->selected)
		return TRUE;
	if (imap_session_has_cap(s, "UNSELECT")) {
		ok = session_run_simple(s, "UNSELECT", NULL, NULL, NULL, error);
	} else {
		/* CLOSE in a read-write mailbox expunges every \Deleted message, which could
		 * delete mail someone else only marked. Re-open read-only first. */
		mailbox = g_strdup(s->selected);
		ok = (s->read_only || imap_session_select(s, mailbox, TRUE, NULL, error)) &&
		     session_run_simple(s, "CLOSE", NULL, NULL, NULL, error);
	}
	if (ok)
		reset_selected(s);
	return ok;
}

/* imapfs — interprets untagged data responses (all but FETCH and the numbered ones). */
#include "imap/parser-internal.h"
#include "imap/error.h"

#include <string.h>

#define BAD(raw, i, ...)                                                                          \
	(imap_parse_error(error, (raw)->text, (raw)->len, ARG(raw, i)->pos, __VA_ARGS__), FALSE)

/* ---- helpers over args ------------------------------------------------------- */

gboolean imap_arg_is(const Arg *a, const char *atom)
{
	return a->type == ARG_ATOM && strlen(atom) == a->len &&
	       g_ascii_strncasecmp(a->str, atom, a->len) == 0;
}

guint imap_arg_count(ImapRawResp *raw, guint list)
{
	guint n = 0;
	for (guint i = list + 1; i < ARG(raw, list)->next; i = ARG(raw, i)->next)
		n++;
	return n;
}

gboolean imap_arg_number(ImapRawResp *raw, guint i, guint64 max, const char *what, guint64 *out,
			 GError **error)
{
	const Arg *a = ARG(raw, i);
	if (a->type != ARG_ATOM || !imap_parse_number(a->str, a->len, max, out)) {
		gboolean digits = a->type == ARG_ATOM && a->len > 0;
		for (gsize k = 0; digits && k < a->len; k++)
			digits = g_ascii_isdigit(a->str[k]);
		return digits ? BAD(raw, i, "number too big for %s", what)
			      : BAD(raw, i, "expected a number for %s", what);
	}
	return TRUE;
}

/* astring / nstring as a C string; NUL bytes and spooled literals are refused. */
char *imap_arg_dup_string(ImapRawResp *raw, guint i, gboolean nil_ok, GError **error)
{
	const Arg *a = ARG(raw, i);
	if (a->type == ARG_NIL && nil_ok)
		return NULL;
	if (a->type == ARG_LIST || (a->type == ARG_STRING && a->str == NULL)) {
		(void)BAD(raw, i, "expected a string");
		return NULL;
	}
	if (memchr(a->str, '\0', a->len)) {
		(void)BAD(raw, i, "NUL in a string");
		return NULL;
	}
	return g_strndup(a->str, a->len);
}

/* A parenthesized list of atoms (flags, capabilities) into a NULL-terminated vector. */
char **imap_arg_atom_list(ImapRawResp *raw, guint list, GError **error)
{
	if (ARG(raw, list)->type != ARG_LIST) {
		(void)BAD(raw, list, "expected a list");
		return NULL;
	}
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	for (guint i = list + 1; i < ARG(raw, list)->next; i = ARG(raw, i)->next) {
		const Arg *a = ARG(raw, i);
		if (a->type != ARG_ATOM && a->type != ARG_NIL) {
			g_ptr_array_unref(v);
			(void)BAD(raw, i, "expected an atom");
			return NULL;
		}
		g_ptr_array_add(v, g_strndup(a->str, a->len));
	}
	g_ptr_array_set_free_func(v, NULL);
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

/* ---- the responses ----------------------------------------------------------- */

/* CAPABILITY, ENABLED: the top level is the list of atoms. */
static gboolean parse_word_list(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	r->list = imap_arg_atom_list(raw, 0, error);
	return r->list != NULL;
}

static gboolean parse_flags(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) != 1)
		return BAD(raw, 0, "FLAGS needs one list");
	r->list = imap_arg_atom_list(raw, 1, error);
	return r->list != NULL;
}

static gboolean parse_delimiter(ImapRawResp *raw, guint i, char *out, GError **error)
{
	const Arg *a = ARG(raw, i);
	if (a->type == ARG_NIL) {
		*out = '\0';
		return TRUE;
	}
	if (a->type != ARG_STRING || a->len != 1 || a->str == NULL || a->str[0] == '\0')
		return BAD(raw, i, "bad hierarchy delimiter");
	*out = a->str[0];
	return TRUE;
}

/* LIST (flags) delimiter mailbox [extended data, ignored] */
static gboolean parse_list(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) < 3)
		return BAD(raw, 0, "LIST needs flags, delimiter and name");
	guint f = 1, d = ARG(raw, f)->next, m = ARG(raw, d)->next;
	r->list_data.flags = imap_arg_atom_list(raw, f, error);
	if (r->list_data.flags == NULL || !parse_delimiter(raw, d, &r->list_data.delimiter, error))
		return FALSE;
	/* A mailbox called NIL arrives as an atom that reads NIL: it is still a name. */
	if (ARG(raw, m)->type == ARG_NIL)
		ARG(raw, m)->type = ARG_ATOM;
	r->list_data.mailbox = imap_arg_dup_string(raw, m, FALSE, error);
	return r->list_data.mailbox != NULL;
}

static gboolean status_item(ImapRawResp *raw, ImapStatusData *s, guint k, guint v,
			    GError **error)
{
	static const struct {
		const char *name;
		gsize off;
		guint64 max;
	} items[] = {
		{"MESSAGES", G_STRUCT_OFFSET(ImapStatusData, messages), G_MAXUINT32},
		{"RECENT", G_STRUCT_OFFSET(ImapStatusData, recent), G_MAXUINT32},
		{"UIDNEXT", G_STRUCT_OFFSET(ImapStatusData, uidnext), G_MAXUINT32},
		{"UIDVALIDITY", G_STRUCT_OFFSET(ImapStatusData, uidvalidity), G_MAXUINT32},
		{"UNSEEN", G_STRUCT_OFFSET(ImapStatusData, unseen), G_MAXUINT32},
		{"HIGHESTMODSEQ", G_STRUCT_OFFSET(ImapStatusData, highestmodseq), G_MAXINT64},
		{"SIZE", G_STRUCT_OFFSET(ImapStatusData, size), G_MAXINT64},
	};
	for (guint i = 0; i < G_N_ELEMENTS(items); i++) {
		if (!imap_arg_is(ARG(raw, k), items[i].name))
			continue;
		guint64 n;
		if (!imap_arg_number(raw, v, items[i].max, items[i].name, &n, error))
			return FALSE;
		*(gint64 *)((char *)s + items[i].off) = (gint64)n;
		return TRUE;
	}
	return TRUE; /* an item we did not ask for */
}

/* STATUS mailbox (name value ...) */
static gboolean parse_status(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) != 2)
		return BAD(raw, 0, "STATUS needs a mailbox and a list");
	guint m = 1, l = ARG(raw, m)->next;
	if (ARG(raw, m)->type == ARG_NIL)
		ARG(raw, m)->type = ARG_ATOM;
	r->status_data.mailbox = imap_arg_dup_string(raw, m, FALSE, error);
	if (r->status_data.mailbox == NULL)
		return FALSE;
	if (ARG(raw, l)->type != ARG_LIST)
		return BAD(raw, l, "STATUS needs a list");
	for (guint k = l + 1; k < ARG(raw, l)->next;) {
		guint v = ARG(raw, k)->next;
		if (v >= ARG(raw, l)->next)
			return BAD(raw, k, "STATUS item without a value");
		if (!status_item(raw, &r->status_data, k, v, error))
			return FALSE;
		k = ARG(raw, v)->next;
	}
	return TRUE;
}

/* SEARCH n n n [(MODSEQ m)]: the MODSEQ is checked but has no field to go to. */
static gboolean parse_search(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	r->search.numbers = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 1; i < ARG(raw, 0)->next; i = ARG(raw, i)->next) {
		guint64 n;
		if (ARG(raw, i)->type == ARG_LIST && ARG(raw, i)->next == raw->args->len) {
			if (imap_arg_count(raw, i) != 2 || !imap_arg_is(ARG(raw, i + 1), "MODSEQ"))
				return BAD(raw, i, "bad SEARCH modifier");
			return imap_arg_number(raw, i + 2, G_MAXINT64, "MODSEQ", &n, error);
		}
		if (!imap_arg_number(raw, i, G_MAXUINT32, "SEARCH", &n, error))
			return FALSE;
		guint32 v = (guint32)n;
		g_array_append_val(r->search.numbers, v);
	}
	return TRUE;
}

static gboolean esearch_item(ImapRawResp *raw, ImapSearchData *s, guint k, guint v,
			     GError **error)
{
	guint64 n;
	gint64 *num = imap_arg_is(ARG(raw, k), "MIN")     ? &s->min
		      : imap_arg_is(ARG(raw, k), "MAX")   ? &s->max
		      : imap_arg_is(ARG(raw, k), "COUNT") ? &s->count
							  : NULL;
	if (num) {
		if (!imap_arg_number(raw, v, G_MAXUINT32, "ESEARCH", &n, error))
			return FALSE;
		*num = (gint64)n;
	} else if (imap_arg_is(ARG(raw, k), "ALL")) {
		const Arg *a = ARG(raw, v);
		g_clear_pointer(&s->all, g_array_unref);
		s->all = a->type == ARG_ATOM ? imap_parse_set(a->str, a->len) : NULL;
		if (s->all == NULL)
			return BAD(raw, v, "bad ESEARCH ALL set");
	}
	return TRUE;
}

/* ESEARCH [(TAG "x")] [UID] (name value)* */
static gboolean parse_esearch(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	guint i = 1, end = ARG(raw, 0)->next;
	if (i < end && ARG(raw, i)->type == ARG_LIST) {
		if (imap_arg_count(raw, i) != 2 || !imap_arg_is(ARG(raw, i + 1), "TAG"))
			return BAD(raw, i, "bad ESEARCH correlator");
		r->search.tag = imap_arg_dup_string(raw, i + 2, FALSE, error);
		if (r->search.tag == NULL)
			return FALSE;
		i = ARG(raw, i)->next;
	}
	if (i < end && imap_arg_is(ARG(raw, i), "UID")) {
		r->search.uid = TRUE;
		i = ARG(raw, i)->next;
	}
	while (i < end) {
		guint v = ARG(raw, i)->next;
		if (v >= end || ARG(raw, i)->type != ARG_ATOM)
			return BAD(raw, i, "bad ESEARCH item");
		if (!esearch_item(raw, &r->search, i, v, error))
			return FALSE;
		i = ARG(raw, v)->next;
	}
	return TRUE;
}

/* NIL or ((prefix delim [ext]) ...) */
static gboolean parse_ns_group(ImapRawResp *raw, guint g, GArray **out, GError **error)
{
	if (ARG(raw, g)->type == ARG_NIL)
		return TRUE;
	if (ARG(raw, g)->type != ARG_LIST)
		return BAD(raw, g, "bad NAMESPACE group");
	GArray *a = g_array_new(FALSE, FALSE, sizeof(ImapNamespace));
	*out = a; /* owned by the response from here, so freed on failure */
	for (guint i = g + 1; i < ARG(raw, g)->next; i = ARG(raw, i)->next) {
		if (ARG(raw, i)->type != ARG_LIST || imap_arg_count(raw, i) < 2)
			return BAD(raw, i, "bad NAMESPACE entry");
		ImapNamespace ns = {0};
		if (!parse_delimiter(raw, ARG(raw, i + 1)->next, &ns.delimiter, error))
			return FALSE;
		ns.prefix = imap_arg_dup_string(raw, i + 1, FALSE, error);
		if (ns.prefix == NULL)
			return FALSE;
		g_array_append_val(a, ns);
	}
	return TRUE;
}

static gboolean parse_namespace(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) != 3)
		return BAD(raw, 0, "NAMESPACE needs three groups");
	guint p = 1, o = ARG(raw, p)->next, s = ARG(raw, o)->next;
	return parse_ns_group(raw, p, &r->ns.personal, error) &&
	       parse_ns_group(raw, o, &r->ns.other, error) &&
	       parse_ns_group(raw, s, &r->ns.shared, error);
}

/* QUOTA root (name usage limit ...) */
static gboolean parse_quota(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) != 2)
		return BAD(raw, 0, "QUOTA needs a root and a list");
	guint root = 1, l = ARG(raw, root)->next;
	if (ARG(raw, root)->type == ARG_NIL)
		ARG(raw, root)->type = ARG_ATOM;
	r->quota.root = imap_arg_dup_string(raw, root, FALSE, error);
	if (r->quota.root == NULL)
		return FALSE;
	if (ARG(raw, l)->type != ARG_LIST || imap_arg_count(raw, l) % 3 != 0)
		return BAD(raw, l, "QUOTA needs (name usage limit ...)");
	r->quota.resources = g_array_new(FALSE, FALSE, sizeof(ImapQuotaResource));
	for (guint i = l + 1; i < ARG(raw, l)->next;) {
		guint u = ARG(raw, i)->next, m = ARG(raw, u)->next;
		ImapQuotaResource q = {0};
		if (ARG(raw, i)->type != ARG_ATOM)
			return BAD(raw, i, "bad QUOTA resource");
		if (!imap_arg_number(raw, u, G_MAXINT64, "QUOTA", &q.usage, error) ||
		    !imap_arg_number(raw, m, G_MAXINT64, "QUOTA", &q.limit, error))
			return FALSE;
		q.name = g_ascii_strup(ARG(raw, i)->str, (gssize)ARG(raw, i)->len);
		g_array_append_val(r->quota.resources, q);
		i = ARG(raw, m)->next;
	}
	return TRUE;
}

/* QUOTAROOT mailbox root* */
static gboolean parse_quotaroot(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	if (imap_arg_count(raw, 0) < 1)
		return BAD(raw, 0, "QUOTAROOT needs a mailbox");
	GPtrArray *roots = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 1; i < ARG(raw, 0)->next; i = ARG(raw, i)->next) {
		if (ARG(raw, i)->type == ARG_NIL)
			ARG(raw, i)->type = ARG_ATOM;
		char *s = imap_arg_dup_string(raw, i, FALSE, error);
		if (s == NULL) {
			g_ptr_array_unref(roots);
			return FALSE;
		}
		if (i == 1)
			r->quotaroot.mailbox = s;
		else
			g_ptr_array_add(roots, s);
	}
	g_ptr_array_set_free_func(roots, NULL);
	g_ptr_array_add(roots, NULL);
	r->quotaroot.roots = (char **)g_ptr_array_free(roots, FALSE);
	return TRUE;
}

/* VANISHED [(EARLIER)] uid-set */
static gboolean parse_vanished(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	guint i = 1, end = ARG(raw, 0)->next;
	if (i < end && ARG(raw, i)->type == ARG_LIST) {
		if (imap_arg_count(raw, i) != 1 || !imap_arg_is(ARG(raw, i + 1), "EARLIER"))
			return BAD(raw, i, "bad VANISHED modifier");
		r->vanished_earlier = TRUE;
		i = ARG(raw, i)->next;
	}
	if (i >= end || ARG(raw, i)->next != end || ARG(raw, i)->type != ARG_ATOM)
		return BAD(raw, 0, "VANISHED needs one UID set");
	r->vanished = imap_parse_set(ARG(raw, i)->str, ARG(raw, i)->len);
	return r->vanished != NULL || BAD(raw, i, "bad VANISHED UID set");
}

static const struct {
	const char *kw;
	ImapUntaggedType type;
	gboolean (*parse)(ImapRawResp *raw, ImapResponse *r, GError **error);
} handlers[] = {
	{"CAPABILITY", IMAP_UNTAGGED_CAPABILITY, parse_word_list},
	{"ENABLED", IMAP_UNTAGGED_ENABLED, parse_word_list},
	{"FLAGS", IMAP_UNTAGGED_FLAGS, parse_flags},
	{"LIST", IMAP_UNTAGGED_LIST, parse_list},
	{"LSUB", IMAP_UNTAGGED_LSUB, parse_list},
	{"STATUS", IMAP_UNTAGGED_STATUS_DATA, parse_status},
	{"SEARCH", IMAP_UNTAGGED_SEARCH, parse_search},
	{"ESEARCH", IMAP_UNTAGGED_ESEARCH, parse_esearch},
	{"NAMESPACE", IMAP_UNTAGGED_NAMESPACE, parse_namespace},
	{"QUOTA", IMAP_UNTAGGED_QUOTA, parse_quota},
	{"QUOTAROOT", IMAP_UNTAGGED_QUOTAROOT, parse_quotaroot},
	{"VANISHED", IMAP_UNTAGGED_VANISHED, parse_vanished},
};

gboolean imap_interpret_data(ImapRawResp *raw, ImapResponse *r, const char *kw, gsize kwlen,
			     gsize pos, GError **error)
{
	if (!imap_args_parse(raw, pos, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(handlers); i++) {
		if (strlen(handlers[i].kw) == kwlen &&
		    g_ascii_strncasecmp(kw, handlers[i].kw, kwlen) == 0) {
			r->type = handlers[i].type;
			return handlers[i].parse(raw, r, error);
		}
	}
	/* Well formed but not ours (ID, METADATA, ...): keep the keyword for traces. */
	r->type = IMAP_UNTAGGED_OTHER;
	r->text = g_strndup(kw, kwlen);
	return TRUE;
}

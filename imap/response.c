/* imapfs — freeing, querying and dumping parsed responses. */
#include "imap/response.h"
#include "imap/error.h"

#include <string.h>

static void code_clear(ImapRespCode *c)
{
	g_free(c->name);
	g_clear_pointer(&c->src_uids, g_array_unref);
	g_clear_pointer(&c->dst_uids, g_array_unref);
	g_strfreev(c->list);
	g_free(c->arg);
}

static void namespaces_free(GArray *a)
{
	if (a == NULL)
		return;
	for (guint i = 0; i < a->len; i++)
		g_free(g_array_index(a, ImapNamespace, i).prefix);
	g_array_unref(a);
}

static void quota_clear(ImapQuotaData *q)
{
	g_free(q->root);
	if (q->resources) {
		for (guint i = 0; i < q->resources->len; i++)
			g_free(g_array_index(q->resources, ImapQuotaResource, i).name);
		g_array_unref(q->resources);
	}
}

void imap_response_free(ImapResponse *r)
{
	if (r == NULL)
		return;
	g_free(r->tag);
	code_clear(&r->code);
	g_free(r->text);
	g_strfreev(r->list);
	g_clear_pointer(&r->vanished, g_array_unref);
	g_strfreev(r->list_data.flags);
	g_free(r->list_data.mailbox);
	g_free(r->status_data.mailbox);
	g_strfreev(r->fetch.flags);
	g_free(r->fetch.body_section);
	g_free(r->fetch.unusable);
	imap_body_unref(r->fetch.body);
	g_free(r->search.tag);
	g_clear_pointer(&r->search.all, g_array_unref);
	g_clear_pointer(&r->search.numbers, g_array_unref);
	namespaces_free(r->ns.personal);
	namespaces_free(r->ns.other);
	namespaces_free(r->ns.shared);
	quota_clear(&r->quota);
	g_free(r->quotaroot.mailbox);
	g_strfreev(r->quotaroot.roots);
	g_free(r);
}

GError *imap_response_refusal(const ImapResponse *tagged, const char *what)
{
	const ImapRespCode *c = &tagged->code;
	gboolean has_code = c->type != IMAP_CODE_NONE && c->name;
	g_autofree char *code = imap_resp_code_format(c);
	GError *error;

	error = g_error_new(
	    IMAP_ERROR, tagged->status == IMAP_STATUS_BAD ? IMAP_ERROR_BAD : IMAP_ERROR_NO,
	    "server refused %s: %s%s", what, code, tagged->text ? tagged->text : "");
	imap_error_set_response(error, c->type, has_code ? c->name : NULL, tagged->text);
	return error;
}

char *imap_resp_code_format(const ImapRespCode *code)
{
	if (code->type == IMAP_CODE_NONE || !code->name)
		return g_strdup("");
	if (code->arg)
		return g_strdup_printf("[%s %s] ", code->name, code->arg);
	return g_strdup_printf("[%s] ", code->name);
}

gboolean imap_caps_has(char *const *caps, const char *cap)
{
	if (caps == NULL || cap == NULL)
		return FALSE;
	for (; *caps; caps++)
		if (g_ascii_strcasecmp(*caps, cap) == 0)
			return TRUE;
	return FALSE;
}

/* ---- canonical dump ---------------------------------------------------------- */

/* Quotes bytes so that every dump is one printable line whatever the input held. */
static void put_bytes(GString *s, const guint8 *p, gsize len)
{
	g_string_append_c(s, '"');
	for (gsize i = 0; i < len; i++) {
		guint8 c = p[i];
		if (c == '"' || c == '\\')
			g_string_append_printf(s, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			g_string_append_printf(s, "\\x%02x", c);
		else
			g_string_append_c(s, (char)c);
	}
	g_string_append_c(s, '"');
}

static void put_str(GString *s, const char *key, const char *v)
{
	if (v == NULL)
		return;
	g_string_append_printf(s, " %s=", key);
	put_bytes(s, (const guint8 *)v, strlen(v));
}

static void put_strv(GString *s, const char *key, char *const *v)
{
	if (v == NULL)
		return;
	g_string_append_printf(s, " %s=(", key);
	for (guint i = 0; v[i]; i++) {
		if (i)
			g_string_append_c(s, ' ');
		put_bytes(s, (const guint8 *)v[i], strlen(v[i]));
	}
	g_string_append_c(s, ')');
}

static void put_ranges(GString *s, const char *key, const GArray *a)
{
	if (a == NULL)
		return;
	g_string_append_printf(s, " %s=", key);
	for (guint i = 0; i < a->len; i++) {
		const ImapRange *r = &g_array_index(a, ImapRange, i);
		g_string_append_printf(s, i ? ",%u" : "%u", r->first);
		if (r->last != r->first)
			g_string_append_printf(s, ":%u", r->last);
	}
	if (a->len == 0)
		g_string_append(s, "()");
}

static void put_i64(GString *s, const char *key, gint64 v)
{
	if (v >= 0)
		g_string_append_printf(s, " %s=%" G_GINT64_FORMAT, key, v);
}

static void put_code(GString *s, const ImapRespCode *c)
{
	if (c->type == IMAP_CODE_NONE)
		return;
	g_string_append_printf(s, " code=[%d", (int)c->type);
	put_str(s, "name", c->name);
	if (c->number)
		g_string_append_printf(s, " number=%" G_GUINT64_FORMAT, c->number);
	if (c->uidvalidity)
		g_string_append_printf(s, " uidvalidity=%u", c->uidvalidity);
	put_ranges(s, "src", c->src_uids);
	put_ranges(s, "dst", c->dst_uids);
	put_strv(s, "list", c->list);
	put_str(s, "arg", c->arg);
	g_string_append_c(s, ']');
}

static void put_body(GString *s, ImapBody *b)
{
	if (b == NULL) {
		g_string_append(s, " body=NIL");
		return;
	}
	guint64 size = imap_body_get_size(b);
	g_string_append_printf(s, " body=%" G_GUINT64_FORMAT ":", size);
	guint8 buf[4096];
	guint64 off = 0;
	/* Content only, never where it lives: a spooled and an in-memory body must compare equal. */
	GString *tmp = g_string_new("");
	while (off < size) {
		gssize n = imap_body_pread(b, buf, sizeof(buf), off);
		if (n <= 0) {
			g_string_append(tmp, "<read error>");
			break;
		}
		g_string_append_len(tmp, (const char *)buf, n);
		off += (guint64)n;
	}
	put_bytes(s, (const guint8 *)tmp->str, tmp->len);
	g_string_free(tmp, TRUE);
}

static void put_fetch(GString *s, const ImapFetchData *f)
{
	g_string_append_printf(s, " seq=%u fields=%u", f->seq, f->fields);
	if (f->fields & IMAP_FETCH_UID)
		g_string_append_printf(s, " uid=%u", f->uid);
	put_strv(s, "flags", f->flags);
	if (f->fields & IMAP_FETCH_INTERNALDATE)
		g_string_append_printf(s, " internaldate=%" G_GINT64_FORMAT, f->internaldate);
	if (f->fields & IMAP_FETCH_SIZE)
		g_string_append_printf(s, " size=%" G_GUINT64_FORMAT, f->size);
	if (f->fields & IMAP_FETCH_MODSEQ)
		g_string_append_printf(s, " modseq=%" G_GUINT64_FORMAT, f->modseq);
	if (f->fields & IMAP_FETCH_BODY) {
		g_string_append_printf(s, " %s", f->body_binary ? "binary" : "bodysec");
		put_str(s, "section", f->body_section);
		put_i64(s, "origin", f->body_origin);
		put_body(s, f->body);
	}
	if (f->unusable_fields) {
		g_string_append_printf(s, " unusable_fields=%u", f->unusable_fields);
		put_str(s, "unusable", f->unusable);
	}
}

static void put_search(GString *s, const ImapSearchData *x)
{
	put_str(s, "stag", x->tag);
	if (x->uid)
		g_string_append(s, " uid");
	put_i64(s, "min", x->min);
	put_i64(s, "max", x->max);
	put_i64(s, "count", x->count);
	put_ranges(s, "all", x->all);
	if (x->numbers) {
		g_string_append(s, " numbers=(");
		for (guint i = 0; i < x->numbers->len; i++)
			g_string_append_printf(s, i ? " %u" : "%u",
					       g_array_index(x->numbers, guint32, i));
		g_string_append_c(s, ')');
	}
}

static void put_ns(GString *s, const char *key, const GArray *a)
{
	g_string_append_printf(s, " %s=", key);
	if (a == NULL) {
		g_string_append(s, "NIL");
		return;
	}
	g_string_append_c(s, '(');
	for (guint i = 0; i < a->len; i++) {
		const ImapNamespace *n = &g_array_index(a, ImapNamespace, i);
		g_string_append_printf(s, i ? " (" : "(");
		put_bytes(s, (const guint8 *)n->prefix, strlen(n->prefix));
		g_string_append_printf(s, " %d)", (int)(guint8)n->delimiter);
	}
	g_string_append_c(s, ')');
}

static void put_quota(GString *s, const ImapQuotaData *q)
{
	put_str(s, "root", q->root);
	if (q->resources == NULL)
		return;
	for (guint i = 0; i < q->resources->len; i++) {
		const ImapQuotaResource *r = &g_array_index(q->resources, ImapQuotaResource, i);
		put_str(s, "res", r->name);
		g_string_append_printf(s, "=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, r->usage,
				       r->limit);
	}
}

static void put_untagged_data(GString *s, const ImapResponse *r)
{
	const ImapStatusData *st = &r->status_data;
	switch (r->type) {
	case IMAP_UNTAGGED_LIST:
	case IMAP_UNTAGGED_LSUB:
		put_strv(s, "lflags", r->list_data.flags);
		g_string_append_printf(s, " delim=%d", (int)(guint8)r->list_data.delimiter);
		put_str(s, "mailbox", r->list_data.mailbox);
		break;
	case IMAP_UNTAGGED_STATUS_DATA:
		put_str(s, "mailbox", st->mailbox);
		put_i64(s, "messages", st->messages);
		put_i64(s, "recent", st->recent);
		put_i64(s, "uidnext", st->uidnext);
		put_i64(s, "uidvalidity", st->uidvalidity);
		put_i64(s, "unseen", st->unseen);
		put_i64(s, "highestmodseq", st->highestmodseq);
		put_i64(s, "size", st->size);
		break;
	case IMAP_UNTAGGED_EXISTS:
	case IMAP_UNTAGGED_RECENT:
	case IMAP_UNTAGGED_EXPUNGE:
		g_string_append_printf(s, " number=%u", r->number);
		break;
	case IMAP_UNTAGGED_VANISHED:
		if (r->vanished_earlier)
			g_string_append(s, " earlier");
		put_ranges(s, "uids", r->vanished);
		break;
	case IMAP_UNTAGGED_FETCH:
		put_fetch(s, &r->fetch);
		break;
	case IMAP_UNTAGGED_SEARCH:
	case IMAP_UNTAGGED_ESEARCH:
		put_search(s, &r->search);
		break;
	case IMAP_UNTAGGED_NAMESPACE:
		put_ns(s, "personal", r->ns.personal);
		put_ns(s, "other", r->ns.other);
		put_ns(s, "shared", r->ns.shared);
		break;
	case IMAP_UNTAGGED_QUOTA:
		put_quota(s, &r->quota);
		break;
	case IMAP_UNTAGGED_QUOTAROOT:
		put_str(s, "mailbox", r->quotaroot.mailbox);
		put_strv(s, "roots", r->quotaroot.roots);
		break;
	default:
		break;
	}
}

char *imap_response_to_string(const ImapResponse *r)
{
	if (r == NULL)
		return g_strdup("(null)");
	static const char *const kinds[] = {"TAGGED", "UNTAGGED", "CONT"};
	GString *s = g_string_new(kinds[r->kind <= IMAP_RESP_CONTINUATION ? r->kind : 0]);
	put_str(s, "tag", r->tag);
	if (r->kind == IMAP_RESP_UNTAGGED)
		g_string_append_printf(s, " type=%d", (int)r->type);
	if (r->status != IMAP_STATUS_NONE)
		g_string_append_printf(s, " status=%d", (int)r->status);
	put_code(s, &r->code);
	put_strv(s, "list", r->list);
	put_untagged_data(s, r);
	put_str(s, "text", r->text);
	return g_string_free(s, FALSE);
}

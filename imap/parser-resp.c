/* imapfs — interprets a framed response: its head, status responses and their codes. */
#include "imap/parser-internal.h"
#include "imap/error.h"

#include <string.h>

static const struct {
	const char *name;
	ImapStatus status;
} statuses[] = {
	{"OK", IMAP_STATUS_OK},   {"NO", IMAP_STATUS_NO},   {"BAD", IMAP_STATUS_BAD},
	{"BYE", IMAP_STATUS_BYE}, {"PREAUTH", IMAP_STATUS_PREAUTH},
};

static ImapStatus status_of(const char *w, gsize len)
{
	for (guint i = 0; i < G_N_ELEMENTS(statuses); i++)
		if (strlen(statuses[i].name) == len &&
		    g_ascii_strncasecmp(w, statuses[i].name, len) == 0)
			return statuses[i].status;
	return IMAP_STATUS_NONE;
}

static gsize word_len(const char *s, gsize len)
{
	gsize i = 0;
	while (i < len && s[i] != ' ' && s[i] != '\r' && s[i] != '\n')
		i++;
	return i;
}

/* Must agree with the interpreter below: the framer uses it to know that a line ending
 * in "{5}" is text, not a literal. Every tagged response is a status response. */
gboolean imap_head_is_text(const char *line, gsize len)
{
	if (len == 0 || line[0] == '+')
		return TRUE;
	gsize w1 = word_len(line, len);
	if (w1 != 1 || line[0] != '*')
		return TRUE;
	if (w1 + 1 >= len)
		return FALSE;
	const char *w2 = line + w1 + 1;
	return status_of(w2, word_len(w2, len - w1 - 1)) != IMAP_STATUS_NONE;
}

static const struct {
	const char *name;
	ImapCodeType type;
} codes[] = {
    {"ALERT", IMAP_CODE_ALERT},
    {"CAPABILITY", IMAP_CODE_CAPABILITY},
    {"PERMANENTFLAGS", IMAP_CODE_PERMANENTFLAGS},
    {"READ-ONLY", IMAP_CODE_READ_ONLY},
    {"READ-WRITE", IMAP_CODE_READ_WRITE},
    {"TRYCREATE", IMAP_CODE_TRYCREATE},
    {"UIDNEXT", IMAP_CODE_UIDNEXT},
    {"UIDVALIDITY", IMAP_CODE_UIDVALIDITY},
    {"UNSEEN", IMAP_CODE_UNSEEN},
    {"HIGHESTMODSEQ", IMAP_CODE_HIGHESTMODSEQ},
    {"NOMODSEQ", IMAP_CODE_NOMODSEQ},
    {"APPENDUID", IMAP_CODE_APPENDUID},
    {"COPYUID", IMAP_CODE_COPYUID},
    {"UIDNOTSTICKY", IMAP_CODE_UIDNOTSTICKY},
    {"CLOSED", IMAP_CODE_CLOSED},
    {"AUTHENTICATIONFAILED", IMAP_CODE_AUTHENTICATIONFAILED},
    {"AUTHORIZATIONFAILED", IMAP_CODE_AUTHORIZATIONFAILED},
    {"OVERQUOTA", IMAP_CODE_OVERQUOTA},
    {"NONEXISTENT", IMAP_CODE_NONEXISTENT},
    {"ALREADYEXISTS", IMAP_CODE_ALREADYEXISTS},
    {"INUSE", IMAP_CODE_INUSE},
    {"LIMIT", IMAP_CODE_LIMIT},
    {"CANNOT", IMAP_CODE_CANNOT},
    {"SERVERBUG", IMAP_CODE_SERVERBUG},
    {"EXPUNGEISSUED", IMAP_CODE_EXPUNGEISSUED},
    {"NOPERM", IMAP_CODE_NOPERM},
    {"UNAVAILABLE", IMAP_CODE_UNAVAILABLE},
    {"PRIVACYREQUIRED", IMAP_CODE_PRIVACYREQUIRED},
    {"CONTACTADMIN", IMAP_CODE_CONTACTADMIN},
    {"EXPIRED", IMAP_CODE_EXPIRED},
    {"CORRUPTION", IMAP_CODE_CORRUPTION},
    {"CLIENTBUG", IMAP_CODE_CLIENTBUG},
    {"HASCHILDREN", IMAP_CODE_HASCHILDREN},
};

/* Splits on spaces, dropping empty words (doubled spaces). */
static char **split_words(const char *s, gsize len)
{
	GPtrArray *v = g_ptr_array_new();
	gsize i = 0;
	while (i < len) {
		gsize w = word_len(s + i, len - i);
		if (w)
			g_ptr_array_add(v, g_strndup(s + i, w));
		i += w + 1;
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

/* "uidvalidity set [set]" of APPENDUID / COPYUID */
static gboolean code_uids(ImapRespCode *c, const char *a, gsize len, gboolean copy)
{
	gsize w1 = word_len(a, len);
	guint64 uv;
	if (!imap_parse_number(a, w1, G_MAXUINT32, &uv) || w1 + 1 >= len)
		return FALSE;
	a += w1 + 1;
	len -= w1 + 1;
	gsize w2 = word_len(a, len);
	GArray *first = imap_parse_set(a, w2);
	if (first == NULL)
		return FALSE;
	c->uidvalidity = (guint32)uv;
	if (!copy) {
		c->dst_uids = first;
		return w2 == len;
	}
	c->src_uids = first;
	if (w2 + 1 >= len)
		return FALSE;
	c->dst_uids = imap_parse_set(a + w2 + 1, len - w2 - 1);
	return c->dst_uids != NULL;
}

static gboolean code_args(ImapRespCode *c, const char *a, gsize len)
{
	switch (c->type) {
	case IMAP_CODE_CAPABILITY:
		c->list = split_words(a, len);
		return TRUE;
	case IMAP_CODE_PERMANENTFLAGS:
		if (len < 2 || a[0] != '(' || a[len - 1] != ')')
			return FALSE;
		c->list = split_words(a + 1, len - 2);
		return TRUE;
	case IMAP_CODE_UIDNEXT:
	case IMAP_CODE_UIDVALIDITY:
	case IMAP_CODE_UNSEEN:
		return imap_parse_number(a, len, G_MAXUINT32, &c->number);
	case IMAP_CODE_HIGHESTMODSEQ:
		return imap_parse_number(a, len, G_MAXINT64, &c->number);
	case IMAP_CODE_APPENDUID:
		return code_uids(c, a, len, FALSE);
	case IMAP_CODE_COPYUID:
		return code_uids(c, a, len, TRUE);
	default:
		c->arg = g_strndup(a, len);
		return TRUE;
	}
}

/* pos is just after '['; on success it is moved past ']'. */
static gboolean parse_code(ImapRawResp *raw, ImapRespCode *c, gsize *pos, gsize end,
			   GError **error)
{
	const char *t = raw->text + *pos;
	const char *close = memchr(t, ']', end - *pos);
	if (close == NULL) {
		imap_parse_error(error, raw->text, raw->len, *pos, "response code without ']'");
		return FALSE;
	}
	gsize len = (gsize)(close - t);
	gsize nl = word_len(t, len);
	if (nl == 0) {
		imap_parse_error(error, raw->text, raw->len, *pos, "empty response code");
		return FALSE;
	}
	c->name = g_ascii_strup(t, (gssize)nl);
	c->type = IMAP_CODE_OTHER;
	for (guint i = 0; i < G_N_ELEMENTS(codes); i++)
		if (strcmp(codes[i].name, c->name) == 0)
			c->type = codes[i].type;
	const char *a = nl < len ? t + nl + 1 : t + len;
	gsize alen = nl < len ? len - nl - 1 : 0;
	if ((alen > 0 || c->type == IMAP_CODE_OTHER || c->type == IMAP_CODE_CAPABILITY) &&
	    !code_args(c, a, alen)) {
		imap_parse_error(error, raw->text, raw->len, *pos, "bad argument to [%s]",
				 c->name);
		return FALSE;
	}
	if (alen == 0 && c->type == IMAP_CODE_OTHER)
		g_clear_pointer(&c->arg, g_free);
	if (alen == 0 && (c->type == IMAP_CODE_UIDNEXT || c->type == IMAP_CODE_UIDVALIDITY ||
			  c->type == IMAP_CODE_APPENDUID || c->type == IMAP_CODE_COPYUID ||
			  c->type == IMAP_CODE_PERMANENTFLAGS || c->type == IMAP_CODE_UNSEEN ||
			  c->type == IMAP_CODE_HIGHESTMODSEQ)) {
		imap_parse_error(error, raw->text, raw->len, *pos, "[%s] needs an argument",
				 c->name);
		return FALSE;
	}
	*pos += len + 1;
	return TRUE;
}

/* "[code] text" after a status word; both parts are optional (servers differ). */
static gboolean parse_resp_text(ImapRawResp *raw, ImapResponse *r, gsize pos, GError **error)
{
	gsize end = raw->len - 2;
	while (pos < end && raw->text[pos] == ' ')
		pos++;
	if (pos < end && raw->text[pos] == '[') {
		pos++;
		if (!parse_code(raw, &r->code, &pos, end, error))
			return FALSE;
		while (pos < end && raw->text[pos] == ' ')
			pos++;
	}
	r->text = g_strndup(raw->text + pos, end - pos);
	return TRUE;
}

static gboolean parse_continuation(ImapRawResp *raw, ImapResponse *r)
{
	gsize end = raw->len - 2, pos = 1;
	r->kind = IMAP_RESP_CONTINUATION;
	if (pos < end && raw->text[pos] == ' ')
		pos++;
	r->text = g_strndup(raw->text + pos, end - pos);
	return TRUE;
}

/* tag = 1*<ASTRING-CHAR except "+"> */
static gboolean valid_tag(const char *t, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)t[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c))
			return FALSE;
	}
	return TRUE;
}

static gboolean parse_tagged(ImapRawResp *raw, ImapResponse *r, gsize w1, GError **error)
{
	const char *t = raw->text;
	gsize end = raw->len - 2;
	if (!valid_tag(t, w1)) {
		imap_parse_error(error, t, raw->len, 0, "bad tag");
		return FALSE;
	}
	r->kind = IMAP_RESP_TAGGED;
	r->tag = g_strndup(t, w1);
	gsize p = w1 + 1;
	gsize w2 = p < end ? word_len(t + p, end - p) : 0;
	r->status = status_of(t + p, w2);
	if (r->status != IMAP_STATUS_OK && r->status != IMAP_STATUS_NO &&
	    r->status != IMAP_STATUS_BAD) {
		imap_parse_error(error, t, raw->len, p, "expected OK, NO or BAD after the tag");
		return FALSE;
	}
	return parse_resp_text(raw, r, p + w2, error);
}

static gboolean parse_numbered(ImapRawResp *raw, ImapResponse *r, gsize p, gsize w2,
			       GError **error)
{
	const char *t = raw->text;
	gsize end = raw->len - 2;
	guint64 n;
	if (!imap_parse_number(t + p, w2, G_MAXUINT32, &n)) {
		imap_parse_error(error, t, raw->len, p, "number too big");
		return FALSE;
	}
	r->number = (guint32)n;
	gsize q = p + w2 + 1;
	gsize w3 = q < end ? word_len(t + q, end - q) : 0;
	const char *kw = t + q;
	if (w3 == 5 && g_ascii_strncasecmp(kw, "FETCH", 5) == 0) {
		r->type = IMAP_UNTAGGED_FETCH;
		r->fetch.seq = (guint32)n;
		r->number = 0;
		return imap_interpret_fetch(raw, r, q + w3, error);
	}
	if (w3 == 6 && g_ascii_strncasecmp(kw, "EXISTS", 6) == 0)
		r->type = IMAP_UNTAGGED_EXISTS;
	else if (w3 == 6 && g_ascii_strncasecmp(kw, "RECENT", 6) == 0)
		r->type = IMAP_UNTAGGED_RECENT;
	else if (w3 == 7 && g_ascii_strncasecmp(kw, "EXPUNGE", 7) == 0)
		r->type = IMAP_UNTAGGED_EXPUNGE;
	else if (w3 == 0) {
		imap_parse_error(error, t, raw->len, p, "number without a keyword");
		return FALSE;
	} else
		r->type = IMAP_UNTAGGED_OTHER;
	/* Whatever follows must still be well formed. */
	return imap_args_parse(raw, q + w3, error);
}

static gboolean parse_untagged(ImapRawResp *raw, ImapResponse *r, GError **error)
{
	const char *t = raw->text;
	gsize end = raw->len - 2;
	r->kind = IMAP_RESP_UNTAGGED;
	if (end < 3 || t[1] != ' ') {
		imap_parse_error(error, t, raw->len, 0, "nothing after '*'");
		return FALSE;
	}
	gsize p = 2;
	gsize w2 = word_len(t + p, end - p);
	if (w2 == 0) {
		imap_parse_error(error, t, raw->len, p, "empty untagged response");
		return FALSE;
	}
	if (g_ascii_isdigit(t[p]))
		return parse_numbered(raw, r, p, w2, error);
	r->status = status_of(t + p, w2);
	if (r->status != IMAP_STATUS_NONE) {
		r->type = IMAP_UNTAGGED_STATUS;
		return parse_resp_text(raw, r, p + w2, error);
	}
	return imap_interpret_data(raw, r, t + p, w2, p + w2, error);
}

static ImapResponse *response_new(void)
{
	ImapResponse *r = g_new0(ImapResponse, 1);
	ImapStatusData *s = &r->status_data;
	s->messages = s->recent = s->uidnext = s->uidvalidity = -1;
	s->unseen = s->highestmodseq = s->size = -1;
	r->search.min = r->search.max = r->search.count = -1;
	r->fetch.body_origin = -1;
	return r;
}

/* One bad LIST line must cost its folder only, not the folder list: the response
 * arrived whole, so the stream is still in step. Other kinds stay fatal (a FETCH line
 * skipped would hide a message). */
ImapResponse *imap_unreadable_response(const char *text, gsize len, const GError *why)
{
	ImapResponse *r;

	if (len < 7 || (g_ascii_strncasecmp(text, "* LIST ", 7) != 0 &&
			g_ascii_strncasecmp(text, "* LSUB ", 7) != 0))
		return NULL;
	r = response_new();
	r->kind = IMAP_RESP_UNTAGGED;
	r->type = IMAP_UNTAGGED_UNREADABLE;
	r->text = g_strdup(why->message);
	return r;
}

gboolean imap_interpret(ImapRawResp *raw, ImapResponse **out, GError **error)
{
	g_autoptr(ImapResponse) r = response_new();
	g_autoptr(GError) why = NULL;
	const char *t = raw->text;
	gsize end = raw->len - 2;
	gboolean ok;
	if (end == 0) {
		imap_parse_error(error, t, raw->len, 0, "empty line");
		return FALSE;
	}
	if (t[0] == '+') {
		ok = parse_continuation(raw, r);
	} else {
		gsize w1 = word_len(t, end);
		if (w1 == 1 && t[0] == '*')
			ok = parse_untagged(raw, r, &why);
		else if (w1 >= end)
			ok = (imap_parse_error(&why, t, raw->len, 0, "expected a status"), FALSE);
		else
			ok = parse_tagged(raw, r, w1, &why);
	}
	if (!ok) {
		ImapResponse *bad = imap_unreadable_response(t, raw->len, why);

		if (!bad) {
			g_propagate_error(error, g_steal_pointer(&why));
			return FALSE;
		}
		imap_response_free(r);
		r = bad;
	}
	*out = g_steal_pointer(&r);
	return TRUE;
}

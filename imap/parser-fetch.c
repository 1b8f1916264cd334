/* imapfs — interprets "* n FETCH (...)" and INTERNALDATE. */
#include "imap/parser-internal.h"
#include "imap/error.h"

#include <string.h>

#define BAD(raw, i, ...)                                                                          \
	(imap_parse_error(error, (raw)->text, (raw)->len, ARG(raw, i)->pos, __VA_ARGS__), FALSE)

static int two_digits(const char *s)
{
	if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static gint64 days_from_civil(gint64 y, int m, int d)
{
	y -= m <= 2;
	gint64 era = (y >= 0 ? y : y - 399) / 400;
	gint64 yoe = y - era * 400;
	gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE;
 * a one-digit day without its leading space is accepted too (servers differ). */
gboolean imap_parse_date_time(const char *s, gsize len, gint64 *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[32];
	if (len == 25) {
		buf[0] = '0';
		memcpy(buf + 1, s, len);
	} else if (len == 26) {
		memcpy(buf, s, len);
		if (buf[0] == ' ')
			buf[0] = '0';
	} else {
		return FALSE;
	}
	s = buf;
	/* dd-Mon-yyyy hh:mm:ss +zzzz */
	int day = two_digits(s), mon = -1;
	for (int i = 0; i < 12; i++)
		if (g_ascii_strncasecmp(s + 3, months + 3 * i, 3) == 0)
			mon = i + 1;
	int y1 = two_digits(s + 7), y2 = two_digits(s + 9);
	int hh = two_digits(s + 12), mi = two_digits(s + 15), ss = two_digits(s + 18);
	int zh = two_digits(s + 22), zm = two_digits(s + 24);
	if (s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
	    s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
		return FALSE;
	if (day < 1 || day > 31 || mon < 0 || y1 < 0 || y2 < 0 || hh < 0 || hh > 23 || mi < 0 ||
	    mi > 59 || ss < 0 || ss > 60 || zh < 0 || zm < 0 || zm > 59)
		return FALSE;
	gint64 t = days_from_civil(y1 * 100 + y2, mon, day) * 86400 + hh * 3600 + mi * 60 + ss;
	gint64 zone = zh * 3600 + zm * 60;
	*out = s[21] == '+' ? t - zone : t + zone;
	return TRUE;
}

/* "BODY[HEADER]<0>" → section "HEADER", origin 0; FALSE when it is not a body item. */
static gboolean body_item(const Arg *a, gboolean *binary, char **section, gint64 *origin)
{
	const char *s = a->str;
	const char *open = memchr(s, '[', a->len);
	if (open == NULL) {
		static const char *const rfc[][2] = {
			{"RFC822", ""}, {"RFC822.HEADER", "HEADER"}, {"RFC822.TEXT", "TEXT"}};
		for (guint i = 0; i < G_N_ELEMENTS(rfc); i++) {
			if (imap_arg_is(a, rfc[i][0])) {
				*binary = FALSE;
				*section = g_strdup(rfc[i][1]);
				*origin = -1;
				return TRUE;
			}
		}
		return FALSE;
	}
	gsize plen = (gsize)(open - s);
	if (plen == 4 && g_ascii_strncasecmp(s, "BODY", 4) == 0)
		*binary = FALSE;
	else if (plen == 6 && g_ascii_strncasecmp(s, "BINARY", 6) == 0)
		*binary = TRUE;
	else
		return FALSE;
	const char *close = memchr(open, ']', a->len - plen);
	const char *end = s + a->len;
	gint64 org = -1;
	if (close == NULL)
		return FALSE;
	if (close + 1 < end) {
		guint64 n;
		if (end - close < 4 || close[1] != '<' || end[-1] != '>' ||
		    !imap_parse_number(close + 2, (gsize)(end - close - 3), G_MAXINT64, &n))
			return FALSE;
		org = (gint64)n;
	}
	*section = g_strndup(open + 1, (gsize)(close - open - 1));
	*origin = org;
	return TRUE;
}

static gboolean fetch_body(ImapRawResp *raw, ImapFetchData *f, guint k, guint v,
			   GError **error)
{
	gboolean binary;
	char *section;
	gint64 origin;
	if (!body_item(ARG(raw, k), &binary, &section, &origin))
		return BAD(raw, k, "bad body section");
	if (f->fields & IMAP_FETCH_BODY) {
		/* imapfs asks for one body per FETCH; keep the first if a server sends more. */
		g_free(section);
		return TRUE;
	}
	const Arg *a = ARG(raw, v);
	f->fields |= IMAP_FETCH_BODY;
	f->body_binary = binary;
	f->body_section = section;
	f->body_origin = origin;
	if (a->type == ARG_NIL)
		return TRUE;
	if (a->type != ARG_STRING)
		return BAD(raw, v, "body must be a string, a literal or NIL");
	if (a->lit) {
		f->body = imap_body_ref(a->lit);
	} else {
		g_autoptr(GBytes) b = g_bytes_new(a->str, a->len);
		f->body = imap_body_new_bytes(b);
	}
	return TRUE;
}

/* An item whose value is well-formed IMAP but cannot be used (UID 0, a date that is not
 * one) costs the line that item only: what to do with the rest is the caller's call.
 * Always TRUE (the response goes on). */
static gboolean unusable(ImapFetchData *f, ImapFetchFields field, const Arg *key, const Arg *a)
{
	f->unusable_fields |= field;
	if (f->unusable)
		return TRUE;
	g_autoptr(GString) s = g_string_new(NULL);
	g_string_append_len(s, key->str, (gssize)key->len);
	if (a->type == ARG_LIST)
		g_string_append(s, " (...)");
	else if (a->str == NULL)
		g_string_append(s, " {literal}");
	else {
		gboolean quoted = a->type == ARG_STRING;
		g_autofree char *raw = g_strndup(a->str, MIN(a->len, IMAP_FETCH_UNUSABLE_MAX));
		g_autofree char *esc = g_strescape(raw, NULL);
		g_string_append_printf(s, quoted ? " \"%s\"" : " %s", esc);
	}
	if (s->len > IMAP_FETCH_UNUSABLE_MAX) {
		g_string_truncate(s, IMAP_FETCH_UNUSABLE_MAX - 3);
		g_string_append(s, "...");
	}
	f->unusable = g_string_free(g_steal_pointer(&s), FALSE);
	return TRUE;
}

static gboolean fetch_item(ImapRawResp *raw, ImapFetchData *f, guint k, guint v,
			   GError **error)
{
	const Arg *key = ARG(raw, k);
	guint64 n;
	if (key->type != ARG_ATOM)
		return BAD(raw, k, "bad FETCH item name");
	if (imap_arg_is(key, "UID")) {
		const Arg *a = ARG(raw, v);
		if (a->type != ARG_ATOM || !imap_parse_number(a->str, a->len, G_MAXUINT32, &n) ||
		    n == 0)
			return unusable(f, IMAP_FETCH_UID, key, a);
		f->uid = (guint32)n;
		f->fields |= IMAP_FETCH_UID;
	} else if (imap_arg_is(key, "FLAGS")) {
		char **fl = imap_arg_atom_list(raw, v, error);
		if (fl == NULL)
			return FALSE;
		g_strfreev(f->flags);
		f->flags = fl;
		f->fields |= IMAP_FETCH_FLAGS;
	} else if (imap_arg_is(key, "INTERNALDATE")) {
		const Arg *a = ARG(raw, v);
		if (a->type != ARG_STRING || a->str == NULL ||
		    !imap_parse_date_time(a->str, a->len, &f->internaldate))
			return unusable(f, IMAP_FETCH_INTERNALDATE, key, a);
		f->fields |= IMAP_FETCH_INTERNALDATE;
	} else if (imap_arg_is(key, "RFC822.SIZE")) {
		if (!imap_arg_number(raw, v, G_MAXINT64, "RFC822.SIZE", &f->size, error))
			return FALSE;
		f->fields |= IMAP_FETCH_SIZE;
	} else if (imap_arg_is(key, "MODSEQ")) {
		if (ARG(raw, v)->type != ARG_LIST || imap_arg_count(raw, v) != 1)
			return BAD(raw, v, "MODSEQ needs (number)");
		if (!imap_arg_number(raw, v + 1, G_MAXINT64, "MODSEQ", &f->modseq, error))
			return FALSE;
		f->fields |= IMAP_FETCH_MODSEQ;
	} else if (memchr(key->str, '[', key->len) || imap_arg_is(key, "RFC822") ||
		   imap_arg_is(key, "RFC822.HEADER") || imap_arg_is(key, "RFC822.TEXT")) {
		if (key->len >= 11 && g_ascii_strncasecmp(key->str, "BINARY.SIZE", 11) == 0)
			return TRUE;
		return fetch_body(raw, f, k, v, error);
	}
	/* ENVELOPE, BODYSTRUCTURE, BODY, X-GM-*, ...: already checked by the lexer. */
	return TRUE;
}

gboolean imap_interpret_fetch(ImapRawResp *raw, ImapResponse *r, gsize pos, GError **error)
{
	if (!imap_args_parse(raw, pos, error))
		return FALSE;
	if (imap_arg_count(raw, 0) != 1 || ARG(raw, 1)->type != ARG_LIST)
		return BAD(raw, 0, "FETCH needs one list");
	guint end = ARG(raw, 1)->next;
	for (guint k = 2; k < end;) {
		guint v = ARG(raw, k)->next;
		if (v >= end)
			return BAD(raw, k, "FETCH item without a value");
		if (!fetch_item(raw, &r->fetch, k, v, error))
			return FALSE;
		k = ARG(raw, v)->next;
	}
	return TRUE;
}

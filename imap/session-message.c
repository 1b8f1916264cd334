/* imapfs — message commands in the selected state: UID FETCH (metadata, bodies, partial
 * and several bodies at once), STORE, EXPUNGE, SEARCH, MOVE/COPY, APPEND (streamed from
 * a file descriptor), NOOP, IDLE and GETQUOTAROOT. */
#include "imap/session-internal.h"
#include "util/fd-io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A UID SEARCH answer is expanded into memory: bound it. */
#define SEARCH_MAX_RESULTS (16u * 1024 * 1024)

static gboolean check_uidset(const char *set, GError **error)
{
	if (set && *set && strspn(set, "0123456789:,*") == strlen(set))
		return TRUE;
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "invalid UID set \"%s\"",
		    set ? set : "");
	return FALSE;
}

static gboolean modseq_enabled(ImapSession *s)
{
	return imap_session_is_enabled(s, "CONDSTORE") || imap_session_is_enabled(s, "QRESYNC");
}

/* ---- UID FETCH ---- */

typedef struct {
	ImapFetchFunc cb;
	gpointer data;
} FetchCollect;

static gboolean on_fetch_uid(ImapSession *s, const ImapResponse *r, gpointer data)
{
	FetchCollect *c = data;

	/* A line whose UID is unusable (0) answers this command too: the caller says so. */
	if (r->type != IMAP_UNTAGGED_FETCH ||
	    !((r->fetch.fields | r->fetch.unusable_fields) & IMAP_FETCH_UID))
		return FALSE;
	c->cb(&r->fetch, c->data);
	return TRUE;
}

gboolean imap_session_fetch_meta(ImapSession *s, const char *uidset, guint64 changedsince,
				 ImapFetchFunc cb, gpointer user_data, GError **error)
{
	g_autoptr(GString) text = g_string_new("UID FETCH ");
	g_autoptr(ImapCmd) cmd = NULL;
	FetchCollect c = {cb, user_data};
	gboolean modseq = modseq_enabled(s) || imap_session_has_cap(s, "CONDSTORE");

	if (!check_uidset(uidset, error))
		return FALSE;
	g_string_append_printf(text, "%s (UID RFC822.SIZE INTERNALDATE FLAGS%s)", uidset,
			       modseq ? " MODSEQ" : "");
	if (changedsince > 0 && modseq)
		g_string_append_printf(text, " (CHANGEDSINCE %" G_GUINT64_FORMAT ")", changedsince);
	cmd = session_cmd_new(s, text->str);
	return session_run(s, cmd, NULL, "UID FETCH", on_fetch_uid, &c, NULL, error);
}

typedef struct {
	guint32 uid;
	ImapBody *body;
} BodyCollect;

static gboolean on_body(ImapSession *s, const ImapResponse *r, gpointer data)
{
	BodyCollect *c = data;

	if (r->type != IMAP_UNTAGGED_FETCH || !(r->fetch.fields & IMAP_FETCH_BODY) ||
	    r->fetch.uid != c->uid)
		return FALSE;
	imap_body_unref(c->body);
	c->body = r->fetch.body ? imap_body_ref(r->fetch.body) : NULL;
	return TRUE;
}

gboolean imap_session_fetch_body(ImapSession *s, guint32 uid, guint64 offset, guint64 length,
				 ImapBody **out, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(ImapCmd) cmd = NULL;
	BodyCollect c = {uid, NULL};

	if (length == 0)
		text = g_strdup_printf("UID FETCH %u (UID BODY.PEEK[])", uid);
	else
		text = g_strdup_printf("UID FETCH %u (UID BODY.PEEK[]<%" G_GUINT64_FORMAT
				       ".%" G_GUINT64_FORMAT ">)",
				       uid, offset, length);
	cmd = session_cmd_new(s, text);
	if (!session_run(s, cmd, NULL, "UID FETCH", on_body, &c, NULL, error)) {
		imap_body_unref(c.body);
		return FALSE;
	}
	*out = c.body;
	return TRUE;
}

static int cmp_uid(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

/* Sorted UIDs as an IMAP set with ranges ("3:5,9"). */
static char *uid_set(const guint32 *uids, gsize n)
{
	g_autofree guint32 *sorted = g_memdup2(uids, n * sizeof(*uids));
	GString *set = g_string_new(NULL);

	qsort(sorted, n, sizeof(*sorted), cmp_uid);
	for (gsize i = 0; i < n;) {
		gsize j = i;
		while (j + 1 < n && sorted[j + 1] <= sorted[j] + 1)
			j++;
		if (set->len)
			g_string_append_c(set, ',');
		if (sorted[j] != sorted[i])
			g_string_append_printf(set, "%u:%u", sorted[i], sorted[j]);
		else
			g_string_append_printf(set, "%u", sorted[i]);
		i = j + 1;
	}
	return g_string_free(set, FALSE);
}

static gboolean on_bodies(ImapSession *s, const ImapResponse *r, gpointer data)
{
	FetchCollect *c = data;

	if (r->type != IMAP_UNTAGGED_FETCH || !(r->fetch.fields & IMAP_FETCH_BODY) ||
	    !(r->fetch.fields & IMAP_FETCH_UID))
		return FALSE;
	if (r->fetch.body)
		c->cb(&r->fetch, c->data);
	return TRUE;
}

gboolean imap_session_fetch_bodies(ImapSession *s, const guint32 *uids, gsize n_uids,
				   ImapFetchFunc cb, gpointer user_data, GError **error)
{
	g_autofree char *set = NULL;
	g_autofree char *text = NULL;
	g_autoptr(ImapCmd) cmd = NULL;
	FetchCollect c = {cb, user_data};

	if (n_uids == 0)
		return TRUE;
	set = uid_set(uids, n_uids);
	text = g_strdup_printf("UID FETCH %s (UID BODY.PEEK[])", set);
	cmd = session_cmd_new(s, text);
	return session_run(s, cmd, NULL, "UID FETCH", on_bodies, &c, NULL, error);
}

/* ---- STORE / EXPUNGE / SEARCH ---- */

gboolean imap_session_store(ImapSession *s, const char *uidset, ImapStoreMode mode,
			    char *const *flags, GError **error)
{
	static const char *const ops[] = {"FLAGS", "+FLAGS", "-FLAGS"};
	g_autofree char *joined = NULL;
	g_autofree char *text = NULL;
	g_autoptr(ImapCmd) cmd = NULL;

	if (!check_uidset(uidset, error) || !imap_flags_validate(flags, error))
		return FALSE;
	joined = flags ? g_strjoinv(" ", (char **)flags) : g_strdup("");
	text = g_strdup_printf("UID STORE %s %s.SILENT (%s)", uidset, ops[mode], joined);
	cmd = session_cmd_new(s, text);
	return session_run(s, cmd, NULL, "UID STORE", NULL, NULL, NULL, error);
}

gboolean imap_session_uid_expunge(ImapSession *s, const char *uidset, GError **error)
{
	g_autofree char *text = NULL;

	if (!check_uidset(uidset, error))
		return FALSE;
	if (!imap_session_has_cap(s, "UIDPLUS")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED,
			    "the server lacks UIDPLUS, so one message cannot be expunged alone");
		return FALSE;
	}
	text = g_strdup_printf("UID EXPUNGE %s", uidset);
	return session_run_simple(s, text, NULL, NULL, NULL, error);
}

gboolean imap_session_expunge(ImapSession *s, GError **error)
{
	return session_run_simple(s, "EXPUNGE", NULL, NULL, NULL, error);
}

typedef struct {
	GArray *uids;
	gboolean too_many; /* the answer did not fit SEARCH_MAX_RESULTS */
} SearchCollect;

static gboolean on_search(ImapSession *s, const ImapResponse *r, gpointer data)
{
	SearchCollect *c = data;
	const ImapSearchData *sd = &r->search;

	if (r->type != IMAP_UNTAGGED_SEARCH && r->type != IMAP_UNTAGGED_ESEARCH)
		return FALSE;
	/* UID 0 names no message (a broken server's): it must not reach a later command. */
	for (guint i = 0; sd->numbers && i < sd->numbers->len; i++) {
		guint32 v = g_array_index(sd->numbers, guint32, i);

		if (v)
			g_array_append_val(c->uids, v);
	}
	for (guint i = 0; sd->all && i < sd->all->len && !c->too_many; i++) {
		ImapRange rg = g_array_index(sd->all, ImapRange, i);

		rg.first = MAX(rg.first, 1);
		if (rg.first > rg.last)
			continue;
		if ((guint64)rg.last - rg.first + 1 > SEARCH_MAX_RESULTS - c->uids->len) {
			c->too_many = TRUE;
			break;
		}
		for (guint64 u = rg.first; u <= rg.last; u++) {
			guint32 v = (guint32)u;
			g_array_append_val(c->uids, v);
		}
	}
	c->too_many = c->too_many || c->uids->len > SEARCH_MAX_RESULTS;
	return TRUE;
}

gboolean imap_session_uid_search(ImapSession *s, const char *query, GArray **out, GError **error)
{
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	SearchCollect c = {uids, FALSE};
	g_autofree char *text = NULL;

	if (!query || strpbrk(query, "\r\n")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID, "invalid search query");
		return FALSE;
	}
	text = g_strdup_printf("UID SEARCH %s", query);
	if (!session_run_simple(s, text, on_search, &c, NULL, error))
		return FALSE;
	/* A truncated answer would look complete to the caller: refuse it instead. */
	if (c.too_many) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
			    "UID SEARCH %s: the server reported more than %u messages", query,
			    SEARCH_MAX_RESULTS);
		return FALSE;
	}
	*out = g_steal_pointer(&uids);
	return TRUE;
}

/* ---- MOVE / COPY ---- */

static guint32 single_uid(const ImapRespCode *code)
{
	const ImapRange *r;

	if (code->type != IMAP_CODE_COPYUID || !code->dst_uids || code->dst_uids->len != 1)
		return 0;
	r = &g_array_index(code->dst_uids, ImapRange, 0);
	return r->first == r->last ? r->first : 0;
}

typedef struct {
	guint32 uidvalidity, uid;
} CopyUid;

static void copyuid_take(CopyUid *c, const ImapRespCode *code)
{
	c->uid = single_uid(code);
	c->uidvalidity = c->uid ? code->uidvalidity : 0;
}

/* MOVE reports COPYUID in an untagged OK before the EXPUNGEs (RFC 6851). */
static gboolean on_copyuid(ImapSession *s, const ImapResponse *r, gpointer data)
{
	if (r->type != IMAP_UNTAGGED_STATUS || r->code.type != IMAP_CODE_COPYUID)
		return FALSE;
	copyuid_take(data, &r->code);
	return TRUE;
}

static gboolean move_or_copy(ImapSession *s, const char *verb, guint32 uid, const char *dest,
			     guint32 *new_uidvalidity, guint32 *new_uid, GError **error)
{
	g_autofree char *text = g_strdup_printf("UID %s %u", verb, uid);
	g_autofree char *what = g_strdup_printf("%s to \"%s\"", verb, dest);
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, text);
	g_autoptr(ImapResponse) tagged = NULL;
	CopyUid found = {0};

	if (!session_cmd_add_mailbox(s, cmd, dest, error))
		return FALSE;
	if (!session_run(s, cmd, NULL, what, on_copyuid, &found, &tagged, error))
		return FALSE;
	if (tagged->code.type == IMAP_CODE_COPYUID)
		copyuid_take(&found, &tagged->code);
	if (new_uidvalidity)
		*new_uidvalidity = found.uidvalidity;
	if (new_uid)
		*new_uid = found.uid;
	return TRUE;
}

gboolean imap_session_move(ImapSession *s, guint32 uid, const char *dest, guint32 *new_uidvalidity,
			   guint32 *new_uid, GError **error)
{
	if (!imap_session_has_cap(s, "MOVE")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED, "the server lacks MOVE");
		return FALSE;
	}
	return move_or_copy(s, "MOVE", uid, dest, new_uidvalidity, new_uid, error);
}

gboolean imap_session_copy(ImapSession *s, guint32 uid, const char *dest, guint32 *new_uidvalidity,
			   guint32 *new_uid, GError **error)
{
	return move_or_copy(s, "COPY", uid, dest, new_uidvalidity, new_uid, error);
}

/* ---- APPEND ---- */

/* RFC 3501 date-time; month names by hand because strftime's %b follows the locale. */
static char *format_date_time(gint64 t)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	if (!dt)
		return NULL;
	return g_strdup_printf(
	    "%02d-%s-%04d %02d:%02d:%02d +0000", g_date_time_get_day_of_month(dt),
	    months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt),
	    g_date_time_get_hour(dt), g_date_time_get_minute(dt), g_date_time_get_second(dt));
}

static gboolean stream_fd(ImapSession *s, int fd, guint64 size, GError **error)
{
	g_autofree guint8 *buf = g_malloc(SESSION_IO_CHUNK);

	for (guint64 off = 0; off < size;) {
		gsize want = (gsize)MIN(size - off, SESSION_IO_CHUNK);
		gssize n = util_read_full(fd, buf, want, (gint64)off);

		if (n <= 0) {
			/* The literal's size is promised: the connection cannot be saved, and
			 * dropping it makes the server discard the partial message. */
			return session_fail(
			    s,
			    g_error_new(IMAP_ERROR, IMAP_ERROR_LOCAL,
					"reading the message to append failed at "
					"byte %" G_GUINT64_FORMAT ": %s",
					off,
					n < 0 ? g_strerror(errno) : "file shorter than its size"),
			    error);
		}
		if (!session_write(s, buf, (gsize)n, error))
			return FALSE;
		off += (guint64)n;
	}
	return TRUE;
}

static ImapCmd *append_cmd(ImapSession *s, const char *mailbox, char *const *flags,
			   gint64 internaldate, GError **error)
{
	g_autoptr(ImapCmd) cmd = session_cmd_new(s, "APPEND");
	g_autofree char *joined = NULL;
	g_autofree char *flag_text = NULL;

	if (!session_cmd_add_mailbox(s, cmd, mailbox, error))
		return NULL;
	if (flags && *flags) {
		if (!imap_flags_validate(flags, error))
			return NULL;
		joined = g_strjoinv(" ", (char **)flags);
		flag_text = g_strdup_printf(" (%s)", joined);
		imap_cmd_add_raw(cmd, flag_text);
	}
	if (internaldate >= 0) {
		g_autofree char *date = format_date_time(internaldate);
		if (!date) {
			g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
				    "internal date out of range");
			return NULL;
		}
		g_autofree char *quoted = g_strdup_printf(" \"%s\"", date);
		imap_cmd_add_raw(cmd, quoted);
	}
	return g_steal_pointer(&cmd);
}

gboolean imap_session_append(ImapSession *s, const char *mailbox, char *const *flags,
			     gint64 internaldate, int fd, guint64 size, guint32 *uidvalidity,
			     guint32 *uid, GError **error)
{
	g_autoptr(ImapCmd) cmd = append_cmd(s, mailbox, flags, internaldate, error);
	g_autoptr(ImapResponse) tagged = NULL;
	g_autofree char *what = g_strdup_printf("APPEND to \"%s\"", mailbox);
	g_autofree char *header = NULL;
	guint id;

	if (!cmd)
		return FALSE;
	id = session_begin(s, error);
	if (!id || !session_send_cmd(s, id, cmd, NULL, FALSE, error))
		return FALSE;
	header = g_strdup_printf(" {%" G_GUINT64_FORMAT "%s}", size, cmd->literal_plus ? "+" : "");
	if (!session_write(s, header, strlen(header), error) || !session_write(s, "\r\n", 2, error))
		return FALSE;
	session_trace(s, "C: ", header + 1);
	/* Without LITERAL+ the server may refuse (TRYCREATE, OVERQUOTA) before the data. */
	if (!cmd->literal_plus && !session_wait_continuation(s, id, what, error)) {
		if (s->usable)
			g_hash_table_remove(s->pending, GUINT_TO_POINTER(id));
		return FALSE;
	}
	if (!stream_fd(s, fd, size, error) || !session_write(s, "\r\n", 2, error))
		return FALSE;
	g_autofree char *summary = g_strdup_printf("{%" G_GUINT64_FORMAT " bytes}", size);
	session_trace(s, "C: ", summary);
	if (!session_wait_tagged(s, id, NULL, NULL, &tagged, error) ||
	    !session_check_ok(tagged, what, error))
		return FALSE;
	const ImapRespCode *code = &tagged->code;
	gboolean have =
	    code->type == IMAP_CODE_APPENDUID && code->dst_uids && code->dst_uids->len > 0;
	if (uidvalidity)
		*uidvalidity = have ? code->uidvalidity : 0;
	if (uid)
		*uid = have ? g_array_index(code->dst_uids, ImapRange, 0).first : 0;
	return TRUE;
}

gboolean imap_session_poll_alive(ImapSession *s)
{
	gboolean got = TRUE;

	/* Only what has arrived already (a BYE, EOF or reset) is looked at: no round trip.
	 * Untagged data found meanwhile goes to the unsolicited handler as usual. */
	while (got && s->usable && (s->rbuf->len > 0 || net_transport_has_pending(s->transport))) {
		if (!session_pump(s, 0, FALSE, &got, NULL))
			break;
	}
	return s->usable;
}

/* ---- NOOP / IDLE / QUOTA ---- */

gboolean imap_session_noop(ImapSession *s, GError **error)
{
	return session_run_simple(s, "NOOP", NULL, NULL, NULL, error);
}

/* Waits until untagged data arrives, the command ends, or timeout_ms passes. */
static gboolean idle_wait(ImapSession *s, SessionPending *p, int timeout_ms, gboolean *got_data,
			  GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (!*got_data && !p->done) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		gboolean got = FALSE;

		if (left <= 0)
			break;
		if (!session_pump(s, (int)left, FALSE, &got, error))
			return FALSE;
		*got_data = got && !p->done;
	}
	/* Take in the rest of a burst (EXPUNGE ... EXISTS) before ending IDLE. */
	while (*got_data && !p->done && net_transport_has_pending(s->transport)) {
		if (!session_pump(s, 0, FALSE, NULL, error))
			return FALSE;
	}
	return TRUE;
}

gboolean imap_session_idle(ImapSession *s, int timeout_ms, gboolean *got_data, GError **error)
{
	g_autoptr(ImapResponse) tagged = NULL;
	g_autofree char *line = NULL;
	gboolean got = FALSE;
	SessionPending *p;
	guint id;

	if (!imap_session_has_cap(s, "IDLE")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED, "the server lacks IDLE");
		return FALSE;
	}
	id = session_begin(s, error);
	if (!id)
		return FALSE;
	line = g_strdup_printf("A%u IDLE", id);
	session_trace(s, "C: ", line);
	if (!session_write(s, line, strlen(line), error) || !session_write(s, "\r\n", 2, error))
		return FALSE;
	if (!session_wait_continuation(s, id, "IDLE", error)) {
		/* Refused (NO/BAD): the command is over, forget its tag as session_run does. */
		if (s->usable)
			g_hash_table_remove(s->pending, GUINT_TO_POINTER(id));
		return FALSE;
	}
	p = g_hash_table_lookup(s->pending, GUINT_TO_POINTER(id));
	if (!idle_wait(s, p, timeout_ms, &got, error))
		return FALSE;
	if (!p->done) {
		session_trace(s, "C: ", "DONE");
		if (!session_write(s, "DONE\r\n", 6, error))
			return FALSE;
	}
	if (!session_wait_tagged(s, id, NULL, NULL, &tagged, error) ||
	    !session_check_ok(tagged, "IDLE", error))
		return FALSE;
	if (got_data)
		*got_data = got;
	return TRUE;
}

typedef struct {
	gboolean found;
	guint64 usage, limit;
} QuotaCollect;

static gboolean on_quota(ImapSession *s, const ImapResponse *r, gpointer data)
{
	QuotaCollect *c = data;

	if (r->type == IMAP_UNTAGGED_QUOTAROOT)
		return TRUE;
	if (r->type != IMAP_UNTAGGED_QUOTA)
		return FALSE;
	for (guint i = 0; r->quota.resources && i < r->quota.resources->len; i++) {
		const ImapQuotaResource *res =
		    &g_array_index(r->quota.resources, ImapQuotaResource, i);
		if (res->name && g_ascii_strcasecmp(res->name, "STORAGE") == 0 && !c->found) {
			c->found = TRUE;
			c->usage = res->usage;
			c->limit = res->limit;
		}
	}
	return TRUE;
}

gboolean imap_session_quota(ImapSession *s, const char *mailbox, guint64 *usage_kib,
			    guint64 *limit_kib, GError **error)
{
	g_autoptr(ImapCmd) cmd = NULL;
	QuotaCollect c = {FALSE, 0, 0};

	if (!imap_session_has_cap(s, "QUOTA")) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED, "the server lacks QUOTA");
		return FALSE;
	}
	cmd = session_cmd_new(s, "GETQUOTAROOT");
	if (!session_cmd_add_mailbox(s, cmd, mailbox, error))
		return FALSE;
	if (!session_run(s, cmd, NULL, "GETQUOTAROOT", on_quota, &c, NULL, error))
		return FALSE;
	if (!c.found) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED,
			    "the server reports no STORAGE quota for \"%s\"", mailbox);
		return FALSE;
	}
	if (usage_kib)
		*usage_kib = c.usage;
	if (limit_kib)
		*limit_kib = c.limit;
	return TRUE;
}

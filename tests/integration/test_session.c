/* imapfs — imap/session.c against the private Dovecot of tests/harness/with-dovecot.
 *
 * Usage: test_session [all|folders|minimal]. "all" runs everything on the default server
 * (start it with --quota so GETQUOTAROOT has a limit), "folders" only the folder tests
 * (for --delimiter=/),
 * "minimal" those for a server without LITERAL+/UIDPLUS/MOVE/UNSELECT (--caps).
 */
#include "imap/session.h"
#include "tests/test-util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/session-common.h"

/* ---- folders ---- */

static gboolean list_has(ImapSession *s, const char *name, gboolean *noselect)
{
	GPtrArray *list = NULL;
	GError *err = NULL;
	gboolean found = FALSE;

	CU_ASSERT_TRUE(imap_session_list(s, "*", TRUE, &list, &err));
	for (guint i = 0; list && i < list->len; i++) {
		ImapMailbox *mb = g_ptr_array_index(list, i);
		if (g_str_equal(mb->name, name)) {
			found = TRUE;
			if (noselect)
				*noselect = mb->noselect;
		}
	}
	if (list)
		g_ptr_array_unref(list);
	g_clear_error(&err);
	return found;
}

static void test_folders(void)
{
	ImapSession *s = open_default();
	const char *delim_env = env("IMAPFS_TEST_DELIM");
	GError *err = NULL;
	char delim = 0;

	CU_ASSERT_TRUE(imap_session_delimiter(s, &delim, &err));
	CU_ASSERT_EQUAL(delim, delim_env[0]);

	g_autofree char *nested = g_strdup_printf("Tëst%cÜnter", delim);
	g_autofree char *renamed = g_strdup_printf("Tëst%c日本語2", delim);
	CU_ASSERT_TRUE(imap_session_create(s, nested, &err));
	CU_ASSERT_TRUE(imap_session_create(s, "日本語", &err));
	CU_ASSERT_TRUE(list_has(s, nested, NULL));
	CU_ASSERT_TRUE(list_has(s, "日本語", NULL));
	CU_ASSERT_TRUE(list_has(s, "Résumé", NULL)); /* made by the harness */

	/* A refusal carries the server's code and text. */
	CU_ASSERT_FALSE(imap_session_create(s, "日本語", &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_NO));
	if (err) {
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "server refused CREATE \"日本語\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "ALREADYEXISTS"));
	}
	g_clear_error(&err);

	CU_ASSERT_TRUE(imap_session_rename(s, "日本語", renamed, &err));
	CU_ASSERT_FALSE(list_has(s, "日本語", NULL));
	CU_ASSERT_TRUE(list_has(s, renamed, NULL));

	ImapMailbox *st = NULL;
	CU_ASSERT_TRUE(imap_session_status(s, renamed, &st, &err));
	if (st) {
		CU_ASSERT_EQUAL(st->messages, 0);
		CU_ASSERT_TRUE(st->uidvalidity > 0);
		CU_ASSERT_TRUE(st->uidnext > 0);
	}
	imap_mailbox_free(st);

	CU_ASSERT_TRUE(imap_session_delete(s, renamed, &err));
	CU_ASSERT_TRUE(imap_session_delete(s, nested, &err));
	CU_ASSERT_FALSE(list_has(s, renamed, NULL));
	CU_ASSERT_FALSE(list_has(s, nested, NULL));
	imap_session_delete(s, "Tëst", NULL);
	CU_ASSERT_FALSE(list_has(s, "Tëst", NULL));
	if (err)
		fprintf(stderr, "folders: %s\n", err->message);
	g_clear_error(&err);
	imap_session_logout(s);
}

/* ---- messages ---- */

typedef struct {
	GArray *uids;
	guint bad;
	guint64 last_size;
	gint64 last_date;
	GPtrArray *last_flags;
} MetaCollect;

static void on_meta(const ImapFetchData *f, gpointer data)
{
	MetaCollect *c = data;
	guint want = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_FLAGS;

	if ((f->fields & want) != want || f->size == 0 || f->internaldate <= 0)
		c->bad++;
	g_array_append_val(c->uids, f->uid);
	c->last_size = f->size;
	c->last_date = f->internaldate;
	g_ptr_array_set_size(c->last_flags, 0);
	for (char **fl = f->flags; fl && *fl; fl++)
		g_ptr_array_add(c->last_flags, g_strdup(*fl));
}

static void meta_init(MetaCollect *c)
{
	memset(c, 0, sizeof(*c));
	c->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	c->last_flags = g_ptr_array_new_with_free_func(g_free);
}

static void meta_clear(MetaCollect *c)
{
	g_array_unref(c->uids);
	g_ptr_array_unref(c->last_flags);
}

static gboolean meta_has_flag(MetaCollect *c, const char *flag)
{
	for (guint i = 0; i < c->last_flags->len; i++) {
		if (g_ascii_strcasecmp(g_ptr_array_index(c->last_flags, i), flag) == 0)
			return TRUE;
	}
	return FALSE;
}

static ImapSession *open_inbox(ImapSelectInfo *info)
{
	ImapSession *s = open_default();
	GError *err = NULL;

	CU_ASSERT_TRUE_FATAL(imap_session_select(s, "INBOX", FALSE, info, &err));
	return s;
}

static void test_select_and_meta(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	GError *err = NULL;
	MetaCollect c;

	CU_ASSERT_TRUE(info.uidvalidity > 0);
	CU_ASSERT_TRUE(info.uidnext > 1);
	CU_ASSERT_TRUE(info.exists > 0);
	CU_ASSERT_TRUE(info.highestmodseq > 0);
	CU_ASSERT_FALSE(info.read_only);
	CU_ASSERT_STRING_EQUAL(imap_session_selected(s), "INBOX");

	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, "1:*", 0, on_meta, &c, &err));
	CU_ASSERT_EQUAL(c.uids->len, info.exists);
	CU_ASSERT_EQUAL(c.bad, 0);
	meta_clear(&c);

	/* Nothing changed since HIGHESTMODSEQ: CHANGEDSINCE reports nothing. */
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, "1:*", info.highestmodseq, on_meta, &c, &err));
	CU_ASSERT_EQUAL(c.uids->len, 0);
	meta_clear(&c);

	/* EXAMINE is read-only; CLOSE/UNSELECT leaves no mailbox selected. */
	imap_select_info_clear(&info);
	CU_ASSERT_TRUE(imap_session_select(s, "INBOX", TRUE, &info, &err));
	CU_ASSERT_TRUE(info.read_only);
	CU_ASSERT_TRUE(imap_session_close(s, &err));
	CU_ASSERT_PTR_NULL(imap_session_selected(s));
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

static GBytes *body_bytes(ImapBody *body)
{
	guint64 size = imap_body_get_size(body);
	guint8 *buf = g_malloc(size + 1);
	gssize n = imap_body_pread(body, buf, size, 0);

	CU_ASSERT_EQUAL(n, (gssize)size);
	return g_bytes_new_take(buf, size);
}

static guint32 first_uid(ImapSession *s)
{
	MetaCollect c;
	guint32 uid = 0;

	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, "1:*", 0, on_meta, &c, NULL));
	if (c.uids->len)
		uid = g_array_index(c.uids, guint32, 0);
	meta_clear(&c);
	return uid;
}

static void test_partial_fetch(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	GError *err = NULL;
	ImapBody *whole = NULL, *part = NULL, *gone = (ImapBody *)&err;
	guint32 uid = first_uid(s);

	CU_ASSERT_TRUE_FATAL(imap_session_fetch_body(s, uid, 0, 0, &whole, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
	CU_ASSERT_TRUE(imap_body_get_size(whole) > 110);
	CU_ASSERT_TRUE(imap_session_fetch_body(s, uid, 10, 100, &part, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(part);
	g_autoptr(GBytes) w = body_bytes(whole);
	g_autoptr(GBytes) p = body_bytes(part);
	CU_ASSERT_EQUAL(g_bytes_get_size(p), 100);
	CU_ASSERT_EQUAL(
	    memcmp(g_bytes_get_data(p, NULL), (const guint8 *)g_bytes_get_data(w, NULL) + 10, 100),
	    0);

	/* A message that does not exist: success, no body. */
	CU_ASSERT_TRUE(imap_session_fetch_body(s, info.uidnext + 100, 0, 0, &gone, &err));
	CU_ASSERT_PTR_NULL(gone);
	imap_body_unref(whole);
	imap_body_unref(part);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

typedef struct {
	guint n;
	guint64 total;
} BodiesCollect;

static void on_bodies(const ImapFetchData *f, gpointer data)
{
	BodiesCollect *c = data;

	CU_ASSERT_PTR_NOT_NULL(f->body);
	CU_ASSERT_TRUE(f->uid > 0);
	c->n++;
	c->total += imap_body_get_size(f->body);
}

static void test_fetch_bodies(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	MetaCollect c;
	BodiesCollect b = {0, 0};
	GError *err = NULL;

	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, "1:*", 0, on_meta, &c, &err));
	/* One UID that does not exist is simply not reported. */
	guint32 missing = info.uidnext + 5;
	g_array_append_val(c.uids, missing);
	CU_ASSERT_TRUE(imap_session_fetch_bodies(s, (guint32 *)(void *)c.uids->data, c.uids->len,
						 on_bodies, &b, &err));
	CU_ASSERT_EQUAL(b.n, c.uids->len - 1);
	CU_ASSERT_TRUE(b.total > 0);
	meta_clear(&c);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

/* What the server returns for an appended message: bare LF stored as CRLF. */
static GBytes *crlf(const char *data, gsize len)
{
	GString *out = g_string_sized_new(len + len / 16);

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, data[i]);
	}
	return g_string_free_to_bytes(out);
}

static int corpus_fd(const char *rel, guint64 *size, GBytes **content)
{
	g_autofree char *path = g_build_filename(env("IMAPFS_CORPUS"), rel, NULL);
	char *data = NULL;
	gsize len = 0;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &data, &len, NULL));
	*content = crlf(data, len);
	g_free(data);
	*size = len;
	return open(path, O_RDONLY);
}

static guint32 append_corpus(ImapSession *s, const char *mailbox, const char *rel,
			     char *const *flags, gint64 date, GBytes **content)
{
	guint64 size;
	guint32 uidvalidity = 0, uid = 0;
	GError *err = NULL;
	int fd = corpus_fd(rel, &size, content);

	CU_ASSERT_TRUE(fd >= 0);
	CU_ASSERT_TRUE(
	    imap_session_append(s, mailbox, flags, date, fd, size, &uidvalidity, &uid, &err));
	if (err)
		fprintf(stderr, "append: %s\n", err->message);
	CU_ASSERT_TRUE(uidvalidity > 0);
	CU_ASSERT_TRUE(uid > 0);
	close(fd);
	g_clear_error(&err);
	return uid;
}

static void assert_body_equals(ImapSession *s, guint32 uid, GBytes *expect)
{
	ImapBody *body = NULL;
	GError *err = NULL;

	CU_ASSERT_TRUE(imap_session_fetch_body(s, uid, 0, 0, &body, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	g_autoptr(GBytes) got = body_bytes(body);
	CU_ASSERT_TRUE(g_bytes_equal(got, expect));
	imap_body_unref(body);
}

static void test_append_store_expunge(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	char *seen[] = {"\\Seen", "$Work", NULL};
	char *flagged[] = {"\\Flagged", NULL};
	char *deleted[] = {"\\Deleted", NULL};
	const gint64 date = 1700000000; /* 14-Nov-2023 22:13:20 +0000 */
	g_autoptr(GBytes) a = NULL;
	g_autoptr(GBytes) b = NULL;
	GError *err = NULL;
	MetaCollect c;

	guint32 uid_a = append_corpus(s, "INBOX", "attachment/0001.eml", seen, date, &a);
	guint32 uid_b = append_corpus(s, "INBOX", "default/0002.eml", NULL, -1, &b);
	CU_ASSERT_TRUE(uid_b > uid_a);
	assert_body_equals(s, uid_a, a);
	assert_body_equals(s, uid_b, b);

	g_autofree char *set_a = g_strdup_printf("%u", uid_a);
	g_autofree char *set_b = g_strdup_printf("%u", uid_b);
	g_autofree char *set_ab = g_strdup_printf("%u,%u", uid_a, uid_b);
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, set_a, 0, on_meta, &c, &err));
	CU_ASSERT_EQUAL(c.last_date, date);
	CU_ASSERT_EQUAL(c.last_size, g_bytes_get_size(a));
	CU_ASSERT_TRUE(meta_has_flag(&c, "\\Seen"));
	CU_ASSERT_TRUE(meta_has_flag(&c, "$Work"));
	CU_ASSERT_FALSE(meta_has_flag(&c, "\\Flagged"));
	meta_clear(&c);

	CU_ASSERT_TRUE(imap_session_store(s, set_a, IMAP_STORE_ADD, flagged, &err));
	CU_ASSERT_TRUE(imap_session_store(s, set_a, IMAP_STORE_REMOVE, seen, &err));
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, set_a, 0, on_meta, &c, &err));
	CU_ASSERT_TRUE(meta_has_flag(&c, "\\Flagged"));
	CU_ASSERT_FALSE(meta_has_flag(&c, "\\Seen"));
	meta_clear(&c);

	/* Reading a body never sets \Seen. */
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, set_b, 0, on_meta, &c, &err));
	CU_ASSERT_FALSE(meta_has_flag(&c, "\\Seen"));
	meta_clear(&c);

	/* UID EXPUNGE removes only the named UID, even with both marked \Deleted. */
	CU_ASSERT_TRUE(imap_session_store(s, set_ab, IMAP_STORE_ADD, deleted, &err));
	GArray *found = NULL;
	CU_ASSERT_TRUE(imap_session_uid_search(s, "DELETED", &found, &err));
	CU_ASSERT_TRUE(found && found->len == 2);
	if (found)
		g_array_unref(found);
	CU_ASSERT_TRUE(imap_session_uid_expunge(s, set_a, &err));
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, set_ab, 0, on_meta, &c, &err));
	CU_ASSERT_EQUAL(c.uids->len, 1);
	if (c.uids->len == 1)
		CU_ASSERT_EQUAL(g_array_index(c.uids, guint32, 0), uid_b);
	meta_clear(&c);
	CU_ASSERT_TRUE(imap_session_uid_expunge(s, set_b, &err));

	/* Bad flags never reach the wire. */
	char *evil[] = {"\\Seen) FOO", NULL};
	CU_ASSERT_FALSE(imap_session_store(s, set_b, IMAP_STORE_ADD, evil, NULL));
	CU_ASSERT_TRUE(imap_session_is_usable(s));
	if (err)
		fprintf(stderr, "append/store: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

static void test_move_copy(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	g_autoptr(GBytes) a = NULL;
	GError *err = NULL;
	guint32 moved = 0, copied = 0, moved_v = 0, copied_v = 0;

	CU_ASSERT_TRUE(imap_session_create(s, "MoveTarget", &err));
	guint32 uid = append_corpus(s, "INBOX", "default/0003.eml", NULL, -1, &a);
	CU_ASSERT_TRUE(imap_session_copy(s, uid, "MoveTarget", &copied_v, &copied, &err));
	CU_ASSERT_TRUE(imap_session_move(s, uid, "MoveTarget", &moved_v, &moved, &err));
	CU_ASSERT_TRUE(copied > 0);
	CU_ASSERT_TRUE(moved > copied);

	/* Gone from INBOX, there in the target with the same bytes. */
	ImapBody *gone = NULL;
	CU_ASSERT_TRUE(imap_session_fetch_body(s, uid, 0, 0, &gone, &err));
	CU_ASSERT_PTR_NULL(gone);
	imap_select_info_clear(&info);
	CU_ASSERT_TRUE(imap_session_select(s, "MoveTarget", FALSE, &info, &err));
	CU_ASSERT_EQUAL(info.exists, 2);
	/* COPYUID names the target's UIDVALIDITY with the new UIDs. */
	CU_ASSERT_EQUAL(copied_v, info.uidvalidity);
	CU_ASSERT_EQUAL(moved_v, info.uidvalidity);
	assert_body_equals(s, moved, a);
	assert_body_equals(s, copied, a);

	/* A missing destination is an IMAP NO with the server's text. */
	CU_ASSERT_FALSE(imap_session_move(s, moved, "NoSuchFolder", NULL, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_NO));
	g_clear_error(&err);
	CU_ASSERT_TRUE(imap_session_close(s, &err));
	CU_ASSERT_TRUE(imap_session_delete(s, "MoveTarget", &err));
	if (err)
		fprintf(stderr, "move: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

/* A message larger than any buffer: streamed to the server, spooled on the way back. */
static void test_large_append(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	g_autofree char *path = g_build_filename(env("IMAPFS_TEST_DIR"), "large.eml", NULL);
	GString *msg = g_string_new("From: a@example.org\r\nSubject: large\r\n\r\n");
	guint32 uidvalidity = 0, uid = 0;
	ImapBody *part = NULL;
	GError *err = NULL;

	for (guint i = 0; msg->len < 3 * 1024 * 1024; i++)
		g_string_append_printf(msg, "line %08u of a large message, with some text\r\n", i);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, msg->str, (gssize)msg->len, NULL));
	int fd = open(path, O_RDONLY);
	CU_ASSERT_TRUE(
	    imap_session_append(s, "INBOX", NULL, -1, fd, msg->len, &uidvalidity, &uid, &err));
	close(fd);
	CU_ASSERT_TRUE(uid > 0);
	CU_ASSERT_TRUE(trace_contains("bytes}"));
	g_autoptr(GBytes) expect = g_string_free_to_bytes(msg);
	assert_body_equals(s, uid, expect);

	/* A slice from the middle of the large body. */
	CU_ASSERT_TRUE(imap_session_fetch_body(s, uid, 1000000, 5000, &part, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(part);
	g_autoptr(GBytes) p = body_bytes(part);
	CU_ASSERT_EQUAL(g_bytes_get_size(p), 5000);
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(p, NULL),
			       (const guint8 *)g_bytes_get_data(expect, NULL) + 1000000, 5000),
			0);
	imap_body_unref(part);

	g_autofree char *set = g_strdup_printf("%u", uid);
	char *deleted[] = {"\\Deleted", NULL};
	CU_ASSERT_TRUE(imap_session_store(s, set, IMAP_STORE_ADD, deleted, &err));
	CU_ASSERT_TRUE(imap_session_uid_expunge(s, set, &err));
	if (err)
		fprintf(stderr, "large: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

static void count_fetch(const ImapFetchData *f, gpointer data)
{
	guint *n = data;

	if (f->fields & IMAP_FETCH_FLAGS)
		(*n)++;
}

static void test_pipeline(void)
{
	ImapSession *s = open_inbox(NULL);
	guint32 uid = first_uid(s);
	g_autofree char *cmd = g_strdup_printf("UID FETCH %u (UID FLAGS)", uid);
	guint ids[1000];
	guint n = 0, ok = 0;
	GError *err = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		ids[i] = imap_session_submit(s, cmd, &err);
		CU_ASSERT_TRUE_FATAL(ids[i] > 0);
	}
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
		ok += imap_session_wait(s, ids[i], count_fetch, &n, &err);
	CU_ASSERT_EQUAL(ok, 1000);
	/* FETCH data that arrived while submitting went to no waiter; most did not. */
	CU_ASSERT_TRUE(n > 0 && n <= 1000);
	CU_ASSERT_TRUE(imap_session_is_usable(s));

	/* A NO or BAD from the server arrives at the right waiter. */
	guint bad = imap_session_submit(s, "FROBNICATE", &err);
	CU_ASSERT_FALSE(imap_session_wait(s, bad, NULL, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_BAD));
	g_clear_error(&err);

	/* Credentials sent through the generic API are redacted in the trace too. */
	guint login = imap_session_submit(s, "LOGIN alice hunter2-in-submit", &err);
	CU_ASSERT_FALSE(imap_session_wait(s, login, NULL, NULL, &err));
	g_clear_error(&err);
	guint auth = imap_session_submit(s, "AUTHENTICATE PLAIN aHVudGVyMi1pbi1zYXNs", &err);
	CU_ASSERT_FALSE(imap_session_wait(s, auth, NULL, NULL, &err));
	g_clear_error(&err);
	CU_ASSERT_FALSE(sent_contains("hunter2-in-submit"));
	CU_ASSERT_FALSE(sent_contains("aHVudGVyMi1pbi1zYXNs"));
	CU_ASSERT_TRUE(imap_session_noop(s, &err));
	imap_session_logout(s);
}

typedef struct {
	guint exists_calls;
	guint32 exists;
	guint bye;
} UnsolCollect;

static void on_unsolicited(ImapSession *s, const ImapResponse *r, gpointer data)
{
	UnsolCollect *c = data;

	if (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_UNTAGGED_EXISTS) {
		c->exists_calls++;
		c->exists = r->number;
	}
	if (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_UNTAGGED_STATUS &&
	    r->status == IMAP_STATUS_BYE)
		c->bye++;
}

static gboolean doveadm(const char *const *args, const char *stdin_path)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) p = NULL;
	GError *err = NULL;

	g_ptr_array_add(argv, "doveadm");
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, (gpointer)env("IMAPFS_TEST_DOVECOT_CONF"));
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);
	if (stdin_path)
		g_subprocess_launcher_set_stdin_file_path(l, stdin_path);
	p = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &err);
	if (!p || !g_subprocess_wait_check(p, NULL, &err)) {
		fprintf(stderr, "doveadm: %s\n", err->message);
		g_error_free(err);
		return FALSE;
	}
	return TRUE;
}

static void save_message(void)
{
	static const char *const args[] = {"save", "-u", "alice", "-m", "INBOX", NULL};
	g_autofree char *path = g_build_filename(env("IMAPFS_CORPUS"), "default", "0004.eml", NULL);

	CU_ASSERT_TRUE(doveadm(args, path));
}

static void test_unsolicited_exists(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	UnsolCollect c = {0};
	GError *err = NULL;
	gboolean got = FALSE;

	imap_session_set_unsolicited(s, on_unsolicited, &c);
	save_message();
	CU_ASSERT_TRUE(imap_session_noop(s, &err));
	CU_ASSERT_TRUE(c.exists_calls >= 1);
	CU_ASSERT_EQUAL(c.exists, info.exists + 1);

	/* IDLE: another message arrives while idling. */
	save_message();
	CU_ASSERT_TRUE(imap_session_idle(s, 5000, &got, &err));
	CU_ASSERT_TRUE(got);
	CU_ASSERT_EQUAL(c.exists, info.exists + 2);
	/* IDLE with nothing happening returns after the timeout without data. */
	got = TRUE;
	CU_ASSERT_TRUE(imap_session_idle(s, 300, &got, &err));
	CU_ASSERT_FALSE(got);
	CU_ASSERT_TRUE(imap_session_is_usable(s));
	if (err)
		fprintf(stderr, "unsolicited: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

static void test_qresync(void)
{
	ImapSelectInfo info = {0}, again = {0};
	ImapSession *s = open_inbox(&info);
	g_autoptr(GBytes) a = NULL;
	GError *err = NULL;
	MetaCollect c;

	guint32 uid = append_corpus(s, "INBOX", "default/0005.eml", NULL, -1, &a);
	g_autofree char *set = g_strdup_printf("%u", uid);
	char *deleted[] = {"\\Deleted", NULL};
	CU_ASSERT_TRUE(imap_session_store(s, set, IMAP_STORE_ADD, deleted, &err));
	CU_ASSERT_TRUE(imap_session_uid_expunge(s, set, &err));
	CU_ASSERT_TRUE(imap_session_close(s, &err));

	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_select_qresync(s, "INBOX", FALSE, info.uidvalidity,
						   info.highestmodseq, on_meta, &c, &again, &err));
	CU_ASSERT_PTR_NOT_NULL(again.vanished);
	CU_ASSERT_TRUE(again.highestmodseq > info.highestmodseq);
	meta_clear(&c);
	if (err)
		fprintf(stderr, "qresync: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_select_info_clear(&again);
	imap_session_logout(s);
}

static void test_quota(void)
{
	ImapSession *s = open_default();
	guint64 usage = 0, limit = 0;
	GError *err = NULL;

	CU_ASSERT_TRUE(imap_session_quota(s, "INBOX", &usage, &limit, &err));
	if (err)
		fprintf(stderr, "quota: %s\n", err->message);
	CU_ASSERT_TRUE(limit > 0);
	CU_ASSERT_TRUE(usage > 0 && usage <= limit);
	g_clear_error(&err);
	imap_session_logout(s);
}

static void test_kick(void)
{
	static const char *const args[] = {"kick", "alice", NULL};
	ImapSession *s = open_inbox(NULL);
	UnsolCollect c = {0};
	GError *err = NULL;

	imap_session_set_unsolicited(s, on_unsolicited, &c);
	CU_ASSERT_TRUE(doveadm(args, NULL));
	CU_ASSERT_FALSE(imap_session_noop(s, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	if (err) {
		CU_ASSERT_TRUE(err->code == IMAP_ERROR_BYE || err->code == IMAP_ERROR_NETWORK);
		CU_ASSERT_TRUE(strlen(err->message) > 10);
		fprintf(stderr, "after kick: %s\n", err->message);
	}
	CU_ASSERT_FALSE(imap_session_is_usable(s));
	CU_ASSERT_EQUAL(c.bye, 1);
	g_clear_error(&err);
	/* Every later command fails at once with the same reason. */
	CU_ASSERT_FALSE(imap_session_noop(s, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	imap_session_free(s);
}

/* ---- a server without LITERAL+, UIDPLUS, MOVE, UNSELECT (--caps) ---- */

static void test_minimal_server(void)
{
	ImapSelectInfo info = {0};
	ImapSession *s = open_inbox(&info);
	char *deleted[] = {"\\Deleted", NULL};
	g_autoptr(GBytes) a = NULL;
	GError *err = NULL;
	MetaCollect c;

	CU_ASSERT_FALSE(imap_session_has_cap(s, "LITERAL+"));
	CU_ASSERT_FALSE(imap_session_has_cap(s, "UIDPLUS"));

	/* APPEND waits for the continuation before sending the message. */
	guint64 size;
	guint32 uidvalidity = 1, uid = 1;
	int fd = corpus_fd("default/0006.eml", &size, &a);
	CU_ASSERT_TRUE(
	    imap_session_append(s, "INBOX", NULL, -1, fd, size, &uidvalidity, &uid, &err));
	close(fd);
	CU_ASSERT_EQUAL(uid, info.uidnext); /* Dovecot sends APPENDUID anyway */
	CU_ASSERT_TRUE(trace_contains("S: + "));

	/* Refused before the data is sent: the session stays usable. */
	fd = corpus_fd("default/0006.eml", &size, &a);
	CU_ASSERT_FALSE(
	    imap_session_append(s, "NoSuchFolder", NULL, -1, fd, size, NULL, NULL, &err));
	close(fd);
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_NO));
	g_clear_error(&err);
	CU_ASSERT_TRUE(imap_session_noop(s, &err));

	CU_ASSERT_FALSE(imap_session_uid_expunge(s, "1", &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED));
	g_clear_error(&err);
	CU_ASSERT_FALSE(imap_session_move(s, 1, "INBOX", NULL, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_UNSUPPORTED));
	g_clear_error(&err);

	/* Leaving a read-write mailbox without UNSELECT must not expunge \Deleted mail. */
	g_autofree char *set = g_strdup_printf("%u", first_uid(s));
	CU_ASSERT_TRUE(imap_session_store(s, set, IMAP_STORE_ADD, deleted, &err));
	CU_ASSERT_TRUE(imap_session_close(s, &err));
	imap_select_info_clear(&info);
	CU_ASSERT_TRUE(imap_session_select(s, "INBOX", FALSE, &info, &err));
	meta_init(&c);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, set, 0, on_meta, &c, &err));
	CU_ASSERT_EQUAL(c.uids->len, 1);
	CU_ASSERT_TRUE(meta_has_flag(&c, "\\Deleted"));
	meta_clear(&c);
	if (err)
		fprintf(stderr, "minimal: %s\n", err->message);
	g_clear_error(&err);
	imap_select_info_clear(&info);
	imap_session_logout(s);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	CU_pSuite suite;

	suite = session_suite(which);
	if (!suite)
		return EXIT_FAILURE;
	if (g_str_equal(which, "minimal")) {
		TEST_ADD(suite, test_minimal_server);
	} else if (g_str_equal(which, "folders")) {
		TEST_ADD(suite, test_folders);
		TEST_ADD(suite, test_move_copy);
	} else {
		TEST_ADD(suite, test_folders);
		TEST_ADD(suite, test_select_and_meta);
		TEST_ADD(suite, test_partial_fetch);
		TEST_ADD(suite, test_fetch_bodies);
		TEST_ADD(suite, test_append_store_expunge);
		TEST_ADD(suite, test_move_copy);
		TEST_ADD(suite, test_large_append);
		TEST_ADD(suite, test_pipeline);
		TEST_ADD(suite, test_unsolicited_exists);
		TEST_ADD(suite, test_qresync);
		TEST_ADD(suite, test_quota);
		TEST_ADD(suite, test_kick);
	}
	return session_run();
}

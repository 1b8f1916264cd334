/* imapfs — mail/folder.c without FUSE, against the scripted server of fake-server.h: what a
 * first listing builds, what a revalidation costs on the wire (counted from the trace: a
 * command the script did not expect gets no answer and fails the refresh), what it
 * reports changed, and that a dropped connection is retried. Linked with mail_dep alone.
 * Run through tests/harness/with-dovecot (the configuration helpers read its environment;
 * no Dovecot is spoken to). */
#include "tests/integration/fake-server.h"
#include "mail/folder.h"

#define CAPS_PLAIN "* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n"
#define CAPS_CONDSTORE "* PREAUTH [CAPABILITY IMAP4rev1 ENABLE CONDSTORE] ready\r\n"
#define CAPS_QRESYNC "* PREAUTH [CAPABILITY IMAP4rev1 ENABLE CONDSTORE QRESYNC] ready\r\n"
#define ENABLED_CONDSTORE "* ENABLED CONDSTORE\r\n%s OK enabled\r\n"
#define ENABLED_QRESYNC "* ENABLED CONDSTORE QRESYNC\r\n%s OK enabled\r\n"
#define LOGOUT "* BYE bye\r\n%s OK logged out\r\n"

/* An EXAMINE answer: EXISTS, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ (0: none). */
#define EXAMINED(exists, uidv, uidnext, modseq)                                                    \
	"* " #exists " EXISTS\r\n* OK [UIDVALIDITY " #uidv "] v\r\n* OK [UIDNEXT " #uidnext        \
	"] n\r\n" modseq "%s OK [READ-ONLY] examined\r\n"
#define MODSEQ(n) "* OK [HIGHESTMODSEQ " #n "] m\r\n"
#define NO_MODSEQ ""

/* One message's listing line: sequence number, UID, RFC822.SIZE and FLAGS. */
#define MSG(seq, uid, size, flags)                                                                 \
	"* " #seq " FETCH (UID " #uid " RFC822.SIZE " #size                                        \
	" INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" FLAGS (" flags "))\r\n"
#define FETCHED "%s OK fetched\r\n"

#define THREE_MSGS MSG(1, 1, 100, "") MSG(2, 2, 200, "\\Seen") MSG(3, 3, 300, "") FETCHED

/* A pool of one on a fake server with the folder table of INBOX over it. */
typedef struct {
	FakeServer srv;
	MailStats stats;
	ImapPool *pool;
	MailFolders *fl;
	MailFolder *f;
} Rig;

/* LATER (may be NULL): the replies of the connections after the first (FakeServer). */
static void rig_start_many(Rig *r, const char *greeting, const char *const *replies,
			   const char *const *const *later)
{
	memset(r, 0, sizeof(*r));
	fake_start_many(&r->srv, greeting, replies, later);
	r->pool = fake_pool(&r->srv);
	r->fl = mail_folders_new(r->pool, NULL, &r->stats);
	r->f = mail_folders_get(r->fl, "INBOX");
}

static void rig_start(Rig *r, const char *greeting, const char *const *replies)
{
	rig_start_many(r, greeting, replies, NULL);
}

static void rig_stop(Rig *r)
{
	mail_folders_free(r->fl);
	imap_pool_free(r->pool);
	fake_stop(&r->srv);
}

/* A refresh that must succeed; its changes (may be NULL) are the caller's. */
static MailFolderChanges *refresh(Rig *r)
{
	MailFolderChanges *ch = NULL;
	GError *err = NULL;

	if (!mail_folder_refresh(r->fl, r->f, 0, &ch, &err))
		fprintf(stderr, "\nrefresh: %s\n", err ? err->message : "?");
	CU_ASSERT_PTR_NULL(err);
	g_clear_error(&err);
	return ch;
}

/* The rig on REPLIES, a first listing, and the revalidation after it: its changes. */
static MailFolderChanges *revalidate(Rig *r, const char *greeting, const char *const *replies)
{
	rig_start(r, greeting, replies);
	mail_folder_changes_free(refresh(r));
	return refresh(r);
}

/* How many commands we sent that contain NEEDLE. */
static guint sent_count(const char *needle)
{
	guint n = 0;

	for (guint i = 0; i < trace_lines->len; i++) {
		const char *line = g_ptr_array_index(trace_lines, i);

		n += g_str_has_prefix(line, "C: ") && strstr(line, needle) != NULL;
	}
	return n;
}

static guint32 uid_at(const GArray *uids, guint i)
{
	return g_array_index(uids, guint32, i);
}

/* The first refresh is one EXAMINE and one UID FETCH 1:*, and the table holds what
 * the listing said. Nothing was known before: no changes to report. */
static void test_first_listing(void)
{
	static const char *const replies[] = {EXAMINED(3, 7, 4, NO_MODSEQ), THREE_MSGS, LOGOUT,
					      NULL};
	Rig r;
	MailMsgInfo mi;
	MailFolderStatus st;
	char *flags = NULL;
	guint32 uidv = 0;

	rig_start(&r, CAPS_PLAIN, replies);
	g_autoptr(MailFolderChanges) ch = refresh(&r);
	CU_ASSERT_PTR_NULL(ch);
	CU_ASSERT_EQUAL(mail_folder_uidvalidity(r.f), 7);
	g_autoptr(GArray) all = mail_folder_snapshot(r.f, &uidv, NULL);
	CU_ASSERT_EQUAL(uidv, 7);
	CU_ASSERT_EQUAL_FATAL(all->len, 3);
	CU_ASSERT_EQUAL(g_array_index(all, MailMsgInfo, 2).uid, 3);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 2, &mi, &flags));
	CU_ASSERT_EQUAL(mi.size, 200);
	CU_ASSERT_STRING_EQUAL(flags, "\\Seen");
	g_free(flags);
	CU_ASSERT_FALSE(mail_folder_msg(r.f, 7, 4, NULL, NULL));
	CU_ASSERT_FALSE(mail_folder_msg(r.f, 8, 1, NULL, NULL)); /* another generation */
	CU_ASSERT_TRUE(mail_folder_status(r.f, &st));
	CU_ASSERT_EQUAL(st.uidnext, 4);
	CU_ASSERT_EQUAL(st.messages, 3);
	CU_ASSERT_EQUAL(st.unseen, 2);
	CU_ASSERT_EQUAL(sent_count("EXAMINE"), 1);
	CU_ASSERT_EQUAL(sent_count("UID FETCH 1:*"), 1);
	CU_ASSERT_EQUAL(r.stats.meta_fetches, 1);
	rig_stop(&r);
}

/* With CONDSTORE, the same UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ mean nothing
 * changed: the revalidation is one EXAMINE, no FETCH, and reports no change. */
static void test_unchanged_condstore(void)
{
	static const char *const replies[] = {ENABLED_CONDSTORE,
					      EXAMINED(3, 7, 4, MODSEQ(10)),
					      THREE_MSGS,
					      EXAMINED(3, 7, 4, MODSEQ(10)),
					      LOGOUT,
					      NULL};
	Rig r;

	g_autoptr(MailFolderChanges) ch = revalidate(&r, CAPS_CONDSTORE, replies);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->old_uidvalidity, 7);
	CU_ASSERT_EQUAL(ch->removed->len, 0);
	CU_ASSERT_EQUAL(ch->resized->len, 0);
	CU_ASSERT_EQUAL(sent_count("EXAMINE"), 2);
	CU_ASSERT_EQUAL(sent_count("FETCH"), 1);
	CU_ASSERT_EQUAL(r.stats.meta_fetches, 1);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 3, NULL, NULL));
	rig_stop(&r);
}

/* Without CONDSTORE the same UIDVALIDITY, UIDNEXT and EXISTS do not prove that no flag
 * changed: the revalidation lists again, and sees the flag another client set. */
static void test_unchanged_plain(void)
{
	static const char *const replies[] = {EXAMINED(3, 7, 4, NO_MODSEQ),
					      THREE_MSGS,
					      EXAMINED(3, 7, 4, NO_MODSEQ),
					      MSG(1, 1, 100, "\\Seen") MSG(2, 2, 200, "\\Seen")
						  MSG(3, 3, 300, "") FETCHED,
					      LOGOUT,
					      NULL};
	Rig r;
	char *flags = NULL;

	g_autoptr(MailFolderChanges) ch = revalidate(&r, CAPS_PLAIN, replies);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->removed->len, 0);
	CU_ASSERT_EQUAL(sent_count("UID FETCH 1:*"), 2);
	CU_ASSERT_EQUAL(r.stats.meta_fetches, 2);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 1, NULL, &flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Seen");
	g_free(flags);
	rig_stop(&r);
}

/* A new UIDVALIDITY voids the table: every old UID is reported removed, also those
 * that exist again under the new one (they name other messages now). */
static void test_uidvalidity_change(void)
{
	static const char *const replies[] = {EXAMINED(3, 7, 4, NO_MODSEQ),
					      THREE_MSGS,
					      EXAMINED(2, 8, 3, NO_MODSEQ),
					      MSG(1, 1, 150, "") MSG(2, 2, 250, "") FETCHED,
					      LOGOUT,
					      NULL};
	Rig r;
	MailMsgInfo mi;

	g_autoptr(MailFolderChanges) ch = revalidate(&r, CAPS_PLAIN, replies);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->old_uidvalidity, 7);
	CU_ASSERT_EQUAL(ch->uidvalidity, 8);
	CU_ASSERT_EQUAL_FATAL(ch->removed->len, 3);
	CU_ASSERT_EQUAL(uid_at(ch->removed, 0), 1);
	CU_ASSERT_EQUAL(uid_at(ch->removed, 1), 2);
	CU_ASSERT_EQUAL(uid_at(ch->removed, 2), 3);
	CU_ASSERT_EQUAL(ch->resized->len, 0); /* not "resized": another message */
	CU_ASSERT_EQUAL(mail_folder_uidvalidity(r.f), 8);
	CU_ASSERT_FALSE(mail_folder_msg(r.f, 7, 1, NULL, NULL));
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 8, 1, &mi, NULL));
	CU_ASSERT_EQUAL(mi.size, 150);
	CU_ASSERT_FALSE(mail_folder_msg(r.f, 8, 3, NULL, NULL));
	rig_stop(&r);
}

/* A message another client expunged is in changes->removed, and only that one. */
static void test_expunged(void)
{
	static const char *const replies[] = {EXAMINED(3, 7, 4, NO_MODSEQ),
					      THREE_MSGS,
					      EXAMINED(2, 7, 4, NO_MODSEQ),
					      MSG(1, 1, 100, "") MSG(2, 3, 300, "") FETCHED,
					      LOGOUT,
					      NULL};
	Rig r;

	g_autoptr(MailFolderChanges) ch = revalidate(&r, CAPS_PLAIN, replies);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->old_uidvalidity, 7);
	CU_ASSERT_EQUAL_FATAL(ch->removed->len, 1);
	CU_ASSERT_EQUAL(uid_at(ch->removed, 0), 2);
	CU_ASSERT_FALSE(mail_folder_msg(r.f, 7, 2, NULL, NULL));
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 3, NULL, NULL));
	rig_stop(&r);
}

/* With QRESYNC a revalidation is O(changes): VANISHED names the expunged UIDs and a
 * CHANGEDSINCE fetch the changed ones; there is no second full listing. */
static void test_qresync(void)
{
	static const char *const replies[] = {
	    ENABLED_QRESYNC,
	    EXAMINED(3, 7, 4, MODSEQ(10)),
	    THREE_MSGS,
	    "* VANISHED (EARLIER) 2\r\n" EXAMINED(2, 7, 4, MODSEQ(12)),
	    MSG(2, 3, 300, "\\Seen") FETCHED,
	    LOGOUT,
	    NULL};
	Rig r;
	char *flags = NULL;

	g_autoptr(MailFolderChanges) ch = revalidate(&r, CAPS_QRESYNC, replies);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL_FATAL(ch->removed->len, 1);
	CU_ASSERT_EQUAL(uid_at(ch->removed, 0), 2);
	CU_ASSERT_EQUAL(sent_count("(QRESYNC (7 10))"), 1);
	CU_ASSERT_EQUAL(sent_count("CHANGEDSINCE 10"), 1);
	CU_ASSERT_EQUAL(r.stats.meta_fetches, 1);
	CU_ASSERT_EQUAL(r.stats.revalidations, 1);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 3, NULL, &flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Seen");
	g_free(flags);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 1, NULL, NULL));
	rig_stop(&r);
}

/* A connection that dies under the listing costs the caller nothing: the pool's one
 * retry rule lists again on a fresh connection, from its EXAMINE on. */
static void test_refresh_retried(void)
{
	static const char *const dropped[] = {EXAMINED(3, 7, 4, NO_MODSEQ), "* BYE going away\r\n",
					      NULL};
	static const char *const ok[] = {EXAMINED(3, 7, 4, NO_MODSEQ), THREE_MSGS, LOGOUT, NULL};
	static const char *const *const then_ok[] = {ok, NULL};
	Rig r;

	rig_start_many(&r, CAPS_PLAIN, dropped, then_ok);
	g_autoptr(MailFolderChanges) ch = refresh(&r);
	CU_ASSERT_PTR_NULL(ch);
	CU_ASSERT_EQUAL(sent_count("EXAMINE"), 2);
	CU_ASSERT_EQUAL(sent_count("UID FETCH 1:*"), 2);
	CU_ASSERT_TRUE(mail_folder_msg(r.f, 7, 3, NULL, NULL));
	rig_stop(&r);
}

int main(void)
{
	CU_pSuite s = session_suite("mail_folders");

	if (!s)
		return CU_get_error();
	TEST_ADD(s, test_first_listing);
	TEST_ADD(s, test_unchanged_condstore);
	TEST_ADD(s, test_unchanged_plain);
	TEST_ADD(s, test_uidvalidity_change);
	TEST_ADD(s, test_expunged);
	TEST_ADD(s, test_qresync);
	TEST_ADD(s, test_refresh_retried);
	return session_run();
}

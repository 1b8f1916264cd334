/* imapfs — imap/session.c against a scripted server, for what Dovecot will not do on
 * request: PREAUTH and BYE greetings, a connection closed inside a literal, garbage, a
 * wrong tag, a timeout, an over-long SEARCH result, a refused IDLE, UID 0 and a bad
 * INTERNALDATE; and imap/pool.c's retry rule over connections the server drops. Run through
 * tests/harness/with-dovecot (the configuration helpers read its environment). */
#include "tests/integration/fake-server.h"

#define PREAUTH "* PREAUTH [CAPABILITY IMAP4rev1 IDLE] ready\r\n"

static void test_fake_preauth(void)
{
	static const char *const replies[] = {"%s BAD [ALREADYEXISTS] Mailbox exists\r\n",
					      "* BYE bye\r\n%s OK done\r\n", NULL};
	FakeServer f;
	GError *err = NULL;
	ImapSession *s;

	fake_start(&f, PREAUTH, replies);
	s = fake_open(&f, NET_SECURITY_PLAIN, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(imap_session_auth_mechanism(s), "PREAUTH");
	CU_ASSERT_TRUE(imap_session_has_cap(s, "IDLE"));
	CU_ASSERT_FALSE(sent_contains("LOGIN"));
	CU_ASSERT_FALSE(imap_session_create(s, "Foo", &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_BAD));
	if (err)
		CU_ASSERT_STRING_EQUAL(err->message, "server refused CREATE \"Foo\": "
						     "[ALREADYEXISTS] Mailbox exists");
	g_clear_error(&err);
	CU_ASSERT_TRUE(imap_session_is_usable(s));
	imap_session_logout(s);
	fake_stop(&f);
}

static void test_fake_bye_greeting(void)
{
	FakeServer f;
	GError *err = NULL;

	fake_start(&f, "* BYE Too many connections from your address\r\n", NULL);
	CU_ASSERT_PTR_NULL(fake_open(&f, NET_SECURITY_PLAIN, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_BYE));
	if (err)
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "Too many connections"));
	g_clear_error(&err);
	fake_stop(&f);

	/* PREAUTH when STARTTLS is required: refused, not silently unencrypted. */
	fake_start(&f, PREAUTH, NULL);
	CU_ASSERT_PTR_NULL(fake_open(&f, NET_SECURITY_STARTTLS, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_TLS));
	g_clear_error(&err);
	fake_stop(&f);
}

/* One failure after a PREAUTH greeting: the NOOP fails with code and text, and the
 * session is unusable afterwards. */
static void fake_failure(const char *reply, int code, const char *text)
{
	const char *const replies[] = {reply, NULL};
	FakeServer f;
	GError *err = NULL;
	ImapSession *s;

	fake_start(&f, PREAUTH, replies);
	s = fake_open(&f, NET_SECURITY_PLAIN, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FALSE(imap_session_noop(s, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, code));
	if (err && text && !strstr(err->message, text))
		fprintf(stderr, "unexpected: %s\n", err->message);
	if (err && text)
		CU_ASSERT_PTR_NOT_NULL(strstr(err->message, text));
	g_clear_error(&err);
	CU_ASSERT_FALSE(imap_session_is_usable(s));
	CU_ASSERT_FALSE(imap_session_noop(s, &err));
	g_clear_error(&err);
	imap_session_free(s);
	fake_stop(&f);
}

/* An ESEARCH answer is a range the server chooses: one that does not fit is an error,
 * never a silently shortened list. A refused IDLE leaves the session usable. */
static void test_fake_search_and_idle(void)
{
	static const char *const replies[] = {
	    "* ESEARCH (TAG \"%s\") UID ALL 1:4294967295\r\n%s OK done\r\n",
	    "* ESEARCH (TAG \"%s\") UID ALL 3:5,9\r\n%s OK done\r\n",
	    "%s NO [CANNOT] not now\r\n", "%s OK noop\r\n", NULL};
	FakeServer f;
	GError *err = NULL;
	GArray *uids = NULL;
	gboolean got = FALSE;
	ImapSession *s;

	fake_start(&f, PREAUTH, replies);
	s = fake_open(&f, NET_SECURITY_PLAIN, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FALSE(imap_session_uid_search(s, "ALL", &uids, &err));
	CU_ASSERT_PTR_NULL(uids);
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_PROTOCOL));
	g_clear_error(&err);
	CU_ASSERT_TRUE(imap_session_uid_search(s, "ALL", &uids, &err));
	CU_ASSERT_EQUAL_FATAL(uids ? uids->len : 0, 4);
	CU_ASSERT_EQUAL(g_array_index(uids, guint32, 3), 9);
	g_array_unref(uids);
	CU_ASSERT_FALSE(imap_session_idle(s, 100, &got, &err));
	CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, IMAP_ERROR_NO));
	g_clear_error(&err);
	CU_ASSERT_TRUE(imap_session_noop(s, &err));
	CU_ASSERT_TRUE(imap_session_is_usable(s));
	g_clear_error(&err);
	imap_session_free(s);
	fake_stop(&f);
}

typedef struct {
	guint lines, no_uid, bad_date;
} UnusableCount;

static void count_unusable(const ImapFetchData *fd, gpointer data)
{
	UnusableCount *c = data;

	c->lines++;
	c->no_uid += (fd->unusable_fields & IMAP_FETCH_UID) != 0;
	c->bad_date +=
	    (fd->unusable_fields & IMAP_FETCH_INTERNALDATE) && (fd->fields & IMAP_FETCH_UID);
}

/* UID 0 and a date that is not one cost their line's item, not the session: the listing
 * hands both on (the table decides), and a SEARCH never hands on UID 0. */
static void test_fake_unusable(void)
{
	static const char *const replies[] = {
	    "* 1 FETCH (UID 0 RFC822.SIZE 5 INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" FLAGS "
	    "())\r\n"
	    "* 2 FETCH (UID 7 RFC822.SIZE 5 INTERNALDATE \"32-Foo-2020 99:00:00 +0000\" FLAGS "
	    "())\r\n"
	    "* 3 FETCH (UID 8 RFC822.SIZE 5 INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" FLAGS "
	    "())\r\n"
	    "%s OK done\r\n",
	    "* SEARCH 0 4 7\r\n%s OK done\r\n",
	    "* ESEARCH (TAG \"%s\") UID ALL 0:2,5\r\n%s OK done\r\n", NULL};
	FakeServer f;
	GError *err = NULL;
	GArray *uids = NULL;
	UnusableCount c = {0};
	ImapSession *s;

	fake_start(&f, PREAUTH, replies);
	s = fake_open(&f, NET_SECURITY_PLAIN, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(imap_session_fetch_meta(s, "1:*", 0, count_unusable, &c, &err));
	CU_ASSERT_EQUAL(c.lines, 3);
	CU_ASSERT_EQUAL(c.no_uid, 1);
	CU_ASSERT_EQUAL(c.bad_date, 1);
	CU_ASSERT_TRUE(imap_session_uid_search(s, "ALL", &uids, &err));
	CU_ASSERT_EQUAL_FATAL(uids ? uids->len : 0, 2);
	CU_ASSERT_EQUAL(g_array_index(uids, guint32, 0), 4);
	g_array_unref(uids);
	uids = NULL;
	CU_ASSERT_TRUE(imap_session_uid_search(s, "ALL", &uids, &err));
	if (err)
		fprintf(stderr, "\nESEARCH: %s\n", err->message);
	CU_ASSERT_EQUAL_FATAL(uids ? uids->len : 0, 3); /* 1 2 5 */
	CU_ASSERT_EQUAL(g_array_index(uids, guint32, 0), 1);
	CU_ASSERT_EQUAL(g_array_index(uids, guint32, 2), 5);
	g_array_unref(uids);
	CU_ASSERT_TRUE(imap_session_is_usable(s));
	g_clear_error(&err);
	imap_session_free(s);
	fake_stop(&f);
}

/* ---- the pool's retry rule ---- */

typedef struct {
	guint calls;
} Attempts;

static gboolean noop_attempt(ImapSession *s, gpointer data, GError **error)
{
	((Attempts *)data)->calls++;
	return imap_session_noop(s, error);
}

/* A pool run of NOOP over connections answering REPLIES, then LATER: TRUE or the error
 * CODE, after CALLS attempts. */
static void pool_case(const char *const *replies, const char *const *const *later, gboolean ok,
		      int code, guint calls)
{
	FakeServer f;
	GError *err = NULL;
	Attempts a = {0};
	ImapPool *p;

	fake_start_many(&f, PREAUTH, replies, later);
	p = fake_pool(&f);
	CU_ASSERT_EQUAL(imap_pool_run(p, NULL, noop_attempt, &a, &err), ok);
	if (!ok)
		CU_ASSERT_TRUE(g_error_matches(err, IMAP_ERROR, code));
	if (ok && err)
		fprintf(stderr, "\nunexpected: %s\n", err->message);
	CU_ASSERT_EQUAL(a.calls, calls);
	g_clear_error(&err);
	imap_pool_free(p);
	fake_stop(&f);
}

static void test_pool_retry(void)
{
	static const char *const bye[] = {"* BYE going away\r\n", NULL};
	static const char *const ok[] = {"%s OK done\r\n", NULL};
	static const char *const *const then_ok[] = {ok, NULL};
	static const char *const *const bye_twice[] = {bye, bye, NULL};

	/* A dropped connection: the same request again on a new one. */
	pool_case(bye, then_ok, TRUE, 0, 2);
	/* A server that drops every connection surfaces as an error, after three. */
	pool_case(bye, bye_twice, FALSE, IMAP_ERROR_BYE, 3);
}

/* What would only repeat, or make the user wait several times as long, is not retried:
 * the first connection's answer stands. */
static void test_pool_no_retry(void)
{
	static const char *const refused[] = {"%s NO [UNAVAILABLE] try later\r\n", NULL};
	static const char *const stall[] = {"* OK still thinking\r\n", NULL};
	FakeServer f;
	GError *err = NULL;
	Attempts a = {0};
	ImapPool *p;

	pool_case(stall, NULL, FALSE, IMAP_ERROR_TIMEOUT, 1);
	fake_start(&f, PREAUTH, refused);
	p = fake_pool(&f);
	CU_ASSERT_FALSE(imap_pool_run(p, NULL, noop_attempt, &a, &err));
	CU_ASSERT_EQUAL(a.calls, 1);
	/* The refusal's code came through the session and the pool as data. */
	CU_ASSERT_EQUAL(imap_error_code(err), IMAP_CODE_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(imap_error_text(err), "try later");
	g_clear_error(&err);
	imap_pool_free(p);
	fake_stop(&f);
}

/* A preparation retried like a request keeps its session for what follows. */
static void test_pool_acquire_ready(void)
{
	static const char *const bye[] = {"* BYE going away\r\n", NULL};
	static const char *const ok[] = {"%s OK done\r\n", "%s OK done\r\n", NULL};
	static const char *const *const then_ok[] = {ok, NULL};
	FakeServer f;
	GError *err = NULL;
	Attempts a = {0};
	ImapPool *p;
	ImapSession *s;

	fake_start_many(&f, PREAUTH, bye, then_ok);
	p = fake_pool(&f);
	s = imap_pool_acquire_ready(p, NULL, noop_attempt, &a, &err);
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(a.calls, 2);
	if (s) {
		CU_ASSERT_TRUE(imap_session_noop(s, &err)); /* still ours, still open */
		imap_pool_release(p, s);
	}
	g_clear_error(&err);
	imap_pool_free(p);
	fake_stop(&f);
}

static void test_fake_failures(void)
{
	/* The server holds the connection past the client's timeout: a stall inside the
	 * literal, a timeout (not retried), not a dropped connection. */
	fake_failure("* 1 FETCH (UID 1 BODY[] {100}\r\nonly part of it", IMAP_ERROR_TIMEOUT,
		     "inside a literal");
	fake_failure("* BYE going down\r\n", IMAP_ERROR_BYE, "going down");
	fake_failure("this is not IMAP\r\n", IMAP_ERROR_PROTOCOL, NULL);
	fake_failure("A999 OK wrong tag\r\n", IMAP_ERROR_PROTOCOL, "A999");
	fake_failure("* OK still thinking\r\n", IMAP_ERROR_TIMEOUT, NULL);
}

int main(void)
{
	CU_pSuite suite;

	suite = session_suite("fake");
	if (!suite)
		return EXIT_FAILURE;
	TEST_ADD(suite, test_fake_preauth);
	TEST_ADD(suite, test_fake_bye_greeting);
	TEST_ADD(suite, test_fake_failures);
	TEST_ADD(suite, test_fake_search_and_idle);
	TEST_ADD(suite, test_fake_unusable);
	TEST_ADD(suite, test_pool_retry);
	TEST_ADD(suite, test_pool_no_retry);
	TEST_ADD(suite, test_pool_acquire_ready);
	return session_run();
}

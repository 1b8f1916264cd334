/* imapfs — imap/session.c against a scripted server, for what Dovecot will not do on
 * request: PREAUTH and BYE greetings, a connection closed inside a literal, garbage, a
 * wrong tag, a timeout, an over-long SEARCH result, a refused IDLE, UID 0 and a bad
 * INTERNALDATE. Run through
 * tests/harness/with-dovecot (the configuration helpers read its environment). */
#include "tests/integration/session-common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a scripted server, for what Dovecot will not do on request ---- */

typedef struct {
	int listen_fd;
	guint16 port;
	const char *greeting;
	const char *const *replies; /* one per client line; every %s becomes its tag */
	GThread *thread;
} FakeServer;

static gpointer fake_run(gpointer data)
{
	FakeServer *f = data;
	int fd = accept(f->listen_fd, NULL, NULL);
	char line[4096];

	if (fd < 0)
		return NULL;
	if (write(fd, f->greeting, strlen(f->greeting)) < 0)
		goto out;
	for (const char *const *r = f->replies; r && *r; r++) {
		gsize n = 0;
		while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
			n++;
		line[n] = '\0';
		char *tag = g_strndup(line, strcspn(line, " "));
		GString *out = g_string_new(*r);
		g_string_replace(out, "%s", tag, 0);
		if (write(fd, out->str, out->len) < 0)
			n = 0;
		g_string_free(out, TRUE);
		g_free(tag);
	}
	/* Hold the connection open a moment for timeout tests, then close. */
	g_usleep(G_USEC_PER_SEC);
out:
	close(fd);
	return NULL;
}

static void fake_start(FakeServer *f, const char *greeting, const char *const *replies)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(f->listen_fd, 1) == 0);
	CU_ASSERT_FATAL(getsockname(f->listen_fd, (struct sockaddr *)&sa, &len) == 0);
	f->port = ntohs(sa.sin_port);
	f->greeting = greeting;
	f->replies = replies;
	f->thread = g_thread_new("fake-imap", fake_run, f);
}

static void fake_stop(FakeServer *f)
{
	g_thread_join(f->thread);
	close(f->listen_fd);
}

static ImapSession *fake_open(FakeServer *f, NetSecurity sec, GError **err)
{
	ImapConfig cfg;
	ImapSession *s;

	make_config(&cfg, NET_SECURITY_PLAIN, NULL);
	cfg.net.security = sec;
	cfg.net.port = f->port;
	cfg.net.io_timeout_ms = 700;
	s = imap_session_open(&cfg, err);
	imap_config_clear(&cfg);
	return s;
}

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
	return session_run();
}

/* imapfs — unit tests of the response parser, the response model and bodies. */
#include "imap/parser.h"
#include "imap/error.h"
#include "tests/test-util.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- feeding helpers --------------------------------------------------------- */

enum { WHOLE, BYTEWISE, RANDOM };

/* Feeds in with the given split and returns a transcript: every response's dump, one a
 * line, then "MORE" (incomplete at the end, with in_progress), "END" or "ERROR: msg". */
static char *transcript(const ImapParserLimits *lim, const char *in, gsize len, int mode,
			guint32 seed)
{
	g_autoptr(ImapParser) p = imap_parser_new(lim);
	GString *out = g_string_new("");
	GRand *rnd = g_rand_new_with_seed(seed);
	gsize off = 0, chunk_end = 0;
	while (off < len) {
		if (off >= chunk_end) {
			gsize step = mode == WHOLE ? len : mode == BYTEWISE ? 1
									: (gsize)g_rand_int_range(rnd, 1, 40);
			chunk_end = MIN(len, off + step);
		}
		gsize consumed = 0;
		ImapResponse *r = NULL;
		GError *err = NULL;
		ImapParseResult res = imap_parser_feed(p, (const guint8 *)in + off, chunk_end - off,
						       &consumed, &r, &err);
		if (res == IMAP_PARSE_ERROR) {
			g_string_append_printf(out, "ERROR: %s\n", err->message);
			CU_ASSERT_EQUAL(err->domain, IMAP_ERROR);
			CU_ASSERT_EQUAL(err->code, IMAP_ERROR_PROTOCOL);
			g_error_free(err);
			g_rand_free(rnd);
			return g_string_free(out, FALSE);
		}
		CU_ASSERT_PTR_NULL(err);
		CU_ASSERT(consumed <= chunk_end - off);
		off += consumed;
		if (res == IMAP_PARSE_DONE) {
			char *d = imap_response_to_string(r);
			g_string_append_printf(out, "%s\n", d);
			g_free(d);
			imap_response_free(r);
		}
	}
	g_string_append(out, imap_parser_in_progress(p) ? "MORE\n" : "END\n");
	g_rand_free(rnd);
	return g_string_free(out, FALSE);
}

/* Whole, byte by byte and 20 random splits must agree; returns the transcript. */
static char *check_splits(const ImapParserLimits *lim, const char *in, gsize len)
{
	char *whole = transcript(lim, in, len, WHOLE, 0);
	g_autofree char *bytes = transcript(lim, in, len, BYTEWISE, 0);
	CU_ASSERT_STRING_EQUAL(whole, bytes);
	if (strcmp(whole, bytes) != 0)
		fprintf(stderr, "\nwhole:\n%s\nbytewise:\n%s\n", whole, bytes);
	for (guint32 seed = 1; seed <= 20; seed++) {
		g_autofree char *rnd = transcript(lim, in, len, RANDOM, seed);
		CU_ASSERT_STRING_EQUAL(whole, rnd);
	}
	return whole;
}

/* Parses exactly one response from a whole buffer (must be DONE). */
static ImapResponse *parse1(const char *in)
{
	g_autoptr(ImapParser) p = imap_parser_new(NULL);
	ImapResponse *r = NULL;
	gsize consumed = 0;
	g_autoptr(GError) err = NULL;
	ImapParseResult res =
		imap_parser_feed(p, (const guint8 *)in, strlen(in), &consumed, &r, &err);
	if (res != IMAP_PARSE_DONE)
		fprintf(stderr, "\nparse1(%s): %s\n", in, err ? err->message : "MORE");
	CU_ASSERT_EQUAL_FATAL(res, IMAP_PARSE_DONE);
	CU_ASSERT_EQUAL(consumed, strlen(in));
	return r;
}

/* Parses a whole buffer that must fail; returns the error message. */
static char *parse_err(const ImapParserLimits *lim, const char *in, gsize len)
{
	g_autofree char *t = check_splits(lim, in, len);
	const char *e = strstr(t, "ERROR: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	return g_strdup(e + 7);
}

/* ---- vectors: every one fed whole, bytewise and in random splits ------------- */

static const char *const vectors[] = {
	/* RFC 3501 section 8, the server's side of the sample session */
	"* OK IMAP4rev1 Service Ready\r\n",
	"a001 OK LOGIN completed\r\n",
	"* 18 EXISTS\r\n",
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
	"* 2 RECENT\r\n",
	"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
	"a002 OK [READ-WRITE] SELECT completed\r\n",
	"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
	"RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	"\"IMAP4rev1 WG mtg summary and minutes\" "
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	"((NIL NIL \"imap\" \"cac.washington.edu\")) "
	"((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
	"NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
	"BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
	"a003 OK FETCH completed\r\n",
	"* 12 FETCH (BODY[HEADER] {342}\r\n"
	"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
	"From: Terry Gray <gray@cac.washington.edu>\r\n"
	"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	"To: imap@cac.washington.edu\r\n"
	"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
	"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	"\r\n"
	")\r\n",
	"a004 OK FETCH completed\r\n",
	"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
	"a005 OK +FLAGS completed\r\n",
	"* BYE IMAP4rev1 server logging out\r\n",
	"a006 OK LOGOUT completed\r\n",
	/* Dovecot-like lines */
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
	"AUTH=PLAIN AUTH=LOGIN] Dovecot ready.\r\n",
	"* CAPABILITY IMAP4rev1 IDLE CONDSTORE QRESYNC UIDPLUS MOVE LITERAL+ BINARY\r\n",
	"* ENABLED QRESYNC CONDSTORE\r\n",
	"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n",
	"* OK [HIGHESTMODSEQ 9223372036854775807] Highest\r\n",
	"* OK [NOMODSEQ] No permanent modsequences\r\n",
	"* OK [UIDNEXT 4392] Predicted next UID\r\n",
	"A7 OK [APPENDUID 1712345678 4392] Append completed.\r\n",
	"A8 OK [COPYUID 1712345678 3:5,9,7:6 100:102,103:104] Moved UIDs.\r\n",
	"A9 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n",
	"A10 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n",
	"A11 BAD [X-WEIRD-CODE some args here] whatever\r\n",
	"A12 OK\r\n",
	"* LIST (\\HasNoChildren) \".\" INBOX\r\n",
	"* LIST (\\HasChildren \\Noselect) \"/\" \"Archive\"\r\n",
	"* LIST (\\NonExistent) NIL \"\"\r\n",
	"* LIST () \"\\\\\" \"back\\\\slash \\\"q\\\"\"\r\n",
	"* LIST (\\Subscribed) \"/\" {14}\r\nR&AOk-sum&AOk-\r\n",
	"* LSUB () \".\" Sent\r\n",
	"* LIST (\\HasNoChildren) \".\" \"Work.Projects\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
	"* STATUS INBOX (MESSAGES 231 RECENT 0 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 3 "
	"HIGHESTMODSEQ 7011231777 SIZE 123456789012)\r\n",
	"* STATUS \"Sent Items\" (MESSAGES 2 X-UNKNOWN (a b))\r\n",
	"* SEARCH 2 84 882\r\n",
	"* SEARCH\r\n",
	"* SEARCH 1 5 (MODSEQ 917162500)\r\n",
	"* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800 COUNT 15 ALL 4:18,21,28\r\n",
	"* ESEARCH (TAG \"A286\") COUNT 0\r\n",
	"* 3 EXPUNGE\r\n",
	"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
	"* VANISHED 405,707,306:309\r\n",
	"* NAMESPACE ((\"\" \".\")) NIL ((\"Shared.\" \".\" \"X-EXT\" (\"a\")))\r\n",
	"* NAMESPACE ((\"INBOX/\" \"/\")) ((\"~\" \"/\")) NIL\r\n",
	"* QUOTAROOT INBOX \"User quota\"\r\n",
	"* QUOTAROOT Other\r\n",
	"* QUOTA \"User quota\" (STORAGE 10 1048576 MESSAGE 3 1000)\r\n",
	"* 5 FETCH (UID 42 MODSEQ (12345) FLAGS (\\Seen $Work))\r\n",
	"* 5 FETCH (UID 42 BODY[]<0> {5}\r\nhello)\r\n",
	"* 6 FETCH (UID 43 BODY[HEADER.FIELDS (FROM TO)] NIL)\r\n",
	"* 7 FETCH (BINARY[1] ~{4}\r\na\0b\r)\r\n",
	"* 8 FETCH (UID 9 RFC822 \"x\\\"y\")\r\n",
	"* 9 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) \"MIXED\") UID 1)\r\n",
	"* 10 FETCH (X-GM-LABELS (\"\\\\Inbox\") UID 2 BINARY.SIZE[1] 77)\r\n",
	"* ID (\"name\" \"Dovecot\" \"version\" {6}\r\n2.3.19)\r\n",
	"* METADATA \"INBOX\" (/private/comment \"My comment\")\r\n",
	"* 4 XCUSTOM foo\r\n",
	"+ idling\r\n",
	"+\r\n",
	"+ \r\n",
	"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
	"* OK text with a {5}\r\n",
	"A13 NO text that ends in a brace {3}\r\n",
	"zz.unknown-tag OK fine\r\n",
	"* OK  [ALERT]  double spaced\r\n",
	"* BYE [UNAVAILABLE] Server shutting down\r\n",
	"* PREAUTH [CAPABILITY IMAP4rev1] Logged in as alice\r\n",
	"* LIST (\\HasNoChildren) \".\" {0}\r\n\r\n",
	"* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n",
	/* several responses in one buffer */
	"* 1 EXISTS\r\n* 1 RECENT\r\nA1 OK done\r\n",
	/* incomplete at the end: EOF inside a literal */
	"* 1 FETCH (BODY[] {10}\r\nabc",
	"* 1 EXISTS\r\n* 2 EXI",
	/* malformed */
	"* OK bad\rnews\r\n",
	"* 1 EXISTS\n",
	"* OK nul\0here\r\n",
	"* 1 FETCH (BODY[] {18446744073709551615}\r\n",
	"* 1 FETCH (BODY[] {184467440737095516150}\r\n",
	"* 4294967296 EXISTS\r\n",
	"* 1 FETCH (UID 4294967296)\r\n",
	"A1 GARBAGE here\r\n",
	"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n",
	"* 1 FETCH (UID 1))\r\n",
	"* LIST (\\Seen \"/\" x\r\n",
	"* OK [UIDNEXT abc] x\r\n",
	"* OK [UIDNEXT 1 x\r\n",
	"* 1 FETCH (INTERNALDATE \"32-Foo-1996 02:44:25 -0700\")\r\n",
	"* 1 FETCH (UID \"1\")\r\n",
	"* SEARCH 1 x\r\n",
	"* 1 FETCH (UID 1 BODY[] {3}\r\nabc UID 2)\r\n",
	"* X \"unterminated\r\n",
	"* X a{3}\r\nabc\r\n",
	"\r\n",
	"( OK x\r\n",
};

static void test_vectors_splits(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const char *v = vectors[i];
		gsize len = strlen(v);
		/* strlen cuts the vectors holding NUL short: that is a vector too (EOF
		 * mid-response); test_nul_vectors feeds them whole. */
		g_autofree char *t = check_splits(NULL, v, len);
		CU_ASSERT(strlen(t) > 0);
		if (g_getenv("IMAPFS_TEST_VERBOSE"))
			fprintf(stderr, "%s", t);
	}
}

static void test_nul_vectors(void)
{
	static const char bin[] = "* 7 FETCH (BINARY[1] ~{4}\r\na\0b\r)\r\n";
	g_autofree char *t = check_splits(NULL, bin, sizeof(bin) - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "binary section=\"1\" body=4:\"a\\x00b\\x0d\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nEND"));

	static const char nul[] = "* OK nul\0here\r\n";
	g_autofree char *e = parse_err(NULL, nul, sizeof(nul) - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "NUL outside a literal"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "\\x00"));
}

/* A LIST line that cannot be read costs only its folder: the stream goes on. */
static void test_unreadable_list_lines(void)
{
	static const char quoted[] = "* LIST () \".\" \"a\0b\"\r\n* LIST () \".\" ok\r\n";
	static const char literal[] = "* LSUB () \".\" {3}\r\na\0b\r\n* 3 EXISTS\r\n";
	static const char garbled[] = "* LIST (\\X \".\" \"x\r\nA1 OK done\r\n";
	g_autofree char *q = check_splits(NULL, quoted, sizeof(quoted) - 1);
	g_autofree char *l = check_splits(NULL, literal, sizeof(literal) - 1);
	g_autofree char *g = check_splits(NULL, garbled, sizeof(garbled) - 1);
	g_autofree char *type = g_strdup_printf("type=%d ", IMAP_UNTAGGED_UNREADABLE);

	CU_ASSERT_PTR_NOT_NULL(strstr(q, type));
	CU_ASSERT_PTR_NOT_NULL(strstr(q, "NUL outside a literal"));
	CU_ASSERT_PTR_NOT_NULL(strstr(q, "a\\\\x00b")); /* the line, quoted for a log */
	CU_ASSERT_PTR_NOT_NULL(strstr(q, "mailbox=\"ok\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(q, "\nEND"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, type));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "NUL in a string"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "number=3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, type));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "TAGGED tag=\"A1\""));
	CU_ASSERT_PTR_NULL(strstr(q, "ERROR"));
	CU_ASSERT_PTR_NULL(strstr(l, "ERROR"));
	CU_ASSERT_PTR_NULL(strstr(g, "ERROR"));

	/* Anything else with a NUL still stops the connection. */
	static const char fetch[] = "* 1 FETCH (UID 1 FLAGS (\\Se\0en))\r\n";
	g_autofree char *e = parse_err(NULL, fetch, sizeof(fetch) - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "NUL outside a literal"));
}

/* ---- field values ------------------------------------------------------------- */

static void test_status_responses(void)
{
	g_autoptr(ImapResponse) r = parse1("* OK IMAP4rev1 Service Ready\r\n");
	CU_ASSERT_EQUAL(r->kind, IMAP_RESP_UNTAGGED);
	CU_ASSERT_EQUAL(r->type, IMAP_UNTAGGED_STATUS);
	CU_ASSERT_EQUAL(r->status, IMAP_STATUS_OK);
	CU_ASSERT_EQUAL(r->code.type, IMAP_CODE_NONE);
	CU_ASSERT_STRING_EQUAL(r->text, "IMAP4rev1 Service Ready");

	g_autoptr(ImapResponse) t = parse1("a002 OK [READ-WRITE] SELECT completed\r\n");
	CU_ASSERT_EQUAL(t->kind, IMAP_RESP_TAGGED);
	CU_ASSERT_STRING_EQUAL(t->tag, "a002");
	CU_ASSERT_EQUAL(t->code.type, IMAP_CODE_READ_WRITE);
	CU_ASSERT_STRING_EQUAL(t->text, "SELECT completed");

	g_autoptr(ImapResponse) u = parse1("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
	CU_ASSERT_EQUAL(u->code.type, IMAP_CODE_UIDVALIDITY);
	CU_ASSERT_EQUAL(u->code.number, 3857529045u);

	g_autoptr(ImapResponse) b = parse1("* BYE IMAP4rev1 server logging out\r\n");
	CU_ASSERT_EQUAL(b->status, IMAP_STATUS_BYE);

	g_autoptr(ImapResponse) x = parse1("A11 BAD [X-WEIRD-CODE some args] whatever\r\n");
	CU_ASSERT_EQUAL(x->status, IMAP_STATUS_BAD);
	CU_ASSERT_EQUAL(x->code.type, IMAP_CODE_OTHER);
	CU_ASSERT_STRING_EQUAL(x->code.name, "X-WEIRD-CODE");
	CU_ASSERT_STRING_EQUAL(x->code.arg, "some args");

	g_autoptr(ImapResponse) m = parse1("* OK [HIGHESTMODSEQ 9223372036854775807] x\r\n");
	CU_ASSERT_EQUAL(m->code.type, IMAP_CODE_HIGHESTMODSEQ);
	CU_ASSERT_EQUAL(m->code.number, G_MAXINT64);

	g_autoptr(ImapResponse) n = parse1("* OK [NOMODSEQ] No permanent modsequences\r\n");
	CU_ASSERT_EQUAL(n->code.type, IMAP_CODE_NOMODSEQ);

	g_autoptr(ImapResponse) e = parse1("A12 OK\r\n");
	CU_ASSERT_STRING_EQUAL(e->text, "");

	g_autoptr(ImapResponse) lit = parse1("A13 NO text that ends in a brace {3}\r\n");
	CU_ASSERT_EQUAL(lit->status, IMAP_STATUS_NO);
	CU_ASSERT_STRING_EQUAL(lit->text, "text that ends in a brace {3}");
}

static void test_codes_with_lists_and_sets(void)
{
	g_autoptr(ImapResponse) c = parse1("* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] hi\r\n");
	CU_ASSERT_EQUAL(c->code.type, IMAP_CODE_CAPABILITY);
	CU_ASSERT_TRUE(imap_caps_has(c->code.list, "idle"));
	CU_ASSERT_TRUE(imap_caps_has(c->code.list, "AUTH=plain"));
	CU_ASSERT_FALSE(imap_caps_has(c->code.list, "MOVE"));
	CU_ASSERT_FALSE(imap_caps_has(NULL, "MOVE"));

	g_autoptr(ImapResponse) p =
		parse1("* OK [PERMANENTFLAGS (\\Answered \\Seen \\*)] Flags permitted.\r\n");
	CU_ASSERT_EQUAL(p->code.type, IMAP_CODE_PERMANENTFLAGS);
	CU_ASSERT_EQUAL(g_strv_length(p->code.list), 3);
	CU_ASSERT_STRING_EQUAL(p->code.list[2], "\\*");

	g_autoptr(ImapResponse) a = parse1("A7 OK [APPENDUID 1712345678 4392] Append done.\r\n");
	CU_ASSERT_EQUAL(a->code.type, IMAP_CODE_APPENDUID);
	CU_ASSERT_EQUAL(a->code.uidvalidity, 1712345678u);
	CU_ASSERT_EQUAL(a->code.dst_uids->len, 1);
	CU_ASSERT_EQUAL(g_array_index(a->code.dst_uids, ImapRange, 0).first, 4392);

	g_autoptr(ImapResponse) k =
		parse1("A8 OK [COPYUID 17 3:5,9,7:6 100:102,103:104] Moved UIDs.\r\n");
	CU_ASSERT_EQUAL(k->code.type, IMAP_CODE_COPYUID);
	CU_ASSERT_EQUAL(k->code.uidvalidity, 17);
	CU_ASSERT_EQUAL_FATAL(k->code.src_uids->len, 3);
	ImapRange r2 = g_array_index(k->code.src_uids, ImapRange, 2);
	CU_ASSERT_EQUAL(r2.first, 6);
	CU_ASSERT_EQUAL(r2.last, 7);
	CU_ASSERT_EQUAL_FATAL(k->code.dst_uids->len, 2);
	CU_ASSERT_EQUAL(g_array_index(k->code.dst_uids, ImapRange, 1).last, 104);
}

static void test_untagged_data(void)
{
	g_autoptr(ImapResponse) f =
		parse1("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
	CU_ASSERT_EQUAL(f->type, IMAP_UNTAGGED_FLAGS);
	CU_ASSERT_EQUAL(g_strv_length(f->list), 5);
	CU_ASSERT_STRING_EQUAL(f->list[4], "\\Draft");

	g_autoptr(ImapResponse) x = parse1("* 18 EXISTS\r\n");
	CU_ASSERT_EQUAL(x->type, IMAP_UNTAGGED_EXISTS);
	CU_ASSERT_EQUAL(x->number, 18);
	g_autoptr(ImapResponse) e = parse1("* 3 EXPUNGE\r\n");
	CU_ASSERT_EQUAL(e->type, IMAP_UNTAGGED_EXPUNGE);
	CU_ASSERT_EQUAL(e->number, 3);

	g_autoptr(ImapResponse) c = parse1("* CAPABILITY IMAP4rev1 IDLE MOVE\r\n");
	CU_ASSERT_EQUAL(c->type, IMAP_UNTAGGED_CAPABILITY);
	CU_ASSERT_TRUE(imap_caps_has(c->list, "move"));
	g_autoptr(ImapResponse) en = parse1("* ENABLED QRESYNC\r\n");
	CU_ASSERT_EQUAL(en->type, IMAP_UNTAGGED_ENABLED);
	CU_ASSERT_STRING_EQUAL(en->list[0], "QRESYNC");

	g_autoptr(ImapResponse) id = parse1("* ID (\"name\" \"Dovecot\")\r\n");
	CU_ASSERT_EQUAL(id->type, IMAP_UNTAGGED_OTHER);
	g_autoptr(ImapResponse) o = parse1("* 4 XCUSTOM foo\r\n");
	CU_ASSERT_EQUAL(o->type, IMAP_UNTAGGED_OTHER);
}

static void test_list(void)
{
	g_autoptr(ImapResponse) a = parse1("* LIST (\\HasChildren \\Noselect) \"/\" \"Archive\"\r\n");
	CU_ASSERT_EQUAL(a->type, IMAP_UNTAGGED_LIST);
	CU_ASSERT_EQUAL(g_strv_length(a->list_data.flags), 2);
	CU_ASSERT_STRING_EQUAL(a->list_data.flags[1], "\\Noselect");
	CU_ASSERT_EQUAL(a->list_data.delimiter, '/');
	CU_ASSERT_STRING_EQUAL(a->list_data.mailbox, "Archive");

	g_autoptr(ImapResponse) n = parse1("* LIST (\\NonExistent) NIL \"\"\r\n");
	CU_ASSERT_EQUAL(n->list_data.delimiter, '\0');
	CU_ASSERT_STRING_EQUAL(n->list_data.mailbox, "");

	g_autoptr(ImapResponse) b = parse1("* LIST () \"\\\\\" \"back\\\\slash \\\"q\\\"\"\r\n");
	CU_ASSERT_EQUAL(b->list_data.delimiter, '\\');
	CU_ASSERT_STRING_EQUAL(b->list_data.mailbox, "back\\slash \"q\"");

	g_autoptr(ImapResponse) l = parse1("* LIST (\\Subscribed) \"/\" {14}\r\nR&AOk-sum&AOk-\r\n");
	CU_ASSERT_STRING_EQUAL(l->list_data.mailbox, "R&AOk-sum&AOk-");

	g_autoptr(ImapResponse) s = parse1("* LSUB () \".\" NIL\r\n");
	CU_ASSERT_EQUAL(s->type, IMAP_UNTAGGED_LSUB);
	CU_ASSERT_STRING_EQUAL(s->list_data.mailbox, "NIL");

	g_autoptr(ImapResponse) x =
		parse1("* LIST () \".\" \"Work.P\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");
	CU_ASSERT_STRING_EQUAL(x->list_data.mailbox, "Work.P");
}

static void test_status_search_quota(void)
{
	g_autoptr(ImapResponse) s = parse1("* STATUS INBOX (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 "
					   "HIGHESTMODSEQ 7011231777 SIZE 123456789012)\r\n");
	CU_ASSERT_EQUAL(s->type, IMAP_UNTAGGED_STATUS_DATA);
	CU_ASSERT_STRING_EQUAL(s->status_data.mailbox, "INBOX");
	CU_ASSERT_EQUAL(s->status_data.messages, 231);
	CU_ASSERT_EQUAL(s->status_data.recent, -1);
	CU_ASSERT_EQUAL(s->status_data.uidnext, 44292);
	CU_ASSERT_EQUAL(s->status_data.unseen, -1);
	CU_ASSERT_EQUAL(s->status_data.highestmodseq, 7011231777LL);
	CU_ASSERT_EQUAL(s->status_data.size, 123456789012LL);

	g_autoptr(ImapResponse) q = parse1("* SEARCH 2 84 882\r\n");
	CU_ASSERT_EQUAL(q->type, IMAP_UNTAGGED_SEARCH);
	CU_ASSERT_EQUAL_FATAL(q->search.numbers->len, 3);
	CU_ASSERT_EQUAL(g_array_index(q->search.numbers, guint32, 2), 882);
	g_autoptr(ImapResponse) qm = parse1("* SEARCH 1 5 (MODSEQ 917162500)\r\n");
	CU_ASSERT_EQUAL(qm->search.numbers->len, 2);

	g_autoptr(ImapResponse) e =
		parse1("* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800 COUNT 15 ALL 4:18,21\r\n");
	CU_ASSERT_EQUAL(e->type, IMAP_UNTAGGED_ESEARCH);
	CU_ASSERT_STRING_EQUAL(e->search.tag, "A285");
	CU_ASSERT_TRUE(e->search.uid);
	CU_ASSERT_EQUAL(e->search.min, 7);
	CU_ASSERT_EQUAL(e->search.max, 3800);
	CU_ASSERT_EQUAL(e->search.count, 15);
	CU_ASSERT_EQUAL_FATAL(e->search.all->len, 2);
	CU_ASSERT_EQUAL(g_array_index(e->search.all, ImapRange, 0).last, 18);

	g_autoptr(ImapResponse) v = parse1("* VANISHED (EARLIER) 41,43:116\r\n");
	CU_ASSERT_EQUAL(v->type, IMAP_UNTAGGED_VANISHED);
	CU_ASSERT_TRUE(v->vanished_earlier);
	CU_ASSERT_EQUAL(v->vanished->len, 2);
	g_autoptr(ImapResponse) v2 = parse1("* VANISHED 405\r\n");
	CU_ASSERT_FALSE(v2->vanished_earlier);

	g_autoptr(ImapResponse) ns = parse1("* NAMESPACE ((\"\" \".\")) NIL ((\"Shared/\" \"/\"))\r\n");
	CU_ASSERT_EQUAL(ns->type, IMAP_UNTAGGED_NAMESPACE);
	CU_ASSERT_EQUAL_FATAL(ns->ns.personal->len, 1);
	CU_ASSERT_EQUAL(g_array_index(ns->ns.personal, ImapNamespace, 0).delimiter, '.');
	CU_ASSERT_PTR_NULL(ns->ns.other);
	CU_ASSERT_STRING_EQUAL(g_array_index(ns->ns.shared, ImapNamespace, 0).prefix, "Shared/");

	g_autoptr(ImapResponse) qr = parse1("* QUOTAROOT INBOX \"User quota\"\r\n");
	CU_ASSERT_EQUAL(qr->type, IMAP_UNTAGGED_QUOTAROOT);
	CU_ASSERT_STRING_EQUAL(qr->quotaroot.mailbox, "INBOX");
	CU_ASSERT_STRING_EQUAL(qr->quotaroot.roots[0], "User quota");

	g_autoptr(ImapResponse) qu = parse1("* QUOTA \"User quota\" (STORAGE 10 1048576)\r\n");
	CU_ASSERT_EQUAL(qu->type, IMAP_UNTAGGED_QUOTA);
	CU_ASSERT_EQUAL_FATAL(qu->quota.resources->len, 1);
	ImapQuotaResource res = g_array_index(qu->quota.resources, ImapQuotaResource, 0);
	CU_ASSERT_STRING_EQUAL(res.name, "STORAGE");
	CU_ASSERT_EQUAL(res.usage, 10);
	CU_ASSERT_EQUAL(res.limit, 1048576);
}

static void test_fetch(void)
{
	g_autoptr(ImapResponse) f = parse1(vectors[8]); /* RFC 3501's FETCH with ENVELOPE */
	CU_ASSERT_EQUAL(f->type, IMAP_UNTAGGED_FETCH);
	CU_ASSERT_EQUAL(f->fetch.seq, 12);
	CU_ASSERT_EQUAL(f->fetch.fields,
			IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_SIZE);
	CU_ASSERT_STRING_EQUAL(f->fetch.flags[0], "\\Seen");
	CU_ASSERT_EQUAL(f->fetch.internaldate, 837596665); /* 1996-07-17 09:44:25 UTC */
	CU_ASSERT_EQUAL(f->fetch.size, 4286);

	g_autoptr(ImapResponse) h = parse1(vectors[10]);
	CU_ASSERT_EQUAL(h->fetch.fields, IMAP_FETCH_BODY);
	CU_ASSERT_STRING_EQUAL(h->fetch.body_section, "HEADER");
	CU_ASSERT_EQUAL(h->fetch.body_origin, -1);
	CU_ASSERT_EQUAL(imap_body_get_size(h->fetch.body), 342);
	char buf[8] = {0};
	CU_ASSERT_EQUAL(imap_body_pread(h->fetch.body, buf, 5, 0), 5);
	CU_ASSERT_STRING_EQUAL(buf, "Date:");

	g_autoptr(ImapResponse) m = parse1("* 5 FETCH (UID 42 MODSEQ (12345) FLAGS ())\r\n");
	CU_ASSERT_EQUAL(m->fetch.uid, 42);
	CU_ASSERT_EQUAL(m->fetch.modseq, 12345);
	CU_ASSERT_EQUAL(g_strv_length(m->fetch.flags), 0);

	g_autoptr(ImapResponse) p = parse1("* 5 FETCH (UID 42 BODY[]<1024> {5}\r\nhello)\r\n");
	CU_ASSERT_STRING_EQUAL(p->fetch.body_section, "");
	CU_ASSERT_EQUAL(p->fetch.body_origin, 1024);
	CU_ASSERT_FALSE(p->fetch.body_binary);

	g_autoptr(ImapResponse) n = parse1("* 6 FETCH (BODY[HEADER.FIELDS (FROM TO)] NIL)\r\n");
	CU_ASSERT_EQUAL(n->fetch.fields, IMAP_FETCH_BODY);
	CU_ASSERT_STRING_EQUAL(n->fetch.body_section, "HEADER.FIELDS (FROM TO)");
	CU_ASSERT_PTR_NULL(n->fetch.body);

	g_autoptr(ImapResponse) d1 = parse1("* 1 FETCH (INTERNALDATE \" 1-Jan-1970 00:00:00 +0000\")\r\n");
	CU_ASSERT_EQUAL(d1->fetch.internaldate, 0);
	g_autoptr(ImapResponse) d2 = parse1("* 1 FETCH (INTERNALDATE \"29-Feb-2024 23:30:00 +0130\")\r\n");
	CU_ASSERT_EQUAL(d2->fetch.internaldate, 1709249400 - 5400);

	g_autoptr(ImapResponse) s = parse1("* 9 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL "
					   "\"7BIT\" 1 1) UID 1)\r\n");
	CU_ASSERT_EQUAL(s->fetch.fields, IMAP_FETCH_UID);
}

/* A value that parses but cannot be used costs that item only: the line goes on. */
static void check_unusable(const char *in, guint fields, guint unusable, const char *text)
{
	g_autoptr(ImapResponse) r = parse1(in);

	CU_ASSERT_EQUAL(r->type, IMAP_UNTAGGED_FETCH);
	CU_ASSERT_EQUAL(r->fetch.fields, fields);
	CU_ASSERT_EQUAL(r->fetch.unusable_fields, unusable);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->fetch.unusable);
	if (strcmp(r->fetch.unusable, text) != 0)
		fprintf(stderr, "\n%s: unusable \"%s\", wanted \"%s\"\n", in, r->fetch.unusable,
			text);
	CU_ASSERT_STRING_EQUAL(r->fetch.unusable, text);
}

static void test_fetch_unusable(void)
{
	const guint usual = IMAP_FETCH_UID | IMAP_FETCH_SIZE | IMAP_FETCH_FLAGS;

	check_unusable("* 2 FETCH (UID 2 RFC822.SIZE 9 INTERNALDATE \"32-Foo-2020 99:00:00 +0000\" "
		       "FLAGS (\\Seen))\r\n",
		       usual, IMAP_FETCH_INTERNALDATE,
		       "INTERNALDATE \"32-Foo-2020 99:00:00 +0000\"");
	check_unusable("* 1 FETCH (UID 3 RFC822.SIZE 9 INTERNALDATE NIL FLAGS ())\r\n", usual,
		       IMAP_FETCH_INTERNALDATE, "INTERNALDATE NIL");
	check_unusable("* 1 FETCH (UID 3 RFC822.SIZE 9 INTERNALDATE {4}\r\n\t\x01\"x FLAGS ())\r\n",
		       usual, IMAP_FETCH_INTERNALDATE, "INTERNALDATE \"\\t\\001\\\"x\"");
	check_unusable(
	    "* 1 FETCH (UID 0 RFC822.SIZE 9 INTERNALDATE \"01-Jan-2020 00:00:00 +0000\")\r\n",
	    IMAP_FETCH_SIZE | IMAP_FETCH_INTERNALDATE, IMAP_FETCH_UID, "UID 0");
	check_unusable("* 1 FETCH (UID 4294967296 FLAGS ())\r\n", IMAP_FETCH_FLAGS, IMAP_FETCH_UID,
		       "UID 4294967296");
	check_unusable("* 1 FETCH (UID abc FLAGS ())\r\n", IMAP_FETCH_FLAGS, IMAP_FETCH_UID,
		       "UID abc");
	/* The first bad item is the one quoted; both are flagged. */
	check_unusable("* 1 FETCH (UID 0 INTERNALDATE \"x\")\r\n", 0,
		       IMAP_FETCH_UID | IMAP_FETCH_INTERNALDATE, "UID 0");

	/* A server's text is cut, not copied whole. */
	g_autofree char *pad = g_strnfill(1000, 'x');
	g_autofree char *longd = g_strdup_printf("* 1 FETCH (UID 1 INTERNALDATE \"%s\")\r\n", pad);
	g_autoptr(ImapResponse) l = parse1(longd);
	CU_ASSERT_EQUAL(l->fetch.unusable_fields, IMAP_FETCH_INTERNALDATE);
	CU_ASSERT_EQUAL(strlen(l->fetch.unusable), IMAP_FETCH_UNUSABLE_MAX);
	CU_ASSERT_TRUE(g_str_has_suffix(l->fetch.unusable, "..."));

	/* A good line has nothing unusable. */
	g_autoptr(ImapResponse) g =
	    parse1("* 1 FETCH (UID 7 INTERNALDATE \"01-Jan-2020 00:00:00 +0000\")\r\n");
	CU_ASSERT_EQUAL(g->fetch.unusable_fields, 0);
	CU_ASSERT_PTR_NULL(g->fetch.unusable);
}

static void test_continuation(void)
{
	g_autoptr(ImapResponse) a = parse1("+ idling\r\n");
	CU_ASSERT_EQUAL(a->kind, IMAP_RESP_CONTINUATION);
	CU_ASSERT_STRING_EQUAL(a->text, "idling");
	g_autoptr(ImapResponse) b = parse1("+\r\n");
	CU_ASSERT_STRING_EQUAL(b->text, "");
	g_autoptr(ImapResponse) c = parse1("+ PDE4OTYuNjk3MTcwOTUy\r\n");
	CU_ASSERT_STRING_EQUAL(c->text, "PDE4OTYuNjk3MTcwOTUy");
}

/* ---- malformed input and limits --------------------------------------------------- */

static void expect_error(const ImapParserLimits *lim, const char *in, const char *what)
{
	g_autofree char *e = parse_err(lim, in, strlen(in));
	if (strstr(e, what) == NULL)
		fprintf(stderr, "\n%s: got \"%s\", wanted \"%s\"\n", in, e, what);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, what));
}

static void test_malformed(void)
{
	expect_error(NULL, "* OK bad\rnews\r\n", "CR without LF");
	expect_error(NULL, "* 1 EXISTS\n", "LF without CR");
	expect_error(NULL, "* 1 FETCH (BODY[] {18446744073709551615}\r\n", "exceeds the limit");
	expect_error(NULL, "* 1 FETCH (BODY[] {184467440737095516150}\r\n", "overflows");
	expect_error(NULL, "* 4294967296 EXISTS\r\n", "number too big");
	expect_error(NULL, "A1 GARBAGE here\r\n", "expected OK, NO or BAD");
	expect_error(NULL, "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n", "unbalanced parentheses");
	expect_error(NULL, "* 1 FETCH (UID 1))\r\n", "unbalanced parentheses");
	expect_error(NULL, "* OK [UIDNEXT abc] x\r\n", "bad argument to [UIDNEXT]");
	expect_error(NULL, "* OK [UIDNEXT 1 x\r\n", "without ']'");
	expect_error(NULL, "* X \"unterminated\r\n", "unterminated quoted string");
	expect_error(NULL, "* X a{3}\r\nabc\r\n", "unexpected line break");
	expect_error(NULL, "( OK x\r\n", "bad tag");
	expect_error(NULL, "\r\n", "empty line");

	/* The excerpt is sanitized: control bytes are escaped, never copied raw. */
	g_autofree char *e = parse_err(NULL, "* OK \x01\x02\rX\r\n", 11);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "\\x01\\x02\\x0d"));

	/* Unknown tags are fine: the session decides. */
	g_autoptr(ImapResponse) r = parse1("zz.unknown-tag OK fine\r\n");
	CU_ASSERT_STRING_EQUAL(r->tag, "zz.unknown-tag");
}

static void test_limits(void)
{
	ImapParserLimits lim = {.max_line = 64, .max_literal = 1000, .max_inline_literal = 10};
	expect_error(&lim, "* OK 0123456789012345678901234567890123456789012345678901234567890\r\n",
		     "response too long");
	expect_error(&lim, "* 1 FETCH (BODY[] {1001}\r\n", "exceeds the limit of 1000");
	expect_error(&lim, "* LIST () \"/\" {14}\r\nR&AOk-sum&AOk-\r\n", "non-body string");
	/* The size is refused as soon as the marker's line ends: no byte is buffered. */
	g_autoptr(ImapParser) p = imap_parser_new(&lim);
	const char *m = "* 1 FETCH (BODY[] {5000}\r\n";
	g_autoptr(GError) err = NULL;
	ImapResponse *r = NULL;
	gsize c;
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)m, strlen(m), &c, &r, &err),
			IMAP_PARSE_ERROR);
	CU_ASSERT_PTR_NULL(r);
	/* Once failed, the parser refuses input until it is reset. */
	g_clear_error(&err);
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)"+\r\n", 3, &c, &r, &err),
			IMAP_PARSE_ERROR);
	imap_parser_reset(p);
	g_clear_error(&err);
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)"+\r\n", 3, &c, &r, &err),
			IMAP_PARSE_DONE);
	imap_response_free(r);
}

/* Many bodies in one response: each spooled one costs a file descriptor and disk space,
 * and the sizes add up, so a hostile server must not be able to pile them up. */
static void test_limits_per_response(void)
{
	g_autofree char *dir = g_dir_make_tmp("imapfs-parser-XXXXXX", NULL);
	ImapParserLimits lim = {.inline_literal_max = 10, .spool_dir = dir};
	GString *in = g_string_new("* 1 FETCH (UID 1");
	for (int i = 0; i < 40; i++)
		g_string_append_printf(in, " BODY[%d] {20}\r\n%020d", i + 1, i);
	g_string_append(in, ")\r\n");
	expect_error(&lim, in->str, "too many message bodies in one response");
	GDir *d = g_dir_open(dir, 0, NULL);
	CU_ASSERT_PTR_NULL(g_dir_read_name(d)); /* every spool file closed and gone */
	g_dir_close(d);
	rmdir(dir);
	g_string_free(in, TRUE);

	/* Each literal below the limit, together above it. */
	ImapParserLimits lim2 = {.max_literal = 1000, .inline_literal_max = 100};
	GString *two = g_string_new("* 1 FETCH (BODY[1] {600}\r\n");
	for (int i = 0; i < 600; i++)
		g_string_append_c(two, 'x');
	g_string_append(two, " BODY[2] {600}\r\n");
	expect_error(&lim2, two->str, "literals in one response exceed the limit of 1000");
	g_string_free(two, TRUE);

	/* Many empty literals: each costs memory although it carries no byte. */
	GString *empty = g_string_new("* 1 FETCH (X (");
	for (int i = 0; i < 5000; i++)
		g_string_append(empty, " {0}\r\n");
	g_string_append(empty, "))\r\n");
	expect_error(NULL, empty->str, "too many literals in one response");
	g_string_free(empty, TRUE);

	/* A response within the limits still parses. */
	ImapParserLimits lim3 = {.inline_literal_max = 10};
	g_autofree char *ok = check_splits(&lim3, "* 1 FETCH (UID 1 BODY[] {20}\r\n"
						 "01234567890123456789)\r\n",
					   strlen("* 1 FETCH (UID 1 BODY[] {20}\r\n"
						  "01234567890123456789)\r\n"));
	CU_ASSERT_PTR_NULL(strstr(ok, "ERROR"));
}

static void test_eof_inside_literal(void)
{
	g_autoptr(ImapParser) p = imap_parser_new(NULL);
	const char *in = "* 1 FETCH (BODY[] {10}\r\nabc";
	ImapResponse *r = NULL;
	gsize c = 0;
	CU_ASSERT_FALSE(imap_parser_in_progress(p));
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)in, strlen(in), &c, &r, NULL),
			IMAP_PARSE_MORE);
	CU_ASSERT_EQUAL(c, strlen(in));
	CU_ASSERT_TRUE(imap_parser_in_progress(p));
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)"defghij)", 8, &c, &r, NULL),
			IMAP_PARSE_MORE);
	CU_ASSERT_TRUE(imap_parser_in_progress(p));
	CU_ASSERT_EQUAL(imap_parser_feed(p, (const guint8 *)"\r\n* 2", 5, &c, &r, NULL),
			IMAP_PARSE_DONE);
	CU_ASSERT_EQUAL(c, 2);
	CU_ASSERT_FALSE(imap_parser_in_progress(p));
	imap_response_free(r);
}

/* ---- bodies ------------------------------------------------------------------------- */

static void test_spooled_body(void)
{
	g_autofree char *dir = g_dir_make_tmp("imapfs-parser-XXXXXX", NULL);
	ImapParserLimits lim = {.inline_literal_max = 100, .spool_dir = dir};
	gsize n = 100000;
	GString *in = g_string_new("* 3 FETCH (UID 7 BODY[] {100000}\r\n");
	for (gsize i = 0; i < n; i++)
		g_string_append_c(in, (char)(i * 7 % 251));
	g_string_append(in, " FLAGS (\\Seen))\r\n");

	g_autoptr(ImapParser) p = imap_parser_new(&lim);
	ImapResponse *r = NULL;
	gsize off = 0, c;
	ImapParseResult res = IMAP_PARSE_MORE;
	while (res == IMAP_PARSE_MORE && off < in->len) {
		gsize step = MIN((gsize)4096, in->len - off);
		res = imap_parser_feed(p, (const guint8 *)in->str + off, step, &c, &r, NULL);
		off += c;
	}
	CU_ASSERT_EQUAL_FATAL(res, IMAP_PARSE_DONE);
	CU_ASSERT_EQUAL(off, in->len);
	CU_ASSERT(imap_body_get_fd(r->fetch.body) >= 0);
	CU_ASSERT_PTR_NULL(imap_body_get_bytes(r->fetch.body));
	CU_ASSERT_EQUAL(imap_body_get_size(r->fetch.body), n);
	g_autofree guint8 *got = g_malloc(n + 10);
	CU_ASSERT_EQUAL(imap_body_pread(r->fetch.body, got, n + 10, 0), (gssize)n);
	CU_ASSERT_EQUAL(memcmp(got, in->str + strlen("* 3 FETCH (UID 7 BODY[] {100000}\r\n"), n),
			0);
	CU_ASSERT_EQUAL(imap_body_pread(r->fetch.body, got, 10, n), 0);
	CU_ASSERT_STRING_EQUAL(r->fetch.flags[0], "\\Seen");

	/* write_to_fd copies it exactly; the spool file left nothing behind in dir. */
	char path[] = "/tmp/imapfs-body-copy-XXXXXX";
	int fd = g_mkstemp(path);
	unlink(path);
	CU_ASSERT_TRUE(imap_body_write_to_fd(r->fetch.body, fd, NULL));
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_CUR), (off_t)n);
	close(fd);
	GDir *d = g_dir_open(dir, 0, NULL);
	CU_ASSERT_PTR_NULL(g_dir_read_name(d));
	g_dir_close(d);
	imap_response_free(r);
	rmdir(dir);
	g_string_free(in, TRUE);

	/* Spooled and in-memory bodies dump the same. */
	const char *small = "* 1 FETCH (BODY[] {200}\r\n";
	GString *s2 = g_string_new(small);
	for (int i = 0; i < 200; i++)
		g_string_append_c(s2, 'a' + i % 26);
	g_string_append(s2, ")\r\n");
	ImapParserLimits lim2 = {.inline_literal_max = 100};
	g_autofree char *t1 = check_splits(&lim2, s2->str, s2->len);
	g_autofree char *t2 = check_splits(NULL, s2->str, s2->len);
	CU_ASSERT_STRING_EQUAL(t1, t2);
	g_string_free(s2, TRUE);
}

static void test_body_bytes(void)
{
	g_autoptr(GBytes) b = g_bytes_new("hello", 5);
	g_autoptr(ImapBody) body = imap_body_new_bytes(b);
	char buf[8] = {0};
	CU_ASSERT_EQUAL(imap_body_get_fd(body), -1);
	CU_ASSERT_PTR_EQUAL(imap_body_get_bytes(body), b);
	CU_ASSERT_EQUAL(imap_body_pread(body, buf, 3, 2), 3);
	CU_ASSERT_STRING_EQUAL(buf, "llo");
	CU_ASSERT_EQUAL(imap_body_pread(body, buf, 3, 5), 0);
	imap_body_unref(imap_body_ref(body));
	imap_body_unref(NULL);
	imap_response_free(NULL);
}

static void test_performance(void)
{
	GString *in = g_string_new("");
	for (guint i = 1; i <= 10000; i++)
		g_string_append_printf(in,
				       "* %u FETCH (UID %u RFC822.SIZE %u INTERNALDATE "
				       "\"%2u-Mar-2024 12:34:56 +0100\" FLAGS (\\Seen $Work))\r\n",
				       i, i * 3, 1000 + i, 1 + i % 28);
	g_string_append(in, "A1 OK Fetch completed (0.012 + 0.000 secs).\r\n");
	g_autoptr(ImapParser) p = imap_parser_new(NULL);
	gint64 t0 = g_get_monotonic_time();
	guint n = 0;
	gsize off = 0;
	/* Feed in 64 KiB reads, as the transport would. */
	while (off < in->len) {
		gsize end = MIN(in->len, (off / 65536 + 1) * 65536), c;
		ImapResponse *r = NULL;
		ImapParseResult res =
			imap_parser_feed(p, (const guint8 *)in->str + off, end - off, &c, &r, NULL);
		CU_ASSERT_NOT_EQUAL_FATAL(res, IMAP_PARSE_ERROR);
		off += c;
		if (res == IMAP_PARSE_DONE) {
			n++;
			imap_response_free(r);
		}
	}
	gint64 us = g_get_monotonic_time() - t0;
	fprintf(stderr, "\n10k FETCH lines parsed in %" G_GINT64_FORMAT " us\n", us);
	CU_ASSERT_EQUAL(n, 10001);
	/* Speed is printed, not asserted: a timed unit test flaps under sanitizers and load
	 * (bench/ owns speed targets). */
	g_string_free(in, TRUE);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("parser", NULL, NULL);
	TEST_ADD(s, test_vectors_splits);
	TEST_ADD(s, test_nul_vectors);
	TEST_ADD(s, test_unreadable_list_lines);
	TEST_ADD(s, test_status_responses);
	TEST_ADD(s, test_codes_with_lists_and_sets);
	TEST_ADD(s, test_untagged_data);
	TEST_ADD(s, test_list);
	TEST_ADD(s, test_status_search_quota);
	TEST_ADD(s, test_fetch);
	TEST_ADD(s, test_continuation);
	TEST_ADD(s, test_malformed);
	TEST_ADD(s, test_fetch_unusable);
	TEST_ADD(s, test_limits);
	TEST_ADD(s, test_limits_per_response);
	TEST_ADD(s, test_eof_inside_literal);
	TEST_ADD(s, test_spooled_body);
	TEST_ADD(s, test_body_bytes);
	TEST_ADD(s, test_performance);
	return test_run_all();
}

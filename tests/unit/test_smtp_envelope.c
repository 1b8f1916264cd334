/* imapfs — unit tests of smtp/envelope (sender, recipients, Bcc removal), smtp/address
 * (RFC 5322 address lists) and smtp/data (dot-stuffing, CRLF). */
#include "smtp/error.h"
#include "smtp/address.h"
#include "smtp/data.h"
#include "smtp/envelope.h"
#include "tests/test-util.h"

#include <string.h>

static SmtpEnvelope *parse(const char *msg, const char *sender, GError **error)
{
	g_autoptr(GBytes) b = g_bytes_new(msg, strlen(msg));
	return smtp_envelope_parse(b, sender, error);
}

/* Asserts the recipients are exactly the NULL-terminated list want, in order. */
static void assert_recipients(const SmtpEnvelope *env, const char *const *want)
{
	guint n = g_strv_length((char **)want);

	CU_ASSERT_EQUAL_FATAL(env->recipients->len, n);
	for (guint i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(g_ptr_array_index(env->recipients, i), want[i]);
}

static void assert_message(const SmtpEnvelope *env, const char *want)
{
	gsize len;
	const char *got = g_bytes_get_data(env->message, &len);

	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_TRUE(len == strlen(want) && memcmp(got, want, len) == 0);
}

/* Asserts an address list parses to exactly want (NULL-terminated). */
static void assert_list(const char *text, const char *const *want)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;
	gboolean ok = smtp_address_list_parse(text, strlen(text), out, &err);

	if (!ok)
		g_printerr("\"%s\": %s\n", text, err->message);
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_EQUAL_FATAL(out->len, g_strv_length((char **)want));
	for (guint i = 0; i < out->len; i++)
		CU_ASSERT_STRING_EQUAL(g_ptr_array_index(out, i), want[i]);
}

static void assert_list_invalid(const char *text)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;

	g_ptr_array_add(out, g_strdup("kept"));
	CU_ASSERT_FALSE(smtp_address_list_parse(text, strlen(text), out, &err));
	CU_ASSERT_TRUE(g_error_matches(err, SMTP_ERROR, SMTP_ERROR_INVALID));
	CU_ASSERT_EQUAL(out->len, 1); /* untouched on failure */
}

static void test_addresses(void)
{
	assert_list("a@example.org", (const char *[]){"a@example.org", NULL});
	assert_list("Alice Example <alice@example.org>, bob@example.net",
		    (const char *[]){"alice@example.org", "bob@example.net", NULL});
	assert_list("\"Doe, John\" <john@example.org>, \"x\\\"y\" <y@e.org>",
		    (const char *[]){"john@example.org", "y@e.org", NULL});
	assert_list("carol@example.org (Carol (the (nested) boss), really)",
		    (const char *[]){"carol@example.org", NULL});
	assert_list("(lead) dave @ example . org", (const char *[]){"dave@example.org", NULL});
	assert_list("Team: a@x.org, B <b@y.org>;, c@z.org",
		    (const char *[]){"a@x.org", "b@y.org", "c@z.org", NULL});
	assert_list("undisclosed-recipients:;", (const char *[]){NULL});
	assert_list("\"john doe\"@example.org, <@relay.org,@r2.org:e@f.org>",
		    (const char *[]){"\"john doe\"@example.org", "e@f.org", NULL});
	assert_list("root@[127.0.0.1], , =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>",
		    (const char *[]){"root@[127.0.0.1]", "joerg@example.de", NULL});
	assert_list(" Folded\r\n Name\r\n\t<f@example.org>",
		    (const char *[]){"f@example.org", NULL});
	assert_list("Ünïcode <ü@exämple.org>", (const char *[]){"ü@exämple.org", NULL});
}

static void test_addresses_invalid(void)
{
	assert_list_invalid("John Doe john@example.org");
	assert_list_invalid("\"unterminated <a@b.org>");
	assert_list_invalid("a@b.org (unterminated comment");
	assert_list_invalid("<a@b.org");
	assert_list_invalid("Name <a@b.org> trailing");
	assert_list_invalid("justalocalpart");
	assert_list_invalid("@example.org");
	assert_list_invalid("a@");
	assert_list_invalid("<>");
	assert_list_invalid("Group: a@b.org");
	assert_list_invalid("a@b.org;");
	assert_list_invalid("a <b@c.org> <d@e.org>");
}

static void test_recipients_and_bcc(void)
{
	const char *msg = "From: Alice <alice@example.org>\n"
			  "To: bob@example.org, Carol <carol@example.org>\n"
			  "Bcc: Hidden <hidden@example.org>,\n"
			  " second@example.org\n"
			  "Cc: dave@example.org, BOB@example.org\n"
			  "Subject: hi\n"
			  "\n"
			  "Bcc: not a header, body text\n";
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) env = parse(msg, NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_STRING_EQUAL(env->sender, "alice@example.org");
	assert_recipients(env, (const char *[]){"bob@example.org", "carol@example.org",
						"dave@example.org", "hidden@example.org",
						"second@example.org", NULL});
	assert_message(env, "From: Alice <alice@example.org>\n"
			    "To: bob@example.org, Carol <carol@example.org>\n"
			    "Cc: dave@example.org, BOB@example.org\n"
			    "Subject: hi\n"
			    "\n"
			    "Bcc: not a header, body text\n");
	CU_ASSERT_FALSE(env->eight_bit);
	CU_ASSERT_FALSE(env->needs_smtputf8);
}

static void test_crlf_and_no_bcc(void)
{
	const char *msg = "Subject: x\r\nFROM: a@b.org\r\nto: c@d.org\r\n\r\nbody\r\n";
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) env = parse(msg, NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_STRING_EQUAL(env->sender, "a@b.org");
	assert_recipients(env, (const char *[]){"c@d.org", NULL});
	assert_message(env, msg);
}

static void test_bcc_only_and_last(void)
{
	const char *msg = "From: a@b.org\r\nTo: undisclosed-recipients:;\r\n"
			  "BCC: x@y.org\r\n";
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) env = parse(msg, NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	assert_recipients(env, (const char *[]){"x@y.org", NULL});
	assert_message(env, "From: a@b.org\r\nTo: undisclosed-recipients:;\r\n");
}

static void test_sender_choice(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) a =
	    parse("From: a@x.org, b@x.org\nSender: s@x.org\nTo: t@x.org\n\n", NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->sender, "s@x.org");

	g_autoptr(SmtpEnvelope) b =
	    parse("From: a@x.org\nTo: t@x.org\n\n", "Me Myself <me@x.org>", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(b->sender, "me@x.org");

	g_autoptr(SmtpEnvelope) c = parse("To: t@x.org\n\nno from\n", "me@x.org", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->sender, "me@x.org");
}

static void test_eight_bit(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) body = parse("From: a@x.org\nTo: t@x.org\n\nGrüße\n", NULL, &err);
	g_autoptr(SmtpEnvelope) head =
	    parse("From: a@x.org\nTo: t@x.org\nSubject: Grüße\n\nhi\n", NULL, &err);
	g_autoptr(SmtpEnvelope) addr = parse("From: a@x.org\nBcc: jörg@x.org\n\nhi\n", NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(addr);
	CU_ASSERT_TRUE(body->eight_bit);
	CU_ASSERT_FALSE(body->needs_smtputf8);
	CU_ASSERT_TRUE(head->needs_smtputf8);
	/* The Bcc field is gone from the message, but its address still needs SMTPUTF8. */
	CU_ASSERT_FALSE(addr->eight_bit);
	CU_ASSERT_TRUE(addr->needs_smtputf8);
}

static void assert_refused(const char *msg, const char *sender, const char *fragment)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(SmtpEnvelope) env = parse(msg, sender, &err);

	CU_ASSERT_PTR_NULL(env);
	CU_ASSERT_TRUE(g_error_matches(err, SMTP_ERROR, SMTP_ERROR_INVALID));
	if (err && !strstr(err->message, fragment))
		g_printerr("\"%s\" lacks \"%s\"\n", err->message, fragment);
	CU_ASSERT_TRUE(err && strstr(err->message, fragment));
}

static void test_refusals(void)
{
	assert_refused("", NULL, "no header block");
	assert_refused("just some text\nTo: a@b.org\n\n", NULL, "no header block");
	assert_refused("From alice@x.org Mon Jan  1 00:00:00 2024\nTo: a@b.org\n\n", NULL,
		       "no header block");
	assert_refused(" To: a@b.org\n\n", NULL, "does not start with a header");
	assert_refused("From: a@b.org\nSubject: hi\n\nbody\n", NULL, "no recipients");
	assert_refused("From: a@b.org\nTo: undisclosed-recipients:;\n\n", NULL, "no recipients");
	assert_refused("To: t@b.org\n\nbody\n", NULL, "no From");
	assert_refused("From: a@b.org, c@d.org\nTo: t@b.org\n\n", NULL, "the sender must be one");
	assert_refused("From: a@b.org\nTo: John Doe john@b.org\n\n", NULL, "To:");
	assert_refused("From: a@b.org\nTo: t@b.org\nbroken line\n\n", NULL, "line 3");
	assert_refused("From: a@b.org\nTo: t@b.org\n\n", "not an address", "configured sender");

	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) nul = g_bytes_new("From: a@b.org\nTo: t@b.org\n\na\0b\n", 31);
	CU_ASSERT_PTR_NULL(smtp_envelope_parse(nul, NULL, &err));
	CU_ASSERT_TRUE(err && strstr(err->message, "NUL"));
}

static void assert_encoded(const char *in, const char *want)
{
	g_autoptr(GBytes) b = g_bytes_new(in, strlen(in));
	g_autoptr(GBytes) out = smtp_data_encode(b);
	gsize len;
	const char *got = g_bytes_get_data(out, &len);

	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_TRUE(len == strlen(want) && memcmp(got, want, len) == 0);
}

static void test_data_encoding(void)
{
	assert_encoded("a\nb\n", "a\r\nb\r\n.\r\n");
	assert_encoded("a\r\nb", "a\r\nb\r\n.\r\n");
	assert_encoded(".\n..x\n.", "..\r\n...x\r\n..\r\n.\r\n");
	assert_encoded("x\r\n.\r\ny", "x\r\n..\r\ny\r\n.\r\n");
	assert_encoded("lone\rcr\n\nend", "lone\r\ncr\r\n\r\nend\r\n.\r\n");
	assert_encoded("a.b\n .c\n", "a.b\r\n .c\r\n.\r\n");
	assert_encoded("", ".\r\n");
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("smtp_envelope", NULL, NULL);
	TEST_ADD(s, test_addresses);
	TEST_ADD(s, test_addresses_invalid);
	TEST_ADD(s, test_recipients_and_bcc);
	TEST_ADD(s, test_crlf_and_no_bcc);
	TEST_ADD(s, test_bcc_only_and_last);
	TEST_ADD(s, test_sender_choice);
	TEST_ADD(s, test_eight_bit);
	TEST_ADD(s, test_refusals);
	TEST_ADD(s, test_data_encoding);
	return test_run_all();
}

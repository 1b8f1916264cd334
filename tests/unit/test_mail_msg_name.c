/* mail/msg-name.c: a message's UID name and nothing else parses. */
#include "mail/msg-name.h"
#include "tests/test-util.h"

static void test_msg_names(void)
{
	char buf[MAIL_MSG_NAME_LEN + 1];
	guint32 uid = 0;

	mail_msg_name(1234, buf);
	CU_ASSERT_STRING_EQUAL(buf, "0000001234.eml");
	CU_ASSERT_TRUE(mail_msg_name_parse(buf, &uid));
	CU_ASSERT_EQUAL(uid, 1234);
	mail_msg_name(G_MAXUINT32, buf);
	CU_ASSERT_STRING_EQUAL(buf, "4294967295.eml");
	CU_ASSERT_TRUE(mail_msg_name_parse(buf, &uid));
	CU_ASSERT_EQUAL(uid, G_MAXUINT32);

	const char *bad[] = {
	    "1234.eml",	      "0000001234.EML", "0000001234.eml~", "4294967296.eml",
	    "0000000000.eml", "+000001234.eml", "000000123a.eml",  "",
	    " 000001234.eml", "00000001234.eml"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		uid = 77;
		CU_ASSERT_FALSE(mail_msg_name_parse(bad[i], &uid));
		CU_ASSERT_EQUAL(uid, 77);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("mail_msg_name", NULL, NULL);
	TEST_ADD(s, test_msg_names);
	return test_run_all();
}

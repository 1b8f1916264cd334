/* Tests for net/sasl.c with the vectors of RFC 4616, RFC 2195 and RFC 7628. */
#include "net/sasl.h"
#include "net/error.h"
#include "tests/test-util.h"

#include <string.h>

static NetSasl *new_ok(const char *mech, const char *user, const char *secret)
{
	GError *error = NULL;
	NetSasl *sasl = net_sasl_new(mech, user, secret, "server.example.com", 143, &error);
	CU_ASSERT_PTR_NULL(error);
	g_clear_error(&error);
	return sasl;
}

static void check_bytes(GBytes *got, const void *want, gsize want_len)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	gsize len = 0;
	const void *data = g_bytes_get_data(got, &len);
	CU_ASSERT_EQUAL(len, want_len);
	if (len == want_len && len > 0)
		CU_ASSERT_EQUAL(memcmp(data, want, len), 0);
}

static void check_base64(GBytes *got, const char *want_b64)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	gsize len = 0;
	const guchar *data = g_bytes_get_data(got, &len);
	g_autofree char *b64 = g_base64_encode(data, len);
	CU_ASSERT_STRING_EQUAL(b64, want_b64);
}

static void check_step_fails(NetSasl *sasl, GBytes *challenge)
{
	GError *error = NULL;
	GBytes *resp = net_sasl_step(sasl, challenge, &error);
	CU_ASSERT_PTR_NULL(resp);
	if (resp)
		g_bytes_unref(resp);
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
}

static void test_plain(void)
{
	NetSasl *sasl = new_ok("PLAIN", "tim", "tanstaaflthey");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	CU_ASSERT_TRUE(net_sasl_has_initial(sasl));
	g_autoptr(GBytes) r = net_sasl_step(sasl, NULL, NULL);
	check_bytes(r, "\0tim\0tanstaaflthey", 18);
	check_base64(r, "AHRpbQB0YW5zdGFhZmx0aGV5"); /* RFC 4616 section 4 */
	check_step_fails(sasl, NULL);
	net_sasl_free(sasl);
}

static void test_login(void)
{
	NetSasl *sasl = new_ok("LOGIN", "alice", "secret");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	CU_ASSERT_FALSE(net_sasl_has_initial(sasl));
	g_autoptr(GBytes) c1 = g_bytes_new_static("Username:", 9);
	g_autoptr(GBytes) c2 = g_bytes_new_static("Password:", 9);
	g_autoptr(GBytes) r1 = net_sasl_step(sasl, c1, NULL);
	check_bytes(r1, "alice", 5);
	g_autoptr(GBytes) r2 = net_sasl_step(sasl, c2, NULL);
	check_bytes(r2, "secret", 6);
	check_step_fails(sasl, c2);
	net_sasl_free(sasl);
}

static void test_cram_md5(void)
{
	/* RFC 2195 section 2 example (its shared secret is "tanstaaftanstaaf") */
	NetSasl *sasl = new_ok("CRAM-MD5", "tim", "tanstaaftanstaaf");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	CU_ASSERT_FALSE(net_sasl_has_initial(sasl));
	const char *ch = "<1896.697170952@postoffice.reston.mci.net>";
	g_autoptr(GBytes) challenge = g_bytes_new_static(ch, strlen(ch));
	g_autoptr(GBytes) r = net_sasl_step(sasl, challenge, NULL);
	const char *want = "tim b913a602c7eda7a495b4e6e7334d3890";
	check_bytes(r, want, strlen(want));
	check_base64(r, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	check_step_fails(sasl, challenge);
	net_sasl_free(sasl);

	/* another key, digest from `openssl dgst -md5 -hmac tanstaaflthey` */
	sasl = new_ok("CRAM-MD5", "tim", "tanstaaflthey");
	g_autoptr(GBytes) r3 = net_sasl_step(sasl, challenge, NULL);
	want = "tim 89230e3ece2adcc3b70d217f7f41dd67";
	check_bytes(r3, want, strlen(want));
	net_sasl_free(sasl);

	/* no challenge, no response */
	sasl = new_ok("CRAM-MD5", "tim", "x");
	g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
	check_step_fails(sasl, empty);
	net_sasl_free(sasl);
}

static void test_xoauth2(void)
{
	NetSasl *sasl = new_ok("XOAUTH2", "someuser@example.com",
			       "ya29.vF9dft4qmTc2Nvb3RlckBhdGF2aXN0YS5jb20CgYTg");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	CU_ASSERT_TRUE(net_sasl_has_initial(sasl));
	g_autoptr(GBytes) r = net_sasl_step(sasl, NULL, NULL);
	const char *want = "user=someuser@example.com\x01"
			   "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdGF2aXN0YS5jb20CgYTg\x01\x01";
	check_bytes(r, want, strlen(want));
	/* an error JSON challenge gets an empty response */
	const char *json = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.google.com/\"}";
	g_autoptr(GBytes) err = g_bytes_new_static(json, strlen(json));
	g_autoptr(GBytes) r2 = net_sasl_step(sasl, err, NULL);
	check_bytes(r2, "", 0);
	check_step_fails(sasl, err);
	net_sasl_free(sasl);
}

static void test_oauthbearer(void)
{
	/* RFC 7628 section 4.1 */
	NetSasl *sasl =
	    new_ok("OAUTHBEARER", "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	CU_ASSERT_TRUE(net_sasl_has_initial(sasl));
	g_autoptr(GBytes) r = net_sasl_step(sasl, NULL, NULL);
	check_base64(r, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9"
			"MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZ"
			"Mjl0Q2c9PQEB");
	/* RFC 7628 section 4.3: after the error challenge the client sends %x01 */
	g_autofree guchar *json = NULL;
	gsize json_len = 0;
	json = g_base64_decode("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=", &json_len);
	g_autoptr(GBytes) err = g_bytes_new(json, json_len);
	g_autoptr(GBytes) r2 = net_sasl_step(sasl, err, NULL);
	check_base64(r2, "AQ==");
	check_step_fails(sasl, err);
	net_sasl_free(sasl);
}

static void test_oauthbearer_escaping(void)
{
	GError *error = NULL;
	NetSasl *sasl = net_sasl_new("OAUTHBEARER", "a,b=c", "T", "h", 993, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sasl);
	g_autoptr(GBytes) r = net_sasl_step(sasl, NULL, NULL);
	const char *want = "n,a=a=2Cb=3Dc,\x01host=h\x01port=993\x01"
			   "auth=Bearer T\x01\x01";
	check_bytes(r, want, strlen(want));
	net_sasl_free(sasl);
}

static void test_unknown_and_invalid(void)
{
	GError *error = NULL;
	CU_ASSERT_PTR_NULL(net_sasl_new("SCRAM-SHA-1", "u", "p", NULL, 0, &error));
	CU_ASSERT_TRUE(g_error_matches(error, NET_ERROR, NET_ERROR_INVALID));
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(net_sasl_new("XOAUTH2", "u\x01x", "t", NULL, 0, &error));
	CU_ASSERT_TRUE(g_error_matches(error, NET_ERROR, NET_ERROR_INVALID));
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(net_sasl_new("PLAIN", "u", NULL, NULL, 0, &error));
	CU_ASSERT_TRUE(g_error_matches(error, NET_ERROR, NET_ERROR_INVALID));
	g_clear_error(&error);
	net_sasl_free(NULL);
}

static void test_mechanism_list(void)
{
	const char *const *m = net_sasl_mechanisms();
	CU_ASSERT_TRUE(g_strv_contains(m, "PLAIN"));
	CU_ASSERT_TRUE(g_strv_contains(m, "LOGIN"));
	CU_ASSERT_TRUE(g_strv_contains(m, "CRAM-MD5"));
	CU_ASSERT_TRUE(g_strv_contains(m, "XOAUTH2"));
	CU_ASSERT_TRUE(g_strv_contains(m, "OAUTHBEARER"));
	for (gsize i = 0; m[i]; i++) {
		NetSasl *sasl = new_ok(m[i], "u", "p");
		CU_ASSERT_PTR_NOT_NULL(sasl);
		net_sasl_free(sasl);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return EXIT_FAILURE;
	CU_pSuite s = CU_add_suite("sasl", NULL, NULL);
	TEST_ADD(s, test_plain);
	TEST_ADD(s, test_login);
	TEST_ADD(s, test_cram_md5);
	TEST_ADD(s, test_xoauth2);
	TEST_ADD(s, test_oauthbearer);
	TEST_ADD(s, test_oauthbearer_escaping);
	TEST_ADD(s, test_unknown_and_invalid);
	TEST_ADD(s, test_mechanism_list);
	return test_run_all();
}

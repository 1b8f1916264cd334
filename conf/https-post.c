/* imapfs — an HTTPS form POST with libcurl (see https-post.h). */
#include "conf/https-post.h"

#include <curl/curl.h>
#include <string.h>

#include "imap/error.h"

#define DEFAULT_CONNECT_MS 15000
#define DEFAULT_STALL_MS 30000

void conf_https_body_free(GString *body)
{
	if (!body)
		return;
	explicit_bzero(body->str, body->len);
	g_string_free(body, TRUE);
}

static size_t take_body(char *data, size_t size, size_t n, void *user)
{
	GString *body = user;

	if (body->len + size * n > CONF_HTTPS_MAX_BODY)
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	g_string_append_len(body, data, (gssize)(size * n));
	return size * n;
}

/* GIO's socks5:// lets the proxy resolve the name; curl calls that socks5h://. */
static char *curl_proxy(const char *proxy)
{
	if (g_str_has_prefix(proxy, "socks5://"))
		return g_strconcat("socks5h://", proxy + strlen("socks5://"), NULL);
	return g_strdup(proxy);
}

static void set_tls(CURL *curl, const NetConfig *net)
{
	if (net->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, net->ca_file);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, net->tls_verify_cert ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST,
			 net->tls_verify_cert && net->tls_verify_hostname ? 2L : 0L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
			 net->tls_min == NET_TLS_1_3 ? CURL_SSLVERSION_TLSv1_3
						     : CURL_SSLVERSION_TLSv1_2);
}

static void set_timeouts(CURL *curl, const NetConfig *net)
{
	guint stall_ms = net->io_timeout_ms ? net->io_timeout_ms : DEFAULT_STALL_MS;

	curl_easy_setopt(
	    curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(net->connect_timeout_ms ? net->connect_timeout_ms : DEFAULT_CONNECT_MS));
	/* A stall: less than a byte a second for the I/O timeout. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)MAX(1, (stall_ms + 999) / 1000));
}

static int code_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return IMAP_ERROR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return IMAP_ERROR_TLS;
	default:
		return IMAP_ERROR_NETWORK;
	}
}

static CURL *new_request(const char *url, const NetConfig *net, const char *form,
			 struct curl_slist *headers, GString *body, char *errbuf)
{
	CURL *curl = curl_easy_init();
	g_autofree char *proxy = net->proxy ? curl_proxy(net->proxy) : NULL;

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* FUSE threads ask too */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* "" turns off $https_proxy & co.: a proxy is chosen by name, as for IMAP. */
	curl_easy_setopt(curl, CURLOPT_PROXY, proxy ? proxy : "");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	set_tls(curl, net);
	set_timeouts(curl, net);
	if (proxy)
		explicit_bzero(proxy, strlen(proxy)); /* curl keeps its own copy */
	return curl;
}

gboolean conf_https_post(const char *url, const NetConfig *net, const char *form, long *status,
			 GString **body, GError **error)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
	GString *answer = g_string_new(NULL);
	CURL *curl = new_request(url, net, form, headers, answer, errbuf);
	CURLcode rc = curl ? curl_easy_perform(curl) : CURLE_FAILED_INIT;

	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	*body = NULL;
	if (rc != CURLE_OK) {
		g_set_error(error, IMAP_ERROR, code_of(rc), "%s",
			    rc == CURLE_WRITE_ERROR ? "the answer is larger than 64 KiB"
			    : *errbuf		    ? errbuf
						    : curl_easy_strerror(rc));
		conf_https_body_free(answer);
		return FALSE;
	}
	*body = answer;
	return TRUE;
}

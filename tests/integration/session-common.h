/* imapfs tests — configuration and trace helpers shared by the session test programs.
 * Header-only (static inline) so each program links only what it uses. */
#pragma once

#include "imap/session.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <string.h>

static inline const char *env(const char *name)
{
	const char *v = g_getenv(name);

	if (!v)
		g_error("%s is not set: run this test through tests/harness/with-dovecot", name);
	return v;
}

/* ---- configuration and trace ---- */

static GPtrArray *trace_lines G_GNUC_UNUSED;

static inline void on_trace(const char *line, gpointer data)
{
	g_ptr_array_add(trace_lines, g_strdup(line));
	if (g_getenv("IMAPFS_TEST_TRACE"))
		fprintf(stderr, "%s\n", line);
}

static inline void make_config(ImapConfig *cfg, NetSecurity sec, const char *mech)
{
	imap_config_init(cfg);
	cfg->net.host = g_strdup(env("IMAPFS_TEST_HOST"));
	cfg->net.security = sec;
	cfg->net.port = (guint16)atoi(sec == NET_SECURITY_TLS ? env("IMAPFS_TEST_TLS_PORT")
							      : env("IMAPFS_TEST_PORT"));
	if (g_getenv("IMAPFS_TEST_CA"))
		cfg->net.ca_file = g_strdup(g_getenv("IMAPFS_TEST_CA"));
	cfg->net.user = g_strdup(env("IMAPFS_TEST_USER"));
	cfg->net.password = g_strdup(env("IMAPFS_TEST_PASSWORD"));
	cfg->net.allow_plaintext_auth = sec == NET_SECURITY_PLAIN;
	cfg->net.io_timeout_ms = 20000;
	cfg->net.greeting_timeout_ms = 5000;
	cfg->spool_dir = g_strdup(env("IMAPFS_TEST_DIR"));
	if (mech)
		cfg->net.mechanisms = g_strsplit(mech, " ", -1);
	g_ptr_array_set_size(trace_lines, 0);
	cfg->net.trace = on_trace;
}

static inline ImapSession *open_default(void)
{
	ImapConfig cfg;
	GError *err = NULL;
	ImapSession *s;

	make_config(&cfg, NET_SECURITY_STARTTLS, NULL);
	s = imap_session_open(&cfg, &err);
	if (!s)
		fprintf(stderr, "open: %s\n", err->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	imap_config_clear(&cfg);
	return s;
}

static inline gboolean trace_contains(const char *needle)
{
	for (guint i = 0; i < trace_lines->len; i++) {
		if (strstr(g_ptr_array_index(trace_lines, i), needle))
			return TRUE;
	}
	return FALSE;
}

/* Did a line we sent contain needle (other than as the "<secret>" placeholder)? */
static inline gboolean sent_contains(const char *needle)
{
	for (guint i = 0; i < trace_lines->len; i++) {
		const char *line = g_ptr_array_index(trace_lines, i);
		if (!g_str_has_prefix(line, "C: "))
			continue;
		for (const char *p = strstr(line, needle); p; p = strstr(p + 1, needle)) {
			if (p == line || p[-1] != '<')
				return TRUE;
		}
	}
	return FALSE;
}


/* The start and end of each session test program's main(). */
static inline CU_pSuite session_suite(const char *which)
{
	trace_lines = g_ptr_array_new_with_free_func(g_free);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return NULL;
	return CU_add_suite(which, NULL, NULL);
}

static inline int session_run(void)
{
	int rc = test_run_all();

	g_ptr_array_unref(trace_lines);
	return rc;
}

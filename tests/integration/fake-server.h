/* imapfs tests — a scripted IMAP server on loopback, for what Dovecot will not do on
 * request, and for counting exactly what a client sends: it answers each line the client
 * sends with the next reply of its script (every %s becomes the line's tag), and stops
 * answering when the script ends, so a command the test did not expect times out.
 * Header-only (static inline) so each program links only what it uses; the configuration
 * comes from tests/harness/with-dovecot's environment (session-common.h). */
#pragma once

#include "tests/integration/session-common.h"
#include "imap/pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
	int listen_fd;
	guint16 port;
	const char *greeting;
	const char *const *replies; /* one per client line; every %s becomes its tag */
	/* NULL-terminated: the replies of the connections after the first, which then
	 * closes as soon as its replies are out. */
	const char *const *const *later;
	GThread *thread;
} FakeServer;

/* One connection: the greeting, then REPLIES; FALSE when the client went away. */
static inline gboolean fake_serve(int fd, const char *greeting, const char *const *replies)
{
	char line[4096];

	if (write(fd, greeting, strlen(greeting)) < 0)
		return FALSE;
	for (const char *const *r = replies; r && *r; r++) {
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
	return TRUE;
}

static inline gpointer fake_run(gpointer data)
{
	FakeServer *f = data;

	for (guint i = 0;; i++) {
		gboolean last = !f->later || !f->later[i];
		int fd = accept(f->listen_fd, NULL, NULL);

		if (fd < 0)
			return NULL;
		/* Hold the last connection open a moment for timeout tests, then close. */
		if (fake_serve(fd, f->greeting, i ? f->later[i - 1] : f->replies) && last)
			g_usleep(G_USEC_PER_SEC);
		close(fd);
		if (last)
			return NULL;
	}
}

/* LATER (may be NULL): the replies of further connections, as in FakeServer. */
static inline void fake_start_many(FakeServer *f, const char *greeting, const char *const *replies,
				   const char *const *const *later)
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
	f->later = later;
	f->thread = g_thread_new("fake-imap", fake_run, f);
}

static inline void fake_start(FakeServer *f, const char *greeting, const char *const *replies)
{
	fake_start_many(f, greeting, replies, NULL);
}

static inline void fake_stop(FakeServer *f)
{
	/* A connection the client never made (a retry that did not happen) must not keep
	 * the server waiting in accept(). */
	shutdown(f->listen_fd, SHUT_RDWR);
	g_thread_join(f->thread);
	close(f->listen_fd);
}

static inline ImapSession *fake_open(FakeServer *f, NetSecurity sec, GError **err)
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

/* A pool of one on the fake server; its sessions are its own connections. */
static inline ImapPool *fake_pool(FakeServer *f)
{
	ImapConfig cfg;
	ImapPool *p;

	make_config(&cfg, NET_SECURITY_PLAIN, NULL);
	cfg.net.port = f->port;
	cfg.net.io_timeout_ms = 700;
	p = imap_pool_new(&cfg, 1, NULL);
	imap_config_clear(&cfg);
	return p;
}

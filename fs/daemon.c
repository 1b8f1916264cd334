/* imapfs fs — fork before any thread, report the child's outcome (see daemon.h). */
#include "fs/daemon.h"
#include "util/fd-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

guint fs_daemon_thread_count(void)
{
	g_autofree char *status = NULL;
	const char *line;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return 0;
	line = strstr(status, "\nThreads:");
	return line ? (guint)strtoul(line + strlen("\nThreads:"), NULL, 10) : 0;
}

/* The parent: a byte means mounted; EOF means the child exited (or crashed) first. */
static _Noreturn void wait_for_child(pid_t pid, int fd)
{
	char byte;
	ssize_t n;
	int status;

	n = util_read_full(fd, &byte, 1, -1);
	if (n == 1)
		_exit(0);
	if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0)
		_exit(1);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(1);
}

int fs_daemon_start(gboolean foreground)
{
	guint threads = fs_daemon_thread_count();
	int fds[2];
	pid_t pid;

	if (foreground)
		return -1;
	/* Everything before this point must stay single-threaded (see daemon.h). */
	if (threads > 1)
		g_printerr("imapfs: warning: %u threads before going to the background\n", threads);
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		g_printerr("imapfs: cannot go to the background: %s\n", g_strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_child(pid, fds[0]);
	}
	close(fds[0]);
	/* Not inherited by a tunnel or password command: its EOF must mean our exit. */
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return fds[1];
}

void fs_daemon_ready(int *ready_fd)
{
	char byte = 0;
	int null_fd;

	if (chdir("/") != 0)
		g_debug("imapfs: chdir /: %s", g_strerror(errno));
	if (*ready_fd < 0)
		return; /* foreground */
	setsid();
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
		if (null_fd > STDERR_FILENO)
			close(null_fd);
	}
	if (write(*ready_fd, &byte, 1) != 1)
		g_debug("imapfs: the parent is gone: %s", g_strerror(errno));
	close(*ready_fd);
	*ready_fd = -1;
}

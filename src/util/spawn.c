/*
 * spawn: running another program without a shell, bounded in time (spawn.h).
 */
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"

extern char **environ;

static int spawn_do(char *const argv[], const char *what, const char *input, size_t len,
                    struct buf *capture);

int spawn_run(char *const argv[], const char *what)
{
	return spawn_do(argv, what, NULL, 0, NULL);
}

int spawn_run_input(char *const argv[], const char *what, const char *input, size_t len)
{
	return spawn_do(argv, what, input, len, NULL);
}

int spawn_run_capture(char *const argv[], const char *what, struct buf *out)
{
	return spawn_do(argv, what, NULL, 0, out);
}

/* A pipe holding input, its write end closed: the child's stdin.  The read
 * end, or -1. */
static int input_pipe(const char *input, size_t len)
{
	int fds[2];

	if (len > SPAWN_INPUT_MAX || pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	if (write(fds[1], input, len) != (ssize_t)len) {
		close(fds[0]);
		fds[0] = -1;
	}
	close(fds[1]);
	return fds[0];
}

static int spawn_do(char *const argv[], const char *what, const char *input, size_t len,
                    struct buf *capture)
{
	posix_spawn_file_actions_t fa;
	char out[SPAWN_OUTPUT_MAX] = "", safe[512];
	int pipefd[2], status = 0, rc, timed_out = 0, in = -1, too_much = 0;
	size_t got = 0;
	time_t deadline = time(NULL) + SPAWN_TIMEOUT;
	pid_t pid;
	ssize_t n;

	if (input != NULL && (in = input_pipe(input, len)) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		if (in >= 0)
			close(in);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	/* The command gets nothing of ours: no sockets to the CA, no files. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (in >= 0)
		close(in);
	if (rc != 0) {
		close(pipefd[0]);
		log_error("command_failed", "what=%s command=%s reason=\"%s\"", what, argv[0],
		          strerror(rc));
		return -1;
	}
	/* Keep the first bytes for the log, drain the rest, never wait forever. */
	for (;;) {
		struct pollfd pfd = {pipefd[0], POLLIN, 0};
		char sink[512];
		time_t now = time(NULL);
		if (now >= deadline) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now) * 1000) == 0)
			continue;
		n = read(pipefd[0], got < sizeof(out) - 1 ? out + got : sink,
		         got < sizeof(out) - 1 ? sizeof(out) - 1 - got : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (capture != NULL &&
		    buf_append(capture, got < sizeof(out) - 1 ? out + got : sink, (size_t)n) != 0)
			too_much = 1;
		if (got < sizeof(out) - 1)
			got += (size_t)n;
	}
	close(pipefd[0]);
	out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		log_error("command_failed",
		          "what=%s command=%s reason=\"no exit after %d s, killed\"", what, argv[0],
		          SPAWN_TIMEOUT);
		return -1;
	}
	if (too_much) {
		log_error("command_failed", "what=%s command=%s reason=\"output over %zu bytes\"",
		          what, argv[0], capture->limit);
		return -1;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status)
	                       : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (rc == 0)
		log_info("command_ran", "what=%s command=%s status=0 output=\"%s\"", what, argv[0],
		         log_safe(safe, sizeof(safe), out));
	else
		log_warn("command_ran", "what=%s command=%s status=%d output=\"%s\"", what, argv[0],
		         rc, log_safe(safe, sizeof(safe), out));
	return rc;
}

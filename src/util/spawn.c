/*
 * spawn: running another program without a shell, bounded in time (spawn.h).
 */
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"

extern char **environ;

/* The daemon's end of the socket pair to the helper, -1 without one; the
 * mutex keeps one request and its answer together (issuance threads run
 * dns-01 hooks while the loop deploys). */
static int helper_fd = -1, helper_gone;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;

/* A request: what, then argc, input length, then argv's strings and the
 * input, back to back. */
struct helper_header {
	char what[32];
	uint32_t argc;
	uint32_t input_len;
};

static int spawn_local(char *const argv[], const char *what, const char *input, size_t len,
                       struct buf *capture);
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

int spawn_helper_active(void)
{
	return helper_fd >= 0;
}

int spawn_helper_lost(void)
{
	int gone;

	pthread_mutex_lock(&helper_lock);
	gone = helper_gone;
	pthread_mutex_unlock(&helper_lock);
	return gone;
}

/* Daemon side: send the command, wait for its status. */
static int helper_request(char *const argv[], const char *what, const char *input, size_t len)
{
	char msg[SPAWN_REQUEST_MAX];
	struct helper_header h;
	size_t off = sizeof(h), i;
	int status = -1, gone = 1;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	snprintf(h.what, sizeof(h.what), "%s", what);
	for (i = 0; argv[i] != NULL; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (i == SPAWN_ARGS_MAX || off + l > sizeof(msg))
			goto too_long;
		memcpy(msg + off, argv[i], l);
		off += l;
	}
	h.argc = (uint32_t)i;
	h.input_len = (uint32_t)len;
	if (off + len > sizeof(msg))
		goto too_long;
	if (len > 0)
		memcpy(msg + off, input, len);
	off += len;
	memcpy(msg, &h, sizeof(h));
	pthread_mutex_lock(&helper_lock);
	if (send(helper_fd, msg, off, MSG_NOSIGNAL) == (ssize_t)off) {
		do
			n = recv(helper_fd, &status, sizeof(status), 0);
		while (n < 0 && errno == EINTR);
		gone = n != (ssize_t)sizeof(status);
	}
	if (gone)
		helper_gone = 1;
	pthread_mutex_unlock(&helper_lock);
	if (gone) {
		status = -1;
		log_error("command_failed", "what=%s command=%s reason=\"spawn helper gone\"", what,
		          argv[0]);
	}
	return status; /* -1 also when the helper refused it (it logged why) */
too_long:
	log_error("command_failed", "what=%s command=%s reason=\"command too long for the helper\"",
	          what, argv[0]);
	return -1;
}

/* Helper side: one request from msg (n bytes) run, its status (-1: refused
 * or malformed). */
static int helper_serve_one(char *msg, size_t n, spawn_allowed_fn allowed, void *cls)
{
	struct helper_header h;
	char *argv[SPAWN_ARGS_MAX + 1], *p = msg + sizeof(h), *end = msg + n, safe[256];
	uint32_t i;

	if (n < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	h.what[sizeof(h.what) - 1] = '\0';
	if (h.argc == 0 || h.argc > SPAWN_ARGS_MAX || h.input_len > (size_t)(end - p))
		return -1;
	for (i = 0; i < h.argc; i++) {
		char *nul = memchr(p, '\0', (size_t)(end - p) - h.input_len);
		if (nul == NULL)
			return -1;
		argv[i] = p;
		p = nul + 1;
	}
	argv[h.argc] = NULL;
	if ((size_t)(end - p) != h.input_len)
		return -1;
	if (!allowed(argv, h.what, cls)) {
		log_error("command_refused",
		          "what=%s command=%s reason=\"not in the configuration\"",
		          log_safe(safe, sizeof(safe), h.what), argv[0]);
		return -1;
	}
	return spawn_local(argv, h.what, h.input_len ? p : NULL, h.input_len, NULL);
}

static void helper_ignore(int sig)
{
	(void)sig; /* the daemon decides when to stop; its end of the socket tells */
}

int spawn_helper_start(spawn_allowed_fn allowed, void *cls)
{
	static char msg[SPAWN_REQUEST_MAX];
	struct sigaction sa;
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_error("spawn_helper_failed", "reason=\"%s\"", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_error("spawn_helper_failed", "reason=\"%s\"", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid > 0) {
		close(sv[1]);
		helper_fd = sv[0];
		log_info("spawn_helper_started", "pid=%d", (int)pid);
		return 0;
	}
	close(sv[0]);
	/* Gone with the daemon, even when it is killed outright. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* A handler, not SIG_IGN: the commands it runs get the default back. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = helper_ignore;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		ssize_t n = recv(sv[1], msg, sizeof(msg), 0);
		int status;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		status = helper_serve_one(msg, (size_t)n, allowed, cls);
		if (send(sv[1], &status, sizeof(status), MSG_NOSIGNAL) != (ssize_t)sizeof(status))
			_exit(0);
	}
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
	/* What is captured is the caller's answer (init, never sandboxed): run
	 * here; everything else through the helper when there is one. */
	if (helper_fd >= 0 && capture == NULL)
		return helper_request(argv, what, input, len);
	return spawn_local(argv, what, input, len, capture);
}

/* Run argv here (the helper, or a daemon without one); with capture, what
 * it writes is appended there too. */
static int spawn_local(char *const argv[], const char *what, const char *input, size_t len,
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

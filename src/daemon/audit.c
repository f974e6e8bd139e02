/*
 * daemon/audit: the periodic domain audit, run through the audit library
 * (audit/audit.h) in a forked child of the loop.
 *
 * Why a child: the audit parses whatever any RDAP or DNS server sends and
 * holds a few megabytes per thousand domains for minutes.  In a child, a
 * crash or a leak ends with it, the daemon's heap does not grow, and
 * stopping it (shutdown, daemon_audit_stop) is a SIGTERM.  The child audits
 * the configuration the daemon runs (d->conf, its copy-on-write snapshot),
 * writes the findings to a pipe as JSON Lines (audit_finding_json_new(), the
 * lines of `holdfast audit --json`) and exits with the result (util/result.h,
 * the numbers `holdfast audit` exits with).  The loop drains the pipe, and
 * once the child has exited counts the findings by severity (d->audit_counts,
 * for the metrics and the state file), keeps them in STORE/state/audit.jsonl
 * and logs audit_done.
 *
 * Why fork() without exec is safe here.  After fork() only the forking
 * thread exists in the child; a lock that another thread held at that
 * instant stays held for ever, and POSIX promises only async-signal-safe
 * functions in such a child.  So the child must not need a lock that another
 * thread could hold:
 *   - the fork happens on the loop thread, which holds no lock of its own
 *     there;
 *   - it happens only while no issuance thread runs (d->issuing == 0: they
 *     are joined before being uncounted) and no staple fetch is in flight
 *     (d->fetches == 0).  The issuance threads are the only ones besides the
 *     loop that use OpenSSL and libcurl, and a fetch is what gives libcurl's
 *     threaded resolver a thread inside getaddrinfo(); neither OpenSSL 3
 *     (provider and method stores, error and random state) nor libcurl nor
 *     the resolver reinitialise their locks in a child, and the audit uses
 *     all three.  Otherwise the audit waits for the next quiet tick (the
 *     schedule is hours; issuance and stapling come first);
 *   - the threads left are libmicrohttpd's (metrics, http-01, ocsp_listen):
 *     they take their own mutexes, which the child never touches, malloc's
 *     and stdio's, which glibc's fork() takes before forking and resets in
 *     the child (its atfork handling of the malloc arenas and of every FILE
 *     lock; musl does the same for malloc), and syslog's only when logging at
 *     debug level (ocsp_answered): the one residual risk, a child that hangs
 *     in its first log line if a debug line was being sent at the instant of
 *     the fork;
 *   - everything the audit itself uses it creates in the child (c-ares
 *     channels, a curl multi handle, the Public Suffix List): no object of
 *     the parent's is used but d->conf, read-only.
 * A dedicated thread would avoid the question but not the rest: the audit's
 * memory would stay in the daemon, a crash in a parser would take it down,
 * and stopping an audit in the middle would need a cancellation path through
 * every client.
 *
 * The child also undoes what the daemon set up for itself and an exec'd
 * child never had: the signal handlers (SIGTERM must end it, as it ended
 * the `holdfast audit` that used to run here; SIGPIPE stays ignored), the
 * descriptors (listening sockets, connections and files are closed, so a
 * reload can bind its ports again and a peer sees its connection end when
 * the daemon closes it; syslog's socket is closed first and the child opens
 * its own), and the log threshold (warnings, as `holdfast audit` without
 * -v).  Its log lines go where the daemon's go (stderr, or syslog with
 * `log = syslog`, where the exec'd command wrote them to stderr).  It ends with _exit(): no atexit
 * handler of the daemon's libraries runs, no stdio buffer of the parent's is flushed a second time.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "audit/audit.h"
#include "daemon/internal.h"
#include "util/atomic.h"
#include "util/log.h"

#define AUDIT_OUTPUT_MAX (16 * 1024 * 1024)

const char *const daemon_audit_severities[5] = {"OK", "INFO", "WARNING", "UNKNOWN", "CRITICAL"};

/* Write all of data (len bytes) to fd.  0, or -1 (the reader went away). */
static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Close every descriptor from 3 up. */
static void close_from_3(void)
{
	struct rlimit rl;
	int fd, max = 1024;

	if (close_range(3, ~0U, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)(1 << 20))
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		(void)close(fd);
}

/* The child: the fork-time reset described above, the audit, its JSON Lines
 * on out_fd; never returns. */
static void __attribute__((noreturn)) audit_child(const struct daemon *d, int out_fd)
{
	static const int reset[] = {SIGTERM, SIGINT, SIGHUP};
	struct audit_report report;
	struct audit_options opt;
	struct sigaction sa;
	sigset_t none;
	char msg[AUDIT_ERROR_MAX + 32];
	enum result res;
	size_t i;
	int fd, w;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &sa, NULL);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	if (dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(RESULT_UNKNOWN);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		(void)dup2(fd, STDIN_FILENO);
		(void)close(fd);
	}
	closelog();
	close_from_3();
	if (d->conf->log_syslog)
		log_use_syslog(); /* a socket of its own, the daemon's ident */
	log_set_level(LOG_LEVEL_WARN);

	audit_options_default(&opt);
	opt.conf = d->conf;
	res = audit_run(&opt, &report);
	if (report.aborted) {
		w = snprintf(msg, sizeof(msg), "holdfast audit: %s\n", report.error);
		if (report.error[0] != '\0' && w > 0)
			(void)write_all(STDERR_FILENO, msg,
			                (size_t)w < sizeof(msg) ? (size_t)w : sizeof(msg) - 1);
		_exit(RESULT_UNKNOWN);
	}
	for (i = 0; i < report.count; i++) {
		char *line = audit_finding_json_new(&report, i);
		if (line == NULL || write_all(STDOUT_FILENO, line, strlen(line)) != 0 ||
		    write_all(STDOUT_FILENO, "\n", 1) != 0)
			res = RESULT_UNKNOWN; /* as `holdfast audit --json` exits */
		free(line);
	}
	audit_report_free(&report);
	_exit((int)res);
}

void daemon_audit_start(struct daemon *d)
{
	sigset_t block, saved;
	int pipefd[2];
	pid_t pid;

	if (d->issuing > 0 || d->fetches > 0)
		return; /* not now: see the header; the loop asks again next tick */
	d->audit_next = time(NULL) + d->conf->audit_interval;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	/* A signal between fork() and the child's reset would run the
	 * daemon's handler in the child: hold them until then. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &saved);
	pid = fork();
	if (pid == 0)
		audit_child(d, pipefd[1]);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return;
	}
	d->audit_pid = pid;
	d->audit_fd = pipefd[0];
	fcntl(d->audit_fd, F_SETFL, O_NONBLOCK);
	buf_init(&d->audit_out, AUDIT_OUTPUT_MAX);
	log_info("audit_started", "pid=%d", (int)d->audit_pid);
}

/* Read what the audit wrote so far; at end of file close the pipe, so that
 * the loop stops polling it (it then looks again within DAEMON_WAIT_MAX_MS
 * whether the child has exited, instead of spinning on a readable EOF). */
static void audit_drain(struct daemon *d)
{
	char chunk[65536];
	ssize_t n;

	if (d->audit_fd < 0)
		return;
	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n); /* past the cap: truncated */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		close(d->audit_fd);
		d->audit_fd = -1;
	}
}

/* Drain the audit's output; when it has exited, count its findings. */
void daemon_audit_poll(struct daemon *d)
{
	const char *p, *end;
	int status;
	size_t i;

	audit_drain(d);
	if (waitpid(d->audit_pid, &status, WNOHANG) != d->audit_pid)
		return;
	audit_drain(d);
	if (d->audit_fd >= 0)
		close(d->audit_fd); /* a grandchild may still hold the pipe open */
	d->audit_fd = -1;
	d->audit_pid = 0;
	memset(d->audit_counts, 0, sizeof(d->audit_counts));
	p = (const char *)d->audit_out.data;
	end = p ? p + d->audit_out.len : NULL;
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		json_t *f = json_loadb(p, (size_t)((eol ? eol : end) - p), 0, NULL);
		const char *sev = json_string_value(json_object_get(f, "severity"));
		for (i = 0; sev != NULL && i < 5; i++)
			if (strcmp(sev, daemon_audit_severities[i]) == 0)
				d->audit_counts[i]++;
		json_decref(f);
		p = eol ? eol + 1 : end;
	}
	d->audit_done = 1;
	if (d->audit_out.data != NULL)
		store_state_save(d->store, STORE_STATE_AUDIT_LOG, d->audit_out.data,
		                 d->audit_out.len);
	buf_free(&d->audit_out);
	if (d->audit_counts[4] > 0)
		log_error("audit_done", "critical=%lu unknown=%lu warning=%lu exit=%d",
		          d->audit_counts[4], d->audit_counts[3], d->audit_counts[2],
		          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		log_info("audit_done", "critical=0 unknown=%lu warning=%lu exit=%d",
		         d->audit_counts[3], d->audit_counts[2],
		         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	d->dirty = 1;
}

void daemon_audit_stop(struct daemon *d)
{
	if (d->audit_pid > 0) {
		kill(d->audit_pid, SIGTERM);
		waitpid(d->audit_pid, NULL, 0);
		if (d->audit_fd >= 0)
			close(d->audit_fd);
		d->audit_fd = -1;
		buf_free(&d->audit_out);
		d->audit_pid = 0;
	}
}

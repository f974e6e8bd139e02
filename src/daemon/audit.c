/*
 * daemon/audit: the periodic domain audit, run as a child process.
 */

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "daemon/internal.h"
#include "util/atomic.h"
#include "util/log.h"

#define AUDIT_OUTPUT_MAX (16 * 1024 * 1024)

extern char **environ;

const char *const daemon_audit_severities[5] = {"OK", "INFO", "WARNING", "UNKNOWN", "CRITICAL"};

void daemon_audit_start(struct daemon *d)
{
	posix_spawn_file_actions_t fa;
	char exe[PATH_MAX];
	char *argv[] = {exe, "audit", "-c", (char *)d->conf_path, "--json", NULL};
	int pipefd[2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	d->audit_next = time(NULL) + d->conf->audit_interval;
	if (n <= 0 || pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	exe[n] = '\0';
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (posix_spawn(&d->audit_pid, exe, &fa, NULL, argv, environ) != 0) {
		d->audit_pid = 0;
		close(pipefd[0]);
	} else {
		d->audit_fd = pipefd[0];
		fcntl(d->audit_fd, F_SETFL, O_NONBLOCK);
		buf_init(&d->audit_out, AUDIT_OUTPUT_MAX);
		log_info("audit_started", "pid=%d", (int)d->audit_pid);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
}

/* Drain the audit's output; when it has exited, count its findings. */
void daemon_audit_poll(struct daemon *d)
{
	char chunk[65536];
	const char *p, *end;
	int status;
	ssize_t n;
	size_t i;

	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n); /* past the cap: truncated */
	if (waitpid(d->audit_pid, &status, WNOHANG) != d->audit_pid)
		return;
	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n);
	close(d->audit_fd);
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
		close(d->audit_fd);
		buf_free(&d->audit_out);
		d->audit_pid = 0;
	}
}

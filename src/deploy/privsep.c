

#include "deploy/privsep.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "deploy/deploy.h"
#include "util/log.h"
#include "util/spawn.h"

struct priv_request {
	int command;
	char cert[128];
	char event[32];
};

static int priv_fd = -1;
static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Root side: run what the configuration file says for one request. */
static int priv_execute(const char *conf_path, const struct priv_request *rq)
{
	char err[CONF_ERROR_MAX];
	struct conf *conf = conf_load(conf_path, err, sizeof(err));
	const struct conf_cert *cert;
	int rc = -1;

	if (conf == NULL) {
		log_error("privsep_refused", "reason=\"configuration unreadable\"");
		return -1;
	}
	cert = conf_cert_find(conf, rq->cert);
	if (cert == NULL) {
		log_error("privsep_refused", "reason=\"unknown certificate\"");
	} else if (rq->command == PRIV_NGINX_RELOAD) {
		rc = spawn_run(conf->nginx_reload.items, "nginx-reload");
	} else if (rq->command == PRIV_APACHE_RELOAD) {
		rc = spawn_run(conf->apache_reload.items, "apache-reload");
	} else if (rq->command == PRIV_DEPLOY_HOOK && cert->deploy_hook != NULL &&
	           (strcmp(rq->event, "start") == 0 || strcmp(rq->event, "staple") == 0 ||
	            strcmp(rq->event, "certificate") == 0 || strcmp(rq->event, "retry") == 0)) {
		char *argv[] = {cert->deploy_hook, (char *)rq->event, cert->name, NULL};
		rc = spawn_run(argv, "deploy-hook");
	} else {
		log_error("privsep_refused", "reason=\"unknown command\"");
	}
	conf_free(conf);
	return rc;
}

static void priv_serve(int fd, const char *conf_path)
{
	struct priv_request rq;
	int status;

	for (;;) {
		ssize_t n = recv(fd, &rq, sizeof(rq), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rq))
			break; /* the child is gone (or spoke nonsense): stop */
		rq.cert[sizeof(rq.cert) - 1] = '\0';
		rq.event[sizeof(rq.event) - 1] = '\0';
		status = priv_execute(conf_path, &rq);
		if (send(fd, &status, sizeof(status), MSG_NOSIGNAL) != (ssize_t)sizeof(status))
			break;
	}
}

int privsep_start(const char *user, const char *conf_path)
{
	struct passwd *pw = getpwnam(user);
	struct sigaction sa;
	int sv[2], status = 0;
	pid_t pid;

	if (pw == NULL) {
		log_error("privsep_failed", "user=%s reason=\"no such user\"", user);
		return -1;
	}
	if (geteuid() != 0) {
		log_warn("privsep_skipped", "user=%s reason=\"not started as root\"", user);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0) {
			log_error("privsep_failed", "user=%s reason=\"%s\"", user, strerror(errno));
			_exit(3);
		}
		if (setuid(0) == 0) {
			log_error("privsep_failed", "user=%s reason=\"root could be regained\"",
			          user);
			_exit(3);
		}
		priv_fd = sv[1];
		log_info("privsep_dropped", "user=%s uid=%d gid=%d", user, (int)pw->pw_uid,
		         (int)pw->pw_gid);
		return 0;
	}
	/* Root side. */
	close(sv[1]);
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	priv_serve(sv[0], conf_path);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
}

int privsep_active(void)
{
	return priv_fd >= 0;
}

int privsep_run(enum privsep_command command, const char *cert_name, const char *event)
{
	struct priv_request rq;
	int status = -1;

	memset(&rq, 0, sizeof(rq));
	rq.command = (int)command;
	snprintf(rq.cert, sizeof(rq.cert), "%s", cert_name);
	snprintf(rq.event, sizeof(rq.event), "%s", event ? event : "");
	if (send(priv_fd, &rq, sizeof(rq), MSG_NOSIGNAL) != (ssize_t)sizeof(rq))
		return -1;
	for (;;) {
		ssize_t n = recv(priv_fd, &status, sizeof(status), 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n == (ssize_t)sizeof(status) ? status : -1;
	}
}

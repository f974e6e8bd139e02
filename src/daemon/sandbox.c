/*
 * sandbox (daemon): what `holdfast run` restricts itself to once its
 * configuration is loaded (util/sandbox.h for the mechanism): writes to the
 * store, the deploy directory and the webroots; reads of those, the
 * configuration file and the files it names (ca_bundle, tsig_key, a
 * bootstrap file) and the system's libraries and trust store; no program
 * run from the daemon itself.  Reload commands and hooks go to spawn's
 * helper, forked just before, which runs only what a fresh reading of the
 * configuration names (daemon_command_allowed).  `sandbox = no` turns all
 * of it off.  The paths are those of the configuration at start: a SIGHUP
 * that moves the store or a deploy directory needs a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/internal.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sandbox.h"
#include "util/spawn.h"

/* 1 when argv equals the list's words. */
static int argv_is(char *const argv[], const struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (argv[i] == NULL || strcmp(argv[i], l->items[i]) != 0)
			return 0;
	return argv[i] == NULL;
}

/* Does the configuration at cls (its path) name this command?  The helper
 * reads the file afresh each time, as privsep's root side does, so a
 * SIGHUP's new hooks work and nothing else ever does. */
static int daemon_command_allowed(char *const argv[], const char *what, void *cls)
{
	char err[CONF_ERROR_MAX];
	struct conf *conf = conf_load((const char *)cls, err, sizeof(err));
	int ok = 0;
	size_t i;

	if (conf == NULL)
		return 0;
	if (strcmp(what, "nginx-reload") == 0)
		ok = argv_is(argv, &conf->nginx_reload);
	else if (strcmp(what, "apache-reload") == 0)
		ok = argv_is(argv, &conf->apache_reload);
	for (i = 0; !ok && i < conf->cert_count; i++) {
		const struct conf_cert *c = &conf->certs[i];
		if (strcmp(what, "deploy-hook") == 0)
			ok = c->deploy_hook != NULL && strcmp(argv[0], c->deploy_hook) == 0;
		else if (strcmp(what, "dns-hook") == 0)
			ok = c->dns_hook != NULL && strcmp(argv[0], c->dns_hook) == 0;
		else if (strcmp(what, "dns-update") == 0)
			/* nsupdate -t 20 [-k TSIG_KEY] (acme/challenge.c) */
			ok = c->dns_update != NULL && strcmp(argv[0], "nsupdate") == 0 &&
			     (argv[3] == NULL ||
			      (c->tsig_key != NULL && strcmp(argv[3], "-k") == 0 &&
			       argv[4] != NULL && strcmp(argv[4], c->tsig_key) == 0 &&
			       argv[5] == NULL));
	}
	conf_free(conf);
	return ok;
}

/* The paths of conf, made to exist where the daemon writes (a rule needs
 * the directory); 0 or -1 (too many). */
static int sandbox_paths_of(const struct conf *conf, const char *conf_dir, struct sandbox_paths *p)
{
	size_t i;
	int rc = 0;

	if (mkdir_p(conf->deploy_dir, 0755) != 0)
		log_warn("sandbox_path_missing", "path=%s reason=\"%s\"", conf->deploy_dir,
		         strerror(errno));
	rc |= sandbox_paths_add(p, conf->store, 1);
	rc |= sandbox_paths_add(p, conf->deploy_dir, 1);
	/* The configuration's directory, not the file: an editor or a
	 * package manager replaces it by rename, and a rule holds the inode. */
	rc |= sandbox_paths_add(p, conf_dir, 0);
	if (conf->rdap_bootstrap != NULL && strstr(conf->rdap_bootstrap, "://") == NULL)
		rc |= sandbox_paths_add(p, conf->rdap_bootstrap, 0);
	for (i = 0; i < conf->ca_count; i++)
		rc |= sandbox_paths_add(p, conf->cas[i].ca_bundle, 0);
	for (i = 0; i < conf->cert_count; i++) {
		const struct conf_cert *c = &conf->certs[i];
		if (c->webroot != NULL && mkdir_p(c->webroot, 0755) != 0)
			log_warn("sandbox_path_missing", "path=%s reason=\"%s\"", c->webroot,
			         strerror(errno));
		rc |= sandbox_paths_add(p, c->webroot, 1);
		rc |= sandbox_paths_add(p, c->tsig_key, 0);
	}
	if (conf->store_key != NULL) /* fleet mode reads it at every reconnection */
		rc |= sandbox_paths_add(p, conf->store_key, 0);
	rc |= sandbox_paths_add_system(p);
	return rc;
}

/* The test hook (doc/HACKING.md): with HOLDFAST_SANDBOX_SELFTEST=PATH set,
 * try what the sandbox must refuse -- create PATH, run /bin/true -- and log
 * what the kernel answered. */
static void sandbox_selftest(const char *path)
{
	char *argv[] = {"/bin/true", NULL};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), status = 0;
	pid_t pid;

	log_warn("sandbox_selftest", "action=write path=%s result=\"%s\"", path,
	         fd >= 0 ? "allowed" : strerror(errno));
	if (fd >= 0)
		close(fd);
	pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, NULL);
		_exit(errno & 0x7f);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		log_warn("sandbox_selftest", "action=execve path=%s result=\"%s\"", argv[0],
		         WIFEXITED(status) && WEXITSTATUS(status) != 0
		             ? strerror(WEXITSTATUS(status))
		             : "allowed");
}

int daemon_sandbox_start(const struct conf *conf, const char *conf_path)
{
	struct sandbox_paths *p = NULL;
	struct sandbox_report r;
	struct store *st;
	char err[CONF_ERROR_MAX], conf_dir[PATH_MAX], *slash;
	int rc = -1;

	if (!conf->sandbox) {
		log_warn("sandbox", "seccomp=off landlock=off reason=\"sandbox = no\"");
		if (getenv("HOLDFAST_SANDBOX_SELFTEST") != NULL)
			sandbox_selftest(getenv("HOLDFAST_SANDBOX_SELFTEST"));
		return 0;
	}
	/* The store's layout must exist for its rule (the daemon makes it
	 * anyway, the same way, a moment later). */
	st = store_open(conf, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		log_error("store_unusable", "store=%s reason=\"%s\"", conf->store, err);
		return -1;
	}
	store_free(st);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	snprintf(conf_dir, sizeof(conf_dir), "%s", conf->path);
	slash = strrchr(conf_dir, '/');
	if (slash == NULL)
		snprintf(conf_dir, sizeof(conf_dir), ".");
	else if (slash == conf_dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (sandbox_paths_of(conf, conf_dir, p) != 0) {
		log_error("sandbox_failed",
		          "reason=\"more than %d distinct paths (webroots, tsig_key files); set "
		          "sandbox = no\"",
		          SANDBOX_PATHS_MAX);
		goto out;
	}
	if (spawn_helper_start(daemon_command_allowed, (void *)conf_path) != 0)
		goto out;
	/* A part the kernel has but that failed is logged; the daemon runs on
	 * (keeping certificates and staples beats stopping over it). */
	sandbox_apply(p, &r);
	if (getenv("HOLDFAST_SANDBOX_SELFTEST") != NULL)
		sandbox_selftest(getenv("HOLDFAST_SANDBOX_SELFTEST"));
	rc = 0;
out:
	free(p);
	return rc;
}

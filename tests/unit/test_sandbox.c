/*
 * Unit tests for util/sandbox.c and spawn's helper (util/spawn.c), on the
 * running kernel: a forked child applies the sandbox with one writable
 * directory and tries what it must and must not be able to do; the helper
 * runs what its allowed() accepts and refuses the rest.  Where the kernel
 * lacks Landlock the Landlock checks are reported as such (the seccomp
 * ones still run).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/log.h"
#include "util/sandbox.h"
#include "util/spawn.h"

/* What the sandboxed child found, one bit per check that failed. */
enum {
	BAD_APPLY = 1 << 0,
	BAD_WRITE_INSIDE = 1 << 1,
	BAD_WRITE_OUTSIDE = 1 << 2,
	BAD_READ_OUTSIDE = 1 << 3,
	BAD_EXEC = 1 << 4,
	BAD_RENAME = 1 << 5,
	BAD_READ_SYSTEM = 1 << 6,
};

static int landlock_ok;

/* In a child: sandbox with inside writable, then the attempts. */
static int sandboxed_attempts(const char *inside, const char *outside)
{
	struct sandbox_paths p;
	struct sandbox_report r;
	char path[512], path2[512];
	char *argv[] = {"/bin/true", NULL};
	int bad = 0, fd;

	memset(&p, 0, sizeof(p));
	sandbox_paths_add(&p, inside, 1);
	sandbox_paths_add_system(&p);
	if (sandbox_apply(&p, &r) != 0 || !r.seccomp || (landlock_ok && !r.landlock))
		return BAD_APPLY;
	snprintf(path, sizeof(path), "%s/new", inside);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		bad |= BAD_WRITE_INSIDE;
	if (fd >= 0)
		close(fd);
	/* Across directories, as the store's versions move (Landlock REFER). */
	snprintf(path2, sizeof(path2), "%s/sub/moved", inside);
	if (rename(path, path2) != 0)
		bad |= BAD_RENAME;
	snprintf(path, sizeof(path), "%s/forbidden", outside);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (landlock_ok && !(fd < 0 && errno == EACCES))
		bad |= BAD_WRITE_OUTSIDE;
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/secret", outside);
	fd = open(path, O_RDONLY);
	if (landlock_ok && !(fd < 0 && errno == EACCES))
		bad |= BAD_READ_OUTSIDE;
	if (fd >= 0)
		close(fd);
	fd = open("/etc/hosts", O_RDONLY);
	if (fd < 0)
		bad |= BAD_READ_SYSTEM;
	else
		close(fd);
	execve(argv[0], argv, NULL);
	if (errno != EPERM)
		bad |= BAD_EXEC;
	return bad;
}

static void test_sandbox(void)
{
	char inside[] = "/tmp/hf-sandbox-in.XXXXXX", outside[] = "/tmp/hf-sandbox-out.XXXXXX";
	char path[512];
	int status = 0, bad, fd;
	pid_t pid;

	landlock_ok = sandbox_landlock_abi() >= 2;
	printf("# landlock ABI %d\n", sandbox_landlock_abi());
	if (mkdtemp(inside) == NULL || mkdtemp(outside) == NULL) {
		CHECK(0, "sandbox: temporary directories");
		return;
	}
	snprintf(path, sizeof(path), "%s/sub", inside);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/secret", outside);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	pid = fork();
	if (pid == 0)
		_exit(sandboxed_attempts(inside, outside));
	waitpid(pid, &status, 0);
	bad = WIFEXITED(status) ? WEXITSTATUS(status) : 0xff;
	CHECK(!(bad & BAD_APPLY),
	      "sandbox: applied (seccomp, and Landlock where the kernel has it)");
	CHECK(!(bad & BAD_WRITE_INSIDE), "sandbox: a file is created under the writable path");
	CHECK(!(bad & BAD_RENAME), "sandbox: renamed across directories under it");
	CHECK(!(bad & BAD_READ_SYSTEM), "sandbox: system files are readable (/etc/hosts)");
	CHECK(!(bad & BAD_WRITE_OUTSIDE),
	      landlock_ok ? "sandbox: creating a file elsewhere is refused (EACCES)"
	                  : "sandbox: no Landlock on this kernel (write check skipped)");
	CHECK(!(bad & BAD_READ_OUTSIDE),
	      landlock_ok ? "sandbox: reading a file elsewhere is refused (EACCES)"
	                  : "sandbox: no Landlock on this kernel (read check skipped)");
	CHECK(!(bad & BAD_EXEC), "sandbox: execve is refused (EPERM)");
	snprintf(path, sizeof(path), "%s/forbidden", outside);
	CHECK(!landlock_ok || access(path, F_OK) != 0, "sandbox: the refused file does not exist");
	{
		char *rm[] = {"rm", "-rf", inside, outside, NULL};
		spawn_run(rm, "cleanup");
	}
}

/* The helper's allowed(): true, cat and rm only. */
static int allow_some(char *const argv[], const char *what, void *cls)
{
	(void)what;
	(void)cls;
	return strcmp(argv[0], "true") == 0 || strcmp(argv[0], "cat") == 0 ||
	       strcmp(argv[0], "rm") == 0 || strcmp(argv[0], "sh") == 0;
}

static void test_paths(void)
{
	static struct sandbox_paths p;
	char name[SANDBOX_PATHS_MAX + 1][16];
	size_t i;
	int full = 0;

	for (i = 0; i < 1000; i++)
		sandbox_paths_add(&p, "/srv/www", 1);
	CHECK(p.write_count == 1, "paths: a webroot shared by many certificates counts once");
	sandbox_paths_add(&p, NULL, 0);
	sandbox_paths_add(&p, "", 0);
	CHECK(p.read_count == 0, "paths: NULL and empty ignored");
	for (i = 0; i <= SANDBOX_PATHS_MAX; i++) {
		snprintf(name[i], sizeof(name[i]), "/r/%zu", i);
		full |= sandbox_paths_add(&p, name[i], 0) != 0;
	}
	CHECK(full && p.read_count == SANDBOX_PATHS_MAX, "paths: the list refuses past its limit");
}

static void test_helper(void)
{
	char *t[] = {"true", NULL}, *f[] = {"false", NULL}, *cat[] = {"cat", NULL};
	char *many[SPAWN_ARGS_MAX + 2];
	size_t i;

	CHECK(!spawn_helper_active(), "helper: not active before it is started");
	CHECK(spawn_helper_start(allow_some, NULL) == 0, "helper: started");
	CHECK(spawn_helper_active(), "helper: active");
	CHECK(spawn_run(t, "test") == 0, "helper: an allowed command runs (true: 0)");
	/* false would exit 1: -1 says the helper refused it */
	CHECK(spawn_run(f, "test") == -1, "helper: a command allowed() refuses does not run");
	CHECK(spawn_run_input(cat, "test", "input\n", 6) == 0, "helper: input reaches the command");
	for (i = 0; i < SPAWN_ARGS_MAX + 1; i++)
		many[i] = "true";
	many[i] = NULL;
	CHECK(spawn_run(many, "test") == -1, "helper: too many arguments refused");
}

/* The helper killed while it runs a command: the command fails and the
 * loss is known (the daemon then stops: no reload would work again). */
static void test_helper_lost(void)
{
	char *killer[] = {"sh", "-c", "kill -KILL $PPID", NULL}, *t[] = {"true", NULL};

	CHECK(!spawn_helper_lost(), "helper: not lost while it answers");
	CHECK(spawn_run(killer, "test") == -1, "helper: killed during a command: -1");
	CHECK(spawn_helper_lost(), "helper: its loss is known");
	CHECK(spawn_run(t, "test") == -1, "helper: nothing runs after it");
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	/* The helper first: the sandbox child is forked from a process whose
	 * commands then go through it (rm at the end). */
	test_paths();
	test_helper();
	test_sandbox();
	test_helper_lost();
	return tap_done();
}

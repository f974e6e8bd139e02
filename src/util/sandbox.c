/*
 * sandbox: seccomp allow-list and Landlock rules for the daemon
 * (sandbox.h).
 */
#include "util/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

/* Rights newer than Debian 12's <linux/landlock.h> (kernel 6.1 headers). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

/* clone() flags that make a namespace: refused (a user namespace would
 * bring capabilities inside it). */
#define SANDBOX_CLONE_NAMESPACES                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET)

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/* The system calls of the daemon: glibc, OpenSSL, libcurl (and its
 * resolver threads), c-ares, libmicrohttpd (epoll), jansson, syslog.  Not
 * here, so EPERM: execve/execveat, ptrace, mount, bpf, module and key
 * management, setuid and friends, chroot, personality, reboot, swap... */
static const char *const allowed_syscalls[] = {
    /* files and descriptors */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "close_range",
    "lseek",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "ioctl",
    "flock",
    "fsync",
    "fdatasync",
    "ftruncate",
    "truncate",
    "fallocate",
    "fadvise64",
    "readahead",
    "getdents",
    "getdents64",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "readlink",
    "readlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "umask",
    "utimensat",
    "futimesat",
    "utime",
    "utimes",
    "sendfile",
    "copy_file_range",
    "sync_file_range",
    /* memory */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    "msync",
    "mincore",
    "membarrier",
    /* polling, events, time */
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "alarm",
    "setitimer",
    "getitimer",
    /* sockets: the CAs, responders, DNS, listeners, HAProxy's socket, syslog */
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    /* threads, the audit's fork, waiting for it, signals */
    "clone",
    "clone3",
    "fork",
    "vfork",
    "wait4",
    "waitid",
    "exit",
    "exit_group",
    "futex",
    "futex_waitv",
    "set_robust_list",
    "get_robust_list",
    "set_tid_address",
    "rseq",
    "sched_yield",
    "sched_getaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "sched_get_priority_min",
    "sched_get_priority_max",
    "getcpu",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigpending",
    "sigaltstack",
    "kill",
    "tgkill",
    "tkill",
    "pause",
    "restart_syscall",
    /* identity and limits (read only) */
    "getpid",
    "getppid",
    "gettid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getgroups",
    "getresuid",
    "getresgid",
    "getpgrp",
    "getpgid",
    "getsid",
    "getrlimit",
    "prlimit64",
    "getrusage",
    "sysinfo",
    "uname",
    "getrandom",
    "prctl",
    "arch_prctl",
    "getpriority",
#ifdef SANDBOX_SANITIZER
    /* LeakSanitizer stops the world with ptrace from a clone of the
     * process and reads it through /proc: only in sanitizer builds. */
    "ptrace",
    "process_vm_readv",
    "setrlimit",
    "sched_setaffinity",
#endif
};

int sandbox_paths_add(struct sandbox_paths *p, const char *path, int writable)
{
	const char *const *list = writable ? p->write : p->read;
	size_t i, n = writable ? p->write_count : p->read_count;

	if (path == NULL || *path == '\0')
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(list[i], path) == 0)
			return 0; /* many certificates share a webroot */
	if (writable) {
		if (p->write_count == SANDBOX_PATHS_MAX)
			return -1;
		p->write[p->write_count++] = path;
	} else {
		if (p->read_count == SANDBOX_PATHS_MAX)
			return -1;
		p->read[p->read_count++] = path;
	}
	return 0;
}

int sandbox_paths_add_system(struct sandbox_paths *p)
{
	static const char *const system_paths[] = {
	    /* libraries (dlopen of NSS modules, OpenSSL's providers), data
	     * (public suffix list, CA certificates under /usr/share) */
	    "/usr",
	    "/lib",
	    "/lib64",
	    "/etc/ld.so.cache",
	    /* the trust store and OpenSSL's configuration */
	    "/etc/ssl",
	    "/etc/ca-certificates",
	    "/etc/pki",
	    /* name service and resolver */
	    "/etc/resolv.conf",
	    "/etc/hosts",
	    "/etc/nsswitch.conf",
	    "/etc/host.conf",
	    "/etc/gai.conf",
	    "/etc/services",
	    "/etc/protocols",
	    "/etc/passwd",
	    "/etc/group",
	    "/etc/localtime",
	    "/usr/share/zoneinfo",
	    "/run/systemd/resolve",
	    /* glibc counts CPUs here (malloc arenas) */
	    "/sys/devices/system/cpu",
	    "/dev/null",
	    "/dev/urandom",
	    "/dev/random",
#ifdef SANDBOX_SANITIZER
	    "/proc",
#endif
	};
	size_t i;

	for (i = 0; i < sizeof(system_paths) / sizeof(system_paths[0]); i++)
		if (sandbox_paths_add(p, system_paths[i], 0) != 0)
			return -1;
	return 0;
}

int sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* The filesystem rights a Landlock ABI version knows: all of them are
 * handled (denied unless a rule grants them). */
static uint64_t landlock_handled(int abi)
{
	uint64_t all = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	               LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	               LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	               LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	               LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	               LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	               LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

/* The rights that apply to a file (not a directory) rule. */
#define FILE_RIGHTS                                                   \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* One rule: path beneath which access (masked to what the ruleset handles
 * and, for a file, to file rights) is allowed.  1 added, 0 the path does
 * not exist, -1 failed. */
static int landlock_allow(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr attr;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.allowed_access = access & handled;
	if (!S_ISDIR(st.st_mode))
		attr.allowed_access &= FILE_RIGHTS;
	attr.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
	close(fd);
	return rc == 0 ? 1 : -1;
}

/* Landlock with the paths of p.  0 enforced, -1 failed (logged). */
static int landlock_apply(const struct sandbox_paths *p, int abi, struct sandbox_report *r)
{
	struct landlock_ruleset_attr ra;
	uint64_t handled = landlock_handled(abi);
	const uint64_t read_rights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	const uint64_t write_rights = read_rights | LANDLOCK_ACCESS_FS_WRITE_FILE |
	                              LANDLOCK_ACCESS_FS_REMOVE_DIR |
	                              LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
	                              LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM |
	                              LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE;
	int ruleset, rc = 0;
	size_t i;

	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = handled;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (ruleset < 0) {
		log_error("sandbox_failed", "part=landlock reason=\"%s\"", strerror(errno));
		return -1;
	}
	for (i = 0; i < p->read_count + p->write_count && rc == 0; i++) {
		int w = i >= p->read_count;
		const char *path = w ? p->write[i - p->read_count] : p->read[i];
		int got = landlock_allow(ruleset, path, w ? write_rights : read_rights, handled);
		if (got < 0) {
			log_error("sandbox_failed", "part=landlock path=%s reason=\"%s\"", path,
			          strerror(errno));
			rc = -1;
		} else if (got == 0) {
			r->missing++;
			if (w)
				log_warn("sandbox_path_missing", "path=%s access=write", path);
		}
	}
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		log_error("sandbox_failed", "part=landlock reason=\"%s\"", strerror(errno));
		rc = -1;
	}
	close(ruleset);
	r->landlock = rc == 0;
	return rc;
}

/* The seccomp allow-list, on every thread (there is one: see sandbox.h).
 * 0 loaded, -1 failed (logged). */
static int seccomp_apply(struct sandbox_report *r)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	size_t i;
	int rc = -1;

	if (ctx == NULL) {
		log_error("sandbox_failed", "part=seccomp reason=\"seccomp_init failed\"");
		return -1;
	}
	for (i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
			log_error("sandbox_failed", "part=seccomp syscall=%s", allowed_syscalls[i]);
			goto out;
		}
	}
	/* clone without namespaces (threads, fork); clone3 hides its flags in
	 * memory a filter cannot read, so it says ENOSYS and glibc falls back
	 * to clone. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	                     SCMP_A0(SCMP_CMP_MASKED_EQ, SANDBOX_CLONE_NAMESPACES, 0)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0) {
		log_error("sandbox_failed", "part=seccomp syscall=clone");
		goto out;
	}
	/* Calls of another ABI (x32, i386) are refused by the default action. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 || seccomp_load(ctx) != 0) {
		log_error("sandbox_failed", "part=seccomp reason=\"%s\"", strerror(errno));
		goto out;
	}
	r->seccomp = 1;
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

int sandbox_apply(const struct sandbox_paths *p, struct sandbox_report *r)
{
	const char *lacks;
	int rc = 0, have_seccomp;

	memset(r, 0, sizeof(*r));
	/* Both need it without CAP_SYS_ADMIN; execve could not gain privileges
	 * anyway (and is refused). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error("sandbox_failed", "part=no_new_privs reason=\"%s\"", strerror(errno));
		return -1;
	}
	r->landlock_abi = sandbox_landlock_abi();
	if (r->landlock_abi >= 2 && landlock_apply(p, r->landlock_abi, r) != 0)
		rc = -1;
	have_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	if (have_seccomp && seccomp_apply(r) != 0)
		rc = -1;
	lacks = r->landlock_abi == 0  ? (have_seccomp ? "landlock" : "landlock,seccomp")
	        : r->landlock_abi < 2 ? (have_seccomp ? "landlock_abi2" : "landlock_abi2,seccomp")
	        : have_seccomp        ? "-"
	                              : "seccomp";
	log_warn("sandbox",
	         "seccomp=%s landlock=%s landlock_abi=%d read_paths=%zu write_paths=%zu "
	         "missing_paths=%zu kernel_lacks=%s",
	         r->seccomp     ? "applied"
	         : have_seccomp ? "failed"
	                        : "unsupported",
	         r->landlock           ? "applied"
	         : r->landlock_abi < 2 ? "unsupported"
	                               : "failed",
	         r->landlock_abi, p->read_count, p->write_count, r->missing, lacks);
	return rc;
}

/*
 * sandbox: what `holdfast run` may still do once its configuration is
 * loaded, enforced by the kernel, the way OpenBSD's daemons pledge() and
 * unveil().
 *
 *   - seccomp (libseccomp): an allow-list of the system calls the daemon
 *     uses (files, sockets, threads, fork for the audit child, signals,
 *     time); any other call fails with EPERM -- execve among them, so the
 *     daemon itself runs no program.  Failing rather than killing: an
 *     unforeseen call in a rare path becomes an error the caller logs, not
 *     a dead daemon that stops stapling.
 *   - Landlock (the kernel's own ABI through syscall(2); Debian 12 has no
 *     library for it): writes only under the paths given as writable (the
 *     store, the deploy directory, webroots), reads only under those and
 *     the readable ones (the configuration, the files it names, the system
 *     libraries and trust store); nothing may be executed.  Landlock ABI 2
 *     at least is needed (ABI 1 refuses every rename across directories,
 *     which the store does).
 *
 * Both apply to the calling thread and to every thread and process it
 * creates afterwards, so sandbox_apply() runs before the daemon starts any
 * thread.  Children inherit both: programs the daemon runs (reload
 * commands, hooks, nsupdate) go through spawn's helper, forked before the
 * sandbox (util/spawn.h).  Each part degrades on its own: a kernel without
 * seccomp or Landlock gets what it supports, and the one log line
 * event=sandbox says what was applied and what the kernel lacked.
 */
#ifndef HOLDFAST_UTIL_SANDBOX_H
#define HOLDFAST_UTIL_SANDBOX_H

#include <stddef.h>

#define SANDBOX_PATHS_MAX 256 /* paths of each kind; more are refused */

struct sandbox_paths {
	const char *read[SANDBOX_PATHS_MAX];
	size_t read_count;
	const char *write[SANDBOX_PATHS_MAX];
	size_t write_count;
};

/* What sandbox_apply() did. */
struct sandbox_report {
	int seccomp;      /* 1: the filter is loaded */
	int landlock_abi; /* the kernel's Landlock ABI, 0: none */
	int landlock;     /* 1: the ruleset is enforced */
	size_t missing;   /* paths that did not exist (no rule for them) */
};

/* Add path to p's readable (writable = 0) or writable paths; a NULL or
 * empty path, or one already there, is ignored.  0, or -1 when the list is
 * full. */
int sandbox_paths_add(struct sandbox_paths *p, const char *path, int writable);

/* The system paths every daemon reads (libraries, trust store, resolver
 * and name service files, /dev/null, /dev/urandom), added to p. */
int sandbox_paths_add_system(struct sandbox_paths *p);

/* Restrict the calling process (see above).  Logs event=sandbox with what
 * was applied, or event=sandbox_failed.  Returns 0 when everything the
 * kernel supports is in force (r says what that was), -1 when a part the
 * kernel supports could not be applied (r says which). */
int sandbox_apply(const struct sandbox_paths *p, struct sandbox_report *r);

/* The Landlock ABI version of the running kernel, 0 without Landlock. */
int sandbox_landlock_abi(void);

#endif

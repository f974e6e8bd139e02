/*
 * spawn: running another program (a web server's reload command, a deploy
 * or dns-01 hook), never through a shell.  posix_spawnp with an argument
 * vector; the child gets /dev/null as stdin and none of our descriptors; its
 * output is drained (the first bytes kept for the log) and it is killed
 * after SPAWN_TIMEOUT seconds, so a hung hook cannot stall the daemon.
 *
 * The helper.  A sandboxed daemon (util/sandbox.h) may not execve, and
 * whatever it ran would inherit its seccomp filter and Landlock rules,
 * which no reload command or hook can be expected to live with.  So before
 * the sandbox, spawn_helper_start() forks a helper that keeps the
 * daemon's credentials but not its sandbox; from then on spawn_run*() in
 * the daemon hands each command to the helper over a socket pair and gets
 * its exit status back.  The helper runs a command only when the caller's
 * allowed() says so (the daemon checks it against a fresh reading of its
 * configuration: a compromised daemon cannot have it run anything else),
 * one at a time, and exits when the daemon does.
 */
#ifndef HOLDFAST_UTIL_SPAWN_H
#define HOLDFAST_UTIL_SPAWN_H

#include <stddef.h>

#define SPAWN_TIMEOUT    120 /* seconds a reload, hook or dns hook may take */
#define SPAWN_OUTPUT_MAX 4096

/* Run argv (argv[0] is a path or a name searched in PATH), wait, log its exit
 * status and first line of output.  Returns the exit status, -1 if it could not
 * run. */
int spawn_run(char *const argv[], const char *what);

#define SPAWN_INPUT_MAX 4096 /* fits a pipe: written whole before the child runs */

/* The same with input (len bytes, at most SPAWN_INPUT_MAX) as the child's
 * stdin instead of /dev/null: commands for nsupdate, which never appear in
 * its argument vector (ps shows that to every user). */
int spawn_run_input(char *const argv[], const char *what, const char *input, size_t len);

struct buf;

/* The same with everything the child writes (stdout and stderr, in order)
 * appended to out, up to its limit (more: -1, logged): for `nginx -T` and
 * `apache2ctl -S`, whose output is the answer. */
int spawn_run_capture(char *const argv[], const char *what, struct buf *out);

#define SPAWN_ARGS_MAX    16          /* arguments in a command sent to the helper */
#define SPAWN_REQUEST_MAX (16 * 1024) /* bytes of one request to the helper */

/* Does the helper's owner allow argv (for what) to run?  1 yes, 0 no. */
typedef int (*spawn_allowed_fn)(char *const argv[], const char *what, void *cls);

/* Fork the helper (see above); allowed (with cls) is called in the helper
 * for every command.  0 in the daemon, -1 when it could not be started
 * (logged).  The helper never returns. */
int spawn_helper_start(spawn_allowed_fn allowed, void *cls);

/* 1 once spawn_helper_start() succeeded in this process. */
int spawn_helper_active(void);

/* 1 once the helper has gone (a command found its socket closed): nothing
 * can be run any more, and a sandboxed process cannot start another one --
 * the daemon stops, so that its supervisor starts it afresh. */
int spawn_helper_lost(void);

#endif

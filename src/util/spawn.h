/*
 * spawn: running another program (a web server's reload command, a deploy
 * or dns-01 hook), never through a shell.  posix_spawnp with an argument
 * vector; the child gets /dev/null as stdin and none of our descriptors; its
 * output is drained (the first bytes kept for the log) and it is killed
 * after SPAWN_TIMEOUT seconds, so a hung hook cannot stall the daemon.
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

#endif

/* tap: the smallest TAP producer; each check prints "ok - NAME" or
 * "not ok - NAME: detail" and tap_done() prints the plan and the exit code. */
#ifndef HOLDFAST_TAP_H
#define HOLDFAST_TAP_H

void tap_check(int cond, const char *name, const char *file, int line);
int tap_done(void);

#define CHECK(cond, name) tap_check((cond) ? 1 : 0, (name), __FILE__, __LINE__)

#endif

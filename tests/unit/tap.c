#include "tap.h"

#include <stdio.h>

static int tap_count, tap_failed;

void tap_check(int cond, const char *name, const char *file, int line)
{
	tap_count++;
	if (cond) {
		printf("ok %d - %s\n", tap_count, name);
	} else {
		tap_failed++;
		printf("not ok %d - %s: failed at %s:%d\n", tap_count, name, file, line);
	}
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

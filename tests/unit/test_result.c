/*
 * Unit tests for util/result.c: result_worse() ranks every pair as
 * OK < WARNING < UNKNOWN < CRITICAL (the audit's order), whatever the
 * numeric exit codes are, and treats an out-of-range value as UNKNOWN.
 */
#include <stdio.h>

#include "tap.h"
#include "util/result.h"

int main(void)
{
	/* want[a][b] = result_worse(a, b), indexed by the exit codes 0..3 */
	static const enum result want[4][4] = {
	    {RESULT_OK, RESULT_WARNING, RESULT_CRITICAL, RESULT_UNKNOWN},
	    {RESULT_WARNING, RESULT_WARNING, RESULT_CRITICAL, RESULT_UNKNOWN},
	    {RESULT_CRITICAL, RESULT_CRITICAL, RESULT_CRITICAL, RESULT_CRITICAL},
	    {RESULT_UNKNOWN, RESULT_UNKNOWN, RESULT_CRITICAL, RESULT_UNKNOWN},
	};
	char name[64];
	int a, b;

	for (a = 0; a < 4; a++)
		for (b = 0; b < 4; b++) {
			snprintf(name, sizeof(name), "worse(%s, %s) = %s", result_name(a),
			         result_name(b), result_name(want[a][b]));
			CHECK(result_worse((enum result)a, (enum result)b) == want[a][b], name);
		}
	CHECK(result_worse(RESULT_OK, (enum result)7) == RESULT_UNKNOWN,
	      "an out-of-range value counts as UNKNOWN");
	CHECK(result_worse((enum result) - 1, RESULT_CRITICAL) == RESULT_CRITICAL,
	      "CRITICAL outranks an out-of-range value");
	/* A fold over a run: REVOKED then a missing file. */
	CHECK(result_worse(result_worse(RESULT_OK, RESULT_CRITICAL), RESULT_UNKNOWN) ==
	          RESULT_CRITICAL,
	      "revoked then unreadable: CRITICAL");
	return tap_done();
}

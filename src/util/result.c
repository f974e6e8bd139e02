#include "util/result.h"

const char *result_name(enum result r)
{
	switch (r) {
	case RESULT_OK:
		return "OK";
	case RESULT_WARNING:
		return "WARNING";
	case RESULT_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

/* Position in the order of urgency. */
static int result_rank(enum result r)
{
	switch (r) {
	case RESULT_OK:
		return 0;
	case RESULT_WARNING:
		return 1;
	case RESULT_CRITICAL:
		return 3;
	default:
		return 2;
	}
}

enum result result_worse(enum result a, enum result b)
{
	if (a != RESULT_OK && a != RESULT_WARNING && a != RESULT_CRITICAL)
		a = RESULT_UNKNOWN;
	if (b != RESULT_OK && b != RESULT_WARNING && b != RESULT_CRITICAL)
		b = RESULT_UNKNOWN;
	return result_rank(b) > result_rank(a) ? b : a;
}

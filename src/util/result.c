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

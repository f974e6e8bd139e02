#include "timeutil.h"

#include <stdio.h>
#include <string.h>

int time_from_asn1(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	time_t v;

	if (t == NULL || ASN1_TIME_check(t) != 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	*out = v;
	return 0;
}

const char *time_format(char *dst, size_t dstlen, time_t t)
{
	struct tm tm;

	if (dstlen == 0)
		return dst;
	dst[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return dst;
	if (strftime(dst, dstlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		dst[0] = '\0';
	return dst;
}

int time_parse(const char *s, time_t *out)
{
	struct tm tm;
	char *end;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	*out = v;
	return 0;
}

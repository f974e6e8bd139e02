

#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

/* timegm() with its -1 error told apart from 1969-12-31T23:59:59Z. */
static int time_from_tm(struct tm *tm, time_t *out)
{
	struct tm check = *tm;
	time_t v = timegm(tm);

	if (v == (time_t)-1 && !(check.tm_year == 69 && check.tm_mon == 11 && check.tm_mday == 31 &&
	                         check.tm_hour == 23 && check.tm_min == 59 && check.tm_sec == 59))
		return -1;
	*out = v;
	return 0;
}

int time_from_asn1(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	time_t v;

	if (t == NULL || ASN1_TIME_check(t) != 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1 || time_from_tm(&tm, &v) != 0)
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
	char back[32];

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0' || time_from_tm(&tm, &v) != 0)
		return -1;
	/* strptime accepts 2023-02-30 and unpadded fields; only the canonical
	 * spelling of a real instant is accepted. */
	if (strcmp(time_format(back, sizeof(back), v), s) != 0)
		return -1;
	*out = v;
	return 0;
}

int time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	time_t v;
	int sign, hh, mm;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(s, "%Y-%m-%dt%H:%M:%S", &tm);
	}
	if (p == NULL)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*out = v;
		return 0;
	}
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(p) != 6 ||
	    hh > 23 || mm > 59)
		return -1;
	sign = *p == '+' ? 1 : -1;
	*out = v - sign * (time_t)(hh * 3600 + mm * 60);
	return 0;
}

const char *duration_format(char *dst, size_t dstlen, long seconds)
{
	static const struct {
		long size;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i, shown = 0, at = 0;
	int n;

	if (dstlen == 0)
		return dst;
	dst[0] = '\0';
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		long q = seconds / units[i].size;
		if (q == 0 && shown > 0)
			break; /* "1d 5m" would skip the hours: "1d" */
		if (q == 0 && units[i].size != 1)
			continue;
		seconds -= q * units[i].size;
		n = snprintf(dst + at, dstlen - at, "%s%ld%c", shown ? " " : "", q, units[i].unit);
		if (n < 0 || (size_t)n >= dstlen - at) {
			dst[0] = '\0';
			return dst;
		}
		at += (size_t)n;
		shown++;
	}
	return dst;
}

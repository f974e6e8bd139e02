/*
 * log: key=value event lines on stderr (journald picks them up as-is).
 * A line is formatted into one buffer and written with a single write() so
 * that lines from concurrent processes do not interleave.
 */

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/url.h"

#define LOG_LINE_MAX 2048

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_to_syslog;

void log_use_syslog(void)
{
	openlog("holdfast", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_to_syslog = 1;
}

static const char *const log_level_names[] = {
    [LOG_LEVEL_DEBUG] = "debug",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_WARN] = "warn",
    [LOG_LEVEL_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

const char *log_safe(char *dst, size_t dstlen, const char *src)
{
	size_t i = 0;

	if (dstlen == 0)
		return dst;
	for (; src != NULL && *src != '\0' && i + 1 < dstlen; src++) {
		unsigned char c = (unsigned char)*src;
		dst[i++] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}

size_t log_clean(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char redacted[LOG_LINE_MAX];
	const unsigned char *p;
	size_t o = 0;

	if (outlen == 0)
		return 0;
	url_redact(in, redacted, sizeof(redacted));
	for (p = (const unsigned char *)redacted; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return o;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], clean[LOG_LINE_MAX];
	char ts[32] = "";
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n, m;

	if (level < log_threshold)
		return;
	if (gmtime_r(&now, &tm) != NULL)
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "ts=%s level=%s event=%s ", ts, log_level_names[level],
	             event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if ((size_t)m >= sizeof(line) - (size_t)n)
		m = (int)(sizeof(line) - (size_t)n - 1); /* truncated: still one line */
	n = (int)log_clean(line, clean, sizeof(clean) - 1);
	memcpy(line, clean, (size_t)n + 1);
	if (log_to_syslog) {
		static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
		/* Skip "ts=... ": syslog stamps the line itself. */
		const char *rest = strchr(line, ' ');
		syslog(prio[level], "%s", rest ? rest + 1 : line);
		return;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

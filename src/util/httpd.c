

#include "util/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#include <time.h>

int listen_addr_parse(const char *listen, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end = NULL;
	long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		return -1;
	hl = (size_t)(colon - listen);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (hl == 0) {
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

/* One slot per kind of listener; libmicrohttpd calls the logger from its
 * own thread, so the counters are atomics (HACKING.md rule 9). */
static struct httpd_kind {
	const char *what;
	atomic_ulong messages, suppressed;
	atomic_llong last_logged;
} kinds[] = {{.what = "http01"}, {.what = "metrics"}, {.what = "ocsp"}, {.what = "other"}};

static struct httpd_kind *kind_of(const char *what)
{
	size_t i, n = sizeof(kinds) / sizeof(kinds[0]);

	for (i = 0; i + 1 < n; i++) {
		if (strcmp(kinds[i].what, what) == 0)
			return &kinds[i];
	}
	return &kinds[n - 1];
}

int httpd_log_due(long long last, long long now)
{
	return last == 0 || now < last || now - last >= HTTPD_LOG_EVERY;
}

unsigned long http_server_messages(const char *what)
{
	return atomic_load(&kind_of(what)->messages);
}

/* libmicrohttpd's messages ("Server reached connection limit", ...) as
 * key=value events, at most one line per HTTPD_LOG_EVERY seconds per kind
 * of listener with the count of those not shown; every one is counted. */
static void httpd_logger(void *cls, const char *fmt, va_list ap)
{
	struct httpd_kind *k = cls;
	char msg[256], safe[512];
	long long now = (long long)time(NULL), last;
	unsigned long suppressed;
	size_t n;

	atomic_fetch_add(&k->messages, 1);
	last = atomic_load(&k->last_logged);
	if (!httpd_log_due(last, now) ||
	    !atomic_compare_exchange_strong(&k->last_logged, &last, now)) {
		atomic_fetch_add(&k->suppressed, 1);
		return;
	}
	suppressed = atomic_exchange(&k->suppressed, 0);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	log_warn("httpd_message", "listener=%s message=\"%s\" suppressed=%lu total=%lu", k->what,
	         log_safe(safe, sizeof(safe), msg), suppressed, atomic_load(&k->messages));
}

struct MHD_Daemon *http_server_start(const char *listen, const char *what, unsigned int limit,
                                     MHD_AccessHandlerCallback handler, void *cls,
                                     MHD_RequestCompletedCallback done)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	char failed[64], listening[64];

	snprintf(failed, sizeof(failed), "%s_listen_failed", what);
	snprintf(listening, sizeof(listening), "%s_listening", what);
	if (listen_addr_parse(listen, &ss) != 0) {
		log_error(failed, "listen=%s reason=\"bad address\"", listen);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(
	    flags, ntohs(((struct sockaddr_in *)&ss)->sin_port), NULL, NULL, handler, cls,
	    /* The logger first: options before it would log through the library's own. */
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_logger, (void *)kind_of(what), MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
	    limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY_LIMIT, MHD_OPTION_END);
	if (d == NULL) {
		log_error(failed, "listen=%s reason=\"cannot bind\"", listen);
		return NULL;
	}
	log_info(listening, "listen=%s", listen);
	return d;
}

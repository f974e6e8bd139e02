/*
 * httpd: the listeners' common start, limits and request-time reaper
 * (httpd.h).
 */
#include "util/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

/* One open connection, as the reaper sees it. */
struct tracked {
	int fd;
	time_t deadline; /* the current request must be done by then */
	int reaped;      /* shut down once already */
	struct tracked *prev, *next;
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct httpd_kind *kind;
	MHD_RequestCompletedCallback done;
	void *done_cls;
	pthread_mutex_t lock; /* guards the list and stopping */
	pthread_cond_t wake;
	struct tracked *conns;
	int stopping;
	pthread_t reaper;
	int reaper_started;
};

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
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	log_warn("httpd_message", "listener=%s message=\"%s\" suppressed=%lu total=%lu", k->what,
	         log_safe(safe, sizeof(safe), msg), suppressed, atomic_load(&k->messages));
}

/* A message of holdfast's own about a listener, through the same
 * rate-limited, counted path as the library's. */
static void httpd_note(struct httpd_kind *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	httpd_logger(k, fmt, ap);
	va_end(ap);
}

unsigned int http_server_per_ip_limit(unsigned int limit)
{
	return limit / 4 > 0 ? limit / 4 : 1;
}

/* The reaper: once a second, shut down every connection whose request is
 * past its deadline.  shutdown() (not close(): the descriptor stays the
 * library's) makes the polling thread see the end of the connection and
 * close it as it would any other; the entry leaves the list only in
 * notify_connection(CLOSED), under the same lock, so a descriptor is never
 * shut down after the library let go of it. */
static void *reaper_main(void *arg)
{
	struct http_server *srv = arg;
	struct timespec until;
	struct tracked *t;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		time_t now = time(NULL);
		unsigned long reaped = 0;

		for (t = srv->conns; t != NULL; t = t->next) {
			if (!t->reaped && now >= t->deadline) {
				shutdown(t->fd, SHUT_RDWR);
				t->reaped = 1;
				reaped++;
			}
		}
		if (reaped > 0)
			httpd_note(srv->kind,
			           "%lu connection(s) closed: request not done within %d s", reaped,
			           HTTPD_REQUEST_TIMEOUT);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&srv->wake, &srv->lock, &until);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* The library's connection start and end: the reaper's list. */
static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct tracked *t = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		t = calloc(1, sizeof(*t));
		if (t == NULL || info == NULL) {
			free(t);
			return; /* untracked: the idle timeout still applies */
		}
		t->fd = info->connect_fd;
		t->deadline = time(NULL) + HTTPD_REQUEST_TIMEOUT;
		pthread_mutex_lock(&srv->lock);
		t->next = srv->conns;
		if (srv->conns != NULL)
			srv->conns->prev = t;
		srv->conns = t;
		pthread_mutex_unlock(&srv->lock);
		*socket_context = t;
		return;
	}
	if (t == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		srv->conns = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&srv->lock);
	free(t);
	*socket_context = NULL;
}

/* A request ended: the caller's callback, then the next request on the
 * connection gets its own HTTPD_REQUEST_TIMEOUT. */
static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (srv->done != NULL)
		srv->done(srv->done_cls, conn, con_cls, toe);
	if (info != NULL && info->socket_context != NULL) {
		struct tracked *t = info->socket_context;
		pthread_mutex_lock(&srv->lock);
		t->deadline = time(NULL) + HTTPD_REQUEST_TIMEOUT;
		pthread_mutex_unlock(&srv->lock);
	}
}

struct http_server *http_server_start(const char *listen, const char *what, unsigned int limit,
                                      MHD_AccessHandlerCallback handler, void *cls,
                                      MHD_RequestCompletedCallback done)
{
	struct sockaddr_storage ss;
	struct http_server *srv = NULL;
	/* epoll: no FD_SETSIZE ceiling on the daemon's descriptors. */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	char failed[64], listening[64];

	snprintf(failed, sizeof(failed), "%s_listen_failed", what);
	snprintf(listening, sizeof(listening), "%s_listening", what);
	if (listen_addr_parse(listen, &ss) != 0) {
		log_error(failed, "listen=%s reason=\"bad address\"", listen);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		log_error(failed, "listen=%s reason=\"out of memory\"", listen);
		return NULL;
	}
	srv->kind = kind_of(what);
	srv->done = done;
	srv->done_cls = cls;
	if (pthread_mutex_init(&srv->lock, NULL) != 0) {
		free(srv);
		return NULL;
	}
	pthread_cond_init(&srv->wake, NULL);
	srv->daemon = MHD_start_daemon(
	    flags, ntohs(((struct sockaddr_in *)&ss)->sin_port), NULL, NULL, handler, cls,
	    /* The logger first: options before it would log through the library's own. */
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_logger, (void *)srv->kind, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)HTTPD_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, http_server_per_ip_limit(limit),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY_LIMIT, MHD_OPTION_END);
	if (srv->daemon == NULL) {
		log_error(failed, "listen=%s reason=\"cannot bind\"", listen);
		http_server_stop(srv);
		return NULL;
	}
	if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
		log_error(failed, "listen=%s reason=\"cannot start the request-time reaper\"",
		          listen);
		http_server_stop(srv);
		return NULL;
	}
	srv->reaper_started = 1;
	log_info(listening, "listen=%s connections=%u per_address=%u", listen, limit,
	         http_server_per_ip_limit(limit));
	return srv;
}

void http_server_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->reaper_started) {
		pthread_mutex_lock(&srv->lock);
		srv->stopping = 1;
		pthread_cond_signal(&srv->wake);
		pthread_mutex_unlock(&srv->lock);
		pthread_join(srv->reaper, NULL);
	}
	/* The library closes what is still open, through notify_connection. */
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

/*
 * httpd: how every HTTP server of holdfast is started (the http-01
 * responder, the metrics page, ocsp_listen), so that no listener is
 * unbounded.  libmicrohttpd with one polling thread of its own (epoll), and
 * these limits, the same for every listener (holdfast(1), "Listeners"):
 *   - HTTPD_TIMEOUT: a connection idle that long is closed;
 *   - HTTPD_REQUEST_TIMEOUT: a request (line, headers, body and the answer)
 *     must be done that long after it began -- after the connection opened
 *     or the previous request on it ended.  The idle timeout alone never
 *     ends a client that trickles a byte a second (slowloris); a reaper
 *     thread shuts such a connection down, and the library closes it;
 *   - the caller's connection limit in total, and a quarter of it per
 *     client address, so one address cannot take every slot;
 *   - HTTPD_MEMORY_LIMIT per connection: the request line and headers must
 *     fit, or the library answers 414 / 431.
 * The library's own messages ("Server reached connection limit", ...) and
 * the reaper's go through holdfast's logger as event=httpd_message,
 * rate-limited and counted.  Also the one parser of listen addresses, used
 * by the configuration to refuse a bad one at load.
 */
#ifndef HOLDFAST_UTIL_HTTPD_H
#define HOLDFAST_UTIL_HTTPD_H

#include <sys/socket.h>

#include <microhttpd.h>

#define HTTPD_TIMEOUT         10          /* seconds a connection may stay idle */
#define HTTPD_REQUEST_TIMEOUT 20          /* seconds one request may take, end to end */
#define HTTPD_MEMORY_LIMIT    (32 * 1024) /* bytes per connection for the request */
#define HTTPD_LOG_EVERY       10          /* seconds between httpd_message lines */

struct http_server;

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (any address) into ss.  0 or -1. */
int listen_addr_parse(const char *listen, struct sockaddr_storage *ss);

/* A server on listen for handler (with cls), with the limits above: at most
 * limit connections, http_server_per_ip_limit(limit) from one address; done
 * (may be NULL) is called as each request ends.  Logs WHAT_listening, or
 * WHAT_listen_failed and returns NULL.  Stop with http_server_stop(). */
struct http_server *http_server_start(const char *listen, const char *what, unsigned int limit,
                                      MHD_AccessHandlerCallback handler, void *cls,
                                      MHD_RequestCompletedCallback done);

/* Stop the server and free it; NULL does nothing. */
void http_server_stop(struct http_server *srv);

/* Pure: the connections one client address may hold on a listener of at
 * most limit connections (a quarter, at least 1). */
unsigned int http_server_per_ip_limit(unsigned int limit);

/* Pure: may a listener's library message be logged at now, the last one
 * having been logged at last (0: never)?  Once per HTTPD_LOG_EVERY s. */
int httpd_log_due(long long last, long long now);

/* Messages libmicrohttpd (or the request-time reaper) gave for listeners of
 * kind what ("http01", "metrics", "ocsp"), logged or not, since the
 * process started. */
unsigned long http_server_messages(const char *what);

#endif

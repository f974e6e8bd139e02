/*
 * httpd: how every HTTP server of holdfast is started (the http-01
 * responder, the metrics page, ocsp_listen): libmicrohttpd with its own
 * polling thread, a 10 s connection timeout, a connection limit and 32 KiB
 * of memory per connection (the request line and headers must fit), so no
 * listener is unbounded.  The library's own messages go through holdfast's
 * logger as event=httpd_message, rate-limited and counted.  Also the one parser of listen
 * addresses, used by the configuration to refuse a bad one at load.
 */
#ifndef HOLDFAST_UTIL_HTTPD_H
#define HOLDFAST_UTIL_HTTPD_H

#include <sys/socket.h>

#include <microhttpd.h>

#define HTTPD_TIMEOUT      10          /* seconds a connection may stay idle */
#define HTTPD_MEMORY_LIMIT (32 * 1024) /* bytes per connection for the request */
#define HTTPD_LOG_EVERY    10          /* seconds between httpd_message lines */

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (any address) into ss.  0 or -1. */
int listen_addr_parse(const char *listen, struct sockaddr_storage *ss);

/* A libmicrohttpd server on listen for handler (with cls), as every server
 * of holdfast runs: its own polling thread, a 10 s connection timeout, at
 * most limit connections; done (may be NULL) is called as each request
 * ends.  Logs WHAT_listening, or WHAT_listen_failed and returns NULL. */
struct MHD_Daemon *http_server_start(const char *listen, const char *what, unsigned int limit,
                                     MHD_AccessHandlerCallback handler, void *cls,
                                     MHD_RequestCompletedCallback done);

/* Pure: may a listener's library message be logged at now, the last one
 * having been logged at last (0: never)?  Once per HTTPD_LOG_EVERY s. */
int httpd_log_due(long long last, long long now);

/* Messages libmicrohttpd gave for listeners of kind what ("http01",
 * "metrics", "ocsp"), logged or not, since the process started. */
unsigned long http_server_messages(const char *what);

#endif

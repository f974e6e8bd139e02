/*
 * httpd: how every HTTP server of holdfast is started (the http-01
 * responder, the metrics page, ocsp_listen): libmicrohttpd with its own
 * polling thread, a 10 s connection timeout and a connection limit, so no
 * listener is unbounded.  Also the one parser of listen addresses, used by
 * the configuration to refuse a bad one at load.
 */
#ifndef HOLDFAST_UTIL_HTTPD_H
#define HOLDFAST_UTIL_HTTPD_H

#include <sys/socket.h>

#include <microhttpd.h>

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (any address) into ss.  0 or -1. */
int listen_addr_parse(const char *listen, struct sockaddr_storage *ss);

/* A libmicrohttpd server on listen for handler (with cls), as every server
 * of holdfast runs: its own polling thread, a 10 s connection timeout, at
 * most limit connections; done (may be NULL) is called as each request
 * ends.  Logs WHAT_listening, or WHAT_listen_failed and returns NULL. */
struct MHD_Daemon *http_server_start(const char *listen, const char *what, unsigned int limit,
                                     MHD_AccessHandlerCallback handler, void *cls,
                                     MHD_RequestCompletedCallback done);

#endif

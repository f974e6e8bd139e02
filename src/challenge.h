/*
 * challenge: publishing ACME challenge responses (RFC 8555 8.3, 8.4).
 *
 * - http-01, built in: one libmicrohttpd server per listen address, shared by
 *   every certificate being issued (threads publish and withdraw tokens under
 *   a mutex); it answers GET /.well-known/acme-challenge/TOKEN and 404 for
 *   everything else.
 * - http-01, webroot: the key authorization is written atomically to
 *   WEBROOT/.well-known/acme-challenge/TOKEN and removed afterwards.
 * - dns-01: the configured hook program is run via posix_spawn (no shell)
 *   as `HOOK add|remove _acme-challenge.NAME VALUE` and must exit 0.
 */
#ifndef HOLDFAST_CHALLENGE_H
#define HOLDFAST_CHALLENGE_H

#include <sys/socket.h>

#include <microhttpd.h>

#include "acme.h"
#include "conf.h"

struct challenge_registry;

/* A registry for one run; NULL on failure. */
struct challenge_registry *challenge_registry_new(void);

/* Start the built-in responder on listen ("HOST:PORT" or ":PORT") unless one
 * runs there already.  0, or -1 (logged) when the address cannot be bound. */
int challenge_listen(struct challenge_registry *reg, const char *listen);

/* Fill ops for a certificate's configured challenge method.  ops->ctx points
 * into storage that must outlive the issuance (ctx_store). */
struct challenge_ctx {
	struct challenge_registry *reg;
	const struct conf_cert *cert;
};
void challenge_ops_for(struct challenge_ctx *ctx, struct challenge_registry *reg,
                       const struct conf_cert *cert, struct acme_challenge_ops *ops);

/* Stop every responder and free the registry (NULL is fine). */
void challenge_registry_free(struct challenge_registry *reg);

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (any address) into ss.  0 or -1. */
int listen_addr_parse(const char *listen, struct sockaddr_storage *ss);

/* A libmicrohttpd server on listen for handler (with cls), as every server
 * of holdfast runs: its own polling thread, a 10 s connection timeout, at
 * most limit connections; done (may be NULL) is called as each request
 * ends.  Logs WHAT_listening, or WHAT_listen_failed and returns NULL. */
struct MHD_Daemon *http_server_start(const char *listen, const char *what, unsigned int limit,
                                     MHD_AccessHandlerCallback handler, void *cls,
                                     MHD_RequestCompletedCallback done);

/* The number of requests the built-in responders answered (for tests). */
unsigned long challenge_requests_served(const struct challenge_registry *reg);

#endif

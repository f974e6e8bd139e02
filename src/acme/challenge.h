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
 *   as `HOOK add|remove _acme-challenge.NAME VALUE` and must exit 0; or,
 *   with dns_update, the record is added and then deleted by an RFC 2136
 *   dynamic update (TSIG-signed with tsig_key) that Debian's nsupdate sends
 *   to the primary server: its commands go in on stdin, never in argv.
 */
#ifndef HOLDFAST_CHALLENGE_H
#define HOLDFAST_CHALLENGE_H

#include <sys/socket.h>

#include <microhttpd.h>

#include "acme/protocol.h"
#include "conf/conf.h"

struct challenge_registry;

/* nsupdate's commands to add (add = 1) or delete the TXT record
 * _acme-challenge.NAME VALUE at server ("HOST PORT").  Pure; 0, or -1 when
 * dst is too small. */
int challenge_nsupdate_script(const char *server, const char *name, const char *value, int add,
                              char *dst, size_t len);

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

/* The number of requests the built-in responders answered (for tests). */
unsigned long challenge_requests_served(const struct challenge_registry *reg);

#endif

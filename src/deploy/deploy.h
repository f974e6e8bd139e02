/*
 * deploy: putting a certificate, its key and its staple where web servers
 * read them, and telling the servers.  One file per target, each starting
 * with what it guarantees:
 *
 * - nginx.c    DEPLOY/nginx/NAME.conf, an include naming content-addressed
 *              NAME.ID.crt/.key/.ocsp: one rename switches all three; the
 *              staple is named only while it is valid; then nginx_reload.
 * - haproxy.c  haproxy:SOCKET: DEPLOY/haproxy/NAME.pem + NAME.pem.ocsp for
 *              the next start, and every change pushed over the runtime
 *              API, without a reload.
 * - apache.c   DEPLOY/apache/NAME.pem (0600: key, then full chain, one
 *              file) and apache_reload (graceful); staples reach Apache
 *              through ocsp_listen (ocsp/responder.h).
 * - hook.c     deploy_hook, run via posix_spawn (no shell) with the event
 *              and certificate names.
 * - verify.c   deploy_verify(): a handshake showing the server serves what
 *              was deployed.
 * - deploy.c   deploy_certificate() over the configured targets, and what
 *              they share (internal.h).
 *
 * For every target: files are written atomically, keys 0600; nothing is
 * signalled when the content did not change.  DEPLOY/TARGET/.NAME.pending
 * exists from the first changed file until the server confirmed the
 * change, so that a restart after a crash in between still tells the
 * server.
 */
#ifndef HOLDFAST_DEPLOY_H
#define HOLDFAST_DEPLOY_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"

struct deploy_input {
	const char *fullchain_pem; /* leaf + chain */
	size_t fullchain_len;
	const char *key_pem; /* private key (0600 wherever it goes) */
	size_t key_len;
	const unsigned char *staple; /* valid DER response, or NULL */
	size_t staple_len;
	const char *event; /* "certificate" or "staple" (for the hook) */
	int force;         /* signal the servers even if no file changed (retry) */
	int hook_retry;    /* run the deploy hook even if no file changed (it failed) */
};

#define DEPLOY_HOOK_TARGET "deploy_hook" /* the hook's name among failed targets */
#define DEPLOY_FAILED_MAX  1024

/* What one deploy_certificate() did: the targets that failed, as
 * configured ("nginx", "apache", "haproxy:SOCKET", and DEPLOY_HOOK_TARGET),
 * space-separated in configuration order; "" when every one succeeded.  A
 * list too long for the buffer ends in "...". */
struct deploy_result {
	char failed[DEPLOY_FAILED_MAX];
	int hook_failed;
};

/* Deploy one certificate to every target configured for it, then run its
 * deploy_hook when a file changed (every time when it has no target, and
 * when in->hook_retry).  *changed is set when any file changed; res (may be
 * NULL) says which targets failed.  Returns 0, or -1 when a target or the
 * hook failed (logged). */
int deploy_certificate(const struct conf *conf, const struct conf_cert *cert,
                       const struct deploy_input *in, int *changed, struct deploy_result *res);

/* Connect to addr ("HOST:PORT") with TLS (SNI sni), ask for the staple and
 * check that the served certificate is the one encoded as want_cert
 * (cert_len bytes of DER) and the staple is exactly want_staple (or that none
 * is served when want_staple is NULL).  Returns 0, or -1 with the reason in
 * why. */
int deploy_verify(const char *addr, const char *sni, const unsigned char *want_cert,
                  size_t cert_len, const unsigned char *want_staple, size_t want_len, char *why,
                  size_t whylen);

/* Send one command to a HAProxy runtime socket; the answer (bounded) goes to
 * reply.  0 or -1. */
int haproxy_command(const char *socket_path, const char *command, size_t command_len, char *reply,
                    size_t replylen);

#endif

/*
 * deploy: putting a certificate, its key and its staple where web servers
 * read them, and telling the servers.
 *
 * - nginx: an include DEPLOY/nginx/NAME.conf holding ssl_certificate,
 *   ssl_certificate_key and, only while a valid staple exists, ssl_stapling
 *   on + ssl_stapling_file.  The files it names, NAME.ID.crt, NAME.ID.key
 *   and NAME.ID2.ocsp, are named by their content and never rewritten, so
 *   replacing the include switches all three at once: a crash, or nginx
 *   parsing during a deploy, never pairs a certificate with another's key
 *   or staple.  The previous include's files are kept (a reload parses
 *   after its command returned), older ones removed.  nginx serves an
 *   ssl_stapling_file long after it expired, so the include stops naming it
 *   the moment it is no longer valid; then the reload command runs.  The
 *   server block includes the file and sets no ssl_stapling itself.
 * - haproxy:SOCKET: DEPLOY/haproxy/NAME.pem (chain + key, 0600) and
 *   NAME.pem.ocsp beside it (the staple, or the tryLater placeholder so that
 *   HAProxy still registers the certificate for stapling at start; also
 *   while the certificate changes, so the file never holds a staple for
 *   another certificate); updates are pushed over the runtime API (set ssl
 *   ocsp-response; set/commit ssl cert), without a reload.
 * - apache: DEPLOY/apache/NAME.pem (0600: the key, then the full chain: one
 *   file, so key and certificate change together) and a graceful reload;
 *   staples reach Apache through ocsp_listen (ocspd.h).
 * - deploy_hook: run via posix_spawn (no shell) with the event name and the
 *   certificate name; its exit status and output are logged.
 * Files are written atomically, keys 0600; nothing is signalled when the
 * content did not change.  DEPLOY/TARGET/.NAME.pending exists from the
 * first changed file until the server confirmed the change, so that a
 * restart after a crash in between still tells the server.
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
};

/* Deploy one certificate to every target configured for it.  *changed is set
 * when any file changed.  Returns 0, or -1 when a target failed (logged). */
int deploy_certificate(const struct conf *conf, const struct conf_cert *cert,
                       const struct deploy_input *in, int *changed);

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

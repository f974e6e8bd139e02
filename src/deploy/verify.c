/*
 * verify.c: deploy_verify(), the check on the wire after a deploy.  One TLS
 * handshake with the server (a [certificate]'s verify_addr, with its first
 * name as SNI, asking for a staple) answers whether the server now serves
 * exactly what was deployed: the same leaf, byte for byte, and the same
 * staple -- or none, once the staple was withdrawn.  It validates no chain:
 * the question is what the server loaded, not whether to trust it.  Connect,
 * send and receive are bounded by VERIFY_TIMEOUT_S each, so a hung server
 * fails the check instead of stalling the daemon.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include "deploy/deploy.h"
#include "util/names.h"

#define VERIFY_TIMEOUT_S 3

/* TCP connect to "HOST:PORT" with a timeout; fd or -1. */
static int connect_addr(const char *addr, char *why, size_t whylen)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = {VERIFY_TIMEOUT_S, 0};
	size_t hl;
	int fd = -1;

	if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host)) {
		snprintf(why, whylen, "bad address %s", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
		snprintf(why, whylen, "cannot resolve %s", addr);
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, whylen, "cannot connect to %s", addr);
	return fd;
}

int deploy_verify(const char *addr, const char *sni, const unsigned char *want_cert,
                  size_t cert_len, const unsigned char *want_staple, size_t want_len, char *why,
                  size_t whylen)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *peer = NULL;
	unsigned char *peer_der = NULL;
	const unsigned char *staple = NULL;
	long staple_len;
	int fd, rc = -1, peer_len = 0;

	fd = connect_addr(addr, why, whylen);
	if (fd < 0)
		return -1;
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = ctx ? SSL_new(ctx) : NULL;
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(why, whylen, "TLS setup failed");
		goto out;
	}
	/* No chain validation here: the question is only whether the server
	 * now serves what was deployed. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (!host_is_ip(sni)) /* RFC 6066 section 3: no IP address in SNI */
		SSL_set_tlsext_host_name(ssl, sni);
	SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	if (SSL_connect(ssl) != 1) {
		snprintf(why, whylen, "TLS handshake with %s failed", addr);
		goto out;
	}
	peer = SSL_get1_peer_certificate(ssl);
	if (peer != NULL)
		peer_len = i2d_X509(peer, &peer_der);
	if (peer_len <= 0 || (size_t)peer_len != cert_len ||
	    memcmp(peer_der, want_cert, cert_len) != 0) {
		snprintf(why, whylen, "%s serves another certificate", addr);
		goto out;
	}
	staple_len = SSL_get_tlsext_status_ocsp_resp(ssl, &staple);
	if (want_staple != NULL && (staple_len <= 0 || (size_t)staple_len != want_len ||
	                            memcmp(staple, want_staple, want_len) != 0)) {
		snprintf(why, whylen, "%s does not staple the deployed response", addr);
		goto out;
	}
	if (want_staple == NULL && staple_len > 0) {
		snprintf(why, whylen, "%s still staples a response that was withdrawn", addr);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(peer_der);
	X509_free(peer);
	if (ssl != NULL)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}

/*
 * haproxy.c: the haproxy:SOCKET target.  DEPLOY/haproxy/NAME.pem (chain +
 * key, 0600) and NAME.pem.ocsp beside it, for HAProxy's next start; the
 * running HAProxy gets every change over its runtime API (SOCKET, an
 * admin-level stats socket), without a reload.
 *
 * Guarantees:
 * - NAME.pem.ocsp never holds a staple for another certificate: without a
 *   valid staple it holds the tryLater placeholder (which still registers
 *   the certificate for stapling when HAProxy starts, so that "set ssl
 *   ocsp-response" can fill it later), and while the certificate changes it
 *   holds the placeholder until the new certificate is written.
 * - A new certificate is pushed as one transaction: "set ssl cert" with the
 *   PEM, the staple as the same transaction's .ocsp (a certificate committed
 *   without it loses its OCSP registration), then "commit ssl cert".  A new
 *   staple alone goes by "set ssl ocsp-response".
 * - The pending marker stays until HAProxy answered "Success!" (or
 *   "OCSP Response updated"), so a push lost to a crash is redone at start.
 * - Every answer is bounded (1 KiB) and waited for at most
 *   HAPROXY_REPLY_TIMEOUT_MS.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "deploy/internal.h"
#include "ocsp/check.h"
#include "util/log.h"

#define HAPROXY_REPLY_TIMEOUT_MS 5000

int haproxy_command(const char *socket_path, const char *command, size_t command_len, char *reply,
                    size_t replylen)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	size_t got = 0, sent = 0;
	int fd, rc = -1;

	if (replylen == 0 || strlen(socket_path) >= sizeof(sa.sun_path))
		return -1;
	reply[0] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	while (sent < command_len) {
		ssize_t n = write(fd, command + sent, command_len - sent);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got + 1 < replylen) {
		ssize_t n;
		int ready = poll(&pfd, 1, HAPROXY_REPLY_TIMEOUT_MS);
		/* A SIGTERM while HAProxy answers must not fail the push. */
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			goto out;
		n = read(fd, reply + got, replylen - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	reply[got] = '\0';
	rc = 0;
out:
	close(fd);
	return rc;
}

int deploy_haproxy(const struct conf *conf, const struct conf_cert *cert,
                   const struct deploy_input *in, const char *sock, int *changed)
{
	char dir[PATH_MAX], pem[PATH_MAX], ocsp[PATH_MAX], marker[PATH_MAX];
	char reply[1024] = "", safe[256];
	char *bundle = NULL, *cmd = NULL, *b64 = NULL;
	const unsigned char *staple = in->staple ? in->staple : staple_placeholder_der;
	size_t staple_len = in->staple ? in->staple_len : sizeof(staple_placeholder_der);
	size_t blen = in->fullchain_len + in->key_len, clen;
	int cert_changed = 0, staple_changed = 0, rc = -1, n, pending, unused = 0, sent;

	if (deploy_target_dir(dir, sizeof(dir), conf, "haproxy") != 0 ||
	    deploy_path(pem, sizeof(pem), dir, cert->name, ".pem") != 0 ||
	    deploy_path(ocsp, sizeof(ocsp), dir, cert->name, ".pem.ocsp") != 0 ||
	    deploy_marker_path(marker, sizeof(marker), dir, cert->name) != 0)
		return -1;
	bundle = malloc(blen + 1);
	if (bundle == NULL)
		return -1;
	memcpy(bundle, in->fullchain_pem, in->fullchain_len);
	memcpy(bundle + in->fullchain_len, in->key_pem, in->key_len);
	bundle[blen] = '\0';
	pending = deploy_pending(marker);
	cert_changed = !deploy_same_content(pem, bundle, blen);
	staple_changed = !deploy_same_content(ocsp, staple, staple_len);
	if ((cert_changed || staple_changed) && deploy_pending_set(marker) != 0)
		goto out;
	/* HAProxy reads NAME.pem.ocsp when it starts and refuses a response for
	 * another certificate: while the certificate changes, the file holds
	 * the placeholder, which fits any certificate. */
	if (cert_changed && deploy_put_file(ocsp, staple_placeholder_der,
	                                    sizeof(staple_placeholder_der), 0644, &unused) != 0)
		goto out;
	if (deploy_put_file(pem, bundle, blen, 0600, &unused) != 0 ||
	    deploy_put_file(ocsp, staple, staple_len, 0644, &unused) != 0)
		goto out;
	*changed |= cert_changed | staple_changed;
	cert_changed |= in->force | pending;
	if (cert_changed) {
		/* set ssl cert with the PEM as payload, then commit: no reload. */
		clen = strlen(pem) + blen + 64;
		cmd = malloc(clen);
		n = cmd ? snprintf(cmd, clen, "set ssl cert %s <<\n%s\n", pem, bundle) : -1;
		sent = n >= 0 && (size_t)n < clen &&
		       haproxy_command(sock, cmd, (size_t)n, reply, sizeof(reply)) == 0;
		if (cmd != NULL)
			OPENSSL_cleanse(cmd, clen); /* it held the private key */
		if (!sent || (strstr(reply, "Transaction created") == NULL &&
		              strstr(reply, "Transaction updated") == NULL)) {
			log_warn("haproxy_update_failed",
			         "cert=%s socket=%s command=\"set ssl cert\" reply=\"%s\"",
			         cert->name, sock, log_safe(safe, sizeof(safe), reply));
			goto out;
		}
		/* The staple travels in the same transaction: a certificate
		 * committed without it loses its OCSP registration. */
		if (in->staple != NULL) {
			size_t b64len = 4 * ((in->staple_len + 2) / 3) + 1;
			char *ocmd;
			b64 = malloc(b64len);
			ocmd = malloc(b64len + strlen(ocsp) + 64);
			if (b64 == NULL || ocmd == NULL) {
				free(ocmd);
				goto out;
			}
			EVP_EncodeBlock((unsigned char *)b64, in->staple, (int)in->staple_len);
			n = snprintf(ocmd, b64len + strlen(ocsp) + 64, "set ssl cert %s <<\n%s\n\n",
			             ocsp, b64);
			if (haproxy_command(sock, ocmd, (size_t)n, reply, sizeof(reply)) != 0 ||
			    strstr(reply, "Transaction updated") == NULL) {
				log_warn(
				    "haproxy_update_failed",
				    "cert=%s socket=%s command=\"set ssl cert .ocsp\" reply=\"%s\"",
				    cert->name, sock, log_safe(safe, sizeof(safe), reply));
				free(ocmd);
				goto out;
			}
			free(ocmd);
		}
		n = snprintf(cmd, clen, "commit ssl cert %s\n", pem);
		if (haproxy_command(sock, cmd, (size_t)n, reply, sizeof(reply)) != 0 ||
		    strstr(reply, "Success!") == NULL) {
			log_warn("haproxy_update_failed",
			         "cert=%s socket=%s command=\"commit ssl cert\" reply=\"%s\"",
			         cert->name, sock, log_safe(safe, sizeof(safe), reply));
			goto out;
		}
		log_info("deployed", "cert=%s target=haproxy socket=%s what=certificate",
		         cert->name, sock);
	}
	if (staple_changed && !cert_changed && in->staple != NULL) {
		b64 = malloc(4 * ((in->staple_len + 2) / 3) + 1);
		clen = 4 * ((in->staple_len + 2) / 3) + 64;
		free(cmd);
		cmd = malloc(clen);
		if (b64 == NULL || cmd == NULL)
			goto out;
		EVP_EncodeBlock((unsigned char *)b64, in->staple, (int)in->staple_len);
		n = snprintf(cmd, clen, "set ssl ocsp-response %s\n", b64);
		if (n < 0 || (size_t)n >= clen ||
		    haproxy_command(sock, cmd, (size_t)n, reply, sizeof(reply)) != 0 ||
		    strstr(reply, "OCSP Response updated") == NULL) {
			log_warn("haproxy_update_failed",
			         "cert=%s socket=%s command=\"set ssl ocsp-response\" reply=\"%s\"",
			         cert->name, sock, log_safe(safe, sizeof(safe), reply));
			goto out;
		}
		log_info("deployed", "cert=%s target=haproxy socket=%s what=staple", cert->name,
		         sock);
	}
	deploy_pending_clear(marker);
	rc = 0;
out:
	if (bundle != NULL)
		OPENSSL_cleanse(bundle, blen);
	free(bundle);
	free(cmd);
	free(b64);
	return rc;
}



#include "deploy/deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "deploy/privsep.h"
#include "ocsp/check.h"
#include "util/atomic.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"

#define HAPROXY_REPLY_TIMEOUT_MS 5000
#define DEPLOY_ID_HEX            16 /* hex digits of SHA-256 that name a generation */

extern char **environ;

/* 1 when path already holds exactly data. */
static int same_content(const char *path, const void *data, size_t len)
{
	unsigned char *old = NULL;
	size_t old_len = 0;
	int same;

	if (store_read_file(path, len + 1, &old, &old_len) != 0)
		return 0;
	same = old_len == len && memcmp(old, data, len) == 0;
	OPENSSL_cleanse(old, old_len);
	free(old);
	return same;
}

/* Write path when its content differs; sets *changed.  0 or -1. */
static int put_file(const char *path, const void *data, size_t len, mode_t mode, int *changed)
{
	if (same_content(path, data, len))
		return 0;
	if (store_write_atomic(path, data, len, mode) != 0)
		return -1;
	*changed = 1;
	return 0;
}

static int path_fmt(char *dst, size_t len, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(dst, len, "%s/%s%s", dir, name, ext);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* dst = the first DEPLOY_ID_HEX hex digits of SHA-256(a || b): a name for
 * files that is fixed by their content.  0 or -1. */
static int content_id(char dst[DEPLOY_ID_HEX + 1], const void *a, size_t alen, const void *b,
                      size_t blen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int i, ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < DEPLOY_ID_HEX / 2; i++)
		snprintf(dst + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/*
 * The pending marker DIR/.NAME.pending exists from before a deploy changes
 * a file until the server confirmed it loaded the change (reload command
 * exit 0, HAProxy "Success!").  It survives a crash: the next start finds
 * the files already as they should be and would otherwise never tell the
 * server, which then serves the old certificate until something else
 * changes.
 */
static int marker_path(char *dst, size_t len, const char *dir, const char *name)
{
	int n = snprintf(dst, len, "%s/.%s.pending", dir, name);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Create the marker (durably) unless it exists.  0 or -1 (logged). */
static int pending_set(const char *marker)
{
	if (access(marker, F_OK) == 0)
		return 0;
	return store_write_atomic(marker, "", 0, 0644);
}

static void pending_clear(const char *marker)
{
	if (unlink(marker) != 0 && errno != ENOENT)
		log_warn("file_remove_failed", "file=%s reason=\"%s\"", marker, strerror(errno));
}

/* 1 when f is NAME.<DEPLOY_ID_HEX hex digits>.crt, .key or .ocsp. */
static int is_generation_file(const char *f, const char *name)
{
	size_t nl = strlen(name), i;
	const char *ext;

	if (strncmp(f, name, nl) != 0 || f[nl] != '.')
		return 0;
	for (i = 0; i < DEPLOY_ID_HEX; i++) {
		char c = f[nl + 1 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	ext = f + nl + 1 + DEPLOY_ID_HEX;
	return strcmp(ext, ".crt") == 0 || strcmp(ext, ".key") == 0 || strcmp(ext, ".ocsp") == 0;
}

/* Remove the generation files of name in dir that neither include text
 * names (keep_old may be NULL).  The previous include's files stay: nginx
 * may be parsing it right now, since a reload runs after the command that
 * asked for it returned. */
static void generations_prune(const char *dir, const char *name, const char *keep_new,
                              const char *keep_old)
{
	char path[PATH_MAX], named[PATH_MAX + 2];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int n;
		if (!is_generation_file(de->d_name, name) ||
		    path_fmt(path, sizeof(path), dir, de->d_name, "") != 0)
			continue;
		/* Named in an include as "PATH;". */
		n = snprintf(named, sizeof(named), "%s;", path);
		if (n < 0 || (size_t)n >= sizeof(named))
			continue;
		if (strstr(keep_new, named) != NULL ||
		    (keep_old != NULL && strstr(keep_old, named) != NULL))
			continue;
		if (unlink(path) != 0 && errno != ENOENT)
			log_warn("file_remove_failed", "file=%s reason=\"%s\"", path,
			         strerror(errno));
	}
	closedir(d);
}

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

/*
 * nginx reads the include and every file it names while it parses its
 * configuration, which a reload does after the reload command returned.
 * So the include is the one switch: it names NAME.ID.crt/.key (ID from the
 * certificate and key) and NAME.ID.ocsp (ID from the staple), each written
 * whole before the include and never rewritten.  A crash at any point, or a
 * parse at any moment, sees the old set or the new one, never a new
 * certificate with the old key or a staple for another certificate.
 */
static int deploy_nginx(const struct conf *conf, const struct conf_cert *cert,
                        const struct deploy_input *in, int *changed)
{
	char dir[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], ocsp[PATH_MAX], inc[PATH_MAX];
	char marker[PATH_MAX], text[3 * PATH_MAX + 256], id[DEPLOY_ID_HEX + 1];
	char ext[DEPLOY_ID_HEX + 8], staple_id[DEPLOY_ID_HEX + 1];
	unsigned char *old = NULL;
	size_t old_len = 0;
	int n, mine = 0, pending, rc = -1;

	if (path_fmt(dir, sizeof(dir), conf->deploy_dir, "nginx", "") != 0 ||
	    mkdir_p(dir, 0755) != 0 ||
	    content_id(id, in->fullchain_pem, in->fullchain_len, in->key_pem, in->key_len) != 0 ||
	    (in->staple != NULL && content_id(staple_id, in->staple, in->staple_len, "", 0) != 0) ||
	    path_fmt(inc, sizeof(inc), dir, cert->name, ".conf") != 0 ||
	    marker_path(marker, sizeof(marker), dir, cert->name) != 0)
		return -1;
	snprintf(ext, sizeof(ext), ".%s.crt", id);
	if (path_fmt(crt, sizeof(crt), dir, cert->name, ext) != 0)
		return -1;
	snprintf(ext, sizeof(ext), ".%s.key", id);
	if (path_fmt(key, sizeof(key), dir, cert->name, ext) != 0)
		return -1;
	snprintf(ext, sizeof(ext), ".%s.ocsp", in->staple ? staple_id : "");
	if (in->staple != NULL && path_fmt(ocsp, sizeof(ocsp), dir, cert->name, ext) != 0)
		return -1;
	n = snprintf(text, sizeof(text),
	             "# generated by holdfast for [certificate %s]; do not edit\n"
	             "ssl_certificate %s;\n"
	             "ssl_certificate_key %s;\n"
	             "%s%s%s",
	             cert->name, crt, key,
	             in->staple ? "ssl_stapling on;\nssl_stapling_file "
	                        : "# no valid OCSP staple: stapling off\n",
	             in->staple ? ocsp : "", in->staple ? ";\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	if (store_read_file(inc, sizeof(text), &old, &old_len) != 0)
		old = NULL;
	pending = access(marker, F_OK) == 0;
	if (put_file(crt, in->fullchain_pem, in->fullchain_len, 0644, &mine) != 0 ||
	    put_file(key, in->key_pem, in->key_len, 0600, &mine) != 0 ||
	    (in->staple != NULL && put_file(ocsp, in->staple, in->staple_len, 0644, &mine) != 0))
		goto out;
	if ((mine || !same_content(inc, text, (size_t)n)) &&
	    (pending_set(marker) != 0 || put_file(inc, text, (size_t)n, 0644, &mine) != 0))
		goto out;
	if (mine || in->force || pending) {
		*changed |= mine;
		if ((privsep_active() ? privsep_run(PRIV_NGINX_RELOAD, cert->name, NULL)
		                      : spawn_run(conf->nginx_reload.items, "nginx-reload")) != 0)
			goto out; /* the marker stays: the next try or start reloads */
		pending_clear(marker);
		log_info("deployed", "cert=%s target=nginx include=%s staple=%s", cert->name, inc,
		         in->staple ? "yes" : "no");
	}
	generations_prune(dir, cert->name, text, (const char *)old);
	rc = 0;
out:
	free(old);
	return rc;
}

static int deploy_apache(const struct conf *conf, const struct conf_cert *cert,
                         const struct deploy_input *in, int *changed)
{
	char dir[PATH_MAX], pem[PATH_MAX], marker[PATH_MAX];
	unsigned char *both;
	size_t len = in->key_len + in->fullchain_len;
	int mine = 0, pending, rc = -1;

	/* One file, key then chain (SSLCertificateFile without
	 * SSLCertificateKeyFile): one rename switches both, so Apache can never
	 * load a key and a certificate of different issuances. */
	if (path_fmt(dir, sizeof(dir), conf->deploy_dir, "apache", "") != 0 ||
	    mkdir_p(dir, 0755) != 0 || path_fmt(pem, sizeof(pem), dir, cert->name, ".pem") != 0 ||
	    marker_path(marker, sizeof(marker), dir, cert->name) != 0 ||
	    (both = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(both, in->key_pem, in->key_len);
	memcpy(both + in->key_len, in->fullchain_pem, in->fullchain_len);
	pending = access(marker, F_OK) == 0;
	if (!same_content(pem, (const char *)both, len) && pending_set(marker) != 0)
		goto out;
	if (put_file(pem, (const char *)both, len, 0600, &mine) != 0)
		goto out;
	if (mine || in->force || pending) {
		*changed |= mine;
		if ((privsep_active() ? privsep_run(PRIV_APACHE_RELOAD, cert->name, NULL)
		                      : spawn_run(conf->apache_reload.items, "apache-reload")) != 0)
			goto out; /* the marker stays: the next try or start reloads */
		pending_clear(marker);
		log_info("deployed", "cert=%s target=apache file=%s", cert->name, pem);
	}
	rc = 0;
out:
	OPENSSL_cleanse(both, len);
	free(both);
	return rc;
}

static int deploy_haproxy(const struct conf *conf, const struct conf_cert *cert,
                          const struct deploy_input *in, const char *sock, int *changed)
{
	char dir[PATH_MAX], pem[PATH_MAX], ocsp[PATH_MAX], marker[PATH_MAX], reply[1024];
	char safe[256];
	char *bundle = NULL, *cmd = NULL, *b64 = NULL;
	const unsigned char *staple = in->staple ? in->staple : staple_placeholder_der;
	size_t staple_len = in->staple ? in->staple_len : sizeof(staple_placeholder_der);
	size_t blen = in->fullchain_len + in->key_len, clen;
	int cert_changed = 0, staple_changed = 0, rc = -1, n, pending, unused = 0;

	if (path_fmt(dir, sizeof(dir), conf->deploy_dir, "haproxy", "") != 0 ||
	    mkdir_p(dir, 0755) != 0 || path_fmt(pem, sizeof(pem), dir, cert->name, ".pem") != 0 ||
	    path_fmt(ocsp, sizeof(ocsp), dir, cert->name, ".pem.ocsp") != 0 ||
	    marker_path(marker, sizeof(marker), dir, cert->name) != 0)
		return -1;
	bundle = malloc(blen + 1);
	if (bundle == NULL)
		return -1;
	memcpy(bundle, in->fullchain_pem, in->fullchain_len);
	memcpy(bundle + in->fullchain_len, in->key_pem, in->key_len);
	bundle[blen] = '\0';
	pending = access(marker, F_OK) == 0;
	cert_changed = !same_content(pem, bundle, blen);
	staple_changed = !same_content(ocsp, staple, staple_len);
	if ((cert_changed || staple_changed) && pending_set(marker) != 0)
		goto out;
	/* HAProxy reads NAME.pem.ocsp when it starts and refuses a response for
	 * another certificate: while the certificate changes, the file holds
	 * the placeholder, which fits any certificate. */
	if (cert_changed && put_file(ocsp, staple_placeholder_der, sizeof(staple_placeholder_der),
	                             0644, &unused) != 0)
		goto out;
	if (put_file(pem, bundle, blen, 0600, &unused) != 0 ||
	    put_file(ocsp, staple, staple_len, 0644, &unused) != 0)
		goto out;
	*changed |= cert_changed | staple_changed;
	cert_changed |= in->force | pending;
	if (cert_changed) {
		/* set ssl cert with the PEM as payload, then commit: no reload. */
		clen = strlen(pem) + blen + 64;
		cmd = malloc(clen);
		n = cmd ? snprintf(cmd, clen, "set ssl cert %s <<\n%s\n", pem, bundle) : -1;
		if (n < 0 || (size_t)n >= clen ||
		    haproxy_command(sock, cmd, (size_t)n, reply, sizeof(reply)) != 0 ||
		    (strstr(reply, "Transaction created") == NULL &&
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
	pending_clear(marker);
	rc = 0;
out:
	if (bundle != NULL)
		OPENSSL_cleanse(bundle, blen);
	if (cmd != NULL && cert_changed)
		OPENSSL_cleanse(cmd, strlen(cmd));
	free(bundle);
	free(cmd);
	free(b64);
	return rc;
}

int deploy_certificate(const struct conf *conf, const struct conf_cert *cert,
                       const struct deploy_input *in, int *changed)
{
	size_t i;
	int rc = 0;

	*changed = 0;
	for (i = 0; i < cert->deploy.count; i++) {
		const char *t = cert->deploy.items[i];
		int r;
		if (strcmp(t, "nginx") == 0)
			r = deploy_nginx(conf, cert, in, changed);
		else if (strcmp(t, "apache") == 0)
			r = deploy_apache(conf, cert, in, changed);
		else if (strncmp(t, "haproxy:", 8) == 0)
			r = deploy_haproxy(conf, cert, in, t + 8, changed);
		else {
			log_error("deploy_failed", "cert=%s target=%s reason=\"unknown target\"",
			          cert->name, t);
			r = -1;
		}
		if (r != 0) {
			log_error("deploy_failed", "cert=%s target=%s", cert->name, t);
			rc = -1;
		}
	}
	/* With no target to compare against, every deploy event is news to the
	 * hook (a new certificate, a refreshed or withdrawn staple, a start). */
	if (cert->deploy.count == 0 && cert->deploy_hook != NULL)
		*changed = 1;
	if (*changed && cert->deploy_hook != NULL) {
		char *argv[] = {cert->deploy_hook, (char *)in->event, cert->name, NULL};
		if (privsep_active())
			privsep_run(PRIV_DEPLOY_HOOK, cert->name, in->event);
		else
			spawn_run(argv, "deploy-hook");
	}
	return rc;
}

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

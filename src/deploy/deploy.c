/*
 * deploy.c: deploy_certificate() hands one certificate to each target its
 * [certificate] section names (nginx.c, haproxy.c, apache.c) and then to its
 * deploy hook (hook.c); below it, what the targets share (internal.h).
 *
 * Guarantees: every target is tried even when an earlier one failed, and
 * each failure is logged with the target; the hook runs only when a target
 * changed a file, or on every deploy event when there is no target to
 * compare against.  Files are replaced whole and only when their content
 * differs; the pending marker outlives a crash between writing a file and
 * the server's confirmation.
 */

#include "deploy/deploy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "deploy/internal.h"
#include "deploy/privsep.h"
#include "util/atomic.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"

int deploy_same_content(const char *path, const void *data, size_t len)
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

int deploy_put_file(const char *path, const void *data, size_t len, mode_t mode, int *changed)
{
	if (deploy_same_content(path, data, len))
		return 0;
	if (store_write_atomic(path, data, len, mode) != 0)
		return -1;
	*changed = 1;
	return 0;
}

int deploy_path(char *dst, size_t len, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(dst, len, "%s/%s%s", dir, name, ext);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int deploy_target_dir(char *dst, size_t len, const struct conf *conf, const char *target)
{
	if (deploy_path(dst, len, conf->deploy_dir, target, "") != 0)
		return -1;
	return mkdir_p(dst, 0755);
}

int deploy_content_id(char dst[DEPLOY_ID_HEX + 1], const void *a, size_t alen, const void *b,
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

int deploy_marker_path(char *dst, size_t len, const char *dir, const char *name)
{
	int n = snprintf(dst, len, "%s/.%s.pending", dir, name);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int deploy_pending(const char *marker)
{
	return access(marker, F_OK) == 0;
}

int deploy_pending_set(const char *marker)
{
	if (deploy_pending(marker))
		return 0;
	return store_write_atomic(marker, "", 0, 0644);
}

void deploy_pending_clear(const char *marker)
{
	if (unlink(marker) != 0 && errno != ENOENT)
		log_warn("file_remove_failed", "file=%s reason=\"%s\"", marker, strerror(errno));
}

int deploy_run(enum privsep_command command, const char *cert_name, const char *event,
               char *const argv[], const char *what)
{
	if (privsep_active())
		return privsep_run(command, cert_name, event);
	return spawn_run(argv, what);
}

/* Add target to res's list of failed targets. */
static void result_failed(struct deploy_result *res, const char *target)
{
	size_t at = strlen(res->failed), room = sizeof(res->failed) - at;
	int n = snprintf(res->failed + at, room, "%s%s", at ? " " : "", target);

	if (n < 0 || (size_t)n >= room)
		memcpy(res->failed + sizeof(res->failed) - 4, "...", 4);
}

int deploy_certificate(const struct conf *conf, const struct conf_cert *cert,
                       const struct deploy_input *in, int *changed, struct deploy_result *res)
{
	struct deploy_result local;
	size_t i;
	int rc = 0;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
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
			result_failed(res, t);
			rc = -1;
		}
	}
	/* With no target to compare against, every deploy event is news to the
	 * hook (a new certificate, a refreshed or withdrawn staple, a start). */
	if (cert->deploy.count == 0 && cert->deploy_hook != NULL)
		*changed = 1;
	if ((*changed || in->hook_retry) && cert->deploy_hook != NULL &&
	    deploy_hook_run(cert, in->event) != 0) {
		log_error("deploy_failed", "cert=%s target=%s", cert->name, DEPLOY_HOOK_TARGET);
		result_failed(res, DEPLOY_HOOK_TARGET);
		res->hook_failed = 1;
		rc = -1;
	}
	return rc;
}

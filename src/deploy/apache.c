/*
 * apache.c: the Apache target.  DEPLOY/apache/NAME.pem (0600) holds the key,
 * then the full chain: one file for SSLCertificateFile without
 * SSLCertificateKeyFile, so one rename switches both and Apache can never
 * load a key and a certificate of different issuances.  A change is followed
 * by the graceful restart command (apache_reload); the pending marker stays
 * until it exited 0.  Staples do not go through this file: mod_ssl cannot
 * read one, and gets holdfast's from ocsp_listen (ocsp/responder.h) instead.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "deploy/internal.h"
#include "util/log.h"

int deploy_apache(const struct conf *conf, const struct conf_cert *cert,
                  const struct deploy_input *in, int *changed)
{
	char dir[PATH_MAX], pem[PATH_MAX], marker[PATH_MAX];
	unsigned char *both;
	size_t len = in->key_len + in->fullchain_len;
	int mine = 0, pending, rc = -1;

	if (deploy_target_dir(dir, sizeof(dir), conf, "apache") != 0 ||
	    deploy_path(pem, sizeof(pem), dir, cert->name, ".pem") != 0 ||
	    deploy_marker_path(marker, sizeof(marker), dir, cert->name) != 0 ||
	    (both = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(both, in->key_pem, in->key_len);
	memcpy(both + in->key_len, in->fullchain_pem, in->fullchain_len);
	pending = deploy_pending(marker);
	if (!deploy_same_content(pem, (const char *)both, len) && deploy_pending_set(marker) != 0)
		goto out;
	if (deploy_put_file(pem, (const char *)both, len, 0600, &mine) != 0)
		goto out;
	if (mine || in->force || pending) {
		*changed |= mine;
		if (deploy_run(PRIV_APACHE_RELOAD, cert->name, NULL, conf->apache_reload.items,
		               "apache-reload") != 0)
			goto out; /* the marker stays: the next try or start reloads */
		deploy_pending_clear(marker);
		log_info("deployed", "cert=%s target=apache file=%s", cert->name, pem);
	}
	rc = 0;
out:
	OPENSSL_cleanse(both, len);
	free(both);
	return rc;
}

/*
 * certstore: the store's former interface, kept only for the files not yet
 * wired to store.h (src/cli/status.c).  It reads through store.h, so it
 * knows no layout of its own; the coordinator deletes it once status.c uses
 * store_cert_load() and store_state_json_load().
 */
#ifndef HOLDFAST_CERTSTORE_H
#define HOLDFAST_CERTSTORE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store/store.h"

#define CERTSTORE_META_MAX STORE_META_MAX

struct cert_info {
	X509 *cert;
	STACK_OF(X509) * chain; /* everything after the leaf in fullchain.pem */
	EVP_PKEY *key;
	json_t *meta;
	time_t not_before, not_after;
	char serial[128];
	int placeholder;
};

/* store_cert_load() of the files store at store, as a cert_info; 0, or -1
 * with errno ENOENT (absent) or EINVAL (inconsistent). */
int certstore_load(const char *store, const char *name, struct cert_info *out);
void cert_info_free(struct cert_info *ci);

/* Read at most max bytes of path and parse a JSON object.  New reference,
 * or NULL with errno set (EBADMSG: not a JSON object). */
json_t *certstore_json_load(const char *path, size_t max);

#endif

/*
 * storage: every access of the audit to the store, in one place and all
 * through the store interface (src/store/store.h): the stored certificates'
 * leaves (for their AIA and CRL hosts), the state of the last audit (read
 * and replaced), the RDAP bootstrap cache handed to rdap_bootstrap_load, and
 * the account URL of each CA (for CAA's accounturi; never a key).
 * The audit may run with only --store DIR and no configuration, so each
 * call opens the store at that directory.
 *
 * Guarantees: nothing here fails the audit.  What cannot be read is absent
 * (logged where absence is not expected); the state is replaced atomically
 * (util/atomic.h) or not at all, logged.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "audit/internal.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/log.h"
#include "x509/cert.h"

#define AUDIT_STATE_MAX (16 * 1024 * 1024)

/* The store at dir for reading, or NULL (logged at debug: a missing store is
 * an audit of domains only). */
static struct store *storage_open(const char *dir)
{
	char err[256];
	struct store *st = store_open_dir(dir, 0, err, sizeof(err));

	if (st == NULL)
		log_debug("audit_store_missing", "path=\"%s\" reason=\"%s\"", dir, err);
	return st;
}

void audit_store_certificates_each(const char *store, void (*fn)(const char *name, void *arg),
                                   void *arg)
{
	struct store *st = storage_open(store);
	char **names = NULL;
	size_t count = 0, i;

	if (st == NULL || store_cert_names(st, &names, &count) != 0) {
		store_free(st);
		return;
	}
	for (i = 0; i < count; i++)
		fn(names[i], arg);
	store_names_free(names, count);
	store_free(st);
}

STACK_OF(X509) * audit_store_certificate_load(const char *store, const char *name)
{
	struct store *st = storage_open(store);
	struct store_version *v = st ? store_version_open(st, name) : NULL;
	unsigned char *leaf = NULL, *issuer = NULL;
	size_t leaf_len = 0, issuer_len = 0, pem_len = 0;
	const unsigned char *p;
	STACK_OF(X509) *chain = NULL;
	char *pem = NULL;
	X509 *x = NULL;

	/* The certificate served: the leaf of the current version. */
	if (v == NULL || store_version_cert_load(v, &pem, &pem_len) != 0 ||
	    cert_pem_leaf_issuer_der(pem, pem_len, &leaf, &leaf_len, &issuer, &issuer_len) != 0) {
		log_debug("audit_no_stored_certificate", "cert=%s", name);
		goto out;
	}
	p = leaf;
	if ((x = d2i_X509(NULL, &p, (long)leaf_len)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL || sk_X509_push(chain, x) == 0) {
		X509_free(x);
		sk_X509_free(chain);
		chain = NULL;
	}
out:
	free(pem);
	free(leaf);
	free(issuer);
	store_version_free(v);
	store_free(st);
	return chain;
}

json_t *audit_store_state_load(const char *store)
{
	struct store *st = storage_open(store);
	unsigned char *data = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	char where[512];
	size_t len = 0;

	if (st == NULL)
		return NULL;
	store_state_where(st, STORE_STATE_AUDIT, where, sizeof(where));
	if (store_state_load(st, STORE_STATE_AUDIT, AUDIT_STATE_MAX, &data, &len) != 0) {
		if (errno != ENOENT)
			log_warn("audit_state_unreadable", "path=\"%s\" reason=\"%s\"", where,
			         strerror(errno));
		store_free(st);
		return NULL;
	}
	root = json_loadb((const char *)data, len, 0, &jerr);
	free(data);
	if (root == NULL || !json_is_object(json_object_get(root, "domains"))) {
		log_warn("audit_state_unreadable", "path=\"%s\" reason=\"not an audit state file\"",
		         where);
		json_decref(root);
		root = NULL;
	}
	store_free(st);
	return root;
}

void audit_store_state_save(const char *store, const char *text, size_t len)
{
	/* The store makes STORE/audit if need be (logged when it cannot). */
	struct store *st = storage_open(store);

	if (st != NULL)
		(void)store_state_save(st, STORE_STATE_AUDIT, text, len);
	store_free(st);
}

int audit_store_bootstrap_cache(const char *store, char *dst, size_t dstlen)
{
	struct store *st;
	int rc;

	/* rdap_bootstrap_load() makes STORE/rdap, not STORE itself. */
	if (mkdir_p(store, 0755) != 0)
		log_debug("audit_store_missing", "path=\"%s\"", store);
	st = storage_open(store);
	rc = st ? store_state_path(st, STORE_STATE_RDAP_BOOTSTRAP, dst, dstlen) : -1;

	store_free(st);
	return rc;
}

void audit_store_account_url(const char *store, const char *ca, const char *directory, char *dst,
                             size_t dstlen)
{
	struct store *st = storage_open(store);

	dst[0] = '\0';
	if (st != NULL && store_account_kid_load(st, ca, directory, dst, dstlen) != 0)
		log_debug("audit_account_unreadable", "ca=%s reason=\"%s\"", ca, strerror(errno));
	store_free(st);
}

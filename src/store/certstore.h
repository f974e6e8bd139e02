/*
 * certstore: certificates, keys and their metadata in the store.
 *
 *   STORE/certificates/NAME is a symlink to .versions/NAME.TIME.RANDOM, a
 *   directory holding cert.pem, chain.pem, fullchain.pem, privkey.pem (0600)
 *   and meta.json; accounts live in STORE/accounts/CA with account.key
 *   (0600) and account.json.
 *
 * A new certificate is written whole into a fresh version directory, and only
 * then does the NAME symlink switch to it with one rename().  So a reader of
 * the files under STORE/certificates/NAME sees either the complete old set or
 * the complete new set, never a key from one issuance with a certificate from
 * another, and a crash at any point leaves the previous set in place.
 * meta.json of the current version is updated in place (atomically) between
 * issuances.
 */
#ifndef HOLDFAST_CERTSTORE_H
#define HOLDFAST_CERTSTORE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define CERTSTORE_VERSIONS_KEPT 3

struct cert_info {
	X509 *cert;
	STACK_OF(X509) * chain; /* everything after the leaf in fullchain.pem */
	EVP_PKEY *key;
	json_t *meta;
	time_t not_before, not_after;
	char serial[128];
	int placeholder;
};

/* Load the current set of NAME; 0, or -1 when absent (errno ENOENT) or
 * inconsistent (errno EINVAL: key does not match, unreadable files). */
int certstore_load(const char *store, const char *name, struct cert_info *out);
void cert_info_free(struct cert_info *ci);

/* Install key + chain_pem (leaf first) with meta as the new current set.
 * 0 or -1 (logged). */
int certstore_install(const char *store, const char *name, EVP_PKEY *key, const char *chain_pem,
                      json_t *meta);

/* Replace meta.json of the current set. 0 or -1. */
int certstore_meta_write(const char *store, const char *name, json_t *meta);

/* The store's JSON files (meta.json, account.json, the daemon's state):
 * read at most max bytes of path and parse a JSON object.  New reference, or
 * NULL with errno set (EBADMSG: not a JSON object). */
#define CERTSTORE_META_MAX (256 * 1024)
json_t *certstore_json_load(const char *path, size_t max);

/* A self-signed certificate for names, valid days from now, whose subject
 * says it is a temporary placeholder.  New PEM (free()) or NULL. */
char *certstore_placeholder_pem_new(EVP_PKEY *key, char *const *names, size_t count, int days);

/* The account key for CA (created with EC P-256 when absent) and the stored
 * account URL for directory (kid, "" when none).  0 or -1. */
int certstore_account_load(const char *store, const char *ca, const char *directory, EVP_PKEY **key,
                           char *kid, size_t kidlen);
int certstore_account_save_kid(const char *store, const char *ca, const char *directory,
                               const char *kid);

#endif

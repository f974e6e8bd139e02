/*
 * store/backend.h: what a store backend implements; included only inside
 * src/store/.
 *
 * store.c does everything that does not depend on where things are kept --
 * PEM and DER, keys, meta.json's schema, the checks of a loaded set -- and
 * hands bytes to a backend through struct store_ops.  A backend embeds
 * struct store (and struct store_version, struct store_state_stream) as its
 * first member.  files.c is the one backend today; a database backend
 * implements the same table, and may keep a files store for its node's local
 * copy (the daemon deploys from local files) and forward the version
 * operations to it.
 *
 * Every operation returns 0 or -1 with errno set; reads do not log (a
 * missing file is often expected); writes log their failure once.
 */
#ifndef HOLDFAST_STORE_BACKEND_H
#define HOLDFAST_STORE_BACKEND_H

#include "store/store.h"

struct store_ops;

struct store {
	const struct store_ops *ops;
};

struct store_version {
	struct store *st;
	const char *name; /* the certificate's */
};

struct store_state_stream {
	FILE *file;
	int (*commit)(struct store_state_stream *s); /* frees s */
	void (*abort)(struct store_state_stream *s); /* frees s */
};

/* A new certificate set, encoded: every aspect but the staple. */
struct store_set {
	const char *name;
	const char *cert_pem, *chain_pem, *fullchain_pem, *key_pem, *meta_json;
	size_t cert_len, chain_len, fullchain_len, key_len, meta_len;
	const unsigned char *leaf_der, *issuer_der; /* issuer_der NULL: none */
	size_t leaf_der_len, issuer_der_len;
	const struct cert_meta *meta;
};

enum store_account_aspect { STORE_ACCOUNT_KEY, STORE_ACCOUNT_JSON };

/* The two files of a cached CRL, keyed by the hex SHA-256 of its URL. */
enum store_crl_aspect { STORE_CRL_DATA, STORE_CRL_VALIDATORS };

struct store_ops {
	const char *name;
	void (*free)(struct store *st);

	/* Certificates: install a set, list names, pin a version. */
	int (*install)(struct store *st, const struct store_set *set);
	int (*names)(struct store *st, char ***names, size_t *count);
	struct store_version *(*version_open)(struct store *st, const char *name);
	void (*version_free)(struct store_version *v);
	const char *(*version_id)(const struct store_version *v);
	const char *(*version_where)(const struct store_version *v, enum store_aspect a, char *dst,
	                             size_t len);
	int (*version_read)(struct store_version *v, enum store_aspect a, size_t max,
	                    unsigned char **out, size_t *len);
	/* The start's read: leaf and issuer DER, renew_at, placeholder; the key
	 * checked, not read (see store_version_start_load). */
	int (*version_start)(struct store_version *v, struct store_start *out, char *why,
	                     size_t whylen);
	/* Replace meta.json (json, len bytes, encoding meta) of v. */
	int (*version_meta_save)(struct store_version *v, const struct cert_meta *meta,
	                         const char *json, size_t len);
	int (*version_staple_save)(struct store_version *v, const unsigned char *der, size_t len);

	/* Accounts: key and account.json of a CA. */
	int (*account_read)(struct store *st, const char *ca, enum store_account_aspect a,
	                    size_t max, unsigned char **out, size_t *len);
	int (*account_write)(struct store *st, const char *ca, enum store_account_aspect a,
	                     const void *data, size_t len);
	const char *(*account_where)(struct store *st, const char *ca, enum store_account_aspect a,
	                             char *dst, size_t len);

	/* The CRL cache: key is 64 hex digits (store.c makes it). */
	int (*crl_read)(struct store *st, const char *key, enum store_crl_aspect a, size_t max,
	                unsigned char **out, size_t *len);
	int (*crl_write)(struct store *st, const char *key, enum store_crl_aspect a,
	                 const void *data, size_t len);
	const char *(*crl_where)(struct store *st, const char *key, enum store_crl_aspect a,
	                         char *dst, size_t len);

	/* Named documents. */
	int (*state_read)(struct store *st, enum store_state doc, size_t max, unsigned char **out,
	                  size_t *len);
	int (*state_write)(struct store *st, enum store_state doc, const void *data, size_t len);
	int (*state_append)(struct store *st, enum store_state doc, const void *data, size_t len);
	struct store_state_stream *(*state_stream_open)(struct store *st, enum store_state doc);
	const char *(*state_where)(struct store *st, enum store_state doc, char *dst, size_t len);
	int (*state_path)(struct store *st, enum store_state doc, char *dst, size_t len);
};

/* The files backend at dir (files.c). */
struct store *store_files_open(const char *dir, unsigned flags, char *err, size_t errlen);

#endif

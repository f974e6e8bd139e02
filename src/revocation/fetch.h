/*
 * revocation/fetch: getting a certificate's CRL and its issuer over HTTP,
 * with the CRL cache in the store.
 *
 * crl_fetch_check() asks the certificate's CRL distribution points in order
 * (http:// only: RFC 5280 4.2.1.13 names http and ldap, and a CRL fetched
 * over https could need the very revocation check it is for), on a client
 * whose body limit is crl_max_size (so an oversized CRL is cut off while it
 * arrives, and a body is parsed in place, never copied).  With a store, the
 * last accepted CRL of each URL is kept (store_crl_load/save) and the next
 * request is conditional (If-None-Match / If-Modified-Since); a 304 reuses
 * the cached copy.  What is accepted is decided by crl_check() only, and:
 *
 * - a refused answer (garbage, too large, bad signature, wrong shard, an
 *   HTTP error, no answer) never replaces the cached copy, which is then
 *   the answer (stale or not);
 * - a valid CRL older (by thisUpdate) than the cached one is refused too
 *   (older-than-cached): a replayed CRL cannot un-revoke a certificate;
 * - an indirect CRL (RFC 5280 5.2.5) is checked with crl_check_indirect()
 *   against the CRL issuer's certificate found at the CRL's own caIssuers
 *   (its authorityInfoAccess, 5.2.7), fetched each time; one the CA did not
 *   certify is refused there;
 * - the first distribution point with a current (not stale) answer wins; a
 *   stale answer is kept while the others are asked, and used only when none
 *   has a current one.
 *
 * revocation_issuer_fetch() gets the issuer from the certificate's AIA
 * caIssuers URLs (http://, DER or PEM; RFC 5280 4.2.2.1) into the shared
 * cacerts set, keeping the first one that verifies the certificate.
 */
#ifndef HOLDFAST_REVOCATION_FETCH_H
#define HOLDFAST_REVOCATION_FETCH_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "revocation/crl.h"
#include "store/store.h"
#include "util/http.h"
#include "x509/cacerts.h"
#include "x509/cert.h"

#define CRL_URL_MAX 2048

/* One distribution point that gave no usable answer. */
struct crl_fetch_error {
	char url[CRL_URL_MAX];
	enum crl_error error;
	char detail[HTTP_DETAIL_MAX];
};

enum crl_source {
	CRL_SOURCE_NONE,         /* no answer */
	CRL_SOURCE_FETCHED,      /* a new CRL, accepted (and cached) */
	CRL_SOURCE_NOT_MODIFIED, /* 304: the cached copy is still the CRL */
	CRL_SOURCE_CACHED,       /* the distribution point failed: the cached copy */
};

const char *crl_source_name(enum crl_source s);

/* What a CRL check ends with. */
struct crl_answer {
	enum crl_source source;
	struct crl_verdict verdict; /* of the CRL used; meaningful unless source NONE */
	char url[CRL_URL_MAX];      /* the distribution point it is from */
	int cached;                 /* 1 when it was saved to the store */
	struct crl_fetch_error errors[CERT_URLS_MAX];
	size_t error_count;
};

/* Check cert (issued by issuer; name says which in logs) against the CRLs
 * at urls (count at most CERT_URLS_MAX), on client (whose body_limit should
 * be max), with the cache in st (NULL: no cache), at now; the rules above.
 * Fills out; 0 when an answer was had (out->source != CRL_SOURCE_NONE), -1
 * when none (the reasons in out->errors).  Each failure is logged once
 * (crl_fetch_failed). */
int crl_fetch_check(struct http_client *client, struct store *st, const char *name,
                    char *const *urls, size_t count, size_t max, X509 *cert, X509 *issuer,
                    time_t now, struct crl_answer *out);

/* The issuer of cert from its AIA caIssuers http URLs, fetched on client,
 * decoded into set (borrowed from it), the first that issued cert (name and
 * signature).  NULL with the reason in why. */
X509 *revocation_issuer_fetch(struct http_client *client, X509 *cert, struct cacerts *set,
                              char *why, size_t whylen);

#endif

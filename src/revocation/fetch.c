/*
 * revocation/fetch: CRLs and issuers over HTTP.  See fetch.h for the rules.
 *
 * Sequential (http_perform): the CLI asks about one certificate at a time,
 * and a certificate has one or two distribution points.  The request's body
 * buffer is what crl_check() parses, and when the CRL is accepted the same
 * bytes are what the store writes: one copy of the CRL in memory.
 */

#include "revocation/fetch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "util/log.h"

const char *crl_source_name(enum crl_source s)
{
	switch (s) {
	case CRL_SOURCE_FETCHED:
		return "fetched";
	case CRL_SOURCE_NOT_MODIFIED:
		return "not-modified";
	case CRL_SOURCE_CACHED:
		return "cached";
	default:
		return "none";
	}
}

/* Note that url gave no usable answer, and log it once. */
static void fetch_fail(struct crl_answer *out, const char *name, const char *url, enum crl_error e,
                       const char *detail)
{
	struct crl_fetch_error *err;
	char su[512], sd[HTTP_DETAIL_MAX];

	log_warn("crl_fetch_failed", "cert=%s url=\"%s\" error=%s detail=\"%s\"", name,
	         log_safe(su, sizeof(su), url), crl_error_name(e),
	         log_safe(sd, sizeof(sd), detail));
	if (out->error_count >= CERT_URLS_MAX)
		return;
	err = &out->errors[out->error_count++];
	snprintf(err->url, sizeof(err->url), "%s", url);
	err->error = e;
	snprintf(err->detail, sizeof(err->detail), "%s", detail);
}

/* The certificate at url (http://, DER or PEM), owned, or NULL. */
static X509 *crl_signer_fetch(struct http_client *client, const char *url)
{
	struct http_request req;
	X509 *x = NULL;

	if (strncmp(url, "http://", 7) != 0 || http_request_init(&req, url) != 0)
		return NULL;
	if (http_perform(client, &req) == 0 && req.outcome == HTTP_OUTCOME_OK &&
	    req.status == 200 && req.body.len > 0 && req.body.len <= INT_MAX) {
		const unsigned char *p = req.body.data;
		if (req.body.data[0] == 0x30) {
			x = d2i_X509(NULL, &p, (long)req.body.len);
		} else {
			BIO *bio = BIO_new_mem_buf(req.body.data, (int)req.body.len);
			x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
			BIO_free(bio);
		}
	}
	ERR_clear_error();
	http_request_cleanup(&req);
	return x;
}

/* crl_check(); for an indirect CRL, crl_check_indirect() with its CRL
 * issuer's certificate from the CRL's own caIssuers (crl_ca_issuers_urls()),
 * the first that passes, else the last one's refusal.  A certificate the CA
 * did not certify is refused there (signer-not-authorized). */
static enum crl_error crl_check_fetching(struct http_client *client, const unsigned char *data,
                                         size_t len, size_t max, X509 *cert, X509 *issuer,
                                         const char *url, time_t now, struct crl_verdict *v)
{
	enum crl_error e = crl_check(data, len, max, cert, issuer, url, now, v);
	char *urls[CERT_URLS_MAX];
	size_t n, i;

	if (e != CRL_ERR_INDIRECT_UNSUPPORTED || client == NULL)
		return e;
	n = crl_ca_issuers_urls(data, len, max, urls, CERT_URLS_MAX);
	for (i = 0; i < n; i++) {
		X509 *signer = e == CRL_OK ? NULL : crl_signer_fetch(client, urls[i]);
		if (signer != NULL)
			e = crl_check_indirect(data, len, max, cert, issuer, signer, url, now, v);
		X509_free(signer);
		free(urls[i]);
	}
	if (e == CRL_ERR_INDIRECT_UNSUPPORTED) {
		size_t at = strlen(v->detail);
		snprintf(v->detail + at, sizeof(v->detail) - at, "; %s",
		         n ? "no CRL issuer certificate at its caIssuers"
		           : "it names no caIssuers for one");
	}
	return e;
}

/* One distribution point: the answer it gives (fresh, 304 or, when it
 * fails, the cached copy) into *cand; 0 when there is one, -1 when none. */
static int fetch_one(struct http_client *client, struct store *st, const char *name,
                     const char *url, size_t max, X509 *cert, X509 *issuer, time_t now,
                     struct crl_answer *out, struct crl_answer *cand)
{
	struct store_crl_validators val, fresh_val;
	struct crl_verdict cached_v, fresh_v;
	struct http_request req;
	unsigned char *cached = NULL;
	size_t cached_len = 0;
	int have_cached = 0, rc = -1;
	char detail[HTTP_DETAIL_MAX], where[512];

	memset(cand, 0, sizeof(*cand));
	memset(&val, 0, sizeof(val));
	snprintf(cand->url, sizeof(cand->url), "%s", url);
	if (strncmp(url, "http://", 7) != 0) {
		fetch_fail(out, name, url, CRL_ERR_NOT_HTTP,
		           "only http:// distribution points are used");
		return -1;
	}
	if (st != NULL && store_crl_load(st, url, max, &cached, &cached_len, &val) == 0) {
		if (crl_check_fetching(client, cached, cached_len, max, cert, issuer, url, now,
		                       &cached_v) == CRL_OK) {
			have_cached = 1;
		} else {
			/* A copy that no longer passes (another issuer given, a
			 * changed cap) is neither used nor sent as a validator. */
			log_info("crl_cache_unusable", "cert=%s file=%s error=%s detail=\"%s\"",
			         name, store_crl_where(st, url, where, sizeof(where)),
			         crl_error_name(cached_v.error),
			         log_safe(detail, sizeof(detail), cached_v.detail));
			memset(&val, 0, sizeof(val));
		}
	}
	free(cached); /* the verdict is all that is kept of the cached copy */
	cached = NULL;

	if (http_request_init(&req, url) != 0) {
		fetch_fail(out, name, url, CRL_ERR_TRANSPORT, "URL too long");
		goto fallback;
	}
	req.if_none_match = have_cached && val.etag[0] ? val.etag : NULL;
	req.if_modified_since = have_cached && val.last_modified[0] ? val.last_modified : NULL;
	if (http_perform(client, &req) != 0 || req.outcome != HTTP_OUTCOME_OK) {
		snprintf(detail, sizeof(detail), "%s",
		         req.detail[0] ? req.detail : http_outcome_name(req.outcome));
		fetch_fail(
		    out, name, url,
		    req.outcome == HTTP_OUTCOME_TOO_LARGE ? CRL_ERR_TOO_LARGE : CRL_ERR_TRANSPORT,
		    req.outcome == HTTP_OUTCOME_TOO_LARGE ? "the body is larger than crl_max_size"
		                                          : detail);
		goto fallback;
	}
	if (req.status == 304 && have_cached) {
		cand->source = CRL_SOURCE_NOT_MODIFIED;
		cand->verdict = cached_v;
		rc = 0;
		goto out;
	}
	if (req.status != 200) {
		snprintf(detail, sizeof(detail), "HTTP status %ld", req.status);
		fetch_fail(out, name, url, CRL_ERR_HTTP_STATUS, detail);
		goto fallback;
	}
	if (crl_check_fetching(client, req.body.data, req.body.len, max, cert, issuer, url, now,
	                       &fresh_v) != CRL_OK) {
		fetch_fail(out, name, url, fresh_v.error, fresh_v.detail);
		goto fallback;
	}
	if (have_cached && fresh_v.this_update < cached_v.this_update) {
		fetch_fail(out, name, url, CRL_ERR_OLDER_THAN_CACHED,
		           "thisUpdate is older than the cached CRL's");
		goto fallback;
	}
	cand->source = CRL_SOURCE_FETCHED;
	cand->verdict = fresh_v;
	rc = 0;
	if (st != NULL) {
		memset(&fresh_val, 0, sizeof(fresh_val));
		if (http_header_get(&req, "ETag", fresh_val.etag, sizeof(fresh_val.etag)) != 0)
			fresh_val.etag[0] = '\0';
		if (http_header_get(&req, "Last-Modified", fresh_val.last_modified,
		                    sizeof(fresh_val.last_modified)) != 0)
			fresh_val.last_modified[0] = '\0';
		cand->cached =
		    store_crl_save(st, url, req.body.data, req.body.len, &fresh_val) == 0;
	}
	goto out;
fallback:
	if (have_cached) {
		cand->source = CRL_SOURCE_CACHED;
		cand->verdict = cached_v;
		rc = 0;
	}
out:
	http_request_cleanup(&req);
	return rc;
}

/* Make cand the answer in out, keeping out's list of failures. */
static void answer_take(struct crl_answer *out, const struct crl_answer *cand)
{
	out->source = cand->source;
	out->verdict = cand->verdict;
	out->cached = cand->cached;
	memcpy(out->url, cand->url, sizeof(out->url));
}

/* 1 when v needs no other distribution point asked. */
static int answer_final(const struct crl_verdict *v)
{
	return !v->stale || v->status == CRL_STATUS_REVOKED;
}

int crl_fetch_check(struct http_client *client, struct store *st, const char *name,
                    char *const *urls, size_t count, size_t max, X509 *cert, X509 *issuer,
                    time_t now, struct crl_answer *out)
{
	struct crl_answer *cand = calloc(1, sizeof(*cand));
	size_t i;

	memset(out, 0, sizeof(*out));
	if (cand == NULL)
		return -1;
	for (i = 0; i < count && i < CERT_URLS_MAX; i++) {
		if (fetch_one(client, st, name, urls[i], max, cert, issuer, now, out, cand) != 0)
			continue;
		if (out->source == CRL_SOURCE_NONE || answer_final(&cand->verdict))
			answer_take(out, cand);
		if (answer_final(&out->verdict))
			break;
	}
	free(cand);
	return out->source == CRL_SOURCE_NONE ? -1 : 0;
}

/* Decode body (DER or PEM) into set: the certificate, borrowed, or NULL. */
static X509 *issuer_decode(struct cacerts *set, const unsigned char *body, size_t len)
{
	unsigned char *der = NULL, *second = NULL;
	size_t der_len = 0, second_len = 0;
	X509 *x = NULL;

	if (len > 0 && body[0] == 0x30)
		return cacerts_get(set, body, len);
	if (cert_pem_leaf_issuer_der((const char *)body, len, &der, &der_len, &second,
	                             &second_len) == 0)
		x = cacerts_get(set, der, der_len);
	free(der);
	free(second);
	return x;
}

X509 *revocation_issuer_fetch(struct http_client *client, X509 *cert, struct cacerts *set,
                              char *why, size_t whylen)
{
	char *urls[CERT_URLS_MAX];
	size_t n = cert_ca_issuers_urls(cert, urls, 0, CERT_URLS_MAX), i;
	struct http_request req;
	X509 *found = NULL;

	snprintf(why, whylen, "the certificate names no caIssuers URL (AIA)");
	for (i = 0; i < n && found == NULL; i++) {
		X509 *x;
		if (strncmp(urls[i], "http://", 7) != 0) {
			snprintf(why, whylen, "caIssuers %.200s is not http://", urls[i]);
			continue;
		}
		if (http_request_init(&req, urls[i]) != 0) {
			snprintf(why, whylen, "caIssuers URL too long");
			continue;
		}
		if (http_perform(client, &req) != 0 || req.outcome != HTTP_OUTCOME_OK ||
		    req.status != 200) {
			snprintf(why, whylen, "caIssuers %.200s: %s", urls[i],
			         req.outcome != HTTP_OUTCOME_OK ? http_outcome_name(req.outcome)
			                                        : "HTTP status not 200");
		} else if ((x = issuer_decode(set, req.body.data, req.body.len)) == NULL) {
			snprintf(why, whylen, "caIssuers %.200s: not a DER or PEM certificate",
			         urls[i]);
		} else if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(cert)) !=
		               0 ||
		           X509_verify(cert, X509_get0_pubkey(x)) != 1) {
			snprintf(why, whylen,
			         "caIssuers %.200s: that certificate did not issue this one",
			         urls[i]);
		} else {
			found = x;
		}
		ERR_clear_error();
		http_request_cleanup(&req);
	}
	for (i = 0; i < n; i++)
		free(urls[i]);
	return found;
}

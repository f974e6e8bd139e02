/*
 * ocsp: everything holdfast knows about OCSP responses, without any I/O.
 *
 * - Requests (RFC 6960 4.1, RFC 5019 2.1): one CertID with SHA-1, no nonce,
 *   so the same request is answered from a CDN cache; sent by GET when the
 *   encoded request is under 255 bytes (RFC 5019 5), POST otherwise.
 * - Validation (RFC 6960 3.2 and 4.2.2.2): ocsp_response_check() accepts a
 *   response only when its status is successful, its signature verifies with
 *   the issuer's key or with a delegated responder certificate that the issuer
 *   signed and that carries id-kp-OCSPSigning, it has exactly one
 *   SingleResponse and that one is for this certificate (SHA-1 or SHA-256
 *   CertID), thisUpdate is not more than OCSP_CLOCK_SKEW in the future,
 *   nextUpdate is present and in the future, and the status is good or
 *   revoked.  Exactly one SingleResponse, because HAProxy refuses more.
 *   A response's embedded certificates are decoded only when it is not
 *   signed by the issuer itself (see check.c).
 * - When to refresh, retry, withdraw and which response to keep: policy.h.
 *
 * Every rejection has an enum staple_error value with a stable name; the same
 * enum carries transport failures so a per-responder error list has one type.
 */
#ifndef HOLDFAST_OCSP_H
#define HOLDFAST_OCSP_H

#include <stddef.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#define OCSP_CLOCK_SKEW      300         /* seconds thisUpdate may be ahead */
#define OCSP_GET_MAX_ENCODED 254         /* RFC 5019: GET when < 255 bytes */
#define OCSP_RESPONSE_MAX    (64 * 1024) /* no real response comes near this */

enum staple_error {
	STAPLE_OK = 0,
	/* transport */
	STAPLE_ERR_RESOLVE,
	STAPLE_ERR_CONNECT,
	STAPLE_ERR_TIMEOUT,
	STAPLE_ERR_HTTP_STATUS,
	STAPLE_ERR_CONTENT_TYPE,
	STAPLE_ERR_TOO_LARGE,
	STAPLE_ERR_TOO_MANY_REDIRECTS,
	STAPLE_ERR_TLS,
	STAPLE_ERR_TRANSPORT,
	/* the response itself */
	STAPLE_ERR_MALFORMED,
	STAPLE_ERR_STATUS_NOT_SUCCESSFUL,
	STAPLE_ERR_BAD_SIGNATURE,
	STAPLE_ERR_UNTRUSTED_SIGNER,
	STAPLE_ERR_SIGNER_NOT_AUTHORIZED,
	STAPLE_ERR_NO_MATCHING_RESPONSE,
	STAPLE_ERR_MULTIPLE_RESPONSES,
	STAPLE_ERR_NOT_YET_VALID,
	STAPLE_ERR_EXPIRED,
	STAPLE_ERR_NO_NEXT_UPDATE,
	STAPLE_ERR_CERT_STATUS_UNKNOWN,
	STAPLE_ERR_OLDER_THAN_STORED,
	STAPLE_ERR_EXPIRES_TOO_SOON, /* a daemon would withdraw it at once */
	STAPLE_ERR_COUNT
};

/* Stable lower-case name of e ("bad-signature"); "invalid" when out of range. */
const char *staple_error_name(enum staple_error e);

enum staple_cert_status { STAPLE_STATUS_NONE, STAPLE_STATUS_GOOD, STAPLE_STATUS_REVOKED };

const char *staple_cert_status_name(enum staple_cert_status s);

/* What a valid response says (and why an invalid one was refused). */
struct ocsp_verdict {
	enum staple_error error;
	char detail[160];
	enum staple_cert_status status;
	time_t this_update;
	time_t next_update;
	time_t produced_at;
	time_t revocation_time; /* revoked only */
	int revocation_reason;  /* revoked only; -1 when absent */
};

/* Check a DER response for leaf (issued by issuer) at time now; fills v and
 * returns v->error.  Pure: no I/O, no global state; safe on hostile input of
 * any length. */
enum staple_error ocsp_response_check(const unsigned char *der, size_t len, X509 *leaf,
                                      X509 *issuer, time_t now, struct ocsp_verdict *v);

/* The same for a leaf known by what its CertID is made of, its issuer name
 * and serial (the daemon keeps leaves as DER, see cert_leaf in cert.h). */
enum staple_error ocsp_response_check_serial(const unsigned char *der, size_t len,
                                             const X509_NAME *issuer_name,
                                             const ASN1_INTEGER *serial, X509 *issuer, time_t now,
                                             struct ocsp_verdict *v);

/* DER of an RFC 5019 request for leaf; *out is newly allocated (free()).
 * Returns 0 or -1. */
int ocsp_request_der_new(X509 *leaf, X509 *issuer, unsigned char **out, size_t *len);

/* The same for a leaf known by its issuer name and serial. */
int ocsp_request_der_new_serial(const X509_NAME *issuer_name, const ASN1_INTEGER *serial,
                                X509 *issuer, unsigned char **out, size_t *len);

/* The GET URL for a request: base_url + "/" + percent-encoded base64(der),
 * written into dst.  Returns 1 when GET applies, 0 when the encoded request
 * is too long (use POST to base_url), -1 when dst is too small. */
int ocsp_request_get_url(const char *base_url, const unsigned char *der, size_t len, char *dst,
                         size_t dstlen);

/* The 5-byte DER OCSPResponse {responseStatus tryLater} that replaces a stale
 * staple: servers load it, and it asserts nothing about the certificate. */
extern const unsigned char staple_placeholder_der[5];

/* 1 when der is exactly the placeholder. */
int staple_is_placeholder(const unsigned char *der, size_t len);

#endif

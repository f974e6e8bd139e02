/*
 * revocation/crl: what a Certificate Revocation List says about one
 * certificate, without any I/O (RFC 5280 sections 5 and 6.3).
 *
 * crl_check() takes the CRL as it came (DER, or PEM with one "X509 CRL"
 * block), parsed in place from the caller's buffer (DER with d2i, no copy;
 * PEM through a read-only memory BIO), the certificate, its issuer and the
 * URL the CRL was fetched from, and accepts the CRL only when:
 *
 * - it is a complete CRL: not a delta CRL (RFC 5280 5.2.4), not limited to
 *   attribute certificates or to some reasons by its Issuing Distribution
 *   Point (5.2.5), and, when the IDP limits it to CA or to end-entity
 *   certificates, the certificate is of that kind;
 * - crl_check(): it is a direct CRL: its issuer name is the certificate's
 *   issuer name, it is not marked indirectCRL, and it is signed by the
 *   issuer's key; the issuer, when it has a key usage extension, asserts
 *   cRLSign (4.2.1.3).  An indirect CRL is refused (indirect-unsupported):
 *   checking one needs its CRL issuer's certificate;
 * - crl_check_indirect() with that certificate (RFC 5280 5.2.5, 5.3.3,
 *   6.3.3): the CRL issuer's certificate was issued (signed) by the
 *   certificate's issuer and has not expired -- the CA authorised it; the
 *   CRL's issuer name is its subject; one of the certificate's CRL
 *   distribution points names it as cRLIssuer (and, with a distributionPoint,
 *   the URL fetched); it asserts cRLSign when it has a key usage; it signed
 *   the CRL; the CRL's IDP says indirectCRL.  Entries then belong to the
 *   CRL issuer until a certificateIssuer entry extension names another
 *   issuer, and the certificate is looked up by serial and issuer (OpenSSL's
 *   X509_CRL_get0_by_cert()), so another CA's entry with the same serial is
 *   not this certificate's;
 * - it has no critical extension, on the CRL or on any entry, other than the
 *   ones RFC 5280 defines and this module processes;
 * - a sharded CRL's IDP distributionPoint names, among its fullName URIs,
 *   the URL it was fetched from (6.3.3 b.2.i): a CA that shards its CRL by
 *   serial must not be able to answer for shard 7 with shard 3;
 * - thisUpdate is at most CRL_CLOCK_SKEW in the future and nextUpdate is
 *   present (5.1.2.5: conforming CAs include it).
 *
 * An accepted CRL whose nextUpdate has passed is still an answer, marked
 * stale: its "revoked" is as good as ever (a revocation is not undone), its
 * "not listed" only says what was true at thisUpdate.  Each refusal is one
 * enum crl_error value with a stable name, as ocsp/check.h does for OCSP.
 */
#ifndef HOLDFAST_REVOCATION_CRL_H
#define HOLDFAST_REVOCATION_CRL_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#define CRL_CLOCK_SKEW  300                /* seconds thisUpdate may be ahead */
#define CRL_MAX_DEFAULT (64 * 1024 * 1024) /* crl_max_size's default, as conf.h */
#define CRL_DETAIL_MAX  192

enum crl_error {
	CRL_OK = 0,
	CRL_ERR_TOO_LARGE,             /* over the size cap */
	CRL_ERR_MALFORMED,             /* not a DER or PEM CRL at all */
	CRL_ERR_WRONG_TYPE,            /* a certificate or another PEM block */
	CRL_ERR_DELTA_CRL,             /* a delta CRL: not a complete answer */
	CRL_ERR_ATTRIBUTE_ONLY,        /* IDP onlyContainsAttributeCerts */
	CRL_ERR_PARTIAL_REASONS,       /* IDP onlySomeReasons */
	CRL_ERR_SCOPE_MISMATCH,        /* IDP only CA / only user certs, not ours */
	CRL_ERR_INDIRECT_UNSUPPORTED,  /* indirectCRL, or another issuer's name */
	CRL_ERR_ISSUER_MISMATCH,       /* the issuer given did not issue the cert */
	CRL_ERR_SIGNER_NOT_AUTHORIZED, /* the issuer's key usage lacks cRLSign */
	CRL_ERR_BAD_SIGNATURE,
	CRL_ERR_UNHANDLED_CRITICAL, /* a critical extension we do not process */
	CRL_ERR_IDP_MISMATCH,       /* sharded CRL for another distribution point */
	CRL_ERR_NOT_YET_VALID,      /* thisUpdate in the future */
	CRL_ERR_NO_NEXT_UPDATE,
	CRL_ERR_BAD_TIME, /* a time that does not decode */
	/* getting it (revocation/fetch.c) */
	CRL_ERR_NOT_HTTP,          /* a distribution point that is not http:// */
	CRL_ERR_TRANSPORT,         /* no HTTP answer (the detail says why) */
	CRL_ERR_HTTP_STATUS,       /* an answer other than 200 (or 304 when cached) */
	CRL_ERR_OLDER_THAN_CACHED, /* valid, but older than the cached copy */
	/* indirect CRLs (crl_check_indirect) */
	CRL_ERR_NOT_INDIRECT,         /* signed by a CRL issuer, IDP without indirectCRL */
	CRL_ERR_CRL_ISSUER_NOT_NAMED, /* no distribution point names that cRLIssuer */
	CRL_ERR_COUNT
};

/* Stable lower-case name of e ("bad-signature"); "invalid" when out of range. */
const char *crl_error_name(enum crl_error e);

enum crl_status { CRL_STATUS_NONE, CRL_STATUS_GOOD, CRL_STATUS_REVOKED };

/* "none", "good" (not listed) or "revoked". */
const char *crl_status_name(enum crl_status s);

/* RFC 5280 5.3.1's name of a CRLReason ("keyCompromise"); "unspecified" for
 * -1 (no reason code), "unknown" for a value it does not define. */
const char *crl_reason_name(int reason);

/* What an accepted CRL says (and why a refused one was refused). */
struct crl_verdict {
	enum crl_error error;
	char detail[CRL_DETAIL_MAX];
	enum crl_status status;
	int stale; /* nextUpdate has passed */
	time_t this_update;
	time_t next_update;
	size_t entries;         /* revoked certificates listed */
	time_t revocation_time; /* revoked only */
	int revocation_reason;  /* revoked only; -1 when the entry has none */
};

/* Check the CRL in data (len bytes; refused past max) for cert, issued by
 * issuer, fetched from url (NULL: the CRL came from elsewhere, and then a
 * CRL whose IDP names a distribution point is refused), at time now.  Fills
 * v and returns v->error.  Pure: no I/O, no global state; safe on hostile
 * input of any length; data is only read. */
enum crl_error crl_check(const unsigned char *data, size_t len, size_t max, X509 *cert,
                         X509 *issuer, const char *url, time_t now, struct crl_verdict *v);

/* crl_check() for a CRL signed by crl_signer, an indirect CRL issuer (the
 * rules above); crl_signer NULL, or the issuer itself, is crl_check().
 * Pure, as crl_check(). */
enum crl_error crl_check_indirect(const unsigned char *data, size_t len, size_t max, X509 *cert,
                                  X509 *issuer, X509 *crl_signer, const char *url, time_t now,
                                  struct crl_verdict *v);

/* The caIssuers URIs of the CRL's authorityInfoAccess (RFC 5280 5.2.7:
 * where its CRL issuer's certificate is), newly allocated into urls (at most
 * count; free() each); the count.  Unsigned data, used only to find a
 * certificate that crl_check_indirect() then judges.  Pure. */
size_t crl_ca_issuers_urls(const unsigned char *data, size_t len, size_t max, char **urls,
                           size_t count);

#endif

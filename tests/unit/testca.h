/*
 * testca: certificates and OCSP responses built in memory for unit tests.
 *
 * A test describes what it wants (who issued a certificate, whether it
 * carries id-kp-OCSPSigning, which CertID hash, which times) and gets DER
 * back, so every case of RFC 6960 validation can be produced without files,
 * a responder or the network.  Every time is passed in explicitly, producedAt
 * included, so no result depends on the wall clock.
 *
 * meson.build builds each unit test from one file plus tap.c, so a test that
 * needs this includes testca.c directly.
 */
#ifndef HOLDFAST_TESTCA_H
#define HOLDFAST_TESTCA_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

/* A new P-256 key (EVP_PKEY_free), or NULL. */
EVP_PKEY *testca_key_new(void);

struct testca_cert_spec {
	const char *cn; /* subject commonName */
	long serial;
	EVP_PKEY *key;        /* subject public key */
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* signs the certificate (key itself when self-signed) */
	time_t not_before;
	time_t not_after;
	int ca;           /* basicConstraints CA:TRUE, keyUsage keyCertSign */
	int ocsp_signing; /* extendedKeyUsage id-kp-OCSPSigning */
	const char *aia;  /* authorityInfoAccess in openssl.cnf syntax, or NULL */
};

/* A new signed certificate as described (X509_free), or NULL. */
X509 *testca_cert_new(const struct testca_cert_spec *spec);

/* One SingleResponse. */
struct testca_single {
	X509 *leaf;
	X509 *issuer;
	const EVP_MD *id_md; /* CertID hash; NULL: SHA-1 */
	OCSP_CERTID *id;     /* when set, used as is instead of the three above */
	int status;          /* V_OCSP_CERTSTATUS_GOOD, _REVOKED, _UNKNOWN */
	int reason;          /* OCSP_REVOKED_STATUS_*, -1 for none (revoked only) */
	time_t revoked_at;   /* revoked only */
	time_t this_update;
	time_t next_update;
	int no_next_update; /* leave nextUpdate out */
};

/* A successful OCSPResponse with a BasicOCSPResponse. */
struct testca_response_spec {
	X509 *signer;         /* named in ResponderID and included unless OCSP_NOCERTS */
	EVP_PKEY *signer_key; /* must match signer (OCSP_basic_sign checks) */
	unsigned long flags;  /* OCSP_NOCERTS, OCSP_RESPID_KEY */
	time_t produced_at;   /* set exactly; never the current time */
	const struct testca_single *singles;
	size_t single_count;
};

/* DER of the response described; *der is from OPENSSL_malloc (OPENSSL_free).
 * Returns 0, or -1 with *der NULL. */
int testca_response_der(const struct testca_response_spec *spec, unsigned char **der, size_t *len);

/* DER of an OCSPResponse with responseStatus status and no responseBytes;
 * same ownership and return as above. */
int testca_status_response_der(int status, unsigned char **der, size_t *len);

#endif

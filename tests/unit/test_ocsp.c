/*
 * Unit tests for ocsp.c: response validation against responses built in
 * memory (testca.c) for every rule of RFC 6960 4.2.2.2 that ocsp.h promises,
 * plus the pure helpers (error names, refresh time, servability, the
 * placeholder, request DER and GET URL).
 *
 * Every check runs at the fixed instant NOW and every time in a response is
 * set explicitly, so nothing depends on the clock.  Each case states the one
 * thing it changes from a good response signed by the issuer, and asserts the
 * exact staple_error (with the verdict's detail printed as a TAP comment when
 * it differs).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ocsp/check.h"
#include "ocsp/policy.h"
#include "tap.h"
#include "testca.c"

#define DAY 86400
/* The instant every check is made at: 2027-01-15T08:00:00Z. */
#define NOW         ((time_t)1800000000)
#define THIS_UPDATE (NOW - 3600)
#define NEXT_UPDATE (NOW + 3 * DAY)
#define PRODUCED_AT (NOW - 3500)
#define REVOKED_AT  (NOW - 2 * DAY)
/* "20270115070000Z": THIS_UPDATE as it appears inside the DER. */
#define THIS_UPDATE_DER "20270115070000Z"

struct fixture {
	EVP_PKEY *ca_key, *leaf_key, *responder_key, *rogue_key, *rsa_ca_key;
	X509 *ca;                /* the issuer */
	X509 *leaf, *other_leaf; /* issued by ca */
	X509 *responder;         /* delegated, id-kp-OCSPSigning */
	X509 *responder_no_eku;  /* delegated, no extendedKeyUsage */
	X509 *responder_expired; /* delegated, notAfter before NOW */
	X509 *responder_future;  /* delegated, notBefore beyond the skew */
	X509 *responder_soon;    /* delegated, notBefore within the skew */
	X509 *rogue;             /* unrelated self-signed CA */
	X509 *rogue_same_name;   /* self-signed, same subject as ca, other key */
	X509 *rogue_responder;   /* OCSPSigning, issued by rogue_same_name */
	X509 *rsa_ca, *rsa_leaf; /* an RSA issuer and its leaf */
};

/* Issue one certificate; NULL on failure (fixture_init reports it). */
static X509 *issue(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   time_t not_before, time_t not_after, int ca, int ocsp_signing)
{
	struct testca_cert_spec spec = {
	    .cn = cn,
	    .serial = serial,
	    .key = key,
	    .issuer = issuer,
	    .issuer_key = issuer_key,
	    .not_before = not_before,
	    .not_after = not_after,
	    .ca = ca,
	    .ocsp_signing = ocsp_signing,
	};

	if (key == NULL || issuer_key == NULL)
		return NULL;
	return testca_cert_new(&spec);
}

static int fixture_init(struct fixture *f)
{
	const time_t ca_from = NOW - 365 * DAY, ca_to = NOW + 3650 * DAY;
	const time_t from = NOW - 30 * DAY, to = NOW + 30 * DAY;

	memset(f, 0, sizeof(*f));
	f->ca_key = testca_key_new();
	f->leaf_key = testca_key_new();
	f->responder_key = testca_key_new();
	f->rogue_key = testca_key_new();
	f->rsa_ca_key = EVP_RSA_gen(2048);

	f->ca = issue("holdfast test CA", 1, f->ca_key, NULL, f->ca_key, ca_from, ca_to, 1, 0);
	if (f->ca == NULL)
		return -1;
	f->leaf = issue("leaf.example", 0x1001, f->leaf_key, f->ca, f->ca_key, from, to, 0, 0);
	f->other_leaf =
	    issue("other.example", 0x1002, f->leaf_key, f->ca, f->ca_key, from, to, 0, 0);
	f->responder = issue("holdfast test OCSP responder", 0x2001, f->responder_key, f->ca,
	                     f->ca_key, from, to, 0, 1);
	f->responder_no_eku = issue("holdfast test responder without EKU", 0x2002, f->responder_key,
	                            f->ca, f->ca_key, from, to, 0, 0);
	f->responder_expired = issue("holdfast test expired responder", 0x2003, f->responder_key,
	                             f->ca, f->ca_key, NOW - 60 * DAY, NOW - DAY, 0, 1);
	f->responder_future = issue("holdfast test future responder", 0x2004, f->responder_key,
	                            f->ca, f->ca_key, NOW + 600, to, 0, 1);
	f->responder_soon = issue("holdfast test responder valid soon", 0x2005, f->responder_key,
	                          f->ca, f->ca_key, NOW + 200, to, 0, 1);
	f->rogue =
	    issue("holdfast rogue CA", 1, f->rogue_key, NULL, f->rogue_key, ca_from, ca_to, 1, 0);
	f->rogue_same_name =
	    issue("holdfast test CA", 1, f->rogue_key, NULL, f->rogue_key, ca_from, ca_to, 1, 0);
	if (f->rogue_same_name == NULL)
		return -1;
	f->rogue_responder = issue("holdfast rogue responder", 0x3001, f->rogue_key,
	                           f->rogue_same_name, f->rogue_key, from, to, 0, 1);
	f->rsa_ca = issue("holdfast test RSA CA", 2, f->rsa_ca_key, NULL, f->rsa_ca_key, ca_from,
	                  ca_to, 1, 0);
	if (f->rsa_ca == NULL)
		return -1;
	f->rsa_leaf = issue("rsa-leaf.example", 0x4001, f->leaf_key, f->rsa_ca, f->rsa_ca_key, from,
	                    to, 0, 0);

	if (f->leaf == NULL || f->other_leaf == NULL || f->responder == NULL ||
	    f->responder_no_eku == NULL || f->responder_expired == NULL ||
	    f->responder_future == NULL || f->responder_soon == NULL || f->rogue == NULL ||
	    f->rogue_responder == NULL || f->rsa_leaf == NULL)
		return -1;
	return 0;
}

static void fixture_free(struct fixture *f)
{
	X509 *certs[] = {f->ca,
	                 f->leaf,
	                 f->other_leaf,
	                 f->responder,
	                 f->responder_no_eku,
	                 f->responder_expired,
	                 f->responder_future,
	                 f->responder_soon,
	                 f->rogue,
	                 f->rogue_same_name,
	                 f->rogue_responder,
	                 f->rsa_ca,
	                 f->rsa_leaf};
	EVP_PKEY *keys[] = {f->ca_key, f->leaf_key, f->responder_key, f->rogue_key, f->rsa_ca_key};
	size_t i;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	memset(f, 0, sizeof(*f));
}

/* A good SingleResponse for leaf. */
static struct testca_single good_single(const struct fixture *f)
{
	struct testca_single s = {
	    .leaf = f->leaf,
	    .issuer = f->ca,
	    .status = V_OCSP_CERTSTATUS_GOOD,
	    .reason = -1,
	    .this_update = THIS_UPDATE,
	    .next_update = NEXT_UPDATE,
	};
	return s;
}

/* A response carrying singles, signed by the issuer, ResponderID by name. */
static struct testca_response_spec issuer_signed(const struct fixture *f,
                                                 const struct testca_single *singles, size_t count)
{
	struct testca_response_spec spec = {
	    .signer = f->ca,
	    .signer_key = f->ca_key,
	    .produced_at = PRODUCED_AT,
	    .singles = singles,
	    .single_count = count,
	};
	return spec;
}

/* Build spec and check it for leaf/issuer at now.  Returns the error, or
 * STAPLE_ERR_COUNT (named "invalid") when the response could not be built. */
static enum staple_error check_built(const struct testca_response_spec *spec, X509 *leaf,
                                     X509 *issuer, time_t now, struct ocsp_verdict *v)
{
	unsigned char *der = NULL;
	size_t len = 0;
	enum staple_error rc;

	memset(v, 0, sizeof(*v));
	if (testca_response_der(spec, &der, &len) != 0) {
		ERR_print_errors_fp(stderr);
		snprintf(v->detail, sizeof(v->detail), "fixture: cannot build the response");
		v->error = STAPLE_ERR_COUNT;
		return STAPLE_ERR_COUNT;
	}
	rc = ocsp_response_check(der, len, leaf, issuer, now, v);
	OPENSSL_free(der);
	return rc;
}

/* One check: the result is want, the verdict agrees with the return value,
 * and a refusal carries a reason and no certificate status. */
static void expect_error(const char *what, enum staple_error got, const struct ocsp_verdict *v,
                         enum staple_error want)
{
	char name[256];
	int consistent;

	if (want == STAPLE_OK)
		consistent = v->error == STAPLE_OK && v->status != STAPLE_STATUS_NONE;
	else
		consistent =
		    v->error == got && v->status == STAPLE_STATUS_NONE && v->detail[0] != '\0';
	snprintf(name, sizeof(name), "%s -> %s", what, staple_error_name(want));
	CHECK(got == want && consistent, name);
	if (got != want || !consistent)
		printf("# got %s (verdict error %s, detail \"%s\")\n", staple_error_name(got),
		       staple_error_name(v->error), v->detail);
}

/* Build and check the response for leaf at NOW, expecting want. */
static void expect_spec(const struct fixture *f, const char *what,
                        const struct testca_response_spec *spec, enum staple_error want)
{
	struct ocsp_verdict v;
	enum staple_error got = check_built(spec, f->leaf, f->ca, NOW, &v);

	expect_error(what, got, &v, want);
}

/* Check raw bytes for leaf at NOW, expecting want. */
static void expect_der(const struct fixture *f, const char *what, const unsigned char *der,
                       size_t len, enum staple_error want)
{
	struct ocsp_verdict v;
	enum staple_error got = ocsp_response_check(der, len, f->leaf, f->ca, NOW, &v);

	expect_error(what, got, &v, want);
}

static void test_good(const struct fixture *f)
{
	struct testca_single s = good_single(f);
	struct testca_response_spec spec = issuer_signed(f, &s, 1);
	struct ocsp_verdict v;
	enum staple_error rc = check_built(&spec, f->leaf, f->ca, NOW, &v);

	expect_error("good response signed by the issuer", rc, &v, STAPLE_OK);
	CHECK(v.status == STAPLE_STATUS_GOOD, "good: status good");
	CHECK(v.this_update == THIS_UPDATE, "good: this_update exactly as built");
	CHECK(v.next_update == NEXT_UPDATE, "good: next_update exactly as built");
	CHECK(v.produced_at == PRODUCED_AT, "good: produced_at exactly as built");
	CHECK(v.revocation_reason == -1 && v.revocation_time == 0,
	      "good: no revocation time or reason");

	/* With a SHA-256 CertID, as some responders answer. */
	s.id_md = EVP_sha256();
	rc = check_built(&spec, f->leaf, f->ca, NOW, &v);
	expect_error("SHA-256 CertID", rc, &v, STAPLE_OK);
	CHECK(v.status == STAPLE_STATUS_GOOD && v.this_update == THIS_UPDATE,
	      "SHA-256 CertID: status and this_update");

	/* An issuer need not include its own certificate. */
	s.id_md = NULL;
	spec.flags = OCSP_NOCERTS;
	expect_spec(f, "issuer-signed response without certificates", &spec, STAPLE_OK);

	spec.flags = OCSP_RESPID_KEY;
	expect_spec(f, "issuer named by key hash (ResponderID byKey)", &spec, STAPLE_OK);
	spec.flags = OCSP_RESPID_KEY | OCSP_NOCERTS;
	expect_spec(f, "issuer named by key hash, no certificates", &spec, STAPLE_OK);
}

static void test_revoked(const struct fixture *f)
{
	struct testca_single s = good_single(f);
	struct testca_response_spec spec = issuer_signed(f, &s, 1);
	struct ocsp_verdict v;
	enum staple_error rc;

	s.status = V_OCSP_CERTSTATUS_REVOKED;
	s.revoked_at = REVOKED_AT;
	s.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	rc = check_built(&spec, f->leaf, f->ca, NOW, &v);
	expect_error("revoked (keyCompromise)", rc, &v, STAPLE_OK);
	CHECK(v.status == STAPLE_STATUS_REVOKED, "revoked: status revoked");
	CHECK(v.revocation_time == REVOKED_AT, "revoked: revocation_time exactly as built");
	CHECK(v.revocation_reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE,
	      "revoked: reason keyCompromise (1)");
	CHECK(v.this_update == THIS_UPDATE && v.next_update == NEXT_UPDATE &&
	          v.produced_at == PRODUCED_AT,
	      "revoked: times exactly as built");

	s.reason = OCSP_REVOKED_STATUS_CESSATIONOFOPERATION;
	rc = check_built(&spec, f->leaf, f->ca, NOW, &v);
	expect_error("revoked (cessationOfOperation)", rc, &v, STAPLE_OK);
	CHECK(v.revocation_reason == 5, "revoked: reason cessationOfOperation (5)");

	s.reason = OCSP_REVOKED_STATUS_NOSTATUS;
	rc = check_built(&spec, f->leaf, f->ca, NOW, &v);
	expect_error("revoked without a reason", rc, &v, STAPLE_OK);
	CHECK(v.status == STAPLE_STATUS_REVOKED && v.revocation_reason == -1 &&
	          v.revocation_time == REVOKED_AT,
	      "revoked without a reason: reason -1, time as built");

	s = good_single(f);
	s.status = V_OCSP_CERTSTATUS_UNKNOWN;
	expect_spec(f, "certStatus unknown", &spec, STAPLE_ERR_CERT_STATUS_UNKNOWN);
}

static void test_not_successful(const struct fixture *f)
{
	static const struct {
		int status;
		const char *name;
	} statuses[] = {
	    {OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "responseStatus malformedRequest"},
	    {OCSP_RESPONSE_STATUS_INTERNALERROR, "responseStatus internalError"},
	    {OCSP_RESPONSE_STATUS_TRYLATER, "responseStatus tryLater"},
	    {OCSP_RESPONSE_STATUS_SIGREQUIRED, "responseStatus sigRequired"},
	    {OCSP_RESPONSE_STATUS_UNAUTHORIZED, "responseStatus unauthorized"},
	};
	unsigned char *der = NULL;
	size_t len = 0, i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if (testca_status_response_der(statuses[i].status, &der, &len) != 0) {
			CHECK(0, statuses[i].name);
			continue;
		}
		expect_der(f, statuses[i].name, der, len, STAPLE_ERR_STATUS_NOT_SUCCESSFUL);
		OPENSSL_free(der);
	}
	expect_der(f, "the 5-byte placeholder", staple_placeholder_der,
	           sizeof(staple_placeholder_der), STAPLE_ERR_STATUS_NOT_SUCCESSFUL);

	/* successful, but without the responseBytes it promises */
	if (testca_status_response_der(OCSP_RESPONSE_STATUS_SUCCESSFUL, &der, &len) == 0) {
		expect_der(f, "successful status without responseBytes", der, len,
		           STAPLE_ERR_MALFORMED);
		OPENSSL_free(der);
	} else {
		CHECK(0, "successful status without responseBytes: build");
	}
}

static void test_malformed(const struct fixture *f)
{
	static const unsigned char text[] = "HTTP/1.1 200 OK\r\n\r\n";
	static const unsigned char zero = 0;
	struct testca_single s = good_single(f);
	struct testca_response_spec spec = issuer_signed(f, &s, 1);
	unsigned char *der = NULL, *junk = NULL, *longer = NULL, *cert_der = NULL;
	unsigned int lcg = 12345;
	size_t len = 0, i, wrong = 0, first_wrong = 0;
	int cert_len;

	expect_der(f, "empty input (len 0)", &zero, 0, STAPLE_ERR_MALFORMED);
	expect_der(f, "NULL input", NULL, 0, STAPLE_ERR_MALFORMED);
	expect_der(f, "plain text", text, sizeof(text) - 1, STAPLE_ERR_MALFORMED);

	junk = malloc(OCSP_RESPONSE_MAX + 1);
	if (junk == NULL) {
		CHECK(0, "allocate garbage");
		return;
	}
	for (i = 0; i < OCSP_RESPONSE_MAX + 1; i++) {
		lcg = lcg * 1103515245u + 12345u;
		junk[i] = (unsigned char)(lcg >> 16);
	}
	junk[0] = 0x30; /* looks like a SEQUENCE, then nonsense */
	expect_der(f, "300 bytes of garbage", junk, 300, STAPLE_ERR_MALFORMED);
	expect_der(f, "garbage of exactly OCSP_RESPONSE_MAX bytes", junk, OCSP_RESPONSE_MAX,
	           STAPLE_ERR_MALFORMED);
	expect_der(f, "OCSP_RESPONSE_MAX + 1 bytes", junk, OCSP_RESPONSE_MAX + 1,
	           STAPLE_ERR_TOO_LARGE);
	free(junk);

	cert_len = i2d_X509(f->leaf, &cert_der);
	if (cert_len > 0) {
		expect_der(f, "a certificate instead of a response", cert_der, (size_t)cert_len,
		           STAPLE_ERR_MALFORMED);
		OPENSSL_free(cert_der);
	} else {
		CHECK(0, "a certificate instead of a response: build");
	}

	if (testca_response_der(&spec, &der, &len) != 0) {
		CHECK(0, "malformed: build the good response");
		return;
	}
	expect_der(f, "malformed: the untouched response", der, len, STAPLE_OK);
	for (i = 1; i < len; i++) {
		struct ocsp_verdict v;
		if (ocsp_response_check(der, i, f->leaf, f->ca, NOW, &v) != STAPLE_ERR_MALFORMED) {
			if (wrong++ == 0)
				first_wrong = i;
		}
	}
	CHECK(wrong == 0, "every truncation (1 .. len-1 bytes) -> malformed");
	if (wrong != 0)
		printf("# %zu of %zu prefixes not malformed, first at %zu\n", wrong, len - 1,
		       first_wrong);

	longer = malloc(len + 2);
	if (longer != NULL) {
		memcpy(longer, der, len);
		longer[len] = 0x00;
		longer[len + 1] = 0x00;
		expect_der(f, "one trailing byte", longer, len + 1, STAPLE_ERR_MALFORMED);
		expect_der(f, "two trailing bytes (an end-of-contents marker)", longer, len + 2,
		           STAPLE_ERR_MALFORMED);
		free(longer);
	} else {
		CHECK(0, "trailing bytes: allocate");
	}
	OPENSSL_free(der);
}

/* The signature BIT STRING's last byte, or -1: with OCSP_NOCERTS it is the
 * last byte of the whole response, which the bad-signature case relies on. */
static int signature_last_byte(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	const ASN1_OCTET_STRING *sig = bs != NULL ? OCSP_resp_get0_signature(bs) : NULL;
	int last = -1;

	if (sig != NULL && ASN1_STRING_length(sig) > 0)
		last = ASN1_STRING_get0_data(sig)[ASN1_STRING_length(sig) - 1];
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return last;
}

/* Flip the last signature byte of a response signed by signer for leaf;
 * expects bad-signature. */
static void expect_flipped_signature(const char *what, struct testca_response_spec *spec,
                                     X509 *leaf, X509 *issuer)
{
	unsigned char *der = NULL;
	size_t len = 0;
	struct ocsp_verdict v;
	enum staple_error rc;
	char name[200];

	spec->flags |= OCSP_NOCERTS;
	if (testca_response_der(spec, &der, &len) != 0) {
		CHECK(0, what);
		return;
	}
	snprintf(name, sizeof(name), "%s: fixture, the signature ends the DER", what);
	CHECK(signature_last_byte(der, len) == der[len - 1], name);
	rc = ocsp_response_check(der, len, leaf, issuer, NOW, &v);
	snprintf(name, sizeof(name), "%s: untouched", what);
	expect_error(name, rc, &v, STAPLE_OK);
	der[len - 1] ^= 0x01;
	rc = ocsp_response_check(der, len, leaf, issuer, NOW, &v);
	snprintf(name, sizeof(name), "%s: last signature byte flipped", what);
	expect_error(name, rc, &v, STAPLE_ERR_BAD_SIGNATURE);
	OPENSSL_free(der);
}

static void test_signature(const struct fixture *f)
{
	struct testca_single s = good_single(f);
	struct testca_response_spec spec = issuer_signed(f, &s, 1);
	unsigned char *der = NULL, *at;
	size_t len = 0;

	expect_flipped_signature("issuer, P-256", &spec, f->leaf, f->ca);

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->responder;
	spec.signer_key = f->responder_key;
	if (testca_response_der(&spec, &der, &len) == 0) {
		/* the responder certificate follows the signature: flip the
		 * signed data instead (thisUpdate 07:00:00 -> 07:00:01) */
		at = memmem(der, len, THIS_UPDATE_DER, strlen(THIS_UPDATE_DER));
		CHECK(at != NULL, "fixture: thisUpdate found in the DER");
		if (at != NULL) {
			at[13] = '1';
			expect_der(f, "delegated responder, thisUpdate altered after signing", der,
			           len, STAPLE_ERR_BAD_SIGNATURE);
		}
		OPENSSL_free(der);
	} else {
		CHECK(0, "delegated responder, thisUpdate altered: build");
	}

	s.leaf = f->rsa_leaf;
	s.issuer = f->rsa_ca;
	spec = issuer_signed(f, &s, 1);
	spec.signer = f->rsa_ca;
	spec.signer_key = f->rsa_ca_key;
	expect_flipped_signature("issuer, RSA-2048", &spec, f->rsa_leaf, f->rsa_ca);
}

static void test_signers(const struct fixture *f)
{
	struct testca_single s = good_single(f);
	struct testca_response_spec spec;

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->responder;
	spec.signer_key = f->responder_key;
	expect_spec(f, "delegated responder with id-kp-OCSPSigning", &spec, STAPLE_OK);
	spec.flags = OCSP_RESPID_KEY;
	expect_spec(f, "delegated responder with id-kp-OCSPSigning, ResponderID byKey", &spec,
	            STAPLE_OK);
	spec.flags = OCSP_NOCERTS;
	expect_spec(f, "delegated responder that sends no certificate", &spec,
	            STAPLE_ERR_UNTRUSTED_SIGNER);

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->responder_no_eku;
	spec.signer_key = f->responder_key;
	expect_spec(f, "delegated responder without extendedKeyUsage", &spec,
	            STAPLE_ERR_SIGNER_NOT_AUTHORIZED);

	spec.signer = f->responder_expired;
	expect_spec(f, "expired delegated responder", &spec, STAPLE_ERR_SIGNER_NOT_AUTHORIZED);

	spec.signer = f->responder_future;
	expect_spec(f, "delegated responder valid only in 600 s", &spec,
	            STAPLE_ERR_SIGNER_NOT_AUTHORIZED);

	spec.signer = f->responder_soon;
	expect_spec(f, "delegated responder valid in 200 s (within the skew)", &spec, STAPLE_OK);

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->rogue;
	spec.signer_key = f->rogue_key;
	expect_spec(f, "rogue CA signs and sends its own certificate", &spec,
	            STAPLE_ERR_UNTRUSTED_SIGNER);
	spec.flags = OCSP_NOCERTS;
	expect_spec(f, "rogue CA signs, no certificate", &spec, STAPLE_ERR_UNTRUSTED_SIGNER);

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->rogue_same_name;
	spec.signer_key = f->rogue_key;
	expect_spec(f, "rogue CA with the issuer's name signs (ResponderID byName)", &spec,
	            STAPLE_ERR_UNTRUSTED_SIGNER);
	spec.flags = OCSP_RESPID_KEY;
	expect_spec(f, "rogue CA with the issuer's name signs (ResponderID byKey)", &spec,
	            STAPLE_ERR_UNTRUSTED_SIGNER);

	spec = issuer_signed(f, &s, 1);
	spec.signer = f->rogue_responder;
	spec.signer_key = f->rogue_key;
	expect_spec(f, "OCSPSigning responder issued by the rogue with the issuer's name", &spec,
	            STAPLE_ERR_UNTRUSTED_SIGNER);
}

/* A SHA-256 CertID for leaf whose AlgorithmIdentifier omits the NULL
 * parameters (RFC 5754 3: SHOULD be absent; OpenSSL writes NULL).  New
 * OCSP_CERTID (OCSP_CERTID_free), or NULL. */
static OCSP_CERTID *sha256_id_without_params(X509 *leaf, X509 *issuer)
{
	static const unsigned char alg[] = {0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
	                                    0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
	OCSP_CERTID *ref = OCSP_cert_to_id(EVP_sha256(), leaf, issuer), *id = NULL;
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
	ASN1_INTEGER *serial = NULL;
	unsigned char der[256], *q;
	const unsigned char *p = der;
	int serial_len;
	size_t n = 0;

	if (ref == NULL || OCSP_id_get0_info(&name_hash, NULL, &key_hash, &serial, ref) != 1 ||
	    ASN1_STRING_length(name_hash) != 32 || ASN1_STRING_length(key_hash) != 32)
		goto out;
	serial_len = i2d_ASN1_INTEGER(serial, NULL);
	if (serial_len <= 0 || serial_len > 40) /* keeps the short length form */
		goto out;
	der[n++] = 0x30;
	der[n++] = (unsigned char)(sizeof(alg) + 2 * 34 + (size_t)serial_len);
	memcpy(der + n, alg, sizeof(alg));
	n += sizeof(alg);
	der[n++] = 0x04;
	der[n++] = 32;
	memcpy(der + n, ASN1_STRING_get0_data(name_hash), 32);
	n += 32;
	der[n++] = 0x04;
	der[n++] = 32;
	memcpy(der + n, ASN1_STRING_get0_data(key_hash), 32);
	n += 32;
	q = der + n;
	n += (size_t)i2d_ASN1_INTEGER(serial, &q);
	id = d2i_OCSP_CERTID(NULL, &p, (long)n);
	/* it must re-encode as written, or the response would carry NULL */
	q = NULL;
	if (id != NULL && (i2d_OCSP_CERTID(id, &q) != (int)n || memcmp(q, der, n) != 0)) {
		OCSP_CERTID_free(id);
		id = NULL;
	}
	OPENSSL_free(q);
out:
	OCSP_CERTID_free(ref);
	return id;
}

static void test_cert_id(const struct fixture *f)
{
	struct testca_single s[2] = {good_single(f), good_single(f)};
	struct testca_response_spec spec = issuer_signed(f, s, 1);

	s[0].leaf = f->other_leaf;
	expect_spec(f, "response for another certificate of the same issuer", &spec,
	            STAPLE_ERR_NO_MATCHING_RESPONSE);

	s[0] = good_single(f);
	s[0].issuer = f->rogue_same_name;
	expect_spec(f, "CertID with the issuer's name hash but another key hash", &spec,
	            STAPLE_ERR_NO_MATCHING_RESPONSE);

	s[0] = good_single(f);
	s[0].id = sha256_id_without_params(f->leaf, f->ca);
	CHECK(s[0].id != NULL, "fixture: SHA-256 CertID without parameters");
	if (s[0].id != NULL)
		expect_spec(f, "SHA-256 CertID without NULL parameters", &spec, STAPLE_OK);
	OCSP_CERTID_free(s[0].id);

	s[0] = good_single(f);
	s[0].id_md = EVP_sha384();
	expect_spec(f, "SHA-384 CertID (unsupported hash)", &spec, STAPLE_ERR_NO_MATCHING_RESPONSE);

	s[0] = good_single(f);
	spec.single_count = 0;
	expect_spec(f, "no SingleResponse at all", &spec, STAPLE_ERR_NO_MATCHING_RESPONSE);

	s[1].leaf = f->other_leaf;
	spec.single_count = 2;
	expect_spec(f, "two SingleResponses (leaf, other leaf)", &spec,
	            STAPLE_ERR_MULTIPLE_RESPONSES);
	s[1] = good_single(f);
	expect_spec(f, "two identical SingleResponses for the leaf", &spec,
	            STAPLE_ERR_MULTIPLE_RESPONSES);
}

static void test_times(const struct fixture *f)
{
	static const struct {
		time_t this_offset, next_offset; /* from NOW */
		int no_next;
		enum staple_error want;
		const char *name;
	} cases[] = {
	    {600, 3 * DAY, 0, STAPLE_ERR_NOT_YET_VALID, "thisUpdate 10 min in the future"},
	    {301, 3 * DAY, 0, STAPLE_ERR_NOT_YET_VALID, "thisUpdate 301 s in the future"},
	    {300, 3 * DAY, 0, STAPLE_OK, "thisUpdate 300 s in the future (the skew)"},
	    {240, 3 * DAY, 0, STAPLE_OK, "thisUpdate 4 min in the future"},
	    {-3 * DAY, -60, 0, STAPLE_ERR_EXPIRED, "nextUpdate 1 min in the past"},
	    {-3 * DAY, 0, 0, STAPLE_ERR_EXPIRED, "nextUpdate exactly now"},
	    {-3 * DAY, 1, 0, STAPLE_OK, "nextUpdate 1 s in the future"},
	    {-3600, 0, 1, STAPLE_ERR_NO_NEXT_UPDATE, "no nextUpdate"},
	    {-3600, -3600, 0, STAPLE_ERR_MALFORMED, "nextUpdate equal to thisUpdate"},
	    {-3600, -7200, 0, STAPLE_ERR_MALFORMED, "nextUpdate before thisUpdate"},
	    {60, 60, 0, STAPLE_ERR_MALFORMED, "nextUpdate equal to a future thisUpdate"},
	};
	struct testca_single s = good_single(f);
	struct testca_response_spec spec = issuer_signed(f, &s, 1);
	struct ocsp_verdict v;
	enum staple_error rc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s.this_update = NOW + cases[i].this_offset;
		s.next_update = NOW + cases[i].next_offset;
		s.no_next_update = cases[i].no_next;
		expect_spec(f, cases[i].name, &spec, cases[i].want);
	}

	/* producedAt is reported, not judged: one after thisUpdate and in the
	 * future is still accepted and returned as built. */
	s = good_single(f);
	spec.produced_at = NOW + 100;
	rc = check_built(&spec, f->leaf, f->ca, NOW, &v);
	expect_error("producedAt 100 s in the future", rc, &v, STAPLE_OK);
	CHECK(v.produced_at == NOW + 100, "producedAt in the future: reported as built");
}

/* The strings of the "error ENUM values" list in doc/CLI-CONTRACT.md, with
 * the value each one names. */
static const struct {
	enum staple_error error;
	const char *name;
} contract_errors[] = {
    {STAPLE_ERR_RESOLVE, "resolve"},
    {STAPLE_ERR_CONNECT, "connect"},
    {STAPLE_ERR_TIMEOUT, "timeout"},
    {STAPLE_ERR_HTTP_STATUS, "http-status"},
    {STAPLE_ERR_CONTENT_TYPE, "content-type"},
    {STAPLE_ERR_TOO_LARGE, "too-large"},
    {STAPLE_ERR_TOO_MANY_REDIRECTS, "too-many-redirects"},
    {STAPLE_ERR_TLS, "tls"},
    {STAPLE_ERR_TRANSPORT, "transport"},
    {STAPLE_ERR_MALFORMED, "malformed"},
    {STAPLE_ERR_STATUS_NOT_SUCCESSFUL, "status-not-successful"},
    {STAPLE_ERR_BAD_SIGNATURE, "bad-signature"},
    {STAPLE_ERR_UNTRUSTED_SIGNER, "untrusted-signer"},
    {STAPLE_ERR_SIGNER_NOT_AUTHORIZED, "signer-not-authorized"},
    {STAPLE_ERR_NO_MATCHING_RESPONSE, "no-matching-response"},
    {STAPLE_ERR_MULTIPLE_RESPONSES, "multiple-responses"},
    {STAPLE_ERR_NOT_YET_VALID, "not-yet-valid"},
    {STAPLE_ERR_EXPIRED, "expired"},
    {STAPLE_ERR_NO_NEXT_UPDATE, "no-next-update"},
    {STAPLE_ERR_CERT_STATUS_UNKNOWN, "cert-status-unknown"},
    {STAPLE_ERR_OLDER_THAN_STORED, "older-than-stored"},
    {STAPLE_ERR_EXPIRES_TOO_SOON, "expires-too-soon"},
};

static void test_error_names(void)
{
	const size_t ncontract = sizeof(contract_errors) / sizeof(contract_errors[0]);
	int all_named = 1, distinct = 1, all_documented = 1;
	char name[160];
	size_t i, j;

	for (i = 0; i < STAPLE_ERR_COUNT; i++) {
		const char *n = staple_error_name((enum staple_error)i);
		if (n == NULL || n[0] == '\0' || strcmp(n, "invalid") == 0) {
			all_named = 0;
			printf("# enum value %zu has no name\n", i);
		}
	}
	CHECK(all_named, "staple_error_name: every enum value has a name");
	for (i = 0; all_named && i < STAPLE_ERR_COUNT; i++)
		for (j = i + 1; j < STAPLE_ERR_COUNT; j++)
			if (strcmp(staple_error_name((enum staple_error)i),
			           staple_error_name((enum staple_error)j)) == 0)
				distinct = 0;
	CHECK(all_named && distinct, "staple_error_name: names are distinct");

	CHECK(strcmp(staple_error_name(STAPLE_OK), "ok") == 0, "staple_error_name(STAPLE_OK)");
	for (i = 0; i < ncontract; i++) {
		snprintf(name, sizeof(name), "staple_error_name is \"%s\" as in CLI-CONTRACT.md",
		         contract_errors[i].name);
		CHECK(strcmp(staple_error_name(contract_errors[i].error),
		             contract_errors[i].name) == 0,
		      name);
	}
	/* The other direction: JSON "errors" may only carry listed names. */
	for (i = 1; all_named && i < STAPLE_ERR_COUNT; i++) {
		const char *n = staple_error_name((enum staple_error)i);
		int listed = 0;
		for (j = 0; j < ncontract; j++)
			listed |= strcmp(n, contract_errors[j].name) == 0;
		if (!listed) {
			all_documented = 0;
			printf("# \"%s\" is not in the CLI-CONTRACT.md error list\n", n);
		}
	}
	CHECK(all_named && all_documented,
	      "every error name the code can report is listed in CLI-CONTRACT.md");
	CHECK(strcmp(staple_error_name(STAPLE_ERR_TLS), "tls") == 0, "staple_error_name(TLS)");

	CHECK(strcmp(staple_error_name(STAPLE_ERR_COUNT), "invalid") == 0,
	      "staple_error_name(STAPLE_ERR_COUNT) is \"invalid\"");
	CHECK(strcmp(staple_error_name((enum staple_error)(STAPLE_ERR_COUNT + 7)), "invalid") == 0,
	      "staple_error_name(out of range) is \"invalid\"");

	CHECK(strcmp(staple_cert_status_name(STAPLE_STATUS_GOOD), "good") == 0,
	      "staple_cert_status_name(good)");
	CHECK(strcmp(staple_cert_status_name(STAPLE_STATUS_REVOKED), "revoked") == 0,
	      "staple_cert_status_name(revoked)");
	CHECK(strcmp(staple_cert_status_name(STAPLE_STATUS_NONE), "none") == 0,
	      "staple_cert_status_name(none)");
}

static void test_withdraw_at(void)
{
	const time_t t = NOW;

	CHECK(staple_withdraw_at(t, t + 200) == t + 190, "withdraw_at: 200 s window -> 10 s early");
	CHECK(staple_withdraw_at(t, t + 3600) == t + 3600 - 120,
	      "withdraw_at: 1 h window -> capped at 120 s early");
	CHECK(staple_withdraw_at(t, t + 7 * DAY) == t + 7 * DAY - 120,
	      "withdraw_at: 7 days -> 120 s early");
	CHECK(staple_withdraw_at(t, t + 10) == t + 9, "withdraw_at: 10 s window -> 1 s early");
	CHECK(staple_withdraw_at(t, t) == t - 1, "withdraw_at: zero window -> before next_update");
	CHECK(staple_withdraw_at(t, t + 3600) > staple_refresh_at(t, t + 3600, 1.0),
	      "withdraw_at: after the latest refresh");
}

static void test_refresh_at(void)
{
	const time_t t = NOW;

	CHECK(staple_refresh_at(t, t + 3600, 0.0) == t + 1800, "refresh_at: jitter 0 -> half");
	CHECK(staple_refresh_at(t, t + 3600, 0.5) == t + 1800 - 90,
	      "refresh_at: jitter 0.5 -> half - 2.5 % of the window");
	CHECK(staple_refresh_at(t, t + 3600, 0.999999) == t + 1621,
	      "refresh_at: jitter 0.999999 -> half - 179 s");
	CHECK(staple_refresh_at(t, t + 3600, 1.0) == t + 1621,
	      "refresh_at: jitter 1 is clamped below 1");
	CHECK(staple_refresh_at(t, t + 3600, 7.0) == t + 1621, "refresh_at: jitter 7 is clamped");
	CHECK(staple_refresh_at(t, t + 3600, INFINITY) == t + 1621,
	      "refresh_at: jitter +inf is clamped");
	CHECK(staple_refresh_at(t, t + 3600, 1.0) > t + 1800 - 180,
	      "refresh_at: never the full 5 % earlier");
	CHECK(staple_refresh_at(t, t + 3600, -0.5) == t + 1800, "refresh_at: negative jitter -> 0");
	CHECK(staple_refresh_at(t, t + 3600, -INFINITY) == t + 1800,
	      "refresh_at: -inf jitter -> 0");
	CHECK(staple_refresh_at(t, t + 3600, NAN) == t + 1800, "refresh_at: NaN jitter -> 0");
	CHECK(staple_refresh_at(t, t, 0.5) == t, "refresh_at: zero window -> this_update");
	CHECK(staple_refresh_at(t, t - 3600, 0.5) == t,
	      "refresh_at: negative window -> this_update");
	CHECK(staple_refresh_at(t, t + 1, 0.5) == t, "refresh_at: 1 s window -> this_update");
	CHECK(staple_refresh_at(t, t + 7 * DAY, 0.0) == t + 302400,
	      "refresh_at: 7-day window, jitter 0 -> 3.5 days");
	CHECK(staple_refresh_at(t, t + 10 * DAY, 0.5) == t + 410400,
	      "refresh_at: 10-day window, jitter 0.5 -> 5 days - 6 h");
	CHECK(staple_refresh_at(0, 3600, 0.0) == 1800, "refresh_at: from the epoch");
}

static void test_servable_older(void)
{
	struct ocsp_verdict v, c;

	memset(&v, 0, sizeof(v));
	v.error = STAPLE_OK;
	v.status = STAPLE_STATUS_GOOD;
	v.this_update = NOW - 3600;
	v.next_update = NOW + 3600;
	v.produced_at = NOW - 3500;
	CHECK(staple_servable(&v, NOW) == 1, "servable: good, inside its window");
	CHECK(staple_servable(&v, NOW + 3599) == 1, "servable: 1 s before nextUpdate");
	CHECK(staple_servable(&v, NOW + 3600) == 0, "servable: not at nextUpdate");
	CHECK(staple_servable(&v, NOW - 3600 - 300) == 1,
	      "servable: thisUpdate up to the skew ahead");
	CHECK(staple_servable(&v, NOW - 3600 - 301) == 0,
	      "servable: not when thisUpdate is beyond the skew");
	v.status = STAPLE_STATUS_REVOKED;
	CHECK(staple_servable(&v, NOW) == 1, "servable: a valid revoked response");
	v.status = STAPLE_STATUS_NONE;
	CHECK(staple_servable(&v, NOW) == 0, "servable: not without a status");
	v.status = STAPLE_STATUS_GOOD;
	v.error = STAPLE_ERR_EXPIRED;
	CHECK(staple_servable(&v, NOW) == 0, "servable: not a refused response");

	v.error = STAPLE_OK;
	c = v;
	CHECK(staple_older(&c, &v) == 0, "older: identical is not older");
	c.this_update = v.this_update - 1;
	c.produced_at = v.produced_at + 100;
	CHECK(staple_older(&c, &v) == 1, "older: earlier thisUpdate (later producedAt)");
	c.this_update = v.this_update + 1;
	c.produced_at = v.produced_at - 100;
	CHECK(staple_older(&c, &v) == 0, "older: later thisUpdate (earlier producedAt)");
	c.this_update = v.this_update;
	c.produced_at = v.produced_at - 1;
	CHECK(staple_older(&c, &v) == 1, "older: same thisUpdate, earlier producedAt");
	c.produced_at = v.produced_at + 1;
	CHECK(staple_older(&c, &v) == 0, "older: same thisUpdate, later producedAt");
}

static void test_placeholder(void)
{
	static const unsigned char expect[5] = {0x30, 0x03, 0x0a, 0x01, 0x03};
	unsigned char copy[6];
	unsigned char *der = NULL;
	size_t len = 0;

	CHECK(memcmp(staple_placeholder_der, expect, sizeof(expect)) == 0,
	      "placeholder is 30 03 0a 01 03");
	if (testca_status_response_der(OCSP_RESPONSE_STATUS_TRYLATER, &der, &len) == 0) {
		CHECK(len == 5 && memcmp(der, staple_placeholder_der, 5) == 0,
		      "placeholder is OpenSSL's encoding of responseStatus tryLater");
		OPENSSL_free(der);
	} else {
		CHECK(0, "placeholder: build tryLater");
	}
	memcpy(copy, expect, 5);
	copy[5] = 0;
	CHECK(staple_is_placeholder(copy, 5) == 1, "is_placeholder: exact bytes");
	CHECK(staple_is_placeholder(copy, 4) == 0, "is_placeholder: a prefix is not");
	CHECK(staple_is_placeholder(copy, 6) == 0, "is_placeholder: with a trailing byte is not");
	copy[4] = 0x02; /* internalError */
	CHECK(staple_is_placeholder(copy, 5) == 0, "is_placeholder: another status is not");
	CHECK(staple_is_placeholder(NULL, 0) == 0, "is_placeholder: empty is not");
}

static void test_request_der(const struct fixture *f)
{
	unsigned char *der = NULL, *ref = NULL;
	const unsigned char *p;
	OCSP_REQUEST *req = NULL, *want_req = NULL;
	OCSP_CERTID *want = NULL;
	ASN1_OBJECT *md = NULL;
	OCSP_CERTID *id;
	size_t len = 0;
	int ref_len;

	CHECK(ocsp_request_der_new(f->leaf, f->ca, &der, &len) == 0 && der != NULL && len > 0,
	      "request: built");
	if (der == NULL)
		return;
	p = der;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	CHECK(req != NULL && p == der + len, "request: d2i_OCSP_REQUEST parses all of it");
	if (req == NULL)
		goto out;
	CHECK(OCSP_request_onereq_count(req) == 1, "request: exactly one CertID");
	want = OCSP_cert_to_id(NULL, f->leaf, f->ca);
	id = OCSP_request_onereq_count(req) == 1
	         ? OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0))
	         : NULL;
	CHECK(id != NULL && want != NULL && OCSP_id_cmp(id, want) == 0,
	      "request: CertID equals OCSP_cert_to_id(NULL, leaf, issuer)");
	CHECK(id != NULL && OCSP_id_get0_info(NULL, &md, NULL, NULL, id) == 1 &&
	          OBJ_obj2nid(md) == NID_sha1,
	      "request: CertID hash is SHA-1");
	CHECK(OCSP_REQUEST_get_ext_count(req) == 0, "request: no request extensions");
	CHECK(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) < 0,
	      "request: no nonce");
	CHECK(OCSP_request_is_signed(req) == 0, "request: not signed");

	/* What `openssl ocsp -no_nonce -issuer I -cert C -reqout R` writes. */
	want_req = OCSP_REQUEST_new();
	if (want_req != NULL && want != NULL && OCSP_request_add0_id(want_req, want) != NULL) {
		want = NULL; /* owned by want_req */
		ref_len = i2d_OCSP_REQUEST(want_req, &ref);
		CHECK(ref_len > 0 && (size_t)ref_len == len && memcmp(ref, der, len) == 0,
		      "request: byte-identical to openssl ocsp -no_nonce");
		OPENSSL_free(ref);
	} else {
		CHECK(0, "request: build the reference request");
	}
out:
	OCSP_CERTID_free(want);
	OCSP_REQUEST_free(want_req);
	OCSP_REQUEST_free(req);
	free(der);
}

/* Undo the GET encoding of enc (percent-decode %2B %2F %3D, then base64)
 * into out; returns the length, or -1 when enc is not exactly that. */
static long get_url_decode(const char *enc, unsigned char *out, size_t outlen)
{
	unsigned char b64[1024];
	size_t n = 0, pad = 0;
	int dec;

	while (*enc != '\0') {
		char c = *enc;
		if (n + 1 >= sizeof(b64))
			return -1;
		if (c == '%') {
			if (strncmp(enc, "%2B", 3) == 0)
				c = '+';
			else if (strncmp(enc, "%2F", 3) == 0)
				c = '/';
			else if (strncmp(enc, "%3D", 3) == 0)
				c = '=';
			else
				return -1;
			enc += 3;
		} else if (c == '+' || c == '/' || c == '=') {
			return -1; /* must have been escaped */
		} else {
			enc++;
		}
		b64[n++] = (unsigned char)c;
	}
	if (n % 4 != 0 || n / 4 * 3 > outlen)
		return -1;
	while (pad < n && pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	dec = EVP_DecodeBlock(out, b64, (int)n);
	if (dec < 0)
		return -1;
	return (long)dec - (long)pad;
}

static void test_get_url(const struct fixture *f)
{
	static const unsigned char special[2] = {0xfb, 0xff}; /* base64 "+/8=" */
	unsigned char big[190], decoded[512];
	unsigned char *der = NULL;
	char dst[1024];
	size_t len = 0;
	long dlen;
	int rc;

	rc = ocsp_request_get_url("http://ocsp.example", special, 2, dst, sizeof(dst));
	CHECK(rc == 1 && strcmp(dst, "http://ocsp.example/%2B%2F8%3D") == 0,
	      "get_url: base + '/' + %2B %2F %3D escapes");
	rc = ocsp_request_get_url("http://ocsp.example/", special, 2, dst, sizeof(dst));
	CHECK(rc == 1 && strcmp(dst, "http://ocsp.example/%2B%2F8%3D") == 0,
	      "get_url: no double slash when the base ends with '/'");
	rc = ocsp_request_get_url("http://ocsp.example/ca1", special, 2, dst, sizeof(dst));
	CHECK(rc == 1 && strcmp(dst, "http://ocsp.example/ca1/%2B%2F8%3D") == 0,
	      "get_url: base with a path");

	/* "http://ocsp.example/%2B%2F8%3D" is 30 characters */
	rc = ocsp_request_get_url("http://ocsp.example", special, 2, dst, 31);
	CHECK(rc == 1 && strlen(dst) == 30, "get_url: dst of exactly the length + 1");
	memset(dst, 'x', sizeof(dst));
	rc = ocsp_request_get_url("http://ocsp.example", special, 2, dst, 30);
	CHECK(rc == -1, "get_url: dst one byte short -> -1");
	CHECK(ocsp_request_get_url("http://ocsp.example", special, 2, dst, 0) == -1,
	      "get_url: dst of size 0 -> -1");

	/* 186 zero bytes encode to 248 'A's; a first group of fb ef 80 is
	 * "+++A", so the encoding becomes 248 + 3 * 2 = 254 bytes: GET. */
	memset(big, 0, sizeof(big));
	big[0] = 0xfb;
	big[1] = 0xef;
	big[2] = 0x80;
	rc = ocsp_request_get_url("http://o.example", big, 186, dst, sizeof(dst));
	CHECK(rc == 1 && strlen(dst) == strlen("http://o.example/") + 254,
	      "get_url: encoding of 254 bytes -> GET");
	dlen = rc == 1 ? get_url_decode(dst + strlen("http://o.example/"), decoded, sizeof(decoded))
	               : -1;
	CHECK(dlen == 186 && memcmp(decoded, big, 186) == 0,
	      "get_url: the 254-byte encoding decodes back");
	/* fb ef be is "++++": 248 + 4 * 2 = 256 bytes, POST. */
	big[2] = 0xbe;
	rc = ocsp_request_get_url("http://o.example", big, 186, dst, sizeof(dst));
	CHECK(rc == 0, "get_url: encoding of 256 bytes -> POST (0)");
	memset(big, 0, sizeof(big));
	rc = ocsp_request_get_url("http://o.example", big, 189, dst, sizeof(dst));
	CHECK(rc == 1 && strlen(dst) == strlen("http://o.example/") + 252,
	      "get_url: 189 bytes without escapes (252) -> GET");
	rc = ocsp_request_get_url("http://o.example", big, 190, dst, sizeof(dst));
	CHECK(rc == 0, "get_url: 190 bytes (256 base64 characters) -> POST (0)");
	rc = ocsp_request_get_url("http://o.example", big, 190, dst, 4);
	CHECK(rc == 0, "get_url: POST is decided before dst is measured");

	if (ocsp_request_der_new(f->leaf, f->ca, &der, &len) != 0) {
		CHECK(0, "get_url: build the request");
		return;
	}
	rc = ocsp_request_get_url("http://ocsp.example", der, len, dst, sizeof(dst));
	CHECK(rc == 1 && strncmp(dst, "http://ocsp.example/", 20) == 0,
	      "get_url: a real request goes by GET");
	dlen = rc == 1 ? get_url_decode(dst + 20, decoded, sizeof(decoded)) : -1;
	CHECK(dlen >= 0 && (size_t)dlen == len && memcmp(decoded, der, len) == 0,
	      "get_url: the encoded part decodes back to the request DER");
	free(der);
}

int main(void)
{
	struct fixture f;

	if (fixture_init(&f) != 0) {
		ERR_print_errors_fp(stderr);
		CHECK(0, "fixture: build the test CA and certificates");
		fixture_free(&f);
		return tap_done();
	}
	test_good(&f);
	test_revoked(&f);
	test_not_successful(&f);
	test_malformed(&f);
	test_signature(&f);
	test_signers(&f);
	test_cert_id(&f);
	test_times(&f);
	test_error_names();
	test_refresh_at();
	test_withdraw_at();
	test_servable_older();
	test_placeholder();
	test_request_der(&f);
	test_get_url(&f);
	fixture_free(&f);
	return tap_done();
}

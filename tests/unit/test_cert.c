/*
 * Unit tests for what the daemon uses to keep certificates small and shared:
 * cert.c's PEM splitting and cert_leaf (a leaf decoded without its public
 * key), compared field by field with what d2i_X509 gives; the CertID
 * functions of ocsp.c that take an issuer name and serial instead of an X509;
 * and cacerts.c (one X509 per distinct DER, also from several threads).
 *
 * Certificates come from testca.c, in memory; nothing depends on the clock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "x509/cacerts.h"
#include "x509/cert.h"
#include "ocsp/check.h"
#include "tap.h"
#include "testca.c"

#define DAY 86400
#define NOW ((time_t)1800000000) /* 2027-01-15T08:00:00Z */

#define AIA                                                                     \
	"OCSP;URI:http://ocsp.example/,OCSP;URI:ldap://ocsp.example/,"          \
	"OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/ca.crt," \
	"OCSP;URI:https://backup.example/ocsp"

struct fixture {
	EVP_PKEY *ca_key, *leaf_key, *rogue_key, *rsa_key;
	X509 *ca, *leaf, *rogue, *rogue_same_name, *rsa_ca, *rsa_leaf, *bare_leaf;
	unsigned char *leaf_der, *ca_der;
	int leaf_len, ca_len;
};

static X509 *issue(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   int ca, const char *aia)
{
	struct testca_cert_spec spec = {
	    .cn = cn,
	    .serial = serial,
	    .key = key,
	    .issuer = issuer,
	    .issuer_key = issuer_key,
	    .not_before = NOW - (ca ? 365 : 30) * DAY,
	    .not_after = NOW + (ca ? 3650 : 60) * DAY,
	    .ca = ca,
	    .aia = aia,
	};

	if (key == NULL || issuer_key == NULL)
		return NULL;
	return testca_cert_new(&spec);
}

static int fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->ca_key = testca_key_new();
	f->leaf_key = testca_key_new();
	f->rogue_key = testca_key_new();
	f->rsa_key = EVP_RSA_gen(2048);
	f->ca = issue("holdfast test CA", 1, f->ca_key, NULL, f->ca_key, 1, NULL);
	f->rogue = issue("rogue CA", 2, f->rogue_key, NULL, f->rogue_key, 1, NULL);
	f->rogue_same_name =
	    issue("holdfast test CA", 3, f->rogue_key, NULL, f->rogue_key, 1, NULL);
	f->rsa_ca = issue("holdfast test RSA CA", 4, f->rsa_key, NULL, f->rsa_key, 1, NULL);
	if (f->ca == NULL || f->rsa_ca == NULL)
		return -1;
	f->leaf = issue("leaf.example", 0x1234567, f->leaf_key, f->ca, f->ca_key, 0, AIA);
	f->bare_leaf = issue("bare.example", 0x42, f->leaf_key, f->ca, f->ca_key, 0, NULL);
	f->rsa_leaf = issue("rsa-leaf.example", 0x4001, f->leaf_key, f->rsa_ca, f->rsa_key, 0, AIA);
	if (f->leaf == NULL || f->bare_leaf == NULL || f->rsa_leaf == NULL || f->rogue == NULL ||
	    f->rogue_same_name == NULL)
		return -1;
	f->leaf_len = i2d_X509(f->leaf, &f->leaf_der);
	f->ca_len = i2d_X509(f->ca, &f->ca_der);
	return f->leaf_len > 0 && f->ca_len > 0 ? 0 : -1;
}

static void fixture_free(struct fixture *f)
{
	X509 *certs[] = {f->ca,     f->leaf,     f->rogue,    f->rogue_same_name,
	                 f->rsa_ca, f->rsa_leaf, f->bare_leaf};
	EVP_PKEY *keys[] = {f->ca_key, f->leaf_key, f->rogue_key, f->rsa_key};
	size_t i;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	OPENSSL_free(f->leaf_der);
	OPENSSL_free(f->ca_der);
}

/* The PEM of certs (and of key, first, when given) in a new string. */
static char *pem_of(EVP_PKEY *key, X509 *const *certs, size_t count, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;
	size_t i;

	if (bio == NULL)
		return NULL;
	if (key != NULL)
		PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	for (i = 0; i < count; i++)
		PEM_write_bio_X509(bio, certs[i]);
	n = BIO_get_mem_data(bio, &data);
	if (n > 0 && (out = malloc((size_t)n)) != NULL) {
		memcpy(out, data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(bio);
	return out;
}

static int der_is(const unsigned char *der, size_t len, X509 *cert)
{
	unsigned char *want = NULL;
	int n = i2d_X509(cert, &want), same;

	same = n > 0 && (size_t)n == len && memcmp(der, want, len) == 0;
	OPENSSL_free(want);
	return same;
}

static void test_pem_split(struct fixture *f)
{
	X509 *chain[] = {f->leaf, f->ca, f->rogue};
	unsigned char *leaf = NULL, *issuer = NULL;
	size_t leaf_len = 0, issuer_len = 0, len = 0;
	char *pem;

	pem = pem_of(NULL, chain, 3, &len);
	CHECK(pem != NULL &&
	          cert_pem_leaf_issuer_der(pem, len, &leaf, &leaf_len, &issuer, &issuer_len) == 0,
	      "pem: a chain of three splits");
	CHECK(leaf != NULL && der_is(leaf, leaf_len, f->leaf), "pem: first block is the leaf");
	CHECK(issuer != NULL && der_is(issuer, issuer_len, f->ca), "pem: second is the issuer");
	free(leaf);
	free(issuer);
	free(pem);

	pem = pem_of(f->leaf_key, chain, 1, &len);
	CHECK(pem != NULL &&
	          cert_pem_leaf_issuer_der(pem, len, &leaf, &leaf_len, &issuer, &issuer_len) == 0,
	      "pem: a key block before the certificate is skipped");
	CHECK(leaf != NULL && der_is(leaf, leaf_len, f->leaf) && issuer == NULL && issuer_len == 0,
	      "pem: one certificate gives the leaf and no issuer");
	free(leaf);
	free(issuer);
	free(pem);

	CHECK(cert_pem_leaf_issuer_der("no pem here\n", 12, &leaf, &leaf_len, &issuer,
	                               &issuer_len) == -1 &&
	          leaf == NULL && issuer == NULL,
	      "pem: text without a certificate is refused");
	CHECK(cert_pem_leaf_issuer_der("", 0, &leaf, &leaf_len, &issuer, &issuer_len) == -1,
	      "pem: empty input is refused");
}

static void test_leaf_fields(struct fixture *f)
{
	struct cert_leaf *leaf = cert_leaf_new(f->leaf_der, (size_t)f->leaf_len);
	char *urls[CERT_URLS_MAX], *want[CERT_URLS_MAX], hex[64], want_hex[64];
	size_t n, m, i;
	time_t nb = 0, na = 0;
	int same;

	CHECK(leaf != NULL, "leaf: decodes");
	if (leaf == NULL)
		return;
	CHECK(ASN1_INTEGER_cmp(cert_leaf_serial(leaf), X509_get0_serialNumber(f->leaf)) == 0,
	      "leaf: serial as d2i_X509 reads it");
	CHECK(strcmp(cert_leaf_serial_hex(leaf, hex, sizeof(hex)),
	             cert_serial_hex(f->leaf, want_hex, sizeof(want_hex))) == 0 &&
	          strcmp(hex, "01234567") == 0,
	      "leaf: serial hex");
	CHECK(X509_NAME_cmp(cert_leaf_issuer_name(leaf), X509_get_issuer_name(f->leaf)) == 0,
	      "leaf: issuer name");
	CHECK(cert_leaf_validity(leaf, &nb, &na) == 0 && nb == NOW - 30 * DAY &&
	          na == NOW + 60 * DAY,
	      "leaf: validity");
	n = cert_leaf_ocsp_urls(leaf, urls, 0, CERT_URLS_MAX);
	m = cert_ocsp_urls(f->leaf, want, 0, CERT_URLS_MAX);
	same = n == m && n == 2 && strcmp(urls[0], "http://ocsp.example/") == 0 &&
	       strcmp(urls[1], "https://backup.example/ocsp") == 0;
	for (i = 0; same && i < n; i++)
		same = strcmp(urls[i], want[i]) == 0;
	CHECK(same, "leaf: OCSP URLs: http(s) only, no duplicates, as cert_ocsp_urls");
	for (i = 0; i < n; i++)
		free(urls[i]);
	for (i = 0; i < m; i++)
		free(want[i]);
	CHECK(cert_leaf_ocsp_urls(leaf, urls, 0, 1) == 1, "leaf: OCSP URLs stop at max");
	free(urls[0]);
	cert_leaf_free(leaf);

	leaf = cert_leaf_new(f->ca_der, (size_t)f->ca_len);
	CHECK(leaf != NULL && cert_leaf_ocsp_urls(leaf, urls, 0, CERT_URLS_MAX) == 0,
	      "leaf: no AIA, no URLs");
	cert_leaf_free(leaf);
	cert_leaf_free(NULL);
}

static void test_leaf_malformed(struct fixture *f)
{
	unsigned char *der = malloc((size_t)f->leaf_len + 1);
	size_t i;
	int all = 1;

	if (der == NULL)
		return;
	memcpy(der, f->leaf_der, (size_t)f->leaf_len);
	der[f->leaf_len] = 0;
	CHECK(cert_leaf_new(der, (size_t)f->leaf_len + 1) == NULL, "leaf: trailing byte refused");
	for (i = 0; i < (size_t)f->leaf_len; i++) {
		struct cert_leaf *leaf = cert_leaf_new(der, i);
		all &= leaf == NULL;
		cert_leaf_free(leaf);
	}
	CHECK(all, "leaf: every truncation refused");
	CHECK(cert_leaf_new(NULL, 0) == NULL, "leaf: NULL refused");
	der[0] = 0x31; /* SET instead of SEQUENCE */
	CHECK(cert_leaf_new(der, (size_t)f->leaf_len) == NULL, "leaf: wrong outer tag refused");
	free(der);
}

static void test_leaf_verify(struct fixture *f)
{
	struct cert_leaf *leaf = cert_leaf_new(f->leaf_der, (size_t)f->leaf_len), *rsa;
	unsigned char *der = NULL, *tampered;
	char why[200];
	int n;

	CHECK(leaf != NULL && cert_leaf_verify(leaf, f->ca, why, sizeof(why)) == 1,
	      "verify: signed by its issuer (ECDSA)");
	why[0] = '\0';
	CHECK(leaf != NULL && cert_leaf_verify(leaf, f->rogue, why, sizeof(why)) == 0 &&
	          strstr(why, "issuer name") != NULL,
	      "verify: another CA's name is refused");
	why[0] = '\0';
	CHECK(leaf != NULL && cert_leaf_verify(leaf, f->rogue_same_name, why, sizeof(why)) == 0 &&
	          strstr(why, "signature") != NULL,
	      "verify: same name, other key: the signature is refused");
	cert_leaf_free(leaf);

	n = i2d_X509(f->rsa_leaf, &der);
	rsa = n > 0 ? cert_leaf_new(der, (size_t)n) : NULL;
	CHECK(rsa != NULL && cert_leaf_verify(rsa, f->rsa_ca, why, sizeof(why)) == 1,
	      "verify: signed by its issuer (RSA)");
	cert_leaf_free(rsa);
	OPENSSL_free(der);

	/* One bit of the signature value (the last byte of the DER) flipped. */
	tampered = malloc((size_t)f->leaf_len);
	if (tampered == NULL)
		return;
	memcpy(tampered, f->leaf_der, (size_t)f->leaf_len);
	tampered[f->leaf_len - 1] ^= 0x01;
	leaf = cert_leaf_new(tampered, (size_t)f->leaf_len);
	CHECK(leaf == NULL || cert_leaf_verify(leaf, f->ca, why, sizeof(why)) == 0,
	      "verify: a flipped signature bit is refused");
	cert_leaf_free(leaf);
	/* A byte of the TBSCertificate (in the validity) changed. */
	memcpy(tampered, f->leaf_der, (size_t)f->leaf_len);
	{
		const unsigned char *hit = NULL;
		size_t i;
		for (i = 0; i + 2 < (size_t)f->leaf_len && hit == NULL; i++)
			if (tampered[i] == 0x17 && tampered[i + 1] == 0x0d) /* UTCTime */
				hit = tampered + i;
		if (hit != NULL)
			tampered[hit - tampered + 3] ^= 0x01;
		leaf = hit ? cert_leaf_new(tampered, (size_t)f->leaf_len) : NULL;
		CHECK(hit != NULL &&
		          (leaf == NULL || cert_leaf_verify(leaf, f->ca, why, sizeof(why)) == 0),
		      "verify: a changed TBSCertificate byte is refused");
		cert_leaf_free(leaf);
	}
	free(tampered);
}

static void test_ocsp_by_serial(struct fixture *f)
{
	struct cert_leaf *leaf = cert_leaf_new(f->leaf_der, (size_t)f->leaf_len);
	struct testca_single single = {
	    .leaf = f->leaf,
	    .issuer = f->ca,
	    .status = V_OCSP_CERTSTATUS_GOOD,
	    .reason = -1,
	    .this_update = NOW - 3600,
	    .next_update = NOW + 3 * DAY,
	};
	struct testca_response_spec spec = {
	    .signer = f->ca,
	    .signer_key = f->ca_key,
	    .flags = OCSP_NOCERTS | OCSP_RESPID_KEY,
	    .produced_at = NOW - 3500,
	    .singles = &single,
	    .single_count = 1,
	};
	unsigned char *der = NULL, *req_a = NULL, *req_b = NULL;
	size_t len = 0, len_a = 0, len_b = 0;
	struct ocsp_verdict v;
	ASN1_INTEGER *other = NULL;

	if (leaf == NULL || testca_response_der(&spec, &der, &len) != 0) {
		CHECK(0, "ocsp: fixture");
		cert_leaf_free(leaf);
		return;
	}
	CHECK(ocsp_response_check_serial(der, len, cert_leaf_issuer_name(leaf),
	                                 cert_leaf_serial(leaf), f->ca, NOW, &v) == STAPLE_OK &&
	          v.status == STAPLE_STATUS_GOOD && v.next_update == NOW + 3 * DAY,
	      "ocsp: the response checks by issuer name and serial");
	other = ASN1_INTEGER_new();
	if (other != NULL)
		ASN1_INTEGER_set(other, 0x1234568);
	CHECK(other != NULL &&
	          ocsp_response_check_serial(der, len, cert_leaf_issuer_name(leaf), other, f->ca,
	                                     NOW, &v) == STAPLE_ERR_NO_MATCHING_RESPONSE,
	      "ocsp: another serial does not match");
	CHECK(ocsp_response_check_serial(der, len, X509_get_subject_name(f->rogue),
	                                 cert_leaf_serial(leaf), f->ca, NOW,
	                                 &v) == STAPLE_ERR_NO_MATCHING_RESPONSE,
	      "ocsp: another issuer name does not match");
	CHECK(ocsp_request_der_new(f->leaf, f->ca, &req_a, &len_a) == 0 &&
	          ocsp_request_der_new_serial(cert_leaf_issuer_name(leaf), cert_leaf_serial(leaf),
	                                      f->ca, &req_b, &len_b) == 0 &&
	          len_a == len_b && memcmp(req_a, req_b, len_a) == 0,
	      "ocsp: the request by issuer name and serial is the same DER");
	ASN1_INTEGER_free(other);
	free(req_a);
	free(req_b);
	OPENSSL_free(der);
	cert_leaf_free(leaf);
}

struct cacerts_race {
	struct cacerts *set;
	const unsigned char *der[2];
	size_t len[2];
	X509 *seen[2];
	int consistent;
};

static void *cacerts_worker(void *arg)
{
	struct cacerts_race *r = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		X509 *x = cacerts_get(r->set, r->der[i % 2], r->len[i % 2]);
		if (x == NULL || (r->seen[i % 2] != NULL && r->seen[i % 2] != x))
			r->consistent = 0;
		r->seen[i % 2] = x;
	}
	return NULL;
}

static void test_cacerts(struct fixture *f)
{
	struct cacerts *set = cacerts_new();
	struct cacerts_race races[4];
	unsigned char *rsa_der = NULL, garbage[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	pthread_t threads[4];
	X509 *a, *b, *c;
	int rsa_len = i2d_X509(f->rsa_ca, &rsa_der), i, started = 0, same = 1;

	if (set == NULL || rsa_len <= 0) {
		CHECK(0, "cacerts: fixture");
		cacerts_free(set);
		OPENSSL_free(rsa_der);
		return;
	}
	a = cacerts_get(set, f->ca_der, (size_t)f->ca_len);
	b = cacerts_get(set, f->ca_der, (size_t)f->ca_len);
	c = cacerts_get(set, rsa_der, (size_t)rsa_len);
	CHECK(a != NULL && a == b, "cacerts: the same DER gives the same X509");
	CHECK(a != NULL && X509_cmp(a, f->ca) == 0, "cacerts: and it is that certificate");
	CHECK(c != NULL && c != a && X509_cmp(c, f->rsa_ca) == 0,
	      "cacerts: another DER gives another X509");
	CHECK(cacerts_get(set, garbage, sizeof(garbage)) == NULL,
	      "cacerts: not a certificate: NULL");
	CHECK(cacerts_get(set, f->ca_der, (size_t)f->ca_len - 1) == NULL,
	      "cacerts: truncated: NULL");
	cacerts_free(set);
	cacerts_free(NULL);

	set = cacerts_new();
	for (i = 0; set != NULL && i < 4; i++) {
		memset(&races[i], 0, sizeof(races[i]));
		races[i].set = set;
		races[i].der[0] = f->ca_der;
		races[i].len[0] = (size_t)f->ca_len;
		races[i].der[1] = rsa_der;
		races[i].len[1] = (size_t)rsa_len;
		races[i].consistent = 1;
		if (pthread_create(&threads[i], NULL, cacerts_worker, &races[i]) == 0)
			started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < started; i++)
		same &= races[i].consistent && races[i].seen[0] == races[0].seen[0] &&
		        races[i].seen[1] == races[0].seen[1] &&
		        races[i].seen[0] != races[i].seen[1];
	CHECK(started == 4 && same, "cacerts: 4 threads get one X509 per DER");
	cacerts_free(set);
	OPENSSL_free(rsa_der);
}

int main(void)
{
	struct fixture f;

	if (fixture_init(&f) != 0) {
		CHECK(0, "fixture");
		fixture_free(&f);
		return tap_done();
	}
	test_pem_split(&f);
	test_leaf_fields(&f);
	test_leaf_malformed(&f);
	test_leaf_verify(&f);
	test_ocsp_by_serial(&f);
	test_cacerts(&f);
	fixture_free(&f);
	return tap_done();
}

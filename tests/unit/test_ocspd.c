/*
 * Unit tests for ocspd.c, the table behind ocsp_listen: which answer each
 * request is given (the stored staple byte for byte, tryLater, unauthorized,
 * malformedRequest), CertIDs in SHA-1 and SHA-256, the withdrawal time, the
 * replacement and removal of entries, and a table large enough to grow.
 * Requests are built with holdfast's own ocsp_request_der_new() (what the
 * staple fetcher sends) and with OpenSSL directly.  Every answer is computed
 * at a fixed instant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

#include "ocsp/check.h"
#include "ocsp/responder.h"
#include "tap.h"
#include "testca.c"

#define NOW ((time_t)1800000000)
#define DAY 86400

static const unsigned char staple_a[] = "staple A (served as stored)";
static const unsigned char staple_b[] = "staple B";

static X509 *issue(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca)
{
	struct testca_cert_spec spec = {.cn = cn,
	                                .serial = serial,
	                                .key = key,
	                                .issuer = issuer,
	                                .issuer_key = ikey,
	                                .not_before = NOW - 30 * DAY,
	                                .not_after = NOW + 30 * DAY,
	                                .ca = ca};
	return testca_cert_new(&spec);
}

/* The DER of r (r is freed; *der for OPENSSL_free); 0 or -1. */
static int request_der(OCSP_REQUEST *r, unsigned char **der, size_t *len)
{
	int n;

	*der = NULL;
	n = r != NULL ? i2d_OCSP_REQUEST(r, der) : -1;
	OCSP_REQUEST_free(r);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* The request for leaf with CertID hash md (NULL: holdfast's own request). */
static int request(X509 *leaf, X509 *issuer, const EVP_MD *md, unsigned char **der, size_t *len)
{
	OCSP_REQUEST *r;
	OCSP_CERTID *id;

	if (md == NULL)
		return ocsp_request_der_new(leaf, issuer, der, len);
	r = OCSP_REQUEST_new();
	id = OCSP_cert_to_id(md, leaf, issuer);
	if (r == NULL || id == NULL || OCSP_request_add0_id(r, id) == NULL) {
		OCSP_REQUEST_free(r);
		return -1;
	}
	return request_der(r, der, len);
}

/* Ask o with the request r (freed); the answer kind, the bytes into out. */
static enum ocspd_answer ask_request(struct ocspd *o, OCSP_REQUEST *r, time_t now,
                                     unsigned char **out, size_t *out_len, char *name)
{
	unsigned char *der;
	size_t len = 0;
	enum ocspd_answer a;

	if (request_der(r, &der, &len) != 0)
		return (enum ocspd_answer) - 1;
	a = ocspd_answer(o, der, len, now, out, out_len, name, 64);
	OPENSSL_free(der);
	return a;
}

/* Ask o about leaf; the answer kind, the bytes into out. */
static enum ocspd_answer ask(struct ocspd *o, X509 *leaf, X509 *issuer, const EVP_MD *md,
                             time_t now, unsigned char **out, size_t *out_len, char *name)
{
	unsigned char *der = NULL;
	size_t len = 0;
	enum ocspd_answer a;

	if (request(leaf, issuer, md, &der, &len) != 0)
		return (enum ocspd_answer) - 1;
	a = ocspd_answer(o, der, len, now, out, out_len, name, 64);
	OPENSSL_free(der);
	return a;
}

static int answered_bytes(const unsigned char *out, size_t len, const unsigned char *want,
                          size_t want_len)
{
	return out != NULL && len == want_len && memcmp(out, want, len) == 0;
}

int main(void)
{
	EVP_PKEY *ca_key = testca_key_new(), *other_key = testca_key_new(),
	         *leaf_key = testca_key_new();
	X509 *ca = issue("holdfast ocspd CA", 1, ca_key, NULL, ca_key, 1);
	X509 *other_ca = issue("holdfast other CA", 1, other_key, NULL, other_key, 1);
	X509 *leaf = issue("leaf.example", 0x1001, leaf_key, ca, ca_key, 0);
	X509 *stranger = issue("stranger.example", 0x1002, leaf_key, ca, ca_key, 0);
	/* the same serial as leaf, from another CA */
	X509 *twin = issue("twin.example", 0x1001, leaf_key, other_ca, other_key, 0);
	static const unsigned char try_later[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
	static const unsigned char unauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};
	static const unsigned char malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
	struct ocspd *o = ocspd_new();
	unsigned char *out = NULL, *der = NULL;
	size_t out_len = 0, len = 0;
	char name[64];
	enum ocspd_answer a;
	unsigned long counts[4];
	int i, ok;

	if (ca == NULL || other_ca == NULL || leaf == NULL || stranger == NULL || twin == NULL ||
	    o == NULL) {
		CHECK(0, "fixture: certificates and table");
		return tap_done();
	}
	CHECK(ocspd_publish(o, "www", X509_get_issuer_name(leaf), X509_get0_serialNumber(leaf), ca,
	                    staple_a, sizeof(staple_a), NOW + 60) == 0,
	      "publish www with a staple");

	a = ask(o, leaf, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE && answered_bytes(out, out_len, staple_a, sizeof(staple_a)),
	      "holdfast's own request (SHA-1 CertID): the stored staple, byte for byte");
	CHECK(strcmp(name, "www") == 0, "the answer names the certificate");
	free(out);
	a = ask(o, leaf, ca, EVP_sha256(), NOW, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE && answered_bytes(out, out_len, staple_a, sizeof(staple_a)),
	      "SHA-256 CertID: the stored staple");
	free(out);
	a = ask(o, leaf, ca, EVP_sha1(), NOW + 59, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE, "one second before the withdrawal: still the staple");
	free(out);
	a = ask(o, leaf, ca, EVP_sha1(), NOW + 60, &out, &out_len, name);
	CHECK(a == OCSPD_TRY_LATER && answered_bytes(out, out_len, try_later, sizeof(try_later)),
	      "at the withdrawal time: tryLater, whatever the daemon's loop did");
	free(out);

	a = ask(o, stranger, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_UNAUTHORIZED &&
	          answered_bytes(out, out_len, unauthorized, sizeof(unauthorized)) &&
	          name[0] == '\0',
	      "another serial of the same CA: unauthorized");
	free(out);
	a = ask(o, twin, other_ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_UNAUTHORIZED, "the same serial from another CA: unauthorized");
	free(out);
	a = ask(o, leaf, other_ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_UNAUTHORIZED, "the right serial with the wrong issuer key: unauthorized");
	free(out);

	/* malformed requests */
	a = ocspd_answer(o, (const unsigned char *)"garbage", 7, NOW, &out, &out_len, name, 64);
	CHECK(a == OCSPD_MALFORMED && answered_bytes(out, out_len, malformed, sizeof(malformed)),
	      "garbage: malformedRequest");
	free(out);
	a = ocspd_answer(o, (const unsigned char *)"", 0, NOW, &out, &out_len, name, 64);
	CHECK(a == OCSPD_MALFORMED, "empty body: malformedRequest");
	free(out);
	if (request(leaf, ca, NULL, &der, &len) == 0) {
		unsigned char *longer = malloc(len + 1);
		memcpy(longer, der, len);
		longer[len] = 0;
		a = ocspd_answer(o, longer, len + 1, NOW, &out, &out_len, name, 64);
		CHECK(a == OCSPD_MALFORMED,
		      "a good request with a trailing byte: malformedRequest");
		free(out);
		a = ocspd_answer(o, der, len - 1, NOW, &out, &out_len, name, 64);
		CHECK(a == OCSPD_MALFORMED, "a truncated request: malformedRequest");
		free(out);
		free(longer);
		OPENSSL_free(der);
	}
	{
		OCSP_REQUEST *r = OCSP_REQUEST_new();
		OCSP_request_add0_id(r, OCSP_cert_to_id(NULL, leaf, ca));
		OCSP_request_add0_id(r, OCSP_cert_to_id(NULL, stranger, ca));
		a = ask_request(o, r, NOW, &out, &out_len, name);
		CHECK(a == OCSPD_MALFORMED, "two certificates in one request: malformedRequest");
		free(out);
	}
	{
		OCSP_REQUEST *r = OCSP_REQUEST_new();
		OCSP_request_add0_id(r, OCSP_cert_to_id(NULL, leaf, ca));
		OCSP_request_add1_nonce(r, NULL, -1);
		a = ask_request(o, r, NOW, &out, &out_len, name);
		CHECK(a == OCSPD_STAPLE,
		      "a request with a nonce: the stored staple (nonce ignored)");
		free(out);
	}

	/* replacing, withdrawing, forgetting */
	ocspd_publish(o, "www", X509_get_issuer_name(leaf), X509_get0_serialNumber(leaf), ca,
	              staple_b, sizeof(staple_b), NOW + 600);
	a = ask(o, leaf, ca, NULL, NOW + 300, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE && answered_bytes(out, out_len, staple_b, sizeof(staple_b)),
	      "published again: the new staple replaces the old");
	free(out);
	ocspd_publish(o, "www", X509_get_issuer_name(leaf), X509_get0_serialNumber(leaf), ca, NULL,
	              0, 0);
	a = ask(o, leaf, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_TRY_LATER && strcmp(name, "www") == 0,
	      "published without a staple: tryLater");
	free(out);
	ocspd_publish(o, "www", X509_get_issuer_name(stranger), X509_get0_serialNumber(stranger),
	              ca, staple_a, sizeof(staple_a), NOW + 60);
	a = ask(o, leaf, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_UNAUTHORIZED, "www now has another certificate: the old one is unknown");
	free(out);
	a = ask(o, stranger, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE, "... and the new one is served");
	free(out);
	ocspd_forget(o, "www");
	a = ask(o, stranger, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_UNAUTHORIZED, "forgotten: unauthorized");
	free(out);

	/* a table that grows several times: every entry is still found */
	for (i = 0; i < 3000; i++) {
		char n[32];
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		snprintf(n, sizeof(n), "site%d", i);
		ASN1_INTEGER_set(serial, 0x100000 + i);
		ocspd_publish(o, n, X509_get_subject_name(ca), serial, ca, (const unsigned char *)n,
		              strlen(n), NOW + 60);
		ASN1_INTEGER_free(serial);
	}
	ocspd_publish(o, "www", X509_get_issuer_name(leaf), X509_get0_serialNumber(leaf), ca,
	              staple_a, sizeof(staple_a), NOW + 60);
	for (ok = 1, i = 0; i < 3000; i += 7) {
		OCSP_REQUEST *r = OCSP_REQUEST_new();
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		char n[32];
		ASN1_INTEGER_set(serial, 0x100000 + i);
		OCSP_request_add0_id(r, OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca),
		                                         X509_get0_pubkey_bitstr(ca), serial));
		a = ask_request(o, r, NOW, &out, &out_len, name);
		snprintf(n, sizeof(n), "site%d", i);
		ok &= a == OCSPD_STAPLE && strcmp(name, n) == 0 &&
		      answered_bytes(out, out_len, (const unsigned char *)n, strlen(n));
		free(out);
		ASN1_INTEGER_free(serial);
	}
	CHECK(ok, "3,000 certificates: each answered with its own staple");
	a = ask(o, leaf, ca, NULL, NOW, &out, &out_len, name);
	CHECK(a == OCSPD_STAPLE && strcmp(name, "www") == 0, "... and www among them");
	free(out);

	ocspd_counts(o, counts);
	CHECK(counts[OCSPD_STAPLE] > 0 && counts[OCSPD_TRY_LATER] == 2 &&
	          counts[OCSPD_UNAUTHORIZED] == 5 && counts[OCSPD_MALFORMED] == 5,
	      "answers counted by kind");
	CHECK(strcmp(ocspd_answer_name(OCSPD_TRY_LATER), "tryLater") == 0 &&
	          strcmp(ocspd_answer_name(OCSPD_MALFORMED), "malformedRequest") == 0,
	      "answer names");

	ocspd_free(o);
	X509_free(ca);
	X509_free(other_ca);
	X509_free(leaf);
	X509_free(stranger);
	X509_free(twin);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(leaf_key);
	return tap_done();
}

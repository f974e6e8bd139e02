/* Unit tests for the pure parts of ACME: base64url, JWK thumbprints, JWS
 * signatures, CSRs, ARI certificate IDs and renewal times, the endpoint
 * circuit breaker, and RFC 3339 parsing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/profile.h"
#include "acme/protocol.h"
#include "acme/jws.h"
#include "acme/ari.h"
#include "acme/breaker.h"
#include "acme/challenge.h"
#include "tap.h"
#include "util/timeutil.h"

static void test_b64url(void)
{
	static const unsigned char data[] = {0xfb, 0xff, 0xfe, 0x00, 0x01};
	unsigned char *out = NULL;
	size_t len = 0;
	char *s = b64url_new(data, sizeof(data));

	CHECK(s != NULL && strcmp(s, "-__-AAE") == 0, "b64url uses - and _ and no padding");
	CHECK(b64url_decode_new("-__-AAE", &out, &len) == 0 && len == 5 &&
	          memcmp(out, data, 5) == 0,
	      "b64url decodes back");
	free(out);
	CHECK(b64url_decode_new("+//+AAE", &out, &len) == -1, "standard base64 is refused");
	CHECK(b64url_decode_new("A", &out, &len) == -1, "impossible length refused");
	CHECK(b64url_decode_new("", &out, &len) == 0 && len == 0, "empty decodes to nothing");
	free(out);
	free(s);
}

/* RFC 7638 3.1 example key: its thumbprint is known. */
static void test_thumbprint_rfc7638(void)
{
	static const char n_b64[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
	    "_"
	    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
	    "65YGjQR0_"
	    "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
	    "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
	    "kEgU8awapJzKnqDKgw";
	unsigned char *n = NULL;
	size_t nlen = 0;
	char tp[96] = "";
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = NULL, *e = BN_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	b64url_decode_new(n_b64, &n, &nlen);
	bn = BN_bin2bn(n, (int)nlen, NULL);
	BN_set_word(e, 65537);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_fromdata_init(ctx);
	EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	CHECK(key != NULL && jwk_thumbprint(key, tp, sizeof(tp)) == 0 &&
	          strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
	      "RFC 7638 example thumbprint");
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(e);
	free(n);
}

/* Verify a flattened JWS produced by jws_sign_new with key. */
static int jws_verifies(const char *jws_text, EVP_PKEY *key, json_t **header_out)
{
	json_t *jws = json_loads(jws_text, 0, NULL);
	const char *prot = json_string_value(json_object_get(jws, "protected"));
	const char *pay = json_string_value(json_object_get(jws, "payload"));
	const char *sig = json_string_value(json_object_get(jws, "signature"));
	unsigned char *raw = NULL, *hdr = NULL, *der = NULL;
	size_t rawlen = 0, hdrlen = 0;
	char *input = NULL;
	int ok = 0, derlen;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (prot == NULL || pay == NULL || sig == NULL)
		goto out;
	input = malloc(strlen(prot) + strlen(pay) + 2);
	snprintf(input, strlen(prot) + strlen(pay) + 2, "%s.%s", prot, pay);
	b64url_decode_new(sig, &raw, &rawlen);
	b64url_decode_new(prot, &hdr, &hdrlen);
	*header_out = json_loadb((const char *)hdr, hdrlen, 0, NULL);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		size_t half = rawlen / 2;
		ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)half, NULL),
		               BN_bin2bn(raw + half, (int)half, NULL));
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	} else {
		der = raw;
		raw = NULL;
		derlen = (int)rawlen;
	}
	ok = EVP_DigestVerifyInit(md, NULL,
	                          EVP_PKEY_get_bits(key) == 384 ? EVP_sha384() : EVP_sha256(), NULL,
	                          key) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)derlen, (unsigned char *)input, strlen(input)) == 1;
out:
	EVP_MD_CTX_free(md);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)
		OPENSSL_free(der);
	else
		free(der);
	free(raw);
	free(hdr);
	free(input);
	json_decref(jws);
	return ok;
}

static void test_jws(enum conf_key_type type, const char *alg, size_t rawsig)
{
	EVP_PKEY *key = key_generate(type);
	char label[128], *jws;
	json_t *hdr = NULL, *parsed;
	size_t siglen = 0;
	unsigned char *sig = NULL;

	jws = jws_sign_new(key, NULL, "nonce-1", "https://ca.test/new-acct", "{\"a\":1}");
	snprintf(label, sizeof(label), "%s: JWS with jwk verifies", alg);
	CHECK(jws != NULL && jws_verifies(jws, key, &hdr), label);
	snprintf(label, sizeof(label), "%s: header has alg, nonce, url, jwk and no kid", alg);
	CHECK(hdr != NULL && strcmp(json_string_value(json_object_get(hdr, "alg")), alg) == 0 &&
	          strcmp(json_string_value(json_object_get(hdr, "nonce")), "nonce-1") == 0 &&
	          strcmp(json_string_value(json_object_get(hdr, "url")),
	                 "https://ca.test/new-acct") == 0 &&
	          json_is_object(json_object_get(hdr, "jwk")) &&
	          json_object_get(hdr, "kid") == NULL,
	      label);
	if (rawsig > 0) {
		parsed = json_loads(jws, 0, NULL);
		b64url_decode_new(json_string_value(json_object_get(parsed, "signature")), &sig,
		                  &siglen);
		snprintf(label, sizeof(label), "%s: signature is raw r||s of %zu bytes", alg,
		         rawsig);
		CHECK(siglen == rawsig, label);
		free(sig);
		json_decref(parsed);
	}
	json_decref(hdr);
	hdr = NULL;
	free(jws);
	jws = jws_sign_new(key, "https://ca.test/acct/1", "n2", "https://ca.test/order", "");
	snprintf(label, sizeof(label), "%s: POST-as-GET with kid verifies, empty payload, no jwk",
	         alg);
	CHECK(jws != NULL && jws_verifies(jws, key, &hdr) &&
	          strcmp(json_string_value(json_object_get(hdr, "kid")),
	                 "https://ca.test/acct/1") == 0 &&
	          json_object_get(hdr, "jwk") == NULL && strstr(jws, "\"payload\":\"\"") != NULL,
	      label);
	json_decref(hdr);
	free(jws);
	EVP_PKEY_free(key);
}

static void test_eab(void)
{
	EVP_PKEY *key = key_generate(KEY_EC_P256);
	json_t *eab = jws_eab_new("kid-7", "c2VjcmV0LW1hYy1rZXk", key, "https://ca.test/new-acct");
	unsigned char *hdr = NULL, mac[32];
	size_t hdrlen = 0;
	unsigned int maclen = 0;
	json_t *h;
	char input[4096], *expect;

	CHECK(eab != NULL, "EAB object built");
	if (eab == NULL)
		return;
	b64url_decode_new(json_string_value(json_object_get(eab, "protected")), &hdr, &hdrlen);
	h = json_loadb((const char *)hdr, hdrlen, 0, NULL);
	CHECK(strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0 &&
	          strcmp(json_string_value(json_object_get(h, "kid")), "kid-7") == 0,
	      "EAB header: HS256 and the CA's key id");
	snprintf(input, sizeof(input), "%s.%s",
	         json_string_value(json_object_get(eab, "protected")),
	         json_string_value(json_object_get(eab, "payload")));
	HMAC(EVP_sha256(), "secret-mac-key", 14, (unsigned char *)input, strlen(input), mac,
	     &maclen);
	expect = b64url_new(mac, maclen);
	CHECK(strcmp(expect, json_string_value(json_object_get(eab, "signature"))) == 0,
	      "EAB MAC is HMAC-SHA256 with the decoded key");
	CHECK(jws_eab_new("k", "not base64url!", key, "u") == NULL, "bad EAB key refused");
	free(expect);
	json_decref(h);
	free(hdr);
	json_decref(eab);
	EVP_PKEY_free(key);
}

static void test_csr(void)
{
	EVP_PKEY *key = key_generate(KEY_EC_P256);
	char *names[] = {"a.example", "b.example"};
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) * exts;
	int i, san = 0, tls = 0;

	CHECK(csr_der_new(key, names, 2, 1, &der, &len) == 0, "CSR built");
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	CHECK(req != NULL && X509_REQ_verify(req, key) == 1, "CSR is self-signed by the key");
	exts = X509_REQ_get_extensions(req);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i)));
		san |= nid == NID_subject_alt_name;
		tls |= nid == NID_tlsfeature;
	}
	CHECK(san && tls, "CSR carries SANs and must-staple (TLS feature)");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	der = NULL;

	/* RFC 8738: IP addresses are iPAddress SANs, and never the CN. */
	{
		char *ips[] = {"192.0.2.1", "2001:db8::1", "c.example"};
		GENERAL_NAMES *gens = NULL;
		int ip4 = 0, ip6 = 0, dns = 0, cn;
		CHECK(csr_der_new(key, ips, 3, 0, &der, &len) == 0, "CSR with IP addresses built");
		p = der;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		exts = req ? X509_REQ_get_extensions(req) : NULL;
		for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
			X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
			if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name)
				gens = X509V3_EXT_d2i(e);
		}
		for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4 &&
			    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), "\xc0\x00\x02\x01", 4) ==
			        0)
				ip4 = 1;
			if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 16)
				ip6 = 1;
			if (g->type == GEN_DNS)
				dns = 1;
		}
		CHECK(ip4 && ip6 && dns && sk_GENERAL_NAME_num(gens) == 3,
		      "CSR: 192.0.2.1 and 2001:db8::1 as iPAddress, c.example as dNSName");
		cn = req ? X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req),
		                                      NID_commonName, -1)
		         : 0;
		CHECK(cn == -1, "CSR: an IP address first: no CN");
		GENERAL_NAMES_free(gens);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		X509_REQ_free(req);
		free(der);
	}
	EVP_PKEY_free(key);
}

/* Renewal without ARI for the lifetimes CAs issue in 2026: a third left,
 * never later than outage_margin (capped at half the lifetime) before expiry. */
static void test_renew_lifetimes(void)
{
	const long m = RENEW_OUTAGE_MARGIN_DEFAULT, day = 86400, h = 3600;

	CHECK(renew_at_lifetime(0, 90 * day, m) == 60 * day, "90 d: renew with 30 d left");
	CHECK(renew_deadline(0, 90 * day, m) == 88 * day, "90 d: on time until 2 d left");
	CHECK(renew_at_lifetime(0, 45 * day, m) == 30 * day, "45 d: renew with 15 d left");
	CHECK(renew_deadline(0, 45 * day, m) == 43 * day, "45 d: on time until 2 d left");
	/* 160 h (Let's Encrypt's shortlived profile): a third is 53 h 20 m. */
	CHECK(renew_at_lifetime(0, 160 * h, m) == 160 * h - 160 * h / 3,
	      "160 h: a third left (53 h 20 m) is earlier than the 48 h margin");
	CHECK(renew_deadline(0, 160 * h, m) == 112 * h, "160 h: on time until 48 h left");
	/* 6 days: a third (48 h) equals the margin. */
	CHECK(renew_at_lifetime(0, 6 * day, m) == 4 * day, "6 d: renew with 2 d left");
	/* 1 h: the margin is capped at half the lifetime, and wins over a third. */
	CHECK(renew_margin(0, h, m) == h / 2, "1 h: margin capped at 30 m");
	CHECK(renew_at_lifetime(0, h, m) == h / 2, "1 h: renew with 30 m left, not 20 m");
	CHECK(renew_deadline(0, h, m) == h / 2, "1 h: deadline is the renewal time");
	/* A 3-day certificate: the 2 d margin is capped at 36 h, earlier than 24 h. */
	CHECK(renew_at_lifetime(0, 3 * day, m) == 36 * h, "3 d: renew with 36 h left");
	/* A smaller configured margin. */
	CHECK(renew_at_lifetime(0, 6 * day, h) == 4 * day, "6 d, margin 1 h: a third left");
	CHECK(renew_deadline(0, 6 * day, h) == 6 * day - h, "6 d, margin 1 h: deadline 1 h");
	CHECK(renew_margin(0, 6 * day, 0) == 0 && renew_deadline(0, 6 * day, 0) == 6 * day,
	      "margin 0: deadline is expiry");
	CHECK(renew_at_lifetime(100, 100, m) == 100, "zero lifetime: renew at once");
	CHECK(renew_margin(200, 100, m) == 0, "inverted validity: no margin");
	CHECK(renew_lifetime_left(0, 90 * day, 60 * day) > 0.333 &&
	          renew_lifetime_left(0, 90 * day, 60 * day) < 0.334,
	      "a third of the lifetime left at the renewal time");
	CHECK(renew_lifetime_left(0, 90 * day, 90 * day) == 0.0, "expired: nothing left");
	CHECK(renew_lifetime_left(10, 90 * day, 0) == 1.0, "before notBefore: all left");
	CHECK(renew_lifetime_left(100, 100, 50) == 0.0, "no lifetime: nothing left");
}

static void test_ari(void)
{
	/* RFC 9773 appendix A: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4,
	 * serial 00:87:65:43:21 -> "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE". */
	X509 *x = X509_new();
	EVP_PKEY *key = key_generate(KEY_EC_P256);
	unsigned char aki[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
	                       0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	BIGNUM *bn = NULL;
	char id[128] = "";

	akid->keyid = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(akid->keyid, aki, sizeof(aki));
	X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT);
	BN_hex2bn(&bn, "87654321");
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	CHECK(ari_cert_id(x, id, sizeof(id)) == 0 &&
	          strcmp(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") == 0,
	      "ARI certID matches the RFC 9773 example (serial with a leading zero byte)");
	CHECK(ari_cert_id(x, id, 10) == -1, "ARI certID: small buffer refused");
	AUTHORITY_KEYID_free(akid);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);

	test_renew_lifetimes();
	CHECK(renew_at_window(1000, 2000, 0.0) == 1000, "window start for r=0");
	CHECK(renew_at_window(1000, 2000, 0.5) == 1500, "window middle for r=0.5");
	CHECK(renew_at_window(1000, 2000, 1.0) < 2000, "r=1 stays inside the window");
	CHECK(renew_at_window(1000, 2000, NAN) == 1000, "NaN treated as 0");
	CHECK(renew_at_window(2000, 1000, 0.5) == 2000, "inverted window: its start");
}

static void test_breaker(void)
{
	struct breaker b;
	char path[] = "/tmp/holdfast-test-breaker.XXXXXX";
	char file[64];
	struct breaker loaded[2];
	int fd = mkstemp(path);

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "primary");
	CHECK(breaker_state_at(&b, 100) == BREAKER_UP && breaker_acquire(&b, 100),
	      "new breaker is up");
	breaker_failure(&b, 100, 60, "resolve");
	CHECK(breaker_state_at(&b, 159) == BREAKER_DOWN && !breaker_acquire(&b, 159),
	      "down for the base backoff");
	CHECK(breaker_state_at(&b, 160) == BREAKER_HALF_OPEN, "half-open when the backoff passed");
	CHECK(breaker_acquire(&b, 160) == 1 && breaker_acquire(&b, 160) == 0,
	      "exactly one half-open probe");
	breaker_failure(&b, 160, 60, "timeout");
	CHECK(b.down_until == 160 + 120, "second failure doubles the backoff");
	breaker_failure(&b, 280, 60, "timeout");
	CHECK(b.down_until == 280 + 240, "third failure doubles again");
	for (int i = 0; i < 20; i++)
		breaker_failure(&b, 1000, 60, "x");
	CHECK(b.down_until == 1000 + BREAKER_CAP, "backoff is capped");
	close(fd);
	snprintf(file, sizeof(file), "%s", path);
	CHECK(breaker_save(file, &b, 1, 1000) == 0, "state saved");
	memset(loaded, 0, sizeof(loaded));
	snprintf(loaded[0].name, sizeof(loaded[0].name), "primary");
	snprintf(loaded[1].name, sizeof(loaded[1].name), "backup");
	CHECK(breaker_load(file, loaded, 2) == 0 && loaded[0].failures == b.failures &&
	          loaded[0].down_until == b.down_until && strcmp(loaded[0].last_error, "x") == 0 &&
	          loaded[1].failures == 0,
	      "state survives a restart; unknown endpoints start up");
	breaker_success(&b);
	CHECK(breaker_state_at(&b, 1001) == BREAKER_UP && b.failures == 0,
	      "success closes the breaker");
	unlink(file);
	CHECK(breaker_load("/nonexistent/endpoints.json", loaded, 2) == 0,
	      "missing state file: all up");
}

static void test_rfc3339(void)
{
	time_t t = 0;

	CHECK(time_parse_rfc3339("2025-01-02T03:04:05Z", &t) == 0 && t == 1735787045, "Z");
	CHECK(time_parse_rfc3339("2025-01-02T03:04:05.123456Z", &t) == 0 && t == 1735787045,
	      "fractional seconds dropped");
	CHECK(time_parse_rfc3339("2025-01-02T05:04:05+02:00", &t) == 0 && t == 1735787045,
	      "+02:00");
	CHECK(time_parse_rfc3339("2025-01-02T01:04:05-02:00", &t) == 0 && t == 1735787045,
	      "-02:00");
	CHECK(time_parse_rfc3339("2025-01-02T03:04:05", &t) == -1, "no zone refused");
	CHECK(time_parse_rfc3339("2025-01-02T03:04:05Zjunk", &t) == -1, "trailing junk refused");
	CHECK(time_parse_rfc3339(NULL, &t) == -1, "NULL refused");
}

static void test_error_names(void)
{
	int i, j, distinct = 1;

	for (i = 0; i < ACME_ERR_COUNT; i++)
		for (j = i + 1; j < ACME_ERR_COUNT; j++)
			distinct &= strcmp(acme_error_name((enum acme_error)i),
			                   acme_error_name((enum acme_error)j)) != 0;
	CHECK(distinct, "ACME error names are distinct");
	CHECK(strcmp(acme_error_name(ACME_ERR_HTTP_5XX), "http-5xx") == 0 &&
	          strcmp(acme_error_name(ACME_ERR_PROBLEM), "acme-error") == 0,
	      "ACME error names as in ACME-CONTRACT.md");
	CHECK(acme_error_is_outage(ACME_ERR_RESOLVE) && acme_error_is_outage(ACME_ERR_HTTP_5XX) &&
	          acme_error_is_outage(ACME_ERR_RATE_LIMITED) &&
	          !acme_error_is_outage(ACME_ERR_PROBLEM) &&
	          !acme_error_is_outage(ACME_ERR_ORDER_INVALID),
	      "outages open the breaker, refusals do not");
}

static void test_problem_and_ari_parse(void)
{
	static const char bad_nonce[] =
	    "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"x\"}";
	static const char limited[] =
	    "{\"type\":\"urn:ietf:params:acme:error:rateLimited\",\"detail\":\"slow\\ndown\"}";
	static const char window[] =
	    "{\"suggestedWindow\":{\"start\":\"2025-01-02T03:04:05Z\",\"end\":\"2025-01-03T03:04:"
	    "05.5Z\"},\"explanationURL\":\"https://ca.test/why\"}";
	char d[256], e[128];
	time_t a = 0, b = 0;

	CHECK(acme_problem_classify(400, (const unsigned char *)bad_nonce, strlen(bad_nonce), d,
	                            sizeof(d)) == ACME_ERR_BAD_NONCE,
	      "400 badNonce document -> bad-nonce");
	CHECK(acme_problem_classify(400, (const unsigned char *)limited, strlen(limited), d,
	                            sizeof(d)) == ACME_ERR_RATE_LIMITED &&
	          strchr(d, '\n') == NULL,
	      "rateLimited type -> rate-limited, detail without line breaks");
	CHECK(acme_problem_classify(429, (const unsigned char *)"", 0, d, sizeof(d)) ==
	          ACME_ERR_RATE_LIMITED,
	      "429 -> rate-limited");
	CHECK(acme_problem_classify(503, (const unsigned char *)"<html>", 6, d, sizeof(d)) ==
	          ACME_ERR_HTTP_5XX,
	      "503 -> http-5xx");
	CHECK(acme_problem_classify(403, (const unsigned char *)"nope", 4, d, sizeof(d)) ==
	              ACME_ERR_PROBLEM &&
	          strstr(d, "no error document") != NULL,
	      "403 without a document -> acme-error, says so");
	CHECK(acme_renewal_info_parse((const unsigned char *)window, strlen(window), &a, &b, e,
	                              sizeof(e)) == 0 &&
	          a == 1735787045 && b == 1735787045 + 86400 &&
	          strcmp(e, "https://ca.test/why") == 0,
	      "renewalInfo window and explanation parsed");
	CHECK(acme_renewal_info_parse((const unsigned char *)"{}", 2, &a, &b, e, sizeof(e)) == -1,
	      "renewalInfo without suggestedWindow refused");
	CHECK(acme_renewal_info_parse(
	          (const unsigned char *)"{\"suggestedWindow\":{\"start\":\"2025-01-03T00:00:00Z\","
	                                 "\"end\":\"2025-01-02T00:00:00Z\"}}",
	          strlen("{\"suggestedWindow\":{\"start\":\"2025-01-03T00:00:00Z\",\"end\":\"2025-"
	                 "01-02T00:00:00Z\"}}"),
	          &a, &b, e, sizeof(e)) == -1,
	      "inverted renewalInfo window refused");
}

/* dns_update: the nsupdate commands, exactly. */
static void test_nsupdate_script(void)
{
	char b[512];

	CHECK(challenge_nsupdate_script("127.0.0.1 5353", "www.a.test", "abc_-XYZ", 1, b,
	                                sizeof(b)) == 0 &&
	          strcmp(b, "server 127.0.0.1 5353\n"
	                    "update add _acme-challenge.www.a.test. 60 TXT \"abc_-XYZ\"\n"
	                    "send\n") == 0,
	      "nsupdate: add the TXT record at the server, TTL 60");
	CHECK(challenge_nsupdate_script("::1 53", "a.test", "v", 0, b, sizeof(b)) == 0 &&
	          strcmp(b, "server ::1 53\n"
	                    "update delete _acme-challenge.a.test.  TXT \"v\"\n"
	                    "send\n") == 0,
	      "nsupdate: delete only that value");
	CHECK(challenge_nsupdate_script("127.0.0.1 53", "a.test", "v", 1, b, 40) == -1,
	      "nsupdate: a buffer too small is refused, not cut");
}

/* draft-aaron-acme-profiles: which CA gets the configured profile. */
static void test_profiles(void)
{
	json_t *le = json_loads("{\"newOrder\": \"https://ca/new-order\", \"meta\": {\"profiles\": "
	                        "{\"classic\": \"90 days\", \"shortlived\": \"160 hours\"}}}",
	                        0, NULL);
	json_t *bare =
	    json_loads("{\"newOrder\": \"https://ca/new-order\", \"meta\": {}}", 0, NULL);
	json_t *odd = json_loads("{\"meta\": {\"profiles\": [\"shortlived\"]}}", 0, NULL);

	CHECK(profile_offered(le, "shortlived") && profile_offered(le, "classic"),
	      "profiles: listed names are offered");
	CHECK(!profile_offered(le, "tlsserver"), "profiles: an unlisted name is not");
	CHECK(!profile_offered(bare, "shortlived"), "profiles: no meta.profiles: none offered");
	CHECK(!profile_offered(odd, "shortlived"), "profiles: meta.profiles not an object: none");
	CHECK(!profile_offered(le, NULL) && !profile_offered(NULL, "classic"),
	      "profiles: NULL name or directory: not offered");
	CHECK(profile_decide(NULL, 1, 0) == PROFILE_NONE &&
	          profile_decide("", 1, 1) == PROFILE_NONE,
	      "profiles: none configured: the order names none");
	CHECK(profile_decide("shortlived", 1, 1) == PROFILE_SEND &&
	          profile_decide("shortlived", 0, 1) == PROFILE_SEND,
	      "profiles: offered: sent, required or not");
	CHECK(profile_decide("shortlived", 1, 0) == PROFILE_SKIP,
	      "profiles: required and not offered: the CA is skipped");
	CHECK(profile_decide("shortlived", 0, 0) == PROFILE_NONE,
	      "profiles: not required and not offered: ordered without it");
	json_decref(le);
	json_decref(bare);
	json_decref(odd);
}

int main(void)
{
	test_problem_and_ari_parse();
	test_profiles();
	test_nsupdate_script();
	test_b64url();
	test_thumbprint_rfc7638();
	test_jws(KEY_EC_P256, "ES256", 64);
	test_jws(KEY_EC_P384, "ES384", 96);
	test_jws(KEY_RSA_2048, "RS256", 256);
	test_eab();
	test_csr();
	test_ari();
	test_breaker();
	test_rfc3339();
	test_error_names();
	return tap_done();
}

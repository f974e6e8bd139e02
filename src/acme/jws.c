/*
 * acme_jws: see acme_jws.h.
 *
 * ECDSA signatures come out of OpenSSL DER-encoded; JWS wants the raw r||s
 * concatenation with each half padded to the curve size (RFC 7518 3.4), so
 * they are converted here.  Everything else maps directly onto EVP calls.
 */

#include "acme/jws.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "x509/cert.h"
#include "util/names.h"

EVP_PKEY *key_generate(enum conf_key_type type)
{
	switch (type) {
	case KEY_EC_P256:
		return EVP_EC_gen("P-256");
	case KEY_EC_P384:
		return EVP_EC_gen("P-384");
	case KEY_RSA_2048:
		return EVP_RSA_gen(2048);
	case KEY_RSA_3072:
		return EVP_RSA_gen(3072);
	case KEY_RSA_4096:
		return EVP_RSA_gen(4096);
	}
	return NULL;
}

/* Size in bytes of one ECDSA coordinate/half-signature, 0 for non-EC keys. */
static size_t ec_field_size(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return 0;
	return (size_t)(EVP_PKEY_get_bits(key) + 7) / 8;
}

static const char *jws_alg(EVP_PKEY *key)
{
	size_t fs = ec_field_size(key);

	if (fs == 32)
		return "ES256";
	if (fs == 48)
		return "ES384";
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return "RS256";
	return NULL;
}

static const EVP_MD *jws_md(EVP_PKEY *key)
{
	return ec_field_size(key) == 48 ? EVP_sha384() : EVP_sha256();
}

/* base64url of a big number parameter, padded to pad bytes (0: minimal). */
static char *bn_param_b64url(EVP_PKEY *key, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char *bin = NULL;
	char *out = NULL;
	size_t n;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		return NULL;
	n = pad ? pad : (size_t)BN_num_bytes(bn);
	bin = malloc(n ? n : 1);
	if (bin != NULL && BN_bn2binpad(bn, bin, (int)n) == (int)n)
		out = b64url_new(bin, n);
	free(bin);
	BN_free(bn);
	return out;
}

json_t *jwk_new(EVP_PKEY *key)
{
	size_t fs = ec_field_size(key);
	char *a = NULL, *b = NULL;
	json_t *jwk = NULL;

	if (fs == 32 || fs == 48) {
		a = bn_param_b64url(key, OSSL_PKEY_PARAM_EC_PUB_X, fs);
		b = bn_param_b64url(key, OSSL_PKEY_PARAM_EC_PUB_Y, fs);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", fs == 32 ? "P-256" : "P-384",
			                "kty", "EC", "x", a, "y", b);
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		a = bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_E, 0);
		b = bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_N, 0);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s}", "e", a, "kty", "RSA", "n", b);
	}
	free(a);
	free(b);
	return jwk;
}

int jwk_thumbprint(EVP_PKEY *key, char *dst, size_t dstlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *jwk = jwk_new(key);
	char *canon = NULL, *b64 = NULL;
	int rc = -1;

	/* RFC 7638: required members only, sorted, no white space. */
	if (jwk != NULL)
		canon = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	if (canon != NULL && EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) == 1)
		b64 = b64url_new(md, mdlen);
	if (b64 != NULL && strlen(b64) < dstlen) {
		memcpy(dst, b64, strlen(b64) + 1);
		rc = 0;
	}
	free(b64);
	free(canon);
	json_decref(jwk);
	return rc;
}

/* Sign data; JWS-encoded signature (raw r||s for ECDSA) as base64url. */
static char *jws_signature_new(EVP_PKEY *key, const char *data)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL, *raw = NULL;
	const unsigned char *p;
	ECDSA_SIG *ec = NULL;
	size_t siglen = 0, fs = ec_field_size(key);
	char *out = NULL;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, jws_md(key), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)data, strlen(data)) != 1)
		goto out;
	sig = malloc(siglen);
	if (sig == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)data, strlen(data)) != 1)
		goto out;
	if (fs == 0) {
		out = b64url_new(sig, siglen);
		goto out;
	}
	p = sig;
	ec = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	raw = malloc(2 * fs);
	if (ec == NULL || raw == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(ec), raw, (int)fs) != (int)fs ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(ec), raw + fs, (int)fs) != (int)fs)
		goto out;
	out = b64url_new(raw, 2 * fs);
out:
	ECDSA_SIG_free(ec);
	free(raw);
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* Assemble {"protected","payload","signature"} from a header object. */
static char *jws_assemble(json_t *header, const char *payload, EVP_PKEY *key,
                          const unsigned char *hmac, size_t hmac_len)
{
	char *hdr_txt = NULL, *hdr_b64 = NULL, *pay_b64 = NULL, *input = NULL, *sig = NULL;
	char *out = NULL;
	size_t n;
	json_t *jws = NULL;

	hdr_txt = json_dumps(header, JSON_COMPACT);
	if (hdr_txt == NULL)
		goto out;
	hdr_b64 = b64url_new((const unsigned char *)hdr_txt, strlen(hdr_txt));
	pay_b64 = b64url_new((const unsigned char *)payload, strlen(payload));
	if (hdr_b64 == NULL || pay_b64 == NULL)
		goto out;
	n = strlen(hdr_b64) + 1 + strlen(pay_b64) + 1;
	input = malloc(n);
	if (input == NULL || snprintf(input, n, "%s.%s", hdr_b64, pay_b64) != (int)(n - 1))
		goto out;
	if (hmac != NULL) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		if (HMAC(EVP_sha256(), hmac, (int)hmac_len, (const unsigned char *)input,
		         strlen(input), mac, &maclen) == NULL)
			goto out;
		sig = b64url_new(mac, maclen);
	} else {
		sig = jws_signature_new(key, input);
	}
	if (sig == NULL)
		goto out;
	jws = json_pack("{s:s, s:s, s:s}", "protected", hdr_b64, "payload", pay_b64, "signature",
	                sig);
	if (jws != NULL)
		out = json_dumps(jws, JSON_COMPACT);
out:
	json_decref(jws);
	free(hdr_txt);
	free(hdr_b64);
	free(pay_b64);
	free(input);
	free(sig);
	return out;
}

char *jws_sign_new(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
                   const char *payload)
{
	const char *alg = jws_alg(key);
	json_t *header;
	char *out;

	if (alg == NULL)
		return NULL;
	header = json_pack("{s:s, s:s, s:s}", "alg", alg, "nonce", nonce, "url", url);
	if (header == NULL)
		return NULL;
	if (kid != NULL)
		json_object_set_new(header, "kid", json_string(kid));
	else
		json_object_set_new(header, "jwk", jwk_new(key));
	out = jws_assemble(header, payload, key, NULL, 0);
	json_decref(header);
	return out;
}

json_t *jws_eab_new(const char *eab_kid, const char *hmac_key_b64url, EVP_PKEY *account_key,
                    const char *url)
{
	unsigned char *mac_key = NULL;
	size_t mac_len = 0;
	json_t *header = NULL, *jwk = NULL, *out = NULL;
	char *payload = NULL, *jws = NULL;

	if (b64url_decode_new(hmac_key_b64url, &mac_key, &mac_len) != 0 || mac_len == 0)
		goto out;
	jwk = jwk_new(account_key);
	payload = jwk ? json_dumps(jwk, JSON_COMPACT) : NULL;
	header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	if (payload == NULL || header == NULL)
		goto out;
	jws = jws_assemble(header, payload, NULL, mac_key, mac_len);
	if (jws != NULL)
		out = json_loads(jws, 0, NULL);
out:
	if (mac_key != NULL)
		OPENSSL_cleanse(mac_key, mac_len);
	free(mac_key);
	free(payload);
	free(jws);
	json_decref(jwk);
	json_decref(header);
	return out;
}

int csr_der_new(EVP_PKEY *key, char *const *names, size_t count, int must_staple,
                unsigned char **der, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject = NULL;
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	*der = NULL;
	*len = 0;
	if (req == NULL || exts == NULL || count == 0)
		goto out;
	subject = X509_REQ_get_subject_name(req);
	if (strlen(names[0]) <= 64 && !host_is_ip(names[0]) &&
	    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)names[0],
	                               -1, -1, 0) != 1)
		goto out;
	ext = cert_san_extension_new(names, count);
	if (ext == NULL || sk_X509_EXTENSION_push(exts, ext) <= 0)
		goto out;
	ext = NULL;
	if (must_staple) {
		/* TLS Feature status_request (5), RFC 7633. */
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_tlsfeature, "status_request");
		if (ext == NULL || sk_X509_EXTENSION_push(exts, ext) <= 0)
			goto out;
		ext = NULL;
	}
	if (X509_REQ_add_extensions(req, exts) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	n = i2d_X509_REQ(req, &p);
	if (n <= 0)
		goto out;
	*der = malloc((size_t)n);
	if (*der == NULL)
		goto out;
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(p);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return rc;
}

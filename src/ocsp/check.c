/*
 * ocsp/check: request building and response validation.  See check.h.
 *
 * Validation is written out step by step instead of calling
 * OCSP_basic_verify(), for two reasons: each failure gets its own precise
 * error (an operator must see "signer not authorized" rather than "verify
 * failed"), and the trust decision is exactly RFC 6960 4.2.2.2 (issuer, or a
 * certificate the issuer signed with id-kp-OCSPSigning) without depending on
 * a trust store or chain building.
 *
 * Responses are decoded with OpenSSL's own ASN.1 templates for OCSP, restated
 * here with one change: the certificates a BasicOCSPResponse carries stay
 * undecoded DER.  Most CAs sign with the issuing key and send the issuer's
 * certificate along, and with OpenSSL 3.0 decoding it (its public key through
 * the provider decoders) cost more than the rest of the check, signature
 * included: ~1.2 of the 3.5 million instructions a response took in
 * bench/staple.  When the ResponderID names the issuer and the response
 * carries no certificate or only a byte-identical copy of the issuer's, the
 * issuer is the signer and nothing needs decoding.  Any other response (a
 * delegated responder, an impostor using the issuer's name, several
 * certificates) is decoded whole with d2i_OCSP_RESPONSE() and its signer
 * found exactly as before, so both paths accept and refuse the same inputs.
 */

#include "ocsp/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "util/timeutil.h"

const unsigned char staple_placeholder_der[5] = {0x30, 0x03, 0x0a, 0x01, 0x03};

static const char *const staple_error_names[STAPLE_ERR_COUNT] = {
    [STAPLE_OK] = "ok",
    [STAPLE_ERR_RESOLVE] = "resolve",
    [STAPLE_ERR_CONNECT] = "connect",
    [STAPLE_ERR_TIMEOUT] = "timeout",
    [STAPLE_ERR_HTTP_STATUS] = "http-status",
    [STAPLE_ERR_CONTENT_TYPE] = "content-type",
    [STAPLE_ERR_TOO_LARGE] = "too-large",
    [STAPLE_ERR_TOO_MANY_REDIRECTS] = "too-many-redirects",
    [STAPLE_ERR_TLS] = "tls",
    [STAPLE_ERR_TRANSPORT] = "transport",
    [STAPLE_ERR_MALFORMED] = "malformed",
    [STAPLE_ERR_STATUS_NOT_SUCCESSFUL] = "status-not-successful",
    [STAPLE_ERR_BAD_SIGNATURE] = "bad-signature",
    [STAPLE_ERR_UNTRUSTED_SIGNER] = "untrusted-signer",
    [STAPLE_ERR_SIGNER_NOT_AUTHORIZED] = "signer-not-authorized",
    [STAPLE_ERR_NO_MATCHING_RESPONSE] = "no-matching-response",
    [STAPLE_ERR_MULTIPLE_RESPONSES] = "multiple-responses",
    [STAPLE_ERR_NOT_YET_VALID] = "not-yet-valid",
    [STAPLE_ERR_EXPIRED] = "expired",
    [STAPLE_ERR_NO_NEXT_UPDATE] = "no-next-update",
    [STAPLE_ERR_CERT_STATUS_UNKNOWN] = "cert-status-unknown",
    [STAPLE_ERR_OLDER_THAN_STORED] = "older-than-stored",
    [STAPLE_ERR_EXPIRES_TOO_SOON] = "expires-too-soon",
};

const char *staple_error_name(enum staple_error e)
{
	if ((unsigned)e >= STAPLE_ERR_COUNT)
		return "invalid";
	return staple_error_names[e];
}

const char *staple_cert_status_name(enum staple_cert_status s)
{
	switch (s) {
	case STAPLE_STATUS_GOOD:
		return "good";
	case STAPLE_STATUS_REVOKED:
		return "revoked";
	default:
		return "none";
	}
}

/* Record the refusal in v and return it, so checks read "return reject(...)". */
static enum staple_error reject(struct ocsp_verdict *v, enum staple_error e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum staple_error reject(struct ocsp_verdict *v, enum staple_error e, const char *fmt, ...)
{
	va_list ap;

	v->error = e;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return e;
}

static const char *response_status_name(int status)
{
	switch (status) {
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
		return "malformedRequest";
	case OCSP_RESPONSE_STATUS_INTERNALERROR:
		return "internalError";
	case OCSP_RESPONSE_STATUS_TRYLATER:
		return "tryLater";
	case OCSP_RESPONSE_STATUS_SIGREQUIRED:
		return "sigRequired";
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
		return "unauthorized";
	default:
		return "unknown-status";
	}
}

/* RFC 6960 4.2.1 as OpenSSL's crypto/ocsp/ocsp_asn.c declares it, but with
 * BasicOCSPResponse.certs as a SEQUENCE OF ANY (each certificate's DER). */
typedef struct {
	int type; /* V_OCSP_RESPID_NAME or V_OCSP_RESPID_KEY */
	union {
		X509_NAME *by_name;
		ASN1_OCTET_STRING *by_key;
	} value;
} LAZY_RESPID;

typedef struct {
	ASN1_INTEGER *version;
	LAZY_RESPID *responder_id;
	ASN1_GENERALIZEDTIME *produced_at;
	STACK_OF(OCSP_SINGLERESP) * responses;
	STACK_OF(X509_EXTENSION) * extensions;
} LAZY_RESPDATA;

typedef struct {
	LAZY_RESPDATA *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
	STACK_OF(ASN1_TYPE) * certs;
} LAZY_BASICRESP;

typedef struct {
	ASN1_OBJECT *type;
	ASN1_OCTET_STRING *response;
} LAZY_RESPBYTES;

typedef struct {
	ASN1_ENUMERATED *status;
	LAZY_RESPBYTES *bytes;
} LAZY_RESPONSE;

ASN1_CHOICE(LAZY_RESPID) = {
    ASN1_EXP(LAZY_RESPID, value.by_name, X509_NAME, 1),
    ASN1_EXP(LAZY_RESPID, value.by_key, ASN1_OCTET_STRING, 2),
} static_ASN1_CHOICE_END(LAZY_RESPID);

ASN1_SEQUENCE(LAZY_RESPDATA) = {
    ASN1_EXP_OPT(LAZY_RESPDATA, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(LAZY_RESPDATA, responder_id, LAZY_RESPID),
    ASN1_SIMPLE(LAZY_RESPDATA, produced_at, ASN1_GENERALIZEDTIME),
    ASN1_SEQUENCE_OF(LAZY_RESPDATA, responses, OCSP_SINGLERESP),
    ASN1_EXP_SEQUENCE_OF_OPT(LAZY_RESPDATA, extensions, X509_EXTENSION, 1),
} static_ASN1_SEQUENCE_END(LAZY_RESPDATA);

ASN1_SEQUENCE(LAZY_BASICRESP) = {
    ASN1_SIMPLE(LAZY_BASICRESP, tbs, LAZY_RESPDATA),
    ASN1_SIMPLE(LAZY_BASICRESP, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(LAZY_BASICRESP, signature, ASN1_BIT_STRING),
    ASN1_EXP_SEQUENCE_OF_OPT(LAZY_BASICRESP, certs, ASN1_ANY, 0),
} static_ASN1_SEQUENCE_END(LAZY_BASICRESP);

ASN1_SEQUENCE(LAZY_RESPBYTES) = {
    ASN1_SIMPLE(LAZY_RESPBYTES, type, ASN1_OBJECT),
    ASN1_SIMPLE(LAZY_RESPBYTES, response, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(LAZY_RESPBYTES);

ASN1_SEQUENCE(LAZY_RESPONSE) = {
    ASN1_SIMPLE(LAZY_RESPONSE, status, ASN1_ENUMERATED),
    ASN1_EXP_OPT(LAZY_RESPONSE, bytes, LAZY_RESPBYTES, 0),
} static_ASN1_SEQUENCE_END(LAZY_RESPONSE);

/* 1 when a ResponderID (by name, or by SHA-1 key hash) names cert. */
static int responder_id_names(const X509_NAME *name, const ASN1_OCTET_STRING *key_id, X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (name != NULL)
		return X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
	if (key_id == NULL || X509_pubkey_digest(cert, EVP_sha1(), md, &mdlen) != 1)
		return 0;
	return (unsigned int)ASN1_STRING_length(key_id) == mdlen &&
	       memcmp(ASN1_STRING_get0_data(key_id), md, mdlen) == 0;
}

/* 1 when the response's ResponderID names the issuer (by name or key hash). */
static int responder_id_is(const OCSP_BASICRESP *bs, X509 *cert)
{
	const ASN1_OCTET_STRING *key_id = NULL;
	const X509_NAME *name = NULL;

	if (OCSP_resp_get0_id(bs, &key_id, &name) != 1)
		return 0;
	return responder_id_names(name, key_id, cert);
}

/* The fast path's condition: 1 when the ResponderID names the issuer and the
 * response carries no certificate or exactly one, byte for byte the
 * issuer's.  Then find_authorized_signer() would pick the issuer too, and
 * d2i_OCSP_RESPONSE() would have decoded that one certificate. */
static int signed_by_issuer_alone(const LAZY_BASICRESP *b, X509 *issuer)
{
	const LAZY_RESPID *id = b->tbs->responder_id;
	const ASN1_TYPE *t;
	unsigned char *der = NULL;
	int n = b->certs != NULL ? sk_ASN1_TYPE_num(b->certs) : 0, len, same;

	if (!responder_id_names(id->type == V_OCSP_RESPID_NAME ? id->value.by_name : NULL,
	                        id->type == V_OCSP_RESPID_KEY ? id->value.by_key : NULL, issuer))
		return 0;
	if (n == 0)
		return 1;
	t = sk_ASN1_TYPE_value(b->certs, 0);
	if (n != 1 || t == NULL || t->type != V_ASN1_SEQUENCE || t->value.sequence == NULL)
		return 0;
	len = i2d_X509(issuer, &der);
	same = len > 0 && len == t->value.sequence->length &&
	       memcmp(der, t->value.sequence->data, (size_t)len) == 0;
	OPENSSL_free(der);
	return same;
}

/* RFC 6960 4.2.2.2: the issuer itself, or a certificate it signed that is
 * valid now and carries id-kp-OCSPSigning.  On success *signer is set
 * (borrowed from bs or equal to issuer). */
static enum staple_error find_authorized_signer(OCSP_BASICRESP *bs, X509 *issuer, time_t now,
                                                X509 **signer, struct ocsp_verdict *v)
{
	X509 *cand = NULL;
	time_t not_before, not_after;

	/* A certificate in the response that matches the ResponderID but has
	 * another key is an impostor using the issuer's name: judge it as a
	 * delegated responder (it will fail as untrusted), not as the issuer. */
	if (OCSP_resp_get0_signer(bs, &cand, NULL) != 1)
		cand = NULL;
	if (responder_id_is(bs, issuer) &&
	    (cand == NULL || EVP_PKEY_eq(X509_get0_pubkey(cand), X509_get0_pubkey(issuer)) == 1)) {
		*signer = issuer;
		return STAPLE_OK;
	}
	if (cand == NULL)
		return reject(v, STAPLE_ERR_UNTRUSTED_SIGNER,
		              "responder is not the issuer and sent no certificate");
	if (X509_check_issued(issuer, cand) != X509_V_OK ||
	    X509_verify(cand, X509_get0_pubkey(issuer)) != 1)
		return reject(v, STAPLE_ERR_UNTRUSTED_SIGNER,
		              "responder certificate was not issued by the issuer");
	if ((X509_get_extension_flags(cand) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(cand) & XKU_OCSP_SIGN) == 0)
		return reject(v, STAPLE_ERR_SIGNER_NOT_AUTHORIZED,
		              "delegated responder certificate lacks id-kp-OCSPSigning");
	if (time_from_asn1(X509_get0_notBefore(cand), &not_before) != 0 ||
	    time_from_asn1(X509_get0_notAfter(cand), &not_after) != 0)
		return reject(v, STAPLE_ERR_SIGNER_NOT_AUTHORIZED,
		              "delegated responder certificate has invalid validity");
	if (now + OCSP_CLOCK_SKEW < not_before || now >= not_after)
		return reject(v, STAPLE_ERR_SIGNER_NOT_AUTHORIZED,
		              "delegated responder certificate is not valid now");
	*signer = cand;
	return STAPLE_OK;
}

/* Compare the SingleResponse's CertID with one computed for the leaf named by
 * issuer_name and serial, using the hash the responder chose (SHA-1 or
 * SHA-256). */
static enum staple_error match_cert_id(OCSP_SINGLERESP *single, const X509_NAME *issuer_name,
                                       const ASN1_INTEGER *serial, X509 *issuer,
                                       struct ocsp_verdict *v)
{
	const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(single);
	ASN1_OBJECT *md_obj = NULL;
	OCSP_CERTID *want = NULL;
	const EVP_MD *md;
	int nid, same;

	if (cid == NULL || OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, (OCSP_CERTID *)cid) != 1)
		return reject(v, STAPLE_ERR_MALFORMED, "SingleResponse without CertID");
	nid = OBJ_obj2nid(md_obj);
	if (nid == NID_sha1)
		md = EVP_sha1();
	else if (nid == NID_sha256)
		md = EVP_sha256();
	else
		return reject(v, STAPLE_ERR_NO_MATCHING_RESPONSE, "CertID uses unsupported hash");
	want = OCSP_cert_id_new(md, issuer_name, X509_get0_pubkey_bitstr(issuer), serial);
	if (want == NULL)
		return reject(v, STAPLE_ERR_MALFORMED, "cannot compute CertID");
	same = OCSP_id_cmp(want, cid) == 0;
	OCSP_CERTID_free(want);
	if (!same)
		return reject(v, STAPLE_ERR_NO_MATCHING_RESPONSE,
		              "response is for a different certificate");
	return STAPLE_OK;
}

enum staple_error ocsp_response_check(const unsigned char *der, size_t len, X509 *leaf,
                                      X509 *issuer, time_t now, struct ocsp_verdict *v)
{
	return ocsp_response_check_serial(der, len, X509_get_issuer_name(leaf),
	                                  X509_get0_serialNumber(leaf), issuer, now, v);
}

enum staple_error ocsp_response_check_serial(const unsigned char *der, size_t len,
                                             const X509_NAME *issuer_name,
                                             const ASN1_INTEGER *serial, X509 *issuer, time_t now,
                                             struct ocsp_verdict *v)
{
	LAZY_RESPONSE *resp = NULL;
	LAZY_BASICRESP *basic = NULL;
	OCSP_RESPONSE *full = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL, *rev_time = NULL;
	const unsigned char *p = der;
	X509 *signer = NULL;
	int status, cert_status, reason = -1, count;
	enum staple_error rc;

	memset(v, 0, sizeof(*v));
	v->revocation_reason = -1;
	v->status = STAPLE_STATUS_NONE;

	if (der == NULL || len == 0)
		return reject(v, STAPLE_ERR_MALFORMED, "empty response");
	if (len > OCSP_RESPONSE_MAX)
		return reject(v, STAPLE_ERR_TOO_LARGE, "response larger than %d bytes",
		              OCSP_RESPONSE_MAX);
	resp = (LAZY_RESPONSE *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(LAZY_RESPONSE));
	if (resp == NULL) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "not a DER OCSPResponse");
		goto out;
	}
	if (p != der + len) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "%zu trailing bytes after the response",
		            (size_t)(der + len - p));
		goto out;
	}
	status = (int)ASN1_ENUMERATED_get(resp->status);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		rc = reject(v, STAPLE_ERR_STATUS_NOT_SUCCESSFUL, "responseStatus %s",
		            response_status_name(status));
		goto out;
	}
	/* As OCSP_response_get1_basic(). */
	if (resp->bytes != NULL && OBJ_obj2nid(resp->bytes->type) == NID_id_pkix_OCSP_basic)
		basic = ASN1_item_unpack(resp->bytes->response, ASN1_ITEM_rptr(LAZY_BASICRESP));
	if (basic == NULL) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "no BasicOCSPResponse");
		goto out;
	}

	if (signed_by_issuer_alone(basic, issuer)) {
		signer = issuer;
	} else {
		/* Decode the certificates too: the signer is among them, or none is. */
		p = der;
		full = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		bs = full != NULL ? OCSP_response_get1_basic(full) : NULL;
		if (bs == NULL) {
			rc = reject(v, STAPLE_ERR_MALFORMED, "no BasicOCSPResponse");
			goto out;
		}
		rc = find_authorized_signer(bs, issuer, now, &signer, v);
		if (rc != STAPLE_OK)
			goto out;
	}
	if (ASN1_item_verify(ASN1_ITEM_rptr(LAZY_RESPDATA), basic->sig_alg, basic->signature,
	                     basic->tbs, X509_get0_pubkey(signer)) != 1) {
		rc = reject(v, STAPLE_ERR_BAD_SIGNATURE, "signature does not verify");
		goto out;
	}

	count = sk_OCSP_SINGLERESP_num(basic->tbs->responses);
	if (count <= 0) {
		rc = reject(v, STAPLE_ERR_NO_MATCHING_RESPONSE, "no SingleResponse");
		goto out;
	}
	if (count > 1) {
		rc = reject(v, STAPLE_ERR_MULTIPLE_RESPONSES,
		            "%d SingleResponses (servers accept exactly one)", count);
		goto out;
	}
	single = sk_OCSP_SINGLERESP_value(basic->tbs->responses, 0);
	rc = match_cert_id(single, issuer_name, serial, issuer, v);
	if (rc != STAPLE_OK)
		goto out;

	cert_status = OCSP_single_get0_status(single, &reason, &rev_time, &this_upd, &next_upd);
	if (time_from_asn1(this_upd, &v->this_update) != 0) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "thisUpdate missing or invalid");
		goto out;
	}
	if (next_upd == NULL) {
		rc = reject(v, STAPLE_ERR_NO_NEXT_UPDATE, "nextUpdate absent");
		goto out;
	}
	if (time_from_asn1(next_upd, &v->next_update) != 0) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "nextUpdate invalid");
		goto out;
	}
	if (time_from_asn1(basic->tbs->produced_at, &v->produced_at) != 0) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "producedAt invalid");
		goto out;
	}
	if (v->next_update <= v->this_update) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "nextUpdate not after thisUpdate");
		goto out;
	}
	if (v->this_update > now + OCSP_CLOCK_SKEW) {
		rc = reject(v, STAPLE_ERR_NOT_YET_VALID, "thisUpdate %lld s in the future",
		            (long long)(v->this_update - now));
		goto out;
	}
	if (v->next_update <= now) {
		rc = reject(v, STAPLE_ERR_EXPIRED, "nextUpdate passed %lld s ago",
		            (long long)(now - v->next_update));
		goto out;
	}
	switch (cert_status) {
	case V_OCSP_CERTSTATUS_GOOD:
		v->status = STAPLE_STATUS_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		v->status = STAPLE_STATUS_REVOKED;
		v->revocation_reason = reason;
		if (time_from_asn1(rev_time, &v->revocation_time) != 0) {
			rc = reject(v, STAPLE_ERR_MALFORMED, "revocationTime invalid");
			goto out;
		}
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN:
		rc = reject(v, STAPLE_ERR_CERT_STATUS_UNKNOWN,
		            "responder does not know the certificate");
		goto out;
	default:
		rc = reject(v, STAPLE_ERR_MALFORMED, "invalid certStatus");
		goto out;
	}
	v->error = STAPLE_OK;
	rc = STAPLE_OK;
out:
	if (rc != STAPLE_OK)
		v->status = STAPLE_STATUS_NONE;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(full);
	ASN1_item_free((ASN1_VALUE *)basic, ASN1_ITEM_rptr(LAZY_BASICRESP));
	ASN1_item_free((ASN1_VALUE *)resp, ASN1_ITEM_rptr(LAZY_RESPONSE));
	ERR_clear_error();
	return rc;
}

int ocsp_request_der_new(X509 *leaf, X509 *issuer, unsigned char **out, size_t *len)
{
	return ocsp_request_der_new_serial(X509_get_issuer_name(leaf), X509_get0_serialNumber(leaf),
	                                   issuer, out, len);
}

int ocsp_request_der_new_serial(const X509_NAME *issuer_name, const ASN1_INTEGER *serial,
                                X509 *issuer, unsigned char **out, size_t *len)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL;
	int n, rc = -1;

	*out = NULL;
	*len = 0;
	req = OCSP_REQUEST_new();
	id = OCSP_cert_id_new(EVP_sha1(), issuer_name, X509_get0_pubkey_bitstr(issuer), serial);
	if (req == NULL || id == NULL)
		goto out;
	if (OCSP_request_add0_id(req, id) == NULL)
		goto out;
	id = NULL; /* owned by req now */
	n = i2d_OCSP_REQUEST(req, &der);
	if (n <= 0)
		goto out;
	*out = malloc((size_t)n);
	if (*out == NULL)
		goto out;
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return rc;
}

int ocsp_request_get_url(const char *base_url, const unsigned char *der, size_t len, char *dst,
                         size_t dstlen)
{
	unsigned char b64[4 * ((OCSP_GET_MAX_ENCODED + 2) / 3) + 4];
	char enc[3 * sizeof(b64)];
	size_t blen, elen = 0, baselen, i;
	int slash;

	/* base64 is 4/3 of the input before percent-encoding: anything larger
	 * than this cannot end up under the limit. */
	if (len > (OCSP_GET_MAX_ENCODED / 4) * 3)
		return 0;
	blen = (size_t)EVP_EncodeBlock(b64, der, (int)len);
	for (i = 0; i < blen; i++) {
		char c = (char)b64[i];
		const char *esc = c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : NULL;
		if (esc != NULL) {
			memcpy(enc + elen, esc, 3);
			elen += 3;
		} else {
			enc[elen++] = c;
		}
	}
	if (elen > OCSP_GET_MAX_ENCODED)
		return 0;
	baselen = strlen(base_url);
	slash = baselen > 0 && base_url[baselen - 1] == '/';
	if (baselen + (slash ? 0 : 1) + elen + 1 > dstlen)
		return -1;
	memcpy(dst, base_url, baselen);
	if (!slash)
		dst[baselen++] = '/';
	memcpy(dst + baselen, enc, elen);
	dst[baselen + elen] = '\0';
	return 1;
}

int staple_is_placeholder(const unsigned char *der, size_t len)
{
	return len == sizeof(staple_placeholder_der) &&
	       memcmp(der, staple_placeholder_der, len) == 0;
}

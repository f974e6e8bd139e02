/*
 * ocsp: request building and response validation.  See ocsp.h.
 *
 * Validation is written out step by step instead of calling
 * OCSP_basic_verify(), for two reasons: each failure gets its own precise
 * error (an operator must see "signer not authorized" rather than "verify
 * failed"), and the trust decision is exactly RFC 6960 4.2.2.2 (issuer, or a
 * certificate the issuer signed with id-kp-OCSPSigning) without depending on
 * a trust store or chain building.
 */

#include "ocsp/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* 1 when the response's ResponderID names the issuer (by name or key hash). */
static int responder_id_is(const OCSP_BASICRESP *bs, X509 *cert)
{
	const ASN1_OCTET_STRING *key_id = NULL;
	const X509_NAME *name = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (OCSP_resp_get0_id(bs, &key_id, &name) != 1)
		return 0;
	if (name != NULL)
		return X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
	if (key_id == NULL || X509_pubkey_digest(cert, EVP_sha1(), md, &mdlen) != 1)
		return 0;
	return (unsigned int)ASN1_STRING_length(key_id) == mdlen &&
	       memcmp(ASN1_STRING_get0_data(key_id), md, mdlen) == 0;
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
	OCSP_RESPONSE *resp = NULL;
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
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "not a DER OCSPResponse");
		goto out;
	}
	if (p != der + len) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "%zu trailing bytes after the response",
		            (size_t)(der + len - p));
		goto out;
	}
	status = OCSP_response_status(resp);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		rc = reject(v, STAPLE_ERR_STATUS_NOT_SUCCESSFUL, "responseStatus %s",
		            response_status_name(status));
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (bs == NULL) {
		rc = reject(v, STAPLE_ERR_MALFORMED, "no BasicOCSPResponse");
		goto out;
	}

	rc = find_authorized_signer(bs, issuer, now, &signer, v);
	if (rc != STAPLE_OK)
		goto out;
	if (ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
	                     OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs),
	                     X509_get0_pubkey(signer)) != 1) {
		rc = reject(v, STAPLE_ERR_BAD_SIGNATURE, "signature does not verify");
		goto out;
	}

	count = OCSP_resp_count(bs);
	if (count <= 0) {
		rc = reject(v, STAPLE_ERR_NO_MATCHING_RESPONSE, "no SingleResponse");
		goto out;
	}
	if (count > 1) {
		rc = reject(v, STAPLE_ERR_MULTIPLE_RESPONSES,
		            "%d SingleResponses (servers accept exactly one)", count);
		goto out;
	}
	single = OCSP_resp_get0(bs, 0);
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
	if (time_from_asn1(OCSP_resp_get0_produced_at(bs), &v->produced_at) != 0) {
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
	OCSP_RESPONSE_free(resp);
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

time_t staple_refresh_at(time_t this_update, time_t next_update, double jitter)
{
	time_t window = next_update - this_update;

	if (window <= 0)
		return this_update;
	if (!(jitter >= 0.0)) /* also catches NaN */
		jitter = 0.0;
	if (jitter >= 1.0)
		jitter = 0.999999;
	return this_update + window / 2 - (time_t)(jitter * OCSP_REFRESH_JITTER * (double)window);
}

time_t staple_withdraw_at(time_t this_update, time_t next_update)
{
	time_t margin = (next_update - this_update) / 20;

	if (margin < 1)
		margin = 1;
	if (margin > OCSP_WITHDRAW_MARGIN_MAX)
		margin = OCSP_WITHDRAW_MARGIN_MAX;
	return next_update - margin;
}

int staple_servable(const struct ocsp_verdict *v, time_t now)
{
	return v->error == STAPLE_OK && v->status != STAPLE_STATUS_NONE && now < v->next_update &&
	       v->this_update <= now + OCSP_CLOCK_SKEW;
}

int staple_older(const struct ocsp_verdict *candidate, const struct ocsp_verdict *stored)
{
	if (candidate->this_update != stored->this_update)
		return candidate->this_update < stored->this_update;
	return candidate->produced_at < stored->produced_at;
}

int staple_is_placeholder(const unsigned char *der, size_t len)
{
	return len == sizeof(staple_placeholder_der) &&
	       memcmp(der, staple_placeholder_der, len) == 0;
}

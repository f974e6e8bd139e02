/*
 * testca: see testca.h.  Extensions are added through the same X509V3 code
 * the openssl command uses, so the certificates look like ones a CA issues:
 * subjectKeyIdentifier on all, authorityKeyIdentifier on issued ones.
 */
#include "testca.h"

#include <openssl/x509v3.h>

EVP_PKEY *testca_key_new(void)
{
	return EVP_EC_gen("P-256");
}

/* Add one extension given in openssl.cnf syntax; returns 0 or -1. */
static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

X509 *testca_cert_new(const struct testca_cert_spec *spec)
{
	X509 *cert = NULL, *issuer;
	X509_NAME *name;
	X509V3_CTX ctx;

	cert = X509_new();
	if (cert == NULL)
		goto fail;
	issuer = spec->issuer != NULL ? spec->issuer : cert;
	name = X509_get_subject_name(cert);
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), spec->serial) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)spec->cn,
	                               -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert), spec->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), spec->not_after) == NULL ||
	    X509_set_pubkey(cert, spec->key) != 1)
		goto fail;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if (add_ext(cert, &ctx, NID_subject_key_identifier, "hash") != 0)
		goto fail;
	if (spec->issuer != NULL &&
	    add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always") != 0)
		goto fail;
	if (spec->ca && (add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	                 add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") != 0))
		goto fail;
	if (!spec->ca && add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature") != 0)
		goto fail;
	if (spec->ocsp_signing && add_ext(cert, &ctx, NID_ext_key_usage, "OCSPSigning") != 0)
		goto fail;
	if (spec->aia != NULL && add_ext(cert, &ctx, NID_info_access, spec->aia) != 0)
		goto fail;

	if (X509_sign(cert, spec->issuer_key, EVP_sha256()) <= 0)
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

/* Add one SingleResponse to bs; returns 0 or -1. */
static int add_single(OCSP_BASICRESP *bs, const struct testca_single *s)
{
	OCSP_CERTID *id = NULL;
	ASN1_TIME *this_upd = NULL, *next_upd = NULL, *rev = NULL;
	int rc = -1;

	id = s->id != NULL ? OCSP_CERTID_dup(s->id) : OCSP_cert_to_id(s->id_md, s->leaf, s->issuer);
	this_upd = ASN1_TIME_set(NULL, s->this_update);
	if (id == NULL || this_upd == NULL)
		goto out;
	if (!s->no_next_update && (next_upd = ASN1_TIME_set(NULL, s->next_update)) == NULL)
		goto out;
	if (s->status == V_OCSP_CERTSTATUS_REVOKED &&
	    (rev = ASN1_TIME_set(NULL, s->revoked_at)) == NULL)
		goto out;
	if (OCSP_basic_add1_status(bs, id, s->status, s->reason, rev, this_upd, next_upd) == NULL)
		goto out;
	rc = 0;
out:
	ASN1_TIME_free(rev);
	ASN1_TIME_free(next_upd);
	ASN1_TIME_free(this_upd);
	OCSP_CERTID_free(id);
	return rc;
}

/* i2d into a new buffer; returns 0 or -1. */
static int response_to_der(OCSP_RESPONSE *resp, unsigned char **der, size_t *len)
{
	int n;

	*der = NULL;
	*len = 0;
	n = i2d_OCSP_RESPONSE(resp, der);
	if (n <= 0) {
		*der = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int testca_response_der(const struct testca_response_spec *spec, unsigned char **der, size_t *len)
{
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	ASN1_GENERALIZEDTIME *produced;
	size_t i;
	int rc = -1;

	*der = NULL;
	*len = 0;
	bs = OCSP_BASICRESP_new();
	if (bs == NULL)
		goto out;
	for (i = 0; i < spec->single_count; i++)
		if (add_single(bs, &spec->singles[i]) != 0)
			goto out;
	/* OpenSSL has no setter for producedAt: OCSP_basic_sign() writes the
	 * current time unless OCSP_NOTIME, so set the field it would have
	 * written (the getter returns the response's own object). */
	produced = (ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs);
	if (produced == NULL || ASN1_GENERALIZEDTIME_set(produced, spec->produced_at) == NULL)
		goto out;
	if (OCSP_basic_sign(bs, spec->signer, spec->signer_key, EVP_sha256(), NULL,
	                    spec->flags | OCSP_NOTIME) != 1)
		goto out;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	if (resp == NULL)
		goto out;
	rc = response_to_der(resp, der, len);
out:
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return rc;
}

int testca_status_response_der(int status, unsigned char **der, size_t *len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int rc;

	*der = NULL;
	*len = 0;
	if (resp == NULL)
		return -1;
	rc = response_to_der(resp, der, len);
	OCSP_RESPONSE_free(resp);
	return rc;
}

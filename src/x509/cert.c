

#include "x509/cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "util/atomic.h"
#include "util/names.h"
#include "util/timeutil.h"

STACK_OF(X509) * cert_chain_from_pem(const unsigned char *pem, size_t len, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = NULL;
	BIO *bio = NULL;
	X509 *x;

	if (len > CERT_FILE_MAX || len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "certificate data too large");
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	chain = sk_X509_new_null();
	if (bio == NULL || chain == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(chain, x) <= 0) {
			X509_free(x);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	ERR_clear_error(); /* the loop always ends with "no start line" */
	if (sk_X509_num(chain) == 0) {
		snprintf(err, errlen, "no PEM certificate found");
		goto fail;
	}
	BIO_free(bio);
	return chain;
fail:
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return NULL;
}

STACK_OF(X509) * cert_chain_load(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) * chain;
	unsigned char *data = NULL;
	size_t len = 0;

	if (store_read_file(path, CERT_FILE_MAX, &data, &len) != 0) {
		snprintf(err, errlen, "%s", errno == EFBIG ? "file too large" : strerror(errno));
		return NULL;
	}
	chain = cert_chain_from_pem(data, len, err, errlen);
	free(data);
	return chain;
}

/* Append uri to urls unless it is empty, a duplicate, or (http_only) not an
 * http(s) URL; returns the new count. */
static size_t url_append(const ASN1_IA5STRING *uri, int http_only, char **urls, size_t count)
{
	char *u;
	size_t j;
	int dup = 0;

	if (uri == NULL || uri->length <= 0)
		return count;
	u = strndup((const char *)uri->data, (size_t)uri->length);
	if (u == NULL)
		return count;
	for (j = 0; j < count; j++)
		dup |= strcmp(urls[j], u) == 0;
	if (dup || (http_only && strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) {
		free(u);
		return count;
	}
	urls[count++] = u;
	return count;
}

/* The URIs of the AIA entries with access method nid (NID_ad_OCSP,
 * NID_ad_ca_issuers) among exts; see cert_ocsp_urls(). */
static size_t aia_urls_from_extensions(const STACK_OF(X509_EXTENSION) * exts, int nid,
                                       int http_only, char **urls, size_t count, size_t max)
{
	AUTHORITY_INFO_ACCESS *aia = X509V3_get_d2i(exts, NID_info_access, NULL, NULL);
	int i;

	for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia) && count < max; i++) {
		const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) != nid || ad->location->type != GEN_URI)
			continue;
		count =
		    url_append(ad->location->d.uniformResourceIdentifier, http_only, urls, count);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	ERR_clear_error();
	return count;
}

size_t cert_ocsp_urls(X509 *cert, char **urls, size_t count, size_t max)
{
	return aia_urls_from_extensions(X509_get0_extensions(cert), NID_ad_OCSP, 1, urls, count,
	                                max);
}

size_t cert_ca_issuers_urls(X509 *cert, char **urls, size_t count, size_t max)
{
	return aia_urls_from_extensions(X509_get0_extensions(cert), NID_ad_ca_issuers, 0, urls,
	                                count, max);
}

size_t cert_crl_urls(X509 *cert, char **urls, size_t count, size_t max)
{
	CRL_DIST_POINTS *cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	int i, j;

	for (i = 0; cdp != NULL && i < sk_DIST_POINT_num(cdp) && count < max; i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
		const GENERAL_NAMES *names;

		/* Only a fullName locates the CRL; a name relative to the
		 * issuer (type 1) names no host. */
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names) && count < max; j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
			if (gn->type == GEN_URI)
				count = url_append(gn->d.uniformResourceIdentifier, 0, urls, count);
		}
	}
	CRL_DIST_POINTS_free(cdp);
	ERR_clear_error();
	return count;
}

static const char *serial_hex(const ASN1_INTEGER *serial, char *dst, size_t dstlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (dstlen > 0)
		dst[0] = '\0';
	if (hex != NULL)
		snprintf(dst, dstlen, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return dst;
}

const char *cert_serial_hex(X509 *cert, char *dst, size_t dstlen)
{
	return serial_hex(X509_get0_serialNumber(cert), dst, dstlen);
}

int cert_pem_leaf_issuer_der(const char *pem, size_t len, unsigned char **leaf, size_t *leaf_len,
                             unsigned char **issuer, size_t *issuer_len)
{
	unsigned char **out[2] = {leaf, issuer};
	size_t *out_len[2] = {leaf_len, issuer_len};
	BIO *bio = NULL;
	int found = 0, failed = 0;

	*leaf = *issuer = NULL;
	*leaf_len = *issuer_len = 0;
	if (len > CERT_FILE_MAX)
		return -1;
	bio = BIO_new_mem_buf(pem, (int)len);
	while (bio != NULL && found < 2) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long n = 0;

		if (PEM_read_bio(bio, &name, &header, &data, &n) != 1)
			break;
		/* The block names PEM_read_bio_X509() accepts; others are skipped. */
		if (n > 0 && (strcmp(name, PEM_STRING_X509) == 0 ||
		              strcmp(name, PEM_STRING_X509_OLD) == 0)) {
			*out[found] = malloc((size_t)n);
			failed = *out[found] == NULL;
			if (!failed) {
				memcpy(*out[found], data, (size_t)n);
				*out_len[found] = (size_t)n;
				found++;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (failed)
			break;
	}
	ERR_clear_error(); /* the loop always ends with "no start line" */
	BIO_free(bio);
	if (*leaf == NULL || failed) {
		free(*leaf);
		*leaf = NULL;
		*leaf_len = 0;
		free(*issuer);
		*issuer = NULL;
		*issuer_len = 0;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ cert_leaf */

/* RFC 5280 4.1 with the SubjectPublicKeyInfo (and the subject, which holdfast
 * never reads from a leaf) kept as opaque ANY.  enc keeps the original
 * encoding of the TBSCertificate, which is what the signature covers. */
typedef struct {
	ASN1_ENCODING enc;
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *signature;
	X509_NAME *issuer;
	X509_VAL *validity;
	ASN1_TYPE *subject;
	ASN1_TYPE *key;
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) * extensions;
} LEAF_TBS;

typedef struct {
	LEAF_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
} LEAF_CERT;

ASN1_SEQUENCE_enc(LEAF_TBS, enc, 0) = {
    ASN1_EXP_OPT(LEAF_TBS, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(LEAF_TBS, serial, ASN1_INTEGER),
    ASN1_SIMPLE(LEAF_TBS, signature, X509_ALGOR),
    ASN1_SIMPLE(LEAF_TBS, issuer, X509_NAME),
    ASN1_SIMPLE(LEAF_TBS, validity, X509_VAL),
    ASN1_SIMPLE(LEAF_TBS, subject, ASN1_ANY),
    ASN1_SIMPLE(LEAF_TBS, key, ASN1_ANY),
    ASN1_IMP_OPT(LEAF_TBS, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(LEAF_TBS, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(LEAF_TBS, extensions, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END_ref(LEAF_TBS, LEAF_TBS);

ASN1_SEQUENCE(LEAF_CERT) = {
    ASN1_SIMPLE(LEAF_CERT, tbs, LEAF_TBS),
    ASN1_SIMPLE(LEAF_CERT, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(LEAF_CERT, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(LEAF_CERT);

struct cert_leaf {
	LEAF_CERT *cert;
};

struct cert_leaf *cert_leaf_new(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	struct cert_leaf *leaf;
	LEAF_CERT *cert;

	if (der == NULL || len == 0 || len > CERT_FILE_MAX)
		return NULL;
	cert = (LEAF_CERT *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(LEAF_CERT));
	if (cert == NULL || p != der + len) {
		ASN1_item_free((ASN1_VALUE *)cert, ASN1_ITEM_rptr(LEAF_CERT));
		ERR_clear_error();
		return NULL;
	}
	leaf = malloc(sizeof(*leaf));
	if (leaf == NULL) {
		ASN1_item_free((ASN1_VALUE *)cert, ASN1_ITEM_rptr(LEAF_CERT));
		return NULL;
	}
	leaf->cert = cert;
	return leaf;
}

void cert_leaf_free(struct cert_leaf *leaf)
{
	if (leaf == NULL)
		return;
	ASN1_item_free((ASN1_VALUE *)leaf->cert, ASN1_ITEM_rptr(LEAF_CERT));
	free(leaf);
}

int cert_leaf_verify(const struct cert_leaf *leaf, X509 *issuer, char *why, size_t whylen)
{
	const LEAF_CERT *c = leaf->cert;
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	int ok;

	if (X509_NAME_cmp(c->tbs->issuer, X509_get_subject_name(issuer)) != 0) {
		snprintf(why, whylen, "issuer name is not the chain's first certificate");
		return 0;
	}
	/* X509_verify() refuses the same mismatch. */
	if (X509_ALGOR_cmp(c->sig_alg, c->tbs->signature) != 0) {
		snprintf(why, whylen, "signature algorithm differs inside and outside");
		return 0;
	}
	if (key == NULL) {
		snprintf(why, whylen, "issuer has no usable public key");
		return 0;
	}
	ok = ASN1_item_verify(ASN1_ITEM_rptr(LEAF_TBS), c->sig_alg, c->signature, c->tbs, key) == 1;
	ERR_clear_error();
	if (!ok)
		snprintf(why, whylen, "signature does not verify with the issuer's key");
	return ok;
}

const ASN1_INTEGER *cert_leaf_serial(const struct cert_leaf *leaf)
{
	return leaf->cert->tbs->serial;
}

const X509_NAME *cert_leaf_issuer_name(const struct cert_leaf *leaf)
{
	return leaf->cert->tbs->issuer;
}

int cert_leaf_validity(const struct cert_leaf *leaf, time_t *not_before, time_t *not_after)
{
	const X509_VAL *v = leaf->cert->tbs->validity;

	return time_from_asn1(v->notBefore, not_before) == 0 &&
	               time_from_asn1(v->notAfter, not_after) == 0
	           ? 0
	           : -1;
}

size_t cert_leaf_ocsp_urls(const struct cert_leaf *leaf, char **urls, size_t count, size_t max)
{
	return aia_urls_from_extensions(leaf->cert->tbs->extensions, NID_ad_OCSP, 1, urls, count,
	                                max);
}

const char *cert_leaf_serial_hex(const struct cert_leaf *leaf, char *dst, size_t dstlen)
{
	return serial_hex(leaf->cert->tbs->serial, dst, dstlen);
}

X509_EXTENSION *cert_san_extension_new(char *const *names, size_t count)
{
	X509_EXTENSION *ext = NULL;
	size_t cap = 1, i;
	char *san;
	int n = 0;

	for (i = 0; i < count; i++)
		cap += strlen(names[i]) + 5;
	san = malloc(cap);
	if (san == NULL)
		return NULL;
	san[0] = '\0';
	for (i = 0; i < count; i++) {
		int w = snprintf(san + n, cap - (size_t)n, "%s%s:%s", i ? "," : "",
		                 host_is_ip(names[i]) ? "IP" : "DNS", names[i]);
		if (w < 0 || (size_t)w >= cap - (size_t)n)
			goto out;
		n += w;
	}
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
out:
	free(san);
	return ext;
}

char *cert_placeholder_pem_new(EVP_PKEY *key, char *const *names, size_t count, int days,
                               time_t now)
{
	X509 *x = X509_new();
	X509_NAME *subject;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	char *out = NULL, *data;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	long len;

	if (x == NULL || count == 0 || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    X509_time_adj(X509_getm_notBefore(x), -300, &now) == NULL ||
	    X509_time_adj(X509_getm_notAfter(x), (long)days * 86400, &now) == NULL)
		goto out;
	subject = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(
	        subject, "O", MBSTRING_ASC,
	        (const unsigned char *)"holdfast TEMPORARY placeholder - not issued by a CA", -1,
	        -1, 0) != 1 ||
	    (strlen(names[0]) <= 64 && !host_is_ip(names[0]) &&
	     X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
	                                (const unsigned char *)names[0], -1, -1, 0) != 1) ||
	    X509_set_issuer_name(x, subject) != 1 || X509_set_pubkey(x, key) != 1)
		goto out;
	ext = cert_san_extension_new(names, count);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1 || X509_sign(x, key, EVP_sha256()) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len > 0)
		out = strndup(data, (size_t)len);
out:
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	BN_free(bn);
	X509_free(x);
	return out;
}

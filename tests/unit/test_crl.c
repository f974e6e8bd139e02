/*
 * Unit tests for revocation/crl.c: crl_check() against CRLs built in memory
 * for every rule crl.h promises (one enum crl_error per rule), plus the name
 * tables and the store's CRL cache (store_crl_save / store_crl_load).
 *
 * Every check runs at the fixed instant NOW and every time in a CRL is set
 * explicitly.  Each case states the one thing it changes from a good CRL
 * signed by the issuer, and asserts the exact crl_error (the verdict's
 * detail printed as a TAP comment when it differs).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "revocation/crl.h"
#include "revocation/schedule.h"
#include "store/store.h"
#include "tap.h"
#include "testca.c"

#define DAY                86400
#define NOW                ((time_t)1800000000)
#define THIS_UPDATE        (NOW - 3600)
#define NEXT_UPDATE        (NOW + 7 * DAY)
#define REVOKED_AT         (NOW - 2 * DAY)
#define URL                "http://127.0.0.1:8080/shard1.crl"
#define MAX                (1024 * 1024)
#define CERT_URLS_MAX_TEST 4

struct fixture {
	EVP_PKEY *ca_key, *leaf_key, *other_key, *noku_key;
	X509 *ca;           /* the issuer (keyCertSign, cRLSign) */
	X509 *leaf, *leaf2; /* issued by ca, serials 0x1001 and 0x1002 */
	X509 *rogue_same;   /* same name as ca, another key */
	X509 *other_ca;     /* another name */
	X509 *noku_ca;      /* keyUsage digitalSignature only */
	X509 *noku_leaf;    /* issued by noku_ca */
	/* indirect CRLs: CRL issuers and a leaf whose distribution point names one */
	EVP_PKEY *crl_key;
	X509 *crl_issuer;         /* "Test CRL Issuer", certified by ca, cRLSign */
	X509 *crl_issuer_noku;    /* the same name and key, keyUsage digitalSignature only */
	X509 *crl_issuer_foreign; /* the same name and key, certified by other_ca */
	X509 *crl_issuer_expired; /* certified by ca, expired */
	X509 *ileaf;              /* 0x1005, DP fullName URL with cRLIssuer crl_issuer */
};

static struct fixture fx;

/* How one test CRL differs from the good one. */
struct crl_spec {
	X509 *issuer_cert;  /* name used as the CRL issuer; default fx.ca */
	EVP_PKEY *signer;   /* default fx.ca_key */
	time_t this_update; /* default THIS_UPDATE */
	time_t next_update; /* default NEXT_UPDATE */
	int no_next_update;
	long revoked[4]; /* serials listed (0 ends) */
	int reason;      /* CRLReason of each entry; -1: none; default keyCompromise */
	int reason_set;
	const char *idp_uri; /* IDP distributionPoint fullName URI */
	int idp_onlyattr, idp_onlyca, idp_onlyuser, idp_indirect, idp_somereasons;
	int delta;
	int unknown_critical;       /* a critical extension nobody knows */
	int entry_unknown_critical; /* the same on the entry */
	int entry_cert_issuer;      /* a critical certificateIssuer on the entry */
	X509 *entry_issuer;         /* whose subject it names; default fx.other_ca */
	const char *aia_uri;        /* authorityInfoAccess caIssuers (RFC 5280 5.2.7) */
};

static X509 *issue(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   int ca)
{
	struct testca_cert_spec spec = {
	    .cn = cn,
	    .serial = serial,
	    .key = key,
	    .issuer = issuer,
	    .issuer_key = issuer_key,
	    .not_before = NOW - 30 * DAY,
	    .not_after = NOW + 60 * DAY,
	    .ca = ca,
	};
	return testca_cert_new(&spec);
}

/* A leaf 0x1005 issued by fx.ca whose one CRL distribution point has fullName
 * url and cRLIssuer the subject of crl_issuer (RFC 5280 4.2.1.13), or NULL. */
static X509 *leaf_with_crl_issuer(const char *cn, long serial, const char *url, X509 *crl_issuer)
{
	X509 *cert = issue(cn, serial, fx.leaf_key, fx.ca, fx.ca_key, 0);
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	GENERAL_NAME *uri = GENERAL_NAME_new(), *dir = GENERAL_NAME_new();
	ASN1_IA5STRING *u = ASN1_IA5STRING_new();
	int ok = cert && dps && dp && uri && dir && u && ASN1_STRING_set(u, url, -1);

	if (ok) {
		GENERAL_NAME_set0_value(uri, GEN_URI, u);
		u = NULL;
		dp->distpoint = DIST_POINT_NAME_new();
		ok = dp->distpoint != NULL;
	}
	if (ok) {
		dp->distpoint->type = 0;
		dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
		ok = dp->distpoint->name.fullname &&
		     sk_GENERAL_NAME_push(dp->distpoint->name.fullname, uri);
		if (ok)
			uri = NULL;
	}
	if (ok) {
		X509_NAME *n = X509_NAME_dup(X509_get_subject_name(crl_issuer));
		dp->CRLissuer = sk_GENERAL_NAME_new_null();
		ok = n != NULL && dp->CRLissuer != NULL;
		if (ok) {
			GENERAL_NAME_set0_value(dir, GEN_DIRNAME, n);
			ok = sk_GENERAL_NAME_push(dp->CRLissuer, dir);
			if (ok)
				dir = NULL;
		} else {
			X509_NAME_free(n);
		}
	}
	ok = ok && sk_DIST_POINT_push(dps, dp);
	if (ok)
		dp = NULL;
	ok =
	    ok &&
	    X509_add1_ext_i2d(cert, NID_crl_distribution_points, dps, 0, X509V3_ADD_DEFAULT) == 1 &&
	    X509_sign(cert, fx.ca_key, EVP_sha256()) > 0;
	GENERAL_NAME_free(uri);
	GENERAL_NAME_free(dir);
	ASN1_IA5STRING_free(u);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* The indirect CRL issuers and the leaf that names one. */
static int fixture_indirect_init(void)
{
	struct testca_cert_spec expired = {
	    .cn = "Test CRL Issuer",
	    .serial = 0x30,
	    .issuer = fx.ca,
	    .issuer_key = fx.ca_key,
	    .not_before = NOW - 60 * DAY,
	    .not_after = NOW - DAY,
	    .ca = 1,
	};

	fx.crl_key = testca_key_new();
	if (fx.crl_key == NULL)
		return -1;
	expired.key = fx.crl_key;
	fx.crl_issuer = issue("Test CRL Issuer", 0x31, fx.crl_key, fx.ca, fx.ca_key, 1);
	fx.crl_issuer_noku = issue("Test CRL Issuer", 0x32, fx.crl_key, fx.ca, fx.ca_key, 0);
	fx.crl_issuer_foreign =
	    issue("Test CRL Issuer", 0x33, fx.crl_key, fx.other_ca, fx.other_key, 1);
	fx.crl_issuer_expired = testca_cert_new(&expired);
	if (!fx.crl_issuer || !fx.crl_issuer_noku || !fx.crl_issuer_foreign ||
	    !fx.crl_issuer_expired)
		return -1;
	fx.ileaf = leaf_with_crl_issuer("ileaf.test", 0x1005, URL, fx.crl_issuer);
	return fx.ileaf ? 0 : -1;
}

static int fixture_init(void)
{
	fx.ca_key = testca_key_new();
	fx.leaf_key = testca_key_new();
	fx.other_key = testca_key_new();
	fx.noku_key = testca_key_new();
	if (!fx.ca_key || !fx.leaf_key || !fx.other_key || !fx.noku_key)
		return -1;
	fx.ca = issue("Test CA", 1, fx.ca_key, NULL, fx.ca_key, 1);
	fx.rogue_same = issue("Test CA", 2, fx.other_key, NULL, fx.other_key, 1);
	fx.other_ca = issue("Other CA", 3, fx.other_key, NULL, fx.other_key, 1);
	/* Not a CA by its extensions: keyUsage digitalSignature, no cRLSign. */
	fx.noku_ca = issue("No cRLSign CA", 4, fx.noku_key, NULL, fx.noku_key, 0);
	if (!fx.ca || !fx.rogue_same || !fx.other_ca || !fx.noku_ca)
		return -1;
	fx.leaf = issue("leaf.test", 0x1001, fx.leaf_key, fx.ca, fx.ca_key, 0);
	fx.leaf2 = issue("leaf2.test", 0x1002, fx.leaf_key, fx.ca, fx.ca_key, 0);
	fx.noku_leaf = issue("noku.test", 0x1003, fx.leaf_key, fx.noku_ca, fx.noku_key, 0);
	if (!fx.leaf || !fx.leaf2 || !fx.noku_leaf)
		return -1;
	return fixture_indirect_init();
}

static int add_time(ASN1_TIME **t, time_t when)
{
	*t = ASN1_TIME_set(NULL, when);
	return *t ? 0 : -1;
}

static int add_critical_unknown(STACK_OF(X509_EXTENSION) * *exts, X509_CRL *crl)
{
	ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if (obj && os && ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2))
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	if (ext != NULL)
		rc = crl ? (X509_CRL_add_ext(crl, ext, -1) ? 0 : -1)
		         : (X509v3_add_ext(exts, ext, -1) ? 0 : -1);
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static int add_entry(X509_CRL *crl, const struct crl_spec *s, long serial)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *t = NULL;
	int rc = -1, reason = s->reason_set ? s->reason : CRL_REASON_KEY_COMPROMISE;

	if (r == NULL || sn == NULL || !ASN1_INTEGER_set(sn, serial) ||
	    !X509_REVOKED_set_serialNumber(r, sn) || add_time(&t, REVOKED_AT) != 0 ||
	    !X509_REVOKED_set_revocationDate(r, t))
		goto out;
	if (reason >= 0) {
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
		int ok = e && ASN1_ENUMERATED_set(e, reason) &&
		         X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) == 1;
		ASN1_ENUMERATED_free(e);
		if (!ok)
			goto out;
	}
	if (s->entry_unknown_critical) {
		STACK_OF(X509_EXTENSION) *exts = NULL;
		if (add_critical_unknown(&exts, NULL) != 0 ||
		    !X509_REVOKED_add_ext(r, sk_X509_EXTENSION_value(exts, 0), -1)) {
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			goto out;
		}
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (s->entry_cert_issuer) {
		GENERAL_NAMES *gns = sk_GENERAL_NAME_new_null();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		int ok = gns && gn;
		if (ok) {
			gn->type = GEN_DIRNAME;
			gn->d.directoryName = X509_NAME_dup(
			    X509_get_subject_name(s->entry_issuer ? s->entry_issuer : fx.other_ca));
			ok = gn->d.directoryName && sk_GENERAL_NAME_push(gns, gn);
			if (ok)
				gn = NULL;
		}
		ok = ok && X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gns, 1, 0) == 1;
		GENERAL_NAME_free(gn);
		GENERAL_NAMES_free(gns);
		if (!ok)
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, r))
		goto out;
	r = NULL;
	rc = 0;
out:
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	return rc;
}

static int add_idp(X509_CRL *crl, const struct crl_spec *s)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	int rc = -1;

	if (idp == NULL)
		return -1;
	if (s->idp_uri != NULL) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *u = ASN1_IA5STRING_new();
		idp->distpoint = DIST_POINT_NAME_new();
		if (!gn || !u || !idp->distpoint || !ASN1_STRING_set(u, s->idp_uri, -1)) {
			GENERAL_NAME_free(gn);
			ASN1_IA5STRING_free(u);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_URI, u);
		idp->distpoint->type = 0;
		idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
		if (!idp->distpoint->name.fullname ||
		    !sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn)) {
			GENERAL_NAME_free(gn);
			goto out;
		}
	}
	idp->onlyattr = s->idp_onlyattr;
	idp->onlyCA = s->idp_onlyca;
	idp->onlyuser = s->idp_onlyuser;
	idp->indirectCRL = s->idp_indirect;
	if (s->idp_somereasons) {
		idp->onlysomereasons = ASN1_BIT_STRING_new();
		if (!idp->onlysomereasons || !ASN1_BIT_STRING_set_bit(idp->onlysomereasons, 1, 1))
			goto out;
	}
	rc = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) == 1 ? 0 : -1;
out:
	ISSUING_DIST_POINT_free(idp);
	return rc;
}

/* DER of the CRL s describes (OPENSSL_free), or NULL. */
static unsigned char *crl_der(const struct crl_spec *s, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	unsigned char *der = NULL;
	int n, i;

	if (crl == NULL || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(
	        crl, X509_get_subject_name(s->issuer_cert ? s->issuer_cert : fx.ca)) ||
	    add_time(&t1, s->this_update ? s->this_update : THIS_UPDATE) != 0 ||
	    !X509_CRL_set1_lastUpdate(crl, t1))
		goto out;
	if (!s->no_next_update &&
	    (add_time(&t2, s->next_update ? s->next_update : NEXT_UPDATE) != 0 ||
	     !X509_CRL_set1_nextUpdate(crl, t2)))
		goto out;
	for (i = 0; i < 4 && s->revoked[i] != 0; i++)
		if (add_entry(crl, s, s->revoked[i]) != 0)
			goto out;
	if ((s->idp_uri || s->idp_onlyattr || s->idp_onlyca || s->idp_onlyuser || s->idp_indirect ||
	     s->idp_somereasons) &&
	    add_idp(crl, s) != 0)
		goto out;
	if (s->delta) {
		ASN1_INTEGER *base = ASN1_INTEGER_new();
		int ok = base && ASN1_INTEGER_set(base, 7) &&
		         X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0) == 1;
		ASN1_INTEGER_free(base);
		if (!ok)
			goto out;
	}
	if (s->unknown_critical && add_critical_unknown(NULL, crl) != 0)
		goto out;
	if (s->aia_uri != NULL) {
		AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
		ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
		ASN1_IA5STRING *u = ASN1_IA5STRING_new();
		int ok = aia && ad && u && ASN1_STRING_set(u, s->aia_uri, -1);
		if (ok) {
			ASN1_OBJECT_free(ad->method);
			ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
			GENERAL_NAME_set0_value(ad->location, GEN_URI, u);
			u = NULL;
			ok = sk_ACCESS_DESCRIPTION_push(aia, ad);
			if (ok)
				ad = NULL;
		}
		ok = ok && X509_CRL_add1_ext_i2d(crl, NID_info_access, aia, 0, 0) == 1;
		ASN1_IA5STRING_free(u);
		ACCESS_DESCRIPTION_free(ad);
		AUTHORITY_INFO_ACCESS_free(aia);
		if (!ok)
			goto out;
	}
	X509_CRL_sort(crl);
	if (!X509_CRL_sign(crl, s->signer ? s->signer : fx.ca_key, EVP_sha256()))
		goto out;
	n = i2d_X509_CRL(crl, &der);
	if (n <= 0)
		der = NULL;
	else
		*len = (size_t)n;
out:
	ERR_print_errors_fp(stderr);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	X509_CRL_free(crl);
	return der;
}

/* Build s, check it for cert/issuer at url, and compare with want. */
static enum crl_error run(const struct crl_spec *s, X509 *cert, X509 *issuer, const char *url,
                          struct crl_verdict *v)
{
	unsigned char *der = NULL;
	size_t len = 0;
	enum crl_error e;

	der = crl_der(s, &len);
	if (der == NULL) {
		printf("# could not build the test CRL\n");
		memset(v, 0, sizeof(*v));
		return CRL_ERR_COUNT;
	}
	e = crl_check(der, len, MAX, cert, issuer, url, NOW, v);
	OPENSSL_free(der);
	return e;
}

static void expect(const char *name, const struct crl_spec *s, X509 *cert, X509 *issuer,
                   const char *url, enum crl_error want)
{
	struct crl_verdict v;
	enum crl_error e = run(s, cert, issuer, url, &v);

	if (e != want)
		printf("# %s: got %s (%s), want %s\n", name, crl_error_name(e), v.detail,
		       crl_error_name(want));
	CHECK(e == want, name);
}

static void test_good(void)
{
	struct crl_spec s = {.revoked = {0x2000, 0x2001}};
	struct crl_verdict v;

	CHECK(run(&s, fx.leaf, fx.ca, URL, &v) == CRL_OK, "good: accepted");
	CHECK(v.status == CRL_STATUS_GOOD, "good: not listed");
	CHECK(!v.stale, "good: not stale");
	CHECK(v.this_update == THIS_UPDATE && v.next_update == NEXT_UPDATE, "good: times");
	CHECK(v.entries == 2, "good: two entries counted");
	CHECK(run(&s, fx.leaf, fx.ca, NULL, &v) == CRL_OK, "good: no IDP, no URL needed");
}

static void test_revoked(void)
{
	struct crl_spec s = {.revoked = {0x2000, 0x1001}};
	struct crl_spec none = {.revoked = {0x1001}, .reason = -1, .reason_set = 1};
	struct crl_spec hold = {
	    .revoked = {0x1001}, .reason = CRL_REASON_CERTIFICATE_HOLD, .reason_set = 1};
	struct crl_spec removed = {
	    .revoked = {0x1001}, .reason = CRL_REASON_REMOVE_FROM_CRL, .reason_set = 1};
	struct crl_verdict v;

	CHECK(run(&s, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_REVOKED,
	      "listed: revoked");
	CHECK(v.revocation_reason == CRL_REASON_KEY_COMPROMISE, "listed: reason keyCompromise");
	CHECK(v.revocation_time == REVOKED_AT, "listed: revocation time");
	CHECK(run(&s, fx.leaf2, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_GOOD,
	      "listed: another serial of the same CA is not");
	CHECK(run(&none, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_REVOKED &&
	          v.revocation_reason == -1,
	      "listed without a reason code: revoked, reason -1");
	CHECK(run(&hold, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_REVOKED &&
	          v.revocation_reason == CRL_REASON_CERTIFICATE_HOLD,
	      "certificateHold: revoked (on hold)");
	CHECK(run(&removed, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_GOOD,
	      "removeFromCRL entry: not revoked");
}

static void test_pem(void)
{
	struct crl_spec s = {.revoked = {0x1001}};
	unsigned char *der = NULL;
	size_t len = 0;
	struct crl_verdict v;
	BIO *bio = BIO_new(BIO_s_mem());
	const unsigned char *p;
	X509_CRL *crl = NULL;
	char *pem = NULL;
	long n;

	der = crl_der(&s, &len);
	p = der;
	if (der != NULL)
		crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (bio && crl && PEM_write_bio_X509_CRL(bio, crl)) {
		n = BIO_get_mem_data(bio, &pem);
		CHECK(crl_check((unsigned char *)pem, (size_t)n, MAX, fx.leaf, fx.ca, URL, NOW,
		                &v) == CRL_OK &&
		          v.status == CRL_STATUS_REVOKED,
		      "PEM: accepted, revoked");
		CHECK(crl_check((unsigned char *)pem, (size_t)n, (size_t)n - 1, fx.leaf, fx.ca, URL,
		                NOW, &v) == CRL_ERR_TOO_LARGE,
		      "PEM: one byte over the cap: too-large");
	} else {
		CHECK(0, "PEM: could not encode");
	}
	CHECK(crl_check(der, len, len, fx.leaf, fx.ca, URL, NOW, &v) == CRL_OK,
	      "DER: exactly at the cap: accepted");
	CHECK(crl_check(der, len, len - 1, fx.leaf, fx.ca, URL, NOW, &v) == CRL_ERR_TOO_LARGE,
	      "DER: over the cap: too-large");
	CHECK(crl_check(der, len - 1, MAX, fx.leaf, fx.ca, URL, NOW, &v) == CRL_ERR_MALFORMED,
	      "DER: truncated: malformed");
	X509_CRL_free(crl);
	BIO_free(bio);
	OPENSSL_free(der);
}

static void test_wrong_input(void)
{
	static const unsigned char garbage[] = "this is not a CRL at all\n";
	unsigned char *cert_der = NULL, *trailing = NULL, *der = NULL;
	struct crl_spec s = {0};
	struct crl_verdict v;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	size_t len = 0;
	long n;
	int cert_len = i2d_X509(fx.leaf, &cert_der);

	CHECK(crl_check(garbage, sizeof(garbage) - 1, MAX, fx.leaf, fx.ca, URL, NOW, &v) ==
	          CRL_ERR_MALFORMED,
	      "garbage: malformed");
	CHECK(crl_check(garbage, 0, MAX, fx.leaf, fx.ca, URL, NOW, &v) == CRL_ERR_MALFORMED,
	      "empty: malformed");
	CHECK(cert_len > 0 && crl_check(cert_der, (size_t)cert_len, MAX, fx.leaf, fx.ca, URL, NOW,
	                                &v) == CRL_ERR_WRONG_TYPE,
	      "a DER certificate: wrong-type");
	if (bio && PEM_write_bio_X509(bio, fx.leaf)) {
		n = BIO_get_mem_data(bio, &pem);
		CHECK(crl_check((unsigned char *)pem, (size_t)n, MAX, fx.leaf, fx.ca, URL, NOW,
		                &v) == CRL_ERR_WRONG_TYPE,
		      "a PEM certificate: wrong-type");
	}
	CHECK(crl_check((const unsigned char *)"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 "
	                                       "CRL-----\n",
	                53, MAX, fx.leaf, fx.ca, URL, NOW, &v) == CRL_ERR_MALFORMED,
	      "PEM X509 CRL with garbage inside: malformed");
	der = crl_der(&s, &len);
	trailing = malloc(len + 1);
	if (der && trailing) {
		memcpy(trailing, der, len);
		trailing[len] = 0;
		CHECK(crl_check(trailing, len + 1, MAX, fx.leaf, fx.ca, URL, NOW, &v) ==
		          CRL_ERR_MALFORMED,
		      "a byte after the DER: malformed");
	}
	free(trailing);
	OPENSSL_free(der);
	OPENSSL_free(cert_der);
	BIO_free(bio);
}

static void test_signer(void)
{
	struct crl_spec rogue = {.signer = NULL};
	struct crl_spec other = {.issuer_cert = NULL};
	struct crl_spec noku = {.signer = NULL};

	rogue.signer = fx.other_key; /* same name, another key */
	expect("signed by another key: bad-signature", &rogue, fx.leaf, fx.ca, URL,
	       CRL_ERR_BAD_SIGNATURE);
	other.issuer_cert = fx.other_ca;
	other.signer = fx.other_key;
	expect("issued by another CA name: indirect-unsupported", &other, fx.leaf, fx.ca, URL,
	       CRL_ERR_INDIRECT_UNSUPPORTED);
	expect("the issuer given did not issue the certificate: issuer-mismatch", &other, fx.leaf,
	       fx.other_ca, URL, CRL_ERR_ISSUER_MISMATCH);
	expect("an impostor issuer with the right name: issuer-mismatch", &rogue, fx.leaf,
	       fx.rogue_same, URL, CRL_ERR_ISSUER_MISMATCH);
	noku.issuer_cert = fx.noku_ca;
	noku.signer = fx.noku_key;
	expect("issuer without cRLSign: signer-not-authorized", &noku, fx.noku_leaf, fx.noku_ca,
	       URL, CRL_ERR_SIGNER_NOT_AUTHORIZED);
}

static void test_times(void)
{
	struct crl_spec stale = {.this_update = NOW - 9 * DAY, .next_update = NOW - DAY};
	struct crl_spec stale_rev = {
	    .this_update = NOW - 9 * DAY, .next_update = NOW - DAY, .revoked = {0x1001}};
	struct crl_spec future = {.this_update = NOW + CRL_CLOCK_SKEW + 1};
	struct crl_spec skew = {.this_update = NOW + CRL_CLOCK_SKEW};
	struct crl_spec nonext = {.no_next_update = 1};
	struct crl_verdict v;

	CHECK(run(&stale, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.stale &&
	          v.status == CRL_STATUS_GOOD,
	      "nextUpdate passed: accepted, stale, not listed");
	CHECK(run(&stale_rev, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.stale &&
	          v.status == CRL_STATUS_REVOKED,
	      "nextUpdate passed, listed: still revoked");
	expect("thisUpdate beyond the skew: not-yet-valid", &future, fx.leaf, fx.ca, URL,
	       CRL_ERR_NOT_YET_VALID);
	expect("thisUpdate within the skew: accepted", &skew, fx.leaf, fx.ca, URL, CRL_OK);
	expect("no nextUpdate: no-next-update", &nonext, fx.leaf, fx.ca, URL,
	       CRL_ERR_NO_NEXT_UPDATE);
}

static void test_kind(void)
{
	struct crl_spec delta = {.delta = 1};
	struct crl_spec attr = {.idp_onlyattr = 1};
	struct crl_spec reasons = {.idp_somereasons = 1};
	struct crl_spec onlyca = {.idp_onlyca = 1};
	struct crl_spec onlyuser = {.idp_onlyuser = 1};
	struct crl_spec indirect = {.idp_indirect = 1};
	struct crl_spec crit = {.unknown_critical = 1};
	struct crl_spec entry_crit = {.revoked = {0x2000}, .entry_unknown_critical = 1};
	struct crl_spec entry_issuer = {.revoked = {0x2000}, .entry_cert_issuer = 1};

	expect("delta CRL: delta-crl", &delta, fx.leaf, fx.ca, URL, CRL_ERR_DELTA_CRL);
	expect("onlyContainsAttributeCerts: attribute-only", &attr, fx.leaf, fx.ca, URL,
	       CRL_ERR_ATTRIBUTE_ONLY);
	expect("onlySomeReasons: partial-reasons", &reasons, fx.leaf, fx.ca, URL,
	       CRL_ERR_PARTIAL_REASONS);
	expect("onlyContainsCACerts for a leaf: scope-mismatch", &onlyca, fx.leaf, fx.ca, URL,
	       CRL_ERR_SCOPE_MISMATCH);
	expect("onlyContainsUserCerts for a leaf: accepted", &onlyuser, fx.leaf, fx.ca, URL,
	       CRL_OK);
	expect("indirectCRL: indirect-unsupported", &indirect, fx.leaf, fx.ca, URL,
	       CRL_ERR_INDIRECT_UNSUPPORTED);
	expect("unknown critical CRL extension: unhandled-critical-extension", &crit, fx.leaf,
	       fx.ca, URL, CRL_ERR_UNHANDLED_CRITICAL);
	expect("unknown critical entry extension: unhandled-critical-extension", &entry_crit,
	       fx.leaf, fx.ca, URL, CRL_ERR_UNHANDLED_CRITICAL);
	expect("certificateIssuer on an entry: indirect-unsupported", &entry_issuer, fx.leaf, fx.ca,
	       URL, CRL_ERR_INDIRECT_UNSUPPORTED);
}

static void test_idp(void)
{
	struct crl_spec match = {.idp_uri = URL, .revoked = {0x1001}};
	struct crl_spec other = {.idp_uri = "http://127.0.0.1:8080/shard2.crl"};
	struct crl_verdict v;

	CHECK(run(&match, fx.leaf, fx.ca, URL, &v) == CRL_OK && v.status == CRL_STATUS_REVOKED,
	      "IDP names the URL fetched: accepted");
	expect("IDP names another shard: idp-mismatch", &other, fx.leaf, fx.ca, URL,
	       CRL_ERR_IDP_MISMATCH);
	expect("IDP names a URL, none given: idp-mismatch", &match, fx.leaf, fx.ca, NULL,
	       CRL_ERR_IDP_MISMATCH);
	expect("IDP URL differs by a trailing slash: idp-mismatch", &match, fx.leaf, fx.ca, URL "/",
	       CRL_ERR_IDP_MISMATCH);
}

static void test_names(void)
{
	int e, distinct = 1, j;

	for (e = 0; e < CRL_ERR_COUNT; e++) {
		if (strcmp(crl_error_name((enum crl_error)e), "invalid") == 0)
			distinct = 0;
		for (j = 0; j < e; j++)
			if (strcmp(crl_error_name((enum crl_error)e),
			           crl_error_name((enum crl_error)j)) == 0)
				distinct = 0;
	}
	CHECK(distinct, "every crl_error has its own name");
	CHECK(strcmp(crl_error_name(CRL_ERR_COUNT), "invalid") == 0, "out of range: invalid");
	CHECK(strcmp(crl_reason_name(1), "keyCompromise") == 0, "reason 1: keyCompromise");
	CHECK(strcmp(crl_reason_name(-1), "unspecified") == 0, "no reason: unspecified");
	CHECK(strcmp(crl_reason_name(7), "unknown") == 0 &&
	          strcmp(crl_reason_name(11), "unknown") == 0,
	      "undefined reasons: unknown");
	CHECK(strcmp(crl_status_name(CRL_STATUS_REVOKED), "revoked") == 0, "status name");
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the test's temporary store, whatever the backend made in it. */
static void remove_tree(const char *dir)
{
	if (nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void test_store_cache(void)
{
	char dir[] = "/tmp/holdfast-test-crl.XXXXXX", err[256];
	struct store_crl_validators val, got;
	struct store *st = NULL;
	unsigned char *data = NULL;
	size_t len = 0;

	if (mkdtemp(dir) == NULL || (st = store_open_dir(dir, 0, err, sizeof(err))) == NULL) {
		CHECK(0, "store: open");
		return;
	}
	CHECK(store_crl_load(st, URL, MAX, &data, &len, &got) != 0, "store: nothing cached yet");
	memset(&val, 0, sizeof(val));
	snprintf(val.etag, sizeof(val.etag), "\"abc\"");
	snprintf(val.last_modified, sizeof(val.last_modified), "Fri, 04 Dec 2026 17:00:00 GMT");
	CHECK(store_crl_save(st, URL, (const unsigned char *)"CRLBYTES", 8, &val) == 0,
	      "store: saved");
	CHECK(store_crl_load(st, URL, MAX, &data, &len, &got) == 0 && len == 8 &&
	          memcmp(data, "CRLBYTES", 8) == 0,
	      "store: the same bytes back");
	CHECK(strcmp(got.etag, "\"abc\"") == 0 &&
	          strcmp(got.last_modified, "Fri, 04 Dec 2026 17:00:00 GMT") == 0,
	      "store: the validators back");
	free(data);
	data = NULL;
	CHECK(store_crl_load(st, URL, 4, &data, &len, &got) != 0, "store: bounded read");
	CHECK(store_crl_load(st, "http://127.0.0.1:8080/other.crl", MAX, &data, &len, &got) != 0,
	      "store: another URL has its own entry");
	free(data);
	store_free(st);
	remove_tree(dir);
}

/* Build s (signed by the CRL issuer's key unless s says otherwise) and
 * check it for cert, issued by fx.ca, with signer as the CRL issuer. */
static enum crl_error run_indirect(struct crl_spec s, X509 *cert, X509 *signer, const char *url,
                                   struct crl_verdict *v)
{
	unsigned char *der = NULL;
	size_t len = 0;
	enum crl_error e;

	if (s.issuer_cert == NULL)
		s.issuer_cert = fx.crl_issuer;
	if (s.signer == NULL)
		s.signer = fx.crl_key;
	der = crl_der(&s, &len);
	if (der == NULL) {
		printf("# could not build the test CRL\n");
		memset(v, 0, sizeof(*v));
		return CRL_ERR_COUNT;
	}
	e = crl_check_indirect(der, len, MAX, cert, fx.ca, signer, url, NOW, v);
	OPENSSL_free(der);
	return e;
}

static void expect_indirect(const char *name, const struct crl_spec *s, X509 *cert, X509 *signer,
                            const char *url, enum crl_error want, enum crl_status status)
{
	struct crl_verdict v;
	enum crl_error e = run_indirect(*s, cert, signer, url, &v);

	if (e != want || (want == CRL_OK && v.status != status))
		printf("# %s: got %s %s (%s), want %s %s\n", name, crl_error_name(e),
		       crl_status_name(v.status), v.detail, crl_error_name(want),
		       crl_status_name(status));
	CHECK(e == want && (want != CRL_OK || v.status == status), name);
}

/* RFC 5280 5.2.5, 5.3.3, 6.3.3: a CRL issuer the CA certified. */
static void test_indirect(void)
{
	struct crl_spec ours = {
	    .revoked = {0x1005}, .entry_cert_issuer = 1, .idp_indirect = 1, .idp_uri = URL};
	struct crl_spec others = ours, own = ours, no_flag = ours, no_idp = ours, forged = ours,
	                renamed = ours;
	struct crl_verdict v;
	unsigned char *der = NULL;
	size_t len = 0;

	ours.entry_issuer = fx.ca;
	others.entry_issuer = fx.other_ca;
	own.entry_cert_issuer = 0;
	no_flag.entry_issuer = fx.ca;
	no_flag.idp_indirect = 0;
	no_idp.entry_issuer = fx.ca;
	no_idp.idp_indirect = 0;
	no_idp.idp_uri = NULL;
	no_idp.entry_cert_issuer = 0;
	forged.entry_issuer = fx.ca;
	forged.signer = fx.other_key;
	renamed.entry_issuer = fx.ca;
	renamed.issuer_cert = fx.other_ca;

	CHECK(run_indirect(ours, fx.ileaf, fx.crl_issuer, URL, &v) == CRL_OK &&
	          v.status == CRL_STATUS_REVOKED &&
	          v.revocation_reason == CRL_REASON_KEY_COMPROMISE &&
	          v.revocation_time == REVOKED_AT,
	      "indirect: listed under certificateIssuer = the CA: revoked, reason and time");
	expect_indirect("indirect: the same serial under another CA's certificateIssuer: good",
	                &others, fx.ileaf, fx.crl_issuer, URL, CRL_OK, CRL_STATUS_GOOD);
	expect_indirect("indirect: the same serial as the CRL issuer's own entry: good", &own,
	                fx.ileaf, fx.crl_issuer, URL, CRL_OK, CRL_STATUS_GOOD);
	expect_indirect("indirect: the serial not listed: good",
	                &(struct crl_spec){.idp_indirect = 1, .revoked = {0x2000}}, fx.ileaf,
	                fx.crl_issuer, URL, CRL_OK, CRL_STATUS_GOOD);
	expect_indirect("indirect: IDP without indirectCRL: not-indirect", &no_flag, fx.ileaf,
	                fx.crl_issuer, URL, CRL_ERR_NOT_INDIRECT, CRL_STATUS_NONE);
	expect_indirect("indirect: no IDP at all: not-indirect", &no_idp, fx.ileaf, fx.crl_issuer,
	                URL, CRL_ERR_NOT_INDIRECT, CRL_STATUS_NONE);
	expect_indirect("indirect: CRL issuer certified by another CA: signer-not-authorized",
	                &ours, fx.ileaf, fx.crl_issuer_foreign, URL, CRL_ERR_SIGNER_NOT_AUTHORIZED,
	                CRL_STATUS_NONE);
	expect_indirect("indirect: CRL issuer without cRLSign: signer-not-authorized", &ours,
	                fx.ileaf, fx.crl_issuer_noku, URL, CRL_ERR_SIGNER_NOT_AUTHORIZED,
	                CRL_STATUS_NONE);
	expect_indirect("indirect: CRL issuer's certificate expired: signer-not-authorized", &ours,
	                fx.ileaf, fx.crl_issuer_expired, URL, CRL_ERR_SIGNER_NOT_AUTHORIZED,
	                CRL_STATUS_NONE);
	expect_indirect("indirect: signed by another key under its name: bad-signature", &forged,
	                fx.ileaf, fx.crl_issuer, URL, CRL_ERR_BAD_SIGNATURE, CRL_STATUS_NONE);
	expect_indirect("indirect: the CRL names another issuer than the CRL issuer: "
	                "issuer-mismatch",
	                &renamed, fx.ileaf, fx.crl_issuer, URL, CRL_ERR_ISSUER_MISMATCH,
	                CRL_STATUS_NONE);
	expect_indirect("indirect: the certificate's DP names no cRLIssuer: crl-issuer-not-named",
	                &ours, fx.leaf, fx.crl_issuer, URL, CRL_ERR_CRL_ISSUER_NOT_NAMED,
	                CRL_STATUS_NONE);
	expect_indirect("indirect: fetched from another URL than the DP's: crl-issuer-not-named",
	                &ours, fx.ileaf, fx.crl_issuer, "http://127.0.0.1:8080/elsewhere.crl",
	                CRL_ERR_CRL_ISSUER_NOT_NAMED, CRL_STATUS_NONE);
	ours.issuer_cert = fx.crl_issuer;
	ours.signer = fx.crl_key;
	der = crl_der(&ours, &len);
	CHECK(der != NULL && crl_check(der, len, MAX, fx.ileaf, fx.ca, URL, NOW, &v) ==
	                         CRL_ERR_INDIRECT_UNSUPPORTED,
	      "indirect: checked without its CRL issuer's certificate: indirect-unsupported");
	OPENSSL_free(der);
	der = crl_der(&(struct crl_spec){.revoked = {0x1001}}, &len);
	CHECK(der != NULL &&
	          crl_check_indirect(der, len, MAX, fx.leaf, fx.ca, fx.ca, URL, NOW, &v) ==
	              CRL_OK &&
	          v.status == CRL_STATUS_REVOKED,
	      "indirect: the issuer itself as CRL issuer is a direct CRL");
	OPENSSL_free(der);
	{
		struct crl_spec with_aia = {.aia_uri = "http://127.0.0.1:8080/crl-issuer.der"};
		char *urls[CERT_URLS_MAX_TEST] = {NULL};
		size_t n;
		der = crl_der(&with_aia, &len);
		n = der ? crl_ca_issuers_urls(der, len, MAX, urls, CERT_URLS_MAX_TEST) : 0;
		CHECK(n == 1 && strcmp(urls[0], "http://127.0.0.1:8080/crl-issuer.der") == 0,
		      "indirect: the CRL's caIssuers URL (where its CRL issuer's certificate is)");
		free(urls[0]);
		CHECK(der != NULL && crl_ca_issuers_urls(der, len, 10, urls, 1) == 0,
		      "indirect: caIssuers of a CRL over the cap: none");
		OPENSSL_free(der);
		der = crl_der(&(struct crl_spec){0}, &len);
		CHECK(der != NULL && crl_ca_issuers_urls(der, len, MAX, urls, 1) == 0 &&
		          crl_ca_issuers_urls((const unsigned char *)"junk", 4, MAX, urls, 1) == 0,
		      "indirect: no caIssuers in a CRL without AIA, or in garbage");
		OPENSSL_free(der);
	}
	CHECK(strcmp(crl_error_name(CRL_ERR_NOT_INDIRECT), "not-indirect") == 0 &&
	          strcmp(crl_error_name(CRL_ERR_CRL_ISSUER_NOT_NAMED), "crl-issuer-not-named") == 0,
	      "indirect: error names");
}

/* revocation/schedule: the daemon's check times (pure). */
static void test_schedule(void)
{
	const time_t t0 = 1700000000;
	const long h6 = 6 * 3600;

	CHECK(crl_next_check_at(t0, 0, 0, h6, 0.0, 0) == t0,
	      "schedule: first check, draw 0: at start");
	CHECK(crl_next_check_at(t0, 0, 0, h6, 0.999, 0) <= t0 + CRL_FIRST_SPREAD &&
	          crl_next_check_at(t0, 0, 0, h6, 0.999, 0) >= t0 + CRL_FIRST_SPREAD - 1,
	      "schedule: first check spread over CRL_FIRST_SPREAD at most");
	CHECK(crl_next_check_at(t0, 0, 0, 60, 0.999, 0) <= t0 + 15,
	      "schedule: first check within a quarter of a short interval");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.0, 0) == t0 + 100 + h6,
	      "schedule: after an answer, draw 0: a whole interval");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.999, 0) > t0 + 100 + h6 * 3 / 4 &&
	          crl_next_check_at(t0, t0 + 100, 1, h6, 0.999, 0) < t0 + 100 + h6,
	      "schedule: jitter in the last quarter of the interval");
	CHECK(crl_next_check_at(t0, t0 + 100, 0, h6, 0.0, 0) == t0 + 100 + CRL_RETRY_MAX,
	      "schedule: no answer: again after CRL_RETRY_MAX, not the whole interval");
	CHECK(crl_next_check_at(t0, t0 + 100, 0, 120, 0.0, 0) == t0 + 100 + 120,
	      "schedule: no answer, interval shorter than the retry: the interval");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.5, t0 + 3600) == t0 + 3600,
	      "schedule: an ARI window starting before the next check: due at its start");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.0, t0 + 50) == t0 + 100 + h6,
	      "schedule: an ARI window already past at the last check: no extra check");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.0, t0 + 100 + h6 + 10) == t0 + 100 + h6,
	      "schedule: an ARI window after the next check: the interval wins");
	CHECK(crl_next_check_at(t0, t0 + 100, 1, h6, 0.0, t0 + 101) == t0 + 101,
	      "schedule: a window moved into the past just after the check: due at once");
	CHECK(crl_next_check_at(t0, 0, 0, h6, 0.9, t0 + 1) == t0 + 1,
	      "schedule: before the first check, a window start soon after start wins");
	CHECK(crl_next_check_at(t0, t0, 1, h6, 1.5, 0) == t0 + h6,
	      "schedule: a draw out of range counts as 0");
}

int main(void)
{
	if (fixture_init() != 0) {
		CHECK(0, "fixture: build certificates");
		ERR_print_errors_fp(stderr);
		return tap_done();
	}
	test_good();
	test_revoked();
	test_pem();
	test_wrong_input();
	test_signer();
	test_times();
	test_kind();
	test_idp();
	test_names();
	test_store_cache();
	test_indirect();
	test_schedule();
	return tap_done();
}

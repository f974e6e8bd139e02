/*
 * revocation/crl: CRL validation and lookup.  See crl.h for the rules.
 *
 * The checks run in the order that makes each refusal mean one thing: first
 * what the bytes are (a CRL at all, of the right kind), then who speaks (the
 * issuer's name, its key usage, its signature), and only then what the
 * signed content says (extensions, the distribution point, the times, the
 * serial), so nothing unsigned is ever reported as the CRL's word.
 *
 * OpenSSL decodes the whole CRL once (d2i_X509_CRL over the caller's buffer);
 * X509_CRL_get0_by_serial() then sorts the entries once and finds the serial
 * by binary search, so a 64 MiB CRL with a million entries costs one decode
 * and one sort, not a scan per question.
 */

#include "revocation/crl.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/timeutil.h"

static const char *const crl_error_names[CRL_ERR_COUNT] = {
    [CRL_OK] = "ok",
    [CRL_ERR_TOO_LARGE] = "too-large",
    [CRL_ERR_MALFORMED] = "malformed",
    [CRL_ERR_WRONG_TYPE] = "wrong-type",
    [CRL_ERR_DELTA_CRL] = "delta-crl",
    [CRL_ERR_ATTRIBUTE_ONLY] = "attribute-only",
    [CRL_ERR_PARTIAL_REASONS] = "partial-reasons",
    [CRL_ERR_SCOPE_MISMATCH] = "scope-mismatch",
    [CRL_ERR_INDIRECT_UNSUPPORTED] = "indirect-unsupported",
    [CRL_ERR_ISSUER_MISMATCH] = "issuer-mismatch",
    [CRL_ERR_SIGNER_NOT_AUTHORIZED] = "signer-not-authorized",
    [CRL_ERR_BAD_SIGNATURE] = "bad-signature",
    [CRL_ERR_UNHANDLED_CRITICAL] = "unhandled-critical-extension",
    [CRL_ERR_IDP_MISMATCH] = "idp-mismatch",
    [CRL_ERR_NOT_YET_VALID] = "not-yet-valid",
    [CRL_ERR_NO_NEXT_UPDATE] = "no-next-update",
    [CRL_ERR_BAD_TIME] = "bad-time",
    [CRL_ERR_NOT_HTTP] = "not-http",
    [CRL_ERR_TRANSPORT] = "transport",
    [CRL_ERR_HTTP_STATUS] = "http-status",
    [CRL_ERR_OLDER_THAN_CACHED] = "older-than-cached",
    [CRL_ERR_NOT_INDIRECT] = "not-indirect",
    [CRL_ERR_CRL_ISSUER_NOT_NAMED] = "crl-issuer-not-named",
};

const char *crl_error_name(enum crl_error e)
{
	if ((unsigned)e >= CRL_ERR_COUNT)
		return "invalid";
	return crl_error_names[e];
}

const char *crl_status_name(enum crl_status s)
{
	switch (s) {
	case CRL_STATUS_GOOD:
		return "good";
	case CRL_STATUS_REVOKED:
		return "revoked";
	default:
		return "none";
	}
}

const char *crl_reason_name(int reason)
{
	/* RFC 5280 5.3.1; 7 is not used. */
	static const char *const names[] = {
	    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
	    "superseded",    "cessationOfOperation", "certificateHold", NULL,
	    "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
	};

	if (reason == -1)
		return "unspecified";
	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]) ||
	    names[reason] == NULL)
		return "unknown";
	return names[reason];
}

static enum crl_error reject(struct crl_verdict *v, enum crl_error e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the refusal in v and return it, so checks read "return reject(...)". */
static enum crl_error reject(struct crl_verdict *v, enum crl_error e, const char *fmt, ...)
{
	va_list ap;

	v->error = e;
	v->status = CRL_STATUS_NONE;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return e;
}

/* 1 when data, after leading white space, starts a PEM block. */
static int looks_like_pem(const unsigned char *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= sizeof(begin) - 1 && memcmp(data + i, begin, sizeof(begin) - 1) == 0;
}

/* Decode data as a CRL into *out, or refuse with the reason in v. */
static enum crl_error crl_decode(const unsigned char *data, size_t len, X509_CRL **out,
                                 struct crl_verdict *v)
{
	const unsigned char *p = data;
	X509 *x = NULL;

	*out = NULL;
	if (len > (size_t)LONG_MAX)
		return reject(v, CRL_ERR_TOO_LARGE, "%zu bytes", len);
	if (looks_like_pem(data, len)) {
		BIO *bio = BIO_new_mem_buf(data, (int)(len > INT_MAX ? INT_MAX : len));
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long der_len = 0;
		enum crl_error e = CRL_OK;

		if (bio == NULL || len > INT_MAX ||
		    PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
			e = reject(v, CRL_ERR_MALFORMED, "PEM that does not decode");
		} else if (strcmp(name, PEM_STRING_X509_CRL) != 0) {
			e = reject(v, CRL_ERR_WRONG_TYPE, "a PEM \"%.40s\" block, not an X509 CRL",
			           name);
		} else {
			p = der;
			*out = d2i_X509_CRL(NULL, &p, der_len);
			if (*out == NULL || p != der + der_len) {
				X509_CRL_free(*out);
				*out = NULL;
				e = reject(v, CRL_ERR_MALFORMED,
				           "PEM X509 CRL whose DER does not decode");
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		BIO_free(bio);
		ERR_clear_error();
		return e;
	}
	*out = d2i_X509_CRL(NULL, &p, (long)len);
	if (*out != NULL && p == data + len)
		return CRL_OK;
	X509_CRL_free(*out);
	*out = NULL;
	p = data;
	x = d2i_X509(NULL, &p, (long)len);
	ERR_clear_error();
	if (x != NULL) {
		X509_free(x);
		return reject(v, CRL_ERR_WRONG_TYPE, "a certificate, not a CRL");
	}
	return reject(v, CRL_ERR_MALFORMED, "not a DER or PEM CRL");
}

/* The one-line form of a name, for details. */
static const char *name_text(const X509_NAME *n, char *dst, size_t len)
{
	if (n == NULL || X509_NAME_oneline(n, dst, (int)len) == NULL)
		snprintf(dst, len, "(none)");
	return dst;
}

/* Critical CRL extensions this module processes (or that carry nothing that
 * changes the answer); any other critical one makes the CRL unusable
 * (RFC 5280 5.2). */
static int crl_extension_handled(int nid)
{
	return nid == NID_issuing_distribution_point || nid == NID_authority_key_identifier ||
	       nid == NID_crl_number || nid == NID_issuer_alt_name;
}

/* Refuse a CRL with a critical extension we do not process, on the CRL or
 * on any entry (RFC 5280 5.3: such a CRL must not be used for any
 * certificate). */
static enum crl_error crl_check_critical(X509_CRL *crl, int indirect, struct crl_verdict *v)
{
	const STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
	int i, j;

	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (X509_EXTENSION_get_critical(ext) && !crl_extension_handled(nid))
			return reject(v, CRL_ERR_UNHANDLED_CRITICAL, "critical CRL extension %s",
			              nid ? OBJ_nid2sn(nid) : "(unknown)");
	}
	for (i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
		const STACK_OF(X509_EXTENSION) *exts = X509_REVOKED_get0_extensions(r);
		for (j = 0; j < sk_X509_EXTENSION_num(exts); j++) {
			X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, j);
			int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
			if (!X509_EXTENSION_get_critical(ext) || nid == NID_crl_reason ||
			    nid == NID_invalidity_date)
				continue;
			if (nid == NID_certificate_issuer && indirect)
				continue; /* X509_CRL_get0_by_cert() follows it */
			if (nid == NID_certificate_issuer)
				return reject(v, CRL_ERR_INDIRECT_UNSUPPORTED,
				              "an entry names another certificate issuer "
				              "(indirect CRL)");
			return reject(v, CRL_ERR_UNHANDLED_CRITICAL,
			              "critical CRL entry extension %s",
			              nid ? OBJ_nid2sn(nid) : "(unknown)");
		}
	}
	return CRL_OK;
}

/* 1 when the URI s (ASN.1 IA5String) is exactly url. */
static int uri_is(const ASN1_IA5STRING *s, const char *url)
{
	size_t n = strlen(url);

	return (size_t)ASN1_STRING_length(s) == n && memcmp(ASN1_STRING_get0_data(s), url, n) == 0;
}

/* The Issuing Distribution Point rules of crl.h. */
static enum crl_error crl_check_idp(X509_CRL *crl, X509 *cert, const char *url, int indirect,
                                    struct crl_verdict *v)
{
	ISSUING_DIST_POINT *idp = NULL;
	enum crl_error e = CRL_OK;
	int crit = -1, i, is_ca;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (idp == NULL) {
		ERR_clear_error();
		if (crit == -1 && indirect)
			return reject(
			    v, CRL_ERR_NOT_INDIRECT,
			    "signed by a CRL issuer, but no issuingDistributionPoint says "
			    "indirectCRL");
		if (crit == -1)
			return CRL_OK; /* not sharded, complete */
		return reject(v, CRL_ERR_MALFORMED, "%s",
		              crit == -2 ? "more than one issuingDistributionPoint"
		                         : "issuingDistributionPoint does not decode");
	}
	is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
	if (idp->onlyattr > 0) {
		e = reject(v, CRL_ERR_ATTRIBUTE_ONLY,
		           "onlyContainsAttributeCerts: a CRL for attribute certificates");
	} else if (idp->indirectCRL > 0 && !indirect) {
		e = reject(v, CRL_ERR_INDIRECT_UNSUPPORTED,
		           "indirectCRL, checked without a CRL issuer's certificate");
	} else if (idp->indirectCRL <= 0 && indirect) {
		e = reject(v, CRL_ERR_NOT_INDIRECT,
		           "signed by a CRL issuer, but its issuingDistributionPoint does not say "
		           "indirectCRL");
	} else if (idp->onlysomereasons != NULL) {
		e = reject(v, CRL_ERR_PARTIAL_REASONS,
		           "onlySomeReasons: the CRL covers some revocation reasons only");
	} else if (idp->onlyCA > 0 && !is_ca) {
		e = reject(v, CRL_ERR_SCOPE_MISMATCH,
		           "onlyContainsCACerts, and the certificate is not a CA");
	} else if (idp->onlyuser > 0 && is_ca) {
		e = reject(v, CRL_ERR_SCOPE_MISMATCH,
		           "onlyContainsUserCerts, and the certificate is a CA");
	} else if (idp->distpoint != NULL) {
		const ASN1_IA5STRING *first = NULL;
		int found = 0;
		if (idp->distpoint->type != 0) {
			e = reject(v, CRL_ERR_IDP_MISMATCH,
			           "distribution point named relative to the CRL issuer");
			goto out;
		}
		for (i = 0; i < sk_GENERAL_NAME_num(idp->distpoint->name.fullname) && !found; i++) {
			const GENERAL_NAME *gn =
			    sk_GENERAL_NAME_value(idp->distpoint->name.fullname, i);
			if (gn->type != GEN_URI)
				continue;
			if (first == NULL)
				first = gn->d.uniformResourceIdentifier;
			found = url != NULL && uri_is(gn->d.uniformResourceIdentifier, url);
		}
		if (!found)
			e = reject(
			    v, CRL_ERR_IDP_MISMATCH,
			    "the CRL is for distribution point %.*s, not %.80s",
			    first
			        ? (ASN1_STRING_length(first) > 80 ? 80 : ASN1_STRING_length(first))
			        : 6,
			    first ? (const char *)ASN1_STRING_get0_data(first) : "(none)",
			    url ? url : "(no URL)");
	}
out:
	ISSUING_DIST_POINT_free(idp);
	return e;
}

/* Look cert's serial up in the accepted CRL and fill the answer. */
static void crl_lookup(X509_CRL *crl, X509 *cert, struct crl_verdict *v)
{
	X509_REVOKED *r = NULL;
	ASN1_ENUMERATED *reason = NULL;
	/* By serial and issuer: in an indirect CRL an entry is another
	 * issuer's after a certificateIssuer names it (RFC 5280 5.3.3). */
	int found = X509_CRL_get0_by_cert(crl, &r, cert);

	/* 2: listed with removeFromCRL, which only a delta CRL may say (and
	 * delta CRLs are refused): not revoked. */
	if (found != 1 || r == NULL) {
		v->status = CRL_STATUS_GOOD;
		return;
	}
	v->status = CRL_STATUS_REVOKED;
	if (time_from_asn1(X509_REVOKED_get0_revocationDate(r), &v->revocation_time) != 0)
		v->revocation_time = 0;
	reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
	v->revocation_reason = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
	ERR_clear_error();
}

/* 1 when one of cert's CRL distribution points names crl_issuer as its
 * cRLIssuer (RFC 5280 4.2.1.13) and, when it has a distributionPoint and url
 * is given, lists url among its fullName URIs. */
static int dp_names_crl_issuer(X509 *cert, const X509_NAME *crl_issuer, const char *url)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	int found = 0, i, j;

	for (i = 0; i < sk_DIST_POINT_num(dps) && !found; i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		int issuer_ok = 0, url_ok = dp->distpoint == NULL || url == NULL;
		for (j = 0; j < sk_GENERAL_NAME_num(dp->CRLissuer); j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->CRLissuer, j);
			if (gn->type == GEN_DIRNAME &&
			    X509_NAME_cmp(gn->d.directoryName, crl_issuer) == 0)
				issuer_ok = 1;
		}
		if (!url_ok && dp->distpoint->type == 0)
			for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
				const GENERAL_NAME *gn =
				    sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
				if (gn->type == GEN_URI &&
				    uri_is(gn->d.uniformResourceIdentifier, url))
					url_ok = 1;
			}
		found = issuer_ok && url_ok;
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return found;
}

/* Who signed the CRL: the issuer (signer NULL), or an indirect CRL issuer
 * the issuer certified and cert's distribution point names.  Returns the
 * key to verify the CRL with (borrowed), or NULL after reject(). */
static EVP_PKEY *crl_signer_key(X509_CRL *crl, X509 *cert, X509 *issuer, X509 *signer,
                                const char *url, time_t now, struct crl_verdict *v)
{
	EVP_PKEY *ikey = X509_get0_pubkey(issuer);
	X509 *who = signer != NULL ? signer : issuer;
	char a[256], b[256];
	time_t until = 0;

	if (signer == NULL) {
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0) {
			reject(v, CRL_ERR_INDIRECT_UNSUPPORTED,
			       "CRL issuer %s is not the certificate's issuer (an indirect CRL, "
			       "checked without its CRL issuer's certificate)",
			       name_text(X509_CRL_get_issuer(crl), a, sizeof(a)));
			return NULL;
		}
	} else {
		if (X509_NAME_cmp(X509_get_issuer_name(signer), X509_get_subject_name(issuer)) !=
		        0 ||
		    ikey == NULL || X509_verify(signer, ikey) != 1) {
			reject(v, CRL_ERR_SIGNER_NOT_AUTHORIZED,
			       "the CRL issuer %s was not certified by the certificate's issuer",
			       name_text(X509_get_subject_name(signer), a, sizeof(a)));
			return NULL;
		}
		if (time_from_asn1(X509_get0_notAfter(signer), &until) != 0 || until < now) {
			reject(v, CRL_ERR_SIGNER_NOT_AUTHORIZED,
			       "the CRL issuer's certificate has expired");
			return NULL;
		}
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(signer)) != 0) {
			reject(v, CRL_ERR_ISSUER_MISMATCH, "the CRL's issuer is %s, not %s",
			       name_text(X509_CRL_get_issuer(crl), a, sizeof(a)),
			       name_text(X509_get_subject_name(signer), b, sizeof(b)));
			return NULL;
		}
		if (!dp_names_crl_issuer(cert, X509_CRL_get_issuer(crl), url)) {
			reject(v, CRL_ERR_CRL_ISSUER_NOT_NAMED,
			       "no CRL distribution point of the certificate names %s as its "
			       "cRLIssuer%s",
			       name_text(X509_CRL_get_issuer(crl), a, sizeof(a)),
			       url != NULL ? " at this URL" : "");
			return NULL;
		}
	}
	if ((X509_get_extension_flags(who) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(who) & KU_CRL_SIGN)) {
		reject(v, CRL_ERR_SIGNER_NOT_AUTHORIZED,
		       "the %s's key usage does not include cRLSign",
		       signer != NULL ? "CRL issuer" : "issuer");
		return NULL;
	}
	return X509_get0_pubkey(who);
}

size_t crl_ca_issuers_urls(const unsigned char *data, size_t len, size_t max, char **urls,
                           size_t count)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	struct crl_verdict v;
	X509_CRL *crl = NULL;
	size_t n = 0;
	int i;

	memset(&v, 0, sizeof(v));
	if (data == NULL || len > max || crl_decode(data, len, &crl, &v) != CRL_OK)
		return 0;
	aia = X509_CRL_get_ext_d2i(crl, NID_info_access, NULL, NULL);
	for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia) && n < count; i++) {
		const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		const ASN1_IA5STRING *u;
		if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers || ad->location->type != GEN_URI)
			continue;
		u = ad->location->d.uniformResourceIdentifier;
		if ((urls[n] = strndup((const char *)ASN1_STRING_get0_data(u),
		                       (size_t)ASN1_STRING_length(u))) != NULL)
			n++;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	X509_CRL_free(crl);
	ERR_clear_error();
	return n;
}

enum crl_error crl_check(const unsigned char *data, size_t len, size_t max, X509 *cert,
                         X509 *issuer, const char *url, time_t now, struct crl_verdict *v)
{
	return crl_check_indirect(data, len, max, cert, issuer, NULL, url, now, v);
}

enum crl_error crl_check_indirect(const unsigned char *data, size_t len, size_t max, X509 *cert,
                                  X509 *issuer, X509 *crl_signer, const char *url, time_t now,
                                  struct crl_verdict *v)
{
	X509_CRL *crl = NULL;
	EVP_PKEY *key = NULL;
	char a[256], b[256];
	enum crl_error e;
	int indirect;

	memset(v, 0, sizeof(*v));
	v->revocation_reason = -1;
	if (data == NULL || cert == NULL || issuer == NULL)
		return reject(v, CRL_ERR_MALFORMED, "nothing to check");
	if (len > max)
		return reject(v, CRL_ERR_TOO_LARGE, "%zu bytes, over the cap of %zu", len, max);
	e = crl_decode(data, len, &crl, v);
	if (e != CRL_OK)
		return e;
	/* The issuer itself given as the CRL issuer: a direct CRL. */
	if (crl_signer != NULL && X509_cmp(crl_signer, issuer) == 0)
		crl_signer = NULL;
	indirect = crl_signer != NULL;

	/* Who speaks. */
	if (X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(cert)) != 0) {
		e = reject(v, CRL_ERR_ISSUER_MISMATCH, "the certificate's issuer is %s, not %s",
		           name_text(X509_get_issuer_name(cert), a, sizeof(a)),
		           name_text(X509_get_subject_name(issuer), b, sizeof(b)));
		goto out;
	}
	key = X509_get0_pubkey(issuer);
	if (key == NULL || X509_verify(cert, key) != 1) {
		e = reject(v, CRL_ERR_ISSUER_MISMATCH,
		           "the issuer's key does not verify the certificate's signature");
		goto out;
	}
	key = crl_signer_key(crl, cert, issuer, crl_signer, url, now, v);
	if (key == NULL) {
		e = v->error;
		goto out;
	}
	if (X509_CRL_verify(crl, key) != 1) {
		e = reject(v, CRL_ERR_BAD_SIGNATURE, "the %s's key does not verify the CRL",
		           indirect ? "CRL issuer" : "issuer");
		goto out;
	}

	/* What it says. */
	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
		e = reject(v, CRL_ERR_DELTA_CRL, "a delta CRL, not a complete one");
		goto out;
	}
	if ((e = crl_check_critical(crl, indirect, v)) != CRL_OK ||
	    (e = crl_check_idp(crl, cert, url, indirect, v)) != CRL_OK)
		goto out;
	if (time_from_asn1(X509_CRL_get0_lastUpdate(crl), &v->this_update) != 0) {
		e = reject(v, CRL_ERR_BAD_TIME, "thisUpdate does not decode");
		goto out;
	}
	if (X509_CRL_get0_nextUpdate(crl) == NULL) {
		e = reject(v, CRL_ERR_NO_NEXT_UPDATE, "no nextUpdate");
		goto out;
	}
	if (time_from_asn1(X509_CRL_get0_nextUpdate(crl), &v->next_update) != 0) {
		e = reject(v, CRL_ERR_BAD_TIME, "nextUpdate does not decode");
		goto out;
	}
	if (v->this_update > now + CRL_CLOCK_SKEW) {
		e = reject(v, CRL_ERR_NOT_YET_VALID, "thisUpdate %s is in the future",
		           time_format(a, sizeof(a), v->this_update));
		goto out;
	}
	v->stale = v->next_update < now;
	v->entries = (size_t)sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	crl_lookup(crl, cert, v);
	e = CRL_OK;
out:
	X509_CRL_free(crl);
	ERR_clear_error();
	return e;
}



#include "acme/ari.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "acme/jws.h"

int ari_cert_id(X509 *cert, char *dst, size_t dstlen)
{
	const ASN1_OCTET_STRING *keyid = X509_get0_authority_key_id(cert);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
	unsigned char *der = NULL, *p;
	char *a = NULL, *b = NULL;
	long content_len;
	int der_len, tag, cls, rc = -1;
	const unsigned char *q;

	if (keyid == NULL || serial == NULL)
		return -1;
	der_len = i2d_ASN1_INTEGER(serial, &der);
	if (der_len <= 0)
		goto out;
	/* Skip the INTEGER's tag and length: RFC 9773 wants the contents only,
	 * including a leading zero byte when DER has one. */
	q = der;
	if (ASN1_get_object(&q, &content_len, &tag, &cls, der_len) & 0x80)
		goto out;
	p = (unsigned char *)q;
	a = b64url_new(ASN1_STRING_get0_data(keyid), (size_t)ASN1_STRING_length(keyid));
	b = b64url_new(p, (size_t)content_len);
	if (a == NULL || b == NULL || strlen(a) + 1 + strlen(b) + 1 > dstlen)
		goto out;
	memcpy(dst, a, strlen(a));
	dst[strlen(a)] = '.';
	memcpy(dst + strlen(a) + 1, b, strlen(b) + 1);
	rc = 0;
out:
	free(a);
	free(b);
	OPENSSL_free(der);
	return rc;
}

long renew_margin(time_t not_before, time_t not_after, long margin)
{
	time_t half;

	if (not_after <= not_before || margin <= 0)
		return 0;
	half = (not_after - not_before) / 2;
	return (time_t)margin < half ? margin : (long)half;
}

time_t renew_deadline(time_t not_before, time_t not_after, long margin)
{
	return not_after - renew_margin(not_before, not_after, margin);
}

time_t renew_at_lifetime(time_t not_before, time_t not_after, long margin)
{
	time_t third, deadline;

	if (not_after <= not_before)
		return not_before;
	third = not_after - (not_after - not_before) / 3;
	deadline = renew_deadline(not_before, not_after, margin);
	return third < deadline ? third : deadline;
}

double renew_lifetime_left(time_t not_before, time_t not_after, time_t now)
{
	if (not_after <= not_before || now >= not_after)
		return 0.0;
	if (now <= not_before)
		return 1.0;
	return (double)(not_after - now) / (double)(not_after - not_before);
}

time_t renew_at_window(time_t start, time_t end, double r)
{
	if (end <= start)
		return start;
	if (!(r >= 0.0))
		r = 0.0;
	if (r >= 1.0)
		r = 0.999999;
	return start + (time_t)(r * (double)(end - start));
}

#include "cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "store.h"

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

size_t cert_ocsp_urls(X509 *cert, char **urls, size_t count, size_t max)
{
	STACK_OF(OPENSSL_STRING) *aia = X509_get1_ocsp(cert);
	int i;

	for (i = 0; aia != NULL && i < sk_OPENSSL_STRING_num(aia) && count < max; i++) {
		const char *u = sk_OPENSSL_STRING_value(aia, i);
		size_t j;
		int dup = 0;

		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			continue;
		for (j = 0; j < count; j++)
			dup |= strcmp(urls[j], u) == 0;
		if (dup)
			continue;
		urls[count] = strdup(u);
		if (urls[count] != NULL)
			count++;
	}
	X509_email_free(aia);
	return count;
}

const char *cert_serial_hex(X509 *cert, char *dst, size_t dstlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (dstlen > 0)
		dst[0] = '\0';
	if (hex != NULL)
		snprintf(dst, dstlen, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return dst;
}

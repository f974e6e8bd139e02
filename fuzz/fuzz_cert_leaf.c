/*
 * libFuzzer target for cert_leaf_new() and cert_pem_leaf_issuer_der(), which
 * the daemon runs on every fullchain.pem of the store at start.  The input
 * is tried as DER of a leaf (every accessor is then called, and the
 * signature checked with the fixture CA, so mutations of a real leaf reach
 * the verification) and as PEM text of a chain.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "x509/cert.h"
#include "fixtures.h"

static void try_der(const uint8_t *data, size_t size, X509 *issuer)
{
	struct cert_leaf *leaf = cert_leaf_new(data, size);
	char *urls[CERT_URLS_MAX], why[200], hex[128];
	time_t nb, na;
	size_t n, i;

	if (leaf == NULL)
		return;
	n = cert_leaf_ocsp_urls(leaf, urls, 0, CERT_URLS_MAX);
	if (n > CERT_URLS_MAX)
		__builtin_trap();
	for (i = 0; i < n; i++)
		free(urls[i]);
	(void)cert_leaf_validity(leaf, &nb, &na);
	cert_leaf_serial_hex(leaf, hex, sizeof(hex));
	if (memchr(hex, '\0', sizeof(hex)) == NULL)
		__builtin_trap();
	why[0] = '\0';
	if (cert_leaf_verify(leaf, issuer, why, sizeof(why)) == 0 &&
	    memchr(why, '\0', sizeof(why)) == NULL)
		__builtin_trap();
	cert_leaf_free(leaf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *issuer;
	unsigned char *leaf = NULL, *second = NULL;
	size_t leaf_len = 0, second_len = 0;

	if (issuer == NULL) {
		issuer = fixture_load(fixture_ca_pem);
		if (issuer == NULL)
			__builtin_trap();
	}
	try_der(data, size, issuer);
	if (cert_pem_leaf_issuer_der((const char *)data, size, &leaf, &leaf_len, &second,
	                             &second_len) == 0) {
		if (leaf == NULL || leaf_len == 0 || (second == NULL) != (second_len == 0))
			__builtin_trap();
		try_der(leaf, leaf_len, issuer);
	}
	free(leaf);
	free(second);
	return 0;
}

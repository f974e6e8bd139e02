/*
 * libFuzzer target for store_bundle_decode(): bundle.bin is the daemon's fast
 * start path, read instead of fullchain.pem and meta.json, so a damaged one
 * must be refused whole (the store then falls back to the PEM files), never
 * half-read.  A bundle that decodes has DER pointers inside the input, and
 * encoding it again gives back the input exactly.
 *
 * The first byte chooses: odd, the input is decoded as it is; even, its
 * trailing checksum is recomputed first, so the fuzzer gets past the
 * checksum to the length checks and the DER.  The leaf and issuer are then
 * decoded as the store does (d2i_X509).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "store/bundle.h"
#include "util/hash.h"

#define CHECKSUM_LEN 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = NULL, *again = NULL;
	struct store_bundle b;
	size_t len, again_len = 0, i;

	if (size < 1)
		return 0;
	len = size - 1;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	if ((data[0] & 1) == 0 && len >= CHECKSUM_LEN) {
		uint64_t h = hash_fnv1a64(copy, len - CHECKSUM_LEN);
		for (i = 0; i < CHECKSUM_LEN; i++)
			copy[len - CHECKSUM_LEN + i] = (unsigned char)(h >> (8 * i));
	}
	if (store_bundle_decode(copy, len, &b) != 0)
		goto out;
	if (b.leaf == NULL || b.leaf_len == 0 || b.leaf < copy ||
	    b.leaf + b.leaf_len > copy + len ||
	    (b.issuer != NULL && (b.issuer < copy || b.issuer + b.issuer_len > copy + len)) ||
	    (b.issuer == NULL) != (b.issuer_len == 0))
		__builtin_trap(); /* a pointer outside the bundle */
	if (store_bundle_encode(&b, &again, &again_len) != 0 || again_len != len ||
	    memcmp(again, copy, len) != 0)
		__builtin_trap(); /* decode and encode disagree */
	{
		const unsigned char *p = b.leaf;
		X509 *x = d2i_X509(NULL, &p, (long)b.leaf_len);
		X509_free(x);
		if (b.issuer != NULL) {
			p = b.issuer;
			x = d2i_X509(NULL, &p, (long)b.issuer_len);
			X509_free(x);
		}
	}
out:
	free(again);
	free(copy);
	return 0;
}

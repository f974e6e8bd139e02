/*
 * libFuzzer target for ocspd_answer(): every byte a client of ocsp_listen
 * sends (the POST body, or the decoded GET path) goes through it.  The table
 * holds the fixture leaf (fixtures.h) with a staple, so mutations of real
 * requests (seeds: openssl ocsp -reqout for that leaf, SHA-1 and SHA-256
 * CertIDs, with and without a nonce, and for another serial) reach the
 * lookup.  Whatever the input, the answer is one of the four kinds and its
 * bytes are exactly what that kind promises.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "fixtures.h"
#include "ocsp/responder.h"

#define FUZZ_NOW ((time_t)1795910400)

static const unsigned char staple[] = "not checked here: served as stored";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ocspd *o;
	unsigned char *out = NULL;
	size_t len = 0;
	char name[64];
	enum ocspd_answer a;

	if (o == NULL) {
		X509 *ca = fixture_load(fixture_ca_pem), *leaf = fixture_load(fixture_leaf_pem);
		o = ocspd_new();
		if (ca == NULL || leaf == NULL || o == NULL ||
		    ocspd_publish(o, "leaf", X509_get_issuer_name(leaf),
		                  X509_get0_serialNumber(leaf), ca, staple, sizeof(staple),
		                  FUZZ_NOW + 60) != 0)
			__builtin_trap();
		X509_free(ca);
		X509_free(leaf);
	}
	a = ocspd_answer(o, data, size, FUZZ_NOW, &out, &len, name, sizeof(name));
	if (out == NULL)
		__builtin_trap();
	switch (a) {
	case OCSPD_STAPLE:
		if (len != sizeof(staple) || memcmp(out, staple, len) != 0 ||
		    strcmp(name, "leaf") != 0)
			__builtin_trap();
		break;
	case OCSPD_TRY_LATER:
		__builtin_trap(); /* the staple is valid at FUZZ_NOW */
		break;
	case OCSPD_UNAUTHORIZED:
	case OCSPD_MALFORMED:
		if (len != 5 || out[0] != 0x30 || name[0] != '\0')
			__builtin_trap();
		break;
	}
	free(out);
	return 0;
}

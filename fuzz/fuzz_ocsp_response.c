/*
 * libFuzzer target for ocsp_response_check(), the entry point every byte from
 * an OCSP responder (and every stored staple) goes through.  The fixed
 * certificates are the ones the seed corpus was signed for, so mutations of
 * real responses reach the signature, CertID and time checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "fixtures.h"
#include "ocsp/check.h"

/* 2026-11-29T00:00:00Z: inside the seeds' validity, so good ones pass. */
#define FUZZ_NOW ((time_t)1795910400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *issuer, *leaf;
	struct ocsp_verdict v;

	if (issuer == NULL) {
		issuer = fixture_load(fixture_ca_pem);
		leaf = fixture_load(fixture_leaf_pem);
		if (issuer == NULL || leaf == NULL)
			__builtin_trap();
	}
	ocsp_response_check(data, size, leaf, issuer, FUZZ_NOW, &v);
	/* The verdict must be self-consistent whatever the input. */
	if (v.error == STAPLE_OK && (v.status == STAPLE_STATUS_NONE || v.next_update <= FUZZ_NOW))
		__builtin_trap();
	if (v.error != STAPLE_OK && v.status != STAPLE_STATUS_NONE)
		__builtin_trap();
	if (memchr(v.detail, '\0', sizeof(v.detail)) == NULL)
		__builtin_trap();
	return 0;
}

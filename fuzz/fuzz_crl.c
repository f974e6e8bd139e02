/*
 * libFuzzer target for crl_check(), the entry point every byte of a fetched
 * or cached CRL goes through (revocation/crl.h).  The fixed CA and leaf below
 * are the ones the seed corpus (fuzz/corpus/crl: good, revoked, sharded,
 * stale CRLs as DER and PEM, and a certificate) was made for with `openssl
 * ca -gencrl`, so mutations of real CRLs reach the signature, extension,
 * Issuing Distribution Point, time and lookup checks.  The CA's key was
 * thrown away after signing the seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "revocation/crl.h"

/* A day after the seeds were made, long before their nextUpdate (2126). */
#define FUZZ_NOW ((time_t)1796494080)
#define FUZZ_URL "http://127.0.0.1:8080/fuzz.crl"
#define FUZZ_MAX (1024 * 1024)

static const char crl_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpjCCAUugAwIBAgIUQ91uNLOHvCr/yN18xpZVfAZTgsEwCgYIKoZIzj0EAwIw\n"
    "HzEdMBsGA1UEAwwUaG9sZGZhc3QgZnV6eiBDUkwgQ0EwIBcNMjYxMjA0MTgwODAw\n"
    "WhgPMjEyNjExMTAxODA4MDBaMB8xHTAbBgNVBAMMFGhvbGRmYXN0IGZ1enogQ1JM\n"
    "IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaSTXNLergaeAKwt5nWuZuCv0\n"
    "IB6o/q8ky6MtHP47Zumja8GH8EHQ9b9x5IlbS4I6/rJMqSrtAfV99Inl9Z2OwKNj\n"
    "MGEwHQYDVR0OBBYEFF78t1nZJDifj4/z3Qu7E3KOLu7sMB8GA1UdIwQYMBaAFF78\n"
    "t1nZJDifj4/z3Qu7E3KOLu7sMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD\n"
    "AgEGMAoGCCqGSM49BAMCA0kAMEYCIQD4+IAapwhnI5JDiMFVUfeIQoIh6++gSKfS\n"
    "O2nexnvvCgIhAJsyLkaDSdFgbGpE5egoCxVKza22SY3VhgZdYrjdygar\n"
    "-----END CERTIFICATE-----\n";
static const char crl_leaf_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBtDCCAVmgAwIBAgICEAEwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUaG9sZGZh\n"
    "c3QgZnV6eiBDUkwgQ0EwIBcNMjYxMjA0MTgwODAwWhgPMjEyNjExMTAxODA4MDBa\n"
    "MA8xDTALBgNVBAMMBGxlYWYwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQuMesX\n"
    "EtecUHPQM80hTUaV3A7qRYvdk50wN6gvgt47RDLl/99YH4L6B2jdbUltua1FF5q1\n"
    "WbMbZbOv0Lxmf925o4GSMIGPMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeA\n"
    "MC8GA1UdHwQoMCYwJKAioCCGHmh0dHA6Ly8xMjcuMC4wLjE6ODA4MC9mdXp6LmNy\n"
    "bDAdBgNVHQ4EFgQU3ri6VIuDgFlKNfv99Po23Bx+XUowHwYDVR0jBBgwFoAUXvy3\n"
    "WdkkOJ+Pj/PdC7sTco4u7uwwCgYIKoZIzj0EAwIDSQAwRgIhAOKgzq8NWzPWdufi\n"
    "kX4G4ZIwN+Ek7lBwJL4WqBerWqGRAiEA4FZZUYDAHJJ+x42EnnVvW/pa1EkHrhIL\n"
    "3ZuQnFAxsos=\n"
    "-----END CERTIFICATE-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *issuer, *leaf;
	struct crl_verdict v;
	enum crl_error e;

	if (issuer == NULL) {
		issuer = fixture_load(crl_ca_pem);
		leaf = fixture_load(crl_leaf_pem);
		if (issuer == NULL || leaf == NULL)
			__builtin_trap();
	}
	e = crl_check(data, size, FUZZ_MAX, leaf, issuer, FUZZ_URL, FUZZ_NOW, &v);
	/* The verdict must be self-consistent whatever the input. */
	if (e != v.error)
		__builtin_trap();
	if (e == CRL_OK &&
	    (v.status == CRL_STATUS_NONE || v.this_update > FUZZ_NOW + CRL_CLOCK_SKEW))
		__builtin_trap();
	if (e != CRL_OK && v.status != CRL_STATUS_NONE)
		__builtin_trap();
	if (v.status != CRL_STATUS_REVOKED && v.revocation_reason != -1)
		__builtin_trap();
	if (memchr(v.detail, '\0', sizeof(v.detail)) == NULL)
		__builtin_trap();
	return 0;
}

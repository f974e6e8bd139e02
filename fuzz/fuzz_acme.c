/*
 * libFuzzer target for what holdfast parses from an ACME server and from its
 * own state files: error documents (RFC 7807), renewalInfo answers
 * (RFC 9773), downloaded PEM certificate chains, and the endpoint state file.
 * The first input byte chooses the parser; the rest is the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "acme/protocol.h"
#include "acme/breaker.h"
#include "x509/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char detail[256], expl[256], err[128];
	time_t start = 0, end = 0;
	struct breaker b[2];
	STACK_OF(X509) * chain;
	enum acme_error e;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		e = acme_problem_classify(400 + (long)(data[0] % 200), data + 1, size - 1, detail,
		                          sizeof(detail));
		if ((unsigned)e >= ACME_ERR_COUNT || memchr(detail, '\0', sizeof(detail)) == NULL)
			__builtin_trap();
		/* A sanitised reason never carries a line break into the logs. */
		if (strchr(detail, '\n') != NULL)
			__builtin_trap();
		break;
	case 1:
		if (acme_renewal_info_parse(data + 1, size - 1, &start, &end, expl, sizeof(expl)) ==
		        0 &&
		    end < start)
			__builtin_trap();
		break;
	case 2:
		chain = cert_chain_from_pem(data + 1, size - 1, err, sizeof(err));
		if (chain != NULL && sk_X509_num(chain) < 1)
			__builtin_trap();
		sk_X509_pop_free(chain, X509_free);
		break;
	default:
		memset(b, 0, sizeof(b));
		memcpy(b[0].name, "primary", sizeof("primary"));
		if (breaker_load_buffer(data + 1, size - 1, b, 1) == 0 &&
		    (b[0].failures < 0 || b[0].failures > 64))
			__builtin_trap();
		break;
	}
	return 0;
}

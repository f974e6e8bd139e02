/*
 * libFuzzer target for the RDAP parsers: rdap_domain_parse() reads what any
 * RDAP server (or whoever answers in its place) sends, and
 * rdap_bootstrap_parse() reads IANA's dns.json or a cached copy.  Both must
 * either succeed with bounded, clean fields or refuse with a reason; never
 * crash, hang or leak.  Seeds: tests/fixtures/rdap/ rendered as the lab
 * serves them (fuzz/corpus/rdap/).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "audit/rdap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdap_domain d;
	struct rdap_bootstrap *bs;
	char err[256] = "", url[RDAP_URL_MAX];
	size_t i;

	if (rdap_domain_parse((const char *)data, size, &d, err, sizeof(err)) == 0) {
		/* Whatever was accepted is terminated, bounded and printable. */
		if (strlen(d.ldh_name) == 0 || strlen(d.ldh_name) >= sizeof(d.ldh_name) ||
		    d.ns_count > RDAP_NS_MAX || strlen(d.registrar) >= sizeof(d.registrar))
			__builtin_trap();
		for (i = 0; d.registrar[i] != '\0'; i++) {
			if ((unsigned char)d.registrar[i] < 0x20)
				__builtin_trap();
		}
		/* A referral is an http(s) URL; the scheme's case is free. */
		if (rdap_domain_incomplete(&d) && d.registrar_url[0] != '\0' &&
		    strncasecmp(d.registrar_url, "http", 4) != 0)
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap(); /* every refusal says why */
	}
	bs = rdap_bootstrap_parse((const char *)data, size, err, sizeof(err));
	if (bs != NULL) {
		(void)rdap_bootstrap_lookup(bs, "www.example.test", url, sizeof(url));
		(void)rdap_bootstrap_lookup(bs, "a.b.c.d.e.f", url, sizeof(url));
		rdap_bootstrap_free(bs);
	}
	return 0;
}

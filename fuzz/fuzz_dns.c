/*
 * libFuzzer target for dns_reply_parse(): every DNS answer the audit reads
 * comes from a server it does not control (a parent zone's server, a
 * domain's own name servers, a resolver).  The parser must accept or refuse
 * within bounds -- compression loops, pointers past the end, oversized names
 * -- and what it accepts must be terminated and capped (CAA tags and values
 * included, with no control byte left in them).  Seeds: real answers
 * from the lab's knot and unbound (fuzz/corpus/dns/).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = {DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_NS, DNS_TYPE_CAA};
	struct dns_reply r;
	size_t t, i;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (dns_reply_parse(data, size, "example.test", types[t], &r) != 0) {
			if (r.outcome != DNS_MALFORMED)
				__builtin_trap();
			continue;
		}
		if (r.addr_count > DNS_REPLY_ADDRS_MAX || r.ns_count > DNS_REPLY_NS_MAX ||
		    r.glue_count > DNS_REPLY_GLUE_MAX || r.outcome >= DNS_OUTCOME_COUNT)
			__builtin_trap();
		if (r.caa_count > DNS_REPLY_CAA_MAX || strlen(r.cname) >= DNS_NAME_MAX)
			__builtin_trap();
		for (i = 0; i < r.caa_count; i++) {
			if (strlen(r.caa[i].tag) >= DNS_CAA_TAG_MAX ||
			    strlen(r.caa[i].value) >= DNS_CAA_VALUE_MAX ||
			    strchr(r.caa[i].value, '\n') != NULL)
				__builtin_trap();
		}
		for (i = 0; i < r.ns_count; i++) {
			if (strlen(r.ns[i]) >= DNS_NAME_MAX || strchr(r.ns[i], '\n') != NULL)
				__builtin_trap();
		}
	}
	return 0;
}

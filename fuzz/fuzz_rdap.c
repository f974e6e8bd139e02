/*
 * libFuzzer target for the RDAP parsers: rdap_domain_parse() reads what any
 * RDAP server (or whoever answers in its place) sends, and
 * rdap_bootstrap_parse() reads IANA's dns.json or a cached copy.  Both must
 * either succeed with bounded, clean fields or refuse with a reason; never
 * crash, hang or leak.
 *
 * Issue 14 made the domain parser read each part of an answer on its own,
 * so most inputs worth trying are half valid: a good answer with one broken
 * part.  Two modes:
 *
 * - raw: the input is the whole answer (seeds: tests/fixtures/rdap/
 *   rendered as the lab serves them, the .json files of fuzz/corpus/rdap/);
 * - spliced: an input whose first byte is 1 to SPLICE_PARTS puts the rest,
 *   as a JSON value, into one member (events, entities, nameservers,
 *   secureDNS, links, objectClassName, ldhName, an ignored member) of an
 *   answer that is otherwise good and carries "client hold".  Whatever
 *   that member holds, the answer is refused whole (not JSON, another
 *   objectClassName) or read with the hold, and the findings are CRITICAL:
 *   a broken part never hides a hold (seeds: fuzz/corpus/rdap/spliced-*).
 *
 * Every accepted parse is checked: each problem bit has a reason and each
 * reason a bit; no status bit without has_status; every string terminated,
 * valid UTF-8 and free of raw controls or bidi characters; names LDH; the
 * referral an http(s) URL of printable ASCII.  The findings made from it
 * name each unreadable part, are CRITICAL whenever a critical status was
 * read, and are clean text too; merging it into an empty answer keeps the
 * invariants.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/rdap.h"
#include "audit/rules.h"

#define SPLICE_MAX (64 * 1024)

static const char *const splice_keys[] = {
    "events", "entities", "nameservers", "secureDNS", "links", "objectClassName", "ldhName", "x",
};
#define SPLICE_PARTS (sizeof(splice_keys) / sizeof(splice_keys[0]))

/* The oracle's own list of what must never appear raw (kept apart from
 * rdap_parse.c's on purpose). */
static int unsafe(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x180e ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
}

/* Trap unless s is terminated within max bytes, valid UTF-8 and clean. */
static void check_text(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, len, k;
	unsigned long c;

	if (n >= max)
		__builtin_trap();
	while (i < n) {
		if (p[i] < 0x80) {
			len = 1;
			c = p[i];
		} else if ((p[i] & 0xe0) == 0xc0) {
			len = 2;
			c = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			len = 3;
			c = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			len = 4;
			c = p[i] & 0x07;
		} else {
			__builtin_trap();
		}
		if (i + len > n)
			__builtin_trap(); /* a character cut in half */
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				__builtin_trap();
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
		    (len == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff ||
		    unsafe(c))
			__builtin_trap();
		i += len;
	}
}

static void check_ldh(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			__builtin_trap();
	}
}

/* The invariants of a parsed (or merged) domain. */
static void check_domain(const struct rdap_domain *d)
{
	const unsigned int all = RDAP_PART_BIT(RDAP_PART_COUNT) - 1;
	size_t i;
	int p;

	check_text(d->ldh_name, sizeof(d->ldh_name));
	check_ldh(d->ldh_name);
	if (d->ldh_name[0] == '\0' &&
	    !((d->problems | d->filled) & RDAP_PART_BIT(RDAP_PART_OBJECT)))
		__builtin_trap(); /* no name, and no problem saying so */
	if ((d->status != 0 || d->unknown_status[0] != '\0') && !d->has_status)
		__builtin_trap(); /* a status bit without has_status */
	if (d->status >> RDAP_ST_COUNT)
		__builtin_trap();
	if (!d->has_expiry && d->expires != 0)
		__builtin_trap();
	if ((d->problems & ~all) || (d->filled & ~all) || (d->problems & d->filled))
		__builtin_trap();
	for (p = 0; p < RDAP_PART_COUNT; p++) {
		int flagged = ((d->problems | d->filled) & RDAP_PART_BIT(p)) != 0;
		check_text(d->problem[p], sizeof(d->problem[p]));
		if (flagged != (d->problem[p][0] != '\0'))
			__builtin_trap(); /* every problem names its reason, and only those */
	}
	check_text(d->registrar, sizeof(d->registrar));
	check_text(d->unknown_status, sizeof(d->unknown_status));
	if (d->ns_count > RDAP_NS_MAX || (d->ns_count > 0 && !d->has_nameservers))
		__builtin_trap();
	for (i = 0; i < d->ns_count; i++) {
		check_text(d->nameservers[i], sizeof(d->nameservers[i]));
		check_ldh(d->nameservers[i]);
		if (d->nameservers[i][0] == '\0')
			__builtin_trap();
	}
	if (d->dnssec < -1 || d->dnssec > 1 || d->registrar_iana_id < 0)
		__builtin_trap();
	check_text(d->registrar_url, sizeof(d->registrar_url));
	if (d->registrar_url[0] != '\0') {
		if (strncasecmp(d->registrar_url, "http://", 7) != 0 &&
		    strncasecmp(d->registrar_url, "https://", 8) != 0)
			__builtin_trap();
		for (i = 0; d->registrar_url[i] != '\0'; i++) {
			if ((unsigned char)d->registrar_url[i] <= 0x20 ||
			    (unsigned char)d->registrar_url[i] >= 0x7f)
				__builtin_trap();
		}
	}
}

/* The findings of d: each unreadable part named, a critical status CRITICAL,
 * clean text throughout.  Returns the worst severity. */
static enum audit_severity check_findings(const struct rdap_domain *d)
{
	static struct rdap_result res;
	struct audit_report r = {0};
	enum audit_severity worst;
	char want[64];
	size_t i;
	int p, named;

	memset(&res, 0, sizeof(res));
	res.outcome = RDAP_OK;
	snprintf(res.url, sizeof(res.url), "https://rdap.example/domain/x.test");
	res.domain = *d;
	audit_rdap_findings(&r, "x.test", &res, 1, (time_t)1800000000);
	if (r.failed)
		goto out; /* out of memory: nothing to judge */
	for (i = 0; i < r.count; i++)
		check_text(r.items[i].evidence, AUDIT_EVIDENCE_MAX + 1);
	for (p = 0; p < RDAP_PART_COUNT; p++) {
		if (!((d->problems | d->filled) & RDAP_PART_BIT(p)))
			continue;
		snprintf(want, sizeof(want), "part \"%s\"", rdap_part_name((enum rdap_part)p));
		named = 0;
		for (i = 0; i < r.count; i++)
			named |= strstr(r.items[i].evidence, want) != NULL;
		if (!named)
			__builtin_trap(); /* an unreadable part without its finding */
	}
	if ((d->status & AUDIT_STATUS_CRITICAL) && audit_report_worst(&r) != AUDIT_CRITICAL)
		__builtin_trap(); /* a hold hidden */
out:
	worst = audit_report_worst(&r);
	audit_report_free(&r);
	return worst;
}

/* Parse json; on success check everything, and merge it into an empty
 * answer as a registrar's would be.  Returns the parse's result. */
static int parse_and_check(const char *json, size_t len, struct rdap_domain *d)
{
	static struct rdap_domain empty;
	char err[256] = "";

	if (rdap_domain_parse(json, len, d, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			__builtin_trap(); /* every refusal says why */
		check_text(err, sizeof(err));
		return -1;
	}
	check_domain(d);
	(void)check_findings(d);
	memset(&empty, 0, sizeof(empty));
	empty.dnssec = -1;
	memcpy(empty.ldh_name, "x.test", 7);
	rdap_domain_merge(&empty, d);
	check_domain(&empty);
	return 0;
}

static void splice(const uint8_t *data, size_t size)
{
	static struct rdap_domain d;
	const char *key = splice_keys[data[0] - 1];
	char *json;
	size_t cap = size + 256, n = 0;
	int w;

	json = malloc(cap);
	if (json == NULL)
		return;
	w = snprintf(json, cap, "{%s%s\"status\":[\"client hold\"],\"%s\":",
	             strcmp(key, "objectClassName") ? "\"objectClassName\":\"domain\"," : "",
	             strcmp(key, "ldhName") ? "\"ldhName\":\"hold.test\"," : "", key);
	if (w < 0 || (size_t)w >= cap) {
		free(json);
		return;
	}
	n = (size_t)w;
	memcpy(json + n, data + 1, size - 1);
	n += size - 1;
	json[n++] = '}';
	if (parse_and_check(json, n, &d) == 0 && !(d.status & RDAP_BIT(RDAP_ST_CLIENT_HOLD)))
		__builtin_trap(); /* the hold lost to a broken neighbour */
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rdap_domain d;
	struct rdap_bootstrap *bs;
	char err[256] = "", url[RDAP_URL_MAX];

	if (size > 0 && data[0] >= 1 && data[0] <= SPLICE_PARTS) {
		if (size <= SPLICE_MAX)
			splice(data, size);
		return 0;
	}
	(void)parse_and_check((const char *)data, size, &d);
	bs = rdap_bootstrap_parse((const char *)data, size, err, sizeof(err));
	if (bs != NULL) {
		(void)rdap_bootstrap_lookup(bs, "www.example.test", url, sizeof(url));
		(void)rdap_bootstrap_lookup(bs, "a.b.c.d.e.f", url, sizeof(url));
		rdap_bootstrap_free(bs);
	}
	return 0;
}

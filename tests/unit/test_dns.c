/*
 * Unit tests for dns.c's pure parts: dns_reply_parse() over hand-built DNS
 * messages (answers, a referral with glue, an authoritative NS answer,
 * NXDOMAIN / SERVFAIL / REFUSED / NODATA, name compression) and hostile ones
 * (truncated, compression loops, pointers past the end, labels and names
 * over the limits, bad RDATA lengths); and the resolver address syntax.
 */
#include <stdio.h>
#include <string.h>

#include "audit/dns.h"
#include "tap.h"

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void m8(struct msg *m, unsigned int v)
{
	m->b[m->n++] = (unsigned char)v;
}

static void m16(struct msg *m, unsigned int v)
{
	m8(m, v >> 8);
	m8(m, v & 0xff);
}

static void mname(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		m8(m, (unsigned int)l);
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	m8(m, 0);
}

/* Header: id 1, QR set, flags ORed in (AA 0x0400, rcode low bits). */
static void mhdr(struct msg *m, unsigned int flags, unsigned int qd, unsigned int an,
                 unsigned int ns, unsigned int ar)
{
	m->n = 0;
	m16(m, 1);
	m16(m, 0x8000 | flags);
	m16(m, qd);
	m16(m, an);
	m16(m, ns);
	m16(m, ar);
}

static void mq(struct msg *m, const char *name, unsigned int type)
{
	mname(m, name);
	m16(m, type);
	m16(m, 1);
}

static void mrr(struct msg *m, const char *owner, unsigned int type, const void *rdata,
                size_t rdlen)
{
	mname(m, owner);
	m16(m, type);
	m16(m, 1);
	m16(m, 0);
	m16(m, 300);
	m16(m, (unsigned int)rdlen);
	memcpy(m->b + m->n, rdata, rdlen);
	m->n += rdlen;
}

static void mrr_ns(struct msg *m, const char *owner, const char *target)
{
	struct msg t = {0};

	mname(&t, target);
	mrr(m, owner, DNS_TYPE_NS, t.b, t.n);
}

static int parse(const struct msg *m, const char *qname, int qtype, struct dns_reply *r)
{
	return dns_reply_parse(m->b, m->n, qname, qtype, r);
}

static void test_answers(void)
{
	static const unsigned char a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
	static const unsigned char six[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct dns_reply r;
	struct msg m = {0};

	mhdr(&m, 0, 1, 2, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_A);
	mrr(&m, "www.example.test", DNS_TYPE_A, a1, 4);
	mrr(&m, "www.example.test", DNS_TYPE_A, a2, 4);
	CHECK(parse(&m, "www.example.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_NOERROR &&
	          r.addr_count == 2 && strcmp(r.addrs[0], "192.0.2.1") == 0 &&
	          strcmp(r.addrs[1], "192.0.2.2") == 0,
	      "two A records");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_AAAA);
	mrr(&m, "www.example.test", DNS_TYPE_AAAA, six, 16);
	CHECK(parse(&m, "www.example.test", DNS_TYPE_AAAA, &r) == 0 && r.addr_count == 1 &&
	          strcmp(r.addrs[0], "2001:db8::1") == 0,
	      "AAAA record");

	/* CNAME then A: the address counts (a resolver followed the chain). */
	mhdr(&m, 0, 1, 2, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_A);
	{
		struct msg t = {0};
		mname(&t, "cdn.example.lab");
		mrr(&m, "www.example.test", 5, t.b, t.n);
	}
	mrr(&m, "cdn.example.lab", DNS_TYPE_A, a1, 4);
	CHECK(parse(&m, "www.example.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_NOERROR &&
	          r.addr_count == 1,
	      "CNAME chain");

	mhdr(&m, 3, 1, 0, 0, 0);
	mq(&m, "nope.example.test", DNS_TYPE_A);
	CHECK(parse(&m, "nope.example.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_NXDOMAIN,
	      "NXDOMAIN");
	mhdr(&m, 2, 1, 0, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	CHECK(parse(&m, "x.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_SERVFAIL, "SERVFAIL");
	mhdr(&m, 5, 1, 0, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	CHECK(parse(&m, "x.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_REFUSED, "REFUSED");
	mhdr(&m, 4, 1, 0, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	CHECK(parse(&m, "x.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_RCODE && r.rcode == 4,
	      "NOTIMP is another rcode");
	mhdr(&m, 0x0400, 1, 0, 1, 0);
	mq(&m, "example.test", DNS_TYPE_A);
	mrr(&m, "example.test", DNS_TYPE_SOA, "\0\0", 2);
	CHECK(parse(&m, "example.test", DNS_TYPE_A, &r) == 0 && r.outcome == DNS_NODATA &&
	          r.authoritative,
	      "NODATA (SOA in authority)");
	/* An A answer to an AAAA question does not count. */
	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "x.test", DNS_TYPE_AAAA);
	mrr(&m, "x.test", DNS_TYPE_A, a1, 4);
	CHECK(parse(&m, "x.test", DNS_TYPE_AAAA, &r) == 0 && r.outcome == DNS_NODATA &&
	          r.addr_count == 0,
	      "records of another type are not an answer");
}

static void test_delegation(void)
{
	static const unsigned char g1[4] = {127, 0, 0, 3};
	struct dns_reply r;
	struct msg m = {0};

	/* A referral from the parent: NS in authority, glue in additional. */
	mhdr(&m, 0, 1, 0, 2, 1);
	mq(&m, "example.test", DNS_TYPE_NS);
	mrr_ns(&m, "example.test", "NS1.dns-a.test");
	mrr_ns(&m, "example.test", "ns1.dns-b.lab");
	mrr(&m, "ns1.dns-a.test", DNS_TYPE_A, g1, 4);
	CHECK(parse(&m, "Example.Test.", DNS_TYPE_NS, &r) == 0 && r.outcome == DNS_NOERROR &&
	          !r.authoritative && r.ns_referral && r.ns_count == 2 &&
	          strcmp(r.ns[0], "ns1.dns-a.test") == 0 && strcmp(r.ns[1], "ns1.dns-b.lab") == 0,
	      "referral: NS set from authority, lower case, qname matched case-insensitively");
	CHECK(r.glue_count == 1 && strcmp(r.glue[0].name, "ns1.dns-a.test") == 0 &&
	          strcmp(r.glue[0].addr, "127.0.0.3") == 0,
	      "referral: glue");

	/* The child's authoritative answer. */
	mhdr(&m, 0x0400, 1, 2, 0, 0);
	mq(&m, "example.test", DNS_TYPE_NS);
	mrr_ns(&m, "example.test", "ns1.dns-a.test");
	mrr_ns(&m, "example.test", "ns1.dns-a.test");
	CHECK(parse(&m, "example.test", DNS_TYPE_NS, &r) == 0 && r.authoritative &&
	          !r.ns_referral && r.ns_count == 1,
	      "authoritative NS answer, duplicates folded");

	/* A referral for another name (an upward or sideways one) is not ours. */
	mhdr(&m, 0, 1, 0, 1, 0);
	mq(&m, "example.test", DNS_TYPE_NS);
	mrr_ns(&m, "test", "ns.nic.test");
	CHECK(parse(&m, "example.test", DNS_TYPE_NS, &r) == 0 && r.ns_count == 0 &&
	          r.outcome == DNS_NODATA,
	      "NS of another owner is not a delegation");

	/* The parent no longer delegates it. */
	mhdr(&m, 0x0403, 1, 0, 1, 0);
	mq(&m, "example.test", DNS_TYPE_NS);
	mrr(&m, "test", DNS_TYPE_SOA, "\0\0", 2);
	CHECK(parse(&m, "example.test", DNS_TYPE_NS, &r) == 0 && r.outcome == DNS_NXDOMAIN &&
	          r.ns_count == 0,
	      "hold: NXDOMAIN from the parent");

	/* Compression: the NS target points back into the question. */
	mhdr(&m, 0x0400, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_NS); /* name at offset 12 */
	m16(&m, 0xc00c);                     /* owner: pointer to the question */
	m16(&m, DNS_TYPE_NS);
	m16(&m, 1);
	m16(&m, 0);
	m16(&m, 60);
	m16(&m, 6);
	m8(&m, 3);
	memcpy(m.b + m.n, "ns1", 3);
	m.n += 3;
	m16(&m, 0xc00c); /* ns1.example.test */
	CHECK(parse(&m, "example.test", DNS_TYPE_NS, &r) == 0 && r.ns_count == 1 &&
	          strcmp(r.ns[0], "ns1.example.test") == 0,
	      "compressed names");
}

static void test_hostile(void)
{
	static const unsigned char a1[5] = {192, 0, 2, 1, 9};
	struct dns_reply r;
	struct msg m = {0};
	size_t i;

	CHECK(dns_reply_parse(NULL, 0, "x", 1, &r) == -1 && r.outcome == DNS_MALFORMED, "NULL");
	mhdr(&m, 0, 0, 0, 0, 0);
	CHECK(dns_reply_parse(m.b, 11, "x", 1, &r) == -1, "shorter than a header");
	m.b[2] &= 0x7f; /* not a response */
	CHECK(parse(&m, "x", 1, &r) == -1, "a query is not a reply");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	mrr(&m, "x.test", DNS_TYPE_A, a1, 5);
	CHECK(parse(&m, "x.test", DNS_TYPE_A, &r) == -1, "A with RDLENGTH 5");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	mrr(&m, "x.test", DNS_TYPE_A, a1, 4);
	CHECK(dns_reply_parse(m.b, m.n - 1, "x.test", DNS_TYPE_A, &r) == -1, "truncated RDATA");
	CHECK(dns_reply_parse(m.b, 20, "x.test", DNS_TYPE_A, &r) == -1, "truncated question");

	/* Counts promise more records than there are. */
	mhdr(&m, 0, 1, 3, 0, 0);
	mq(&m, "x.test", DNS_TYPE_A);
	CHECK(parse(&m, "x.test", DNS_TYPE_A, &r) == -1, "missing records");

	/* A compression pointer to itself. */
	mhdr(&m, 0, 1, 0, 0, 0);
	m16(&m, 0xc00c);
	m16(&m, 1);
	m16(&m, 1);
	CHECK(parse(&m, "x", 1, &r) == -1, "compression loop");
	/* A pointer past the end. */
	mhdr(&m, 0, 1, 0, 0, 0);
	m16(&m, 0xcfff);
	m16(&m, 1);
	m16(&m, 1);
	CHECK(parse(&m, "x", 1, &r) == -1, "pointer past the end");
	/* Reserved label type 0x40. */
	mhdr(&m, 0, 1, 0, 0, 0);
	m8(&m, 0x41);
	m8(&m, 'a');
	m8(&m, 0);
	m16(&m, 1);
	m16(&m, 1);
	CHECK(parse(&m, "x", 1, &r) == -1, "extended label type");
	/* A name over 255 octets: 5 labels of 63. */
	mhdr(&m, 0, 1, 0, 0, 0);
	for (i = 0; i < 5; i++) {
		m8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	m8(&m, 0);
	m16(&m, 1);
	m16(&m, 1);
	CHECK(parse(&m, "x", 1, &r) == -1, "name over 255 octets");
	/* Odd bytes in a name are neutralised, not passed on. */
	mhdr(&m, 0x0400, 1, 1, 0, 0);
	mq(&m, "x.test", DNS_TYPE_NS);
	mrr_ns(&m, "x.test", "ev\nil.test");
	CHECK(parse(&m, "x.test", DNS_TYPE_NS, &r) == 0 && r.ns_count == 1 &&
	          strcmp(r.ns[0], "ev?il.test") == 0,
	      "control bytes in names replaced");
}

static void test_servers(void)
{
	char s[DNS_SERVER_MAX];

	CHECK(dns_server_parse("127.0.0.53", s, sizeof(s)) == 0 && strcmp(s, "127.0.0.53:53") == 0,
	      "IPv4, default port");
	CHECK(dns_server_parse("127.0.0.1:5353", s, sizeof(s)) == 0 &&
	          strcmp(s, "127.0.0.1:5353") == 0,
	      "IPv4:PORT");
	CHECK(dns_server_parse("::1", s, sizeof(s)) == 0 && strcmp(s, "[::1]:53") == 0,
	      "bare IPv6");
	CHECK(dns_server_parse("[2001:db8::53]:5300", s, sizeof(s)) == 0 &&
	          strcmp(s, "[2001:db8::53]:5300") == 0,
	      "[IPv6]:PORT");
	CHECK(dns_server_parse("resolver.example", s, sizeof(s)) == -1, "a name is refused");
	CHECK(dns_server_parse("1.2.3.4:", s, sizeof(s)) == -1, "empty port");
	CHECK(dns_server_parse("1.2.3.4:70000", s, sizeof(s)) == -1, "port out of range");
	CHECK(dns_server_parse("1.2.3.4:0", s, sizeof(s)) == -1, "port 0");
	CHECK(dns_server_parse("[::1", s, sizeof(s)) == -1, "unclosed bracket");
	CHECK(dns_server_parse("[::1]x", s, sizeof(s)) == -1, "junk after bracket");
	CHECK(dns_server_parse("", s, sizeof(s)) == -1 &&
	          dns_server_parse(NULL, s, sizeof(s)) == -1,
	      "empty and NULL");
	CHECK(dns_server_parse("127.0.0.1", s, 8) == -1, "output too small");
	CHECK(strcmp(dns_outcome_name(DNS_SERVFAIL), "servfail") == 0 &&
	          strcmp(dns_outcome_name(DNS_TIMEOUT), "timeout") == 0 &&
	          strcmp(dns_outcome_name(DNS_OUTCOME_COUNT), "invalid") == 0,
	      "outcome names");
}

static void count_done(const struct dns_reply *r, void *arg)
{
	int *calls = arg;

	calls[0]++;
	calls[1] = r->outcome;
}

/* Freeing a client with queries outstanding (one sent, more queued behind
 * the per-server bound) runs every callback exactly once, with DNS_ERROR.
 * The server is 127.0.0.1:9 (discard): nothing has to answer. */
static void test_cancel(void)
{
	struct dns_options opt;
	struct dns_client *dc;
	char *resolvers[] = {"127.0.0.1:9"};
	int calls[3][2] = {{0, -1}, {0, -1}, {0, -1}};

	dns_options_default(&opt);
	opt.per_server = 1;
	dc = dns_client_new(&opt, resolvers, 1);
	CHECK(dc != NULL, "client");
	if (dc == NULL)
		return;
	CHECK(dns_query(dc, "127.0.0.1:9", "a.test", DNS_TYPE_A, 1, count_done, calls[0]) == 0 &&
	          dns_query(dc, "127.0.0.1:9", "b.test", DNS_TYPE_A, 1, count_done, calls[1]) ==
	              0 &&
	          dns_query(dc, NULL, "c.test", DNS_TYPE_NS, 1, count_done, calls[2]) == 0,
	      "three queries accepted");
	CHECK(dns_client_pending(dc) == 3, "three pending");
	dns_client_free(dc);
	CHECK(calls[0][0] == 1 && calls[1][0] == 1 && calls[2][0] == 1,
	      "every callback ran exactly once");
	CHECK(calls[0][1] == DNS_ERROR && calls[1][1] == DNS_ERROR && calls[2][1] == DNS_ERROR,
	      "with DNS_ERROR");
	dns_client_free(NULL);
}

/* CAA RDATA: flags, tag length, tag, value (RFC 8659 section 4.1). */
static void mrr_caa(struct msg *m, const char *owner, unsigned int flags, const char *tag,
                    const char *value)
{
	struct msg t = {0};
	size_t tl = strlen(tag), vl = strlen(value);

	m8(&t, flags);
	m8(&t, (unsigned int)tl);
	memcpy(t.b + t.n, tag, tl);
	t.n += tl;
	memcpy(t.b + t.n, value, vl);
	t.n += vl;
	mrr(m, owner, DNS_TYPE_CAA, t.b, t.n);
}

static void mrr_cname(struct msg *m, const char *owner, const char *target)
{
	struct msg t = {0};

	mname(&t, target);
	mrr(m, owner, DNS_TYPE_CNAME, t.b, t.n);
}

static void test_caa(void)
{
	struct dns_reply r;
	struct msg m = {0};
	char big[700];
	int i;

	mhdr(&m, 0, 1, 2, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr_caa(&m, "example.test", 0, "issue", "ca1.example.net");
	mrr_caa(&m, "example.test", 128, "tbs", "Unknown");
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_NOERROR &&
	          r.caa_count == 2 && r.caa[0].flags == 0 && strcmp(r.caa[0].tag, "issue") == 0 &&
	          strcmp(r.caa[0].value, "ca1.example.net") == 0 && r.caa[1].flags == 128 &&
	          strcmp(r.caa[1].tag, "tbs") == 0 && r.cname[0] == '\0',
	      "caa: two records, flags, tags and values");

	/* A resolver following a CNAME answers with the target's records. */
	mhdr(&m, 0, 1, 3, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_CAA);
	mrr_cname(&m, "www.example.test", "cdn.other.test");
	mrr_cname(&m, "cdn.other.test", "edge.other.test");
	mrr_caa(&m, "edge.other.test", 0, "issue", "ca2.example.org");
	CHECK(parse(&m, "www.example.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_NOERROR &&
	          r.caa_count == 1 && strcmp(r.cname, "edge.other.test") == 0,
	      "caa: records of the CNAME chain's target, the target named");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_CAA);
	mrr_cname(&m, "www.example.test", "cdn.other.test");
	CHECK(parse(&m, "www.example.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_NODATA &&
	          r.caa_count == 0,
	      "caa: a CNAME to a name without CAA is NODATA");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "www.example.test", DNS_TYPE_CAA);
	mrr_caa(&m, "elsewhere.test", 0, "issue", ";");
	CHECK(parse(&m, "www.example.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_NODATA &&
	          r.caa_count == 0,
	      "caa: a record of an unrelated owner is not the name's");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr_caa(&m, "example.test", 0, "iss\xc3ue", "a\001b\x7f\xff");
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) == 0 && r.caa_count == 1 &&
	          strcmp(r.caa[0].value, "a?b??") == 0 && strcmp(r.caa[0].tag, "iss?ue") == 0,
	      "caa: control, DEL and 8-bit bytes in a tag or value are kept as '?'");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr_caa(&m, "example.test", 0, "issue", big);
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) == 0 && r.caa_count == 1 &&
	          r.caa[0].truncated && strlen(r.caa[0].value) == DNS_CAA_VALUE_MAX - 1,
	      "caa: a value longer than DNS_CAA_VALUE_MAX is cut and marked");

	mhdr(&m, 0, 1, DNS_REPLY_CAA_MAX + 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	for (i = 0; i <= DNS_REPLY_CAA_MAX; i++)
		mrr_caa(&m, "example.test", 0, "issue", "ca.example");
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) != 0 && r.outcome == DNS_MALFORMED,
	      "caa: more than DNS_REPLY_CAA_MAX records is refused, not cut");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr_caa(&m, "example.test", 0, "", "x");
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) != 0,
	      "caa: a zero-length tag is refused");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr(&m, "example.test", DNS_TYPE_CAA, "\0\x09iss", 5);
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) != 0,
	      "caa: a tag length past the RDATA is refused");

	mhdr(&m, 0, 1, 1, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	mrr(&m, "example.test", DNS_TYPE_CAA, "\0", 1);
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) != 0,
	      "caa: one byte of RDATA is refused");

	mhdr(&m, 2, 1, 0, 0, 0);
	mq(&m, "example.test", DNS_TYPE_CAA);
	CHECK(parse(&m, "example.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_SERVFAIL,
	      "caa: SERVFAIL is SERVFAIL, not an empty set");

	/* A CNAME loop in the answer ends (each target followed once). */
	mhdr(&m, 0, 1, 2, 0, 0);
	mq(&m, "a.test", DNS_TYPE_CAA);
	mrr_cname(&m, "a.test", "b.test");
	mrr_cname(&m, "b.test", "a.test");
	CHECK(parse(&m, "a.test", DNS_TYPE_CAA, &r) == 0 && r.outcome == DNS_NODATA,
	      "caa: a CNAME loop ends");
}

int main(void)
{
	test_caa();
	test_answers();
	test_delegation();
	test_hostile();
	test_servers();
	test_cancel();
	return tap_done();
}

/*
 * Unit tests for rules.c and report.c (issue 4's severity tables, row by
 * row) and url.c: RDAP statuses, expiry thresholds, registrar and registry
 * locks (generic lock values too), lookup failures, unreadable parts of an
 * answer (issue 14: each its own finding, a hold never hidden), unknown
 * statuses; resolution across resolvers; delegation; NS count, diversity and
 * parent/child comparison; changes since the last audit; redundancy across
 * CAs; report ordering; names (registrable domain, IDN, URL host).
 */
#include <stdio.h>
#include <string.h>

#include "audit/rules.h"
#include "tap.h"
#include "util/url.h"

#define NOW  ((time_t)1800000000)
#define DAY  86400
#define BIT  RDAP_BIT
#define SRC  "http://rdap.test/domain/x.test"
#define LOCK (AUDIT_STATUS_REGISTRAR_LOCK | AUDIT_STATUS_REGISTRY_LOCK)

static const struct audit_finding *find(const struct audit_report *r, enum audit_check c)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		if (r->items[i].check == c)
			return &r->items[i];
	}
	return NULL;
}

static enum audit_severity sev(const struct audit_report *r, enum audit_check c)
{
	const struct audit_finding *f = find(r, c);

	return f ? f->severity : AUDIT_SEVERITY_COUNT;
}

static int has(const struct audit_report *r, enum audit_check c, const char *text)
{
	const struct audit_finding *f = find(r, c);

	return f != NULL && strstr(f->evidence, text) != NULL;
}

static void ok_result(struct rdap_result *res, unsigned long status, long expires_in)
{
	memset(res, 0, sizeof(*res));
	res->outcome = RDAP_OK;
	snprintf(res->url, sizeof(res->url), "%s", SRC);
	snprintf(res->domain.ldh_name, sizeof(res->domain.ldh_name), "x.test");
	res->domain.has_status = 1;
	res->domain.status = status;
	res->domain.has_expiry = 1;
	res->domain.expires = NOW + expires_in;
	res->domain.dnssec = -1;
	snprintf(res->domain.registrar, sizeof(res->domain.registrar), "Reg One");
	res->domain.registrar_iana_id = 292;
}

static enum audit_severity status_row(unsigned long status, enum audit_check c)
{
	struct audit_report r = {0};
	struct rdap_result res;
	enum audit_severity s;

	ok_result(&res, status, 400 * DAY);
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	s = sev(&r, c);
	audit_report_free(&r);
	return s;
}

static void test_names(void)
{
	CHECK(strcmp(audit_severity_name(AUDIT_CRITICAL), "CRITICAL") == 0 &&
	          strcmp(audit_severity_name(AUDIT_SEVERITY_COUNT), "invalid") == 0,
	      "severity names");
	CHECK(audit_severity_exit(AUDIT_OK) == 0 && audit_severity_exit(AUDIT_INFO) == 0 &&
	          audit_severity_exit(AUDIT_WARNING) == 1 &&
	          audit_severity_exit(AUDIT_CRITICAL) == 2 &&
	          audit_severity_exit(AUDIT_UNKNOWN) == 3,
	      "exit codes 0/0/1/2/3");
	CHECK(AUDIT_CRITICAL > AUDIT_UNKNOWN && AUDIT_UNKNOWN > AUDIT_WARNING &&
	          AUDIT_WARNING > AUDIT_INFO && AUDIT_INFO > AUDIT_OK,
	      "CRITICAL outranks UNKNOWN outranks WARNING");
	for (int c = 0; c < AUDIT_CHECK_COUNT; c++) {
		if (strcmp(audit_check_name((enum audit_check)c), "invalid") == 0) {
			CHECK(0, "every check has a name");
			return;
		}
	}
	CHECK(1, "every check has a name");
}

static void test_status_rows(void)
{
	CHECK(status_row(LOCK | BIT(RDAP_ST_CLIENT_HOLD), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "client hold CRITICAL");
	CHECK(status_row(LOCK | BIT(RDAP_ST_SERVER_HOLD), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "server hold CRITICAL");
	CHECK(status_row(BIT(RDAP_ST_INACTIVE), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "inactive CRITICAL");
	CHECK(status_row(BIT(RDAP_ST_REDEMPTION_PERIOD), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "redemption period CRITICAL");
	CHECK(status_row(BIT(RDAP_ST_PENDING_DELETE), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "pending delete CRITICAL");
	CHECK(status_row(BIT(RDAP_ST_PENDING_RESTORE), AUDIT_CHECK_STATUS) == AUDIT_CRITICAL,
	      "pending restore CRITICAL");
	CHECK(status_row(LOCK | BIT(RDAP_ST_PENDING_TRANSFER), AUDIT_CHECK_PENDING) ==
	          AUDIT_WARNING,
	      "pending transfer WARNING");
	CHECK(status_row(LOCK | BIT(RDAP_ST_PENDING_UPDATE), AUDIT_CHECK_PENDING) == AUDIT_WARNING,
	      "pending update WARNING");
	CHECK(status_row(LOCK, AUDIT_CHECK_PENDING) == AUDIT_SEVERITY_COUNT &&
	          status_row(LOCK, AUDIT_CHECK_STATUS) == AUDIT_OK,
	      "locked domain: status OK, no pending finding");
	CHECK(audit_status_severity(BIT(RDAP_ST_PENDING_CREATE)) == AUDIT_OK,
	      "pending create is not in the table");

	/* registrar lock: none of client transfer/update/delete prohibited */
	CHECK(status_row(AUDIT_STATUS_REGISTRY_LOCK, AUDIT_CHECK_REGISTRAR_LOCK) == AUDIT_WARNING,
	      "no registrar lock WARNING");
	CHECK(status_row(BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED), AUDIT_CHECK_REGISTRAR_LOCK) ==
	          AUDIT_OK,
	      "client transfer prohibited is a registrar lock");
	CHECK(status_row(LOCK, AUDIT_CHECK_REGISTRAR_LOCK) == AUDIT_OK, "full registrar lock OK");
	/* registry lock: WARNING on an important domain, else INFO */
	CHECK(status_row(AUDIT_STATUS_REGISTRAR_LOCK, AUDIT_CHECK_REGISTRY_LOCK) == AUDIT_WARNING,
	      "no registry lock on a CA/critical domain WARNING");
	{
		struct audit_report r = {0};
		struct rdap_result res;
		ok_result(&res, AUDIT_STATUS_REGISTRAR_LOCK, 400 * DAY);
		audit_rdap_findings(&r, "x.test", &res, 0, NOW);
		CHECK(sev(&r, AUDIT_CHECK_REGISTRY_LOCK) == AUDIT_INFO,
		      "no registry lock elsewhere INFO");
		CHECK(has(&r, AUDIT_CHECK_RDAP, "Reg One (IANA 292)"),
		      "rdap finding names the registrar");
		audit_report_free(&r);
	}
	CHECK(status_row(BIT(RDAP_ST_SERVER_UPDATE_PROHIBITED) | AUDIT_STATUS_REGISTRAR_LOCK,
	                 AUDIT_CHECK_REGISTRY_LOCK) == AUDIT_OK,
	      "server update prohibited is a registry lock");
}

static void test_expiry_rows(void)
{
	struct audit_report r = {0};
	struct rdap_result res;
	long cases[][2] = {
	    {-2 * DAY, AUDIT_CRITICAL},    {0, AUDIT_CRITICAL},      {6 * DAY, AUDIT_CRITICAL},
	    {7 * DAY - 1, AUDIT_CRITICAL}, {7 * DAY, AUDIT_WARNING}, {29 * DAY, AUDIT_WARNING},
	    {30 * DAY, AUDIT_OK},          {400 * DAY, AUDIT_OK},
	};
	char name[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok_result(&res, LOCK, cases[i][0]);
		audit_rdap_findings(&r, "x.test", &res, 1, NOW);
		snprintf(name, sizeof(name), "expiry in %ld s: %s", cases[i][0],
		         audit_severity_name((enum audit_severity)cases[i][1]));
		CHECK(sev(&r, AUDIT_CHECK_EXPIRY) == (enum audit_severity)cases[i][1], name);
		audit_report_free(&r);
	}
	ok_result(&res, LOCK, 0);
	res.domain.has_expiry = 0;
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(sev(&r, AUDIT_CHECK_EXPIRY) == AUDIT_INFO, "no expiration published INFO");
	audit_report_free(&r);
}

static void test_rdap_failures(void)
{
	struct audit_report r = {0};
	struct rdap_result res;
	enum rdap_outcome bad[] = {RDAP_NOT_FOUND,    RDAP_RATE_LIMITED, RDAP_SERVER_ERROR,
	                           RDAP_CONTENT_TYPE, RDAP_MALFORMED,    RDAP_TOO_LARGE,
	                           RDAP_UNREACHABLE,  RDAP_HTTP_STATUS};
	char name[96];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&res, 0, sizeof(res));
		res.outcome = bad[i];
		res.http_status = bad[i] == RDAP_NOT_FOUND ? 404 : 0;
		audit_rdap_findings(&r, "x.test", &res, 1, NOW);
		snprintf(name, sizeof(name), "%s: one UNKNOWN rdap finding naming it",
		         rdap_outcome_name(bad[i]));
		CHECK(r.count == 1 && sev(&r, AUDIT_CHECK_RDAP) == AUDIT_UNKNOWN &&
		          has(&r, AUDIT_CHECK_RDAP, rdap_outcome_name(bad[i])),
		      name);
		audit_report_free(&r);
	}
	memset(&res, 0, sizeof(res));
	res.outcome = RDAP_NO_SERVICE;
	audit_rdap_findings(&r, "x.example", &res, 1, NOW);
	CHECK(r.count == 1 && sev(&r, AUDIT_CHECK_RDAP) == AUDIT_INFO &&
	          has(&r, AUDIT_CHECK_RDAP, ".example"),
	      "TLD without RDAP service INFO");
	audit_report_free(&r);
	ok_result(&res, LOCK, 400 * DAY);
	res.domain.has_status = 0;
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(sev(&r, AUDIT_CHECK_STATUS) == AUDIT_UNKNOWN &&
	          find(&r, AUDIT_CHECK_REGISTRAR_LOCK) == NULL,
	      "no status array: status UNKNOWN, no lock verdict");
	audit_report_free(&r);
}

/* 1 when some finding of check c with severity s holds text. */
static int has_sev(const struct audit_report *r, enum audit_check c, enum audit_severity s,
                   const char *text)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		if (r->items[i].check == c && r->items[i].severity == s &&
		    strstr(r->items[i].evidence, text) != NULL)
			return 1;
	}
	return 0;
}

/* Mark part p of res unreadable, for reason. */
static void broken(struct rdap_result *res, enum rdap_part p, const char *reason)
{
	res->domain.problems |= RDAP_PART_BIT(p);
	snprintf(res->domain.problem[p], sizeof(res->domain.problem[p]), "%s", reason);
}

/* Issue 14: each unreadable part is its own finding, beside the others. */
static void test_rdap_parts(void)
{
	struct audit_report r = {0};
	struct rdap_result res;
	size_t i, unknown = 0;

	/* A hold is CRITICAL whatever else could not be read. */
	ok_result(&res, LOCK | BIT(RDAP_ST_CLIENT_HOLD), 400 * DAY);
	res.domain.has_expiry = 0;
	broken(&res, RDAP_PART_EVENTS, "the \"expiration\" event's eventDate is bad");
	broken(&res, RDAP_PART_ENTITIES, "the registrar's publicIds is a string");
	broken(&res, RDAP_PART_NAMESERVERS, "nameserver 2 is a number");
	broken(&res, RDAP_PART_SECURE_DNS, "\"secureDNS\" is an array");
	broken(&res, RDAP_PART_OBJECT, "no ldhName");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(audit_report_worst(&r) == AUDIT_CRITICAL &&
	          has_sev(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold"),
	      "a hold beside five unreadable parts: CRITICAL");
	for (i = 0; i < r.count; i++)
		unknown += r.items[i].severity == AUDIT_UNKNOWN;
	CHECK(unknown == 5, "one UNKNOWN per unreadable part");
	CHECK(has_sev(&r, AUDIT_CHECK_EXPIRY, AUDIT_UNKNOWN, "part \"events\"") &&
	          has_sev(&r, AUDIT_CHECK_EXPIRY, AUDIT_UNKNOWN, "eventDate is bad") &&
	          !has_sev(&r, AUDIT_CHECK_EXPIRY, AUDIT_INFO, "publishes no expiration"),
	      "events: under expiry, naming the part and the reason");
	CHECK(has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "part \"entities\"") &&
	          has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "part \"nameservers\"") &&
	          has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "part \"secureDNS\"") &&
	          has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "part \"objectClassName/ldhName\""),
	      "entities, nameservers, secureDNS, the object: under rdap, each named");
	CHECK(has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_OK,
	              "parts unreadable: objectClassName/ldhName, "
	              "events, entities, nameservers, secureDNS"),
	      "the rdap summary lists the unreadable parts");
	audit_report_free(&r);

	/* status unreadable as a whole: its own UNKNOWN, no lock verdicts. */
	ok_result(&res, 0, 400 * DAY);
	res.domain.has_status = 0;
	broken(&res, RDAP_PART_STATUS, "\"status\" is a number, not an array of strings");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(has_sev(&r, AUDIT_CHECK_STATUS, AUDIT_UNKNOWN, "is a number") &&
	          find(&r, AUDIT_CHECK_REGISTRAR_LOCK) == NULL &&
	          !has_sev(&r, AUDIT_CHECK_STATUS, AUDIT_UNKNOWN, "carries no status"),
	      "status unreadable: one UNKNOWN saying why, no lock verdict");
	audit_report_free(&r);

	/* status read in part: the values read count, the rest UNKNOWN. */
	ok_result(&res, LOCK, 400 * DAY);
	broken(&res, RDAP_PART_STATUS, "status value 3 is an object, not a string");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(has_sev(&r, AUDIT_CHECK_STATUS, AUDIT_OK, "client transfer prohibited") &&
	          has_sev(&r, AUDIT_CHECK_STATUS, AUDIT_UNKNOWN, "status value 3") &&
	          sev(&r, AUDIT_CHECK_REGISTRAR_LOCK) == AUDIT_OK,
	      "status read in part: what was read reported, the rest UNKNOWN beside");
	audit_report_free(&r);

	/* links: INFO when the answer needed no referral, else UNKNOWN. */
	ok_result(&res, LOCK, 400 * DAY);
	res.domain.has_nameservers = 1;
	broken(&res, RDAP_PART_LINKS, "\"links\" is an object, not an array");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_INFO, "part \"links\"") &&
	          audit_report_worst(&r) == AUDIT_INFO,
	      "unreadable links in a complete answer: INFO");
	audit_report_free(&r);
	res.domain.registrar[0] = '\0';
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(has_sev(&r, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "part \"links\""),
	      "unreadable links when the referral was needed: UNKNOWN");
	audit_report_free(&r);

	/* A part the registrar's answer supplied: INFO naming both. */
	ok_result(&res, LOCK, 200 * DAY);
	res.domain.filled = RDAP_PART_BIT(RDAP_PART_EVENTS);
	snprintf(res.domain.problem[RDAP_PART_EVENTS], RDAP_PROBLEM_MAX, "bad date");
	res.referral_followed = 1;
	res.referral_outcome = RDAP_OK;
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(has_sev(&r, AUDIT_CHECK_EXPIRY, AUDIT_INFO, "taken from the registrar's answer") &&
	          has_sev(&r, AUDIT_CHECK_EXPIRY, AUDIT_OK, "in 200 days") &&
	          audit_report_worst(&r) == AUDIT_INFO,
	      "filled from the registrar: the verdict, and INFO saying where it came from");
	audit_report_free(&r);
}

static void test_rdap_unknown_status(void)
{
	struct audit_report r = {0};
	struct rdap_result res;

	ok_result(&res, LOCK, 400 * DAY);
	snprintf(res.domain.unknown_status, sizeof(res.domain.unknown_status), "frozen");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(sev(&r, AUDIT_CHECK_STATUS) == AUDIT_WARNING && has(&r, AUDIT_CHECK_STATUS, "frozen"),
	      "an unknown status beside known ones: WARNING naming it");
	audit_report_free(&r);
	ok_result(&res, BIT(RDAP_ST_SERVER_HOLD), 400 * DAY);
	snprintf(res.domain.unknown_status, sizeof(res.domain.unknown_status), "frozen");
	audit_rdap_findings(&r, "x.test", &res, 1, NOW);
	CHECK(sev(&r, AUDIT_CHECK_STATUS) == AUDIT_CRITICAL &&
	          has(&r, AUDIT_CHECK_STATUS, "frozen"),
	      "an unknown status beside a hold: CRITICAL, the unknown one named too");
	audit_report_free(&r);
}

static void test_generic_locks(void)
{
	CHECK(status_row(BIT(RDAP_ST_TRANSFER_PROHIBITED), AUDIT_CHECK_REGISTRAR_LOCK) == AUDIT_OK,
	      "generic transfer prohibited is a registrar lock");
	CHECK(status_row(BIT(RDAP_ST_LOCKED), AUDIT_CHECK_REGISTRAR_LOCK) == AUDIT_OK,
	      "locked is a registrar lock");
	CHECK(status_row(BIT(RDAP_ST_LOCKED), AUDIT_CHECK_REGISTRY_LOCK) == AUDIT_WARNING,
	      "locked is not a registry lock");
	CHECK(status_row(BIT(RDAP_ST_RENEW_PROHIBITED), AUDIT_CHECK_REGISTRAR_LOCK) ==
	          AUDIT_WARNING,
	      "renew prohibited alone is no registrar lock");
}

static void test_resolve(void)
{
	struct audit_resolution ok = {"r1", DNS_NOERROR, DNS_NOERROR, 2};
	struct audit_resolution nx = {"r2", DNS_NXDOMAIN, DNS_NXDOMAIN, 0};
	struct audit_resolution sf = {"r3", DNS_SERVFAIL, DNS_SERVFAIL, 0};
	struct audit_resolution to = {"r4", DNS_TIMEOUT, DNS_TIMEOUT, 0};
	struct audit_resolution v6 = {"r5", DNS_NODATA, DNS_NOERROR, 1};
	struct audit_resolution nd = {"r6", DNS_NODATA, DNS_NODATA, 0};
	struct audit_resolution set[3];
	struct audit_report r = {0};
	enum dns_outcome why;

	CHECK(!audit_resolution_failed(&ok, 0, &why), "addresses: not failed");
	CHECK(!audit_resolution_failed(&v6, 0, &why), "AAAA only: not failed");
	CHECK(audit_resolution_failed(&nx, 0, &why) && why == DNS_NXDOMAIN, "NXDOMAIN named");
	CHECK(audit_resolution_failed(&sf, 0, &why) && why == DNS_SERVFAIL, "SERVFAIL named");
	CHECK(audit_resolution_failed(&to, 0, &why) && why == DNS_TIMEOUT, "timeout named");
	CHECK(audit_resolution_failed(&nd, 0, &why) && why == DNS_NODATA, "no address: failed");
	CHECK(!audit_resolution_failed(&nd, 1, &why), "no address at a bare domain: fine");

	CHECK(audit_resolve_severity(0, 3) == AUDIT_OK, "0 of 3 OK");
	CHECK(audit_resolve_severity(1, 3) == AUDIT_WARNING, "1 of 3 WARNING");
	CHECK(audit_resolve_severity(2, 3) == AUDIT_CRITICAL, "2 of 3 CRITICAL");
	CHECK(audit_resolve_severity(3, 3) == AUDIT_CRITICAL, "3 of 3 CRITICAL");
	CHECK(audit_resolve_severity(1, 2) == AUDIT_WARNING, "1 of 2 WARNING");
	CHECK(audit_resolve_severity(1, 1) == AUDIT_CRITICAL, "the only resolver fails CRITICAL");

	set[0] = ok;
	set[1] = ok;
	set[2] = to;
	audit_resolve_findings(&r, "x.test", "www.x.test", set, 3, 0);
	CHECK(sev(&r, AUDIT_CHECK_RESOLVE) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_RESOLVE, "1 of 3") &&
	          has(&r, AUDIT_CHECK_RESOLVE, "r4 timeout"),
	      "one timeout of three: WARNING naming the resolver and 'timeout'");
	audit_report_free(&r);
	set[0] = nx;
	set[1] = sf;
	audit_resolve_findings(&r, "x.test", "www.x.test", set, 3, 0);
	CHECK(sev(&r, AUDIT_CHECK_RESOLVE) == AUDIT_CRITICAL &&
	          has(&r, AUDIT_CHECK_RESOLVE, "r2 nxdomain") &&
	          has(&r, AUDIT_CHECK_RESOLVE, "r3 servfail") &&
	          has(&r, AUDIT_CHECK_RESOLVE, "r4 timeout"),
	      "NXDOMAIN, SERVFAIL and timeout named separately: CRITICAL");
	audit_report_free(&r);
	set[0] = nd;
	set[1] = nd;
	audit_resolve_findings(&r, "x.test", "x.test", set, 2, 1);
	CHECK(sev(&r, AUDIT_CHECK_RESOLVE) == AUDIT_INFO, "bare domain without address INFO");
	audit_report_free(&r);
}

static void test_delegation(void)
{
	struct audit_parent_answer a[2] = {{"ns1(1.2.3.4)", DNS_NOERROR, 1},
	                                   {"ns2(1.2.3.5)", DNS_NOERROR, 1}};
	struct audit_report r = {0};

	audit_delegation_findings(&r, "x.test", "test", a, 2, NULL);
	CHECK(sev(&r, AUDIT_CHECK_DELEGATION) == AUDIT_OK, "delegated by both OK");
	audit_report_free(&r);
	a[1].outcome = DNS_NXDOMAIN;
	a[1].delegated = 0;
	audit_delegation_findings(&r, "x.test", "test", a, 2, NULL);
	CHECK(sev(&r, AUDIT_CHECK_DELEGATION) == AUDIT_CRITICAL &&
	          has(&r, AUDIT_CHECK_DELEGATION, "ns2(1.2.3.5) nxdomain"),
	      "one parent server no longer delegates: CRITICAL, named");
	audit_report_free(&r);
	a[1].outcome = DNS_TIMEOUT;
	audit_delegation_findings(&r, "x.test", "test", a, 2, NULL);
	CHECK(sev(&r, AUDIT_CHECK_DELEGATION) == AUDIT_OK &&
	          has(&r, AUDIT_CHECK_DELEGATION, "no answer from"),
	      "one delegates, one silent: OK, silence mentioned");
	audit_report_free(&r);
	a[0].outcome = DNS_TIMEOUT;
	a[0].delegated = 0;
	audit_delegation_findings(&r, "x.test", "test", a, 2, NULL);
	CHECK(sev(&r, AUDIT_CHECK_DELEGATION) == AUDIT_UNKNOWN,
	      "no parent server answered UNKNOWN");
	audit_report_free(&r);
	audit_delegation_findings(&r, "x.test", "test", NULL, 0, "NS test: servfail");
	CHECK(sev(&r, AUDIT_CHECK_DELEGATION) == AUDIT_UNKNOWN &&
	          has(&r, AUDIT_CHECK_DELEGATION, "servfail"),
	      "parent servers not found UNKNOWN with the reason");
	audit_report_free(&r);
}

static void test_ns(psl_ctx_t *psl)
{
	const char *one[] = {"ns1.dns-a.test"};
	const char *same_dom[] = {"ns1.dns-a.test", "ns2.dns-a.test"};
	const char *same_tld[] = {"ns1.dns-a.test", "ns1.dns-b.test"};
	const char *diverse[] = {"ns1.dns-a.test", "ns1.dns-b.lab"};
	const char *couk[] = {"ns1.foo.co.uk", "ns2.bar.co.uk"};
	const char *child[] = {"NS1.DNS-A.TEST.", "ns3.dns-c.lab"};
	char only_a[256], only_b[256];
	struct audit_report r = {0};

	CHECK(audit_ns_diversity(psl, one, 1) == AUDIT_NS_FEW, "one NS: too few");
	CHECK(audit_ns_diversity(psl, same_dom, 2) == (AUDIT_NS_ONE_DOMAIN | AUDIT_NS_ONE_TLD),
	      "two NS under one domain (and so one TLD)");
	CHECK(audit_ns_diversity(psl, same_tld, 2) == AUDIT_NS_ONE_TLD, "two domains, one TLD");
	CHECK(audit_ns_diversity(psl, diverse, 2) == 0, "two domains, two TLDs");
	CHECK(audit_ns_diversity(psl, couk, 2) == AUDIT_NS_ONE_TLD,
	      "foo.co.uk and bar.co.uk are two registrable domains (PSL)");
	CHECK(audit_ns_diversity(psl, NULL, 0) == AUDIT_NS_FEW, "no NS");

	audit_ns_findings(&r, psl, "x.test", one, 1, "parent zone");
	CHECK(sev(&r, AUDIT_CHECK_NS_COUNT) == AUDIT_WARNING &&
	          find(&r, AUDIT_CHECK_NS_DIVERSITY) == NULL,
	      "fewer than 2 NS WARNING");
	audit_report_free(&r);
	audit_ns_findings(&r, psl, "x.test", same_dom, 2, "parent zone");
	CHECK(sev(&r, AUDIT_CHECK_NS_COUNT) == AUDIT_OK &&
	          sev(&r, AUDIT_CHECK_NS_DIVERSITY) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_NS_DIVERSITY, "dns-a.test"),
	      "all NS under one registrable domain WARNING");
	audit_report_free(&r);
	audit_ns_findings(&r, psl, "x.test", same_tld, 2, "parent zone");
	CHECK(sev(&r, AUDIT_CHECK_NS_DIVERSITY) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_NS_DIVERSITY, "one TLD (.test)"),
	      "all NS under one TLD WARNING");
	audit_report_free(&r);
	audit_ns_findings(&r, psl, "x.test", diverse, 2, "parent zone");
	CHECK(sev(&r, AUDIT_CHECK_NS_DIVERSITY) == AUDIT_OK, "diverse NS OK");
	audit_report_free(&r);

	CHECK(audit_ns_sets_differ(diverse, 2, child, 2, only_a, sizeof(only_a), only_b,
	                           sizeof(only_b)) == 1 &&
	          strcmp(only_a, "ns1.dns-b.lab") == 0 && strcmp(only_b, "ns3.dns-c.lab") == 0,
	      "parent/child differ: case and trailing dot ignored, differences named");
	CHECK(audit_ns_sets_differ(same_dom, 2, same_dom, 2, only_a, sizeof(only_a), only_b,
	                           sizeof(only_b)) == 0 &&
	          only_a[0] == '\0' && only_b[0] == '\0',
	      "equal sets");
}

static void test_state(void)
{
	struct rdap_result a, b;
	struct audit_report r = {0};
	json_t *ja, *jb;

	ok_result(&a, LOCK, 400 * DAY);
	a.domain.ns_count = 2;
	snprintf(a.domain.nameservers[0], RDAP_NAME_MAX, "ns2.dns-a.test");
	snprintf(a.domain.nameservers[1], RDAP_NAME_MAX, "ns1.dns-a.test");
	a.domain.dnssec = 1;
	b = a;
	ja = audit_state_entry_new(&a.domain);
	jb = audit_state_entry_new(&b.domain);
	CHECK(ja != NULL && json_array_size(json_object_get(ja, "locks")) == 6 &&
	          strcmp(json_string_value(json_array_get(json_object_get(ja, "nameservers"), 0)),
	                 "ns1.dns-a.test") == 0,
	      "state entry: six locks, nameservers sorted");
	audit_state_compare(&r, "x.test", ja, jb, SRC);
	CHECK(r.count == 0, "nothing changed: no finding");
	audit_state_compare(&r, "x.test", NULL, jb, SRC);
	CHECK(r.count == 0, "first audit: no finding");
	json_decref(jb);

	b.domain.registrar_iana_id = 9999;
	snprintf(b.domain.registrar, sizeof(b.domain.registrar), "Other");
	snprintf(b.domain.nameservers[0], RDAP_NAME_MAX, "ns1.elsewhere.lab");
	b.domain.dnssec = 0;
	b.domain.status = BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED);
	jb = audit_state_entry_new(&b.domain);
	audit_state_compare(&r, "x.test", ja, jb, SRC);
	CHECK(r.count == 4, "registrar, nameservers, DNSSEC and locks changed: four findings");
	CHECK(audit_report_worst(&r) == AUDIT_WARNING, "changes are WARNINGs");
	CHECK(strstr(r.items[0].evidence, "Reg One (IANA 292) -> Other (IANA 9999)") != NULL,
	      "registrar change names both");
	CHECK(strstr(r.items[2].evidence, "signed -> unsigned") != NULL, "DNSSEC change");
	audit_report_free(&r);
	json_decref(jb);

	/* Issue 14: an unreadable part is no fact, so no change; the last fact
	 * read is kept in the new state. */
	b = a;
	b.domain.problems = RDAP_PART_BIT(RDAP_PART_SECURE_DNS) | RDAP_PART_BIT(RDAP_PART_STATUS);
	b.domain.dnssec = -1;
	b.domain.status = 0;
	jb = audit_state_entry_new(&b.domain);
	CHECK(jb != NULL && json_object_get(jb, "dnssec") == NULL &&
	          json_object_get(jb, "locks") == NULL,
	      "state entry: unreadable parts left out");
	audit_state_compare(&r, "x.test", ja, jb, SRC);
	CHECK(r.count == 0, "unreadable secureDNS and status: no change reported");
	CHECK(json_is_true(json_object_get(jb, "dnssec")) &&
	          json_array_size(json_object_get(jb, "locks")) == 6,
	      "the last DNSSEC and lock facts carried over");
	audit_report_free(&r);
	json_decref(ja);
	json_decref(jb);
}

static void test_redundancy(void)
{
	struct rdap_result ra, rb;
	const char *nsa[] = {"dns-a.test"}, *nsb[] = {"dns-b.lab"};
	struct audit_endpoint e[2] = {{"ca one", "ca-one.test", &ra, nsa, 1},
	                              {"ca two", "ca-two.lab", &rb, nsb, 1}};
	struct audit_report r = {0};

	ok_result(&ra, LOCK, 400 * DAY);
	ok_result(&rb, LOCK, 400 * DAY);
	rb.domain.registrar_iana_id = 1001;
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(r.count == 1 && sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_OK &&
	          strcmp(r.items[0].domain, "certificate www") == 0,
	      "different registrars, TLDs, providers OK");
	audit_report_free(&r);
	rb.domain.registrar_iana_id = 292;
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_REDUNDANCY, "same registrar"),
	      "same registrar (IANA ID) WARNING");
	audit_report_free(&r);
	rb.domain.registrar_iana_id = 1001;
	e[1].domain = "ca-two.test";
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_REDUNDANCY, "same TLD .test"),
	      "same TLD WARNING");
	audit_report_free(&r);
	e[1].domain = "ca-two.lab";
	e[1].ns_domains = nsa;
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_INFO &&
	          has(&r, AUDIT_CHECK_REDUNDANCY, "shared nameserver provider dns-a.test"),
	      "shared nameserver provider INFO");
	audit_report_free(&r);
	e[1].domain = "ca-one.test";
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_WARNING &&
	          has(&r, AUDIT_CHECK_REDUNDANCY, "same domain"),
	      "one domain for both WARNING");
	audit_report_free(&r);
	e[1].domain = "ca-two.lab";
	e[1].ns_domains = nsb;
	rb.outcome = RDAP_SERVER_ERROR;
	audit_redundancy_findings(&r, "certificate www", e, 2);
	CHECK(sev(&r, AUDIT_CHECK_REDUNDANCY) == AUDIT_INFO &&
	          has(&r, AUDIT_CHECK_REDUNDANCY, "registrars not known"),
	      "registrar unknown INFO");
	audit_report_free(&r);
}

static void test_report(void)
{
	struct audit_report r = {0};

	audit_report_add(&r, "b.test", AUDIT_CHECK_EXPIRY, AUDIT_OK, "", "fine");
	audit_report_add(&r, "a.test", AUDIT_CHECK_EXPIRY, AUDIT_WARNING, "", "soon");
	audit_report_add(&r, "b.test", AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "", "hold");
	audit_report_add(&r, "a.test", AUDIT_CHECK_RDAP, AUDIT_OK, NULL, "ok");
	audit_report_add(&r, "c.test", AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, "", "500");
	CHECK(audit_report_worst(&r) == AUDIT_CRITICAL, "worst of the report");
	CHECK(audit_report_domain_worst(&r, "a.test") == AUDIT_WARNING, "worst of a domain");
	audit_report_sort(&r);
	CHECK(strcmp(r.items[0].domain, "b.test") == 0 && r.items[0].severity == AUDIT_CRITICAL &&
	          strcmp(r.items[1].domain, "b.test") == 0 && r.items[1].severity == AUDIT_OK,
	      "worst domain first, its worst finding first");
	CHECK(strcmp(r.items[2].domain, "c.test") == 0 &&
	          strcmp(r.items[3].domain, "a.test") == 0 &&
	          r.items[3].severity == AUDIT_WARNING && r.items[4].severity == AUDIT_OK,
	      "then UNKNOWN, then WARNING; grouped");
	CHECK(strcmp(r.items[4].source, "") == 0, "NULL source stored as empty");
	{
		char name[1201];
		size_t i;
		for (i = 0; i + 2 < sizeof(name); i += 2)
			memcpy(name + i, "\xc3\xa9", 2); /* U+00E9, two bytes each */
		name[i] = '\0';
		audit_report_add(&r, "d.test", AUDIT_CHECK_RDAP, AUDIT_OK, "", "%s", name);
		CHECK(strlen(r.items[5].evidence) == AUDIT_EVIDENCE_MAX - 2,
		      "evidence cut between UTF-8 characters, not inside one");
	}
	audit_report_free(&r);
	audit_report_free(&r);
}

static void test_hosts(psl_ctx_t *psl)
{
	char out[DNS_NAME_MAX];
	enum url_host_kind k;

	CHECK(audit_registrable_domain(psl, "www.example.test", out, sizeof(out)) == 0 &&
	          strcmp(out, "example.test") == 0,
	      "unknown TLD: last two labels");
	CHECK(audit_registrable_domain(psl, "a.b.example.co.uk", out, sizeof(out)) == 0 &&
	          strcmp(out, "example.co.uk") == 0,
	      "co.uk from the PSL");
	CHECK(audit_registrable_domain(psl, "acme-v02.api.letsencrypt.org", out, sizeof(out)) ==
	              0 &&
	          strcmp(out, "letsencrypt.org") == 0,
	      "letsencrypt.org");
	CHECK(audit_registrable_domain(psl, "test", out, sizeof(out)) == 0 &&
	          strcmp(out, "test") == 0,
	      "a suffix is its own domain");
	CHECK(audit_registrable_domain(NULL, "x.y.example.test", out, sizeof(out)) == 0 &&
	          strcmp(out, "example.test") == 0,
	      "no list: last two labels");
	CHECK(audit_registrable_domain(psl, "www.example.test", out, 5) == -1, "too long for out");

	CHECK(audit_host_normalise("WWW.Example.TEST.", out, sizeof(out)) == 0 &&
	          strcmp(out, "www.example.test") == 0,
	      "lower case, trailing dot dropped");
	CHECK(audit_host_normalise("bücher.example", out, sizeof(out)) == 0 &&
	          strcmp(out, "xn--bcher-kva.example") == 0,
	      "IDN to A-label");
	CHECK(audit_host_normalise("_acme-challenge.example.test", out, sizeof(out)) == 0,
	      "underscore labels allowed");
	CHECK(audit_host_normalise("a..b", out, sizeof(out)) == -1, "empty label refused");
	CHECK(audit_host_normalise("a b.test", out, sizeof(out)) == -1, "space refused");
	CHECK(audit_host_normalise("", out, sizeof(out)) == -1, "empty refused");
	CHECK(audit_host_normalise(
	          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", out,
	          sizeof(out)) == -1,
	      "64-octet label refused");
	CHECK(strcmp(audit_tld("www.example.test"), "test") == 0 &&
	          strcmp(audit_tld("lab"), "lab") == 0,
	      "TLD of a name");

	CHECK(url_host("https://acme.CA.test:8443/dir?x=1", out, sizeof(out), 0, &k) == 0 &&
	          strcmp(out, "acme.ca.test") == 0 && k == URL_HOST_NAME,
	      "URL host without port, lower case");
	CHECK(url_host("https://acme.ca.test:8443/dir", out, sizeof(out), 1, NULL) == 0 &&
	          strcmp(out, "acme.ca.test:8443") == 0,
	      "URL host with port");
	CHECK(url_host("http://user@ocsp.ca.test./", out, sizeof(out), 0, &k) == 0 &&
	          strcmp(out, "ocsp.ca.test") == 0,
	      "userinfo and trailing dot dropped");
	CHECK(url_host("http://127.0.0.1:8080", out, sizeof(out), 0, &k) == 0 && k == URL_HOST_IP,
	      "IPv4 literal");
	CHECK(url_host("http://[::1]:80/", out, sizeof(out), 0, &k) == 0 &&
	          strcmp(out, "::1") == 0 && k == URL_HOST_IP,
	      "IPv6 literal");
	CHECK(url_host("ldap://x.test/", out, sizeof(out), 0, &k) == -1, "not http(s)");
	CHECK(url_host("http:///path", out, sizeof(out), 0, &k) == -1, "no host");
	CHECK(url_host("http://x.test:80a/", out, sizeof(out), 0, &k) == -1, "bad port");
	CHECK(url_host("http://bad host/", out, sizeof(out), 0, &k) == -1, "space in host");
}

int main(void)
{
	psl_ctx_t *psl = psl_latest(NULL);

	if (psl == NULL)
		psl = (psl_ctx_t *)psl_builtin();
	test_names();
	test_status_rows();
	test_expiry_rows();
	test_rdap_failures();
	test_rdap_parts();
	test_rdap_unknown_status();
	test_generic_locks();
	test_resolve();
	test_delegation();
	test_ns(psl);
	test_state();
	test_redundancy();
	test_report();
	test_hosts(psl);
	if (psl != psl_builtin())
		psl_free(psl);
	return tap_done();
}

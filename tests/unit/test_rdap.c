/*
 * Unit tests for rdap.c: the status table (RDAP and EPP spellings), the
 * domain parser over every fixture of tests/fixtures/rdap/ (rendered the way
 * the lab server renders them) and over hostile input (bad JSON, wrong
 * object, wrong types, too deep, too many items, NUL bytes, oversized), the
 * referral merge, the bootstrap (longest suffix, https preferred, unusable
 * services, malformed files), the HTTP classification and Retry-After.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "audit/rdap.h"
#include "util/atomic.h"
#include "tap.h"

#ifndef HOLDFAST_SOURCE_ROOT
#define HOLDFAST_SOURCE_ROOT "."
#endif

#define NOW ((time_t)1800000000) /* 2027-01-15T08:00:00Z */

/* The fixture FILE rendered like tests/lab/rdap_server.py does: @NAME@,
 * @PORT@ and @DATE(+Nd)@ relative to NOW.  New string, or NULL. */
static char *fixture(const char *file, const char *name)
{
	char path[1024], *out = NULL, *p;
	unsigned char *raw = NULL;
	size_t len = 0, used = 0, cap;

	snprintf(path, sizeof(path), "%s/tests/fixtures/rdap/%s", HOLDFAST_SOURCE_ROOT, file);
	if (store_read_file(path, 1 << 20, &raw, &len) != 0)
		return NULL;
	cap = len * 2 + 256;
	out = malloc(cap);
	if (out == NULL) {
		free(raw);
		return NULL;
	}
	for (p = (char *)raw; *p != '\0';) {
		int n = 0;
		char unit = 0;
		if (strncmp(p, "@NAME@", 6) == 0) {
			used += (size_t)snprintf(out + used, cap - used, "%s", name);
			p += 6;
		} else if (strncmp(p, "@PORT@", 6) == 0) {
			used += (size_t)snprintf(out + used, cap - used, "8053");
			p += 6;
		} else if (sscanf(p, "@DATE(%d%c)@", &n, &unit) == 2) {
			time_t t = NOW + (time_t)n * (unit == 'd' ? 86400 : 3600);
			struct tm tm;
			gmtime_r(&t, &tm);
			used += strftime(out + used, cap - used, "%Y-%m-%dT%H:%M:%SZ", &tm);
			p = strchr(p + 1, '@') + 1;
		} else {
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
	free(raw);
	return out;
}

static int parse_fixture(const char *file, const char *name, struct rdap_domain *d, char *err,
                         size_t errlen)
{
	char *json = fixture(file, name);
	int rc;

	if (json == NULL) {
		snprintf(err, errlen, "fixture %s missing", file);
		return -2;
	}
	rc = rdap_domain_parse(json, strlen(json), d, err, errlen);
	free(json);
	return rc;
}

static void put(struct buf *b, const char *s)
{
	(void)buf_append(b, s, strlen(s));
}

static int parse_text(const char *json, struct rdap_domain *d, char *err, size_t errlen)
{
	return rdap_domain_parse(json, strlen(json), d, err, errlen);
}

static void test_status_table(void)
{
	char buf[256];

	CHECK(rdap_status_from_string("client hold") == RDAP_ST_CLIENT_HOLD, "RDAP form");
	CHECK(rdap_status_from_string("clientHold") == RDAP_ST_CLIENT_HOLD, "EPP form");
	CHECK(rdap_status_from_string("CLIENT HOLD") == RDAP_ST_CLIENT_HOLD, "any case");
	CHECK(rdap_status_from_string("serverTransferProhibited") ==
	          RDAP_ST_SERVER_TRANSFER_PROHIBITED,
	      "EPP serverTransferProhibited");
	CHECK(rdap_status_from_string("redemption period") == RDAP_ST_REDEMPTION_PERIOD,
	      "redemption period");
	CHECK(rdap_status_from_string("redemptionPeriod") == RDAP_ST_REDEMPTION_PERIOD,
	      "redemptionPeriod (RGP, RFC 3915)");
	CHECK(rdap_status_from_string("ok") == RDAP_ST_ACTIVE, "EPP ok is RDAP active");
	CHECK(rdap_status_from_string("client hold please") == -1, "unknown value");
	CHECK(rdap_status_from_string("") == -1 && rdap_status_from_string(NULL) == -1,
	      "empty and NULL");
	CHECK(strcmp(rdap_status_name(RDAP_ST_PENDING_DELETE), "pending delete") == 0 &&
	          strcmp(rdap_status_name(RDAP_ST_COUNT), "invalid") == 0,
	      "status names");
	for (int i = 0; i < RDAP_ST_COUNT; i++) {
		if (rdap_status_from_string(rdap_status_name((enum rdap_status)i)) != i) {
			CHECK(0, "every name maps back to its status");
			return;
		}
	}
	CHECK(1, "every name maps back to its status");
	rdap_status_list(RDAP_BIT(RDAP_ST_CLIENT_HOLD) | RDAP_BIT(RDAP_ST_INACTIVE), buf,
	                 sizeof(buf));
	CHECK(strcmp(buf, "inactive, client hold") == 0, "status list in table order");
	rdap_status_list(0, buf, sizeof(buf));
	CHECK(buf[0] == '\0', "empty status list");
	rdap_status_list(~0UL, buf, 20);
	CHECK(strlen(buf) < 20, "status list is cut to the buffer");
}

static void test_fixtures(void)
{
	struct rdap_domain d, reg;
	char err[256] = "";
	int rc;

	rc = parse_fixture("gtld-locked.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0, "gtld-locked parses");
	CHECK(strcmp(d.ldh_name, "example.test") == 0, "ldhName");
	CHECK(d.has_status && d.status == (RDAP_BIT(RDAP_ST_CLIENT_DELETE_PROHIBITED) |
	                                   RDAP_BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED) |
	                                   RDAP_BIT(RDAP_ST_CLIENT_UPDATE_PROHIBITED) |
	                                   RDAP_BIT(RDAP_ST_SERVER_DELETE_PROHIBITED) |
	                                   RDAP_BIT(RDAP_ST_SERVER_TRANSFER_PROHIBITED) |
	                                   RDAP_BIT(RDAP_ST_SERVER_UPDATE_PROHIBITED)),
	      "six lock statuses");
	CHECK(d.has_expiry && d.expires == NOW + 400 * 86400, "expiration event");
	CHECK(strcmp(d.registrar, "Lab Registrar One, Inc.") == 0, "registrar from vCard fn");
	CHECK(d.registrar_iana_id == 292, "IANA Registrar ID from publicIds");
	CHECK(d.ns_count == 2 && strcmp(d.nameservers[0], "ns1.dns-a.test") == 0 &&
	          strcmp(d.nameservers[1], "ns1.dns-b.lab") == 0,
	      "nameservers, lower case");
	CHECK(d.dnssec == 1, "secureDNS.delegationSigned true");
	CHECK(strcmp(d.registrar_url, "http://127.0.0.1:8053/registrar/domain/example.test") == 0,
	      "registrar referral: links rel related, rdap+json");
	CHECK(!rdap_domain_incomplete(&d), "a complete answer needs no referral");

	rc = parse_fixture("gtld-thin.json", "thin.test", &d, err, sizeof(err));
	CHECK(rc == 0 && rdap_domain_incomplete(&d) && !d.has_expiry && d.registrar[0] == '\0',
	      "thin registry answer: no expiry, no registrar -> incomplete");
	rc = parse_fixture("registrar-full.json", "thin.test", &reg, err, sizeof(err));
	CHECK(rc == 0 && reg.has_expiry && reg.expires == NOW + 200 * 86400,
	      "registrar answer: 'registrar expiration' is the expiry");
	rdap_domain_merge(&d, &reg);
	CHECK(d.has_expiry && d.expires == NOW + 200 * 86400 && d.registrar_iana_id == 1001 &&
	          strcmp(d.registrar, "Lab Registrar Two GmbH") == 0,
	      "merge fills expiry and registrar");
	CHECK(d.status == RDAP_BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED),
	      "merge keeps the registry's statuses");

	rc = parse_fixture("cctld.json", "example.lab", &d, err, sizeof(err));
	CHECK(rc == 0 && d.registrar_iana_id == 0 &&
	          strcmp(d.registrar, "Lab ccTLD Registrar B.V.") == 0,
	      "ccTLD: registrar without an IANA ID");
	CHECK(!d.has_expiry && d.dnssec == 0 && d.status == RDAP_BIT(RDAP_ST_ACTIVE) &&
	          d.registrar_url[0] == '\0',
	      "ccTLD: no expiry, unsigned, active, no referral");

	rc = parse_fixture("client-hold.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && (d.status & RDAP_BIT(RDAP_ST_CLIENT_HOLD)), "client hold");
	rc = parse_fixture("server-hold.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && (d.status & RDAP_BIT(RDAP_ST_SERVER_HOLD)), "server hold");
	rc = parse_fixture("inactive.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && (d.status & RDAP_BIT(RDAP_ST_INACTIVE)) && d.has_nameservers &&
	          d.ns_count == 0,
	      "inactive, empty nameservers array");
	rc = parse_fixture("redemption.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.status == RDAP_BIT(RDAP_ST_REDEMPTION_PERIOD) &&
	          d.expires == NOW - 20 * 86400,
	      "redemption period, expired 20 days ago");
	rc = parse_fixture("pending-delete.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.status == RDAP_BIT(RDAP_ST_PENDING_DELETE), "pending delete");
	rc = parse_fixture("pending-restore.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.status == RDAP_BIT(RDAP_ST_PENDING_RESTORE), "pending restore");
	rc = parse_fixture("pending-transfer.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && (d.status & RDAP_BIT(RDAP_ST_PENDING_TRANSFER)), "pending transfer");
	rc = parse_fixture("gtld-moved.json", "ca.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.registrar_iana_id == 9999 && d.dnssec == 0 &&
	          strcmp(d.nameservers[0], "ns1.elsewhere.lab") == 0,
	      "moved: other registrar, nameservers, unsigned");

	rc = parse_fixture("invalid.json", "x.test", &d, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "invalid JSON") != NULL, "truncated JSON is refused");
	rc = parse_fixture("not-domain.json", "x.test", &d, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "objectClassName") != NULL, "an entity is not a domain");
}

static void test_hostile(void)
{
	struct rdap_domain d;
	struct buf b;
	char err[256], *big;
	size_t i, n;
	int rc;

	CHECK(parse_text("[]", &d, err, sizeof(err)) == -1, "array root refused");
	CHECK(parse_text("", &d, err, sizeof(err)) == -1, "empty body refused");
	/* Issue 14: a missing or unusable ldhName is that part's problem, not
	 * a refusal of the whole answer. */
	CHECK(parse_text("{\"objectClassName\":\"domain\"}", &d, err, sizeof(err)) == 0 &&
	          d.ldh_name[0] == '\0' && (d.problems & RDAP_PART_BIT(RDAP_PART_OBJECT)) &&
	          strstr(d.problem[RDAP_PART_OBJECT], "ldhName") != NULL,
	      "no ldhName: the object part's problem");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"a b.test\"}", &d, err,
	                 sizeof(err)) == 0 &&
	          d.ldh_name[0] == '\0' && strstr(d.problem[RDAP_PART_OBJECT], "a b.test") != NULL,
	      "ldhName with a space: the object part's problem, naming it");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"a\\u0000b.test\"}", &d, err,
	                 sizeof(err)) == -1,
	      "ldhName with a NUL byte refused");
	/* Issue 14: a bare status string is that one value. */
	CHECK(
	    parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"status\":\"client "
	               "hold\"}",
	               &d, err, sizeof(err)) == 0 &&
	        d.has_status && d.status == RDAP_BIT(RDAP_ST_CLIENT_HOLD) && d.problems == 0,
	    "status as a string: read as that value");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"status\":[1]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.has_status && d.status == 0 && (d.problems & RDAP_PART_BIT(RDAP_PART_STATUS)) &&
	          strstr(d.problem[RDAP_PART_STATUS], "a number") != NULL,
	      "non-string status: the status part's problem");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"ldhName\":\"y."
	                 "test\"}",
	                 &d, err, sizeof(err)) == -1,
	      "duplicate keys refused");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"events\":[{"
	                 "\"eventAction\":\"expiration\",\"eventDate\":\"soon\"}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          !d.has_expiry && (d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS)) &&
	          strstr(d.problem[RDAP_PART_EVENTS], "\"soon\"") != NULL,
	      "expiration with a bad date: the events part's problem, naming the date");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"nameservers\":[{"
	                 "\"ldhName\":\"ns1.\\nevil\"}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.ns_count == 0 && (d.problems == RDAP_PART_BIT(RDAP_PART_NAMESERVERS)) &&
	          strchr(d.problem[RDAP_PART_NAMESERVERS], '\n') == NULL &&
	          strstr(d.problem[RDAP_PART_NAMESERVERS], "ns1.<U+000A>evil") != NULL,
	      "nameserver with a newline: not kept; the problem shows it escaped");
	CHECK(parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"secureDNS\":{"
	                 "\"delegationSigned\":\"yes\"}}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.dnssec == -1 && (d.problems == RDAP_PART_BIT(RDAP_PART_SECURE_DNS)),
	      "delegationSigned \"yes\": the secureDNS part's problem");
	rc = parse_text(
	    "{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"status\":[\"client "
	    "hold\",\"weird\\u0007status\"],\"entities\":[{\"roles\":[\"registrar\"],"
	    "\"vcardArray\":[\"vcard\",[[\"fn\",{},\"text\",\"Evil\\nRegistrar\"]]]}]}",
	    &d, err, sizeof(err));
	CHECK(rc == 0 && strchr(d.registrar, '\n') == NULL && strchr(d.unknown_status, 7) == NULL &&
	          strstr(d.unknown_status, "weird") != NULL,
	      "control bytes in free text are replaced, unknown statuses kept");
	rc = parse_text("{\"objectClassName\":\"domain\",\"ldhName\":\"X.TEST.\"}", &d, err,
	                sizeof(err));
	CHECK(rc == 0 && strcmp(d.ldh_name, "x.test") == 0 && !d.has_status && d.dnssec == -1,
	      "minimal domain: lower case, no trailing dot, nothing else known");

	/* 300 statuses: over RDAP_ARRAY_MAX. */
	buf_init(&b, 1 << 20);
	put(&b, "{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"status\":[");
	for (i = 0; i < 300; i++)
		put(&b, i ? ",\"active\"" : "\"active\"");
	put(&b, "]}");
	/* Issue 14: 300 values are read, every one. */
	CHECK(parse_text((char *)b.data, &d, err, sizeof(err)) == 0 && d.has_status &&
	          d.status == RDAP_BIT(RDAP_ST_ACTIVE) && d.problems == 0,
	      "300 statuses: all read");
	buf_free(&b);

	/* Past RDAP_STATUS_VALUES_MAX: the first ones read, the rest a problem. */
	buf_init(&b, 1 << 20);
	put(&b, "{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"status\":[");
	for (i = 0; i < RDAP_STATUS_VALUES_MAX + 5; i++)
		put(&b, i ? ",\"active\"" : "\"client hold\"");
	put(&b, "]}");
	CHECK(parse_text((char *)b.data, &d, err, sizeof(err)) == 0 &&
	          (d.status & RDAP_BIT(RDAP_ST_CLIENT_HOLD)) &&
	          strstr(d.problem[RDAP_PART_STATUS], "more than") != NULL,
	      "more statuses than read: the hold kept, the rest a problem");
	buf_free(&b);

	/* 40 levels of nesting in an ignored member. */
	buf_init(&b, 1 << 20);
	put(&b, "{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"x\":");
	for (i = 0; i < 40; i++)
		put(&b, "[");
	for (i = 0; i < 40; i++)
		put(&b, "]");
	put(&b, "}");
	CHECK(parse_text((char *)b.data, &d, err, sizeof(err)) == -1 &&
	          strstr(err, "deeper") != NULL,
	      "nesting deeper than the limit refused");
	buf_free(&b);

	/* More than RDAP_BODY_MAX bytes. */
	n = RDAP_BODY_MAX + 10;
	big = malloc(n + 1);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	CHECK(rdap_domain_parse(big, n, &d, err, sizeof(err)) == -1 &&
	          strstr(err, "larger") != NULL,
	      "oversized answer refused before parsing");
	free(big);

	/* More nameservers than kept: the first RDAP_NS_MAX, no failure. */
	buf_init(&b, 1 << 20);
	put(&b, "{\"objectClassName\":\"domain\",\"ldhName\":\"x.test\",\"nameservers\":[");
	for (i = 0; i < 40; i++) {
		char one[64];
		snprintf(one, sizeof(one), "%s{\"ldhName\":\"ns%zu.x.test\"}", i ? "," : "", i);
		put(&b, one);
	}
	put(&b, "]}");
	CHECK(parse_text((char *)b.data, &d, err, sizeof(err)) == 0 && d.ns_count == RDAP_NS_MAX,
	      "40 nameservers: the first 16 kept");
	buf_free(&b);
}

static const char bootstrap_json[] =
    "{\"version\":\"1.0\",\"publication\":\"2026-01-01T00:00:00Z\",\"services\":["
    "[[\"test\",\"lab\"],[\"http://rdap.lab.example/\",\"https://rdap.lab.example/v1/\"]],"
    "[[\"co.lab\"],[\"http://co.lab.example/rdap\"]],"
    "[[\"example\"],[\"ftp://nowhere/\"]],"
    "[[\"bad label\",\"ok\"],[\"https://ok.example/\"]]]}";

static void test_bootstrap(void)
{
	struct rdap_bootstrap *bs;
	char url[RDAP_URL_MAX], err[256];

	bs = rdap_bootstrap_parse(bootstrap_json, strlen(bootstrap_json), err, sizeof(err));
	CHECK(bs != NULL, "bootstrap parses");
	CHECK(rdap_bootstrap_lookup(bs, "example.test", url, sizeof(url)) == 0 &&
	          strcmp(url, "https://rdap.lab.example/v1/") == 0,
	      "TLD match, https preferred");
	CHECK(rdap_bootstrap_lookup(bs, "shop.co.lab", url, sizeof(url)) == 0 &&
	          strcmp(url, "http://co.lab.example/rdap") == 0,
	      "longest suffix wins (co.lab over lab)");
	CHECK(rdap_bootstrap_lookup(bs, "plain.lab", url, sizeof(url)) == 0 &&
	          strcmp(url, "https://rdap.lab.example/v1/") == 0,
	      "shorter suffix otherwise");
	CHECK(rdap_bootstrap_lookup(bs, "x.example", url, sizeof(url)) == -1,
	      "a service with only unusable URLs is no service");
	CHECK(rdap_bootstrap_lookup(bs, "x.nowhere", url, sizeof(url)) == -1, "unknown TLD");
	CHECK(rdap_bootstrap_lookup(bs, "a.ok", url, sizeof(url)) == 0,
	      "a bad suffix does not spoil its service");
	CHECK(rdap_bootstrap_lookup(bs, "example.test", url, 8) == -1, "URL too long for dst");
	rdap_bootstrap_free(bs);
	rdap_bootstrap_free(NULL);

	CHECK(rdap_bootstrap_parse("{}", 2, err, sizeof(err)) == NULL &&
	          strstr(err, "services") != NULL,
	      "no services array refused");
	CHECK(rdap_bootstrap_parse("{\"services\":[[\"x\"]]}", 19, err, sizeof(err)) == NULL,
	      "malformed service refused");
	CHECK(rdap_bootstrap_parse("nope", 4, err, sizeof(err)) == NULL, "not JSON refused");

	CHECK(rdap_domain_url("https://r.example/", "x.test", url, sizeof(url)) == 0 &&
	          strcmp(url, "https://r.example/domain/x.test") == 0,
	      "domain URL with a trailing slash");
	CHECK(rdap_domain_url("https://r.example/v1", "x.test", url, sizeof(url)) == 0 &&
	          strcmp(url, "https://r.example/v1/domain/x.test") == 0,
	      "domain URL without a trailing slash");
	CHECK(rdap_domain_url("https://r.example/v1", "x.test", url, 10) == -1,
	      "domain URL too long");
}

static void test_classify(void)
{
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "application/rdap+json") == RDAP_OK, "rdap+json");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "application/rdap+json; charset=utf-8") ==
	          RDAP_OK,
	      "with parameters");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "Application/JSON") == RDAP_OK,
	      "application/json accepted");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "text/html") == RDAP_CONTENT_TYPE,
	      "text/html refused");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "application/jsonx") == RDAP_CONTENT_TYPE,
	      "prefix is not enough");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 200, "") == RDAP_CONTENT_TYPE, "no content type");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 404, "application/rdap+json") == RDAP_NOT_FOUND,
	      "404");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 429, "") == RDAP_RATE_LIMITED, "429");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 500, "") == RDAP_SERVER_ERROR &&
	          rdap_classify(HTTP_OUTCOME_OK, 503, "") == RDAP_SERVER_ERROR,
	      "5xx");
	CHECK(rdap_classify(HTTP_OUTCOME_OK, 302, "") == RDAP_HTTP_STATUS, "other status");
	CHECK(rdap_classify(HTTP_OUTCOME_TIMEOUT, 0, "") == RDAP_UNREACHABLE &&
	          rdap_classify(HTTP_OUTCOME_RESOLVE, 0, "") == RDAP_UNREACHABLE,
	      "transport failures");
	CHECK(rdap_classify(HTTP_OUTCOME_TOO_LARGE, 200, "application/rdap+json") == RDAP_TOO_LARGE,
	      "too large");
	CHECK(strcmp(rdap_outcome_name(RDAP_RATE_LIMITED), "rate-limited") == 0 &&
	          strcmp(rdap_outcome_name(RDAP_OUTCOME_COUNT), "invalid") == 0,
	      "outcome names");
}

static void test_retry_after(void)
{
	CHECK(rdap_retry_after_seconds("5", NOW) == 5, "delta-seconds");
	CHECK(rdap_retry_after_seconds("0", NOW) == 0, "zero");
	CHECK(rdap_retry_after_seconds(NULL, NOW) == RDAP_RETRY_AFTER_DEFAULT, "absent");
	CHECK(rdap_retry_after_seconds("soon", NOW) == RDAP_RETRY_AFTER_DEFAULT, "garbage");
	CHECK(rdap_retry_after_seconds("5x", NOW) == RDAP_RETRY_AFTER_DEFAULT, "trailing garbage");
	CHECK(rdap_retry_after_seconds("Fri, 15 Jan 2027 08:00:42 GMT", NOW) == 42, "HTTP-date");
	CHECK(rdap_retry_after_seconds("Fri, 15 Jan 2027 07:00:00 GMT", NOW) == 0,
	      "HTTP-date in the past");
}

int main(void)
{
	test_status_table();
	test_fixtures();
	test_hostile();
	test_bootstrap();
	test_classify();
	test_retry_after();
	return tap_done();
}

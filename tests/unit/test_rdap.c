/*
 * Unit tests for rdap_parse.c and rdap_bootstrap.c: the status table (RDAP
 * and EPP spellings), the domain parser over every fixture of
 * tests/fixtures/rdap/ (rendered the way the lab server renders them), over
 * the answers issue 14 saw real registries send (each part read on its own,
 * an unreadable part named with its reason), over RDAP dates, and over
 * hostile input (bad JSON, wrong object, wrong types, too deep, too many
 * items, NUL bytes, oversized), the referral merge, the bootstrap (longest
 * suffix, https preferred, unusable services, malformed files), the HTTP
 * classification and Retry-After.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "audit/rdap.h"
#include "audit/rules.h"
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

/* The time of Y-M-D h:m:s UTC, computed apart from the parser under test. */
static time_t utc(int y, int mo, int d, int h, int mi, int sec)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return timegm(&tm);
}

/* Issue 14, "Seen": answers real registries send, each read part by part. */
static void test_seen_answers(void)
{
	struct rdap_domain d, reg;
	char err[256] = "", *json, *with;
	const unsigned long four = RDAP_BIT(RDAP_ST_CLIENT_HOLD) | RDAP_BIT(RDAP_ST_SERVER_HOLD) |
	                           RDAP_BIT(RDAP_ST_REDEMPTION_PERIOD) |
	                           RDAP_BIT(RDAP_ST_PENDING_DELETE);
	const unsigned long locks = RDAP_BIT(RDAP_ST_CLIENT_DELETE_PROHIBITED) |
	                            RDAP_BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED) |
	                            RDAP_BIT(RDAP_ST_CLIENT_UPDATE_PROHIBITED) |
	                            RDAP_BIT(RDAP_ST_SERVER_DELETE_PROHIBITED) |
	                            RDAP_BIT(RDAP_ST_SERVER_TRANSFER_PROHIBITED) |
	                            RDAP_BIT(RDAP_ST_SERVER_UPDATE_PROHIBITED);
	const time_t may1 = utc(2031, 5, 1, 12, 0, 0);
	size_t n;
	int rc;

	/* Nominet: no objectClassName, four statuses. */
	rc = parse_fixture("nominet-hold.json", "example.uk", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_status && d.status == four &&
	          strcmp(d.ldh_name, "example.uk") == 0,
	      "Nominet without objectClassName: read, all four statuses, no problem");
	CHECK(strcmp(d.registrar, "Lab Registrar Ltd") == 0 && d.registrar_iana_id == 0 &&
	          d.dnssec == 0 && d.has_expiry && d.expires == NOW - 40 * 86400,
	      "Nominet: registrar, unsigned, expired 40 days ago");
	json = fixture("nominet-hold.json", "example.uk");
	n = json ? strlen(json) : 0;
	with = malloc(n + 40);
	if (json != NULL && with != NULL) {
		snprintf(with, n + 40, "{\"objectClassName\": \"domain\",%s", json + 1);
		rc = parse_text(with, &d, err, sizeof(err));
	} else {
		rc = -2;
	}
	CHECK(rc == 0 && d.status == four && d.problems == 0,
	      "Nominet with objectClassName added: the same");
	free(json);
	free(with);

	/* Dates as registries send them. */
	rc = parse_fixture("event-date-no-timezone.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_expiry && d.expires == may1,
	      "eventDate without a timezone: UTC");
	rc = parse_fixture("event-date-only.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_expiry && d.expires == may1 - 12 * 3600,
	      "eventDate with the date only: midnight UTC");
	rc = parse_fixture("event-date-space.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_expiry && d.expires == may1,
	      "eventDate with a space separator");
	rc = parse_fixture("event-date-offset-0100.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_expiry && d.expires == may1 - 3600,
	      "eventDate with +0100 (no colon)");
	rc = parse_fixture("events-second-bad.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.has_expiry && d.expires == NOW + 400 * 86400 &&
	          d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS) &&
	          strstr(d.problem[RDAP_PART_EVENTS], "0000-00-00T00:00:00Z") != NULL &&
	          d.status == locks,
	      "a second, bad expiration beside a good one: the good one kept, the bad one named");

	/* Other members that used to refuse the whole answer. */
	rc = parse_fixture("status-string.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_status &&
	          d.status == RDAP_BIT(RDAP_ST_CLIENT_HOLD),
	      "status as a string: that status");
	rc = parse_fixture("dnssec-string-true.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.dnssec == 1, "delegationSigned \"true\": signed");
	rc = parse_fixture("status-300.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.status == (locks | RDAP_BIT(RDAP_ST_CLIENT_HOLD)),
	      "300 status values: all read, the hold at the end too");
	rc = parse_fixture("class-case.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.status == locks,
	      "objectClassName \"Domain\": a domain");
	CHECK(parse_text("{\"objectClassName\":\"Entity\",\"ldhName\":\"x.test\"}", &d, err,
	                 sizeof(err)) == -1 &&
	          strstr(err, "Entity") != NULL,
	      "objectClassName naming something else: refused, naming it");
	CHECK(parse_text("{\"errorCode\":404,\"title\":\"Not Found\"}", &d, err, sizeof(err)) ==
	              -1 &&
	          strstr(err, "error object") != NULL,
	      "an RDAP error object with status 200: refused");
	CHECK(parse_text("{\"handle\":\"X\",\"roles\":[\"registrant\"]}", &d, err, sizeof(err)) ==
	              -1 &&
	          strstr(err, "no member of a domain") != NULL,
	      "no objectClassName and nothing of a domain: refused");

	/* Status values with the EPP URL; only unknown values. */
	rc = parse_fixture("status-epp-url.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.unknown_status[0] == '\0' &&
	          d.status ==
	              (RDAP_BIT(RDAP_ST_CLIENT_HOLD) | RDAP_BIT(RDAP_ST_CLIENT_DELETE_PROHIBITED) |
	               RDAP_BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED) |
	               RDAP_BIT(RDAP_ST_CLIENT_UPDATE_PROHIBITED)),
	      "a code followed by its EPP URL is that code");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"status\":[\"serverHold "
	                 "(https://icann.org/epp#serverHold)\",\"clientHold, "
	                 "pendingDelete\"]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.status == (RDAP_BIT(RDAP_ST_SERVER_HOLD) | RDAP_BIT(RDAP_ST_CLIENT_HOLD) |
	                       RDAP_BIT(RDAP_ST_PENDING_DELETE)),
	      "a URL in parentheses; two values in one string");
	rc = parse_fixture("status-unknown.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.has_status && d.status == 0 &&
	          strcmp(d.unknown_status, "frozen, awaiting verification") == 0,
	      "only unknown values: kept by name, no known status");

	/* Dates that do not exist: that event refused, the rest counts. */
	rc = parse_fixture("date-feb-30.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && !d.has_expiry && d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS) &&
	          strstr(d.problem[RDAP_PART_EVENTS], "2027-02-30") != NULL && d.status == locks,
	      "2027-02-30: the expiration refused (named), the statuses kept");
	rc = parse_fixture("date-apr-31.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && !d.has_expiry && d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS) &&
	          strstr(d.problem[RDAP_PART_EVENTS], "2027-04-31") != NULL,
	      "2027-04-31 refused");
	rc = parse_fixture("date-short-fields.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && !d.has_expiry && d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS),
	      "2027-1-1 refused");
	rc = parse_fixture("date-year-0.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && !d.has_expiry && d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS),
	      "year 0000 refused");
	rc = parse_fixture("hold-bad-date.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && (d.status & RDAP_BIT(RDAP_ST_CLIENT_HOLD)) && !d.has_expiry &&
	          d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS),
	      "a hold beside an impossible date: the hold kept");

	/* The registrar referral without the rdap+json type. */
	rc = parse_fixture("referral-untyped.json", "thin.test", &d, err, sizeof(err));
	CHECK(rc == 0 && rdap_domain_incomplete(&d) &&
	          strcmp(d.registrar_url, "http://127.0.0.1:8053/registrar/domain/thin.test") == 0,
	      "a related link without a type is the referral");
	rc = parse_fixture("referral-json-type.json", "thin.test", &d, err, sizeof(err));
	CHECK(rc == 0 &&
	          strcmp(d.registrar_url, "http://127.0.0.1:8053/registrar/domain/thin.test") == 0,
	      "a related link typed application/json is the referral");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"links\":[{\"rel\":\"related\",\"href\":"
	                 "\"https://registrar.example/whois?q=x.test\"},{\"rel\":\"related\","
	                 "\"type\":\"text/html\",\"href\":\"https://r.example/domain/x.test\"}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.registrar_url[0] == '\0',
	      "untyped links that are no RDAP URL, and HTML links, are not followed");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"links\":[{\"rel\":\"related\",\"href\":"
	                 "\"https://a.example/domain/x.test\"},{\"rel\":\"related\",\"type\":"
	                 "\"application/rdap+json\",\"href\":\"https://b.example/rdap/domain/"
	                 "x.test\"}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          strcmp(d.registrar_url, "https://b.example/rdap/domain/x.test") == 0,
	      "an rdap+json link is preferred to an untyped one");

	/* The registrar's name and IANA id. */
	rc = parse_fixture("registrar-org-only.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && strcmp(d.registrar, "Lab Registrar One, Inc.") == 0,
	      "vCard with only org: the registrar is the org");
	rc = parse_fixture("registrar-empty-fn.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.registrar[0] == '\0' && d.registrar_iana_id == 292,
	      "empty fn: no name (never the handle), the IANA id kept");
	rc = parse_fixture("iana-id-number.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.registrar_iana_id == 292, "IANA id as a number");
	rc = parse_fixture("iana-id-padded.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.registrar_iana_id == 292,
	      "IANA id padded with spaces");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"entities\":[{\"roles\":[\"registrar\"],"
	                 "\"publicIds\":[{\"type\":\"IANA Registrar ID\",\"identifier\":"
	                 "\"n/a\"}]}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.registrar_iana_id == 0 && d.problems == RDAP_PART_BIT(RDAP_PART_ENTITIES) &&
	          strstr(d.problem[RDAP_PART_ENTITIES], "n/a") != NULL,
	      "an IANA id that is no number: the entities part's problem");
	rc = parse_fixture("registrar-bidi.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && strcmp(d.registrar, "Lab <U+202E>Registrar One") == 0 &&
	          strstr(d.registrar, "\xe2\x80\xae") == NULL,
	      "a right-to-left override is written <U+202E>, never raw");

	/* DNSSEC from dsData alone. */
	rc = parse_fixture("dnssec-dsdata-only.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.problems == 0 && d.dnssec == 1,
	      "dsData without delegationSigned: signed");

	/* Expiration action names; the soonest of several. */
	rc = parse_fixture("events-registration-expiration.json", "example.test", &d, err,
	                   sizeof(err));
	CHECK(rc == 0 && d.has_expiry && d.expires == NOW + 300 * 86400,
	      "\"registration expiration\" is an expiration");
	rc = parse_fixture("events-expiry.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.has_expiry && d.expires == NOW + 200 * 86400,
	      "\"expiry\" is an expiration");
	rc = parse_fixture("events-expiration-date.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.has_expiry && d.expires == NOW + 100 * 86400,
	      "\"expiration date\" is an expiration");
	rc = parse_fixture("events-two-expirations.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.has_expiry && d.expires == NOW + 40 * 86400,
	      "two expirations: the second, sooner, wins");

	/* Generic lock values. */
	rc = parse_fixture("status-generic-locks.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.status == (RDAP_BIT(RDAP_ST_TRANSFER_PROHIBITED) |
	                              RDAP_BIT(RDAP_ST_UPDATE_PROHIBITED) |
	                              RDAP_BIT(RDAP_ST_DELETE_PROHIBITED)),
	      "generic transfer/update/delete prohibited read");
	rc = parse_fixture("status-locked.json", "example.test", &d, err, sizeof(err));
	CHECK(rc == 0 && d.status == RDAP_BIT(RDAP_ST_LOCKED), "\"locked\" read");

	/* Merge: the registrar's answer fills a part the registry could not say. */
	rc = parse_fixture("date-feb-30.json", "thin.test", &d, err, sizeof(err));
	rc |= parse_fixture("registrar-full.json", "thin.test", &reg, err, sizeof(err));
	CHECK(rc == 0 && rdap_domain_incomplete(&d),
	      "an unreadable expiry makes the answer incomplete");
	rdap_domain_merge(&d, &reg);
	CHECK(d.has_expiry && d.expires == NOW + 200 * 86400 && d.problems == 0 &&
	          d.filled == RDAP_PART_BIT(RDAP_PART_EVENTS) &&
	          strstr(d.problem[RDAP_PART_EVENTS], "2027-02-30") != NULL,
	      "merge: expiry from the registrar, the registry's problem moves to filled");
	rc = parse_fixture("gtld-thin.json", "thin.test", &d, err, sizeof(err));
	rc |= parse_fixture("date-feb-30.json", "thin.test", &reg, err, sizeof(err));
	rdap_domain_merge(&d, &reg);
	CHECK(rc == 0 && !d.has_expiry && d.problems == RDAP_PART_BIT(RDAP_PART_EVENTS) &&
	          strncmp(d.problem[RDAP_PART_EVENTS], "in the registrar's answer: ", 27) == 0,
	      "merge: a part neither answer gave keeps the registrar's reason, saying whose");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"status\":[\"active\",{\"v\":1}]}", &d, err,
	                 sizeof(err)) == 0 &&
	          rdap_domain_incomplete(&d),
	      "a status list read in part makes the answer incomplete");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"status\":[\"client hold\"]}", &reg, err,
	                 sizeof(err)) == 0,
	      "registrar status parses");
	rdap_domain_merge(&d, &reg);
	CHECK(d.status == (RDAP_BIT(RDAP_ST_ACTIVE) | RDAP_BIT(RDAP_ST_CLIENT_HOLD)) &&
	          (d.problems & RDAP_PART_BIT(RDAP_PART_STATUS)),
	      "merge: the registrar's hold is added to a status list read in part");
}

static void test_date_parse(void)
{
	time_t t;
	const time_t base = utc(2027, 3, 1, 0, 0, 0);

	CHECK(rdap_date_parse("2027-03-01T00:00:00Z", &t) == 0 && t == base, "RFC 3339 Z");
	CHECK(rdap_date_parse("2027-03-01t00:00:00z", &t) == 0 && t == base, "lower-case t and z");
	CHECK(rdap_date_parse("2027-03-01T00:00:00.123456Z", &t) == 0 && t == base,
	      "fraction dropped");
	CHECK(rdap_date_parse("2027-03-01T01:30:00+01:30", &t) == 0 && t == base, "+01:30");
	CHECK(rdap_date_parse("2027-02-28T19:00:00-05:00", &t) == 0 && t == base, "-05:00");
	CHECK(rdap_date_parse("2027-03-01T01:00:00+01", &t) == 0 && t == base, "+01");
	CHECK(rdap_date_parse("2027-03-01T00:00", &t) == 0 && t == base, "no seconds");
	CHECK(rdap_date_parse("2028-02-29", &t) == 0 && t == utc(2028, 2, 29, 0, 0, 0),
	      "leap day in a leap year");
	CHECK(rdap_date_parse("2027-02-29", &t) == -1, "no 29 February in 2027");
	CHECK(rdap_date_parse("2100-02-29", &t) == -1, "no 29 February in 2100");
	CHECK(rdap_date_parse("2000-02-29T00:00:00Z", &t) == 0, "29 February 2000");
	CHECK(rdap_date_parse("2027-13-01", &t) == -1 && rdap_date_parse("2027-00-10", &t) == -1 &&
	          rdap_date_parse("2027-01-00", &t) == -1,
	      "month 13, month 0, day 0 refused");
	CHECK(rdap_date_parse("2027-01-01T24:00:00Z", &t) == -1 &&
	          rdap_date_parse("2027-01-01T23:60:00Z", &t) == -1,
	      "hour 24, minute 60 refused");
	CHECK(rdap_date_parse("1899-12-31", &t) == -1 && rdap_date_parse("10000-01-01", &t) == -1,
	      "years outside 1900-9999 refused");
	CHECK(rdap_date_parse("2027-01-01T00:00:00Zjunk", &t) == -1 &&
	          rdap_date_parse("2027-01-01T00:00:00+1", &t) == -1 &&
	          rdap_date_parse("2027-01-01T00:00:00+25:00", &t) == -1 &&
	          rdap_date_parse("2027-01-01T00:00:00+01:", &t) == -1 &&
	          rdap_date_parse("2027-01-01T00:00:00+013", &t) == -1 &&
	          rdap_date_parse("2027-01-01T", &t) == -1 && rdap_date_parse("", &t) == -1 &&
	          rdap_date_parse(NULL, &t) == -1,
	      "trailing garbage, bad offsets, a cut time, empty, NULL refused");
	CHECK(rdap_date_parse("9999-12-31T23:59:59Z", &t) == 0 &&
	          t == utc(9999, 12, 31, 23, 59, 59),
	      "year 9999");
}

static void test_parts(void)
{
	struct rdap_domain d;
	char err[256];

	CHECK(strcmp(rdap_part_name(RDAP_PART_EVENTS), "events") == 0 &&
	          strcmp(rdap_part_name(RDAP_PART_SECURE_DNS), "secureDNS") == 0 &&
	          strcmp(rdap_part_name(RDAP_PART_COUNT), "invalid") == 0,
	      "part names are the JSON members");
	/* Every part broken at once: each named, the hold still read. */
	CHECK(parse_text("{\"ldhName\":7,\"status\":[\"client hold\",3],\"events\":{},"
	                 "\"entities\":\"x\",\"nameservers\":[1],\"secureDNS\":[],\"links\":1}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.problems == (RDAP_PART_BIT(RDAP_PART_COUNT) - 1) &&
	          (d.status & RDAP_BIT(RDAP_ST_CLIENT_HOLD)),
	      "every part unreadable: seven problems, the hold kept");
	CHECK(strstr(d.problem[RDAP_PART_EVENTS], "an object") != NULL &&
	          strstr(d.problem[RDAP_PART_ENTITIES], "a string") != NULL &&
	          strstr(d.problem[RDAP_PART_SECURE_DNS], "an array") != NULL &&
	          strstr(d.problem[RDAP_PART_LINKS], "a number") != NULL,
	      "each reason says what the part was");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"status\":[1,2,3]}", &d, err, sizeof(err)) ==
	              0 &&
	          strstr(d.problem[RDAP_PART_STATUS], "(and more)") != NULL &&
	          strstr(d.problem[RDAP_PART_STATUS], "(and more) (and more)") == NULL,
	      "several problems in one part: the first, \"(and more)\" once");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"entities\":[5,{\"roles\":\"registrar\","
	                 "\"vcardArray\":[\"vcard\",[[\"fn\",{},\"text\",\"  Reg  \"]]]}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.problems == 0 && strcmp(d.registrar, "Reg") == 0,
	      "a junk entity beside the registrar is no problem; roles as a string; name trimmed");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"entities\":[{\"roles\":[\"registrar\"],"
	                 "\"vcardArray\":{\"fn\":\"Reg\"}}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.problems == RDAP_PART_BIT(RDAP_PART_ENTITIES) && d.registrar[0] == '\0',
	      "a vcardArray that is no jCard: the entities part's problem");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"secureDNS\":{\"delegationSigned\":\"no\","
	                 "\"dsData\":[{\"keyTag\":1}]}}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.problems == 0 && d.dnssec == 1,
	      "an unreadable delegationSigned beside dsData: signed");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"secureDNS\":{\"delegationSigned\":false,"
	                 "\"dsData\":[{\"keyTag\":1}]}}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.dnssec == 0,
	      "delegationSigned false is believed over dsData");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"status\":[\"\\u200bclientHold\","
	                 "\"weird\\u202evalue\"]}",
	                 &d, err, sizeof(err)) == 0 &&
	          strstr(d.unknown_status, "<U+200B>clientHold") != NULL &&
	          strstr(d.unknown_status, "weird<U+202E>value") != NULL,
	      "invisible characters in status values are shown escaped");
	CHECK(parse_text("{\"ldhName\":\"x.test\",\"links\":[{\"rel\":\"related\",\"type\":"
	                 "\"application/rdap+json\",\"href\":\"https://r.example/domain/"
	                 "\\u202ex.test\"}]}",
	                 &d, err, sizeof(err)) == 0 &&
	          d.registrar_url[0] == '\0',
	      "a referral URL with non-ASCII bytes is not followed");
}

/* The findings audit_rdap_findings() makes of fixture FILE answered for
 * name (an important domain), into r; 0, or -1 when it does not parse. */
static int fixture_findings(const char *file, const char *name, struct audit_report *r)
{
	static struct rdap_result res; /* large: not on the stack */
	char err[256];

	memset(&res, 0, sizeof(res));
	if (parse_fixture(file, name, &res.domain, err, sizeof(err)) != 0)
		return -1;
	res.outcome = RDAP_OK;
	snprintf(res.url, sizeof(res.url), "http://127.0.0.1:8053/rdap/domain/%s", name);
	audit_rdap_findings(r, name, &res, 1, NOW);
	return 0;
}

/* 1 when r has a finding of check c with severity s whose evidence holds
 * every one of the NULL-terminated texts. */
static int finding(const struct audit_report *r, enum audit_check c, enum audit_severity s, ...)
{
	va_list ap;
	const char *t;
	size_t i;
	int all;

	for (i = 0; i < r->count; i++) {
		if (r->items[i].check != c || r->items[i].severity != s)
			continue;
		all = 1;
		va_start(ap, s);
		while ((t = va_arg(ap, const char *)) != NULL)
			all &= strstr(r->items[i].evidence, t) != NULL;
		va_end(ap);
		if (all)
			return 1;
	}
	return 0;
}

/* How many findings of check c r has. */
static size_t findings_of(const struct audit_report *r, enum audit_check c)
{
	size_t i, n = 0;

	for (i = 0; i < r->count; i++)
		n += r->items[i].check == c;
	return n;
}

/* Issue 14, "Seen": what the audit reports for each answer. */
static void test_seen_findings(void)
{
	struct audit_report r = {0};
	int rc;

	rc = fixture_findings("nominet-hold.json", "example.uk", &r);
	CHECK(rc == 0 && audit_report_worst(&r) == AUDIT_CRITICAL &&
	          finding(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold", "server hold",
	                  "redemption period", "pending delete", NULL) &&
	          audit_severity_exit(audit_report_worst(&r)) == 2,
	      "Nominet: CRITICAL naming all four statuses, exit 2");
	audit_report_free(&r);

	rc = fixture_findings("hold-bad-date.json", "example.test", &r);
	CHECK(
	    rc == 0 && finding(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold", NULL) &&
	        finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_UNKNOWN, "\"events\"", "2027-02-30", NULL) &&
	        audit_report_worst(&r) == AUDIT_CRITICAL,
	    "a hold beside an impossible date: CRITICAL, and the events part UNKNOWN beside it");
	audit_report_free(&r);

	rc = fixture_findings("date-feb-30.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_UNKNOWN, "2027-02-30", NULL) &&
	          !finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_INFO, NULL) &&
	          finding(&r, AUDIT_CHECK_STATUS, AUDIT_OK, NULL) &&
	          finding(&r, AUDIT_CHECK_REGISTRY_LOCK, AUDIT_OK, NULL) &&
	          audit_report_worst(&r) == AUDIT_UNKNOWN,
	      "an impossible date: expiry UNKNOWN naming it (not \"no date published\"), the "
	      "rest OK");
	audit_report_free(&r);

	rc = fixture_findings("events-second-bad.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_OK, "in 400 days", NULL) &&
	          finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_UNKNOWN, "0000-00-00", NULL),
	      "a bad second expiration: the good one's verdict and the bad one UNKNOWN");
	audit_report_free(&r);

	rc = fixture_findings("status-epp-url.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold", NULL) &&
	          finding(&r, AUDIT_CHECK_REGISTRAR_LOCK, AUDIT_OK, NULL),
	      "codes followed by EPP URLs: client hold CRITICAL, registrar lock OK");
	audit_report_free(&r);

	rc = fixture_findings("status-unknown.json", "example.test", &r);
	CHECK(rc == 0 &&
	          finding(&r, AUDIT_CHECK_STATUS, AUDIT_WARNING, "frozen", "awaiting verification",
	                  NULL) &&
	          !finding(&r, AUDIT_CHECK_STATUS, AUDIT_OK, NULL),
	      "only unknown statuses: a WARNING naming them, not OK");
	audit_report_free(&r);

	rc = fixture_findings("status-string.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold", NULL),
	      "status as a string: its hold CRITICAL");
	audit_report_free(&r);
	rc = fixture_findings("status-300.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, "client hold", NULL),
	      "300 statuses: the hold at the end CRITICAL");
	audit_report_free(&r);
	rc = fixture_findings("class-case.json", "example.test", &r);
	CHECK(rc == 0 && audit_report_worst(&r) == AUDIT_OK,
	      "objectClassName in another case: all OK");
	audit_report_free(&r);

	rc = fixture_findings("registrar-org-only.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_RDAP, AUDIT_OK,
	                         "registrar Lab Registrar One, Inc. (IANA 292)", NULL),
	      "org-only vCard: the registrar named by its org");
	audit_report_free(&r);
	rc = fixture_findings("registrar-empty-fn.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_RDAP, AUDIT_OK, "registrar IANA 292", NULL) &&
	          !finding(&r, AUDIT_CHECK_RDAP, AUDIT_OK, "registrar 292", NULL),
	      "empty fn: the registrar by its IANA id, not its handle");
	audit_report_free(&r);
	rc = fixture_findings("iana-id-padded.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_RDAP, AUDIT_OK, "(IANA 292)", NULL),
	      "padded IANA id reported");
	audit_report_free(&r);
	rc = fixture_findings("registrar-bidi.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_RDAP, AUDIT_OK, "Lab <U+202E>Registrar One", NULL),
	      "a right-to-left override reaches the report escaped");
	audit_report_free(&r);

	rc = fixture_findings("events-two-expirations.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_OK, "in 40 days", NULL),
	      "two expirations: the sooner one's verdict");
	audit_report_free(&r);
	rc = fixture_findings("events-expiry.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_EXPIRY, AUDIT_OK, "in 200 days", NULL),
	      "\"expiry\": an expiry verdict");
	audit_report_free(&r);

	rc = fixture_findings("status-generic-locks.json", "example.test", &r);
	CHECK(
	    rc == 0 &&
	        finding(&r, AUDIT_CHECK_REGISTRAR_LOCK, AUDIT_OK, "transfer prohibited", "generic",
	                NULL) &&
	        finding(&r, AUDIT_CHECK_REGISTRY_LOCK, AUDIT_WARNING, "not a registry lock", NULL),
	    "generic locks: a registrar lock; named, not counted, as a registry lock");
	audit_report_free(&r);
	rc = fixture_findings("status-locked.json", "example.test", &r);
	CHECK(rc == 0 && finding(&r, AUDIT_CHECK_REGISTRAR_LOCK, AUDIT_OK, "locked", NULL),
	      "\"locked\": a registrar lock");
	audit_report_free(&r);

	rc = fixture_findings("dnssec-dsdata-only.json", "example.test", &r);
	CHECK(rc == 0 && audit_report_worst(&r) == AUDIT_OK &&
	          findings_of(&r, AUDIT_CHECK_RDAP) == 1,
	      "dsData without delegationSigned: no problem reported");
	audit_report_free(&r);
}

/* The state of the last audit against a fixture's: no false "changed". */
static void test_seen_state(void)
{
	static struct rdap_domain a, b;
	struct audit_report r = {0};
	char err[256];
	json_t *ja, *jb;

	CHECK(parse_fixture("gtld-locked.json", "example.test", &a, err, sizeof(err)) == 0 &&
	          parse_fixture("dnssec-dsdata-only.json", "example.test", &b, err, sizeof(err)) ==
	              0,
	      "state fixtures parse");
	ja = audit_state_entry_new(&a);
	jb = audit_state_entry_new(&b);
	audit_state_compare(&r, "example.test", ja, jb, "");
	CHECK(r.count == 0, "signed by delegationSigned, then by dsData alone: no DNSSEC change");
	json_decref(jb);
	audit_report_free(&r);

	CHECK(parse_text("{\"ldhName\":\"example.test\",\"status\":[\"active\",7],\"nameservers\":"
	                 "[7],\"secureDNS\":7,\"entities\":7}",
	                 &b, err, sizeof(err)) == 0,
	      "a broken answer parses");
	jb = audit_state_entry_new(&b);
	audit_state_compare(&r, "example.test", ja, jb, "");
	CHECK(r.count == 0, "unreadable parts are not changes");
	CHECK(json_equal(json_object_get(ja, "locks"), json_object_get(jb, "locks")) &&
	          json_equal(json_object_get(ja, "nameservers"),
	                     json_object_get(jb, "nameservers")) &&
	          json_is_true(json_object_get(jb, "dnssec")) &&
	          json_integer_value(json_object_get(jb, "registrar_iana_id")) == 292,
	      "the facts last read are carried into the new state");
	audit_report_free(&r);
	json_decref(ja);
	json_decref(jb);
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
	test_seen_answers();
	test_date_parse();
	test_parts();
	test_seen_findings();
	test_seen_state();
	test_bootstrap();
	test_classify();
	test_retry_after();
	return tap_done();
}

/*
 * Unit tests for audit/caa.c: the issue-value grammar (RFC 8659 section
 * 4.2, errata 7139) and caa_decide() over RFC 8659's examples (sections 4.2
 * and 4.3: two issuers, ";" forbidding all, issuewild governing wildcards,
 * the critical flag) and RFC 8657's (accounturi, validationmethods), at each
 * boundary: tag case, trailing separators, malformed values, wildcard with
 * and without issuewild, two accounturi, no account held, record formatting.
 */
#include <stdio.h>
#include <string.h>

#include "audit/caa.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ca1[] = {"ca1.example.net"};
static const char *const le[] = {"letsencrypt.org"};

static struct caa_decision decide(const struct caa_record *rr, size_t n, int wildcard,
                                  const char *const *ids, size_t nids, const char *acct,
                                  const char *method)
{
	struct caa_request req = {wildcard, ids, nids, acct, method};
	struct caa_decision d;

	memset(&d, 0x5a, sizeof(d));
	caa_decide(rr, n, &req, &d);
	return d;
}

#define ALLOWED(d, why)   ((d).verdict == CAA_ALLOWED && (d).reason == (why))
#define FORBIDDEN(d, why) ((d).verdict == CAA_FORBIDDEN && (d).reason == (why))

static void test_grammar(void)
{
	struct caa_issue_value v;

	CHECK(caa_issue_value_parse("ca1.example.net", &v) == 0 &&
	          strcmp(v.issuer, "ca1.example.net") == 0 && v.param_count == 0,
	      "grammar: a bare issuer");
	CHECK(caa_issue_value_parse("  Ca1.Example.NET \t", &v) == 0 &&
	          strcmp(v.issuer, "ca1.example.net") == 0,
	      "grammar: white space around, issuer lower-cased");
	CHECK(caa_issue_value_parse(";", &v) == 0 && v.issuer[0] == '\0', "grammar: \";\" alone");
	CHECK(caa_issue_value_parse("", &v) == 0 && v.issuer[0] == '\0', "grammar: empty value");
	CHECK(caa_issue_value_parse("ca1.example.net;", &v) == 0 && v.param_count == 0,
	      "grammar: issuer and ';' without parameters");
	CHECK(caa_issue_value_parse("ca1.example.net; account=230123", &v) == 0 &&
	          v.param_count == 1 && v.params[0].tag_len == 7 &&
	          strncmp(v.params[0].value, "230123", v.params[0].value_len) == 0 &&
	          v.params[0].value_len == 6,
	      "grammar: RFC 8659's account=230123");
	CHECK(caa_issue_value_parse("ca1.example.net; policy = ev ; account=1", &v) == 0 &&
	          v.param_count == 2,
	      "grammar: two parameters, white space around '=' and ';'");
	CHECK(caa_issue_value_parse("ca1.example.net; a=", &v) == 0 && v.param_count == 1 &&
	          v.params[0].value_len == 0,
	      "grammar: an empty parameter value");
	CHECK(caa_issue_value_parse("ca1.example.net; policy=ev;", &v) != 0,
	      "grammar: a trailing ';' after a parameter is refused");
	CHECK(caa_issue_value_parse("ca1.example.net; policy=ev;;a=1", &v) != 0,
	      "grammar: an empty parameter between ';' is refused");
	CHECK(caa_issue_value_parse("ca1.example.net; policy", &v) != 0,
	      "grammar: a parameter without '=' is refused");
	CHECK(caa_issue_value_parse("ca1.example.net; policy=ev cool", &v) != 0,
	      "grammar: a space inside a parameter value is refused");
	CHECK(caa_issue_value_parse("ca1.example.net policy=ev", &v) != 0,
	      "grammar: parameters without ';' are refused");
	CHECK(caa_issue_value_parse("ca1.example.net.", &v) != 0,
	      "grammar: a trailing dot on the issuer is refused");
	CHECK(caa_issue_value_parse("-ca.example", &v) != 0 &&
	          caa_issue_value_parse("ca-.example", &v) != 0 &&
	          caa_issue_value_parse("c_a.example", &v) != 0,
	      "grammar: labels must start and end with a letter or digit, no '_'");
	CHECK(caa_issue_value_parse("ca--1.example", &v) == 0, "grammar: inner hyphens are fine");
	CHECK(caa_issue_value_parse("ca.example; bad_tag=1", &v) != 0,
	      "grammar: a parameter tag with '_' is refused");
	CHECK(
	    caa_issue_value_parse(
	        "ca.example; a=1; b=2; c=3; d=4; e=5; f=6; g=7; h=8; i=9; j=10; k=11; l=12; m=13; "
	        "n=14; o=15; p=16",
	        &v) == 0 &&
	        v.param_count == CAA_PARAMS_MAX,
	    "grammar: CAA_PARAMS_MAX parameters");
	CHECK(
	    caa_issue_value_parse(
	        "ca.example; a=1; b=2; c=3; d=4; e=5; f=6; g=7; h=8; i=9; j=10; k=11; l=12; m=13; "
	        "n=14; o=15; p=16; q=17",
	        &v) != 0,
	    "grammar: one more is refused (bounded)");
}

/* RFC 8659 section 4.2's examples. */
static void test_rfc8659_issue(void)
{
	static const char *const ca2[] = {"ca2.example.org"};
	static const char *const other[] = {"ca3.example.com"};
	const struct caa_record certs[] = {{0, "issue", "ca1.example.net"},
	                                   {0, "issue", "ca2.example.org"}};
	const struct caa_record nocerts[] = {{0, "issue", ";"}};
	const struct caa_record params[] = {{0, "issue", "ca1.example.net; account=230123"}};
	struct caa_decision d;

	d = decide(NULL, 0, 0, ca1, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_NO_RECORDS) && d.record == (size_t)-1, "8659: no RRset, allowed");
	d = decide(certs, N(certs), 0, ca1, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED) && d.record == 0, "8659 4.2: ca1.example.net may issue");
	d = decide(certs, N(certs), 0, ca2, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED) && d.record == 1, "8659 4.2: ca2.example.org may issue");
	d = decide(certs, N(certs), 0, other, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_NOT_NAMED) && d.record == 0,
	      "8659 4.2: any other issuer may not (first record named)");
	d = decide(nocerts, N(nocerts), 0, ca1, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_NO_ISSUER) && d.record == 0, "8659 4.2: nocerts: issue \";\"");
	d = decide(params, N(params), 0, ca1, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.2: an unknown parameter (account) is ignored");
	{
		const struct caa_record r[] = {{0, "ISSUE", "CA1.example.NET"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.1: tags and issuers match in any case");
	}
	{
		static const char *const dotted[] = {"ca1.example.net."};
		d = decide(certs, N(certs), 0, dotted, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED), "an identity with a trailing dot matches");
	}
	{
		const struct caa_record r[] = {{0, "issue", ";"}, {0, "issue", "ca1.example.net"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.2: authorizations add up beside \";\"");
	}
	{
		const struct caa_record r[] = {{0, "issue", "ca1.example.net policy"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(FORBIDDEN(d, CAA_MALFORMED), "8659 4.2: a malformed value authorizes nobody");
	}
	{
		const struct caa_record r[] = {{0, "iodef", "mailto:security@example.com"},
		                               {0, "contactemail", "x@example.com"},
		                               {0, "tbs", "Unknown"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_NOT_RESTRICTED) && d.record == (size_t)-1,
		      "8659 4: only iodef and non-critical unknown tags restrict nothing");
	}
	{
		const struct caa_record r[] = {{0, "issuewild", ";"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_NOT_RESTRICTED),
		      "8659 4.3: issuewild is ignored for a name that is not a wildcard");
	}
	{
		static const char *const two[] = {"ca3.example.com", "ca2.example.org"};
		d = decide(certs, N(certs), 0, two, 2, "", "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED) && d.record == 1,
		      "a CA with two identities matches by either");
	}
	d = decide(certs, N(certs), 0, NULL, 0, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_NOT_NAMED), "a CA without identities is named by no record");
}

/* RFC 8659 section 4.3 (issuewild) and the critical flag (section 4.1). */
static void test_rfc8659_wild_critical(void)
{
	static const char *const ca2[] = {"ca2.example.org"};
	const struct caa_record wild[] = {{0, "issue", "ca1.example.net"},
	                                  {0, "issuewild", "ca2.example.org"}};
	const struct caa_record issue_only[] = {{0, "issue", "ca1.example.net"}};
	const struct caa_record nowild[] = {{0, "issue", "ca1.example.net"}, {0, "issuewild", ";"}};
	const struct caa_record critical[] = {{0, "issue", "ca1.example.net"},
	                                      {128, "tbs", "Unknown"}};
	const struct caa_record noncritical[] = {{0, "issue", "ca1.example.net"},
	                                         {0, "tbs", "Unknown"}};
	struct caa_decision d;

	d = decide(wild, N(wild), 1, ca2, 1, "", "dns-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED) && d.record == 1,
	      "8659 4.3: *.example.com: issuewild ca2.example.org may issue");
	d = decide(wild, N(wild), 1, ca1, 1, "", "dns-01");
	CHECK(FORBIDDEN(d, CAA_NOT_NAMED) && d.record == 1,
	      "8659 4.3: issuewild present: issue's ca1 may not issue the wildcard");
	d = decide(wild, N(wild), 0, ca1, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.3: the plain name is issue's (ca1)");
	d = decide(wild, N(wild), 0, ca2, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_NOT_NAMED) && d.record == 0,
	      "8659 4.3: issuewild does not authorize the plain name");
	d = decide(issue_only, N(issue_only), 1, ca1, 1, "", "dns-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.3: no issuewild: issue governs wildcards too");
	d = decide(nowild, N(nowild), 1, ca1, 1, "", "dns-01");
	CHECK(FORBIDDEN(d, CAA_NO_ISSUER) && d.record == 1,
	      "8659 4.3: issuewild \";\" forbids wildcards for everyone");
	d = decide(critical, N(critical), 0, ca1, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_CRITICAL_UNKNOWN) && d.record == 1,
	      "8659 4.1: 128 tbs \"Unknown\" forbids every CA, even one named");
	d = decide(noncritical, N(noncritical), 0, ca1, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8659 4.1: 0 tbs \"Unknown\" is ignored");
	{
		const struct caa_record r[] = {{128, "issue", "ca1.example.net"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED),
		      "the critical flag on a known tag changes nothing");
	}
	{
		const struct caa_record r[] = {{129, "tbs", "x"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(FORBIDDEN(d, CAA_CRITICAL_UNKNOWN), "flags 129: the critical bit is set");
	}
	{
		const struct caa_record r[] = {{127, "tbs", "x"}};
		d = decide(r, N(r), 0, ca1, 1, "", "http-01");
		CHECK(ALLOWED(d, CAA_NOT_RESTRICTED), "flags 127: no critical bit");
	}
}

/* RFC 8657's examples (sections 3, 4 and 5). */
static void test_rfc8657(void)
{
	static const char *const ex[] = {"example.net"};
	const char *acct = "https://example.net/account/1234";
	const struct caa_record au[] = {
	    {0, "issue", "example.net; accounturi=https://example.net/account/1234"}};
	const struct caa_record vm[] = {{0, "issue", "example.net; validationmethods=dns-01"}};
	const struct caa_record both[] = {
	    {0, "issue",
	     "example.net; accounturi=https://example.net/account/2345; "
	     "validationmethods=http-01"}};
	const struct caa_record list[] = {
	    {0, "issue", "example.net; validationmethods=dns-01,http-01"}};
	struct caa_decision d;

	d = decide(au, N(au), 0, ex, 1, acct, "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8657 3: accounturi equal: allowed");
	d = decide(au, N(au), 0, ex, 1, "https://example.net/account/12345", "http-01");
	CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH) && d.record == 0,
	      "8657 3: another account: forbidden, the record named");
	d = decide(au, N(au), 0, ex, 1, "https://EXAMPLE.net/account/1234", "http-01");
	CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH), "8657 3: a simple string comparison");
	d = decide(au, N(au), 0, ex, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH), "8657 3: no account held: forbidden");
	d = decide(au, N(au), 0, ex, 1, NULL, "http-01");
	CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH), "8657 3: account NULL is none");
	d = decide(vm, N(vm), 0, ex, 1, "", "dns-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8657 4: validationmethods=dns-01 with dns-01");
	d = decide(vm, N(vm), 0, ex, 1, "", "http-01");
	CHECK(FORBIDDEN(d, CAA_METHOD_MISMATCH), "8657 4: validationmethods=dns-01 with http-01");
	d = decide(vm, N(vm), 0, ex, 1, "", "dns-0");
	CHECK(FORBIDDEN(d, CAA_METHOD_MISMATCH), "8657 4: a method is matched whole");
	d = decide(list, N(list), 0, ex, 1, "", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8657 4: the second method of a list");
	d = decide(list, N(list), 0, ex, 1, "", "tls-alpn-01");
	CHECK(FORBIDDEN(d, CAA_METHOD_MISMATCH), "8657 4: tls-alpn-01 not in dns-01,http-01");
	d = decide(both, N(both), 0, ex, 1, "https://example.net/account/2345", "http-01");
	CHECK(ALLOWED(d, CAA_AUTHORIZED), "8657 5: account and method both match");
	d = decide(both, N(both), 0, ex, 1, "https://example.net/account/2345", "dns-01");
	CHECK(FORBIDDEN(d, CAA_METHOD_MISMATCH), "8657 5: account matches, method does not");
	d = decide(both, N(both), 0, ex, 1, acct, "http-01");
	CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH), "8657 5: method matches, account does not");
	{
		const struct caa_record r[] = {{0, "issue",
		                                "example.net; accounturi=https://a.example/1; "
		                                "accounturi=https://a.example/2"}};
		d = decide(r, N(r), 0, ex, 1, "https://a.example/1", "http-01");
		CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH), "8657 3: two accounturi can never match");
	}
	{
		const struct caa_record r[] = {
		    {0, "issue", "other.example"},
		    {0, "issue", "example.net; accounturi=https://example.net/account/9"}};
		d = decide(r, N(r), 0, ex, 1, acct, "http-01");
		CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH) && d.record == 1,
		      "the record naming the CA decides the message, not the first");
	}
	{
		const struct caa_record r[] = {
		    {0, "issue", "example.net; accounturi=https://example.net/account/9"},
		    {0, "issue", "example.net; accounturi=https://example.net/account/1234"}};
		d = decide(r, N(r), 0, ex, 1, acct, "http-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED) && d.record == 1,
		      "8657: one of two accounts is ours: allowed");
	}
	{
		const struct caa_record r[] = {{0, "issue", "example.net; AccountURI=https://x/1"}};
		d = decide(r, N(r), 0, ex, 1, acct, "http-01");
		CHECK(FORBIDDEN(d, CAA_ACCOUNT_MISMATCH),
		      "a parameter tag in another case is read as accounturi (conservative)");
	}
	{
		const struct caa_record r[] = {
		    {0, "issue", "letsencrypt.org; validationmethods=dns-01"}};
		d = decide(r, N(r), 0, le, 1, "", "dns-01");
		CHECK(ALLOWED(d, CAA_AUTHORIZED), "Let's Encrypt with dns-01 only");
	}
}

static void test_format(void)
{
	const struct caa_record r = {0, "issue", "letsencrypt.org"};
	const struct caa_record q = {128, "tbs", "a\"b\\c\n"};
	char buf[64], small[12];

	CHECK(strcmp(caa_record_format(&r, buf, sizeof(buf)), "0 issue \"letsencrypt.org\"") == 0,
	      "format: 0 issue \"letsencrypt.org\"");
	CHECK(strcmp(caa_record_format(&q, buf, sizeof(buf)), "128 tbs \"a\\034b\\092c\\010\"") ==
	          0,
	      "format: quotes, backslashes and control bytes escaped");
	caa_record_format(&r, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small), "format: cut short, terminated");
	CHECK(strcmp(caa_reason_text(CAA_REASON_COUNT), "invalid") == 0 &&
	          strcmp(caa_reason_text(CAA_NOT_NAMED), "invalid") != 0,
	      "reason texts");
}

int main(void)
{
	test_grammar();
	test_rfc8659_issue();
	test_rfc8659_wild_critical();
	test_rfc8657();
	test_format();
	return tap_done();
}

/*
 * Unit tests for timeutil.c: fixed instants (the epoch, 2023, both sides of
 * the 32-bit time_t limit, 2100, 9999) formatted and parsed both ways,
 * strings that are not "YYYY-MM-DDTHH:MM:SSZ" refused, and ASN.1 UTCTime
 * and GeneralizedTime converted to exact time_t values.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>

#include "tap.h"
#include "util/timeutil.h"

static const struct {
	time_t t;
	const char *s;
} instants[] = {
    {0, "1970-01-01T00:00:00Z"},
    {1, "1970-01-01T00:00:01Z"},
    {951782400, "2000-02-29T00:00:00Z"},
    {1700000000, "2023-11-14T22:13:20Z"},
    {1709208000, "2024-02-29T12:00:00Z"},
    {2147483647, "2038-01-19T03:14:07Z"},
    {2147483648, "2038-01-19T03:14:08Z"},
    {2524607999, "2049-12-31T23:59:59Z"},
    {2524608000, "2050-01-01T00:00:00Z"},
    {4102444800, "2100-01-01T00:00:00Z"},
    {253402300799, "9999-12-31T23:59:59Z"},
    {-631152000, "1950-01-01T00:00:00Z"},
    {-1, "1969-12-31T23:59:59Z"},
};

static void test_format_parse(void)
{
	char buf[32], name[96];
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		snprintf(name, sizeof(name), "time_format(%lld) = %s", (long long)instants[i].t,
		         instants[i].s);
		CHECK(strcmp(time_format(buf, sizeof(buf), instants[i].t), instants[i].s) == 0,
		      name);
		t = 12345;
		snprintf(name, sizeof(name), "time_parse(%s) = %lld", instants[i].s,
		         (long long)instants[i].t);
		CHECK(time_parse(instants[i].s, &t) == 0 && t == instants[i].t, name);
	}

	CHECK(time_format(buf, 21, 1700000000) == buf && strcmp(buf, "2023-11-14T22:13:20Z") == 0,
	      "time_format: 21 bytes are enough");
	memset(buf, 'x', sizeof(buf));
	CHECK(time_format(buf, 20, 1700000000) == buf && buf[0] == '\0',
	      "time_format: 20 bytes give \"\"");
	buf[0] = 'x';
	CHECK(time_format(buf, 0, 1700000000) == buf && buf[0] == 'x',
	      "time_format: size 0 writes nothing");
}

static void test_parse_invalid(void)
{
	static const char *const invalid[] = {
	    "",
	    "2023-11-14",
	    "2023-11-14T22:13:20",
	    "2023-11-14T22:13:20Z ",
	    "2023-11-14T22:13:20ZZ",
	    "2023-11-14 22:13:20Z",
	    "2023-11-14T22:13Z",
	    "2023-11-14T22:13:20+00:00",
	    "2023-11-14T22:13:20.5Z",
	    "2023-13-01T00:00:00Z",
	    "2023-00-10T00:00:00Z",
	    "2023-11-00T00:00:00Z",
	    "2023-11-32T00:00:00Z",
	    "2023-11-14T24:00:00Z",
	    "2023-11-14T22:60:00Z",
	    "2023-02-29T00:00:00Z",
	    "2023-02-30T00:00:00Z",
	    "2023-04-31T00:00:00Z",
	    " 2023-11-14T22:13:20Z",
	    "2023-11-14T 22:13:20Z",
	    "2023-1-5T1:2:3Z",
	    "20231114T221320Z",
	    "Tue, 14 Nov 2023 22:13:20 GMT",
	    "not a time",
	};
	char name[96];
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		t = 12345;
		snprintf(name, sizeof(name), "time_parse rejects \"%s\"", invalid[i]);
		CHECK(time_parse(invalid[i], &t) == -1 && t == 12345, name);
	}
}

/* An ASN1_TIME of the given type holding text as is (not validated). */
static ASN1_TIME *asn1_raw(int type, const char *text)
{
	ASN1_TIME *t = ASN1_STRING_type_new(type);

	if (t != NULL && ASN1_STRING_set(t, text, (int)strlen(text)) != 1) {
		ASN1_STRING_free(t);
		return NULL;
	}
	return t;
}

static void test_from_asn1(void)
{
	static const struct {
		int type;
		const char *text;
		time_t want;
	} valid[] = {
	    {V_ASN1_UTCTIME, "700101000000Z", 0},
	    {V_ASN1_UTCTIME, "231114221320Z", 1700000000},
	    {V_ASN1_UTCTIME, "380119031408Z", 2147483648},
	    {V_ASN1_UTCTIME, "491231235959Z", 2524607999},
	    {V_ASN1_UTCTIME, "500101000000Z", -631152000},
	    {V_ASN1_GENERALIZEDTIME, "19700101000000Z", 0},
	    {V_ASN1_GENERALIZEDTIME, "20231114221320Z", 1700000000},
	    {V_ASN1_GENERALIZEDTIME, "20240229120000Z", 1709208000},
	    {V_ASN1_GENERALIZEDTIME, "20500101000000Z", 2524608000},
	    {V_ASN1_GENERALIZEDTIME, "21000101000000Z", 4102444800},
	    {V_ASN1_GENERALIZEDTIME, "99991231235959Z", 253402300799},
	    {V_ASN1_GENERALIZEDTIME, "19691231235959Z", -1},
	};
	static const struct {
		int type;
		const char *text;
	} invalid[] = {
	    {V_ASN1_UTCTIME, ""},
	    {V_ASN1_UTCTIME, "garbage"},
	    {V_ASN1_UTCTIME, "231114221320"},
	    {V_ASN1_UTCTIME, "231314221320Z"},
	    {V_ASN1_GENERALIZEDTIME, "20230230000000Z"},
	    {V_ASN1_GENERALIZEDTIME, "20231114246000Z"},
	    {V_ASN1_GENERALIZEDTIME, "2023111422132Z"},
	};
	char name[96];
	ASN1_TIME *a;
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		snprintf(name, sizeof(name), "time_from_asn1(%s %s) = %lld",
		         valid[i].type == V_ASN1_UTCTIME ? "UTCTime" : "GeneralizedTime",
		         valid[i].text, (long long)valid[i].want);
		a = asn1_raw(valid[i].type, valid[i].text);
		t = 12345;
		CHECK(a != NULL && time_from_asn1(a, &t) == 0 && t == valid[i].want, name);
		ASN1_TIME_free(a);
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(name, sizeof(name), "time_from_asn1 rejects %s \"%s\"",
		         invalid[i].type == V_ASN1_UTCTIME ? "UTCTime" : "GeneralizedTime",
		         invalid[i].text);
		a = asn1_raw(invalid[i].type, invalid[i].text);
		t = 12345;
		CHECK(a != NULL && time_from_asn1(a, &t) == -1 && t == 12345, name);
		ASN1_TIME_free(a);
	}
	t = 12345;
	CHECK(time_from_asn1(NULL, &t) == -1 && t == 12345, "time_from_asn1(NULL) -> -1");

	/* What OpenSSL itself produces: UTCTime before 2050, then
	 * GeneralizedTime. */
	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		if (instants[i].t < 0)
			continue;
		a = ASN1_TIME_set(NULL, instants[i].t);
		t = 12345;
		snprintf(name, sizeof(name), "time_from_asn1(ASN1_TIME_set(%lld))",
		         (long long)instants[i].t);
		CHECK(a != NULL && time_from_asn1(a, &t) == 0 && t == instants[i].t, name);
		ASN1_TIME_free(a);
	}
}

int main(void)
{
	test_format_parse();
	test_parse_invalid();
	test_from_asn1();
	return tap_done();
}

/*
 * Unit tests for the pure helpers of src/util/ that the configuration, the
 * logger and the CLI share: host_check() and host_port_parse() (names.c),
 * url_redact() (url.c) and log_clean() (log.c): what is accepted, what is
 * refused and with which reason, and that no URL password survives.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util/httpd.h"
#include "util/log.h"
#include "util/names.h"
#include "util/timeutil.h"
#include "util/url.h"

static void test_host_check(void)
{
	static const char *const good[] = {
	    "a.test",         "www.example.com", "xn--bcher-kva.example",
	    "bücher.example", "a-b.c-d.test",    "A.TEST."};
	static const char *const bad[] = {
	    "exa$mple.com", "-bad-.com", "bad-.com", "a..b", "192.0.2.1", "2001:db8::1",
	    "localhost",    "_x.test",   "*.a.test", "",     "a b.test"};
	char why[300], name[400];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "host_check: \"%s\" accepted", good[i]);
		CHECK(host_check(good[i], 0, why, sizeof(why)) == 0, name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "host_check: \"%s\" refused", bad[i]);
		CHECK(host_check(bad[i], 0, why, sizeof(why)) == -1 && why[0] != '\0', name);
	}
	CHECK(host_check("*.a.test", HOST_WILDCARD, why, sizeof(why)) == 0,
	      "host_check: a wildcard with HOST_WILDCARD");
	CHECK(host_check("*.*.a.test", HOST_WILDCARD, why, sizeof(why)) == -1,
	      "host_check: only one leading wildcard label");
	CHECK(host_check("192.0.2.1", 0, why, sizeof(why)) == -1 &&
	          strcmp(why, "\"192.0.2.1\" is an IP address, not a host name") == 0,
	      "host_check: an IP address is named as such");
	CHECK(host_check("192.0.2.1", HOST_IP, why, sizeof(why)) == 0 &&
	          host_check("2001:db8::1", HOST_IP, why, sizeof(why)) == 0 &&
	          host_check("::1", HOST_IP | HOST_WILDCARD, why, sizeof(why)) == 0,
	      "host_check: IP addresses with HOST_IP (RFC 8738)");
	CHECK(host_check("2001:0db8::1", HOST_IP, why, sizeof(why)) == -1 &&
	          strcmp(why, "write the IP address \"2001:0db8::1\" as \"2001:db8::1\"") == 0,
	      "host_check: an IPv6 address not in RFC 5952 form is refused, with the form");
	CHECK(host_check("*.192.0.2.1", HOST_IP | HOST_WILDCARD, why, sizeof(why)) == -1,
	      "host_check: no wildcard on an IP address");
	CHECK(host_check("a.test", HOST_IP, why, sizeof(why)) == 0,
	      "host_check: HOST_IP still takes host names");
}

static void test_host_port(void)
{
	char host[256], why[200];
	int port = 0;

	CHECK(host_port_parse("www.example:443", host, sizeof(host), &port, why, sizeof(why)) ==
	              0 &&
	          strcmp(host, "www.example") == 0 && port == 443,
	      "host_port: name:port");
	CHECK(host_port_parse("[::1]:8443", host, sizeof(host), &port, why, sizeof(why)) == 0 &&
	          strcmp(host, "::1") == 0 && port == 8443,
	      "host_port: [v6]:port, brackets removed");
	CHECK(host_port_parse("127.0.0.1:1", host, sizeof(host), &port, why, sizeof(why)) == 0 &&
	          port == 1,
	      "host_port: the lowest port");
	CHECK(host_port_parse("127.0.0.1:65536", host, sizeof(host), &port, why, sizeof(why)) == -1,
	      "host_port: 65536 refused");
	CHECK(host_port_parse("localhost", host, sizeof(host), &port, why, sizeof(why)) == -1 &&
	          strstr(why, "no port") != NULL,
	      "host_port: no port, said so");
	CHECK(host_port_parse("[nothex]:1", host, sizeof(host), &port, why, sizeof(why)) == -1,
	      "host_port: brackets around something that is not IPv6");
	CHECK(host_port_parse(":443", host, sizeof(host), &port, why, sizeof(why)) == -1,
	      "host_port: no host");
	CHECK(host_port_parse("a$b:443", host, sizeof(host), &port, why, sizeof(why)) == -1,
	      "host_port: a host that is no name");
}

static void test_redact(void)
{
	char out[512], small[24];

	CHECK(strcmp(url_redact("https://bob:s3cret@ca.test/dir", out, sizeof(out)),
	             "https://REDACTED@ca.test/dir") == 0,
	      "redact: user and password");
	CHECK(strcmp(url_redact("url=\"http://tok@h:80/x\" other=https://h2/y?a=b@c", out,
	                        sizeof(out)),
	             "url=\"http://REDACTED@h:80/x\" other=https://h2/y?a=b@c") == 0,
	      "redact: two URLs in a line; an '@' in the query is not userinfo");
	CHECK(strcmp(url_redact("no url here: a@b", out, sizeof(out)), "no url here: a@b") == 0,
	      "redact: text without a URL unchanged");
	CHECK(strcmp(url_redact("https://a@b@host/", out, sizeof(out)), "https://REDACTED@host/") ==
	          0,
	      "redact: up to the last '@' of the authority");
	url_redact("https://user:password-that-is-long@h/", small, 12);
	CHECK(strcmp(small, "https://RED") == 0, "redact: cut to fit, never leaking the secret");
	url_redact("x https://user:password-that-is-long@h/", small, sizeof(small));
	CHECK(strcmp(small, "x https://REDACTED@h/") == 0, "redact: shorter than the original");
}

static void test_clean(void)
{
	char out[256];

	log_clean("file=a\nlevel=error event=forged", out, sizeof(out));
	CHECK(strcmp(out, "file=a\\x0alevel=error event=forged") == 0,
	      "clean: a newline in a value is \\x0a: no forged line");
	log_clean("name=\x1b[31mred", out, sizeof(out));
	CHECK(strcmp(out, "name=\\x1b[31mred") == 0, "clean: ESC written as \\x1b");
	log_clean("directory=https://k:v@ca/", out, sizeof(out));
	CHECK(strcmp(out, "directory=https://REDACTED@ca/") == 0, "clean: redacts URLs too");
}

static void test_httpd_log_due(void)
{
	CHECK(httpd_log_due(0, 1000), "httpd message: the first is logged");
	CHECK(!httpd_log_due(1000, 1000), "httpd message: not twice in the same second");
	CHECK(!httpd_log_due(1000, 1000 + HTTPD_LOG_EVERY - 1),
	      "httpd message: not within the interval");
	CHECK(httpd_log_due(1000, 1000 + HTTPD_LOG_EVERY),
	      "httpd message: again after the interval");
	CHECK(httpd_log_due(1000, 999), "httpd message: a clock stepped back does not silence it");
}

static void test_duration_format(void)
{
	char b[32];

	CHECK(strcmp(duration_format(b, sizeof(b), 2 * 86400), "2d") == 0, "duration: 2d");
	CHECK(strcmp(duration_format(b, sizeof(b), 86400 + 3 * 3600 + 59), "1d 3h") == 0,
	      "duration: the two largest units");
	CHECK(strcmp(duration_format(b, sizeof(b), 86400 + 5 * 60), "1d") == 0,
	      "duration: a zero second unit ends it");
	CHECK(strcmp(duration_format(b, sizeof(b), 45 * 60 + 10), "45m 10s") == 0,
	      "duration: 45m 10s");
	CHECK(strcmp(duration_format(b, sizeof(b), 7), "7s") == 0, "duration: 7s");
	CHECK(strcmp(duration_format(b, sizeof(b), 0), "0s") == 0, "duration: 0s");
	CHECK(strcmp(duration_format(b, sizeof(b), -5), "0s") == 0, "duration: negative as 0");
	CHECK(strcmp(duration_format(b, 3, 86400 + 3600), "") == 0,
	      "duration: too small a buffer gives \"\"");
}

int main(void)
{
	test_host_check();
	test_host_port();
	test_redact();
	test_clean();
	test_httpd_log_due();
	test_duration_format();
	return tap_done();
}

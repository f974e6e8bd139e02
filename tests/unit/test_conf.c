/* Unit tests for conf: every refusal names file, line and key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tap.h"

static struct conf *parse(const char *text, char *err)
{
	err[0] = '\0';
	return conf_load_buffer("t.conf", text, strlen(text), err, CONF_ERROR_MAX);
}

/* The config must be refused with exactly this message. */
static void refused(const char *name, const char *text, const char *want)
{
	char err[CONF_ERROR_MAX], label[1400];
	struct conf *c = parse(text, err);

	snprintf(label, sizeof(label), "%s: refused", name);
	CHECK(c == NULL, label);
	snprintf(label, sizeof(label), "%s: message is \"%s\" (got \"%s\")", name, want, err);
	CHECK(strcmp(err, want) == 0, label);
	conf_free(c);
}

static void test_full(void)
{
	char err[CONF_ERROR_MAX];
	const char *text = "store = /srv/hf   # comment after a value\n"
	                   "resolvers = 127.0.0.1:5353 127.0.0.2\n"
	                   "audit_interval = 30m\n"
	                   "probe_interval = 2h\n"
	                   "ocsp_listen = [::1]:8889\n"
	                   "\n"
	                   "[ca primary]\n"
	                   "directory = https://a.test/dir\n"
	                   "[ca backup]   # a comment after a header\n"
	                   "directory = https://b.test/dir\n"
	                   "ca_bundle = /etc/pebble.pem\n"
	                   "caa_identities = ca-b.example\n"
	                   "  ca-b.example.net\n"
	                   "; a full-line comment\n"
	                   "[certificate www]\n"
	                   "names = example.test\n"
	                   "  www.example.test\n"
	                   "cas = primary backup\n"
	                   "key = rsa-3072\n"
	                   "http_listen = 127.0.0.1:5002\n"
	                   "must_staple = yes\n"
	                   "critical = true\n"
	                   "deploy = nginx haproxy:/run/h.sock\n";
	struct conf *c = parse(text, err);
	const struct conf_cert *w;

	CHECK(c != NULL, "full config parses");
	if (c == NULL) {
		printf("# %s\n", err);
		return;
	}
	CHECK(c->cas[0].caa_identities.count == 0 && c->cas[1].caa_identities.count == 2 &&
	          strcmp(c->cas[1].caa_identities.items[1], "ca-b.example.net") == 0,
	      "caa_identities: a list, continued on the next line; none by default");
	CHECK(strcmp(c->store, "/srv/hf") == 0, "store without the trailing comment");
	CHECK(c->resolvers.count == 2 && strcmp(c->resolvers.items[1], "127.0.0.2") == 0,
	      "resolvers list");
	CHECK(c->audit_interval == 1800, "audit_interval 30m = 1800 s");
	CHECK(c->probe_interval == 7200, "probe_interval 2h = 7200 s");
	CHECK(c->ocsp_listen != NULL && strcmp(c->ocsp_listen, "[::1]:8889") == 0, "ocsp_listen");
	CHECK(c->ca_count == 2 && c->cas[1].line == 9, "two CAs, second header on line 9");
	CHECK(strcmp(conf_ca_find(c, "backup")->ca_bundle, "/etc/pebble.pem") == 0, "ca_bundle");
	w = conf_cert_find(c, "www");
	CHECK(w != NULL && w->names.count == 2 &&
	          strcmp(w->names.items[1], "www.example.test") == 0,
	      "names continued on an indented line");
	CHECK(w != NULL && w->cas.count == 2 && strcmp(w->cas.items[0], "primary") == 0,
	      "cas in order");
	CHECK(w != NULL && w->key == KEY_RSA_3072 && w->must_staple == 1 && w->critical == 1,
	      "key, must_staple, critical");
	CHECK(w != NULL && w->challenge == CHALLENGE_HTTP_01, "challenge defaults to http-01");
	CHECK(w != NULL && w->deploy.count == 2, "deploy list");
	CHECK(conf_cert_find(c, "nope") == NULL && conf_ca_find(c, "nope") == NULL,
	      "unknown names not found");
	conf_free(c);
}

static void test_defaults(void)
{
	char err[CONF_ERROR_MAX];
	struct conf *c = parse("", err);

	CHECK(c != NULL, "empty file is a valid (empty) config");
	if (c != NULL) {
		CHECK(strcmp(c->store, "/var/lib/holdfast") == 0, "default store");
		CHECK(c->audit_interval == 6 * 3600, "default audit interval 6 h");
		CHECK(c->outage_margin == 2 * 86400, "default outage_margin 2 d");
		CHECK(c->probe_interval == 6 * 3600, "default probe interval 6 h");
		CHECK(c->crl_interval == 6 * 3600, "default crl_interval 6 h");
		CHECK(c->metrics_per_certificate == 1000, "default metrics_per_certificate 1000");
	}
	conf_free(c);
	c = parse("[ca a]\ndirectory = https://x.test/dir\n[certificate ip]\n"
	          "names = 192.0.2.1 2001:db8::1 ip.test\ncas = a\nwebroot = /tmp\n",
	          err);
	CHECK(c != NULL && c->certs[0].names.count == 3,
	      "IP addresses in names (RFC 8738), in canonical form");
	conf_free(c);
	c = parse(
	    "[certificate u]\nnames = u.test\nchallenge = dns-01\ndns_update = 127.0.0.1:5353\n"
	    "[certificate v]\nnames = v.test\nchallenge = dns-01\ndns_update = [::1]\n"
	    "[certificate w]\nnames = w.test\nchallenge = dns-01\n"
	    "dns_update = ns1.example.net:5300\n",
	    err);
	CHECK(c != NULL && strcmp(c->certs[0].dns_update, "127.0.0.1 5353") == 0 &&
	          strcmp(c->certs[1].dns_update, "::1 53") == 0 &&
	          strcmp(c->certs[2].dns_update, "ns1.example.net 5300") == 0,
	      "dns_update: IP:PORT, [IPv6] and HOST:PORT as nsupdate's \"HOST PORT\"");
	conf_free(c);
	c = parse("outage_margin = 12h\n", err);
	CHECK(c != NULL && c->outage_margin == 12 * 3600, "outage_margin 12h");
	conf_free(c);
	c = parse("outage_margin = 0\n", err);
	CHECK(c != NULL && c->outage_margin == 0, "outage_margin 0: renew at a third left only");
	conf_free(c);
	c = parse("[ca a]\ndirectory = https://x.test/dir\n[certificate c]\nnames = a.test\n"
	          "cas = a\nwebroot = /tmp\nprofile = shortlived\n[certificate d]\nnames = "
	          "d.test\ncas = a\nwebroot = /tmp\n"
	          "profile = tlsserver\nprofile_required = no\n",
	          err);
	CHECK(c != NULL && c->cert_count == 2 && strcmp(c->certs[0].profile, "shortlived") == 0 &&
	          c->certs[0].profile_required == 1 && c->certs[1].profile_required == 0,
	      "profile, and profile_required (default yes)");
	conf_free(c);
}

static void test_crl_max_size(void)
{
	static const struct {
		const char *v;
		size_t want;
	} good[] = {
	    {"65536", 65536},
	    {"64K", 65536},
	    {"64KiB", 65536},
	    {"64M", 64 * 1024 * 1024},
	    {"64MiB", 64 * 1024 * 1024},
	    {"1GiB", 1024 * 1024 * 1024},
	    {"1024", 1024},
	};
	char err[CONF_ERROR_MAX], text[64], label[128];
	struct conf *c = parse("", err);
	size_t i;

	CHECK(c != NULL && c->crl_max_size == 64 * 1024 * 1024, "crl_max_size: default 64 MiB");
	conf_free(c);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "crl_max_size = %s\n", good[i].v);
		c = parse(text, err);
		snprintf(label, sizeof(label), "crl_max_size = %s: %zu bytes", good[i].v,
		         good[i].want);
		CHECK(c != NULL && c->crl_max_size == good[i].want, label);
		conf_free(c);
	}
	refused("crl_max_size too small", "crl_max_size = 1023\n",
	        "t.conf:1: key \"crl_max_size\": expected a size from 1KiB to 1GiB such as 64MiB, "
	        "got \"1023\"");
	refused("crl_max_size too large", "crl_max_size = 2G\n",
	        "t.conf:1: key \"crl_max_size\": expected a size from 1KiB to 1GiB such as 64MiB, "
	        "got \"2G\"");
	refused("crl_max_size not a size", "crl_max_size = lots\n",
	        "t.conf:1: key \"crl_max_size\": expected a size from 1KiB to 1GiB such as 64MiB, "
	        "got \"lots\"");
	refused("crl_max_size in a section", "[certificate www]\ncrl_max_size = 64M\n",
	        "t.conf:2: key \"crl_max_size\": is a top-level key: it belongs before the first "
	        "section, not in [certificate www]");
}

static void test_metrics_per_certificate(void)
{
	char err[CONF_ERROR_MAX];
	struct conf *c = parse("metrics_per_certificate = 0\n", err);

	CHECK(c != NULL && c->metrics_per_certificate == 0,
	      "metrics_per_certificate 0: aggregates only");
	conf_free(c);
	c = parse("metrics_per_certificate = 10000000\n", err);
	CHECK(c != NULL && c->metrics_per_certificate == 10000000,
	      "metrics_per_certificate: the maximum");
	conf_free(c);
	c = parse("metrics_per_certificate = 250   # a comment\n", err);
	CHECK(c != NULL && c->metrics_per_certificate == 250, "metrics_per_certificate 250");
	conf_free(c);
	refused(
	    "metrics_per_certificate too large", "store = /x\nmetrics_per_certificate = 10000001\n",
	    "t.conf:2: key \"metrics_per_certificate\": expected a number of certificates from 0 "
	    "to 10000000, got \"10000001\"");
	refused(
	    "metrics_per_certificate negative", "metrics_per_certificate = -1\n",
	    "t.conf:1: key \"metrics_per_certificate\": expected a number of certificates from 0 "
	    "to 10000000, got \"-1\"");
	refused(
	    "metrics_per_certificate with a suffix", "metrics_per_certificate = 1k\n",
	    "t.conf:1: key \"metrics_per_certificate\": expected a number of certificates from 0 "
	    "to 10000000, got \"1k\"");
	refused(
	    "metrics_per_certificate huge", "metrics_per_certificate = 99999999999999999999999\n",
	    "t.conf:1: key \"metrics_per_certificate\": expected a number of certificates from 0 "
	    "to 10000000, got \"99999999999999999999999\"");
	refused("metrics_per_certificate in a section",
	        "[ca a]\ndirectory = https://a.test/d\nmetrics_per_certificate = 5\n",
	        "t.conf:3: key \"metrics_per_certificate\": is a top-level key: it belongs before "
	        "the first "
	        "section, not in [ca a]");
}

static void test_errors(void)
{
	refused("ocsp_listen without a port", "store = /x\nocsp_listen = 127.0.0.1\n",
	        "t.conf:2: key \"ocsp_listen\": expected an address such as 127.0.0.1:8889, got "
	        "\"127.0.0.1\"");
	refused("metrics_listen not an address", "metrics_listen = localhost:x\n",
	        "t.conf:1: key \"metrics_listen\": expected an address such as 127.0.0.1:8889, "
	        "got \"localhost:x\"");
	refused("unknown top key", "store = /x\nstorage = /y\n",
	        "t.conf:2: key \"storage\": unknown key before the first section");
	refused("unknown ca key", "[ca a]\ndirectory = https://x/\ndirectroy = y\n",
	        "t.conf:3: key \"directroy\": unknown key in [ca a]");
	refused("repeated key", "[ca a]\ndirectory = https://x/\ndirectory = https://y/\n",
	        "t.conf:3: key \"directory\": given twice in the same section");
	refused("bad key type", "[certificate w]\nnames = a.test\nkey = dsa\n",
	        "t.conf:3: key \"key\": expected ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096, "
	        "got \"dsa\"");
	refused("bad bool", "[certificate w]\nnames = a.test\nmust_staple = maybe\n",
	        "t.conf:3: key \"must_staple\": expected yes or no, got \"maybe\"");
	refused("dangling ca",
	        "[ca a]\ndirectory = https://x/\n[certificate w]\nnames = a.test\ncas = a b\n"
	        "http_listen = :80\n",
	        "t.conf:3: key \"cas\": [certificate w] names [ca b], which is not defined");
	refused("ca without directory", "[ca a]\n\n[ca b]\ndirectory = https://x/\n",
	        "t.conf:1: key \"directory\": missing in [ca a]");
	refused("directory not a URL", "[ca a]\ndirectory = ftp://x/\n",
	        "t.conf:2: key \"directory\": expected an http(s) URL, got \"ftp://x/\"");
	refused("section kind", "[site w]\n",
	        "t.conf:1: unknown section kind \"site\" (ca or certificate)");
	refused("section without name", "[ca]\n",
	        "t.conf:1: section must be [ca NAME] or [certificate NAME] (NAME: letters, digits, "
	        "'.', '-', '_')");
	refused("duplicate section", "[ca a]\ndirectory = https://x/\n[ca a]\n",
	        "t.conf:3: [ca a] defined twice");
	refused("no equals sign", "store = /x\njust words\n",
	        "t.conf:2: expected \"key = value\", a [section] or a comment");
	refused("dns-01 without hook", "[certificate w]\nnames = a.test\nchallenge = dns-01\n",
	        "t.conf:1: key \"dns_hook\": challenge dns-01 needs a dns_hook or dns_update in "
	        "[certificate w]");
	refused("http-01 without responder",
	        "[ca a]\ndirectory = https://x/\n[certificate w]\nnames = a.test\ncas = a\n",
	        "t.conf:3: key \"http_listen\": challenge http-01 needs http_listen or webroot in "
	        "[certificate w]");
	refused("eab half", "[ca a]\ndirectory = https://x/\neab_kid = k\n",
	        "t.conf:1: key \"eab_hmac_key\": external account binding needs both eab_kid and "
	        "eab_hmac_key");
	refused("indented key", "[certificate w]\nnames = a.test\n  cas = x\n",
	        "t.conf:3: indented \"key = value\": indented lines continue a list, keys start at "
	        "the beginning of the line");
	refused("continued scalar", "store = /x\n  /y\n",
	        "t.conf:2: key \"store\": continuation lines are only allowed for lists");
	refused("bad duration", "audit_interval = soon\n",
	        "t.conf:1: key \"audit_interval\": expected a duration such as 6h or 30m, got "
	        "\"soon\"");

	const char nul[] = "store = /x\0y\n";
	char err[CONF_ERROR_MAX];
	struct conf *c = conf_load_buffer("t.conf", nul, sizeof(nul) - 1, err, sizeof(err));
	CHECK(c == NULL && strcmp(err, "t.conf:1: NUL byte in the file") == 0, "NUL byte refused");
	conf_free(c);
}

/* Values that would break issuance or deploys later: refused at load (and so
 * at SIGHUP, which loads the same way), each with file:line:key. */
/* n host names of 81 characters on one line, after PREFIX. */
static char *names_line(const char *prefix, int first, int n)
{
	size_t cap = strlen(prefix) + (size_t)n * 100 + 2, len;
	char *buf = malloc(cap);
	int i;

	if (buf == NULL)
		return NULL;
	len = (size_t)snprintf(buf, cap, "%s", prefix);
	for (i = first; i < first + n; i++)
		len += (size_t)snprintf(buf + len, cap - len, " h%03d-%s.example-hosting.test", i,
		                        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde");
	return buf;
}

/* Debian's libinih reads lines of at most 199 bytes: longer ones must work,
 * with inih's value rules, comments and continuation lines, and keep the
 * line numbers of later errors right. */
static void test_long_lines(void)
{
	char err[CONF_ERROR_MAX], *one = names_line("names =", 0, 100);
	char *half1 = names_line("names =", 0, 50), *half2 = names_line("  ", 50, 50);
	char *over = names_line("names =", 0, 101), *comment = names_line("# ", 0, 20);
	char *text = NULL, *indented = names_line("  cas = x", 0, 5);
	size_t cap;
	struct conf *c;

	if (one == NULL || half1 == NULL || half2 == NULL || over == NULL || comment == NULL ||
	    indented == NULL)
		goto out;
	cap = strlen(one) + strlen(half1) + strlen(half2) + strlen(comment) + 512;
	text = malloc(cap);
	if (text == NULL)
		goto out;
	CHECK(strlen(one) > 8192, "a names line of 100 hosts is over 8 KiB");

	snprintf(
	    text, cap,
	    "[ca a]\ndirectory = https://a.test/d\n%s\n[certificate one]\n%s   # comment\n"
	    "cas = a\nwebroot = /w\n[certificate two]\n%s ; comment\n%s\ncas = a\nwebroot = /w\n",
	    comment, one, half1, half2);
	c = parse(text, err);
	CHECK(c != NULL, "one line of 100 names, and two long lines of 50, parse");
	if (c == NULL)
		printf("# %s\n", err);
	CHECK(c != NULL && c->cert_count == 2 && c->certs[0].names.count == 100 &&
	          c->certs[1].names.count == 100,
	      "100 names in each certificate");
	CHECK(c != NULL && c->cert_count == 2 &&
	          strcmp(c->certs[0].names.items[99], c->certs[1].names.items[99]) == 0 &&
	          strncmp(c->certs[0].names.items[0], "h000-", 5) == 0 &&
	          strcmp(c->certs[1].names.items[99] + strlen(c->certs[1].names.items[99]) - 12,
	                 "hosting.test") == 0,
	      "long values split by the same rules, comments cut");
	conf_free(c);

	snprintf(text, cap, "[certificate one]\n%s\ncas = a\n", over);
	refused("101 names", text, "t.conf:2: key \"names\": more than 100 entries");

	snprintf(text, cap, "[certificate one]\n%s\nbogus = 1\n", one);
	refused("error after a long line", text,
	        "t.conf:3: key \"bogus\": unknown key in [certificate one]");

	snprintf(text, cap, "[certificate one]\nnames = a.test\n%s\n", indented);
	refused("long indented key", text,
	        "t.conf:3: indented \"key = value\": indented lines continue a list, keys start at "
	        "the beginning of the line");

	snprintf(text, cap, "[certificate one]\n%s\n", comment + 2);
	refused("long line without a key", text,
	        "t.conf:2: expected \"key = value\", a [section] or a comment");

	snprintf(text, cap, "[certificate %s]\n", one + 8);
	refused("long section header", text, "t.conf:1: section header too long");
out:
	free(one);
	free(half1);
	free(half2);
	free(over);
	free(comment);
	free(indented);
	free(text);
}

static void test_refusals(void)
{
	const char *head = "[ca primary]\ndirectory = https://x/\n[certificate w]\n";
	char text[2048], want[CONF_ERROR_MAX + 128];

#define CERT(line4) (snprintf(text, sizeof(text), "%s%s", head, line4), text)
	refused("http_listen port out of range",
	        CERT("names = a.test\ncas = primary\nhttp_listen = 127.0.0.1:99999\n"),
	        "t.conf:6: key \"http_listen\": expected an address such as 0.0.0.0:80 or [::]:80 "
	        "(port 1 to 65535), got \"127.0.0.1:99999\"");
	refused("http_listen nonsense",
	        CERT("names = a.test\ncas = primary\nhttp_listen = nonsense\n"),
	        "t.conf:6: key \"http_listen\": expected an address such as 0.0.0.0:80 or [::]:80 "
	        "(port 1 to 65535), got \"nonsense\"");
	refused("verify_addr without port",
	        CERT("names = a.test\ncas = primary\nhttp_listen = :80\nverify_addr = localhost\n"),
	        "t.conf:7: key \"verify_addr\": expected HOST:PORT, got \"localhost\" (no port)");
	refused("verify_addr bad port",
	        CERT("names = a.test\ncas = primary\nhttp_listen = :80\nverify_addr = h.test:0\n"),
	        "t.conf:7: key \"verify_addr\": expected a port from 1 to 65535 in \"h.test:0\"");
	refused("verify_addr IPv6 without brackets",
	        CERT("names = a.test\ncas = primary\nhttp_listen = :80\nverify_addr = ::1:443\n"),
	        "t.conf:7: key \"verify_addr\": an IPv6 address needs brackets: [ADDRESS]:PORT");
	refused("cas twice", CERT("names = a.test\ncas = primary primary\n"),
	        "t.conf:5: key \"cas\": \"primary\" is listed twice (each CA is tried once, in "
	        "order)");
	refused("wildcard with http-01",
	        CERT("names = a.test *.a.test\ncas = primary\nhttp_listen = :80\n"),
	        "t.conf:3: key \"challenge\": [certificate w]: the wildcard name *.a.test needs "
	        "challenge = dns-01 (CAs validate wildcards only through DNS, RFC 8555 section "
	        "7.1.3)");
	refused("a name with $", CERT("names = exa$mple.com\n"),
	        "t.conf:4: key \"names\": \"exa$mple.com\" is not a host name (labels of letters, "
	        "digits and '-', separated by dots)");
	refused("a label ending in -", CERT("names = -bad-.com\n"),
	        "t.conf:4: key \"names\": \"-bad-.com\": a label may not start or end with '-'");
	refused("an IPv6 address not in canonical form", CERT("names = 2001:DB8:0::1\n"),
	        "t.conf:4: key \"names\": write the IP address \"2001:DB8:0::1\" as "
	        "\"2001:db8::1\"");
	refused("a wildcard on an IP address", CERT("names = *.192.0.2.1\n"),
	        "t.conf:4: key \"names\": \"192.0.2.1\" is an IP address, not a host name");
	refused("an IP address with dns-01",
	        CERT("names = a.test 192.0.2.1\ncas = primary\nchallenge = dns-01\n"
	             "dns_hook = /bin/true\n"),
	        "t.conf:3: key \"challenge\": [certificate w]: the IP address 192.0.2.1 needs "
	        "challenge = http-01 (RFC 8738 section 7: an IP address has no DNS name for "
	        "dns-01)");
	refused("a name twice, on a continuation line", CERT("names = a.test\n  b.test a.test\n"),
	        "t.conf:5: key \"names\": \"a.test\" is listed twice");
	refused("resolvers not an IP", "resolvers = 127.0.0.1 not-an-ip\n",
	        "t.conf:1: key \"resolvers\": \"not-an-ip\" is not a DNS server address (IP, "
	        "IP:PORT or [IPv6]:PORT)");
	refused("eab_hmac_key not base64url",
	        "[ca a]\ndirectory = https://x/\neab_kid = k\neab_hmac_key = no+pad/ding==\n",
	        "t.conf:4: key \"eab_hmac_key\": not base64url (RFC 4648 section 5: A-Z a-z 0-9 - "
	        "_, no padding)");
	refused("profile with a space", CERT("names = a.test\nprofile = short lived\n"),
	        "t.conf:5: key \"profile\": expected a profile name such as classic, tlsserver or "
	        "shortlived (letters, digits, '.', '_', '-', at most 63), got \"short lived\"");
	refused("profile_required not a boolean",
	        CERT("names = a.test\nprofile = shortlived\nprofile_required = maybe\n"),
	        "t.conf:6: key \"profile_required\": expected yes or no, got \"maybe\"");
	refused("dns_hook and dns_update",
	        "[certificate w]\nnames = a.test\nchallenge = dns-01\ndns_hook = /bin/true\n"
	        "dns_update = 127.0.0.1\n",
	        "t.conf:1: key \"dns_update\": [certificate w]: dns_hook and dns_update both "
	        "publish the dns-01 record: give one");
	refused("dns_update not a server", "[certificate w]\nnames = a.test\ndns_update = a b\n",
	        "t.conf:3: key \"dns_update\": expected the primary server as IP, IP:PORT, "
	        "[IPv6]:PORT, HOST or HOST:PORT, got \"a b\"");
	refused("tsig_key missing", "[certificate w]\nnames = a.test\ntsig_key = /nonexistent/k\n",
	        "t.conf:3: key \"tsig_key\": /nonexistent/k: No such file or directory");
	refused("tsig_key world-readable",
	        "[certificate w]\nnames = a.test\ntsig_key = /etc/passwd\n",
	        "t.conf:3: key \"tsig_key\": /etc/passwd: readable by every user (mode 0644): a "
	        "key file must not be (chmod 600)");
	refused("tsig_key without dns_update",
	        "[certificate w]\nnames = a.test\nchallenge = dns-01\ndns_hook = /bin/true\n"
	        "tsig_key = /etc/shadow\n",
	        "t.conf:1: key \"tsig_key\": [certificate w]: tsig_key signs dns_update's updates: "
	        "no dns_update is given");
	refused("outage_margin too long", "outage_margin = 31d\n",
	        "t.conf:1: key \"outage_margin\": expected a duration from 0 to 30d (renewal is "
	        "never later than this before expiry), got \"31d\"");
	refused("outage_margin not a duration", "outage_margin = two days\n",
	        "t.conf:1: key \"outage_margin\": expected a duration from 0 to 30d (renewal is "
	        "never later than this before expiry), got \"two days\"");
	refused(
	    "caa_identities not a domain",
	    "[ca a]\ndirectory = https://x/\ncaa_identities = letsencrypt.org *.bad.example\n",
	    "t.conf:3: key \"caa_identities\": not a CAA issuer domain name: \"*.bad.example\" is "
	    "not a host name (labels of letters, digits and '-', separated by dots)");
	refused(
	    "caa_identities an IP", "[ca a]\ndirectory = https://x/\ncaa_identities = 192.0.2.1\n",
	    "t.conf:3: key \"caa_identities\": not a CAA issuer domain name: \"192.0.2.1\" is an "
	    "IP address, not a host name");
	refused("caa_identities twice",
	        "[ca a]\ndirectory = https://x/\ncaa_identities = a.example\n  a.example\n",
	        "t.conf:4: key \"caa_identities\": \"a.example\" is listed twice");
	refused("caa_identities empty", "[ca a]\ndirectory = https://x/\ncaa_identities =\n",
	        "t.conf:3: key \"caa_identities\": empty value");
	refused("caa_identities in a certificate",
	        CERT("names = a.test\ncaa_identities = a.example\n"),
	        "t.conf:5: key \"caa_identities\": unknown key in [certificate w]");
	refused("audit_interval too short", "audit_interval = 1s\n",
	        "t.conf:1: key \"audit_interval\": 1s is shorter than the minimum of 15m "
	        "(registries' RDAP servers rate-limit; off disables the audit)");
	refused("probe_interval too short", "probe_interval = 5s\n",
	        "t.conf:1: key \"probe_interval\": 5s is shorter than the minimum of 10s (off "
	        "disables the probe)");
	refused("probe_interval not a duration", "probe_interval = often\n",
	        "t.conf:1: key \"probe_interval\": expected a duration such as 6h or 30m, got "
	        "\"often\"");
	refused("crl_interval too short", "crl_interval = 30s\n",
	        "t.conf:1: key \"crl_interval\": 30s is shorter than the minimum of 1m (off "
	        "disables the CRL checks)");
	refused("crl_interval too short in a certificate",
	        CERT("names = a.test\ncrl_interval = 59\n"),
	        "t.conf:5: key \"crl_interval\": 59 is shorter than the minimum of 1m (off "
	        "disables the CRL checks)");
	refused("crl_interval not a duration", "crl_interval = daily\n",
	        "t.conf:1: key \"crl_interval\": expected a duration such as 6h or 30m, got "
	        "\"daily\"");
	{
		char e[CONF_ERROR_MAX];
		struct conf *cc =
		    parse("crl_interval = 2h\n[ca a]\ndirectory = https://x.test/dir\n"
		          "[certificate own]\nnames = a.test\ncas = a\nwebroot = "
		          "/tmp\ncrl_interval = 1m\n"
		          "[certificate top]\nnames = b.test\ncas = a\nwebroot = /tmp\n"
		          "[certificate none]\nnames = c.test\ncas = a\nwebroot = "
		          "/tmp\ncrl_interval = off\n",
		          e);
		CHECK(cc != NULL && cc->crl_interval == 7200 &&
		          conf_cert_crl_interval(cc, &cc->certs[0]) == 60 &&
		          conf_cert_crl_interval(cc, &cc->certs[1]) == 7200 &&
		          conf_cert_crl_interval(cc, &cc->certs[2]) == 0,
		      "crl_interval: a certificate's own, else the top level's; off is 0");
		if (cc == NULL)
			printf("# %s\n", e);
		conf_free(cc);
	}
	{
		char e[CONF_ERROR_MAX];
		struct conf *off = parse("probe_interval = off\n", e);
		CHECK(off != NULL && off->probe_interval == 0,
		      "probe_interval = off: 0 (disabled)");
		conf_free(off);
	}
	refused("deploy_hook missing", CERT("names = a.test\ndeploy_hook = /nonexistent/hook\n"),
	        "t.conf:5: key \"deploy_hook\": /nonexistent/hook: No such file or directory");
	refused("deploy_hook a directory", CERT("names = a.test\ndeploy_hook = /tmp\n"),
	        "t.conf:5: key \"deploy_hook\": /tmp is a directory, not a program");
	{
		char plain[] = "/tmp/holdfast-conf-hook.XXXXXX", line[128], msg[256];
		int fd = mkstemp(plain); /* mode 0600: no execute bit, even for root */
		if (fd >= 0)
			close(fd);
		snprintf(line, sizeof(line), "names = a.test\ndeploy_hook = %s\n", plain);
		snprintf(msg, sizeof(msg), "t.conf:5: key \"deploy_hook\": %s is not executable",
		         plain);
		refused("deploy_hook not executable", CERT(line), msg);
		unlink(plain);
	}
	refused("dns_hook not in PATH",
	        CERT("names = a.test\nchallenge = dns-01\ndns_hook = no-such-hook-holdfast\n"),
	        "t.conf:6: key \"dns_hook\": \"no-such-hook-holdfast\" is not an executable in "
	        "PATH");
	refused("staple_retry_min alone, longer than the default max", "staple_retry_min = 2h\n",
	        "t.conf:1: key \"staple_retry_min\": 7200s is longer than staple_retry_max (3600s, "
	        "the default)");
	refused("staple_retry_max given later and shorter",
	        "staple_retry_min = 10m\nstore = /x\nstaple_retry_max = 5m\n",
	        "t.conf:3: key \"staple_retry_max\": 300s is shorter than staple_retry_min (600s)");
	refused("top-level key after a section", CERT("names = a.test\nstore = /srv\n"),
	        "t.conf:5: key \"store\": is a top-level key: it belongs before the first section, "
	        "not in [certificate w]");
#undef CERT
	/* What is accepted: an executable in PATH, IPv6 and host name addresses. */
	{
		char err[CONF_ERROR_MAX];
		struct conf *c =
		    parse("resolvers = [::1]:53 127.0.0.1:5353\n"
		          "[certificate w]\nnames = a.test *.b.a.test\n"
		          "challenge = dns-01\ndns_hook = sh\ndeploy_hook = /bin/true\n"
		          "verify_addr = [::1]:443\n"
		          "[certificate v]\nnames = bücher.example\n"
		          "verify_addr = www.example:8443\n",
		          err);
		snprintf(want, sizeof(want),
		         "accepted: PATH hook, wildcard with dns-01, IDN, "
		         "addresses (%s)",
		         err);
		CHECK(c != NULL, want);
		conf_free(c);
	}
}

/* The configuration file itself must be a regular file: never block on a
 * FIFO, say what is wrong with a directory or a device. */
static void test_file_kinds(void)
{
	char err[CONF_ERROR_MAX], fifo[] = "/tmp/holdfast-conf-fifo.XXXXXX";
	struct conf *c;

	c = conf_load("/tmp", err, sizeof(err));
	CHECK(c == NULL && strcmp(err, "/tmp: is a directory, not a configuration file") == 0,
	      "a directory as the config: said so");
	conf_free(c);
	c = conf_load("/dev/null", err, sizeof(err));
	CHECK(c == NULL && strcmp(err, "/dev/null: not a regular file (a FIFO, device or "
	                               "socket): refused") == 0,
	      "/dev/null as the config: refused, not \"Invalid argument\"");
	conf_free(c);
	if (mkdtemp(fifo) == NULL) {
		CHECK(0, "a FIFO as the config: temporary directory");
		return;
	}
	{
		char path[64];
		snprintf(path, sizeof(path), "%s/conf", fifo);
		if (mkfifo(path, 0600) != 0) {
			CHECK(0, "a FIFO as the config: mkfifo");
		} else {
			c = conf_load(path, err,
			              sizeof(err)); /* must return, not wait for a writer */
			CHECK(c == NULL && strstr(err, "not a regular file") != NULL,
			      "a FIFO as the config: refused at once");
			conf_free(c);
			unlink(path);
		}
		rmdir(fifo);
	}
}

/* The example shipped in doc/ must always be a valid configuration. */
static void test_shipped_example(void)
{
	char err[CONF_ERROR_MAX];
	struct conf *c =
	    conf_load(HOLDFAST_SOURCE_ROOT "/doc/holdfast.conf.example", err, sizeof(err));

	CHECK(c != NULL, "doc/holdfast.conf.example is valid");
	if (c == NULL)
		printf("# %s\n", err);
	CHECK(c != NULL && c->cert_count == 2 && c->ca_count == 2 && c->metrics_listen != NULL,
	      "the example defines two CAs, two certificates and metrics");
	conf_free(c);
}

static void test_missing_file(void)
{
	char err[CONF_ERROR_MAX];
	struct conf *c = conf_load("/nonexistent/holdfast.conf", err, sizeof(err));

	CHECK(c == NULL &&
	          strcmp(err, "/nonexistent/holdfast.conf: No such file or directory") == 0,
	      "missing file names the path");
	conf_free(c);
}

/* sandbox = yes|no, default yes (holdfast(1) SANDBOX). */
static void test_sandbox_key(void)
{
	char err[CONF_ERROR_MAX];
	struct conf *c = parse("store = /s\n", err);

	CHECK(c != NULL && c->sandbox == 1, "sandbox: on by default");
	conf_free(c);
	c = parse("sandbox = no\n", err);
	CHECK(c != NULL && c->sandbox == 0, "sandbox = no: off");
	conf_free(c);
	c = parse("sandbox = yes\n", err);
	CHECK(c != NULL && c->sandbox == 1, "sandbox = yes: on");
	conf_free(c);
	refused("sandbox = maybe", "sandbox = maybe\n",
	        "t.conf:1: key \"sandbox\": expected yes or no, got \"maybe\"");
	refused("sandbox in a section", "[ca a]\ndirectory = https://a.test/d\nsandbox = no\n",
	        "t.conf:3: key \"sandbox\": is a top-level key: it belongs before the first "
	        "section, not in [ca a]");
}

int main(void)
{
	test_full();
	test_sandbox_key();
	test_defaults();
	test_metrics_per_certificate();
	test_crl_max_size();
	test_errors();
	test_long_lines();
	test_refusals();
	test_file_kinds();
	test_missing_file();
	test_shipped_example();
	conf_free(NULL);
	return tap_done();
}

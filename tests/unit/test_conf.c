/* Unit tests for conf: every refusal names file, line and key. */
#include <stdio.h>
#include <string.h>

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
	                   "ocsp_listen = [::1]:8889\n"
	                   "\n"
	                   "[ca primary]\n"
	                   "directory = https://a.test/dir\n"
	                   "[ca backup]   # a comment after a header\n"
	                   "directory = https://b.test/dir\n"
	                   "ca_bundle = /etc/pebble.pem\n"
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
	CHECK(strcmp(c->store, "/srv/hf") == 0, "store without the trailing comment");
	CHECK(c->resolvers.count == 2 && strcmp(c->resolvers.items[1], "127.0.0.2") == 0,
	      "resolvers list");
	CHECK(c->audit_interval == 1800, "audit_interval 30m = 1800 s");
	CHECK(c->ocsp_listen != NULL && strcmp(c->ocsp_listen, "[::1]:8889") == 0, "ocsp_listen");
	CHECK(c->ca_count == 2 && c->cas[1].line == 8, "two CAs, second header on line 8");
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
		CHECK(c->metrics_per_certificate == 1000, "default metrics_per_certificate 1000");
	}
	conf_free(c);
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
	        "t.conf:3: key \"metrics_per_certificate\": unknown key in [ca a]");
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
	        "t.conf:1: key \"dns_hook\": challenge dns-01 needs a dns_hook in [certificate w]");
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

	char longline[400];
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "store = ", 8);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	refused("overlong line", longline, "t.conf:1: line longer than 197 characters");

	const char nul[] = "store = /x\0y\n";
	char err[CONF_ERROR_MAX];
	struct conf *c = conf_load_buffer("t.conf", nul, sizeof(nul) - 1, err, sizeof(err));
	CHECK(c == NULL && strcmp(err, "t.conf:1: NUL byte in the file") == 0, "NUL byte refused");
	conf_free(c);
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

int main(void)
{
	test_full();
	test_defaults();
	test_metrics_per_certificate();
	test_errors();
	test_missing_file();
	test_shipped_example();
	conf_free(NULL);
	return tap_done();
}

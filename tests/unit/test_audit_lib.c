/*
 * Unit tests for the audit library's parts that need no network: the AIA and
 * CRL helpers of x509/cert.c the map uses, the report's roles and JSON line,
 * the dependency map built from a configuration and a store (map.c,
 * storage.c), the state of the last audit (state.c), and the ways
 * audit_run() refuses to start (engine.c).  Everything happens in a private
 * mkdtemp directory, removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "audit/audit.h"
#include "audit/internal.h"
#include "tap.h"
#include "x509/cert.h"

#include "testca.c"

static char dir[] = "/tmp/test_audit_lib.XXXXXX";

/* A self-signed certificate with the given AIA and CRL distribution points
 * (openssl.cnf syntax; either may be NULL), or NULL. */
static X509 *cert_with(EVP_PKEY *key, const char *aia, const char *crl)
{
	struct testca_cert_spec spec = {
	    .cn = "leaf", .serial = 7, .key = key, .issuer_key = key, .aia = aia};
	X509 *x = testca_cert_new(&spec);
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	if (x == NULL || crl == NULL)
		return x;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_crl_distribution_points, crl);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1 || X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_EXTENSION_free(ext);
		X509_free(x);
		return NULL;
	}
	X509_EXTENSION_free(ext);
	return x;
}

static void free_urls(char **urls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(urls[i]);
}

static void test_cert_urls(EVP_PKEY *key)
{
	char *urls[8];
	size_t n;
	X509 *x = cert_with(key,
	                    "OCSP;URI:http://ocsp.ca.test/,OCSP;URI:http://ocsp.ca.test/,"
	                    "OCSP;URI:ldap://ocsp.ca.test/,caIssuers;URI:http://crt.ca.test/ca.der,"
	                    "caIssuers;URI:ldap://ldap.ca.test/ca",
	                    "URI:http://crl.ca.test/ca.crl,URI:http://crl.ca.test/ca.crl,"
	                    "URI:ldap://ldap.ca.test/crl");

	CHECK(x != NULL, "certificate with AIA and CRL distribution points");
	if (x == NULL)
		return;
	n = cert_ocsp_urls(x, urls, 0, 8);
	CHECK(n == 1 && strcmp(urls[0], "http://ocsp.ca.test/") == 0,
	      "cert_ocsp_urls: http(s) only, duplicates skipped");
	free_urls(urls, n);
	n = cert_ca_issuers_urls(x, urls, 0, 8);
	CHECK(n == 2 && strcmp(urls[0], "http://crt.ca.test/ca.der") == 0 &&
	          strcmp(urls[1], "ldap://ldap.ca.test/ca") == 0,
	      "cert_ca_issuers_urls: every URI, in order");
	free_urls(urls, n);
	n = cert_crl_urls(x, urls, 0, 8);
	CHECK(n == 2 && strcmp(urls[0], "http://crl.ca.test/ca.crl") == 0 &&
	          strcmp(urls[1], "ldap://ldap.ca.test/crl") == 0,
	      "cert_crl_urls: every fullName URI, duplicates skipped");
	free_urls(urls, n);
	n = cert_crl_urls(x, urls, 0, 1);
	CHECK(n == 1, "cert_crl_urls: at most max");
	free_urls(urls, n);
	urls[0] = strdup("http://crl.ca.test/ca.crl");
	n = cert_crl_urls(x, urls, 1, 8);
	CHECK(n == 2 && strcmp(urls[1], "ldap://ldap.ca.test/crl") == 0,
	      "cert_crl_urls: appends, skipping what is there");
	free_urls(urls, n);
	X509_free(x);
	x = cert_with(key, NULL, NULL);
	CHECK(x != NULL && cert_crl_urls(x, urls, 0, 8) == 0 &&
	          cert_ca_issuers_urls(x, urls, 0, 8) == 0,
	      "no extensions: no URLs");
	X509_free(x);
}

static void test_report(void)
{
	struct audit_report r = {0};
	char *line;

	CHECK(audit_severity_result(AUDIT_OK) == RESULT_OK &&
	          audit_severity_result(AUDIT_INFO) == RESULT_OK &&
	          audit_severity_result(AUDIT_WARNING) == RESULT_WARNING &&
	          audit_severity_result(AUDIT_CRITICAL) == RESULT_CRITICAL &&
	          audit_severity_result(AUDIT_UNKNOWN) == RESULT_UNKNOWN,
	      "severity to result");
	audit_report_add(&r, "x.test", AUDIT_CHECK_EXPIRY, AUDIT_WARNING, "http://rdap.test/x",
	                 "expires \"soon\"");
	audit_report_add(&r, "certificate www", AUDIT_CHECK_REDUNDANCY, AUDIT_OK, NULL, "fine");
	CHECK(strcmp(audit_report_roles(&r, "x.test"), "") == 0, "roles: none recorded: \"\"");
	CHECK(audit_report_roles_set(&r, "x.test", "certificate a") == 0 &&
	          audit_report_roles_set(&r, "y.test", "certificate b") == 0 &&
	          audit_report_roles_set(&r, "x.test", "certificate a; certificate c") == 0,
	      "roles: recorded");
	CHECK(strcmp(audit_report_roles(&r, "x.test"), "certificate a; certificate c") == 0 &&
	          strcmp(audit_report_roles(&r, "y.test"), "certificate b") == 0 &&
	          r.role_count == 2,
	      "roles: a second record replaces the first");
	line = audit_finding_json_new(&r, 0);
	CHECK(line != NULL &&
	          strcmp(line, "{\"domain\":\"x.test\",\"check\":\"expiry\",\"severity\":"
	                       "\"WARNING\",\"evidence\":\"expires \\\"soon\\\"\",\"source\":"
	                       "\"http://rdap.test/x\",\"roles\":\"certificate a; certificate "
	                       "c\"}") == 0,
	      "JSON line: keys in order, compact, escaped");
	free(line);
	line = audit_finding_json_new(&r, 1);
	CHECK(line != NULL && strstr(line, "\"source\":\"\",\"roles\":\"\"}") != NULL,
	      "JSON line: no source, no roles: empty strings");
	free(line);
	CHECK(audit_finding_json_new(&r, 2) == NULL, "JSON line: past the end: NULL");
	free(r.items[0].evidence);
	r.items[0].evidence = strdup("cut \xc3");
	CHECK(audit_finding_json_new(&r, 0) == NULL, "JSON line: invalid UTF-8: NULL");
	audit_report_free(&r);
	CHECK(r.count == 0 && r.role_count == 0 && r.roles == NULL, "report freed and empty");
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int store_cert(const char *name, X509 *x)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/store/certificates/%s", dir, name);
	if (mkdir(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/store/certificates/%s/cert.pem", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	ok = PEM_write_X509(f, x);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

static const struct audit_domain *domain_named(const struct audit_run *run, const char *name)
{
	size_t i = audit_domain_find(run, name);

	return i == (size_t)-1 ? NULL : run->domains[i];
}

static int has_host(const struct audit_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->host_count; i++) {
		if (strcmp(run->hosts[i]->name, name) == 0)
			return 1;
	}
	return 0;
}

static const struct audit_set *set_named(const struct audit_run *run, const char *subject)
{
	size_t i;

	for (i = 0; i < run->set_count; i++) {
		if (strcmp(run->sets[i].subject, subject) == 0)
			return &run->sets[i];
	}
	return NULL;
}

static void run_tables_free(struct audit_run *run)
{
	size_t i;

	for (i = 0; i < run->host_count; i++)
		free(run->hosts[i]);
	for (i = 0; i < run->domain_count; i++) {
		free(run->domains[i]->rdap);
		free(run->domains[i]);
	}
	free(run->hosts);
	free(run->domains);
	free(run->sets);
	memset(run, 0, sizeof(*run));
}

static struct conf *map_conf(void)
{
	char text[2048], err[512], path[512];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/store/certificates", dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return NULL;
	snprintf(text, sizeof(text),
	         "store = %s/store\n"
	         "[ca one]\ndirectory = https://acme.ca-one.test/directory\n"
	         "[ca two]\ndirectory = https://acme.ca-two.lab/directory\n"
	         "[certificate www]\nnames = www.site.test site.test\ncas = one two\n"
	         "critical = yes\nwebroot = %s\nocsp_backup = http://ocsp.backup.lab/\n"
	         "[certificate wild]\nnames = *.other.test\ncas = one\nchallenge = dns-01\n"
	         "dns_hook = /bin/true\n",
	         dir, dir);
	c = conf_load_buffer("map.conf", text, strlen(text), err, sizeof(err));
	if (c == NULL)
		printf("# conf: %s\n", err);
	return c;
}

static void test_map(EVP_PKEY *key)
{
	struct audit_run run;
	struct conf *c = map_conf();
	const struct audit_domain *d;
	const struct audit_set *s;
	X509 *www = cert_with(key,
	                      "OCSP;URI:http://ocsp.ca-one.test/,OCSP;URI:http://ocsp.ca-one.test/,"
	                      "caIssuers;URI:http://crt.ca-one.test/ca.der",
	                      "URI:http://crl.ca-one.test/ca.crl");
	X509 *api = cert_with(key, "OCSP;URI:http://127.0.0.1:8080/", NULL);

	CHECK(c != NULL && www != NULL && api != NULL && store_cert("www", www) == 0 &&
	          store_cert("api", api) == 0 && store_cert(".hidden", www) == 0,
	      "map: configuration and stored certificates");
	X509_free(www);
	X509_free(api);
	if (c == NULL)
		return;
	memset(&run, 0, sizeof(run));
	run.conf = c;
	run.psl = (psl_ctx_t *)psl_builtin();
	audit_map_config(&run);
	CHECK(!run.oom && run.domain_count == 5, "map: five domains");
	d = domain_named(&run, "ca-one.test");
	CHECK(d != NULL && d->audited && d->important &&
	          strcmp(d->roles, "CA endpoint (directory of ca one); CA endpoint (ocsp of "
	                           "certificate www); CA endpoint (ca-issuers of certificate "
	                           "www); CA endpoint (crl of certificate www)") == 0,
	      "map: the CA's domain holds its directory and the AIA/CRL hosts, in order");
	d = domain_named(&run, "site.test");
	CHECK(d != NULL && d->important && strcmp(d->roles, "certificate www (critical)") == 0,
	      "map: a critical certificate's domain is important");
	d = domain_named(&run, "other.test");
	CHECK(d != NULL && !d->important && strcmp(d->roles, "certificate wild") == 0,
	      "map: a wildcard's domain");
	d = domain_named(&run, "backup.lab");
	CHECK(d != NULL && strstr(d->roles, "backup ocsp of certificate www") != NULL,
	      "map: the OCSP backup's domain");
	CHECK(domain_named(&run, "ca-two.lab") != NULL && domain_named(&run, "127.0.0.1") == NULL,
	      "map: the second CA; no domain for an IP-literal responder");
	CHECK(run.host_count == 8 && has_host(&run, "acme.ca-one.test") &&
	          has_host(&run, "ocsp.ca-one.test") && has_host(&run, "crt.ca-one.test") &&
	          has_host(&run, "crl.ca-one.test") && has_host(&run, "www.site.test") &&
	          has_host(&run, "site.test") && has_host(&run, "ocsp.backup.lab") &&
	          !has_host(&run, "*.other.test") && !has_host(&run, "other.test"),
	      "map: each host once; no host for a wildcard");
	s = set_named(&run, "certificate www");
	CHECK(s != NULL && s->count == 2 && strcmp(s->label[0], "ca one") == 0 &&
	          strcmp(s->label[1], "ca two") == 0,
	      "map: redundancy set of the certificate's CAs");
	s = set_named(&run, "certificate www ocsp");
	CHECK(s != NULL && s->count == 2 && strcmp(s->label[0], "ocsp responder 1") == 0 &&
	          strcmp(s->label[1], "backup ocsp 1") == 0,
	      "map: redundancy set of the OCSP responder (named twice: once) and its backup");
	CHECK(set_named(&run, "certificate wild") == NULL, "map: no set for a single CA");
	run_tables_free(&run);
	conf_free(c);
}

static void ok_rdap(struct audit_domain *d, const char *registrar)
{
	memset(d->rdap, 0, sizeof(*d->rdap));
	d->rdap->outcome = RDAP_OK;
	snprintf(d->rdap->url, sizeof(d->rdap->url), "http://rdap.test/domain/%s", d->name);
	snprintf(d->rdap->domain.ldh_name, sizeof(d->rdap->domain.ldh_name), "%s", d->name);
	snprintf(d->rdap->domain.registrar, sizeof(d->rdap->domain.registrar), "%s", registrar);
	d->rdap->domain.dnssec = -1;
}

static void test_state(void)
{
	struct audit_report r = {0};
	struct audit_run run;
	char store[512], path[600];
	json_t *state;
	size_t a, b;

	snprintf(store, sizeof(store), "%s/state-store", dir);
	memset(&run, 0, sizeof(run));
	run.psl = (psl_ctx_t *)psl_builtin();
	a = audit_domain_get(&run, "a.test", 1, 0, "certificate a");
	b = audit_domain_get(&run, "b.test", 1, 0, "certificate b");
	CHECK(a == 0 && b == 1, "state: two audited domains");
	if (a != 0 || b != 1)
		return;
	ok_rdap(run.domains[a], "Reg One");
	run.domains[b]->rdap->outcome = RDAP_UNREACHABLE;
	CHECK(audit_store_state_load(store) == NULL, "state: none yet");
	audit_state_update(&run, &r, store, 1800000000);
	CHECK(r.count == 0, "state: first audit: nothing changed");
	state = audit_store_state_load(store);
	CHECK(state != NULL &&
	          json_object_get(json_object_get(state, "domains"), "a.test") != NULL &&
	          json_object_get(json_object_get(state, "domains"), "b.test") == NULL &&
	          json_integer_value(json_object_get(state, "version")) == 1,
	      "state: written under STORE/audit, only the domain with RDAP facts");
	json_decref(state);
	ok_rdap(run.domains[a], "Reg Two");
	audit_state_update(&run, &r, store, 1800000100);
	CHECK(r.count == 1 && r.items[0].check == AUDIT_CHECK_CHANGED &&
	          strcmp(r.items[0].domain, "a.test") == 0 &&
	          strstr(r.items[0].evidence, "Reg Two") != NULL,
	      "state: a changed registrar is reported");
	audit_report_free(&r);
	run.domains[a]->rdap->outcome = RDAP_UNREACHABLE;
	audit_state_update(&run, &r, store, 1800000200);
	state = audit_store_state_load(store);
	CHECK(r.count == 0 && state != NULL &&
	          strcmp(json_string_value(json_object_get(
	                     json_object_get(json_object_get(state, "domains"), "a.test"),
	                     "registrar")),
	                 "Reg Two") == 0,
	      "state: a failed lookup keeps what the last audit saw");
	json_decref(state);
	snprintf(path, sizeof(path), "%s/audit/state.json", store);
	CHECK(write_file(path, "{\"not\": \"a state\"}") == 0 &&
	          audit_store_state_load(store) == NULL,
	      "state: a file that is not an audit state is not used");
	audit_report_free(&r);
	run_tables_free(&run);
}

static void test_refusals(void)
{
	const char *bad_resolver[] = {"resolver.example"}, *resolver[] = {"127.0.0.1:1"};
	const char *bad_name[] = {"bad name!"}, *name[] = {"x.test"};
	char text[512], err[256];
	struct audit_options opt;
	struct audit_report r;
	struct conf *c;

	audit_options_default(&opt);
	opt.domains = name;
	opt.domain_count = 1;
	opt.resolvers = bad_resolver;
	opt.resolver_count = 1;
	opt.store = dir;
	CHECK(audit_run(&opt, &r) == RESULT_UNKNOWN && r.aborted && r.count == 0 &&
	          strcmp(r.error, "resolver resolver.example: expected IP[:PORT]") == 0,
	      "refused: a resolver that is not IP[:PORT]");
	audit_report_free(&r);
	opt.resolvers = resolver;
	opt.domains = bad_name;
	CHECK(audit_run(&opt, &r) == RESULT_UNKNOWN && r.aborted &&
	          strcmp(r.error, "\"bad name!\" is not a host name (labels of letters, digits "
	                          "and '-', separated by dots)") == 0,
	      "refused: a name that is not a host name");
	audit_report_free(&r);
	{
		const char *ip[] = {"192.0.2.1"}, *hyphen[] = {"-bad-.com"};
		opt.domains = ip;
		CHECK(audit_run(&opt, &r) == RESULT_UNKNOWN && r.aborted && r.count == 0 &&
		          strcmp(r.error, "\"192.0.2.1\" is an IP address, not a host name") == 0,
		      "refused: an IP address is not audited as the domain \"2.1\"");
		audit_report_free(&r);
		opt.domains = hyphen;
		CHECK(audit_run(&opt, &r) == RESULT_UNKNOWN && r.aborted &&
		          strcmp(r.error, "\"-bad-.com\": a label may not start or end with '-'") ==
		              0,
		      "refused: a label starting with '-'");
		audit_report_free(&r);
		opt.domains = bad_name;
	}
	/* A configured resolver that is not IP[:PORT] no longer reaches the
	 * audit: the configuration refuses it, with file:line:key. */
	snprintf(text, sizeof(text), "store = %s/empty\nresolvers = 127.0.0.1 not-an-address\n",
	         dir);
	c = conf_load_buffer("empty.conf", text, strlen(text), err, sizeof(err));
	CHECK(c == NULL &&
	          strstr(err, "empty.conf:2: key \"resolvers\": \"not-an-address\" is not") == err,
	      "refused: a configured resolver that is not IP[:PORT], at load, file:line:key");
	conf_free(c);
	snprintf(text, sizeof(text), "store = %s/empty\n", dir);
	c = conf_load_buffer("empty.conf", text, strlen(text), err, sizeof(err));
	CHECK(c != NULL, "refused: configuration loaded");
	if (c == NULL)
		return;
	audit_options_default(&opt);
	opt.conf = c;
	memset(&r, 0, sizeof(r));
	audit_report_free(&r);
	opt.resolvers = resolver;
	opt.resolver_count = 1;
	CHECK(audit_run(&opt, &r) == RESULT_UNKNOWN && r.aborted &&
	          strcmp(r.error, "nothing to audit (no names in empty.conf)") == 0,
	      "refused: given resolvers win; a configuration without names: nothing to audit");
	audit_report_free(&r);
	conf_free(c);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char path[512];
	EVP_PKEY *key;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	(void)mkdir(path, 0755);
	key = testca_key_new();
	CHECK(key != NULL, "test key");
	if (key != NULL) {
		test_cert_urls(key);
		test_map(key);
	}
	test_report();
	test_state();
	test_refusals();
	EVP_PKEY_free(key);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}

/*
 * map: the dependency map of a deployment, the first step of an audit.
 *
 * Every host name the deployment depends on, each under its registrable
 * domain (libpsl), with the roles that say why it matters: the names given
 * to audit, or the configuration's: each certificate's names (a critical
 * certificate makes its domains important), each [ca] directory host, and
 * the OCSP, CA-issuers and CRL hosts of the certificates in the store (read
 * with x509/cert.h's helpers) and the OCSP backups, all important.  An IP
 * literal has no domain and is skipped.  Beside the map, the redundancy
 * sets: endpoints that should not share a registrar, a TLD or a DNS provider
 * (a certificate's CAs; its OCSP responders with their backups).
 *
 * Guarantees: a host is resolved once however often it is named; a wildcard
 * audits its domain without a host to resolve; a domain's roles keep the
 * order they were found in, each role once.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"
#include "util/log.h"
#include "util/names.h"
#include "util/url.h"
#include "x509/cert.h"

#define AUDIT_CERT_URLS_MAX 16 /* of each kind in one certificate */

void audit_text_set(char *dst, size_t dstlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, dstlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- tables */

size_t audit_domain_find(const struct audit_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->domain_count; i++) {
		if (strcmp(run->domains[i]->name, name) == 0)
			return i;
	}
	return (size_t)-1;
}

static void roles_add(char *roles, size_t len, const char *role)
{
	size_t used = strlen(roles);
	int w;

	if (role == NULL || *role == '\0' || strstr(roles, role) != NULL)
		return;
	w = snprintf(roles + used, len - used, "%s%s", used ? "; " : "", role);
	if (w < 0 || (size_t)w >= len - used)
		roles[used] = '\0'; /* keep what fitted before */
}

size_t audit_domain_get(struct audit_run *run, const char *name, int audited, int important,
                        const char *role)
{
	size_t i = audit_domain_find(run, name);
	struct audit_domain *d = NULL;

	if (i == (size_t)-1) {
		if (run->domain_count == run->domain_cap) {
			size_t cap = run->domain_cap ? run->domain_cap * 2 : 32;
			struct audit_domain **n = realloc(run->domains, cap * sizeof(*n));
			if (n == NULL)
				goto out;
			run->domains = n;
			run->domain_cap = cap;
		}
		d = calloc(1, sizeof(*d));
		if (d == NULL || (d->rdap = calloc(1, sizeof(*d->rdap))) == NULL)
			goto out;
		snprintf(d->name, sizeof(d->name), "%s", name);
		i = run->domain_count;
		run->domains[run->domain_count++] = d;
		d = NULL; /* the table owns it */
	}
	run->domains[i]->audited |= audited;
	run->domains[i]->important |= important;
	roles_add(run->domains[i]->roles, sizeof(run->domains[i]->roles), role);
out:
	if (d != NULL)
		free(d->rdap);
	free(d);
	if (i == (size_t)-1)
		run->oom = 1;
	return i;
}

int audit_host_add(struct audit_run *run, const char *raw, int important, const char *role,
                   int given)
{
	char name[DNS_NAME_MAX], rd[DNS_NAME_MAX], safe[DNS_NAME_MAX];
	int wildcard = strncmp(raw, "*.", 2) == 0, ret = -1;
	struct audit_host *h = NULL;
	size_t i, d;

	if (audit_host_normalise(wildcard ? raw + 2 : raw, name, sizeof(name)) != 0 ||
	    audit_registrable_domain(run->psl, name, rd, sizeof(rd)) != 0) {
		log_error("audit_bad_name", "name=\"%s\" reason=\"not a valid host name\"",
		          log_safe(safe, sizeof(safe), raw));
		goto out;
	}
	d = audit_domain_get(run, rd, 1, important, role);
	if (d == (size_t)-1)
		goto out;
	for (i = 0; i < run->host_count; i++)
		wildcard |= strcmp(run->hosts[i]->name, name) == 0; /* known already */
	if (wildcard) {
		ret = 0;
		goto out;
	}
	if (run->host_count == run->host_cap) {
		size_t cap = run->host_cap ? run->host_cap * 2 : 32;
		struct audit_host **n = realloc(run->hosts, cap * sizeof(*n));
		if (n == NULL) {
			run->oom = 1;
			goto out;
		}
		run->hosts = n;
		run->host_cap = cap;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		run->oom = 1;
		goto out;
	}
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->domain = d;
	/* A registrable domain given alone is a domain, not necessarily a
	 * web host: existing without an address is fine for it. */
	h->nodata_ok = given && strcmp(name, rd) == 0;
	run->hosts[run->host_count++] = h;
	ret = 0;
out:
	return ret;
}

/* Add the host of url, unless it is an IP literal. */
static void url_add(struct audit_run *run, const char *url, int important, const char *role)
{
	char host[DNS_NAME_MAX], safe[RDAP_URL_MAX];
	enum url_host_kind kind;

	if (url_host(url, host, sizeof(host), 0, &kind) != 0) {
		log_warn("audit_bad_url", "url=\"%s\" reason=\"no host name\"",
		         log_safe(safe, sizeof(safe), url));
		return;
	}
	if (kind == URL_HOST_IP)
		return; /* no domain to audit */
	(void)audit_host_add(run, host, important, role, 0);
}

static struct audit_set *set_new(struct audit_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct audit_set *set_new(struct audit_run *run, const char *fmt, ...)
{
	struct audit_set *s;
	va_list ap;

	if (run->set_count == run->set_cap) {
		size_t cap = run->set_cap ? run->set_cap * 2 : 8;
		s = realloc(run->sets, cap * sizeof(*s));
		if (s == NULL) {
			run->oom = 1;
			return NULL;
		}
		run->sets = s;
		run->set_cap = cap;
	}
	s = &run->sets[run->set_count++];
	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	vsnprintf(s->subject, sizeof(s->subject), fmt, ap);
	va_end(ap);
	return s;
}

/* Add the endpoint at url to set (its host's registrable domain). */
static void set_add_url(struct audit_run *run, struct audit_set *s, const char *label,
                        const char *url)
{
	char host[DNS_NAME_MAX], name[DNS_NAME_MAX], rd[DNS_NAME_MAX];
	enum url_host_kind kind;
	size_t d;

	if (s == NULL || s->count >= AUDIT_ENDPOINTS_MAX ||
	    url_host(url, host, sizeof(host), 0, &kind) != 0 || kind == URL_HOST_IP ||
	    audit_host_normalise(host, name, sizeof(name)) != 0 ||
	    audit_registrable_domain(run->psl, name, rd, sizeof(rd)) != 0)
		return;
	d = audit_domain_find(run, rd);
	if (d == (size_t)-1)
		return;
	s->domain[s->count] = d;
	snprintf(s->label[s->count], sizeof(s->label[0]), "%s", label);
	s->count++;
}

/* ---------------------------------------------------------------- the map */

/* The CA endpoints named in the stored certificate name. */
static void map_stored_certificate(struct audit_run *run, const char *store, const char *name)
{
	/* The first kind is the OCSP responders, which a backup completes. */
	static const struct {
		size_t (*urls)(X509 *cert, char **urls, size_t count, size_t max);
		const char *what;
	} kinds[] = {
	    {cert_ocsp_urls, "ocsp"}, {cert_ca_issuers_urls, "ca-issuers"}, {cert_crl_urls, "crl"}};
	const struct conf_cert *cc = run->conf ? conf_cert_find(run->conf, name) : NULL;
	char role[160], label[160];
	char *urls[AUDIT_CERT_URLS_MAX];
	STACK_OF(X509) *chain = NULL;
	struct audit_set *ocsp_set = NULL;
	size_t k, i, n, ocsp_count = 0;

	chain = audit_store_certificate_load(store, name);
	if (chain == NULL)
		return;
	if (cc != NULL && cc->ocsp_backup.count > 0)
		ocsp_set = set_new(run, "certificate %s ocsp", name);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		n = kinds[k].urls(sk_X509_value(chain, 0), urls, 0, AUDIT_CERT_URLS_MAX);
		audit_text_set(role, sizeof(role), "CA endpoint (%s of certificate %s)",
		               kinds[k].what, name);
		for (i = 0; i < n; i++) {
			url_add(run, urls[i], 1, role);
			if (k == 0 && ocsp_set != NULL) {
				snprintf(label, sizeof(label), "ocsp responder %zu", ++ocsp_count);
				set_add_url(run, ocsp_set, label, urls[i]);
			}
			free(urls[i]);
		}
	}
	if (ocsp_set != NULL) {
		for (i = 0; i < cc->ocsp_backup.count; i++) {
			audit_text_set(role, sizeof(role),
			               "CA endpoint (backup ocsp of certificate %s)", name);
			url_add(run, cc->ocsp_backup.items[i], 1, role);
			snprintf(label, sizeof(label), "backup ocsp %zu", i + 1);
			set_add_url(run, ocsp_set, label, cc->ocsp_backup.items[i]);
		}
	}
	sk_X509_pop_free(chain, X509_free);
}

static void map_stored_certificate_each(const char *name, void *arg)
{
	struct audit_run *run = arg;

	map_stored_certificate(run, run->conf->store, name);
}

void audit_map_config(struct audit_run *run)
{
	const struct conf *c = run->conf;
	char role[160], label[160];
	struct audit_set *s;
	size_t i, j;

	for (i = 0; i < c->ca_count; i++) {
		snprintf(role, sizeof(role), "CA endpoint (directory of ca %s)", c->cas[i].name);
		url_add(run, c->cas[i].directory, 1, role);
	}
	for (i = 0; i < c->cert_count; i++) {
		const struct conf_cert *cc = &c->certs[i];
		snprintf(role, sizeof(role), "certificate %s%s", cc->name,
		         cc->critical ? " (critical)" : "");
		for (j = 0; j < cc->names.count; j++)
			if (!host_is_ip(cc->names.items[j])) /* no domain, no registrar */
				(void)audit_host_add(run, cc->names.items[j], cc->critical, role,
				                     0);
	}
	audit_store_certificates_each(c->store, map_stored_certificate_each, run);
	/* After every host is known: the CAs of each certificate. */
	for (i = 0; i < c->cert_count; i++) {
		const struct conf_cert *cc = &c->certs[i];
		if (cc->cas.count < 2)
			continue;
		s = set_new(run, "certificate %s", cc->name);
		for (j = 0; j < cc->cas.count && s != NULL; j++) {
			const struct conf_ca *ca = conf_ca_find(c, cc->cas.items[j]);
			if (ca == NULL)
				continue;
			snprintf(label, sizeof(label), "ca %s", ca->name);
			set_add_url(run, s, label, ca->directory);
		}
	}
}

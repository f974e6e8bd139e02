/*
 * holdfast audit: the domains a TLS deployment depends on, checked before
 * they fail it (the 2018 clientHold on the CA's domain is the model).
 *
 * Reads top to bottom:
 *   1. collect the host names: the DOMAIN arguments, or the configuration's
 *      dependency map — each certificate's names, each [ca] directory host,
 *      and the OCSP, CA-issuers and CRL hosts of the certificates in the
 *      store — and reduce each to its registrable domain (libpsl);
 *   2. gather facts, all concurrently, in one event loop: RDAP for every
 *      domain (src/rdap.c); A/AAAA of every host on every resolver
 *      separately; the parent zone found through the resolvers and its
 *      servers asked directly (RD=0) for the delegation; the child's servers
 *      asked for their own NS set; RDAP for the domains of the NS hosts.
 *      Each DNS answer that completes a step starts the next one from its
 *      callback, so no domain waits for another;
 *   3. turn facts into findings with the rules of src/audit.c, compare with
 *      the state of the last audit (STORE/audit/state.json) and store the
 *      new state atomically;
 *   4. print the findings grouped by domain, worst first (or JSON Lines),
 *      and exit with the worst severity.
 *
 * Nothing here decides a severity: that is audit.c's job.  What this file
 * guarantees is that every check that could not be made says so (UNKNOWN)
 * instead of being left out.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpsl.h>
#include <openssl/x509v3.h>

#include "audit/dns.h"
#include "audit/rdap.h"
#include "audit/rules.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "util/atomic.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/url.h"
#include "x509/cert.h"

#define AUDIT_RESOLVERS_MAX      16
#define AUDIT_PARENT_SERVERS_MAX 4 /* parent zone server addresses asked */
#define AUDIT_CHILD_SERVERS_MAX  4 /* child server addresses asked */
#define AUDIT_ZONE_NS_MAX        8
#define AUDIT_ROLES_MAX          512
#define AUDIT_LABEL_MAX          (DNS_NAME_MAX + DNS_SERVER_MAX + 4)
#define AUDIT_STATE_MAX          (16 * 1024 * 1024)
#define AUDIT_STATE_MODE         0644
#define AUDIT_CERT_URLS_MAX      16
#define AUDIT_ENDPOINTS_MAX      16
#define AUDIT_POLL_MS            250
#define AUDIT_FDS_MAX            1024
#define AUDIT_BOOTSTRAP_DEFAULT  "https://data.iana.org/rdap/dns.json"

/* A host name the deployment depends on. */
struct host {
	char name[DNS_NAME_MAX];
	size_t domain;
	int nodata_ok; /* a bare domain from the command line may have no address */
	struct audit_resolution res[AUDIT_RESOLVERS_MAX];
};

enum zone_state { ZONE_ASKING, ZONE_ADDRESSES, ZONE_READY, ZONE_NOT_A_ZONE, ZONE_FAILED };

/* A candidate parent zone, found through the resolvers. */
struct zone {
	char name[DNS_NAME_MAX];
	enum zone_state state;
	char ns[AUDIT_ZONE_NS_MAX][DNS_NAME_MAX];
	size_t ns_count;
	size_t addr_pending;
	char servers[AUDIT_PARENT_SERVERS_MAX][DNS_SERVER_MAX];
	char labels[AUDIT_PARENT_SERVERS_MAX][AUDIT_LABEL_MAX];
	size_t server_count;
	char why[128];
	size_t parent;   /* ZONE_NOT_A_ZONE: the next candidate */
	size_t *waiting; /* domains waiting for this zone */
	size_t waiting_count, waiting_cap;
};

struct domain {
	char name[DNS_NAME_MAX];
	char roles[AUDIT_ROLES_MAX];
	int important; /* holds a CA endpoint or a critical site */
	int audited;   /* reported on (not only the domain of a name server) */
	struct rdap_result *rdap;
	int rdap_submitted;

	/* the parent's view */
	size_t zone;
	int zone_known;
	struct audit_parent_answer parents[AUDIT_PARENT_SERVERS_MAX];
	char parent_labels[AUDIT_PARENT_SERVERS_MAX][AUDIT_LABEL_MAX];
	size_t parent_count, parent_pending;
	char parent_ns[RDAP_NS_MAX][DNS_NAME_MAX];
	size_t parent_ns_count;
	struct dns_glue glue[DNS_REPLY_GLUE_MAX];
	size_t glue_count;

	/* the child's view */
	char child_servers[AUDIT_CHILD_SERVERS_MAX][DNS_SERVER_MAX];
	char child_labels[AUDIT_CHILD_SERVERS_MAX][AUDIT_LABEL_MAX];
	size_t child_server_count, child_addr_pending, child_pending;
	char child_ns[RDAP_NS_MAX][DNS_NAME_MAX];
	size_t child_ns_count;
	int child_answered;
	char child_why[AUDIT_EVIDENCE_MAX / 2];
	int dns_finished;
};

/* Endpoints that should not share a single point of failure. */
struct redundancy_set {
	char subject[160];
	size_t count;
	size_t domain[AUDIT_ENDPOINTS_MAX];
	char label[AUDIT_ENDPOINTS_MAX][160];
};

struct run {
	const struct conf *conf;
	psl_ctx_t *psl;
	struct dns_client *dns;
	struct rdap_client *rdap;
	struct rdap_bootstrap *bootstrap;
	char bootstrap_err[256];
	char resolvers[AUDIT_RESOLVERS_MAX][DNS_SERVER_MAX];
	size_t resolver_count;
	struct host **hosts;
	size_t host_count, host_cap;
	struct domain **domains;
	size_t domain_count, domain_cap;
	struct zone **zones;
	size_t zone_count, zone_cap;
	struct redundancy_set *sets;
	size_t set_count, set_cap;
	int oom;
};

/* Context of one DNS query; freed by its callback. */
enum query_kind { Q_HOST_A, Q_HOST_AAAA, Q_ZONE_NS, Q_ZONE_ADDR, Q_PARENT, Q_CHILD_ADDR, Q_CHILD };

struct query {
	struct run *run;
	enum query_kind kind;
	size_t index; /* host, zone or domain */
	size_t slot;  /* resolver, server */
};

/* snprintf where a cut-short text is acceptable (labels, evidence). */
static void text_set(char *dst, size_t dstlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void text_set(char *dst, size_t dstlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, dstlen, fmt, ap);
	va_end(ap);
}

static void audit_usage(FILE *f)
{
	fprintf(f,
	        "usage: holdfast audit [-c FILE] [--json] [--resolver IP[:PORT]]...\n"
	        "                      [--rdap-bootstrap URL|FILE] [--store DIR] [-v] [DOMAIN...]\n"
	        "\n"
	        "Audit the domains a TLS deployment depends on: registration status (RDAP:\n"
	        "holds, redemption, expiry, registrar and registry locks), resolution on each\n"
	        "resolver, the delegation as the parent zone's servers publish it, name\n"
	        "server diversity, and changes since the last audit.  Without DOMAIN, audits\n"
	        "the configuration's certificate names, CA endpoints and the OCSP, CA-issuer\n"
	        "and CRL hosts of the stored certificates.\n"
	        "\n"
	        "  -c, --config FILE       configuration (default %s)\n"
	        "  --json                  one JSON object per finding on stdout\n"
	        "  --resolver IP[:PORT]    a resolver to check separately (repeatable; default:\n"
	        "                          the configuration's resolvers, else the system's)\n"
	        "  --rdap-bootstrap SRC    IANA dns.json as URL or file (default %s)\n"
	        "  --store DIR             where the state of the last audit is kept\n"
	        "  -v                      log each step to stderr (twice: debug)\n"
	        "\n"
	        "Exit: worst finding: 0 OK/INFO, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a check\n"
	        "could not be made, or a usage error).\n",
	        CONF_DEFAULT_PATH, AUDIT_BOOTSTRAP_DEFAULT);
}

/* ---------------------------------------------------------------- tables */

static size_t domain_find(const struct run *run, const char *name)
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

/* The domain entry for a registrable domain (created when new). */
static size_t domain_get(struct run *run, const char *name, int audited, int important,
                         const char *role)
{
	size_t i = domain_find(run, name);
	struct domain *d = NULL;

	if (i == (size_t)-1) {
		if (run->domain_count == run->domain_cap) {
			size_t cap = run->domain_cap ? run->domain_cap * 2 : 32;
			struct domain **n = realloc(run->domains, cap * sizeof(*n));
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

/* Add a host name the deployment depends on ("*.example.com" adds only its
 * domain: there is no single host to resolve).  0, or -1 when it is not a
 * valid name (logged) or memory ran out (run->oom). */
static int host_add(struct run *run, const char *raw, int important, const char *role,
                    int from_args)
{
	char name[DNS_NAME_MAX], rd[DNS_NAME_MAX], safe[DNS_NAME_MAX];
	int wildcard = strncmp(raw, "*.", 2) == 0, ret = -1;
	struct host *h = NULL;
	size_t i, d;

	if (audit_host_normalise(wildcard ? raw + 2 : raw, name, sizeof(name)) != 0 ||
	    audit_registrable_domain(run->psl, name, rd, sizeof(rd)) != 0) {
		log_error("audit_bad_name", "name=\"%s\" reason=\"not a valid host name\"",
		          log_safe(safe, sizeof(safe), raw));
		goto out;
	}
	d = domain_get(run, rd, 1, important, role);
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
		struct host **n = realloc(run->hosts, cap * sizeof(*n));
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
	h->nodata_ok = from_args && strcmp(name, rd) == 0;
	run->hosts[run->host_count++] = h;
	ret = 0;
out:
	return ret;
}

/* Add the host of url, unless it is an IP literal. */
static void url_add(struct run *run, const char *url, int important, const char *role)
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
	(void)host_add(run, host, important, role, 0);
}

static struct redundancy_set *set_new(struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct redundancy_set *set_new(struct run *run, const char *fmt, ...)
{
	struct redundancy_set *s;
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
static void set_add_url(struct run *run, struct redundancy_set *s, const char *label,
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
	d = domain_find(run, rd);
	if (d == (size_t)-1)
		return;
	s->domain[s->count] = d;
	snprintf(s->label[s->count], sizeof(s->label[0]), "%s", label);
	s->count++;
}

/* ---------------------------------------------------------------- the map */

/* URLs of the given AIA method (NID_ad_OCSP, NID_ad_ca_issuers) and the
 * CRL distribution points of cert, into urls (each strdup'ed). */
static size_t cert_urls(X509 *cert, int aia_method, int crl, char **urls, size_t max)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	CRL_DIST_POINTS *cdp = NULL;
	size_t n = 0;
	int i, j;

	if (aia_method != NID_undef &&
	    (aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL)) != NULL) {
		for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia) && n < max; i++) {
			ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
			if (OBJ_obj2nid(ad->method) != aia_method || ad->location->type != GEN_URI)
				continue;
			urls[n] = strndup(
			    (const char *)ASN1_STRING_get0_data(
			        ad->location->d.uniformResourceIdentifier),
			    (size_t)ASN1_STRING_length(ad->location->d.uniformResourceIdentifier));
			if (urls[n] != NULL)
				n++;
		}
		AUTHORITY_INFO_ACCESS_free(aia);
	}
	if (crl &&
	    (cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL)) != NULL) {
		for (i = 0; i < sk_DIST_POINT_num(cdp) && n < max; i++) {
			DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
			if (dp->distpoint == NULL || dp->distpoint->type != 0)
				continue;
			for (j = 0;
			     j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) && n < max;
			     j++) {
				GENERAL_NAME *gn =
				    sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
				if (gn->type != GEN_URI)
					continue;
				urls[n] = strndup(
				    (const char *)ASN1_STRING_get0_data(
				        gn->d.uniformResourceIdentifier),
				    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier));
				if (urls[n] != NULL)
					n++;
			}
		}
		CRL_DIST_POINTS_free(cdp);
	}
	return n;
}

/* The CA endpoints named in STORE/certificates/NAME/cert.pem. */
static void map_stored_certificate(struct run *run, const char *store, const char *name)
{
	static const struct {
		int nid;
		int crl;
		const char *what;
	} kinds[] = {
	    {NID_ad_OCSP, 0, "ocsp"}, {NID_ad_ca_issuers, 0, "ca-issuers"}, {NID_undef, 1, "crl"}};
	const struct conf_cert *cc = run->conf ? conf_cert_find(run->conf, name) : NULL;
	char path[PATH_MAX], err[256], role[160], label[160];
	char *urls[AUDIT_CERT_URLS_MAX];
	STACK_OF(X509) *chain = NULL;
	struct redundancy_set *ocsp_set = NULL;
	size_t k, i, n, ocsp_count = 0;
	int w;

	w = snprintf(path, sizeof(path), "%s/certificates/%s/cert.pem", store, name);
	if (w < 0 || (size_t)w >= sizeof(path))
		return;
	chain = cert_chain_load(path, err, sizeof(err));
	if (chain == NULL) {
		log_debug("audit_no_stored_certificate", "path=\"%s\" reason=\"%s\"", path, err);
		return;
	}
	if (cc != NULL && cc->ocsp_backup.count > 0)
		ocsp_set = set_new(run, "certificate %s ocsp", name);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		n = cert_urls(sk_X509_value(chain, 0), kinds[k].nid, kinds[k].crl, urls,
		              AUDIT_CERT_URLS_MAX);
		text_set(role, sizeof(role), "CA endpoint (%s of certificate %s)", kinds[k].what,
		         name);
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
			text_set(role, sizeof(role), "CA endpoint (backup ocsp of certificate %s)",
			         name);
			url_add(run, cc->ocsp_backup.items[i], 1, role);
			snprintf(label, sizeof(label), "backup ocsp %zu", i + 1);
			set_add_url(run, ocsp_set, label, cc->ocsp_backup.items[i]);
		}
	}
	sk_X509_pop_free(chain, X509_free);
}

/* The configuration's dependency map: certificate names, CA directories,
 * endpoints of stored certificates; and the redundancy sets. */
static void map_config(struct run *run)
{
	const struct conf *c = run->conf;
	char role[160], label[160], path[PATH_MAX];
	struct redundancy_set *s;
	struct dirent *de;
	DIR *dir;
	size_t i, j;
	int w;

	for (i = 0; i < c->ca_count; i++) {
		snprintf(role, sizeof(role), "CA endpoint (directory of ca %s)", c->cas[i].name);
		url_add(run, c->cas[i].directory, 1, role);
	}
	for (i = 0; i < c->cert_count; i++) {
		const struct conf_cert *cc = &c->certs[i];
		snprintf(role, sizeof(role), "certificate %s%s", cc->name,
		         cc->critical ? " (critical)" : "");
		for (j = 0; j < cc->names.count; j++)
			(void)host_add(run, cc->names.items[j], cc->critical, role, 0);
	}
	w = snprintf(path, sizeof(path), "%s/certificates", c->store);
	if (w > 0 && (size_t)w < sizeof(path) && (dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			map_stored_certificate(run, c->store, de->d_name);
		}
		closedir(dir);
	}
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

/* ---------------------------------------------------------------- DNS steps */

static void dns_done(const struct dns_reply *reply, void *arg);

static void ask(struct run *run, enum query_kind kind, size_t index, size_t slot,
                const char *server, const char *name, int qtype, int recursion)
{
	struct query *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		run->oom = 1; /* the run ends as UNKNOWN; the loop still ends */
		return;
	}
	q->run = run;
	q->kind = kind;
	q->index = index;
	q->slot = slot;
	(void)dns_query(run->dns, server, name, qtype, recursion, dns_done, q);
}

static void domain_start_parent(struct run *run, size_t di);
static void domain_start_child(struct run *run, size_t di);
static void domain_child_ready(struct run *run, size_t di);
static void domain_dns_finished(struct run *run, size_t di);

/* The zone entry for a candidate name (asked when new). */
static size_t zone_get(struct run *run, const char *name)
{
	struct zone *z = NULL;
	size_t i;

	for (i = 0; i < run->zone_count; i++) {
		if (strcmp(run->zones[i]->name, name) == 0)
			return i;
	}
	i = (size_t)-1;
	if (run->zone_count == run->zone_cap) {
		size_t cap = run->zone_cap ? run->zone_cap * 2 : 8;
		struct zone **n = realloc(run->zones, cap * sizeof(*n));
		if (n == NULL)
			goto out;
		run->zones = n;
		run->zone_cap = cap;
	}
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		goto out;
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->state = ZONE_ASKING;
	i = run->zone_count;
	run->zones[run->zone_count++] = z;
	ask(run, Q_ZONE_NS, i, 0, NULL, name, DNS_TYPE_NS, 1);
out:
	if (i == (size_t)-1)
		run->oom = 1;
	return i;
}

/* Zone zi is settled (ready, failed, or not a zone after all): move every
 * domain waiting on it on (domain_start_parent() handles each state). */
static void zone_settled(struct run *run, size_t zi)
{
	struct zone *z = run->zones[zi];
	size_t *waiting = z->waiting, count = z->waiting_count, i;

	z->waiting = NULL;
	z->waiting_count = z->waiting_cap = 0;
	for (i = 0; i < count; i++)
		domain_start_parent(run, waiting[i]);
	free(waiting);
}

static void zone_wait(struct run *run, size_t zi, size_t di)
{
	struct zone *z = run->zones[zi];

	if (z->waiting_count == z->waiting_cap) {
		size_t cap = z->waiting_cap ? z->waiting_cap * 2 : 8;
		size_t *n = realloc(z->waiting, cap * sizeof(*n));
		if (n == NULL) {
			run->oom = 1;
			domain_dns_finished(run, di);
			return;
		}
		z->waiting = n;
		z->waiting_cap = cap;
	}
	z->waiting[z->waiting_count++] = di;
}

static void on_zone_ns(struct run *run, size_t zi, const struct dns_reply *r)
{
	struct zone *z = run->zones[zi];
	const char *dot;
	size_t i;

	if (r->outcome == DNS_NOERROR && r->ns_count > 0 && !r->ns_referral) {
		for (i = 0; i < r->ns_count && z->ns_count < AUDIT_ZONE_NS_MAX; i++)
			snprintf(z->ns[z->ns_count++], DNS_NAME_MAX, "%s", r->ns[i]);
		z->state = ZONE_ADDRESSES;
		/* Addresses of the first few servers (A, and AAAA when no A). */
		z->addr_pending =
		    z->ns_count < AUDIT_PARENT_SERVERS_MAX ? z->ns_count : AUDIT_PARENT_SERVERS_MAX;
		for (i = 0; i < z->addr_pending && i < AUDIT_PARENT_SERVERS_MAX; i++)
			ask(run, Q_ZONE_ADDR, zi, i, NULL, z->ns[i], DNS_TYPE_A, 1);
		return;
	}
	if (r->outcome == DNS_NOERROR || r->outcome == DNS_NODATA || r->outcome == DNS_NXDOMAIN) {
		/* Not a zone apex: the zone is further up. */
		dot = strchr(z->name, '.');
		if (dot != NULL) {
			size_t parent = zone_get(run, dot + 1);
			if (parent != (size_t)-1) {
				z->parent = parent;
				z->state = ZONE_NOT_A_ZONE;
				zone_settled(run, zi);
				return;
			}
		}
		text_set(z->why, sizeof(z->why), "no enclosing zone found above %s", z->name);
	} else {
		text_set(z->why, sizeof(z->why), "NS %s on the resolvers: %s", z->name,
		         dns_outcome_name(r->outcome));
	}
	z->state = ZONE_FAILED;
	zone_settled(run, zi);
}

static void on_zone_addr(struct run *run, size_t zi, size_t slot, const struct dns_reply *r,
                         int was_aaaa)
{
	struct zone *z = run->zones[zi];

	if (r->addr_count > 0 && z->server_count < AUDIT_PARENT_SERVERS_MAX) {
		size_t k = z->server_count;
		if (dns_server_format(r->addrs[0], DNS_PORT_DEFAULT, z->servers[k],
		                      DNS_SERVER_MAX) == 0) {
			text_set(z->labels[k], sizeof(z->labels[k]), "%s(%s)", z->ns[slot],
			         r->addrs[0]);
			z->server_count++;
		}
	} else if (!was_aaaa) {
		ask(run, Q_ZONE_ADDR, zi, slot | ((size_t)1 << 16), NULL, z->ns[slot],
		    DNS_TYPE_AAAA, 1);
		return;
	}
	if (--z->addr_pending > 0)
		return;
	if (z->server_count == 0) {
		text_set(z->why, sizeof(z->why), "no address for any name server of %s", z->name);
		z->state = ZONE_FAILED;
	} else {
		z->state = ZONE_READY;
	}
	zone_settled(run, zi);
}

/* Step 1 for a domain: find its parent zone, then ask its servers. */
static void domain_start_parent(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];
	struct zone *z;
	size_t i;

	if (d->zone == (size_t)-1) {
		domain_dns_finished(run, di);
		return;
	}
	z = run->zones[d->zone];
	switch (z->state) {
	case ZONE_ASKING:
	case ZONE_ADDRESSES:
		zone_wait(run, d->zone, di);
		return;
	case ZONE_NOT_A_ZONE:
		d->zone = z->parent;
		domain_start_parent(run, di);
		return;
	case ZONE_FAILED:
		d->zone_known = 0;
		domain_start_child(run, di); /* no parent view; the child may still answer */
		return;
	case ZONE_READY:
		break;
	}
	d->zone_known = 1;
	d->parent_count = z->server_count;
	d->parent_pending = z->server_count;
	for (i = 0; i < z->server_count; i++) {
		memcpy(d->parent_labels[i], z->labels[i], sizeof(d->parent_labels[i]));
		d->parents[i].server = d->parent_labels[i];
		d->parents[i].outcome = DNS_TIMEOUT;
	}
	for (i = 0; i < z->server_count; i++)
		ask(run, Q_PARENT, di, i, z->servers[i], d->name, DNS_TYPE_NS, 0);
}

static void domain_begin(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];
	const char *dot = strchr(d->name, '.');

	d->zone = (size_t)-1;
	if (dot == NULL || dot[1] == '\0') {
		domain_dns_finished(run, di);
		return;
	}
	d->zone = zone_get(run, dot + 1);
	domain_start_parent(run, di);
}

static void on_parent(struct run *run, size_t di, size_t slot, const struct dns_reply *r)
{
	struct domain *d = run->domains[di];
	size_t i, j;

	d->parents[slot].outcome = r->outcome;
	d->parents[slot].delegated = r->outcome == DNS_NOERROR && r->ns_count > 0;
	for (i = 0; d->parents[slot].delegated && i < r->ns_count; i++) {
		int dup = 0;
		for (j = 0; j < d->parent_ns_count; j++)
			dup |= strcmp(d->parent_ns[j], r->ns[i]) == 0;
		if (!dup && d->parent_ns_count < RDAP_NS_MAX)
			snprintf(d->parent_ns[d->parent_ns_count++], DNS_NAME_MAX, "%s", r->ns[i]);
	}
	for (i = 0; i < r->glue_count && d->glue_count < DNS_REPLY_GLUE_MAX; i++)
		d->glue[d->glue_count++] = r->glue[i];
	if (--d->parent_pending == 0)
		domain_start_child(run, di);
}

/* Step 2: the child's servers (glue, or addresses through the resolvers),
 * asked for their own NS set. */
static void domain_start_child(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];
	size_t i, j;

	if (d->parent_ns_count == 0) {
		snprintf(d->child_why, sizeof(d->child_why), "no delegation to follow");
		domain_dns_finished(run, di);
		return;
	}
	d->child_server_count = d->parent_ns_count < AUDIT_CHILD_SERVERS_MAX
	                            ? d->parent_ns_count
	                            : AUDIT_CHILD_SERVERS_MAX;
	d->child_addr_pending = d->child_server_count;
	for (i = 0; i < d->child_server_count; i++) {
		const char *addr = NULL;
		for (j = 0; j < d->glue_count && addr == NULL; j++) {
			if (strcmp(d->glue[j].name, d->parent_ns[i]) == 0)
				addr = d->glue[j].addr;
		}
		if (addr != NULL && dns_server_format(addr, DNS_PORT_DEFAULT, d->child_servers[i],
		                                      DNS_SERVER_MAX) == 0) {
			snprintf(d->child_labels[i], sizeof(d->child_labels[i]), "%s(%s)",
			         d->parent_ns[i], addr);
			d->child_addr_pending--;
		}
	}
	if (d->child_addr_pending == 0) {
		domain_child_ready(run, di);
		return;
	}
	for (i = 0; i < d->child_server_count; i++) {
		if (d->child_servers[i][0] == '\0')
			ask(run, Q_CHILD_ADDR, di, i, NULL, d->parent_ns[i], DNS_TYPE_A, 1);
	}
}

static void on_child_addr(struct run *run, size_t di, size_t slot, const struct dns_reply *r,
                          int was_aaaa)
{
	struct domain *d = run->domains[di];

	if (r->addr_count > 0) {
		if (dns_server_format(r->addrs[0], DNS_PORT_DEFAULT, d->child_servers[slot],
		                      DNS_SERVER_MAX) == 0)
			text_set(d->child_labels[slot], sizeof(d->child_labels[slot]), "%s(%s)",
			         d->parent_ns[slot], r->addrs[0]);
	} else if (!was_aaaa) {
		ask(run, Q_CHILD_ADDR, di, slot | ((size_t)1 << 16), NULL, d->parent_ns[slot],
		    DNS_TYPE_AAAA, 1);
		return;
	} else {
		text_set(d->child_labels[slot], sizeof(d->child_labels[slot]), "%s(no address: %s)",
		         d->parent_ns[slot], dns_outcome_name(r->outcome));
	}
	if (--d->child_addr_pending == 0)
		domain_child_ready(run, di);
}

static void domain_child_ready(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];
	size_t i;

	d->child_pending = 0;
	for (i = 0; i < d->child_server_count; i++) {
		if (d->child_servers[i][0] != '\0')
			d->child_pending++;
	}
	if (d->child_pending == 0) {
		snprintf(d->child_why, sizeof(d->child_why), "no address for any name server");
		domain_dns_finished(run, di);
		return;
	}
	for (i = 0; i < d->child_server_count; i++) {
		if (d->child_servers[i][0] != '\0')
			ask(run, Q_CHILD, di, i, d->child_servers[i], d->name, DNS_TYPE_NS, 0);
	}
}

static void on_child(struct run *run, size_t di, size_t slot, const struct dns_reply *r)
{
	struct domain *d = run->domains[di];
	size_t used = strlen(d->child_why), i, j;
	int w;

	if (r->outcome == DNS_NOERROR && r->authoritative && !r->ns_referral && r->ns_count > 0) {
		d->child_answered = 1;
		for (i = 0; i < r->ns_count; i++) {
			int dup = 0;
			for (j = 0; j < d->child_ns_count; j++)
				dup |= strcmp(d->child_ns[j], r->ns[i]) == 0;
			if (!dup && d->child_ns_count < RDAP_NS_MAX)
				snprintf(d->child_ns[d->child_ns_count++], DNS_NAME_MAX, "%s",
				         r->ns[i]);
		}
	} else {
		const char *what =
		    r->outcome == DNS_NOERROR
		        ? (r->authoritative ? "no NS set" : "not authoritative (lame)")
		        : dns_outcome_name(r->outcome);
		w = snprintf(d->child_why + used, sizeof(d->child_why) - used, "%s%s %s",
		             used ? ", " : "", d->child_labels[slot], what);
		if (w < 0 || (size_t)w >= sizeof(d->child_why) - used)
			d->child_why[used] = '\0';
	}
	if (--d->child_pending == 0)
		domain_dns_finished(run, di);
}

static void on_host(struct run *run, size_t hi, size_t slot, int aaaa, const struct dns_reply *r)
{
	struct audit_resolution *res = &run->hosts[hi]->res[slot];

	if (aaaa)
		res->aaaa = r->outcome;
	else
		res->a = r->outcome;
	res->addresses += r->addr_count;
}

static void dns_done(const struct dns_reply *reply, void *arg)
{
	struct query *q = arg;
	struct run *run = q->run;
	size_t slot = q->slot & 0xffff;
	int second = (q->slot >> 16) != 0;

	switch (q->kind) {
	case Q_HOST_A:
	case Q_HOST_AAAA:
		on_host(run, q->index, slot, q->kind == Q_HOST_AAAA, reply);
		break;
	case Q_ZONE_NS:
		on_zone_ns(run, q->index, reply);
		break;
	case Q_ZONE_ADDR:
		on_zone_addr(run, q->index, slot, reply, second);
		break;
	case Q_PARENT:
		on_parent(run, q->index, slot, reply);
		break;
	case Q_CHILD_ADDR:
		on_child_addr(run, q->index, slot, reply, second);
		break;
	case Q_CHILD:
		on_child(run, q->index, slot, reply);
		break;
	}
	free(q);
}

/* ---------------------------------------------------------------- RDAP */

/* Look a domain up (once). */
static void rdap_start(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];

	if (d->rdap_submitted)
		return;
	d->rdap_submitted = 1;
	if (run->bootstrap == NULL) {
		memset(d->rdap, 0, sizeof(*d->rdap));
		d->rdap->outcome = RDAP_UNREACHABLE;
		text_set(d->rdap->detail, sizeof(d->rdap->detail), "no RDAP bootstrap: %s",
		         run->bootstrap_err);
		d->rdap->done = 1;
		return;
	}
	(void)rdap_client_submit(run->rdap, run->bootstrap, d->name, d->rdap);
}

/* The NS set the audit judges: the parent's (what resolvers follow), else
 * the child's, else the registry's. */
static size_t domain_ns(const struct domain *d, const char **ns, const char **source)
{
	size_t i, n = 0;

	if (d->parent_ns_count > 0) {
		for (i = 0; i < d->parent_ns_count; i++)
			ns[n++] = d->parent_ns[i];
		*source = "parent zone";
	} else if (d->child_ns_count > 0) {
		for (i = 0; i < d->child_ns_count; i++)
			ns[n++] = d->child_ns[i];
		*source = "child zone";
	} else if (d->rdap->outcome == RDAP_OK) {
		for (i = 0; i < d->rdap->domain.ns_count; i++)
			ns[n++] = d->rdap->domain.nameservers[i];
		*source = d->rdap->url;
	} else {
		*source = "";
	}
	return n;
}

/* A domain's DNS facts are in: look up the domains of its name servers
 * (to see whether one is on hold) while the rest of the audit runs. */
static void domain_dns_finished(struct run *run, size_t di)
{
	struct domain *d = run->domains[di];
	const char *ns[RDAP_NS_MAX], *src;
	char rd[DNS_NAME_MAX];
	size_t j, n, k;

	if (d->dns_finished)
		return;
	d->dns_finished = 1;
	n = domain_ns(d, ns, &src);
	for (j = 0; j < n; j++) {
		if (audit_registrable_domain(run->psl, ns[j], rd, sizeof(rd)) != 0)
			continue;
		k = domain_get(run, rd, 0, 0, NULL);
		if (k != (size_t)-1)
			rdap_start(run, k);
	}
}

/* ---------------------------------------------------------------- loop */

static int run_loop(struct run *run)
{
	struct pollfd pfd[AUDIT_FDS_MAX];
	struct curl_waitfd wfd[AUDIT_FDS_MAX];
	int wait, t;
	size_t n, i;

	/* DNS callbacks may queue RDAP lookups, so both counts are read anew
	 * on every round. */
	while (dns_client_pending(run->dns) > 0 || rdap_client_pending(run->rdap) > 0) {
		n = dns_client_fds(run->dns, pfd, AUDIT_FDS_MAX);
		for (i = 0; i < n; i++) {
			wfd[i].fd = pfd[i].fd;
			wfd[i].events =
			    (short)(((pfd[i].events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
			            ((pfd[i].events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
			wfd[i].revents = 0;
		}
		t = dns_client_timeout_ms(run->dns);
		wait = (t >= 0 && t < AUDIT_POLL_MS) ? t : AUDIT_POLL_MS;
		if (dns_client_pending(run->dns) > 0 && wait == 0)
			wait = 1;
		if (rdap_client_step(run->rdap, wfd, (unsigned int)n, wait) < 0) {
			log_error("audit_internal_error", "reason=\"HTTP client failed\"");
			return -1;
		}
		for (i = 0; i < n; i++) {
			pfd[i].revents =
			    (short)(((wfd[i].revents & CURL_WAIT_POLLIN) ? POLLIN : 0) |
			            ((wfd[i].revents & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
		}
		dns_client_process(run->dns, pfd, n);
	}
	return 0;
}

/* ---------------------------------------------------------------- findings */

static void ns_domain_findings(struct run *run, struct audit_report *r, const struct domain *d)
{
	const char *ns[RDAP_NS_MAX], *src;
	char rd[DNS_NAME_MAX], bad[AUDIT_EVIDENCE_MAX] = "", unknown[AUDIT_EVIDENCE_MAX] = "",
	                       okl[AUDIT_EVIDENCE_MAX] = "", list[256];
	size_t n = domain_ns(d, ns, &src), i, j, k, ub = 0, uu = 0, uo = 0;
	size_t seen[RDAP_NS_MAX], nseen = 0;
	int w, any_unknown = 0, any_bad = 0;

	for (i = 0; i < n; i++) {
		int dup = 0;
		if (audit_registrable_domain(run->psl, ns[i], rd, sizeof(rd)) != 0 ||
		    strcmp(rd, d->name) == 0)
			continue; /* in-domain servers share the domain's own fate */
		k = domain_find(run, rd);
		if (k == (size_t)-1)
			continue;
		for (j = 0; j < nseen; j++)
			dup |= seen[j] == k;
		if (dup)
			continue;
		seen[nseen++] = k;
		const struct rdap_result *res = run->domains[k]->rdap;
		if (res->outcome == RDAP_OK && (res->domain.status & AUDIT_STATUS_CRITICAL)) {
			any_bad = 1;
			rdap_status_list(res->domain.status & AUDIT_STATUS_CRITICAL, list,
			                 sizeof(list));
			w = snprintf(bad + ub, sizeof(bad) - ub, "%s%s (domain of %s) is %s",
			             ub ? "; " : "", rd, ns[i], list);
			if (w > 0 && (size_t)w < sizeof(bad) - ub)
				ub += (size_t)w;
		} else if (res->outcome == RDAP_OK || res->outcome == RDAP_NO_SERVICE) {
			w = snprintf(okl + uo, sizeof(okl) - uo, "%s%s%s", uo ? ", " : "", rd,
			             res->outcome == RDAP_NO_SERVICE ? " (no RDAP service)" : "");
			if (w > 0 && (size_t)w < sizeof(okl) - uo)
				uo += (size_t)w;
		} else {
			any_unknown = 1;
			w = snprintf(unknown + uu, sizeof(unknown) - uu, "%s%s: %s", uu ? "; " : "",
			             rd, rdap_outcome_name(res->outcome));
			if (w > 0 && (size_t)w < sizeof(unknown) - uu)
				uu += (size_t)w;
		}
	}
	if (any_bad)
		audit_report_add(r, d->name, AUDIT_CHECK_NS_DOMAIN_STATUS, AUDIT_CRITICAL, "",
		                 "a name server's own domain is on hold or being deleted: %s", bad);
	if (any_unknown)
		audit_report_add(r, d->name, AUDIT_CHECK_NS_DOMAIN_STATUS, AUDIT_UNKNOWN, "",
		                 "RDAP failed for the domain of a name server: %s", unknown);
	if (!any_bad && !any_unknown && uo > 0)
		audit_report_add(r, d->name, AUDIT_CHECK_NS_DOMAIN_STATUS, AUDIT_OK, "",
		                 "name server domains not on hold: %s", okl);
}

static void consistency_findings(struct audit_report *r, const struct domain *d)
{
	const char *p[RDAP_NS_MAX], *c[RDAP_NS_MAX];
	char only_p[AUDIT_EVIDENCE_MAX / 2], only_c[AUDIT_EVIDENCE_MAX / 2];
	char servers[AUDIT_EVIDENCE_MAX / 2] = "";
	size_t i, used = 0;
	int w;

	if (d->parent_ns_count == 0)
		return; /* the delegation finding says why */
	for (i = 0; i < d->child_server_count; i++) {
		w = snprintf(servers + used, sizeof(servers) - used, "%s%s", used ? " " : "",
		             d->child_labels[i]);
		if (w > 0 && (size_t)w < sizeof(servers) - used)
			used += (size_t)w;
	}
	if (!d->child_answered) {
		audit_report_add(r, d->name, AUDIT_CHECK_NS_CONSISTENCY, AUDIT_UNKNOWN, servers,
		                 "no name server of the domain answered for its NS set: %s",
		                 d->child_why);
		return;
	}
	for (i = 0; i < d->parent_ns_count; i++)
		p[i] = d->parent_ns[i];
	for (i = 0; i < d->child_ns_count; i++)
		c[i] = d->child_ns[i];
	if (audit_ns_sets_differ(p, d->parent_ns_count, c, d->child_ns_count, only_p,
	                         sizeof(only_p), only_c, sizeof(only_c)))
		audit_report_add(
		    r, d->name, AUDIT_CHECK_NS_CONSISTENCY, AUDIT_WARNING, servers,
		    "parent and child NS sets differ: only in the parent: %s; only in the "
		    "child: %s",
		    only_p[0] ? only_p : "(none)", only_c[0] ? only_c : "(none)");
	else if (d->child_why[0] != '\0')
		audit_report_add(
		    r, d->name, AUDIT_CHECK_NS_CONSISTENCY, AUDIT_WARNING, servers,
		    "parent and child NS sets agree, but not every name server answers "
		    "for the zone: %s",
		    d->child_why);
	else
		audit_report_add(r, d->name, AUDIT_CHECK_NS_CONSISTENCY, AUDIT_OK, servers,
		                 "parent and child NS sets agree");
}

static void domain_findings(struct run *run, struct audit_report *r, const struct domain *d,
                            time_t now)
{
	const char *ns[RDAP_NS_MAX], *src;
	const char *zone = d->zone != (size_t)-1 ? run->zones[d->zone]->name : "?";
	int answered_undelegated = 0;
	size_t n, i;

	audit_rdap_findings(r, d->name, d->rdap, d->important, now);
	if (d->zone_known)
		audit_delegation_findings(r, d->name, zone, d->parents, d->parent_count, NULL);
	else
		audit_delegation_findings(r, d->name, zone, NULL, 0,
		                          d->zone != (size_t)-1 ? run->zones[d->zone]->why
		                                                : "the domain has no parent zone");
	n = domain_ns(d, ns, &src);
	for (i = 0; i < d->parent_count; i++)
		answered_undelegated |=
		    d->parents[i].outcome == DNS_NXDOMAIN ||
		    (d->parents[i].outcome <= DNS_NODATA && !d->parents[i].delegated);
	/* An undelegated domain has no NS set to judge: the delegation
	 * finding says so. */
	if (n > 0 || !answered_undelegated)
		audit_ns_findings(r, run->psl, d->name, ns, n, src);
	consistency_findings(r, d);
	ns_domain_findings(run, r, d);
	for (i = 0; i < run->host_count; i++) {
		struct host *h = run->hosts[i];
		if (run->domains[h->domain] == d)
			audit_resolve_findings(r, d->name, h->name, h->res, run->resolver_count,
			                       h->nodata_ok);
	}
}

static void redundancy_findings(struct run *run, struct audit_report *r)
{
	struct audit_endpoint e[AUDIT_ENDPOINTS_MAX];
	char nsd[AUDIT_ENDPOINTS_MAX][RDAP_NS_MAX][DNS_NAME_MAX];
	const char *nsp[AUDIT_ENDPOINTS_MAX][RDAP_NS_MAX];
	const char *ns[RDAP_NS_MAX], *src;
	size_t s, i, j, n;

	for (s = 0; s < run->set_count; s++) {
		struct redundancy_set *set = &run->sets[s];
		if (set->count < 2)
			continue;
		for (i = 0; i < set->count; i++) {
			const struct domain *d = run->domains[set->domain[i]];
			e[i].label = set->label[i];
			e[i].domain = d->name;
			e[i].rdap = d->rdap;
			n = domain_ns(d, ns, &src);
			e[i].ns_count = 0;
			for (j = 0; j < n; j++) {
				if (audit_registrable_domain(run->psl, ns[j], nsd[i][e[i].ns_count],
				                             DNS_NAME_MAX) == 0) {
					nsp[i][e[i].ns_count] = nsd[i][e[i].ns_count];
					e[i].ns_count++;
				}
			}
			e[i].ns_domains = nsp[i];
		}
		audit_redundancy_findings(r, set->subject, e, set->count);
	}
}

/* ---------------------------------------------------------------- state */

static json_t *state_load(const char *path)
{
	unsigned char *data = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t len = 0;

	if (store_read_file(path, AUDIT_STATE_MAX, &data, &len) != 0) {
		if (errno != ENOENT)
			log_warn("audit_state_unreadable", "path=\"%s\" reason=\"%s\"", path,
			         strerror(errno));
		return NULL;
	}
	root = json_loadb((const char *)data, len, 0, &jerr);
	free(data);
	if (root == NULL || !json_is_object(json_object_get(root, "domains"))) {
		log_warn("audit_state_unreadable", "path=\"%s\" reason=\"not an audit state file\"",
		         path);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Compare with and update the state; write it when store is set. */
static void state_update(struct run *run, struct audit_report *r, const char *store, time_t now)
{
	char dir[PATH_MAX], path[PATH_MAX], ts[32];
	json_t *root = NULL, *domains, *entry;
	char *text = NULL;
	size_t i;
	int w;

	w = snprintf(dir, sizeof(dir), "%s/audit", store);
	if (w < 0 || (size_t)w >= sizeof(dir))
		return;
	w = snprintf(path, sizeof(path), "%s/state.json", dir);
	if (w < 0 || (size_t)w >= sizeof(path))
		return;
	root = state_load(path);
	if (root == NULL) {
		root = json_pack("{s:i, s:{}}", "version", 1, "domains");
		if (root == NULL)
			return;
	}
	domains = json_object_get(root, "domains");
	for (i = 0; i < run->domain_count; i++) {
		struct domain *d = run->domains[i];
		if (!d->audited || d->rdap->outcome != RDAP_OK)
			continue; /* no new facts: keep what the last audit saw */
		entry = audit_state_entry_new(&d->rdap->domain);
		if (entry == NULL)
			continue;
		audit_state_compare(r, d->name, json_object_get(domains, d->name), entry,
		                    d->rdap->url);
		json_object_set_new(entry, "checked_at",
		                    json_string(time_format(ts, sizeof(ts), now)));
		json_object_set_new(domains, d->name, entry);
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL) {
		if (mkdir(store, 0755) != 0 && errno != EEXIST)
			log_warn("audit_state_not_saved", "path=\"%s\" reason=\"%s\"", store,
			         strerror(errno));
		else if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			log_warn("audit_state_not_saved", "path=\"%s\" reason=\"%s\"", dir,
			         strerror(errno));
		else
			(void)store_write_atomic(path, text, strlen(text), AUDIT_STATE_MODE);
	}
	free(text);
	json_decref(root);
}

/* ---------------------------------------------------------------- output */

/* Printable copy for the terminal: no control bytes from the network. */
static const char *clean(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}

static const char *finding_roles(const struct run *run, const char *domain)
{
	size_t i = domain_find(run, domain);

	return i == (size_t)-1 ? "" : run->domains[i]->roles;
}

static void print_human(const struct run *run, const struct audit_report *r)
{
	char ev[AUDIT_EVIDENCE_MAX], src[AUDIT_EVIDENCE_MAX], roles[AUDIT_ROLES_MAX];
	size_t i, counts[AUDIT_SEVERITY_COUNT] = {0}, groups = 0;
	const char *last = NULL;

	for (i = 0; i < r->count; i++) {
		const struct audit_finding *f = &r->items[i];
		if (last == NULL || strcmp(last, f->domain) != 0) {
			const char *rl = finding_roles(run, f->domain);
			printf("%s%-8s %s%s%s%s\n", last ? "\n" : "",
			       audit_severity_name(audit_report_domain_worst(r, f->domain)),
			       f->domain, rl[0] ? "  (" : "", clean(roles, sizeof(roles), rl),
			       rl[0] ? ")" : "");
			last = f->domain;
			groups++;
		}
		counts[f->severity]++;
		printf("  %-8s %-16s %s%s%s%s\n", audit_severity_name(f->severity),
		       audit_check_name(f->check), clean(ev, sizeof(ev), f->evidence),
		       f->source[0] ? "  [" : "", clean(src, sizeof(src), f->source),
		       f->source[0] ? "]" : "");
	}
	printf("%s%s: %zu domain%s; %zu critical, %zu unknown, %zu warning, %zu info, %zu ok\n",
	       r->count ? "\n" : "", audit_severity_name(audit_report_worst(r)), groups,
	       groups == 1 ? "" : "s", counts[AUDIT_CRITICAL], counts[AUDIT_UNKNOWN],
	       counts[AUDIT_WARNING], counts[AUDIT_INFO], counts[AUDIT_OK]);
}

static int print_json(const struct run *run, const struct audit_report *r)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->count; i++) {
		const struct audit_finding *f = &r->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "domain", f->domain,
		                      "check", audit_check_name(f->check), "severity",
		                      audit_severity_name(f->severity), "evidence", f->evidence,
		                      "source", f->source, "roles", finding_roles(run, f->domain));
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line == NULL)
			rc = -1;
		else
			printf("%s\n", line);
		free(line);
		json_decref(o);
	}
	return rc;
}

/* ---------------------------------------------------------------- main */

static void run_free(struct run *run)
{
	size_t i;

	/* DNS first: its cancelled callbacks may still queue RDAP lookups. */
	dns_client_free(run->dns);
	rdap_client_free(run->rdap);
	rdap_bootstrap_free(run->bootstrap);
	for (i = 0; i < run->host_count; i++)
		free(run->hosts[i]);
	for (i = 0; i < run->domain_count; i++) {
		free(run->domains[i]->rdap);
		free(run->domains[i]);
	}
	for (i = 0; i < run->zone_count; i++) {
		free(run->zones[i]->waiting);
		free(run->zones[i]);
	}
	free(run->hosts);
	free(run->domains);
	free(run->zones);
	free(run->sets);
	if (run->psl != NULL)
		psl_free(run->psl);
}

static int add_resolver(struct run *run, const char *spec)
{
	char norm[DNS_SERVER_MAX];
	size_t i;

	if (dns_server_parse(spec, norm, sizeof(norm)) != 0)
		return -1;
	for (i = 0; i < run->resolver_count; i++) {
		if (strcmp(run->resolvers[i], norm) == 0)
			return 0;
	}
	if (run->resolver_count >= AUDIT_RESOLVERS_MAX)
		return -1;
	memcpy(run->resolvers[run->resolver_count++], norm, sizeof(norm));
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct domain *x = *(struct domain *const *)a, *y = *(struct domain *const *)b;
	return strcmp(x->name, y->name);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"resolver", required_argument, NULL, 'r'},
	    {"rdap-bootstrap", required_argument, NULL, 'b'},
	    {"store", required_argument, NULL, 's'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run run;
	struct audit_report report = {0};
	struct rdap_options ropt;
	struct dns_options dopt;
	struct conf *conf = NULL;
	const char *conf_path = NULL, *bootstrap_src = NULL, *store = NULL;
	char err[CONF_ERROR_MAX], cache[PATH_MAX], *cli_resolvers[AUDIT_RESOLVERS_MAX];
	char *resolver_ptrs[AUDIT_RESOLVERS_MAX];
	size_t cli_resolver_count = 0, i, h;
	int ch, json = 0, verbose = 0, rc = EXIT_UNKNOWN, w, j;
	time_t now;

	memset(&run, 0, sizeof(run));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			if (cli_resolver_count >= AUDIT_RESOLVERS_MAX) {
				fprintf(stderr, "holdfast audit: at most %d resolvers\n",
				        AUDIT_RESOLVERS_MAX);
				return EXIT_UNKNOWN;
			}
			cli_resolvers[cli_resolver_count++] = optarg;
			break;
		case 'b':
			bootstrap_src = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			audit_usage(stdout);
			return EXIT_OK;
		default:
			audit_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	now = time(NULL);

	/* The configuration: named, or the default one (optional when
	 * domains are given on the command line). */
	if (conf_path != NULL || optind >= argc || access(CONF_DEFAULT_PATH, F_OK) == 0) {
		const char *p = conf_path ? conf_path : CONF_DEFAULT_PATH;
		conf = conf_load(p, err, sizeof(err));
		if (conf == NULL) {
			fprintf(stderr, "holdfast audit: %s\n", err);
			goto out;
		}
	}
	run.conf = conf;
	if (store == NULL)
		store = conf ? conf->store : "/var/lib/holdfast";

	run.psl = psl_latest(NULL);
	if (run.psl == NULL)
		run.psl = (psl_ctx_t *)psl_builtin();
	if (run.psl == NULL)
		log_warn("audit_no_public_suffix_list", "fallback=\"last two labels\"");

	/* Resolvers: the command line, the configuration, or the system's. */
	for (i = 0; i < cli_resolver_count; i++) {
		if (add_resolver(&run, cli_resolvers[i]) != 0) {
			fprintf(stderr, "holdfast audit: --resolver %s: expected IP[:PORT]\n",
			        cli_resolvers[i]);
			goto out;
		}
	}
	for (i = 0; cli_resolver_count == 0 && conf && i < conf->resolvers.count; i++) {
		if (add_resolver(&run, conf->resolvers.items[i]) != 0) {
			fprintf(stderr, "holdfast audit: %s: resolvers: \"%s\" is not IP[:PORT]\n",
			        conf->path, conf->resolvers.items[i]);
			goto out;
		}
	}
	if (run.resolver_count == 0)
		run.resolver_count = dns_system_resolvers(run.resolvers, AUDIT_RESOLVERS_MAX);
	if (run.resolver_count == 0) {
		fprintf(stderr, "holdfast audit: no resolver configured or found\n");
		goto out;
	}
	if (run.resolver_count == 1)
		log_warn(
		    "audit_one_resolver",
		    "resolver=%s reason=\"with one resolver a local outage looks like a global "
		    "one; configure at least two independent resolvers\"",
		    run.resolvers[0]);

	/* What to audit. */
	if (optind < argc) {
		for (j = optind; j < argc; j++) {
			if (host_add(&run, argv[j], 0, "command line", 1) != 0) {
				fprintf(stderr, "holdfast audit: \"%s\" is not a domain name\n",
				        argv[j]);
				goto out;
			}
		}
	} else {
		map_config(&run);
	}
	if (run.oom) {
		fprintf(stderr, "holdfast audit: out of memory\n");
		goto out;
	}
	if (run.domain_count == 0) {
		fprintf(stderr, "holdfast audit: nothing to audit (no names in %s)\n",
		        conf ? conf->path : "the configuration");
		goto out;
	}

	/* Clients. */
	rdap_options_default(&ropt);
	dns_options_default(&dopt);
	for (i = 0; i < run.resolver_count; i++)
		resolver_ptrs[i] = run.resolvers[i];
	run.dns = dns_client_new(&dopt, resolver_ptrs, run.resolver_count);
	run.rdap = rdap_client_new(&ropt);
	if (run.dns == NULL || run.rdap == NULL) {
		fprintf(stderr, "holdfast audit: cannot set up the DNS or HTTP client\n");
		goto out;
	}
	if (bootstrap_src == NULL)
		bootstrap_src =
		    conf && conf->rdap_bootstrap ? conf->rdap_bootstrap : AUDIT_BOOTSTRAP_DEFAULT;
	w = snprintf(cache, sizeof(cache), "%s/rdap/dns.json", store);
	if (w > 0 && (size_t)w < sizeof(cache) && mkdir(store, 0755) != 0 && errno != EEXIST)
		log_debug("audit_store_missing", "path=\"%s\"", store);
	run.bootstrap =
	    rdap_bootstrap_load(bootstrap_src, (w > 0 && (size_t)w < sizeof(cache)) ? cache : NULL,
	                        &ropt.http, run.bootstrap_err, sizeof(run.bootstrap_err));
	if (run.bootstrap == NULL)
		log_error("rdap_bootstrap_failed", "source=\"%s\" reason=\"%s\"", bootstrap_src,
		          log_safe(err, sizeof(err), run.bootstrap_err));

	/* Gather. */
	for (i = 0; i < run.domain_count; i++)
		rdap_start(&run, i);
	for (i = 0; i < run.domain_count; i++)
		domain_begin(&run, i);
	for (h = 0; h < run.host_count; h++) {
		for (i = 0; i < run.resolver_count; i++) {
			run.hosts[h]->res[i].resolver = run.resolvers[i];
			run.hosts[h]->res[i].a = run.hosts[h]->res[i].aaaa = DNS_ERROR;
			ask(&run, Q_HOST_A, h, i, run.resolvers[i], run.hosts[h]->name, DNS_TYPE_A,
			    1);
			ask(&run, Q_HOST_AAAA, h, i, run.resolvers[i], run.hosts[h]->name,
			    DNS_TYPE_AAAA, 1);
		}
	}
	if (run_loop(&run) != 0)
		goto out;
	if (run.oom) {
		fprintf(stderr, "holdfast audit: out of memory\n");
		goto out;
	}

	/* Judge, remember, report. */
	{
		struct domain **sorted = calloc(run.domain_count, sizeof(*sorted));
		if (sorted == NULL) {
			fprintf(stderr, "holdfast audit: out of memory\n");
			goto out;
		}
		memcpy(sorted, run.domains, run.domain_count * sizeof(*sorted));
		qsort(sorted, run.domain_count, sizeof(*sorted), name_cmp);
		for (i = 0; i < run.domain_count; i++) {
			if (sorted[i]->audited)
				domain_findings(&run, &report, sorted[i], now);
		}
		free(sorted);
	}
	redundancy_findings(&run, &report);
	state_update(&run, &report, store, now);
	if (report.failed) {
		fprintf(stderr, "holdfast audit: out of memory\n");
		goto out;
	}
	audit_report_sort(&report);
	if (json) {
		if (print_json(&run, &report) != 0)
			goto out;
	} else {
		print_human(&run, &report);
	}
	fflush(stdout);
	rc = audit_severity_exit(audit_report_worst(&report));
out:
	audit_report_free(&report);
	run_free(&run);
	conf_free(conf);
	return rc;
}

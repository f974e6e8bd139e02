/*
 * rules: findings from facts.  See rules.h; the severities are issue 4's.
 *
 * Evidence strings are written for an operator reading a cron mail: they
 * name the status, the date, the resolver and what it said, so that the
 * finding can be checked by hand (`whois`, `dig @resolver`).
 */

#include "audit/rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/names.h"
#include "util/timeutil.h"

/* ---------------------------------------------------------------- names */

const char *audit_tld(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

int audit_registrable_domain(const psl_ctx_t *psl, const char *host, char *out, size_t outlen)
{
	const char *rd = NULL;
	size_t n;

	if (psl != NULL)
		rd = psl_registrable_domain(psl, host);
	if (rd == NULL) {
		/* No list, or host is itself a suffix: fall back on the last two
		 * labels (what the list's "*" rule says for an unknown TLD). */
		const char *last = strrchr(host, '.');
		rd = host;
		if (last != NULL) {
			const char *p = last;
			while (p > host && p[-1] != '.')
				p--;
			rd = p;
		}
		if (psl != NULL && psl_is_public_suffix(psl, host))
			rd = host;
	}
	n = strlen(rd);
	if (n >= outlen)
		return -1;
	memcpy(out, rd, n + 1);
	return 0;
}

int audit_host_normalise(const char *host, char *out, size_t outlen)
{
	return host_normalise(host, out, outlen);
}

/* ---------------------------------------------------------------- RDAP */

enum audit_severity audit_status_severity(unsigned long status)
{
	if (status & AUDIT_STATUS_CRITICAL)
		return AUDIT_CRITICAL;
	if (status & AUDIT_STATUS_PENDING)
		return AUDIT_WARNING;
	return AUDIT_OK;
}

static void expiry_finding(struct audit_report *r, const char *domain, const struct rdap_domain *d,
                           const char *source, time_t now)
{
	char date[32];
	double days;

	if (!d->has_expiry) {
		audit_report_add(r, domain, AUDIT_CHECK_EXPIRY, AUDIT_INFO, source,
		                 "the registry publishes no expiration date");
		return;
	}
	time_format(date, sizeof(date), d->expires);
	days = difftime(d->expires, now) / 86400.0;
	if (days < 0)
		audit_report_add(r, domain, AUDIT_CHECK_EXPIRY, AUDIT_CRITICAL, source,
		                 "expired on %s (%.0f days ago)", date, -days);
	else if (days < AUDIT_EXPIRY_CRITICAL_DAYS)
		audit_report_add(r, domain, AUDIT_CHECK_EXPIRY, AUDIT_CRITICAL, source,
		                 "expires on %s, in %.1f days (< %d)", date, days,
		                 AUDIT_EXPIRY_CRITICAL_DAYS);
	else if (days < AUDIT_EXPIRY_WARNING_DAYS)
		audit_report_add(r, domain, AUDIT_CHECK_EXPIRY, AUDIT_WARNING, source,
		                 "expires on %s, in %.0f days (< %d)", date, days,
		                 AUDIT_EXPIRY_WARNING_DAYS);
	else
		audit_report_add(r, domain, AUDIT_CHECK_EXPIRY, AUDIT_OK, source,
		                 "expires on %s, in %.0f days", date, days);
}

/* The registrar lock: for each of transfer, update and delete, the
 * registrar's own "client X prohibited", or RDAP's generic "X prohibited" or
 * "locked" (RFC 9083 section 10.2.2), which say the action is refused
 * without saying who set that: either way the domain cannot be moved or
 * changed by a request to the registrar alone, which is what this check is
 * for.  The generic values are named as such in the evidence. */
static void registrar_lock_finding(struct audit_report *r, const char *domain, unsigned long st,
                                   const char *source)
{
	static const struct {
		enum rdap_status client, generic;
	} actions[] = {
	    {RDAP_ST_CLIENT_TRANSFER_PROHIBITED, RDAP_ST_TRANSFER_PROHIBITED},
	    {RDAP_ST_CLIENT_UPDATE_PROHIBITED, RDAP_ST_UPDATE_PROHIBITED},
	    {RDAP_ST_CLIENT_DELETE_PROHIBITED, RDAP_ST_DELETE_PROHIBITED},
	};
	unsigned long lacking = 0, generic = st & AUDIT_STATUS_GENERIC_LOCK;
	char have[512], lacks[512], gen[256];
	size_t i, covered = 0;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (st & (RDAP_BIT(actions[i].client) | RDAP_BIT(actions[i].generic) |
		          RDAP_BIT(RDAP_ST_LOCKED)))
			covered++;
		else
			lacking |= RDAP_BIT(actions[i].client);
	}
	rdap_status_list(st & AUDIT_STATUS_REGISTRAR_LOCK, have, sizeof(have));
	rdap_status_list(lacking, lacks, sizeof(lacks));
	rdap_status_list(generic, gen, sizeof(gen));
	if (covered == 0)
		audit_report_add(r, domain, AUDIT_CHECK_REGISTRAR_LOCK, AUDIT_WARNING, source,
		                 "no registrar lock: none of %s", lacks);
	else
		audit_report_add(
		    r, domain, AUDIT_CHECK_REGISTRAR_LOCK, AUDIT_OK, source,
		    "registrar lock: %s%s%s%s%s%s%s", have, have[0] && gen[0] ? ", " : "", gen,
		    gen[0] ? " (generic RDAP values: set by registrar or registry)" : "",
		    lacking ? " (not " : "", lacking ? lacks : "", lacking ? ")" : "");
}

/* The registry lock: only the registry's own "server X prohibited" values
 * show one (set on request, lifted only out of band).  A generic lock value
 * does not say it was the registry that set it, so it is named but not
 * counted. */
static void registry_lock_finding(struct audit_report *r, const char *domain, unsigned long st,
                                  int important, const char *source)
{
	const unsigned long mask = AUDIT_STATUS_REGISTRY_LOCK;
	char have[512], lacks[512], gen[256], note[320] = "";

	rdap_status_list(st & mask, have, sizeof(have));
	rdap_status_list(mask & ~st, lacks, sizeof(lacks));
	rdap_status_list(st & AUDIT_STATUS_GENERIC_LOCK, gen, sizeof(gen));
	if (gen[0] != '\0')
		snprintf(note, sizeof(note), "; %s: generic RDAP values, not a registry lock", gen);
	if ((st & mask) == 0)
		audit_report_add(r, domain, AUDIT_CHECK_REGISTRY_LOCK,
		                 important ? AUDIT_WARNING : AUDIT_INFO, source,
		                 "no %s: none of %s%s",
		                 important ? "registry lock on a domain holding a CA endpoint or a "
		                             "critical site"
		                           : "registry lock",
		                 lacks, note);
	else if ((st & mask) != mask)
		audit_report_add(r, domain, AUDIT_CHECK_REGISTRY_LOCK, AUDIT_OK, source,
		                 "registry lock: %s (not %s)", have, lacks);
	else
		audit_report_add(r, domain, AUDIT_CHECK_REGISTRY_LOCK, AUDIT_OK, source,
		                 "registry lock: %s", have);
}

/* The check a part's problem is reported under: its own where it has one. */
static enum audit_check part_check(enum rdap_part p)
{
	switch (p) {
	case RDAP_PART_STATUS:
		return AUDIT_CHECK_STATUS;
	case RDAP_PART_EVENTS:
		return AUDIT_CHECK_EXPIRY;
	default:
		return AUDIT_CHECK_RDAP;
	}
}

/* One finding per part of the answer that could not be read (UNKNOWN: that
 * check could not be made; links INFO when the answer needed no referral),
 * and per part the registrar's answer supplied instead (INFO). */
static void part_findings(struct audit_report *r, const char *domain, const struct rdap_domain *d,
                          const char *src)
{
	enum audit_severity s;
	int p;

	for (p = 0; p < RDAP_PART_COUNT; p++) {
		if (d->filled & RDAP_PART_BIT(p)) {
			audit_report_add(
			    r, domain, part_check((enum rdap_part)p), AUDIT_INFO, src,
			    "part \"%s\" of the registry's answer unreadable (%s); taken "
			    "from the registrar's answer",
			    rdap_part_name((enum rdap_part)p), d->problem[p]);
			continue;
		}
		if (!(d->problems & RDAP_PART_BIT(p)))
			continue;
		s = AUDIT_UNKNOWN;
		if (p == RDAP_PART_LINKS && !rdap_domain_incomplete(d))
			s = AUDIT_INFO; /* the referral was not needed */
		audit_report_add(
		    r, domain, part_check((enum rdap_part)p), s, src,
		    "part \"%s\" of the RDAP answer unreadable: %s; the other parts are "
		    "used",
		    rdap_part_name((enum rdap_part)p), d->problem[p]);
	}
}

static void status_finding(struct audit_report *r, const char *domain, const struct rdap_domain *d,
                           const char *src)
{
	unsigned long st = d->status;
	char list[512], unknown[RDAP_DETAIL_MAX + 64] = "";

	if (!d->has_status) {
		if (!(d->problems & RDAP_PART_BIT(RDAP_PART_STATUS)))
			audit_report_add(r, domain, AUDIT_CHECK_STATUS, AUDIT_UNKNOWN, src,
			                 "the RDAP answer carries no status");
		return; /* else the part's own finding says why */
	}
	if (d->unknown_status[0] != '\0')
		snprintf(unknown, sizeof(unknown), "; not RFC 9083 status values: %s",
		         d->unknown_status);
	if (st & AUDIT_STATUS_CRITICAL) {
		rdap_status_list(st & AUDIT_STATUS_CRITICAL, list, sizeof(list));
		audit_report_add(
		    r, domain, AUDIT_CHECK_STATUS, AUDIT_CRITICAL, src, "%s: %s%s", list,
		    (st & (RDAP_BIT(RDAP_ST_CLIENT_HOLD) | RDAP_BIT(RDAP_ST_SERVER_HOLD)))
		        ? "the registry keeps the domain out of the TLD zone; it does not resolve"
		    : (st & RDAP_BIT(RDAP_ST_INACTIVE))
		        ? "no delegation; the domain does not resolve"
		        : "the domain is being deleted",
		    unknown);
		return;
	}
	rdap_status_list(st, list, sizeof(list));
	/* A value the audit does not know could be a hold by another name: a
	 * human must look. */
	if (d->unknown_status[0] != '\0')
		audit_report_add(r, domain, AUDIT_CHECK_STATUS, AUDIT_WARNING, src,
		                 "status values the audit does not know: %s (known: %s)",
		                 d->unknown_status, list[0] ? list : "none");
	else
		audit_report_add(r, domain, AUDIT_CHECK_STATUS, AUDIT_OK, src, "%s",
		                 list[0] ? list : "(no status)");
}

void audit_rdap_findings(struct audit_report *r, const char *domain, const struct rdap_result *res,
                         int important, time_t now)
{
	const struct rdap_domain *d = &res->domain;
	const char *src = res->url;
	char list[512], registrar[RDAP_REGISTRAR_MAX + 48] = "", parts[160] = "";
	unsigned long st = d->status;
	size_t used = 0;
	int p, w;

	if (res->outcome == RDAP_NO_SERVICE) {
		audit_report_add(r, domain, AUDIT_CHECK_RDAP, AUDIT_INFO, src,
		                 "no RDAP service for .%s in the bootstrap: registration data not "
		                 "checked",
		                 audit_tld(domain));
		return;
	}
	if (res->outcome != RDAP_OK) {
		if (res->http_status > 0)
			audit_report_add(r, domain, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, src,
			                 "RDAP lookup failed: %s (HTTP %ld): %s",
			                 rdap_outcome_name(res->outcome), res->http_status,
			                 res->detail);
		else
			audit_report_add(r, domain, AUDIT_CHECK_RDAP, AUDIT_UNKNOWN, src,
			                 "RDAP lookup failed: %s: %s",
			                 rdap_outcome_name(res->outcome), res->detail);
		return;
	}
	if (d->registrar[0] != '\0' && d->registrar_iana_id > 0)
		snprintf(registrar, sizeof(registrar), "; registrar %s (IANA %ld)", d->registrar,
		         d->registrar_iana_id);
	else if (d->registrar[0] != '\0')
		snprintf(registrar, sizeof(registrar), "; registrar %s", d->registrar);
	else if (d->registrar_iana_id > 0)
		snprintf(registrar, sizeof(registrar), "; registrar IANA %ld",
		         d->registrar_iana_id);
	for (p = 0; p < RDAP_PART_COUNT; p++) {
		if (!(d->problems & RDAP_PART_BIT(p)))
			continue;
		w = snprintf(
		    parts + used, sizeof(parts) - used, "%s%s",
		    used ? ", " : "; parts unreadable: ", rdap_part_name((enum rdap_part)p));
		if (w > 0 && (size_t)w < sizeof(parts) - used)
			used += (size_t)w;
	}
	if (res->referral_followed && res->referral_outcome == RDAP_OK)
		audit_report_add(
		    r, domain, AUDIT_CHECK_RDAP, AUDIT_OK, src,
		    "registry answer completed from the registrar's RDAP server %s%s%s",
		    res->referral_url, registrar, parts);
	else if (res->referral_followed)
		audit_report_add(r, domain, AUDIT_CHECK_RDAP, AUDIT_OK, src,
		                 "registry answer used; registrar's RDAP server %s failed: %s%s%s",
		                 res->referral_url, rdap_outcome_name(res->referral_outcome),
		                 registrar, parts);
	else
		audit_report_add(r, domain, AUDIT_CHECK_RDAP, AUDIT_OK, src, "registry answer%s%s",
		                 registrar, parts);

	/* What was read counts whatever else could not be: a hold is reported
	 * beside the parts that failed, never hidden by them. */
	status_finding(r, domain, d, src);

	/* pending transfer / update */
	if (st & AUDIT_STATUS_PENDING) {
		rdap_status_list(st & AUDIT_STATUS_PENDING, list, sizeof(list));
		audit_report_add(r, domain, AUDIT_CHECK_PENDING, AUDIT_WARNING, src,
		                 "%s: a change of registrar or of the delegation is under way",
		                 list);
	}

	if (d->has_expiry || !(d->problems & RDAP_PART_BIT(RDAP_PART_EVENTS)))
		expiry_finding(r, domain, d, src, now);
	if (d->has_status) {
		registrar_lock_finding(r, domain, st, src);
		registry_lock_finding(r, domain, st, important, src);
	}
	part_findings(r, domain, d, src);
}

/* ---------------------------------------------------------------- DNS */

int audit_resolution_failed(const struct audit_resolution *res, int nodata_ok,
                            enum dns_outcome *why)
{
	enum dns_outcome w;

	if (res->addresses > 0)
		return 0;
	if (res->a == DNS_NODATA && res->aaaa == DNS_NODATA) {
		if (why != NULL)
			*why = DNS_NODATA;
		return !nodata_ok;
	}
	/* Name the more telling of the two answers: a failure over NODATA. */
	w = (res->a == DNS_NOERROR || res->a == DNS_NODATA) ? res->aaaa : res->a;
	if (why != NULL)
		*why = w;
	return 1;
}

enum audit_severity audit_resolve_severity(size_t failed, size_t total)
{
	if (failed == 0)
		return AUDIT_OK;
	if (failed >= 2 || failed == total)
		return AUDIT_CRITICAL;
	return AUDIT_WARNING;
}

void audit_resolve_findings(struct audit_report *r, const char *domain, const char *host,
                            const struct audit_resolution *res, size_t n, int nodata_ok)
{
	char evidence[AUDIT_EVIDENCE_MAX], sources[AUDIT_EVIDENCE_MAX];
	size_t i, failed = 0, used = 0, sused = 0, nodata = 0;
	enum dns_outcome why;
	int w;

	evidence[0] = sources[0] = '\0';
	for (i = 0; i < n; i++) {
		int f = audit_resolution_failed(&res[i], nodata_ok, &why);
		const char *what;
		char tmp[32];

		if (f) {
			failed++;
			what = dns_outcome_name(why);
		} else if (res[i].addresses == 0) {
			nodata++;
			what = "exists, no address";
		} else {
			snprintf(tmp, sizeof(tmp), "%zu address%s", res[i].addresses,
			         res[i].addresses == 1 ? "" : "es");
			what = tmp;
		}
		w = snprintf(evidence + used, sizeof(evidence) - used, "%s%s %s", used ? ", " : "",
		             res[i].resolver, what);
		if (w > 0 && (size_t)w < sizeof(evidence) - used)
			used += (size_t)w;
		w = snprintf(sources + sused, sizeof(sources) - sused, "%s%s", sused ? " " : "",
		             res[i].resolver);
		if (w > 0 && (size_t)w < sizeof(sources) - sused)
			sused += (size_t)w;
	}
	if (n == 0) {
		audit_report_add(r, domain, AUDIT_CHECK_RESOLVE, AUDIT_UNKNOWN, "",
		                 "%s: no resolver to ask", host);
		return;
	}
	if (failed == 0 && nodata == n)
		audit_report_add(r, domain, AUDIT_CHECK_RESOLVE, AUDIT_INFO, sources,
		                 "%s exists but has no A/AAAA record: %s", host, evidence);
	else if (failed == 0)
		audit_report_add(r, domain, AUDIT_CHECK_RESOLVE, AUDIT_OK, sources,
		                 "%s resolves on every resolver (%zu): %s", host, n, evidence);
	else
		audit_report_add(r, domain, AUDIT_CHECK_RESOLVE, audit_resolve_severity(failed, n),
		                 sources, "%s fails on %zu of %zu resolvers: %s", host, failed, n,
		                 evidence);
}

void audit_delegation_findings(struct audit_report *r, const char *domain, const char *zone,
                               const struct audit_parent_answer *a, size_t n, const char *why)
{
	char bad[AUDIT_EVIDENCE_MAX] = "", good[AUDIT_EVIDENCE_MAX] = "",
	     all[AUDIT_EVIDENCE_MAX] = "";
	size_t i, nbad = 0, ngood = 0, ub = 0, ug = 0, ua = 0;
	int w;

	for (i = 0; i < n; i++) {
		int answered = a[i].outcome == DNS_NOERROR || a[i].outcome == DNS_NODATA ||
		               a[i].outcome == DNS_NXDOMAIN;
		w = snprintf(all + ua, sizeof(all) - ua, "%s%s", ua ? " " : "", a[i].server);
		if (w > 0 && (size_t)w < sizeof(all) - ua)
			ua += (size_t)w;
		if (answered && a[i].delegated) {
			ngood++;
			w = snprintf(good + ug, sizeof(good) - ug, "%s%s", ug ? ", " : "",
			             a[i].server);
			if (w > 0 && (size_t)w < sizeof(good) - ug)
				ug += (size_t)w;
		} else {
			if (answered)
				nbad++;
			w = snprintf(
			    bad + ub, sizeof(bad) - ub, "%s%s %s", ub ? ", " : "", a[i].server,
			    answered ? (a[i].outcome == DNS_NXDOMAIN ? "nxdomain" : "no delegation")
			             : dns_outcome_name(a[i].outcome));
			if (w > 0 && (size_t)w < sizeof(bad) - ub)
				ub += (size_t)w;
		}
	}
	if (n == 0)
		audit_report_add(r, domain, AUDIT_CHECK_DELEGATION, AUDIT_UNKNOWN, "",
		                 "parent zone servers not found: %s", why ? why : "no answer");
	else if (nbad > 0)
		audit_report_add(r, domain, AUDIT_CHECK_DELEGATION, AUDIT_CRITICAL, all,
		                 "the %s zone no longer delegates %s: %s", zone, domain, bad);
	else if (ngood == 0)
		audit_report_add(r, domain, AUDIT_CHECK_DELEGATION, AUDIT_UNKNOWN, all,
		                 "no server of the %s zone answered: %s", zone, bad);
	else if (ub > 0)
		audit_report_add(r, domain, AUDIT_CHECK_DELEGATION, AUDIT_OK, all,
		                 "delegated by the %s zone (%s); no answer from %s", zone, good,
		                 bad);
	else
		audit_report_add(r, domain, AUDIT_CHECK_DELEGATION, AUDIT_OK, all,
		                 "delegated by every server of the %s zone asked (%zu)", zone,
		                 ngood);
}

unsigned int audit_ns_diversity(const psl_ctx_t *psl, const char *const *ns, size_t n)
{
	char first[DNS_NAME_MAX], cur[DNS_NAME_MAX];
	unsigned int bad = 0;
	int one_domain = 1, one_tld = 1;
	size_t i;

	if (n < 2)
		bad |= AUDIT_NS_FEW;
	if (n == 0)
		return bad;
	if (audit_registrable_domain(psl, ns[0], first, sizeof(first)) != 0)
		return bad;
	for (i = 1; i < n; i++) {
		if (audit_registrable_domain(psl, ns[i], cur, sizeof(cur)) != 0 ||
		    strcasecmp(cur, first) != 0)
			one_domain = 0;
		if (strcasecmp(audit_tld(ns[i]), audit_tld(ns[0])) != 0)
			one_tld = 0;
	}
	if (n >= 2 && one_domain)
		bad |= AUDIT_NS_ONE_DOMAIN;
	if (n >= 2 && one_tld)
		bad |= AUDIT_NS_ONE_TLD;
	return bad;
}

void audit_ns_findings(struct audit_report *r, const psl_ctx_t *psl, const char *domain,
                       const char *const *ns, size_t n, const char *source)
{
	char list[AUDIT_EVIDENCE_MAX] = "", rd[DNS_NAME_MAX] = "";
	unsigned int bad = audit_ns_diversity(psl, ns, n);
	size_t i, used = 0;
	int w;

	for (i = 0; i < n; i++) {
		w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? " " : "", ns[i]);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
	}
	if (n == 0) {
		audit_report_add(r, domain, AUDIT_CHECK_NS_COUNT, AUDIT_UNKNOWN, source,
		                 "no NS set could be learnt");
		return;
	}
	if (bad & AUDIT_NS_FEW)
		audit_report_add(r, domain, AUDIT_CHECK_NS_COUNT, AUDIT_WARNING, source,
		                 "%zu name server (RFC 2182 asks for at least 2): %s", n, list);
	else
		audit_report_add(r, domain, AUDIT_CHECK_NS_COUNT, AUDIT_OK, source,
		                 "%zu name servers: %s", n, list);
	if (n < 2)
		return;
	(void)audit_registrable_domain(psl, ns[0], rd, sizeof(rd));
	if ((bad & AUDIT_NS_ONE_DOMAIN) && (bad & AUDIT_NS_ONE_TLD))
		audit_report_add(r, domain, AUDIT_CHECK_NS_DIVERSITY, AUDIT_WARNING, source,
		                 "every name server is under one domain (%s) and one TLD (.%s): %s",
		                 rd, audit_tld(ns[0]), list);
	else if (bad & AUDIT_NS_ONE_DOMAIN)
		audit_report_add(r, domain, AUDIT_CHECK_NS_DIVERSITY, AUDIT_WARNING, source,
		                 "every name server is under one domain (%s): %s", rd, list);
	else if (bad & AUDIT_NS_ONE_TLD)
		audit_report_add(r, domain, AUDIT_CHECK_NS_DIVERSITY, AUDIT_WARNING, source,
		                 "every name server is under one TLD (.%s): %s", audit_tld(ns[0]),
		                 list);
	else
		audit_report_add(r, domain, AUDIT_CHECK_NS_DIVERSITY, AUDIT_OK, source,
		                 "name servers under several domains and TLDs: %s", list);
}

static int in_set(const char *name, const char *const *set, size_t n)
{
	size_t i, ln = strlen(name), ls;

	if (ln > 0 && name[ln - 1] == '.')
		ln--;
	for (i = 0; i < n; i++) {
		ls = strlen(set[i]);
		if (ls > 0 && set[i][ls - 1] == '.')
			ls--;
		if (ls == ln && strncasecmp(name, set[i], ln) == 0)
			return 1;
	}
	return 0;
}

static void list_missing(const char *const *a, size_t na, const char *const *b, size_t nb,
                         char *dst, size_t dstlen, int *differ)
{
	size_t i, used = 0;
	int w;

	if (dstlen > 0)
		dst[0] = '\0';
	for (i = 0; i < na; i++) {
		if (in_set(a[i], b, nb))
			continue;
		*differ = 1;
		w = snprintf(dst + used, dstlen - used, "%s%s", used ? " " : "", a[i]);
		if (w > 0 && (size_t)w < dstlen - used)
			used += (size_t)w;
	}
}

int audit_ns_sets_differ(const char *const *a, size_t na, const char *const *b, size_t nb,
                         char *only_a, size_t only_a_len, char *only_b, size_t only_b_len)
{
	int differ = 0;

	list_missing(a, na, b, nb, only_a, only_a_len, &differ);
	list_missing(b, nb, a, na, only_b, only_b_len, &differ);
	return differ;
}

/* ---------------------------------------------------------------- state */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *audit_state_entry_new(const struct rdap_domain *d)
{
	const char *ns[RDAP_NS_MAX];
	json_t *o = json_object(), *nsa = json_array(), *locks = json_array(), *ret = NULL;
	size_t i;
	int s;

	if (o == NULL || nsa == NULL || locks == NULL)
		goto out;
	for (i = 0; i < d->ns_count; i++)
		ns[i] = d->nameservers[i];
	qsort(ns, d->ns_count, sizeof(ns[0]), str_cmp);
	for (i = 0; i < d->ns_count; i++) {
		if (json_array_append_new(nsa, json_string(ns[i])) != 0)
			goto out;
	}
	/* Status names in table order are already a stable order. */
	for (s = 0; s < RDAP_ST_COUNT; s++) {
		if ((d->status & AUDIT_STATUS_LOCKS & RDAP_BIT(s)) &&
		    json_array_append_new(locks, json_string(rdap_status_name(s))) != 0)
			goto out;
	}
	/* json_object_set (not _new) for the arrays: our references are
	 * dropped at out either way.  An unreadable part gives no fact. */
	if (!(d->problems & RDAP_PART_BIT(RDAP_PART_ENTITIES)) &&
	    (json_object_set_new(o, "registrar", json_string(d->registrar)) != 0 ||
	     json_object_set_new(o, "registrar_iana_id", json_integer(d->registrar_iana_id)) != 0))
		goto out;
	if (!(d->problems & RDAP_PART_BIT(RDAP_PART_NAMESERVERS)) &&
	    json_object_set(o, "nameservers", nsa) != 0)
		goto out;
	if (!(d->problems & RDAP_PART_BIT(RDAP_PART_SECURE_DNS)) &&
	    json_object_set_new(o, "dnssec",
	                        d->dnssec < 0 ? json_null() : json_boolean(d->dnssec)) != 0)
		goto out;
	if (!(d->problems & RDAP_PART_BIT(RDAP_PART_STATUS)) &&
	    json_object_set(o, "locks", locks) != 0)
		goto out;
	ret = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(nsa);
	json_decref(locks);
	return ret;
}

/* A JSON array of strings as "a b c" ("(none)" when empty). */
static void join_array(const json_t *a, char *dst, size_t dstlen)
{
	size_t i, used = 0;
	json_t *v;
	int w;

	dst[0] = '\0';
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			continue;
		w = snprintf(dst + used, dstlen - used, "%s%s", used ? ", " : "",
		             json_string_value(v));
		if (w > 0 && (size_t)w < dstlen - used)
			used += (size_t)w;
	}
	if (used == 0)
		snprintf(dst, dstlen, "(none)");
}

static void registrar_text(const json_t *o, char *dst, size_t dstlen)
{
	const char *name = json_string_value(json_object_get(o, "registrar"));
	json_int_t id = json_integer_value(json_object_get(o, "registrar_iana_id"));

	if (id > 0)
		snprintf(dst, dstlen, "%s (IANA %lld)", name && *name ? name : "?", (long long)id);
	else
		snprintf(dst, dstlen, "%s", name && *name ? name : "(none)");
}

static const char *dnssec_text(const json_t *v)
{
	if (json_is_true(v))
		return "signed";
	if (json_is_false(v))
		return "unsigned";
	return "unknown";
}

/* 1 when both have fact key; when only old has it, old's value goes into
 * cur (the fact was not read this time: keep the last one read). */
static int fact_both(const json_t *old, json_t *cur, const char *key)
{
	json_t *o = json_object_get(old, key);

	if (json_object_get(cur, key) != NULL)
		return o != NULL;
	if (o != NULL)
		(void)json_object_set(cur, key, o);
	return 0;
}

void audit_state_compare(struct audit_report *r, const char *domain, const json_t *old, json_t *cur,
                         const char *source)
{
	char a[512], b[512];
	json_int_t oid, cid;
	int registrar;

	if (!json_is_object(old) || !json_is_object(cur))
		return;
	registrar = fact_both(old, cur, "registrar");
	if (!fact_both(old, cur, "registrar_iana_id"))
		registrar = 0;
	oid = json_integer_value(json_object_get(old, "registrar_iana_id"));
	cid = json_integer_value(json_object_get(cur, "registrar_iana_id"));
	registrar_text(old, a, sizeof(a));
	registrar_text(cur, b, sizeof(b));
	if (registrar && ((oid > 0 && cid > 0) ? oid != cid : strcmp(a, b) != 0))
		audit_report_add(r, domain, AUDIT_CHECK_CHANGED, AUDIT_WARNING, source,
		                 "registrar changed since the last audit: %s -> %s", a, b);
	if (fact_both(old, cur, "nameservers") &&
	    !json_equal(json_object_get(old, "nameservers"), json_object_get(cur, "nameservers"))) {
		join_array(json_object_get(old, "nameservers"), a, sizeof(a));
		join_array(json_object_get(cur, "nameservers"), b, sizeof(b));
		audit_report_add(r, domain, AUDIT_CHECK_CHANGED, AUDIT_WARNING, source,
		                 "nameservers changed since the last audit: %s -> %s", a, b);
	}
	if (fact_both(old, cur, "dnssec") &&
	    !json_equal(json_object_get(old, "dnssec"), json_object_get(cur, "dnssec")))
		audit_report_add(r, domain, AUDIT_CHECK_CHANGED, AUDIT_WARNING, source,
		                 "DNSSEC changed since the last audit: %s -> %s",
		                 dnssec_text(json_object_get(old, "dnssec")),
		                 dnssec_text(json_object_get(cur, "dnssec")));
	if (fact_both(old, cur, "locks") &&
	    !json_equal(json_object_get(old, "locks"), json_object_get(cur, "locks"))) {
		join_array(json_object_get(old, "locks"), a, sizeof(a));
		join_array(json_object_get(cur, "locks"), b, sizeof(b));
		audit_report_add(r, domain, AUDIT_CHECK_CHANGED, AUDIT_WARNING, source,
		                 "lock flags changed since the last audit: %s -> %s", a, b);
	}
}

/* ---------------------------------------------------------------- redundancy */

static int append(char *dst, size_t dstlen, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *dst, size_t dstlen, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= dstlen)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(dst + *used, dstlen - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= dstlen - *used) {
		*used = dstlen - 1;
		return -1;
	}
	*used += (size_t)w;
	return 0;
}

static void redundancy_pair(struct audit_report *r, const char *subject,
                            const struct audit_endpoint *x, const struct audit_endpoint *y)
{
	char ev[AUDIT_EVIDENCE_MAX];
	enum audit_severity sev = AUDIT_OK;
	size_t used = 0, i;
	const struct rdap_domain *dx, *dy;
	const char *shared_ns = NULL;

	append(ev, sizeof(ev), &used, "%s (%s) and %s (%s): ", x->label, x->domain, y->label,
	       y->domain);
	if (strcasecmp(x->domain, y->domain) == 0) {
		append(ev, sizeof(ev), &used,
		       "the same domain, so the same registrar, TLD and "
		       "nameservers");
		audit_report_add(r, subject, AUDIT_CHECK_REDUNDANCY, AUDIT_WARNING, "", "%s", ev);
		return;
	}
	/* registrar */
	if (x->rdap == NULL || y->rdap == NULL || x->rdap->outcome != RDAP_OK ||
	    y->rdap->outcome != RDAP_OK ||
	    (x->rdap->domain.registrar_iana_id == 0 && x->rdap->domain.registrar[0] == '\0') ||
	    (y->rdap->domain.registrar_iana_id == 0 && y->rdap->domain.registrar[0] == '\0')) {
		append(ev, sizeof(ev), &used, "registrars not known (no RDAP data)");
		sev = AUDIT_INFO;
	} else {
		dx = &x->rdap->domain;
		dy = &y->rdap->domain;
		if ((dx->registrar_iana_id > 0 && dx->registrar_iana_id == dy->registrar_iana_id) ||
		    ((dx->registrar_iana_id == 0 || dy->registrar_iana_id == 0) &&
		     strcasecmp(dx->registrar, dy->registrar) == 0)) {
			append(ev, sizeof(ev), &used, "same registrar %s", dx->registrar);
			if (dx->registrar_iana_id > 0)
				append(ev, sizeof(ev), &used, " (IANA %ld)", dx->registrar_iana_id);
			sev = AUDIT_WARNING;
		} else {
			append(ev, sizeof(ev), &used, "different registrars (%s, %s)",
			       dx->registrar, dy->registrar);
		}
	}
	/* TLD */
	if (strcasecmp(audit_tld(x->domain), audit_tld(y->domain)) == 0) {
		append(ev, sizeof(ev), &used, "; same TLD .%s", audit_tld(x->domain));
		sev = AUDIT_WARNING;
	} else {
		append(ev, sizeof(ev), &used, "; different TLDs (.%s, .%s)", audit_tld(x->domain),
		       audit_tld(y->domain));
	}
	/* nameserver provider */
	for (i = 0; i < x->ns_count && shared_ns == NULL; i++) {
		if (in_set(x->ns_domains[i], y->ns_domains, y->ns_count))
			shared_ns = x->ns_domains[i];
	}
	if (x->ns_count == 0 || y->ns_count == 0) {
		append(ev, sizeof(ev), &used, "; nameserver providers not known");
		if (sev < AUDIT_INFO)
			sev = AUDIT_INFO;
	} else if (shared_ns != NULL) {
		append(ev, sizeof(ev), &used, "; shared nameserver provider %s", shared_ns);
		if (sev < AUDIT_INFO)
			sev = AUDIT_INFO;
	} else {
		append(ev, sizeof(ev), &used, "; different nameserver providers");
	}
	audit_report_add(r, subject, AUDIT_CHECK_REDUNDANCY, sev, "", "%s", ev);
}

void audit_redundancy_findings(struct audit_report *r, const char *subject,
                               const struct audit_endpoint *e, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			redundancy_pair(r, subject, &e[i], &e[j]);
	}
}

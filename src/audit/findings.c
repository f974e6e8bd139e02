/*
 * findings: an audit's facts turned into its report, once every lookup is
 * done.  The severities are the rules' (rules.h); this file only decides
 * which facts each rule sees: the NS set judged is the parent's (what
 * resolvers follow), else the child's, else the registry's; a domain that
 * the parent's servers answered as undelegated has no NS set to judge; a
 * name server inside the domain shares its fate and is not looked at again.
 *
 * Guarantees: every audited domain gets its RDAP, delegation and resolution
 * findings, an UNKNOWN one for each check that could not be made; domains
 * come in name order (the report is sorted for printing afterwards).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

/* Whether a name server's own domain is on hold (outside the domain itself). */
static void ns_domain_findings(struct audit_run *run, struct audit_report *r,
                               const struct audit_domain *d)
{
	const char *ns[RDAP_NS_MAX], *src;
	char rd[DNS_NAME_MAX], bad[AUDIT_EVIDENCE_MAX] = "", unknown[AUDIT_EVIDENCE_MAX] = "",
	                       okl[AUDIT_EVIDENCE_MAX] = "", list[256];
	size_t n = audit_domain_ns(d, ns, &src), i, j, k, ub = 0, uu = 0, uo = 0;
	size_t seen[RDAP_NS_MAX], nseen = 0;
	int w, any_unknown = 0, any_bad = 0;

	for (i = 0; i < n; i++) {
		int dup = 0;
		if (audit_registrable_domain(run->psl, ns[i], rd, sizeof(rd)) != 0 ||
		    strcmp(rd, d->name) == 0)
			continue; /* in-domain servers share the domain's own fate */
		k = audit_domain_find(run, rd);
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

/* The parent's NS set against the child's. */
static void consistency_findings(struct audit_report *r, const struct audit_domain *d)
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

static void domain_findings(struct audit_run *run, struct audit_report *r,
                            const struct audit_domain *d, time_t now)
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
	n = audit_domain_ns(d, ns, &src);
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
		struct audit_host *h = run->hosts[i];
		if (run->domains[h->domain] == d)
			audit_resolve_findings(r, d->name, h->name, h->res, run->resolver_count,
			                       h->nodata_ok);
	}
}

static void redundancy_findings(struct audit_run *run, struct audit_report *r)
{
	struct audit_endpoint e[AUDIT_ENDPOINTS_MAX];
	char nsd[AUDIT_ENDPOINTS_MAX][RDAP_NS_MAX][DNS_NAME_MAX];
	const char *nsp[AUDIT_ENDPOINTS_MAX][RDAP_NS_MAX];
	const char *ns[RDAP_NS_MAX], *src;
	size_t s, i, j, n;

	for (s = 0; s < run->set_count; s++) {
		struct audit_set *set = &run->sets[s];
		if (set->count < 2)
			continue;
		for (i = 0; i < set->count; i++) {
			const struct audit_domain *d = run->domains[set->domain[i]];
			e[i].label = set->label[i];
			e[i].domain = d->name;
			e[i].rdap = d->rdap;
			n = audit_domain_ns(d, ns, &src);
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

static int name_cmp(const void *a, const void *b)
{
	const struct audit_domain *x = *(struct audit_domain *const *)a,
	                          *y = *(struct audit_domain *const *)b;
	return strcmp(x->name, y->name);
}

int audit_findings_collect(struct audit_run *run, struct audit_report *r, time_t now)
{
	struct audit_domain **sorted = NULL;
	size_t i;

	if (run->domain_count > 0) {
		sorted = calloc(run->domain_count, sizeof(*sorted));
		if (sorted == NULL)
			return -1;
		memcpy(sorted, run->domains, run->domain_count * sizeof(*sorted));
		qsort(sorted, run->domain_count, sizeof(*sorted), name_cmp);
	}
	for (i = 0; i < run->domain_count; i++) {
		if (sorted[i]->audited)
			domain_findings(run, r, sorted[i], now);
	}
	free(sorted);
	redundancy_findings(run, r);
	return 0;
}

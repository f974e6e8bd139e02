/*
 * delegation: the DNS facts of an audit, gathered as a state machine that
 * runs on the DNS client's callbacks, so that no domain waits for another.
 *
 * For each host, A and AAAA on every resolver separately.  For each domain:
 *   1. the parent zone: the name one label up is asked for NS through the
 *      resolvers; an answer that is no zone apex moves one label further up
 *      (ZONE_NOT_A_ZONE); the first few servers' addresses are found (A,
 *      else AAAA).  A zone is looked for once, however many domains are under
 *      it: domains wait on it and are moved on when it settles;
 *   2. the parent's servers asked directly (RD=0) for the domain's NS, which
 *      a referral answers with the delegation (RFC 1034 section 4.3.2) and
 *      glue;
 *   3. the child's servers (glue, else addresses through the resolvers)
 *      asked for their own NS set, authoritatively;
 *   4. when the domain's DNS facts are in, RDAP for the domains of its name
 *      servers (a name server whose own domain is on hold takes the domain
 *      down with it).
 *
 * Guarantees: every query's callback runs exactly once (dns.h), so every
 * step completes or ends the domain's DNS with what was learnt; a zone or a
 * server that cannot be found is recorded with why, for an UNKNOWN finding.
 */

#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

/* Context of one DNS query; freed by its callback. */
enum audit_query_kind {
	Q_HOST_A,
	Q_HOST_AAAA,
	Q_ZONE_NS,
	Q_ZONE_ADDR,
	Q_PARENT,
	Q_CHILD_ADDR,
	Q_CHILD
};

struct audit_query {
	struct audit_run *run;
	enum audit_query_kind kind;
	size_t index; /* host, zone or domain */
	size_t slot;  /* resolver, server; bit 16: the AAAA after an A */
};

static void dns_done(const struct dns_reply *reply, void *arg);

static void ask(struct audit_run *run, enum audit_query_kind kind, size_t index, size_t slot,
                const char *server, const char *name, int qtype, int recursion)
{
	struct audit_query *q = calloc(1, sizeof(*q));

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

static void domain_start_parent(struct audit_run *run, size_t di);
static void domain_start_child(struct audit_run *run, size_t di);
static void domain_child_ready(struct audit_run *run, size_t di);
static void domain_dns_finished(struct audit_run *run, size_t di);

/* The zone entry for a candidate name (asked when new). */
static size_t zone_get(struct audit_run *run, const char *name)
{
	struct audit_zone *z = NULL;
	size_t i;

	for (i = 0; i < run->zone_count; i++) {
		if (strcmp(run->zones[i]->name, name) == 0)
			return i;
	}
	i = (size_t)-1;
	if (run->zone_count == run->zone_cap) {
		size_t cap = run->zone_cap ? run->zone_cap * 2 : 8;
		struct audit_zone **n = realloc(run->zones, cap * sizeof(*n));
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
static void zone_settled(struct audit_run *run, size_t zi)
{
	struct audit_zone *z = run->zones[zi];
	size_t *waiting = z->waiting, count = z->waiting_count, i;

	z->waiting = NULL;
	z->waiting_count = z->waiting_cap = 0;
	for (i = 0; i < count; i++)
		domain_start_parent(run, waiting[i]);
	free(waiting);
}

static void zone_wait(struct audit_run *run, size_t zi, size_t di)
{
	struct audit_zone *z = run->zones[zi];

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

static void on_zone_ns(struct audit_run *run, size_t zi, const struct dns_reply *r)
{
	struct audit_zone *z = run->zones[zi];
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
		audit_text_set(z->why, sizeof(z->why), "no enclosing zone found above %s", z->name);
	} else {
		audit_text_set(z->why, sizeof(z->why), "NS %s on the resolvers: %s", z->name,
		               dns_outcome_name(r->outcome));
	}
	z->state = ZONE_FAILED;
	zone_settled(run, zi);
}

static void on_zone_addr(struct audit_run *run, size_t zi, size_t slot, const struct dns_reply *r,
                         int was_aaaa)
{
	struct audit_zone *z = run->zones[zi];

	if (r->addr_count > 0 && z->server_count < AUDIT_PARENT_SERVERS_MAX) {
		size_t k = z->server_count;
		if (dns_server_format(r->addrs[0], DNS_PORT_DEFAULT, z->servers[k],
		                      DNS_SERVER_MAX) == 0) {
			audit_text_set(z->labels[k], sizeof(z->labels[k]), "%s(%s)", z->ns[slot],
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
		audit_text_set(z->why, sizeof(z->why), "no address for any name server of %s",
		               z->name);
		z->state = ZONE_FAILED;
	} else {
		z->state = ZONE_READY;
	}
	zone_settled(run, zi);
}

/* Step 1 for a domain: find its parent zone, then ask its servers. */
static void domain_start_parent(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];
	struct audit_zone *z;
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

static void domain_begin(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];
	const char *dot = strchr(d->name, '.');

	d->zone = (size_t)-1;
	if (dot == NULL || dot[1] == '\0') {
		domain_dns_finished(run, di);
		return;
	}
	d->zone = zone_get(run, dot + 1);
	domain_start_parent(run, di);
}

static void on_parent(struct audit_run *run, size_t di, size_t slot, const struct dns_reply *r)
{
	struct audit_domain *d = run->domains[di];
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
static void domain_start_child(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];
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

static void on_child_addr(struct audit_run *run, size_t di, size_t slot, const struct dns_reply *r,
                          int was_aaaa)
{
	struct audit_domain *d = run->domains[di];

	if (r->addr_count > 0) {
		if (dns_server_format(r->addrs[0], DNS_PORT_DEFAULT, d->child_servers[slot],
		                      DNS_SERVER_MAX) == 0)
			audit_text_set(d->child_labels[slot], sizeof(d->child_labels[slot]),
			               "%s(%s)", d->parent_ns[slot], r->addrs[0]);
	} else if (!was_aaaa) {
		ask(run, Q_CHILD_ADDR, di, slot | ((size_t)1 << 16), NULL, d->parent_ns[slot],
		    DNS_TYPE_AAAA, 1);
		return;
	} else {
		audit_text_set(d->child_labels[slot], sizeof(d->child_labels[slot]),
		               "%s(no address: %s)", d->parent_ns[slot],
		               dns_outcome_name(r->outcome));
	}
	if (--d->child_addr_pending == 0)
		domain_child_ready(run, di);
}

static void domain_child_ready(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];
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

static void on_child(struct audit_run *run, size_t di, size_t slot, const struct dns_reply *r)
{
	struct audit_domain *d = run->domains[di];
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

static void on_host(struct audit_run *run, size_t hi, size_t slot, int aaaa,
                    const struct dns_reply *r)
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
	struct audit_query *q = arg;
	struct audit_run *run = q->run;
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

/* ---------------------------------------------------------------- NS sets */

size_t audit_domain_ns(const struct audit_domain *d, const char **ns, const char **source)
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
static void domain_dns_finished(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];
	const char *ns[RDAP_NS_MAX], *src;
	char rd[DNS_NAME_MAX];
	size_t j, n, k;

	if (d->dns_finished)
		return;
	d->dns_finished = 1;
	n = audit_domain_ns(d, ns, &src);
	for (j = 0; j < n; j++) {
		if (audit_registrable_domain(run->psl, ns[j], rd, sizeof(rd)) != 0)
			continue;
		k = audit_domain_get(run, rd, 0, 0, NULL);
		if (k != (size_t)-1)
			audit_rdap_start(run, k);
	}
}

void audit_dns_begin(struct audit_run *run)
{
	size_t i, h;

	for (i = 0; i < run->domain_count; i++)
		domain_begin(run, i);
	for (h = 0; h < run->host_count; h++) {
		for (i = 0; i < run->resolver_count; i++) {
			run->hosts[h]->res[i].resolver = run->resolvers[i];
			run->hosts[h]->res[i].a = run->hosts[h]->res[i].aaaa = DNS_ERROR;
			ask(run, Q_HOST_A, h, i, run->resolvers[i], run->hosts[h]->name, DNS_TYPE_A,
			    1);
			ask(run, Q_HOST_AAAA, h, i, run->resolvers[i], run->hosts[h]->name,
			    DNS_TYPE_AAAA, 1);
		}
	}
}

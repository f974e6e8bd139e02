/*
 * audit: the domain audit as a library: what `holdfast audit` prints and
 * what the daemon runs every audit_interval.
 *
 * audit_run() audits the domains a TLS deployment depends on: the host names
 * it is given, or else the configuration's dependency map (each
 * certificate's names, each [ca] directory host, and the OCSP, CA-issuers and
 * CRL hosts of the certificates in the store), each reduced to its
 * registrable domain.  For every domain it gathers, concurrently in one event
 * loop, RDAP (status, holds, expiry, locks, registrar), the A/AAAA of every
 * host on every resolver separately, the delegation as the parent zone's
 * servers publish it, the child's own NS set and RDAP for the domains of the
 * name servers; then it applies the rules (rules.h), compares with the state
 * of the last audit and stores the new state.
 *
 * Guarantees: every check that could not be made is an UNKNOWN finding,
 * never left out.  The library prints nothing, parses no arguments and knows
 * no exit codes: it logs events (util/log.h, at the process's threshold,
 * which is the caller's to set) and returns an enum result with a report.
 * Everything a run uses lives in the call (its own DNS channels, HTTP client
 * and Public Suffix List), so runs share nothing but the files in the store.
 *
 * For every name of every configured certificate it also finds the relevant
 * CAA set on every resolver and decides whether each CA of the certificate
 * may issue (RFC 8659, RFC 8657: caa.h, caa_check.c).
 *
 * Files: map.c (the dependency map), delegation.c (the DNS facts and the
 * delegation state machine), caa.c (the CAA decision, pure) and caa_check.c
 * (the CAA climb and findings), engine.c (a run and its event loop), findings.c
 * (facts to findings), state.c (the last audit and the new state), storage.c
 * (every access to the store), report.c (the report).
 */
#ifndef HOLDFAST_AUDIT_AUDIT_H
#define HOLDFAST_AUDIT_AUDIT_H

#include <stddef.h>
#include <time.h>

#include "audit/report.h"
#include "conf/conf.h"
#include "util/result.h"

#define AUDIT_BOOTSTRAP_DEFAULT "https://data.iana.org/rdap/dns.json"
#define AUDIT_STORE_DEFAULT     "/var/lib/holdfast"
#define AUDIT_RESOLVERS_MAX     16

struct audit_options {
	/* Its dependency map is audited when no domains are given; it supplies
	 * the resolvers, the RDAP bootstrap and the store that are not given.
	 * May be NULL when domains are given. */
	const struct conf *conf;
	/* Host names to audit instead of the map, as typed (IDNs allowed;
	 * "*.example.com" audits only its domain). */
	const char *const *domains;
	size_t domain_count;
	/* Resolvers to check separately, "IP[:PORT]" (at most
	 * AUDIT_RESOLVERS_MAX); none: the configuration's, else the system's. */
	const char *const *resolvers;
	size_t resolver_count;
	/* IANA's dns.json as a URL or a file; NULL: the configuration's
	 * rdap_bootstrap, else AUDIT_BOOTSTRAP_DEFAULT. */
	const char *bootstrap;
	/* Where the state of the last audit and the bootstrap cache are kept;
	 * NULL: the configuration's store, else AUDIT_STORE_DEFAULT.  The
	 * stored certificates are read from the configuration's store. */
	const char *store;
	time_t now; /* 0: time(NULL) */
};

/* Options with nothing given: everything from the configuration or the
 * defaults. */
void audit_options_default(struct audit_options *opt);

/* Make the audit opt describes into out (emptied first; audit_report_free()
 * it whatever the result).  Returns the result of the worst finding (OK and
 * INFO: RESULT_OK), the findings sorted for printing (audit_report_sort);
 * or RESULT_UNKNOWN with out->aborted set, no findings and the reason in
 * out->error when the audit could not be made (a resolver that is not
 * IP[:PORT], no resolver, a name that is not a host name, nothing to audit,
 * no DNS or HTTP client, out of memory). */
enum result audit_run(const struct audit_options *opt, struct audit_report *out);

enum audit_caa_answer { AUDIT_CAA_MAY_ISSUE, AUDIT_CAA_REFUSED, AUDIT_CAA_UNKNOWN };

/* Whether CAA lets [ca ca_name] issue cert (a certificate of conf) now, as
 * the audit's caa check decides it, on the configuration's resolvers (else
 * the system's): REFUSED when any name on any resolver forbids it, with the
 * record and where in why; UNKNOWN when a lookup failed or the CA's
 * identities cannot be had (why says which); else MAY_ISSUE.  Blocks for
 * the DNS lookups (and the CA's directory when it has no caa_identities and
 * records exist): for a caller about to fail over, not for an event loop. */
enum audit_caa_answer audit_caa_may_issue(const struct conf *conf, const struct conf_cert *cert,
                                          const char *ca_name, char *why, size_t whylen);

#endif

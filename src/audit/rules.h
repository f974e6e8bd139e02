/*
 * rules: the severities of the domain audit, as pure functions.
 *
 * The engine (engine.c and the files it drives) gathers facts — RDAP
 * answers, what each resolver says, what the parent zone's servers and the
 * child's servers say — and hands them here; these functions turn facts into
 * findings with a severity, exactly as issue 4's tables say, and nothing here
 * does I/O, so every rule is unit-tested (tests/unit/test_audit.c).
 *
 * Severities are ordered by how urgently a human must act (report.h).  A
 * CRITICAL finding is never hidden behind an UNKNOWN one (the result of a run
 * with both is CRITICAL), and an UNKNOWN (a check that could not be made)
 * outranks a WARNING, so a failed lookup is never mistaken for "no problem".
 *
 * Registrable domains come from the Public Suffix List (libpsl).  A name
 * under a TLD the list does not know (the lab's .test, a new gTLD newer than
 * the installed list) falls under the list's implicit "*" rule, so its
 * registrable domain is its last two labels.
 */
#ifndef HOLDFAST_AUDIT_RULES_H
#define HOLDFAST_AUDIT_RULES_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <libpsl.h>

#include "audit/dns.h"
#include "audit/rdap.h"
#include "audit/report.h"

#define AUDIT_EXPIRY_CRITICAL_DAYS 7
#define AUDIT_EXPIRY_WARNING_DAYS  30

/* ---------------------------------------------------------------- names */

/* The registrable domain of host (lower-case A-label) into out; host itself
 * when it is a public suffix or has a single label.  0 or -1 (too long). */
int audit_registrable_domain(const psl_ctx_t *psl, const char *host, char *out, size_t outlen);

/* host converted to a lower-case A-label without trailing dot (IDNA 2008,
 * libidn2), validated as a host name.  0 or -1. */
int audit_host_normalise(const char *host, char *out, size_t outlen);

/* The TLD (last label) of name. */
const char *audit_tld(const char *name);

/* ---------------------------------------------------------------- RDAP */

/* Severity of a status set by the table: holds, inactive, redemption,
 * pending delete/restore CRITICAL; pending transfer/update WARNING; OK. */
enum audit_severity audit_status_severity(unsigned long status);

/* Statuses that make a domain fail to resolve or about to go away. */
#define AUDIT_STATUS_CRITICAL                                               \
	(RDAP_BIT(RDAP_ST_CLIENT_HOLD) | RDAP_BIT(RDAP_ST_SERVER_HOLD) |    \
	 RDAP_BIT(RDAP_ST_INACTIVE) | RDAP_BIT(RDAP_ST_REDEMPTION_PERIOD) | \
	 RDAP_BIT(RDAP_ST_PENDING_DELETE) | RDAP_BIT(RDAP_ST_PENDING_RESTORE))
#define AUDIT_STATUS_PENDING (RDAP_BIT(RDAP_ST_PENDING_TRANSFER) | RDAP_BIT(RDAP_ST_PENDING_UPDATE))
#define AUDIT_STATUS_REGISTRAR_LOCK                     \
	(RDAP_BIT(RDAP_ST_CLIENT_TRANSFER_PROHIBITED) | \
	 RDAP_BIT(RDAP_ST_CLIENT_UPDATE_PROHIBITED) | RDAP_BIT(RDAP_ST_CLIENT_DELETE_PROHIBITED))
#define AUDIT_STATUS_REGISTRY_LOCK                      \
	(RDAP_BIT(RDAP_ST_SERVER_TRANSFER_PROHIBITED) | \
	 RDAP_BIT(RDAP_ST_SERVER_UPDATE_PROHIBITED) | RDAP_BIT(RDAP_ST_SERVER_DELETE_PROHIBITED))
/* RFC 9083 section 10.2.2's values without client/server: they say an
 * action is refused, not who refused it.  They count for the registrar lock
 * (the domain cannot be moved or changed through the registrar alone) and
 * are named, but not counted, for the registry lock (only "server *"
 * values show the registry set one). */
#define AUDIT_STATUS_GENERIC_LOCK                                                      \
	(RDAP_BIT(RDAP_ST_TRANSFER_PROHIBITED) | RDAP_BIT(RDAP_ST_UPDATE_PROHIBITED) | \
	 RDAP_BIT(RDAP_ST_DELETE_PROHIBITED) | RDAP_BIT(RDAP_ST_LOCKED))
/* Every flag whose change since the last audit is reported. */
#define AUDIT_STATUS_LOCKS                                                                       \
	(AUDIT_STATUS_REGISTRAR_LOCK | AUDIT_STATUS_REGISTRY_LOCK |                              \
	 RDAP_BIT(RDAP_ST_CLIENT_RENEW_PROHIBITED) | RDAP_BIT(RDAP_ST_SERVER_RENEW_PROHIBITED) | \
	 RDAP_BIT(RDAP_ST_TRANSFER_PROHIBITED) | RDAP_BIT(RDAP_ST_UPDATE_PROHIBITED) |           \
	 RDAP_BIT(RDAP_ST_DELETE_PROHIBITED) | RDAP_BIT(RDAP_ST_LOCKED))

/* Findings from one domain's RDAP lookup: either one "rdap" finding saying
 * why there is no data (UNKNOWN; INFO when the TLD has no RDAP service), or
 * status, expiry, registrar lock, registry lock and pending findings from
 * the parts of the answer that could be read, and beside them one finding
 * per part that could not (UNKNOWN, naming the part and the reason, under
 * the status, expiry or rdap check; INFO for a part the registrar's answer
 * supplied, and for unreadable links when no referral was needed).  A
 * status value the audit does not know is a WARNING naming it (CRITICAL
 * statuses beside it stay CRITICAL).  The registrar lock counts RDAP's
 * generic lock values; the registry lock only "server *" ones.
 * important: the domain holds a CA endpoint or a critical site (a missing
 * registry lock is then a WARNING, else INFO). */
void audit_rdap_findings(struct audit_report *r, const char *domain, const struct rdap_result *res,
                         int important, time_t now);

/* ---------------------------------------------------------------- DNS */

/* What one resolver said about a host name. */
struct audit_resolution {
	const char *resolver; /* "IP:PORT" */
	enum dns_outcome a, aaaa;
	size_t addresses; /* A + AAAA records */
};

/* Whether a resolver's answers count as a failure to resolve; *why gets the
 * outcome to name (nxdomain, servfail, timeout, ...).  A name that exists
 * without addresses (NODATA on both) fails unless nodata_ok. */
int audit_resolution_failed(const struct audit_resolution *res, int nodata_ok,
                            enum dns_outcome *why);

/* Severity for failed of total resolvers: none OK; one (of several)
 * WARNING; two or more, or every configured one, CRITICAL. */
enum audit_severity audit_resolve_severity(size_t failed, size_t total);

/* One "resolve" finding for host (under domain). */
void audit_resolve_findings(struct audit_report *r, const char *domain, const char *host,
                            const struct audit_resolution *res, size_t n, int nodata_ok);

/* What one of the parent zone's servers said when asked for domain's NS. */
struct audit_parent_answer {
	const char *server; /* name and address, for evidence */
	enum dns_outcome outcome;
	int delegated; /* NS for the domain in answer or referral */
};

/* The delegation finding: CRITICAL when any answering parent server no
 * longer delegates the domain, UNKNOWN when none answered (or the parent
 * zone's servers were not found: n == 0, why says why), else OK. */
void audit_delegation_findings(struct audit_report *r, const char *domain, const char *zone,
                               const struct audit_parent_answer *a, size_t n, const char *why);

/* RFC 2182 diversity of an NS set: bits of what is wrong. */
#define AUDIT_NS_FEW        1u /* fewer than 2 */
#define AUDIT_NS_ONE_DOMAIN 2u /* all under one registrable domain */
#define AUDIT_NS_ONE_TLD    4u /* all under one TLD */
unsigned int audit_ns_diversity(const psl_ctx_t *psl, const char *const *ns, size_t n);

/* ns-count and ns-diversity findings for the NS set (source says whose). */
void audit_ns_findings(struct audit_report *r, const psl_ctx_t *psl, const char *domain,
                       const char *const *ns, size_t n, const char *source);

/* Compare two NS sets (case-insensitive, trailing dots ignored).  Writes the
 * names only in a / only in b, space-separated, and returns 1 when they
 * differ, 0 when equal. */
int audit_ns_sets_differ(const char *const *a, size_t na, const char *const *b, size_t nb,
                         char *only_a, size_t only_a_len, char *only_b, size_t only_b_len);

/* ---------------------------------------------------------------- state */

/* The facts compared between audits, as a new JSON object: registrar,
 * registrar_iana_id, nameservers (sorted), dnssec, locks (sorted names).
 * A fact whose part of the answer could not be read (entities,
 * nameservers, secureDNS, status) is left out: not knowing it is not a
 * change. */
json_t *audit_state_entry_new(const struct rdap_domain *d);

/* One "changed" WARNING per fact that differs between old and cur (both
 * from audit_state_entry_new; nothing when old is NULL).  A fact cur lacks
 * is not compared, and old's value is copied into cur, so the state keeps
 * the last fact that was read. */
void audit_state_compare(struct audit_report *r, const char *domain, const json_t *old, json_t *cur,
                         const char *source);

/* ---------------------------------------------------------------- redundancy */

/* One endpoint of a set that should not share a single point of failure. */
struct audit_endpoint {
	const char *label;              /* "ca le", "ocsp http://..." */
	const char *domain;             /* registrable domain */
	const struct rdap_result *rdap; /* may be NULL */
	const char *const *ns_domains;  /* registrable domains of its NS hosts */
	size_t ns_count;
};

/* For every pair of endpoints: same registrar (IANA ID, else name) or same
 * TLD WARNING, the same domain WARNING, shared nameserver provider INFO,
 * registrar unknown INFO, all different OK. */
void audit_redundancy_findings(struct audit_report *r, const char *subject,
                               const struct audit_endpoint *e, size_t n);

#endif

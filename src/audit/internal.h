/*
 * audit/internal.h: what the audit engine's files share; nothing outside
 * src/audit/ includes it (the API is audit.h).
 *
 * One struct audit_run is one audit being made: the tables of host names,
 * registrable domains and candidate parent zones, the redundancy sets, and
 * the clients.  Tables refer to each other by index, never by pointer, and
 * hold pointers to their entries, so an entry stays put while DNS callbacks
 * grow a table.  Only the thread that called audit_run() touches a run.
 */
#ifndef HOLDFAST_AUDIT_INTERNAL_H
#define HOLDFAST_AUDIT_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <libpsl.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "audit/dns.h"
#include "audit/rdap.h"
#include "audit/rules.h"
#include "conf/conf.h"

#define AUDIT_PARENT_SERVERS_MAX 4 /* parent zone server addresses asked */
#define AUDIT_CHILD_SERVERS_MAX  4 /* child server addresses asked */
#define AUDIT_ZONE_NS_MAX        8
#define AUDIT_LABEL_MAX          (DNS_NAME_MAX + DNS_SERVER_MAX + 4)
#define AUDIT_ENDPOINTS_MAX      16

/* A host name the deployment depends on. */
struct audit_host {
	char name[DNS_NAME_MAX];
	size_t domain;
	int nodata_ok; /* a bare domain given to audit may have no address */
	struct audit_resolution res[AUDIT_RESOLVERS_MAX];
};

enum audit_zone_state { ZONE_ASKING, ZONE_ADDRESSES, ZONE_READY, ZONE_NOT_A_ZONE, ZONE_FAILED };

/* A candidate parent zone, found through the resolvers. */
struct audit_zone {
	char name[DNS_NAME_MAX];
	enum audit_zone_state state;
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

/* A registrable domain: audited, or only the domain of a name server. */
struct audit_domain {
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
struct audit_set {
	char subject[160];
	size_t count;
	size_t domain[AUDIT_ENDPOINTS_MAX];
	char label[AUDIT_ENDPOINTS_MAX][160];
};

/* ---------------------------------------------------------------- CAA */

#define AUDIT_CAA_IDS_MAX     16   /* issuer domain names of one CA */
#define AUDIT_CAA_ACCOUNT_MAX 1024 /* as acme_session's kid */

enum audit_caa_state { CAA_VIEW_ASKING, CAA_VIEW_FOUND, CAA_VIEW_NONE, CAA_VIEW_FAILED };

/* What one resolver says is a name's relevant CAA RRset (RFC 8659 section 3). */
struct audit_caa_view {
	struct audit_run *run;
	size_t name, resolver;
	enum audit_caa_state state;
	char at[DNS_NAME_MAX];    /* asked now; FOUND: where the RRset is; FAILED: where */
	char cname[DNS_NAME_MAX]; /* FOUND through this CNAME target ("" when none) */
	enum dns_outcome why;     /* FAILED: what the resolver said */
	struct dns_caa *rr;       /* FOUND: rr_count records */
	size_t rr_count;
};

/* One name of one certificate, climbed on every resolver. */
struct audit_caa_name {
	size_t cert; /* index in conf->certs */
	char name[DNS_NAME_MAX];
	int wildcard;
	struct audit_caa_view *view; /* resolver_count of them */
};

/* What a CA would check, from the configuration, its directory and the store. */
struct audit_caa_ca {
	int loaded;
	char ids[AUDIT_CAA_IDS_MAX][DNS_NAME_MAX];
	size_t id_count;
	char why[256]; /* no identities: why */
	char account[AUDIT_CAA_ACCOUNT_MAX];
};

struct audit_run {
	const struct conf *conf;
	psl_ctx_t *psl;
	struct dns_client *dns;
	struct rdap_client *rdap;
	struct rdap_bootstrap *bootstrap;
	char bootstrap_err[256];
	char resolvers[AUDIT_RESOLVERS_MAX][DNS_SERVER_MAX];
	size_t resolver_count;
	struct audit_host **hosts;
	size_t host_count, host_cap;
	struct audit_domain **domains;
	size_t domain_count, domain_cap;
	struct audit_zone **zones;
	size_t zone_count, zone_cap;
	struct audit_set *sets;
	size_t set_count, set_cap;
	struct audit_caa_name **caa_names;
	size_t caa_name_count, caa_name_cap;
	struct audit_caa_ca *caa_cas; /* one per conf->cas */
	int oom;
};

/* snprintf where a cut-short text is acceptable (labels, evidence). */
void audit_text_set(char *dst, size_t dstlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- map.c */

/* Index of the domain named name, or (size_t)-1. */
size_t audit_domain_find(const struct audit_run *run, const char *name);

/* Index of the entry for registrable domain name, created when new; audited,
 * important and role (may be NULL) are added to it.  (size_t)-1 when out of
 * memory (run->oom set). */
size_t audit_domain_get(struct audit_run *run, const char *name, int audited, int important,
                        const char *role);

/* Add a host name the deployment depends on ("*.example.com" adds only its
 * domain: there is no single host to resolve); given: named by the caller
 * rather than found in the configuration.  0, or -1 when it is not a valid
 * name (logged) or memory ran out (run->oom). */
int audit_host_add(struct audit_run *run, const char *raw, int important, const char *role,
                   int given);

/* The configuration's dependency map (certificate names, CA directories,
 * the CA endpoints of stored certificates) and its redundancy sets.  Failures
 * to add are logged or set run->oom. */
void audit_map_config(struct audit_run *run);

/* ---------------------------------------------------------------- delegation.c */

/* Start the DNS facts: every domain's delegation (parent zone, its servers,
 * the child's servers) and every host on every resolver.  The answers arrive
 * through the run's DNS client; each step starts the next from its callback,
 * and a domain whose DNS facts are in gets the RDAP of its name servers'
 * domains queued. */
void audit_dns_begin(struct audit_run *run);

/* The NS set the audit judges for d into ns (borrowed from d): the parent's
 * (what resolvers follow), else the child's, else the registry's; *source
 * says whose.  Returns how many (at most RDAP_NS_MAX). */
size_t audit_domain_ns(const struct audit_domain *d, const char **ns, const char **source);

/* ---------------------------------------------------------------- engine.c */

/* Queue the RDAP lookup of domain di (once). */
void audit_rdap_start(struct audit_run *run, size_t di);

/* ---------------------------------------------------------------- caa_check.c */

/* Start the CAA climb of every name of every configured certificate on
 * every resolver (RFC 8659 section 3).  Nothing without a configuration. */
void audit_caa_begin(struct audit_run *run);

/* The "caa" findings of every certificate (after the event loop): each CA's
 * identities (caa_identities, else its directory, fetched only when some
 * name has CAA records) and account URL, and caa_decide() for each CA, name
 * and resolver.  0, or -1 when out of memory. */
int audit_caa_findings(struct audit_run *run, struct audit_report *r);

/* Free what the CAA check holds. */
void audit_caa_free(struct audit_run *run);

/* ---------------------------------------------------------------- findings.c */

/* Add every finding of run to r: per audited domain in name order (RDAP,
 * delegation, NS set, consistency, name server domains, resolution), then
 * the redundancy sets.  0, or -1 when out of memory. */
int audit_findings_collect(struct audit_run *run, struct audit_report *r, time_t now);

/* ---------------------------------------------------------------- state.c */

/* Compare the RDAP facts of each audited domain with the last audit's
 * ("changed" findings into r) and store the new state in store.  A domain
 * whose RDAP lookup failed keeps its old entry. */
void audit_state_update(struct audit_run *run, struct audit_report *r, const char *store,
                        time_t now);

/* ---------------------------------------------------------------- storage.c */

/*
 * Every access of the audit to the store, so that the store interface can
 * take their place: each function names what it reads or writes.  None of
 * them fails the audit: what cannot be read is treated as absent (logged
 * where that is not expected), what cannot be written is logged.
 */

/* Call fn(name, arg) for each certificate stored under store (directory
 * order; names starting with '.' skipped). */
void audit_store_certificates_each(const char *store, void (*fn)(const char *name, void *arg),
                                   void *arg);

/* The stored chain of certificate name (new stack: sk_X509_pop_free), or
 * NULL when there is none (logged at debug level). */
STACK_OF(X509) * audit_store_certificate_load(const char *store, const char *name);

/* The state of the last audit as a new JSON object with a "domains"
 * object, or NULL when there is none or it is unreadable (logged). */
json_t *audit_store_state_load(const char *store);

/* Replace the state of the last audit with text (len bytes).  Logged when
 * it cannot be written. */
void audit_store_state_save(const char *store, const char *text, size_t len);

/* The account URL stored for ca at directory into dst ("" when none or
 * unreadable; logged at debug level). */
void audit_store_account_url(const char *store, const char *ca, const char *directory, char *dst,
                             size_t dstlen);

/* Where the RDAP bootstrap is cached (rdap_bootstrap_load() also writes
 * PATH.source beside it) into dst, creating the store directory if need be.
 * 0, or -1 when the path does not fit. */
int audit_store_bootstrap_cache(const char *store, char *dst, size_t dstlen);

#endif

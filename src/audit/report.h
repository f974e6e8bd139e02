/*
 * report: the findings of an audit, the container that the rules (rules.c)
 * fill and audit_run() (audit.h) returns.  Each finding names a domain (or
 * "certificate NAME" for redundancy), a check, a severity, the evidence and
 * where it came from; the report also records what each audited domain is
 * used for (its roles), and, when the audit could not be made at all, why.
 *
 * Severities are ordered by how urgently a human must act:
 * OK < INFO < WARNING < UNKNOWN < CRITICAL.  The names of severities and
 * checks, the JSON line of a finding and the order of audit_report_sort() are
 * the output contract of `holdfast audit` and of the daemon's
 * STORE/state/audit.jsonl, so they are defined once, here.  Nothing here does
 * I/O.
 */
#ifndef HOLDFAST_AUDIT_REPORT_H
#define HOLDFAST_AUDIT_REPORT_H

#include <limits.h>
#include <stddef.h>

#include "util/result.h"

#define AUDIT_EVIDENCE_MAX 1024
#define AUDIT_ROLES_MAX    512              /* a domain's roles, as text */
#define AUDIT_ERROR_MAX    (PATH_MAX + 512) /* names a file and what is wrong in it */

enum audit_severity {
	AUDIT_OK,
	AUDIT_INFO,
	AUDIT_WARNING,
	AUDIT_UNKNOWN,
	AUDIT_CRITICAL,
	AUDIT_SEVERITY_COUNT
};

/* "OK", "INFO", "WARNING", "UNKNOWN", "CRITICAL"; "invalid" otherwise. */
const char *audit_severity_name(enum audit_severity s);

/* What a severity means to a monitor: OK and INFO RESULT_OK, WARNING,
 * CRITICAL, and UNKNOWN (and anything else) RESULT_UNKNOWN. */
enum result audit_severity_result(enum audit_severity s);

/* The number of audit_severity_result(s) (0, 1, 2, 3), which is what
 * `holdfast audit` exits with; the table is pinned by the unit tests. */
int audit_severity_exit(enum audit_severity s);

enum audit_check {
	AUDIT_CHECK_RDAP,   /* the lookup itself */
	AUDIT_CHECK_STATUS, /* hold, redemption, pending delete, ... */
	AUDIT_CHECK_EXPIRY,
	AUDIT_CHECK_REGISTRAR_LOCK,   /* client * prohibited */
	AUDIT_CHECK_REGISTRY_LOCK,    /* server * prohibited */
	AUDIT_CHECK_PENDING,          /* pending transfer / update */
	AUDIT_CHECK_CHANGED,          /* since the last audit */
	AUDIT_CHECK_RESOLVE,          /* A/AAAA per resolver */
	AUDIT_CHECK_DELEGATION,       /* asked the parent's servers */
	AUDIT_CHECK_NS_COUNT,         /* fewer than 2 */
	AUDIT_CHECK_NS_DIVERSITY,     /* RFC 2182 */
	AUDIT_CHECK_NS_DOMAIN_STATUS, /* an NS host's own domain on hold */
	AUDIT_CHECK_NS_CONSISTENCY,   /* parent vs child NS set */
	AUDIT_CHECK_REDUNDANCY,       /* across a certificate's CAs / backups */
	AUDIT_CHECK_CAA,              /* RFC 8659: may each of a certificate's CAs issue */
	AUDIT_CHECK_COUNT
};

/* The check's name in the output ("registry-lock"); "invalid" otherwise. */
const char *audit_check_name(enum audit_check c);

struct audit_finding {
	char *domain; /* the registrable domain, or "certificate NAME" */
	enum audit_check check;
	enum audit_severity severity;
	char *evidence;
	char *source; /* RDAP URL, resolver or server list; "" when none */
};

/* What the deployment uses a domain for ("certificate www (critical); CA
 * endpoint (ocsp of certificate www)"). */
struct audit_roles {
	char *domain;
	char *roles;
};

struct audit_report {
	struct audit_finding *items;
	size_t count, cap;
	int failed; /* an allocation failed: the report is incomplete */
	struct audit_roles *roles;
	size_t role_count, role_cap;
	/* audit_run() could not make the audit: no findings, and error says
	 * why ("" when the reason was logged instead). */
	int aborted;
	char error[AUDIT_ERROR_MAX];
};

/* Append a finding (everything copied).  0, or -1 when out of memory (and
 * r->failed set). */
int audit_report_add(struct audit_report *r, const char *domain, enum audit_check check,
                     enum audit_severity severity, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Free what r holds (findings, roles) and empty it; r itself is the
 * caller's. */
void audit_report_free(struct audit_report *r);

/* The worst severity in r (AUDIT_OK when empty). */
enum audit_severity audit_report_worst(const struct audit_report *r);

/* The worst severity of domain's findings. */
enum audit_severity audit_report_domain_worst(const struct audit_report *r, const char *domain);

/* Order for printing: grouped by domain, the domain with the worst finding
 * first (ties by name), and inside a group the worst finding first (ties in
 * check order). */
void audit_report_sort(struct audit_report *r);

/* Record domain's roles (both copied; a second call for the same domain
 * replaces them).  0, or -1 when out of memory (and r->failed set). */
int audit_report_roles_set(struct audit_report *r, const char *domain, const char *roles);

/* The roles recorded for domain; "" when none (borrowed from r). */
const char *audit_report_roles(const struct audit_report *r, const char *domain);

/* Finding i of r as one line of JSON Lines, without the newline: an object
 * with domain, check, severity, evidence, source and roles, in that order.
 * Newly allocated (free()); NULL when out of memory or when a text is not
 * valid UTF-8 (a cut-short evidence string can be). */
char *audit_finding_json_new(const struct audit_report *r, size_t i);

#endif

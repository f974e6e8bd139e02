/*
 * rdap: registration data of the domains a TLS deployment depends on.
 *
 * Three parts, kept apart so that the first two are pure and unit-tested:
 *
 * - Bootstrap (RFC 9224): IANA's dns.json maps TLDs (or longer suffixes) to
 *   RDAP base URLs.  rdap_bootstrap_parse() reads it with bounds on every
 *   array and string; rdap_bootstrap_lookup() picks the longest matching
 *   suffix, preferring an https base URL.  rdap_bootstrap_load() gets it
 *   from a file, or from a URL with a copy cached in the store.
 *
 * - Parsing (RFC 9083, statuses RFC 8056 section 2 / RFC 9083 section
 *   10.2.2): rdap_domain_parse() turns a domain object into a fixed-size
 *   struct, each part on its own (enum rdap_part): the EPP statuses as a bit
 *   set, the soonest expiration event, the registrar (entity with role
 *   "registrar": vCard fn, else org; publicIds "IANA Registrar ID"), the
 *   nameservers, DNSSEC (secureDNS.delegationSigned, else dsData/keyData)
 *   and the registrar's own RDAP URL (links rel "related").  A part that
 *   cannot be read is recorded with its reason and the rest is kept; only an
 *   answer that is no domain object at all is refused.  The input is capped
 *   in size, nesting, array lengths and string lengths.
 *
 * - Querying (RFC 9082 "/domain/NAME"): an rdap_client runs many lookups at
 *   once on the shared HTTP client, at most RDAP_PER_SERVER_DEFAULT at a time
 *   per server, and honours 429 Retry-After by holding back every query to
 *   that server.  A registry answer that lacks data (status, expiry,
 *   registrar or nameservers, or a status list read only in part) is
 *   completed from the registrar's RDAP server when the answer links to it.
 *   Requests ask for application/rdap+json (RFC 7480 section 4.2) and take
 *   application/json answers too.  Every way a lookup can fail is an
 *   rdap_outcome with a stable name.
 *
 * Domain names are handled as lower-case A-labels (IDNs converted by the
 * caller); RDAP servers answer for the A-label form.
 *
 * Files: rdap_parse.c (statuses, the domain object, outcomes: pure),
 * rdap_bootstrap.c (dns.json and the lookup: pure), rdap_bootstrap_load.c
 * (the file, the URL and its cached copy), rdap_client.c (the lookups).
 */
#ifndef HOLDFAST_RDAP_H
#define HOLDFAST_RDAP_H

#include <stddef.h>
#include <time.h>

#include "util/http.h"

#define RDAP_BODY_MAX            (512 * 1024)  /* one RDAP answer */
#define RDAP_BOOTSTRAP_MAX       (2048 * 1024) /* IANA's dns.json (~40 KiB today) */
#define RDAP_BOOTSTRAP_MAX_AGE   (24 * 3600)   /* refetch the cached copy after a day */
#define RDAP_BOOTSTRAP_ENTRY_MAX 16384
#define RDAP_URL_MAX             1024
#define RDAP_NAME_MAX            254 /* 253 characters of a domain name + NUL */
#define RDAP_REGISTRAR_MAX       160
#define RDAP_NS_MAX              16
#define RDAP_DETAIL_MAX          256
#define RDAP_PROBLEM_MAX         200  /* the reason one part could not be read */
#define RDAP_STATUS_VALUES_MAX   1024 /* status values read (the body cap bounds them too) */
#define RDAP_DEPTH_MAX           8    /* entities within entities, links, ... */
#define RDAP_ARRAY_MAX           256  /* any array we walk */
#define RDAP_PER_SERVER_DEFAULT  4
#define RDAP_RETRIES_429         3  /* further attempts after a 429 */
#define RDAP_RETRY_AFTER_MAX     30 /* seconds; a longer wait is reported, not waited */
#define RDAP_RETRY_AFTER_DEFAULT 2  /* seconds, when a 429 names no Retry-After */
/* RFC 7480 section 4.2: the RDAP type first, plain JSON (which many servers
 * label their answers) accepted. */
#define RDAP_ACCEPT "application/rdap+json, application/json;q=0.9"

/* EPP statuses (RFC 8056 section 2 mapping to RDAP values) as bits. */
enum rdap_status {
	RDAP_ST_ACTIVE,
	RDAP_ST_INACTIVE,
	RDAP_ST_CLIENT_HOLD,
	RDAP_ST_SERVER_HOLD,
	RDAP_ST_REDEMPTION_PERIOD,
	RDAP_ST_PENDING_DELETE,
	RDAP_ST_PENDING_RESTORE,
	RDAP_ST_PENDING_TRANSFER,
	RDAP_ST_PENDING_UPDATE,
	RDAP_ST_PENDING_CREATE,
	RDAP_ST_PENDING_RENEW,
	RDAP_ST_CLIENT_TRANSFER_PROHIBITED,
	RDAP_ST_CLIENT_UPDATE_PROHIBITED,
	RDAP_ST_CLIENT_DELETE_PROHIBITED,
	RDAP_ST_CLIENT_RENEW_PROHIBITED,
	RDAP_ST_SERVER_TRANSFER_PROHIBITED,
	RDAP_ST_SERVER_UPDATE_PROHIBITED,
	RDAP_ST_SERVER_DELETE_PROHIBITED,
	RDAP_ST_SERVER_RENEW_PROHIBITED,
	RDAP_ST_TRANSFER_PROHIBITED, /* RDAP's own, without client/server */
	RDAP_ST_UPDATE_PROHIBITED,
	RDAP_ST_DELETE_PROHIBITED,
	RDAP_ST_RENEW_PROHIBITED,
	RDAP_ST_LOCKED,
	RDAP_ST_ADD_PERIOD,
	RDAP_ST_AUTO_RENEW_PERIOD,
	RDAP_ST_RENEW_PERIOD,
	RDAP_ST_TRANSFER_PERIOD,
	RDAP_ST_COUNT
};

#define RDAP_BIT(s) (1UL << (s))

/* The RDAP string of a status ("client hold"), or "invalid". */
const char *rdap_status_name(enum rdap_status s);

/* The status for an RDAP value, accepting the RDAP form ("client hold") and
 * the EPP form ("clientHold") in any case; -1 when not a known status. */
int rdap_status_from_string(const char *s);

/* Write the names of the statuses in set, comma-separated, into dst;
 * returns dst ("" when empty; cut short when dst is too small). */
const char *rdap_status_list(unsigned long set, char *dst, size_t dstlen);

/* The parts of a domain object, each read on its own by rdap_domain_parse():
 * a part that cannot be read (or only in part) is recorded with its reason,
 * and the other parts still count, so a hold in "status" is reported even
 * when "events" holds a date that does not exist. */
enum rdap_part {
	RDAP_PART_OBJECT,      /* objectClassName and ldhName: which domain */
	RDAP_PART_STATUS,      /* "status" */
	RDAP_PART_EVENTS,      /* "events": the expiration */
	RDAP_PART_ENTITIES,    /* "entities": the registrar (vCard, publicIds) */
	RDAP_PART_NAMESERVERS, /* "nameservers" */
	RDAP_PART_SECURE_DNS,  /* "secureDNS" */
	RDAP_PART_LINKS,       /* "links": the registrar's RDAP URL */
	RDAP_PART_COUNT
};

#define RDAP_PART_BIT(p) (1u << (p))

/* The JSON member a part is read from ("events"), or "invalid". */
const char *rdap_part_name(enum rdap_part p);

struct rdap_domain {
	char ldh_name[RDAP_NAME_MAX];         /* "" only with an RDAP_PART_OBJECT problem */
	unsigned long status;                 /* RDAP_BIT(enum rdap_status) set */
	int has_status;                       /* a status list (or a lone string) was read */
	char unknown_status[RDAP_DETAIL_MAX]; /* values not in the table, cleaned, for evidence */
	time_t expires;                       /* the soonest expiration event */
	int has_expiry;
	char registrar[RDAP_REGISTRAR_MAX];           /* vCard fn, else org; "" when absent */
	long registrar_iana_id;                       /* 0 when absent */
	char nameservers[RDAP_NS_MAX][RDAP_NAME_MAX]; /* lower case, no trailing dot */
	size_t ns_count;
	int has_nameservers;
	int dnssec;                       /* 1 signed, 0 unsigned, -1 not said */
	char registrar_url[RDAP_URL_MAX]; /* the registrar's RDAP URL (links), "" when none */
	/* Parts that could not be read, whole or in part (RDAP_PART_BIT set),
	 * and of those the ones whose data the registrar's answer supplied
	 * (rdap_domain_merge); a part is in one set at most.  problem[] holds
	 * the reason of each, cleaned text, "" for a part without one. */
	unsigned int problems;
	unsigned int filled;
	char problem[RDAP_PART_COUNT][RDAP_PROBLEM_MAX];
};

/* Parse an RDAP domain object (len bytes of JSON) into out.  Each part is
 * read on its own: what is readable is kept, what is not is recorded in
 * out->problems with its reason, and the parse still succeeds.  Returns -1
 * with the reason in err only for an answer that is no domain object at all:
 * larger than RDAP_BODY_MAX, not JSON, not an object, nested deeper than the
 * limit, an objectClassName naming something else, an RDAP error object, or
 * an object without any member of a domain object.  Pure. */
int rdap_domain_parse(const char *json, size_t len, struct rdap_domain *out, char *err,
                      size_t errlen);

/* An RDAP date (RFC 3339 as servers send it: "T", "t" or a space between
 * date and time, the time or seconds may be left out, fractions dropped,
 * "Z", "+01:00", "+0100", "+01" or nothing (UTC)) into *out.  The date must
 * exist (no 2027-02-30, no 2027-1-1, years 1900 to 9999).  0 or -1.  Pure. */
int rdap_date_parse(const char *s, time_t *out);

/* 1 when d lacks data the audit needs (status, expiry, registrar name or
 * nameservers) or read its status list only in part, so the registrar's
 * answer should be asked. */
int rdap_domain_incomplete(const struct rdap_domain *d);

/* Fill what dst lacks from src (the registrar's answer): a part dst does not
 * have, or could not read, is taken from src when src has it (a part dst
 * could not read moves to dst->filled); statuses of src are added to a
 * status list dst read only in part; src's problems in parts dst still
 * lacks are kept, saying they are the registrar's. */
void rdap_domain_merge(struct rdap_domain *dst, const struct rdap_domain *src);

/* ---------------------------------------------------------------- bootstrap */

struct rdap_bootstrap;

/* Parse dns.json (RFC 9224 section 4).  New object, or NULL with err. */
struct rdap_bootstrap *rdap_bootstrap_parse(const char *json, size_t len, char *err, size_t errlen);
void rdap_bootstrap_free(struct rdap_bootstrap *bs);

/* Base URL serving domain (longest matching suffix; https preferred) into
 * url.  Returns 0, or -1 when no service covers the domain. */
int rdap_bootstrap_lookup(const struct rdap_bootstrap *bs, const char *domain, char *url,
                          size_t urllen);

/* The bootstrap from source (an http(s) URL or a file).  A URL is fetched
 * unless cache_path (may be NULL) holds a copy from the same URL younger than
 * RDAP_BOOTSTRAP_MAX_AGE; a fetched copy is written to cache_path; when the
 * fetch fails an older cached copy is used (logged).  New object or NULL
 * (logged, reason in err). */
struct rdap_bootstrap *rdap_bootstrap_load(const char *source, const char *cache_path,
                                           const struct http_options *opt, char *err,
                                           size_t errlen);

/* "BASE/domain/NAME" into dst (exactly one slash between).  0 or -1. */
int rdap_domain_url(const char *base, const char *name, char *dst, size_t dstlen);

/* ---------------------------------------------------------------- outcomes */

enum rdap_outcome {
	RDAP_OK,
	RDAP_NO_SERVICE,   /* the bootstrap names no server for the TLD */
	RDAP_NOT_FOUND,    /* 404 */
	RDAP_RATE_LIMITED, /* 429, retries exhausted or Retry-After too long */
	RDAP_SERVER_ERROR, /* 5xx */
	RDAP_HTTP_STATUS,  /* any other non-200 status */
	RDAP_CONTENT_TYPE, /* 200 but not application/rdap+json (or json) */
	RDAP_MALFORMED,    /* 200 but not an RDAP domain object */
	RDAP_TOO_LARGE,    /* body over RDAP_BODY_MAX */
	RDAP_UNREACHABLE,  /* resolve, connect, timeout, TLS, transport */
	RDAP_OUTCOME_COUNT
};

const char *rdap_outcome_name(enum rdap_outcome o);

/* Classify a finished HTTP exchange (before parsing the body).  Pure. */
enum rdap_outcome rdap_classify(enum http_outcome transport, long status, const char *content_type);

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date
 * relative to now); RDAP_RETRY_AFTER_DEFAULT when value is NULL or
 * unparsable; never negative.  Pure. */
long rdap_retry_after_seconds(const char *value, time_t now);

/* ---------------------------------------------------------------- client */

struct rdap_result {
	enum rdap_outcome outcome;
	long http_status;
	char url[RDAP_URL_MAX]; /* what was asked (the registry URL) */
	char detail[RDAP_DETAIL_MAX];
	struct rdap_domain domain; /* valid when outcome is RDAP_OK */
	/* the registrar referral, when it was followed */
	int referral_followed;
	enum rdap_outcome referral_outcome;
	char referral_url[RDAP_URL_MAX];
	int done;
};

struct rdap_options {
	struct http_options http; /* body_limit is forced to RDAP_BODY_MAX */
	size_t per_server;        /* concurrent requests per host */
};

void rdap_options_default(struct rdap_options *opt);

struct rdap_client;

struct rdap_client *rdap_client_new(const struct rdap_options *opt);
void rdap_client_free(struct rdap_client *rc);

/* Queue a lookup of domain; res (not owned, must live until res->done) is
 * filled when it finishes.  bs may be NULL (then RDAP_NO_SERVICE).
 * Returns 0, or -1 when out of memory (res is then done with an error). */
int rdap_client_submit(struct rdap_client *rc, const struct rdap_bootstrap *bs, const char *domain,
                       struct rdap_result *res);

/* Lookups submitted and not yet done. */
size_t rdap_client_pending(const struct rdap_client *rc);

/* Make progress, waiting at most timeout_ms for the network or for one of
 * the extra descriptors (so a caller can drive DNS from the same loop).
 * Returns the number of lookups not yet done, or -1 on an internal error. */
int rdap_client_step(struct rdap_client *rc, struct curl_waitfd *extra, unsigned int extra_count,
                     int timeout_ms);

#endif

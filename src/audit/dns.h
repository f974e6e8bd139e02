/*
 * dns: asking specific DNS servers specific questions, many at once.
 *
 * The audit must know what each resolver says, not what the system stub
 * makes of it, and must ask a zone's own servers directly (RD=0) to see a
 * delegation as the parent publishes it (RFC 1034 section 4.3.2: a referral
 * carries the child's NS set in the authority section).  So every query
 * names its server: one configured resolver, one authoritative address, or
 * NULL for "the configured resolvers, failing over" (used to find parent
 * servers and addresses of name servers).
 *
 * Built on c-ares (one channel per server, so a slow server never delays the
 * others), with at most per_server queries outstanding per server and
 * in_flight in all (so a thousand servers never need a thousand sockets).  The
 * answer is parsed here, not by c-ares, into a dns_reply: the rcode class
 * (NOERROR, NODATA, NXDOMAIN, SERVFAIL, REFUSED, timeout, ... each named),
 * the addresses, the NS set from the answer or from a referral, glue, and
 * CAA records (RFC 8659 section 4.1) of the name or of the CNAME chain the
 * resolver followed for it.  dns_reply_parse() is pure and bounded: name
 * compression loops, oversized names and truncated records are refused; a
 * CAA tag or value longer than its field is kept cut short and marked.
 *
 * The caller owns the event loop: dns_client_fds() says which sockets to
 * wait on, dns_client_process() handles what became ready and timeouts.
 */
#ifndef HOLDFAST_DNS_H
#define HOLDFAST_DNS_H

#include <poll.h>
#include <stddef.h>

#include "util/names.h"

#define DNS_NAME_MAX           254 /* 253 characters + NUL */
#define DNS_REPLY_ADDRS_MAX    16
#define DNS_REPLY_NS_MAX       16
#define DNS_REPLY_GLUE_MAX     16
#define DNS_REPLY_CAA_MAX      16
#define DNS_CAA_TAG_MAX        32  /* RFC 8659: tags SHOULD be at most 15 octets */
#define DNS_CAA_VALUE_MAX      512 /* an issue value with an accounturi fits easily */
#define DNS_PER_SERVER_DEFAULT 32
#define DNS_IN_FLIGHT_DEFAULT  256  /* in all; each outstanding server holds a socket */
#define DNS_TIMEOUT_MS_DEFAULT 1500 /* first try; c-ares doubles it per round */
#define DNS_TRIES_DEFAULT      2

#define DNS_TYPE_A     1
#define DNS_TYPE_NS    2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA   6
#define DNS_TYPE_AAAA  28
#define DNS_TYPE_CAA   257

enum dns_outcome {
	DNS_NOERROR,     /* an answer (or, for NS, a referral) */
	DNS_NODATA,      /* NOERROR, but nothing of that type */
	DNS_NXDOMAIN,    /* the name does not exist */
	DNS_SERVFAIL,    /* the server failed (a resolver: the zone is broken) */
	DNS_REFUSED,     /* the server will not answer this */
	DNS_TIMEOUT,     /* no answer in time */
	DNS_UNREACHABLE, /* connection refused / network unreachable */
	DNS_RCODE,       /* any other rcode */
	DNS_MALFORMED,   /* the answer could not be parsed */
	DNS_ERROR,       /* local failure */
	DNS_OUTCOME_COUNT
};

const char *dns_outcome_name(enum dns_outcome o);

struct dns_glue {
	char name[DNS_NAME_MAX];
	char addr[DNS_ADDR_MAX];
};

/* One CAA resource record (RFC 8659 section 4.1).  tag and value are
 * NUL-terminated; a byte outside printable ASCII (NUL, controls, 8-bit) is
 * kept as '?' so that the text can be printed and stays valid UTF-8; such a
 * value no longer fits the issue grammar and authorizes nobody -- the
 * conservative reading (RFC 8659's values are ASCII). */
struct dns_caa {
	unsigned int flags;
	char tag[DNS_CAA_TAG_MAX];
	char value[DNS_CAA_VALUE_MAX];
	int truncated; /* the tag or the value did not fit */
};

struct dns_reply {
	enum dns_outcome outcome;
	int rcode;
	int authoritative;
	char addrs[DNS_REPLY_ADDRS_MAX][DNS_ADDR_MAX]; /* A/AAAA of the question type */
	size_t addr_count;
	char ns[DNS_REPLY_NS_MAX][DNS_NAME_MAX]; /* NS of the question name */
	size_t ns_count;
	int ns_referral; /* the NS set came from the authority section */
	struct dns_glue glue[DNS_REPLY_GLUE_MAX];
	size_t glue_count;
	struct dns_caa caa[DNS_REPLY_CAA_MAX]; /* CAA of the name or its CNAME target */
	size_t caa_count;
	char cname[DNS_NAME_MAX];    /* the last CNAME target followed ("" when none) */
	char server[DNS_SERVER_MAX]; /* who answered ("" for the resolver set) */
};

/* Parse a DNS message (RFC 1035 section 4) answering qname/qtype.  Names
 * come out lower case without the trailing dot.  Returns 0 with out filled
 * (outcome from the rcode and content), or -1 when the message is malformed
 * (out->outcome DNS_MALFORMED).  Pure. */
int dns_reply_parse(const unsigned char *msg, size_t len, const char *qname, int qtype,
                    struct dns_reply *out);

/* The system's configured name servers (/etc/resolv.conf, read by c-ares),
 * as "IP:PORT" into out; returns how many (at most max). */
size_t dns_system_resolvers(char (*out)[DNS_SERVER_MAX], size_t max);

struct dns_options {
	int timeout_ms;
	int tries;
	size_t per_server;
	size_t in_flight;
};

void dns_options_default(struct dns_options *opt);

struct dns_client;

/* resolvers: "IP:PORT" strings (dns_server_parse form) used together, with
 * failover, when a query names no server.  Returns NULL on failure (logged). */
struct dns_client *dns_client_new(const struct dns_options *opt, char *const *resolvers,
                                  size_t count);

/* Pending queries are cancelled: each callback runs once more with
 * DNS_ERROR (and a dns_query() from it fails at once), so whoever owns a
 * query's context can free it. */
void dns_client_free(struct dns_client *dc);

typedef void (*dns_done_fn)(const struct dns_reply *reply, void *arg);

/* Ask server (NULL: the resolvers) for name/qtype with the RD bit as given;
 * done is called exactly once, from dns_client_process() (or at once when
 * the query cannot be made).  Returns 0, or -1 when done was called with
 * DNS_ERROR already. */
int dns_query(struct dns_client *dc, const char *server, const char *name, int qtype, int recursion,
              dns_done_fn done, void *arg);

/* Sockets to wait on (events POLLIN/POLLOUT) into fds; returns how many
 * were written (at most max). */
size_t dns_client_fds(struct dns_client *dc, struct pollfd *fds, size_t max);

/* Milliseconds until the next timeout is due (-1: none pending). */
int dns_client_timeout_ms(struct dns_client *dc);

/* Handle the ready sockets in fds (as returned by dns_client_fds, revents
 * filled) and every due timeout; starts queued queries. */
void dns_client_process(struct dns_client *dc, const struct pollfd *fds, size_t n);

/* Queries not yet completed. */
size_t dns_client_pending(const struct dns_client *dc);

#endif

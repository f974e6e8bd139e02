/*
 * daemon/metrics_select: which certificates get their own series on the
 * metrics page when there are more of them than metrics_per_certificate.
 * At 100,000 certificates every per-certificate series would make a page of
 * 56 MB, rendered every 2 s and too big for most scrapers; the page keeps
 * its aggregates for all and per-certificate series for the most urgent.
 *
 * The rule, most urgent first:
 *   1. a certificate in trouble (metrics_facts_trouble: missing, only the
 *      placeholder, its last deploy or issuance failed, no valid staple
 *      although it has a responder, or its staple refreshes are failing)
 *      before any other;
 *   2. then the soonest deadline: for one in trouble, what runs out first,
 *      its staple's nextUpdate (while it has a valid one) or its expiry (a
 *      missing certificate: at once); for the others, their expiry alone,
 *      so that the set shown does not turn over with every staple refresh;
 *   3. then configuration order.
 *
 * Pure: no I/O and no daemon state.  A selection keeps at most its limit of
 * candidates in a heap (least urgent on top), so choosing k of n costs
 * O(n log k) time and O(k) memory.
 */
#ifndef HOLDFAST_DAEMON_METRICS_SELECT_H
#define HOLDFAST_DAEMON_METRICS_SELECT_H

#include <stddef.h>
#include <time.h>

/* What the rule needs to know of a certificate. */
struct metrics_facts {
	int have;          /* a certificate is in the store */
	int placeholder;   /* it is the placeholder */
	int deploy_failed; /* its last deploy */
	int issue_failed;  /* its last issuance attempt */
	int can_staple;    /* it has an OCSP responder */
	int staple_ok;     /* a valid staple is served */
	int staple_failures;
	int renewal_late;          /* past renew_deadline(): inside the outage margin */
	time_t not_after;          /* when have */
	time_t staple_next_update; /* when staple_ok */
};

/* One certificate, ranked. */
struct metrics_candidate {
	size_t index;    /* its place in the configuration */
	int trouble;     /* 1: rule 1 */
	time_t deadline; /* rule 2 */
};

/* A selection of at most limit candidates. */
struct metrics_select {
	struct metrics_candidate *kept; /* a heap while offering; by index after finish */
	size_t count, limit;
};

/* 1 when f describes a certificate in trouble (rule 1). */
int metrics_facts_trouble(const struct metrics_facts *f);

/* The candidate for the certificate at index with facts f. */
struct metrics_candidate metrics_candidate_of(size_t index, const struct metrics_facts *f);

/* 1 when a is more urgent than b (the rule; distinct indexes never tie). */
int metrics_candidate_before(const struct metrics_candidate *a, const struct metrics_candidate *b);

/* Start a selection of at most limit (pass the smaller of the configured
 * limit and the number of certificates).  0, or -1 when out of memory. */
int metrics_select_init(struct metrics_select *s, size_t limit);

/* Consider c: kept when fewer than limit are kept or when it is more
 * urgent than the least urgent one kept (which is then dropped). */
void metrics_select_offer(struct metrics_select *s, const struct metrics_candidate *c);

/* Sort what is kept by index: s->kept[0 .. s->count - 1], in configuration
 * order.  Offer nothing after this. */
void metrics_select_finish(struct metrics_select *s);

/* Free what s holds; s may be initialised again. */
void metrics_select_free(struct metrics_select *s);

#endif

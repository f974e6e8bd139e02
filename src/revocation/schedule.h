/*
 * revocation/schedule: when the daemon next checks a certificate's CRL
 * (holdfast run, for certificates without an OCSP responder).  Pure: times
 * and a jitter draw in, a time out; no clock, no I/O.
 *
 * - The first check after start is spread over the first quarter of
 *   crl_interval, CRL_FIRST_SPREAD at most, so that a restart learns of a
 *   revocation soon without every certificate asking in the same second.
 * - After a check that had an answer (good, revoked or stale), the next is
 *   in the last quarter of crl_interval (the jitter of daemon/probe.c), so
 *   several daemons sharing a CA's distribution point do not ask in step.
 * - After a check with no answer at all it is the same, but no later than
 *   CRL_RETRY_MAX: an outage of the distribution point is asked again sooner.
 * - An ARI window (RFC 9773) whose start passes between two checks makes a
 *   check due at that moment: a CA that moves the window into the past is
 *   usually about to revoke (RFC 9773 section 4.2), and the CRL says whether
 *   it did.  A window start already past at the last check changes nothing
 *   (that check saw it).
 */
#ifndef HOLDFAST_REVOCATION_SCHEDULE_H
#define HOLDFAST_REVOCATION_SCHEDULE_H

#include <time.h>

#define CRL_FIRST_SPREAD 300L /* seconds: the first checks after start */
#define CRL_RETRY_MAX    900L /* seconds: after a check without an answer */

/* The next CRL check of one certificate.  last: when its last check ended
 * (0: none since started); answered: that check had an answer; interval:
 * crl_interval (> 0); r: a draw in [0, 1); ari_start: the start of its ARI
 * window as last known (0: none).  May be in the past (due at once). */
time_t crl_next_check_at(time_t started, time_t last, int answered, long interval, double r,
                         time_t ari_start);

#endif

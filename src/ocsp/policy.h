/*
 * ocsp/policy: when to refresh a staple, when to try again after a failure,
 * how long one may be served and which of two responses to keep.  Pure
 * functions of the times in the responses and the clock the caller passes;
 * no I/O, no state, unit-tested at their boundaries (tests/unit/test_policy.c).
 *
 * The times of one staple, valid from thisUpdate to nextUpdate (its window):
 *
 *   thisUpdate      refresh_at           retry_latest  withdraw_at  nextUpdate
 *       |---------------|----- retries -------|<- lead ->|<- lead ->|
 *
 * - refresh_at: halfway through the window, minus up to 5 % jitter, so that
 *   many certificates of one CA do not all ask at once;
 * - the lead: a twentieth of the window, at least 1 s, at most
 *   STAPLE_WITHDRAW_LEAD_MAX: how long a deploy (a web server's reload) may
 *   take;
 * - withdraw_at: nextUpdate minus the lead.  A daemon stops serving the
 *   staple then, so that the server has reloaded before any client could be
 *   handed an expired staple (nginx would otherwise keep serving an expired
 *   ssl_stapling_file);
 * - retry_latest: withdraw_at minus the lead.  A failed refresh is retried
 *   after a backoff (staple_retry_min doubling to staple_retry_max) but never
 *   later than this, so the last retry that succeeds still has a lead's time
 *   to deploy before the staple it replaces is withdrawn.
 *
 * One lead, used twice: the same rule says when the last retry happens and
 * when the staple is withdrawn.  staple_servable() is the RFC's answer (valid
 * until nextUpdate), for a file that only a cron job rewrites; a daemon serves
 * until staple_withdraw_at().
 */
#ifndef HOLDFAST_OCSP_POLICY_H
#define HOLDFAST_OCSP_POLICY_H

#include <time.h>

#include "ocsp/check.h"

#define OCSP_REFRESH_JITTER      0.05 /* fraction of the validity window */
#define STAPLE_WITHDRAW_LEAD_MAX 120  /* seconds */

/* When to refresh a staple valid from this_update to next_update: halfway
 * through the window, minus jitter * OCSP_REFRESH_JITTER * window, where
 * jitter is in [0, 1).  A window of zero or less gives this_update. */
time_t staple_refresh_at(time_t this_update, time_t next_update, double jitter);

/* The lead: a twentieth of the window, at least 1 s, at most
 * STAPLE_WITHDRAW_LEAD_MAX (1 s for an empty or negative window). */
long staple_withdraw_lead(time_t this_update, time_t next_update);

/* When a daemon stops serving a staple valid until next_update: next_update
 * minus the lead. */
time_t staple_withdraw_at(time_t this_update, time_t next_update);

/* The latest time a failed refresh may be retried while that staple is
 * served: staple_withdraw_at() minus the lead. */
time_t staple_retry_latest(time_t this_update, time_t next_update);

/* The backoff after one more failure: min after the first (previous == 0),
 * then twice the previous one, at most max. */
long staple_retry_backoff(long previous, long min, long max);

/* When to try again after a failure at now with backoff seconds: now +
 * backoff, but while a staple valid from this_update to next_update is
 * served (serving != 0) no later than staple_retry_latest(); never before
 * now + 1. */
time_t staple_retry_at(time_t now, long backoff, int serving, time_t this_update,
                       time_t next_update);

/* 1 when a stored response with verdict v may still be served at now: it was
 * accepted, and now is before nextUpdate (RFC 6960 4.2.2.1). */
int staple_servable(const struct ocsp_verdict *v, time_t now);

/* 1 when candidate is strictly older than stored (so must not replace it):
 * an earlier thisUpdate, or the same and an earlier producedAt. */
int staple_older(const struct ocsp_verdict *candidate, const struct ocsp_verdict *stored);

/* Whether a response that ocsp_response_check() accepted (fresh) may replace
 * the one held (NULL: none) at now: with until_withdrawal set (a daemon, which
 * would withdraw it at once), STAPLE_ERR_EXPIRES_TOO_SOON when now is at or
 * past its staple_withdraw_at(); then STAPLE_ERR_OLDER_THAN_STORED when it is
 * older than held; STAPLE_OK otherwise. */
enum staple_error staple_acceptable(const struct ocsp_verdict *fresh,
                                    const struct ocsp_verdict *held, int until_withdrawal,
                                    time_t now);

#endif

/* test_policy: the staple schedule's rules at their boundaries (ocsp/policy.h). */
#include <string.h>

#include "ocsp/policy.h"
#include "tap.h"

static struct ocsp_verdict verdict(time_t this_update, time_t next_update, time_t produced_at)
{
	struct ocsp_verdict v;

	memset(&v, 0, sizeof(v));
	v.error = STAPLE_OK;
	v.status = STAPLE_STATUS_GOOD;
	v.this_update = this_update;
	v.next_update = next_update;
	v.produced_at = produced_at;
	return v;
}

int main(void)
{
	const time_t t = 1800000000;
	struct ocsp_verdict a, b;

	/* The lead: a twentieth of the window, 1 s .. STAPLE_WITHDRAW_LEAD_MAX. */
	CHECK(staple_withdraw_lead(t, t + 7 * 86400) == STAPLE_WITHDRAW_LEAD_MAX,
	      "lead: 7 days capped");
	CHECK(staple_withdraw_lead(t, t + 20 * 120) == 120, "lead: exactly the cap");
	CHECK(staple_withdraw_lead(t, t + 20 * 120 - 20) == 119, "lead: just under the cap");
	CHECK(staple_withdraw_lead(t, t + 60) == 3, "lead: 1 minute window -> 3 s");
	CHECK(staple_withdraw_lead(t, t + 39) == 1, "lead: 39 s -> 1 s");
	CHECK(staple_withdraw_lead(t, t + 19) == 1, "lead: under 20 s -> at least 1 s");
	CHECK(staple_withdraw_lead(t, t) == 1, "lead: empty window -> 1 s");
	CHECK(staple_withdraw_lead(t, t - 100) == 1, "lead: negative window -> 1 s");

	/* withdraw_at and retry_latest: the same lead, once and twice. */
	CHECK(staple_withdraw_at(t, t + 3600) == t + 3600 - 120, "withdraw: 1 h window");
	CHECK(staple_withdraw_at(t, t + 300) == t + 300 - 15, "withdraw: 5 min window");
	CHECK(staple_retry_latest(t, t + 3600) == t + 3600 - 240, "retry latest: 1 h, two leads");
	CHECK(staple_retry_latest(t, t + 300) == t + 300 - 30, "retry latest: 5 min, two leads");
	CHECK(staple_retry_latest(t, t + 60) < staple_withdraw_at(t, t + 60),
	      "retry latest: before the withdrawal");

	/* Backoff: min, doubling, capped; no overflow near LONG_MAX. */
	CHECK(staple_retry_backoff(0, 10, 600) == 10, "backoff: first is min");
	CHECK(staple_retry_backoff(10, 10, 600) == 20, "backoff: doubles");
	CHECK(staple_retry_backoff(300, 10, 600) == 600, "backoff: reaches max exactly");
	CHECK(staple_retry_backoff(301, 10, 600) == 600, "backoff: past half of max -> max");
	CHECK(staple_retry_backoff(600, 10, 600) == 600, "backoff: stays at max");
	CHECK(staple_retry_backoff(0, 900, 600) == 600, "backoff: min above max -> max");
	CHECK(staple_retry_backoff(9000000000000000000L, 10, 9200000000000000000L) ==
	          9200000000000000000L,
	      "backoff: no overflow");

	/* retry_at: now + backoff, capped at retry_latest while serving, never <= now. */
	CHECK(staple_retry_at(t, 60, 0, 0, 0) == t + 60, "retry at: nothing served");
	CHECK(staple_retry_at(t, 60, 1, t - 1000, t + 3600) == t + 60,
	      "retry at: far from the cap");
	CHECK(staple_retry_at(t, 600, 1, t - 3000, t + 600) == t + 600 - 240,
	      "retry at: capped at retry_latest");
	CHECK(staple_retry_at(t, 600, 1, t - 3600, t + 240) == t + 1,
	      "retry at: cap already passed -> now + 1");
	CHECK(staple_retry_at(t, 0, 0, 0, 0) == t + 1, "retry at: zero backoff -> now + 1");

	/* refresh_at: half the window minus jitter, clamped jitter. */
	CHECK(staple_refresh_at(t, t + 1000, 0.0) == t + 500, "refresh: half");
	CHECK(staple_refresh_at(t, t + 1000, 0.999999) == t + 451, "refresh: most jitter");
	CHECK(staple_refresh_at(t, t + 1000, 5.0) == t + 451, "refresh: jitter clamped");
	CHECK(staple_refresh_at(t, t + 1000, -1.0) == t + 500, "refresh: negative jitter -> 0");
	CHECK(staple_refresh_at(t, t, 0.5) == t, "refresh: empty window");

	/* servable: until nextUpdate, not before thisUpdate - skew. */
	a = verdict(t - 100, t + 100, t - 100);
	CHECK(staple_servable(&a, t), "servable: inside");
	CHECK(staple_servable(&a, t + 99), "servable: last second");
	CHECK(!staple_servable(&a, t + 100), "servable: not at nextUpdate");
	a = verdict(t + OCSP_CLOCK_SKEW, t + 3600, t);
	CHECK(staple_servable(&a, t), "servable: thisUpdate at the skew");
	a = verdict(t + OCSP_CLOCK_SKEW + 1, t + 3600, t);
	CHECK(!staple_servable(&a, t), "servable: thisUpdate past the skew");
	a = verdict(t - 100, t + 100, t - 100);
	a.error = STAPLE_ERR_BAD_SIGNATURE;
	CHECK(!staple_servable(&a, t), "servable: not a refused one");

	/* older / acceptable. */
	a = verdict(t, t + 3600, t);
	b = verdict(t, t + 3600, t + 1);
	CHECK(staple_older(&a, &b), "older: same thisUpdate, earlier producedAt");
	CHECK(!staple_older(&b, &a), "older: later producedAt is not older");
	CHECK(!staple_older(&a, &a), "older: equal is not older");
	b = verdict(t - 1, t + 3600, t + 100);
	CHECK(!staple_older(&a, &b), "older: later thisUpdate wins over producedAt");
	CHECK(staple_acceptable(&b, &a, 0, t) == STAPLE_ERR_OLDER_THAN_STORED,
	      "acceptable: older than held");
	CHECK(staple_acceptable(&a, &b, 0, t) == STAPLE_OK, "acceptable: newer");
	CHECK(staple_acceptable(&a, NULL, 1, t + 3600 - 120) == STAPLE_ERR_EXPIRES_TOO_SOON,
	      "acceptable: a daemon refuses one at its withdrawal");
	CHECK(staple_acceptable(&a, NULL, 1, t + 3600 - 121) == STAPLE_OK,
	      "acceptable: one second before its withdrawal");
	CHECK(staple_acceptable(&a, NULL, 0, t + 3600 - 1) == STAPLE_OK,
	      "acceptable: the CLI keeps it until nextUpdate");
	return tap_done();
}

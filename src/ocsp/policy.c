/*
 * ocsp/policy: the staple's schedule and the choice between two responses.
 * See policy.h for the rules and the picture of one window.
 */

#include "ocsp/policy.h"

time_t staple_refresh_at(time_t this_update, time_t next_update, double jitter)
{
	time_t window = next_update - this_update;

	if (window <= 0)
		return this_update;
	if (!(jitter >= 0.0)) /* also catches NaN */
		jitter = 0.0;
	if (jitter >= 1.0)
		jitter = 0.999999;
	return this_update + window / 2 - (time_t)(jitter * OCSP_REFRESH_JITTER * (double)window);
}

long staple_withdraw_lead(time_t this_update, time_t next_update)
{
	time_t lead = (next_update - this_update) / 20;

	if (lead < 1)
		lead = 1;
	if (lead > STAPLE_WITHDRAW_LEAD_MAX)
		lead = STAPLE_WITHDRAW_LEAD_MAX;
	return (long)lead;
}

time_t staple_withdraw_at(time_t this_update, time_t next_update)
{
	return next_update - staple_withdraw_lead(this_update, next_update);
}

time_t staple_retry_latest(time_t this_update, time_t next_update)
{
	return staple_withdraw_at(this_update, next_update) -
	       staple_withdraw_lead(this_update, next_update);
}

long staple_retry_backoff(long previous, long min, long max)
{
	long b;

	if (previous <= 0)
		b = min;
	else if (previous > max / 2)
		b = max;
	else
		b = previous * 2;
	return b < max ? b : max;
}

time_t staple_retry_at(time_t now, long backoff, int serving, time_t this_update,
                       time_t next_update)
{
	time_t next = now + backoff;

	if (serving && next > staple_retry_latest(this_update, next_update))
		next = staple_retry_latest(this_update, next_update);
	if (next <= now)
		next = now + 1;
	return next;
}

int staple_servable(const struct ocsp_verdict *v, time_t now)
{
	return v->error == STAPLE_OK && v->status != STAPLE_STATUS_NONE && now < v->next_update &&
	       v->this_update <= now + OCSP_CLOCK_SKEW;
}

int staple_older(const struct ocsp_verdict *candidate, const struct ocsp_verdict *stored)
{
	if (candidate->this_update != stored->this_update)
		return candidate->this_update < stored->this_update;
	return candidate->produced_at < stored->produced_at;
}

enum staple_error staple_acceptable(const struct ocsp_verdict *fresh,
                                    const struct ocsp_verdict *held, int until_withdrawal,
                                    time_t now)
{
	if (until_withdrawal && now >= staple_withdraw_at(fresh->this_update, fresh->next_update))
		return STAPLE_ERR_EXPIRES_TOO_SOON;
	if (held != NULL && staple_older(fresh, held))
		return STAPLE_ERR_OLDER_THAN_STORED;
	return STAPLE_OK;
}

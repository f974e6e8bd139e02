/*
 * revocation/schedule: the daemon's CRL check times; see schedule.h.
 */
#include "revocation/schedule.h"

time_t crl_next_check_at(time_t started, time_t last, int answered, long interval, double r,
                         time_t ari_start)
{
	time_t since = last != 0 ? last : started, next;
	long spread;

	if (interval <= 0)
		interval = 1;
	if (r < 0 || r >= 1)
		r = 0;
	if (last == 0) {
		spread = interval / 4 < CRL_FIRST_SPREAD ? interval / 4 : CRL_FIRST_SPREAD;
		next = started + (time_t)((double)spread * r);
	} else {
		long wait = interval - (long)((double)interval * 0.25 * r);
		if (!answered && wait > CRL_RETRY_MAX)
			wait = CRL_RETRY_MAX - (long)((double)CRL_RETRY_MAX * 0.25 * r);
		next = last + wait;
	}
	/* The window's start passes after the last check and before the next. */
	if (ari_start != 0 && ari_start > since && ari_start < next)
		next = ari_start;
	return next;
}

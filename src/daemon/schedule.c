/*
 * daemon/schedule: when each site is next due, and what the loop does then.
 *
 * Every site with something pending is in d->timers, keyed by its due time:
 * the soonest of its staple withdrawal, deploy retry, deploy verification,
 * issuance check and staple refresh.  The last two count only while no
 * issuance or fetch of the site runs or waits (their ends reschedule it) and
 * no reload is pending (a reload starts nothing new).  The loop pops what is
 * due and calls site_dispatch(), which does for that site what the scan of
 * every site each second used to do, in the same order; site_schedule() then
 * puts the site back at its next due time.  Whatever else changes a site's
 * times -- a staple fetch ending in the HTTP callback, an issuance ending --
 * calls site_schedule() too, so the heap is always right and the loop never
 * looks at a site that is not due: with nothing due, a wake of the loop does
 * no per-site work, at 1 or at 100,000 certificates.
 *
 * At most ISSUE_PARALLEL issuances run at once.  A site due while every
 * thread is busy waits in a first-come, first-served queue (its issuance
 * timer left out of the heap meanwhile); each issuance that ends starts the
 * next queued one (daemon_issue_queue_run()).
 */
#include "daemon/internal.h"

#include "daemon/timers.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Keep in *due the soonest of the times considered so far. */
static void consider(int *any, time_t *due, time_t t)
{
	if (!*any || t < *due)
		*due = t;
	*any = 1;
}

/* When s is next due: 1 with *due, or 0 when nothing of it is pending. */
static int site_due(const struct daemon *d, const struct site *s, time_t *due)
{
	int any = 0;

	if (s->staple_ok)
		consider(&any, due, staple_withdraw_at(s->sv.this_update, s->sv.next_update));
	if (s->deploy_failed)
		consider(&any, due, s->deploy_retry_at);
	if (s->verify_at != 0)
		consider(&any, due, s->verify_at);
	if (!d->pending_reload) {
		if (!s->issuing && !s->issue_queued && s->cert->cas.count > 0)
			consider(&any, due, s->issue_next);
		if (s->fetch == NULL && s->responder_count > 0)
			consider(&any, due, s->staple_next);
	}
	return any;
}

/* Recompute when s is due and move it in the heap; call after any change. */
void site_schedule(struct daemon *d, struct site *s)
{
	time_t due = 0;

	if (d->timers == NULL)
		return;
	if (site_due(d, s, &due))
		timers_set(d->timers, s->id, due);
	else
		timers_remove(d->timers, s->id);
}

/* Schedule every site: after setup, and when a pending reload is refused
 * (while it was pending, starts were left out of the due times). */
void daemon_schedule_all(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++)
		site_schedule(d, &d->sites[i]);
	daemon_issue_queue_run(d);
}

/* Issue s now if a thread is free and nobody waits, else queue it. */
static void issue_request(struct daemon *d, struct site *s)
{
	if (d->issuing < ISSUE_PARALLEL && d->issue_queue_head == NULL) {
		daemon_issue_start(d, s);
		return;
	}
	s->issue_queued = 1;
	s->issue_queue_next = NULL;
	if (d->issue_queue_tail != NULL)
		d->issue_queue_tail->issue_queue_next = s;
	else
		d->issue_queue_head = s;
	d->issue_queue_tail = s;
}

/* Start queued issuances while threads are free (none while a reload waits). */
void daemon_issue_queue_run(struct daemon *d)
{
	while (!d->pending_reload && d->issuing < ISSUE_PARALLEL && d->issue_queue_head != NULL) {
		struct site *s = d->issue_queue_head;
		d->issue_queue_head = s->issue_queue_next;
		if (d->issue_queue_head == NULL)
			d->issue_queue_tail = NULL;
		s->issue_queue_next = NULL;
		s->issue_queued = 0;
		daemon_issue_start(d, s);
		site_schedule(d, s);
	}
}

/* Empty the queue (a reload rebuilds the sites). */
void daemon_issue_queue_clear(struct daemon *d)
{
	while (d->issue_queue_head != NULL) {
		struct site *s = d->issue_queue_head;
		d->issue_queue_head = s->issue_queue_next;
		s->issue_queue_next = NULL;
		s->issue_queued = 0;
	}
	d->issue_queue_tail = NULL;
}

/* Do what is due of s at now, in the order the scan did. */
static void site_dispatch(struct daemon *d, struct site *s, time_t now)
{
	if (s->staple_ok && now >= staple_withdraw_at(s->sv.this_update, s->sv.next_update)) {
		char t[32];
		s->staple_ok = 0;
		site_changed(d, s);
		log_error("staple_expired", "cert=%s action=withdrawn next_update=%s",
		          s->cert->name, time_format(t, sizeof(t), s->sv.next_update));
		site_deploy(d, s, "staple");
	}
	if (s->deploy_failed && now >= s->deploy_retry_at)
		site_deploy(d, s, "retry");
	if (s->verify_at != 0 && now >= s->verify_at)
		site_verify(d, s, now);
	if (d->pending_reload)
		return; /* start nothing new until the reload */
	if (!s->issuing && !s->issue_queued && s->cert->cas.count > 0 && now >= s->issue_next)
		issue_request(d, s);
	if (s->fetch == NULL && s->responder_count > 0 && now >= s->staple_next)
		daemon_staple_start(d, s);
}

/* Dispatch every site due at now.  A site still due after its dispatch (a
 * start that failed at once) waits a second, so this ends. */
void daemon_dispatch_due(struct daemon *d, time_t now)
{
	size_t id;
	time_t due;

	while (timers_pop_due(d->timers, now, &id)) {
		struct site *s = &d->sites[id];
		site_dispatch(d, s, now);
		site_schedule(d, s);
		if (timers_get(d->timers, id, &due) && due <= now)
			timers_set(d->timers, id, now + 1);
	}
}

/* 1 with the earliest due time of any site, 0 when none is scheduled. */
int daemon_next_due(const struct daemon *d, time_t *due)
{
	size_t id;

	return timers_peek(d->timers, &id, due);
}

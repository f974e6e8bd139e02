/*
 * daemon/issuance: issuance and renewal on worker threads (the issuer module
 * does the protocol).  A thread writes only its struct issue_task; when the
 * job is done it puts the task on d->done under d->done_lock and wakes the
 * loop (d->wake_fd), which then handles exactly the tasks that ended: it
 * joins the thread, reloads the certificate and reschedules the site.  No
 * scan looks for them, and the loop sleeps until one ends.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "util/log.h"
#include "util/timeutil.h"

/* Async-signal-safe: one write(2) to the eventfd; errno is kept. */
void daemon_wake(int wake_fd)
{
	uint64_t one = 1;
	int saved = errno;

	if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0) {
		/* full (it counts to 2^64 - 2) or closed: the loop wakes anyway */
	}
	errno = saved;
}

static void *issue_thread(void *arg)
{
	struct issue_task *t = arg;
	struct issuer_worker *w = issuer_worker_new(t->site->iss);

	if (w != NULL) {
		issuer_run_job(w, &t->job);
		issuer_worker_free(w);
	} else {
		t->job.result = RESULT_UNKNOWN;
		snprintf(t->job.message, sizeof(t->job.message), "out of memory");
	}
	pthread_mutex_lock(&t->d->done_lock);
	t->next = t->d->done;
	t->d->done = t;
	pthread_mutex_unlock(&t->d->done_lock);
	daemon_wake(t->d->wake_fd);
	return NULL;
}

void daemon_issue_start(struct daemon *d, struct site *s)
{
	struct issue_task *t;

	if (!daemon_fleet_issue_gate(d, s, time(NULL)))
		return; /* another node issues it, or not while the database is down */
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		daemon_fleet_issue_done(d, s, 0, time(NULL));
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		site_changed(d, s);
		return;
	}
	t->job.cert = s->cert;
	t->job.mode = MODE_RENEW;
	t->job.force = s->force_issue;
	t->site = s;
	t->d = d;
	s->iss = d->iss;
	if (pthread_create(&s->thread, NULL, issue_thread, t) != 0) {
		free(t);
		daemon_fleet_issue_done(d, s, 0, time(NULL));
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		site_changed(d, s);
		return;
	}
	s->task = t;
	s->issuing = 1;
	d->issuing++;
	site_changed(d, s);
}

/* Join s's ended issuance and act on its outcome. */
static void issue_finish(struct daemon *d, struct site *s, time_t now)
{
	const struct issue_job *job = &s->task->job;
	char t[32];

	pthread_join(s->thread, NULL);
	s->issuing = 0;
	d->issuing--;
	s->force_issue = 0;
	for (size_t k = 0; k < job->attempt_count; k++) {
		for (size_t c = 0; c < d->conf->ca_count; c++) {
			if (strcmp(d->conf->cas[c].name, job->attempts[k].ca) == 0)
				d->ca_failed_total[c]++;
		}
	}
	for (size_t c = 0; c < d->conf->ca_count; c++) {
		if (strcmp(d->conf->cas[c].name, job->ca_used) == 0 &&
		    strcmp(job->action, "issued") == 0)
			d->ca_ok_total[c]++;
	}
	if (job->result == RESULT_OK || job->result == RESULT_WARNING)
		s->issue_ok_total++;
	else
		s->issue_failed_total++;
	if (job->result == RESULT_OK || job->result == RESULT_WARNING) {
		s->issue_backoff = 0;
		message_clear(&s->issue_error);
		s->issue_next = job->renew_at ? job->renew_at : now + 3600;
		if (strcmp(job->action, "issued") == 0) {
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
	} else {
		long b = s->issue_backoff ? s->issue_backoff * 2 : d->conf->issue_retry_min;
		s->issue_backoff = b > ISSUE_RETRY_MAX ? ISSUE_RETRY_MAX : b;
		s->issue_next = now + s->issue_backoff;
		message_set(&s->issue_error, ISSUE_ERROR_MAX, "%s", job->message);
		if (!s->have) {
			/* The issuer installed a placeholder: deploy it so servers start. */
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
		log_warn("issuance_failed", "cert=%s next_attempt=%s message=\"%s\"", s->cert->name,
		         time_format(t, sizeof(t), s->issue_next),
		         s->issue_error ? s->issue_error : "");
	}
	if (job->result == RESULT_OK || job->result == RESULT_WARNING)
		s->crl.ari_start = job->ari_start;
	daemon_fleet_issue_done(d, s,
	                        (job->result == RESULT_OK || job->result == RESULT_WARNING) &&
	                            strcmp(job->action, "issued") == 0,
	                        now);
	free(s->task);
	s->task = NULL;
	site_crl_schedule(d, s, now); /* a new certificate, or an ARI window that moved */
	issuer_save_state(d->iss);
	site_changed(d, s);
}

/* The ended tasks, oldest first, taken off d->done. */
static struct issue_task *issue_take_done(struct daemon *d)
{
	struct issue_task *list, *older = NULL, *next;

	pthread_mutex_lock(&d->done_lock);
	list = d->done;
	d->done = NULL;
	pthread_mutex_unlock(&d->done_lock);
	for (; list != NULL; list = next) {
		next = list->next;
		list->next = older;
		older = list;
	}
	return older;
}

void daemon_issue_collect(struct daemon *d, time_t now)
{
	struct issue_task *t, *next;

	for (t = issue_take_done(d); t != NULL; t = next) {
		struct site *s = t->site;
		next = t->next; /* issue_finish() frees t */
		issue_finish(d, s, now);
		site_schedule(d, s);
	}
	daemon_issue_queue_run(d);
}

void daemon_issue_join_all(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++) {
		struct site *s = &d->sites[i];
		if (!s->issuing)
			continue;
		pthread_join(s->thread, NULL);
		s->issuing = 0;
		free(s->task);
		s->task = NULL;
	}
	d->issuing = 0;
	d->done = NULL; /* the tasks on it were the sites' and are freed */
	daemon_issue_queue_clear(d);
}

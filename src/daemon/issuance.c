/*
 * daemon/issuance: issuance and renewal on worker threads (the issuer module does
 * the protocol); the loop joins a finished job and reloads the certificate.
 */
#include "daemon/internal.h"
#include "util/log.h"
#include "util/timeutil.h"

static void *issue_thread(void *arg)
{
	struct site *s = arg;
	struct issuer_worker *w = issuer_worker_new(s->iss);

	if (w != NULL) {
		issuer_run_job(w, s->job);
		issuer_worker_free(w);
	} else {
		s->job->result = RESULT_UNKNOWN;
		snprintf(s->job->message, sizeof(s->job->message), "out of memory");
	}
	atomic_store(&s->job_done, 1);
	return NULL;
}

void daemon_issue_start(struct daemon *d, struct site *s)
{
	s->job = calloc(1, sizeof(*s->job));
	if (s->job == NULL) {
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		site_changed(d, s);
		return;
	}
	s->job->cert = s->cert;
	s->job->mode = MODE_RENEW;
	s->job->force = s->force_issue;
	s->iss = d->iss;
	atomic_store(&s->job_done, 0);
	if (pthread_create(&s->thread, NULL, issue_thread, s) != 0) {
		free(s->job);
		s->job = NULL;
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		site_changed(d, s);
		return;
	}
	s->issuing = 1;
	d->issuing++;
	site_changed(d, s);
}

void daemon_issue_finish(struct daemon *d, struct site *s, time_t now)
{
	char t[32];

	pthread_join(s->thread, NULL);
	s->issuing = 0;
	d->issuing--;
	s->force_issue = 0;
	for (size_t k = 0; k < s->job->attempt_count; k++) {
		for (size_t c = 0; c < d->conf->ca_count; c++) {
			if (strcmp(d->conf->cas[c].name, s->job->attempts[k].ca) == 0)
				d->ca_failed_total[c]++;
		}
	}
	for (size_t c = 0; c < d->conf->ca_count; c++) {
		if (strcmp(d->conf->cas[c].name, s->job->ca_used) == 0 &&
		    strcmp(s->job->action, "issued") == 0)
			d->ca_ok_total[c]++;
	}
	if (s->job->result == RESULT_OK || s->job->result == RESULT_WARNING)
		s->issue_ok_total++;
	else
		s->issue_failed_total++;
	if (s->job->result == RESULT_OK || s->job->result == RESULT_WARNING) {
		s->issue_backoff = 0;
		message_clear(&s->issue_error);
		s->issue_next = s->job->renew_at ? s->job->renew_at : now + 3600;
		if (strcmp(s->job->action, "issued") == 0) {
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
	} else {
		long b = s->issue_backoff ? s->issue_backoff * 2 : d->conf->issue_retry_min;
		s->issue_backoff = b > ISSUE_RETRY_MAX ? ISSUE_RETRY_MAX : b;
		s->issue_next = now + s->issue_backoff;
		message_set(&s->issue_error, ISSUE_ERROR_MAX, "%s", s->job->message);
		if (!s->have) {
			/* The issuer installed a placeholder: deploy it so servers start. */
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
		log_warn("issuance_failed", "cert=%s next_attempt=%s message=\"%s\"", s->cert->name,
		         time_format(t, sizeof(t), s->issue_next),
		         s->issue_error ? s->issue_error : "");
	}
	free(s->job);
	s->job = NULL;
	issuer_save_state(d->iss);
	site_changed(d, s);
}

/*
 * daemon/probe: holdfast run probes every configured CA for backup readiness
 * (acme/probe.h) every probe_interval, so that a backup that would refuse a
 * failover -- EAB required, account deactivated, directory moved -- shows on
 * the metrics page (holdfast_ca_ready{ca="NAME"}) and in holdfast status
 * days before the primary fails.
 *
 * Scheduling: d->probe_timers (daemon/timers.h, the heap the sites use) holds
 * one entry per [ca] keyed by its next probe time, so the loop pops what is
 * due and never scans the CAs.  Each CA's next probe is jittered into the
 * last quarter of probe_interval after its previous one (the first into the
 * second half after start), so several daemons, or several CAs, do not
 * probe in step.  One probe runs at a time, on a thread of its own (the
 * probe is blocking protocol code, as issuance is); a CA that falls due
 * meanwhile waits in the heap.  The thread writes only its struct
 * probe_task and wakes the loop when done; the loop joins it, keeps the
 * result in d->ca_ready and merges it into STORE_STATE_PROBE (state/
 * probe.json), which holdfast status reads.  A reload waits for the probe
 * in flight, as it does for issuances.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <stdatomic.h>

#include "audit/audit.h"
#include "daemon/timers.h"
#include "util/log.h"
#include "util/timeutil.h"

#define PROBE_STATE_MAX (4 * 1024 * 1024)

struct probe_task {
	struct daemon *d;
	size_t ca; /* index in d->conf->cas */
	struct probe_report report;
	pthread_t thread;
	atomic_int done;
};

/* The caa step: the audit's CAA decision, one at a time (d->caa_lock: the
 * issuance threads ask it too before a failover). */
static enum probe_caa_answer probe_caa_check(void *ctx, const struct conf *conf,
                                             const struct conf_cert *cert, const char *ca_name,
                                             char *why, size_t whylen)
{
	struct daemon *d = ctx;
	enum audit_caa_answer a;

	pthread_mutex_lock(&d->caa_lock);
	a = audit_caa_may_issue(conf, cert, ca_name, why, whylen);
	pthread_mutex_unlock(&d->caa_lock);
	return a == AUDIT_CAA_MAY_ISSUE ? PROBE_CAA_MAY_ISSUE
	       : a == AUDIT_CAA_REFUSED ? PROBE_CAA_REFUSED
	                                : PROBE_CAA_UNKNOWN;
}

static void *probe_thread(void *arg)
{
	struct probe_task *t = arg;

	probe_ca(t->d->conf, &t->d->conf->cas[t->ca], t->d->store, probe_caa_check, t->d,
	         &t->report);
	atomic_store(&t->done, 1);
	daemon_wake(t->d->wake_fd);
	return NULL;
}

/* next probe of a CA: in the last quarter of the interval after now (first:
 * in its second half). */
static time_t probe_next_at(const struct daemon *d, time_t now, int first)
{
	double span = (double)d->conf->probe_interval * (first ? 0.5 : 0.25);

	return now + d->conf->probe_interval - (time_t)(span * jitter());
}

int daemon_probe_setup(struct daemon *d, time_t now)
{
	size_t i;

	d->ca_ready = calloc(d->conf->ca_count + 1, sizeof(*d->ca_ready));
	if (d->ca_ready == NULL)
		return -1;
	if (d->conf->probe_interval <= 0 || d->conf->ca_count == 0)
		return 0;
	d->probe_timers = timers_new(d->conf->ca_count);
	if (d->probe_timers == NULL)
		return -1;
	for (i = 0; i < d->conf->ca_count; i++)
		timers_set(d->probe_timers, i, probe_next_at(d, now, 1));
	return 0;
}

void daemon_probe_teardown(struct daemon *d)
{
	if (d->probe_task != NULL) {
		pthread_join(d->probe_task->thread, NULL);
		free(d->probe_task);
		d->probe_task = NULL;
	}
	timers_free(d->probe_timers);
	d->probe_timers = NULL;
	free(d->ca_ready);
	d->ca_ready = NULL;
}

void daemon_probe_dispatch(struct daemon *d, time_t now)
{
	struct probe_task *t;
	size_t id;

	if (d->probe_task != NULL || d->pending_reload || d->probe_timers == NULL ||
	    !timers_pop_due(d->probe_timers, now, &id))
		return;
	t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->d = d;
		t->ca = id;
		atomic_init(&t->done, 0);
		if (pthread_create(&t->thread, NULL, probe_thread, t) == 0) {
			d->probe_task = t;
			return;
		}
		free(t);
	}
	log_error("ca_probe_failed", "ca=%s reason=\"cannot start a thread\"",
	          d->conf->cas[id].name);
	timers_set(d->probe_timers, id, now + 60);
}

/* Merge ca's result into state/probe.json (what status reads). */
static void probe_state_save(struct daemon *d, size_t ca)
{
	const struct ca_ready *r = &d->ca_ready[ca];
	json_t *doc = store_state_json_load(d->store, STORE_STATE_PROBE, PROBE_STATE_MAX);
	char t[32], *text;

	if (doc == NULL)
		doc = json_object();
	if (doc == NULL)
		return;
	json_object_set_new(doc, d->conf->cas[ca].name,
	                    json_pack("{s:s, s:b, s:s, s:s, s:s, s:s}", "result",
	                              result_name(r->result), "ready", r->ready, "step", r->step,
	                              "reason", r->reason, "directory", d->conf->cas[ca].directory,
	                              "probed_at", time_format(t, sizeof(t), r->probed_at)));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL)
		store_state_save(d->store, STORE_STATE_PROBE, text, strlen(text));
	free(text);
	json_decref(doc);
}

void daemon_probe_collect(struct daemon *d, time_t now)
{
	struct probe_task *t = d->probe_task;
	struct ca_ready *r;

	if (t == NULL || !atomic_load(&t->done))
		return;
	pthread_join(t->thread, NULL);
	d->probe_task = NULL;
	r = &d->ca_ready[t->ca];
	r->probed = 1;
	r->result = t->report.result;
	r->ready = t->report.result == RESULT_OK || t->report.result == RESULT_WARNING;
	r->probed_at = now;
	snprintf(r->step, sizeof(r->step), "%s", probe_step_name(t->report.step));
	snprintf(r->reason, sizeof(r->reason), "%s", t->report.reason ? t->report.reason : "");
	probe_state_save(d, t->ca);
	if (d->probe_timers != NULL)
		timers_set(d->probe_timers, t->ca, probe_next_at(d, now, 0));
	free(t);
}

int daemon_probe_next(const struct daemon *d, time_t *due)
{
	size_t id;

	if (d->probe_task != NULL || d->pending_reload || d->probe_timers == NULL)
		return 0; /* the probe's end wakes the loop */
	return timers_peek(d->probe_timers, &id, due);
}

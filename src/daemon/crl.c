/*
 * daemon/crl: holdfast run checks the CRL of every certificate that has no
 * OCSP responder (none in its AIA and no ocsp_backup) every crl_interval,
 * and at once when its ARI window's start passes (revocation/schedule.h has
 * the times).  The check is revocation/fetch's crl_fetch_check(), the path
 * `holdfast revocation` takes, with the store's CRL cache and conditional
 * GET, so a CRL that did not change costs a 304.
 *
 * What an answer does:
 * - revoked: site_revoked(), the very path an OCSP "revoked" staple takes
 *   (a CRITICAL certificate_revoked event, an immediate forced re-issue);
 * - good: nothing but the record;
 * - stale (only a CRL past its nextUpdate, not listing the certificate) or
 *   unknown (no CRL could be had or accepted: garbage, a bad signature, an
 *   outage): never a re-issue -- a CA that cannot publish its CRL has not
 *   revoked anything -- but a warning in the log, holdfast status and the
 *   metrics page.
 *
 * Scheduling has the shape of daemon/probe.c: d->crl_timers (the heap the
 * sites use) holds the sites to check, keyed by the next check, so the loop
 * pops what is due and never scans; one check runs at a time on a thread of
 * its own (fetching a CRL blocks, and may take a while for a large one); the
 * thread owns its copies of the leaf and the issuer and writes only its
 * struct crl_task, then wakes the loop, which joins it and applies the answer
 * to the site -- unless the site was reloaded meanwhile (a new certificate:
 * the answer was for the old one).  A site is eligible while it holds a real
 * certificate with a known issuer and no OCSP responder; one whose leaf names
 * no distribution point is noted once and not asked again until it changes.
 * The results go to STORE_STATE_CRL (state/crl.json), which holdfast status
 * reads: at once after a change of state, at most every STATE_WRITE_MAX_AGE
 * seconds otherwise.
 */
#include "daemon/internal.h"

#include <stdatomic.h>

#include "daemon/timers.h"
#include "revocation/fetch.h"
#include "revocation/schedule.h"
#include "util/log.h"
#include "util/timeutil.h"

#define CRL_TIMEOUT_MS 120000L /* a 64 MiB CRL over a slow link (as holdfast revocation) */

struct crl_task {
	struct daemon *d;
	size_t site;
	const char *name; /* the certificate's (the configuration outlives the task) */
	unsigned generation;
	X509 *cert, *issuer; /* the task's own */
	char *urls[CERT_URLS_MAX];
	size_t url_count;
	size_t max;
	time_t now;
	struct crl_answer answer;
	int rc;
	pthread_t thread;
	atomic_int done;
};

static const char *const crl_state_names[] = {"none", "good", "revoked", "stale", "unknown"};

static void crl_task_free(struct crl_task *t)
{
	size_t i;

	if (t == NULL)
		return;
	X509_free(t->cert);
	X509_free(t->issuer);
	for (i = 0; i < t->url_count; i++)
		free(t->urls[i]);
	free(t);
}

static void *crl_thread(void *arg)
{
	struct crl_task *t = arg;
	struct http_options opt;
	struct http_client *client;

	http_options_default(&opt);
	opt.body_limit = t->max;
	opt.timeout_ms = CRL_TIMEOUT_MS;
	client = http_client_new(&opt, NULL, NULL);
	t->rc = -1;
	if (client != NULL)
		t->rc = crl_fetch_check(client, t->d->store, t->name, t->urls, t->url_count, t->max,
		                        t->cert, t->issuer, t->now, &t->answer);
	http_client_free(client);
	atomic_store(&t->done, 1);
	daemon_wake(t->d->wake_fd);
	return NULL;
}

/* 1 when s is a certificate to check by CRL now. */
static int site_crl_eligible(const struct daemon *d, const struct site *s)
{
	return conf_cert_crl_interval(d->conf, s->cert) > 0 && s->have && !s->placeholder &&
	       s->issuer_cert != NULL && s->responder_count == 0 && !s->crl.no_dp;
}

/* Forget what s's CRL record says when it is about another load of s. */
static void site_crl_sync(struct daemon *d, struct site *s)
{
	time_t ari = s->crl.ari_start;
	int checking = s->crl.checking; /* its end drops the answer (another generation) */

	if (s->crl.generation == s->generation)
		return;
	if (s->crl.state != SITE_CRL_NONE)
		d->crl_state_dirty = 2; /* the old certificate's record goes */
	memset(&s->crl, 0, sizeof(s->crl));
	s->crl.generation = s->generation;
	s->crl.reason = -1;
	s->crl.ari_start = ari;
	s->crl.checking = checking;
}

void site_crl_schedule(struct daemon *d, struct site *s, time_t now)
{
	long interval = conf_cert_crl_interval(d->conf, s->cert);
	time_t next, cur;

	if (d->crl_timers == NULL)
		return;
	site_crl_sync(d, s);
	if (s->crl.checking)
		return; /* its end schedules it */
	if (!site_crl_eligible(d, s)) {
		timers_remove(d->crl_timers, s->id);
		return;
	}
	next = crl_next_check_at(now, s->crl.checked_at, s->crl.state != SITE_CRL_UNKNOWN, interval,
	                         jitter(), s->crl.ari_start);
	/* Only ever earlier: a site already waiting keeps its turn. */
	if (!timers_get(d->crl_timers, s->id, &cur) || next < cur)
		timers_set(d->crl_timers, s->id, next);
}

int daemon_crl_setup(struct daemon *d, time_t now)
{
	size_t i;

	d->crl_timers = timers_new(d->site_count ? d->site_count : 1);
	if (d->crl_timers == NULL)
		return -1;
	for (i = 0; i < d->site_count; i++)
		site_crl_schedule(d, &d->sites[i], now);
	return 0;
}

/* A task for s: its leaf and issuer copied, its distribution points; NULL
 * when out of memory or (s->crl.no_dp set) when it names none. */
static struct crl_task *crl_task_new(struct daemon *d, struct site *s, time_t now)
{
	const unsigned char *p = s->leaf;
	struct crl_task *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->d = d;
	t->site = s->id;
	t->name = s->cert->name;
	t->generation = s->generation;
	t->max = d->conf->crl_max_size;
	t->now = now;
	atomic_init(&t->done, 0);
	t->cert = d2i_X509(NULL, &p, (long)s->leaf_len);
	t->issuer = X509_dup(s->issuer_cert);
	if (t->cert == NULL || t->issuer == NULL) {
		crl_task_free(t);
		return NULL;
	}
	t->url_count = cert_crl_urls(t->cert, t->urls, 0, CERT_URLS_MAX);
	cert_serial_hex(t->cert, s->crl.serial, sizeof(s->crl.serial));
	if (t->url_count == 0) {
		s->crl.no_dp = 1;
		crl_task_free(t);
		return NULL;
	}
	return t;
}

void daemon_crl_dispatch(struct daemon *d, time_t now)
{
	struct crl_task *t;
	struct site *s;
	size_t id;

	while (d->crl_task == NULL && !d->pending_reload && d->crl_timers != NULL &&
	       timers_pop_due(d->crl_timers, now, &id)) {
		s = &d->sites[id];
		site_crl_sync(d, s);
		if (!site_crl_eligible(d, s))
			continue;
		t = crl_task_new(d, s, now);
		if (t == NULL) {
			if (s->crl.no_dp)
				log_info("crl_not_checked",
				         "cert=%s serial=%s reason=\"no CRL distribution point\"",
				         s->cert->name, s->crl.serial);
			else
				timers_set(d->crl_timers, id, now + 60); /* out of memory */
			continue;
		}
		if (pthread_create(&t->thread, NULL, crl_thread, t) != 0) {
			log_error("crl_check_failed", "cert=%s reason=\"cannot start a thread\"",
			          s->cert->name);
			crl_task_free(t);
			timers_set(d->crl_timers, id, now + 60);
			return;
		}
		s->crl.checking = 1;
		d->crl_task = t;
	}
}

/* Apply the ended check t to s (the load it was for). */
static void crl_outcome(struct daemon *d, struct site *s, struct crl_task *t, time_t now)
{
	const struct crl_answer *a = &t->answer;
	enum site_crl_state was = s->crl.state, st;
	char safe[300], t1[32], t2[32];

	s->crl.checked_at = now;
	s->crl.checks_total++;
	s->crl.error[0] = '\0';
	if (a->error_count > 0) {
		const struct crl_fetch_error *e = &a->errors[a->error_count - 1];
		snprintf(s->crl.error, sizeof(s->crl.error), "%s: %s: %s", e->url,
		         crl_error_name(e->error), log_safe(safe, sizeof(safe), e->detail));
	}
	if (t->rc != 0 || a->source == CRL_SOURCE_NONE) {
		st = SITE_CRL_UNKNOWN;
	} else {
		snprintf(s->crl.url, sizeof(s->crl.url), "%.255s", a->url); /* shown, not used */
		s->crl.this_update = a->verdict.this_update;
		s->crl.next_update = a->verdict.next_update;
		s->crl.revoked_at = a->verdict.revocation_time;
		s->crl.reason = a->verdict.revocation_reason;
		st = a->verdict.status == CRL_STATUS_REVOKED ? SITE_CRL_REVOKED
		     : a->verdict.stale                      ? SITE_CRL_STALE
		                                             : SITE_CRL_GOOD;
		if (st == SITE_CRL_STALE && s->crl.error[0] == '\0')
			snprintf(s->crl.error, sizeof(s->crl.error), "nextUpdate %s has passed",
			         time_format(t1, sizeof(t1), a->verdict.next_update));
	}
	s->crl.state = st;
	d->crl_state_dirty = st != was ? 2 : d->crl_state_dirty ? d->crl_state_dirty : 1;
	switch (st) {
	case SITE_CRL_GOOD:
		log_info("crl_checked",
		         "cert=%s serial=%s url=\"%s\" status=good this_update=%s "
		         "next_update=%s source=%s",
		         s->cert->name, s->crl.serial, log_safe(safe, sizeof(safe), s->crl.url),
		         time_format(t1, sizeof(t1), s->crl.this_update),
		         time_format(t2, sizeof(t2), s->crl.next_update),
		         crl_source_name(a->source));
		break;
	case SITE_CRL_STALE:
		log_warn("crl_stale", "cert=%s serial=%s url=\"%s\" next_update=%s action=none",
		         s->cert->name, s->crl.serial, log_safe(safe, sizeof(safe), s->crl.url),
		         time_format(t1, sizeof(t1), s->crl.next_update));
		break;
	case SITE_CRL_UNKNOWN:
		log_warn("crl_unknown", "cert=%s serial=%s action=none error=\"%s\"", s->cert->name,
		         s->crl.serial, s->crl.error);
		break;
	case SITE_CRL_REVOKED:
		site_revoked(d, s, "crl", s->crl.serial, crl_reason_name(s->crl.reason));
		break;
	case SITE_CRL_NONE:
		break;
	}
}

/* state/crl.json: every site's last check, by certificate name. */
static void crl_state_write(struct daemon *d, time_t now)
{
	json_t *doc = json_object();
	char t1[32], t2[32], t3[32], t4[32], *text;
	size_t i;

	d->crl_state_written = now;
	d->crl_state_dirty = 0;
	if (doc == NULL)
		return;
	for (i = 0; i < d->site_count; i++) {
		const struct site *s = &d->sites[i];
		const struct site_crl *c = &s->crl;
		int answered = c->state == SITE_CRL_GOOD || c->state == SITE_CRL_REVOKED ||
		               c->state == SITE_CRL_STALE;
		if (c->state == SITE_CRL_NONE || c->generation != s->generation)
			continue;
		json_object_set_new(
		    doc, s->cert->name,
		    json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o}", "state",
		              crl_state_names[c->state], "serial", c->serial, "checked_at",
		              time_format(t1, sizeof(t1), c->checked_at), "this_update",
		              answered ? json_string(time_format(t2, sizeof(t2), c->this_update))
		                       : json_null(),
		              "next_update",
		              answered ? json_string(time_format(t3, sizeof(t3), c->next_update))
		                       : json_null(),
		              "url", answered ? json_string(c->url) : json_null(), "error",
		              c->error, "source", "crl", "revoked_at",
		              c->state == SITE_CRL_REVOKED
		                  ? json_string(time_format(t4, sizeof(t4), c->revoked_at))
		                  : json_null(),
		              "reason",
		              c->state == SITE_CRL_REVOKED ? json_string(crl_reason_name(c->reason))
		                                           : json_null()));
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL)
		store_state_save(d->store, STORE_STATE_CRL, text, strlen(text));
	free(text);
	json_decref(doc);
}

/* When state/crl.json is next due: at once after a change of state, else
 * STATE_WRITE_MAX_AGE after the last write; 0 when nothing to write. */
static time_t crl_state_due(const struct daemon *d)
{
	if (!d->crl_state_dirty)
		return 0;
	return d->crl_state_dirty == 2 ? d->crl_state_written + STATE_WRITE_EVERY
	                               : d->crl_state_written + STATE_WRITE_MAX_AGE;
}

void daemon_crl_collect(struct daemon *d, time_t now)
{
	struct crl_task *t = d->crl_task;
	time_t due;

	if (t != NULL && atomic_load(&t->done)) {
		struct site *s = &d->sites[t->site];
		pthread_join(t->thread, NULL);
		d->crl_task = NULL;
		s->crl.checking = 0;
		if (t->generation == s->generation)
			crl_outcome(d, s, t, now);
		crl_task_free(t);
		site_crl_schedule(d, s, now);
		site_schedule(d, s); /* a revocation made its issuance due */
	}
	due = crl_state_due(d);
	if (due != 0 && now >= due)
		crl_state_write(d, now);
}

void daemon_crl_teardown(struct daemon *d)
{
	if (d->crl_task != NULL) {
		pthread_join(d->crl_task->thread, NULL);
		crl_task_free(d->crl_task);
		d->crl_task = NULL;
	}
	if (d->crl_state_dirty && d->store != NULL)
		crl_state_write(d, time(NULL)); /* a stop or a reload: what is not written yet */
	timers_free(d->crl_timers);
	d->crl_timers = NULL;
}

int daemon_crl_next(const struct daemon *d, time_t *due)
{
	time_t w = crl_state_due(d), t;
	size_t id;
	int any = 0;

	if (w != 0) {
		*due = w;
		any = 1;
	}
	if (d->crl_task != NULL || d->pending_reload || d->crl_timers == NULL)
		return any; /* the check's end wakes the loop */
	if (timers_peek(d->crl_timers, &id, &t) && (!any || t < *due)) {
		*due = t;
		any = 1;
	}
	return any;
}

void site_revoked(struct daemon *d, struct site *s, const char *source, const char *serial,
                  const char *reason)
{
	log_error("certificate_revoked", "cert=%s serial=%s action=reissue source=%s reason=%s",
	          s->cert->name, serial, source, reason);
	s->force_issue = 1;
	s->issue_next = time(NULL);
	site_changed(d, s);
}

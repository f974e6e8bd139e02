/*
 * daemon/loop: holdfast run's loop, setup and reload; see daemon.h for what it
 * guarantees.
 *
 * Design: one thread runs the loop; it owns every struct site and the HTTP
 * client that fetches staples (so no locking around staple state).  Issuance
 * is blocking protocol code, so each issuance runs on its own thread with a
 * struct issue_job that only that thread writes until it sets job_done; the
 * loop then joins it and reloads the certificate from the store.  Signals
 * only set flags; the loop wakes at least once a second and sooner when a
 * timer is due.  A configuration reload waits until no issuance and no fetch
 * is in flight, so nothing ever refers to the old configuration.
 *
 * Start and memory (bench/daemon: 100,000 certificates).  A site keeps its
 * leaf as DER with the few fields the loop reads (expiry, placeholder,
 * renewal time, responder URLs), its staple's DER and times, and a pointer to
 * its issuer, which d->cacerts decodes once for every site it issued.
 * Nothing else stays in memory: fullchain.pem and privkey.pem are read from
 * the store's version directory when deploying, and the leaf is decoded again
 * (without its public key: see cert_leaf in cert.h) when a fetched staple is
 * checked, once per half validity.  At start every site is loaded and
 * re-validated -- the leaf's signature by its issuer, the staple's signature,
 * CertID and times -- on up to eight threads per core (site_load() touches
 * only its own site and the locked cacerts set), then the loop's thread
 * deploys them in order.  The private key is not decoded (OpenSSL 3.0 takes
 * ~310 us per key) nor even read at start: privkey.pem must be a regular
 * file, and is checked to hold a PEM private key when it is deployed.  The
 * key/certificate match is left to issuance, which made the pair, and to
 * holdfast status, which decodes both.
 */

#include <errno.h>
#include <sys/wait.h>

#include "daemon/internal.h"
#include "daemon/metrics.h"
#include "deploy/privsep.h"
#include "ocsp/responder.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "x509/cacerts.h"

static volatile sig_atomic_t got_hup, got_term;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void sites_free(struct daemon *d)
{
	size_t i;

	daemon_state_forget(d); /* before the sites it marks */
	for (i = 0; i < d->site_count; i++) {
		site_unload(&d->sites[i]);
		free(d->sites[i].staple_error);
		free(d->sites[i].issue_error);
	}
	free(d->sites);
	free(d->by_name);
	d->sites = NULL;
	d->by_name = NULL;
	d->site_count = 0;
}

/* The sites loaded at start: each thread takes the next one until none is left. */
struct sites_loader {
	struct daemon *d;
	time_t now;
	atomic_size_t next;
};

static void *sites_load_worker(void *arg)
{
	struct sites_loader *l = arg;
	size_t i;

	while ((i = atomic_fetch_add(&l->next, 1)) < l->d->site_count)
		site_load(l->d, &l->d->sites[i], l->now);
	return NULL;
}

/* Load and check every site on START_THREADS_CORE threads per core this
 * process may use (this one included), START_THREADS_MAX at most: checking
 * is CPU work, but after a reboot the store is read from disk, three small
 * files per site, and a thread waiting for one leaves its core to another.
 * A configuration of a few sites stays on this thread. */
static void sites_load_all(struct daemon *d, time_t now)
{
	struct sites_loader l = {.d = d, .now = now};
	pthread_t threads[START_THREADS_MAX];
	size_t want = 1, started = 0, i;
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0)
		want = (size_t)CPU_COUNT(&cpus) * START_THREADS_CORE;
	if (want > START_THREADS_MAX)
		want = START_THREADS_MAX;
	if (want > d->site_count / START_SITES_MIN)
		want = d->site_count / START_SITES_MIN;
	atomic_init(&l.next, 0);
	for (i = 1; i < want; i++)
		if (pthread_create(&threads[started], NULL, sites_load_worker, &l) == 0)
			started++;
	sites_load_worker(&l);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

static int by_name_cmp(const void *a, const void *b, void *sites)
{
	const struct site *s = sites;

	return strcmp(s[*(const size_t *)a].cert->name, s[*(const size_t *)b].cert->name);
}

/* Build sites for conf, load the store and deploy what is valid (no network). */
static int daemon_setup(struct daemon *d, struct conf *conf)
{
	char err[CONF_ERROR_MAX];
	time_t now = time(NULL);
	size_t i;

	d->conf = conf;
	d->store = store_open(conf, STORE_CREATE, err, sizeof(err));
	if (d->store == NULL) {
		log_error("store_unusable", "store=%s reason=\"%s\"", conf->store, strerror(errno));
		return -1;
	}
	d->iss = issuer_new(conf, d->store, err, sizeof(err));
	if (d->iss == NULL) {
		log_error("issuer_failed", "reason=\"%s\"", err);
		return -1;
	}
	d->sites = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->sites));
	d->by_name = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->by_name));
	d->cacerts = cacerts_new();
	d->ca_ok_total = calloc(conf->ca_count + 1, sizeof(*d->ca_ok_total));
	d->ca_failed_total = calloc(conf->ca_count + 1, sizeof(*d->ca_failed_total));
	if (d->sites == NULL || d->by_name == NULL || d->cacerts == NULL ||
	    d->ca_ok_total == NULL || d->ca_failed_total == NULL)
		return -1;
	if (conf->metrics_listen != NULL) {
		d->metrics = metrics_start(conf->metrics_listen);
		if (d->metrics == NULL)
			return -1;
	}
	if (conf->ocsp_listen != NULL &&
	    ((d->ocspd = ocspd_new()) == NULL || ocspd_listen(d->ocspd, conf->ocsp_listen) != 0))
		return -1;
	d->site_count = conf->cert_count;
	for (i = 0; i < conf->cert_count; i++) {
		d->sites[i].cert = &conf->certs[i];
		d->by_name[i] = i;
	}
	qsort_r(d->by_name, d->site_count, sizeof(*d->by_name), by_name_cmp, d->sites);
	sites_load_all(d, now);
	for (i = 0; i < conf->cert_count; i++) {
		struct site *s = &d->sites[i];
		/* Issue at once what is missing, a placeholder or already due. */
		s->issue_next = !s->have || s->placeholder || s->renew_at == 0 ? now : s->renew_at;
		if (s->cert->cas.count > 0 && issuer_listen(d->iss, s->cert) != 0)
			log_error("http01_unavailable", "cert=%s listen=%s", s->cert->name,
			          s->cert->http_listen);
		site_deploy(d, s, "start");
		log_info("certificate_loaded", "cert=%s present=%d placeholder=%d staple=%s",
		         s->cert->name, s->have, s->have && s->placeholder,
		         s->staple_ok ? "valid" : "none");
	}
	d->dirty = 1;
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].issuing) {
			pthread_join(d->sites[i].thread, NULL);
			d->sites[i].issuing = 0;
			free(d->sites[i].job);
			d->sites[i].job = NULL;
		}
	}
	http_client_free(d->http);
	d->http = NULL;
	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].fetch != NULL)
			daemon_staple_fetch_end(d, &d->sites[i]);
	}
	d->fetches = 0;
	sites_free(d);
	cacerts_free(d->cacerts); /* after the sites, which borrow from it */
	d->cacerts = NULL;
	issuer_free(d->iss);
	d->iss = NULL;
	store_free(d->store); /* after the sites and the issuer, which use it */
	d->store = NULL;
	metrics_stop(d->metrics);
	d->metrics = NULL;
	ocspd_free(d->ocspd);
	d->ocspd = NULL;
	free(d->ca_ok_total);
	free(d->ca_failed_total);
	d->ca_ok_total = d->ca_failed_total = NULL;
}

static int daemon_http_new(struct daemon *d)
{
	struct http_options opt;

	http_options_default(&opt);
	d->http = http_client_new(&opt, daemon_staple_on_response, d);
	return d->http ? 0 : -1;
}

int daemon_main(const char *conf_path)
{
	struct daemon d;
	struct sigaction sa;
	char err[CONF_ERROR_MAX];
	struct conf *conf;
	int pending_reload = 0;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.conf_path = conf_path;
	d.started = time(NULL);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast run: %s\n", err);
		return RESULT_UNKNOWN;
	}
	if (conf->log_syslog)
		log_use_syslog();
	if (conf->user != NULL && privsep_start(conf->user, conf_path) != 0) {
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_http_new(&d) != 0 || daemon_setup(&d, conf) != 0) {
		daemon_teardown(&d);
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	d.audit_next = time(NULL) + AUDIT_FIRST_DELAY;
	log_warn("daemon_started", "pid=%d config=%s certificates=%zu", (int)getpid(), conf_path,
	         d.site_count);
	daemon_state_write(&d, time(NULL));
	daemon_metrics_render(&d, time(NULL));

	while (!got_term) {
		time_t now = time(NULL);
		int wait_ms = DAEMON_TICK_MS;

		if (got_hup) {
			got_hup = 0;
			pending_reload = 1;
			log_warn("reload_requested", "config=%s", conf_path);
		}
		for (i = 0; i < d.site_count; i++) {
			struct site *s = &d.sites[i];
			if (s->issuing && atomic_load(&s->job_done))
				daemon_issue_finish(&d, s, now);
			if (s->staple_ok &&
			    now >= staple_withdraw_at(s->sv.this_update, s->sv.next_update)) {
				char t[32];
				s->staple_ok = 0;
				site_changed(&d, s);
				log_error("staple_expired",
				          "cert=%s action=withdrawn next_update=%s", s->cert->name,
				          time_format(t, sizeof(t), s->sv.next_update));
				site_deploy(&d, s, "staple");
			}
			if (s->deploy_failed && now >= s->deploy_retry_at)
				site_deploy(&d, s, "retry");
			if (s->verify_at != 0 && now >= s->verify_at)
				site_verify(&d, s, now);
			if (pending_reload)
				continue; /* start nothing new until the reload */
			if (!s->issuing && s->cert->cas.count > 0 && now >= s->issue_next &&
			    d.issuing < ISSUE_PARALLEL)
				daemon_issue_start(&d, s);
			if (s->fetch == NULL && s->responder_count > 0 && now >= s->staple_next)
				daemon_staple_start(&d, s);
		}
		if (pending_reload) {
			int busy = d.fetches > 0;
			for (i = 0; i < d.site_count; i++)
				busy |= d.sites[i].issuing;
			if (!busy) {
				struct conf *fresh = conf_load(conf_path, err, sizeof(err));
				pending_reload = 0;
				if (fresh == NULL) {
					char safe[CONF_ERROR_MAX];
					log_error("reload_refused",
					          "reason=\"%s\" action=\"kept the running "
					          "configuration\"",
					          log_safe(safe, sizeof(safe), err));
				} else {
					daemon_teardown(&d);
					conf_free(d.conf);
					conf = fresh;
					if (daemon_http_new(&d) != 0 ||
					    daemon_setup(&d, conf) != 0) {
						log_error("reload_failed", "config=%s", conf_path);
						break;
					}
					log_warn("reloaded", "config=%s certificates=%zu",
					         conf_path, d.site_count);
				}
			}
		}
		if (d.audit_pid > 0)
			daemon_audit_poll(&d);
		else if (!pending_reload && d.conf->audit_interval > 0 && d.site_count > 0 &&
		         now >= d.audit_next)
			daemon_audit_start(&d);
		daemon_state_tick(&d, now);
		if (now - d.metrics_rendered >= STATE_WRITE_EVERY)
			daemon_metrics_render(&d, now);
		if (d.fetches > 0) {
			http_client_step(d.http, wait_ms);
		} else {
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	log_warn("daemon_stopping", "reason=signal");
	daemon_audit_stop(&d);
	daemon_state_write(&d, time(NULL));
	daemon_teardown(&d);
	conf_free(d.conf);
	return RESULT_OK;
}

/*
 * daemon/loop: holdfast run's loop, setup and reload; see daemon.h for what it
 * guarantees.
 *
 * Design: one thread runs the loop; it owns every struct site and the HTTP
 * client that fetches staples (so no locking around staple state).  Each
 * fetch is an ocsp/fetch, as for holdfast staple, with its own completion
 * callback (staples.c).  Issuance is blocking protocol code, so each
 * issuance runs on its own thread with a struct issue_task that only that thread writes until it
 * hands it back on d->done and wakes the loop (issuance.c); the loop then joins it and reloads the
 * certificate from the store.  What each site does next is in a timer heap (schedule.c): the loop
 * pops the sites that are due, never scans them all, and sleeps in the HTTP client's poll until the
 * soonest of the next due site, a staple answer, an ended issuance or a signal (both write the
 * eventfd d->wake_fd), the audit child's output, or the next state write.
 * Signals only set flags and wake the loop.  A configuration reload waits
 * until no issuance and no fetch is in flight, so nothing ever refers to the
 * old configuration.
 *
 * Start and memory (bench/daemon: 100,000 certificates).  A site keeps its
 * leaf as DER with the few fields the loop reads (expiry, placeholder,
 * renewal time, responder URLs), its staple's DER and times, and a pointer to
 * its issuer, which d->cacerts decodes once for every site it issued.
 * Nothing else stays in memory: fullchain.pem and privkey.pem are read from
 * the store's version directory when deploying, and the leaf is decoded again
 * (without its public key: see cert_leaf in cert.h) while a staple fetch is
 * in flight, once per half validity.  At start every site is loaded and
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
#include <limits.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "daemon/internal.h"
#include "daemon/metrics.h"
#include "daemon/timers.h"
#include "deploy/privsep.h"
#include "ocsp/responder.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/timeutil.h"
#include "x509/cacerts.h"

static volatile sig_atomic_t got_hup, got_term;
static int signal_wake_fd = -1; /* the running daemon's wake_fd */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	daemon_wake(signal_wake_fd);
}

static void sites_free(struct daemon *d)
{
	size_t i;

	daemon_state_forget(d); /* before the sites it marks */
	for (i = 0; i < d->site_count; i++) {
		site_unload(&d->sites[i]);
		free(d->sites[i].staple_error);
		free(d->sites[i].issue_error);
		free(d->sites[i].deploy_targets);
		free(d->sites[i].verify_error);
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

/* The issuer asks before a failover: skip a later CA that CAA forbids (the
 * order would be refused); a lookup that fails does not stop it (the CA
 * decides then). */
static int daemon_caa_check(void *ctx, const struct conf *conf, const struct conf_cert *cert,
                            const char *ca_name, char *why, size_t whylen)
{
	struct daemon *d = ctx;
	enum audit_caa_answer a;

	pthread_mutex_lock(&d->caa_lock);
	a = audit_caa_may_issue(conf, cert, ca_name, why, whylen);
	pthread_mutex_unlock(&d->caa_lock);
	return a != AUDIT_CAA_REFUSED;
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
	issuer_set_ca_check(d->iss, daemon_caa_check, d);
	d->sites = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->sites));
	d->by_name = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->by_name));
	d->cacerts = cacerts_new();
	d->ca_ok_total = calloc(conf->ca_count + 1, sizeof(*d->ca_ok_total));
	d->ca_failed_total = calloc(conf->ca_count + 1, sizeof(*d->ca_failed_total));
	d->timers = timers_new(conf->cert_count);
	if (d->sites == NULL || d->by_name == NULL || d->cacerts == NULL || d->timers == NULL ||
	    d->ca_ok_total == NULL || d->ca_failed_total == NULL || daemon_probe_setup(d, now) != 0)
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
		d->sites[i].id = i;
		d->by_name[i] = i;
	}
	qsort_r(d->by_name, d->site_count, sizeof(*d->by_name), by_name_cmp, d->sites);
	if (daemon_fleet_setup(d, now) != 0)
		return -1;
	daemon_fleet_pull_all(d, now); /* what the fleet issued, before it is loaded */
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
	daemon_schedule_all(d);
	if (daemon_crl_setup(d, now) != 0)
		return -1;
	d->dirty = 1;
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	size_t i;

	daemon_issue_join_all(d);
	daemon_fleet_teardown(d); /* after the issuances, whose leases it gives back */
	daemon_probe_teardown(d); /* before the store and the configuration it uses */
	daemon_crl_teardown(d);   /* likewise, and before the sites it reads */
	http_client_free(d->http);
	d->http = NULL;
	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].fetch != NULL)
			daemon_staple_fetch_end(d, &d->sites[i]);
	}
	d->fetches = 0;
	sites_free(d);
	timers_free(d->timers);
	d->timers = NULL;
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
	d->http = http_client_new(&opt, NULL, NULL); /* each fetch has its callback */
	return d->http ? 0 : -1;
}

/* Milliseconds from now_ms until second t (0 when it has come). */
static long ms_until(long long now_ms, time_t t)
{
	long long ms = (long long)t * 1000 - now_ms;

	return ms < 0 ? 0 : ms > LONG_MAX ? LONG_MAX : (long)ms;
}

/* How long the loop may sleep: until the soonest thing it must do itself. */
static int loop_wait_ms(const struct daemon *d)
{
	struct timespec ts;
	long long now_ms;
	long wait = DAEMON_IDLE_MAX_MS, w;
	time_t due;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (d->pending_reload || d->audit_pid > 0)
		wait = DAEMON_WAIT_MAX_MS;
	if (daemon_next_due(d, &due) && (w = ms_until(now_ms, due)) < wait)
		wait = w;
	if ((w = ms_until(now_ms, daemon_state_due(d))) < wait)
		wait = w;
	if (daemon_probe_next(d, &due) && (w = ms_until(now_ms, due)) < wait)
		wait = w;
	if (daemon_crl_next(d, &due) && (w = ms_until(now_ms, due)) < wait)
		wait = w;
	if (daemon_fleet_next(d, &due) && (w = ms_until(now_ms, due)) < wait)
		wait = w;
	if (d->metrics != NULL &&
	    (w = ms_until(now_ms, d->metrics_rendered + STATE_WRITE_EVERY)) < wait)
		wait = w;
	if (d->audit_pid <= 0 && d->conf->audit_interval > 0 && d->site_count > 0 &&
	    (w = ms_until(now_ms, d->audit_next)) < wait)
		wait = w;
	return (int)wait;
}

/* Sleep until something is due, an answer comes or the loop is woken. */
static void loop_wait(struct daemon *d)
{
	struct curl_waitfd fds[3];
	unsigned int n = 0;
	uint64_t count;
	int fleet_fd = daemon_fleet_fd(d);

	fds[n++] = (struct curl_waitfd){.fd = d->wake_fd, .events = CURL_WAIT_POLLIN};
	if (fleet_fd >= 0) /* a notification from the fleet's database */
		fds[n++] = (struct curl_waitfd){.fd = fleet_fd, .events = CURL_WAIT_POLLIN};
	if (d->audit_pid > 0 && d->audit_fd >= 0)
		fds[n++] = (struct curl_waitfd){.fd = d->audit_fd, .events = CURL_WAIT_POLLIN};
	/* First hand finished answers to their callbacks (which reschedule
	 * their sites), then sleep for as long as the schedule now allows. */
	if (http_client_step(d->http, 0) < 0 ||
	    http_client_wait(d->http, fds, n, loop_wait_ms(d)) < 0) {
		struct timespec ts = {0, 200 * 1000000L}; /* curl failed: do not spin */
		nanosleep(&ts, NULL);
	}
	if (read(d->wake_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nobody woke us */
	}
}

/* Reload once nothing is in flight: 0, or -1 when the new setup failed. */
static int loop_reload(struct daemon *d)
{
	char err[CONF_ERROR_MAX];
	struct conf *fresh;

	if (d->fetches > 0 || d->issuing > 0 || d->probe_task != NULL || d->crl_task != NULL)
		return 0;
	d->pending_reload = 0;
	fresh = conf_load(d->conf_path, err, sizeof(err));
	if (fresh != NULL && fresh->cert_count == 0) {
		snprintf(err, sizeof(err), "%s: no certificates configured", d->conf_path);
		conf_free(fresh);
		fresh = NULL;
	}
	if (fresh == NULL) {
		char safe[CONF_ERROR_MAX];
		log_error("reload_refused",
		          "reason=\"%s\" action=\"kept the running configuration\"",
		          log_safe(safe, sizeof(safe), err));
		daemon_schedule_all(d); /* starts were left out while it was pending */
		return 0;
	}
	daemon_teardown(d);
	conf_free(d->conf);
	d->conf = fresh; /* daemon_setup() sets it again; freed at exit if it fails */
	if (daemon_http_new(d) != 0 || daemon_setup(d, fresh) != 0) {
		log_error("reload_failed", "config=%s", d->conf_path);
		return -1;
	}
	log_warn("reloaded", "config=%s certificates=%zu", d->conf_path, d->site_count);
	return 0;
}

int daemon_main(const char *conf_path)
{
	struct daemon d;
	struct sigaction sa;
	char err[CONF_ERROR_MAX];
	struct conf *conf;
	int rc = RESULT_OK;

	memset(&d, 0, sizeof(d));
	d.conf_path = conf_path;
	d.started = time(NULL);
	d.audit_fd = -1;
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast run: %s\n", err);
		return RESULT_UNKNOWN;
	}
	if (conf->cert_count == 0) {
		/* A daemon with nothing to keep would run "fine" forever. */
		fprintf(stderr, "holdfast run: %s: no certificates configured\n", conf_path);
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	if (conf->log_syslog)
		log_use_syslog();
	if (conf->user != NULL && privsep_start(conf->user, conf_path) != 0) {
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	/* Before any thread: Landlock binds the calling thread and what it
	 * starts afterwards (daemon/sandbox.c). */
	if (daemon_sandbox_start(conf, conf_path) != 0) {
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	d.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d.wake_fd < 0 || pthread_mutex_init(&d.done_lock, NULL) != 0 ||
	    pthread_mutex_init(&d.caa_lock, NULL) != 0) {
		log_error("daemon_failed", "reason=\"%s\"", strerror(errno));
		conf_free(conf);
		return RESULT_UNKNOWN;
	}
	signal_wake_fd = d.wake_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_http_new(&d) != 0 || daemon_setup(&d, conf) != 0) {
		rc = RESULT_UNKNOWN;
		goto out;
	}
	d.audit_next = time(NULL) + AUDIT_FIRST_DELAY;
	log_warn("daemon_started", "pid=%d config=%s certificates=%zu", (int)getpid(), conf_path,
	         d.site_count);
	daemon_state_write(&d, time(NULL));
	daemon_metrics_render(&d, time(NULL));

	while (!got_term) {
		time_t now = time(NULL);

		if (got_hup) {
			got_hup = 0;
			d.pending_reload = 1;
			log_warn("reload_requested", "config=%s", conf_path);
		}
		daemon_issue_collect(&d, now);
		daemon_probe_collect(&d, now);
		daemon_crl_collect(&d, now);
		daemon_fleet_tick(&d, now);
		daemon_dispatch_due(&d, now);
		daemon_probe_dispatch(&d, now);
		daemon_crl_dispatch(&d, now);
		if (d.pending_reload && loop_reload(&d) != 0) {
			rc = RESULT_UNKNOWN;
			break;
		}
		if (spawn_helper_lost()) {
			/* No reload could reach a web server again (util/spawn.h). */
			log_error("daemon_failed", "reason=\"the spawn helper is gone\"");
			rc = RESULT_UNKNOWN;
			break;
		}
		if (d.audit_pid > 0)
			daemon_audit_poll(&d);
		else if (!d.pending_reload && d.conf->audit_interval > 0 && d.site_count > 0 &&
		         now >= d.audit_next)
			daemon_audit_start(&d);
		daemon_state_tick(&d, now);
		if (now - d.metrics_rendered >= STATE_WRITE_EVERY)
			daemon_metrics_render(&d, now);
		loop_wait(&d);
	}
	if (got_term) {
		log_warn("daemon_stopping", "reason=signal");
		daemon_audit_stop(&d);
		daemon_state_stop(&d, time(NULL));
	}
out:
	signal_wake_fd = -1;
	daemon_teardown(&d);
	conf_free(d.conf != NULL ? d.conf : conf);
	close(d.wake_fd);
	pthread_mutex_destroy(&d.done_lock);
	pthread_mutex_destroy(&d.caa_lock);
	return rc;
}

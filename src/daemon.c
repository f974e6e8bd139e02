/*
 * daemon: see daemon.h for what it guarantees.
 *
 * Design: one thread runs the loop; it owns every struct site and the HTTP
 * client that fetches staples (so no locking around staple state).  Issuance
 * is blocking protocol code, so each issuance runs on its own thread with a
 * struct issue_job that only that thread writes until it sets job_done; the
 * loop then joins it and reloads the certificate from the store.  Signals
 * only set flags; the loop wakes at least once a second and sooner when a
 * timer is due.  A configuration reload waits until no issuance and no fetch
 * is in flight, so nothing ever refers to the old configuration.
 */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "cert.h"
#include "certstore.h"
#include "cli/cli.h"
#include "conf.h"
#include "buf.h"
#include "deploy.h"
#include "http.h"
#include "issuer.h"
#include "log.h"
#include "metrics.h"
#include "ocsp.h"
#include "privsep.h"
#include "store.h"
#include "timeutil.h"

#define SITE_URLS_MAX     (CERT_URLS_MAX + 8)
#define DAEMON_TICK_MS    1000
#define ISSUE_PARALLEL    4 /* issuance threads at once; the rest wait their turn */
#define STATE_WRITE_EVERY 2 /* seconds between state file writes */
#define ISSUE_RETRY_MAX   3600L
#define STAPLE_MARGIN_MAX 300L /* stop relying on a staple this long before it expires */
#define PEM_FILE_MAX      (1024 * 1024)
#define DEPLOY_RETRY      5 /* seconds between attempts after a failed deploy */
#define VERIFY_TRIES      5 /* checks of a deploy, a second apart, before it is an error */

static volatile sig_atomic_t got_hup, got_term;

struct site {
	const struct conf_cert *cert;
	struct issuer *iss;
	/* the certificate in the store */
	int have;
	struct cert_info ci;
	X509 *issuer_cert; /* borrowed from ci.chain */
	char *fullchain;
	size_t fullchain_len;
	char *key_pem;
	size_t key_len;
	char *urls[SITE_URLS_MAX];
	size_t url_count;
	unsigned char *ocsp_request;
	size_t ocsp_request_len;
	/* its staple */
	unsigned char *staple;
	size_t staple_len;
	struct ocsp_verdict sv;
	int staple_ok;
	time_t staple_next;
	long staple_backoff;
	int staple_failures;
	char staple_error[256];
	struct http_request *req;
	size_t url_next;
	/* issuance */
	time_t issue_next;
	long issue_backoff;
	int force_issue;
	int issuing;
	pthread_t thread;
	struct issue_job *job; /* only while issuing */
	atomic_int job_done;
	char issue_error[512];
	/* counters for the metrics */
	unsigned long staple_ok_total, staple_failed_total;
	unsigned long url_failed_total[SITE_URLS_MAX];
	unsigned long issue_ok_total, issue_failed_total;
	/* deployment */
	int deploy_failed;
	time_t deploy_retry_at;
	time_t verify_at; /* 0: nothing to verify */
	int verify_tries;
};

struct daemon {
	const char *conf_path;
	struct conf *conf;
	struct issuer *iss;
	struct http_client *http;
	struct site *sites;
	size_t site_count;
	size_t fetches; /* staple requests in flight */
	size_t issuing; /* issuance threads running */
	struct metrics_server *metrics;
	/* the periodic audit, run as a child: holdfast audit --json */
	pid_t audit_pid;
	int audit_fd;
	struct buf audit_out;
	time_t audit_next;
	unsigned long audit_counts[5]; /* by severity: ok info warning unknown critical */
	int audit_done;
	unsigned long *ca_ok_total, *ca_failed_total; /* per conf->cas[] */
	int dirty;                                    /* state file needs writing */
	time_t state_written;
	time_t started;
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static long staple_margin(const struct ocsp_verdict *v)
{
	long window = (long)(v->next_update - v->this_update);
	long m = window / 10;

	return m < STAPLE_MARGIN_MAX ? m : STAPLE_MARGIN_MAX;
}

static double jitter(void)
{
	return (double)arc4random_uniform(1000000) / 1e6;
}

static void site_unload(struct site *s)
{
	size_t i;

	cert_info_free(&s->ci);
	s->have = 0;
	s->issuer_cert = NULL;
	if (s->key_pem != NULL)
		OPENSSL_cleanse(s->key_pem, s->key_len);
	free(s->key_pem);
	free(s->fullchain);
	s->key_pem = s->fullchain = NULL;
	for (i = 0; i < s->url_count; i++)
		free(s->urls[i]);
	s->url_count = 0;
	free(s->ocsp_request);
	s->ocsp_request = NULL;
	free(s->staple);
	s->staple = NULL;
	s->staple_ok = 0;
}

static int site_path(const struct daemon *d, const struct site *s, const char *file, char *dst,
                     size_t len)
{
	int n = snprintf(dst, len, "%s/certificates/%s/%s", d->conf->store, s->cert->name, file);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Load the certificate, its files and its stored staple; no network. */
static void site_load(struct daemon *d, struct site *s, time_t now)
{
	char path[PATH_MAX];
	unsigned char *data = NULL;
	size_t len = 0, i;

	site_unload(s);
	if (certstore_load(d->conf->store, s->cert->name, &s->ci) != 0)
		return;
	if (site_path(d, s, "fullchain.pem", path, sizeof(path)) != 0 ||
	    store_read_file(path, PEM_FILE_MAX, (unsigned char **)&s->fullchain,
	                    &s->fullchain_len) != 0 ||
	    site_path(d, s, "privkey.pem", path, sizeof(path)) != 0 ||
	    store_read_file(path, PEM_FILE_MAX, (unsigned char **)&s->key_pem, &s->key_len) != 0) {
		log_warn("certificate_unreadable", "cert=%s", s->cert->name);
		site_unload(s);
		return;
	}
	s->have = 1;
	if (s->ci.placeholder || now >= s->ci.not_after)
		return; /* nothing to staple */
	if (sk_X509_num(s->ci.chain) > 0)
		s->issuer_cert = sk_X509_value(s->ci.chain, 0);
	s->url_count = cert_ocsp_urls(s->ci.cert, s->urls, 0, CERT_URLS_MAX);
	for (i = 0; i < s->cert->ocsp_backup.count && s->url_count < SITE_URLS_MAX; i++) {
		s->urls[s->url_count] = strdup(s->cert->ocsp_backup.items[i]);
		if (s->urls[s->url_count] != NULL)
			s->url_count++;
	}
	if (s->issuer_cert == NULL || s->url_count == 0 ||
	    ocsp_request_der_new(s->ci.cert, s->issuer_cert, &s->ocsp_request,
	                         &s->ocsp_request_len) != 0) {
		s->url_count = 0; /* cannot staple this one */
		return;
	}
	if (site_path(d, s, "staple.ocsp", path, sizeof(path)) == 0 &&
	    store_read_file(path, OCSP_RESPONSE_MAX, &data, &len) == 0) {
		if (ocsp_response_check(data, len, s->ci.cert, s->issuer_cert, now, &s->sv) ==
		        STAPLE_OK &&
		    now < staple_withdraw_at(s->sv.this_update, s->sv.next_update)) {
			s->staple = data;
			s->staple_len = len;
			s->staple_ok = 1;
			data = NULL;
		}
		free(data);
	}
	s->staple_next =
	    s->staple_ok ? staple_refresh_at(s->sv.this_update, s->sv.next_update, jitter()) : now;
}

static void site_deploy(struct daemon *d, struct site *s, const char *event)
{
	struct deploy_input in;
	int changed = 0;

	if (!s->have || (s->cert->deploy.count == 0 && s->cert->deploy_hook == NULL))
		return;
	if (s->cert->must_staple && !s->staple_ok) {
		log_warn("deploy_held", "cert=%s reason=\"must_staple and no valid staple\"",
		         s->cert->name);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.fullchain_pem = s->fullchain;
	in.fullchain_len = s->fullchain_len;
	in.key_pem = s->key_pem;
	in.key_len = s->key_len;
	in.staple = s->staple_ok ? s->staple : NULL;
	in.staple_len = s->staple_ok ? s->staple_len : 0;
	in.event = event;
	in.force = s->deploy_failed; /* a failed reload or push is repeated */
	s->deploy_failed = deploy_certificate(d->conf, s->cert, &in, &changed) != 0;
	if (s->deploy_failed)
		s->deploy_retry_at = time(NULL) + DEPLOY_RETRY;
	if (changed && s->cert->verify_addr != NULL) {
		/* Servers reload asynchronously: look a moment later. */
		s->verify_at = time(NULL) + 1;
		s->verify_tries = 0;
	}
	if (changed)
		log_info("deploy_done", "cert=%s event=%s staple=%s failed=%d", s->cert->name,
		         event, in.staple ? "yes" : "no", s->deploy_failed);
	d->dirty = 1;
}

/* Check that the server at verify_addr serves what was deployed. */
static void site_verify(struct daemon *d, struct site *s, time_t now)
{
	char why[256];

	if (!s->have || deploy_verify(s->cert->verify_addr, s->cert->names.items[0], s->ci.cert,
	                              s->staple_ok ? s->staple : NULL,
	                              s->staple_ok ? s->staple_len : 0, why, sizeof(why)) == 0) {
		log_info("deploy_verified", "cert=%s addr=%s staple=%s", s->cert->name,
		         s->cert->verify_addr, s->staple_ok ? "yes" : "no");
		s->verify_at = 0;
		d->dirty = 1;
		return;
	}
	if (++s->verify_tries >= VERIFY_TRIES) {
		log_error("deploy_verify_failed", "cert=%s addr=%s reason=\"%s\"", s->cert->name,
		          s->cert->verify_addr, why);
		s->verify_at = 0;
		return;
	}
	s->verify_at = now + 1;
}

/* ---------------------------------------------------------------- staples */

static void staple_submit_next(struct daemon *d, struct site *s)
{
	while (s->url_next < s->url_count) {
		const char *url = s->urls[s->url_next++];
		char get_url[2048];
		int get = ocsp_request_get_url(url, s->ocsp_request, s->ocsp_request_len, get_url,
		                               sizeof(get_url));
		http_request_cleanup(s->req);
		if (get == 1 && http_request_init(s->req, get_url) == 0) {
			s->req->user = s;
			http_client_submit(d->http, s->req);
			return;
		}
		if (get == 0 && http_request_init(s->req, url) == 0) {
			s->req->post_body = s->ocsp_request;
			s->req->post_len = s->ocsp_request_len;
			s->req->post_content_type = "application/ocsp-request";
			s->req->user = s;
			http_client_submit(d->http, s->req);
			return;
		}
	}
	/* Every responder failed. */
	http_request_cleanup(s->req);
	free(s->req);
	s->req = NULL;
	d->fetches--;
	{
		time_t now = time(NULL), next;
		char t[32];
		long b = s->staple_backoff ? s->staple_backoff * 2 : d->conf->staple_retry_min;
		if (b > d->conf->staple_retry_max)
			b = d->conf->staple_retry_max;
		s->staple_backoff = b;
		s->staple_failures++;
		s->staple_failed_total++;
		next = now + b;
		/* Never wait past the point where the staple we serve stops being safe. */
		if (s->staple_ok && next > s->sv.next_update - staple_margin(&s->sv))
			next = s->sv.next_update - staple_margin(&s->sv);
		if (next <= now)
			next = now + 1;
		s->staple_next = next;
		log_warn("staple_refresh_failed",
		         "cert=%s failures=%d serving=%s next_attempt=%s error=\"%s\"",
		         s->cert->name, s->staple_failures, s->staple_ok ? "last-good" : "none",
		         time_format(t, sizeof(t), next), s->staple_error);
		d->dirty = 1;
	}
}

static void staple_start(struct daemon *d, struct site *s)
{
	s->req = calloc(1, sizeof(*s->req));
	if (s->req == NULL)
		return;
	s->url_next = 0;
	d->fetches++;
	staple_submit_next(d, s);
}

static int content_type_ok(const char *ct)
{
	return strncasecmp(ct, "application/ocsp-response", 25) == 0 &&
	       (ct[25] == '\0' || ct[25] == ';' || ct[25] == ' ');
}

static void staple_on_response(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct site *s = req->user;
	const char *url = s->urls[s->url_next - 1];
	struct ocsp_verdict v;
	char path[PATH_MAX], t[32], safe[200];
	time_t now = time(NULL);

	if (req->outcome != HTTP_OUTCOME_OK)
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: %s: %s", url,
		         http_outcome_name(req->outcome),
		         log_safe(safe, sizeof(safe), req->detail));
	else if (req->status != 200)
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: HTTP status %ld", url,
		         req->status);
	else if (!content_type_ok(req->content_type))
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: content-type", url);
	else if (ocsp_response_check(req->body.data, req->body.len, s->ci.cert, s->issuer_cert, now,
	                             &v) != STAPLE_OK)
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: %s: %s", url,
		         staple_error_name(v.error), v.detail);
	else if (now >= staple_withdraw_at(v.this_update, v.next_update))
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: expires-too-soon", url);
	else if (s->staple_ok && staple_older(&v, &s->sv))
		snprintf(s->staple_error, sizeof(s->staple_error), "%s: older-than-stored", url);
	else {
		unsigned char *copy = malloc(req->body.len);
		if (copy != NULL && site_path(d, s, "staple.ocsp", path, sizeof(path)) == 0 &&
		    store_write_atomic(path, req->body.data, req->body.len, 0644) == 0) {
			memcpy(copy, req->body.data, req->body.len);
			free(s->staple);
			s->staple = copy;
			s->staple_len = req->body.len;
			s->sv = v;
			s->staple_ok = 1;
			s->staple_ok_total++;
			s->staple_backoff = 0;
			s->staple_failures = 0;
			s->staple_error[0] = '\0';
			s->staple_next = staple_refresh_at(v.this_update, v.next_update, jitter());
			log_info("staple_refreshed", "cert=%s url=\"%s\" status=%s next_update=%s",
			         s->cert->name, url, staple_cert_status_name(v.status),
			         time_format(t, sizeof(t), v.next_update));
			http_request_cleanup(s->req);
			free(s->req);
			s->req = NULL;
			d->fetches--;
			if (v.status == STAPLE_STATUS_REVOKED) {
				log_error("certificate_revoked", "cert=%s serial=%s action=reissue",
				          s->cert->name, s->ci.serial);
				s->force_issue = 1;
				s->issue_next = now;
			}
			site_deploy(d, s, "staple");
			return;
		}
		free(copy);
		snprintf(s->staple_error, sizeof(s->staple_error), "cannot store the staple");
	}
	s->url_failed_total[s->url_next - 1]++;
	log_warn("ocsp_fetch_failed", "cert=%s detail=\"%s\"", s->cert->name,
	         log_safe(safe, sizeof(safe), s->staple_error));
	staple_submit_next(d, s);
}

/* ---------------------------------------------------------------- issuance */

static void *issue_thread(void *arg)
{
	struct site *s = arg;
	struct issuer_worker *w = issuer_worker_new(s->iss);

	if (w != NULL) {
		issuer_run_job(w, s->job);
		issuer_worker_free(w);
	} else {
		s->job->exit_code = EXIT_UNKNOWN;
		snprintf(s->job->message, sizeof(s->job->message), "out of memory");
	}
	atomic_store(&s->job_done, 1);
	return NULL;
}

static void issue_start(struct daemon *d, struct site *s)
{
	s->job = calloc(1, sizeof(*s->job));
	if (s->job == NULL) {
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
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
		return;
	}
	s->issuing = 1;
	d->issuing++;
}

static void issue_finish(struct daemon *d, struct site *s, time_t now)
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
	if (s->job->exit_code == EXIT_OK || s->job->exit_code == EXIT_WARNING)
		s->issue_ok_total++;
	else
		s->issue_failed_total++;
	if (s->job->exit_code == EXIT_OK || s->job->exit_code == EXIT_WARNING) {
		s->issue_backoff = 0;
		s->issue_error[0] = '\0';
		s->issue_next = s->job->renew_at ? s->job->renew_at : now + 3600;
		if (strcmp(s->job->action, "issued") == 0) {
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
	} else {
		long b = s->issue_backoff ? s->issue_backoff * 2 : d->conf->issue_retry_min;
		s->issue_backoff = b > ISSUE_RETRY_MAX ? ISSUE_RETRY_MAX : b;
		s->issue_next = now + s->issue_backoff;
		snprintf(s->issue_error, sizeof(s->issue_error), "%s", s->job->message);
		if (!s->have) {
			/* The issuer installed a placeholder: deploy it so servers start. */
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
		log_warn("issuance_failed", "cert=%s next_attempt=%s message=\"%s\"", s->cert->name,
		         time_format(t, sizeof(t), s->issue_next), s->issue_error);
	}
	free(s->job);
	s->job = NULL;
	issuer_save_state(d->iss);
	d->dirty = 1;
}

/* ---------------------------------------------------------------- audit */

#define AUDIT_FIRST_DELAY 10 /* seconds after start: deploy first */
#define AUDIT_OUTPUT_MAX  (16 * 1024 * 1024)

extern char **environ;

static const char *const audit_severities[5] = {"OK", "INFO", "WARNING", "UNKNOWN", "CRITICAL"};

static void audit_start(struct daemon *d)
{
	posix_spawn_file_actions_t fa;
	char exe[PATH_MAX];
	char *argv[] = {exe, "audit", "-c", (char *)d->conf_path, "--json", NULL};
	int pipefd[2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	d->audit_next = time(NULL) + d->conf->audit_interval;
	if (n <= 0 || pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	exe[n] = '\0';
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (posix_spawn(&d->audit_pid, exe, &fa, NULL, argv, environ) != 0) {
		d->audit_pid = 0;
		close(pipefd[0]);
	} else {
		d->audit_fd = pipefd[0];
		fcntl(d->audit_fd, F_SETFL, O_NONBLOCK);
		buf_init(&d->audit_out, AUDIT_OUTPUT_MAX);
		log_info("audit_started", "pid=%d", (int)d->audit_pid);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
}

/* Drain the audit's output; when it has exited, count its findings. */
static void audit_poll(struct daemon *d)
{
	char chunk[65536], path[PATH_MAX];
	const char *p, *end;
	int status;
	ssize_t n;
	size_t i;

	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n); /* past the cap: truncated */
	if (waitpid(d->audit_pid, &status, WNOHANG) != d->audit_pid)
		return;
	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n);
	close(d->audit_fd);
	d->audit_pid = 0;
	memset(d->audit_counts, 0, sizeof(d->audit_counts));
	p = (const char *)d->audit_out.data;
	end = p ? p + d->audit_out.len : NULL;
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		json_t *f = json_loadb(p, (size_t)((eol ? eol : end) - p), 0, NULL);
		const char *sev = json_string_value(json_object_get(f, "severity"));
		for (i = 0; sev != NULL && i < 5; i++)
			if (strcmp(sev, audit_severities[i]) == 0)
				d->audit_counts[i]++;
		json_decref(f);
		p = eol ? eol + 1 : end;
	}
	d->audit_done = 1;
	if (snprintf(path, sizeof(path), "%s/state/audit.jsonl", d->conf->store) <
	        (int)sizeof(path) &&
	    d->audit_out.data != NULL)
		store_write_atomic(path, d->audit_out.data, d->audit_out.len, 0644);
	buf_free(&d->audit_out);
	if (d->audit_counts[4] > 0)
		log_error("audit_done", "critical=%lu unknown=%lu warning=%lu exit=%d",
		          d->audit_counts[4], d->audit_counts[3], d->audit_counts[2],
		          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		log_info("audit_done", "critical=0 unknown=%lu warning=%lu exit=%d",
		         d->audit_counts[3], d->audit_counts[2],
		         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	d->dirty = 1;
}

static void audit_stop(struct daemon *d)
{
	if (d->audit_pid > 0) {
		kill(d->audit_pid, SIGTERM);
		waitpid(d->audit_pid, NULL, 0);
		close(d->audit_fd);
		buf_free(&d->audit_out);
		d->audit_pid = 0;
	}
}

/* ---------------------------------------------------------------- metrics */

#define METRICS_PAGE_MAX (64 * 1024 * 1024)

static void metric(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void metric(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line))
		buf_append(b, line, (size_t)n);
}

/* The whole Prometheus page for the current state.  No key material. */
static void metrics_render(struct daemon *d, time_t now)
{
	struct buf b;
	char url[600];
	size_t i, k;

	if (d->metrics == NULL)
		return;
	buf_init(&b, METRICS_PAGE_MAX);
	metric(&b, "# HELP holdfast_certificate_expiry_seconds Seconds until the deployed "
	           "certificate expires.\n"
	           "# TYPE holdfast_certificate_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].have)
			metric(&b, "holdfast_certificate_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name, (long long)(d->sites[i].ci.not_after - now));
	metric(&b, "# HELP holdfast_certificate_placeholder 1 while only the temporary placeholder "
	           "is in place.\n"
	           "# TYPE holdfast_certificate_placeholder gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_certificate_placeholder{cert=\"%s\"} %d\n",
		       d->sites[i].cert->name, d->sites[i].have && d->sites[i].ci.placeholder);
	metric(&b, "# HELP holdfast_staple_valid 1 while a valid OCSP staple is deployed.\n"
	           "# TYPE holdfast_staple_valid gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_staple_valid{cert=\"%s\"} %d\n", d->sites[i].cert->name,
		       d->sites[i].staple_ok);
	metric(&b, "# HELP holdfast_staple_expiry_seconds Seconds until the deployed staple's "
	           "nextUpdate.\n"
	           "# TYPE holdfast_staple_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(d->sites[i].sv.next_update - now));
	metric(
	    &b,
	    "# HELP holdfast_staple_age_seconds Seconds since the deployed staple's thisUpdate.\n"
	    "# TYPE holdfast_staple_age_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_age_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(now - d->sites[i].sv.this_update));
	metric(&b, "# HELP holdfast_staple_refresh_total Staple refreshes by result.\n"
	           "# TYPE holdfast_staple_refresh_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_ok_total);
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_responder_failures_total Failed requests by OCSP responder URL.\n"
	       "# TYPE holdfast_responder_failures_total counter\n");
	for (i = 0; i < d->site_count; i++)
		for (k = 0; k < d->sites[i].url_count; k++) {
			metrics_label_escape(url, sizeof(url), d->sites[i].urls[k]);
			metric(&b,
			       "holdfast_responder_failures_total{cert=\"%s\",url=\"%s\"} %lu\n",
			       d->sites[i].cert->name, url, d->sites[i].url_failed_total[k]);
		}
	metric(&b, "# HELP holdfast_issue_total Issuance and renewal runs by result.\n"
	           "# TYPE holdfast_issue_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_ok_total);
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_endpoint_up 0 while the CA endpoint's circuit breaker is open.\n"
	       "# TYPE holdfast_endpoint_up gauge\n");
	for (i = 0; i < d->conf->ca_count; i++)
		metric(&b, "holdfast_endpoint_up{ca=\"%s\"} %d\n", d->conf->cas[i].name,
		       issuer_endpoint_up(d->iss, d->conf->cas[i].name, now));
	metric(&b,
	       "# HELP holdfast_endpoint_attempts_total ACME attempts by CA endpoint and result.\n"
	       "# TYPE holdfast_endpoint_attempts_total counter\n");
	for (i = 0; i < d->conf->ca_count; i++) {
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"ok\"} %lu\n",
		       d->conf->cas[i].name, d->ca_ok_total[i]);
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"failed\"} %lu\n",
		       d->conf->cas[i].name, d->ca_failed_total[i]);
	}
	metric(&b, "# HELP holdfast_audit_findings Findings of the last domain audit by severity.\n"
	           "# TYPE holdfast_audit_findings gauge\n");
	for (i = 0; d->audit_done && i < 5; i++)
		metric(&b, "holdfast_audit_findings{severity=\"%s\"} %lu\n", audit_severities[i],
		       d->audit_counts[i]);
	metrics_publish(d->metrics, (const char *)b.data, b.len);
	buf_free(&b);
}

/* ---------------------------------------------------------------- state */

static void state_write(struct daemon *d, time_t now)
{
	json_t *root = json_object(), *certs = json_object();
	char path[PATH_MAX], t[32], *text;
	size_t i;

	for (i = 0; i < d->site_count; i++) {
		struct site *s = &d->sites[i];
		json_t *o = json_object();
		json_object_set_new(o, "certificate", json_boolean(s->have));
		json_object_set_new(o, "placeholder", json_boolean(s->have && s->ci.placeholder));
		json_object_set_new(o, "issuing", json_boolean(s->issuing));
		json_object_set_new(o, "next_issue_check",
		                    json_string(time_format(t, sizeof(t), s->issue_next)));
		json_object_set_new(o, "last_issue_error",
		                    s->issue_error[0] ? json_string(s->issue_error) : json_null());
		json_object_set_new(o, "staple", json_boolean(s->staple_ok));
		json_object_set_new(o, "staple_this_update",
		                    s->staple_ok
		                        ? json_string(time_format(t, sizeof(t), s->sv.this_update))
		                        : json_null());
		json_object_set_new(o, "staple_next_update",
		                    s->staple_ok
		                        ? json_string(time_format(t, sizeof(t), s->sv.next_update))
		                        : json_null());
		json_object_set_new(o, "staple_status",
		                    json_string(staple_cert_status_name(
		                        s->staple_ok ? s->sv.status : STAPLE_STATUS_NONE)));
		json_object_set_new(o, "next_staple_refresh",
		                    s->url_count
		                        ? json_string(time_format(t, sizeof(t), s->staple_next))
		                        : json_null());
		json_object_set_new(o, "staple_failures", json_integer(s->staple_failures));
		json_object_set_new(o, "last_staple_error",
		                    s->staple_error[0] ? json_string(s->staple_error)
		                                       : json_null());
		json_object_set_new(o, "deploy_failed", json_boolean(s->deploy_failed));
		json_object_set_new(certs, s->cert->name, o);
	}
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "started", json_string(time_format(t, sizeof(t), d->started)));
	json_object_set_new(root, "updated", json_string(time_format(t, sizeof(t), now)));
	json_object_set_new(root, "certificates", certs);
	if (d->audit_done) {
		json_t *a = json_object();
		for (i = 0; i < 5; i++)
			json_object_set_new(a, audit_severities[i],
			                    json_integer((json_int_t)d->audit_counts[i]));
		json_object_set_new(root, "audit", a);
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text != NULL && snprintf(path, sizeof(path), "%s/state/daemon.json", d->conf->store) <
	                        (int)sizeof(path))
		store_write_atomic(path, text, strlen(text), 0644);
	free(text);
	json_decref(root);
	d->dirty = 0;
	d->state_written = now;
	metrics_render(d, now);
}

/* ---------------------------------------------------------------- setup */

static void sites_free(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++)
		site_unload(&d->sites[i]);
	free(d->sites);
	d->sites = NULL;
	d->site_count = 0;
}

/* Build sites for conf, load the store and deploy what is valid (no network). */
static int daemon_setup(struct daemon *d, struct conf *conf)
{
	char err[CONF_ERROR_MAX], path[PATH_MAX];
	time_t now = time(NULL);
	size_t i;

	d->conf = conf;
	if (snprintf(path, sizeof(path), "%s/state", conf->store) >= (int)sizeof(path) ||
	    mkdir_p(path, 0755) != 0) {
		log_error("store_unusable", "store=%s reason=\"%s\"", conf->store, strerror(errno));
		return -1;
	}
	d->iss = issuer_new(conf, err, sizeof(err));
	if (d->iss == NULL) {
		log_error("issuer_failed", "reason=\"%s\"", err);
		return -1;
	}
	d->sites = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->sites));
	d->ca_ok_total = calloc(conf->ca_count + 1, sizeof(*d->ca_ok_total));
	d->ca_failed_total = calloc(conf->ca_count + 1, sizeof(*d->ca_failed_total));
	if (d->sites == NULL || d->ca_ok_total == NULL || d->ca_failed_total == NULL)
		return -1;
	if (conf->metrics_listen != NULL) {
		d->metrics = metrics_start(conf->metrics_listen);
		if (d->metrics == NULL)
			return -1;
	}
	d->site_count = conf->cert_count;
	for (i = 0; i < conf->cert_count; i++) {
		struct site *s = &d->sites[i];
		s->cert = &conf->certs[i];
		site_load(d, s, now);
		/* Issue at once what is missing, a placeholder or already due. */
		if (!s->have || s->ci.placeholder)
			s->issue_next = now;
		else {
			time_t at = 0;
			const char *r = json_string_value(json_object_get(s->ci.meta, "renew_at"));
			if (r == NULL || time_parse(r, &at) != 0)
				at = now;
			s->issue_next = at;
		}
		if (s->cert->cas.count > 0 && issuer_listen(d->iss, s->cert) != 0)
			log_error("http01_unavailable", "cert=%s listen=%s", s->cert->name,
			          s->cert->http_listen);
		site_deploy(d, s, "start");
		log_info("certificate_loaded", "cert=%s present=%d placeholder=%d staple=%s",
		         s->cert->name, s->have, s->have && s->ci.placeholder,
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
	d->fetches = 0;
	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].req != NULL) {
			http_request_cleanup(d->sites[i].req);
			free(d->sites[i].req);
			d->sites[i].req = NULL;
		}
	}
	sites_free(d);
	issuer_free(d->iss);
	d->iss = NULL;
	metrics_stop(d->metrics);
	d->metrics = NULL;
	free(d->ca_ok_total);
	free(d->ca_failed_total);
	d->ca_ok_total = d->ca_failed_total = NULL;
}

static int daemon_http_new(struct daemon *d)
{
	struct http_options opt;

	http_options_default(&opt);
	d->http = http_client_new(&opt, staple_on_response, d);
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
		return EXIT_UNKNOWN;
	}
	if (conf->log_syslog)
		log_use_syslog();
	if (conf->user != NULL && privsep_start(conf->user, conf_path) != 0) {
		conf_free(conf);
		return EXIT_UNKNOWN;
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
		return EXIT_UNKNOWN;
	}
	d.audit_next = time(NULL) + AUDIT_FIRST_DELAY;
	log_warn("daemon_started", "pid=%d config=%s certificates=%zu", (int)getpid(), conf_path,
	         d.site_count);
	state_write(&d, time(NULL));

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
				issue_finish(&d, s, now);
			if (s->staple_ok &&
			    now >= staple_withdraw_at(s->sv.this_update, s->sv.next_update)) {
				char t[32];
				s->staple_ok = 0;
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
				issue_start(&d, s);
			if (s->req == NULL && s->url_count > 0 && now >= s->staple_next)
				staple_start(&d, s);
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
			audit_poll(&d);
		else if (!pending_reload && d.conf->audit_interval > 0 && d.site_count > 0 &&
		         now >= d.audit_next)
			audit_start(&d);
		if (now - d.state_written >= STATE_WRITE_EVERY)
			state_write(&d, now);
		if (d.fetches > 0) {
			http_client_step(d.http, wait_ms);
		} else {
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	log_warn("daemon_stopping", "reason=signal");
	audit_stop(&d);
	state_write(&d, time(NULL));
	daemon_teardown(&d);
	conf_free(d.conf);
	return EXIT_OK;
}

/*
 * holdfast staple: fetch, validate and store OCSP staples, once.
 *
 * Reads top to bottom like OpenBSD's ocspcheck, but for many certificates at
 * once: load each certificate and its issuer, note what is already stored,
 * queue one request per certificate on a shared HTTP client (parallel,
 * keep-alive), and on each answer either accept it or move that certificate
 * on to its next responder URL.  When everything has finished, decide per
 * certificate what to write and what to report.
 *
 * What is written, and when (the rules operators rely on):
 * - a new response is written only after ocsp_response_check() accepted it
 *   and only when it is not older than a valid one already stored;
 * - when no responder gives a valid answer but the stored staple is still
 *   valid, the file is not touched (WARNING);
 * - when no valid staple can be had at all, the file is replaced by the
 *   tryLater placeholder (CRITICAL), so nginx and HAProxy stop stapling the
 *   stale response instead of serving it (nginx would otherwise keep serving
 *   an expired ssl_stapling_file indefinitely).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "ocsp/check.h"
#include "util/atomic.h"
#include "util/http.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define STAPLE_URLS_MAX     (CERT_URLS_MAX + 8)
#define STAPLE_PARALLEL_MAX 1024
#define STAPLE_FILE_MODE    0644
#define STAPLE_MESSAGE_MAX  512
#define STAPLE_CONTENT_TYPE "application/ocsp-response"

struct responder_error {
	char *url;
	enum staple_error error;
	char detail[HTTP_DETAIL_MAX];
};

/* One certificate.  Kept small: a run may hold many thousands of them, and
 * only the jobs in flight hold certificates, requests and HTTP state. */
struct staple_job {
	const char *cert_path;
	char *out_path; /* NULL when nothing is written */
	char serial[48];

	/* while in flight */
	X509 *leaf;
	X509 *issuer;
	char *urls[STAPLE_URLS_MAX];
	size_t url_count;
	size_t url_next;
	unsigned char *request;
	size_t request_len;
	struct http_request *http;

	/* what was on disk before we started */
	int stored_present;
	int stored_valid;
	int stored_is_placeholder;
	struct ocsp_verdict stored;

	/* what the responders gave */
	unsigned char *fresh_der;
	size_t fresh_len;
	struct ocsp_verdict fresh;
	char *responder; /* URL that gave fresh_der */
	struct responder_error *errors;
	size_t error_count;

	/* outcome */
	int exit_code;
	int written;
	long batch_index;
	char message[STAPLE_MESSAGE_MAX];
};

/* Issuers are the same for thousands of certificates: decode each distinct
 * one once (X.509 decoding dominates the CPU time otherwise). */
#define ISSUER_CACHE_MAX 64
struct issuer_cache_entry {
	unsigned char *pem;
	size_t len;
	X509 *cert;
};

struct staple_run {
	struct http_client *client;
	time_t now;
	struct staple_job *jobs;
	size_t job_count;
	size_t next_prepare;
	size_t in_flight;
	size_t window;         /* jobs prepared ahead of the HTTP client */
	X509 *issuer_override; /* --issuer */
	char **backup_urls;
	size_t backup_count;
	struct issuer_cache_entry issuers[ISSUER_CACHE_MAX];
	size_t issuer_count;
};

static void staple_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: holdfast staple [--issuer FILE] [--url URL]... [--out FILE | --out-dir DIR]\n"
	    "                       [--parallel N] [--connect-timeout SEC] [--timeout SEC]\n"
	    "                       [--json] [-v] CERT.pem...\n"
	    "\n"
	    "Fetch an OCSP response for each certificate, validate it (RFC 6960) and store\n"
	    "it atomically for nginx (ssl_stapling_file) or HAProxy (CERT.pem.ocsp).\n"
	    "\n"
	    "  --issuer FILE        issuer certificate (default: 2nd certificate in CERT.pem)\n"
	    "  --url URL            backup responder, tried after the AIA URLs (repeatable)\n"
	    "  --out FILE           write the staple to FILE (one certificate only)\n"
	    "  --out-dir DIR        write DIR/<certificate file name>.ocsp for each\n"
	    "  --parallel N         at most N requests at once (default %d)\n"
	    "  --connect-timeout S  connect timeout in seconds (default %ld)\n"
	    "  --timeout S          total timeout per request in seconds (default %ld)\n"
	    "  --json               one JSON object per certificate on stdout\n"
	    "  -v                   log each step to stderr (twice: debug)\n"
	    "\n"
	    "Exit: 0 OK, 1 WARNING (responders failed, stored staple still valid),\n"
	    "2 CRITICAL (revoked, or no valid staple; a stale file is replaced by a\n"
	    "tryLater placeholder), 3 UNKNOWN (usage or local error).\n",
	    HTTP_PARALLEL_DEFAULT, HTTP_CONNECT_TIMEOUT_MS_DEFAULT / 1000,
	    HTTP_TIMEOUT_MS_DEFAULT / 1000);
}

/* Parse a positive number of seconds (fractions allowed) into ms; -1 if bad. */
static long parse_seconds_ms(const char *s)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0.0) || v > 86400.0)
		return -1;
	return (long)(v * 1000.0);
}

static void job_fail(struct staple_job *job, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void job_fail(struct staple_job *job, int code, const char *fmt, ...)
{
	va_list ap;

	job->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(job->message, sizeof(job->message), fmt, ap);
	va_end(ap);
}

/* Free what only an in-flight job needs. */
static void job_release(struct staple_job *job)
{
	size_t i;

	for (i = 0; i < job->url_count; i++)
		free(job->urls[i]);
	job->url_count = 0;
	if (job->http != NULL) {
		http_request_cleanup(job->http);
		free(job->http);
		job->http = NULL;
	}
	X509_free(job->leaf);
	X509_free(job->issuer);
	job->leaf = NULL;
	job->issuer = NULL;
	free(job->request);
	job->request = NULL;
}

static void job_free(struct staple_job *job)
{
	size_t i;

	job_release(job);
	for (i = 0; i < job->error_count; i++)
		free(job->errors[i].url);
	free(job->errors);
	free(job->fresh_der);
	free(job->responder);
	free(job->out_path);
}

/* The issuer in PEM text [pem, pem+len): from the cache, or decoded and
 * cached.  Returns a new reference, or NULL. */
static X509 *issuer_lookup(struct staple_run *run, const unsigned char *pem, size_t len)
{
	struct issuer_cache_entry *e;
	STACK_OF(X509) * sk;
	char err[64];
	X509 *x;
	size_t i;

	for (i = 0; i < run->issuer_count; i++) {
		e = &run->issuers[i];
		if (e->len == len && memcmp(e->pem, pem, len) == 0) {
			X509_up_ref(e->cert);
			return e->cert;
		}
	}
	sk = cert_chain_from_pem(pem, len, err, sizeof(err));
	if (sk == NULL)
		return NULL;
	x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	if (run->issuer_count < ISSUER_CACHE_MAX) {
		e = &run->issuers[run->issuer_count];
		e->pem = malloc(len);
		if (e->pem != NULL) {
			memcpy(e->pem, pem, len);
			e->len = len;
			e->cert = x;
			X509_up_ref(x);
			run->issuer_count++;
		}
	}
	return x;
}

/* Split a PEM file into the first certificate block and the second one (the
 * issuer), without decoding anything. */
static void pem_split(const unsigned char *data, size_t len, size_t *first_end,
                      const unsigned char **second, size_t *second_len)
{
	static const char end_marker[] = "-----END CERTIFICATE-----";
	static const char begin_marker[] = "-----BEGIN CERTIFICATE-----";
	const unsigned char *e1, *b2, *e2;

	*first_end = len;
	*second = NULL;
	*second_len = 0;
	e1 = memmem(data, len, end_marker, sizeof(end_marker) - 1);
	if (e1 == NULL)
		return;
	*first_end = (size_t)(e1 - data) + sizeof(end_marker) - 1;
	b2 = memmem(data + *first_end, len - *first_end, begin_marker, sizeof(begin_marker) - 1);
	if (b2 == NULL)
		return;
	e2 = memmem(b2, len - (size_t)(b2 - data), end_marker, sizeof(end_marker) - 1);
	if (e2 == NULL)
		return;
	*second = b2;
	*second_len = (size_t)(e2 - b2) + sizeof(end_marker) - 1;
}

/* Load the certificate, its issuer, its responder URLs and the stored staple.
 * Returns 0 when the job can go to the network, -1 when it already has its
 * (UNKNOWN) outcome. */
static int job_prepare(struct staple_run *run, struct staple_job *job)
{
	char err[256];
	STACK_OF(X509) *leaf_sk = NULL;
	unsigned char *data = NULL, *stored = NULL;
	const unsigned char *second = NULL;
	size_t len = 0, first_end = 0, second_len = 0, stored_len = 0, i;
	time_t now = run->now;

	if (store_read_file(job->cert_path, CERT_FILE_MAX, &data, &len) != 0) {
		job_fail(job, EXIT_UNKNOWN, "cannot load certificate: %s",
		         errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	pem_split(data, len, &first_end, &second, &second_len);
	leaf_sk = cert_chain_from_pem(data, first_end, err, sizeof(err));
	if (leaf_sk == NULL) {
		free(data);
		job_fail(job, EXIT_UNKNOWN, "cannot load certificate: %s", err);
		return -1;
	}
	job->leaf = sk_X509_shift(leaf_sk);
	sk_X509_pop_free(leaf_sk, X509_free);
	if (run->issuer_override != NULL) {
		job->issuer = run->issuer_override;
		X509_up_ref(job->issuer);
	} else if (second != NULL) {
		job->issuer = issuer_lookup(run, second, second_len);
	}
	free(data);
	if (job->issuer == NULL) {
		job_fail(job, EXIT_UNKNOWN, "%s",
		         "no issuer: append the chain to the certificate file or give --issuer");
		return -1;
	}
	if (X509_check_issued(job->issuer, job->leaf) != X509_V_OK ||
	    X509_verify(job->leaf, X509_get0_pubkey(job->issuer)) != 1) {
		job_fail(job, EXIT_UNKNOWN, "%s",
		         "the issuer certificate did not issue this certificate");
		return -1;
	}
	cert_serial_hex(job->leaf, job->serial, sizeof(job->serial));

	job->url_count = cert_ocsp_urls(job->leaf, job->urls, 0, CERT_URLS_MAX);
	for (i = 0; i < run->backup_count && job->url_count < STAPLE_URLS_MAX; i++) {
		size_t j;
		int dup = 0;
		for (j = 0; j < job->url_count; j++)
			dup |= strcmp(job->urls[j], run->backup_urls[i]) == 0;
		if (!dup && (job->urls[job->url_count] = strdup(run->backup_urls[i])) != NULL)
			job->url_count++;
	}
	if (job->url_count == 0) {
		job_fail(job, EXIT_UNKNOWN, "%s",
		         "no OCSP responder: the certificate has no AIA OCSP URL and no --url was "
		         "given");
		return -1;
	}
	job->errors = calloc(job->url_count, sizeof(*job->errors));
	job->http = calloc(1, sizeof(*job->http));
	if (job->errors == NULL || job->http == NULL) {
		job_fail(job, EXIT_UNKNOWN, "%s", "out of memory");
		return -1;
	}
	if (ocsp_request_der_new(job->leaf, job->issuer, &job->request, &job->request_len) != 0) {
		job_fail(job, EXIT_UNKNOWN, "%s", "cannot build the OCSP request");
		return -1;
	}

	if (job->out_path != NULL) {
		if (store_read_file(job->out_path, OCSP_RESPONSE_MAX, &stored, &stored_len) == 0) {
			job->stored_present = 1;
			job->stored_is_placeholder = staple_is_placeholder(stored, stored_len);
			ocsp_response_check(stored, stored_len, job->leaf, job->issuer, now,
			                    &job->stored);
			job->stored_valid = staple_servable(&job->stored, now);
			free(stored);
		} else if (errno == EFBIG) {
			job->stored_present = 1; /* too large to be a staple: treat as invalid */
		} else if (errno != ENOENT) {
			job_fail(job, EXIT_UNKNOWN, "cannot read %s: %s", job->out_path,
			         strerror(errno));
			return -1;
		}
	}
	return 0;
}

static enum staple_error staple_error_from_http(enum http_outcome o)
{
	switch (o) {
	case HTTP_OUTCOME_OK:
		return STAPLE_OK;
	case HTTP_OUTCOME_RESOLVE:
		return STAPLE_ERR_RESOLVE;
	case HTTP_OUTCOME_CONNECT:
		return STAPLE_ERR_CONNECT;
	case HTTP_OUTCOME_TIMEOUT:
		return STAPLE_ERR_TIMEOUT;
	case HTTP_OUTCOME_TOO_LARGE:
		return STAPLE_ERR_TOO_LARGE;
	case HTTP_OUTCOME_REDIRECTS:
		return STAPLE_ERR_TOO_MANY_REDIRECTS;
	case HTTP_OUTCOME_TLS:
		return STAPLE_ERR_TLS;
	default:
		return STAPLE_ERR_TRANSPORT;
	}
}

/* 1 when the Content-Type header names application/ocsp-response (any
 * parameters after ';' are ignored, case-insensitively as RFC 9110 says). */
static int content_type_is_ocsp(const char *ct)
{
	size_t n = strlen(STAPLE_CONTENT_TYPE);

	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, STAPLE_CONTENT_TYPE, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void job_record_error(struct staple_job *job, const char *url, enum staple_error err,
                             const char *detail)
{
	struct responder_error *e = &job->errors[job->error_count++];
	char safe_url[512], safe_detail[HTTP_DETAIL_MAX];

	e->url = strdup(url);
	e->error = err;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	log_warn("ocsp_fetch_failed", "cert=%s serial=%s url=\"%s\" error=%s detail=\"%s\"",
	         job->cert_path, job->serial, log_safe(safe_url, sizeof(safe_url), url),
	         staple_error_name(err), log_safe(safe_detail, sizeof(safe_detail), detail));
}

/* Queue the request for the job's next URL; returns 0 when one was queued,
 * -1 when the job has no URL left. */
static int job_submit_next(struct staple_run *run, struct staple_job *job)
{
	while (job->url_next < job->url_count) {
		const char *url = job->urls[job->url_next++];
		char get_url[sizeof(job->http->url)];
		int get;

		http_request_cleanup(job->http);
		get = ocsp_request_get_url(url, job->request, job->request_len, get_url,
		                           sizeof(get_url));
		if (get == 1) {
			if (http_request_init(job->http, get_url) != 0)
				get = -1;
		} else if (get == 0 && http_request_init(job->http, url) == 0) {
			job->http->post_body = job->request;
			job->http->post_len = job->request_len;
			job->http->post_content_type = "application/ocsp-request";
		} else {
			get = -1;
		}
		if (get < 0) {
			job_record_error(job, url, STAPLE_ERR_TRANSPORT, "URL too long");
			continue;
		}
		job->http->user = job;
		http_client_submit(run->client, job->http);
		return 0;
	}
	return -1;
}

/* Prepare and submit jobs while the window has room. */
static void staple_pump(struct staple_run *run)
{
	while (run->in_flight < run->window && run->next_prepare < run->job_count) {
		struct staple_job *job = &run->jobs[run->next_prepare++];
		if (job->exit_code != EXIT_OK || job_prepare(run, job) != 0 ||
		    job_submit_next(run, job) != 0) {
			job->url_next = job->url_count; /* nothing to fetch: decided later */
			job_release(job);
			continue;
		}
		run->in_flight++;
	}
}

/* A job has its answer (or ran out of URLs): free its heavy state, start
 * the next. */
static void job_done(struct staple_run *run, struct staple_job *job)
{
	job_release(job);
	run->in_flight--;
	staple_pump(run);
}

/* Completion callback: judge one responder's answer. */
static void staple_on_response(struct http_request *req, void *ctx)
{
	struct staple_run *run = ctx;
	struct staple_job *job = req->user;
	struct ocsp_verdict v;
	char detail[HTTP_DETAIL_MAX];
	const char *url = job->urls[job->url_next - 1];
	enum staple_error err;

	err = staple_error_from_http(req->outcome);
	if (err != STAPLE_OK) {
		job_record_error(job, url, err, req->detail);
	} else if (req->status != 200) {
		snprintf(detail, sizeof(detail), "HTTP status %ld", req->status);
		job_record_error(job, url, STAPLE_ERR_HTTP_STATUS, detail);
	} else if (!content_type_is_ocsp(req->content_type)) {
		char safe[HTTP_CONTENT_TYPE_MAX];
		snprintf(detail, sizeof(detail), "Content-Type \"%s\"",
		         log_safe(safe, sizeof(safe),
		                  req->content_type[0] ? req->content_type : "(none)"));
		job_record_error(job, url, STAPLE_ERR_CONTENT_TYPE, detail);
	} else if (ocsp_response_check(req->body.data, req->body.len, job->leaf, job->issuer,
	                               run->now, &v) != STAPLE_OK) {
		job_record_error(job, url, v.error, v.detail);
	} else if (job->stored_valid && staple_older(&v, &job->stored)) {
		job_record_error(job, url, STAPLE_ERR_OLDER_THAN_STORED,
		                 "response is older than the stored staple");
	} else {
		job->fresh = v;
		job->fresh_der = malloc(req->body.len);
		job->responder = strdup(url);
		if (job->fresh_der != NULL && job->responder != NULL) {
			memcpy(job->fresh_der, req->body.data, req->body.len);
			job->fresh_len = req->body.len;
			log_info("ocsp_fetched", "cert=%s serial=%s url=\"%s\" status=%s",
			         job->cert_path, job->serial, url,
			         staple_cert_status_name(v.status));
			job_done(run, job);
			return;
		}
		free(job->fresh_der);
		free(job->responder);
		job->fresh_der = NULL;
		job->responder = NULL;
		job_record_error(job, url, STAPLE_ERR_TRANSPORT, "out of memory");
	}
	if (job_submit_next(run, job) != 0)
		job_done(run, job);
}

/* Phase 1 after the fetches: stage what must be written (a fresh response,
 * or the placeholder over a stale file) into the batch. */
static void job_stage(struct staple_job *job, struct store_batch *batch)
{
	job->batch_index = -1;
	if (job->out_path == NULL)
		return;
	if (job->fresh_der != NULL)
		job->batch_index = store_batch_add(batch, job->out_path, job->fresh_der,
		                                   job->fresh_len, STAPLE_FILE_MODE);
	else if (!job->stored_valid && job->stored_present && !job->stored_is_placeholder)
		/* Only an existing stale file is withdrawn; none is created, so a
		 * missing staple stays missing and "unknown" never leaves a file. */
		job->batch_index =
		    store_batch_add(batch, job->out_path, staple_placeholder_der,
		                    sizeof(staple_placeholder_der), STAPLE_FILE_MODE);
}

/* Phase 2, after the batch was committed: set exit_code and message. */
static void job_finish(struct staple_job *job, const struct store_batch *batch)
{
	int staged = job->batch_index >= 0 || (job->out_path != NULL && job->fresh_der != NULL) ||
	             (job->out_path != NULL && !job->stored_valid && job->stored_present &&
	              !job->stored_is_placeholder);
	char nu[32];

	job->written = staged && store_batch_ok(batch, job->batch_index);
	if (job->fresh_der != NULL) {
		if (staged && !job->written) {
			job_fail(job, EXIT_UNKNOWN, "cannot write %s", job->out_path);
			return;
		}
		if (job->written)
			log_info("staple_written", "cert=%s file=%s", job->cert_path,
			         job->out_path);
		time_format(nu, sizeof(nu), job->fresh.next_update);
		if (job->fresh.status == STAPLE_STATUS_REVOKED) {
			job->exit_code = EXIT_CRITICAL;
			snprintf(job->message, sizeof(job->message),
			         "REVOKED serial=%s responder=%s", job->serial, job->responder);
		} else {
			job->exit_code = EXIT_OK;
			snprintf(job->message, sizeof(job->message),
			         "good serial=%s responder=%s next_update=%s", job->serial,
			         job->responder, nu);
		}
		return;
	}
	if (job->stored_valid) {
		time_format(nu, sizeof(nu), job->stored.next_update);
		if (job->stored.status == STAPLE_STATUS_REVOKED) {
			job->exit_code = EXIT_CRITICAL;
			snprintf(job->message, sizeof(job->message),
			         "REVOKED (stored staple) serial=%s", job->serial);
		} else {
			job->exit_code = EXIT_WARNING;
			snprintf(job->message, sizeof(job->message),
			         "all responders failed; keeping valid staple %s (next_update=%s)",
			         job->out_path, nu);
		}
		return;
	}
	job->exit_code = EXIT_CRITICAL;
	if (staged && !job->written) {
		job_fail(job, EXIT_CRITICAL, "no valid staple and cannot replace %s",
		         job->out_path);
		return;
	}
	if (job->written) {
		log_warn("staple_withdrawn", "cert=%s file=%s reason=\"no valid response\"",
		         job->cert_path, job->out_path);
		snprintf(
		    job->message, sizeof(job->message),
		    "no valid OCSP response; %s now holds the tryLater placeholder, so servers "
		    "stop stapling the stale response",
		    job->out_path);
	} else if (job->stored_is_placeholder) {
		snprintf(job->message, sizeof(job->message),
		         "no valid OCSP response; %s still holds the tryLater placeholder",
		         job->out_path);
	} else {
		snprintf(job->message, sizeof(job->message), "no valid OCSP response");
	}
}

static void json_set_time(json_t *o, const char *key, time_t t, int present)
{
	char buf[32];

	if (present)
		json_object_set_new(o, key, json_string(time_format(buf, sizeof(buf), t)));
	else
		json_object_set_new(o, key, json_null());
}

static void job_print(const struct staple_job *job, int as_json)
{
	const struct ocsp_verdict *v = NULL;
	char refresh[32] = "";
	time_t refresh_at = 0;
	size_t i;

	if (job->fresh_der != NULL)
		v = &job->fresh;
	else if (job->stored_valid)
		v = &job->stored;
	if (v != NULL)
		refresh_at = staple_refresh_at(v->this_update, v->next_update,
		                               (double)arc4random_uniform(1000000) / 1e6);

	if (!as_json) {
		if (v != NULL && job->exit_code != EXIT_UNKNOWN)
			printf("%s %s: %s refresh_at=%s\n", exit_code_name(job->exit_code),
			       job->cert_path, job->message,
			       time_format(refresh, sizeof(refresh), refresh_at));
		else
			printf("%s %s: %s\n", exit_code_name(job->exit_code), job->cert_path,
			       job->message);
		fflush(stdout);
		return;
	}

	json_t *o = json_object(), *errs = json_array();
	char *line;

	json_object_set_new(o, "cert", json_string(job->cert_path));
	json_object_set_new(o, "result", json_string(exit_code_name(job->exit_code)));
	json_object_set_new(o, "exit", json_integer(job->exit_code));
	json_object_set_new(
	    o, "status", json_string(staple_cert_status_name(v ? v->status : STAPLE_STATUS_NONE)));
	json_object_set_new(o, "serial", job->serial[0] ? json_string(job->serial) : json_null());
	json_object_set_new(o, "responder",
	                    job->fresh_der && job->responder ? json_string(job->responder)
	                                                     : json_null());
	json_object_set_new(o, "source",
	                    json_string(job->fresh_der ? "responder"
	                                : v            ? "stored"
	                                               : "none"));
	json_set_time(o, "this_update", v ? v->this_update : 0, v != NULL);
	json_set_time(o, "next_update", v ? v->next_update : 0, v != NULL);
	json_set_time(o, "produced_at", v ? v->produced_at : 0, v != NULL);
	if (v != NULL && v->status == STAPLE_STATUS_REVOKED) {
		json_set_time(o, "revocation_time", v->revocation_time, 1);
		json_object_set_new(o, "revocation_reason", json_integer(v->revocation_reason));
	}
	json_set_time(o, "refresh_at", refresh_at, v != NULL);
	json_object_set_new(o, "out", job->out_path ? json_string(job->out_path) : json_null());
	json_object_set_new(o, "written", json_boolean(job->written));
	json_object_set_new(o, "message", json_string(job->message));
	for (i = 0; i < job->error_count; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "url", json_string(job->errors[i].url));
		json_object_set_new(e, "error",
		                    json_string(staple_error_name(job->errors[i].error)));
		json_object_set_new(e, "detail", json_string(job->errors[i].detail));
		json_array_append_new(errs, e);
	}
	json_object_set_new(o, "errors", errs);
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line != NULL) {
		printf("%s\n", line);
		free(line);
	}
	fflush(stdout);
	json_decref(o);
}

/* Where the staple for cert_path goes: --out as given, or DIR/<base>.ocsp. */
static int job_out_path(struct staple_job *job, const char *out, const char *out_dir)
{
	const char *base;
	size_t n;

	if (out != NULL) {
		job->out_path = strdup(out);
	} else if (out_dir != NULL) {
		base = strrchr(job->cert_path, '/');
		base = base ? base + 1 : job->cert_path;
		n = strlen(out_dir) + 1 + strlen(base) + sizeof(".ocsp");
		if (n > PATH_MAX)
			return -1;
		job->out_path = malloc(n);
		if (job->out_path != NULL)
			snprintf(job->out_path, n, "%s/%s.ocsp", out_dir, base);
	} else {
		return 0;
	}
	return job->out_path ? 0 : -1;
}

int cmd_staple(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"issuer", required_argument, NULL, 'i'},
	    {"url", required_argument, NULL, 'u'},
	    {"out", required_argument, NULL, 'o'},
	    {"out-dir", required_argument, NULL, 'd'},
	    {"parallel", required_argument, NULL, 'p'},
	    {"connect-timeout", required_argument, NULL, 'C'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct http_options hopt;
	struct staple_run run;
	struct staple_job *jobs = NULL;
	struct store_batch *batch = NULL;
	char *backup_urls[STAPLE_URLS_MAX];
	size_t backup_count = 0, njobs, i;
	const char *issuer = NULL, *out = NULL, *out_dir = NULL;
	int as_json = 0, verbose = 0, ch, worst = EXIT_OK;
	long ms;
	char *end;

	memset(&run, 0, sizeof(run));
	http_options_default(&hopt);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			issuer = optarg;
			break;
		case 'u':
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0) {
				fprintf(
				    stderr,
				    "holdfast staple: --url must be an http:// or https:// URL\n");
				return EXIT_UNKNOWN;
			}
			if (backup_count == CERT_URLS_MAX) {
				fprintf(stderr, "holdfast staple: at most %d --url\n",
				        CERT_URLS_MAX);
				return EXIT_UNKNOWN;
			}
			backup_urls[backup_count++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			out_dir = optarg;
			break;
		case 'p':
			errno = 0;
			ms = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || ms < 1 || ms > STAPLE_PARALLEL_MAX) {
				fprintf(stderr, "holdfast staple: --parallel takes 1..%d\n",
				        STAPLE_PARALLEL_MAX);
				return EXIT_UNKNOWN;
			}
			hopt.parallel = (size_t)ms;
			break;
		case 'C':
		case 'T':
			ms = parse_seconds_ms(optarg);
			if (ms < 0) {
				fprintf(stderr, "holdfast staple: bad number of seconds \"%s\"\n",
				        optarg);
				return EXIT_UNKNOWN;
			}
			if (ch == 'C')
				hopt.connect_timeout_ms = ms;
			else
				hopt.timeout_ms = ms;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			staple_usage(stdout);
			return EXIT_OK;
		default:
			staple_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	njobs = (size_t)(argc - optind);
	if (njobs == 0) {
		fprintf(stderr, "holdfast staple: no certificate given\n");
		staple_usage(stderr);
		return EXIT_UNKNOWN;
	}
	if (out != NULL && out_dir != NULL) {
		fprintf(stderr, "holdfast staple: --out and --out-dir exclude each other\n");
		return EXIT_UNKNOWN;
	}
	if (out != NULL && njobs != 1) {
		fprintf(stderr,
		        "holdfast staple: --out takes exactly one certificate; use --out-dir\n");
		return EXIT_UNKNOWN;
	}
	if (out_dir != NULL) {
		struct stat st;
		if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "holdfast staple: --out-dir %s is not a directory\n",
			        out_dir);
			return EXIT_UNKNOWN;
		}
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);

	jobs = calloc(njobs, sizeof(*jobs));
	run.client = http_client_new(&hopt, staple_on_response, &run);
	batch = store_batch_new();
	if (jobs == NULL || run.client == NULL || batch == NULL) {
		fprintf(stderr, "holdfast staple: out of memory\n");
		worst = EXIT_UNKNOWN;
		goto out;
	}
	if (issuer != NULL) {
		char err[256];
		STACK_OF(X509) *sk = cert_chain_load(issuer, err, sizeof(err));
		if (sk == NULL) {
			fprintf(stderr, "holdfast staple: cannot load issuer %s: %s\n", issuer,
			        err);
			worst = EXIT_UNKNOWN;
			goto out;
		}
		run.issuer_override = sk_X509_shift(sk);
		sk_X509_pop_free(sk, X509_free);
	}
	run.now = time(NULL);
	run.jobs = jobs;
	run.job_count = njobs;
	run.window = hopt.parallel * 4;
	run.backup_urls = backup_urls;
	run.backup_count = backup_count;
	for (i = 0; i < njobs; i++) {
		jobs[i].cert_path = argv[optind + (int)i];
		jobs[i].batch_index = -1;
		if (job_out_path(&jobs[i], out, out_dir) != 0)
			job_fail(&jobs[i], EXIT_UNKNOWN, "%s", "output path too long");
	}
	staple_pump(&run);
	if (http_client_run(run.client) != 0)
		worst = EXIT_UNKNOWN;
	/* Every file is made durable together, then each job reports. */
	for (i = 0; i < njobs; i++) {
		if (jobs[i].exit_code == EXIT_OK)
			job_stage(&jobs[i], batch);
	}
	store_batch_commit(batch);
	for (i = 0; i < njobs; i++) {
		struct staple_job *job = &jobs[i];
		if (job->exit_code == EXIT_OK)
			job_finish(job, batch);
		job_print(job, as_json);
		if (job->exit_code > worst)
			worst = job->exit_code;
	}
out:
	for (i = 0; jobs != NULL && i < njobs; i++)
		job_free(&jobs[i]);
	for (i = 0; i < run.issuer_count; i++) {
		free(run.issuers[i].pem);
		X509_free(run.issuers[i].cert);
	}
	X509_free(run.issuer_override);
	store_batch_free(batch);
	free(jobs);
	http_client_free(run.client);
	return worst;
}

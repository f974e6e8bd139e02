/*
 * holdfast staple: fetch, validate and store OCSP staples, once.
 *
 * Reads top to bottom like OpenBSD's ocspcheck, but for many certificates at
 * once: load each certificate and its issuer, note what is already stored,
 * start one fetch per certificate on a shared HTTP client (parallel,
 * keep-alive; ocsp/fetch.c asks the responders in turn and decides what is
 * accepted, exactly as for the daemon), and when everything has finished,
 * decide per certificate what to write and what to report.
 *
 * What is written, and when (the rules operators rely on):
 * - a new response is written only after the fetcher accepted it
 *   (ocsp_response_check(), and not older than a valid one already stored);
 * - when no responder gives a valid answer but the stored staple is still
 *   valid, the file is not touched (WARNING);
 * - when no valid staple can be had at all, the file is replaced by the
 *   tryLater placeholder (CRITICAL), so nginx and HAProxy stop stapling the
 *   stale response instead of serving it (nginx would otherwise keep serving
 *   an expired ssl_stapling_file indefinitely).
 *
 * Cost per certificate (bench/staple): the leaf is decoded without its public
 * key (cert_leaf), its issuer comes from one shared cacerts set (decoded once
 * per distinct issuer), and a response signed by the issuer is checked
 * without decoding the certificates it carries; what is left is mostly the
 * two RSA signature checks (the leaf's, the response's) and the file writes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "ocsp/check.h"
#include "ocsp/fetch.h"
#include "ocsp/policy.h"
#include "util/atomic.h"
#include "util/http.h"
#include "util/log.h"
#include "util/result.h"
#include "util/timeutil.h"
#include "x509/cacerts.h"
#include "x509/cert.h"

#define STAPLE_PARALLEL_MAX 1024
#define STAPLE_FILE_MODE    0644
#define STAPLE_MESSAGE_MAX  512

struct staple_run;

/* One certificate.  Kept small: a run may hold many thousands of them, and
 * only the jobs in flight hold a leaf and a fetch. */
struct staple_job {
	struct staple_run *run;
	const char *cert_path;
	char *out_path; /* NULL when nothing is written */
	char serial[48];

	/* while in flight */
	struct cert_leaf *leaf;
	X509 *issuer; /* borrowed from run->cacerts */
	struct ocsp_fetch *fetch;

	/* what was on disk before we started */
	int stored_present;
	int stored_valid;
	int stored_is_placeholder;
	struct ocsp_verdict stored;

	/* what the responders gave (taken from the fetch's result) */
	unsigned char *fresh_der;
	size_t fresh_len;
	struct ocsp_verdict fresh;
	char *responder; /* URL that gave fresh_der */
	struct ocsp_fetch_error *errors;
	size_t error_count;

	/* outcome */
	int exit_code;
	int written;
	long batch_index;
	char message[STAPLE_MESSAGE_MAX];
};

struct staple_run {
	struct http_client *client;
	time_t now;
	struct staple_job *jobs;
	size_t job_count;
	size_t next_prepare;
	size_t in_flight;
	size_t window;           /* jobs prepared ahead of the HTTP client */
	struct cacerts *cacerts; /* the issuers, each decoded once */
	X509 *issuer_override;   /* --issuer, borrowed from cacerts */
	char **backup_urls;
	size_t backup_count;
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
	ocsp_fetch_free(job->fetch);
	job->fetch = NULL;
	cert_leaf_free(job->leaf);
	job->leaf = NULL;
	job->issuer = NULL;
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

/* The first certificate of the PEM file path, decoded into the shared set;
 * NULL with the reason in err. */
static X509 *issuer_load(struct cacerts *set, const char *path, char *err, size_t errlen)
{
	unsigned char *data = NULL, *der = NULL, *second = NULL;
	size_t len = 0, der_len = 0, second_len = 0;
	X509 *x = NULL;

	if (store_read_file(path, CERT_FILE_MAX, &data, &len) != 0) {
		snprintf(err, errlen, "%s", errno == EFBIG ? "file too large" : strerror(errno));
		return NULL;
	}
	if (cert_pem_leaf_issuer_der((const char *)data, len, &der, &der_len, &second,
	                             &second_len) != 0)
		snprintf(err, errlen, "no PEM certificate found");
	else if ((x = cacerts_get(set, der, der_len)) == NULL)
		snprintf(err, errlen, "not a certificate");
	free(data);
	free(der);
	free(second);
	return x;
}

/* Load the certificate, its issuer, its responder URLs and the stored staple,
 * and make its fetch.  Returns 0 when the job can go to the network, -1 when
 * it already has its (UNKNOWN) outcome. */
static int job_prepare(struct staple_run *run, struct staple_job *job)
{
	char why[256];
	unsigned char *data = NULL, *leaf_der = NULL, *issuer_der = NULL, *stored = NULL;
	size_t len = 0, leaf_len = 0, issuer_len = 0, stored_len = 0, url_count;
	char *urls[OCSP_FETCH_URLS_MAX];
	struct ocsp_fetch_want want;
	time_t now = run->now;

	if (store_read_file(job->cert_path, CERT_FILE_MAX, &data, &len) != 0) {
		job_fail(job, EXIT_UNKNOWN, "cannot load certificate: %s",
		         errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	if (cert_pem_leaf_issuer_der((const char *)data, len, &leaf_der, &leaf_len, &issuer_der,
	                             &issuer_len) == 0)
		job->leaf = cert_leaf_new(leaf_der, leaf_len);
	free(data);
	free(leaf_der);
	if (job->leaf == NULL) {
		free(issuer_der);
		job_fail(job, EXIT_UNKNOWN, "cannot load certificate: %s",
		         "no PEM certificate found");
		return -1;
	}
	if (run->issuer_override != NULL)
		job->issuer = run->issuer_override;
	else if (issuer_der != NULL)
		job->issuer = cacerts_get(run->cacerts, issuer_der, issuer_len);
	free(issuer_der);
	if (job->issuer == NULL) {
		job_fail(job, EXIT_UNKNOWN, "%s",
		         "no issuer: append the chain to the certificate file or give --issuer");
		return -1;
	}
	if (!cert_leaf_verify(job->leaf, job->issuer, why, sizeof(why))) {
		job_fail(job, EXIT_UNKNOWN,
		         "the issuer certificate did not issue this certificate: %s", why);
		return -1;
	}
	cert_leaf_serial_hex(job->leaf, job->serial, sizeof(job->serial));

	url_count = ocsp_responder_urls(job->leaf, run->backup_urls, run->backup_count, urls,
	                                OCSP_FETCH_URLS_MAX);
	if (url_count == 0) {
		job_fail(job, EXIT_UNKNOWN, "%s",
		         "no OCSP responder: the certificate has no AIA OCSP URL and no --url was "
		         "given");
		return -1;
	}

	if (job->out_path != NULL) {
		if (store_read_file(job->out_path, OCSP_RESPONSE_MAX, &stored, &stored_len) == 0) {
			job->stored_present = 1;
			job->stored_is_placeholder = staple_is_placeholder(stored, stored_len);
			ocsp_response_check_serial(
			    stored, stored_len, cert_leaf_issuer_name(job->leaf),
			    cert_leaf_serial(job->leaf), job->issuer, now, &job->stored);
			job->stored_valid = staple_servable(&job->stored, now);
			free(stored);
		} else if (errno == EFBIG) {
			job->stored_present = 1; /* too large to be a staple: treat as invalid */
		} else if (errno != ENOENT) {
			job_fail(job, EXIT_UNKNOWN, "cannot read %s: %s", job->out_path,
			         strerror(errno));
			ocsp_responder_urls_free(urls, url_count);
			return -1;
		}
	}

	memset(&want, 0, sizeof(want));
	want.leaf = job->leaf;
	want.issuer = job->issuer;
	want.held = job->stored_valid ? &job->stored : NULL;
	job->fetch = ocsp_fetch_new(&want, urls, url_count);
	ocsp_responder_urls_free(urls, url_count);
	if (job->fetch == NULL) {
		job_fail(job, EXIT_UNKNOWN, "%s", "cannot build the OCSP request");
		return -1;
	}
	return 0;
}

/* Take what the fetch ended with into the job, and log it. */
static void job_take_result(struct staple_job *job)
{
	struct ocsp_fetch_result *r = ocsp_fetch_result(job->fetch);
	char safe_url[512], safe_detail[HTTP_DETAIL_MAX];
	size_t i;

	for (i = 0; i < r->error_count; i++)
		log_warn("ocsp_fetch_failed", "cert=%s serial=%s url=\"%s\" error=%s detail=\"%s\"",
		         job->cert_path, job->serial,
		         log_safe(safe_url, sizeof(safe_url), r->errors[i].url),
		         staple_error_name(r->errors[i].error),
		         log_safe(safe_detail, sizeof(safe_detail), r->errors[i].detail));
	job->errors = r->errors;
	job->error_count = r->error_count;
	r->errors = NULL;
	r->error_count = 0;
	if (r->der == NULL)
		return;
	log_info("ocsp_fetched", "cert=%s serial=%s url=\"%s\" status=%s", job->cert_path,
	         job->serial, log_safe(safe_url, sizeof(safe_url), r->responder),
	         staple_cert_status_name(r->verdict.status));
	job->fresh_der = r->der;
	job->fresh_len = r->der_len;
	job->fresh = r->verdict;
	job->responder = r->responder;
	r->der = NULL;
	r->responder = NULL;
}

static void staple_on_fetched(struct ocsp_fetch *f, void *user);

/* Prepare and start jobs while the window has room. */
static void staple_pump(struct staple_run *run)
{
	while (run->in_flight < run->window && run->next_prepare < run->job_count) {
		struct staple_job *job = &run->jobs[run->next_prepare++];
		if (job->exit_code != EXIT_OK || job_prepare(run, job) != 0) {
			job_release(job);
			continue;
		}
		if (ocsp_fetch_start(job->fetch, run->client, staple_on_fetched, job) != 0) {
			job_take_result(job); /* no responder was usable: decided later */
			job_release(job);
			continue;
		}
		run->in_flight++;
	}
}

/* A fetch ended: keep its outcome, free its heavy state, start the next. */
static void staple_on_fetched(struct ocsp_fetch *f, void *user)
{
	struct staple_job *job = user;
	struct staple_run *run = job->run;

	(void)f;
	job_take_result(job);
	job_release(job);
	run->in_flight--;
	staple_pump(run);
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
			cli_line("%s %s: %s refresh_at=%s", exit_code_name(job->exit_code),
			         job->cert_path, job->message,
			         time_format(refresh, sizeof(refresh), refresh_at));
		else
			cli_line("%s %s: %s", exit_code_name(job->exit_code), job->cert_path,
			         job->message);
		fflush(stdout);
		return;
	}

	json_t *o = json_object(), *errs = json_array();

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
	cli_json_line(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	fflush(stdout);
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

static int out_path_cmp(const void *a, const void *b)
{
	const struct staple_job *x = *(const struct staple_job *const *)a;
	const struct staple_job *y = *(const struct staple_job *const *)b;

	return strcmp(x->out_path ? x->out_path : "", y->out_path ? y->out_path : "");
}

/* 0 when no two jobs write the same file (--out-dir with a/www.pem and
 * b/www.pem); else -1, the pair named on stderr. */
static int out_paths_distinct(struct staple_job *jobs, size_t n)
{
	struct staple_job **order = calloc(n ? n : 1, sizeof(*order));
	size_t i;
	int rc = 0;

	if (order == NULL)
		return -1;
	for (i = 0; i < n; i++)
		order[i] = &jobs[i];
	qsort(order, n, sizeof(*order), out_path_cmp);
	for (i = 1; i < n && rc == 0; i++) {
		if (order[i]->out_path != NULL && order[i - 1]->out_path != NULL &&
		    strcmp(order[i]->out_path, order[i - 1]->out_path) == 0) {
			char a[PATH_MAX], b[PATH_MAX], o[PATH_MAX];
			log_clean(order[i - 1]->cert_path, a, sizeof(a));
			log_clean(order[i]->cert_path, b, sizeof(b));
			log_clean(order[i]->out_path, o, sizeof(o));
			fprintf(
			    stderr,
			    "holdfast staple: %s and %s would both be written to %s; staple them "
			    "in separate runs or with --out\n",
			    a, b, o);
			rc = -1;
		}
	}
	free(order);
	return rc;
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
	char *backup_urls[CERT_URLS_MAX];
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
	run.client = http_client_new(&hopt, NULL, NULL); /* each fetch has its callback */
	run.cacerts = cacerts_new();
	batch = store_batch_new();
	if (jobs == NULL || run.client == NULL || run.cacerts == NULL || batch == NULL) {
		fprintf(stderr, "holdfast staple: out of memory\n");
		worst = EXIT_UNKNOWN;
		goto out;
	}
	if (issuer != NULL) {
		char err[256];
		run.issuer_override = issuer_load(run.cacerts, issuer, err, sizeof(err));
		if (run.issuer_override == NULL) {
			fprintf(stderr, "holdfast staple: cannot load issuer %s: %s\n", issuer,
			        err);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}
	run.now = time(NULL);
	run.jobs = jobs;
	run.job_count = njobs;
	run.window = hopt.parallel * 4;
	run.backup_urls = backup_urls;
	run.backup_count = backup_count;
	for (i = 0; i < njobs; i++) {
		jobs[i].run = &run;
		jobs[i].cert_path = argv[optind + (int)i];
		jobs[i].batch_index = -1;
		if (job_out_path(&jobs[i], out, out_dir) != 0)
			job_fail(&jobs[i], EXIT_UNKNOWN, "%s", "output path too long");
	}
	if (out_dir != NULL && out_paths_distinct(jobs, njobs) != 0) {
		worst = EXIT_UNKNOWN; /* nothing fetched, nothing written */
		goto out;
	}
	staple_pump(&run);
	if (http_client_run(run.client) != 0)
		worst = (int)result_worse((enum result)worst, RESULT_UNKNOWN);
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
		worst = (int)result_worse((enum result)worst, (enum result)job->exit_code);
	}
out:
	for (i = 0; jobs != NULL && i < njobs; i++)
		job_free(&jobs[i]);
	store_batch_free(batch);
	free(jobs);
	http_client_free(run.client);
	cacerts_free(run.cacerts); /* after the jobs, which borrow from it */
	return worst;
}

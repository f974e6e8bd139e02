/*
 * holdfast issue / renew / revoke: the command-line face of the issuer
 * (src/issuer.c, which holds the design): a bounded pool of worker threads
 * takes the certificates in order, so many are issued concurrently; revoke
 * talks to the CA that issued the current certificate.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acme/issuer.h"
#include "acme/protocol.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "store/store.h"
#include "util/log.h"
#include "util/result.h"
#include "util/timeutil.h"

#define ISSUE_PARALLEL_DEFAULT 8
#define ISSUE_PARALLEL_MAX     256

struct job_queue {
	pthread_mutex_t lock;
	pthread_mutex_t caa_lock; /* one CAA check at a time (c-ares's init is not thread-safe) */
	struct issuer *iss;
	struct issue_job *jobs;
	size_t job_count, next_job;
};

/* Before a failover: skip a later CA that CAA forbids (see issuer.h). */
static int issue_caa_check(void *ctx, const struct conf *conf, const struct conf_cert *cert,
                           const char *ca_name, char *why, size_t whylen)
{
	struct job_queue *q = ctx;
	enum audit_caa_answer a;

	pthread_mutex_lock(&q->caa_lock);
	a = audit_caa_may_issue(conf, cert, ca_name, why, whylen);
	pthread_mutex_unlock(&q->caa_lock);
	return a != AUDIT_CAA_REFUSED;
}

static void *worker_main(void *arg)
{
	struct job_queue *q = arg;
	struct issuer_worker *w = issuer_worker_new(q->iss);

	for (;;) {
		struct issue_job *job = NULL;
		pthread_mutex_lock(&q->lock);
		if (q->next_job < q->job_count)
			job = &q->jobs[q->next_job++];
		pthread_mutex_unlock(&q->lock);
		if (job == NULL)
			break;
		if (w == NULL) {
			job->result = RESULT_UNKNOWN;
			job->action = "failed";
			snprintf(job->message, sizeof(job->message), "out of memory");
			continue;
		}
		issuer_run_job(w, job);
	}
	issuer_worker_free(w);
	return NULL;
}

static void job_print(const struct issue_job *job, int as_json)
{
	char t1[32], t2[32];
	size_t i;

	if (!as_json) {
		cli_line("%s %s: %s", exit_code_name(job->result), job->cert->name, job->message);
		return;
	}
	json_t *o = json_object(), *att = json_array();
	json_object_set_new(o, "cert", json_string(job->cert->name));
	json_object_set_new(o, "result", json_string(exit_code_name(job->result)));
	json_object_set_new(o, "exit", json_integer(job->result));
	json_object_set_new(o, "action", json_string(job->action));
	json_object_set_new(o, "ca", job->ca_used[0] ? json_string(job->ca_used) : json_null());
	json_object_set_new(o, "serial", job->serial[0] ? json_string(job->serial) : json_null());
	json_object_set_new(o, "not_after",
	                    job->not_after
	                        ? json_string(time_format(t1, sizeof(t1), job->not_after))
	                        : json_null());
	json_object_set_new(o, "renew_at",
	                    job->renew_at ? json_string(time_format(t2, sizeof(t2), job->renew_at))
	                                  : json_null());
	for (i = 0; i < job->attempt_count; i++)
		json_array_append_new(att,
		                      json_pack("{s:s, s:s, s:s, s:s}", "ca", job->attempts[i].ca,
		                                "url", job->attempts[i].url, "error",
		                                acme_error_name(job->attempts[i].error), "detail",
		                                job->attempts[i].detail));
	json_object_set_new(o, "attempts", att);
	json_object_set_new(o, "message", json_string(job->message));
	cli_json_line(o, JSON_COMPACT | JSON_ENSURE_ASCII);
}

static void issue_usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "revoke") == 0) {
		fprintf(f, "usage: holdfast revoke [-c FILE] [--reason N] [-v] NAME\n\n"
		           "Revoke the current certificate of [certificate NAME] at the CA that "
		           "issued it.\n");
		return;
	}
	fprintf(f,
	        "usage: holdfast %s [-c FILE] %s[--parallel N] [--json] [-v]%s\n\n"
	        "%s\n\n"
	        "  -c FILE        configuration (default %s)\n"
	        "%s"
	        "  --parallel N   certificates issued at once (default %d)\n"
	        "  --json         one JSON object per certificate on stdout\n"
	        "  -v             log each step to stderr (twice: debug)\n\n"
	        "Exit: 0 OK, 1 WARNING (issued by a backup CA), 2 CRITICAL (issuance failed;\n"
	        "the current certificate or the placeholder is kept), 3 UNKNOWN (usage, config).\n",
	        cmd, strcmp(cmd, "issue") == 0 ? "[--force] " : "",
	        strcmp(cmd, "issue") == 0 ? " [NAME...]" : "",
	        strcmp(cmd, "issue") == 0
	            ? "Issue the named certificates (all when none is named) now, failing over\n"
	              "across their CAs; a certificate never issued gets a placeholder first."
	            : "Renew every certificate that is due (ARI window, or a third of its\n"
	              "lifetime left, or a placeholder) and exit.",
	        CONF_DEFAULT_PATH,
	        strcmp(cmd, "issue") == 0 ? "  --force        issue even when not due\n" : "",
	        ISSUE_PARALLEL_DEFAULT);
}

static int issue_common(int argc, char **argv, enum issue_mode mode)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"force", no_argument, NULL, 'f'},
	    {"parallel", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd = mode == MODE_ISSUE ? "issue" : "renew";
	const char *conf_path = CONF_DEFAULT_PATH;
	char err[CONF_ERROR_MAX];
	struct job_queue q;
	int force = 0;
	pthread_t *threads = NULL;
	struct conf *conf = NULL;
	struct store *st = NULL;
	long parallel = ISSUE_PARALLEL_DEFAULT;
	int as_json = 0, verbose = 0, ch, worst = EXIT_OK;
	size_t i, nthreads = 0, started = 0;
	char *end;

	memset(&q, 0, sizeof(q));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			if (mode != MODE_ISSUE) {
				issue_usage(stderr, cmd);
				return EXIT_UNKNOWN;
			}
			force = 1;
			break;
		case 'p':
			errno = 0;
			parallel = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || parallel < 1 ||
			    parallel > ISSUE_PARALLEL_MAX) {
				fprintf(stderr, "holdfast %s: --parallel takes 1..%d\n", cmd,
				        ISSUE_PARALLEL_MAX);
				return EXIT_UNKNOWN;
			}
			break;
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			issue_usage(stdout, cmd);
			return EXIT_OK;
		default:
			issue_usage(stderr, cmd);
			return EXIT_UNKNOWN;
		}
	}
	if (mode == MODE_RENEW && optind < argc) {
		issue_usage(stderr, cmd);
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast %s: %s\n", cmd, err);
		return EXIT_UNKNOWN;
	}
	if (optind < argc) {
		q.job_count = (size_t)(argc - optind);
		q.jobs = calloc(q.job_count, sizeof(*q.jobs));
		for (i = 0; q.jobs && i < q.job_count; i++) {
			q.jobs[i].cert = conf_cert_find(conf, argv[optind + (int)i]);
			if (q.jobs[i].cert == NULL) {
				fprintf(stderr, "holdfast %s: no [certificate %s] in %s\n", cmd,
				        argv[optind + (int)i], conf_path);
				worst = EXIT_UNKNOWN;
				goto out;
			}
		}
	} else {
		q.job_count = conf->cert_count;
		q.jobs = calloc(q.job_count ? q.job_count : 1, sizeof(*q.jobs));
		for (i = 0; q.jobs && i < q.job_count; i++)
			q.jobs[i].cert = &conf->certs[i];
	}
	if (q.jobs == NULL || pthread_mutex_init(&q.lock, NULL) != 0 ||
	    pthread_mutex_init(&q.caa_lock, NULL) != 0) {
		fprintf(stderr, "holdfast %s: out of memory\n", cmd);
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < q.job_count; i++) {
		q.jobs[i].mode = mode;
		q.jobs[i].force = force;
		if (q.jobs[i].cert->cas.count == 0) {
			fprintf(stderr, "holdfast %s: [certificate %s] has no cas\n", cmd,
			        q.jobs[i].cert->name);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}
	st = store_open(conf, STORE_CREATE, err, sizeof(err));
	q.iss = st ? issuer_new(conf, st, err, sizeof(err)) : NULL;
	if (q.iss == NULL) {
		fprintf(stderr, "holdfast %s: %s\n", cmd, err);
		worst = EXIT_UNKNOWN;
		goto out;
	}
	issuer_set_ca_check(q.iss, issue_caa_check, &q);
	for (i = 0; i < q.job_count; i++) {
		if (issuer_listen(q.iss, q.jobs[i].cert) != 0) {
			fprintf(stderr, "holdfast %s: cannot listen on %s for http-01\n", cmd,
			        q.jobs[i].cert->http_listen);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}
	nthreads = q.job_count < (size_t)parallel ? q.job_count : (size_t)parallel;
	threads = calloc(nthreads ? nthreads : 1, sizeof(*threads));
	if (threads == NULL) {
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker_main, &q) != 0)
			break;
		started++;
	}
	if (started == 0 && q.job_count > 0) {
		fprintf(stderr, "holdfast %s: cannot start workers\n", cmd);
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	issuer_save_state(q.iss);
	for (i = 0; i < q.job_count; i++) {
		job_print(&q.jobs[i], as_json);
		worst = (int)result_worse((enum result)worst, q.jobs[i].result);
	}
out:
	free(threads);
	issuer_free(q.iss);
	store_free(st);
	if (q.jobs != NULL) {
		pthread_mutex_destroy(&q.lock);
		pthread_mutex_destroy(&q.caa_lock);
	}
	free(q.jobs);
	conf_free(conf);
	fflush(stdout);
	return worst;
}

int cmd_issue(int argc, char **argv)
{
	return issue_common(argc, argv, MODE_ISSUE);
}

int cmd_renew(int argc, char **argv)
{
	return issue_common(argc, argv, MODE_RENEW);
}

int cmd_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"reason", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH, *ca_name;
	char err[CONF_ERROR_MAX];
	struct conf *conf = NULL;
	struct store *st = NULL;
	const struct conf_cert *cert;
	const struct conf_ca *ca;
	struct store_cert *ci = NULL;
	struct acme_session s;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int ch, reason = 0, verbose = 0, n, rc = EXIT_UNKNOWN, session = 0;
	char *end;
	long v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'r':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 0 || v > 10 || v == 7) {
				fprintf(stderr, "holdfast revoke: --reason takes an RFC 5280 "
				                "reason code (0-10, not 7)\n");
				return EXIT_UNKNOWN;
			}
			reason = (int)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			issue_usage(stdout, "revoke");
			return EXIT_OK;
		default:
			issue_usage(stderr, "revoke");
			return EXIT_UNKNOWN;
		}
	}
	if (optind != argc - 1) {
		issue_usage(stderr, "revoke");
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast revoke: %s\n", err);
		return EXIT_UNKNOWN;
	}
	cert = conf_cert_find(conf, argv[optind]);
	if (cert == NULL) {
		fprintf(stderr, "holdfast revoke: no [certificate %s] in %s\n", argv[optind],
		        conf_path);
		goto out;
	}
	st = store_open(conf, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "holdfast revoke: %s\n", err);
		goto out;
	}
	ci = store_cert_load(st, cert->name);
	if (ci == NULL) {
		fprintf(stderr, "holdfast revoke: no certificate stored for %s\n", cert->name);
		goto out;
	}
	ca_name = ci->meta->ca;
	ca = ca_name ? conf_ca_find(conf, ca_name) : NULL;
	if (ci->meta->placeholder || ca == NULL) {
		fprintf(stderr, "holdfast revoke: %s is %s\n", cert->name,
		        ci->meta->placeholder ? "a placeholder, not issued by a CA"
		                              : "from a CA no longer configured");
		goto out;
	}
	rc = EXIT_CRITICAL;
	if (acme_session_init(&s, ca, conf->acme_connect_timeout, conf->acme_timeout) != 0)
		goto out;
	session = 1;
	if (store_account_load(st, ca->name, ca->directory, &key, s.kid, sizeof(s.kid)) != 0)
		goto out;
	s.account_key = key;
	n = i2d_X509(ci->cert, &der);
	if (n <= 0 || acme_directory_load(&s) != ACME_OK ||
	    acme_account_ensure(&s, ca->eab_kid, ca->eab_hmac_key) != ACME_OK ||
	    acme_revoke(&s, der, (size_t)n, reason) != ACME_OK) {
		printf("CRITICAL %s: revocation failed at %s: %s: %s\n", cert->name, ca->name,
		       acme_error_name(s.error), s.detail);
		goto out;
	}
	ci->meta->revoked = 1;
	ci->meta->revoked_at = time(NULL);
	store_cert_meta_save(ci);
	log_info("certificate_revoked", "cert=%s ca=%s serial=%s reason=%d", cert->name, ca->name,
	         ci->serial, reason);
	printf("OK %s: serial %s revoked at %s\n", cert->name, ci->serial, ca->name);
	rc = EXIT_OK;
out:
	OPENSSL_free(der);
	if (session)
		acme_session_cleanup(&s);
	EVP_PKEY_free(key);
	store_cert_free(ci);
	store_free(st);
	conf_free(conf);
	return rc;
}

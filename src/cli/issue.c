/*
 * holdfast issue / renew / revoke: keep certificates issued through CA
 * outages.
 *
 * Each configured certificate is one job; a bounded pool of worker threads
 * takes jobs in order, so many certificates are issued concurrently.  A job
 * reads top to bottom:
 *   1. load what the store holds; decide whether anything is due;
 *   2. a certificate never issued gets a self-signed placeholder at once,
 *      so a web server can start (it is replaced as soon as issuance works);
 *   3. try the certificate's CAs in order of preference.  An endpoint that
 *      fails with an outage (does not resolve, refuses, times out, 5xx, 429)
 *      opens its circuit breaker and the next CA is tried at once; a CA
 *      whose breaker is open is skipped until its backoff has passed, then
 *      probed by one job (half-open) and preferred again when it answers;
 *   4. install the new set atomically, with meta.json saying which CA issued
 *      it and when to renew (inside the ARI window when the CA offers one,
 *      otherwise when a third of the lifetime remains).
 * A worker keeps one ACME session per CA across its jobs, so connections,
 * the directory, nonces and the account are reused.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "acme.h"
#include "acme_jws.h"
#include "ari.h"
#include "breaker.h"
#include "cert.h"
#include "certstore.h"
#include "challenge.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define ISSUE_PARALLEL_DEFAULT 8
#define ISSUE_PARALLEL_MAX     256
#define ISSUE_ATTEMPTS_MAX     32
#define ISSUE_BACKOFF_BASE     60L
#define PLACEHOLDER_DAYS       7

enum issue_mode { MODE_ISSUE, MODE_RENEW };

struct attempt {
	const char *ca;
	char url[1024];
	enum acme_error error;
	char detail[512];
};

struct issue_job {
	const struct conf_cert *cert;
	int exit_code;
	const char *action; /* issued | skipped | placeholder | failed | revoked */
	char ca_used[64];
	char serial[128];
	time_t not_after, renew_at;
	struct attempt attempts[ISSUE_ATTEMPTS_MAX];
	size_t attempt_count;
	char message[512];
};

struct ca_account {
	pthread_mutex_t lock;
	EVP_PKEY *key;
	char kid[1024];
	int loaded;
};

struct issue_run {
	const struct conf *conf;
	struct challenge_registry *reg;
	pthread_mutex_t lock; /* breakers and the job queue */
	struct breaker *breakers;
	struct ca_account *accounts;
	char breaker_path[PATH_MAX];
	enum issue_mode mode;
	int force;
	struct issue_job *jobs;
	size_t job_count, next_job;
};

static void job_message(struct issue_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void job_message(struct issue_job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(job->message, sizeof(job->message), fmt, ap);
	va_end(ap);
}

static size_t ca_index(const struct conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->ca_count; i++) {
		if (strcmp(conf->cas[i].name, name) == 0)
			return i;
	}
	return (size_t)-1;
}

/* Per-worker sessions, one per configured CA, opened lazily. */
struct worker {
	struct issue_run *run;
	struct acme_session *sessions;
	int *session_ready;
};

/* A session for CA i with its directory loaded and account known. */
static enum acme_error worker_session(struct worker *w, size_t i, struct acme_session **out)
{
	struct issue_run *run = w->run;
	const struct conf_ca *ca = &run->conf->cas[i];
	struct acme_session *s = &w->sessions[i];
	struct ca_account *acct = &run->accounts[i];
	enum acme_error e;

	*out = s;
	if (!w->session_ready[i]) {
		if (acme_session_init(s, ca, run->conf->acme_connect_timeout,
		                      run->conf->acme_timeout) != 0) {
			s->error = ACME_ERR_LOCAL;
			snprintf(s->detail, sizeof(s->detail), "out of memory");
			return ACME_ERR_LOCAL;
		}
		w->session_ready[i] = 1;
	}
	if (s->directory == NULL && (e = acme_directory_load(s)) != ACME_OK)
		return e;
	/* One account per CA, created once even when many workers start at
	 * the same moment. */
	pthread_mutex_lock(&acct->lock);
	if (!acct->loaded) {
		if (certstore_account_load(run->conf->store, ca->name, ca->directory, &acct->key,
		                           acct->kid, sizeof(acct->kid)) != 0) {
			pthread_mutex_unlock(&acct->lock);
			s->error = ACME_ERR_LOCAL;
			snprintf(s->detail, sizeof(s->detail),
			         "cannot load or create the account key");
			return ACME_ERR_LOCAL;
		}
		acct->loaded = 1;
	}
	s->account_key = acct->key;
	if (acct->kid[0] == '\0') {
		s->kid[0] = '\0';
		e = acme_account_ensure(s, ca->eab_kid, ca->eab_hmac_key);
		if (e != ACME_OK) {
			pthread_mutex_unlock(&acct->lock);
			return e;
		}
		snprintf(acct->kid, sizeof(acct->kid), "%s", s->kid);
		certstore_account_save_kid(run->conf->store, ca->name, ca->directory, acct->kid);
		log_info("acme_account_ready", "ca=%s kid=\"%s\"", ca->name, acct->kid);
	} else if (s->kid[0] == '\0') {
		snprintf(s->kid, sizeof(s->kid), "%s", acct->kid);
		e = acme_account_ensure(s, NULL, NULL); /* computes the thumbprint only */
		if (e != ACME_OK) {
			pthread_mutex_unlock(&acct->lock);
			return e;
		}
	}
	pthread_mutex_unlock(&acct->lock);
	return ACME_OK;
}

static void record_attempt(struct issue_job *job, const char *ca, const struct acme_session *s,
                           enum acme_error e)
{
	struct attempt *a;
	char safe[512];

	if (job->attempt_count == ISSUE_ATTEMPTS_MAX)
		return;
	a = &job->attempts[job->attempt_count++];
	a->ca = ca;
	a->error = e;
	snprintf(a->url, sizeof(a->url), "%s", s->url[0] ? s->url : s->directory_url);
	snprintf(a->detail, sizeof(a->detail), "%s", s->detail);
	log_warn("acme_endpoint_failed", "cert=%s ca=%s url=\"%s\" error=%s detail=\"%s\"",
	         job->cert->name, ca, a->url, acme_error_name(e),
	         log_safe(safe, sizeof(safe), s->detail));
}

static json_t *meta_new(const struct conf_cert *cert, int placeholder)
{
	json_t *names = json_array();
	size_t i;

	for (i = 0; i < cert->names.count; i++)
		json_array_append_new(names, json_string(cert->names.items[i]));
	return json_pack("{s:s, s:b, s:o, s:s}", "name", cert->name, "placeholder", placeholder,
	                 "names", names, "key", conf_key_type_name(cert->key));
}

static void meta_set_time(json_t *meta, const char *key, time_t t)
{
	char buf[32];

	json_object_set_new(meta, key,
	                    t ? json_string(time_format(buf, sizeof(buf), t)) : json_null());
}

static time_t meta_get_time(json_t *meta, const char *key)
{
	const char *s = json_string_value(json_object_get(meta, key));
	time_t t = 0;

	if (s == NULL || time_parse(s, &t) != 0)
		return 0;
	return t;
}

/* Install a self-signed placeholder for a certificate never issued. */
static int install_placeholder(struct issue_run *run, struct issue_job *job)
{
	const struct conf_cert *cert = job->cert;
	EVP_PKEY *key = key_generate(cert->key);
	char *pem = key ? certstore_placeholder_pem_new(key, cert->names.items, cert->names.count,
	                                                PLACEHOLDER_DAYS)
	                : NULL;
	json_t *meta = meta_new(cert, 1);
	time_t now = time(NULL);
	int rc = -1;

	if (pem != NULL && meta != NULL) {
		meta_set_time(meta, "not_before", now - 300);
		meta_set_time(meta, "not_after", now + PLACEHOLDER_DAYS * 86400L);
		meta_set_time(meta, "renew_at", now);
		json_object_set_new(meta, "ca", json_null());
		rc = certstore_install(run->conf->store, cert->name, key, pem, meta);
	}
	if (rc == 0) {
		char t[32];
		log_warn("placeholder_installed", "cert=%s not_after=%s", cert->name,
		         time_format(t, sizeof(t), now + PLACEHOLDER_DAYS * 86400L));
	}
	json_decref(meta);
	free(pem);
	EVP_PKEY_free(key);
	return rc;
}

/* Renewal time for a fresh certificate from CA session s: inside the ARI
 * window when the CA has renewalInfo, else at two thirds of the lifetime. */
static time_t choose_renew_at(struct acme_session *s, X509 *leaf, time_t nb, time_t na,
                              json_t *meta, const char *cert_name)
{
	time_t start, end, retry = 0, at;
	char id[256], expl[256], t1[32], t2[32], t3[32];

	if (acme_directory_url(s, "renewalInfo") != NULL &&
	    ari_cert_id(leaf, id, sizeof(id)) == 0 &&
	    acme_renewal_info(s, id, &start, &end, &retry, expl, sizeof(expl)) == ACME_OK) {
		at = renew_at_window(start, end, (double)arc4random_uniform(1000000) / 1e6);
		json_t *ari = json_object();
		meta_set_time(ari, "start", start);
		meta_set_time(ari, "end", end);
		meta_set_time(ari, "retry_after", retry);
		json_object_set_new(ari, "explanation_url",
		                    expl[0] ? json_string(expl) : json_null());
		json_object_set_new(ari, "cert_id", json_string(id));
		json_object_set_new(meta, "ari", ari);
		log_info("ari_window", "cert=%s start=%s end=%s renew_at=%s", cert_name,
		         time_format(t1, sizeof(t1), start), time_format(t2, sizeof(t2), end),
		         time_format(t3, sizeof(t3), at));
		return at;
	}
	json_object_set_new(meta, "ari", json_null());
	return renew_at_lifetime(nb, na);
}

/* Ask the issuing CA for a fresh ARI window (renew mode); updates meta and
 * returns the renewal time, or stored_at when ARI is unavailable. */
static time_t refresh_ari(struct worker *w, struct issue_job *job, struct cert_info *ci,
                          time_t stored_at)
{
	const char *ca = json_string_value(json_object_get(ci->meta, "ca"));
	size_t i = ca ? ca_index(w->run->conf, ca) : (size_t)-1;
	json_t *ari = json_object_get(ci->meta, "ari");
	struct acme_session *s;
	time_t at;

	if (i == (size_t)-1 || !json_is_object(ari))
		return stored_at;
	if (meta_get_time(ari, "retry_after") > time(NULL))
		return stored_at; /* the CA asked us not to ask again yet */
	if (worker_session(w, i, &s) != ACME_OK)
		return stored_at;
	at = choose_renew_at(s, ci->cert, ci->not_before, ci->not_after, ci->meta, job->cert->name);
	meta_set_time(ci->meta, "renew_at", at);
	certstore_meta_write(w->run->conf->store, job->cert->name, ci->meta);
	return at;
}

static void issue_one(struct worker *w, struct issue_job *job)
{
	struct issue_run *run = w->run;
	const struct conf *conf = run->conf;
	const struct conf_cert *cert = job->cert;
	struct cert_info ci;
	struct challenge_ctx chctx;
	struct acme_challenge_ops ops;
	char replaces[256] = "", t[32], t2[32];
	const char *last_failed = NULL;
	int have = 0, pass;
	size_t k, tried = 0;
	time_t now = time(NULL);

	job->exit_code = EXIT_CRITICAL;
	job->action = "failed";
	if (certstore_load(conf->store, cert->name, &ci) == 0)
		have = 1;
	else if (errno != ENOENT)
		log_warn("certificate_reissue", "cert=%s reason=\"stored set unreadable\"",
		         cert->name);

	if (have && !ci.placeholder) {
		time_t at = meta_get_time(ci.meta, "renew_at");
		if (at == 0)
			at = renew_at_lifetime(ci.not_before, ci.not_after);
		if (run->mode == MODE_RENEW)
			at = refresh_ari(w, job, &ci, at);
		if (!run->force && now < at && now < ci.not_after &&
		    !json_is_true(json_object_get(ci.meta, "revoked"))) {
			job->exit_code = EXIT_OK;
			job->action = "skipped";
			snprintf(job->ca_used, sizeof(job->ca_used), "%s",
			         json_string_value(json_object_get(ci.meta, "ca"))
			             ? json_string_value(json_object_get(ci.meta, "ca"))
			             : "");
			snprintf(job->serial, sizeof(job->serial), "%s", ci.serial);
			job->not_after = ci.not_after;
			job->renew_at = at;
			job_message(job, "valid until %s, renewal due %s",
			            time_format(t, sizeof(t), ci.not_after),
			            time_format(t2, sizeof(t2), at));
			cert_info_free(&ci);
			return;
		}
		if (json_is_object(json_object_get(ci.meta, "ari")))
			ari_cert_id(ci.cert, replaces, sizeof(replaces));
	}
	if (!have) {
		if (install_placeholder(run, job) != 0) {
			job_message(job, "cannot install the placeholder certificate");
			return;
		}
		have = certstore_load(conf->store, cert->name, &ci) == 0;
	}

	challenge_ops_for(&chctx, run->reg, cert, &ops);
	/* Pass 0 honours open breakers; pass 1 runs only when every CA was
	 * skipped, so an operator's command never gives up without trying. */
	for (pass = 0; pass < 2 && job->exit_code != EXIT_OK && job->exit_code != EXIT_WARNING;
	     pass++) {
		if (pass == 1 && tried > 0)
			break;
		for (k = 0; k < cert->cas.count; k++) {
			const char *ca_name = cert->cas.items[k];
			size_t i = ca_index(conf, ca_name);
			struct acme_session *s = NULL;
			EVP_PKEY *key = NULL;
			char *chain = NULL;
			enum acme_error e;
			int ok;

			pthread_mutex_lock(&run->lock);
			ok = pass == 1 || breaker_acquire(&run->breakers[i], time(NULL));
			pthread_mutex_unlock(&run->lock);
			if (!ok) {
				log_info("acme_endpoint_skipped",
				         "cert=%s ca=%s reason=\"down until %s\"", cert->name,
				         ca_name,
				         time_format(t, sizeof(t), run->breakers[i].down_until));
				continue;
			}
			if (last_failed != NULL)
				log_warn("acme_failover", "cert=%s from=%s to=%s", cert->name,
				         last_failed, ca_name);
			tried++;
			e = worker_session(w, i, &s);
			if (e == ACME_OK) {
				key = key_generate(cert->key);
				if (key == NULL)
					e = ACME_ERR_LOCAL;
			}
			if (e == ACME_OK)
				e = acme_order_issue(
				    s, cert->names.items, cert->names.count, key, cert->must_staple,
				    replaces[0] && acme_directory_url(s, "renewalInfo") ? replaces
				                                                        : NULL,
				    &ops, &chain);
			if (e != ACME_OK) {
				record_attempt(job, ca_name, s, e);
				last_failed = ca_name;
				pthread_mutex_lock(&run->lock);
				if (acme_error_is_outage(e)) {
					breaker_failure(&run->breakers[i], time(NULL),
					                ISSUE_BACKOFF_BASE, acme_error_name(e));
					/* A CA that says when to come back (429/503 with
					 * Retry-After) is not asked again before then. */
					if (s->retry_after > run->breakers[i].down_until &&
					    s->retry_after < time(NULL) + 86400)
						run->breakers[i].down_until = s->retry_after;
				} else {
					run->breakers[i].probing = 0;
				}
				pthread_mutex_unlock(&run->lock);
				/* A broken session (e.g. stale directory) is rebuilt next time. */
				if (acme_error_is_outage(e)) {
					json_decref(s->directory);
					s->directory = NULL;
				}
				EVP_PKEY_free(key);
				continue;
			}
			pthread_mutex_lock(&run->lock);
			breaker_success(&run->breakers[i]);
			pthread_mutex_unlock(&run->lock);

			/* Install: parse the leaf for metadata first. */
			{
				char err[64];
				STACK_OF(X509) *sk = cert_chain_from_pem(
				    (unsigned char *)chain, strlen(chain), err, sizeof(err));
				X509 *leaf = sk ? sk_X509_value(sk, 0) : NULL;
				time_t nb = 0, na = 0, at;
				json_t *meta = meta_new(cert, 0);
				if (leaf == NULL ||
				    time_from_asn1(X509_get0_notBefore(leaf), &nb) != 0 ||
				    time_from_asn1(X509_get0_notAfter(leaf), &na) != 0 ||
				    meta == NULL) {
					job_message(job, "issued certificate cannot be read back");
				} else {
					cert_serial_hex(leaf, job->serial, sizeof(job->serial));
					at = choose_renew_at(s, leaf, nb, na, meta, cert->name);
					json_object_set_new(meta, "ca", json_string(ca_name));
					json_object_set_new(meta, "directory",
					                    json_string(conf->cas[i].directory));
					json_object_set_new(meta, "serial",
					                    json_string(job->serial));
					meta_set_time(meta, "not_before", nb);
					meta_set_time(meta, "not_after", na);
					meta_set_time(meta, "renew_at", at);
					meta_set_time(meta, "last_attempt", time(NULL));
					json_object_set_new(meta, "last_error", json_null());
					json_object_set_new(meta, "replaced",
					                    replaces[0] ? json_string(replaces)
					                                : json_null());
					if (certstore_install(conf->store, cert->name, key, chain,
					                      meta) == 0) {
						job->exit_code = k == 0 ? EXIT_OK : EXIT_WARNING;
						job->action = "issued";
						snprintf(job->ca_used, sizeof(job->ca_used), "%s",
						         ca_name);
						job->not_after = na;
						job->renew_at = at;
						log_info("certificate_issued",
						         "cert=%s ca=%s serial=%s not_after=%s",
						         cert->name, ca_name, job->serial,
						         time_format(t, sizeof(t), na));
						job_message(job, "issued by %s%s, valid until %s",
						            ca_name, k == 0 ? "" : " (backup)",
						            time_format(t, sizeof(t), na));
					} else {
						job_message(
						    job, "cannot install the issued certificate");
					}
				}
				json_decref(meta);
				sk_X509_pop_free(sk, X509_free);
			}
			free(chain);
			EVP_PKEY_free(key);
			break;
		}
	}
	if (job->exit_code == EXIT_CRITICAL) {
		/* Keep what is there; record why in its meta.json. */
		if (have) {
			const struct attempt *last =
			    job->attempt_count ? &job->attempts[job->attempt_count - 1] : NULL;
			char err[600];
			snprintf(err, sizeof(err), "%s: %s",
			         last ? acme_error_name(last->error) : "no CA tried",
			         last ? last->detail : "");
			meta_set_time(ci.meta, "last_attempt", time(NULL));
			json_object_set_new(ci.meta, "last_error", json_string(err));
			certstore_meta_write(conf->store, cert->name, ci.meta);
			job->not_after = ci.not_after;
			snprintf(job->serial, sizeof(job->serial), "%s", ci.serial);
		}
		if (job->message[0] == '\0')
			job_message(job, "issuance failed on every CA (%zu tried); %s kept", tried,
			            have && ci.placeholder ? "placeholder" : "current certificate");
	}
	if (have)
		cert_info_free(&ci);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct issue_run *run = w->run;
	size_t i;

	for (;;) {
		struct issue_job *job = NULL;
		pthread_mutex_lock(&run->lock);
		if (run->next_job < run->job_count)
			job = &run->jobs[run->next_job++];
		pthread_mutex_unlock(&run->lock);
		if (job == NULL)
			break;
		issue_one(w, job);
	}
	for (i = 0; i < run->conf->ca_count; i++) {
		if (w->session_ready[i])
			acme_session_cleanup(&w->sessions[i]);
	}
	return NULL;
}

static void job_print(const struct issue_job *job, int as_json)
{
	char t1[32], t2[32];
	size_t i;

	if (!as_json) {
		printf("%s %s: %s\n", exit_code_name(job->exit_code), job->cert->name,
		       job->message);
		return;
	}
	json_t *o = json_object(), *att = json_array();
	char *line;
	json_object_set_new(o, "cert", json_string(job->cert->name));
	json_object_set_new(o, "result", json_string(exit_code_name(job->exit_code)));
	json_object_set_new(o, "exit", json_integer(job->exit_code));
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
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
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
	struct issue_run run;
	struct worker *workers = NULL;
	pthread_t *threads = NULL;
	struct conf *conf = NULL;
	long parallel = ISSUE_PARALLEL_DEFAULT;
	int as_json = 0, verbose = 0, ch, worst = EXIT_OK;
	size_t i, nthreads = 0, started = 0;
	char *end;

	memset(&run, 0, sizeof(run));
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
			run.force = 1;
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
	run.conf = conf;
	run.mode = mode;
	if (optind < argc) {
		run.job_count = (size_t)(argc - optind);
		run.jobs = calloc(run.job_count, sizeof(*run.jobs));
		for (i = 0; run.jobs && i < run.job_count; i++) {
			run.jobs[i].cert = conf_cert_find(conf, argv[optind + (int)i]);
			if (run.jobs[i].cert == NULL) {
				fprintf(stderr, "holdfast %s: no [certificate %s] in %s\n", cmd,
				        argv[optind + (int)i], conf_path);
				worst = EXIT_UNKNOWN;
				goto out;
			}
		}
	} else {
		run.job_count = conf->cert_count;
		run.jobs = calloc(run.job_count ? run.job_count : 1, sizeof(*run.jobs));
		for (i = 0; run.jobs && i < run.job_count; i++)
			run.jobs[i].cert = &conf->certs[i];
	}
	for (i = 0; run.jobs && i < run.job_count; i++) {
		if (run.jobs[i].cert->cas.count == 0) {
			fprintf(stderr, "holdfast %s: [certificate %s] has no cas\n", cmd,
			        run.jobs[i].cert->name);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}
	run.breakers = calloc(conf->ca_count + 1, sizeof(*run.breakers));
	run.accounts = calloc(conf->ca_count + 1, sizeof(*run.accounts));
	run.reg = challenge_registry_new();
	if (run.jobs == NULL || run.breakers == NULL || run.accounts == NULL || run.reg == NULL ||
	    pthread_mutex_init(&run.lock, NULL) != 0) {
		fprintf(stderr, "holdfast %s: out of memory\n", cmd);
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < conf->ca_count; i++) {
		snprintf(run.breakers[i].name, sizeof(run.breakers[i].name), "%s",
		         conf->cas[i].name);
		pthread_mutex_init(&run.accounts[i].lock, NULL);
	}
	{
		char state[PATH_MAX];
		if (snprintf(state, sizeof(state), "%s/state", conf->store) >= (int)sizeof(state) ||
		    mkdir_p(state, 0755) != 0 ||
		    snprintf(run.breaker_path, sizeof(run.breaker_path), "%s/endpoints.json",
		             state) >= (int)sizeof(run.breaker_path)) {
			fprintf(stderr, "holdfast %s: cannot create %s/state\n", cmd, conf->store);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}
	breaker_load(run.breaker_path, run.breakers, conf->ca_count);
	for (i = 0; i < run.job_count; i++) {
		const struct conf_cert *c = run.jobs[i].cert;
		if (c->challenge == CHALLENGE_HTTP_01 && c->webroot == NULL &&
		    challenge_listen(run.reg, c->http_listen) != 0) {
			fprintf(stderr, "holdfast %s: cannot listen on %s for http-01\n", cmd,
			        c->http_listen);
			worst = EXIT_UNKNOWN;
			goto out;
		}
	}

	nthreads = run.job_count < (size_t)parallel ? run.job_count : (size_t)parallel;
	workers = calloc(nthreads ? nthreads : 1, sizeof(*workers));
	threads = calloc(nthreads ? nthreads : 1, sizeof(*threads));
	if (workers == NULL || threads == NULL) {
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		workers[i].run = &run;
		workers[i].sessions = calloc(conf->ca_count, sizeof(*workers[i].sessions));
		workers[i].session_ready = calloc(conf->ca_count, sizeof(int));
		if (workers[i].sessions == NULL || workers[i].session_ready == NULL ||
		    pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0)
			break;
		started++;
	}
	if (started == 0 && run.job_count > 0) {
		fprintf(stderr, "holdfast %s: cannot start workers\n", cmd);
		worst = EXIT_UNKNOWN;
		goto out;
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	breaker_save(run.breaker_path, run.breakers, conf->ca_count, time(NULL));
	for (i = 0; i < run.job_count; i++) {
		job_print(&run.jobs[i], as_json);
		if (run.jobs[i].exit_code > worst)
			worst = run.jobs[i].exit_code;
	}
out:
	for (i = 0; workers != NULL && i < nthreads; i++) {
		free(workers[i].sessions);
		free(workers[i].session_ready);
	}
	free(workers);
	free(threads);
	challenge_registry_free(run.reg);
	for (i = 0; run.accounts != NULL && i < conf->ca_count; i++) {
		EVP_PKEY_free(run.accounts[i].key);
		pthread_mutex_destroy(&run.accounts[i].lock);
	}
	free(run.accounts);
	free(run.breakers);
	free(run.jobs);
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
	const struct conf_cert *cert;
	const struct conf_ca *ca;
	struct cert_info ci;
	struct acme_session s;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int ch, reason = 0, verbose = 0, n, rc = EXIT_UNKNOWN, have = 0, session = 0;
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
	if (certstore_load(conf->store, cert->name, &ci) != 0) {
		fprintf(stderr, "holdfast revoke: no certificate stored for %s\n", cert->name);
		goto out;
	}
	have = 1;
	ca_name = json_string_value(json_object_get(ci.meta, "ca"));
	ca = ca_name ? conf_ca_find(conf, ca_name) : NULL;
	if (ci.placeholder || ca == NULL) {
		fprintf(stderr, "holdfast revoke: %s is %s\n", cert->name,
		        ci.placeholder ? "a placeholder, not issued by a CA"
		                       : "from a CA no longer configured");
		goto out;
	}
	rc = EXIT_CRITICAL;
	if (acme_session_init(&s, ca, conf->acme_connect_timeout, conf->acme_timeout) != 0)
		goto out;
	session = 1;
	if (certstore_account_load(conf->store, ca->name, ca->directory, &key, s.kid,
	                           sizeof(s.kid)) != 0)
		goto out;
	s.account_key = key;
	n = i2d_X509(ci.cert, &der);
	if (n <= 0 || acme_directory_load(&s) != ACME_OK ||
	    acme_account_ensure(&s, ca->eab_kid, ca->eab_hmac_key) != ACME_OK ||
	    acme_revoke(&s, der, (size_t)n, reason) != ACME_OK) {
		printf("CRITICAL %s: revocation failed at %s: %s: %s\n", cert->name, ca->name,
		       acme_error_name(s.error), s.detail);
		goto out;
	}
	json_object_set_new(ci.meta, "revoked", json_true());
	meta_set_time(ci.meta, "revoked_at", time(NULL));
	certstore_meta_write(conf->store, cert->name, ci.meta);
	log_info("certificate_revoked", "cert=%s ca=%s serial=%s reason=%d", cert->name, ca->name,
	         ci.serial, reason);
	printf("OK %s: serial %s revoked at %s\n", cert->name, ci.serial, ca->name);
	rc = EXIT_OK;
out:
	OPENSSL_free(der);
	if (session)
		acme_session_cleanup(&s);
	EVP_PKEY_free(key);
	if (have)
		cert_info_free(&ci);
	conf_free(conf);
	return rc;
}

/*
 * issuer: the issuance engine behind holdfast issue/renew and the daemon.
 *
 * One job is one certificate and reads top to bottom:
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
 * Jobs run on worker threads; each worker keeps one ACME session per CA, so
 * connections, the directory, nonces and the account are reused.  Shared
 * state (breakers, accounts, the http-01 responders) is guarded here.
 */

#include "acme/issuer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme/ari.h"
#include "acme/breaker.h"
#include "acme/challenge.h"
#include "acme/jws.h"
#include "acme/profile.h"
#include "acme/protocol.h"
#include "store/store.h"
#include "util/log.h"
#include "util/result.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define ISSUE_BACKOFF_BASE  60L
#define PLACEHOLDER_DAYS    7
#define ENDPOINTS_STATE_MAX (1024 * 1024)

struct ca_account {
	pthread_mutex_t lock;
	EVP_PKEY *key;
	char kid[1024];
	int loaded;
};

struct issuer {
	const struct conf *conf;
	struct challenge_registry *reg;
	pthread_mutex_t lock; /* breakers */
	struct breaker *breakers;
	struct ca_account *accounts;
	struct store *st;            /* borrowed */
	issuer_ca_check_fn ca_check; /* before a CA after the first; may be NULL */
	void *ca_check_ctx;
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
struct issuer_worker {
	struct issuer *run;
	struct acme_session *sessions;
	int *session_ready;
};

/* A session for CA i with its directory loaded and account known. */
static enum acme_error worker_session(struct issuer_worker *w, size_t i, struct acme_session **out)
{
	struct issuer *run = w->run;
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
		if (store_account_load(run->st, ca->name, ca->directory, &acct->key, acct->kid,
		                       sizeof(acct->kid)) != 0) {
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
		store_account_save_kid(run->st, ca->name, ca->directory, acct->kid);
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

/* A failed attempt at ca: in the job's attempts and the log. */
static void record_attempt_at(struct issue_job *job, const char *ca, enum acme_error e,
                              const char *url, const char *detail)
{
	struct attempt *a;
	char safe[512];

	if (job->attempt_count == ISSUE_ATTEMPTS_MAX)
		return;
	a = &job->attempts[job->attempt_count++];
	a->ca = ca;
	a->error = e;
	snprintf(a->url, sizeof(a->url), "%s", url);
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
	log_warn("acme_endpoint_failed", "cert=%s ca=%s url=\"%s\" error=%s detail=\"%s\"",
	         job->cert->name, ca, a->url, acme_error_name(e),
	         log_safe(safe, sizeof(safe), detail));
}

/* The failure session s ended with. */
static void record_attempt(struct issue_job *job, const char *ca, const struct acme_session *s,
                           enum acme_error e)
{
	record_attempt_at(job, ca, e, s->url[0] ? s->url : s->directory_url, s->detail);
}

/* CA number i does not offer cert's required profile: an attempt that
 * failed without asking the CA anything (its breaker is left as it was). */
static void profile_skip(struct issuer *run, struct issue_job *job, const struct conf_cert *cert,
                         const char *ca, size_t i)
{
	char detail[512];

	pthread_mutex_lock(&run->lock);
	run->breakers[i].probing = 0;
	pthread_mutex_unlock(&run->lock);
	snprintf(detail, sizeof(detail),
	         "profile \"%s\" is not in the directory's meta.profiles (profile_required = yes)",
	         cert->profile);
	record_attempt_at(job, ca, ACME_ERR_PROFILE, run->conf->cas[i].directory, detail);
}

/* The meta of a new set of cert: name, placeholder, names and key type.
 * New (cert_meta_free), or NULL. */
static struct cert_meta *meta_new(const struct conf_cert *cert, int placeholder)
{
	struct cert_meta *m = cert_meta_new();

	if (m == NULL || cert_meta_set(&m->name, cert->name) != 0 ||
	    cert_meta_set(&m->key, conf_key_type_name(cert->key)) != 0 ||
	    cert_meta_set_names(m, cert->names.items, cert->names.count) != 0) {
		cert_meta_free(m);
		return NULL;
	}
	m->placeholder = placeholder;
	return m;
}

/* Install a self-signed placeholder for a certificate never issued. */
static int install_placeholder(struct issuer *run, struct issue_job *job)
{
	const struct conf_cert *cert = job->cert;
	EVP_PKEY *key = key_generate(cert->key);
	time_t now = time(NULL); /* after the key: the certificate's and meta's times */
	char *pem = key ? cert_placeholder_pem_new(key, cert->names.items, cert->names.count,
	                                           PLACEHOLDER_DAYS, now)
	                : NULL;
	struct cert_meta *meta = meta_new(cert, 1);
	int rc = -1;

	if (pem != NULL && meta != NULL) {
		meta->not_before = now - 300;
		meta->not_after = now + PLACEHOLDER_DAYS * 86400L;
		meta->renew_at = now;
		meta->present |= CERT_META_CA; /* null: no CA issued it */
		rc = store_cert_install(run->st, cert->name, key, pem, meta);
	}
	if (rc == 0) {
		char t[32];
		log_warn("placeholder_installed", "cert=%s not_after=%s", cert->name,
		         time_format(t, sizeof(t), now + PLACEHOLDER_DAYS * 86400L));
	}
	cert_meta_free(meta);
	free(pem);
	EVP_PKEY_free(key);
	return rc;
}

int issuer_install_placeholder(struct issuer *run, const struct conf_cert *cert)
{
	struct issue_job job;

	memset(&job, 0, sizeof(job));
	job.cert = cert;
	return install_placeholder(run, &job);
}

/* Renewal time for a fresh certificate from CA session s: inside the ARI
 * window when the CA has renewalInfo, else renew_at_lifetime() with the
 * configured outage_margin. */
static time_t choose_renew_at(struct acme_session *s, X509 *leaf, time_t nb, time_t na,
                              struct cert_meta *meta, const char *cert_name, long margin)
{
	time_t start, end, retry = 0, at;
	char id[256], expl[256], t1[32], t2[32], t3[32];

	if (acme_directory_url(s, "renewalInfo") != NULL &&
	    ari_cert_id(leaf, id, sizeof(id)) == 0 &&
	    acme_renewal_info(s, id, &start, &end, &retry, expl, sizeof(expl)) == ACME_OK) {
		at = renew_at_window(start, end, (double)arc4random_uniform(1000000) / 1e6);
		cert_meta_ari_clear(meta);
		meta->present |= CERT_META_ARI;
		meta->has_ari = 1;
		meta->ari.start = start;
		meta->ari.end = end;
		meta->ari.retry_after = retry;
		if (cert_meta_set(&meta->ari.explanation_url, expl[0] ? expl : NULL) != 0 ||
		    cert_meta_set(&meta->ari.cert_id, id) != 0)
			cert_meta_ari_clear(meta); /* out of memory: written as null */
		log_info("ari_window", "cert=%s start=%s end=%s renew_at=%s", cert_name,
		         time_format(t1, sizeof(t1), start), time_format(t2, sizeof(t2), end),
		         time_format(t3, sizeof(t3), at));
		return at;
	}
	cert_meta_ari_clear(meta);
	meta->present |= CERT_META_ARI; /* null: the CA has no ARI */
	return renew_at_lifetime(nb, na, margin);
}

/* Ask the issuing CA for a fresh ARI window (renew mode); updates meta and
 * returns the renewal time, or stored_at when ARI is unavailable. */
static time_t refresh_ari(struct issuer_worker *w, struct issue_job *job, struct store_cert *ci,
                          time_t stored_at)
{
	const char *ca = ci->meta->ca;
	size_t i = ca ? ca_index(w->run->conf, ca) : (size_t)-1;
	struct acme_session *s;
	time_t at;

	if (i == (size_t)-1 || !ci->meta->has_ari)
		return stored_at;
	if (ci->meta->ari.retry_after > time(NULL))
		return stored_at; /* the CA asked us not to ask again yet */
	if (worker_session(w, i, &s) != ACME_OK)
		return stored_at;
	at = choose_renew_at(s, ci->cert, ci->not_before, ci->not_after, ci->meta, job->cert->name,
	                     w->run->conf->outage_margin);
	ci->meta->renew_at = at;
	store_cert_meta_save(ci);
	return at;
}

void issuer_run_job(struct issuer_worker *w, struct issue_job *job)
{
	struct issuer *run = w->run;
	const struct conf *conf = run->conf;
	const struct conf_cert *cert = job->cert;
	struct store_cert *ci = NULL;
	struct challenge_ctx chctx;
	struct acme_challenge_ops ops;
	char replaces[256] = "", t[32], t2[32];
	const char *last_failed = NULL;
	int have = 0, pass;
	size_t k, tried = 0;
	time_t now = time(NULL);

	job->result = RESULT_CRITICAL;
	job->action = "failed";
	if ((ci = store_cert_load(run->st, cert->name)) != NULL)
		have = 1;
	else if (errno != ENOENT)
		log_warn("certificate_reissue", "cert=%s reason=\"stored set unreadable\"",
		         cert->name);

	if (have && !ci->meta->placeholder) {
		time_t at = ci->meta->renew_at;
		if (at == 0)
			at = renew_at_lifetime(ci->not_before, ci->not_after, conf->outage_margin);
		if (job->mode == MODE_RENEW)
			at = refresh_ari(w, job, ci, at);
		if (!job->force && now < at && now < ci->not_after && !ci->meta->revoked) {
			job->result = RESULT_OK;
			job->action = "skipped";
			snprintf(job->ca_used, sizeof(job->ca_used), "%s",
			         ci->meta->ca ? ci->meta->ca : "");
			snprintf(job->serial, sizeof(job->serial), "%s", ci->serial);
			job->not_after = ci->not_after;
			job->renew_at = at;
			job->ari_start = ci->meta->has_ari ? ci->meta->ari.start : 0;
			job_message(job, "valid until %s, renewal due %s",
			            time_format(t, sizeof(t), ci->not_after),
			            time_format(t2, sizeof(t2), at));
			store_cert_free(ci);
			return;
		}
		if (ci->meta->has_ari)
			ari_cert_id(ci->cert, replaces, sizeof(replaces));
	}
	if (!have) {
		if (install_placeholder(run, job) != 0) {
			job_message(job, "cannot install the placeholder certificate");
			return;
		}
		ci = store_cert_load(run->st, cert->name);
		have = ci != NULL;
	}

	challenge_ops_for(&chctx, run->reg, cert, &ops);
	/* Pass 0 honours open breakers; pass 1 runs only when every CA was
	 * skipped, so an operator's command never gives up without trying. */
	for (pass = 0; pass < 2 && job->result != RESULT_OK && job->result != RESULT_WARNING;
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
			enum profile_use use = PROFILE_NONE;
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
			/* A later CA that CAA forbids would refuse the order: skip it
			 * now rather than spend an order and its rate limit on it. */
			if (k > 0 && run->ca_check != NULL) {
				char why[512], safe[512];
				if (run->ca_check(run->ca_check_ctx, conf, cert, ca_name, why,
				                  sizeof(why)) == 0) {
					log_warn("acme_failover_refused_by_caa",
					         "cert=%s ca=%s record=\"%s\"", cert->name, ca_name,
					         log_safe(safe, sizeof(safe), why));
					continue;
				}
			}
			if (last_failed != NULL)
				log_warn("acme_failover", "cert=%s from=%s to=%s", cert->name,
				         last_failed, ca_name);
			tried++;
			e = worker_session(w, i, &s);
			if (e == ACME_OK) {
				use = profile_decide(cert->profile, cert->profile_required,
				                     profile_offered(s->directory, cert->profile));
				if (use == PROFILE_SKIP) {
					profile_skip(run, job, cert, ca_name, i);
					last_failed = ca_name;
					continue;
				}
				if (use == PROFILE_NONE && cert->profile != NULL)
					log_warn(
					    "acme_profile_not_offered",
					    "cert=%s ca=%s profile=%s action=\"order without it "
					    "(profile_required = no)\"",
					    cert->name, ca_name, cert->profile);
				key = key_generate(cert->key);
				if (key == NULL)
					e = ACME_ERR_LOCAL;
			}
			if (e == ACME_OK)
				e = acme_order_issue(
				    s, cert->names.items, cert->names.count, key, cert->must_staple,
				    replaces[0] && acme_directory_url(s, "renewalInfo") ? replaces
				                                                        : NULL,
				    use == PROFILE_SEND ? cert->profile : NULL, &ops, &chain);
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
				struct cert_meta *meta = meta_new(cert, 0);
				if (leaf == NULL ||
				    time_from_asn1(X509_get0_notBefore(leaf), &nb) != 0 ||
				    time_from_asn1(X509_get0_notAfter(leaf), &na) != 0 ||
				    meta == NULL) {
					job_message(job, "issued certificate cannot be read back");
				} else {
					cert_serial_hex(leaf, job->serial, sizeof(job->serial));
					at = choose_renew_at(s, leaf, nb, na, meta, cert->name,
					                     conf->outage_margin);
					meta->not_before = nb;
					meta->not_after = na;
					meta->renew_at = at;
					meta->last_attempt = time(NULL);
					/* last_error and replaced: null when there is none */
					meta->present |= CERT_META_LAST_ERROR | CERT_META_REPLACED;
					if (cert_meta_set(&meta->ca, ca_name) == 0 &&
					    cert_meta_set(&meta->directory,
					                  conf->cas[i].directory) == 0 &&
					    cert_meta_set(&meta->serial, job->serial) == 0 &&
					    cert_meta_set(&meta->replaced,
					                  replaces[0] ? replaces : NULL) == 0 &&
					    store_cert_install(run->st, cert->name, key, chain,
					                       meta) == 0) {
						job->result = k == 0 ? RESULT_OK : RESULT_WARNING;
						job->action = "issued";
						snprintf(job->ca_used, sizeof(job->ca_used), "%s",
						         ca_name);
						job->not_after = na;
						job->renew_at = at;
						job->ari_start =
						    meta->has_ari ? meta->ari.start : 0;
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
				cert_meta_free(meta);
				sk_X509_pop_free(sk, X509_free);
			}
			free(chain);
			EVP_PKEY_free(key);
			break;
		}
	}
	if (job->result == RESULT_CRITICAL) {
		/* Keep what is there; record why in its meta.json. */
		if (have) {
			const struct attempt *last =
			    job->attempt_count ? &job->attempts[job->attempt_count - 1] : NULL;
			char err[600];
			snprintf(err, sizeof(err), "%s: %s",
			         last ? acme_error_name(last->error) : "no CA tried",
			         last ? last->detail : "");
			ci->meta->last_attempt = time(NULL);
			if (cert_meta_set(&ci->meta->last_error, err) == 0)
				store_cert_meta_save(ci);
			job->not_after = ci->not_after;
			snprintf(job->serial, sizeof(job->serial), "%s", ci->serial);
		}
		if (job->message[0] == '\0')
			job_message(job, "issuance failed on every CA (%zu tried); %s kept", tried,
			            have && ci->meta->placeholder ? "placeholder"
			                                          : "current certificate");
	}
	store_cert_free(ci);
}

struct issuer *issuer_new(const struct conf *conf, struct store *st, char *err, size_t errlen)
{
	struct issuer *iss = calloc(1, sizeof(*iss));
	unsigned char *data = NULL;
	char where[PATH_MAX];
	size_t i, len = 0;

	if (iss == NULL)
		goto nomem;
	iss->conf = conf;
	iss->st = st;
	iss->breakers = calloc(conf->ca_count + 1, sizeof(*iss->breakers));
	iss->accounts = calloc(conf->ca_count + 1, sizeof(*iss->accounts));
	iss->reg = challenge_registry_new();
	if (iss->breakers == NULL || iss->accounts == NULL || iss->reg == NULL ||
	    pthread_mutex_init(&iss->lock, NULL) != 0)
		goto nomem;
	for (i = 0; i < conf->ca_count; i++) {
		snprintf(iss->breakers[i].name, sizeof(iss->breakers[i].name), "%s",
		         conf->cas[i].name);
		pthread_mutex_init(&iss->accounts[i].lock, NULL);
	}
	if (store_state_load(st, STORE_STATE_ENDPOINTS, ENDPOINTS_STATE_MAX, &data, &len) == 0 &&
	    breaker_load_buffer(data, len, iss->breakers, conf->ca_count) != 0)
		log_warn("state_ignored", "file=%s reason=\"not a JSON object\"",
		         store_state_where(st, STORE_STATE_ENDPOINTS, where, sizeof(where)));
	free(data);
	return iss;
nomem:
	snprintf(err, errlen, "out of memory");
	issuer_free(iss);
	return NULL;
}

int issuer_listen(struct issuer *iss, const struct conf_cert *cert)
{
	if (cert->challenge != CHALLENGE_HTTP_01 || cert->webroot != NULL)
		return 0;
	return challenge_listen(iss->reg, cert->http_listen);
}

void issuer_save_state(struct issuer *iss)
{
	char *text;

	pthread_mutex_lock(&iss->lock);
	text = breaker_format(iss->breakers, iss->conf->ca_count, time(NULL));
	pthread_mutex_unlock(&iss->lock);
	if (text != NULL)
		store_state_save(iss->st, STORE_STATE_ENDPOINTS, text, strlen(text));
	free(text);
}

int issuer_endpoint_up(struct issuer *iss, const char *ca_name, time_t now)
{
	size_t i = ca_index(iss->conf, ca_name);
	int up;

	if (i == (size_t)-1)
		return 0;
	pthread_mutex_lock(&iss->lock);
	up = breaker_state_at(&iss->breakers[i], now) != BREAKER_DOWN;
	pthread_mutex_unlock(&iss->lock);
	return up;
}

void issuer_set_ca_check(struct issuer *iss, issuer_ca_check_fn fn, void *ctx)
{
	iss->ca_check = fn;
	iss->ca_check_ctx = ctx;
}

void issuer_free(struct issuer *iss)
{
	size_t i;

	if (iss == NULL)
		return;
	challenge_registry_free(iss->reg);
	for (i = 0; iss->accounts != NULL && i < iss->conf->ca_count; i++) {
		EVP_PKEY_free(iss->accounts[i].key);
		pthread_mutex_destroy(&iss->accounts[i].lock);
	}
	free(iss->accounts);
	free(iss->breakers);
	pthread_mutex_destroy(&iss->lock);
	free(iss);
}

struct issuer_worker *issuer_worker_new(struct issuer *iss)
{
	struct issuer_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->run = iss;
	w->sessions = calloc(iss->conf->ca_count + 1, sizeof(*w->sessions));
	w->session_ready = calloc(iss->conf->ca_count + 1, sizeof(int));
	if (w->sessions == NULL || w->session_ready == NULL) {
		issuer_worker_free(w);
		return NULL;
	}
	return w;
}

void issuer_worker_free(struct issuer_worker *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; w->session_ready != NULL && i < w->run->conf->ca_count; i++) {
		if (w->session_ready[i])
			acme_session_cleanup(&w->sessions[i]);
	}
	free(w->sessions);
	free(w->session_ready);
	free(w);
}

/*
 * issuer: issuing certificates through CA outages (see issuer.c for the
 * design).  Thread-safe: one struct issuer per configuration, one
 * struct issuer_worker per thread, any number of jobs.
 */
#ifndef HOLDFAST_ISSUER_H
#define HOLDFAST_ISSUER_H

#include <stddef.h>
#include <time.h>

#include "acme/protocol.h"
#include "conf/conf.h"
#include "store/store.h"
#include "util/result.h"

#define ISSUE_ATTEMPTS_MAX 32

enum issue_mode { MODE_ISSUE, MODE_RENEW };

struct attempt {
	const char *ca;
	char url[1024];
	enum acme_error error;
	char detail[512];
};

/* One certificate to issue: cert, mode and force are set by the caller; the
 * rest is the outcome. */
struct issue_job {
	const struct conf_cert *cert;
	enum issue_mode mode;
	int force;
	enum result result;
	const char *action; /* issued | skipped | failed */
	char ca_used[64];
	char serial[128];
	time_t not_after, renew_at;
	time_t ari_start; /* the certificate's ARI window start as last seen; 0: none */
	struct attempt attempts[ISSUE_ATTEMPTS_MAX];
	size_t attempt_count;
	char message[512];
};

struct issuer;
struct issuer_worker;

/* New engine for conf, keeping certificates, accounts and the breakers in st
 * (both borrowed; they must outlive it).  NULL with err set. */
struct issuer *issuer_new(const struct conf *conf, struct store *st, char *err, size_t errlen);

/* Start the built-in http-01 responder cert needs, if any.  0 or -1. */
int issuer_listen(struct issuer *iss, const struct conf_cert *cert);

/* Persist the endpoints' circuit breakers (the store's STORE_STATE_ENDPOINTS). */
void issuer_save_state(struct issuer *iss);

/* 1 unless the endpoint's breaker is open at now. */
int issuer_endpoint_up(struct issuer *iss, const char *ca_name, time_t now);

/* Asked (from worker threads, possibly at once) before any CA of a
 * certificate's cas after the first is tried, with the issuer's conf (which
 * cert belongs to): 1 when ca_name may be used, 0 to skip it (why: the
 * reason, e.g. the CAA record that forbids it).  Set by a layer above acme/
 * (the daemon and the issue command run the audit's CAA check here). */
typedef int (*issuer_ca_check_fn)(void *ctx, const struct conf *conf, const struct conf_cert *cert,
                                  const char *ca_name, char *why, size_t whylen);

/* Install fn (NULL: none) before the first job runs. */
void issuer_set_ca_check(struct issuer *iss, issuer_ca_check_fn fn, void *ctx);

void issuer_free(struct issuer *iss);

struct issuer_worker *issuer_worker_new(struct issuer *iss);
void issuer_worker_free(struct issuer_worker *w);

/* Run one job to its end (blocking). */
void issuer_run_job(struct issuer_worker *w, struct issue_job *job);

/* Install a self-signed placeholder for cert (never issued), as an issuance
 * does before it asks a CA, so that web servers can start; for fleet mode,
 * where another node issues.  0 or -1. */
int issuer_install_placeholder(struct issuer *run, const struct conf_cert *cert);

#endif

/*
 * probe: backup readiness, see probe.h.
 *
 * The decisions come first (pure: probe_directory_check, probe_account_plan,
 * probe_assess), the requests last (probe_ca).  A reason says what failed
 * and what to do about it, in the operator's words (the configuration's
 * keys), followed by what the CA answered.
 */
#include "acme/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "util/url.h"

#define URL_HOST_MAX 256

static const char *const probe_step_names[PROBE_STEP_COUNT] = {
    [PROBE_STEP_DIRECTORY] = "directory",
    [PROBE_STEP_NONCE] = "nonce",
    [PROBE_STEP_ACCOUNT] = "account",
    [PROBE_STEP_CAA] = "caa",
};

const char *probe_step_name(enum probe_step s)
{
	if ((unsigned)s >= PROBE_STEP_COUNT)
		return "invalid";
	return probe_step_names[s];
}

/* ------------------------------------------------------------- decisions */

int probe_directory_check(const json_t *dir, char *why, size_t whylen)
{
	static const char *const required[] = {"newNonce", "newAccount", "newOrder"};
	char host[URL_HOST_MAX];
	size_t i;

	if (whylen > 0)
		why[0] = '\0';
	if (!json_is_object(dir)) {
		snprintf(why, whylen, "the directory is not a JSON object");
		return -1;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *u = json_string_value(json_object_get(dir, required[i]));
		if (u == NULL) {
			snprintf(why, whylen, "the directory has no \"%s\" URL", required[i]);
			return -1;
		}
		if (strncmp(u, "https://", 8) != 0 ||
		    url_host(u, host, sizeof(host), 0, NULL) != 0) {
			char safe[200];
			snprintf(why, whylen,
			         "the directory's \"%s\" is not an absolute https URL: %s",
			         required[i], log_safe(safe, sizeof(safe), u));
			return -1;
		}
	}
	return 0;
}

int probe_eab_required(const json_t *dir)
{
	return json_is_true(
	    json_object_get(json_object_get(dir, "meta"), "externalAccountRequired"));
}

enum probe_account_plan probe_account_plan(const json_t *dir, int eab_configured, int account_held)
{
	if (account_held)
		return PROBE_ACCOUNT_FETCH;
	if (eab_configured)
		return PROBE_ACCOUNT_CREATE_EAB;
	return probe_eab_required(dir) ? PROBE_ACCOUNT_NEEDS_EAB : PROBE_ACCOUNT_CREATE;
}

static void finding(struct probe_report *r, enum probe_step step, enum result res, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static void finding(struct probe_report *r, enum probe_step step, enum result res, const char *fmt,
                    ...)
{
	struct probe_finding *f;
	va_list ap;

	if (r->count >= PROBE_STEP_COUNT)
		return;
	f = &r->findings[r->count++];
	f->step = step;
	f->result = res;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* A failed request: CRITICAL, the CA's doing; UNKNOWN when it was ours. */
static enum result exchange_failure(const struct probe_exchange *x)
{
	return x->error == ACME_ERR_LOCAL ? RESULT_UNKNOWN : RESULT_CRITICAL;
}

/* How it failed, in the reason's words. */
static const char *failure_kind(const struct probe_exchange *x)
{
	if (x->error == ACME_ERR_LOCAL)
		return "local failure";
	if (acme_error_is_outage(x->error))
		return "unreachable or broken";
	return "refused";
}

/* 1 when x's error document has this type (its last segment). */
static int problem_is(const struct probe_exchange *x, const char *type)
{
	size_t n = strlen(x->problem), m = strlen(type);

	/* "urn:ietf:params:acme:error:" + type, or any namespace's ":type". */
	return n > m && x->problem[n - m - 1] == ':' && strcmp(x->problem + n - m, type) == 0;
}

static void assess_directory(const struct probe_facts *f, struct probe_report *r)
{
	const struct probe_exchange *x = &f->dir_get;
	char why[256];

	if (x->error == ACME_OK) {
		if (probe_directory_check(f->directory, why, sizeof(why)) != 0)
			finding(r, PROBE_STEP_DIRECTORY, RESULT_CRITICAL,
			        "%s: not an ACME directory (is directory = still the CA's?)", why);
		else
			finding(r, PROBE_STEP_DIRECTORY, RESULT_OK,
			        "newNonce, newAccount and newOrder present%s",
			        probe_eab_required(f->directory)
			            ? "; the CA requires external account binding"
			            : "");
		return;
	}
	if (x->http_status == 404 || x->http_status == 410)
		finding(r, PROBE_STEP_DIRECTORY, RESULT_CRITICAL,
		        "the directory URL answers HTTP %ld: the directory moved or the URL is "
		        "wrong (set directory = to the CA's current URL): %s",
		        x->http_status, x->detail);
	else if (x->error == ACME_ERR_MALFORMED || x->error == ACME_ERR_TOO_LARGE)
		finding(r, PROBE_STEP_DIRECTORY, RESULT_CRITICAL,
		        "the directory URL does not answer with an ACME directory (%s): %s",
		        acme_error_name(x->error), x->detail);
	else
		finding(r, PROBE_STEP_DIRECTORY, exchange_failure(x), "directory %s (%s): %s",
		        failure_kind(x), acme_error_name(x->error), x->detail);
}

static void assess_nonce(const struct probe_facts *f, struct probe_report *r)
{
	const struct probe_exchange *x = &f->nonce;

	if (x->error == ACME_OK)
		finding(r, PROBE_STEP_NONCE, RESULT_OK, "newNonce gave a Replay-Nonce");
	else
		finding(r, PROBE_STEP_NONCE, exchange_failure(x), "newNonce %s (%s): %s",
		        failure_kind(x), acme_error_name(x->error), x->detail);
}

static void assess_account_new(const struct probe_facts *f, struct probe_report *r)
{
	const struct probe_exchange *x = &f->account_new;

	if (problem_is(x, "externalAccountRequired") && !f->eab_configured)
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL,
		        "the CA requires external account binding (EAB) and none is configured "
		        "(eab_kid, eab_hmac_key): newAccount refused: %s",
		        x->detail);
	else if (f->eab_configured && x->error == ACME_ERR_PROBLEM)
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL,
		        "newAccount with external account binding (EAB) refused: are eab_kid and "
		        "eab_hmac_key the CA's? %s",
		        x->detail);
	else
		finding(r, PROBE_STEP_ACCOUNT, exchange_failure(x), "newAccount %s (%s): %s",
		        failure_kind(x), acme_error_name(x->error), x->detail);
}

static void assess_account_get(const struct probe_facts *f, struct probe_report *r)
{
	const struct probe_exchange *x = &f->account_get;

	if (problem_is(x, "accountDoesNotExist"))
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL,
		        "the CA does not know the account URL the store holds for it (the CA lost "
		        "it, or the store belongs to another CA): %s",
		        x->detail);
	else if (x->error == ACME_ERR_PROBLEM &&
	         (problem_is(x, "unauthorized") || x->http_status == 401 || x->http_status == 403))
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL,
		        "the account is no longer valid at the CA (deactivated or revoked): %s",
		        x->detail);
	else
		finding(r, PROBE_STEP_ACCOUNT, exchange_failure(x),
		        "fetching the account %s (%s): %s", failure_kind(x),
		        acme_error_name(x->error), x->detail);
}

static void assess_account(const struct probe_facts *f, struct probe_report *r)
{
	int eab_required = probe_eab_required(f->directory);
	const char *made = f->account_new.done ? "created and " : "";

	if (f->local_error[0] != '\0') {
		finding(r, PROBE_STEP_ACCOUNT, RESULT_UNKNOWN, "%s", f->local_error);
		return;
	}
	if (probe_account_plan(f->directory, f->eab_configured, f->account_held) ==
	    PROBE_ACCOUNT_NEEDS_EAB) {
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL,
		        "the CA requires external account binding (EAB; its directory says "
		        "meta.externalAccountRequired) and none is configured: set eab_kid and "
		        "eab_hmac_key; no account can be created (newAccount not sent)");
		return;
	}
	if (f->account_new.done && f->account_new.error != ACME_OK) {
		assess_account_new(f, r);
		return;
	}
	if (!f->account_get.done) {
		finding(r, PROBE_STEP_ACCOUNT, RESULT_UNKNOWN, "the account was not fetched");
		return;
	}
	if (f->account_get.error != ACME_OK) {
		assess_account_get(f, r);
		return;
	}
	if (strcmp(f->account_status, "valid") != 0) {
		finding(r, PROBE_STEP_ACCOUNT, RESULT_CRITICAL, "the account is \"%s\" at the CA",
		        f->account_status);
		return;
	}
	if (eab_required && !f->eab_configured && !f->account_new.done)
		finding(r, PROBE_STEP_ACCOUNT, RESULT_WARNING,
		        "account valid, but the CA requires external account binding (EAB) and "
		        "none is configured: a new account (a new store, a lost key) could not be "
		        "created; set eab_kid and eab_hmac_key");
	else
		finding(r, PROBE_STEP_ACCOUNT, RESULT_OK, "account %svalid%s", made,
		        f->account_new.done && f->eab_configured ? " (external account binding)"
		                                                 : "");
}

/* The caa step: CRITICAL when CAA forbids the CA for any certificate that
 * lists it, else UNKNOWN when a lookup failed, else OK. */
static void assess_caa(const struct probe_caa_facts *c, struct probe_report *r)
{
	if (c->checked == 0)
		return;
	if (c->refused > 0)
		finding(r, PROBE_STEP_CAA, RESULT_CRITICAL,
		        "CAA forbids this CA for %zu of the %zu certificates that list it: a "
		        "failover to it would be refused; first %s: %s",
		        c->refused, c->checked, c->refused_cert ? c->refused_cert : "?",
		        c->refused_why);
	else if (c->unknown > 0)
		finding(r, PROBE_STEP_CAA, RESULT_UNKNOWN,
		        "CAA could not be checked for %zu of the %zu certificates that list it; "
		        "first %s: %s",
		        c->unknown, c->checked, c->unknown_cert ? c->unknown_cert : "?",
		        c->unknown_why);
	else
		finding(r, PROBE_STEP_CAA, RESULT_OK,
		        "CAA allows this CA for the %zu certificates that list it", c->checked);
}

enum result probe_assess(const struct probe_facts *f, struct probe_report *r)
{
	size_t i, pick;

	r->count = 0;
	r->eab_configured = f->eab_configured;
	r->eab_required = probe_eab_required(f->directory);
	if (!f->dir_get.done)
		finding(r, PROBE_STEP_DIRECTORY, RESULT_UNKNOWN, "%s",
		        f->local_error[0] ? f->local_error : "the directory was not fetched");
	else
		assess_directory(f, r);
	if (r->count == 1 && r->findings[0].result == RESULT_OK && f->nonce.done) {
		assess_nonce(f, r);
		if (r->findings[1].result == RESULT_OK)
			assess_account(f, r);
	} else if (r->count == 1 && r->findings[0].result == RESULT_OK) {
		finding(r, PROBE_STEP_NONCE, RESULT_UNKNOWN, "no nonce was asked for");
	}
	assess_caa(&f->caa, r);
	/* The first worst finding speaks for the CA; when all are OK, the
	 * last step of the CA itself ("account valid"), not CAA's. */
	r->result = RESULT_OK;
	for (i = 0; i < r->count; i++)
		r->result = result_worse(r->result, r->findings[i].result);
	pick = r->count - 1;
	if (pick > 0 && r->findings[pick].step == PROBE_STEP_CAA)
		pick--;
	for (i = 0; r->result != RESULT_OK && i < r->count; i++) {
		if (r->findings[i].result == r->result) {
			pick = i;
			break;
		}
	}
	r->step = r->findings[pick].step;
	r->reason = r->findings[pick].reason;
	return r->result;
}

/* --------------------------------------------------------------- requests */

static void record(struct probe_exchange *x, const struct acme_session *s, enum acme_error e)
{
	x->done = 1;
	x->error = e;
	x->http_status = e == ACME_OK ? 0 : s->status;
	snprintf(x->problem, sizeof(x->problem), "%s", e == ACME_OK ? "" : s->problem);
	snprintf(x->detail, sizeof(x->detail), "%s", e == ACME_OK ? "" : s->detail);
}

/* The account step: fetch the held account, or create one first. */
static void probe_account(const struct conf_ca *ca, struct store *st, struct acme_session *s,
                          struct probe_facts *f, struct probe_report *r)
{
	EVP_PKEY *key = NULL;
	char kid[sizeof(s->kid)] = "";
	enum probe_account_plan plan;
	enum acme_error e;

	if (store_account_load(st, ca->name, ca->directory, &key, kid, sizeof(kid)) != 0) {
		snprintf(f->local_error, sizeof(f->local_error),
		         "cannot load or create the account key in the store (logged)");
		return;
	}
	f->account_held = kid[0] != '\0';
	plan = probe_account_plan(f->directory, f->eab_configured, f->account_held);
	if (plan == PROBE_ACCOUNT_NEEDS_EAB)
		goto out;
	s->account_key = key;
	if (plan == PROBE_ACCOUNT_FETCH) {
		snprintf(s->kid, sizeof(s->kid), "%s", kid);
	} else {
		s->kid[0] = '\0';
		e = plan == PROBE_ACCOUNT_CREATE_EAB
		        ? acme_account_ensure(s, ca->eab_kid, ca->eab_hmac_key)
		        : acme_account_ensure(s, NULL, NULL);
		record(&f->account_new, s, e);
		if (e != ACME_OK)
			goto out;
		if (store_account_save_kid(st, ca->name, ca->directory, s->kid) != 0) {
			snprintf(
			    f->local_error, sizeof(f->local_error),
			    "account created at the CA but its URL could not be recorded in the "
			    "store (logged)");
			goto out;
		}
		r->account_created = 1;
		log_info("acme_account_ready", "ca=%s kid=\"%s\"", ca->name, s->kid);
	}
	snprintf(r->account, sizeof(r->account), "%s", s->kid);
	e = acme_account_fetch(s, f->account_status, sizeof(f->account_status));
	record(&f->account_get, s, e);
out:
	s->account_key = NULL;
	EVP_PKEY_free(key);
}

/* The steps, each only when the one before it passed. */
static void probe_steps(const struct conf_ca *ca, struct store *st, struct acme_session *s,
                        struct probe_facts *f, struct probe_report *r)
{
	char why[256];
	enum acme_error e;

	e = acme_directory_load(s);
	record(&f->dir_get, s, e);
	if (e != ACME_OK)
		return;
	f->directory = s->directory;
	if (probe_directory_check(f->directory, why, sizeof(why)) != 0)
		return;
	e = acme_nonce_new(s);
	record(&f->nonce, s, e);
	if (e != ACME_OK)
		return;
	probe_account(ca, st, s, f, r);
}

/* The caa step: ask caa for every certificate of conf whose cas lists ca. */
static void probe_caa(const struct conf *conf, const struct conf_ca *ca, probe_caa_fn caa,
                      void *ctx, struct probe_caa_facts *c)
{
	char why[512];
	size_t i, k;

	for (i = 0; caa != NULL && i < conf->cert_count; i++) {
		const struct conf_cert *cert = &conf->certs[i];
		for (k = 0; k < cert->cas.count && strcmp(cert->cas.items[k], ca->name) != 0; k++)
			;
		if (k == cert->cas.count)
			continue;
		why[0] = '\0';
		c->checked++;
		switch (caa(ctx, conf, cert, ca->name, why, sizeof(why))) {
		case PROBE_CAA_REFUSED:
			if (c->refused++ == 0) {
				c->refused_cert = cert->name;
				snprintf(c->refused_why, sizeof(c->refused_why), "%s", why);
			}
			break;
		case PROBE_CAA_UNKNOWN:
			if (c->unknown++ == 0) {
				c->unknown_cert = cert->name;
				snprintf(c->unknown_why, sizeof(c->unknown_why), "%s", why);
			}
			break;
		case PROBE_CAA_MAY_ISSUE:
			break;
		}
	}
}

enum result probe_ca(const struct conf *conf, const struct conf_ca *ca, struct store *st,
                     probe_caa_fn caa, void *ctx, struct probe_report *r)
{
	struct acme_session s;
	struct probe_facts f;
	char reason[PROBE_REASON_MAX];

	memset(r, 0, sizeof(*r));
	memset(&f, 0, sizeof(f));
	r->ca = ca->name;
	r->directory = ca->directory;
	f.eab_configured = ca->eab_kid != NULL && ca->eab_hmac_key != NULL;
	if (acme_session_init(&s, ca, conf->acme_connect_timeout, conf->acme_timeout) == 0)
		probe_steps(ca, st, &s, &f, r);
	else
		snprintf(f.local_error, sizeof(f.local_error), "out of memory");
	probe_caa(conf, ca, caa, ctx, &f.caa);
	probe_assess(&f, r); /* before the session, which holds the directory, goes */
	acme_session_cleanup(&s);
	log_safe(reason, sizeof(reason), r->reason);
	if (r->result == RESULT_OK)
		log_info("ca_probe", "ca=%s result=%s step=%s reason=\"%s\"", ca->name,
		         result_name(r->result), probe_step_name(r->step), reason);
	else
		log_warn("ca_probe", "ca=%s result=%s step=%s url=\"%s\" reason=\"%s\"", ca->name,
		         result_name(r->result), probe_step_name(r->step), ca->directory, reason);
	return r->result;
}

/*
 * holdfast revocation: is this certificate revoked?  Asked of OCSP first,
 * of the CRL when OCSP cannot say.
 *
 * Per certificate, top to bottom: load it; find its issuer (--issuer, else
 * the second certificate of the file, else the AIA caIssuers URL); when the
 * certificate names OCSP responders, ask them (ocsp/fetch, the fetcher of
 * `holdfast staple`) and use the first valid answer; otherwise, or when none
 * answers validly, check the CRL of its CRL distribution points
 * (revocation/fetch, which decides with revocation/crl).  Exit codes are the
 * monitoring convention, worst over all certificates (result_worse):
 *
 *   0  not revoked (a good OCSP answer, or not listed in a current CRL)
 *   1  not listed, but the only CRL to be had is stale (nextUpdate passed)
 *   2  revoked (by OCSP or CRL, stale or not: a revocation is not undone)
 *   3  cannot tell (no issuer, no answer, every answer refused, usage)
 *
 * With -c FILE the CRLs are cached in the configured store (conditional GET)
 * and crl_max_size comes from the configuration; without it nothing is
 * written anywhere, every CRL is downloaded whole, and the cap is 64 MiB.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "ocsp/fetch.h"
#include "revocation/crl.h"
#include "revocation/fetch.h"
#include "store/store.h"
#include "util/http.h"
#include "util/log.h"
#include "util/result.h"
#include "util/timeutil.h"
#include "x509/cacerts.h"
#include "x509/cert.h"

#define REVOCATION_MESSAGE_MAX 1024
#define REVOCATION_ERRORS_MAX  (OCSP_FETCH_URLS_MAX + CERT_URLS_MAX)

/* A failure on the way, OCSP's or the CRL's, for the output. */
struct revocation_error {
	const char *method; /* "ocsp", "crl" */
	char url[CRL_URL_MAX];
	const char *error; /* the enum's stable name */
	char detail[HTTP_DETAIL_MAX];
};

/* The answer about one certificate. */
struct revocation_result {
	enum result result;
	const char *method; /* "ocsp", "crl", or NULL (no answer) */
	const char *source; /* "responder", or crl_source_name() */
	char url[CRL_URL_MAX];
	char serial[128];
	int revoked, stale;
	time_t this_update, next_update, revocation_time;
	int revocation_reason;
	char message[REVOCATION_MESSAGE_MAX];
	struct revocation_error errors[REVOCATION_ERRORS_MAX];
	size_t error_count;
};

struct revocation_run {
	struct http_client *client;     /* OCSP and caIssuers: small bodies */
	struct http_client *crl_client; /* CRLs: body limit crl_max_size */
	struct cacerts *cacerts;
	X509 *issuer_override; /* --issuer */
	struct store *store;   /* -c: the CRL cache; NULL without */
	size_t crl_max;
	time_t now;
};

static void revocation_usage(FILE *f)
{
	fprintf(f,
	        "usage: holdfast revocation [-c FILE] [--issuer FILE] [--json] [-v] CERT.pem...\n"
	        "\n"
	        "Say whether each certificate is revoked: by OCSP when it names a responder\n"
	        "that answers validly, otherwise by the CRL of its CRL distribution points\n"
	        "(RFC 5280: signature, thisUpdate/nextUpdate, Issuing Distribution Point).\n"
	        "\n"
	        "  -c, --config FILE  cache CRLs in FILE's store (conditional GET) and use its\n"
	        "                     crl_max_size; without it nothing is written\n"
	        "  --issuer FILE      issuer certificate (default: 2nd certificate in CERT.pem,\n"
	        "                     else the AIA caIssuers URL)\n"
	        "  --json             one JSON object per certificate on stdout\n"
	        "  -v                 log each step to stderr (twice: debug)\n"
	        "\n"
	        "Exit: 0 not revoked, 1 only a stale CRL (not listed), 2 revoked,\n"
	        "3 cannot tell.\n");
}

static void result_fail(struct revocation_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void result_fail(struct revocation_result *r, const char *fmt, ...)
{
	va_list ap;

	r->result = RESULT_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void error_add(struct revocation_result *r, const char *method, const char *url,
                      const char *error, const char *detail)
{
	struct revocation_error *e;

	if (r->error_count >= REVOCATION_ERRORS_MAX)
		return;
	e = &r->errors[r->error_count++];
	e->method = method;
	snprintf(e->url, sizeof(e->url), "%s", url ? url : "");
	e->error = error;
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

static void on_ocsp_done(struct ocsp_fetch *f, void *user)
{
	(void)f;
	*(int *)user = 1;
}

/* Ask the OCSP responders of cert; 0 when one answered validly (r filled),
 * -1 when none did (their failures in r->errors). */
static int ask_ocsp(struct revocation_run *run, X509 *cert, X509 *issuer,
                    struct revocation_result *r)
{
	unsigned char *der = NULL;
	struct cert_leaf *leaf = NULL;
	struct ocsp_fetch *f = NULL;
	struct ocsp_fetch_want want;
	struct ocsp_fetch_result *res;
	char *urls[OCSP_FETCH_URLS_MAX];
	size_t n, i;
	int len, done = 0, rc = -1;

	len = i2d_X509(cert, &der);
	if (len <= 0 || (leaf = cert_leaf_new(der, (size_t)len)) == NULL)
		goto out;
	n = ocsp_responder_urls(leaf, NULL, 0, urls, OCSP_FETCH_URLS_MAX);
	if (n == 0)
		goto out;
	memset(&want, 0, sizeof(want));
	want.leaf = leaf;
	want.issuer = issuer;
	f = ocsp_fetch_new(&want, urls, n);
	ocsp_responder_urls_free(urls, n);
	if (f == NULL) {
		error_add(r, "ocsp", "", "transport", "cannot build the OCSP request");
		goto out;
	}
	if (ocsp_fetch_start(f, run->client, on_ocsp_done, &done) == 0)
		http_client_run(run->client);
	res = ocsp_fetch_result(f);
	for (i = 0; i < res->error_count; i++)
		error_add(r, "ocsp", res->errors[i].url, staple_error_name(res->errors[i].error),
		          res->errors[i].detail);
	if (res->der == NULL)
		goto out;
	r->method = "ocsp";
	r->source = "responder";
	snprintf(r->url, sizeof(r->url), "%s", res->responder);
	r->this_update = res->verdict.this_update;
	r->next_update = res->verdict.next_update;
	r->revoked = res->verdict.status == STAPLE_STATUS_REVOKED;
	r->revocation_time = res->verdict.revocation_time;
	r->revocation_reason = res->verdict.revocation_reason;
	rc = 0;
out:
	ocsp_fetch_free(f);
	cert_leaf_free(leaf);
	OPENSSL_free(der);
	return rc;
}

/* Check the CRLs of cert; 0 when one gave an answer (r filled), -1 when
 * none did. */
static int ask_crl(struct revocation_run *run, const char *path, X509 *cert, X509 *issuer,
                   struct revocation_result *r)
{
	char *urls[CERT_URLS_MAX];
	size_t n = cert_crl_urls(cert, urls, 0, CERT_URLS_MAX), i;
	struct crl_answer *a = calloc(1, sizeof(*a));
	int rc = -1;

	if (a == NULL)
		goto out;
	if (n == 0) {
		error_add(r, "crl", "", "no-distribution-point",
		          "the certificate names no CRL distribution point");
		goto out;
	}
	rc = crl_fetch_check(run->crl_client, run->store, path, urls, n, run->crl_max, cert, issuer,
	                     run->now, a);
	for (i = 0; i < a->error_count; i++)
		error_add(r, "crl", a->errors[i].url, crl_error_name(a->errors[i].error),
		          a->errors[i].detail);
	if (rc != 0)
		goto out;
	r->method = "crl";
	r->source = crl_source_name(a->source);
	snprintf(r->url, sizeof(r->url), "%s", a->url);
	r->this_update = a->verdict.this_update;
	r->next_update = a->verdict.next_update;
	r->stale = a->verdict.stale;
	r->revoked = a->verdict.status == CRL_STATUS_REVOKED;
	r->revocation_time = a->verdict.revocation_time;
	r->revocation_reason = a->verdict.revocation_reason;
out:
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(a);
	return rc;
}

/* 1 when issuer issued cert (name and signature). */
static int issued_by(X509 *cert, X509 *issuer)
{
	int ok = issuer != NULL &&
	         X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(cert)) == 0 &&
	         X509_verify(cert, X509_get0_pubkey(issuer)) == 1;

	ERR_clear_error();
	return ok;
}

static void check_one(struct revocation_run *run, const char *path, struct revocation_result *r)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert, *issuer = NULL;
	char err[256], t[32], why[256];

	memset(r, 0, sizeof(*r));
	r->revocation_reason = -1;
	chain = cert_chain_load(path, err, sizeof(err));
	if (chain == NULL) {
		result_fail(r, "cannot load certificate: %s", err);
		return;
	}
	cert = sk_X509_value(chain, 0);
	cert_serial_hex(cert, r->serial, sizeof(r->serial));
	if (run->issuer_override != NULL) {
		issuer = run->issuer_override;
	} else if (sk_X509_num(chain) > 1) {
		issuer = sk_X509_value(chain, 1);
	} else {
		issuer = revocation_issuer_fetch(run->client, cert, run->cacerts, why, sizeof(why));
		if (issuer == NULL) {
			result_fail(r, "no issuer: give --issuer or append the chain (%s)", why);
			goto out;
		}
	}
	if (!issued_by(cert, issuer)) {
		result_fail(r, "the issuer certificate did not issue this certificate");
		goto out;
	}
	if (ask_ocsp(run, cert, issuer, r) != 0 && ask_crl(run, path, cert, issuer, r) != 0) {
		result_fail(r, "cannot tell: %s",
		            r->error_count ? "no valid OCSP answer or CRL (see errors)"
		                           : "the certificate names no OCSP responder and no CRL "
		                             "distribution point");
		goto out;
	}
	if (r->revoked) {
		r->result = RESULT_CRITICAL;
		snprintf(r->message, sizeof(r->message),
		         "REVOKED serial=%s reason=%s revocation_time=%s method=%s url=%.400s",
		         r->serial, crl_reason_name(r->revocation_reason),
		         time_format(t, sizeof(t), r->revocation_time), r->method, r->url);
	} else if (r->stale) {
		r->result = RESULT_WARNING;
		snprintf(r->message, sizeof(r->message),
		         "not listed, but the CRL is stale (nextUpdate %s) serial=%s method=%s "
		         "url=%.400s",
		         time_format(t, sizeof(t), r->next_update), r->serial, r->method, r->url);
	} else {
		r->result = RESULT_OK;
		snprintf(r->message, sizeof(r->message),
		         "good serial=%s method=%s source=%s url=%.400s next_update=%s", r->serial,
		         r->method, r->source, r->url, time_format(t, sizeof(t), r->next_update));
	}
out:
	sk_X509_pop_free(chain, X509_free);
}

static void json_set_time(json_t *o, const char *key, time_t t, int present)
{
	char buf[32];

	json_object_set_new(o, key,
	                    present ? json_string(time_format(buf, sizeof(buf), t)) : json_null());
}

static void result_print(const char *path, const struct revocation_result *r, int as_json)
{
	json_t *o, *errs;
	size_t i;

	if (!as_json) {
		cli_line("%s %s: %s", result_name(r->result), path, r->message);
		fflush(stdout);
		return;
	}
	o = json_object();
	errs = json_array();
	json_object_set_new(o, "cert", json_string(path));
	json_object_set_new(o, "result", json_string(result_name(r->result)));
	json_object_set_new(o, "exit", json_integer((int)r->result));
	json_object_set_new(o, "status",
	                    json_string(r->method == NULL ? "none"
	                                : r->revoked      ? "revoked"
	                                                  : "good"));
	json_object_set_new(o, "serial", r->serial[0] ? json_string(r->serial) : json_null());
	json_object_set_new(o, "method", r->method ? json_string(r->method) : json_null());
	json_object_set_new(o, "source", r->source ? json_string(r->source) : json_null());
	json_object_set_new(o, "url", r->method ? json_string(r->url) : json_null());
	json_object_set_new(o, "stale", json_boolean(r->stale));
	json_set_time(o, "this_update", r->this_update, r->method != NULL);
	json_set_time(o, "next_update", r->next_update, r->method != NULL);
	if (r->revoked) {
		json_set_time(o, "revocation_time", r->revocation_time, 1);
		json_object_set_new(o, "revocation_reason",
		                    json_string(crl_reason_name(r->revocation_reason)));
	}
	json_object_set_new(o, "message", json_string(r->message));
	for (i = 0; i < r->error_count; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "method", json_string(r->errors[i].method));
		json_object_set_new(e, "url", json_string(r->errors[i].url));
		json_object_set_new(e, "error", json_string(r->errors[i].error));
		json_object_set_new(e, "detail", json_string(r->errors[i].detail));
		json_array_append_new(errs, e);
	}
	json_object_set_new(o, "errors", errs);
	cli_json_line(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	fflush(stdout);
}

int cmd_revocation(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"issuer", required_argument, NULL, 'i'},
	    {"json", no_argument, NULL, 'j'},         {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct revocation_run run;
	struct revocation_result *r = NULL;
	struct http_options hopt, copt;
	struct conf *conf = NULL;
	STACK_OF(X509) *issuer_chain = NULL;
	const char *conf_path = NULL, *issuer_path = NULL;
	enum result worst = RESULT_OK;
	int as_json = 0, verbose = 0, ch, i;
	char err[CONF_ERROR_MAX];

	memset(&run, 0, sizeof(run));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'i':
			issuer_path = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			revocation_usage(stdout);
			return EXIT_OK;
		default:
			revocation_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "holdfast revocation: no certificate given\n");
		revocation_usage(stderr);
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);

	run.crl_max = CONF_CRL_MAX_SIZE_DEFAULT;
	if (conf_path != NULL) {
		conf = conf_load(conf_path, err, sizeof(err));
		if (conf == NULL) {
			fprintf(stderr, "holdfast revocation: %s\n", err);
			return EXIT_UNKNOWN;
		}
		run.crl_max = conf->crl_max_size;
		run.store = store_open(conf, 0, err, sizeof(err));
		if (run.store == NULL) {
			fprintf(stderr, "holdfast revocation: store: %s\n", err);
			conf_free(conf);
			return EXIT_UNKNOWN;
		}
	}
	if (issuer_path != NULL) {
		issuer_chain = cert_chain_load(issuer_path, err, sizeof(err));
		if (issuer_chain == NULL) {
			fprintf(stderr, "holdfast revocation: --issuer %s: %s\n", issuer_path, err);
			worst = RESULT_UNKNOWN;
			goto out;
		}
		run.issuer_override = sk_X509_value(issuer_chain, 0);
	}
	http_options_default(&hopt);
	copt = hopt;
	copt.body_limit = run.crl_max;
	copt.timeout_ms = 120000L; /* a 64 MiB CRL over a slow link */
	run.client = http_client_new(&hopt, NULL, NULL);
	run.crl_client = http_client_new(&copt, NULL, NULL);
	run.cacerts = cacerts_new();
	r = calloc(1, sizeof(*r));
	if (run.client == NULL || run.crl_client == NULL || run.cacerts == NULL || r == NULL) {
		fprintf(stderr, "holdfast revocation: out of memory\n");
		worst = RESULT_UNKNOWN;
		goto out;
	}
	for (i = optind; i < argc; i++) {
		run.now = time(NULL);
		check_one(&run, argv[i], r);
		result_print(argv[i], r, as_json);
		worst = result_worse(worst, r->result);
	}
out:
	free(r);
	http_client_free(run.client);
	http_client_free(run.crl_client);
	cacerts_free(run.cacerts);
	sk_X509_pop_free(issuer_chain, X509_free);
	store_free(run.store);
	conf_free(conf);
	return (int)worst;
}

/*
 * rdap_client: concurrent RDAP lookups (RFC 9082 "/domain/NAME"), the I/O
 * half of rdap_parse.c (see rdap.h).
 *
 * The client keeps its own queue in front of the HTTP client so it can hold
 * a query back: per-server concurrency and a 429's Retry-After both apply to
 * every query for that server, not only to the one refused.  A registry
 * answer that is complete is final; only an incomplete one is completed from
 * the registrar's server, once, and a failure there keeps the registry's data
 * (reported beside it, never instead of it).  A registry answer with a part
 * it could not read is still an answer (rdap_domain_parse keeps the rest);
 * the registrar's answer fills what that part would have said.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit/rdap.h"
#include "audit/rdap_internal.h"
#include "util/log.h"
#include "util/url.h"

#define RDAP_HOST_KEY_MAX 300
/* ---------------------------------------------------------------- client */

struct rdap_host {
	char key[RDAP_HOST_KEY_MAX]; /* host[:port] */
	size_t in_flight;
	double not_before; /* monotonic seconds; a 429 holds the server back */
};

struct rdap_job {
	struct rdap_result *res;
	char domain[RDAP_NAME_MAX];
	char url[RDAP_URL_MAX]; /* the URL of the current stage */
	int registrar_stage;    /* 0: the registry, 1: the referral */
	int retries;            /* after 429s, this stage */
	double not_before;
	size_t host;
	struct http_request *req;
	struct rdap_job *prev, *next; /* every live job, for rdap_client_free */
};

struct rdap_client {
	struct http_client *http;
	struct rdap_options opt;
	struct rdap_host *hosts;
	size_t host_count, host_cap;
	struct rdap_job **waiting; /* not yet handed to the HTTP client */
	size_t waiting_count, waiting_cap;
	size_t pending; /* jobs not done */
	struct rdap_job *live;
};

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rdap_options_default(struct rdap_options *opt)
{
	http_options_default(&opt->http);
	opt->http.body_limit = RDAP_BODY_MAX;
	opt->per_server = RDAP_PER_SERVER_DEFAULT;
}

static void rdap_http_done(struct http_request *req, void *ctx);

struct rdap_client *rdap_client_new(const struct rdap_options *opt)
{
	struct rdap_client *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	rc->opt = *opt;
	rc->opt.http.body_limit = RDAP_BODY_MAX;
	if (rc->opt.per_server == 0)
		rc->opt.per_server = 1;
	rc->http = http_client_new(&rc->opt.http, rdap_http_done, rc);
	if (rc->http == NULL) {
		free(rc);
		return NULL;
	}
	return rc;
}

static void job_free(struct rdap_job *job)
{
	if (job == NULL)
		return;
	if (job->req != NULL) {
		http_request_cleanup(job->req);
		free(job->req);
	}
	free(job);
}

void rdap_client_free(struct rdap_client *rc)
{
	struct rdap_job *job, *next;

	if (rc == NULL)
		return;
	for (job = rc->live; job != NULL; job = next) {
		next = job->next;
		job_free(job); /* curl_easy_cleanup takes a handle out of the multi */
	}
	http_client_free(rc->http);
	free(rc->waiting);
	free(rc->hosts);
	free(rc);
}

/* Index of the host entry for url (created when new); -1 when out of memory. */
static long host_index(struct rdap_client *rc, const char *url)
{
	char key[RDAP_HOST_KEY_MAX];
	size_t i;

	if (url_host(url, key, sizeof(key), 1, NULL) != 0)
		memcpy(key, "?", 2); /* unparsable URLs share one slot; curl refuses them */
	for (i = 0; i < rc->host_count; i++) {
		if (strcmp(rc->hosts[i].key, key) == 0)
			return (long)i;
	}
	if (rc->host_count == rc->host_cap) {
		size_t cap = rc->host_cap ? rc->host_cap * 2 : 8;
		struct rdap_host *h = realloc(rc->hosts, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		rc->hosts = h;
		rc->host_cap = cap;
	}
	memset(&rc->hosts[rc->host_count], 0, sizeof(rc->hosts[0]));
	memcpy(rc->hosts[rc->host_count].key, key, strlen(key) + 1);
	return (long)rc->host_count++;
}

static int enqueue(struct rdap_client *rc, struct rdap_job *job)
{
	if (rc->waiting_count == rc->waiting_cap) {
		size_t cap = rc->waiting_cap ? rc->waiting_cap * 2 : 64;
		struct rdap_job **w = realloc(rc->waiting, cap * sizeof(*w));
		if (w == NULL)
			return -1;
		rc->waiting = w;
		rc->waiting_cap = cap;
	}
	rc->waiting[rc->waiting_count++] = job;
	return 0;
}

static void job_finish(struct rdap_client *rc, struct rdap_job *job)
{
	job->res->done = 1;
	rc->pending--;
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		rc->live = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	job_free(job);
}

/* Point job at url (a new stage) and queue it. */
static int job_start_stage(struct rdap_client *rc, struct rdap_job *job, const char *url)
{
	long h;

	if (strlen(url) >= sizeof(job->url))
		return -1;
	memcpy(job->url, url, strlen(url) + 1);
	job->retries = 0;
	job->not_before = 0;
	h = host_index(rc, url);
	if (h < 0)
		return -1;
	job->host = (size_t)h;
	return enqueue(rc, job);
}

int rdap_client_submit(struct rdap_client *rc, const struct rdap_bootstrap *bs, const char *domain,
                       struct rdap_result *res)
{
	struct rdap_job *job = NULL;
	char base[RDAP_URL_MAX];
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->domain.dnssec = -1;
	if (strlen(domain) >= RDAP_NAME_MAX) {
		res->outcome = RDAP_MALFORMED;
		snprintf(res->detail, sizeof(res->detail), "domain name too long");
		res->done = 1;
		return 0;
	}
	if (rdap_bootstrap_lookup(bs, domain, base, sizeof(base)) != 0) {
		res->outcome = RDAP_NO_SERVICE;
		snprintf(res->detail, sizeof(res->detail),
		         "no RDAP service for this TLD in the bootstrap");
		res->done = 1;
		return 0;
	}
	if (rdap_domain_url(base, domain, res->url, sizeof(res->url)) != 0) {
		res->outcome = RDAP_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "RDAP URL too long");
		res->done = 1;
		return 0;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		goto out;
	job->res = res;
	memcpy(job->domain, domain, strlen(domain) + 1);
	if (job_start_stage(rc, job, res->url) != 0)
		goto out;
	rc->pending++;
	job->next = rc->live;
	if (rc->live != NULL)
		rc->live->prev = job;
	rc->live = job;
	job = NULL; /* the client owns it now */
	ret = 0;
out:
	if (ret != 0) {
		free(job);
		res->outcome = RDAP_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "out of memory");
		res->done = 1;
	}
	return ret;
}

/* Hand waiting jobs to the HTTP client where their server has room. */
static void dispatch(struct rdap_client *rc, double now)
{
	size_t i = 0;

	while (i < rc->waiting_count) {
		struct rdap_job *job = rc->waiting[i];
		struct rdap_host *h = &rc->hosts[job->host];

		if (h->in_flight >= rc->opt.per_server || now < h->not_before ||
		    now < job->not_before) {
			i++;
			continue;
		}
		/* Order among waiting jobs does not matter: take it out. */
		rc->waiting[i] = rc->waiting[--rc->waiting_count];
		job->req = calloc(1, sizeof(*job->req));
		if (job->req == NULL || http_request_init(job->req, job->url) != 0) {
			job->res->outcome = RDAP_UNREACHABLE;
			snprintf(job->res->detail, sizeof(job->res->detail),
			         "cannot start request");
			job_finish(rc, job);
			continue;
		}
		job->req->user = job;
		job->req->accept = RDAP_ACCEPT;
		h->in_flight++;
		http_client_submit(rc->http, job->req);
	}
}

/* A 429: hold the whole server back and retry, or give up. */
static int retry_later(struct rdap_client *rc, struct rdap_job *job, struct http_request *req,
                       long *wait_out)
{
	char value[64];
	long wait;
	double until;

	wait = rdap_retry_after_seconds(
	    http_header_get(req, "Retry-After", value, sizeof(value)) == 0 ? value : NULL,
	    time(NULL));
	*wait_out = wait;
	if (job->retries >= RDAP_RETRIES_429 || wait > RDAP_RETRY_AFTER_MAX)
		return -1;
	job->retries++;
	until = monotonic_now() + (double)wait;
	if (rc->hosts[job->host].not_before < until)
		rc->hosts[job->host].not_before = until;
	job->not_before = until;
	return enqueue(rc, job);
}

static void rdap_http_done(struct http_request *req, void *ctx)
{
	struct rdap_client *rc = ctx;
	struct rdap_job *job = req->user;
	struct rdap_result *res = job->res;
	struct rdap_domain parsed;
	enum rdap_outcome o;
	char perr[RDAP_DETAIL_MAX] = "", safe_url[RDAP_URL_MAX], safe_detail[RDAP_DETAIL_MAX];
	long wait = 0;

	rc->hosts[job->host].in_flight--;
	o = rdap_classify(req->outcome, req->status, req->content_type);
	if (!job->registrar_stage)
		res->http_status = req->status;
	if (o == RDAP_OK && rdap_domain_parse((const char *)req->body.data, req->body.len, &parsed,
	                                      perr, sizeof(perr)) != 0)
		o = RDAP_MALFORMED;
	/* An answer about another domain is no answer about this one.  One
	 * without a usable ldhName is kept: its problem says it could not be
	 * matched, and a hold in it is still reported. */
	if (o == RDAP_OK && parsed.ldh_name[0] != '\0' &&
	    strcasecmp(parsed.ldh_name, job->domain) != 0) {
		rdap_set_err(perr, sizeof(perr), "the answer is about %s", parsed.ldh_name);
		o = RDAP_MALFORMED;
	}
	job->req = NULL;
	if (o == RDAP_RATE_LIMITED) {
		if (retry_later(rc, job, req, &wait) == 0) {
			log_info("rdap_rate_limited", "domain=%s url=\"%s\" retry_after=%ld",
			         job->domain, log_safe(safe_url, sizeof(safe_url), job->url), wait);
			http_request_cleanup(req);
			free(req);
			return;
		}
		snprintf(perr, sizeof(perr),
		         "429 Too Many Requests (Retry-After %ld s, %d retries)", wait,
		         job->retries);
	} else if (o == RDAP_UNREACHABLE || o == RDAP_TOO_LARGE) {
		rdap_set_err(perr, sizeof(perr), "%s: %s", http_outcome_name(req->outcome),
		             req->detail);
	} else if (o == RDAP_CONTENT_TYPE) {
		char ct[HTTP_CONTENT_TYPE_MAX];
		snprintf(perr, sizeof(perr), "Content-Type \"%s\"",
		         log_safe(ct, sizeof(ct), req->content_type));
	} else if (o != RDAP_OK && o != RDAP_MALFORMED) {
		snprintf(perr, sizeof(perr), "HTTP status %ld", req->status);
	}
	http_request_cleanup(req);
	free(req);

	if (o != RDAP_OK)
		log_warn("rdap_query_failed", "domain=%s url=\"%s\" outcome=%s detail=\"%s\"",
		         job->domain, log_safe(safe_url, sizeof(safe_url), job->url),
		         rdap_outcome_name(o), log_safe(safe_detail, sizeof(safe_detail), perr));
	if (job->registrar_stage) {
		res->referral_outcome = o;
		if (o == RDAP_OK)
			rdap_domain_merge(&res->domain, &parsed);
		else
			snprintf(res->detail, sizeof(res->detail), "registrar referral: %s", perr);
		job_finish(rc, job);
		return;
	}
	res->outcome = o;
	if (o != RDAP_OK) {
		memcpy(res->detail, perr, sizeof(res->detail));
		job_finish(rc, job);
		return;
	}
	res->domain = parsed;
	if (rdap_domain_incomplete(&parsed) && parsed.registrar_url[0] != '\0' &&
	    strcmp(parsed.registrar_url, job->url) != 0) {
		res->referral_followed = 1;
		memcpy(res->referral_url, parsed.registrar_url, sizeof(res->referral_url));
		job->registrar_stage = 1;
		if (job_start_stage(rc, job, parsed.registrar_url) == 0)
			return;
		res->referral_outcome = RDAP_UNREACHABLE;
	}
	job_finish(rc, job);
}

size_t rdap_client_pending(const struct rdap_client *rc)
{
	return rc->pending;
}

int rdap_client_step(struct rdap_client *rc, struct curl_waitfd *extra, unsigned int extra_count,
                     int timeout_ms)
{
	double now = monotonic_now(), next = 0;
	size_t i;
	int wait = timeout_ms;

	dispatch(rc, now);
	/* Jobs held back by a 429 wake the loop when their time comes. */
	for (i = 0; i < rc->waiting_count; i++) {
		struct rdap_job *job = rc->waiting[i];
		double t = job->not_before > rc->hosts[job->host].not_before
		               ? job->not_before
		               : rc->hosts[job->host].not_before;
		if (t > now && (next == 0 || t < next))
			next = t;
	}
	if (next > 0 && (next - now) * 1000.0 < (double)wait)
		wait = (int)((next - now) * 1000.0) + 1;
	if (http_client_step_fds(rc->http, extra, extra_count, wait) < 0)
		return -1;
	dispatch(rc, monotonic_now());
	return (int)rc->pending;
}

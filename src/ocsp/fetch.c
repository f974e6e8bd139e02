/*
 * ocsp/fetch: asking responders in turn.  See fetch.h for the rules.
 *
 * A fetch owns one struct http_request, reused for each responder, and the
 * DER request, built once (it is the POST body, or encoded into the GET URL).
 * Each responder is asked at most once, so its URL string moves from the
 * fetch into the error (or into the result as the responder that answered)
 * instead of being copied.
 */

#include "ocsp/fetch.h"

#include <stdlib.h>
#include <string.h>

#include "ocsp/policy.h"
#include "util/log.h"
#include "util/timeutil.h"

struct ocsp_fetch {
	struct http_request req; /* the request in flight; req.user is the fetch */
	struct ocsp_fetch_want want;
	struct ocsp_verdict held; /* want.held points here when set */
	unsigned char *request;   /* DER OCSPRequest */
	size_t request_len;
	char *urls[OCSP_FETCH_URLS_MAX];
	size_t url_count;
	size_t url_next;
	struct http_client *client;
	ocsp_fetch_done_fn done;
	void *user;
	struct ocsp_fetch_result result;
};

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

/* Note that responder i failed; its URL moves into the error. */
static void fetch_fail(struct ocsp_fetch *f, size_t i, enum staple_error error, const char *detail)
{
	struct ocsp_fetch_error *e = &f->result.errors[f->result.error_count++];

	e->url = f->urls[i];
	f->urls[i] = NULL;
	e->responder = i;
	e->error = error;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

static void fetch_on_answer(struct http_request *req, void *user);

/* Queue the request for the next responder whose URL is usable: 0, or -1
 * when none is left. */
static int fetch_ask_next(struct ocsp_fetch *f)
{
	while (f->url_next < f->url_count) {
		size_t i = f->url_next++;

		http_request_cleanup(&f->req);
		if (ocsp_http_request_init(&f->req, f->urls[i], f->request, f->request_len) != 0) {
			fetch_fail(f, i, STAPLE_ERR_TRANSPORT, "URL too long");
			continue;
		}
		f->req.done = fetch_on_answer;
		f->req.user = f;
		http_client_submit(f->client, &f->req);
		return 0;
	}
	return -1;
}

static void fetch_on_answer(struct http_request *req, void *user)
{
	struct ocsp_fetch *f = user;
	size_t i = f->url_next - 1;
	char detail[HTTP_DETAIL_MAX];
	enum staple_error e;

	(void)req;
	e = ocsp_fetch_judge(&f->req, &f->want, time(NULL), &f->result.verdict, detail,
	                     sizeof(detail));
	if (e == STAPLE_OK) {
		/* The body becomes the result: no copy. */
		f->result.der = f->req.body.data;
		f->result.der_len = f->req.body.len;
		buf_init(&f->req.body, 0);
		f->result.responder = f->urls[i];
		f->result.responder_index = i;
		f->urls[i] = NULL;
	} else {
		memset(&f->result.verdict, 0, sizeof(f->result.verdict));
		fetch_fail(f, i, e, detail);
		if (fetch_ask_next(f) == 0)
			return;
	}
	http_request_cleanup(&f->req);
	f->done(f, f->user);
}

size_t ocsp_responder_urls(const struct cert_leaf *leaf, char *const *backups, size_t backup_count,
                           char **urls, size_t max)
{
	size_t n = cert_leaf_ocsp_urls(leaf, urls, 0, max < CERT_URLS_MAX ? max : CERT_URLS_MAX);
	size_t i, j;

	for (i = 0; i < backup_count && n < max; i++) {
		int dup = 0;
		for (j = 0; j < n && !dup; j++)
			dup = strcmp(urls[j], backups[i]) == 0;
		if (!dup && (urls[n] = strdup(backups[i])) != NULL)
			n++;
	}
	return n;
}

void ocsp_responder_urls_free(char **urls, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(urls[i]);
		urls[i] = NULL;
	}
}

int ocsp_http_request_init(struct http_request *req, const char *url, const unsigned char *request,
                           size_t len)
{
	char get_url[sizeof(req->url)];

	if (ocsp_request_get_url(url, request, len, get_url, sizeof(get_url)) == 1)
		return http_request_init(req, get_url);
	/* Too long for GET (by RFC 5019, or for our buffer): POST is always allowed. */
	if (http_request_init(req, url) != 0)
		return -1;
	req->post_body = request;
	req->post_len = len;
	req->post_content_type = OCSP_REQUEST_MEDIA_TYPE;
	return 0;
}

enum staple_error ocsp_fetch_judge(const struct http_request *answer,
                                   const struct ocsp_fetch_want *want, time_t now,
                                   struct ocsp_verdict *v, char *detail, size_t detail_len)
{
	enum staple_error e = staple_error_from_http(answer->outcome);
	char safe[HTTP_CONTENT_TYPE_MAX], t[32];

	memset(v, 0, sizeof(*v));
	v->revocation_reason = -1;
	detail[0] = '\0';
	if (e != STAPLE_OK) {
		snprintf(detail, detail_len, "%s", answer->detail);
		return v->error = e;
	}
	if (answer->status != 200) {
		snprintf(detail, detail_len, "HTTP status %ld", answer->status);
		return v->error = STAPLE_ERR_HTTP_STATUS;
	}
	if (!http_content_type_is(answer->content_type, OCSP_RESPONSE_MEDIA_TYPE)) {
		snprintf(detail, detail_len, "Content-Type \"%s\"",
		         log_safe(safe, sizeof(safe),
		                  answer->content_type[0] ? answer->content_type : "(none)"));
		return v->error = STAPLE_ERR_CONTENT_TYPE;
	}
	e = ocsp_response_check_serial(answer->body.data, answer->body.len,
	                               cert_leaf_issuer_name(want->leaf),
	                               cert_leaf_serial(want->leaf), want->issuer, now, v);
	if (e != STAPLE_OK) {
		snprintf(detail, detail_len, "%s", v->detail);
		return e;
	}
	e = staple_acceptable(v, want->held, want->until_withdrawal, now);
	if (e == STAPLE_ERR_EXPIRES_TOO_SOON)
		snprintf(detail, detail_len,
		         "nextUpdate %s is less than the %ld s withdrawal lead away",
		         time_format(t, sizeof(t), v->next_update),
		         staple_withdraw_lead(v->this_update, v->next_update));
	else if (e == STAPLE_ERR_OLDER_THAN_STORED)
		snprintf(detail, detail_len, "response is older than the stored staple");
	if (e != STAPLE_OK) {
		snprintf(v->detail, sizeof(v->detail), "%s", detail);
		v->error = e;
		v->status = STAPLE_STATUS_NONE;
	}
	return e;
}

struct ocsp_fetch *ocsp_fetch_new(const struct ocsp_fetch_want *want, char *const *urls,
                                  size_t url_count)
{
	struct ocsp_fetch *f = NULL;
	size_t i;

	if (url_count > OCSP_FETCH_URLS_MAX || want->leaf == NULL || want->issuer == NULL)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->want = *want;
	if (want->held != NULL) {
		f->held = *want->held;
		f->want.held = &f->held;
	}
	f->result.errors = calloc(url_count ? url_count : 1, sizeof(*f->result.errors));
	if (f->result.errors == NULL)
		goto fail;
	for (i = 0; i < url_count; i++) {
		f->urls[i] = strdup(urls[i]);
		if (f->urls[i] == NULL)
			goto fail;
		f->url_count++;
	}
	if (ocsp_request_der_new_serial(cert_leaf_issuer_name(want->leaf),
	                                cert_leaf_serial(want->leaf), want->issuer, &f->request,
	                                &f->request_len) != 0)
		goto fail;
	return f;
fail:
	ocsp_fetch_free(f);
	return NULL;
}

int ocsp_fetch_start(struct ocsp_fetch *f, struct http_client *client, ocsp_fetch_done_fn done,
                     void *user)
{
	f->client = client;
	f->done = done;
	f->user = user;
	return fetch_ask_next(f);
}

struct ocsp_fetch_result *ocsp_fetch_result(struct ocsp_fetch *f)
{
	return &f->result;
}

void ocsp_fetch_free(struct ocsp_fetch *f)
{
	size_t i;

	if (f == NULL)
		return;
	http_request_cleanup(&f->req);
	free(f->request);
	ocsp_responder_urls_free(f->urls, f->url_count);
	free(f->result.der);
	free(f->result.responder);
	for (i = 0; f->result.errors != NULL && i < f->result.error_count; i++)
		free(f->result.errors[i].url);
	free(f->result.errors);
	free(f);
}

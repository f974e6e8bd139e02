/*
 * http: libcurl multi wrapper.  See http.h for the guarantees.
 *
 * Design notes:
 * - Easy handles are created per request and discarded after it; the multi
 *   handle keeps the connection cache, so keep-alive still works.
 * - The write callback refuses bytes past the cap (the transfer then fails
 *   with CURLE_WRITE_ERROR, which we report as "too large"), and
 *   CURLOPT_MAXFILESIZE_LARGE rejects an announced oversized body before any
 *   of it is read.
 * - Only http and https are allowed, for requests and redirects alike.
 */

#include "util/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"

#define HTTP_USER_AGENT \
	"holdfast/"     \
	"0.1"

struct http_client {
	CURLM *multi;
	struct http_options opt;
	http_done_fn done;
	void *ctx;
	struct http_request *queue_head, *queue_tail;
	size_t running;
	size_t queued;
};

static const char *const http_outcome_names[HTTP_OUTCOME_COUNT] = {
    [HTTP_OUTCOME_OK] = "ok",
    [HTTP_OUTCOME_RESOLVE] = "resolve",
    [HTTP_OUTCOME_CONNECT] = "connect",
    [HTTP_OUTCOME_TIMEOUT] = "timeout",
    [HTTP_OUTCOME_TOO_LARGE] = "too-large",
    [HTTP_OUTCOME_REDIRECTS] = "too-many-redirects",
    [HTTP_OUTCOME_TLS] = "tls",
    [HTTP_OUTCOME_TRANSPORT] = "transport",
};

const char *http_outcome_name(enum http_outcome outcome)
{
	if ((unsigned)outcome >= HTTP_OUTCOME_COUNT)
		return "invalid";
	return http_outcome_names[outcome];
}

void http_options_default(struct http_options *opt)
{
	opt->connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS_DEFAULT;
	opt->timeout_ms = HTTP_TIMEOUT_MS_DEFAULT;
	opt->body_limit = HTTP_BODY_LIMIT_DEFAULT;
	opt->max_redirects = HTTP_MAX_REDIRECTS_DEFAULT;
	opt->parallel = HTTP_PARALLEL_DEFAULT;
	opt->ca_file = NULL;
}

static int http_is_space(char c)
{
	return c == ' ' || c == '\t';
}

int http_content_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (ct == NULL)
		return 0;
	while (http_is_space(*ct))
		ct++;
	if (n == 0 || strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (http_is_space(*ct))
		ct++;
	return *ct == '\0' || *ct == ';';
}

int http_request_init(struct http_request *req, const char *url)
{
	size_t n = strlen(url);

	memset(req, 0, sizeof(*req));
	if (n >= sizeof(req->url))
		return -1;
	memcpy(req->url, url, n + 1);
	buf_init(&req->body, 0);
	buf_init(&req->headers, 0);
	return 0;
}

void http_request_cleanup(struct http_request *req)
{
	buf_free(&req->body);
	buf_free(&req->headers);
	if (req->easy != NULL) {
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	curl_slist_free_all(req->header_list);
	req->header_list = NULL;
}

static size_t http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_request *req = userdata;
	size_t n = size * nmemb;

	if (buf_append(&req->body, ptr, n) != 0) {
		req->body_overflow = 1;
		return 0; /* makes curl abort with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Keep the header lines of the last response only: a new status line
 * (after a redirect or a 100 Continue) starts over. */
static size_t http_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_request *req = userdata;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		buf_reset(&req->headers);
	if (buf_append(&req->headers, ptr, n) != 0)
		return 0; /* absurd header volume: abort the transfer */
	return n;
}

int http_header_get(const struct http_request *req, const char *name, char *dst, size_t dstlen)
{
	const char *p = (const char *)req->headers.data, *end, *found = NULL;
	size_t nlen = strlen(name), flen = 0;

	if (p == NULL || dstlen == 0)
		return -1;
	end = p + req->headers.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		if ((size_t)(line_end - p) > nlen && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			const char *v = p + nlen + 1, *ve = line_end;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			found = v;
			flen = (size_t)(ve - v);
		}
		p = eol ? eol + 1 : end;
	}
	if (found == NULL || flen >= dstlen)
		return -1;
	memcpy(dst, found, flen);
	dst[flen] = '\0';
	return 0;
}

struct http_client *http_client_new(const struct http_options *opt, http_done_fn done, void *ctx)
{
	struct http_client *client = calloc(1, sizeof(*client));

	if (client == NULL)
		return NULL;
	client->multi = curl_multi_init();
	if (client->multi == NULL) {
		free(client);
		return NULL;
	}
	client->opt = *opt;
	if (client->opt.parallel == 0)
		client->opt.parallel = 1;
	client->done = done;
	client->ctx = ctx;
	/* Keep idle connections for every parallel slot, and pipeline nothing:
	 * OCSP responders and CDNs speak plain HTTP/1.1. */
	curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long)client->opt.parallel);
	curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)client->opt.parallel);
	return client;
}

void http_client_free(struct http_client *client)
{
	if (client == NULL)
		return;
	curl_multi_cleanup(client->multi);
	free(client);
}

int http_client_submit(struct http_client *client, struct http_request *req)
{
	req->queue_next = NULL;
	if (client->queue_tail != NULL)
		client->queue_tail->queue_next = req;
	else
		client->queue_head = req;
	client->queue_tail = req;
	client->queued++;
	return 0;
}

/* Add "name: value" to the request's header list.  0 or -1. */
static int http_add_header(struct http_request *req, const char *name, const char *value)
{
	struct curl_slist *l;
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "%s: %s", name, value);

	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	l = curl_slist_append(req->header_list, hdr);
	if (l == NULL)
		return -1;
	req->header_list = l;
	return 0;
}

/* Configure and add one easy handle; on failure the request completes at once
 * with a transport error. */
static int http_start(struct http_client *client, struct http_request *req)
{
	const struct http_options *o = &client->opt;
	CURL *e;

	buf_init(&req->body, o->body_limit);
	buf_free(&req->headers);
	buf_init(&req->headers, HTTP_HEADERS_MAX);
	req->outcome = HTTP_OUTCOME_TRANSPORT;
	req->status = 0;
	req->content_type[0] = '\0';
	req->detail[0] = '\0';
	req->errbuf[0] = '\0';
	req->body_overflow = 0;

	e = curl_easy_init();
	if (e == NULL)
		return -1;
	req->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o->max_redirects > 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirects);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->body_limit);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	if (req->head && req->post_body == NULL)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (o->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	if (req->accept != NULL && http_add_header(req, "Accept", req->accept) != 0)
		return -1;
	if (req->if_none_match != NULL &&
	    http_add_header(req, "If-None-Match", req->if_none_match) != 0)
		return -1;
	if (req->if_modified_since != NULL &&
	    http_add_header(req, "If-Modified-Since", req->if_modified_since) != 0)
		return -1;
	if (req->post_body != NULL) {
		if (http_add_header(req, "Content-Type",
		                    req->post_content_type ? req->post_content_type
		                                           : "application/octet-stream") != 0)
			return -1;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)req->post_body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->post_len);
	}
	if (req->header_list != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->header_list);
	if (curl_multi_add_handle(client->multi, e) != CURLM_OK)
		return -1;
	client->running++;
	return 0;
}

static enum http_outcome http_outcome_from_curl(CURLcode rc, const struct http_request *req)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_OUTCOME_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_OUTCOME_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return HTTP_OUTCOME_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_OUTCOME_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_OUTCOME_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		return req->body_overflow ? HTTP_OUTCOME_TOO_LARGE : HTTP_OUTCOME_TRANSPORT;
	case CURLE_TOO_MANY_REDIRECTS:
		return HTTP_OUTCOME_REDIRECTS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return HTTP_OUTCOME_TLS;
	default:
		return HTTP_OUTCOME_TRANSPORT;
	}
}

/* Hand a finished request to whoever waits for it: http_perform() or the
 * client's callback. */
static void http_complete(struct http_client *client, struct http_request *req)
{
	if (req->performing) {
		req->performing = 0;
		req->performed = 1;
	} else if (req->done != NULL) {
		req->done(req, req->user);
	} else if (client->done != NULL) {
		client->done(req, client->ctx);
	}
}

static void http_finish(struct http_client *client, CURL *e, CURLcode rc)
{
	struct http_request *req = NULL;
	const char *ct = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
	curl_multi_remove_handle(client->multi, e);
	client->running--;
	if (req == NULL) {
		curl_easy_cleanup(e);
		return;
	}
	req->outcome = http_outcome_from_curl(rc, req);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		snprintf(req->content_type, sizeof(req->content_type), "%s", ct);
	if (req->outcome == HTTP_OUTCOME_TOO_LARGE)
		snprintf(req->detail, sizeof(req->detail), "body larger than %zu bytes",
		         client->opt.body_limit);
	else if (req->outcome != HTTP_OUTCOME_OK)
		snprintf(req->detail, sizeof(req->detail), "%s",
		         req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc));
	curl_easy_cleanup(e);
	req->easy = NULL;
	curl_slist_free_all(req->header_list);
	req->header_list = NULL;
	http_complete(client, req);
}

/* Move queued requests into the multi handle while slots are free. */
static void http_fill(struct http_client *client)
{
	while (client->queue_head != NULL && client->running < client->opt.parallel) {
		struct http_request *req = client->queue_head;
		client->queue_head = req->queue_next;
		if (client->queue_head == NULL)
			client->queue_tail = NULL;
		client->queued--;
		if (http_start(client, req) != 0) {
			if (req->easy != NULL) {
				curl_easy_cleanup(req->easy);
				req->easy = NULL;
			}
			req->outcome = HTTP_OUTCOME_TRANSPORT;
			snprintf(req->detail, sizeof(req->detail), "could not start request");
			http_complete(client, req);
		}
	}
}

/* Start what is queued, let curl work, and complete what has finished
 * (their callbacks run here).  0, or -1 on an internal error. */
static int http_progress(struct http_client *client)
{
	int still = 0, pending;
	CURLMsg *msg;

	http_fill(client);
	if (curl_multi_perform(client->multi, &still) != CURLM_OK)
		return -1;
	while ((msg = curl_multi_info_read(client->multi, &pending)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			http_finish(client, msg->easy_handle, msg->data.result);
	}
	http_fill(client);
	return 0;
}

int http_client_step(struct http_client *client, int timeout_ms)
{
	if (http_progress(client) != 0)
		return -1;
	if (client->running > 0 && timeout_ms > 0) {
		if (curl_multi_poll(client->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
			return -1;
	}
	return (int)(client->running + client->queued);
}

int http_client_wait(struct http_client *client, struct curl_waitfd *extra,
                     unsigned int extra_count, int timeout_ms)
{
	unsigned int i;

	for (i = 0; i < extra_count; i++)
		extra[i].revents = 0;
	/* Handles just added have a zero timeout in curl, so this returns at
	 * once when there is work; otherwise it doubles as the caller's sleep. */
	if (timeout_ms > 0 &&
	    curl_multi_poll(client->multi, extra, extra_count, timeout_ms, NULL) != CURLM_OK)
		return -1;
	return 0;
}

int http_client_step_fds(struct http_client *client, struct curl_waitfd *extra,
                         unsigned int extra_count, int timeout_ms)
{
	if (http_progress(client) != 0 ||
	    http_client_wait(client, extra, extra_count, timeout_ms) != 0)
		return -1;
	return (int)(client->running + client->queued);
}

int http_perform(struct http_client *client, struct http_request *req)
{
	req->performing = 1;
	req->performed = 0;
	http_client_submit(client, req);
	while (!req->performed) {
		if (http_client_step(client, 1000) < 0) {
			log_error("http_internal_error", "reason=\"curl multi failed\"");
			return -1;
		}
	}
	return 0;
}

int http_client_run(struct http_client *client)
{
	int left;

	do {
		left = http_client_step(client, 1000);
		if (left < 0) {
			log_error("http_internal_error", "reason=\"curl multi failed\"");
			return -1;
		}
	} while (left > 0);
	return 0;
}

/*
 * http: the one place libcurl is called.
 *
 * A client owns one curl multi handle, so connections (keep-alive), DNS
 * answers and TLS sessions are shared by every request it runs.  Requests are
 * queued and at most `parallel` run at once; each one has a connect timeout, a
 * total timeout, a redirect limit and a body cap, always.  The outcome of a
 * request is an enum (http_outcome_name() gives its stable string), never an
 * HTTP status folded into an error code: the HTTP status is reported beside it.
 *
 * The client is driven either to completion (http_client_run) or one step at a
 * time from an event loop (http_client_step).
 */
#ifndef HOLDFAST_HTTP_H
#define HOLDFAST_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "util/buf.h"

#define HTTP_CONNECT_TIMEOUT_MS_DEFAULT 5000L
#define HTTP_TIMEOUT_MS_DEFAULT         15000L
#define HTTP_BODY_LIMIT_DEFAULT         (64 * 1024)
#define HTTP_MAX_REDIRECTS_DEFAULT      3L
#define HTTP_PARALLEL_DEFAULT           16
#define HTTP_CONTENT_TYPE_MAX           128
#define HTTP_DETAIL_MAX                 256
#define HTTP_HEADERS_MAX                (16 * 1024) /* response header bytes kept */

enum http_outcome {
	HTTP_OUTCOME_OK,        /* a complete response arrived (any status) */
	HTTP_OUTCOME_RESOLVE,   /* host name did not resolve */
	HTTP_OUTCOME_CONNECT,   /* connection refused or unreachable */
	HTTP_OUTCOME_TIMEOUT,   /* connect or total timeout */
	HTTP_OUTCOME_TOO_LARGE, /* body over the cap */
	HTTP_OUTCOME_REDIRECTS, /* more redirects than allowed */
	HTTP_OUTCOME_TLS,       /* TLS handshake or verification failed */
	HTTP_OUTCOME_TRANSPORT, /* anything else below HTTP */
	HTTP_OUTCOME_COUNT
};

const char *http_outcome_name(enum http_outcome outcome);

struct http_options {
	long connect_timeout_ms;
	long timeout_ms;
	size_t body_limit;
	long max_redirects;
	size_t parallel;
	const char *ca_file; /* extra trust for https peers, or NULL */
};

/* Fill opt with the defaults above. */
void http_options_default(struct http_options *opt);

struct http_request {
	/* set by the caller (http_request_init + fields) */
	char url[2048];
	const unsigned char *post_body; /* POST when non-NULL (not copied) */
	size_t post_len;
	const char *post_content_type;
	int head;           /* HEAD instead of GET (ignored for POST) */
	const char *accept; /* Accept header value (not copied), or NULL for curl's */
	/* Conditional GET (RFC 9110 13.1): a stored ETag and Last-Modified
	 * value (not copied), or NULL; a 304 answer then has an empty body. */
	const char *if_none_match;
	const char *if_modified_since;
	void *user;
	/* When set, called on completion instead of the client's callback, with
	 * user as its context: lets several modules share one client. */
	void (*done)(struct http_request *req, void *user);

	/* results, valid in the completion callback */
	enum http_outcome outcome;
	long status;                              /* HTTP status, 0 if none */
	char content_type[HTTP_CONTENT_TYPE_MAX]; /* "" if none */
	struct buf body;
	struct buf headers;           /* header lines of the final response */
	char detail[HTTP_DETAIL_MAX]; /* human reason when not OK */

	/* private */
	CURL *easy;
	struct curl_slist *header_list;
	int performing; /* http_perform() waits for this request */
	int performed;
	struct http_request *queue_next;
	int body_overflow;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_client;
typedef void (*http_done_fn)(struct http_request *req, void *ctx);

/* 1 when the Content-Type value ct names the media type type: the type
 * compared case-insensitively (RFC 9110 8.3.1), optional whitespace around
 * it, optional parameters after ';' (not checked).  0 otherwise, and for a
 * NULL or empty ct. */
int http_content_type_is(const char *ct, const char *type);

/* Prepare req for url; returns 0, or -1 when url does not fit. */
int http_request_init(struct http_request *req, const char *url);

/* Release what a finished request holds (body); the struct may be reused. */
void http_request_cleanup(struct http_request *req);

/* Value of response header name (case-insensitive; the last one if repeated)
 * into dst, trimmed.  Returns 0, or -1 when absent or too long for dst. */
int http_header_get(const struct http_request *req, const char *name, char *dst, size_t dstlen);

/* Submit req and run the client until req has completed (other requests
 * progress meanwhile).  For sequential protocol code.  Returns 0 or -1. */
int http_perform(struct http_client *client, struct http_request *req);

/* New client; NULL on failure.  done (may be NULL when only http_perform is
 * used, or every request sets its own) is called once per submitted request
 * when it finishes, and may submit further requests. */
struct http_client *http_client_new(const struct http_options *opt, http_done_fn done, void *ctx);
void http_client_free(struct http_client *client);

/* Queue req (not owned; must live until its completion callback). */
int http_client_submit(struct http_client *client, struct http_request *req);

/* Run until every submitted request has completed.  Returns 0 or -1. */
int http_client_run(struct http_client *client);

/* Make progress for at most timeout_ms; returns the number of requests still
 * queued or running, or -1 on an internal error. */
int http_client_step(struct http_client *client, int timeout_ms);

/* Like http_client_step, but the wait also ends when one of the extra
 * descriptors is ready (their revents are set, as curl_multi_poll does), and
 * it waits up to timeout_ms even when no request is running, so a caller can
 * drive other sockets (DNS) and timers from the same loop. */
int http_client_step_fds(struct http_client *client, struct curl_waitfd *extra,
                         unsigned int extra_count, int timeout_ms);

/* Only the wait of http_client_step_fds: up to timeout_ms, until a request's
 * socket or one of the extra descriptors is ready; no callback runs.  For a
 * caller whose timeout depends on what the callbacks did: step with 0 (the
 * callbacks run), compute the timeout, then wait.  0, or -1. */
int http_client_wait(struct http_client *client, struct curl_waitfd *extra,
                     unsigned int extra_count, int timeout_ms);

#endif

/*
 * ocsp/fetch: the one staple fetcher, for `holdfast staple` and the daemon.
 *
 * A fetch asks a certificate's OCSP responders in turn, on an asynchronous
 * HTTP client that others share (util/http: the CLI drives it with
 * http_client_run, the daemon with http_client_step), until one answer is
 * accepted.  When it ends the caller gets either that response (its DER, its
 * struct ocsp_verdict and the URL that gave it) or nothing, and in both cases
 * one struct ocsp_fetch_error (URL, enum staple_error, detail) for every
 * responder that failed, in the order they were asked.  Storing, deploying
 * and reporting stay with the caller (cli/staple.c, daemon/staples.c); every
 * decision on the way is made here, once for both:
 *
 * - who is asked: ocsp_responder_urls(), the certificate's AIA OCSP URLs,
 *   then the configured backups, without duplicates;
 * - how: ocsp_http_request_init(), GET URL/<percent-encoded base64> when the
 *   encoded request is under 255 bytes and the URL fits (RFC 5019 5), POST of
 *   the DER (application/ocsp-request) otherwise; a responder whose URL does
 *   not fit even for POST is a "transport" error ("URL too long");
 * - what is accepted: ocsp_fetch_judge(), a complete response, HTTP status
 *   200, Content-Type application/ocsp-response (http_content_type_is), a
 *   response ocsp_response_check() accepts, and staple_acceptable() (not
 *   older than the staple held; for a daemon, not already past its
 *   withdrawal time).
 *
 * The leaf is a cert_leaf (decoded without its public key) and the issuer is
 * borrowed (from the shared cacerts set), so a fetch decodes no certificate:
 * see cert.h and cacerts.h for what that saves.
 */
#ifndef HOLDFAST_OCSP_FETCH_H
#define HOLDFAST_OCSP_FETCH_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "ocsp/check.h"
#include "util/http.h"
#include "x509/cert.h"

#define OCSP_FETCH_URLS_MAX      (CERT_URLS_MAX + 8) /* AIA URLs and backups */
#define OCSP_RESPONSE_MEDIA_TYPE "application/ocsp-response"
#define OCSP_REQUEST_MEDIA_TYPE  "application/ocsp-request"

/* One responder that failed. */
struct ocsp_fetch_error {
	char *url;        /* owned by the result */
	size_t responder; /* its index in the URLs the fetch was given */
	enum staple_error error;
	char detail[HTTP_DETAIL_MAX];
};

/* What a fetch ends with.  The caller may take der, responder and errors
 * (NULLing them, and error_count = 0); ocsp_fetch_free() frees the rest. */
struct ocsp_fetch_result {
	unsigned char *der; /* the accepted response; NULL when none was */
	size_t der_len;
	struct ocsp_verdict verdict; /* of der */
	char *responder;             /* the URL that gave der */
	size_t responder_index;
	struct ocsp_fetch_error *errors; /* the responders that failed, in order */
	size_t error_count;
};

/* What to fetch and what to accept. */
struct ocsp_fetch_want {
	const struct cert_leaf *leaf;    /* borrowed until ocsp_fetch_free() */
	X509 *issuer;                    /* borrowed likewise */
	const struct ocsp_verdict *held; /* the staple in use (copied), or NULL */
	int until_withdrawal;            /* see staple_acceptable() */
};

struct ocsp_fetch;

/* Called once when a started fetch ends; may ocsp_fetch_free(f). */
typedef void (*ocsp_fetch_done_fn)(struct ocsp_fetch *f, void *user);

/* The responders to ask about leaf, in order: its AIA OCSP URLs, then
 * backups (backup_count of them), each once; at most max.  Each URL is
 * newly allocated into urls (ocsp_responder_urls_free).  Returns the count. */
size_t ocsp_responder_urls(const struct cert_leaf *leaf, char *const *backups, size_t backup_count,
                           char **urls, size_t max);
void ocsp_responder_urls_free(char **urls, size_t count);

/* Prepare req to ask url about the DER request (len bytes): GET when it
 * fits, else POST (req then points at request, which must outlive it).
 * Returns 0, or -1 when url is too long for req. */
int ocsp_http_request_init(struct http_request *req, const char *url, const unsigned char *request,
                           size_t len);

/* Judge one finished request answer at now for want: STAPLE_OK when its
 * response is accepted (v filled); otherwise the first rule it broke, with
 * the reason in detail.  Pure: no I/O, no clock. */
enum staple_error ocsp_fetch_judge(const struct http_request *answer,
                                   const struct ocsp_fetch_want *want, time_t now,
                                   struct ocsp_verdict *v, char *detail, size_t detail_len);

/* A fetch of want from urls (copied; url_count at most OCSP_FETCH_URLS_MAX),
 * not started; ocsp_fetch_free().  NULL when out of memory or the request
 * cannot be built. */
struct ocsp_fetch *ocsp_fetch_new(const struct ocsp_fetch_want *want, char *const *urls,
                                  size_t url_count);

/* Queue the first request on client.  0: done(f, user) will be called once,
 * from the client's run or step, when the fetch ends.  -1: no responder could
 * be asked (none given, or none usable: see the result's errors); done is
 * not called. */
int ocsp_fetch_start(struct ocsp_fetch *f, struct http_client *client, ocsp_fetch_done_fn done,
                     void *user);

/* The outcome, once done was called or start returned -1; borrowed from f. */
struct ocsp_fetch_result *ocsp_fetch_result(struct ocsp_fetch *f);

/* Free f and what is left of its result; a request in flight is abandoned
 * (only ever do that when the client is freed or done is running).  NULL is a
 * no-op. */
void ocsp_fetch_free(struct ocsp_fetch *f);

#endif

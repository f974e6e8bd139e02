/*
 * acme: RFC 8555 client flow.  See acme.h.
 *
 * Every request goes through acme_request(), which classifies the outcome
 * once: transport failures, 5xx and 429 are outages (failover material),
 * error documents are refusals, and badNonce is retried in acme_post() with
 * the fresh nonce the error response carries (RFC 8555 6.5).  Polling starts
 * fast (50 ms, doubling to 1 s) because a CA that does not ask for patience
 * usually answers within milliseconds; a Retry-After header always wins.
 */

#include "acme/protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "acme/jws.h"
#include "util/log.h"
#include "util/names.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define ACME_POLL_FIRST_MS 50
#define ACME_POLL_MAX_MS   1000
#define ACME_JOSE          "application/jose+json"

static const char *const acme_error_names[ACME_ERR_COUNT] = {
    [ACME_OK] = "ok",
    [ACME_ERR_RESOLVE] = "resolve",
    [ACME_ERR_CONNECT] = "connect",
    [ACME_ERR_TIMEOUT] = "timeout",
    [ACME_ERR_TLS] = "tls",
    [ACME_ERR_TRANSPORT] = "transport",
    [ACME_ERR_HTTP_5XX] = "http-5xx",
    [ACME_ERR_RATE_LIMITED] = "rate-limited",
    [ACME_ERR_BAD_NONCE] = "bad-nonce",
    [ACME_ERR_MALFORMED] = "malformed",
    [ACME_ERR_TOO_LARGE] = "too-large",
    [ACME_ERR_PROBLEM] = "acme-error",
    [ACME_ERR_ORDER_INVALID] = "order-invalid",
    [ACME_ERR_BAD_CHAIN] = "bad-chain",
    [ACME_ERR_CHALLENGE] = "challenge",
    [ACME_ERR_PROFILE] = "profile-not-offered",
    [ACME_ERR_LOCAL] = "local",
};

const char *acme_error_name(enum acme_error e)
{
	if ((unsigned)e >= ACME_ERR_COUNT)
		return "invalid";
	return acme_error_names[e];
}

int acme_error_is_outage(enum acme_error e)
{
	switch (e) {
	case ACME_ERR_RESOLVE:
	case ACME_ERR_CONNECT:
	case ACME_ERR_TIMEOUT:
	case ACME_ERR_TLS:
	case ACME_ERR_TRANSPORT:
	case ACME_ERR_HTTP_5XX:
	case ACME_ERR_RATE_LIMITED:
	case ACME_ERR_BAD_NONCE:
	case ACME_ERR_MALFORMED:
	case ACME_ERR_TOO_LARGE:
		return 1;
	default:
		return 0;
	}
}

/* acme_problem_classify(), also giving the error document's type. */
static enum acme_error problem_classify(long status, const unsigned char *body, size_t len,
                                        char *detail, size_t detail_len, char *type,
                                        size_t type_len)
{
	char text[200] = "";
	json_error_t jerr;
	json_t *doc;

	type[0] = '\0';
	/* An error document (RFC 7807) says why; anything else is raw. */
	doc = json_loadb((const char *)body, len, 0, &jerr);
	if (json_is_object(doc)) {
		const char *t = json_string_value(json_object_get(doc, "type"));
		const char *d = json_string_value(json_object_get(doc, "detail"));
		log_safe(type, type_len, t ? t : "");
		log_safe(text, sizeof(text), d ? d : "");
	}
	json_decref(doc);
	if (status == 400 && strstr(type, ":badNonce") != NULL) {
		snprintf(detail, detail_len, "badNonce");
		return ACME_ERR_BAD_NONCE;
	}
	if (status == 429 || strstr(type, ":rateLimited") != NULL) {
		snprintf(detail, detail_len, "HTTP %ld %s %s", status, type, text);
		return ACME_ERR_RATE_LIMITED;
	}
	if (status >= 500) {
		snprintf(detail, detail_len, "HTTP %ld %s", status, text);
		return ACME_ERR_HTTP_5XX;
	}
	snprintf(detail, detail_len, "HTTP %ld %s: %s", status,
	         type[0] ? type : "(no error document)", text);
	return ACME_ERR_PROBLEM;
}

enum acme_error acme_problem_classify(long status, const unsigned char *body, size_t len,
                                      char *detail, size_t detail_len)
{
	char type[160];

	return problem_classify(status, body, len, detail, detail_len, type, sizeof(type));
}

int acme_renewal_info_parse(const unsigned char *body, size_t len, time_t *start, time_t *end,
                            char *explanation, size_t explen)
{
	json_t *ri = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *win = json_object_get(ri, "suggestedWindow");
	const char *expl = json_string_value(json_object_get(ri, "explanationURL"));
	int rc = -1;

	if (explen > 0)
		explanation[0] = '\0';
	if (json_is_object(win) &&
	    time_parse_rfc3339(json_string_value(json_object_get(win, "start")), start) == 0 &&
	    time_parse_rfc3339(json_string_value(json_object_get(win, "end")), end) == 0 &&
	    *end >= *start) {
		if (expl != NULL && explen > 0)
			log_safe(explanation, explen, expl);
		rc = 0;
	}
	json_decref(ri);
	return rc;
}

static enum acme_error acme_fail(struct acme_session *s, enum acme_error e, const char *url,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum acme_error acme_fail(struct acme_session *s, enum acme_error e, const char *url,
                                 const char *fmt, ...)
{
	va_list ap;

	s->error = e;
	snprintf(s->url, sizeof(s->url), "%s", url ? url : "");
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	return e;
}

int acme_session_init(struct acme_session *s, const struct conf_ca *ca, long connect_timeout_s,
                      long timeout_s)
{
	struct http_options opt;

	memset(s, 0, sizeof(*s));
	http_options_default(&opt);
	opt.connect_timeout_ms = connect_timeout_s * 1000;
	opt.timeout_ms = timeout_s * 1000;
	opt.body_limit = ACME_BODY_MAX;
	opt.parallel = 2;
	opt.ca_file = ca->ca_bundle;
	s->ca_name = ca->name;
	s->directory_url = ca->directory;
	s->http = http_client_new(&opt, NULL, NULL);
	return s->http ? 0 : -1;
}

void acme_session_cleanup(struct acme_session *s)
{
	http_client_free(s->http);
	json_decref(s->directory);
	s->http = NULL;
	s->directory = NULL;
}

/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static time_t parse_retry_after(const char *v, time_t now)
{
	char *end = NULL;
	long n;
	time_t t;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == 0 && end != v && *end == '\0' && n >= 0)
		return now + (n > 86400 ? 86400 : n);
	t = curl_getdate(v, NULL);
	return t > 0 ? t : 0;
}

/* Perform req and classify the answer; on 2xx with json_out, parse the body
 * as a JSON object into *json_out (new reference). */
static enum acme_error acme_request(struct acme_session *s, struct http_request *req,
                                    json_t **json_out)
{
	char hdr[256], detail[400] = "";
	json_t *doc = NULL;
	json_error_t jerr;

	if (json_out != NULL)
		*json_out = NULL;
	s->retry_after = 0;
	s->status = 0;
	s->problem[0] = '\0';
	if (http_perform(s->http, req) != 0)
		return acme_fail(s, ACME_ERR_LOCAL, req->url, "HTTP client failure");
	switch (req->outcome) {
	case HTTP_OUTCOME_OK:
		break;
	case HTTP_OUTCOME_RESOLVE:
		return acme_fail(s, ACME_ERR_RESOLVE, req->url, "%s", req->detail);
	case HTTP_OUTCOME_CONNECT:
		return acme_fail(s, ACME_ERR_CONNECT, req->url, "%s", req->detail);
	case HTTP_OUTCOME_TIMEOUT:
		return acme_fail(s, ACME_ERR_TIMEOUT, req->url, "%s", req->detail);
	case HTTP_OUTCOME_TLS:
		return acme_fail(s, ACME_ERR_TLS, req->url, "%s", req->detail);
	case HTTP_OUTCOME_TOO_LARGE:
		return acme_fail(s, ACME_ERR_TOO_LARGE, req->url, "%s", req->detail);
	default:
		return acme_fail(s, ACME_ERR_TRANSPORT, req->url, "%s: %s",
		                 http_outcome_name(req->outcome), req->detail);
	}
	if (http_header_get(req, "Replay-Nonce", hdr, sizeof(hdr)) == 0)
		snprintf(s->nonce, sizeof(s->nonce), "%s", hdr);
	if (http_header_get(req, "Retry-After", hdr, sizeof(hdr)) == 0)
		s->retry_after = parse_retry_after(hdr, time(NULL));

	if (req->status >= 400) {
		enum acme_error e =
		    problem_classify(req->status, req->body.data, req->body.len, detail,
		                     sizeof(detail), s->problem, sizeof(s->problem));
		s->status = req->status;
		return acme_fail(s, e, req->url, "%s", detail);
	}
	if (req->status < 200 || req->status >= 300) {
		s->status = req->status;
		return acme_fail(s, ACME_ERR_MALFORMED, req->url, "unexpected HTTP status %ld",
		                 req->status);
	}
	if (json_out != NULL) {
		doc = json_loadb((const char *)req->body.data, req->body.len,
		                 JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(doc)) {
			json_decref(doc);
			return acme_fail(s, ACME_ERR_MALFORMED, req->url,
			                 "response is not a JSON object (line %d: %s)", jerr.line,
			                 jerr.text);
		}
		*json_out = doc;
	}
	s->error = ACME_OK;
	return ACME_OK;
}

enum acme_error acme_directory_load(struct acme_session *s)
{
	static const char *const required[] = {"newNonce", "newAccount", "newOrder"};
	struct http_request req;
	json_t *dir = NULL;
	enum acme_error e;
	size_t i;

	if (http_request_init(&req, s->directory_url) != 0)
		return acme_fail(s, ACME_ERR_LOCAL, s->directory_url, "URL too long");
	e = acme_request(s, &req, &dir);
	http_request_cleanup(&req);
	if (e != ACME_OK)
		return e;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *u = json_string_value(json_object_get(dir, required[i]));
		if (u == NULL ||
		    (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)) {
			json_decref(dir);
			return acme_fail(s, ACME_ERR_MALFORMED, s->directory_url,
			                 "directory has no valid \"%s\" URL", required[i]);
		}
	}
	json_decref(s->directory);
	s->directory = dir;
	return ACME_OK;
}

const char *acme_directory_url(const struct acme_session *s, const char *key)
{
	return s->directory ? json_string_value(json_object_get(s->directory, key)) : NULL;
}

enum acme_error acme_nonce_new(struct acme_session *s)
{
	const char *url = acme_directory_url(s, "newNonce");
	struct http_request req;
	enum acme_error e;

	if (url == NULL || http_request_init(&req, url) != 0)
		return acme_fail(s, ACME_ERR_MALFORMED, url, "no newNonce URL");
	req.head = 1;
	s->nonce[0] = '\0';
	e = acme_request(s, &req, NULL);
	http_request_cleanup(&req);
	if (e == ACME_OK && s->nonce[0] == '\0')
		return acme_fail(s, ACME_ERR_MALFORMED, url, "no Replay-Nonce header");
	return e;
}

/* Signed POST (payload NULL: POST-as-GET).  req is left for the caller to
 * read headers/body from and to clean up. */
static enum acme_error acme_post(struct acme_session *s, const char *url, const char *payload,
                                 int use_jwk, struct http_request *req, json_t **json_out)
{
	enum acme_error e;
	char *jws = NULL;
	int attempt;

	for (attempt = 0;; attempt++) {
		if (s->nonce[0] == '\0' && (e = acme_nonce_new(s)) != ACME_OK)
			return e;
		jws = jws_sign_new(s->account_key, use_jwk ? NULL : s->kid, s->nonce, url,
		                   payload ? payload : "");
		s->nonce[0] = '\0'; /* each nonce is good for one request */
		if (jws == NULL)
			return acme_fail(s, ACME_ERR_LOCAL, url, "cannot sign the request");
		if (http_request_init(req, url) != 0) {
			free(jws);
			return acme_fail(s, ACME_ERR_LOCAL, url, "URL too long");
		}
		req->post_body = (const unsigned char *)jws;
		req->post_len = strlen(jws);
		req->post_content_type = ACME_JOSE;
		e = acme_request(s, req, json_out);
		req->post_body = NULL;
		free(jws);
		if (e != ACME_ERR_BAD_NONCE || attempt >= ACME_BAD_NONCE_RETRIES)
			return e;
		s->nonce_retries++;
		log_debug("acme_bad_nonce", "ca=%s url=\"%s\" retry=%d", s->ca_name, url,
		          attempt + 1);
		http_request_cleanup(req);
	}
}

/* POST-as-GET returning JSON; req cleaned up here. */
static enum acme_error acme_get_json(struct acme_session *s, const char *url, json_t **out)
{
	struct http_request req;
	enum acme_error e = acme_post(s, url, NULL, 0, &req, out);

	http_request_cleanup(&req);
	return e;
}

enum acme_error acme_account_ensure(struct acme_session *s, const char *eab_kid,
                                    const char *eab_key)
{
	const char *url = acme_directory_url(s, "newAccount");
	struct http_request req;
	json_t *payload = NULL, *acct = NULL;
	char *text = NULL, loc[1024];
	enum acme_error e;

	if (jwk_thumbprint(s->account_key, s->thumbprint, sizeof(s->thumbprint)) != 0)
		return acme_fail(s, ACME_ERR_LOCAL, url, "cannot compute the key thumbprint");
	if (s->kid[0] != '\0')
		return ACME_OK;
	payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (payload != NULL && eab_kid != NULL && eab_key != NULL) {
		json_t *eab = jws_eab_new(eab_kid, eab_key, s->account_key, url);
		if (eab == NULL) {
			json_decref(payload);
			return acme_fail(s, ACME_ERR_LOCAL, url,
			                 "cannot build the external account binding");
		}
		json_object_set_new(payload, "externalAccountBinding", eab);
	}
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (text == NULL)
		return acme_fail(s, ACME_ERR_LOCAL, url, "out of memory");
	e = acme_post(s, url, text, 1, &req, &acct);
	free(text);
	if (e == ACME_OK) {
		if (http_header_get(&req, "Location", loc, sizeof(loc)) != 0)
			e = acme_fail(s, ACME_ERR_MALFORMED, url,
			              "newAccount answer has no Location");
		else if (!json_is_string(json_object_get(acct, "status")) ||
		         strcmp(json_string_value(json_object_get(acct, "status")), "valid") != 0)
			e = acme_fail(s, ACME_ERR_PROBLEM, url, "account is not valid");
		else
			snprintf(s->kid, sizeof(s->kid), "%s", loc);
	}
	json_decref(acct);
	http_request_cleanup(&req);
	return e;
}

static const char *json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

enum acme_error acme_account_fetch(struct acme_session *s, char *status, size_t statuslen)
{
	json_t *acct = NULL;
	enum acme_error e;

	if (statuslen > 0)
		status[0] = '\0';
	if (s->kid[0] == '\0')
		return acme_fail(s, ACME_ERR_LOCAL, s->directory_url, "no account URL to fetch");
	e = acme_get_json(s, s->kid, &acct);
	if (e == ACME_OK) {
		if (json_str(acct, "status") == NULL)
			e = acme_fail(s, ACME_ERR_MALFORMED, s->kid, "account without status");
		else
			log_safe(status, statuslen, json_str(acct, "status"));
	}
	json_decref(acct);
	return e;
}

/* Sleep for the server's Retry-After (capped) or the current backoff. */
static void acme_poll_wait(struct acme_session *s, long *delay_ms)
{
	struct timespec ts;
	long ms = *delay_ms;
	time_t now = time(NULL);

	if (s->retry_after > now) {
		long secs = (long)(s->retry_after - now);
		ms = (secs > ACME_RETRY_AFTER_MAX ? ACME_RETRY_AFTER_MAX : secs) * 1000;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	*delay_ms = *delay_ms * 2 > ACME_POLL_MAX_MS ? ACME_POLL_MAX_MS : *delay_ms * 2;
}

/* POST-as-GET url until its "status" is no longer pending/processing (or
 * ready, when stop_at_ready).  *out receives the final object. */
static enum acme_error acme_poll(struct acme_session *s, const char *url, json_t **out)
{
	time_t deadline = time(NULL) + ACME_POLL_DEADLINE;
	long delay = ACME_POLL_FIRST_MS;
	enum acme_error e;
	json_t *obj = NULL;

	*out = NULL;
	for (;;) {
		const char *st;
		e = acme_get_json(s, url, &obj);
		if (e != ACME_OK)
			return e;
		st = json_str(obj, "status");
		if (st == NULL) {
			json_decref(obj);
			return acme_fail(s, ACME_ERR_MALFORMED, url, "object without status");
		}
		if (strcmp(st, "pending") != 0 && strcmp(st, "processing") != 0) {
			*out = obj;
			return ACME_OK;
		}
		json_decref(obj);
		obj = NULL;
		if (time(NULL) >= deadline)
			return acme_fail(s, ACME_ERR_TIMEOUT, url, "still %s after %d s", st,
			                 ACME_POLL_DEADLINE);
		acme_poll_wait(s, &delay);
	}
}

/* The reason an authorization failed, from its challenges' error documents. */
static void authz_failure_detail(json_t *authz, char *dst, size_t dstlen)
{
	json_t *chs = json_object_get(authz, "challenges"), *ch;
	size_t i;

	snprintf(dst, dstlen, "authorization %s",
	         json_str(authz, "status") ? json_str(authz, "status") : "?");
	json_array_foreach(chs, i, ch)
	{
		json_t *err = json_object_get(ch, "error");
		if (json_is_object(err)) {
			char safe[256];
			snprintf(dst, dstlen, "%s challenge failed: %s",
			         json_str(ch, "type") ? json_str(ch, "type") : "?",
			         log_safe(safe, sizeof(safe),
			                  json_str(err, "detail") ? json_str(err, "detail") : "?"));
			return;
		}
	}
}

static enum acme_error acme_authorize(struct acme_session *s, const char *authz_url,
                                      const struct acme_challenge_ops *ops)
{
	json_t *authz = NULL, *chs, *ch, *chosen = NULL, *done = NULL, *resp = NULL;
	const char *status, *name, *token, *ch_url;
	char *keyauth = NULL, *dns_value = NULL, detail[400];
	unsigned char md[32];
	enum acme_error e;
	size_t i, n;
	int published = 0;

	e = acme_get_json(s, authz_url, &authz);
	if (e != ACME_OK)
		return e;
	status = json_str(authz, "status");
	name = json_str(json_object_get(authz, "identifier"), "value");
	if (status == NULL || name == NULL) {
		e = acme_fail(s, ACME_ERR_MALFORMED, authz_url,
		              "authorization without status or identifier");
		goto out;
	}
	if (strcmp(status, "valid") == 0)
		goto out;
	if (strcmp(status, "pending") != 0) {
		authz_failure_detail(authz, detail, sizeof(detail));
		e = acme_fail(s, ACME_ERR_ORDER_INVALID, authz_url, "%s: %s", name, detail);
		goto out;
	}
	chs = json_object_get(authz, "challenges");
	json_array_foreach(chs, i, ch)
	{
		if (json_str(ch, "type") && strcmp(json_str(ch, "type"), ops->type) == 0)
			chosen = ch;
	}
	token = chosen ? json_str(chosen, "token") : NULL;
	ch_url = chosen ? json_str(chosen, "url") : NULL;
	if (token == NULL || ch_url == NULL ||
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	        strlen(token) ||
	    strlen(token) > 128) {
		e = acme_fail(s, ACME_ERR_CHALLENGE, authz_url, "%s: no usable %s challenge", name,
		              ops->type);
		goto out;
	}
	n = strlen(token) + 1 + strlen(s->thumbprint) + 1;
	keyauth = malloc(n);
	if (keyauth == NULL ||
	    snprintf(keyauth, n, "%s.%s", token, s->thumbprint) != (int)(n - 1)) {
		e = acme_fail(s, ACME_ERR_LOCAL, authz_url, "out of memory");
		goto out;
	}
	if (EVP_Digest(keyauth, strlen(keyauth), md, NULL, EVP_sha256(), NULL) != 1 ||
	    (dns_value = b64url_new(md, sizeof(md))) == NULL) {
		e = acme_fail(s, ACME_ERR_LOCAL, authz_url, "cannot hash the key authorization");
		goto out;
	}
	if (ops->publish(ops->ctx, ops->type, name, token, keyauth, dns_value) != 0) {
		e = acme_fail(s, ACME_ERR_CHALLENGE, authz_url,
		              "%s: cannot publish the %s response", name, ops->type);
		goto out;
	}
	published = 1;
	{
		struct http_request req;
		e = acme_post(s, ch_url, "{}", 0, &req, &resp);
		http_request_cleanup(&req);
		json_decref(resp);
		if (e != ACME_OK)
			goto out;
	}
	e = acme_poll(s, authz_url, &done);
	if (e != ACME_OK)
		goto out;
	if (strcmp(json_str(done, "status"), "valid") != 0) {
		authz_failure_detail(done, detail, sizeof(detail));
		e = acme_fail(s, ACME_ERR_ORDER_INVALID, authz_url, "%s: %s", name, detail);
	}
out:
	if (published)
		ops->withdraw(ops->ctx, ops->type, name, token, dns_value);
	free(keyauth);
	free(dns_value);
	json_decref(done);
	json_decref(authz);
	return e;
}

/* The chain must parse, start with a certificate for cert_key that covers
 * every name, and link each certificate to the next. */
static enum acme_error acme_chain_check(struct acme_session *s, const char *url, const char *pem,
                                        size_t len, EVP_PKEY *cert_key, char *const *names,
                                        size_t count)
{
	char err[128];
	STACK_OF(X509) *chain =
	    cert_chain_from_pem((const unsigned char *)pem, len, err, sizeof(err));
	enum acme_error e = ACME_OK;
	X509 *leaf;
	int i;
	size_t j;

	if (chain == NULL)
		return acme_fail(s, ACME_ERR_BAD_CHAIN, url, "certificate chain: %s", err);
	leaf = sk_X509_value(chain, 0);
	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), cert_key) != 1) {
		e = acme_fail(s, ACME_ERR_BAD_CHAIN, url, "certificate is not for our key");
		goto out;
	}
	for (j = 0; j < count; j++) {
		if ((host_is_ip(names[j])
		         ? X509_check_ip_asc(leaf, names[j], 0)
		         : X509_check_host(leaf, names[j], 0, X509_CHECK_FLAG_NO_WILDCARDS,
		                           NULL)) != 1) {
			e = acme_fail(s, ACME_ERR_BAD_CHAIN, url, "certificate does not cover %s",
			              names[j]);
			goto out;
		}
	}
	if (sk_X509_num(chain) < 2) {
		e = acme_fail(s, ACME_ERR_BAD_CHAIN, url, "chain truncated: no issuer certificate");
		goto out;
	}
	for (i = 0; i + 1 < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
		if (X509_check_issued(issuer, c) != X509_V_OK ||
		    X509_verify(c, X509_get0_pubkey(issuer)) != 1) {
			e = acme_fail(s, ACME_ERR_BAD_CHAIN, url, "chain broken at certificate %d",
			              i + 1);
			goto out;
		}
	}
out:
	sk_X509_pop_free(chain, X509_free);
	return e;
}

enum acme_error acme_order_issue(struct acme_session *s, char *const *names, size_t count,
                                 EVP_PKEY *cert_key, int must_staple, const char *replaces,
                                 const char *profile, const struct acme_challenge_ops *ops,
                                 char **chain_pem)
{
	const char *new_order = acme_directory_url(s, "newOrder");
	json_t *payload = NULL, *ids, *order = NULL, *authzs, *a, *fin = NULL;
	struct http_request req;
	char order_url[1024], *text = NULL, *csr_b64 = NULL;
	const char *finalize, *cert_url;
	unsigned char *csr = NULL;
	size_t csr_len = 0, i;
	enum acme_error e;

	*chain_pem = NULL;
	memset(&req, 0, sizeof(req));
	ids = json_array();
	for (i = 0; i < count; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		                                     host_is_ip(names[i]) ? "ip" : "dns", "value",
		                                     names[i]));
	payload = json_pack("{s:o}", "identifiers", ids);
	if (payload != NULL && replaces != NULL)
		json_object_set_new(payload, "replaces", json_string(replaces));
	if (payload != NULL && profile != NULL)
		json_object_set_new(payload, "profile", json_string(profile));
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (text == NULL)
		return acme_fail(s, ACME_ERR_LOCAL, new_order, "out of memory");
	e = acme_post(s, new_order, text, 0, &req, &order);
	free(text);
	if (e == ACME_OK && http_header_get(&req, "Location", order_url, sizeof(order_url)) != 0)
		e = acme_fail(s, ACME_ERR_MALFORMED, new_order, "newOrder answer has no Location");
	http_request_cleanup(&req);
	if (e != ACME_OK)
		goto out;

	authzs = json_object_get(order, "authorizations");
	if (!json_is_array(authzs) || json_array_size(authzs) == 0) {
		e = acme_fail(s, ACME_ERR_MALFORMED, order_url, "order without authorizations");
		goto out;
	}
	json_array_foreach(authzs, i, a)
	{
		if (!json_is_string(a)) {
			e = acme_fail(s, ACME_ERR_MALFORMED, order_url,
			              "authorization is not a URL");
			goto out;
		}
		e = acme_authorize(s, json_string_value(a), ops);
		if (e != ACME_OK)
			goto out;
	}
	json_decref(order);
	order = NULL;
	e = acme_poll(s, order_url, &order);
	if (e != ACME_OK)
		goto out;
	if (strcmp(json_str(order, "status"), "ready") != 0 &&
	    strcmp(json_str(order, "status"), "valid") != 0) {
		e = acme_fail(s, ACME_ERR_ORDER_INVALID, order_url, "order is %s",
		              json_str(order, "status"));
		goto out;
	}
	if (strcmp(json_str(order, "status"), "ready") == 0) {
		finalize = json_str(order, "finalize");
		if (finalize == NULL) {
			e = acme_fail(s, ACME_ERR_MALFORMED, order_url,
			              "order without finalize URL");
			goto out;
		}
		if (csr_der_new(cert_key, names, count, must_staple, &csr, &csr_len) != 0 ||
		    (csr_b64 = b64url_new(csr, csr_len)) == NULL) {
			e = acme_fail(s, ACME_ERR_LOCAL, finalize, "cannot build the CSR");
			goto out;
		}
		payload = json_pack("{s:s}", "csr", csr_b64);
		text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
		json_decref(payload);
		e = text ? acme_post(s, finalize, text, 0, &req, &fin) : ACME_ERR_LOCAL;
		free(text);
		http_request_cleanup(&req);
		json_decref(fin);
		if (e != ACME_OK)
			goto out;
		json_decref(order);
		order = NULL;
		e = acme_poll(s, order_url, &order);
		if (e != ACME_OK)
			goto out;
	}
	if (strcmp(json_str(order, "status"), "valid") != 0) {
		e = acme_fail(s, ACME_ERR_ORDER_INVALID, order_url, "order is %s after finalize",
		              json_str(order, "status"));
		goto out;
	}
	cert_url = json_str(order, "certificate");
	if (cert_url == NULL) {
		e = acme_fail(s, ACME_ERR_MALFORMED, order_url,
		              "valid order without certificate URL");
		goto out;
	}
	e = acme_post(s, cert_url, NULL, 0, &req, NULL);
	if (e == ACME_OK)
		e = acme_chain_check(s, cert_url, (const char *)req.body.data, req.body.len,
		                     cert_key, names, count);
	if (e == ACME_OK) {
		*chain_pem = strndup((const char *)req.body.data, req.body.len);
		if (*chain_pem == NULL)
			e = acme_fail(s, ACME_ERR_LOCAL, cert_url, "out of memory");
	}
	http_request_cleanup(&req);
out:
	free(csr);
	free(csr_b64);
	json_decref(order);
	return e;
}

enum acme_error acme_revoke(struct acme_session *s, const unsigned char *der, size_t len,
                            int reason)
{
	const char *url = acme_directory_url(s, "revokeCert");
	struct http_request req;
	json_t *payload;
	char *b64 = NULL, *text = NULL;
	enum acme_error e;

	if (url == NULL)
		return acme_fail(s, ACME_ERR_MALFORMED, s->directory_url,
		                 "directory has no revokeCert");
	b64 = b64url_new(der, len);
	payload = b64 ? json_pack("{s:s, s:i}", "certificate", b64, "reason", reason) : NULL;
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	free(b64);
	if (text == NULL)
		return acme_fail(s, ACME_ERR_LOCAL, url, "out of memory");
	e = acme_post(s, url, text, 0, &req, NULL);
	free(text);
	http_request_cleanup(&req);
	return e;
}

enum acme_error acme_renewal_info(struct acme_session *s, const char *cert_id, time_t *window_start,
                                  time_t *window_end, time_t *retry_after, char *explanation,
                                  size_t explen)
{
	const char *base = acme_directory_url(s, "renewalInfo");
	struct http_request req;
	char url[2048];
	enum acme_error e;
	int n;

	*retry_after = 0;
	if (explen > 0)
		explanation[0] = '\0';
	if (base == NULL)
		return acme_fail(s, ACME_ERR_MALFORMED, s->directory_url, "no renewalInfo");
	n = snprintf(url, sizeof(url), "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/",
	             cert_id);
	if (n < 0 || (size_t)n >= sizeof(url) || http_request_init(&req, url) != 0)
		return acme_fail(s, ACME_ERR_LOCAL, base, "URL too long");
	e = acme_request(s, &req, NULL);
	if (e == ACME_OK && acme_renewal_info_parse(req.body.data, req.body.len, window_start,
	                                            window_end, explanation, explen) != 0)
		e = acme_fail(s, ACME_ERR_MALFORMED, url,
		              "renewalInfo without a valid suggestedWindow");
	http_request_cleanup(&req);
	if (e != ACME_OK)
		return e;
	*retry_after = s->retry_after;
	return ACME_OK;
}

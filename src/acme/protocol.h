/*
 * acme: the RFC 8555 protocol against one CA endpoint, as plain sequential
 * code (one session per thread).  It knows nothing about configuration files
 * or failover: src/cli/issue.c decides which endpoint to use and when.
 *
 * Implemented: directory (7.1.1), nonces with badNonce retry (6.5, 6.7),
 * accounts with optional external account binding (7.3, 7.3.4), orders with
 * the ARI "replaces" field (7.4, RFC 9773 5), authorizations and http-01 /
 * dns-01 challenges (7.5, 8.3, 8.4), finalization with a CSR and polling that
 * honours Retry-After (7.4), certificate download (7.4.2) and revocation
 * (7.6).  Every outcome is an enum acme_error with a stable name; when it is
 * not ACME_OK, the session's detail and url say what failed where.
 */
#ifndef HOLDFAST_ACME_H
#define HOLDFAST_ACME_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "conf/conf.h"
#include "util/http.h"

#define ACME_BODY_MAX          (256 * 1024) /* a long chain is ~10 KiB */
#define ACME_BAD_NONCE_RETRIES 10
#define ACME_POLL_DEADLINE     300 /* seconds an order may take to become valid */
#define ACME_RETRY_AFTER_MAX   60

enum acme_error {
	ACME_OK,
	ACME_ERR_RESOLVE,
	ACME_ERR_CONNECT,
	ACME_ERR_TIMEOUT,
	ACME_ERR_TLS,
	ACME_ERR_TRANSPORT,
	ACME_ERR_HTTP_5XX,
	ACME_ERR_RATE_LIMITED,
	ACME_ERR_BAD_NONCE,
	ACME_ERR_MALFORMED,
	ACME_ERR_TOO_LARGE,
	ACME_ERR_PROBLEM,       /* the server refused with an error document */
	ACME_ERR_ORDER_INVALID, /* an authorization or the order became invalid */
	ACME_ERR_BAD_CHAIN,     /* downloaded chain does not match or is truncated */
	ACME_ERR_CHALLENGE,     /* no usable challenge, or the local responder failed */
	ACME_ERR_PROFILE,       /* the CA does not offer the required profile */
	ACME_ERR_LOCAL,         /* memory, crypto, files */
	ACME_ERR_COUNT
};

const char *acme_error_name(enum acme_error e);

/* 1 when e means the endpoint itself is unavailable or misbehaving (the
 * circuit breaker opens), 0 when the request was refused on its merits. */
int acme_error_is_outage(enum acme_error e);

/* How challenges are published; set up by the caller. */
struct acme_challenge_ops {
	/* http-01: publish keyauth at /.well-known/acme-challenge/token.
	 * dns-01: publish value at _acme-challenge.name.  Return 0 or -1. */
	int (*publish)(void *ctx, const char *type, const char *name, const char *token,
	               const char *keyauth, const char *dns_value);
	void (*withdraw)(void *ctx, const char *type, const char *name, const char *token,
	                 const char *dns_value);
	void *ctx;
	const char *type; /* "http-01" or "dns-01" */
};

struct acme_session {
	const char *ca_name;
	const char *directory_url;
	struct http_client *http;
	json_t *directory;
	char nonce[256];
	EVP_PKEY *account_key; /* borrowed */
	char kid[1024];        /* account URL once known */
	char thumbprint[96];
	enum acme_error error;
	char detail[512];
	char url[1024];     /* the URL of the failing request */
	long status;        /* HTTP status of the failing answer, 0 when none */
	char problem[160];  /* its error document's type (RFC 7807), "" when none */
	time_t retry_after; /* from the last 429/503, 0 if none */
	int nonce_retries;  /* badNonce retries done (for tests/metrics) */
};

/* Set up a session for one endpoint.  0 or -1 (out of memory). */
int acme_session_init(struct acme_session *s, const struct conf_ca *ca, long connect_timeout_s,
                      long timeout_s);
void acme_session_cleanup(struct acme_session *s);

/* Fetch and check the directory.  Returns s->error. */
enum acme_error acme_directory_load(struct acme_session *s);

/* URL of a directory entry ("newOrder", "renewalInfo"...) or NULL. */
const char *acme_directory_url(const struct acme_session *s, const char *key);

/* A fresh nonce from newNonce (HEAD, RFC 8555 7.2) into s->nonce.  Returns
 * s->error; a 2xx without Replay-Nonce is ACME_ERR_MALFORMED. */
enum acme_error acme_nonce_new(struct acme_session *s);

/* Fetch the account at s->kid with a POST-as-GET (RFC 8555 7.3.2, 6.3) and
 * copy its "status" ("valid", "deactivated", "revoked") into status.
 * Returns s->error; a refusal (a deactivated account's "unauthorized",
 * "accountDoesNotExist") is ACME_ERR_PROBLEM with s->problem set. */
enum acme_error acme_account_fetch(struct acme_session *s, char *status, size_t statuslen);

/* Find or create the account for s->account_key (kid set on success).  With
 * eab_kid/eab_key (may be NULL), binds it to an external account. */
enum acme_error acme_account_ensure(struct acme_session *s, const char *eab_kid,
                                    const char *eab_key);

/* Order, authorize, finalize and download a certificate for names with
 * cert_key.  replaces is the ARI certID of the predecessor or NULL; profile
 * the newOrder's "profile" (acme/profile.h) or NULL.  On success *chain_pem
 * is the PEM chain (new, free()). */
enum acme_error acme_order_issue(struct acme_session *s, char *const *names, size_t count,
                                 EVP_PKEY *cert_key, int must_staple, const char *replaces,
                                 const char *profile, const struct acme_challenge_ops *ops,
                                 char **chain_pem);

/* Revoke (RFC 8555 7.6) a DER certificate with the account key. */
enum acme_error acme_revoke(struct acme_session *s, const unsigned char *der, size_t len,
                            int reason);

/* GET renewalInfo for cert_id (RFC 9773 4.2).  On success *window_start,
 * *window_end and *retry_after (0 if absent) are set. */
enum acme_error acme_renewal_info(struct acme_session *s, const char *cert_id, time_t *window_start,
                                  time_t *window_end, time_t *retry_after, char *explanation,
                                  size_t explen);

/* Classify an error answer (HTTP status >= 400, RFC 7807 body); writes a
 * sanitised reason into detail.  Pure. */
enum acme_error acme_problem_classify(long status, const unsigned char *body, size_t len,
                                      char *detail, size_t detail_len);

/* Parse a renewalInfo body (RFC 9773 4.2).  0, or -1 when it has no valid
 * suggestedWindow.  Pure. */
int acme_renewal_info_parse(const unsigned char *body, size_t len, time_t *start, time_t *end,
                            char *explanation, size_t explen);

#endif

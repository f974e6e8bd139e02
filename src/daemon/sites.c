/*
 * daemon/sites: loading a certificate from the store (no network), deploying it and
 * checking the deploy on the wire.  A site pins the store version it loaded
 * (store_version_open), so the leaf it checked at load and the files it
 * deploys later come from one issuance.
 */

#include <errno.h>
#include <limits.h>

#include "daemon/internal.h"
#include "deploy/deploy.h"
#include "ocsp/responder.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "x509/cacerts.h"

double jitter(void)
{
	return (double)arc4random_uniform(1000000) / 1e6;
}

void message_set(char **dst, size_t max, const char *fmt, ...)
{
	char msg[ISSUE_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (max < sizeof(msg))
		msg[max - 1] = '\0';
	free(*dst);
	*dst = strdup(msg);
}

void message_clear(char **dst)
{
	free(*dst);
	*dst = NULL;
}

void responders_free(struct responder *r, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(r[i].url);
	free(r);
}

/* Forget the loaded certificate and its staple (not the counters, the
 * errors or a fetch in flight, which checks the generation). */
void site_unload(struct site *s)
{
	s->have = 0;
	s->placeholder = 0;
	s->generation++;
	store_version_free(s->version);
	free(s->leaf);
	s->version = NULL;
	s->leaf = NULL;
	s->leaf_len = 0;
	s->issuer_cert = NULL;
	s->not_before = s->not_after = s->renew_at = 0;
	responders_free(s->responders, s->responder_count);
	s->responders = NULL;
	s->responder_count = 0;
	free(s->staple);
	s->staple = NULL;
	s->staple_len = 0;
	s->staple_ok = 0;
}

/* 1 when pem (len bytes) holds an unencrypted PEM private key. */
static int key_pem_ok(const char *pem, size_t len)
{
	static const char *const begin[] = {"-----BEGIN PRIVATE KEY-----",
	                                    "-----BEGIN EC PRIVATE KEY-----",
	                                    "-----BEGIN RSA PRIVATE KEY-----"};
	size_t i;

	for (i = 0; i < sizeof(begin) / sizeof(begin[0]); i++)
		if (memmem(pem, len, begin[i], strlen(begin[i])) != NULL)
			return 1;
	return 0;
}

/* The responders of leaf and the configured backups, in the order and with
 * the deduplication of ocsp_responder_urls() (the CLI's list); failure counts
 * of URLs the site had before carry over.  Fills s->responders. */
static void site_responders_set(struct site *s, const struct cert_leaf *leaf, struct responder *old,
                                size_t old_count)
{
	char *urls[OCSP_FETCH_URLS_MAX];
	size_t n, i, k;

	n = ocsp_responder_urls(leaf, s->cert->ocsp_backup.items, s->cert->ocsp_backup.count, urls,
	                        OCSP_FETCH_URLS_MAX);
	s->responders = n ? calloc(n, sizeof(*s->responders)) : NULL;
	if (s->responders == NULL) {
		ocsp_responder_urls_free(urls, n);
		return;
	}
	for (i = 0; i < n; i++) {
		s->responders[i].url = urls[i];
		for (k = 0; k < old_count; k++)
			if (strcmp(old[k].url, urls[i]) == 0)
				s->responders[i].failed_total = old[k].failed_total;
	}
	s->responder_count = n;
}

/*
 * Load the certificate, its issuer and its stored staple and check them; no
 * network.  Runs on the start's worker threads: touches only s (and the
 * locked d->cacerts).  A missing certificate is not logged (it is issued); an
 * unreadable or invalid one is, and is treated as missing.
 */
void site_load(struct daemon *d, struct site *s, time_t now)
{
	char why[200] = "";
	unsigned char *data = NULL;
	size_t len = 0, old_count = s->responder_count;
	struct responder *old = s->responders;
	struct cert_leaf *leaf = NULL;
	struct store_start start;
	struct ocsp_verdict v;
	memset(&start, 0, sizeof(start));
	s->responders = NULL; /* kept for their counters */
	s->responder_count = 0;
	site_unload(s);
	s->version = store_version_open(d->store, s->cert->name);
	if (s->version == NULL) {
		if (errno != ENOENT)
			snprintf(why, sizeof(why), "%s", strerror(errno));
		goto out;
	}
	/* One read (the version's bundle) when the store wrote it. */
	if (store_version_start_load(s->version, &start, why, sizeof(why)) != 0)
		goto out;
	s->leaf = start.leaf;
	s->leaf_len = start.leaf_len;
	start.leaf = NULL;
	s->renew_at = start.renew_at;
	s->placeholder = start.placeholder;
	if ((leaf = cert_leaf_new(s->leaf, s->leaf_len)) == NULL ||
	    cert_leaf_validity(leaf, &s->not_before, &s->not_after) != 0) {
		snprintf(why, sizeof(why), "%s: no valid certificate",
		         store_aspect_name(STORE_FULLCHAIN_PEM));
		goto out;
	}
	if (start.issuer != NULL) {
		s->issuer_cert = cacerts_get(d->cacerts, start.issuer, start.issuer_len);
		if (s->issuer_cert == NULL) {
			snprintf(why, sizeof(why), "%s: the issuer does not decode",
			         store_aspect_name(STORE_FULLCHAIN_PEM));
			goto out;
		}
	}
	s->have = 1;
	if (s->placeholder || now >= s->not_after || s->issuer_cert == NULL)
		goto out; /* nothing to staple */
	if (!cert_leaf_verify(leaf, s->issuer_cert, why, sizeof(why))) {
		log_error("certificate_invalid", "cert=%s dir=%s reason=\"%s\"", s->cert->name,
		          store_version_id(s->version), why);
		why[0] = '\0';
		s->have = 0;
		goto out;
	}
	site_responders_set(s, leaf, old, old_count);
	if (s->responder_count > 0 && store_version_staple_load(s->version, &data, &len) == 0) {
		if (ocsp_response_check_serial(data, len, cert_leaf_issuer_name(leaf),
		                               cert_leaf_serial(leaf), s->issuer_cert, now,
		                               &v) == STAPLE_OK &&
		    now < staple_withdraw_at(v.this_update, v.next_update)) {
			s->staple = data;
			s->staple_len = len;
			s->staple_ok = 1;
			s->sv.status = v.status;
			s->sv.this_update = v.this_update;
			s->sv.next_update = v.next_update;
			s->sv.produced_at = v.produced_at;
			data = NULL;
		}
		free(data);
	}
	s->staple_next =
	    s->staple_ok ? staple_refresh_at(s->sv.this_update, s->sv.next_update, jitter()) : now;
out:
	if (why[0] != '\0')
		log_warn("certificate_unreadable", "cert=%s dir=%s reason=\"%s\"", s->cert->name,
		         s->version ? store_version_id(s->version) : "-", why);
	if (!s->have)
		site_unload(s);
	responders_free(old, old_count);
	cert_leaf_free(leaf);
	store_start_clear(&start);
}

/* fullchain.pem and privkey.pem of the version s was loaded from, newly
 * allocated (the caller cleanses the key).  0; -2 (logged) when that version
 * is gone or its chain does not start with the loaded leaf (the store holds
 * another one now); -1 (logged) when a file is unreadable or privkey.pem
 * holds no PEM private key. */
static int site_files_read(const struct site *s, char **chain, size_t *chain_len, char **key,
                           size_t *key_len)
{
	char where[PATH_MAX];
	unsigned char *leaf = NULL, *issuer = NULL;
	size_t leaf_len = 0, issuer_len = 0;
	enum store_aspect file = STORE_FULLCHAIN_PEM;
	const char *why = NULL;
	int rc = -1;

	*chain = *key = NULL;
	*chain_len = *key_len = 0;
	if (store_version_fullchain_load(s->version, chain, chain_len) != 0) {
		rc = errno == ENOENT ? -2 : -1;
		goto fail;
	}
	if (cert_pem_leaf_issuer_der(*chain, *chain_len, &leaf, &leaf_len, &issuer, &issuer_len) !=
	        0 ||
	    leaf_len != s->leaf_len || memcmp(leaf, s->leaf, leaf_len) != 0) {
		why = "not the certificate loaded";
		rc = -2;
		goto fail;
	}
	file = STORE_PRIVKEY_PEM;
	if (store_version_key_pem_load(s->version, key, key_len) != 0) {
		rc = errno == ENOENT ? -2 : -1;
		goto fail;
	}
	if (!key_pem_ok(*key, *key_len)) {
		why = "no unencrypted PEM private key";
		goto fail;
	}
	free(leaf);
	free(issuer);
	return 0;
fail:
	if (why == NULL)
		why = strerror(errno);
	log_warn("certificate_unreadable", "cert=%s file=%s reason=\"%s\"", s->cert->name,
	         store_version_where(s->version, file, where, sizeof(where)), why);
	free(leaf);
	free(issuer);
	free(*chain);
	*chain = NULL;
	if (*key != NULL)
		OPENSSL_cleanse(*key, *key_len);
	free(*key);
	*key = NULL;
	return rc;
}

/* Tell the local OCSP responder (ocsp_listen) what s serves now. */
void site_publish(struct daemon *d, const struct site *s)
{
	struct cert_leaf *leaf = NULL;

	if (d->ocspd == NULL)
		return;
	if (!s->have || s->placeholder || s->issuer_cert == NULL ||
	    (leaf = cert_leaf_new(s->leaf, s->leaf_len)) == NULL) {
		ocspd_forget(d->ocspd, s->cert->name);
		return;
	}
	if (ocspd_publish(
	        d->ocspd, s->cert->name, cert_leaf_issuer_name(leaf), cert_leaf_serial(leaf),
	        s->issuer_cert, s->staple_ok ? s->staple : NULL, s->staple_ok ? s->staple_len : 0,
	        s->staple_ok ? staple_withdraw_at(s->sv.this_update, s->sv.next_update) : 0) != 0)
		log_warn("ocsp_publish_failed", "cert=%s reason=\"out of memory\"", s->cert->name);
	cert_leaf_free(leaf);
}

void site_deploy(struct daemon *d, struct site *s, const char *event)
{
	struct deploy_input in;
	struct deploy_result res;
	char *chain = NULL, *key = NULL;
	size_t chain_len = 0, key_len = 0;
	int changed = 0, attempt, rc;

	site_publish(d, s);
	for (attempt = 0;; attempt++) {
		if (!s->have || (s->cert->deploy.count == 0 && s->cert->deploy_hook == NULL))
			return;
		if (s->cert->must_staple && !s->staple_ok) {
			log_warn("deploy_held",
			         "cert=%s reason=\"must_staple and no valid staple\"",
			         s->cert->name);
			return;
		}
		rc = site_files_read(s, &chain, &chain_len, &key, &key_len);
		if (rc == 0)
			break;
		if (rc == -1 || attempt == 1) {
			s->deploy_failed = 1;
			s->deploy_retry_at = time(NULL) + DEPLOY_RETRY;
			s->deploy_at = time(NULL);
			/* nothing reached a target: the store's files are unreadable */
			message_set(&s->deploy_targets, DEPLOY_FAILED_MAX, "%s", "store");
			site_changed(d, s);
			return;
		}
		/* The version loaded is gone: load what the store holds now. */
		site_load(d, s, time(NULL));
		site_publish(d, s);
		site_changed(d, s);
	}
	memset(&in, 0, sizeof(in));
	in.fullchain_pem = chain;
	in.fullchain_len = chain_len;
	in.key_pem = key;
	in.key_len = key_len;
	in.staple = s->staple_ok ? s->staple : NULL;
	in.staple_len = s->staple_ok ? s->staple_len : 0;
	in.event = event;
	in.force = s->deploy_failed; /* a failed reload or push is repeated */
	in.hook_retry = s->hook_failed;
	s->deploy_failed = deploy_certificate(d->conf, s->cert, &in, &changed, &res) != 0;
	s->hook_failed = res.hook_failed;
	OPENSSL_cleanse(key, key_len);
	free(key);
	free(chain);
	if (changed || s->deploy_failed || in.force) {
		s->deploy_at = time(NULL);
		if (s->deploy_failed)
			message_set(&s->deploy_targets, DEPLOY_FAILED_MAX, "%s", res.failed);
		else
			message_clear(&s->deploy_targets);
	}
	if (s->deploy_failed)
		s->deploy_retry_at = time(NULL) + DEPLOY_RETRY;
	if (changed && s->cert->verify_addr != NULL) {
		/* Servers reload asynchronously: look a moment later. */
		s->verify_at = time(NULL) + 1;
		s->verify_tries = 0;
		s->verify = STATE_VERIFY_PENDING;
	}
	if (changed)
		log_info("deploy_done", "cert=%s event=%s staple=%s failed=%d", s->cert->name,
		         event, in.staple ? "yes" : "no", s->deploy_failed);
	site_changed(d, s);
}

/* Check that the server at verify_addr serves what was deployed. */
void site_verify(struct daemon *d, struct site *s, time_t now)
{
	char why[256];

	if (!s->have || deploy_verify(s->cert->verify_addr, s->cert->names.items[0], s->leaf,
	                              s->leaf_len, s->staple_ok ? s->staple : NULL,
	                              s->staple_ok ? s->staple_len : 0, why, sizeof(why)) == 0) {
		log_info("deploy_verified", "cert=%s addr=%s staple=%s", s->cert->name,
		         s->cert->verify_addr, s->staple_ok ? "yes" : "no");
		s->verify_at = 0;
		s->verify = STATE_VERIFY_OK;
		s->verify_done_at = now;
		message_clear(&s->verify_error);
		site_changed(d, s);
		return;
	}
	if (++s->verify_tries >= VERIFY_TRIES) {
		log_error("deploy_verify_failed", "cert=%s addr=%s reason=\"%s\"", s->cert->name,
		          s->cert->verify_addr, why);
		s->verify_at = 0;
		s->verify = STATE_VERIFY_FAILED;
		s->verify_done_at = now;
		message_set(&s->verify_error, STATE_MESSAGE_MAX, "%s", why);
		site_changed(d, s);
		return;
	}
	s->verify_at = now + 1;
}

/*
 * daemon/staples: the staple state machine of one site: fetch from its responders in
 * turn, check, store, deploy; retry with backoff.
 */
#include "daemon/internal.h"
#include "util/atomic.h"
#include "util/log.h"
#include "util/timeutil.h"

void daemon_staple_fetch_end(struct daemon *d, struct site *s)
{
	http_request_cleanup(&s->fetch->req);
	free(s->fetch->request);
	free(s->fetch);
	s->fetch = NULL;
	d->fetches--;
}

static void staple_submit_next(struct daemon *d, struct site *s)
{
	struct staple_fetch *f = s->fetch;

	while (f->url_next < s->responder_count) {
		const char *url = s->responders[f->url_next++].url;
		char get_url[2048];
		int get =
		    ocsp_request_get_url(url, f->request, f->request_len, get_url, sizeof(get_url));
		http_request_cleanup(&f->req);
		if (get == 1 && http_request_init(&f->req, get_url) == 0) {
			f->req.user = s;
			http_client_submit(d->http, &f->req);
			return;
		}
		if (get == 0 && http_request_init(&f->req, url) == 0) {
			f->req.post_body = f->request;
			f->req.post_len = f->request_len;
			f->req.post_content_type = "application/ocsp-request";
			f->req.user = s;
			http_client_submit(d->http, &f->req);
			return;
		}
	}
	/* Every responder failed. */
	daemon_staple_fetch_end(d, s);
	{
		time_t now = time(NULL), next;
		char t[32];
		s->staple_backoff = staple_retry_backoff(
		    s->staple_backoff, d->conf->staple_retry_min, d->conf->staple_retry_max);
		s->staple_failures++;
		s->staple_failed_total++;
		/* Never later than the policy's last retry before the withdrawal. */
		next = staple_retry_at(now, s->staple_backoff, s->staple_ok, s->sv.this_update,
		                       s->sv.next_update);
		s->staple_next = next;
		log_warn("staple_refresh_failed",
		         "cert=%s failures=%d serving=%s next_attempt=%s error=\"%s\"",
		         s->cert->name, s->staple_failures, s->staple_ok ? "last-good" : "none",
		         time_format(t, sizeof(t), next), s->staple_error ? s->staple_error : "");
		site_changed(d, s);
	}
}

void daemon_staple_start(struct daemon *d, struct site *s)
{
	struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
	struct staple_fetch *f = calloc(1, sizeof(*f));

	if (f == NULL || leaf == NULL ||
	    ocsp_request_der_new_serial(cert_leaf_issuer_name(leaf), cert_leaf_serial(leaf),
	                                s->issuer_cert, &f->request, &f->request_len) != 0) {
		/* Out of memory: the leaf decoded at load.  Try again later. */
		cert_leaf_free(leaf);
		free(f);
		s->staple_next = time(NULL) + d->conf->staple_retry_min;
		site_changed(d, s);
		return;
	}
	cert_leaf_free(leaf);
	f->generation = s->generation;
	s->fetch = f;
	d->fetches++;
	staple_submit_next(d, s);
}

/* Check a fetched response for s's leaf; fills v, returns v->error. */
static enum staple_error staple_check(const struct site *s, const unsigned char *der, size_t len,
                                      time_t now, struct ocsp_verdict *v)
{
	struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
	enum staple_error e;

	if (leaf == NULL) {
		memset(v, 0, sizeof(*v));
		snprintf(v->detail, sizeof(v->detail), "out of memory");
		return v->error = STAPLE_ERR_MALFORMED;
	}
	e = ocsp_response_check_serial(der, len, cert_leaf_issuer_name(leaf),
	                               cert_leaf_serial(leaf), s->issuer_cert, now, v);
	cert_leaf_free(leaf);
	return e;
}

/* 1 when the fetched response v is older than the staple s serves. */
static int staple_older_than_held(const struct ocsp_verdict *v, const struct staple_held *held)
{
	struct ocsp_verdict stored;

	memset(&stored, 0, sizeof(stored));
	stored.this_update = held->this_update;
	stored.produced_at = held->produced_at;
	return staple_older(v, &stored);
}

void daemon_staple_on_response(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct site *s = req->user;
	const char *url;
	struct ocsp_verdict v;
	char t[32], safe[200];
	time_t now = time(NULL);

	if (s->fetch->generation != s->generation) {
		/* The certificate was reloaded meanwhile: this answer is for the old one. */
		daemon_staple_fetch_end(d, s);
		return;
	}
	url = s->responders[s->fetch->url_next - 1].url;
	if (req->outcome != HTTP_OUTCOME_OK)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: %s: %s", url,
		            http_outcome_name(req->outcome),
		            log_safe(safe, sizeof(safe), req->detail));
	else if (req->status != 200)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: HTTP status %ld", url,
		            req->status);
	else if (!http_content_type_is(req->content_type, "application/ocsp-response"))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: content-type", url);
	else if (staple_check(s, req->body.data, req->body.len, now, &v) != STAPLE_OK)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: %s: %s", url,
		            staple_error_name(v.error), v.detail);
	else if (now >= staple_withdraw_at(v.this_update, v.next_update))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: expires-too-soon", url);
	else if (s->staple_ok && staple_older_than_held(&v, &s->sv))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: older-than-stored", url);
	else {
		unsigned char *copy = malloc(req->body.len);
		if (copy != NULL &&
		    store_version_staple_save(s->version, req->body.data, req->body.len) == 0) {
			memcpy(copy, req->body.data, req->body.len);
			free(s->staple);
			s->staple = copy;
			s->staple_len = req->body.len;
			s->sv.status = v.status;
			s->sv.this_update = v.this_update;
			s->sv.next_update = v.next_update;
			s->sv.produced_at = v.produced_at;
			s->staple_ok = 1;
			s->staple_ok_total++;
			s->staple_backoff = 0;
			s->staple_failures = 0;
			message_clear(&s->staple_error);
			s->staple_next = staple_refresh_at(v.this_update, v.next_update, jitter());
			log_info("staple_refreshed", "cert=%s url=\"%s\" status=%s next_update=%s",
			         s->cert->name, url, staple_cert_status_name(v.status),
			         time_format(t, sizeof(t), v.next_update));
			daemon_staple_fetch_end(d, s);
			site_changed(d, s);
			if (v.status == STAPLE_STATUS_REVOKED) {
				struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
				char serial[128] = "";
				if (leaf != NULL)
					cert_leaf_serial_hex(leaf, serial, sizeof(serial));
				cert_leaf_free(leaf);
				log_error("certificate_revoked", "cert=%s serial=%s action=reissue",
				          s->cert->name, serial);
				s->force_issue = 1;
				s->issue_next = now;
			}
			site_deploy(d, s, "staple");
			return;
		}
		free(copy);
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "cannot store the staple");
	}
	s->responders[s->fetch->url_next - 1].failed_total++;
	log_warn("ocsp_fetch_failed", "cert=%s detail=\"%s\"", s->cert->name,
	         log_safe(safe, sizeof(safe), s->staple_error ? s->staple_error : ""));
	staple_submit_next(d, s);
}

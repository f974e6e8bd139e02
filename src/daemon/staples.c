/*
 * daemon/staples: the staple state machine of one site: fetch, store, deploy;
 * retry with backoff.
 *
 * The fetch is ocsp/fetch, the same path `holdfast staple` takes (see
 * fetch.h): the same responders in the same order (s->responders, built by
 * ocsp_responder_urls() at load), the same GET/POST and Content-Type rules,
 * the same validation, and one acceptance rule (staple_acceptable(): not older
 * than the staple served, not already past its withdrawal time).  What is
 * left here is what only the daemon does with the outcome: count each
 * responder's failures for the metrics page, keep the last one for the state
 * file, store and deploy an accepted staple, ask for a reissue when it says
 * revoked, and schedule the next attempt with the backoff of ocsp/policy when
 * every responder failed.
 */
#include "daemon/internal.h"
#include "util/log.h"
#include "util/timeutil.h"

void daemon_staple_fetch_end(struct daemon *d, struct site *s)
{
	ocsp_fetch_free(s->fetch->fetch);
	cert_leaf_free(s->fetch->leaf);
	free(s->fetch);
	s->fetch = NULL;
	d->fetches--;
}

/* Count and log each responder that failed, in the order asked; s's last
 * failure becomes the last of them ("URL: reason: detail"). */
static void staple_note_errors(struct site *s, const struct ocsp_fetch_result *r)
{
	char safe[200];
	size_t i;

	for (i = 0; i < r->error_count; i++) {
		const struct ocsp_fetch_error *e = &r->errors[i];

		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: %s: %s", e->url,
		            staple_error_name(e->error), log_safe(safe, sizeof(safe), e->detail));
		if (e->responder < s->responder_count)
			s->responders[e->responder].failed_total++;
		log_warn("ocsp_fetch_failed", "cert=%s detail=\"%s\"", s->cert->name,
		         log_safe(safe, sizeof(safe), s->staple_error));
	}
}

/* Every responder failed (or the accepted staple could not be stored): end
 * the fetch and try again after the backoff. */
static void staple_failed(struct daemon *d, struct site *s)
{
	time_t now = time(NULL), next;
	char t[32];

	daemon_staple_fetch_end(d, s);
	daemon_fleet_staple_done(d, s, 0, now);
	s->staple_backoff = staple_retry_backoff(s->staple_backoff, d->conf->staple_retry_min,
	                                         d->conf->staple_retry_max);
	s->staple_failures++;
	s->staple_failed_total++;
	/* Never later than the policy's last retry before the withdrawal. */
	next = staple_retry_at(now, s->staple_backoff, s->staple_ok, s->sv.this_update,
	                       s->sv.next_update);
	s->staple_next = next;
	log_warn("staple_refresh_failed",
	         "cert=%s failures=%d serving=%s next_attempt=%s error=\"%s\"", s->cert->name,
	         s->staple_failures, s->staple_ok ? "last-good" : "none",
	         time_format(t, sizeof(t), next), s->staple_error ? s->staple_error : "");
	site_changed(d, s);
}

int site_staple_keep(struct site *s, unsigned char **der, size_t len, const struct ocsp_verdict *v)
{
	if (store_version_staple_save(s->version, *der, len) != 0)
		return -1;
	free(s->staple);
	s->staple = *der;
	s->staple_len = len;
	*der = NULL;
	s->sv.status = v->status;
	s->sv.this_update = v->this_update;
	s->sv.next_update = v->next_update;
	s->sv.produced_at = v->produced_at;
	s->staple_ok = 1;
	s->staple_ok_total++;
	s->staple_backoff = 0;
	s->staple_failures = 0;
	message_clear(&s->staple_error);
	return 0;
}

/* Store the accepted response r->der in s's version and serve it (taking it
 * from r).  0, or -1 when the store refused it. */
static int staple_keep(struct site *s, struct ocsp_fetch_result *r)
{
	return site_staple_keep(s, &r->der, r->der_len, &r->verdict);
}

/* What the ended fetch f of s means: keep, count, back off, deploy. */
static void staple_outcome(struct daemon *d, struct site *s, struct staple_fetch *f)
{
	struct ocsp_fetch_result *r = ocsp_fetch_result(f->fetch);
	char t[32], safe[512], serial[128] = "";
	enum staple_cert_status status;

	if (f->generation != s->generation) {
		/* The certificate was reloaded meanwhile: this answer is for the old one. */
		daemon_staple_fetch_end(d, s);
		daemon_fleet_staple_done(d, s, 0, time(NULL));
		return;
	}
	staple_note_errors(s, r);
	if (r->der == NULL) {
		staple_failed(d, s);
		return;
	}
	if (staple_keep(s, r) != 0) {
		/* Counted against the responder that answered, as a failed fetch. */
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "cannot store the staple");
		if (r->responder_index < s->responder_count)
			s->responders[r->responder_index].failed_total++;
		log_warn("ocsp_fetch_failed", "cert=%s detail=\"%s\"", s->cert->name,
		         s->staple_error);
		staple_failed(d, s);
		return;
	}
	status = s->sv.status;
	s->staple_next = staple_refresh_at(s->sv.this_update, s->sv.next_update, jitter());
	log_info("staple_refreshed", "cert=%s url=\"%s\" status=%s next_update=%s", s->cert->name,
	         log_safe(safe, sizeof(safe), r->responder), staple_cert_status_name(status),
	         time_format(t, sizeof(t), s->sv.next_update));
	if (status == STAPLE_STATUS_REVOKED)
		cert_leaf_serial_hex(f->leaf, serial, sizeof(serial));
	daemon_staple_fetch_end(d, s);
	daemon_fleet_staple_done(d, s, 1, time(NULL));
	site_changed(d, s);
	if (status == STAPLE_STATUS_REVOKED)
		site_revoked(d, s, "ocsp", serial, "-");
	site_deploy(d, s, "staple");
}

/* ocsp_fetch's done callback (also called when no responder could be asked):
 * the fetch no longer runs, so the site's next due time changes. */
static void staple_fetched(struct ocsp_fetch *fetch, void *user)
{
	struct staple_fetch *f = user;
	struct daemon *d = f->d;
	struct site *s = f->s; /* f is freed by the outcome */

	(void)fetch; /* it is f->fetch */

	staple_outcome(d, s, f);
	site_schedule(d, s);
}

void daemon_staple_start(struct daemon *d, struct site *s)
{
	struct staple_fetch *f = calloc(1, sizeof(*f));
	char *urls[OCSP_FETCH_URLS_MAX];
	struct ocsp_fetch_want want;
	struct ocsp_verdict held;
	size_t i, n = s->responder_count;

	if (daemon_fleet_staple_gate(d, s, time(NULL))) {
		free(f); /* served from the fleet, or another node fetches */
		return;
	}
	if (n > OCSP_FETCH_URLS_MAX)
		n = OCSP_FETCH_URLS_MAX; /* site_responders_set() makes no more */
	for (i = 0; i < n; i++)
		urls[i] = s->responders[i].url;
	if (f != NULL)
		f->leaf = cert_leaf_new(s->leaf, s->leaf_len);
	if (f == NULL || f->leaf == NULL)
		goto retry;
	memset(&want, 0, sizeof(want));
	want.leaf = f->leaf;
	want.issuer = s->issuer_cert;
	if (s->staple_ok) {
		memset(&held, 0, sizeof(held));
		held.status = s->sv.status;
		held.this_update = s->sv.this_update;
		held.next_update = s->sv.next_update;
		held.produced_at = s->sv.produced_at;
		want.held = &held;
	}
	want.until_withdrawal = 1; /* the loop withdraws it at staple_withdraw_at() */
	f->fetch = ocsp_fetch_new(&want, urls, n);
	if (f->fetch == NULL)
		goto retry;
	f->d = d;
	f->s = s;
	f->generation = s->generation;
	s->fetch = f;
	d->fetches++;
	if (ocsp_fetch_start(f->fetch, d->http, staple_fetched, f) != 0)
		staple_fetched(f->fetch, f); /* no responder could be asked: its errors */
	return;
retry:
	/* Out of memory: the leaf decoded at load.  Try again later. */
	if (f != NULL)
		cert_leaf_free(f->leaf);
	free(f);
	s->staple_next = time(NULL) + d->conf->staple_retry_min;
}

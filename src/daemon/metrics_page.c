/*
 * daemon/metrics_page: the Prometheus page rendered from the daemon's state.
 *
 * Bounded at any number of certificates: aggregates over all of them
 * (holdfast_certificates*, one pass) always, and the per-certificate series
 * (holdfast_certificate_*, holdfast_staple_*, holdfast_responder_*,
 * holdfast_issue_total) for at most metrics_per_certificate of them, the
 * most urgent (metrics_select.h has the rule), in configuration order.  With
 * no more certificates than that the per-certificate part is what it always
 * was.  At 100,000 certificates a page with every series was 56 MB (~560 B
 * a certificate, a million samples), rendered every 2 s; with the default
 * of 1,000 0.57 MB (bench/daemon).  The three *_timestamp_seconds series add
 * ~225 B a certificate (computed from their lines, not re-measured): ~79 MB
 * and ~0.8 MB.
 */
#include "acme/ari.h"
#include "daemon/internal.h"
#include "daemon/metrics.h"
#include "daemon/metrics_select.h"
#include "ocsp/responder.h"
#include "store/pg.h"
#include "util/httpd.h"

#define METRICS_PAGE_MAX (512 * 1024 * 1024) /* ~785 B per certificate with every series */

static void metric(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void metric(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line))
		buf_append(b, line, (size_t)n);
}

/* What the aggregates count, over every certificate. */
struct totals {
	size_t missing, placeholder, deploy_failed, issuing, issue_failed;
	size_t staple_valid, staple_missing, staple_failing, trouble, renewal_late;
	int have_expiry, have_staple_expiry, have_left;
	double left_min; /* the smallest fraction of a lifetime left */
	time_t expiry_min, staple_expiry_min;
	unsigned long staple_ok, staple_failed, issue_ok, issue_failed_runs;
};

static struct metrics_facts site_facts(const struct site *s, long outage_margin, time_t now)
{
	struct metrics_facts f = {
	    .have = s->have,
	    .placeholder = s->have && s->placeholder,
	    .deploy_failed = s->deploy_failed,
	    .issue_failed = s->issue_error != NULL,
	    .can_staple = s->responder_count > 0,
	    .staple_ok = s->staple_ok,
	    .staple_failures = s->staple_failures,
	    .renewal_late = s->have && !s->placeholder &&
	                    now >= renew_deadline(s->not_before, s->not_after, outage_margin),
	    .not_after = s->not_after,
	    .staple_next_update = s->sv.next_update,
	};

	return f;
}

static void totals_add(struct totals *t, const struct site *s, const struct metrics_facts *f,
                       time_t now)
{
	t->missing += !s->have;
	t->placeholder += s->have && s->placeholder;
	t->deploy_failed += s->deploy_failed != 0;
	t->issuing += s->issuing != 0;
	t->issue_failed += s->issue_error != NULL;
	t->staple_valid += s->staple_ok != 0;
	t->staple_missing += s->responder_count > 0 && !s->staple_ok;
	t->staple_failing += s->staple_failures > 0;
	t->trouble += metrics_facts_trouble(f);
	t->renewal_late += f->renewal_late != 0;
	if (s->have && !s->placeholder) {
		double left = renew_lifetime_left(s->not_before, s->not_after, now);
		if (!t->have_left || left < t->left_min)
			t->left_min = left;
		t->have_left = 1;
	}
	if (s->have && (!t->have_expiry || s->not_after < t->expiry_min)) {
		t->have_expiry = 1;
		t->expiry_min = s->not_after;
	}
	if (s->staple_ok && (!t->have_staple_expiry || s->sv.next_update < t->staple_expiry_min)) {
		t->have_staple_expiry = 1;
		t->staple_expiry_min = s->sv.next_update;
	}
	t->staple_ok += s->staple_ok_total;
	t->staple_failed += s->staple_failed_total;
	t->issue_ok += s->issue_ok_total;
	t->issue_failed_runs += s->issue_failed_total;
}

/* A gauge of one sample, with its HELP and TYPE. */
static void gauge(struct buf *b, const char *name, const char *help, long long value)
{
	metric(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, value);
}

static void totals_render(struct buf *b, const struct daemon *d, const struct totals *t,
                          size_t series, time_t now)
{
	gauge(b, "holdfast_certificates", "Configured certificates.", (long long)d->site_count);
	gauge(b, "holdfast_certificates_series",
	      "Certificates with their own series on this page (metrics_per_certificate).",
	      (long long)series);
	gauge(b, "holdfast_certificates_trouble",
	      "Certificates that need attention: missing, placeholder, failed deploy or issuance, "
	      "no valid staple, or failing staple refreshes.",
	      (long long)t->trouble);
	gauge(b, "holdfast_certificates_missing", "Certificates with none in the store.",
	      (long long)t->missing);
	gauge(b, "holdfast_certificates_placeholder",
	      "Certificates with only the temporary placeholder in place.",
	      (long long)t->placeholder);
	gauge(b, "holdfast_certificates_deploy_failed", "Certificates whose last deploy failed.",
	      (long long)t->deploy_failed);
	gauge(b, "holdfast_certificates_issuing", "Certificates being issued now.",
	      (long long)t->issuing);
	gauge(b, "holdfast_certificates_issue_failed",
	      "Certificates whose last issuance attempt failed.", (long long)t->issue_failed);
	gauge(b, "holdfast_certificates_staple_valid",
	      "Certificates with a valid OCSP staple deployed.", (long long)t->staple_valid);
	gauge(b, "holdfast_certificates_staple_missing",
	      "Certificates with an OCSP responder but no valid staple.",
	      (long long)t->staple_missing);
	gauge(b, "holdfast_certificates_staple_failing",
	      "Certificates whose staple refreshes failed since their last success.",
	      (long long)t->staple_failing);
	gauge(b, "holdfast_certificates_renewal_late",
	      "Certificates closer to expiry than outage_margin (capped at half their lifetime): "
	      "their renewal is late.",
	      (long long)t->renewal_late);
	metric(b, "# HELP holdfast_certificates_lifetime_left_ratio_min The smallest fraction of "
	          "its lifetime a deployed certificate has left (renewal is due at 1/3).\n"
	          "# TYPE holdfast_certificates_lifetime_left_ratio_min gauge\n");
	if (t->have_left)
		metric(b, "holdfast_certificates_lifetime_left_ratio_min %.4f\n", t->left_min);
	metric(b, "# HELP holdfast_certificates_expiry_seconds_min Seconds until the soonest "
	          "expiry of a deployed certificate.\n"
	          "# TYPE holdfast_certificates_expiry_seconds_min gauge\n");
	if (t->have_expiry)
		metric(b, "holdfast_certificates_expiry_seconds_min %lld\n",
		       (long long)(t->expiry_min - now));
	metric(b, "# HELP holdfast_certificates_staple_expiry_seconds_min Seconds until the "
	          "soonest nextUpdate of a deployed staple.\n"
	          "# TYPE holdfast_certificates_staple_expiry_seconds_min gauge\n");
	if (t->have_staple_expiry)
		metric(b, "holdfast_certificates_staple_expiry_seconds_min %lld\n",
		       (long long)(t->staple_expiry_min - now));
	metric(b,
	       "# HELP holdfast_certificates_staple_refresh_total Staple refreshes of all "
	       "certificates by result.\n"
	       "# TYPE holdfast_certificates_staple_refresh_total counter\n"
	       "holdfast_certificates_staple_refresh_total{result=\"ok\"} %lu\n"
	       "holdfast_certificates_staple_refresh_total{result=\"failed\"} %lu\n",
	       t->staple_ok, t->staple_failed);
	metric(b,
	       "# HELP holdfast_certificates_issue_total Issuance and renewal runs of all "
	       "certificates by result.\n"
	       "# TYPE holdfast_certificates_issue_total counter\n"
	       "holdfast_certificates_issue_total{result=\"ok\"} %lu\n"
	       "holdfast_certificates_issue_total{result=\"failed\"} %lu\n",
	       t->issue_ok, t->issue_failed_runs);
	metric(b,
	       "# HELP holdfast_httpd_messages_total Messages of the HTTP server library "
	       "(connection limit reached, ...) by listener.\n"
	       "# TYPE holdfast_httpd_messages_total counter\n"
	       "holdfast_httpd_messages_total{listener=\"http01\"} %lu\n"
	       "holdfast_httpd_messages_total{listener=\"metrics\"} %lu\n"
	       "holdfast_httpd_messages_total{listener=\"ocsp\"} %lu\n",
	       http_server_messages("http01"), http_server_messages("metrics"),
	       http_server_messages("ocsp"));
}

/* The sites with their own series: all of them (kept == NULL), or those a
 * selection kept, in configuration order. */
struct shown {
	const struct metrics_candidate *kept;
	size_t count;
};

static const struct site *shown_site(const struct daemon *d, const struct shown *sh, size_t k)
{
	return &d->sites[sh->kept ? sh->kept[k].index : k];
}

/* A per-certificate gauge of whole numbers: value says whether site s has a
 * sample and what it is. */
struct cert_gauge {
	const char *name, *help;
	int (*value)(const struct site *s, time_t now, long long *v);
};

static int expiry_seconds(const struct site *s, time_t now, long long *v)
{
	*v = (long long)(s->not_after - now);
	return s->have;
}

static int not_after_timestamp(const struct site *s, time_t now, long long *v)
{
	(void)now;
	*v = (long long)s->not_after;
	return s->have;
}

static int not_before_timestamp(const struct site *s, time_t now, long long *v)
{
	(void)now;
	*v = (long long)s->not_before;
	return s->have;
}

static int placeholder_flag(const struct site *s, time_t now, long long *v)
{
	(void)now;
	*v = s->have && s->placeholder;
	return 1;
}

static int staple_valid_flag(const struct site *s, time_t now, long long *v)
{
	(void)now;
	*v = s->staple_ok;
	return 1;
}

static int staple_expiry_seconds(const struct site *s, time_t now, long long *v)
{
	*v = (long long)(s->sv.next_update - now);
	return s->staple_ok;
}

static int staple_next_update_timestamp(const struct site *s, time_t now, long long *v)
{
	(void)now;
	*v = (long long)s->sv.next_update;
	return s->staple_ok;
}

static int staple_age_seconds(const struct site *s, time_t now, long long *v)
{
	*v = (long long)(now - s->sv.this_update);
	return s->staple_ok;
}

/* In the order of the page: the first three, then the lifetime ratio (not a
 * whole number), then the rest. */
static const struct cert_gauge cert_gauges[] = {
    {"holdfast_certificate_expiry_seconds", "Seconds until the deployed certificate expires.",
     expiry_seconds},
    {"holdfast_certificate_not_after_timestamp_seconds",
     "The deployed certificate's notAfter, in seconds since the epoch.", not_after_timestamp},
    {"holdfast_certificate_not_before_timestamp_seconds",
     "The deployed certificate's notBefore, in seconds since the epoch.", not_before_timestamp},
    {"holdfast_certificate_placeholder", "1 while only the temporary placeholder is in place.",
     placeholder_flag},
    {"holdfast_staple_valid", "1 while a valid OCSP staple is deployed.", staple_valid_flag},
    {"holdfast_staple_expiry_seconds", "Seconds until the deployed staple's nextUpdate.",
     staple_expiry_seconds},
    {"holdfast_staple_next_update_timestamp_seconds",
     "The deployed staple's nextUpdate, in seconds since the epoch.", staple_next_update_timestamp},
    {"holdfast_staple_age_seconds", "Seconds since the deployed staple's thisUpdate.",
     staple_age_seconds},
};

/* Families g[0..n), each with its HELP and TYPE, for the sites in sh. */
static void cert_gauges_render(struct buf *b, const struct daemon *d, const struct shown *sh,
                               time_t now, const struct cert_gauge *g, size_t n)
{
	size_t i, j;
	long long v;

	for (j = 0; j < n; j++) {
		metric(b, "# HELP %s %s\n# TYPE %s gauge\n", g[j].name, g[j].help, g[j].name);
		for (i = 0; i < sh->count; i++) {
			const struct site *s = shown_site(d, sh, i);
			if (g[j].value(s, now, &v))
				metric(b, "%s{cert=\"%s\"} %lld\n", g[j].name, s->cert->name, v);
		}
	}
}

/* The CRL checks of the sites in sh without an OCSP responder (daemon/crl.c):
 * revoked (by source, only "crl" here: an OCSP "revoked" is in the staple's
 * series), whether the last check had a current answer, and when it was. */
static void crl_render(struct buf *b, const struct daemon *d, const struct shown *sh)
{
	const struct site *s;
	size_t i;

	metric(b, "# HELP holdfast_certificate_revoked 1 when the certificate's CRL lists it "
	          "(it is then re-issued at once); absent until its CRL gave an answer.\n"
	          "# TYPE holdfast_certificate_revoked gauge\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		if (s->crl.generation == s->generation &&
		    (s->crl.state == SITE_CRL_GOOD || s->crl.state == SITE_CRL_STALE ||
		     s->crl.state == SITE_CRL_REVOKED))
			metric(b, "holdfast_certificate_revoked{cert=\"%s\",source=\"crl\"} %d\n",
			       s->cert->name, s->crl.state == SITE_CRL_REVOKED);
	}
	metric(b, "# HELP holdfast_crl_check_ok 1 when the last CRL check had a current answer "
	          "(good or revoked), 0 when only a stale CRL or none at all.\n"
	          "# TYPE holdfast_crl_check_ok gauge\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		if (s->crl.generation == s->generation && s->crl.state != SITE_CRL_NONE)
			metric(b, "holdfast_crl_check_ok{cert=\"%s\"} %d\n", s->cert->name,
			       s->crl.state == SITE_CRL_GOOD || s->crl.state == SITE_CRL_REVOKED);
	}
	metric(b, "# HELP holdfast_crl_check_timestamp_seconds When the certificate's CRL was "
	          "last checked, in seconds since the epoch.\n"
	          "# TYPE holdfast_crl_check_timestamp_seconds gauge\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		if (s->crl.generation == s->generation && s->crl.state != SITE_CRL_NONE)
			metric(b, "holdfast_crl_check_timestamp_seconds{cert=\"%s\"} %lld\n",
			       s->cert->name, (long long)s->crl.checked_at);
	}
}

/* The per-certificate families, each with its HELP and TYPE even when it
 * has no sample here, for the sites in sh. */
static void per_certificate_render(struct buf *b, const struct daemon *d, const struct shown *sh,
                                   time_t now)
{
	const struct site *s;
	char url[600];
	size_t i, k;

	cert_gauges_render(b, d, sh, now, cert_gauges, 3);
	metric(b, "# HELP holdfast_certificate_lifetime_left_ratio The fraction of its lifetime "
	          "the deployed certificate has left.\n"
	          "# TYPE holdfast_certificate_lifetime_left_ratio gauge\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		if (s->have && !s->placeholder)
			metric(b, "holdfast_certificate_lifetime_left_ratio{cert=\"%s\"} %.4f\n",
			       s->cert->name,
			       renew_lifetime_left(s->not_before, s->not_after, now));
	}
	cert_gauges_render(b, d, sh, now, cert_gauges + 3,
	                   sizeof(cert_gauges) / sizeof(cert_gauges[0]) - 3);
	crl_render(b, d, sh);
	metric(b, "# HELP holdfast_staple_refresh_total Staple refreshes by result.\n"
	          "# TYPE holdfast_staple_refresh_total counter\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		metric(b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       s->cert->name, s->staple_ok_total);
		metric(b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       s->cert->name, s->staple_failed_total);
	}
	metric(b,
	       "# HELP holdfast_responder_failures_total Failed requests by OCSP responder URL.\n"
	       "# TYPE holdfast_responder_failures_total counter\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		for (k = 0; k < s->responder_count; k++) {
			metrics_label_escape(url, sizeof(url), s->responders[k].url);
			metric(b, "holdfast_responder_failures_total{cert=\"%s\",url=\"%s\"} %lu\n",
			       s->cert->name, url, s->responders[k].failed_total);
		}
	}
	metric(b, "# HELP holdfast_issue_total Issuance and renewal runs by result.\n"
	          "# TYPE holdfast_issue_total counter\n");
	for (i = 0; i < sh->count; i++) {
		s = shown_site(d, sh, i);
		metric(b, "holdfast_issue_total{cert=\"%s\",result=\"ok\"} %lu\n", s->cert->name,
		       s->issue_ok_total);
		metric(b, "holdfast_issue_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       s->cert->name, s->issue_failed_total);
	}
}

/* The whole Prometheus page for the current state.  No key material. */
/* Fleet mode's series (nothing without database =). */
static void fleet_render(struct buf *b, const struct daemon *d)
{
	struct daemon_fleet_state st;
	size_t i;

	if (!daemon_fleet_state(d, &st))
		return;
	gauge(b, "holdfast_fleet_database_up",
	      "1 while this node reaches the fleet's database (database =).", st.up);
	gauge(b, "holdfast_fleet_config_drift",
	      "1 while this node's [ca]/[certificate] sections differ from the fleet's; it then "
	      "neither issues nor pushes.",
	      st.drift);
	gauge(b, "holdfast_fleet_unshared_certificates",
	      "Certificates this node issued alone while the database was down, not yet shared.",
	      (long long)st.unshared);
	metric(b, "# HELP holdfast_fleet_events_total Fleet work of this node: staples taken from "
	          "the database (adopted) or fetched, sets pulled or pushed, leases found held by "
	          "another node (refused), issuances without the database (alone).\n"
	          "# TYPE holdfast_fleet_events_total counter\n");
	metric(b, "holdfast_fleet_events_total{event=\"staple_adopted\"} %lu\n", st.adopted_total);
	metric(b, "holdfast_fleet_events_total{event=\"staple_fetched\"} %lu\n", st.fetched_total);
	metric(b, "holdfast_fleet_events_total{event=\"set_pulled\"} %lu\n", st.pulled_total);
	metric(b, "holdfast_fleet_events_total{event=\"set_pushed\"} %lu\n", st.pushed_total);
	metric(b, "holdfast_fleet_events_total{event=\"lease_refused\"} %lu\n", st.refused_total);
	metric(b, "holdfast_fleet_events_total{event=\"issued_alone\"} %lu\n", st.alone_total);
	metric(b, "# HELP holdfast_fleet_node_heartbeat_timestamp_seconds Each node's last "
	          "heartbeat in the database, as this node last read it.\n"
	          "# TYPE holdfast_fleet_node_heartbeat_timestamp_seconds gauge\n");
	for (i = 0; i < st.node_count; i++)
		if (st.nodes[i].node[strspn(st.nodes[i].node, "abcdefghijklmnopqrstuvwxyz"
		                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                              "0123456789._-")] == '\0')
			metric(
			    b,
			    "holdfast_fleet_node_heartbeat_timestamp_seconds{node=\"%s\"} %lld\n",
			    st.nodes[i].node, (long long)st.nodes[i].heartbeat_at);
}

void daemon_metrics_render(struct daemon *d, time_t now)
{
	struct metrics_select sel = {0};
	struct totals t = {0};
	struct shown sh = {NULL, 0};
	size_t limit = d->conf->metrics_per_certificate, i;
	int choose = limit < d->site_count;
	struct buf b;

	d->metrics_rendered = now;
	if (d->metrics == NULL)
		return;
	if (choose && metrics_select_init(&sel, limit) != 0)
		return; /* out of memory: the last page stays, the next render tries again */
	for (i = 0; i < d->site_count; i++) {
		struct metrics_facts f = site_facts(&d->sites[i], d->conf->outage_margin, now);
		totals_add(&t, &d->sites[i], &f, now);
		if (choose) {
			struct metrics_candidate c = metrics_candidate_of(i, &f);
			metrics_select_offer(&sel, &c);
		}
	}
	if (choose) {
		metrics_select_finish(&sel);
		sh.kept = sel.kept;
		sh.count = sel.count;
	} else {
		sh.count = d->site_count; /* every one: nothing to choose */
	}
	buf_init(&b, METRICS_PAGE_MAX);
	totals_render(&b, d, &t, sh.count, now);
	per_certificate_render(&b, d, &sh, now);
	fleet_render(&b, d);
	metric(&b,
	       "# HELP holdfast_endpoint_up 0 while the CA endpoint's circuit breaker is open.\n"
	       "# TYPE holdfast_endpoint_up gauge\n");
	for (i = 0; i < d->conf->ca_count; i++)
		metric(&b, "holdfast_endpoint_up{ca=\"%s\"} %d\n", d->conf->cas[i].name,
		       issuer_endpoint_up(d->iss, d->conf->cas[i].name, now));
	metric(&b, "# HELP holdfast_ca_up 1 while the CA endpoint's circuit breaker is closed "
	           "(the same as holdfast_endpoint_up).\n"
	           "# TYPE holdfast_ca_up gauge\n");
	for (i = 0; i < d->conf->ca_count; i++)
		metric(&b, "holdfast_ca_up{ca=\"%s\"} %d\n", d->conf->cas[i].name,
		       issuer_endpoint_up(d->iss, d->conf->cas[i].name, now));
	metric(&b,
	       "# HELP holdfast_endpoint_attempts_total ACME attempts by CA endpoint and result.\n"
	       "# TYPE holdfast_endpoint_attempts_total counter\n");
	for (i = 0; i < d->conf->ca_count; i++) {
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"ok\"} %lu\n",
		       d->conf->cas[i].name, d->ca_ok_total[i]);
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"failed\"} %lu\n",
		       d->conf->cas[i].name, d->ca_failed_total[i]);
	}
	metric(&b,
	       "# HELP holdfast_ca_ready 1 when the last readiness probe of the CA passed "
	       "(holdfast probe: directory, nonce, account, CAA), 0 when a failover to it would "
	       "fail; absent until the first probe.\n"
	       "# TYPE holdfast_ca_ready gauge\n");
	for (i = 0; d->ca_ready != NULL && i < d->conf->ca_count; i++) {
		if (d->ca_ready[i].probed)
			metric(&b, "holdfast_ca_ready{ca=\"%s\"} %d\n", d->conf->cas[i].name,
			       d->ca_ready[i].ready);
	}
	metric(&b, "# HELP holdfast_audit_findings Findings of the last domain audit by severity.\n"
	           "# TYPE holdfast_audit_findings gauge\n");
	for (i = 0; d->audit_done && i < 5; i++)
		metric(&b, "holdfast_audit_findings{severity=\"%s\"} %lu\n",
		       daemon_audit_severities[i], d->audit_counts[i]);
	metric(&b,
	       "# HELP holdfast_daemon_start_time_seconds When the daemon started, in seconds "
	       "since the epoch.\n"
	       "# TYPE holdfast_daemon_start_time_seconds gauge\n"
	       "holdfast_daemon_start_time_seconds %lld\n",
	       (long long)d->started);
	metric(&b, "# HELP holdfast_daemon_heartbeat_timestamp_seconds The main loop's last "
	           "heartbeat (written to the state index every 30 s), in seconds since the "
	           "epoch.\n"
	           "# TYPE holdfast_daemon_heartbeat_timestamp_seconds gauge\n");
	if (d->beat_at > 0)
		metric(&b, "holdfast_daemon_heartbeat_timestamp_seconds %lld\n",
		       (long long)d->beat_at);
	if (d->ocspd != NULL) {
		unsigned long counts[4];
		ocspd_counts(d->ocspd, counts);
		metric(&b, "# HELP holdfast_ocsp_answers_total Answers of the local OCSP responder "
		           "(ocsp_listen) by kind.\n"
		           "# TYPE holdfast_ocsp_answers_total counter\n");
		for (i = 0; i < 4; i++)
			metric(&b, "holdfast_ocsp_answers_total{answer=\"%s\"} %lu\n",
			       ocspd_answer_name((enum ocspd_answer)i), counts[i]);
	}
	metrics_publish(d->metrics, (const char *)b.data, b.len);
	buf_free(&b);
	metrics_select_free(&sel);
}

/*
 * daemon/metrics_page: the Prometheus page rendered from the daemon's state.
 */
#include "daemon/internal.h"
#include "daemon/metrics.h"
#include "ocsp/responder.h"

#define METRICS_PAGE_MAX (512 * 1024 * 1024) /* ~1 KiB per certificate */

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

/* The whole Prometheus page for the current state.  No key material. */
void daemon_metrics_render(struct daemon *d, time_t now)
{
	struct buf b;
	char url[600];
	size_t i, k;

	d->metrics_rendered = now;
	if (d->metrics == NULL)
		return;
	buf_init(&b, METRICS_PAGE_MAX);
	metric(&b, "# HELP holdfast_certificate_expiry_seconds Seconds until the deployed "
	           "certificate expires.\n"
	           "# TYPE holdfast_certificate_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].have)
			metric(&b, "holdfast_certificate_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name, (long long)(d->sites[i].not_after - now));
	metric(&b, "# HELP holdfast_certificate_placeholder 1 while only the temporary placeholder "
	           "is in place.\n"
	           "# TYPE holdfast_certificate_placeholder gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_certificate_placeholder{cert=\"%s\"} %d\n",
		       d->sites[i].cert->name, d->sites[i].have && d->sites[i].placeholder);
	metric(&b, "# HELP holdfast_staple_valid 1 while a valid OCSP staple is deployed.\n"
	           "# TYPE holdfast_staple_valid gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_staple_valid{cert=\"%s\"} %d\n", d->sites[i].cert->name,
		       d->sites[i].staple_ok);
	metric(&b, "# HELP holdfast_staple_expiry_seconds Seconds until the deployed staple's "
	           "nextUpdate.\n"
	           "# TYPE holdfast_staple_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(d->sites[i].sv.next_update - now));
	metric(
	    &b,
	    "# HELP holdfast_staple_age_seconds Seconds since the deployed staple's thisUpdate.\n"
	    "# TYPE holdfast_staple_age_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_age_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(now - d->sites[i].sv.this_update));
	metric(&b, "# HELP holdfast_staple_refresh_total Staple refreshes by result.\n"
	           "# TYPE holdfast_staple_refresh_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_ok_total);
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_responder_failures_total Failed requests by OCSP responder URL.\n"
	       "# TYPE holdfast_responder_failures_total counter\n");
	for (i = 0; i < d->site_count; i++)
		for (k = 0; k < d->sites[i].responder_count; k++) {
			metrics_label_escape(url, sizeof(url), d->sites[i].responders[k].url);
			metric(&b,
			       "holdfast_responder_failures_total{cert=\"%s\",url=\"%s\"} %lu\n",
			       d->sites[i].cert->name, url, d->sites[i].responders[k].failed_total);
		}
	metric(&b, "# HELP holdfast_issue_total Issuance and renewal runs by result.\n"
	           "# TYPE holdfast_issue_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_ok_total);
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_endpoint_up 0 while the CA endpoint's circuit breaker is open.\n"
	       "# TYPE holdfast_endpoint_up gauge\n");
	for (i = 0; i < d->conf->ca_count; i++)
		metric(&b, "holdfast_endpoint_up{ca=\"%s\"} %d\n", d->conf->cas[i].name,
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
	metric(&b, "# HELP holdfast_audit_findings Findings of the last domain audit by severity.\n"
	           "# TYPE holdfast_audit_findings gauge\n");
	for (i = 0; d->audit_done && i < 5; i++)
		metric(&b, "holdfast_audit_findings{severity=\"%s\"} %lu\n",
		       daemon_audit_severities[i], d->audit_counts[i]);
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
}

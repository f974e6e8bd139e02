/*
 * caa_check: the audit's "caa" check -- may each CA of each certificate
 * issue for its names? (RFC 8659, RFC 8657; the decision is caa.h's).
 *
 * For every name of every configured certificate, on every resolver
 * separately (a resolver's view is what a CA near it would see), the
 * relevant RRset is found as RFC 8659 section 3 says: ask for CAA at the
 * name ("*.X": at X); the resolver follows a CNAME and answers with the
 * target's records; an empty answer (NODATA, NXDOMAIN, a CNAME to a name
 * without CAA) moves to the parent of the name asked (not of the CNAME's
 * target) and so on up to the TLD; the first non-empty RRset is the relevant
 * one, and none at all means anyone may issue.  A SERVFAIL, timeout, REFUSED
 * or malformed answer ends that resolver's climb as "unknown": it is not "no
 * CAA" (RFC 8659 section 6: CAs refuse on a failed lookup).
 *
 * Then, for each CA of the certificate in order, caa_decide() with the CA's
 * issuer domain names (caa_identities, which wins, else its directory's
 * meta.caaIdentities, fetched only when some name has records), the
 * account URL the store holds for it and the certificate's challenge type.
 * Findings, under "certificate NAME": CRITICAL when the first CA may not
 * issue (issuance will fail); WARNING naming a later CA and the record
 * (failover to it would be refused); UNKNOWN for each failed lookup and for
 * a CA whose identities cannot be had while records exist; OK listing the
 * CAs that may issue for every name on every resolver.
 */

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/caa.h"
#include "audit/internal.h"
#include "util/http.h"
#include "util/log.h"

#define CAA_TEXT_MAX      700          /* one record as text */
#define CAA_DIRECTORY_MAX (256 * 1024) /* as ACME_BODY_MAX: a directory is ~1 KiB */

/* ---------------------------------------------------------------- the climb */

static void view_ask(struct audit_caa_view *v);

static void view_done(const struct dns_reply *reply, void *arg)
{
	struct audit_caa_view *v = arg;
	const char *dot;

	if (reply->outcome == DNS_NOERROR && reply->caa_count > 0) {
		v->rr = calloc(reply->caa_count, sizeof(*v->rr));
		if (v->rr == NULL) {
			v->run->oom = 1;
			v->state = CAA_VIEW_FAILED;
			v->why = DNS_ERROR;
			return;
		}
		memcpy(v->rr, reply->caa, reply->caa_count * sizeof(*v->rr));
		v->rr_count = reply->caa_count;
		memcpy(v->cname, reply->cname, sizeof(v->cname));
		v->state = CAA_VIEW_FOUND;
		return;
	}
	if (reply->outcome != DNS_NOERROR && reply->outcome != DNS_NODATA &&
	    reply->outcome != DNS_NXDOMAIN) {
		v->state = CAA_VIEW_FAILED;
		v->why = reply->outcome;
		return;
	}
	dot = strchr(v->at, '.');
	if (dot == NULL) { /* the TLD had none either */
		v->state = CAA_VIEW_NONE;
		return;
	}
	memmove(v->at, dot + 1, strlen(dot + 1) + 1);
	view_ask(v);
}

static void view_ask(struct audit_caa_view *v)
{
	struct audit_run *run = v->run;

	(void)dns_query(run->dns, run->resolvers[v->resolver], v->at, DNS_TYPE_CAA, 1, view_done,
	                v);
}

/* Add the name raw of certificate ci to the climb (its views not started). */
static struct audit_caa_name *name_add(struct audit_run *run, size_t ci, const char *raw)
{
	struct audit_caa_name *n = NULL;
	int wildcard = strncmp(raw, "*.", 2) == 0;
	size_t i;

	if (run->caa_name_count == run->caa_name_cap) {
		size_t cap = run->caa_name_cap ? run->caa_name_cap * 2 : 32;
		struct audit_caa_name **t = realloc(run->caa_names, cap * sizeof(*t));
		if (t == NULL)
			goto oom;
		run->caa_names = t;
		run->caa_name_cap = cap;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->view = calloc(run->resolver_count, sizeof(*n->view))) == NULL)
		goto oom;
	n->cert = ci;
	n->wildcard = wildcard;
	snprintf(n->name, sizeof(n->name), "%s", raw);
	for (i = 0; i < run->resolver_count; i++) {
		struct audit_caa_view *v = &n->view[i];
		v->run = run;
		v->name = run->caa_name_count;
		v->resolver = i;
		v->state = CAA_VIEW_ASKING;
		if (audit_host_normalise(wildcard ? raw + 2 : raw, v->at, sizeof(v->at)) != 0) {
			v->state = CAA_VIEW_FAILED; /* conf_load refuses such names */
			v->why = DNS_ERROR;
			snprintf(v->at, sizeof(v->at), "%s", wildcard ? raw + 2 : raw);
		}
	}
	run->caa_names[run->caa_name_count++] = n;
	return n;
oom:
	if (n != NULL)
		free(n->view);
	free(n);
	run->oom = 1;
	return NULL;
}

/* Add certificate ci's names to the climb and start it.  0, or -1 when out
 * of memory (run->oom). */
static int cert_begin(struct audit_run *run, size_t ci)
{
	const struct conf_cert *cc = &run->conf->certs[ci];
	size_t j, k, first = run->caa_name_count;

	for (j = 0; j < cc->names.count; j++) {
		if (name_add(run, ci, cc->names.items[j]) == NULL)
			return -1;
	}
	/* Asked once the certificate's names are all in the table: a query may
	 * complete before dns_query() returns. */
	for (j = first; j < run->caa_name_count; j++) {
		for (k = 0; k < run->resolver_count; k++) {
			if (run->caa_names[j]->view[k].state == CAA_VIEW_ASKING)
				view_ask(&run->caa_names[j]->view[k]);
		}
	}
	return 0;
}

void audit_caa_begin(struct audit_run *run)
{
	const struct conf *c = run->conf;
	size_t i;

	if (c == NULL || c->cert_count == 0)
		return;
	run->caa_cas = calloc(c->ca_count + 1, sizeof(*run->caa_cas));
	if (run->caa_cas == NULL) {
		run->oom = 1;
		return;
	}
	for (i = 0; i < c->cert_count; i++) {
		if (cert_begin(run, i) != 0)
			return;
	}
}

void audit_caa_free(struct audit_run *run)
{
	size_t i, k;

	for (i = 0; i < run->caa_name_count; i++) {
		for (k = 0; k < run->resolver_count; k++)
			free(run->caa_names[i]->view[k].rr);
		free(run->caa_names[i]->view);
		free(run->caa_names[i]);
	}
	free(run->caa_names);
	free(run->caa_cas);
	run->caa_names = NULL;
	run->caa_cas = NULL;
	run->caa_name_count = 0;
}

/* ---------------------------------------------------------------- the CAs */

/* The issuer domain names in ca's ACME directory (RFC 8555 section 7.1.1,
 * meta.caaIdentities) into x; x->why says why there are none.  The audit
 * sits beside acme/ (HACKING 2), so it reads the directory itself, with the
 * CA's trust and the configuration's ACME timeouts; nothing else of the
 * directory is used. */
static void directory_identities(const struct conf *conf, const struct conf_ca *ca,
                                 struct audit_caa_ca *x)
{
	struct http_client *http = NULL;
	struct http_request req;
	struct http_options opt;
	json_t *dir = NULL, *list;
	char safe[HTTP_DETAIL_MAX];
	size_t i;

	http_options_default(&opt);
	opt.connect_timeout_ms = conf->acme_connect_timeout * 1000;
	opt.timeout_ms = conf->acme_timeout * 1000;
	opt.body_limit = CAA_DIRECTORY_MAX;
	opt.ca_file = ca->ca_bundle;
	if ((http = http_client_new(&opt, NULL, NULL)) == NULL ||
	    http_request_init(&req, ca->directory) != 0) {
		audit_text_set(x->why, sizeof(x->why), "out of memory or URL too long");
		http_client_free(http);
		return;
	}
	if (http_perform(http, &req) != 0 || req.outcome != HTTP_OUTCOME_OK) {
		audit_text_set(x->why, sizeof(x->why),
		               "its directory could not be read (%s: %s); set caa_identities",
		               http_outcome_name(req.outcome),
		               log_safe(safe, sizeof(safe), req.detail));
		goto out;
	}
	/* (json_is_object() is a macro that evaluates its argument twice) */
	if (req.status == 200)
		dir = json_loadb((const char *)req.body.data, req.body.len, 0, NULL);
	if (!json_is_object(dir)) {
		audit_text_set(x->why, sizeof(x->why),
		               "its directory could not be read (HTTP %ld, not a JSON object); set "
		               "caa_identities",
		               req.status);
		goto out;
	}
	list = json_object_get(json_object_get(dir, "meta"), "caaIdentities");
	for (i = 0; i < json_array_size(list) && x->id_count < AUDIT_CAA_IDS_MAX; i++) {
		const char *id = json_string_value(json_array_get(list, i));
		if (id != NULL && audit_host_normalise(id, x->ids[x->id_count], DNS_NAME_MAX) == 0)
			x->id_count++;
	}
	if (x->id_count == 0)
		audit_text_set(x->why, sizeof(x->why),
		               "its directory lists no meta.caaIdentities; set caa_identities");
out:
	json_decref(dir);
	http_request_cleanup(&req);
	http_client_free(http);
}

/* Fill run->caa_cas[i] (once): identities from caa_identities, else the
 * directory (only when records make them matter: need), and the account
 * URL. */
static void ca_load(struct audit_run *run, size_t i, int need)
{
	const struct conf_ca *ca = &run->conf->cas[i];
	struct audit_caa_ca *x = &run->caa_cas[i];
	size_t j;

	if (x->loaded || (!need && ca->caa_identities.count == 0))
		return;
	x->loaded = 1;
	audit_store_account_url(run->conf->store, ca->name, ca->directory, x->account,
	                        sizeof(x->account));
	if (ca->caa_identities.count == 0) {
		directory_identities(run->conf, ca, x);
		return;
	}
	for (j = 0; j < ca->caa_identities.count && j < AUDIT_CAA_IDS_MAX; j++)
		snprintf(x->ids[x->id_count++], DNS_NAME_MAX, "%s", ca->caa_identities.items[j]);
}

/* ---------------------------------------------------------------- findings */

/* What one CA of a certificate got over every name and resolver. */
struct ca_outcome {
	int forbidden, unknown;
	char text[AUDIT_EVIDENCE_MAX / 2]; /* the first forbidding record, with where */
};

static const char *challenge_method(enum conf_challenge ch)
{
	return ch == CHALLENGE_DNS_01 ? "dns-01" : "http-01";
}

static void append(char *dst, size_t dstlen, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *dst, size_t dstlen, const char *sep, const char *fmt, ...)
{
	size_t used = strlen(dst);
	va_list ap;
	int w;

	if (used > 0) {
		w = snprintf(dst + used, dstlen - used, "%s", sep);
		if (w < 0 || (size_t)w >= dstlen - used)
			return;
		used += (size_t)w;
	}
	va_start(ap, fmt);
	vsnprintf(dst + used, dstlen - used, fmt, ap);
	va_end(ap);
}

/* Whether the ", "-separated list has item. */
static int list_has(const char *list, const char *item)
{
	size_t l = strlen(item);
	const char *p = list;

	while ((p = strstr(p, item)) != NULL) {
		if ((p == list || (p >= list + 2 && p[-2] == ',' && p[-1] == ' ')) &&
		    (p[l] == '\0' || p[l] == ','))
			return 1;
		p += l;
	}
	return 0;
}

/* Decide CA ca for name n as resolver view v sees it, into o. */
static void decide_one(struct audit_run *run, const struct audit_caa_name *n,
                       const struct audit_caa_view *v, size_t ca, struct ca_outcome *o)
{
	const struct audit_caa_ca *x = &run->caa_cas[ca];
	const char *ids[AUDIT_CAA_IDS_MAX];
	struct caa_record rr[DNS_REPLY_CAA_MAX];
	struct caa_request req;
	struct caa_decision d;
	char rec[CAA_TEXT_MAX];
	size_t i;

	if (v->state != CAA_VIEW_FOUND || o->forbidden)
		return;
	for (i = 0; i < x->id_count; i++)
		ids[i] = x->ids[i];
	for (i = 0; i < v->rr_count; i++) {
		rr[i].flags = v->rr[i].flags;
		rr[i].tag = v->rr[i].tag;
		rr[i].value = v->rr[i].value;
	}
	memset(&req, 0, sizeof(req));
	req.wildcard = n->wildcard;
	req.identities = ids;
	req.identity_count = x->id_count;
	req.account_url = x->account;
	req.method = challenge_method(run->conf->certs[n->cert].challenge);
	caa_decide(rr, v->rr_count, &req, &d);
	/* Without identities only what names no CA can be decided: a critical
	 * unknown tag, or no record governing this kind of name. */
	if (x->id_count == 0 && d.reason != CAA_CRITICAL_UNKNOWN &&
	    d.reason != CAA_NOT_RESTRICTED) {
		o->unknown = 1;
		return;
	}
	if (d.verdict != CAA_FORBIDDEN)
		return;
	o->forbidden = 1;
	caa_record_format(&rr[d.record], rec, sizeof(rec));
	audit_text_set(o->text, sizeof(o->text), "%s (%s: at %s%s%s, for %s, resolver %s)", rec,
	               caa_reason_text(d.reason), v->at, v->cname[0] ? " via CNAME " : "", v->cname,
	               n->name, run->resolvers[v->resolver]);
}

/* The findings of certificate ci, whose names are caa_names[from..to). */
static void cert_findings(struct audit_run *run, struct audit_report *r, size_t ci, size_t from,
                          size_t to)
{
	const struct conf_cert *cc = &run->conf->certs[ci];
	char subject[DNS_NAME_MAX + 16], source[AUDIT_RESOLVERS_MAX * DNS_SERVER_MAX];
	char failed[AUDIT_EVIDENCE_MAX] = "", allowed[AUDIT_EVIDENCE_MAX / 2] = "";
	char found[AUDIT_EVIDENCE_MAX / 2] = "";
	struct ca_outcome *o = NULL;
	size_t i, k, j;
	int any_records = 0;

	audit_text_set(subject, sizeof(subject), "certificate %s", cc->name);
	source[0] = '\0';
	for (k = 0; k < run->resolver_count; k++)
		append(source, sizeof(source), " ", "%s", run->resolvers[k]);
	o = calloc(cc->cas.count + 1, sizeof(*o));
	if (o == NULL) {
		run->oom = 1;
		return;
	}
	for (i = from; i < to; i++) {
		const struct audit_caa_name *n = run->caa_names[i];
		for (k = 0; k < run->resolver_count; k++) {
			const struct audit_caa_view *v = &n->view[k];
			if (v->state == CAA_VIEW_FAILED)
				append(failed, sizeof(failed), "; ", "%s on %s: %s at %s", n->name,
				       run->resolvers[k], dns_outcome_name(v->why), v->at);
			if (v->state == CAA_VIEW_FOUND) {
				any_records = 1;
				if (!list_has(found, v->at))
					append(found, sizeof(found), ", ", "%s", v->at);
			}
		}
	}
	for (j = 0; j < cc->cas.count; j++) {
		const struct conf_ca *ca = conf_ca_find(run->conf, cc->cas.items[j]);
		size_t cai = ca ? (size_t)(ca - run->conf->cas) : (size_t)-1;
		if (cai == (size_t)-1)
			continue;
		ca_load(run, cai, any_records);
		for (i = from; i < to; i++) {
			for (k = 0; k < run->resolver_count; k++)
				decide_one(run, run->caa_names[i], &run->caa_names[i]->view[k], cai,
				           &o[j]);
		}
		if (o[j].forbidden && j == 0)
			audit_report_add(r, subject, AUDIT_CHECK_CAA, AUDIT_CRITICAL, source,
			                 "ca %s may not issue: CAA %s; issuance will fail",
			                 ca->name, o[j].text);
		else if (o[j].forbidden)
			audit_report_add(r, subject, AUDIT_CHECK_CAA, AUDIT_WARNING, source,
			                 "failover to backup ca %s would be refused by CAA: %s",
			                 ca->name, o[j].text);
		else if (o[j].unknown)
			audit_report_add(r, subject, AUDIT_CHECK_CAA, AUDIT_UNKNOWN, source,
			                 "cannot tell whether ca %s may issue: %s", ca->name,
			                 run->caa_cas[cai].why);
		else if (failed[0] == '\0')
			append(allowed, sizeof(allowed), ", ", "ca %s", ca->name);
	}
	if (failed[0] != '\0')
		audit_report_add(r, subject, AUDIT_CHECK_CAA, AUDIT_UNKNOWN, source,
		                 "CAA lookup failed (not the same as no CAA): %s", failed);
	if (allowed[0] != '\0')
		audit_report_add(
		    r, subject, AUDIT_CHECK_CAA, AUDIT_OK, source, "may issue: %s (%s%s)", allowed,
		    any_records ? "CAA records at " : "no CAA records", any_records ? found : "");
	free(o);
}

int audit_caa_findings(struct audit_run *run, struct audit_report *r)
{
	size_t i = 0, from;

	while (i < run->caa_name_count) {
		from = i;
		while (i < run->caa_name_count &&
		       run->caa_names[i]->cert == run->caa_names[from]->cert)
			i++;
		cert_findings(run, r, run->caa_names[from]->cert, from, i);
		if (run->oom)
			return -1;
	}
	return r->failed ? -1 : 0;
}

/* ---------------------------------------------------------------- before a failover */

enum audit_caa_answer audit_caa_may_issue(const struct conf *conf, const struct conf_cert *cert,
                                          const char *ca_name, char *why, size_t whylen)
{
	enum audit_caa_answer ans = AUDIT_CAA_UNKNOWN;
	char *resolver_ptrs[AUDIT_RESOLVERS_MAX];
	struct pollfd pfd[64];
	struct dns_options dopt;
	struct audit_run run;
	struct ca_outcome o;
	const struct conf_ca *ca = conf_ca_find(conf, ca_name);
	size_t i, k, n, ci, cai;
	int any_records = 0, failed = 0, t;

	memset(&run, 0, sizeof(run));
	memset(&o, 0, sizeof(o));
	audit_text_set(why, whylen, "CAA could not be checked");
	if (ca == NULL || cert < conf->certs || cert >= conf->certs + conf->cert_count)
		return AUDIT_CAA_UNKNOWN;
	ci = (size_t)(cert - conf->certs);
	cai = (size_t)(ca - conf->cas);
	run.conf = conf;
	for (i = 0; i < conf->resolvers.count && run.resolver_count < AUDIT_RESOLVERS_MAX; i++) {
		if (dns_server_parse(conf->resolvers.items[i], run.resolvers[run.resolver_count],
		                     DNS_SERVER_MAX) == 0)
			run.resolver_count++;
	}
	if (run.resolver_count == 0)
		run.resolver_count = dns_system_resolvers(run.resolvers, AUDIT_RESOLVERS_MAX);
	if (run.resolver_count == 0) {
		audit_text_set(why, whylen, "no resolver configured or found");
		return AUDIT_CAA_UNKNOWN;
	}
	for (i = 0; i < run.resolver_count; i++)
		resolver_ptrs[i] = run.resolvers[i];
	dns_options_default(&dopt);
	run.dns = dns_client_new(&dopt, resolver_ptrs, run.resolver_count);
	run.caa_cas = calloc(conf->ca_count + 1, sizeof(*run.caa_cas));
	if (run.dns == NULL || run.caa_cas == NULL || cert_begin(&run, ci) != 0)
		goto out;
	while (dns_client_pending(run.dns) > 0) {
		n = dns_client_fds(run.dns, pfd, sizeof(pfd) / sizeof(pfd[0]));
		t = dns_client_timeout_ms(run.dns);
		(void)poll(pfd, (nfds_t)n, t >= 0 && t < 250 ? (t == 0 ? 1 : t) : 250);
		dns_client_process(run.dns, pfd, n);
	}
	if (run.oom)
		goto out;
	for (i = 0; i < run.caa_name_count; i++) {
		for (k = 0; k < run.resolver_count; k++) {
			any_records |= run.caa_names[i]->view[k].state == CAA_VIEW_FOUND;
			failed |= run.caa_names[i]->view[k].state == CAA_VIEW_FAILED;
		}
	}
	ca_load(&run, cai, any_records);
	for (i = 0; i < run.caa_name_count; i++) {
		for (k = 0; k < run.resolver_count; k++)
			decide_one(&run, run.caa_names[i], &run.caa_names[i]->view[k], cai, &o);
	}
	if (o.forbidden) {
		ans = AUDIT_CAA_REFUSED;
		audit_text_set(why, whylen, "%s", o.text);
	} else if (o.unknown) {
		audit_text_set(why, whylen, "%s", run.caa_cas[cai].why);
	} else if (failed) {
		audit_text_set(why, whylen, "a CAA lookup failed");
	} else {
		ans = AUDIT_CAA_MAY_ISSUE;
		audit_text_set(why, whylen, "%s", any_records ? "authorized" : "no CAA records");
	}
out:
	dns_client_free(run.dns);
	audit_caa_free(&run);
	return ans;
}

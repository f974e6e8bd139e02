/*
 * holdfast status: the state of every configured certificate, from the
 * store alone (works whether or not the daemon runs): the certificate and
 * its CA, expiry and next renewal, the staple and its validity, the last
 * errors, and what the daemon last reported.
 * The exit code is the worst state (util/result.h's ranking): a missing,
 * expired or placeholder certificate or a revoked one is CRITICAL; a
 * certificate past its renewal time, without a valid staple, whose last
 * deploy (any target or the hook) or last check on the wire failed, whose
 * server at verify_addr does not serve what the store holds (status looks
 * itself, one handshake per such certificate), whose stored set is
 * unreadable, or with a recent error is WARNING.  Besides the certificates:
 *   - the daemon's heartbeat (state_heartbeat_result()): WARNING when it
 *     stopped or missed beats, CRITICAL when it has been silent longer than
 *     the shortest margin of what it keeps; no line when no daemon ever ran
 *     on this store;
 *   - a state file that is not what it should be (daemon.idx, daemon.json,
 *     endpoints.json): WARNING naming the file; what it says is not used;
 *   - no [certificate] at all: UNKNOWN, "no certificates configured".
 *
 * What the daemon reported is read from its state index (STORE/state/
 * daemon.idx and its journal, daemon/state_index.h), one certificate at a
 * time, so memory does not grow with the number of certificates beyond the
 * configuration itself (daemon.json is ~485 bytes a certificate, 48 MB at
 * 100,000, and status peaked at 280 MiB reading it against 55 MiB through
 * the index: bench/daemon).  Only when there is no index
 * (a daemon older than it) is daemon.json read whole, as before; both give
 * the same "daemon" object.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acme/ari.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "daemon/state_index.h"
#include "deploy/deploy.h"
#include "ocsp/check.h"
#include "ocsp/policy.h"
#include "store/meta.h"
#include "store/store.h"
#include "util/atomic.h"
#include "util/result.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define STATE_FILE_MAX (256 * 1024 * 1024) /* about 550 B per certificate */
#define STATUS_MSG_MAX 600

/* One run of holdfast status. */
struct status_run {
	int as_json;
	int worst;
	time_t now;
	long margin;        /* the shortest margin seen (state_heartbeat_result()), 0: none */
	long outage_margin; /* the configuration's: past renew_deadline() is CRITICAL */
	struct store *store;
	json_t *crl; /* state/crl.json (daemon/crl.c), or NULL */
};

static void note_worse(struct status_run *run, int state)
{
	run->worst = (int)result_worse((enum result)run->worst, (enum result)state);
}

static void note_margin(struct status_run *run, long m)
{
	if (m > 0 && (run->margin == 0 || m < run->margin))
		run->margin = m;
}

static void print_json(json_t *o)
{
	cli_json_line(o, JSON_COMPACT | JSON_SORT_KEYS);
}

/* A state file that is not what it should be: WARNING naming it. */
static void file_problem(struct status_run *run, enum store_state doc, const char *what)
{
	char where[PATH_MAX + 64];

	store_state_where(run->store, doc, where, sizeof(where));
	note_worse(run, EXIT_WARNING);
	if (run->as_json)
		print_json(json_pack("{s:s, s:s, s:s}", "file", where, "result",
		                     exit_code_name(EXIT_WARNING), "message", what));
	else
		printf("WARNING file %s: %s (not used)\n", where, what);
}

/* What the daemon last reported: its index, or daemon.json without one. */
struct daemon_report {
	struct state_index *index;
	json_t *json;
	int ran; /* some daemon wrote one of them */
};

static void daemon_report_open(struct status_run *run, struct daemon_report *r)
{
	memset(r, 0, sizeof(*r));
	if (run->store == NULL)
		return;
	r->index = state_index_open(run->store);
	if (r->index != NULL) {
		r->ran = 1;
		return;
	}
	if (errno == EBADMSG) {
		r->ran = 1;
		file_problem(run, STORE_STATE_DAEMON_INDEX,
		             "not a state index of this version (corrupt, or written by another "
		             "holdfast: restart the daemon)");
	} else if (errno != ENOENT && errno != ENOTSUP) {
		r->ran = 1;
		file_problem(run, STORE_STATE_DAEMON_INDEX, strerror(errno));
	}
	if (r->ran)
		return; /* an index there but unusable: daemon.json is not newer */
	r->json = store_state_json_load(run->store, STORE_STATE_DAEMON, STATE_FILE_MAX);
	if (r->json != NULL)
		r->ran = 1;
	else if (errno != ENOENT) {
		r->ran = 1;
		file_problem(run, STORE_STATE_DAEMON,
		             errno == EBADMSG ? "not a JSON object" : strerror(errno));
	}
}

static void daemon_report_close(struct daemon_report *r)
{
	state_index_close(r->index);
	json_decref(r->json);
}

/* The daemon's object for certificate name (new reference), or NULL. */
static json_t *daemon_report_cert(struct daemon_report *r, const char *name)
{
	struct state_record rec;

	if (r->index != NULL)
		return state_index_find(r->index, name, &rec) == 1 ? state_record_json(&rec) : NULL;
	return json_incref(json_object_get(json_object_get(r->json, "certificates"), name));
}

/* The daemon's last audit summary, {"CRITICAL": n, ...} (new reference), or
 * NULL when it has not audited. */
static json_t *daemon_report_audit(struct daemon_report *r)
{
	unsigned long counts[STATE_AUDIT_COUNTS];
	json_t *a;
	size_t i;

	if (r->index == NULL) {
		a = json_object_get(r->json, "audit");
		return json_is_object(a) ? json_incref(a) : NULL;
	}
	if (!state_index_audit(r->index, counts) || (a = json_object()) == NULL)
		return NULL;
	for (i = 0; i < STATE_AUDIT_COUNTS; i++)
		json_object_set_new(a, state_audit_severity_name(i),
		                    json_integer((json_int_t)counts[i]));
	return a;
}

/* The daemon's last heartbeat and clean stop (0: none); 0 when unknown. */
static time_t daemon_report_heartbeat(struct daemon_report *r, time_t *stopped)
{
	time_t t = 0;

	*stopped = 0;
	if (r->index != NULL)
		return state_index_heartbeat(r->index, stopped);
	if (r->json != NULL) {
		const char *u = json_string_value(json_object_get(r->json, "updated"));
		const char *st = json_string_value(json_object_get(r->json, "stopped"));
		if (u == NULL || time_parse(u, &t) != 0)
			return 0;
		if (st != NULL && time_parse(st, stopped) != 0)
			*stopped = 0;
	}
	return t;
}

/* What the server at the certificate's verify_addr serves, compared with
 * what the store holds: 0 when the same, else -1 with why. */
static int serving_check(const struct conf_cert *c, const struct store_cert *ci,
                         const unsigned char *staple, size_t staple_len, char *why, size_t whylen)
{
	unsigned char *der = NULL;
	int len = i2d_X509(ci->cert, &der), rc;

	if (len <= 0) {
		snprintf(why, whylen, "cannot encode the stored certificate");
		return -1;
	}
	rc = deploy_verify(c->verify_addr, c->names.items[0], der, (size_t)len, staple, staple_len,
	                   why, whylen);
	OPENSSL_free(der);
	return rc;
}

/* The daemon's last CRL check of the certificate the store holds (state/
 * crl.json, for a certificate without OCSP): one line, when there is one for
 * this serial.  good is OK, stale WARNING, unknown UNKNOWN, revoked CRITICAL
 * (the daemon re-issues at once; the new certificate has its own line). */
static void status_cert_crl(struct status_run *run, const struct conf_cert *c,
                            const struct store_cert *ci)
{
	json_t *e = json_object_get(run->crl, c->name);
	const char *state = json_string_value(json_object_get(e, "state"));
	const char *serial = json_string_value(json_object_get(e, "serial"));
	const char *checked = json_string_value(json_object_get(e, "checked_at"));
	const char *this_update = json_string_value(json_object_get(e, "this_update"));
	const char *next_update = json_string_value(json_object_get(e, "next_update"));
	const char *url = json_string_value(json_object_get(e, "url"));
	const char *error = json_string_value(json_object_get(e, "error"));
	const char *reason = json_string_value(json_object_get(e, "reason"));
	const char *revoked_at = json_string_value(json_object_get(e, "revoked_at"));
	time_t tu = 0, ca = 0;
	long age = -1, checked_age = -1;
	char a1[32], a2[32];
	int st;

	if (state == NULL || serial == NULL || ci == NULL || strcmp(serial, ci->serial) != 0)
		return; /* none, or about a certificate the store no longer holds */
	if (strcmp(state, "good") == 0)
		st = EXIT_OK;
	else if (strcmp(state, "stale") == 0)
		st = EXIT_WARNING;
	else if (strcmp(state, "revoked") == 0)
		st = EXIT_CRITICAL;
	else
		st = EXIT_UNKNOWN;
	if (this_update != NULL && time_parse(this_update, &tu) == 0)
		age = (long)(run->now - tu);
	if (checked != NULL && time_parse(checked, &ca) == 0)
		checked_age = (long)(run->now - ca);
	note_worse(run, st);
	if (run->as_json) {
		print_json(json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o}", "cert",
		    c->name, "revocation", "crl", "result", exit_code_name(st), "state", state,
		    "serial", serial, "checked_at", checked ? json_string(checked) : json_null(),
		    "checked_age", checked_age >= 0 ? json_integer(checked_age) : json_null(),
		    "this_update", this_update ? json_string(this_update) : json_null(), "age",
		    age >= 0 ? json_integer(age) : json_null(), "next_update",
		    next_update ? json_string(next_update) : json_null(), "error",
		    error ? error : "", "reason", reason ? json_string(reason) : json_null(), "url",
		    url ? json_string(url) : json_null()));
		return;
	}
	if (strcmp(state, "revoked") == 0)
		cli_line("revocation %s: %s crl revoked; serial=%s reason=%s revoked_at=%s "
		         "checked_at=%s",
		         c->name, exit_code_name(st), serial, reason ? reason : "-",
		         revoked_at ? revoked_at : "-", checked ? checked : "-");
	else if (strcmp(state, "unknown") == 0)
		cli_line("revocation %s: %s crl unknown; serial=%s checked_at=%s error=\"%s\"",
		         c->name, exit_code_name(st), serial, checked ? checked : "-",
		         error ? error : "");
	else
		cli_line("revocation %s: %s crl %s; serial=%s age=%s this_update=%s next_update=%s "
		         "checked_at=%s (%s ago)%s%s",
		         c->name, exit_code_name(st), state, serial,
		         age >= 0 ? duration_format(a1, sizeof(a1), age) : "-",
		         this_update ? this_update : "-", next_update ? next_update : "-",
		         checked ? checked : "-",
		         checked_age >= 0 ? duration_format(a2, sizeof(a2), checked_age) : "-",
		         st == EXIT_OK ? "" : " error=", st == EXIT_OK ? "" : (error ? error : ""));
}

/* One certificate's line. */
static void status_cert(struct status_run *run, struct daemon_report *report,
                        const struct conf_cert *c)
{
	json_t *ds = daemon_report_cert(report, c->name);
	json_t *o = json_object();
	struct store_cert *ci = NULL;
	struct ocsp_verdict v;
	const char *ca = NULL, *msg = "ok";
	char detail[STATUS_MSG_MAX], served[256] = "", t1[32], t2[32];
	int state = EXIT_OK, have, staple_ok = 0, unreadable = 0;
	int serving = -2; /* -2 not checked, 0 serves the stored set, -1 does not */
	time_t renew_at = 0;
	unsigned char *staple = NULL;
	size_t staple_len = 0;

	have = run->store != NULL && (ci = store_cert_load(run->store, c->name)) != NULL;
	unreadable = !have && run->store != NULL && errno == EINVAL;
	memset(&v, 0, sizeof(v));
	if (have) {
		renew_at = ci->meta->renew_at;
		ca = ci->meta->ca;
		if (!ci->meta->placeholder && sk_X509_num(ci->chain) > 0 &&
		    store_version_staple_load(ci->version, &staple, &staple_len) == 0)
			/* Past staple_withdraw_at() the daemon no longer serves it. */
			staple_ok = ocsp_response_check(staple, staple_len, ci->cert,
			                                sk_X509_value(ci->chain, 0), run->now,
			                                &v) == STAPLE_OK &&
			            run->now < staple_withdraw_at(v.this_update, v.next_update);
		if (staple_ok)
			note_margin(run,
			            (long)(v.next_update -
			                   staple_refresh_at(v.this_update, v.next_update, 0)));
		if (renew_at != 0 && !ci->meta->placeholder)
			note_margin(run, (long)(ci->not_after - renew_at));
		if (c->verify_addr != NULL && !ci->meta->placeholder)
			serving = serving_check(c, ci, staple_ok ? staple : NULL,
			                        staple_ok ? staple_len : 0, served, sizeof(served));
	}
	if (unreadable) {
		struct store_version *ver = store_version_open(run->store, c->name);
		char where[PATH_MAX];
		state = EXIT_WARNING;
		snprintf(detail, sizeof(detail), "stored set unreadable: %s",
		         ver ? store_version_where(ver, STORE_ASPECT_COUNT, where, sizeof(where))
		             : c->name);
		store_version_free(ver);
		msg = detail;
	} else if (!have) {
		state = EXIT_CRITICAL;
		msg = "no certificate in the store";
	} else if (ci->meta->placeholder) {
		state = EXIT_CRITICAL;
		msg = "only the temporary placeholder is in place";
	} else if (run->now >= ci->not_after) {
		state = EXIT_CRITICAL;
		msg = "certificate expired";
	} else if (ci->meta->revoked || (staple_ok && v.status == STAPLE_STATUS_REVOKED)) {
		state = EXIT_CRITICAL;
		msg = "certificate revoked";
	} else if (run->now >= renew_deadline(ci->not_before, ci->not_after, run->outage_margin)) {
		state = EXIT_CRITICAL;
		snprintf(detail, sizeof(detail),
		         "expires in %s, less than outage_margin (%s) away: renewal is late",
		         duration_format(t1, sizeof(t1), (long)(ci->not_after - run->now)),
		         duration_format(
		             t2, sizeof(t2),
		             renew_margin(ci->not_before, ci->not_after, run->outage_margin)));
		msg = detail;
	} else if (json_is_true(json_object_get(ds, "deploy_failed"))) {
		json_t *t = json_object_get(ds, "deploy_failed_targets");
		size_t k, at;
		state = EXIT_WARNING;
		at = (size_t)snprintf(detail, sizeof(detail), "last deploy failed:");
		for (k = 0; k < json_array_size(t) && at < sizeof(detail); k++)
			at += (size_t)snprintf(detail + at, sizeof(detail) - at, " %s",
			                       json_string_value(json_array_get(t, k)));
		if (json_array_size(t) == 0)
			snprintf(detail + at, sizeof(detail) - at, " (see the daemon's log)");
		msg = detail;
	} else if (serving == -1) {
		state = EXIT_WARNING;
		snprintf(detail, sizeof(detail), "%s does not serve the stored certificate: %s",
		         c->verify_addr, served);
		msg = detail;
	} else if (renew_at != 0 && run->now >= renew_at) {
		state = EXIT_WARNING;
		msg = "renewal overdue";
	} else if (!staple_ok && json_is_true(json_object_get(ds, "certificate")) &&
	           json_object_get(ds, "next_staple_refresh") != NULL &&
	           !json_is_null(json_object_get(ds, "next_staple_refresh"))) {
		state = EXIT_WARNING;
		msg = "no valid OCSP staple";
	} else if (ci->meta->last_error != NULL) {
		state = EXIT_WARNING;
		msg = "last issuance attempt failed";
	}
	note_worse(run, state);
	if (run->as_json) {
		json_object_set_new(o, "cert", json_string(c->name));
		json_object_set_new(o, "result", json_string(exit_code_name(state)));
		json_object_set_new(o, "message", json_string(msg));
		json_object_set_new(o, "ca", ca ? json_string(ca) : json_null());
		json_object_set_new(o, "serial", have ? json_string(ci->serial) : json_null());
		json_object_set_new(o, "not_after",
		                    have ? json_string(time_format(t1, sizeof(t1), ci->not_after))
		                         : json_null());
		json_object_set_new(o, "renew_at",
		                    renew_at ? json_string(time_format(t2, sizeof(t2), renew_at))
		                             : json_null());
		json_object_set_new(o, "placeholder", json_boolean(have && ci->meta->placeholder));
		json_object_set_new(
		    o, "staple",
		    json_string(staple_ok ? staple_cert_status_name(v.status) : "none"));
		json_object_set_new(o, "staple_this_update",
		                    staple_ok
		                        ? json_string(time_format(t1, sizeof(t1), v.this_update))
		                        : json_null());
		json_object_set_new(o, "staple_next_update",
		                    staple_ok
		                        ? json_string(time_format(t2, sizeof(t2), v.next_update))
		                        : json_null());
		json_object_set_new(o, "last_error",
		                    have && ci->meta->last_error ? json_string(ci->meta->last_error)
		                                                 : json_null());
		if (json_object_get(o, "last_error") == NULL)
			json_object_set_new(o, "last_error", json_null());
		json_object_set_new(
		    o, "serving",
		    serving == -2  ? json_null()
		    : serving == 0 ? json_pack("{s:s, s:s}", "addr", c->verify_addr, "result", "ok")
		                   : json_pack("{s:s, s:s, s:s}", "addr", c->verify_addr, "result",
		                               "mismatch", "error", served));
		json_object_set_new(o, "daemon", ds ? json_incref(ds) : json_null());
		print_json(json_incref(o));
	} else {
		printf("%s %s: %s; ca=%s not_after=%s renew_at=%s staple=%s", exit_code_name(state),
		       c->name, msg, ca ? ca : "-",
		       have ? time_format(t1, sizeof(t1), ci->not_after) : "-",
		       renew_at ? time_format(t2, sizeof(t2), renew_at) : "-",
		       staple_ok ? staple_cert_status_name(v.status) : "none");
		if (staple_ok)
			printf(" staple_next_update=%s",
			       time_format(t1, sizeof(t1), v.next_update));
		if (serving != -2)
			printf(" serving=%s", serving == 0 ? "ok" : "mismatch");
		printf("\n");
	}
	if (have && !ci->meta->placeholder)
		status_cert_crl(run, c, ci);
	free(staple);
	json_decref(o);
	json_decref(ds);
	store_cert_free(ci);
}

/* The daemon's last domain audit: its CRITICAL, UNKNOWN and WARNING
 * findings count toward the exit code (details: holdfast audit). */
static void status_audit(struct status_run *run, struct daemon_report *report)
{
	json_t *a = daemon_report_audit(report);
	long crit = (long)json_integer_value(json_object_get(a, "CRITICAL"));
	long warn = (long)json_integer_value(json_object_get(a, "WARNING"));
	long unk = (long)json_integer_value(json_object_get(a, "UNKNOWN"));
	int st;

	if (!json_is_object(a)) {
		json_decref(a);
		return;
	}
	st = crit > 0 ? EXIT_CRITICAL : unk > 0 ? EXIT_UNKNOWN : warn > 0 ? EXIT_WARNING : EXIT_OK;
	note_worse(run, st);
	if (run->as_json)
		print_json(json_pack("{s:s, s:s, s:O}", "audit", "last", "result",
		                     exit_code_name(st), "findings", a));
	else
		printf("audit: %s critical=%ld warning=%ld unknown=%ld (details: holdfast audit)\n",
		       exit_code_name(st), crit, warn, unk);
	json_decref(a);
}

/* The daemon's heartbeat: is anyone keeping these certificates? */
static void status_heartbeat(struct status_run *run, struct daemon_report *report)
{
	time_t stopped, beat = daemon_report_heartbeat(report, &stopped);
	char msg[STATUS_MSG_MAX], t1[32], t2[32];
	long age = (long)(run->now - beat);
	int st;

	if (!report->ran)
		return; /* no daemon ever ran on this store: cron use */
	if (beat == 0) {
		st = EXIT_WARNING;
		snprintf(msg, sizeof(msg), "no heartbeat in the daemon's state");
	} else {
		st = (int)state_heartbeat_result(run->now, beat, stopped != 0, run->margin);
		if (stopped != 0)
			snprintf(msg, sizeof(msg), "stopped at %s",
			         time_format(t1, sizeof(t1), stopped));
		else if (st == EXIT_OK)
			snprintf(msg, sizeof(msg), "running");
		else
			snprintf(msg, sizeof(msg),
			         "silent since %s (%lds): not running, hung, or "
			         "its store is not writable",
			         time_format(t1, sizeof(t1), beat), age);
		if (st == EXIT_CRITICAL) {
			size_t n = strlen(msg);
			snprintf(msg + n, sizeof(msg) - n,
			         "; longer than the shortest margin it keeps (%lds)", run->margin);
		}
	}
	note_worse(run, st);
	if (run->as_json)
		print_json(json_pack(
		    "{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "daemon", "heartbeat", "result",
		    exit_code_name(st), "message", msg, "heartbeat",
		    beat ? json_string(time_format(t1, sizeof(t1), beat)) : json_null(),
		    "heartbeat_age", beat ? json_integer(age) : json_null(), "stopped",
		    stopped ? json_string(time_format(t2, sizeof(t2), stopped)) : json_null(),
		    "margin", run->margin ? json_integer(run->margin) : json_null()));
	else
		printf("daemon: %s %s; heartbeat=%s\n", exit_code_name(st), msg,
		       beat ? time_format(t1, sizeof(t1), beat) : "-");
}

/* The daemon's last readiness probe of each configured CA (state/
 * probe.json, daemon/probe.c): one line per CA it has probed at its current
 * directory URL; its result counts (a failover to that CA would fail). */
static void status_ca_ready(struct status_run *run, const struct conf *conf)
{
	json_t *doc;
	size_t i;

	if (run->store == NULL)
		return;
	doc = store_state_json_load(run->store, STORE_STATE_PROBE, STATE_FILE_MAX);
	if (doc == NULL) {
		if (errno != ENOENT)
			file_problem(run, STORE_STATE_PROBE,
			             errno == EBADMSG ? "not a JSON object" : strerror(errno));
		return;
	}
	for (i = 0; i < conf->ca_count; i++) {
		const struct conf_ca *ca = &conf->cas[i];
		json_t *e = json_object_get(doc, ca->name);
		const char *res = json_string_value(json_object_get(e, "result"));
		const char *dir = json_string_value(json_object_get(e, "directory"));
		const char *step = json_string_value(json_object_get(e, "step"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		const char *at = json_string_value(json_object_get(e, "probed_at"));
		int st = EXIT_UNKNOWN;

		if (res == NULL || dir == NULL || strcmp(dir, ca->directory) != 0)
			continue; /* never probed, or at another URL than configured now */
		for (int k = EXIT_OK; k <= EXIT_UNKNOWN; k++)
			if (strcmp(res, exit_code_name(k)) == 0)
				st = k;
		note_worse(run, st);
		if (run->as_json)
			print_json(json_pack("{s:s, s:b, s:s, s:s, s:s, s:s}", "ca", ca->name,
			                     "ca_ready", st == EXIT_OK || st == EXIT_WARNING,
			                     "result", exit_code_name(st), "step", step ? step : "",
			                     "reason", reason ? reason : "", "probed_at",
			                     at ? at : ""));
		else
			cli_line("ca_ready %s: %s %s: %s (probed_at=%s)", ca->name,
			         exit_code_name(st), step ? step : "-", reason ? reason : "",
			         at ? at : "-");
	}
	json_decref(doc);
}

static void status_endpoints(struct status_run *run)
{
	json_t *endpoints, *e;
	const char *k;

	if (run->store == NULL)
		return;
	endpoints = store_state_json_load(run->store, STORE_STATE_ENDPOINTS, STATE_FILE_MAX);
	if (endpoints == NULL) {
		if (errno != ENOENT)
			file_problem(run, STORE_STATE_ENDPOINTS,
			             errno == EBADMSG ? "not a JSON object" : strerror(errno));
		return;
	}
	if (run->as_json) {
		json_decref(endpoints);
		return;
	}
	json_object_foreach(endpoints, k, e)
	{
		const char *state = json_string_value(json_object_get(e, "state"));
		const char *until = json_string_value(json_object_get(e, "down_until"));
		const char *why = json_string_value(json_object_get(e, "last_error"));
		printf("endpoint %s: %s", k, state ? state : "?");
		if (until != NULL)
			printf(" until %s (%s)", until, why ? why : "");
		printf("\n");
	}
	json_decref(endpoints);
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH;
	char err[CONF_ERROR_MAX];
	struct status_run run;
	struct conf *conf;
	struct daemon_report report;
	int ch;
	size_t i;

	memset(&run, 0, sizeof(run));
	run.worst = EXIT_OK;
	run.now = time(NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			run.as_json = 1;
			break;
		case 'h':
			printf(
			    "usage: holdfast status [-c FILE] [--json]\n\n"
			    "Per certificate: CA, expiry, next renewal, staple, last deploy and\n"
			    "what verify_addr serves; the daemon's heartbeat; broken state files;\n"
			    "with database =, every fleet node's heartbeat and last deploys.\n"
			    "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (CRITICAL outranks\n"
			    "UNKNOWN; no certificate configured is UNKNOWN).\n");
			return EXIT_OK;
		default:
			fprintf(stderr, "usage: holdfast status [-c FILE] [--json]\n");
			return EXIT_UNKNOWN;
		}
	}
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast status: %s\n", err);
		return EXIT_UNKNOWN;
	}
	if (conf->cert_count == 0) {
		/* Nothing to report is not "OK": a monitor must not go green on an
		 * empty or truncated configuration. */
		if (run.as_json)
			print_json(json_pack("{s:s, s:s, s:s}", "config", conf_path, "result",
			                     "UNKNOWN", "message", "no certificates configured"));
		else
			printf("UNKNOWN %s: no certificates configured\n", conf_path);
		conf_free(conf);
		return EXIT_UNKNOWN;
	}
	run.outage_margin = conf->outage_margin;
	run.store = store_open(conf, 0, err, sizeof(err));
	if (run.store == NULL) {
		note_worse(&run, EXIT_UNKNOWN);
		fprintf(stderr, "holdfast status: %s\n", err);
	}
	daemon_report_open(&run, &report);
	if (run.store != NULL) {
		run.crl = store_state_json_load(run.store, STORE_STATE_CRL, STATE_FILE_MAX);
		if (run.crl == NULL && errno != ENOENT)
			file_problem(&run, STORE_STATE_CRL,
			             errno == EBADMSG ? "not a JSON object" : strerror(errno));
	}
	for (i = 0; i < conf->cert_count; i++)
		status_cert(&run, &report, &conf->certs[i]);
	status_audit(&run, &report);
	status_heartbeat(&run, &report);
	status_ca_ready(&run, conf);
	status_endpoints(&run);
	note_worse(&run, status_fleet_report(conf, run.as_json));
	daemon_report_close(&report);
	json_decref(run.crl);
	store_free(run.store);
	conf_free(conf);
	return run.worst;
}

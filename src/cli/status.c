/*
 * holdfast status: the state of every configured certificate, from the
 * store alone (works whether or not the daemon runs): the certificate and
 * its CA, expiry and next renewal, the staple and its validity, the last
 * errors, and what the daemon last reported.
 * The exit code is the worst state: a missing, expired or placeholder
 * certificate or a revoked one is CRITICAL; a certificate past its renewal
 * time, without a valid staple, or with a recent error is WARNING.
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

#include "cli/cli.h"
#include "conf/conf.h"
#include "daemon/state_index.h"
#include "ocsp/check.h"
#include "ocsp/policy.h"
#include "store/meta.h"
#include "store/store.h"
#include "util/atomic.h"
#include "util/result.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define STATE_FILE_MAX (256 * 1024 * 1024) /* about 550 B per certificate */

static int worse(int a, int b)
{
	return (int)result_worse((enum result)a, (enum result)b);
}

/* What the daemon last reported: its index, or daemon.json without one. */
struct daemon_report {
	struct state_index *index;
	json_t *json;
};

static void daemon_report_open(struct store *store, struct daemon_report *r)
{
	r->index = NULL;
	r->json = NULL;
	if (store == NULL)
		return;
	r->index = state_index_open(store);
	if (r->index == NULL && (errno == ENOENT || errno == ENOTSUP))
		r->json = store_state_json_load(store, STORE_STATE_DAEMON, STATE_FILE_MAX);
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

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH;
	char err[CONF_ERROR_MAX], t1[32], t2[32];
	struct conf *conf;
	struct store *store;
	struct daemon_report report;
	json_t *endpoints;
	int ch, as_json = 0, worst = EXIT_OK;
	time_t now = time(NULL);
	size_t i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			printf("usage: holdfast status [-c FILE] [--json]\n\n"
			       "Per certificate: CA, expiry, next renewal, staple, last errors.\n"
			       "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n");
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
	store = store_open(conf, 0, err, sizeof(err));
	daemon_report_open(store, &report);
	endpoints =
	    store ? store_state_json_load(store, STORE_STATE_ENDPOINTS, STATE_FILE_MAX) : NULL;

	for (i = 0; i < conf->cert_count; i++) {
		const struct conf_cert *c = &conf->certs[i];
		json_t *ds = daemon_report_cert(&report, c->name);
		json_t *o = json_object();
		struct store_cert *ci = NULL;
		struct ocsp_verdict v;
		const char *ca = NULL, *msg = "ok";
		int state = EXIT_OK, have, staple_ok = 0;
		time_t renew_at = 0;
		unsigned char *staple = NULL;
		size_t staple_len = 0;

		have = store != NULL && (ci = store_cert_load(store, c->name)) != NULL;
		memset(&v, 0, sizeof(v));
		if (!have) {
			state = EXIT_CRITICAL;
			msg = "no certificate in the store";
		} else {
			renew_at = ci->meta->renew_at;
			ca = ci->meta->ca;
			if (!ci->meta->placeholder && sk_X509_num(ci->chain) > 0 &&
			    store_version_staple_load(ci->version, &staple, &staple_len) == 0)
				/* Past staple_withdraw_at() the daemon no longer serves it. */
				staple_ok = ocsp_response_check(staple, staple_len, ci->cert,
				                                sk_X509_value(ci->chain, 0), now,
				                                &v) == STAPLE_OK &&
				            now < staple_withdraw_at(v.this_update, v.next_update);
			free(staple);
			if (ci->meta->placeholder) {
				state = EXIT_CRITICAL;
				msg = "only the temporary placeholder is in place";
			} else if (now >= ci->not_after) {
				state = EXIT_CRITICAL;
				msg = "certificate expired";
			} else if (ci->meta->revoked ||
			           (staple_ok && v.status == STAPLE_STATUS_REVOKED)) {
				state = EXIT_CRITICAL;
				msg = "certificate revoked";
			} else if (renew_at != 0 && now >= renew_at) {
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
		}
		worst = worse(worst, state);
		if (as_json) {
			char *line;
			json_object_set_new(o, "cert", json_string(c->name));
			json_object_set_new(o, "result", json_string(exit_code_name(state)));
			json_object_set_new(o, "message", json_string(msg));
			json_object_set_new(o, "ca", ca ? json_string(ca) : json_null());
			json_object_set_new(o, "serial",
			                    have ? json_string(ci->serial) : json_null());
			json_object_set_new(
			    o, "not_after",
			    have ? json_string(time_format(t1, sizeof(t1), ci->not_after))
			         : json_null());
			json_object_set_new(o, "renew_at",
			                    renew_at
			                        ? json_string(time_format(t2, sizeof(t2), renew_at))
			                        : json_null());
			json_object_set_new(o, "placeholder",
			                    json_boolean(have && ci->meta->placeholder));
			json_object_set_new(
			    o, "staple",
			    json_string(staple_ok ? staple_cert_status_name(v.status) : "none"));
			json_object_set_new(
			    o, "staple_this_update",
			    staple_ok ? json_string(time_format(t1, sizeof(t1), v.this_update))
			              : json_null());
			json_object_set_new(
			    o, "staple_next_update",
			    staple_ok ? json_string(time_format(t2, sizeof(t2), v.next_update))
			              : json_null());
			json_object_set_new(o, "last_error",
			                    have && ci->meta->last_error
			                        ? json_string(ci->meta->last_error)
			                        : json_null());
			if (json_object_get(o, "last_error") == NULL)
				json_object_set_new(o, "last_error", json_null());
			json_object_set_new(o, "daemon", ds ? json_incref(ds) : json_null());
			line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
			if (line != NULL)
				printf("%s\n", line);
			free(line);
		} else {
			printf("%s %s: %s; ca=%s not_after=%s renew_at=%s staple=%s",
			       exit_code_name(state), c->name, msg, ca ? ca : "-",
			       have ? time_format(t1, sizeof(t1), ci->not_after) : "-",
			       renew_at ? time_format(t2, sizeof(t2), renew_at) : "-",
			       staple_ok ? staple_cert_status_name(v.status) : "none");
			if (staple_ok)
				printf(" staple_next_update=%s",
				       time_format(t1, sizeof(t1), v.next_update));
			printf("\n");
		}
		json_decref(o);
		json_decref(ds);
		store_cert_free(ci);
	}
	{
		/* The daemon's last domain audit: its CRITICAL and WARNING
		 * findings count toward the exit code (details: holdfast audit). */
		json_t *a = daemon_report_audit(&report);
		long crit = (long)json_integer_value(json_object_get(a, "CRITICAL"));
		long warn = (long)json_integer_value(json_object_get(a, "WARNING"));
		long unk = (long)json_integer_value(json_object_get(a, "UNKNOWN"));
		if (json_is_object(a)) {
			int st = crit > 0   ? EXIT_CRITICAL
			         : unk > 0  ? EXIT_UNKNOWN
			         : warn > 0 ? EXIT_WARNING
			                    : EXIT_OK;
			worst = worse(worst, st);
			if (as_json) {
				char *line;
				json_t *o = json_pack("{s:s, s:s, s:O}", "audit", "last", "result",
				                      exit_code_name(st), "findings", a);
				line = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
				if (line != NULL)
					printf("%s\n", line);
				free(line);
				json_decref(o);
			} else {
				printf("audit: %s critical=%ld warning=%ld unknown=%ld (details: "
				       "holdfast audit)\n",
				       exit_code_name(st), crit, warn, unk);
			}
		}
		json_decref(a);
	}
	if (!as_json && json_is_object(endpoints)) {
		const char *k;
		json_t *e;
		json_object_foreach(endpoints, k, e)
		{
			printf("endpoint %s: %s", k,
			       json_string_value(json_object_get(e, "state"))
			           ? json_string_value(json_object_get(e, "state"))
			           : "?");
			if (json_string_value(json_object_get(e, "down_until")))
				printf(" until %s (%s)",
				       json_string_value(json_object_get(e, "down_until")),
				       json_string_value(json_object_get(e, "last_error"))
				           ? json_string_value(json_object_get(e, "last_error"))
				           : "");
			printf("\n");
		}
	}
	daemon_report_close(&report);
	json_decref(endpoints);
	store_free(store);
	conf_free(conf);
	return worst;
}

/*
 * holdfast probe: is every configured CA ready to issue, should it be
 * needed today?  The work is acme/probe.c's (directory, nonce, account,
 * without ordering anything); this file parses the options, loads the
 * configuration and the store, probes each [ca] section in the order of the
 * file and prints one line per CA:
 *   - text: RESULT CA: STEP: REASON [account=URL];
 *   - or JSON Lines (--json): {"ca", "result", "exit", "step", "reason",
 *     "directory", "account", "account_created", "eab_required",
 *     "eab_configured", "steps": [{"step", "result", "reason"}]};
 *   - exit: the worst CA (util/result.h's ranking): 0 OK, 1 WARNING,
 *     2 CRITICAL, 3 UNKNOWN (also: usage, configuration or store errors, no
 *     [ca] configured).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "acme/probe.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "store/store.h"
#include "util/log.h"
#include "util/result.h"

static void probe_usage(FILE *f)
{
	fprintf(f,
	        "usage: holdfast probe [-c FILE] [--json] [-v]\n"
	        "\n"
	        "Check that every configured CA would issue if it had to, without issuing:\n"
	        "the directory answers and is well-formed, a nonce can be had, and the\n"
	        "account the store holds is valid at the CA (created when there is none,\n"
	        "with external account binding when eab_kid/eab_hmac_key are set).\n"
	        "\n"
	        "  -c, --config FILE   configuration (default %s)\n"
	        "  --json              one JSON object per CA on stdout\n"
	        "  -v                  log each step to stderr (twice: debug)\n"
	        "\n"
	        "Exit: the worst CA: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also a usage,\n"
	        "configuration or store error).\n",
	        CONF_DEFAULT_PATH);
}

static void print_report(const struct probe_report *r, int as_json)
{
	json_t *o, *steps;
	size_t i;

	if (!as_json) {
		cli_line("%s %s: %s: %s%s%s", result_name(r->result), r->ca,
		         probe_step_name(r->step), r->reason, r->account[0] ? " account=" : "",
		         r->account);
		return;
	}
	steps = json_array();
	for (i = 0; i < r->count; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "step",
		                                       probe_step_name(r->findings[i].step),
		                                       "result", result_name(r->findings[i].result),
		                                       "reason", r->findings[i].reason));
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:b, s:b, s:b, s:o}", "ca", r->ca,
	              "result", result_name(r->result), "exit", (int)r->result, "step",
	              probe_step_name(r->step), "reason", r->reason, "directory", r->directory,
	              "account", r->account[0] ? json_string(r->account) : json_null(),
	              "account_created", r->account_created, "eab_required", r->eab_required,
	              "eab_configured", r->eab_configured, "steps", steps);
	cli_json_line(o, JSON_COMPACT | JSON_SORT_KEYS);
}

/* The caa step: the audit's CAA decision (the one failover uses). */
static enum probe_caa_answer probe_caa_check(void *ctx, const struct conf *conf,
                                             const struct conf_cert *cert, const char *ca_name,
                                             char *why, size_t whylen)
{
	(void)ctx;
	switch (audit_caa_may_issue(conf, cert, ca_name, why, whylen)) {
	case AUDIT_CAA_MAY_ISSUE:
		return PROBE_CAA_MAY_ISSUE;
	case AUDIT_CAA_REFUSED:
		return PROBE_CAA_REFUSED;
	case AUDIT_CAA_UNKNOWN:
		break;
	}
	return PROBE_CAA_UNKNOWN;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH;
	char err[CONF_ERROR_MAX];
	struct probe_report report;
	struct conf *conf = NULL;
	struct store *st = NULL;
	enum result worst = RESULT_OK;
	int ch, as_json = 0, verbose = 0;
	size_t i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			probe_usage(stdout);
			return EXIT_OK;
		default:
			probe_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "holdfast probe: unexpected argument \"%s\"\n", argv[optind]);
		probe_usage(stderr);
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast probe: %s\n", err);
		return EXIT_UNKNOWN;
	}
	if (conf->ca_count == 0) {
		/* Nothing probed is not "ready". */
		if (as_json)
			cli_json_line(json_pack("{s:s, s:s, s:i, s:s}", "config", conf_path,
			                        "result", "UNKNOWN", "exit", EXIT_UNKNOWN, "reason",
			                        "no [ca] configured"),
			              JSON_COMPACT | JSON_SORT_KEYS);
		else
			cli_line("UNKNOWN %s: no [ca] configured", conf_path);
		conf_free(conf);
		return EXIT_UNKNOWN;
	}
	/* The account is created in the store when it holds none, as issue
	 * would. */
	st = store_open(conf, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "holdfast probe: %s\n", err);
		conf_free(conf);
		return EXIT_UNKNOWN;
	}
	for (i = 0; i < conf->ca_count; i++) {
		worst = result_worse(
		    worst, probe_ca(conf, &conf->cas[i], st, probe_caa_check, NULL, &report));
		print_report(&report, as_json);
		fflush(stdout);
	}
	store_free(st);
	conf_free(conf);
	return (int)worst;
}

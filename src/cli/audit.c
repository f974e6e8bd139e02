/*
 * holdfast audit: the domains a TLS deployment depends on, checked before
 * they fail it (the 2018 clientHold on the CA's domain is the model).
 *
 * The audit itself is the library's (src/audit/audit.h): this file parses
 * the options, loads the configuration, hands both to audit_run(), prints
 * the report and maps its result to the exit code:
 *   - the table: the findings grouped by domain, worst first, each group
 *     headed by its worst severity and the domain's roles, then a summary;
 *   - or JSON Lines (--json): one object per finding, as the daemon stores
 *     them in STORE/state/audit.jsonl;
 *   - exit: the worst finding, monitoring-plugin style: 0 OK/INFO,
 *     1 WARNING, 2 CRITICAL, 3 UNKNOWN (also when the audit could not be made
 *     or the options are wrong, after saying why on stderr).
 * Text from the network is printed with control bytes replaced.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/dns.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "util/log.h"

static void audit_usage(FILE *f)
{
	fprintf(f,
	        "usage: holdfast audit [-c FILE] [--json] [--resolver IP[:PORT]]...\n"
	        "                      [--rdap-bootstrap URL|FILE] [--store DIR] [-v] [DOMAIN...]\n"
	        "\n"
	        "Audit the domains a TLS deployment depends on: registration status (RDAP:\n"
	        "holds, redemption, expiry, registrar and registry locks), resolution on each\n"
	        "resolver, the delegation as the parent zone's servers publish it, name\n"
	        "server diversity, and changes since the last audit.  Without DOMAIN, audits\n"
	        "the configuration's certificate names, CA endpoints and the OCSP, CA-issuer\n"
	        "and CRL hosts of the stored certificates.\n"
	        "\n"
	        "  -c, --config FILE       configuration (default %s)\n"
	        "  --json                  one JSON object per finding on stdout\n"
	        "  --resolver IP[:PORT]    a resolver to check separately (repeatable; default:\n"
	        "                          the configuration's resolvers, else the system's)\n"
	        "  --rdap-bootstrap SRC    IANA dns.json as URL or file (default %s)\n"
	        "  --store DIR             where the state of the last audit is kept\n"
	        "  -v                      log each step to stderr (twice: debug)\n"
	        "\n"
	        "Exit: worst finding: 0 OK/INFO, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a check\n"
	        "could not be made, or a usage error).\n",
	        CONF_DEFAULT_PATH, AUDIT_BOOTSTRAP_DEFAULT);
}

/* ---------------------------------------------------------------- output */

/* Printable copy for the terminal: no control bytes from the network. */
static const char *clean(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}

static void print_human(const struct audit_report *r)
{
	char ev[AUDIT_EVIDENCE_MAX], src[AUDIT_EVIDENCE_MAX], roles[AUDIT_ROLES_MAX];
	size_t i, counts[AUDIT_SEVERITY_COUNT] = {0}, groups = 0;
	const char *last = NULL;

	for (i = 0; i < r->count; i++) {
		const struct audit_finding *f = &r->items[i];
		if (last == NULL || strcmp(last, f->domain) != 0) {
			const char *rl = audit_report_roles(r, f->domain);
			printf("%s%-8s %s%s%s%s\n", last ? "\n" : "",
			       audit_severity_name(audit_report_domain_worst(r, f->domain)),
			       f->domain, rl[0] ? "  (" : "", clean(roles, sizeof(roles), rl),
			       rl[0] ? ")" : "");
			last = f->domain;
			groups++;
		}
		counts[f->severity]++;
		printf("  %-8s %-16s %s%s%s%s\n", audit_severity_name(f->severity),
		       audit_check_name(f->check), clean(ev, sizeof(ev), f->evidence),
		       f->source[0] ? "  [" : "", clean(src, sizeof(src), f->source),
		       f->source[0] ? "]" : "");
	}
	printf("%s%s: %zu domain%s; %zu critical, %zu unknown, %zu warning, %zu info, %zu ok\n",
	       r->count ? "\n" : "", audit_severity_name(audit_report_worst(r)), groups,
	       groups == 1 ? "" : "s", counts[AUDIT_CRITICAL], counts[AUDIT_UNKNOWN],
	       counts[AUDIT_WARNING], counts[AUDIT_INFO], counts[AUDIT_OK]);
}

/* The report as JSON Lines.  0, or -1 when a finding could not be written
 * (the others are). */
static int print_json(const struct audit_report *r)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->count; i++) {
		char *line = audit_finding_json_new(r, i);
		if (line == NULL)
			rc = -1;
		else
			printf("%s\n", line);
		free(line);
	}
	return rc;
}

/* The monitoring-plugin exit code of a result. */
static int exit_code(enum result res)
{
	switch (res) {
	case RESULT_OK:
		return EXIT_OK;
	case RESULT_WARNING:
		return EXIT_WARNING;
	case RESULT_CRITICAL:
		return EXIT_CRITICAL;
	default:
		return EXIT_UNKNOWN;
	}
}

/* ---------------------------------------------------------------- main */

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"resolver", required_argument, NULL, 'r'},
	    {"rdap-bootstrap", required_argument, NULL, 'b'},
	    {"store", required_argument, NULL, 's'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct audit_report report = {0};
	struct audit_options opt;
	struct conf *conf = NULL;
	const char *conf_path = NULL, *resolvers[AUDIT_RESOLVERS_MAX];
	char err[CONF_ERROR_MAX], norm[DNS_SERVER_MAX];
	size_t resolver_count = 0, i;
	int ch, json = 0, verbose = 0, rc = EXIT_UNKNOWN;
	enum result res;

	audit_options_default(&opt);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			if (resolver_count >= AUDIT_RESOLVERS_MAX) {
				fprintf(stderr, "holdfast audit: at most %d resolvers\n",
				        AUDIT_RESOLVERS_MAX);
				return EXIT_UNKNOWN;
			}
			resolvers[resolver_count++] = optarg;
			break;
		case 'b':
			opt.bootstrap = optarg;
			break;
		case 's':
			opt.store = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			audit_usage(stdout);
			return EXIT_OK;
		default:
			audit_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);

	/* The configuration: named, or the default one (optional when
	 * domains are given on the command line). */
	if (conf_path != NULL || optind >= argc || access(CONF_DEFAULT_PATH, F_OK) == 0) {
		const char *p = conf_path ? conf_path : CONF_DEFAULT_PATH;
		conf = conf_load(p, err, sizeof(err));
		if (conf == NULL) {
			fprintf(stderr, "holdfast audit: %s\n", err);
			goto out;
		}
	}
	for (i = 0; i < resolver_count; i++) {
		if (dns_server_parse(resolvers[i], norm, sizeof(norm)) != 0) {
			fprintf(stderr, "holdfast audit: --resolver %s: expected IP[:PORT]\n",
			        resolvers[i]);
			goto out;
		}
	}
	opt.conf = conf;
	opt.resolvers = resolvers;
	opt.resolver_count = resolver_count;
	opt.domains = (const char *const *)(argv + optind);
	opt.domain_count = optind < argc ? (size_t)(argc - optind) : 0;

	res = audit_run(&opt, &report);
	if (report.aborted) {
		if (report.error[0] != '\0')
			fprintf(stderr, "holdfast audit: %s\n", report.error);
		goto out;
	}
	if (json) {
		if (print_json(&report) != 0)
			goto out;
	} else {
		print_human(&report);
	}
	fflush(stdout);
	rc = exit_code(res);
out:
	audit_report_free(&report);
	conf_free(conf);
	return rc;
}

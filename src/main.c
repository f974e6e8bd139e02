/*
 * holdfast: keeps a site's TLS working when what it depends on fails.
 * main() only dispatches to a subcommand (src/cli/); see holdfast(1).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "cli/cli.h"

#define HOLDFAST_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"staple", cmd_staple, "fetch, validate and store OCSP staples"},
    {"issue", cmd_issue, "issue certificates now, failing over across CAs"},
    {"renew", cmd_renew, "renew the certificates that are due"},
    {"revoke", cmd_revoke, "revoke a certificate at the CA that issued it"},
    {"revocation", cmd_revocation, "is a certificate revoked? (OCSP, else its CRL)"},
    {"run", cmd_run, "the daemon: issue, staple and deploy, unattended"},
    {"status", cmd_status, "state of every certificate (monitoring exit codes)"},
    {"audit", cmd_audit, "audit the domains the deployment depends on"},
    {"probe", cmd_probe, "check that every configured CA would issue (backup readiness)"},
    {"init", cmd_init, "adopt the TLS sites nginx, Apache or HAProxy already serve"},
    {"drill", cmd_drill, "replay a CA, OCSP and DNS outage on local servers"},
    {"store", cmd_store, "fleet mode: the shared PostgreSQL store (import, pull, leases)"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: holdfast COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'holdfast COMMAND --help' describes each; see also holdfast(1).\n"
	           "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_UNKNOWN;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("holdfast %s (%s, %s)\n", HOLDFAST_VERSION, OpenSSL_version(OPENSSL_VERSION),
		       curl_version());
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
				fprintf(stderr, "holdfast: cannot initialise libcurl\n");
				return EXIT_UNKNOWN;
			}
			rc = commands[i].run(argc - 1, argv + 1);
			curl_global_cleanup();
			return rc;
		}
	}
	fprintf(stderr, "holdfast: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_UNKNOWN;
}

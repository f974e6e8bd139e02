/*
 * holdfast drill: replay the 2018 incident (the CA's domain on clientHold, its
 * OCSP responder down for most of a staple's validity, the daemon restarted
 * in the middle) against real local servers in a private network namespace,
 * probing the site every second, and print a timeline and a verdict.
 *
 * The drill orchestrates many programs (two Pebble instances, a DNS server,
 * OCSP responders, nginx, a prober, this daemon), which is a shell script's
 * job: this command finds scripts/drill.sh -- in the source tree, else the
 * copy `meson install` and the Debian package put under
 * DATADIR/holdfast/drill/ -- and replaces itself with it (execv, no shell
 * command line), telling it which holdfast binary to drill.
 * The script exits with the monitoring convention every command uses:
 * 0 PASS, 2 FAIL (CRITICAL), 3 the lab could not be set up (UNKNOWN).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define DRILL_USAGE "usage: holdfast drill [--short] [--plot FILE.svg]\n"

/* The installed drill (meson.build defines it from the prefix). */
#ifndef HOLDFAST_DRILL_SCRIPT
#define HOLDFAST_DRILL_SCRIPT "/usr/local/share/holdfast/drill/scripts/drill.sh"
#endif

/* Writes to dst the drill script to run: $HOLDFAST_DRILL, else
 * scripts/drill.sh of the source tree the binary exe was built in (any
 * build directory directly under it), else the installed one,
 * HOLDFAST_DRILL_SCRIPT.  Returns 0, or -1 when there is none. */
static int drill_script_find(const char *exe, char *dst, size_t len)
{
	const char *env = getenv("HOLDFAST_DRILL");
	const char *slash = strrchr(exe, '/');
	int n;

	if (env != NULL && *env != '\0') {
		n = snprintf(dst, len, "%s", env);
		return n > 0 && (size_t)n < len && access(dst, R_OK) == 0 ? 0 : -1;
	}
	if (slash != NULL) {
		n = snprintf(dst, len, "%.*s/../scripts/drill.sh", (int)(slash - exe), exe);
		if (n > 0 && (size_t)n < len && access(dst, R_OK) == 0)
			return 0;
	}
	n = snprintf(dst, len, "%s", HOLDFAST_DRILL_SCRIPT);
	return n > 0 && (size_t)n < len && access(dst, R_OK) == 0 ? 0 : -1;
}

int cmd_drill(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"short", no_argument, NULL, 's'},
	    {"plot", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char exe[PATH_MAX], script[PATH_MAX];
	char *args[6] = {NULL};
	const char *plot = NULL;
	int a = 2;
	ssize_t n;
	int ch, short_run = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			short_run = 1;
			break;
		case 'p':
			plot = optarg;
			break;
		case 'h':
			printf(
			    DRILL_USAGE
			    "\n"
			    "Replay the 2018 outage against local servers in a private network\n"
			    "namespace: two Pebble CAs (primary and backup), a DNS server, an "
			    "OCSP\n"
			    "responder per CA with short-lived responses, nginx, and `holdfast "
			    "run`.\n"
			    "The primary's domain is taken off the DNS and its responder stopped "
			    "for\n"
			    "90%% of a staple's validity; a new site is added meanwhile (only the\n"
			    "backup can issue it); the daemon is restarted halfway; then "
			    "everything\n"
			    "comes back.  A prober makes a TLS handshake per site every second "
			    "and\n"
			    "checks the certificate chain and the staple.  Prints a timeline and "
			    "a\n"
			    "verdict: handshakes attempted, with a valid certificate, with a "
			    "valid\n"
			    "staple, expired staples served (must be 0), certificates issued via "
			    "the\n"
			    "backup.\n"
			    "\n"
			    "  --short  responses valid 1 minute, not 5 (about 70 s, not 5 "
			    "minutes)\n"
			    "  --plot FILE.svg  also draw the timeline: one row per site "
			    "(certificates,\n"
			    "           staples, handshakes ok/failed), the outage shaded, "
			    "restarts marked\n"
			    "\n"
			    "Needs root and the packages of scripts/install-deps.sh (those the\n"
			    "Debian package suggests); runs scripts/drill.sh from the source "
			    "tree,\n"
			    "else %s (or $HOLDFAST_DRILL).\n"
			    "Exit: 0 PASS, 2 FAIL, 3 the lab could not be set up.\n",
			    HOLDFAST_DRILL_SCRIPT);
			return EXIT_OK;
		default:
			fprintf(stderr, DRILL_USAGE);
			return EXIT_UNKNOWN;
		}
	}
	if (optind != argc) {
		fprintf(stderr, DRILL_USAGE);
		return EXIT_UNKNOWN;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "holdfast drill: cannot find my own binary: %s\n", strerror(errno));
		return EXIT_UNKNOWN;
	}
	exe[n] = '\0';
	if (drill_script_find(exe, script, sizeof(script)) != 0) {
		const char *env = getenv("HOLDFAST_DRILL");
		if (env != NULL && *env != '\0')
			fprintf(stderr, "holdfast drill: HOLDFAST_DRILL=%s cannot be read\n", env);
		else
			fprintf(stderr,
			        "holdfast drill: no scripts/drill.sh in the source tree of %s, "
			        "and %s is not installed (set HOLDFAST_DRILL=PATH)\n",
			        exe, HOLDFAST_DRILL_SCRIPT);
		return EXIT_UNKNOWN;
	}
	if (setenv("HOLDFAST", exe, 1) != 0) {
		fprintf(stderr, "holdfast drill: setenv: %s\n", strerror(errno));
		return EXIT_UNKNOWN;
	}
	args[0] = "bash";
	args[1] = script;
	if (short_run)
		args[a++] = "--short";
	if (plot != NULL) {
		args[a++] = "--plot";
		args[a++] = (char *)plot;
	}
	fflush(stdout);
	execv("/bin/bash", args);
	fprintf(stderr, "holdfast drill: cannot run /bin/bash %s: %s\n", script, strerror(errno));
	return EXIT_UNKNOWN;
}

/*
 * holdfast run: the daemon (src/daemon.c).  In the foreground, logging to
 * stderr, for systemd (Type=simple) or a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "daemon/daemon.h"
#include "util/log.h"

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH;
	int ch, verbose = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			printf(
			    "usage: holdfast run [-c FILE] [-v]\n\n"
			    "Keep every configured certificate issued, stapled and deployed until\n"
			    "SIGTERM.  SIGHUP reloads the configuration (a bad one is refused).\n"
			    "Logs one key=value line per event to stderr.\n");
			return EXIT_OK;
		default:
			fprintf(stderr, "usage: holdfast run [-c FILE] [-v]\n");
			return EXIT_UNKNOWN;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: holdfast run [-c FILE] [-v]\n");
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	return daemon_main(conf_path);
}

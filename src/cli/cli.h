/*
 * cli: one function per subcommand, called by main() with argv starting at
 * the subcommand name.  Each returns the process exit code, following the
 * monitoring-plugin convention below.
 */
#ifndef HOLDFAST_CLI_H
#define HOLDFAST_CLI_H

enum exit_code { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };

#include <jansson.h>

/* Name of the monitoring state for an exit code ("OK", "WARNING", ...). */
const char *exit_code_name(int code);

/* Print one line of text output (a newline is added): formatted, then with
 * URL userinfo redacted and control bytes as \xHH (log_clean()), so a file
 * name with a newline or ESC cannot forge a line or drive the terminal, and
 * a password in a URL is never printed. */
/* holdfast status's fleet lines (cli/status_fleet.c): the database and one
 * line per node; the worst result (EXIT_OK without database =). */
struct conf;
int status_fleet_report(const struct conf *conf, int as_json);

void cli_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print o as one JSON line (json_dumps flags) with URL userinfo redacted;
 * takes the reference.  JSON escapes control bytes itself. */
void cli_json_line(json_t *o, size_t flags);

int cmd_staple(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_revocation(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_drill(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_store(int argc, char **argv);

#endif

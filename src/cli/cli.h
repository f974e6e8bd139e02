/*
 * cli: one function per subcommand, called by main() with argv starting at
 * the subcommand name.  Each returns the process exit code, following the
 * monitoring-plugin convention below.
 */
#ifndef HOLDFAST_CLI_H
#define HOLDFAST_CLI_H

enum exit_code { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };

/* Name of the monitoring state for an exit code ("OK", "WARNING", ...). */
const char *exit_code_name(int code);

int cmd_staple(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_drill(int argc, char **argv);

#endif

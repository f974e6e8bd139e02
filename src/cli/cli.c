/*
 * cli: what every subcommand shares: the mapping of the core's results to
 * process exit codes (the monitoring-plugin convention, cli.h).
 */
#include "cli/cli.h"

#include "util/result.h"

const char *exit_code_name(int code)
{
	return result_name((enum result)code);
}

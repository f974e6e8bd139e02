/*
 * result: the outcome of a check or a job, in the monitoring-plugin order of
 * urgency.  The core (issuer, daemon, staple fetcher, audit) reports these;
 * only src/cli/ turns them into process exit codes (cli.h), so no engine
 * module knows about exit codes.  The numeric values are the exit codes of
 * the monitoring-plugin convention, which the CLI keeps as its contract.
 */
#ifndef HOLDFAST_UTIL_RESULT_H
#define HOLDFAST_UTIL_RESULT_H

enum result { RESULT_OK = 0, RESULT_WARNING = 1, RESULT_CRITICAL = 2, RESULT_UNKNOWN = 3 };

/* "OK", "WARNING", "CRITICAL" or "UNKNOWN" (anything else). */
const char *result_name(enum result r);

#endif

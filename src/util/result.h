/*
 * result: the outcome of a check or a job, in the monitoring-plugin order of
 * urgency.  The core (issuer, daemon, staple fetcher, audit) reports these;
 * only src/cli/ turns them into process exit codes (cli.h), so no engine
 * module knows about exit codes.  The numeric values are the exit codes of
 * the monitoring-plugin convention, which the CLI keeps as its contract.
 *
 * The numeric order is not the order of urgency: one run that found a
 * revoked certificate (CRITICAL) and a file it could not read (UNKNOWN) must
 * exit CRITICAL, or a cron job paging on 2 misses the revocation.  So every
 * command combines results with result_worse(), the one ranking:
 * OK < WARNING < UNKNOWN < CRITICAL (the audit's, audit/report.h).
 */
#ifndef HOLDFAST_UTIL_RESULT_H
#define HOLDFAST_UTIL_RESULT_H

enum result { RESULT_OK = 0, RESULT_WARNING = 1, RESULT_CRITICAL = 2, RESULT_UNKNOWN = 3 };

/* "OK", "WARNING", "CRITICAL" or "UNKNOWN" (anything else). */
const char *result_name(enum result r);

/* The more urgent of a and b: OK < WARNING < UNKNOWN < CRITICAL; a value
 * that is none of the four counts as UNKNOWN. */
enum result result_worse(enum result a, enum result b);

#endif

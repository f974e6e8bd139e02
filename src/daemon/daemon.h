/*
 * daemon: holdfast run, the long-running scheduler.
 *
 * One event loop drives every configured certificate:
 *   - at start the store is loaded and re-validated and whatever is valid is
 *     deployed at once, before any network access;
 *   - issuance and renewal run on worker threads (the issuer module) when a
 *     certificate is missing, a placeholder, due (ARI window or a third of its
 *     lifetime left) or revoked; failures retry with backoff;
 *   - OCSP staples are refreshed at half their validity (minus jitter) from
 *     the certificate's AIA URLs and the configured ocsp_backup URLs; a
 *     failure retries from staple_retry_min doubling to staple_retry_max, but
 *     never later than nextUpdate minus a safety margin; the last valid staple
 *     keeps being served until it expires, and is withdrawn then;
 *   - every change is deployed (nginx, HAProxy, Apache, hook);
 *   - the state is written to STORE/state/daemon.idx (+ .log), the index
 *     holdfast status reads, and to STORE/state/daemon.json (state.c).
 * SIGHUP reloads the configuration (a bad one is refused, the old kept);
 * SIGTERM and SIGINT let in-flight writes finish, then exit.
 */
#ifndef HOLDFAST_DAEMON_H
#define HOLDFAST_DAEMON_H

/* Run until SIGTERM; returns the process exit code. */
int daemon_main(const char *conf_path);

#endif

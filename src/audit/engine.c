/*
 * engine: one audit, top to bottom (see audit.h):
 *   1. the Public Suffix List, the resolvers (given, the configuration's or
 *      the system's), the map (map.c);
 *   2. the clients: c-ares channels per server (dns.h), the RDAP client and
 *      its bootstrap (rdap.h), all owned by this run;
 *   3. the facts, gathered concurrently in one event loop: RDAP for every
 *      domain, and the DNS state machine (delegation.c), whose callbacks
 *      queue more RDAP lookups as the name servers become known;
 *   4. the findings (findings.c), the comparison with the last audit and the
 *      new state (state.c), the roles, the order for printing.
 *
 * Guarantees: a run either produces a complete report, with an UNKNOWN
 * finding for each check that could not be made, or says why there is none
 * (out->aborted); it never reports on half the domains.  Everything it
 * allocated is freed before audit_run() returns.
 */

#include <poll.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "audit/internal.h"
#include "util/log.h"
#include "util/names.h"

#define AUDIT_POLL_MS 250
#define AUDIT_FDS_MAX 1024
/* The role of a domain given to audit, named for the command that gives
 * them: the "roles" of the JSON Lines are part of the output. */
#define AUDIT_ROLE_GIVEN "command line"

void audit_rdap_start(struct audit_run *run, size_t di)
{
	struct audit_domain *d = run->domains[di];

	if (d->rdap_submitted)
		return;
	d->rdap_submitted = 1;
	if (run->bootstrap == NULL) {
		memset(d->rdap, 0, sizeof(*d->rdap));
		d->rdap->outcome = RDAP_UNREACHABLE;
		audit_text_set(d->rdap->detail, sizeof(d->rdap->detail), "no RDAP bootstrap: %s",
		               run->bootstrap_err);
		d->rdap->done = 1;
		return;
	}
	(void)rdap_client_submit(run->rdap, run->bootstrap, d->name, d->rdap);
}

/* Drive DNS and RDAP until neither has anything pending.  0, or -1 when the
 * HTTP client failed (logged). */
static int run_loop(struct audit_run *run)
{
	struct pollfd pfd[AUDIT_FDS_MAX];
	struct curl_waitfd wfd[AUDIT_FDS_MAX];
	int wait, t;
	size_t n, i;

	/* DNS callbacks may queue RDAP lookups, so both counts are read anew
	 * on every round. */
	while (dns_client_pending(run->dns) > 0 || rdap_client_pending(run->rdap) > 0) {
		n = dns_client_fds(run->dns, pfd, AUDIT_FDS_MAX);
		for (i = 0; i < n; i++) {
			wfd[i].fd = pfd[i].fd;
			wfd[i].events =
			    (short)(((pfd[i].events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
			            ((pfd[i].events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
			wfd[i].revents = 0;
		}
		t = dns_client_timeout_ms(run->dns);
		wait = (t >= 0 && t < AUDIT_POLL_MS) ? t : AUDIT_POLL_MS;
		if (dns_client_pending(run->dns) > 0 && wait == 0)
			wait = 1;
		if (rdap_client_step(run->rdap, wfd, (unsigned int)n, wait) < 0) {
			log_error("audit_internal_error", "reason=\"HTTP client failed\"");
			return -1;
		}
		for (i = 0; i < n; i++) {
			pfd[i].revents =
			    (short)(((wfd[i].revents & CURL_WAIT_POLLIN) ? POLLIN : 0) |
			            ((wfd[i].revents & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
		}
		dns_client_process(run->dns, pfd, n);
	}
	return 0;
}

static void run_free(struct audit_run *run)
{
	size_t i;

	/* DNS first: its cancelled callbacks may still queue RDAP lookups and
	 * write into the CAA views. */
	dns_client_free(run->dns);
	audit_caa_free(run);
	rdap_client_free(run->rdap);
	rdap_bootstrap_free(run->bootstrap);
	for (i = 0; i < run->host_count; i++)
		free(run->hosts[i]);
	for (i = 0; i < run->domain_count; i++) {
		free(run->domains[i]->rdap);
		free(run->domains[i]);
	}
	for (i = 0; i < run->zone_count; i++) {
		free(run->zones[i]->waiting);
		free(run->zones[i]);
	}
	free(run->hosts);
	free(run->domains);
	free(run->zones);
	free(run->sets);
	if (run->psl != NULL)
		psl_free(run->psl);
}

/* Add a resolver (once).  0; -1 when spec is not IP[:PORT]; -2 when there
 * are AUDIT_RESOLVERS_MAX already. */
static int add_resolver(struct audit_run *run, const char *spec)
{
	char norm[DNS_SERVER_MAX];
	size_t i;

	if (dns_server_parse(spec, norm, sizeof(norm)) != 0)
		return -1;
	for (i = 0; i < run->resolver_count; i++) {
		if (strcmp(run->resolvers[i], norm) == 0)
			return 0;
	}
	if (run->resolver_count >= AUDIT_RESOLVERS_MAX)
		return -2;
	memcpy(run->resolvers[run->resolver_count++], norm, sizeof(norm));
	return 0;
}

/* The audit could not be made: no findings, and why (fmt NULL: logged). */
static void run_abort(struct audit_report *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void run_abort(struct audit_report *out, const char *fmt, ...)
{
	va_list ap;

	audit_report_free(out);
	out->aborted = 1;
	out->error[0] = '\0';
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
}

/* Resolvers: given, else the configuration's, else the system's.  0, or -1
 * after run_abort(). */
static int run_resolvers(struct audit_run *run, const struct audit_options *opt,
                         struct audit_report *out)
{
	const struct conf *conf = opt->conf;
	size_t i;
	int rc;

	for (i = 0; i < opt->resolver_count; i++) {
		rc = add_resolver(run, opt->resolvers[i]);
		if (rc == -2) {
			run_abort(out, "at most %d resolvers", AUDIT_RESOLVERS_MAX);
			return -1;
		}
		if (rc != 0) {
			run_abort(out, "resolver %s: expected IP[:PORT]", opt->resolvers[i]);
			return -1;
		}
	}
	for (i = 0; opt->resolver_count == 0 && conf && i < conf->resolvers.count; i++) {
		if (add_resolver(run, conf->resolvers.items[i]) != 0) {
			run_abort(out, "%s: resolvers: \"%s\" is not IP[:PORT]", conf->path,
			          conf->resolvers.items[i]);
			return -1;
		}
	}
	if (run->resolver_count == 0)
		run->resolver_count = dns_system_resolvers(run->resolvers, AUDIT_RESOLVERS_MAX);
	if (run->resolver_count == 0) {
		run_abort(out, "no resolver configured or found");
		return -1;
	}
	if (run->resolver_count == 1)
		log_warn(
		    "audit_one_resolver",
		    "resolver=%s reason=\"with one resolver a local outage looks like a global "
		    "one; configure at least two independent resolvers\"",
		    run->resolvers[0]);
	return 0;
}

/* What to audit: the given names, else the configuration's map.  0, or -1
 * after run_abort(). */
static int run_map(struct audit_run *run, const struct audit_options *opt, struct audit_report *out)
{
	size_t i;

	if (opt->domain_count > 0) {
		for (i = 0; i < opt->domain_count; i++) {
			char why[300];
			/* An IP address or a malformed label is refused, not audited as
			 * whatever its last labels look like ("192.0.2.1" is not "2.1"). */
			if (host_check(opt->domains[i], 0, why, sizeof(why)) != 0) {
				run_abort(out, "%s", why);
				return -1;
			}
			if (audit_host_add(run, opt->domains[i], 0, AUDIT_ROLE_GIVEN, 1) != 0) {
				run_abort(out, "\"%s\" is not a domain name", opt->domains[i]);
				return -1;
			}
		}
	} else if (opt->conf != NULL) {
		audit_map_config(run);
	}
	if (run->oom) {
		run_abort(out, "out of memory");
		return -1;
	}
	if (run->domain_count == 0) {
		run_abort(out, "nothing to audit (no names in %s)",
		          opt->conf ? opt->conf->path : "the configuration");
		return -1;
	}
	return 0;
}

/* The DNS and RDAP clients and the bootstrap.  0, or -1 after run_abort();
 * a bootstrap that cannot be had is no failure (each RDAP check is then
 * UNKNOWN, saying why). */
static int run_clients(struct audit_run *run, const struct audit_options *opt, const char *store,
                       struct audit_report *out)
{
	const struct conf *conf = opt->conf;
	const char *source = opt->bootstrap;
	char *resolver_ptrs[AUDIT_RESOLVERS_MAX], cache[PATH_MAX], safe[256];
	struct rdap_options ropt;
	struct dns_options dopt;
	int cached;
	size_t i;

	rdap_options_default(&ropt);
	dns_options_default(&dopt);
	for (i = 0; i < run->resolver_count; i++)
		resolver_ptrs[i] = run->resolvers[i];
	run->dns = dns_client_new(&dopt, resolver_ptrs, run->resolver_count);
	run->rdap = rdap_client_new(&ropt);
	if (run->dns == NULL || run->rdap == NULL) {
		run_abort(out, "cannot set up the DNS or HTTP client");
		return -1;
	}
	if (source == NULL)
		source =
		    conf && conf->rdap_bootstrap ? conf->rdap_bootstrap : AUDIT_BOOTSTRAP_DEFAULT;
	cached = audit_store_bootstrap_cache(store, cache, sizeof(cache)) == 0;
	run->bootstrap = rdap_bootstrap_load(source, cached ? cache : NULL, &ropt.http,
	                                     run->bootstrap_err, sizeof(run->bootstrap_err));
	if (run->bootstrap == NULL)
		log_error("rdap_bootstrap_failed", "source=\"%s\" reason=\"%s\"", source,
		          log_safe(safe, sizeof(safe), run->bootstrap_err));
	return 0;
}

void audit_options_default(struct audit_options *opt)
{
	memset(opt, 0, sizeof(*opt));
}

enum result audit_run(const struct audit_options *opt, struct audit_report *out)
{
	const char *store = opt->store;
	enum result res = RESULT_UNKNOWN;
	struct audit_run run;
	time_t now = opt->now ? opt->now : time(NULL);
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	run.conf = opt->conf;
	if (store == NULL)
		store = opt->conf ? opt->conf->store : AUDIT_STORE_DEFAULT;
	run.psl = psl_latest(NULL);
	if (run.psl == NULL)
		run.psl = (psl_ctx_t *)psl_builtin();
	if (run.psl == NULL)
		log_warn("audit_no_public_suffix_list", "fallback=\"last two labels\"");
	if (run_resolvers(&run, opt, out) != 0 || run_map(&run, opt, out) != 0 ||
	    run_clients(&run, opt, store, out) != 0)
		goto out;

	/* Gather. */
	for (i = 0; i < run.domain_count; i++)
		audit_rdap_start(&run, i);
	audit_dns_begin(&run);
	if (opt->domain_count == 0)
		audit_caa_begin(&run); /* the configuration's certificates */
	if (run_loop(&run) != 0) {
		run_abort(out, NULL);
		goto out;
	}
	if (run.oom) {
		run_abort(out, "out of memory");
		goto out;
	}

	/* Judge, remember, report. */
	if (audit_findings_collect(&run, out, now) != 0 || audit_caa_findings(&run, out) != 0) {
		run_abort(out, "out of memory");
		goto out;
	}
	audit_state_update(&run, out, store, now);
	for (i = 0; i < run.domain_count; i++) {
		if (run.domains[i]->roles[0] != '\0')
			(void)audit_report_roles_set(out, run.domains[i]->name,
			                             run.domains[i]->roles);
	}
	if (out->failed) {
		run_abort(out, "out of memory");
		goto out;
	}
	audit_report_sort(out);
	res = audit_severity_result(audit_report_worst(out));
out:
	run_free(&run);
	return res;
}

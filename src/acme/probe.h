/*
 * probe: backup readiness.  Failover is only as good as the CA it fails
 * over to, and what makes a backup refuse -- an account deactivated at the
 * CA, a CA that began to require external account binding, a directory
 * that moved -- stays silent until the day the primary fails.  probe_ca()
 * takes one configured CA endpoint through every step an issuance takes
 * before its first order, and stops there: nothing is ordered, so nothing
 * is issued and no certificate rate limit is spent.
 *
 *   directory  GET the directory (RFC 8555 7.1.1): a JSON object whose
 *              newNonce, newAccount and newOrder are absolute https URLs;
 *   nonce      HEAD newNonce (7.2) answers with a Replay-Nonce;
 *   account    the account URL the store holds for this CA is fetched with a
 *              POST-as-GET (7.3.2, 6.3) and must be "valid"; when the store
 *              holds none, the account is created (newAccount, 7.3) and
 *              recorded in the store, with external account binding (7.3.4)
 *              when eab_kid/eab_hmac_key are configured.  A directory that
 *              says meta.externalAccountRequired while no EAB is configured
 *              is CRITICAL without sending the doomed newAccount.
 *   caa        for every certificate whose cas lists this CA, the CAA
 *              decision the audit's caa check and the failover use (RFC 8659,
 *              RFC 8657), asked of the caller's probe_caa_fn: the probe does
 *              not do DNS itself (acme/ sits beside audit/, not above it).
 *              Any certificate CAA forbids it for is CRITICAL (a failover to
 *              it would be refused), a lookup that failed UNKNOWN; done
 *              whatever the steps before it said, since DNS is not the CA.
 *
 * The requests go through acme/protocol.c, the client issuance uses, so the
 * probe sees what a failover would see.  probe_ca() only records what each
 * step saw (struct probe_facts); probe_directory_check(), probe_account_plan()
 * and probe_assess() decide what it means, without I/O, and are unit-tested
 * (tests/unit/test_probe.c).  The result of a CA is its worst finding:
 * CRITICAL when a failover to it would fail now, WARNING when it would work
 * but a rebuilt store could not make a new account, UNKNOWN when the store
 * could not be used.
 */
#ifndef HOLDFAST_ACME_PROBE_H
#define HOLDFAST_ACME_PROBE_H

#include <stddef.h>

#include <jansson.h>

#include "acme/protocol.h"
#include "conf/conf.h"
#include "store/store.h"
#include "util/result.h"

#define PROBE_REASON_MAX 768

enum probe_step {
	PROBE_STEP_DIRECTORY,
	PROBE_STEP_NONCE,
	PROBE_STEP_ACCOUNT,
	PROBE_STEP_CAA,
	PROBE_STEP_COUNT
};

/* "directory", "nonce", "account", "caa" ("invalid" for anything else). */
const char *probe_step_name(enum probe_step s);

/* What the account step does, decided from the directory before any request. */
enum probe_account_plan {
	PROBE_ACCOUNT_FETCH,      /* the store holds an account URL: POST-as-GET it */
	PROBE_ACCOUNT_CREATE,     /* none held: newAccount */
	PROBE_ACCOUNT_CREATE_EAB, /* none held: newAccount with external account binding */
	PROBE_ACCOUNT_NEEDS_EAB,  /* none held, the CA requires EAB, none configured: no request */
};

/* What CAA says of one CA for one certificate (the audit's answer). */
enum probe_caa_answer { PROBE_CAA_MAY_ISSUE, PROBE_CAA_REFUSED, PROBE_CAA_UNKNOWN };

/* The CAA decision for [ca ca_name] and cert of conf, from a layer above
 * acme/ (cli/probe.c and daemon/probe.c run audit_caa_may_issue()); why
 * gets the record and where (REFUSED) or what failed (UNKNOWN). */
typedef enum probe_caa_answer (*probe_caa_fn)(void *ctx, const struct conf *conf,
                                              const struct conf_cert *cert, const char *ca_name,
                                              char *why, size_t whylen);

/* The caa step's tally over the certificates that list the CA. */
struct probe_caa_facts {
	size_t checked, refused, unknown;
	const char *refused_cert, *unknown_cert; /* the first of each; borrowed */
	char refused_why[384], unknown_why[256];
};

/* What one request of a step saw. */
struct probe_exchange {
	int done;              /* the request was made */
	enum acme_error error; /* its outcome (ACME_OK) */
	long http_status;      /* of a failing answer, 0 when none */
	char problem[160];     /* its error document's type, "" when none */
	char detail[512];      /* acme_session's detail when not ACME_OK */
};

/* Everything probe_assess() needs: what the configuration and the store
 * say, and what each step saw.  Steps after a failed one are not done. */
struct probe_facts {
	int eab_configured;      /* eab_kid and eab_hmac_key are both set */
	int account_held;        /* the store held an account URL before the probe */
	const json_t *directory; /* the directory when it loaded, else NULL; borrowed */
	struct probe_exchange dir_get;
	struct probe_exchange nonce;
	struct probe_exchange account_new; /* newAccount, when the plan creates */
	struct probe_exchange account_get; /* POST-as-GET of the account URL */
	char account_status[32];           /* the account object's status, "" when none */
	char local_error[256];             /* the store or a key failed us, "" when not */
	struct probe_caa_facts caa;        /* checked 0: no caa step */
};

/* One step's verdict. */
struct probe_finding {
	enum probe_step step;
	enum result result;
	char reason[PROBE_REASON_MAX];
};

/* The readiness of one CA. */
struct probe_report {
	const char *ca;        /* the [ca] section's name; borrowed */
	const char *directory; /* its directory URL; borrowed */
	enum result result;    /* the worst finding */
	enum probe_step step;  /* the step of the first worst finding */
	const char *reason;    /* that finding's reason; points into findings */
	struct probe_finding findings[PROBE_STEP_COUNT];
	size_t count;        /* findings of the steps that ran, in order */
	int eab_required;    /* the directory's meta.externalAccountRequired */
	int eab_configured;  /* as in the facts */
	int account_created; /* this probe created the account (and stored its URL) */
	char account[1024];  /* the account URL, "" when none */
};

/* 0 when dir is a usable ACME directory (an object whose newNonce,
 * newAccount and newOrder are absolute https URLs with a host), else -1
 * with the first defect in why.  Pure. */
int probe_directory_check(const json_t *dir, char *why, size_t whylen);

/* 1 when dir's meta.externalAccountRequired is true.  Pure. */
int probe_eab_required(const json_t *dir);

/* What the account step does for this directory, configuration and store. */
enum probe_account_plan probe_account_plan(const json_t *dir, int eab_configured, int account_held);

/* Turn f into r's findings, r->result, r->step and r->reason (r->ca,
 * r->directory, r->account and r->account_created are the caller's).
 * Returns r->result.  Pure. */
enum result probe_assess(const struct probe_facts *f, struct probe_report *r);

/* Probe ca of conf (see above), using and completing the account st holds
 * for it, with caa (ctx its argument; NULL: no caa step); fills r.
 * Blocking: at most four requests, each bounded by acme_connect_timeout and
 * acme_timeout, and caa's lookups.  Logs one ca_probe line.  Returns
 * r->result. */
enum result probe_ca(const struct conf *conf, const struct conf_ca *ca, struct store *st,
                     probe_caa_fn caa, void *ctx, struct probe_report *r);

#endif

/* Unit tests for backup readiness (acme/probe.h): the directory check, the
 * account plan and the verdicts probe_assess() gives the facts of a probe,
 * one case per way a backup CA can fail. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "acme/probe.h"
#include "tap.h"

static const char DIR_OK[] = "{\"newNonce\":\"https://ca.test/nonce\","
                             "\"newAccount\":\"https://ca.test/acct\","
                             "\"newOrder\":\"https://ca.test/order\"}";
static const char DIR_EAB[] = "{\"newNonce\":\"https://ca.test/nonce\","
                              "\"newAccount\":\"https://ca.test/acct\","
                              "\"newOrder\":\"https://ca.test/order\","
                              "\"meta\":{\"externalAccountRequired\":true}}";

static json_t *load(const char *text)
{
	return json_loads(text, 0, NULL);
}

static void test_directory_check(void)
{
	static const struct {
		const char *json, *want; /* want: NULL = usable, else a word of the reason */
	} cases[] = {
	    {DIR_OK, NULL},
	    {DIR_EAB, NULL},
	    {"[]", "not a JSON object"},
	    {"{\"newNonce\":\"https://a.test/n\",\"newAccount\":\"https://a.test/a\"}",
	     "\"newOrder\""},
	    {"{\"newNonce\":\"http://a.test/n\",\"newAccount\":\"https://a.test/a\","
	     "\"newOrder\":\"https://a.test/o\"}",
	     "\"newNonce\" is not an absolute https URL"},
	    {"{\"newNonce\":\"/acme/nonce\",\"newAccount\":\"https://a.test/a\","
	     "\"newOrder\":\"https://a.test/o\"}",
	     "absolute https"},
	    {"{\"newNonce\":\"https://\",\"newAccount\":\"https://a.test/a\","
	     "\"newOrder\":\"https://a.test/o\"}",
	     "absolute https"},
	    {"{\"newNonce\":\"https://a.test/n\",\"newAccount\":17,"
	     "\"newOrder\":\"https://a.test/o\"}",
	     "no \"newAccount\""},
	};
	char why[256], name[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *d = load(cases[i].json);
		int rc = probe_directory_check(d, why, sizeof(why));
		snprintf(name, sizeof(name), "directory check %zu: %s", i,
		         cases[i].want ? cases[i].want : "usable");
		if (cases[i].want == NULL)
			CHECK(rc == 0 && why[0] == '\0', name);
		else
			CHECK(rc == -1 && strstr(why, cases[i].want) != NULL, name);
		json_decref(d);
	}
	CHECK(probe_directory_check(NULL, why, sizeof(why)) == -1, "no directory is not usable");
}

static void test_account_plan(void)
{
	json_t *ok = load(DIR_OK), *eab = load(DIR_EAB);
	json_t *no = load("{\"meta\":{\"externalAccountRequired\":false}}");

	CHECK(!probe_eab_required(ok) && probe_eab_required(eab) && !probe_eab_required(no) &&
	          !probe_eab_required(NULL),
	      "meta.externalAccountRequired read as a JSON true only");
	CHECK(probe_account_plan(ok, 0, 1) == PROBE_ACCOUNT_FETCH &&
	          probe_account_plan(eab, 0, 1) == PROBE_ACCOUNT_FETCH,
	      "a held account is fetched, EAB or not");
	CHECK(probe_account_plan(ok, 0, 0) == PROBE_ACCOUNT_CREATE, "none held: newAccount");
	CHECK(probe_account_plan(ok, 1, 0) == PROBE_ACCOUNT_CREATE_EAB &&
	          probe_account_plan(eab, 1, 0) == PROBE_ACCOUNT_CREATE_EAB,
	      "none held, EAB configured: newAccount with EAB (also when not required)");
	CHECK(probe_account_plan(eab, 0, 0) == PROBE_ACCOUNT_NEEDS_EAB,
	      "EAB required, none configured, none held: no request at all");
	json_decref(ok);
	json_decref(eab);
	json_decref(no);
}

/* Facts of a probe that went well up to the account step. */
static void facts_up_to_account(struct probe_facts *f, const json_t *dir)
{
	memset(f, 0, sizeof(*f));
	f->directory = dir;
	f->dir_get.done = 1;
	f->nonce.done = 1;
}

static void fail(struct probe_exchange *x, enum acme_error e, long status, const char *problem,
                 const char *detail)
{
	x->done = 1;
	x->error = e;
	x->http_status = status;
	snprintf(x->problem, sizeof(x->problem), "%s", problem);
	snprintf(x->detail, sizeof(x->detail), "%s", detail);
}

static int has(const struct probe_report *r, enum result res, enum probe_step step,
               const char *word)
{
	return r->result == res && r->step == step && strstr(r->reason, word) != NULL;
}

static void test_assess_ready(void)
{
	json_t *ok = load(DIR_OK), *eab = load(DIR_EAB);
	struct probe_facts f;
	struct probe_report r;

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "valid");
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_OK && r.count == 3 &&
	          has(&r, RESULT_OK, PROBE_STEP_ACCOUNT, "account valid"),
	      "held account valid: OK, three steps, the account speaks");
	CHECK(r.findings[0].step == PROBE_STEP_DIRECTORY &&
	          r.findings[1].step == PROBE_STEP_NONCE && r.findings[0].result == RESULT_OK &&
	          r.findings[1].result == RESULT_OK,
	      "steps in order: directory, nonce, account");

	facts_up_to_account(&f, eab);
	f.eab_configured = 1;
	f.account_new.done = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "valid");
	CHECK(probe_assess(&f, &r) == RESULT_OK && r.eab_required && r.eab_configured &&
	          has(&r, RESULT_OK, PROBE_STEP_ACCOUNT, "created and valid (external account"),
	      "account created with EAB: OK");

	/* A held account at a CA that now requires EAB works until the store
	 * is lost: a warning, not "ready". */
	facts_up_to_account(&f, eab);
	f.account_held = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "valid");
	CHECK(probe_assess(&f, &r) == RESULT_WARNING &&
	          has(&r, RESULT_WARNING, PROBE_STEP_ACCOUNT, "eab_kid and eab_hmac_key"),
	      "held account, EAB required and not configured: WARNING naming the keys");
	json_decref(ok);
	json_decref(eab);
}

static void test_assess_directory(void)
{
	json_t *bad = load("{\"newNonce\":\"https://a.test/n\"}");
	struct probe_facts f;
	struct probe_report r;

	memset(&f, 0, sizeof(f));
	fail(&f.dir_get, ACME_ERR_PROBLEM, 404, "", "HTTP 404 (no error document): ");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL && r.count == 1 &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_DIRECTORY, "moved"),
	      "directory 404: CRITICAL, it moved; no later step");

	memset(&f, 0, sizeof(f));
	fail(&f.dir_get, ACME_ERR_MALFORMED, 0, "", "response is not a JSON object");
	CHECK(
	    probe_assess(&f, &r) == RESULT_CRITICAL &&
	        has(&r, RESULT_CRITICAL, PROBE_STEP_DIRECTORY, "not answer with an ACME directory"),
	    "directory garbage: CRITICAL");

	memset(&f, 0, sizeof(f));
	fail(&f.dir_get, ACME_ERR_CONNECT, 0, "", "Connection refused");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_DIRECTORY, "unreachable") &&
	          strstr(r.reason, "(connect)") != NULL,
	      "CA down: CRITICAL unreachable (connect)");

	memset(&f, 0, sizeof(f));
	fail(&f.dir_get, ACME_ERR_HTTP_5XX, 503, "", "HTTP 503");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL, "directory 503: CRITICAL");

	memset(&f, 0, sizeof(f));
	f.dir_get.done = 1;
	f.directory = bad;
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL && r.count == 1 &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_DIRECTORY, "\"newAccount\""),
	      "directory without newAccount: CRITICAL naming it");

	memset(&f, 0, sizeof(f));
	snprintf(f.local_error, sizeof(f.local_error), "out of memory");
	CHECK(probe_assess(&f, &r) == RESULT_UNKNOWN &&
	          has(&r, RESULT_UNKNOWN, PROBE_STEP_DIRECTORY, "out of memory"),
	      "nothing could be asked: UNKNOWN");
	json_decref(bad);
}

static void test_assess_nonce(void)
{
	json_t *ok = load(DIR_OK);
	struct probe_facts f;
	struct probe_report r;

	facts_up_to_account(&f, ok);
	fail(&f.nonce, ACME_ERR_MALFORMED, 0, "", "no Replay-Nonce header");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL && r.count == 2 &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_NONCE, "Replay-Nonce") &&
	          r.findings[0].result == RESULT_OK,
	      "no nonce: CRITICAL at the nonce step, the directory OK");
	json_decref(ok);
}

static void test_assess_account(void)
{
	json_t *ok = load(DIR_OK), *eab = load(DIR_EAB);
	struct probe_facts f;
	struct probe_report r;

	/* EAB required, none configured, none held: told without a request. */
	facts_up_to_account(&f, eab);
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "external account binding (EAB") &&
	          strstr(r.reason, "newAccount not sent") != NULL,
	      "EAB required, not configured: CRITICAL, names EAB, no newAccount");

	/* A CA that refuses without saying so in its directory. */
	facts_up_to_account(&f, ok);
	fail(&f.account_new, ACME_ERR_PROBLEM, 403,
	     "urn:ietf:params:acme:error:externalAccountRequired",
	     "HTTP 403 urn:ietf:params:acme:error:externalAccountRequired: no EAB");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "requires external account binding"),
	      "newAccount refused with externalAccountRequired: CRITICAL, names EAB");

	facts_up_to_account(&f, eab);
	f.eab_configured = 1;
	fail(&f.account_new, ACME_ERR_PROBLEM, 400, "urn:ietf:params:acme:error:unauthorized",
	     "HTTP 400 urn:ietf:params:acme:error:unauthorized: JWS verification error");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "eab_hmac_key"),
	      "wrong EAB key: CRITICAL naming eab_kid/eab_hmac_key");

	facts_up_to_account(&f, ok);
	fail(&f.account_new, ACME_ERR_TIMEOUT, 0, "", "timed out");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "newAccount unreachable"),
	      "newAccount timeout: CRITICAL");

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	fail(&f.account_get, ACME_ERR_PROBLEM, 403, "urn:ietf:params:acme:error:unauthorized",
	     "HTTP 403 urn:ietf:params:acme:error:unauthorized: has status \"deactivated\"");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "deactivated or revoked"),
	      "account deactivated (unauthorized): CRITICAL");

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	fail(&f.account_get, ACME_ERR_PROBLEM, 400,
	     "urn:ietf:params:acme:error:accountDoesNotExist",
	     "HTTP 400 urn:ietf:params:acme:error:accountDoesNotExist: no such account");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "does not know the account"),
	      "account unknown at the CA: CRITICAL");

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "revoked");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "\"revoked\""),
	      "account object says revoked: CRITICAL");

	facts_up_to_account(&f, ok);
	snprintf(f.local_error, sizeof(f.local_error), "cannot load or create the account key");
	CHECK(probe_assess(&f, &r) == RESULT_UNKNOWN &&
	          has(&r, RESULT_UNKNOWN, PROBE_STEP_ACCOUNT, "account key"),
	      "store failure: UNKNOWN at the account step");

	/* Not a substring match: "unauthorizedX" is not "unauthorized". */
	facts_up_to_account(&f, ok);
	f.account_held = 1;
	fail(&f.account_get, ACME_ERR_PROBLEM, 400, "urn:x:notaccountDoesNotExist", "HTTP 400");
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_ACCOUNT, "fetching the account refused"),
	      "problem types compare by their last segment");
	json_decref(ok);
	json_decref(eab);
}

/* The caa step: the tally of the caller's CAA answers, after the CA's own. */
static void test_assess_caa(void)
{
	json_t *ok = load(DIR_OK);
	struct probe_facts f;
	struct probe_report r;

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "valid");
	f.caa.checked = 2;
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_OK && r.count == 4 &&
	          r.findings[3].step == PROBE_STEP_CAA && r.findings[3].result == RESULT_OK &&
	          strstr(r.findings[3].reason, "allows this CA for the 2 certificates") != NULL &&
	          has(&r, RESULT_OK, PROBE_STEP_ACCOUNT, "account valid"),
	      "caa allows: a fourth step, OK; the account still speaks for the CA");

	f.caa.refused = 1;
	f.caa.refused_cert = "shop";
	snprintf(f.caa.refused_why, sizeof(f.caa.refused_why), "0 issue \"elsewhere.example\"");
	f.caa.unknown = 1;
	f.caa.unknown_cert = "www";
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL &&
	          has(&r, RESULT_CRITICAL, PROBE_STEP_CAA, "1 of the 2 certificates") &&
	          strstr(r.reason, "shop: 0 issue \"elsewhere.example\"") != NULL &&
	          strstr(r.reason, "failover to it would be refused") != NULL,
	      "caa refuses one certificate: CRITICAL at the caa step, naming it and the record");

	f.caa.refused = 0;
	snprintf(f.caa.unknown_why, sizeof(f.caa.unknown_why), "SERVFAIL from 127.0.0.1");
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_UNKNOWN &&
	          has(&r, RESULT_UNKNOWN, PROBE_STEP_CAA, "www: SERVFAIL"),
	      "caa lookup failed: UNKNOWN at the caa step (SERVFAIL is not 'no CAA')");

	facts_up_to_account(&f, ok);
	fail(&f.account_get, ACME_ERR_PROBLEM, 403, "urn:ietf:params:acme:error:unauthorized",
	     "deactivated");
	f.account_held = 1;
	f.caa.checked = 1;
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_CRITICAL && r.step == PROBE_STEP_ACCOUNT &&
	          r.count == 4 && r.findings[3].result == RESULT_OK,
	      "caa is checked when the account failed: the account's CRITICAL speaks first");

	facts_up_to_account(&f, ok);
	f.account_held = 1;
	f.account_get.done = 1;
	snprintf(f.account_status, sizeof(f.account_status), "valid");
	memset(&r, 0, sizeof(r));
	CHECK(probe_assess(&f, &r) == RESULT_OK && r.count == 3,
	      "no certificate lists the CA: no caa step");
	json_decref(ok);
}

static void test_names(void)
{
	CHECK(strcmp(probe_step_name(PROBE_STEP_DIRECTORY), "directory") == 0 &&
	          strcmp(probe_step_name(PROBE_STEP_NONCE), "nonce") == 0 &&
	          strcmp(probe_step_name(PROBE_STEP_ACCOUNT), "account") == 0 &&
	          strcmp(probe_step_name(PROBE_STEP_CAA), "caa") == 0 &&
	          strcmp(probe_step_name(PROBE_STEP_COUNT), "invalid") == 0,
	      "step names");
}

int main(void)
{
	test_directory_check();
	test_account_plan();
	test_assess_ready();
	test_assess_directory();
	test_assess_nonce();
	test_assess_account();
	test_assess_caa();
	test_names();
	return tap_done();
}

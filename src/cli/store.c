/*
 * holdfast store: fleet mode's store commands (store/pg.h).  Each loads the
 * configuration, which must have database = (fleet mode), connects (the
 * schema is created or migrated at every connect) and opens the local files
 * store (store =) where it needs it:
 *   migrate                 create or migrate the schema, nothing else
 *   import                  move the files store into the database (no
 *                           re-issuance; a second run changes nothing)
 *   pull                    bring the local copy up to date from the database
 *   push NAME --token N     write the local set of NAME under lease token N
 *   lease acquire|renew|release NAME [--token N]
 *   rotate-key --new-key FILE
 * Output: one line per command, text or (--json) one JSON object.
 * Exit: 0 OK; 1 WARNING (a lease held by another node; a set skipped
 * because the other side is newer); 2 CRITICAL (a write refused by the
 * database's fencing, or a certificate that failed); 3 UNKNOWN (usage,
 * configuration, connection, store key).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "store/pg.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

static void store_usage(FILE *f)
{
	fprintf(f,
	        "usage: holdfast store COMMAND [-c FILE] [--json] [-v] [ARGS]\n"
	        "\n"
	        "Fleet mode's shared store (configuration key database =).\n"
	        "\n"
	        "  migrate                      create or migrate the database's schema\n"
	        "  import                       move the files store (store =) into the database\n"
	        "  pull                         install newer sets from the database locally\n"
	        "  push NAME --token N          write the local set of NAME under lease token N\n"
	        "  lease acquire NAME           take NAME's lease when it is free or expired\n"
	        "  lease renew NAME --token N   extend the lease held with token N\n"
	        "  lease release NAME --token N give it up\n"
	        "  rotate-key --new-key FILE    re-seal every private key with FILE's key\n"
	        "\n"
	        "  -c, --config FILE   configuration (default %s)\n"
	        "  --json              one JSON object on stdout\n"
	        "  -v                  log each step to stderr (twice: debug)\n"
	        "\n"
	        "Exit: 0 OK, 1 WARNING (lease held elsewhere; a newer set kept), 2 CRITICAL\n"
	        "(a write refused by the fencing token; a certificate failed), 3 UNKNOWN.\n",
	        CONF_DEFAULT_PATH);
}

/* Print o (taken) as JSON, or text as "RESULT store CMD: TEXT". */
static int report(int as_json, int code, const char *cmd, json_t *o, const char *text)
{
	if (as_json) {
		json_object_set_new(o, "command", json_string(cmd));
		json_object_set_new(o, "result", json_string(exit_code_name(code)));
		json_object_set_new(o, "exit", json_integer(code));
		cli_json_line(o, JSON_COMPACT | JSON_SORT_KEYS);
	} else {
		json_decref(o);
		cli_line("%s store %s: %s", exit_code_name(code), cmd, text);
	}
	return code;
}

static json_t *lease_json(const char *name, const struct fleet_lease *l)
{
	char exp[32] = "";

	if (l->exists && l->expires_at > 0)
		time_format(exp, sizeof(exp), l->expires_at);
	return json_pack("{s:s, s:o, s:o, s:I}", "cert", name, "holder",
	                 l->holder[0] ? json_string(l->holder) : json_null(), "expires_at",
	                 exp[0] ? json_string(exp) : json_null(), "token", (json_int_t)l->token);
}

static int do_lease(struct pg_fleet *f, int as_json, const char *action, const char *name,
                    long long token, int have_token)
{
	char why[PG_WHY_MAX], text[PG_WHY_MAX + 256], cmd[64];
	struct fleet_lease l;
	enum pg_outcome o;
	json_t *j;

	memset(&l, 0, sizeof(l));
	snprintf(cmd, sizeof(cmd), "lease %s", action);
	if (strcmp(action, "acquire") != 0 && !have_token) {
		fprintf(stderr, "holdfast store lease %s: --token N is required\n", action);
		return EXIT_UNKNOWN;
	}
	if (strcmp(action, "acquire") == 0)
		o = pg_lease_acquire(f, name, &l, why, sizeof(why));
	else if (strcmp(action, "renew") == 0)
		o = pg_lease_renew(f, name, token, &l, why, sizeof(why));
	else if (strcmp(action, "release") == 0)
		o = pg_lease_release(f, name, token, why, sizeof(why));
	else {
		fprintf(stderr, "holdfast store lease: unknown action \"%s\"\n", action);
		return EXIT_UNKNOWN;
	}
	if (o == PG_OK && strcmp(action, "release") == 0)
		pg_lease_read(f, name, &l, why, sizeof(why));
	j = lease_json(name, &l);
	json_object_set_new(j, "node", json_string(pg_fleet_node(f)));
	json_object_set_new(j, "outcome", json_string(pg_outcome_name(o)));
	if (o != PG_OK)
		json_object_set_new(j, "reason", json_string(why));
	if (o == PG_OK)
		snprintf(text, sizeof(text), "%s: token %lld, holder %s", name, l.token,
		         l.holder[0] ? l.holder : "(none)");
	else
		snprintf(text, sizeof(text), "%s: %s", name, why);
	return report(as_json,
	              o == PG_OK        ? EXIT_OK
	              : o == PG_REFUSED ? EXIT_WARNING
	                                : EXIT_UNKNOWN,
	              cmd, j, text);
}

static int do_push(struct pg_fleet *f, struct store *local, int as_json, const char *name,
                   long long token)
{
	char why[PG_WHY_MAX] = "", text[PG_WHY_MAX + 256];
	long long version = 0;
	enum pg_outcome o = pg_set_push(f, local, name, token, &version, why, sizeof(why));
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:s}", "cert", name, "node", pg_fleet_node(f),
	                      "token", (json_int_t)token, "version", (json_int_t)version, "outcome",
	                      pg_outcome_name(o));
	int code = o == PG_OK || o == PG_UNCHANGED ? EXIT_OK
	           : o == PG_SKIPPED               ? EXIT_WARNING
	           : o == PG_REFUSED               ? EXIT_CRITICAL
	                                           : EXIT_UNKNOWN;

	if (why[0])
		json_object_set_new(j, "reason", json_string(why));
	snprintf(text, sizeof(text), "%s: %s, version %lld%s%s", name, pg_outcome_name(o), version,
	         why[0] ? ": " : "", why);
	if (o == PG_REFUSED) {
		char safe[PG_WHY_MAX];
		log_error("store_write_refused", "cert=%s token=%lld node=%s reason=\"%s\"", name,
		          token, pg_fleet_node(f), log_safe(safe, sizeof(safe), why));
	}
	return report(as_json, code, "push", j, text);
}

static int do_import(struct pg_fleet *f, struct store *local, int as_json)
{
	struct pg_import_report r;
	char text[512];
	int rc = pg_store_import(f, local, &r);
	json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node",
	                      pg_fleet_node(f), "certificates", (json_int_t)r.certificates, "added",
	                      (json_int_t)r.added, "unchanged", (json_int_t)r.unchanged, "skipped",
	                      (json_int_t)r.skipped, "refused", (json_int_t)r.refused, "failed",
	                      (json_int_t)r.failed, "state_written", (json_int_t)r.state_written,
	                      "state_unchanged", (json_int_t)r.state_unchanged);

	snprintf(text, sizeof(text),
	         "%zu certificates: %zu added, %zu unchanged, %zu skipped (database newer), %zu "
	         "refused, %zu failed; state documents: %zu written, %zu unchanged",
	         r.certificates, r.added, r.unchanged, r.skipped, r.refused, r.failed,
	         r.state_written, r.state_unchanged);
	return report(as_json,
	              rc != 0     ? EXIT_CRITICAL
	              : r.skipped ? EXIT_WARNING
	                          : EXIT_OK,
	              "import", j, text);
}

static int do_pull(struct pg_fleet *f, struct store *local, int as_json)
{
	struct pg_pull_report r;
	char text[512];
	int rc = pg_store_pull(f, local, &r);
	json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node", pg_fleet_node(f),
	                      "certificates", (json_int_t)r.certificates, "installed",
	                      (json_int_t)r.installed, "same", (json_int_t)r.same, "local_newer",
	                      (json_int_t)r.local_newer, "conflict", (json_int_t)r.conflict,
	                      "staples", (json_int_t)r.staples, "failed", (json_int_t)r.failed);

	snprintf(text, sizeof(text),
	         "%zu certificates: %zu installed, %zu same, %zu newer locally, %zu conflicts "
	         "(local kept), %zu staples, %zu failed",
	         r.certificates, r.installed, r.same, r.local_newer, r.conflict, r.staples,
	         r.failed);
	return report(as_json,
	              rc != 0      ? EXIT_CRITICAL
	              : r.conflict ? EXIT_WARNING
	                           : EXIT_OK,
	              "pull", j, text);
}

int cmd_store(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"token", required_argument, NULL, 't'},
	    {"new-key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = CONF_DEFAULT_PATH, *sub, *new_key = NULL;
	char err[CONF_ERROR_MAX + PG_WHY_MAX], why[PG_WHY_MAX], text[PG_WHY_MAX + 128];
	struct conf *conf = NULL;
	struct pg_fleet *f = NULL;
	struct store *local = NULL;
	int ch, as_json = 0, verbose = 0, have_token = 0, applied = 0, version = 0;
	int rc = EXIT_UNKNOWN, npos;
	long long token = 0;
	char *end, **pos;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		store_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_UNKNOWN : EXIT_OK;
	}
	sub = argv[1];
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 't':
			errno = 0;
			token = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || token <= 0) {
				fprintf(stderr,
				        "holdfast store: --token: expected a positive number\n");
				return EXIT_UNKNOWN;
			}
			have_token = 1;
			break;
		case 'k':
			new_key = optarg;
			break;
		case 'h':
			store_usage(stdout);
			return EXIT_OK;
		default:
			store_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	pos = argv + 1 + optind;
	npos = argc - 1 - optind;
	if (!((strcmp(sub, "migrate") == 0 || strcmp(sub, "import") == 0 ||
	       strcmp(sub, "pull") == 0 || strcmp(sub, "rotate-key") == 0) &&
	      npos == 0) &&
	    !(strcmp(sub, "push") == 0 && npos == 1) && !(strcmp(sub, "lease") == 0 && npos == 2)) {
		fprintf(stderr, "holdfast store: unknown command or wrong arguments: %s\n", sub);
		store_usage(stderr);
		return EXIT_UNKNOWN;
	}
	if (strcmp(sub, "push") == 0 && !have_token) {
		fprintf(stderr, "holdfast store push: --token N is required\n");
		return EXIT_UNKNOWN;
	}
	if (strcmp(sub, "rotate-key") == 0 && new_key == NULL) {
		fprintf(stderr, "holdfast store rotate-key: --new-key FILE is required\n");
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast store: %s\n", err);
		return EXIT_UNKNOWN;
	}
	if (conf->database == NULL) {
		fprintf(stderr,
		        "holdfast store: %s: no database = (fleet mode is not configured)\n",
		        conf_path);
		goto out;
	}
	f = pg_fleet_open(conf, &applied, &version, why, sizeof(why));
	if (f == NULL) {
		fprintf(stderr, "holdfast store: %s\n", why);
		goto out;
	}
	if (strcmp(sub, "import") == 0 || strcmp(sub, "pull") == 0 || strcmp(sub, "push") == 0) {
		/* pull installs into the local copy and may find it empty. */
		local =
		    store_open(conf, strcmp(sub, "pull") == 0 ? STORE_CREATE : 0, err, sizeof(err));
		if (local == NULL) {
			fprintf(stderr, "holdfast store: %s\n", err);
			goto out;
		}
	}
	if (strcmp(sub, "migrate") == 0) {
		snprintf(text, sizeof(text), "schema version %d, %d migrations applied", version,
		         applied);
		rc = report(as_json, EXIT_OK, sub,
		            json_pack("{s:i, s:i}", "schema_version", version, "applied", applied),
		            text);
	} else if (strcmp(sub, "import") == 0) {
		rc = do_import(f, local, as_json);
	} else if (strcmp(sub, "pull") == 0) {
		rc = do_pull(f, local, as_json);
	} else if (strcmp(sub, "push") == 0) {
		rc = do_push(f, local, as_json, pos[0], token);
	} else if (strcmp(sub, "lease") == 0) {
		rc = do_lease(f, as_json, pos[0], pos[1], token, have_token);
	} else {
		size_t n = 0;
		if (pg_store_rotate_key(f, new_key, &n, why, sizeof(why)) != 0) {
			fprintf(stderr, "holdfast store rotate-key: %s\n", why);
			goto out;
		}
		snprintf(text, sizeof(text),
		         "%zu keys re-sealed; install the new key as store_key on every node", n);
		rc = report(as_json, EXIT_OK, sub, json_pack("{s:I}", "keys", (json_int_t)n), text);
	}
out:
	store_free(local);
	pg_fleet_free(f);
	conf_free(conf);
	return rc;
}

/*
 * cli/status_fleet: what holdfast status says of a fleet (database =): one
 * line per node from the database's heartbeat rows (store/pg.h) -- its last
 * heartbeat, what it deploys and whether its last deploys and checks of
 * verify_addr succeeded, whether its configuration matches the fleet's --
 * and one line for the database itself.  It writes nothing of its own; opening
 * the store does what it always does (migrations, the store key's check value
 * on a new database).
 *
 * Results: a node silent for longer than FLEET_SILENT seconds, one with a
 * failed deploy or verification, or one whose configuration drifted is
 * WARNING; a node silent for more than a day is reported as gone without
 * counting (a node taken out of the fleet); a database this command cannot
 * reach is UNKNOWN.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/pg.h"
#include "util/result.h"
#include "util/timeutil.h"

#define FLEET_SILENT 35    /* seconds: three missed heartbeats (daemon/fleet.c) */
#define FLEET_GONE   86400 /* seconds: no longer counted */

static long long summary_int(json_t *s, const char *key)
{
	json_t *v = json_object_get(s, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* One node's line; its result. */
static int node_report(const struct pg_node *n, int as_json)
{
	json_t *s = json_loads(n->summary ? n->summary : "{}", 0, NULL);
	long age = (long)(n->db_now - n->heartbeat_at);
	long long deployed = summary_int(s, "deployed"), certs = summary_int(s, "certificates");
	long long dfail = summary_int(s, "deploy_failed"), vfail = summary_int(s, "verify_failed");
	int drift = json_is_true(json_object_get(s, "config_drift"));
	int st = EXIT_OK;
	char msg[256], t[32];

	if (age > FLEET_GONE)
		snprintf(msg, sizeof(msg), "gone: silent for %ld s (not counted)", age);
	else if (age > FLEET_SILENT)
		snprintf(msg, sizeof(msg),
		         "silent for %ld s: not running, or cut off from the "
		         "database",
		         age);
	else if (drift)
		snprintf(msg, sizeof(msg),
		         "its [ca]/[certificate] sections differ from the fleet's");
	else if (dfail > 0 || vfail > 0)
		snprintf(msg, sizeof(msg), "%lld failed deploys, %lld failed verifications", dfail,
		         vfail);
	else
		snprintf(msg, sizeof(msg), "running");
	if (age <= FLEET_GONE && (age > FLEET_SILENT || drift || dfail > 0 || vfail > 0))
		st = EXIT_WARNING;
	if (as_json)
		cli_json_line(
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "node", n->node,
		              "result", exit_code_name(st), "message", msg, "heartbeat",
		              time_format(t, sizeof(t), n->heartbeat_at), "heartbeat_age",
		              (json_int_t)age, "certificates", (json_int_t)certs, "deployed",
		              (json_int_t)deployed, "deploy_failed", (json_int_t)dfail,
		              "verify_failed", (json_int_t)vfail, "config_drift", drift),
		    JSON_COMPACT | JSON_SORT_KEYS);
	else
		cli_line("node %s: %s %s; heartbeat=%s (%lds ago) deployed=%lld/%lld", n->node,
		         exit_code_name(st), msg, time_format(t, sizeof(t), n->heartbeat_at), age,
		         deployed, certs);
	json_decref(s);
	return st;
}

int status_fleet_report(const struct conf *conf, int as_json)
{
	char why[PG_WHY_MAX], msg[PG_WHY_MAX + 64];
	struct pg_fleet *f;
	struct pg_node *nodes = NULL;
	size_t count = 0, i;
	int worst = EXIT_OK, st;

	if (conf->database == NULL)
		return EXIT_OK;
	f = pg_fleet_open(conf, NULL, NULL, why, sizeof(why));
	if (f == NULL || pg_nodes_read(f, &nodes, &count, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "the fleet's database: %s", why);
		st = EXIT_UNKNOWN;
	} else {
		snprintf(msg, sizeof(msg), "the fleet's database answers; %zu nodes", count);
		st = EXIT_OK;
	}
	if (as_json)
		cli_json_line(json_pack("{s:s, s:s, s:s, s:I}", "fleet", "database", "result",
		                        exit_code_name(st), "message", msg, "nodes",
		                        (json_int_t)count),
		              JSON_COMPACT | JSON_SORT_KEYS);
	else
		cli_line("fleet: %s %s", exit_code_name(st), msg);
	worst = st;
	for (i = 0; i < count; i++)
		worst = (int)result_worse((enum result)worst,
		                          (enum result)node_report(&nodes[i], as_json));
	pg_nodes_free(nodes, count);
	pg_fleet_free(f);
	return worst;
}

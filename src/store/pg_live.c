/*
 * pg_live: what a running daemon asks of the fleet database beyond moving
 * certificate sets (pg_sync.c): the notification channel, the shared staple
 * of a set, node heartbeats and the fleet's configuration fingerprint.  See
 * pg.h for the guarantees.
 *
 * Notifications are "set NAME" (a new certificate set was pushed) and
 * "staple NAME" (a newer staple was stored) on channel holdfast; they are
 * hints: a node that misses one (it was disconnected) finds the same state
 * by its periodic poll of pg_set_versions().
 */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define PG_CHANNEL "holdfast"

int pg_notify(struct pg_fleet *f, const char *kind, const char *name, char *why, size_t whylen)
{
	const char *params[2] = {kind, name};

	return pg_run(f, "SELECT pg_notify('" PG_CHANNEL "', $1 || ' ' || $2)", 2, params, NULL,
	              NULL, why, whylen);
}

int pg_fleet_connected(const struct pg_fleet *f)
{
	return f != NULL && f->conn != NULL && PQstatus(f->conn) == CONNECTION_OK;
}

int pg_fleet_listen(struct pg_fleet *f, char *why, size_t whylen)
{
	return pg_exec(f->conn, "LISTEN " PG_CHANNEL, why, whylen);
}

int pg_fleet_socket(const struct pg_fleet *f)
{
	return pg_fleet_connected(f) ? PQsocket(f->conn) : -1;
}

int pg_fleet_consume(struct pg_fleet *f)
{
	if (PQconsumeInput(f->conn) != 1 || PQstatus(f->conn) != CONNECTION_OK)
		return -1;
	return 0;
}

int pg_fleet_notification(struct pg_fleet *f, char *kind, size_t kind_len, char *name,
                          size_t name_len)
{
	PGnotify *n;

	while ((n = PQnotifies(f->conn)) != NULL) {
		const char *sp = strchr(n->extra, ' ');
		int ok = strcmp(n->relname, PG_CHANNEL) == 0 && sp != NULL &&
		         (size_t)(sp - n->extra) < kind_len && strlen(sp + 1) < name_len;

		if (ok) {
			memcpy(kind, n->extra, (size_t)(sp - n->extra));
			kind[sp - n->extra] = '\0';
			memcpy(name, sp + 1, strlen(sp + 1) + 1);
		}
		PQfreemem(n);
		if (ok)
			return 1;
	}
	return 0;
}

int pg_set_versions(struct pg_fleet *f, pg_version_fn fn, void *user, char *why, size_t whylen)
{
	PGresult *r = PQexec(f->conn, "SELECT name, max(version) FROM holdfast_certificate_sets "
	                              "GROUP BY name");
	int i, n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		fn(PQgetvalue(r, i, 0), strtoll(PQgetvalue(r, i, 1), NULL, 10), user);
	PQclear(r);
	return 0;
}

/* The SHA-256 of v's fullchain.pem into sha; 0 or -1. */
static int version_sha(struct store_version *v, char sha[65])
{
	char *pem = NULL;
	size_t len = 0;

	if (store_version_fullchain_load(v, &pem, &len) != 0)
		return -1;
	pg_sha256_hex(pem, len, sha);
	free(pem);
	return sha[0] ? 0 : -1;
}

int pg_staple_read(struct pg_fleet *f, struct store_version *v, const char *name,
                   unsigned char **der, size_t *len, char *why, size_t whylen)
{
	char sha[65];
	const char *params[2] = {name, sha};
	PGresult *r;
	int rc = 0;

	*der = NULL;
	*len = 0;
	if (version_sha(v, sha) != 0) {
		snprintf(why, whylen, "the local fullchain.pem does not read");
		return -1;
	}
	r = PQexecParams(f->conn,
	                 "SELECT st.der FROM holdfast_staples st\n"
	                 "  JOIN holdfast_certificate_sets s USING (name, version)\n"
	                 " WHERE st.name = $1 AND s.fullchain_sha256 = $2\n"
	                 " ORDER BY st.version DESC LIMIT 1",
	                 2, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		rc = -1;
	} else if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) > 0 &&
	           (size_t)PQgetlength(r, 0, 0) <= STORE_STAPLE_MAX) {
		*len = (size_t)PQgetlength(r, 0, 0);
		*der = malloc(*len);
		if (*der == NULL) {
			snprintf(why, whylen, "out of memory");
			rc = -1;
		} else {
			memcpy(*der, PQgetvalue(r, 0, 0), *len);
			rc = 1;
		}
	}
	PQclear(r);
	return rc;
}

enum pg_outcome pg_staple_push(struct pg_fleet *f, struct store_version *v, const char *name,
                               const unsigned char *der, size_t len, char *why, size_t whylen)
{
	char sha[65], tu[32];
	const char *params[4] = {name, sha, (const char *)der, tu};
	int lengths[4] = {0, 0, (int)len, 0};
	time_t this_update = pg_staple_this_update(der, len);
	PGresult *r;
	enum pg_outcome o = PG_ERROR;
	int formats[4] = {0, 0, 1, 0};

	if (this_update == 0 || version_sha(v, sha) != 0) {
		snprintf(why, whylen, "no thisUpdate, or the local set does not read");
		return PG_ERROR;
	}
	snprintf(tu, sizeof(tu), "%lld", (long long)this_update);
	/* One statement: the set the staple is for must be in the database,
	 * and a staple never replaces one with a later thisUpdate. */
	r = PQexecParams(
	    f->conn,
	    "WITH cur AS (SELECT name, version FROM holdfast_certificate_sets\n"
	    "              WHERE name = $1 AND fullchain_sha256 = $2\n"
	    "              ORDER BY version DESC LIMIT 1),\n"
	    " up AS (INSERT INTO holdfast_staples AS st (name, version, der, this_update)\n"
	    "        SELECT name, version, $3, to_timestamp($4::bigint) FROM cur\n"
	    "        ON CONFLICT (name, version) DO UPDATE\n"
	    "          SET der = EXCLUDED.der, this_update = EXCLUDED.this_update,\n"
	    "              updated_at = now()\n"
	    "          WHERE st.this_update IS NULL OR st.this_update < EXCLUDED.this_update\n"
	    "        RETURNING 1)\n"
	    "SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM up),\n"
	    "       CASE WHEN (SELECT count(*) FROM up) > 0\n"
	    "            THEN pg_notify('" PG_CHANNEL "', 'staple ' || $1) END",
	    4, NULL, params, lengths, formats, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pg_error(f->conn, r, NULL, why, whylen);
	} else if (strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
		snprintf(why, whylen, "the database does not hold this certificate set");
		o = PG_SKIPPED;
	} else {
		o = strcmp(PQgetvalue(r, 0, 1), "0") == 0 ? PG_UNCHANGED : PG_OK;
	}
	PQclear(r);
	return o;
}

int pg_node_beat(struct pg_fleet *f, time_t started, const char *fingerprint, const char *summary,
                 char *why, size_t whylen)
{
	char st[32];
	const char *params[4] = {f->node, st, fingerprint, summary};

	snprintf(st, sizeof(st), "%lld", (long long)started);
	return pg_run(f,
	              "INSERT INTO holdfast_nodes AS n (node, started_at, heartbeat_at, "
	              "fingerprint, summary)\n"
	              "VALUES ($1, to_timestamp($2::bigint), now(), $3, $4)\n"
	              "ON CONFLICT (node) DO UPDATE SET started_at = EXCLUDED.started_at,\n"
	              "  heartbeat_at = now(), fingerprint = EXCLUDED.fingerprint,\n"
	              "  summary = EXCLUDED.summary",
	              4, params, NULL, NULL, why, whylen);
}

#define PG_FINGERPRINT_KEY "config_fingerprint"

int pg_fingerprint_check(struct pg_fleet *f, const char *mine, long live_window, char fleet[65],
                         int *drift, char *why, size_t whylen)
{
	char win[32];
	const char *params[4] = {PG_FINGERPRINT_KEY, mine, f->node, win};
	PGresult *r;
	int rc = -1;

	snprintf(win, sizeof(win), "%ld", live_window);
	/* The fleet's fingerprint is the first node's; it follows a change
	 * once every other live node runs the same new configuration (a
	 * rolling update ends), never while one still runs the old one. */
	r = PQexecParams(
	    f->conn,
	    "WITH others AS (SELECT count(*) AS n FROM holdfast_nodes\n"
	    "                 WHERE node <> $3 AND fingerprint <> $2\n"
	    "                   AND heartbeat_at > now() - make_interval(secs => $4::integer)),\n"
	    " put AS (INSERT INTO holdfast_meta AS m (key, value)\n"
	    "         SELECT $1, convert_to($2, 'UTF8') FROM others WHERE n = 0\n"
	    "         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value\n"
	    "         RETURNING convert_from(m.value, 'UTF8') AS v)\n"
	    "SELECT COALESCE((SELECT v FROM put),\n"
	    "  (SELECT convert_from(value, 'UTF8') FROM holdfast_meta WHERE key = $1), '')",
	    4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pg_error(f->conn, r, NULL, why, whylen);
	} else {
		snprintf(fleet, 65, "%s", PQgetvalue(r, 0, 0));
		*drift = strcmp(fleet, mine) != 0;
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int pg_nodes_read(struct pg_fleet *f, struct pg_node **out, size_t *count, char *why, size_t whylen)
{
	PGresult *r = PQexec(f->conn, "SELECT node, extract(epoch FROM started_at)::bigint,\n"
	                              "  extract(epoch FROM heartbeat_at)::bigint, fingerprint,\n"
	                              "  summary, extract(epoch FROM now())::bigint\n"
	                              "  FROM holdfast_nodes ORDER BY node");
	struct pg_node *nodes;
	int i, n;

	*out = NULL;
	*count = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	nodes = calloc(n > 0 ? (size_t)n : 1, sizeof(*nodes));
	if (nodes == NULL) {
		snprintf(why, whylen, "out of memory");
		PQclear(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct pg_node *p = &nodes[i];
		snprintf(p->node, sizeof(p->node), "%s", PQgetvalue(r, i, 0));
		p->started_at = (time_t)strtoll(PQgetvalue(r, i, 1), NULL, 10);
		p->heartbeat_at = (time_t)strtoll(PQgetvalue(r, i, 2), NULL, 10);
		snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", PQgetvalue(r, i, 3));
		p->summary = strdup(PQgetvalue(r, i, 4));
		p->db_now = (time_t)strtoll(PQgetvalue(r, i, 5), NULL, 10);
	}
	PQclear(r);
	*out = nodes;
	*count = (size_t)n;
	return 0;
}

void pg_nodes_free(struct pg_node *nodes, size_t count)
{
	size_t i;

	for (i = 0; nodes != NULL && i < count; i++)
		free(nodes[i].summary);
	free(nodes);
}

/*
 * pg_schema: the fleet schema's migrations and their application (see
 * pg_schema.h for the guarantees).
 *
 * Tables (all prefixed holdfast_, so the schema can share a database):
 *   holdfast_migrations       version, name, applied_at: what ran
 *   holdfast_meta             key, value: the store key's check value
 *   holdfast_leases           one row per certificate: holder, expires_at,
 *                             token (the fencing token, only ever grows)
 *   holdfast_certificate_sets (name, version): fullchain.pem, the private
 *                             key SEALED (store/seal.h; never in clear),
 *                             meta.json, serial, validity, who wrote it
 *                             under which token
 *   holdfast_staples          (name, version): the last good OCSP response
 *   holdfast_state            (node, doc): the state documents
 *   holdfast_nodes            (2) one row per daemon: its heartbeat, the
 *                             fingerprint of its shared configuration and
 *                             a JSON summary of what it deploys
 *   holdfast_staples.this_update (2) the staple's thisUpdate, so that a
 *                             write never replaces a newer staple
 *
 * Fencing is the database's: the trigger holdfast_fence runs inside the
 * transaction of every write of a certificate set and raises SQLSTATE
 * HF001 unless the row's fencing_token is the lease's current token, held
 * by the row's writer and not expired (clock_timestamp(), the time of the
 * check, not of the transaction's start).  It reads the lease FOR SHARE, so
 * an acquisition by another node waits until the write has committed and
 * then gets the next token: no write with an old token can land after a new
 * holder took over.
 */
#include "store/pg_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A constant of our own for pg_advisory_xact_lock: "holdfast" in ASCII. */
#define PG_SCHEMA_LOCK "7522537315376390772"

static const struct pg_migration migrations[] = {
    {1, "fleet store: leases, certificate sets, staples, state",
     "CREATE TABLE holdfast_meta (\n"
     "  key text PRIMARY KEY,\n"
     "  value bytea NOT NULL\n"
     ");\n"
     "CREATE TABLE holdfast_leases (\n"
     "  name text PRIMARY KEY,\n"
     "  holder text,\n"
     "  expires_at timestamptz NOT NULL,\n"
     "  token bigint NOT NULL CHECK (token > 0)\n"
     ");\n"
     "CREATE TABLE holdfast_certificate_sets (\n"
     "  name text NOT NULL,\n"
     "  version bigint NOT NULL CHECK (version > 0),\n"
     "  fullchain_pem text NOT NULL,\n"
     "  key_sealed bytea NOT NULL,\n"
     "  meta_json text NOT NULL,\n"
     "  serial text NOT NULL,\n"
     "  not_before timestamptz NOT NULL,\n"
     "  not_after timestamptz NOT NULL,\n"
     "  fullchain_sha256 text NOT NULL,\n"
     "  written_by text NOT NULL,\n"
     "  fencing_token bigint NOT NULL,\n"
     "  created_at timestamptz NOT NULL DEFAULT now(),\n"
     "  PRIMARY KEY (name, version)\n"
     ");\n"
     "CREATE TABLE holdfast_staples (\n"
     "  name text NOT NULL,\n"
     "  version bigint NOT NULL,\n"
     "  der bytea NOT NULL,\n"
     "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
     "  PRIMARY KEY (name, version),\n"
     "  FOREIGN KEY (name, version) REFERENCES holdfast_certificate_sets ON DELETE CASCADE\n"
     ");\n"
     "CREATE TABLE holdfast_state (\n"
     "  node text NOT NULL,\n"
     "  doc text NOT NULL,\n"
     "  data bytea NOT NULL,\n"
     "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
     "  PRIMARY KEY (node, doc)\n"
     ");\n"
     "CREATE FUNCTION holdfast_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$\n"
     "DECLARE\n"
     "  l_holder text;\n"
     "  l_token bigint;\n"
     "  l_expires timestamptz;\n"
     "BEGIN\n"
     "  SELECT holder, token, expires_at INTO l_holder, l_token, l_expires\n"
     "    FROM holdfast_leases WHERE name = NEW.name FOR SHARE;\n"
     "  IF NOT FOUND OR l_holder IS NULL THEN\n"
     "    RAISE EXCEPTION 'certificate %: no lease is held (fencing token %)',\n"
     "      NEW.name, NEW.fencing_token USING ERRCODE = 'HF001';\n"
     "  END IF;\n"
     "  IF l_token <> NEW.fencing_token THEN\n"
     "    RAISE EXCEPTION 'certificate %: stale fencing token % (the lease is at token %)',\n"
     "      NEW.name, NEW.fencing_token, l_token USING ERRCODE = 'HF001';\n"
     "  END IF;\n"
     "  IF l_holder <> NEW.written_by THEN\n"
     "    RAISE EXCEPTION 'certificate %: the lease is held by %, not %',\n"
     "      NEW.name, l_holder, NEW.written_by USING ERRCODE = 'HF001';\n"
     "  END IF;\n"
     "  IF l_expires <= clock_timestamp() THEN\n"
     "    RAISE EXCEPTION 'certificate %: the lease of token % expired at %',\n"
     "      NEW.name, l_token, l_expires USING ERRCODE = 'HF001';\n"
     "  END IF;\n"
     "  RETURN NEW;\n"
     "END\n"
     "$fence$;\n"
     "CREATE TRIGGER holdfast_certificate_sets_fence\n"
     "  BEFORE INSERT OR UPDATE OF name, version, fullchain_pem, meta_json, fencing_token,\n"
     "    written_by ON holdfast_certificate_sets\n"
     "  FOR EACH ROW EXECUTE FUNCTION holdfast_fence();\n"},
    {2, "daemons: node heartbeats, staple times",
     "CREATE TABLE holdfast_nodes (\n"
     "  node text PRIMARY KEY,\n"
     "  started_at timestamptz NOT NULL,\n"
     "  heartbeat_at timestamptz NOT NULL,\n"
     "  fingerprint text NOT NULL,\n"
     "  summary text NOT NULL\n"
     ");\n"
     "ALTER TABLE holdfast_staples ADD COLUMN this_update timestamptz;\n"},
};

const struct pg_migration *pg_schema_migrations(size_t *count)
{
	*count = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

int pg_schema_list_check(const struct pg_migration *list, size_t count, char *why, size_t whylen)
{
	size_t i;

	if (count == 0) {
		snprintf(why, whylen, "no migrations");
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (list[i].version != (int)i + 1) {
			snprintf(why, whylen, "migration %zu has version %d, want %zu", i,
			         list[i].version, i + 1);
			return -1;
		}
		if (list[i].name == NULL || list[i].name[0] == '\0' || list[i].sql == NULL ||
		    list[i].sql[0] == '\0') {
			snprintf(why, whylen, "migration %d has no name or no SQL",
			         list[i].version);
			return -1;
		}
	}
	return 0;
}

long pg_schema_first_pending(const struct pg_migration *list, size_t count, int applied)
{
	size_t i;

	if (applied < 0)
		return -1;
	if (count > 0 && applied > list[count - 1].version)
		return -1;
	for (i = 0; i < count; i++)
		if (list[i].version > applied)
			return (long)i;
	return (long)count;
}

/* Run sql (no parameters) on conn; 0 when it succeeded, else -1 with the
 * server's message in why. */
static int exec_ok(PGconn *conn, const char *sql, char *why, size_t whylen)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorMessage(r);
		size_t n;
		snprintf(why, whylen, "%s", msg && *msg ? msg : PQerrorMessage(conn));
		n = strlen(why);
		while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
			why[--n] = '\0';
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* The highest recorded migration (0: none) into *version.  0 or -1. */
static int applied_version(PGconn *conn, int *version, char *why, size_t whylen)
{
	PGresult *r = PQexec(conn, "SELECT COALESCE(max(version), 0) FROM holdfast_migrations");
	int rc = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*version = atoi(PQgetvalue(r, 0, 0));
		rc = 0;
	} else {
		snprintf(why, whylen, "reading holdfast_migrations: %s", PQerrorMessage(conn));
	}
	PQclear(r);
	return rc;
}

/* Apply m in one transaction, unless another node did meanwhile (checked
 * under the lock).  1: applied, 0: already there, -1: failed (rolled back). */
static int migration_apply(PGconn *conn, const struct pg_migration *m, char *why, size_t whylen)
{
	char num[32], reason[1024];
	const char *params[2];
	PGresult *r = NULL;
	int have, rc = -1;

	if (exec_ok(conn, "BEGIN", why, whylen) != 0)
		return -1;
	if (exec_ok(conn, "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")", why, whylen) != 0 ||
	    applied_version(conn, &have, why, whylen) != 0)
		goto out;
	if (have >= m->version) {
		rc = 0;
		goto out;
	}
	if (exec_ok(conn, m->sql, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "migration %d (%s): %s", m->version, m->name, reason);
		goto out;
	}
	snprintf(num, sizeof(num), "%d", m->version);
	params[0] = num;
	params[1] = m->name;
	r = PQexecParams(conn, "INSERT INTO holdfast_migrations (version, name) VALUES ($1, $2)", 2,
	                 NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(why, whylen, "recording migration %d: %s", m->version,
		         PQerrorMessage(conn));
		goto out;
	}
	rc = 1;
out:
	PQclear(r);
	if (rc >= 0 && exec_ok(conn, "COMMIT", why, whylen) != 0)
		rc = -1;
	if (rc < 0)
		PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

int pg_schema_migrate(PGconn *conn, int *applied, int *version, char *why, size_t whylen)
{
	size_t count, i;
	const struct pg_migration *list = pg_schema_migrations(&count);
	long first;
	int have = 0, ran = 0, n;

	if (applied != NULL)
		*applied = 0;
	if (pg_schema_list_check(list, count, why, whylen) != 0)
		return -1;
	/* The bookkeeping table itself, under the same lock, so two nodes
	 * starting on an empty database do not race on CREATE TABLE. */
	if (exec_ok(conn,
	            "BEGIN; SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ");\n"
	            "CREATE TABLE IF NOT EXISTS holdfast_migrations (\n"
	            "  version integer PRIMARY KEY,\n"
	            "  name text NOT NULL,\n"
	            "  applied_at timestamptz NOT NULL DEFAULT now()\n"
	            "); COMMIT",
	            why, whylen) != 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	if (applied_version(conn, &have, why, whylen) != 0)
		return -1;
	first = pg_schema_first_pending(list, count, have);
	if (first < 0) {
		snprintf(why, whylen,
		         "the database's schema is at version %d, newer than this holdfast knows "
		         "(%d): upgrade holdfast",
		         have, list[count - 1].version);
		return -1;
	}
	for (i = (size_t)first; i < count; i++) {
		n = migration_apply(conn, &list[i], why, whylen);
		if (n < 0)
			return -1;
		ran += n;
	}
	if (applied != NULL)
		*applied = ran;
	if (version != NULL)
		*version = list[count - 1].version;
	return 0;
}

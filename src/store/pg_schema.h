/*
 * pg_schema: the fleet database's schema, created and migrated by holdfast
 * itself.  The migrations are a list, numbered from 1 without gaps, each
 * applied in a transaction of its own together with the row that records
 * it in holdfast_migrations, so a migration is either wholly applied and
 * recorded or not at all; a rerun applies nothing.  Nodes that start at
 * once serialise on a transaction-scoped advisory lock, and each checks
 * again under the lock whether its migration is still pending.  A database
 * whose schema is newer than this holdfast knows is refused, never
 * "downgraded".
 *
 * The list and its checks are pure (unit-tested); pg_schema_migrate() is the
 * thin libpq part.
 */
#ifndef HOLDFAST_STORE_PG_SCHEMA_H
#define HOLDFAST_STORE_PG_SCHEMA_H

#include <stddef.h>

#include <libpq-fe.h>

struct pg_migration {
	int version;
	const char *name;
	const char *sql; /* one or more statements, run in one transaction */
};

/* The migrations this holdfast knows, oldest first; *count of them.
 * Static data, borrowed. */
const struct pg_migration *pg_schema_migrations(size_t *count);

/* 0 when list[0..count) is a valid migration list: not empty, versions 1, 2,
 * ... in order, every name and sql non-empty; else -1 with the reason in
 * why. */
int pg_schema_list_check(const struct pg_migration *list, size_t count, char *why, size_t whylen);

/* The index in list of the first migration after applied (the highest
 * version recorded; 0: none); count when all are applied; -1 when applied
 * is newer than the list knows (a newer holdfast migrated the database). */
long pg_schema_first_pending(const struct pg_migration *list, size_t count, int applied);

/* Create or migrate the schema on conn.  *applied (may be NULL): how many
 * migrations ran; *version: the schema version after.  0, or -1 with the
 * reason in why (the failed migration's transaction is rolled back). */
int pg_schema_migrate(PGconn *conn, int *applied, int *version, char *why, size_t whylen);

#endif

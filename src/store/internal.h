/*
 * store/internal.h: what pg.c and pg_sync.c share about a fleet connection;
 * included only inside src/store/.
 */
#ifndef HOLDFAST_STORE_INTERNAL_H
#define HOLDFAST_STORE_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>

#include "store/fleet.h"
#include "store/pg.h"
#include "store/seal.h"

/* The associated data of the store key's check value, and its plaintext. */
#define PG_KEY_CHECK_NAME  "store_key_check"
#define PG_KEY_CHECK_AAD   "holdfast store key check"
#define PG_KEY_CHECK_PLAIN "holdfast fleet store key v1"

/* SQLSTATE the fencing trigger raises (pg_schema.c). */
#define PG_SQLSTATE_FENCED "HF001"

struct pg_fleet {
	PGconn *conn;
	char node[FLEET_NODE_MAX];
	long lease_ttl;
	unsigned char key[SEAL_KEY_LEN]; /* cleansed by pg_fleet_free */
};

/* Read the store key at path into key: a regular file of exactly
 * SEAL_KEY_LEN bytes, mode without group or other bits.  0, or -1 (why). */
int pg_key_file_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *why, size_t whylen);

/* r's (or, r NULL, conn's) error message, trimmed, into why; returns 1 when
 * its SQLSTATE is sqlstate (NULL: never). */
int pg_error(PGconn *conn, const PGresult *r, const char *sqlstate, char *why, size_t whylen);

/* Run a parameterless statement; 0 when it succeeded, else -1 (why). */
int pg_exec(PGconn *conn, const char *sql, char *why, size_t whylen);

/* Roll back the transaction in progress (errors ignored: the connection may
 * be gone, and then so is the transaction). */
void pg_rollback(PGconn *conn);

/* The most parameters a statement takes (pg_run). */
#define PG_PARAMS_MAX 16

/* Run sql with n (at most PG_PARAMS_MAX) text parameters, binary where
 * lengths[i] > 0; 0 or -1 with why; *fenced (may be NULL) 1 when the
 * fencing trigger refused it. */
int pg_run(struct pg_fleet *f, const char *sql, int n, const char *const *params,
           const int *lengths, int *fenced, char *why, size_t whylen);

/* Lower-case hex SHA-256 of data ("" when OpenSSL fails). */
void pg_sha256_hex(const void *data, size_t len, char out[65]);

/* thisUpdate of a DER OCSP response's first SingleResponse, or 0. */
time_t pg_staple_this_update(const unsigned char *der, size_t len);

/* NOTIFY the fleet's channel with "KIND NAME" (delivered at commit when
 * inside a transaction).  0 or -1 (why). */
int pg_notify(struct pg_fleet *f, const char *kind, const char *name, char *why, size_t whylen);

#endif

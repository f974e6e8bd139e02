/*
 * pg: fleet mode's PostgreSQL store (configuration key database =): many
 * holdfast nodes sharing certificate sets, staples and state through one
 * database, each node keeping its own files store (store =) as the local
 * copy it deploys from.  This is the first slice of fleet mode: the schema
 * and its migrations (pg_schema.h), sealed private keys (seal.h), leases
 * with fencing tokens (fleet.h), moving a files store into the database,
 * pulling newer sets back into a local copy, rotating the store key, and
 * what a running daemon needs (pg_live.c): notifications, the shared staple
 * of a set, heartbeats, the fleet's configuration fingerprint.  The daemon's
 * use of it is daemon/fleet.c (holdfast(1), README "Fleet mode").
 *
 * Guarantees:
 * - A private key reaches the database only sealed with the store key
 *   (AES-256-GCM, the certificate's name and the set's version as
 *   associated data); a dump of the database holds no usable key.  The
 *   store key's check value (holdfast_meta) makes a node with the wrong key
 *   fail at open, before it reads or writes anything.
 * - Every write of a certificate set carries a lease's fencing token and is
 *   refused by the database (trigger holdfast_fence, SQLSTATE HF001) when
 *   that token is not the current one of a lease the writer holds.
 * - A set is never replaced by an older one, in either direction
 *   (fleet_pull_decide()); each write is one transaction.
 * - A staple in the database is only ever replaced by one with a later
 *   thisUpdate, and only for the set it was fetched for; a node checks a
 *   shared staple like a fetched one before it serves it.
 * - Nothing here runs for a configuration without database =.
 */
#ifndef HOLDFAST_STORE_PG_H
#define HOLDFAST_STORE_PG_H

#include <stddef.h>

#include "conf/conf.h"
#include "store/fleet.h"
#include "store/store.h"

#define PG_WHY_MAX 1024

struct pg_fleet;

/* Connect to conf->database, create or migrate the schema, load the store
 * key (conf->store_key) and check it against the database's check value
 * (set on first use).  New (pg_fleet_free), or NULL with the reason in why.
 * *applied (may be NULL): migrations run by this open. */
struct pg_fleet *pg_fleet_open(const struct conf *conf, int *applied, int *schema_version,
                               char *why, size_t whylen);
void pg_fleet_free(struct pg_fleet *f);

/* This node's name (conf's node); borrowed. */
const char *pg_fleet_node(const struct pg_fleet *f);

/* Outcome of a lease operation or a write. */
enum pg_outcome {
	PG_OK,        /* done */
	PG_UNCHANGED, /* nothing to write: the database already had it */
	PG_REFUSED,   /* lease held by another node / fencing token refused */
	PG_SKIPPED,   /* kept the newer side (never older over newer) */
	PG_ERROR,     /* the database or the local store failed */
};

const char *pg_outcome_name(enum pg_outcome o);

/* The lease row of name (exists 0 when none).  0 or -1 (why). */
int pg_lease_read(struct pg_fleet *f, const char *name, struct fleet_lease *out, char *why,
                  size_t whylen);

/* Acquire name's lease for lease_ttl when it is free or expired: PG_OK with
 * the new row in *out (its token one more than the last), PG_REFUSED with
 * the current row in *out, or PG_ERROR.  Atomic in the database: of two
 * concurrent acquisitions exactly one succeeds. */
enum pg_outcome pg_lease_acquire(struct pg_fleet *f, const char *name, struct fleet_lease *out,
                                 char *why, size_t whylen);

/* Extend the lease this node holds with token by lease_ttl (PG_OK), or
 * PG_REFUSED when it is not held with that token or has expired. */
enum pg_outcome pg_lease_renew(struct pg_fleet *f, const char *name, long long token,
                               struct fleet_lease *out, char *why, size_t whylen);

/* Give the lease up (PG_OK), or PG_REFUSED when not held with token. */
enum pg_outcome pg_lease_release(struct pg_fleet *f, const char *name, long long token, char *why,
                                 size_t whylen);

/* Write the local store's current set of name (and its staple) into the
 * database under the lease token: PG_OK (a new version, *version), PG_UNCHANGED
 * (the database's current set is the same; meta.json is brought up to
 * date, the staple when the database's is missing or older), PG_SKIPPED (the database's set is
 * newer), PG_REFUSED (the database refused the token), PG_ERROR. */
enum pg_outcome pg_set_push(struct pg_fleet *f, struct store *local, const char *name,
                            long long token, long long *version, char *why, size_t whylen);

struct pg_import_report {
	size_t certificates, added, unchanged, skipped, refused, failed;
	size_t state_written, state_unchanged;
};

/* Move every certificate of the local store (its current set, meta.json,
 * staple) and its state documents (under this node's name) into the
 * database, each certificate under a lease of its own; nothing is issued.
 * A second run changes nothing.  0 when nothing failed, else -1 (each
 * failure logged). */
int pg_store_import(struct pg_fleet *f, struct store *local, struct pg_import_report *r);

struct pg_pull_report {
	size_t certificates, installed, same, local_newer, conflict, staples, failed;
};

/* Bring the local store up to date from the database: each certificate's
 * current set is installed locally when fleet_pull_decide() says so (never
 * an older over a newer), its staple when the local one is missing or has
 * an earlier thisUpdate.  0 when nothing failed, else -1 (logged). */
int pg_store_pull(struct pg_fleet *f, struct store *local, struct pg_pull_report *r);

/* The same for name alone, without its staple (the daemon checks a shared
 * staple itself before it keeps it: pg_staple_read()); *version: the
 * database's current version of name (0: none).  0, or -1 (logged). */
int pg_set_pull(struct pg_fleet *f, struct store *local, const char *name, struct pg_pull_report *r,
                long long *version);

/* Re-seal every private key in the database with the key in new_key_path
 * (the store key's rules: 32 bytes, mode 0600), and the check value, in one
 * transaction: all keys or none.  *count: keys re-sealed.  0, or -1 (why;
 * nothing changed). */
int pg_store_rotate_key(struct pg_fleet *f, const char *new_key_path, size_t *count, char *why,
                        size_t whylen);

/* ---- the daemon's side (pg_live.c) ---- */

/* 1 while f's connection is up. */
int pg_fleet_connected(const struct pg_fleet *f);

/* LISTEN on the fleet's channel; 0 or -1 (why). */
int pg_fleet_listen(struct pg_fleet *f, char *why, size_t whylen);

/* The connection's socket, for the loop's poll; -1 when down. */
int pg_fleet_socket(const struct pg_fleet *f);

/* Read what the socket has: 0, or -1 when the connection is gone.  Then
 * take the notifications one by one with pg_fleet_notification (the caller
 * drives the loop, so what it does with one, even dropping the connection,
 * never runs under an iteration of ours). */
int pg_fleet_consume(struct pg_fleet *f);

/* The next notification read: its kind ("set" or "staple") and the
 * certificate's name, truncated to the buffers (a name that does not fit
 * is skipped).  1 one was taken, 0 none is left. */
int pg_fleet_notification(struct pg_fleet *f, char *kind, size_t kind_len, char *name,
                          size_t name_len);

typedef void (*pg_version_fn)(const char *name, long long version, void *user);

/* fn(name, current version) for every certificate in the database; 0 or -1
 * (why).  One query, for the periodic poll. */
int pg_set_versions(struct pg_fleet *f, pg_version_fn fn, void *user, char *why, size_t whylen);

/* The database's staple of the set that v (name's local set) is, by its
 * fullchain's SHA-256: 1 with *der (new, free()), 0 when none, -1 (why). */
int pg_staple_read(struct pg_fleet *f, struct store_version *v, const char *name,
                   unsigned char **der, size_t *len, char *why, size_t whylen);

/* Store der (a staple already checked for v's leaf) as the shared staple of
 * v's set, unless the database has one with a later or equal thisUpdate
 * (PG_UNCHANGED) or does not hold that set (PG_SKIPPED); PG_OK notifies
 * the fleet. */
enum pg_outcome pg_staple_push(struct pg_fleet *f, struct store_version *v, const char *name,
                               const unsigned char *der, size_t len, char *why, size_t whylen);

/* Write this node's heartbeat row; summary is a JSON object.  0 or -1. */
int pg_node_beat(struct pg_fleet *f, time_t started, const char *fingerprint, const char *summary,
                 char *why, size_t whylen);

/* The fleet's configuration fingerprint into fleet and whether mine differs
 * (*drift).  The first node sets it; it becomes mine once no other node
 * with a heartbeat in the last live_window seconds runs another one.  0 or
 * -1 (why). */
int pg_fingerprint_check(struct pg_fleet *f, const char *mine, long live_window, char fleet[65],
                         int *drift, char *why, size_t whylen);

struct pg_node {
	char node[FLEET_NODE_MAX];
	time_t started_at, heartbeat_at, db_now; /* db_now: the database's clock */
	char fingerprint[65];
	char *summary; /* JSON */
};

/* Every node's row, by name (pg_nodes_free).  0 or -1 (why). */
int pg_nodes_read(struct pg_fleet *f, struct pg_node **out, size_t *count, char *why,
                  size_t whylen);
void pg_nodes_free(struct pg_node *nodes, size_t count);

#endif

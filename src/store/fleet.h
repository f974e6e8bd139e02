/*
 * fleet: the decisions of fleet mode, pure (no database, no files, no
 * clock but the one passed in), so that each is tested without a server.
 *
 * - Leases.  One row per certificate: the holder node, the expiry and a
 *   fencing token that grows by one on every acquisition.  A node may take
 *   a lease that is free or expired, keeps it by renewing before it expires,
 *   and every certificate set it writes carries the token.  The database is
 *   the authority (store/pg_schema.c's trigger refuses a stale token inside
 *   the writing transaction); fleet_lease_write_check() states the same rule
 *   so that a refusal can be explained ("lease expired" rather than just
 *   "refused") and so that the rule is pinned by unit tests.
 * - Pulling into the local copy.  A node deploys from its own files store;
 *   fleet_pull_decide() says whether the database's current set replaces
 *   the local one.  A local set is never replaced by an older one: only a
 *   set with a later notBefore replaces it, identical sets are left alone,
 *   and two different sets with the same notBefore keep the local one (and
 *   are reported) because neither is provably newer.  A placeholder (the
 *   self-signed stand-in a node installs until a CA issues) is newer than
 *   any issuance but worth less: a real set always replaces a placeholder,
 *   and a placeholder never replaces a real set.
 * - Issuance while the database is unreachable (fleet_issue_alone()).  The
 *   fleet cannot take a lease, so issuance pauses -- a certificate that is
 *   merely due waits for the database to return -- except for a node that
 *   has no real certificate (nothing, or only its placeholder) or whose
 *   certificate has reached its renewal deadline (acme/ari.h's
 *   renew_deadline(): not_after minus outage_margin, at most half the
 *   lifetime).  Past that point waiting could let it expire, so the node
 *   issues alone; the fleet reconciles when the database returns (the
 *   newer notBefore wins, fleet_pull_decide()).
 * - Staples (fleet_staple_wait()).  One node fetches a staple for the whole
 *   fleet (lease "ocsp:NAME"); another node that finds that lease held waits
 *   for the shared copy while its own staple stays safely servable, and
 *   fetches on its own once waiting longer could let it go stale.
 */
#ifndef HOLDFAST_STORE_FLEET_H
#define HOLDFAST_STORE_FLEET_H

#include <stddef.h>
#include <time.h>

#define FLEET_NODE_MAX 64 /* conf.h's CONF_NODE_MAX + NUL */

/* A lease row as read from the database; exists 0: no row (never leased). */
struct fleet_lease {
	int exists;
	char holder[FLEET_NODE_MAX]; /* "" when released */
	time_t expires_at;
	long long token;
};

enum fleet_lease_state {
	FLEET_LEASE_FREE,       /* no row, or released */
	FLEET_LEASE_EXPIRED,    /* its holder did not renew in time */
	FLEET_LEASE_HELD_OURS,  /* node holds it, unexpired */
	FLEET_LEASE_HELD_OTHER, /* another node holds it, unexpired */
};

const char *fleet_lease_state_name(enum fleet_lease_state s);

/* What l is to node at now.  A lease is expired at its expires_at. */
enum fleet_lease_state fleet_lease_state_of(const struct fleet_lease *l, const char *node,
                                            time_t now);

/* 1 when node may acquire l at now (free or expired), else 0. */
int fleet_lease_may_acquire(const struct fleet_lease *l, const char *node, time_t now);

/* The token the next acquisition gets: one more than the last (1 for a
 * lease never held), so a token is never reused. */
long long fleet_lease_next_token(const struct fleet_lease *l);

enum fleet_write_check {
	FLEET_WRITE_OK,
	FLEET_WRITE_NO_LEASE,    /* never leased, or released */
	FLEET_WRITE_NOT_HOLDER,  /* another node holds the lease now */
	FLEET_WRITE_STALE_TOKEN, /* the lease was acquired again since */
	FLEET_WRITE_EXPIRED,     /* the writer's lease ran out */
};

const char *fleet_write_check_name(enum fleet_write_check c);

/* May node write a certificate set with token at now, given l?  The same
 * rule as the database's trigger (holdfast_fence). */
enum fleet_write_check fleet_lease_write_check(const struct fleet_lease *l, const char *node,
                                               long long token, time_t now);

/* When the holder should renew a lease of ttl seconds that expires at
 * expires_at: once a third of it is left, so two renewals can fail before
 * it is lost. */
time_t fleet_lease_renew_at(time_t expires_at, long ttl);

/* One side of a certificate set, for fleet_pull_decide(). */
struct fleet_set_id {
	int exists;
	time_t not_before;
	char sha256[65]; /* hex of fullchain.pem */
	int placeholder; /* meta.json's placeholder: a node's stand-in, not an issuance */
};

enum fleet_pull {
	FLEET_PULL_INSTALL,     /* nothing local, or the database's is newer */
	FLEET_PULL_SAME,        /* the same set: nothing to do */
	FLEET_PULL_LOCAL_NEWER, /* the local set is newer: keep it */
	FLEET_PULL_CONFLICT,    /* different sets, same notBefore: keep local, report */
	FLEET_PULL_NONE,        /* nothing in the database */
};

const char *fleet_pull_name(enum fleet_pull p);

enum fleet_pull fleet_pull_decide(const struct fleet_set_id *local, const struct fleet_set_id *db);

/* While the database is unreachable: 1 when a node issues a certificate
 * alone at now -- it has none (have 0), only a placeholder, or now is at or
 * past its renewal deadline (acme/ari.h's renew_deadline(): not_after minus
 * outage_margin, at most half the lifetime) -- else 0 (wait for the
 * database). */
int fleet_issue_alone(int have, int placeholder, time_t deadline, time_t now);

/* Another node holds the staple lease: 1 when this node may wait for the
 * shared copy -- it serves no staple (serving 0: waiting loses nothing, and
 * the holder's lease ends within lease_ttl, so the wait is bounded), or its
 * own staple, valid until withdraw_at, stays servable for two more
 * lease_ttl after now -- 0 when it must fetch on its own (lease_ttl 0: never
 * wait). */
int fleet_staple_wait(int serving, time_t withdraw_at, long lease_ttl, time_t now);

/* The lease name under which one node fetches cert's staple for the
 * fleet: "ocsp:" cert.  0, or -1 when it does not fit in len. */
int fleet_staple_lease_name(const char *cert, char *out, size_t len);

#endif

/*
 * fleet: the pure decisions of fleet mode (leases, fencing, pulling into the
 * local copy); see fleet.h for the rules and why they are these.
 */
#include "store/fleet.h"

#include <stdio.h>
#include <string.h>

static const char *const lease_state_names[] = {"free", "expired", "held-ours", "held-other"};
static const char *const write_check_names[] = {"ok", "no-lease", "not-holder", "stale-token",
                                                "expired"};
static const char *const pull_names[] = {"install", "same", "local-newer", "conflict", "none"};

const char *fleet_lease_state_name(enum fleet_lease_state s)
{
	return (size_t)s < sizeof(lease_state_names) / sizeof(lease_state_names[0])
	           ? lease_state_names[s]
	           : "?";
}

const char *fleet_write_check_name(enum fleet_write_check c)
{
	return (size_t)c < sizeof(write_check_names) / sizeof(write_check_names[0])
	           ? write_check_names[c]
	           : "?";
}

const char *fleet_pull_name(enum fleet_pull p)
{
	return (size_t)p < sizeof(pull_names) / sizeof(pull_names[0]) ? pull_names[p] : "?";
}

enum fleet_lease_state fleet_lease_state_of(const struct fleet_lease *l, const char *node,
                                            time_t now)
{
	if (!l->exists || l->holder[0] == '\0')
		return FLEET_LEASE_FREE;
	if (now >= l->expires_at)
		return FLEET_LEASE_EXPIRED;
	return strcmp(l->holder, node) == 0 ? FLEET_LEASE_HELD_OURS : FLEET_LEASE_HELD_OTHER;
}

int fleet_lease_may_acquire(const struct fleet_lease *l, const char *node, time_t now)
{
	enum fleet_lease_state s = fleet_lease_state_of(l, node, now);

	/* Held by us is not "free": the holder renews, it does not acquire
	 * again (that would bump the token under its own running work). */
	return s == FLEET_LEASE_FREE || s == FLEET_LEASE_EXPIRED;
}

long long fleet_lease_next_token(const struct fleet_lease *l)
{
	return l->exists ? l->token + 1 : 1;
}

enum fleet_write_check fleet_lease_write_check(const struct fleet_lease *l, const char *node,
                                               long long token, time_t now)
{
	if (!l->exists || l->holder[0] == '\0')
		return FLEET_WRITE_NO_LEASE;
	if (token != l->token)
		return FLEET_WRITE_STALE_TOKEN;
	if (strcmp(l->holder, node) != 0)
		return FLEET_WRITE_NOT_HOLDER;
	if (now >= l->expires_at)
		return FLEET_WRITE_EXPIRED;
	return FLEET_WRITE_OK;
}

time_t fleet_lease_renew_at(time_t expires_at, long ttl)
{
	return expires_at - (ttl > 0 ? ttl / 3 : 0);
}

enum fleet_pull fleet_pull_decide(const struct fleet_set_id *local, const struct fleet_set_id *db)
{
	if (!db->exists)
		return FLEET_PULL_NONE;
	if (!local->exists)
		return FLEET_PULL_INSTALL;
	if (strcmp(local->sha256, db->sha256) == 0)
		return FLEET_PULL_SAME;
	if (local->placeholder != db->placeholder)
		return local->placeholder ? FLEET_PULL_INSTALL : FLEET_PULL_LOCAL_NEWER;
	if (db->not_before > local->not_before)
		return FLEET_PULL_INSTALL;
	if (db->not_before < local->not_before)
		return FLEET_PULL_LOCAL_NEWER;
	return FLEET_PULL_CONFLICT;
}

int fleet_issue_alone(int have, int placeholder, time_t deadline, time_t now)
{
	if (!have || placeholder)
		return 1;
	return now >= deadline;
}

int fleet_staple_wait(int serving, time_t withdraw_at, long lease_ttl, time_t now)
{
	if (lease_ttl <= 0)
		return 0;
	if (!serving)
		return 1; /* nothing to lose: the holder's lease ends within lease_ttl */
	return now + 2 * (time_t)lease_ttl < withdraw_at;
}

int fleet_staple_lease_name(const char *cert, char *out, size_t len)
{
	int n = snprintf(out, len, "ocsp:%s", cert);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

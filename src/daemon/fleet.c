/*
 * daemon/fleet: holdfast run in fleet mode (database =): many daemons share
 * the certificate sets and staples of one PostgreSQL database (store/pg.h),
 * each deploying from its own files store.  Nothing here runs without
 * database =.
 *
 * What it guarantees, and how:
 * - One issuer per certificate at a time.  Before an issuance the loop
 *   takes the certificate's lease (pg_lease_acquire) and first pulls the
 *   database's copy: a set another node issued meanwhile is installed and
 *   deployed instead of issuing again.  A node that finds the lease held
 *   waits until it is released or expires.  The lease is renewed while the
 *   issuance thread runs (fleet_lease_renew_at) and the new set is pushed
 *   under its fencing token; a stale token is refused by the database.
 * - One OCSP fetch per staple and refresh for the whole fleet.  When a
 *   staple is due the node first looks at the database's staple of the
 *   same set and, checked like a fetched one (signature, CertID, times, not
 *   older than the one served), serves it.  Otherwise it takes the lease
 *   "ocsp:NAME" and fetches; the others wait for the shared copy (a
 *   notification, adopted at once without a fetch) while their own staple
 *   stays safely servable, or for one lease_ttl when they have none
 *   (fleet_staple_wait), and fetch on their own when it would not.  A node
 *   that wins the lease looks at the database once more before fetching
 *   (the holder may have pushed and released in between).
 * - Every node deploys what the fleet holds: LISTEN/NOTIFY pulls a new set
 *   at once; a poll every FLEET_POLL seconds (one query) is the safety net.
 * - Database down: nothing a visitor sees changes.  Staples are fetched by
 *   each node alone; issuance pauses except where fleet_issue_alone()
 *   (store/fleet.h) says waiting could let the certificate expire.  A set
 *   issued alone is pushed when the database returns, under a lease, and
 *   only if it is newer than what the fleet holds (never older over newer).
 *   Reconnection is retried with a backoff from 5 s to a minute.
 * - Config drift: a node whose shared configuration (conf_shared_fingerprint)
 *   differs from the fleet's logs it, reports it (status, metrics) and does
 *   not issue or push; it still pulls, deploys and serves.  In drift the
 *   fingerprint is compared every FLEET_DRIFT_BEAT seconds; on agreement
 *   the issuance drift held back is scheduled at once.
 * - A heartbeat row per node (every FLEET_BEAT seconds) with a summary of
 *   what it deploys, for holdfast status on any node.
 *
 * Every database call is made on the loop's thread, and each is bounded by
 * the connection's keepalives and statement timeout (store/pg.c).
 */
#include "daemon/internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>

#include "acme/ari.h"
#include "store/fleet.h"
#include "store/pg.h"
#include "util/log.h"

#define FLEET_POLL        30 /* seconds between polls of the database's versions */
#define FLEET_BEAT        10 /* seconds between heartbeats */
#define FLEET_RETRY_MIN   5  /* seconds before the first reconnection */
#define FLEET_RETRY_MAX   60
#define FLEET_PAUSE       60 /* seconds: a paused issuance asks again */
#define FLEET_DRIFT_BEAT  2  /* seconds between heartbeats while in drift (a rolling update) */
#define FLEET_STAPLE_WAIT 5  /* seconds: look for the shared staple again, at least */
#define FLEET_STAPLE_LEAD \
	32 /* staple leases a node holds at once: its fetches for the fleet in flight */
#define FLEET_LIVE (3 * FLEET_BEAT + 5) /* a heartbeat this recent: a live node */

enum held_kind { HELD_ISSUE, HELD_STAPLE };

struct held {
	size_t site;
	enum held_kind kind;
	long long token;
	time_t renew_at;
	char name[CONF_NODE_MAX + 256];
};

struct daemon_fleet {
	struct pg_fleet *pg; /* NULL while the database is unreachable */
	time_t down_since;   /* 0 while up */
	time_t retry_at;
	long retry_backoff;
	time_t poll_at, beat_at;
	char fingerprint[65], fleet_fingerprint[65];
	int drift;
	long long *seen; /* per site: the database version installed or pushed */
	struct held *held;
	size_t held_count, held_cap;
	size_t *unshared; /* sites issued alone, to push when the database returns */
	size_t unshared_count;
	unsigned char *is_unshared; /* per site */
	unsigned char *paused_logged;
	unsigned char *drift_skipped; /* per site: issuance skipped for drift */
	/* Sites whose fetch waits for a free lead (FLEET_STAPLE_LEAD): a ring
	 * of site ids, each at most once (lead_queued). */
	size_t *lead_ring, lead_cap, lead_head, lead_len;
	unsigned char *lead_queued;
	struct pg_node *nodes; /* the last heartbeat read, for the metrics */
	size_t node_count;
	unsigned long adopted_total, fetched_total, pulled_total, pushed_total, refused_total;
	unsigned long alone_total;
	int loading; /* at setup: pull into the store only, the sites load after */
};

static int fleet_on(const struct daemon *d)
{
	return d->fleet != NULL && d->fleet->pg != NULL;
}

static struct site *site_by_name(struct daemon *d, const char *name)
{
	size_t lo = 0, hi = d->site_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct site *s = &d->sites[d->by_name[mid]];
		int c = strcmp(name, s->cert->name);
		if (c == 0)
			return s;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The database failed: unless the connection still works (one statement
 * failed), forget it and reconnect later. */
static void fleet_failed(struct daemon *d, const char *what, const char *why, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char safe[PG_WHY_MAX];

	if (pg_fleet_connected(fl->pg)) {
		log_warn("fleet_error", "op=%s reason=\"%s\"", what,
		         log_safe(safe, sizeof(safe), why));
		return;
	}
	log_error("fleet_database_down", "op=%s reason=\"%s\"", what,
	          log_safe(safe, sizeof(safe), why));
	pg_fleet_free(fl->pg);
	fl->pg = NULL;
	fl->held_count = 0; /* the leases run out on their own; pushes under them would fail */
	fl->down_since = now;
	fl->retry_backoff = FLEET_RETRY_MIN;
	fl->retry_at = now + fl->retry_backoff;
	d->dirty = 1;
}

static struct held *held_find(struct daemon_fleet *fl, size_t site, enum held_kind kind)
{
	size_t i;

	for (i = 0; i < fl->held_count; i++)
		if (fl->held[i].site == site && fl->held[i].kind == kind)
			return &fl->held[i];
	return NULL;
}

static void held_drop(struct daemon_fleet *fl, struct held *h)
{
	*h = fl->held[--fl->held_count];
}

/* Take lease name for s; 1 held (recorded), 0 refused (*l the holder's
 * row), -1 the database failed. */
static int lease_take(struct daemon *d, struct site *s, enum held_kind kind, const char *name,
                      struct fleet_lease *l, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char why[PG_WHY_MAX];
	struct held *h;
	enum pg_outcome o = pg_lease_acquire(fl->pg, name, l, why, sizeof(why));

	if (o == PG_REFUSED)
		return 0;
	if (o != PG_OK) {
		fleet_failed(d, "lease", why, now);
		return -1;
	}
	if (fl->held_count == fl->held_cap) {
		size_t cap = fl->held_cap ? fl->held_cap * 2 : 16;
		struct held *n = realloc(fl->held, cap * sizeof(*n));
		if (n == NULL) {
			pg_lease_release(fl->pg, name, l->token, why, sizeof(why));
			return -1;
		}
		fl->held = n;
		fl->held_cap = cap;
	}
	h = &fl->held[fl->held_count++];
	h->site = s->id;
	h->kind = kind;
	h->token = l->token;
	h->renew_at = fleet_lease_renew_at(l->expires_at, d->conf->lease_ttl);
	snprintf(h->name, sizeof(h->name), "%s", name);
	return 1;
}

static size_t held_of_kind(const struct daemon_fleet *fl, enum held_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < fl->held_count; i++)
		n += fl->held[i].kind == kind;
	return n;
}

/* Queue site id for the next free lead (once). */
static void lead_wait(struct daemon_fleet *fl, size_t id)
{
	if (id >= fl->lead_cap || fl->lead_queued[id] || fl->lead_len == fl->lead_cap)
		return;
	fl->lead_ring[(fl->lead_head + fl->lead_len++) % fl->lead_cap] = id;
	fl->lead_queued[id] = 1;
}

/* A lead is free: the next waiting sites that are still due are asked now
 * (two, since one may find the staple in the database and take no lead). */
static void lead_next(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	int started = 0;

	while (started < 2 && fl->lead_len > 0) {
		struct site *s = &d->sites[fl->lead_ring[fl->lead_head]];

		fl->lead_head = (fl->lead_head + 1) % fl->lead_cap;
		fl->lead_len--;
		fl->lead_queued[s->id] = 0;
		if (s->fetch != NULL || s->staple_next > now + FLEET_STAPLE_WAIT)
			continue; /* fetching, or served from the fleet meanwhile */
		s->staple_next = now;
		site_schedule(d, s);
		started++;
	}
}

static void lease_give_back(struct daemon *d, struct held *h)
{
	char why[PG_WHY_MAX];

	if (fleet_on(d))
		pg_lease_release(d->fleet->pg, h->name, h->token, why, sizeof(why));
	held_drop(d->fleet, h);
}

/* Install the database's set of s when it is newer; 1 installed (s
 * reloaded and deployed), 0 not, -1 failed. */
static int pull_site(struct daemon *d, struct site *s, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	struct pg_pull_report r;
	long long version = 0;

	if (s->issuing)
		return 0; /* never under a running issuance: the next poll comes back */
	if (pg_set_pull(fl->pg, d->store, s->cert->name, &r, &version) != 0) {
		if (!pg_fleet_connected(fl->pg))
			fleet_failed(d, "pull", "the connection was lost", now);
		return -1;
	}
	fl->seen[s->id] = version;
	if (r.installed == 0)
		return 0;
	fl->pulled_total++;
	if (fl->loading)
		return 1;
	site_load(d, s, now);
	s->issue_next = !s->have || s->placeholder || s->renew_at == 0 ? now : s->renew_at;
	s->force_issue = 0; /* what it was forced for is replaced */
	site_crl_schedule(d, s, now);
	site_deploy(d, s, "certificate");
	site_changed(d, s);
	site_schedule(d, s);
	return 1;
}

/* ------------------------------------------------------------ issuance */

int daemon_fleet_issue_gate(struct daemon *d, struct site *s, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	struct fleet_lease l;
	int n;

	if (fl == NULL)
		return 1;
	if (fl->pg != NULL && fl->drift) {
		/* Asked again when the fingerprints agree (fleet_beat()). */
		if (!fl->drift_skipped[s->id])
			log_warn("fleet_issue_skipped",
			         "cert=%s reason=\"config-drift: this node's [ca]/[certificate] "
			         "sections differ from the fleet's\"",
			         s->cert->name);
		fl->drift_skipped[s->id] = 1;
		s->issue_next = now + FLEET_PAUSE;
		site_changed(d, s);
		return 0;
	}
	if (fl->pg != NULL) {
		n = lease_take(d, s, HELD_ISSUE, s->cert->name, &l, now);
		if (n == 0) {
			fl->refused_total++;
			log_info("fleet_lease_refused", "cert=%s holder=%s token=%lld",
			         s->cert->name, l.holder[0] ? l.holder : "-", l.token);
			s->issue_next =
			    l.expires_at > now ? l.expires_at + 1 : now + FLEET_STAPLE_WAIT;
			if (!s->have && issuer_install_placeholder(d->iss, s->cert) == 0) {
				/* Until the holder's set arrives, web servers can start. */
				site_load(d, s, now);
				site_deploy(d, s, "certificate");
			}
			site_changed(d, s);
			return 0;
		}
		if (n > 0) {
			log_info("fleet_lease_acquired", "cert=%s token=%lld", s->cert->name,
			         l.token);
			if (pull_site(d, s, now) > 0 && s->have && !s->placeholder &&
			    s->renew_at > now) {
				/* Another node issued it meanwhile. */
				lease_give_back(d, held_find(fl, s->id, HELD_ISSUE));
				return 0;
			}
			if (!fleet_on(d))
				goto down;
			return 1;
		}
	}
down:
	if (fleet_issue_alone(s->have, s->placeholder,
	                      renew_deadline(s->not_before, s->not_after, d->conf->outage_margin),
	                      now)) {
		fl->alone_total++;
		log_warn("fleet_issue_alone",
		         "cert=%s reason=\"the database is unreachable and %s\"", s->cert->name,
		         !s->have || s->placeholder
		             ? "this node has no certificate"
		             : "the certificate is past its renewal deadline");
		return 1;
	}
	if (!fl->paused_logged[s->id]) {
		log_warn("fleet_issue_paused",
		         "cert=%s reason=\"the database is unreachable; the certificate is not yet "
		         "at its renewal deadline\"",
		         s->cert->name);
		fl->paused_logged[s->id] = 1;
	}
	s->issue_next = now + FLEET_PAUSE;
	site_changed(d, s);
	return 0;
}

static void unshared_add(struct daemon_fleet *fl, size_t site)
{
	if (fl->is_unshared[site])
		return;
	fl->is_unshared[site] = 1;
	fl->unshared[fl->unshared_count++] = site;
}

/* Push s's current set under token; logs the outcome. */
static void push_site(struct daemon *d, struct site *s, long long token, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char why[PG_WHY_MAX], safe[PG_WHY_MAX];
	long long version = 0;
	enum pg_outcome o =
	    pg_set_push(fl->pg, d->store, s->cert->name, token, &version, why, sizeof(why));

	if (o == PG_OK) {
		fl->pushed_total++;
		fl->seen[s->id] = version;
		log_info("fleet_pushed", "cert=%s version=%lld token=%lld", s->cert->name, version,
		         token);
	} else if (o == PG_UNCHANGED) {
		fl->seen[s->id] = version;
	} else if (o == PG_SKIPPED) {
		log_info("fleet_push_skipped", "cert=%s reason=\"%s\"", s->cert->name,
		         log_safe(safe, sizeof(safe), why));
		pull_site(d, s, now); /* the fleet's is newer: deploy that */
	} else if (o == PG_REFUSED) {
		log_warn("fleet_push_refused", "cert=%s token=%lld reason=\"%s\"", s->cert->name,
		         token, log_safe(safe, sizeof(safe), why));
	} else {
		fleet_failed(d, "push", why, now);
		if (!fleet_on(d))
			unshared_add(fl, s->id);
	}
}

void daemon_fleet_issue_done(struct daemon *d, struct site *s, int issued, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	struct held *h;

	if (fl == NULL)
		return;
	fl->paused_logged[s->id] = 0;
	h = held_find(fl, s->id, HELD_ISSUE);
	if (issued && s->have && !s->placeholder) {
		if (fleet_on(d) && h != NULL)
			push_site(d, s, h->token, now);
		else
			unshared_add(fl,
			             s->id); /* issued alone: shared when the database returns */
	}
	h = held_find(fl, s->id, HELD_ISSUE); /* push_site may have lost the connection */
	if (h != NULL)
		lease_give_back(d, h);
}

/* Share what was issued alone, each under a lease of its own. */
static void unshared_push(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	size_t i = 0;

	while (i < fl->unshared_count && fleet_on(d) && !fl->drift) {
		struct site *s = &d->sites[fl->unshared[i]];
		struct fleet_lease l;
		int n;

		if (s->issuing) {
			i++;
			continue;
		}
		n = lease_take(d, s, HELD_ISSUE, s->cert->name, &l, now);
		if (n < 0)
			return;
		if (n > 0) {
			push_site(d, s, l.token, now);
			struct held *h = held_find(fl, s->id, HELD_ISSUE);
			if (h != NULL)
				lease_give_back(d, h);
		}
		/* Pushed, or the lease is another node's: it pushes, we pull. */
		fl->is_unshared[s->id] = 0;
		fl->unshared[i] = fl->unshared[--fl->unshared_count];
	}
}

/* ------------------------------------------------------------- staples */

/* Serve the database's staple of s's set when it passes the checks of a
 * fetched one and is newer than the one served.  1 adopted, 0 not. */
static int staple_adopt(struct daemon *d, struct site *s, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	unsigned char *der = NULL;
	size_t len = 0;
	char why[PG_WHY_MAX];
	struct ocsp_verdict v, held;
	struct cert_leaf *leaf = NULL;
	int n, rc = 0;

	n = pg_staple_read(fl->pg, s->version, s->cert->name, &der, &len, why, sizeof(why));
	if (n < 0) {
		fleet_failed(d, "staple", why, now);
		return 0;
	}
	if (n == 0)
		return 0;
	if (s->staple_ok && s->staple_len == len && memcmp(s->staple, der, len) == 0)
		goto out; /* the one served */
	leaf = cert_leaf_new(s->leaf, s->leaf_len);
	if (leaf == NULL || ocsp_response_check_serial(der, len, cert_leaf_issuer_name(leaf),
	                                               cert_leaf_serial(leaf), s->issuer_cert, now,
	                                               &v) != STAPLE_OK) {
		log_warn("fleet_staple_refused", "cert=%s reason=\"%s\"", s->cert->name,
		         leaf == NULL ? "out of memory" : staple_error_name(v.error));
		goto out;
	}
	memset(&held, 0, sizeof(held));
	held.status = s->sv.status;
	held.this_update = s->sv.this_update;
	held.next_update = s->sv.next_update;
	held.produced_at = s->sv.produced_at;
	if (staple_acceptable(&v, s->staple_ok ? &held : NULL, 1, now) != STAPLE_OK ||
	    (s->staple_ok && !staple_older(&held, &v)))
		goto out;
	if (site_staple_keep(s, &der, len, &v) != 0)
		goto out;
	fl->adopted_total++;
	s->staple_next = staple_refresh_at(s->sv.this_update, s->sv.next_update, jitter());
	log_info("staple_from_fleet", "cert=%s status=%s this_update=%lld", s->cert->name,
	         staple_cert_status_name(v.status), (long long)v.this_update);
	site_changed(d, s);
	if (v.status == STAPLE_STATUS_REVOKED) {
		char serial[128] = "";
		cert_leaf_serial_hex(leaf, serial, sizeof(serial));
		site_revoked(d, s, "ocsp", serial, "-");
	}
	site_deploy(d, s, "staple");
	rc = 1;
out:
	cert_leaf_free(leaf);
	free(der);
	return rc;
}

int daemon_fleet_staple_gate(struct daemon *d, struct site *s, time_t now)
{
	struct fleet_lease l;
	char name[sizeof(((struct held *)0)->name)];
	int n;

	if (!fleet_on(d) || s->version == NULL)
		return 0;
	/* A node leads at most FLEET_STAPLE_LEAD fetches at once: the rest
	 * wait here without a statement (a notification adopts a staple
	 * another node pushed meanwhile), so that at start, with every staple
	 * due, leases are not taken faster than fetches run and the waiting
	 * nodes do not poll the database for each of them. */
	if (held_of_kind(d->fleet, HELD_STAPLE) >= FLEET_STAPLE_LEAD) {
		lead_wait(d->fleet, s->id);
		s->staple_next = now + FLEET_STAPLE_WAIT;
		return 1;
	}
	if (staple_adopt(d, s, now) && s->staple_next > now)
		return 1;
	if (!fleet_on(d) || fleet_staple_lease_name(s->cert->name, name, sizeof(name)) != 0)
		return 0;
	n = lease_take(d, s, HELD_STAPLE, name, &l, now);
	if (n < 0)
		return 0; /* the database failed: fetch alone */
	if (n > 0) {
		/* The previous holder pushes before it releases: look once more,
		 * now that no other node can be fetching. */
		if (staple_adopt(d, s, now) && s->staple_next > now) {
			struct held *h = held_find(d->fleet, s->id, HELD_STAPLE);
			if (h != NULL)
				lease_give_back(d, h);
			return 1;
		}
		return 0; /* ours: fetch */
	}
	if (fleet_staple_wait(s->staple_ok,
	                      staple_withdraw_at(s->sv.this_update, s->sv.next_update),
	                      d->conf->lease_ttl, now)) {
		/* The holder's push notifies; otherwise look again when its lease
		 * runs out (fleet_staple_wait allowed waiting that long). */
		s->staple_next =
		    l.expires_at > now + FLEET_STAPLE_WAIT ? l.expires_at : now + FLEET_STAPLE_WAIT;
		return 1;
	}
	log_warn("fleet_staple_alone",
	         "cert=%s holder=%s reason=\"another node holds the fetch, and waiting could let "
	         "this node's staple go stale\"",
	         s->cert->name, l.holder[0] ? l.holder : "-");
	return 0;
}

void daemon_fleet_staple_done(struct daemon *d, struct site *s, int ok, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	struct held *h;
	char why[PG_WHY_MAX];
	enum pg_outcome o;

	if (fl == NULL)
		return;
	fl->fetched_total += ok;
	if (ok && fleet_on(d) && s->staple_ok && s->version != NULL && !fl->drift) {
		o = pg_staple_push(fl->pg, s->version, s->cert->name, s->staple, s->staple_len, why,
		                   sizeof(why));
		if (o == PG_OK)
			log_info("fleet_staple_pushed", "cert=%s", s->cert->name);
		else if (o == PG_ERROR)
			fleet_failed(d, "staple", why, now);
	}
	h = held_find(fl, s->id, HELD_STAPLE);
	if (h != NULL) {
		lease_give_back(d, h);
		lead_next(d, now);
	}
}

/* ------------------------------------------------------ notifications */

static void on_notify(struct daemon *d, const char *kind, const char *name)
{
	struct site *s = site_by_name(d, name);
	time_t now = time(NULL);

	if (s == NULL || !fleet_on(d))
		return;
	if (strcmp(kind, "set") == 0) {
		pull_site(d, s, now);
	} else if (strcmp(kind, "staple") == 0 && s->fetch == NULL && s->have) {
		/* Adopt it now when it is newer; the node's own refresh time stays
		 * as it was otherwise (a staple that is not newer is no reason to
		 * fetch). */
		if (staple_adopt(d, s, now))
			site_schedule(d, s);
	}
}

struct poll_ctx {
	struct daemon *d;
	time_t now;
};

static void on_version(const char *name, long long version, void *user)
{
	struct poll_ctx *p = user;
	struct site *s = site_by_name(p->d, name);

	if (s != NULL && fleet_on(p->d) && version > p->d->fleet->seen[s->id])
		pull_site(p->d, s, p->now);
}

static void fleet_poll(struct daemon *d, time_t now)
{
	struct poll_ctx p = {d, now};
	char why[PG_WHY_MAX];

	d->fleet->poll_at = now + FLEET_POLL;
	if (pg_set_versions(d->fleet->pg, on_version, &p, why, sizeof(why)) != 0)
		fleet_failed(d, "poll", why, now);
}

/* ---------------------------------------------------------- heartbeat */

static char *summary_json(const struct daemon *d)
{
	size_t i, have = 0, deploy_failed = 0, verify_failed = 0, stapled = 0;
	json_t *o;
	char *s;

	/* A count over the sites every FLEET_BEAT seconds: ~20 ns each. */
	for (i = 0; i < d->site_count; i++) {
		const struct site *st = &d->sites[i];
		have += st->have && !st->placeholder;
		stapled += st->staple_ok;
		deploy_failed += st->deploy_failed != 0;
		verify_failed += st->verify == STATE_VERIFY_FAILED;
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "certificates", (json_int_t)d->site_count,
	              "deployed", (json_int_t)have, "stapled", (json_int_t)stapled, "deploy_failed",
	              (json_int_t)deploy_failed, "verify_failed", (json_int_t)verify_failed,
	              "config_drift", d->fleet->drift);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void fleet_beat(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char why[PG_WHY_MAX], *summary;
	int drift = 0;

	fl->beat_at = now + (fl->drift ? FLEET_DRIFT_BEAT : FLEET_BEAT);
	if (pg_fingerprint_check(fl->pg, fl->fingerprint, FLEET_LIVE, fl->fleet_fingerprint, &drift,
	                         why, sizeof(why)) != 0) {
		fleet_failed(d, "fingerprint", why, now);
		return;
	}
	if (drift != fl->drift) {
		if (drift)
			log_error(
			    "fleet_config_drift",
			    "node=%s fingerprint=%.16s fleet=%.16s action=\"this node does not "
			    "issue or push until its [ca]/[certificate] sections match the "
			    "fleet's\"",
			    pg_fleet_node(fl->pg), fl->fingerprint, fl->fleet_fingerprint);
		else
			log_warn("fleet_config_agrees", "node=%s fingerprint=%.16s",
			         pg_fleet_node(fl->pg), fl->fingerprint);
		fl->drift = drift;
		fl->beat_at = now + (drift ? FLEET_DRIFT_BEAT : FLEET_BEAT);
		d->dirty = 1;
		/* A rolling update ended: what drift held back is asked now. */
		for (size_t i = 0; !drift && i < d->site_count; i++) {
			if (fl->drift_skipped[i]) {
				fl->drift_skipped[i] = 0;
				d->sites[i].issue_next = now;
				site_schedule(d, &d->sites[i]);
			}
		}
	}
	summary = summary_json(d);
	if (pg_node_beat(fl->pg, d->started, fl->fingerprint, summary ? summary : "{}", why,
	                 sizeof(why)) != 0) {
		free(summary);
		fleet_failed(d, "heartbeat", why, now);
		return;
	}
	free(summary);
	pg_nodes_free(fl->nodes, fl->node_count);
	fl->nodes = NULL;
	fl->node_count = 0;
	if (pg_nodes_read(fl->pg, &fl->nodes, &fl->node_count, why, sizeof(why)) != 0)
		fleet_failed(d, "nodes", why, now);
}

/* ------------------------------------------------------ connection */

/* Connect; 0 or -1 (logged once per outage, by the caller's state). */
static int fleet_connect(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char why[PG_WHY_MAX], safe[PG_WHY_MAX];
	int schema = 0;

	fl->pg = pg_fleet_open(d->conf, NULL, &schema, why, sizeof(why));
	if (fl->pg != NULL && pg_fleet_listen(fl->pg, why, sizeof(why)) != 0) {
		pg_fleet_free(fl->pg);
		fl->pg = NULL;
	}
	if (fl->pg == NULL) {
		if (fl->down_since == 0) {
			fl->down_since = now;
			log_error("fleet_database_down", "op=connect reason=\"%s\"",
			          log_safe(safe, sizeof(safe), why));
		}
		fl->retry_at = now + fl->retry_backoff;
		fl->retry_backoff = fl->retry_backoff * 2 > FLEET_RETRY_MAX ? FLEET_RETRY_MAX
		                                                            : fl->retry_backoff * 2;
		return -1;
	}
	if (fl->down_since != 0)
		log_warn("fleet_database_up", "node=%s schema=%d down_for=%lld", d->conf->node,
		         schema, (long long)(now - fl->down_since));
	else
		log_info("fleet_connected", "node=%s schema=%d", d->conf->node, schema);
	fl->down_since = 0;
	fl->retry_backoff = FLEET_RETRY_MIN;
	fl->poll_at = now; /* catch up on what was missed */
	fl->beat_at = now;
	d->dirty = 1;
	return 0;
}

int daemon_fleet_setup(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl;
	size_t n = d->conf->cert_count ? d->conf->cert_count : 1;

	if (d->conf->database == NULL)
		return 0;
	fl = calloc(1, sizeof(*fl));
	if (fl == NULL)
		return -1;
	d->fleet = fl;
	fl->seen = calloc(n, sizeof(*fl->seen));
	fl->unshared = calloc(n, sizeof(*fl->unshared));
	fl->is_unshared = calloc(n, 1);
	fl->paused_logged = calloc(n, 1);
	fl->drift_skipped = calloc(n, 1);
	fl->lead_ring = calloc(n, sizeof(*fl->lead_ring));
	fl->lead_queued = calloc(n, 1);
	fl->lead_cap = n;
	if (fl->seen == NULL || fl->unshared == NULL || fl->is_unshared == NULL ||
	    fl->paused_logged == NULL || fl->drift_skipped == NULL || fl->lead_ring == NULL ||
	    fl->lead_queued == NULL || conf_shared_fingerprint(d->conf, fl->fingerprint) != 0)
		return -1;
	fl->retry_backoff = FLEET_RETRY_MIN;
	fleet_connect(d, now); /* down: start from the local copy, reconnect later */
	return 0;
}

void daemon_fleet_pull_all(struct daemon *d, time_t now)
{
	if (!fleet_on(d))
		return;
	d->fleet->loading = 1;
	fleet_poll(d, now);
	d->fleet->loading = 0;
}

void daemon_fleet_teardown(struct daemon *d)
{
	struct daemon_fleet *fl = d->fleet;

	if (fl == NULL)
		return;
	while (fl->held_count > 0)
		lease_give_back(d, &fl->held[fl->held_count - 1]);
	pg_fleet_free(fl->pg);
	pg_nodes_free(fl->nodes, fl->node_count);
	free(fl->held);
	free(fl->seen);
	free(fl->unshared);
	free(fl->is_unshared);
	free(fl->paused_logged);
	free(fl->drift_skipped);
	free(fl->lead_ring);
	free(fl->lead_queued);
	free(fl);
	d->fleet = NULL;
}

void daemon_fleet_tick(struct daemon *d, time_t now)
{
	struct daemon_fleet *fl = d->fleet;
	char why[PG_WHY_MAX], safe[PG_WHY_MAX], kind[16], name[sizeof(((struct held *)0)->name)];
	size_t i;

	if (fl == NULL)
		return;
	if (fl->pg == NULL) {
		if (now < fl->retry_at || fleet_connect(d, now) != 0)
			return;
	}
	if (pg_fleet_consume(fl->pg) != 0) {
		fleet_failed(d, "listen", "the connection was lost", now);
		return;
	}
	/* on_notify may lose the connection (fleet_failed frees it): looked at
	 * before each notification. */
	while (fleet_on(d) && pg_fleet_notification(fl->pg, kind, sizeof(kind), name, sizeof(name)))
		on_notify(d, kind, name);
	if (!fleet_on(d))
		return;
	for (i = 0; fleet_on(d) && i < fl->held_count; i++) {
		struct held *h = &fl->held[i];
		struct fleet_lease l;
		enum pg_outcome o;

		if (now < h->renew_at)
			continue;
		o = pg_lease_renew(fl->pg, h->name, h->token, &l, why, sizeof(why));
		if (o == PG_OK) {
			h->renew_at = fleet_lease_renew_at(l.expires_at, d->conf->lease_ttl);
		} else if (o == PG_REFUSED) {
			log_warn("fleet_lease_lost", "lease=%s token=%lld reason=\"%s\"", h->name,
			         h->token, log_safe(safe, sizeof(safe), why));
			held_drop(fl, h);
			i--;
		} else {
			fleet_failed(d, "lease", why, now);
		}
	}
	if (fleet_on(d) && now >= fl->beat_at)
		fleet_beat(d, now);
	if (fleet_on(d) && now >= fl->poll_at)
		fleet_poll(d, now);
	if (fleet_on(d) && fl->unshared_count > 0)
		unshared_push(d, now);
}

int daemon_fleet_next(const struct daemon *d, time_t *due)
{
	const struct daemon_fleet *fl = d->fleet;
	time_t t;
	size_t i;

	if (fl == NULL)
		return 0;
	if (fl->pg == NULL) {
		*due = fl->retry_at;
		return 1;
	}
	t = fl->beat_at < fl->poll_at ? fl->beat_at : fl->poll_at;
	for (i = 0; i < fl->held_count; i++)
		if (fl->held[i].renew_at < t)
			t = fl->held[i].renew_at;
	*due = t;
	return 1;
}

int daemon_fleet_fd(const struct daemon *d)
{
	return d->fleet != NULL ? pg_fleet_socket(d->fleet->pg) : -1;
}

int daemon_fleet_state(const struct daemon *d, struct daemon_fleet_state *st)
{
	const struct daemon_fleet *fl = d->fleet;

	memset(st, 0, sizeof(*st));
	if (fl == NULL)
		return 0;
	st->up = fl->pg != NULL;
	st->down_since = fl->down_since;
	st->drift = fl->drift;
	snprintf(st->fingerprint, sizeof(st->fingerprint), "%s", fl->fingerprint);
	snprintf(st->fleet_fingerprint, sizeof(st->fleet_fingerprint), "%s", fl->fleet_fingerprint);
	st->nodes = fl->nodes;
	st->node_count = fl->node_count;
	st->adopted_total = fl->adopted_total;
	st->fetched_total = fl->fetched_total;
	st->pulled_total = fl->pulled_total;
	st->pushed_total = fl->pushed_total;
	st->refused_total = fl->refused_total;
	st->alone_total = fl->alone_total;
	st->unshared = fl->unshared_count;
	return 1;
}

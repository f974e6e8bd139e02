/*
 * daemon/internal.h: what the daemon's files share, and nothing outside
 * src/daemon/ includes.  One thread (the loop's) owns every struct site and
 * struct daemon; see loop.c for the design and schedule.c for the timers.
 *
 * The one rule for code that changes when a site is next due (its staple,
 * issuance, deploy or verification times, or whether a fetch or an issuance
 * runs): afterwards call site_schedule(d, s), which moves it in d->timers.
 * The loop never looks at a site that is not due.
 */
#ifndef HOLDFAST_DAEMON_INTERNAL_H
#define HOLDFAST_DAEMON_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/x509.h>

#include "acme/issuer.h"
#include "acme/probe.h"
#include "conf/conf.h"
#include "daemon/state_index.h"
#include "deploy/deploy.h"
#include "ocsp/check.h"
#include "ocsp/fetch.h"
#include "ocsp/policy.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/http.h"
#include "x509/cert.h"

#define AUDIT_FIRST_DELAY   10   /* seconds after start: deploy first */
#define DAEMON_WAIT_MAX_MS  1000 /* the longest sleep while an audit or a reload waits */
#define DAEMON_IDLE_MAX_MS  (STATE_WRITE_MAX_AGE * 1000) /* the longest sleep otherwise */
#define ISSUE_PARALLEL      4  /* issuance threads at once; the rest wait their turn */
#define STATE_WRITE_EVERY   2  /* seconds: at most this often, when something changed */
#define STATE_WRITE_MAX_AGE 60 /* seconds: at least this often ("updated") */
#define ISSUE_RETRY_MAX     3600L
#define STAPLE_ERROR_MAX    256
#define ISSUE_ERROR_MAX     512
#define DEPLOY_RETRY        5 /* seconds between attempts after a failed deploy */
#define VERIFY_TRIES        5 /* checks of a deploy, a second apart, before it is an error */
#define START_THREADS_CORE  8 /* threads loading the store at start, per core */
#define START_THREADS_MAX   16
#define START_SITES_MIN     64 /* sites per thread, at least: fewer load on the main thread */

/* One OCSP responder of a site, with its failure count for the metrics. */
struct responder {
	char *url;
	unsigned long failed_total;
};

/* What the last CRL check of a site said (crl.c); a certificate with an OCSP
 * responder is never CRL-checked and stays at NONE. */
enum site_crl_state {
	SITE_CRL_NONE,    /* not checked (yet), or not a certificate to check */
	SITE_CRL_GOOD,    /* a current CRL does not list it */
	SITE_CRL_REVOKED, /* a CRL lists it (stale or not: a revocation is final) */
	SITE_CRL_STALE,   /* only a CRL past its nextUpdate, which does not list it */
	SITE_CRL_UNKNOWN, /* no CRL could be had or accepted */
};

struct site_crl {
	enum site_crl_state state;
	unsigned generation;             /* the site's load this is for; another: forgotten */
	int no_dp;                       /* the certificate names no distribution point */
	int checking;                    /* the check in flight is this site's */
	time_t checked_at;               /* the last check's end; 0: none */
	time_t this_update, next_update; /* of the CRL used (answers only) */
	time_t revoked_at;
	int reason;       /* CRLReason, -1 none */
	time_t ari_start; /* the ARI window's start as the last renewal check saw it */
	char serial[128]; /* of the certificate checked */
	char url[256];    /* the distribution point the answer is from */
	char error[256];  /* UNKNOWN or STALE: why (the last refusal) */
	unsigned long checks_total;
};

/* What the loop needs of the staple it serves (its DER is in the site). */
struct staple_held {
	enum staple_cert_status status;
	time_t this_update, next_update, produced_at;
};

/* A staple fetch in flight: ocsp/fetch asks the site's responders in turn. */
struct staple_fetch {
	struct daemon *d;
	struct site *s;
	struct cert_leaf *leaf;   /* the fetch's leaf, decoded from s->leaf */
	struct ocsp_fetch *fetch; /* its responder indexes are s->responders' */
	unsigned generation;      /* of the site's load it was started for */
};

struct site {
	const struct conf_cert *cert;
	struct issuer *iss;
	/* the certificate in the store, as loaded */
	int have;
	int placeholder;
	unsigned generation;           /* counts loads: a fetch for an older one is dropped */
	struct store_version *version; /* the set it was loaded from */
	unsigned char *leaf;           /* DER */
	size_t leaf_len;
	X509 *issuer_cert; /* borrowed from d->cacerts; NULL: cannot staple */
	time_t not_before, not_after;
	time_t renew_at;              /* from meta.json; 0 when absent */
	struct responder *responders; /* ocsp_responder_urls() order; none: cannot staple */
	size_t responder_count;
	/* its staple */
	unsigned char *staple;
	size_t staple_len;
	struct staple_held sv;
	int staple_ok;
	time_t staple_next;
	long staple_backoff;
	int staple_failures;
	char *staple_error; /* the last failure, NULL since the last success */
	struct staple_fetch *fetch;
	/* issuance */
	time_t issue_next;
	long issue_backoff;
	int force_issue;
	int issuing;
	pthread_t thread;
	struct issue_task *task; /* only while issuing */
	char *issue_error;       /* the last failure, NULL since the last success */
	/* CRL checks (crl.c) */
	struct site_crl crl;
	/* counters for the metrics */
	unsigned long staple_ok_total, staple_failed_total;
	unsigned long issue_ok_total, issue_failed_total;
	/* deployment */
	int deploy_failed;
	time_t deploy_retry_at;
	time_t deploy_at;     /* the last deploy that did something or failed; 0: none */
	char *deploy_targets; /* the targets that failed then (deploy_result), or NULL */
	int hook_failed;      /* run the hook at the retry even if nothing changed */
	time_t verify_at;     /* 0: nothing to verify */
	int verify_tries;
	enum state_verify verify; /* the last check of what verify_addr serves */
	time_t verify_done_at;    /* when it ended (ok or failed) */
	char *verify_error;       /* why it failed, or NULL */
	/* scheduling (schedule.c) */
	size_t id;                     /* its index in d->sites: its key in d->timers */
	int issue_queued;              /* due, waiting in d's queue for an issuance thread */
	struct site *issue_queue_next; /* that queue is first come, first served */
	/* the state index (state.c) */
	int state_changed; /* listed in d->changed */
};

/* An issuance thread's work: the thread writes only job; when it is done it
 * puts the task on d->done (under d->done_lock) and wakes the loop. */
struct issue_task {
	struct issue_job job;
	struct site *site;
	struct daemon *d;
	struct issue_task *next; /* in d->done */
};

/* The last readiness probe of one [ca] (probe.c). */
struct ca_ready {
	int probed; /* 0 until the first probe ends */
	int ready;  /* OK or WARNING: a failover to it would work */
	enum result result;
	char step[16];
	char reason[PROBE_REASON_MAX];
	time_t probed_at;
};

struct probe_task;
struct crl_task;
struct daemon_fleet;
struct pg_node;

struct daemon {
	const char *conf_path;
	struct conf *conf;
	struct store *store;
	struct issuer *iss;
	struct http_client *http;
	struct cacerts *cacerts; /* the issuers of the sites' leaves */
	struct site *sites;
	size_t site_count;
	size_t *by_name; /* site indexes in name order, for the state file */
	size_t fetches;  /* staple requests in flight */
	size_t issuing;  /* issuance threads running */
	/* scheduling (schedule.c) */
	struct timers *timers; /* every site with something pending, by when it is due */
	struct site *issue_queue_head, *issue_queue_tail; /* due while every thread is busy */
	int pending_reload; /* SIGHUP seen: start nothing new, reload once idle */
	int wake_fd;        /* eventfd: an issuance ended, or a signal came */
	pthread_mutex_t done_lock;
	/* one CAA check at a time (issuer threads, before a failover): c-ares's
	 * library init is not thread-safe */
	pthread_mutex_t caa_lock;
	struct issue_task *done; /* ended issuances, newest first (under done_lock) */
	struct metrics_server *metrics;
	struct ocspd *ocspd; /* ocsp_listen: staples for Apache and the like */
	/* the periodic audit: audit_run() in a forked child (audit.c) */
	pid_t audit_pid;
	int audit_fd;
	struct buf audit_out;
	time_t audit_next;
	unsigned long audit_counts[5]; /* by severity: ok info warning unknown critical */
	int audit_done;
	unsigned long *ca_ok_total, *ca_failed_total; /* per conf->cas[] */
	/* CA readiness probes (probe.c) */
	struct timers *probe_timers;   /* conf->cas[] indexes, by next probe time */
	struct ca_ready *ca_ready;     /* per conf->cas[] */
	struct probe_task *probe_task; /* the probe in flight, or NULL */
	/* CRL checks of the sites without OCSP (crl.c) */
	struct timers *crl_timers; /* site indexes, by next CRL check */
	struct crl_task *crl_task; /* the check in flight, or NULL */
	int crl_state_dirty;       /* state/crl.json needs writing: 1 soon, 2 at once */
	time_t crl_state_written;  /* its last write */
	/* the state files (state.c) */
	int dirty;               /* daemon.json needs writing */
	time_t state_written;    /* daemon.json, last attempt */
	size_t state_json_bytes; /* its size then: its rate limit */
	size_t *changed;         /* sites changed since the index was written, once each */
	size_t changed_count;
	int index_valid; /* a base and its journal are in place; else a new base is due */
	size_t journal_bytes;
	time_t index_written; /* last attempt */
	time_t beat_at;       /* the last heartbeat (state.c) */
	int stopping;         /* the last state write: daemon.json says "stopped" */
	int index_audit_done; /* the audit summary the index holds */
	unsigned long index_audit[5];
	time_t metrics_rendered;
	time_t started;
	struct daemon_fleet *fleet; /* fleet mode (fleet.c), or NULL */
};

extern const char *const daemon_audit_severities[5];

/* Forget the loaded certificate and its staple (not the counters, the
 * errors or a fetch in flight, which checks the generation). */
void site_unload(struct site *s);

/*
 * Load the certificate, its issuer and its stored staple and check them; no
 * network.  Runs on the start's worker threads: touches only s (and the
 * locked d->cacerts).  A missing certificate is not logged (it is issued); an
 * unreadable or invalid one is, and is treated as missing.
 */
void site_load(struct daemon *d, struct site *s, time_t now);

/* Tell the local OCSP responder (ocsp_listen) what s serves now. */
void site_publish(struct daemon *d, const struct site *s);

void site_deploy(struct daemon *d, struct site *s, const char *event);

/* Check that the server at verify_addr serves what was deployed. */
void site_verify(struct daemon *d, struct site *s, time_t now);

void message_set(char **dst, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void message_clear(char **dst);

double jitter(void);

void responders_free(struct responder *r, size_t count);

/* Start fetching s's staple on d->http (ocsp/fetch); the outcome is handled
 * when the fetch ends, from http_client_step(), or at once when no responder
 * can be asked. */
void daemon_staple_start(struct daemon *d, struct site *s);

/* Free s's fetch (a request in flight is abandoned) and count it out of
 * d->fetches. */
void daemon_staple_fetch_end(struct daemon *d, struct site *s);

/* Start issuing s on a thread of its own (on failure, retry later). */
void daemon_issue_start(struct daemon *d, struct site *s);

/* Handle every issuance that has ended since the last call, in the order
 * they ended: join the thread, count, reload the certificate, reschedule the
 * site; then start queued issuances on the freed threads. */
void daemon_issue_collect(struct daemon *d, time_t now);

/* Join every issuance thread and forget their tasks (teardown). */
void daemon_issue_join_all(struct daemon *d);

/* Wake the loop from any thread, or from a signal handler (one write(2)). */
void daemon_wake(int wake_fd);

/* schedule.c: see its header. */
void site_schedule(struct daemon *d, struct site *s);
void daemon_schedule_all(struct daemon *d);
void daemon_dispatch_due(struct daemon *d, time_t now);
int daemon_next_due(const struct daemon *d, time_t *due);
void daemon_issue_queue_run(struct daemon *d);
void daemon_issue_queue_clear(struct daemon *d);

/* probe.c: see its header.  Setup schedules every CA (0 or -1); teardown
 * waits for a probe in flight; dispatch starts the next due probe when none
 * runs; collect handles one that ended; next gives when the loop must wake
 * for the next one (0: not before a probe ends, or never). */
int daemon_probe_setup(struct daemon *d, time_t now);
void daemon_probe_teardown(struct daemon *d);
void daemon_probe_dispatch(struct daemon *d, time_t now);
void daemon_probe_collect(struct daemon *d, time_t now);
int daemon_probe_next(const struct daemon *d, time_t *due);

/* crl.c: see its header; the same shape as probe.c's.  site_crl_schedule()
 * (re)considers one site after its load or a renewal check changed it. */
int daemon_crl_setup(struct daemon *d, time_t now);
void daemon_crl_teardown(struct daemon *d);
void daemon_crl_dispatch(struct daemon *d, time_t now);
void daemon_crl_collect(struct daemon *d, time_t now);
int daemon_crl_next(const struct daemon *d, time_t *due);
void site_crl_schedule(struct daemon *d, struct site *s, time_t now);

/* The one path for a revoked certificate, whatever said so (source "ocsp" or
 * "crl"): a CRITICAL event and an immediate forced re-issue. */
void site_revoked(struct daemon *d, struct site *s, const char *source, const char *serial,
                  const char *reason);

void daemon_audit_start(struct daemon *d);

/* Drain the audit's output; when it has exited, count its findings. */
void daemon_audit_poll(struct daemon *d);

void daemon_audit_stop(struct daemon *d);

/* The whole Prometheus page for the current state.  No key material. */
void daemon_metrics_render(struct daemon *d, time_t now);

/*
 * Note that what the state files report of s changed (see state_index.h's
 * record): marks s for the index's journal, once however often it is called
 * before the next write, and sets d->dirty.  The loop's thread only.
 */
void site_changed(struct daemon *d, struct site *s);

/* Forget the marks of site_changed() and the index written for these sites:
 * before the sites are freed (stop, reload); the next write is a new base. */
void daemon_state_forget(struct daemon *d);

/* Write the state files now, whatever is due (start, stop): the index
 * (journal or base) and daemon.json.  Failures are logged. */
void daemon_state_write(struct daemon *d, time_t now);

/* At a clean stop: what daemon_state_write() writes, then "@stop" in the
 * journal and "stopped" in daemon.json. */
void daemon_state_stop(struct daemon *d, time_t now);

/* Write what is due of the state files (state.c says when); for the loop. */
void daemon_state_tick(struct daemon *d, time_t now);

/* When daemon_state_tick() has something to write next (may be past). */
time_t daemon_state_due(const struct daemon *d);

/* fleet.c: fleet mode (database =); see its header.  Every function is a
 * no-op (or says "go ahead") without database =.
 * - setup connects (a database that is down is not an error: the node
 *   starts from its local copy) and pull_all installs the fleet's newer
 *   sets before the sites load; teardown gives back the leases held.
 * - issue_gate before an issuance: 1 go ahead, 0 not now (s->issue_next
 *   set); issue_done after it (issued: a new set was installed).
 * - staple_gate before a staple fetch: 1 handled without fetching (the
 *   shared staple was served, or another node fetches: s->staple_next set),
 *   0 fetch; staple_done after the fetch (ok: s's staple is the new one).
 * - tick on every loop turn; next and fd for the loop's sleep. */
int daemon_fleet_setup(struct daemon *d, time_t now);
void daemon_fleet_pull_all(struct daemon *d, time_t now);
void daemon_fleet_teardown(struct daemon *d);
int daemon_fleet_issue_gate(struct daemon *d, struct site *s, time_t now);
void daemon_fleet_issue_done(struct daemon *d, struct site *s, int issued, time_t now);
int daemon_fleet_staple_gate(struct daemon *d, struct site *s, time_t now);
void daemon_fleet_staple_done(struct daemon *d, struct site *s, int ok, time_t now);
void daemon_fleet_tick(struct daemon *d, time_t now);
int daemon_fleet_next(const struct daemon *d, time_t *due);
int daemon_fleet_fd(const struct daemon *d);

/* What the metrics page and the state file report of fleet mode. */
struct daemon_fleet_state {
	int up, drift;
	time_t down_since;
	char fingerprint[65], fleet_fingerprint[65];
	const struct pg_node *nodes; /* borrowed: the last heartbeat's read */
	size_t node_count, unshared;
	unsigned long adopted_total, fetched_total, pulled_total, pushed_total, refused_total;
	unsigned long alone_total;
};

/* 1 with st filled in fleet mode, else 0. */
int daemon_fleet_state(const struct daemon *d, struct daemon_fleet_state *st);

/* Serve der (checked: v is its verdict) as s's staple and store it in s's
 * version; takes *der (NULL after).  0, or -1 when the store refused it. */
int site_staple_keep(struct site *s, unsigned char **der, size_t len, const struct ocsp_verdict *v);

/* sandbox.c: unless conf says `sandbox = no`, start spawn's helper and
 * restrict the process (seccomp, Landlock) to what conf needs.  Call once,
 * before any thread.  0, or -1 when the daemon cannot start (logged). */
int daemon_sandbox_start(const struct conf *conf, const char *conf_path);

#endif

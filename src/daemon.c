/*
 * daemon: see daemon.h for what it guarantees.
 *
 * Design: one thread runs the loop; it owns every struct site and the HTTP
 * client that fetches staples (so no locking around staple state).  Issuance
 * is blocking protocol code, so each issuance runs on its own thread with a
 * struct issue_job that only that thread writes until it sets job_done; the
 * loop then joins it and reloads the certificate from the store.  Signals
 * only set flags; the loop wakes at least once a second and sooner when a
 * timer is due.  A configuration reload waits until no issuance and no fetch
 * is in flight, so nothing ever refers to the old configuration.
 *
 * Start and memory (bench/daemon: 100,000 certificates).  A site keeps its
 * leaf as DER with the few fields the loop reads (expiry, placeholder,
 * renewal time, responder URLs), its staple's DER and times, and a pointer to
 * its issuer, which d->cacerts decodes once for every site it issued.
 * Nothing else stays in memory: fullchain.pem and privkey.pem are read from
 * the store's version directory when deploying, and the leaf is decoded again
 * (without its public key: see cert_leaf in cert.h) when a fetched staple is
 * checked, once per half validity.  At start every site is loaded and
 * re-validated -- the leaf's signature by its issuer, the staple's signature,
 * CertID and times -- on up to eight threads per core (site_load() touches
 * only its own site and the locked cacerts set), then the loop's thread
 * deploys them in order.  The private key is not decoded (OpenSSL 3.0 takes
 * ~310 us per key) nor even read at start: privkey.pem must be a regular
 * file, and is checked to hold a PEM private key when it is deployed.  The
 * key/certificate match is left to issuance, which made the pair, and to
 * holdfast status, which decodes both.
 */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cacerts.h"
#include "cert.h"
#include "certstore.h"
#include "cli/cli.h"
#include "conf.h"
#include "buf.h"
#include "deploy.h"
#include "http.h"
#include "issuer.h"
#include "log.h"
#include "metrics.h"
#include "ocspd.h"
#include "ocsp.h"
#include "privsep.h"
#include "store.h"
#include "timeutil.h"

#define SITE_URLS_MAX       (CERT_URLS_MAX + 8)
#define DAEMON_TICK_MS      1000
#define ISSUE_PARALLEL      4  /* issuance threads at once; the rest wait their turn */
#define STATE_WRITE_EVERY   2  /* seconds: at most this often, when something changed */
#define STATE_WRITE_MAX_AGE 60 /* seconds: at least this often ("updated") */
#define ISSUE_RETRY_MAX     3600L
#define STAPLE_MARGIN_MAX   300L /* stop relying on a staple this long before it expires */
#define PEM_FILE_MAX        (1024 * 1024)
#define KEY_FILE_MAX        (64 * 1024)
#define STAPLE_ERROR_MAX    256
#define ISSUE_ERROR_MAX     512
#define DEPLOY_RETRY        5 /* seconds between attempts after a failed deploy */
#define VERIFY_TRIES        5 /* checks of a deploy, a second apart, before it is an error */
#define START_THREADS_CORE  8 /* threads loading the store at start, per core */
#define START_THREADS_MAX   16
#define START_SITES_MIN     64 /* sites per thread, at least: fewer load on the main thread */

static volatile sig_atomic_t got_hup, got_term;

/* One OCSP responder of a site, with its failure count for the metrics. */
struct responder {
	char *url;
	unsigned long failed_total;
};

/* What the loop needs of the staple it serves (its DER is in the site). */
struct staple_held {
	enum staple_cert_status status;
	time_t this_update, next_update, produced_at;
};

/* A staple fetch in flight: the responders are tried in turn. */
struct staple_fetch {
	struct http_request req; /* req.user is the site */
	unsigned char *request;  /* DER OCSP request, also the POST body */
	size_t request_len;
	size_t url_next;
	unsigned generation; /* of the site's load it was started for */
};

struct site {
	const struct conf_cert *cert;
	struct issuer *iss;
	/* the certificate in the store, as loaded */
	int have;
	int placeholder;
	unsigned generation; /* counts loads: a fetch for an older one is dropped */
	char *dir;           /* its version directory, under STORE/certificates */
	unsigned char *leaf; /* DER */
	size_t leaf_len;
	X509 *issuer_cert; /* borrowed from d->cacerts; NULL: cannot staple */
	time_t not_after;
	time_t renew_at;              /* from meta.json; 0 when absent */
	struct responder *responders; /* none: cannot staple */
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
	struct issue_job *job; /* only while issuing */
	atomic_int job_done;
	char *issue_error; /* the last failure, NULL since the last success */
	/* counters for the metrics */
	unsigned long staple_ok_total, staple_failed_total;
	unsigned long issue_ok_total, issue_failed_total;
	/* deployment */
	int deploy_failed;
	time_t deploy_retry_at;
	time_t verify_at; /* 0: nothing to verify */
	int verify_tries;
};

struct daemon {
	const char *conf_path;
	struct conf *conf;
	struct issuer *iss;
	struct http_client *http;
	struct cacerts *cacerts; /* the issuers of the sites' leaves */
	struct site *sites;
	size_t site_count;
	size_t *by_name; /* site indexes in name order, for the state file */
	size_t fetches;  /* staple requests in flight */
	size_t issuing;  /* issuance threads running */
	struct metrics_server *metrics;
	struct ocspd *ocspd; /* ocsp_listen: staples for Apache and the like */
	/* the periodic audit, run as a child: holdfast audit --json */
	pid_t audit_pid;
	int audit_fd;
	struct buf audit_out;
	time_t audit_next;
	unsigned long audit_counts[5]; /* by severity: ok info warning unknown critical */
	int audit_done;
	unsigned long *ca_ok_total, *ca_failed_total; /* per conf->cas[] */
	int dirty;                                    /* state file needs writing */
	time_t state_written;
	time_t metrics_rendered;
	time_t started;
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static long staple_margin(const struct staple_held *v)
{
	long window = (long)(v->next_update - v->this_update);
	long m = window / 10;

	return m < STAPLE_MARGIN_MAX ? m : STAPLE_MARGIN_MAX;
}

static double jitter(void)
{
	return (double)arc4random_uniform(1000000) / 1e6;
}

/* Replace *dst with a new message of at most max - 1 bytes (NULL when out
 * of memory). */
static void message_set(char **dst, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void message_set(char **dst, size_t max, const char *fmt, ...)
{
	char msg[ISSUE_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (max < sizeof(msg))
		msg[max - 1] = '\0';
	free(*dst);
	*dst = strdup(msg);
}

static void message_clear(char **dst)
{
	free(*dst);
	*dst = NULL;
}

static void responders_free(struct responder *r, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(r[i].url);
	free(r);
}

/* Forget the loaded certificate and its staple (not the counters, the
 * errors or a fetch in flight, which checks the generation). */
static void site_unload(struct site *s)
{
	s->have = 0;
	s->placeholder = 0;
	s->generation++;
	free(s->dir);
	free(s->leaf);
	s->dir = NULL;
	s->leaf = NULL;
	s->leaf_len = 0;
	s->issuer_cert = NULL;
	s->not_after = s->renew_at = 0;
	responders_free(s->responders, s->responder_count);
	s->responders = NULL;
	s->responder_count = 0;
	free(s->staple);
	s->staple = NULL;
	s->staple_len = 0;
	s->staple_ok = 0;
}

/* STORE/certificates/DIR/file, DIR being the version s was loaded from. */
static int site_path(const struct daemon *d, const struct site *s, const char *file, char *dst,
                     size_t len)
{
	int n = s->dir[0] == '/'
	            ? snprintf(dst, len, "%s/%s", s->dir, file)
	            : snprintf(dst, len, "%s/certificates/%s/%s", d->conf->store, s->dir, file);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* The version directory STORE/certificates/NAME points to, newly allocated
 * (NAME itself when it is a directory, not a link), or NULL with errno.
 * Reading every file of a load and a deploy from it means they all belong to
 * one issuance, even when the link switches meanwhile. */
static char *version_dir_new(const struct daemon *d, const char *name)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int w = snprintf(link, sizeof(link), "%s/certificates/%s", d->conf->store, name);

	if (w < 0 || (size_t)w >= sizeof(link)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL ? strdup(name) : NULL;
	target[n] = '\0';
	return strdup(target);
}

/* The start's check of privkey.pem: a regular file of a sane size.  Its
 * content is read only when deploying (see key_pem_ok()); a reboot leaves
 * the store on disk, and at start every file read is a disk read.  0, or -1
 * with the reason in why.  Warns when others than the owner may read it. */
static int key_file_check(const char *path, const char *name, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "privkey.pem: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
		snprintf(why, whylen, "privkey.pem: not a regular file of 1 to %d bytes",
		         KEY_FILE_MAX);
		return -1;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("key_permissions", "cert=%s file=%s mode=%04o", name, path,
		         (unsigned)(st.st_mode & 07777));
	return 0;
}

/* 1 when pem (len bytes) holds an unencrypted PEM private key. */
static int key_pem_ok(const char *pem, size_t len)
{
	static const char *const begin[] = {"-----BEGIN PRIVATE KEY-----",
	                                    "-----BEGIN EC PRIVATE KEY-----",
	                                    "-----BEGIN RSA PRIVATE KEY-----"};
	size_t i;

	for (i = 0; i < sizeof(begin) / sizeof(begin[0]); i++)
		if (memmem(pem, len, begin[i], strlen(begin[i])) != NULL)
			return 1;
	return 0;
}

/* renew_at and placeholder of meta.json; 0, or -1 with the reason in why. */
static int meta_read(const char *path, time_t *renew_at, int *placeholder, char *why, size_t whylen)
{
	json_t *meta = certstore_json_load(path, CERTSTORE_META_MAX);
	const char *r;

	if (meta == NULL) {
		snprintf(why, whylen, "meta.json: %s",
		         errno == EBADMSG ? "not a JSON object" : strerror(errno));
		return -1;
	}
	r = json_string_value(json_object_get(meta, "renew_at"));
	if (r == NULL || time_parse(r, renew_at) != 0)
		*renew_at = 0;
	*placeholder = json_is_true(json_object_get(meta, "placeholder"));
	json_decref(meta);
	return 0;
}

/* The responders of leaf and the configured backups; failure counts of
 * URLs the site had before carry over.  Fills s->responders. */
static void site_responders_set(struct site *s, const struct cert_leaf *leaf, struct responder *old,
                                size_t old_count)
{
	char *urls[SITE_URLS_MAX];
	size_t n, i, k;

	n = cert_leaf_ocsp_urls(leaf, urls, 0, CERT_URLS_MAX);
	for (i = 0; i < s->cert->ocsp_backup.count && n < SITE_URLS_MAX; i++) {
		urls[n] = strdup(s->cert->ocsp_backup.items[i]);
		if (urls[n] != NULL)
			n++;
	}
	s->responders = n ? calloc(n, sizeof(*s->responders)) : NULL;
	if (s->responders == NULL) {
		for (i = 0; i < n; i++)
			free(urls[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		s->responders[i].url = urls[i];
		for (k = 0; k < old_count; k++)
			if (strcmp(old[k].url, urls[i]) == 0)
				s->responders[i].failed_total = old[k].failed_total;
	}
	s->responder_count = n;
}

/*
 * Load the certificate, its issuer and its stored staple and check them; no
 * network.  Runs on the start's worker threads: touches only s (and the
 * locked d->cacerts).  A missing certificate is not logged (it is issued); an
 * unreadable or invalid one is, and is treated as missing.
 */
static void site_load(struct daemon *d, struct site *s, time_t now)
{
	char path[PATH_MAX], why[200] = "";
	unsigned char *pem = NULL, *issuer_der = NULL, *data = NULL;
	size_t pem_len = 0, issuer_len = 0, len = 0, old_count = s->responder_count;
	struct responder *old = s->responders;
	struct cert_leaf *leaf = NULL;
	struct ocsp_verdict v;
	time_t not_before;

	s->responders = NULL; /* kept for their counters */
	s->responder_count = 0;
	site_unload(s);
	s->dir = version_dir_new(d, s->cert->name);
	if (s->dir == NULL) {
		if (errno != ENOENT)
			snprintf(why, sizeof(why), "%s", strerror(errno));
		goto out;
	}
	if (site_path(d, s, "fullchain.pem", path, sizeof(path)) != 0 ||
	    store_read_file(path, PEM_FILE_MAX, &pem, &pem_len) != 0) {
		if (errno != ENOENT)
			snprintf(why, sizeof(why), "fullchain.pem: %s", strerror(errno));
		goto out;
	}
	if (cert_pem_leaf_issuer_der((const char *)pem, pem_len, &s->leaf, &s->leaf_len,
	                             &issuer_der, &issuer_len) != 0 ||
	    (leaf = cert_leaf_new(s->leaf, s->leaf_len)) == NULL ||
	    cert_leaf_validity(leaf, &not_before, &s->not_after) != 0) {
		snprintf(why, sizeof(why), "fullchain.pem: no valid certificate");
		goto out;
	}
	if (site_path(d, s, "privkey.pem", path, sizeof(path)) != 0 ||
	    key_file_check(path, s->cert->name, why, sizeof(why)) != 0)
		goto out;
	if (site_path(d, s, "meta.json", path, sizeof(path)) != 0 ||
	    meta_read(path, &s->renew_at, &s->placeholder, why, sizeof(why)) != 0)
		goto out;
	if (issuer_der != NULL) {
		s->issuer_cert = cacerts_get(d->cacerts, issuer_der, issuer_len);
		if (s->issuer_cert == NULL) {
			snprintf(why, sizeof(why), "fullchain.pem: the issuer does not decode");
			goto out;
		}
	}
	s->have = 1;
	if (s->placeholder || now >= s->not_after || s->issuer_cert == NULL)
		goto out; /* nothing to staple */
	if (!cert_leaf_verify(leaf, s->issuer_cert, why, sizeof(why))) {
		log_error("certificate_invalid", "cert=%s dir=%s reason=\"%s\"", s->cert->name,
		          s->dir, why);
		why[0] = '\0';
		s->have = 0;
		goto out;
	}
	site_responders_set(s, leaf, old, old_count);
	if (s->responder_count > 0 && site_path(d, s, "staple.ocsp", path, sizeof(path)) == 0 &&
	    store_read_file(path, OCSP_RESPONSE_MAX, &data, &len) == 0) {
		if (ocsp_response_check_serial(data, len, cert_leaf_issuer_name(leaf),
		                               cert_leaf_serial(leaf), s->issuer_cert, now,
		                               &v) == STAPLE_OK &&
		    now < staple_withdraw_at(v.this_update, v.next_update)) {
			s->staple = data;
			s->staple_len = len;
			s->staple_ok = 1;
			s->sv.status = v.status;
			s->sv.this_update = v.this_update;
			s->sv.next_update = v.next_update;
			s->sv.produced_at = v.produced_at;
			data = NULL;
		}
		free(data);
	}
	s->staple_next =
	    s->staple_ok ? staple_refresh_at(s->sv.this_update, s->sv.next_update, jitter()) : now;
out:
	if (why[0] != '\0')
		log_warn("certificate_unreadable", "cert=%s dir=%s reason=\"%s\"", s->cert->name,
		         s->dir ? s->dir : "-", why);
	if (!s->have)
		site_unload(s);
	responders_free(old, old_count);
	cert_leaf_free(leaf);
	free(pem);
	free(issuer_der);
}

/* fullchain.pem and privkey.pem of the version s was loaded from, newly
 * allocated (the caller cleanses the key).  0; -2 (logged) when that version
 * is gone or its chain does not start with the loaded leaf (the store holds
 * another one now); -1 (logged) when a file is unreadable or privkey.pem
 * holds no PEM private key. */
static int site_files_read(const struct daemon *d, const struct site *s, char **chain,
                           size_t *chain_len, char **key, size_t *key_len)
{
	char path[PATH_MAX] = "";
	unsigned char *leaf = NULL, *issuer = NULL;
	size_t leaf_len = 0, issuer_len = 0;
	const char *why = NULL;
	int rc = -1;

	*chain = *key = NULL;
	*chain_len = *key_len = 0;
	if (site_path(d, s, "fullchain.pem", path, sizeof(path)) != 0 ||
	    store_read_file(path, PEM_FILE_MAX, (unsigned char **)chain, chain_len) != 0) {
		rc = errno == ENOENT ? -2 : -1;
		goto fail;
	}
	if (cert_pem_leaf_issuer_der(*chain, *chain_len, &leaf, &leaf_len, &issuer, &issuer_len) !=
	        0 ||
	    leaf_len != s->leaf_len || memcmp(leaf, s->leaf, leaf_len) != 0) {
		why = "not the certificate loaded";
		rc = -2;
		goto fail;
	}
	if (site_path(d, s, "privkey.pem", path, sizeof(path)) != 0 ||
	    store_read_file(path, KEY_FILE_MAX, (unsigned char **)key, key_len) != 0) {
		rc = errno == ENOENT ? -2 : -1;
		goto fail;
	}
	if (!key_pem_ok(*key, *key_len)) {
		why = "no unencrypted PEM private key";
		goto fail;
	}
	free(leaf);
	free(issuer);
	return 0;
fail:
	log_warn("certificate_unreadable", "cert=%s file=%s reason=\"%s\"", s->cert->name, path,
	         why ? why : strerror(errno));
	free(leaf);
	free(issuer);
	free(*chain);
	*chain = NULL;
	if (*key != NULL)
		OPENSSL_cleanse(*key, *key_len);
	free(*key);
	*key = NULL;
	return rc;
}

/* Tell the local OCSP responder (ocsp_listen) what s serves now. */
static void site_publish(struct daemon *d, const struct site *s)
{
	struct cert_leaf *leaf = NULL;

	if (d->ocspd == NULL)
		return;
	if (!s->have || s->placeholder || s->issuer_cert == NULL ||
	    (leaf = cert_leaf_new(s->leaf, s->leaf_len)) == NULL) {
		ocspd_forget(d->ocspd, s->cert->name);
		return;
	}
	if (ocspd_publish(
	        d->ocspd, s->cert->name, cert_leaf_issuer_name(leaf), cert_leaf_serial(leaf),
	        s->issuer_cert, s->staple_ok ? s->staple : NULL, s->staple_ok ? s->staple_len : 0,
	        s->staple_ok ? staple_withdraw_at(s->sv.this_update, s->sv.next_update) : 0) != 0)
		log_warn("ocsp_publish_failed", "cert=%s reason=\"out of memory\"", s->cert->name);
	cert_leaf_free(leaf);
}

static void site_deploy(struct daemon *d, struct site *s, const char *event)
{
	struct deploy_input in;
	char *chain = NULL, *key = NULL;
	size_t chain_len = 0, key_len = 0;
	int changed = 0, attempt, rc;

	site_publish(d, s);
	for (attempt = 0;; attempt++) {
		if (!s->have || (s->cert->deploy.count == 0 && s->cert->deploy_hook == NULL))
			return;
		if (s->cert->must_staple && !s->staple_ok) {
			log_warn("deploy_held",
			         "cert=%s reason=\"must_staple and no valid staple\"",
			         s->cert->name);
			return;
		}
		rc = site_files_read(d, s, &chain, &chain_len, &key, &key_len);
		if (rc == 0)
			break;
		if (rc == -1 || attempt == 1) {
			s->deploy_failed = 1;
			s->deploy_retry_at = time(NULL) + DEPLOY_RETRY;
			d->dirty = 1;
			return;
		}
		/* The version loaded is gone: load what the store holds now. */
		site_load(d, s, time(NULL));
		site_publish(d, s);
		d->dirty = 1;
	}
	memset(&in, 0, sizeof(in));
	in.fullchain_pem = chain;
	in.fullchain_len = chain_len;
	in.key_pem = key;
	in.key_len = key_len;
	in.staple = s->staple_ok ? s->staple : NULL;
	in.staple_len = s->staple_ok ? s->staple_len : 0;
	in.event = event;
	in.force = s->deploy_failed; /* a failed reload or push is repeated */
	s->deploy_failed = deploy_certificate(d->conf, s->cert, &in, &changed) != 0;
	OPENSSL_cleanse(key, key_len);
	free(key);
	free(chain);
	if (s->deploy_failed)
		s->deploy_retry_at = time(NULL) + DEPLOY_RETRY;
	if (changed && s->cert->verify_addr != NULL) {
		/* Servers reload asynchronously: look a moment later. */
		s->verify_at = time(NULL) + 1;
		s->verify_tries = 0;
	}
	if (changed)
		log_info("deploy_done", "cert=%s event=%s staple=%s failed=%d", s->cert->name,
		         event, in.staple ? "yes" : "no", s->deploy_failed);
	d->dirty = 1;
}

/* Check that the server at verify_addr serves what was deployed. */
static void site_verify(struct daemon *d, struct site *s, time_t now)
{
	char why[256];

	if (!s->have || deploy_verify(s->cert->verify_addr, s->cert->names.items[0], s->leaf,
	                              s->leaf_len, s->staple_ok ? s->staple : NULL,
	                              s->staple_ok ? s->staple_len : 0, why, sizeof(why)) == 0) {
		log_info("deploy_verified", "cert=%s addr=%s staple=%s", s->cert->name,
		         s->cert->verify_addr, s->staple_ok ? "yes" : "no");
		s->verify_at = 0;
		d->dirty = 1;
		return;
	}
	if (++s->verify_tries >= VERIFY_TRIES) {
		log_error("deploy_verify_failed", "cert=%s addr=%s reason=\"%s\"", s->cert->name,
		          s->cert->verify_addr, why);
		s->verify_at = 0;
		return;
	}
	s->verify_at = now + 1;
}

/* ---------------------------------------------------------------- staples */

static void staple_fetch_end(struct daemon *d, struct site *s)
{
	http_request_cleanup(&s->fetch->req);
	free(s->fetch->request);
	free(s->fetch);
	s->fetch = NULL;
	d->fetches--;
}

static void staple_submit_next(struct daemon *d, struct site *s)
{
	struct staple_fetch *f = s->fetch;

	while (f->url_next < s->responder_count) {
		const char *url = s->responders[f->url_next++].url;
		char get_url[2048];
		int get =
		    ocsp_request_get_url(url, f->request, f->request_len, get_url, sizeof(get_url));
		http_request_cleanup(&f->req);
		if (get == 1 && http_request_init(&f->req, get_url) == 0) {
			f->req.user = s;
			http_client_submit(d->http, &f->req);
			return;
		}
		if (get == 0 && http_request_init(&f->req, url) == 0) {
			f->req.post_body = f->request;
			f->req.post_len = f->request_len;
			f->req.post_content_type = "application/ocsp-request";
			f->req.user = s;
			http_client_submit(d->http, &f->req);
			return;
		}
	}
	/* Every responder failed. */
	staple_fetch_end(d, s);
	{
		time_t now = time(NULL), next;
		char t[32];
		long b = s->staple_backoff ? s->staple_backoff * 2 : d->conf->staple_retry_min;
		if (b > d->conf->staple_retry_max)
			b = d->conf->staple_retry_max;
		s->staple_backoff = b;
		s->staple_failures++;
		s->staple_failed_total++;
		next = now + b;
		/* Never wait past the point where the staple we serve stops being safe. */
		if (s->staple_ok && next > s->sv.next_update - staple_margin(&s->sv))
			next = s->sv.next_update - staple_margin(&s->sv);
		if (next <= now)
			next = now + 1;
		s->staple_next = next;
		log_warn("staple_refresh_failed",
		         "cert=%s failures=%d serving=%s next_attempt=%s error=\"%s\"",
		         s->cert->name, s->staple_failures, s->staple_ok ? "last-good" : "none",
		         time_format(t, sizeof(t), next), s->staple_error ? s->staple_error : "");
		d->dirty = 1;
	}
}

static void staple_start(struct daemon *d, struct site *s)
{
	struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
	struct staple_fetch *f = calloc(1, sizeof(*f));

	if (f == NULL || leaf == NULL ||
	    ocsp_request_der_new_serial(cert_leaf_issuer_name(leaf), cert_leaf_serial(leaf),
	                                s->issuer_cert, &f->request, &f->request_len) != 0) {
		/* Out of memory: the leaf decoded at load.  Try again later. */
		cert_leaf_free(leaf);
		free(f);
		s->staple_next = time(NULL) + d->conf->staple_retry_min;
		return;
	}
	cert_leaf_free(leaf);
	f->generation = s->generation;
	s->fetch = f;
	d->fetches++;
	staple_submit_next(d, s);
}

static int content_type_ok(const char *ct)
{
	return strncasecmp(ct, "application/ocsp-response", 25) == 0 &&
	       (ct[25] == '\0' || ct[25] == ';' || ct[25] == ' ');
}

/* Check a fetched response for s's leaf; fills v, returns v->error. */
static enum staple_error staple_check(const struct site *s, const unsigned char *der, size_t len,
                                      time_t now, struct ocsp_verdict *v)
{
	struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
	enum staple_error e;

	if (leaf == NULL) {
		memset(v, 0, sizeof(*v));
		snprintf(v->detail, sizeof(v->detail), "out of memory");
		return v->error = STAPLE_ERR_MALFORMED;
	}
	e = ocsp_response_check_serial(der, len, cert_leaf_issuer_name(leaf),
	                               cert_leaf_serial(leaf), s->issuer_cert, now, v);
	cert_leaf_free(leaf);
	return e;
}

/* 1 when the fetched response v is older than the staple s serves. */
static int staple_older_than_held(const struct ocsp_verdict *v, const struct staple_held *held)
{
	struct ocsp_verdict stored;

	memset(&stored, 0, sizeof(stored));
	stored.this_update = held->this_update;
	stored.produced_at = held->produced_at;
	return staple_older(v, &stored);
}

static void staple_on_response(struct http_request *req, void *ctx)
{
	struct daemon *d = ctx;
	struct site *s = req->user;
	const char *url;
	struct ocsp_verdict v;
	char path[PATH_MAX], t[32], safe[200];
	time_t now = time(NULL);

	if (s->fetch->generation != s->generation) {
		/* The certificate was reloaded meanwhile: this answer is for the old one. */
		staple_fetch_end(d, s);
		return;
	}
	url = s->responders[s->fetch->url_next - 1].url;
	if (req->outcome != HTTP_OUTCOME_OK)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: %s: %s", url,
		            http_outcome_name(req->outcome),
		            log_safe(safe, sizeof(safe), req->detail));
	else if (req->status != 200)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: HTTP status %ld", url,
		            req->status);
	else if (!content_type_ok(req->content_type))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: content-type", url);
	else if (staple_check(s, req->body.data, req->body.len, now, &v) != STAPLE_OK)
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: %s: %s", url,
		            staple_error_name(v.error), v.detail);
	else if (now >= staple_withdraw_at(v.this_update, v.next_update))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: expires-too-soon", url);
	else if (s->staple_ok && staple_older_than_held(&v, &s->sv))
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "%s: older-than-stored", url);
	else {
		unsigned char *copy = malloc(req->body.len);
		if (copy != NULL && site_path(d, s, "staple.ocsp", path, sizeof(path)) == 0 &&
		    store_write_atomic(path, req->body.data, req->body.len, 0644) == 0) {
			memcpy(copy, req->body.data, req->body.len);
			free(s->staple);
			s->staple = copy;
			s->staple_len = req->body.len;
			s->sv.status = v.status;
			s->sv.this_update = v.this_update;
			s->sv.next_update = v.next_update;
			s->sv.produced_at = v.produced_at;
			s->staple_ok = 1;
			s->staple_ok_total++;
			s->staple_backoff = 0;
			s->staple_failures = 0;
			message_clear(&s->staple_error);
			s->staple_next = staple_refresh_at(v.this_update, v.next_update, jitter());
			log_info("staple_refreshed", "cert=%s url=\"%s\" status=%s next_update=%s",
			         s->cert->name, url, staple_cert_status_name(v.status),
			         time_format(t, sizeof(t), v.next_update));
			staple_fetch_end(d, s);
			d->dirty = 1;
			if (v.status == STAPLE_STATUS_REVOKED) {
				struct cert_leaf *leaf = cert_leaf_new(s->leaf, s->leaf_len);
				char serial[128] = "";
				if (leaf != NULL)
					cert_leaf_serial_hex(leaf, serial, sizeof(serial));
				cert_leaf_free(leaf);
				log_error("certificate_revoked", "cert=%s serial=%s action=reissue",
				          s->cert->name, serial);
				s->force_issue = 1;
				s->issue_next = now;
			}
			site_deploy(d, s, "staple");
			return;
		}
		free(copy);
		message_set(&s->staple_error, STAPLE_ERROR_MAX, "cannot store the staple");
	}
	s->responders[s->fetch->url_next - 1].failed_total++;
	log_warn("ocsp_fetch_failed", "cert=%s detail=\"%s\"", s->cert->name,
	         log_safe(safe, sizeof(safe), s->staple_error ? s->staple_error : ""));
	staple_submit_next(d, s);
}

/* ---------------------------------------------------------------- issuance */

static void *issue_thread(void *arg)
{
	struct site *s = arg;
	struct issuer_worker *w = issuer_worker_new(s->iss);

	if (w != NULL) {
		issuer_run_job(w, s->job);
		issuer_worker_free(w);
	} else {
		s->job->exit_code = EXIT_UNKNOWN;
		snprintf(s->job->message, sizeof(s->job->message), "out of memory");
	}
	atomic_store(&s->job_done, 1);
	return NULL;
}

static void issue_start(struct daemon *d, struct site *s)
{
	s->job = calloc(1, sizeof(*s->job));
	if (s->job == NULL) {
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		return;
	}
	s->job->cert = s->cert;
	s->job->mode = MODE_RENEW;
	s->job->force = s->force_issue;
	s->iss = d->iss;
	atomic_store(&s->job_done, 0);
	if (pthread_create(&s->thread, NULL, issue_thread, s) != 0) {
		free(s->job);
		s->job = NULL;
		s->issue_next = time(NULL) + d->conf->issue_retry_min;
		return;
	}
	s->issuing = 1;
	d->issuing++;
	d->dirty = 1;
}

static void issue_finish(struct daemon *d, struct site *s, time_t now)
{
	char t[32];

	pthread_join(s->thread, NULL);
	s->issuing = 0;
	d->issuing--;
	s->force_issue = 0;
	for (size_t k = 0; k < s->job->attempt_count; k++) {
		for (size_t c = 0; c < d->conf->ca_count; c++) {
			if (strcmp(d->conf->cas[c].name, s->job->attempts[k].ca) == 0)
				d->ca_failed_total[c]++;
		}
	}
	for (size_t c = 0; c < d->conf->ca_count; c++) {
		if (strcmp(d->conf->cas[c].name, s->job->ca_used) == 0 &&
		    strcmp(s->job->action, "issued") == 0)
			d->ca_ok_total[c]++;
	}
	if (s->job->exit_code == EXIT_OK || s->job->exit_code == EXIT_WARNING)
		s->issue_ok_total++;
	else
		s->issue_failed_total++;
	if (s->job->exit_code == EXIT_OK || s->job->exit_code == EXIT_WARNING) {
		s->issue_backoff = 0;
		message_clear(&s->issue_error);
		s->issue_next = s->job->renew_at ? s->job->renew_at : now + 3600;
		if (strcmp(s->job->action, "issued") == 0) {
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
	} else {
		long b = s->issue_backoff ? s->issue_backoff * 2 : d->conf->issue_retry_min;
		s->issue_backoff = b > ISSUE_RETRY_MAX ? ISSUE_RETRY_MAX : b;
		s->issue_next = now + s->issue_backoff;
		message_set(&s->issue_error, ISSUE_ERROR_MAX, "%s", s->job->message);
		if (!s->have) {
			/* The issuer installed a placeholder: deploy it so servers start. */
			site_load(d, s, now);
			site_deploy(d, s, "certificate");
		}
		log_warn("issuance_failed", "cert=%s next_attempt=%s message=\"%s\"", s->cert->name,
		         time_format(t, sizeof(t), s->issue_next),
		         s->issue_error ? s->issue_error : "");
	}
	free(s->job);
	s->job = NULL;
	issuer_save_state(d->iss);
	d->dirty = 1;
}

/* ---------------------------------------------------------------- audit */

#define AUDIT_FIRST_DELAY 10 /* seconds after start: deploy first */
#define AUDIT_OUTPUT_MAX  (16 * 1024 * 1024)

extern char **environ;

static const char *const audit_severities[5] = {"OK", "INFO", "WARNING", "UNKNOWN", "CRITICAL"};

static void audit_start(struct daemon *d)
{
	posix_spawn_file_actions_t fa;
	char exe[PATH_MAX];
	char *argv[] = {exe, "audit", "-c", (char *)d->conf_path, "--json", NULL};
	int pipefd[2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	d->audit_next = time(NULL) + d->conf->audit_interval;
	if (n <= 0 || pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	exe[n] = '\0';
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (posix_spawn(&d->audit_pid, exe, &fa, NULL, argv, environ) != 0) {
		d->audit_pid = 0;
		close(pipefd[0]);
	} else {
		d->audit_fd = pipefd[0];
		fcntl(d->audit_fd, F_SETFL, O_NONBLOCK);
		buf_init(&d->audit_out, AUDIT_OUTPUT_MAX);
		log_info("audit_started", "pid=%d", (int)d->audit_pid);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
}

/* Drain the audit's output; when it has exited, count its findings. */
static void audit_poll(struct daemon *d)
{
	char chunk[65536], path[PATH_MAX];
	const char *p, *end;
	int status;
	ssize_t n;
	size_t i;

	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n); /* past the cap: truncated */
	if (waitpid(d->audit_pid, &status, WNOHANG) != d->audit_pid)
		return;
	while ((n = read(d->audit_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&d->audit_out, chunk, (size_t)n);
	close(d->audit_fd);
	d->audit_pid = 0;
	memset(d->audit_counts, 0, sizeof(d->audit_counts));
	p = (const char *)d->audit_out.data;
	end = p ? p + d->audit_out.len : NULL;
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		json_t *f = json_loadb(p, (size_t)((eol ? eol : end) - p), 0, NULL);
		const char *sev = json_string_value(json_object_get(f, "severity"));
		for (i = 0; sev != NULL && i < 5; i++)
			if (strcmp(sev, audit_severities[i]) == 0)
				d->audit_counts[i]++;
		json_decref(f);
		p = eol ? eol + 1 : end;
	}
	d->audit_done = 1;
	if (snprintf(path, sizeof(path), "%s/state/audit.jsonl", d->conf->store) <
	        (int)sizeof(path) &&
	    d->audit_out.data != NULL)
		store_write_atomic(path, d->audit_out.data, d->audit_out.len, 0644);
	buf_free(&d->audit_out);
	if (d->audit_counts[4] > 0)
		log_error("audit_done", "critical=%lu unknown=%lu warning=%lu exit=%d",
		          d->audit_counts[4], d->audit_counts[3], d->audit_counts[2],
		          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		log_info("audit_done", "critical=0 unknown=%lu warning=%lu exit=%d",
		         d->audit_counts[3], d->audit_counts[2],
		         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	d->dirty = 1;
}

static void audit_stop(struct daemon *d)
{
	if (d->audit_pid > 0) {
		kill(d->audit_pid, SIGTERM);
		waitpid(d->audit_pid, NULL, 0);
		close(d->audit_fd);
		buf_free(&d->audit_out);
		d->audit_pid = 0;
	}
}

/* ---------------------------------------------------------------- metrics */

#define METRICS_PAGE_MAX (512 * 1024 * 1024) /* ~1 KiB per certificate */

static void metric(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void metric(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line))
		buf_append(b, line, (size_t)n);
}

/* The whole Prometheus page for the current state.  No key material. */
static void metrics_render(struct daemon *d, time_t now)
{
	struct buf b;
	char url[600];
	size_t i, k;

	d->metrics_rendered = now;
	if (d->metrics == NULL)
		return;
	buf_init(&b, METRICS_PAGE_MAX);
	metric(&b, "# HELP holdfast_certificate_expiry_seconds Seconds until the deployed "
	           "certificate expires.\n"
	           "# TYPE holdfast_certificate_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].have)
			metric(&b, "holdfast_certificate_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name, (long long)(d->sites[i].not_after - now));
	metric(&b, "# HELP holdfast_certificate_placeholder 1 while only the temporary placeholder "
	           "is in place.\n"
	           "# TYPE holdfast_certificate_placeholder gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_certificate_placeholder{cert=\"%s\"} %d\n",
		       d->sites[i].cert->name, d->sites[i].have && d->sites[i].placeholder);
	metric(&b, "# HELP holdfast_staple_valid 1 while a valid OCSP staple is deployed.\n"
	           "# TYPE holdfast_staple_valid gauge\n");
	for (i = 0; i < d->site_count; i++)
		metric(&b, "holdfast_staple_valid{cert=\"%s\"} %d\n", d->sites[i].cert->name,
		       d->sites[i].staple_ok);
	metric(&b, "# HELP holdfast_staple_expiry_seconds Seconds until the deployed staple's "
	           "nextUpdate.\n"
	           "# TYPE holdfast_staple_expiry_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_expiry_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(d->sites[i].sv.next_update - now));
	metric(
	    &b,
	    "# HELP holdfast_staple_age_seconds Seconds since the deployed staple's thisUpdate.\n"
	    "# TYPE holdfast_staple_age_seconds gauge\n");
	for (i = 0; i < d->site_count; i++)
		if (d->sites[i].staple_ok)
			metric(&b, "holdfast_staple_age_seconds{cert=\"%s\"} %lld\n",
			       d->sites[i].cert->name,
			       (long long)(now - d->sites[i].sv.this_update));
	metric(&b, "# HELP holdfast_staple_refresh_total Staple refreshes by result.\n"
	           "# TYPE holdfast_staple_refresh_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_ok_total);
		metric(&b, "holdfast_staple_refresh_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].staple_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_responder_failures_total Failed requests by OCSP responder URL.\n"
	       "# TYPE holdfast_responder_failures_total counter\n");
	for (i = 0; i < d->site_count; i++)
		for (k = 0; k < d->sites[i].responder_count; k++) {
			metrics_label_escape(url, sizeof(url), d->sites[i].responders[k].url);
			metric(&b,
			       "holdfast_responder_failures_total{cert=\"%s\",url=\"%s\"} %lu\n",
			       d->sites[i].cert->name, url, d->sites[i].responders[k].failed_total);
		}
	metric(&b, "# HELP holdfast_issue_total Issuance and renewal runs by result.\n"
	           "# TYPE holdfast_issue_total counter\n");
	for (i = 0; i < d->site_count; i++) {
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"ok\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_ok_total);
		metric(&b, "holdfast_issue_total{cert=\"%s\",result=\"failed\"} %lu\n",
		       d->sites[i].cert->name, d->sites[i].issue_failed_total);
	}
	metric(&b,
	       "# HELP holdfast_endpoint_up 0 while the CA endpoint's circuit breaker is open.\n"
	       "# TYPE holdfast_endpoint_up gauge\n");
	for (i = 0; i < d->conf->ca_count; i++)
		metric(&b, "holdfast_endpoint_up{ca=\"%s\"} %d\n", d->conf->cas[i].name,
		       issuer_endpoint_up(d->iss, d->conf->cas[i].name, now));
	metric(&b,
	       "# HELP holdfast_endpoint_attempts_total ACME attempts by CA endpoint and result.\n"
	       "# TYPE holdfast_endpoint_attempts_total counter\n");
	for (i = 0; i < d->conf->ca_count; i++) {
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"ok\"} %lu\n",
		       d->conf->cas[i].name, d->ca_ok_total[i]);
		metric(&b, "holdfast_endpoint_attempts_total{ca=\"%s\",result=\"failed\"} %lu\n",
		       d->conf->cas[i].name, d->ca_failed_total[i]);
	}
	metric(&b, "# HELP holdfast_audit_findings Findings of the last domain audit by severity.\n"
	           "# TYPE holdfast_audit_findings gauge\n");
	for (i = 0; d->audit_done && i < 5; i++)
		metric(&b, "holdfast_audit_findings{severity=\"%s\"} %lu\n", audit_severities[i],
		       d->audit_counts[i]);
	if (d->ocspd != NULL) {
		unsigned long counts[4];
		ocspd_counts(d->ocspd, counts);
		metric(&b, "# HELP holdfast_ocsp_answers_total Answers of the local OCSP responder "
		           "(ocsp_listen) by kind.\n"
		           "# TYPE holdfast_ocsp_answers_total counter\n");
		for (i = 0; i < 4; i++)
			metric(&b, "holdfast_ocsp_answers_total{answer=\"%s\"} %lu\n",
			       ocspd_answer_name((enum ocspd_answer)i), counts[i]);
	}
	metrics_publish(d->metrics, (const char *)b.data, b.len);
	buf_free(&b);
}

/* ---------------------------------------------------------------- state */

/* s as a JSON string, or null for NULL. */
static void state_put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *text;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
		p++;
	if (*p == '\0') {
		fprintf(f, "\"%s\"", s);
		return;
	}
	/* Something to escape, or maybe not UTF-8: jansson decides. */
	j = json_string(s);
	text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "null", f);
	free(text);
	json_decref(j);
}

/* A time as a JSON string, or null when absent. */
static void state_put_time(FILE *f, int present, time_t t)
{
	char buf[32];

	if (present)
		fprintf(f, "\"%s\"", time_format(buf, sizeof(buf), t));
	else
		fputs("null", f);
}

static void state_put_site(FILE *f, const struct site *s)
{
	fputs("    ", f);
	state_put_string(f, s->cert->name);
	fprintf(f, ": {\n      \"certificate\": %s,\n", s->have ? "true" : "false");
	fprintf(f, "      \"deploy_failed\": %s,\n", s->deploy_failed ? "true" : "false");
	fprintf(f, "      \"issuing\": %s,\n", s->issuing ? "true" : "false");
	fputs("      \"last_issue_error\": ", f);
	state_put_string(f, s->issue_error);
	fputs(",\n      \"last_staple_error\": ", f);
	state_put_string(f, s->staple_error);
	fputs(",\n      \"next_issue_check\": ", f);
	state_put_time(f, 1, s->issue_next);
	fputs(",\n      \"next_staple_refresh\": ", f);
	state_put_time(f, s->responder_count > 0, s->staple_next);
	fprintf(f, ",\n      \"placeholder\": %s,\n", s->have && s->placeholder ? "true" : "false");
	fprintf(f, "      \"staple\": %s,\n", s->staple_ok ? "true" : "false");
	fprintf(f, "      \"staple_failures\": %d,\n", s->staple_failures);
	fputs("      \"staple_next_update\": ", f);
	state_put_time(f, s->staple_ok, s->sv.next_update);
	fprintf(f, ",\n      \"staple_status\": \"%s\",\n",
	        staple_cert_status_name(s->staple_ok ? s->sv.status : STAPLE_STATUS_NONE));
	fputs("      \"staple_this_update\": ", f);
	state_put_time(f, s->staple_ok, s->sv.this_update);
	fputs("\n    }", f);
}

/*
 * STORE/state/daemon.json for holdfast status: what jansson writes with
 * JSON_INDENT(2) | JSON_SORT_KEYS, streamed to the file instead of built as a
 * tree first (that tree cost ~3 KB per certificate at its peak).
 */
static void state_write(struct daemon *d, time_t now)
{
	struct store_stream *out;
	char path[PATH_MAX];
	FILE *f;
	size_t i;

	d->state_written = now; /* also after a failure (logged): retried in 2 s */
	if (snprintf(path, sizeof(path), "%s/state/daemon.json", d->conf->store) >=
	        (int)sizeof(path) ||
	    (out = store_stream_open(path, 0644)) == NULL)
		return;
	f = store_stream_file(out);
	fputs("{\n", f);
	if (d->audit_done) {
		static const size_t sorted[5] = {4, 1, 0, 3, 2}; /* by name */
		fputs("  \"audit\": {", f);
		for (i = 0; i < 5; i++)
			fprintf(f, "%s\n    \"%s\": %lu", i ? "," : "", audit_severities[sorted[i]],
			        d->audit_counts[sorted[i]]);
		fputs("\n  },\n", f);
	}
	fputs("  \"certificates\": {", f);
	for (i = 0; i < d->site_count; i++) {
		fputs(i ? ",\n" : "\n", f);
		state_put_site(f, &d->sites[d->by_name[i]]);
	}
	fputs(d->site_count ? "\n  },\n" : "},\n", f);
	fprintf(f, "  \"pid\": %d,\n  \"started\": ", (int)getpid());
	state_put_time(f, 1, d->started);
	fputs(",\n  \"updated\": ", f);
	state_put_time(f, 1, now);
	fputs("\n}", f);
	if (store_stream_commit(out) == 0)
		d->dirty = 0;
}

/* ---------------------------------------------------------------- setup */

static void sites_free(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++) {
		site_unload(&d->sites[i]);
		free(d->sites[i].staple_error);
		free(d->sites[i].issue_error);
	}
	free(d->sites);
	free(d->by_name);
	d->sites = NULL;
	d->by_name = NULL;
	d->site_count = 0;
}

/* The sites loaded at start: each thread takes the next one until none is left. */
struct sites_loader {
	struct daemon *d;
	time_t now;
	atomic_size_t next;
};

static void *sites_load_worker(void *arg)
{
	struct sites_loader *l = arg;
	size_t i;

	while ((i = atomic_fetch_add(&l->next, 1)) < l->d->site_count)
		site_load(l->d, &l->d->sites[i], l->now);
	return NULL;
}

/* Load and check every site on START_THREADS_CORE threads per core this
 * process may use (this one included), START_THREADS_MAX at most: checking
 * is CPU work, but after a reboot the store is read from disk, three small
 * files per site, and a thread waiting for one leaves its core to another.
 * A configuration of a few sites stays on this thread. */
static void sites_load_all(struct daemon *d, time_t now)
{
	struct sites_loader l = {.d = d, .now = now};
	pthread_t threads[START_THREADS_MAX];
	size_t want = 1, started = 0, i;
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0)
		want = (size_t)CPU_COUNT(&cpus) * START_THREADS_CORE;
	if (want > START_THREADS_MAX)
		want = START_THREADS_MAX;
	if (want > d->site_count / START_SITES_MIN)
		want = d->site_count / START_SITES_MIN;
	atomic_init(&l.next, 0);
	for (i = 1; i < want; i++)
		if (pthread_create(&threads[started], NULL, sites_load_worker, &l) == 0)
			started++;
	sites_load_worker(&l);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

static int by_name_cmp(const void *a, const void *b, void *sites)
{
	const struct site *s = sites;

	return strcmp(s[*(const size_t *)a].cert->name, s[*(const size_t *)b].cert->name);
}

/* Build sites for conf, load the store and deploy what is valid (no network). */
static int daemon_setup(struct daemon *d, struct conf *conf)
{
	char err[CONF_ERROR_MAX], path[PATH_MAX];
	time_t now = time(NULL);
	size_t i;

	d->conf = conf;
	if (snprintf(path, sizeof(path), "%s/state", conf->store) >= (int)sizeof(path) ||
	    mkdir_p(path, 0755) != 0) {
		log_error("store_unusable", "store=%s reason=\"%s\"", conf->store, strerror(errno));
		return -1;
	}
	d->iss = issuer_new(conf, err, sizeof(err));
	if (d->iss == NULL) {
		log_error("issuer_failed", "reason=\"%s\"", err);
		return -1;
	}
	d->sites = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->sites));
	d->by_name = calloc(conf->cert_count ? conf->cert_count : 1, sizeof(*d->by_name));
	d->cacerts = cacerts_new();
	d->ca_ok_total = calloc(conf->ca_count + 1, sizeof(*d->ca_ok_total));
	d->ca_failed_total = calloc(conf->ca_count + 1, sizeof(*d->ca_failed_total));
	if (d->sites == NULL || d->by_name == NULL || d->cacerts == NULL ||
	    d->ca_ok_total == NULL || d->ca_failed_total == NULL)
		return -1;
	if (conf->metrics_listen != NULL) {
		d->metrics = metrics_start(conf->metrics_listen);
		if (d->metrics == NULL)
			return -1;
	}
	if (conf->ocsp_listen != NULL &&
	    ((d->ocspd = ocspd_new()) == NULL || ocspd_listen(d->ocspd, conf->ocsp_listen) != 0))
		return -1;
	d->site_count = conf->cert_count;
	for (i = 0; i < conf->cert_count; i++) {
		d->sites[i].cert = &conf->certs[i];
		d->by_name[i] = i;
	}
	qsort_r(d->by_name, d->site_count, sizeof(*d->by_name), by_name_cmp, d->sites);
	sites_load_all(d, now);
	for (i = 0; i < conf->cert_count; i++) {
		struct site *s = &d->sites[i];
		/* Issue at once what is missing, a placeholder or already due. */
		s->issue_next = !s->have || s->placeholder || s->renew_at == 0 ? now : s->renew_at;
		if (s->cert->cas.count > 0 && issuer_listen(d->iss, s->cert) != 0)
			log_error("http01_unavailable", "cert=%s listen=%s", s->cert->name,
			          s->cert->http_listen);
		site_deploy(d, s, "start");
		log_info("certificate_loaded", "cert=%s present=%d placeholder=%d staple=%s",
		         s->cert->name, s->have, s->have && s->placeholder,
		         s->staple_ok ? "valid" : "none");
	}
	d->dirty = 1;
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].issuing) {
			pthread_join(d->sites[i].thread, NULL);
			d->sites[i].issuing = 0;
			free(d->sites[i].job);
			d->sites[i].job = NULL;
		}
	}
	http_client_free(d->http);
	d->http = NULL;
	for (i = 0; i < d->site_count; i++) {
		if (d->sites[i].fetch != NULL)
			staple_fetch_end(d, &d->sites[i]);
	}
	d->fetches = 0;
	sites_free(d);
	cacerts_free(d->cacerts); /* after the sites, which borrow from it */
	d->cacerts = NULL;
	issuer_free(d->iss);
	d->iss = NULL;
	metrics_stop(d->metrics);
	d->metrics = NULL;
	ocspd_free(d->ocspd);
	d->ocspd = NULL;
	free(d->ca_ok_total);
	free(d->ca_failed_total);
	d->ca_ok_total = d->ca_failed_total = NULL;
}

static int daemon_http_new(struct daemon *d)
{
	struct http_options opt;

	http_options_default(&opt);
	d->http = http_client_new(&opt, staple_on_response, d);
	return d->http ? 0 : -1;
}

int daemon_main(const char *conf_path)
{
	struct daemon d;
	struct sigaction sa;
	char err[CONF_ERROR_MAX];
	struct conf *conf;
	int pending_reload = 0;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.conf_path = conf_path;
	d.started = time(NULL);
	conf = conf_load(conf_path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast run: %s\n", err);
		return EXIT_UNKNOWN;
	}
	if (conf->log_syslog)
		log_use_syslog();
	if (conf->user != NULL && privsep_start(conf->user, conf_path) != 0) {
		conf_free(conf);
		return EXIT_UNKNOWN;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_http_new(&d) != 0 || daemon_setup(&d, conf) != 0) {
		daemon_teardown(&d);
		conf_free(conf);
		return EXIT_UNKNOWN;
	}
	d.audit_next = time(NULL) + AUDIT_FIRST_DELAY;
	log_warn("daemon_started", "pid=%d config=%s certificates=%zu", (int)getpid(), conf_path,
	         d.site_count);
	state_write(&d, time(NULL));
	metrics_render(&d, time(NULL));

	while (!got_term) {
		time_t now = time(NULL);
		int wait_ms = DAEMON_TICK_MS;

		if (got_hup) {
			got_hup = 0;
			pending_reload = 1;
			log_warn("reload_requested", "config=%s", conf_path);
		}
		for (i = 0; i < d.site_count; i++) {
			struct site *s = &d.sites[i];
			if (s->issuing && atomic_load(&s->job_done))
				issue_finish(&d, s, now);
			if (s->staple_ok &&
			    now >= staple_withdraw_at(s->sv.this_update, s->sv.next_update)) {
				char t[32];
				s->staple_ok = 0;
				d.dirty = 1;
				log_error("staple_expired",
				          "cert=%s action=withdrawn next_update=%s", s->cert->name,
				          time_format(t, sizeof(t), s->sv.next_update));
				site_deploy(&d, s, "staple");
			}
			if (s->deploy_failed && now >= s->deploy_retry_at)
				site_deploy(&d, s, "retry");
			if (s->verify_at != 0 && now >= s->verify_at)
				site_verify(&d, s, now);
			if (pending_reload)
				continue; /* start nothing new until the reload */
			if (!s->issuing && s->cert->cas.count > 0 && now >= s->issue_next &&
			    d.issuing < ISSUE_PARALLEL)
				issue_start(&d, s);
			if (s->fetch == NULL && s->responder_count > 0 && now >= s->staple_next)
				staple_start(&d, s);
		}
		if (pending_reload) {
			int busy = d.fetches > 0;
			for (i = 0; i < d.site_count; i++)
				busy |= d.sites[i].issuing;
			if (!busy) {
				struct conf *fresh = conf_load(conf_path, err, sizeof(err));
				pending_reload = 0;
				if (fresh == NULL) {
					char safe[CONF_ERROR_MAX];
					log_error("reload_refused",
					          "reason=\"%s\" action=\"kept the running "
					          "configuration\"",
					          log_safe(safe, sizeof(safe), err));
				} else {
					daemon_teardown(&d);
					conf_free(d.conf);
					conf = fresh;
					if (daemon_http_new(&d) != 0 ||
					    daemon_setup(&d, conf) != 0) {
						log_error("reload_failed", "config=%s", conf_path);
						break;
					}
					log_warn("reloaded", "config=%s certificates=%zu",
					         conf_path, d.site_count);
				}
			}
		}
		if (d.audit_pid > 0)
			audit_poll(&d);
		else if (!pending_reload && d.conf->audit_interval > 0 && d.site_count > 0 &&
		         now >= d.audit_next)
			audit_start(&d);
		if ((d.dirty && now - d.state_written >= STATE_WRITE_EVERY) ||
		    now - d.state_written >= STATE_WRITE_MAX_AGE)
			state_write(&d, now);
		if (now - d.metrics_rendered >= STATE_WRITE_EVERY)
			metrics_render(&d, now);
		if (d.fetches > 0) {
			http_client_step(d.http, wait_ms);
		} else {
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	log_warn("daemon_stopping", "reason=signal");
	audit_stop(&d);
	state_write(&d, time(NULL));
	daemon_teardown(&d);
	conf_free(d.conf);
	return EXIT_OK;
}

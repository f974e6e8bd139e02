/*
 * store: everything holdfast keeps between runs, and the only code that
 * knows where and in which format.  Callers name what they want -- the
 * current certificate of NAME, the account at CA, STORE_STATE_DAEMON -- and
 * never build a path (tests/run.sh's lint fails when a file outside
 * src/store/ does).  As in mod_md's md_store, the store is a key space
 * (group / name / aspect) and the file names are constants of one backend;
 * a struct store is a backend behind a table of operations (backend.h), so a
 * second backend (PostgreSQL for fleet mode: nodes sharing one database,
 * each deploying from its own local files) slots in behind these functions
 * without a change to the daemon, the issuer or the CLI.
 *
 * The files backend (files.c) keeps, under the configuration's store
 * directory (the layout README and holdfast(1) document):
 *
 *   certificates/NAME -> .versions/NAME.TIME.RANDOM/  one set per issuance:
 *       cert.pem chain.pem fullchain.pem privkey.pem (0600) meta.json
 *       bundle.bin (what the daemon's start reads, see below) staple.ocsp
 *   accounts/CA/account.key (0600, never logged) and account.json
 *   state/daemon.json daemon.idx daemon.idx.log endpoints.json audit.jsonl
 *   probe.json,
 *   audit/state.json, rdap/dns.json
 *   crls/HASH.crl and crls/HASH.json: the CRL cache (store_crl_load), HASH
 *       the SHA-256 of the distribution point URL, in hex
 *
 * Crash guarantee.  Every file is replaced whole (util/atomic: temporary
 * file, fsync, rename, fsync of the directory).  A new certificate is
 * written whole into a fresh version directory, and only then does the NAME
 * symlink switch to it with one rename(), so a reader of NAME's files sees
 * either the complete old set or the complete new set, never a key from one
 * issuance with a certificate from another, and a crash at any point leaves
 * the previous set in place.  The newest STORE_VERSIONS_KEPT old versions
 * are kept.  meta.json and staple.ocsp of a version are replaced (whole)
 * between issuances.  The one file that is appended to instead is the state
 * index's journal, state/daemon.idx.log (store_state_append).
 *
 * The start bundle.  The daemon re-validates every certificate at start, and
 * reading three files and decoding PEM cost more than the signature checks
 * (bench/README.md).  So each version also holds bundle.bin: the leaf's and
 * its issuer's DER and the two meta.json fields the start needs, plus the
 * identity (inode, size, mtime) of the fullchain.pem and meta.json it was
 * made from.  The start reads that one file and stats the others; when the
 * bundle is missing (a store written by hand or by an older holdfast),
 * damaged, or no longer matches those files, it reads fullchain.pem and
 * meta.json instead, so the bundle can never make the start see something
 * the PEM files do not say.
 *
 * Threads: a struct store may be used by several threads at once; a struct
 * store_version or store_cert by one at a time.  Functions return 0 or -1;
 * *_load returns new objects (or NULL) with a matching *_free.
 */
#ifndef HOLDFAST_STORE_STORE_H
#define HOLDFAST_STORE_STORE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "store/meta.h"

#define STORE_VERSIONS_KEPT 3
#define STORE_META_MAX      (256 * 1024)       /* meta.json, account.json */
#define STORE_PEM_MAX       (1024 * 1024)      /* fullchain.pem and the like */
#define STORE_KEY_MAX       (64 * 1024)        /* privkey.pem, account.key */
#define STORE_STAPLE_MAX    (64 * 1024)        /* staple.ocsp, as OCSP_RESPONSE_MAX */
#define STORE_STATE_MAX     (64 * 1024 * 1024) /* a state document (daemon.json: ~450 B per cert) */

struct store;

/* store_open() flags. */
#define STORE_CREATE 1 /* make the layout (writers: run, issue); fail when it cannot be made */

/* The store the configuration names (today always the files backend at
 * conf->store).  New (store_free), or NULL with the reason in err. */
struct store *store_open(const struct conf *conf, unsigned flags, char *err, size_t errlen);

/* The files backend at dir; the same contract. */
struct store *store_open_dir(const char *dir, unsigned flags, char *err, size_t errlen);

/* NULL is a no-op. */
void store_free(struct store *st);

/* ------------------------------------------------------------ certificates */

/* A certificate set's parts, for messages and store_version_where(). */
enum store_aspect {
	STORE_CERT_PEM,      /* the leaf */
	STORE_CHAIN_PEM,     /* what follows the leaf */
	STORE_FULLCHAIN_PEM, /* the leaf, then its chain */
	STORE_PRIVKEY_PEM,   /* the leaf's key, 0600 */
	STORE_META_JSON,     /* struct cert_meta */
	STORE_BUNDLE,        /* what the daemon's start reads */
	STORE_STAPLE_OCSP,   /* the last good OCSP response, DER */
	STORE_ASPECT_COUNT
};

/* The file name of aspect a in the files backend ("privkey.pem"), for
 * messages only. */
const char *store_aspect_name(enum store_aspect a);

/* The current set of a certificate, decoded and checked (the key matches the
 * leaf). */
struct store_cert {
	X509 *cert;
	STACK_OF(X509) * chain; /* everything after the leaf in fullchain.pem */
	EVP_PKEY *key;
	struct cert_meta *meta;
	time_t not_before, not_after;
	char serial[128];
	struct store_version *version; /* the set these came from */
};

/* Load the current set of name.  New (store_cert_free), or NULL with errno
 * ENOENT (none stored; not logged) or EINVAL (unreadable or inconsistent;
 * logged). */
struct store_cert *store_cert_load(struct store *st, const char *name);
void store_cert_free(struct store_cert *c);

/* Install key and chain_pem (PEM, leaf first) with meta as the new current
 * set of name, atomically (see above); prunes old versions.  0, or -1
 * (logged: certificate_install_failed; the previous set stays current). */
int store_cert_install(struct store *st, const char *name, EVP_PKEY *key, const char *chain_pem,
                       const struct cert_meta *meta);

/* Replace meta.json of the set c was loaded from with c->meta (and its
 * bundle).  When another process installed a new set meanwhile, that set is
 * left alone.  0 or -1 (logged). */
int store_cert_meta_save(struct store_cert *c);

/* The names of the stored certificates, sorted: *names is a new array of
 * *count new strings (store_names_free).  0 (none stored: 0 names), or -1. */
int store_cert_names(struct store *st, char ***names, size_t *count);
void store_names_free(char **names, size_t count);

/* ---------------------------------------------------------------- versions */

/*
 * A version handle pins the set a certificate has at the moment it is
 * opened: every read and write through it concerns that one issuance, even
 * after a new set is installed (the daemon loads a certificate at start and
 * deploys its files later; both must come from one issuance).  When the
 * version is pruned meanwhile, reads fail with ENOENT.
 */
struct store_version;

/* Pin the current set of name.  New (store_version_free), or NULL with errno
 * (ENOENT: nothing stored under name). */
struct store_version *store_version_open(struct store *st, const char *name);
void store_version_free(struct store_version *v);

/* Which version this is, for logs (".versions/NAME.TIME.RANDOM"); borrowed. */
const char *store_version_id(const struct store_version *v);

/* Where aspect a of v is, for logs (a path in the files backend; a =
 * STORE_ASPECT_COUNT: the version itself); returns dst. */
const char *store_version_where(const struct store_version *v, enum store_aspect a, char *dst,
                                size_t len);

/* What the daemon's start needs of a version. */
struct store_start {
	unsigned char *leaf; /* DER, new (free()) */
	size_t leaf_len;
	unsigned char *issuer; /* DER of the second certificate, new; NULL when none */
	size_t issuer_len;
	time_t renew_at; /* from meta.json; 0 when absent */
	int placeholder;
	int from_bundle; /* 1: read from bundle.bin; 0: from the PEM files */
};

/* Fill out from v's bundle (one read), or from fullchain.pem and meta.json
 * when the bundle is missing or stale; privkey.pem is checked to be a
 * regular file of 1 byte to STORE_KEY_MAX (a warning, key_permissions, when
 * others than its owner may read it), not read.  0; or -1 with errno ENOENT
 * and why "" (no certificate in v), or with the reason in why ("meta.json:
 * not a JSON object").  Free out with store_start_clear(). */
int store_version_start_load(struct store_version *v, struct store_start *out, char *why,
                             size_t whylen);
void store_start_clear(struct store_start *s);

/* fullchain.pem / privkey.pem of v as new NUL-terminated buffers (free(); the
 * caller cleanses the key).  0, or -1 with errno (ENOENT: v is gone).  Does
 * not log. */
int store_version_fullchain_load(struct store_version *v, char **pem, size_t *len);
int store_version_key_pem_load(struct store_version *v, char **pem, size_t *len);

/* cert.pem of v (the leaf alone), the same contract. */
int store_version_cert_load(struct store_version *v, char **pem, size_t *len);

/* meta.json of v.  New (cert_meta_free), or NULL with errno (EBADMSG: not a
 * meta document).  Does not log. */
struct cert_meta *store_version_meta_load(struct store_version *v);

/* The staple saved with v (DER, new, free()).  0, or -1 with errno (ENOENT:
 * none).  Does not log. */
int store_version_staple_load(struct store_version *v, unsigned char **der, size_t *len);

/* Replace v's staple.  0 or -1 (logged). */
int store_version_staple_save(struct store_version *v, const unsigned char *der, size_t len);

/* ---------------------------------------------------------------- accounts */

/* The account key for ca (created, EC P-256, when there is none; an existing
 * key that does not load is an error, never replaced) and the account URL
 * stored for directory (kid; "" when none).  0 or -1 (logged). */
int store_account_load(struct store *st, const char *ca, const char *directory, EVP_PKEY **key,
                       char *kid, size_t kidlen);

/* Only the account URL stored for ca at directory (kid; "" when none),
 * for readers that must not create a key (the audit).  0, or -1 when it
 * cannot be read (errno; not logged). */
int store_account_kid_load(struct store *st, const char *ca, const char *directory, char *kid,
                           size_t kidlen);

/* Record kid as the account at directory for ca.  0 or -1 (logged). */
int store_account_save_kid(struct store *st, const char *ca, const char *directory,
                           const char *kid);

/* --------------------------------------------------------------- CRL cache */

/*
 * The last CRL accepted from each distribution point URL, with the HTTP
 * validators it came with (RFC 9110 8.8: ETag, Last-Modified), so the next
 * fetch is a conditional GET and a 304 reuses the cached copy.  Only a CRL
 * that revocation/crl accepted is ever saved (the caller's rule), so a
 * broken answer never replaces a good copy.  The CRL and its validators are
 * two files, the CRL written first: a crash between the two leaves the new
 * CRL with the old validators, which at worst costs one full download.
 */
#define STORE_CRL_VALIDATOR_MAX 200 /* an ETag or HTTP-date, with room to spare */

struct store_crl_validators {
	char etag[STORE_CRL_VALIDATOR_MAX];          /* "" when none */
	char last_modified[STORE_CRL_VALIDATOR_MAX]; /* "" when none */
};

/* The cached CRL of url (at most max bytes) as a new buffer (free()) and
 * its validators (both "" when the validators file is missing or names
 * another URL).  0, or -1 with errno (ENOENT: none cached; EFBIG).  Does not
 * log. */
int store_crl_load(struct store *st, const char *url, size_t max, unsigned char **data, size_t *len,
                   struct store_crl_validators *val);

/* Replace the cached CRL of url and its validators.  0 or -1 (logged). */
int store_crl_save(struct store *st, const char *url, const unsigned char *data, size_t len,
                   const struct store_crl_validators *val);

/* Where the cached CRL of url is, for logs; dst. */
const char *store_crl_where(struct store *st, const char *url, char *dst, size_t len);

/* ---------------------------------------------------------- state documents */

/* Named documents; their files (documented) are in files.c. */
enum store_state {
	STORE_STATE_DAEMON,         /* state/daemon.json: holdfast run's state for status */
	STORE_STATE_ENDPOINTS,      /* state/endpoints.json: the ACME endpoints' breakers */
	STORE_STATE_AUDIT_LOG,      /* state/audit.jsonl: the daemon's last audit's findings */
	STORE_STATE_AUDIT,          /* audit/state.json: what holdfast audit saw last */
	STORE_STATE_RDAP_BOOTSTRAP, /* rdap/dns.json: the cached RDAP bootstrap */
	STORE_STATE_DAEMON_INDEX,   /* state/daemon.idx: status's index (daemon/state_index.h) */
	STORE_STATE_DAEMON_JOURNAL, /* state/daemon.idx.log: its append-only journal */
	STORE_STATE_PROBE,          /* state/probe.json: the daemon's last probe of each CA */
	STORE_STATE_CRL,            /* state/crl.json: the daemon's last CRL check of each cert */
	STORE_STATE_COUNT
};

/* doc's content, at most max bytes, as a new NUL-terminated buffer (free()).
 * 0, or -1 with errno (ENOENT: never saved; EFBIG).  Does not log. */
int store_state_load(struct store *st, enum store_state doc, size_t max, unsigned char **data,
                     size_t *len);

/* doc as a JSON object (json_decref), or NULL with errno (ENOENT; EBADMSG:
 * not a JSON object).  Does not log. */
json_t *store_state_json_load(struct store *st, enum store_state doc, size_t max);

/* Replace doc with len bytes of data.  0 or -1 (logged). */
int store_state_save(struct store *st, enum store_state doc, const void *data, size_t len);

/* Append len bytes of data to doc, which must exist (store_state_save made
 * it): the one exception to whole-file replacement, for the state index's
 * journal (STORE_STATE_DAEMON_JOURNAL, see daemon/state_index.h), whose
 * reader ignores a torn last line.  Not fsync'ed.  0, or -1 (logged; ENOENT
 * when doc does not exist; after a short write doc may end in a torn line). */
int store_state_append(struct store *st, enum store_state doc, const void *data, size_t len);

/* A document too large to build in memory first (daemon.json), written
 * through a FILE and visible only after commit. */
struct store_state_stream;

/* New stream for doc, or NULL (logged). */
struct store_state_stream *store_state_stream_open(struct store *st, enum store_state doc);

/* Where to write (buffered; errors are caught at commit). */
FILE *store_state_stream_file(struct store_state_stream *s);

/* Replace doc with what was written; frees s.  0, or -1 (logged; doc keeps
 * its old content). */
int store_state_stream_commit(struct store_state_stream *s);

/* Drop what was written and free s; NULL is a no-op. */
void store_state_stream_abort(struct store_state_stream *s);

/* Where doc is, for logs; dst. */
const char *store_state_where(struct store *st, enum store_state doc, char *dst, size_t len);

/* The local file that holds doc, for code that takes a path (the RDAP
 * bootstrap cache, which rdap_bootstrap_load() reads and writes itself).
 * 0, or -1 (ENOTSUP: this backend keeps doc elsewhere; ENAMETOOLONG). */
int store_state_path(struct store *st, enum store_state doc, char *dst, size_t len);

#endif

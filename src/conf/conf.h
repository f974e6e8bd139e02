/*
 * conf: holdfast.conf, the one configuration every long-running command reads.
 *
 * INI syntax (parsed by Debian's libinih); '#' or ';' start a comment, also
 * after a value when preceded by white space.  Top-level keys come before the
 * first section; sections are "[ca NAME]" and "[certificate NAME]".  Every key
 * is known here: an unknown or repeated key, a bad value or a dangling
 * reference is an error that names the file, the line and the key, e.g.
 *   holdfast.conf:12: key "cas": no [ca backup] section
 * conf_load() either returns a complete, validated configuration or nothing.
 */
#ifndef HOLDFAST_CONF_H
#define HOLDFAST_CONF_H

#include <stddef.h>

#define CONF_DEFAULT_PATH "/etc/holdfast/holdfast.conf"
#define CONF_FILE_MAX     (64 * 1024 * 1024) /* 100,000 certificates take ~5 MiB */
#define CONF_LIST_MAX     100                /* ACME CAs allow up to 100 names per order */
#define CONF_ERROR_MAX    512
/* metrics_per_certificate: certificates with their own series on the metrics
 * page (daemon/metrics_select.h); more are counted in the aggregates only.
 * 1,000 keeps every configuration of up to 1,000 certificates as it was and
 * a page of ~0.57 MB (~10,000 samples) at any size. */
#define CONF_METRICS_PER_CERTIFICATE_DEFAULT 1000
#define CONF_METRICS_PER_CERTIFICATE_MAX     10000000
/* crl_max_size: the largest CRL holdfast downloads; from 1 KiB to 1 GiB. */
#define CONF_CRL_MAX_SIZE_DEFAULT (64 * 1024 * 1024)
#define CONF_CRL_MAX_SIZE_MIN     1024
#define CONF_CRL_MAX_SIZE_MAX     (1024LL * 1024 * 1024)

/* Fleet mode: the store key's length (AES-256), lease_ttl's default and
 * range, the longest node name. */
#define CONF_STORE_KEY_LEN     32
#define CONF_LEASE_TTL_DEFAULT 60L
#define CONF_LEASE_TTL_MIN     5L
#define CONF_LEASE_TTL_MAX     3600L
#define CONF_NODE_MAX          63

enum conf_key_type { KEY_EC_P256, KEY_EC_P384, KEY_RSA_2048, KEY_RSA_3072, KEY_RSA_4096 };
enum conf_challenge { CHALLENGE_HTTP_01, CHALLENGE_DNS_01 };

/* A whitespace-separated list value; items[count] is NULL (an argv). */
struct conf_list {
	char **items;
	size_t count;
};

struct conf_ca {
	char *name;
	char *directory;    /* ACME directory URL */
	char *ca_bundle;    /* extra trust for the ACME server's HTTPS, or NULL */
	char *eab_kid;      /* external account binding, or NULL */
	char *eab_hmac_key; /* base64url, or NULL */
	/* RFC 8659 issuer domain names for CAA; empty: the directory's
	 * meta.caaIdentities */
	struct conf_list caa_identities;
	int line; /* of the section header */
};

struct conf_cert {
	char *name;
	struct conf_list names; /* DNS names, first is the subject */
	struct conf_list cas;   /* names of [ca] sections, in order of preference */
	enum conf_key_type key;
	enum conf_challenge challenge;
	char *http_listen; /* built-in http-01 responder address, or NULL */
	char *webroot;     /* or files under .well-known/acme-challenge */
	char *dns_hook;    /* dns-01 hook program */
	char *dns_update;  /* dns-01 by RFC 2136 update: "HOST PORT" for nsupdate, or NULL */
	char *tsig_key;    /* its TSIG key file (BIND format), or NULL */
	int must_staple;
	char *profile;                /* ACME profile (acme/profile.h), or NULL */
	int profile_required;         /* skip a CA that does not offer it (default yes) */
	int critical;                 /* audit: the site's own domain matters most */
	struct conf_list deploy;      /* nginx | haproxy:SOCKET | apache */
	char *deploy_hook;            /* program run after each deploy */
	char *verify_addr;            /* host:port checked after each deploy */
	struct conf_list ocsp_backup; /* extra responder URLs */
	long crl_interval;            /* seconds; 0: off; -1: the top level's */
	int line;
};

struct conf {
	char *path;
	char *store;                    /* default /var/lib/holdfast */
	char *user;                     /* drop privileges to this user, or NULL */
	struct conf_list resolvers;     /* audit: independent resolvers IP[:PORT] */
	char *rdap_bootstrap;           /* URL or file of IANA's dns.json, or NULL */
	char *metrics_listen;           /* host:port, or NULL */
	size_t metrics_per_certificate; /* certificates with their own series, default 1000 */
	char *ocsp_listen;              /* host:port of the local OCSP responder, or NULL */
	long audit_interval;            /* seconds, default 6 h */
	long probe_interval; /* seconds between CA readiness probes, default 6 h; 0: off */
	long crl_interval; /* seconds between CRL checks of a certificate without OCSP, 6 h; 0: off
	                    */
	long acme_connect_timeout;      /* seconds, default 5 */
	long acme_timeout;              /* seconds per request, default 30 */
	long outage_margin;             /* seconds: renew no later than this before expiry */
	char *deploy_dir;               /* default STORE/deploy */
	struct conf_list nginx_reload;  /* argv, default: nginx -s reload */
	struct conf_list apache_reload; /* argv, default: apachectl graceful */
	long staple_retry_min;          /* seconds, default 60 */
	long staple_retry_max;          /* seconds, default 3600 */
	long issue_retry_min;           /* seconds, default 60 */
	size_t crl_max_size;            /* bytes, default 64 MiB */
	int log_syslog;                 /* log = syslog (default stderr) */
	/* Fleet mode (store/pg.h).  database NULL: none, and the three keys
	 * below may not be given. */
	char *database;  /* libpq conninfo or URI */
	char *node;      /* this node's name, default the host name */
	char *store_key; /* file of CONF_STORE_KEY_LEN random bytes, mode 0600 */
	long lease_ttl;  /* seconds, default CONF_LEASE_TTL_DEFAULT */
	int sandbox;     /* seccomp + Landlock for run (default yes) */
	struct conf_ca *cas;
	size_t ca_count;
	struct conf_cert *certs;
	size_t cert_count;
};

/* Parse and validate path.  Returns a new conf (conf_free), or NULL with a
 * "FILE:LINE: key \"K\": reason" message in err. */
struct conf *conf_load(const char *path, char *err, size_t errlen);

/* The same from memory; name is used in messages.  For tests and fuzzing. */
struct conf *conf_load_buffer(const char *name, const char *data, size_t len, char *err,
                              size_t errlen);

void conf_free(struct conf *conf);

/* Look up a section by name; NULL when absent. */
const struct conf_ca *conf_ca_find(const struct conf *conf, const char *name);
const struct conf_cert *conf_cert_find(const struct conf *conf, const char *name);

const char *conf_key_type_name(enum conf_key_type k);

/* The SHA-256 (hex) of conf's shared part -- what every node of a fleet
 * must agree on; see conf/fingerprint.c for what is in it and what is left
 * out.  0, or -1 (out is "").  Pure. */
int conf_shared_fingerprint(const struct conf *conf, char out[65]);

/* cert's crl_interval: its own, else the top level's (seconds; 0: off). */
long conf_cert_crl_interval(const struct conf *conf, const struct conf_cert *cert);

#endif

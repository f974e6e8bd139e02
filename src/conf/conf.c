/*
 * conf: see conf.h.
 *
 * libinih does the INI syntax; holdfast adds what it lacks through its line
 * reader: line numbers for every key (the reader counts the lines it hands
 * over, and inih calls the handler for a line before it reads the next),
 * section headers with their own line (so an empty section is still seen and
 * validated), '#' comments after values, and a hard error for a line longer
 * than inih's buffer instead of a silent split.
 *
 * Semantics live in two tables: top-level keys and per-section keys, each
 * with a parser.  Validation that needs the whole file (references between
 * sections, required keys) runs after parsing, with the line of the key or
 * section at fault.
 */

#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/b64url.h"
#include "util/httpd.h"
#include "util/names.h"

/* Debian's libinih is built with INI_MAX_LINE 200: a longer line reaches inih
 * as a short stand-in and its value from long_value (see conf_reader). */
#define CONF_LINE_MAX                     200
#define CONF_AUDIT_INTERVAL_DEFAULT       (6 * 3600L)
#define CONF_OUTAGE_MARGIN_DEFAULT        (2 * 86400L) /* acme/ari.h RENEW_OUTAGE_MARGIN_DEFAULT */
#define CONF_OUTAGE_MARGIN_MAX            (30 * 86400L)
#define CONF_PROFILE_MAX                  63
#define CONF_AUDIT_INTERVAL_MIN           (15 * 60L) /* RDAP servers rate-limit */
#define CONF_PROBE_INTERVAL_DEFAULT       (6 * 3600L)
#define CONF_PROBE_INTERVAL_MIN           10L /* four requests per CA each time */
#define CONF_CRL_INTERVAL_DEFAULT         (6 * 3600L)
#define CONF_CRL_INTERVAL_MIN             60L /* a conditional GET per certificate each time */
#define CONF_STORE_DEFAULT                "/var/lib/holdfast"
#define CONF_ACME_CONNECT_TIMEOUT_DEFAULT 5L
#define CONF_ACME_TIMEOUT_DEFAULT         30L

enum section_kind { SECTION_TOP, SECTION_CA, SECTION_CERT };

struct parse_state {
	const char *name; /* file name for messages */
	const char *data;
	size_t len, pos;
	int line;         /* number of the line last handed to inih */
	int continuation; /* that line continues the previous value */
	char *long_value; /* value of that line when it is too long for inih */
	enum section_kind kind;
	size_t index;      /* current [ca]/[certificate] */
	char last_key[64]; /* for continuation lines */
	struct conf *conf;
	int failed;
	char *err;
	size_t errlen;
	/* keys already seen in the current section, to refuse repeats */
	char seen[32][64];
	size_t seen_count;
	/* section names seen, "ca NAME" / "certificate NAME": a hash set, so a
	 * file with 100,000 certificates parses in linear time */
	char **names;
	size_t names_cap, names_count;
	size_t ca_cap, cert_cap;
	int retry_min_line, retry_max_line; /* staple_retry_*: 0 when not given */
	int top_closed;                     /* a section was opened */
	int store_line, database_line;      /* 0 when not given */
	int node_line, store_key_line, lease_ttl_line;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Insert key; returns 1 when inserted, 0 when already present, -1 when out
 * of memory. */
static int names_insert(struct parse_state *st, const char *key)
{
	size_t i;

	if ((st->names_count + 1) * 2 > st->names_cap) {
		size_t cap = st->names_cap ? st->names_cap * 2 : 64, j;
		char **table = calloc(cap, sizeof(*table));
		if (table == NULL)
			return -1;
		for (j = 0; j < st->names_cap; j++) {
			if (st->names[j] == NULL)
				continue;
			for (i = name_hash(st->names[j]) & (cap - 1); table[i] != NULL;
			     i = (i + 1) & (cap - 1))
				;
			table[i] = st->names[j];
		}
		free(st->names);
		st->names = table;
		st->names_cap = cap;
	}
	for (i = name_hash(key) & (st->names_cap - 1); st->names[i] != NULL;
	     i = (i + 1) & (st->names_cap - 1)) {
		if (strcmp(st->names[i], key) == 0)
			return 0;
	}
	st->names[i] = strdup(key);
	if (st->names[i] == NULL)
		return -1;
	st->names_count++;
	return 1;
}

static void names_free(struct parse_state *st)
{
	size_t i;

	for (i = 0; i < st->names_cap; i++)
		free(st->names[i]);
	free(st->names);
	st->names = NULL;
}

static void conf_error(struct parse_state *st, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void conf_error(struct parse_state *st, int line, const char *key, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (st->failed)
		return; /* the first error is the one to fix */
	st->failed = 1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (key != NULL)
		snprintf(st->err, st->errlen, "%s:%d: key \"%s\": %s", st->name, line, key, reason);
	else
		snprintf(st->err, st->errlen, "%s:%d: %s", st->name, line, reason);
}

static void list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* Append the whitespace-separated words of value; returns 0 or -1. */
static int list_append_words(struct conf_list *l, const char *value)
{
	const char *p = value;

	while (*p != '\0') {
		const char *start;
		char **items;
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - start);
		if (l->count >= CONF_LIST_MAX)
			return -1;
		/* One spare slot keeps items NULL-terminated, usable as an argv. */
		items = realloc(l->items, (l->count + 2) * sizeof(*items));
		if (items == NULL)
			return -1;
		l->items = items;
		l->items[l->count] = strndup(start, n);
		if (l->items[l->count] == NULL)
			return -1;
		l->count++;
		l->items[l->count] = NULL;
	}
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* A count: decimal digits only, at most max; -1 when malformed or larger. */
static long long parse_count(const char *v, long long max)
{
	long long n = 0;
	const char *p;

	if (*v == '\0')
		return -1;
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > (max - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/* "65536", "64K", "64KiB", "64M", "64MiB", "1G" (binary units; a "B" alone
 * or after the letter is allowed) -> bytes; -1 when malformed or over max. */
static long long parse_size(const char *v, long long max)
{
	long long n = 0, mult = 1;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (max - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p == 'K' || *p == 'k')
		mult = 1024, p++;
	else if (*p == 'M')
		mult = 1024 * 1024, p++;
	else if (*p == 'G')
		mult = 1024 * 1024 * 1024, p++;
	if (mult > 1 && *p == 'i')
		p++;
	if (*p == 'B')
		p++;
	if (*p != '\0' || n > max / mult)
		return -1;
	return n * mult;
}

/* "30", "30s", "15m", "6h", "2d" -> seconds; -1 when malformed. */
static long parse_duration(const char *v)
{
	char *end = NULL;
	long n, mult = 1;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return -1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60, end++;
	else if (*end == 'h')
		mult = 3600, end++;
	else if (*end == 'd')
		mult = 86400, end++;
	if (*end != '\0' || n > 365L * 86400 / mult)
		return -1;
	return n * mult;
}

/* crl_interval (top level or [certificate]): "off" (0) or a duration of at
 * least CONF_CRL_INTERVAL_MIN.  0 or -1 after logging the error. */
static int parse_crl_interval(struct parse_state *st, const char *key, const char *v, long *dst)
{
	long d;

	if (strcmp(v, "off") == 0) {
		*dst = 0;
		return 0;
	}
	d = parse_duration(v);
	if (d <= 0) {
		conf_error(st, st->line, key, "expected a duration such as 6h or 30m, got \"%s\"",
		           v);
		return -1;
	}
	if (d < CONF_CRL_INTERVAL_MIN) {
		conf_error(st, st->line, key,
		           "%s is shorter than the minimum of 1m (off disables the CRL checks)", v);
		return -1;
	}
	*dst = d;
	return 0;
}

static int valid_section_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	}
	return 1;
}

static int set_string(struct parse_state *st, char **dst, const char *key, const char *value)
{
	if (*value == '\0') {
		conf_error(st, st->line, key, "empty value");
		return -1;
	}
	*dst = strdup(value);
	if (*dst == NULL) {
		conf_error(st, st->line, key, "out of memory");
		return -1;
	}
	return 0;
}

static int set_list(struct parse_state *st, struct conf_list *dst, const char *key,
                    const char *value)
{
	if (list_append_words(dst, value) != 0) {
		conf_error(st, st->line, key, "more than %d entries", CONF_LIST_MAX);
		return -1;
	}
	if (dst->count == 0) {
		conf_error(st, st->line, key, "empty value");
		return -1;
	}
	return 0;
}

static int is_list_key(enum section_kind kind, const char *key)
{
	static const char *const top[] = {"resolvers", "nginx_reload", "apache_reload", NULL};
	static const char *const cert[] = {"names", "cas", "deploy", "ocsp_backup", NULL};
	static const char *const ca[] = {"caa_identities", NULL};
	const char *const *k = kind == SECTION_TOP    ? top
	                       : kind == SECTION_CERT ? cert
	                       : kind == SECTION_CA   ? ca
	                                              : NULL;

	for (; k != NULL && *k != NULL; k++) {
		if (strcmp(*k, key) == 0)
			return 1;
	}
	return 0;
}

/* The keys of the top level (before the first section). */
static int is_top_key(const char *key)
{
	static const char *const keys[] = {"store",
	                                   "user",
	                                   "resolvers",
	                                   "rdap_bootstrap",
	                                   "metrics_listen",
	                                   "ocsp_listen",
	                                   "metrics_per_certificate",
	                                   "audit_interval",
	                                   "probe_interval",
	                                   "crl_interval",
	                                   "log",
	                                   "deploy_dir",
	                                   "nginx_reload",
	                                   "apache_reload",
	                                   "staple_retry_min",
	                                   "staple_retry_max",
	                                   "issue_retry_min",
	                                   "acme_connect_timeout",
	                                   "acme_timeout",
	                                   "outage_margin",
	                                   "crl_max_size",
	                                   "database",
	                                   "node",
	                                   "store_key",
	                                   "lease_ttl",
	                                   "sandbox",
	                                   NULL};
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

/* A key the section does not take; a top-level key is said to belong before
 * the first section (INI has no way back to the top level). */
static void unknown_key(struct parse_state *st, const char *key, const char *kind, const char *name)
{
	if (is_top_key(key))
		conf_error(st, st->line, key,
		           "is a top-level key: it belongs before the first section, not in "
		           "[%s %s]",
		           kind, name);
	else
		conf_error(st, st->line, key, "unknown key in [%s %s]", kind, name);
}

/* 1 when s is a node name: 1 to CONF_NODE_MAX of A-Z a-z 0-9 . _ - (it is
 * written into logs, status and the database's lease rows). */
static int node_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CONF_NODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* 0 when path is the store key: a regular file of exactly
 * CONF_STORE_KEY_LEN bytes that neither group nor others may read or write
 * (0600 or 0400); else -1 with the reason in why. */
static int store_key_file_check(const char *path, char *why, size_t whylen)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(why, whylen,
		         "%s: mode %04o: the store key must be readable by its owner only "
		         "(chmod 600)",
		         path, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	if (sb.st_size != CONF_STORE_KEY_LEN) {
		snprintf(why, whylen,
		         "%s: %lld bytes: the store key is exactly %d random bytes (head -c %d "
		         "/dev/urandom)",
		         path, (long long)sb.st_size, CONF_STORE_KEY_LEN, CONF_STORE_KEY_LEN);
		return -1;
	}
	return 0;
}

/* The fleet-mode keys (database, node, store_key, lease_ttl). */
static int handle_fleet(struct parse_state *st, const char *key, const char *v)
{
	struct conf *c = st->conf;
	char why[PATH_MAX + 200];

	if (strcmp(key, "database") == 0) {
		st->database_line = st->line;
		return set_string(st, &c->database, key, v);
	}
	if (strcmp(key, "node") == 0) {
		if (!node_name_valid(v)) {
			conf_error(st, st->line, key,
			           "expected 1 to %d characters of A-Z a-z 0-9 . _ -, got \"%s\"",
			           CONF_NODE_MAX, v);
			return -1;
		}
		st->node_line = st->line;
		return set_string(st, &c->node, key, v);
	}
	if (strcmp(key, "store_key") == 0) {
		if (store_key_file_check(v, why, sizeof(why)) != 0) {
			conf_error(st, st->line, key, "%s", why);
			return -1;
		}
		st->store_key_line = st->line;
		return set_string(st, &c->store_key, key, v);
	}
	c->lease_ttl = parse_duration(v);
	if (c->lease_ttl < CONF_LEASE_TTL_MIN || c->lease_ttl > CONF_LEASE_TTL_MAX) {
		conf_error(st, st->line, key, "expected a duration from 5s to 1h, got \"%s\"", v);
		return -1;
	}
	st->lease_ttl_line = st->line;
	return 0;
}

/* Fleet mode's keys together: database needs an explicit store (the node's
 * local copy) and a store_key; the others mean nothing without database.
 * The node name defaults to the host name. */
static void fleet_validate(struct parse_state *st)
{
	struct conf *c = st->conf;
	char host[256];

	if (c->database == NULL) {
		int line = st->node_line        ? st->node_line
		           : st->store_key_line ? st->store_key_line
		                                : st->lease_ttl_line;
		const char *key = st->node_line        ? "node"
		                  : st->store_key_line ? "store_key"
		                                       : "lease_ttl";
		if (line != 0)
			conf_error(st, line, key, "is for fleet mode: no database = is configured");
		return;
	}
	if (st->store_line == 0) {
		conf_error(st, st->database_line, "database",
		           "fleet mode needs an explicit store = DIR (this node's local copy, "
		           "what it deploys from)");
		return;
	}
	if (c->store_key == NULL) {
		conf_error(st, st->database_line, "database",
		           "fleet mode needs store_key = FILE (%d random bytes, 0600: private "
		           "keys are kept in the database encrypted with it)",
		           CONF_STORE_KEY_LEN);
		return;
	}
	if (c->node != NULL)
		return;
	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) != 0 || !node_name_valid(host)) {
		conf_error(st, st->database_line, "database",
		           "the host name is not a valid node name: set node = NAME");
		return;
	}
	if ((c->node = strdup(host)) == NULL)
		conf_error(st, st->database_line, "node", "out of memory");
}

static int handle_top(struct parse_state *st, const char *key, const char *v)
{
	struct conf *c = st->conf;

	if (strcmp(key, "store") == 0) {
		free(c->store);
		c->store = NULL;
		st->store_line = st->line;
		return set_string(st, &c->store, key, v);
	}
	if (strcmp(key, "database") == 0 || strcmp(key, "node") == 0 ||
	    strcmp(key, "store_key") == 0 || strcmp(key, "lease_ttl") == 0)
		return handle_fleet(st, key, v);
	if (strcmp(key, "user") == 0)
		return set_string(st, &c->user, key, v);
	if (strcmp(key, "resolvers") == 0) {
		size_t i;
		if (set_list(st, &c->resolvers, key, v) != 0)
			return -1;
		for (i = 0; i < c->resolvers.count; i++) {
			char norm[DNS_SERVER_MAX];
			if (dns_server_parse(c->resolvers.items[i], norm, sizeof(norm)) != 0) {
				conf_error(st, st->line, key,
				           "\"%s\" is not a DNS server address (IP, IP:PORT or "
				           "[IPv6]:PORT)",
				           c->resolvers.items[i]);
				return -1;
			}
		}
		return 0;
	}
	if (strcmp(key, "rdap_bootstrap") == 0)
		return set_string(st, &c->rdap_bootstrap, key, v);
	if (strcmp(key, "metrics_listen") == 0 || strcmp(key, "ocsp_listen") == 0) {
		struct sockaddr_storage ss;
		if (listen_addr_parse(v, &ss) != 0) {
			conf_error(st, st->line, key,
			           "expected an address such as 127.0.0.1:8889, got \"%s\"", v);
			return -1;
		}
		return set_string(
		    st, strcmp(key, "ocsp_listen") == 0 ? &c->ocsp_listen : &c->metrics_listen, key,
		    v);
	}
	if (strcmp(key, "metrics_per_certificate") == 0) {
		long long n = parse_count(v, CONF_METRICS_PER_CERTIFICATE_MAX);
		if (n < 0) {
			conf_error(st, st->line, key,
			           "expected a number of certificates from 0 to %d, got \"%s\"",
			           CONF_METRICS_PER_CERTIFICATE_MAX, v);
			return -1;
		}
		c->metrics_per_certificate = (size_t)n;
		return 0;
	}
	if (strcmp(key, "audit_interval") == 0) {
		if (strcmp(v, "off") == 0) {
			c->audit_interval = 0;
			return 0;
		}
		c->audit_interval = parse_duration(v);
		if (c->audit_interval <= 0) {
			conf_error(st, st->line, key,
			           "expected a duration such as 6h or 30m, got \"%s\"", v);
			return -1;
		}
		if (c->audit_interval < CONF_AUDIT_INTERVAL_MIN) {
			conf_error(
			    st, st->line, key,
			    "%s is shorter than the minimum of 15m (registries' RDAP servers "
			    "rate-limit; off disables the audit)",
			    v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "probe_interval") == 0) {
		if (strcmp(v, "off") == 0) {
			c->probe_interval = 0;
			return 0;
		}
		c->probe_interval = parse_duration(v);
		if (c->probe_interval <= 0) {
			conf_error(st, st->line, key,
			           "expected a duration such as 6h or 30m, got \"%s\"", v);
			return -1;
		}
		if (c->probe_interval < CONF_PROBE_INTERVAL_MIN) {
			conf_error(st, st->line, key,
			           "%s is shorter than the minimum of 10s (off disables the probe)",
			           v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "crl_interval") == 0)
		return parse_crl_interval(st, key, v, &c->crl_interval);
	if (strcmp(key, "log") == 0) {
		if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0) {
			conf_error(st, st->line, key, "expected stderr or syslog, got \"%s\"", v);
			return -1;
		}
		c->log_syslog = strcmp(v, "syslog") == 0;
		return 0;
	}
	if (strcmp(key, "sandbox") == 0) {
		if (parse_bool(v, &c->sandbox) != 0) {
			conf_error(st, st->line, key, "expected yes or no, got \"%s\"", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "deploy_dir") == 0)
		return set_string(st, &c->deploy_dir, key, v);
	if (strcmp(key, "nginx_reload") == 0)
		return set_list(st, &c->nginx_reload, key, v);
	if (strcmp(key, "apache_reload") == 0)
		return set_list(st, &c->apache_reload, key, v);
	if (strcmp(key, "staple_retry_min") == 0 || strcmp(key, "staple_retry_max") == 0 ||
	    strcmp(key, "issue_retry_min") == 0) {
		long d = parse_duration(v);
		if (d <= 0 || d > 86400) {
			conf_error(st, st->line, key,
			           "expected a duration from 1s to 1d, got \"%s\"", v);
			return -1;
		}
		if (key[0] == 'i') {
			c->issue_retry_min = d;
		} else if (strcmp(key, "staple_retry_min") == 0) {
			c->staple_retry_min = d;
			st->retry_min_line = st->line;
		} else {
			c->staple_retry_max = d;
			st->retry_max_line = st->line;
		}
		return 0;
	}
	if (strcmp(key, "acme_connect_timeout") == 0 || strcmp(key, "acme_timeout") == 0) {
		long d = parse_duration(v);
		if (d <= 0 || d > 3600) {
			conf_error(st, st->line, key,
			           "expected a duration from 1s to 1h, got \"%s\"", v);
			return -1;
		}
		if (key[5] == 'c')
			c->acme_connect_timeout = d;
		else
			c->acme_timeout = d;
		return 0;
	}
	if (strcmp(key, "outage_margin") == 0) {
		long d = parse_duration(v);
		if (d < 0 || d > CONF_OUTAGE_MARGIN_MAX) {
			conf_error(st, st->line, key,
			           "expected a duration from 0 to 30d (renewal is never later than "
			           "this before expiry), got \"%s\"",
			           v);
			return -1;
		}
		c->outage_margin = d;
		return 0;
	}
	if (strcmp(key, "crl_max_size") == 0) {
		long long n = parse_size(v, CONF_CRL_MAX_SIZE_MAX);
		if (n < CONF_CRL_MAX_SIZE_MIN) {
			conf_error(st, st->line, key,
			           "expected a size from 1KiB to 1GiB such as 64MiB, got \"%s\"",
			           v);
			return -1;
		}
		c->crl_max_size = (size_t)n;
		return 0;
	}
	conf_error(st, st->line, key, "unknown key before the first section");
	return -1;
}

/* 1 when l's item i equals an earlier one (lists are short: at most
 * CONF_LIST_MAX). */
static int list_has_before(const struct conf_list *l, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(l->items[j], l->items[i]) == 0)
			return 1;
	return 0;
}

static int handle_ca(struct parse_state *st, struct conf_ca *ca, const char *key, const char *v)
{
	if (strcmp(key, "directory") == 0) {
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
			conf_error(st, st->line, key, "expected an http(s) URL, got \"%s\"", v);
			return -1;
		}
		return set_string(st, &ca->directory, key, v);
	}
	if (strcmp(key, "ca_bundle") == 0)
		return set_string(st, &ca->ca_bundle, key, v);
	if (strcmp(key, "eab_kid") == 0)
		return set_string(st, &ca->eab_kid, key, v);
	if (strcmp(key, "eab_hmac_key") == 0) {
		unsigned char *raw = NULL;
		size_t raw_len = 0;
		int bad = b64url_decode_new(v, &raw, &raw_len) != 0 || raw_len == 0;
		if (raw != NULL)
			OPENSSL_cleanse(raw, raw_len);
		free(raw);
		if (bad) {
			/* The value is a secret: never repeated in the message. */
			conf_error(
			    st, st->line, key,
			    "not base64url (RFC 4648 section 5: A-Z a-z 0-9 - _, no padding)");
			return -1;
		}
		return set_string(st, &ca->eab_hmac_key, key, v);
	}
	if (strcmp(key, "caa_identities") == 0) {
		/* RFC 8659 section 4.2: an issuer-domain-name, which a CAA
		 * record's issue value is matched against. */
		size_t i, from = ca->caa_identities.count;
		char why[300];
		if (set_list(st, &ca->caa_identities, key, v) != 0)
			return -1;
		for (i = from; i < ca->caa_identities.count; i++) {
			if (host_check(ca->caa_identities.items[i], 0, why, sizeof(why)) != 0) {
				conf_error(st, st->line, key, "not a CAA issuer domain name: %s",
				           why);
				return -1;
			}
			if (list_has_before(&ca->caa_identities, i)) {
				conf_error(st, st->line, key, "\"%s\" is listed twice",
				           ca->caa_identities.items[i]);
				return -1;
			}
		}
		return 0;
	}
	unknown_key(st, key, "ca", ca->name);
	return -1;
}

static int parse_key_type(const char *v, enum conf_key_type *out)
{
	static const struct {
		const char *name;
		enum conf_key_type type;
	} types[] = {{"ec-p256", KEY_EC_P256},
	             {"ec-p384", KEY_EC_P384},
	             {"rsa-2048", KEY_RSA_2048},
	             {"rsa-3072", KEY_RSA_3072},
	             {"rsa-4096", KEY_RSA_4096}};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(v, types[i].name) == 0) {
			*out = types[i].type;
			return 0;
		}
	}
	return -1;
}

long conf_cert_crl_interval(const struct conf *conf, const struct conf_cert *cert)
{
	return cert->crl_interval >= 0 ? cert->crl_interval : conf->crl_interval;
}

const char *conf_key_type_name(enum conf_key_type k)
{
	switch (k) {
	case KEY_EC_P256:
		return "ec-p256";
	case KEY_EC_P384:
		return "ec-p384";
	case KEY_RSA_2048:
		return "rsa-2048";
	case KEY_RSA_3072:
		return "rsa-3072";
	case KEY_RSA_4096:
		return "rsa-4096";
	}
	return "invalid";
}

/* 0 when path (or, without a '/', a name in PATH, as the hook is run) is an
 * executable regular file; else -1 with why. */
static int executable_check(const char *path, char *why, size_t whylen)
{
	char found[4096];
	struct stat sb;

	if (*path == '\0') {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	if (strchr(path, '/') == NULL) {
		const char *dirs = getenv("PATH"), *p, *end;
		if (dirs == NULL)
			dirs = "/usr/local/bin:/usr/bin:/bin";
		for (p = dirs; *p != '\0'; p = *end ? end + 1 : end) {
			end = strchr(p, ':');
			if (end == NULL)
				end = p + strlen(p);
			if ((size_t)snprintf(found, sizeof(found), "%.*s/%s", (int)(end - p), p,
			                     path) < sizeof(found) &&
			    stat(found, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    access(found, X_OK) == 0)
				return 0;
		}
		snprintf(why, whylen, "\"%s\" is not an executable in PATH", path);
		return -1;
	}
	if (stat(path, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(why, whylen, "%s is a directory, not a program", path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		return -1;
	}
	if (access(path, X_OK) != 0) {
		snprintf(why, whylen, "%s is not executable", path);
		return -1;
	}
	return 0;
}

/* 0 when path is a regular file that only its owner (and group) may read,
 * as a secret (a TSIG key) must be; else -1 with the reason in why. */
static int secret_file_check(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		snprintf(why, whylen,
		         "%s: readable by every user (mode %04o): a key file must not be (chmod "
		         "600)",
		         path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* An ACME profile name (acme/profile.h): 1 to CONF_PROFILE_MAX characters of
 * A-Z a-z 0-9 . _ -. */
static int profile_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= CONF_PROFILE_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	           n;
}

static int handle_cert(struct parse_state *st, struct conf_cert *crt, const char *key,
                       const char *v)
{
	int b;

	if (strcmp(key, "names") == 0) {
		size_t i, from = crt->names.count;
		char why[300];
		if (set_list(st, &crt->names, key, v) != 0)
			return -1;
		for (i = from; i < crt->names.count; i++) {
			if (host_check(crt->names.items[i], HOST_WILDCARD | HOST_IP, why,
			               sizeof(why)) != 0) {
				conf_error(st, st->line, key, "%s", why);
				return -1;
			}
			if (list_has_before(&crt->names, i)) {
				conf_error(st, st->line, key, "\"%s\" is listed twice",
				           crt->names.items[i]);
				return -1;
			}
		}
		return 0;
	}
	if (strcmp(key, "cas") == 0) {
		size_t i, from = crt->cas.count;
		if (set_list(st, &crt->cas, key, v) != 0)
			return -1;
		for (i = from; i < crt->cas.count; i++) {
			if (list_has_before(&crt->cas, i)) {
				conf_error(
				    st, st->line, key,
				    "\"%s\" is listed twice (each CA is tried once, in order)",
				    crt->cas.items[i]);
				return -1;
			}
		}
		return 0;
	}
	if (strcmp(key, "deploy") == 0)
		return set_list(st, &crt->deploy, key, v);
	if (strcmp(key, "ocsp_backup") == 0)
		return set_list(st, &crt->ocsp_backup, key, v);
	if (strcmp(key, "key") == 0) {
		if (parse_key_type(v, &crt->key) != 0) {
			conf_error(
			    st, st->line, key,
			    "expected ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096, got \"%s\"",
			    v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "challenge") == 0) {
		if (strcmp(v, "http-01") == 0)
			crt->challenge = CHALLENGE_HTTP_01;
		else if (strcmp(v, "dns-01") == 0)
			crt->challenge = CHALLENGE_DNS_01;
		else {
			conf_error(st, st->line, key, "expected http-01 or dns-01, got \"%s\"", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "must_staple") == 0 || strcmp(key, "critical") == 0) {
		if (parse_bool(v, &b) != 0) {
			conf_error(st, st->line, key, "expected yes or no, got \"%s\"", v);
			return -1;
		}
		if (key[0] == 'm')
			crt->must_staple = b;
		else
			crt->critical = b;
		return 0;
	}
	if (strcmp(key, "profile") == 0) {
		if (!profile_name_valid(v)) {
			conf_error(
			    st, st->line, key,
			    "expected a profile name such as classic, tlsserver or shortlived "
			    "(letters, digits, '.', '_', '-', at most %d), got \"%s\"",
			    CONF_PROFILE_MAX, v);
			return -1;
		}
		return set_string(st, &crt->profile, key, v);
	}
	if (strcmp(key, "crl_interval") == 0)
		return parse_crl_interval(st, key, v, &crt->crl_interval);
	if (strcmp(key, "profile_required") == 0) {
		if (parse_bool(v, &b) != 0) {
			conf_error(st, st->line, key, "expected yes or no, got \"%s\"", v);
			return -1;
		}
		crt->profile_required = b;
		return 0;
	}
	if (strcmp(key, "http_listen") == 0) {
		struct sockaddr_storage ss;
		if (*v != '\0' && listen_addr_parse(v, &ss) != 0) {
			conf_error(st, st->line, key,
			           "expected an address such as 0.0.0.0:80 or [::]:80 (port 1 to "
			           "65535), got \"%s\"",
			           v);
			return -1;
		}
		return set_string(st, &crt->http_listen, key, v);
	}
	if (strcmp(key, "webroot") == 0)
		return set_string(st, &crt->webroot, key, v);
	if (strcmp(key, "dns_hook") == 0 || strcmp(key, "deploy_hook") == 0) {
		char why[300];
		if (executable_check(v, why, sizeof(why)) != 0) {
			conf_error(st, st->line, key, "%s", why);
			return -1;
		}
		return set_string(st, key[1] == 'n' ? &crt->dns_hook : &crt->deploy_hook, key, v);
	}
	if (strcmp(key, "dns_update") == 0) {
		char server[DNS_SERVER_MAX], host[256], why[200], hp[300];
		int port = DNS_PORT_DEFAULT;
		if (dns_server_parse(v, server, sizeof(server)) == 0) {
			/* "IP:PORT" or "[IPv6]:PORT"; nsupdate wants "HOST PORT" */
			char *colon = strrchr(server, ':'), *h = server;
			*colon = '\0';
			if (*h == '[') {
				h++;
				h[strlen(h) - 1] = '\0';
			}
			snprintf(hp, sizeof(hp), "%s %s", h, colon + 1);
		} else if ((strchr(v, ':')
		                ? host_port_parse(v, host, sizeof(host), &port, why, sizeof(why))
		                : host_check(v, 0, why, sizeof(why))) == 0) {
			snprintf(hp, sizeof(hp), "%s %d", strchr(v, ':') ? host : v, port);
		} else {
			conf_error(
			    st, st->line, key,
			    "expected the primary server as IP, IP:PORT, [IPv6]:PORT, HOST or "
			    "HOST:PORT, got \"%s\"",
			    v);
			return -1;
		}
		return set_string(st, &crt->dns_update, key, hp);
	}
	if (strcmp(key, "tsig_key") == 0) {
		char why[300];
		if (secret_file_check(v, why, sizeof(why)) != 0) {
			conf_error(st, st->line, key, "%s", why);
			return -1;
		}
		return set_string(st, &crt->tsig_key, key, v);
	}
	if (strcmp(key, "verify_addr") == 0) {
		char host[256], why[200];
		int port;
		if (host_port_parse(v, host, sizeof(host), &port, why, sizeof(why)) != 0) {
			conf_error(st, st->line, key, "%s", why);
			return -1;
		}
		return set_string(st, &crt->verify_addr, key, v);
	}
	unknown_key(st, key, "certificate", crt->name);
	return -1;
}

static int conf_ini_handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;
	size_t i;

	(void)section; /* the reader tracks sections, with their lines */
	if (st->failed)
		return 0;
	if (st->long_value != NULL)
		value = st->long_value;
	if (st->continuation) {
		if (!is_list_key(st->kind, key)) {
			conf_error(st, st->line, key,
			           "continuation lines are only allowed for lists");
			return 0;
		}
	} else {
		for (i = 0; i < st->seen_count; i++) {
			if (strcmp(st->seen[i], key) == 0) {
				conf_error(st, st->line, key, "given twice in the same section");
				return 0;
			}
		}
		if (st->seen_count < sizeof(st->seen) / sizeof(st->seen[0]))
			snprintf(st->seen[st->seen_count++], sizeof(st->seen[0]), "%s", key);
	}
	switch (st->kind) {
	case SECTION_TOP:
		handle_top(st, key, value);
		break;
	case SECTION_CA:
		handle_ca(st, &st->conf->cas[st->index], key, value);
		break;
	case SECTION_CERT:
		handle_cert(st, &st->conf->certs[st->index], key, value);
		break;
	}
	return st->failed ? 0 : 1;
}

/* A "[kind NAME]" header read by the line reader: open the section. */
static void open_section(struct parse_state *st, const char *text, size_t len)
{
	char buf[CONF_LINE_MAX], *name;
	struct conf *c = st->conf;
	size_t i;

	if (len >= sizeof(buf)) {
		conf_error(st, st->line, NULL, "section header too long");
		return;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	name = strchr(buf, ' ');
	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ')
			name++;
		for (i = strlen(name); i > 0 && name[i - 1] == ' '; i--)
			name[i - 1] = '\0';
	}
	if (name == NULL || !valid_section_name(name)) {
		conf_error(
		    st, st->line, NULL,
		    "section must be [ca NAME] or [certificate NAME] (NAME: letters, digits, "
		    "'.', '-', '_')");
		return;
	}
	st->seen_count = 0;
	if (strcmp(buf, "ca") == 0) {
		struct conf_ca *cas;
		char key[CONF_LINE_MAX + 16];
		int ins;
		snprintf(key, sizeof(key), "ca %s", name);
		ins = names_insert(st, key);
		if (ins < 0)
			goto nomem;
		if (ins == 0) {
			conf_error(st, st->line, NULL, "[ca %s] defined twice", name);
			return;
		}
		if (c->ca_count == st->ca_cap) {
			size_t cap = st->ca_cap ? st->ca_cap * 2 : 4;
			cas = realloc(c->cas, cap * sizeof(*cas));
			if (cas == NULL)
				goto nomem;
			c->cas = cas;
			st->ca_cap = cap;
		}
		cas = c->cas;
		memset(&cas[c->ca_count], 0, sizeof(*cas));
		cas[c->ca_count].name = strdup(name);
		cas[c->ca_count].line = st->line;
		st->kind = SECTION_CA;
		st->index = c->ca_count++;
		if (cas[st->index].name == NULL)
			goto nomem;
	} else if (strcmp(buf, "certificate") == 0) {
		struct conf_cert *certs;
		char key[CONF_LINE_MAX + 16];
		int ins;
		snprintf(key, sizeof(key), "certificate %s", name);
		ins = names_insert(st, key);
		if (ins < 0)
			goto nomem;
		if (ins == 0) {
			conf_error(st, st->line, NULL, "[certificate %s] defined twice", name);
			return;
		}
		if (c->cert_count == st->cert_cap) {
			size_t cap = st->cert_cap ? st->cert_cap * 2 : 16;
			certs = realloc(c->certs, cap * sizeof(*certs));
			if (certs == NULL)
				goto nomem;
			c->certs = certs;
			st->cert_cap = cap;
		}
		certs = c->certs;
		memset(&certs[c->cert_count], 0, sizeof(*certs));
		certs[c->cert_count].name = strdup(name);
		certs[c->cert_count].line = st->line;
		certs[c->cert_count].key = KEY_EC_P256;
		certs[c->cert_count].challenge = CHALLENGE_HTTP_01;
		certs[c->cert_count].profile_required = 1;
		certs[c->cert_count].crl_interval = -1; /* the top level's */
		st->kind = SECTION_CERT;
		st->index = c->cert_count++;
		if (certs[st->index].name == NULL)
			goto nomem;
	} else {
		conf_error(st, st->line, NULL, "unknown section kind \"%s\" (ca or certificate)",
		           buf);
	}
	return;
nomem:
	conf_error(st, st->line, NULL, "out of memory");
}

/* inih's line source: hands out one physical line at a time (num bytes max),
 * counting lines, dropping '#' comments after values and recognising section
 * headers.  Returns NULL at the end (or after an error, to stop inih). */
/* inih's value rules: text after the first '=' or ':', without the white
 * space around it and without a ';' comment that follows white space. */
static char *inih_value(const char *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == ';' && i > 0 && isspace((unsigned char)p[i - 1])) {
			n = i;
			break;
		}
	}
	while (start < n && isspace((unsigned char)p[start]))
		start++;
	while (n > start && isspace((unsigned char)p[n - 1]))
		n--;
	return strndup(p + start, n - start);
}

/* A line longer than inih's buffer (Debian builds it with 200 bytes): hand
 * inih "KEY=-" (or " -" for a continuation line) and keep the real value in
 * st->long_value, split by inih's own rules, so lines have no length limit. */
static int long_line(struct parse_state *st, const char *p, size_t n, char *str, size_t num)
{
	size_t i, k;

	if (n > 0 && p[0] == '[') {
		conf_error(st, st->line, NULL, "section header too long");
		return -1;
	}
	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (i == n || p[i] == '#' || p[i] == ';') {
		snprintf(str, num, "#\n");
		return 0;
	}
	if (i > 0) {
		if (memchr(p, '=', n) != NULL) {
			snprintf(str, num, " =\n"); /* refused by the reader, as a short line is */
			return 0;
		}
		st->long_value = inih_value(p, n);
		if (st->long_value == NULL)
			goto nomem;
		snprintf(str, num, " -\n");
		return 0;
	}
	for (i = 0; i < n && p[i] != '=' && p[i] != ':'; i++)
		;
	if (i == n) {
		conf_error(st, st->line, NULL,
		           "expected \"key = value\", a [section] or a comment");
		return -1;
	}
	for (k = i; k > 0 && isspace((unsigned char)p[k - 1]); k--)
		;
	if (k + 4 > num || k >= 64) {
		conf_error(st, st->line, NULL, "key too long");
		return -1;
	}
	st->long_value = inih_value(p + i + 1, n - i - 1);
	if (st->long_value == NULL)
		goto nomem;
	memcpy(str, p, k);
	memcpy(str + k, "=-\n", 4);
	return 0;
nomem:
	conf_error(st, st->line, NULL, "out of memory");
	return -1;
}

static char *conf_reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	const char *p, *eol;
	size_t len, n, i, start;
	int in_value = 0;

	if (st->failed || st->pos >= st->len)
		return NULL;
	p = st->data + st->pos;
	eol = memchr(p, '\n', st->len - st->pos);
	len = eol ? (size_t)(eol - p) : st->len - st->pos;
	st->pos += len + (eol ? 1 : 0);
	st->line++;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (memchr(p, '\0', len) != NULL) {
		conf_error(st, st->line, NULL, "NUL byte in the file");
		return NULL;
	}
	free(st->long_value);
	st->long_value = NULL;
	if (num <= 8)
		return NULL;
	/* Cut a '#' comment that follows white space inside a key = value line. */
	n = len;
	for (i = 0; i < len; i++) {
		if (p[i] == '=')
			in_value = 1;
		if (in_value && p[i] == '#' && i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t')) {
			n = i;
			break;
		}
	}
	if (n + 2 >= (size_t)num || n + 2 >= CONF_LINE_MAX) {
		if (long_line(st, p, n, str, (size_t)num) != 0)
			return NULL;
		n = strlen(str) - 1;
	} else {
		memcpy(str, p, n);
		str[n] = '\n';
		str[n + 1] = '\0';
	}

	for (start = 0; start < n && (str[start] == ' ' || str[start] == '\t'); start++)
		;
	st->continuation = start > 0 && start < n && str[start] != '#' && str[start] != ';';
	if (st->continuation && memchr(str, '=', n) != NULL) {
		conf_error(st, st->line, NULL,
		           "indented \"key = value\": indented lines continue a list, keys start "
		           "at the beginning of the line");
		return NULL;
	}
	if (start == 0 && n > 0 && str[0] == '[') {
		const char *close = memchr(str, ']', n);
		if (close == NULL) {
			conf_error(st, st->line, NULL, "section header without ']'");
			return NULL;
		}
		open_section(st, str + 1, (size_t)(close - str - 1));
		if (st->failed)
			return NULL;
	}
	return str;
}

static int conf_validate(struct parse_state *st)
{
	struct conf *c = st->conf;
	size_t i, j;

	for (i = 0; i < c->ca_count; i++) {
		if (c->cas[i].directory == NULL) {
			conf_error(st, c->cas[i].line, "directory", "missing in [ca %s]",
			           c->cas[i].name);
			return -1;
		}
		if ((c->cas[i].eab_kid == NULL) != (c->cas[i].eab_hmac_key == NULL)) {
			conf_error(st, c->cas[i].line,
			           c->cas[i].eab_kid ? "eab_hmac_key" : "eab_kid",
			           "external account binding needs both eab_kid and eab_hmac_key");
			return -1;
		}
	}
	for (i = 0; i < c->cert_count; i++) {
		const struct conf_cert *crt = &c->certs[i];
		if (crt->names.count == 0) {
			conf_error(st, crt->line, "names", "missing in [certificate %s]",
			           crt->name);
			return -1;
		}
		if (crt->cas.count == 0 && c->ca_count > 0) {
			conf_error(st, crt->line, "cas", "missing in [certificate %s]", crt->name);
			return -1;
		}
		for (j = 0; j < crt->cas.count; j++) {
			if (conf_ca_find(c, crt->cas.items[j]) == NULL) {
				conf_error(st, crt->line, "cas",
				           "[certificate %s] names [ca %s], which is not defined",
				           crt->name, crt->cas.items[j]);
				return -1;
			}
		}
		for (j = 0; j < crt->deploy.count; j++) {
			const char *t = crt->deploy.items[j];
			if (strcmp(t, "nginx") != 0 && strcmp(t, "apache") != 0 &&
			    !(strncmp(t, "haproxy:", 8) == 0 && t[8] == '/')) {
				conf_error(st, crt->line, "deploy",
				           "[certificate %s]: \"%s\" is not nginx, apache or "
				           "haproxy:/path/to/admin.sock",
				           crt->name, t);
				return -1;
			}
		}
		if (crt->challenge == CHALLENGE_HTTP_01) {
			for (j = 0; j < crt->names.count; j++) {
				if (strncmp(crt->names.items[j], "*.", 2) == 0) {
					conf_error(
					    st, crt->line, "challenge",
					    "[certificate %s]: the wildcard name %s needs "
					    "challenge = dns-01 (CAs validate wildcards only "
					    "through DNS, RFC 8555 section 7.1.3)",
					    crt->name, crt->names.items[j]);
					return -1;
				}
			}
		}
		if (crt->challenge == CHALLENGE_DNS_01) {
			for (j = 0; j < crt->names.count; j++) {
				if (host_is_ip(crt->names.items[j])) {
					conf_error(st, crt->line, "challenge",
					           "[certificate %s]: the IP address %s needs "
					           "challenge = http-01 (RFC 8738 section 7: an IP "
					           "address has no DNS name for dns-01)",
					           crt->name, crt->names.items[j]);
					return -1;
				}
			}
		}
		if (crt->challenge == CHALLENGE_DNS_01 && crt->dns_hook == NULL &&
		    crt->dns_update == NULL) {
			conf_error(
			    st, crt->line, "dns_hook",
			    "challenge dns-01 needs a dns_hook or dns_update in [certificate %s]",
			    crt->name);
			return -1;
		}
		if (crt->dns_hook != NULL && crt->dns_update != NULL) {
			conf_error(st, crt->line, "dns_update",
			           "[certificate %s]: dns_hook and dns_update both publish the "
			           "dns-01 record: give one",
			           crt->name);
			return -1;
		}
		if (crt->tsig_key != NULL && crt->dns_update == NULL) {
			conf_error(st, crt->line, "tsig_key",
			           "[certificate %s]: tsig_key signs dns_update's updates: no "
			           "dns_update is given",
			           crt->name);
			return -1;
		}
		if (crt->challenge == CHALLENGE_HTTP_01 && crt->cas.count > 0 &&
		    crt->http_listen == NULL && crt->webroot == NULL) {
			conf_error(
			    st, crt->line, "http_listen",
			    "challenge http-01 needs http_listen or webroot in [certificate %s]",
			    crt->name);
			return -1;
		}
	}
	return 0;
}

struct conf *conf_load_buffer(const char *name, const char *data, size_t len, char *err,
                              size_t errlen)
{
	struct parse_state st;
	struct conf *c;
	int rc;

	memset(&st, 0, sizeof(st));
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	st.name = name;
	st.data = data;
	st.len = len;
	st.conf = c;
	st.err = err;
	st.errlen = errlen;
	st.kind = SECTION_TOP;
	c->path = strdup(name);
	c->audit_interval = CONF_AUDIT_INTERVAL_DEFAULT;
	c->outage_margin = CONF_OUTAGE_MARGIN_DEFAULT;
	c->probe_interval = CONF_PROBE_INTERVAL_DEFAULT;
	c->crl_interval = CONF_CRL_INTERVAL_DEFAULT;
	c->metrics_per_certificate = CONF_METRICS_PER_CERTIFICATE_DEFAULT;
	c->acme_connect_timeout = CONF_ACME_CONNECT_TIMEOUT_DEFAULT;
	c->acme_timeout = CONF_ACME_TIMEOUT_DEFAULT;
	c->staple_retry_min = 60;
	c->staple_retry_max = 3600;
	c->issue_retry_min = 60;
	c->crl_max_size = CONF_CRL_MAX_SIZE_DEFAULT;
	c->lease_ttl = CONF_LEASE_TTL_DEFAULT;
	c->sandbox = 1;
	rc = ini_parse_stream(conf_reader, &st, conf_ini_handler, &st);
	free(st.long_value);
	st.long_value = NULL;
	if (!st.failed && rc > 0)
		conf_error(&st, rc, NULL, "expected \"key = value\", a [section] or a comment");
	else if (!st.failed && rc < 0)
		conf_error(&st, st.line, NULL, "cannot parse (out of memory)");
	if (!st.failed && c->store == NULL && (c->store = strdup(CONF_STORE_DEFAULT)) == NULL)
		conf_error(&st, st.line, "store", "out of memory");
	if (!st.failed && c->deploy_dir == NULL) {
		size_t n = strlen(c->store) + sizeof("/deploy");
		c->deploy_dir = malloc(n);
		if (c->deploy_dir == NULL)
			conf_error(&st, st.line, "deploy_dir", "out of memory");
		else
			snprintf(c->deploy_dir, n, "%s/deploy", c->store);
	}
	if (!st.failed && c->nginx_reload.count == 0 &&
	    list_append_words(&c->nginx_reload, "nginx -s reload") != 0)
		conf_error(&st, st.line, "nginx_reload", "out of memory");
	if (!st.failed && c->apache_reload.count == 0 &&
	    list_append_words(&c->apache_reload, "apachectl graceful") != 0)
		conf_error(&st, st.line, "apache_reload", "out of memory");
	if (!st.failed && c->staple_retry_max < c->staple_retry_min) {
		/* Blame the key the file gave (the later one when it gave both). */
		if (st.retry_max_line > st.retry_min_line)
			conf_error(&st, st.retry_max_line, "staple_retry_max",
			           "%lds is shorter than staple_retry_min (%lds)",
			           c->staple_retry_max, c->staple_retry_min);
		else
			conf_error(&st, st.retry_min_line, "staple_retry_min",
			           "%lds is longer than staple_retry_max (%lds%s)",
			           c->staple_retry_min, c->staple_retry_max,
			           st.retry_max_line ? "" : ", the default");
	}
	if (!st.failed)
		fleet_validate(&st);
	if (!st.failed)
		conf_validate(&st);
	names_free(&st);
	if (st.failed || c->path == NULL) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	unsigned char *data = NULL;
	struct conf *c;
	size_t len = 0;

	if (store_read_file(path, CONF_FILE_MAX, &data, &len) != 0) {
		snprintf(err, errlen, "%s: %s", path,
		         errno == EFBIG    ? "file too large"
		         : errno == EISDIR ? "is a directory, not a configuration file"
		         : errno == ENOTSUP
		             ? "not a regular file (a FIFO, device or socket): refused"
		             : strerror(errno));
		return NULL;
	}
	c = conf_load_buffer(path, (const char *)data, len, err, errlen);
	free(data);
	return c;
}

void conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ca_count; i++) {
		free(c->cas[i].name);
		free(c->cas[i].directory);
		free(c->cas[i].ca_bundle);
		free(c->cas[i].eab_kid);
		free(c->cas[i].eab_hmac_key);
		list_free(&c->cas[i].caa_identities);
	}
	for (i = 0; i < c->cert_count; i++) {
		struct conf_cert *crt = &c->certs[i];
		free(crt->name);
		list_free(&crt->names);
		list_free(&crt->cas);
		list_free(&crt->deploy);
		list_free(&crt->ocsp_backup);
		free(crt->http_listen);
		free(crt->webroot);
		free(crt->dns_hook);
		free(crt->deploy_hook);
		free(crt->verify_addr);
		free(crt->profile);
		free(crt->dns_update);
		free(crt->tsig_key);
	}
	free(c->cas);
	free(c->certs);
	list_free(&c->resolvers);
	list_free(&c->nginx_reload);
	list_free(&c->apache_reload);
	free(c->deploy_dir);
	free(c->path);
	free(c->store);
	free(c->user);
	free(c->rdap_bootstrap);
	free(c->metrics_listen);
	free(c->ocsp_listen);
	free(c->database);
	free(c->node);
	free(c->store_key);
	free(c);
}

const struct conf_ca *conf_ca_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ca_count; i++) {
		if (strcmp(c->cas[i].name, name) == 0)
			return &c->cas[i];
	}
	return NULL;
}

const struct conf_cert *conf_cert_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->cert_count; i++) {
		if (strcmp(c->certs[i].name, name) == 0)
			return &c->certs[i];
	}
	return NULL;
}

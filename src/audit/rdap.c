/*
 * rdap: bootstrap, parsing and concurrent lookups.  See rdap.h.
 *
 * Design notes:
 * - The parser walks only the members it needs, with an explicit depth and
 *   a cap on every array, after checking the whole document's nesting once:
 *   jansson itself would accept 2048 levels, far more than an RDAP answer
 *   ever has.  Strings are length-checked and copied into fixed buffers;
 *   names must be LDH, and free text (the registrar's name) has control
 *   bytes replaced, so nothing a server sends can break a log line or the
 *   report.
 * - The client keeps its own queue in front of the HTTP client so it can
 *   hold a query back: per-server concurrency and a 429's Retry-After both
 *   apply to every query for that server, not only to the one refused.
 * - A registry answer that is complete is final; only an incomplete one is
 *   completed from the registrar's server, once, and a failure there keeps
 *   the registry's data (reported beside it, never instead of it).
 */

#include "audit/rdap.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "util/atomic.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/url.h"

#define RDAP_JSON_DEPTH_MAX 32 /* nesting of the whole document */
#define RDAP_HOST_KEY_MAX   300

/* ---------------------------------------------------------------- statuses */

static const char *const rdap_status_names[RDAP_ST_COUNT] = {
    [RDAP_ST_ACTIVE] = "active",
    [RDAP_ST_INACTIVE] = "inactive",
    [RDAP_ST_CLIENT_HOLD] = "client hold",
    [RDAP_ST_SERVER_HOLD] = "server hold",
    [RDAP_ST_REDEMPTION_PERIOD] = "redemption period",
    [RDAP_ST_PENDING_DELETE] = "pending delete",
    [RDAP_ST_PENDING_RESTORE] = "pending restore",
    [RDAP_ST_PENDING_TRANSFER] = "pending transfer",
    [RDAP_ST_PENDING_UPDATE] = "pending update",
    [RDAP_ST_PENDING_CREATE] = "pending create",
    [RDAP_ST_PENDING_RENEW] = "pending renew",
    [RDAP_ST_CLIENT_TRANSFER_PROHIBITED] = "client transfer prohibited",
    [RDAP_ST_CLIENT_UPDATE_PROHIBITED] = "client update prohibited",
    [RDAP_ST_CLIENT_DELETE_PROHIBITED] = "client delete prohibited",
    [RDAP_ST_CLIENT_RENEW_PROHIBITED] = "client renew prohibited",
    [RDAP_ST_SERVER_TRANSFER_PROHIBITED] = "server transfer prohibited",
    [RDAP_ST_SERVER_UPDATE_PROHIBITED] = "server update prohibited",
    [RDAP_ST_SERVER_DELETE_PROHIBITED] = "server delete prohibited",
    [RDAP_ST_SERVER_RENEW_PROHIBITED] = "server renew prohibited",
    [RDAP_ST_TRANSFER_PROHIBITED] = "transfer prohibited",
    [RDAP_ST_UPDATE_PROHIBITED] = "update prohibited",
    [RDAP_ST_DELETE_PROHIBITED] = "delete prohibited",
    [RDAP_ST_RENEW_PROHIBITED] = "renew prohibited",
    [RDAP_ST_LOCKED] = "locked",
    [RDAP_ST_ADD_PERIOD] = "add period",
    [RDAP_ST_AUTO_RENEW_PERIOD] = "auto renew period",
    [RDAP_ST_RENEW_PERIOD] = "renew period",
    [RDAP_ST_TRANSFER_PERIOD] = "transfer period",
};

const char *rdap_status_name(enum rdap_status s)
{
	if ((unsigned)s >= RDAP_ST_COUNT)
		return "invalid";
	return rdap_status_names[s];
}

/* Compare ignoring case, spaces, '-' and '_': "clientHold" == "client hold". */
static int status_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-' || *a == '_')
			a++;
		while (*b == ' ' || *b == '-' || *b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

int rdap_status_from_string(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < RDAP_ST_COUNT; i++) {
		if (status_equal(s, rdap_status_names[i]))
			return i;
	}
	/* EPP "ok" (RFC 5731) is RDAP "active" (RFC 8056 section 2). */
	if (strcasecmp(s, "ok") == 0)
		return RDAP_ST_ACTIVE;
	return -1;
}

const char *rdap_status_list(unsigned long set, char *dst, size_t dstlen)
{
	size_t used = 0;
	int i, n;

	if (dstlen == 0)
		return dst;
	dst[0] = '\0';
	for (i = 0; i < RDAP_ST_COUNT; i++) {
		if (!(set & RDAP_BIT(i)))
			continue;
		n = snprintf(dst + used, dstlen - used, "%s%s", used ? ", " : "",
		             rdap_status_names[i]);
		if (n < 0 || (size_t)n >= dstlen - used)
			break; /* cut short; dst stays terminated */
		used += (size_t)n;
	}
	return dst;
}

/* ---------------------------------------------------------------- parsing */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 1 when v nests no deeper than max (containers count one level each). */
static int json_depth_ok(const json_t *v, int max)
{
	size_t i;
	const char *k;
	json_t *m;

	if (max < 0)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			if (!json_depth_ok(m, max - 1))
				return 0;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
		{
			if (!json_depth_ok(m, max - 1))
				return 0;
		}
	}
	return 1;
}

/* An array member of o, or NULL when absent; -1 (via *bad) when present but
 * not an array or longer than RDAP_ARRAY_MAX. */
static json_t *member_array(const json_t *o, const char *key, const char **bad)
{
	json_t *a = json_object_get(o, key);

	if (a == NULL)
		return NULL;
	if (!json_is_array(a)) {
		*bad = "is not an array";
		return NULL;
	}
	if (json_array_size(a) > RDAP_ARRAY_MAX) {
		*bad = "has too many items";
		return NULL;
	}
	return a;
}

/* The string value of o[key] when it is a string without NUL bytes and
 * shorter than max; NULL otherwise. */
static const char *member_string(const json_t *o, const char *key, size_t max)
{
	json_t *s = json_object_get(o, key);
	const char *v;

	if (!json_is_string(s))
		return NULL;
	v = json_string_value(s);
	if (json_string_length(s) >= max || strlen(v) != json_string_length(s))
		return NULL;
	return v;
}

/* Copy an LDH domain name, lower case, without a trailing dot.  -1 when it
 * is empty, too long or holds anything but letters, digits, '-', '_', '.'. */
static int copy_ldh(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src), i;

	if (n > 0 && src[n - 1] == '.')
		n--;
	if (n == 0 || n >= dstlen)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return -1;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	return 0;
}

/* Copy free text, replacing control bytes; cut at dstlen - 1. */
static void copy_text(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static int parse_status(const json_t *root, struct rdap_domain *d, char *err, size_t errlen)
{
	const char *bad = NULL;
	json_t *a = member_array(root, "status", &bad), *v;
	size_t i, used = 0;
	int st, n;

	if (bad != NULL) {
		set_err(err, errlen, "\"status\" %s", bad);
		return -1;
	}
	if (a == NULL)
		return 0;
	d->has_status = 1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			set_err(err, errlen, "\"status\" holds a non-string");
			return -1;
		}
		st = rdap_status_from_string(json_string_value(v));
		if (st >= 0) {
			d->status |= RDAP_BIT(st);
			continue;
		}
		/* Kept for the report, cleaned of control bytes. */
		if (used + 3 < sizeof(d->unknown_status)) {
			char tmp[64];
			copy_text(tmp, sizeof(tmp), json_string_value(v));
			n = snprintf(d->unknown_status + used, sizeof(d->unknown_status) - used,
			             "%s%s", used ? ", " : "", tmp);
			if (n > 0 && (size_t)n < sizeof(d->unknown_status) - used)
				used += (size_t)n;
		}
	}
	return 0;
}

static int parse_events(const json_t *root, struct rdap_domain *d, char *err, size_t errlen)
{
	const char *bad = NULL, *action, *date;
	json_t *a = member_array(root, "events", &bad), *ev;
	time_t t, registrar_exp = 0;
	int has_registrar_exp = 0;
	size_t i;

	if (bad != NULL) {
		set_err(err, errlen, "\"events\" %s", bad);
		return -1;
	}
	json_array_foreach(a, i, ev)
	{
		if (!json_is_object(ev)) {
			set_err(err, errlen, "\"events\" holds a non-object");
			return -1;
		}
		action = member_string(ev, "eventAction", 64);
		date = member_string(ev, "eventDate", 64);
		if (action == NULL)
			continue;
		if (strcasecmp(action, "expiration") != 0 &&
		    strcasecmp(action, "registrar expiration") != 0)
			continue;
		if (date == NULL || time_parse_rfc3339(date, &t) != 0) {
			set_err(err, errlen, "expiration event without a valid eventDate");
			return -1;
		}
		if (strcasecmp(action, "expiration") == 0 && !d->has_expiry) {
			d->expires = t;
			d->has_expiry = 1;
		} else if (!has_registrar_exp) {
			registrar_exp = t;
			has_registrar_exp = 1;
		}
	}
	if (!d->has_expiry && has_registrar_exp) {
		d->expires = registrar_exp;
		d->has_expiry = 1;
	}
	return 0;
}

/* The vCard "fn" of an entity (jCard, RFC 7095): ["vcard", [[name, params,
 * type, value], ...]]. */
static const char *entity_fn(const json_t *entity)
{
	json_t *vc = json_object_get(entity, "vcardArray"), *props, *p;
	size_t i;

	if (!json_is_array(vc) || json_array_size(vc) < 2)
		return NULL;
	props = json_array_get(vc, 1);
	if (!json_is_array(props) || json_array_size(props) > RDAP_ARRAY_MAX)
		return NULL;
	json_array_foreach(props, i, p)
	{
		json_t *name = json_array_get(p, 0), *value = json_array_get(p, 3);
		if (json_is_string(name) && strcasecmp(json_string_value(name), "fn") == 0 &&
		    json_is_string(value) && json_string_length(value) > 0)
			return json_string_value(value);
	}
	return NULL;
}

static long entity_iana_id(const json_t *entity)
{
	json_t *ids = json_object_get(entity, "publicIds"), *id;
	const char *type, *ident;
	char *end = NULL;
	long v;
	size_t i;

	if (!json_is_array(ids) || json_array_size(ids) > RDAP_ARRAY_MAX)
		return 0;
	json_array_foreach(ids, i, id)
	{
		type = member_string(id, "type", 64);
		ident = member_string(id, "identifier", 32);
		if (type == NULL || ident == NULL || strcasecmp(type, "IANA Registrar ID") != 0)
			continue;
		errno = 0;
		v = strtol(ident, &end, 10);
		if (errno == 0 && end != ident && *end == '\0' && v > 0)
			return v;
	}
	return 0;
}

static int entity_has_role(const json_t *entity, const char *role)
{
	json_t *roles = json_object_get(entity, "roles"), *r;
	size_t i;

	if (!json_is_array(roles) || json_array_size(roles) > RDAP_ARRAY_MAX)
		return 0;
	json_array_foreach(roles, i, r)
	{
		if (json_is_string(r) && strcasecmp(json_string_value(r), role) == 0)
			return 1;
	}
	return 0;
}

/* Depth-first search of entities for the registrar, up to depth levels. */
static int find_registrar(const json_t *obj, int depth, struct rdap_domain *d, char *err,
                          size_t errlen)
{
	const char *bad = NULL, *fn;
	json_t *a, *e;
	size_t i;

	if (depth > RDAP_DEPTH_MAX)
		return 0;
	a = member_array(obj, "entities", &bad);
	if (bad != NULL) {
		set_err(err, errlen, "\"entities\" %s", bad);
		return -1;
	}
	json_array_foreach(a, i, e)
	{
		if (!json_is_object(e)) {
			set_err(err, errlen, "\"entities\" holds a non-object");
			return -1;
		}
		if (entity_has_role(e, "registrar")) {
			fn = entity_fn(e);
			if (fn != NULL)
				copy_text(d->registrar, sizeof(d->registrar), fn);
			d->registrar_iana_id = entity_iana_id(e);
			if (d->registrar[0] == '\0') {
				const char *h = member_string(e, "handle", RDAP_REGISTRAR_MAX);
				if (h != NULL)
					copy_text(d->registrar, sizeof(d->registrar), h);
			}
			return 1;
		}
	}
	json_array_foreach(a, i, e)
	{
		int r = find_registrar(e, depth + 1, d, err, errlen);
		if (r != 0)
			return r;
	}
	return 0;
}

static int parse_nameservers(const json_t *root, struct rdap_domain *d, char *err, size_t errlen)
{
	const char *bad = NULL, *name;
	json_t *a = member_array(root, "nameservers", &bad), *ns;
	size_t i, j;

	if (bad != NULL) {
		set_err(err, errlen, "\"nameservers\" %s", bad);
		return -1;
	}
	if (a == NULL)
		return 0;
	d->has_nameservers = 1;
	json_array_foreach(a, i, ns)
	{
		char tmp[RDAP_NAME_MAX];
		int dup = 0;

		if (!json_is_object(ns)) {
			set_err(err, errlen, "\"nameservers\" holds a non-object");
			return -1;
		}
		name = member_string(ns, "ldhName", RDAP_NAME_MAX);
		if (name == NULL || copy_ldh(tmp, sizeof(tmp), name) != 0) {
			set_err(err, errlen, "nameserver without a valid ldhName");
			return -1;
		}
		for (j = 0; j < d->ns_count; j++)
			dup |= strcmp(d->nameservers[j], tmp) == 0;
		if (dup || d->ns_count >= RDAP_NS_MAX)
			continue;
		memcpy(d->nameservers[d->ns_count++], tmp, sizeof(tmp));
	}
	return 0;
}

static int parse_links(const json_t *root, struct rdap_domain *d, char *err, size_t errlen)
{
	const char *bad = NULL, *rel, *type, *href;
	json_t *a = member_array(root, "links", &bad), *l;
	size_t i;

	if (bad != NULL) {
		set_err(err, errlen, "\"links\" %s", bad);
		return -1;
	}
	json_array_foreach(a, i, l)
	{
		if (!json_is_object(l))
			continue;
		rel = member_string(l, "rel", 64);
		type = member_string(l, "type", 128);
		href = member_string(l, "href", RDAP_URL_MAX);
		if (rel == NULL || type == NULL || href == NULL ||
		    strcasecmp(rel, "related") != 0 ||
		    strncasecmp(type, "application/rdap+json", 21) != 0)
			continue;
		if (strncasecmp(href, "http://", 7) != 0 && strncasecmp(href, "https://", 8) != 0)
			continue;
		if (strcspn(href, " \t\r\n\"\\") != strlen(href))
			continue;
		memcpy(d->registrar_url, href, strlen(href) + 1);
		break;
	}
	return 0;
}

int rdap_domain_parse(const char *json, size_t len, struct rdap_domain *out, char *err,
                      size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *sd;
	const char *cls, *name;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->dnssec = -1;
	if (len > RDAP_BODY_MAX) {
		set_err(err, errlen, "answer larger than %d bytes", RDAP_BODY_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		set_err(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		set_err(err, errlen, "not a JSON object");
		goto out;
	}
	if (!json_depth_ok(root, RDAP_JSON_DEPTH_MAX)) {
		set_err(err, errlen, "nested deeper than %d levels", RDAP_JSON_DEPTH_MAX);
		goto out;
	}
	cls = member_string(root, "objectClassName", 32);
	if (cls == NULL || strcmp(cls, "domain") != 0) {
		set_err(err, errlen, "objectClassName is not \"domain\"");
		goto out;
	}
	name = member_string(root, "ldhName", RDAP_NAME_MAX);
	if (name == NULL || copy_ldh(out->ldh_name, sizeof(out->ldh_name), name) != 0) {
		set_err(err, errlen, "no valid ldhName");
		goto out;
	}
	if (parse_status(root, out, err, errlen) != 0 ||
	    parse_events(root, out, err, errlen) != 0 ||
	    find_registrar(root, 0, out, err, errlen) < 0 ||
	    parse_nameservers(root, out, err, errlen) != 0 ||
	    parse_links(root, out, err, errlen) != 0)
		goto out;
	sd = json_object_get(root, "secureDNS");
	if (sd != NULL) {
		json_t *ds;
		if (!json_is_object(sd)) {
			set_err(err, errlen, "\"secureDNS\" is not an object");
			goto out;
		}
		ds = json_object_get(sd, "delegationSigned");
		if (json_is_boolean(ds))
			out->dnssec = json_is_true(ds) ? 1 : 0;
		else if (ds != NULL) {
			set_err(err, errlen, "\"delegationSigned\" is not a boolean");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int rdap_domain_incomplete(const struct rdap_domain *d)
{
	return !d->has_status || !d->has_expiry || d->registrar[0] == '\0' || !d->has_nameservers;
}

void rdap_domain_merge(struct rdap_domain *dst, const struct rdap_domain *src)
{
	size_t i;

	if (!dst->has_status && src->has_status) {
		dst->status = src->status;
		dst->has_status = 1;
		memcpy(dst->unknown_status, src->unknown_status, sizeof(dst->unknown_status));
	}
	if (!dst->has_expiry && src->has_expiry) {
		dst->expires = src->expires;
		dst->has_expiry = 1;
	}
	if (dst->registrar[0] == '\0')
		memcpy(dst->registrar, src->registrar, sizeof(dst->registrar));
	if (dst->registrar_iana_id == 0)
		dst->registrar_iana_id = src->registrar_iana_id;
	if (!dst->has_nameservers && src->has_nameservers) {
		for (i = 0; i < src->ns_count; i++)
			memcpy(dst->nameservers[i], src->nameservers[i], RDAP_NAME_MAX);
		dst->ns_count = src->ns_count;
		dst->has_nameservers = 1;
	}
	if (dst->dnssec < 0)
		dst->dnssec = src->dnssec;
}

/* ---------------------------------------------------------------- bootstrap */

struct rdap_bootstrap_entry {
	char *suffix; /* lower case, no dots at either end */
	size_t url;   /* index into urls */
};

struct rdap_bootstrap {
	struct rdap_bootstrap_entry *entries;
	size_t count;
	char **urls;
	size_t url_count;
};

void rdap_bootstrap_free(struct rdap_bootstrap *bs)
{
	size_t i;

	if (bs == NULL)
		return;
	for (i = 0; i < bs->count; i++)
		free(bs->entries[i].suffix);
	for (i = 0; i < bs->url_count; i++)
		free(bs->urls[i]);
	free(bs->entries);
	free(bs->urls);
	free(bs);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct rdap_bootstrap_entry *x = a, *y = b;
	return strcmp(x->suffix, y->suffix);
}

/* The base URL of one service: the first https one, else the first http. */
static const char *service_url(const json_t *urls)
{
	const char *first_http = NULL, *u;
	json_t *v;
	size_t i;

	json_array_foreach(urls, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) >= RDAP_URL_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			continue;
		u = json_string_value(v);
		if (strcspn(u, " \t\r\n\"\\") != strlen(u))
			continue;
		if (strncasecmp(u, "https://", 8) == 0)
			return u;
		if (first_http == NULL && strncasecmp(u, "http://", 7) == 0)
			first_http = u;
	}
	return first_http;
}

struct rdap_bootstrap *rdap_bootstrap_parse(const char *json, size_t len, char *err, size_t errlen)
{
	struct rdap_bootstrap *bs = NULL, *ret = NULL;
	json_t *root = NULL, *services, *svc, *tlds, *urls, *t;
	json_error_t jerr;
	size_t i, j, n_entries = 0, n_services;
	const char *url;

	if (len > RDAP_BOOTSTRAP_MAX) {
		set_err(err, errlen, "bootstrap larger than %d bytes", RDAP_BOOTSTRAP_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		set_err(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	services = json_object_get(root, "services");
	if (!json_is_array(services)) {
		set_err(err, errlen, "no \"services\" array");
		goto out;
	}
	n_services = json_array_size(services);
	if (n_services > RDAP_BOOTSTRAP_ENTRY_MAX) {
		set_err(err, errlen, "too many services");
		goto out;
	}
	json_array_foreach(services, i, svc)
	{
		tlds = json_array_get(svc, 0);
		if (!json_is_array(svc) || !json_is_array(tlds) ||
		    !json_is_array(json_array_get(svc, 1))) {
			set_err(err, errlen, "service %zu is not [[suffixes], [urls]]", i);
			goto out;
		}
		n_entries += json_array_size(tlds);
	}
	if (n_entries > RDAP_BOOTSTRAP_ENTRY_MAX) {
		set_err(err, errlen, "too many entries");
		goto out;
	}
	bs = calloc(1, sizeof(*bs));
	if (bs == NULL ||
	    (n_entries > 0 && (bs->entries = calloc(n_entries, sizeof(*bs->entries))) == NULL) ||
	    (n_services > 0 && (bs->urls = calloc(n_services, sizeof(char *))) == NULL)) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(services, i, svc)
	{
		tlds = json_array_get(svc, 0);
		urls = json_array_get(svc, 1);
		url = service_url(urls);
		if (url == NULL)
			continue; /* no usable URL: these TLDs have no service */
		bs->urls[bs->url_count] = strdup(url);
		if (bs->urls[bs->url_count] == NULL) {
			set_err(err, errlen, "out of memory");
			goto out;
		}
		bs->url_count++;
		json_array_foreach(tlds, j, t)
		{
			char tmp[RDAP_NAME_MAX];
			const char *s = json_is_string(t) ? json_string_value(t) : NULL;
			if (s == NULL || strlen(s) != json_string_length(t) || s[0] == '.' ||
			    copy_ldh(tmp, sizeof(tmp), s) != 0)
				continue; /* skip what cannot be a DNS suffix */
			bs->entries[bs->count].suffix = strdup(tmp);
			if (bs->entries[bs->count].suffix == NULL) {
				set_err(err, errlen, "out of memory");
				goto out;
			}
			bs->entries[bs->count].url = bs->url_count - 1;
			bs->count++;
		}
	}
	if (bs->count > 1)
		qsort(bs->entries, bs->count, sizeof(*bs->entries), entry_cmp);
	ret = bs;
	bs = NULL;
out:
	rdap_bootstrap_free(bs);
	json_decref(root);
	return ret;
}

int rdap_bootstrap_lookup(const struct rdap_bootstrap *bs, const char *domain, char *url,
                          size_t urllen)
{
	const char *p = domain;
	struct rdap_bootstrap_entry key = {0}, *hit;
	const char *u;

	if (bs == NULL || domain == NULL)
		return -1;
	/* Longest suffix first: "a.b.c", then "b.c", then "c". */
	while (p != NULL && *p != '\0') {
		key.suffix = (char *)p;
		hit = bs->count
		          ? bsearch(&key, bs->entries, bs->count, sizeof(*bs->entries), entry_cmp)
		          : NULL;
		if (hit != NULL) {
			u = bs->urls[hit->url];
			if (strlen(u) >= urllen)
				return -1;
			memcpy(url, u, strlen(u) + 1);
			return 0;
		}
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return -1;
}

int rdap_domain_url(const char *base, const char *name, char *dst, size_t dstlen)
{
	size_t n = strlen(base);
	int w;

	w = snprintf(dst, dstlen, "%s%sdomain/%s", base, (n > 0 && base[n - 1] == '/') ? "" : "/",
	             name);
	if (w < 0 || (size_t)w >= dstlen)
		return -1;
	return 0;
}

/* Whether the cached copy at path came from source and is fresh enough. */
static int bootstrap_cache_fresh(const char *cache_path, const char *source, int any_age)
{
	char src_path[PATH_MAX];
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	int ok = 0, w;

	w = snprintf(src_path, sizeof(src_path), "%s.source", cache_path);
	if (w < 0 || (size_t)w >= sizeof(src_path))
		return 0;
	if (stat(cache_path, &st) != 0)
		return 0;
	if (store_read_file(src_path, RDAP_URL_MAX + 1, &data, &len) != 0)
		return 0;
	if (len > 0 && data[len - 1] == '\n')
		data[--len] = '\0';
	if (strcmp((char *)data, source) == 0 &&
	    (any_age || time(NULL) - st.st_mtime < RDAP_BOOTSTRAP_MAX_AGE))
		ok = 1;
	free(data);
	return ok;
}

static struct rdap_bootstrap *bootstrap_from_file(const char *path, char *err, size_t errlen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct rdap_bootstrap *bs;
	char perr[256] = "";

	if (store_read_file(path, RDAP_BOOTSTRAP_MAX, &data, &len) != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	bs = rdap_bootstrap_parse((const char *)data, len, perr, sizeof(perr));
	if (bs == NULL)
		set_err(err, errlen, "%s: %s", path, perr);
	free(data);
	return bs;
}

/* Make the directory holding path (one level), so a fresh store works. */
static void mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return;
	n = (size_t)(slash - path);
	if (n == 0 || n >= sizeof(dir))
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	(void)mkdir(dir, 0755);
}

struct rdap_bootstrap *rdap_bootstrap_load(const char *source, const char *cache_path,
                                           const struct http_options *opt, char *err, size_t errlen)
{
	struct http_options o = *opt;
	struct http_client *client = NULL;
	struct http_request req;
	struct rdap_bootstrap *bs = NULL;
	char perr[256] = "", src_path[PATH_MAX], safe[RDAP_URL_MAX];
	int is_url, fetched = 0, w;

	is_url = strncasecmp(source, "http://", 7) == 0 || strncasecmp(source, "https://", 8) == 0;
	if (!is_url)
		return bootstrap_from_file(source, err, errlen);
	if (cache_path != NULL && bootstrap_cache_fresh(cache_path, source, 0)) {
		bs = bootstrap_from_file(cache_path, perr, sizeof(perr));
		if (bs != NULL)
			return bs;
	}
	log_safe(safe, sizeof(safe), source);
	memset(&req, 0, sizeof(req));
	o.body_limit = RDAP_BOOTSTRAP_MAX;
	client = http_client_new(&o, NULL, NULL);
	if (client == NULL || http_request_init(&req, source) != 0) {
		set_err(err, errlen, "cannot set up a request for %s", source);
		goto out;
	}
	if (http_perform(client, &req) != 0) {
		set_err(err, errlen, "internal HTTP error");
		goto fallback;
	}
	if (req.outcome != HTTP_OUTCOME_OK || req.status != 200) {
		set_err(err, errlen, "%s: %s %ld %s", source, http_outcome_name(req.outcome),
		        req.status, req.detail);
		goto fallback;
	}
	bs = rdap_bootstrap_parse((const char *)req.body.data, req.body.len, perr, sizeof(perr));
	if (bs == NULL) {
		set_err(err, errlen, "%s: %s", source, perr);
		goto fallback;
	}
	fetched = 1;
	if (cache_path != NULL) {
		mkdir_parent(cache_path);
		w = snprintf(src_path, sizeof(src_path), "%s.source", cache_path);
		if (w > 0 && (size_t)w < sizeof(src_path) &&
		    store_write_atomic(cache_path, req.body.data, req.body.len, 0644) == 0)
			(void)store_write_atomic(src_path, source, strlen(source), 0644);
	}
	log_info("rdap_bootstrap_fetched", "url=\"%s\" entries=%zu", safe, bs->count);
	goto out;
fallback:
	if (!fetched && cache_path != NULL && bootstrap_cache_fresh(cache_path, source, 1)) {
		bs = bootstrap_from_file(cache_path, perr, sizeof(perr));
		if (bs != NULL) {
			char why[RDAP_DETAIL_MAX];
			log_warn("rdap_bootstrap_stale", "url=\"%s\" cache=\"%s\" reason=\"%s\"",
			         safe, cache_path, log_safe(why, sizeof(why), err));
		}
	}
out:
	http_request_cleanup(&req);
	http_client_free(client);
	return bs;
}

/* ---------------------------------------------------------------- outcomes */

static const char *const rdap_outcome_names[RDAP_OUTCOME_COUNT] = {
    [RDAP_OK] = "ok",
    [RDAP_NO_SERVICE] = "no-service",
    [RDAP_NOT_FOUND] = "not-found",
    [RDAP_RATE_LIMITED] = "rate-limited",
    [RDAP_SERVER_ERROR] = "server-error",
    [RDAP_HTTP_STATUS] = "http-status",
    [RDAP_CONTENT_TYPE] = "content-type",
    [RDAP_MALFORMED] = "malformed",
    [RDAP_TOO_LARGE] = "too-large",
    [RDAP_UNREACHABLE] = "unreachable",
};

const char *rdap_outcome_name(enum rdap_outcome o)
{
	if ((unsigned)o >= RDAP_OUTCOME_COUNT)
		return "invalid";
	return rdap_outcome_names[o];
}

/* RFC 9083 section 13 says application/rdap+json; many servers still send
 * application/json, which carries the same document.  Anything else (an
 * HTML error page with status 200, say) is not an answer. */
static int content_type_ok(const char *ct)
{
	return http_content_type_is(ct, "application/rdap+json") ||
	       http_content_type_is(ct, "application/json");
}

enum rdap_outcome rdap_classify(enum http_outcome transport, long status, const char *content_type)
{
	if (transport == HTTP_OUTCOME_TOO_LARGE)
		return RDAP_TOO_LARGE;
	if (transport != HTTP_OUTCOME_OK)
		return RDAP_UNREACHABLE;
	if (status == 404)
		return RDAP_NOT_FOUND;
	if (status == 429)
		return RDAP_RATE_LIMITED;
	if (status >= 500 && status <= 599)
		return RDAP_SERVER_ERROR;
	if (status != 200)
		return RDAP_HTTP_STATUS;
	if (!content_type_ok(content_type))
		return RDAP_CONTENT_TYPE;
	return RDAP_OK;
}

long rdap_retry_after_seconds(const char *value, time_t now)
{
	struct tm tm;
	char *end = NULL;
	long v;
	time_t t;

	if (value == NULL || *value == '\0')
		return RDAP_RETRY_AFTER_DEFAULT;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0)
			return RDAP_RETRY_AFTER_DEFAULT;
		return v;
	}
	/* IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return RDAP_RETRY_AFTER_DEFAULT;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return RDAP_RETRY_AFTER_DEFAULT;
	return t > now ? (long)(t - now) : 0;
}

/* ---------------------------------------------------------------- client */

struct rdap_host {
	char key[RDAP_HOST_KEY_MAX]; /* host[:port] */
	size_t in_flight;
	double not_before; /* monotonic seconds; a 429 holds the server back */
};

struct rdap_job {
	struct rdap_result *res;
	char domain[RDAP_NAME_MAX];
	char url[RDAP_URL_MAX]; /* the URL of the current stage */
	int registrar_stage;    /* 0: the registry, 1: the referral */
	int retries;            /* after 429s, this stage */
	double not_before;
	size_t host;
	struct http_request *req;
	struct rdap_job *prev, *next; /* every live job, for rdap_client_free */
};

struct rdap_client {
	struct http_client *http;
	struct rdap_options opt;
	struct rdap_host *hosts;
	size_t host_count, host_cap;
	struct rdap_job **waiting; /* not yet handed to the HTTP client */
	size_t waiting_count, waiting_cap;
	size_t pending; /* jobs not done */
	struct rdap_job *live;
};

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rdap_options_default(struct rdap_options *opt)
{
	http_options_default(&opt->http);
	opt->http.body_limit = RDAP_BODY_MAX;
	opt->per_server = RDAP_PER_SERVER_DEFAULT;
}

static void rdap_http_done(struct http_request *req, void *ctx);

struct rdap_client *rdap_client_new(const struct rdap_options *opt)
{
	struct rdap_client *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	rc->opt = *opt;
	rc->opt.http.body_limit = RDAP_BODY_MAX;
	if (rc->opt.per_server == 0)
		rc->opt.per_server = 1;
	rc->http = http_client_new(&rc->opt.http, rdap_http_done, rc);
	if (rc->http == NULL) {
		free(rc);
		return NULL;
	}
	return rc;
}

static void job_free(struct rdap_job *job)
{
	if (job == NULL)
		return;
	if (job->req != NULL) {
		http_request_cleanup(job->req);
		free(job->req);
	}
	free(job);
}

void rdap_client_free(struct rdap_client *rc)
{
	struct rdap_job *job, *next;

	if (rc == NULL)
		return;
	for (job = rc->live; job != NULL; job = next) {
		next = job->next;
		job_free(job); /* curl_easy_cleanup takes a handle out of the multi */
	}
	http_client_free(rc->http);
	free(rc->waiting);
	free(rc->hosts);
	free(rc);
}

/* Index of the host entry for url (created when new); -1 when out of memory. */
static long host_index(struct rdap_client *rc, const char *url)
{
	char key[RDAP_HOST_KEY_MAX];
	size_t i;

	if (url_host(url, key, sizeof(key), 1, NULL) != 0)
		memcpy(key, "?", 2); /* unparsable URLs share one slot; curl refuses them */
	for (i = 0; i < rc->host_count; i++) {
		if (strcmp(rc->hosts[i].key, key) == 0)
			return (long)i;
	}
	if (rc->host_count == rc->host_cap) {
		size_t cap = rc->host_cap ? rc->host_cap * 2 : 8;
		struct rdap_host *h = realloc(rc->hosts, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		rc->hosts = h;
		rc->host_cap = cap;
	}
	memset(&rc->hosts[rc->host_count], 0, sizeof(rc->hosts[0]));
	memcpy(rc->hosts[rc->host_count].key, key, strlen(key) + 1);
	return (long)rc->host_count++;
}

static int enqueue(struct rdap_client *rc, struct rdap_job *job)
{
	if (rc->waiting_count == rc->waiting_cap) {
		size_t cap = rc->waiting_cap ? rc->waiting_cap * 2 : 64;
		struct rdap_job **w = realloc(rc->waiting, cap * sizeof(*w));
		if (w == NULL)
			return -1;
		rc->waiting = w;
		rc->waiting_cap = cap;
	}
	rc->waiting[rc->waiting_count++] = job;
	return 0;
}

static void job_finish(struct rdap_client *rc, struct rdap_job *job)
{
	job->res->done = 1;
	rc->pending--;
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		rc->live = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	job_free(job);
}

/* Point job at url (a new stage) and queue it. */
static int job_start_stage(struct rdap_client *rc, struct rdap_job *job, const char *url)
{
	long h;

	if (strlen(url) >= sizeof(job->url))
		return -1;
	memcpy(job->url, url, strlen(url) + 1);
	job->retries = 0;
	job->not_before = 0;
	h = host_index(rc, url);
	if (h < 0)
		return -1;
	job->host = (size_t)h;
	return enqueue(rc, job);
}

int rdap_client_submit(struct rdap_client *rc, const struct rdap_bootstrap *bs, const char *domain,
                       struct rdap_result *res)
{
	struct rdap_job *job = NULL;
	char base[RDAP_URL_MAX];
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->domain.dnssec = -1;
	if (strlen(domain) >= RDAP_NAME_MAX) {
		res->outcome = RDAP_MALFORMED;
		snprintf(res->detail, sizeof(res->detail), "domain name too long");
		res->done = 1;
		return 0;
	}
	if (rdap_bootstrap_lookup(bs, domain, base, sizeof(base)) != 0) {
		res->outcome = RDAP_NO_SERVICE;
		snprintf(res->detail, sizeof(res->detail),
		         "no RDAP service for this TLD in the bootstrap");
		res->done = 1;
		return 0;
	}
	if (rdap_domain_url(base, domain, res->url, sizeof(res->url)) != 0) {
		res->outcome = RDAP_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "RDAP URL too long");
		res->done = 1;
		return 0;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		goto out;
	job->res = res;
	memcpy(job->domain, domain, strlen(domain) + 1);
	if (job_start_stage(rc, job, res->url) != 0)
		goto out;
	rc->pending++;
	job->next = rc->live;
	if (rc->live != NULL)
		rc->live->prev = job;
	rc->live = job;
	job = NULL; /* the client owns it now */
	ret = 0;
out:
	if (ret != 0) {
		free(job);
		res->outcome = RDAP_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "out of memory");
		res->done = 1;
	}
	return ret;
}

/* Hand waiting jobs to the HTTP client where their server has room. */
static void dispatch(struct rdap_client *rc, double now)
{
	size_t i = 0;

	while (i < rc->waiting_count) {
		struct rdap_job *job = rc->waiting[i];
		struct rdap_host *h = &rc->hosts[job->host];

		if (h->in_flight >= rc->opt.per_server || now < h->not_before ||
		    now < job->not_before) {
			i++;
			continue;
		}
		/* Order among waiting jobs does not matter: take it out. */
		rc->waiting[i] = rc->waiting[--rc->waiting_count];
		job->req = calloc(1, sizeof(*job->req));
		if (job->req == NULL || http_request_init(job->req, job->url) != 0) {
			job->res->outcome = RDAP_UNREACHABLE;
			snprintf(job->res->detail, sizeof(job->res->detail),
			         "cannot start request");
			job_finish(rc, job);
			continue;
		}
		job->req->user = job;
		h->in_flight++;
		http_client_submit(rc->http, job->req);
	}
}

/* A 429: hold the whole server back and retry, or give up. */
static int retry_later(struct rdap_client *rc, struct rdap_job *job, struct http_request *req,
                       long *wait_out)
{
	char value[64];
	long wait;
	double until;

	wait = rdap_retry_after_seconds(
	    http_header_get(req, "Retry-After", value, sizeof(value)) == 0 ? value : NULL,
	    time(NULL));
	*wait_out = wait;
	if (job->retries >= RDAP_RETRIES_429 || wait > RDAP_RETRY_AFTER_MAX)
		return -1;
	job->retries++;
	until = monotonic_now() + (double)wait;
	if (rc->hosts[job->host].not_before < until)
		rc->hosts[job->host].not_before = until;
	job->not_before = until;
	return enqueue(rc, job);
}

static void rdap_http_done(struct http_request *req, void *ctx)
{
	struct rdap_client *rc = ctx;
	struct rdap_job *job = req->user;
	struct rdap_result *res = job->res;
	struct rdap_domain parsed;
	enum rdap_outcome o;
	char perr[RDAP_DETAIL_MAX] = "", safe_url[RDAP_URL_MAX], safe_detail[RDAP_DETAIL_MAX];
	long wait = 0;

	rc->hosts[job->host].in_flight--;
	o = rdap_classify(req->outcome, req->status, req->content_type);
	if (!job->registrar_stage)
		res->http_status = req->status;
	if (o == RDAP_OK && rdap_domain_parse((const char *)req->body.data, req->body.len, &parsed,
	                                      perr, sizeof(perr)) != 0)
		o = RDAP_MALFORMED;
	/* An answer about another domain is no answer about this one. */
	if (o == RDAP_OK && strcasecmp(parsed.ldh_name, job->domain) != 0) {
		set_err(perr, sizeof(perr), "the answer is about %s", parsed.ldh_name);
		o = RDAP_MALFORMED;
	}
	job->req = NULL;
	if (o == RDAP_RATE_LIMITED) {
		if (retry_later(rc, job, req, &wait) == 0) {
			log_info("rdap_rate_limited", "domain=%s url=\"%s\" retry_after=%ld",
			         job->domain, log_safe(safe_url, sizeof(safe_url), job->url), wait);
			http_request_cleanup(req);
			free(req);
			return;
		}
		snprintf(perr, sizeof(perr),
		         "429 Too Many Requests (Retry-After %ld s, %d retries)", wait,
		         job->retries);
	} else if (o == RDAP_UNREACHABLE || o == RDAP_TOO_LARGE) {
		set_err(perr, sizeof(perr), "%s: %s", http_outcome_name(req->outcome), req->detail);
	} else if (o == RDAP_CONTENT_TYPE) {
		char ct[HTTP_CONTENT_TYPE_MAX];
		snprintf(perr, sizeof(perr), "Content-Type \"%s\"",
		         log_safe(ct, sizeof(ct), req->content_type));
	} else if (o != RDAP_OK && o != RDAP_MALFORMED) {
		snprintf(perr, sizeof(perr), "HTTP status %ld", req->status);
	}
	http_request_cleanup(req);
	free(req);

	if (o != RDAP_OK)
		log_warn("rdap_query_failed", "domain=%s url=\"%s\" outcome=%s detail=\"%s\"",
		         job->domain, log_safe(safe_url, sizeof(safe_url), job->url),
		         rdap_outcome_name(o), log_safe(safe_detail, sizeof(safe_detail), perr));
	if (job->registrar_stage) {
		res->referral_outcome = o;
		if (o == RDAP_OK)
			rdap_domain_merge(&res->domain, &parsed);
		else
			snprintf(res->detail, sizeof(res->detail), "registrar referral: %s", perr);
		job_finish(rc, job);
		return;
	}
	res->outcome = o;
	if (o != RDAP_OK) {
		memcpy(res->detail, perr, sizeof(res->detail));
		job_finish(rc, job);
		return;
	}
	res->domain = parsed;
	if (rdap_domain_incomplete(&parsed) && parsed.registrar_url[0] != '\0' &&
	    strcmp(parsed.registrar_url, job->url) != 0) {
		res->referral_followed = 1;
		memcpy(res->referral_url, parsed.registrar_url, sizeof(res->referral_url));
		job->registrar_stage = 1;
		if (job_start_stage(rc, job, parsed.registrar_url) == 0)
			return;
		res->referral_outcome = RDAP_UNREACHABLE;
	}
	job_finish(rc, job);
}

size_t rdap_client_pending(const struct rdap_client *rc)
{
	return rc->pending;
}

int rdap_client_step(struct rdap_client *rc, struct curl_waitfd *extra, unsigned int extra_count,
                     int timeout_ms)
{
	double now = monotonic_now(), next = 0;
	size_t i;
	int wait = timeout_ms;

	dispatch(rc, now);
	/* Jobs held back by a 429 wake the loop when their time comes. */
	for (i = 0; i < rc->waiting_count; i++) {
		struct rdap_job *job = rc->waiting[i];
		double t = job->not_before > rc->hosts[job->host].not_before
		               ? job->not_before
		               : rc->hosts[job->host].not_before;
		if (t > now && (next == 0 || t < next))
			next = t;
	}
	if (next > 0 && (next - now) * 1000.0 < (double)wait)
		wait = (int)((next - now) * 1000.0) + 1;
	if (http_client_step_fds(rc->http, extra, extra_count, wait) < 0)
		return -1;
	dispatch(rc, monotonic_now());
	return (int)rc->pending;
}

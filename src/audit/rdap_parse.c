/*
 * rdap_parse: the pure half of RDAP (see rdap.h): EPP status names, the
 * domain object (RFC 9083) turned into a fixed-size struct rdap_domain, and
 * the classification of an HTTP exchange (outcome, Retry-After).  No I/O:
 * everything here is unit-tested (tests/unit/test_rdap.c) and fuzzed
 * (fuzz/fuzz_rdap.c).
 *
 * The parser walks only the members it needs, with an explicit depth and a
 * cap on every array, after checking the whole document's nesting once:
 * jansson itself would accept 2048 levels, far more than an RDAP answer ever
 * has.  Strings are length-checked and copied into fixed buffers; names must
 * be LDH, and free text (the registrar's name) has control bytes replaced, so
 * nothing a server sends can break a log line or the report.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "audit/rdap.h"
#include "audit/rdap_internal.h"
#include "util/timeutil.h"

#define RDAP_JSON_DEPTH_MAX 32 /* nesting of the whole document */
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

void rdap_set_err(char *err, size_t errlen, const char *fmt, ...)
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

int rdap_copy_ldh(char *dst, size_t dstlen, const char *src)
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
		rdap_set_err(err, errlen, "\"status\" %s", bad);
		return -1;
	}
	if (a == NULL)
		return 0;
	d->has_status = 1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			rdap_set_err(err, errlen, "\"status\" holds a non-string");
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
		rdap_set_err(err, errlen, "\"events\" %s", bad);
		return -1;
	}
	json_array_foreach(a, i, ev)
	{
		if (!json_is_object(ev)) {
			rdap_set_err(err, errlen, "\"events\" holds a non-object");
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
			rdap_set_err(err, errlen, "expiration event without a valid eventDate");
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
		rdap_set_err(err, errlen, "\"entities\" %s", bad);
		return -1;
	}
	json_array_foreach(a, i, e)
	{
		if (!json_is_object(e)) {
			rdap_set_err(err, errlen, "\"entities\" holds a non-object");
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
		rdap_set_err(err, errlen, "\"nameservers\" %s", bad);
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
			rdap_set_err(err, errlen, "\"nameservers\" holds a non-object");
			return -1;
		}
		name = member_string(ns, "ldhName", RDAP_NAME_MAX);
		if (name == NULL || rdap_copy_ldh(tmp, sizeof(tmp), name) != 0) {
			rdap_set_err(err, errlen, "nameserver without a valid ldhName");
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
		rdap_set_err(err, errlen, "\"links\" %s", bad);
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
		rdap_set_err(err, errlen, "answer larger than %d bytes", RDAP_BODY_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rdap_set_err(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rdap_set_err(err, errlen, "not a JSON object");
		goto out;
	}
	if (!json_depth_ok(root, RDAP_JSON_DEPTH_MAX)) {
		rdap_set_err(err, errlen, "nested deeper than %d levels", RDAP_JSON_DEPTH_MAX);
		goto out;
	}
	cls = member_string(root, "objectClassName", 32);
	if (cls == NULL || strcmp(cls, "domain") != 0) {
		rdap_set_err(err, errlen, "objectClassName is not \"domain\"");
		goto out;
	}
	name = member_string(root, "ldhName", RDAP_NAME_MAX);
	if (name == NULL || rdap_copy_ldh(out->ldh_name, sizeof(out->ldh_name), name) != 0) {
		rdap_set_err(err, errlen, "no valid ldhName");
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
			rdap_set_err(err, errlen, "\"secureDNS\" is not an object");
			goto out;
		}
		ds = json_object_get(sd, "delegationSigned");
		if (json_is_boolean(ds))
			out->dnssec = json_is_true(ds) ? 1 : 0;
		else if (ds != NULL) {
			rdap_set_err(err, errlen, "\"delegationSigned\" is not a boolean");
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

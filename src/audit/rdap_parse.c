/*
 * rdap_parse: the pure half of RDAP (see rdap.h): EPP status names, the
 * domain object (RFC 9083) turned into a fixed-size struct rdap_domain, and
 * the classification of an HTTP exchange (outcome, Retry-After).  No I/O:
 * everything here is unit-tested (tests/unit/test_rdap.c) and fuzzed
 * (fuzz/fuzz_rdap.c).
 *
 * Real servers break RFC 9083's letter in one member or another (no
 * objectClassName, a date without its offset, a status sent as a string,
 * "delegationSigned": "true").  Refusing the whole answer for that would
 * turn a hold in the same answer into "lookup failed", so each part (see
 * enum rdap_part) is read on its own: what it says is kept, and what it
 * does not say clearly is recorded as that part's problem, with the reason,
 * for the audit to report beside the rest.  Only an answer that is no domain
 * object at all is refused whole.  Lenient where the meaning is not in
 * doubt (a bare status string, "T" or a space in a date, "+0100"), strict
 * where it is (a date that does not exist is no date).
 *
 * The parser walks only the members it needs, with an explicit depth and a
 * cap on every array, after checking the whole document's nesting once:
 * jansson itself would accept 2048 levels, far more than an RDAP answer ever
 * has.  Strings are length-checked and copied into fixed buffers; names must
 * be LDH, and free text (the registrar's name, unknown statuses, the quotes
 * in a reason) is copied with controls and the invisible characters that
 * reorder text (U+202E and the like) written as "<U+202E>", and cut only
 * between whole UTF-8 characters, so nothing a server sends can break a log
 * line, a JSON report or what the report shows.
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

static const char *const rdap_part_names[RDAP_PART_COUNT] = {
    [RDAP_PART_OBJECT] = "objectClassName/ldhName",
    [RDAP_PART_STATUS] = "status",
    [RDAP_PART_EVENTS] = "events",
    [RDAP_PART_ENTITIES] = "entities",
    [RDAP_PART_NAMESERVERS] = "nameservers",
    [RDAP_PART_SECURE_DNS] = "secureDNS",
    [RDAP_PART_LINKS] = "links",
};

const char *rdap_part_name(enum rdap_part p)
{
	if ((unsigned)p >= RDAP_PART_COUNT)
		return "invalid";
	return rdap_part_names[p];
}

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

/* What a JSON value is, for a reason: "a number", "an object", ... */
static const char *json_kind(const json_t *v)
{
	if (json_is_string(v))
		return "a string";
	if (json_is_integer(v) || json_is_real(v))
		return "a number";
	if (json_is_object(v))
		return "an object";
	if (json_is_array(v))
		return "an array";
	if (json_is_boolean(v))
		return "a boolean";
	return "null";
}

/* Length of the UTF-8 sequence starting at s (n bytes left) and its code
 * point; 0 when s does not start a valid sequence (jansson's strings are
 * valid UTF-8, but its error texts quote the input as it came). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* Characters that must not reach a report or a log line as they are: C0 and
 * C1 controls, DEL, and the invisible ones that reorder or hide text (bidi
 * embeddings, overrides and isolates, zero-width characters, line and
 * paragraph separators, the BOM, interlinear annotation). */
static int char_is_unsafe(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x180e ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
}

/* Copy srclen bytes of free text from the network into dst (dstlen > 0),
 * each unsafe character written as "<U+XXXX>" and each byte that is not
 * UTF-8 as "<0xXX>", so the report shows what was sent without acting on
 * it; the copy ends before a character or escape that does not fit, and
 * says so with "...". */
static void text_clean(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, used = 0, n;
	unsigned long c = 0;
	char esc[16];
	int w;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	while (i < srclen) {
		n = utf8_decode(s + i, srclen - i, &c);
		if (n == 0 || char_is_unsafe(c)) {
			if (n == 0)
				w = snprintf(esc, sizeof(esc), "<0x%02X>", s[i]);
			else
				w = snprintf(esc, sizeof(esc), "<U+%04lX>", c);
			if (n == 0)
				n = 1;
		} else {
			memcpy(esc, s + i, n);
			w = (int)n;
		}
		if (w < 0 || used + (size_t)w + 4 > dstlen) {
			/* the test above always leaves room for "..." and the NUL */
			if (used + 4 <= dstlen) {
				memcpy(dst + used, "...", 3);
				used += 3;
			}
			break;
		}
		memcpy(dst + used, esc, (size_t)w);
		used += (size_t)w;
		i += n;
	}
	dst[used] = '\0';
}

/* A string value for a reason: cleaned and cut to about 48 bytes. */
static const char *excerpt(char *buf, size_t buflen, const json_t *v)
{
	if (!json_is_string(v)) {
		snprintf(buf, buflen, "%s", json_kind(v));
		return buf;
	}
	text_clean(buf, buflen, json_string_value(v), json_string_length(v));
	return buf;
}

#define EXCERPT_MAX 56

/* Cut s back to whole UTF-8 characters after it was cut at a byte count. */
static void utf8_trim_partial(char *s)
{
	size_t n = strlen(s), i = 0, k;
	unsigned long c;

	while (i < n) {
		k = utf8_decode((const unsigned char *)s + i, n - i, &c);
		if (k == 0 && n - i < 4) {
			s[i] = '\0';
			return;
		}
		i += k ? k : 1;
	}
}

/* Record why part p could not be read (the first reason is kept; later ones
 * only add "(and more)"). */
static void part_problem(struct rdap_domain *d, enum rdap_part p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void part_problem(struct rdap_domain *d, enum rdap_part p, const char *fmt, ...)
{
	static const char more[] = " (and more)";
	char *dst = d->problem[p];
	size_t len;
	va_list ap;

	if (d->problems & RDAP_PART_BIT(p)) {
		len = strlen(dst);
		if (len >= sizeof(more) - 1 && strcmp(dst + len - (sizeof(more) - 1), more) == 0)
			return;
		if (len > RDAP_PROBLEM_MAX - sizeof(more)) {
			dst[RDAP_PROBLEM_MAX - sizeof(more)] = '\0';
			utf8_trim_partial(dst);
			len = strlen(dst);
		}
		memcpy(dst + len, more, sizeof(more));
		return;
	}
	d->problems |= RDAP_PART_BIT(p);
	va_start(ap, fmt);
	vsnprintf(dst, RDAP_PROBLEM_MAX, fmt, ap);
	va_end(ap);
	utf8_trim_partial(dst); /* vsnprintf may have cut a character */
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

/* The string of v when it is one without NUL bytes and shorter than max. */
static const char *string_of(const json_t *v, size_t max)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (json_string_length(v) >= max || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Compare s (n bytes) with word ignoring case and surrounding blanks. */
static int word_equal(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == wl && strncasecmp(s, word, n) == 0;
}

/* ------------------------------------------------------------- dates */

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Exactly n digits at *p as a number (advancing *p); -1 otherwise. */
static long digits(const char **p, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

int rdap_date_parse(const char *s, time_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	long y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int sign = 0;

	if (s == NULL || strlen(s) > 64)
		return -1;
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 0)
		return -1;
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0))
		return -1;
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if ((sec = digits(&p, 2)) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		/* 60: a leap second, counted as the next second as POSIX does */
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if ((oh = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if ((om = digits(&p, 2)) < 0)
				return -1;
		} else if (isdigit((unsigned char)*p) && (om = digits(&p, 2)) < 0) {
			return -1;
		}
		if (oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*out = (time_t)days_from_civil(y, mo, d) * 86400 + (time_t)(h * 3600 + mi * 60 + sec) -
	       (time_t)sign * (time_t)(oh * 3600 + om * 60);
	return 0;
}

/* ------------------------------------------------------------- status */

/* Append item to the comma-separated list dst (size dstlen, *used bytes),
 * once; a list that is full ends in ", ...". */
static void list_add(char *dst, size_t dstlen, size_t *used, const char *item)
{
	size_t n = strlen(item), at;
	const char *p;
	int w;

	if (n == 0)
		return;
	for (p = dst; (p = strstr(p, item)) != NULL; p += n) {
		at = (size_t)(p - dst);
		if ((at == 0 || (at >= 2 && dst[at - 2] == ',')) && (p[n] == '\0' || p[n] == ','))
			return; /* already listed */
	}
	if (*used + 2 + n + 6 > dstlen) {
		if (*used + 6 <= dstlen && (*used < 3 || strcmp(dst + *used - 3, "...") != 0)) {
			w = snprintf(dst + *used, dstlen - *used, "%s...", *used ? ", " : "");
			if (w > 0)
				*used += (size_t)w;
		}
		return;
	}
	w = snprintf(dst + *used, dstlen - *used, "%s%s", *used ? ", " : "", item);
	if (w > 0 && (size_t)w < dstlen - *used)
		*used += (size_t)w;
}

/* 1 when s (n bytes) starts with an http(s) URL. */
static int starts_url(const char *s, size_t n)
{
	return (n >= 7 && strncasecmp(s, "http://", 7) == 0) ||
	       (n >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/* One status value (n bytes, maybe with NUL bytes): the EPP or RDAP code,
 * which may be followed by a URL explaining it ("clientHold
 * https://icann.org/epp#clientHold", or the URL in parentheses). */
static void status_one(struct rdap_domain *d, const char *s, size_t n, size_t *used)
{
	char code[64], shown[72];
	size_t i, end;
	int st;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	for (end = 0; end < n; end++) {
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '(')
			continue;
		i = end;
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '('))
			i++;
		if (starts_url(s + i, n - i))
			break;
	}
	while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end > 0 && end < sizeof(code) && memchr(s, '\0', end) == NULL) {
		memcpy(code, s, end);
		code[end] = '\0';
		st = rdap_status_from_string(code);
		if (st >= 0) {
			d->status |= RDAP_BIT(st);
			return;
		}
	}
	text_clean(shown, sizeof(shown), s, n);
	list_add(d->unknown_status, sizeof(d->unknown_status), used, shown);
}

/* A status string: values separated by commas are read one by one (a
 * server that packs "clientHold, serverHold" into one string must not hide
 * either hold). */
static void status_value(struct rdap_domain *d, const json_t *v, size_t *used)
{
	const char *s = json_string_value(v), *comma;
	size_t n = json_string_length(v);

	while ((comma = memchr(s, ',', n)) != NULL) {
		status_one(d, s, (size_t)(comma - s), used);
		n -= (size_t)(comma - s) + 1;
		s = comma + 1;
	}
	status_one(d, s, n, used);
}

static void parse_status(const json_t *root, struct rdap_domain *d)
{
	json_t *a = json_object_get(root, "status"), *v;
	size_t i, n, used = 0;

	if (a == NULL)
		return;
	if (json_is_string(a)) {
		/* one value sent bare instead of in an array: still that value */
		d->has_status = 1;
		status_value(d, a, &used);
		return;
	}
	if (!json_is_array(a)) {
		part_problem(d, RDAP_PART_STATUS, "\"status\" is %s, not an array of strings",
		             json_kind(a));
		return;
	}
	d->has_status = 1;
	n = json_array_size(a);
	for (i = 0; i < n && i < RDAP_STATUS_VALUES_MAX; i++) {
		v = json_array_get(a, i);
		if (json_is_string(v))
			status_value(d, v, &used);
		else
			part_problem(d, RDAP_PART_STATUS, "status value %zu is %s, not a string",
			             i + 1, json_kind(v));
	}
	if (n > RDAP_STATUS_VALUES_MAX)
		part_problem(d, RDAP_PART_STATUS, "more than %d status values; the rest not read",
		             RDAP_STATUS_VALUES_MAX);
}

/* ------------------------------------------------------------- events */

/* The eventAction values that name an expiration: RFC 9083's "expiration",
 * the ICANN profile's "registrar expiration", and what registries send
 * instead.  Compared like statuses (case, blanks, '-' and '_' ignored). */
static int action_is_expiration(const char *action)
{
	static const char *const names[] = {"expiration", "registrar expiration",
	                                    "registration expiration", "expiry", "expiration date"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (status_equal(action, names[i]))
			return 1;
	}
	return 0;
}

/* The expiration is the soonest of the expiration events: a registrar's
 * term ending before the registry's is the one that ends first. */
static void parse_events(const json_t *root, struct rdap_domain *d)
{
	json_t *a = json_object_get(root, "events"), *ev, *date;
	char shown[EXCERPT_MAX], act[EXCERPT_MAX];
	const char *action;
	size_t i, n;
	time_t t;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		part_problem(d, RDAP_PART_EVENTS, "\"events\" is %s, not an array", json_kind(a));
		return;
	}
	n = json_array_size(a);
	for (i = 0; i < n && i < RDAP_ARRAY_MAX; i++) {
		ev = json_array_get(a, i);
		if (!json_is_object(ev)) {
			part_problem(d, RDAP_PART_EVENTS, "event %zu is %s, not an object", i + 1,
			             json_kind(ev));
			continue;
		}
		action = string_of(json_object_get(ev, "eventAction"), 64);
		if (action == NULL) {
			part_problem(d, RDAP_PART_EVENTS, "event %zu has no eventAction string",
			             i + 1);
			continue;
		}
		if (!action_is_expiration(action))
			continue;
		text_clean(act, sizeof(act), action, strlen(action));
		date = json_object_get(ev, "eventDate");
		if (!json_is_string(date)) {
			part_problem(d, RDAP_PART_EVENTS,
			             "the \"%s\" event has no eventDate string", act);
			continue;
		}
		if (string_of(date, 65) == NULL ||
		    rdap_date_parse(json_string_value(date), &t) != 0) {
			part_problem(d, RDAP_PART_EVENTS,
			             "the \"%s\" event's eventDate \"%s\" is not a valid date", act,
			             excerpt(shown, sizeof(shown), date));
			continue;
		}
		if (!d->has_expiry || t < d->expires) {
			d->expires = t;
			d->has_expiry = 1;
		}
	}
	if (n > RDAP_ARRAY_MAX)
		part_problem(d, RDAP_PART_EVENTS, "more than %d events; the rest not read",
		             RDAP_ARRAY_MAX);
}

/* ------------------------------------------------------------- registrar */

static int entity_has_role(const json_t *entity, const char *role)
{
	json_t *roles = json_object_get(entity, "roles"), *r;
	size_t i;

	if (json_is_string(roles))
		return word_equal(json_string_value(roles), json_string_length(roles), role);
	if (!json_is_array(roles))
		return 0;
	json_array_foreach(roles, i, r)
	{
		if (i >= RDAP_ARRAY_MAX)
			break;
		if (json_is_string(r) &&
		    word_equal(json_string_value(r), json_string_length(r), role))
			return 1;
	}
	return 0;
}

/* The registrar entity: the first with role "registrar", this level before
 * the entities nested in it, down to RDAP_DEPTH_MAX levels.  A structure
 * that cannot be walked is described in why (the first one). */
static const json_t *find_registrar(const json_t *obj, int depth, char *why, size_t whylen)
{
	json_t *a = json_object_get(obj, "entities"), *e;
	const json_t *found;
	size_t i, n;

	if (a == NULL || depth > RDAP_DEPTH_MAX)
		return NULL;
	if (!json_is_array(a)) {
		if (why[0] == '\0')
			snprintf(why, whylen, "%s\"entities\" is %s, not an array",
			         depth ? "an entity's " : "", json_kind(a));
		return NULL;
	}
	n = json_array_size(a);
	if (n > RDAP_ARRAY_MAX && why[0] == '\0')
		snprintf(why, whylen, "more than %d entities; the rest not read", RDAP_ARRAY_MAX);
	for (i = 0; i < n && i < RDAP_ARRAY_MAX; i++) {
		e = json_array_get(a, i);
		if (!json_is_object(e)) {
			if (why[0] == '\0')
				snprintf(why, whylen, "entity %zu is %s, not an object", i + 1,
				         json_kind(e));
			continue;
		}
		if (entity_has_role(e, "registrar"))
			return e;
	}
	for (i = 0; i < n && i < RDAP_ARRAY_MAX; i++) {
		e = json_array_get(a, i);
		if (json_is_object(e) &&
		    (found = find_registrar(e, depth + 1, why, whylen)) != NULL)
			return found;
	}
	return NULL;
}

/* The text of a jCard property value: a string, or the first non-blank
 * string of a structured value (org: ["Name", "Unit"]).  NULL when none. */
static const json_t *vcard_text(const json_t *v)
{
	json_t *c;
	size_t i;

	if (json_is_string(v))
		return v;
	if (!json_is_array(v))
		return NULL;
	json_array_foreach(v, i, c)
	{
		if (i >= RDAP_ARRAY_MAX)
			break;
		if (json_is_string(c))
			return c;
	}
	return NULL;
}

/* 1 when v is a string with something besides blanks. */
static int text_present(const json_t *v)
{
	const char *s;
	size_t i, n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return 1;
	}
	return 0;
}

/* Copy a name from the network: blanks around it dropped, cleaned. */
static void copy_name(char *dst, size_t dstlen, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	text_clean(dst, dstlen, s, n);
}

/* The registrar's name from its jCard (RFC 7095): "fn", else "org"; never
 * the handle, which is an identifier, not a name. */
static void registrar_name(const json_t *e, struct rdap_domain *d)
{
	json_t *vc = json_object_get(e, "vcardArray"), *props, *p;
	const json_t *fn = NULL, *org = NULL, *v;
	const char *name;
	size_t i;

	if (vc == NULL)
		return;
	props = json_array_get(vc, 1);
	if (!json_is_array(vc) || !json_is_string(json_array_get(vc, 0)) ||
	    strcasecmp(json_string_value(json_array_get(vc, 0)), "vcard") != 0 ||
	    !json_is_array(props)) {
		part_problem(d, RDAP_PART_ENTITIES,
		             "the registrar's vcardArray is %s, not a jCard [\"vcard\", [...]]",
		             json_kind(vc));
		return;
	}
	json_array_foreach(props, i, p)
	{
		if (i >= RDAP_ARRAY_MAX)
			break;
		name = json_string_value(json_array_get(p, 0));
		if (name == NULL)
			continue;
		v = vcard_text(json_array_get(p, 3));
		if (!text_present(v))
			continue;
		if (fn == NULL && strcasecmp(name, "fn") == 0)
			fn = v;
		else if (org == NULL && strcasecmp(name, "org") == 0)
			org = v;
	}
	if (fn != NULL || org != NULL)
		copy_name(d->registrar, sizeof(d->registrar), fn != NULL ? fn : org);
}

/* The IANA Registrar ID from publicIds: a positive number, sent as a JSON
 * number or as a string (blanks around it allowed). */
static void registrar_iana_id(const json_t *e, struct rdap_domain *d)
{
	json_t *ids = json_object_get(e, "publicIds"), *id, *ident;
	char shown[EXCERPT_MAX], digits_buf[16];
	const char *type, *s;
	size_t i, n, k;
	long v;

	if (ids == NULL)
		return;
	if (!json_is_array(ids)) {
		part_problem(d, RDAP_PART_ENTITIES, "the registrar's publicIds is %s, not an array",
		             json_kind(ids));
		return;
	}
	json_array_foreach(ids, i, id)
	{
		if (i >= RDAP_ARRAY_MAX)
			break;
		type = string_of(json_object_get(id, "type"), 64);
		if (type == NULL || !word_equal(type, strlen(type), "IANA Registrar ID"))
			continue;
		ident = json_object_get(id, "identifier");
		v = 0;
		if (json_is_integer(ident) && json_integer_value(ident) > 0 &&
		    json_integer_value(ident) < 1000000000)
			v = (long)json_integer_value(ident);
		else if (json_is_string(ident)) {
			s = json_string_value(ident);
			n = json_string_length(ident);
			while (n > 0 && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			for (k = 0; k < n && isdigit((unsigned char)s[k]); k++)
				;
			if (n > 0 && k == n && n < 10) {
				memcpy(digits_buf, s, n);
				digits_buf[n] = '\0';
				v = strtol(digits_buf, NULL, 10);
			}
		}
		if (v > 0) {
			d->registrar_iana_id = v;
			return;
		}
		if (json_is_string(ident))
			part_problem(d, RDAP_PART_ENTITIES,
			             "the registrar's IANA Registrar ID \"%s\" is not a number",
			             excerpt(shown, sizeof(shown), ident));
		else
			part_problem(
			    d, RDAP_PART_ENTITIES,
			    "the registrar's IANA Registrar ID is %s, not a positive number",
			    ident == NULL ? "absent" : json_kind(ident));
		return;
	}
}

static void parse_entities(const json_t *root, struct rdap_domain *d)
{
	char why[RDAP_PROBLEM_MAX] = "";
	const json_t *e = find_registrar(root, 0, why, sizeof(why));

	if (e == NULL) {
		/* Only a walk that may have missed the registrar is a problem. */
		if (why[0] != '\0')
			part_problem(d, RDAP_PART_ENTITIES, "%s", why);
		return;
	}
	registrar_name(e, d);
	registrar_iana_id(e, d);
}

/* ------------------------------------------------------------- nameservers */

static void parse_nameservers(const json_t *root, struct rdap_domain *d)
{
	json_t *a = json_object_get(root, "nameservers"), *ns, *name;
	char tmp[RDAP_NAME_MAX], shown[EXCERPT_MAX];
	size_t i, j, n;
	int dup;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		part_problem(d, RDAP_PART_NAMESERVERS, "\"nameservers\" is %s, not an array",
		             json_kind(a));
		return;
	}
	d->has_nameservers = 1;
	n = json_array_size(a);
	for (i = 0; i < n && i < RDAP_ARRAY_MAX; i++) {
		ns = json_array_get(a, i);
		if (!json_is_object(ns)) {
			part_problem(d, RDAP_PART_NAMESERVERS,
			             "nameserver %zu is %s, not an object", i + 1, json_kind(ns));
			continue;
		}
		name = json_object_get(ns, "ldhName");
		if (name == NULL) {
			part_problem(d, RDAP_PART_NAMESERVERS, "nameserver %zu has no ldhName",
			             i + 1);
			continue;
		}
		if (!json_is_string(name)) {
			part_problem(d, RDAP_PART_NAMESERVERS,
			             "nameserver %zu: ldhName is %s, not a string", i + 1,
			             json_kind(name));
			continue;
		}
		if (string_of(name, RDAP_NAME_MAX) == NULL ||
		    rdap_copy_ldh(tmp, sizeof(tmp), json_string_value(name)) != 0) {
			part_problem(d, RDAP_PART_NAMESERVERS,
			             "nameserver %zu: ldhName \"%s\" is not a host name", i + 1,
			             excerpt(shown, sizeof(shown), name));
			continue;
		}
		dup = 0;
		for (j = 0; j < d->ns_count; j++)
			dup |= strcmp(d->nameservers[j], tmp) == 0;
		if (dup || d->ns_count >= RDAP_NS_MAX)
			continue;
		memcpy(d->nameservers[d->ns_count++], tmp, sizeof(tmp));
	}
	if (n > RDAP_ARRAY_MAX)
		part_problem(d, RDAP_PART_NAMESERVERS,
		             "more than %d nameservers; the rest not read", RDAP_ARRAY_MAX);
}

/* ------------------------------------------------------------- secureDNS */

/* 1 when o[key] is a non-empty array. */
static int has_items(const json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);

	return json_is_array(a) && json_array_size(a) > 0;
}

/* delegationSigned says it; "true" or "false" as strings say it too; without
 * it, DS or key data means signed (RFC 9083 section 5.3: they are only
 * there for a signed delegation). */
static void parse_secure_dns(const json_t *root, struct rdap_domain *d)
{
	json_t *sd = json_object_get(root, "secureDNS"), *ds;
	char shown[EXCERPT_MAX];

	if (sd == NULL)
		return;
	if (!json_is_object(sd)) {
		part_problem(d, RDAP_PART_SECURE_DNS, "\"secureDNS\" is %s, not an object",
		             json_kind(sd));
		return;
	}
	ds = json_object_get(sd, "delegationSigned");
	if (json_is_boolean(ds)) {
		d->dnssec = json_is_true(ds) ? 1 : 0;
		return;
	}
	if (json_is_string(ds) &&
	    word_equal(json_string_value(ds), json_string_length(ds), "true")) {
		d->dnssec = 1;
		return;
	}
	if (json_is_string(ds) &&
	    word_equal(json_string_value(ds), json_string_length(ds), "false")) {
		d->dnssec = 0;
		return;
	}
	if (has_items(sd, "dsData") || has_items(sd, "keyData")) {
		d->dnssec = 1;
		return;
	}
	if (json_is_string(ds))
		part_problem(d, RDAP_PART_SECURE_DNS, "delegationSigned \"%s\" is not a boolean",
		             excerpt(shown, sizeof(shown), ds));
	else if (ds != NULL)
		part_problem(d, RDAP_PART_SECURE_DNS, "delegationSigned is %s, not a boolean",
		             json_kind(ds));
	else if (json_object_get(sd, "dsData") != NULL &&
	         !json_is_array(json_object_get(sd, "dsData")))
		part_problem(d, RDAP_PART_SECURE_DNS, "dsData is %s, not an array",
		             json_kind(json_object_get(sd, "dsData")));
}

/* ------------------------------------------------------------- links */

/* 1 when the media type t (parameters allowed) is want. */
static int media_type_is(const char *t, const char *want)
{
	size_t n;

	while (*t == ' ')
		t++;
	n = strcspn(t, "; ");
	return n == strlen(want) && strncasecmp(t, want, n) == 0;
}

/* An http(s) URL of printable ASCII only (no blank, quote or backslash):
 * nothing else is asked, logged or printed. */
static int href_ok(const char *h)
{
	size_t i;

	if (strncasecmp(h, "http://", 7) != 0 && strncasecmp(h, "https://", 8) != 0)
		return 0;
	for (i = 0; h[i] != '\0'; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* An RDAP domain URL (RFC 9082 section 3.1.3): ".../domain/NAME". */
static int href_is_rdap_domain(const char *h)
{
	const char *p = strstr(h, "://"), *q;

	if (p == NULL || (p = strchr(p + 3, '/')) == NULL)
		return 0;
	for (q = p; (q = strcasestr(q, "/domain/")) != NULL; q += 8) {
		if (q[8] != '\0' && q[8] != '?' && q[8] != '#' && q[8] != '/')
			return 1;
	}
	return 0;
}

/* The registrar's RDAP URL: a link with rel "related" typed
 * application/rdap+json, else one typed application/json or untyped whose
 * href is an RDAP domain URL (thin registries send both). */
static void parse_links(const json_t *root, struct rdap_domain *d)
{
	json_t *a = json_object_get(root, "links"), *l, *tv;
	const char *rel, *type, *href, *best = NULL;
	int rank, best_rank = 0;
	size_t i;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		part_problem(d, RDAP_PART_LINKS, "\"links\" is %s, not an array", json_kind(a));
		return;
	}
	json_array_foreach(a, i, l)
	{
		if (i >= RDAP_ARRAY_MAX)
			break;
		if (!json_is_object(l))
			continue;
		rel = string_of(json_object_get(l, "rel"), 64);
		href = string_of(json_object_get(l, "href"), RDAP_URL_MAX);
		tv = json_object_get(l, "type");
		type = string_of(tv, 128);
		if (rel == NULL || href == NULL || !word_equal(rel, strlen(rel), "related") ||
		    !href_ok(href) || (tv != NULL && type == NULL))
			continue;
		if (type != NULL && media_type_is(type, "application/rdap+json"))
			rank = 2;
		else if ((type == NULL || media_type_is(type, "application/json")) &&
		         href_is_rdap_domain(href))
			rank = 1;
		else
			continue;
		if (rank > best_rank) {
			best = href;
			best_rank = rank;
		}
	}
	if (best != NULL)
		memcpy(d->registrar_url, best, strlen(best) + 1);
}

/* ------------------------------------------------------------- the object */

/* Members only a domain object has, for an answer without objectClassName. */
static int looks_like_domain(const json_t *root)
{
	static const char *const keys[] = {"ldhName", "unicodeName", "status",
	                                   "events",  "nameservers", "secureDNS"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (json_object_get(root, keys[i]) != NULL)
			return 1;
	}
	return 0;
}

/* objectClassName and ldhName.  -1 (err set) when the answer is clearly not
 * a domain object: another objectClassName (any case is "domain"), an RDAP
 * error object, or nothing a domain object carries.  A missing
 * objectClassName is no problem when the rest reads as a domain (Nominet
 * sends none); a missing or unusable ldhName is a problem of this part. */
static int parse_object(const json_t *root, struct rdap_domain *d, char *err, size_t errlen)
{
	json_t *cls = json_object_get(root, "objectClassName"), *name, *code;
	char shown[EXCERPT_MAX];

	if (json_is_string(cls) &&
	    !word_equal(json_string_value(cls), json_string_length(cls), "domain")) {
		rdap_set_err(err, errlen, "objectClassName is \"%s\", not \"domain\"",
		             excerpt(shown, sizeof(shown), cls));
		return -1;
	}
	if (cls == NULL && (code = json_object_get(root, "errorCode")) != NULL) {
		rdap_set_err(err, errlen, "an RDAP error object (errorCode %lld), not a domain",
		             json_is_integer(code) ? (long long)json_integer_value(code) : -1LL);
		return -1;
	}
	if (cls == NULL && !looks_like_domain(root)) {
		rdap_set_err(err, errlen, "no objectClassName and no member of a domain object");
		return -1;
	}
	if (cls != NULL && !json_is_string(cls))
		part_problem(d, RDAP_PART_OBJECT, "objectClassName is %s, not a string",
		             json_kind(cls));
	name = json_object_get(root, "ldhName");
	if (name == NULL)
		part_problem(d, RDAP_PART_OBJECT,
		             "no ldhName: the answer cannot be matched to the domain asked");
	else if (!json_is_string(name))
		part_problem(d, RDAP_PART_OBJECT, "ldhName is %s, not a string", json_kind(name));
	else if (string_of(name, RDAP_NAME_MAX) == NULL ||
	         rdap_copy_ldh(d->ldh_name, sizeof(d->ldh_name), json_string_value(name)) != 0) {
		d->ldh_name[0] = '\0';
		part_problem(d, RDAP_PART_OBJECT, "ldhName \"%s\" is not a domain name",
		             excerpt(shown, sizeof(shown), name));
	}
	return 0;
}

int rdap_domain_parse(const char *json, size_t len, struct rdap_domain *out, char *err,
                      size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL;
	char text[sizeof(jerr.text) * 2];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->dnssec = -1;
	if (len > RDAP_BODY_MAX) {
		rdap_set_err(err, errlen, "answer larger than %d bytes", RDAP_BODY_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson quotes the offending input: clean it like any text */
		text_clean(text, sizeof(text), jerr.text, strnlen(jerr.text, sizeof(jerr.text)));
		rdap_set_err(err, errlen, "invalid JSON at line %d: %s", jerr.line, text);
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
	if (parse_object(root, out, err, errlen) != 0)
		goto out;
	/* Each part on its own: one that cannot be read spoils no other. */
	parse_status(root, out);
	parse_events(root, out);
	parse_entities(root, out);
	parse_nameservers(root, out);
	parse_secure_dns(root, out);
	parse_links(root, out);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int rdap_domain_incomplete(const struct rdap_domain *d)
{
	return !d->has_status || (d->problems & RDAP_PART_BIT(RDAP_PART_STATUS)) ||
	       !d->has_expiry || d->registrar[0] == '\0' || !d->has_nameservers;
}

/* Part p of dst, unreadable, now has the registrar's data. */
static void part_filled(struct rdap_domain *dst, enum rdap_part p)
{
	if (dst->problems & RDAP_PART_BIT(p)) {
		dst->problems &= ~RDAP_PART_BIT(p);
		dst->filled |= RDAP_PART_BIT(p);
	}
}

/* 1 when dst still has no data for part p. */
static int part_lacking(const struct rdap_domain *d, enum rdap_part p)
{
	switch (p) {
	case RDAP_PART_STATUS:
		return !d->has_status;
	case RDAP_PART_EVENTS:
		return !d->has_expiry;
	case RDAP_PART_ENTITIES:
		return d->registrar[0] == '\0' && d->registrar_iana_id == 0;
	case RDAP_PART_NAMESERVERS:
		return !d->has_nameservers;
	case RDAP_PART_SECURE_DNS:
		return d->dnssec < 0;
	default:
		return 0; /* the registrar's identity and links are its own */
	}
}

void rdap_domain_merge(struct rdap_domain *dst, const struct rdap_domain *src)
{
	size_t i, used = 0;
	int p;

	if (!dst->has_status && src->has_status) {
		dst->status = src->status;
		dst->has_status = 1;
		memcpy(dst->unknown_status, src->unknown_status, sizeof(dst->unknown_status));
		part_filled(dst, RDAP_PART_STATUS);
	} else if (dst->has_status && (dst->problems & RDAP_PART_BIT(RDAP_PART_STATUS)) &&
	           src->has_status) {
		/* Read in part: the registrar's statuses may show what was lost
		 * (a hold), and adding them can hide nothing. */
		dst->status |= src->status;
		if (src->unknown_status[0] != '\0') {
			used = strlen(dst->unknown_status);
			list_add(dst->unknown_status, sizeof(dst->unknown_status), &used,
			         src->unknown_status);
		}
	}
	if (!dst->has_expiry && src->has_expiry) {
		dst->expires = src->expires;
		dst->has_expiry = 1;
		part_filled(dst, RDAP_PART_EVENTS);
	}
	if (dst->registrar[0] == '\0' && src->registrar[0] != '\0') {
		memcpy(dst->registrar, src->registrar, sizeof(dst->registrar));
		part_filled(dst, RDAP_PART_ENTITIES);
	}
	if (dst->registrar_iana_id == 0)
		dst->registrar_iana_id = src->registrar_iana_id;
	if (!dst->has_nameservers && src->has_nameservers) {
		for (i = 0; i < src->ns_count; i++)
			memcpy(dst->nameservers[i], src->nameservers[i], RDAP_NAME_MAX);
		dst->ns_count = src->ns_count;
		dst->has_nameservers = 1;
		part_filled(dst, RDAP_PART_NAMESERVERS);
	}
	if (dst->dnssec < 0 && src->dnssec >= 0) {
		dst->dnssec = src->dnssec;
		part_filled(dst, RDAP_PART_SECURE_DNS);
	}
	/* What neither answer gave: the registrar's reason is the one left. */
	for (p = 0; p < RDAP_PART_COUNT; p++) {
		if (!(src->problems & RDAP_PART_BIT(p)) ||
		    ((dst->problems | dst->filled) & RDAP_PART_BIT(p)) ||
		    !part_lacking(dst, (enum rdap_part)p))
			continue;
		dst->problems |= RDAP_PART_BIT(p);
		snprintf(dst->problem[p], sizeof(dst->problem[p]), "in the registrar's answer: %s",
		         src->problem[p]);
		utf8_trim_partial(dst->problem[p]);
	}
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

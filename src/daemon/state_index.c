/*
 * daemon/state_index: the record format and the reader; see state_index.h.
 * The daemon's writer is in state.c.
 */

#include "daemon/state_index.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/timeutil.h"

#define STATE_INDEX_MAGIC   "holdfast-state-index 2 "
#define STATE_JOURNAL_MAGIC "holdfast-state-journal 2 "
#define STATE_AUDIT_PREFIX  "@audit "
#define STATE_BEAT_PREFIX   "@beat "
#define STATE_STOP_PREFIX   "@stop "
#define STATE_WINDOW        (64 * 1024)            /* bytes of the base read at once */
#define STATE_SCAN_MAX      (4 * STATE_RECORD_MAX) /* below this, search by reading on */
#define STATE_FIELDS        15

/* ---------------------------------------------------------------- format */

/* Appends to a bounded line; overflow is remembered, never written past. */
struct line_out {
	char *dst;
	size_t len, at;
	int overflow;
};

static void out_bytes(struct line_out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->len - o->at) {
		o->overflow = 1;
		return;
	}
	memcpy(o->dst + o->at, s, n);
	o->at += n;
	o->dst[o->at] = '\0';
}

static void out_str(struct line_out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

static void out_long(struct line_out *o, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);

	if (n > 0 && (size_t)n < sizeof(tmp))
		out_bytes(o, tmp, (size_t)n);
	else
		o->overflow = 1;
}

static void out_time(struct line_out *o, int present, time_t t)
{
	if (present)
		out_long(o, (long long)t);
	else
		out_str(o, "-");
}

/* "-", or ":" and msg with bytes below 0x21, 0x7f and "\" as \xHH. */
static void out_message(struct line_out *o, int present, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	if (!present) {
		out_str(o, "-");
		return;
	}
	out_str(o, ":");
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p < 0x21 || *p == 0x7f || *p == '\\') {
			char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
			out_bytes(o, esc, sizeof(esc));
		} else {
			out_bytes(o, (const char *)p, 1);
		}
	}
}

/* 1 when name is a section name of holdfast.conf that fits a record. */
static int name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= STATE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int state_record_format(const struct state_record *r, char *dst, size_t len)
{
	struct line_out o = {.dst = dst, .len = len};
	char flags[6];

	if (len == 0 || !name_ok(r->name, strlen(r->name)))
		return -1;
	dst[0] = '\0';
	flags[0] = r->certificate ? '1' : '0';
	flags[1] = r->deploy_failed ? '1' : '0';
	flags[2] = r->issuing ? '1' : '0';
	flags[3] = r->placeholder ? '1' : '0';
	flags[4] = r->staple ? '1' : '0';
	flags[5] = '\0';
	out_str(&o, r->name);
	out_str(&o, " ");
	out_str(&o, flags);
	out_str(&o, " ");
	out_long(&o, r->staple_failures);
	out_str(&o, " ");
	out_str(&o, staple_cert_status_name(r->staple_status));
	out_str(&o, " ");
	out_time(&o, 1, r->next_issue_check);
	out_str(&o, " ");
	out_time(&o, r->has_next_staple_refresh, r->next_staple_refresh);
	out_str(&o, " ");
	out_time(&o, r->staple, r->staple_this_update);
	out_str(&o, " ");
	out_time(&o, r->staple, r->staple_next_update);
	out_str(&o, " ");
	out_message(&o, r->has_issue_error, r->issue_error);
	out_str(&o, " ");
	out_message(&o, r->has_staple_error, r->staple_error);
	out_str(&o, " ");
	out_time(&o, r->has_deploy_at, r->deploy_at);
	out_str(&o, " ");
	out_message(&o, r->has_deploy_targets, r->deploy_targets);
	out_str(&o, " ");
	out_str(&o, r->verify == STATE_VERIFY_NONE ? "-" : state_verify_name(r->verify));
	out_str(&o, " ");
	out_time(&o, r->has_verify_at, r->verify_at);
	out_str(&o, " ");
	out_message(&o, r->has_verify_error, r->verify_error);
	return o.overflow ? -1 : (int)o.at;
}

/* ----------------------------------------------------------------- parse */

struct field {
	const char *p;
	size_t len;
};

/* Split line at single spaces into exactly want fields; 0 or -1. */
static int fields_split(const char *line, size_t len, struct field *f, size_t want)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (n == want || i == start)
			return -1;
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n == want ? 0 : -1;
}

/* A decimal integer that is the whole field; 0 or -1. */
static int field_long(const struct field *f, long long min, long long max, long long *out)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (f->len > 0 && f->p[0] == '-' && f->len > 1) {
		neg = 1;
		i = 1;
	}
	if (i == f->len || f->len > 20)
		return -1;
	for (; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (f->p[i] - '0');
	}
	v = neg ? -v : v;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A time, or "-": *present says which; 0 or -1. */
static int field_time(const struct field *f, int *present, time_t *t)
{
	long long v;

	if (f->len == 1 && f->p[0] == '-') {
		*present = 0;
		*t = 0;
		return 0;
	}
	if (field_long(f, INT64_MIN / 2, INT64_MAX / 2, &v) != 0)
		return -1;
	*present = 1;
	*t = (time_t)v;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "-" or ":" and an escaped message into dst (STATE_MESSAGE_MAX); 0 or -1. */
static int field_message(const struct field *f, int *present, char *dst)
{
	size_t i, n = 0;

	if (f->len == 1 && f->p[0] == '-') {
		*present = 0;
		dst[0] = '\0';
		return 0;
	}
	if (f->len == 0 || f->p[0] != ':')
		return -1;
	for (i = 1; i < f->len; i++) {
		char c = f->p[i];
		if (c == '\\') {
			int hi, lo;
			if (i + 3 >= f->len)
				return -1;
			if (f->p[i + 1] != 'x' || (hi = hex_value(f->p[i + 2])) < 0 ||
			    (lo = hex_value(f->p[i + 3])) < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi * 16 + lo);
			i += 3;
		}
		if (n + 1 >= STATE_MESSAGE_MAX)
			return -1;
		dst[n++] = c;
	}
	dst[n] = '\0';
	*present = 1;
	return 0;
}

static int field_is(const struct field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

int state_record_parse(const char *line, size_t len, struct state_record *r)
{
	struct field f[STATE_FIELDS];
	long long failures;
	int present, s;

	memset(r, 0, sizeof(*r));
	if (len > STATE_RECORD_MAX || fields_split(line, len, f, STATE_FIELDS) != 0 ||
	    !name_ok(f[0].p, f[0].len) || f[1].len != 5)
		return -1;
	memcpy(r->name, f[0].p, f[0].len);
	r->name[f[0].len] = '\0';
	for (s = 0; s < 5; s++)
		if (f[1].p[s] != '0' && f[1].p[s] != '1')
			return -1;
	r->certificate = f[1].p[0] == '1';
	r->deploy_failed = f[1].p[1] == '1';
	r->issuing = f[1].p[2] == '1';
	r->placeholder = f[1].p[3] == '1';
	r->staple = f[1].p[4] == '1';
	if (field_long(&f[2], 0, INT32_MAX, &failures) != 0)
		return -1;
	r->staple_failures = (int)failures;
	for (s = STAPLE_STATUS_NONE; s <= STAPLE_STATUS_REVOKED; s++)
		if (field_is(&f[3], staple_cert_status_name((enum staple_cert_status)s)))
			break;
	if (s > STAPLE_STATUS_REVOKED)
		return -1;
	r->staple_status = (enum staple_cert_status)s;
	if (field_time(&f[4], &present, &r->next_issue_check) != 0 || !present ||
	    field_time(&f[5], &r->has_next_staple_refresh, &r->next_staple_refresh) != 0 ||
	    field_time(&f[6], &present, &r->staple_this_update) != 0 || present != r->staple ||
	    field_time(&f[7], &present, &r->staple_next_update) != 0 || present != r->staple ||
	    field_message(&f[8], &r->has_issue_error, r->issue_error) != 0 ||
	    field_message(&f[9], &r->has_staple_error, r->staple_error) != 0 ||
	    field_time(&f[10], &r->has_deploy_at, &r->deploy_at) != 0 ||
	    field_message(&f[11], &r->has_deploy_targets, r->deploy_targets) != 0 ||
	    field_time(&f[13], &r->has_verify_at, &r->verify_at) != 0 ||
	    field_message(&f[14], &r->has_verify_error, r->verify_error) != 0)
		return -1;
	if (field_is(&f[12], "-"))
		r->verify = STATE_VERIFY_NONE;
	else if (field_is(&f[12], "pending"))
		r->verify = STATE_VERIFY_PENDING;
	else if (field_is(&f[12], "ok"))
		r->verify = STATE_VERIFY_OK;
	else if (field_is(&f[12], "failed"))
		r->verify = STATE_VERIFY_FAILED;
	else
		return -1;
	return 0;
}

const char *state_verify_name(enum state_verify v)
{
	switch (v) {
	case STATE_VERIFY_PENDING:
		return "pending";
	case STATE_VERIFY_OK:
		return "ok";
	case STATE_VERIFY_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

/* --------------------------------------------------------------- headers */

static int audit_format(struct line_out *o, int done, const unsigned long *counts)
{
	size_t i;

	if (!done) {
		out_str(o, "-");
		return 0;
	}
	for (i = 0; i < STATE_AUDIT_COUNTS; i++) {
		if (i > 0)
			out_str(o, ",");
		out_long(o, (long long)counts[i]);
	}
	return 0;
}

/* "-" or five comma-separated counts (the whole of s); 0 or -1. */
static int audit_parse(const char *s, size_t len, int *done, unsigned long *counts)
{
	struct field f;
	size_t i, start = 0, n = 0;

	if (len == 1 && s[0] == '-') {
		*done = 0;
		memset(counts, 0, STATE_AUDIT_COUNTS * sizeof(*counts));
		return 0;
	}
	for (i = 0; i <= len; i++) {
		long long v;
		if (i < len && s[i] != ',')
			continue;
		f.p = s + start;
		f.len = i - start;
		if (n == STATE_AUDIT_COUNTS || field_long(&f, 0, INT64_MAX / 2, &v) != 0)
			return -1;
		counts[n++] = (unsigned long)v;
		start = i + 1;
	}
	if (n != STATE_AUDIT_COUNTS)
		return -1;
	*done = 1;
	return 0;
}

int state_header_format(const struct state_header *h, char *dst, size_t len)
{
	struct line_out o = {.dst = dst, .len = len};
	char gen[32];

	if (len == 0)
		return -1;
	dst[0] = '\0';
	snprintf(gen, sizeof(gen), "%016llx", h->gen);
	out_str(&o, STATE_INDEX_MAGIC "gen=");
	out_str(&o, gen);
	out_str(&o, " pid=");
	out_long(&o, h->pid);
	out_str(&o, " started=");
	out_long(&o, (long long)h->started);
	out_str(&o, " written=");
	out_long(&o, (long long)h->written);
	out_str(&o, " audit=");
	audit_format(&o, h->audit_done, h->audit);
	return o.overflow ? -1 : (int)o.at;
}

/* "gen=HEX" (16 digits) into *gen; 0 or -1. */
static int gen_parse(const struct field *f, unsigned long long *gen)
{
	size_t i;
	int v;

	if (f->len != 20 || memcmp(f->p, "gen=", 4) != 0)
		return -1;
	*gen = 0;
	for (i = 4; i < f->len; i++) {
		if ((v = hex_value(f->p[i])) < 0)
			return -1;
		*gen = *gen << 4 | (unsigned long long)v;
	}
	return 0;
}

/* "KEY=VALUE" with KEY being key: the value as a field; 0 or -1. */
static int field_value(const struct field *f, const char *key, struct field *value)
{
	size_t k = strlen(key);

	if (f->len <= k + 1 || memcmp(f->p, key, k) != 0 || f->p[k] != '=')
		return -1;
	value->p = f->p + k + 1;
	value->len = f->len - k - 1;
	return 0;
}

int state_header_parse(const char *line, size_t len, struct state_header *h)
{
	size_t m = strlen(STATE_INDEX_MAGIC);
	struct field f[5], v;
	long long n;

	memset(h, 0, sizeof(*h));
	if (len <= m || memcmp(line, STATE_INDEX_MAGIC, m) != 0 ||
	    fields_split(line + m, len - m, f, 5) != 0 || gen_parse(&f[0], &h->gen) != 0)
		return -1;
	if (field_value(&f[1], "pid", &v) != 0 || field_long(&v, 0, INT32_MAX, &n) != 0)
		return -1;
	h->pid = (long)n;
	if (field_value(&f[2], "started", &v) != 0 ||
	    field_long(&v, INT64_MIN / 2, INT64_MAX / 2, &n) != 0)
		return -1;
	h->started = (time_t)n;
	if (field_value(&f[3], "written", &v) != 0 ||
	    field_long(&v, INT64_MIN / 2, INT64_MAX / 2, &n) != 0)
		return -1;
	h->written = (time_t)n;
	if (field_value(&f[4], "audit", &v) != 0 ||
	    audit_parse(v.p, v.len, &h->audit_done, h->audit) != 0)
		return -1;
	return 0;
}

int state_journal_header_format(unsigned long long gen, char *dst, size_t len)
{
	int n = snprintf(dst, len, STATE_JOURNAL_MAGIC "gen=%016llx", gen);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

int state_audit_format(int done, const unsigned long counts[STATE_AUDIT_COUNTS], char *dst,
                       size_t len)
{
	struct line_out o = {.dst = dst, .len = len};

	if (len == 0)
		return -1;
	dst[0] = '\0';
	out_str(&o, STATE_AUDIT_PREFIX);
	audit_format(&o, done, counts);
	return o.overflow ? -1 : (int)o.at;
}

/* ------------------------------------------------------------ daemon.json */

static json_t *json_time(int present, time_t t)
{
	char buf[32];

	return present ? json_string(time_format(buf, sizeof(buf), t)) : json_null();
}

/* A message as a JSON string; null when absent or not UTF-8 (as before). */
static json_t *json_message(int present, const char *msg)
{
	json_t *j = present ? json_string(msg) : NULL;

	return j ? j : json_null();
}

/* The failed targets as a JSON array of strings ([] when none). */
static json_t *targets_json(const struct state_record *r)
{
	json_t *a = json_array();
	const char *p = r->has_deploy_targets ? r->deploy_targets : "";

	while (a != NULL && *p != '\0') {
		size_t n = strcspn(p, " ");
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += *p == ' ';
	}
	return a;
}

json_t *state_record_json(const struct state_record *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "certificate", json_boolean(r->certificate));
	json_object_set_new(o, "deploy_at", json_time(r->has_deploy_at, r->deploy_at));
	json_object_set_new(o, "deploy_failed", json_boolean(r->deploy_failed));
	json_object_set_new(o, "deploy_failed_targets", targets_json(r));
	json_object_set_new(o, "issuing", json_boolean(r->issuing));
	json_object_set_new(o, "last_issue_error",
	                    json_message(r->has_issue_error, r->issue_error));
	json_object_set_new(o, "last_staple_error",
	                    json_message(r->has_staple_error, r->staple_error));
	json_object_set_new(o, "next_issue_check", json_time(1, r->next_issue_check));
	json_object_set_new(o, "next_staple_refresh",
	                    json_time(r->has_next_staple_refresh, r->next_staple_refresh));
	json_object_set_new(o, "placeholder", json_boolean(r->placeholder));
	json_object_set_new(o, "staple", json_boolean(r->staple));
	json_object_set_new(o, "staple_failures", json_integer(r->staple_failures));
	json_object_set_new(o, "staple_next_update", json_time(r->staple, r->staple_next_update));
	json_object_set_new(o, "staple_status",
	                    json_string(staple_cert_status_name(r->staple_status)));
	json_object_set_new(o, "staple_this_update", json_time(r->staple, r->staple_this_update));
	json_object_set_new(o, "verify",
	                    r->verify == STATE_VERIFY_NONE
	                        ? json_null()
	                        : json_string(state_verify_name(r->verify)));
	json_object_set_new(o, "verify_at", json_time(r->has_verify_at, r->verify_at));
	json_object_set_new(o, "verify_error", json_message(r->has_verify_error, r->verify_error));
	return o;
}

const char *state_audit_severity_name(size_t i)
{
	static const char *const names[STATE_AUDIT_COUNTS] = {"OK", "INFO", "WARNING", "UNKNOWN",
	                                                      "CRITICAL"};

	return i < STATE_AUDIT_COUNTS ? names[i] : NULL;
}

void state_json_put_string(FILE *f, const char *s)
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

void state_json_put_time(FILE *f, int present, time_t t)
{
	char buf[32];

	if (present)
		fprintf(f, "\"%s\"", time_format(buf, sizeof(buf), t));
	else
		fputs("null", f);
}

static const char *json_bool(int v)
{
	return v ? "true" : "false";
}

void state_record_json_write(FILE *f, const struct state_record *r)
{
	fputs("    ", f);
	state_json_put_string(f, r->name);
	fprintf(f, ": {\n      \"certificate\": %s,\n", json_bool(r->certificate));
	fputs("      \"deploy_at\": ", f);
	state_json_put_time(f, r->has_deploy_at, r->deploy_at);
	fprintf(f, ",\n      \"deploy_failed\": %s,\n", json_bool(r->deploy_failed));
	fputs("      \"deploy_failed_targets\": [", f);
	{
		const char *p = r->has_deploy_targets ? r->deploy_targets : "";
		int first = 1;
		while (*p != '\0') {
			size_t n = strcspn(p, " ");
			if (n > 0) {
				char t[STATE_MESSAGE_MAX];
				memcpy(t, p, n);
				t[n] = '\0';
				fputs(first ? "\n        " : ",\n        ", f);
				state_json_put_string(f, t);
				first = 0;
			}
			p += n;
			p += *p == ' ';
		}
		fputs(first ? "],\n" : "\n      ],\n", f);
	}
	fprintf(f, "      \"issuing\": %s,\n", json_bool(r->issuing));
	fputs("      \"last_issue_error\": ", f);
	state_json_put_string(f, r->has_issue_error ? r->issue_error : NULL);
	fputs(",\n      \"last_staple_error\": ", f);
	state_json_put_string(f, r->has_staple_error ? r->staple_error : NULL);
	fputs(",\n      \"next_issue_check\": ", f);
	state_json_put_time(f, 1, r->next_issue_check);
	fputs(",\n      \"next_staple_refresh\": ", f);
	state_json_put_time(f, r->has_next_staple_refresh, r->next_staple_refresh);
	fprintf(f, ",\n      \"placeholder\": %s,\n", json_bool(r->placeholder));
	fprintf(f, "      \"staple\": %s,\n", json_bool(r->staple));
	fprintf(f, "      \"staple_failures\": %d,\n", r->staple_failures);
	fputs("      \"staple_next_update\": ", f);
	state_json_put_time(f, r->staple, r->staple_next_update);
	fprintf(f, ",\n      \"staple_status\": \"%s\",\n",
	        staple_cert_status_name(r->staple_status));
	fputs("      \"staple_this_update\": ", f);
	state_json_put_time(f, r->staple, r->staple_this_update);
	fputs(",\n      \"verify\": ", f);
	state_json_put_string(f, state_verify_name(r->verify));
	fputs(",\n      \"verify_at\": ", f);
	state_json_put_time(f, r->has_verify_at, r->verify_at);
	fputs(",\n      \"verify_error\": ", f);
	state_json_put_string(f, r->has_verify_error ? r->verify_error : NULL);
	fputs("\n    }", f);
}

/* ---------------------------------------------------------------- reader */

/* A journal line: the record of name, the seq-th line of the journal. */
struct journal_entry {
	const char *line;
	size_t len, name_len, seq;
};

struct state_index {
	int fd;
	off_t size, records_at, hint;
	struct state_header header;
	char *win; /* STATE_WINDOW bytes of the base from win_off */
	off_t win_off;
	size_t win_len;
	char *journal; /* the journal file, NUL-terminated */
	struct journal_entry *entries;
	size_t entry_count;
	int audit_done;
	unsigned long audit[STATE_AUDIT_COUNTS];
	time_t beat, stopped; /* the last "@beat" / "@stop" (0: none) */
};

/* The line that starts at off in the base (without its newline) in
 * *line and *len, and the offset after it in *next.  0, or -1 on a read error,
 * at the end of the file, or for a line longer than the window. */
static int base_line_at(struct state_index *x, off_t off, const char **line, size_t *len,
                        off_t *next)
{
	const char *nl;

	if (off >= x->size)
		return -1;
	if (off < x->win_off || off >= x->win_off + (off_t)x->win_len ||
	    memchr(x->win + (off - x->win_off), '\n', x->win_len - (size_t)(off - x->win_off)) ==
	        NULL) {
		ssize_t n = pread(x->fd, x->win, STATE_WINDOW, off);
		if (n <= 0)
			return -1;
		x->win_off = off;
		x->win_len = (size_t)n;
	}
	*line = x->win + (off - x->win_off);
	nl = memchr(*line, '\n', x->win_len - (size_t)(off - x->win_off));
	if (nl == NULL) {
		if (x->win_off + (off_t)x->win_len < x->size)
			return -1; /* longer than the window: not a record */
		*len = x->win_len - (size_t)(off - x->win_off);
		*next = x->size;
		return 0;
	}
	*len = (size_t)(nl - *line);
	*next = off + (off_t)*len + 1;
	return 0;
}

/* Compare the first field of line (its name) with name, as strcmp(). */
static int name_cmp(const char *line, size_t len, const char *name, size_t name_len)
{
	const char *sp = memchr(line, ' ', len);
	size_t n = sp ? (size_t)(sp - line) : len;
	int c = memcmp(line, name, n < name_len ? n : name_len);

	if (c != 0)
		return c;
	return n < name_len ? -1 : n > name_len;
}

static int journal_entry_cmp(const void *a, const void *b)
{
	const struct journal_entry *x = a, *y = b;
	int c = name_cmp(x->line, x->len, y->line, y->name_len);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What journal_load() found. */
enum journal_use { JOURNAL_NONE, JOURNAL_USED, JOURNAL_OTHER_GEN, JOURNAL_NO_MEMORY };

/* An "@beat T" or "@stop T" line: the latest of each into x. */
static void beat_parse(struct state_index *x, const char *q, size_t len)
{
	size_t bl = strlen(STATE_BEAT_PREFIX), sl = strlen(STATE_STOP_PREFIX);
	struct field f;
	int present;
	time_t t;

	if (len > bl && memcmp(q, STATE_BEAT_PREFIX, bl) == 0) {
		f.p = q + bl;
		f.len = len - bl;
		if (field_time(&f, &present, &t) == 0 && present && t > x->beat)
			x->beat = t;
	} else if (len > sl && memcmp(q, STATE_STOP_PREFIX, sl) == 0) {
		f.p = q + sl;
		f.len = len - sl;
		if (field_time(&f, &present, &t) == 0 && present && t > x->stopped)
			x->stopped = t;
	}
}

/* Index the journal's complete lines (the last one may be torn by a crash)
 * from p to end: records into x->entries, the last audit line into x->audit.
 * 0, or -1 when out of memory. */
static int journal_index(struct state_index *x, const char *p, const char *end)
{
	size_t pl = strlen(STATE_AUDIT_PREFIX), count = 0, seq = 0, i;
	const char *q, *nl;

	for (q = p; q < end && (nl = memchr(q, '\n', (size_t)(end - q))) != NULL; q = nl + 1)
		count++;
	x->entries = calloc(count ? count : 1, sizeof(*x->entries));
	if (x->entries == NULL)
		return -1;
	for (q = p; q < end && (nl = memchr(q, '\n', (size_t)(end - q))) != NULL; q = nl + 1) {
		size_t len = (size_t)(nl - q);
		const char *sp = memchr(q, ' ', len);
		unsigned long counts[STATE_AUDIT_COUNTS];
		int done;
		if (len > pl && memcmp(q, STATE_AUDIT_PREFIX, pl) == 0) {
			if (audit_parse(q + pl, len - pl, &done, counts) == 0) {
				x->audit_done = done;
				memcpy(x->audit, counts, sizeof(counts));
			}
			continue;
		}
		if (q[0] == '@') {
			beat_parse(x, q, len);
			continue;
		}
		if (sp == NULL || !name_ok(q, (size_t)(sp - q)))
			continue;
		x->entries[x->entry_count].line = q;
		x->entries[x->entry_count].len = len;
		x->entries[x->entry_count].name_len = (size_t)(sp - q);
		x->entries[x->entry_count].seq = seq++;
		x->entry_count++;
	}
	qsort(x->entries, x->entry_count, sizeof(*x->entries), journal_entry_cmp);
	/* Keep the last line of each name. */
	for (i = 0, count = 0; i < x->entry_count; i++) {
		const struct journal_entry *e = &x->entries[i];
		if (i + 1 < x->entry_count &&
		    name_cmp(e->line, e->len, e[1].line, e[1].name_len) == 0)
			continue;
		x->entries[count++] = *e;
	}
	x->entry_count = count;
	return 0;
}

/* Read STORE's journal and, when its gen is the base's, index it. */
static enum journal_use journal_load(struct state_index *x, struct store *store)
{
	size_t ml = strlen(STATE_JOURNAL_MAGIC), n = 0;
	unsigned long long gen;
	const char *nl;
	char path[4096];
	struct stat st;
	struct field f;
	ssize_t got;
	int fd;

	if (store_state_path(store, STORE_STATE_DAEMON_JOURNAL, path, sizeof(path)) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return JOURNAL_NONE;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    st.st_size > STATE_JOURNAL_MAX + STATE_RECORD_MAX) {
		close(fd);
		return JOURNAL_NONE; /* the daemon never writes one that large */
	}
	x->journal = malloc((size_t)st.st_size + 1);
	if (x->journal == NULL) {
		close(fd);
		return JOURNAL_NO_MEMORY;
	}
	while (n < (size_t)st.st_size &&
	       (got = read(fd, x->journal + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	close(fd);
	x->journal[n] = '\0';
	nl = memchr(x->journal, '\n', n);
	if (nl == NULL || (size_t)(nl - x->journal) <= ml ||
	    memcmp(x->journal, STATE_JOURNAL_MAGIC, ml) != 0)
		goto unused;
	f.p = x->journal + ml;
	f.len = (size_t)(nl - f.p);
	if (gen_parse(&f, &gen) != 0)
		goto unused;
	if (gen != x->header.gen) {
		free(x->journal);
		x->journal = NULL;
		return JOURNAL_OTHER_GEN;
	}
	if (journal_index(x, nl + 1, x->journal + n) != 0)
		return JOURNAL_NO_MEMORY;
	return JOURNAL_USED;
unused:
	free(x->journal);
	x->journal = NULL;
	return JOURNAL_NONE;
}

/* Open the base and read its header; 0, or -1 with errno. */
static int base_open(struct state_index *x, struct store *store)
{
	char path[4096];
	const char *line;
	struct stat st;
	size_t len;

	if (store_state_path(store, STORE_STATE_DAEMON_INDEX, path, sizeof(path)) != 0)
		return -1;
	x->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (x->fd < 0)
		return -1;
	if (fstat(x->fd, &st) != 0)
		return -1;
	x->size = st.st_size;
	x->win_off = 0;
	x->win_len = 0;
	if (base_line_at(x, 0, &line, &len, &x->records_at) != 0 ||
	    state_header_parse(line, len, &x->header) != 0) {
		errno = EBADMSG;
		return -1;
	}
	x->hint = x->records_at;
	x->audit_done = x->header.audit_done;
	memcpy(x->audit, x->header.audit, sizeof(x->audit));
	return 0;
}

struct state_index *state_index_open(struct store *store)
{
	struct state_index *x = calloc(1, sizeof(*x));
	enum journal_use use = JOURNAL_NONE;
	int attempt, e;

	if (x == NULL)
		return NULL;
	x->fd = -1;
	if ((x->win = malloc(STATE_WINDOW)) == NULL)
		goto fail;
	for (attempt = 0; attempt < 2; attempt++) {
		if (base_open(x, store) != 0)
			goto fail;
		use = journal_load(x, store);
		if (use == JOURNAL_NO_MEMORY) {
			errno = ENOMEM;
			goto fail;
		}
		if (use != JOURNAL_OTHER_GEN)
			break;
		/* A new base may have been renamed in meanwhile: open it again, once;
		 * if the gens still differ the base is the newer: no journal. */
		close(x->fd);
		x->fd = -1;
	}
	if (x->fd < 0 && base_open(x, store) != 0)
		goto fail;
	return x;
fail:
	e = errno;
	state_index_close(x);
	errno = e;
	return NULL;
}

/* The journal's line for name, or NULL. */
static const struct journal_entry *journal_find(const struct state_index *x, const char *name,
                                                size_t name_len)
{
	size_t lo = 0, hi = x->entry_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct journal_entry *e = &x->entries[mid];
		int c = name_cmp(e->line, e->len, name, name_len);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Found the record of name at line (len bytes) ending before next. */
static int found(struct state_index *x, const char *line, size_t len, off_t next,
                 struct state_record *r)
{
	x->hint = next;
	return state_record_parse(line, len, r) == 0 ? 1 : -1;
}

int state_index_find(struct state_index *x, const char *name, struct state_record *r)
{
	size_t name_len = strlen(name), len;
	const struct journal_entry *e = journal_find(x, name, name_len);
	off_t lo = x->records_at, hi = x->size, mid, p, next;
	const char *line;
	int c;

	if (e != NULL)
		return state_record_parse(e->line, e->len, r) == 0 ? 1 : -1;
	/* Most often the configuration is in name order: try the next line first. */
	if (x->hint < x->size && base_line_at(x, x->hint, &line, &len, &next) == 0 &&
	    name_cmp(line, len, name, name_len) == 0)
		return found(x, line, len, next, r);
	while (hi - lo > STATE_SCAN_MAX) {
		mid = lo + (hi - lo) / 2;
		/* The segment from mid - 1 to its newline ends where a line starts. */
		if (base_line_at(x, mid - 1, &line, &len, &p) != 0)
			return -1;
		if (p >= hi)
			break;
		if (base_line_at(x, p, &line, &len, &next) != 0)
			return -1;
		c = name_cmp(line, len, name, name_len);
		if (c == 0)
			return found(x, line, len, next, r);
		if (c < 0)
			lo = next;
		else
			hi = p;
	}
	for (p = lo; p < hi; p = next) {
		if (base_line_at(x, p, &line, &len, &next) != 0)
			return -1;
		c = name_cmp(line, len, name, name_len);
		if (c == 0)
			return found(x, line, len, next, r);
		if (c > 0)
			break;
	}
	return 0;
}

time_t state_index_heartbeat(const struct state_index *x, time_t *stopped)
{
	time_t beat = x->beat > x->header.written ? x->beat : x->header.written;

	*stopped = x->stopped >= beat ? x->stopped : 0;
	return beat;
}

enum result state_heartbeat_result(time_t now, time_t beat, int stopped, long margin)
{
	time_t age = now - beat;

	if (margin > 0 && age > margin)
		return RESULT_CRITICAL;
	if (stopped || age > STATE_HEARTBEAT_LATE)
		return RESULT_WARNING;
	return RESULT_OK;
}

int state_beat_format(int stop, time_t t, char *dst, size_t len)
{
	struct line_out o = {.dst = dst, .len = len};

	if (len == 0)
		return -1;
	dst[0] = '\0';
	out_str(&o, stop ? STATE_STOP_PREFIX : STATE_BEAT_PREFIX);
	out_long(&o, (long long)t);
	return o.overflow ? -1 : (int)o.at;
}

int state_index_audit(const struct state_index *x, unsigned long counts[STATE_AUDIT_COUNTS])
{
	if (!x->audit_done)
		return 0;
	memcpy(counts, x->audit, sizeof(x->audit));
	return 1;
}

void state_index_close(struct state_index *x)
{
	if (x == NULL)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free(x->win);
	free(x->journal);
	free(x->entries);
	free(x);
}

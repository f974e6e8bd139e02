/*
 * report: the findings container, the roles of the audited domains and the
 * JSON line of a finding.  See report.h.
 */

#include "audit/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const severity_names[AUDIT_SEVERITY_COUNT] = {
    [AUDIT_OK] = "OK",           [AUDIT_INFO] = "INFO",         [AUDIT_WARNING] = "WARNING",
    [AUDIT_UNKNOWN] = "UNKNOWN", [AUDIT_CRITICAL] = "CRITICAL",
};

const char *audit_severity_name(enum audit_severity s)
{
	if ((unsigned)s >= AUDIT_SEVERITY_COUNT)
		return "invalid";
	return severity_names[s];
}

enum result audit_severity_result(enum audit_severity s)
{
	switch (s) {
	case AUDIT_OK:
	case AUDIT_INFO:
		return RESULT_OK;
	case AUDIT_WARNING:
		return RESULT_WARNING;
	case AUDIT_CRITICAL:
		return RESULT_CRITICAL;
	default:
		return RESULT_UNKNOWN;
	}
}

int audit_severity_exit(enum audit_severity s)
{
	return (int)audit_severity_result(s);
}

static const char *const check_names[AUDIT_CHECK_COUNT] = {
    [AUDIT_CHECK_RDAP] = "rdap",
    [AUDIT_CHECK_STATUS] = "status",
    [AUDIT_CHECK_EXPIRY] = "expiry",
    [AUDIT_CHECK_REGISTRAR_LOCK] = "registrar-lock",
    [AUDIT_CHECK_REGISTRY_LOCK] = "registry-lock",
    [AUDIT_CHECK_PENDING] = "pending",
    [AUDIT_CHECK_CHANGED] = "changed",
    [AUDIT_CHECK_RESOLVE] = "resolve",
    [AUDIT_CHECK_DELEGATION] = "delegation",
    [AUDIT_CHECK_NS_COUNT] = "ns-count",
    [AUDIT_CHECK_NS_DIVERSITY] = "ns-diversity",
    [AUDIT_CHECK_NS_DOMAIN_STATUS] = "ns-domain-status",
    [AUDIT_CHECK_NS_CONSISTENCY] = "ns-consistency",
    [AUDIT_CHECK_REDUNDANCY] = "redundancy",
    [AUDIT_CHECK_CAA] = "caa",
};

const char *audit_check_name(enum audit_check c)
{
	if ((unsigned)c >= AUDIT_CHECK_COUNT)
		return "invalid";
	return check_names[c];
}

/* ---------------------------------------------------------------- report */

/* A string cut at a byte count (vsnprintf) ends inside a UTF-8 character
 * when what it holds (a registrar's name) is not ASCII: drop that partial
 * character, so the evidence stays valid UTF-8 for the JSON report. */
static void utf8_cut_whole(char *s)
{
	size_t n = strlen(s), lead = n, need;
	unsigned char c;

	while (lead > 0 && n - lead < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)s[lead - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (need > 1 && n - (lead - 1) < need)
		s[lead - 1] = '\0';
}

int audit_report_add(struct audit_report *r, const char *domain, enum audit_check check,
                     enum audit_severity severity, const char *source, const char *fmt, ...)
{
	char evidence[AUDIT_EVIDENCE_MAX];
	struct audit_finding *f, item = {0};
	va_list ap;
	int ret = -1;

	va_start(ap, fmt);
	vsnprintf(evidence, sizeof(evidence), fmt, ap); /* a long one is cut, not lost */
	va_end(ap);
	utf8_cut_whole(evidence);
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		f = realloc(r->items, cap * sizeof(*f));
		if (f == NULL)
			goto out;
		r->items = f;
		r->cap = cap;
	}
	item.domain = strdup(domain);
	item.evidence = strdup(evidence);
	item.source = strdup(source ? source : "");
	if (item.domain == NULL || item.evidence == NULL || item.source == NULL)
		goto out;
	item.check = check;
	item.severity = severity;
	r->items[r->count++] = item;
	memset(&item, 0, sizeof(item)); /* the report owns the strings now */
	ret = 0;
out:
	free(item.domain);
	free(item.evidence);
	free(item.source);
	if (ret != 0)
		r->failed = 1;
	return ret;
}

void audit_report_free(struct audit_report *r)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		free(r->items[i].domain);
		free(r->items[i].evidence);
		free(r->items[i].source);
	}
	free(r->items);
	r->items = NULL;
	r->count = r->cap = 0;
	for (i = 0; i < r->role_count; i++) {
		free(r->roles[i].domain);
		free(r->roles[i].roles);
	}
	free(r->roles);
	r->roles = NULL;
	r->role_count = r->role_cap = 0;
}

enum audit_severity audit_report_worst(const struct audit_report *r)
{
	enum audit_severity w = AUDIT_OK;
	size_t i;

	for (i = 0; i < r->count; i++) {
		if (r->items[i].severity > w)
			w = r->items[i].severity;
	}
	return w;
}

enum audit_severity audit_report_domain_worst(const struct audit_report *r, const char *domain)
{
	enum audit_severity w = AUDIT_OK;
	size_t i;

	for (i = 0; i < r->count; i++) {
		if (strcmp(r->items[i].domain, domain) == 0 && r->items[i].severity > w)
			w = r->items[i].severity;
	}
	return w;
}

struct sort_key {
	struct audit_finding f;
	enum audit_severity group_worst;
	size_t index; /* keeps the sort stable */
};

static int sort_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c;

	if (x->group_worst != y->group_worst)
		return x->group_worst > y->group_worst ? -1 : 1;
	c = strcmp(x->f.domain, y->f.domain);
	if (c != 0)
		return c;
	if (x->f.severity != y->f.severity)
		return x->f.severity > y->f.severity ? -1 : 1;
	if (x->f.check != y->f.check)
		return x->f.check < y->f.check ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

static int domain_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = strcmp(x->f.domain, y->f.domain);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : (x->index > y->index);
}

void audit_report_sort(struct audit_report *r)
{
	struct sort_key *k;
	size_t i, j, start;

	if (r->count < 2)
		return;
	k = calloc(r->count, sizeof(*k));
	if (k == NULL)
		return; /* unsorted output is still complete */
	for (i = 0; i < r->count; i++) {
		k[i].f = r->items[i];
		k[i].index = i;
	}
	/* Worst per domain in one pass over runs of equal domains. */
	qsort(k, r->count, sizeof(*k), domain_cmp);
	for (start = 0; start < r->count; start = j) {
		enum audit_severity w = AUDIT_OK;
		for (j = start; j < r->count && strcmp(k[j].f.domain, k[start].f.domain) == 0;
		     j++) {
			if (k[j].f.severity > w)
				w = k[j].f.severity;
		}
		for (i = start; i < j; i++)
			k[i].group_worst = w;
	}
	qsort(k, r->count, sizeof(*k), sort_cmp);
	for (i = 0; i < r->count; i++)
		r->items[i] = k[i].f;
	free(k);
}

/* ---------------------------------------------------------------- roles */

static struct audit_roles *roles_find(const struct audit_report *r, const char *domain)
{
	size_t i;

	for (i = 0; i < r->role_count; i++) {
		if (strcmp(r->roles[i].domain, domain) == 0)
			return &r->roles[i];
	}
	return NULL;
}

int audit_report_roles_set(struct audit_report *r, const char *domain, const char *roles)
{
	struct audit_roles *e = roles_find(r, domain), item = {0};
	char *copy = strdup(roles);

	if (copy == NULL)
		goto fail;
	if (e != NULL) {
		free(e->roles);
		e->roles = copy;
		return 0;
	}
	if (r->role_count == r->role_cap) {
		size_t cap = r->role_cap ? r->role_cap * 2 : 32;
		struct audit_roles *n = realloc(r->roles, cap * sizeof(*n));
		if (n == NULL)
			goto fail;
		r->roles = n;
		r->role_cap = cap;
	}
	item.domain = strdup(domain);
	if (item.domain == NULL)
		goto fail;
	item.roles = copy;
	r->roles[r->role_count++] = item;
	return 0;
fail:
	free(copy);
	r->failed = 1;
	return -1;
}

const char *audit_report_roles(const struct audit_report *r, const char *domain)
{
	const struct audit_roles *e = roles_find(r, domain);

	return e != NULL ? e->roles : "";
}

/* ---------------------------------------------------------------- JSON Lines */

char *audit_finding_json_new(const struct audit_report *r, size_t i)
{
	const struct audit_finding *f;
	json_t *o;
	char *line;

	if (i >= r->count)
		return NULL;
	f = &r->items[i];
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "domain", f->domain, "check",
	              audit_check_name(f->check), "severity", audit_severity_name(f->severity),
	              "evidence", f->evidence, "source", f->source, "roles",
	              audit_report_roles(r, f->domain));
	line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return line;
}

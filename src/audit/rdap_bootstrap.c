/*
 * rdap_bootstrap: IANA's dns.json (RFC 9224) read into a sorted suffix
 * table, and the lookup of the RDAP base URL serving a domain (longest
 * matching suffix, https preferred).  Pure: getting the file, from disk or a
 * URL with a cached copy, is rdap_bootstrap_load.c's job.
 *
 * Every array and string is bounded before use; a suffix that cannot be a
 * DNS name is skipped rather than trusted, and a service without an http(s)
 * URL serves nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "audit/rdap.h"
#include "audit/rdap_internal.h"

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

size_t rdap_bootstrap_entries(const struct rdap_bootstrap *bs)
{
	return bs != NULL ? bs->count : 0;
}

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
		rdap_set_err(err, errlen, "bootstrap larger than %d bytes", RDAP_BOOTSTRAP_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rdap_set_err(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	services = json_object_get(root, "services");
	if (!json_is_array(services)) {
		rdap_set_err(err, errlen, "no \"services\" array");
		goto out;
	}
	n_services = json_array_size(services);
	if (n_services > RDAP_BOOTSTRAP_ENTRY_MAX) {
		rdap_set_err(err, errlen, "too many services");
		goto out;
	}
	json_array_foreach(services, i, svc)
	{
		tlds = json_array_get(svc, 0);
		if (!json_is_array(svc) || !json_is_array(tlds) ||
		    !json_is_array(json_array_get(svc, 1))) {
			rdap_set_err(err, errlen, "service %zu is not [[suffixes], [urls]]", i);
			goto out;
		}
		n_entries += json_array_size(tlds);
	}
	if (n_entries > RDAP_BOOTSTRAP_ENTRY_MAX) {
		rdap_set_err(err, errlen, "too many entries");
		goto out;
	}
	bs = calloc(1, sizeof(*bs));
	if (bs == NULL ||
	    (n_entries > 0 && (bs->entries = calloc(n_entries, sizeof(*bs->entries))) == NULL) ||
	    (n_services > 0 && (bs->urls = calloc(n_services, sizeof(char *))) == NULL)) {
		rdap_set_err(err, errlen, "out of memory");
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
			rdap_set_err(err, errlen, "out of memory");
			goto out;
		}
		bs->url_count++;
		json_array_foreach(tlds, j, t)
		{
			char tmp[RDAP_NAME_MAX];
			const char *s = json_is_string(t) ? json_string_value(t) : NULL;
			if (s == NULL || strlen(s) != json_string_length(t) || s[0] == '.' ||
			    rdap_copy_ldh(tmp, sizeof(tmp), s) != 0)
				continue; /* skip what cannot be a DNS suffix */
			bs->entries[bs->count].suffix = strdup(tmp);
			if (bs->entries[bs->count].suffix == NULL) {
				rdap_set_err(err, errlen, "out of memory");
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

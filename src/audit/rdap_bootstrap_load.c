/*
 * rdap_bootstrap_load: getting the RDAP bootstrap (see rdap.h), the I/O half
 * of rdap_bootstrap.c.  A file is read as it is; a URL is fetched unless the
 * cache holds a copy from the same URL younger than RDAP_BOOTSTRAP_MAX_AGE,
 * and a fetched copy is cached (written atomically, with its source URL in
 * CACHE.source beside it).  When the fetch fails, an older cached copy from
 * the same URL is used and the staleness logged: the audit keeps working
 * through an outage of IANA's server.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/rdap.h"
#include "audit/rdap_internal.h"
#include "util/atomic.h"
#include "util/log.h"

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
		rdap_set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	bs = rdap_bootstrap_parse((const char *)data, len, perr, sizeof(perr));
	if (bs == NULL)
		rdap_set_err(err, errlen, "%s: %s", path, perr);
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
		rdap_set_err(err, errlen, "cannot set up a request for %s", source);
		goto out;
	}
	if (http_perform(client, &req) != 0) {
		rdap_set_err(err, errlen, "internal HTTP error");
		goto fallback;
	}
	if (req.outcome != HTTP_OUTCOME_OK || req.status != 200) {
		rdap_set_err(err, errlen, "%s: %s %ld %s", source, http_outcome_name(req.outcome),
		             req.status, req.detail);
		goto fallback;
	}
	bs = rdap_bootstrap_parse((const char *)req.body.data, req.body.len, perr, sizeof(perr));
	if (bs == NULL) {
		rdap_set_err(err, errlen, "%s: %s", source, perr);
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
	log_info("rdap_bootstrap_fetched", "url=\"%s\" entries=%zu", safe,
	         rdap_bootstrap_entries(bs));
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

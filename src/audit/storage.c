/*
 * storage: every access of the audit to the store, in one place, each
 * function marked with the part of the store it touches, so that the store
 * interface (src/store/store.h) can take their place.  The audit reads
 * STORE/certificates/NAME/cert.pem, reads and replaces STORE/audit/state.json
 * and hands STORE/rdap/dns.json to the RDAP bootstrap as its cache.
 *
 * Guarantees: nothing here fails the audit.  What cannot be read is absent
 * (logged where absence is not expected); the state is replaced atomically
 * (util/atomic.h) or not at all, logged.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "audit/internal.h"
#include "util/atomic.h"
#include "util/log.h"
#include "x509/cert.h"

#define AUDIT_STATE_MAX  (16 * 1024 * 1024)
#define AUDIT_STATE_MODE 0644
#define AUDIT_DIR_MODE   0755

/* snprintf a path into dst; 0, or -1 when it does not fit. */
static int path_format(char *dst, size_t dstlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int path_format(char *dst, size_t dstlen, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(dst, dstlen, fmt, ap);
	va_end(ap);
	return (w < 0 || (size_t)w >= dstlen) ? -1 : 0;
}

void audit_store_certificates_each(const char *store, void (*fn)(const char *name, void *arg),
                                   void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	/* store: STORE/certificates, one entry per stored certificate */
	if (path_format(path, sizeof(path), "%s/certificates", store) != 0 ||
	    (dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fn(de->d_name, arg);
	}
	closedir(dir);
}

STACK_OF(X509) * audit_store_certificate_load(const char *store, const char *name)
{
	char path[PATH_MAX], err[256];
	STACK_OF(X509) * chain;

	/* store: STORE/certificates/NAME/cert.pem, the certificate served */
	if (path_format(path, sizeof(path), "%s/certificates/%s/cert.pem", store, name) != 0)
		return NULL;
	chain = cert_chain_load(path, err, sizeof(err));
	if (chain == NULL)
		log_debug("audit_no_stored_certificate", "path=\"%s\" reason=\"%s\"", path, err);
	return chain;
}

json_t *audit_store_state_load(const char *store)
{
	char path[PATH_MAX];
	unsigned char *data = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t len = 0;

	/* store: STORE/audit/state.json, the state of the last audit */
	if (path_format(path, sizeof(path), "%s/audit/state.json", store) != 0)
		return NULL;
	if (store_read_file(path, AUDIT_STATE_MAX, &data, &len) != 0) {
		if (errno != ENOENT)
			log_warn("audit_state_unreadable", "path=\"%s\" reason=\"%s\"", path,
			         strerror(errno));
		return NULL;
	}
	root = json_loadb((const char *)data, len, 0, &jerr);
	free(data);
	if (root == NULL || !json_is_object(json_object_get(root, "domains"))) {
		log_warn("audit_state_unreadable", "path=\"%s\" reason=\"not an audit state file\"",
		         path);
		json_decref(root);
		return NULL;
	}
	return root;
}

void audit_store_state_save(const char *store, const char *text, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];

	/* store: STORE/audit/state.json, in STORE/audit (both made if need be) */
	if (path_format(dir, sizeof(dir), "%s/audit", store) != 0 ||
	    path_format(path, sizeof(path), "%s/state.json", dir) != 0)
		return;
	if (mkdir(store, AUDIT_DIR_MODE) != 0 && errno != EEXIST)
		log_warn("audit_state_not_saved", "path=\"%s\" reason=\"%s\"", store,
		         strerror(errno));
	else if (mkdir(dir, AUDIT_DIR_MODE) != 0 && errno != EEXIST)
		log_warn("audit_state_not_saved", "path=\"%s\" reason=\"%s\"", dir,
		         strerror(errno));
	else
		(void)store_write_atomic(path, text, len, AUDIT_STATE_MODE);
}

int audit_store_bootstrap_cache(const char *store, char *dst, size_t dstlen)
{
	/* store: STORE/rdap/dns.json (and dns.json.source), the cached RDAP
	 * bootstrap; rdap_bootstrap_load() makes STORE/rdap */
	if (path_format(dst, dstlen, "%s/rdap/dns.json", store) != 0)
		return -1;
	if (mkdir(store, AUDIT_DIR_MODE) != 0 && errno != EEXIST)
		log_debug("audit_store_missing", "path=\"%s\"", store);
	return 0;
}

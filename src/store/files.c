/*
 * store/files: the files backend -- the store as a directory tree, the
 * layout store.h describes.  This file is the only place that knows a file
 * name of the store: every path is built here from the constants below.
 *
 * Writes go through util/atomic (whole-file replacement); a new certificate
 * set goes into a fresh version directory that one rename() of the NAME
 * symlink makes current (store.h has the guarantee).  Reads are bounded and
 * do not log.  Nothing here is shared between threads but the store's
 * directory name, so every operation is thread-safe.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "store/backend.h"
#include "store/bundle.h"
#include "util/atomic.h"
#include "util/fs.h"
#include "util/log.h"
#include "x509/cert.h"

/* The key space: groups (directories), names, aspects (file names). */
#define DIR_CERTIFICATES "certificates"
#define DIR_VERSIONS     ".versions" /* under DIR_CERTIFICATES */
#define DIR_ACCOUNTS     "accounts"
#define DIR_STATE        "state"
#define DIR_CRLS         "crls"

static const char *const aspect_files[STORE_ASPECT_COUNT] = {
    [STORE_CERT_PEM] = "cert.pem",           [STORE_CHAIN_PEM] = "chain.pem",
    [STORE_FULLCHAIN_PEM] = "fullchain.pem", [STORE_PRIVKEY_PEM] = "privkey.pem",
    [STORE_META_JSON] = "meta.json",         [STORE_BUNDLE] = "bundle.bin",
    [STORE_STAPLE_OCSP] = "staple.ocsp",
};

static const mode_t aspect_modes[STORE_ASPECT_COUNT] = {
    [STORE_CERT_PEM] = 0644,    [STORE_CHAIN_PEM] = 0644, [STORE_FULLCHAIN_PEM] = 0644,
    [STORE_PRIVKEY_PEM] = 0600, [STORE_META_JSON] = 0644, [STORE_BUNDLE] = 0644,
    [STORE_STAPLE_OCSP] = 0644,
};

static const struct {
	const char *dir, *file;
	mode_t mode;
} state_files[STORE_STATE_COUNT] = {
    [STORE_STATE_DAEMON] = {DIR_STATE, "daemon.json", 0644},
    [STORE_STATE_ENDPOINTS] = {DIR_STATE, "endpoints.json", 0644},
    [STORE_STATE_AUDIT_LOG] = {DIR_STATE, "audit.jsonl", 0644},
    [STORE_STATE_AUDIT] = {"audit", "state.json", 0644},
    [STORE_STATE_RDAP_BOOTSTRAP] = {"rdap", "dns.json", 0644},
    [STORE_STATE_DAEMON_INDEX] = {DIR_STATE, "daemon.idx", 0644},
    [STORE_STATE_DAEMON_JOURNAL] = {DIR_STATE, "daemon.idx.log", 0644},
    [STORE_STATE_PROBE] = {DIR_STATE, "probe.json", 0644},
    [STORE_STATE_CRL] = {DIR_STATE, "crl.json", 0644},
};

static const struct {
	const char *file;
	mode_t mode;
} account_files[] = {
    [STORE_ACCOUNT_KEY] = {"account.key", 0600},
    [STORE_ACCOUNT_JSON] = {"account.json", 0644},
};

static const char *const crl_files[] = {
    [STORE_CRL_DATA] = ".crl",
    [STORE_CRL_VALIDATORS] = ".json",
};

struct files_store {
	struct store base;
	char *dir;
};

/* A pinned version: the NAME link's target when it was opened, relative to
 * DIR_CERTIFICATES (or absolute); NAME itself when NAME is a directory.  One
 * allocation: name and target follow the struct. */
struct files_version {
	struct store_version base;
	const char *target;
};

struct files_stream {
	struct store_state_stream base;
	struct store_stream *stream;
};

static const char *store_dir(const struct store *st)
{
	return ((const struct files_store *)(const void *)st)->dir;
}

static const char *version_target(const struct store_version *v)
{
	return ((const struct files_version *)(const void *)v)->target;
}

/* 0 when snprintf's n fitted into len; -1 with ENAMETOOLONG. */
static int fitted(int n, size_t len)
{
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* A name that is one path component: not empty, ".", ".." nor with a '/'. */
static int component_ok(const char *name)
{
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL;
		return 0;
	}
	return 1;
}

/* STORE/certificates[/name] */
static int certs_path(const struct store *st, const char *name, char *dst, size_t len)
{
	return fitted(name ? snprintf(dst, len, "%s/" DIR_CERTIFICATES "/%s", store_dir(st), name)
	                   : snprintf(dst, len, "%s/" DIR_CERTIFICATES, store_dir(st)),
	              len);
}

/* The directory of version v, or file in it when file is set. */
static int version_path(const struct store_version *v, const char *file, char *dst, size_t len)
{
	const char *t = version_target(v);
	const char *sep = file ? "/" : "", *f = file ? file : "";

	if (t[0] == '/')
		return fitted(snprintf(dst, len, "%s%s%s", t, sep, f), len);
	return fitted(
	    snprintf(dst, len, "%s/" DIR_CERTIFICATES "/%s%s%s", store_dir(v->st), t, sep, f), len);
}

static int account_path(const struct store *st, const char *ca, const char *file, char *dst,
                        size_t len)
{
	if (!component_ok(ca))
		return -1;
	return fitted(file
	                  ? snprintf(dst, len, "%s/" DIR_ACCOUNTS "/%s/%s", store_dir(st), ca, file)
	                  : snprintf(dst, len, "%s/" DIR_ACCOUNTS "/%s", store_dir(st), ca),
	              len);
}

static int state_dir_path(const struct store *st, enum store_state doc, char *dst, size_t len)
{
	if ((unsigned)doc >= STORE_STATE_COUNT) {
		errno = EINVAL;
		return -1;
	}
	return fitted(snprintf(dst, len, "%s/%s", store_dir(st), state_files[doc].dir), len);
}

static int state_file_path(const struct store *st, enum store_state doc, char *dst, size_t len)
{
	if ((unsigned)doc >= STORE_STATE_COUNT) {
		errno = EINVAL;
		return -1;
	}
	return fitted(snprintf(dst, len, "%s/%s/%s", store_dir(st), state_files[doc].dir,
	                       state_files[doc].file),
	              len);
}

static void stamp_of(const struct stat *s, struct store_stamp *out)
{
	out->inode = (uint64_t)s->st_ino;
	out->size = (int64_t)s->st_size;
	out->mtime_s = (int64_t)s->st_mtim.tv_sec;
	out->mtime_ns = (int64_t)s->st_mtim.tv_nsec;
}

/* The stamp of path; 0 or -1 with errno. */
static int stamp_path(const char *path, struct store_stamp *out)
{
	struct stat s;

	if (stat(path, &s) != 0)
		return -1;
	stamp_of(&s, out);
	return 0;
}

/* fsync a directory so that a rename in it is durable; errors ignored
 * (store_write_atomic already made the files durable). */
static void dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

const char *store_aspect_name(enum store_aspect a)
{
	return (unsigned)a < STORE_ASPECT_COUNT ? aspect_files[a] : "";
}

/* ------------------------------------------------------------ certificates */

/* Write b to bundle_path, stamped with what fullchain and meta_path are now;
 * in_new_dir: the directory is a version nothing names yet (its fsync is the
 * caller's, store_write_atomic_deferred()).  0 or -1 (a failed write is
 * logged; without a bundle the start reads the PEM files, as for a store
 * written by hand). */
static int bundle_write(const char *fullchain, const char *meta_path, const char *bundle_path,
                        struct store_bundle *b, int in_new_dir)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	if (stamp_path(fullchain, &b->fullchain) != 0 || stamp_path(meta_path, &b->meta) != 0 ||
	    store_bundle_encode(b, &data, &len) != 0)
		return -1;
	rc = in_new_dir
	         ? store_write_atomic_deferred(bundle_path, data, len, aspect_modes[STORE_BUNDLE])
	         : store_write_atomic(bundle_path, data, len, aspect_modes[STORE_BUNDLE]);
	free(data);
	return rc;
}

/* Remove the version directory versions/d: first renamed to d.tmp.del, so
 * that a kill in the middle leaves a name that is plainly not a version
 * (never a version directory with some of its files gone), then its files
 * and itself.  A d that is already such a name is removed as it is. */
static void remove_version(int dfd, const char *d)
{
	char gone[NAME_MAX + 1];
	const char *target = d;
	int vfd;
	DIR *vd;
	struct dirent *de;

	if (strstr(d, ".tmp.") == NULL) {
		if (fitted(snprintf(gone, sizeof(gone), "%s.tmp.del", d), sizeof(gone)) != 0 ||
		    renameat(dfd, d, dfd, gone) != 0)
			return;
		target = gone;
	}
	vfd = openat(dfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	vd = vfd >= 0 ? fdopendir(vfd) : NULL;
	while (vd != NULL && (de = readdir(vd)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(vfd, de->d_name, 0);
	}
	if (vd != NULL)
		closedir(vd);
	else if (vfd >= 0)
		close(vfd);
	(void)unlinkat(dfd, target, AT_REMOVEDIR);
}

/* Remove the versions of name in dir versions beyond the newest kept ones,
 * never current, and what an interrupted removal left (NAME.*.tmp.del).
 * Everything a version holds is the store's own. */
/* 1 when rest (a version directory's name after "NAME.") is this
 * certificate's own: "TIME.RAND" (digits, a dot, 8 hex digits) or that
 * followed by ".tmp.…".  A certificate named "NAME.1" or "NAME.example" has
 * versions that start with "NAME." too; they are never NAME's. */
static int own_version(const char *rest)
{
	const char *p = rest;
	int i;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == rest || *p++ != '.')
		return 0;
	for (i = 0; i < 8; i++, p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return *p == '\0' || strncmp(p, ".tmp.", 5) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void prune_versions(const char *versions, const char *name, const char *current)
{
	char prefix[NAME_MAX + 2], **list = NULL, **grown;
	size_t n = 0, cap = 0, i, plen;
	int kept = 0, dfd, lfd;
	struct dirent *de;
	DIR *dir;

	if (fitted(snprintf(prefix, sizeof(prefix), "%s.", name), sizeof(prefix)) != 0)
		return;
	plen = strlen(prefix);
	dfd = open(versions, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lfd = dfd >= 0 ? dup(dfd) : -1;
	dir = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (dir == NULL && lfd >= 0)
		close(lfd);
	/* Only name's own entries are kept and sorted (names sort by time). */
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 || !own_version(de->d_name + plen))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (grown == NULL)
				break;
			list = grown;
		}
		if ((list[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	if (dir != NULL)
		closedir(dir);
	if (n > 0)
		qsort(list, n, sizeof(*list), name_cmp);
	for (i = n; i-- > 0;) {
		const char *d = list[i];
		if (strcmp(d, current) != 0 &&
		    (strstr(d + plen, ".tmp.") != NULL || ++kept >= STORE_VERSIONS_KEPT))
			remove_version(dfd, d);
		free(list[i]);
	}
	free(list);
	if (dfd >= 0)
		close(dfd);
}

static int files_install(struct store *st, const struct store_set *set)
{
	static const enum store_aspect order[] = {STORE_PRIVKEY_PEM, STORE_CERT_PEM,
	                                          STORE_CHAIN_PEM, STORE_FULLCHAIN_PEM,
	                                          STORE_META_JSON};
	char certs[PATH_MAX], versions[PATH_MAX], vname[NAME_MAX + 1], vdir[PATH_MAX];
	char path[PATH_MAX], meta_path[PATH_MAX], fullchain[PATH_MAX];
	char link_tmp[PATH_MAX], link_path[PATH_MAX], target[PATH_MAX];
	struct store_bundle b;
	struct stat ls;
	unsigned char rnd[4];
	int replacing;
	size_t i;

	if (!component_ok(set->name) || certs_path(st, NULL, certs, sizeof(certs)) != 0 ||
	    fitted(snprintf(versions, sizeof(versions), "%s/" DIR_VERSIONS, certs),
	           sizeof(versions)) != 0 ||
	    mkdir_p(versions, 0755) != 0 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	if (fitted(snprintf(vname, sizeof(vname), "%s.%lld.%02x%02x%02x%02x", set->name,
	                    (long long)time(NULL), rnd[0], rnd[1], rnd[2], rnd[3]),
	           sizeof(vname)) != 0 ||
	    fitted(snprintf(vdir, sizeof(vdir), "%s/%s", versions, vname), sizeof(vdir)) != 0 ||
	    mkdir(vdir, 0755) != 0)
		goto fail;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const enum store_aspect a = order[i];
		const char *data = a == STORE_PRIVKEY_PEM     ? set->key_pem
		                   : a == STORE_CERT_PEM      ? set->cert_pem
		                   : a == STORE_CHAIN_PEM     ? set->chain_pem
		                   : a == STORE_FULLCHAIN_PEM ? set->fullchain_pem
		                                              : set->meta_json;
		size_t len = a == STORE_PRIVKEY_PEM     ? set->key_len
		             : a == STORE_CERT_PEM      ? set->cert_len
		             : a == STORE_CHAIN_PEM     ? set->chain_len
		             : a == STORE_FULLCHAIN_PEM ? set->fullchain_len
		                                        : set->meta_len;
		if (fitted(snprintf(path, sizeof(path), "%s/%s", vdir, aspect_files[a]),
		           sizeof(path)) != 0 ||
		    store_write_atomic_deferred(path, data, len, aspect_modes[a]) != 0)
			goto fail;
	}
	/* The bundle last: it records the identity of the files written above. */
	memset(&b, 0, sizeof(b));
	b.flags = set->meta->placeholder ? STORE_BUNDLE_PLACEHOLDER : 0;
	b.renew_at = (int64_t)set->meta->renew_at;
	b.leaf = set->leaf_der;
	b.leaf_len = set->leaf_der_len;
	b.issuer = set->issuer_der;
	b.issuer_len = set->issuer_der_len;
	if (fitted(snprintf(fullchain, sizeof(fullchain), "%s/%s", vdir,
	                    aspect_files[STORE_FULLCHAIN_PEM]),
	           sizeof(fullchain)) != 0 ||
	    fitted(snprintf(meta_path, sizeof(meta_path), "%s/%s", vdir,
	                    aspect_files[STORE_META_JSON]),
	           sizeof(meta_path)) != 0 ||
	    fitted(snprintf(path, sizeof(path), "%s/%s", vdir, aspect_files[STORE_BUNDLE]),
	           sizeof(path)) != 0 ||
	    bundle_write(fullchain, meta_path, path, &b, 1) != 0)
		goto fail;

	/* Switch the NAME symlink to the complete new set in one rename. */
	if (certs_path(st, set->name, link_path, sizeof(link_path)) != 0 ||
	    fitted(snprintf(link_tmp, sizeof(link_tmp), "%s/.%s.tmp", certs, set->name),
	           sizeof(link_tmp)) != 0 ||
	    fitted(snprintf(target, sizeof(target), DIR_VERSIONS "/%s", vname), sizeof(target)) !=
	        0)
		goto fail;
	/* The version's entries, then the version itself, are durable before
	 * the link names it (one fsync each, not one per file). */
	dir_sync(vdir);
	dir_sync(versions);
	replacing = lstat(link_path, &ls) == 0;
	unlink(link_tmp);
	if (symlink(target, link_tmp) != 0 || rename(link_tmp, link_path) != 0) {
		unlink(link_tmp);
		goto fail;
	}
	dir_sync(certs);
	/* A first install has no older version to remove: skip the scan of the
	 * versions directory (one entry per version of every certificate), or a
	 * cold start of N certificates lists it N times.  What a crash left of
	 * an earlier attempt goes at the next replacement. */
	if (replacing)
		prune_versions(versions, set->name, vname);
	return 0;
fail:
	log_error("certificate_install_failed", "cert=%s store=%s reason=\"%s\"", set->name,
	          store_dir(st), strerror(errno));
	return -1;
}

static int files_names(struct store *st, char ***names, size_t *count)
{
	struct dirent **list = NULL;
	char certs[PATH_MAX];
	char **out = NULL;
	int n, i, rc = -1;
	size_t k = 0;

	*names = NULL;
	*count = 0;
	if (certs_path(st, NULL, certs, sizeof(certs)) != 0)
		return -1;
	n = scandir(certs, &list, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -1;
	out = calloc((size_t)n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		const struct dirent *de = list[i];
		/* Dot names are the store's own: .versions, a link being switched. */
		if (out != NULL && de->d_name[0] != '.' && de->d_type != DT_REG) {
			out[k] = strdup(de->d_name);
			if (out[k] != NULL)
				k++;
			else
				goto out;
		}
	}
	if (out != NULL) {
		*names = out;
		*count = k;
		out = NULL;
		rc = 0;
	}
out:
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (out != NULL)
		store_names_free(out, k);
	return rc;
}

static struct store_version *files_version_open(struct store *st, const char *name)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct files_version *v;
	size_t name_len, target_len;
	ssize_t n;

	if (!component_ok(name) || certs_path(st, name, link, sizeof(link)) != 0)
		return NULL;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		struct stat s;
		/* NAME is a directory itself (a store made by hand): not pinned. */
		if (errno != EINVAL || stat(link, &s) != 0)
			return NULL;
		n = (ssize_t)strlen(name);
		memcpy(target, name, (size_t)n);
	}
	target[n] = '\0';
	name_len = strlen(name) + 1;
	target_len = (size_t)n + 1;
	v = malloc(sizeof(*v) + name_len + target_len);
	if (v == NULL)
		return NULL;
	v->base.st = st;
	v->base.name = memcpy((char *)(v + 1), name, name_len);
	v->target = memcpy((char *)(v + 1) + name_len, target, target_len);
	return &v->base;
}

static void files_version_free(struct store_version *v)
{
	free(v);
}

static const char *files_version_id(const struct store_version *v)
{
	return version_target(v);
}

static const char *files_version_where(const struct store_version *v, enum store_aspect a,
                                       char *dst, size_t len)
{
	if (version_path(v, (unsigned)a < STORE_ASPECT_COUNT ? aspect_files[a] : NULL, dst, len) !=
	    0)
		snprintf(dst, len, "%s", version_target(v));
	return dst;
}

static int files_version_read(struct store_version *v, enum store_aspect a, size_t max,
                              unsigned char **out, size_t *len)
{
	char path[PATH_MAX];

	*out = NULL;
	*len = 0;
	if ((unsigned)a >= STORE_ASPECT_COUNT ||
	    version_path(v, aspect_files[a], path, sizeof(path)) != 0)
		return -1;
	return store_read_file(path, max, out, len);
}

/* privkey.pem at path: a regular file of a sane size, not read (see
 * store_version_start_load).  0, or -1 with the reason in why. */
static int key_file_check(const char *path, const char *name, char *why, size_t whylen)
{
	struct stat s;

	if (stat(path, &s) != 0) {
		snprintf(why, whylen, "%s: %s", aspect_files[STORE_PRIVKEY_PEM], strerror(errno));
		return -1;
	}
	if (!S_ISREG(s.st_mode) || s.st_size <= 0 || s.st_size > STORE_KEY_MAX) {
		snprintf(why, whylen, "%s: not a regular file of 1 to %d bytes",
		         aspect_files[STORE_PRIVKEY_PEM], STORE_KEY_MAX);
		return -1;
	}
	if ((s.st_mode & 077) != 0)
		log_warn("key_permissions", "cert=%s file=%s mode=%04o", name, path,
		         (unsigned)(s.st_mode & 07777));
	return 0;
}

/* The certificates of v from its bundle when the bundle matches fullchain.pem
 * (1, and *b is the bundle, pointing into *data); else 0. */
static int start_from_bundle(struct store_version *v, unsigned char **data, struct store_bundle *b)
{
	char path[PATH_MAX];
	struct store_stamp now;
	size_t len = 0;

	if (version_path(v, aspect_files[STORE_BUNDLE], path, sizeof(path)) != 0 ||
	    store_read_file(path, STORE_BUNDLE_MAX, data, &len) != 0)
		return 0;
	if (store_bundle_decode(*data, len, b) == 0 &&
	    version_path(v, aspect_files[STORE_FULLCHAIN_PEM], path, sizeof(path)) == 0 &&
	    stamp_path(path, &now) == 0 && store_stamp_equal(&now, &b->fullchain))
		return 1;
	log_debug("store_bundle_ignored", "cert=%s version=%s", v->name, version_target(v));
	free(*data);
	*data = NULL;
	return 0;
}

static int files_version_start(struct store_version *v, struct store_start *out, char *why,
                               size_t whylen)
{
	char path[PATH_MAX];
	unsigned char *bundle = NULL, *text = NULL;
	struct store_bundle b;
	struct store_stamp meta_now;
	struct cert_meta *meta = NULL;
	size_t len = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (start_from_bundle(v, &bundle, &b)) {
		out->leaf = malloc(b.leaf_len);
		out->issuer = b.issuer_len ? malloc(b.issuer_len) : NULL;
		if (out->leaf == NULL || (b.issuer_len && out->issuer == NULL)) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		memcpy(out->leaf, b.leaf, b.leaf_len);
		out->leaf_len = b.leaf_len;
		if (b.issuer_len)
			memcpy(out->issuer, b.issuer, b.issuer_len);
		out->issuer_len = b.issuer_len;
		out->from_bundle = 1;
	} else {
		if (files_version_read(v, STORE_FULLCHAIN_PEM, STORE_PEM_MAX, &text, &len) != 0) {
			err = errno;
			if (err != ENOENT)
				snprintf(why, whylen, "%s: %s", aspect_files[STORE_FULLCHAIN_PEM],
				         strerror(err));
			goto fail;
		}
		if (cert_pem_leaf_issuer_der((const char *)text, len, &out->leaf, &out->leaf_len,
		                             &out->issuer, &out->issuer_len) != 0) {
			snprintf(why, whylen, "%s: no valid certificate",
			         aspect_files[STORE_FULLCHAIN_PEM]);
			goto fail;
		}
		free(text);
		text = NULL;
	}
	if (version_path(v, aspect_files[STORE_PRIVKEY_PEM], path, sizeof(path)) != 0 ||
	    key_file_check(path, v->name, why, whylen) != 0)
		goto fail;
	if (out->from_bundle &&
	    version_path(v, aspect_files[STORE_META_JSON], path, sizeof(path)) == 0 &&
	    stamp_path(path, &meta_now) == 0 && store_stamp_equal(&meta_now, &b.meta)) {
		out->renew_at = (time_t)b.renew_at;
		out->placeholder = (b.flags & STORE_BUNDLE_PLACEHOLDER) != 0;
	} else {
		if (files_version_read(v, STORE_META_JSON, STORE_META_MAX, &text, &len) != 0 ||
		    (meta = cert_meta_parse((const char *)text, len)) == NULL) {
			snprintf(why, whylen, "%s: %s", aspect_files[STORE_META_JSON],
			         errno == EBADMSG ? "not a JSON object" : strerror(errno));
			goto fail;
		}
		out->renew_at = meta->renew_at;
		out->placeholder = meta->placeholder;
		cert_meta_free(meta);
	}
	free(text);
	free(bundle);
	return 0;
fail:
	free(text);
	free(bundle);
	store_start_clear(out);
	errno = err ? err : EINVAL;
	return -1;
}

static int files_version_meta_save(struct store_version *v, const struct cert_meta *meta,
                                   const char *json, size_t len)
{
	char path[PATH_MAX], fullchain[PATH_MAX], bundle_path[PATH_MAX];
	unsigned char *data = NULL;
	struct store_bundle b;
	struct store_stamp now;
	size_t blen = 0;

	if (version_path(v, aspect_files[STORE_META_JSON], path, sizeof(path)) != 0 ||
	    store_write_atomic(path, json, len, aspect_modes[STORE_META_JSON]) != 0)
		return -1;
	/* The bundle follows meta.json; if this is not done (a crash, a bundle
	 * that no longer matches fullchain.pem), its stamp of meta.json is stale
	 * and the start reads meta.json. */
	if (version_path(v, aspect_files[STORE_BUNDLE], bundle_path, sizeof(bundle_path)) == 0 &&
	    version_path(v, aspect_files[STORE_FULLCHAIN_PEM], fullchain, sizeof(fullchain)) == 0 &&
	    store_read_file(bundle_path, STORE_BUNDLE_MAX, &data, &blen) == 0 &&
	    store_bundle_decode(data, blen, &b) == 0 && stamp_path(fullchain, &now) == 0 &&
	    store_stamp_equal(&now, &b.fullchain)) {
		b.renew_at = (int64_t)meta->renew_at;
		b.flags = meta->placeholder ? STORE_BUNDLE_PLACEHOLDER : 0;
		(void)bundle_write(fullchain, path, bundle_path, &b, 0);
	}
	free(data);
	return 0;
}

static int files_version_staple_save(struct store_version *v, const unsigned char *der, size_t len)
{
	char path[PATH_MAX];

	if (version_path(v, aspect_files[STORE_STAPLE_OCSP], path, sizeof(path)) != 0) {
		log_error("staple_not_saved", "cert=%s reason=\"%s\"", v->name, strerror(errno));
		return -1;
	}
	return store_write_atomic(path, der, len, aspect_modes[STORE_STAPLE_OCSP]);
}

/* ---------------------------------------------------------------- accounts */

static int files_account_read(struct store *st, const char *ca, enum store_account_aspect a,
                              size_t max, unsigned char **out, size_t *len)
{
	char path[PATH_MAX];

	*out = NULL;
	*len = 0;
	if (account_path(st, ca, account_files[a].file, path, sizeof(path)) != 0)
		return -1;
	return store_read_file(path, max, out, len);
}

static int files_account_write(struct store *st, const char *ca, enum store_account_aspect a,
                               const void *data, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (account_path(st, ca, NULL, dir, sizeof(dir)) != 0 ||
	    account_path(st, ca, account_files[a].file, path, sizeof(path)) != 0 ||
	    mkdir_p(dir, 0700) != 0) {
		log_error("store_write_failed", "ca=%s store=%s reason=\"%s\"", ca, store_dir(st),
		          strerror(errno));
		return -1;
	}
	return store_write_atomic(path, data, len, account_files[a].mode);
}

static const char *files_account_where(struct store *st, const char *ca,
                                       enum store_account_aspect a, char *dst, size_t len)
{
	if (account_path(st, ca, account_files[a].file, dst, len) != 0)
		snprintf(dst, len, "%s", account_files[a].file);
	return dst;
}

/* --------------------------------------------------------------- CRL cache */

/* STORE/crls[/KEY.crl|.json]; key is made by store.c (hex only). */
static int crl_path(const struct store *st, const char *key, int aspect, char *dst, size_t len)
{
	if (aspect < 0)
		return fitted(snprintf(dst, len, "%s/" DIR_CRLS, store_dir(st)), len);
	if (!component_ok(key))
		return -1;
	return fitted(
	    snprintf(dst, len, "%s/" DIR_CRLS "/%s%s", store_dir(st), key, crl_files[aspect]), len);
}

static int files_crl_read(struct store *st, const char *key, enum store_crl_aspect a, size_t max,
                          unsigned char **out, size_t *len)
{
	char path[PATH_MAX];

	*out = NULL;
	*len = 0;
	if (crl_path(st, key, (int)a, path, sizeof(path)) != 0)
		return -1;
	return store_read_file(path, max, out, len);
}

static int files_crl_write(struct store *st, const char *key, enum store_crl_aspect a,
                           const void *data, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (crl_path(st, key, -1, dir, sizeof(dir)) != 0 ||
	    crl_path(st, key, (int)a, path, sizeof(path)) != 0 || mkdir_p(dir, 0755) != 0) {
		log_error("store_write_failed", "store=%s reason=\"%s\"", store_dir(st),
		          strerror(errno));
		return -1;
	}
	return store_write_atomic(path, data, len, 0644);
}

static const char *files_crl_where(struct store *st, const char *key, enum store_crl_aspect a,
                                   char *dst, size_t len)
{
	if (crl_path(st, key, (int)a, dst, len) != 0)
		snprintf(dst, len, "%s", store_dir(st));
	return dst;
}

/* --------------------------------------------------------- state documents */

static int files_state_read(struct store *st, enum store_state doc, size_t max, unsigned char **out,
                            size_t *len)
{
	char path[PATH_MAX];

	*out = NULL;
	*len = 0;
	if (state_file_path(st, doc, path, sizeof(path)) != 0)
		return -1;
	return store_read_file(path, max, out, len);
}

/* The file of doc, its directory made when missing (a store opened without
 * STORE_CREATE: holdfast audit keeps its state where it can).  0 or -1
 * (logged). */
static int state_prepare(struct store *st, enum store_state doc, char *path, size_t len)
{
	char dir[PATH_MAX];

	if (state_dir_path(st, doc, dir, sizeof(dir)) != 0 ||
	    state_file_path(st, doc, path, len) != 0 || mkdir_p(dir, 0755) != 0) {
		log_error("store_write_failed", "store=%s reason=\"%s\"", store_dir(st),
		          strerror(errno));
		return -1;
	}
	return 0;
}

static int files_state_write(struct store *st, enum store_state doc, const void *data, size_t len)
{
	char path[PATH_MAX];

	if (state_prepare(st, doc, path, sizeof(path)) != 0)
		return -1;
	return store_write_atomic(path, data, len, state_files[doc].mode);
}

/* O_APPEND, no O_CREAT: a journal someone removed is not made again without
 * its header line (the daemon writes a new base and journal instead). */
static int files_state_append(struct store *st, enum store_state doc, const void *data, size_t len)
{
	const unsigned char *p = data;
	char path[PATH_MAX];
	int fd, e;

	if (state_file_path(st, doc, path, sizeof(path)) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			e = errno;
			close(fd);
			errno = e;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		goto fail;
	return 0;
fail:
	e = errno;
	log_error("store_write_failed", "file=%s reason=\"%s\"", path, strerror(e));
	errno = e;
	return -1;
}

static int files_stream_commit(struct store_state_stream *s)
{
	struct files_stream *fs = (struct files_stream *)(void *)s;
	int rc = store_stream_commit(fs->stream);

	free(fs);
	return rc;
}

static void files_stream_abort(struct store_state_stream *s)
{
	struct files_stream *fs = (struct files_stream *)(void *)s;

	store_stream_abort(fs->stream);
	free(fs);
}

static struct store_state_stream *files_state_stream_open(struct store *st, enum store_state doc)
{
	char path[PATH_MAX];
	struct files_stream *fs;

	if (state_prepare(st, doc, path, sizeof(path)) != 0)
		return NULL;
	fs = calloc(1, sizeof(*fs));
	if (fs == NULL)
		return NULL;
	fs->stream = store_stream_open(path, state_files[doc].mode);
	if (fs->stream == NULL) {
		free(fs);
		return NULL;
	}
	fs->base.file = store_stream_file(fs->stream);
	fs->base.commit = files_stream_commit;
	fs->base.abort = files_stream_abort;
	return &fs->base;
}

static const char *files_state_where(struct store *st, enum store_state doc, char *dst, size_t len)
{
	if (state_file_path(st, doc, dst, len) != 0)
		snprintf(dst, len, "%s", store_dir(st));
	return dst;
}

static int files_state_path(struct store *st, enum store_state doc, char *dst, size_t len)
{
	return state_file_path(st, doc, dst, len);
}

/* ------------------------------------------------------------------ store */

static void files_free(struct store *st)
{
	struct files_store *fs = (struct files_store *)(void *)st;

	free(fs->dir);
	free(fs);
}

static const struct store_ops files_ops = {
    .name = "files",
    .free = files_free,
    .install = files_install,
    .names = files_names,
    .version_open = files_version_open,
    .version_free = files_version_free,
    .version_id = files_version_id,
    .version_where = files_version_where,
    .version_read = files_version_read,
    .version_start = files_version_start,
    .version_meta_save = files_version_meta_save,
    .version_staple_save = files_version_staple_save,
    .account_read = files_account_read,
    .account_write = files_account_write,
    .account_where = files_account_where,
    .crl_read = files_crl_read,
    .crl_write = files_crl_write,
    .crl_where = files_crl_where,
    .state_read = files_state_read,
    .state_write = files_state_write,
    .state_append = files_state_append,
    .state_stream_open = files_state_stream_open,
    .state_where = files_state_where,
    .state_path = files_state_path,
};

struct store *store_files_open(const char *dir, unsigned flags, char *err, size_t errlen)
{
	static const struct {
		const char *sub;
		mode_t mode;
	} layout[] = {
	    {DIR_STATE, 0755},
	    {DIR_CERTIFICATES "/" DIR_VERSIONS, 0755},
	    {DIR_ACCOUNTS, 0700},
	};
	struct files_store *fs;
	char path[PATH_MAX];
	size_t i;

	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "no store directory");
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; (flags & STORE_CREATE) && i < sizeof(layout) / sizeof(layout[0]); i++) {
		if (fitted(snprintf(path, sizeof(path), "%s/%s", dir, layout[i].sub),
		           sizeof(path)) != 0 ||
		    mkdir_p(path, layout[i].mode) != 0) {
			int e = errno;
			snprintf(err, errlen, "cannot create %s/%s: %s", dir, layout[i].sub,
			         strerror(e));
			errno = e;
			return NULL;
		}
	}
	fs = calloc(1, sizeof(*fs));
	if (fs == NULL || (fs->dir = strdup(dir)) == NULL) {
		free(fs);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	fs->base.ops = &files_ops;
	return &fs->base;
}

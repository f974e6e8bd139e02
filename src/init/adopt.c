/*
 * adopt.c: the I/O of holdfast init (init.h): running the web servers' own
 * commands (nginx -T, apache2ctl -S, the config checks, the reloads),
 * reading the certificates and keys in use, importing them into the store,
 * and rewriting configuration files.
 *
 * Guarantees:
 * - A configuration its server refuses is never read further, let alone
 *   changed: nginx -T only dumps a configuration that passes nginx -t, and
 *   Apache's and HAProxy's are checked (apache2ctl -t, haproxy -c) first.
 * - An import goes through store_cert_install() (a complete version, then
 *   one rename), only for a certificate whose key matches it; a store that
 *   already holds that very certificate under the name is left alone.
 * - A rewrite replaces a file only while it still holds exactly the bytes
 *   that were parsed; each file is copied to DIR/.NAME.holdfast-backup first, and
 *   every new file is written whole (store_write_atomic); when the server's
 *   check then fails, every file is put back from its backup before
 *   anything is reloaded.
 */
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/ari.h"
#include "init/adopt.h"
#include "store/store.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/spawn.h"
#include "x509/cert.h"

#define ADOPT_OUTPUT_MAX INIT_FILE_MAX

/* Run argv, its output into a new string (*out, free()).  The exit status,
 * or -1. */
static int run_capture(char *const argv[], const char *what, char **out, size_t *len)
{
	struct buf b;
	int rc;

	buf_init(&b, ADOPT_OUTPUT_MAX);
	rc = spawn_run_capture(argv, what, &b);
	if (buf_append(&b, "", 1) != 0) {
		buf_free(&b);
		*out = NULL;
		return -1;
	}
	*out = (char *)b.data;
	*len = b.len - 1;
	return rc;
}

/* The first line of text, for an error message. */
static void first_lines(const char *text, char *dst, size_t len)
{
	size_t i, k = 0;

	for (i = 0; text != NULL && text[i] != '\0' && k + 1 < len; i++)
		dst[k++] = text[i] == '\n' ? ' ' : text[i];
	dst[k] = '\0';
}

static int file_load(void *ctx, const char *path, char **text, size_t *len, char *why, size_t wl)
{
	unsigned char *data = NULL;

	(void)ctx;
	if (store_read_file(path, INIT_FILE_MAX, &data, len) != 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, wl, "%s", strerror(errno));
		return -1;
	}
	*text = (char *)data;
	return 0;
}

static int file_glob(void *ctx, const char *pattern, char ***matches, size_t *count)
{
	glob_t g;
	size_t i;
	int rc;

	(void)ctx;
	*matches = NULL;
	*count = 0;
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return -1;
	*matches = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof(char *));
	for (i = 0; *matches != NULL && i < g.gl_pathc; i++)
		if (((*matches)[i] = strdup(g.gl_pathv[i])) != NULL)
			(*count)++;
	globfree(&g);
	return *matches ? 0 : -1;
}

struct init_config *adopt_nginx_read(const char *file, char *err, size_t errlen)
{
	char *argv[] = {"nginx", "-T", "-c", (char *)file, NULL}, *out = NULL, first[300];
	struct init_config *c = init_config_new(INIT_NGINX);
	size_t len = 0;
	int rc;

	if (file == NULL)
		argv[2] = NULL;
	rc = run_capture(argv, "nginx-dump", &out, &len);
	if (rc != 0) {
		first_lines(out, first, sizeof(first));
		init_config_free(c);
		c = NULL;
		snprintf(err, errlen,
		         "nginx -T%s%s failed (the configuration is refused, "
		         "nothing is changed): %s",
		         file ? " -c " : "", file ? file : "", first);
	} else if (c == NULL || init_nginx_parse(c, out, len, err, errlen) != 0) {
		init_config_free(c);
		c = NULL;
	}
	free(out);
	return c;
}

/* ServerRoot and the files named in apache2ctl -S's output ("(FILE:LINE)"). */
static int apache_s_files(const char *out, char *root, size_t rootlen, char ***files, size_t *count)
{
	const char *p = out, *q;

	*files = NULL;
	*count = 0;
	root[0] = '\0';
	if ((q = strstr(out, "ServerRoot: \"")) != NULL) {
		const char *e = strchr(q + 13, '"');
		if (e != NULL)
			snprintf(root, rootlen, "%.*s", (int)(e - q - 13), q + 13);
	}
	while ((p = strstr(p, "(/")) != NULL) {
		const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
		char **f;
		size_t i;
		int dup = 0;
		p++;
		if (colon == NULL || (nl != NULL && colon > nl))
			continue;
		for (i = 0; i < *count; i++)
			dup |= strncmp((*files)[i], p, (size_t)(colon - p)) == 0 &&
			       (*files)[i][colon - p] == '\0';
		if (dup)
			continue;
		if ((f = realloc(*files, (*count + 1) * sizeof(*f))) == NULL)
			return -1;
		*files = f;
		if ((f[*count] = strndup(p, (size_t)(colon - p))) == NULL)
			return -1;
		(*count)++;
	}
	return 0;
}

struct init_config *adopt_apache_read(const char *file, char *err, size_t errlen)
{
	char *check[] = {"apache2ctl", "-t", "-f", (char *)file, NULL};
	char *show[] = {"apache2ctl", "-S", NULL};
	char *out = NULL, first[300], root[1024], **files = NULL, dir[1024];
	struct init_loader ld = {file_load, file_glob, NULL};
	struct init_config *c = init_config_new(INIT_APACHE);
	size_t len = 0, count = 0, i;
	int rc;

	if (c == NULL)
		return NULL;
	if (file != NULL) {
		const char *slash = strrchr(file, '/');
		rc = run_capture(check, "apache-configtest", &out, &len);
		if (rc != 0) {
			first_lines(out, first, sizeof(first));
			snprintf(
			    err, errlen,
			    "apache2ctl -t -f %s failed (the configuration is refused, nothing "
			    "is changed): %s",
			    file, first);
			goto fail;
		}
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 1,
		         slash ? file : ".");
		if (init_apache_parse(c, file, dir, &ld, err, errlen) != 0)
			goto fail;
		free(out);
		return c;
	}
	rc = run_capture(show, "apache-show", &out, &len);
	if (rc != 0) {
		first_lines(out, first, sizeof(first));
		snprintf(err, errlen, "apache2ctl -S failed (nothing is changed): %s", first);
		goto fail;
	}
	if (apache_s_files(out, root, sizeof(root), &files, &count) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < count; i++)
		if (init_apache_parse(c, files[i], root[0] ? root : "/etc/apache2", &ld, err,
		                      errlen) != 0)
			goto fail;
	init_names_free(files, count);
	free(out);
	return c;
fail:
	init_names_free(files, count);
	free(out);
	init_config_free(c);
	return NULL;
}

struct init_config *adopt_haproxy_read(const char *file, char *err, size_t errlen)
{
	char *check[] = {"haproxy", "-c", "-q", "-f", (char *)file, NULL};
	char *out = NULL, first[300], *text = NULL, why[200];
	struct init_config *c = init_config_new(INIT_HAPROXY);
	size_t len = 0;
	int rc;

	if (c == NULL)
		return NULL;
	rc = run_capture(check, "haproxy-check", &out, &len);
	if (rc != 0) {
		first_lines(out, first, sizeof(first));
		snprintf(err, errlen,
		         "haproxy -c -f %s failed (the configuration is refused, nothing is "
		         "changed): %s",
		         file, first);
		goto fail;
	}
	if (file_load(NULL, file, &text, &len, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", file, why[0] ? why : "no such file");
		goto fail;
	}
	if (init_haproxy_parse(c, file, text, len, err, errlen) != 0)
		goto fail;
	free(text);
	free(out);
	return c;
fail:
	free(text);
	free(out);
	init_config_free(c);
	return NULL;
}

/* ------------------------------------------------------- certificates */

void adopt_pem_free(struct adopt_pem *p)
{
	if (p == NULL)
		return;
	X509_free(p->leaf);
	sk_X509_pop_free(p->chain, X509_free);
	EVP_PKEY_free(p->key);
	init_names_free(p->sans, p->san_count);
	free(p->chain_pem);
	free(p);
}

static const char *key_type(EVP_PKEY *k)
{
	char group[64];
	size_t gl = 0;
	int bits = EVP_PKEY_get_bits(k);

	if (EVP_PKEY_is_a(k, "RSA"))
		return bits == 2048   ? "rsa-2048"
		       : bits == 3072 ? "rsa-3072"
		       : bits == 4096 ? "rsa-4096"
		                      : NULL;
	if (EVP_PKEY_is_a(k, "EC") &&
	    EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &gl) == 1)
		return strcmp(group, "prime256v1") == 0  ? "ec-p256"
		       : strcmp(group, "secp384r1") == 0 ? "ec-p384"
		                                         : NULL;
	return NULL;
}

struct adopt_pem *adopt_pem_load(const char *cert, const char *key, char *err, size_t errlen)
{
	struct adopt_pem *p = calloc(1, sizeof(*p));
	unsigned char *data = NULL, *kdata = NULL;
	size_t len = 0, klen = 0;
	BIO *b = NULL, *out = NULL;
	X509 *x;
	GENERAL_NAMES *gens = NULL;
	BUF_MEM *mem;
	int i;

	if (p == NULL || (p->chain = sk_X509_new_null()) == NULL)
		goto oom;
	if (store_read_file(cert, STORE_PEM_MAX, &data, &len) != 0) {
		snprintf(err, errlen, "%s: %s", cert, strerror(errno));
		goto fail;
	}
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL)
		goto oom;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (p->leaf == NULL)
			p->leaf = x;
		else if (!sk_X509_push(p->chain, x)) {
			X509_free(x);
			goto oom;
		}
	}
	ERR_clear_error();
	if (p->leaf == NULL) {
		snprintf(err, errlen, "%s: no PEM certificate", cert);
		goto fail;
	}
	if (key != NULL) {
		BIO_free(b);
		b = NULL;
		if (store_read_file(key, STORE_KEY_MAX, &kdata, &klen) != 0) {
			snprintf(err, errlen, "%s: %s", key, strerror(errno));
			goto fail;
		}
		if ((b = BIO_new_mem_buf(kdata, (int)klen)) == NULL)
			goto oom;
	} else {
		BIO_reset(b);
	}
	p->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	ERR_clear_error();
	if (p->key == NULL) {
		snprintf(err, errlen, "%s: no unencrypted PEM private key", key ? key : cert);
		goto fail;
	}
	if (X509_check_private_key(p->leaf, p->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: the key does not match the certificate %s",
		         key ? key : cert, cert);
		goto fail;
	}
	p->key_type = key_type(p->key);
	p->not_before = p->not_after = 0;
	{
		struct tm tm;
		if (ASN1_TIME_to_tm(X509_get0_notBefore(p->leaf), &tm) == 1)
			p->not_before = timegm(&tm);
		if (ASN1_TIME_to_tm(X509_get0_notAfter(p->leaf), &tm) == 1)
			p->not_after = timegm(&tm);
	}
	gens = X509_get_ext_d2i(p->leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char **s;
		if (g->type != GEN_DNS || p->san_count >= INIT_NAMES_MAX)
			continue;
		if ((s = realloc(p->sans, (p->san_count + 1) * sizeof(*s))) == NULL)
			goto oom;
		p->sans = s;
		s[p->san_count] = strndup((const char *)ASN1_STRING_get0_data(g->d.dNSName),
		                          (size_t)ASN1_STRING_length(g->d.dNSName));
		if (s[p->san_count] != NULL)
			p->san_count++;
	}
	/* The chain as holdfast stores it: PEM, leaf first. */
	if ((out = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(out, p->leaf) != 1)
		goto oom;
	for (i = 0; i < sk_X509_num(p->chain); i++)
		if (PEM_write_bio_X509(out, sk_X509_value(p->chain, i)) != 1)
			goto oom;
	BIO_get_mem_ptr(out, &mem);
	if ((p->chain_pem = strndup(mem->data, mem->length)) == NULL)
		goto oom;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	adopt_pem_free(p);
	p = NULL;
done:
	GENERAL_NAMES_free(gens);
	BIO_free(b);
	BIO_free(out);
	free(data);
	if (kdata != NULL)
		OPENSSL_cleanse(kdata, klen);
	free(kdata);
	return p;
}

int adopt_import(struct store *st, const char *name, const struct adopt_pem *p, char *const *names,
                 size_t count, const char *key_type_name, long margin, int *imported, char *err,
                 size_t errlen)
{
	struct store_cert *have = store_cert_load(st, name);
	struct cert_meta *m = NULL;
	char serial[128];
	int rc = -1;

	*imported = 0;
	if (have != NULL) {
		int same = X509_cmp(have->cert, p->leaf) == 0;
		store_cert_free(have);
		if (same)
			return 0; /* imported before: nothing to do */
		snprintf(err, errlen,
		         "the store already holds another certificate as %s: not replaced", name);
		return -1;
	}
	if ((m = cert_meta_new()) == NULL || cert_meta_set(&m->name, name) != 0 ||
	    cert_meta_set_names(m, names, count) != 0 ||
	    cert_meta_set(&m->key, key_type_name ? key_type_name : "ec-p256") != 0 ||
	    cert_meta_set(&m->serial, cert_serial_hex(p->leaf, serial, sizeof(serial))) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	m->placeholder = 0;
	m->not_before = p->not_before;
	m->not_after = p->not_after;
	/* The rule every issued certificate follows (acme/ari.h): due when a
	 * third of its lifetime is left, at the latest outage_margin before. */
	m->renew_at = renew_at_lifetime(p->not_before, p->not_after, margin);
	m->present |= CERT_META_CA | CERT_META_DIRECTORY; /* null: no CA of ours issued it */
	if (store_cert_install(st, name, p->key, p->chain_pem, m) != 0) {
		snprintf(err, errlen, "cannot install %s into the store (logged)", name);
		goto out;
	}
	*imported = 1;
	rc = 0;
out:
	cert_meta_free(m);
	return rc;
}

/* ---------------------------------------------------------------- apply */

int adopt_run(char *const argv[], const char *what)
{
	return spawn_run(argv, what);
}

int adopt_file_check(const struct init_file *f, char *err, size_t errlen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int same;

	if (store_read_file(f->path, INIT_FILE_MAX, &data, &len) != 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	same = len == f->len && memcmp(data, f->text, len) == 0;
	free(data);
	if (!same) {
		snprintf(err, errlen, "%s changed since it was read: nothing is changed", f->path);
		return -1;
	}
	return 0;
}

int adopt_file_replace(const struct init_file *f, const char *text, size_t len, char *backup,
                       size_t backuplen, char *err, size_t errlen)
{
	struct stat sb;
	mode_t mode = 0644;
	int n;

	if (stat(f->path, &sb) == 0)
		mode = sb.st_mode & 07777;
	/* DIR/.NAME.holdfast-backup: hidden, so that an include glob such as
	 * "conf.d/STAR" (glob(3), Apache's fnmatch) never loads the backup too. */
	{
		const char *slash = strrchr(f->path, '/');
		n = slash ? snprintf(backup, backuplen, "%.*s/.%s.holdfast-backup",
		                     (int)(slash - f->path), f->path, slash + 1)
		          : snprintf(backup, backuplen, ".%s.holdfast-backup", f->path);
	}
	if (n < 0 || (size_t)n >= backuplen) {
		snprintf(err, errlen, "%s: path too long", f->path);
		return -1;
	}
	if (store_write_atomic(backup, f->text, f->len, mode) != 0) {
		snprintf(err, errlen, "%s: cannot write the backup: %s", backup, strerror(errno));
		return -1;
	}
	if (store_write_atomic(f->path, text, len, mode) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

int adopt_file_restore(const struct init_file *f)
{
	struct stat sb;
	mode_t mode = 0644;

	if (stat(f->path, &sb) == 0)
		mode = sb.st_mode & 07777;
	if (store_write_atomic(f->path, f->text, f->len, mode) != 0) {
		log_error("restore_failed", "file=%s reason=\"%s\"", f->path, strerror(errno));
		return -1;
	}
	log_warn("restored", "file=%s", f->path);
	return 0;
}

int adopt_haproxy_reload(const struct init_config *c, char *err, size_t errlen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	long pid;

	if (!c->haproxy_master || c->haproxy_pidfile == NULL) {
		snprintf(err, errlen,
		         "HAProxy runs without master-worker and pidfile: reload it "
		         "yourself (systemctl reload haproxy)");
		return -1;
	}
	if (store_read_file(c->haproxy_pidfile, 64, &data, &len) != 0) {
		snprintf(err, errlen, "%s: %s", c->haproxy_pidfile, strerror(errno));
		return -1;
	}
	pid = strtol((const char *)data, NULL, 10);
	free(data);
	/* SIGUSR2 to the master: it re-reads the configuration (HAProxy's
	 * management guide, "master-worker"). */
	if (pid <= 1 || kill((pid_t)pid, SIGUSR2) != 0) {
		snprintf(err, errlen, "cannot signal HAProxy's master %ld: %s", pid,
		         strerror(errno));
		return -1;
	}
	return 0;
}



#include "store/certstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "util/atomic.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "x509/cert.h"

#define KEY_FILE_MAX (64 * 1024)

static int path_join(char *dst, size_t len, const char *a, const char *b, const char *c)
{
	int n = snprintf(dst, len, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static char *key_pem_new(EVP_PKEY *key, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	out = malloc((size_t)n);
	if (out != NULL) {
		memcpy(out, data, (size_t)n);
		*len = (size_t)n;
	}
out:
	BIO_free(bio);
	return out;
}

static int write_key(const char *path, EVP_PKEY *key)
{
	size_t len = 0;
	char *pem = key_pem_new(key, &len);
	int rc;

	if (pem == NULL)
		return -1;
	rc = store_write_atomic(path, pem, len, 0600);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

static EVP_PKEY *read_key(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (store_read_file(path, KEY_FILE_MAX, &data, &len) != 0)
		return NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	return key;
}

static int write_json(const char *path, json_t *obj)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return -1;
	rc = store_write_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

json_t *certstore_json_load(const char *path, size_t max)
{
	unsigned char *data = NULL;
	size_t len = 0;
	json_t *obj;

	if (store_read_file(path, max, &data, &len) != 0)
		return NULL;
	obj = json_loadb((const char *)data, len, 0, NULL);
	free(data);
	if (!json_is_object(obj)) {
		json_decref(obj);
		errno = EBADMSG;
		return NULL;
	}
	return obj;
}

void cert_info_free(struct cert_info *ci)
{
	X509_free(ci->cert);
	sk_X509_pop_free(ci->chain, X509_free);
	EVP_PKEY_free(ci->key);
	json_decref(ci->meta);
	memset(ci, 0, sizeof(*ci));
}

int certstore_load(const char *store, const char *name, struct cert_info *out)
{
	char dir[PATH_MAX], path[PATH_MAX], err[128];
	STACK_OF(X509) *full = NULL;

	memset(out, 0, sizeof(*out));
	if (path_join(dir, sizeof(dir), store, "certificates", name) != 0)
		return -1;
	if (path_join(path, sizeof(path), dir, "fullchain.pem", NULL) != 0)
		return -1;
	if (access(path, F_OK) != 0) {
		errno = ENOENT;
		return -1;
	}
	full = cert_chain_load(path, err, sizeof(err));
	if (path_join(path, sizeof(path), dir, "privkey.pem", NULL) == 0)
		out->key = read_key(path);
	if (path_join(path, sizeof(path), dir, "meta.json", NULL) == 0)
		out->meta = certstore_json_load(path, CERTSTORE_META_MAX);
	if (full == NULL || out->key == NULL || out->meta == NULL)
		goto bad;
	out->cert = sk_X509_shift(full);
	out->chain = full;
	full = NULL;
	if (EVP_PKEY_eq(X509_get0_pubkey(out->cert), out->key) != 1 ||
	    time_from_asn1(X509_get0_notBefore(out->cert), &out->not_before) != 0 ||
	    time_from_asn1(X509_get0_notAfter(out->cert), &out->not_after) != 0)
		goto bad;
	cert_serial_hex(out->cert, out->serial, sizeof(out->serial));
	out->placeholder = json_is_true(json_object_get(out->meta, "placeholder"));
	return 0;
bad:
	sk_X509_pop_free(full, X509_free);
	cert_info_free(out);
	log_warn("certificate_unreadable", "cert=%s dir=%s", name, dir);
	errno = EINVAL;
	return -1;
}

/* Remove old version directories of name beyond the newest kept ones. */
static void prune_versions(const char *versions, const char *name, const char *current)
{
	struct dirent **list = NULL;
	char prefix[256], path[PATH_MAX], file[PATH_MAX];
	static const char *const files[] = {"cert.pem",    "chain.pem", "fullchain.pem",
	                                    "privkey.pem", "meta.json", NULL};
	int n, i, kept = 0, k;

	if (snprintf(prefix, sizeof(prefix), "%s.", name) >= (int)sizeof(prefix))
		return;
	n = scandir(versions, &list, NULL, alphasort);
	for (i = n - 1; i >= 0; i--) {
		const char *d = list[i]->d_name;
		if (strncmp(d, prefix, strlen(prefix)) == 0 &&
		    strchr(d + strlen(prefix), '.') != NULL && strcmp(d, current) != 0 &&
		    ++kept >= CERTSTORE_VERSIONS_KEPT &&
		    path_join(path, sizeof(path), versions, d, NULL) == 0) {
			for (k = 0; files[k] != NULL; k++) {
				if (path_join(file, sizeof(file), path, files[k], NULL) == 0)
					unlink(file);
			}
			rmdir(path);
		}
		free(list[i]);
	}
	free(list);
}

int certstore_install(const char *store, const char *name, EVP_PKEY *key, const char *chain_pem,
                      json_t *meta)
{
	char certs[PATH_MAX], versions[PATH_MAX], vname[256], vdir[PATH_MAX], path[PATH_MAX];
	char link_tmp[PATH_MAX], link_path[PATH_MAX], target[PATH_MAX];
	const char *second;
	unsigned char rnd[4];
	size_t leaf_len;
	int n;

	if (path_join(certs, sizeof(certs), store, "certificates", NULL) != 0 ||
	    path_join(versions, sizeof(versions), certs, ".versions", NULL) != 0 ||
	    mkdir_p(versions, 0755) != 0)
		goto fail;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	n = snprintf(vname, sizeof(vname), "%s.%lld.%02x%02x%02x%02x", name, (long long)time(NULL),
	             rnd[0], rnd[1], rnd[2], rnd[3]);
	if (n < 0 || (size_t)n >= sizeof(vname) ||
	    path_join(vdir, sizeof(vdir), versions, vname, NULL) != 0 || mkdir(vdir, 0755) != 0)
		goto fail;

	/* The leaf is everything up to the second certificate. */
	second = strstr(chain_pem, "-----END CERTIFICATE-----");
	second = second ? strstr(second, "-----BEGIN CERTIFICATE-----") : NULL;
	leaf_len = second ? (size_t)(second - chain_pem) : strlen(chain_pem);
	if (path_join(path, sizeof(path), vdir, "privkey.pem", NULL) != 0 ||
	    write_key(path, key) != 0)
		goto fail;
	if (path_join(path, sizeof(path), vdir, "cert.pem", NULL) != 0 ||
	    store_write_atomic(path, chain_pem, leaf_len, 0644) != 0)
		goto fail;
	if (path_join(path, sizeof(path), vdir, "chain.pem", NULL) != 0 ||
	    store_write_atomic(path, chain_pem + leaf_len, strlen(chain_pem) - leaf_len, 0644) != 0)
		goto fail;
	if (path_join(path, sizeof(path), vdir, "fullchain.pem", NULL) != 0 ||
	    store_write_atomic(path, chain_pem, strlen(chain_pem), 0644) != 0)
		goto fail;
	if (path_join(path, sizeof(path), vdir, "meta.json", NULL) != 0 ||
	    write_json(path, meta) != 0)
		goto fail;

	/* Switch the NAME symlink to the complete new set in one rename. */
	if (path_join(link_path, sizeof(link_path), certs, name, NULL) != 0 ||
	    snprintf(link_tmp, sizeof(link_tmp), "%s.tmp", link_path) >= (int)sizeof(link_tmp) ||
	    snprintf(target, sizeof(target), ".versions/%s", vname) >= (int)sizeof(target))
		goto fail;
	unlink(link_tmp);
	if (symlink(target, link_tmp) != 0 || rename(link_tmp, link_path) != 0) {
		unlink(link_tmp);
		goto fail;
	}
	{
		int fd = open(certs, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	prune_versions(versions, name, vname);
	return 0;
fail:
	log_error("certificate_install_failed", "cert=%s store=%s reason=\"%s\"", name, store,
	          strerror(errno));
	return -1;
}

int certstore_meta_write(const char *store, const char *name, json_t *meta)
{
	char path[PATH_MAX], dir[PATH_MAX];

	if (path_join(dir, sizeof(dir), store, "certificates", name) != 0 ||
	    path_join(path, sizeof(path), dir, "meta.json", NULL) != 0)
		return -1;
	return write_json(path, meta);
}

char *certstore_placeholder_pem_new(EVP_PKEY *key, char *const *names, size_t count, int days)
{
	X509 *x = X509_new();
	X509_NAME *subject;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	char *san = NULL, *out = NULL, *data;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	size_t cap = 1, i;
	long len;
	int n = 0;

	if (x == NULL || count == 0 || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, 2) != 1 || X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL)
		goto out;
	subject = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(
	        subject, "O", MBSTRING_ASC,
	        (const unsigned char *)"holdfast TEMPORARY placeholder - not issued by a CA", -1,
	        -1, 0) != 1 ||
	    (strlen(names[0]) <= 64 &&
	     X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
	                                (const unsigned char *)names[0], -1, -1, 0) != 1) ||
	    X509_set_issuer_name(x, subject) != 1 || X509_set_pubkey(x, key) != 1)
		goto out;
	for (i = 0; i < count; i++)
		cap += strlen(names[i]) + 5;
	san = malloc(cap);
	if (san == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		int w = snprintf(san + n, cap - (size_t)n, "%sDNS:%s", i ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= cap - (size_t)n)
			goto out;
		n += w;
	}
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1 || X509_sign(x, key, EVP_sha256()) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len > 0)
		out = strndup(data, (size_t)len);
out:
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	BN_free(bn);
	free(san);
	X509_free(x);
	return out;
}

int certstore_account_load(const char *store, const char *ca, const char *directory, EVP_PKEY **key,
                           char *kid, size_t kidlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	json_t *acct;
	const char *k, *d;

	*key = NULL;
	kid[0] = '\0';
	if (path_join(dir, sizeof(dir), store, "accounts", ca) != 0 || mkdir_p(dir, 0700) != 0 ||
	    path_join(path, sizeof(path), dir, "account.key", NULL) != 0)
		return -1;
	*key = read_key(path);
	if (*key == NULL) {
		if (access(path, F_OK) == 0) {
			log_error("account_key_unreadable", "ca=%s file=%s", ca, path);
			return -1; /* never silently replace an existing account key */
		}
		*key = EVP_EC_gen("P-256");
		if (*key == NULL || write_key(path, *key) != 0) {
			EVP_PKEY_free(*key);
			*key = NULL;
			return -1;
		}
		log_info("account_key_created", "ca=%s file=%s", ca, path);
	}
	if (path_join(path, sizeof(path), dir, "account.json", NULL) != 0)
		return 0;
	acct = certstore_json_load(path, CERTSTORE_META_MAX);
	k = json_string_value(json_object_get(acct, "kid"));
	d = json_string_value(json_object_get(acct, "directory"));
	if (k != NULL && d != NULL && strcmp(d, directory) == 0)
		snprintf(kid, kidlen, "%s", k);
	json_decref(acct);
	return 0;
}

int certstore_account_save_kid(const char *store, const char *ca, const char *directory,
                               const char *kid)
{
	char path[PATH_MAX], dir[PATH_MAX];
	json_t *acct;
	int rc;

	if (path_join(dir, sizeof(dir), store, "accounts", ca) != 0 ||
	    path_join(path, sizeof(path), dir, "account.json", NULL) != 0)
		return -1;
	acct = json_pack("{s:s, s:s}", "directory", directory, "kid", kid);
	rc = acct ? write_json(path, acct) : -1;
	json_decref(acct);
	return rc;
}

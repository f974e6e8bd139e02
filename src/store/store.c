/*
 * store: the backend-independent half of the store interface (store.h):
 * opening the configured backend, and everything about formats -- splitting
 * and decoding PEM, encoding keys (in secure memory, cleansed after use),
 * meta.json through struct cert_meta, the checks of a loaded set, accounts'
 * JSON.  The backend (backend.h) only moves bytes.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "store/backend.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "x509/cert.h"

struct store *store_open_dir(const char *dir, unsigned flags, char *err, size_t errlen)
{
	return store_files_open(dir, flags, err, errlen);
}

struct store *store_open(const struct conf *conf, unsigned flags, char *err, size_t errlen)
{
	/* The one place that picks a backend: the files one, at store =. */
	return store_open_dir(conf->store, flags, err, errlen);
}

void store_free(struct store *st)
{
	if (st != NULL)
		st->ops->free(st);
}

/* ---------------------------------------------------------------- PEM keys */

/* key as unencrypted PKCS#8 PEM in a new buffer (*len bytes; the caller
 * cleanses and frees it), or NULL. */
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

/* The private key in PEM data (len bytes), or NULL. */
static EVP_PKEY *key_from_pem(const unsigned char *data, size_t len)
{
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (len > INT_MAX)
		return NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return key;
}

static void secret_free(unsigned char *data, size_t len)
{
	if (data != NULL)
		OPENSSL_cleanse(data, len);
	free(data);
}

/* ------------------------------------------------------------ certificates */

void store_cert_free(struct store_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	cert_meta_free(c->meta);
	store_version_free(c->version);
	free(c);
}

struct store_cert *store_cert_load(struct store *st, const char *name)
{
	struct store_cert *c = calloc(1, sizeof(*c));
	unsigned char *pem = NULL, *key = NULL, *meta = NULL;
	size_t pem_len = 0, key_len = 0, meta_len = 0;
	char err[128], where[PATH_MAX];

	if (c == NULL)
		return NULL;
	c->version = store_version_open(st, name);
	if (c->version == NULL) {
		store_cert_free(c);
		errno = ENOENT; /* as when it is there but unreadable: nothing stored */
		return NULL;
	}
	if (st->ops->version_read(c->version, STORE_FULLCHAIN_PEM, STORE_PEM_MAX, &pem, &pem_len) !=
	    0) {
		if (errno != ENOENT)
			goto bad;
		store_cert_free(c);
		errno = ENOENT;
		return NULL;
	}
	c->chain = cert_chain_from_pem(pem, pem_len, err, sizeof(err));
	if (st->ops->version_read(c->version, STORE_PRIVKEY_PEM, STORE_KEY_MAX, &key, &key_len) ==
	    0)
		c->key = key_from_pem(key, key_len);
	if (st->ops->version_read(c->version, STORE_META_JSON, STORE_META_MAX, &meta, &meta_len) ==
	    0)
		c->meta = cert_meta_parse((const char *)meta, meta_len);
	if (c->chain == NULL || c->key == NULL || c->meta == NULL)
		goto bad;
	c->cert = sk_X509_shift(c->chain);
	if (c->cert == NULL || EVP_PKEY_eq(X509_get0_pubkey(c->cert), c->key) != 1 ||
	    time_from_asn1(X509_get0_notBefore(c->cert), &c->not_before) != 0 ||
	    time_from_asn1(X509_get0_notAfter(c->cert), &c->not_after) != 0)
		goto bad;
	cert_serial_hex(c->cert, c->serial, sizeof(c->serial));
	free(pem);
	secret_free(key, key_len);
	free(meta);
	return c;
bad:
	log_warn("certificate_unreadable", "cert=%s dir=%s", name,
	         store_version_where(c->version, STORE_ASPECT_COUNT, where, sizeof(where)));
	store_cert_free(c);
	free(pem);
	secret_free(key, key_len);
	free(meta);
	errno = EINVAL;
	return NULL;
}

int store_cert_install(struct store *st, const char *name, EVP_PKEY *key, const char *chain_pem,
                       const struct cert_meta *meta)
{
	struct store_set set;
	const char *second;
	char *key_pem = NULL, *meta_json = NULL;
	unsigned char *leaf = NULL, *issuer = NULL;
	size_t key_len = 0, leaf_len = 0, issuer_len = 0, total;
	int rc = -1;

	memset(&set, 0, sizeof(set));
	total = strlen(chain_pem);
	/* The leaf is everything up to the second certificate. */
	second = strstr(chain_pem, "-----END CERTIFICATE-----");
	second = second ? strstr(second, "-----BEGIN CERTIFICATE-----") : NULL;
	set.name = name;
	set.cert_pem = chain_pem;
	set.cert_len = second ? (size_t)(second - chain_pem) : total;
	set.chain_pem = chain_pem + set.cert_len;
	set.chain_len = total - set.cert_len;
	set.fullchain_pem = chain_pem;
	set.fullchain_len = total;
	set.meta = meta;
	key_pem = key_pem_new(key, &key_len);
	meta_json = cert_meta_format(meta);
	if (key_pem == NULL || meta_json == NULL ||
	    cert_pem_leaf_issuer_der(chain_pem, total, &leaf, &leaf_len, &issuer, &issuer_len) !=
	        0) {
		log_error("certificate_install_failed", "cert=%s reason=\"%s\"", name,
		          key_pem == NULL || meta_json == NULL ? "out of memory"
		                                               : "no certificate in the chain");
		goto out;
	}
	set.key_pem = key_pem;
	set.key_len = key_len;
	set.meta_json = meta_json;
	set.meta_len = strlen(meta_json);
	set.leaf_der = leaf;
	set.leaf_der_len = leaf_len;
	set.issuer_der = issuer;
	set.issuer_der_len = issuer_len;
	rc = st->ops->install(st, &set);
out:
	secret_free((unsigned char *)key_pem, key_len);
	free(meta_json);
	free(leaf);
	free(issuer);
	return rc;
}

int store_cert_meta_save(struct store_cert *c)
{
	char *json = cert_meta_format(c->meta);
	int rc;

	if (json == NULL) {
		log_error("meta_not_saved", "cert=%s reason=\"out of memory\"", c->version->name);
		return -1;
	}
	rc = c->version->st->ops->version_meta_save(c->version, c->meta, json, strlen(json));
	free(json);
	return rc;
}

int store_cert_names(struct store *st, char ***names, size_t *count)
{
	return st->ops->names(st, names, count);
}

void store_names_free(char **names, size_t count)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* ---------------------------------------------------------------- versions */

struct store_version *store_version_open(struct store *st, const char *name)
{
	return st->ops->version_open(st, name);
}

void store_version_free(struct store_version *v)
{
	if (v != NULL)
		v->st->ops->version_free(v);
}

const char *store_version_id(const struct store_version *v)
{
	return v->st->ops->version_id(v);
}

const char *store_version_where(const struct store_version *v, enum store_aspect a, char *dst,
                                size_t len)
{
	return v->st->ops->version_where(v, a, dst, len);
}

int store_version_start_load(struct store_version *v, struct store_start *out, char *why,
                             size_t whylen)
{
	return v->st->ops->version_start(v, out, why, whylen);
}

void store_start_clear(struct store_start *s)
{
	free(s->leaf);
	free(s->issuer);
	memset(s, 0, sizeof(*s));
}

int store_version_fullchain_load(struct store_version *v, char **pem, size_t *len)
{
	return v->st->ops->version_read(v, STORE_FULLCHAIN_PEM, STORE_PEM_MAX,
	                                (unsigned char **)pem, len);
}

int store_version_cert_load(struct store_version *v, char **pem, size_t *len)
{
	return v->st->ops->version_read(v, STORE_CERT_PEM, STORE_PEM_MAX, (unsigned char **)pem,
	                                len);
}

int store_version_key_pem_load(struct store_version *v, char **pem, size_t *len)
{
	return v->st->ops->version_read(v, STORE_PRIVKEY_PEM, STORE_KEY_MAX, (unsigned char **)pem,
	                                len);
}

struct cert_meta *store_version_meta_load(struct store_version *v)
{
	unsigned char *text = NULL;
	size_t len = 0;
	struct cert_meta *m;

	if (v->st->ops->version_read(v, STORE_META_JSON, STORE_META_MAX, &text, &len) != 0)
		return NULL;
	m = cert_meta_parse((const char *)text, len);
	free(text);
	return m;
}

int store_version_staple_load(struct store_version *v, unsigned char **der, size_t *len)
{
	return v->st->ops->version_read(v, STORE_STAPLE_OCSP, STORE_STAPLE_MAX, der, len);
}

int store_version_staple_save(struct store_version *v, const unsigned char *der, size_t len)
{
	return v->st->ops->version_staple_save(v, der, len);
}

/* ---------------------------------------------------------------- accounts */

int store_account_load(struct store *st, const char *ca, const char *directory, EVP_PKEY **key,
                       char *kid, size_t kidlen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char where[PATH_MAX];
	json_t *acct;
	const char *k, *d;

	*key = NULL;
	kid[0] = '\0';
	if (st->ops->account_read(st, ca, STORE_ACCOUNT_KEY, STORE_KEY_MAX, &data, &len) == 0) {
		*key = key_from_pem(data, len);
		secret_free(data, len);
		data = NULL;
		if (*key == NULL) {
			/* never silently replace an existing account key */
			log_error("account_key_unreadable", "ca=%s file=%s", ca,
			          st->ops->account_where(st, ca, STORE_ACCOUNT_KEY, where,
			                                 sizeof(where)));
			return -1;
		}
	} else if (errno != ENOENT) {
		log_error("account_key_unreadable", "ca=%s file=%s", ca,
		          st->ops->account_where(st, ca, STORE_ACCOUNT_KEY, where, sizeof(where)));
		return -1;
	} else {
		char *pem;
		int rc;
		*key = EVP_EC_gen("P-256");
		pem = *key ? key_pem_new(*key, &len) : NULL;
		rc = pem ? st->ops->account_write(st, ca, STORE_ACCOUNT_KEY, pem, len) : -1;
		secret_free((unsigned char *)pem, len);
		if (rc != 0) {
			EVP_PKEY_free(*key);
			*key = NULL;
			return -1;
		}
		log_info("account_key_created", "ca=%s file=%s", ca,
		         st->ops->account_where(st, ca, STORE_ACCOUNT_KEY, where, sizeof(where)));
	}
	if (st->ops->account_read(st, ca, STORE_ACCOUNT_JSON, STORE_META_MAX, &data, &len) != 0)
		return 0;
	acct = json_loadb((const char *)data, len, 0, NULL);
	free(data);
	k = json_string_value(json_object_get(acct, "kid"));
	d = json_string_value(json_object_get(acct, "directory"));
	if (k != NULL && d != NULL && strcmp(d, directory) == 0)
		snprintf(kid, kidlen, "%s", k);
	json_decref(acct);
	return 0;
}

int store_account_kid_load(struct store *st, const char *ca, const char *directory, char *kid,
                           size_t kidlen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	json_t *acct;
	const char *k, *d;

	kid[0] = '\0';
	if (st->ops->account_read(st, ca, STORE_ACCOUNT_JSON, STORE_META_MAX, &data, &len) != 0)
		return errno == ENOENT ? 0 : -1;
	acct = json_loadb((const char *)data, len, 0, NULL);
	free(data);
	k = json_string_value(json_object_get(acct, "kid"));
	d = json_string_value(json_object_get(acct, "directory"));
	if (k != NULL && d != NULL && strcmp(d, directory) == 0)
		snprintf(kid, kidlen, "%s", k);
	json_decref(acct);
	return 0;
}

int store_account_save_kid(struct store *st, const char *ca, const char *directory, const char *kid)
{
	json_t *acct = json_pack("{s:s, s:s}", "directory", directory, "kid", kid);
	char *text = acct ? json_dumps(acct, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	int rc = text ? st->ops->account_write(st, ca, STORE_ACCOUNT_JSON, text, strlen(text)) : -1;

	free(text);
	json_decref(acct);
	return rc;
}

/* --------------------------------------------------------------- CRL cache */

#define STORE_CRL_VALIDATORS_MAX (4 * 1024)

/* The cache key of url: its SHA-256 in hex (65 bytes with the NUL). */
static int crl_key(const char *url, char key[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0, i;

	if (url == NULL || EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL) != 1 ||
	    n != sizeof(md)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[64] = '\0';
	return 0;
}

/* Copy the string member name of o into dst when it fits; else "". */
static void crl_validator_get(json_t *o, const char *name, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, name));

	dst[0] = '\0';
	if (v != NULL && strlen(v) < len)
		snprintf(dst, len, "%s", v);
}

int store_crl_load(struct store *st, const char *url, size_t max, unsigned char **data, size_t *len,
                   struct store_crl_validators *val)
{
	unsigned char *vdata = NULL;
	size_t vlen = 0;
	char key[65];
	json_t *o = NULL;

	memset(val, 0, sizeof(*val));
	*data = NULL;
	*len = 0;
	if (crl_key(url, key) != 0 ||
	    st->ops->crl_read(st, key, STORE_CRL_DATA, max, data, len) != 0)
		return -1;
	if (st->ops->crl_read(st, key, STORE_CRL_VALIDATORS, STORE_CRL_VALIDATORS_MAX, &vdata,
	                      &vlen) == 0)
		o = json_loadb((const char *)vdata, vlen, 0, NULL);
	free(vdata);
	/* The validators belong to this URL's copy only; anything else is
	 * ignored, which just makes the next GET unconditional. */
	if (json_is_object(o) && json_is_string(json_object_get(o, "url")) &&
	    strcmp(json_string_value(json_object_get(o, "url")), url) == 0) {
		crl_validator_get(o, "etag", val->etag, sizeof(val->etag));
		crl_validator_get(o, "last_modified", val->last_modified,
		                  sizeof(val->last_modified));
	}
	json_decref(o);
	return 0;
}

int store_crl_save(struct store *st, const char *url, const unsigned char *data, size_t len,
                   const struct store_crl_validators *val)
{
	json_t *o = NULL;
	char key[65], *text = NULL;
	int rc = -1;

	if (crl_key(url, key) != 0) {
		log_error("crl_not_cached", "url=\"%s\" reason=\"%s\"", url ? url : "",
		          strerror(errno));
		return -1;
	}
	o = json_pack("{s:s, s:s, s:s}", "url", url, "etag", val ? val->etag : "", "last_modified",
	              val ? val->last_modified : "");
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL) {
		log_error("crl_not_cached", "url=\"%s\" reason=\"out of memory\"", url);
		goto out;
	}
	if (st->ops->crl_write(st, key, STORE_CRL_DATA, data, len) != 0 ||
	    st->ops->crl_write(st, key, STORE_CRL_VALIDATORS, text, strlen(text)) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	json_decref(o);
	return rc;
}

const char *store_crl_where(struct store *st, const char *url, char *dst, size_t len)
{
	char key[65];

	if (crl_key(url, key) != 0) {
		snprintf(dst, len, "(no key)");
		return dst;
	}
	return st->ops->crl_where(st, key, STORE_CRL_DATA, dst, len);
}

/* --------------------------------------------------------- state documents */

int store_state_load(struct store *st, enum store_state doc, size_t max, unsigned char **data,
                     size_t *len)
{
	return st->ops->state_read(st, doc, max, data, len);
}

json_t *store_state_json_load(struct store *st, enum store_state doc, size_t max)
{
	unsigned char *data = NULL;
	size_t len = 0;
	json_t *obj;

	if (st->ops->state_read(st, doc, max, &data, &len) != 0)
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

int store_state_save(struct store *st, enum store_state doc, const void *data, size_t len)
{
	return st->ops->state_write(st, doc, data, len);
}

int store_state_append(struct store *st, enum store_state doc, const void *data, size_t len)
{
	return st->ops->state_append(st, doc, data, len);
}

struct store_state_stream *store_state_stream_open(struct store *st, enum store_state doc)
{
	return st->ops->state_stream_open(st, doc);
}

FILE *store_state_stream_file(struct store_state_stream *s)
{
	return s->file;
}

int store_state_stream_commit(struct store_state_stream *s)
{
	return s->commit(s);
}

void store_state_stream_abort(struct store_state_stream *s)
{
	if (s != NULL)
		s->abort(s);
}

const char *store_state_where(struct store *st, enum store_state doc, char *dst, size_t len)
{
	return st->ops->state_where(st, doc, dst, len);
}

int store_state_path(struct store *st, enum store_state doc, char *dst, size_t len)
{
	return st->ops->state_path(st, doc, dst, len);
}

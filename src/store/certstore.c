/*
 * certstore: the former interface over store.h; see certstore.h.
 */
#include "store/certstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic.h"

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
	char err[256];
	struct store *st;
	struct store_cert *c;
	int e;

	memset(out, 0, sizeof(*out));
	st = store_open_dir(store, 0, err, sizeof(err));
	c = st ? store_cert_load(st, name) : NULL;
	e = errno;
	if (c == NULL || (out->meta = cert_meta_to_json(c->meta)) == NULL) {
		store_cert_free(c);
		store_free(st);
		errno = c == NULL ? e : ENOMEM;
		return -1;
	}
	out->cert = c->cert;
	out->chain = c->chain;
	out->key = c->key;
	c->cert = NULL;
	c->chain = NULL;
	c->key = NULL;
	out->not_before = c->not_before;
	out->not_after = c->not_after;
	memcpy(out->serial, c->serial, sizeof(out->serial));
	out->placeholder = c->meta->placeholder;
	store_cert_free(c);
	store_free(st);
	return 0;
}

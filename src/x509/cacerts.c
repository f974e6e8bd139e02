/*
 * cacerts: see cacerts.h.  A chained hash table on FNV-1a of the DER, grown
 * at a load of 1; a hit compares the whole DER.  One mutex: a lookup is a
 * hash and a memcmp of a few hundred bytes, the decode happens once per
 * distinct certificate.
 */

#include "x509/cacerts.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "util/hash.h"
#include "x509/cert.h"

#define CACERTS_BUCKETS_MIN 16

struct cacert {
	struct cacert *next;
	uint64_t hash;
	unsigned char *der;
	size_t len;
	X509 *x509;
};

struct cacerts {
	pthread_mutex_t lock;
	struct cacert **buckets;
	size_t bucket_count; /* a power of two */
	size_t count;
};

struct cacerts *cacerts_new(void)
{
	struct cacerts *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->buckets = calloc(CACERTS_BUCKETS_MIN, sizeof(*set->buckets));
	if (set->buckets == NULL || pthread_mutex_init(&set->lock, NULL) != 0) {
		free(set->buckets);
		free(set);
		return NULL;
	}
	set->bucket_count = CACERTS_BUCKETS_MIN;
	return set;
}

void cacerts_free(struct cacerts *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->bucket_count; i++) {
		struct cacert *c = set->buckets[i], *next;
		for (; c != NULL; c = next) {
			next = c->next;
			X509_free(c->x509);
			free(c->der);
			free(c);
		}
	}
	free(set->buckets);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/* Double the table when it is full; on no memory it just stays denser. */
static void cacerts_grow(struct cacerts *set)
{
	size_t n = set->bucket_count * 2, i;
	struct cacert **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return;
	for (i = 0; i < set->bucket_count; i++) {
		struct cacert *c = set->buckets[i], *next;
		for (; c != NULL; c = next) {
			next = c->next;
			c->next = b[c->hash & (n - 1)];
			b[c->hash & (n - 1)] = c;
		}
	}
	free(set->buckets);
	set->buckets = b;
	set->bucket_count = n;
}

/* A new entry for der, decoded and ready to share, or NULL. */
static struct cacert *cacert_new(const unsigned char *der, size_t len, uint64_t hash)
{
	const unsigned char *p = der;
	struct cacert *c = calloc(1, sizeof(*c));

	if (c == NULL || len > CERT_FILE_MAX)
		goto fail;
	c->x509 = d2i_X509(NULL, &p, (long)len);
	c->der = malloc(len);
	if (c->x509 == NULL || p != der + len || c->der == NULL)
		goto fail;
	/* Cache the extensions and the public key now, under our lock, so that
	 * no later reader modifies the shared object. */
	(void)X509_check_purpose(c->x509, -1, 0);
	if (X509_get0_pubkey(c->x509) == NULL)
		goto fail;
	memcpy(c->der, der, len);
	c->len = len;
	c->hash = hash;
	return c;
fail:
	ERR_clear_error();
	if (c != NULL) {
		X509_free(c->x509);
		free(c->der);
		free(c);
	}
	return NULL;
}

X509 *cacerts_get(struct cacerts *set, const unsigned char *der, size_t len)
{
	uint64_t h = hash_fnv1a64(der, len);
	struct cacert *c;
	X509 *x = NULL;

	pthread_mutex_lock(&set->lock);
	for (c = set->buckets[h & (set->bucket_count - 1)]; c != NULL; c = c->next) {
		if (c->hash == h && c->len == len && memcmp(c->der, der, len) == 0) {
			x = c->x509;
			goto out;
		}
	}
	c = cacert_new(der, len, h);
	if (c == NULL)
		goto out;
	if (set->count >= set->bucket_count)
		cacerts_grow(set);
	c->next = set->buckets[h & (set->bucket_count - 1)];
	set->buckets[h & (set->bucket_count - 1)] = c;
	set->count++;
	x = c->x509;
out:
	pthread_mutex_unlock(&set->lock);
	return x;
}

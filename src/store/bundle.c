/*
 * bundle: bundle.bin's encoding; see bundle.h for the format.
 */

#include "store/bundle.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define HEADER_LEN 88
/* The checksum is FNV-1a, 64 bits (util/hash): it catches damage, not an
 * adversary (who could as well rewrite fullchain.pem; the start verifies the
 * leaf's signature anyway). */
#define CHECKSUM_LEN 8

static const unsigned char magic[4] = {'H', 'F', 'B', '1'};

static void put_u32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	int i;

	for (i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put_stamp(unsigned char *p, const struct store_stamp *s)
{
	put_u64(p, s->inode);
	put_u64(p + 8, (uint64_t)s->size);
	put_u64(p + 16, (uint64_t)s->mtime_s);
	put_u64(p + 24, (uint64_t)s->mtime_ns);
}

static void get_stamp(const unsigned char *p, struct store_stamp *s)
{
	s->inode = get_u64(p);
	s->size = (int64_t)get_u64(p + 8);
	s->mtime_s = (int64_t)get_u64(p + 16);
	s->mtime_ns = (int64_t)get_u64(p + 24);
}

int store_stamp_equal(const struct store_stamp *a, const struct store_stamp *b)
{
	return a->inode == b->inode && a->size == b->size && a->mtime_s == b->mtime_s &&
	       a->mtime_ns == b->mtime_ns;
}

int store_bundle_encode(const struct store_bundle *b, unsigned char **out, size_t *len)
{
	unsigned char *p;
	size_t n;

	*out = NULL;
	*len = 0;
	if (b->leaf == NULL || b->leaf_len == 0 || b->leaf_len > STORE_BUNDLE_DER_MAX ||
	    b->issuer_len > STORE_BUNDLE_DER_MAX || (b->issuer_len > 0 && b->issuer == NULL))
		return -1;
	n = HEADER_LEN + b->leaf_len + b->issuer_len + CHECKSUM_LEN;
	p = malloc(n);
	if (p == NULL)
		return -1;
	memcpy(p, magic, sizeof(magic));
	put_u32(p + 4, b->flags);
	put_u64(p + 8, (uint64_t)b->renew_at);
	put_stamp(p + 16, &b->fullchain);
	put_stamp(p + 48, &b->meta);
	put_u32(p + 80, (uint32_t)b->leaf_len);
	put_u32(p + 84, (uint32_t)b->issuer_len);
	memcpy(p + HEADER_LEN, b->leaf, b->leaf_len);
	if (b->issuer_len > 0)
		memcpy(p + HEADER_LEN + b->leaf_len, b->issuer, b->issuer_len);
	put_u64(p + n - CHECKSUM_LEN, hash_fnv1a64(p, n - CHECKSUM_LEN));
	*out = p;
	*len = n;
	return 0;
}

int store_bundle_decode(const unsigned char *data, size_t len, struct store_bundle *b)
{
	size_t leaf_len, issuer_len;

	memset(b, 0, sizeof(*b));
	if (len < HEADER_LEN + CHECKSUM_LEN || memcmp(data, magic, sizeof(magic)) != 0)
		return -1;
	leaf_len = get_u32(data + 80);
	issuer_len = get_u32(data + 84);
	if (leaf_len == 0 || leaf_len > STORE_BUNDLE_DER_MAX || issuer_len > STORE_BUNDLE_DER_MAX ||
	    len != HEADER_LEN + leaf_len + issuer_len + CHECKSUM_LEN ||
	    get_u64(data + len - CHECKSUM_LEN) != hash_fnv1a64(data, len - CHECKSUM_LEN))
		return -1;
	b->flags = get_u32(data + 4);
	b->renew_at = (int64_t)get_u64(data + 8);
	get_stamp(data + 16, &b->fullchain);
	get_stamp(data + 48, &b->meta);
	b->leaf = data + HEADER_LEN;
	b->leaf_len = leaf_len;
	b->issuer = issuer_len ? data + HEADER_LEN + leaf_len : NULL;
	b->issuer_len = issuer_len;
	return 0;
}

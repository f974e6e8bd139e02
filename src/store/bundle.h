/*
 * bundle: the format of bundle.bin, the one file per certificate version the
 * daemon's start reads instead of fullchain.pem and meta.json (see store.h).
 * Pure: encoding and decoding only, no I/O; store-internal.
 *
 * All integers little-endian:
 *
 *   0   "HFB1"                      magic and format version
 *   4   u32 flags                   bit 0: placeholder
 *   8   i64 renew_at                0: none
 *   16  stamp of fullchain.pem      u64 inode, i64 size, i64 mtime s, i64 mtime ns
 *   48  stamp of meta.json          the same
 *   80  u32 leaf length L, u32 issuer length I (0: no issuer)
 *   88  leaf DER (L bytes), issuer DER (I bytes)
 *   ... u64 FNV-1a of every byte before it
 *
 * A stamp is the identity of the file the bundle was made from: every store
 * write replaces a file by rename, so a file that changed has another
 * inode, size or mtime.  Decoding checks the lengths against the size
 * exactly and the checksum, so a damaged bundle is refused, never half-read.
 */
#ifndef HOLDFAST_STORE_BUNDLE_H
#define HOLDFAST_STORE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STORE_BUNDLE_DER_MAX     (64 * 1024) /* one certificate */
#define STORE_BUNDLE_MAX         (2 * STORE_BUNDLE_DER_MAX + 128)
#define STORE_BUNDLE_PLACEHOLDER 1u

struct store_stamp {
	uint64_t inode;
	int64_t size, mtime_s, mtime_ns;
};

struct store_bundle {
	uint32_t flags;
	int64_t renew_at;
	struct store_stamp fullchain, meta;
	const unsigned char *leaf; /* borrowed (from the caller, or the decoded buffer) */
	size_t leaf_len;
	const unsigned char *issuer; /* NULL when issuer_len is 0 */
	size_t issuer_len;
};

/* b as a new buffer (*out, free()) of *len bytes.  0, or -1 (a DER longer
 * than STORE_BUNDLE_DER_MAX, an empty leaf, no memory). */
int store_bundle_encode(const struct store_bundle *b, unsigned char **out, size_t *len);

/* Decode data (len bytes) into b, whose DER pointers point into data.  0, or
 * -1 when data is not exactly one well-formed bundle. */
int store_bundle_decode(const unsigned char *data, size_t len, struct store_bundle *b);

/* 1 when a and b are the same file identity. */
int store_stamp_equal(const struct store_stamp *a, const struct store_stamp *b);

#endif

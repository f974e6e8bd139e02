/*
 * util/hash: FNV-1a over bytes, 64 bits.  Fast and well spread for hash
 * tables and for catching damage to a file; not a cryptographic hash (an
 * adversary can make collisions at will).  The value is fixed by the
 * algorithm, so what is stored with it (the start bundle's checksums) stays
 * readable across versions.
 */
#ifndef HOLDFAST_UTIL_HASH_H
#define HOLDFAST_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_fnv1a64(const void *data, size_t len);

#endif

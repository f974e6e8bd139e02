/* util/hash: see hash.h. */
#include "util/hash.h"

uint64_t hash_fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL; /* the FNV-1a 64-bit offset basis */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL; /* the FNV 64-bit prime */
	}
	return h;
}

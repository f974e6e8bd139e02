/*
 * Unit tests for buf.c: the limit is exact (limit bytes fit, one more is
 * refused and leaves the content as it was), the content is always
 * NUL-terminated, reset keeps the allocation, free releases it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "tap.h"

static void test_init(void)
{
	struct buf b;

	buf_init(&b, 100);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && b.limit == 100,
	      "init: empty, nothing allocated, limit kept");
	buf_reset(&b);
	CHECK(b.data == NULL && b.len == 0, "reset of a never-used buffer");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "free of a never-used buffer");
}

static void test_limit(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK(buf_append(&b, "abcd", 4) == 0 && b.len == 4, "append 4 of 8");
	CHECK(b.data != NULL && memcmp(b.data, "abcd", 5) == 0, "content abcd, NUL-terminated");
	CHECK(buf_append(&b, "efgh", 4) == 0 && b.len == 8, "append up to exactly the limit");
	CHECK(memcmp(b.data, "abcdefgh", 9) == 0, "content abcdefgh, NUL-terminated at the limit");
	CHECK(buf_append(&b, "i", 1) == -1, "one byte past the limit is refused");
	CHECK(b.len == 8 && memcmp(b.data, "abcdefgh", 9) == 0,
	      "refused append leaves content and terminator unchanged");
	CHECK(buf_append(&b, "", 0) == 0 && b.len == 8, "empty append at the limit is fine");
	CHECK(b.cap <= b.limit + 1, "allocation never exceeds limit + 1");
	buf_free(&b);

	buf_init(&b, 8);
	CHECK(buf_append(&b, "123456789", 9) == -1, "first append of limit + 1 bytes is refused");
	CHECK(b.len == 0 && b.data == NULL && b.cap == 0, "refused first append allocates nothing");
	CHECK(buf_append(&b, "12345", 5) == 0, "append 5 of 8");
	CHECK(buf_append(&b, "6789", 4) == -1, "append 4 more (9 of 8) is refused");
	CHECK(b.len == 5 && memcmp(b.data, "12345", 6) == 0,
	      "partial fill unchanged by a refused append");
	CHECK(buf_append(&b, "678", 3) == 0 && b.len == 8 && memcmp(b.data, "12345678", 9) == 0,
	      "the remaining 3 bytes still fit");
	/* A length that would wrap b->len + len must be refused, not read. */
	CHECK(buf_append(&b, "x", SIZE_MAX) == -1, "SIZE_MAX length refused");
	CHECK(buf_append(&b, "x", SIZE_MAX - 4) == -1, "length that would wrap len is refused");
	CHECK(b.len == 8 && memcmp(b.data, "12345678", 9) == 0, "content unchanged after both");
	buf_free(&b);
}

static void test_binary_and_growth(void)
{
	unsigned char chunk[1000];
	struct buf b;
	size_t i, appended = 0, bad = 0;
	const size_t limit = 1024 * 1024;

	buf_init(&b, limit);
	for (;;) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (unsigned char)((appended + i) * 7 + 1);
		if (buf_append(&b, chunk, sizeof(chunk)) != 0)
			break;
		appended += sizeof(chunk);
	}
	CHECK(appended == 1048000, "1000-byte chunks into 1 MiB: 1048 fit");
	CHECK(b.len == 1048000, "len after the refused 1049th chunk");
	for (i = 0; i < sizeof(chunk) && appended + i < limit; i++)
		chunk[i] = (unsigned char)((appended + i) * 7 + 1);
	CHECK(buf_append(&b, chunk, limit - appended) == 0 && b.len == limit,
	      "the last 576 bytes fill it exactly");
	for (i = 0; i < b.len; i++)
		if (b.data[i] != (unsigned char)(i * 7 + 1))
			bad++;
	CHECK(bad == 0, "1 MiB of binary content intact across reallocations");
	CHECK(b.data[b.len] == '\0', "terminated after 1 MiB");
	CHECK(b.cap == limit + 1, "allocation capped at limit + 1");
	buf_free(&b);

	buf_init(&b, 16);
	CHECK(buf_append(&b, "a\0b", 3) == 0 && b.len == 3 && memcmp(b.data, "a\0b\0", 4) == 0,
	      "embedded NUL kept, len counts it");
	buf_free(&b);
}

static void test_reset_free(void)
{
	struct buf b;
	unsigned char *data;
	size_t cap;

	buf_init(&b, 10);
	CHECK(buf_append(&b, "0123456789", 10) == 0, "fill to the limit of 10");
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	CHECK(b.len == 0 && b.data == data && b.cap == cap, "reset keeps the allocation");
	CHECK(b.data[0] == '\0', "reset leaves an empty string");
	CHECK(buf_append(&b, "abcdefghij", 10) == 0 && memcmp(b.data, "abcdefghij", 11) == 0,
	      "after reset the full limit is available again");
	CHECK(buf_append(&b, "k", 1) == -1, "and the limit still holds");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "free releases the content");
	buf_free(&b);
	CHECK(b.data == NULL, "second free is harmless");
	buf_init(&b, 4);
	CHECK(buf_append(&b, "wxyz", 4) == 0 && memcmp(b.data, "wxyz", 5) == 0,
	      "reusable after free and init");
	buf_free(&b);
}

static void test_zero_limit(void)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK(buf_append(&b, "a", 1) == -1 && b.len == 0, "zero limit: one byte refused");
	CHECK(buf_append(&b, "", 0) == 0 && b.len == 0, "zero limit: empty append accepted");
	CHECK(b.data != NULL && b.data[0] == '\0', "zero limit: content is the empty string");
	CHECK(b.cap == 1, "zero limit: only the terminator is allocated");
	buf_free(&b);
}

/* Last, because with AddressSanitizer the overflow it shows aborts the
 * program: limit + 1 wraps to 0 in buf_append's cap clamp. */
static void test_max_limit(void)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	CHECK(buf_append(&b, "abc", 3) == 0 && b.len == 3, "SIZE_MAX limit: append 3 bytes");
	CHECK(b.cap >= b.len + 1, "SIZE_MAX limit: allocation holds content and terminator");
	CHECK(b.data != NULL && memcmp(b.data, "abc", 4) == 0, "SIZE_MAX limit: content abc");
	buf_free(&b);
}

int main(void)
{
	test_init();
	test_limit();
	test_binary_and_growth();
	test_reset_free();
	test_zero_limit();
	test_max_limit();
	return tap_done();
}

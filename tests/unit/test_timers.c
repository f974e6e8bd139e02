/*
 * Unit tests for daemon/timers.c: entries pop earliest first, ties in id
 * order; moving an entry earlier or later and removing one keep the order;
 * out-of-range ids are refused; and 100,000 entries with random keys,
 * updates and removals pop exactly in (due, id) order against a reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/timers.h"
#include "tap.h"

#define BIG 100000

/* Pop everything due by now into ids (at most max); returns the count. */
static size_t pop_all(struct timers *t, time_t now, size_t *ids, size_t max)
{
	size_t n = 0, id;

	while (n < max && timers_pop_due(t, now, &id))
		ids[n++] = id;
	return n;
}

static void test_basic(void)
{
	struct timers *t = timers_new(8);
	size_t ids[8], id = 99, n;
	time_t due = 0;

	CHECK(t != NULL && timers_count(t) == 0, "new: empty");
	CHECK(!timers_peek(t, &id, &due) && id == 99, "peek of an empty heap: nothing");
	CHECK(!timers_pop_due(t, 1000, &id), "pop of an empty heap: nothing");
	CHECK(timers_set(t, 3, 30) == 0 && timers_set(t, 1, 10) == 0 && timers_set(t, 5, 50) == 0 &&
	          timers_set(t, 0, 20) == 0,
	      "push four");
	CHECK(timers_count(t) == 4, "count 4");
	CHECK(timers_peek(t, &id, &due) && id == 1 && due == 10, "peek: the earliest (id 1 at 10)");
	CHECK(timers_get(t, 5, &due) && due == 50, "get: id 5 at 50");
	CHECK(!timers_get(t, 2, &due), "get: id 2 is not scheduled");
	CHECK(!timers_pop_due(t, 9, &id) && timers_count(t) == 4, "nothing due at 9");
	n = pop_all(t, 30, ids, 8);
	CHECK(n == 3 && ids[0] == 1 && ids[1] == 0 && ids[2] == 3, "due at 30: 1, 0, 3 in order");
	CHECK(timers_count(t) == 1 && timers_peek(t, &id, &due) && id == 5, "5 left");
	CHECK(timers_set(t, 8, 1) == -1 && timers_set(t, SIZE_MAX, 1) == -1,
	      "ids past the capacity refused");
	CHECK(timers_count(t) == 1, "a refused set changes nothing");
	timers_remove(t, 2);
	timers_remove(t, 100);
	CHECK(timers_count(t) == 1, "removing an absent or out-of-range id is a no-op");
	timers_remove(t, 5);
	CHECK(timers_count(t) == 0 && !timers_get(t, 5, &due), "remove the last");
	timers_free(t);
	timers_free(NULL);
}

static void test_update(void)
{
	struct timers *t = timers_new(6);
	size_t ids[6], n, i;
	time_t due;

	for (i = 0; i < 6; i++)
		timers_set(t, i, (time_t)(100 + 10 * i)); /* 0:100 1:110 ... 5:150 */
	CHECK(timers_set(t, 4, 50) == 0 && timers_peek(t, &i, &due) && i == 4 && due == 50,
	      "move later entry up: it is first");
	CHECK(timers_set(t, 4, 200) == 0 && timers_peek(t, &i, &due) && i == 0 && due == 100,
	      "move it down again: 0 is first");
	CHECK(timers_set(t, 0, 125) == 0, "move the root down between others");
	CHECK(timers_set(t, 2, 120) == 0 && timers_count(t) == 6, "set to the same key: no change");
	CHECK(timers_get(t, 0, &due) && due == 125, "get sees the new key");
	n = pop_all(t, 1000, ids, 6);
	CHECK(n == 6 && ids[0] == 1 && ids[1] == 2 && ids[2] == 0 && ids[3] == 3 && ids[4] == 5 &&
	          ids[5] == 4,
	      "pop order after updates: 1 2 0 3 5 4");
	for (i = 0; i < 6; i++)
		timers_set(t, i, (time_t)(10 * i));
	timers_remove(t, 0); /* the root */
	timers_remove(t, 3); /* a middle one */
	timers_remove(t, 5); /* the last leaf */
	n = pop_all(t, 1000, ids, 6);
	CHECK(n == 3 && ids[0] == 1 && ids[1] == 2 && ids[2] == 4, "removals: 1 2 4 remain");
	timers_free(t);
}

static void test_ties(void)
{
	struct timers *t = timers_new(10);
	static const size_t order[] = {7, 2, 9, 0, 5, 1, 8, 3, 6, 4};
	size_t ids[10], n, i, ok = 1;

	for (i = 0; i < 10; i++)
		timers_set(t, order[i], 42);
	n = pop_all(t, 42, ids, 10);
	for (i = 0; i < n; i++)
		ok &= ids[i] == i;
	CHECK(n == 10 && ok, "ties pop in id order, whatever the insertion order");
	timers_set(t, 3, 42);
	timers_set(t, 1, 41);
	timers_set(t, 2, 42);
	n = pop_all(t, 42, ids, 10);
	CHECK(n == 3 && ids[0] == 1 && ids[1] == 2 && ids[2] == 3, "earlier due first, then ids");
	timers_free(t);
}

/* Reference model: due[id], or -1 when absent. */
static long long ref_due[BIG];

static int ref_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (ref_due[x] != ref_due[y])
		return ref_due[x] < ref_due[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void test_big(void)
{
	struct timers *t = timers_new(BIG);
	size_t *want = malloc(BIG * sizeof(*want)), *got = malloc(BIG * sizeof(*got));
	size_t i, n = 0, popped, bad = 0;
	unsigned long long r = 88172645463325252ULL;

	if (t == NULL || want == NULL || got == NULL) {
		CHECK(0, "big: allocation");
		goto out;
	}
	/* xorshift: reproducible keys with many ties (a day in seconds). */
#define NEXT() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
	for (i = 0; i < BIG; i++) {
		ref_due[i] = (long long)(NEXT() % 86400);
		timers_set(t, i, (time_t)ref_due[i]);
	}
	CHECK(timers_count(t) == BIG, "big: 100,000 pushed");
	for (i = 0; i < BIG / 2; i++) { /* moves up and down */
		size_t id = (size_t)(NEXT() % BIG);
		ref_due[id] = (long long)(NEXT() % 86400);
		timers_set(t, id, (time_t)ref_due[id]);
	}
	for (i = 0; i < BIG / 10; i++) { /* removals, some twice */
		size_t id = (size_t)(NEXT() % BIG);
		ref_due[id] = -1;
		timers_remove(t, id);
	}
	for (i = 0; i < BIG; i++)
		if (ref_due[i] >= 0)
			want[n++] = i;
	qsort(want, n, sizeof(*want), ref_cmp);
	CHECK(timers_count(t) == n, "big: count after updates and removals");
	popped = pop_all(t, 43200, got, BIG); /* half the day first */
	for (i = 0; i < popped; i++)
		bad += got[i] != want[i];
	CHECK(popped > 0 && popped < n && ref_due[want[popped - 1]] <= 43200 &&
	          ref_due[want[popped]] > 43200,
	      "big: pop_due stops at now");
	popped += pop_all(t, 86400, got + popped, BIG - popped);
	for (i = 0; i < popped && i < n; i++)
		bad += got[i] != want[i];
	CHECK(popped == n && bad == 0, "big: every entry popped in (due, id) order");
	CHECK(timers_count(t) == 0, "big: empty at the end");
out:
	timers_free(t);
	free(want);
	free(got);
}

int main(void)
{
	test_basic();
	test_update();
	test_ties();
	test_big();
	return tap_done();
}

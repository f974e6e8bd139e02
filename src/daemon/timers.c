/*
 * daemon/timers: a binary min-heap with a position index; see timers.h.
 */

#include "daemon/timers.h"

#include <stdint.h>
#include <stdlib.h>

#define TIMERS_ABSENT SIZE_MAX

struct timer_entry {
	time_t due;
	size_t id;
};

struct timers {
	struct timer_entry *heap; /* heap[0] is the earliest */
	size_t *pos;              /* pos[id]: its index in heap, or TIMERS_ABSENT */
	size_t count, capacity;
};

/* 1 when a is due before b; ties by id. */
static int entry_before(const struct timer_entry *a, const struct timer_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->id < b->id);
}

static void entry_place(struct timers *t, size_t i, struct timer_entry e)
{
	t->heap[i] = e;
	t->pos[e.id] = i;
}

/* Move the entry at i towards the root until its parent is earlier. */
static void sift_up(struct timers *t, size_t i)
{
	struct timer_entry e = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!entry_before(&e, &t->heap[parent]))
			break;
		entry_place(t, i, t->heap[parent]);
		i = parent;
	}
	entry_place(t, i, e);
}

/* Move the entry at i towards the leaves until both children are later. */
static void sift_down(struct timers *t, size_t i)
{
	struct timer_entry e = t->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= t->count)
			break;
		if (child + 1 < t->count && entry_before(&t->heap[child + 1], &t->heap[child]))
			child++;
		if (!entry_before(&t->heap[child], &e))
			break;
		entry_place(t, i, t->heap[child]);
		i = child;
	}
	entry_place(t, i, e);
}

/* Take the entry at i out, filling its place with the last one. */
static void remove_at(struct timers *t, size_t i)
{
	size_t id = t->heap[i].id;

	t->count--;
	t->pos[id] = TIMERS_ABSENT;
	if (i == t->count)
		return;
	entry_place(t, i, t->heap[t->count]);
	if (i > 0 && entry_before(&t->heap[i], &t->heap[(i - 1) / 2]))
		sift_up(t, i);
	else
		sift_down(t, i);
}

struct timers *timers_new(size_t capacity)
{
	struct timers *t = calloc(1, sizeof(*t));
	size_t i, n = capacity ? capacity : 1;

	if (t == NULL)
		return NULL;
	t->heap = calloc(n, sizeof(*t->heap));
	t->pos = calloc(n, sizeof(*t->pos));
	if (t->heap == NULL || t->pos == NULL) {
		timers_free(t);
		return NULL;
	}
	for (i = 0; i < n; i++)
		t->pos[i] = TIMERS_ABSENT;
	t->capacity = capacity;
	return t;
}

void timers_free(struct timers *t)
{
	if (t == NULL)
		return;
	free(t->heap);
	free(t->pos);
	free(t);
}

int timers_set(struct timers *t, size_t id, time_t due)
{
	struct timer_entry e = {.due = due, .id = id};
	size_t i;

	if (id >= t->capacity)
		return -1;
	i = t->pos[id];
	if (i == TIMERS_ABSENT) {
		i = t->count++;
		entry_place(t, i, e);
		sift_up(t, i);
		return 0;
	}
	if (due == t->heap[i].due)
		return 0;
	t->heap[i].due = due;
	if (i > 0 && entry_before(&t->heap[i], &t->heap[(i - 1) / 2]))
		sift_up(t, i);
	else
		sift_down(t, i);
	return 0;
}

void timers_remove(struct timers *t, size_t id)
{
	if (id < t->capacity && t->pos[id] != TIMERS_ABSENT)
		remove_at(t, t->pos[id]);
}

int timers_peek(const struct timers *t, size_t *id, time_t *due)
{
	if (t->count == 0)
		return 0;
	*id = t->heap[0].id;
	*due = t->heap[0].due;
	return 1;
}

int timers_pop_due(struct timers *t, time_t now, size_t *id)
{
	if (t->count == 0 || t->heap[0].due > now)
		return 0;
	*id = t->heap[0].id;
	remove_at(t, 0);
	return 1;
}

int timers_get(const struct timers *t, size_t id, time_t *due)
{
	if (id >= t->capacity || t->pos[id] == TIMERS_ABSENT)
		return 0;
	*due = t->heap[t->pos[id]].due;
	return 1;
}

size_t timers_count(const struct timers *t)
{
	return t->count;
}

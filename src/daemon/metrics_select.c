/*
 * daemon/metrics_select: the choice of the certificates with their own
 * series; see metrics_select.h for the rule.
 */
#include "daemon/metrics_select.h"

#include <stdlib.h>

int metrics_facts_trouble(const struct metrics_facts *f)
{
	return !f->have || f->placeholder || f->deploy_failed || f->issue_failed ||
	       (f->can_staple && !f->staple_ok) || f->staple_failures > 0 || f->renewal_late;
}

struct metrics_candidate metrics_candidate_of(size_t index, const struct metrics_facts *f)
{
	struct metrics_candidate c = {.index = index};

	c.trouble = metrics_facts_trouble(f);
	if (!f->have)
		c.deadline = 0; /* nothing is served: as urgent as can be */
	else if (c.trouble && f->staple_ok && f->staple_next_update < f->not_after)
		c.deadline = f->staple_next_update;
	else
		c.deadline = f->not_after;
	return c;
}

int metrics_candidate_before(const struct metrics_candidate *a, const struct metrics_candidate *b)
{
	if (a->trouble != b->trouble)
		return a->trouble > b->trouble;
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->index < b->index;
}

int metrics_select_init(struct metrics_select *s, size_t limit)
{
	s->count = 0;
	s->limit = limit;
	s->kept = NULL;
	if (limit == 0)
		return 0;
	s->kept = calloc(limit, sizeof(*s->kept));
	return s->kept ? 0 : -1;
}

/* The heap's order: the least urgent at the top (index 0). */
static int heap_above(const struct metrics_candidate *a, const struct metrics_candidate *b)
{
	return metrics_candidate_before(b, a);
}

static void heap_swap(struct metrics_candidate *h, size_t i, size_t j)
{
	struct metrics_candidate t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static void sift_up(struct metrics_candidate *h, size_t i)
{
	while (i > 0 && heap_above(&h[i], &h[(i - 1) / 2])) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct metrics_candidate *h, size_t n, size_t i)
{
	for (;;) {
		size_t top = i, l = 2 * i + 1, r = 2 * i + 2;
		if (l < n && heap_above(&h[l], &h[top]))
			top = l;
		if (r < n && heap_above(&h[r], &h[top]))
			top = r;
		if (top == i)
			return;
		heap_swap(h, i, top);
		i = top;
	}
}

void metrics_select_offer(struct metrics_select *s, const struct metrics_candidate *c)
{
	if (s->limit == 0)
		return;
	if (s->count < s->limit) {
		s->kept[s->count] = *c;
		sift_up(s->kept, s->count++);
		return;
	}
	if (metrics_candidate_before(c, &s->kept[0])) {
		s->kept[0] = *c;
		sift_down(s->kept, s->count, 0);
	}
}

static int by_index(const void *a, const void *b)
{
	const struct metrics_candidate *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

void metrics_select_finish(struct metrics_select *s)
{
	if (s->count > 1)
		qsort(s->kept, s->count, sizeof(*s->kept), by_index);
}

void metrics_select_free(struct metrics_select *s)
{
	free(s->kept);
	s->kept = NULL;
	s->count = 0;
}

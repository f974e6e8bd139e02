/*
 * Unit tests for daemon/metrics_select.c: which certificates get their own
 * series on the metrics page.  The trouble rule one condition at a time, the
 * deadline of each kind of certificate, the order (trouble, deadline,
 * configuration order), limits of 0, 1 and more than there are, and 1,000
 * chosen of 100,000 against a full sort.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics_select.h"
#include "tap.h"

#define BIG  100000
#define KEEP 1000

/* A certificate with nothing wrong: valid until t, its staple until t / 2. */
static struct metrics_facts healthy(time_t t)
{
	struct metrics_facts f = {.have = 1,
	                          .can_staple = 1,
	                          .staple_ok = 1,
	                          .not_after = t,
	                          .staple_next_update = t / 2};

	return f;
}

static void test_rule(void)
{
	struct metrics_facts f = healthy(1000000);
	struct metrics_candidate c;

	CHECK(!metrics_facts_trouble(&f), "trouble: a healthy certificate is not");
	f.have = 0;
	CHECK(metrics_facts_trouble(&f), "trouble: missing");
	f = healthy(1000000);
	f.placeholder = 1;
	CHECK(metrics_facts_trouble(&f), "trouble: the placeholder");
	f = healthy(1000000);
	f.deploy_failed = 1;
	CHECK(metrics_facts_trouble(&f), "trouble: a failed deploy");
	f = healthy(1000000);
	f.issue_failed = 1;
	CHECK(metrics_facts_trouble(&f), "trouble: a failed issuance");
	f = healthy(1000000);
	f.staple_ok = 0;
	CHECK(metrics_facts_trouble(&f), "trouble: no valid staple, with a responder");
	f.can_staple = 0;
	CHECK(!metrics_facts_trouble(&f), "trouble: no staple and no responder is not");
	f = healthy(1000000);
	f.staple_failures = 2;
	CHECK(metrics_facts_trouble(&f), "trouble: failing refreshes, the staple still valid");
	f = healthy(1000000);
	f.renewal_late = 1;
	CHECK(metrics_facts_trouble(&f), "trouble: inside the outage margin");

	f = healthy(1000000);
	c = metrics_candidate_of(7, &f);
	CHECK(c.index == 7 && !c.trouble && c.deadline == 1000000,
	      "deadline: healthy: its expiry, not its staple's");
	f.staple_failures = 1;
	c = metrics_candidate_of(7, &f);
	CHECK(c.trouble && c.deadline == 500000, "deadline: in trouble: the staple's, sooner");
	f.staple_next_update = 2000000;
	c = metrics_candidate_of(7, &f);
	CHECK(c.deadline == 1000000, "deadline: in trouble: the expiry when sooner");
	f.staple_ok = 0;
	f.staple_next_update = 10;
	c = metrics_candidate_of(7, &f);
	CHECK(c.deadline == 1000000, "deadline: no valid staple: its nextUpdate does not count");
	f.have = 0;
	c = metrics_candidate_of(7, &f);
	CHECK(c.trouble && c.deadline == 0, "deadline: missing: at once");
}

static void test_order(void)
{
	struct metrics_candidate a = {.index = 5, .trouble = 1, .deadline = 900};
	struct metrics_candidate b = {.index = 1, .trouble = 0, .deadline = 100};

	CHECK(metrics_candidate_before(&a, &b) && !metrics_candidate_before(&b, &a),
	      "order: trouble before a sooner deadline");
	b.trouble = 1;
	CHECK(metrics_candidate_before(&b, &a) && !metrics_candidate_before(&a, &b),
	      "order: then the sooner deadline");
	b.deadline = 900;
	CHECK(metrics_candidate_before(&b, &a) && !metrics_candidate_before(&a, &b),
	      "order: then configuration order");
	CHECK(!metrics_candidate_before(&a, &a), "order: strict");
}

/* Offer n candidates from make(i) with limit; the indexes kept into out
 * (in the order finish leaves them); their count. */
static size_t run(size_t n, size_t limit, struct metrics_candidate (*make)(size_t), size_t *out)
{
	struct metrics_select s;
	size_t i, count;

	if (metrics_select_init(&s, limit) != 0)
		return (size_t)-1;
	for (i = 0; i < n; i++) {
		struct metrics_candidate c = make(i);
		metrics_select_offer(&s, &c);
	}
	metrics_select_finish(&s);
	for (i = 0; i < s.count; i++)
		out[i] = s.kept[i].index;
	count = s.count;
	metrics_select_free(&s);
	return count;
}

/* Deterministic, with many ties: trouble for one in 97, deadlines from a
 * small set. */
static struct metrics_candidate pseudo(size_t i)
{
	struct metrics_candidate c = {.index = i};
	unsigned long long x = (unsigned long long)i * 2654435761ULL + 12345;

	c.trouble = (x >> 7) % 97 == 0;
	c.deadline = (time_t)((x >> 11) % 5000);
	return c;
}

static struct metrics_candidate same(size_t i)
{
	struct metrics_candidate c = {.index = i, .trouble = 0, .deadline = 42};

	return c;
}

static int before_cmp(const void *a, const void *b)
{
	return metrics_candidate_before(a, b) ? -1 : metrics_candidate_before(b, a) ? 1 : 0;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void test_select(void)
{
	static size_t got[BIG], want[KEEP];
	static struct metrics_candidate all[BIG];
	size_t i, n, bad = 0;
	int sorted = 1;

	CHECK(run(10, 0, pseudo, got) == 0, "select: limit 0 keeps none");
	n = run(10, 10, pseudo, got);
	for (i = 0; i < n; i++)
		bad += got[i] != i;
	CHECK(n == 10 && bad == 0, "select: limit = n keeps all, in configuration order");
	n = run(3, 1, same, got);
	CHECK(n == 1 && got[0] == 0, "select: limit 1, all tied: the first configured");
	n = run(50, 5, same, got);
	for (i = 0, bad = 0; i < n; i++)
		bad += got[i] != i;
	CHECK(n == 5 && bad == 0, "select: ties: the first five configured");

	for (i = 0; i < BIG; i++)
		all[i] = pseudo(i);
	qsort(all, BIG, sizeof(all[0]), before_cmp);
	for (i = 0; i < KEEP; i++)
		want[i] = all[i].index;
	qsort(want, KEEP, sizeof(want[0]), size_cmp);
	n = run(BIG, KEEP, pseudo, got);
	for (i = 0, bad = 0; i < n && i < KEEP; i++) {
		bad += got[i] != want[i];
		if (i > 0 && got[i] <= got[i - 1])
			sorted = 0;
	}
	CHECK(n == KEEP && bad == 0, "select: 1,000 of 100,000 = the first 1,000 of a full sort");
	CHECK(sorted, "select: kept in configuration order");
	for (i = 0, bad = 0; i < KEEP; i++)
		bad += !pseudo(want[i]).trouble;
	CHECK(bad == 0, "select: 1,032 of 100,000 in trouble: the 1,000 kept are all in trouble");
}

int main(void)
{
	test_rule();
	test_order();
	test_select();
	return tap_done();
}

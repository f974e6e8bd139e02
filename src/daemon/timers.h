/*
 * daemon/timers: the loop's schedule.  A binary min-heap of ids (the daemon's
 * site indexes) keyed by due time, with each id's position kept beside it, so
 * that moving or removing one is O(log n) without searching for it.  This is
 * what HAProxy's ssl_ocsp.c does with its tree keyed on the next update time:
 * the loop asks "what is due now?" and never looks at anything that is not.
 *
 * Guarantees: an id (0 .. capacity - 1) is in the heap at most once; set,
 * remove and pop are O(log n), peek and get O(1); ties pop in id order (the
 * key is the pair (due, id)), so certificates due in the same second are
 * handled in configuration order, as the scan this replaced did.  Nothing is
 * allocated after timers_new().  Pure: no clock, no I/O.
 */
#ifndef HOLDFAST_DAEMON_TIMERS_H
#define HOLDFAST_DAEMON_TIMERS_H

#include <stddef.h>
#include <time.h>

struct timers;

/* An empty heap for ids 0 .. capacity - 1 (24 bytes each), or NULL. */
struct timers *timers_new(size_t capacity);

/* NULL is a no-op. */
void timers_free(struct timers *t);

/* Schedule id at due: inserts it, or moves it up or down.  0, or -1 when id
 * is out of range. */
int timers_set(struct timers *t, size_t id, time_t due);

/* Unschedule id; a no-op when it is not scheduled. */
void timers_remove(struct timers *t, size_t id);

/* 1 with the earliest entry in *id and *due, 0 when the heap is empty. */
int timers_peek(const struct timers *t, size_t *id, time_t *due);

/* Remove and return the earliest entry if it is due at now (due <= now): 1
 * with *id, else 0 (nothing removed). */
int timers_pop_due(struct timers *t, time_t now, size_t *id);

/* 1 with *due when id is scheduled, else 0. */
int timers_get(const struct timers *t, size_t id, time_t *due);

/* How many ids are scheduled. */
size_t timers_count(const struct timers *t);

#endif
